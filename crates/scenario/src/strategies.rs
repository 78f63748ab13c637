//! proptest strategies for whole scenarios (feature `strategies`): generated
//! networks, TLS configurations and an on-path attacker, each case written as
//! a scenario file. A failing case prints as RON with its seed inside, ready
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
//! `crates/scenario/tests/properties.rs` runs such cases and checks what
//! must hold of them.

use proptest::prelude::*;

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
        let (suite, version) = SUITES[self.suite];
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
    pki: (
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
    ),
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
