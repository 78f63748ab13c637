//! Every failure of the TLS layer, typed, and the alert each one causes.
//!
//! Read first: RFC 5246 §7.2 (alert protocol), §7.2.2 (error alerts).
//!
//! [`Error`] is the crate's one error type. Its families ([`InvalidMessage`],
//! [`PeerMisbehaved`], [`PeerIncompatible`], [`CertificateError`],
//! [`CryptoError`]) each map to the fatal alert RFC 5246 §7.2 prescribes
//! through one `From<Family> for AlertDescription`; [`Error::alert`] gives
//! the alert to send for any error.

use core::fmt;

use crate::enums::{AlertDescription, ContentType, ExtensionType, HandshakeType, ProtocolVersion};

/// Any failure of the TLS layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Bytes that do not decode as the message they claim to be.
    InvalidMessage(InvalidMessage),
    /// A well-formed message that breaks the protocol.
    PeerMisbehaved(PeerMisbehaved),
    /// The peer wants something this side does not offer.
    PeerIncompatible(PeerIncompatible),
    /// A record of a content type the state machine does not accept now.
    InappropriateMessage {
        /// The content types that were acceptable.
        expected: &'static [ContentType],
        /// What arrived.
        got: ContentType,
    },
    /// A handshake message of a type the state machine does not accept now.
    InappropriateHandshakeMessage {
        /// The handshake types that were acceptable.
        expected: &'static [HandshakeType],
        /// What arrived.
        got: HandshakeType,
    },
    /// The peer sent a fatal alert.
    AlertReceived(AlertDescription),
    /// The peer's certificate chain failed validation.
    Certificate(CertificateError),
    /// A key exchange or signature operation failed.
    Crypto(CryptoError),
    /// A record's MAC or AEAD tag did not verify (RFC 5246 §6.2.3).
    BadRecordMac,
    /// The peer's Finished did not match, or a signature did not verify
    /// (RFC 5246 §7.2.2 `decrypt_error`).
    DecryptError,
}

impl Error {
    /// The fatal alert to send because of this error, or `None` when the
    /// peer already sent one (RFC 5246 §7.2.2: the alert is sent before
    /// closing; an alert is never answered with an alert).
    pub fn alert(&self) -> Option<AlertDescription> {
        Some(match self {
            Error::InvalidMessage(e) => (*e).into(),
            Error::PeerMisbehaved(e) => (*e).into(),
            Error::PeerIncompatible(e) => (*e).into(),
            // RFC 5246 §7.2.2 unexpected_message: "An inappropriate message
            // was received."
            Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
                AlertDescription::UnexpectedMessage
            }
            Error::AlertReceived(_) => return None,
            Error::Certificate(e) => (*e).into(),
            Error::Crypto(e) => (*e).into(),
            Error::BadRecordMac => AlertDescription::BadRecordMac,
            Error::DecryptError => AlertDescription::DecryptError,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidMessage(e) => write!(f, "invalid message: {e}"),
            Error::PeerMisbehaved(e) => write!(f, "peer misbehaved: {e:?}"),
            Error::PeerIncompatible(e) => write!(f, "peer incompatible: {e:?}"),
            Error::InappropriateMessage { expected, got } => {
                write!(f, "received {got} record, ")?;
                write_expected(f, expected)
            }
            Error::InappropriateHandshakeMessage { expected, got } => {
                write!(f, "received {got} message, ")?;
                write_expected(f, expected)
            }
            Error::AlertReceived(d) => write!(f, "received fatal alert {d}"),
            Error::Certificate(e) => write!(f, "invalid peer certificate: {e:?}"),
            Error::Crypto(e) => write!(f, "cryptographic failure: {e:?}"),
            Error::BadRecordMac => f.write_str("record MAC or tag did not verify"),
            Error::DecryptError => f.write_str("verify data or signature did not verify"),
        }
    }
}

/// "expected one of A, B", or "expected nothing" before anything may come.
fn write_expected<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    if items.is_empty() {
        return f.write_str("expected nothing");
    }
    f.write_str("expected one of ")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl std::error::Error for Error {}

/// Bytes that do not decode: the wire format itself is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidMessage {
    /// The input ended inside the named field.
    Truncated(&'static str),
    /// Bytes were left over after the named structure.
    TrailingData(&'static str),
    /// A vector's length prefix is outside its declared bounds.
    LengthOutOfBounds(&'static str),
    /// A field holds a value the RFC does not allow there.
    IllegalValue(&'static str),
    /// Two extensions of one type in a hello (RFC 5246 §7.4.1.4: "There
    /// MUST NOT be more than one extension of the same type.").
    DuplicateExtension(ExtensionType),
    /// A record of a content type that does not exist (RFC 5246 §6).
    UnknownContentType(u8),
    /// A record whose version is not SSL 3.0 or a TLS version.
    UnsupportedRecordVersion(ProtocolVersion),
    /// A record longer than RFC 5246 §6.2 allows (the length is given).
    RecordOverflow(usize),
    /// A zero-length Handshake, Alert or ChangeCipherSpec fragment
    /// (RFC 5246 §6.2.1: "Implementations MUST NOT send zero-length
    /// fragments of Handshake, Alert, or ChangeCipherSpec content types.").
    EmptyFragment(ContentType),
    /// A handshake message longer than this implementation buffers.
    HandshakeTooLarge(usize),
}

impl fmt::Display for InvalidMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidMessage::Truncated(what) => write!(f, "truncated {what}"),
            InvalidMessage::TrailingData(what) => write!(f, "trailing data after {what}"),
            InvalidMessage::LengthOutOfBounds(what) => write!(f, "{what} length out of bounds"),
            InvalidMessage::IllegalValue(what) => write!(f, "illegal value in {what}"),
            InvalidMessage::DuplicateExtension(typ) => write!(f, "duplicate extension {typ}"),
            InvalidMessage::UnknownContentType(n) => write!(f, "unknown content type {n}"),
            InvalidMessage::UnsupportedRecordVersion(v) => write!(f, "record version {v}"),
            InvalidMessage::RecordOverflow(len) => write!(f, "record of {len} bytes is too long"),
            InvalidMessage::EmptyFragment(typ) => write!(f, "empty {typ} fragment"),
            InvalidMessage::HandshakeTooLarge(len) => {
                write!(f, "handshake message of {len} bytes is too long")
            }
        }
    }
}

/// Default: `decode_error` (RFC 5246 §7.2.2: "A message could not be
/// decoded because some field was out of the specified range or the length
/// of the message was incorrect.").
impl From<InvalidMessage> for AlertDescription {
    fn from(e: InvalidMessage) -> Self {
        match e {
            // RFC 5246 §7.2.2 illegal_parameter: "A field in the handshake
            // was out of range or inconsistent with other fields."
            InvalidMessage::IllegalValue(_) | InvalidMessage::DuplicateExtension(_) => {
                AlertDescription::IllegalParameter
            }
            // RFC 5246 §6: "If a TLS implementation receives an unexpected
            // record type, it MUST send an unexpected_message alert."
            InvalidMessage::UnknownContentType(_) => AlertDescription::UnexpectedMessage,
            InvalidMessage::UnsupportedRecordVersion(_) => AlertDescription::ProtocolVersion,
            // RFC 5246 §6.2.3: "If a TLSCiphertext ... has a length greater
            // than 2^14+2048 ... the receiver MUST ... record_overflow".
            InvalidMessage::RecordOverflow(_) => AlertDescription::RecordOverflow,
            InvalidMessage::Truncated(_)
            | InvalidMessage::TrailingData(_)
            | InvalidMessage::LengthOutOfBounds(_)
            | InvalidMessage::EmptyFragment(_)
            | InvalidMessage::HandshakeTooLarge(_) => AlertDescription::DecodeError,
        }
    }
}

impl From<InvalidMessage> for Error {
    fn from(e: InvalidMessage) -> Self {
        Error::InvalidMessage(e)
    }
}

/// A well-formed message that breaks the protocol's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerMisbehaved {
    /// The server chose a cipher suite the client did not offer.
    SelectedUnofferedCipherSuite,
    /// The server chose a compression method the client did not offer.
    SelectedUnofferedCompression,
    /// The server chose a curve the client did not offer.
    SelectedUnofferedCurve,
    /// The server answered an extension the client did not send.
    UnsolicitedExtension(ExtensionType),
    /// The renegotiation_info contents are wrong (RFC 5746 §3.4, §3.6).
    RenegotiationInfoMismatch,
    /// An empty certificate chain where one is required.
    EmptyCertificateChain,
    /// TLS_FALLBACK_SCSV with a version below the server's highest
    /// (RFC 7507 §3).
    InappropriateFallback,
    /// A message lacks an extension it must carry (RFC 8446 §9.2, §4.3.2:
    /// a CertificateRequest's signature_algorithms), or one another
    /// requires (§4.2.9: psk_key_exchange_modes beside pre_shared_key).
    MissingExtension(ExtensionType),
    /// Any other field that is out of range or inconsistent with others.
    IllegalParameter(&'static str),
}

/// Default: `illegal_parameter` (RFC 5246 §7.2.2: "A field in the handshake
/// was out of range or inconsistent with other fields.").
impl From<PeerMisbehaved> for AlertDescription {
    fn from(e: PeerMisbehaved) -> Self {
        match e {
            // RFC 5246 §7.4.1.4: "the client MUST abort the handshake with
            // an unsupported_extension fatal alert."
            PeerMisbehaved::UnsolicitedExtension(_) => AlertDescription::UnsupportedExtension,
            // RFC 5746 §3.4: "... MUST abort the handshake (by sending a
            // fatal handshake_failure alert)."
            PeerMisbehaved::RenegotiationInfoMismatch => AlertDescription::HandshakeFailure,
            // RFC 5246 §7.4.2: a server must send a certificate when the
            // suite requires one; an empty list cannot be validated.
            PeerMisbehaved::EmptyCertificateChain => AlertDescription::BadCertificate,
            // RFC 7507 §3: "the server MUST respond with a fatal
            // inappropriate_fallback alert".
            PeerMisbehaved::InappropriateFallback => AlertDescription::InappropriateFallback,
            // RFC 8446 §6.2 missing_extension: "Sent by endpoints that
            // receive a handshake message not containing an extension that
            // is mandatory to send for the offered TLS version or other
            // negotiated parameters."
            PeerMisbehaved::MissingExtension(_) => AlertDescription::MissingExtension,
            PeerMisbehaved::SelectedUnofferedCipherSuite
            | PeerMisbehaved::SelectedUnofferedCompression
            | PeerMisbehaved::SelectedUnofferedCurve
            | PeerMisbehaved::IllegalParameter(_) => AlertDescription::IllegalParameter,
        }
    }
}

impl From<PeerMisbehaved> for Error {
    fn from(e: PeerMisbehaved) -> Self {
        Error::PeerMisbehaved(e)
    }
}

/// The peer asks for something this side does not support.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerIncompatible {
    /// No cipher suite in common.
    NoCipherSuiteInCommon,
    /// No elliptic curve in common for ECDHE.
    NoCurveInCommon,
    /// Suites in common need the server's ECDSA certificate, whose curve
    /// the client's supported_groups leaves out (RFC 8422 §5.3).
    CertificateCurveNotOffered,
    /// The client's signature_algorithms lists nothing the server's key
    /// can sign with (RFC 5246 §7.4.1.4.1).
    NoSignatureSchemeInCommon,
    /// The client did not offer the null compression method (RFC 5246
    /// §7.4.1.2: the list "MUST contain, and all implementations MUST
    /// support, CompressionMethod.null").
    NullCompressionRequired,
    /// The peer's version is one this side will not speak.
    UnsupportedVersion(ProtocolVersion),
    /// The peer does not support secure renegotiation (RFC 5746) and it
    /// is required.
    SecureRenegotiationRequired,
    /// The server requires a client certificate and the client sent an
    /// empty Certificate, in a handshake of this version.
    ClientCertificateRequired(ProtocolVersion),
    /// The client lists FFDHE groups, none of them the server's, and no
    /// other suite fits (RFC 7919 §4).
    NoFfdheGroupInCommon,
    /// The server's DH parameters are not an RFC 7919 group the client
    /// accepts (RFC 7919 §3).
    UnacceptableDhGroup,
}

/// Default: `handshake_failure` (RFC 5246 §7.2.2: "unable to negotiate an
/// acceptable set of security parameters given the options available.").
impl From<PeerIncompatible> for AlertDescription {
    fn from(e: PeerIncompatible) -> Self {
        match e {
            // RFC 5246 §7.2.2 protocol_version: "The protocol version the
            // client has attempted to negotiate is recognized but not
            // supported."
            PeerIncompatible::UnsupportedVersion(_) => AlertDescription::ProtocolVersion,
            // RFC 5246 §7.2.2 illegal_parameter: "A field in the handshake
            // was out of range or inconsistent with other fields."
            PeerIncompatible::NullCompressionRequired => AlertDescription::IllegalParameter,
            // RFC 7919 §4: "the server MUST end the connection with a fatal
            // TLS alert of type insufficient_security(71)"; §3 has the
            // client refuse a group it will not use the same way.
            PeerIncompatible::NoFfdheGroupInCommon | PeerIncompatible::UnacceptableDhGroup => {
                AlertDescription::InsufficientSecurity
            }
            // RFC 8446 §4.4.2.4: a server that requires a certificate "MAY
            // abort the handshake with a "certificate_required" alert";
            // before TLS 1.3 (RFC 5246 §7.4.6) it "MAY respond with a fatal
            // handshake_failure alert".
            PeerIncompatible::ClientCertificateRequired(version)
                if version >= ProtocolVersion::Tls13 =>
            {
                AlertDescription::CertificateRequired
            }
            PeerIncompatible::ClientCertificateRequired(_)
            | PeerIncompatible::NoCipherSuiteInCommon
            | PeerIncompatible::NoCurveInCommon
            | PeerIncompatible::CertificateCurveNotOffered
            | PeerIncompatible::NoSignatureSchemeInCommon
            | PeerIncompatible::SecureRenegotiationRequired => AlertDescription::HandshakeFailure,
        }
    }
}

impl From<PeerIncompatible> for Error {
    fn from(e: PeerIncompatible) -> Self {
        Error::PeerIncompatible(e)
    }
}

/// Why a certificate chain was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateError {
    /// A signature in the chain did not verify.
    BadSignature,
    /// A certificate's notAfter is before the simulated time.
    Expired,
    /// A certificate's notBefore is after the simulated time.
    NotYetValid,
    /// The chain does not end at a trusted root.
    UnknownIssuer,
    /// A certificate is not valid DER or not a valid X.509 structure.
    BadEncoding,
    /// An issuing certificate is not allowed to act as a CA.
    NotCa,
    /// The end-entity certificate does not name the server.
    NameMismatch,
    /// A key or signature algorithm this implementation does not handle.
    UnsupportedAlgorithm,
}

/// Default: `bad_certificate` (RFC 5246 §7.2.2: "A certificate was corrupt,
/// contained signatures that did not verify correctly, etc.").
impl From<CertificateError> for AlertDescription {
    fn from(e: CertificateError) -> Self {
        match e {
            // RFC 5246 §7.2.2 certificate_expired: "A certificate has
            // expired or is not currently valid."
            CertificateError::Expired | CertificateError::NotYetValid => {
                AlertDescription::CertificateExpired
            }
            // RFC 5246 §7.2.2 unknown_ca: "the CA certificate could not be
            // located or couldn't be matched with a known, trusted CA."
            CertificateError::UnknownIssuer => AlertDescription::UnknownCa,
            // RFC 5246 §7.2.2 unsupported_certificate: "A certificate was of
            // an unsupported type."
            CertificateError::UnsupportedAlgorithm => AlertDescription::UnsupportedCertificate,
            CertificateError::BadSignature
            | CertificateError::BadEncoding
            | CertificateError::NotCa
            | CertificateError::NameMismatch => AlertDescription::BadCertificate,
        }
    }
}

impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Self {
        Error::Certificate(e)
    }
}

/// A failed key exchange or signature operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The peer's public key or point is not valid for its group.
    InvalidPeerPublicKey,
    /// The peer's finite-field DH public value is outside 1 < Y < p - 1
    /// (RFC 7919 §5.1).
    DhPublicOutOfRange,
    /// A handshake signature (ServerKeyExchange, CertificateVerify) did not
    /// verify.
    SignatureMismatch,
    /// An operation failed for a reason that is this side's fault.
    Internal(&'static str),
}

/// Default: `illegal_parameter` for a bad peer key.
impl From<CryptoError> for AlertDescription {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::InvalidPeerPublicKey => AlertDescription::IllegalParameter,
            // RFC 7919 §3 and §4: out-of-range dh_Ys or dh_Yc "MUST terminate
            // the connection with a fatal handshake_failure(40) alert".
            CryptoError::DhPublicOutOfRange => AlertDescription::HandshakeFailure,
            // RFC 5246 §7.2.2 decrypt_error: "a signature could not be
            // correctly verified".
            CryptoError::SignatureMismatch => AlertDescription::DecryptError,
            CryptoError::Internal(_) => AlertDescription::InternalError,
        }
    }
}

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        Error::Crypto(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_messages_map_to_decode_error() {
        for e in [
            InvalidMessage::Truncated("x"),
            InvalidMessage::TrailingData("x"),
            InvalidMessage::LengthOutOfBounds("x"),
            InvalidMessage::EmptyFragment(ContentType::Handshake),
        ] {
            assert_eq!(AlertDescription::from(e), AlertDescription::DecodeError);
        }
    }

    #[test]
    fn record_layer_errors_map_to_their_rfc_alerts() {
        let cases = [
            (
                InvalidMessage::RecordOverflow(20_000),
                AlertDescription::RecordOverflow,
            ),
            (
                InvalidMessage::UnknownContentType(99),
                AlertDescription::UnexpectedMessage,
            ),
            (
                InvalidMessage::UnsupportedRecordVersion(ProtocolVersion::Unknown(0x0201)),
                AlertDescription::ProtocolVersion,
            ),
            (
                InvalidMessage::DuplicateExtension(ExtensionType::ServerName),
                AlertDescription::IllegalParameter,
            ),
        ];
        for (e, alert) in cases {
            assert_eq!(Error::from(e).alert(), Some(alert), "{e}");
        }
    }

    #[test]
    fn each_family_maps_to_its_prescribed_alert() {
        let cases = [
            (
                Error::from(PeerMisbehaved::SelectedUnofferedCipherSuite),
                AlertDescription::IllegalParameter,
            ),
            (
                Error::from(PeerMisbehaved::UnsolicitedExtension(ExtensionType::Padding)),
                AlertDescription::UnsupportedExtension,
            ),
            (
                Error::from(PeerMisbehaved::RenegotiationInfoMismatch),
                AlertDescription::HandshakeFailure,
            ),
            (
                Error::from(PeerIncompatible::NoCipherSuiteInCommon),
                AlertDescription::HandshakeFailure,
            ),
            (
                Error::from(PeerIncompatible::UnsupportedVersion(ProtocolVersion::Ssl3)),
                AlertDescription::ProtocolVersion,
            ),
            (
                Error::from(PeerIncompatible::ClientCertificateRequired(
                    ProtocolVersion::Tls12,
                )),
                AlertDescription::HandshakeFailure,
            ),
            (
                Error::from(PeerIncompatible::ClientCertificateRequired(
                    ProtocolVersion::Tls13,
                )),
                AlertDescription::CertificateRequired,
            ),
            (
                Error::from(CertificateError::BadSignature),
                AlertDescription::BadCertificate,
            ),
            (
                Error::from(CertificateError::Expired),
                AlertDescription::CertificateExpired,
            ),
            (
                Error::from(CertificateError::NotYetValid),
                AlertDescription::CertificateExpired,
            ),
            (
                Error::from(CertificateError::UnknownIssuer),
                AlertDescription::UnknownCa,
            ),
            (
                Error::from(CryptoError::SignatureMismatch),
                AlertDescription::DecryptError,
            ),
            (Error::BadRecordMac, AlertDescription::BadRecordMac),
            (Error::DecryptError, AlertDescription::DecryptError),
            (
                Error::InappropriateHandshakeMessage {
                    expected: &[HandshakeType::ServerHello],
                    got: HandshakeType::Finished,
                },
                AlertDescription::UnexpectedMessage,
            ),
        ];
        for (e, alert) in cases {
            assert_eq!(e.alert(), Some(alert), "{e}");
        }
    }

    #[test]
    fn a_received_alert_is_not_answered() {
        assert_eq!(
            Error::AlertReceived(AlertDescription::HandshakeFailure).alert(),
            None
        );
    }

    #[test]
    fn inappropriate_message_lists_what_was_expected() {
        let e = Error::InappropriateHandshakeMessage {
            expected: &[HandshakeType::Certificate, HandshakeType::ServerKeyExchange],
            got: HandshakeType::Finished,
        };
        assert_eq!(
            e.to_string(),
            "received Finished (20) message, expected one of Certificate (11), Server Key Exchange (12)"
        );
    }
}
