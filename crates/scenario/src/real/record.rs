//! A session with a real server, written as a scenario that replays it
//! offline (`tlsim connect --record`).
//!
//! The socket keeps a [`Transcript`]: the bytes that crossed it each way,
//! in order, and how the server closed. [`Recording::write`] turns it into
//! a scenario in which a `Listen(replay: …)` takes the server's place: it
//! sends the server's TLS records as they were, each once the client's
//! records that came before it in the session have arrived and match the
//! recorded ones. The client is the scenario's own, with its random
//! stream's seed pinned to the session's (`pins: (rng_seed: …)`), so that
//! it draws again the randoms, session ID, key shares and IVs it drew
//! then: the server's records, TLS 1.3's encrypted ones too, are then
//! exactly what it expects, on any seed and over any network.
//!
//! What is not recorded: TCP (segments, timing, the kernel's
//! retransmissions), and the server's private keys (nothing needs them).

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ron::extensions::Extensions;
use ron::ser::PrettyConfig;
use serde::Serialize;
use tlsim_tls::enums::{AlertLevel, ContentType, HandshakeType};

use super::{RealConn, RealError, RealOptions, Sinks, connect_keeping};
use crate::codepoints::AlertName;
use crate::ends::TlsOutcome;
use crate::pki;
use crate::schema::{Action, ReplayStep, Scenario, TlsClient};

/// What crossed a real socket, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    crossings: Vec<Crossing>,
}

/// One thing that crossed the socket.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Crossing {
    /// Bytes this end wrote.
    Sent(Vec<u8>),
    /// Bytes the peer's side delivered.
    Received(Vec<u8>),
    /// The peer closed its side (a FIN).
    PeerClosed,
    /// The peer reset the connection.
    PeerReset,
}

/// The 5-byte header of a TLS record (RFC 5246 §6.2.1, RFC 8446 §5.1).
const RECORD_HEADER: usize = 5;

/// Where each record of a byte stream ends: by the length in its header,
/// the last piece being whatever is left when no whole record is.
fn record_ends(stream: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let len = match stream.get(at + 3..at + RECORD_HEADER) {
            Some(&[hi, lo]) => RECORD_HEADER + usize::from(u16::from_be_bytes([hi, lo])),
            _ => stream.len() - at,
        };
        at = (at + len).min(stream.len());
        ends.push(at);
    }
    ends
}

impl Transcript {
    pub(crate) fn sent(&mut self, bytes: &[u8]) {
        match self.crossings.last_mut() {
            Some(Crossing::Sent(b)) => b.extend_from_slice(bytes),
            _ => self.crossings.push(Crossing::Sent(bytes.to_vec())),
        }
    }

    pub(crate) fn received(&mut self, bytes: &[u8]) {
        match self.crossings.last_mut() {
            Some(Crossing::Received(b)) => b.extend_from_slice(bytes),
            _ => self.crossings.push(Crossing::Received(bytes.to_vec())),
        }
    }

    pub(crate) fn peer_closed(&mut self) {
        self.crossings.push(Crossing::PeerClosed);
    }

    pub(crate) fn peer_reset(&mut self) {
        self.crossings.push(Crossing::PeerReset);
    }

    /// The server's part as replay steps: each server record, and its
    /// close, after the client's whole records sent before its first
    /// byte arrived (all the server can have answered), then the
    /// client's records left.
    pub fn replay_steps(&self) -> Vec<ReplayStep> {
        let (mut client, mut server) = (Vec::new(), Vec::new());
        // (server stream offset, client bytes sent by then) per crossing
        // of the server's: its bytes, or its close at the stream's end.
        let mut marks = Vec::new();
        let mut close = None;
        for crossing in &self.crossings {
            match crossing {
                Crossing::Sent(b) => client.extend_from_slice(b),
                Crossing::Received(b) => {
                    marks.push((server.len(), client.len()));
                    server.extend_from_slice(b);
                }
                Crossing::PeerClosed if close.is_none() => {
                    close = Some((ReplayStep::Close, client.len()));
                }
                Crossing::PeerReset if close.is_none() => {
                    close = Some((ReplayStep::Abort, client.len()));
                }
                Crossing::PeerClosed | Crossing::PeerReset => {}
            }
        }
        let client_ends = record_ends(&client);
        let mut steps = Vec::new();
        let mut client_done = (0, 0); // (records, bytes) already expected
        let mut expect_client_up_to = |sent: usize, steps: &mut Vec<ReplayStep>| {
            while let Some(&end) = client_ends.get(client_done.0).filter(|&&e| e <= sent) {
                steps.push(ReplayStep::Receive(client[client_done.1..end].to_vec()));
                client_done = (client_done.0 + 1, end);
            }
        };
        let mut start = 0;
        for end in record_ends(&server) {
            let mark = marks.partition_point(|&(offset, _)| offset <= start);
            let sent_before = marks[mark - 1].1;
            expect_client_up_to(sent_before, &mut steps);
            steps.push(ReplayStep::Send(server[start..end].to_vec()));
            start = end;
        }
        if let Some((step, sent_before)) = close {
            expect_client_up_to(sent_before, &mut steps);
            steps.push(step);
        }
        expect_client_up_to(client.len(), &mut steps);
        steps
    }
}

/// Runs the scenario's one connection against the real server at `addr`
/// as [`connect`](super::connect) does, keeping its transcript.
///
/// # Errors
/// As `connect`, and when the scenario cannot be recorded
/// ([`Recording::check`]).
pub fn connect(
    scenario: &Scenario,
    base: &Path,
    addr: &str,
    opts: RealOptions,
    sinks: Sinks<'_>,
) -> Result<Vec<RealConn>, RealError> {
    Recording::check(scenario)?;
    connect_keeping(scenario, base, addr, opts, sinks, true)
}

/// What a recorded scenario is made from, besides the session itself.
pub struct Recording<'a> {
    /// The scenario whose client ran.
    pub scenario: &'a Scenario,
    /// The folder its files are relative to.
    pub base: &'a Path,
    /// How the scenario was named on the command line, for the comment.
    pub source: &'a str,
    /// The seed of the session's random streams.
    pub seed: u64,
    /// The calendar second of the session's time zero.
    pub epoch_unix: u64,
}

/// The trust anchors' certificate name in a recorded scenario.
const TRUST: &str = "trust";

impl Recording<'_> {
    /// Whether `scenario` can be recorded: one connection, from a TLS
    /// client (with or without a conversation) that shows no certificate
    /// of its own (its key would be the scenario's, made from the run's
    /// seed).
    ///
    /// # Errors
    /// [`RealError::Scenario`] saying what stands in the way.
    pub fn check(scenario: &Scenario) -> Result<(), RealError> {
        let refuse = |why: &str| Err(RealError::Scenario(format!("cannot --record: {why}")));
        let connects: Vec<_> = (scenario.timeline.iter())
            .filter_map(|step| match &step.1 {
                Action::Connect { tls, .. } => Some(tls),
                _ => None,
            })
            .collect();
        let [tls] = connects.as_slice() else {
            return refuse("the timeline must open exactly one connection");
        };
        let Some(profile) = tls.as_ref() else {
            return refuse("the connection has no TLS client profile");
        };
        let client = client_profile(scenario, &profile.0);
        if client.key.is_some() || !client.chain.is_empty() {
            return refuse("a client with a certificate of its own is not supported");
        }
        Ok(())
    }

    /// Writes the scenario replaying `conn` to `path`, and the client's
    /// trust anchors beside it (`NAME.trust.pem`), each through a
    /// temporary file renamed into place, after checking that the
    /// scenario loads.
    ///
    /// # Errors
    /// [`RealError::Io`] when a file cannot be written;
    /// [`RealError::Scenario`] when the session was not recorded, or the
    /// written scenario does not load (a bug).
    pub fn write(&self, conn: &RealConn, path: &Path) -> Result<(), RealError> {
        let transcript = (conn.transcript.as_ref())
            .ok_or_else(|| RealError::Scenario("the session was not recorded".into()))?;
        let pem_name = format!(
            "{}.trust.pem",
            path.file_stem().unwrap_or_default().to_string_lossy()
        );
        let (text, anchors) = self.render(conn, transcript, &pem_name)?;
        let pem_path = path.with_file_name(&pem_name);
        let pem: String = (anchors.iter())
            .map(|der| tlsim_tls::crypto::pem::encode("CERTIFICATE", der))
            .collect();
        write_atomically(&pem_path, pem.as_bytes()).map_err(RealError::Io)?;
        let temp = temporary(path);
        fs::write(&temp, &text).map_err(RealError::Io)?;
        if let Err(e) = crate::load_file(&temp) {
            let _ = fs::remove_file(&temp);
            return Err(RealError::Scenario(format!(
                "the recorded scenario does not load: {e}"
            )));
        }
        fs::rename(&temp, path).map_err(RealError::Io)
    }

    /// The scenario's text, and the DER of the trust anchors it names.
    fn render(
        &self,
        conn: &RealConn,
        transcript: &Transcript,
        pem_name: &str,
    ) -> Result<(String, Vec<Vec<u8>>), RealError> {
        let scenario = self.scenario;
        let problem = |e: String| RealError::Scenario(e);
        let opened = scenario.timeline.iter().find_map(|step| match &step.1 {
            Action::Connect {
                conn: c,
                from,
                to,
                port,
                tls,
                ..
            } if c.0 == conn.name => Some((from, to, port, tls)),
            _ => None,
        });
        let Some((from, to, port, tls)) = opened else {
            return Err(problem(format!(
                "no connection {} in the scenario",
                conn.name
            )));
        };
        let profile_name = tls.as_ref().map(|t| t.0.as_str()).unwrap_or_default();
        // The PKI as the session built it: from the scenario's own seed.
        let built = pki::build(&scenario.pki, scenario.seed, self.base).map_err(problem)?;
        let mut client = client_profile(scenario, profile_name).clone();
        let anchors: Vec<Vec<u8>> = (client.trust.iter())
            .flat_map(|c| built.certs[&c.0].iter().cloned())
            .collect();
        client.trust = vec![crate::CertName(TRUST.to_string())];
        client.pins.rng_seed = Some(self.seed);
        let host = |name: &str| scenario.hosts.iter().find(|h| h.name == name);
        let (Some(client_host), Some(server_host)) = (host(&from.0), host(&to.0)) else {
            return Err(problem(
                "the connection's hosts are not in the scenario".into(),
            ));
        };
        let date = tlsim_sim::calendar::format_utc(self.epoch_unix);
        let mut out = String::new();
        let w = &mut out;
        // Writing to a String cannot fail.
        let _ = writeln!(
            w,
            "// A session with the TLS server at {}, recorded on {date} by\n\
             //     tlsim connect {} {} --record …\n\
             // The server is replaced by a replay of the records it sent, each sent once\n\
             // the client's records before it have arrived as they were recorded. The\n\
             // client is the scenario's, its random stream pinned to the session's seed\n\
             // (pins.rng_seed), so that it draws what it drew then. TCP is tlsim's own.",
            conn.peer, conn.peer, self.source
        );
        let _ = writeln!(w, "Scenario(");
        let _ = writeln!(w, "    name: {:?},", format!("{}-recorded", scenario.name));
        let _ = writeln!(
            w,
            "    description: {:?},",
            format!(
                "{}'s connection {} replayed from a session with the server at {} on {date}.",
                scenario.name, conn.name, conn.peer
            )
        );
        let _ = writeln!(w, "    seed: {},", scenario.seed);
        let _ = writeln!(w, "    hosts: [");
        for h in [client_host, server_host] {
            let _ = writeln!(w, "        Host(name: {:?}, addr: \"{}\"),", h.name, h.addr);
        }
        let _ = writeln!(w, "    ],");
        let _ = writeln!(
            w,
            "    links: [Link(between: ({:?}, {:?}), conditions: (latency: \"5ms\"))],",
            client_host.name, server_host.name
        );
        let _ = writeln!(
            w,
            "    // The roots the client trusted in the session; the chain is checked at its date.\n    \
             pki: (epoch: {date:?}, certificates: [Cert(name: {TRUST:?}, file: {pem_name:?})]),"
        );
        let _ = writeln!(w, "    tls: (clients: [");
        let _ = writeln!(w, "{},", indented(&ron_of(&client)?, 8));
        let _ = writeln!(w, "    ]),");
        let _ = writeln!(w, "    listen: [");
        let _ = writeln!(
            w,
            "        Listen(host: {:?}, port: {port}, replay: (steps: [",
            server_host.name
        );
        let mut client_records = 0;
        let mut server_records = 0;
        for step in transcript.replay_steps() {
            match &step {
                ReplayStep::Receive(b) => {
                    client_records += 1;
                    let _ = writeln!(
                        w,
                        "            // client record {client_records}: {}",
                        describe(b)
                    );
                    let _ = writeln!(w, "            Receive(\"{}\"),", tlsim_tls::codec::hex(b));
                }
                ReplayStep::Send(b) => {
                    server_records += 1;
                    let _ = writeln!(
                        w,
                        "            // server record {server_records}: {}",
                        describe(b)
                    );
                    let _ = writeln!(w, "            Send(\"{}\"),", tlsim_tls::codec::hex(b));
                }
                ReplayStep::Close => {
                    let _ = writeln!(
                        w,
                        "            // the server closed (FIN)\n            Close,"
                    );
                }
                ReplayStep::Abort => {
                    let _ = writeln!(
                        w,
                        "            // the server reset the connection\n            Abort,"
                    );
                }
            }
        }
        let _ = writeln!(w, "        ])),");
        let _ = writeln!(w, "    ],");
        let _ = writeln!(w, "    timeline: [");
        for step in &scenario.timeline {
            let ours = match &step.1 {
                Action::Connect { conn: c, .. } => c.0 == conn.name,
                Action::Send {
                    conn: c, from: f, ..
                }
                | Action::Close { conn: c, from: f }
                | Action::Abort { conn: c, from: f }
                | Action::KeyUpdate {
                    conn: c, from: f, ..
                } => c.0 == conn.name && f.0 == from.0,
                _ => false,
            };
            if ours {
                let _ = writeln!(w, "{},", indented(&ron_of(step)?, 8));
            }
        }
        let _ = writeln!(w, "    ],");
        let _ = writeln!(w, "    expect: (");
        if conn.end.tls == Some(TlsOutcome::Complete) {
            let _ = writeln!(
                w,
                "        events: [(title: \"TLS handshake complete\", actor: {:?})],",
                from.0
            );
        }
        let _ = writeln!(w, "        alerts: [");
        if conn.end.alerts_sent.is_empty() {
            let _ = writeln!(
                w,
                "            NoAlert(conn: {:?}, from: {:?}),",
                conn.name, from.0
            );
        }
        for alert in &conn.end.alerts_sent {
            let level = match alert.level {
                AlertLevel::Fatal => "Fatal",
                _ => "Warning",
            };
            let _ = writeln!(
                w,
                "            Alert(conn: {:?}, from: {:?}, level: {level}, description: \"{}\"),",
                conn.name,
                from.0,
                AlertName(alert.description)
            );
        }
        let _ = writeln!(w, "        ],");
        let _ = writeln!(w, "    ),");
        let _ = writeln!(w, ")");
        Ok((out, anchors))
    }
}

fn client_profile<'s>(scenario: &'s Scenario, name: &str) -> &'s TlsClient {
    (scenario.tls.clients.iter())
        .find(|c| c.name == name)
        .expect("validated TLS client profile")
}

/// A record for a comment: its content type and length, and the
/// handshake messages it holds when they can be read (not encrypted).
fn describe(record: &[u8]) -> String {
    let Some(&typ) = record.first() else {
        return "empty".into();
    };
    let typ = ContentType::from(typ);
    let body = record.get(RECORD_HEADER..).unwrap_or_default();
    let mut text = format!("{typ}, {} bytes", record.len());
    if typ == ContentType::Handshake {
        let mut names = Vec::new();
        let mut rest = body;
        while let [kind, a, b, c, after @ ..] = rest {
            let len = (usize::from(*a) << 16) | (usize::from(*b) << 8) | usize::from(*c);
            let Some(next) = after.get(len..) else { break };
            names.push(HandshakeType::from(*kind).to_string());
            rest = next;
        }
        if rest.is_empty() && !names.is_empty() {
            text += &format!(": {}", names.join(", "));
        } else {
            text += ", encrypted";
        }
    } else if typ == ContentType::ApplicationData || (typ == ContentType::Alert && body.len() != 2)
    {
        text += ", encrypted";
    }
    text
}

/// `value` in RON as the loader reads it (`Some` left implicit).
fn ron_of<T: Serialize>(value: &T) -> Result<String, RealError> {
    ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .to_string_pretty(value, PrettyConfig::new().struct_names(true))
        .map_err(|e| RealError::Scenario(format!("cannot write the scenario: {e}")))
}

/// `text` with every line indented by `by` spaces.
fn indented(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    (text.lines())
        .map(|line| format!("{pad}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where `path` is written before it is renamed into place.
fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temporary(path);
    fs::write(&temp, bytes)?;
    fs::rename(&temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![typ, 3, 3];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    #[test]
    fn each_server_record_waits_for_the_client_records_sent_before_it_arrived() {
        let hello = record(22, &[1, 0, 0, 1, 9]);
        let (sh, cert) = (record(22, &[2, 0, 0, 0]), record(22, &[11, 0, 0, 0]));
        let (ccs, fin) = (record(20, &[1]), record(22, &[0xaa; 40]));
        let mut t = Transcript::default();
        t.sent(&hello);
        // The server's flight comes in two reads, the second cutting a
        // record; the client's answer goes out in two writes.
        t.received(&[sh.clone(), cert[..3].to_vec()].concat());
        t.received(&cert[3..]);
        t.sent(&ccs);
        t.sent(&fin);
        t.received(&ccs);
        t.peer_closed();
        use ReplayStep::*;
        assert_eq!(
            t.replay_steps(),
            [
                Receive(hello),
                Send(sh),
                Send(cert),
                Receive(ccs.clone()),
                Receive(fin),
                Send(ccs),
                Close,
            ]
        );
    }

    #[test]
    fn a_cut_record_at_the_end_is_kept_as_it_came() {
        let mut t = Transcript::default();
        t.sent(&[22, 3, 1, 0, 10, 1]);
        t.received(&[21, 3, 3]);
        t.peer_reset();
        use ReplayStep::*;
        assert_eq!(
            t.replay_steps(),
            [
                Receive(vec![22, 3, 1, 0, 10, 1]),
                Send(vec![21, 3, 3]),
                Abort
            ]
        );
    }

    #[test]
    fn describes_plain_handshake_records_by_their_messages() {
        let flight = [[2, 0, 0, 1, 7].as_slice(), &[14, 0, 0, 0]].concat();
        assert_eq!(
            describe(&record(22, &flight)),
            "Handshake (22), 14 bytes: Server Hello (2), Server Hello Done (14)"
        );
        assert_eq!(
            describe(&record(22, &[0x55; 40])),
            "Handshake (22), 45 bytes, encrypted"
        );
        assert_eq!(describe(&record(21, &[2, 40])), "Alert (21), 7 bytes");
    }
}
