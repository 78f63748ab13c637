//! The TLS record and handshake codecs: whatever decodes re-encodes to
//! the same bytes (records) or to bytes that decode to the same value
//! (handshake messages, alerts), so decode→encode→decode is stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsim_tls::codec::{Codec, Reader};
use tlsim_tls::msgs::{Alert, ChangeCipherSpec, HandshakeMessage};
use tlsim_tls::record::Record;

/// Checks that a value read from the front of `bytes` re-encodes to the
/// bytes it took when `exact`, and always decodes back to itself.
fn round_trips<T: Codec + PartialEq + core::fmt::Debug>(bytes: &[u8], exact: bool) {
    let mut r = Reader::new(bytes);
    let Ok(value) = T::read(&mut r) else {
        return;
    };
    let encoded = value.to_bytes();
    if exact {
        assert_eq!(encoded, bytes[..r.position()], "{value:?}");
    }
    assert_eq!(T::from_bytes(&encoded).as_ref(), Ok(&value));
}

fuzz_target!(|input: &[u8]| {
    // A stream of records, as a peer sends them.
    let mut r = Reader::new(input);
    while !r.is_empty() {
        let start = r.position();
        if Record::read(&mut r).is_err() {
            break;
        }
        round_trips::<Record>(&input[start..], true);
    }
    round_trips::<HandshakeMessage>(input, false);
    round_trips::<Alert>(input, true);
    round_trips::<ChangeCipherSpec>(input, true);
});
