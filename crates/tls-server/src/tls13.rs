//! The server's TLS 1.3 handshake (RFC 8446 §2, Figure 1), entered from
//! `hs::ExpectClientHello` when the client offers TLS 1.3 in
//! supported_versions and the server's maximum allows it.
//!
//! 1. Client Hello: choose a suite, a group the client sent a share for,
//!    and a signature scheme; send Server Hello, the compatibility
//!    change_cipher_spec (Appendix D.4) when the client sent a legacy
//!    session ID, then under the handshake keys EncryptedExtensions,
//!    Certificate, CertificateVerify and Finished → [`ExpectFinished`].
//!    With a client authentication policy, a CertificateRequest follows
//!    EncryptedExtensions, and the client's Certificate (and
//!    CertificateVerify) come before its Finished (`crate::client_auth`).
//! 2. The client's Finished → [`Connected`].
//!
//! A client without a share for a group both support gets one
//! HelloRetryRequest (§4.1.4) → [`ExpectSecondClientHello`], with a
//! cookie when configured (`tls13_cookie`). Tickets, PSK resumption and
//! 0-RTT are in `tls13_psk`. The CertificateVerify's scheme is the
//! client's first that the certificate's key makes.

use std::sync::Arc;

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::hex;
use tlsim_tls::conn::{
    Core, Direction, Input, Negotiated, State, StateName, Tls13Secrets, check_verify_data,
    crypto_error, expect_tls13,
};
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::crypto::key_schedule::{Tls13CipherSuite, message_hash};
use tlsim_tls::crypto::kx::KxGroup;
use tlsim_tls::crypto::sign;
use tlsim_tls::enums::{
    CompressionMethod, ContentType, ExtensionType, HandshakeType, ProtocolVersion, SignatureScheme,
};
use tlsim_tls::error::{Error, PeerIncompatible, PeerMisbehaved};
use tlsim_tls::msgs::psk::{EarlyDataOffer, SelectedPsk};
use tlsim_tls::msgs::tls13::{
    Certificate13, CertificateVerify, ClientKeyShares, ClientSupportedVersions, Cookie,
    EncryptedExtensions, Finished13, HELLO_RETRY_REQUEST_RANDOM, HelloRetryKeyShare, KeyShareEntry,
    ServerSupportedVersion, Tls13Extension, Tls13Message, certificate_verify_content,
};
use tlsim_tls::msgs::{
    ClientExtension, ClientHello, HandshakeMessage, Random, ServerExtension, ServerHello,
};
use tlsim_tls::require_handshake;

use crate::config::ServerConfig;
use crate::states::ServerState;
use crate::tls13_psk::{EarlyDataAnswer, accept_psk, send_tickets};

/// RFC 8446 §4.2.1: whether the client offers TLS 1.3 and the server may
/// speak it.
///
/// # Errors
/// The codec's error for a malformed supported_versions; protocol_version
/// for one that lists none of the server's versions (RFC 8446 §4.2.1).
pub(crate) fn negotiates_tls13(config: &ServerConfig, hello: &ClientHello) -> Result<bool, Error> {
    if config.max_version < ProtocolVersion::Tls13 {
        return Ok(false);
    }
    crate::tls13_checks::check_supported_versions(hello, config.min_version)?;
    match ClientSupportedVersions::find_in_client_hello(hello) {
        Some(versions) => Ok(versions?.0.contains(&ProtocolVersion::Tls13)),
        None => Ok(false),
    }
}

/// What the server answers besides the keys: the ALPN protocol chosen and
/// whether the client's server_name was used.
pub(crate) struct Answers {
    pub(crate) alpn: Option<Vec<u8>>,
    pub(crate) server_name: bool,
}

/// RFC 8446 §4.1.1: the server's first suite the client offered.
fn choose_suite(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Result<&'static Tls13CipherSuite, Error> {
    config
        .cipher_suites
        .iter()
        .filter_map(|&s| Tls13CipherSuite::find(s))
        .find(|s| hello.cipher_suites.contains(&s.suite))
        .ok_or_else(|| PeerIncompatible::NoCipherSuiteInCommon.into())
}

/// RFC 8446 §4.2.8: the server's first group for which the client sent a
/// share, with that share.
fn choose_share(config: &ServerConfig, hello: &ClientHello) -> Result<(KxGroup, Vec<u8>), Error> {
    let shares = match ClientKeyShares::find_in_client_hello(hello) {
        Some(shares) => shares?.0,
        None => Vec::new(),
    };
    config
        .groups
        .iter()
        .filter_map(|&g| KxGroup::from_named_curve(g))
        .find_map(|group| {
            shares
                .iter()
                .find(|s| s.group == group.named_curve())
                .map(|s| (group, s.key_exchange.clone()))
        })
        .ok_or_else(|| PeerIncompatible::NoCurveInCommon.into())
}

/// RFC 8446 §4.4.3: the first scheme of the client's signature_algorithms
/// that the certificate's key makes in a TLS 1.3 CertificateVerify
/// (§4.2.3); none is handshake_failure.
fn choose_signature_scheme(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Result<sign::SignatureScheme, Error> {
    let key_type = config.signing_key.key_type();
    hello
        .extensions
        .iter()
        .find_map(|ext| match ext {
            ClientExtension::SignatureAlgorithms(offered) => Some(offered),
            _ => None,
        })
        .into_iter()
        .flatten()
        .filter_map(|&code_point| sign::SignatureScheme::from_code_point(code_point))
        .find(|scheme| scheme.signs_tls13_with(key_type))
        .ok_or_else(|| PeerIncompatible::NoSignatureSchemeInCommon.into())
}

/// The code point of a scheme [`choose_signature_scheme`] chose: each has
/// one.
fn scheme_code_point(scheme: sign::SignatureScheme) -> SignatureScheme {
    scheme
        .code_point()
        .expect("TLS 1.3 CertificateVerify schemes have code points")
}

/// RFC 8446 §4.2.7: the server's first group that the client supports,
/// for a HelloRetryRequest when the client sent no usable share.
fn retry_group(config: &ServerConfig, hello: &ClientHello) -> Option<KxGroup> {
    let supported = hello.extensions.iter().find_map(|ext| match ext {
        ClientExtension::SupportedGroups(groups) => Some(groups),
        _ => None,
    })?;
    config
        .groups
        .iter()
        .filter_map(|&g| KxGroup::from_named_curve(g))
        .find(|g| supported.contains(&g.named_curve()))
}

/// What a HelloRetryRequest fixed: the suite, the group the second
/// Client Hello must share, and the cookie it must echo, if one was sent.
#[derive(Clone)]
pub(crate) struct Retried {
    suite: &'static Tls13CipherSuite,
    group: KxGroup,
    cookie: Option<Vec<u8>>,
}

/// Answers a TLS 1.3 Client Hello, already in the transcript, with the
/// server's whole flight, or with a HelloRetryRequest when the client sent
/// no share for a group both support (once: `retried` is the first
/// request's answer).
pub(crate) fn handle_client_hello(
    config: Arc<ServerConfig>,
    hello: &ClientHello,
    answers: Answers,
    retried: Option<Retried>,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<Box<dyn State>, Error> {
    crate::tls13_checks::check_client_hello(hello)?;
    let suite = choose_suite(&config, hello);
    let share = choose_share(&config, hello);
    let signature = choose_signature_scheme(&config, hello);
    // RFC 8446 §4.2.11: a ticket in pre_shared_key, if the server resumes
    // from it; RFC 8446 §4.2.10: what becomes of early data.
    let (psk, early_data) = match &suite {
        Ok(suite) => accept_psk(
            &config,
            hello,
            suite,
            share.is_ok(),
            retried.is_some(),
            core,
            now,
            tracer,
        )?,
        Err(_) => (None, EarlyDataAnswer::NotOffered),
    };
    if let (Ok(suite), Err(_), Ok(_), None, None) = (&suite, &share, &signature, &retried, &psk) {
        if let Some(group) = retry_group(&config, hello) {
            return send_hello_retry_request(
                config, hello, answers, suite, group, early_data, core, now, tracer,
            );
        }
    }
    // RFC 8446 §4.1.4: the second Client Hello keeps the suite and shares
    // the group asked for, else illegal_parameter.
    if let Some(retried) = &retried {
        crate::tls13_cookie::check_cookie(hello, retried.cookie.as_deref())?;
        let shared_group = share.as_ref().map(|(group, _)| *group);
        if suite.as_ref().map(|s| s.suite) != Ok(retried.suite.suite)
            || shared_group.as_ref().ok() != Some(&retried.group)
        {
            return Err(PeerMisbehaved::IllegalParameter("second Client Hello").into());
        }
    }
    core.ctx.action(
        now,
        tracer,
        "Compare the client crypto parameters with server crypto parameters and finalize the crypto",
        |mut e| {
            e = e
                .field("Client Version", hello.client_version)
                .field("Supported Version", ProtocolVersion::Tls13)
                .field(
                    "Offered Cipher Suites",
                    format!("{} suites", hello.cipher_suites.len()),
                );
            e = match (&suite, &share, &signature) {
                (Ok(suite), share, _) if psk.is_some() => {
                    let e = e
                        .field("Version", ProtocolVersion::Tls13)
                        .field("Cipher Suite", suite.suite);
                    match share {
                        Ok((group, _)) if psk.as_ref().is_some_and(|p| p.with_dhe) => e
                            .field("Key Share Group", group.name())
                            .field("Pre-Shared Key", "resumed (psk_dhe_ke)"),
                        _ => e.field("Pre-Shared Key", "resumed (psk_ke)"),
                    }
                }
                (Ok(suite), Ok((group, _)), Ok(scheme)) => e
                    .field("Version", ProtocolVersion::Tls13)
                    .field("Cipher Suite", suite.suite)
                    .field("Key Share Group", group.name())
                    .field("Signature Scheme", scheme_code_point(*scheme)),
                (Err(err), _, _) | (_, Err(err), _) | (_, _, Err(err)) => e.field("Result", err),
            };
            e.explain(
                "The client offered TLS 1.3 in supported_versions: the server picks a suite, \
                 a group the client already sent a key share for, and a signature scheme.",
            )
        },
    );
    let suite = suite?;
    let share = match &psk {
        Some(p) if !p.with_dhe => None,
        _ => Some(share?),
    };
    // RFC 8446 §4.2.11: a handshake resumed from a PSK sends no
    // certificate, so needs no signature scheme.
    let scheme = match psk {
        None => Some(signature?),
        Some(_) => None,
    };
    let server_random = core.choose_random(
        config.pins.server_random,
        now,
        tracer,
        "Select a Server Random Number",
        "The server picks its own 32 random bytes; in TLS 1.3 they make the transcript, \
         and so every key, unique.",
    );
    let dhe = match share {
        Some((group, client_share)) => Some(server_key_share(
            &config,
            group,
            &client_share,
            core,
            now,
            tracer,
        )?),
        None => None,
    };
    let named_group = dhe.as_ref().map(|d| d.group.named_curve());
    let mut extensions = Vec::new();
    if let Some(dhe) = &dhe {
        extensions.push(
            KeyShareEntry {
                group: dhe.group.named_curve(),
                key_exchange: dhe.public.clone(),
            }
            .to_server_extension(),
        );
    }
    extensions.push(ServerSupportedVersion(ProtocolVersion::Tls13).to_server_extension());
    if psk.is_some() {
        // RFC 8446 §4.2.11: the index of the identity accepted.
        extensions.push(SelectedPsk(0).to_server_extension());
    }
    crate::tls13_pins::order_extensions(&config, &mut extensions);
    // RFC 8446 §4.1.3: legacy_version 0x0303, the client's legacy session
    // ID echoed, the real version in supported_versions.
    let server_hello = ServerHello {
        server_version: ProtocolVersion::Tls12,
        random: Random(server_random),
        session_id: hello.session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::Null,
        extensions,
    };
    core.queue_tls13(&Tls13Message::ServerHello(server_hello));
    core.set_version(ProtocolVersion::Tls13);
    core.negotiated = Some(Negotiated {
        version: ProtocolVersion::Tls13,
        suite: suite.suite,
        group: named_group,
        alpn: answers.alpn.clone(),
        session_id: Vec::new(),
        resumed: psk.is_some(),
        extended_master_secret: false,
    });
    // RFC 8446 Appendix D.4: a client in compatibility mode sends a
    // legacy session ID; the server then sends a dummy change_cipher_spec
    // right after its first Server Hello or HelloRetryRequest.
    if !hello.session_id.is_empty() && retried.is_none() {
        core.queue_compatibility_change_cipher_spec(tracer.enabled());
    }
    let resumed = psk.is_some();
    let shared = dhe.as_ref().map(|d| d.shared.as_slice());
    let (secrets, early_traffic) = match psk {
        None => (
            core.tls13_handshake_secrets(
                now,
                tracer,
                suite,
                hello.random.0,
                shared.expect("a full handshake has a key share"),
            ),
            None,
        ),
        Some(psk) => (
            core.tls13_handshake_secrets_from(
                now,
                tracer,
                suite,
                hello.random.0,
                psk.early,
                shared,
            ),
            psk.early_traffic,
        ),
    };
    core.tls13_switch_keys(
        now,
        tracer,
        &secrets,
        &secrets.server_handshake,
        Direction::Write,
        "Server handshake traffic keys",
    )?;
    let mut extensions = Vec::new();
    if answers.server_name && crate::tls13_pins::acknowledges(&config, ExtensionType::ServerName) {
        extensions.push(ServerExtension::ServerNameAck);
    }
    if let Some(protocol) = &answers.alpn {
        extensions.push(ServerExtension::Alpn(vec![protocol.clone()]));
    }
    if let EarlyDataAnswer::Accepted(_) = early_data {
        // RFC 8446 §4.2.10: early_data in EncryptedExtensions accepts.
        extensions.push(EarlyDataOffer.to_server_extension());
    }
    extensions.extend(crate::tls13_pins::opaque_encrypted_extensions(
        &config, hello,
    ));
    crate::tls13_pins::order_extensions(&config, &mut extensions);
    core.queue_tls13(&Tls13Message::EncryptedExtensions(EncryptedExtensions {
        extensions,
    }));
    // RFC 8446 §4.3.2: a server authenticating with a PSK asks for no
    // certificate.
    let certificate_requested =
        !resumed && crate::client_auth::request_certificate13(&config, core);
    if let Some(scheme) = scheme {
        send_certificate(&config, suite, scheme, core, now, tracer)?;
    }
    let verify_data = core.tls13_finished(
        now,
        tracer,
        &secrets,
        &secrets.server_handshake,
        core.transcript.all(),
        "Compute the server Finished",
    );
    core.queue_tls13(&Tls13Message::Finished(Finished13 { verify_data }));
    let mut secrets = secrets;
    core.tls13_application_secrets(now, tracer, &mut secrets);
    core.tls13_switch_keys(
        now,
        tracer,
        &secrets,
        &secrets.server_application,
        Direction::Write,
        "Server application traffic keys",
    )?;
    core.flush(now, tracer);
    if let (EarlyDataAnswer::Accepted(size), Some(early_traffic)) = (early_data, &early_traffic) {
        core.tls13_switch_keys(
            now,
            tracer,
            &secrets,
            early_traffic,
            Direction::Read,
            "Client early traffic keys",
        )?;
        core.accept_early_data(size as usize);
        return Ok(Box::new(ExpectEndOfEarlyData { config, secrets }));
    }
    core.tls13_switch_keys(
        now,
        tracer,
        &secrets,
        &secrets.client_handshake,
        Direction::Read,
        "Client handshake traffic keys",
    )?;
    core.take_plaintext_alerts();
    if let EarlyDataAnswer::Rejected(size) = early_data {
        core.skip_rejected_early_data(size as usize);
    }
    let next = ExpectFinished {
        config: config.clone(),
        secrets,
        resumed,
    };
    // RFC 8446 §4.4.2: a client asked for a certificate sends it (maybe
    // empty) before its Finished.
    if certificate_requested {
        Ok(Box::new(crate::client_auth::ExpectCertificate13 {
            config,
            next,
        }))
    } else {
        Ok(Box::new(next))
    }
}

/// The server's ephemeral key pair on the client's group and the shared
/// secret, logged.
struct ServerShare {
    group: KxGroup,
    public: Vec<u8>,
    shared: Vec<u8>,
}

fn server_key_share(
    config: &ServerConfig,
    group: KxGroup,
    client_share: &[u8],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<ServerShare, Error> {
    let (secret, public) =
        core.ephemeral_key(group, config.pins.ephemeral_private_key.as_deref())?;
    let shared = secret.agree(client_share).map_err(crypto_error)?;
    core.ctx.action(now, tracer, "Server: Key Share", |e| {
        e.field("Group", group.name())
            .field("Server Private Key", hex(secret.private_bytes()))
            .field("Server Public Key", hex(&public))
            .field("Client Public Key", hex(client_share))
            .field("Shared Secret", hex(&shared))
            .explain(
                "The server makes its own key pair on the client's group and combines its \
                 private key with the client's share: both now hold the same secret.",
            )
    });
    Ok(ServerShare {
        group,
        public,
        shared,
    })
}

/// RFC 8446 §4.4.2, §4.4.3: the server's chain and its signature over the
/// transcript; a resumed handshake sends neither.
fn send_certificate(
    config: &ServerConfig,
    suite: &'static Tls13CipherSuite,
    scheme: sign::SignatureScheme,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(), Error> {
    core.queue_tls13(&Tls13Message::Certificate(Certificate13::from_chain(
        &config.cert_chain,
    )));
    let transcript_hash = suite.hash.hash(core.transcript.all());
    let content = certificate_verify_content(Side::Server, &transcript_hash);
    let signature = sign_certificate_verify(config, scheme, &content, core)?;
    core.ctx
        .action(now, tracer, "Sign the Certificate Verify", |e| {
            e.field("Signature Scheme", scheme_code_point(scheme))
                .field(
                    "Signed Content",
                    "64 spaces + \"TLS 1.3, server CertificateVerify\" + 0 + transcript hash",
                )
                .field("Transcript Hash", hex(&transcript_hash))
                .field("Signature", hex(&signature))
                .explain(
                    "The server signs the hash of every handshake message so far with its \
                 certificate's key, proving it holds that key.",
                )
        });
    core.queue_tls13(&Tls13Message::CertificateVerify(CertificateVerify {
        scheme: scheme_code_point(scheme),
        signature,
    }));
    Ok(())
}

/// The CertificateVerify signature: the pinned one, or one made with the
/// pinned RSA-PSS salt (RFC 8017 §9.1.1), or a fresh one.
fn sign_certificate_verify(
    config: &ServerConfig,
    scheme: sign::SignatureScheme,
    content: &[u8],
    core: &mut Core,
) -> Result<Vec<u8>, Error> {
    let key = &config.signing_key;
    match (&config.pins.signature, &config.pins.pss_salt) {
        (Some(pinned), _) => Ok(pinned.clone()),
        (None, Some(salt)) if scheme.is_pss() => {
            key.sign_with_pss_salt(scheme, content, salt, &mut core.rng)
        }
        _ => key.sign(scheme, content, &mut core.rng),
    }
    .map_err(crypto_error)
}

/// RFC 8446 §4.5: 0-RTT data accepted, waiting for EndOfEarlyData under
/// the client's early traffic keys.
struct ExpectEndOfEarlyData {
    config: Arc<ServerConfig>,
    secrets: Tls13Secrets,
}

impl State for ExpectEndOfEarlyData {
    fn name(&self) -> &'static str {
        ServerState::ExpectEndOfEarlyData.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        expect_tls13(input, &[HandshakeType::EndOfEarlyData])?;
        core.end_early_data();
        core.tls13_switch_keys(
            now,
            tracer,
            &self.secrets,
            &self.secrets.client_handshake,
            Direction::Read,
            "Client handshake traffic keys",
        )?;
        Ok(Box::new(ExpectFinished {
            config: self.config,
            secrets: self.secrets,
            resumed: true,
        }))
    }
}

/// RFC 8446 §4.1.4: asks the client for a share on `group`, replacing the
/// first Client Hello in the transcript by its `message_hash` (§4.4.1);
/// rejected 0-RTT data is skipped until the second Client Hello.
#[allow(
    clippy::too_many_arguments,
    reason = "the hand-over from the version-neutral Client Hello state"
)]
fn send_hello_retry_request(
    config: Arc<ServerConfig>,
    hello: &ClientHello,
    answers: Answers,
    suite: &'static Tls13CipherSuite,
    group: KxGroup,
    early_data: EarlyDataAnswer,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<Box<dyn State>, Error> {
    let named_group = group.named_curve();
    let replaced = message_hash(suite.hash, core.transcript.all());
    core.ctx
        .action(now, tracer, "Send a HelloRetryRequest", |e| {
            e.field("Cipher Suite", suite.suite)
                .field("Key Share Group", group.name())
                .field("message_hash", hex(&replaced))
                .explain(
                    "The client sent no key share for a group the server accepts: the server \
                 names one, and the transcript keeps only the hash of the first Client Hello.",
                )
        });
    core.transcript.replace_first(&replaced);
    let mut extensions = vec![
        ServerSupportedVersion(ProtocolVersion::Tls13).to_server_extension(),
        HelloRetryKeyShare(named_group).to_server_extension(),
    ];
    let cookie = crate::tls13_cookie::make_cookie(&config, core, suite, &replaced, now, tracer);
    if let Some(cookie) = &cookie {
        extensions.push(Cookie(cookie.clone()).to_server_extension());
    }
    crate::tls13_pins::order_extensions(&config, &mut extensions);
    core.queue_tls13(&Tls13Message::ServerHello(ServerHello {
        server_version: ProtocolVersion::Tls12,
        random: HELLO_RETRY_REQUEST_RANDOM,
        session_id: hello.session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::Null,
        extensions,
    }));
    // The client's compatibility change_cipher_spec may come next.
    core.set_version(ProtocolVersion::Tls13);
    if !hello.session_id.is_empty() {
        core.queue_compatibility_change_cipher_spec(tracer.enabled());
    }
    core.flush(now, tracer);
    // RFC 8446 §4.2.10: the 0-RTT data sent with the first Client Hello is
    // skipped.
    if let EarlyDataAnswer::Rejected(size) = early_data {
        core.skip_rejected_early_data(size as usize);
    }
    Ok(Box::new(ExpectSecondClientHello {
        config,
        answers,
        retried: Retried {
            suite,
            group,
            cookie,
        },
    }))
}

/// Waiting for the Client Hello that answers the HelloRetryRequest.
struct ExpectSecondClientHello {
    config: Arc<ServerConfig>,
    answers: Answers,
    retried: Retried,
}

impl State for ExpectSecondClientHello {
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
        if !negotiates_tls13(&self.config, hello)? {
            return Err(PeerMisbehaved::IllegalParameter("second Client Hello").into());
        }
        // The first hello's 0-RTT data ends here (RFC 8446 §4.2.10).
        core.end_early_data();
        handle_client_hello(
            self.config,
            hello,
            self.answers,
            Some(self.retried),
            core,
            now,
            tracer,
        )
    }
}

/// Waiting for the client's Finished, under the client handshake keys.
pub(crate) struct ExpectFinished {
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) secrets: Tls13Secrets,
    pub(crate) resumed: bool,
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
        let (_, finished) = expect_tls13(input, &[HandshakeType::Finished])?;
        let Tls13Message::Finished(finished) = finished else {
            unreachable!("expect_tls13 returned the one type asked for");
        };
        let secrets = self.secrets;
        let expected = core.tls13_finished(
            now,
            tracer,
            &secrets,
            &secrets.client_handshake,
            core.transcript.before_current(),
            "Verify the client Finished",
        );
        check_verify_data(&expected, &finished.verify_data)?;
        core.tls13_switch_keys(
            now,
            tracer,
            &secrets,
            &secrets.client_application,
            Direction::Read,
            "Client application traffic keys",
        )?;
        core.complete_handshake(now, tracer, self.resumed);
        if let Some(tickets) = &self.config.tls13_tickets {
            send_tickets(tickets, &secrets, core, now, tracer);
        }
        core.tls13_keep_application_secrets(secrets, Side::Server);
        Ok(Box::new(Connected))
    }
}

/// The handshake is over; besides application data and alerts only a
/// KeyUpdate may come (RFC 8446 §4.6.3), which moves the read keys (no
/// post-handshake authentication).
struct Connected;

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
            handshake => {
                let (_, message) = expect_tls13(handshake, &[HandshakeType::KeyUpdate])?;
                let Tls13Message::KeyUpdate(update) = message else {
                    unreachable!("expect_tls13 returned the one type asked for");
                };
                core.tls13_receive_key_update(now, tracer, update)?;
                Ok(self)
            }
        }
    }
}
