//! What a conversation observes from the peer, and whether it is what a
//! step expects; both in words for the verdict and the log.
//!
//! Read first: RFC 5246 §7.1 (ChangeCipherSpec is one byte of value 1),
//! §7.2 (alert levels and descriptions).

use tlsim_tls::codec::hex;
use tlsim_tls::conn::{alert_name, handshake_name};
use tlsim_tls::enums::{AlertDescription, CipherSuite, HandshakeType, ProtocolVersion};
use tlsim_tls::msgs::{Alert, HandshakeMessage, HelloExtension};

use crate::language::{Expected, Level};

/// One thing that came from the peer.
pub(crate) enum Observation {
    /// A handshake message, with what is wrong with it if anything (a
    /// Finished that does not verify, a key exchange that cannot be used).
    Handshake {
        message: HandshakeMessage,
        problem: Option<String>,
    },
    ChangeCipherSpec(Vec<u8>),
    Alert(Alert),
    ApplicationData(Vec<u8>),
    /// A record that did not decrypt or authenticate.
    Undecryptable,
    /// Bytes that do not frame or parse.
    Malformed(String),
    /// The peer closed the connection.
    Closed,
}

impl Observation {
    pub(crate) fn describe(&self) -> String {
        match self {
            Observation::Handshake { message, problem } => {
                let mut text = handshake_name(message.typ());
                match message {
                    HandshakeMessage::ServerHello(h) => {
                        let exts: Vec<u16> = h.extensions.iter().map(ext_type).collect();
                        text += &format!(
                            " ({}, {}, extensions {exts:?})",
                            h.server_version, h.cipher_suite
                        );
                    }
                    HandshakeMessage::ClientHello(h) => {
                        text += &format!(" ({})", h.client_version);
                    }
                    _ => {}
                }
                if let Some(p) = problem {
                    text += &format!(" ({p})");
                }
                text
            }
            Observation::ChangeCipherSpec(payload) => {
                format!("Change Cipher Spec ({})", hex(payload))
            }
            Observation::Alert(a) => format!(
                "a {}{} alert",
                level_words(Some(level_of(a))),
                alert_name(a.description)
            ),
            Observation::ApplicationData(data) => {
                format!("Application Data ({} bytes)", data.len())
            }
            Observation::Undecryptable => "a record that does not decrypt".to_owned(),
            Observation::Malformed(e) => format!("malformed bytes: {e}"),
            Observation::Closed => "the connection closed".to_owned(),
        }
    }
}

/// An extension's type code.
pub(crate) fn ext_type(e: &impl HelloExtension) -> u16 {
    e.ext_type().get()
}

pub(crate) fn alert_matches(
    alert: &Alert,
    level: Option<Level>,
    description: Option<AlertDescription>,
) -> bool {
    level.is_none_or(|l| alert.level.get() == l.value())
        && description.is_none_or(|d| alert.description == d)
}

fn level_of(alert: &Alert) -> Level {
    match alert.level.get() {
        1 => Level::Warning,
        2 => Level::Fatal,
        n => Level::Other(n),
    }
}

/// "fatal ", "warning ", "level 3 ", or nothing for any level.
fn level_words(level: Option<Level>) -> String {
    match level {
        Some(Level::Warning) => "warning ".to_owned(),
        Some(Level::Fatal) => "fatal ".to_owned(),
        Some(Level::Other(n)) => format!("level {n} "),
        None => String::new(),
    }
}

pub(crate) fn describe_alert(
    level: Option<Level>,
    description: Option<AlertDescription>,
    or_close: bool,
) -> String {
    let level = level_words(level);
    let mut text = match description {
        Some(d) => format!("a {level}{} alert", alert_name(d)),
        None => format!("any {level}alert"),
    };
    if or_close {
        text += ", or the connection closing";
    }
    text
}

/// What `expected` waits for, in words.
pub(crate) fn describe(expected: &Expected) -> String {
    match expected {
        Expected::ClientHello { version, offers } => {
            let mut text = "Client Hello".to_owned();
            if let Some(v) = version {
                text += &format!(" with version {}", ProtocolVersion::from(*v));
            }
            if !offers.is_empty() {
                text += &format!(" offering {offers:04x?}");
            }
            text
        }
        Expected::ServerHello {
            version,
            cipher_suite,
            with_extensions,
            without_extensions,
        } => {
            let mut text = "Server Hello".to_owned();
            if let Some(v) = version {
                text += &format!(" with version {}", ProtocolVersion::from(*v));
            }
            if let Some(s) = cipher_suite {
                text += &format!(" with suite {}", CipherSuite::from(*s));
            }
            if !with_extensions.is_empty() {
                text += &format!(" with extensions {with_extensions:?}");
            }
            if !without_extensions.is_empty() {
                text += &format!(" without extensions {without_extensions:?}");
            }
            text
        }
        Expected::EncryptedExtensions => "Encrypted Extensions".to_owned(),
        Expected::Certificate => "Certificate".to_owned(),
        Expected::CertificateVerify => "Certificate Verify".to_owned(),
        Expected::KeyUpdate => "Key Update".to_owned(),
        Expected::ServerKeyExchange => "Server Key Exchange".to_owned(),
        Expected::ServerHelloDone => "Server Hello Done".to_owned(),
        Expected::ClientKeyExchange => "Client Key Exchange".to_owned(),
        Expected::ChangeCipherSpec => "Change Cipher Spec".to_owned(),
        Expected::Finished => "Finished with the right verify_data".to_owned(),
        Expected::HelloRequest => "Hello Request".to_owned(),
        Expected::NewSessionTicket => "New Session Ticket".to_owned(),
        Expected::Handshake(typ) => handshake_name(HandshakeType::from(*typ)),
        Expected::ApplicationData { text, hex: bytes } => {
            let mut out = "Application Data".to_owned();
            if let Some(t) = text {
                out += &format!(" {t:?}");
            }
            if let Some(b) = bytes {
                out += &format!(" {}", hex(&b.0));
            }
            out
        }
    }
}

/// Whether `obs` is what `expected` waits for.
pub(crate) fn matches(expected: &Expected, obs: &Observation) -> bool {
    let (message, problem) = match obs {
        Observation::Handshake { message, problem } => (message, problem),
        Observation::ChangeCipherSpec(payload) => {
            // RFC 5246 §7.1: a single byte of value 1.
            return *expected == Expected::ChangeCipherSpec && payload == &[1];
        }
        Observation::ApplicationData(data) => {
            let Expected::ApplicationData { text, hex } = expected else {
                return false;
            };
            let mut want = Vec::new();
            if let Some(t) = text {
                want.extend_from_slice(t.as_bytes());
            }
            if let Some(h) = hex {
                want.extend_from_slice(&h.0);
            }
            return (text.is_none() && hex.is_none()) || *data == want;
        }
        _ => return false,
    };
    if problem.is_some() {
        return false;
    }
    match (expected, message) {
        (Expected::ClientHello { version, offers }, HandshakeMessage::ClientHello(h)) => {
            version.is_none_or(|v| h.client_version.get() == v)
                && offers
                    .iter()
                    .all(|s| h.cipher_suites.iter().any(|o| o.get() == *s))
        }
        (
            Expected::ServerHello {
                version,
                cipher_suite,
                with_extensions,
                without_extensions,
            },
            HandshakeMessage::ServerHello(h),
        ) => {
            let types: Vec<u16> = h.extensions.iter().map(ext_type).collect();
            version.is_none_or(|v| h.server_version.get() == v)
                && cipher_suite.is_none_or(|s| h.cipher_suite.get() == s)
                && with_extensions.iter().all(|t| types.contains(t))
                && !without_extensions.iter().any(|t| types.contains(t))
        }
        (Expected::Handshake(typ), m) => m.typ().get() == *typ,
        (expected, m) => {
            let typ = match expected {
                Expected::EncryptedExtensions => HandshakeType::EncryptedExtensions,
                Expected::Certificate => HandshakeType::Certificate,
                Expected::CertificateVerify => HandshakeType::CertificateVerify,
                Expected::KeyUpdate => HandshakeType::KeyUpdate,
                Expected::ServerKeyExchange => HandshakeType::ServerKeyExchange,
                Expected::ServerHelloDone => HandshakeType::ServerHelloDone,
                Expected::ClientKeyExchange => HandshakeType::ClientKeyExchange,
                Expected::Finished => HandshakeType::Finished,
                Expected::HelloRequest => HandshakeType::HelloRequest,
                Expected::NewSessionTicket => HandshakeType::NewSessionTicket,
                _ => return false,
            };
            m.typ() == typ
        }
    }
}
