//! Authenticating the peer: its certificate chain, checked on the
//! simulated clock, and the signature that proves it holds the leaf's key.
//! The client checks the server with these; a server that asks for a
//! client certificate checks the client the same way.
//!
//! Read first: RFC 5246 §7.4.2 and §7.4.6 (the chains), §7.4.8 (the
//! client's CertificateVerify); RFC 8446 §4.4.2 and §4.4.3.

use tlsim_sim::{Instant, Tracer};

use super::{Core, certificate_error, crypto_error};
use crate::cert::{
    CertError, TrustAnchors, VerificationCache, leaf_matches_host, parse_chain, verify_chain,
};
use crate::codec::hex;
use crate::crypto::cipher::Side;
use crate::crypto::key_schedule::HkdfHash;
use crate::crypto::sign::{PublicKey, SignatureScheme};
use crate::enums::SignatureScheme as CodePoint;
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::tls13::{CertificateVerify, certificate_verify_content};

/// What a chain is checked against.
pub struct ChainCheck<'a> {
    /// Whose chain it is: the server's, or a client's.
    pub peer: Side,
    /// The trusted roots.
    pub trust_anchors: &'a TrustAnchors,
    /// The name the leaf must carry, if checked.
    pub name: Option<&'a str>,
    /// RFC 6125 §6.4.4: a leaf without DNS names may match `name` by its
    /// subject's common name.
    pub common_name_fallback: bool,
    /// Calendar time (Unix seconds) at simulated time zero.
    pub now_unix: u64,
    /// Signatures verified before, if shared.
    pub cache: Option<&'a std::sync::Mutex<VerificationCache>>,
}

/// Validates `chain_der` (RFC 5280 path, validity, name) with an action
/// that shows each link, and returns the leaf's public key.
///
/// # Errors
/// The certificate error's alert; bad_certificate for an empty chain.
pub fn verify_certificate_chain(
    check: &ChainCheck<'_>,
    chain_der: &[Vec<u8>],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<PublicKey, Error> {
    let now_unix = check.now_unix + now.as_nanos() / 1_000_000_000;
    let name = check.name;
    // With the common-name fallback the name is checked after the chain.
    let chain_name = name.filter(|_| !check.common_name_fallback);
    // A shared cache also answers for the parsing: the same chain under the
    // same roots is parsed once.
    let (chain, result) = match check.cache {
        Some(cache) => {
            let mut cache = super::lock(cache);
            let chain = cache.parsed_chain(chain_der).map_err(certificate_error)?;
            let anchors = check.trust_anchors.parsed();
            let result = verify_chain(&chain, anchors, chain_name, now_unix, &mut cache);
            (chain, result)
        }
        None => {
            let chain = parse_chain(chain_der).map_err(certificate_error)?;
            let result = verify_chain(
                &chain,
                check.trust_anchors.parsed(),
                chain_name,
                now_unix,
                &mut VerificationCache::new(),
            );
            (chain, result)
        }
    };
    let result = result.and_then(|report| match name {
        Some(host)
            if check.common_name_fallback
                && !chain
                    .first()
                    .is_some_and(|leaf| leaf_matches_host(leaf, host, true)) =>
        {
            Err(CertError::NameMismatch)
        }
        _ => Ok(report),
    });
    let (title, explain) = match check.peer {
        Side::Server => (
            "Verify the certificate chain",
            "Each certificate must be signed by the next, be valid today, and end at \
                     a trusted root; the first must name the server.",
        ),
        Side::Client => (
            "Verify the client certificate chain",
            "The client's certificates must each be signed by the next, be valid today, \
             and end at a root the server trusts; then the client must prove it holds \
             the first one's key.",
        ),
    };
    core.ctx.action(now, tracer, title, |mut e| {
        for (i, cert) in chain.iter().enumerate() {
            e = e
                .field(
                    format!("Certificate {i} Subject"),
                    cert.subject.to_wireshark_string(),
                )
                .field(
                    format!("Certificate {i} Issuer"),
                    cert.issuer.to_wireshark_string(),
                );
        }
        e = e.field("Time", tlsim_sim::calendar::format_utc(now_unix));
        if let Some(name) = name {
            e = e.field("Server Name", name);
        }
        match &result {
            Ok(report) => {
                for link in &report.links {
                    let cert = &chain[link.certificate];
                    e = e.field(
                        "Signature",
                        format!(
                            "{} signed by {}: valid{}",
                            cert.subject.to_wireshark_string(),
                            cert.issuer.to_wireshark_string(),
                            if link.cached { " (from cache)" } else { "" }
                        ),
                    );
                }
                if let Some(i) = report.anchor_in_chain {
                    e = e.field(
                        "Trust Anchor",
                        format!("certificate {i} is itself a trusted certificate"),
                    );
                }
                e = e.field("Result", "trusted");
                if report.from_cache {
                    e = e.field("From Cache", true);
                }
            }
            Err(err) => e = e.field("Result", err),
        }
        e.explain(explain)
    });
    result.map_err(certificate_error)?;
    Ok(chain
        .first()
        .ok_or(PeerMisbehaved::EmptyCertificateChain)?
        .public_key
        .clone())
}

/// Checks the client's CertificateVerify `signature` over `signed` with
/// the key of its verified chain, and logs the check.
///
/// # Errors
/// decrypt_error when the signature does not verify (RFC 5246 §7.2.2,
/// RFC 8446 §6.2); illegal_parameter for a scheme of another key type.
#[allow(
    clippy::too_many_arguments,
    reason = "what the log shows of the check, beside the check"
)]
pub fn verify_client_signature(
    client_key: &PublicKey,
    scheme: SignatureScheme,
    signed: &[u8],
    signed_content: &str,
    signature: &[u8],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(), Error> {
    let verified = client_key.verify(scheme, signed, signature);
    core.ctx.action(
        now,
        tracer,
        "Verify the client Certificate Verify signature",
        |e| {
            e.field("Signature Algorithm", scheme.name())
                .field("Signed Content", signed_content)
                .field("Signature", hex(signature))
                .field("Result", if verified.is_ok() { "valid" } else { "invalid" })
                .explain(
                    "The client signed the handshake so far with its certificate's key: a \
                     valid signature proves it holds that key, so the certificate is its own.",
                )
        },
    );
    verified.map_err(crypto_error)
}

/// RFC 8446 §4.4.3: checks the peer's TLS 1.3 CertificateVerify with the
/// key of its verified chain, over the transcript up to the certificate
/// (hashed with `hash`), and logs the check. The scheme must be one of
/// those `offered` (the client's signature_algorithms, or the server's
/// CertificateRequest) and one the key makes in TLS 1.3 (§4.2.3).
///
/// # Errors
/// illegal_parameter for a scheme not offered or not of the key's type;
/// decrypt_error when the signature does not verify.
#[allow(
    clippy::too_many_arguments,
    reason = "the check needs the connection, the clock and the log beside its inputs"
)]
pub fn verify_certificate_verify13(
    signer: Side,
    key: &PublicKey,
    offered: &[CodePoint],
    verify: &CertificateVerify,
    hash: HkdfHash,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(), Error> {
    let scheme = SignatureScheme::from_code_point(verify.scheme)
        .filter(|s| offered.contains(&verify.scheme) && s.signs_tls13_with(key.key_type()))
        .ok_or(PeerMisbehaved::IllegalParameter(
            "CertificateVerify signature scheme",
        ))?;
    let transcript_hash = hash.hash(core.transcript.before_current());
    let content = certificate_verify_content(signer, &transcript_hash);
    if signer == Side::Client {
        return verify_client_signature(
            key,
            scheme,
            &content,
            &format!(
                "64 spaces + \"TLS 1.3, client CertificateVerify\" + 0 + transcript hash {}",
                hex(&transcript_hash)
            ),
            &verify.signature,
            core,
            now,
            tracer,
        );
    }
    let verified = key.verify(scheme, &content, &verify.signature);
    core.ctx.action(
        now,
        tracer,
        "Verify the Certificate Verify signature",
        |e| {
            e.field("Signature Scheme", verify.scheme)
                .field("Transcript Hash", hex(&transcript_hash))
                .field("Signature", hex(&verify.signature))
                .field("Result", if verified.is_ok() { "valid" } else { "invalid" })
                .explain(
                    "The server signed the hash of the handshake so far with its \
                     certificate's key; a valid signature ties the certificate to this \
                     handshake.",
                )
        },
    );
    verified.map_err(crypto_error)
}
