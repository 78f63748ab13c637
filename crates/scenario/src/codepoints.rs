//! TLS code points and calendar times as scenario files write them: cipher
//! suites, groups and versions by their IANA or Wireshark names (or as hex,
//! `"0xc013"`), alerts as the log names them (`"unexpected_message"`), times
//! as `"2013-09-01T00:00:00Z"`.

use core::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use tlsim_sim::calendar::{civil_from_days, days_from_civil, format_utc};
use tlsim_tls::cert::ObjectIdentifier;
use tlsim_tls::conn::alert_name;
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, EcPointFormat, ExtensionType, NamedGroup, ProtocolVersion,
    PskKeyExchangeMode, SignatureScheme,
};

fn parse_hex(text: &str) -> Option<u16> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    u16::from_str_radix(digits, 16).ok()
}

/// Names the error for an unknown one lists in full, up to this many.
const MAX_NAMES_LISTED: usize = 40;

/// The name tlsim knows (the one Wireshark shows) for a current IANA
/// name: RFC 8422 §5.1.1 renamed elliptic_curves, RFC 8447 SessionTicket
/// TLS.
fn renamed(text: &str) -> &str {
    match text {
        "supported_groups" => "elliptic_curves",
        "session_ticket" => "SessionTicket TLS",
        other => other,
    }
}

/// Values written as strings in a scenario are read through their `parse`,
/// whose message serde reports at the value's line and column.
macro_rules! read_by_parse {
    ($ty:ident) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $ty::parse(&text).map_err(de::Error::custom)
            }
        }
    };
}

macro_rules! named_code_point {
    ($(#[$doc:meta])* $ty:ident, $inner:ty, $uint:ty, $what:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $ty(pub $inner);

        impl $ty {
            /// Looks up a name (exactly as IANA or Wireshark writes it) or a hex value.
            pub fn parse(text: &str) -> Result<Self, String> {
                let name = renamed(text);
                if let Some(found) = <$inner>::ALL.iter().find(|c| c.name() == Some(name)) {
                    return Ok($ty(*found));
                }
                if let Some(value) = parse_hex(text).and_then(|v| <$uint>::try_from(v).ok()) {
                    return Ok($ty(<$inner>::from(value)));
                }
                let names: Vec<&str> = <$inner>::ALL.iter().filter_map(|c| c.name()).collect();
                let choice = if names.len() <= MAX_NAMES_LISTED {
                    format!("one of {}", names.join(", "))
                } else {
                    concat!("a name such as \"", $example, "\"").to_string()
                };
                Err(format!(
                    concat!("unknown ", $what, " {:?}: expected {} or a hex value such as \"0x{:04x}\""),
                    text,
                    choice,
                    <$inner>::ALL[0].get()
                ))
            }

            /// The number on the wire.
            pub fn value(self) -> $uint {
                self.0.get()
            }
        }

        read_by_parse!($ty);

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.0.name() {
                    Some(name) => s.serialize_str(name),
                    None => s.collect_str(&format_args!("0x{:04x}", self.0.get())),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

/// An error alert's description (RFC 5246 §7.2.2 and the RFCs after it),
/// by the name the log prints: `"unexpected_message"`, `"bad_record_mac"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertName(pub AlertDescription);

impl AlertName {
    /// Looks up the name of an error alert; close_notify (RFC 5246 §7.2.1)
    /// is a closure, not an error, and is refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == alert_name(AlertDescription::CloseNotify) {
            return Err(format!(
                "{text:?} closes a connection rather than reporting an error: expect it with AlertOrClose(...), \
                 or name an error alert such as \"unexpected_message\""
            ));
        }
        (AlertDescription::ALL.iter())
            .find(|d| alert_name(**d) == text)
            .map(|d| AlertName(*d))
            .ok_or_else(|| {
                // "Unexpected Message" (Wireshark's spelling) is close enough to name.
                let spelled = text.trim().to_lowercase().replace([' ', '-'], "_");
                let near = (AlertDescription::ALL.iter())
                    .map(|d| alert_name(*d))
                    .find(|name| *name == spelled && *name != "close_notify");
                match near {
                    Some(name) => format!("unknown alert {text:?}: did you mean {name:?}?"),
                    None => format!(
                        "unknown alert {text:?}: expected an error alert as the log names it (RFC 5246 §7.2.2), \
                         such as \"unexpected_message\", \"bad_record_mac\" or \"decode_error\""
                    ),
                }
            })
    }
}

read_by_parse!(AlertName);

impl Serialize for AlertName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&alert_name(self.0))
    }
}

impl fmt::Display for AlertName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&alert_name(self.0))
    }
}

named_code_point!(
    /// A cipher suite: `"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"` or `"0xc013"`.
    Suite, CipherSuite, u16, "cipher suite", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
);
named_code_point!(
    /// A named group (elliptic curve): `"secp256r1"`, `"x25519"` or `"0x0017"`.
    Group, NamedGroup, u16, "named group", "secp256r1"
);
named_code_point!(
    /// A protocol version: `"TLS 1.0"`, `"TLS 1.1"`, `"TLS 1.2"` or `"0x0303"`.
    Version, ProtocolVersion, u16, "protocol version", "TLS 1.2"
);
named_code_point!(
    /// An EC point format: `"uncompressed"`, `"ansiX962_compressed_prime"`, `"ansiX962_compressed_char2"`.
    PointFormat, EcPointFormat, u8, "EC point format", "uncompressed"
);

named_code_point!(
    /// A signature scheme as signature_algorithms lists it (RFC 5246
    /// §7.4.1.4.1, RFC 8446 §4.2.3 names): `"rsa_pss_rsae_sha256"`,
    /// `"ecdsa_secp256r1_sha256"`, `"rsa_pkcs1_sha1"` or `"0x0804"`.
    SigScheme, SignatureScheme, u16, "signature scheme", "ecdsa_secp256r1_sha256"
);

named_code_point!(
    /// A TLS extension type: `"server_name"`, `"elliptic_curves"`, `"ec_point_formats"`, …
    Extension, ExtensionType, u16, "extension", "server_name"
);

named_code_point!(
    /// A TLS 1.3 PSK key exchange mode (RFC 8446 §4.2.9): `"psk_dhe_ke"`,
    /// `"psk_ke"`.
    PskMode, PskKeyExchangeMode, u8, "PSK key exchange mode", "psk_dhe_ke"
);

/// A calendar time in UTC, `"YYYY-MM-DDTHH:MM:SSZ"`, held as seconds since
/// the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalendarTime(pub u64);

impl CalendarTime {
    /// Parses `"2013-09-01T00:00:00Z"` (or a date alone, `"2013-09-01"`, meaning midnight).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "bad time {text:?}: expected \"YYYY-MM-DDTHH:MM:SSZ\" in UTC, e.g. \"2013-09-01T00:00:00Z\""
            )
        };
        let (date, time) = match text.split_once('T') {
            Some((d, t)) => (d, t.strip_suffix('Z').ok_or_else(bad)?),
            None => (text, "00:00:00"),
        };
        let num = |s: &str, lo: i64, hi: i64| {
            s.parse::<i64>()
                .ok()
                .filter(|v| (lo..=hi).contains(v))
                .ok_or_else(bad)
        };
        let d: Vec<&str> = date.split('-').collect();
        let t: Vec<&str> = time.split(':').collect();
        if d.len() != 3 || t.len() != 3 || d[0].len() != 4 {
            return Err(bad());
        }
        let (year, month, day) = (
            num(d[0], 1970, 9999)?,
            num(d[1], 1, 12)? as u32,
            num(d[2], 1, 31)? as u32,
        );
        let (h, m, s) = (num(t[0], 0, 23)?, num(t[1], 0, 59)?, num(t[2], 0, 59)?);
        let days = days_from_civil(year, month, day);
        // A date such as February 30 does not survive the round trip.
        if civil_from_days(days) != (year, month, day) {
            return Err(bad());
        }
        Ok(CalendarTime(
            (days * 86_400 + h * 3_600 + m * 60 + s) as u64,
        ))
    }
}

impl fmt::Display for CalendarTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_utc(self.0))
    }
}

/// An object identifier written dotted, `"1.3.6.1.4.1.11129.2.5.1"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectId {
    /// The dotted text, as written.
    pub dotted: String,
    /// The identifier itself.
    pub oid: ObjectIdentifier,
}

impl ObjectId {
    /// Parses a dotted OID.
    pub fn parse(text: &str) -> Result<Self, String> {
        let oid = ObjectIdentifier::new(text).map_err(|_| {
            format!(
                "bad object identifier {text:?}: expected dotted arcs such as \"1.3.6.1.4.1.11129.2.5.1\" \
                 (first arc 0, 1 or 2; second below 40 under 0 and 1)"
            )
        })?;
        Ok(ObjectId {
            dotted: text.to_owned(),
            oid,
        })
    }
}

/// A URI as certificates carry it (an IA5String: printable ASCII, no spaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri(pub String);

impl Uri {
    /// Checks that `text` can be a certificate's URI.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "bad URI {text:?}: expected printable ASCII without spaces, e.g. \"http://pki.example/ca.crl\""
            ));
        }
        Ok(Uri(text.to_owned()))
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dotted)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Values written back as their `Display`.
macro_rules! written_as_displayed {
    ($($ty:ident),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}

read_by_parse!(CalendarTime);
read_by_parse!(ObjectId);
read_by_parse!(Uri);
written_as_displayed!(CalendarTime, ObjectId, Uri);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_suites_groups_and_versions_by_name_or_hex() {
        assert_eq!(
            Suite::parse("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")
                .unwrap()
                .value(),
            0xc013
        );
        assert_eq!(Suite::parse("0xc02b").unwrap().value(), 0xc02b);
        assert_eq!(Group::parse("secp256r1").unwrap().value(), 23);
        assert_eq!(Version::parse("TLS 1.1").unwrap().value(), 0x0302);
        assert_eq!(
            SigScheme::parse("rsa_pss_rsae_sha256").unwrap().value(),
            0x0804
        );
        let err = Suite::parse("TLS_FOO").unwrap_err();
        assert!(err.contains("unknown cipher suite \"TLS_FOO\""), "{err}");
    }

    #[test]
    fn extensions_are_known_by_their_current_names_too_and_errors_list_them() {
        let groups = Extension::parse("supported_groups").unwrap();
        assert_eq!(groups, Extension::parse("elliptic_curves").unwrap());
        assert_eq!(groups.value(), 10);
        assert_eq!(Extension::parse("session_ticket").unwrap().value(), 35);
        let err = Extension::parse("groups").unwrap_err();
        assert!(err.contains("expected one of server_name, "), "{err}");
        assert!(err.contains(", key_share, "), "{err}");
        // Suites are too many to list.
        let err = Suite::parse("TLS_FOO").unwrap_err();
        assert!(err.contains("a name such as"), "{err}");
    }

    #[test]
    fn object_ids_and_uris_are_checked() {
        assert_eq!(
            ObjectId::parse("2.5.29.32.0").unwrap().oid.as_bytes(),
            [0x55, 0x1d, 0x20, 0]
        );
        let err = ObjectId::parse("1.3.six").unwrap_err();
        assert!(err.contains("bad object identifier \"1.3.six\""), "{err}");
        for good in ["1.3.6.1.4.1.11129.2.5.1", "2.5.29.32.0"] {
            assert_eq!(ObjectId::parse(good).unwrap().oid.to_string(), good);
        }
        for bad in [
            "",
            "1",
            "3.1",
            "1.40",
            "1..2",
            "1.2.",
            "+1.2",
            "1.2.99999999999999999999",
        ] {
            assert!(ObjectId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Uri::parse("http://pki.google.com/GIAG2.crl").is_ok());
        for bad in ["", "http://a b", "http://é"] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn calendar_times_round_trip_and_reject_impossible_dates() {
        let t = CalendarTime::parse("2013-09-01T12:34:56Z").unwrap();
        assert_eq!(t.0, 1_378_038_896);
        assert_eq!(t.to_string(), "2013-09-01T12:34:56Z");
        assert_eq!(CalendarTime::parse("1970-01-01").unwrap().0, 0);
        assert_eq!(
            CalendarTime::parse("2000-02-29").unwrap().to_string(),
            "2000-02-29T00:00:00Z"
        );
        for bad in [
            "2013-02-30",
            "2013-13-01",
            "2013-09-01T25:00:00Z",
            "13-09-01",
            "2013-09-01T00:00:00",
        ] {
            assert!(CalendarTime::parse(bad).is_err(), "{bad}");
        }
    }
}
