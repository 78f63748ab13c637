//! The event record: one line of the log that every output renders.
//!
//! An event says when (`time`), who (`actor`, and `peer` for messages),
//! what sort of thing happened (`kind`, `layer`), its `title` in the
//! vocabulary of Wireshark and of the documented flow, ordered `fields`,
//! the `bytes` on the wire where there are any, and a short explanation for
//! learners. The JSON-lines form of this record is the source of truth; the
//! text ladder, diagrams and pcap are renderings of it.
//!
//! Layers emit events through a [`Tracer`]. Building an event costs
//! allocations, so emitters check [`Tracer::enabled`] first: a benchmark run
//! with [`NullTracer`] builds none.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::time::Instant;

/// What sort of thing an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A step an actor takes on its own: choosing a random, deriving a key.
    #[serde(alias = "Action")]
    Action,
    /// A message leaves the actor.
    #[serde(alias = "Send")]
    Send,
    /// A message reaches the actor.
    #[serde(alias = "Recv")]
    Recv,
    /// A timer fired.
    #[serde(alias = "Timer")]
    Timer,
    /// A state machine changed state.
    #[serde(alias = "State")]
    State,
    /// A fault from the scenario was applied.
    #[serde(alias = "Fault")]
    Fault,
    /// A packet or message was discarded, with the reason.
    #[serde(alias = "Drop")]
    Drop,
}

/// Which layer an event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The run itself: start, limits, end.
    #[serde(alias = "Sim")]
    Sim,
    /// A link between two hosts: queueing, loss, corruption.
    #[serde(alias = "Link")]
    Link,
    /// TCP segments, timers and states.
    #[serde(alias = "Tcp")]
    Tcp,
    /// TLS records, handshake messages, key computations.
    #[serde(alias = "Tls")]
    Tls,
    /// SPDY frames.
    #[serde(alias = "Spdy")]
    Spdy,
}

impl Kind {
    /// The lowercase name used in the JSON and text forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Action => "action",
            Kind::Send => "send",
            Kind::Recv => "recv",
            Kind::Timer => "timer",
            Kind::State => "state",
            Kind::Fault => "fault",
            Kind::Drop => "drop",
        }
    }
}

impl Layer {
    /// The lowercase name used in the JSON and text forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Sim => "sim",
            Layer::Link => "link",
            Layer::Tcp => "tcp",
            Layer::Tls => "tls",
            Layer::Spdy => "spdy",
        }
    }
}

/// One named value of an event, in the order a dissector would show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The field's name, as Wireshark or the RFC names it ("Cipher Suites").
    pub name: Cow<'static, str>,
    /// The value as a reader should see it ("51 suites", "TLS 1.0 (0x0301)").
    pub value: String,
    /// Nesting level in the dissection tree (0 is the top).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub depth: u8,
    /// Where the field sits in the event's `bytes`: `[start, end)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<[u32; 2]>,
}

fn is_zero(d: &u8) -> bool {
    *d == 0
}

/// One event of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Simulated time, in nanoseconds since the start of the run.
    #[serde(rename = "t_ns")]
    pub time: Instant,
    /// Position in the log, from 0; assigned by the log as events arrive.
    pub seq: u64,
    /// Who this happened to: a host name, or a link such as `client->server`.
    pub actor: String,
    /// For sends and receives, the other end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Which connection of the scenario, when there is more than one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conn: Option<u32>,
    /// What sort of thing happened.
    pub kind: Kind,
    /// Which layer it belongs to.
    pub layer: Layer,
    /// A short title ("TLS Client Hello", "TCP ACK").
    pub title: Cow<'static, str>,
    /// Ordered fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// The bytes of the message, hex-encoded in JSON.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_bytes")]
    pub bytes: Option<Vec<u8>>,
    /// Why this happens and what the other side will do with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<Cow<'static, str>>,
}

impl Event {
    /// A new event with no fields, bytes or explanation; `seq` is set by the log.
    pub fn new(
        time: Instant,
        actor: impl Into<String>,
        kind: Kind,
        layer: Layer,
        title: impl Into<Cow<'static, str>>,
    ) -> Self {
        Event {
            time,
            seq: 0,
            actor: actor.into(),
            peer: None,
            conn: None,
            kind,
            layer,
            title: title.into(),
            fields: Vec::new(),
            bytes: None,
            explain: None,
        }
    }

    /// Adds a top-level field.
    #[must_use]
    pub fn field(mut self, name: impl Into<Cow<'static, str>>, value: impl ToString) -> Self {
        self.push_field(name, value, 0, None);
        self
    }

    /// Adds a field at the given depth, optionally locating it in `bytes`.
    pub fn push_field(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl ToString,
        depth: u8,
        span: Option<[u32; 2]>,
    ) {
        self.fields.push(Field {
            name: name.into(),
            value: value.to_string(),
            depth,
            span,
        });
    }

    /// Sets the other end of a message.
    #[must_use]
    pub fn peer(mut self, peer: impl Into<String>) -> Self {
        self.peer = Some(peer.into());
        self
    }

    /// Sets the connection number.
    #[must_use]
    pub fn conn(mut self, conn: u32) -> Self {
        self.conn = Some(conn);
        self
    }

    /// Attaches the bytes on the wire.
    #[must_use]
    pub fn bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.bytes = Some(bytes.into());
        self
    }

    /// Attaches the explanation for learners.
    #[must_use]
    pub fn explain(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.explain = Some(text.into());
        self
    }

    /// [`fill_template`] with the values of this event's fields: the first
    /// field called `Name` at or after `fields[from]`.
    pub fn fill(&self, template: &str, from: usize) -> String {
        let fields = self.fields.get(from..).unwrap_or_default();
        fill_template(template, |name| {
            fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.value.as_str())
        })
    }

    /// The value of the first field called `name`.
    pub fn field_value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }
}

/// Fills each `{Name}` of an explanation `template` with `lookup(Name)`,
/// so that one text per kind of event shows this run's values. A name
/// `lookup` does not know (a malformed message lacks the field) reads
/// "missing".
pub fn fill_template<'a>(template: &str, lookup: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if !name.contains('{') => {
                match lookup(name) {
                    Some(value) => out.push_str(value),
                    None => out.push_str("missing"),
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where events go.
///
/// Emitters call [`enabled`](Tracer::enabled) before building an event, so a
/// disabled tracer costs one virtual call and no allocation.
pub trait Tracer {
    /// Whether events are wanted at all.
    fn enabled(&self) -> bool {
        true
    }
    /// Records one event.
    fn record(&mut self, event: Event);
}

/// A tracer that wants nothing (benchmarks, property tests).
#[derive(Clone, Copy, Debug, Default)]
pub struct NullTracer;

impl Tracer for NullTracer {
    fn enabled(&self) -> bool {
        false
    }
    fn record(&mut self, _event: Event) {}
}

impl Tracer for Vec<Event> {
    fn record(&mut self, mut event: Event) {
        event.seq = self.len() as u64;
        self.push(event);
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    const DIGITS: &[u8; 16] = b"0123456789abcdef";

    pub(super) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => {
                let mut out = String::with_capacity(b.len() * 2);
                for &byte in b {
                    out.push(DIGITS[usize::from(byte >> 4)] as char);
                    out.push(DIGITS[usize::from(byte & 0xf)] as char);
                }
                s.serialize_str(&out)
            }
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        let text = String::deserialize(d)?;
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(D::Error::custom("bytes must be lowercase hex")),
        };
        if text.len() % 2 != 0 {
            return Err(D::Error::custom(
                "bytes must have an even number of hex digits",
            ));
        }
        text.as_bytes()
            .chunks(2)
            .map(|pair| Ok(nibble(pair[0])? << 4 | nibble(pair[1])?))
            .collect::<Result<Vec<u8>, D::Error>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_keeps_field_order_and_hex_bytes() {
        let mut log: Vec<Event> = Vec::new();
        log.record(
            Event::new(
                Instant::from_nanos(20_000_000),
                "client",
                Kind::Send,
                Layer::Tcp,
                "TCP Segment",
            )
            .peer("server")
            .field("Seq", 1)
            .field("Ack", 1)
            .field("Len", 2)
            .bytes(vec![0x16, 0x03]),
        );
        let json = serde_json::to_string(&log[0]).unwrap();
        assert_eq!(
            json,
            r#"{"t_ns":20000000,"seq":0,"actor":"client","peer":"server","kind":"send","layer":"tcp","title":"TCP Segment","fields":[{"name":"Seq","value":"1"},{"name":"Ack","value":"1"},{"name":"Len","value":"2"}],"bytes":"1603"}"#
        );
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, log[0]);
    }

    #[test]
    fn templates_take_the_values_of_the_fields_after_a_position() {
        let event = Event::new(Instant::ZERO, "c", Kind::Send, Layer::Tcp, "TCP SYN")
            .field("Version", "first")
            .field("Seq", 0)
            .field("Version", "second");
        assert_eq!(
            event.fill("Seq={Seq}, {Version}, {Missing}, {", 0),
            "Seq=0, first, missing, {"
        );
        assert_eq!(event.fill("{Version}", 2), "second");
    }

    #[test]
    fn rejects_odd_length_hex() {
        let json = r#"{"t_ns":0,"seq":0,"actor":"a","kind":"send","layer":"tcp","title":"x","bytes":"123"}"#;
        assert!(serde_json::from_str::<Event>(json).is_err());
    }
}
