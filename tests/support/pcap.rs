//! The TLS records of each direction of a connection in a pcap, and
//! comparing two captures record by record.

use std::collections::BTreeMap;

/// One TLS record: content type, version, body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) typ: u8,
    pub(crate) version: u16,
    pub(crate) body: Vec<u8>,
}

/// One TCP segment of a raw-IPv4 pcap.
struct Segment<'p> {
    /// Source and destination, address and port.
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    /// A SYN without ACK: the connecting side's first segment.
    opens: bool,
    seq: u32,
    payload: &'p [u8],
}

fn segments(pcap: &[u8]) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let len = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        let packet = &pcap[at + 16..at + 16 + len];
        at += 16 + len;
        let ip_len = usize::from(packet[0] & 0x0f) * 4;
        let tcp = &packet[ip_len..usize::from(u16::from_be_bytes([packet[2], packet[3]]))];
        let address = |at: usize| -> [u8; 4] { packet[at..at + 4].try_into().unwrap() };
        out.push(Segment {
            from: (address(12), u16::from_be_bytes([tcp[0], tcp[1]])),
            to: (address(16), u16::from_be_bytes([tcp[2], tcp[3]])),
            opens: tcp[13] & 0x12 == 0x02,
            seq: u32::from_be_bytes(tcp[4..8].try_into().unwrap()),
            payload: &tcp[usize::from(tcp[12] >> 4) * 4..],
        });
    }
    out
}

/// One TCP connection of a capture.
pub(crate) struct Connection {
    /// The port of the side that did not send the SYN.
    pub(crate) server_port: u16,
    /// The payload each way (to the server, to the client), in sequence
    /// order; a segment seen twice counts once.
    pub(crate) streams: [Vec<u8>; 2],
}

/// The TCP connections of a raw-IPv4 pcap in the order they opened: the
/// side that sent the SYN is the client.
pub(crate) fn connections(pcap: &[u8]) -> Vec<Connection> {
    type Directions = [BTreeMap<u32, Vec<u8>>; 2];
    // (client, server) endpoints and what crossed, per connection.
    let mut found: Vec<(_, Directions)> = Vec::new();
    for s in segments(pcap) {
        let known =
            (found.iter()).position(|(ends, _)| *ends == (s.from, s.to) || *ends == (s.to, s.from));
        let index = match known {
            Some(index) => index,
            None if s.opens => {
                found.push(((s.from, s.to), Directions::default()));
                found.len() - 1
            }
            None => panic!("a segment of a connection whose SYN is not in the capture"),
        };
        let (ends, directions) = &mut found[index];
        if !s.payload.is_empty() {
            let direction = usize::from(s.from != ends.0);
            (directions[direction].entry(s.seq)).or_insert_with(|| s.payload.to_vec());
        }
    }
    (found.into_iter())
        .map(|((_, server), directions)| Connection {
            server_port: server.1,
            streams: directions.map(|by_seq| by_seq.into_values().flatten().collect()),
        })
        .collect()
}

/// The payload each way (to the server, to the client) of the one
/// connection of a raw-IPv4 pcap to `server_port`.
pub(crate) fn streams(pcap: &[u8], server_port: u16) -> [Vec<u8>; 2] {
    let mut to_port = connections(pcap)
        .into_iter()
        .filter(|c| c.server_port == server_port);
    let (Some(only), None) = (to_port.next(), to_port.next()) else {
        panic!("not exactly one connection to port {server_port}");
    };
    only.streams
}

pub(crate) fn records(mut stream: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    while stream.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([stream[3], stream[4]]));
        out.push(Record {
            typ: stream[0],
            version: u16::from_be_bytes([stream[1], stream[2]]),
            body: stream[5..5 + len].to_vec(),
        });
        stream = &stream[5 + len..];
    }
    assert!(stream.is_empty(), "a partial record at the end of a stream");
    out
}

/// Every record, both ways, of `replayed` is that of `captured`, which
/// holds at least `min_records` each way.
pub(crate) fn assert_same_records(
    captured: &[Vec<u8>; 2],
    replayed: &[Vec<u8>; 2],
    min_records: usize,
) {
    for (direction, (captured, replayed)) in ["to the server", "to the client"]
        .iter()
        .zip(captured.iter().zip(replayed))
    {
        let (captured, replayed) = (records(captured), records(replayed));
        assert!(
            captured.len() >= min_records,
            "{direction}: {} records",
            captured.len()
        );
        for (i, (want, got)) in captured.iter().zip(&replayed).enumerate() {
            assert_eq!(
                (want.typ, want.version, want.body.len()),
                (got.typ, got.version, got.body.len()),
                "{direction}, record {i}: content type, version, length"
            );
            assert!(
                want.body == got.body,
                "{direction}, record {i} (type {}): bytes differ\n  captured {}\n  replayed {}",
                want.typ,
                hex(&want.body),
                hex(&got.body)
            );
        }
        assert_eq!(captured.len(), replayed.len(), "{direction}: record count");
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
