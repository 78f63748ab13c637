//! SPDY name/value header blocks: a plain block that decodes re-encodes to
//! the same bytes and survives compression; the same bytes as a compressed
//! block never panic the decompressor, and what it accepts round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsim_spdy::{HeaderBlock, HeaderCompressor, HeaderDecompressor};

fn survives_compression(block: &HeaderBlock) {
    let mut wire = Vec::new();
    HeaderCompressor::new()
        .compress(block, &mut wire)
        .expect("a valid block compresses");
    assert_eq!(
        HeaderDecompressor::new().decompress(&wire).as_ref(),
        Ok(block)
    );
}

fuzz_target!(|input: &[u8]| {
    if let Ok(block) = HeaderBlock::decode_plain(input) {
        assert_eq!(block.encode_plain().as_deref(), Ok(input));
        survives_compression(&block);
    }
    if let Ok(block) = HeaderDecompressor::new().decompress(input) {
        survives_compression(&block);
    }
});
