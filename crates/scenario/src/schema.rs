//! The scenario file format: what a `.ron` file in `scenarios/` may say.
//!
//! Every type here is documented for people writing scenarios by hand; the
//! README's "Writing a scenario" section shows them in use. Fields marked
//! `#[serde(default)]` may be left out. Names of hosts and connections are
//! checked while the file is read, so a typo is reported at its own line and
//! column (see [`crate::load`]).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use tlsim_sim::{Kind, Layer};
use tlsim_tls_script::Conversation;

use crate::codepoints::{
    AlertName, CalendarTime, Extension, Group, ObjectId, PointFormat, PskMode, SigScheme, Suite,
    Uri, Version,
};
use crate::names::{
    CertName, ConnName, HostName, KeyName, NewConnName, TlsClientName, TlsServerName,
};
use crate::units::{BitRate, Chance, Range, Time, ranged_fields, read_str};

/// 1 GiB, the most bytes any one buffer, queue or transfer may hold.
const GIB: u64 = 1 << 30;

ranged_fields! {
    seed: u64 = Range { what: "seed", min: 0, max: u64::MAX, why: "" };
    queue_bytes: Option<u64> = Range { what: "queue_bytes", min: 68, max: GIB,
        why: "bytes; at least one smallest IPv4 packet" };
    mtu: u16 = Range { what: "mtu", min: 68, max: 65535, why: "bytes; RFC 791: every IPv4 link carries 68" };
    mss: Option<u16> = Range { what: "mss", min: 64, max: 65495, why: "bytes; 65535 less IPv4 and TCP headers" };
    recv_buffer: Option<u32> = Range { what: "recv_buffer", min: 64, max: 1 << 24,
        why: "bytes: 64 B to 16 MiB" };
    send_buffer: Option<u32> = Range { what: "send_buffer", min: 64, max: 1 << 24,
        why: "bytes: 64 B to 16 MiB" };
    initial_cwnd: Option<u32> = Range { what: "initial_cwnd", min: 1, max: 1000,
        why: "segments; RFC 6928: 10" };
    max_retransmissions: Option<u32> = Range { what: "max_retransmissions", min: 0, max: 100, why: "" };
    port: u16 = Range { what: "port", min: 1, max: 65535, why: "port 0 names no port" };
    nth: u32 = Range { what: "nth", min: 1, max: u32::MAX as u64, why: "counts matching segments from 1" };
    tamper_byte: u32 = Range { what: "byte", min: 0, max: u32::MAX as u64, why: "" };
    tamper_xor: u8 = Range { what: "xor", min: 1, max: 255, why: "0 flips no bit" };
    pattern_len: u64 = Range { what: "Pattern length", min: 0, max: 1 << 40, why: "bytes: up to 1 TiB" };
    max_events: u64 = Range { what: "max_events", min: 1, max: 1_000_000_000, why: "" };
    byte_count: u64 = Range { what: "bytes", min: 0, max: u64::MAX, why: "" };
    serial: Option<u64> = Range { what: "serial", min: 0, max: u64::MAX, why: "" };
    path_len: Option<u32> = Range { what: "path_len", min: 0, max: 255, why: "pathLenConstraint is written in one byte" };
}

/// The longest SPDY response body: the server holds it, and the client the
/// body it receives, in memory (a `Send` streams instead).
const SPDY_BODY_MAX: u64 = 1 << 26;

/// A SPDY server's response body, at most [`SPDY_BODY_MAX`] bytes.
fn spdy_body<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Data, D::Error> {
    let body = Data::deserialize(d)?;
    match body {
        Data::Pattern(n) if n > SPDY_BODY_MAX => Err(serde::de::Error::custom(format!(
            "a SPDY body of {n} bytes is too long: expected at most {SPDY_BODY_MAX} (64 MiB), \
             which the server and the client hold in memory; a Send streams any length"
        ))),
        body => Ok(body),
    }
}

/// An IPv4 address a host can have: not 0.0.0.0, broadcast or multicast.
fn host_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Ipv4Addr, D::Error> {
    read_str(d, "an IPv4 address string such as \"10.0.0.1\"", |text| {
        let addr: Ipv4Addr = text.parse().map_err(|_| {
                format!("{text:?} is not an IPv4 address: expected four numbers from 0 to 255, such as \"10.0.0.1\"")
            })?;
        // RFC 1122 §3.2.1.3: these never name one host.
        if addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast() {
            return Err(format!(
                "{text:?} cannot be a host's address: expected a unicast address such as \"10.0.0.1\""
            ));
        }
        Ok(addr)
    })
}

/// A whole scenario.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name, shown at the top of the log.
    pub name: String,
    /// What the scenario shows, for readers of the file.
    #[serde(default)]
    pub description: String,
    /// The seed of every random stream; `tlsim run --seed N` overrides it.
    #[serde(default, deserialize_with = "seed")]
    pub seed: u64,
    /// The hosts, each with a unique name and IPv4 address.
    pub hosts: Vec<Host>,
    /// Point-to-point links between hosts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// TCP settings for every host (a host's own `tcp` overrides these).
    #[serde(default)]
    pub tcp: TcpSettings,
    /// Keys and certificates, made deterministically when the run starts.
    #[serde(default)]
    pub pki: Pki,
    /// TLS profiles that connections and listeners refer to by name.
    #[serde(default)]
    pub tls: TlsProfiles,
    /// Ports on which hosts accept connections.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listen: Vec<Listen>,
    /// What happens when, in time order (steps at the same time run in file order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<At>,
    /// Bounds that stop a run which would never end.
    #[serde(default)]
    pub limits: Limits,
    /// What `tlsim check` verifies after the run.
    #[serde(default)]
    pub expect: Expect,
}

/// A host: `Host(name: "client", addr: "10.0.0.1")`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Unique name, used everywhere else to refer to the host and as the
    /// actor name in the log.
    pub name: String,
    /// IPv4 address, as a string: `"10.0.0.1"`.
    #[serde(deserialize_with = "host_addr")]
    pub addr: Ipv4Addr,
    /// TCP settings for this host only, over the scenario's `tcp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpSettings>,
}

/// A point-to-point link: `Link(between: ("client", "server"), conditions: (latency: "10ms"))`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The two hosts the link joins.
    pub between: (HostName, HostName),
    /// Conditions from the first host to the second, and back too unless
    /// `reverse` is given.
    #[serde(default)]
    pub conditions: Conditions,
    /// Conditions from the second host to the first, if they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse: Option<Conditions>,
}

/// How one direction of a link treats packets. Random choices use a stream
/// of their own per direction, so changing one link never changes another.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// One-way propagation delay, e.g. `"10ms"`.
    #[serde(default)]
    pub latency: Time,
    /// Bit rate, e.g. `"100Mbit/s"`; packets wait their turn to be sent.
    /// Left out: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<BitRate>,
    /// Bytes that may wait to be sent; a packet arriving at a full queue is
    /// dropped (drop-tail). Left out: unbounded.
    #[serde(
        default,
        deserialize_with = "queue_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_bytes: Option<u64>,
    /// Extra delay drawn uniformly from zero to this, per packet.
    #[serde(default)]
    pub jitter: Time,
    /// Probability that a packet is lost, from 0 to 1.
    #[serde(default)]
    pub loss: Chance,
    /// Probability that a packet is delivered twice.
    #[serde(default)]
    pub duplicate: Chance,
    /// Probability that a packet is held back by `reorder_delay`, letting
    /// later packets overtake it.
    #[serde(default)]
    pub reorder: Chance,
    /// How long a reordered packet is held back.
    #[serde(default = "default_reorder_delay")]
    pub reorder_delay: Time,
    /// Probability that one bit of a packet is flipped on the way; the
    /// receiver's checksum check then drops it, as a real stack does.
    #[serde(default)]
    pub corrupt: Chance,
    /// Largest IP packet the link carries, in bytes.
    #[serde(default = "default_mtu", deserialize_with = "mtu")]
    pub mtu: u16,
}

fn default_reorder_delay() -> Time {
    Time(tlsim_sim::Duration::from_millis(5))
}

fn default_mtu() -> u16 {
    1500
}

impl Default for Conditions {
    fn default() -> Self {
        Conditions {
            latency: Time::default(),
            bandwidth: None,
            queue_bytes: None,
            jitter: Time::default(),
            loss: Chance::default(),
            duplicate: Chance::default(),
            reorder: Chance::default(),
            reorder_delay: default_reorder_delay(),
            corrupt: Chance::default(),
            mtu: default_mtu(),
        }
    }
}

/// TCP settings; any left out take tlsim's defaults (see `tlsim_net::TcpConfig`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TcpSettings {
    /// Maximum segment size announced in the SYN (default 1460).
    #[serde(
        default,
        deserialize_with = "mss",
        skip_serializing_if = "Option::is_none"
    )]
    pub mss: Option<u16>,
    /// Receive buffer, which bounds the advertised window (default 65535).
    #[serde(
        default,
        deserialize_with = "recv_buffer",
        skip_serializing_if = "Option::is_none"
    )]
    pub recv_buffer: Option<u32>,
    /// Send buffer: bytes an application may queue (default 1 MiB).
    #[serde(
        default,
        deserialize_with = "send_buffer",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_buffer: Option<u32>,
    /// Delayed-ACK timeout; `"0"` acknowledges every segment at once
    /// (default 40ms, Linux's minimum; ns-3 uses 200ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delayed_ack: Option<Time>,
    /// Retransmission timeout before any RTT sample (RFC 6298: 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_rto: Option<Time>,
    /// Lower bound of the retransmission timeout (default 200ms, as Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rto: Option<Time>,
    /// Upper bound of the retransmission timeout (default 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rto: Option<Time>,
    /// Whether to use RFC 7323 timestamps (12 bytes of options per segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<bool>,
    /// How long a socket stays in TIME-WAIT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_wait: Option<Time>,
    /// Initial congestion window in segments (RFC 6928: 10).
    #[serde(
        default,
        deserialize_with = "initial_cwnd",
        skip_serializing_if = "Option::is_none"
    )]
    pub initial_cwnd: Option<u32>,
    /// Retransmissions of one segment before the connection gives up.
    #[serde(
        default,
        deserialize_with = "max_retransmissions",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_retransmissions: Option<u32>,
}

/// A listening port: `Listen(host: "server", port: 80)`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// The host that accepts connections.
    pub host: HostName,
    /// The TCP port.
    #[serde(deserialize_with = "port")]
    pub port: u16,
    /// Speak TLS on accepted connections, with this server profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsServerName>,
    /// The application on accepted connections; left out, bytes are only
    /// counted (and sent by `Send` steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<ServerApp>,
    /// A scripted TLS peer in place of the TLS stack on each accepted
    /// connection, building its messages from the `tls` profile (see
    /// `docs/conversations.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
    /// A recorded server replayed byte for byte on each accepted
    /// connection, in place of TLS (`tlsim connect --record` writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
}

/// An application that answers on accepted connections.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum ServerApp {
    /// A SPDY/3.1 server that answers every request with `body`.
    SpdyServer {
        /// The response body (at most 64 MiB).
        #[serde(deserialize_with = "spdy_body")]
        body: Data,
    },
}

/// An application that runs on a connection's client end.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum ClientApp {
    /// A SPDY/3.1 client: once the TLS handshake completes it sends SETTINGS,
    /// a GET for `path` and a PING, and when the response is complete it
    /// sends GOAWAY and closes (close_notify, then FIN).
    SpdyClient {
        /// The `:host` header.
        host: String,
        /// The `:path` header.
        path: String,
    },
}

/// One step of the timeline: `At("100ms", Close(conn: "c1", from: "client"))`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct At(pub Time, pub Action);

/// Something the scenario makes happen.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Action {
    /// Open a TCP connection named `conn` from a host to a listening port.
    Connect {
        /// A new name for this connection, used by later steps.
        conn: NewConnName,
        /// The connecting host.
        from: HostName,
        /// The host to connect to.
        to: HostName,
        /// The port it listens on.
        #[serde(deserialize_with = "port")]
        port: u16,
        /// Speak TLS on this connection, with this client profile.
        #[serde(default)]
        tls: Option<TlsClientName>,
        /// The application on the client end.
        #[serde(default)]
        app: Option<ClientApp>,
        /// A scripted TLS peer in place of the TLS stack, building its
        /// messages from the `tls` profile (see `docs/conversations.md`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation: Option<Conversation>,
    },
    /// Queue bytes for sending on one end of a connection. Bytes queued
    /// before the connection is established are sent once it is.
    Send {
        /// The connection.
        conn: ConnName,
        /// Which end sends: one of the connection's two hosts.
        from: HostName,
        /// What to send.
        data: Data,
    },
    /// Close one end (FIN after everything queued has been sent).
    Close {
        /// The connection.
        conn: ConnName,
        /// Which end closes.
        from: HostName,
    },
    /// Abort one end (RST at once, queued data discarded).
    Abort {
        /// The connection.
        conn: ConnName,
        /// Which end aborts.
        from: HostName,
    },
    /// From now on, apply a fault to the `nth` segment matching a filter.
    Fault {
        /// What to do to the segment.
        action: FaultAction,
        /// Which matching segment, counting from 1.
        #[serde(deserialize_with = "nth")]
        nth: u32,
        /// Which segments count.
        #[serde(default)]
        matching: SegmentFilter,
    },
    /// Cut a link for a while: every packet entering it is lost.
    CutLink {
        /// The two hosts the link joins.
        between: (HostName, HostName),
        /// How long the cut lasts.
        duration: Time,
    },
    /// RFC 8446 §4.6.3: one end of a TLS 1.3 connection sends a KeyUpdate
    /// and writes under its next application traffic secret; with
    /// `request_update` the peer must answer with one of its own. Only once
    /// that end's handshake has completed; otherwise nothing happens.
    KeyUpdate {
        /// The connection.
        conn: ConnName,
        /// Which end updates its keys.
        from: HostName,
        /// Ask the peer to update its keys too (`update_requested`).
        #[serde(default)]
        request_update: bool,
    },
    /// RFC 5746: one end of a TLS 1.0–1.2 connection begins a
    /// renegotiation: a client sends a new Client Hello, a server a Hello
    /// Request (RFC 5246 §7.4.1.1). Only once that end's handshake has
    /// completed with a peer that signalled secure renegotiation, and none
    /// runs; otherwise nothing happens.
    Renegotiate {
        /// The connection.
        conn: ConnName,
        /// Which end begins it.
        from: HostName,
    },
}

/// Bytes to send.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum Data {
    /// `n` bytes of a fixed pattern (byte `i` of the stream is `i mod 251`).
    Pattern(#[serde(deserialize_with = "pattern_len")] u64),
    /// The UTF-8 bytes of a text.
    Text(String),
    /// Bytes written in hexadecimal, e.g. `"16030100"`.
    Hex(#[serde(with = "crate::names::hex")] Vec<u8>),
}

/// What a fault does to a segment.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
pub enum FaultAction {
    /// Lose it.
    Drop,
    /// Deliver it this much later.
    Delay(Time),
    /// Deliver it twice.
    Duplicate,
    /// Flip one bit, so the receiver's checksum check drops it.
    Corrupt,
    /// An on-path attacker: XOR `xor` into payload byte `byte` (counted from
    /// 0; the last byte if the payload is shorter) and recompute the TCP
    /// checksum. TCP accepts the segment; TLS's record MAC does not.
    Tamper {
        /// Offset into the segment's payload.
        #[serde(deserialize_with = "tamper_byte")]
        byte: u32,
        /// Bits to flip (non-zero).
        #[serde(deserialize_with = "tamper_xor")]
        xor: u8,
    },
}

/// Which segments a fault counts. Everything left out matches anything.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentFilter {
    /// Only segments sent by this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<HostName>,
    /// Only segments sent to this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<HostName>,
    /// Only segments with (true) or without (false) SYN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syn: Option<bool>,
    /// Only segments with or without FIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fin: Option<bool>,
    /// Only segments with or without RST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rst: Option<bool>,
    /// Only segments that carry data (true) or carry none (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<bool>,
}

/// Bounds on a run. A run that reaches one stops, says so in the log, and
/// `tlsim` exits with status 3.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Latest simulated time (default 10 minutes).
    #[serde(default = "default_max_time")]
    pub max_time: Time,
    /// Most simulator steps: packet arrivals, timer expiries and timeline
    /// steps (default 10,000,000).
    #[serde(default = "default_max_events", deserialize_with = "max_events")]
    pub max_events: u64,
}

fn default_max_time() -> Time {
    Time(tlsim_sim::Duration::from_secs(600))
}

fn default_max_events() -> u64 {
    10_000_000
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_time: default_max_time(),
            max_events: default_max_events(),
        }
    }
}

/// What `tlsim check` verifies.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Final TCP state of connection ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<StateExpect>,
    /// Bytes that must reach a connection end: exactly the bytes its peer
    /// sent, in order, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<Delivered>,
    /// Events that must appear in the log, in this order (others may come
    /// between them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventMatch>,
    /// Alerts a connection end must send, or must not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertExpect>,
}

/// What one end of a connection must do about alerts (RFC 5246 §7.2):
/// fatal and warning ones alike, each at the level it was sent with.
/// `from` is the end that sends. close_notify is a closure, not an error
/// alert: none of these counts it as an alert.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum AlertExpect {
    /// `Alert(conn: "c1", from: "server", level: Fatal, description: "unexpected_message")`:
    /// that end sent this alert (others may come before or after it).
    Alert {
        /// The connection.
        conn: ConnName,
        /// The end that sends it.
        from: HostName,
        /// `Warning` or `Fatal`.
        level: AlertLevelName,
        /// Its name as the log prints it.
        description: AlertName,
    },
    /// `AnyAlert(conn: "c1", from: "server")`: that end sent an alert,
    /// whichever.
    AnyAlert {
        /// The connection.
        conn: ConnName,
        /// The end that sends it.
        from: HostName,
    },
    /// `AlertOrClose(conn: "c1", from: "server")`: that end sent an
    /// alert, or closed (or reset) the connection without one.
    AlertOrClose {
        /// The connection.
        conn: ConnName,
        /// The end that sends it.
        from: HostName,
    },
    /// `NoAlert(conn: "c1", from: "client")`: that end sent no alert (fatal or warning).
    NoAlert {
        /// The connection.
        conn: ConnName,
        /// The end that would send it.
        from: HostName,
    },
}

impl AlertExpect {
    /// The connection and the sending end the expectation is about.
    pub fn end(&self) -> (&ConnName, &HostName) {
        match self {
            AlertExpect::Alert { conn, from, .. }
            | AlertExpect::AnyAlert { conn, from }
            | AlertExpect::AlertOrClose { conn, from }
            | AlertExpect::NoAlert { conn, from } => (conn, from),
        }
    }
}

/// An alert's level (RFC 5246 §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum AlertLevelName {
    /// `Warning` (1): the connection may go on.
    Warning,
    /// `Fatal` (2): the connection ends.
    Fatal,
}

impl AlertLevelName {
    /// The code point.
    pub fn level(self) -> tlsim_tls::enums::AlertLevel {
        match self {
            AlertLevelName::Warning => tlsim_tls::enums::AlertLevel::Warning,
            AlertLevelName::Fatal => tlsim_tls::enums::AlertLevel::Fatal,
        }
    }
}

/// `(conn: "c1", host: "client", state: "CLOSED")`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StateExpect {
    /// The connection.
    pub conn: ConnName,
    /// Which end.
    pub host: HostName,
    /// An RFC 9293 state name: `CLOSED`, `ESTABLISHED`, `TIME-WAIT`, …
    pub state: String,
}

/// `(conn: "c1", to: "server", bytes: 10240)`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Delivered {
    /// The connection.
    pub conn: ConnName,
    /// The receiving end.
    pub to: HostName,
    /// How many bytes it must have received.
    #[serde(deserialize_with = "byte_count")]
    pub bytes: u64,
}

/// An event that must appear: `(title: "TCP SYN", actor: "client")`.
/// Every field given must match; `fields` compares values as the log shows them.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventMatch {
    /// The event title, exactly.
    pub title: String,
    /// The actor: a host name, or a link as `"client->server"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// `action`, `send`, `recv`, `timer`, `state`, `fault` or `drop`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// `sim`, `link`, `tcp`, `tls` or `spdy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Layer>,
    /// Field values that must match, by field name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// Keys and certificates. Issuers must be listed before the certificates they sign.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pki {
    /// The calendar time at simulated time zero; certificate validity is
    /// checked against it plus the simulated clock. Left out: the latest
    /// `not_before` of the certificates (as [`Pki::validity`] gives them),
    /// so that each has begun (any that have ended still show as expired).
    /// Needed with certificate files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<CalendarTime>,
    /// Signing keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Key>,
    /// Certificates, real X.509 v3 DER, made when the run starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Cert>,
}

/// Where a certificate made by tlsim starts when its `not_before` and the
/// scenario's `pki.epoch` are both left out: 2026-01-01T00:00:00Z.
pub const DEFAULT_NOT_BEFORE: CalendarTime = CalendarTime(1_767_225_600);

/// How long a certificate made by tlsim lasts when its `not_after` is left
/// out: 365 days.
pub const DEFAULT_VALIDITY_SECONDS: u64 = 365 * 24 * 60 * 60;

impl Pki {
    /// The calendar time at simulated time zero: `epoch`, or the latest
    /// `not_before` of the certificates made by tlsim (the Unix epoch
    /// without any).
    pub fn epoch(&self) -> CalendarTime {
        self.epoch.unwrap_or_else(|| {
            (self.certificates.iter())
                .filter(|c| c.file.is_none())
                .map(|c| self.validity(c).0)
                .max()
                .unwrap_or(CalendarTime(0))
        })
    }

    /// `(not_before, not_after)` of a certificate made by tlsim: as given,
    /// else from `epoch` (or [`DEFAULT_NOT_BEFORE`] without one) for
    /// [`DEFAULT_VALIDITY_SECONDS`].
    pub fn validity(&self, cert: &Cert) -> (CalendarTime, CalendarTime) {
        let not_before =
            (cert.not_before).unwrap_or_else(|| self.epoch.unwrap_or(DEFAULT_NOT_BEFORE));
        let not_after = (cert.not_after).unwrap_or(CalendarTime(
            not_before.0.saturating_add(DEFAULT_VALIDITY_SECONDS),
        ));
        (not_before, not_after)
    }
}

/// A signing key: `Key(name: "leaf", kind: P256)`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// Unique name.
    pub name: String,
    /// How to make it.
    pub kind: KeyKind,
}

/// Where a key comes from.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum KeyKind {
    /// A P-256 key drawn from the scenario's random stream `pki key <name>`.
    P256,
    /// A P-256 key with this private scalar (32 bytes, hex).
    P256Scalar(#[serde(with = "crate::names::hex")] Vec<u8>),
    /// An RSA key from a PEM file (PKCS#8 or PKCS#1), relative to the scenario file.
    RsaPem(String),
    /// A private key from a file, relative to the scenario file: PEM or
    /// DER, PKCS #8 (RSA, P-256, P-384 or Ed25519), PKCS #1 (RSA) or SEC1
    /// (P-256, P-384).
    File(String),
    /// A P-384 key drawn from the scenario's random stream `pki key <name>`.
    P384,
    /// An Ed25519 key whose 32-byte seed is drawn from the scenario's
    /// random stream `pki key <name>`.
    Ed25519,
}

/// An X.509 certificate: made from the fields below, or read from `file`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cert {
    /// Unique name.
    pub name: String,
    /// A certificate file, relative to the scenario file: PEM with one or
    /// more CERTIFICATE blocks (a chain, leaf first, or a set of trust
    /// anchors), or one DER certificate. The name stands for all of them.
    /// With a file, the fields that make a certificate are left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The subject's distinguished name.
    #[serde(default)]
    pub subject: DistinguishedName,
    /// The subject's key (its public half goes into the certificate); with
    /// `file`, the key that must match the first certificate's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyName>,
    /// The issuing certificate, listed earlier; left out, self-signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<CertName>,
    /// Whether the subject is a CA (basicConstraints cA).
    #[serde(default)]
    pub ca: bool,
    /// basicConstraints pathLenConstraint, for a CA.
    #[serde(
        default,
        deserialize_with = "path_len",
        skip_serializing_if = "Option::is_none"
    )]
    pub path_len: Option<u32>,
    /// subjectAltName DNS names, for a server certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
    /// Serial number (default: position in the list, from 1).
    #[serde(
        default,
        deserialize_with = "serial",
        skip_serializing_if = "Option::is_none"
    )]
    pub serial: Option<u64>,
    /// Start of validity. Left out: `pki.epoch`, or
    /// [`DEFAULT_NOT_BEFORE`] without one (see [`Pki::validity`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<CalendarTime>,
    /// End of validity. Left out: [`DEFAULT_VALIDITY_SECONDS`] after the
    /// start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<CalendarTime>,
    /// keyUsage bits (RFC 5280 §4.2.1.3). Left out: `[KeyCertSign, CrlSign]`
    /// for a CA, `[DigitalSignature]` for an end entity (plus `KeyEncipherment`
    /// with an RSA key); `[]` leaves the extension out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<Vec<KeyUsageBit>>,
    /// extendedKeyUsage purposes (RFC 5280 §4.2.1.12).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_key_usage: Vec<KeyPurpose>,
    /// cRLDistributionPoints: where the issuer publishes its CRL (RFC 5280 §4.2.1.13).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crl: Vec<Uri>,
    /// authorityInfoAccess: OCSP responders (RFC 5280 §4.2.2.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ocsp: Vec<Uri>,
    /// authorityInfoAccess: where the issuer's certificate is published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_issuers: Vec<Uri>,
    /// certificatePolicies (RFC 5280 §4.2.1.4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
}

/// One keyUsage bit.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
pub enum KeyUsageBit {
    /// digitalSignature (0): signing, e.g. a Server Key Exchange.
    DigitalSignature,
    /// keyEncipherment (2): RSA key transport.
    KeyEncipherment,
    /// keyAgreement (4): static (EC)DH.
    KeyAgreement,
    /// keyCertSign (5): signing certificates.
    KeyCertSign,
    /// cRLSign (6): signing revocation lists.
    CrlSign,
}

/// What a certificate's key may be used for (extendedKeyUsage).
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
pub enum KeyPurpose {
    /// id-kp-serverAuth: TLS server authentication.
    ServerAuth,
    /// id-kp-clientAuth: TLS client authentication.
    ClientAuth,
}

/// A certificate policy: its OID, and where its practice statement is.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The policy OID, dotted: `"1.3.6.1.4.1.11129.2.5.1"` (`"2.5.29.32.0"` is anyPolicy).
    pub oid: ObjectId,
    /// A CPS pointer qualifier (a URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cps: Option<Uri>,
}

/// A distinguished name; each attribute optional. Encoded in the order
/// C, ST, L, O, OU, CN.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DistinguishedName {
    /// commonName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cn: Option<String>,
    /// organizationName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<String>,
    /// organizationalUnitName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou: Option<String>,
    /// localityName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<String>,
    /// stateOrProvinceName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub st: Option<String>,
    /// countryName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<String>,
}

/// TLS profiles.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsProfiles {
    /// Client profiles, named by `Connect(tls: ...)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<TlsClient>,
    /// Server profiles, named by `Listen(tls: ...)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<TlsServer>,
}

fn default_min_version() -> Version {
    Version(tlsim_tls::enums::ProtocolVersion::Tls10)
}

fn default_max_version() -> Version {
    Version(tlsim_tls::enums::ProtocolVersion::Tls12)
}

/// Every ECDHE suite tlsim runs: RSA key transport, which has no forward
/// secrecy, is only offered when a scenario names it. A profile whose
/// `max_version` is TLS 1.3 gets the TLS 1.3 suites before these
/// ([`suites_for`]).
fn default_suites() -> Vec<Suite> {
    (tlsim_tls::crypto::suites::SUPPORTED_SUITES.iter())
        .filter(|s| s.key_exchange == tlsim_tls::crypto::suites::KeyExchange::Ecdhe)
        .map(|s| Suite(s.suite()))
        .collect()
}

/// The suites a profile offers or accepts: the ones it names, or, left at
/// the default with `max_version` TLS 1.3, the TLS 1.3 suites first, so
/// that a version offered in supported_versions has a suite to go with it
/// (RFC 8446 §4.1.1).
pub(crate) fn suites_for(
    named: &[Suite],
    max_version: Version,
) -> Vec<tlsim_tls::enums::CipherSuite> {
    let named: Vec<_> = named.iter().map(|s| s.0).collect();
    let defaulted = named == default_suites().iter().map(|s| s.0).collect::<Vec<_>>();
    if !defaulted || max_version.0 != tlsim_tls::enums::ProtocolVersion::Tls13 {
        return named;
    }
    (tlsim_tls::crypto::key_schedule::TLS13_SUITES.iter())
        .map(|s| s.suite)
        .chain(named)
        .collect()
}

fn default_groups() -> Vec<Group> {
    vec![Group(tlsim_tls::enums::NamedGroup::Secp256r1)]
}

fn default_point_formats() -> Vec<PointFormat> {
    vec![PointFormat(tlsim_tls::enums::EcPointFormat::Uncompressed)]
}

fn default_signature_algorithms() -> Vec<SigScheme> {
    (tlsim_tls::crypto::sign::DEFAULT_SIGNATURE_ALGORITHMS.iter())
        .map(|&s| SigScheme(s))
        .collect()
}

fn yes() -> bool {
    true
}

fn is_false(value: &bool) -> bool {
    !value
}

/// What a TLS client offers and checks.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsClient {
    /// Unique name.
    pub name: String,
    /// Lowest version accepted (default `"TLS 1.0"`).
    #[serde(default = "default_min_version")]
    pub min_version: Version,
    /// Highest version offered (default `"TLS 1.2"`).
    #[serde(default = "default_max_version")]
    pub max_version: Version,
    /// `ClientHello.client_version` when it differs from `max_version`
    /// (default: `max_version`, TLS 1.2 when that is TLS 1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello_version: Option<Version>,
    /// Version written in the Client Hello's record header (default: TLS 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_version: Option<Version>,
    /// Cipher suites offered, in order. Suites tlsim cannot run may be
    /// offered; a server never chooses them. Default: every ECDHE suite
    /// tlsim runs, AES-GCM first.
    #[serde(default = "default_suites")]
    pub cipher_suites: Vec<Suite>,
    /// Groups offered in elliptic_curves, in order (default `["secp256r1"]`).
    #[serde(default = "default_groups")]
    pub groups: Vec<Group>,
    /// ec_point_formats offered (default `["uncompressed"]`; `[]` sends
    /// none). Always written back, since an empty list is not the default.
    #[serde(default = "default_point_formats")]
    pub ec_point_formats: Vec<PointFormat>,
    /// signature_algorithms offered, in order (RFC 5246 §7.4.1.4.1), sent
    /// only when offering TLS 1.2; `[]` sends none, as a client of before
    /// TLS 1.2 (the server then signs with SHA-1). Default: every scheme
    /// tlsim verifies, ECDSA and RSA-PSS first, SHA-1 last.
    #[serde(default = "default_signature_algorithms")]
    pub signature_algorithms: Vec<SigScheme>,
    /// server_name (SNI), also the name checked against the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// ALPN protocol names offered, e.g. `["spdy/3.1", "http/1.1"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// Offer NPN (next_protocol_negotiation).
    #[serde(default)]
    pub npn: bool,
    /// Send an empty renegotiation_info (RFC 5746; default true).
    #[serde(default = "yes")]
    pub renegotiation_info: bool,
    /// Offer extended_master_secret (RFC 7627).
    #[serde(default)]
    pub extended_master_secret: bool,
    /// Offer encrypt_then_mac (RFC 7366) for CBC suites (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub encrypt_then_mac: bool,
    /// A Hello Request once connected: `Refuse` (default, a warning
    /// no_renegotiation) or `Accept` (a new handshake, RFC 5746).
    #[serde(default, skip_serializing_if = "Renegotiation::is_refuse")]
    pub renegotiation: Renegotiation,
    /// Send an empty session_ticket extension.
    #[serde(default)]
    pub session_ticket: bool,
    /// The order of the Client Hello's extensions, by name; extensions not
    /// listed follow in tlsim's own order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension_order: Vec<Extension>,
    /// Extensions tlsim does not build, sent as given (after the others
    /// unless `extension_order` places them); a Server Hello may answer them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque_extensions: Vec<OpaqueExtension>,
    /// Certificates the client trusts as anchors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust: Vec<CertName>,
    /// Check the server name against the certificate (default true).
    #[serde(default = "yes")]
    pub verify_hostname: bool,
    /// Match the server name against the subject's common name when the
    /// certificate has no subjectAltName DNS names (RFC 6125 §6.4.4, for
    /// old certificates; default false).
    #[serde(default)]
    pub common_name_fallback: bool,
    /// Keep sessions and offer them again to the same server name (default true).
    #[serde(default = "yes")]
    pub resume: bool,
    /// Remember verified certificate signatures across connections (default true).
    #[serde(default = "yes")]
    pub verification_cache: bool,
    /// How long this end takes to act on what it receives (computing keys,
    /// signing); TCP acknowledges in the meantime. Default 0.
    #[serde(default)]
    pub processing_time: Time,
    /// Fixed values instead of random ones, to reproduce a trace byte for byte.
    #[serde(default)]
    pub pins: ClientPins,
    /// The certificate chain offered when a server asks for one, leaf
    /// first (RFC 5246 §7.4.6, RFC 8446 §4.4.2). Left out: none, and a
    /// CertificateRequest gets an empty Certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<CertName>,
    /// The client certificate's private key, the key of `chain`'s leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyName>,
    /// TLS 1.3: the PSK key exchange modes offered with a ticket (RFC 8446
    /// §4.2.9), in order (default `["psk_dhe_ke"]`).
    #[serde(default = "default_psk_modes")]
    pub psk_modes: Vec<PskMode>,
    /// TLS 1.3: send the data written before the handshake as 0-RTT data
    /// (RFC 8446 §4.2.10) when the ticket offered allows it (default
    /// false).
    #[serde(default)]
    pub early_data: bool,
    /// Handshake messages sent together share records, as many as fit
    /// (RFC 8446 §5.1), instead of one record each (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub coalesce_handshake_records: bool,
    /// TLS 1.3 (RFC 7685): a Client Hello of at least 256 bytes but
    /// shorter than this (its handshake message, header included) gets a
    /// padding extension that makes it this long, as NSS and OpenSSL do
    /// with 512 (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello_padding: Option<u16>,
    /// TLS 1.3: keep and offer tickets with another client profile on the
    /// same host, so that a connection of this profile resumes from a
    /// ticket that profile's connection got (default: its own tickets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_tickets_with: Option<String>,
}

fn default_psk_modes() -> Vec<PskMode> {
    vec![PskMode(tlsim_tls::enums::PskKeyExchangeMode::PskDheKe)]
}

fn one() -> u8 {
    1
}

/// Values a client would otherwise draw at random (hex).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientPins {
    /// The 32-byte client random.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_random: Option<Vec<u8>>,
    /// The ephemeral ECDH private key (32 bytes).
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub ephemeral_key: Option<Vec<u8>>,
    /// Explicit CBC IVs (16 bytes each), used in order.
    #[serde(
        default,
        with = "crate::names::hex_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cbc_ivs: Vec<Vec<u8>>,
    /// The explicit nonce of the first AES-GCM record (8 bytes); each
    /// later record adds one. By default it is the sequence number, as
    /// most stacks send; OpenSSL starts at a random value.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub gcm_nonce: Option<Vec<u8>>,
    /// RSA key transport: the 46 random bytes of the pre-master secret.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_master_random: Option<Vec<u8>>,
    /// RSA key transport: the PKCS #1 v1.5 padding string of the encrypted
    /// pre-master secret (nonzero bytes, the modulus length less 51).
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub rsa_padding: Option<Vec<u8>>,
    /// The Client Key Exchange's ECDH public point as captured (without
    /// its length byte), sent instead of the computed one: for a capture
    /// whose key log is known but whose keys are not; pin `master_secret`.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub ephemeral_public: Option<Vec<u8>>,
    /// RSA key transport: the encrypted pre-master secret as captured
    /// (without its length), likewise.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub encrypted_pre_master: Option<Vec<u8>>,
    /// The master secret (48 bytes), from a key log, instead of the
    /// derived one.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub master_secret: Option<Vec<u8>>,
    /// The seed of this client's random stream in place of the run's:
    /// every value it draws (randoms, session IDs, key shares on any
    /// group, IVs) is then the same on every seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rng_seed: Option<u64>,
    /// TLS 1.3: the Client Hello's legacy session ID (0 to 32 bytes)
    /// instead of 32 random ones; `""` sends none, and then no
    /// compatibility change_cipher_spec (RFC 8446 Appendix D.4).
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub legacy_session_id: Option<Vec<u8>>,
    /// TLS 1.3: the ticket age reported in pre_shared_key (whole
    /// milliseconds; RFC 8446 §4.2.11), instead of the time since the
    /// ticket came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_age: Option<Time>,
    /// TLS 1.3: the private key of the second Client Hello's key share,
    /// on the group a HelloRetryRequest asked for (RFC 8446 §4.1.4).
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_ephemeral_key: Option<Vec<u8>>,
    /// TLS 1.3: the obfuscated_ticket_age of each Client Hello of a
    /// connection that offers a ticket (RFC 8446 §4.2.11), in order (the
    /// second after a HelloRetryRequest), as a capture shows them in
    /// clear; past the list, `ticket_age` or the time since the ticket
    /// came.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obfuscated_ticket_ages: Vec<u32>,
}

/// An extension sent as given: `(code: "0x000f", data: "01")`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OpaqueExtension {
    /// The extension type, by name or hex.
    pub code: Extension,
    /// The extension's body, hex (may be empty).
    #[serde(default, with = "crate::names::hex")]
    pub data: Vec<u8>,
}

/// What a TLS server accepts and presents.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsServer {
    /// Unique name.
    pub name: String,
    /// Lowest version accepted (default `"TLS 1.0"`).
    #[serde(default = "default_min_version")]
    pub min_version: Version,
    /// Highest version accepted (default `"TLS 1.2"`).
    #[serde(default = "default_max_version")]
    pub max_version: Version,
    /// Cipher suites, in the server's order of preference. Default: every
    /// suite tlsim runs, AES-GCM first.
    #[serde(default = "default_suites")]
    pub cipher_suites: Vec<Suite>,
    /// Groups, in order of preference (default `["secp256r1"]`).
    #[serde(default = "default_groups")]
    pub groups: Vec<Group>,
    /// The certificate chain sent, leaf first.
    pub chain: Vec<CertName>,
    /// The leaf certificate's private key.
    pub key: KeyName,
    /// ALPN protocols the server accepts, in preference order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// NPN protocols the server advertises.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub npn: Vec<String>,
    /// Cache sessions for resumption by session ID (default true).
    #[serde(default = "yes")]
    pub session_cache: bool,
    /// Accept extended_master_secret (RFC 7627).
    #[serde(default)]
    pub extended_master_secret: bool,
    /// Issue and accept session tickets: RFC 5077's in TLS 1.2, RFC 8446
    /// §4.6.1's (for resumption and 0-RTT) in TLS 1.3; left out: none
    /// issued, none accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tickets: Option<Tickets>,
    /// The server's order of preference for its Server Key Exchange
    /// signature, among what the client offers. Left out: the client's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithms: Option<Vec<SigScheme>>,
    /// The Server Hello's extensions in order. Left out: tlsim's own
    /// choice and order. Given: server_name, ec_point_formats,
    /// renegotiation_info and opaque extensions are sent only when listed
    /// (and asked for); what the server agreed to (extended_master_secret,
    /// ALPN, NPN) is sent anyway, after the listed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_order: Option<Vec<Extension>>,
    /// Extensions sent as given when the Client Hello carries the same type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque_extensions: Vec<OpaqueExtension>,
    /// Agree to encrypt_then_mac (RFC 7366) when a CBC suite is chosen
    /// (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub encrypt_then_mac: bool,
    /// A Client Hello once connected: `Refuse` (default, a warning
    /// no_renegotiation) or `Accept` (a new handshake, RFC 5746). One the
    /// server asked for with a Hello Request is always run.
    #[serde(default, skip_serializing_if = "Renegotiation::is_refuse")]
    pub renegotiation: Renegotiation,
    /// How long this end takes to act on what it receives (computing keys,
    /// signing); TCP acknowledges in the meantime. Default 0.
    #[serde(default)]
    pub processing_time: Time,
    /// Fixed values instead of random ones.
    #[serde(default)]
    pub pins: ServerPins,
    /// TLS 1.3 (RFC 8446 §4.2.2): put a cookie in a HelloRetryRequest and
    /// require the second Client Hello to echo it. Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hello_retry_cookie: bool,
    /// Whether to ask for a client certificate (RFC 5246 §7.4.4, RFC 8446
    /// §4.3.2): `None` (default), `Optional` or `Required`.
    #[serde(default, skip_serializing_if = "ClientAuthMode::is_none")]
    pub client_auth: ClientAuthMode,
    /// The roots a client chain must end at; their subjects are the
    /// CertificateRequest's certificate authorities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_trust: Vec<CertName>,
    /// Handshake messages sent together share records, as many as fit
    /// (RFC 8446 §5.1), instead of one record each (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub coalesce_handshake_records: bool,
}

/// Whether a server asks for a client certificate, and needs one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum ClientAuthMode {
    /// No CertificateRequest.
    #[default]
    None,
    /// A CertificateRequest; an empty Certificate is accepted.
    Optional,
    /// A CertificateRequest; an empty Certificate ends the handshake
    /// (handshake_failure in TLS 1.2, certificate_required in TLS 1.3).
    Required,
}

impl ClientAuthMode {
    fn is_none(&self) -> bool {
        *self == ClientAuthMode::None
    }
}

/// Whether an end takes part in a renegotiation its peer asks for
/// (RFC 5746); never with a peer that did not signal secure renegotiation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum Renegotiation {
    /// A warning no_renegotiation; the connection goes on.
    #[default]
    Refuse,
    /// A new full handshake on the connection.
    Accept,
}

impl Renegotiation {
    fn is_refuse(&self) -> bool {
        *self == Renegotiation::Refuse
    }
}

fn default_ticket_lifetime() -> Time {
    Time(tlsim_sim::Duration::from_secs(7200))
}

/// A server's session tickets. TLS 1.2 (RFC 5077 §4) seals them with a
/// key name, AES-128-CBC and HMAC-SHA-256 keys; TLS 1.3 with the
/// AES-128-GCM `pins.ticket_key`. Keys left out are drawn from the seed.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tickets {
    /// How long after issue a ticket is accepted, in whole seconds
    /// (default `"2h"`; TLS 1.3 allows at most `"168h"`, RFC 8446 §4.6.1).
    #[serde(default = "default_ticket_lifetime")]
    pub lifetime: Time,
    /// TLS 1.3: NewSessionTickets sent after the client's Finished
    /// (default 1).
    #[serde(default = "one")]
    pub count: u8,
    /// TLS 1.3: the 0-RTT data each ticket allows, in bytes (default 0:
    /// none).
    #[serde(default)]
    pub max_early_data_size: u32,
    /// TLS 1.2: the lifetime hint sent with each ticket (default:
    /// `lifetime`); `"0"` leaves it unspecified, so the client keeps the
    /// ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_hint: Option<Time>,
    /// TLS 1.2: the 16-byte key name.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub key_name: Option<Vec<u8>>,
    /// TLS 1.2: the 16-byte AES-128 key.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub aes_key: Option<Vec<u8>>,
    /// TLS 1.2: the 32-byte HMAC-SHA-256 key.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub hmac_key: Option<Vec<u8>>,
}

/// Values a server would otherwise draw at random (hex).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerPins {
    /// The 32-byte server random.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_random: Option<Vec<u8>>,
    /// The session ID (0 to 32 bytes; `""` sends none).
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub session_id: Option<Vec<u8>>,
    /// The ephemeral ECDH private key (32 bytes).
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub ephemeral_key: Option<Vec<u8>>,
    /// Explicit CBC IVs (16 bytes each), used in order.
    #[serde(
        default,
        with = "crate::names::hex_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cbc_ivs: Vec<Vec<u8>>,
    /// The explicit nonce of the first AES-GCM record (8 bytes); each
    /// later record adds one. By default it is the sequence number, as
    /// most stacks send; OpenSSL starts at a random value.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub gcm_nonce: Option<Vec<u8>>,
    /// The 16-byte AES-128-GCM key TLS 1.3 tickets are sealed with
    /// (default: drawn from the scenario seed); servers that share it
    /// accept each other's tickets.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub ticket_key: Option<Vec<u8>>,
    /// The salt of an RSA-PSS Server Key Exchange signature (as long as
    /// the hash: 32, 48 or 64 bytes).
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub pss_salt: Option<Vec<u8>>,
    /// The Server Key Exchange's ECDH public point as captured (without
    /// its length byte), sent instead of the computed one: for a capture
    /// whose key log is known but whose keys are not; pin `master_secret`.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub ephemeral_public: Option<Vec<u8>>,
    /// The Server Key Exchange signature as captured (without its
    /// length), sent instead of a new one: an ECDSA signature cannot be
    /// made again otherwise.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub signature: Option<Vec<u8>>,
    /// The master secret (48 bytes), from a key log, instead of the
    /// derived one.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub master_secret: Option<Vec<u8>>,
    /// TLS 1.3: the NewSessionTickets' tickets as a trace shows them, in
    /// order, instead of sealed ones; once all are sent, no more
    /// NewSessionTickets are. The server remembers what each stands for
    /// and resumes from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tickets: Vec<PinnedTicket>,
    /// TLS 1.3: the HelloRetryRequest's cookie (RFC 8446 §4.2.2), sent
    /// instead of an HMAC over the first Client Hello's hash; pinning one
    /// sends it, as `hello_retry_cookie: true` does.
    #[serde(
        default,
        with = "crate::names::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub cookie: Option<Vec<u8>>,
}

/// A TLS 1.3 NewSessionTicket's fields as a trace shows them (hex).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedTicket {
    /// `ticket` (1 to 65535 bytes).
    #[serde(with = "crate::names::hex")]
    pub ticket: Vec<u8>,
    /// `ticket_age_add` (4 bytes).
    #[serde(with = "crate::names::hex")]
    pub age_add: Vec<u8>,
    /// `ticket_nonce` (0 to 255 bytes).
    #[serde(with = "crate::names::hex")]
    pub nonce: Vec<u8>,
    /// Extensions sent as given after tlsim's own (early_data), such as a
    /// GREASE extension (RFC 8701): `[(code: "0x5a5a", data: "")]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque_extensions: Vec<OpaqueExtension>,
}

/// A recorded server's side of a connection, replayed: it sends the
/// server's bytes as they were, each once the client's bytes that came
/// before it in the recorded session have arrived and match them. Waiting
/// goes by bytes, never by time, so loss and delay change only when.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// The steps, in order; the replay passes once the last has.
    pub steps: Vec<ReplayStep>,
}

/// One step of a [`Replay`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum ReplayStep {
    /// Waits for the peer's next bytes, which must be these (hex: a
    /// recorded TLS record of the client).
    Receive(#[serde(with = "crate::names::hex")] Vec<u8>),
    /// Sends these bytes as they are (hex: a recorded TLS record of the
    /// server).
    Send(#[serde(with = "crate::names::hex")] Vec<u8>),
    /// Closes the connection (TCP FIN), as the recorded server did.
    Close,
    /// Resets the connection (TCP RST), as the recorded server did.
    Abort,
}
