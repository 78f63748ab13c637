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

use crate::names::{ConnName, HostName, NewConnName};
use crate::units::{BitRate, Chance, Time};

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
    #[serde(default)]
    pub seed: u64,
    /// The hosts, each with a unique name and IPv4 address.
    pub hosts: Vec<Host>,
    /// Point-to-point links between hosts.
    #[serde(default)]
    pub links: Vec<Link>,
    /// TCP settings for every host (a host's own `tcp` overrides these).
    #[serde(default)]
    pub tcp: TcpSettings,
    /// Ports on which hosts accept connections.
    #[serde(default)]
    pub listen: Vec<Listen>,
    /// What happens when, in time order (steps at the same time run in file order).
    #[serde(default)]
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
    pub addr: Ipv4Addr,
    /// TCP settings for this host only, over the scenario's `tcp`.
    #[serde(default)]
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
    #[serde(default)]
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
    #[serde(default)]
    pub bandwidth: Option<BitRate>,
    /// Bytes that may wait to be sent; a packet arriving at a full queue is
    /// dropped (drop-tail). Left out: unbounded.
    #[serde(default)]
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
    #[serde(default = "default_mtu")]
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
    #[serde(default)]
    pub mss: Option<u16>,
    /// Receive buffer, which bounds the advertised window (default 65535).
    #[serde(default)]
    pub recv_buffer: Option<u32>,
    /// Send buffer: bytes an application may queue (default 1 MiB).
    #[serde(default)]
    pub send_buffer: Option<u32>,
    /// Delayed-ACK timeout; `"0"` acknowledges every segment at once
    /// (default 40ms, Linux's minimum; ns-3 uses 200ms).
    #[serde(default)]
    pub delayed_ack: Option<Time>,
    /// Retransmission timeout before any RTT sample (RFC 6298: 1s).
    #[serde(default)]
    pub initial_rto: Option<Time>,
    /// Lower bound of the retransmission timeout (default 200ms, as Linux).
    #[serde(default)]
    pub min_rto: Option<Time>,
    /// Upper bound of the retransmission timeout (default 60s).
    #[serde(default)]
    pub max_rto: Option<Time>,
    /// Whether to use RFC 7323 timestamps (12 bytes of options per segment).
    #[serde(default)]
    pub timestamps: Option<bool>,
    /// How long a socket stays in TIME-WAIT.
    #[serde(default)]
    pub time_wait: Option<Time>,
    /// Initial congestion window in segments (RFC 6928: 10).
    #[serde(default)]
    pub initial_cwnd: Option<u32>,
    /// Retransmissions of one segment before the connection gives up.
    #[serde(default)]
    pub max_retransmissions: Option<u32>,
}

/// A listening port: `Listen(host: "server", port: 80)`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// The host that accepts connections.
    pub host: HostName,
    /// The TCP port.
    pub port: u16,
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
        port: u16,
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
}

/// Bytes to send.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum Data {
    /// `n` bytes of a fixed pattern (byte `i` of the stream is `i mod 251`).
    Pattern(u64),
    /// The UTF-8 bytes of a text.
    Text(String),
    /// Bytes written in hexadecimal, e.g. `"16030100"`.
    Hex(#[serde(deserialize_with = "crate::names::hex")] Vec<u8>),
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
}

/// Which segments a fault counts. Everything left out matches anything.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentFilter {
    /// Only segments sent by this host.
    #[serde(default)]
    pub from: Option<HostName>,
    /// Only segments sent to this host.
    #[serde(default)]
    pub to: Option<HostName>,
    /// Only segments with (true) or without (false) SYN.
    #[serde(default)]
    pub syn: Option<bool>,
    /// Only segments with or without FIN.
    #[serde(default)]
    pub fin: Option<bool>,
    /// Only segments with or without RST.
    #[serde(default)]
    pub rst: Option<bool>,
    /// Only segments that carry data (true) or carry none (false).
    #[serde(default)]
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
    #[serde(default = "default_max_events")]
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
    #[serde(default)]
    pub states: Vec<StateExpect>,
    /// Bytes that must reach a connection end: exactly the bytes its peer
    /// sent, in order, each once.
    #[serde(default)]
    pub delivered: Vec<Delivered>,
    /// Events that must appear in the log, in this order (others may come
    /// between them).
    #[serde(default)]
    pub events: Vec<EventMatch>,
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
    #[serde(default)]
    pub actor: Option<String>,
    /// `action`, `send`, `recv`, `timer`, `state`, `fault` or `drop`.
    #[serde(default)]
    pub kind: Option<Kind>,
    /// `sim`, `link`, `tcp`, `tls` or `spdy`.
    #[serde(default)]
    pub layer: Option<Layer>,
    /// Field values that must match, by field name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}
