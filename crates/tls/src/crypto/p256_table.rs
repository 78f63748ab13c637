//! ECDSA P-256 verification with a precomputed table per verifying key.
//!
//! Read first: SEC 1 v2 §4.1.4 (ECDSA verification), FIPS 186-5 §6.4.2.
//!
//! Verification computes `u1·G + u2·Q`. The generator's multiples come
//! from `p256`'s own table; a key `Q` seen again (a root, an intermediate,
//! a server's leaf: the same keys every connection) gets a table of its
//! own, `j·16^i·Q` for `j` in 1..=8 and every position `i`, so `u2·Q`
//! costs at most 65 mixed additions instead of 256 doublings. `u2` is
//! written in signed digits from -8 to 7, and a negative digit takes the
//! negated point: half the table a 0..=15 digit needs, so the part of it
//! one verification reads is back in use twice as soon. Every signature
//! is still verified in full; only the arithmetic is shared.
//!
//! Everything here works on public values (keys, signatures, digests), so
//! variable-time arithmetic leaks nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::Group;
use p256::elliptic_curve::group::Curve;
use p256::elliptic_curve::ops::{MulByGeneratorVartime, Reduce};
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};

/// Bits per digit of `u2`.
const DIGIT_BITS: usize = 4;
/// Digit positions in a 256-bit scalar.
const POSITIONS: usize = 256 / DIGIT_BITS;
/// Magnitudes of a non-zero signed digit, `1..=8`.
const MULTIPLES: usize = 1 << (DIGIT_BITS - 1);
/// At most this many keys are remembered (seen or tabled); further keys
/// verify without a table. A table is about 36 KiB.
const MAX_KEYS: usize = 64;

/// `j·16^i·Q` in affine form, row `i`, column `j - 1`, and `16^64·Q` for
/// the carry out of the top digit.
struct KeyTable {
    rows: Vec<[AffinePoint; MULTIPLES]>,
    top: AffinePoint,
}

/// `k` in radix 16 with digits from -8 to 7, least significant first, and
/// the carry out of the last (0 or 1): `k = carry·16^64 + Σ digit·16^i`.
fn signed_digits(k: &Scalar) -> ([i8; POSITIONS], bool) {
    let bytes = k.to_bytes();
    let mut digits = [0i8; POSITIONS];
    let mut carry = 0;
    for (position, digit) in digits.iter_mut().enumerate() {
        let byte = bytes[bytes.len() - 1 - position / 2];
        let nibble = if position % 2 == 0 {
            byte & 0x0f
        } else {
            byte >> 4
        };
        // 0..=16; 8 and above become negative and carry one into the next.
        let value = (nibble + carry) as i8;
        carry = u8::from(value >= 8);
        *digit = value - 16 * carry as i8;
    }
    (digits, carry == 1)
}

impl KeyTable {
    /// Builds the table of `q` with seven additions and one doubling a
    /// row (the row after `8·16^i·Q` starts at twice it) and one batched
    /// inversion.
    fn new(q: &ProjectivePoint) -> Self {
        let mut projective = Vec::with_capacity(POSITIONS * MULTIPLES + 1);
        let mut base = *q;
        for _ in 0..POSITIONS {
            let mut multiple = base;
            projective.push(multiple);
            for _ in 1..MULTIPLES {
                multiple += base;
                projective.push(multiple);
            }
            base = multiple.double();
        }
        projective.push(base);
        let mut affine = vec![AffinePoint::IDENTITY; projective.len()];
        ProjectivePoint::batch_normalize(&projective, &mut affine);
        let top = affine.pop().expect("the carry row");
        let rows = affine
            .chunks_exact(MULTIPLES)
            .map(|row| <[AffinePoint; MULTIPLES]>::try_from(row).expect("rows of MULTIPLES"))
            .collect();
        KeyTable { rows, top }
    }

    /// `k·Q`, least significant digit first.
    ///
    /// The points are gathered before any is added: between two
    /// verifications a simulation evicts the table from the caches, and
    /// loads that depend on no addition can all be in flight at once.
    fn mul(&self, k: &Scalar) -> ProjectivePoint {
        let (digits, carry) = signed_digits(k);
        let mut picked = [AffinePoint::IDENTITY; POSITIONS + 1];
        for ((row, &digit), point) in self.rows.iter().zip(&digits).zip(&mut picked) {
            if digit != 0 {
                let multiple = row[usize::from(digit.unsigned_abs()) - 1];
                *point = if digit < 0 { -multiple } else { multiple };
            }
        }
        if carry {
            picked[POSITIONS] = self.top;
        }
        // Adding the identity (digit 0) would be a wasted addition.
        picked
            .iter()
            .filter(|point| !bool::from(point.is_identity()))
            .fold(ProjectivePoint::IDENTITY, |sum, point| sum + point)
    }
}

/// What is known of a key: seen once, or seen again and tabled.
enum Known {
    Seen,
    Tabled(Arc<KeyTable>),
}

/// The keys seen so far, by their compressed SEC1 encoding, and the
/// tables of those seen more than once.
struct KeyTables {
    known: Mutex<BTreeMap<Vec<u8>, Known>>,
    max_keys: usize,
}

impl KeyTables {
    const fn new(max_keys: usize) -> Self {
        KeyTables {
            known: Mutex::new(BTreeMap::new()),
            max_keys,
        }
    }

    /// The table of `key` if it was seen before, building it on the
    /// second sighting: a key seen only once never pays for a table.
    fn table_for(&self, key: &VerifyingKey) -> Option<Arc<KeyTable>> {
        let id = key.as_affine().to_sec1_point(true).as_bytes().to_vec();
        {
            let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
            match known.get(&id) {
                Some(Known::Tabled(table)) => return Some(Arc::clone(table)),
                Some(Known::Seen) => {}
                None => {
                    if known.len() < self.max_keys {
                        known.insert(id, Known::Seen);
                    }
                    return None;
                }
            }
        }
        // Built outside the lock; a thread that raced here keeps the first.
        let table = Arc::new(KeyTable::new(&ProjectivePoint::from(*key.as_affine())));
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        match known.get(&id) {
            Some(Known::Tabled(first)) => Some(Arc::clone(first)),
            _ => {
                known.insert(id, Known::Tabled(Arc::clone(&table)));
                Some(table)
            }
        }
    }
}

/// The process's key tables, shared by every connection and thread.
static KEY_TABLES: KeyTables = KeyTables::new(MAX_KEYS);

/// SEC 1 §4.1.4: whether `signature` is `key`'s over `prehash`, with the
/// same answer as `p256`'s `verify_prehash` on every input.
///
/// The range checks of step 1 (`1 ≤ r, s < n`) hold for any [`Signature`]
/// by construction; high `s` is accepted, as P-256 ECDSA does not
/// normalise `s`.
pub(crate) fn verify_prehash(key: &VerifyingKey, prehash: &[u8], signature: &Signature) -> bool {
    match KEY_TABLES.table_for(key) {
        Some(table) => verify_with(|u2| table.mul(u2), prehash, signature),
        None => verify_with(|u2| variable_base(key, u2), prehash, signature),
    }
}

/// `u2·Q` without a table: `p256`'s variable-base multiplication.
fn variable_base(key: &VerifyingKey, u2: &Scalar) -> ProjectivePoint {
    ProjectivePoint::from(*key.as_affine()) * u2
}

/// Steps 2–8 of SEC 1 §4.1.4, with `mul_q(u2) = u2·Q`.
fn verify_with(
    mul_q: impl FnOnce(&Scalar) -> ProjectivePoint,
    prehash: &[u8],
    signature: &Signature,
) -> bool {
    let (r, s) = signature.split_scalars();
    let e = digest_scalar(prehash);
    // s is non-zero, so it has an inverse mod n.
    let Some(s_inv) = Option::<Scalar>::from(s.invert_vartime()) else {
        return false;
    };
    let u1 = e * s_inv;
    let u2 = *r * s_inv;
    let point = ProjectivePoint::mul_by_generator_vartime(&u1) + mul_q(&u2);
    // Step 6: the point at infinity is a rejection.
    if bool::from(point.is_identity()) {
        return false;
    }
    // Steps 7–8: x mod n must equal r.
    let x = Scalar::reduce(&point.to_affine().x());
    x == *r
}

/// SEC 1 §4.1.3 step 5 (by §4.1.4 step 3): the leftmost 256 bits of the
/// digest as an integer, reduced mod n; a shorter digest is its value.
fn digest_scalar(prehash: &[u8]) -> Scalar {
    let mut bytes = FieldBytes::default();
    let used = prehash.len().min(bytes.len());
    let start = bytes.len() - used;
    bytes[start..].copy_from_slice(&prehash[..used]);
    Scalar::reduce(&bytes)
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use p256::elliptic_curve::Generate;
    use rand_core::Rng;
    use tlsim_sim::RngStream;

    use super::*;

    /// What `p256` says, the reference every case is checked against.
    fn reference(key: &VerifyingKey, prehash: &[u8], signature: &Signature) -> bool {
        key.verify_prehash(prehash, signature).is_ok()
    }

    fn random_scalar(rng: &mut RngStream) -> Option<p256::NonZeroScalar> {
        let mut bytes = FieldBytes::default();
        rng.fill_bytes(&mut bytes);
        p256::NonZeroScalar::from_repr(bytes).into_option()
    }

    #[test]
    fn the_table_multiplies_like_the_curve() {
        let mut rng = RngStream::new(1, "p256-table/mul");
        let q = ProjectivePoint::mul_by_generator_vartime(&*random_scalar(&mut rng).unwrap());
        let table = KeyTable::new(&q);
        let minus_one = -Scalar::ONE;
        // Digits of 8 (carried), 15 (carried into a run of carries), and
        // a carry out of the top digit.
        let eights = Scalar::reduce(&FieldBytes::from([0x88; 32]));
        let sevens = Scalar::reduce(&FieldBytes::from([0x77; 32]));
        let mut top = [0; 32];
        top[0] = 0x80;
        let top_carry = Scalar::reduce(&FieldBytes::from(top));
        for k in [
            Scalar::ZERO,
            Scalar::ONE,
            minus_one,
            Scalar::from(8u64),
            Scalar::from(15u64),
            Scalar::from(16u64),
            Scalar::from(0xffffu64),
            eights,
            sevens,
            top_carry,
        ] {
            assert_eq!(table.mul(&k), q * k);
        }
        for _ in 0..32 {
            let k = *random_scalar(&mut rng).unwrap();
            assert_eq!(table.mul(&k), q * k);
        }
    }

    #[test]
    fn agrees_with_p256_on_valid_tweaked_foreign_and_high_s_signatures() {
        let mut rng = RngStream::new(2, "p256-table/verify");
        for round in 0..24 {
            let signer = SigningKey::generate_from_rng(&mut rng);
            let key = *signer.verifying_key();
            let other = *SigningKey::generate_from_rng(&mut rng).verifying_key();
            let table = KeyTable::new(&ProjectivePoint::from(*key.as_affine()));
            // SHA-1, SHA-256 and SHA-384 lengths, and odd ones.
            let mut prehash = vec![0u8; [20, 32, 48, 17, 64, 1][round % 6]];
            rng.fill_bytes(&mut prehash);
            let good: Signature = signer.sign_prehash(&prehash).unwrap();
            let (r, s) = good.split_scalars();
            let high_s = Signature::from_scalars(*r, -*s).unwrap();
            let r_tweaked = Signature::from_scalars(*r + Scalar::ONE, *s).unwrap();
            let s_tweaked = Signature::from_scalars(*r, *s + Scalar::ONE).unwrap();
            let random = Signature::from_scalars(
                *random_scalar(&mut rng).unwrap(),
                *random_scalar(&mut rng).unwrap(),
            )
            .unwrap();
            let mut other_prehash = prehash.clone();
            other_prehash[0] ^= 0x80;
            let cases = [
                (key, &prehash, good, true),
                (key, &prehash, high_s, true),
                (key, &prehash, r_tweaked, false),
                (key, &prehash, s_tweaked, false),
                (key, &prehash, random, false),
                (key, &other_prehash, good, false),
                (other, &prehash, good, false),
            ];
            for (n, (key, prehash, signature, valid)) in cases.into_iter().enumerate() {
                let expected = reference(&key, prehash, &signature);
                assert_eq!(expected, valid, "round {round} case {n}: the reference");
                let plain = verify_with(|u2| variable_base(&key, u2), prehash, &signature);
                assert_eq!(plain, expected, "round {round} case {n}: without a table");
                if key == *signer.verifying_key() {
                    let tabled = verify_with(|u2| table.mul(u2), prehash, &signature);
                    assert_eq!(tabled, expected, "round {round} case {n}: with a table");
                }
                assert_eq!(
                    verify_prehash(&key, prehash, &signature),
                    expected,
                    "round {round} case {n}: through the key cache"
                );
            }
        }
    }

    #[test]
    fn a_key_gets_its_table_on_its_second_use_and_the_keys_are_bounded() {
        let mut rng = RngStream::new(3, "p256-table/cache");
        let tables = KeyTables::new(2);
        let keys: Vec<VerifyingKey> = (0..3)
            .map(|_| *SigningKey::generate_from_rng(&mut rng).verifying_key())
            .collect();
        assert!(tables.table_for(&keys[0]).is_none(), "first sighting");
        let first = tables
            .table_for(&keys[0])
            .expect("second sighting builds the table");
        let again = tables.table_for(&keys[0]).expect("kept");
        assert!(Arc::ptr_eq(&first, &again));
        assert!(tables.table_for(&keys[1]).is_none());
        assert!(tables.table_for(&keys[1]).is_some());
        // The third key finds the cache full: never remembered, never tabled.
        assert!(tables.table_for(&keys[2]).is_none());
        assert!(tables.table_for(&keys[2]).is_none());
    }
}
