//! In-memory client↔server pairs for the handshake tests: test
//! certificates, default configurations, and a bounded drive loop with a
//! tamper hook.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use tlsim_sim::{Event, Instant, RngStream, Tracer};
use tlsim_tls::cert::{CertificateParams, DistinguishedName};
use tlsim_tls::conn::{EventContext, TlsEvent};
use tlsim_tls::crypto::sign::SigningKey;
use tlsim_tls_client::{ClientConfig, ClientConnection};
use tlsim_tls_server::{ServerConfig, ServerConnection};

/// 2013-01-01T00:00:00Z.
pub const NOT_BEFORE: u64 = 1_356_998_400;
/// 2033-01-01T00:00:00Z.
pub const NOT_AFTER: u64 = 1_988_150_400;
/// 2014-01-01T00:00:00Z.
pub const NOW: u64 = 1_388_534_400;

/// A root, an intermediate and a leaf for `www.google.com`.
pub struct Pki {
    pub root: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
    pub key: Arc<SigningKey>,
}

pub enum LeafKey {
    Ecdsa,
    Rsa,
}

pub fn pki(leaf: LeafKey) -> Pki {
    pki_with(leaf, (NOT_BEFORE, NOT_AFTER), 7)
}

/// A chain whose leaf is valid during `validity`; `seed` picks the keys.
pub fn pki_with(leaf: LeafKey, validity: (u64, u64), seed: u64) -> Pki {
    let mut rng = RngStream::new(seed, "test pki");
    let root_key = SigningKey::generate_p256(&mut rng);
    let ca_key = SigningKey::generate_p256(&mut rng);
    let leaf_key = match leaf {
        LeafKey::Ecdsa => SigningKey::generate_p256(&mut rng),
        LeafKey::Rsa => {
            SigningKey::from_pem(include_str!("../../../tls/testdata/rsa2048-server.pem")).unwrap()
        }
    };
    let root_name =
        DistinguishedName::simple("GeoTrust Global CA", Some("GeoTrust Inc."), Some("US"));
    let ca_name = DistinguishedName::simple(
        "Google Internet Authority G2",
        Some("Google Inc"),
        Some("US"),
    );
    let root = CertificateParams::ca(
        1,
        root_name.clone(),
        root_name.clone(),
        (NOT_BEFORE, NOT_AFTER),
        root_key.public_key(),
        None,
    )
    .sign(&root_key, &mut rng)
    .unwrap();
    let ca = CertificateParams::ca(
        2,
        ca_name.clone(),
        root_name,
        (NOT_BEFORE, NOT_AFTER),
        ca_key.public_key(),
        Some(0),
    )
    .issued_by_key(&root_key.public_key())
    .sign(&root_key, &mut rng)
    .unwrap();
    let leaf_cert = CertificateParams::server(
        3,
        DistinguishedName::simple("www.google.com", Some("Google Inc"), Some("US")),
        ca_name,
        validity,
        leaf_key.public_key(),
        &["www.google.com", "*.google.com"],
    )
    .issued_by_key(&ca_key.public_key())
    .sign(&ca_key, &mut rng)
    .unwrap();
    Pki {
        chain: vec![leaf_cert, ca, root.clone()],
        root,
        key: Arc::new(leaf_key),
    }
}

pub fn client_config(pki: &Pki) -> ClientConfig {
    ClientConfig {
        server_name: Some("www.google.com".into()),
        trust_anchors: vec![pki.root.clone()],
        now_unix: NOW,
        ..ClientConfig::default()
    }
}

pub fn server_config(pki: &Pki) -> ServerConfig {
    ServerConfig::new(pki.chain.clone(), pki.key.clone())
}

/// Which way bytes travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    ToServer,
    ToClient,
}

type Tamper = Box<dyn FnMut(Direction, &mut Vec<u8>)>;
type Chunker = Box<dyn FnMut(usize) -> usize>;

/// A client and a server joined by memory.
pub struct Pair {
    pub client: ClientConnection,
    pub server: ServerConnection,
    pub client_log: Vec<Event>,
    pub server_log: Vec<Event>,
    pub client_events: Vec<TlsEvent>,
    pub server_events: Vec<TlsEvent>,
    pub client_wire: Vec<u8>,
    pub server_wire: Vec<u8>,
    pub now: Instant,
    tamper: Option<Tamper>,
    chunker: Option<Chunker>,
}

impl Pair {
    pub fn new(client: ClientConfig, server: ServerConfig) -> Self {
        Self::with_seed(client, server, 1)
    }

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
            now: Instant::from_nanos(20_000_000),
            tamper: None,
            chunker: None,
        }
    }

    /// Alters bytes in flight.
    pub fn tamper(&mut self, hook: impl FnMut(Direction, &mut Vec<u8>) + 'static) {
        self.tamper = Some(Box::new(hook));
    }

    /// Splits each delivery into chunks of the lengths `next(remaining)`.
    pub fn chunked(&mut self, next: impl FnMut(usize) -> usize + 'static) {
        self.chunker = Some(Box::new(next));
    }

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

    pub fn client_failure(&self) -> Option<&TlsEvent> {
        self.client_events
            .iter()
            .find(|e| matches!(e, TlsEvent::Failed { .. }))
    }

    pub fn server_failure(&self) -> Option<&TlsEvent> {
        self.server_events
            .iter()
            .find(|e| matches!(e, TlsEvent::Failed { .. }))
    }

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

    pub fn titles(log: &[Event]) -> Vec<String> {
        log.iter().map(|e| e.title.to_string()).collect()
    }
}

/// A tracer that drops everything but counts nothing: for speed.
pub struct Quiet;

impl Tracer for Quiet {
    fn enabled(&self) -> bool {
        false
    }
    fn record(&mut self, _event: Event) {}
}
