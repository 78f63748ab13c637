//! Signing keys and signature verification for ServerKeyExchange and
//! certificates.
//!
//! Read first: RFC 8422 §5.4 (the signed ServerECDHParams), RFC 5246
//! §4.7 and §7.4.1.4.1 (`digitally-signed` with SignatureAndHashAlgorithm),
//! RFC 2246 §7.4.3 (the TLS 1.0/1.1 RSA form over MD5 ‖ SHA-1, without a
//! DigestInfo), RFC 8017 §9.2 (EMSA-PKCS1-v1_5), RFC 6979 (deterministic
//! ECDSA), RFC 8032 §5.1 (Ed25519), RFC 8422 §5.1.3 (EdDSA in TLS 1.2),
//! RFC 8446 §4.2.3 (the TLS 1.3 schemes).

use core::fmt;

use md5::Md5;
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::elliptic_curve::Generate;
use rand_core::CryptoRng;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, Pkcs1v15Sign, Pss};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::CryptoError;
use super::ahead;
use super::pem;
use crate::enums::NamedGroup;
use crate::enums::SignatureScheme as CodePoint;

/// A signature algorithm tlsim can sign and verify with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignatureScheme {
    /// ECDSA over SHA-256, DER `Ecdsa-Sig-Value` (TLS 1.2 {4, 3}).
    EcdsaSha256,
    /// ECDSA over SHA-384 (TLS 1.2 {5, 3}, `ecdsa_secp384r1_sha384`).
    EcdsaSha384,
    /// ECDSA over SHA-1: TLS 1.0/1.1 ECDHE_ECDSA (RFC 4492 §5.4), TLS 1.2 {2, 3}.
    EcdsaSha1,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (TLS 1.2 {4, 1}).
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (TLS 1.2 {5, 1}).
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (TLS 1.2 {6, 1}).
    RsaPkcs1Sha512,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (TLS 1.2 {2, 1}).
    RsaPkcs1Sha1,
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt
    /// (RFC 8446 §4.2.3 `rsa_pss_rsae_sha256`, usable in TLS 1.2 too).
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384 and a 48-byte salt (`rsa_pss_rsae_sha384`).
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512 and a 64-byte salt (`rsa_pss_rsae_sha512`).
    RsaPssSha512,
    /// TLS 1.0/1.1 RSA: PKCS#1 v1.5 type 1 padding over the 36-byte
    /// MD5 ‖ SHA-1, with no DigestInfo (RFC 2246 §7.4.3).
    RsaPkcs1Md5Sha1,
    /// PureEdDSA on edwards25519 (RFC 8032 §5.1; RFC 8446 §4.2.3
    /// `ed25519`, RFC 8422 §5.1.3 in TLS 1.2): signs the message itself.
    Ed25519,
}

impl SignatureScheme {
    /// Every scheme that has a TLS 1.2 code point.
    const WITH_CODE_POINTS: [SignatureScheme; 11] = [
        SignatureScheme::EcdsaSha256,
        SignatureScheme::EcdsaSha384,
        SignatureScheme::EcdsaSha1,
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPkcs1Sha384,
        SignatureScheme::RsaPkcs1Sha512,
        SignatureScheme::RsaPkcs1Sha1,
        SignatureScheme::RsaPssSha256,
        SignatureScheme::RsaPssSha384,
        SignatureScheme::RsaPssSha512,
        SignatureScheme::Ed25519,
    ];

    /// The TLS 1.2 `SignatureAndHashAlgorithm` (RFC 5246 §7.4.1.4.1) or
    /// RFC 8446 §4.2.3 code point, if this scheme has one.
    pub fn code_point(self) -> Option<CodePoint> {
        Some(match self {
            SignatureScheme::EcdsaSha256 => CodePoint::EcdsaSecp256r1Sha256,
            SignatureScheme::EcdsaSha384 => CodePoint::EcdsaSecp384r1Sha384,
            SignatureScheme::EcdsaSha1 => CodePoint::EcdsaSha1,
            SignatureScheme::RsaPkcs1Sha256 => CodePoint::RsaPkcs1Sha256,
            SignatureScheme::RsaPkcs1Sha384 => CodePoint::RsaPkcs1Sha384,
            SignatureScheme::RsaPkcs1Sha512 => CodePoint::RsaPkcs1Sha512,
            SignatureScheme::RsaPkcs1Sha1 => CodePoint::RsaPkcs1Sha1,
            SignatureScheme::RsaPssSha256 => CodePoint::RsaPssRsaeSha256,
            SignatureScheme::RsaPssSha384 => CodePoint::RsaPssRsaeSha384,
            SignatureScheme::RsaPssSha512 => CodePoint::RsaPssRsaeSha512,
            SignatureScheme::Ed25519 => CodePoint::Ed25519,
            SignatureScheme::RsaPkcs1Md5Sha1 => return None,
        })
    }

    /// The scheme of a code point, if tlsim supports it.
    pub fn from_code_point(code_point: CodePoint) -> Option<Self> {
        Self::WITH_CODE_POINTS
            .into_iter()
            .find(|s| s.code_point() == Some(code_point))
    }

    /// The name Wireshark shows ("ecdsa_secp256r1_sha256", …).
    pub fn name(self) -> &'static str {
        self.code_point()
            .and_then(CodePoint::name)
            .unwrap_or("rsa_pkcs1_md5_sha1")
    }

    /// Whether this is an RSA-PSS scheme.
    pub fn is_pss(self) -> bool {
        matches!(
            self,
            SignatureScheme::RsaPssSha256
                | SignatureScheme::RsaPssSha384
                | SignatureScheme::RsaPssSha512
        )
    }

    /// Whether this is an ECDSA scheme.
    pub fn is_ecdsa(self) -> bool {
        matches!(
            self,
            SignatureScheme::EcdsaSha256
                | SignatureScheme::EcdsaSha384
                | SignatureScheme::EcdsaSha1
        )
    }

    /// Whether this is an RSA scheme (PKCS#1 v1.5 or PSS).
    pub fn is_rsa(self) -> bool {
        !self.is_ecdsa() && self != SignatureScheme::Ed25519
    }

    /// Whether a server whose key is of `key_type` signs with this scheme
    /// in TLS 1.2: any RSA scheme with a code point for RSA keys; for ECDSA
    /// the curve's own hash (P-256: SHA-256, P-384: SHA-384) or SHA-1,
    /// RFC 5246 §7.4.1.4.1's default; ed25519 for an Ed25519 key.
    pub fn signs_with(self, key_type: KeyType) -> bool {
        match key_type {
            KeyType::EcdsaP256 => {
                matches!(
                    self,
                    SignatureScheme::EcdsaSha256 | SignatureScheme::EcdsaSha1
                )
            }
            KeyType::EcdsaP384 => {
                matches!(
                    self,
                    SignatureScheme::EcdsaSha384 | SignatureScheme::EcdsaSha1
                )
            }
            KeyType::Ed25519 => self == SignatureScheme::Ed25519,
            KeyType::Rsa => self.is_rsa() && self.code_point().is_some(),
        }
    }

    /// Whether a key of `key_type` makes this scheme in a TLS 1.3
    /// CertificateVerify: RFC 8446 §4.2.3 ties each ECDSA scheme to its
    /// curve (P-256: ecdsa_secp256r1_sha256, P-384: ecdsa_secp384r1_sha384)
    /// and forbids RSASSA-PKCS1-v1_5 and SHA-1 there, leaving RSA keys the
    /// RSASSA-PSS schemes.
    pub fn signs_tls13_with(self, key_type: KeyType) -> bool {
        match key_type {
            KeyType::EcdsaP256 => self == SignatureScheme::EcdsaSha256,
            KeyType::EcdsaP384 => self == SignatureScheme::EcdsaSha384,
            KeyType::Ed25519 => self == SignatureScheme::Ed25519,
            KeyType::Rsa => matches!(
                self,
                SignatureScheme::RsaPssSha256
                    | SignatureScheme::RsaPssSha384
                    | SignatureScheme::RsaPssSha512
            ),
        }
    }

    /// The scheme a server with `key_type` uses at `version` when TLS 1.2
    /// leaves the choice to it: the curve's hash (RSA: SHA-256) in TLS 1.2,
    /// the legacy forms before. Ed25519 has the one scheme.
    pub fn default_for(key_type: KeyType, version: u16) -> Self {
        match (key_type, version >= super::TLS12) {
            (KeyType::EcdsaP256, true) => SignatureScheme::EcdsaSha256,
            (KeyType::EcdsaP384, true) => SignatureScheme::EcdsaSha384,
            (KeyType::EcdsaP256 | KeyType::EcdsaP384, false) => SignatureScheme::EcdsaSha1,
            (KeyType::Ed25519, _) => SignatureScheme::Ed25519,
            (KeyType::Rsa, true) => SignatureScheme::RsaPkcs1Sha256,
            (KeyType::Rsa, false) => SignatureScheme::RsaPkcs1Md5Sha1,
        }
    }

    /// The digest that is signed: the scheme's hash of `message`, or
    /// MD5 ‖ SHA-1; for Ed25519, which hashes inside the signature
    /// (RFC 8032 §5.1.6), the message itself.
    pub fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            SignatureScheme::Ed25519 => message.to_vec(),
            SignatureScheme::EcdsaSha256
            | SignatureScheme::RsaPkcs1Sha256
            | SignatureScheme::RsaPssSha256 => Sha256::digest(message).to_vec(),
            SignatureScheme::EcdsaSha384
            | SignatureScheme::RsaPkcs1Sha384
            | SignatureScheme::RsaPssSha384 => Sha384::digest(message).to_vec(),
            SignatureScheme::RsaPkcs1Sha512 | SignatureScheme::RsaPssSha512 => {
                Sha512::digest(message).to_vec()
            }
            SignatureScheme::EcdsaSha1 | SignatureScheme::RsaPkcs1Sha1 => {
                Sha1::digest(message).to_vec()
            }
            SignatureScheme::RsaPkcs1Md5Sha1 => {
                let mut out = Md5::digest(message).to_vec();
                out.extend_from_slice(&Sha1::digest(message));
                out
            }
        }
    }

    /// RFC 8017 §9.2 note 1: the DER `DigestInfo` prefix before the hash.
    fn pkcs1_padding(self) -> Pkcs1v15Sign {
        const SHA1_PREFIX: [u8; 15] = [
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ];
        // The SHA-2 prefixes differ only in the OID's last arc and the
        // lengths (RFC 8017 §9.2 note 1).
        const fn sha2_prefix(total_len: u8, arc: u8, hash_len: u8) -> [u8; 19] {
            [
                0x30, total_len, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                0x02, arc, 0x05, 0x00, 0x04, hash_len,
            ]
        }
        let (hash_len, prefix): (usize, Box<[u8]>) = match self {
            SignatureScheme::RsaPkcs1Sha256 => (32, Box::new(sha2_prefix(0x31, 1, 32))),
            SignatureScheme::RsaPkcs1Sha384 => (48, Box::new(sha2_prefix(0x41, 2, 48))),
            SignatureScheme::RsaPkcs1Sha512 => (64, Box::new(sha2_prefix(0x51, 3, 64))),
            SignatureScheme::RsaPkcs1Sha1 => (20, Box::new(SHA1_PREFIX)),
            _ => (36, Box::new([])),
        };
        Pkcs1v15Sign {
            hash_len: Some(hash_len),
            prefix,
        }
    }

    /// Signs `digest` with an RSA key: PSS (salt as long as the hash, RFC
    /// 8446 §4.2.3) or PKCS#1 v1.5.
    fn rsa_sign<R: CryptoRng + ?Sized>(
        self,
        key: &rsa::PrivateKey,
        digest: &[u8],
        rng: &mut R,
    ) -> rsa::Result<Vec<u8>> {
        match self {
            SignatureScheme::RsaPssSha256 => key.sign_with_rng(rng, Pss::<Sha256>::new(), digest),
            SignatureScheme::RsaPssSha384 => key.sign_with_rng(rng, Pss::<Sha384>::new(), digest),
            SignatureScheme::RsaPssSha512 => key.sign_with_rng(rng, Pss::<Sha512>::new(), digest),
            _ => key.sign_with_rng(rng, self.pkcs1_padding(), digest),
        }
    }

    /// Checks an RSA signature over `digest`.
    fn rsa_verify(self, key: &rsa::PublicKey, digest: &[u8], signature: &[u8]) -> rsa::Result<()> {
        match self {
            SignatureScheme::RsaPssSha256 => key.verify(Pss::<Sha256>::new(), digest, signature),
            SignatureScheme::RsaPssSha384 => key.verify(Pss::<Sha384>::new(), digest, signature),
            SignatureScheme::RsaPssSha512 => key.verify(Pss::<Sha512>::new(), digest, signature),
            _ => key.verify(self.pkcs1_padding(), digest, signature),
        }
    }
}

/// The signature_algorithms a TLS 1.2 client offers by default, in its
/// order of preference: every scheme tlsim verifies, SHA-2 before SHA-1,
/// ECDSA before RSA-PSS before RSA PKCS#1 v1.5 (the order OpenSSL 3 and
/// RFC 8446 §4.2.3 implementations send).
pub const DEFAULT_SIGNATURE_ALGORITHMS: [CodePoint; 10] = [
    CodePoint::EcdsaSecp256r1Sha256,
    CodePoint::EcdsaSecp384r1Sha384,
    CodePoint::RsaPssRsaeSha256,
    CodePoint::RsaPssRsaeSha384,
    CodePoint::RsaPssRsaeSha512,
    CodePoint::RsaPkcs1Sha256,
    CodePoint::RsaPkcs1Sha384,
    CodePoint::RsaPkcs1Sha512,
    CodePoint::EcdsaSha1,
    CodePoint::RsaPkcs1Sha1,
];

/// The kind of a key pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// ECDSA on P-256.
    EcdsaP256,
    /// RSA.
    Rsa,
    /// ECDSA on P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyType::EcdsaP256 => "ECDSA P-256",
            KeyType::Rsa => "RSA",
            KeyType::EcdsaP384 => "ECDSA P-384",
            KeyType::Ed25519 => "Ed25519",
        })
    }
}

impl KeyType {
    /// The curve of an ECDSA key, which a TLS 1.0–1.2 client must list in
    /// supported_groups for the server to sign ECDHE_ECDSA with it
    /// (RFC 8422 §5.1.1, §5.3); `None` for RSA and Ed25519, which tlsim
    /// signs with in TLS 1.3 alone.
    pub fn ecdsa_curve(self) -> Option<NamedGroup> {
        match self {
            KeyType::EcdsaP256 => Some(NamedGroup::Secp256r1),
            KeyType::EcdsaP384 => Some(NamedGroup::Secp384r1),
            KeyType::Rsa | KeyType::Ed25519 => None,
        }
    }
}

/// A private key that signs ServerKeyExchange messages and certificates.
#[derive(Clone, Debug)]
pub enum SigningKey {
    /// An ECDSA P-256 key.
    EcdsaP256(p256::ecdsa::SigningKey),
    /// An RSA key.
    Rsa(Box<rsa::PrivateKey>),
    /// An ECDSA P-384 key.
    EcdsaP384(p384::ecdsa::SigningKey),
    /// An Ed25519 key.
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A public key that verifies signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// An ECDSA P-256 key.
    EcdsaP256(p256::ecdsa::VerifyingKey),
    /// An RSA key.
    Rsa(Box<rsa::PublicKey>),
    /// An ECDSA P-384 key.
    EcdsaP384(p384::ecdsa::VerifyingKey),
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl SigningKey {
    /// A fresh P-256 key drawn from `rng` (fast: use it for tests and
    /// generated scenarios; RSA keys come from files).
    pub fn generate_p256<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        SigningKey::EcdsaP256(p256::ecdsa::SigningKey::generate_from_rng(rng))
    }

    /// A fresh P-384 key drawn from `rng`.
    pub fn generate_p384<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        SigningKey::EcdsaP384(p384::ecdsa::SigningKey::generate_from_rng(rng))
    }

    /// A fresh Ed25519 key: its 32-byte seed (RFC 8032 §5.1.5) drawn
    /// from `rng`.
    pub fn generate_ed25519<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0; 32];
        rng.fill_bytes(&mut seed);
        SigningKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// A key from a PEM file: `PRIVATE KEY` (PKCS#8: P-256, P-384,
    /// Ed25519 or RSA), `EC PRIVATE KEY` (SEC1, P-256 or P-384) or
    /// `RSA PRIVATE KEY` (PKCS#1).
    pub fn from_pem(text: &str) -> Result<Self, CryptoError> {
        let block = pem::decode_first(text)?;
        match block.label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der(&block.der),
            "EC PRIVATE KEY" => Self::from_sec1_der(&block.der),
            "RSA PRIVATE KEY" => Self::from_pkcs1_der(&block.der),
            _ => Err(CryptoError::BadKeyEncoding(
                "unknown PEM label for a private key",
            )),
        }
    }

    /// A key from PKCS#8 `PrivateKeyInfo` DER (P-256, P-384, Ed25519 or
    /// RSA).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(key) = p256::SecretKey::from_pkcs8_der(der) {
            return Ok(SigningKey::EcdsaP256(key.into()));
        }
        if let Ok(key) = p384::SecretKey::from_pkcs8_der(der) {
            return Ok(SigningKey::EcdsaP384(key.into()));
        }
        if let Some(seed) = ed25519_pkcs8_seed(der) {
            return Ok(SigningKey::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_bytes(&seed),
            )));
        }
        rsa::PrivateKey::from_pkcs8_der(der)
            .map(|k| SigningKey::Rsa(Box::new(k)))
            .map_err(|_| {
                CryptoError::BadKeyEncoding("not a P-256, P-384, Ed25519 or RSA PKCS#8 key")
            })
    }

    /// A P-256 or P-384 key from SEC1 `ECPrivateKey` DER (RFC 5915).
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(key) = p384::SecretKey::from_sec1_der(der) {
            return Ok(SigningKey::EcdsaP384(key.into()));
        }
        p256::SecretKey::from_sec1_der(der)
            .map(|k| SigningKey::EcdsaP256(k.into()))
            .map_err(|_| CryptoError::BadKeyEncoding("not a P-256 or P-384 SEC1 key"))
    }

    /// An RSA key from PKCS#1 `RSAPrivateKey` DER.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        rsa::PrivateKey::from_pkcs1_der(der)
            .map(|k| SigningKey::Rsa(Box::new(k)))
            .map_err(|_| CryptoError::BadKeyEncoding("not a PKCS#1 RSA key"))
    }

    /// A P-256 key from its 32-byte big-endian scalar.
    pub fn p256_from_scalar(scalar: &[u8]) -> Result<Self, CryptoError> {
        p256::ecdsa::SigningKey::from_slice(scalar)
            .map(SigningKey::EcdsaP256)
            .map_err(|_| CryptoError::InvalidPrivateKey)
    }

    /// RFC 8017 §7.2.2: the plaintext of an RSAES-PKCS1-v1_5 ciphertext,
    /// or `None` when this is not an RSA key or the ciphertext does not
    /// decrypt to a well-padded message. Which of these it was is not
    /// told: RFC 5246 §7.4.7.1 has the server go on alike in every case.
    pub fn decrypt_pkcs1v15(&self, ciphertext: &[u8]) -> Option<Vec<u8>> {
        match self {
            SigningKey::Rsa(key) => key.decrypt(Pkcs1v15Encrypt, ciphertext).ok(),
            SigningKey::EcdsaP256(_) | SigningKey::EcdsaP384(_) | SigningKey::Ed25519(_) => None,
        }
    }

    /// The kind of this key.
    pub fn key_type(&self) -> KeyType {
        match self {
            SigningKey::EcdsaP256(_) => KeyType::EcdsaP256,
            SigningKey::Rsa(_) => KeyType::Rsa,
            SigningKey::EcdsaP384(_) => KeyType::EcdsaP384,
            SigningKey::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            SigningKey::EcdsaP256(k) => PublicKey::EcdsaP256(*k.verifying_key()),
            SigningKey::Rsa(k) => PublicKey::Rsa(Box::new(k.to_public_key())),
            SigningKey::EcdsaP384(k) => PublicKey::EcdsaP384(*k.verifying_key()),
            SigningKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
        }
    }

    /// Signs `message` with `scheme`. ECDSA (RFC 6979) and Ed25519 are
    /// deterministic and do not touch `rng`; RSA draws its blinding factor
    /// from `rng` (the signature itself does not depend on it).
    ///
    /// A scheme of the other key type is
    /// [`CryptoError::UnsupportedSignatureAlgorithm`].
    pub fn sign<R: CryptoRng + ?Sized>(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, CryptoError> {
        let digest = scheme.digest(message);
        if let SigningKey::Rsa(key) = self {
            return if scheme.is_rsa() {
                scheme
                    .rsa_sign(key, &digest, rng)
                    .map_err(|_| CryptoError::UnsupportedSignatureAlgorithm)
            } else {
                Err(CryptoError::UnsupportedSignatureAlgorithm)
            };
        }
        // The other signatures draw nothing from `rng`, so they can be
        // computed ahead.
        let inputs = || {
            let key = self.public_key().subject_public_key_bytes();
            ahead::inputs(ahead::tag::SIGN, &[scheme.name().as_bytes(), &key, &digest])
        };
        ahead::computed(inputs, || self.sign_deterministic(scheme, &digest))
    }

    /// ECDSA (RFC 6979) or Ed25519 signature of `digest`.
    fn sign_deterministic(
        &self,
        scheme: SignatureScheme,
        digest: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match self {
            SigningKey::EcdsaP256(key) if scheme.is_ecdsa() => {
                let sig: p256::ecdsa::DerSignature = key
                    .sign_prehash(digest)
                    .map_err(|_| CryptoError::UnsupportedSignatureAlgorithm)?;
                Ok(sig.as_bytes().to_vec())
            }
            SigningKey::EcdsaP384(key) if scheme.is_ecdsa() => {
                let sig: p384::ecdsa::DerSignature = key
                    .sign_prehash(digest)
                    .map_err(|_| CryptoError::UnsupportedSignatureAlgorithm)?;
                Ok(sig.as_bytes().to_vec())
            }
            SigningKey::Ed25519(key) if scheme == SignatureScheme::Ed25519 => {
                Ok(ed25519_dalek::Signer::sign(key.as_ref(), digest)
                    .to_bytes()
                    .to_vec())
            }
            _ => Err(CryptoError::UnsupportedSignatureAlgorithm),
        }
    }
}

impl SigningKey {
    /// Signs `message` with an RSA-PSS `scheme` whose salt (RFC 8017
    /// §9.1.1 step 4, as long as the hash: RFC 8446 §4.2.3) is `salt`
    /// instead of random bytes, to reproduce a recorded signature.
    ///
    /// RSA's blinding factor still comes from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedSignatureAlgorithm`] for a scheme that is
    /// not RSA-PSS, a key that is not RSA, or a salt of another length.
    pub fn sign_with_pss_salt<R: CryptoRng + ?Sized>(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        salt: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, CryptoError> {
        if !scheme.is_pss() || salt.len() != scheme.digest(&[]).len() {
            return Err(CryptoError::UnsupportedSignatureAlgorithm);
        }
        // PSS draws the salt first, then the blinding factor.
        self.sign(
            scheme,
            message,
            &mut GivenBytes {
                given: salt,
                then: rng,
            },
        )
    }
}

/// A generator that yields given bytes (a pinned salt or padding), then
/// those of `then`.
struct GivenBytes<'a, R: ?Sized> {
    given: &'a [u8],
    then: &'a mut R,
}

impl<R: CryptoRng + ?Sized> rand_core::TryRng for GivenBytes<'_, R> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let taken = dst.len().min(self.given.len());
        dst[..taken].copy_from_slice(&self.given[..taken]);
        self.then.fill_bytes(&mut dst[taken..]);
        self.given = &self.given[taken..];
        Ok(())
    }
}

impl<R: CryptoRng + ?Sized> rand_core::TryCryptoRng for GivenBytes<'_, R> {}

impl PublicKey {
    /// RFC 5246 §7.4.7.1: the premaster secret encrypted to this RSA key
    /// with RSAES-PKCS1-v1_5 (RFC 8017 §7.2.1); the padding's random
    /// bytes come from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedSignatureAlgorithm`] for a key that is not
    /// RSA or too short for the message.
    pub fn encrypt_pkcs1v15<R: CryptoRng + ?Sized>(
        &self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, CryptoError> {
        match self {
            PublicKey::Rsa(key) => key
                .encrypt(rng, Pkcs1v15Encrypt, plaintext)
                .map_err(|_| CryptoError::UnsupportedSignatureAlgorithm),
            PublicKey::EcdsaP256(_) | PublicKey::EcdsaP384(_) | PublicKey::Ed25519(_) => {
                Err(CryptoError::UnsupportedSignatureAlgorithm)
            }
        }
    }

    /// [`encrypt_pkcs1v15`](Self::encrypt_pkcs1v15) with the padding
    /// string PS (RFC 8017 §7.2.1 step 2b: nonzero bytes, as many as the
    /// modulus leaves) given instead of drawn, to reproduce a recorded
    /// ClientKeyExchange.
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedSignatureAlgorithm`] for a key that is not
    /// RSA, or a padding of the wrong length or with a zero byte.
    pub fn encrypt_pkcs1v15_with_padding<R: CryptoRng + ?Sized>(
        &self,
        plaintext: &[u8],
        padding: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, CryptoError> {
        let PublicKey::Rsa(key) = self else {
            return Err(CryptoError::UnsupportedSignatureAlgorithm);
        };
        let fits = key.size().checked_sub(3 + plaintext.len()) == Some(padding.len());
        if !fits || padding.contains(&0) {
            return Err(CryptoError::UnsupportedSignatureAlgorithm);
        }
        self.encrypt_pkcs1v15(
            plaintext,
            &mut GivenBytes {
                given: padding,
                then: rng,
            },
        )
    }

    /// A P-256 key from an uncompressed (or compressed) SEC1 point.
    pub fn p256_from_sec1(point: &[u8]) -> Result<Self, CryptoError> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .map(PublicKey::EcdsaP256)
            .map_err(|_| CryptoError::BadKeyEncoding("not a P-256 point"))
    }

    /// A P-384 key from an uncompressed (or compressed) SEC1 point.
    pub fn p384_from_sec1(point: &[u8]) -> Result<Self, CryptoError> {
        p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .map(PublicKey::EcdsaP384)
            .map_err(|_| CryptoError::BadKeyEncoding("not a P-384 point"))
    }

    /// An Ed25519 key from its 32-byte encoding (RFC 8032 §5.1.2).
    pub fn ed25519_from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        <[u8; 32]>::try_from(bytes)
            .ok()
            .and_then(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).ok())
            .map(PublicKey::Ed25519)
            .ok_or(CryptoError::BadKeyEncoding("not an Ed25519 public key"))
    }

    /// An RSA key from PKCS#1 `RSAPublicKey` DER (the contents of an RSA
    /// SubjectPublicKeyInfo's BIT STRING).
    pub fn rsa_from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        rsa::PublicKey::from_pkcs1_der(der)
            .map(|k| PublicKey::Rsa(Box::new(k)))
            .map_err(|_| CryptoError::BadKeyEncoding("not a PKCS#1 RSA public key"))
    }

    /// The kind of this key.
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::EcdsaP256(_) => KeyType::EcdsaP256,
            PublicKey::Rsa(_) => KeyType::Rsa,
            PublicKey::EcdsaP384(_) => KeyType::EcdsaP384,
            PublicKey::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The bytes of the SubjectPublicKeyInfo BIT STRING: the uncompressed
    /// point for P-256 and P-384, PKCS#1 `RSAPublicKey` DER for RSA, the
    /// 32-byte key for Ed25519 (RFC 8410 §4).
    pub fn subject_public_key_bytes(&self) -> Vec<u8> {
        match self {
            PublicKey::EcdsaP256(k) => k.to_sec1_bytes().to_vec(),
            PublicKey::EcdsaP384(k) => k.to_sec1_bytes().to_vec(),
            PublicKey::Ed25519(k) => k.to_bytes().to_vec(),
            PublicKey::Rsa(k) => k
                .to_pkcs1_der()
                .map(|d| d.as_bytes().to_vec())
                .expect("an RSA public key always encodes"),
        }
    }

    /// The key size in bits (256 for P-256 and Ed25519, 384 for P-384,
    /// the modulus size for RSA).
    pub fn bits(&self) -> usize {
        match self {
            PublicKey::EcdsaP256(_) | PublicKey::Ed25519(_) => 256,
            PublicKey::EcdsaP384(_) => 384,
            PublicKey::Rsa(k) => k.size() * 8,
        }
    }

    /// Checks `signature` over `message`.
    ///
    /// Any mismatch (wrong key type, malformed DER, wrong value) is
    /// [`CryptoError::BadSignature`] except a scheme of the other key type,
    /// which is [`CryptoError::UnsupportedSignatureAlgorithm`].
    pub fn verify(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let digest = scheme.digest(message);
        let inputs = || {
            let key = self.subject_public_key_bytes();
            let parts: [&[u8]; 4] = [scheme.name().as_bytes(), &key, &digest, signature];
            ahead::inputs(ahead::tag::VERIFY, &parts)
        };
        ahead::computed(inputs, || {
            self.verify_digest(scheme, &digest, signature)
                .map(|()| Vec::new())
        })
        .map(drop)
    }

    /// [`verify`](Self::verify) of a message whose digest is `digest`.
    fn verify_digest(
        &self,
        scheme: SignatureScheme,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        match self {
            PublicKey::EcdsaP256(key) if scheme.is_ecdsa() => {
                // Decoding checks 1 ≤ r, s < n (SEC 1 §4.1.4 step 1).
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| CryptoError::BadSignature)?;
                super::p256_table::verify_prehash(key, digest, &sig)
                    .then_some(())
                    .ok_or(CryptoError::BadSignature)
            }
            PublicKey::EcdsaP384(key) if scheme.is_ecdsa() => {
                let sig = p384::ecdsa::DerSignature::from_bytes(signature)
                    .map_err(|_| CryptoError::BadSignature)?;
                key.verify_prehash(digest, &sig)
                    .map_err(|_| CryptoError::BadSignature)
            }
            // RFC 8032 §5.1.7, with the checks of the strict form: no
            // malleable S, no small-order key or R.
            PublicKey::Ed25519(key) if scheme == SignatureScheme::Ed25519 => {
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| CryptoError::BadSignature)?;
                key.verify_strict(digest, &sig)
                    .map_err(|_| CryptoError::BadSignature)
            }
            PublicKey::Rsa(key) if scheme.is_rsa() => scheme
                .rsa_verify(key, digest, signature)
                .map_err(|_| CryptoError::BadSignature),
            _ => Err(CryptoError::UnsupportedSignatureAlgorithm),
        }
    }
}

/// RFC 8410 §7: the seed of an Ed25519 PKCS#8 `OneAsymmetricKey`
/// (version 0, id-Ed25519 without parameters, the CurvePrivateKey OCTET
/// STRING inside the privateKey OCTET STRING, nothing after), if `der`
/// is one.
fn ed25519_pkcs8_seed(der: &[u8]) -> Option<[u8; 32]> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.strip_prefix(&PREFIX)?.try_into().ok()
}

/// RFC 8422 §5.4: the ServerKeyExchange signature covers
/// `ClientHello.random ‖ ServerHello.random ‖ ServerECDHParams`.
pub fn server_key_exchange_signed_content(
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    server_ecdh_params: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + server_ecdh_params.len());
    out.extend_from_slice(client_random);
    out.extend_from_slice(server_random);
    out.extend_from_slice(server_ecdh_params);
    out
}

#[cfg(test)]
mod tests {
    use tlsim_sim::RngStream;

    use super::super::TLS12;
    use super::*;

    #[test]
    fn tls13_certificate_verify_takes_pss_for_rsa_and_the_curves_own_ecdsa() {
        let tls13: Vec<_> = SignatureScheme::WITH_CODE_POINTS
            .into_iter()
            .filter(|s| s.signs_tls13_with(KeyType::Rsa))
            .collect();
        assert_eq!(
            tls13,
            [
                SignatureScheme::RsaPssSha256,
                SignatureScheme::RsaPssSha384,
                SignatureScheme::RsaPssSha512
            ],
            "RFC 8446 §4.2.3: no RSASSA-PKCS1-v1_5 in CertificateVerify"
        );
        let p256: Vec<_> = SignatureScheme::WITH_CODE_POINTS
            .into_iter()
            .filter(|s| s.signs_tls13_with(KeyType::EcdsaP256))
            .collect();
        assert_eq!(p256, [SignatureScheme::EcdsaSha256]);
    }

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 6979 A.2.5: the P-256 key.
    fn rfc6979_key() -> SigningKey {
        SigningKey::p256_from_scalar(&unhex(
            "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
        ))
        .unwrap()
    }

    fn der_of(r: &str, s: &str) -> Vec<u8> {
        let sig = p256::ecdsa::Signature::from_scalars(
            <[u8; 32]>::try_from(unhex(r)).unwrap(),
            <[u8; 32]>::try_from(unhex(s)).unwrap(),
        )
        .unwrap();
        sig.to_der().as_bytes().to_vec()
    }

    #[test]
    fn ecdsa_p256_sha256_is_rfc6979_a25_deterministic() {
        let key = rfc6979_key();
        let public = key.public_key();
        assert_eq!(
            hex::encode(public.subject_public_key_bytes()),
            "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6\
             7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
        );
        let sig = key
            .sign(
                SignatureScheme::EcdsaSha256,
                b"sample",
                &mut RngStream::new(0, "x"),
            )
            .unwrap();
        assert_eq!(
            sig,
            der_of(
                "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
                "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"
            )
        );
    }

    #[test]
    fn ecdsa_p256_sha1_verifies_rfc6979_a25_vector() {
        let public = rfc6979_key().public_key();
        let sig = der_of(
            "61340c88c3aaebeb4f6d667f672ca9759a6ccaa9fa8811313039ee4a35471d32",
            "6d7f147dac089441bb2e2fe8f7a3fa264b9c475098fdcf6e00d7c996e1b8b7eb",
        );
        assert_eq!(
            public.verify(SignatureScheme::EcdsaSha1, b"sample", &sig),
            Ok(())
        );
        assert_eq!(
            public.verify(SignatureScheme::EcdsaSha1, b"samplf", &sig),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            public.verify(SignatureScheme::EcdsaSha256, b"sample", &sig),
            Err(CryptoError::BadSignature)
        );
    }

    #[test]
    fn rsa_schemes_sign_and_verify_and_reject_changes() {
        let key = SigningKey::from_pem(include_str!("../../testdata/rsa2048-server.pem")).unwrap();
        assert_eq!(key.key_type(), KeyType::Rsa);
        let public = key.public_key();
        assert_eq!(public.bits(), 2048);
        let mut rng = RngStream::new(1, "sign");
        for scheme in [
            SignatureScheme::RsaPkcs1Sha256,
            SignatureScheme::RsaPkcs1Sha384,
            SignatureScheme::RsaPkcs1Sha512,
            SignatureScheme::RsaPkcs1Sha1,
            SignatureScheme::RsaPkcs1Md5Sha1,
        ] {
            let sig = key.sign(scheme, b"server params", &mut rng).unwrap();
            assert_eq!(sig.len(), 256);
            assert_eq!(public.verify(scheme, b"server params", &sig), Ok(()));
            assert_eq!(
                public.verify(scheme, b"server paramz", &sig),
                Err(CryptoError::BadSignature)
            );
            // PKCS#1 v1.5 signing is deterministic.
            assert_eq!(key.sign(scheme, b"server params", &mut rng).unwrap(), sig);
        }
    }

    #[test]
    fn tls10_rsa_form_has_no_digest_info() {
        // The padded block holds the bare 36-byte MD5 ‖ SHA-1, so it checks
        // out against an empty DigestInfo prefix.
        let key = SigningKey::from_pem(include_str!("../../testdata/rsa2048-server.pem")).unwrap();
        let PublicKey::Rsa(public) = key.public_key() else {
            unreachable!()
        };
        let sig = key
            .sign(
                SignatureScheme::RsaPkcs1Md5Sha1,
                b"m",
                &mut RngStream::new(2, "s"),
            )
            .unwrap();
        let digest = SignatureScheme::RsaPkcs1Md5Sha1.digest(b"m");
        assert_eq!(digest.len(), 36);
        assert!(
            public
                .verify(Pkcs1v15Sign::new_unprefixed(), &digest, &sig)
                .is_ok()
        );
    }

    #[test]
    fn rejects_scheme_of_the_other_key_type() {
        let mut rng = RngStream::new(3, "sign");
        let ec = SigningKey::generate_p256(&mut rng);
        assert_eq!(
            ec.sign(SignatureScheme::RsaPkcs1Sha256, b"m", &mut rng),
            Err(CryptoError::UnsupportedSignatureAlgorithm)
        );
        let sig = ec
            .sign(SignatureScheme::EcdsaSha256, b"m", &mut rng)
            .unwrap();
        assert_eq!(
            ec.public_key()
                .verify(SignatureScheme::RsaPkcs1Sha256, b"m", &sig),
            Err(CryptoError::UnsupportedSignatureAlgorithm)
        );
        assert_eq!(
            ec.public_key()
                .verify(SignatureScheme::EcdsaSha256, b"m", &sig[1..]),
            Err(CryptoError::BadSignature)
        );
    }

    #[test]
    fn loads_sec1_and_pkcs8_p256_keys() {
        let key = rfc6979_key();
        let SigningKey::EcdsaP256(inner) = &key else {
            unreachable!()
        };
        let secret = p256::SecretKey::from(inner.as_nonzero_scalar());
        let sec1 = secret.to_sec1_der().unwrap();
        let from_sec1 = SigningKey::from_pem(&pem::encode("EC PRIVATE KEY", &sec1)).unwrap();
        assert_eq!(from_sec1.public_key(), key.public_key());
        use p256::pkcs8::EncodePrivateKey;
        let pkcs8 = secret.to_pkcs8_der().unwrap();
        let from_pkcs8 = SigningKey::from_pkcs8_der(pkcs8.as_bytes()).unwrap();
        assert_eq!(from_pkcs8.public_key(), key.public_key());
        assert!(SigningKey::from_pkcs8_der(&[0x30, 0x00]).is_err());
        assert!(SigningKey::from_pem("-----BEGIN FOO-----\n-----END FOO-----\n").is_err());
    }

    #[test]
    fn code_points_round_trip() {
        for scheme in SignatureScheme::WITH_CODE_POINTS {
            let code_point = scheme.code_point().unwrap();
            assert_eq!(SignatureScheme::from_code_point(code_point), Some(scheme));
            assert_eq!(Some(scheme.name()), code_point.name());
        }
        assert_eq!(SignatureScheme::RsaPkcs1Md5Sha1.code_point(), None);
        assert_eq!(
            SignatureScheme::from_code_point(CodePoint::Ed25519),
            Some(SignatureScheme::Ed25519)
        );
        assert_eq!(
            SignatureScheme::RsaPssSha256.code_point(),
            Some(CodePoint::from(0x0804))
        );
    }

    #[test]
    fn rsa_encrypted_premaster_secret_round_trips_and_bad_ones_fail_quietly() {
        let key = SigningKey::from_pem(include_str!("../../testdata/rsa2048-server.pem")).unwrap();
        let public = key.public_key();
        let mut rng = RngStream::new(1, "pms");
        let premaster = [3u8; 48];
        let ciphertext = public.encrypt_pkcs1v15(&premaster, &mut rng).unwrap();
        assert_eq!(ciphertext.len(), 256);
        assert_eq!(key.decrypt_pkcs1v15(&ciphertext).unwrap(), premaster);
        // A changed ciphertext decrypts to noise: bad padding, or padding
        // that holds a message of another length (as here), which is why
        // the server also checks for 48 bytes.
        let mut flipped = ciphertext.clone();
        flipped[100] ^= 1;
        assert!(
            key.decrypt_pkcs1v15(&flipped)
                .is_none_or(|m| m.len() != premaster.len())
        );
        assert_eq!(key.decrypt_pkcs1v15(&ciphertext[1..]), None);
        assert_eq!(
            rfc6979_key()
                .public_key()
                .encrypt_pkcs1v15(&premaster, &mut rng),
            Err(CryptoError::UnsupportedSignatureAlgorithm)
        );
    }

    #[test]
    fn every_default_signature_algorithm_is_supported() {
        for code_point in DEFAULT_SIGNATURE_ALGORITHMS {
            assert!(
                SignatureScheme::from_code_point(code_point).is_some(),
                "{code_point}"
            );
        }
    }

    #[test]
    fn a_given_pkcs1_padding_gives_the_recorded_ciphertext() {
        let key = SigningKey::from_pem(include_str!("../../testdata/rsa2048-server.pem")).unwrap();
        let public = key.public_key();
        let mut rng = RngStream::new(1, "padding");
        let message = [3u8; 48];
        let padding = [0x5a; 256 - 3 - 48];
        let first = public
            .encrypt_pkcs1v15_with_padding(&message, &padding, &mut rng)
            .unwrap();
        assert_eq!(
            first,
            public
                .encrypt_pkcs1v15_with_padding(&message, &padding, &mut rng)
                .unwrap()
        );
        assert_eq!(key.decrypt_pkcs1v15(&first).as_deref(), Some(&message[..]));
        let mut zero = padding;
        zero[9] = 0;
        for bad in [&padding[1..], &zero[..]] {
            assert_eq!(
                public.encrypt_pkcs1v15_with_padding(&message, bad, &mut rng),
                Err(CryptoError::UnsupportedSignatureAlgorithm)
            );
        }
    }

    #[test]
    fn a_pinned_pss_salt_gives_the_same_signature_every_time() {
        let key = SigningKey::from_pem(include_str!("../../testdata/rsa2048-server.pem")).unwrap();
        let mut rng = RngStream::new(1, "salt");
        let salt = [7u8; 32];
        let scheme = SignatureScheme::RsaPssSha256;
        let first = key
            .sign_with_pss_salt(scheme, b"params", &salt, &mut rng)
            .unwrap();
        let second = key
            .sign_with_pss_salt(scheme, b"params", &salt, &mut rng)
            .unwrap();
        assert_eq!(first, second);
        assert_eq!(key.public_key().verify(scheme, b"params", &first), Ok(()));
        let other = key
            .sign_with_pss_salt(scheme, b"params", &[8u8; 32], &mut rng)
            .unwrap();
        assert_ne!(first, other);
        assert_eq!(
            key.sign_with_pss_salt(scheme, b"params", &[7u8; 20], &mut rng),
            Err(CryptoError::UnsupportedSignatureAlgorithm)
        );
        assert_eq!(
            key.sign_with_pss_salt(SignatureScheme::RsaPkcs1Sha256, b"params", &salt, &mut rng),
            Err(CryptoError::UnsupportedSignatureAlgorithm)
        );
    }

    #[test]
    fn rsa_pss_signatures_are_salted_and_verify_only_as_pss() {
        let key = SigningKey::from_pem(include_str!("../../testdata/rsa2048-server.pem")).unwrap();
        let public = key.public_key();
        let mut rng = RngStream::new(1, "pss");
        for (pss, pkcs1) in [
            (
                SignatureScheme::RsaPssSha256,
                SignatureScheme::RsaPkcs1Sha256,
            ),
            (
                SignatureScheme::RsaPssSha384,
                SignatureScheme::RsaPkcs1Sha384,
            ),
            (
                SignatureScheme::RsaPssSha512,
                SignatureScheme::RsaPkcs1Sha512,
            ),
        ] {
            let first = key.sign(pss, b"server params", &mut rng).unwrap();
            let second = key.sign(pss, b"server params", &mut rng).unwrap();
            // RFC 8017 §9.1.1: a fresh salt each time.
            assert_ne!(first, second);
            for sig in [&first, &second] {
                assert_eq!(public.verify(pss, b"server params", sig), Ok(()));
                assert_eq!(
                    public.verify(pss, b"server paramz", sig),
                    Err(CryptoError::BadSignature)
                );
                assert_eq!(
                    public.verify(pkcs1, b"server params", sig),
                    Err(CryptoError::BadSignature)
                );
            }
        }
    }

    /// RFC 8032 §7.1 TEST 1: the secret key, its public key, and the
    /// signature of the empty message.
    #[test]
    fn ed25519_signs_rfc8032_test_1_and_rejects_changes() {
        let seed: [u8; 32] =
            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .try_into()
                .unwrap();
        let key = SigningKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)));
        let public = key.public_key();
        assert_eq!(
            hex::encode(public.subject_public_key_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let scheme = SignatureScheme::Ed25519;
        let sig = key.sign(scheme, b"", &mut RngStream::new(0, "x")).unwrap();
        assert_eq!(
            hex::encode(&sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert_eq!(public.verify(scheme, b"", &sig), Ok(()));
        assert_eq!(
            public.verify(scheme, b"x", &sig),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            public.verify(scheme, b"", &sig[1..]),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            public.verify(SignatureScheme::EcdsaSha256, b"", &sig),
            Err(CryptoError::UnsupportedSignatureAlgorithm)
        );
        assert_eq!(
            PublicKey::ed25519_from_bytes(&public.subject_public_key_bytes()),
            Ok(public)
        );
    }

    /// RFC 8410 §10.3's private key, whose public key is §10.1's.
    #[test]
    fn loads_an_ed25519_pkcs8_key() {
        let key = SigningKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\n\
             MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
             -----END PRIVATE KEY-----\n",
        )
        .unwrap();
        assert_eq!(key.key_type(), KeyType::Ed25519);
        assert_eq!(
            hex::encode(key.public_key().subject_public_key_bytes()),
            "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1"
        );
        assert_eq!(ed25519_pkcs8_seed(&[0x30, 0x2e]), None);
    }

    #[test]
    fn ecdsa_p384_signs_deterministically_with_sha384_and_loads_from_sec1() {
        let key = SigningKey::generate_p384(&mut RngStream::new(4, "p384"));
        assert_eq!(key.key_type(), KeyType::EcdsaP384);
        let public = key.public_key();
        assert_eq!(public.bits(), 384);
        assert_eq!(public.subject_public_key_bytes().len(), 97);
        let mut rng = RngStream::new(4, "sign");
        let sig = key
            .sign(SignatureScheme::EcdsaSha384, b"params", &mut rng)
            .unwrap();
        assert_eq!(
            key.sign(SignatureScheme::EcdsaSha384, b"params", &mut rng),
            Ok(sig.clone()),
            "RFC 6979: the same signature every time"
        );
        assert_eq!(
            public.verify(SignatureScheme::EcdsaSha384, b"params", &sig),
            Ok(())
        );
        assert_eq!(
            public.verify(SignatureScheme::EcdsaSha384, b"paramz", &sig),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            PublicKey::p384_from_sec1(&public.subject_public_key_bytes()),
            Ok(public.clone())
        );
        let SigningKey::EcdsaP384(inner) = &key else {
            unreachable!()
        };
        let sec1 = p384::SecretKey::from(inner.as_nonzero_scalar())
            .to_sec1_der()
            .unwrap();
        let loaded = SigningKey::from_pem(&pem::encode("EC PRIVATE KEY", &sec1)).unwrap();
        assert_eq!(loaded.public_key(), public);
    }

    #[test]
    fn each_key_makes_its_own_tls13_scheme_only() {
        for (key_type, scheme) in [
            (KeyType::EcdsaP384, SignatureScheme::EcdsaSha384),
            (KeyType::Ed25519, SignatureScheme::Ed25519),
        ] {
            let tls13: Vec<_> = SignatureScheme::WITH_CODE_POINTS
                .into_iter()
                .filter(|s| s.signs_tls13_with(key_type))
                .collect();
            assert_eq!(tls13, [scheme], "RFC 8446 §4.2.3");
            assert_eq!(SignatureScheme::default_for(key_type, TLS12), scheme);
        }
        assert_eq!(
            KeyType::EcdsaP384.ecdsa_curve(),
            Some(NamedGroup::Secp384r1)
        );
        assert_eq!(KeyType::Ed25519.ecdsa_curve(), None);
        assert!(!SignatureScheme::Ed25519.signs_with(KeyType::Rsa));
    }

    #[test]
    fn ecdsa_p256_signs_with_its_own_hash_or_sha1_only() {
        let ecdsa: Vec<_> = SignatureScheme::WITH_CODE_POINTS
            .into_iter()
            .filter(|s| s.signs_with(KeyType::EcdsaP256))
            .collect();
        assert_eq!(
            ecdsa,
            [SignatureScheme::EcdsaSha256, SignatureScheme::EcdsaSha1]
        );
        assert!(SignatureScheme::RsaPssSha512.signs_with(KeyType::Rsa));
        assert!(!SignatureScheme::RsaPkcs1Md5Sha1.signs_with(KeyType::Rsa));
        assert!(!SignatureScheme::EcdsaSha384.signs_with(KeyType::Rsa));
    }
}
