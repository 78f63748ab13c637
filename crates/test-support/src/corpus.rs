//! Seed inputs for the fuzz targets, made from the shipped scenarios: the
//! packets on the wire, each side's TLS records, the SPDY frames, the
//! certificates and header blocks inside them, and the scenario files
//! themselves.
//!
//! Each target's input format is the one its harness in `fuzz/` reads;
//! the two actor targets and the X.509 target start with a mode byte
//! ([`RAW`] or [`MUTATE`]).

use std::collections::BTreeMap;
use std::path::Path;

use tlsim_net::PacketTap;
use tlsim_scenario::{RunOptions, load_file, run_in};
use tlsim_sim::{Event, Instant, Kind, Layer};
use tlsim_tls::codec::{Codec, Reader};
use tlsim_tls::enums::ContentType;
use tlsim_tls::msgs::HandshakeMessage;
use tlsim_tls::record::Record;

/// Mode byte: the rest of the input is raw bytes for the parser or actor.
pub const RAW: u8 = 0;
/// Mode byte: the rest of the input chooses mutations of a good exchange.
pub const MUTATE: u8 = 1;

/// Packets kept per scenario: enough for every kind of segment, few enough
/// to keep the corpus small.
const PACKETS_PER_SCENARIO: usize = 24;

/// Every target's seed inputs: target name to (file name, bytes), sorted.
pub type Corpus = BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>;

/// Keeps every packet, as the network sent it.
#[derive(Default)]
struct Packets(Vec<Vec<u8>>);

impl PacketTap for Packets {
    fn packet(&mut self, _time: Instant, bytes: &[u8]) {
        self.0.push(bytes.to_vec());
    }
}

/// What one run of one scenario carried.
struct Recording {
    packets: Vec<Vec<u8>>,
    /// The TLS bytes each (connection, sender) wrote, in order.
    tls: BTreeMap<(u32, String), Vec<u8>>,
    /// The SPDY frames each (connection, sender) wrote, in order.
    spdy: BTreeMap<(u32, String), Vec<u8>>,
}

fn record(path: &Path) -> Result<Recording, String> {
    let scenario = load_file(path).map_err(|e| e.to_string())?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut events: Vec<Event> = Vec::new();
    let mut packets = Packets::default();
    run_in(
        &scenario,
        base,
        scenario.seed,
        RunOptions::default(),
        &mut events,
        &mut packets,
    )?;
    let mut tls = BTreeMap::<_, Vec<u8>>::new();
    let mut spdy = BTreeMap::<_, Vec<u8>>::new();
    for event in events.iter().filter(|e| e.kind == Kind::Send) {
        let (Some(conn), Some(bytes)) = (event.conn, &event.bytes) else {
            continue;
        };
        let stream = match event.layer {
            Layer::Tls => &mut tls,
            Layer::Spdy => &mut spdy,
            _ => continue,
        };
        stream
            .entry((conn, event.actor.clone()))
            .or_default()
            .extend_from_slice(bytes);
    }
    Ok(Recording {
        packets: packets.0,
        tls,
        spdy,
    })
}

/// The records of a stream, as far as they parse.
fn records(stream: &[u8]) -> Vec<Record> {
    let mut r = Reader::new(stream);
    std::iter::from_fn(|| Record::read(&mut r).ok()).collect()
}

/// The plaintext handshake messages of a stream: those before its
/// ChangeCipherSpec, joined across records.
fn handshake_messages(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut joined = Vec::new();
    for record in records(stream) {
        match record.typ {
            ContentType::ChangeCipherSpec => break,
            ContentType::Handshake => joined.extend_from_slice(&record.fragment),
            _ => {}
        }
    }
    let mut r = Reader::new(&joined);
    let mut messages = Vec::new();
    while !r.is_empty() {
        let start = r.position();
        if HandshakeMessage::read(&mut r).is_err() {
            break;
        }
        messages.push(joined[start..r.position()].to_vec());
    }
    messages
}

fn with_mode(mode: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend_from_slice(bytes);
    out
}

/// Mutation inputs worth starting from: for each flight of a handshake,
/// drop, duplicate, reorder and flip its units (see
/// [`decode_mutations`](crate::flight::decode_mutations)).
fn mutation_seeds() -> BTreeMap<String, Vec<u8>> {
    let mut seeds = BTreeMap::new();
    seeds.insert("mutate-none".into(), vec![MUTATE]);
    for flight in 0..2u8 {
        for (kind, name) in [
            (0u8, "flip"),
            (1, "cut"),
            (2, "drop"),
            (3, "dup"),
            (4, "swap"),
        ] {
            for unit in 0..4u8 {
                let input = [MUTATE, flight, kind, unit, 0x21];
                seeds.insert(format!("mutate-{name}-f{flight}-u{unit}"), input.to_vec());
            }
        }
    }
    seeds
}

/// Builds every target's seed inputs from the `.ron` files in
/// `scenarios`, run with their own seeds.
///
/// # Errors
/// A scenario that does not load or run, named with its error.
pub fn build(scenarios: &Path) -> Result<Corpus, String> {
    let mut paths: Vec<_> = std::fs::read_dir(scenarios)
        .map_err(|e| format!("{}: {e}", scenarios.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    paths.sort();
    let mut corpus = Corpus::new();
    let mut add = |target: &'static str, name: String, bytes: Vec<u8>| {
        corpus.entry(target).or_default().insert(name, bytes);
    };
    for path in &paths {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let source = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        add("scenario_load", stem.clone(), source);
        let recording = record(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, packet) in recording
            .packets
            .iter()
            .take(PACKETS_PER_SCENARIO)
            .enumerate()
        {
            add("net_wire", format!("{stem}-{n:03}"), packet.clone());
        }
        for ((conn, actor), stream) in &recording.tls {
            let name = format!("{stem}-c{conn}-{actor}");
            // The client's stream drives a server, and the server's a client.
            let target = if actor.contains("client") {
                "tls_server"
            } else {
                "tls_client"
            };
            add(target, name.clone(), with_mode(RAW, stream));
            add("tls_codecs", name.clone(), stream.clone());
            for (n, record) in records(stream).iter().enumerate() {
                let mut bytes = Vec::new();
                record.encode(&mut bytes);
                add("tls_dissect", format!("{name}-r{n}"), bytes);
            }
            for (n, message) in handshake_messages(stream).into_iter().enumerate() {
                if let Ok(HandshakeMessage::Certificate(certs)) =
                    HandshakeMessage::from_bytes(&message)
                {
                    for (i, der) in certs.chain.iter().enumerate() {
                        add("x509", format!("{name}-cert{i}"), with_mode(RAW, der));
                    }
                }
                add("tls_codecs", format!("{name}-hs{n}"), message);
            }
        }
        for ((conn, actor), stream) in &recording.spdy {
            let name = format!("{stem}-c{conn}-{actor}");
            add("spdy_frames", name.clone(), stream.clone());
            let mut reader = tlsim_spdy::FrameReader::new();
            reader.feed(stream);
            let mut n = 0;
            while let Ok(Some(wire)) = reader.next_frame() {
                if let Some(block) = wire.frame.header_block() {
                    if let Ok(plain) = block.encode_plain() {
                        add("spdy_header_block", format!("{name}-h{n}"), plain);
                        n += 1;
                    }
                }
            }
        }
    }
    for (name, bytes) in mutation_seeds() {
        add("tls_server", name.clone(), bytes.clone());
        add("tls_client", name, bytes);
    }
    for cert in 0..2u8 {
        for (at, xor) in [
            (0u16, 1u8),
            (10, 0x80),
            (200, 4),
            (400, 0x10),
            (u16::MAX, 1),
        ] {
            let mut input = vec![MUTATE, cert];
            input.extend_from_slice(&at.to_be_bytes());
            input.push(xor);
            add("x509", format!("mutate-cert{cert}-at{at}"), input);
        }
    }
    Ok(corpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_gets_seeds_from_the_shipped_scenarios() {
        let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let corpus = build(&scenarios).unwrap();
        let targets: Vec<_> = corpus.keys().copied().collect();
        assert_eq!(
            targets,
            [
                "net_wire",
                "scenario_load",
                "spdy_frames",
                "spdy_header_block",
                "tls_client",
                "tls_codecs",
                "tls_dissect",
                "tls_server",
                "x509",
            ]
        );
        // Raw streams from the scenarios, besides the mutation seeds.
        for target in ["tls_client", "tls_server", "x509"] {
            assert!(
                corpus[target]
                    .values()
                    .any(|input| input[0] == RAW && input.len() > 100)
            );
        }
        // The documented session's three certificates reach the X.509 target.
        assert!(corpus["x509"].contains_key("google-spdy-c1-server-cert2"));
    }
}
