//! Asking for and checking a client certificate, when the configuration's
//! [`ClientAuthPolicy`] is not `None`.
//!
//! Read first: RFC 5246 §7.4.4 (CertificateRequest), §7.4.6 (the client's
//! Certificate), §7.4.8 (CertificateVerify); RFC 8446 §4.3.2, §4.4.2,
//! §4.4.2.4 (a missing certificate), §4.4.3.
//!
//! TLS 1.2: the request goes before Server Hello Done; the client's
//! Certificate comes first in its flight ([`ExpectCertificate`]), its
//! CertificateVerify after the Client Key Exchange
//! ([`ExpectCertificateVerify`]), signed over every message before it.
//! TLS 1.3: the request follows EncryptedExtensions; the client's
//! Certificate and CertificateVerify come before its Finished
//! ([`ExpectCertificate13`], [`ExpectCertificateVerify13`]).
//!
//! A chain is verified on the simulated clock against the configured
//! anchors; the key of a verified chain is held as a [`VerifiedClientKey`],
//! the proof the CertificateVerify state needs. Extended key usage is not
//! checked (the chain check does not read it).

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::conn::{
    ChainCheck, Core, Input, State, StateName, expect_tls13, verify_certificate_chain,
    verify_certificate_verify13, verify_client_signature,
};
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::crypto::sign::{self, DEFAULT_SIGNATURE_ALGORITHMS, PublicKey};
use tlsim_tls::enums::{ClientCertificateType, HandshakeType, ProtocolVersion, SignatureScheme};
use tlsim_tls::error::{Error, PeerIncompatible, PeerMisbehaved};
use tlsim_tls::msgs::tls13::Tls13Message;
use tlsim_tls::msgs::{
    CertificateRequest, CertificateRequest13, DigitallySigned, HandshakeMessage,
};
use tlsim_tls::require_handshake;

use crate::config::{ClientAuth, ClientAuthPolicy, ServerConfig};
use crate::states::ServerState;

/// RFC 8446 §4.4.3: the schemes a TLS 1.3 client may sign its
/// CertificateVerify with that tlsim verifies (no PKCS#1 v1.5, no SHA-1).
const TLS13_CLIENT_SCHEMES: [SignatureScheme; 6] = [
    SignatureScheme::EcdsaSecp256r1Sha256,
    SignatureScheme::RsaPssRsaeSha256,
    SignatureScheme::RsaPssRsaeSha384,
    SignatureScheme::RsaPssRsaeSha512,
    SignatureScheme::EcdsaSecp384r1Sha384,
    SignatureScheme::Ed25519,
];

/// The DER subjects of the anchors: the authorities a request names.
fn authorities(auth: &ClientAuth) -> Vec<Vec<u8>> {
    (auth.trust_anchors.parsed().iter())
        .map(|anchor| anchor.subject_der.clone())
        .collect()
}

/// Queues a TLS 1.0–1.2 CertificateRequest if the policy asks for a
/// certificate, and says whether it did.
pub(crate) fn request_certificate(
    config: &ServerConfig,
    version: ProtocolVersion,
    core: &mut Core,
) -> bool {
    if config.client_auth.policy == ClientAuthPolicy::None {
        return false;
    }
    // RFC 5246 §7.4.4: the types and (TLS 1.2) the signature algorithms
    // the server can verify, the authorities it trusts.
    let request = CertificateRequest {
        certificate_types: vec![
            ClientCertificateType::RsaSign,
            ClientCertificateType::EcdsaSign,
        ],
        signature_algorithms: (version >= ProtocolVersion::Tls12)
            .then(|| DEFAULT_SIGNATURE_ALGORITHMS.to_vec()),
        certificate_authorities: authorities(&config.client_auth),
    };
    core.queue_handshake(&HandshakeMessage::Unknown {
        typ: HandshakeType::CertificateRequest,
        body: request.to_bytes(),
    });
    true
}

/// Queues a TLS 1.3 CertificateRequest if the policy asks for a
/// certificate, and says whether it did.
pub(crate) fn request_certificate13(config: &ServerConfig, core: &mut Core) -> bool {
    if config.client_auth.policy == ClientAuthPolicy::None {
        return false;
    }
    // RFC 8446 §4.3.2: an empty context during the handshake, the
    // signature_algorithms that "MUST be specified", the authorities.
    let request = CertificateRequest13::new(
        TLS13_CLIENT_SCHEMES.to_vec(),
        authorities(&config.client_auth),
    );
    core.queue_tls13(&Tls13Message::CertificateRequest(request));
    true
}

/// The key of a client chain that verified: what a CertificateVerify is
/// checked with, held only once [`verify_client_chain`] accepted the chain.
pub(crate) struct VerifiedClientKey(PublicKey);

/// RFC 5246 §7.4.6, RFC 8446 §4.4.2.4: an empty chain is accepted only
/// when the certificate is optional (`None`), a non-empty one must verify.
///
/// # Errors
/// handshake_failure (TLS 1.2) or certificate_required (TLS 1.3) for an
/// empty chain a `Required` policy refuses; the chain's certificate error.
fn verify_client_chain(
    auth: &ClientAuth,
    version: ProtocolVersion,
    chain: &[Vec<u8>],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<Option<VerifiedClientKey>, Error> {
    if chain.is_empty() {
        let required = auth.policy == ClientAuthPolicy::Required;
        core.ctx
            .action(now, tracer, "Accept an empty client Certificate", |e| {
                e.field("Client Authentication", format!("{:?}", auth.policy))
                    .field(
                        "Result",
                        if required {
                            "refused: a certificate is required"
                        } else {
                            "accepted: the client stays anonymous"
                        },
                    )
                    .explain(
                        "The client has no certificate to offer; a server that only asked \
                         goes on without one, a server that requires one ends the handshake.",
                    )
            });
        return if required {
            Err(PeerIncompatible::ClientCertificateRequired(version).into())
        } else {
            Ok(None)
        };
    }
    let check = ChainCheck {
        peer: Side::Client,
        trust_anchors: &auth.trust_anchors,
        name: None,
        common_name_fallback: false,
        now_unix: auth.now_unix,
        cache: None,
    };
    let key = verify_certificate_chain(&check, chain, core, now, tracer)?;
    Ok(Some(VerifiedClientKey(key)))
}

/// TLS 1.2: waiting for the client's Certificate, the first message of its
/// flight; the Client Key Exchange follows.
pub(crate) struct ExpectCertificate {
    pub(crate) next: crate::hs::ExpectClientKeyExchange,
}

impl State for ExpectCertificate {
    fn name(&self) -> &'static str {
        ServerState::ExpectCertificate.name()
    }

    fn handle(
        mut self: Box<Self>,
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
        let next = &mut self.next;
        next.client_key = verify_client_chain(
            &next.flow.config.client_auth,
            next.params.version,
            &certificate.chain,
            core,
            now,
            tracer,
        )?;
        Ok(Box::new(self.next))
    }
}

/// TLS 1.2: waiting for the signature over the handshake so far, from the
/// client whose chain verified; its Change Cipher Spec follows.
pub(crate) struct ExpectCertificateVerify {
    pub(crate) client_key: VerifiedClientKey,
    pub(crate) version: ProtocolVersion,
    pub(crate) next: Box<dyn State>,
}

impl State for ExpectCertificateVerify {
    fn name(&self) -> &'static str {
        ServerState::ExpectCertificateVerify.name()
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
            HandshakeType::CertificateVerify,
            HandshakeMessage::Unknown { body, .. } => body
        )?;
        let mut r = tlsim_tls::codec::Reader::new(body);
        let signed = DigitallySigned::read_versioned(&mut r, self.version)?;
        r.expect_empty("CertificateVerify")?;
        let key = &self.client_key.0;
        // RFC 5246 §7.4.8: the algorithm "MUST be one of those present in
        // the supported_signature_algorithms field of the
        // CertificateRequest"; before TLS 1.2 the key's type decides it.
        let scheme = match signed.algorithm {
            Some(algorithm) => sign::SignatureScheme::from_code_point(algorithm)
                .filter(|s| {
                    DEFAULT_SIGNATURE_ALGORITHMS.contains(&algorithm)
                        && s.signs_with(key.key_type())
                })
                .ok_or(PeerMisbehaved::IllegalParameter("signature algorithm"))?,
            None => sign::SignatureScheme::default_for(key.key_type(), self.version.get()),
        };
        // "digitally-signed struct { opaque handshake_messages[...]; }":
        // every message before this one.
        let handshake_messages = core.transcript.before_current().to_vec();
        verify_client_signature(
            key,
            scheme,
            &handshake_messages,
            "every handshake message before the Certificate Verify",
            &signed.signature,
            core,
            now,
            tracer,
        )?;
        Ok(self.next)
    }
}

/// TLS 1.3: waiting for the client's Certificate, under the client
/// handshake keys, before its Finished.
pub(crate) struct ExpectCertificate13 {
    pub(crate) config: std::sync::Arc<ServerConfig>,
    pub(crate) next: crate::tls13::ExpectFinished,
}

impl State for ExpectCertificate13 {
    fn name(&self) -> &'static str {
        ServerState::ExpectCertificate.name()
    }

    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error> {
        let (_, decoded) = expect_tls13(input, &[HandshakeType::Certificate])?;
        let Tls13Message::Certificate(certificate) = decoded else {
            unreachable!("expect_tls13 returned the one type asked for");
        };
        // RFC 8446 §4.4.2: the context echoes the request's, empty here.
        if !certificate.context.is_empty() {
            return Err(PeerMisbehaved::IllegalParameter("certificate_request_context").into());
        }
        let client_key = verify_client_chain(
            &self.config.client_auth,
            ProtocolVersion::Tls13,
            &certificate.chain(),
            core,
            now,
            tracer,
        )?;
        Ok(match client_key {
            Some(client_key) => Box::new(ExpectCertificateVerify13 {
                client_key,
                next: self.next,
            }),
            None => Box::new(self.next),
        })
    }
}

/// TLS 1.3: waiting for the client's CertificateVerify over the transcript
/// hash; its Finished follows.
struct ExpectCertificateVerify13 {
    client_key: VerifiedClientKey,
    next: crate::tls13::ExpectFinished,
}

impl State for ExpectCertificateVerify13 {
    fn name(&self) -> &'static str {
        ServerState::ExpectCertificateVerify.name()
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
        verify_certificate_verify13(
            Side::Client,
            &self.client_key.0,
            &TLS13_CLIENT_SCHEMES,
            &verify,
            self.next.secrets.suite.hash,
            core,
            now,
            tracer,
        )?;
        Ok(Box::new(self.next))
    }
}
