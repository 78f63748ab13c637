//! The runner: builds the network a scenario describes and drives it.
//!
//! The loop jumps from one due time to the next: the earlier of the next
//! timeline step and the network's next wake-up (a packet arriving, a timer).
//! Timeline steps due at the same instant run before the network, in file
//! order. Applications see the network only through socket events, which are
//! handled in the order the network reports them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::net::{Ipv4Addr, SocketAddrV4};

use tlsim_net::{
    Fault, FaultAction as NetFaultAction, HostId, LinkConditions, LinkId, Network, PacketTap,
    SegmentFilter as NetFilter, SocketEvent, SocketId, State, TcpConfig,
};
use tlsim_sim::{Due, Duration, Event, Instant, Kind, Layer, Queue, Tracer};

use crate::digest::StreamDigest;
use crate::pki;
use crate::schema::{Action, Conditions, Data, FaultAction, Scenario, SegmentFilter, TcpSettings};
use crate::session::{Factory, Stack};

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Nothing was left to happen: every timer expired, every packet arrived.
    Quiescent,
    /// The scenario's `max_time` was reached first.
    MaxTime,
    /// The scenario's `max_events` was reached first.
    MaxEvents,
}

/// One direction of a connection, as the applications saw it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flow {
    /// Bytes handed to TCP by the sending end.
    pub sent: StreamDigest,
    /// Bytes the receiving end read from TCP.
    pub received: StreamDigest,
}

impl Flow {
    /// Whether the receiver got exactly the bytes sent, in order.
    pub fn intact(&self) -> bool {
        self.sent == self.received
    }
}

/// What became of one connection.
#[derive(Clone, Debug)]
pub struct ConnReport {
    /// Its name in the scenario.
    pub name: String,
    /// The connecting host.
    pub client: String,
    /// The accepting host.
    pub server: String,
    /// Final TCP state of the client end.
    pub client_state: State,
    /// Final TCP state of the server end (`CLOSED` if it was never accepted).
    pub server_state: State,
    /// Client to server.
    pub upstream: Flow,
    /// Server to client.
    pub downstream: Flow,
}

impl ConnReport {
    /// The flow that arrives at `host`, if it is an end of this connection.
    pub fn flow_to(&self, host: &str) -> Option<&Flow> {
        if host == self.server {
            Some(&self.upstream)
        } else if host == self.client {
            Some(&self.downstream)
        } else {
            None
        }
    }

    /// The final state of `host`'s end.
    pub fn state_of(&self, host: &str) -> Option<State> {
        if host == self.client {
            Some(self.client_state)
        } else if host == self.server {
            Some(self.server_state)
        } else {
            None
        }
    }
}

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Why it ended.
    pub end: End,
    /// Simulated time of the last step.
    pub time: Instant,
    /// Simulator steps taken (timeline steps and network wake-ups).
    pub steps: u64,
    /// Every connection, in the order they were opened.
    pub conns: Vec<ConnReport>,
    /// NSS key-log lines (`CLIENT_RANDOM …`), in the order the keys were made.
    pub keylog: Vec<String>,
}

/// Options that change how a run is observed, never what it does.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Digest every byte sent and received, to check delivery is intact.
    /// Costs a pass over the data; benchmarks turn it off.
    pub verify_data: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { verify_data: true }
    }
}

/// Parses an RFC 9293 state name as the log shows it (`TIME-WAIT`).
pub fn parse_state(name: &str) -> Option<State> {
    Some(match name {
        "CLOSED" => State::Closed,
        "LISTEN" => State::Listen,
        "SYN-SENT" => State::SynSent,
        "SYN-RECEIVED" => State::SynReceived,
        "ESTABLISHED" => State::Established,
        "FIN-WAIT-1" => State::FinWait1,
        "FIN-WAIT-2" => State::FinWait2,
        "CLOSE-WAIT" => State::CloseWait,
        "CLOSING" => State::Closing,
        "LAST-ACK" => State::LastAck,
        "TIME-WAIT" => State::TimeWait,
        _ => return None,
    })
}

/// Byte `i` of a `Pattern` stream is `i mod PATTERN_PERIOD` (a prime, so
/// the pattern never lines up with segment or record sizes).
const PATTERN_PERIOD: usize = 251;

/// The first `len` bytes of a `Pattern` stream.
pub(crate) fn pattern_bytes(len: u64) -> Vec<u8> {
    (0..len)
        .map(|i| (i % PATTERN_PERIOD as u64) as u8)
        .collect()
}
/// The most bytes handed to TCP, or to TLS, at a time: four TLS records.
const CHUNK: usize = 64 * 1024;
/// The plaintext of one full TLS record (RFC 5246 §6.2.1).
const MAX_RECORD: usize = tlsim_tls::record::MAX_PLAINTEXT_LEN;

/// Bytes queued by the timeline for one end, not yet accepted by TCP.
enum Chunk {
    Bytes(Vec<u8>, usize),
    Pattern(u64),
}

#[derive(Default)]
struct End_ {
    socket: Option<SocketId>,
    /// TLS and the application above TCP; `None` until the end exists.
    stack: Option<Box<Stack>>,
    outbox: VecDeque<Chunk>,
    /// A TLS end's application bytes that TLS has not taken yet: they are
    /// handed over a window at a time, as TCP takes the records.
    plaintext: VecDeque<Chunk>,
    /// Bytes of the front `Pattern` chunk of `plaintext` taken already.
    plaintext_taken: u64,
    /// Bytes TCP delivered that the stack has yet to process.
    pending_input: Vec<u8>,
    /// The peer's FIN arrived behind `pending_input`.
    peer_closed: bool,
    /// What the timeline sent before this (server) end existed.
    unaccepted: Vec<Chunk>,
    /// Offset in this end's outgoing stream (for `Pattern` bytes).
    offset: u64,
    /// TCP should close once everything queued is sent.
    close_wanted: bool,
    /// The timeline closed this end: a TLS end first sends what it was
    /// given, then close_notify; then TCP closes.
    app_close_wanted: bool,
    closed: bool,
    aborted: bool,
}

struct Conn {
    name: String,
    client: HostId,
    server: HostId,
    ends: [End_; 2],
    flows: [Flow; 2],
}

const CLIENT: usize = 0;
const SERVER: usize = 1;

struct Runner<'a> {
    net: Network,
    hosts: BTreeMap<String, HostId>,
    addrs: Vec<Ipv4Addr>,
    /// Links by their two hosts, the lower id first.
    links: BTreeMap<(HostId, HostId), LinkId>,
    conns: Vec<Conn>,
    /// Connections by name; looked up, never iterated.
    conn_index: HashMap<String, usize, BuildHasherDefault<DefaultHasher>>,
    /// For each socket id, its connection and end. The network issues ids
    /// densely from 0 and never reuses one, so a vector indexes them.
    sockets: Vec<Option<(usize, usize)>>,
    pattern: Vec<u8>,
    scratch: Vec<u8>,
    opts: RunOptions,
    tcp: Vec<TcpConfig>,
    factory: Factory<'a>,
    /// Connection ends whose received bytes wait out their processing time:
    /// one timer per end, keyed by `2 * connection + side` (no items).
    processing: Queue<Infallible>,
    keylog: Vec<String>,
    tls_out: Vec<u8>,
    tracer: &'a mut dyn Tracer,
}

fn tcp_config(base: &TcpSettings, own: Option<&TcpSettings>) -> TcpConfig {
    let mut c = TcpConfig::default();
    for s in std::iter::once(base).chain(own) {
        if let Some(v) = s.mss {
            c.mss = v;
        }
        if let Some(v) = s.recv_buffer {
            c.recv_buffer = v;
        }
        if let Some(v) = s.send_buffer {
            c.send_buffer = v;
        }
        if let Some(v) = s.delayed_ack {
            c.delayed_ack = (v.0 > tlsim_sim::Duration::ZERO).then_some(v.0);
        }
        if let Some(v) = s.initial_rto {
            c.initial_rto = v.0;
        }
        if let Some(v) = s.min_rto {
            c.min_rto = v.0;
        }
        if let Some(v) = s.max_rto {
            c.max_rto = v.0;
        }
        if let Some(v) = s.timestamps {
            c.timestamps = v;
        }
        if let Some(v) = s.time_wait {
            c.time_wait = v.0;
        }
        if let Some(v) = s.initial_cwnd {
            c.initial_cwnd_segments = v;
        }
        if let Some(v) = s.max_retransmissions {
            c.max_retransmissions = v;
        }
    }
    c
}

fn link_conditions(c: &Conditions) -> LinkConditions {
    LinkConditions {
        latency: c.latency.0,
        bandwidth_bps: c.bandwidth.map(|b| b.0),
        queue_limit_bytes: c.queue_bytes,
        jitter: c.jitter.0,
        loss: c.loss.probability(),
        duplicate: c.duplicate.probability(),
        reorder: c.reorder.probability(),
        reorder_delay: c.reorder_delay.0,
        corrupt: c.corrupt.probability(),
        mtu: c.mtu,
    }
}

/// Runs `scenario` under `seed`, sending events to `tracer` and packets to `tap`.
///
/// The scenario must have passed [`crate::load::parse`]'s validation;
/// `base` is the folder its relative paths (key files) are resolved against.
/// Fails only when the scenario's keys or certificates cannot be made.
pub fn run_in(
    scenario: &Scenario,
    base: &std::path::Path,
    seed: u64,
    opts: RunOptions,
    tracer: &mut dyn Tracer,
    tap: &mut dyn PacketTap,
) -> Result<Outcome, String> {
    let built = pki::build(&scenario.pki, seed, base)?;
    Ok(run_with(
        scenario,
        Factory::new(scenario, built, seed),
        seed,
        opts,
        tracer,
        tap,
    ))
}

/// Runs a scenario that has no key files (see [`run_in`] for one that has).
///
/// # Panics
/// If the scenario's keys or certificates cannot be made, as when it names
/// key files: they need [`run_in`]'s base folder.
pub fn run(
    scenario: &Scenario,
    seed: u64,
    opts: RunOptions,
    tracer: &mut dyn Tracer,
    tap: &mut dyn PacketTap,
) -> Outcome {
    run_in(scenario, std::path::Path::new("."), seed, opts, tracer, tap)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run_with<'a>(
    scenario: &'a Scenario,
    factory: Factory<'a>,
    seed: u64,
    opts: RunOptions,
    tracer: &'a mut dyn Tracer,
    tap: &mut dyn PacketTap,
) -> Outcome {
    let mut net = Network::new(seed);
    let hosts: BTreeMap<String, HostId> = scenario
        .hosts
        .iter()
        .map(|h| (h.name.clone(), net.add_host(&h.name, h.addr)))
        .collect();
    let id_of = |name: &str| *hosts.get(name).expect("validated host name");
    // A host never announces an MSS larger than its smallest link MTU allows (IPv4 20 + TCP 20 bytes).
    let mut smallest_mtu: Vec<Option<u16>> = vec![None; scenario.hosts.len()];
    for l in &scenario.links {
        let mtu = l
            .reverse
            .as_ref()
            .map_or(l.conditions.mtu, |r| r.mtu.min(l.conditions.mtu));
        for end in [&l.between.0.0, &l.between.1.0] {
            let slot = &mut smallest_mtu[id_of(end).0 as usize];
            *slot = Some(slot.map_or(mtu, |m| m.min(mtu)));
        }
    }
    let tcp: Vec<TcpConfig> = scenario
        .hosts
        .iter()
        .zip(&smallest_mtu)
        .map(|(h, mtu)| {
            let mut cfg = tcp_config(&scenario.tcp, h.tcp.as_ref());
            if let Some(mtu) = mtu {
                cfg.mss = cfg.mss.min(mtu.saturating_sub(40));
            }
            cfg
        })
        .collect();
    let mut links = BTreeMap::new();
    for l in &scenario.links {
        let (a, b) = (id_of(&l.between.0.0), id_of(&l.between.1.0));
        let forward = link_conditions(&l.conditions);
        let back = l.reverse.as_ref().map_or(forward, link_conditions);
        links.insert((a.min(b), a.max(b)), net.add_link(a, b, forward, back));
    }
    for l in &scenario.listen {
        let host = id_of(&l.host.0);
        let cfg = tcp[host.0 as usize];
        net.listen(host, l.port, cfg)
            .expect("validated: each port listened on once");
    }

    if tracer.enabled() {
        tracer.record(
            Event::new(Instant::ZERO, "sim", Kind::Action, Layer::Sim, "Run started")
                .field("Scenario", &scenario.name)
                .field("Seed", seed)
                .explain("Every random choice in this run comes from streams derived from this seed; the same seed gives the same log."),
        );
    }

    let pattern: Vec<u8> = (0..PATTERN_PERIOD + CHUNK)
        .map(|i| (i % PATTERN_PERIOD) as u8)
        .collect();
    let mut runner = Runner {
        net,
        hosts,
        addrs: scenario.hosts.iter().map(|h| h.addr).collect(),
        links,
        conns: Vec::new(),
        conn_index: HashMap::default(),
        sockets: Vec::new(),
        pattern,
        scratch: Vec::with_capacity(CHUNK),
        opts,
        tcp,
        factory,
        processing: Queue::new(),
        keylog: Vec::new(),
        tls_out: Vec::new(),
        tracer,
    };

    // Validated to be in time order.
    let timeline = &scenario.timeline;
    let mut next_step = 0;
    let max_time = Instant::ZERO + scenario.limits.max_time.0;
    let mut steps = 0u64;
    let mut now = Instant::ZERO;
    let end = loop {
        let step_time = timeline.get(next_step).map(|step| Instant::ZERO + step.0.0);
        let next = [
            step_time,
            runner.net.next_wakeup(),
            runner.processing.peek_time(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            break End::Quiescent;
        };
        if next > max_time {
            break End::MaxTime;
        }
        if steps >= scenario.limits.max_events {
            break End::MaxEvents;
        }
        now = next;
        while let Some(step) = timeline.get(next_step) {
            if Instant::ZERO + step.0.0 > now {
                break;
            }
            steps += 1;
            runner.apply(now, &step.1, tap);
            next_step += 1;
        }
        while let Some((_, Due::Timer(key))) = runner.processing.pop_due(now) {
            steps += 1;
            runner.process_input(now, key as usize / 2, key as usize % 2);
        }
        steps += 1;
        runner.net.advance(now, runner.tracer, tap);
        runner.handle_socket_events(now);
    };

    if runner.tracer.enabled() {
        for left in runner.net.unfinished_sockets() {
            let event = left.event(now, runner.net.host_name(left.host));
            runner.tracer.record(event);
        }
        let (title, why): (&'static str, &'static str) = match end {
            End::Quiescent => (
                "Run finished",
                "Nothing is left to happen: every packet has arrived and every timer has expired.",
            ),
            End::MaxTime => (
                "Run stopped: max_time reached",
                "The scenario's max_time bounds the simulated time; the run was cut short.",
            ),
            End::MaxEvents => (
                "Run stopped: max_events reached",
                "The scenario's max_events bounds the simulator steps; the run was cut short.",
            ),
        };
        let ev = Event::new(now, "sim", Kind::Action, Layer::Sim, title)
            .field("Steps", steps)
            .explain(why);
        runner.tracer.record(ev);
    }

    let conns = runner
        .conns
        .iter()
        .map(|c| ConnReport {
            name: c.name.clone(),
            client: runner.net.host_name(c.client).to_string(),
            server: runner.net.host_name(c.server).to_string(),
            client_state: c.ends[CLIENT]
                .socket
                .map_or(State::Closed, |s| runner.net.state(s)),
            server_state: c.ends[SERVER]
                .socket
                .map_or(State::Closed, |s| runner.net.state(s)),
            upstream: c.flows[CLIENT],
            downstream: c.flows[SERVER],
        })
        .collect();
    Outcome {
        end,
        time: now,
        steps,
        conns,
        keylog: runner.keylog,
    }
}

impl Runner<'_> {
    fn host(&self, name: &str) -> HostId {
        *self.hosts.get(name).expect("validated host name")
    }

    fn addr_of(&self, host: HostId) -> Ipv4Addr {
        self.addrs[host.0 as usize]
    }

    fn conn_end(&self, conn: &str, host: &str) -> (usize, usize) {
        let c = self.conn_index[conn];
        let side = if self.net.host_name(self.conns[c].client) == host {
            CLIENT
        } else {
            SERVER
        };
        (c, side)
    }

    fn note(
        &mut self,
        now: Instant,
        actor: &str,
        kind: Kind,
        layer: Layer,
        title: impl FnOnce() -> String,
        explain: &'static str,
    ) {
        // Built only when wanted: benchmarks run thousands of steps untraced.
        if self.tracer.enabled() {
            self.tracer
                .record(Event::new(now, actor, kind, layer, title()).explain(explain));
        }
    }

    fn apply(&mut self, now: Instant, action: &Action, _tap: &mut dyn PacketTap) {
        match action {
            Action::Connect {
                conn,
                from,
                to,
                port,
                tls,
                app,
            } => {
                let (client, server) = (self.host(&from.0), self.host(&to.0));
                let addr = SocketAddrV4::new(self.addr_of(server), *port);
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tcp,
                    || format!("Connect {} to {}:{}", conn.0, to.0, port),
                    "The application asks TCP to open a connection; TCP starts the three-way handshake with a SYN.",
                );
                let cfg = self.tcp[client.0 as usize];
                // Validation guarantees a route; what can still fail is a
                // client with every ephemeral port in use (TIME-WAIT).
                let socket = match self.net.connect(now, client, addr, cfg, self.tracer) {
                    Ok(socket) => Some(socket),
                    Err(e) => {
                        if self.tracer.enabled() {
                            let event = Event::new(now, &from.0, Kind::Drop, Layer::Tcp, format!("Connect {} failed", conn.0))
                                .field("Error", e.to_string())
                                .explain("TCP could not open the connection; the steps that use it do nothing.");
                            self.tracer.record(event);
                        }
                        None
                    }
                };
                let index = self.conns.len();
                self.conn_index.insert(conn.0.clone(), index);
                let mut ends: [End_; 2] = Default::default();
                ends[CLIENT].socket = socket;
                if tls.is_some() || app.is_some() {
                    let number = index as u32 + 1;
                    ends[CLIENT].stack = Some(Box::new(self.factory.client_stack(
                        &conn.0,
                        number,
                        &from.0,
                        &to.0,
                        tls.as_ref().map(|t| t.0.as_str()),
                        app.as_ref(),
                    )));
                }
                self.conns.push(Conn {
                    name: conn.0.clone(),
                    client,
                    server,
                    ends,
                    flows: Default::default(),
                });
                if let Some(socket) = socket {
                    self.bind(socket, index, CLIENT);
                }
            }
            Action::Send { conn, from, data } => {
                let (c, side) = self.conn_end(&conn.0, &from.0);
                let (chunk, len) = match data {
                    Data::Pattern(n) => (Chunk::Pattern(*n), *n),
                    Data::Text(t) => (Chunk::Bytes(t.clone().into_bytes(), 0), t.len() as u64),
                    Data::Hex(b) => (Chunk::Bytes(b.clone(), 0), b.len() as u64),
                };
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tcp,
                    || format!("Application writes {len} bytes on {}", conn.0),
                    "The bytes join the socket's send buffer; TCP sends them as the windows allow.",
                );
                self.write_app(now, c, side, chunk);
            }
            Action::Close { conn, from } => {
                let (c, side) = self.conn_end(&conn.0, &from.0);
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tcp,
                    || format!("Application closes {}", conn.0),
                    "TCP sends a FIN once everything queued has been sent.",
                );
                self.conns[c].ends[side].app_close_wanted = true;
                self.pump(now, c, side);
            }
            Action::Abort { conn, from } => {
                let (c, side) = self.conn_end(&conn.0, &from.0);
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tcp,
                    || format!("Application aborts {}", conn.0),
                    "TCP discards what is queued and sends a RST: the connection ends at once.",
                );
                let end = &mut self.conns[c].ends[side];
                end.outbox.clear();
                end.plaintext.clear();
                end.aborted = true;
                if let Some(s) = end.socket {
                    self.net.abort(now, s, self.tracer);
                }
            }
            Action::Fault {
                action,
                nth,
                matching,
            } => {
                let fault = Fault {
                    action: self.fault_action(*action),
                    filter: self.filter(matching),
                    nth: *nth,
                };
                self.note(
                    now,
                    "sim",
                    Kind::Fault,
                    Layer::Link,
                    || format!("Fault armed: {} segment #{nth} {}", fault_verb(*action), describe_filter(matching)),
                    "From now on the network counts matching segments and applies the fault to the chosen one.",
                );
                self.net.add_fault(fault);
            }
            Action::CutLink { between, duration } => {
                let (a, b) = (self.host(&between.0.0), self.host(&between.1.0));
                let link = self.links[&(a.min(b), a.max(b))];
                self.note(
                    now,
                    "sim",
                    Kind::Fault,
                    Layer::Link,
                    || format!("Link {}<->{} cut for {}", between.0, between.1, duration),
                    "Every packet that enters the link while it is cut is lost.",
                );
                self.net.cut_link(link, now, now + duration.0);
            }
        }
    }

    fn fault_action(&self, a: FaultAction) -> NetFaultAction {
        match a {
            FaultAction::Drop => NetFaultAction::Drop,
            FaultAction::Delay(t) => NetFaultAction::Delay(t.0),
            FaultAction::Duplicate => NetFaultAction::Duplicate,
            FaultAction::Corrupt => NetFaultAction::Corrupt,
            FaultAction::Tamper { byte, xor } => NetFaultAction::Tamper { byte, xor },
        }
    }

    fn filter(&self, f: &SegmentFilter) -> NetFilter {
        NetFilter {
            from: f.from.as_ref().map(|h| self.host(&h.0)),
            to: f.to.as_ref().map(|h| self.host(&h.0)),
            syn: f.syn,
            fin: f.fin,
            rst: f.rst,
            has_payload: f.payload,
        }
    }

    fn bind(&mut self, socket: SocketId, conn: usize, side: usize) {
        let i = socket.0 as usize;
        if self.sockets.len() <= i {
            self.sockets.resize(i + 1, None);
        }
        self.sockets[i] = Some((conn, side));
    }

    fn lookup(&self, socket: SocketId) -> Option<(usize, usize)> {
        self.sockets.get(socket.0 as usize).copied().flatten()
    }

    /// Hands queued bytes to TCP until its send buffer is full, and a TLS
    /// end's application bytes to TLS as TCP takes its records; then, once
    /// nothing is left, sends close_notify if the application closed, and
    /// closes TCP if a close is wanted.
    fn flush(&mut self, now: Instant, c: usize, side: usize) {
        let Some(socket) = self.conns[c].ends[side].socket else {
            return;
        };
        if !matches!(
            self.net.state(socket),
            State::Established | State::CloseWait
        ) {
            return;
        }
        loop {
            if !self.send_outbox(now, c, side, socket) {
                // TCP's send buffer is full: wait for `Writable`.
                return;
            }
            if !self.feed_tls(now, c, side) {
                break;
            }
        }
        let end = &mut self.conns[c].ends[side];
        if end.stack.is_none() && end.app_close_wanted {
            end.close_wanted = true;
        }
        let tls_done = end.stack.as_ref().is_none_or(|s| s.may_close_transport());
        if end.close_wanted
            && !end.closed
            && end.outbox.is_empty()
            && end.plaintext.is_empty()
            && tls_done
        {
            end.closed = true;
            self.net.close(now, socket, self.tracer);
        }
    }

    /// Moves the outbox into TCP; false if TCP could not take all of it.
    fn send_outbox(&mut self, now: Instant, c: usize, side: usize, socket: SocketId) -> bool {
        let Conn { ends, flows, .. } = &mut self.conns[c];
        let (end, sent) = (&mut ends[side], &mut flows[side].sent);
        while let Some(front) = end.outbox.front_mut() {
            let bytes: &[u8] = match front {
                Chunk::Bytes(b, done) => &b[*done..],
                Chunk::Pattern(left) => {
                    let start = (end.offset % PATTERN_PERIOD as u64) as usize;
                    &self.pattern[start..start + (*left).min(CHUNK as u64) as usize]
                }
            };
            let offered = bytes.len();
            let accepted = self.net.send(now, socket, bytes, self.tracer);
            // With TLS above, the flow counts application bytes, not TCP's.
            if end.stack.is_none() {
                if self.opts.verify_data {
                    sent.update(&bytes[..accepted]);
                } else {
                    sent.skip(accepted as u64);
                }
            }
            end.offset += accepted as u64;
            let finished = match front {
                Chunk::Bytes(b, done) => {
                    *done += accepted;
                    *done == b.len()
                }
                Chunk::Pattern(left) => {
                    *left -= accepted as u64;
                    *left == 0
                }
            };
            if finished {
                end.outbox.pop_front();
            } else if accepted < offered {
                return false;
            }
        }
        true
    }

    /// One step of a TLS end's sending: hands TLS the next piece of
    /// application bytes if it has room for it, or, once all are handed
    /// over and the application closed, asks TLS to close. Returns whether
    /// TLS was given anything (its records are then in the outbox).
    fn feed_tls(&mut self, now: Instant, c: usize, side: usize) -> bool {
        let Conn { ends, flows, .. } = &mut self.conns[c];
        let end = &mut ends[side];
        let Some(stack) = end.stack.as_mut() else {
            return false;
        };
        let queued: usize = end
            .outbox
            .iter()
            .map(|chunk| match chunk {
                Chunk::Bytes(b, done) => b.len() - done,
                Chunk::Pattern(left) => *left as usize,
            })
            .sum();
        let room = match stack.application_data_room(CHUNK, end.close_wanted) {
            Some(room) => room.saturating_sub(queued),
            // RFC 5246 §7.2.1: after a close, pending writes are discarded.
            None => {
                end.plaintext.clear();
                0
            }
        };
        if let Some(front) = end.plaintext.front_mut() {
            let left = match front {
                Chunk::Bytes(b, done) => (b.len() - *done) as u64,
                Chunk::Pattern(left) => *left,
            };
            // Whole records, as one write of the whole chunk would make.
            let piece = if left <= room as u64 {
                left as usize
            } else {
                room / MAX_RECORD * MAX_RECORD
            };
            if piece == 0 {
                return false;
            }
            let bytes: &[u8] = match front {
                Chunk::Bytes(b, done) => &b[*done..*done + piece],
                Chunk::Pattern(_) => {
                    let start = (end.plaintext_taken % PATTERN_PERIOD as u64) as usize;
                    &self.pattern[start..start + piece]
                }
            };
            stack.send(now, bytes, &mut flows[side].sent, self.tracer);
            match front {
                Chunk::Bytes(_, done) => *done += piece,
                Chunk::Pattern(left) => *left -= piece as u64,
            }
            end.plaintext_taken += piece as u64;
            if piece as u64 == left {
                end.plaintext.pop_front();
                end.plaintext_taken = 0;
            }
        } else if end.app_close_wanted && !stack.is_closing() {
            stack.close(now, self.tracer);
            end.close_wanted = true;
        } else {
            return false;
        }
        self.drain_tls(now, c, side);
        true
    }

    /// Makes the server end's TLS and application, as its listener says.
    fn accept_stack(&mut self, c: usize, port: u16) {
        let conn = &self.conns[c];
        let host = self.net.host_name(conn.server).to_string();
        let listen = self.factory.listener(&host, port);
        if !listen {
            return;
        }
        let peer = self.net.host_name(conn.client).to_string();
        let name = conn.name.clone();
        let stack = self
            .factory
            .server_stack(&name, c as u32 + 1, &host, port, &peer);
        self.conns[c].ends[SERVER].stack = Some(Box::new(stack));
    }

    /// Sends what the timeline gave a server end before it was accepted.
    fn release_unaccepted(&mut self, now: Instant, c: usize) {
        for chunk in std::mem::take(&mut self.conns[c].ends[SERVER].unaccepted) {
            self.write_app(now, c, SERVER, chunk);
        }
    }

    /// Application bytes for one end: through its TLS stack if it has one,
    /// straight to TCP if not, or kept until the end exists (a server end
    /// before its connection is accepted).
    fn write_app(&mut self, now: Instant, c: usize, side: usize, chunk: Chunk) {
        let end = &mut self.conns[c].ends[side];
        if end.socket.is_none() {
            end.unaccepted.push(chunk);
            return;
        }
        if end.stack.is_some() {
            end.plaintext.push_back(chunk);
        } else {
            end.outbox.push_back(chunk);
        }
        self.flush(now, c, side);
    }

    /// Runs one round of the end's TLS and application, queues what they
    /// wrote for TCP, and sends it.
    fn pump(&mut self, now: Instant, c: usize, side: usize) {
        self.drain_tls(now, c, side);
        self.flush(now, c, side);
    }

    /// Runs one round of the end's TLS and application and queues what
    /// they wrote for TCP.
    fn drain_tls(&mut self, now: Instant, c: usize, side: usize) {
        let Conn { ends, flows, .. } = &mut self.conns[c];
        let Some(stack) = ends[side].stack.as_mut() else {
            return;
        };
        let (first, second) = flows.split_at_mut(1);
        let (ours, theirs) = if side == CLIENT {
            (&mut first[0], &mut second[0])
        } else {
            (&mut second[0], &mut first[0])
        };
        let pumped = stack.pump(
            now,
            self.tracer,
            &mut ours.sent,
            &mut theirs.received,
            &mut self.tls_out,
            &mut self.keylog,
        );
        let end = &mut ends[side];
        if !self.tls_out.is_empty() {
            end.outbox
                .push_back(Chunk::Bytes(std::mem::take(&mut self.tls_out), 0));
        }
        if pumped.close {
            end.close_wanted = true;
        }
    }

    /// Hands the bytes waiting for an end's stack to it, and sends what it answers.
    fn process_input(&mut self, now: Instant, c: usize, side: usize) {
        let end = &mut self.conns[c].ends[side];
        let input = std::mem::take(&mut end.pending_input);
        if let Some(stack) = end.stack.as_mut() {
            stack.handle_tcp_bytes(now, &input, self.tracer);
        }
        if end.peer_closed {
            end.close_wanted = true;
        }
        self.pump(now, c, side);
    }

    fn read(&mut self, now: Instant, socket: SocketId, c: usize, side: usize) {
        // What `side` reads was sent by the other end.
        if self.conns[c].ends[side].stack.is_none() && !self.opts.verify_data {
            let n = self.net.discard(socket);
            self.conns[c].flows[1 - side].received.skip(n as u64);
            return;
        }
        self.scratch.clear();
        self.net.recv(socket, &mut self.scratch);
        let end = &mut self.conns[c].ends[side];
        if let Some(stack) = end.stack.as_mut() {
            let delay = stack.processing_time();
            if delay == Duration::ZERO {
                stack.handle_tcp_bytes(now, &self.scratch, self.tracer);
                self.pump(now, c, side);
                return;
            }
            // The stack acts on what arrived once its processing time has
            // passed; TCP acknowledges meanwhile, by its own rules.
            if end.pending_input.is_empty() {
                let key = u32::try_from(2 * c + side).expect("fewer than 2^31 connections");
                self.processing.set_timer(key, Some(now + delay));
            }
            end.pending_input.extend_from_slice(&self.scratch);
            return;
        }
        self.conns[c].flows[1 - side].received.update(&self.scratch);
    }

    fn handle_socket_events(&mut self, now: Instant) {
        while let Some(event) = self.net.poll_event() {
            match event {
                SocketEvent::Accepted { socket, port, .. } => {
                    let Some(peer) = self.net.peer_of(socket) else {
                        continue;
                    };
                    let Some((c, _)) = self.lookup(peer) else {
                        continue;
                    };
                    self.conns[c].ends[SERVER].socket = Some(socket);
                    self.bind(socket, c, SERVER);
                    self.accept_stack(c, port);
                    self.release_unaccepted(now, c);
                    self.pump(now, c, SERVER);
                    self.flush(now, c, SERVER);
                }
                SocketEvent::Connected(s) => {
                    if let Some((c, side)) = self.lookup(s) {
                        if let Some(stack) = self.conns[c].ends[side].stack.as_mut() {
                            stack.start(now, self.tracer);
                        }
                        self.pump(now, c, side);
                        self.flush(now, c, side);
                    }
                }
                SocketEvent::Writable(s) => {
                    if let Some((c, side)) = self.lookup(s) {
                        self.flush(now, c, side);
                    }
                }
                SocketEvent::Readable(s) => {
                    if let Some((c, side)) = self.lookup(s) {
                        self.read(now, s, c, side);
                    }
                }
                SocketEvent::PeerClosed(s) => {
                    // Like most servers on reading end-of-file: close too once
                    // everything queued has been sent.
                    if let Some((c, side)) = self.lookup(s) {
                        self.read(now, s, c, side);
                        let end = &mut self.conns[c].ends[side];
                        // Bytes still being processed come before the close.
                        if end.pending_input.is_empty() {
                            end.close_wanted = true;
                            self.flush(now, c, side);
                        } else {
                            end.peer_closed = true;
                        }
                    }
                }
                SocketEvent::Closed(_) | SocketEvent::Reset(_) | SocketEvent::TimedOut(_) => {}
            }
        }
    }
}

fn fault_verb(a: FaultAction) -> String {
    match a {
        FaultAction::Drop => "drop".into(),
        FaultAction::Delay(t) => format!("delay by {t}"),
        FaultAction::Duplicate => "duplicate".into(),
        FaultAction::Corrupt => "corrupt".into(),
        FaultAction::Tamper { byte, xor } => {
            format!("XOR 0x{xor:02x} into payload byte {byte} of")
        }
    }
}

fn describe_filter(f: &SegmentFilter) -> String {
    let mut parts = Vec::new();
    if let Some(h) = &f.from {
        parts.push(format!("from {h}"));
    }
    if let Some(h) = &f.to {
        parts.push(format!("to {h}"));
    }
    for (name, v) in [
        ("SYN", f.syn),
        ("FIN", f.fin),
        ("RST", f.rst),
        ("data", f.payload),
    ] {
        match v {
            Some(true) => parts.push(format!("with {name}")),
            Some(false) => parts.push(format!("without {name}")),
            None => {}
        }
    }
    if parts.is_empty() {
        "of any kind".into()
    } else {
        parts.join(", ")
    }
}
