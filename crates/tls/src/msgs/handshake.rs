//! The handshake message envelope and the simpler handshake bodies
//! (RFC 5246 §7.4).
//!
//! Read first: RFC 5246 §7.4 (the `Handshake` struct), §7.4.2
//! (Certificate), §7.4.9 (Finished); RFC 5077 §3.3 (NewSessionTicket).

use super::hello::{ClientHello, ServerHello};
use crate::codec::{Codec, MAX_U24, Reader, VecBounds};
use crate::enums::HandshakeType;
use crate::error::InvalidMessage;

/// RFC 5246 §7.4: `uint24 length;` then the body.
pub const HANDSHAKE_BODY: VecBounds = VecBounds::new(0, MAX_U24, "handshake body");
/// RFC 5246 §7.4.2: `ASN.1Cert certificate_list<0..2^24-1>;`
pub const CERTIFICATE_LIST: VecBounds = VecBounds::new(0, MAX_U24, "certificate_list");
/// RFC 5246 §7.4.2: `opaque ASN.1Cert<1..2^24-1>;`
pub const ASN1_CERT: VecBounds = VecBounds::new(1, MAX_U24, "ASN.1Cert");
/// RFC 5077 §3.3: `opaque ticket<0..2^16-1>;`
pub const TICKET: VecBounds = VecBounds::new(0, 0xffff, "ticket");
/// The handshake header: type (1 byte) and length (3 bytes).
pub const HANDSHAKE_HEADER_LEN: usize = 4;
/// RFC 5246 §7.4.9: `verify_data_length` is 12 for every suite of TLS
/// 1.0–1.2 defined so far.
pub const VERIFY_DATA_LEN: usize = 12;

/// RFC 5246 §7.4.2 `Certificate`: the sender's chain, leaf first, each
/// entry one DER-encoded X.509 certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certificate {
    /// DER certificates, the sender's own first.
    pub chain: Vec<Vec<u8>>,
}

impl Codec for Certificate {
    fn encode(&self, out: &mut Vec<u8>) {
        CERTIFICATE_LIST.encode_with(out, |out| {
            for cert in &self.chain {
                ASN1_CERT.encode_opaque(out, cert);
            }
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut list = CERTIFICATE_LIST.read_body(r)?;
        let mut chain = Vec::new();
        while !list.is_empty() {
            chain.push(ASN1_CERT.read_opaque(&mut list)?);
        }
        Ok(Certificate { chain })
    }
}

/// RFC 5246 §7.4.9 `Finished`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished {
    /// `PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]`.
    pub verify_data: [u8; VERIFY_DATA_LEN],
}

impl Codec for Finished {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.array("verify_data")
            .map(|verify_data| Finished { verify_data })
    }
}

/// RFC 5077 §3.3 `NewSessionTicket`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket {
    /// Seconds the ticket may be kept; 0 for unspecified.
    pub lifetime_hint: u32,
    /// The opaque ticket.
    pub ticket: Vec<u8>,
}

impl Codec for NewSessionTicket {
    fn encode(&self, out: &mut Vec<u8>) {
        self.lifetime_hint.encode(out);
        TICKET.encode_opaque(out, &self.ticket);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(NewSessionTicket {
            lifetime_hint: r.u32("ticket_lifetime_hint")?,
            ticket: TICKET.read_opaque(r)?,
        })
    }
}

/// One handshake message with its header (RFC 5246 §7.4).
///
/// ServerKeyExchange and ClientKeyExchange bodies depend on the negotiated
/// key exchange and are kept as bytes; decode them with
/// [`EcdheServerKeyExchange`](super::EcdheServerKeyExchange) and
/// [`ClientEcdhPublic`](super::ClientEcdhPublic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeMessage {
    /// RFC 5246 §7.4.1.1: empty.
    HelloRequest,
    /// RFC 5246 §7.4.1.2.
    ClientHello(ClientHello),
    /// RFC 5246 §7.4.1.3.
    ServerHello(ServerHello),
    /// RFC 5077 §3.3.
    NewSessionTicket(NewSessionTicket),
    /// RFC 5246 §7.4.2.
    Certificate(Certificate),
    /// RFC 5246 §7.4.3: the body, undecoded.
    ServerKeyExchange(Vec<u8>),
    /// RFC 5246 §7.4.5: empty.
    ServerHelloDone,
    /// RFC 5246 §7.4.7: the body, undecoded.
    ClientKeyExchange(Vec<u8>),
    /// RFC 5246 §7.4.9.
    Finished(Finished),
    /// Any other type, kept as received.
    Unknown {
        /// The handshake type.
        typ: HandshakeType,
        /// The body, unparsed.
        body: Vec<u8>,
    },
}

impl HandshakeMessage {
    /// The type written in the header.
    pub fn typ(&self) -> HandshakeType {
        match self {
            HandshakeMessage::HelloRequest => HandshakeType::HelloRequest,
            HandshakeMessage::ClientHello(_) => HandshakeType::ClientHello,
            HandshakeMessage::ServerHello(_) => HandshakeType::ServerHello,
            HandshakeMessage::NewSessionTicket(_) => HandshakeType::NewSessionTicket,
            HandshakeMessage::Certificate(_) => HandshakeType::Certificate,
            HandshakeMessage::ServerKeyExchange(_) => HandshakeType::ServerKeyExchange,
            HandshakeMessage::ServerHelloDone => HandshakeType::ServerHelloDone,
            HandshakeMessage::ClientKeyExchange(_) => HandshakeType::ClientKeyExchange,
            HandshakeMessage::Finished(_) => HandshakeType::Finished,
            HandshakeMessage::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            HandshakeMessage::HelloRequest | HandshakeMessage::ServerHelloDone => {}
            HandshakeMessage::ClientHello(m) => m.encode(out),
            HandshakeMessage::ServerHello(m) => m.encode(out),
            HandshakeMessage::NewSessionTicket(m) => m.encode(out),
            HandshakeMessage::Certificate(m) => m.encode(out),
            HandshakeMessage::Finished(m) => m.encode(out),
            HandshakeMessage::ServerKeyExchange(body)
            | HandshakeMessage::ClientKeyExchange(body)
            | HandshakeMessage::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read_body(typ: HandshakeType, r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            HandshakeType::HelloRequest => HandshakeMessage::HelloRequest,
            HandshakeType::ClientHello => HandshakeMessage::ClientHello(ClientHello::read(r)?),
            HandshakeType::ServerHello => HandshakeMessage::ServerHello(ServerHello::read(r)?),
            HandshakeType::NewSessionTicket => {
                HandshakeMessage::NewSessionTicket(NewSessionTicket::read(r)?)
            }
            HandshakeType::Certificate => HandshakeMessage::Certificate(Certificate::read(r)?),
            HandshakeType::ServerKeyExchange => {
                HandshakeMessage::ServerKeyExchange(r.rest().to_vec())
            }
            HandshakeType::ServerHelloDone => HandshakeMessage::ServerHelloDone,
            HandshakeType::ClientKeyExchange => {
                HandshakeMessage::ClientKeyExchange(r.rest().to_vec())
            }
            HandshakeType::Finished => HandshakeMessage::Finished(Finished::read(r)?),
            typ => HandshakeMessage::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        })
    }
}

/// Writes a handshake header of type `typ` and the body `body` writes.
pub(crate) fn encode_handshake(
    typ: HandshakeType,
    out: &mut Vec<u8>,
    body: impl FnOnce(&mut Vec<u8>),
) {
    typ.encode(out);
    HANDSHAKE_BODY.encode_with(out, body);
}

/// Reads a handshake header and exactly the body it announces with
/// `read_body`; bytes left in the body are an error.
pub(crate) fn read_handshake<M>(
    r: &mut Reader<'_>,
    read_body: impl FnOnce(HandshakeType, &mut Reader<'_>) -> Result<M, InvalidMessage>,
) -> Result<M, InvalidMessage> {
    let typ = HandshakeType::read(r)?;
    let mut body = HANDSHAKE_BODY.read_body(r)?;
    let message = read_body(typ, &mut body)?;
    body.expect_empty("handshake body")?;
    Ok(message)
}

impl Codec for HandshakeMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_handshake(self.typ(), out, |out| self.encode_body(out));
    }

    /// Reads the header and exactly the body it announces; bytes left in
    /// the body are an error.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        read_handshake(r, Self::read_body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_hello_done_is_four_bytes() {
        assert_eq!(HandshakeMessage::ServerHelloDone.to_bytes(), [14, 0, 0, 0]);
    }

    #[test]
    fn certificate_uses_u24_lengths() {
        let msg = HandshakeMessage::Certificate(Certificate {
            chain: vec![vec![0x30; 1146], vec![0x30; 1032]],
        });
        let bytes = msg.to_bytes();
        let list_len = 3 + 1146 + 3 + 1032;
        assert_eq!(bytes.len(), 4 + 3 + list_len);
        assert_eq!(&bytes[4..10], &[0, 0x08, 0x88, 0, 0x04, 0x7a]);
        assert_eq!(HandshakeMessage::from_bytes(&bytes).unwrap(), msg);
    }

    #[test]
    fn rejects_empty_certificate_entry() {
        let bytes = [11, 0, 0, 6, 0, 0, 3, 0, 0, 0];
        assert_eq!(
            HandshakeMessage::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("ASN.1Cert")
        );
    }

    #[test]
    fn rejects_finished_of_wrong_length() {
        let mut short = vec![20, 0, 0, 11];
        short.extend_from_slice(&[0; 11]);
        assert_eq!(
            HandshakeMessage::from_bytes(&short).unwrap_err(),
            InvalidMessage::Truncated("verify_data")
        );
        let mut long = vec![20, 0, 0, 13];
        long.extend_from_slice(&[0; 13]);
        assert_eq!(
            HandshakeMessage::from_bytes(&long).unwrap_err(),
            InvalidMessage::TrailingData("handshake body")
        );
    }

    #[test]
    fn rejects_body_shorter_than_its_header_says() {
        assert_eq!(
            HandshakeMessage::from_bytes(&[14, 0, 0, 1]).unwrap_err(),
            InvalidMessage::Truncated("handshake body")
        );
    }

    #[test]
    fn rejects_bytes_inside_server_hello_done() {
        assert_eq!(
            HandshakeMessage::from_bytes(&[14, 0, 0, 1, 0]).unwrap_err(),
            InvalidMessage::TrailingData("handshake body")
        );
    }
}
