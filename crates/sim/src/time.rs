//! Virtual time in integer nanoseconds.
//!
//! Time arithmetic never uses floats: a link of 100 Mbit/s serialises a
//! 1500-byte frame in exactly 120,000 ns on every machine.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// A point in simulated time, in nanoseconds since the start of the run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Instant(u64);

/// A span of simulated time, in nanoseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Duration(u64);

impl Instant {
    /// The start of every run.
    pub const ZERO: Instant = Instant(0);
    /// Later than any event a run can reach.
    pub const MAX: Instant = Instant(u64::MAX);

    /// The instant `nanos` nanoseconds after the start.
    pub const fn from_nanos(nanos: u64) -> Self {
        Instant(nanos)
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Microseconds since the start, truncated (pcap timestamps use these).
    pub const fn as_micros(self) -> u64 {
        self.0 / 1_000
    }

    /// Time elapsed since `earlier`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A span of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        Duration(nanos)
    }
    /// A span of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        Duration(micros * 1_000)
    }
    /// A span of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Duration(millis * 1_000_000)
    }
    /// A span of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(secs * 1_000_000_000)
    }
    /// The span in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// The span in whole milliseconds, truncated.
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000_000
    }
    /// `self * factor`, saturating at the largest representable span.
    pub const fn saturating_mul(self, factor: u64) -> Duration {
        Duration(self.0.saturating_mul(factor))
    }
    /// `self + other`, saturating.
    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }
    /// `self - other`, or zero.
    pub const fn saturating_sub(self, other: Duration) -> Duration {
        Duration(self.0.saturating_sub(other.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates at [`Instant::MAX`]: a deadline beyond the end of time never fires.
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        self.saturating_add(rhs)
    }
}

/// Parses `"<decimal><unit>"` into an integer count of base units, where
/// `scale(unit)` gives how many base units one `unit` is. Exact: a
/// fraction must come out whole in base units.
pub fn parse_scaled(text: &str, scale: impl Fn(&str) -> Option<u64>) -> Result<u64, String> {
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

impl Duration {
    /// Parses a duration written with a unit, as scenario files write
    /// them: `"10ms"`, `"1.5s"`, `"250us"`, `"2min"`, `"1h"`, `"0"`.
    pub fn parse(text: &str) -> Result<Duration, String> {
        if text.trim() == "0" {
            return Ok(Duration::ZERO);
        }
        parse_scaled(text, |unit| match unit {
            "ns" => Some(1),
            "us" | "µs" => Some(1_000),
            "ms" => Some(1_000_000),
            "s" => Some(1_000_000_000),
            "min" => Some(60_000_000_000),
            "h" => Some(3_600_000_000_000),
            _ => None,
        })
        .map(Duration)
        .map_err(|e| format!("{e} in duration {text:?}: expected a number and a unit (ns, us, ms, s, min, h), e.g. \"10ms\""))
    }

    /// The duration as [`parse`](Self::parse) reads it, in the largest
    /// unit that keeps it whole (`"5s"`, `"250ms"`).
    pub fn with_unit(self) -> impl fmt::Display {
        WithUnit(self.0)
    }
}

struct WithUnit(u64);

impl fmt::Display for WithUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => write!(f, "0"),
            n if n % 1_000_000_000 == 0 => write!(f, "{}s", n / 1_000_000_000),
            n if n % 1_000_000 == 0 => write!(f, "{}ms", n / 1_000_000),
            n if n % 1_000 == 0 => write!(f, "{}us", n / 1_000),
            n => write!(f, "{n}ns"),
        }
    }
}

/// Milliseconds with three decimals, as the text ladder shows time (`20.000 ms`).
fn fmt_millis(nanos: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}.{:03} ms", nanos / 1_000_000, (nanos / 1_000) % 1_000)
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_millis(self.0, f)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_millis(self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_milliseconds_with_microsecond_precision() {
        assert_eq!(Instant::from_nanos(20_000_000).to_string(), "20.000 ms");
        assert_eq!(Instant::from_nanos(1_234_567).to_string(), "1.234 ms");
        assert_eq!(Duration::from_micros(5).to_string(), "0.005 ms");
    }

    #[test]
    fn adding_past_the_end_of_time_saturates() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(Instant::ZERO - Instant::from_nanos(5), Duration::ZERO);
    }
}
