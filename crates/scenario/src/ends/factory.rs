//! Making connection ends: the TLS configurations and applications a
//! scenario names, built once per host (or listener) and shared by its
//! connections.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tlsim_sim::RngStream;
use tlsim_spdy::{ClientConfig as SpdyConfig, SpdyClient, SpdyServer};
use tlsim_tls::cert::{TrustAnchors, VerificationCache};
use tlsim_tls::conn::ticket::TicketKey;
use tlsim_tls::conn::{EventContext, RenegotiationPolicy};
use tlsim_tls::crypto::ticket::{TICKET_KEY_LEN, Tls13TicketKey};
use tlsim_tls::enums::ExtensionType;
use tlsim_tls_client::config::TicketStore;
use tlsim_tls_client::{ClientCertificate, ClientConfig, ClientConnection, ClientSessionStore};
use tlsim_tls_script::{Conversation, Script};
use tlsim_tls_server::config::Tls13TicketConfig;
use tlsim_tls_server::{
    ClientAuth, ClientAuthPolicy, IssuedTickets, PinnedTicket, PinnedTickets, ServerConfig,
    ServerConnection, ServerSessionCache, TicketPolicy,
};

use super::ConnectionEnd;
use super::plain::PlainEnd;
use super::replay::ReplayEnd;
use super::script::ScriptEnd;
use super::spdy::Spdy;
use super::tls::{NoApp, Tls, TlsEnd};
use crate::CertName;
use crate::pki::Built;
use crate::runner::RunOptions;
use crate::schema::{
    self, ClientApp, ClientAuthMode, Data, OpaqueExtension, Renegotiation, Scenario, ServerApp,
    Tickets, TlsClient, TlsServer,
};
use crate::units::Time;

/// Builds the TLS configurations and applications a scenario names.
pub(crate) struct Factory<'a> {
    scenario: &'a Scenario,
    pki: Built,
    seed: u64,
    /// Whether plain ends digest the bytes or only count them.
    verify_data: bool,
    /// Whether any end makes key-log lines.
    keylog: bool,
    /// The calendar time clients check certificates against at time zero;
    /// `None`: the scenario's PKI epoch.
    now_unix: Option<u64>,
    /// Whether server ends write the key log too (with a real client, the
    /// only log of the session's secrets is the server's).
    server_keylog: bool,
    /// Client configurations by (profile, host): each host keeps its own
    /// session store and verification cache, shared by its connections.
    clients: BTreeMap<(&'a str, &'a str), Arc<ClientConfig>>,
    /// Server configurations by (profile, host, port): each listener keeps
    /// its own session cache.
    servers: BTreeMap<(&'a str, &'a str, u16), Arc<ServerConfig>>,
    /// What the pinned TLS 1.3 tickets sent stand for, shared by every
    /// server of the scenario, so that one resumes from a ticket another
    /// sent (a replayed trace's second connection).
    issued_tickets: IssuedTickets,
}

/// What a connecting end runs above TCP, as its `Connect` step says.
pub(crate) struct ClientStack<'s> {
    /// The TLS client profile; `None` for plain TCP.
    pub(crate) tls: Option<&'s str>,
    /// The application above TLS.
    pub(crate) app: Option<&'s ClientApp>,
    /// A conversation in place of the TLS stack.
    pub(crate) conversation: Option<&'s Conversation>,
}

/// Sessions a client store or a server cache keeps (oldest dropped first).
const SESSION_CAPACITY: usize = 1024;

fn data_bytes(data: &Data) -> Vec<u8> {
    match data {
        Data::Pattern(n) => super::pattern_bytes(*n),
        Data::Text(t) => t.clone().into_bytes(),
        Data::Hex(b) => b.clone(),
    }
}

impl<'a> Factory<'a> {
    pub(crate) fn new(scenario: &'a Scenario, pki: Built, seed: u64, opts: RunOptions) -> Self {
        Factory {
            scenario,
            pki,
            seed,
            verify_data: opts.verify_data,
            keylog: opts.keylog,
            now_unix: None,
            server_keylog: false,
            clients: BTreeMap::new(),
            servers: BTreeMap::new(),
            issued_tickets: IssuedTickets::default(),
        }
    }

    /// For ends talking to real peers: clients check certificates against
    /// the calendar time `now_unix` (the real clock), and server ends
    /// write the key log too.
    pub(crate) fn for_real_peers(mut self, now_unix: u64) -> Self {
        self.now_unix = Some(now_unix);
        self.server_keylog = true;
        self
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

    /// The DER of the named certificates, in order.
    fn certs(&self, names: &[CertName]) -> Vec<Vec<u8>> {
        names
            .iter()
            .flat_map(|c| self.pki.certs[&c.0].iter().cloned())
            .collect()
    }

    fn client_config(&mut self, profile: &'a str, host: &'a str) -> Arc<ClientConfig> {
        let key = (profile, host);
        if let Some(c) = self.clients.get(&key) {
            return c.clone();
        }
        let p = self.client_profile(profile);
        let config = Arc::new(ClientConfig {
            min_version: p.min_version.0,
            max_version: p.max_version.0,
            hello_version: p.hello_version.map(|v| v.0),
            record_version: p.record_version.map(|v| v.0),
            cipher_suites: crate::schema::suites_for(&p.cipher_suites, p.max_version),
            groups: p.groups.iter().map(|g| g.0).collect(),
            ec_point_formats: p.ec_point_formats.iter().map(|f| f.0).collect(),
            signature_algorithms: (!p.signature_algorithms.is_empty())
                .then(|| p.signature_algorithms.iter().map(|s| s.0).collect()),
            server_name: p.server_name.clone(),
            alpn: p.alpn.iter().map(|a| a.clone().into_bytes()).collect(),
            npn: p.npn,
            renegotiation_info: p.renegotiation_info,
            renegotiation: renegotiation_policy(p.renegotiation),
            extended_master_secret: p.extended_master_secret,
            encrypt_then_mac: p.encrypt_then_mac,
            session_ticket: p.session_ticket,
            extension_order: (!p.extension_order.is_empty())
                .then(|| p.extension_order.iter().map(|e| e.0).collect()),
            opaque_extensions: opaque(&p.opaque_extensions),
            max_handshake_len: tlsim_tls_client::config::DEFAULT_MAX_HANDSHAKE_LEN,
            trust_anchors: TrustAnchors::new(
                (p.trust.iter())
                    .flat_map(|c| self.pki.certs[&c.0].iter().cloned())
                    .collect(),
            ),
            verify_hostname: p.verify_hostname,
            common_name_fallback: p.common_name_fallback,
            now_unix: self.now_unix.unwrap_or(self.scenario.pki.epoch().0),
            verification_cache: p
                .verification_cache
                .then(|| Arc::new(Mutex::new(VerificationCache::new()))),
            session_store: p
                .resume
                .then(|| Arc::new(Mutex::new(ClientSessionStore::new(SESSION_CAPACITY)))),
            pins: tlsim_tls_client::ClientPins {
                client_random: fixed(&p.pins.client_random),
                ephemeral_private_key: p.pins.ephemeral_key.clone(),
                cbc_ivs: pinned_ivs(&p.pins.cbc_ivs),
                gcm_nonce: fixed(&p.pins.gcm_nonce),
                pre_master_random: fixed(&p.pins.pre_master_random),
                rsa_padding: p.pins.rsa_padding.clone(),
                key_exchange: (p.pins.ephemeral_public.clone())
                    .or_else(|| p.pins.encrypted_pre_master.clone()),
                master_secret: fixed(&p.pins.master_secret),
                legacy_session_id: p.pins.legacy_session_id.clone(),
                ticket_age: (p.pins.ticket_age)
                    .map(|age| u32::try_from(age.0.as_nanos() / 1_000_000).unwrap_or(u32::MAX)),
                retry_ephemeral_private_key: p.pins.retry_ephemeral_key.clone(),
                obfuscated_ticket_ages: p.pins.obfuscated_ticket_ages.clone(),
            },
            tickets: self.ticket_store(p, host),
            psk_modes: p.psk_modes.iter().map(|m| m.0).collect(),
            early_data: p.early_data,
            client_certificate: p.key.as_ref().map(|key| ClientCertificate {
                chain: self.certs(&p.chain),
                signing_key: self.pki.keys[&key.0].clone(),
            }),
            coalesce_handshake_records: p.coalesce_handshake_records,
            hello_padding: p.hello_padding.map(usize::from),
        });
        self.clients.insert(key, config.clone());
        config
    }

    /// The TLS 1.3 tickets a client profile keeps on `host`: its own, or
    /// those of the profile it shares them with.
    fn ticket_store(&mut self, p: &'a TlsClient, host: &'a str) -> Option<Arc<Mutex<TicketStore>>> {
        match &p.share_tickets_with {
            Some(other) => self.client_config(other, host).tickets.clone(),
            None => p
                .resume
                .then(|| Arc::new(Mutex::new(TicketStore::default()))),
        }
    }

    fn server_config(&mut self, profile: &'a str, host: &'a str, port: u16) -> Arc<ServerConfig> {
        let key = (profile, host, port);
        if let Some(c) = self.servers.get(&key) {
            return c.clone();
        }
        let p = self.server_profile(profile);
        let config = Arc::new(ServerConfig {
            min_version: p.min_version.0,
            max_version: p.max_version.0,
            cipher_suites: crate::schema::suites_for(&p.cipher_suites, p.max_version),
            groups: p.groups.iter().map(|g| g.0).collect(),
            cert_chain: (p.chain.iter())
                .flat_map(|c| self.pki.certs[&c.0].iter().cloned())
                .collect(),
            signing_key: self.pki.keys[&p.key.0].clone(),
            alpn: p.alpn.iter().map(|a| a.clone().into_bytes()).collect(),
            npn: p.npn.iter().map(|a| a.clone().into_bytes()).collect(),
            session_cache: p
                .session_cache
                .then(|| Arc::new(Mutex::new(ServerSessionCache::new(SESSION_CAPACITY)))),
            extended_master_secret: p.extended_master_secret,
            tickets: p
                .tickets
                .as_ref()
                .map(|t| self.ticket_policy(t, profile, host, port)),
            encrypt_then_mac: p.encrypt_then_mac,
            max_handshake_len: tlsim_tls_server::config::DEFAULT_MAX_HANDSHAKE_LEN,
            signature_algorithms: (p.signature_algorithms.as_ref())
                .map(|list| list.iter().map(|s| s.0).collect()),
            extension_order: (p.extension_order.as_ref())
                .map(|order| order.iter().map(|e| e.0).collect()),
            opaque_extensions: opaque(&p.opaque_extensions),
            pins: tlsim_tls_server::ServerPins {
                server_random: fixed(&p.pins.server_random),
                session_id: p.pins.session_id.clone(),
                ephemeral_private_key: p.pins.ephemeral_key.clone(),
                cbc_ivs: pinned_ivs(&p.pins.cbc_ivs),
                gcm_nonce: fixed(&p.pins.gcm_nonce),
                pss_salt: p.pins.pss_salt.clone(),
                ephemeral_public: p.pins.ephemeral_public.clone(),
                signature: p.pins.signature.clone(),
                master_secret: fixed(&p.pins.master_secret),
                cookie: p.pins.cookie.clone(),
            },
            tls13_tickets: p.tickets.as_ref().map(|t| Tls13TicketConfig {
                count: t.count,
                lifetime: whole_seconds(t.lifetime),
                max_early_data_size: t.max_early_data_size,
                key: self.ticket_key(profile, p.pins.ticket_key.as_deref()),
                pinned: self.pinned_tickets(&p.pins.tickets),
            }),
            client_auth: ClientAuth {
                policy: match p.client_auth {
                    ClientAuthMode::None => ClientAuthPolicy::None,
                    ClientAuthMode::Optional => ClientAuthPolicy::Optional,
                    ClientAuthMode::Required => ClientAuthPolicy::Required,
                },
                trust_anchors: TrustAnchors::new(self.certs(&p.client_trust)),
                now_unix: self.now_unix.unwrap_or(self.scenario.pki.epoch().0),
            },
            hello_retry_cookie: p.hello_retry_cookie,
            renegotiation: renegotiation_policy(p.renegotiation),
            coalesce_handshake_records: p.coalesce_handshake_records,
        });
        self.servers.insert(key, config.clone());
        config
    }

    /// The ticket keys and lifetimes of the listener `profile` on
    /// `host:port`: pinned keys as given, the others drawn from a stream
    /// of the listener's own, so that no other draw moves.
    fn ticket_policy(
        &self,
        tickets: &Tickets,
        profile: &str,
        host: &str,
        port: u16,
    ) -> TicketPolicy {
        let mut rng = RngStream::new(self.seed, &format!("ticket keys {profile} {host}:{port}"));
        let mut draw = |pinned: &Option<Vec<u8>>, out: &mut [u8]| {
            rng.fill(out);
            if let Some(pinned) = pinned.as_deref().filter(|p| p.len() == out.len()) {
                out.copy_from_slice(pinned);
            }
        };
        let mut key = TicketKey {
            name: [0; 16],
            aes_key: [0; 16],
            hmac_key: [0; 32],
        };
        draw(&tickets.key_name, &mut key.name);
        draw(&tickets.aes_key, &mut key.aes_key);
        draw(&tickets.hmac_key, &mut key.hmac_key);
        TicketPolicy {
            key,
            lifetime: whole_seconds(tickets.lifetime),
            lifetime_hint: whole_seconds(tickets.lifetime_hint.unwrap_or(tickets.lifetime)),
            now_unix: self.now_unix.unwrap_or(self.scenario.pki.epoch().0),
        }
    }

    /// A server profile's pinned NewSessionTickets and the tickets it
    /// resumes from; `None` when no server of the scenario pins tickets.
    fn pinned_tickets(
        &self,
        tickets: &[schema::PinnedTicket],
    ) -> Option<Arc<Mutex<PinnedTickets>>> {
        let servers = &self.scenario.tls.servers;
        if servers.iter().all(|s| s.pins.tickets.is_empty()) {
            return None;
        }
        let tickets = (tickets.iter())
            .map(|t| PinnedTicket {
                ticket: t.ticket.clone(),
                age_add: t
                    .age_add
                    .as_slice()
                    .try_into()
                    .map_or(0, u32::from_be_bytes),
                nonce: t.nonce.clone(),
                opaque_extensions: opaque(&t.opaque_extensions),
            })
            .collect();
        Some(Arc::new(Mutex::new(PinnedTickets::new(
            tickets,
            self.issued_tickets.clone(),
        ))))
    }

    /// A server profile's ticket key: the pinned one, or 16 bytes of a
    /// stream of its own, so that drawing it shifts no other stream.
    fn ticket_key(&self, profile: &str, pinned: Option<&[u8]>) -> Tls13TicketKey {
        let mut key = [0u8; TICKET_KEY_LEN];
        match pinned.and_then(|k| <[u8; TICKET_KEY_LEN]>::try_from(k).ok()) {
            Some(pinned) => key = pinned,
            None => RngStream::new(self.seed, &format!("tls ticket key {profile}")).fill(&mut key),
        }
        Tls13TicketKey::new(&key)
    }

    /// The end that connects, on `host`: plain TCP, TLS with its profile
    /// and the application above it, or a conversation that builds its
    /// messages from that profile.
    pub(crate) fn client_end(
        &mut self,
        conn: &str,
        number: u32,
        host: &'a str,
        peer: &str,
        stack: ClientStack<'a>,
    ) -> Box<dyn ConnectionEnd> {
        let ClientStack {
            tls,
            app,
            conversation,
        } = stack;
        let Some(profile) = tls else {
            return Box::new(PlainEnd::new(self.verify_data));
        };
        let ctx = context(host, peer, number);
        let config = self.client_config(profile, host);
        let p = self.client_profile(profile);
        // A recorded session pins the stream's seed: the replayed server
        // answers what the client drew then.
        let seed = p.pins.rng_seed.unwrap_or(self.seed);
        let rng = client_stream(seed, conn);
        if let Some(conversation) = conversation {
            let script = Script::client(conversation.clone(), config, rng, ctx);
            return Box::new(ScriptEnd::new(script, self.keylog));
        }
        let tls = Tls::Client(Box::new(ClientConnection::new(config, rng, ctx.clone())));
        let processing_time = p.processing_time.0;
        match app {
            None => Box::new(TlsEnd::new(tls, NoApp, processing_time, self.keylog)),
            Some(ClientApp::SpdyClient { host, path }) => {
                let spdy = SpdyClient::new(SpdyConfig::new(host.clone(), path.clone()));
                let app = Spdy::client(spdy, ctx);
                Box::new(TlsEnd::new(tls, app, processing_time, self.keylog))
            }
        }
    }

    /// The end that accepts on `host:port`, as its listener says (plain TCP
    /// when nothing listens there).
    pub(crate) fn server_end(
        &mut self,
        conn: &str,
        number: u32,
        host: &str,
        port: u16,
        peer: &str,
    ) -> Box<dyn ConnectionEnd> {
        let scenario = self.scenario;
        let listen = (scenario.listen.iter()).find(|l| l.host.0 == host && l.port == port);
        if let Some(replay) = listen.and_then(|l| l.replay.as_ref()) {
            let steps = Arc::from(replay.steps.as_slice());
            return Box::new(ReplayEnd::new(steps, context(host, peer, number)));
        }
        let Some((listen, profile)) = listen.and_then(|l| Some((l, l.tls.as_ref()?))) else {
            return Box::new(PlainEnd::new(self.verify_data));
        };
        let ctx = context(host, peer, number);
        let config = self.server_config(&profile.0, &listen.host.0, port);
        let rng = server_stream(self.seed, conn);
        if let Some(conversation) = &listen.conversation {
            let script = Script::server(conversation.clone(), config, rng, ctx);
            return Box::new(ScriptEnd::new(script, self.server_keylog && self.keylog));
        }
        let tls = Tls::Server(Box::new(ServerConnection::new(config, rng, ctx.clone())));
        let processing_time = self.server_profile(&profile.0).processing_time.0;
        let keylog = self.server_keylog && self.keylog;
        match &listen.app {
            None => Box::new(TlsEnd::new(tls, NoApp, processing_time, keylog)),
            Some(ServerApp::SpdyServer { body }) => {
                let spdy = SpdyServer::new(data_bytes(body));
                let app = Spdy::server(spdy, ctx);
                Box::new(TlsEnd::new(tls, app, processing_time, keylog))
            }
        }
    }
}

/// The configurations of a connection's two TLS ends, as
/// [`Factory::client_end`] and [`Factory::server_end`] give them, for
/// rehearsals of its handshake (see `crate::rehearsal`).
pub(crate) struct TlsPair {
    client: Arc<ClientConfig>,
    client_seed: u64,
    server: Arc<ServerConfig>,
    server_seed: u64,
}

impl TlsPair {
    /// The two ends of connection `conn` (its `number`) from `from` to
    /// `to`, each with the random stream the run gives it.
    pub(crate) fn ends(
        &self,
        (conn, number): (&str, u32),
        (from, to): (&str, &str),
    ) -> (ClientConnection, ServerConnection) {
        let client = ClientConnection::new(
            Arc::clone(&self.client),
            client_stream(self.client_seed, conn),
            context(from, to, number),
        );
        let server = ServerConnection::new(
            Arc::clone(&self.server),
            server_stream(self.server_seed, conn),
            context(to, from, number),
        );
        (client, server)
    }
}

impl<'a> Factory<'a> {
    /// The TLS ends' configurations for connections from `from` to
    /// `to:port` with the client profile `profile`, when a rehearsal
    /// makes the same handshake as the run: both ends plain TLS actors
    /// (no conversation, no replayed server), the server resuming nothing.
    /// The client keeps no sessions or tickets, and its verification cache
    /// is replaced by `cache`, the rehearsals' own.
    pub(crate) fn tls_pair(
        &mut self,
        (from, to, port): (&'a str, &str, u16),
        profile: &'a str,
        cache: &Arc<Mutex<VerificationCache>>,
    ) -> Option<TlsPair> {
        let scenario = self.scenario;
        let listen = (scenario.listen.iter()).find(|l| l.host.0 == to && l.port == port)?;
        if listen.replay.is_some() || listen.conversation.is_some() {
            return None;
        }
        let server = self.server_config(&listen.tls.as_ref()?.0, &listen.host.0, port);
        let client = self.client_config(profile, from);
        // A server that resumes nothing makes every handshake a full one,
        // whatever sessions or tickets the client keeps.
        let resumes = server.session_cache.is_some()
            || server.tickets.is_some()
            || server.tls13_tickets.is_some();
        if resumes {
            return None;
        }
        let client = Arc::new(ClientConfig {
            verification_cache: (client.verification_cache.as_ref()).map(|_| Arc::clone(cache)),
            session_store: None,
            tickets: None,
            ..ClientConfig::clone(&client)
        });
        Some(TlsPair {
            client,
            client_seed: (self.client_profile(profile).pins.rng_seed).unwrap_or(self.seed),
            server,
            server_seed: self.seed,
        })
    }
}

/// The random stream of connection `conn`'s TLS client.
fn client_stream(seed: u64, conn: &str) -> RngStream {
    RngStream::new(seed, &format!("tls client {conn}"))
}

/// The random stream of connection `conn`'s TLS server.
fn server_stream(seed: u64, conn: &str) -> RngStream {
    RngStream::new(seed, &format!("tls server {conn}"))
}

/// Who TLS and SPDY events are about.
fn context(host: &str, peer: &str, number: u32) -> EventContext {
    EventContext {
        actor: host.to_string(),
        peer: peer.to_string(),
        conn: Some(number),
    }
}

fn pinned_ivs(ivs: &[Vec<u8>]) -> Option<Vec<[u8; 16]>> {
    (!ivs.is_empty()).then(|| {
        ivs.iter()
            .filter_map(|iv| iv.as_slice().try_into().ok())
            .collect()
    })
}

/// A duration as the wire's 32-bit count of seconds (RFC 5077 §3.3,
/// RFC 8446 §4.6.1); the loader has checked it is whole.
fn whole_seconds(t: Time) -> u32 {
    u32::try_from(t.0.as_nanos() / 1_000_000_000).unwrap_or(u32::MAX)
}

/// A pinned value of a fixed length (the loader has checked the length).
fn fixed<const N: usize>(pinned: &Option<Vec<u8>>) -> Option<[u8; N]> {
    pinned.as_deref().and_then(|v| v.try_into().ok())
}

fn renegotiation_policy(mode: Renegotiation) -> RenegotiationPolicy {
    match mode {
        Renegotiation::Refuse => RenegotiationPolicy::Refuse,
        Renegotiation::Accept => RenegotiationPolicy::Accept,
    }
}

fn opaque(extensions: &[OpaqueExtension]) -> Vec<(ExtensionType, Vec<u8>)> {
    (extensions.iter())
        .map(|e| (e.code.0, e.data.clone()))
        .collect()
}
