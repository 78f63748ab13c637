use proptest::prelude::*;

use super::*;
use crate::error::CompressionError;
use crate::frame::Setting;
use crate::headers::tests::request_block;

static RST_STREAM_BYTES: [u8; 16] = [
    0x80, 0x03, 0x00, 0x03, // control, version 3, type RST_STREAM
    0x00, 0x00, 0x00, 0x08, // flags, length 8
    0x00, 0x00, 0x00, 0x05, // stream 5
    0x00, 0x00, 0x00, 0x05, // CANCEL
];

static SETTINGS_BYTES: [u8; 28] = [
    0x80, 0x03, 0x00, 0x04, // control, version 3, type SETTINGS
    0x01, 0x00, 0x00, 0x14, // CLEAR_SETTINGS, length 20
    0x00, 0x00, 0x00, 0x02, // two entries
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x64, // MAX_CONCURRENT_STREAMS = 100
    0x01, 0x00, 0x00, 0x07, 0x00, 0xa0, 0x00, 0x00, // persist INITIAL_WINDOW_SIZE = 10 MiB
];

static PING_BYTES: [u8; 12] = [
    0x80, 0x03, 0x00, 0x06, // control, version 3, type PING
    0x00, 0x00, 0x00, 0x04, // flags, length 4
    0x00, 0x00, 0x00, 0x02, // ID 2
];

static GOAWAY_BYTES: [u8; 16] = [
    0x80, 0x03, 0x00, 0x07, // control, version 3, type GOAWAY
    0x00, 0x00, 0x00, 0x08, // flags, length 8
    0x00, 0x00, 0x00, 0x01, // last good stream 1
    0x00, 0x00, 0x00, 0x00, // OK
];

static WINDOW_UPDATE_BYTES: [u8; 16] = [
    0x80, 0x03, 0x00, 0x09, // control, version 3, type WINDOW_UPDATE
    0x00, 0x00, 0x00, 0x08, // flags, length 8
    0x00, 0x00, 0x00, 0x00, // stream 0: the session (SPDY/3.1)
    0x00, 0x9f, 0x00, 0x00, // delta 10420224
];

static DATA_BYTES: [u8; 13] = [
    0x00, 0x00, 0x00, 0x01, // data, stream 1
    0x01, 0x00, 0x00, 0x05, // FIN, length 5
    b'h', b'e', b'l', b'l', b'o',
];

static CREDENTIAL_BYTES: [u8; 11] = [
    0x80, 0x03, 0x00, 0x0a, // control, version 3, type CREDENTIAL
    0x00, 0x00, 0x00, 0x03, // flags, length 3
    0xaa, 0xbb, 0xcc,
];

/// A request header block compressed by C zlib (level 9, Z_SYNC_FLUSH, the
/// SPDY/3 dictionary), then a response block in the same context: an
/// independent implementation's output.
static C_ZLIB_REQUEST_BLOCK: [u8; 73] = [
    0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0x02, 0x65, 0x25, 0x50, 0x7a, 0xb4, 0x42, 0xa4, 0x5a, 0x77,
    0xd7, 0x10, 0x90, 0xa8, 0x55, 0x41, 0x22, 0xb8, 0x6c, 0x62, 0xd4, 0x07, 0x25, 0x52, 0x2b, 0xec,
    0x09, 0x96, 0xd5, 0x0a, 0x5a, 0x90, 0xf0, 0x01, 0x73, 0x82, 0x5e, 0x7a, 0x7e, 0x7e, 0x7a, 0x4e,
    0xaa, 0x5e, 0x32, 0xb8, 0x88, 0x61, 0xb7, 0x2a, 0x06, 0x16, 0x9e, 0xb9, 0xe0, 0x12, 0x36, 0xa3,
    0xa4, 0xa4, 0xa0, 0x18, 0x00, 0x00, 0x00, 0xff, 0xff,
];
static C_ZLIB_SECOND_BLOCK: [u8; 15] = [
    0x02, 0x65, 0x44, 0x88, 0x38, 0x66, 0x7e, 0xc0, 0x6a, 0x3e, 0x00, 0x00, 0x00, 0xff, 0xff,
];

fn fixtures() -> Vec<(Frame, &'static [u8])> {
    vec![
        (
            Frame::RstStream(RstStream {
                flags: Flags::NONE,
                stream_id: 5,
                status: RstStatus::CANCEL,
            }),
            &RST_STREAM_BYTES,
        ),
        (
            Frame::Settings(Settings {
                flags: Flags::CLEAR_SETTINGS,
                entries: vec![
                    Setting {
                        flags: SettingFlags(0),
                        id: SettingId::MAX_CONCURRENT_STREAMS,
                        value: 100,
                    },
                    Setting {
                        flags: SettingFlags::PERSIST_VALUE,
                        id: SettingId::INITIAL_WINDOW_SIZE,
                        value: 10 * 1024 * 1024,
                    },
                ],
            }),
            &SETTINGS_BYTES,
        ),
        (
            Frame::Ping(Ping {
                flags: Flags::NONE,
                id: 2,
            }),
            &PING_BYTES,
        ),
        (
            Frame::GoAway(GoAway {
                flags: Flags::NONE,
                last_good_stream_id: 1,
                status: GoAwayStatus::OK,
            }),
            &GOAWAY_BYTES,
        ),
        (
            Frame::WindowUpdate(WindowUpdate {
                flags: Flags::NONE,
                stream_id: 0,
                delta: 10_420_224,
            }),
            &WINDOW_UPDATE_BYTES,
        ),
        (
            Frame::Data(Data {
                flags: Flags::FIN,
                stream_id: 1,
                payload: b"hello".to_vec(),
            }),
            &DATA_BYTES,
        ),
        (
            Frame::Unknown(UnknownControl {
                frame_type: ControlType::CREDENTIAL,
                flags: Flags::NONE,
                payload: vec![0xaa, 0xbb, 0xcc],
            }),
            &CREDENTIAL_BYTES,
        ),
    ]
}

fn decode(bytes: &[u8]) -> Result<Frame, SpdyError> {
    let (frame, used) = decode_frame(bytes, &mut HeaderDecompressor::new())?;
    assert_eq!(used, bytes.len());
    Ok(frame)
}

#[test]
fn fixtures_emit_their_bytes() {
    for (frame, bytes) in fixtures() {
        assert_eq!(
            FrameWriter::new().encode(&frame).unwrap(),
            bytes,
            "{frame:?}"
        );
    }
}

#[test]
fn fixtures_parse_to_their_frames() {
    for (frame, bytes) in fixtures() {
        assert_eq!(decode(bytes).unwrap(), frame);
    }
}

#[test]
fn truncated_fixtures_are_incomplete_not_errors() {
    for (_, bytes) in fixtures() {
        for cut in 0..bytes.len() {
            assert_eq!(
                decode(&bytes[..cut]),
                Err(InvalidFrame::Truncated.into()),
                "{bytes:02x?} cut at {cut}"
            );
            let mut reader = FrameReader::new();
            reader.feed(&bytes[..cut]);
            assert_eq!(reader.next_frame(), Ok(None));
        }
    }
}

#[test]
fn ignores_reserved_bits_on_receipt() {
    let mut bytes = RST_STREAM_BYTES;
    bytes[8] |= 0x80;
    assert_eq!(decode(&bytes).unwrap(), fixtures()[0].0);
}

#[test]
fn syn_stream_layout_and_round_trip() {
    let frame = Frame::SynStream(SynStream {
        flags: Flags::FIN,
        stream_id: 1,
        associated_to: 0,
        priority: 2,
        slot: 0,
        headers: request_block(),
    });
    let bytes = FrameWriter::new().encode(&frame).unwrap();
    assert_eq!(
        bytes[..18],
        [
            0x80,
            0x03,
            0x00,
            0x01, // control, version 3, SYN_STREAM
            0x01,
            0x00,
            0x00,
            (bytes.len() - 8) as u8, // FIN, length
            0x00,
            0x00,
            0x00,
            0x01, // stream 1
            0x00,
            0x00,
            0x00,
            0x00, // associated to none
            0x40,
            0x00, // priority 2, slot 0
        ]
    );
    assert_eq!(decode(&bytes).unwrap(), frame);
}

#[test]
fn header_frames_decode_blocks_compressed_by_c_zlib() {
    let mut syn_stream = vec![0x80, 0x03, 0x00, 0x01, 0x01, 0x00, 0x00, 10 + 73];
    syn_stream.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    syn_stream.extend_from_slice(&C_ZLIB_REQUEST_BLOCK);
    let mut syn_reply = vec![0x80, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 4 + 15];
    syn_reply.extend_from_slice(&[0, 0, 0, 1]);
    syn_reply.extend_from_slice(&C_ZLIB_SECOND_BLOCK);

    let mut reader = FrameReader::new();
    reader.feed(&syn_stream);
    reader.feed(&syn_reply);
    let Frame::SynStream(request) = reader.next_frame().unwrap().unwrap().frame else {
        panic!("expected SYN_STREAM");
    };
    assert_eq!(request.headers, request_block());
    let Frame::SynReply(reply) = reader.next_frame().unwrap().unwrap().frame else {
        panic!("expected SYN_REPLY");
    };
    assert_eq!(reply.headers.get_str(":status"), Some("200 OK"));
    assert_eq!(reader.next_frame(), Ok(None));
}

#[test]
fn headers_and_syn_reply_round_trip_in_one_context() {
    let frames = [
        Frame::SynReply(SynReply {
            flags: Flags::NONE,
            stream_id: 1,
            headers: HeaderBlock::from_pairs([(":status", "200 OK")]).unwrap(),
        }),
        Frame::Headers(Headers {
            flags: Flags::FIN,
            stream_id: 1,
            headers: HeaderBlock::from_pairs([("x-trailer", "done")]).unwrap(),
        }),
    ];
    let mut writer = FrameWriter::new();
    let mut reader = FrameReader::new();
    for frame in &frames {
        let bytes = writer.encode(frame).unwrap();
        reader.feed(&bytes);
        let read = reader.next_frame().unwrap().unwrap();
        assert_eq!(&read.frame, frame);
        assert_eq!(read.bytes, bytes);
    }
}

#[test]
fn rejects_unsupported_version() {
    let mut bytes = PING_BYTES;
    bytes[1] = 2;
    assert_eq!(
        decode(&bytes),
        Err(InvalidFrame::UnsupportedVersion(2).into())
    );
}

#[test]
fn rejects_wrong_fixed_lengths_from_the_header_alone() {
    for (frame_type, length) in [
        (ControlType::PING, 8),
        (ControlType::RST_STREAM, 4),
        (ControlType::GOAWAY, 12),
        (ControlType::WINDOW_UPDATE, 0),
        (ControlType::SYN_STREAM, 9),
        (ControlType::SYN_REPLY, 3),
        (ControlType::SETTINGS, 5),
    ] {
        let [a, b] = frame_type.0.to_be_bytes();
        let header = [0x80, 0x03, a, b, 0, 0, 0, length];
        let mut reader = FrameReader::new();
        reader.feed(&header);
        assert_eq!(
            reader.next_frame(),
            Err(InvalidFrame::WrongLength {
                frame_type,
                length: u32::from(length)
            }
            .into())
        );
    }
}

#[test]
fn rejects_settings_count_that_disagrees_with_length() {
    let mut bytes = SETTINGS_BYTES;
    bytes[11] = 3;
    assert_eq!(
        decode(&bytes),
        Err(InvalidFrame::SettingsCountMismatch {
            count: 3,
            length: 20
        }
        .into())
    );
}

#[test]
fn reader_stays_failed_after_an_error() {
    let mut reader = FrameReader::new();
    let mut bad = PING_BYTES;
    bad[1] = 4;
    reader.feed(&bad);
    let first = reader.next_frame().unwrap_err();
    assert!(reader.has_failed());
    reader.feed(&PING_BYTES);
    assert_eq!(
        reader.next_frame(),
        Err(SpdyError::Poisoned(Box::new(first)))
    );
}

#[test]
fn reading_many_frames_from_one_feed_moves_no_bytes() {
    // Linear time: frames are consumed by offset, so draining a feed of n
    // frames shifts nothing, however large n is.
    let pings = PING_BYTES.repeat(10_000);
    let mut reader = FrameReader::new();
    reader.feed(&pings);
    let mut count = 0;
    while let Some(wire) = reader.next_frame().unwrap() {
        assert_eq!(wire.bytes, PING_BYTES);
        count += 1;
    }
    assert_eq!(count, 10_000);
    assert_eq!(reader.buffered_len(), 0);
    assert_eq!(reader.compacted, 0);
}

#[test]
fn each_feed_moves_at_most_the_partial_frame_left_before_it() {
    // 1000 PINGs arriving 100 bytes at a time: each feed compacts once and
    // moves only the unread tail of the previous chunk (under one frame),
    // never the whole buffer once per frame.
    let pings = PING_BYTES.repeat(1000);
    let mut reader = FrameReader::new();
    let mut count = 0;
    let mut feeds = 0;
    for chunk in pings.chunks(100) {
        let tail_before = reader.buffered_len();
        let compacted_before = reader.compacted;
        reader.feed(chunk);
        feeds += 1;
        assert!(tail_before < PING_BYTES.len());
        assert!(reader.compacted - compacted_before <= tail_before);
        while reader.next_frame().unwrap().is_some() {
            count += 1;
        }
    }
    assert_eq!(count, 1000);
    assert!(reader.compacted < feeds * PING_BYTES.len());
}

#[test]
fn reader_rejects_header_block_without_the_dictionary() {
    // A SYN_REPLY whose block is a zlib stream with no preset dictionary.
    let block = [0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0x00, 0x00];
    let mut bytes = vec![
        0x80,
        0x03,
        0x00,
        0x02,
        0x00,
        0x00,
        0x00,
        4 + block.len() as u8,
    ];
    bytes.extend_from_slice(&[0, 0, 0, 1]);
    bytes.extend_from_slice(&block);
    let mut reader = FrameReader::new();
    reader.feed(&bytes);
    assert_eq!(
        reader.next_frame(),
        Err(CompressionError::MissingDictionary.into())
    );
}

#[test]
fn refuses_to_encode_out_of_range_fields() {
    let mut writer = FrameWriter::new();
    let too_big = Frame::Data(Data {
        flags: Flags::NONE,
        stream_id: 1 << 31,
        payload: vec![],
    });
    assert!(matches!(
        writer.encode(&too_big),
        Err(SpdyError::Unencodable(_))
    ));
    let known_as_unknown = Frame::Unknown(UnknownControl {
        frame_type: ControlType::PING,
        flags: Flags::NONE,
        payload: vec![0; 4],
    });
    assert!(matches!(
        writer.encode(&known_as_unknown),
        Err(SpdyError::Unencodable(_))
    ));
    // Neither error touched the compression context.
    assert!(writer.encode(&fixtures()[2].0).is_ok());
}

#[test]
fn dissects_syn_stream_like_wireshark() {
    let frame = Frame::SynStream(SynStream {
        flags: Flags::FIN,
        stream_id: 1,
        associated_to: 0,
        priority: 0,
        slot: 0,
        headers: request_block(),
    });
    let bytes = FrameWriter::new().encode(&frame).unwrap();
    let fields = frame.fields(&bytes, 5);
    let shown: Vec<String> = fields
        .iter()
        .map(|f| format!("{}: {}", f.name, f.value))
        .collect();
    let block_len = bytes.len() - 18;
    assert_eq!(
        shown,
        [
            "Control: 1".to_string(),
            "Version: 3".into(),
            "Type: SYN_STREAM (1)".into(),
            "Flags: 0x01 (FIN)".into(),
            format!("Length: {}", bytes.len() - 8),
            "Stream ID: 1".into(),
            "Associated-To-Stream-ID: 0".into(),
            "Priority: 0".into(),
            "Slot: 0".into(),
            format!("Name/Value Header Block: 5 headers, {block_len} bytes compressed"),
            "Header: :method: GET".into(),
            "Header: :path: /".into(),
            "Header: :version: HTTP/1.1".into(),
            "Header: :host: www.google.com".into(),
            "Header: :scheme: https".into(),
        ]
    );
    assert_eq!(fields[2].span, Some([7, 9]));
    assert_eq!(fields[9].span, Some([23, 5 + bytes.len() as u32]));
    assert_eq!(fields[10].depth, 1);
    assert_eq!(fields[10].span, None);
    assert_eq!(frame.title(), "SPDY SYN_STREAM");
}

#[test]
fn dissects_data_frame() {
    let wire = WireFrame {
        frame: fixtures()[5].0.clone(),
        bytes: DATA_BYTES.to_vec(),
    };
    let shown: Vec<String> = wire
        .fields(0)
        .iter()
        .map(|f| format!("{}: {}", f.name, f.value))
        .collect();
    assert_eq!(
        shown,
        [
            "Control: 0",
            "Stream ID: 1",
            "Flags: 0x01 (FIN)",
            "Length: 5",
            "Data: 5 bytes"
        ]
    );
    assert_eq!(wire.title(), "SPDY DATA");
}

#[test]
fn every_fixture_has_a_title_and_in_range_spans() {
    for (frame, bytes) in fixtures() {
        assert!(frame.title().starts_with("SPDY "));
        for field in frame.fields(bytes, 0) {
            if let Some([start, end]) = field.span {
                assert!(start <= end && end as usize <= bytes.len(), "{field:?}");
            }
        }
    }
}

// Property tests.

fn header_block() -> impl Strategy<Value = HeaderBlock> {
    let name = "[a-z:][a-z0-9:_-]{0,12}";
    let value = prop::collection::vec(prop::collection::vec(1u8..=255, 1..8), 0..3)
        .prop_map(|parts| parts.join(&0u8));
    prop::collection::vec((name, value), 0..6).prop_map(|pairs| {
        let mut block = HeaderBlock::new();
        for (name, value) in pairs {
            // Duplicate names are skipped: a block never repeats a name.
            let _ = block.push(&name, value);
        }
        block
    })
}

fn stream_id() -> impl Strategy<Value = u32> {
    0..=MAX_STREAM_ID
}

fn any_frame() -> impl Strategy<Value = Frame> {
    let flags = any::<u8>().prop_map(Flags);
    prop_oneof![
        (
            flags.clone(),
            stream_id(),
            stream_id(),
            0u8..8,
            any::<u8>(),
            header_block()
        )
            .prop_map(
                |(flags, stream_id, associated_to, priority, slot, headers)| {
                    Frame::SynStream(SynStream {
                        flags,
                        stream_id,
                        associated_to,
                        priority,
                        slot,
                        headers,
                    })
                }
            ),
        (flags.clone(), stream_id(), header_block()).prop_map(|(flags, stream_id, headers)| {
            Frame::SynReply(SynReply {
                flags,
                stream_id,
                headers,
            })
        }),
        (flags.clone(), stream_id(), header_block()).prop_map(|(flags, stream_id, headers)| {
            Frame::Headers(Headers {
                flags,
                stream_id,
                headers,
            })
        }),
        (flags.clone(), stream_id(), any::<u32>()).prop_map(|(flags, stream_id, status)| {
            Frame::RstStream(RstStream {
                flags,
                stream_id,
                status: RstStatus(status),
            })
        }),
        (
            flags.clone(),
            prop::collection::vec((any::<u8>(), 0u32..(1 << 24), any::<u32>()), 0..5)
        )
            .prop_map(|(flags, entries)| {
                Frame::Settings(Settings {
                    flags,
                    entries: entries
                        .into_iter()
                        .map(|(flags, id, value)| Setting {
                            flags: SettingFlags(flags),
                            id: SettingId(id),
                            value,
                        })
                        .collect(),
                })
            }),
        (flags.clone(), any::<u32>()).prop_map(|(flags, id)| Frame::Ping(Ping { flags, id })),
        (flags.clone(), stream_id(), any::<u32>()).prop_map(|(flags, last, status)| {
            Frame::GoAway(GoAway {
                flags,
                last_good_stream_id: last,
                status: GoAwayStatus(status),
            })
        }),
        (flags.clone(), stream_id(), stream_id()).prop_map(|(flags, stream_id, delta)| {
            Frame::WindowUpdate(WindowUpdate {
                flags,
                stream_id,
                delta,
            })
        }),
        (
            flags.clone(),
            prop_oneof![Just(5u16), 10u16..=u16::MAX],
            prop::collection::vec(any::<u8>(), 0..32)
        )
            .prop_map(|(flags, frame_type, payload)| {
                Frame::Unknown(UnknownControl {
                    frame_type: ControlType(frame_type),
                    flags,
                    payload,
                })
            }),
        (
            flags,
            stream_id(),
            prop::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(flags, stream_id, payload)| Frame::Data(Data {
                flags,
                stream_id,
                payload
            })),
    ]
}

proptest! {
    #[test]
    fn every_frame_round_trips(frame in any_frame()) {
        let bytes = FrameWriter::new().encode(&frame).unwrap();
        prop_assert_eq!(decode(&bytes).unwrap(), frame);
    }

    #[test]
    fn frame_sequences_survive_any_split_points(
        frames in prop::collection::vec(any_frame(), 1..8),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut writer = FrameWriter::new();
        let mut stream = Vec::new();
        for frame in &frames {
            stream.extend(writer.encode(frame).unwrap());
        }
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        cuts.push(0);
        cuts.push(stream.len());
        cuts.sort_unstable();
        let mut reader = FrameReader::new();
        let mut read = Vec::new();
        for pair in cuts.windows(2) {
            reader.feed(&stream[pair[0]..pair[1]]);
            while let Some(wire) = reader.next_frame().unwrap() {
                read.push(wire.frame);
            }
        }
        prop_assert_eq!(read, frames);
        prop_assert_eq!(reader.buffered_len(), 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_frame(&bytes, &mut HeaderDecompressor::new());
        let mut reader = FrameReader::new();
        reader.feed(&bytes);
        for _ in 0..bytes.len() + 1 {
            if !matches!(reader.next_frame(), Ok(Some(_))) {
                break;
            }
        }
    }

    #[test]
    fn mutated_frames_never_panic(
        frame in any_frame(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = FrameWriter::new().encode(&frame).unwrap();
        for (at, mask) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= mask;
        }
        let mut reader = FrameReader::new();
        reader.feed(&bytes);
        if let Ok(Some(wire)) = reader.next_frame() {
            let _ = wire.fields(0);
        }
    }
}

#[test]
fn header_block_past_the_limit_names_its_frame_and_stream() {
    let mut headers = HeaderBlock::new();
    headers
        .push("x", vec![b'a'; crate::MAX_HEADER_BLOCK_LEN])
        .unwrap();
    let bytes = FrameWriter::new()
        .encode(&Frame::Headers(Headers {
            flags: Flags::NONE,
            stream_id: 7,
            headers,
        }))
        .unwrap();
    assert_eq!(
        decode(&bytes),
        Err(InvalidFrame::HeaderBlockTooLarge {
            frame_type: ControlType::HEADERS,
            stream_id: 7
        }
        .into())
    );
}
