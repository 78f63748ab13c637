//! Answering a server's CertificateRequest: with the configured
//! certificate and a CertificateVerify, or with an empty Certificate.
//!
//! Read first: RFC 5246 §7.4.4, §7.4.6 ("If no suitable certificate is
//! available, the client MUST send a certificate message containing no
//! certificates"), §7.4.8; RFC 8446 §4.3.2, §4.4.2, §4.4.3.
//!
//! The signature scheme is the first of the server's list that the key
//! signs with (in TLS 1.3, one of the schemes RFC 8446 §4.4.3 allows).
//! A certificate whose key type or scheme the request does not admit is
//! not sent: the answer is then an empty Certificate, as for a client with
//! none.

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::cert::Certificate;
use tlsim_tls::codec::hex;
use tlsim_tls::conn::{Core, crypto_error};
use tlsim_tls::crypto::sign::{self, KeyType};
use tlsim_tls::enums::{ClientCertificateType, ProtocolVersion, SignatureScheme};
use tlsim_tls::error::Error;

use crate::config::{ClientCertificate, ClientConfig};

/// What the server's request asks for, in either version's form.
pub(crate) struct Request<'a> {
    /// TLS 1.0–1.2: the certificate types; `None` in TLS 1.3.
    pub(crate) certificate_types: Option<&'a [ClientCertificateType]>,
    /// The signature schemes; `None` before TLS 1.2.
    pub(crate) signature_algorithms: Option<&'a [SignatureScheme]>,
    /// How many authorities it names.
    pub(crate) authorities: usize,
    /// The handshake's version.
    pub(crate) version: ProtocolVersion,
}

/// The client's answer: its certificate and the scheme it signs with, or
/// nothing (an empty Certificate).
pub(crate) struct CertificateAnswer {
    signer: Option<(ClientCertificate, sign::SignatureScheme)>,
}

impl CertificateAnswer {
    /// The chain to send: empty when the client has nothing suitable.
    pub(crate) fn chain(&self) -> Vec<Vec<u8>> {
        self.signer
            .as_ref()
            .map(|(certificate, _)| certificate.chain.clone())
            .unwrap_or_default()
    }

    /// Signs `message` for the CertificateVerify, logging what was signed;
    /// `None` when the answer is an empty Certificate.
    ///
    /// # Errors
    /// internal_error if the key cannot sign with the chosen scheme.
    pub(crate) fn sign(
        &self,
        message: &[u8],
        signed_content: &str,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Option<(sign::SignatureScheme, Vec<u8>)>, Error> {
        let Some((certificate, scheme)) = &self.signer else {
            return Ok(None);
        };
        let signature = certificate
            .signing_key
            .sign(*scheme, message, &mut core.rng)
            .map_err(crypto_error)?;
        core.ctx
            .action(now, tracer, "Sign the client Certificate Verify", |e| {
                e.field("Signature Algorithm", scheme.name())
                    .field("Signed Content", signed_content)
                    .field("Signature", hex(&signature))
                    .explain(
                        "The client signs the handshake so far with its certificate's \
                         private key, proving to the server that the certificate is its own.",
                    )
            });
        Ok(Some((*scheme, signature)))
    }
}

/// RFC 8446 §4.4.3: TLS 1.3 signs with neither SHA-1 nor RSA PKCS#1 v1.5.
fn allowed_in_tls13(scheme: sign::SignatureScheme) -> bool {
    matches!(
        scheme,
        sign::SignatureScheme::EcdsaSha256
            | sign::SignatureScheme::EcdsaSha384
            | sign::SignatureScheme::Ed25519
            | sign::SignatureScheme::RsaPssSha256
            | sign::SignatureScheme::RsaPssSha384
            | sign::SignatureScheme::RsaPssSha512
    )
}

/// The scheme `key_type` signs the CertificateVerify with under
/// `request`, if any.
fn choose_scheme(request: &Request<'_>, key_type: KeyType) -> Option<sign::SignatureScheme> {
    let type_admitted = request.certificate_types.is_none_or(|types| {
        types.contains(&match key_type {
            KeyType::Rsa => ClientCertificateType::RsaSign,
            // RFC 8422 §3: ecdsa_sign stands for EdDSA keys too.
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::Ed25519 => {
                ClientCertificateType::EcdsaSign
            }
        })
    });
    if !type_admitted {
        return None;
    }
    let tls13 = request.version >= ProtocolVersion::Tls13;
    match request.signature_algorithms {
        // RFC 5246 §7.4.8: "MUST be one of those present in the
        // supported_signature_algorithms field".
        Some(offered) => offered
            .iter()
            .filter_map(|&code_point| sign::SignatureScheme::from_code_point(code_point))
            .find(|&s| s.signs_with(key_type) && (!tls13 || allowed_in_tls13(s))),
        // Before TLS 1.2 the key's type decides (RFC 4346 §7.4.8).
        None => Some(sign::SignatureScheme::default_for(
            key_type,
            request.version.get(),
        )),
    }
}

/// Decides how to answer `request` and logs it.
pub(crate) fn answer(
    config: &ClientConfig,
    request: &Request<'_>,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> CertificateAnswer {
    let configured = config.client_certificate.as_ref();
    let scheme = configured.and_then(|c| choose_scheme(request, c.signing_key.key_type()));
    core.ctx
        .action(now, tracer, "Answer the Certificate Request", |mut e| {
            if let Some(types) = request.certificate_types {
                e = e.field("Certificate Types", format!("{} types", types.len()));
            }
            if let (Some(schemes), Some(_)) = (request.signature_algorithms, configured) {
                e = e.field(
                    "Signature Algorithms",
                    format!("{} algorithms", schemes.len()),
                );
            }
            e = e.field(
                "Certificate Authorities",
                format!("{} names", request.authorities),
            );
            e = match (configured, scheme) {
                (None, _) => e.field("Client Certificate", "none configured"),
                (Some(certificate), scheme) => {
                    let subject = certificate
                        .chain
                        .first()
                        .and_then(|der| Certificate::parse(der).ok())
                        .map(|leaf| leaf.subject.to_wireshark_string())
                        .unwrap_or_else(|| "an unreadable certificate".to_owned());
                    let e = e.field("Client Certificate", subject);
                    match scheme {
                        Some(scheme) => e.field("Signature Algorithm", scheme.name()),
                        None => e.field(
                            "Result",
                            "the request admits neither its key type nor a signature \
                             algorithm it signs with",
                        ),
                    }
                }
            };
            e.field(
                "Answer",
                if scheme.is_some() {
                    "its Certificate, then a Certificate Verify"
                } else {
                    "an empty Certificate message"
                },
            )
            .explain(
                "The server asks the client to prove who it is with a certificate; a \
                 client without one says so with an empty certificate list, and the \
                 server decides whether to go on.",
            )
        });
    CertificateAnswer {
        signer: configured.cloned().zip(scheme),
    }
}
