//! The runner: builds the network a scenario describes and drives it.
//!
//! The loop jumps from one due time to the next: the earlier of the next
//! timeline step and the network's next wake-up (a packet arriving, a timer).
//! Timeline steps due at the same instant run before the network, in file
//! order. Applications see the network only through socket events, which are
//! handled in the order the network reports them.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::num::NonZeroU32;
use std::rc::Rc;

use tlsim_net::{
    Fault, FaultAction as NetFaultAction, HostId, LinkConditions, LinkId, Network, PacketTap,
    SegmentFilter as NetFilter, SocketEvent, SocketId, State, TcpConfig, WireCounters,
};
use tlsim_sim::{Due, Event, Instant, Kind, Layer, Queue, Tracer};
use tlsim_tls::crypto::ahead::{Ahead, RunGuard};

use crate::digest::StreamDigest;
use crate::ends::factory::{ClientStack, Factory};
use crate::ends::{ConnectionEnd, EndReport, Transport, TransportEvent, TransportState};
use crate::pki;
use crate::rehearsal::Plan;
use crate::schema::{
    Action, At, Conditions, Data, FaultAction, Scenario, SegmentFilter, TcpSettings,
};

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
    /// Bytes the sending end handed to TLS, or to TCP without TLS.
    pub sent: StreamDigest,
    /// Bytes the receiving end read.
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
    /// What the client end did.
    pub client_end: EndReport,
    /// What the server end did.
    pub server_end: EndReport,
}

impl ConnReport {
    /// Client to server.
    pub fn upstream(&self) -> Flow {
        Flow {
            sent: self.client_end.sent,
            received: self.server_end.received,
        }
    }

    /// Server to client.
    pub fn downstream(&self) -> Flow {
        Flow {
            sent: self.server_end.sent,
            received: self.client_end.received,
        }
    }

    /// The flow that arrives at `host`, if it is an end of this connection.
    pub fn flow_to(&self, host: &str) -> Option<Flow> {
        if host == self.server {
            Some(self.upstream())
        } else if host == self.client {
            Some(self.downstream())
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

    /// What `host`'s end did, and what its peer's did.
    pub fn end_of(&self, host: &str) -> Option<(&EndReport, &EndReport)> {
        if host == self.client {
            Some((&self.client_end, &self.server_end))
        } else if host == self.server {
            Some((&self.server_end, &self.client_end))
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
    /// Packets, bytes and retransmissions the hosts put on their links.
    pub wire: WireCounters,
}

/// Options that change how a run is observed, never what it does.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Digest every byte sent and received, to check delivery is intact.
    /// Costs a pass over the data; benchmarks turn it off.
    pub verify_data: bool,
    /// Threads that rehearse connections ahead of the run, so that their
    /// public-key operations are ready when it reaches them (see
    /// [`tlsim_tls::crypto::ahead`]); 0 for none. The outputs are the
    /// same for any number.
    pub crypto_threads: usize,
    /// Collect the NSS key-log lines into [`Outcome::keylog`]. Costs
    /// hex-encoding every secret; runs whose key log nobody reads turn it
    /// off.
    pub keylog: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            verify_data: true,
            crypto_threads: 0,
            keylog: true,
        }
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

/// One TCP socket of the simulated network, as a connection end sees it.
struct SimSocket {
    net: Rc<RefCell<Network>>,
    socket: SocketId,
}

impl Transport for SimSocket {
    fn state(&self) -> TransportState {
        match self.net.borrow().state(self.socket) {
            State::Established | State::CloseWait => TransportState::Open,
            State::Listen | State::SynSent | State::SynReceived => TransportState::Opening,
            _ => TransportState::Done,
        }
    }

    fn write(&mut self, now: Instant, bytes: &[u8], tracer: &mut dyn Tracer) -> usize {
        self.net.borrow_mut().send(now, self.socket, bytes, tracer)
    }

    fn read(&mut self, out: &mut Vec<u8>) -> usize {
        self.net.borrow_mut().recv(self.socket, out)
    }

    fn discard(&mut self) -> usize {
        self.net.borrow_mut().discard(self.socket)
    }

    fn close(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.net.borrow_mut().close(now, self.socket, tracer);
    }

    fn abort(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.net.borrow_mut().abort(now, self.socket, tracer);
    }
}

/// A connection while it may still act: its report is filled in when it
/// is retired, or when the run ends.
struct Conn {
    sockets: [Option<SocketId>; 2],
    ends: [Box<dyn ConnectionEnd>; 2],
    /// No later timeline step names it.
    timeline_done: bool,
}

/// A connection as the runner keeps it.
enum ConnSlot {
    /// Its ends may still act.
    Live(Box<Conn>),
    /// Its ends are retired and their report written; its sockets wait out
    /// TIME-WAIT, and their states are written once the network frees them
    /// or the run ends.
    Lingering([Option<SocketId>; 2]),
    /// Its report is final.
    Retired,
}

/// `Runner::sockets` entry of a socket that is no connection's end.
const NO_END: u32 = u32::MAX;

const CLIENT: usize = 0;
const SERVER: usize = 1;

/// The key of a connection end: its timer's, and its sockets' entry.
fn end_key(conn: usize, side: usize) -> u32 {
    u32::try_from(2 * conn + side).expect("fewer than 2^31 connections")
}

struct Runner<'a> {
    /// Shared with every end's transport.
    net: Rc<RefCell<Network>>,
    hosts: BTreeMap<String, HostId>,
    addrs: Vec<Ipv4Addr>,
    /// Links by their two hosts, the lower id first.
    links: BTreeMap<(HostId, HostId), LinkId>,
    /// What became of each connection, in the order they were opened.
    reports: Vec<ConnReport>,
    /// Each connection, by the order it was opened. Once no timeline step
    /// names it, no timer of its ends is armed and each of its sockets is
    /// gone or in TIME-WAIT, nothing can reach its ends again: their report
    /// is final and they are dropped, though the sockets may linger for
    /// minutes of simulated time. A run's memory then grows with its open
    /// connections, and with the reports alone for those that are over.
    conns: Vec<ConnSlot>,
    /// For each timeline step, the connection end it acts on, if any.
    targets: Vec<Option<Target>>,
    /// Connections acted on since the last retirement check.
    touched: Vec<usize>,
    /// For each socket id, the timer key (`2 * connection + side`) of its
    /// end, or `NO_END`. The network issues ids densely from 0 and never
    /// reuses one, so a vector indexes them.
    sockets: Vec<u32>,
    tcp: Vec<TcpConfig>,
    factory: Factory<'a>,
    /// Each end's timer, keyed by `2 * connection + side` (no items).
    timers: Queue<Infallible>,
    keylog: Vec<String>,
    tracer: &'a mut dyn Tracer,
    /// The run's side of rehearsals on other threads, when there are any.
    ahead: Option<RunGuard>,
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
    let mut factory = Factory::new(scenario, built, seed, opts);
    if opts.crypto_threads == 0 {
        return Ok(run_with(scenario, factory, seed, None, tracer, tap));
    }
    let plan = Plan::new(scenario, &mut factory);
    if plan.is_empty() {
        return Ok(run_with(scenario, factory, seed, None, tracer, tap));
    }
    let ahead = Ahead::new(plan.rehearsable());
    Ok(std::thread::scope(|workers| {
        for _ in 0..opts.crypto_threads {
            workers.spawn(|| plan.work(&ahead));
        }
        // The guard ends the rehearsals when the run returns or unwinds.
        run_with(
            scenario,
            factory,
            seed,
            Some(ahead.enter_run()),
            tracer,
            tap,
        )
    }))
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
    ahead: Option<RunGuard>,
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

    // Sized once: growing them by doubling copied every report written so far.
    let connects = (scenario.timeline.iter())
        .filter(|step| matches!(step.1, Action::Connect { .. }))
        .count();
    let mut runner = Runner {
        net: Rc::new(RefCell::new(net)),
        hosts,
        addrs: scenario.hosts.iter().map(|h| h.addr).collect(),
        links,
        reports: Vec::with_capacity(connects),
        conns: Vec::with_capacity(connects),
        targets: step_targets(&scenario.timeline),
        touched: Vec::new(),
        sockets: Vec::with_capacity(2 * connects),
        tcp,
        factory,
        timers: Queue::new(),
        keylog: Vec::new(),
        tracer,
        ahead,
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
            runner.net.borrow().next_wakeup(),
            runner.timers.peek_time(),
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
            runner.apply(now, &step.1, runner.targets[next_step], tap);
            next_step += 1;
        }
        while let Some((_, Due::Timer(key))) = runner.timers.pop_due(now) {
            steps += 1;
            runner.with_end(key as usize / 2, key as usize % 2, |end, tracer| {
                end.handle_timeout(now, tracer)
            });
        }
        steps += 1;
        runner.net.borrow_mut().advance(now, runner.tracer, tap);
        runner.handle_socket_events(now);
        runner.retire_finished();
    };
    // Rehearsals stop here, not after the report is written.
    drop(runner.ahead.take());

    let net = runner.net.borrow();
    if runner.tracer.enabled() {
        for left in net.unfinished_sockets() {
            let event = left.event(now, net.host_name(left.host));
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

    let mut conns = std::mem::take(&mut runner.reports);
    for (report, conn) in conns.iter_mut().zip(&runner.conns) {
        match conn {
            ConnSlot::Live(conn) => {
                conn.fill_ends(report);
                fill_states(report, conn.sockets, &net);
            }
            ConnSlot::Lingering(sockets) => fill_states(report, *sockets, &net),
            ConnSlot::Retired => {}
        }
    }
    let wire = net.wire_counters();
    drop(net);
    Outcome {
        end,
        time: now,
        steps,
        conns,
        keylog: runner.keylog,
        wire,
    }
}

/// The connection end a timeline step acts on, in 4 bytes, as a run keeps
/// one for each step: the connection's number plus one in the low 30 bits,
/// then whether the step acts from the server's host, then whether no
/// later step names the connection.
#[derive(Clone, Copy, Debug)]
struct Target(NonZeroU32);

impl Target {
    const SERVER: u32 = 1 << 30;
    const LAST: u32 = 1 << 31;

    /// Connection `conn` (numbered from 0 in the order of the Connect
    /// steps), from its server's end if `server`.
    fn new(conn: u32, server: bool, last: bool) -> Self {
        let number = conn
            .checked_add(1)
            .filter(|n| *n < Self::SERVER)
            .expect("a run opens fewer than 2^30 connections");
        let flags = (u32::from(server) * Self::SERVER) | (u32::from(last) * Self::LAST);
        Target(NonZeroU32::new(number | flags).expect("the number is at least 1"))
    }

    fn conn(self) -> usize {
        ((self.0.get() & (Self::SERVER - 1)) - 1) as usize
    }

    /// `CLIENT` or `SERVER`.
    fn side(self) -> usize {
        match self.0.get() & Self::SERVER {
            0 => CLIENT,
            _ => SERVER,
        }
    }

    /// Whether no later step names the connection.
    fn last(self) -> bool {
        self.0.get() & Self::LAST != 0
    }
}

/// The connection a timeline step names, and the host it acts from.
fn named_end(action: &Action) -> Option<(&str, &str)> {
    match action {
        // An arm of its own: a Connect names its connection with another type.
        Action::Connect { conn, from, .. } => Some((&conn.0, &from.0)),
        Action::Send { conn, from, .. }
        | Action::Close { conn, from }
        | Action::Abort { conn, from }
        | Action::KeyUpdate { conn, from, .. }
        | Action::Renegotiate { conn, from } => Some((&conn.0, &from.0)),
        Action::Fault { .. } | Action::CutLink { .. } => None,
    }
}

/// Each timeline step's target, resolved once before the run so that a
/// step costs no lookup by name. Validation has checked that each
/// connection is defined once and named only after its Connect step.
fn step_targets(timeline: &[At]) -> Vec<Option<Target>> {
    let mut named_later = HashSet::with_hasher(BuildHasherDefault::<DefaultHasher>::default());
    let mut last: Vec<bool> = (timeline.iter().rev())
        .map(|step| named_end(&step.1).is_some_and(|(conn, _)| named_later.insert(conn)))
        .collect();
    last.reverse();
    // It holds every connection's name: gone before the targets are made.
    drop(named_later);
    // Connections by name, with their client's host, while a later step
    // names them: as many as are in flight.
    let mut open: HashMap<&str, (u32, &str), BuildHasherDefault<DefaultHasher>> =
        HashMap::default();
    let mut connects = 0;
    let steps = timeline.iter().zip(last);
    let targets = steps.map(|(step, last)| {
        let (conn, from) = named_end(&step.1)?;
        let (number, client) = match step.1 {
            Action::Connect { .. } => {
                let number = connects;
                connects += 1;
                if !last {
                    open.insert(conn, (number, from));
                }
                (number, from)
            }
            _ => {
                let found = match last {
                    true => open.remove(conn),
                    false => open.get(conn).copied(),
                };
                found.expect("validated: a connection is named only after its Connect")
            }
        };
        Some(Target::new(number, from != client, last))
    });
    targets.collect()
}

impl Conn {
    /// Writes what its ends did.
    fn fill_ends(&self, report: &mut ConnReport) {
        report.client_end = self.ends[CLIENT].report();
        report.server_end = self.ends[SERVER].report();
    }
}

/// Writes the states of a connection's sockets as they are now.
fn fill_states(report: &mut ConnReport, sockets: [Option<SocketId>; 2], net: &Network) {
    let state = |socket: Option<SocketId>| socket.map_or(State::Closed, |s| net.state(s));
    report.client_state = state(sockets[CLIENT]);
    report.server_state = state(sockets[SERVER]);
}

impl<'a> Runner<'a> {
    fn host(&self, name: &str) -> HostId {
        *self.hosts.get(name).expect("validated host name")
    }

    fn addr_of(&self, host: HostId) -> Ipv4Addr {
        self.addrs[host.0 as usize]
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

    /// Runs one timeline step, acting on `target`'s end if it names one.
    fn apply(
        &mut self,
        now: Instant,
        action: &'a Action,
        target: Option<Target>,
        tap: &mut dyn PacketTap,
    ) {
        self.act(now, action, target, tap);
        if let Some(target) = target.filter(|t| t.last()) {
            self.live(target.conn()).timeline_done = true;
            self.touched.push(target.conn());
        }
    }

    fn act(
        &mut self,
        now: Instant,
        action: &'a Action,
        target: Option<Target>,
        _tap: &mut dyn PacketTap,
    ) {
        let end = || {
            let target = target.expect("a step that names a connection has a target");
            (target.conn(), target.side())
        };
        match action {
            Action::Connect {
                conn,
                from,
                to,
                port,
                tls,
                app,
                conversation,
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
                let connected = self
                    .net
                    .borrow_mut()
                    .connect(now, client, addr, cfg, self.tracer);
                let socket = match connected {
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
                debug_assert_eq!(target.map(Target::conn), Some(index));
                let number = index as u32 + 1;
                let stack = ClientStack {
                    tls: tls.as_ref().map(|t| t.0.as_str()),
                    app: app.as_ref(),
                    conversation: conversation.as_ref(),
                };
                let mut client_end =
                    (self.factory).client_end(&conn.0, number, &from.0, &to.0, stack);
                if let Some(socket) = socket {
                    self.bind(socket, index, CLIENT);
                    client_end.attach(self.transport(socket));
                }
                let server_end = (self.factory).server_end(&conn.0, number, &to.0, *port, &from.0);
                self.conns.push(ConnSlot::Live(Box::new(Conn {
                    sockets: [socket, None],
                    ends: [client_end, server_end],
                    timeline_done: false,
                })));
                self.reports.push(ConnReport {
                    name: conn.0.clone(),
                    client: from.0.clone(),
                    server: to.0.clone(),
                    client_state: State::Closed,
                    server_state: State::Closed,
                    client_end: EndReport::default(),
                    server_end: EndReport::default(),
                });
            }
            Action::Send { conn, from, data } => {
                let (c, side) = end();
                let len = match data {
                    Data::Pattern(n) => *n,
                    Data::Text(t) => t.len() as u64,
                    Data::Hex(b) => b.len() as u64,
                };
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tcp,
                    || format!("Application writes {len} bytes on {}", conn.0),
                    "The bytes join the socket's send buffer; TCP sends them as the windows allow.",
                );
                self.with_end(c, side, |end, tracer| end.send(now, data, tracer));
            }
            Action::Close { conn, from } => {
                let (c, side) = end();
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tcp,
                    || format!("Application closes {}", conn.0),
                    "TCP sends a FIN once everything queued has been sent.",
                );
                self.with_end(c, side, |end, tracer| end.close(now, tracer));
            }
            Action::Abort { conn, from } => {
                let (c, side) = end();
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tcp,
                    || format!("Application aborts {}", conn.0),
                    "TCP discards what is queued and sends a RST: the connection ends at once.",
                );
                self.with_end(c, side, |end, tracer| end.abort(now, tracer));
            }
            Action::KeyUpdate {
                conn,
                from,
                request_update,
            } => {
                let (c, side) = end();
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tls,
                    || format!("Application asks for a KeyUpdate on {}", conn.0),
                    "A TLS 1.3 end may roll its write keys forward at any time after the handshake (RFC 8446 §4.6.3).",
                );
                let request_update = *request_update;
                self.with_end(c, side, |end, tracer| {
                    end.key_update(now, request_update, tracer);
                });
            }
            Action::Renegotiate { conn, from } => {
                let (c, side) = end();
                self.note(
                    now,
                    &from.0,
                    Kind::Action,
                    Layer::Tls,
                    || format!("Application asks to renegotiate {}", conn.0),
                    "A TLS 1.2 end may ask for a new handshake on the established connection: a client sends a new Client Hello, a server a Hello Request (RFC 5246 §7.4.1.1, RFC 5746).",
                );
                self.with_end(c, side, |end, tracer| end.renegotiate(now, tracer));
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
                self.net.borrow_mut().add_fault(fault);
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
                (self.net.borrow_mut()).cut_link(link, now, now + duration.0);
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
            self.sockets.resize(i + 1, NO_END);
        }
        self.sockets[i] = end_key(conn, side);
    }

    /// The connection and side of the end `socket` belongs to, if any.
    fn lookup(&self, socket: SocketId) -> Option<(usize, usize)> {
        let key = *self.sockets.get(socket.0 as usize)?;
        (key != NO_END).then_some((key as usize / 2, key as usize % 2))
    }

    /// Whether connection `c`'s ends may still act.
    fn is_live_conn(&self, c: usize) -> bool {
        matches!(self.conns[c], ConnSlot::Live(_))
    }

    /// A connection not yet retired.
    fn live(&mut self, c: usize) -> &mut Conn {
        match &mut self.conns[c] {
            ConnSlot::Live(conn) => conn,
            _ => unreachable!("a retired connection is never acted on"),
        }
    }

    /// Retires the connections acted on since the last call that nothing
    /// can reach any more (see `Runner::conns`), writing their reports.
    fn retire_finished(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        for c in touched.drain(..) {
            let net = self.net.borrow();
            // A socket the network has freed never reports again; a server
            // socket accepted later finds no live peer, so no end.
            let gone = |s: &SocketId| !net.is_live(*s);
            let sockets = match &self.conns[c] {
                ConnSlot::Live(conn) => {
                    // In TIME-WAIT a socket only acknowledges a repeated FIN
                    // (RFC 9293 §3.10.7.4): no byte or event reaches its end.
                    let quiet = conn.timeline_done
                        && conn.ends.iter().all(|end| end.poll_timeout().is_none())
                        && (conn.sockets.iter().flatten())
                            .all(|s| gone(s) || net.state(*s) == State::TimeWait);
                    if !quiet {
                        continue;
                    }
                    conn.fill_ends(&mut self.reports[c]);
                    conn.sockets
                }
                ConnSlot::Lingering(sockets) => *sockets,
                ConnSlot::Retired => continue,
            };
            if sockets.iter().flatten().all(gone) {
                fill_states(&mut self.reports[c], sockets, &net);
                drop(net);
                for socket in sockets.into_iter().flatten() {
                    self.sockets[socket.0 as usize] = NO_END;
                }
                self.conns[c] = ConnSlot::Retired;
            } else {
                drop(net);
                self.conns[c] = ConnSlot::Lingering(sockets);
            }
        }
        self.touched = touched;
    }

    fn transport(&self, socket: SocketId) -> Box<dyn Transport> {
        Box::new(SimSocket {
            net: Rc::clone(&self.net),
            socket,
        })
    }

    /// Calls one end, then collects its key-log lines and sets its timer.
    fn with_end(
        &mut self,
        c: usize,
        side: usize,
        call: impl FnOnce(&mut dyn ConnectionEnd, &mut dyn Tracer),
    ) {
        let tracer = &mut *self.tracer;
        let ConnSlot::Live(conn) = &mut self.conns[c] else {
            unreachable!("a retired connection is never acted on");
        };
        let end = &mut *conn.ends[side];
        match &self.ahead {
            Some(ahead) => ahead.acting_for(c, || call(end, tracer)),
            None => call(end, tracer),
        }
        self.keylog.extend(end.take_keylog());
        self.timers.set_timer(end_key(c, side), end.poll_timeout());
        self.touched.push(c);
    }

    fn handle_socket_events(&mut self, now: Instant) {
        loop {
            // Not held across the loop's body: the ends use the network too.
            let event = self.net.borrow_mut().poll_event();
            let Some(event) = event else { break };
            let (socket, happened) = match event {
                SocketEvent::Accepted { socket, .. } => {
                    let peer = self.net.borrow().peer_of(socket);
                    let Some((c, _)) = peer
                        .and_then(|peer| self.lookup(peer))
                        .filter(|&(c, _)| self.is_live_conn(c))
                    else {
                        continue;
                    };
                    self.bind(socket, c, SERVER);
                    let transport = self.transport(socket);
                    let conn = self.live(c);
                    conn.sockets[SERVER] = Some(socket);
                    conn.ends[SERVER].attach(transport);
                    (socket, TransportEvent::Connected)
                }
                SocketEvent::Connected(s) => (s, TransportEvent::Connected),
                SocketEvent::Writable(s) => (s, TransportEvent::Writable),
                SocketEvent::Readable(s) => (s, TransportEvent::Readable),
                SocketEvent::PeerClosed(s) => (s, TransportEvent::PeerClosed),
                SocketEvent::Closed(s) | SocketEvent::Reset(s) | SocketEvent::TimedOut(s) => {
                    // The connection may be over: see `retire_finished`.
                    if let Some((c, _)) = self.lookup(s) {
                        self.touched.push(c);
                    }
                    continue;
                }
            };
            match self.lookup(socket) {
                Some((c, side)) if self.is_live_conn(c) => {
                    self.with_end(c, side, |end, tracer| {
                        end.handle_transport(now, happened, tracer)
                    });
                }
                // A lingering socket's end is gone; its close may retire it.
                Some((c, _)) => self.touched.push(c),
                None => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_targets_its_connections_end_and_knows_the_last_to_name_it() {
        let scenario = crate::load::parse(
            r#"Scenario(
    name: "targets",
    hosts: [Host(name: "a", addr: "10.0.0.1"), Host(name: "b", addr: "10.0.0.2")],
    links: [Link(between: ("a", "b"), conditions: (latency: "1ms"))],
    listen: [Listen(host: "a", port: 80), Listen(host: "b", port: 80)],
    timeline: [
        At("0ms", Connect(conn: "first", from: "a", to: "b", port: 80)),
        At("0ms", Connect(conn: "second", from: "b", to: "a", port: 80)),
        At("1ms", Send(conn: "first", from: "b", data: Pattern(1))),
        At("1ms", Fault(action: Drop, nth: 1, matching: ())),
        At("2ms", Close(conn: "second", from: "b")),
        At("3ms", Close(conn: "first", from: "a")),
        At("4ms", Connect(conn: "third", from: "a", to: "b", port: 80)),
    ],
)"#,
            "targets.ron",
        )
        .expect("the scenario is valid");
        let targets: Vec<Option<(usize, usize, bool)>> = step_targets(&scenario.timeline)
            .into_iter()
            .map(|t| t.map(|t| (t.conn(), t.side(), t.last())))
            .collect();
        assert_eq!(
            targets,
            [
                Some((0, CLIENT, false)),
                Some((1, CLIENT, false)),
                Some((0, SERVER, false)),
                None,
                Some((1, CLIENT, true)),
                Some((0, CLIENT, true)),
                Some((2, CLIENT, true)),
            ]
        );
    }

    #[test]
    fn a_target_keeps_the_largest_connection_number_apart_from_its_flags() {
        let largest = (1 << 30) - 2;
        let target = Target::new(largest, true, true);
        assert_eq!(
            (target.conn(), target.side(), target.last()),
            (largest as usize, SERVER, true)
        );
        let target = Target::new(0, false, false);
        assert_eq!(
            (target.conn(), target.side(), target.last()),
            (0, CLIENT, false)
        );
    }
}
