//! The client's handshake: one struct per message it expects next.
//!
//! Full handshake (RFC 5246 §7.3, Figure 1):
//! 1. [`NotStarted`], until `start`: send Client Hello → [`ExpectServerHello`].
//! 2. Server Hello → [`ExpectCertificate`] (or, when the server resumes
//!    the offered session, [`ExpectChangeCipherSpec`]).
//! 3. Certificate: validate the chain → [`ExpectServerKeyExchange`], or
//!    with RSA key transport straight to [`ExpectServerHelloDone`].
//! 4. Server Key Exchange (ECDHE or DHE): verify the signature →
//!    [`ExpectServerHelloDone`].
//! 5. Server Hello Done: send Client Key Exchange (an ECDH or DH public
//!    key, or the premaster secret encrypted to the server's RSA key), Change
//!    Cipher Spec, Finished → [`ExpectChangeCipherSpec`].
//! 6. Change Cipher Spec → [`ExpectFinished`]; Finished → [`Connected`].
//!
//! Abbreviated handshake (RFC 5246 §7.3, Figure 2): after the server's
//! Finished the client sends its own Change Cipher Spec and Finished.
//!
//! Each state reports its name from `crate::states`, whose table lists
//! every step a handler may take; a step not listed panics in debug builds.

use std::sync::Arc;

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::{Codec, hex};
use tlsim_tls::conn::{
    ChainCheck, ClientTicket, Core, HelloParams, Input, Negotiated, Randoms, SessionKeys, State,
    StateName, StoredSession, crypto_error, lock, unexpected_change_cipher_spec,
    verify_certificate_chain,
};
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::crypto::ffdhe::FfdheGroup;
use tlsim_tls::crypto::kx::KxGroup;
use tlsim_tls::crypto::prf::FinishedSender;
use tlsim_tls::crypto::sign::{self, KeyType, PublicKey};
use tlsim_tls::crypto::suites::{Authentication, KeyExchange, suite_params};
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, CompressionMethod, ContentType, ExtensionType, HandshakeType,
    ProtocolVersion,
};
use tlsim_tls::error::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};
use tlsim_tls::msgs::tls13::{ServerSupportedVersion, Tls13Extension, has_downgrade_sentinel};
use tlsim_tls::msgs::{
    CertificateRequest, ClientDhPublic, ClientEcdhPublic, ClientExtension, ClientHello,
    DheServerKeyExchange, DigitallySigned, EcdheServerKeyExchange, EncryptedPreMasterSecret,
    HandshakeMessage, HelloExtension, Random, ServerExtension, ServerHello, SessionId,
};
use tlsim_tls::require_handshake;

use crate::client_auth::{self, CertificateAnswer};
use crate::config::ClientConfig;
use crate::config::PRE_MASTER_RANDOM_LEN;
use crate::states::ClientState;

/// The default order of Client Hello extensions, a 2013 browser's.
const DEFAULT_EXTENSION_ORDER: [ExtensionType; 10] = [
    ExtensionType::ServerName,
    ExtensionType::RenegotiationInfo,
    ExtensionType::SupportedGroups,
    ExtensionType::EcPointFormats,
    ExtensionType::SessionTicket,
    ExtensionType::NextProtocolNegotiation,
    ExtensionType::ApplicationLayerProtocolNegotiation,
    ExtensionType::SignatureAlgorithms,
    ExtensionType::ExtendedMasterSecret,
    ExtensionType::EncryptThenMac,
];

/// NPN draft §3: the padding makes the NextProtocol message a multiple of
/// 32 bytes long, hiding the protocol name's length.
fn next_protocol_body(protocol: &[u8]) -> Vec<u8> {
    let name_len = protocol.len().min(255);
    let padding = 32 - ((name_len + 2) % 32);
    let mut body = Vec::with_capacity(name_len + padding + 2);
    body.push(name_len as u8);
    body.extend_from_slice(&protocol[..name_len]);
    body.push(padding as u8);
    body.resize(body.len() + padding, 0);
    body
}

/// Nothing sent yet: the client speaks first (RFC 5246 §7.3), so any
/// record before `start` is unexpected_message.
pub(crate) struct NotStarted {
    pub(crate) config: Arc<ClientConfig>,
}

impl State for NotStarted {
    fn name(&self) -> &'static str {
        ClientState::NotStarted.name()
    }

    fn handle(
        self: Box<Self>,
        _core: &mut Core,
        input: Input<'_>,
        _now: Instant,
        _tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        // The record layer rejects records before they get here while
        // `awaits_start`; the answer is the same.
        let got = match input {
            Input::Handshake(_) => ContentType::Handshake,
            Input::ChangeCipherSpec => ContentType::ChangeCipherSpec,
        };
        Err(Error::InappropriateMessage { expected: &[], got })
    }

    fn awaits_start(&self) -> bool {
        true
    }

    fn start(
        &mut self,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Option<Box<dyn State>> {
        Some(send_client_hello(self.config.clone(), core, now, tracer))
    }
}

/// Builds the Client Hello, queues it and returns the state that waits for
/// the answer.
fn send_client_hello(
    config: Arc<ClientConfig>,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Box<dyn State> {
    let random = core.choose_random(
        config.pins.client_random,
        now,
        tracer,
        "Select a Client Random Number",
        "The client picks 32 random bytes; they make this handshake's keys unique \
         and are sent in the clear in the Client Hello.",
    );
    // A renegotiation is a full TLS 1.2 handshake (RFC 8446 §4.1.2: TLS 1.3
    // is never renegotiated into).
    let renegotiating = core.renegotiation.in_progress();
    let mut offered_session = match (&config.session_store, &config.server_name) {
        _ if renegotiating => None,
        (Some(store), Some(name)) => lock(store).get(name.as_str()).cloned(),
        _ => None,
    };
    let key_share = match renegotiating {
        true => None,
        false => crate::tls13::offer(&config, core, now, tracer),
    };
    let mut extensions = client_extensions(&config);
    if let Some(session) = &mut offered_session {
        crate::ticket::present(&config, session, &mut extensions, core, now, tracer);
    }
    let mut session_id = offered_session
        .as_ref()
        .and_then(|s| SessionId::new(&s.session_id))
        .unwrap_or_else(SessionId::empty);
    if let Some(offer) = &key_share {
        extensions.extend(offer.extensions.iter().cloned());
        // An explicit order places the TLS 1.3 extensions too.
        if config.extension_order.is_some() {
            order_extensions(&config, &mut extensions);
        }
        session_id = offer.legacy_session_id.clone();
        // RFC 5077 §3.4: a TLS 1.2 server that accepts the ticket echoes
        // the session ID actually sent.
        if let Some(session) = offered_session.as_mut().filter(|s| s.ticket.is_some()) {
            session.session_id = session_id.as_bytes().to_vec();
        }
    }
    let mut hello = ClientHello {
        // RFC 8446 §4.1.2: a client offering TLS 1.3 names it in
        // supported_versions only; legacy_version stays TLS 1.2.
        client_version: (config.hello_version)
            .unwrap_or(config.max_version.min(ProtocolVersion::Tls12)),
        random: Random(random),
        session_id,
        cipher_suites: config.cipher_suites.clone(),
        compression_methods: vec![CompressionMethod::Null],
        extensions,
    };
    let mut key_share = key_share;
    // RFC 7685 padding, then a ticket's pre_shared_key, last (RFC 8446
    // §4.2.11).
    if let Some(offer) = &mut key_share {
        crate::tls13::finish_hello(&config, offer, &mut hello, &[], core, now, tracer);
    }
    crate::renegotiation::bind_client_hello(core, &mut hello);
    core.queue_handshake(&HandshakeMessage::ClientHello(hello));
    core.flush(now, tracer);
    // RFC 8446 §4.2.10: 0-RTT data follows the Client Hello.
    if let Some(offer) = &mut key_share {
        crate::tls13::start_early_data(offer, &random, core, now, tracer);
    }
    Box::new(ExpectServerHello {
        config,
        client_random: random,
        offered_session,
        key_share,
    })
}

/// The extensions of `config`'s Client Hello, in the order it sends them.
pub fn client_extensions(config: &ClientConfig) -> Vec<ClientExtension> {
    let mut exts = Vec::with_capacity(16);
    if let Some(name) = &config.server_name {
        exts.push(ClientExtension::ServerName(vec![name.clone()]));
    }
    if config.renegotiation_info {
        exts.push(ClientExtension::RenegotiationInfo(Vec::new()));
    }
    if !config.groups.is_empty() {
        exts.push(ClientExtension::SupportedGroups(config.groups.clone()));
    }
    if !config.ec_point_formats.is_empty() {
        exts.push(ClientExtension::EcPointFormats(
            config.ec_point_formats.clone(),
        ));
    }
    if config.session_ticket {
        exts.push(ClientExtension::SessionTicket(Vec::new()));
    }
    if config.npn {
        exts.push(ClientExtension::NextProtocolNegotiation);
    }
    if !config.alpn.is_empty() {
        exts.push(ClientExtension::Alpn(config.alpn.clone()));
    }
    // RFC 5246 §7.4.1.4.1: clients offering earlier versions must not send
    // signature_algorithms.
    if let Some(algs) = config
        .signature_algorithms
        .as_ref()
        .filter(|_| config.max_version >= ProtocolVersion::Tls12)
    {
        exts.push(ClientExtension::SignatureAlgorithms(algs.clone()));
    }
    if config.extended_master_secret {
        exts.push(ClientExtension::ExtendedMasterSecret);
    }
    if config.encrypt_then_mac {
        exts.push(ClientExtension::EncryptThenMac);
    }
    exts.extend(
        config
            .opaque_extensions
            .iter()
            .map(|(typ, data)| ClientExtension::Unknown {
                typ: *typ,
                data: data.clone(),
            }),
    );
    order_extensions(config, &mut exts);
    exts
}

/// Sorts `exts` by `config.extension_order`, then tlsim's own order; the
/// sort is stable, so extensions named by neither keep their places.
pub(crate) fn order_extensions(config: &ClientConfig, exts: &mut [ClientExtension]) {
    let rank = |typ: ExtensionType| -> (usize, usize) {
        let explicit = config
            .extension_order
            .as_ref()
            .and_then(|order| order.iter().position(|&t| t == typ))
            .unwrap_or(usize::MAX);
        let default = DEFAULT_EXTENSION_ORDER
            .iter()
            .position(|&t| t == typ)
            .unwrap_or(usize::MAX);
        (explicit, default)
    };
    exts.sort_by_key(|e| rank(e.ext_type()));
}

/// Waiting for the Server Hello.
struct ExpectServerHello {
    config: Arc<ClientConfig>,
    client_random: [u8; 32],
    offered_session: Option<StoredSession>,
    /// The TLS 1.3 offer, when the client's maximum is TLS 1.3.
    key_share: Option<crate::tls13::Offer>,
}

/// What the Server Hello settled, carried through the full handshake.
struct Agreed {
    config: Arc<ClientConfig>,
    params: HelloParams,
    next_protocol: Option<Vec<u8>>,
    /// The server acknowledged the SessionTicket extension, so a
    /// NewSessionTicket must precede its Change Cipher Spec (RFC 5077 §3.3).
    ticket_expected: bool,
}

impl ExpectServerHello {
    /// RFC 5246 §7.4.1.4: "an extension type MUST NOT appear in the
    /// ServerHello unless the same extension type appeared in the
    /// corresponding ClientHello."
    fn check_extensions(
        &self,
        hello: &ServerHello,
        renegotiated_connection: &[u8],
    ) -> Result<(bool, Option<Vec<u8>>), Error> {
        let config = &self.config;
        let mut ems = false;
        let mut protocol = None;
        for ext in &hello.extensions {
            let offered = match ext {
                ServerExtension::ServerNameAck => config.server_name.is_some(),
                ServerExtension::EcPointFormats(_) => !config.ec_point_formats.is_empty(),
                ServerExtension::RenegotiationInfo(data) => {
                    // RFC 5746 §3.4: on an initial handshake the server's
                    // renegotiated_connection must be empty; §3.5: on a
                    // renegotiation, both verify_data.
                    if data != renegotiated_connection {
                        return Err(PeerMisbehaved::RenegotiationInfoMismatch.into());
                    }
                    config.renegotiation_info
                        || config
                            .cipher_suites
                            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
                }
                ServerExtension::ExtendedMasterSecret => {
                    ems = true;
                    config.extended_master_secret
                }
                ServerExtension::Alpn(names) => {
                    // RFC 7301 §3.1: exactly one of the offered names.
                    match names.as_slice() {
                        [name] if config.alpn.contains(name) => protocol = Some(name.clone()),
                        _ => return Err(PeerMisbehaved::IllegalParameter("ALPN").into()),
                    }
                    !config.alpn.is_empty()
                }
                ServerExtension::NextProtocolNegotiation(_) => config.npn,
                // RFC 7366 §3: echoed only for a CBC suite, checked once the
                // suite is known.
                ServerExtension::EncryptThenMac => config.encrypt_then_mac,
                ServerExtension::SessionTicketAck => config.session_ticket,
                // Answers to the extensions sent as given.
                ServerExtension::Unknown { typ, .. } => {
                    config.opaque_extensions.iter().any(|(t, _)| t == typ)
                }
            };
            if !offered {
                return Err(PeerMisbehaved::UnsolicitedExtension(ext.ext_type()).into());
            }
        }
        Ok((ems, protocol))
    }

    /// NPN draft §4: the client picks the first of its own protocols that
    /// the server lists, else the server's first.
    fn choose_next_protocol(&self, hello: &ServerHello) -> Option<Vec<u8>> {
        let ServerExtension::NextProtocolNegotiation(listed) =
            hello.extension(ExtensionType::NextProtocolNegotiation)?
        else {
            return None;
        };
        self.config
            .alpn
            .iter()
            .find(|p| listed.contains(p))
            .or_else(|| listed.first())
            .cloned()
    }
}

impl State for ExpectServerHello {
    fn name(&self) -> &'static str {
        ClientState::ExpectServerHello.name()
    }

    // RFC 5246 §7.2.2: the server refused the renegotiation; the record
    // layer asks only while one runs, and the connection goes on.
    fn renegotiation_refused(&mut self) -> Option<Box<dyn State>> {
        Some(Box::new(Connected {
            config: self.config.clone(),
        }))
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
            HandshakeType::ServerHello,
            HandshakeMessage::ServerHello(hello) => hello
        )?;
        if let Some(selected) = ServerSupportedVersion::find_in_server_hello(hello) {
            let selected = selected?.0;
            return match self.key_share {
                // RFC 8446 §4.2.1: selected_version must be one offered,
                // else illegal_parameter.
                // RFC 8446 §4.1.4: a HelloRetryRequest asks for a second
                // Client Hello; the client waits for the Server Hello again.
                Some(offer)
                    if selected == ProtocolVersion::Tls13 && hello.is_hello_retry_request() =>
                {
                    let retry = crate::tls13::retry(&self.config, offer, hello, core, now, tracer)?;
                    Ok(Box::new(ExpectServerHello {
                        config: self.config,
                        client_random: self.client_random,
                        offered_session: None,
                        key_share: Some(retry),
                    }))
                }
                Some(offer) if selected == ProtocolVersion::Tls13 => {
                    crate::tls13::handle_server_hello(
                        self.config,
                        self.client_random,
                        offer,
                        hello,
                        core,
                        now,
                        tracer,
                    )
                }
                _ => Err(PeerMisbehaved::IllegalParameter("selected_version").into()),
            };
        }
        let config = &self.config;
        let version = hello.server_version;
        // RFC 8446 §4.1.3: a client that offered TLS 1.3 "MUST check" that a
        // TLS 1.2 or lower Server Hello has no downgrade sentinel.
        if self.key_share.is_some() && has_downgrade_sentinel(&hello.random) {
            return Err(PeerMisbehaved::IllegalParameter("downgrade sentinel").into());
        }
        // RFC 5246 Appendix E.1: a version the client does not support,
        // below its floor or above what it offered, ends the handshake with
        // protocol_version.
        if version < config.min_version.max(ProtocolVersion::Tls10) || version > config.max_version
        {
            return Err(PeerIncompatible::UnsupportedVersion(version).into());
        }
        let suite = suite_params(hello.cipher_suite)
            .filter(|s| config.cipher_suites.contains(&hello.cipher_suite) && s.allows(version))
            .ok_or(PeerMisbehaved::SelectedUnofferedCipherSuite)?;
        if hello.compression_method != CompressionMethod::Null {
            return Err(PeerMisbehaved::SelectedUnofferedCompression.into());
        }
        let (ems_acked, alpn) = self.check_extensions(hello, &core.renegotiation.server_info())?;
        crate::renegotiation::check_server_hello(hello, core)?;
        // RFC 7366 §3: a server must not echo encrypt_then_mac with an AEAD
        // suite; a client receiving it anyway "MUST abort".
        let etm_acked = hello.extension(ExtensionType::EncryptThenMac).is_some();
        if etm_acked && !suite.bulk.is_cbc() {
            return Err(PeerMisbehaved::IllegalParameter("encrypt_then_mac with an AEAD").into());
        }
        core.encrypt_then_mac = etm_acked;
        let extended_master_secret = ems_acked && config.extended_master_secret;
        let next_protocol = if alpn.is_none() && config.npn {
            self.choose_next_protocol(hello)
        } else {
            None
        };
        core.set_version(hello.server_version);
        let randoms = Randoms {
            client: self.client_random,
            server: hello.random.0,
        };
        let session_id = hello.session_id.as_bytes().to_vec();
        core.negotiated = Some(Negotiated {
            version: hello.server_version,
            suite: hello.cipher_suite,
            group: None,
            alpn: alpn.or_else(|| next_protocol.clone()),
            session_id: session_id.clone(),
            resumed: false,
            extended_master_secret,
        });
        let agreed = Agreed {
            config: self.config.clone(),
            params: HelloParams {
                suite,
                version,
                randoms,
                extended_master_secret,
                session_id,
            },
            next_protocol,
            ticket_expected: hello.extension(ExtensionType::SessionTicket).is_some(),
        };
        match self.offered_session {
            Some(stored)
                if !stored.session_id.is_empty()
                    && stored.session_id == agreed.params.session_id =>
            {
                resume(agreed, stored, core, now, tracer)
            }
            Some(_) => {
                // The server did not resume: forget the stale session.
                if let (Some(store), Some(name)) = (&config.session_store, &config.server_name) {
                    lock(store).remove(name.as_str());
                }
                Ok(Box::new(ExpectCertificate { agreed }))
            }
            None => Ok(Box::new(ExpectCertificate { agreed })),
        }
    }
}

/// RFC 5246 §7.3: the server echoed the offered session ID, so both sides
/// reuse its master secret with the new randoms.
fn resume(
    agreed: Agreed,
    stored: StoredSession,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<Box<dyn State>, Error> {
    // RFC 5246 §7.4.1.3: a resumed session keeps its suite and version;
    // RFC 7627 §5.3: and its kind of master secret.
    let params = &agreed.params;
    if stored.suite != params.suite.suite()
        || stored.version != params.version
        || stored.extended_master_secret != params.extended_master_secret
    {
        return Err(PeerMisbehaved::IllegalParameter("resumed session parameters").into());
    }
    if let Some(n) = &mut core.negotiated {
        n.resumed = true;
    }
    let keys = core.resume_session_keys(
        now,
        tracer,
        Side::Client,
        params.suite,
        stored,
        params.randoms,
        "The server recognised the session ID: both sides reuse the stored master \
         secret and skip the certificate and key exchange.",
    )?;
    Ok(Box::new(ExpectChangeCipherSpec {
        agreed,
        keys,
        resumed: true,
        ticket: None,
    }))
}

/// Waiting for the server's certificate chain.
struct ExpectCertificate {
    agreed: Agreed,
}

impl State for ExpectCertificate {
    fn name(&self) -> &'static str {
        ClientState::ExpectCertificate.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let (_, certificate) = require_handshake!(
            input,
            HandshakeType::Certificate,
            HandshakeMessage::Certificate(certificate) => certificate
        )?;
        let leaf =
            verify_server_certificate(&self.agreed.config, &certificate.chain, core, now, tracer)?;
        let fits_suite = match self.agreed.params.suite.authentication {
            Authentication::Ecdsa => leaf.key_type().ecdsa_curve().is_some(),
            Authentication::Rsa => leaf.key_type() == KeyType::Rsa,
        };
        if !fits_suite {
            return Err(Error::Certificate(CertificateError::UnsupportedAlgorithm));
        }
        let server_key = VerifiedServerKey(leaf);
        // RFC 5246 §7.3: with RSA key transport no Server Key Exchange
        // comes; the certificate's key is the key exchange.
        Ok(match self.agreed.params.suite.key_exchange {
            KeyExchange::Ecdhe | KeyExchange::Dhe => Box::new(ExpectServerKeyExchange {
                agreed: self.agreed,
                server_key,
            }),
            KeyExchange::Rsa => Box::new(ExpectServerHelloDone {
                agreed: self.agreed,
                server_input: AuthenticatedServer::Rsa(server_key),
                certificate_request: None,
            }),
        })
    }
}

/// Validates the server's chain (RFC 5280 path, validity, name) with an
/// action that shows each link, and returns the leaf's public key.
///
/// # Errors
/// The certificate error's alert; bad_certificate for an empty chain.
pub(crate) fn verify_server_certificate(
    config: &ClientConfig,
    chain_der: &[Vec<u8>],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<PublicKey, Error> {
    let check = ChainCheck {
        peer: Side::Server,
        trust_anchors: &config.trust_anchors,
        name: config
            .server_name
            .as_deref()
            .filter(|_| config.verify_hostname),
        common_name_fallback: config.common_name_fallback,
        now_unix: config.now_unix,
        cache: config.verification_cache.as_deref(),
    };
    verify_certificate_chain(&check, chain_der, core, now, tracer)
}

/// The leaf certificate's public key, held only once the chain that
/// carries it was verified (RFC 5246 §7.4.2): the proof the states after
/// the Certificate rely on.
struct VerifiedServerKey(PublicKey);

/// The server's ECDHE share, held only once its Server Key Exchange
/// signature was checked with a [`VerifiedServerKey`] (RFC 8422 §5.4).
struct SignedServerShare {
    group: KxGroup,
    public: Vec<u8>,
}

/// The server's DHE group and public value, held only once their Server
/// Key Exchange signature was checked and the value's range (RFC 7919 §3).
struct SignedDhShare {
    group: FfdheGroup,
    public: Vec<u8>,
}

/// What the client's key exchange is computed from, each held only once
/// authenticated.
enum AuthenticatedServer {
    /// ECDHE: the share whose signature was checked.
    Ecdhe(SignedServerShare),
    /// DHE: the group and public value whose signature was checked.
    Dhe(SignedDhShare),
    /// RSA key transport: the verified certificate's key, which the
    /// premaster secret is encrypted to.
    Rsa(VerifiedServerKey),
}

/// Waiting for the signed ECDHE parameters.
struct ExpectServerKeyExchange {
    agreed: Agreed,
    server_key: VerifiedServerKey,
}

impl State for ExpectServerKeyExchange {
    fn name(&self) -> &'static str {
        ClientState::ExpectServerKeyExchange.name()
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
            HandshakeType::ServerKeyExchange,
            HandshakeMessage::ServerKeyExchange(body) => body
        )?;
        let config = &self.agreed.config;
        let params = &self.agreed.params;
        let (server_input, negotiated_group) = match params.suite.key_exchange {
            KeyExchange::Dhe => {
                let ske = DheServerKeyExchange::from_body(body, params.version)?;
                let group = FfdheGroup::from_params(&ske.params.p, &ske.params.g)
                    .filter(|g| accepts_ffdhe_group(config, *g))
                    .ok_or(PeerIncompatible::UnacceptableDhGroup)?;
                self.verify_signature(
                    &ske.params.to_bytes(),
                    &ske.signed,
                    ("DH Group", group.name()),
                    &ske.params.public,
                    "The server signed both randoms and its DH parameters (p, g and its public \
                     value) with the certificate's key, proving they come from it.",
                    core,
                    now,
                    tracer,
                )?;
                // RFC 7919 §3: "the client MUST verify that dh_Ys is in the
                // range 1 < dh_Ys < dh_p - 1" (handshake_failure).
                group
                    .check_public(&ske.params.public)
                    .map_err(crypto_error)?;
                (
                    AuthenticatedServer::Dhe(SignedDhShare {
                        group,
                        public: ske.params.public,
                    }),
                    group.named_group(),
                )
            }
            KeyExchange::Ecdhe | KeyExchange::Rsa => {
                let ske = EcdheServerKeyExchange::from_body(body, params.version)?;
                let group = KxGroup::from_named_curve(ske.params.named_curve)
                    .filter(|g| config.groups.contains(&g.named_curve()))
                    .ok_or(PeerMisbehaved::SelectedUnofferedCurve)?;
                self.verify_signature(
                    &ske.params.to_bytes(),
                    &ske.signed,
                    ("Curve", group.name()),
                    &ske.params.public,
                    "The server signed both randoms and its ECDH public key with the \
                     certificate's key, proving the key exchange comes from it.",
                    core,
                    now,
                    tracer,
                )?;
                (
                    AuthenticatedServer::Ecdhe(SignedServerShare {
                        group,
                        public: ske.params.public,
                    }),
                    group.named_curve(),
                )
            }
        };
        if let Some(n) = &mut core.negotiated {
            n.group = Some(negotiated_group);
        }
        Ok(Box::new(ExpectServerHelloDone {
            agreed: self.agreed,
            server_input,
            certificate_request: None,
        }))
    }
}

impl ExpectServerKeyExchange {
    /// RFC 5246 §7.4.3: checks the signature over both randoms and the
    /// `params` bytes with the verified certificate key, and logs it with
    /// the group and the server's public value.
    ///
    /// # Errors
    /// illegal_parameter for an algorithm the client did not offer,
    /// decrypt_error for a signature that does not verify.
    #[allow(clippy::too_many_arguments)]
    fn verify_signature(
        &self,
        params_bytes: &[u8],
        signed: &DigitallySigned,
        group_field: (&'static str, &'static str),
        server_public: &[u8],
        explanation: &'static str,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Error> {
        let config = &self.agreed.config;
        let params = &self.agreed.params;
        let scheme = match signed.algorithm {
            Some(alg) => {
                // RFC 5246 §7.4.3: the pair must be one the client offered.
                let offered = config
                    .signature_algorithms
                    .as_ref()
                    .is_none_or(|algs| algs.contains(&alg));
                sign::SignatureScheme::from_code_point(alg)
                    .filter(|_| offered)
                    .ok_or(PeerMisbehaved::IllegalParameter("signature algorithm"))?
            }
            None => sign::SignatureScheme::default_for(
                self.server_key.0.key_type(),
                params.version.get(),
            ),
        };
        let content = sign::server_key_exchange_signed_content(
            &params.randoms.client,
            &params.randoms.server,
            params_bytes,
        );
        let verified = self
            .server_key
            .0
            .verify(scheme, &content, &signed.signature);
        core.ctx.action(
            now,
            tracer,
            "Verify the Server Key Exchange signature",
            |e| {
                e.field(group_field.0, group_field.1)
                    .field("Server Public Key", hex(server_public))
                    .field("Signature Algorithm", scheme.name())
                    .field("Signature", hex(&signed.signature))
                    .field("Result", if verified.is_ok() { "valid" } else { "invalid" })
                    .explain(explanation)
            },
        );
        verified.map_err(crypto_error)
    }
}

/// RFC 7919 §4: a client that listed FFDHE groups gets one of them; one
/// that listed none takes any RFC 7919 group.
fn accepts_ffdhe_group(config: &ClientConfig, group: FfdheGroup) -> bool {
    let lists_ffdhe = config
        .groups
        .iter()
        .any(|&g| FfdheGroup::is_ffdhe_code_point(g));
    !lists_ffdhe || config.groups.contains(&group.named_group())
}

/// Waiting for Server Hello Done (or first a Certificate Request), then
/// sending the client's flight.
struct ExpectServerHelloDone {
    agreed: Agreed,
    server_input: AuthenticatedServer,
    /// A Certificate Request came: the flight opens with a Certificate.
    certificate_request: Option<CertificateAnswer>,
}

impl ExpectServerHelloDone {
    /// RFC 5246 §7.4.4: the server asks for a client certificate. The
    /// request is read whole, so a malformed one is decode_error; the
    /// answer (a certificate, or none) is decided and logged here.
    fn take_certificate_request(
        mut self: Box<Self>,
        core: &mut Core,
        body: &[u8],
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let version = self.agreed.params.version;
        let request = CertificateRequest::from_body(body, version)?;
        let asked = client_auth::Request {
            certificate_types: Some(&request.certificate_types),
            signature_algorithms: request.signature_algorithms.as_deref(),
            authorities: request.certificate_authorities.len(),
            version,
        };
        self.certificate_request = Some(client_auth::answer(
            &self.agreed.config,
            &asked,
            core,
            now,
            tracer,
        ));
        Ok(self)
    }
}

impl State for ExpectServerHelloDone {
    fn name(&self) -> &'static str {
        ClientState::ExpectServerHelloDone.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 5246 §7.3: at most one Certificate Request, before the
        // Server Hello Done.
        let expected: &'static [HandshakeType] = if self.certificate_request.is_some() {
            &[HandshakeType::ServerHelloDone]
        } else {
            &[
                HandshakeType::CertificateRequest,
                HandshakeType::ServerHelloDone,
            ]
        };
        let (_, decoded) = input.expect_handshake(expected)?;
        if let HandshakeMessage::Unknown { body, .. } = decoded {
            return self.take_certificate_request(core, body, now, tracer);
        }
        // RFC 5246 §7.4.6: the client's chain, or "If no suitable
        // certificate is available, the client MUST send a certificate
        // message containing no certificates."
        if let Some(answer) = &self.certificate_request {
            core.queue_handshake(&HandshakeMessage::Certificate(
                tlsim_tls::msgs::Certificate {
                    chain: answer.chain(),
                },
            ));
        }
        let agreed = self.agreed;
        let (pre_master, client_key_exchange) = match self.server_input {
            AuthenticatedServer::Ecdhe(share) => {
                ecdhe_premaster(&agreed, share, core, now, tracer)?
            }
            AuthenticatedServer::Dhe(share) => dhe_premaster(&agreed, share, core, now, tracer)?,
            AuthenticatedServer::Rsa(server_key) => {
                rsa_premaster(&agreed, server_key, core, now, tracer)?
            }
        };
        core.queue_handshake(&HandshakeMessage::ClientKeyExchange(client_key_exchange));
        let keys = core.derive_session_keys(
            now,
            tracer,
            Side::Client,
            agreed.params.clone(),
            &pre_master,
        )?;
        if let Some(answer) = &self.certificate_request {
            send_certificate_verify(answer, agreed.params.version, core, now, tracer)?;
        }
        send_finished(&agreed, &keys, core, tracer.enabled())?;
        core.flush(now, tracer);
        Ok(Box::new(ExpectChangeCipherSpec {
            agreed,
            keys,
            resumed: false,
            ticket: None,
        }))
    }
}

/// RFC 5246 §7.4.8: a client that sent a certificate signs every
/// handshake message so far, after its Client Key Exchange; no
/// CertificateVerify follows an empty Certificate.
fn send_certificate_verify(
    answer: &CertificateAnswer,
    version: ProtocolVersion,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(), Error> {
    let handshake_messages = core.transcript.all().to_vec();
    let signed = answer.sign(
        &handshake_messages,
        "every handshake message before the Certificate Verify",
        core,
        now,
        tracer,
    )?;
    if let Some((scheme, signature)) = signed {
        let mut body = Vec::new();
        DigitallySigned {
            // RFC 5246 §4.7: only TLS 1.2 names the algorithm.
            algorithm: scheme
                .code_point()
                .filter(|_| version >= ProtocolVersion::Tls12),
            signature,
        }
        .encode(&mut body);
        core.queue_handshake(&HandshakeMessage::Unknown {
            typ: HandshakeType::CertificateVerify,
            body,
        });
    }
    Ok(())
}

/// RFC 8422 §5.10: the client's ephemeral key on the server's curve; the
/// premaster secret and the ClientKeyExchange body carrying the public key.
fn ecdhe_premaster(
    agreed: &Agreed,
    share: SignedServerShare,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let group = share.group;
    let (secret, public) =
        core.ephemeral_key(group, agreed.config.pins.ephemeral_private_key.as_deref())?;
    core.ctx.action(
        now,
        tracer,
        "Client: Setup Elliptic Curve Cryptography",
        |e| {
            e.field("Curve", group.name())
                .field("Client Private Key", hex(secret.private_bytes()))
                .field("Client Public Key", hex(&public))
                .explain(
                    "The client picks a random private key on the server's curve and \
                     multiplies the base point by it to get the public key it sends.",
                )
        },
    );
    let pre_master = secret.agree(&share.public).map_err(crypto_error)?;
    let public = agreed.config.pins.key_exchange.clone().unwrap_or(public);
    Ok((pre_master, ClientEcdhPublic { public }.to_bytes()))
}

/// RFC 5246 §7.4.7.2 and §8.1.2: the client's exponent in the server's
/// group; the premaster secret and the ClientKeyExchange body carrying
/// `dh_Yc`.
fn dhe_premaster(
    agreed: &Agreed,
    share: SignedDhShare,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let group = share.group;
    let (secret, public) =
        core.dh_key(group, agreed.config.pins.ephemeral_private_key.as_deref())?;
    core.ctx
        .action(now, tracer, "Client: Setup Diffie-Hellman", |e| {
            e.field("Group", group.name())
                .field("Client Private Key", hex(secret.private_bytes()))
                .field("Client Public Key", hex(&public))
                .explain(
                    "The client picks a random exponent y in the server's group and sends \
                     g^y mod p.",
                )
        });
    let pre_master = secret.agree(&share.public).map_err(crypto_error)?;
    Ok((pre_master, ClientDhPublic { public }.to_bytes()))
}

/// RFC 5246 §7.4.7.1: the premaster secret is the version the client
/// offered and 46 random bytes, encrypted to the server certificate's RSA
/// key; returns it and the ClientKeyExchange body.
fn rsa_premaster(
    agreed: &Agreed,
    server_key: VerifiedServerKey,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    // "client_version: The latest (newest) version supported by the
    // client. This is used to detect version rollback attacks."
    // That is the Client Hello's version, which the scenario may set apart.
    let config = &agreed.config;
    let client_version = (config.hello_version).unwrap_or(config.max_version);
    let mut pre_master = client_version.get().to_be_bytes().to_vec();
    let mut random = [0u8; PRE_MASTER_RANDOM_LEN];
    match config.pins.pre_master_random {
        Some(pinned) => random = pinned,
        None => core.rng.fill(&mut random),
    }
    pre_master.extend_from_slice(&random);
    let ciphertext = match &config.pins.rsa_padding {
        Some(padding) => {
            (server_key.0).encrypt_pkcs1v15_with_padding(&pre_master, padding, &mut core.rng)
        }
        None => server_key.0.encrypt_pkcs1v15(&pre_master, &mut core.rng),
    }
    .map_err(crypto_error)?;
    let ciphertext = config.pins.key_exchange.clone().unwrap_or(ciphertext);
    core.ctx
        .action(now, tracer, "Encrypt the Pre-master Secret", |e| {
            e.field("Client Version", client_version)
                .field("Random", hex(&random))
                .field("Pre-master Secret", hex(&pre_master))
                .field("Server RSA Key", format!("{} bits", server_key.0.bits()))
                .field("Encrypted Pre-master Secret", hex(&ciphertext))
                .explain(
                    "With RSA key transport the client alone picks the pre-master secret and \
                     encrypts it to the public key in the server's certificate (PKCS #1 \
                     v1.5): only the holder of the private key can read it.",
                )
        });
    Ok((
        pre_master,
        EncryptedPreMasterSecret { ciphertext }.to_bytes(),
    ))
}

/// Queues Change Cipher Spec, the NPN choice if any, and Finished.
fn send_finished(
    agreed: &Agreed,
    keys: &SessionKeys,
    core: &mut Core,
    tracing: bool,
) -> Result<(), Error> {
    core.queue_change_cipher_spec(tracing)?;
    if let Some(protocol) = &agreed.next_protocol {
        core.queue_handshake(&HandshakeMessage::Unknown {
            typ: HandshakeType::NextProtocol,
            body: next_protocol_body(protocol),
        });
    }
    core.queue_finished(keys, FinishedSender::Client);
    Ok(())
}

/// Waiting for the server's Change Cipher Spec.
struct ExpectChangeCipherSpec {
    agreed: Agreed,
    keys: SessionKeys,
    resumed: bool,
    /// The NewSessionTicket received, kept once the handshake completes.
    ticket: Option<ClientTicket>,
}

impl State for ExpectChangeCipherSpec {
    fn name(&self) -> &'static str {
        ClientState::ExpectChangeCipherSpec.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 5077 §3.3: a server that acknowledged the SessionTicket
        // extension "MUST send" a NewSessionTicket before its Change Cipher
        // Spec, and one that did not must not send it: either way round
        // is unexpected_message.
        let ticket_due = self.agreed.ticket_expected && self.ticket.is_none();
        match input {
            Input::ChangeCipherSpec if ticket_due => Err(unexpected_change_cipher_spec()),
            Input::ChangeCipherSpec => {
                core.activate_read_keys()?;
                Ok(Box::new(ExpectFinished {
                    agreed: self.agreed,
                    keys: self.keys,
                    resumed: self.resumed,
                    ticket: self.ticket,
                }))
            }
            Input::Handshake(m) if ticket_due => {
                let (_, ticket) = require_handshake!(
                    Input::Handshake(m),
                    HandshakeType::NewSessionTicket,
                    HandshakeMessage::NewSessionTicket(ticket) => ticket
                )?;
                let ticket = crate::ticket::receive(ticket, core, now, tracer);
                Ok(Box::new(ExpectChangeCipherSpec {
                    ticket: Some(ticket),
                    ..*self
                }))
            }
            Input::Handshake(_) => Err(Error::InappropriateMessage {
                expected: &[ContentType::ChangeCipherSpec],
                got: ContentType::Handshake,
            }),
        }
    }
}

/// Waiting for the server's Finished.
struct ExpectFinished {
    agreed: Agreed,
    keys: SessionKeys,
    resumed: bool,
    ticket: Option<ClientTicket>,
}

impl State for ExpectFinished {
    fn name(&self) -> &'static str {
        ClientState::ExpectFinished.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let keys = &self.keys;
        core.check_finished(now, tracer, keys, FinishedSender::Server, input)?;
        if self.resumed {
            send_finished(&self.agreed, keys, core, tracer.enabled())?;
        }
        // A full handshake's session is kept; a resumed one again when it
        // brought a fresh ticket (RFC 5077 §3.1: the new one replaces the
        // old).
        let config = &self.agreed.config;
        if (!self.resumed || self.ticket.is_some())
            && let (Some(store), Some(name)) = (&config.session_store, &config.server_name)
        {
            lock(store).remember(name.clone(), keys, self.ticket);
        }
        core.complete_handshake(now, tracer, self.resumed);
        Ok(Box::new(Connected {
            config: self.agreed.config,
        }))
    }
}

/// The handshake is over: application data and alerts are expected, and a
/// Hello Request, which starts a renegotiation if the policy accepts it
/// (`renegotiation`).
pub(crate) struct Connected {
    config: Arc<ClientConfig>,
}

impl State for Connected {
    fn name(&self) -> &'static str {
        ClientState::Connected.name()
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
            handshake => {
                handshake.expect_handshake(&[HandshakeType::HelloRequest])?;
                if crate::renegotiation::accepts_hello_request(&self.config, core) {
                    core.begin_renegotiation(now, tracer, "server");
                    return Ok(send_client_hello(self.config, core, now, tracer));
                }
                // RFC 5246 §7.4.1.1: a client that does not wish to
                // renegotiate "may, if it wishes, respond with a
                // no_renegotiation alert"; RFC 5746 §4.2: one that refuses
                // MUST, at warning level, and the connection goes on.
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
        core.begin_renegotiation(now, tracer, "client");
        Some(send_client_hello(self.config.clone(), core, now, tracer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_protocol_message_pads_to_32_bytes() {
        for name in [&b"spdy/3.1"[..], b"h2", &[7u8; 40]] {
            let body = next_protocol_body(name);
            assert_eq!(body.len() % 32, 0);
            assert_eq!(usize::from(body[0]), name.len());
        }
    }

    #[test]
    fn explicit_extension_order_comes_first() {
        let config = ClientConfig {
            server_name: Some("a.example".into()),
            extension_order: Some(vec![
                ExtensionType::EcPointFormats,
                ExtensionType::ServerName,
            ]),
            ..ClientConfig::default()
        };
        let types: Vec<ExtensionType> = client_extensions(&config)
            .iter()
            .map(|e| e.ext_type())
            .collect();
        assert_eq!(
            &types[..3],
            &[
                ExtensionType::EcPointFormats,
                ExtensionType::ServerName,
                ExtensionType::RenegotiationInfo
            ]
        );
    }
}
