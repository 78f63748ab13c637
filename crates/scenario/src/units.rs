//! Values with units, written as strings in scenario files: durations
//! (`"10ms"`, `"1.5s"`), bit rates (`"100Mbit/s"`) and probabilities (`0.05`).
//!
//! Each parses exactly, with integer arithmetic, and rejects what it cannot
//! represent with a message that says what was expected; serde reports the
//! message at the value's line and column.

use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
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

/// Parses `"<decimal><unit>"` into an integer count of `base` units, where
/// `scale(unit)` gives how many base units one `unit` is.
fn parse_scaled(text: &str, scale: impl Fn(&str) -> Option<u64>) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = (&text[..split], text[split..].trim());
    let factor = scale(unit).ok_or_else(|| format!("unknown unit {unit:?}"))?;
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err("missing number".into());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "bad number")?
    };
    let mut value = whole.checked_mul(factor).ok_or("value too large")?;
    // Each fractional digit is worth factor / 10^k; it must divide exactly.
    let mut place = factor;
    for digit in frac.chars() {
        let d = digit.to_digit(10).ok_or("bad number")? as u64;
        if place % 10 != 0 {
            return Err("more decimal places than the unit can represent".into());
        }
        place /= 10;
        value = value.checked_add(d * place).ok_or("value too large")?;
    }
    Ok(value)
}

impl Time {
    /// Parses `"10ms"`, `"1.5s"`, `"250us"`, `"2min"`, `"0"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim() == "0" {
            return Ok(Time(Duration::ZERO));
        }
        parse_scaled(text, |unit| match unit {
            "ns" => Some(1),
            "us" | "µs" => Some(1_000),
            "ms" => Some(1_000_000),
            "s" => Some(1_000_000_000),
            "min" => Some(60_000_000_000),
            _ => None,
        })
        .map(|n| Time(Duration::from_nanos(n)))
        .map_err(|e| format!("{e} in duration {text:?}: expected a number and a unit (ns, us, ms, s, min), e.g. \"10ms\""))
    }
}

impl BitRate {
    /// Parses `"100Mbit/s"`, `"1.5Gbit/s"`, `"56kbit/s"`.
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
        Ok(BitRate(rate))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.as_nanos();
        match ns {
            0 => write!(f, "0"),
            n if n % 1_000_000_000 == 0 => write!(f, "{}s", n / 1_000_000_000),
            n if n % 1_000_000 == 0 => write!(f, "{}ms", n / 1_000_000),
            n if n % 1_000 == 0 => write!(f, "{}us", n / 1_000),
            n => write!(f, "{n}ns"),
        }
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

struct StrVisitor<F>(&'static str, F);

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> Visitor<'de> for StrVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.1)(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor(
            "a duration string such as \"10ms\"",
            Time::parse,
        ))
    }
}

impl<'de> Deserialize<'de> for BitRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor(
            "a bit rate string such as \"100Mbit/s\"",
            BitRate::parse,
        ))
    }
}

impl<'de> Deserialize<'de> for Chance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&p) {
            Ok(Chance(p))
        } else {
            Err(de::Error::custom(format!(
                "probability {p} is out of range: expected a number from 0 to 1 (0.05 is 5%)"
            )))
        }
    }
}

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
