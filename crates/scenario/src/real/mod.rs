//! Real peers: a scenario's connection ends over real TCP sockets, against
//! OpenSSL, GnuTLS, curl or any TLS peer.
//!
//! [`connect`] runs the scenario's connecting ends (a TLS client profile
//! with its application, or a conversation) against a real server;
//! [`serve`] runs its listening end (a TLS server profile with its PKI and
//! application) for real clients. Each end is the same
//! `ConnectionEnd` the simulator drives, given a real socket
//! (`socket::RealSocket`) in place of a simulated one; a loop
//! here plays the runner's part, in wall-clock time.
//!
//! Nothing here is deterministic: times are the real clock's, and what the
//! peer sends is the peer's. The ends draw their randoms from the seed
//! given, as they do in the simulator.
//!
//! - [`probe`]: the edge-case catalogue against a real server;
//! - [`record`]: a session with a real server written as a scenario that
//!   replays it offline;
//! - `capture`: the pcap, the socket's bytes in made-up IPv4/TCP headers;
//! - `socket`: the socket as a connection end's `Transport`.

mod capture;
pub mod probe;
pub mod record;
mod socket;

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration as StdDuration, Instant as StdInstant, SystemTime, UNIX_EPOCH};

use tlsim_net::PacketTap;
use tlsim_sim::{Duration, Event, Instant, Kind, Layer, Tracer};
use tlsim_tls_script::Verdict;

use crate::ends::factory::{ClientStack, Factory};
use crate::ends::{ConnectionEnd, EndReport, TransportEvent};
use crate::pki;
use crate::runner::RunOptions;
use crate::schema::{Action, Listen, Scenario};
use socket::{Link, RealSocket};

/// How a session with a real peer is run.
#[derive(Clone, Copy, Debug)]
pub struct RealOptions {
    /// The wall clock the session's times count on.
    pub clock: Clock,
    /// The longest wait for the peer: to connect, to be accepted, or for
    /// its next bytes when nothing else is due.
    pub timeout: StdDuration,
    /// Whether addresses other than loopback may be used.
    pub allow_remote: bool,
    /// The seed of the ends' random streams.
    pub seed: u64,
}

/// Where a session's record goes.
pub struct Sinks<'a> {
    /// The event log.
    pub tracer: &'a mut dyn Tracer,
    /// The capture: the TLS bytes in made-up IPv4/TCP headers.
    pub tap: &'a mut dyn PacketTap,
    /// Each NSS key-log line, as soon as the keys are made.
    pub keylog: &'a mut dyn FnMut(&str),
    /// Each connection, as soon as it is over.
    pub ended: &'a mut dyn FnMut(&RealConn),
}

/// Why a session with a real peer could not be run.
#[derive(Debug)]
pub enum RealError {
    /// The address does not resolve, or not to anything.
    Address(String, String),
    /// The address is not loopback, and remote peers were not allowed.
    NotLoopback(SocketAddr),
    /// Connecting failed or timed out.
    Connect(SocketAddr, io::Error),
    /// Listening failed.
    Listen(String, io::Error),
    /// No client came within the time-out.
    AcceptTimedOut(StdDuration),
    /// Other I/O on the socket failed.
    Io(io::Error),
    /// The scenario cannot be run this way.
    Scenario(String),
}

impl fmt::Display for RealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RealError::Address(addr, why) => write!(f, "{addr}: {why}"),
            RealError::NotLoopback(addr) => write!(
                f,
                "{addr} is not a loopback address: give --allow-remote to use it"
            ),
            RealError::Connect(addr, e) => write!(f, "cannot connect to {addr}: {e}"),
            RealError::Listen(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            RealError::AcceptTimedOut(t) => {
                write!(f, "no client connected within {}s", t.as_secs_f64())
            }
            RealError::Io(e) => write!(f, "{e}"),
            RealError::Scenario(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for RealError {}

/// How a connection with a real peer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Both sides closed, or one reset it.
    Closed,
    /// Nothing happened for the time-out: this end reset it.
    TimedOut,
    /// The socket failed.
    Failed(String),
}

/// One connection with a real peer.
#[derive(Clone, Debug)]
pub struct RealConn {
    /// Its name in the scenario (`c1`), or for a server `c1`, `c2`, … in
    /// the order clients came.
    pub name: String,
    /// The peer's address.
    pub peer: SocketAddr,
    /// What tlsim's end did.
    pub end: EndReport,
    /// How it ended.
    pub ending: Ending,
    /// What crossed the socket, when the session was recorded.
    pub transcript: Option<record::Transcript>,
}

/// The wall clock, as the ends, the log and the pcap see it: time since a
/// whole second of the calendar, [`epoch_unix`](Clock::epoch_unix).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: StdInstant,
    epoch_unix: u64,
}

impl Clock {
    /// A clock whose zero is the last whole second before now, so that
    /// every time it gives is a calendar time to the nanosecond.
    pub fn start() -> Clock {
        let since_1970 = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let now = StdInstant::now();
        let into_second = StdDuration::from_nanos(u64::from(since_1970.subsec_nanos()));
        Clock {
            origin: now.checked_sub(into_second).unwrap_or(now),
            epoch_unix: since_1970.as_secs(),
        }
    }

    /// Seconds since 1970 at the clock's zero.
    pub fn epoch_unix(&self) -> u64 {
        self.epoch_unix
    }

    fn now(&self) -> Instant {
        let nanos = self.origin.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// The timeline's `Send`, `Close`, `Abort`, `KeyUpdate` and `Renegotiate` steps of one end of one
/// connection, each at its time after the connection opened.
fn steps_of<'s>(scenario: &'s Scenario, conn: &str, host: &str) -> Vec<(Duration, &'s Action)> {
    let mut opened = None;
    let mut steps = Vec::new();
    for step in &scenario.timeline {
        let at = step.0.0;
        match &step.1 {
            Action::Connect { conn: c, .. } if c.0 == conn => opened = Some(at),
            Action::Send { conn: c, from, .. }
            | Action::Close { conn: c, from }
            | Action::Abort { conn: c, from }
            | Action::KeyUpdate { conn: c, from, .. }
            | Action::Renegotiate { conn: c, from }
                if c.0 == conn && from.0 == host =>
            {
                let since = opened.map_or(at, |o| at.saturating_sub(o));
                steps.push((since, &step.1));
            }
            _ => {}
        }
    }
    steps
}

/// The first address `addr` names, refused unless loopback or allowed.
fn resolve(addr: &str, allow_remote: bool) -> Result<SocketAddr, RealError> {
    let found = addr
        .to_socket_addrs()
        .map_err(|e| RealError::Address(addr.to_string(), e.to_string()))?
        .next()
        .ok_or_else(|| RealError::Address(addr.to_string(), "names no address".into()))?;
    if !found.ip().is_loopback() && !allow_remote {
        return Err(RealError::NotLoopback(found));
    }
    Ok(found)
}

/// The factory of a session with real peers: the scenario's PKI, and the
/// real clock for certificates.
fn factory<'a>(
    scenario: &'a Scenario,
    base: &Path,
    opts: &RealOptions,
) -> Result<Factory<'a>, RealError> {
    // The PKI is the scenario's own, the same whatever the session's seed:
    // a real peer may have been given its certificates.
    let built = pki::build(&scenario.pki, scenario.seed, base).map_err(RealError::Scenario)?;
    Ok(
        Factory::new(scenario, built, opts.seed, RunOptions::default())
            .for_real_peers(opts.clock.epoch_unix()),
    )
}

fn started(clock: &Clock, scenario: &Scenario, opts: &RealOptions, tracer: &mut dyn Tracer) {
    if tracer.enabled() {
        tracer.record(
            Event::new(clock.now(), "sim", Kind::Action, Layer::Sim, "Session with a real peer started")
                .field("Scenario", &scenario.name)
                .field("Seed", opts.seed)
                .field("Time Zero", tlsim_sim::calendar::format_utc(clock.epoch_unix()))
                .explain("Times are the real clock's, from the calendar second Time Zero; what the peer sends is its own, so the same seed need not give the same log."),
        );
    }
}

/// Runs every connection the scenario opens, one after another, from the
/// host that opens it to the real server at `addr`: its TLS client profile
/// and application, or its conversation, with its timeline's `Send`,
/// `Close` and `Abort` steps at their times after it connected.
pub fn connect(
    scenario: &Scenario,
    base: &Path,
    addr: &str,
    opts: RealOptions,
    sinks: Sinks<'_>,
) -> Result<Vec<RealConn>, RealError> {
    connect_keeping(scenario, base, addr, opts, sinks, false)
}

/// [`connect`], keeping each connection's [`transcript`](RealConn::transcript)
/// when `keep_transcripts` says so.
fn connect_keeping(
    scenario: &Scenario,
    base: &Path,
    addr: &str,
    opts: RealOptions,
    mut sinks: Sinks<'_>,
    keep_transcripts: bool,
) -> Result<Vec<RealConn>, RealError> {
    let clock = opts.clock;
    let target = resolve(addr, opts.allow_remote)?;
    let mut factory = factory(scenario, base, &opts)?;
    started(&clock, scenario, &opts, sinks.tracer);
    let peer = target.to_string();
    let mut conns = Vec::new();
    for step in &scenario.timeline {
        let Action::Connect {
            conn,
            from,
            tls,
            app,
            conversation,
            ..
        } = &step.1
        else {
            continue;
        };
        let number = conns.len() as u32 + 1;
        let stack = ClientStack {
            tls: tls.as_ref().map(|t| t.0.as_str()),
            app: app.as_ref(),
            conversation: conversation.as_ref(),
        };
        let mut end = factory.client_end(&conn.0, number, &from.0, &peer, stack);
        let stream = TcpStream::connect_timeout(&target, opts.timeout)
            .map_err(|e| RealError::Connect(target, e))?;
        let now = clock.now();
        let link = Link::new(now, stream, true).map_err(RealError::Io)?;
        if keep_transcripts {
            link.borrow_mut().keep_transcript();
        }
        note(
            now,
            (&from.0, &peer, number),
            format!("Connected {} to {peer}", conn.0),
            "The kernel's TCP opened the connection; the pcap shows a made-up handshake in its place.",
            sinks.tracer,
        );
        end.attach(Box::new(RealSocket(Rc::clone(&link))));
        let session = Session {
            name: &conn.0,
            actor: &from.0,
            peer: &peer,
            number,
            steps: steps_of(scenario, &conn.0, &from.0),
        };
        let ending = session.drive(&mut *end, &link, &clock, &opts, &mut sinks);
        conns.push(RealConn {
            name: conn.0.clone(),
            peer: target,
            end: end.report(),
            ending,
            transcript: link.borrow_mut().take_transcript(),
        });
        (sinks.ended)(conns.last().expect("just pushed"));
    }
    if conns.is_empty() {
        return Err(RealError::Scenario(
            "the timeline opens no connection: nothing to run".into(),
        ));
    }
    Ok(conns)
}

/// Listens on `addr` and runs the scenario's first TLS listener for
/// `count` real clients, one after another: its server profile with its
/// PKI, and its application or conversation. The `n`th client gets the
/// server's timeline steps of the `n`th connection the scenario opens to
/// that listener (the last one's, past the end). `listening` is told the
/// address once the socket listens (port 0 picks a free one).
pub fn serve(
    scenario: &Scenario,
    base: &Path,
    addr: &str,
    count: u32,
    opts: RealOptions,
    listening: &mut dyn FnMut(SocketAddr),
    mut sinks: Sinks<'_>,
) -> Result<Vec<RealConn>, RealError> {
    let clock = opts.clock;
    let local = resolve(addr, opts.allow_remote)?;
    let Some(listen) = scenario.listen.iter().find(|l| l.tls.is_some()) else {
        return Err(RealError::Scenario(
            "no Listen with a TLS server profile: nothing to serve".into(),
        ));
    };
    let mut factory = factory(scenario, base, &opts)?;
    let listener = TcpListener::bind(local).map_err(|e| RealError::Listen(addr.to_string(), e))?;
    listener.set_nonblocking(true).map_err(RealError::Io)?;
    listening(listener.local_addr().map_err(RealError::Io)?);
    started(&clock, scenario, &opts, sinks.tracer);
    let conn_names = connections_to(scenario, listen);
    let host = &listen.host.0;
    let mut conns = Vec::new();
    for number in 1..=count {
        let (stream, peer_addr) = accept(&listener, opts.timeout)?;
        let peer = peer_addr.to_string();
        let name = format!("c{number}");
        let now = clock.now();
        let link = Link::new(now, stream, false).map_err(RealError::Io)?;
        note(
            now,
            (host, &peer, number),
            format!("Accepted {name} from {peer}"),
            "The kernel's TCP accepted the connection; the pcap shows a made-up handshake in its place.",
            sinks.tracer,
        );
        let mut end = factory.server_end(&name, number, host, listen.port, &peer);
        end.attach(Box::new(RealSocket(Rc::clone(&link))));
        let index = (number as usize - 1).min(conn_names.len().saturating_sub(1));
        let steps = (conn_names.get(index))
            .map(|conn| steps_of(scenario, conn, host))
            .unwrap_or_default();
        let session = Session {
            name: &name,
            actor: host,
            peer: &peer,
            number,
            steps,
        };
        let ending = session.drive(&mut *end, &link, &clock, &opts, &mut sinks);
        conns.push(RealConn {
            name,
            peer: peer_addr,
            end: end.report(),
            ending,
            transcript: None,
        });
        (sinks.ended)(conns.last().expect("just pushed"));
    }
    Ok(conns)
}

/// The names of the connections the timeline opens to `listen`, in order.
fn connections_to<'s>(scenario: &'s Scenario, listen: &Listen) -> Vec<&'s str> {
    (scenario.timeline.iter())
        .filter_map(|step| match &step.1 {
            Action::Connect { conn, to, port, .. }
                if to.0 == listen.host.0 && *port == listen.port =>
            {
                Some(conn.0.as_str())
            }
            _ => None,
        })
        .collect()
}

/// The next client, waiting at most `timeout`.
fn accept(
    listener: &TcpListener,
    timeout: StdDuration,
) -> Result<(TcpStream, SocketAddr), RealError> {
    let deadline = StdInstant::now() + timeout;
    loop {
        match listener.accept() {
            Ok(accepted) => return Ok(accepted),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if StdInstant::now() >= deadline {
                    return Err(RealError::AcceptTimedOut(timeout));
                }
                std::thread::sleep(IDLE_SLEEP);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(RealError::Io(e)),
        }
    }
}

/// How long the loop sleeps when nothing happened: short against any
/// peer's round trip, long enough to leave the cores to the peer.
const IDLE_SLEEP: StdDuration = StdDuration::from_millis(1);

/// Records a connection-level event of the session.
fn note(
    now: Instant,
    (actor, peer, number): (&str, &str, u32),
    title: String,
    explain: &'static str,
    tracer: &mut dyn Tracer,
) {
    if tracer.enabled() {
        tracer.record(
            Event::new(now, actor, Kind::Action, Layer::Tcp, title)
                .peer(peer)
                .conn(number)
                .explain(explain),
        );
    }
}

/// Whether `end` is a conversation that has passed or failed.
fn conversation_over(end: &dyn ConnectionEnd) -> bool {
    (end.report().conversation).is_some_and(|c| c.verdict != Verdict::Running)
}

/// One connection's end and its timeline.
struct Session<'s> {
    name: &'s str,
    actor: &'s str,
    peer: &'s str,
    number: u32,
    steps: Vec<(Duration, &'s Action)>,
}

impl Session<'_> {
    /// Drives `end` over `link` until the connection is over or nothing
    /// has happened for the time-out, as the runner drives an end over a
    /// simulated socket: transport events, the end's timer, the steps.
    fn drive(
        &self,
        end: &mut dyn ConnectionEnd,
        link: &Rc<RefCell<Link>>,
        clock: &Clock,
        opts: &RealOptions,
        sinks: &mut Sinks<'_>,
    ) -> Ending {
        let opened = clock.now();
        let timeout =
            Duration::from_nanos(u64::try_from(opts.timeout.as_nanos()).unwrap_or(u64::MAX));
        let mut last_local = opened;
        let mut next_step = 0;
        let mut conversation_closed = false;
        end.handle_transport(opened, TransportEvent::Connected, sinks.tracer);
        let ending = loop {
            let now = clock.now();
            let mut busy = false;
            while let Some((at, action)) = self.steps.get(next_step) {
                if opened + *at > now {
                    break;
                }
                match action {
                    Action::Send { data, .. } => end.send(now, data, sinks.tracer),
                    Action::Close { .. } => end.close(now, sinks.tracer),
                    Action::Abort { .. } => end.abort(now, sinks.tracer),
                    Action::KeyUpdate { request_update, .. } => {
                        end.key_update(now, *request_update, sinks.tracer);
                    }
                    Action::Renegotiate { .. } => end.renegotiate(now, sinks.tracer),
                    _ => {}
                }
                next_step += 1;
                (busy, last_local) = (true, now);
            }
            if end.poll_timeout().is_some_and(|due| due <= now) {
                end.handle_timeout(now, sinks.tracer);
                (busy, last_local) = (true, now);
            }
            let polled = link.borrow_mut().poll(now);
            for event in polled.events {
                end.handle_transport(now, event, sinks.tracer);
            }
            busy |= polled.progress;
            // A real peer may keep the connection open after the last
            // step: a finished conversation expects nothing more of it.
            if busy && !conversation_closed && conversation_over(end) {
                conversation_closed = true;
                end.close(now, sinks.tracer);
            }
            self.flush_records(end, link, sinks);
            let link_ref = link.borrow();
            if link_ref.finished() {
                break match link_ref.error() {
                    // A peer's reset after its close is how many servers end.
                    Some(e) if !link_ref.peer_closed() => Ending::Failed(e.to_string()),
                    _ => Ending::Closed,
                };
            }
            let waiting_on_us = next_step < self.steps.len() || end.poll_timeout().is_some();
            let idle_since = link_ref.last_progress().max(last_local);
            drop(link_ref);
            if !waiting_on_us && now.saturating_since(idle_since) >= timeout {
                note(
                    now,
                    (self.actor, self.peer, self.number),
                    format!(
                        "Timed out after {}s without a byte: reset",
                        opts.timeout.as_secs_f64()
                    ),
                    "Nothing came from the peer and nothing was due here for the time-out; the connection is reset.",
                    sinks.tracer,
                );
                end.abort(now, sinks.tracer);
                link.borrow_mut().poll(now);
                self.flush_records(end, link, sinks);
                break Ending::TimedOut;
            }
            if !busy {
                std::thread::sleep(IDLE_SLEEP);
            }
        };
        note(
            clock.now(),
            (self.actor, self.peer, self.number),
            format!("Connection {} over", self.name),
            "Both sides have closed, or one reset the connection.",
            sinks.tracer,
        );
        ending
    }

    /// Hands the key log and the capture what they have waiting.
    fn flush_records(
        &self,
        end: &mut dyn ConnectionEnd,
        link: &Rc<RefCell<Link>>,
        sinks: &mut Sinks<'_>,
    ) {
        for line in end.take_keylog() {
            (sinks.keylog)(&line);
        }
        for (time, packet) in link.borrow_mut().take_packets() {
            sinks.tap.packet(time, &packet);
        }
    }
}
