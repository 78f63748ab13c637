//! TLS 1.3 messages and extension bodies (RFC 8446 §4).
//!
//! Read first: RFC 8446 §4.1.2–§4.1.4 (hellos, HelloRetryRequest, the
//! downgrade sentinels), §4.2.1 (supported_versions), §4.2.2 (cookie),
//! §4.2.8 (key_share), §4.2.9 (psk_key_exchange_modes), §4.3.1
//! (EncryptedExtensions), §4.4.2–§4.4.4 (Certificate, CertificateVerify,
//! Finished), §4.6.1 (NewSessionTicket), §4.6.3 (KeyUpdate).
//!
//! ClientHello and ServerHello keep their TLS 1.2 layout, so they are the
//! [`ClientHello`] and [`ServerHello`] of the TLS 1.2 codec; the 1.3
//! extensions ride in them as `Unknown` extensions whose bodies the types
//! here encode and decode (see [`Tls13Extension`]). The handshake
//! messages whose body changed in 1.3 (Certificate, Finished,
//! NewSessionTicket) are read by [`Tls13Message`], never by the 1.2
//! envelope.

use super::ClientExtension;
use super::certificate_request::CertificateRequest13;
use super::extensions::{EXTENSIONS, HelloExtension, ServerExtension};
use super::handshake::{encode_handshake, read_handshake};
use super::hello::{ClientHello, Random, ServerHello};
use crate::codec::{Codec, MAX_U24, Reader, VecBounds};
use crate::crypto::cipher::Side;
use crate::enums::{
    ExtensionType, HandshakeType, KeyUpdateRequest, NamedGroup, ProtocolVersion,
    PskKeyExchangeMode, SignatureScheme,
};
use crate::error::InvalidMessage;

/// RFC 8446 §4.2.1: `ProtocolVersion versions<2..254>;`
pub const VERSIONS: VecBounds = VecBounds::new(2, 254, "versions");
/// RFC 8446 §4.2.8: `opaque key_exchange<1..2^16-1>;`
pub const KEY_EXCHANGE: VecBounds = VecBounds::new(1, 0xffff, "key_exchange");
/// RFC 8446 §4.2.8: `KeyShareEntry client_shares<0..2^16-1>;`
pub const CLIENT_SHARES: VecBounds = VecBounds::new(0, 0xffff, "client_shares");
/// RFC 8446 §4.2.2: `opaque cookie<1..2^16-1>;`
pub const COOKIE: VecBounds = VecBounds::new(1, 0xffff, "cookie");
/// RFC 8446 §4.2.9: `PskKeyExchangeMode ke_modes<1..255>;`
pub const KE_MODES: VecBounds = VecBounds::new(1, 255, "ke_modes");
/// RFC 8446 §4.4.2: `opaque certificate_request_context<0..2^8-1>;`
pub const CERTIFICATE_REQUEST_CONTEXT: VecBounds =
    VecBounds::new(0, 0xff, "certificate_request_context");
/// RFC 8446 §4.4.2: `CertificateEntry certificate_list<0..2^24-1>;`
pub const CERTIFICATE_ENTRIES: VecBounds = VecBounds::new(0, MAX_U24, "certificate_list");
/// RFC 8446 §4.4.2: `opaque cert_data<1..2^24-1>;`
pub const CERT_DATA: VecBounds = VecBounds::new(1, MAX_U24, "cert_data");
/// RFC 8446 §4.4.3: `opaque signature<0..2^16-1>;`
pub const SIGNATURE_13: VecBounds = VecBounds::new(0, 0xffff, "signature");
/// RFC 8446 §4.6.1: `opaque ticket_nonce<0..255>;`
pub const TICKET_NONCE: VecBounds = VecBounds::new(0, 255, "ticket_nonce");
/// RFC 8446 §4.6.1: `opaque ticket<1..2^16-1>;`
pub const TICKET_13: VecBounds = VecBounds::new(1, 0xffff, "ticket");
/// RFC 8446 §4.6.1: `Extension extensions<0..2^16-2>;`
pub const TICKET_EXTENSIONS: VecBounds = VecBounds::new(0, 0xfffe, "extensions");

/// RFC 8446 §4.1.3: the `random` of a HelloRetryRequest,
/// SHA-256("HelloRetryRequest").
pub const HELLO_RETRY_REQUEST_RANDOM: Random = Random([
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

/// RFC 8446 §4.1.3: the last 8 bytes of a TLS 1.3 server's random when it
/// negotiates TLS 1.2 ("DOWNGRD" and 01).
pub const DOWNGRADE_TLS12: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01];
/// RFC 8446 §4.1.3: the same when it negotiates TLS 1.1 or below
/// ("DOWNGRD" and 00).
pub const DOWNGRADE_TLS11: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00];

/// RFC 8446 §4.1.3: the sentinel a server that supports TLS 1.3 writes at
/// the end of its random when it negotiates `version`, if any.
pub fn downgrade_sentinel(version: ProtocolVersion) -> Option<[u8; 8]> {
    match version {
        ProtocolVersion::Tls13 => None,
        ProtocolVersion::Tls12 => Some(DOWNGRADE_TLS12),
        _ => Some(DOWNGRADE_TLS11),
    }
}

/// RFC 8446 §4.1.3: whether a server random ends in either sentinel. A
/// TLS 1.3 client that negotiated less "MUST check" this and abort with
/// `illegal_parameter`.
pub fn has_downgrade_sentinel(random: &Random) -> bool {
    let tail = &random.0[24..];
    tail == DOWNGRADE_TLS12 || tail == DOWNGRADE_TLS11
}

impl ServerHello {
    /// RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random
    /// is [`HELLO_RETRY_REQUEST_RANDOM`].
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }
}

/// The body of a TLS 1.3 extension, carried in a hello as an `Unknown`
/// extension of type [`Tls13Extension::TYPE`].
pub trait Tls13Extension: Codec {
    /// The extension type the body belongs to.
    const TYPE: ExtensionType;

    /// The body as a Client Hello extension.
    fn to_client_extension(&self) -> ClientExtension {
        ClientExtension::Unknown {
            typ: Self::TYPE,
            data: self.to_bytes(),
        }
    }

    /// The body as a Server Hello (or EncryptedExtensions) extension.
    fn to_server_extension(&self) -> ServerExtension {
        ServerExtension::Unknown {
            typ: Self::TYPE,
            data: self.to_bytes(),
        }
    }

    /// The body of this type in a Client Hello, if present.
    ///
    /// # Errors
    /// A typed [`InvalidMessage`] if the body does not decode exactly.
    fn find_in_client_hello(hello: &ClientHello) -> Option<Result<Self, InvalidMessage>> {
        hello.extensions.iter().find_map(|ext| match ext {
            ClientExtension::Unknown { typ, data } if *typ == Self::TYPE => {
                Some(Self::from_bytes(data))
            }
            _ => None,
        })
    }

    /// The body of this type in a Server Hello or HelloRetryRequest, if
    /// present.
    ///
    /// # Errors
    /// A typed [`InvalidMessage`] if the body does not decode exactly.
    fn find_in_server_hello(hello: &ServerHello) -> Option<Result<Self, InvalidMessage>> {
        find_server_extension(&hello.extensions)
    }
}

/// The body of type `E` among server extensions, if present.
pub(crate) fn find_server_extension<E: Tls13Extension>(
    exts: &[ServerExtension],
) -> Option<Result<E, InvalidMessage>> {
    exts.iter().find_map(|ext| match ext {
        ServerExtension::Unknown { typ, data } if *typ == E::TYPE => Some(E::from_bytes(data)),
        _ => None,
    })
}

/// RFC 8446 §4.2.1: the versions a client offers, most preferred first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSupportedVersions(pub Vec<ProtocolVersion>);

impl Codec for ClientSupportedVersions {
    fn encode(&self, out: &mut Vec<u8>) {
        VERSIONS.encode_list(out, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        VERSIONS.read_list(r).map(ClientSupportedVersions)
    }
}

impl Tls13Extension for ClientSupportedVersions {
    const TYPE: ExtensionType = ExtensionType::SupportedVersions;
}

/// RFC 8446 §4.2.1: the version a server selected
/// (`ProtocolVersion selected_version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerSupportedVersion(pub ProtocolVersion);

impl Codec for ServerSupportedVersion {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        ProtocolVersion::read(r).map(ServerSupportedVersion)
    }
}

impl Tls13Extension for ServerSupportedVersion {
    const TYPE: ExtensionType = ExtensionType::SupportedVersions;
}

/// RFC 8446 §4.2.8 `KeyShareEntry`: a group and this side's public value;
/// alone, the body of a ServerHello's key_share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The group.
    pub group: NamedGroup,
    /// The public value (an X25519 key or an uncompressed point).
    pub key_exchange: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        KEY_EXCHANGE.encode_opaque(out, &self.key_exchange);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(KeyShareEntry {
            group: NamedGroup::read(r)?,
            key_exchange: KEY_EXCHANGE.read_opaque(r)?,
        })
    }
}

impl Tls13Extension for KeyShareEntry {
    const TYPE: ExtensionType = ExtensionType::KeyShare;
}

/// RFC 8446 §4.2.8 `KeyShareClientHello`: the client's shares, in its
/// order of preference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKeyShares(pub Vec<KeyShareEntry>);

impl Codec for ClientKeyShares {
    fn encode(&self, out: &mut Vec<u8>) {
        CLIENT_SHARES.encode_list(out, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let shares: Vec<KeyShareEntry> = CLIENT_SHARES.read_list(r)?;
        // RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry
        // values for the same group ... Servers MAY check for violations
        // of these rules and abort the handshake with an
        // "illegal_parameter" alert".
        for (i, share) in shares.iter().enumerate() {
            if shares[..i].iter().any(|s| s.group == share.group) {
                return Err(InvalidMessage::IllegalValue("client_shares"));
            }
        }
        Ok(ClientKeyShares(shares))
    }
}

impl Tls13Extension for ClientKeyShares {
    const TYPE: ExtensionType = ExtensionType::KeyShare;
}

/// RFC 8446 §4.2.8 `KeyShareHelloRetryRequest`: the group the server wants
/// a share for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelloRetryKeyShare(pub NamedGroup);

impl Codec for HelloRetryKeyShare {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        NamedGroup::read(r).map(HelloRetryKeyShare)
    }
}

impl Tls13Extension for HelloRetryKeyShare {
    const TYPE: ExtensionType = ExtensionType::KeyShare;
}

/// RFC 8446 §4.2.2: an opaque value a HelloRetryRequest hands the client
/// to echo in its second ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie(pub Vec<u8>);

impl Codec for Cookie {
    fn encode(&self, out: &mut Vec<u8>) {
        COOKIE.encode_opaque(out, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        COOKIE.read_opaque(r).map(Cookie)
    }
}

impl Tls13Extension for Cookie {
    const TYPE: ExtensionType = ExtensionType::Cookie;
}

/// RFC 8446 §4.2.9: the ways the client allows a PSK to be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskKeyExchangeModes(pub Vec<PskKeyExchangeMode>);

impl Codec for PskKeyExchangeModes {
    fn encode(&self, out: &mut Vec<u8>) {
        KE_MODES.encode_list(out, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        KE_MODES.read_list(r).map(PskKeyExchangeModes)
    }
}

impl Tls13Extension for PskKeyExchangeModes {
    const TYPE: ExtensionType = ExtensionType::PskKeyExchangeModes;
}

/// Reads an extension list that is always present (unlike a hello's),
/// rejecting repeated types (RFC 8446 §4.2: "There MUST NOT be more than
/// one extension of the same type in a given extension block.").
pub(crate) fn read_extension_list(
    bounds: VecBounds,
    r: &mut Reader<'_>,
) -> Result<Vec<ServerExtension>, InvalidMessage> {
    let exts: Vec<ServerExtension> = bounds.read_list(r)?;
    for (i, ext) in exts.iter().enumerate() {
        if exts[..i].iter().any(|e| e.ext_type() == ext.ext_type()) {
            return Err(InvalidMessage::DuplicateExtension(ext.ext_type()));
        }
    }
    Ok(exts)
}

/// RFC 8446 §4.3.1 `EncryptedExtensions`: the server's answers to the
/// extensions that do not shape the keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptedExtensions {
    /// The extensions, in order.
    pub extensions: Vec<ServerExtension>,
}

impl EncryptedExtensions {
    /// The body of type `E`, if present.
    pub fn find<E: Tls13Extension>(&self) -> Option<Result<E, InvalidMessage>> {
        find_server_extension(&self.extensions)
    }
}

impl Codec for EncryptedExtensions {
    fn encode(&self, out: &mut Vec<u8>) {
        EXTENSIONS.encode_list(out, &self.extensions);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(EncryptedExtensions {
            extensions: read_extension_list(EXTENSIONS, r)?,
        })
    }
}

/// RFC 8446 §4.4.2 `CertificateEntry`: one X.509 certificate and the
/// extensions that go with it (status_request, signed_certificate_timestamp).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateEntry {
    /// The DER certificate.
    pub cert_data: Vec<u8>,
    /// The entry's extensions.
    pub extensions: Vec<ServerExtension>,
}

impl Codec for CertificateEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        CERT_DATA.encode_opaque(out, &self.cert_data);
        EXTENSIONS.encode_list(out, &self.extensions);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(CertificateEntry {
            cert_data: CERT_DATA.read_opaque(r)?,
            extensions: read_extension_list(EXTENSIONS, r)?,
        })
    }
}

/// RFC 8446 §4.4.2 `Certificate`: the chain, leaf first, with a request
/// context (empty in a server's Certificate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certificate13 {
    /// `certificate_request_context`.
    pub context: Vec<u8>,
    /// The entries, the sender's own certificate first.
    pub entries: Vec<CertificateEntry>,
}

impl Certificate13 {
    /// A chain of DER certificates with no per-entry extensions.
    pub fn from_chain(chain: &[Vec<u8>]) -> Self {
        Certificate13 {
            context: Vec::new(),
            entries: chain
                .iter()
                .map(|der| CertificateEntry {
                    cert_data: der.clone(),
                    extensions: Vec::new(),
                })
                .collect(),
        }
    }

    /// The DER certificates, leaf first.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        self.entries.iter().map(|e| e.cert_data.clone()).collect()
    }
}

impl Codec for Certificate13 {
    fn encode(&self, out: &mut Vec<u8>) {
        CERTIFICATE_REQUEST_CONTEXT.encode_opaque(out, &self.context);
        CERTIFICATE_ENTRIES.encode_list(out, &self.entries);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Certificate13 {
            context: CERTIFICATE_REQUEST_CONTEXT.read_opaque(r)?,
            entries: CERTIFICATE_ENTRIES.read_list(r)?,
        })
    }
}

/// RFC 8446 §4.4.3 `CertificateVerify`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateVerify {
    /// The signature scheme used.
    pub scheme: SignatureScheme,
    /// The signature over [`certificate_verify_content`].
    pub signature: Vec<u8>,
}

impl Codec for CertificateVerify {
    fn encode(&self, out: &mut Vec<u8>) {
        self.scheme.encode(out);
        SIGNATURE_13.encode_opaque(out, &self.signature);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(CertificateVerify {
            scheme: SignatureScheme::read(r)?,
            signature: SIGNATURE_13.read_opaque(r)?,
        })
    }
}

/// RFC 8446 §4.4.3: what a CertificateVerify signs: 64 spaces, the context
/// string of the signer's side, a zero byte, and the transcript hash.
pub fn certificate_verify_content(signer: Side, transcript_hash: &[u8]) -> Vec<u8> {
    let context: &[u8] = match signer {
        Side::Server => b"TLS 1.3, server CertificateVerify",
        Side::Client => b"TLS 1.3, client CertificateVerify",
    };
    let mut content = Vec::with_capacity(64 + context.len() + 1 + transcript_hash.len());
    content.resize(64, 0x20);
    content.extend_from_slice(context);
    content.push(0);
    content.extend_from_slice(transcript_hash);
    content
}

/// RFC 8446 §4.4.4 `Finished`: `verify_data` is `Hash.length` bytes, so
/// its length is the rest of the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished13 {
    /// The HMAC over the transcript.
    pub verify_data: Vec<u8>,
}

impl Codec for Finished13 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Finished13 {
            verify_data: r.rest().to_vec(),
        })
    }
}

/// RFC 8446 §4.6.1 `NewSessionTicket`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket13 {
    /// Seconds the ticket may be used, at most 604800 (7 days).
    pub lifetime: u32,
    /// Added to the ticket's age in the client's `obfuscated_ticket_age`.
    pub age_add: u32,
    /// Unique per ticket on the connection; an input of the ticket's PSK.
    pub nonce: Vec<u8>,
    /// The opaque ticket.
    pub ticket: Vec<u8>,
    /// The ticket's extensions (early_data).
    pub extensions: Vec<ServerExtension>,
}

impl Codec for NewSessionTicket13 {
    fn encode(&self, out: &mut Vec<u8>) {
        self.lifetime.encode(out);
        self.age_add.encode(out);
        TICKET_NONCE.encode_opaque(out, &self.nonce);
        TICKET_13.encode_opaque(out, &self.ticket);
        TICKET_EXTENSIONS.encode_list(out, &self.extensions);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(NewSessionTicket13 {
            lifetime: r.u32("ticket_lifetime")?,
            age_add: r.u32("ticket_age_add")?,
            nonce: TICKET_NONCE.read_opaque(r)?,
            ticket: TICKET_13.read_opaque(r)?,
            extensions: read_extension_list(TICKET_EXTENSIONS, r)?,
        })
    }
}

/// RFC 8446 §4.6.3 `KeyUpdate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyUpdate {
    /// Whether the receiver must answer with its own KeyUpdate.
    pub request_update: KeyUpdateRequest,
}

impl Codec for KeyUpdate {
    fn encode(&self, out: &mut Vec<u8>) {
        self.request_update.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(KeyUpdate {
            request_update: KeyUpdateRequest::read(r)?,
        })
    }
}

/// A TLS 1.3 handshake message with its header (RFC 8446 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tls13Message {
    /// §4.1.2.
    ClientHello(ClientHello),
    /// §4.1.3; also a HelloRetryRequest, told apart by its random.
    ServerHello(ServerHello),
    /// §4.3.1.
    EncryptedExtensions(EncryptedExtensions),
    /// §4.3.2.
    CertificateRequest(CertificateRequest13),
    /// §4.4.2.
    Certificate(Certificate13),
    /// §4.4.3.
    CertificateVerify(CertificateVerify),
    /// §4.4.4.
    Finished(Finished13),
    /// §4.6.1.
    NewSessionTicket(NewSessionTicket13),
    /// §4.6.3.
    KeyUpdate(KeyUpdate),
    /// §4.5: empty.
    EndOfEarlyData,
    /// Any other type, kept as received.
    Unknown {
        /// The handshake type.
        typ: HandshakeType,
        /// The body, unparsed.
        body: Vec<u8>,
    },
}

impl Tls13Message {
    /// The type written in the header.
    pub fn typ(&self) -> HandshakeType {
        match self {
            Tls13Message::ClientHello(_) => HandshakeType::ClientHello,
            Tls13Message::ServerHello(_) => HandshakeType::ServerHello,
            Tls13Message::EncryptedExtensions(_) => HandshakeType::EncryptedExtensions,
            Tls13Message::CertificateRequest(_) => HandshakeType::CertificateRequest,
            Tls13Message::Certificate(_) => HandshakeType::Certificate,
            Tls13Message::CertificateVerify(_) => HandshakeType::CertificateVerify,
            Tls13Message::Finished(_) => HandshakeType::Finished,
            Tls13Message::NewSessionTicket(_) => HandshakeType::NewSessionTicket,
            Tls13Message::KeyUpdate(_) => HandshakeType::KeyUpdate,
            Tls13Message::EndOfEarlyData => HandshakeType::EndOfEarlyData,
            Tls13Message::Unknown { typ, .. } => *typ,
        }
    }

    /// The message's body, without the handshake header.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Tls13Message::ClientHello(m) => m.encode(out),
            Tls13Message::ServerHello(m) => m.encode(out),
            Tls13Message::EncryptedExtensions(m) => m.encode(out),
            Tls13Message::CertificateRequest(m) => m.encode(out),
            Tls13Message::Certificate(m) => m.encode(out),
            Tls13Message::CertificateVerify(m) => m.encode(out),
            Tls13Message::Finished(m) => m.encode(out),
            Tls13Message::NewSessionTicket(m) => m.encode(out),
            Tls13Message::KeyUpdate(m) => m.encode(out),
            Tls13Message::EndOfEarlyData => {}
            Tls13Message::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read_body(typ: HandshakeType, r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            HandshakeType::ClientHello => Tls13Message::ClientHello(ClientHello::read(r)?),
            HandshakeType::ServerHello => Tls13Message::ServerHello(ServerHello::read(r)?),
            HandshakeType::EncryptedExtensions => {
                Tls13Message::EncryptedExtensions(EncryptedExtensions::read(r)?)
            }
            HandshakeType::CertificateRequest => {
                Tls13Message::CertificateRequest(CertificateRequest13::read(r)?)
            }
            HandshakeType::Certificate => Tls13Message::Certificate(Certificate13::read(r)?),
            HandshakeType::CertificateVerify => {
                Tls13Message::CertificateVerify(CertificateVerify::read(r)?)
            }
            HandshakeType::Finished => Tls13Message::Finished(Finished13::read(r)?),
            HandshakeType::NewSessionTicket => {
                Tls13Message::NewSessionTicket(NewSessionTicket13::read(r)?)
            }
            HandshakeType::KeyUpdate => Tls13Message::KeyUpdate(KeyUpdate::read(r)?),
            HandshakeType::EndOfEarlyData => Tls13Message::EndOfEarlyData,
            typ => Tls13Message::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        })
    }
}

impl Codec for Tls13Message {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_handshake(self.typ(), out, |out| self.encode_body(out));
    }

    /// Reads the header and exactly the body it announces.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        read_handshake(r, Self::read_body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_retry_request_random_is_sha256_of_its_name() {
        use sha2::{Digest, Sha256};
        assert_eq!(
            HELLO_RETRY_REQUEST_RANDOM.0[..],
            Sha256::digest(b"HelloRetryRequest")[..]
        );
    }

    #[test]
    fn downgrade_sentinels_name_the_version() {
        assert_eq!(downgrade_sentinel(ProtocolVersion::Tls13), None);
        assert_eq!(
            downgrade_sentinel(ProtocolVersion::Tls12),
            Some(*b"DOWNGRD\x01")
        );
        assert_eq!(
            downgrade_sentinel(ProtocolVersion::Tls10),
            Some(*b"DOWNGRD\x00")
        );
        let mut random = Random([7; 32]);
        assert!(!has_downgrade_sentinel(&random));
        random.0[24..].copy_from_slice(&DOWNGRADE_TLS11);
        assert!(has_downgrade_sentinel(&random));
    }

    #[test]
    fn client_supported_versions_round_trip() {
        let versions =
            ClientSupportedVersions(vec![ProtocolVersion::Tls13, ProtocolVersion::Tls12]);
        let bytes = versions.to_bytes();
        assert_eq!(bytes, [4, 3, 4, 3, 3]);
        assert_eq!(
            ClientSupportedVersions::from_bytes(&bytes).unwrap(),
            versions
        );
    }

    #[test]
    fn rejects_an_empty_supported_versions_list() {
        assert_eq!(
            ClientSupportedVersions::from_bytes(&[0]).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("versions")
        );
    }

    #[test]
    fn rejects_two_key_shares_for_one_group() {
        let share = KeyShareEntry {
            group: NamedGroup::X25519,
            key_exchange: vec![1; 32],
        };
        let shares = ClientKeyShares(vec![share.clone(), share]);
        assert_eq!(
            ClientKeyShares::from_bytes(&shares.to_bytes()).unwrap_err(),
            InvalidMessage::IllegalValue("client_shares")
        );
    }

    #[test]
    fn rejects_an_empty_key_exchange() {
        assert_eq!(
            KeyShareEntry::from_bytes(&[0, 29, 0, 0]).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("key_exchange")
        );
    }

    #[test]
    fn extension_bodies_travel_in_hellos() {
        let hello = ServerHello {
            server_version: ProtocolVersion::Tls12,
            random: HELLO_RETRY_REQUEST_RANDOM,
            session_id: super::super::SessionId::empty(),
            cipher_suite: crate::enums::CipherSuite::TLS_AES_128_GCM_SHA256,
            compression_method: crate::enums::CompressionMethod::Null,
            extensions: vec![
                ServerSupportedVersion(ProtocolVersion::Tls13).to_server_extension(),
                HelloRetryKeyShare(NamedGroup::Secp256r1).to_server_extension(),
            ],
        };
        let hello = ServerHello::from_bytes(&hello.to_bytes()).unwrap();
        assert!(hello.is_hello_retry_request());
        assert_eq!(
            HelloRetryKeyShare::find_in_server_hello(&hello),
            Some(Ok(HelloRetryKeyShare(NamedGroup::Secp256r1)))
        );
        assert_eq!(
            ServerSupportedVersion::find_in_server_hello(&hello),
            Some(Ok(ServerSupportedVersion(ProtocolVersion::Tls13)))
        );
        assert_eq!(Cookie::find_in_server_hello(&hello), None);
    }

    #[test]
    fn certificate_verify_content_starts_with_64_spaces() {
        let content = certificate_verify_content(Side::Server, &[0xab; 32]);
        assert_eq!(&content[..64], &[0x20; 64]);
        assert_eq!(&content[64..97], b"TLS 1.3, server CertificateVerify");
        assert_eq!(content[97], 0);
        assert_eq!(&content[98..], &[0xab; 32]);
    }

    #[test]
    fn messages_round_trip() {
        let messages = [
            Tls13Message::EncryptedExtensions(EncryptedExtensions::default()),
            Tls13Message::CertificateRequest(CertificateRequest13::new(
                vec![SignatureScheme::EcdsaSecp256r1Sha256],
                vec![vec![0x30, 0]],
            )),
            Tls13Message::Certificate(Certificate13::from_chain(&[vec![0x30, 0x00]])),
            Tls13Message::CertificateVerify(CertificateVerify {
                scheme: SignatureScheme::EcdsaSecp256r1Sha256,
                signature: vec![1, 2, 3],
            }),
            Tls13Message::Finished(Finished13 {
                verify_data: vec![9; 48],
            }),
            Tls13Message::NewSessionTicket(NewSessionTicket13 {
                lifetime: 7200,
                age_add: 1,
                nonce: vec![0, 0],
                ticket: vec![5; 16],
                extensions: Vec::new(),
            }),
            Tls13Message::KeyUpdate(KeyUpdate {
                request_update: KeyUpdateRequest::UpdateRequested,
            }),
            Tls13Message::EndOfEarlyData,
        ];
        for message in messages {
            let bytes = message.to_bytes();
            assert_eq!(Tls13Message::from_bytes(&bytes).unwrap(), message);
        }
    }

    #[test]
    fn rejects_an_empty_ticket() {
        let bytes = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0];
        assert_eq!(
            NewSessionTicket13::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("ticket")
        );
    }
}
