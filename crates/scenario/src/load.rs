//! Reading a scenario file: syntax, names, and the checks serde cannot make.
//!
//! Every error carries the file, line and column, and says what was expected.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use ron::extensions::Extensions;

use crate::names::{Declared, with_declared};
use crate::schema::{Action, FaultAction, Scenario};

/// A scenario that could not be read or does not make sense.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as given.
    pub file: String,
    /// Line, from 1 (0 when the error is about the file as a whole).
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Reads and validates the scenario at `path`.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        col: 0,
        message: format!("cannot read the scenario: {e}"),
    })?;
    parse(&source, &file)
}

fn ron_options() -> ron::Options {
    // `implicit_some` lets a file write `reverse: (latency: "5ms")` instead of
    // `reverse: Some((latency: "5ms"))`.
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn parse(source: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let from_ron = |e: ron::error::SpannedError| ScenarioError {
        file: file.to_string(),
        line: e.span.start.line,
        col: e.span.start.col,
        message: describe_ron_error(&e.code),
    };
    // Pass 1: syntax and shape, with names unchecked.
    let draft: Scenario = ron_options().from_str(source).map_err(from_ron)?;
    let declared = Declared {
        hosts: draft.hosts.iter().map(|h| h.name.clone()).collect(),
        conns: draft
            .timeline
            .iter()
            .filter_map(|step| match &step.1 {
                Action::Connect { conn, .. } => Some(conn.0.clone()),
                _ => None,
            })
            .collect(),
        keys: draft.pki.keys.iter().map(|k| k.name.clone()).collect(),
        certs: draft
            .pki
            .certificates
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        tls_clients: draft.tls.clients.iter().map(|c| c.name.clone()).collect(),
        tls_servers: draft.tls.servers.iter().map(|c| c.name.clone()).collect(),
    };
    // Pass 2: the same text with every reference checked where it stands.
    let scenario: Scenario =
        with_declared(declared, || ron_options().from_str(source)).map_err(from_ron)?;
    validate(&scenario, source).map_err(|(at, message)| {
        let (line, col) = at.map(|offset| line_col(source, offset)).unwrap_or((0, 0));
        ScenarioError {
            file: file.to_string(),
            line,
            col,
            message,
        }
    })?;
    Ok(scenario)
}

fn describe_ron_error(code: &ron::Error) -> String {
    match code {
        ron::Error::Message(m) => m.clone(),
        other => other.to_string(),
    }
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Byte offset of the `n`-th (from 0) occurrence of `needle`, if any.
fn nth_offset(source: &str, needle: &str, n: usize) -> Option<usize> {
    source.match_indices(needle).nth(n).map(|(i, _)| i)
}

/// Byte offset of the `n`-th timeline step (`At(`), from 0.
fn step_offset(source: &str, n: usize) -> Option<usize> {
    let timeline = source.find("timeline")?;
    nth_offset(&source[timeline..], "At(", n).map(|i| i + timeline)
}

type Invalid = (Option<usize>, String);

/// Checks that need more than one value at a time.
fn validate(s: &Scenario, source: &str) -> Result<(), Invalid> {
    let quoted = |name: &str| format!("{name:?}");

    let mut names = BTreeSet::new();
    let mut addrs = BTreeMap::new();
    for host in &s.hosts {
        if !names.insert(host.name.as_str()) {
            return Err((
                nth_offset(source, &quoted(&host.name), 1),
                format!(
                    "host name {:?} is declared twice: host names must be unique",
                    host.name
                ),
            ));
        }
        if let Some(other) = addrs.insert(host.addr, host.name.as_str()) {
            return Err((
                nth_offset(source, &format!("\"{}\"", host.addr), 1),
                format!(
                    "hosts {other:?} and {:?} have the same address {}",
                    host.name, host.addr
                ),
            ));
        }
    }
    if s.hosts.is_empty() {
        return Err((
            source.find("hosts"),
            "a scenario needs at least one host".into(),
        ));
    }

    let mut linked = BTreeSet::new();
    let links_at = source.find("links").unwrap_or(0);
    for (index, link) in s.links.iter().enumerate() {
        let (a, b) = (&link.between.0.0, &link.between.1.0);
        if a == b {
            return Err((
                source.find(&format!("({}, {})", quoted(a), quoted(b))),
                format!("a link joins two different hosts, but both ends are {a:?}"),
            ));
        }
        let key = if a < b { (a, b) } else { (b, a) };
        if !linked.insert(key) {
            return Err((
                nth_offset(&source[links_at..], "between", index).map(|i| i + links_at),
                format!("hosts {a:?} and {b:?} are joined by more than one link"),
            ));
        }
        for c in std::iter::once(&link.conditions).chain(link.reverse.as_ref()) {
            if c.mtu < 68 {
                return Err((
                    source.find(&format!("mtu: {}", c.mtu)),
                    format!(
                        "mtu {} is below IPv4's minimum of 68 bytes (RFC 791)",
                        c.mtu
                    ),
                ));
            }
        }
    }

    let mut listening = BTreeSet::new();
    let listen_at = source.find("listen").unwrap_or(0);
    for (index, l) in s.listen.iter().enumerate() {
        if l.port == 0 {
            return Err((
                source.find("port: 0"),
                "port 0 cannot be listened on: expected 1 to 65535".into(),
            ));
        }
        if !listening.insert((l.host.0.as_str(), l.port)) {
            return Err((
                nth_offset(&source[listen_at..], "Listen(", index).map(|i| i + listen_at),
                format!("{:?} listens on port {} twice", l.host.0, l.port),
            ));
        }
    }

    if let Some(mss) = s
        .tcp
        .mss
        .into_iter()
        .chain(s.hosts.iter().filter_map(|h| h.tcp.as_ref()?.mss))
        .find(|m| *m < 64)
    {
        return Err((
            source.find("mss"),
            format!("mss {mss} is too small: expected at least 64 bytes"),
        ));
    }

    validate_tls(s, source)?;
    for l in &s.listen {
        if l.app.is_some() && l.tls.is_none() {
            return Err((
                source.find("SpdyServer"),
                format!(
                    "the application on {}:{} needs TLS: add tls: \"<server profile>\"",
                    l.host.0, l.port
                ),
            ));
        }
    }

    let mut ends: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut previous = None;
    for (i, step) in s.timeline.iter().enumerate() {
        // Found only when reporting an error: the search is linear in the file.
        let at = || step_offset(source, i);
        if let Some(before) = previous.filter(|t| *t > step.0) {
            return Err((
                at(),
                format!(
                    "timeline steps must be in time order: this step at {} comes after one at {before}",
                    step.0
                ),
            ));
        }
        previous = Some(step.0);
        let end_of = |conn: &str,
                      host: &str,
                      ends: &BTreeMap<&str, (&str, &str)>|
         -> Result<(), Invalid> {
            match ends.get(conn) {
                None => Err((
                    at(),
                    format!("connection {conn:?} is used before the step that opens it"),
                )),
                Some((a, b)) if host != *a && host != *b => Err((
                    at(),
                    format!(
                        "host {host:?} is not an end of connection {conn:?}: expected {a:?} or {b:?}"
                    ),
                )),
                Some(_) => Ok(()),
            }
        };
        match &step.1 {
            Action::Connect {
                conn,
                from,
                to,
                port,
                tls,
                app,
            } => {
                if app.is_some() && tls.is_none() {
                    return Err((
                        at(),
                        format!(
                            "the application on {:?} needs TLS: add tls: \"<client profile>\"",
                            conn.0
                        ),
                    ));
                }
                if ends.insert(&conn.0, (&from.0, &to.0)).is_some() {
                    return Err((
                        at(),
                        format!(
                            "connection name {:?} is used by two Connect steps: names must be unique",
                            conn.0
                        ),
                    ));
                }
                if from == to {
                    return Err((
                        at(),
                        format!(
                            "{:?} cannot connect to itself: expected another host",
                            from.0
                        ),
                    ));
                }
                let key = if from.0 < to.0 {
                    (&from.0, &to.0)
                } else {
                    (&to.0, &from.0)
                };
                if !linked.contains(&key) {
                    return Err((
                        at(),
                        format!(
                            "no link joins {:?} and {:?}: add one to `links`",
                            from.0, to.0
                        ),
                    ));
                }
                if *port == 0 {
                    return Err((
                        at(),
                        "port 0 cannot be connected to: expected 1 to 65535".into(),
                    ));
                }
            }
            Action::Send { conn, from, .. }
            | Action::Close { conn, from }
            | Action::Abort { conn, from } => {
                end_of(&conn.0, &from.0, &ends)?;
            }
            Action::Fault { nth, action, .. } => {
                if *nth == 0 {
                    return Err((
                        at(),
                        "nth counts matching segments from 1: expected 1 or more".into(),
                    ));
                }
                if let FaultAction::Tamper { xor: 0, .. } = action {
                    return Err((
                        at(),
                        "Tamper with xor 0 changes nothing: expected 1 to 255".into(),
                    ));
                }
            }
            Action::CutLink { between, .. } => {
                let (a, b) = (&between.0.0, &between.1.0);
                let key = if a < b { (a, b) } else { (b, a) };
                if !linked.contains(&key) {
                    return Err((
                        at(),
                        format!("no link joins {a:?} and {b:?}, so none can be cut"),
                    ));
                }
            }
        }
    }

    for st in &s.expect.states {
        if crate::runner::parse_state(&st.state).is_none() {
            return Err((
                source.find(&quoted(&st.state)),
                format!(
                    "unknown TCP state {:?}: expected one of CLOSED, LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, \
                     FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT",
                    st.state
                ),
            ));
        }
        ends.get(st.conn.0.as_str())
            .filter(|(a, b)| st.host.0 == *a || st.host.0 == *b)
            .ok_or_else(|| {
                (
                    None,
                    format!(
                        "host {:?} is not an end of connection {:?}",
                        st.host.0, st.conn.0
                    ),
                )
            })?;
    }
    for d in &s.expect.delivered {
        ends.get(d.conn.0.as_str())
            .filter(|(a, b)| d.to.0 == *a || d.to.0 == *b)
            .ok_or_else(|| {
                (
                    None,
                    format!(
                        "host {:?} is not an end of connection {:?}",
                        d.to.0, d.conn.0
                    ),
                )
            })?;
    }
    Ok(())
}

fn unique<'a>(
    kind: &str,
    names: impl Iterator<Item = &'a String>,
    source: &str,
) -> Result<(), Invalid> {
    let mut seen = BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err((
                nth_offset(source, &format!("{name:?}"), 1),
                format!("{kind} name {name:?} is declared twice: names must be unique"),
            ));
        }
    }
    Ok(())
}

fn check_len(
    what: &str,
    value: &Option<Vec<u8>>,
    allowed: std::ops::RangeInclusive<usize>,
    source: &str,
) -> Result<(), Invalid> {
    match value {
        Some(v) if !allowed.contains(&v.len()) => Err((
            source.find(what),
            format!(
                "{what} is {} bytes: expected {} to {} bytes",
                v.len(),
                allowed.start(),
                allowed.end()
            ),
        )),
        _ => Ok(()),
    }
}

fn check_ivs(ivs: &[Vec<u8>], source: &str) -> Result<(), Invalid> {
    match ivs.iter().find(|iv| iv.len() != 16) {
        Some(iv) => Err((
            source.find("cbc_ivs"),
            format!(
                "a CBC IV is {} bytes: expected 16 (the AES block size)",
                iv.len()
            ),
        )),
        None => Ok(()),
    }
}

/// Checks of keys, certificates and TLS profiles.
fn validate_tls(s: &Scenario, source: &str) -> Result<(), Invalid> {
    unique("key", s.pki.keys.iter().map(|k| &k.name), source)?;
    unique(
        "certificate",
        s.pki.certificates.iter().map(|c| &c.name),
        source,
    )?;
    unique(
        "TLS client profile",
        s.tls.clients.iter().map(|c| &c.name),
        source,
    )?;
    unique(
        "TLS server profile",
        s.tls.servers.iter().map(|c| &c.name),
        source,
    )?;
    for (i, cert) in s.pki.certificates.iter().enumerate() {
        if let Some(issuer) = &cert.issuer {
            if !s.pki.certificates[..i].iter().any(|c| c.name == issuer.0) {
                return Err((
                    nth_offset(source, &format!("issuer: {:?}", issuer.0), 0),
                    format!(
                        "certificate {:?} is issued by {:?}, which must be listed before it",
                        cert.name, issuer.0
                    ),
                ));
            }
        }
        if cert.not_after < cert.not_before {
            return Err((
                source.find(&format!("{:?}", cert.name)),
                format!("certificate {:?} expires before it starts", cert.name),
            ));
        }
    }
    for c in &s.tls.clients {
        if c.cipher_suites.is_empty() {
            return Err((
                source.find(&format!("{:?}", c.name)),
                format!("TLS client {:?} offers no cipher suite", c.name),
            ));
        }
        if c.min_version.value() > c.max_version.value() {
            return Err((
                source.find("min_version"),
                format!("TLS client {:?}: min_version is above max_version", c.name),
            ));
        }
        check_len("client_random", &c.pins.client_random, 32..=32, source)?;
        check_len("ephemeral_key", &c.pins.ephemeral_key, 32..=32, source)?;
        check_ivs(&c.pins.cbc_ivs, source)?;
    }
    for p in &s.tls.servers {
        let at = source.find(&format!("{:?}", p.name));
        if p.cipher_suites.is_empty() || p.chain.is_empty() {
            return Err((
                at,
                format!(
                    "TLS server {:?} needs at least one cipher suite and a certificate chain",
                    p.name
                ),
            ));
        }
        if p.min_version.value() > p.max_version.value() {
            return Err((
                source.find("min_version"),
                format!("TLS server {:?}: min_version is above max_version", p.name),
            ));
        }
        let leaf = s.pki.certificates.iter().find(|c| c.name == p.chain[0].0);
        if leaf.is_some_and(|leaf| leaf.key != p.key) {
            return Err((
                at,
                format!(
                    "TLS server {:?}: key {:?} is not the key of the leaf certificate {:?}",
                    p.name, p.key.0, p.chain[0].0
                ),
            ));
        }
        check_len("server_random", &p.pins.server_random, 32..=32, source)?;
        check_len("session_id", &p.pins.session_id, 1..=32, source)?;
        check_len("ephemeral_key", &p.pins.ephemeral_key, 32..=32, source)?;
        check_ivs(&p.pins.cbc_ivs, source)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"Scenario(
    name: "t",
    hosts: [
        Host(name: "client", addr: "10.0.0.1"),
        Host(name: "server", addr: "10.0.0.2"),
    ],
    links: [Link(between: ("client", "server"), conditions: (latency: "10ms", loss: 0.1))],
    listen: [Listen(host: "server", port: 80)],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 80)),
        At("1ms", Send(conn: "c1", from: "client", data: Pattern(100))),
    ],
)"#;

    fn error_of(source: &str) -> ScenarioError {
        parse(source, "x.ron").expect_err("the scenario should be rejected")
    }

    #[test]
    fn accepts_a_well_formed_scenario() {
        let s = parse(GOOD, "x.ron").unwrap();
        assert_eq!(s.hosts.len(), 2);
        assert_eq!(s.timeline.len(), 2);
    }

    #[test]
    fn reports_a_loss_above_one_at_its_position() {
        let e = error_of(&GOOD.replace("loss: 0.1", "loss: 1.5"));
        assert_eq!((e.line, e.file.as_str()), (7, "x.ron"));
        assert!(e.message.contains("probability 1.5 is out of range"), "{e}");
    }

    #[test]
    fn reports_a_second_link_between_the_same_hosts_where_it_is() {
        let twice = GOOD.replace(
            r#"loss: 0.1))],"#,
            r#"loss: 0.1)),
        Link(between: ("server", "client"))],"#,
        );
        let e = error_of(&twice);
        assert_eq!((e.line, e.col), (8, 14), "{e}");
        assert!(e.to_string().contains("more than one link"), "{e}");
    }

    #[test]
    fn reports_a_negative_latency() {
        let e = error_of(&GOOD.replace("\"10ms\"", "\"-10ms\""));
        assert_eq!(e.line, 7);
        assert!(e.message.contains("expected a number and a unit"), "{e}");
    }

    #[test]
    fn reports_an_unknown_host_where_it_is_named() {
        let e = error_of(&GOOD.replace("to: \"server\"", "to: \"sever\""));
        assert_eq!(e.line, 10, "{e}");
        assert!(
            e.message
                .contains("unknown host \"sever\": expected one of client, server"),
            "{e}"
        );
    }

    #[test]
    fn reports_an_unknown_connection() {
        let e = error_of(&GOOD.replace("Send(conn: \"c1\"", "Send(conn: \"c2\""));
        assert_eq!(e.line, 11, "{e}");
        assert!(e.message.contains("unknown connection \"c2\""), "{e}");
    }

    #[test]
    fn reports_syntax_errors_with_line_and_column() {
        let e = error_of(&GOOD.replace("port: 80)]", "port: 80]"));
        assert_eq!(e.line, 8, "{e}");
        assert!(e.to_string().starts_with("x.ron:8:"), "{e}");
    }

    #[test]
    fn reports_unknown_fields() {
        let e = error_of(&GOOD.replace("latency:", "latncy:"));
        assert!(e.message.contains("latncy"), "{e}");
    }

    #[test]
    fn rejects_a_send_from_a_host_that_is_not_an_end() {
        let three = GOOD
            .replace("Host(name: \"server\", addr: \"10.0.0.2\"),", "Host(name: \"server\", addr: \"10.0.0.2\"),\n        Host(name: \"other\", addr: \"10.0.0.3\"),")
            .replace("Send(conn: \"c1\", from: \"client\"", "Send(conn: \"c1\", from: \"other\"");
        let e = error_of(&three);
        assert!(e.message.contains("not an end of connection \"c1\""), "{e}");
        assert_eq!(e.line, 12, "{e}");
    }

    #[test]
    fn rejects_duplicate_host_names() {
        let e = error_of(&GOOD.replace(
            "Host(name: \"server\", addr: \"10.0.0.2\"),",
            "Host(name: \"server\", addr: \"10.0.0.2\"),\n        Host(name: \"client\", addr: \"10.0.0.3\"),",
        ));
        assert!(e.message.contains("declared twice"), "{e}");
        assert_eq!(e.line, 6, "{e}");
    }
}
