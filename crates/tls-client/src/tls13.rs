//! The client's TLS 1.3 handshake (RFC 8446 §2, Figure 1), entered from
//! `hs::ExpectServerHello` when the Server Hello selects TLS 1.3 in
//! supported_versions.
//!
//! 0. With `max_version` TLS 1.3, the Client Hello also carries
//!    supported_versions, one key share for the first group the client
//!    can compute, and (middlebox compatibility, Appendix D.4) a 32-byte
//!    legacy session ID ([`offer`]).
//! 1. Server Hello: the shared secret, the handshake secrets →
//!    [`ExpectEncryptedExtensions`].
//! 2. EncryptedExtensions → [`ExpectCertificate`] (which takes a
//!    CertificateRequest first, answered before the Finished); Certificate →
//!    [`ExpectCertificateVerify`]; CertificateVerify → [`ExpectFinished`].
//! 3. The server's Finished: the application secrets; send the
//!    compatibility change_cipher_spec and the client's Finished →
//!    [`Connected`].
//!
//! A HelloRetryRequest (§4.1.4) is answered once with a second Client
//! Hello ([`retry`]). Tickets, PSK resumption and 0-RTT are in
//! `tls13_psk`. Not implemented yet: KeyUpdate.

use std::sync::Arc;

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::{Codec, hex};
use tlsim_tls::conn::{
    Core, Direction, Input, Negotiated, State, StateName, Tls13Secrets, check_verify_data,
    crypto_error, expect_tls13, verify_certificate_verify13,
};
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::crypto::key_schedule::{Tls13CipherSuite, message_hash};
use tlsim_tls::crypto::kx::{EphemeralSecret, KxGroup};
use tlsim_tls::crypto::sign::PublicKey;
use tlsim_tls::enums::{
    CipherSuite, CompressionMethod, ContentType, ExtensionType, HandshakeType, ProtocolVersion,
    SignatureScheme,
};
use tlsim_tls::error::{Error, PeerMisbehaved};
use tlsim_tls::msgs::tls13::{
    Certificate13, CertificateVerify, ClientKeyShares, ClientSupportedVersions, Cookie,
    HelloRetryKeyShare, KeyShareEntry, Tls13Extension, Tls13Message, certificate_verify_content,
};
use tlsim_tls::msgs::{
    CertificateRequest13, ClientExtension, ClientHello, ServerExtension, ServerHello, SessionId,
};

use crate::client_auth::{self, CertificateAnswer};
use crate::config::ClientConfig;
use crate::hs::verify_server_certificate;
use crate::states::ClientState;
use crate::tls13_psk::{self, PskOffer, TicketReceiver};

/// What a Client Hello offering TLS 1.3 adds, and the private key its
/// share needs later.
pub(crate) struct Offer {
    /// supported_versions and key_share.
    pub(crate) extensions: Vec<ClientExtension>,
    /// RFC 8446 Appendix D.4: a fresh 32-byte legacy session ID.
    pub(crate) legacy_session_id: SessionId,
    secret: EphemeralSecret,
    /// The suite of the HelloRetryRequest answered, if one was.
    retried_suite: Option<CipherSuite>,
    /// A stored ticket offered for resumption (RFC 8446 §4.2.11).
    psk: Option<PskOffer>,
    /// 0-RTT data went out after the Client Hello (RFC 8446 §4.2.10).
    early_data_sent: bool,
}

/// Completes a Client Hello offering TLS 1.3: the padding
/// `config.hello_padding` asks for (RFC 7685), then the offered ticket's
/// pre_shared_key, last, its binder over `transcript` (empty, or what a
/// HelloRetryRequest left) and the truncated hello (RFC 8446 §4.2.11.2).
pub(crate) fn finish_hello(
    config: &ClientConfig,
    offer: &mut Offer,
    hello: &mut ClientHello,
    transcript: &[u8],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) {
    match &mut offer.psk {
        Some(psk) => tls13_psk::bind(psk, config, hello, transcript, core, now, tracer),
        None => pad(config, hello),
    }
}

/// RFC 7685: a Client Hello of 256 bytes or more but shorter than
/// `config.hello_padding` gets a padding extension of zeros that makes it
/// that long, before any pre_shared_key (which RFC 8446 §4.2.11 puts
/// last). Some servers mishandle hellos of 256 to 511 bytes (RFC 7685
/// §1); NSS and OpenSSL pad those to 512.
pub(crate) fn pad(config: &ClientConfig, hello: &mut ClientHello) {
    const PADDED_FROM: usize = 256;
    let Some(target) = config.hello_padding else {
        return;
    };
    let len = Tls13Message::ClientHello(hello.clone()).to_bytes().len();
    if !(PADDED_FROM..target).contains(&len) {
        return;
    }
    // The extension's type and length take 4 of the bytes it adds.
    let padding = ClientExtension::Unknown {
        typ: ExtensionType::Padding,
        data: vec![0; (target - len).saturating_sub(4)],
    };
    let before_psk = (hello.extensions.iter())
        .position(|e| matches!(e, ClientExtension::Unknown { typ, .. } if *typ == ExtensionType::PreSharedKey))
        .unwrap_or(hello.extensions.len());
    hello.extensions.insert(before_psk, padding);
}

/// RFC 8446 §4.2.10: sends 0-RTT data after the Client Hello when the
/// offered ticket allows it.
pub(crate) fn start_early_data(
    offer: &mut Offer,
    client_random: &[u8; 32],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) {
    if let Some(psk) = &offer.psk {
        offer.early_data_sent = tls13_psk::start_early_data(psk, client_random, core, now, tracer);
    }
}

/// The TLS 1.3 part of the Client Hello, if the client's maximum version
/// is TLS 1.3 and one of its groups can make a key share.
pub(crate) fn offer(
    config: &ClientConfig,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Option<Offer> {
    if config.max_version < ProtocolVersion::Tls13 {
        return None;
    }
    let group = config
        .groups
        .iter()
        .find_map(|&g| KxGroup::from_named_curve(g))?;
    let (secret, public) = core
        .ephemeral_key(group, config.pins.ephemeral_private_key.as_deref())
        .ok()?;
    core.ctx.action(now, tracer, "Client: Key Share", |e| {
        e.field("Group", group.name())
            .field("Client Private Key", hex(secret.private_bytes()))
            .field("Client Public Key", hex(&public))
            .explain(
                "A TLS 1.3 client guesses the server's group and sends its public key in \
                 the Client Hello, saving a round trip.",
            )
    });
    // RFC 8446 §4.2.1: the versions offered, most preferred first.
    let versions = (config.min_version.max(ProtocolVersion::Tls10).get()
        ..=ProtocolVersion::Tls13.get())
        .rev()
        .map(ProtocolVersion::from)
        .collect();
    let mut extensions = vec![
        ClientSupportedVersions(versions).to_client_extension(),
        ClientKeyShares(vec![KeyShareEntry {
            group: group.named_curve(),
            key_exchange: public,
        }])
        .to_client_extension(),
    ];
    // RFC 8446 §4.2.3: a client offering TLS 1.3 "MUST send" its signature
    // schemes; without configured ones, the one it verifies.
    if config.signature_algorithms.is_none() {
        extensions.push(ClientExtension::SignatureAlgorithms(vec![
            SignatureScheme::EcdsaSecp256r1Sha256,
        ]));
    }
    let legacy_session_id = legacy_session_id(config, core);
    let psk = tls13_psk::take_ticket(config, now).map(|(psk, psk_extensions)| {
        extensions.extend(psk_extensions);
        psk
    });
    Some(Offer {
        extensions,
        legacy_session_id,
        secret,
        retried_suite: None,
        psk,
        early_data_sent: false,
    })
}

/// RFC 8446 Appendix D.4: 32 random bytes put the client in the
/// middlebox compatibility mode; a pinned ID is sent as it is, and an
/// empty one leaves the mode, so no change_cipher_spec follows.
fn legacy_session_id(config: &ClientConfig, core: &mut Core) -> SessionId {
    if let Some(pinned) = config.pins.legacy_session_id.as_deref() {
        if pinned.is_empty() {
            core.leave_compatibility_mode();
        }
        if let Some(id) = SessionId::new(pinned) {
            return id;
        }
    }
    let mut session_id = [0u8; 32];
    core.rng.fill(&mut session_id);
    SessionId::new(&session_id).expect("32 bytes")
}

/// RFC 8446 §4.1.4: answers a HelloRetryRequest with a second Client
/// Hello, the first one with a share for the group asked for (and the
/// cookie, if any), without early_data, and with the ticket offered again
/// under a new binder if its hash is the suite's (§4.1.2); the
/// transcript's first Client Hello becomes its `message_hash` (§4.4.1).
///
/// # Errors
/// unexpected_message for a second HelloRetryRequest; illegal_parameter
/// for one that selects an unoffered suite, asks for an unoffered group
/// or for the group already shared, or would not change the Client Hello.
#[allow(
    clippy::too_many_arguments,
    reason = "the hand-over from the version-neutral Server Hello state"
)]
pub(crate) fn retry(
    config: &ClientConfig,
    offer: Offer,
    hello: &ServerHello,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<Offer, Error> {
    if offer.retried_suite.is_some() {
        return Err(Error::InappropriateHandshakeMessage {
            expected: &[HandshakeType::ServerHello],
            got: HandshakeType::ServerHello,
        });
    }
    check_legacy_version(hello)?;
    let suite = Tls13CipherSuite::find(hello.cipher_suite)
        .filter(|s| config.cipher_suites.contains(&s.suite))
        .ok_or(PeerMisbehaved::SelectedUnofferedCipherSuite)?;
    if hello.session_id != offer.legacy_session_id {
        return Err(PeerMisbehaved::IllegalParameter("legacy_session_id_echo").into());
    }
    let requested = HelloRetryKeyShare::find_in_server_hello(hello).transpose()?;
    let cookie = Cookie::find_in_server_hello(hello).transpose()?;
    // RFC 8446 §4.1.4: a HelloRetryRequest that would not change the
    // Client Hello is illegal_parameter, as is a group not offered or
    // already shared (§4.2.8).
    let group = match requested {
        Some(HelloRetryKeyShare(group))
            if config.groups.contains(&group) && group != offer.secret.group().named_curve() =>
        {
            KxGroup::from_named_curve(group)
                .ok_or(PeerMisbehaved::IllegalParameter("HelloRetryRequest group"))?
        }
        Some(_) => return Err(PeerMisbehaved::IllegalParameter("HelloRetryRequest group").into()),
        None if cookie.is_some() => offer.secret.group(),
        None => return Err(PeerMisbehaved::IllegalParameter("HelloRetryRequest").into()),
    };
    // Before the HelloRetryRequest, the transcript holds the first Client
    // Hello alone.
    let first = Tls13Message::from_bytes(core.transcript.before_current())?;
    let Tls13Message::ClientHello(mut second) = first else {
        unreachable!("the client's transcript starts with its Client Hello");
    };
    let hash = suite.hash;
    let replaced = message_hash(hash, core.transcript.before_current());
    core.ctx.action(now, tracer, "Replace the Client Hello in the transcript", |e| {
        e.field("Hash", hash.name())
            .field("message_hash", hex(&replaced))
            .explain(
                "After a HelloRetryRequest the transcript starts with a synthetic message_hash holding the hash of the first Client Hello.",
            )
    });
    core.transcript.replace_first(&replaced);
    // The server's compatibility change_cipher_spec may follow.
    core.set_version(ProtocolVersion::Tls13);
    let (secret, public) = if group == offer.secret.group() {
        (offer.secret, None)
    } else {
        let pinned = config.pins.retry_ephemeral_private_key.as_deref();
        let (secret, public) = core.ephemeral_key(group, pinned)?;
        (secret, Some(public))
    };
    let mut extensions = Vec::new();
    // RFC 8446 §4.1.2: the 0-RTT data is lost, early_data goes, and the
    // ticket stays only if its hash is the suite's (`tls13_psk`).
    if offer.early_data_sent {
        core.stop_early_data(false);
        core.drop_tls13_write_keys(tracer.enabled());
    }
    let psk = offer
        .psk
        .and_then(|psk| tls13_psk::keep_after_retry(psk, suite));
    // The pre_shared_key and padding are made again for the new hello.
    second.extensions.retain(|ext| {
        !matches!(ext, ClientExtension::Unknown { typ, .. }
            if *typ == ExtensionType::PreSharedKey
                || *typ == ExtensionType::EarlyData
                || (*typ == ExtensionType::Padding && config.hello_padding.is_some()))
    });
    for ext in second.extensions.drain(..) {
        match (&ext, &public) {
            (ClientExtension::Unknown { typ, .. }, Some(public))
                if *typ == ExtensionType::KeyShare =>
            {
                extensions.push(
                    ClientKeyShares(vec![KeyShareEntry {
                        group: group.named_curve(),
                        key_exchange: public.clone(),
                    }])
                    .to_client_extension(),
                );
            }
            _ => extensions.push(ext),
        }
    }
    if let Some(cookie) = &cookie {
        extensions.push(cookie.to_client_extension());
    }
    // An explicit order places the cookie too.
    if config.extension_order.is_some() {
        crate::hs::order_extensions(config, &mut extensions);
    }
    second.extensions = extensions;
    core.ctx.action(now, tracer, "Client: Key Share", |e| {
        e.field("Group", group.name())
            .field("Client Private Key", hex(secret.private_bytes()))
            .field("Client Public Key", hex(&secret.public_bytes()))
            .explain(
                "The server asked for a share on another group: the client makes a key pair \
                 there and sends its Client Hello again.",
            )
    });
    // RFC 8446 Appendix D.4: the dummy change_cipher_spec goes before the
    // second flight.
    core.queue_compatibility_change_cipher_spec(tracer.enabled());
    let mut retried = Offer {
        extensions: Vec::new(),
        legacy_session_id: offer.legacy_session_id,
        secret,
        retried_suite: Some(suite.suite),
        psk,
        early_data_sent: false,
    };
    // RFC 8446 §4.2.11.2: the binder now covers the message_hash and the
    // HelloRetryRequest before the truncated second hello.
    let transcript = core.transcript.all().to_vec();
    finish_hello(
        config,
        &mut retried,
        &mut second,
        &transcript,
        core,
        now,
        tracer,
    );
    core.queue_tls13(&Tls13Message::ClientHello(second));
    core.flush(now, tracer);
    Ok(retried)
}

/// RFC 8446 §4.1.3: in a TLS 1.3 Server Hello (or HelloRetryRequest)
/// "the legacy_version field MUST be set to 0x0303"; any other value is a
/// field out of range, illegal_parameter (§6.2).
fn check_legacy_version(hello: &ServerHello) -> Result<(), Error> {
    if hello.server_version == ProtocolVersion::Tls12 {
        Ok(())
    } else {
        Err(PeerMisbehaved::IllegalParameter("legacy_version").into())
    }
}

/// RFC 8446 §4.1.3, §4.1.4: checks a TLS 1.3 Server Hello, derives the
/// handshake secrets and switches the read side to the server's keys.
#[allow(
    clippy::too_many_arguments,
    reason = "the hand-over from the version-neutral Server Hello state"
)]
pub(crate) fn handle_server_hello(
    config: Arc<ClientConfig>,
    client_random: [u8; 32],
    offer: Offer,
    hello: &ServerHello,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<Box<dyn State>, Error> {
    // RFC 8446 §4.1.3: the suite must be offered, the session ID echoed,
    // compression null; otherwise illegal_parameter.
    let suite = Tls13CipherSuite::find(hello.cipher_suite)
        .filter(|s| config.cipher_suites.contains(&s.suite))
        .ok_or(PeerMisbehaved::SelectedUnofferedCipherSuite)?;
    check_legacy_version(hello)?;
    // RFC 8446 §4.1.4: the suite must be the HelloRetryRequest's.
    if offer.retried_suite.is_some_and(|s| s != suite.suite) {
        return Err(PeerMisbehaved::IllegalParameter("cipher suite changed after retry").into());
    }
    if hello.session_id != offer.legacy_session_id {
        return Err(PeerMisbehaved::IllegalParameter("legacy_session_id_echo").into());
    }
    if hello.compression_method != CompressionMethod::Null {
        return Err(PeerMisbehaved::SelectedUnofferedCompression.into());
    }
    let share = KeyShareEntry::find_in_server_hello(hello).transpose()?;
    // RFC 8446 §4.2.11: a resumption from the offered ticket.
    let resumed = tls13_psk::resumed(&config, offer.psk, hello, suite, share.is_some())?;
    let shared = match (share, &resumed) {
        (Some(share), _) => Some(client_shared_secret(
            &offer.secret,
            &share,
            core,
            now,
            tracer,
        )?),
        (None, Some(_)) => None,
        (None, None) => return Err(PeerMisbehaved::IllegalParameter("key_share missing").into()),
    };
    let group = shared.as_ref().map(|_| offer.secret.group().named_curve());
    core.set_version(ProtocolVersion::Tls13);
    core.negotiated = Some(Negotiated {
        version: ProtocolVersion::Tls13,
        suite: suite.suite,
        group,
        alpn: None,
        session_id: Vec::new(),
        resumed: resumed.is_some(),
        extended_master_secret: false,
    });
    let (secrets, early_data_offered) = match resumed {
        None => (
            core.tls13_handshake_secrets(
                now,
                tracer,
                suite,
                client_random,
                shared.as_deref().expect("a full handshake has a key share"),
            ),
            false,
        ),
        Some(psk) => (
            core.tls13_handshake_secrets_from(
                now,
                tracer,
                suite,
                client_random,
                psk.early,
                shared.as_deref(),
            ),
            psk.early_data,
        ),
    };
    core.tls13_switch_keys(
        now,
        tracer,
        &secrets,
        &secrets.server_handshake,
        Direction::Read,
        "Server handshake traffic keys",
    )?;
    Ok(Box::new(ExpectEncryptedExtensions {
        config,
        secrets,
        retried: offer.retried_suite.is_some(),
        resumed: group.is_none() || core.negotiated.as_ref().is_some_and(|n| n.resumed),
        early_data_sent: offer.early_data_sent,
        early_data_offered,
    }))
}

/// RFC 8446 §4.2.8: the shared secret of the client's key and the
/// server's share, logged.
///
/// # Errors
/// illegal_parameter for a share on another group than the client's, or
/// an invalid point.
fn client_shared_secret(
    secret: &EphemeralSecret,
    share: &KeyShareEntry,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<Vec<u8>, Error> {
    if share.group != secret.group().named_curve() {
        return Err(PeerMisbehaved::SelectedUnofferedCurve.into());
    }
    let shared = secret.agree(&share.key_exchange).map_err(crypto_error)?;
    core.ctx.action(now, tracer, "Client: Shared Secret", |e| {
        e.field("Group", secret.group().name())
            .field("Server Public Key", hex(&share.key_exchange))
            .field("Shared Secret", hex(&shared))
            .explain(
                "The client combines its private key with the server's share: the same \
                 secret the server computed.",
            )
    });
    Ok(shared)
}

/// Waiting for EncryptedExtensions, the first message under the server's
/// handshake keys.
struct ExpectEncryptedExtensions {
    config: Arc<ClientConfig>,
    secrets: Tls13Secrets,
    retried: bool,
    /// The server resumed from the offered ticket: no certificate comes.
    resumed: bool,
    /// 0-RTT data went out (and the change_cipher_spec before it).
    early_data_sent: bool,
    /// early_data was offered with the ticket the server took.
    early_data_offered: bool,
}

impl State for ExpectEncryptedExtensions {
    fn name(&self) -> &'static str {
        ClientState::ExpectEncryptedExtensions.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let (_, decoded) = expect_tls13(input, &[HandshakeType::EncryptedExtensions])?;
        let Tls13Message::EncryptedExtensions(ee) = decoded else {
            unreachable!("expect_tls13 returned the one type asked for");
        };
        let config = &self.config;
        let mut early_data_accepted = false;
        for ext in &ee.extensions {
            // RFC 8446 §4.2.10: early_data here accepts the 0-RTT data.
            if let Some(offered) = tls13_psk::accepts_early_data(ext, self.early_data_offered) {
                if !offered {
                    return Err(
                        PeerMisbehaved::UnsolicitedExtension(ExtensionType::EarlyData).into(),
                    );
                }
                early_data_accepted = true;
                continue;
            }
            // RFC 8446 §4.2: an extension not offered is
            // unsupported_extension.
            let offered = match ext {
                ServerExtension::ServerNameAck => config.server_name.is_some(),
                ServerExtension::Alpn(names) => match names.as_slice() {
                    [name] if config.alpn.contains(name) => {
                        if let Some(n) = &mut core.negotiated {
                            n.alpn = Some(name.clone());
                        }
                        true
                    }
                    _ => return Err(PeerMisbehaved::IllegalParameter("ALPN").into()),
                },
                // RFC 8446 §4.2.7: the server's groups, for later
                // connections; and answers to extensions sent as given.
                ServerExtension::Unknown { typ, .. } => {
                    (*typ == ExtensionType::SupportedGroups && !config.groups.is_empty())
                        || config.opaque_extensions.iter().any(|(t, _)| t == typ)
                }
                _ => false,
            };
            if !offered {
                use tlsim_tls::msgs::HelloExtension;
                return Err(PeerMisbehaved::UnsolicitedExtension(ext.ext_type()).into());
            }
        }
        if self.early_data_sent {
            let sent = core.stop_early_data(early_data_accepted);
            core.ctx.action(now, tracer, "Early data", |e| {
                e.field("Bytes Sent", sent)
                    .field("Accepted", early_data_accepted)
                    .explain(
                        "EncryptedExtensions says whether the server took the 0-RTT data; \
                         rejected data is sent again once the handshake completes.",
                    )
            });
        }
        let retried = self.retried || self.early_data_sent;
        if self.resumed {
            return Ok(Box::new(ExpectFinished {
                config: self.config,
                secrets: self.secrets,
                retried,
                end_of_early_data: early_data_accepted,
                resumed: true,
                certificate_request: None,
            }));
        }
        Ok(Box::new(ExpectCertificate {
            config: self.config,
            secrets: self.secrets,
            retried,
            certificate_request: None,
        }))
    }
}

/// Waiting for the server's chain, or first its CertificateRequest.
struct ExpectCertificate {
    config: Arc<ClientConfig>,
    secrets: Tls13Secrets,
    retried: bool,
    certificate_request: Option<RequestAnswer>,
}

/// A CertificateRequest's context and the client's answer to it.
struct RequestAnswer {
    context: Vec<u8>,
    answer: CertificateAnswer,
}

impl ExpectCertificate {
    /// RFC 8446 §4.3.2: the server asks for a certificate, with an empty
    /// context during the handshake and the signature_algorithms it
    /// "MUST" list.
    fn take_certificate_request(
        mut self: Box<Self>,
        request: &CertificateRequest13,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        if !request.context.is_empty() {
            return Err(PeerMisbehaved::IllegalParameter("certificate_request_context").into());
        }
        let schemes = request
            .signature_algorithms()
            .ok_or(PeerMisbehaved::MissingExtension(
                ExtensionType::SignatureAlgorithms,
            ))??;
        let asked = client_auth::Request {
            certificate_types: None,
            signature_algorithms: Some(&schemes),
            authorities: request.certificate_authorities()?.len(),
            version: ProtocolVersion::Tls13,
        };
        let answer = client_auth::answer(&self.config, &asked, core, now, tracer);
        self.certificate_request = Some(RequestAnswer {
            context: request.context.clone(),
            answer,
        });
        Ok(self)
    }
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
        // RFC 8446 §4.3.2: at most one CertificateRequest, after
        // EncryptedExtensions.
        let expected: &'static [HandshakeType] = if self.certificate_request.is_some() {
            &[HandshakeType::Certificate]
        } else {
            &[
                HandshakeType::CertificateRequest,
                HandshakeType::Certificate,
            ]
        };
        let (_, decoded) = expect_tls13(input, expected)?;
        let certificate = match decoded {
            Tls13Message::Certificate(certificate) => certificate,
            Tls13Message::CertificateRequest(request) => {
                return self.take_certificate_request(&request, core, now, tracer);
            }
            _ => unreachable!("expect_tls13 returned a type asked for"),
        };
        // RFC 8446 §4.4.2: a server's Certificate has an empty context.
        if !certificate.context.is_empty() {
            return Err(PeerMisbehaved::IllegalParameter("certificate_request_context").into());
        }
        let server_key =
            verify_server_certificate(&self.config, &certificate.chain(), core, now, tracer)?;
        Ok(Box::new(ExpectCertificateVerify {
            config: self.config,
            secrets: self.secrets,
            server_key,
            retried: self.retried,
            certificate_request: self.certificate_request,
        }))
    }
}

/// Waiting for the signature over the transcript.
struct ExpectCertificateVerify {
    config: Arc<ClientConfig>,
    secrets: Tls13Secrets,
    server_key: PublicKey,
    retried: bool,
    certificate_request: Option<RequestAnswer>,
}

impl State for ExpectCertificateVerify {
    fn name(&self) -> &'static str {
        ClientState::ExpectCertificateVerify.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let (_, decoded) = expect_tls13(input, &[HandshakeType::CertificateVerify])?;
        let Tls13Message::CertificateVerify(verify) = decoded else {
            unreachable!("expect_tls13 returned the one type asked for");
        };
        // RFC 8446 §4.4.3: by default the client offers
        // ecdsa_secp256r1_sha256 alone.
        let offered = self
            .config
            .signature_algorithms
            .as_deref()
            .unwrap_or(&[SignatureScheme::EcdsaSecp256r1Sha256]);
        verify_certificate_verify13(
            Side::Server,
            &self.server_key,
            offered,
            &verify,
            self.secrets.suite.hash,
            core,
            now,
            tracer,
        )?;
        Ok(Box::new(ExpectFinished {
            config: self.config,
            secrets: self.secrets,
            retried: self.retried,
            end_of_early_data: false,
            resumed: false,
            certificate_request: self.certificate_request,
        }))
    }
}

/// Waiting for the server's Finished, then sending the client's.
struct ExpectFinished {
    config: Arc<ClientConfig>,
    secrets: Tls13Secrets,
    /// The change_cipher_spec went out already, before a second Client
    /// Hello or 0-RTT data.
    retried: bool,
    /// RFC 8446 §4.5: 0-RTT data was accepted; EndOfEarlyData ends it.
    end_of_early_data: bool,
    /// The handshake resumed from a ticket.
    resumed: bool,
    /// The server asked for a certificate: the client's Certificate (and
    /// CertificateVerify) go before its Finished.
    certificate_request: Option<RequestAnswer>,
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
        let (_, decoded) = expect_tls13(input, &[HandshakeType::Finished])?;
        let Tls13Message::Finished(finished) = decoded else {
            unreachable!("expect_tls13 returned the one type asked for");
        };
        let mut secrets = self.secrets;
        let expected = core.tls13_finished(
            now,
            tracer,
            &secrets,
            &secrets.server_handshake,
            core.transcript.before_current(),
            "Verify the server Finished",
        );
        check_verify_data(&expected, &finished.verify_data)?;
        core.tls13_application_secrets(now, tracer, &mut secrets);
        core.tls13_switch_keys(
            now,
            tracer,
            &secrets,
            &secrets.server_application,
            Direction::Read,
            "Server application traffic keys",
        )?;
        // RFC 8446 Appendix D.4: the compatibility change_cipher_spec goes
        // before the client's first protected record, unless it went
        // before a second Client Hello.
        if !self.retried {
            core.queue_compatibility_change_cipher_spec(tracer.enabled());
        }
        // RFC 8446 §4.5: EndOfEarlyData, under the early traffic keys,
        // closes accepted 0-RTT data.
        if self.end_of_early_data {
            core.queue_tls13(&Tls13Message::EndOfEarlyData);
        }
        core.tls13_switch_keys(
            now,
            tracer,
            &secrets,
            &secrets.client_handshake,
            Direction::Write,
            "Client handshake traffic keys",
        )?;
        if let Some(request) = &self.certificate_request {
            send_certificate(request, &secrets, core, now, tracer)?;
        }
        let verify_data = core.tls13_finished(
            now,
            tracer,
            &secrets,
            &secrets.client_handshake,
            core.transcript.all(),
            "Compute the client Finished",
        );
        core.queue_tls13(&Tls13Message::Finished(
            tlsim_tls::msgs::tls13::Finished13 { verify_data },
        ));
        core.tls13_switch_keys(
            now,
            tracer,
            &secrets,
            &secrets.client_application,
            Direction::Write,
            "Client application traffic keys",
        )?;
        core.complete_handshake(now, tracer, self.resumed);
        let tickets = self
            .config
            .tickets
            .is_some()
            .then(|| TicketReceiver::new(secrets.clone(), core));
        core.tls13_keep_application_secrets(secrets, Side::Client);
        Ok(Box::new(Connected {
            config: self.config,
            tickets,
        }))
    }
}

/// RFC 8446 §4.4.2, §4.4.3: the client's Certificate, echoing the
/// request's context, and when it is not empty a CertificateVerify over
/// the transcript hash.
fn send_certificate(
    request: &RequestAnswer,
    secrets: &Tls13Secrets,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(), Error> {
    let mut certificate = Certificate13::from_chain(&request.answer.chain());
    certificate.context = request.context.clone();
    core.queue_tls13(&Tls13Message::Certificate(certificate));
    let transcript_hash = secrets.suite.hash.hash(core.transcript.all());
    let content = certificate_verify_content(Side::Client, &transcript_hash);
    let signed = request.answer.sign(
        &content,
        &format!(
            "64 spaces + \"TLS 1.3, client CertificateVerify\" + 0 + transcript hash {}",
            hex(&transcript_hash)
        ),
        core,
        now,
        tracer,
    )?;
    if let Some((scheme, signature)) = signed {
        let scheme = scheme
            .code_point()
            .expect("every scheme TLS 1.3 allows has a code point");
        core.queue_tls13(&Tls13Message::CertificateVerify(CertificateVerify {
            scheme,
            signature,
        }));
    }
    Ok(())
}

/// The handshake is over. A NewSessionTicket is kept for resumption (or
/// set aside without a ticket store); a KeyUpdate moves the read keys
/// (RFC 8446 §4.6.3); nothing else may come.
struct Connected {
    config: Arc<ClientConfig>,
    tickets: Option<TicketReceiver>,
}

impl State for Connected {
    fn name(&self) -> &'static str {
        ClientState::Connected.name()
    }

    fn handle(
        mut self: Box<Self>,
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
                let (_, message) = expect_tls13(
                    handshake,
                    &[HandshakeType::NewSessionTicket, HandshakeType::KeyUpdate],
                )?;
                match (message, &mut self.tickets) {
                    (Tls13Message::KeyUpdate(update), _) => {
                        core.tls13_receive_key_update(now, tracer, update)?;
                    }
                    (Tls13Message::NewSessionTicket(ticket), Some(receiver)) => {
                        receiver.receive(&self.config, ticket, core, now, tracer)?;
                    }
                    // A ticket with no store to keep it is set aside.
                    _ => {}
                }
                Ok(self)
            }
        }
    }
}
