//! Dissection: records and messages as ordered fields with byte spans, in
//! Wireshark's vocabulary, for the event log.
//!
//! A [`Dissector`] walks the bytes with a [`Reader`] and appends one
//! [`Field`] per wire field, nested by `depth`, each with the span
//! `[start, end)` of its bytes relative to the start of what was passed in
//! (the record, for [`dissect_record`]). The walk is separate from the
//! codecs so that it can show everything that parsed before a fault: on
//! malformed input it stops with a `Malformed` field naming the error, and
//! never panics.

use std::borrow::Cow;

use tlsim_sim::Field;

use super::certificate_request::{CERTIFICATE_AUTHORITIES, CERTIFICATE_TYPES, DISTINGUISHED_NAME};
use super::extensions::{
    EC_POINT_FORMAT_LIST, ELLIPTIC_CURVE_LIST, EXTENSION_DATA, EXTENSIONS, HOST_NAME,
    PROTOCOL_NAME, PROTOCOL_NAME_LIST, RENEGOTIATED_CONNECTION, SERVER_NAME_LIST,
    SUPPORTED_SIGNATURE_ALGORITHMS,
};
use super::handshake::HANDSHAKE_HEADER_LEN;
use super::handshake::{ASN1_CERT, CERTIFICATE_LIST, HANDSHAKE_BODY, TICKET};
use super::hello::{CIPHER_SUITES, COMPRESSION_METHODS, ClientHello, SESSION_ID, ServerHello};
use super::kx::{DH_VALUE, EC_POINT, ENCRYPTED_PRE_MASTER_SECRET, SIGNATURE};
use super::tls13::{
    ClientSupportedVersions, HELLO_RETRY_REQUEST_RANDOM, ServerSupportedVersion, Tls13Extension,
};
use crate::codec::{Codec, Reader, VecBounds, hex};
use crate::crypto::suites::KeyExchange;
use crate::enums::{
    AlertDescription, AlertLevel, CipherSuite, ClientCertificateType, CompressionMethod,
    ContentType, EcCurveType, EcPointFormat, ExtensionType, HandshakeType, NamedGroup,
    ProtocolVersion, ServerNameType, SignatureScheme,
};
use crate::error::InvalidMessage;
use crate::record::HEADER_LEN;

/// Bytes shown in full in a hex value; longer values are cut with "…".
const HEX_SHOWN: usize = 256;

/// Collects fields while walking bytes.
#[derive(Clone, Debug, Default)]
pub struct Dissector {
    fields: Vec<Field>,
    depth: u8,
    /// The negotiated key exchange, when known: the wire does not say how
    /// a key exchange body is laid out (RFC 5246 §7.4.3, §7.4.7).
    key_exchange: Option<KeyExchange>,
}

impl Dissector {
    /// A dissector whose first fields sit at `depth`.
    pub fn new(depth: u8) -> Self {
        Dissector {
            fields: Vec::new(),
            depth,
            key_exchange: None,
        }
    }

    /// Appends a field at the current depth covering `[start, end)`.
    pub fn push(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl ToString,
        start: usize,
        end: usize,
    ) {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.fields.push(Field {
            name: name.into(),
            value: value.to_string(),
            depth: self.depth,
            span: Some([clamp(start), clamp(end)]),
        });
    }

    /// Appends a field that stands for no bytes of the input (a value
    /// derived from elsewhere).
    fn derived(&mut self, name: &'static str, value: impl ToString) {
        self.fields.push(Field {
            name: name.into(),
            value: value.to_string(),
            depth: self.depth,
            span: None,
        });
    }

    /// Appends a field `levels` below the current depth.
    fn push_below(
        &mut self,
        levels: u8,
        name: &'static str,
        value: impl ToString,
        start: usize,
        end: usize,
    ) {
        let depth = self.depth;
        self.depth = depth.saturating_add(levels);
        self.push(name, value, start, end);
        self.depth = depth;
    }

    /// Runs `walk` with fields one level deeper, restoring the depth after,
    /// whether or not `walk` fails.
    pub fn nested<T>(&mut self, walk: impl FnOnce(&mut Self) -> T) -> T {
        self.depth = self.depth.saturating_add(1);
        let out = walk(self);
        self.depth = self.depth.saturating_sub(1);
        out
    }

    /// The fields collected so far.
    pub fn into_fields(self) -> Vec<Field> {
        self.fields
    }

    /// Records a `Malformed` field from the reader's position to its end.
    fn malformed(&mut self, r: &mut Reader<'_>, error: InvalidMessage) {
        let start = r.position();
        r.rest();
        self.push("Malformed", error, start, r.position().max(start));
    }

    /// Reads a code point and shows it as `name: Wireshark name (number)`.
    fn code<T: Codec + core::fmt::Display>(
        &mut self,
        r: &mut Reader<'_>,
        name: &'static str,
    ) -> Result<T, InvalidMessage> {
        let start = r.position();
        let value = T::read(r)?;
        self.push(name, &value, start, r.position());
        Ok(value)
    }

    /// Reads a vector's length prefix, shows it, and returns the body.
    fn length_prefixed<'a>(
        &mut self,
        r: &mut Reader<'a>,
        name: &'static str,
        bounds: VecBounds,
    ) -> Result<Reader<'a>, InvalidMessage> {
        let start = r.position();
        let len = bounds.read_length(r)?;
        self.push(name, len, start, r.position());
        r.sub(len, bounds.what)
    }

    /// Shows `bytes` (just read, ending at `end`) as hex.
    fn bytes(&mut self, name: &'static str, bytes: &[u8], end: usize) {
        self.push(name, hex_value(bytes), end - bytes.len(), end);
    }

    /// Reads a list of code points from `body`, shown as a parent field
    /// (`Cipher Suites: 51 suites`) with one child per element.
    fn code_list<T: Codec + core::fmt::Display>(
        &mut self,
        mut body: Reader<'_>,
        parent: &'static str,
        child: &'static str,
        noun: (&'static str, &'static str),
    ) -> Result<(), InvalidMessage> {
        let start = body.position();
        let at = self.fields.len();
        self.push(parent, "", start, start + body.remaining());
        let mut count = 0usize;
        self.nested(|d| {
            while !body.is_empty() {
                d.code::<T>(&mut body, child)?;
                count += 1;
            }
            Ok::<_, InvalidMessage>(())
        })?;
        let word = if count == 1 { noun.0 } else { noun.1 };
        self.fields[at].value = format!("{count} {word}");
        Ok(())
    }
}

fn hex_value(bytes: &[u8]) -> String {
    if bytes.len() > HEX_SHOWN {
        format!("{}…", hex(&bytes[..HEX_SHOWN]))
    } else {
        hex(bytes)
    }
}

/// Dissects one record (header and plaintext fragment); spans are relative
/// to the record's first byte. `version_hint` is the negotiated version,
/// which decides how a ServerKeyExchange is laid out; without it the
/// record's own version is used.
pub fn dissect_record(bytes: &[u8], version_hint: Option<ProtocolVersion>) -> Vec<Field> {
    dissect_record_with_key_exchange(bytes, version_hint, None)
}

/// [`dissect_record`], knowing the negotiated `key_exchange`, which tells a
/// DHE key exchange body from an ECDHE or RSA one as the wire cannot.
pub fn dissect_record_with_key_exchange(
    bytes: &[u8],
    version_hint: Option<ProtocolVersion>,
    key_exchange: Option<KeyExchange>,
) -> Vec<Field> {
    let mut d = Dissector::new(0);
    d.key_exchange = key_exchange;
    let mut r = Reader::new(bytes);
    record(&mut d, &mut r, version_hint, false);
    if !r.is_empty() {
        d.malformed(&mut r, InvalidMessage::TrailingData("record"));
    }
    d.into_fields()
}

/// Dissects a run of plaintext records, as one TCP segment may carry
/// (spans relative to the first byte of `bytes`).
pub fn dissect_records(bytes: &[u8], version_hint: Option<ProtocolVersion>) -> Vec<Field> {
    let mut d = Dissector::new(0);
    let mut r = Reader::new(bytes);
    while !r.is_empty() {
        if !record(&mut d, &mut r, version_hint, false) {
            break;
        }
    }
    d.into_fields()
}

/// A protected record's parts as the cipher left them: the content type
/// and plaintext inside, the IV (or AEAD nonce), the MAC (or tag) and the
/// CBC padding length, as [`RecordTrace`] holds them.
///
/// [`RecordTrace`]: crate::crypto::cipher::RecordTrace
#[derive(Clone, Copy, Debug)]
pub struct Opened<'a> {
    /// The content type inside.
    pub typ: ContentType,
    /// The plaintext.
    pub plaintext: &'a [u8],
    /// The IV, MAC or tag, and padding of this record.
    pub trace: &'a crate::crypto::cipher::RecordTrace,
}

/// The AEAD nonce length (RFC 5116 §3.2): a trace with a 12-byte IV is an AEAD's.
const AEAD_NONCE_LEN: usize = 12;

/// Dissects a protected record down to its parts (RFC 5246 §6.2.3): for
/// CBC the IV, the ciphertext and, inside it, the content, MAC, padding
/// and padding length (§6.2.3.2); for an AEAD the explicit nonce (8 bytes
/// for GCM, RFC 5288 §3; none for ChaCha20-Poly1305, RFC 7905 §2), the
/// ciphertext and the tag (§6.2.3.3). The plaintext is its own subtree,
/// `Decrypted: summary`, with the message inside dissected; since both
/// modes encrypt byte for byte in place, its spans are those of the
/// ciphertext bytes that hold it.
pub fn dissect_protected_record(
    bytes: &[u8],
    opened: Opened<'_>,
    summary: String,
    version_hint: Option<ProtocolVersion>,
) -> Vec<Field> {
    let mut d = Dissector::new(0);
    let mut r = Reader::new(bytes);
    // The header and an opaque fragment, whose last field is replaced below.
    record(&mut d, &mut r, version_hint, true);
    let body = HEADER_LEN;
    let (Some(last), true) = (d.fields.last(), bytes.len() >= body) else {
        return d.into_fields();
    };
    if last.name == "Malformed" {
        return d.into_fields();
    }
    d.fields.pop();
    let end = bytes.len();
    let fragment_len = end - body;
    let plaintext = opened.plaintext;
    let trace = opened.trace;
    let (iv, mac) = (trace.iv(), trace.mac());
    let aead = iv.len() == AEAD_NONCE_LEN;
    let version = version_hint.unwrap_or(ProtocolVersion::Tls10);
    if aead && version == ProtocolVersion::Tls13 {
        tls13_protected(&mut d, &bytes[..end], opened, summary);
        return d.into_fields();
    }
    // RFC 7366 §3: the MAC follows the ciphertext, as an AEAD's tag does.
    let mac_outside = aead || trace.encrypt_then_mac;
    let inner_len = if aead {
        plaintext.len() + mac.len()
    } else {
        plaintext.len() + mac.len() + usize::from(trace.padding_len) + 1
    };
    let Some(explicit) = fragment_len.checked_sub(inner_len) else {
        d.bytes("Encrypted Data", &bytes[body..], end);
        return d.into_fields();
    };
    let start = body + explicit;
    d.nested(|d| {
        match (aead, explicit) {
            (true, 0) => d.derived(
                "Nonce",
                format!("{} (the write IV XOR the sequence number)", hex(iv)),
            ),
            (true, _) => {
                d.push("Explicit Nonce", hex(&bytes[body..start]), body, start);
                d.push_below(
                    1,
                    "Nonce",
                    format!("{} (salt and explicit part)", hex(iv)),
                    body,
                    start,
                );
            }
            (false, 0) => d.derived(
                "IV",
                format!("{} (the last ciphertext block before this record)", hex(iv)),
            ),
            (false, _) => d.push("IV", hex(&bytes[body..start]), body, start),
        }
        let cipher_end = if mac_outside { end - mac.len() } else { end };
        d.bytes("Encrypted Data", &bytes[start..cipher_end], cipher_end);
        d.push("Decrypted", summary, start, start + plaintext.len());
        d.nested(|d| {
            decrypted_fields(d, opened.typ, plaintext, version, start);
            if !aead {
                let mac_start = start + plaintext.len();
                let padding_start = if mac_outside {
                    mac_start
                } else {
                    d.push("MAC", hex(mac), mac_start, mac_start + mac.len());
                    mac_start + mac.len()
                };
                let padding = &bytes[padding_start..cipher_end - 1];
                d.push(
                    "Padding",
                    format!("{} bytes, each {}", padding.len(), trace.padding_len),
                    padding_start,
                    cipher_end - 1,
                );
                d.push(
                    "Padding Length",
                    trace.padding_len,
                    cipher_end - 1,
                    cipher_end,
                );
            }
        });
        if aead {
            d.push("Authentication Tag", hex(mac), end - mac.len(), end);
        } else if mac_outside {
            d.push(
                "MAC",
                format!("{} (over the IV and ciphertext, RFC 7366)", hex(mac)),
                end - mac.len(),
                end,
            );
        }
    });
    d.into_fields()
}

/// A TLS 1.3 protected record (RFC 8446 §5.2): the nonce is the write IV
/// XOR the sequence number, nothing of it on the wire (§5.3); the
/// ciphertext holds TLSInnerPlaintext, the content followed by its real
/// type and any zero padding (§5.4), then the tag.
fn tls13_protected(d: &mut Dissector, bytes: &[u8], opened: Opened<'_>, summary: String) {
    let (body, end) = (HEADER_LEN, bytes.len());
    let (plaintext, tag) = (opened.plaintext, opened.trace.mac());
    let content_end = body + plaintext.len();
    let cipher_end = end.saturating_sub(tag.len());
    if content_end >= cipher_end {
        d.nested(|d| d.bytes("Encrypted Data", &bytes[body..], end));
        return;
    }
    d.nested(|d| {
        d.derived(
            "Nonce",
            format!(
                "{} (the write IV XOR the sequence number)",
                hex(opened.trace.iv())
            ),
        );
        d.bytes("Encrypted Data", &bytes[body..cipher_end], cipher_end);
        d.push("Decrypted", summary, body, content_end);
        d.nested(|d| decrypted_fields(d, opened.typ, plaintext, ProtocolVersion::Tls13, body));
        d.push(
            "Inner Content Type",
            opened.typ,
            content_end,
            content_end + 1,
        );
        if content_end + 1 < cipher_end {
            let zeros = cipher_end - content_end - 1;
            d.push(
                "Padding",
                format!("{zeros} zero bytes"),
                content_end + 1,
                cipher_end,
            );
        }
        d.push("Authentication Tag", hex(tag), cipher_end, end);
    });
}

/// The messages in a record's plaintext that starts at `start` of the
/// record.
fn decrypted_fields(
    d: &mut Dissector,
    typ: ContentType,
    plaintext: &[u8],
    version: ProtocolVersion,
    start: usize,
) {
    let before = d.fields.len();
    plaintext_fields(d, typ, plaintext, version);
    for f in &mut d.fields[before..] {
        f.span = f.span.map(|[a, b]| [a + start as u32, b + start as u32]);
    }
}

/// The messages in a record's plaintext, spans relative to its first byte.
fn plaintext_fields(
    d: &mut Dissector,
    typ: ContentType,
    plaintext: &[u8],
    version: ProtocolVersion,
) {
    let mut r = Reader::new(plaintext);
    if typ == ContentType::ApplicationData {
        d.bytes("Application Data", plaintext, plaintext.len());
        return;
    }
    fragment_fields(d, &mut r, typ, version, false);
}

/// Dissects one handshake message (header and body); spans are relative
/// to its first byte.
pub fn dissect_handshake(bytes: &[u8], version_hint: Option<ProtocolVersion>) -> Vec<Field> {
    let mut d = Dissector::new(0);
    let mut r = Reader::new(bytes);
    let version = version_hint.unwrap_or(ProtocolVersion::Tls10);
    if let Err(e) = handshake_message(&mut d, &mut r, version) {
        d.malformed(&mut r, e);
    }
    d.into_fields()
}

/// Walks one record; returns whether its whole length was present.
fn record(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    version_hint: Option<ProtocolVersion>,
    encrypted: bool,
) -> bool {
    let start = r.position();
    let available = r.remaining();
    let peek = {
        let mut p = r.clone();
        (
            ContentType::read(&mut p),
            ProtocolVersion::read(&mut p),
            p.u16("record length"),
        )
    };
    let (Ok(typ), Ok(version), Ok(length)) = peek else {
        d.malformed(r, InvalidMessage::Truncated("record header"));
        return false;
    };
    let end = start + (HEADER_LEN + usize::from(length)).min(available);
    let record = r.clone().take(end - start, "record").unwrap_or_default();
    let fragment = record.get(HEADER_LEN..).unwrap_or_default();
    let summary = match (typ, encrypted) {
        (ContentType::Handshake, false) => {
            format!("Handshake Protocol: {}", handshake_summary(fragment))
        }
        (ContentType::Handshake, true) => "Encrypted Handshake Message".to_owned(),
        (ContentType::Alert, true) => "Encrypted Alert".to_owned(),
        (ContentType::ApplicationData, _) => "Application Data Protocol".to_owned(),
        (ContentType::ChangeCipherSpec, _) => "Change Cipher Spec Protocol".to_owned(),
        (ContentType::Alert, false) => "Alert Protocol".to_owned(),
        (other, _) => other.to_string(),
    };
    let label = label_version(version, version_hint, typ, fragment);
    d.push(
        format!("{} Record Layer", label.record_label()),
        summary,
        start,
        end,
    );
    d.nested(|d| {
        let walk = (|| {
            d.code::<ContentType>(r, "Content Type")?;
            d.code::<ProtocolVersion>(r, "Version")?;
            let len_start = r.position();
            let len = r.u16("record length")?;
            d.push("Length", len, len_start, r.position());
            let mut fragment = r.sub(usize::from(len), "record fragment")?;
            let version = version_hint.unwrap_or(version);
            fragment_fields(d, &mut fragment, typ, version, encrypted);
            Ok::<_, InvalidMessage>(())
        })();
        match walk {
            Ok(()) => true,
            Err(e) => {
                d.malformed(r, e);
                false
            }
        }
    })
}

/// The version a record is labelled with ("TLSv1.3 Record Layer"), as
/// Wireshark's two-pass dissection names it. RFC 8446 §5.1: a TLS 1.3
/// record keeps a legacy version (0x0303, or 0x0301 in a first Client
/// Hello), so its label follows the negotiated version or, before that is
/// known, the hello in it that offers or selects TLS 1.3 (§4.2.1). Records
/// of earlier versions are labelled with their own version.
fn label_version(
    record_version: ProtocolVersion,
    version_hint: Option<ProtocolVersion>,
    typ: ContentType,
    fragment: &[u8],
) -> ProtocolVersion {
    match version_hint {
        Some(ProtocolVersion::Tls13) => ProtocolVersion::Tls13,
        None if typ == ContentType::Handshake && hello_speaks_tls13(fragment) => {
            ProtocolVersion::Tls13
        }
        _ => record_version,
    }
}

/// Whether `fragment` opens with a Client Hello that offers TLS 1.3 in
/// supported_versions, or a Server Hello (or HelloRetryRequest) that
/// selects it there (RFC 8446 §4.2.1).
fn hello_speaks_tls13(fragment: &[u8]) -> bool {
    let tls13 = ProtocolVersion::Tls13;
    let speaks = || {
        let mut r = Reader::new(fragment);
        let typ = HandshakeType::read(&mut r).ok()?;
        let len = r.u24("handshake length").ok()?;
        let body = r.take(len as usize, "handshake body").ok()?;
        match typ {
            HandshakeType::ClientHello => {
                let hello = ClientHello::from_bytes(body).ok()?;
                let offered = ClientSupportedVersions::find_in_client_hello(&hello)?.ok()?;
                Some(offered.0.contains(&tls13))
            }
            HandshakeType::ServerHello => {
                let hello = ServerHello::from_bytes(body).ok()?;
                Some(
                    ServerSupportedVersion::find_in_server_hello(&hello)?
                        .ok()?
                        .0
                        == tls13,
                )
            }
            _ => None,
        }
    };
    speaks().unwrap_or(false)
}

/// Wireshark's name for a HelloRetryRequest, which on the wire is a Server
/// Hello (RFC 8446 §4.1.4).
pub const HELLO_RETRY_REQUEST: &str = "Hello Retry Request";

/// Whether the handshake `message` (header included) is a HelloRetryRequest:
/// a Server Hello whose random is the special value of RFC 8446 §4.1.3.
pub fn is_hello_retry_request(message: &[u8]) -> bool {
    // The header, then legacy_version, then the random.
    const RANDOM_AT: usize = HANDSHAKE_HEADER_LEN + 2;
    message.first() == Some(&HandshakeType::ServerHello.get())
        && message.get(RANDOM_AT..RANDOM_AT + 32) == Some(&HELLO_RETRY_REQUEST_RANDOM.0[..])
}

/// The name Wireshark gives the handshake `message` (header included):
/// "Hello Retry Request", else its type's name.
fn message_name(message: &[u8]) -> &'static str {
    if is_hello_retry_request(message) {
        return HELLO_RETRY_REQUEST;
    }
    let typ = message.first().map(|&t| HandshakeType::from(t));
    typ.and_then(HandshakeType::name).unwrap_or("Unknown")
}

/// "Client Hello", or "Multiple Handshake Messages" as Wireshark says.
fn handshake_summary(fragment: &[u8]) -> String {
    let mut r = Reader::new(fragment);
    let mut names = Vec::new();
    loop {
        let start = r.position();
        if HandshakeType::read(&mut r).is_err() {
            break;
        }
        let skipped = r
            .u24("length")
            .and_then(|len| r.take(len as usize, "body").map(|_| ()));
        names.push(message_name(&fragment[start..]));
        if skipped.is_err() {
            break;
        }
    }
    match names.as_slice() {
        [] => "Malformed".to_owned(),
        [one] => (*one).to_owned(),
        _ => "Multiple Handshake Messages".to_owned(),
    }
}

fn fragment_fields(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    typ: ContentType,
    version: ProtocolVersion,
    encrypted: bool,
) {
    let start = r.position();
    let outcome = match (typ, encrypted) {
        (ContentType::Handshake, false) => (|| {
            while !r.is_empty() {
                handshake_message(d, r, version)?;
            }
            Ok(())
        })(),
        (ContentType::Alert, false) => (|| {
            let start = r.position();
            d.push("Alert Message", "", start, start + r.remaining());
            d.nested(|d| {
                d.code::<AlertLevel>(r, "Level")?;
                d.code::<AlertDescription>(r, "Description")?;
                Ok(())
            })?;
            r.expect_empty("Alert")
        })(),
        (ContentType::ChangeCipherSpec, false) => (|| {
            let value = r.u8("ChangeCipherSpec")?;
            d.push("Change Cipher Spec Message", value, start, r.position());
            r.expect_empty("ChangeCipherSpec")
        })(),
        (ContentType::ApplicationData, _) => {
            let data = r.rest();
            d.bytes("Encrypted Application Data", data, r.position());
            Ok(())
        }
        _ => {
            let data = r.rest();
            d.bytes("Encrypted Data", data, r.position());
            Ok(())
        }
    };
    if let Err(e) = outcome {
        d.malformed(r, e);
    }
}

fn handshake_message(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    version: ProtocolVersion,
) -> Result<(), InvalidMessage> {
    let start = r.position();
    let typ = {
        let mut peek = r.clone();
        HandshakeType::read(&mut peek)?
    };
    let body_len = {
        let mut peek = r.clone();
        peek.take(1, "type")?;
        peek.u24("handshake length")? as usize
    };
    let end = start + (4 + body_len).min(r.remaining());
    let message = r.clone().take(end - start, "handshake message");
    d.push(
        "Handshake Protocol",
        message_name(message.unwrap_or_default()),
        start,
        end,
    );
    d.nested(|d| {
        d.code::<HandshakeType>(r, "Handshake Type")?;
        let mut body = d.length_prefixed(r, "Length", HANDSHAKE_BODY)?;
        let walked = match typ {
            HandshakeType::ClientHello => client_hello(d, &mut body),
            HandshakeType::ServerHello => server_hello(d, &mut body),
            HandshakeType::Certificate if version == ProtocolVersion::Tls13 => {
                certificate13(d, &mut body)
            }
            HandshakeType::Certificate => certificate(d, &mut body),
            HandshakeType::ServerKeyExchange => server_key_exchange(d, &mut body, version),
            HandshakeType::CertificateRequest if version == ProtocolVersion::Tls13 => {
                certificate_request13(d, &mut body)
            }
            HandshakeType::CertificateRequest => certificate_request(d, &mut body, version),
            HandshakeType::ClientKeyExchange => client_key_exchange(d, &mut body),
            HandshakeType::Finished => {
                let data = body.rest();
                d.bytes("Verify Data", data, body.position());
                Ok(())
            }
            HandshakeType::NewSessionTicket if version == ProtocolVersion::Tls13 => {
                new_session_ticket13(d, &mut body)
            }
            HandshakeType::NewSessionTicket => new_session_ticket(d, &mut body),
            HandshakeType::NextProtocol => next_protocol(d, &mut body),
            HandshakeType::HelloRequest | HandshakeType::ServerHelloDone => Ok(()),
            _ => {
                if !body.is_empty() {
                    let data = body.rest();
                    d.bytes("Data", data, body.position());
                }
                Ok(())
            }
        };
        // A malformed body is shown and the walk goes on with the next
        // message, whose start the header gave.
        match walked.and_then(|()| body.expect_empty("handshake body")) {
            Ok(()) => {}
            Err(e) => d.malformed(&mut body, e),
        }
        Ok(())
    })
}

fn random_and_session(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    d.code::<ProtocolVersion>(r, "Version")?;
    let random = r.take(32, "Random")?;
    d.bytes("Random", random, r.position());
    let session = d.length_prefixed(r, "Session ID Length", SESSION_ID)?;
    if !session.is_empty() {
        let mut session = session;
        let id = session.rest();
        d.bytes("Session ID", id, session.position());
    }
    Ok(())
}

fn client_hello(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    random_and_session(d, r)?;
    let suites = d.length_prefixed(r, "Cipher Suites Length", CIPHER_SUITES)?;
    d.code_list::<CipherSuite>(suites, "Cipher Suites", "Cipher Suite", ("suite", "suites"))?;
    let methods = d.length_prefixed(r, "Compression Methods Length", COMPRESSION_METHODS)?;
    d.code_list::<CompressionMethod>(
        methods,
        "Compression Methods",
        "Compression Method",
        ("method", "methods"),
    )?;
    extensions(d, r, Direction::FromClient)
}

fn server_hello(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    random_and_session(d, r)?;
    d.code::<CipherSuite>(r, "Cipher Suite")?;
    d.code::<CompressionMethod>(r, "Compression Method")?;
    extensions(d, r, Direction::FromServer)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    FromClient,
    FromServer,
}

fn extensions(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    direction: Direction,
) -> Result<(), InvalidMessage> {
    if r.is_empty() {
        return Ok(());
    }
    let mut block = d.length_prefixed(r, "Extensions Length", EXTENSIONS)?;
    while !block.is_empty() {
        let start = block.position();
        let typ = ExtensionType::read(&mut block)?;
        let len = EXTENSION_DATA.read_length(&mut block)?;
        let name = match typ.name() {
            Some(name) => name.to_owned(),
            None => format!("Unknown type {}", typ.get()),
        };
        d.push(
            "Extension",
            format!("{name} (len={len})"),
            start,
            block.position() + len.min(block.remaining()),
        );
        d.nested(|d| {
            d.push("Type", typ, start, start + 2);
            d.push("Length", len, start + 2, start + 4);
            let mut body = block.sub(len, "extension_data")?;
            let walked = extension_body(d, &mut body, typ, direction)
                .and_then(|()| body.expect_empty("extension_data"));
            if let Err(e) = walked {
                d.malformed(&mut body, e);
            }
            Ok::<_, InvalidMessage>(())
        })?;
    }
    Ok(())
}

fn extension_body(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    typ: ExtensionType,
    direction: Direction,
) -> Result<(), InvalidMessage> {
    match (typ, direction) {
        (ExtensionType::ServerName, Direction::FromClient) => {
            let mut list = d.length_prefixed(r, "Server Name list length", SERVER_NAME_LIST)?;
            while !list.is_empty() {
                d.code::<ServerNameType>(&mut list, "Server Name Type")?;
                let mut name = d.length_prefixed(&mut list, "Server Name length", HOST_NAME)?;
                let start = name.position();
                let bytes = name.rest();
                d.push(
                    "Server Name",
                    String::from_utf8_lossy(bytes),
                    start,
                    name.position(),
                );
            }
        }
        (ExtensionType::SupportedGroups, _) => {
            let curves = d.length_prefixed(r, "Elliptic Curves Length", ELLIPTIC_CURVE_LIST)?;
            d.code_list::<NamedGroup>(
                curves,
                "Elliptic curves",
                "Elliptic curve",
                ("curve", "curves"),
            )?;
        }
        (ExtensionType::EcPointFormats, _) => {
            let formats = d.length_prefixed(r, "EC point formats Length", EC_POINT_FORMAT_LIST)?;
            let at = d.fields.len();
            d.code_list::<EcPointFormat>(
                formats,
                "Elliptic curves point formats",
                "EC point format",
                ("format", "formats"),
            )?;
            // Wireshark shows the bare count here: "Elliptic curves point formats (3)".
            let count = d.fields[at]
                .value
                .split(' ')
                .next()
                .unwrap_or("0")
                .to_owned();
            d.fields[at].value = count;
        }
        (ExtensionType::SignatureAlgorithms, _) => {
            let mut list = d.length_prefixed(
                r,
                "Signature Hash Algorithms Length",
                SUPPORTED_SIGNATURE_ALGORITHMS,
            )?;
            while !list.is_empty() {
                let start = list.position();
                let scheme = d.code::<SignatureScheme>(&mut list, "Signature Algorithm")?;
                signature_scheme_parts(d, scheme, start);
            }
        }
        (ExtensionType::RenegotiationInfo, _) => {
            let mut info = d.length_prefixed(
                r,
                "Renegotiation info extension length",
                RENEGOTIATED_CONNECTION,
            )?;
            if !info.is_empty() {
                let data = info.rest();
                d.bytes("Renegotiation info", data, info.position());
            }
        }
        (ExtensionType::ApplicationLayerProtocolNegotiation, _) => {
            let mut list = d.length_prefixed(r, "ALPN Extension Length", PROTOCOL_NAME_LIST)?;
            protocol_names(d, &mut list, "ALPN string length", "ALPN Next Protocol")?;
        }
        (ExtensionType::NextProtocolNegotiation, Direction::FromServer) => {
            protocol_names(d, r, "Next Protocol Length", "Next Protocol")?;
        }
        (ExtensionType::Heartbeat, _) if r.remaining() == 1 => {
            // RFC 6520 §2: HeartbeatMode, as Wireshark names it.
            let start = r.position();
            let mode = match r.u8("HeartbeatMode")? {
                1 => "Peer allowed to send requests (1)".to_owned(),
                2 => "Peer not allowed to send requests (2)".to_owned(),
                other => format!("Unknown ({other})"),
            };
            d.push("Mode", mode, start, r.position());
        }
        (ExtensionType::SessionTicket, Direction::FromClient) if !r.is_empty() => {
            let data = r.rest();
            d.bytes("Session Ticket", data, r.position());
        }
        _ => {
            if !r.is_empty() {
                let data = r.rest();
                d.bytes("Data", data, r.position());
            }
        }
    }
    Ok(())
}

fn protocol_names(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    length_name: &'static str,
    name: &'static str,
) -> Result<(), InvalidMessage> {
    while !r.is_empty() {
        let mut proto = d.length_prefixed(r, length_name, PROTOCOL_NAME)?;
        let start = proto.position();
        let bytes = proto.rest();
        d.push(
            name,
            String::from_utf8_lossy(bytes),
            start,
            proto.position(),
        );
    }
    Ok(())
}

fn certificate(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    let list = d.length_prefixed(r, "Certificates Length", CERTIFICATE_LIST)?;
    certificate_entries(d, list, |d, list| der_certificate(d, list, ASN1_CERT))
}

/// The `Certificates` of a certificate list, each entry walked by `entry`.
fn certificate_entries(
    d: &mut Dissector,
    mut list: Reader<'_>,
    mut entry: impl FnMut(&mut Dissector, &mut Reader<'_>) -> Result<(), InvalidMessage>,
) -> Result<(), InvalidMessage> {
    let start = list.position();
    d.push(
        "Certificates",
        format!("{} bytes", list.remaining()),
        start,
        start + list.remaining(),
    );
    d.nested(|d| {
        while !list.is_empty() {
            entry(d, &mut list)?;
        }
        Ok(())
    })
}

/// One DER certificate with its length: Wireshark shows it by its
/// subject, then its fields.
fn der_certificate(
    d: &mut Dissector,
    list: &mut Reader<'_>,
    bounds: VecBounds,
) -> Result<(), InvalidMessage> {
    let mut cert = d.length_prefixed(list, "Certificate Length", bounds)?;
    let start = cert.position();
    let der = cert.rest();
    let subject = match crate::cert::Certificate::parse(der) {
        Ok(parsed) => parsed.subject.to_wireshark_string(),
        Err(e) => format!("{} bytes of DER that do not parse: {e:?}", der.len()),
    };
    d.push("Certificate", subject, start, cert.position());
    for field in crate::cert::outline(der).unwrap_or_default() {
        let (from, to) = (start + field.range.start, start + field.range.end);
        d.push_below(field.depth + 1, field.name, field.value, from, to);
    }
    Ok(())
}

/// RFC 8446 §4.4.2: the TLS 1.3 Certificate, a request context and
/// entries of a certificate and its extensions.
/// RFC 8446 §4.4.2, §4.3.2: `opaque certificate_request_context<0..2^8-1>`.
fn certificate_request_context(
    d: &mut Dissector,
    r: &mut Reader<'_>,
) -> Result<(), InvalidMessage> {
    let mut context = d.length_prefixed(
        r,
        "Certificate Request Context Length",
        super::tls13::CERTIFICATE_REQUEST_CONTEXT,
    )?;
    if !context.is_empty() {
        let at = context.position();
        d.bytes("Certificate Request Context", context.rest(), at);
    }
    Ok(())
}

/// RFC 8446 §4.3.2: the context, then extensions (signature_algorithms,
/// certificate_authorities).
fn certificate_request13(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    certificate_request_context(d, r)?;
    extensions(d, r, Direction::FromServer)
}

fn certificate13(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    certificate_request_context(d, r)?;
    let list = d.length_prefixed(r, "Certificates Length", super::tls13::CERTIFICATE_ENTRIES)?;
    certificate_entries(d, list, |d, list| {
        der_certificate(d, list, super::tls13::CERT_DATA)?;
        let mut extensions = d.length_prefixed(list, "Extensions Length", EXTENSIONS)?;
        if !extensions.is_empty() {
            let at = extensions.position();
            d.bytes("Extensions", extensions.rest(), at);
        }
        Ok(())
    })
}

fn server_key_exchange(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    version: ProtocolVersion,
) -> Result<(), InvalidMessage> {
    if d.key_exchange == Some(KeyExchange::Dhe) {
        return dh_server_params(d, r, version);
    }
    let curve_type = r.clone().u8("curve type").map(EcCurveType::from);
    if curve_type != Ok(EcCurveType::NamedCurve) {
        let data = r.rest();
        d.bytes("Data", data, r.position());
        return Ok(());
    }
    let start = r.position();
    d.push(
        "EC Diffie-Hellman Server Params",
        "",
        start,
        start + r.remaining(),
    );
    d.nested(|d| {
        d.code::<EcCurveType>(r, "Curve Type")?;
        d.code::<NamedGroup>(r, "Named Curve")?;
        let mut point = d.length_prefixed(r, "Pubkey Length", EC_POINT)?;
        let public = point.rest();
        d.bytes("Pubkey", public, point.position());
        digitally_signed(d, r, version)
    })
}

/// RFC 5246 §7.4.3: `ServerDHParams` (p, g, Ys), then their signature,
/// with Wireshark's names.
fn dh_server_params(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    version: ProtocolVersion,
) -> Result<(), InvalidMessage> {
    let start = r.position();
    d.push(
        "Diffie-Hellman Server Params",
        "",
        start,
        start + r.remaining(),
    );
    d.nested(|d| {
        for (length_name, name) in [
            ("p Length", "p"),
            ("g Length", "g"),
            ("Pubkey Length", "Pubkey"),
        ] {
            let mut value = d.length_prefixed(r, length_name, DH_VALUE)?;
            let bytes = value.rest();
            d.bytes(name, bytes, value.position());
        }
        digitally_signed(d, r, version)
    })
}

/// The hash and signature bytes of a `SignatureAndHashAlgorithm` at
/// `start` (RFC 5246 §7.4.1.4.1), below it.
fn signature_scheme_parts(d: &mut Dissector, scheme: SignatureScheme, start: usize) {
    d.nested(|d| {
        d.push(
            "Signature Hash Algorithm Hash",
            scheme.hash(),
            start,
            start + 1,
        );
        d.push(
            "Signature Hash Algorithm Signature",
            scheme.signature(),
            start + 1,
            start + 2,
        );
    });
}

/// RFC 5246 §4.7: a `digitally-signed` element, its algorithm named only
/// from TLS 1.2.
fn digitally_signed(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    version: ProtocolVersion,
) -> Result<(), InvalidMessage> {
    if version.get() >= ProtocolVersion::Tls12.get() {
        let start = r.position();
        let scheme = d.code::<SignatureScheme>(r, "Signature Algorithm")?;
        signature_scheme_parts(d, scheme, start);
    }
    let mut signature = d.length_prefixed(r, "Signature Length", SIGNATURE)?;
    let bytes = signature.rest();
    d.bytes("Signature", bytes, signature.position());
    Ok(())
}

fn certificate_request(
    d: &mut Dissector,
    r: &mut Reader<'_>,
    version: ProtocolVersion,
) -> Result<(), InvalidMessage> {
    let types = d.length_prefixed(r, "Certificate types count", CERTIFICATE_TYPES)?;
    d.code_list::<ClientCertificateType>(
        types,
        "Certificate types",
        "Certificate type",
        ("type", "types"),
    )?;
    // RFC 5246 §7.4.4: only TLS 1.2 lists the signature algorithms.
    if version.get() >= ProtocolVersion::Tls12.get() {
        let schemes = d.length_prefixed(
            r,
            "Signature Hash Algorithms Length",
            SUPPORTED_SIGNATURE_ALGORITHMS,
        )?;
        d.code_list::<SignatureScheme>(
            schemes,
            "Signature Hash Algorithms",
            "Signature Algorithm",
            ("algorithm", "algorithms"),
        )?;
    }
    let mut names = d.length_prefixed(r, "Distinguished Names Length", CERTIFICATE_AUTHORITIES)?;
    let start = names.position();
    d.push(
        "Distinguished Names",
        format!("{} bytes", names.remaining()),
        start,
        start + names.remaining(),
    );
    d.nested(|d| {
        while !names.is_empty() {
            let mut name =
                d.length_prefixed(&mut names, "Distinguished Name Length", DISTINGUISHED_NAME)?;
            let start = name.position();
            let der = name.rest();
            let shown = match crate::cert::x509::DistinguishedName::from_der(der) {
                Ok(parsed) => parsed.to_wireshark_string(),
                Err(e) => format!("{} bytes of DER that do not parse: {e:?}", der.len()),
            };
            d.push("Distinguished Name", shown, start, name.position());
        }
        Ok(())
    })
}

fn client_key_exchange(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    // RFC 5246 §7.4.7.2: `dh_Yc<1..2^16-1>`, which only the negotiated
    // suite tells from an RSA-encrypted premaster secret.
    if d.key_exchange == Some(KeyExchange::Dhe) {
        let start = r.position();
        d.push(
            "Diffie-Hellman Client Params",
            "",
            start,
            start + r.remaining(),
        );
        return d.nested(|d| {
            let mut value = d.length_prefixed(r, "Pubkey Length", DH_VALUE)?;
            let public = value.rest();
            d.bytes("Pubkey", public, value.position());
            Ok(())
        });
    }
    // An ECDH point fills the body after its one-byte length, an RSA
    // encrypted premaster secret after its two-byte one (RFC 5246
    // §7.4.7.1); anything else is shown as bytes.
    let looks_ecdh =
        r.remaining() > 1 && r.clone().u8("point length").map(usize::from) == Ok(r.remaining() - 1);
    let looks_rsa = r.remaining() > 2
        && r.clone()
            .u16("EncryptedPreMasterSecret length")
            .map(usize::from)
            == Ok(r.remaining() - 2);
    if looks_rsa && !looks_ecdh {
        let start = r.position();
        d.push(
            "RSA Encrypted PreMaster Secret",
            "",
            start,
            start + r.remaining(),
        );
        return d.nested(|d| {
            let mut secret =
                d.length_prefixed(r, "Encrypted PreMaster length", ENCRYPTED_PRE_MASTER_SECRET)?;
            let ciphertext = secret.rest();
            d.bytes("Encrypted PreMaster", ciphertext, secret.position());
            Ok(())
        });
    }
    if !looks_ecdh {
        let data = r.rest();
        d.bytes("Data", data, r.position());
        return Ok(());
    }
    let start = r.position();
    d.push(
        "EC Diffie-Hellman Client Params",
        "",
        start,
        start + r.remaining(),
    );
    d.nested(|d| {
        let mut point = d.length_prefixed(r, "Pubkey Length", EC_POINT)?;
        let public = point.rest();
        d.bytes("Pubkey", public, point.position());
        Ok(())
    })
}

/// NPN (draft-agl-tls-nextprotoneg-04 §3): `opaque selected_protocol<0..255>;
/// opaque padding<0..255>;`, the padding hiding the name's length.
fn next_protocol(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    for (length_name, name) in [
        ("Selected Protocol Length", "Selected Protocol"),
        ("Padding Length", "Padding"),
    ] {
        let start = r.position();
        let len = usize::from(r.u8(length_name)?);
        d.push(length_name, len, start, r.position());
        let bytes = r.take(len, name)?;
        let value = if name == "Padding" {
            hex_value(bytes)
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        };
        d.push(name, value, r.position() - len, r.position());
    }
    Ok(())
}

fn new_session_ticket(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    let start = r.position();
    let hint = r.u32("ticket_lifetime_hint")?;
    d.push(
        "Session Ticket Lifetime Hint",
        format!("{hint} seconds"),
        start,
        r.position(),
    );
    let mut ticket = d.length_prefixed(r, "Session Ticket Length", TICKET)?;
    let bytes = ticket.rest();
    d.bytes("Session Ticket", bytes, ticket.position());
    Ok(())
}

/// RFC 8446 §4.6.1: lifetime, age_add, nonce, ticket and extensions.
fn new_session_ticket13(d: &mut Dissector, r: &mut Reader<'_>) -> Result<(), InvalidMessage> {
    let start = r.position();
    let lifetime = r.u32("ticket_lifetime")?;
    d.push(
        "Session Ticket Lifetime Hint",
        format!("{lifetime} seconds"),
        start,
        r.position(),
    );
    let start = r.position();
    let age_add = r.u32("ticket_age_add")?;
    d.push("Session Ticket Age Add", age_add, start, r.position());
    let mut nonce =
        d.length_prefixed(r, "Session Ticket Nonce Length", super::tls13::TICKET_NONCE)?;
    let bytes = nonce.rest();
    d.bytes("Session Ticket Nonce", bytes, nonce.position());
    let mut ticket = d.length_prefixed(r, "Session Ticket Length", super::tls13::TICKET_13)?;
    let bytes = ticket.rest();
    d.bytes("Session Ticket", bytes, ticket.position());
    extensions(d, r, Direction::FromServer)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::msgs::{
        Alert, Certificate, CertificateRequest, DigitallySigned, EcdheServerKeyExchange,
        HandshakeMessage, Random, ServerEcdhParams, strategies,
    };
    use crate::record::{Record, fragment};

    fn value<'a>(fields: &'a [Field], name: &str) -> Option<&'a str> {
        fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }

    fn handshake_record(version: ProtocolVersion, message: &HandshakeMessage) -> Vec<u8> {
        Record {
            typ: ContentType::Handshake,
            version,
            fragment: message.to_bytes(),
        }
        .to_bytes()
    }

    #[test]
    fn tls11_server_key_exchange_shows_curve_and_pubkey() {
        let ske = EcdheServerKeyExchange {
            params: ServerEcdhParams {
                curve_type: EcCurveType::NamedCurve,
                named_curve: NamedGroup::Secp256r1,
                public: vec![4; 65],
            },
            signed: DigitallySigned {
                algorithm: None,
                signature: vec![1; 128],
            },
        };
        let bytes = handshake_record(
            ProtocolVersion::Tls11,
            &HandshakeMessage::ServerKeyExchange(ske.to_bytes()),
        );
        let fields = dissect_record(&bytes, None);
        assert_eq!(
            value(&fields, "TLSv1.1 Record Layer"),
            Some("Handshake Protocol: Server Key Exchange")
        );
        assert_eq!(value(&fields, "Version"), Some("TLS 1.1 (0x0302)"));
        assert_eq!(
            value(&fields, "Handshake Type"),
            Some("Server Key Exchange (12)")
        );
        assert_eq!(value(&fields, "Curve Type"), Some("named_curve (0x03)"));
        assert_eq!(value(&fields, "Named Curve"), Some("secp256r1 (0x0017)"));
        assert_eq!(value(&fields, "Pubkey Length"), Some("65"));
        assert_eq!(value(&fields, "Signature Length"), Some("128"));
        assert_eq!(value(&fields, "Signature Algorithm"), None);
        let curve = fields.iter().find(|f| f.name == "Named Curve").unwrap();
        // header 5 + handshake header 4 + curve type 1
        assert_eq!(curve.span, Some([10, 12]));
        assert!(fields.iter().all(|f| f.name != "Malformed"));
    }

    #[test]
    fn certificate_request_shows_types_algorithms_and_authorities() {
        let name = crate::cert::x509::DistinguishedName::simple("Test CA", None, Some("US"));
        let request = CertificateRequest {
            certificate_types: vec![
                ClientCertificateType::RsaSign,
                ClientCertificateType::EcdsaSign,
            ],
            signature_algorithms: Some(vec![SignatureScheme::EcdsaSecp256r1Sha256]),
            certificate_authorities: vec![name.to_der()],
        };
        let message = HandshakeMessage::Unknown {
            typ: HandshakeType::CertificateRequest,
            body: request.to_bytes(),
        };
        let fields = dissect_record(
            &handshake_record(ProtocolVersion::Tls12, &message),
            Some(ProtocolVersion::Tls12),
        );
        assert_eq!(
            value(&fields, "Handshake Protocol"),
            Some("Certificate Request")
        );
        assert_eq!(value(&fields, "Certificate types"), Some("2 types"));
        assert_eq!(value(&fields, "Certificate type"), Some("RSA Sign (1)"));
        assert_eq!(
            value(&fields, "Signature Hash Algorithms"),
            Some("1 algorithm")
        );
        assert_eq!(
            value(&fields, "Distinguished Name"),
            Some(name.to_wireshark_string().as_str())
        );
        assert!(value(&fields, "Malformed").is_none());
        // Before TLS 1.2 there are no signature algorithms to show.
        let tls11 = CertificateRequest {
            signature_algorithms: None,
            ..request
        };
        let message = HandshakeMessage::Unknown {
            typ: HandshakeType::CertificateRequest,
            body: tls11.to_bytes(),
        };
        let fields = dissect_record(
            &handshake_record(ProtocolVersion::Tls11, &message),
            Some(ProtocolVersion::Tls11),
        );
        assert!(value(&fields, "Signature Hash Algorithms").is_none());
        assert!(value(&fields, "Malformed").is_none());
    }

    #[test]
    fn certificate_lengths_are_shown_per_entry() {
        let msg = HandshakeMessage::Certificate(Certificate {
            chain: vec![vec![0x30; 1146], vec![0x30; 1032], vec![0x30; 897]],
        });
        let fields = dissect_record(&handshake_record(ProtocolVersion::Tls11, &msg), None);
        let lengths: Vec<&str> = fields
            .iter()
            .filter(|f| f.name == "Certificate Length")
            .map(|f| f.value.as_str())
            .collect();
        assert_eq!(lengths, ["1146", "1032", "897"]);
    }

    #[test]
    fn several_records_in_one_segment_are_each_dissected() {
        let mut bytes =
            handshake_record(ProtocolVersion::Tls11, &HandshakeMessage::ServerHelloDone);
        bytes.extend(
            Record {
                typ: ContentType::Alert,
                version: ProtocolVersion::Tls11,
                fragment: Alert::close_notify().to_bytes(),
            }
            .to_bytes(),
        );
        let fields = dissect_records(&bytes, None);
        assert_eq!(
            value(&fields, "Handshake Type"),
            Some("Server Hello Done (14)")
        );
        assert_eq!(value(&fields, "Description"), Some("Close Notify (0)"));
        let alert = fields.iter().find(|f| f.name == "Description").unwrap();
        assert_eq!(alert.span, Some([9 + 5 + 1, 9 + 5 + 2]));
    }

    #[test]
    fn truncated_record_shows_what_parsed_then_malformed() {
        let msg = HandshakeMessage::ServerHelloDone;
        let bytes = handshake_record(ProtocolVersion::Tls10, &msg);
        let fields = dissect_record(&bytes[..7], None);
        assert_eq!(value(&fields, "Content Type"), Some("Handshake (22)"));
        assert_eq!(fields.last().unwrap().name, "Malformed");
    }

    /// A Finished record protected under `suite` at `version`, dissected.
    fn protected_finished(suite: u16, version: ProtocolVersion) -> (Vec<u8>, Vec<Field>) {
        use crate::crypto::cipher::{RecordEncrypter, Side};
        use crate::crypto::prf::key_block;
        use crate::crypto::suites::suite_by_value;
        let params = suite_by_value(suite).unwrap();
        let v = version.get();
        let block = key_block(
            params.prf(v),
            &[0x42; 48],
            &[1; 32],
            &[2; 32],
            params.key_block_layout(v),
        );
        let mut sealer = RecordEncrypter::from_key_block(params, v, &block, Side::Client).unwrap();
        let plaintext = HandshakeMessage::Finished(crate::msgs::Finished {
            verify_data: [7; 12],
        })
        .to_bytes();
        let mut rng = tlsim_sim::RngStream::new(1, "records");
        let mut record = vec![22, 3, version.get() as u8, 0, 0];
        sealer.encrypt_into(22, v, &plaintext, &mut rng, &mut record);
        let len = (record.len() - HEADER_LEN) as u16;
        record[3..5].copy_from_slice(&len.to_be_bytes());
        let opened = Opened {
            typ: ContentType::Handshake,
            plaintext: &plaintext,
            trace: sealer.last_record(),
        };
        let fields = dissect_protected_record(&record, opened, "Finished".into(), Some(version));
        (record, fields)
    }

    fn span_of(fields: &[Field], name: &str) -> Option<[u32; 2]> {
        fields.iter().find(|f| f.name == name).and_then(|f| f.span)
    }

    #[test]
    fn a_cbc_record_opens_into_iv_content_mac_and_padding() {
        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 16 bytes of Finished, a
        // 20-byte MAC, 11 bytes of padding and its length make 48.
        let (record, fields) = protected_finished(0xc013, ProtocolVersion::Tls11);
        assert_eq!(record.len(), 5 + 16 + 48);
        assert_eq!(span_of(&fields, "IV"), Some([5, 21]));
        assert_eq!(span_of(&fields, "Encrypted Data"), Some([21, 69]));
        assert_eq!(span_of(&fields, "Decrypted"), Some([21, 37]));
        assert_eq!(value(&fields, "Handshake Type"), Some("Finished (20)"));
        assert_eq!(span_of(&fields, "Verify Data"), Some([25, 37]));
        assert_eq!(span_of(&fields, "MAC"), Some([37, 57]));
        assert_eq!(value(&fields, "Padding"), Some("11 bytes, each 11"));
        assert_eq!(span_of(&fields, "Padding Length"), Some([68, 69]));
        assert!(value(&fields, "Authentication Tag").is_none());
    }

    #[test]
    fn a_gcm_record_opens_into_explicit_nonce_ciphertext_and_tag() {
        let (record, fields) = protected_finished(0xc02b, ProtocolVersion::Tls12);
        assert_eq!(record.len(), 5 + 8 + 16 + 16);
        assert_eq!(span_of(&fields, "Explicit Nonce"), Some([5, 13]));
        assert_eq!(span_of(&fields, "Encrypted Data"), Some([13, 29]));
        assert_eq!(span_of(&fields, "Verify Data"), Some([17, 29]));
        assert_eq!(span_of(&fields, "Authentication Tag"), Some([29, 45]));
        assert!(value(&fields, "MAC").is_none());
    }

    #[test]
    fn a_tls13_record_opens_into_content_inner_type_padding_and_tag() {
        use crate::crypto::cipher::tls13::Tls13Encrypter;
        use crate::crypto::key_schedule::TrafficKeys;
        use crate::crypto::suites::BulkCipher;
        let keys = TrafficKeys {
            key: vec![7; 16],
            iv: [9; 12],
        };
        let mut sealer = Tls13Encrypter::new(BulkCipher::Aes128Gcm, &keys).unwrap();
        let plaintext = HandshakeMessage::Finished(crate::msgs::Finished {
            verify_data: [7; 12],
        })
        .to_bytes();
        let fragment = sealer.encrypt(ContentType::Handshake, &plaintext, 3);
        let mut record = vec![23, 3, 3];
        record.extend((fragment.len() as u16).to_be_bytes());
        record.extend(fragment);
        let opened = Opened {
            typ: ContentType::Handshake,
            plaintext: &plaintext,
            trace: sealer.last_record(),
        };
        let fields = dissect_protected_record(
            &record,
            opened,
            "Finished".into(),
            Some(ProtocolVersion::Tls13),
        );
        // RFC 8446 §5.2: 16 bytes of Finished, its type, 3 zeros, the tag.
        assert_eq!(record.len(), 5 + 16 + 1 + 3 + 16);
        assert!(value(&fields, "Explicit Nonce").is_none());
        assert_eq!(span_of(&fields, "Nonce"), None);
        assert_eq!(span_of(&fields, "Encrypted Data"), Some([5, 25]));
        assert_eq!(span_of(&fields, "Decrypted"), Some([5, 21]));
        assert_eq!(span_of(&fields, "Verify Data"), Some([9, 21]));
        let inner_type = fields
            .iter()
            .find(|f| f.name == "Inner Content Type")
            .unwrap();
        assert_eq!(inner_type.value, "Handshake (22)");
        assert_eq!(inner_type.span, Some([21, 22]));
        assert_eq!(span_of(&fields, "Padding"), Some([22, 25]));
        assert_eq!(span_of(&fields, "Authentication Tag"), Some([25, 41]));
    }

    /// A Server Hello record (legacy version 0x0303) with `random`,
    /// selecting `selected` in supported_versions.
    fn server_hello_record(random: Random, selected: ProtocolVersion) -> Vec<u8> {
        use crate::msgs::tls13::Tls13Extension;
        let hello = ServerHello {
            server_version: ProtocolVersion::Tls12,
            random,
            session_id: crate::msgs::SessionId::empty(),
            cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            compression_method: CompressionMethod::Null,
            extensions: vec![ServerSupportedVersion(selected).to_server_extension()],
        };
        handshake_record(
            ProtocolVersion::Tls12,
            &HandshakeMessage::ServerHello(hello),
        )
    }

    #[test]
    fn a_tls13_record_is_labelled_by_the_version_its_hello_selects() {
        let record = server_hello_record(Random([5; 32]), ProtocolVersion::Tls13);
        let fields = dissect_record(&record, None);
        assert_eq!(fields[0].name, "TLSv1.3 Record Layer");
        assert_eq!(fields[0].value, "Handshake Protocol: Server Hello");
        // The legacy version stays in the Version field.
        assert_eq!(value(&fields, "Version"), Some("TLS 1.2 (0x0303)"));
        let tls12 = server_hello_record(Random([5; 32]), ProtocolVersion::Tls12);
        assert_eq!(dissect_record(&tls12, None)[0].name, "TLSv1.2 Record Layer");
    }

    #[test]
    fn a_record_after_tls13_is_negotiated_is_labelled_tls13() {
        let record = Record {
            typ: ContentType::ChangeCipherSpec,
            version: ProtocolVersion::Tls12,
            fragment: vec![1],
        }
        .to_bytes();
        let labels = |hint| dissect_record(&record, hint)[0].name.clone();
        assert_eq!(labels(Some(ProtocolVersion::Tls13)), "TLSv1.3 Record Layer");
        assert_eq!(labels(Some(ProtocolVersion::Tls12)), "TLSv1.2 Record Layer");
        assert_eq!(labels(None), "TLSv1.2 Record Layer");
    }

    #[test]
    fn a_hello_retry_request_is_named_as_wireshark_names_it() {
        let record = server_hello_record(HELLO_RETRY_REQUEST_RANDOM, ProtocolVersion::Tls13);
        let fields = dissect_record(&record, None);
        assert_eq!(fields[0].value, "Handshake Protocol: Hello Retry Request");
        assert_eq!(
            value(&fields, "Handshake Protocol"),
            Some("Hello Retry Request")
        );
        assert_eq!(value(&fields, "Handshake Type"), Some("Server Hello (2)"));
        assert!(is_hello_retry_request(&record[HEADER_LEN..]));
        let hello = server_hello_record(Random([5; 32]), ProtocolVersion::Tls13);
        assert!(!is_hello_retry_request(&hello[HEADER_LEN..]));
        // Cut short before the end of the random, it is no HelloRetryRequest.
        assert!(!is_hello_retry_request(
            &record[HEADER_LEN..HEADER_LEN + 37]
        ));
    }

    #[test]
    fn heartbeat_extension_shows_its_mode() {
        let mut d = Dissector::new(0);
        let mut r = Reader::new(&[1]);
        extension_body(
            &mut d,
            &mut r,
            ExtensionType::Heartbeat,
            Direction::FromClient,
        )
        .unwrap();
        let fields = d.into_fields();
        assert_eq!(
            value(&fields, "Mode"),
            Some("Peer allowed to send requests (1)")
        );
        assert_eq!(fields[0].span, Some([0, 1]));
    }

    proptest! {
        #[test]
        fn dissecting_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = dissect_record(&bytes, None);
            let _ = dissect_records(&bytes, Some(ProtocolVersion::Tls12));
            let _ = dissect_handshake(&bytes, None);
        }

        #[test]
        fn well_formed_messages_dissect_without_malformed_fields(msg in strategies::handshake_message()) {
            let payload = msg.to_bytes();
            for record in fragment(ContentType::Handshake, ProtocolVersion::Tls10, &payload) {
                let bytes = record.to_bytes();
                let fields = dissect_record(&bytes, None);
                // Key exchange and Next Protocol bodies are free-form in the strategy; everything
                // else must dissect cleanly.
                let free_form = matches!(msg, HandshakeMessage::ServerKeyExchange(_) | HandshakeMessage::ClientKeyExchange(_))
                    || msg.typ() == HandshakeType::NextProtocol;
                if !free_form {
                    prop_assert!(fields.iter().all(|f| f.name != "Malformed"), "{:?}", fields);
                }
                for f in &fields {
                    let [start, end] = f.span.unwrap();
                    prop_assert!(start <= end && end as usize <= bytes.len(), "{:?}", f);
                }
            }
        }

        #[test]
        fn dissecting_mutated_records_never_panics(
            msg in strategies::handshake_message(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = handshake_record(ProtocolVersion::Tls12, &msg);
            let i = at.index(bytes.len());
            bytes[i] = byte;
            let fields = dissect_record(&bytes, None);
            for f in &fields {
                let [start, end] = f.span.unwrap();
                prop_assert!(start <= end && end as usize <= bytes.len(), "{:?}", f);
            }
        }
    }
}
