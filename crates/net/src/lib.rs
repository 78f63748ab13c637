//! The simulated network of tlsim: IPv4 hosts joined by point-to-point
//! links, and TCP (RFC 9293) between them. It knows nothing of TLS.
//!
//! Where to start reading:
//! - [`network`]: [`Network`], the API a runner drives: hosts, links,
//!   sockets, faults, the queue of packets and timers, events. It finds the
//!   socket for each arriving segment, drives it, and adds hosts, routes
//!   and connection names to what it logs.
//! - [`tcp`]: the TCP state machine as a sans-IO [`tcp::Socket`] that
//!   knows only its 4-tuple (segments in; segments, events and the next
//!   wake-up pulled out), [`TcpConfig`], [`State`] and the list of
//!   deliberate deviations from the RFCs. It knows nothing of the network.
//! - [`link`]: [`LinkConditions`] and how a link delays, drops, duplicates,
//!   reorders and corrupts packets, with its fixed order of random draws.
//! - [`wire`]: IPv4 and TCP headers as real bytes, with checksums.
//! - [`pcap`]: [`PcapWriter`], a [`PacketTap`] writing classic pcap.
//!
//! Everything is deterministic: time is passed in, randomness comes from
//! `tlsim_sim` streams named after hosts and links, and no hash map is ever
//! iterated into an output.

#![forbid(unsafe_code)]

pub mod link;
pub mod network;
pub mod pcap;
pub mod tcp;
pub mod wire;

pub use link::LinkConditions;
pub use network::{
    Analysis, Fault, FaultAction, HostId, Label, LinkId, NetError, Network, NoTap, PacketTap,
    SegmentFilter, SocketEvent, SocketId, UnfinishedSocket, WireCounters,
};
pub use pcap::{CapturePoint, PcapWriter};
pub use tcp::{InvalidTcpConfig, SocketStats, State, TcpConfig};
