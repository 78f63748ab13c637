//! The server's handshake: one struct per message it expects next.
//!
//! Full handshake (RFC 5246 §7.3, Figure 1):
//! 1. Client Hello: choose version, suite and group; send Server Hello,
//!    Certificate, Server Key Exchange (ECDHE and DHE), Server Hello Done in
//!    one flight → [`ExpectClientKeyExchange`].
//! 2. Client Key Exchange: agree on or decrypt the premaster secret,
//!    derive the secrets → [`ExpectChangeCipherSpec`].
//! 3. Change Cipher Spec → ([`ExpectNextProtocol`] →) [`ExpectFinished`].
//! 4. Finished: send Change Cipher Spec, Finished → [`Connected`].
//!
//! Abbreviated handshake (RFC 5246 §7.3, Figure 2): when the offered
//! session is cached and fits, the server answers the Client Hello with
//! Server Hello, Change Cipher Spec and Finished, and then waits for the
//! client's Change Cipher Spec and Finished.
//!
//! Each state reports its name from `crate::states`, whose table lists
//! every step a handler may take; a step not listed panics in debug builds.

use std::sync::Arc;

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::hex;
use tlsim_tls::codec::{Codec, put_u24};
use tlsim_tls::conn::{
    Core, HelloParams, Input, Negotiated, Randoms, SessionKeys, State, StateName, StoredSession,
    crypto_error, lock,
};
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::crypto::ffdhe::{DhSecret, FfdheGroup, GENERATOR};
use tlsim_tls::crypto::kx::{EphemeralSecret, KxGroup};
use tlsim_tls::crypto::prf::FinishedSender;
use tlsim_tls::crypto::sign::{self, KeyType};
use tlsim_tls::crypto::suites::{Authentication, CipherSuiteParams, KeyExchange, suite_params};
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, CompressionMethod, ContentType, EcCurveType, EcPointFormat,
    ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use tlsim_tls::error::{Error, PeerIncompatible, PeerMisbehaved};
use tlsim_tls::msgs::tls13::downgrade_sentinel;
use tlsim_tls::msgs::{
    ClientDhPublic, ClientEcdhPublic, ClientExtension, ClientHello, DheServerKeyExchange,
    DigitallySigned, EcdheServerKeyExchange, EncryptedPreMasterSecret, HandshakeMessage,
    HelloExtension, Random, ServerDhParams, ServerEcdhParams, ServerExtension, ServerHello,
    SessionId,
};
use tlsim_tls::require_handshake;

use crate::config::ServerConfig;
use crate::states::ServerState;

/// The first state: waiting for the Client Hello.
pub(crate) struct ExpectClientHello {
    pub(crate) config: Arc<ServerConfig>,
}

/// What the server settled from the Client Hello for a full handshake.
struct Choice {
    version: ProtocolVersion,
    suite: &'static CipherSuiteParams,
    /// The ECDHE group; none for DHE and RSA key transport.
    group: Option<KxGroup>,
    /// The DHE group (RFC 7919); none for ECDHE and RSA key transport.
    ffdhe: Option<FfdheGroup>,
}

/// The server's answer to a Client Hello, decided once (RFC 5246 §7.3):
/// resume the offered session, or run a full handshake.
enum HelloDecision {
    /// The abbreviated handshake (Figure 2) with this cached session.
    Resume(StoredSession),
    /// The full handshake (Figure 1).
    Full(Choice),
}

impl HelloDecision {
    fn version(&self) -> ProtocolVersion {
        match self {
            HelloDecision::Resume(stored) => stored.version,
            HelloDecision::Full(choice) => choice.version,
        }
    }

    fn suite(&self) -> CipherSuite {
        match self {
            HelloDecision::Resume(stored) => stored.suite,
            HelloDecision::Full(choice) => choice.suite.suite(),
        }
    }

    /// The key exchange group; none when resuming, which has no key
    /// exchange.
    fn group(&self) -> Option<NamedGroup> {
        match self {
            HelloDecision::Resume(_) => None,
            HelloDecision::Full(choice) => choice
                .group
                .map(KxGroup::named_curve)
                .or(choice.ffdhe.map(FfdheGroup::named_group)),
        }
    }

    fn resumed_session_id(&self) -> Option<&[u8]> {
        match self {
            HelloDecision::Resume(stored) => Some(&stored.session_id),
            HelloDecision::Full(_) => None,
        }
    }
}

/// What the Client Hello asked for, beyond suites and groups.
pub(crate) struct Requested {
    /// The Client Hello carried TLS_EMPTY_RENEGOTIATION_INFO_SCSV or
    /// renegotiation_info (RFC 5746 §3.6).
    pub(crate) secure_renegotiation: bool,
    /// The renegotiation_info extension's renegotiated_connection.
    pub(crate) renegotiation_info: Option<Vec<u8>>,
    extended_master_secret: bool,
    encrypt_then_mac: bool,
    server_name: bool,
    ec_point_formats: bool,
    alpn: Option<Vec<Vec<u8>>>,
    npn: bool,
    groups: Option<Vec<NamedGroup>>,
    signature_algorithms: Option<Vec<SignatureScheme>>,
    /// The SessionTicket extension's body (RFC 5077 §3.2): empty to ask
    /// for a ticket, or a ticket to resume with.
    session_ticket: Option<Vec<u8>>,
    /// Every extension type of the Client Hello, for the opaque answers.
    offered: Vec<ExtensionType>,
}

impl Requested {
    fn from_hello(hello: &ClientHello) -> Result<Self, Error> {
        let mut requested = Requested {
            secure_renegotiation: hello
                .cipher_suites
                .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
            renegotiation_info: None,
            extended_master_secret: false,
            encrypt_then_mac: false,
            server_name: false,
            ec_point_formats: false,
            alpn: None,
            npn: false,
            groups: None,
            signature_algorithms: None,
            session_ticket: None,
            offered: hello.extensions.iter().map(|e| e.ext_type()).collect(),
        };
        // Unknown extensions are ignored (RFC 5246 §7.4.1.4); duplicates
        // were rejected when the hello was parsed.
        for ext in &hello.extensions {
            match ext {
                ClientExtension::ServerName(_) => requested.server_name = true,
                ClientExtension::SupportedGroups(groups) => {
                    requested.groups = Some(groups.clone());
                }
                ClientExtension::EcPointFormats(formats) => {
                    // RFC 4492 §5.1.2: uncompressed must be supported.
                    if !formats.contains(&EcPointFormat::Uncompressed) {
                        return Err(PeerMisbehaved::IllegalParameter("ec_point_formats").into());
                    }
                    requested.ec_point_formats = true;
                }
                ClientExtension::SignatureAlgorithms(algs) => {
                    requested.signature_algorithms = Some(algs.clone());
                }
                ClientExtension::RenegotiationInfo(data) => {
                    // Checked against the connection's verify_data by
                    // `renegotiation::check_client_hello`.
                    requested.renegotiation_info = Some(data.clone());
                    requested.secure_renegotiation = true;
                }
                ClientExtension::ExtendedMasterSecret => requested.extended_master_secret = true,
                ClientExtension::EncryptThenMac => requested.encrypt_then_mac = true,
                ClientExtension::Alpn(names) => requested.alpn = Some(names.clone()),
                ClientExtension::NextProtocolNegotiation => requested.npn = true,
                ClientExtension::SessionTicket(ticket) => {
                    requested.session_ticket = Some(ticket.clone());
                }
                ClientExtension::Unknown { .. } => {}
            }
        }
        Ok(requested)
    }
}

impl ExpectClientHello {
    /// RFC 5246 §7.4.1.3: the server picks the highest version both
    /// support; a client below the server's floor gets protocol_version
    /// (Appendix E.1).
    fn choose_version(&self, hello: &ClientHello) -> Result<ProtocolVersion, Error> {
        let mut offered = hello.client_version;
        // RFC 8446 §4.2.1: a server that speaks TLS 1.3 reads the client's
        // versions from supported_versions when it is there.
        if self.config.max_version >= ProtocolVersion::Tls13
            && let Some(listed) = crate::tls13_checks::highest_legacy_version(hello)?
        {
            offered = listed;
        }
        if offered < self.config.min_version.max(ProtocolVersion::Tls10) {
            return Err(PeerIncompatible::UnsupportedVersion(hello.client_version).into());
        }
        // RFC 7507 §3: a client that signals a fallback although the
        // server supports a higher version than it offers is under a
        // downgrade attack: inappropriate_fallback.
        if offered < self.config.max_version
            && hello
                .cipher_suites
                .contains(&CipherSuite::TLS_FALLBACK_SCSV)
        {
            return Err(PeerMisbehaved::InappropriateFallback.into());
        }
        Ok(offered.min(self.config.max_version))
    }

    /// The first suite of the server's list that the client offered and
    /// that fits the version, the key and a common group.
    fn choose_suite(
        &self,
        hello: &ClientHello,
        requested: &Requested,
        version: ProtocolVersion,
    ) -> Result<Choice, Error> {
        let config = &self.config;
        let key_type = config.signing_key.key_type();
        let group = config.groups.iter().find_map(|&g| {
            let group = KxGroup::from_named_curve(g)?;
            client_accepts_curve(requested, g).then_some(group)
        });
        let ffdhe = config.groups.iter().find_map(|&g| {
            let group = FfdheGroup::from_named_group(g)?;
            client_accepts_ffdhe(requested, g).then_some(group)
        });
        // Suites both sides offer for this version whose key exchange has
        // what it needs: an ECDHE suite a common curve, DHE a common
        // group, RSA key transport nothing.
        let usable = || {
            (config.cipher_suites.iter())
                .filter_map(|&s| suite_params(s))
                .filter(|s| {
                    let has_key_exchange = match s.key_exchange {
                        KeyExchange::Ecdhe => group.is_some(),
                        KeyExchange::Dhe => ffdhe.is_some(),
                        KeyExchange::Rsa => true,
                    };
                    has_key_exchange
                        && s.allows(version)
                        && hello.cipher_suites.contains(&s.suite())
                })
        };
        let suite = usable()
            .find(|s| match s.authentication {
                Authentication::Ecdsa => key_type
                    .ecdsa_curve()
                    .is_some_and(|curve| client_accepts_curve(requested, curve)),
                Authentication::Rsa => key_type == KeyType::Rsa,
            })
            .ok_or_else(|| match group {
                // RFC 7919 §4: a client listing FFDHE groups of which the
                // server knows none, with no other suite that fits.
                _ if ffdhe.is_none() && client_lists_ffdhe(requested) => {
                    PeerIncompatible::NoFfdheGroupInCommon
                }
                None => PeerIncompatible::NoCurveInCommon,
                Some(_)
                    if key_type.ecdsa_curve().is_some()
                        && usable().any(|s| s.authentication == Authentication::Ecdsa) =>
                {
                    PeerIncompatible::CertificateCurveNotOffered
                }
                Some(_) => PeerIncompatible::NoCipherSuiteInCommon,
            })?;
        Ok(Choice {
            version,
            suite,
            group: group.filter(|_| suite.key_exchange == KeyExchange::Ecdhe),
            ffdhe: ffdhe.filter(|_| suite.key_exchange == KeyExchange::Dhe),
        })
    }

    /// Resume the session of a presented ticket or the offered session ID
    /// if it fits, else choose the full handshake's version, suite and
    /// group.
    fn decide(
        &self,
        hello: &ClientHello,
        requested: &Requested,
        extended_master_secret: bool,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<HelloDecision, Error> {
        let version = self.choose_version(hello)?;
        let version = crate::renegotiation::keep_version(core, hello, version)?;
        let fits = |stored: &StoredSession| {
            stored.version == version
                && stored.extended_master_secret == extended_master_secret
                && hello.cipher_suites.contains(&stored.suite)
                && suite_params(stored.suite).is_some()
        };
        // RFC 5077 §3.4: a ticket the server can use is preferred; one it
        // cannot use falls back to the session ID, then a full handshake.
        if let Some(policy) = &self.config.tickets
            && let Some(ticket) = requested.session_ticket.as_deref()
            && !ticket.is_empty()
        {
            let stored =
                crate::ticket::open_presented(policy, hello, ticket, &fits, core, now, tracer);
            if let Some(stored) = stored {
                return Ok(HelloDecision::Resume(stored));
            }
        }
        match self.cached_session(hello, fits) {
            Some(stored) => Ok(HelloDecision::Resume(stored)),
            None => self
                .choose_suite(hello, requested, version)
                .map(HelloDecision::Full),
        }
    }

    /// The cached session to resume, if the client offered one that fits.
    fn cached_session(
        &self,
        hello: &ClientHello,
        fits: impl Fn(&StoredSession) -> bool,
    ) -> Option<StoredSession> {
        if hello.session_id.is_empty() {
            return None;
        }
        let cache = self.config.session_cache.as_ref()?;
        let stored = lock(cache).get(hello.session_id.as_bytes()).cloned()?;
        fits(&stored).then_some(stored)
    }

    /// Server Hello extensions, answering only what the client sent
    /// (RFC 5246 §7.4.1.4).
    fn server_extensions(
        &self,
        requested: &Requested,
        extended_master_secret: bool,
        alpn: Option<&Vec<u8>>,
    ) -> Vec<ServerExtension> {
        let mut exts = Vec::new();
        if requested.server_name {
            exts.push(ServerExtension::ServerNameAck);
        }
        if requested.secure_renegotiation {
            exts.push(ServerExtension::RenegotiationInfo(Vec::new()));
        }
        if requested.ec_point_formats {
            exts.push(ServerExtension::EcPointFormats(vec![
                EcPointFormat::Uncompressed,
            ]));
        }
        if extended_master_secret {
            exts.push(ServerExtension::ExtendedMasterSecret);
        }
        if let Some(protocol) = alpn {
            exts.push(ServerExtension::Alpn(vec![protocol.clone()]));
        }
        if self.advertises_npn(requested, alpn) {
            exts.push(ServerExtension::NextProtocolNegotiation(
                self.config.npn.clone(),
            ));
        }
        // An opaque extension takes the place of tlsim's own of its type.
        let opaque = &self.config.opaque_extensions;
        exts.retain(|ext| !opaque.iter().any(|(typ, _)| *typ == ext.ext_type()));
        // RFC 5246 §7.4.1.4: only types the client sent may come back.
        exts.extend(
            (self.config.opaque_extensions.iter())
                .filter(|(typ, _)| requested.offered.contains(typ))
                .map(|(typ, data)| ServerExtension::Unknown {
                    typ: *typ,
                    data: data.clone(),
                }),
        );
        match &self.config.extension_order {
            Some(order) => listed_in_order(exts, order),
            None => exts,
        }
    }

    fn advertises_npn(&self, requested: &Requested, alpn: Option<&Vec<u8>>) -> bool {
        requested.npn && alpn.is_none() && !self.config.npn.is_empty()
    }

    /// RFC 7301 §3.2: the server's most preferred protocol the client
    /// offered.
    fn choose_alpn(&self, requested: &Requested) -> Option<Vec<u8>> {
        let offered = requested.alpn.as_ref()?;
        self.config
            .alpn
            .iter()
            .find(|p| offered.contains(p))
            .cloned()
    }
}

impl State for ExpectClientHello {
    fn name(&self) -> &'static str {
        ServerState::ExpectClientHello.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let (_, hello) = require_handshake!(
            input,
            HandshakeType::ClientHello,
            HandshakeMessage::ClientHello(hello) => hello
        )?;
        let requested = Requested::from_hello(hello)?;
        crate::renegotiation::check_client_hello(hello, &requested, core)?;
        // RFC 5246 §7.4.1.2: null compression must be offered.
        if !hello.compression_methods.contains(&CompressionMethod::Null) {
            return Err(PeerIncompatible::NullCompressionRequired.into());
        }
        // RFC 8446 §4.1.2: TLS 1.3 is never renegotiated into.
        if !core.renegotiation.in_progress() && crate::tls13::negotiates_tls13(&self.config, hello)?
        {
            let answers = crate::tls13::Answers {
                alpn: self.choose_alpn(&requested),
                server_name: requested.server_name,
            };
            return crate::tls13::handle_client_hello(
                self.config,
                hello,
                answers,
                None,
                core,
                now,
                tracer,
            );
        }
        let extended_master_secret =
            requested.extended_master_secret && self.config.extended_master_secret;
        let decision = self.decide(hello, &requested, extended_master_secret, core, now, tracer);
        core.ctx.action(
            now,
            tracer,
            "Compare the client crypto parameters with server crypto parameters and finalize the crypto",
            |e| {
                let mut e = e
                    .field("Client Version", hello.client_version)
                    .field("Offered Cipher Suites", format!("{} suites", hello.cipher_suites.len()))
                    .field(
                        "Offered Elliptic Curves",
                        format!("{} curves", requested.groups.as_ref().map_or(0, Vec::len)),
                    );
                match &decision {
                    Err(err) => e = e.field("Result", err),
                    Ok(HelloDecision::Resume(stored)) => {
                        e = e
                            .field("Result", "resume the offered session")
                            .field("Cipher Suite", stored.suite);
                    }
                    Ok(HelloDecision::Full(choice)) => {
                        e = e
                            .field("Version", choice.version)
                            .field("Cipher Suite", choice.suite.name);
                        e = match (choice.group, choice.ffdhe) {
                            (Some(group), _) => e.field("Elliptic Curve", group.name()),
                            (None, Some(group)) => e.field("DH Group", group.name()),
                            (None, None) => e.field(
                                "Key Exchange",
                                "RSA: the client encrypts the pre-master secret to the \
                                 certificate's key",
                            ),
                        };
                        e = e.field(
                                "Reason",
                                "the server's most preferred suite that the client offered and \
                                 that fits the version, the certificate key and a common curve",
                            );
                    }
                }
                e.explain(
                    "The server compares the client's offered versions, suites and curves \
                     with its own and chooses one of each.",
                )
            },
        );
        let decision = decision?;
        // RFC 5077 §3.2: the server promises a NewSessionTicket by an empty
        // SessionTicket extension.
        let issue_ticket = self.config.tickets.is_some() && requested.session_ticket.is_some();
        let session_id = match decision.resumed_session_id() {
            Some(id) => id.to_vec(),
            // RFC 5077 §3.4: "If a server is planning on issuing a
            // SessionTicket to a client that does not present one, it
            // SHOULD include an empty Session ID in the ServerHello."
            None if issue_ticket
                && requested.session_ticket.as_ref().is_some_and(Vec::is_empty) =>
            {
                Vec::new()
            }
            None => allocate_session_id(&self.config, core, now, tracer),
        };
        let mut server_random = core.choose_random(
            self.config.pins.server_random,
            now,
            tracer,
            "Select a Server Random Number",
            "The server picks its own 32 random bytes; with the client's they make \
             this session's keys unique.",
        );
        // RFC 8446 §4.1.3: a server that could speak TLS 1.3 but negotiates
        // less says so in the last 8 bytes of its random.
        if self.config.max_version >= ProtocolVersion::Tls13
            && let Some(sentinel) = downgrade_sentinel(decision.version())
        {
            server_random[24..].copy_from_slice(&sentinel);
        }
        let randoms = Randoms {
            client: hello.random.0,
            server: server_random,
        };
        let alpn = self.choose_alpn(&requested);
        let npn = self.advertises_npn(&requested, alpn.as_ref());
        let mut extensions =
            self.server_extensions(&requested, extended_master_secret, alpn.as_ref());
        if issue_ticket {
            extensions.push(ServerExtension::SessionTicketAck);
        }
        crate::renegotiation::answer(core, &mut extensions);
        // RFC 7366 §3: encrypt_then_mac is echoed for a CBC suite only;
        // "the server MUST NOT send an encrypt_then_mac response extension"
        // with an AEAD or stream cipher.
        core.encrypt_then_mac = requested.encrypt_then_mac
            && self.config.encrypt_then_mac
            && suite_params(decision.suite()).is_some_and(|s| s.bulk.is_cbc());
        if core.encrypt_then_mac {
            extensions.push(ServerExtension::EncryptThenMac);
        }
        let version = decision.version();
        core.set_version(version);
        core.queue_handshake(&HandshakeMessage::ServerHello(ServerHello {
            server_version: version,
            random: Random(server_random),
            session_id: SessionId::new(&session_id).unwrap_or_else(SessionId::empty),
            cipher_suite: decision.suite(),
            compression_method: CompressionMethod::Null,
            extensions,
        }));
        core.negotiated = Some(Negotiated {
            version,
            suite: decision.suite(),
            group: decision.group(),
            alpn,
            session_id: session_id.clone(),
            resumed: matches!(decision, HelloDecision::Resume(_)),
            extended_master_secret,
        });
        let flow = Flow {
            config: self.config,
            npn,
            session_id,
            issue_ticket,
        };
        match decision {
            HelloDecision::Resume(stored) => flow.resume(stored, randoms, core, now, tracer),
            HelloDecision::Full(choice) => flow.send_server_flight(
                &requested,
                choice,
                hello.client_version,
                randoms,
                core,
                now,
                tracer,
            ),
        }
    }
}

/// RFC 8422 §5.3: an ECDSA certificate's key must lie on a curve the
/// client lists in supported_groups; RFC 8422 §4: a client that sends no
/// such list supports any curve. (Its point formats always include
/// uncompressed, which `Requested::from_hello` checked.)
fn client_accepts_curve(requested: &Requested, curve: NamedGroup) -> bool {
    requested
        .groups
        .as_ref()
        .is_none_or(|groups| groups.contains(&curve))
}

/// RFC 7919 §4: a client whose supported_groups lists FFDHE groups gets
/// one of them; one that lists none (or sends no list) leaves the choice
/// to the server.
fn client_accepts_ffdhe(requested: &Requested, group: NamedGroup) -> bool {
    !client_lists_ffdhe(requested)
        || requested
            .groups
            .as_ref()
            .is_some_and(|groups| groups.contains(&group))
}

/// RFC 7919 §4: whether supported_groups holds "any codepoint between 256
/// and 511, inclusive, even if unknown to the server".
fn client_lists_ffdhe(requested: &Requested) -> bool {
    requested
        .groups
        .as_ref()
        .is_some_and(|groups| groups.iter().any(|&g| FfdheGroup::is_ffdhe_code_point(g)))
}

fn allocate_session_id(
    config: &ServerConfig,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Vec<u8> {
    let id = match &config.pins.session_id {
        Some(id) => id.iter().copied().take(32).collect(),
        None => {
            let mut id = vec![0u8; 32];
            core.rng.fill(&mut id);
            id
        }
    };
    core.ctx
        .action(now, tracer, "Allocate a Session Identifier", |e| {
            e.field("Session ID", hex(&id))
                .field("Session ID Length", id.len())
                .explain(
                    "The server names this session so that the client can resume it later \
                     without a full key exchange.",
                )
        });
    id
}

/// What every later state of the server needs.
pub(crate) struct Flow {
    pub(crate) config: Arc<ServerConfig>,
    npn: bool,
    session_id: Vec<u8>,
    /// A NewSessionTicket precedes the server's Change Cipher Spec
    /// (RFC 5077 §3.3).
    issue_ticket: bool,
}

impl Flow {
    /// RFC 5246 §7.3: the abbreviated handshake reuses the cached master
    /// secret; the server's Change Cipher Spec and Finished follow the
    /// Server Hello at once.
    fn resume(
        self,
        stored: StoredSession,
        randoms: Randoms,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let suite = suite_params(stored.suite).ok_or(PeerIncompatible::NoCipherSuiteInCommon)?;
        let keys = core.resume_session_keys(
            now,
            tracer,
            Side::Server,
            suite,
            stored,
            randoms,
            "The client offered a session the server remembers: both reuse its \
             master secret and skip the certificate and key exchange.",
        )?;
        if self.issue_ticket {
            crate::ticket::queue_new_ticket(&self.config, &keys, core, now, tracer);
        }
        send_finished(&keys, core, tracer.enabled())?;
        core.flush(now, tracer);
        Ok(Box::new(ExpectChangeCipherSpec {
            flow: self,
            keys,
            resumed: true,
        }))
    }

    #[allow(clippy::too_many_arguments)]
    fn send_server_flight(
        self,
        requested: &Requested,
        choice: Choice,
        client_version: ProtocolVersion,
        randoms: Randoms,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let config = &self.config;
        // RFC 5246 §7.4.2: the chain, leaf first, written without copying.
        core.queue_handshake_with(HandshakeType::Certificate, |out| {
            let total: usize = config.cert_chain.iter().map(|c| 3 + c.len()).sum();
            put_u24(out, total);
            for der in &config.cert_chain {
                put_u24(out, der.len());
                out.extend_from_slice(der);
            }
        });
        // RFC 5246 §7.4.3: ECDHE and DHE send a Server Key Exchange; with
        // RSA key transport the certificate's key is the key exchange.
        let key_exchange = match (choice.group, choice.ffdhe) {
            (Some(group), _) => {
                let (secret, public) =
                    core.ephemeral_key(group, config.pins.ephemeral_private_key.as_deref())?;
                core.ctx.action(
                    now,
                    tracer,
                    "Server: Setup Elliptic Curve Cryptography",
                    |e| {
                        e.field("Curve", group.name())
                    .field("Base Point", "the curve's standard generator G")
                    .field("Server Private Key", hex(secret.private_bytes()))
                    .field("Server Public Key", hex(&public))
                    .explain(
                        "The server picks the curve and its base point; its private key is a \
                         random number, and its public key is that number times the base point.",
                    )
                    },
                );
                let params = ServerEcdhParams {
                    curve_type: EcCurveType::NamedCurve,
                    named_curve: group.named_curve(),
                    public: config.pins.ephemeral_public.clone().unwrap_or(public),
                };
                let signed = sign_key_exchange(
                    config,
                    &choice,
                    requested,
                    &randoms,
                    &params.to_bytes(),
                    SignedParamsText {
                        content: "client random + server random + curve parameters",
                        explanation: "The server signs the randoms and its ECDH public key with its \
                         certificate's private key, so the client knows the key is genuine.",
                    },
                    core,
                    now,
                    tracer,
                )?;
                let ske = EcdheServerKeyExchange { params, signed };
                core.queue_handshake(&HandshakeMessage::ServerKeyExchange(ske.to_bytes()));
                ServerKeyExchange::Ecdhe(secret)
            }
            (None, Some(group)) => {
                let secret = send_dhe_params(
                    config, &choice, requested, &randoms, group, core, now, tracer,
                )?;
                ServerKeyExchange::Dhe(secret)
            }
            (None, None) => ServerKeyExchange::Rsa { client_version },
        };
        let certificate_requested =
            crate::client_auth::request_certificate(config, choice.version, core);
        core.queue_handshake(&HandshakeMessage::ServerHelloDone);
        core.flush(now, tracer);
        let params = HelloParams {
            suite: choice.suite,
            version: choice.version,
            randoms,
            extended_master_secret: core
                .negotiated
                .as_ref()
                .is_some_and(|n| n.extended_master_secret),
            session_id: self.session_id.clone(),
        };
        let next = ExpectClientKeyExchange {
            flow: self,
            params,
            key_exchange,
            client_key: None,
        };
        // RFC 5246 §7.3: a client asked for a certificate sends it first.
        if certificate_requested {
            Ok(Box::new(crate::client_auth::ExpectCertificate { next }))
        } else {
            Ok(Box::new(next))
        }
    }
}

/// The Server Hello extensions `order` lists, in its order, then those
/// the server agreed to that it leaves out; acknowledgements and opaque
/// extensions it does not list are not sent.
fn listed_in_order(exts: Vec<ServerExtension>, order: &[ExtensionType]) -> Vec<ServerExtension> {
    let mut ranked: Vec<(usize, ServerExtension)> = (exts.into_iter())
        .filter_map(|ext| {
            let rank = order.iter().position(|&t| t == ext.ext_type());
            let agreed = matches!(
                ext,
                ServerExtension::ExtendedMasterSecret
                    | ServerExtension::Alpn(_)
                    | ServerExtension::NextProtocolNegotiation(_)
            );
            match rank {
                Some(rank) => Some((rank, ext)),
                None => agreed.then_some((usize::MAX, ext)),
            }
        })
        .collect();
    // Stable: what is left out keeps tlsim's order.
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, ext)| ext).collect()
}

/// RFC 5246 §7.4.1.4.1: in TLS 1.2 the server signs with the first pair
/// of the client's list (its order of preference) that the key can sign
/// with, or the first of the server's own `preferred` list that the
/// client offers; without the extension it assumes SHA-1; earlier
/// versions use MD5‖SHA-1 (RSA) or SHA-1 (ECDSA).
///
/// # Errors
/// handshake_failure when the client lists nothing the key signs with.
fn signature_scheme(
    key_type: KeyType,
    version: ProtocolVersion,
    offered: Option<&[SignatureScheme]>,
    preferred: Option<&[SignatureScheme]>,
) -> Result<sign::SignatureScheme, Error> {
    if version < ProtocolVersion::Tls12 {
        return Ok(sign::SignatureScheme::default_for(key_type, version.get()));
    }
    let Some(offered) = offered else {
        // "If the client does not send the signature_algorithms extension,
        // the server MUST ... behave as if client had sent the value
        // {sha1,rsa}" (or {sha1,ecdsa}).
        return Ok(match key_type {
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => sign::SignatureScheme::EcdsaSha1,
            KeyType::Rsa => sign::SignatureScheme::RsaPkcs1Sha1,
            // No ECDHE_ECDSA suite is chosen for an Ed25519 key.
            KeyType::Ed25519 => sign::SignatureScheme::Ed25519,
        });
    };
    let in_order: Vec<SignatureScheme> = match preferred {
        Some(preferred) => (preferred.iter().copied())
            .filter(|p| offered.contains(p))
            .collect(),
        None => offered.to_vec(),
    };
    (in_order.into_iter())
        .filter_map(sign::SignatureScheme::from_code_point)
        .find(|scheme| scheme.signs_with(key_type))
        .ok_or_else(|| PeerIncompatible::NoSignatureSchemeInCommon.into())
}

/// What the log says about a signed Server Key Exchange.
struct SignedParamsText {
    content: &'static str,
    explanation: &'static str,
}

/// RFC 5246 §7.4.3: signs `client_random + server_random + params` with
/// the certificate's key, logs it, and returns the `digitally-signed`
/// element (with its algorithm from TLS 1.2).
#[allow(clippy::too_many_arguments)]
fn sign_key_exchange(
    config: &ServerConfig,
    choice: &Choice,
    requested: &Requested,
    randoms: &Randoms,
    params: &[u8],
    text: SignedParamsText,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<DigitallySigned, Error> {
    let scheme = signature_scheme(
        config.signing_key.key_type(),
        choice.version,
        requested.signature_algorithms.as_deref(),
        config.signature_algorithms.as_deref(),
    )?;
    let content =
        sign::server_key_exchange_signed_content(&randoms.client, &randoms.server, params);
    let signature = match (&config.pins.signature, &config.pins.pss_salt) {
        (Some(captured), _) => Ok(captured.clone()),
        (None, Some(salt)) if scheme.is_pss() => {
            (config.signing_key).sign_with_pss_salt(scheme, &content, salt, &mut core.rng)
        }
        _ => config.signing_key.sign(scheme, &content, &mut core.rng),
    }
    .map_err(crypto_error)?;
    core.ctx
        .action(now, tracer, "Sign the Server Key Exchange", |e| {
            e.field("Signature Algorithm", scheme.name())
                .field("Signed Content", text.content)
                .field("Signature", hex(&signature))
                .explain(text.explanation)
        });
    let algorithm = scheme
        .code_point()
        .filter(|_| choice.version >= ProtocolVersion::Tls12);
    Ok(DigitallySigned {
        algorithm,
        signature,
    })
}

/// RFC 5246 §7.4.3 with an RFC 7919 group: draws the private exponent,
/// queues the signed ServerDHParams and returns the secret.
#[allow(clippy::too_many_arguments)]
fn send_dhe_params(
    config: &ServerConfig,
    choice: &Choice,
    requested: &Requested,
    randoms: &Randoms,
    group: FfdheGroup,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<DhSecret, Error> {
    let (secret, public) = core.dh_key(group, config.pins.ephemeral_private_key.as_deref())?;
    let params = ServerDhParams {
        p: group.prime_bytes(),
        g: vec![GENERATOR],
        public,
    };
    core.ctx
        .action(now, tracer, "Server: Setup Diffie-Hellman", |e| {
            e.field("Group", group.name())
                .field("Prime (p)", hex(&params.p))
                .field("Generator (g)", GENERATOR)
                .field("Server Private Key", hex(secret.private_bytes()))
                .field("Server Public Key", hex(&params.public))
                .explain(
                    "The server takes a standard group (RFC 7919): a safe prime p and the \
                     generator 2. Its private key is a random exponent x, and its public key \
                     is g^x mod p.",
                )
        });
    let signed = sign_key_exchange(
        config,
        choice,
        requested,
        randoms,
        &params.to_bytes(),
        SignedParamsText {
            content: "client random + server random + p, g and the server's public value",
            explanation: "The server signs the randoms and its DH parameters with its \
                          certificate's private key, so the client knows they are genuine.",
        },
        core,
        now,
        tracer,
    )?;
    let ske = DheServerKeyExchange { params, signed };
    core.queue_handshake(&HandshakeMessage::ServerKeyExchange(ske.to_bytes()));
    Ok(secret)
}

/// RFC 5246 §7.4.7.1: the premaster secret the client encrypted, read
/// so that a bad one is never told apart (Bleichenbacher's attack): a
/// ciphertext that does not decrypt to 48 bytes is replaced by random
/// bytes, and the version is always the Client Hello's, so a wrong secret
/// or a rolled-back version only makes the Finished fail.
fn decrypt_premaster(
    config: &ServerConfig,
    client_version: ProtocolVersion,
    ciphertext: &[u8],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Vec<u8> {
    // "1. Generate a string R of 46 random bytes", before decrypting.
    let mut random = [0u8; PRE_MASTER_SECRET_LEN - 2];
    core.rng.fill(&mut random);
    let decrypted = config
        .signing_key
        .decrypt_pkcs1v15(ciphertext)
        .filter(|m| m.len() == PRE_MASTER_SECRET_LEN);
    // "pre_master_secret = ClientHello.client_version || M[2..47]", or
    // "ClientHello.client_version || R" when the padding or length is bad.
    let mut pre_master = client_version.get().to_be_bytes().to_vec();
    pre_master.extend_from_slice(decrypted.as_ref().map_or(&random[..], |m| &m[2..]));
    core.ctx
        .action(now, tracer, "Decrypt the Pre-master Secret", |e| {
            e.field("Encrypted Pre-master Secret", hex(ciphertext))
                .field("Client Version", client_version)
                .field(
                    "Result",
                    if decrypted.is_some() {
                        "a 48-byte secret; its first two bytes are replaced by the Client Hello's version"
                    } else {
                        "not a 48-byte PKCS #1 message: going on with 46 random bytes, so that \
                         only the Finished fails"
                    },
                )
                .explain(
                    "Only the server's private key opens the pre-master secret; a server \
                     that answered a bad one differently would let an attacker decrypt \
                     others, so it goes on as if all were well.",
                )
        });
    pre_master
}

/// RFC 5246 §7.4.7.1: `ProtocolVersion client_version; opaque random[46];`.
const PRE_MASTER_SECRET_LEN: usize = 48;

/// Queues Change Cipher Spec and the server's Finished.
fn send_finished(keys: &SessionKeys, core: &mut Core, tracing: bool) -> Result<(), Error> {
    core.queue_change_cipher_spec(tracing)?;
    core.queue_finished(keys, FinishedSender::Server);
    Ok(())
}

/// What the server needs to read the Client Key Exchange.
enum ServerKeyExchange {
    /// Its ephemeral ECDH secret.
    Ecdhe(EphemeralSecret),
    /// Its ephemeral finite-field DH secret.
    Dhe(DhSecret),
    /// RSA key transport: the version the Client Hello offered, which the
    /// premaster secret starts with (RFC 5246 §7.4.7.1).
    Rsa { client_version: ProtocolVersion },
}

/// Waiting for the client's ECDH public key or encrypted premaster secret.
pub(crate) struct ExpectClientKeyExchange {
    pub(crate) flow: Flow,
    pub(crate) params: HelloParams,
    key_exchange: ServerKeyExchange,
    /// The key of the client's verified chain, when it sent one: its
    /// CertificateVerify follows the Client Key Exchange (RFC 5246 §7.3).
    pub(crate) client_key: Option<crate::client_auth::VerifiedClientKey>,
}

impl State for ExpectClientKeyExchange {
    fn name(&self) -> &'static str {
        ServerState::ExpectClientKeyExchange.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let (_, body) = require_handshake!(
            input,
            HandshakeType::ClientKeyExchange,
            HandshakeMessage::ClientKeyExchange(body) => body
        )?;
        let pre_master = match self.key_exchange {
            ServerKeyExchange::Ecdhe(secret) => {
                let client_public = ClientEcdhPublic::from_bytes(body)?;
                secret.agree(&client_public.public).map_err(crypto_error)?
            }
            ServerKeyExchange::Dhe(secret) => {
                let client_public = ClientDhPublic::from_bytes(body)?;
                secret.agree(&client_public.public).map_err(crypto_error)?
            }
            ServerKeyExchange::Rsa { client_version } => {
                let encrypted = EncryptedPreMasterSecret::from_bytes(body)?;
                decrypt_premaster(
                    &self.flow.config,
                    client_version,
                    &encrypted.ciphertext,
                    core,
                    now,
                    tracer,
                )
            }
        };
        // RFC 7627 §4: the session hash ends with the ClientKeyExchange,
        // which the record layer has added to the transcript.
        let version = self.params.version;
        let keys = core.derive_session_keys(now, tracer, Side::Server, self.params, &pre_master)?;
        let next = Box::new(ExpectChangeCipherSpec {
            flow: self.flow,
            keys,
            resumed: false,
        });
        Ok(match self.client_key {
            Some(client_key) => Box::new(crate::client_auth::ExpectCertificateVerify {
                client_key,
                version,
                next,
            }),
            None => next,
        })
    }
}

/// Waiting for the client's Change Cipher Spec.
struct ExpectChangeCipherSpec {
    flow: Flow,
    keys: SessionKeys,
    resumed: bool,
}

impl State for ExpectChangeCipherSpec {
    fn name(&self) -> &'static str {
        ServerState::ExpectChangeCipherSpec.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        _now: Instant,
        _tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        match input {
            Input::ChangeCipherSpec => {
                core.activate_read_keys()?;
                let next = ExpectFinished {
                    flow: self.flow,
                    keys: self.keys,
                    resumed: self.resumed,
                };
                if next.flow.npn {
                    Ok(Box::new(ExpectNextProtocol { next }))
                } else {
                    Ok(Box::new(next))
                }
            }
            Input::Handshake(_) => Err(Error::InappropriateMessage {
                expected: &[ContentType::ChangeCipherSpec],
                got: ContentType::Handshake,
            }),
        }
    }
}

/// Waiting for the client's NPN choice (encrypted, before Finished).
struct ExpectNextProtocol {
    next: ExpectFinished,
}

impl State for ExpectNextProtocol {
    fn name(&self) -> &'static str {
        ServerState::ExpectNextProtocol.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        _now: Instant,
        _tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let (_, body) = require_handshake!(
            input,
            HandshakeType::NextProtocol,
            HandshakeMessage::Unknown { body, .. } => body
        )?;
        let mut r = tlsim_tls::codec::Reader::new(body);
        let name_len = usize::from(r.u8("selected_protocol")?);
        let protocol = r.take(name_len, "selected_protocol")?.to_vec();
        let padding_len = usize::from(r.u8("padding")?);
        r.take(padding_len, "padding")?;
        r.expect_empty("NextProtocol")?;
        if let Some(n) = &mut core.negotiated {
            n.alpn = Some(protocol);
        }
        Ok(Box::new(self.next))
    }
}

/// Waiting for the client's Finished.
struct ExpectFinished {
    flow: Flow,
    keys: SessionKeys,
    resumed: bool,
}

impl State for ExpectFinished {
    fn name(&self) -> &'static str {
        ServerState::ExpectFinished.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let keys = &self.keys;
        core.check_finished(now, tracer, keys, FinishedSender::Client, input)?;
        if !self.resumed {
            if self.flow.issue_ticket {
                crate::ticket::queue_new_ticket(&self.flow.config, keys, core, now, tracer);
            }
            send_finished(keys, core, tracer.enabled())?;
            if let Some(cache) = &self.flow.config.session_cache {
                lock(cache).remember(keys.session_id.clone(), keys, None);
            }
        }
        core.complete_handshake(now, tracer, self.resumed);
        Ok(Box::new(Connected {
            config: self.flow.config,
            hello_requested: false,
        }))
    }
}

/// The handshake is over: a Client Hello starts a renegotiation if the
/// policy accepts it or a Hello Request asked for it (`renegotiation`).
pub(crate) struct Connected {
    pub(crate) config: Arc<ServerConfig>,
    /// A Hello Request was sent and the Client Hello it asks for has not
    /// come yet.
    pub(crate) hello_requested: bool,
}

impl State for Connected {
    fn name(&self) -> &'static str {
        ServerState::Connected.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        match input {
            Input::ChangeCipherSpec => Err(Error::InappropriateMessage {
                expected: &[ContentType::ApplicationData],
                got: ContentType::ChangeCipherSpec,
            }),
            Input::Handshake(message) => {
                Input::Handshake(message).expect_handshake(&[HandshakeType::ClientHello])?;
                if crate::renegotiation::accepts(&self, core) {
                    return crate::renegotiation::handle_client_hello(
                        *self, message, core, now, tracer,
                    );
                }
                // RFC 5246 §7.2.2: no_renegotiation is "sent ... by the
                // server in response to a client hello after initial
                // handshaking", always as a warning; the client may go on
                // with the connection. (RFC 5746 §4.4: legacy renegotiation
                // is refused too.)
                core.send_warning(now, tracer, AlertDescription::NoRenegotiation);
                Ok(self)
            }
        }
    }

    fn renegotiate(
        &mut self,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Option<Box<dyn State>> {
        crate::renegotiation::send_hello_request(&self.config, core, now, tracer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlsim_tls::enums::ExtensionType;

    #[test]
    fn tls12_signature_defaults_to_sha1_without_the_extension() {
        assert_eq!(
            signature_scheme(KeyType::EcdsaP256, ProtocolVersion::Tls12, None, None).unwrap(),
            sign::SignatureScheme::EcdsaSha1
        );
        assert_eq!(
            signature_scheme(
                KeyType::Rsa,
                ProtocolVersion::Tls12,
                Some(&[SignatureScheme::RsaPkcs1Sha256]),
                None,
            )
            .unwrap(),
            sign::SignatureScheme::RsaPkcs1Sha256
        );
        assert_eq!(
            signature_scheme(KeyType::Rsa, ProtocolVersion::Tls11, None, None).unwrap(),
            sign::SignatureScheme::RsaPkcs1Md5Sha1
        );
        assert!(
            signature_scheme(
                KeyType::Rsa,
                ProtocolVersion::Tls12,
                Some(&[SignatureScheme::EcdsaSha1]),
                None,
            )
            .is_err()
        );
    }

    #[test]
    fn tls12_signature_follows_the_client_order_among_what_the_key_signs() {
        let offered = [
            SignatureScheme::Ed25519,
            SignatureScheme::EcdsaSecp384r1Sha384,
            SignatureScheme::RsaPssRsaeSha384,
            SignatureScheme::EcdsaSecp256r1Sha256,
            SignatureScheme::RsaPkcs1Sha256,
        ];
        let chosen = |key_type| {
            signature_scheme(key_type, ProtocolVersion::Tls12, Some(&offered), None).unwrap()
        };
        assert_eq!(chosen(KeyType::Rsa), sign::SignatureScheme::RsaPssSha384);
        // A P-256 key signs with SHA-256, its curve's hash, not SHA-384.
        assert_eq!(
            chosen(KeyType::EcdsaP256),
            sign::SignatureScheme::EcdsaSha256
        );
        // A P-384 key with SHA-384, its own curve's hash.
        assert_eq!(
            chosen(KeyType::EcdsaP384),
            sign::SignatureScheme::EcdsaSha384
        );
        assert_eq!(
            signature_scheme(KeyType::Rsa, ProtocolVersion::Tls12, Some(&[]), None),
            Err(PeerIncompatible::NoSignatureSchemeInCommon.into())
        );
    }

    #[test]
    fn a_server_preference_decides_among_what_the_client_offers() {
        let offered = [
            SignatureScheme::RsaPssRsaeSha256,
            SignatureScheme::RsaPkcs1Sha384,
            SignatureScheme::RsaPkcs1Sha256,
        ];
        let preferred = [
            SignatureScheme::RsaPkcs1Sha512,
            SignatureScheme::RsaPkcs1Sha256,
            SignatureScheme::RsaPssRsaeSha256,
        ];
        assert_eq!(
            signature_scheme(
                KeyType::Rsa,
                ProtocolVersion::Tls12,
                Some(&offered),
                Some(&preferred)
            ),
            Ok(sign::SignatureScheme::RsaPkcs1Sha256)
        );
        assert_eq!(
            signature_scheme(
                KeyType::Rsa,
                ProtocolVersion::Tls12,
                Some(&offered),
                Some(&[SignatureScheme::RsaPkcs1Sha512])
            ),
            Err(PeerIncompatible::NoSignatureSchemeInCommon.into())
        );
    }

    /// A TLS 1.3 server and a Client Hello whose legacy_version is TLS 1.2
    /// and whose supported_versions is `listed`.
    fn version_chosen_for(listed: &[ProtocolVersion]) -> Result<ProtocolVersion, Error> {
        use tlsim_tls::msgs::tls13::{ClientSupportedVersions, Tls13Extension};
        let pki = tlsim_test_support::pki(tlsim_test_support::LeafKey::Ecdsa);
        let mut config = ServerConfig::new(pki.chain, pki.key);
        config.max_version = ProtocolVersion::Tls13;
        let hello = tls12_hello(vec![
            ClientSupportedVersions(listed.to_vec()).to_client_extension(),
        ]);
        ExpectClientHello {
            config: Arc::new(config),
        }
        .choose_version(&hello)
    }

    #[test]
    fn supported_versions_without_tls13_decide_over_legacy_version() {
        // RFC 8446 §4.2.1: the list, not legacy_version (TLS 1.2), decides.
        assert_eq!(
            version_chosen_for(&[ProtocolVersion::Tls11, ProtocolVersion::Tls10]),
            Ok(ProtocolVersion::Tls11)
        );
        // Unknown values (GREASE, RFC 8701) are passed over.
        assert_eq!(
            version_chosen_for(&[ProtocolVersion::from(0x7a7a), ProtocolVersion::Tls12]),
            Ok(ProtocolVersion::Tls12)
        );
    }

    #[test]
    fn supported_versions_below_the_servers_floor_are_protocol_version() {
        let result = version_chosen_for(&[ProtocolVersion::Ssl3]);
        assert_eq!(
            result.map_err(|e| e.alert()),
            Err(Some(AlertDescription::ProtocolVersion))
        );
    }

    /// A TLS 1.2 Client Hello with one suite and `extensions`.
    fn tls12_hello(extensions: Vec<ClientExtension>) -> ClientHello {
        ClientHello {
            client_version: ProtocolVersion::Tls12,
            random: Random([0; 32]),
            session_id: SessionId::empty(),
            cipher_suites: vec![CipherSuite::from(0xc02b)],
            compression_methods: vec![CompressionMethod::Null],
            extensions,
        }
    }

    #[test]
    fn unknown_extension_type_is_ignored() {
        let hello = tls12_hello(vec![ClientExtension::Unknown {
            typ: ExtensionType::from(0x1234),
            data: vec![1, 2],
        }]);
        let requested = Requested::from_hello(&hello).unwrap();
        assert!(!requested.secure_renegotiation);
        assert!(requested.groups.is_none());
    }
}
