//! What runs on a connection end above TCP: nothing (the runner counts the
//! bytes), or a TLS client or server, optionally with a SPDY application on
//! top of it.
//!
//! The TLS actors are sans-IO: the runner feeds them the bytes TCP delivered
//! and moves what they write into TCP. [`Stack::pump`] does one round of
//! that: TLS events first (handshake done, data readable, close_notify),
//! then the application's output, then the TLS bytes to send.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tlsim_sim::{Duration, Event, Instant, Kind, Layer, RngStream, Tracer};
use tlsim_spdy::{ClientConfig as SpdyConfig, SpdyClient, SpdyServer, WireFrame};
use tlsim_tls::cert::VerificationCache;
use tlsim_tls::conn::{EventContext, TlsEvent};
use tlsim_tls_client::{ClientConfig, ClientConnection, ClientSessionStore};
use tlsim_tls_server::{ServerConfig, ServerConnection, ServerSessionCache};

use crate::digest::StreamDigest;
use crate::pki::Built;
use crate::schema::{ClientApp, Data, Scenario, ServerApp, TlsClient, TlsServer};

/// The TLS side of a connection end, whichever role it plays.
pub(crate) enum Session {
    /// No TLS: application bytes go straight to TCP.
    Plain,
    /// A TLS client.
    Client(Box<ClientConnection>),
    /// A TLS server.
    Server(Box<ServerConnection>),
}

/// The application on a connection end.
pub(crate) enum App {
    /// Bytes come from the timeline's `Send` steps only.
    None,
    /// A SPDY client; `closing` once it has sent GOAWAY.
    SpdyClient {
        client: Box<SpdyClient>,
        closing: bool,
    },
    /// A SPDY server.
    SpdyServer(Box<SpdyServer>),
}

/// Calls the same method on whichever TLS actor a [`Session`] holds.
macro_rules! with_tls {
    ($session:expr, $tls:ident => $body:expr, else $other:expr) => {
        match $session {
            Session::Client($tls) => $body,
            Session::Server($tls) => $body,
            Session::Plain => $other,
        }
    };
}

/// Everything above TCP on one connection end.
pub(crate) struct Stack {
    pub(crate) session: Session,
    pub(crate) app: App,
    pub(crate) ctx: EventContext,
    /// How long this end takes to act on bytes it receives.
    processing_time: Duration,
    /// Set once a TLS close (close_notify) has been queued.
    tls_closing: bool,
    scratch: Vec<u8>,
}

/// What one round of [`Stack::pump`] asks of the runner.
#[derive(Default)]
pub(crate) struct Pumped {
    /// The end should close TCP once everything queued is sent.
    pub(crate) close: bool,
}

impl Stack {
    pub(crate) fn new(
        session: Session,
        app: App,
        ctx: EventContext,
        processing_time: Duration,
    ) -> Self {
        Stack {
            session,
            app,
            ctx,
            processing_time,
            tls_closing: false,
            scratch: Vec::new(),
        }
    }

    /// How long this end takes to act on bytes it receives.
    pub(crate) fn processing_time(&self) -> Duration {
        self.processing_time
    }

    /// Starts the TLS client's handshake once TCP is connected.
    pub(crate) fn start(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if let Session::Client(tls) = &mut self.session {
            tls.start(now, tracer);
        }
    }

    /// Bytes TCP delivered.
    pub(crate) fn handle_tcp_bytes(&mut self, now: Instant, bytes: &[u8], tracer: &mut dyn Tracer) {
        with_tls!(&mut self.session, tls => tls.handle_bytes(now, bytes, tracer), else ())
    }

    /// Application bytes from the timeline, to be protected and sent.
    pub(crate) fn send(
        &mut self,
        now: Instant,
        bytes: &[u8],
        sent: &mut StreamDigest,
        tracer: &mut dyn Tracer,
    ) {
        sent.update(bytes);
        with_tls!(&mut self.session, tls => tls.send_application_data(now, bytes, tracer), else ())
    }

    /// How many more application bytes TLS should be given now, so that
    /// what it holds stays bounded: `window` once the handshake is
    /// complete, less what it keeps while handshaking. `None` when it will
    /// never take any: closed, failed, or handshaking while TCP closes (the
    /// peer closed TCP, so the handshake cannot finish).
    pub(crate) fn application_data_room(&self, window: usize, tcp_closing: bool) -> Option<usize> {
        with_tls!(&self.session, tls => {
            if tls.is_ready_for_application_data() {
                Some(window)
            } else if tls.is_handshaking() && !self.tls_closing && !tcp_closing {
                Some(window.saturating_sub(tls.held_application_data()))
            } else {
                None
            }
        }, else None)
    }

    /// Whether TLS has written its last record, if a close was asked of it.
    pub(crate) fn may_close_transport(&self) -> bool {
        !self.tls_closing || with_tls!(&self.session, tls => tls.is_done_writing(), else true)
    }

    /// Whether the TLS close has been asked for.
    pub(crate) fn is_closing(&self) -> bool {
        self.tls_closing
    }

    /// Queues close_notify (RFC 5246 §7.2.1) unless one is queued already.
    pub(crate) fn close(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if !self.tls_closing {
            self.tls_closing = true;
            with_tls!(&mut self.session, tls => tls.close(now, tracer), else ())
        }
    }

    /// One round: handle the TLS actor's events, run the application, and
    /// append the TLS bytes to send to `out`. Application bytes read are
    /// added to `received`, those written to `sent`; key-log lines to `keylog`.
    pub(crate) fn pump(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        sent: &mut StreamDigest,
        received: &mut StreamDigest,
        out: &mut Vec<u8>,
        keylog: &mut Vec<String>,
    ) -> Pumped {
        let mut result = Pumped::default();
        loop {
            let event = with_tls!(&mut self.session, tls => tls.poll_event(), else None);
            let Some(event) = event else { break };
            match event {
                TlsEvent::HandshakeComplete { .. } => self.app_start(now, tracer, sent),
                TlsEvent::ApplicationData => {
                    self.scratch.clear();
                    with_tls!(&mut self.session, tls => tls.read_application_data(&mut self.scratch), else 0);
                    received.update(&self.scratch);
                    let data = std::mem::take(&mut self.scratch);
                    self.app_input(now, &data, tracer, sent);
                    self.scratch = data;
                }
                TlsEvent::PeerClosed => {
                    // Answer close_notify with close_notify, then close TCP.
                    self.close(now, tracer);
                    result.close = true;
                }
                TlsEvent::Failed { .. } => result.close = true,
                TlsEvent::AlertReceived(_) => {}
            }
        }
        if self.app_finished() {
            self.close(now, tracer);
            result.close = true;
        }
        // Both ends know the secrets; like a browser's SSLKEYLOGFILE, the
        // key log is the client's, so each session appears once.
        match &mut self.session {
            Session::Client(tls) => {
                keylog.extend(tls.keylog_lines());
                tls.write_tls(out);
            }
            Session::Server(tls) => {
                drop(tls.keylog_lines());
                tls.write_tls(out);
            }
            Session::Plain => {}
        }
        result
    }

    fn app_finished(&self) -> bool {
        matches!(self.app, App::SpdyClient { closing: true, .. })
    }

    fn log_frame(&self, now: Instant, kind: Kind, frame: &WireFrame, tracer: &mut dyn Tracer) {
        if !tracer.enabled() {
            return;
        }
        let mut event = Event::new(
            now,
            self.ctx.actor.clone(),
            kind,
            Layer::Spdy,
            frame.title(),
        )
        .peer(self.ctx.peer.clone())
        .bytes(frame.bytes.clone())
        .explain(frame.explain());
        event.conn = self.ctx.conn;
        event.fields = frame.fields(0);
        tracer.record(event);
    }

    fn log_error(&self, now: Instant, what: String, tracer: &mut dyn Tracer) {
        if tracer.enabled() {
            let mut event = Event::new(now, self.ctx.actor.clone(), Kind::Drop, Layer::Spdy, what);
            event.conn = self.ctx.conn;
            tracer.record(event);
        }
    }

    /// Sends everything the application has queued.
    fn app_transmit(&mut self, now: Instant, tracer: &mut dyn Tracer, sent: &mut StreamDigest) {
        loop {
            let frame = match &mut self.app {
                App::SpdyClient { client, .. } => client.poll_transmit(),
                App::SpdyServer(server) => server.poll_transmit(),
                App::None => None,
            };
            let Some(frame) = frame else { break };
            self.log_frame(now, Kind::Send, &frame, tracer);
            self.send(now, &frame.bytes, sent, tracer);
        }
    }

    fn app_start(&mut self, now: Instant, tracer: &mut dyn Tracer, sent: &mut StreamDigest) {
        if let App::SpdyClient { client, .. } = &mut self.app {
            // The request, then a PING to measure the round trip, as
            // browsers did on a new SPDY session.
            if let Err(e) = client.open().and_then(|()| client.ping().map(drop)) {
                self.log_error(now, format!("SPDY client cannot start: {e}"), tracer);
            }
        }
        self.app_transmit(now, tracer, sent);
    }

    fn app_input(
        &mut self,
        now: Instant,
        data: &[u8],
        tracer: &mut dyn Tracer,
        sent: &mut StreamDigest,
    ) {
        match &mut self.app {
            App::SpdyClient { client, .. } => client.handle_bytes(data),
            App::SpdyServer(server) => server.handle_bytes(data),
            App::None => return,
        }
        loop {
            let frame = match &mut self.app {
                App::SpdyClient { client, .. } => client.poll_recv(),
                App::SpdyServer(server) => server.poll_recv(),
                App::None => Ok(None),
            };
            match frame {
                Ok(Some(frame)) => self.log_frame(now, Kind::Recv, &frame, tracer),
                Ok(None) => break,
                Err(e) => {
                    self.log_error(now, format!("SPDY error: {e}"), tracer);
                    break;
                }
            }
        }
        // A complete response ends the client's session: GOAWAY, then close.
        if let App::SpdyClient { client, closing } = &mut self.app {
            if client.response().complete && !*closing {
                *closing = true;
                let _ = client.close();
            }
        }
        self.app_transmit(now, tracer, sent);
    }
}

/// Builds the TLS configurations and applications a scenario names.
pub(crate) struct Factory<'a> {
    scenario: &'a Scenario,
    pki: Built,
    seed: u64,
    /// Client configurations by (profile, host): each host keeps its own
    /// session store and verification cache, shared by its connections.
    clients: BTreeMap<(String, String), Arc<ClientConfig>>,
    /// Server configurations by (profile, host, port): each listener keeps
    /// its own session cache.
    servers: BTreeMap<(String, String, u16), Arc<ServerConfig>>,
}

/// Sessions a client store or a server cache keeps (oldest dropped first).
const SESSION_CAPACITY: usize = 1024;

fn data_bytes(data: &Data) -> Vec<u8> {
    match data {
        Data::Pattern(n) => crate::runner::pattern_bytes(*n),
        Data::Text(t) => t.clone().into_bytes(),
        Data::Hex(b) => b.clone(),
    }
}

impl<'a> Factory<'a> {
    pub(crate) fn new(scenario: &'a Scenario, pki: Built, seed: u64) -> Self {
        Factory {
            scenario,
            pki,
            seed,
            clients: BTreeMap::new(),
            servers: BTreeMap::new(),
        }
    }

    fn client_profile(&self, name: &str) -> &'a TlsClient {
        self.scenario
            .tls
            .clients
            .iter()
            .find(|c| c.name == name)
            .expect("validated TLS client profile")
    }

    fn server_profile(&self, name: &str) -> &'a TlsServer {
        self.scenario
            .tls
            .servers
            .iter()
            .find(|s| s.name == name)
            .expect("validated TLS server profile")
    }

    fn client_config(&mut self, profile: &str, host: &str) -> Arc<ClientConfig> {
        let key = (profile.to_string(), host.to_string());
        if let Some(c) = self.clients.get(&key) {
            return c.clone();
        }
        let p = self.client_profile(profile);
        let config = Arc::new(ClientConfig {
            min_version: p.min_version.value(),
            max_version: p.max_version.value(),
            record_version: p.record_version.map(|v| v.value()),
            cipher_suites: p.cipher_suites.iter().map(|s| s.value()).collect(),
            groups: p.groups.iter().map(|g| g.value()).collect(),
            ec_point_formats: p.ec_point_formats.iter().map(|f| f.value()).collect(),
            signature_algorithms: None,
            server_name: p.server_name.clone(),
            alpn: p.alpn.iter().map(|a| a.clone().into_bytes()).collect(),
            npn: p.npn,
            renegotiation_info: p.renegotiation_info,
            extended_master_secret: p.extended_master_secret,
            session_ticket: p.session_ticket,
            extension_order: (!p.extension_order.is_empty())
                .then(|| p.extension_order.iter().map(|e| e.value()).collect()),
            opaque_extensions: Vec::new(),
            max_handshake_len: tlsim_tls_client::config::DEFAULT_MAX_HANDSHAKE_LEN,
            trust_anchors: p
                .trust
                .iter()
                .map(|c| self.pki.certs[&c.0].clone())
                .collect(),
            verify_hostname: p.verify_hostname,
            now_unix: self.scenario.pki.epoch().0,
            verification_cache: p
                .verification_cache
                .then(|| Arc::new(Mutex::new(VerificationCache::new()))),
            session_store: p
                .resume
                .then(|| Arc::new(Mutex::new(ClientSessionStore::new(SESSION_CAPACITY)))),
            pins: tlsim_tls_client::ClientPins {
                client_random: p
                    .pins
                    .client_random
                    .as_deref()
                    .and_then(|r| r.try_into().ok()),
                ephemeral_private_key: p.pins.ephemeral_key.clone(),
                cbc_ivs: pinned_ivs(&p.pins.cbc_ivs),
            },
        });
        self.clients.insert(key, config.clone());
        config
    }

    fn server_config(&mut self, profile: &str, host: &str, port: u16) -> Arc<ServerConfig> {
        let key = (profile.to_string(), host.to_string(), port);
        if let Some(c) = self.servers.get(&key) {
            return c.clone();
        }
        let p = self.server_profile(profile);
        let config = Arc::new(ServerConfig {
            min_version: p.min_version.value(),
            max_version: p.max_version.value(),
            cipher_suites: p.cipher_suites.iter().map(|s| s.value()).collect(),
            groups: p.groups.iter().map(|g| g.value()).collect(),
            cert_chain: p
                .chain
                .iter()
                .map(|c| self.pki.certs[&c.0].clone())
                .collect(),
            signing_key: self.pki.keys[&p.key.0].clone(),
            alpn: p.alpn.iter().map(|a| a.clone().into_bytes()).collect(),
            npn: p.npn.iter().map(|a| a.clone().into_bytes()).collect(),
            session_cache: p
                .session_cache
                .then(|| Arc::new(Mutex::new(ServerSessionCache::new(SESSION_CAPACITY)))),
            extended_master_secret: p.extended_master_secret,
            max_handshake_len: tlsim_tls_server::config::DEFAULT_MAX_HANDSHAKE_LEN,
            pins: tlsim_tls_server::ServerPins {
                server_random: p
                    .pins
                    .server_random
                    .as_deref()
                    .and_then(|r| r.try_into().ok()),
                session_id: p.pins.session_id.clone(),
                ephemeral_private_key: p.pins.ephemeral_key.clone(),
                cbc_ivs: pinned_ivs(&p.pins.cbc_ivs),
            },
        });
        self.servers.insert(key, config.clone());
        config
    }

    /// The stack of a connection's client end.
    pub(crate) fn client_stack(
        &mut self,
        conn: &str,
        number: u32,
        host: &str,
        peer: &str,
        tls: Option<&str>,
        app: Option<&ClientApp>,
    ) -> Stack {
        let ctx = EventContext {
            actor: host.to_string(),
            peer: peer.to_string(),
            conn: Some(number),
        };
        let session = match tls {
            None => Session::Plain,
            Some(profile) => {
                let config = self.client_config(profile, host);
                let rng = RngStream::new(self.seed, &format!("tls client {conn}"));
                Session::Client(Box::new(ClientConnection::new(config, rng, ctx.clone())))
            }
        };
        let processing_time =
            tls.map_or(Duration::ZERO, |p| self.client_profile(p).processing_time.0);
        let app = match app {
            None => App::None,
            Some(ClientApp::SpdyClient { host, path }) => App::SpdyClient {
                client: Box::new(SpdyClient::new(SpdyConfig::new(host.clone(), path.clone()))),
                closing: false,
            },
        };
        Stack::new(session, app, ctx, processing_time)
    }

    /// Whether the listener on `host:port` runs TLS or an application.
    pub(crate) fn listener(&self, host: &str, port: u16) -> bool {
        self.scenario
            .listen
            .iter()
            .any(|l| l.host.0 == host && l.port == port && (l.tls.is_some() || l.app.is_some()))
    }

    /// The stack of a connection's server end, accepted on `host:port`.
    pub(crate) fn server_stack(
        &mut self,
        conn: &str,
        number: u32,
        host: &str,
        port: u16,
        peer: &str,
    ) -> Stack {
        let ctx = EventContext {
            actor: host.to_string(),
            peer: peer.to_string(),
            conn: Some(number),
        };
        let listen = self
            .scenario
            .listen
            .iter()
            .find(|l| l.host.0 == host && l.port == port);
        let session = match listen.and_then(|l| l.tls.as_ref()) {
            None => Session::Plain,
            Some(profile) => {
                let config = self.server_config(&profile.0, host, port);
                let rng = RngStream::new(self.seed, &format!("tls server {conn}"));
                Session::Server(Box::new(ServerConnection::new(config, rng, ctx.clone())))
            }
        };
        let app = match listen.and_then(|l| l.app.as_ref()) {
            None => App::None,
            Some(ServerApp::SpdyServer { body }) => {
                App::SpdyServer(Box::new(SpdyServer::new(data_bytes(body))))
            }
        };
        let processing_time = listen
            .and_then(|l| l.tls.as_ref())
            .map_or(Duration::ZERO, |p| {
                self.server_profile(&p.0).processing_time.0
            });
        Stack::new(session, app, ctx, processing_time)
    }
}

fn pinned_ivs(ivs: &[Vec<u8>]) -> Option<Vec<[u8; 16]>> {
    (!ivs.is_empty()).then(|| {
        ivs.iter()
            .filter_map(|iv| iv.as_slice().try_into().ok())
            .collect()
    })
}
