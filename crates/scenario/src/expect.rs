//! Checking a run against its scenario's `expect` section.
//!
//! Event expectations are matched as the events stream past ([`EventChecker`]
//! is a [`Tracer`]), so a long run is never held in memory to be checked.
//! The checker wants events only while an expected one has yet to come, so
//! a scenario without event expectations runs untraced: states, deliveries,
//! alerts and conversations are judged from what each end counted
//! ([`Outcome`]), never from the event stream.

use core::fmt;
use std::path::Path;

use tlsim_sim::{Event, Instant, Tracer};
use tlsim_tls::conn::alert_name;
use tlsim_tls::enums::AlertLevel;

use tlsim_tls_script::Verdict;

use crate::ends::AlertSeen;
use crate::runner::{ConnReport, End, Outcome, RunOptions, parse_state, run_in};
use crate::schema::{AlertExpect, EventMatch, Expect, Scenario};

/// Matches the expected events, in order, against the events of a run.
#[derive(Debug)]
pub struct EventChecker {
    wanted: Vec<EventMatch>,
    matched: usize,
    /// Events seen so far: the next one's number in the log.
    seen: u64,
    last_matched_seq: Option<u64>,
}

impl EventChecker {
    /// A checker for `expect.events`.
    pub fn new(expect: &Expect) -> Self {
        EventChecker {
            wanted: expect.events.clone(),
            matched: 0,
            seen: 0,
            last_matched_seq: None,
        }
    }
}

fn matches(m: &EventMatch, e: &Event) -> bool {
    m.title == e.title
        && m.actor.as_ref().is_none_or(|a| *a == e.actor)
        && m.kind.is_none_or(|k| k == e.kind)
        && m.layer.is_none_or(|l| l == e.layer)
        && m.fields
            .iter()
            .all(|(name, value)| e.field_value(name) == Some(value.as_str()))
}

impl Tracer for EventChecker {
    /// Only while an expected event has yet to come: building and
    /// dissecting events nobody reads is most of an untraced run's cost.
    /// Until then every event is recorded, so the count numbers them as
    /// the log does.
    fn enabled(&self) -> bool {
        self.matched < self.wanted.len()
    }

    fn record(&mut self, event: Event) {
        let seq = self.seen;
        self.seen += 1;
        if let Some(next) = self.wanted.get(self.matched) {
            if matches(next, &event) {
                self.matched += 1;
                self.last_matched_seq = Some(seq);
            }
        }
    }
}

/// Runs `scenario` under `seed` and checks its expectations, building
/// events only when it expects some (see [`EventChecker::enabled`]).
/// `base` is the folder its key files are named from; fails only when its
/// keys or certificates cannot be made.
pub fn run_and_check(
    scenario: &Scenario,
    base: &Path,
    seed: u64,
    opts: RunOptions,
) -> Result<(Outcome, Vec<Failure>), String> {
    let mut events = EventChecker::new(&scenario.expect);
    let outcome = run_in(
        scenario,
        base,
        seed,
        opts,
        &mut events,
        &mut tlsim_net::NoTap,
    )?;
    let failures = check(&scenario.expect, &outcome, &events);
    Ok((outcome, failures))
}

/// One expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The run hit a limit instead of finishing.
    DidNotFinish(End),
    /// A connection end finished in another state.
    State {
        /// Connection name.
        conn: String,
        /// Host of the end.
        host: String,
        /// Expected RFC 9293 state.
        expected: String,
        /// Actual state.
        actual: String,
    },
    /// A connection end received another number of bytes.
    Delivered {
        /// Connection name.
        conn: String,
        /// Receiving host.
        to: String,
        /// Expected byte count.
        expected: u64,
        /// Bytes received.
        actual: u64,
    },
    /// The bytes received differ from the bytes sent (lost, repeated, reordered or altered).
    NotIntact {
        /// Connection name.
        conn: String,
        /// Receiving host.
        to: String,
    },
    /// An expected event never came (after the ones before it in the list).
    EventMissing {
        /// Position in `expect.events`, from 1.
        index: usize,
        /// What was expected.
        wanted: String,
        /// The log position of the previous expected event, if any matched.
        after_seq: Option<u64>,
    },
    /// A conversation end's script did not pass: a step did not hold, or
    /// the run ended while a step waited.
    Conversation {
        /// Connection name.
        conn: String,
        /// Host of the scripted end.
        host: String,
        /// The step, numbered from 0 as `docs/conversations.md` numbers it.
        step: usize,
        /// What the step expected.
        expected: String,
        /// What came instead.
        observed: String,
    },
    /// A connection end sent another alert, or none, or one it must not.
    Alert {
        /// Connection name.
        conn: String,
        /// The end that sends.
        from: String,
        /// What was expected, in words: "fatal unexpected_message", "an
        /// alert", "an alert or a close", "no alert".
        expected: String,
        /// What that end did.
        observed: AlertsObserved,
    },
}

/// The alerts one end sent, and whether it closed the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertsObserved {
    /// The alerts (close_notify aside), in the order sent.
    pub sent: Vec<AlertSeen>,
    /// When the end closed or reset the connection, if it did.
    pub closed_at: Option<Instant>,
}

impl AlertsObserved {
    /// Whether `other` saw the same alerts and the same close, whenever
    /// they came.
    fn same_as(&self, other: &AlertsObserved) -> bool {
        let kinds = |o: &AlertsObserved| -> Vec<_> {
            o.sent.iter().map(|a| (a.level, a.description)).collect()
        };
        kinds(self) == kinds(other) && self.closed_at.is_some() == other.closed_at.is_some()
    }
}

fn level_name(level: AlertLevel) -> String {
    match level {
        AlertLevel::Fatal => "fatal".to_owned(),
        AlertLevel::Warning => "warning".to_owned(),
        other => format!("level {}", other.get()),
    }
}

/// "fatal decode_error at 12.300 ms, then …", or what the end did instead.
fn describe_observed(from: &str, o: &AlertsObserved) -> String {
    if o.sent.is_empty() {
        return match o.closed_at {
            Some(at) => format!("{from} sent no alert and closed the connection at {at}"),
            None => format!("{from} sent no alert and did not close the connection"),
        };
    }
    let alerts: Vec<String> = (o.sent.iter())
        .map(|a| {
            format!(
                "{} {} at {}",
                level_name(a.level),
                alert_name(a.description),
                a.at
            )
        })
        .collect();
    format!("{from} sent {}", alerts.join(", then "))
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::DidNotFinish(End::MaxTime) => {
                write!(f, "the run reached max_time before it finished")
            }
            Failure::DidNotFinish(End::MaxEvents) => {
                write!(f, "the run reached max_events before it finished")
            }
            Failure::DidNotFinish(End::Quiescent) => write!(f, "the run finished"),
            Failure::State {
                conn,
                host,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "state of {conn} at {host}: expected {expected}, found {actual}"
                )
            }
            Failure::Delivered {
                conn,
                to,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "bytes delivered to {to} on {conn}: expected {expected}, found {actual}"
                )
            }
            Failure::NotIntact { conn, to } => {
                write!(
                    f,
                    "bytes delivered to {to} on {conn} differ from the bytes sent"
                )
            }
            Failure::EventMissing {
                index,
                wanted,
                after_seq,
            } => match after_seq {
                Some(seq) => write!(
                    f,
                    "expected event #{index} {wanted} never came after event seq {seq}"
                ),
                None => write!(f, "expected event #{index} {wanted} never came"),
            },
            Failure::Conversation {
                conn,
                host,
                step,
                expected,
                observed,
            } => write!(
                f,
                "conversation of {host} on {conn}, step {step}: expected {expected}; observed {observed}"
            ),
            Failure::Alert {
                conn,
                from,
                expected,
                observed,
            } => write!(
                f,
                "expected {expected} from {from} on {conn}; {}",
                describe_observed(from, observed)
            ),
        }
    }
}

fn describe(m: &EventMatch) -> String {
    let mut s = format!("{:?}", m.title);
    if let Some(a) = &m.actor {
        s += &format!(" by {a}");
    }
    if let Some(k) = m.kind {
        s += &format!(" ({})", k.as_str());
    }
    for (name, value) in &m.fields {
        s += &format!(" [{name}: {value}]");
    }
    s
}

impl Failure {
    /// Whether `other` is a failure of the same expectation, whatever the
    /// values observed (a state, a byte count, a log position).
    pub fn same_expectation(&self, other: &Failure) -> bool {
        use Failure::*;
        match (self, other) {
            (DidNotFinish(a), DidNotFinish(b)) => a == b,
            (
                State {
                    conn,
                    host,
                    expected,
                    ..
                },
                State {
                    conn: c,
                    host: h,
                    expected: e,
                    ..
                },
            ) => (conn, host, expected) == (c, h, e),
            (
                Delivered {
                    conn, to, expected, ..
                },
                Delivered {
                    conn: c,
                    to: t,
                    expected: e,
                    ..
                },
            ) => (conn, to, expected) == (c, t, e),
            (NotIntact { conn, to }, NotIntact { conn: c, to: t }) => (conn, to) == (c, t),
            (
                EventMissing { index, wanted, .. },
                EventMissing {
                    index: i,
                    wanted: w,
                    ..
                },
            ) => (index, wanted) == (i, w),
            (
                Conversation {
                    conn,
                    host,
                    step,
                    expected,
                    ..
                },
                Conversation {
                    conn: c,
                    host: h,
                    step: s,
                    expected: e,
                    ..
                },
            ) => (conn, host, step, expected) == (c, h, s, e),
            (
                Alert {
                    conn,
                    from,
                    expected,
                    ..
                },
                Alert {
                    conn: c,
                    from: h,
                    expected: e,
                    ..
                },
            ) => (conn, from, expected) == (c, h, e),
            _ => false,
        }
    }

    /// Whether `other` is the same failure: the same expectation failing
    /// on the same observation (the state found, the bytes that arrived,
    /// the alerts sent), whenever in the run it came.
    pub fn same_failure(&self, other: &Failure) -> bool {
        use Failure::*;
        self.same_expectation(other)
            && match (self, other) {
                (State { actual, .. }, State { actual: a, .. }) => actual == a,
                (Delivered { actual, .. }, Delivered { actual: a, .. }) => actual == a,
                (Alert { observed, .. }, Alert { observed: o, .. }) => observed.same_as(o),
                (Conversation { observed, .. }, Conversation { observed: o, .. }) => observed == o,
                _ => true,
            }
    }
}

/// What `alert` asks of an end, in words.
fn expected_alert(alert: &AlertExpect) -> String {
    match alert {
        AlertExpect::Alert {
            level, description, ..
        } => format!("{} {description}", level_name(level.level())),
        AlertExpect::AnyAlert { .. } => "an alert".into(),
        AlertExpect::AlertOrClose { .. } => "an alert or a close".into(),
        AlertExpect::NoAlert { .. } => "no alert".into(),
    }
}

/// Every expectation of `expect` that `outcome` and the events seen by
/// `events` do not meet, in the order they are written.
pub fn check(expect: &Expect, outcome: &Outcome, events: &EventChecker) -> Vec<Failure> {
    let mut failures = Vec::new();
    if outcome.end != End::Quiescent {
        failures.push(Failure::DidNotFinish(outcome.end));
    }
    let conn = |name: &str| outcome.conns.iter().find(|c| c.name == name);
    for st in &expect.states {
        let actual = conn(&st.conn.0).and_then(|c| c.state_of(&st.host.0));
        if actual != parse_state(&st.state) {
            failures.push(Failure::State {
                conn: st.conn.0.clone(),
                host: st.host.0.clone(),
                expected: st.state.clone(),
                actual: actual.map_or_else(|| "never opened".into(), |s| s.to_string()),
            });
        }
    }
    for d in &expect.delivered {
        let flow = conn(&d.conn.0).and_then(|c| c.flow_to(&d.to.0));
        let actual = flow.map_or(0, |f| f.received.len());
        if actual != d.bytes {
            failures.push(Failure::Delivered {
                conn: d.conn.0.clone(),
                to: d.to.0.clone(),
                expected: d.bytes,
                actual,
            });
        } else if !flow.is_some_and(|f| f.intact()) {
            failures.push(Failure::NotIntact {
                conn: d.conn.0.clone(),
                to: d.to.0.clone(),
            });
        }
    }
    for alert in &expect.alerts {
        let (conn_name, from) = alert.end();
        let observed = conn(&conn_name.0).and_then(|c| c.end_of(&from.0)).map_or(
            AlertsObserved {
                sent: Vec::new(),
                closed_at: None,
            },
            |(own, peer)| AlertsObserved {
                // An end without TLS keeps no count of alerts: its
                // peer's TLS tells what arrived from it.
                sent: if own.tls.is_some() {
                    own.alerts_sent.clone()
                } else {
                    peer.alerts_received.clone()
                },
                closed_at: own.closed_at,
            },
        );
        let holds = match alert {
            AlertExpect::Alert {
                level, description, ..
            } => (observed.sent.iter())
                .any(|a| a.level == level.level() && a.description == description.0),
            AlertExpect::AnyAlert { .. } => !observed.sent.is_empty(),
            AlertExpect::AlertOrClose { .. } => {
                !observed.sent.is_empty() || observed.closed_at.is_some()
            }
            AlertExpect::NoAlert { .. } => observed.sent.is_empty(),
        };
        if !holds {
            failures.push(Failure::Alert {
                conn: conn_name.0.clone(),
                from: from.0.clone(),
                expected: expected_alert(alert),
                observed,
            });
        }
    }
    if let Some(m) = events.wanted.get(events.matched) {
        failures.push(Failure::EventMissing {
            index: events.matched + 1,
            wanted: describe(m),
            after_seq: events.last_matched_seq,
        });
    }
    failures.extend(outcome.conns.iter().flat_map(conversation_failures));
    failures
}

/// A conversation that did not pass, on either end of `conn`.
fn conversation_failures(conn: &ConnReport) -> impl Iterator<Item = Failure> + '_ {
    let ends = [
        (&conn.client, &conn.client_end),
        (&conn.server, &conn.server_end),
    ];
    ends.into_iter().filter_map(|(host, end)| {
        let report = end.conversation.as_ref()?;
        let (step, expected, observed) = match &report.verdict {
            Verdict::Passed => return None,
            Verdict::Failed(failure) => (
                failure.step,
                failure.expected.clone(),
                failure.observed.clone(),
            ),
            Verdict::Running => (
                report.step,
                "the step to complete".to_string(),
                "the run ended while it waited".to_string(),
            ),
        };
        Some(Failure::Conversation {
            conn: conn.name.clone(),
            host: host.clone(),
            step,
            expected,
            observed,
        })
    })
}

#[cfg(test)]
mod tests {
    use tlsim_net::WireCounters;
    use tlsim_sim::{Kind, Layer};

    use super::*;

    fn event(title: &'static str) -> Event {
        Event::new(Instant::ZERO, "client", Kind::Action, Layer::Sim, title)
    }

    fn expecting(titles: &[&str]) -> Expect {
        Expect {
            events: (titles.iter())
                .map(|title| EventMatch {
                    title: title.to_string(),
                    actor: None,
                    kind: None,
                    layer: None,
                    fields: Default::default(),
                })
                .collect(),
            ..Expect::default()
        }
    }

    #[test]
    fn without_event_expectations_no_event_is_wanted() {
        assert!(!EventChecker::new(&Expect::default()).enabled());
    }

    #[test]
    fn events_are_wanted_until_the_last_expected_one_came() {
        let mut checker = EventChecker::new(&expecting(&["A", "B"]));
        for title in ["x", "A", "y"] {
            assert!(checker.enabled(), "before {title}");
            checker.record(event(title));
        }
        assert!(checker.enabled());
        checker.record(event("B"));
        assert!(!checker.enabled());
    }

    #[test]
    fn a_missing_event_names_the_log_position_of_the_last_match() {
        let mut checker = EventChecker::new(&expecting(&["A", "B"]));
        for title in ["x", "y", "A", "z"] {
            checker.record(event(title));
        }
        let outcome = Outcome {
            end: End::Quiescent,
            time: Instant::ZERO,
            steps: 0,
            conns: Vec::new(),
            keylog: Vec::new(),
            wire: WireCounters::default(),
        };
        let failures = check(&expecting(&["A", "B"]), &outcome, &checker);
        assert_eq!(
            failures,
            [Failure::EventMissing {
                index: 2,
                wanted: "\"B\"".into(),
                after_seq: Some(2),
            }]
        );
    }
}
