//! Probing a real server with the edge-case catalogue: each scenario whose
//! client is a conversation runs against the server, and its verdict says
//! whether the server answered as the conversation expects, which is as the
//! RFC the scenario cites says it must.

use std::path::Path;

use serde::Serialize;
use tlsim_net::NoTap;
use tlsim_sim::{Event, Kind, Layer};
use tlsim_tls_script::Verdict;

use super::{RealError, RealOptions, Sinks, connect};
use crate::schema::{Action, AlertExpect, AlertLevelName, Scenario};

/// What a probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeVerdict {
    /// The server answered as the conversation expects.
    Pass,
    /// It answered otherwise.
    Differs,
    /// The scenario probes a client: it cannot run against a server.
    Skipped,
}

impl ProbeVerdict {
    /// `pass`, `differs` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeVerdict::Pass => "pass",
            ProbeVerdict::Differs => "differs",
            ProbeVerdict::Skipped => "skipped",
        }
    }
}

/// One probe's result, as a line of `tlsim probe` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct Probe {
    /// The scenario's name.
    pub probe: String,
    /// What the scenario expects of the server: its alert, or none.
    pub expected: String,
    /// The alerts the server sent, or how it ended the connection.
    pub observed: String,
    /// The verdict.
    pub verdict: ProbeVerdict,
    /// For a probe that differs: the step that did not hold, and what it
    /// expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The conversation the scenario's client runs, if its client is one.
fn probing_conversation(scenario: &Scenario) -> Option<(&str, &str)> {
    scenario.timeline.iter().find_map(|step| match &step.1 {
        Action::Connect {
            conn,
            to,
            conversation: Some(_),
            ..
        } => Some((conn.0.as_str(), to.0.as_str())),
        _ => None,
    })
}

/// What the scenario's expectations say the server sends.
fn expected_of(scenario: &Scenario, conn: &str, server: &str) -> String {
    let said: Vec<String> = (scenario.expect.alerts.iter())
        .filter(|a| {
            let (c, from) = a.end();
            c.0 == conn && from.0 == server
        })
        .map(|a| match a {
            AlertExpect::Alert {
                level, description, ..
            } => format!("{} {description}", level_name(*level)),
            AlertExpect::AnyAlert { .. } => "an error alert".into(),
            AlertExpect::AlertOrClose { .. } => "an error alert, or a close".into(),
            AlertExpect::NoAlert { .. } => "no error alert".into(),
        })
        .collect();
    if said.is_empty() {
        "what the conversation expects".into()
    } else {
        said.join(", ")
    }
}

fn level_name(level: AlertLevelName) -> &'static str {
    match level {
        AlertLevelName::Warning => "warning",
        AlertLevelName::Fatal => "fatal",
    }
}

/// The alerts the probe received, as `fatal decrypt_error`.
fn alerts_received(events: &[Event]) -> Vec<String> {
    (events.iter())
        .filter(|e| e.kind == Kind::Recv && e.layer == Layer::Tls)
        .filter_map(|e| {
            let name = e.title.strip_prefix("TLS Alert (")?.strip_suffix(')')?;
            let level = e.field_value("Level").unwrap_or("");
            let level = level.split(' ').next().unwrap_or("").to_lowercase();
            Some(format!("{level} {name}").trim().to_string())
        })
        .collect()
}

/// Runs the scenario's probing conversation against the server at `addr`.
pub fn probe(
    scenario: &Scenario,
    base: &Path,
    addr: &str,
    opts: RealOptions,
) -> Result<Probe, RealError> {
    let Some((conn, server)) = probing_conversation(scenario) else {
        return Ok(Probe {
            probe: scenario.name.clone(),
            expected: "a client to probe".into(),
            observed: "its client is tlsim's own: the scenario probes a client".into(),
            verdict: ProbeVerdict::Skipped,
            detail: None,
        });
    };
    let mut events: Vec<Event> = Vec::new();
    let conns = connect(
        scenario,
        base,
        addr,
        opts,
        Sinks {
            tracer: &mut events,
            tap: &mut NoTap,
            keylog: &mut |_| {},
            ended: &mut |_| {},
        },
    )?;
    let report = conns
        .iter()
        .find(|c| c.name == conn)
        .and_then(|c| c.end.conversation.clone());
    let alerts = alerts_received(&events);
    let received = if alerts.is_empty() {
        "no alert".to_string()
    } else {
        alerts.join(", ")
    };
    // A failed step says best what came instead; a passed conversation
    // saw what it expected, the alerts among it.
    let (verdict, observed, detail) = match report.map(|r| r.verdict) {
        Some(Verdict::Passed) => (ProbeVerdict::Pass, received, None),
        Some(Verdict::Failed(f)) => (
            ProbeVerdict::Differs,
            f.observed.clone(),
            Some(format!("step {}: expected {}", f.step, f.expected)),
        ),
        Some(Verdict::Running) | None => (
            ProbeVerdict::Differs,
            received,
            Some("the conversation did not finish before the connection ended".into()),
        ),
    };
    Ok(Probe {
        probe: scenario.name.clone(),
        expected: expected_of(scenario, conn, server),
        observed,
        verdict,
        detail,
    })
}
