use super::*;
use crate::frame::ControlType;

/// A client and a server wired together in memory. Bytes move in chunks of
/// at most `chunk` bytes, to exercise reassembly.
struct Pair {
    client: SpdyClient,
    server: SpdyServer,
    client_sent: Vec<WireFrame>,
    server_sent: Vec<WireFrame>,
    chunk: usize,
}

impl Pair {
    fn new(config: ClientConfig, server: SpdyServer) -> Self {
        let mut client = SpdyClient::new(config);
        client.open().unwrap();
        Pair {
            client,
            server,
            client_sent: Vec::new(),
            server_sent: Vec::new(),
            chunk: usize::MAX,
        }
    }

    /// Moves frames both ways until neither side has anything to send.
    /// Returns the number of rounds; panics past a bound (a livelock).
    #[track_caller]
    fn drive(&mut self) -> usize {
        for round in 0..1_000_000 {
            let mut moved = false;
            while let Some(wire) = self.client.poll_transmit() {
                for piece in wire.bytes.chunks(self.chunk.max(1)) {
                    self.server.handle_bytes(piece);
                    while self.server.poll_recv().unwrap().is_some() {}
                }
                self.client_sent.push(wire);
                moved = true;
            }
            while let Some(wire) = self.server.poll_transmit() {
                for piece in wire.bytes.chunks(self.chunk.max(1)) {
                    self.client.handle_bytes(piece);
                    while self.client.poll_recv().unwrap().is_some() {}
                }
                self.server_sent.push(wire);
                moved = true;
            }
            if !moved {
                return round;
            }
        }
        panic!("the exchange did not settle");
    }
}

fn titles(frames: &[WireFrame]) -> Vec<&'static str> {
    frames.iter().map(WireFrame::title).collect()
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"<html>spdy</html>"[i % 17]).collect()
}

#[test]
fn client_fetches_the_body_in_data_frames() {
    let page = body(40_000);
    let mut pair = Pair::new(
        ClientConfig::new("www.google.com", "/"),
        SpdyServer::new(page.clone()),
    );
    pair.drive();
    assert_eq!(
        titles(&pair.client_sent),
        ["SPDY SETTINGS", "SPDY WINDOW_UPDATE", "SPDY SYN_STREAM"]
    );
    assert_eq!(
        titles(&pair.server_sent),
        ["SPDY SYN_REPLY", "SPDY DATA", "SPDY DATA", "SPDY DATA"]
    );
    let response = pair.client.response();
    assert!(response.complete);
    assert_eq!(response.body, page);
    let headers = response.headers.as_ref().unwrap();
    assert_eq!(headers.get_str(":status"), Some("200 OK"));
    assert_eq!(headers.get_str("content-type"), Some("text/html"));
    assert_eq!(headers.get_str("content-length"), Some("40000"));
    let last = pair.server_sent.last().unwrap();
    assert!(last.frame.is_fin());
    assert!(
        pair.server_sent[1..]
            .iter()
            .all(|w| w.bytes.len() <= DEFAULT_MAX_DATA_FRAME_LEN + 8)
    );
}

#[test]
fn request_carries_the_documented_headers() {
    let mut pair = Pair::new(
        ClientConfig::new("www.google.com", "/index.html"),
        SpdyServer::new("x"),
    );
    pair.drive();
    let Frame::SynStream(syn) = &pair.client_sent[2].frame else {
        panic!("expected SYN_STREAM");
    };
    assert_eq!(syn.stream_id, 1);
    assert!(syn.flags.contains(Flags::FIN));
    let names: Vec<&str> = syn.headers.headers().iter().map(|h| h.name()).collect();
    assert_eq!(
        names,
        [
            ":method",
            ":path",
            ":version",
            ":host",
            ":scheme",
            "user-agent",
            "accept-encoding"
        ]
    );
    assert_eq!(syn.headers.get_str(":path"), Some("/index.html"));
    assert_eq!(syn.headers.get_str(":scheme"), Some("https"));
}

#[test]
fn exchange_survives_one_byte_chunks() {
    let page = body(20_000);
    let mut pair = Pair::new(
        ClientConfig::new("www.google.com", "/"),
        SpdyServer::new(page.clone()),
    );
    pair.chunk = 1;
    pair.drive();
    assert_eq!(pair.client.response().body, page);
}

#[test]
fn server_respects_flow_control_windows() {
    let page = body(5_000);
    let mut config = ClientConfig::new("www.google.com", "/");
    config.receive_window = 1_000;
    let mut pair = Pair::new(
        config,
        SpdyServer::new(page.clone()).with_max_data_frame_len(300),
    );
    let rounds = pair.drive();
    assert!(pair.client.response().complete);
    assert_eq!(pair.client.response().body, page);
    // No WINDOW_UPDATE for the session: a 1000-byte stream window is below
    // the 64 KiB session default.
    assert_eq!(
        titles(&pair.client_sent)[..2],
        ["SPDY SETTINGS", "SPDY SYN_STREAM"]
    );
    let stream_updates = pair
        .client_sent
        .iter()
        .filter(|w| matches!(&w.frame, Frame::WindowUpdate(u) if u.stream_id == 1))
        .count();
    assert!(stream_updates >= 4, "{stream_updates} stream updates");
    assert!(rounds > 2, "the server had to wait for credit");

    // Replaying the sends in order, the data in flight never exceeds the
    // stream window.
    let mut window: i64 = 1_000;
    let mut client_frames = pair.client_sent.iter().skip(2);
    for wire in &pair.server_sent {
        if let Frame::Data(data) = &wire.frame {
            window -= data.payload.len() as i64;
            assert!(window >= 0);
        }
        if window < 300 {
            for update in client_frames.by_ref() {
                if let Frame::WindowUpdate(u) = &update.frame {
                    window += i64::from(u.delta);
                    break;
                }
            }
        }
    }
}

#[test]
fn server_waits_for_credit_before_sending_more() {
    let mut config = ClientConfig::new("h", "/");
    config.receive_window = 100;
    let mut client = SpdyClient::new(config);
    client.open().unwrap();
    let mut server = SpdyServer::new(body(1_000));
    while let Some(wire) = client.poll_transmit() {
        server.handle_bytes(&wire.bytes);
    }
    while server.poll_recv().unwrap().is_some() {}
    let sent: Vec<WireFrame> = core::iter::from_fn(|| server.poll_transmit()).collect();
    assert_eq!(titles(&sent), ["SPDY SYN_REPLY", "SPDY DATA"]);
    assert_eq!(sent[1].bytes.len(), 8 + 100);
    assert_eq!(server.pending_streams(), 1);
}

#[test]
fn empty_body_finishes_with_the_reply() {
    let mut pair = Pair::new(ClientConfig::new("h", "/"), SpdyServer::new(Vec::new()));
    pair.drive();
    assert_eq!(titles(&pair.server_sent), ["SPDY SYN_REPLY"]);
    assert!(pair.server_sent[0].frame.is_fin());
    assert!(pair.client.response().complete);
}

#[test]
fn pings_are_echoed_once() {
    let mut pair = Pair::new(ClientConfig::new("h", "/"), SpdyServer::new("x"));
    pair.drive();
    let id = pair.client.ping().unwrap();
    assert_eq!(id, 1);
    pair.drive();
    let echoes: Vec<&WireFrame> = pair
        .server_sent
        .iter()
        .filter(|w| matches!(w.frame, Frame::Ping(_)))
        .collect();
    assert_eq!(echoes.len(), 1);
    assert_eq!(
        echoes[0].frame,
        Frame::Ping(Ping {
            flags: Flags::NONE,
            id: 1
        })
    );
    assert_eq!(
        pair.client_sent
            .iter()
            .filter(|w| matches!(w.frame, Frame::Ping(_)))
            .count(),
        1
    );
}

#[test]
fn goaway_closes_both_ways() {
    let mut pair = Pair::new(ClientConfig::new("h", "/"), SpdyServer::new("x"));
    pair.drive();
    pair.client.close().unwrap();
    pair.server.close().unwrap();
    pair.client.close().unwrap();
    pair.drive();
    assert_eq!(
        pair.server.peer_goaway(),
        Some(&GoAway {
            flags: Flags::NONE,
            last_good_stream_id: 0,
            status: GoAwayStatus::OK
        })
    );
    assert_eq!(
        pair.client.peer_goaway(),
        Some(&GoAway {
            flags: Flags::NONE,
            last_good_stream_id: 1,
            status: GoAwayStatus::OK
        })
    );
    // One GOAWAY each, however often close is called.
    assert_eq!(titles(&pair.client_sent).last(), Some(&"SPDY GOAWAY"));
    assert_eq!(
        titles(&pair.client_sent)
            .iter()
            .filter(|t| **t == "SPDY GOAWAY")
            .count(),
        1
    );
}

#[test]
fn server_answers_garbage_with_goaway_protocol_error() {
    let mut server = SpdyServer::new("x");
    server.handle_bytes(&[0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0]);
    assert!(server.poll_recv().is_err());
    let goaway = server.poll_transmit().unwrap();
    assert_eq!(
        goaway.frame,
        Frame::GoAway(GoAway {
            flags: Flags::NONE,
            last_good_stream_id: 0,
            status: GoAwayStatus::PROTOCOL_ERROR
        })
    );
    assert!(matches!(server.poll_recv(), Err(SpdyError::Poisoned(_))));
    assert!(server.poll_transmit().is_none());
}

#[test]
fn client_resets_data_before_reply() {
    let mut client = SpdyClient::new(ClientConfig::new("h", "/"));
    client.open().unwrap();
    while client.poll_transmit().is_some() {}
    let data = FrameWriter::new()
        .encode(&Frame::Data(Data {
            flags: Flags::NONE,
            stream_id: 1,
            payload: b"early".to_vec(),
        }))
        .unwrap();
    client.handle_bytes(&data);
    assert!(client.poll_recv().unwrap().is_some());
    let rst = client.poll_transmit().unwrap();
    assert_eq!(rst.frame.control_type(), Some(ControlType::RST_STREAM));
    assert_eq!(client.response().reset, Some(RstStatus::PROTOCOL_ERROR));
}

#[test]
fn server_resets_data_on_a_closed_stream() {
    let mut pair = Pair::new(ClientConfig::new("h", "/"), SpdyServer::new("x"));
    pair.drive();
    let data = FrameWriter::new()
        .encode(&Frame::Data(Data {
            flags: Flags::NONE,
            stream_id: 1,
            payload: vec![1],
        }))
        .unwrap();
    pair.server.handle_bytes(&data);
    while pair.server.poll_recv().unwrap().is_some() {}
    assert_eq!(
        pair.server.poll_transmit().unwrap().frame,
        Frame::RstStream(RstStream {
            flags: Flags::NONE,
            stream_id: 1,
            status: RstStatus::STREAM_ALREADY_CLOSED
        })
    );
}

#[test]
fn exchange_is_byte_for_byte_reproducible() {
    let run = || {
        let mut pair = Pair::new(
            ClientConfig::new("www.google.com", "/"),
            SpdyServer::new(body(30_000)),
        );
        pair.drive();
        pair.client.close().unwrap();
        pair.server.close().unwrap();
        pair.drive();
        let bytes = |frames: &[WireFrame]| {
            frames
                .iter()
                .flat_map(|w| w.bytes.clone())
                .collect::<Vec<u8>>()
        };
        (bytes(&pair.client_sent), bytes(&pair.server_sent))
    };
    assert_eq!(run(), run());
}

/// The client's first flight, pinned: SETTINGS, WINDOW_UPDATE, SYN_STREAM.
/// C zlib inflates this header block with the SPDY/3 dictionary to the
/// request's headers. A change here changes every golden log.
static FIRST_FLIGHT_HEX: &str = concat!(
    "800300040000000c000000010000000700a00000",
    "800300090000000800000000009f0000",
    "8003000101000065000000010000000000007",
    "8bbe3c6a7c202a54510b642a45a77d7105006b32a4804974d8cfaa0446a853dc1b25a410b12bef2",
    "f272bdf4fcfcf49c54bd647011c36e559c9c919a0b2e61334a4a0a401900355fb196e4146782946",
    "229bf7990bd05000000ffff",
);

#[test]
fn first_flight_matches_golden_bytes() {
    let mut client = SpdyClient::new(ClientConfig::new("www.google.com", "/"));
    client.open().unwrap();
    let hex: String = core::iter::from_fn(|| client.poll_transmit())
        .flat_map(|w| w.bytes)
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, FIRST_FLIGHT_HEX);
}

#[test]
fn client_refuses_server_push() {
    let mut client = SpdyClient::new(ClientConfig::new("h", "/"));
    let push = FrameWriter::new()
        .encode(&Frame::SynStream(SynStream {
            flags: Flags::UNIDIRECTIONAL,
            stream_id: 2,
            associated_to: 1,
            priority: 0,
            slot: 0,
            headers: HeaderBlock::new(),
        }))
        .unwrap();
    client.handle_bytes(&push);
    assert!(client.poll_recv().unwrap().is_some());
    assert_eq!(
        client.poll_transmit().unwrap().frame,
        Frame::RstStream(RstStream {
            flags: Flags::NONE,
            stream_id: 2,
            status: RstStatus::REFUSED_STREAM
        })
    );
}

proptest::proptest! {
    #[test]
    fn any_body_window_and_chunking_delivers_the_body(
        len in 0usize..70_000,
        window in 1u32..200_000,
        max_frame in 1usize..20_000,
        chunk in 1usize..3_000,
    ) {
        let page = body(len);
        let mut config = ClientConfig::new("www.google.com", "/");
        config.receive_window = window;
        let mut pair = Pair::new(
            config,
            SpdyServer::new(page.clone()).with_max_data_frame_len(max_frame),
        );
        pair.chunk = chunk;
        pair.drive();
        proptest::prop_assert!(pair.client.response().complete);
        proptest::prop_assert_eq!(&pair.client.response().body, &page);
        proptest::prop_assert_eq!(pair.server.pending_streams(), 0);
    }
}

/// A SYN_STREAM whose header block is a zlib bomb: a few hundred bytes that
/// inflate past [`MAX_HEADER_BLOCK_LEN`](crate::MAX_HEADER_BLOCK_LEN).
fn header_bomb(stream_id: u32) -> Vec<u8> {
    let mut headers = HeaderBlock::new();
    headers
        .push("x", vec![b'a'; crate::MAX_HEADER_BLOCK_LEN + 1])
        .unwrap();
    let bytes = FrameWriter::new()
        .encode(&Frame::SynStream(SynStream {
            flags: Flags::FIN,
            stream_id,
            associated_to: 0,
            priority: 0,
            slot: 0,
            headers,
        }))
        .unwrap();
    assert!(bytes.len() < 2048, "{} bytes", bytes.len());
    bytes
}

#[test]
fn server_answers_a_header_bomb_with_frame_too_large_and_goaway() {
    let mut server = SpdyServer::new("x");
    server.handle_bytes(&header_bomb(1));
    assert_eq!(
        server.poll_recv(),
        Err(InvalidFrame::HeaderBlockTooLarge {
            frame_type: ControlType::SYN_STREAM,
            stream_id: 1
        }
        .into())
    );
    assert_eq!(
        server.poll_transmit().unwrap().frame,
        Frame::RstStream(RstStream {
            flags: Flags::NONE,
            stream_id: 1,
            status: RstStatus::FRAME_TOO_LARGE
        })
    );
    assert_eq!(
        server.poll_transmit().unwrap().frame,
        Frame::GoAway(GoAway {
            flags: Flags::NONE,
            last_good_stream_id: 0,
            status: GoAwayStatus::INTERNAL_ERROR
        })
    );
    assert!(server.poll_transmit().is_none());
    assert!(matches!(server.poll_recv(), Err(SpdyError::Poisoned(_))));
}

#[test]
fn server_refuses_streams_beyond_its_concurrency_limit() {
    // A zero initial window stalls every stream, so each stays open.
    let mut writer = FrameWriter::new();
    let mut bytes = writer
        .encode(&Frame::Settings(Settings {
            flags: Flags::NONE,
            entries: vec![Setting {
                flags: SettingFlags(0),
                id: SettingId::INITIAL_WINDOW_SIZE,
                value: 0,
            }],
        }))
        .unwrap();
    let opened = MAX_CONCURRENT_STREAMS as u32 + 1;
    for n in 0..opened {
        let syn = Frame::SynStream(SynStream {
            flags: Flags::FIN,
            stream_id: 2 * n + 1,
            associated_to: 0,
            priority: 0,
            slot: 0,
            headers: HeaderBlock::from_pairs([(":path", "/")]).unwrap(),
        });
        bytes.extend(writer.encode(&syn).unwrap());
    }
    let mut server = SpdyServer::new("x");
    server.handle_bytes(&bytes);
    while server.poll_recv().unwrap().is_some() {}
    assert_eq!(server.pending_streams(), MAX_CONCURRENT_STREAMS);
    let sent: Vec<Frame> = std::iter::from_fn(|| server.poll_transmit())
        .map(|w| w.frame)
        .collect();
    assert_eq!(sent.len(), MAX_CONCURRENT_STREAMS + 1);
    assert_eq!(
        sent.last(),
        Some(&Frame::RstStream(RstStream {
            flags: Flags::NONE,
            stream_id: 2 * opened - 1,
            status: RstStatus::REFUSED_STREAM
        }))
    );
}
