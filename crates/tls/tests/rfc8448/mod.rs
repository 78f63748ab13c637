//! What the RFC 8448 trace tests share: hex as the RFC prints it, the
//! protected records' bodies, traffic keys, the suite of the traces.

#[allow(dead_code, reason = "each test uses the trace of its section")]
pub(crate) mod hello_retry;
#[allow(dead_code, reason = "each test uses the trace of its section")]
pub(crate) mod resumed_0rtt;
#[allow(dead_code, reason = "each test uses the trace of its section")]
pub(crate) mod simple_1rtt;

use tlsim_tls::crypto::key_schedule::{Tls13CipherSuite, TrafficKeys};
use tlsim_tls::enums::CipherSuite;

/// Hex with spaces and newlines, as the RFC prints it.
pub(crate) fn h(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    hex::decode(digits).expect("test vector is hex")
}

/// The record's `encrypted_record`, after checking its outer header.
pub(crate) fn fragment(record: &str) -> Vec<u8> {
    let bytes = h(record);
    assert_eq!(&bytes[..3], &[23, 3, 3], "application_data, legacy 0x0303");
    assert_eq!(
        usize::from(u16::from_be_bytes([bytes[3], bytes[4]])),
        bytes.len() - 5
    );
    bytes[5..].to_vec()
}

/// A traffic key and IV as the RFC prints them.
pub(crate) fn keys(key: &str, iv: &str) -> TrafficKeys {
    TrafficKeys {
        key: h(key),
        iv: h(iv).try_into().unwrap(),
    }
}

/// TLS_AES_128_GCM_SHA256, the suite of every RFC 8448 trace.
pub(crate) fn suite() -> &'static Tls13CipherSuite {
    Tls13CipherSuite::find(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap()
}
