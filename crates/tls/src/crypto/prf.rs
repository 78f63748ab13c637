//! The TLS pseudo-random function and everything derived with it.
//!
//! Read first: RFC 2246 §5 (the TLS 1.0/1.1 PRF, P_MD5 ⊕ P_SHA1), RFC 5246
//! §5 (the TLS 1.2 PRF, P_SHA256), §6.3 (key block), §7.4.9 (Finished),
//! §8.1 (master secret), RFC 7627 §4 (extended master secret).
//!
//! Every derivation returns its intermediate values so that the event log
//! can show learners the arithmetic step by step.

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384};

use super::TLS12;

/// Which PRF a connection uses: fixed by the version, and in TLS 1.2 by the
/// cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrfAlgorithm {
    /// TLS 1.0 and 1.1: `P_MD5(S1) XOR P_SHA1(S2)` (RFC 2246 §5).
    Tls10,
    /// TLS 1.2 with SHA-256 (RFC 5246 §5), the default for every suite here.
    Sha256,
    /// TLS 1.2 with SHA-384 (suites whose names end in `_SHA384`).
    Sha384,
}

impl PrfAlgorithm {
    /// The name a reader sees in the event log.
    pub fn name(self) -> &'static str {
        match self {
            PrfAlgorithm::Tls10 => "TLS 1.0 PRF (P_MD5 XOR P_SHA1)",
            PrfAlgorithm::Sha256 => "TLS 1.2 PRF (P_SHA256)",
            PrfAlgorithm::Sha384 => "TLS 1.2 PRF (P_SHA384)",
        }
    }

    /// The length of the handshake hash this PRF goes with: 36 bytes of
    /// MD5 ‖ SHA-1 before TLS 1.2, the PRF hash in TLS 1.2.
    pub fn transcript_hash_len(self) -> usize {
        match self {
            PrfAlgorithm::Tls10 => 36,
            PrfAlgorithm::Sha256 => 32,
            PrfAlgorithm::Sha384 => 48,
        }
    }

    /// The hash of the handshake messages (`handshake_messages` in RFC 5246
    /// §7.4.9) as Finished and the extended master secret use it.
    ///
    /// RFC 2246 §7.4.9: `MD5(handshake_messages) + SHA-1(handshake_messages)`;
    /// RFC 5246 §7.4.9: `Hash(handshake_messages)` with the PRF hash.
    pub fn transcript_hash(self, handshake_messages: &[u8]) -> Vec<u8> {
        match self {
            PrfAlgorithm::Tls10 => {
                let mut out = Vec::with_capacity(36);
                out.extend_from_slice(&Md5::digest(handshake_messages));
                out.extend_from_slice(&Sha1::digest(handshake_messages));
                out
            }
            PrfAlgorithm::Sha256 => Sha256::digest(handshake_messages).to_vec(),
            PrfAlgorithm::Sha384 => Sha384::digest(handshake_messages).to_vec(),
        }
    }

    /// The PRF for `version` when the suite's TLS 1.2 PRF is `tls12`.
    pub fn for_version(version: u16, tls12: PrfAlgorithm) -> PrfAlgorithm {
        if version >= TLS12 {
            tls12
        } else {
            PrfAlgorithm::Tls10
        }
    }
}

/// `P_hash(secret, seed)` of RFC 5246 §5, with the seed given in parts
/// (`label ‖ seed`), XORed into `out` so that TLS 1.0 can combine two.
///
/// ```text
/// P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
///                        HMAC_hash(secret, A(2) + seed) + ...
/// A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
/// ```
fn p_hash_xor<M: Mac + KeyInit + Clone>(secret: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let keyed = <M as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    let mut a_i = {
        let mut mac = keyed.clone();
        seed.iter().for_each(|part| mac.update(part));
        mac.finalize().into_bytes()
    };
    for chunk in out.chunks_mut(a_i.len()) {
        let mut mac = keyed.clone();
        mac.update(&a_i);
        seed.iter().for_each(|part| mac.update(part));
        let block = mac.finalize().into_bytes();
        chunk
            .iter_mut()
            .zip(block.iter())
            .for_each(|(o, b)| *o ^= b);
        let mut mac = keyed.clone();
        mac.update(&a_i);
        a_i = mac.finalize().into_bytes();
    }
}

/// `PRF(secret, label, seed)` filling `out`; `seed` is given in parts that
/// are concatenated (for example `client_random`, `server_random`).
pub fn prf(alg: PrfAlgorithm, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(seed.len() + 1);
    parts.push(label);
    parts.extend_from_slice(seed);
    out.fill(0);
    match alg {
        PrfAlgorithm::Tls10 => {
            // RFC 2246 §5: S1 and S2 are the two halves of the secret; with
            // an odd length the middle byte belongs to both.
            let half = secret.len().div_ceil(2);
            let s1 = &secret[..half];
            let s2 = &secret[secret.len() - half..];
            p_hash_xor::<Hmac<Md5>>(s1, &parts, out);
            p_hash_xor::<Hmac<Sha1>>(s2, &parts, out);
        }
        PrfAlgorithm::Sha256 => p_hash_xor::<Hmac<Sha256>>(secret, &parts, out),
        PrfAlgorithm::Sha384 => p_hash_xor::<Hmac<Sha384>>(secret, &parts, out),
    }
}

/// The length of every master secret (RFC 5246 §8.1).
pub const MASTER_SECRET_LEN: usize = 48;

/// The length of `verify_data` in every suite here (RFC 5246 §7.4.9).
pub const VERIFY_DATA_LEN: usize = 12;

/// RFC 5246 §8.1:
/// `master_secret = PRF(pre_master_secret, "master secret",
/// ClientHello.random + ServerHello.random)[0..47]`.
pub fn master_secret(
    alg: PrfAlgorithm,
    pre_master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; MASTER_SECRET_LEN] {
    let mut out = [0u8; MASTER_SECRET_LEN];
    prf(
        alg,
        pre_master_secret,
        b"master secret",
        &[client_random, server_random],
        &mut out,
    );
    out
}

/// RFC 7627 §4: `master_secret = PRF(pre_master_secret, "extended master
/// secret", session_hash)[0..47]`, where `session_hash` is
/// [`PrfAlgorithm::transcript_hash`] of the handshake up to and including
/// the ClientKeyExchange.
pub fn extended_master_secret(
    alg: PrfAlgorithm,
    pre_master_secret: &[u8],
    session_hash: &[u8],
) -> [u8; MASTER_SECRET_LEN] {
    let mut out = [0u8; MASTER_SECRET_LEN];
    prf(
        alg,
        pre_master_secret,
        b"extended master secret",
        &[session_hash],
        &mut out,
    );
    out
}

/// The lengths of the pieces a key block is cut into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBlockLayout {
    /// `SecurityParameters.mac_key_length` (0 for AEAD).
    pub mac_key_len: usize,
    /// `SecurityParameters.enc_key_length`.
    pub enc_key_len: usize,
    /// `SecurityParameters.fixed_iv_length`: the IV from the key block (16
    /// for CBC in TLS 1.0, 0 for CBC in 1.1/1.2, the 4-byte salt for GCM).
    pub fixed_iv_len: usize,
}

impl KeyBlockLayout {
    /// The number of key-block bytes this layout consumes.
    pub fn total_len(&self) -> usize {
        2 * (self.mac_key_len + self.enc_key_len + self.fixed_iv_len)
    }
}

/// The key block and its pieces (RFC 5246 §6.3), in the order they are cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyBlock {
    /// The whole `key_block` as the PRF produced it.
    pub key_block: Vec<u8>,
    /// `client_write_MAC_key`.
    pub client_mac_key: Vec<u8>,
    /// `server_write_MAC_key`.
    pub server_mac_key: Vec<u8>,
    /// `client_write_key`.
    pub client_write_key: Vec<u8>,
    /// `server_write_key`.
    pub server_write_key: Vec<u8>,
    /// `client_write_IV`.
    pub client_iv: Vec<u8>,
    /// `server_write_IV`.
    pub server_iv: Vec<u8>,
}

/// RFC 5246 §6.3: `key_block = PRF(SecurityParameters.master_secret, "key
/// expansion", SecurityParameters.server_random +
/// SecurityParameters.client_random)`, cut into MAC keys, write keys and IVs.
pub fn key_block(
    alg: PrfAlgorithm,
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    layout: KeyBlockLayout,
) -> KeyBlock {
    let mut block = vec![0u8; layout.total_len()];
    // Note the order: server random first, unlike the master secret.
    prf(
        alg,
        master_secret,
        b"key expansion",
        &[server_random, client_random],
        &mut block,
    );
    let mut rest = block.as_slice();
    let mut take = |n: usize| {
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        piece.to_vec()
    };
    let client_mac_key = take(layout.mac_key_len);
    let server_mac_key = take(layout.mac_key_len);
    let client_write_key = take(layout.enc_key_len);
    let server_write_key = take(layout.enc_key_len);
    let client_iv = take(layout.fixed_iv_len);
    let server_iv = take(layout.fixed_iv_len);
    KeyBlock {
        key_block: block,
        client_mac_key,
        server_mac_key,
        client_write_key,
        server_write_key,
        client_iv,
        server_iv,
    }
}

/// Which side sent a Finished message, which picks its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FinishedSender {
    /// `"client finished"`.
    Client,
    /// `"server finished"`.
    Server,
}

impl FinishedSender {
    /// The PRF label of RFC 5246 §7.4.9.
    pub fn label(self) -> &'static str {
        match self {
            FinishedSender::Client => "client finished",
            FinishedSender::Server => "server finished",
        }
    }
}

/// RFC 5246 §7.4.9: `verify_data = PRF(master_secret, finished_label,
/// Hash(handshake_messages))[0..verify_data_length-1]`, where
/// `transcript_hash` is [`PrfAlgorithm::transcript_hash`] of every handshake
/// message before this Finished.
pub fn finished_verify_data(
    alg: PrfAlgorithm,
    master_secret: &[u8],
    sender: FinishedSender,
    transcript_hash: &[u8],
) -> [u8; VERIFY_DATA_LEN] {
    let mut out = [0u8; VERIFY_DATA_LEN];
    prf(
        alg,
        master_secret,
        sender.label().as_bytes(),
        &[transcript_hash],
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `PRF(secret, "test label", seed)` for a TLS 1.2 PRF, secret
    /// and seed in hex, against `expected` (whose length sets the output's).
    #[track_caller]
    fn check_tls12_prf(alg: PrfAlgorithm, secret: &str, seed: &str, expected: &str) {
        let secret = hex::decode(secret).unwrap();
        let seed = hex::decode(seed).unwrap();
        let mut out = vec![0u8; expected.len() / 2];
        prf(alg, &secret, b"test label", &[&seed], &mut out);
        assert_eq!(hex::encode(out), expected);
    }

    // Known-answer vectors for the TLS 1.2 SHA-256 and SHA-384 PRFs and the
    // TLS 1.0 PRF (from the widely circulated IETF TLS WG test vectors).
    #[test]
    fn tls12_sha256_prf_matches_known_answer() {
        check_tls12_prf(
            PrfAlgorithm::Sha256,
            "9bbe436ba940f017b17652849a71db35",
            "a0ba9f936cda311827a6f796ffd5198c",
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab\
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701\
             87347b66",
        );
    }

    #[test]
    fn tls12_sha384_prf_matches_known_answer() {
        check_tls12_prf(
            PrfAlgorithm::Sha384,
            "b80b733d6ceefcdc71566ea48e5567df",
            "cd665cf6a8447dd6ff8b27555edb7465",
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd\
             e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd\
             8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425\
             9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6\
             91c8f3a26854308d5eaa3be85e0990703d73e56f",
        );
    }

    #[test]
    fn tls10_prf_matches_known_answer() {
        // secret 48 × 0xab, label "PRF Testvector", seed 64 × 0xcd.
        let secret = [0xab; 48];
        let seed = [0xcd; 64];
        let mut out = [0u8; 104];
        prf(
            PrfAlgorithm::Tls10,
            &secret,
            b"PRF Testvector",
            &[&seed],
            &mut out,
        );
        assert_eq!(
            hex::encode(out),
            "d3d4d1e349b5d515044666d51de32bab258cb521b6b053463e354832fd976754\
             443bcf9a296519bc289abcbc1187e4ebd31e602353776c408aafb74cbc85eff6\
             9255f9788faa184cbb957a9819d84a5d7eb006eb459d3ae8de9810454b8b2d8f\
             1afbc655a8c9a013"
        );
    }

    #[test]
    fn seed_parts_concatenate() {
        let mut whole = [0u8; 40];
        let mut split = [0u8; 40];
        prf(
            PrfAlgorithm::Sha256,
            b"k",
            b"label",
            &[b"abcdef"],
            &mut whole,
        );
        prf(
            PrfAlgorithm::Sha256,
            b"k",
            b"label",
            &[b"abc", b"def"],
            &mut split,
        );
        assert_eq!(whole, split);
    }

    #[test]
    fn tls10_prf_shares_the_middle_byte_of_an_odd_secret() {
        // With a 3-byte secret S1 = s[0..2], S2 = s[1..3]; changing the
        // middle byte changes both halves' contributions.
        let mut a = [0u8; 16];
        let mut b = [0u8; 16];
        prf(PrfAlgorithm::Tls10, &[1, 2, 3], b"x", &[b"y"], &mut a);
        prf(PrfAlgorithm::Tls10, &[1, 9, 3], b"x", &[b"y"], &mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn key_block_is_cut_in_rfc_order() {
        let layout = KeyBlockLayout {
            mac_key_len: 20,
            enc_key_len: 16,
            fixed_iv_len: 16,
        };
        let kb = key_block(PrfAlgorithm::Tls10, &[7; 48], &[1; 32], &[2; 32], layout);
        assert_eq!(kb.key_block.len(), 104);
        let joined = [
            &kb.client_mac_key[..],
            &kb.server_mac_key,
            &kb.client_write_key,
            &kb.server_write_key,
            &kb.client_iv,
            &kb.server_iv,
        ]
        .concat();
        assert_eq!(joined, kb.key_block);
        let mut expected = vec![0u8; 104];
        prf(
            PrfAlgorithm::Tls10,
            &[7; 48],
            b"key expansion",
            &[&[2; 32], &[1; 32]],
            &mut expected,
        );
        assert_eq!(kb.key_block, expected);
    }

    #[test]
    fn finished_labels_differ_by_sender() {
        let hash = PrfAlgorithm::Sha256.transcript_hash(b"messages");
        let c = finished_verify_data(
            PrfAlgorithm::Sha256,
            &[1; 48],
            FinishedSender::Client,
            &hash,
        );
        let s = finished_verify_data(
            PrfAlgorithm::Sha256,
            &[1; 48],
            FinishedSender::Server,
            &hash,
        );
        assert_ne!(c, s);
    }

    #[test]
    fn tls10_transcript_hash_is_md5_then_sha1() {
        let h = PrfAlgorithm::Tls10.transcript_hash(b"abc");
        assert_eq!(
            hex::encode(h),
            "900150983cd24fb0d6963f7d28e17f72a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn extended_master_secret_differs_from_classic() {
        let ems = extended_master_secret(PrfAlgorithm::Sha256, &[3; 32], &[4; 32]);
        let ms = master_secret(PrfAlgorithm::Sha256, &[3; 32], &[4; 32], &[4; 32]);
        assert_ne!(ems, ms);
    }
}
