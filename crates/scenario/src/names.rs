//! Names that refer to things declared elsewhere in the file: hosts and
//! connections.
//!
//! A scenario is read twice. The first pass collects the declared names; the
//! second runs with those names in scope, so that each reference is checked
//! where it is deserialised and a typo is reported at its own line and
//! column ("unknown host \"sever\": the hosts are client, server").

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// The names a scenario declares, in scope during the checking pass.
#[derive(Clone, Debug, Default)]
pub(crate) struct Declared {
    pub(crate) hosts: BTreeSet<String>,
    pub(crate) conns: BTreeSet<String>,
    pub(crate) keys: BTreeSet<String>,
    pub(crate) certs: BTreeSet<String>,
    pub(crate) tls_clients: BTreeSet<String>,
    pub(crate) tls_servers: BTreeSet<String>,
}

thread_local! {
    static IN_SCOPE: RefCell<Option<Declared>> = const { RefCell::new(None) };
}

/// Runs `f` with `names` in scope for reference checks.
pub(crate) fn with_declared<T>(names: Declared, f: impl FnOnce() -> T) -> T {
    IN_SCOPE.with(|s| *s.borrow_mut() = Some(names));
    let out = f();
    IN_SCOPE.with(|s| *s.borrow_mut() = None);
    out
}

fn check(kind: &str, name: &str, pick: fn(&Declared) -> &BTreeSet<String>) -> Result<(), String> {
    IN_SCOPE.with(|s| match &*s.borrow() {
        Some(declared) if !pick(declared).contains(name) => {
            let known: Vec<&str> = pick(declared).iter().map(String::as_str).collect();
            Err(if known.is_empty() {
                format!("unknown {kind} {name:?}: none is declared")
            } else {
                format!(
                    "unknown {kind} {name:?}: expected one of {}",
                    known.join(", ")
                )
            })
        }
        _ => Ok(()),
    })
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(pub String);

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                let check: fn(&str) -> Result<(), String> = $check;
                check(&name).map_err(de::Error::custom)?;
                Ok($ty(name))
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A reference to a host declared in `hosts`.
    HostName, |name| check("host", name, |d| &d.hosts)
);
name_type!(
    /// A reference to a connection opened by a `Connect` step.
    ConnName, |name| check("connection", name, |d| &d.conns)
);
name_type!(
    /// A reference to a key declared in `pki.keys`.
    KeyName, |name| check("key", name, |d| &d.keys)
);
name_type!(
    /// A reference to a certificate declared in `pki.certificates`.
    CertName, |name| check("certificate", name, |d| &d.certs)
);
name_type!(
    /// A reference to a TLS client profile declared in `tls.clients`.
    TlsClientName, |name| check("TLS client profile", name, |d| &d.tls_clients)
);
name_type!(
    /// A reference to a TLS server profile declared in `tls.servers`.
    TlsServerName, |name| check("TLS server profile", name, |d| &d.tls_servers)
);
name_type!(
    /// The name a `Connect` step gives its connection (declares it).
    NewConnName, |_| Ok(())
);

/// Bytes written as one hexadecimal string (`"16030100"`).
pub(crate) mod hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        super::parse_hex::<D::Error>(&String::deserialize(d)?)
    }

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&tlsim_tls::codec::hex(bytes))
    }
}

/// Optional bytes written as a hexadecimal string.
pub(crate) mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| super::parse_hex::<D::Error>(&t))
            .transpose()
    }

    pub(crate) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&tlsim_tls::codec::hex(b)),
            None => s.serialize_none(),
        }
    }
}

/// A list of byte strings, each written in hexadecimal.
pub(crate) mod hex_list {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| super::parse_hex::<D::Error>(t))
            .collect()
    }

    pub(crate) fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|b| tlsim_tls::codec::hex(b)))
    }
}

/// Hex digits, with blanks between them as a dump shows them and an
/// optional `0x` in front as a code point is written.
fn parse_hex<E: de::Error>(text: &str) -> Result<Vec<u8>, E> {
    let trimmed = text.trim_start();
    let unprefixed = (trimmed.strip_prefix("0x"))
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let digits: Vec<u8> = (unprefixed.bytes())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.len() % 2 != 0 {
        return Err(de::Error::custom(
            "hex data must have an even number of digits",
        ));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|_| "not hex")?;
            u8::from_str_radix(s, 16).map_err(|_| "not hex")
        })
        .collect::<Result<_, _>>()
        .map_err(|_| {
            de::Error::custom(format!(
                "{text:?} is not hexadecimal: expected digits 0-9 and a-f"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::parse_hex;

    fn hex(text: &str) -> Result<Vec<u8>, serde::de::value::Error> {
        parse_hex(text)
    }

    #[test]
    fn hex_may_have_blanks_and_a_0x_prefix() {
        let age_add = [4, 3, 2, 1];
        assert_eq!(hex("04030201").unwrap(), age_add);
        assert_eq!(hex("0x04030201").unwrap(), age_add);
        assert_eq!(hex("04 03 02 01").unwrap(), age_add);
        assert_eq!(hex("0X0403\n0201").unwrap(), age_add);
        assert!(hex("0403020").is_err(), "an odd number of digits");
        assert!(hex("04 0x 02").is_err(), "0x only in front");
    }
}
