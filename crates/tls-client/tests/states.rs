//! The declared transitions of both actors: their renderings under
//! `docs/` and in each crate's `states` module doc match the tables, and
//! in-memory handshakes take every declared transition that a pair can
//! reach.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tlsim_test_support::flight::{Unit, tamper_units};
use tlsim_test_support::{
    Direction, LeafKey, Pair, Pki, client_config, client_pki, pki, server_config,
    server_config_asking,
};
use tlsim_tls::conn::ticket::TicketKey;
use tlsim_tls::conn::{Declaration, RenegotiationPolicy, StateName, Trigger};
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::crypto::ticket::Tls13TicketKey;
use tlsim_tls::enums::{
    CipherSuite, ContentType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use tlsim_tls_client::config::TicketStore;
use tlsim_tls_client::states::{ClientState, TRANSITIONS as CLIENT};
use tlsim_tls_client::{ClientConfig, ClientSessionStore};
use tlsim_tls_server::config::Tls13TicketConfig;
use tlsim_tls_server::states::{ServerState, TRANSITIONS as SERVER};
use tlsim_tls_server::{ClientAuthPolicy, ServerConfig, ServerSessionCache, TicketPolicy};

const UPDATE: &str = "TLSIM_UPDATE_STATES";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Compares `path` with `expected`, or writes it when `TLSIM_UPDATE_STATES`
/// is set.
#[track_caller]
fn matches_or_update(path: &Path, expected: &str) {
    if std::env::var_os(UPDATE).is_some() {
        std::fs::write(path, expected).unwrap();
        return;
    }
    let found = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        found == expected,
        "{} does not match the transition table; if the table changed on purpose, run \
         `{UPDATE}=1 cargo test -p tlsim-tls-client --test states` and review the diff",
        path.display()
    );
}

/// The source of a `states` module with its doc table replaced by
/// `markdown`, between the generated-block markers.
fn with_doc_table(source: &str, markdown: &str) -> String {
    let open = source
        .find("<!-- transitions:")
        .expect("the module doc has a transitions block");
    let start = open + source[open..].find("-->\n").expect("the block opens") + 4;
    let end = source
        .find("//! <!-- end of transitions -->")
        .expect("the block closes");
    let table: String = markdown.lines().map(|l| format!("//! {l}\n")).collect();
    format!("{}{table}{}", &source[..start], &source[end..])
}

#[track_caller]
fn check_renderings<S: StateName>(declaration: &Declaration<S>, crate_dir: &str, dot: &str) {
    let root = repository();
    matches_or_update(&root.join("docs").join(dot), &declaration.to_dot());
    let module = root.join("crates").join(crate_dir).join("src/states.rs");
    let source = std::fs::read_to_string(&module).unwrap();
    matches_or_update(
        &module,
        &with_doc_table(&source, &declaration.to_markdown()),
    );
}

#[test]
fn client_renderings_match_the_table() {
    check_renderings(&CLIENT, "tls-client", "tls-client-states.dot");
}

#[test]
fn server_renderings_match_the_table() {
    check_renderings(&SERVER, "tls-server", "tls-server-states.dot");
}

/// How one run alters the records delivered to one side.
#[derive(Clone, Copy)]
enum Edit {
    /// A plaintext close_notify alert before record `at`.
    CloseNotifyBefore { to: Direction, at: usize },
    /// Record `at` with an unknown content type, which no state accepts.
    Break { to: Direction, at: usize },
}

/// The records of one delivery (each side writes whole records).
fn records(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 5 {
        let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let (record, tail) = rest.split_at(len.min(rest.len()));
        out.push(record);
        rest = tail;
    }
    out
}

/// A plaintext record of `typ` carrying `body`, with `like`'s version.
fn record(typ: ContentType, like: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ.get(), like[1], like[2]];
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn apply(edit: Edit, pair: &mut Pair) {
    // Records delivered so far in the edited direction.
    let mut seen = 0;
    pair.tamper(move |direction, bytes| {
        let mut out = Vec::new();
        for r in records(bytes) {
            let mut r = r.to_vec();
            match edit {
                Edit::CloseNotifyBefore { to, at } | Edit::Break { to, at } if to == direction => {
                    if at == seen {
                        if matches!(edit, Edit::Break { .. }) {
                            r[0] = 0x63;
                        } else {
                            // RFC 5246 §7.2: level warning (1), close_notify (0).
                            out.extend(record(ContentType::Alert, &r, &[1, 0]));
                        }
                    }
                    seen += 1;
                }
                _ => {}
            }
            out.extend(r);
        }
        *bytes = out;
    });
}

/// Handshake, data both ways, the client's close.
fn exchange(pair: &mut Pair) {
    pair.handshake();
    let now = pair.now;
    pair.client
        .send_application_data(now, b"request", &mut pair.client_log);
    pair.drive();
    let now = pair.now;
    pair.server
        .send_application_data(now, b"response", &mut pair.server_log);
    pair.drive();
    let now = pair.now;
    pair.client.close(now, &mut pair.client_log);
    pair.drive();
}

/// The handshakes the sweep alters: full, resumed, with NPN, TLS 1.3,
/// TLS 1.3 after a HelloRetryRequest, and with a client certificate asked
/// for in either version (`anonymous`: the client has none to give).
#[derive(Clone, Copy, Debug)]
enum Flow {
    Full,
    Resumed,
    NextProtocol,
    Tls13,
    Tls13Retry,
    /// TLS 1.3 resumed from a ticket, with accepted 0-RTT data.
    Tls13EarlyData,
    Mutual {
        tls13: bool,
        anonymous: bool,
    },
}

fn configs(pki: &Pki, flow: Flow) -> (ClientConfig, ServerConfig) {
    let mut client = client_config(pki);
    let mut server = server_config(pki);
    match flow {
        Flow::Full => {}
        Flow::Resumed => {
            client.session_store = Some(Arc::new(Mutex::new(ClientSessionStore::default())));
            server.session_cache = Some(Arc::new(Mutex::new(ServerSessionCache::default())));
            // A first handshake leaves the session to resume.
            let mut first = Pair::new(client.clone(), server.clone());
            first.handshake();
            first.assert_complete();
        }
        Flow::Mutual { tls13, anonymous } => {
            let (certificate, root) = client_pki(LeafKey::Ecdsa, 11);
            if !anonymous {
                client.client_certificate = Some(certificate);
            }
            server = server_config_asking(pki, ClientAuthPolicy::Optional, &root);
            if tls13 {
                for (max, suites) in [
                    (&mut client.max_version, &mut client.cipher_suites),
                    (&mut server.max_version, &mut server.cipher_suites),
                ] {
                    *max = ProtocolVersion::Tls13;
                    *suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
                }
            }
        }
        Flow::Tls13 | Flow::Tls13Retry | Flow::Tls13EarlyData => {
            for (max, suites) in [
                (&mut client.max_version, &mut client.cipher_suites),
                (&mut server.max_version, &mut server.cipher_suites),
            ] {
                *max = ProtocolVersion::Tls13;
                *suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
            }
            client.signature_algorithms = Some(vec![SignatureScheme::EcdsaSecp256r1Sha256]);
            if let Flow::Tls13Retry = flow {
                // The client shares x25519; the server asks for secp256r1.
                client.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
                server.groups = vec![NamedGroup::Secp256r1];
            }
            if let Flow::Tls13EarlyData = flow {
                client.tickets = Some(Arc::new(Mutex::new(TicketStore::default())));
                client.early_data = true;
                server.tls13_tickets = Some(Tls13TicketConfig {
                    count: 1,
                    lifetime: 7200,
                    max_early_data_size: 1024,
                    key: Tls13TicketKey::new(&[7; 16]),
                    pinned: None,
                });
                // A first handshake leaves the ticket to resume with.
                let mut first = Pair::new(client.clone(), server.clone());
                first.handshake();
                first.assert_complete();
            }
        }
        Flow::NextProtocol => {
            client.npn = true;
            client.alpn = vec![b"spdy/3.1".to_vec()];
            server.npn = vec![b"spdy/3.1".to_vec()];
        }
    }
    (client, server)
}

/// The edges of each actor's table that one run took.
fn run(pki: &Pki, flow: Flow, edit: Option<Edit>) -> (Pair, BTreeSet<usize>, BTreeSet<usize>) {
    let (client, server) = configs(pki, flow);
    let mut pair = Pair::new(client, server);
    if let Some(edit) = edit {
        apply(edit, &mut pair);
    }
    if let Flow::Tls13EarlyData = flow {
        // Written before the Client Hello: it goes out as 0-RTT data.
        let now = pair.now;
        pair.client
            .send_application_data(now, b"early", &mut pair.client_log);
    }
    exchange(&mut pair);
    let client_edges = pair.client.transitions_taken().collect();
    let server_edges = pair.server.transitions_taken().collect();
    (pair, client_edges, server_edges)
}

/// The edges of `declaration` that `unreachable` does not list.
fn expected<S: StateName>(
    declaration: &Declaration<S>,
    unreachable: &[(S, Trigger, S)],
) -> BTreeSet<String> {
    declaration
        .edges()
        .filter(|edge| !unreachable.contains(edge))
        .map(describe)
        .collect()
}

fn describe<S: StateName>((from, on, to): (S, Trigger, S)) -> String {
    format!("{} --{}--> {}", from.name(), on.label(), to.name())
}

fn named<S: StateName>(declaration: &Declaration<S>, edges: &BTreeSet<usize>) -> BTreeSet<String> {
    let all: Vec<_> = declaration.edges().collect();
    edges.iter().map(|&i| describe(all[i])).collect()
}

/// Transitions that no in-memory pair of these actors can take.
const CLIENT_UNREACHABLE: &[(ClientState, Trigger, ClientState)] = &[
    // The server sends its Change Cipher Spec and Finished in one flight,
    // and a close_notify slipped between them would have to be encrypted
    // under keys the path does not have.
    (
        ClientState::ExpectFinished,
        Trigger::CloseNotify,
        ClientState::Closed,
    ),
    // TLS 1.3: the server sends EncryptedExtensions through Finished in
    // one flight under the handshake keys, and a plaintext close_notify
    // after the Server Hello is unexpected_message (RFC 8446 §5).
    (
        ClientState::ExpectEncryptedExtensions,
        Trigger::CloseNotify,
        ClientState::Closed,
    ),
    (
        ClientState::ExpectCertificateVerify,
        Trigger::CloseNotify,
        ClientState::Closed,
    ),
];

/// Transitions that no in-memory pair of these actors can take.
const SERVER_UNREACHABLE: &[(ServerState, Trigger, ServerState)] = &[
    // The client sends Change Cipher Spec, Next Protocol and Finished in
    // one flight; a close_notify between them would have to be encrypted.
    // (In TLS 1.3 a plaintext one before the client's first protected
    // record is taken: the client may have no keys yet.)
    (
        ServerState::ExpectNextProtocol,
        Trigger::CloseNotify,
        ServerState::Closed,
    ),
    // tlsim's client renegotiates with a full handshake, offering no
    // session to resume.
    (
        ServerState::Connected,
        Trigger::Handshake(HandshakeType::ClientHello),
        ServerState::ExpectChangeCipherSpec,
    ),
];

// The edges are recorded in debug builds only.
#[cfg(debug_assertions)]
#[test]
fn handshakes_take_every_reachable_declared_transition() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client_taken = BTreeSet::new();
    let mut server_taken = BTreeSet::new();
    let mut take = |c: BTreeSet<usize>, s: BTreeSet<usize>| {
        client_taken.extend(c);
        server_taken.extend(s);
    };
    for flow in [
        Flow::Full,
        Flow::Resumed,
        Flow::NextProtocol,
        Flow::Tls13,
        Flow::Tls13Retry,
        Flow::Tls13EarlyData,
        Flow::Mutual {
            tls13: false,
            anonymous: false,
        },
        Flow::Mutual {
            tls13: false,
            anonymous: true,
        },
        Flow::Mutual {
            tls13: true,
            anonymous: false,
        },
        Flow::Mutual {
            tls13: true,
            anonymous: true,
        },
    ] {
        let (clean, c, s) = run(&pki, flow, None);
        clean.assert_complete();
        take(c, s);
        // Every record each side receives, closed before or broken.
        for (to, wire) in [
            (Direction::ToServer, &clean.client_wire),
            (Direction::ToClient, &clean.server_wire),
        ] {
            for at in 0..records(wire).len() {
                for edit in [Edit::CloseNotifyBefore { to, at }, Edit::Break { to, at }] {
                    let (_, c, s) = run(&pki, flow, Some(edit));
                    take(c, s);
                }
            }
        }
    }
    // RFC 5077 §3.3: a server that issues tickets sends a New Session
    // Ticket before its Change Cipher Spec.
    let (client, server) = configs(&pki, Flow::Full);
    let ticketed_client = ClientConfig {
        session_ticket: true,
        ..client
    };
    let ticketed_server = ServerConfig {
        tickets: Some(TicketPolicy {
            key: TicketKey {
                name: [1; 16],
                aes_key: [2; 16],
                hmac_key: [3; 32],
            },
            lifetime: 3600,
            lifetime_hint: 3600,
            now_unix: 0,
        }),
        ..server
    };
    let mut pair = Pair::new(ticketed_client, ticketed_server);
    exchange(&mut pair);
    client_taken.extend(pair.client.transitions_taken());
    // A record before the client has spoken.
    let (client, server) = configs(&pki, Flow::Full);
    let mut early = Pair::new(client, server);
    let now = early.now;
    early
        .client
        .handle_bytes(now, &[22, 3, 1, 0, 0], &mut early.client_log);
    assert_eq!(early.client.state_name(), "Failed");
    client_taken.extend(early.client.transitions_taken());

    // RSA key transport: no Server Key Exchange (RFC 5246 §7.4.3).
    let rsa_pki = tlsim_test_support::pki(LeafKey::Rsa);
    let suite = tlsim_tls::enums::CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
    let (mut client, mut server) = configs(&rsa_pki, Flow::Full);
    client.cipher_suites = vec![suite];
    server.cipher_suites = vec![suite];
    let mut rsa = Pair::new(client, server);
    exchange(&mut rsa);
    client_taken.extend(rsa.client.transitions_taken());
    server_taken.extend(rsa.server.transitions_taken());

    // A Certificate Request before the Server Hello Done (RFC 5246 §7.4.4).
    let (client, server) = configs(&pki, Flow::Full);
    let mut requested = Pair::new(client, server);
    tamper_units(&mut requested, Direction::ToClient, |delivery, units| {
        if delivery == 0 {
            let done = units.len() - 1;
            // certificate_types rsa_sign; signature algorithm
            // rsa_pkcs1_sha256; no certificate authorities.
            let body = vec![13, 0, 0, 8, 1, 1, 0, 2, 4, 1, 0, 0];
            let unit = Unit {
                body,
                ..units[done].clone()
            };
            units.insert(done, unit);
        }
    });
    requested.handshake();
    client_taken.extend(requested.client.transitions_taken());

    // Renegotiation, refused: a Client Hello to the server and a Hello
    // Request to the client once connected, encrypted as the peer would,
    // each in a handshake of its own (each takes the peer's next sequence
    // number).
    for (side, to) in [
        (Side::Client, Direction::ToServer),
        (Side::Server, Direction::ToClient),
    ] {
        let (client, server) = configs(&pki, Flow::Full);
        let mut refused = Pair::new(client, server);
        refused.handshake();
        let message = match side {
            Side::Client => records(&refused.client_wire)[0][5..].to_vec(),
            Side::Server => vec![HandshakeType::HelloRequest.get(), 0, 0, 0],
        };
        let record = refused.record_after_finished(side, ContentType::Handshake, &message);
        let now = refused.now;
        match to {
            Direction::ToServer => {
                refused
                    .server
                    .handle_bytes(now, &record, &mut refused.server_log)
            }
            Direction::ToClient => {
                refused
                    .client
                    .handle_bytes(now, &record, &mut refused.client_log)
            }
        }
        refused.drive();
        assert_eq!(refused.client.state_name(), "Connected");
        assert_eq!(refused.server.state_name(), "Connected");
        client_taken.extend(refused.client.transitions_taken());
        server_taken.extend(refused.server.transitions_taken());
    }

    // RFC 5746: renegotiation accepted, begun by the client, by the
    // server's Hello Request, and with a client certificate asked for.
    for (flow, from) in [
        (Flow::Full, Side::Client),
        (Flow::Full, Side::Server),
        (
            Flow::Mutual {
                tls13: false,
                anonymous: true,
            },
            Side::Client,
        ),
    ] {
        let (mut client, mut server) = configs(&pki, flow);
        client.renegotiation = RenegotiationPolicy::Accept;
        server.renegotiation = RenegotiationPolicy::Accept;
        let mut renegotiated = Pair::new(client, server);
        renegotiated.handshake();
        let now = renegotiated.now;
        let begun = match from {
            Side::Client => (renegotiated.client).renegotiate(now, &mut renegotiated.client_log),
            Side::Server => (renegotiated.server).renegotiate(now, &mut renegotiated.server_log),
        };
        assert!(begun);
        renegotiated.drive();
        assert_eq!(renegotiated.client.state_name(), "Connected");
        assert_eq!(renegotiated.server.state_name(), "Connected");
        client_taken.extend(renegotiated.client.transitions_taken());
        server_taken.extend(renegotiated.server.transitions_taken());
    }

    // RFC 5246 §7.2.2: a server that refuses the client's renegotiation
    // answers no_renegotiation, and the client goes back to Connected.
    let (mut client, server) = configs(&pki, Flow::Full);
    client.renegotiation = RenegotiationPolicy::Accept;
    let mut refused = Pair::new(client, server);
    refused.handshake();
    let now = refused.now;
    assert!(refused.client.renegotiate(now, &mut refused.client_log));
    refused.drive();
    assert_eq!(refused.client.state_name(), "Connected");
    client_taken.extend(refused.client.transitions_taken());

    // RFC 8446 §4.6.3: a KeyUpdate asking for one back, once connected.
    let (client, server) = configs(&pki, Flow::Tls13);
    let mut updated = Pair::new(client, server);
    updated.handshake();
    let now = updated.now;
    assert!(
        updated
            .client
            .key_update(now, &mut updated.client_log, true)
    );
    updated.drive();
    assert_eq!(updated.client.state_name(), "Connected");
    assert_eq!(updated.server.state_name(), "Connected");
    client_taken.extend(updated.client.transitions_taken());
    server_taken.extend(updated.server.transitions_taken());

    assert_covered(
        named(&CLIENT, &client_taken),
        expected(&CLIENT, CLIENT_UNREACHABLE),
    );
    assert_covered(
        named(&SERVER, &server_taken),
        expected(&SERVER, SERVER_UNREACHABLE),
    );
}

#[track_caller]
fn assert_covered(taken: BTreeSet<String>, expected: BTreeSet<String>) {
    let missing: Vec<_> = expected.difference(&taken).collect();
    let listed_unreachable: Vec<_> = taken.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "declared transitions no run took: {missing:?}"
    );
    assert!(
        listed_unreachable.is_empty(),
        "transitions listed as unreachable that a run took: {listed_unreachable:?}"
    );
}
