//! Making a scenario's keys and certificates when the run starts.
//!
//! Everything is deterministic: P-256 keys come from the random stream
//! `pki key <name>`, RSA keys from PEM files shipped beside the scenario, and
//! signatures are deterministic (RFC 6979 for ECDSA; PKCS#1 v1.5 for RSA).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tlsim_sim::RngStream;
use tlsim_tls::cert::{
    CertificateParams, CertificateUrls, DistinguishedName as Dn, KeyPurpose, KeyUsage, Policy,
};
use tlsim_tls::crypto::sign::SigningKey;

use crate::codepoints::Uri;
use crate::schema::{self, DistinguishedName, KeyKind, KeyUsageBit, Pki};

/// The keys and certificates of a scenario, by name.
#[derive(Default)]
pub struct Built {
    /// Signing keys.
    pub keys: BTreeMap<String, Arc<SigningKey>>,
    /// Certificates, DER.
    pub certs: BTreeMap<String, Vec<u8>>,
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
        let made = match &key.kind {
            KeyKind::P256 => SigningKey::generate_p256(&mut RngStream::new(
                seed,
                &format!("pki key {}", key.name),
            )),
            KeyKind::P256Scalar(scalar) => SigningKey::p256_from_scalar(scalar).map_err(|e| {
                format!(
                    "key {:?}: not a valid P-256 private scalar: {e:?}",
                    key.name
                )
            })?,
            KeyKind::RsaPem(file) => {
                let path = base.join(file);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!("key {:?}: cannot read {}: {e}", key.name, path.display())
                })?;
                SigningKey::from_pem(&text)
                    .map_err(|e| format!("key {:?}: {}: {e:?}", key.name, path.display()))?
            }
        };
        built.keys.insert(key.name.clone(), Arc::new(made));
    }
    let mut subjects: BTreeMap<&str, (Dn, &str)> = BTreeMap::new();
    for (index, cert) in pki.certificates.iter().enumerate() {
        let subject = dn(&cert.subject);
        let subject_key = &built.keys[&cert.key.0];
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
        let validity = (cert.not_before.0, cert.not_after.0);
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
                oid: p.oid.der.clone(),
                cps: p.cps.as_ref().map(|u| u.0.clone()),
            })
            .collect();
        let mut rng = RngStream::new(seed, &format!("pki certificate {}", cert.name));
        let der = params
            .sign(issuer_key, &mut rng)
            .map_err(|e| format!("certificate {:?}: {e:?}", cert.name))?;
        subjects.insert(&cert.name, (subject, &cert.key.0));
        built.certs.insert(cert.name.clone(), der);
    }
    Ok(built)
}
