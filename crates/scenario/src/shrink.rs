//! Shrinking a failing scenario to a smaller one that fails the same way.
//!
//! A greedy, deterministic reduction in the manner of delta debugging: each
//! candidate is the current scenario with one thing taken away — a timeline
//! step, a link's randomness, half of some Pattern data, an offered cipher
//! suite or group — and it is kept when it still loads (it is written out as
//! RON and read back, so every check of a hand-written file applies) and its
//! run fails the same way: the expectation that failed first still fails,
//! and none that held now fails (so taking away the step that sends the
//! data cannot pass for the bug that lost it). Candidates are tried
//! until none helps or the run budget is spent. The result carries the seed
//! it fails with, so it replays on its own.

use std::path::Path;

use tlsim_net::NoTap;

use crate::expect::{EventChecker, Failure, check};
use crate::load::parse;
use crate::runner::{RunOptions, run_in};
use crate::schema::{Action, Conditions, Data, Scenario};
use crate::units::Chance;

/// What [`shrink`] found.
#[derive(Debug)]
pub struct Shrunk {
    /// The smallest failing scenario found, with the seed it fails with.
    pub scenario: Scenario,
    /// The failure it keeps: the first one of the original (others may be
    /// gone; none is new).
    pub failure: Failure,
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
        found.iter().any(|f| f.same_expectation(&failure))
            && (found.iter()).all(|f| original.iter().any(|o| o.same_expectation(f)))
    };
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
        let still_fails = to_ron(candidate)
            .ok()
            .and_then(|text| parse(&text, "candidate").ok())
            .and_then(|reloaded| failures(&reloaded, base).ok())
            .is_some_and(|found| fails_the_same_way(&found));
        if still_fails {
            current = list.swap_remove(next);
            changed = true;
            list = candidates(&current);
        } else {
            next += 1;
        }
    }
    Ok(Shrunk {
        scenario: current,
        failure,
        runs,
    })
}

/// The expectations a run of `scenario` does not meet.
fn failures(scenario: &Scenario, base: &Path) -> Result<Vec<Failure>, String> {
    let mut events = EventChecker::new(&scenario.expect);
    let outcome = run_in(
        scenario,
        base,
        scenario.seed,
        RunOptions::default(),
        &mut events,
        &mut NoTap,
    )?;
    Ok(check(&scenario.expect, &outcome, &events))
}

/// Every one-step simplification of `s`, in a fixed order.
fn candidates(s: &Scenario) -> Vec<Scenario> {
    let mut out = Vec::new();
    let mut variant = |edit: &dyn Fn(&mut Scenario)| {
        let mut v = s.clone();
        edit(&mut v);
        out.push(v);
    };
    // Later steps first: they are the likelier to be irrelevant.
    for i in (0..s.timeline.len()).rev() {
        variant(&|v| {
            v.timeline.remove(i);
        });
    }
    for (l, link) in s.links.iter().enumerate() {
        if link.reverse.is_some() {
            variant(&|v| v.links[l].reverse = None);
        }
        let directions = [Some(&link.conditions), link.reverse.as_ref()];
        for (d, conditions) in directions.into_iter().enumerate() {
            let Some(conditions) = conditions else {
                continue;
            };
            for quiet in quieter(conditions) {
                variant(&|v| {
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
                variant(&|v| {
                    if let Action::Send { data, .. } = &mut v.timeline[i].1 {
                        *data = Data::Pattern(half);
                    }
                });
            }
        }
    }
    for (c, client) in s.tls.clients.iter().enumerate() {
        for i in (0..client.cipher_suites.len()).filter(|_| client.cipher_suites.len() > 1) {
            variant(&|v| {
                v.tls.clients[c].cipher_suites.remove(i);
            });
        }
        for i in (0..client.groups.len()).filter(|_| client.groups.len() > 1) {
            variant(&|v| {
                v.tls.clients[c].groups.remove(i);
            });
        }
    }
    for (c, server) in s.tls.servers.iter().enumerate() {
        for i in (0..server.cipher_suites.len()).filter(|_| server.cipher_suites.len() > 1) {
            variant(&|v| {
                v.tls.servers[c].cipher_suites.remove(i);
            });
        }
    }
    out
}

/// Edits that each turn off one random behaviour of a link direction.
fn quieter(c: &Conditions) -> Vec<fn(&mut Conditions)> {
    let mut edits: Vec<fn(&mut Conditions)> = Vec::new();
    if c.jitter.0 > tlsim_sim::Duration::ZERO {
        edits.push(|c| c.jitter = Default::default());
    }
    let never = |chance: Chance| chance.0 == 0.0;
    if !never(c.loss) {
        edits.push(|c| c.loss = Chance(0.0));
    }
    if !never(c.duplicate) {
        edits.push(|c| c.duplicate = Chance(0.0));
    }
    if !never(c.reorder) {
        edits.push(|c| c.reorder = Chance(0.0));
    }
    if !never(c.corrupt) {
        edits.push(|c| c.corrupt = Chance(0.0));
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
