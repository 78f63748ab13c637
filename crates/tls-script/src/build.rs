//! Byte-level construction of what a conversation sends: hellos whose every
//! field and length may be overridden, handshake headers, extensions, and
//! the [`Mutation`]s applied to bytes.
//!
//! Read first: RFC 5246 §7.4 (handshake header), §7.4.1.2 and §7.4.1.3
//! (hello layouts), §7.4.1.4 (extensions).

use tlsim_tls::codec::put_u24;
use tlsim_tls::enums::ContentType;
use tlsim_tls::msgs::{HANDSHAKE_HEADER_LEN, HelloExtension};

use crate::language::{ExtensionEdits, Lengths, Mutation, RawExtension};

/// An extension as it goes on the wire: type, body, and the length written
/// for the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WireExtension {
    pub(crate) typ: u16,
    pub(crate) data: Vec<u8>,
    pub(crate) length: Option<u16>,
}

impl WireExtension {
    /// The bytes of a typed extension of either hello.
    pub(crate) fn from_typed(ext: &impl HelloExtension) -> Self {
        let mut data = Vec::new();
        ext.encode_body(&mut data);
        WireExtension {
            typ: ext.ext_type().get(),
            data,
            length: None,
        }
    }

    pub(crate) fn from_raw(raw: &RawExtension) -> Self {
        WireExtension {
            typ: raw.typ,
            data: raw.data.0.clone(),
            length: raw.length,
        }
    }
}

/// `base` after `edits`: `None` when the block is left out.
pub(crate) fn edit_extensions(
    mut base: Vec<WireExtension>,
    edits: &ExtensionEdits,
) -> Option<Vec<WireExtension>> {
    if edits.none {
        return None;
    }
    base.retain(|e| !edits.remove.contains(&e.typ));
    base.extend(edits.add.iter().map(WireExtension::from_raw));
    // A stable sort keeps the rest in their order after the listed types.
    base.sort_by_key(|e| {
        edits
            .order
            .iter()
            .position(|&t| t == e.typ)
            .unwrap_or(usize::MAX)
    });
    Some(base)
}

/// The fields of either hello, as bytes to write.
pub(crate) struct HelloFields<'a> {
    pub(crate) version: u16,
    pub(crate) random: &'a [u8],
    pub(crate) session_id: &'a [u8],
    pub(crate) extensions: Option<&'a [WireExtension]>,
    pub(crate) lengths: &'a Lengths,
}

/// A length field's value: the override, or the real length cut to the
/// field's width (a script may send more than a field can count).
fn length<T: TryFrom<usize> + Copy>(given: Option<T>, real: usize, max: T) -> T {
    given.unwrap_or_else(|| T::try_from(real).unwrap_or(max))
}

impl HelloFields<'_> {
    fn put_start(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(self.random);
        out.push(length(
            self.lengths.session_id,
            self.session_id.len(),
            u8::MAX,
        ));
        out.extend_from_slice(self.session_id);
    }

    fn put_extensions(&self, out: &mut Vec<u8>) {
        if let Some(extensions) = self.extensions {
            put_extension_block(extensions, self.lengths.extensions, out);
        }
    }

    /// RFC 5246 §7.4.1.2: a Client Hello body.
    pub(crate) fn client_hello(&self, suites: &[u16], compression: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.put_start(&mut out);
        let len = length(self.lengths.cipher_suites, suites.len() * 2, u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        for s in suites {
            out.extend_from_slice(&s.to_be_bytes());
        }
        out.push(length(
            self.lengths.compression_methods,
            compression.len(),
            u8::MAX,
        ));
        out.extend_from_slice(compression);
        self.put_extensions(&mut out);
        out
    }

    /// RFC 5246 §7.4.1.3: a Server Hello body.
    pub(crate) fn server_hello(&self, suite: u16, compression: u8) -> Vec<u8> {
        let mut out = Vec::new();
        self.put_start(&mut out);
        out.extend_from_slice(&suite.to_be_bytes());
        out.push(compression);
        self.put_extensions(&mut out);
        out
    }
}

/// RFC 5246 §7.4.1.4: an extensions block, its length as given or as
/// computed.
pub(crate) fn put_extension_block(
    extensions: &[WireExtension],
    given_len: Option<u16>,
    out: &mut Vec<u8>,
) {
    let mut block = Vec::new();
    for e in extensions {
        block.extend_from_slice(&e.typ.to_be_bytes());
        let len = length(e.length, e.data.len(), u16::MAX);
        block.extend_from_slice(&len.to_be_bytes());
        block.extend_from_slice(&e.data);
    }
    let len = length(given_len, block.len(), u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&block);
}

/// RFC 5246 §7.4: a handshake message, its header's length as given or as
/// computed (cut to 24 bits).
pub(crate) fn handshake(typ: u8, body: &[u8], given_len: Option<u32>) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + body.len());
    out.push(typ);
    let len = given_len.map_or(body.len(), |n| n as usize);
    put_u24(&mut out, len.min(0xff_ffff));
    out.extend_from_slice(body);
    out
}

/// The index `at` names in `len` bytes, counting from the end when negative.
fn position(at: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let index = if at < 0 { len + at } else { at };
    (0..len).contains(&index).then_some(index as usize)
}

/// Applies `mutations` to `bytes`, in order.
pub(crate) fn mutate(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        match m {
            Mutation::Xor { at, mask } => {
                if let Some(start) = position(*at, bytes.len()) {
                    for (b, m) in bytes[start..].iter_mut().zip(&mask.0) {
                        *b ^= m;
                    }
                }
            }
            Mutation::Set { at, bytes: new } => {
                if let Some(start) = position(*at, bytes.len()) {
                    for (b, n) in bytes[start..].iter_mut().zip(&new.0) {
                        *b = *n;
                    }
                }
            }
            Mutation::Truncate(len) => bytes.truncate(*len),
            Mutation::Append(extra) => bytes.extend_from_slice(&extra.0),
        }
    }
}

/// Applies `mutations` to a message's body: for a handshake message, the
/// bytes after its header, whose length is then rewritten to match (RFC
/// 5246 §7.4); for any other, the whole payload.
pub(crate) fn mutate_body(typ: ContentType, bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    if typ != ContentType::Handshake || bytes.len() < HANDSHAKE_HEADER_LEN {
        return mutate(bytes, mutations);
    }
    let mut body = bytes.split_off(HANDSHAKE_HEADER_LEN);
    mutate(&mut body, mutations);
    let typ = bytes[0];
    *bytes = handshake(typ, &body, None);
}

#[cfg(test)]
mod tests {
    use tlsim_tls::codec::Codec;
    use tlsim_tls::msgs::{ClientHello, HandshakeMessage};

    use super::*;
    use crate::language::Hex;

    fn ext(typ: u16) -> WireExtension {
        WireExtension {
            typ,
            data: vec![typ as u8],
            length: None,
        }
    }

    #[test]
    fn a_client_hello_without_overrides_parses_back() {
        let extensions = [ext(0x1234)];
        let fields = HelloFields {
            version: 0x0303,
            random: &[7; 32],
            session_id: &[1, 2],
            extensions: Some(&extensions),
            lengths: &Lengths::default(),
        };
        let bytes = handshake(1, &fields.client_hello(&[0xc02f, 0x00ff], &[0]), None);
        let HandshakeMessage::ClientHello(hello) = HandshakeMessage::from_bytes(&bytes).unwrap()
        else {
            panic!("not a Client Hello");
        };
        assert_eq!(hello.random.0, [7; 32]);
        assert_eq!(hello.session_id.as_bytes(), [1, 2]);
        assert_eq!(hello.cipher_suites.len(), 2);
        assert_eq!(hello.extensions.len(), 1);
        assert!(ClientHello::from_bytes(&bytes[4..]).is_ok());
    }

    #[test]
    fn given_lengths_replace_the_computed_ones() {
        let lengths = Lengths {
            message: Some(3),
            session_id: Some(9),
            cipher_suites: Some(1),
            compression_methods: Some(0),
            extensions: None,
        };
        let fields = HelloFields {
            version: 0x0301,
            random: &[0; 32],
            session_id: &[],
            extensions: None,
            lengths: &lengths,
        };
        let bytes = handshake(1, &fields.client_hello(&[0xc013], &[0]), lengths.message);
        assert_eq!(&bytes[..4], [1, 0, 0, 3]);
        assert_eq!(bytes[4 + 34], 9);
        assert_eq!(&bytes[4 + 35..4 + 37], [0, 1]);
        assert_eq!(bytes[4 + 39], 0);
        assert_eq!(bytes.len(), 4 + 41, "no extensions block");
    }

    #[test]
    fn extension_edits_remove_add_then_order() {
        let edits = ExtensionEdits {
            none: false,
            remove: vec![2],
            add: vec![RawExtension {
                typ: 9,
                data: Hex(vec![]),
                length: Some(4),
            }],
            order: vec![9, 3],
        };
        let edited = edit_extensions(vec![ext(1), ext(2), ext(3)], &edits).unwrap();
        let types: Vec<u16> = edited.iter().map(|e| e.typ).collect();
        assert_eq!(types, [9, 3, 1]);
        assert_eq!(edited[0].length, Some(4));
        let none = ExtensionEdits {
            none: true,
            ..ExtensionEdits::default()
        };
        assert_eq!(edit_extensions(vec![ext(1)], &none), None);
    }

    #[test]
    fn mutations_count_negative_positions_from_the_end() {
        let mut bytes = vec![0u8; 6];
        mutate(
            &mut bytes,
            &[
                Mutation::Xor {
                    at: -2,
                    mask: Hex(vec![0xff, 0xff, 0xff]),
                },
                Mutation::Set {
                    at: 0,
                    bytes: Hex(vec![5]),
                },
                Mutation::Xor {
                    at: 6,
                    mask: Hex(vec![1]),
                },
                Mutation::Append(Hex(vec![9])),
                Mutation::Truncate(6),
            ],
        );
        assert_eq!(bytes, [5, 0, 0, 0, 0xff, 0xff]);
    }

    #[test]
    fn body_changes_keep_a_handshake_length_that_matches() {
        let mut padded = handshake(16, &[1, 2], None);
        mutate_body(
            ContentType::Handshake,
            &mut padded,
            &[Mutation::Append(Hex(vec![9]))],
        );
        assert_eq!(padded, [16, 0, 0, 3, 1, 2, 9]);
        let mut cut = handshake(20, &[1, 2, 3], None);
        mutate_body(ContentType::Handshake, &mut cut, &[Mutation::Truncate(1)]);
        assert_eq!(cut, [20, 0, 0, 1, 1]);
    }

    #[test]
    fn body_changes_to_other_messages_change_the_whole_payload() {
        let mut payload = vec![1];
        mutate_body(
            ContentType::ChangeCipherSpec,
            &mut payload,
            &[Mutation::Append(Hex(vec![1]))],
        );
        assert_eq!(payload, [1, 1]);
    }
}
