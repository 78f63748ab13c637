//! Making a scenario's keys and certificates when the run starts.
//!
//! Everything is deterministic: P-256, P-384 and Ed25519 keys come from
//! the random stream `pki key <name>`, other keys and certificates from
//! files shipped beside the scenario, and signatures are deterministic
//! (RFC 6979 for ECDSA, RFC 8032 for Ed25519; PKCS#1 v1.5 for RSA).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tlsim_sim::RngStream;
use tlsim_tls::cert::{
    Certificate, CertificateParams, CertificateUrls, DistinguishedName as Dn, KeyPurpose, KeyUsage,
    Policy,
};
use tlsim_tls::crypto::sign::SigningKey;

use crate::codepoints::Uri;
use crate::schema::{self, DistinguishedName, KeyKind, KeyUsageBit, Pki};

/// The keys and certificates of a scenario, by name.
#[derive(Default)]
pub struct Built {
    /// Signing keys.
    pub keys: BTreeMap<String, Arc<SigningKey>>,
    /// Certificates, DER: one for a certificate made here, all of a file's.
    pub certs: BTreeMap<String, Vec<Vec<u8>>>,
}

fn dn(name: &DistinguishedName) -> Dn {
    Dn::new(
        name.cn.as_deref(),
        name.o.as_deref(),
        name.ou.as_deref(),
        name.l.as_deref(),
        name.st.as_deref(),
        name.c.as_deref(),
    )
}

/// Makes every key and certificate of `pki`. `base` is the scenario file's
/// folder, against which key file paths are resolved. Errors say which
/// key or certificate failed and why.
pub fn build(pki: &Pki, seed: u64, base: &Path) -> Result<Built, String> {
    let mut built = Built::default();
    for key in &pki.keys {
        let key_stream = || RngStream::new(seed, &format!("pki key {}", key.name));
        let made = match &key.kind {
            KeyKind::P256 => SigningKey::generate_p256(&mut key_stream()),
            KeyKind::P384 => SigningKey::generate_p384(&mut key_stream()),
            KeyKind::Ed25519 => SigningKey::generate_ed25519(&mut key_stream()),
            KeyKind::P256Scalar(scalar) => SigningKey::p256_from_scalar(scalar).map_err(|e| {
                format!(
                    "key {:?}: not a valid P-256 private scalar: {e:?}",
                    key.name
                )
            })?,
            KeyKind::RsaPem(file) | KeyKind::File(file) => {
                read_key_file(base, file).map_err(|e| format!("key {:?}: {e}", key.name))?
            }
        };
        built.keys.insert(key.name.clone(), Arc::new(made));
    }
    let mut subjects: BTreeMap<&str, (Dn, &str)> = BTreeMap::new();
    for (index, cert) in pki.certificates.iter().enumerate() {
        if let Some(file) = &cert.file {
            let ders = read_cert_file(base, file)
                .map_err(|e| format!("certificate {:?}: {e}", cert.name))?;
            built.certs.insert(cert.name.clone(), ders);
            continue;
        }
        let Some(key) = &cert.key else {
            return Err(format!("certificate {:?} needs key, or a file", cert.name));
        };
        let (not_before, not_after) = pki.validity(cert);
        let subject = dn(&cert.subject);
        let subject_key = &built.keys[&key.0];
        let (issuer_dn, issuer_key) = match &cert.issuer {
            None => (subject.clone(), subject_key),
            Some(issuer) => {
                let (issuer_dn, issuer_key) = subjects.get(issuer.0.as_str()).ok_or_else(|| {
                    format!(
                        "certificate {:?}: its issuer {:?} must be listed before it",
                        cert.name, issuer.0
                    )
                })?;
                (issuer_dn.clone(), &built.keys[*issuer_key])
            }
        };
        let serial = cert.serial.unwrap_or(index as u64 + 1);
        let validity = (not_before.0, not_after.0);
        let params = if cert.ca {
            CertificateParams::ca(
                serial,
                subject.clone(),
                issuer_dn,
                validity,
                subject_key.public_key(),
                cert.path_len,
            )
        } else {
            let names: Vec<&str> = cert.dns_names.iter().map(String::as_str).collect();
            CertificateParams::server(
                serial,
                subject.clone(),
                issuer_dn,
                validity,
                subject_key.public_key(),
                &names,
            )
        };
        let mut params = params.issued_by_key(&issuer_key.public_key());
        if let Some(bits) = &cert.key_usage {
            params.key_usage = (!bits.is_empty()).then(|| {
                (bits.iter())
                    .map(|bit| match bit {
                        KeyUsageBit::DigitalSignature => KeyUsage::DIGITAL_SIGNATURE,
                        KeyUsageBit::KeyEncipherment => KeyUsage::KEY_ENCIPHERMENT,
                        KeyUsageBit::KeyAgreement => KeyUsage::KEY_AGREEMENT,
                        KeyUsageBit::KeyCertSign => KeyUsage::KEY_CERT_SIGN,
                        KeyUsageBit::CrlSign => KeyUsage::CRL_SIGN,
                    })
                    .fold(KeyUsage::default(), KeyUsage::union)
            });
        }
        params.extended_key_usage = (cert.extended_key_usage.iter())
            .map(|purpose| match purpose {
                schema::KeyPurpose::ServerAuth => KeyPurpose::ServerAuth,
                schema::KeyPurpose::ClientAuth => KeyPurpose::ClientAuth,
            })
            .collect();
        let texts = |uris: &[Uri]| uris.iter().map(|u| u.0.clone()).collect();
        params.urls = CertificateUrls {
            crl: texts(&cert.crl),
            ocsp: texts(&cert.ocsp),
            ca_issuers: texts(&cert.ca_issuers),
        };
        params.policies = (cert.policies.iter())
            .map(|p| Policy {
                oid: p.oid.oid,
                cps: p.cps.as_ref().map(|u| u.0.clone()),
            })
            .collect();
        let mut rng = RngStream::new(seed, &format!("pki certificate {}", cert.name));
        let der = params
            .sign(issuer_key, &mut rng)
            .map_err(|e| format!("certificate {:?}: {e:?}", cert.name))?;
        subjects.insert(&cert.name, (subject, &key.0));
        built.certs.insert(cert.name.clone(), vec![der]);
    }
    Ok(built)
}

/// Reads a private key file: PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`,
/// `EC PRIVATE KEY`) or the same structures in DER.
/// `file` is as the scenario names it, `base` the scenario's folder.
pub fn read_key_file(base: &Path, file: &str) -> Result<SigningKey, String> {
    let bytes = std::fs::read(base.join(file))
        .map_err(|e| format!("cannot read key file {file:?}: {}", io_reason(&e)))?;
    let key = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN") => SigningKey::from_pem(text).ok(),
        _ => (SigningKey::from_pkcs8_der(&bytes).ok())
            .or_else(|| SigningKey::from_pkcs1_der(&bytes).ok())
            .or_else(|| SigningKey::from_sec1_der(&bytes).ok()),
    };
    key.ok_or_else(|| {
        format!(
            "key file {file:?} holds no private key tlsim can use: expected an RSA, P-256, \
             P-384 or Ed25519 private key in PEM or DER (PKCS #8; PKCS #1 for RSA; SEC1 for \
             P-256 and P-384)"
        )
    })
}

/// Reads a certificate file: every `CERTIFICATE` block of a PEM file
/// (RFC 7468 §5), in order, or one DER certificate. Each must parse.
pub fn read_cert_file(base: &Path, file: &str) -> Result<Vec<Vec<u8>>, String> {
    let bytes = std::fs::read(base.join(file))
        .map_err(|e| format!("cannot read certificate file {file:?}: {}", io_reason(&e)))?;
    let ders = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN") => {
            pem_certificates(text).map_err(|e| format!("certificate file {file:?} {e}"))?
        }
        _ => vec![bytes],
    };
    for (i, der) in ders.iter().enumerate() {
        Certificate::parse(der).map_err(|e| {
            format!(
                "certificate {} of {file:?} is not an X.509 certificate tlsim reads: {e}",
                i + 1
            )
        })?;
    }
    Ok(ders)
}

/// The DER of each `CERTIFICATE` block of `text`; explanatory text between
/// blocks (as `openssl x509 -text` writes) is skipped.
fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, String> {
    const END: &str = "-----END ";
    let mut ders = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let block = &rest[begin..];
        let end = block
            .find(END)
            .and_then(|at| Some(at + END.len() + block[at + END.len()..].find("-----")? + 5))
            .ok_or("a PEM block has no END line")?;
        let (label, der) = pem_rfc7468::decode_vec(&block.as_bytes()[..end])
            .map_err(|e| format!("a PEM block does not decode: {e}"))?;
        if label == "CERTIFICATE" {
            ders.push(der);
        }
        rest = &block[end..];
    }
    if ders.is_empty() {
        return Err("holds no CERTIFICATE block".into());
    }
    Ok(ders)
}

/// An I/O error in words, without the "(os error 2)" the OS adds.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}
