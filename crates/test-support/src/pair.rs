//! A client and a server joined in memory, with a tamper hook and a
//! bounded drive loop.
//!
//! Each round moves everything one side has written to the other, after
//! the tamper hook (if any) has seen it, advancing the clock by 10 ms; the
//! loop ends when neither side has anything to write, and panics past its
//! bound (a livelock is a bug).

use std::sync::Arc;

use tlsim_sim::{Event, Instant, RngStream};
use tlsim_tls::conn::{EventContext, TlsEvent};
use tlsim_tls::crypto::cipher::{RecordEncrypter, Side};
use tlsim_tls::crypto::prf;
use tlsim_tls::crypto::suites::suite_by_value;
use tlsim_tls::enums::{AlertDescription, ContentType};
use tlsim_tls::error::Error;
use tlsim_tls_client::{ClientConfig, ClientConnection};
use tlsim_tls_server::{ServerConfig, ServerConnection};

/// Which way bytes travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

type Tamper = Box<dyn FnMut(Direction, &mut Vec<u8>)>;
type Chunker = Box<dyn FnMut(usize) -> usize>;

/// A client and a server joined by memory.
pub struct Pair {
    /// The client end.
    pub client: ClientConnection,
    /// The server end.
    pub server: ServerConnection,
    /// The client's event log.
    pub client_log: Vec<Event>,
    /// The server's event log.
    pub server_log: Vec<Event>,
    /// What the client reported, in order.
    pub client_events: Vec<TlsEvent>,
    /// What the server reported, in order.
    pub server_events: Vec<TlsEvent>,
    /// Every byte the client wrote, before tampering.
    pub client_wire: Vec<u8>,
    /// Every byte the server wrote, before tampering.
    pub server_wire: Vec<u8>,
    /// The client's NSS key log lines that
    /// [`record_after_finished`](Self::record_after_finished) took.
    pub client_keylog: Vec<String>,
    /// The simulated time of the current round.
    pub now: Instant,
    tamper: Option<Tamper>,
    chunker: Option<Chunker>,
}

impl Pair {
    /// A pair whose random streams come from seed 1.
    pub fn new(client: ClientConfig, server: ServerConfig) -> Self {
        Self::with_seed(client, server, 1)
    }

    /// A pair whose random streams come from `seed`.
    pub fn with_seed(client: ClientConfig, server: ServerConfig, seed: u64) -> Self {
        let ctx = |actor: &str, peer: &str| EventContext {
            actor: actor.into(),
            peer: peer.into(),
            conn: None,
        };
        Pair {
            client: ClientConnection::new(
                Arc::new(client),
                RngStream::new(seed, "client"),
                ctx("client", "server"),
            ),
            server: ServerConnection::new(
                Arc::new(server),
                RngStream::new(seed, "server"),
                ctx("server", "client"),
            ),
            client_log: Vec::new(),
            server_log: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            client_keylog: Vec::new(),
            now: Instant::from_nanos(20_000_000),
            tamper: None,
            chunker: None,
        }
    }

    /// Alters bytes in flight: `hook` sees each delivery, one side's
    /// writes of one round, before the other side reads it.
    pub fn tamper(&mut self, hook: impl FnMut(Direction, &mut Vec<u8>) + 'static) {
        self.tamper = Some(Box::new(hook));
    }

    /// Splits each delivery into chunks of the lengths `next(remaining)`.
    pub fn chunked(&mut self, next: impl FnMut(usize) -> usize + 'static) {
        self.chunker = Some(Box::new(next));
    }

    /// Starts the client: it queues its Client Hello.
    pub fn start(&mut self) {
        self.client.start(self.now, &mut self.client_log);
    }

    fn deliver(&mut self, direction: Direction, mut bytes: Vec<u8>) {
        if let Some(t) = &mut self.tamper {
            t(direction, &mut bytes);
        }
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            let n = match &mut self.chunker {
                Some(c) => c(rest.len()).clamp(1, rest.len()),
                None => rest.len(),
            };
            let (chunk, tail) = rest.split_at(n);
            match direction {
                Direction::ToServer => {
                    self.server
                        .handle_bytes(self.now, chunk, &mut self.server_log)
                }
                Direction::ToClient => {
                    self.client
                        .handle_bytes(self.now, chunk, &mut self.client_log)
                }
            }
            rest = tail;
        }
    }

    /// Moves bytes both ways until neither side has anything to send, for
    /// at most `limit` rounds; returns the rounds used.
    ///
    /// # Panics
    /// If the pair is still talking after `limit` rounds.
    pub fn drive_bounded(&mut self, limit: usize) -> usize {
        for round in 0..limit {
            // First, as answers to events may have bytes to send.
            self.collect();
            let mut to_server = Vec::new();
            self.client.write_tls(&mut to_server);
            let mut to_client = Vec::new();
            self.server.write_tls(&mut to_client);
            if to_server.is_empty() && to_client.is_empty() {
                return round;
            }
            self.now = Instant::from_nanos(self.now.as_nanos() + 10_000_000);
            self.client_wire.extend_from_slice(&to_server);
            self.server_wire.extend_from_slice(&to_client);
            if !to_server.is_empty() {
                self.deliver(Direction::ToServer, to_server);
            }
            if !to_client.is_empty() {
                self.deliver(Direction::ToClient, to_client);
            }
        }
        panic!("the pair did not settle within {limit} rounds");
    }

    /// [`drive_bounded`](Self::drive_bounded) with 50 rounds, ample for a
    /// handshake, data and close.
    pub fn drive(&mut self) {
        self.drive_bounded(50);
    }

    /// Starts the client and drives to quiescence.
    pub fn handshake(&mut self) {
        self.start();
        self.drive();
    }

    /// Takes both sides' events; answers close_notify with close_notify,
    /// as RFC 5246 §7.2.1 requires of an application.
    pub fn collect(&mut self) {
        while let Some(e) = self.client.poll_event() {
            if e == TlsEvent::PeerClosed {
                self.client.close(self.now, &mut self.client_log);
            }
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            if e == TlsEvent::PeerClosed {
                self.server.close(self.now, &mut self.server_log);
            }
            self.server_events.push(e);
        }
    }

    /// The client's first failure, if any.
    pub fn client_failure(&self) -> Option<&TlsEvent> {
        self.client_events
            .iter()
            .find(|e| matches!(e, TlsEvent::Failed { .. }))
    }

    /// The server's first failure, if any.
    pub fn server_failure(&self) -> Option<&TlsEvent> {
        self.server_events
            .iter()
            .find(|e| matches!(e, TlsEvent::Failed { .. }))
    }

    /// Whether both ends reported a complete handshake.
    pub fn is_complete(&self) -> bool {
        let complete = |events: &[TlsEvent]| {
            events
                .iter()
                .any(|e| matches!(e, TlsEvent::HandshakeComplete { .. }))
        };
        complete(&self.client_events) && complete(&self.server_events)
    }

    /// Asserts that both ends completed the handshake.
    ///
    /// # Panics
    /// If either did not, listing its events.
    #[track_caller]
    pub fn assert_complete(&self) {
        assert!(
            self.client_events
                .iter()
                .any(|e| matches!(e, TlsEvent::HandshakeComplete { .. })),
            "client did not complete: {:?}",
            self.client_events
        );
        assert!(
            self.server_events
                .iter()
                .any(|e| matches!(e, TlsEvent::HandshakeComplete { .. })),
            "server did not complete: {:?}",
            self.server_events
        );
    }

    /// Sends `data` as application data in `direction`, drives the pair,
    /// and returns what the other end read.
    pub fn transfer(&mut self, direction: Direction, data: &[u8]) -> Vec<u8> {
        let now = self.now;
        match direction {
            Direction::ToServer => {
                self.client
                    .send_application_data(now, data, &mut self.client_log)
            }
            Direction::ToClient => {
                self.server
                    .send_application_data(now, data, &mut self.server_log)
            }
        }
        self.drive();
        let mut read = Vec::new();
        match direction {
            Direction::ToServer => self.server.read_application_data(&mut read),
            Direction::ToClient => self.client.read_application_data(&mut read),
        };
        read
    }

    /// A record of `typ` carrying `plaintext`, protected as `side` would
    /// write its next record once the handshake is over: for what a test
    /// must send encrypted (a renegotiating Client Hello, a Hello
    /// Request). The keys are rebuilt from the client's key log (whose
    /// lines this takes) and the randoms on the wire, and moved past the
    /// side's Finished; so this holds for a full handshake after which the
    /// side wrote nothing more.
    ///
    /// # Panics
    /// If no handshake completed, or its suite is not one tlsim runs.
    pub fn record_after_finished(
        &mut self,
        side: Side,
        typ: ContentType,
        plaintext: &[u8],
    ) -> Vec<u8> {
        self.client_keylog.extend(self.client.keylog_lines());
        let negotiated = self.client.negotiated().expect("a negotiated handshake");
        let version = negotiated.version.get();
        let suite = suite_by_value(negotiated.suite.get()).expect("a suite tlsim runs");
        // CLIENT_RANDOM <client random> <master secret>
        let line = self.client_keylog.last().expect("a completed handshake");
        let master_secret = line
            .rsplit(' ')
            .next()
            .and_then(|h| hex::decode(h).ok())
            .expect("a key log line");
        // Record header (5), handshake header (4), version (2), random.
        let random = |wire: &[u8]| -> [u8; 32] { wire[11..43].try_into().expect("a hello") };
        let keys = prf::key_block(
            suite.prf(version),
            &master_secret,
            &random(&self.client_wire),
            &random(&self.server_wire),
            suite.key_block_layout(version),
        );
        let mut protection = RecordEncrypter::from_key_block(suite, version, &keys, side)
            .expect("keys of the negotiated suite");
        let mut rng = RngStream::new(0, "record after finished");
        // The Finished took sequence number 0 (RFC 5246 §6.1).
        let _ = protection.encrypt(ContentType::Handshake.get(), version, &[0; 16], &mut rng);
        let fragment = protection.encrypt(typ.get(), version, plaintext, &mut rng);
        let mut record = vec![typ.get()];
        record.extend_from_slice(&version.to_be_bytes());
        record.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
        record.extend_from_slice(&fragment);
        record
    }

    /// The titles of a log's events, in order.
    pub fn titles(log: &[Event]) -> Vec<String> {
        log.iter().map(|e| e.title.to_string()).collect()
    }
}

/// The fatal alert a side sent when it failed, from its events.
pub fn alert_sent(events: &[TlsEvent]) -> Option<AlertDescription> {
    events.iter().find_map(|e| match e {
        TlsEvent::Failed { alert_sent, .. } => *alert_sent,
        _ => None,
    })
}

/// The error a side failed with, from its events.
pub fn error_of(events: &[TlsEvent]) -> Option<&Error> {
    events.iter().find_map(|e| match e {
        TlsEvent::Failed { error, .. } => Some(error),
        _ => None,
    })
}
