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

/// The TCP payload of a raw-IPv4 pcap in each direction (to the server,
/// to the client) of the connection to `server_port`, in sequence order; a
/// segment seen twice counts once.
pub(crate) fn streams(pcap: &[u8], server_port: u16) -> [Vec<u8>; 2] {
    let mut segments: [BTreeMap<u32, Vec<u8>>; 2] = Default::default();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let len = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        let packet = &pcap[at + 16..at + 16 + len];
        at += 16 + len;
        let ip_len = usize::from(packet[0] & 0x0f) * 4;
        let tcp = &packet[ip_len..usize::from(u16::from_be_bytes([packet[2], packet[3]]))];
        let src_port = u16::from_be_bytes([tcp[0], tcp[1]]);
        let dst_port = u16::from_be_bytes([tcp[2], tcp[3]]);
        let seq = u32::from_be_bytes(tcp[4..8].try_into().unwrap());
        let payload = &tcp[usize::from(tcp[12] >> 4) * 4..];
        if !payload.is_empty() && (src_port == server_port || dst_port == server_port) {
            let direction = usize::from(dst_port != server_port);
            segments[direction]
                .entry(seq)
                .or_insert_with(|| payload.to_vec());
        }
    }
    segments.map(|by_seq| by_seq.into_values().flatten().collect())
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
