//! The TLS dissector that opens records for the event log: on any bytes it
//! returns fields, and every field's byte span lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsim_sim::Field;
use tlsim_tls::enums::ProtocolVersion;
use tlsim_tls::msgs::dissect::{
    dissect_encrypted_record, dissect_handshake, dissect_record, dissect_records,
};

fn spans_inside(fields: &[Field], len: usize) {
    for field in fields {
        if let Some([start, end]) = field.span {
            assert!(
                start <= end && end as usize <= len,
                "{}: span {start}..{end} outside {len} bytes",
                field.name
            );
        }
    }
}

fuzz_target!(|input: &[u8]| {
    for hint in [
        None,
        Some(ProtocolVersion::Tls10),
        Some(ProtocolVersion::Tls12),
    ] {
        spans_inside(&dissect_record(input, hint), input.len());
        spans_inside(&dissect_records(input, hint), input.len());
        spans_inside(&dissect_handshake(input, hint), input.len());
    }
    spans_inside(&dissect_encrypted_record(input), input.len());
});
