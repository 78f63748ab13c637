//! Hello extensions (RFC 5246 §7.4.1.4) in both directions.
//!
//! Read first: RFC 5246 §7.4.1.4; RFC 6066 §3 (server_name); RFC 4492 §5.1
//! (elliptic_curves, ec_point_formats); RFC 5746 §3.2 (renegotiation_info);
//! RFC 7301 §3.1 (ALPN); RFC 7627 §5.1 (extended_master_secret); RFC 5077
//! §3.2 (SessionTicket); draft-agl-tls-nextprotoneg-04 §3 (NPN).
//!
//! Some extensions carry different bodies in the Client Hello and the
//! Server Hello, so each direction has its own enum. An extension this
//! crate does not interpret is kept as `Unknown { typ, data }` and encodes
//! back to the same bytes.

use crate::codec::{Codec, Reader, VecBounds};
use crate::enums::{EcPointFormat, ExtensionType, NamedGroup, ServerNameType, SignatureScheme};
use crate::error::InvalidMessage;

/// RFC 5246 §7.4.1.4: `opaque extension_data<0..2^16-1>;`
pub const EXTENSION_DATA: VecBounds = VecBounds::new(0, 0xffff, "extension_data");
/// RFC 5246 §7.4.1.2: `Extension extensions<0..2^16-1>;`
pub const EXTENSIONS: VecBounds = VecBounds::new(0, 0xffff, "extensions");
/// RFC 6066 §3: `ServerName server_name_list<1..2^16-1>`
pub const SERVER_NAME_LIST: VecBounds = VecBounds::new(1, 0xffff, "server_name_list");
/// RFC 6066 §3: `opaque HostName<1..2^16-1>;`
pub const HOST_NAME: VecBounds = VecBounds::new(1, 0xffff, "HostName");
/// RFC 8422 §5.1.1 (tightening RFC 4492's `<1..2^16-1>` to whole entries):
/// `NamedCurve named_curve_list<2..2^16-1>;`
pub const ELLIPTIC_CURVE_LIST: VecBounds = VecBounds::new(2, 0xffff, "elliptic_curve_list");
/// RFC 4492 §5.1.2: `ECPointFormat ec_point_format_list<1..2^8-1>`
pub const EC_POINT_FORMAT_LIST: VecBounds = VecBounds::new(1, 0xff, "ec_point_format_list");
/// RFC 5246 §7.4.1.4.1:
/// `SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;`
pub const SUPPORTED_SIGNATURE_ALGORITHMS: VecBounds =
    VecBounds::new(2, 0xfffe, "supported_signature_algorithms");
/// RFC 5746 §3.2: `opaque renegotiated_connection<0..255>;`
pub const RENEGOTIATED_CONNECTION: VecBounds = VecBounds::new(0, 255, "renegotiated_connection");
/// RFC 7301 §3.1: `ProtocolName protocol_name_list<2..2^16-1>`
pub const PROTOCOL_NAME_LIST: VecBounds = VecBounds::new(2, 0xffff, "protocol_name_list");
/// RFC 7301 §3.1: `opaque ProtocolName<1..2^8-1>;` (NPN uses the same
/// 8-bit-prefixed strings).
pub const PROTOCOL_NAME: VecBounds = VecBounds::new(1, 0xff, "ProtocolName");

/// An extension in a Client Hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientExtension {
    /// RFC 6066 §3: the host names the client wants to reach. Only
    /// `host_name` entries exist; each must be ASCII.
    ServerName(Vec<String>),
    /// RFC 4492 §5.1.1 `elliptic_curves` (RFC 8422: supported_groups).
    SupportedGroups(Vec<NamedGroup>),
    /// RFC 4492 §5.1.2.
    EcPointFormats(Vec<EcPointFormat>),
    /// RFC 5246 §7.4.1.4.1 (TLS 1.2 only).
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// RFC 5746 §3.2: empty on an initial handshake.
    RenegotiationInfo(Vec<u8>),
    /// RFC 7627 §5.1: always empty.
    ExtendedMasterSecret,
    /// RFC 7366 §2: empty; asks for encrypt-then-MAC with CBC suites.
    EncryptThenMac,
    /// RFC 7301 §3.1: the protocols the client offers.
    Alpn(Vec<Vec<u8>>),
    /// NPN draft §3: an empty body asks the server for its list.
    NextProtocolNegotiation,
    /// RFC 5077 §3.2: empty to ask for a ticket, or a ticket to resume.
    SessionTicket(Vec<u8>),
    /// Any other extension, kept as received.
    Unknown {
        /// The extension type.
        typ: ExtensionType,
        /// The body, unparsed.
        data: Vec<u8>,
    },
}

/// An extension in a Server Hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExtension {
    /// RFC 6066 §3: "the "extension_data" field of this extension SHALL be
    /// empty" when the server used the client's name.
    ServerNameAck,
    /// RFC 4492 §5.2.
    EcPointFormats(Vec<EcPointFormat>),
    /// RFC 5746 §3.2: empty on an initial handshake.
    RenegotiationInfo(Vec<u8>),
    /// RFC 7627 §5.2: always empty.
    ExtendedMasterSecret,
    /// RFC 7366 §2: empty; the server agrees to encrypt-then-MAC.
    EncryptThenMac,
    /// RFC 7301 §3.1: "exactly one" protocol name, kept as a list so a
    /// misbehaving server can be represented.
    Alpn(Vec<Vec<u8>>),
    /// NPN draft §3: the protocols the server advertises, a sequence of
    /// 8-bit-prefixed strings filling the body.
    NextProtocolNegotiation(Vec<Vec<u8>>),
    /// RFC 5077 §3.2: empty, promising a NewSessionTicket.
    SessionTicketAck,
    /// Any other extension, kept as received.
    Unknown {
        /// The extension type.
        typ: ExtensionType,
        /// The body, unparsed.
        data: Vec<u8>,
    },
}

/// An extension of either hello: its type, and its body in and out.
pub trait HelloExtension: Sized {
    /// The extension type written before the body.
    fn ext_type(&self) -> ExtensionType;
    /// Appends the `extension_data` contents (without their length).
    fn encode_body(&self, out: &mut Vec<u8>);
    /// Reads the contents of an `extension_data` of type `typ`; the body
    /// reader holds exactly the extension's bytes.
    ///
    /// # Errors
    /// A typed [`InvalidMessage`] if the body is malformed.
    fn read_body(typ: ExtensionType, body: &mut Reader<'_>) -> Result<Self, InvalidMessage>;
}

fn encode_extension<E: HelloExtension>(ext: &E, out: &mut Vec<u8>) {
    ext.ext_type().encode(out);
    EXTENSION_DATA.encode_with(out, |out| ext.encode_body(out));
}

fn read_extension<E: HelloExtension>(r: &mut Reader<'_>) -> Result<E, InvalidMessage> {
    let typ = ExtensionType::read(r)?;
    let mut body = EXTENSION_DATA.read_body(r)?;
    let ext = E::read_body(typ, &mut body)?;
    body.expect_empty("extension_data")?;
    Ok(ext)
}

impl Codec for ClientExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_extension(self, out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        read_extension(r)
    }
}

impl Codec for ServerExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_extension(self, out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        read_extension(r)
    }
}

/// Writes a hello's extension block; nothing at all when `exts` is empty
/// (RFC 5246 §7.4.1.2: the block is optional, and a 2013 peer may not
/// expect an empty one).
pub(crate) fn encode_extension_block<E: Codec>(exts: &[E], out: &mut Vec<u8>) {
    if !exts.is_empty() {
        EXTENSIONS.encode_list(out, exts);
    }
}

/// Reads a hello's optional extension block, rejecting repeated types.
pub(crate) fn read_extension_block<E: HelloExtension + Codec>(
    r: &mut Reader<'_>,
) -> Result<Vec<E>, InvalidMessage> {
    if r.is_empty() {
        return Ok(Vec::new());
    }
    let exts: Vec<E> = EXTENSIONS.read_list(r)?;
    for (i, ext) in exts.iter().enumerate() {
        let typ = ext.ext_type();
        // RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of
        // the same type."
        if exts[..i].iter().any(|earlier| earlier.ext_type() == typ) {
            return Err(InvalidMessage::DuplicateExtension(typ));
        }
    }
    Ok(exts)
}

fn read_protocol_names(
    bounds: VecBounds,
    r: &mut Reader<'_>,
) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let mut body = bounds.read_body(r)?;
    read_protocol_name_sequence(&mut body)
}

fn read_protocol_name_sequence(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let mut names = Vec::new();
    while !r.is_empty() {
        names.push(PROTOCOL_NAME.read_opaque(r)?);
    }
    Ok(names)
}

fn encode_protocol_names(names: &[Vec<u8>], out: &mut Vec<u8>) {
    for name in names {
        PROTOCOL_NAME.encode_opaque(out, name);
    }
}

fn read_server_names(r: &mut Reader<'_>) -> Result<Vec<String>, InvalidMessage> {
    let mut list = SERVER_NAME_LIST.read_body(r)?;
    let mut names = Vec::new();
    while !list.is_empty() {
        // RFC 6066 §3: entries of an unknown NameType cannot be skipped, as
        // their length is not known.
        if ServerNameType::read(&mut list)? != ServerNameType::HostName {
            return Err(InvalidMessage::IllegalValue("server name type"));
        }
        let name = HOST_NAME.read_opaque(&mut list)?;
        // RFC 6066 §3: "The hostname is represented as a byte string using
        // ASCII encoding without a trailing dot."
        if !name.is_ascii() {
            return Err(InvalidMessage::IllegalValue("HostName"));
        }
        names.push(String::from_utf8(name).map_err(|_| InvalidMessage::IllegalValue("HostName"))?);
    }
    Ok(names)
}

fn encode_server_names(names: &[String], out: &mut Vec<u8>) {
    SERVER_NAME_LIST.encode_with(out, |out| {
        for name in names {
            ServerNameType::HostName.encode(out);
            HOST_NAME.encode_opaque(out, name.as_bytes());
        }
    });
}

impl HelloExtension for ClientExtension {
    fn ext_type(&self) -> ExtensionType {
        match self {
            ClientExtension::ServerName(_) => ExtensionType::ServerName,
            ClientExtension::SupportedGroups(_) => ExtensionType::SupportedGroups,
            ClientExtension::EcPointFormats(_) => ExtensionType::EcPointFormats,
            ClientExtension::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            ClientExtension::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            ClientExtension::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            ClientExtension::EncryptThenMac => ExtensionType::EncryptThenMac,
            ClientExtension::Alpn(_) => ExtensionType::ApplicationLayerProtocolNegotiation,
            ClientExtension::NextProtocolNegotiation => ExtensionType::NextProtocolNegotiation,
            ClientExtension::SessionTicket(_) => ExtensionType::SessionTicket,
            ClientExtension::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            ClientExtension::ServerName(names) => encode_server_names(names, out),
            ClientExtension::SupportedGroups(groups) => {
                ELLIPTIC_CURVE_LIST.encode_list(out, groups)
            }
            ClientExtension::EcPointFormats(formats) => {
                EC_POINT_FORMAT_LIST.encode_list(out, formats)
            }
            ClientExtension::SignatureAlgorithms(schemes) => {
                SUPPORTED_SIGNATURE_ALGORITHMS.encode_list(out, schemes)
            }
            ClientExtension::RenegotiationInfo(data) => {
                RENEGOTIATED_CONNECTION.encode_opaque(out, data)
            }
            ClientExtension::ExtendedMasterSecret
            | ClientExtension::EncryptThenMac
            | ClientExtension::NextProtocolNegotiation => {}
            ClientExtension::Alpn(names) => {
                PROTOCOL_NAME_LIST.encode_with(out, |out| encode_protocol_names(names, out))
            }
            ClientExtension::SessionTicket(data) | ClientExtension::Unknown { data, .. } => {
                out.extend_from_slice(data)
            }
        }
    }

    fn read_body(typ: ExtensionType, r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            ExtensionType::ServerName => ClientExtension::ServerName(read_server_names(r)?),
            ExtensionType::SupportedGroups => {
                ClientExtension::SupportedGroups(ELLIPTIC_CURVE_LIST.read_list(r)?)
            }
            ExtensionType::EcPointFormats => {
                ClientExtension::EcPointFormats(EC_POINT_FORMAT_LIST.read_list(r)?)
            }
            ExtensionType::SignatureAlgorithms => {
                ClientExtension::SignatureAlgorithms(SUPPORTED_SIGNATURE_ALGORITHMS.read_list(r)?)
            }
            ExtensionType::RenegotiationInfo => {
                ClientExtension::RenegotiationInfo(RENEGOTIATED_CONNECTION.read_opaque(r)?)
            }
            ExtensionType::ExtendedMasterSecret => ClientExtension::ExtendedMasterSecret,
            ExtensionType::EncryptThenMac => ClientExtension::EncryptThenMac,
            ExtensionType::ApplicationLayerProtocolNegotiation => {
                ClientExtension::Alpn(read_protocol_names(PROTOCOL_NAME_LIST, r)?)
            }
            ExtensionType::NextProtocolNegotiation => ClientExtension::NextProtocolNegotiation,
            ExtensionType::SessionTicket => ClientExtension::SessionTicket(r.rest().to_vec()),
            typ => ClientExtension::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        })
    }
}

impl HelloExtension for ServerExtension {
    fn ext_type(&self) -> ExtensionType {
        match self {
            ServerExtension::ServerNameAck => ExtensionType::ServerName,
            ServerExtension::EcPointFormats(_) => ExtensionType::EcPointFormats,
            ServerExtension::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            ServerExtension::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            ServerExtension::EncryptThenMac => ExtensionType::EncryptThenMac,
            ServerExtension::Alpn(_) => ExtensionType::ApplicationLayerProtocolNegotiation,
            ServerExtension::NextProtocolNegotiation(_) => ExtensionType::NextProtocolNegotiation,
            ServerExtension::SessionTicketAck => ExtensionType::SessionTicket,
            ServerExtension::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            ServerExtension::ServerNameAck
            | ServerExtension::ExtendedMasterSecret
            | ServerExtension::EncryptThenMac
            | ServerExtension::SessionTicketAck => {}
            ServerExtension::EcPointFormats(formats) => {
                EC_POINT_FORMAT_LIST.encode_list(out, formats)
            }
            ServerExtension::RenegotiationInfo(data) => {
                RENEGOTIATED_CONNECTION.encode_opaque(out, data)
            }
            ServerExtension::Alpn(names) => {
                PROTOCOL_NAME_LIST.encode_with(out, |out| encode_protocol_names(names, out))
            }
            ServerExtension::NextProtocolNegotiation(names) => encode_protocol_names(names, out),
            ServerExtension::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    fn read_body(typ: ExtensionType, r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            ExtensionType::ServerName => ServerExtension::ServerNameAck,
            ExtensionType::EcPointFormats => {
                ServerExtension::EcPointFormats(EC_POINT_FORMAT_LIST.read_list(r)?)
            }
            ExtensionType::RenegotiationInfo => {
                ServerExtension::RenegotiationInfo(RENEGOTIATED_CONNECTION.read_opaque(r)?)
            }
            ExtensionType::ExtendedMasterSecret => ServerExtension::ExtendedMasterSecret,
            ExtensionType::EncryptThenMac => ServerExtension::EncryptThenMac,
            ExtensionType::ApplicationLayerProtocolNegotiation => {
                ServerExtension::Alpn(read_protocol_names(PROTOCOL_NAME_LIST, r)?)
            }
            ExtensionType::NextProtocolNegotiation => {
                ServerExtension::NextProtocolNegotiation(read_protocol_name_sequence(r)?)
            }
            ExtensionType::SessionTicket => ServerExtension::SessionTicketAck,
            typ => ServerExtension::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_sni_as_in_rfc_6066() {
        let ext = ClientExtension::ServerName(vec!["www.google.com".into()]);
        let bytes = ext.to_bytes();
        // type 0, length 19, list length 17, host_name, name length 14
        assert_eq!(&bytes[..9], &[0, 0, 0, 19, 0, 17, 0, 0, 14]);
        assert_eq!(&bytes[9..], b"www.google.com");
        assert_eq!(ClientExtension::from_bytes(&bytes).unwrap(), ext);
    }

    #[test]
    fn empty_renegotiation_info_is_one_zero_byte() {
        let ext = ClientExtension::RenegotiationInfo(Vec::new());
        assert_eq!(ext.to_bytes(), [0xff, 0x01, 0, 1, 0]);
    }

    #[test]
    fn rejects_bytes_inside_an_empty_extension() {
        let bytes = [0, 23, 0, 1, 0];
        assert_eq!(
            ClientExtension::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::TrailingData("extension_data")
        );
    }

    #[test]
    fn rejects_unknown_server_name_type() {
        let bytes = [0, 0, 0, 6, 0, 4, 1, 0, 1, b'a'];
        assert_eq!(
            ClientExtension::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::IllegalValue("server name type")
        );
    }

    #[test]
    fn rejects_empty_point_format_list() {
        let bytes = [0, 11, 0, 1, 0];
        assert_eq!(
            ClientExtension::from_bytes(&bytes).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("ec_point_format_list")
        );
    }

    #[test]
    fn npn_is_empty_from_the_client_and_a_list_from_the_server() {
        assert_eq!(
            ClientExtension::NextProtocolNegotiation.to_bytes(),
            [0x33, 0x74, 0, 0]
        );
        let server = ServerExtension::NextProtocolNegotiation(vec![
            b"spdy/3.1".to_vec(),
            b"http/1.1".to_vec(),
        ]);
        let bytes = server.to_bytes();
        assert_eq!(&bytes[..5], &[0x33, 0x74, 0, 18, 8]);
        assert_eq!(ServerExtension::from_bytes(&bytes).unwrap(), server);
    }

    #[test]
    fn keeps_unknown_extensions_as_received() {
        let bytes = [0x75, 0x50, 0, 2, 0xab, 0xcd];
        let ext = ClientExtension::from_bytes(&bytes).unwrap();
        assert_eq!(
            ext,
            ClientExtension::Unknown {
                typ: ExtensionType::ChannelId,
                data: vec![0xab, 0xcd]
            }
        );
        assert_eq!(ext.to_bytes(), bytes);
    }
}
