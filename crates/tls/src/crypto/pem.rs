//! PEM armour (RFC 7468): `-----BEGIN label-----`, base64, `-----END label-----`.
//!
//! A small strict decoder: it is only fed key and certificate files that
//! ship with the scenarios, so it accepts exactly RFC 7468's textual
//! encoding (with any whitespace between base64 characters) and nothing
//! looser.

use super::CryptoError;

/// One PEM block: its label (`PRIVATE KEY`, `CERTIFICATE`…) and DER bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `BEGIN ` and the closing dashes.
    pub label: String,
    /// The decoded contents.
    pub der: Vec<u8>,
}

/// Every PEM block of `text`, in order. Text outside blocks is ignored
/// (RFC 7468 §2 allows explanatory text).
pub fn decode_all(text: &str) -> Result<Vec<PemBlock>, CryptoError> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        loop {
            match lines.next() {
                Some(l) if l == end => break,
                Some(l) => body.push_str(l),
                None => return Err(CryptoError::BadKeyEncoding("PEM block without END line")),
            }
        }
        blocks.push(PemBlock {
            label: label.to_owned(),
            der: base64_decode(&body)?,
        });
    }
    Ok(blocks)
}

/// The first PEM block of `text`.
pub fn decode_first(text: &str) -> Result<PemBlock, CryptoError> {
    decode_all(text)?
        .into_iter()
        .next()
        .ok_or(CryptoError::BadKeyEncoding("no PEM block"))
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Standard base64 (RFC 4648 §4) with `=` padding; whitespace is skipped.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, CryptoError> {
    const BAD: CryptoError = CryptoError::BadKeyEncoding("invalid base64");
    let chars: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    if chars.len() % 4 != 0 {
        return Err(BAD);
    }
    let mut out = Vec::with_capacity(chars.len() / 4 * 3);
    let quads = chars.len() / 4;
    for (i, quad) in chars.chunks(4).enumerate() {
        let last = i + 1 == quads;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(BAD);
        }
        let mut acc = 0u32;
        for &c in &quad[..4 - pad] {
            acc = acc << 6 | u32::from(sextet(c).ok_or(BAD)?);
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Ok(out)
}

/// Standard base64 with padding and 64-character lines, as PEM writes it.
pub fn encode(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = Vec::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let mut n = [0u8; 3];
        n[..chunk.len()].copy_from_slice(chunk);
        let acc = u32::from(n[0]) << 16 | u32::from(n[1]) << 8 | u32::from(n[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[(acc >> (18 - 6 * i) & 63) as usize]);
            } else {
                b64.push(b'=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.chunks(64) {
        out.push_str(core::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_decode(coded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn rejects_malformed_base64() {
        for bad in ["Zg=", "Z===", "Zg==Zm9v", "Zm9*", "Zm9v\u{e9}"] {
            assert!(base64_decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let der: Vec<u8> = (0..=255).collect();
        let text = encode("CERTIFICATE", &der);
        let block = decode_first(&text).unwrap();
        assert_eq!(block.label, "CERTIFICATE");
        assert_eq!(block.der, der);
    }

    #[test]
    fn rejects_block_without_end() {
        assert!(decode_all("-----BEGIN X-----\nZm9v\n").is_err());
        assert!(decode_first("no armour here").is_err());
    }
}
