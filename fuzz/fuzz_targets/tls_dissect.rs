//! The TLS dissector that opens records for the event log: on any bytes it
//! returns fields, and every field's byte span lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsim_sim::Field;
use tlsim_tls::crypto::cipher::RecordTrace;
use tlsim_tls::enums::{ContentType, ProtocolVersion};
use tlsim_tls::msgs::dissect::{
    Opened, dissect_handshake, dissect_protected_record, dissect_record, dissect_records,
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
    // A protected record opened to any plaintext: the input's tail stands
    // for what decryption gave.
    let trace = RecordTrace::default();
    if let Some((&typ, plaintext)) = input.split_first() {
        let opened = Opened {
            typ: ContentType::from(typ),
            plaintext,
            trace: &trace,
        };
        let fields = dissect_protected_record(input, opened, String::new(), None);
        spans_inside(&fields, input.len());
    }
});
