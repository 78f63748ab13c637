//! Client Hello and Server Hello (RFC 5246 §7.4.1.2, §7.4.1.3).
//!
//! Read first: RFC 5246 §7.4.1.2–§7.4.1.4; RFC 2246 §7.4.1.2 has the same
//! layout for TLS 1.0.

use super::extensions::{
    ClientExtension, ServerExtension, encode_extension_block, read_extension_block,
};
use crate::codec::{Codec, Reader, VecBounds};
use crate::enums::{CipherSuite, CompressionMethod, ExtensionType, ProtocolVersion};
use crate::error::InvalidMessage;

/// RFC 5246 §7.4.1.2: `opaque SessionID<0..32>;`
pub const SESSION_ID: VecBounds = VecBounds::new(0, 32, "SessionID");
/// RFC 5246 §7.4.1.2: `CipherSuite cipher_suites<2..2^16-2>;`
pub const CIPHER_SUITES: VecBounds = VecBounds::new(2, 0xfffe, "cipher_suites");
/// RFC 5246 §7.4.1.2: `CompressionMethod compression_methods<1..2^8-1>;`
pub const COMPRESSION_METHODS: VecBounds = VecBounds::new(1, 0xff, "compression_methods");

/// The 32-byte hello random (RFC 5246 §7.4.1.2). In TLS 1.0–1.2 the first
/// four bytes were meant to be `gmt_unix_time`; the simulator fills all 32
/// from a seeded stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Random(pub [u8; 32]);

impl Codec for Random {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.array("Random").map(Random)
    }
}

/// A session identifier of 0 to 32 bytes (RFC 5246 §7.4.1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionId(Vec<u8>);

impl SessionId {
    /// The empty session ID: no resumption offered, or none allocated.
    pub fn empty() -> Self {
        SessionId(Vec::new())
    }

    /// A session ID, or `None` if `bytes` is longer than 32.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        (bytes.len() <= SESSION_ID.max).then(|| SessionId(bytes.to_vec()))
    }

    /// The identifier's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether the identifier is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Codec for SessionId {
    fn encode(&self, out: &mut Vec<u8>) {
        SESSION_ID.encode_opaque(out, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        SESSION_ID.read_opaque(r).map(SessionId)
    }
}

/// RFC 5246 §7.4.1.2 `ClientHello`.
///
/// An empty `extensions` list is encoded as no extension block at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// The highest version the client supports.
    pub client_version: ProtocolVersion,
    /// The client random.
    pub random: Random,
    /// A session to resume, or empty.
    pub session_id: SessionId,
    /// The suites offered, most preferred first.
    pub cipher_suites: Vec<CipherSuite>,
    /// The compression methods offered; must include null.
    pub compression_methods: Vec<CompressionMethod>,
    /// The extensions, in order.
    pub extensions: Vec<ClientExtension>,
}

impl ClientHello {
    /// The first extension of type `typ`, if present.
    pub fn extension(&self, typ: ExtensionType) -> Option<&ClientExtension> {
        use super::extensions::HelloExtension;
        self.extensions.iter().find(|e| e.ext_type() == typ)
    }
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.client_version.encode(out);
        self.random.encode(out);
        self.session_id.encode(out);
        CIPHER_SUITES.encode_list(out, &self.cipher_suites);
        COMPRESSION_METHODS.encode_list(out, &self.compression_methods);
        encode_extension_block(&self.extensions, out);
    }

    /// Reads a whole Client Hello body: RFC 5246 §7.4.1.2 lets nothing but
    /// the extension block follow the compression methods, so the reader
    /// must hold exactly the message body.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let hello = ClientHello {
            client_version: ProtocolVersion::read(r)?,
            random: Random::read(r)?,
            session_id: SessionId::read(r)?,
            cipher_suites: CIPHER_SUITES.read_list(r)?,
            compression_methods: COMPRESSION_METHODS.read_list(r)?,
            extensions: read_extension_block(r)?,
        };
        r.expect_empty("ClientHello")?;
        Ok(hello)
    }
}

/// RFC 5246 §7.4.1.3 `ServerHello`.
///
/// An empty `extensions` list is encoded as no extension block at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// The version chosen for the connection.
    pub server_version: ProtocolVersion,
    /// The server random.
    pub random: Random,
    /// The session's identifier, or empty if it will not be cached.
    pub session_id: SessionId,
    /// The suite chosen from the client's list.
    pub cipher_suite: CipherSuite,
    /// The compression method chosen from the client's list.
    pub compression_method: CompressionMethod,
    /// The extensions, in order.
    pub extensions: Vec<ServerExtension>,
}

impl ServerHello {
    /// The first extension of type `typ`, if present.
    pub fn extension(&self, typ: ExtensionType) -> Option<&ServerExtension> {
        use super::extensions::HelloExtension;
        self.extensions.iter().find(|e| e.ext_type() == typ)
    }
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.server_version.encode(out);
        self.random.encode(out);
        self.session_id.encode(out);
        self.cipher_suite.encode(out);
        self.compression_method.encode(out);
        encode_extension_block(&self.extensions, out);
    }

    /// Reads a whole Server Hello body; see [`ClientHello::read`].
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let hello = ServerHello {
            server_version: ProtocolVersion::read(r)?,
            random: Random::read(r)?,
            session_id: SessionId::read(r)?,
            cipher_suite: CipherSuite::read(r)?,
            compression_method: CompressionMethod::read(r)?,
            extensions: read_extension_block(r)?,
        };
        r.expect_empty("ServerHello")?;
        Ok(hello)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal_server_hello() -> Vec<u8> {
        let mut bytes = vec![3, 1];
        bytes.extend_from_slice(&[7; 32]);
        bytes.extend_from_slice(&[0, 0xc0, 0x13, 0]);
        bytes
    }

    #[test]
    fn reads_server_hello_without_extension_block() {
        let hello = ServerHello::from_bytes(&minimal_server_hello()).unwrap();
        assert_eq!(
            hello.cipher_suite,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
        );
        assert!(hello.extensions.is_empty());
        assert_eq!(hello.to_bytes(), minimal_server_hello());
    }

    #[test]
    fn rejects_duplicate_server_extension() {
        let mut bytes = minimal_server_hello();
        bytes.extend_from_slice(&[0, 10, 0xff, 0x01, 0, 1, 0, 0xff, 0x01, 0, 1, 0]);
        assert_eq!(
            ServerHello::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::DuplicateExtension(ExtensionType::RenegotiationInfo)
        );
    }

    #[test]
    fn rejects_truncated_session_id() {
        let mut bytes = vec![3, 1];
        bytes.extend_from_slice(&[7; 32]);
        bytes.extend_from_slice(&[32, 1, 2, 3]);
        assert_eq!(
            ServerHello::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::Truncated("SessionID")
        );
    }

    #[test]
    fn rejects_session_id_longer_than_32() {
        let mut bytes = vec![3, 1];
        bytes.extend_from_slice(&[7; 32]);
        bytes.push(33);
        bytes.extend_from_slice(&[0; 40]);
        assert_eq!(
            ServerHello::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("SessionID")
        );
        assert!(SessionId::new(&[0; 33]).is_none());
    }

    #[test]
    fn rejects_client_hello_with_one_byte_of_suites() {
        let mut bytes = vec![3, 1];
        bytes.extend_from_slice(&[7; 32]);
        bytes.extend_from_slice(&[0, 0, 1, 0x2f, 1, 0]);
        assert_eq!(
            ClientHello::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("cipher_suites")
        );
    }

    #[test]
    fn rejects_client_hello_without_compression_methods() {
        let mut bytes = vec![3, 1];
        bytes.extend_from_slice(&[7; 32]);
        bytes.extend_from_slice(&[0, 0, 2, 0, 0x2f, 0]);
        assert_eq!(
            ClientHello::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("compression_methods")
        );
    }
}
