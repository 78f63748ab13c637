//! Cost of reading many frames that arrive in one feed.
//!
//! `pings_in_one_feed/N`: N PING frames handed to a [`FrameReader`] at once,
//! then read one by one. Time per element is the cost of one frame; it
//! stays flat from 10,000 to 160,000 frames when reading is linear.
//!
//! Run: `cargo bench -p tlsim-spdy --bench frame_reader`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tlsim_spdy::{Flags, Frame, FrameReader, FrameWriter, Ping};

fn pings(count: u32) -> Vec<u8> {
    let mut writer = FrameWriter::new();
    let mut bytes = Vec::new();
    for id in 0..count {
        let ping = Frame::Ping(Ping {
            flags: Flags::NONE,
            id,
        });
        bytes.extend(writer.encode(&ping).expect("a PING always encodes"));
    }
    bytes
}

fn pings_in_one_feed(c: &mut Criterion) {
    let mut group = c.benchmark_group("pings_in_one_feed");
    group.sample_size(10);
    for count in [10_000u32, 160_000] {
        let bytes = pings(count);
        group.throughput(Throughput::Elements(u64::from(count)));
        group.bench_function(count.to_string(), |b| {
            b.iter(|| {
                let mut reader = FrameReader::new();
                reader.feed(black_box(&bytes));
                let mut read = 0u32;
                while let Some(frame) = reader.next_frame().expect("valid PINGs") {
                    black_box(frame);
                    read += 1;
                }
                assert_eq!(read, count);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, pings_in_one_feed);
criterion_main!(benches);
