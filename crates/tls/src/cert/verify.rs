//! Certificate chain validation against trust anchors and a given time.
//!
//! Read first: RFC 5280 §6.1 (basic path validation), §4.2.1.9
//! (basicConstraints and pathLenConstraint), RFC 6125 §6.4 (matching DNS
//! names, with §6.4.3 for wildcards).
//!
//! Implemented subset, deliberately: signatures, validity periods, exact
//! (binary) issuer/subject name chaining (RFC 5280 §7.1 allows binary
//! comparison), cA and keyCertSign on issuers, pathLenConstraint, and the
//! leaf's dNSName entries. Not implemented: revocation, name constraints,
//! policies, extended key usage, and the commonName fallback that
//! RFC 6125 §6.4.4 discourages. Trust anchors are trusted as given: their
//! own validity and signature are not checked (RFC 5280 §6.1.1 (d)).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

use super::CertError;
use super::x509::Certificate;
use crate::crypto::sign::PublicKey;

/// Remembers signatures that verified, keyed by the exact signed bytes,
/// the signature and the issuer's key, so a chain seen again costs hashing
/// instead of public-key operations.
///
/// The key is SHA-256 over the three values, each prefixed with its
/// length; a changed byte in any of them is a miss.
///
/// It also keeps the last [`PARSED_CHAINS`] chains it parsed, keyed by
/// their exact DER, so a chain seen again is not parsed again either: its
/// signatures are still checked through the cache above, its validity and
/// names still against the clock and host.
#[derive(Clone, Debug, Default)]
pub struct VerificationCache {
    verified: BTreeSet<[u8; 32]>,
    parsed: BTreeMap<Vec<Vec<u8>>, Arc<[Certificate]>>,
    hits: u64,
    misses: u64,
}

/// How many parsed chains a [`VerificationCache`] keeps; past it, the one
/// with the least DER in byte order goes.
pub const PARSED_CHAINS: usize = 64;

/// Parses each certificate of `chain_der`; the first that does not parse
/// fails the chain.
pub fn parse_chain(chain_der: &[Vec<u8>]) -> Result<Arc<[Certificate]>, CertError> {
    chain_der
        .iter()
        .map(|der| Certificate::parse(der))
        .collect()
}

/// Trusted roots: their DER as configured, parsed on first use and not
/// again by the connections (or clones) of the configuration after that,
/// as the roots do not change while it lives.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    der: Vec<Vec<u8>>,
    parsed: OnceLock<Arc<[Certificate]>>,
}

impl TrustAnchors {
    /// The roots in `der`, each one certificate's DER.
    pub fn new(der: Vec<Vec<u8>>) -> Self {
        TrustAnchors {
            der,
            parsed: OnceLock::new(),
        }
    }

    /// Each root's DER, as configured.
    pub fn der(&self) -> &[Vec<u8>] {
        &self.der
    }

    /// The roots that parse; one that does not is skipped, so a chain
    /// that needs it ends in unknown_ca.
    pub fn parsed(&self) -> &[Certificate] {
        self.parsed.get_or_init(|| {
            (self.der.iter())
                .filter_map(|der| Certificate::parse(der).ok())
                .collect()
        })
    }
}

impl From<Vec<Vec<u8>>> for TrustAnchors {
    fn from(der: Vec<Vec<u8>>) -> Self {
        TrustAnchors::new(der)
    }
}

impl VerificationCache {
    /// An empty cache.
    pub fn new() -> Self {
        VerificationCache::default()
    }

    /// How many verifications were answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// How many verifications needed the public-key operation.
    pub fn misses(&self) -> u64 {
        self.misses
    }

    /// The number of remembered signatures.
    pub fn len(&self) -> usize {
        self.verified.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.verified.is_empty()
    }

    /// [`parse_chain`], answered from the cache when these exact bytes
    /// parsed before. A chain that fails to parse is not kept.
    pub fn parsed_chain(&mut self, chain_der: &[Vec<u8>]) -> Result<Arc<[Certificate]>, CertError> {
        if let Some(chain) = self.parsed.get(chain_der) {
            return Ok(Arc::clone(chain));
        }
        let chain = parse_chain(chain_der)?;
        if self.parsed.len() >= PARSED_CHAINS {
            self.parsed.pop_first();
        }
        self.parsed.insert(chain_der.to_vec(), Arc::clone(&chain));
        Ok(chain)
    }

    fn key(signed: &[u8], signature: &[u8], issuer_spki: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [signed, signature, issuer_spki] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    /// Verifies `cert`'s signature with `issuer_key` (whose SPKI DER is
    /// `issuer_spki`). Returns whether the answer came from the cache.
    pub fn verify(
        &mut self,
        cert: &Certificate,
        issuer_key: &PublicKey,
        issuer_spki: &[u8],
    ) -> Result<bool, CertError> {
        let key = Self::key(&cert.tbs, &cert.signature, issuer_spki);
        if self.verified.contains(&key) {
            self.hits += 1;
            return Ok(true);
        }
        self.misses += 1;
        issuer_key
            .verify(
                cert.signature_algorithm.scheme(),
                &cert.tbs,
                &cert.signature,
            )
            .map_err(|e| match e {
                crate::crypto::CryptoError::UnsupportedSignatureAlgorithm => {
                    CertError::UnsupportedAlgorithm
                }
                _ => CertError::BadSignature,
            })?;
        self.verified.insert(key);
        Ok(false)
    }
}

/// One verified link of a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLink {
    /// The index in the chain of the certificate whose signature was
    /// checked (its names are read from there only for the log).
    pub certificate: usize,
    /// Whether the issuer is a trust anchor rather than a chain member.
    pub issuer_is_anchor: bool,
    /// Whether the signature check came from the cache.
    pub cached: bool,
}

/// What a successful validation found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// One entry per signature checked, leaf first.
    pub links: Vec<ChainLink>,
    /// Whether there were signature checks and every one came from the
    /// cache.
    pub from_cache: bool,
    /// The chain certificate that is itself a trust anchor, when the walk
    /// ended there because no anchor issued it.
    pub anchor_in_chain: Option<usize>,
}

/// Whether `leaf` is a certificate for `host`: one of its subjectAltName
/// dNSName entries matches (RFC 6125 §6.4); or, with
/// `common_name_fallback` and no dNSName at all, its subject's common
/// name does (§6.4.4: only "if the presented identifiers do not include a
/// DNS-ID"; other subjectAltName types are not read, so they do not stop
/// the fallback).
pub fn leaf_matches_host(leaf: &Certificate, host: &str, common_name_fallback: bool) -> bool {
    if leaf.dns_names.is_empty() && common_name_fallback {
        return (leaf.subject.common_name()).is_some_and(|cn| dns_name_matches(cn, host));
    }
    leaf.dns_names.iter().any(|p| dns_name_matches(p, host))
}

/// Whether `pattern` (a dNSName from the certificate) matches `host`.
///
/// RFC 6125 §6.4.1: case-insensitive label comparison. §6.4.3: a `*`
/// standing alone as the left-most label matches exactly one label; the
/// partial-label forms (`w*.example.com`) that §6.4.3 permits are not
/// supported, and a wildcard never matches a bare suffix.
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            // The wildcard must be followed by at least two labels.
            if !suffix.contains('.') || suffix.contains('*') {
                return false;
            }
            match host.split_once('.') {
                Some((first, rest)) => !first.is_empty() && rest.eq_ignore_ascii_case(suffix),
                None => false,
            }
        }
        None => !pattern.contains('*') && pattern.eq_ignore_ascii_case(host),
    }
}

fn check_validity(cert: &Certificate, now: u64) -> Result<(), CertError> {
    // RFC 5280 §4.1.2.5: both bounds are inclusive.
    if now < cert.not_before {
        Err(CertError::NotYetValid)
    } else if now > cert.not_after {
        Err(CertError::Expired)
    } else {
        Ok(())
    }
}

/// Validates `chain` (leaf first, as in the Certificate message) against
/// `anchors` at `now` (seconds since the Unix epoch), and the leaf against
/// `server_name` when given.
///
/// Walks up from the leaf: at each step, if a trust anchor's subject is
/// the current certificate's issuer, its key must verify the signature and
/// the walk ends; otherwise the next chain certificate must be named as
/// the issuer, be valid at `now`, be a CA within its pathLenConstraint,
/// and verify the signature. Certificates after the one an anchor issued
/// are ignored. A certificate that no anchor issued but that is itself an
/// anchor, byte for byte, ends the walk as trusted: a trust anchor is a
/// name and a key that the relying party trusts (RFC 5280 §6.1.1 (d)),
/// not necessarily a self-signed root. Each failure is its own
/// [`CertError`].
pub fn verify_chain(
    chain: &[Certificate],
    anchors: &[Certificate],
    server_name: Option<&str>,
    now: u64,
    cache: &mut VerificationCache,
) -> Result<ChainReport, CertError> {
    let leaf = chain.first().ok_or(CertError::EmptyChain)?;
    check_validity(leaf, now)?;
    if let Some(name) = server_name {
        if !leaf_matches_host(leaf, name, false) {
            return Err(CertError::NameMismatch);
        }
    }
    let mut links = Vec::new();
    // Non-self-issued CA certificates between the leaf and the issuer
    // being checked (RFC 5280 §6.1.4 (l)).
    let mut intermediates_below = 0u32;
    for (index, current) in chain.iter().enumerate() {
        if index > 0 && !current.is_self_issued() {
            intermediates_below += 1;
        }
        let (issuer, is_anchor) = match anchors.iter().find(|a| a.subject_der == current.issuer_der)
        {
            Some(anchor) => (anchor, true),
            None if anchors.iter().any(|a| a.der == current.der) => {
                let from_cache = !links.is_empty() && links.iter().all(|l: &ChainLink| l.cached);
                return Ok(ChainReport {
                    links,
                    from_cache,
                    anchor_in_chain: Some(index),
                });
            }
            None => match chain.get(index + 1) {
                Some(next) if next.subject_der == current.issuer_der => (next, false),
                _ => return Err(CertError::UnknownIssuer),
            },
        };
        if !is_anchor {
            check_validity(issuer, now)?;
            if !issuer.is_ca() {
                return Err(CertError::NotCa);
            }
        }
        if let Some(limit) = issuer.basic_constraints.and_then(|bc| bc.path_len) {
            if intermediates_below > limit {
                return Err(CertError::PathLenExceeded);
            }
        }
        let cached = cache.verify(current, &issuer.public_key, &issuer.spki_der)?;
        links.push(ChainLink {
            certificate: index,
            issuer_is_anchor: is_anchor,
            cached,
        });
        if is_anchor {
            let from_cache = links.iter().all(|l| l.cached);
            return Ok(ChainReport {
                links,
                from_cache,
                anchor_in_chain: None,
            });
        }
    }
    Err(CertError::UnknownIssuer)
}

#[cfg(test)]
mod tests;
