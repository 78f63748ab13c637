//! Finite-field Diffie-Hellman over the RFC 7919 groups, for DHE key
//! exchange.
//!
//! Read first: RFC 7919 §2 and Appendix A (the groups), §5.1 (checking the
//! peer's public value), §5.2 (short exponents); RFC 5246 §7.4.3
//! (ServerDHParams) and §8.1.2 (the premaster secret is Z without its
//! leading zero bytes).
//!
//! The arithmetic is `crypto-bigint`'s Montgomery exponentiation. As with
//! ECDHE, the private value is exposed on purpose: the event log shows it.
//!
//! Deviation: only the RFC 7919 groups are used, on both sides. A server
//! sending other parameters is refused (see [`FfdheGroup::from_params`]),
//! because a custom group's safety cannot be checked cheaply.

use core::fmt;

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use rand_core::CryptoRng;

use super::CryptoError;
use crate::enums::NamedGroup;

/// An RFC 7919 group: `p` a safe prime, generator 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FfdheGroup {
    /// The 2048-bit group (`ffdhe2048`, 0x0100; RFC 7919 Appendix A.1).
    Ffdhe2048,
    /// The 3072-bit group (`ffdhe3072`, 0x0101; RFC 7919 Appendix A.2).
    Ffdhe3072,
}

/// RFC 7919 Appendix A: "The generator is: g = 2" for every group.
pub const GENERATOR: u8 = 2;

/// RFC 7919 Appendix A.1: p = 2^2048 - 2^1984 + {[2^1918 * e] + 560316 } * 2^64 - 1.
const FFDHE2048_P: &str = concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF",
);

/// RFC 7919 Appendix A.2: p = 2^3072 - 2^3008 + {[2^2942 * e] + 2625351 } * 2^64 - 1.
const FFDHE3072_P: &str = concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B",
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C",
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF",
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E",
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF",
);

impl FfdheGroup {
    /// Every group, smallest first.
    pub const ALL: [FfdheGroup; 2] = [FfdheGroup::Ffdhe2048, FfdheGroup::Ffdhe3072];

    /// The supported_groups code point (RFC 7919 §2).
    pub fn named_group(self) -> NamedGroup {
        match self {
            FfdheGroup::Ffdhe2048 => NamedGroup::Ffdhe2048,
            FfdheGroup::Ffdhe3072 => NamedGroup::Ffdhe3072,
        }
    }

    /// The group of this code point, if supported.
    pub fn from_named_group(group: NamedGroup) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.named_group() == group)
    }

    /// Whether `group` is in the FFDHE range of the registry, known or not
    /// (RFC 7919 §4: "any codepoint between 256 and 511, inclusive").
    pub fn is_ffdhe_code_point(group: NamedGroup) -> bool {
        (256..=511).contains(&group.get())
    }

    /// The name Wireshark shows.
    pub fn name(self) -> &'static str {
        match self {
            FfdheGroup::Ffdhe2048 => "ffdhe2048",
            FfdheGroup::Ffdhe3072 => "ffdhe3072",
        }
    }

    /// The size of `p` in bits.
    pub fn bits(self) -> u32 {
        match self {
            FfdheGroup::Ffdhe2048 => 2048,
            FfdheGroup::Ffdhe3072 => 3072,
        }
    }

    /// The size of `p` in bytes.
    pub fn prime_len(self) -> usize {
        self.bits() as usize / 8
    }

    /// The length of a drawn private exponent: RFC 7919 §5.2 allows a short
    /// exponent of at least 225 bits (ffdhe2048) or 275 bits (ffdhe3072);
    /// 256 and 320 bits are the next whole multiples of 64.
    pub fn private_len(self) -> usize {
        match self {
            FfdheGroup::Ffdhe2048 => 32,
            FfdheGroup::Ffdhe3072 => 40,
        }
    }

    fn prime(self) -> BoxedUint {
        let hex = match self {
            FfdheGroup::Ffdhe2048 => FFDHE2048_P,
            FfdheGroup::Ffdhe3072 => FFDHE3072_P,
        };
        BoxedUint::from_be_hex(hex, self.bits()).expect("the RFC 7919 primes are valid hex")
    }

    /// `dh_p` as sent in ServerDHParams: big-endian, no leading zeros.
    pub fn prime_bytes(self) -> Vec<u8> {
        self.prime().to_be_bytes().into_vec()
    }

    fn params(self) -> BoxedMontyParams {
        let odd = Odd::new(self.prime()).expect("the RFC 7919 primes are odd");
        BoxedMontyParams::new_vartime(odd)
    }

    /// The known group whose `p` and `g` these are (leading zero bytes
    /// ignored), if any. RFC 7919 §3 lets a client that offered FFDHE
    /// groups refuse others; tlsim always does.
    pub fn from_params(p: &[u8], g: &[u8]) -> Option<Self> {
        let p = strip_leading_zeros(p);
        let generator_is_two = strip_leading_zeros(g) == [GENERATOR];
        Self::ALL
            .into_iter()
            .find(|group| generator_is_two && group.prime_bytes() == p)
    }

    /// A fresh key pair: a private exponent of [`FfdheGroup::private_len`]
    /// bytes from `rng`, its top bit set so that it is never below 2, and
    /// the public value `g^x mod p`.
    pub fn generate<R: CryptoRng + ?Sized>(self, rng: &mut R) -> (DhSecret, Vec<u8>) {
        let mut private = vec![0u8; self.private_len()];
        rng.fill_bytes(&mut private);
        private[0] |= 0x80;
        let secret = DhSecret {
            group: self,
            private,
        };
        let public = secret.public_bytes();
        (secret, public)
    }

    /// The key pair with a pinned private exponent (a scenario reproducing
    /// a known trace): big-endian, at most as long as `p`, with
    /// 1 < x < p - 1.
    pub fn generate_from_private(self, private: &[u8]) -> Result<(DhSecret, Vec<u8>), CryptoError> {
        if private.len() > self.prime_len() || !self.in_open_range(private) {
            return Err(CryptoError::InvalidPrivateKey);
        }
        let secret = DhSecret {
            group: self,
            private: private.to_vec(),
        };
        let public = secret.public_bytes();
        Ok((secret, public))
    }

    /// RFC 7919 §5.1: "Peers MUST validate each other's public key Y ... by
    /// ensuring that 1 < Y < p-1."
    ///
    /// # Errors
    /// [`CryptoError::DhPublicOutOfRange`] otherwise.
    pub fn check_public(self, public: &[u8]) -> Result<(), CryptoError> {
        if self.in_open_range(public) {
            Ok(())
        } else {
            Err(CryptoError::DhPublicOutOfRange)
        }
    }

    /// Whether the big-endian `value` satisfies 1 < value < p - 1.
    fn in_open_range(self, value: &[u8]) -> bool {
        let Ok(value) = BoxedUint::from_be_slice(strip_leading_zeros(value), self.bits()) else {
            return false;
        };
        let one = BoxedUint::one_with_precision(self.bits());
        let p_minus_one = self.prime().wrapping_sub(&one);
        value.cmp_vartime(&one).is_gt() && value.cmp_vartime(&p_minus_one).is_lt()
    }

    /// `base^exponent mod p`, big-endian without leading zeros.
    fn pow(self, base: &[u8], exponent: &[u8]) -> Vec<u8> {
        let bits = self.bits();
        let base = BoxedUint::from_be_slice(base, bits).expect("the base is checked below p");
        let exponent =
            BoxedUint::from_be_slice(exponent, bits).expect("the exponent is checked below p");
        // Only the exponent's own bits are walked: a 256-bit exponent
        // costs an eighth of a 2048-bit one (RFC 7919 §5.2).
        let exponent_bits = exponent.bit_width().max(1);
        BoxedMontyForm::new(base, &self.params())
            .pow_bounded_exp(&exponent, exponent_bits)
            .retrieve()
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect()
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// One side's private exponent. Used once, then dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct DhSecret {
    group: FfdheGroup,
    private: Vec<u8>,
}

impl fmt::Debug for DhSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DhSecret")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl DhSecret {
    /// The group this secret belongs to.
    pub fn group(&self) -> FfdheGroup {
        self.group
    }

    /// The private exponent, big-endian. For teaching output only.
    pub fn private_bytes(&self) -> &[u8] {
        &self.private
    }

    /// The public value `g^x mod p`, big-endian without leading zeros, as
    /// `dh_Ys` or `dh_Yc` carry it.
    pub fn public_bytes(&self) -> Vec<u8> {
        self.group.pow(&[GENERATOR], &self.private)
    }

    /// The premaster secret agreed with the peer's public value: RFC 5246
    /// §8.1.2, `Z = Y^x mod p` with its leading zero bytes stripped.
    ///
    /// RFC 7919 §5.1: a value outside 1 < Y < p - 1 (or longer than `p`)
    /// is [`CryptoError::DhPublicOutOfRange`] (→ `handshake_failure`,
    /// RFC 7919 §3 and §4).
    pub fn agree(&self, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.group.check_public(peer_public)?;
        Ok(self
            .group
            .pow(strip_leading_zeros(peer_public), &self.private))
    }
}

#[cfg(test)]
mod tests {
    use crypto_bigint::{Limb, NonZero, Resize};
    use sha2::{Digest, Sha256};
    use tlsim_sim::RngStream;

    use super::*;

    /// `floor(2^n * e)`, summing `2^n / k!` with guard bits that absorb
    /// each term's rounding down.
    fn floor_e_times_power_of_two(n: u32) -> BoxedUint {
        const GUARD: u32 = 64;
        let precision = n + GUARD + 64;
        let mut term = BoxedUint::one_with_precision(precision).shl(n + GUARD);
        let mut sum = term.clone();
        for k in 1u64.. {
            let divisor = NonZero::new(Limb::from(k)).expect("k is positive");
            term = term.div_rem_limb(divisor).0;
            if bool::from(term.is_zero()) {
                break;
            }
            sum = sum.wrapping_add(&term);
        }
        sum.shr(GUARD)
    }

    #[test]
    fn primes_follow_the_rfc_7919_formula() {
        // RFC 7919 Appendix A: p = 2^b - 2^{b-64} + {[2^{b-130} e] + X} * 2^64 - 1.
        for (group, x) in [
            (FfdheGroup::Ffdhe2048, 560_316u64),
            (FfdheGroup::Ffdhe3072, 2_625_351),
        ] {
            let b = group.bits();
            let precision = b + 64;
            let one = BoxedUint::one_with_precision(precision);
            let middle = floor_e_times_power_of_two(b - 130)
                .wrapping_add(BoxedUint::from(x))
                .resize(precision)
                .shl(64);
            let p = one
                .shl(b)
                .wrapping_sub(one.shl(b - 64))
                .wrapping_add(&middle)
                .wrapping_sub(&one);
            assert_eq!(
                p.to_be_bytes()
                    .iter()
                    .copied()
                    .skip_while(|&b| b == 0)
                    .collect::<Vec<_>>(),
                group.prime_bytes(),
                "{}",
                group.name()
            );
            assert_eq!(group.prime_bytes().len(), group.prime_len());
        }
    }

    #[test]
    fn the_generator_has_order_q_and_q_passes_a_fermat_test() {
        // p = 2q + 1 with q prime (RFC 7919 §2): g = 2 generates the
        // subgroup of order q, so 2^q = 1 mod p. One Fermat test of q in
        // base 2 (2^(q-1) = 1 mod q) is the cheap half of a primality proof.
        for group in FfdheGroup::ALL {
            let q = group.prime().shr(1);
            let q_bytes = q.to_be_bytes();
            assert_eq!(
                group.pow(&[GENERATOR], &q_bytes),
                vec![1],
                "{}",
                group.name()
            );
            let q_params = BoxedMontyParams::new_vartime(Odd::new(q.clone()).unwrap());
            let q_minus_one = q.wrapping_sub(BoxedUint::one_with_precision(group.bits()));
            let fermat = BoxedMontyForm::new(
                BoxedUint::from_be_slice(&[GENERATOR], group.bits()).unwrap(),
                &q_params,
            )
            .pow(&q_minus_one)
            .retrieve();
            assert!(bool::from(fermat.is_one()));
        }
    }

    #[test]
    fn agreement_matches_an_independent_computation() {
        // x = 0xa1 * 32, y = 0xb2 * 32 on ffdhe2048, computed with Python's
        // pow(2, x, p) and pow(g^y, x, p).
        let (a, a_public) = FfdheGroup::Ffdhe2048
            .generate_from_private(&[0xa1; 32])
            .unwrap();
        let (b, b_public) = FfdheGroup::Ffdhe2048
            .generate_from_private(&[0xb2; 32])
            .unwrap();
        assert_eq!(hex::encode(&a_public[..8]), "ad9917946729143d");
        assert_eq!(
            hex::encode(Sha256::digest(&a_public)),
            "a532b6b0aa64be118e4ccf167b3dfd42d11707192b37004a0a7d129ae432e37f"
        );
        let shared = a.agree(&b_public).unwrap();
        assert_eq!(shared, b.agree(&a_public).unwrap());
        assert_eq!(
            hex::encode(Sha256::digest(&shared)),
            "c08d2be19058644c3565cec983f679135bdac37ecce7ff5e944c21c518621631"
        );
    }

    #[test]
    fn both_sides_agree_in_every_group() {
        let mut rng = RngStream::new(7, "ffdhe");
        for group in FfdheGroup::ALL {
            let (a, a_public) = group.generate(&mut rng);
            let (b, b_public) = group.generate(&mut rng);
            assert_eq!(a.private_bytes().len(), group.private_len());
            assert!(a_public.len() <= group.prime_len());
            assert_eq!(a.agree(&b_public).unwrap(), b.agree(&a_public).unwrap());
            assert_eq!(
                FfdheGroup::from_named_group(group.named_group()),
                Some(group)
            );
        }
    }

    #[test]
    fn same_seed_gives_the_same_key_pair() {
        let (_, a) = FfdheGroup::Ffdhe2048.generate(&mut RngStream::new(1, "server kx"));
        let (_, b) = FfdheGroup::Ffdhe2048.generate(&mut RngStream::new(1, "server kx"));
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_public_values_outside_one_and_p_minus_one() {
        let group = FfdheGroup::Ffdhe2048;
        let (secret, _) = group.generate(&mut RngStream::new(2, "ffdhe"));
        let p = group.prime_bytes();
        let mut p_minus_one = p.clone();
        *p_minus_one.last_mut().unwrap() -= 1;
        let longer_than_p = [&[0x01][..], &p].concat();
        for bad in [
            &[][..],
            &[0],
            &[1],
            &[0, 0, 1],
            &p_minus_one,
            &p,
            &[0xff; 256],
            &longer_than_p,
        ] {
            assert_eq!(secret.agree(bad), Err(CryptoError::DhPublicOutOfRange));
        }
        assert!(secret.agree(&[2]).is_ok());
        let mut p_minus_two = p_minus_one.clone();
        *p_minus_two.last_mut().unwrap() -= 1;
        assert!(secret.agree(&p_minus_two).is_ok());
        // Leading zero bytes do not change the value.
        assert!(secret.agree(&[0, 0, 2]).is_ok());
    }

    #[test]
    fn recognises_only_the_rfc_7919_parameters() {
        let p = FfdheGroup::Ffdhe3072.prime_bytes();
        assert_eq!(
            FfdheGroup::from_params(&p, &[2]),
            Some(FfdheGroup::Ffdhe3072)
        );
        assert_eq!(
            FfdheGroup::from_params(&[&[0][..], &p].concat(), &[0, 2]),
            Some(FfdheGroup::Ffdhe3072)
        );
        assert_eq!(FfdheGroup::from_params(&p, &[5]), None);
        let mut other = p.clone();
        other[100] ^= 1;
        assert_eq!(FfdheGroup::from_params(&other, &[2]), None);
        assert_eq!(FfdheGroup::from_params(&[23], &[2]), None);
        assert!(FfdheGroup::is_ffdhe_code_point(NamedGroup::Ffdhe8192));
        assert!(!FfdheGroup::is_ffdhe_code_point(NamedGroup::X25519));
    }

    #[test]
    fn pinned_private_exponents_must_lie_between_one_and_p_minus_one() {
        let group = FfdheGroup::Ffdhe2048;
        for bad in [&[][..], &[1], &[0, 1], &[0xff; 256], &[1; 257]] {
            assert_eq!(
                group.generate_from_private(bad).unwrap_err(),
                CryptoError::InvalidPrivateKey
            );
        }
        let (secret, public) = group.generate_from_private(&[2]).unwrap();
        assert_eq!(public, vec![4]);
        assert_eq!(secret.private_bytes(), &[2]);
    }
}
