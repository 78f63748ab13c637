//! The network: hosts, links, sockets, and the queue of packets and wake-ups.
//!
//! Call order for a runner: set up with [`Network::add_host`],
//! [`Network::add_link`] and [`Network::listen`]; then loop: act through
//! [`Network::connect`], [`Network::send`], [`Network::recv`],
//! [`Network::close`]; call [`Network::advance`] up to the time of
//! [`Network::next_wakeup`]; drain [`Network::poll_event`]. Application calls
//! never put packets on a link themselves: they schedule a wake-up at the
//! current time, and the segments leave in the next `advance`, where the
//! packet tap is at hand.
//!
//! Performance: packet buffers are recycled through a free list; sockets
//! live in a slab with recycled buffers, named by dense ids that are never
//! reused (so a caller can index its own tables by them); segments find
//! their socket by a hash lookup in the receiving host's table (never
//! iterated); packets on a link wait in that link's FIFO lane of the queue
//! (no sorting unless the link reorders); and each socket has exactly one
//! timer in the queue, at its earliest deadline, moved when the deadline
//! moves and gone when the socket is freed, so the queue holds only what
//! will happen.
//!
//! Each socket is a sans-IO [`Socket`] that knows only
//! its 4-tuple; its slot here adds its host, peer, route and connection
//! number. After every input to a socket the network pulls its events and
//! segments in the order they happened, logs them under those names, and
//! puts the segments on the route's link.
//!
//! The pieces: this file holds [`Network`], its hosts, sockets and the
//! processing of wake-ups; `demux.rs` which socket an arriving segment is
//! for, and the RST when none is; `faults.rs` the scripted faults;
//! `table.rs` each host's socket table; `trace.rs` how segments, state
//! changes and timers appear in the log, with the explanations of
//! `explain.rs`; `analysis.rs` what a capture at the sender makes of each
//! segment, in Wireshark's TCP analysis labels.

use core::fmt;
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};

use tlsim_sim::{Due, Duration, Event, Instant, Kind, Layer, RngStream, Tracer};

mod analysis;
mod demux;
mod explain;
mod faults;
mod table;
mod trace;

pub use analysis::{Analysis, Label};
pub use faults::{Fault, FaultAction, SegmentFilter};

use crate::link::{Direction, LinkConditions, Verdict};
use crate::tcp::{Event as TcpEvent, Note, Socket, SocketStats, State, TcpConfig};
use crate::wire::ipv4;
use crate::wire::tcp::{Flags, Repr as TcpRepr, SeqNumber};
use analysis::{Analyzer, Observed};
use faults::{FaultState, tamper};
use table::{SocketTable, socket_key};
use trace::{segment_event, socket_event};

/// A host of the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u32);

/// A link between two hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

/// A socket: issued in order from 0 and never reused by the same network,
/// so an id kept after its socket was freed never reaches a later socket, and
/// callers may index a table of their own by it (the ids stay dense).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(pub u32);

const FIRST_EPHEMERAL_PORT: u16 = 49152;

/// Something the application should know about a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketEvent {
    /// An active open completed (SYN-SENT → ESTABLISHED).
    Connected(SocketId),
    /// A passive open completed on a listening port.
    Accepted {
        /// The listening host.
        host: HostId,
        /// The listening port.
        port: u16,
        /// The new connection.
        socket: SocketId,
    },
    /// In-order data is waiting for `recv` (signalled once until read).
    Readable(SocketId),
    /// Send buffer space freed after a `send` accepted less than offered.
    Writable(SocketId),
    /// The peer's FIN arrived: no more data will come.
    PeerClosed(SocketId),
    /// The socket reached CLOSED (LAST-ACK acknowledged, TIME-WAIT over, or aborted).
    Closed(SocketId),
    /// The peer reset the connection.
    Reset(SocketId),
    /// Retransmissions were exhausted; the connection is abandoned.
    TimedOut(SocketId),
}

/// A live socket with work left undone, as [`Network::unfinished_sockets`]
/// lists it at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnfinishedSocket {
    /// The socket.
    pub socket: SocketId,
    /// Its host.
    pub host: HostId,
    /// Its connection number in the log (0: none).
    pub conn: u32,
    /// Its state.
    pub state: State,
    /// Bytes the application queued that were never sent.
    pub unsent: u64,
    /// Bytes sent that the peer has not acknowledged.
    pub unacknowledged: u64,
    /// Whether the application closed the socket.
    pub closed_by_application: bool,
}

impl UnfinishedSocket {
    /// The event title that says what is left: unsent data first, then
    /// unacknowledged data, then a close that did not complete.
    pub fn title(&self) -> &'static str {
        if self.unsent > 0 {
            "Unsent data at end of run"
        } else if self.unacknowledged > 0 {
            "Unacknowledged data at end of run"
        } else {
            "Connection not closed at end of run"
        }
    }

    /// The log event that reports it at `now`, with `actor` its host's name.
    pub fn event(&self, now: Instant, actor: &str) -> Event {
        let mut event = Event::new(now, actor, Kind::State, Layer::Tcp, self.title())
            .field("State", self.state)
            .field("Unsent", self.unsent)
            .field("Unacknowledged", self.unacknowledged)
            .field(
                "Closed by Application",
                if self.closed_by_application {
                    "yes"
                } else {
                    "no"
                },
            )
            .explain(
                "The run ended with this connection's work undone: nothing more was going to \
                 happen to it, or a limit cut the run short.",
            );
        if self.conn != 0 {
            event = event.conn(self.conn);
        }
        event
    }
}

/// Receives every IPv4 packet as it enters a link, exactly as the sender
/// built it, including ones the link later loses or corrupts; and, if it
/// wants them, every packet as it leaves a link for its receiver.
pub trait PacketTap {
    /// One packet, at the instant it entered the link.
    fn packet(&mut self, time: Instant, bytes: &[u8]);

    /// One packet, at the instant it reached the receiver's end of the link,
    /// with whatever a fault did to it on the way. Ignored unless overridden.
    fn arrived(&mut self, time: Instant, bytes: &[u8]) {
        let _ = (time, bytes);
    }
}

/// A tap that keeps nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTap;

impl PacketTap for NoTap {
    fn packet(&mut self, _time: Instant, _bytes: &[u8]) {}
}

/// Errors of network calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetError {
    /// The host id is not one of this network's.
    UnknownHost(HostId),
    /// The socket id is stale or was never issued.
    UnknownSocket(SocketId),
    /// Something already listens on this port.
    PortInUse {
        /// The host.
        host: HostId,
        /// The port.
        port: u16,
    },
    /// No host has this address, or no link joins the two hosts.
    NoRoute(Ipv4Addr),
    /// Every ephemeral port towards this destination is taken.
    NoFreePort,
    /// The socket slab is full.
    TooManySockets,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::UnknownHost(h) => write!(f, "unknown host {}", h.0),
            NetError::UnknownSocket(s) => write!(f, "unknown socket {:#x}", s.0),
            NetError::PortInUse { host, port } => {
                write!(f, "port {port} in use on host {}", host.0)
            }
            NetError::NoRoute(addr) => write!(f, "no route to {addr}"),
            NetError::NoFreePort => f.write_str("no free ephemeral port"),
            NetError::TooManySockets => f.write_str("too many sockets"),
        }
    }
}

impl std::error::Error for NetError {}

#[derive(Debug)]
struct Host {
    name: String,
    addr: Ipv4Addr,
    next_ip_id: u16,
    next_port: u16,
    isn_rng: RngStream,
    listeners: BTreeMap<u16, TcpConfig>,
    /// Live sockets, found by a hash lookup (never iterated).
    sockets: SocketTable,
    /// (neighbour, index of the direction towards it), in link order.
    routes: Vec<(HostId, usize)>,
}

#[derive(Debug)]
struct LinkDirection {
    from: HostId,
    to: HostId,
    label: String,
    link: Direction,
}

/// A packet reaching the end of a link direction; the bytes wait in
/// `Fabric::in_flight`, so queue entries stay small and cheap to sift.
struct Arrival {
    direction: u32,
    packet: u32,
}

/// Everything but the sockets: what a socket's output reaches.
struct Fabric {
    hosts: Vec<Host>,
    directions: Vec<LinkDirection>,
    /// Packet arrivals, and one timer per socket slot (keyed by slab index).
    queue: tlsim_sim::Queue<Arrival>,
    packet_pool: Vec<Vec<u8>>,
    /// Packets on the wire, by the index their `Item::Arrival` holds.
    in_flight: Vec<Vec<u8>>,
    /// Free indices of `in_flight`.
    free_in_flight: Vec<u32>,
    faults: Vec<FaultState>,
    events: VecDeque<SocketEvent>,
    /// The capture's view of each segment sent, for the log.
    analyzer: Analyzer,
    counters: WireCounters,
}

/// What every host put on its links over a run, counted as segments leave
/// (whatever the link then does with them), never read from the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireCounters {
    /// IPv4 packets sent.
    pub packets: u64,
    /// Their bytes, IPv4 and TCP headers included.
    pub bytes: u64,
    /// Segments among them that carried data, a SYN or a FIN again.
    pub retransmissions: u64,
}

/// Where a socket sits in the topology: what the network adds when it puts
/// the socket's segments on a link and logs what the socket does.
#[derive(Clone, Copy, Debug)]
struct Attachment {
    host: HostId,
    peer_host: HostId,
    /// Connection number in the log (0: none).
    conn: u32,
    /// Index of the link direction towards the peer.
    route: usize,
}

/// A slab entry; `id` names its current (or last) socket.
struct Slot {
    live: bool,
    id: SocketId,
    attachment: Attachment,
    socket: Socket,
}

/// The simulated network.
pub struct Network {
    seed: u64,
    now: Instant,
    fabric: Fabric,
    slots: Vec<Slot>,
    /// Freed slots, reused last-in first-out: the most recently freed
    /// socket's buffers are the likeliest to still be in cache.
    free_slots: Vec<usize>,
    /// Slab index of every socket ever issued, by id: 4 bytes per socket.
    slot_of: Vec<u32>,
    next_conn: u32,
    addr_to_host: BTreeMap<Ipv4Addr, HostId>,
}

impl Fabric {
    fn host(&self, id: HostId) -> &Host {
        &self.hosts[id.0 as usize]
    }

    /// Queues `packet` to arrive at the far end of `direction` at `at`.
    fn push_arrival(&mut self, at: Instant, direction: usize, packet: Vec<u8>) {
        let index = match self.free_in_flight.pop() {
            Some(free) => {
                self.in_flight[free as usize] = packet;
                free
            }
            None => {
                self.in_flight.push(packet);
                (self.in_flight.len() - 1) as u32
            }
        };
        let direction = direction as u32;
        let arrival = Arrival {
            direction,
            packet: index,
        };
        // A link direction is a lane: it delivers in order unless it jitters.
        self.queue.push_in_lane(direction, at, arrival);
    }

    /// Passes on what the socket in `slot` reported at `now`: to the
    /// application's queue, or, with its host and connection, to the log.
    fn report(&mut self, now: Instant, slot: &Slot, event: TcpEvent, tracer: &mut dyn Tracer) {
        let id = slot.id;
        let for_application = match event {
            TcpEvent::Connected => SocketEvent::Connected(id),
            TcpEvent::Accepted => SocketEvent::Accepted {
                host: slot.attachment.host,
                port: slot.socket.local().port(),
                socket: id,
            },
            TcpEvent::Readable => SocketEvent::Readable(id),
            TcpEvent::Writable => SocketEvent::Writable(id),
            TcpEvent::PeerClosed => SocketEvent::PeerClosed(id),
            TcpEvent::Closed => SocketEvent::Closed(id),
            TcpEvent::Reset => SocketEvent::Reset(id),
            TcpEvent::TimedOut => SocketEvent::TimedOut(id),
            _ => {
                if tracer.enabled() {
                    let actor = &self.host(slot.attachment.host).name;
                    let conn = slot.attachment.conn;
                    if let Some(logged) = socket_event(now, actor, conn, &slot.socket, event) {
                        tracer.record(logged);
                    }
                }
                return;
            }
        };
        self.events.push_back(for_application);
    }

    /// Takes the packet an `Arrival` refers to.
    fn take_arrival(&mut self, packet: u32) -> Vec<u8> {
        self.free_in_flight.push(packet);
        std::mem::take(&mut self.in_flight[packet as usize])
    }

    /// Builds the IPv4 packet for `repr`, logs it with sequence numbers
    /// relative to the sender's `(iss, irs)`, and puts it on the route's link.
    #[allow(clippy::too_many_arguments)]
    fn transmit(
        &mut self,
        now: Instant,
        from: &Attachment,
        (iss, irs): (SeqNumber, SeqNumber),
        repr: &TcpRepr<'_>,
        note: Note,
        tracer: &mut dyn Tracer,
        tap: &mut dyn PacketTap,
    ) {
        let dst_addr = self.host(from.peer_host).addr;
        let host = &mut self.hosts[from.host.0 as usize];
        let ident = host.next_ip_id;
        host.next_ip_id = host.next_ip_id.wrapping_add(1);
        let ip = ipv4::Repr {
            src_addr: host.addr,
            dst_addr,
            protocol: ipv4::Protocol::TCP,
            payload_len: repr.buffer_len(),
            ident,
            ttl: ipv4::DEFAULT_TTL,
        };
        let mut packet = self.packet_pool.pop().unwrap_or_default();
        packet.clear();
        packet.resize(ipv4::HEADER_LEN + repr.buffer_len(), 0);
        ip.emit(&mut packet[..ipv4::HEADER_LEN]);
        repr.emit(&mut packet[ipv4::HEADER_LEN..], ip.src_addr, ip.dst_addr);
        self.counters.packets += 1;
        self.counters.bytes += packet.len() as u64;
        if note == Note::Retransmission {
            self.counters.retransmissions += 1;
        }
        if tracer.enabled() {
            let syn = repr.flags.contains(Flags::SYN);
            let bases = (
                iss,
                if repr.flags.contains(Flags::RST) && irs == SeqNumber(0) {
                    SeqNumber(0)
                } else {
                    irs
                },
            );
            let bases = if syn && repr.ack_number.is_none() {
                (iss, SeqNumber(0))
            } else {
                bases
            };
            let analysis = self.analyzer.observe(
                now,
                &Observed {
                    src: SocketAddrV4::new(ip.src_addr, repr.src_port),
                    dst: SocketAddrV4::new(ip.dst_addr, repr.dst_port),
                    seq: repr.seq_number.0,
                    ack: repr.ack_number.map_or(0, |a| a.0),
                    flags: repr
                        .ack_number
                        .map_or(repr.flags, |_| repr.flags.with(Flags::ACK)),
                    len: repr.payload.len() as u32,
                    window: repr.window_len,
                    window_scale: repr.window_scale,
                },
            );
            let event = segment_event(
                now,
                Kind::Send,
                &self.host(from.host).name,
                &self.host(from.peer_host).name,
                (from.conn != 0).then_some(from.conn),
                repr,
                bases,
                note,
                Some(&analysis),
                &packet,
            );
            tracer.record(event);
        }
        let flags = repr.flags;
        let has_payload = !repr.payload.is_empty();
        self.enter_link(
            now,
            from.route,
            packet,
            from.conn,
            flags,
            has_payload,
            tracer,
            tap,
        );
    }

    /// A packet enters a link direction: tap, faults, then the link's verdict.
    #[allow(clippy::too_many_arguments)]
    fn enter_link(
        &mut self,
        now: Instant,
        direction: usize,
        mut packet: Vec<u8>,
        conn: u32,
        flags: Flags,
        has_payload: bool,
        tracer: &mut dyn Tracer,
        tap: &mut dyn PacketTap,
    ) {
        tap.packet(now, &packet);
        let (from, to) = (
            self.directions[direction].from,
            self.directions[direction].to,
        );
        let mut extra_delay = Duration::ZERO;
        let mut fault_duplicate = false;
        let mut fault_corrupt = false;
        let mut fault_tamper = None;
        for state in &mut self.faults {
            if state.seen >= state.fault.nth
                || !state.fault.filter.matches(from, to, flags, has_payload)
            {
                continue;
            }
            state.seen = state.seen.saturating_add(1);
            if state.seen != state.fault.nth {
                continue;
            }
            let action = state.fault.action;
            if tracer.enabled() {
                let verb = match action {
                    FaultAction::Drop => "drop",
                    FaultAction::Delay(_) => "delay",
                    FaultAction::Duplicate => "duplicate",
                    FaultAction::Corrupt => "corrupt",
                    FaultAction::Tamper { .. } => "tamper with",
                };
                let mut event = Event::new(
                    now,
                    self.directions[direction].label.clone(),
                    Kind::Fault,
                    Layer::Link,
                    format!("Fault: {verb} segment #{}", state.fault.nth),
                );
                match action {
                    FaultAction::Delay(d) => event = event.field("Delay", d),
                    FaultAction::Tamper { byte, xor } => {
                        event = event
                            .field("Payload Byte", byte)
                            .field("XOR", format!("0x{xor:02x}"))
                            .explain(
                                "An on-path attacker changes the payload and recomputes the TCP checksum: \
                                 TCP accepts the segment, and only a record MAC above it can tell.",
                            );
                    }
                    _ => {}
                }
                if conn != 0 {
                    event = event.conn(conn);
                }
                tracer.record(event.bytes(&packet[..]));
            }
            match action {
                FaultAction::Drop => {
                    self.packet_pool.push(packet);
                    return;
                }
                FaultAction::Delay(d) => extra_delay = extra_delay + d,
                FaultAction::Duplicate => fault_duplicate = true,
                FaultAction::Corrupt => fault_corrupt = true,
                FaultAction::Tamper { byte, xor } => fault_tamper = Some((byte, xor)),
            }
        }
        if let Some((byte, xor)) = fault_tamper {
            tamper(&mut packet, byte, xor);
        }
        let verdict = self.directions[direction].link.admit(now, packet.len());
        match verdict {
            Verdict::Dropped(reason) => {
                if tracer.enabled() {
                    let mut event = Event::new(
                        now,
                        self.directions[direction].label.clone(),
                        Kind::Drop,
                        Layer::Link,
                        reason.title(),
                    );
                    if conn != 0 {
                        event = event.conn(conn);
                    }
                    tracer.record(event.bytes(&packet[..]));
                }
                self.packet_pool.push(packet);
            }
            Verdict::Deliver {
                at,
                duplicate,
                corrupt_bit,
            } => {
                if let Some(bit) = corrupt_bit {
                    packet[bit / 8] ^= 0x80 >> (bit % 8);
                }
                if fault_corrupt {
                    if let Some(last) = packet.last_mut() {
                        *last ^= 1;
                    }
                }
                let at = at + extra_delay;
                if duplicate || fault_duplicate {
                    let mut copy = self.packet_pool.pop().unwrap_or_default();
                    copy.clear();
                    copy.extend_from_slice(&packet);
                    self.push_arrival(at, direction, packet);
                    self.push_arrival(at, direction, copy);
                } else {
                    self.push_arrival(at, direction, packet);
                }
            }
        }
    }
}

impl Network {
    /// An empty network; `seed` keys every random stream.
    pub fn new(seed: u64) -> Self {
        Network {
            seed,
            now: Instant::ZERO,
            fabric: Fabric {
                hosts: Vec::new(),
                directions: Vec::new(),
                queue: tlsim_sim::Queue::new(),
                packet_pool: Vec::new(),
                in_flight: Vec::new(),
                free_in_flight: Vec::new(),
                faults: Vec::new(),
                events: VecDeque::new(),
                analyzer: Analyzer::default(),
                counters: WireCounters::default(),
            },
            slots: Vec::new(),
            free_slots: Vec::new(),
            slot_of: Vec::new(),
            next_conn: 1,
            addr_to_host: BTreeMap::new(),
        }
    }

    /// Adds a host; its ISNs come from the stream `"tcp isn <name>"`.
    pub fn add_host(&mut self, name: &str, addr: Ipv4Addr) -> HostId {
        let id = HostId(self.fabric.hosts.len() as u32);
        self.fabric.hosts.push(Host {
            name: name.to_owned(),
            addr,
            next_ip_id: 0,
            next_port: FIRST_EPHEMERAL_PORT,
            isn_rng: RngStream::new(self.seed, &format!("tcp isn {name}")),
            listeners: BTreeMap::new(),
            sockets: SocketTable::default(),
            routes: Vec::new(),
        });
        self.addr_to_host.insert(addr, id);
        id
    }

    /// The name given to `add_host`.
    ///
    /// # Panics
    /// If `host` is not one of this network's.
    pub fn host_name(&self, host: HostId) -> &str {
        &self.fabric.host(host).name
    }

    /// Joins two hosts; each direction draws from the stream `"link <a>-><b>"`.
    pub fn add_link(
        &mut self,
        a: HostId,
        b: HostId,
        a_to_b: LinkConditions,
        b_to_a: LinkConditions,
    ) -> LinkId {
        let id = LinkId(self.fabric.directions.len() as u32 / 2);
        for (from, to, conditions) in [(a, b, a_to_b), (b, a, b_to_a)] {
            let label = format!(
                "{}->{}",
                self.fabric.host(from).name,
                self.fabric.host(to).name
            );
            let rng = RngStream::new(self.seed, &format!("link {label}"));
            let index = self.fabric.directions.len();
            self.fabric.directions.push(LinkDirection {
                from,
                to,
                label,
                link: Direction::new(conditions, rng),
            });
            self.fabric.hosts[from.0 as usize].routes.push((to, index));
        }
        id
    }

    /// Packets entering either direction of `link` in `[from, until)` are lost.
    pub fn cut_link(&mut self, link: LinkId, from: Instant, until: Instant) {
        let first = link.0 as usize * 2;
        for direction in &mut self.fabric.directions[first..first + 2] {
            direction.link.add_cut(from, until);
        }
    }

    /// Schedules a scripted fault.
    pub fn add_fault(&mut self, fault: Fault) {
        self.fabric.faults.push(FaultState { fault, seen: 0 });
    }

    /// Accepts connections on `port` of `host`.
    pub fn listen(&mut self, host: HostId, port: u16, config: TcpConfig) -> Result<(), NetError> {
        let h = self
            .fabric
            .hosts
            .get_mut(host.0 as usize)
            .ok_or(NetError::UnknownHost(host))?;
        if h.listeners.contains_key(&port) {
            return Err(NetError::PortInUse { host, port });
        }
        h.listeners.insert(port, config);
        Ok(())
    }

    fn route(&self, host: HostId, to: Ipv4Addr) -> Result<(HostId, usize), NetError> {
        let peer = *self.addr_to_host.get(&to).ok_or(NetError::NoRoute(to))?;
        self.fabric
            .host(host)
            .routes
            .iter()
            .find(|(neighbour, _)| *neighbour == peer)
            .copied()
            .ok_or(NetError::NoRoute(to))
    }

    /// Takes a slot for a new connection between `local` and `remote`, and
    /// opens its socket, active or passive, with an ISN from the host's
    /// stream and an MSS the route's MTU allows; returns the socket and its
    /// slab index.
    fn open_socket(
        &mut self,
        attachment: Attachment,
        (local, remote): (SocketAddrV4, SocketAddrV4),
        config: TcpConfig,
        active: bool,
    ) -> Result<(SocketId, usize), NetError> {
        let id = SocketId(
            u32::try_from(self.slot_of.len())
                .ok()
                .filter(|&n| n < u32::MAX)
                .ok_or(NetError::TooManySockets)?,
        );
        let index = match self.free_slots.pop() {
            Some(index) => {
                self.slots[index].socket.reuse(local, remote, config);
                index
            }
            None => {
                self.slots.push(Slot {
                    live: false,
                    id,
                    attachment,
                    socket: Socket::new(local, remote, config),
                });
                self.slots.len() - 1
            }
        };
        self.slot_of.push(index as u32);
        let slot = &mut self.slots[index];
        slot.live = true;
        slot.id = id;
        slot.attachment = attachment;
        let host = &mut self.fabric.hosts[attachment.host.0 as usize];
        host.sockets
            .insert(socket_key(local.port(), remote), index as u32);
        let iss = SeqNumber(host.isn_rng.u32());
        let mtu = self.fabric.directions[attachment.route].link.conditions.mtu;
        if active {
            slot.socket.connect(iss, mtu);
        } else {
            slot.socket.accept(iss, mtu);
        }
        Ok((id, index))
    }

    /// The slab index that `socket` had, if its slot still holds it.
    fn index_of(&self, socket: SocketId) -> Option<usize> {
        let index = *self.slot_of.get(socket.0 as usize)? as usize;
        (self.slots[index].id == socket).then_some(index)
    }

    fn slot(&self, socket: SocketId) -> Option<&Slot> {
        self.index_of(socket).map(|index| &self.slots[index])
    }

    fn live_index(&self, socket: SocketId) -> Option<usize> {
        self.index_of(socket)
            .filter(|&index| self.slots[index].live)
    }

    /// Opens a connection from `host` to `remote`, from the next free ephemeral
    /// port (49152 upward, wrapping). The SYN leaves at the next `advance`.
    pub fn connect(
        &mut self,
        now: Instant,
        host: HostId,
        remote: SocketAddrV4,
        config: TcpConfig,
        tracer: &mut dyn Tracer,
    ) -> Result<SocketId, NetError> {
        self.now = self.now.max(now);
        if host.0 as usize >= self.fabric.hosts.len() {
            return Err(NetError::UnknownHost(host));
        }
        let (peer_host, route) = self.route(host, *remote.ip())?;
        let addr = self.fabric.host(host).addr;
        let mut port = None;
        for _ in 0..=(u16::MAX - FIRST_EPHEMERAL_PORT) {
            let h = &mut self.fabric.hosts[host.0 as usize];
            let candidate = h.next_port;
            h.next_port = if candidate == u16::MAX {
                FIRST_EPHEMERAL_PORT
            } else {
                candidate + 1
            };
            if !h.sockets.contains_key(&socket_key(candidate, remote)) {
                port = Some(candidate);
                break;
            }
        }
        let local = SocketAddrV4::new(addr, port.ok_or(NetError::NoFreePort)?);
        let conn = self.next_conn;
        self.next_conn = self.next_conn.saturating_add(1);
        let attachment = Attachment {
            host,
            peer_host,
            conn,
            route,
        };
        let (id, index) = self.open_socket(attachment, (local, remote), config, true)?;
        self.pull_events(index, now, tracer);
        self.schedule(index, self.now);
        Ok(id)
    }

    /// Queues data; returns how many bytes the send buffer accepted (a
    /// `Writable` event follows when space frees after a short write).
    pub fn send(
        &mut self,
        now: Instant,
        socket: SocketId,
        data: &[u8],
        _tracer: &mut dyn Tracer,
    ) -> usize {
        self.now = self.now.max(now);
        let Some(index) = self.live_index(socket) else {
            return 0;
        };
        let n = self.slots[index].socket.send(data);
        self.schedule(index, self.now);
        n
    }

    /// Appends in-order received bytes to `out`, returning how many; the
    /// window reopens (a window update may leave at the next `advance`).
    /// Data stays readable after the socket closed, until its slot is reused.
    pub fn recv(&mut self, socket: SocketId, out: &mut Vec<u8>) -> usize {
        self.take_received(socket, Some(out))
    }

    /// Like [`recv`](Self::recv), but drops the bytes instead of copying
    /// them: for an application that only counts what arrives.
    pub fn discard(&mut self, socket: SocketId) -> usize {
        self.take_received(socket, None)
    }

    fn take_received(&mut self, socket: SocketId, out: Option<&mut Vec<u8>>) -> usize {
        let Some(index) = self.index_of(socket) else {
            return 0;
        };
        let slot = &mut self.slots[index];
        let n = slot.socket.recv(out);
        if slot.live {
            let now = self.now;
            self.schedule(index, now);
        }
        n
    }

    /// Closes our side: a FIN follows the queued data (RFC 9293 §3.10.4).
    pub fn close(&mut self, now: Instant, socket: SocketId, tracer: &mut dyn Tracer) {
        self.with_socket(now, socket, tracer, Socket::close);
    }

    /// Aborts: a RST leaves at the next `advance`, the socket is CLOSED at once.
    pub fn abort(&mut self, now: Instant, socket: SocketId, tracer: &mut dyn Tracer) {
        self.with_socket(now, socket, tracer, Socket::abort);
    }

    fn with_socket(
        &mut self,
        now: Instant,
        socket: SocketId,
        tracer: &mut dyn Tracer,
        call: impl FnOnce(&mut Socket),
    ) {
        self.now = self.now.max(now);
        let Some(index) = self.live_index(socket) else {
            return;
        };
        call(&mut self.slots[index].socket);
        self.pull_events(index, now, tracer);
        self.after_processing(index, self.now);
    }

    /// The socket's state; CLOSED for a freed or unknown socket.
    pub fn state(&self, socket: SocketId) -> State {
        self.slot(socket)
            .map_or(State::Closed, |s| s.socket.state())
    }

    /// What the hosts have put on their links so far.
    pub fn wire_counters(&self) -> WireCounters {
        self.fabric.counters
    }

    /// The socket's counters; they stay readable after close until the slot is reused.
    pub fn stats(&self, socket: SocketId) -> SocketStats {
        self.slot(socket)
            .map_or_else(SocketStats::default, |s| s.socket.stats())
    }

    /// Whether `socket` is still live: issued, and not yet freed. Once
    /// freed, it adds no event to those [`Network::poll_event`] gives.
    pub fn is_live(&self, socket: SocketId) -> bool {
        self.live_index(socket).is_some()
    }

    /// The socket at the other end of the connection, if it exists.
    pub fn peer_of(&self, socket: SocketId) -> Option<SocketId> {
        let slot = self.slot(socket)?;
        let index = self.socket_at(
            slot.attachment.peer_host,
            slot.socket.remote(),
            slot.socket.local(),
        )?;
        let peer = &self.slots[index];
        peer.live.then_some(peer.id)
    }

    /// Live sockets, in id order, that hold data the peer has not
    /// acknowledged, or that the application closed and that are not yet
    /// closed as far as this end can take them (CLOSED, or FIN-WAIT-2 or
    /// TIME-WAIT, which wait only for the peer or the clock).
    pub fn unfinished_sockets(&self) -> Vec<UnfinishedSocket> {
        let mut unfinished: Vec<UnfinishedSocket> = self
            .slots
            .iter()
            .filter(|slot| slot.live)
            .filter_map(|slot| {
                let socket = &slot.socket;
                let (unsent, unacknowledged) = socket.unfinished_bytes();
                let state = socket.state();
                let closing = socket.closed_by_application()
                    && !matches!(state, State::Closed | State::FinWait2 | State::TimeWait);
                (unsent > 0 || unacknowledged > 0 || closing).then_some(UnfinishedSocket {
                    socket: slot.id,
                    host: slot.attachment.host,
                    conn: slot.attachment.conn,
                    state,
                    unsent,
                    unacknowledged,
                    closed_by_application: socket.closed_by_application(),
                })
            })
            .collect();
        unfinished.sort_by_key(|u| u.socket);
        unfinished
    }

    /// Live sockets (not yet freed); useful to check that nothing leaked.
    pub fn live_sockets(&self) -> usize {
        self.fabric.hosts.iter().map(|h| h.sockets.len()).sum()
    }

    /// The earliest pending packet arrival or socket wake-up.
    #[must_use]
    pub fn next_wakeup(&self) -> Option<Instant> {
        self.fabric.queue.peek_time()
    }

    /// The next event for the application, in the order they happened.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SocketEvent> {
        self.fabric.events.pop_front()
    }

    /// Processes every arrival and wake-up due at or before `now`, each at its own time.
    pub fn advance(&mut self, now: Instant, tracer: &mut dyn Tracer, tap: &mut dyn PacketTap) {
        self.now = self.now.max(now);
        while let Some((at, item)) = self.fabric.queue.pop_due(now) {
            match item {
                Due::Item(Arrival { direction, packet }) => {
                    let packet = self.fabric.take_arrival(packet);
                    self.arrive(at, direction as usize, packet, tracer, tap)
                }
                Due::Timer(index) => {
                    // Freeing a socket disarms its timer: the slot is live.
                    let index = index as usize;
                    self.slots[index].socket.handle_timeout(at);
                    self.pull_outputs(index, at, tracer, tap);
                }
            }
        }
    }

    /// Logs what the socket in slot `index` reported at `now` and queues
    /// what the application should know, up to its next segment; returns
    /// whether there was anything.
    fn pull_events(&mut self, index: usize, now: Instant, tracer: &mut dyn Tracer) -> bool {
        let slot = &mut self.slots[index];
        let mut any = false;
        while let Some(event) = slot.socket.poll_event() {
            self.fabric.report(now, slot, event, tracer);
            any = true;
        }
        any
    }

    /// After an input at `now`: pulls the socket's events and segments in
    /// the order they happened, puts the segments on their link, then frees
    /// the socket or moves its timer.
    fn pull_outputs(
        &mut self,
        index: usize,
        now: Instant,
        tracer: &mut dyn Tracer,
        tap: &mut dyn PacketTap,
    ) {
        loop {
            let slot = &mut self.slots[index];
            let attachment = slot.attachment;
            let bases = (slot.socket.iss(), slot.socket.irs());
            if let Some(transmit) = slot.socket.poll_transmit(now) {
                self.fabric.transmit(
                    now,
                    &attachment,
                    bases,
                    &transmit.repr,
                    transmit.note,
                    tracer,
                    tap,
                );
            } else if !self.pull_events(index, now, tracer) {
                break;
            }
        }
        self.after_processing(index, now);
    }

    /// Frees a finished socket, or makes sure its next deadline is queued.
    fn after_processing(&mut self, index: usize, now: Instant) {
        let slot = &mut self.slots[index];
        if slot.socket.is_finished() {
            slot.live = false;
            self.fabric.queue.set_timer(index as u32, None);
            let key = socket_key(slot.socket.local().port(), slot.socket.remote());
            self.fabric.hosts[slot.attachment.host.0 as usize]
                .sockets
                .remove(&key);
            self.free_slots.push(index);
        } else {
            self.schedule(index, now);
        }
    }

    /// Moves the socket's timer to its next deadline: now if an application
    /// call left something to send.
    fn schedule(&mut self, index: usize, now: Instant) {
        let socket = &self.slots[index].socket;
        let deadline = if socket.wants_transmit() {
            Some(now)
        } else {
            socket.poll_timeout()
        };
        self.fabric.queue.set_timer(index as u32, deadline);
    }

    /// The slab index of `host`'s live socket at `local` talking to `remote`.
    fn socket_at(&self, host: HostId, local: SocketAddrV4, remote: SocketAddrV4) -> Option<usize> {
        let index = self
            .fabric
            .host(host)
            .sockets
            .get(&socket_key(local.port(), remote))?;
        Some(*index as usize)
    }

    /// The connection number of the live socket on `peer` at `remote` that
    /// talks to `local` (the one that called `connect`), or 0 if there is none.
    fn conn_of_peer(&self, peer: HostId, local: SocketAddrV4, remote: SocketAddrV4) -> u32 {
        self.socket_at(peer, remote, local)
            .map_or(0, |index| self.slots[index].attachment.conn)
    }
}
