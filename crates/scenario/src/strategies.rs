//! proptest strategies for whole scenarios (feature `strategies`): generated
//! networks, TLS configurations, an on-path attacker, and message-level
//! mutations of a handshake ([`message_mutation`]: a scripted peer skips,
//! duplicates, reorders, fragments, coalesces, truncates, pads or retypes
//! one of its messages, or changes a length or a byte of it), each case
//! written as a scenario file. A failing case prints as RON with its seed inside, ready
//! to save, replay with `tlsim check`, sweep and shrink.
//!
//! ```
//! use proptest::prelude::*;
//! use tlsim_scenario::strategies::{network, tls_case};
//!
//! proptest!(|(case in tls_case(network()))| {
//!     let scenario = tlsim_scenario::parse(&case.to_ron(), "case.ron").unwrap();
//!     prop_assert_eq!(scenario.seed, case.seed);
//! });
//! ```
//!
//! `crates/scenario/tests/properties.rs` and `crates/scenario/tests/mutations.rs`
//! run such cases and check what must hold of them.

use core::fmt;
use core::ops::Range;

use proptest::prelude::*;
use tlsim_tls::codec::hex;

/// Link conditions and TCP settings of a generated two-host network.
#[derive(Clone, Debug)]
pub struct Network {
    /// One-way latency, microseconds.
    pub latency_us: u32,
    /// Bandwidth, Mbit/s.
    pub mbit: u32,
    /// Loss, duplication and reordering probabilities.
    pub loss: f64,
    /// See `loss`.
    pub duplicate: f64,
    /// See `loss`.
    pub reorder: f64,
    /// The hosts' MSS.
    pub mss: u16,
    /// Delayed ACKs (40 ms) or none.
    pub delayed_ack: bool,
}

impl Network {
    /// 5 ms, 100 Mbit/s, nothing lost, duplicated or reordered.
    pub fn quiet() -> Self {
        Network {
            latency_us: 5000,
            mbit: 100,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            mss: 1460,
            delayed_ack: true,
        }
    }
}

/// Networks from 0.1 to 20 ms and 1 to 200 Mbit/s, with up to 20 % loss,
/// 10 % duplication and 20 % reordering, and MSS from 536 to 1459.
pub fn network() -> impl Strategy<Value = Network> {
    (
        100u32..20_000,
        1u32..200,
        0.0..0.2f64,
        0.0..0.1f64,
        0.0..0.2f64,
        536u16..1460,
        any::<bool>(),
    )
        .prop_map(
            |(latency_us, mbit, loss, duplicate, reorder, mss, delayed_ack)| Network {
                latency_us,
                mbit,
                loss,
                duplicate,
                reorder,
                mss,
                delayed_ack,
            },
        )
}

/// The suite and version pairs tlsim runs with an ECDSA certificate.
pub const SUITES: [(&str, &str); 8] = [
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS 1.2"),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS 1.2"),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS 1.1"),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS 1.0"),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS 1.2"),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS 1.2"),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS 1.2"),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS 1.0"),
];

/// The `pki` and `tls` sections of a generated case: a root and a P-256
/// leaf for `server.test`, and a client profile "c" and a server profile
/// "s" that both run only [`SUITES`]`[suite]`.
fn pki_and_tls(suite: usize) -> String {
    let (suite, version) = SUITES[suite];
    format!(
        r#"    pki: (
        keys: [Key(name: "root", kind: P256), Key(name: "leaf", kind: P256)],
        certificates: [
            Cert(name: "root", subject: (cn: "Root"), key: "root", ca: true,
                 not_before: "2010-01-01T00:00:00Z", not_after: "2030-01-01T00:00:00Z"),
            Cert(name: "leaf", subject: (cn: "server.test"), key: "leaf", issuer: "root", dns_names: ["server.test"],
                 not_before: "2010-01-01T00:00:00Z", not_after: "2030-01-01T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [TlsClient(name: "c", min_version: "{version}", max_version: "{version}", cipher_suites: ["{suite}"],
                            groups: ["x25519", "secp256r1"], server_name: "server.test", trust: ["root"])],
        servers: [TlsServer(name: "s", cipher_suites: ["{suite}"], groups: ["secp256r1", "x25519"],
                            chain: ["leaf"], key: "leaf")],
    ),"#
    )
}

/// An on-path attacker's change to one of the server's segments with data:
/// the `nth`, payload byte `byte`, bits `xor` (see the `Tamper` fault).
#[derive(Clone, Copy, Debug)]
pub struct Tamper {
    /// Which of the server's segments with data, from 1.
    pub nth: u32,
    /// Offset into its payload.
    pub byte: u32,
    /// Bits flipped, never 0.
    pub xor: u8,
}

/// Any of the first five server segments, any byte of a full one, any bits.
pub fn tamper() -> impl Strategy<Value = Tamper> {
    (1u32..6, 0u32..1500, 1u8..=255).prop_map(|(nth, byte, xor)| Tamper { nth, byte, xor })
}

/// One TLS connection: a full handshake, `request` bytes from the client,
/// `response` from the server, close after 30 s; both ends are expected to
/// finish CLOSED with every byte delivered.
#[derive(Clone, Debug)]
pub struct TlsCase {
    /// The network.
    pub network: Network,
    /// Index into [`SUITES`].
    pub suite: usize,
    /// Pattern bytes the client sends.
    pub request: usize,
    /// Pattern bytes the server sends.
    pub response: usize,
    /// The scenario's seed.
    pub seed: u64,
    /// An attacker, if any.
    pub tamper: Option<Tamper>,
}

/// TLS cases over `network`, with any suite, up to 40,000 bytes each way
/// and any seed; no attacker.
pub fn tls_case(network: impl Strategy<Value = Network>) -> impl Strategy<Value = TlsCase> {
    (
        network,
        0..SUITES.len(),
        1usize..40_000,
        1usize..40_000,
        any::<u64>(),
    )
        .prop_map(|(network, suite, request, response, seed)| TlsCase {
            network,
            suite,
            request,
            response,
            seed,
            tamper: None,
        })
}

impl TlsCase {
    /// The case as a scenario file.
    pub fn to_ron(&self) -> String {
        let net = &self.network;
        let pki_and_tls = pki_and_tls(self.suite);
        let (request, response, seed) = (self.request, self.response, self.seed);
        let faults = match self.tamper {
            Some(Tamper { nth, byte, xor }) => format!(
                "        At(\"0ms\", Fault(action: Tamper(byte: {byte}, xor: {xor}), nth: {nth}, \
                 matching: (from: \"server\", payload: true))),\n"
            ),
            None => String::new(),
        };
        format!(
            r#"Scenario(
    name: "generated",
    seed: {seed},
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "{lat}us", bandwidth: "{mbit}Mbit/s",
        loss: {loss}, duplicate: {dup}, reorder: {reorder}, reorder_delay: "3ms"))],
    tcp: (mss: {mss}, delayed_ack: "{dack}"),
{pki_and_tls}
    listen: [Listen(host: "server", port: 443, tls: "s")],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "c")),
        At("0ms", Send(conn: "c1", from: "client", data: Pattern({request}))),
        At("0ms", Send(conn: "c1", from: "server", data: Pattern({response}))),
{faults}        At("30s", Close(conn: "c1", from: "client")),
    ],
    expect: (
        delivered: [(conn: "c1", to: "server", bytes: {request}), (conn: "c1", to: "client", bytes: {response})],
        states: [(conn: "c1", host: "client", state: "CLOSED"), (conn: "c1", host: "server", state: "CLOSED")],
        // In a full handshake the server completes first: the client waits for its Finished.
        events: [(title: "TLS handshake complete", actor: "server"), (title: "TLS handshake complete", actor: "client")],
    ),
)"#,
            lat = net.latency_us,
            mbit = net.mbit,
            loss = net.loss,
            dup = net.duplicate,
            reorder = net.reorder,
            mss = net.mss,
            dack = if net.delayed_ack { "40ms" } else { "0" },
        )
    }
}

/// Which of tlsim's actors receives a mutated flight. The other end is a
/// conversation that plays an honest full handshake (RFC 5246 §7.3) but
/// for one [`Change`] to one of the messages it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Victim {
    /// tlsim's server, facing a scripted client.
    Server,
    /// tlsim's client, facing a scripted server.
    Client,
}

/// A message the scripted end sends in its honest handshake.
struct Planned {
    /// The message as a conversation writes it.
    ron: &'static str,
    /// Its name in a mutation's description.
    name: &'static str,
    /// Its record content type (RFC 5246 §6.2.1).
    content_type: u8,
    /// Its handshake type; 0 for a message of another content type.
    handshake_type: u8,
    /// The body position of the low byte of its first length field, if it
    /// has one.
    length_at: Option<usize>,
    /// Body bytes that only the Finished exchange covers (RFC 5246
    /// §7.4.9): the scripted end, whose keys and transcript no longer
    /// match its peer's once they change, stops there, so its peer is
    /// left waiting for a Finished and never gets to judge them.
    finished_only: Option<Range<usize>>,
}

const HANDSHAKE: u8 = 22;
const CHANGE_CIPHER_SPEC: u8 = 20;
const APPLICATION_DATA: u8 = 23;

/// RFC 5246 §7.1, sent by either end.
const CHANGE_CIPHER_SPEC_MESSAGE: Planned = Planned {
    ron: "ChangeCipherSpec()",
    name: "ChangeCipherSpec",
    content_type: CHANGE_CIPHER_SPEC,
    handshake_type: 0,
    length_at: None,
    finished_only: None,
};

/// RFC 5246 §7.4.9, sent by either end; `verify_data` has no length field.
const FINISHED: Planned = Planned {
    ron: "Finished()",
    name: "Finished",
    content_type: HANDSHAKE,
    handshake_type: 20,
    length_at: None,
    finished_only: None,
};

/// A flight of the scripted end: what it sends, then what it waits for.
struct Flight {
    sends: &'static [Planned],
    then_expect: &'static [&'static str],
}

/// The scripted client facing tlsim's server: its Client Hello; then its
/// key exchange, ChangeCipherSpec, Finished and a request, at once.
const CLIENT_FLIGHTS: [Flight; 2] = [
    Flight {
        sends: &[Planned {
            ron: "ClientHello()",
            name: "Client Hello",
            content_type: HANDSHAKE,
            handshake_type: 1,
            // RFC 5246 §7.4.1.2: client_version (2), random (32), then the
            // session_id length.
            length_at: Some(34),
            finished_only: None,
        }],
        then_expect: &[
            "ServerHello()",
            "Certificate",
            "ServerKeyExchange",
            "ServerHelloDone",
        ],
    },
    Flight {
        sends: &[
            Planned {
                ron: "ClientKeyExchange()",
                name: "Client Key Exchange",
                content_type: HANDSHAKE,
                handshake_type: 16,
                // RFC 8422 §5.7: the public point's length byte.
                length_at: Some(0),
                finished_only: None,
            },
            CHANGE_CIPHER_SPEC_MESSAGE,
            FINISHED,
            Planned {
                ron: "ApplicationData(text: \"ping\")",
                name: "request",
                content_type: APPLICATION_DATA,
                handshake_type: 0,
                length_at: None,
                finished_only: None,
            },
        ],
        then_expect: &[
            "ChangeCipherSpec",
            "Finished",
            "ApplicationData(text: \"pong\")",
        ],
    },
];

/// The scripted server facing tlsim's client: its hello flight; then its
/// ChangeCipherSpec, Finished and a response, at once.
const SERVER_FLIGHTS: [Flight; 2] = [
    Flight {
        sends: &[
            Planned {
                ron: "ServerHello()",
                name: "Server Hello",
                content_type: HANDSHAKE,
                handshake_type: 2,
                // RFC 5246 §7.4.1.3: server_version (2), random (32), then
                // the session_id length.
                length_at: Some(34),
                // The random, the session_id length and a 32-byte session_id.
                finished_only: Some(2..67),
            },
            Planned {
                ron: "Certificate()",
                name: "Certificate",
                content_type: HANDSHAKE,
                handshake_type: 11,
                // RFC 5246 §7.4.2: the 24-bit certificate_list length.
                length_at: Some(2),
                finished_only: None,
            },
            Planned {
                ron: "ServerKeyExchange()",
                name: "Server Key Exchange",
                content_type: HANDSHAKE,
                handshake_type: 12,
                // RFC 8422 §5.4: curve_type (1), named_curve (2), then the
                // public point's length byte.
                length_at: Some(3),
                finished_only: None,
            },
            Planned {
                ron: "ServerHelloDone",
                name: "Server Hello Done",
                content_type: HANDSHAKE,
                handshake_type: 14,
                length_at: None,
                finished_only: None,
            },
        ],
        then_expect: &["ClientKeyExchange", "ChangeCipherSpec", "Finished"],
    },
    Flight {
        sends: &[
            CHANGE_CIPHER_SPEC_MESSAGE,
            FINISHED,
            Planned {
                ron: "ApplicationData(text: \"pong\")",
                name: "response",
                content_type: APPLICATION_DATA,
                handshake_type: 0,
                length_at: None,
                finished_only: None,
            },
        ],
        then_expect: &["ApplicationData(text: \"ping\")"],
    },
];

impl Victim {
    fn flights(self) -> &'static [Flight; 2] {
        match self {
            Victim::Server => &CLIENT_FLIGHTS,
            Victim::Client => &SERVER_FLIGHTS,
        }
    }

    /// The scripted end's messages in the order sent, each with its flight.
    fn sends(self) -> impl Iterator<Item = (usize, &'static Planned)> {
        (self.flights().iter().enumerate())
            .flat_map(|(flight, f)| f.sends.iter().map(move |p| (flight, p)))
    }

    /// How many messages a [`Change`] may target: every one but the
    /// application data that closes the last flight.
    fn targets(self) -> usize {
        self.sends().count() - 1
    }

    fn planned(self, index: usize) -> (usize, &'static Planned) {
        self.sends()
            .nth(index)
            .expect("targets are generated in range")
    }

    /// The message sent after `index` in the same flight, if any.
    fn next_in_flight(self, index: usize) -> Option<&'static Planned> {
        let (flight, _) = self.planned(index);
        self.sends()
            .nth(index + 1)
            .filter(|(f, _)| *f == flight)
            .map(|(_, p)| p)
    }

    /// The application bytes tlsim's actor sends once the handshake is
    /// complete, and the ones it must receive.
    fn victim_says(self) -> (&'static str, &'static str) {
        match self {
            Victim::Server => ("pong", "ping"),
            Victim::Client => ("ping", "pong"),
        }
    }

    fn host(self) -> &'static str {
        match self {
            Victim::Server => "server",
            Victim::Client => "client",
        }
    }
}

/// What happens to the targeted message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// It is not sent.
    Skip,
    /// It is sent twice.
    Duplicate,
    /// It is sent after the next message of its flight.
    Reorder,
    /// It is cut into records of at most this many bytes.
    Fragment(usize),
    /// It shares one record with the next message of its flight.
    Coalesce,
    /// Only the first this many bytes of its body are sent (the handshake
    /// header's length says so).
    Truncate(usize),
    /// These bytes follow its body, inside the handshake length.
    Pad(Vec<u8>),
    /// The low byte of its first length field is XORed with this mask.
    Length(u8),
    /// Its body's byte `at` is XORed with `mask`.
    Xor {
        /// Position in the body.
        at: usize,
        /// Bits flipped, never 0.
        mask: u8,
    },
    /// Its handshake type is this one instead.
    Retype(u8),
}

/// One change to one message of the scripted end's handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageMutation {
    /// The actor the mutated message goes to.
    pub victim: Victim,
    /// Which message, counted from 0 in the order the scripted end sends.
    pub target: usize,
    /// What happens to it.
    pub change: Change,
}

impl MessageMutation {
    /// The `Send` step of the targeted message, with the change's options.
    fn mutated_send(&self, ron: &str) -> String {
        let options = match &self.change {
            Change::Fragment(n) => format!("fragment: {n}"),
            Change::Coalesce => "coalesce: true".to_owned(),
            Change::Truncate(len) => format!("body: [Truncate({len})]"),
            Change::Pad(bytes) => format!("body: [Append(\"{}\")]", hex(bytes)),
            Change::Length(mask) => {
                let (_, planned) = self.victim.planned(self.target);
                let at = planned
                    .length_at
                    .expect("generated only with a length field");
                format!("body: [Xor(at: {at}, mask: \"{mask:02x}\")]")
            }
            Change::Xor { at, mask } => format!("body: [Xor(at: {at}, mask: \"{mask:02x}\")]"),
            Change::Retype(typ) => format!("plaintext: [Set(at: 0, bytes: \"{typ:02x}\")]"),
            Change::Skip | Change::Duplicate | Change::Reorder => String::new(),
        };
        if options.is_empty() {
            format!("Send(message: {ron})")
        } else {
            format!("Send(message: {ron}, {options})")
        }
    }

    /// The scripted end's steps: its honest handshake with the change.
    fn steps(&self) -> Vec<String> {
        // A server speaks second (RFC 5246 §7.3).
        let mut steps = match self.victim {
            Victim::Server => Vec::new(),
            Victim::Client => vec!["Expect(ClientHello())".to_owned()],
        };
        let mut sends = self.victim.sends().enumerate().peekable();
        for (number, flight) in self.victim.flights().iter().enumerate() {
            let mut flight_steps = Vec::new();
            while let Some((index, (_, planned))) = sends.next_if(|(_, (f, _))| *f == number) {
                let plain = format!("Send(message: {})", planned.ron);
                if index != self.target {
                    flight_steps.push(plain);
                    continue;
                }
                match self.change {
                    Change::Skip => {}
                    Change::Duplicate => flight_steps.extend([plain.clone(), plain]),
                    Change::Reorder => {
                        // Sent after the next one: generated only where
                        // the flight has a next one.
                        let (_, (_, next)) = sends.next().expect("a next message in the flight");
                        flight_steps.push(format!("Send(message: {})", next.ron));
                        flight_steps.push(plain);
                    }
                    _ => flight_steps.push(self.mutated_send(planned.ron)),
                }
            }
            steps.extend(flight_steps);
            steps.extend(flight.then_expect.iter().map(|e| format!("Expect({e})")));
        }
        steps
    }
}

impl fmt::Display for MessageMutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (_, planned) = self.victim.planned(self.target);
        let name = planned.name;
        let next = || {
            self.victim
                .next_in_flight(self.target)
                .map_or("", |n| n.name)
        };
        match self.victim {
            Victim::Server => f.write_str("a scripted client, to tlsim's server, ")?,
            Victim::Client => f.write_str("a scripted server, to tlsim's client, ")?,
        }
        match &self.change {
            Change::Skip => write!(f, "skips its {name}"),
            Change::Duplicate => write!(f, "sends its {name} twice"),
            Change::Reorder => write!(f, "sends its {name} after its {}", next()),
            Change::Fragment(n) => write!(f, "sends its {name} in records of {n} bytes"),
            Change::Coalesce => write!(f, "sends its {name} in one record with its {}", next()),
            Change::Truncate(n) => write!(f, "cuts the body of its {name} to {n} bytes"),
            Change::Pad(bytes) => write!(f, "adds {} after the body of its {name}", hex(bytes)),
            Change::Length(mask) => {
                write!(
                    f,
                    "XORs the first length field of its {name} with {mask:02x}"
                )
            }
            Change::Xor { at, mask } => {
                write!(
                    f,
                    "XORs byte {at} of the body of its {name} with {mask:02x}"
                )
            }
            Change::Retype(typ) => write!(f, "sends its {name} as handshake type {typ}"),
        }
    }
}

/// Handshake types swapped in for a message's own: every type of RFC 5246
/// §7.4 and one that no RFC defines.
const HANDSHAKE_TYPES: [u8; 12] = [0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20, 99];

/// Any single change to any message the scripted end sends to `victim`.
///
/// Left out, as changes after which the peer rightly waits on (and no
/// alert can be due): skipping, or sending a HelloRequest (ignored while
/// negotiating, RFC 5246 §7.4.1.1) in place of, the last message before
/// the scripted end waits; and changes to bytes that only the Finished
/// exchange covers (see `Planned::finished_only`).
pub fn message_mutation(victim: Victim) -> impl Strategy<Value = MessageMutation> {
    (0..victim.targets()).prop_flat_map(move |target| {
        changes(victim, target).prop_map(move |change| MessageMutation {
            victim,
            target,
            change,
        })
    })
}

/// The changes generated for message `target` of `victim`'s peer.
fn changes(victim: Victim, target: usize) -> impl Strategy<Value = Change> {
    let (_, planned) = victim.planned(target);
    let next = victim.next_in_flight(target);
    let hidden = planned.finished_only.clone().unwrap_or(0..0);
    let positions = (0usize..80).prop_filter("only the Finished covers it", move |at| {
        !hidden.contains(at)
    });
    let mut options: Vec<BoxedStrategy<Change>> = vec![
        Just(Change::Duplicate).boxed(),
        (1usize..=16).prop_map(Change::Fragment).boxed(),
        prop::collection::vec(any::<u8>(), 1..=4)
            .prop_map(Change::Pad)
            .boxed(),
        (positions, 1u8..=255)
            .prop_map(|(at, mask)| Change::Xor { at, mask })
            .boxed(),
    ];
    if next.is_some() {
        options.push(Just(Change::Skip).boxed());
        options.push(Just(Change::Reorder).boxed());
    }
    if next.is_some_and(|n| n.content_type == planned.content_type) {
        options.push(Just(Change::Coalesce).boxed());
    }
    if planned.length_at.is_some() {
        options.push((1u8..=255).prop_map(Change::Length).boxed());
    }
    match planned.content_type {
        HANDSHAKE => {
            // Every body but the Server Hello Done's (empty) is longer.
            options.push((0usize..12).prop_map(Change::Truncate).boxed());
            let own = planned.handshake_type;
            let types: Vec<u8> = (HANDSHAKE_TYPES.iter().copied())
                .filter(|&t| t != own && (t != 0 || next.is_some()))
                .collect();
            options.push(prop::sample::select(types).prop_map(Change::Retype).boxed());
        }
        CHANGE_CIPHER_SPEC => options.push(Just(Change::Truncate(0)).boxed()),
        _ => {}
    }
    proptest::strategy::Union::new(options)
}

/// One handshake between tlsim's actor and a scripted peer that makes one
/// change to its messages: the suite, the seed and the change.
#[derive(Clone, Debug)]
pub struct MutationCase {
    /// The change.
    pub mutation: MessageMutation,
    /// Index into [`SUITES`].
    pub suite: usize,
    /// The scenario's seed.
    pub seed: u64,
}

/// Mutation cases against `victim`, with any suite and seed.
pub fn mutation_case(victim: Victim) -> impl Strategy<Value = MutationCase> {
    (message_mutation(victim), 0..SUITES.len(), any::<u64>()).prop_map(|(mutation, suite, seed)| {
        MutationCase {
            mutation,
            suite,
            seed,
        }
    })
}

impl MutationCase {
    /// The case as a scenario file: the scripted end waits at most 5 s for
    /// each message, and tlsim's actor sends its 4 bytes once the
    /// handshake is complete.
    pub fn to_ron(&self) -> String {
        let pki_and_tls = pki_and_tls(self.suite);
        let victim = self.mutation.victim;
        let steps: String = (self.mutation.steps().iter())
            .map(|step| format!("                {step},\n"))
            .collect();
        let conversation = format!(
            ", conversation: (\n            steps: [\n{steps}            ],\n            patience: \"5s\",\n        )"
        );
        let (client_script, server_script) = match victim {
            Victim::Server => (conversation.as_str(), ""),
            Victim::Client => ("", conversation.as_str()),
        };
        let (says, _) = victim.victim_says();
        format!(
            r#"Scenario(
    name: "mutated",
    description: "{mutation}",
    seed: {seed},
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "5ms"))],
{pki_and_tls}
    listen: [Listen(host: "server", port: 443, tls: "s"{server_script})],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "c"{client_script})),
        At("0ms", Send(conn: "c1", from: "{host}", data: Text("{says}"))),
    ],
)
"#,
            mutation = self.mutation,
            seed = self.seed,
            host = victim.host(),
        )
    }
}
