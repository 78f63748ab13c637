//! A session with a real server, written as a scenario that replays it
//! offline (`tlsim connect --record`).
//!
//! Each connection's socket keeps a [`Transcript`]: the bytes that crossed
//! it each way, in order, and how the server closed. [`Recording::write`]
//! turns them into a scenario in which a `Listen(replay: …)` per
//! connection takes the server's place: it sends the server's TLS records
//! as they were, each once the client's records that came before it in
//! the session have arrived and match the recorded ones. The client is the scenario's own, with its random
//! stream's seed pinned to the session's (`pins: (rng_seed: …)`), so that
//! it draws again the randoms, session ID, key shares and IVs it drew
//! then: the server's records, TLS 1.3's encrypted ones too, are then
//! exactly what it expects, on any seed and over any network. A TLS 1.3
//! ticket's age is the clock's, not the stream's: a connection that
//! offered one gets a profile of its own pinning the obfuscated ages its
//! Client Hellos sent (`pins: (obfuscated_ticket_ages: …)`).
//!
//! A client certificate's chain and key are written beside the scenario,
//! so that its CertificateVerify, deterministic given the key and the
//! random stream, is signed again as it was.
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
use tlsim_tls::codec::Codec;
use tlsim_tls::enums::{AlertLevel, ContentType, HandshakeType};
use tlsim_tls::msgs::ClientHello;
use tlsim_tls::msgs::psk::offered_psks;

use super::{RealConn, RealError, RealOptions, Sinks, connect_keeping};
use crate::codepoints::AlertName;
use crate::ends::TlsOutcome;
use crate::pki;
use crate::schema::{Action, At, KeyKind, ReplayStep, Scenario, TlsClient};
use crate::units::Time;
use tlsim_sim::Duration;
use tlsim_tls::crypto::sign::SigningKey;

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

    /// Every byte this end wrote, in order.
    fn sent_bytes(&self) -> Vec<u8> {
        (self.crossings.iter())
            .filter_map(|c| match c {
                Crossing::Sent(b) => Some(b.as_slice()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .concat()
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

/// Runs every connection of the scenario against the real server at
/// `addr` as [`connect`](super::connect) does, keeping their transcripts.
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
    Recording::check(scenario, base)?;
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

/// How long after the last step of a connection the next one opens in a
/// recorded scenario. The session ran them one after another; in the
/// replay the client must hold what the one before left (its session, to
/// resume) before it says hello again, over a slow or lossy link too.
const NEXT_CONNECTION_AFTER: Duration = Duration::from_secs(10);

/// One connection of the scenario as the recorded scenario opens it.
struct Opened<'s> {
    conn: &'s RealConn,
    from: &'s str,
    to: &'s str,
    /// The port of its own replaying listener.
    port: u16,
    profile: &'s str,
    /// When it opens in the recorded scenario, and when in the original.
    at: Duration,
    original_at: Duration,
}

/// A file written beside a recorded scenario: its name and bytes.
type Beside = (String, Vec<u8>);

impl Recording<'_> {
    /// Whether `scenario` can be recorded: it opens at least one
    /// connection, each from a TLS client (with or without a
    /// conversation); a client certificate's key must not depend on the
    /// run's seed once written out (a P-256 key or a key file, not a P-384
    /// or Ed25519 key made from the seed).
    ///
    /// # Errors
    /// [`RealError::Scenario`] saying what stands in the way.
    pub fn check(scenario: &Scenario, base: &Path) -> Result<(), RealError> {
        let refuse = |why: String| Err(RealError::Scenario(format!("cannot --record: {why}")));
        let mut opened = 0;
        for step in &scenario.timeline {
            let Action::Connect { conn, tls, .. } = &step.1 else {
                continue;
            };
            opened += 1;
            let Some(profile) = tls.as_ref() else {
                return refuse(format!("connection {} has no TLS client profile", conn.0));
            };
            for profile in profiles_from(scenario, &profile.0) {
                if let Some(key) = &profile.key
                    && let Err(why) = key_entry(scenario, base, &key.0, "")
                {
                    return refuse(why);
                }
            }
        }
        if opened == 0 {
            return refuse("the timeline opens no connection".into());
        }
        Ok(())
    }

    /// Writes the scenario replaying `conns` (the session's connections,
    /// in order) to `path`, and beside it the client's trust anchors
    /// (`NAME.trust.pem`) and, for a client with a certificate, its chain
    /// (`NAME.PROFILE.chain.pem`) and a copy of its key file; each through
    /// a temporary file renamed into place, the scenario last, after
    /// checking that it loads.
    ///
    /// # Errors
    /// [`RealError::Io`] when a file cannot be written;
    /// [`RealError::Scenario`] when a connection was not recorded, or the
    /// written scenario does not load (a bug).
    pub fn write(&self, conns: &[RealConn], path: &Path) -> Result<(), RealError> {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let (text, beside) = self.render(conns, &stem)?;
        for (name, bytes) in &beside {
            write_atomically(&path.with_file_name(name), bytes).map_err(RealError::Io)?;
        }
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

    /// Where and when each of `conns` opens in the recorded scenario: on
    /// the port of its first `Connect` and the ports after it, one
    /// listener each; the first at its time, each later one
    /// [`NEXT_CONNECTION_AFTER`] the last step of the one before.
    fn open<'s>(&'s self, conns: &'s [RealConn]) -> Result<Vec<Opened<'s>>, RealError> {
        let problem = |e: String| Err(RealError::Scenario(e));
        let mut opened: Vec<Opened<'s>> = Vec::new();
        for conn in conns {
            let found = self
                .scenario
                .timeline
                .iter()
                .find_map(|step| match &step.1 {
                    Action::Connect {
                        conn: c,
                        from,
                        to,
                        port,
                        tls,
                        ..
                    } if c.0 == conn.name => Some((step.0.0, from, to, *port, tls)),
                    _ => None,
                });
            let Some((original_at, from, to, first_port, tls)) = found else {
                return problem(format!("no connection {} in the scenario", conn.name));
            };
            let (port, at) = match opened.last() {
                None => (Some(first_port), original_at),
                Some(before) => {
                    let last = (self.steps_of(before).map(|(t, _)| t))
                        .fold(before.original_at, Duration::max);
                    let (port, lasted) = (
                        before.port.checked_add(1),
                        last.saturating_sub(before.original_at),
                    );
                    (port, before.at + lasted + NEXT_CONNECTION_AFTER)
                }
            };
            let Some(port) = port else {
                return problem("too many connections for one port each".into());
            };
            opened.push(Opened {
                conn,
                from: &from.0,
                to: &to.0,
                port,
                profile: tls.as_ref().map(|t| t.0.as_str()).unwrap_or_default(),
                at,
                original_at,
            });
        }
        Ok(opened)
    }

    /// The timeline's steps of `opened`'s client end, at their times in the
    /// original scenario.
    fn steps_of<'s>(
        &'s self,
        opened: &'s Opened<'_>,
    ) -> impl Iterator<Item = (Duration, &'s Action)> {
        self.scenario.timeline.iter().filter_map(move |step| {
            let ours = match &step.1 {
                Action::Send { conn, from, .. }
                | Action::Close { conn, from }
                | Action::Abort { conn, from }
                | Action::KeyUpdate { conn, from, .. }
                | Action::Renegotiate { conn, from } => {
                    conn.0 == opened.conn.name && from.0 == opened.from
                }
                _ => false,
            };
            ours.then_some((step.0.0, &step.1))
        })
    }

    /// The scenario's text, and the files it names.
    fn render(&self, conns: &[RealConn], stem: &str) -> Result<(String, Vec<Beside>), RealError> {
        let scenario = self.scenario;
        let problem = |e: String| RealError::Scenario(e);
        let opened = self.open(conns)?;
        // The PKI as the session built it: from the scenario's own seed.
        let built = pki::build(&scenario.pki, scenario.seed, self.base).map_err(problem)?;
        let trust_file = format!("{stem}.trust.pem");
        let mut anchors: Vec<&[u8]> = Vec::new();
        let (mut keys, mut certs, mut beside) = (Vec::new(), Vec::new(), Vec::new());
        let mut profiles: Vec<TlsClient> = Vec::new();
        for profile in opened
            .iter()
            .flat_map(|o| profiles_from(scenario, o.profile))
        {
            if profiles.iter().any(|p| p.name == profile.name) {
                continue;
            }
            let mut client = profile.clone();
            for der in client.trust.iter().flat_map(|c| &built.certs[&c.0]) {
                if !anchors.contains(&der.as_slice()) {
                    anchors.push(der);
                }
            }
            if !client.trust.is_empty() {
                client.trust = vec![crate::CertName(TRUST.to_string())];
            }
            client.pins.rng_seed = Some(self.seed);
            if let Some(key) = &client.key {
                // The chain as sent, its key as the session signed with.
                let chain_file = format!("{stem}.{}.chain.pem", client.name);
                let chain_name = format!("{}-chain", client.name);
                let pem: String = (client.chain.iter().flat_map(|c| &built.certs[&c.0]))
                    .map(|der| tlsim_tls::crypto::pem::encode("CERTIFICATE", der))
                    .collect();
                beside.push((chain_file.clone(), pem.into_bytes()));
                certs.push(format!(
                    "Cert(name: {chain_name:?}, file: {chain_file:?}, key: {:?})",
                    key.0
                ));
                let (entry, file) =
                    key_entry(scenario, self.base, &key.0, stem).map_err(problem)?;
                if !keys.contains(&entry) {
                    keys.push(entry);
                    beside.extend(file);
                }
                client.chain = vec![crate::CertName(chain_name)];
            }
            profiles.push(client);
        }
        // A connection that offered a TLS 1.3 ticket reported its age by
        // the real clock: it gets a profile of its own that pins the
        // obfuscated ages its Client Hellos sent and keeps the tickets
        // with its profile's.
        let mut own_profiles: Vec<(&str, String)> = Vec::new();
        for o in &opened {
            let ages = (o.conn.transcript.as_ref())
                .map(|t| offered_ticket_ages(&t.sent_bytes()))
                .unwrap_or_default();
            let Some(base) = profiles.iter().find(|p| p.name == o.profile) else {
                continue;
            };
            if ages.is_empty() {
                continue;
            }
            let mut own = base.clone();
            own.name = format!("{}@{}", base.name, o.conn.name);
            own.share_tickets_with =
                Some(base.share_tickets_with.clone().unwrap_or(base.name.clone()));
            own.pins.obfuscated_ticket_ages = ages;
            own_profiles.push((&o.conn.name, own.name.clone()));
            profiles.push(own);
        }
        let anchors_pem: String = (anchors.iter())
            .map(|der| tlsim_tls::crypto::pem::encode("CERTIFICATE", der))
            .collect();
        beside.push((trust_file.clone(), anchors_pem.into_bytes()));
        certs.insert(0, format!("Cert(name: {TRUST:?}, file: {trust_file:?})"));

        let mut hosts: Vec<&str> = Vec::new();
        let mut links: Vec<[&str; 2]> = Vec::new();
        for o in &opened {
            for h in [o.from, o.to] {
                if !hosts.contains(&h) {
                    hosts.push(h);
                }
            }
            if !links
                .iter()
                .any(|l| l == &[o.from, o.to] || l == &[o.to, o.from])
            {
                links.push([o.from, o.to]);
            }
        }
        let date = tlsim_sim::calendar::format_utc(self.epoch_unix);
        let peer = conns
            .first()
            .map(|c| c.peer.to_string())
            .unwrap_or_default();
        let mut out = String::new();
        let w = &mut out;
        // Writing to a String cannot fail.
        let _ = writeln!(
            w,
            "// A session with the TLS server at {peer}, recorded on {date} by\n\
             //     tlsim connect {peer} {} --record …\n\
             // The server is replaced by a replay of the records it sent, each sent once\n\
             // the client's records before it have arrived as they were recorded, one\n\
             // listener per connection. The client is the scenario's, its random stream\n\
             // pinned to the session's seed (pins.rng_seed), so that it draws what it\n\
             // drew then. TCP is tlsim's own.",
            self.source
        );
        let _ = writeln!(w, "Scenario(");
        let _ = writeln!(w, "    name: {:?},", format!("{}-recorded", scenario.name));
        let names: Vec<&str> = opened.iter().map(|o| o.conn.name.as_str()).collect();
        let _ = writeln!(
            w,
            "    description: {:?},",
            format!(
                "{}'s connections {} replayed from a session with the server at {peer} on {date}.",
                scenario.name,
                names.join(", ")
            )
        );
        let _ = writeln!(w, "    seed: {},", scenario.seed);
        let _ = writeln!(w, "    hosts: [");
        for name in &hosts {
            let Some(h) = scenario.hosts.iter().find(|h| h.name == *name) else {
                return Err(problem(format!("host {name} is not in the scenario")));
            };
            let _ = writeln!(w, "        Host(name: {:?}, addr: \"{}\"),", h.name, h.addr);
        }
        let _ = writeln!(w, "    ],");
        let _ = writeln!(w, "    links: [");
        for [a, b] in &links {
            let _ = writeln!(
                w,
                "        Link(between: ({a:?}, {b:?}), conditions: (latency: \"5ms\")),"
            );
        }
        let _ = writeln!(w, "    ],");
        let _ = writeln!(
            w,
            "    // The roots the client trusted in the session, and its own certificates;\n    \
             // the chain is checked at the session's date.\n    \
             pki: (\n        epoch: {date:?},"
        );
        if !keys.is_empty() {
            let _ = writeln!(w, "        keys: [{}],", keys.join(", "));
        }
        let _ = writeln!(w, "        certificates: [{}],", certs.join(", "));
        let _ = writeln!(w, "    ),");
        let _ = writeln!(w, "    tls: (clients: [");
        for client in &profiles {
            if !client.pins.obfuscated_ticket_ages.is_empty() {
                let _ = writeln!(
                    w,
                    "        // The ticket ages its connection sent, by the session's clock"
                );
            }
            let _ = writeln!(w, "{},", indented(&ron_of(client)?, 8));
        }
        let _ = writeln!(w, "    ]),");
        let _ = writeln!(w, "    listen: [");
        for o in &opened {
            let transcript = (o.conn.transcript.as_ref())
                .ok_or_else(|| problem(format!("connection {} was not recorded", o.conn.name)))?;
            let _ = writeln!(
                w,
                "        // {}'s server\n        Listen(host: {:?}, port: {}, replay: (steps: [",
                o.conn.name, o.to, o.port
            );
            write_replay(w, transcript);
            let _ = writeln!(w, "        ])),");
        }
        let _ = writeln!(w, "    ],");
        let _ = writeln!(w, "    timeline: [");
        for o in &opened {
            let mut connect = None;
            for step in &scenario.timeline {
                let mut action = step.1.clone();
                if let Action::Connect {
                    conn, port, tls, ..
                } = &mut action
                    && conn.0 == o.conn.name
                {
                    *port = o.port;
                    if let Some((_, own)) = own_profiles.iter().find(|(c, _)| *c == conn.0) {
                        *tls = Some(crate::TlsClientName(own.clone()));
                    }
                    connect = Some(At(Time(o.at), action));
                }
            }
            let steps = (connect.into_iter()).chain(self.steps_of(o).map(|(t, action)| {
                At(Time(o.at + t.saturating_sub(o.original_at)), action.clone())
            }));
            for step in steps {
                let _ = writeln!(w, "{},", indented(&ron_of(&step)?, 8));
            }
        }
        let _ = writeln!(w, "    ],");
        let _ = writeln!(w, "    expect: (");
        let complete: Vec<_> = (opened.iter())
            .filter(|o| o.conn.end.tls == Some(TlsOutcome::Complete))
            .collect();
        if !complete.is_empty() {
            let _ = writeln!(w, "        events: [");
            for o in complete {
                let _ = writeln!(
                    w,
                    "            (title: \"TLS handshake complete\", actor: {:?}),",
                    o.from
                );
            }
            let _ = writeln!(w, "        ],");
        }
        let _ = writeln!(w, "        alerts: [");
        for o in &opened {
            let (conn, from) = (&o.conn.name, o.from);
            if o.conn.end.alerts_sent.is_empty() {
                let _ = writeln!(w, "            NoAlert(conn: {conn:?}, from: {from:?}),");
            }
            for alert in &o.conn.end.alerts_sent {
                let level = match alert.level {
                    AlertLevel::Fatal => "Fatal",
                    _ => "Warning",
                };
                let _ = writeln!(
                    w,
                    "            Alert(conn: {conn:?}, from: {from:?}, level: {level}, description: \"{}\"),",
                    AlertName(alert.description)
                );
            }
        }
        let _ = writeln!(w, "        ],");
        let _ = writeln!(w, "    ),");
        let _ = writeln!(w, ")");
        Ok((out, beside))
    }
}

/// The replay steps of one connection's server, each record with a
/// comment saying what it holds.
fn write_replay(w: &mut String, transcript: &Transcript) {
    // Records so far: the client's, the server's.
    let mut counts = [0, 0];
    for step in transcript.replay_steps() {
        let (side, record, step_name) = match &step {
            ReplayStep::Receive(b) => (0, b, "Receive"),
            ReplayStep::Send(b) => (1, b, "Send"),
            ReplayStep::Close => {
                let _ = writeln!(
                    w,
                    "            // the server closed (FIN)\n            Close,"
                );
                continue;
            }
            ReplayStep::Abort => {
                let _ = writeln!(
                    w,
                    "            // the server reset the connection\n            Abort,"
                );
                continue;
            }
        };
        counts[side] += 1;
        let _ = writeln!(
            w,
            "            // {} record {}: {}\n            {step_name}(\"{}\"),",
            ["client", "server"][side],
            counts[side],
            describe(record),
            tlsim_tls::codec::hex(record)
        );
    }
}

/// The client profile `name` and those it shares tickets with.
fn profiles_from<'s>(scenario: &'s Scenario, name: &str) -> Vec<&'s TlsClient> {
    let mut found: Vec<&TlsClient> = Vec::new();
    let mut next = Some(name);
    while let Some(name) = next.filter(|n| !found.iter().any(|p| p.name == *n)) {
        let profile = client_profile(scenario, name);
        found.push(profile);
        next = profile.share_tickets_with.as_deref();
    }
    found
}

/// The recorded scenario's entry for the client's key `name`, the same
/// on every seed, and the copy of its file to write beside it (as
/// `STEM.NAME.key.EXT`): a P-256 key as its scalar, a key file copied.
/// A P-384 or Ed25519 key made from the seed is refused: tlsim cannot
/// write it out.
fn key_entry(
    scenario: &Scenario,
    base: &Path,
    name: &str,
    stem: &str,
) -> Result<(String, Option<Beside>), String> {
    let key = (scenario.pki.keys.iter())
        .find(|k| k.name == name)
        .expect("validated key name");
    match &key.kind {
        KeyKind::P256Scalar(_) => Ok((ron_of(key).map_err(|e| e.to_string())?, None)),
        KeyKind::P256 => {
            let built = pki::build(
                &crate::schema::Pki {
                    keys: vec![key.clone()],
                    ..Default::default()
                },
                scenario.seed,
                base,
            )?;
            let SigningKey::EcdsaP256(made) = &*built.keys[name] else {
                return Err(format!("key {name:?}: P256 made another kind of key"));
            };
            let scalar = tlsim_tls::codec::hex(&made.to_bytes());
            Ok((
                format!("Key(name: {name:?}, kind: P256Scalar({scalar:?}))"),
                None,
            ))
        }
        KeyKind::RsaPem(file) | KeyKind::File(file) => {
            let bytes = fs::read(base.join(file))
                .map_err(|e| format!("cannot read the client's key file {file:?}: {e}"))?;
            let extension = Path::new(file).extension().unwrap_or_default();
            let copy = format!("{stem}.{name}.key.{}", extension.to_string_lossy());
            let entry = format!("Key(name: {name:?}, kind: File({copy:?}))");
            Ok((entry, Some((copy, bytes))))
        }
        KeyKind::P384 | KeyKind::Ed25519 => Err(format!(
            "the client's key {name:?} is a P-384 or Ed25519 key made from the seed, which \
             cannot be written out: load it from a file (Key(kind: File(…)))"
        )),
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
        match handshake_messages(body) {
            Some(messages) => {
                let names: Vec<String> = (messages.iter())
                    .map(|(kind, _)| kind.to_string())
                    .collect();
                text += &format!(": {}", names.join(", "));
            }
            None => text += ", encrypted",
        }
    } else if typ == ContentType::ApplicationData || (typ == ContentType::Alert && body.len() != 2)
    {
        text += ", encrypted";
    }
    text
}

/// The handshake messages (type and body) that make up the whole of a
/// plaintext Handshake record's `body` (RFC 8446 §4: a type, a 24-bit
/// length); `None` when it does not split into them, as an encrypted
/// record does not.
fn handshake_messages(body: &[u8]) -> Option<Vec<(HandshakeType, &[u8])>> {
    let mut messages = Vec::new();
    let mut rest = body;
    while let [kind, a, b, c, after @ ..] = rest {
        let len = (usize::from(*a) << 16) | (usize::from(*b) << 8) | usize::from(*c);
        let message = after.get(..len)?;
        messages.push((HandshakeType::from(*kind), message));
        rest = &after[len..];
    }
    (rest.is_empty() && !messages.is_empty()).then_some(messages)
}

/// RFC 8446 §4.2.11: the obfuscated_ticket_age of each Client Hello in
/// `sent` (the client's bytes) that offers a ticket, in order: the one
/// value of a TLS 1.3 client's that comes from the clock, not from its
/// random stream, so the replay pins it.
fn offered_ticket_ages(sent: &[u8]) -> Vec<u32> {
    let mut start = 0;
    let mut ages = Vec::new();
    for end in record_ends(sent) {
        let record = &sent[start..end];
        start = end;
        if record.first().map(|&t| ContentType::from(t)) != Some(ContentType::Handshake) {
            continue;
        }
        let messages = handshake_messages(&record[RECORD_HEADER.min(record.len())..]);
        for (_, body) in
            (messages.into_iter().flatten()).filter(|(kind, _)| *kind == HandshakeType::ClientHello)
        {
            let offered = ClientHello::from_bytes(body)
                .ok()
                .and_then(|hello| offered_psks(&hello).ok().flatten());
            ages.extend(
                offered.and_then(|o| o.identities.first().map(|i| i.obfuscated_ticket_age)),
            );
        }
    }
    ages
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

    /// A Client Hello record offering a ticket reported `age` old.
    fn hello_offering(age: u32) -> Vec<u8> {
        use tlsim_tls::enums::{CipherSuite, CompressionMethod, ProtocolVersion};
        use tlsim_tls::msgs::psk::{OfferedPsks, PskBinder, PskIdentity};
        use tlsim_tls::msgs::tls13::Tls13Extension;
        use tlsim_tls::msgs::{Random, SessionId};
        let offered = OfferedPsks {
            identities: vec![PskIdentity {
                identity: vec![7; 16],
                obfuscated_ticket_age: age,
            }],
            binders: vec![PskBinder(vec![9; 32])],
        };
        let hello = ClientHello {
            client_version: ProtocolVersion::Tls12,
            random: Random([1; 32]),
            session_id: SessionId::empty(),
            cipher_suites: vec![CipherSuite::from(0x1301)],
            compression_methods: vec![CompressionMethod::Null],
            extensions: vec![offered.to_client_extension()],
        };
        let body = hello.to_bytes();
        let len = (body.len() as u32).to_be_bytes();
        record(22, &[&[1], &len[1..], &body].concat())
    }

    #[test]
    fn the_obfuscated_ticket_age_of_each_client_hello_is_read_in_order() {
        let plain = hello_offering(0).iter().map(|_| 0x55).collect::<Vec<u8>>();
        let sent = [
            hello_offering(0x0102_0304),
            record(20, &[1]),
            record(23, &plain),
            hello_offering(7),
            record(22, &[0xaa; 40]),
        ]
        .concat();
        assert_eq!(offered_ticket_ages(&sent), [0x0102_0304, 7]);
        assert_eq!(
            offered_ticket_ages(&record(22, &[1, 0, 0, 1, 9])),
            [0u32; 0]
        );
        assert_eq!(offered_ticket_ages(&[22, 3]), [0u32; 0]);
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

    /// What `check` says of one connection, with TLS or not, from a client
    /// whose certificate's key is of `key_kind`, when it has one.
    fn refusal(tls: bool, key_kind: Option<&str>) -> String {
        let tls = if tls { r#", tls: "client""# } else { "" };
        let (client, keys, certs) = match key_kind {
            Some(kind) => (
                r#", key: "k", chain: ["c"]"#,
                format!(r#"Key(name: "k", kind: {kind})"#),
                r#"Cert(name: "c", subject: (cn: "client"), key: "k", not_before: "2026-01-01T00:00:00Z", not_after: "2027-01-01T00:00:00Z")"#,
            ),
            None => ("", String::new(), ""),
        };
        let text = format!(
            r#"Scenario(
    name: "refused",
    hosts: [Host(name: "a", addr: "10.0.0.1"), Host(name: "b", addr: "10.0.0.2")],
    links: [Link(between: ("a", "b"))],
    pki: (keys: [{keys}], certificates: [{certs}]),
    tls: (clients: [TlsClient(name: "client"{client})]),
    listen: [Listen(host: "b", port: 443)],
    timeline: [At("0ms", Connect(conn: "c1", from: "a", to: "b", port: 443{tls}))],
)"#
        );
        let scenario = crate::parse(&text, "refused.ron").unwrap_or_else(|e| panic!("{e}"));
        match Recording::check(&scenario, Path::new(".")) {
            Err(e) => e.to_string(),
            Ok(()) => "accepted".into(),
        }
    }

    #[test]
    fn refuses_a_connection_without_tls_and_a_client_key_it_cannot_write_out() {
        assert_eq!(
            refusal(false, None),
            "cannot --record: connection c1 has no TLS client profile"
        );
        let p384 = refusal(true, Some("P384"));
        assert!(
            p384.contains("P-384 or Ed25519 key made from the seed"),
            "{p384}"
        );
        assert_eq!(refusal(true, Some("P256")), "accepted");
        assert_eq!(refusal(true, None), "accepted");
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
