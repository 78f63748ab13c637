//! Code points of TLS 1.0–1.2 and of the extensions a 2013 browser sent.
//!
//! Read first: RFC 5246 §6.2.1 (content types), §7.2 (alerts), §7.4
//! (handshake types), §7.4.1.4.1 (signature algorithms); RFC 4492 §5.1
//! (curves and point formats); RFC 6066, RFC 7301, RFC 5746 (extensions);
//! the IANA "TLS Parameters" registry (cipher suite names).
//!
//! Every code point is an enum with an `Unknown(n)` variant, so any value
//! read from the wire encodes back to the same bytes. `Display` shows the
//! name Wireshark uses and the number, e.g. `Handshake (22)` or
//! `TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (0xc013)`; unnamed values print as
//! `Unknown (0x1234)`.

use core::fmt;

use crate::codec::{Codec, Reader};
use crate::error::InvalidMessage;

/// How a code point's number is printed after its name.
#[derive(Clone, Copy)]
enum Radix {
    /// `Handshake (22)`.
    Decimal,
    /// `named_curve (0x03)`.
    Hex2,
    /// `secp256r1 (0x0017)`.
    Hex4,
}

fn write_named(f: &mut fmt::Formatter<'_>, name: &str, radix: Radix, n: u16) -> fmt::Result {
    match radix {
        Radix::Decimal => write!(f, "{name} ({n})"),
        Radix::Hex2 => write!(f, "{name} (0x{n:02x})"),
        Radix::Hex4 => write!(f, "{name} (0x{n:04x})"),
    }
}

/// Defines a code-point enum with `Unknown`, conversions, `Codec` and
/// `Display`. Each variant is written `Ident = value => "Wireshark name"`.
macro_rules! code_points {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $uint:ty, $radix:ident {
            $( $variant:ident = $value:literal => $label:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                #[doc = concat!("`", $label, "` (", stringify!($value), ").")]
                $variant,
            )*
            /// A value without a name here, kept as received.
            Unknown($uint),
        }

        impl $name {
            /// Every named value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The Wireshark name, or `None` for an unknown value.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $($name::$variant => Some($label),)*
                    $name::Unknown(_) => None,
                }
            }

            /// The number on the wire.
            pub fn get(self) -> $uint {
                <$uint>::from(self)
            }
        }

        impl From<$uint> for $name {
            fn from(value: $uint) -> Self {
                match value {
                    $($value => $name::$variant,)*
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $uint {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => $value,)*
                    $name::Unknown(other) => other,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_named(f, self.name().unwrap_or("Unknown"), Radix::$radix, u16::from(self.get()))
            }
        }

        impl Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                self.get().encode(out);
            }

            fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
                <$uint as Codec>::read(r)
                    .map($name::from)
                    .map_err(|_| InvalidMessage::Truncated(stringify!($name)))
            }
        }
    };
}

code_points! {
    /// The record layer's content type (RFC 5246 §6.2.1, RFC 6520).
    pub enum ContentType: u8, Decimal {
        ChangeCipherSpec = 20 => "Change Cipher Spec",
        Alert = 21 => "Alert",
        Handshake = 22 => "Handshake",
        ApplicationData = 23 => "Application Data",
        Heartbeat = 24 => "Heartbeat",
    }
}

code_points! {
    /// A protocol version, `{major, minor}` on the wire (RFC 5246 §6.2.1,
    /// Appendix E).
    pub enum ProtocolVersion: u16, Hex4 {
        Ssl2 = 0x0002 => "SSL 2.0",
        Ssl3 = 0x0300 => "SSL 3.0",
        Tls10 = 0x0301 => "TLS 1.0",
        Tls11 = 0x0302 => "TLS 1.1",
        Tls12 = 0x0303 => "TLS 1.2",
        Tls13 = 0x0304 => "TLS 1.3",
    }
}

/// Versions compare by their number on the wire, so `Tls10 < Tls12` and an
/// unknown `{3, 4}` sorts where its number puts it (RFC 5246 Appendix E.1:
/// the client proposes the highest it supports, the server answers with
/// at most that).
impl PartialOrd for ProtocolVersion {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ProtocolVersion {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.get().cmp(&other.get())
    }
}

impl ProtocolVersion {
    /// The short label Wireshark puts before "Record Layer": `TLSv1`,
    /// `TLSv1.1`, `SSLv3`, …
    pub fn record_label(self) -> &'static str {
        match self {
            ProtocolVersion::Ssl2 => "SSLv2",
            ProtocolVersion::Ssl3 => "SSLv3",
            ProtocolVersion::Tls10 => "TLSv1",
            ProtocolVersion::Tls11 => "TLSv1.1",
            ProtocolVersion::Tls12 => "TLSv1.2",
            ProtocolVersion::Tls13 => "TLSv1.3",
            ProtocolVersion::Unknown(_) => "SSL",
        }
    }
}

code_points! {
    /// The handshake message type (RFC 5246 §7.4, RFC 5077 §3.3, RFC 8446
    /// §4, NPN draft).
    pub enum HandshakeType: u8, Decimal {
        HelloRequest = 0 => "Hello Request",
        ClientHello = 1 => "Client Hello",
        ServerHello = 2 => "Server Hello",
        NewSessionTicket = 4 => "New Session Ticket",
        EndOfEarlyData = 5 => "End of Early Data",
        EncryptedExtensions = 8 => "Encrypted Extensions",
        Certificate = 11 => "Certificate",
        ServerKeyExchange = 12 => "Server Key Exchange",
        CertificateRequest = 13 => "Certificate Request",
        ServerHelloDone = 14 => "Server Hello Done",
        CertificateVerify = 15 => "Certificate Verify",
        ClientKeyExchange = 16 => "Client Key Exchange",
        Finished = 20 => "Finished",
        CertificateStatus = 22 => "Certificate Status",
        KeyUpdate = 24 => "Key Update",
        NextProtocol = 67 => "Next Protocol",
        MessageHash = 254 => "Message Hash",
    }
}

code_points! {
    /// A cipher suite, by its IANA name (RFC 5246 Appendix A.5, RFC 4492
    /// §6, RFC 5288, RFC 5289, RFC 5746 §3.3 for the SCSV).
    #[allow(non_camel_case_types)]
    pub enum CipherSuite: u16, Hex4 {
        TLS_NULL_WITH_NULL_NULL = 0x0000 => "TLS_NULL_WITH_NULL_NULL",
        TLS_RSA_WITH_NULL_MD5 = 0x0001 => "TLS_RSA_WITH_NULL_MD5",
        TLS_RSA_WITH_NULL_SHA = 0x0002 => "TLS_RSA_WITH_NULL_SHA",
        TLS_RSA_EXPORT_WITH_RC4_40_MD5 = 0x0003 => "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        TLS_RSA_WITH_RC4_128_MD5 = 0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        TLS_RSA_WITH_RC4_128_SHA = 0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5 = 0x0006 => "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        TLS_RSA_WITH_IDEA_CBC_SHA = 0x0007 => "TLS_RSA_WITH_IDEA_CBC_SHA",
        TLS_RSA_EXPORT_WITH_DES40_CBC_SHA = 0x0008 => "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        TLS_RSA_WITH_DES_CBC_SHA = 0x0009 => "TLS_RSA_WITH_DES_CBC_SHA",
        TLS_RSA_WITH_3DES_EDE_CBC_SHA = 0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA = 0x000d => "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA",
        TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA = 0x0010 => "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA = 0x0011 => "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA",
        TLS_DHE_DSS_WITH_DES_CBC_SHA = 0x0012 => "TLS_DHE_DSS_WITH_DES_CBC_SHA",
        TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA = 0x0013 => "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
        TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA = 0x0014 => "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
        TLS_DHE_RSA_WITH_DES_CBC_SHA = 0x0015 => "TLS_DHE_RSA_WITH_DES_CBC_SHA",
        TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA = 0x0016 => "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        TLS_DH_DSS_WITH_AES_128_CBC_SHA = 0x0030 => "TLS_DH_DSS_WITH_AES_128_CBC_SHA",
        TLS_DH_RSA_WITH_AES_128_CBC_SHA = 0x0031 => "TLS_DH_RSA_WITH_AES_128_CBC_SHA",
        TLS_DHE_DSS_WITH_AES_128_CBC_SHA = 0x0032 => "TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        TLS_DH_DSS_WITH_AES_256_CBC_SHA = 0x0036 => "TLS_DH_DSS_WITH_AES_256_CBC_SHA",
        TLS_DH_RSA_WITH_AES_256_CBC_SHA = 0x0037 => "TLS_DH_RSA_WITH_AES_256_CBC_SHA",
        TLS_DHE_DSS_WITH_AES_256_CBC_SHA = 0x0038 => "TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        TLS_DH_DSS_WITH_AES_128_CBC_SHA256 = 0x003e => "TLS_DH_DSS_WITH_AES_128_CBC_SHA256",
        TLS_DH_RSA_WITH_AES_128_CBC_SHA256 = 0x003f => "TLS_DH_RSA_WITH_AES_128_CBC_SHA256",
        TLS_DHE_DSS_WITH_AES_128_CBC_SHA256 = 0x0040 => "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
        TLS_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0041 => "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA = 0x0042 => "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0043 => "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA = 0x0044 => "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0045 => "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 = 0x0067 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        TLS_DH_DSS_WITH_AES_256_CBC_SHA256 = 0x0068 => "TLS_DH_DSS_WITH_AES_256_CBC_SHA256",
        TLS_DH_RSA_WITH_AES_256_CBC_SHA256 = 0x0069 => "TLS_DH_RSA_WITH_AES_256_CBC_SHA256",
        TLS_DHE_DSS_WITH_AES_256_CBC_SHA256 = 0x006a => "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 = 0x006b => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        TLS_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0084 => "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA = 0x0085 => "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0086 => "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA = 0x0087 => "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0088 => "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA",
        TLS_PSK_WITH_RC4_128_SHA = 0x008a => "TLS_PSK_WITH_RC4_128_SHA",
        TLS_PSK_WITH_3DES_EDE_CBC_SHA = 0x008b => "TLS_PSK_WITH_3DES_EDE_CBC_SHA",
        TLS_PSK_WITH_AES_128_CBC_SHA = 0x008c => "TLS_PSK_WITH_AES_128_CBC_SHA",
        TLS_PSK_WITH_AES_256_CBC_SHA = 0x008d => "TLS_PSK_WITH_AES_256_CBC_SHA",
        TLS_RSA_WITH_SEED_CBC_SHA = 0x0096 => "TLS_RSA_WITH_SEED_CBC_SHA",
        TLS_DH_DSS_WITH_SEED_CBC_SHA = 0x0097 => "TLS_DH_DSS_WITH_SEED_CBC_SHA",
        TLS_DH_RSA_WITH_SEED_CBC_SHA = 0x0098 => "TLS_DH_RSA_WITH_SEED_CBC_SHA",
        TLS_DHE_DSS_WITH_SEED_CBC_SHA = 0x0099 => "TLS_DHE_DSS_WITH_SEED_CBC_SHA",
        TLS_DHE_RSA_WITH_SEED_CBC_SHA = 0x009a => "TLS_DHE_RSA_WITH_SEED_CBC_SHA",
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_DH_RSA_WITH_AES_128_GCM_SHA256 = 0x00a0 => "TLS_DH_RSA_WITH_AES_128_GCM_SHA256",
        TLS_DH_RSA_WITH_AES_256_GCM_SHA384 = 0x00a1 => "TLS_DH_RSA_WITH_AES_256_GCM_SHA384",
        TLS_DHE_DSS_WITH_AES_128_GCM_SHA256 = 0x00a2 => "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256",
        TLS_DHE_DSS_WITH_AES_256_GCM_SHA384 = 0x00a3 => "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384",
        TLS_DH_DSS_WITH_AES_128_GCM_SHA256 = 0x00a4 => "TLS_DH_DSS_WITH_AES_128_GCM_SHA256",
        TLS_DH_DSS_WITH_AES_256_GCM_SHA384 = 0x00a5 => "TLS_DH_DSS_WITH_AES_256_GCM_SHA384",
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        TLS_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        TLS_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        TLS_FALLBACK_SCSV = 0x5600 => "TLS_FALLBACK_SCSV",
        TLS_ECDH_ECDSA_WITH_RC4_128_SHA = 0xc002 => "TLS_ECDH_ECDSA_WITH_RC4_128_SHA",
        TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA = 0xc003 => "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA = 0xc004 => "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA",
        TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA = 0xc005 => "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_NULL_SHA = 0xc006 => "TLS_ECDHE_ECDSA_WITH_NULL_SHA",
        TLS_ECDHE_ECDSA_WITH_RC4_128_SHA = 0xc007 => "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA = 0xc008 => "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        TLS_ECDH_RSA_WITH_RC4_128_SHA = 0xc00c => "TLS_ECDH_RSA_WITH_RC4_128_SHA",
        TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA = 0xc00d => "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDH_RSA_WITH_AES_128_CBC_SHA = 0xc00e => "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA",
        TLS_ECDH_RSA_WITH_AES_256_CBC_SHA = 0xc00f => "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_RSA_WITH_NULL_SHA = 0xc010 => "TLS_ECDHE_RSA_WITH_NULL_SHA",
        TLS_ECDHE_RSA_WITH_RC4_128_SHA = 0xc011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA = 0xc012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA = 0xc01a => "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA",
        TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA = 0xc01b => "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA = 0xc01c => "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA",
        TLS_SRP_SHA_WITH_AES_128_CBC_SHA = 0xc01d => "TLS_SRP_SHA_WITH_AES_128_CBC_SHA",
        TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA = 0xc01e => "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA",
        TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA = 0xc01f => "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA",
        TLS_SRP_SHA_WITH_AES_256_CBC_SHA = 0xc020 => "TLS_SRP_SHA_WITH_AES_256_CBC_SHA",
        TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA = 0xc021 => "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA",
        TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA = 0xc022 => "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc025 => "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc026 => "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256 = 0xc029 => "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384 = 0xc02a => "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02d => "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02e => "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256 = 0xc031 => "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384 = 0xc032 => "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA = 0xfeff => "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA",
    }
}

code_points! {
    /// A compression method (RFC 5246 §7.4.1.2, RFC 3749).
    pub enum CompressionMethod: u8, Decimal {
        Null = 0 => "null",
        Deflate = 1 => "DEFLATE",
    }
}

code_points! {
    /// A hello extension type (RFC 5246 §7.4.1.4, RFC 8446 §4.2 and the
    /// IANA registry).
    pub enum ExtensionType: u16, Decimal {
        ServerName = 0 => "server_name",
        MaxFragmentLength = 1 => "max_fragment_length",
        StatusRequest = 5 => "status_request",
        SupportedGroups = 10 => "elliptic_curves",
        EcPointFormats = 11 => "ec_point_formats",
        SignatureAlgorithms = 13 => "signature_algorithms",
        Heartbeat = 15 => "heartbeat",
        ApplicationLayerProtocolNegotiation = 16 => "application_layer_protocol_negotiation",
        SignedCertificateTimestamp = 18 => "signed_certificate_timestamp",
        Padding = 21 => "padding",
        EncryptThenMac = 22 => "encrypt_then_mac",
        ExtendedMasterSecret = 23 => "extended_master_secret",
        SessionTicket = 35 => "SessionTicket TLS",
        PreSharedKey = 41 => "pre_shared_key",
        EarlyData = 42 => "early_data",
        SupportedVersions = 43 => "supported_versions",
        Cookie = 44 => "cookie",
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        CertificateAuthorities = 47 => "certificate_authorities",
        OidFilters = 48 => "oid_filters",
        PostHandshakeAuth = 49 => "post_handshake_auth",
        SignatureAlgorithmsCert = 50 => "signature_algorithms_cert",
        KeyShare = 51 => "key_share",
        NextProtocolNegotiation = 13172 => "next_protocol_negotiation",
        ChannelId = 30032 => "channel_id",
        RenegotiationInfo = 65281 => "renegotiation_info",
    }
}

code_points! {
    /// The `NameType` of a server_name entry (RFC 6066 §3).
    pub enum ServerNameType: u8, Decimal {
        HostName = 0 => "host_name",
    }
}

code_points! {
    /// A named elliptic curve or finite-field group (RFC 4492 §5.1.1,
    /// RFC 7027, RFC 7748, RFC 7919).
    pub enum NamedGroup: u16, Hex4 {
        Sect163k1 = 1 => "sect163k1",
        Sect163r1 = 2 => "sect163r1",
        Sect163r2 = 3 => "sect163r2",
        Sect193r1 = 4 => "sect193r1",
        Sect193r2 = 5 => "sect193r2",
        Sect233k1 = 6 => "sect233k1",
        Sect233r1 = 7 => "sect233r1",
        Sect239k1 = 8 => "sect239k1",
        Sect283k1 = 9 => "sect283k1",
        Sect283r1 = 10 => "sect283r1",
        Sect409k1 = 11 => "sect409k1",
        Sect409r1 = 12 => "sect409r1",
        Sect571k1 = 13 => "sect571k1",
        Sect571r1 = 14 => "sect571r1",
        Secp160k1 = 15 => "secp160k1",
        Secp160r1 = 16 => "secp160r1",
        Secp160r2 = 17 => "secp160r2",
        Secp192k1 = 18 => "secp192k1",
        Secp192r1 = 19 => "secp192r1",
        Secp224k1 = 20 => "secp224k1",
        Secp224r1 = 21 => "secp224r1",
        Secp256k1 = 22 => "secp256k1",
        Secp256r1 = 23 => "secp256r1",
        Secp384r1 = 24 => "secp384r1",
        Secp521r1 = 25 => "secp521r1",
        BrainpoolP256r1 = 26 => "brainpoolP256r1",
        BrainpoolP384r1 = 27 => "brainpoolP384r1",
        BrainpoolP512r1 = 28 => "brainpoolP512r1",
        X25519 = 29 => "x25519",
        X448 = 30 => "x448",
        Ffdhe2048 = 256 => "ffdhe2048",
        Ffdhe3072 = 257 => "ffdhe3072",
        Ffdhe4096 = 258 => "ffdhe4096",
        Ffdhe6144 = 259 => "ffdhe6144",
        Ffdhe8192 = 260 => "ffdhe8192",
        ArbitraryExplicitPrimeCurves = 0xff01 => "arbitrary_explicit_prime_curves",
        ArbitraryExplicitChar2Curves = 0xff02 => "arbitrary_explicit_char2_curves",
    }
}

code_points! {
    /// An elliptic-curve point format (RFC 4492 §5.1.2).
    pub enum EcPointFormat: u8, Decimal {
        Uncompressed = 0 => "uncompressed",
        AnsiX962CompressedPrime = 1 => "ansiX962_compressed_prime",
        AnsiX962CompressedChar2 = 2 => "ansiX962_compressed_char2",
    }
}

code_points! {
    /// The kind of certificate a CertificateRequest asks for (RFC 5246
    /// §7.4.4, RFC 8422 §5.5).
    pub enum ClientCertificateType: u8, Decimal {
        RsaSign = 1 => "RSA Sign",
        DssSign = 2 => "DSS Sign",
        RsaFixedDh = 3 => "RSA Fixed DH",
        DssFixedDh = 4 => "DSS Fixed DH",
        EcdsaSign = 64 => "ECDSA Sign",
        RsaFixedEcdh = 65 => "RSA Fixed ECDH",
        EcdsaFixedEcdh = 66 => "ECDSA Fixed ECDH",
    }
}

code_points! {
    /// How a ServerKeyExchange names its curve (RFC 4492 §5.4).
    pub enum EcCurveType: u8, Hex2 {
        ExplicitPrime = 1 => "explicit_prime",
        ExplicitChar2 = 2 => "explicit_char2",
        NamedCurve = 3 => "named_curve",
    }
}

code_points! {
    /// The hash half of a TLS 1.2 `SignatureAndHashAlgorithm`
    /// (RFC 5246 §7.4.1.4.1).
    pub enum HashAlgorithm: u8, Decimal {
        None = 0 => "None",
        Md5 = 1 => "MD5",
        Sha1 = 2 => "SHA1",
        Sha224 = 3 => "SHA224",
        Sha256 = 4 => "SHA256",
        Sha384 = 5 => "SHA384",
        Sha512 = 6 => "SHA512",
        Intrinsic = 8 => "Intrinsic",
    }
}

code_points! {
    /// The signature half of a TLS 1.2 `SignatureAndHashAlgorithm`
    /// (RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.3).
    pub enum SignatureAlgorithm: u8, Decimal {
        Anonymous = 0 => "Anonymous",
        Rsa = 1 => "RSA",
        Dsa = 2 => "DSA",
        Ecdsa = 3 => "ECDSA",
        Ed25519 = 7 => "ED25519",
        Ed448 = 8 => "ED448",
    }
}

code_points! {
    /// A TLS 1.2 `SignatureAndHashAlgorithm` read as one 16-bit value: hash
    /// in the high byte, signature in the low byte (RFC 5246 §7.4.1.4.1),
    /// named as in RFC 8446 §4.2.3 where a name exists.
    pub enum SignatureScheme: u16, Hex4 {
        RsaPkcs1Md5 = 0x0101 => "rsa_pkcs1_md5",
        RsaPkcs1Sha1 = 0x0201 => "rsa_pkcs1_sha1",
        DsaSha1 = 0x0202 => "dsa_sha1",
        EcdsaSha1 = 0x0203 => "ecdsa_sha1",
        RsaPkcs1Sha224 = 0x0301 => "rsa_pkcs1_sha224",
        DsaSha224 = 0x0302 => "dsa_sha224",
        EcdsaSha224 = 0x0303 => "ecdsa_sha224",
        RsaPkcs1Sha256 = 0x0401 => "rsa_pkcs1_sha256",
        DsaSha256 = 0x0402 => "dsa_sha256",
        EcdsaSecp256r1Sha256 = 0x0403 => "ecdsa_secp256r1_sha256",
        RsaPkcs1Sha384 = 0x0501 => "rsa_pkcs1_sha384",
        DsaSha384 = 0x0502 => "dsa_sha384",
        EcdsaSecp384r1Sha384 = 0x0503 => "ecdsa_secp384r1_sha384",
        RsaPkcs1Sha512 = 0x0601 => "rsa_pkcs1_sha512",
        DsaSha512 = 0x0602 => "dsa_sha512",
        EcdsaSecp521r1Sha512 = 0x0603 => "ecdsa_secp521r1_sha512",
        RsaPssRsaeSha256 = 0x0804 => "rsa_pss_rsae_sha256",
        RsaPssRsaeSha384 = 0x0805 => "rsa_pss_rsae_sha384",
        RsaPssRsaeSha512 = 0x0806 => "rsa_pss_rsae_sha512",
        Ed25519 = 0x0807 => "ed25519",
        Ed448 = 0x0808 => "ed448",
    }
}

/// The TLS 1.2 name of the pair that [`SignatureScheme`] carries.
pub type SignatureAndHashAlgorithm = SignatureScheme;

impl SignatureScheme {
    /// The scheme made of a hash and a signature algorithm.
    pub fn from_parts(hash: HashAlgorithm, signature: SignatureAlgorithm) -> Self {
        SignatureScheme::from(u16::from_be_bytes([hash.get(), signature.get()]))
    }

    /// The hash half (the high byte).
    pub fn hash(self) -> HashAlgorithm {
        HashAlgorithm::from(self.get().to_be_bytes()[0])
    }

    /// The signature half (the low byte).
    pub fn signature(self) -> SignatureAlgorithm {
        SignatureAlgorithm::from(self.get().to_be_bytes()[1])
    }
}

code_points! {
    /// RFC 8446 §4.6.3: whether a KeyUpdate asks the peer to update too.
    pub enum KeyUpdateRequest: u8, Decimal {
        UpdateNotRequested = 0 => "update_not_requested",
        UpdateRequested = 1 => "update_requested",
    }
}

code_points! {
    /// RFC 8446 §4.2.9: how a PSK may be used.
    pub enum PskKeyExchangeMode: u8, Decimal {
        PskKe = 0 => "psk_ke",
        PskDheKe = 1 => "psk_dhe_ke",
    }
}

code_points! {
    /// An alert's level (RFC 5246 §7.2).
    pub enum AlertLevel: u8, Decimal {
        Warning = 1 => "Warning",
        Fatal = 2 => "Fatal",
    }
}

code_points! {
    /// An alert's description (RFC 5246 §7.2, RFC 6066, RFC 7301, RFC 7507,
    /// RFC 8446 §6).
    pub enum AlertDescription: u8, Decimal {
        CloseNotify = 0 => "Close Notify",
        UnexpectedMessage = 10 => "Unexpected Message",
        BadRecordMac = 20 => "Bad Record MAC",
        DecryptionFailed = 21 => "Decryption Failed",
        RecordOverflow = 22 => "Record Overflow",
        DecompressionFailure = 30 => "Decompression Failure",
        HandshakeFailure = 40 => "Handshake Failure",
        NoCertificate = 41 => "No Certificate",
        BadCertificate = 42 => "Bad Certificate",
        UnsupportedCertificate = 43 => "Unsupported Certificate",
        CertificateRevoked = 44 => "Certificate Revoked",
        CertificateExpired = 45 => "Certificate Expired",
        CertificateUnknown = 46 => "Certificate Unknown",
        IllegalParameter = 47 => "Illegal Parameter",
        UnknownCa = 48 => "Unknown CA",
        AccessDenied = 49 => "Access Denied",
        DecodeError = 50 => "Decode Error",
        DecryptError = 51 => "Decrypt Error",
        ExportRestriction = 60 => "Export Restriction",
        ProtocolVersion = 70 => "Protocol Version",
        InsufficientSecurity = 71 => "Insufficient Security",
        InternalError = 80 => "Internal Error",
        InappropriateFallback = 86 => "Inappropriate Fallback",
        UserCanceled = 90 => "User Canceled",
        NoRenegotiation = 100 => "No Renegotiation",
        MissingExtension = 109 => "Missing Extension",
        UnsupportedExtension = 110 => "Unsupported Extension",
        UnrecognizedName = 112 => "Unrecognized Name",
        BadCertificateStatusResponse = 113 => "Bad Certificate Status Response",
        UnknownPskIdentity = 115 => "Unknown PSK Identity",
        CertificateRequired = 116 => "Certificate Required",
        NoApplicationProtocol = 120 => "No Application Protocol",
    }
}

/// The 51 cipher suites of the documented Client Hello, in offer order: a
/// 2013 client's list of ECDHE, DHE, SRP, ECDH and RSA suites with AES,
/// CAMELLIA, SEED, 3DES, IDEA, RC4, DES and export ciphers.
pub const DOCUMENTED_CLIENT_SUITES: [CipherSuite; 51] = {
    use CipherSuite::*;
    [
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA,
        TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA,
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
        TLS_DHE_DSS_WITH_AES_256_CBC_SHA,
        TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA,
        TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA,
        TLS_ECDH_RSA_WITH_AES_256_CBC_SHA,
        TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA,
        TLS_RSA_WITH_AES_256_CBC_SHA,
        TLS_RSA_WITH_CAMELLIA_256_CBC_SHA,
        TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
        TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
        TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA,
        TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA,
        TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
        TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA,
        TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA,
        TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA,
        TLS_RSA_WITH_3DES_EDE_CBC_SHA,
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA,
        TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA,
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
        TLS_DHE_DSS_WITH_AES_128_CBC_SHA,
        TLS_DHE_RSA_WITH_SEED_CBC_SHA,
        TLS_DHE_DSS_WITH_SEED_CBC_SHA,
        TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA,
        TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA,
        TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,
        TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA,
        TLS_RSA_WITH_AES_128_CBC_SHA,
        TLS_RSA_WITH_SEED_CBC_SHA,
        TLS_RSA_WITH_CAMELLIA_128_CBC_SHA,
        TLS_RSA_WITH_IDEA_CBC_SHA,
        TLS_ECDHE_RSA_WITH_RC4_128_SHA,
        TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
        TLS_ECDH_RSA_WITH_RC4_128_SHA,
        TLS_ECDH_ECDSA_WITH_RC4_128_SHA,
        TLS_RSA_WITH_RC4_128_SHA,
        TLS_RSA_WITH_RC4_128_MD5,
        TLS_DHE_RSA_WITH_DES_CBC_SHA,
        TLS_DHE_DSS_WITH_DES_CBC_SHA,
        TLS_RSA_WITH_DES_CBC_SHA,
        TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA,
        TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA,
        TLS_RSA_EXPORT_WITH_DES40_CBC_SHA,
        TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5,
        TLS_RSA_EXPORT_WITH_RC4_40_MD5,
    ]
};

/// The 25 RFC 4492 curves of the documented Client Hello, in offer order
/// (largest binary and prime curves first).
pub const DOCUMENTED_CLIENT_CURVES: [NamedGroup; 25] = {
    use NamedGroup::*;
    [
        Sect571r1, Sect571k1, Secp521r1, Sect409k1, Sect409r1, Secp384r1, Sect283k1, Sect283r1,
        Secp256k1, Secp256r1, Sect239k1, Sect233k1, Sect233r1, Secp224k1, Secp224r1, Sect193r1,
        Sect193r2, Secp192k1, Secp192r1, Sect163k1, Sect163r1, Sect163r2, Secp160k1, Secp160r1,
        Secp160r2,
    ]
};

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn displays_wireshark_name_and_number() {
        assert_eq!(ContentType::Handshake.to_string(), "Handshake (22)");
        assert_eq!(ProtocolVersion::Tls10.to_string(), "TLS 1.0 (0x0301)");
        assert_eq!(ProtocolVersion::Ssl3.to_string(), "SSL 3.0 (0x0300)");
        assert_eq!(HandshakeType::ClientHello.to_string(), "Client Hello (1)");
        assert_eq!(
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA.to_string(),
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (0xc013)"
        );
        assert_eq!(CipherSuite::from(0x1234).to_string(), "Unknown (0x1234)");
        assert_eq!(EcCurveType::NamedCurve.to_string(), "named_curve (0x03)");
        assert_eq!(NamedGroup::Secp256r1.to_string(), "secp256r1 (0x0017)");
        assert_eq!(
            ExtensionType::RenegotiationInfo.to_string(),
            "renegotiation_info (65281)"
        );
        assert_eq!(
            AlertDescription::DecodeError.to_string(),
            "Decode Error (50)"
        );
    }

    #[test]
    fn all_rfc_4492_curves_are_named() {
        for id in 1..=25u16 {
            assert!(NamedGroup::from(id).name().is_some(), "curve {id}");
        }
        assert_eq!(NamedGroup::from(26).name(), Some("brainpoolP256r1"));
    }

    #[test]
    fn documented_offer_has_distinct_named_suites() {
        for (i, suite) in DOCUMENTED_CLIENT_SUITES.iter().enumerate() {
            assert!(suite.name().is_some());
            assert!(!DOCUMENTED_CLIENT_SUITES[..i].contains(suite), "{suite}");
        }
        let mut curves: Vec<u16> = DOCUMENTED_CLIENT_CURVES.iter().map(|c| c.get()).collect();
        curves.sort_unstable();
        assert_eq!(curves, (1..=25).collect::<Vec<u16>>());
    }

    #[test]
    fn versions_order_by_their_number() {
        assert!(ProtocolVersion::Tls10 < ProtocolVersion::Tls12);
        assert!(ProtocolVersion::Ssl3 < ProtocolVersion::Tls10);
        assert!(ProtocolVersion::from(0x0305) > ProtocolVersion::Tls13);
        assert_eq!(
            ProtocolVersion::Tls11.max(ProtocolVersion::Tls10),
            ProtocolVersion::Tls11
        );
    }

    #[test]
    fn signature_scheme_splits_into_hash_and_signature() {
        let scheme = SignatureScheme::RsaPkcs1Sha256;
        assert_eq!(scheme.hash(), HashAlgorithm::Sha256);
        assert_eq!(scheme.signature(), SignatureAlgorithm::Rsa);
        assert_eq!(
            SignatureScheme::from_parts(HashAlgorithm::Sha1, SignatureAlgorithm::Ecdsa),
            SignatureScheme::EcdsaSha1
        );
    }

    #[test]
    fn every_named_value_maps_back_to_itself() {
        for &suite in CipherSuite::ALL {
            assert_eq!(CipherSuite::from(suite.get()), suite);
        }
        for &alert in AlertDescription::ALL {
            assert_eq!(AlertDescription::from(alert.get()), alert);
        }
    }

    proptest! {
        #[test]
        fn every_u16_code_point_round_trips(n in any::<u16>()) {
            prop_assert_eq!(CipherSuite::from(n).get(), n);
            prop_assert_eq!(ProtocolVersion::from(n).get(), n);
            prop_assert_eq!(NamedGroup::from(n).get(), n);
            prop_assert_eq!(ExtensionType::from(n).get(), n);
            prop_assert_eq!(SignatureScheme::from(n).get(), n);
            let bytes = CipherSuite::from(n).to_bytes();
            prop_assert_eq!(CipherSuite::from_bytes(&bytes).unwrap(), CipherSuite::from(n));
        }

        #[test]
        fn every_u8_code_point_round_trips(n in any::<u8>()) {
            prop_assert_eq!(ContentType::from(n).get(), n);
            prop_assert_eq!(HandshakeType::from(n).get(), n);
            prop_assert_eq!(CompressionMethod::from(n).get(), n);
            prop_assert_eq!(EcPointFormat::from(n).get(), n);
            prop_assert_eq!(EcCurveType::from(n).get(), n);
            prop_assert_eq!(AlertLevel::from(n).get(), n);
            prop_assert_eq!(AlertDescription::from(n).get(), n);
            prop_assert_eq!(HashAlgorithm::from(n).get(), n);
            prop_assert_eq!(SignatureAlgorithm::from(n).get(), n);
            prop_assert_eq!(ServerNameType::from(n).get(), n);
            let bytes = AlertDescription::from(n).to_bytes();
            prop_assert_eq!(AlertDescription::from_bytes(&bytes).unwrap(), AlertDescription::from(n));
        }

        #[test]
        fn reading_a_code_point_from_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..3)) {
            let _ = CipherSuite::from_bytes(&bytes);
            let _ = ContentType::from_bytes(&bytes);
        }
    }
}
