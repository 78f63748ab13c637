//! SPDY framing: a byte stream read whole and in small chunks gives the
//! same frames; the frames re-encode (with a fresh compression context) to
//! a stream that reads back to the same frames; every field the dissector
//! shows lies inside its frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsim_spdy::{Frame, FrameReader, FrameWriter, WireFrame};

/// The frames of `chunks` fed in order, up to the first error.
fn read<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<WireFrame> {
    let mut reader = FrameReader::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        reader.feed(chunk);
        while let Ok(Some(frame)) = reader.next_frame() {
            frames.push(frame);
        }
    }
    frames
}

fuzz_target!(|input: &[u8]| {
    let whole = read([input]);
    let chunked = read(input.chunks(7));
    assert_eq!(whole, chunked, "chunking changed the frames");
    let mut writer = FrameWriter::new();
    let mut again = Vec::new();
    for wire in &whole {
        let len = wire.bytes.len() as u32;
        for field in wire.fields(0) {
            if let Some([start, end]) = field.span {
                assert!(start <= end && end <= len, "{}: {start}..{end}", field.name);
            }
        }
        again.extend(writer.encode(&wire.frame).expect("a decoded frame encodes"));
    }
    let reread: Vec<Frame> = read([again.as_slice()])
        .into_iter()
        .map(|w| w.frame)
        .collect();
    let frames: Vec<Frame> = whole.into_iter().map(|w| w.frame).collect();
    assert_eq!(frames, reread, "re-encoded frames read differently");
});
