//! Values with units, written as strings in scenario files: durations
//! (`"10ms"`, `"1.5s"`), bit rates (`"100Mbit/s"`) and probabilities (`0.05`).
//!
//! Each parses exactly, with checked integer arithmetic, and rejects what it
//! cannot represent or what no run could use with a message that names the
//! value and says what was expected; serde reports the message at the value's
//! line and column. Whole numbers are read against a [`Range`] of their own.

use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use tlsim_sim::time::parse_scaled;
use tlsim_sim::{Duration, Probability};

/// A duration written as a number and a unit: `ns`, `us`, `ms`, `s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Time(pub Duration);

/// A bit rate written as a number and a unit: `bit/s`, `kbit/s`, `Mbit/s`, `Gbit/s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitRate(pub u64);

/// A probability: a number from 0 to 1.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Chance(pub f64);

impl Chance {
    /// The probability as the simulation core draws it.
    pub fn probability(self) -> Probability {
        // Validated on load: always within [0, 1].
        Probability::new(self.0).unwrap_or(Probability::NEVER)
    }
}

impl Time {
    /// The longest duration a scenario may give anything: a week, the
    /// longest TLS 1.3 ticket lifetime (RFC 8446 §4.6.1: "604800 seconds
    /// (7 days)"); every sum the simulator makes of a few of them stays
    /// far from overflow.
    pub const MAX: Time = Time(Duration::from_secs(7 * 24 * 3600));

    /// Parses `"10ms"`, `"1.5s"`, `"250us"`, `"2min"`, `"1h"`, `"0"`, up to [`Time::MAX`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let time = Time(Duration::parse(text)?);
        if time > Time::MAX {
            return Err(format!(
                "duration {text:?} is too long: expected at most 168h, e.g. \"10ms\""
            ));
        }
        Ok(time)
    }
}

impl BitRate {
    /// The slowest link: a full-size packet still leaves within seconds.
    pub const MIN: BitRate = BitRate(1_000);
    /// The fastest link.
    pub const MAX: BitRate = BitRate(1_000_000_000_000);

    /// Parses `"100Mbit/s"`, `"1.5Gbit/s"`, `"56kbit/s"`, from 1kbit/s to 1000Gbit/s.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rate = parse_scaled(text, |unit| match unit {
            "bit/s" | "bps" => Some(1),
            "kbit/s" | "kbps" => Some(1_000),
            "Mbit/s" | "Mbps" => Some(1_000_000),
            "Gbit/s" | "Gbps" => Some(1_000_000_000),
            _ => None,
        })
        .map_err(|e| format!("{e} in bit rate {text:?}: expected a number and a unit (bit/s, kbit/s, Mbit/s, Gbit/s), e.g. \"100Mbit/s\""))?;
        if rate == 0 {
            return Err(format!(
                "bit rate {text:?} is zero: leave bandwidth out for an unlimited link"
            ));
        }
        if !(Self::MIN.0..=Self::MAX.0).contains(&rate) {
            return Err(format!(
                "bit rate {text:?} is out of range: expected 1kbit/s to 1000Gbit/s, e.g. \"100Mbit/s\""
            ));
        }
        Ok(BitRate(rate))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.with_unit().fmt(f)
    }
}

impl fmt::Display for BitRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n % 1_000_000_000 == 0 => write!(f, "{}Gbit/s", n / 1_000_000_000),
            n if n % 1_000_000 == 0 => write!(f, "{}Mbit/s", n / 1_000_000),
            n if n % 1_000 == 0 => write!(f, "{}kbit/s", n / 1_000),
            n => write!(f, "{n}bit/s"),
        }
    }
}

/// A number as a message shows it: in full, or in exponent form past 1e21
/// rather than with hundreds of digits.
struct Number(f64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.abs() < 1e21 {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

/// Reads a value written as a string through `parse`; anything else is
/// reported with what was found and the form `expected` names.
struct StrVisitor<F> {
    expected: &'static str,
    parse: F,
}

impl<F> StrVisitor<F> {
    fn found<T, E: de::Error>(&self, found: impl fmt::Display) -> Result<T, E> {
        Err(E::custom(format_args!(
            "expected {}, found {found}",
            self.expected
        )))
    }
}

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> Visitor<'de> for StrVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.found(format_args!("the number {v}"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.found(format_args!("the number {v}"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        self.found(format_args!("the number {}", Number(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        self.found(v)
    }
}

/// Reads a string-written value of `T` through `parse`, naming `expected`
/// (with an example) when something else stands there.
pub(crate) fn read_str<'de, D: Deserializer<'de>, T>(
    d: D,
    expected: &'static str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, D::Error> {
    d.deserialize_any(StrVisitor { expected, parse })
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_str(
            d,
            "a duration string such as \"5ms\" (units ns, us, ms, s, min, h)",
            Time::parse,
        )
    }
}

impl<'de> Deserialize<'de> for BitRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_str(d, "a bit rate string such as \"100Mbit/s\"", BitRate::parse)
    }
}

struct ChanceVisitor;

impl ChanceVisitor {
    fn check<E: de::Error>(p: f64) -> Result<Chance, E> {
        if (0.0..=1.0).contains(&p) {
            Ok(Chance(p))
        } else {
            Err(E::custom(format!(
                "probability {} is out of range: expected a number from 0 to 1 (0.05 is 5%)",
                Number(p)
            )))
        }
    }
}

impl<'de> Visitor<'de> for ChanceVisitor {
    type Value = Chance;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number from 0 to 1 such as 0.05")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Chance, E> {
        Self::check(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Chance, E> {
        Self::check(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Chance, E> {
        Self::check(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Chance, E> {
        Err(E::custom(format!(
            "expected a number from 0 to 1 such as 0.05, found the string {v:?}"
        )))
    }
}

impl<'de> Deserialize<'de> for Chance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ChanceVisitor)
    }
}

/// The whole numbers a field allows, and how to describe them.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    /// What the number is, e.g. "mss".
    pub what: &'static str,
    /// The least allowed.
    pub min: u64,
    /// The greatest allowed.
    pub max: u64,
    /// Why the bounds are what they are, or "".
    pub why: &'static str,
}

impl Range {
    /// The message for a number outside the range.
    pub fn out_of_range(&self, found: impl fmt::Display) -> String {
        let why = if self.why.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.why)
        };
        format!(
            "{} {found} is out of range: expected a whole number from {} to {}{why}",
            self.what, self.min, self.max
        )
    }

    fn check<E: de::Error>(&self, v: u64) -> Result<u64, E> {
        if (self.min..=self.max).contains(&v) {
            Ok(v)
        } else {
            Err(E::custom(self.out_of_range(v)))
        }
    }
}

struct RangeVisitor(&'static Range);

impl<'de> Visitor<'de> for RangeVisitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        write!(f, "{}: a whole number from {} to {}", r.what, r.min, r.max)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        self.0.check(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v)
            .map_err(|_| E::custom(self.0.out_of_range(v)))
            .and_then(|v| self.0.check(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<u64, E> {
        Err(E::custom(self.0.out_of_range(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<u64, E> {
        Err(E::custom(self.0.out_of_range(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        // ron reads a whole number past u64 as a float.
        if v.fract() == 0.0 {
            return Err(E::custom(self.0.out_of_range(Number(v))));
        }
        Err(E::custom(format!(
            "{} {} is not a whole number: expected a whole number from {} to {}",
            self.0.what,
            Number(v),
            self.0.min,
            self.0.max
        )))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        Err(E::custom(format!(
            "{} {v:?} is a string: expected a whole number from {} to {} without quotes",
            self.0.what, self.0.min, self.0.max
        )))
    }
}

/// A whole number read against a [`Range`].
pub(crate) trait Ranged<'de>: Sized {
    fn read<D: Deserializer<'de>>(d: D, range: &'static Range) -> Result<Self, D::Error>;
}

macro_rules! ranged_int {
    ($($ty:ty),*) => {$(
        impl<'de> Ranged<'de> for $ty {
            fn read<D: Deserializer<'de>>(d: D, range: &'static Range) -> Result<Self, D::Error> {
                let v = d.deserialize_any(RangeVisitor(range))?;
                <$ty>::try_from(v).map_err(|_| de::Error::custom(range.out_of_range(v)))
            }
        }
    )*};
}

ranged_int!(u8, u16, u32, u64);

struct OptionVisitor<T>(&'static Range, core::marker::PhantomData<T>);

impl<'de, T: Ranged<'de>> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        RangeVisitor(self.0).expecting(f)
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        T::read(d, self.0).map(Some)
    }
}

impl<'de, T: Ranged<'de>> Ranged<'de> for Option<T> {
    fn read<D: Deserializer<'de>>(d: D, range: &'static Range) -> Result<Self, D::Error> {
        d.deserialize_option(OptionVisitor(range, core::marker::PhantomData))
    }
}

/// `deserialize_with` functions, one per bounded field, each reading its
/// field against its [`Range`].
macro_rules! ranged_fields {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $range:expr;)*) => {$(
        $(#[$doc])*
        fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
            <$ty as $crate::units::Ranged<'de>>::read(d, &$range)
        }
    )*};
}

pub(crate) use ranged_fields;

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for BitRate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for Chance {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_exactly() {
        assert_eq!(Time::parse("10ms").unwrap().0, Duration::from_millis(10));
        assert_eq!(Time::parse("1.5s").unwrap().0, Duration::from_millis(1500));
        assert_eq!(Time::parse("0.001ms").unwrap().0, Duration::from_micros(1));
        assert_eq!(Time::parse("250us").unwrap().0, Duration::from_micros(250));
        assert_eq!(Time::parse("0").unwrap().0, Duration::ZERO);
        assert_eq!(Time::parse("168h").unwrap(), Time::MAX);
        assert_eq!(Time::parse("604800s").unwrap(), Time::MAX);
    }

    #[test]
    fn a_step_and_its_duration_never_overflow() {
        // A CutLink or Delay ends at its step's time plus its duration.
        let end = Time::MAX.0.as_nanos().checked_add(Time::MAX.0.as_nanos());
        assert!(end.is_some_and(|end| end < u64::MAX / 1000));
    }

    #[test]
    fn rejects_durations_past_a_week_without_overflow() {
        for long in [
            "168.000000001h",
            "10081min",
            "99999999999999min",
            "18446744073709551615ns",
        ] {
            let err = Time::parse(long).unwrap_err();
            assert!(err.contains(&format!("{long:?}")), "{long}: {err}");
        }
    }

    #[test]
    fn rejects_bad_durations_with_the_expected_form() {
        for bad in ["10", "ms", "-5ms", "1.5ns", "10 parsecs", "1..2s"] {
            let err = Time::parse(bad).unwrap_err();
            assert!(err.contains("expected a number and a unit"), "{bad}: {err}");
        }
    }

    #[test]
    fn parses_bit_rates() {
        assert_eq!(BitRate::parse("100Mbit/s").unwrap().0, 100_000_000);
        assert_eq!(BitRate::parse("1.5Gbit/s").unwrap().0, 1_500_000_000);
        assert!(BitRate::parse("0Mbit/s").unwrap_err().contains("zero"));
        assert!(BitRate::parse("100MB").is_err());
        assert!(
            BitRate::parse("999bit/s")
                .unwrap_err()
                .contains("1kbit/s to 1000Gbit/s")
        );
        assert!(BitRate::parse("1001Gbit/s").is_err());
        assert_eq!(BitRate::parse("1000Gbit/s").unwrap(), BitRate::MAX);
    }

    #[test]
    fn display_round_trips() {
        for text in ["10ms", "1500ms", "3s", "7ns", "0"] {
            assert_eq!(Time::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            BitRate::parse("100Mbit/s").unwrap().to_string(),
            "100Mbit/s"
        );
    }
}
