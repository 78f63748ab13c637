//! Ephemeral elliptic-curve Diffie-Hellman for ECDHE key exchange.
//!
//! Read first: RFC 8422 §5.4 (ServerECDHParams), §5.10 (the premaster
//! secret is the x-coordinate), §5.11 (point validation); RFC 7748 §5 and
//! §6.1 (X25519 and its all-zero check); SEC 1 §2.3.3 (point encoding).
//!
//! The private value is exposed on purpose: the event log shows learners
//! "Server Private EC Key = Random number" and the public point it gives.

use core::fmt;

use p256::elliptic_curve::Generate;
use p256::elliptic_curve::sec1::ToSec1Point;
use rand_core::CryptoRng;

use super::{CryptoError, ahead};
use crate::enums::NamedGroup;

/// A named group usable for ECDHE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KxGroup {
    /// NIST P-256 (`secp256r1`, NamedCurve 23), uncompressed points.
    Secp256r1,
    /// NIST P-384 (`secp384r1`, NamedCurve 24), uncompressed points.
    Secp384r1,
    /// Curve25519 (`x25519`, NamedCurve 29, RFC 8422 §5.1.1).
    X25519,
}

/// The length of an uncompressed SEC1 P-256 point: `04 ‖ x ‖ y`.
pub const P256_POINT_LEN: usize = 65;
/// The length of an uncompressed SEC1 P-384 point: `04 ‖ x ‖ y`.
pub const P384_POINT_LEN: usize = 97;
/// The longest private value here, a P-384 scalar.
const MAX_PRIVATE_LEN: usize = 48;
/// The length of an X25519 public key and shared secret.
pub const X25519_LEN: usize = 32;

impl KxGroup {
    /// The `NamedCurve` code point (RFC 8422 §5.1.1).
    pub fn named_curve(self) -> NamedGroup {
        match self {
            KxGroup::Secp256r1 => NamedGroup::Secp256r1,
            KxGroup::Secp384r1 => NamedGroup::Secp384r1,
            KxGroup::X25519 => NamedGroup::X25519,
        }
    }

    /// The group of this code point, if supported.
    pub fn from_named_curve(group: NamedGroup) -> Option<Self> {
        match group {
            NamedGroup::Secp256r1 => Some(KxGroup::Secp256r1),
            NamedGroup::Secp384r1 => Some(KxGroup::Secp384r1),
            NamedGroup::X25519 => Some(KxGroup::X25519),
            _ => None,
        }
    }

    /// The name Wireshark shows.
    pub fn name(self) -> &'static str {
        match self {
            KxGroup::Secp256r1 => "secp256r1",
            KxGroup::Secp384r1 => "secp384r1",
            KxGroup::X25519 => "x25519",
        }
    }

    /// The length of this group's public values on the wire.
    pub fn public_len(self) -> usize {
        match self {
            KxGroup::Secp256r1 => P256_POINT_LEN,
            KxGroup::Secp384r1 => P384_POINT_LEN,
            KxGroup::X25519 => X25519_LEN,
        }
    }

    /// The length of this group's private values: the scalar's size.
    pub fn private_len(self) -> usize {
        match self {
            KxGroup::Secp256r1 | KxGroup::X25519 => 32,
            KxGroup::Secp384r1 => 48,
        }
    }

    /// A fresh key pair: the private value drawn from `rng`, and the public
    /// value as sent in ServerKeyExchange or ClientKeyExchange.
    pub fn generate<R: CryptoRng + ?Sized>(self, rng: &mut R) -> (EphemeralSecret, Vec<u8>) {
        let mut private = [0u8; MAX_PRIVATE_LEN];
        let scalar = &mut private[..self.private_len()];
        match self {
            KxGroup::Secp256r1 => {
                scalar.copy_from_slice(&p256::SecretKey::generate_from_rng(rng).to_bytes());
            }
            KxGroup::Secp384r1 => {
                scalar.copy_from_slice(&p384::SecretKey::generate_from_rng(rng).to_bytes());
            }
            KxGroup::X25519 => rng.fill_bytes(scalar),
        }
        let secret = EphemeralSecret {
            group: self,
            private,
        };
        let public = secret.public_bytes();
        (secret, public)
    }

    /// The key pair with a pinned private value (a scenario reproducing a
    /// known trace): a big-endian P-256 or P-384 scalar in `1..n`, or 32
    /// X25519 bytes (clamped when used, RFC 7748 §5).
    pub fn generate_from_private(
        self,
        private: &[u8],
    ) -> Result<(EphemeralSecret, Vec<u8>), CryptoError> {
        if private.len() != self.private_len() {
            return Err(CryptoError::InvalidPrivateKey);
        }
        let in_range = match self {
            KxGroup::Secp256r1 => p256::SecretKey::from_slice(private).is_ok(),
            KxGroup::Secp384r1 => p384::SecretKey::from_slice(private).is_ok(),
            KxGroup::X25519 => true,
        };
        if !in_range {
            return Err(CryptoError::InvalidPrivateKey);
        }
        let mut scalar = [0u8; MAX_PRIVATE_LEN];
        scalar[..private.len()].copy_from_slice(private);
        let secret = EphemeralSecret {
            group: self,
            private: scalar,
        };
        let public = secret.public_bytes();
        Ok((secret, public))
    }
}

/// One side's ephemeral private value. Used once, then dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct EphemeralSecret {
    group: KxGroup,
    /// The scalar in its first [`KxGroup::private_len`] bytes, zeros after.
    private: [u8; MAX_PRIVATE_LEN],
}

impl fmt::Debug for EphemeralSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EphemeralSecret")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl EphemeralSecret {
    /// The group this secret belongs to.
    pub fn group(&self) -> KxGroup {
        self.group
    }

    /// The private value: the P-256 or P-384 scalar (big-endian) or the
    /// X25519 scalar bytes before clamping. For teaching output only.
    pub fn private_bytes(&self) -> &[u8] {
        &self.private[..self.group.private_len()]
    }

    fn x25519_secret(&self) -> x25519_dalek::StaticSecret {
        let mut scalar = [0u8; X25519_LEN];
        scalar.copy_from_slice(self.private_bytes());
        x25519_dalek::StaticSecret::from(scalar)
    }

    /// The public value: private × base point, encoded for the wire.
    pub fn public_bytes(&self) -> Vec<u8> {
        let inputs = || {
            ahead::inputs(
                ahead::tag::KX_PUBLIC,
                &[&[self.group as u8], self.private_bytes()],
            )
        };
        ahead::computed(inputs, || Ok(self.compute_public_bytes()))
            .expect("key generation never fails, nor does a result kept for it")
    }

    fn compute_public_bytes(&self) -> Vec<u8> {
        match self.group {
            KxGroup::Secp256r1 => self
                .p256_secret()
                .public_key()
                .to_sec1_point(false)
                .as_bytes()
                .to_vec(),
            KxGroup::Secp384r1 => self
                .p384_secret()
                .public_key()
                .to_sec1_point(false)
                .as_bytes()
                .to_vec(),
            KxGroup::X25519 => x25519_dalek::PublicKey::from(&self.x25519_secret())
                .as_bytes()
                .to_vec(),
        }
    }

    fn p256_secret(&self) -> p256::SecretKey {
        p256::SecretKey::from_slice(self.private_bytes())
            .expect("P-256 private values are checked when the secret is made")
    }

    fn p384_secret(&self) -> p384::SecretKey {
        p384::SecretKey::from_slice(self.private_bytes())
            .expect("P-384 private values are checked when the secret is made")
    }

    /// The premaster secret agreed with the peer's public value.
    ///
    /// RFC 8422 §5.10: for P-256 and P-384 it is the x-coordinate of the
    /// shared point (32 or 48 bytes). A NIST-curve value that is not an
    /// uncompressed point on the curve, or an X25519 value of the wrong
    /// length, is
    /// [`CryptoError::InvalidPeerPublicKey`] (→ `illegal_parameter`); an
    /// all-zero X25519 result is [`CryptoError::ZeroSharedSecret`].
    pub fn agree(&self, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let inputs = || {
            let group = [self.group as u8];
            ahead::inputs(
                ahead::tag::KX_AGREE,
                &[&group, self.private_bytes(), peer_public],
            )
        };
        ahead::computed(inputs, || self.compute_agreement(peer_public))
    }

    fn compute_agreement(&self, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // RFC 8422 §5.1.2: only the uncompressed format is used.
        let uncompressed = peer_public.len() == self.group.public_len() && peer_public[0] == 0x04;
        match self.group {
            KxGroup::Secp256r1 if uncompressed => {
                let peer = p256::PublicKey::from_sec1_bytes(peer_public)
                    .map_err(|_| CryptoError::InvalidPeerPublicKey)?;
                let shared = self.p256_secret().diffie_hellman(&peer);
                Ok(shared.raw_secret_bytes().to_vec())
            }
            KxGroup::Secp384r1 if uncompressed => {
                let peer = p384::PublicKey::from_sec1_bytes(peer_public)
                    .map_err(|_| CryptoError::InvalidPeerPublicKey)?;
                let shared = self.p384_secret().diffie_hellman(&peer);
                Ok(shared.raw_secret_bytes().to_vec())
            }
            KxGroup::Secp256r1 | KxGroup::Secp384r1 => Err(CryptoError::InvalidPeerPublicKey),
            KxGroup::X25519 => {
                let peer: [u8; 32] = peer_public
                    .try_into()
                    .map_err(|_| CryptoError::InvalidPeerPublicKey)?;
                let shared = self
                    .x25519_secret()
                    .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
                // RFC 7748 §6.1: an all-zero output means a small-order
                // peer point; RFC 8422 §5.11 says abort.
                if !shared.was_contributory() {
                    return Err(CryptoError::ZeroSharedSecret);
                }
                Ok(shared.as_bytes().to_vec())
            }
        }
    }
}

/// The premaster secret of `secret` with `peer_public`; see
/// [`EphemeralSecret::agree`].
pub fn agree(secret: &EphemeralSecret, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
    secret.agree(peer_public)
}

#[cfg(test)]
mod tests {
    use tlsim_sim::RngStream;

    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn p256_matches_nist_cavp_ecc_cdh_count_0() {
        let d = unhex("7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534");
        let (secret, public) = KxGroup::Secp256r1.generate_from_private(&d).unwrap();
        assert_eq!(
            hex::encode(&public),
            "04ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230\
             28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141"
        );
        let peer = unhex(
            "04700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287\
             db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac",
        );
        assert_eq!(
            hex::encode(secret.agree(&peer).unwrap()),
            "46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b"
        );
    }

    #[test]
    fn p384_matches_nist_cavp_ecc_cdh_count_0() {
        let d = unhex(
            "3cc3122a68f0d95027ad38c067916ba0eb8c38894d22e1b15618b6818a661774\
             ad463b205da88cf699ab4d43c9cf98a1",
        );
        let (secret, public) = KxGroup::Secp384r1.generate_from_private(&d).unwrap();
        assert_eq!(secret.private_bytes(), &d[..]);
        assert_eq!(
            hex::encode(&public),
            "049803807f2f6d2fd966cdd0290bd410c0190352fbec7ff6247de1302df86f25d3\
             4fe4a97bef60cff548355c015dbb3e5fba26ca69ec2f5b5d9dad20cc9da71138\
             3a9dbe34ea3fa5a2af75b46502629ad54dd8b7d73a8abb06a3a3be47d650cc99"
        );
        let peer = unhex(
            "04a7c76b970c3b5fe8b05d2838ae04ab47697b9eaf52e764592efda27fe7513272\
             734466b400091adbf2d68c58e0c50066ac68f19f2e1cb879aed43a9969b91a08\
             39c4c38a49749b661efedf243451915ed0905a32b060992b468c64766fc8437a",
        );
        assert_eq!(
            hex::encode(secret.agree(&peer).unwrap()),
            "5f9d29dc5e31a163060356213669c8ce132e22f57c9a04f40ba7fcead493b457\
             e5621e766c40a2e3d4d6a04b25e533f1"
        );
    }

    #[test]
    fn x25519_matches_rfc7748_section_5_2() {
        let k = unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        let u = unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        let (secret, _) = KxGroup::X25519.generate_from_private(&k).unwrap();
        assert_eq!(
            hex::encode(secret.agree(&u).unwrap()),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
        );
    }

    #[test]
    fn x25519_matches_rfc7748_section_6_1() {
        let alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let bob = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let (a, a_pub) = KxGroup::X25519.generate_from_private(&alice).unwrap();
        let (b, b_pub) = KxGroup::X25519.generate_from_private(&bob).unwrap();
        assert_eq!(
            hex::encode(&a_pub),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assert_eq!(hex::encode(a.agree(&b_pub).unwrap()), shared);
        assert_eq!(hex::encode(b.agree(&a_pub).unwrap()), shared);
    }

    #[test]
    fn both_sides_agree_for_every_group() {
        let mut rng = RngStream::new(9, "kx");
        for group in [KxGroup::Secp256r1, KxGroup::Secp384r1, KxGroup::X25519] {
            let (a, a_pub) = group.generate(&mut rng);
            let (b, b_pub) = group.generate(&mut rng);
            assert_eq!(a_pub.len(), group.public_len());
            assert_eq!(a.agree(&b_pub).unwrap(), b.agree(&a_pub).unwrap());
            assert_eq!(KxGroup::from_named_curve(group.named_curve()), Some(group));
        }
    }

    #[test]
    fn same_seed_gives_the_same_key_pair() {
        let (_, a) = KxGroup::Secp256r1.generate(&mut RngStream::new(1, "server kx"));
        let (_, b) = KxGroup::Secp256r1.generate(&mut RngStream::new(1, "server kx"));
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_invalid_p256_points() {
        let (secret, public) = KxGroup::Secp256r1.generate(&mut RngStream::new(2, "kx"));
        let mut off_curve = public.clone();
        off_curve[64] ^= 1;
        let compressed = [&[0x02][..], &public[1..33]].concat();
        let mut identity = vec![0u8; 65];
        identity[0] = 4;
        for bad in [
            &off_curve[..],
            &compressed,
            &identity,
            &public[..64],
            &[0x00],
        ] {
            assert_eq!(secret.agree(bad), Err(CryptoError::InvalidPeerPublicKey));
        }
    }

    #[test]
    fn rejects_invalid_p384_points_and_p256_points_on_p384() {
        let (secret, public) = KxGroup::Secp384r1.generate(&mut RngStream::new(4, "kx"));
        let mut off_curve = public.clone();
        off_curve[96] ^= 1;
        let compressed = [&[0x03][..], &public[1..49]].concat();
        let (_, p256_point) = KxGroup::Secp256r1.generate(&mut RngStream::new(4, "kx"));
        for bad in [&off_curve[..], &compressed, &p256_point, &public[..96], &[]] {
            assert_eq!(secret.agree(bad), Err(CryptoError::InvalidPeerPublicKey));
        }
    }

    #[test]
    fn rejects_small_order_x25519_points() {
        let (secret, _) = KxGroup::X25519.generate(&mut RngStream::new(3, "kx"));
        assert_eq!(secret.agree(&[0; 32]), Err(CryptoError::ZeroSharedSecret));
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(secret.agree(&one), Err(CryptoError::ZeroSharedSecret));
        assert_eq!(
            secret.agree(&[9; 31]),
            Err(CryptoError::InvalidPeerPublicKey)
        );
    }

    #[test]
    fn rejects_out_of_range_p256_private_values() {
        assert_eq!(
            KxGroup::Secp256r1
                .generate_from_private(&[0; 32])
                .unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            KxGroup::Secp256r1
                .generate_from_private(&[0xff; 32])
                .unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            KxGroup::X25519.generate_from_private(&[1; 31]).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            KxGroup::Secp384r1
                .generate_from_private(&[0xff; 48])
                .unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            KxGroup::Secp384r1
                .generate_from_private(&[1; 32])
                .unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
    }
}
