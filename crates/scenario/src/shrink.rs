//! Shrinking a failing scenario to a smaller one that fails the same way.
//!
//! A greedy, deterministic reduction in the manner of delta debugging: each
//! candidate is the current scenario with one thing taken away — a timeline
//! step, a link's randomness, half of some Pattern data, an offered cipher
//! suite or group — and it is kept when it still loads (it is written out as
//! RON and read back, so every check of a hand-written file applies) and its
//! run fails the same way: the expectation that failed first still fails
//! on the same observation (the same alert came instead, the same state was
//! found, the same number of bytes arrived), and none that held now fails.
//! So taking away the step that sends the data, or the one that causes the
//! alert, cannot pass for the bug. Candidates are tried until none helps or
//! the run budget is spent. The result carries the seed it fails with, so
//! it replays on its own, and the list of what was taken away.

use std::path::Path;

use crate::expect::{Failure, run_and_check};
use crate::load::parse;
use crate::runner::RunOptions;
use crate::schema::{Action, At, Conditions, Data, Scenario};
use crate::units::{Chance, Time};

/// What [`shrink`] found.
#[derive(Debug)]
pub struct Shrunk {
    /// The smallest failing scenario found, with the seed it fails with.
    pub scenario: Scenario,
    /// The failure it keeps: the first one of the original (others may be
    /// gone; none is new).
    pub failure: Failure,
    /// What was taken away, in the order it was.
    pub cut: Vec<String>,
    /// Runs made, the original's included.
    pub runs: usize,
}

/// Why nothing was shrunk.
#[derive(Debug, PartialEq, Eq)]
pub enum ShrinkError {
    /// The scenario meets its expectations: there is no failure to keep.
    Passes,
    /// The scenario could not be run (a key file is missing, say).
    Run(String),
}

/// Shrinks `scenario` (whose relative paths resolve against `base`) run
/// with `seed`, making at most `max_runs` runs.
pub fn shrink(
    scenario: &Scenario,
    base: &Path,
    seed: u64,
    max_runs: usize,
) -> Result<Shrunk, ShrinkError> {
    let mut current = scenario.clone();
    current.seed = seed;
    let original = failures(&current, base).map_err(ShrinkError::Run)?;
    let failure = original.first().cloned().ok_or(ShrinkError::Passes)?;
    let fails_the_same_way = |found: &[Failure]| {
        found.iter().any(|f| f.same_failure(&failure))
            && (found.iter()).all(|f| original.iter().any(|o| o.same_expectation(f)))
    };
    let mut cut = Vec::new();
    let mut runs = 1;
    // The index of the next candidate to try: a kept candidate shifts the
    // ones after it into its place, so the index stays.
    let mut next = 0;
    let mut changed = false;
    let mut list = candidates(&current);
    while runs < max_runs {
        let Some(candidate) = list.get(next) else {
            if !changed {
                break;
            }
            (next, changed) = (0, false);
            list = candidates(&current);
            continue;
        };
        runs += 1;
        let still_fails = to_ron(&candidate.1)
            .ok()
            .and_then(|text| parse(&text, "candidate").ok())
            .and_then(|reloaded| failures(&reloaded, base).ok())
            .is_some_and(|found| fails_the_same_way(&found));
        if still_fails {
            let (what, kept) = list.swap_remove(next);
            cut.push(what);
            current = kept;
            changed = true;
            list = candidates(&current);
        } else {
            next += 1;
        }
    }
    Ok(Shrunk {
        scenario: current,
        failure,
        cut,
        runs,
    })
}

/// The expectations a run of `scenario` does not meet.
fn failures(scenario: &Scenario, base: &Path) -> Result<Vec<Failure>, String> {
    run_and_check(scenario, base, scenario.seed, RunOptions::default())
        .map(|(_, failures)| failures)
}

/// Every one-step simplification of `s`, in a fixed order, each with what
/// it takes away.
fn candidates(s: &Scenario) -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    let mut variant = |what: String, edit: &dyn Fn(&mut Scenario)| {
        let mut v = s.clone();
        edit(&mut v);
        out.push((what, v));
    };
    // Later steps first: they are the likelier to be irrelevant.
    for i in (0..s.timeline.len()).rev() {
        variant(format!("the step {}", step_text(&s.timeline[i])), &|v| {
            v.timeline.remove(i);
        });
    }
    for (l, link) in s.links.iter().enumerate() {
        let (a, b) = (&link.between.0, &link.between.1);
        if link.reverse.is_some() {
            variant(format!("the reverse conditions of link {a}<->{b}"), &|v| {
                v.links[l].reverse = None
            });
        }
        let directions = [Some(&link.conditions), link.reverse.as_ref()];
        for (d, conditions) in directions.into_iter().enumerate() {
            let Some(conditions) = conditions else {
                continue;
            };
            let (from, to) = if d == 0 { (a, b) } else { (b, a) };
            for (field, quiet) in quieter(conditions) {
                variant(format!("the {field} of link {from}->{to}"), &|v| {
                    let target = if d == 0 {
                        &mut v.links[l].conditions
                    } else {
                        v.links[l].reverse.as_mut().expect("checked above")
                    };
                    quiet(target);
                });
            }
        }
    }
    // Less data, on connections whose byte counts no expectation fixes
    // (there, less data would fail for another reason).
    let counted = |conn: &str| s.expect.delivered.iter().any(|d| d.conn.0 == conn);
    for (i, step) in s.timeline.iter().enumerate() {
        if let Action::Send {
            conn,
            data: Data::Pattern(n),
            ..
        } = &step.1
        {
            if *n > 1 && !counted(&conn.0) {
                let half = n / 2;
                let what = format!("half the data of {} ({n} -> {half} bytes)", step_text(step));
                variant(what, &|v| {
                    if let Action::Send { data, .. } = &mut v.timeline[i].1 {
                        *data = Data::Pattern(half);
                    }
                });
            }
        }
    }
    for (c, client) in s.tls.clients.iter().enumerate() {
        let profile = &client.name;
        for (i, suite) in
            (client.cipher_suites.iter().enumerate()).filter(|_| client.cipher_suites.len() > 1)
        {
            variant(
                format!("cipher suite {suite} from TLS client {profile:?}"),
                &|v| {
                    v.tls.clients[c].cipher_suites.remove(i);
                },
            );
        }
        for (i, group) in (client.groups.iter().enumerate()).filter(|_| client.groups.len() > 1) {
            variant(format!("group {group} from TLS client {profile:?}"), &|v| {
                v.tls.clients[c].groups.remove(i);
            });
        }
    }
    for (c, server) in s.tls.servers.iter().enumerate() {
        let profile = &server.name;
        for (i, suite) in
            (server.cipher_suites.iter().enumerate()).filter(|_| server.cipher_suites.len() > 1)
        {
            variant(
                format!("cipher suite {suite} from TLS server {profile:?}"),
                &|v| {
                    v.tls.servers[c].cipher_suites.remove(i);
                },
            );
        }
    }
    out
}

/// A timeline step as the file writes it, on one line.
fn step_text(step: &At) -> String {
    let config = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .compact_structs(true)
        .compact_arrays(true)
        .compact_maps(true)
        .separator(" ")
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    let text = ron::ser::to_string_pretty(step, config).unwrap_or_else(|e| e.to_string());
    // Without the file's `#![enable(implicit_some)]` header.
    match text.strip_prefix("#![") {
        Some(rest) => rest
            .split_once('\n')
            .map_or(text.clone(), |(_, step)| step.to_string()),
        None => text,
    }
}

/// An edit that turns off one random behaviour of a link direction, and
/// the behaviour's name.
type Quieting = (&'static str, fn(&mut Conditions));

/// The edits that each turn off one random behaviour of a link direction.
fn quieter(c: &Conditions) -> Vec<Quieting> {
    let mut edits: Vec<Quieting> = Vec::new();
    if c.jitter.0 > tlsim_sim::Duration::ZERO {
        edits.push(("jitter", |c| c.jitter = Default::default()));
    }
    let never = |chance: Chance| chance.0 == 0.0;
    if !never(c.loss) {
        edits.push(("loss", |c| c.loss = Chance(0.0)));
    }
    if !never(c.duplicate) {
        edits.push(("duplication", |c| c.duplicate = Chance(0.0)));
    }
    if !never(c.reorder) {
        edits.push(("reordering", |c| c.reorder = Chance(0.0)));
    }
    if !never(c.corrupt) {
        edits.push(("corruption", |c| c.corrupt = Chance(0.0)));
    }
    edits
}

/// `scenario` as a RON file that [`parse`] reads back to the same scenario.
pub fn to_ron(scenario: &Scenario) -> Result<String, String> {
    let config = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    ron::ser::to_string_pretty(scenario, config).map_err(|e| e.to_string())
}

/// A shrunk scenario as a file to keep: [`to_ron`] without the fields that
/// say what leaving them out says, with each duration spelled as in
/// `original` (the text it was shrunk from; `"1000ms"` stays `"1000ms"`),
/// ending with a newline.
pub fn to_min_ron(scenario: &Scenario, original: &str) -> Result<String, String> {
    let full = to_ron(scenario)?;
    let mut lines: Vec<&str> = full.lines().collect();
    // A field goes when the file without it reads back to the same
    // scenario; a field that stays is then tried field by field inside.
    let mut i = 0;
    while i < lines.len() {
        if let Some(last) = field_extent(&lines, i) {
            let mut without = lines.clone();
            without.drain(i..=last);
            let same = parse(&without.join("\n"), "min")
                .ok()
                .and_then(|again| to_ron(&again).ok())
                .is_some_and(|again| again == full);
            if same {
                lines = without;
                continue;
            }
        }
        i += 1;
    }
    let spellings = duration_spellings(original);
    let mut out = String::new();
    for line in lines {
        out += &respelled(line, &spellings);
        out.push('\n');
    }
    Ok(out)
}

/// If line `i` starts a field (`name: value`), the index of its last line:
/// where the brackets it opens close.
fn field_extent(lines: &[&str], i: usize) -> Option<usize> {
    let line = lines[i].trim_start();
    let key_len = line.find(": ")?;
    if !line[..key_len]
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '_')
    {
        return None;
    }
    let mut depth = 0i64;
    for (j, line) in lines.iter().enumerate().skip(i) {
        depth += bracket_balance(line);
        if depth <= 0 {
            return Some(j);
        }
    }
    None
}

/// Brackets opened less those closed on `line`, outside strings.
fn bracket_balance(line: &str) -> i64 {
    let (mut balance, mut in_string, mut escaped) = (0, false, false);
    for c in line.chars() {
        match (in_string, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (_, '"') => in_string = !in_string,
            (false, '(' | '[' | '{') => balance += 1,
            (false, ')' | ']' | '}') => balance -= 1,
            _ => {}
        }
    }
    balance
}

/// The fields whose string values are durations, and the variants whose
/// first value is one.
const DURATION_FIELDS: [&str; 11] = [
    "latency",
    "jitter",
    "reorder_delay",
    "delayed_ack",
    "initial_rto",
    "min_rto",
    "max_rto",
    "time_wait",
    "duration",
    "max_time",
    "processing_time",
];
const DURATION_VARIANTS: [&str; 2] = ["At", "Delay"];

/// Each string in `text` that stands where a duration does (after a
/// duration field's name, or first in `At(` or `Delay(`), with where its
/// quoted text starts and ends. Comments are skipped.
fn duration_strings(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let before = text[..start].trim_end();
                let named = |end: char, names: &[&str]| {
                    before.strip_suffix(end).is_some_and(|rest| {
                        let rest = rest.trim_end();
                        let word_start = rest
                            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .map_or(0, |n| n + 1);
                        names.contains(&&rest[word_start..])
                    })
                };
                if named(':', &DURATION_FIELDS) || named('(', &DURATION_VARIANTS) {
                    found.push((start, (i + 1).min(bytes.len())));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// How `original` spells each duration it gives, by value (the first
/// spelling of each).
fn duration_spellings(original: &str) -> Vec<(tlsim_sim::Duration, String)> {
    let mut spellings: Vec<(tlsim_sim::Duration, String)> = Vec::new();
    for (start, end) in duration_strings(original) {
        let quoted = &original[start..end];
        let Ok(time) = Time::parse(quoted.trim_matches('"')) else {
            continue;
        };
        if !spellings.iter().any(|(d, _)| *d == time.0) {
            spellings.push((time.0, quoted.to_string()));
        }
    }
    spellings
}

/// `line` with each duration spelled as the original spelled its value.
fn respelled(line: &str, spellings: &[(tlsim_sim::Duration, String)]) -> String {
    let mut out = String::new();
    let mut done = 0;
    for (start, end) in duration_strings(line) {
        let quoted = &line[start..end];
        let original = Time::parse(quoted.trim_matches('"'))
            .ok()
            .and_then(|t| spellings.iter().find(|(d, _)| *d == t.0));
        if let Some((_, spelled)) = original {
            out += &line[done..start];
            out += spelled;
            done = end;
        }
    }
    out + &line[done..]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TCP transfer whose expectation fails because of one fault, with a
    /// second connection, link randomness and data that play no part.
    const FAILING: &str = r#"Scenario(
    name: "noisy",
    seed: 3,
    hosts: [Host(name: "a", addr: "10.0.0.1"), Host(name: "b", addr: "10.0.0.2")],
    links: [Link(between: ("a", "b"), conditions: (latency: "5ms", jitter: "1ms", duplicate: 0.05))],
    listen: [Listen(host: "b", port: 80), Listen(host: "b", port: 81)],
    timeline: [
        At("0ms", Connect(conn: "main", from: "a", to: "b", port: 80)),
        At("0ms", Send(conn: "main", from: "a", data: Pattern(20000))),
        At("1ms", Connect(conn: "other", from: "a", to: "b", port: 81)),
        At("1ms", Send(conn: "other", from: "a", data: Pattern(5000))),
        At("2ms", Fault(action: Tamper(byte: 0, xor: 1), nth: 1, matching: (from: "a", payload: true))),
        At("1s", Close(conn: "main", from: "a")),
        At("1s", Close(conn: "other", from: "a")),
    ],
    expect: (delivered: [(conn: "main", to: "b", bytes: 20000)]),
)"#;

    #[test]
    fn keeps_the_failure_and_drops_what_plays_no_part() {
        let scenario = parse(FAILING, "noisy.ron").unwrap();
        let shrunk = shrink(&scenario, Path::new("."), scenario.seed, 500).unwrap();
        assert_eq!(
            shrunk.failure,
            Failure::NotIntact {
                conn: "main".into(),
                to: "b".into()
            }
        );
        let min = &shrunk.scenario;
        // The other connection, the closes and the randomness are gone; the
        // counted transfer keeps its size.
        let kind = |a: &Action| match a {
            Action::Connect { .. } => "Connect",
            Action::Send { .. } => "Send",
            Action::Fault { .. } => "Fault",
            _ => "other",
        };
        let kept: Vec<&str> = min.timeline.iter().map(|step| kind(&step.1)).collect();
        assert_eq!(kept, ["Connect", "Send", "Fault"]);
        assert!(matches!(
            min.timeline[1].1,
            Action::Send {
                data: Data::Pattern(20000),
                ..
            }
        ));
        let conditions = &min.links[0].conditions;
        assert_eq!(
            (conditions.jitter, conditions.duplicate.0),
            (Default::default(), 0.0)
        );
        // Written out, it replays on its own and fails the same way.
        let replay = parse(&to_ron(min).unwrap(), "min.ron").unwrap();
        let again = failures(&replay, Path::new(".")).unwrap();
        assert!(again.iter().any(|f| f.same_expectation(&shrunk.failure)));
        assert!(shrunk.runs <= 500);
    }

    /// What a failure observed: the alerts, or the bytes that arrived.
    fn observed(failure: &Failure) -> String {
        match failure {
            Failure::Alert { observed, .. } => format!(
                "{:?}",
                (observed.sent.iter())
                    .map(|a| (a.level, a.description))
                    .collect::<Vec<_>>()
            ),
            Failure::Delivered { actual, .. } => actual.to_string(),
            other => panic!("not an observed failure: {other}"),
        }
    }

    #[test]
    fn a_wrong_alert_shrinks_to_a_scenario_with_the_same_wrong_alert() {
        // The attacker's bit flip makes the client send bad_record_mac; the
        // expectation names another alert. Taking away the fault would
        // leave no alert at all: not the same failure.
        let shipped = include_str!("../../../scenarios/tls12-tamper.ron");
        let body = &shipped[..shipped.find("    expect: (").unwrap()];
        let text = format!(
            "{body}    expect: (alerts: [Alert(conn: \"c1\", from: \"client\", level: Fatal, description: \"decode_error\")]),\n)\n"
        );
        let scenario = parse(&text, "wrong-alert.ron").unwrap();
        let shrunk = shrink(&scenario, Path::new("."), scenario.seed, 200).unwrap();
        assert_eq!(observed(&shrunk.failure), "[(Fatal, BadRecordMac)]");
        let min = &shrunk.scenario;
        assert!(
            (min.timeline.iter()).any(|step| matches!(step.1, Action::Fault { .. })),
            "{:?}",
            shrunk.cut
        );
        assert!(
            min.timeline.len() < scenario.timeline.len(),
            "{:?}",
            shrunk.cut
        );
        let again = failures(
            &parse(&to_ron(min).unwrap(), "min.ron").unwrap(),
            Path::new("."),
        )
        .unwrap();
        assert_eq!(again.len(), 1);
        assert!(again[0].same_failure(&shrunk.failure), "{}", again[0]);
    }

    #[test]
    fn data_that_never_all_arrives_shrinks_keeping_the_count_that_did() {
        // The cut outlasts the retransmissions: the connection times out
        // with part of the data delivered. Noise around it goes; the cut,
        // the data and the count that arrived stay.
        let text = r#"Scenario(
    name: "stall",
    seed: 5,
    hosts: [Host(name: "a", addr: "10.0.0.1"), Host(name: "b", addr: "10.0.0.2")],
    links: [Link(between: ("a", "b"), conditions: (latency: "5ms", jitter: "1ms"))],
    tcp: (max_retransmissions: 3, initial_rto: "200ms"),
    listen: [Listen(host: "b", port: 80), Listen(host: "b", port: 81)],
    timeline: [
        At("0ms", Connect(conn: "main", from: "a", to: "b", port: 80)),
        At("0ms", Connect(conn: "other", from: "a", to: "b", port: 81)),
        At("20ms", Send(conn: "main", from: "a", data: Pattern(200000))),
        At("20ms", Send(conn: "other", from: "a", data: Pattern(3000))),
        At("25ms", CutLink(between: ("a", "b"), duration: "1h")),
    ],
    expect: (delivered: [(conn: "main", to: "b", bytes: 200000)]),
)"#;
        let scenario = parse(text, "stall.ron").unwrap();
        let shrunk = shrink(&scenario, Path::new("."), scenario.seed, 200).unwrap();
        let arrived = observed(&shrunk.failure);
        assert!(
            matches!(shrunk.failure, Failure::Delivered { actual, .. } if actual > 0 && actual < 200000),
            "{}",
            shrunk.failure
        );
        let min = &shrunk.scenario;
        let kinds: Vec<&str> = (min.timeline.iter())
            .map(|step| match &step.1 {
                Action::Connect { .. } => "Connect",
                Action::Send { .. } => "Send",
                Action::CutLink { .. } => "CutLink",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["Connect", "Send", "CutLink"], "{:?}", shrunk.cut);
        assert!(
            (shrunk.cut.iter()).any(|c| c
                == r#"the step At("20ms", Send(conn: "other", from: "a", data: Pattern(3000)))"#),
            "{:?}",
            shrunk.cut
        );
        assert!(
            shrunk.cut.iter().any(|c| c == "the jitter of link a->b"),
            "{:?}",
            shrunk.cut
        );
        let again = failures(
            &parse(&to_ron(min).unwrap(), "min.ron").unwrap(),
            Path::new("."),
        )
        .unwrap();
        assert_eq!(observed(&again[0]), arrived);
    }

    #[test]
    fn another_observation_is_another_failure() {
        let delivered = |actual| Failure::Delivered {
            conn: "c1".into(),
            to: "b".into(),
            expected: 100,
            actual,
        };
        assert!(delivered(40).same_failure(&delivered(40)));
        assert!(delivered(40).same_expectation(&delivered(0)));
        assert!(!delivered(40).same_failure(&delivered(0)));
    }

    #[test]
    fn the_min_file_leaves_out_defaults_and_keeps_the_units_written() {
        let original = r#"Scenario(
    name: "units",
    hosts: [Host(name: "a", addr: "10.0.0.1"), Host(name: "b", addr: "10.0.0.2")],
    // A comment with a "quote: "5ms" in it.
    links: [Link(between: ("a", "b"), conditions: (latency: "1000us", jitter: "0ms"))],
    listen: [Listen(host: "b", port: 80)],
    timeline: [
        At("1.5s", Connect(conn: "c", from: "a", to: "b", port: 80)),
        At("2000ms", Fault(action: Delay("0.25s"), nth: 1, matching: (from: "a"))),
    ],
    limits: (max_time: "10min"),
)"#;
        let scenario = parse(original, "units.ron").unwrap();
        let min = to_min_ron(&scenario, original).unwrap();
        assert_eq!(
            min,
            r#"#![enable(implicit_some)]
Scenario(
    name: "units",
    hosts: [
        Host(
            name: "a",
            addr: "10.0.0.1",
        ),
        Host(
            name: "b",
            addr: "10.0.0.2",
        ),
    ],
    links: [
        Link(
            between: ("a", "b"),
            conditions: Conditions(
                latency: "1000us",
            ),
        ),
    ],
    listen: [
        Listen(
            host: "b",
            port: 80,
        ),
    ],
    timeline: [
        At("1.5s", Connect(
            conn: "c",
            from: "a",
            to: "b",
            port: 80,
        )),
        At("2000ms", Fault(
            action: Delay("0.25s"),
            nth: 1,
            matching: SegmentFilter(
                from: "a",
            ),
        )),
    ],
)
"#
        );
        assert_eq!(to_ron(&parse(&min, "min.ron").unwrap()), to_ron(&scenario));
    }

    #[test]
    fn a_passing_scenario_has_nothing_to_shrink() {
        let fault = r#"At("2ms", Fault(action: Tamper(byte: 0, xor: 1), nth: 1, matching: (from: "a", payload: true))),"#;
        let passing = FAILING.replace(fault, "");
        let scenario = parse(&passing, "ok.ron").unwrap();
        assert_eq!(
            shrink(&scenario, Path::new("."), 3, 100).unwrap_err(),
            ShrinkError::Passes
        );
    }

    #[test]
    fn every_shipped_scenario_survives_the_ron_round_trip() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ron") {
                let original = crate::load::load_file(&path).unwrap();
                let text = to_ron(&original).unwrap();
                let again = parse(&text, "again.ron").unwrap_or_else(|e| panic!("{e}\n{text}"));
                assert_eq!(to_ron(&again).unwrap(), text, "{}", path.display());
            }
        }
    }
}
