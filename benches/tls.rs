//! Wall time per simulated TLS handshake against its cryptographic floor.
//!
//! One case per key exchange of [`CASES`], in TLS 1.2:
//! ECDHE-ECDSA-AES128-GCM-SHA256 on P-256, ECDHE-ECDSA-AES256-GCM-SHA384 on
//! P-384, ECDHE-ECDSA-CHACHA20-POLY1305 on X25519, ECDHE-RSA-AES128-GCM-SHA256
//! on P-256 (an RSA-PSS ServerKeyExchange signature), RSA-AES128-GCM-SHA256
//! (RSA key transport) and DHE-RSA-AES128-GCM-SHA256 on ffdhe2048, the RSA
//! ones with a 2048-bit key; and the TLS 1.3 full handshake with
//! TLS_AES_128_GCM_SHA256 on X25519 and an ECDSA certificate, and the same
//! resumed.
//!
//! - `handshake/<case>`: [`CONNECTIONS`] connections from one client to one
//!   server, opened 1 ms apart so that dozens overlap. Each is a full
//!   handshake with the case's suite and group (no resumption), a request,
//!   a response, close_notify and FIN both ways. The client's certificate
//!   verification cache is on, as by default, so the chain is verified
//!   once per run. Criterion's time per element is the wall time per
//!   simulated handshake.
//! - `handshake/tls13_x25519_psk_dhe_ke_resumed`: the TLS 1.3 case
//!   resumed: [`CONNECTIONS`] connections one after another (50 ms apart),
//!   the first a full handshake whose server issues a ticket, each later
//!   one resuming from the ticket the one before left (RFC 8446 §2.2:
//!   psk_dhe_ke, a fresh X25519 exchange, no certificate or signature),
//!   with the same request, response and close; every server issues a
//!   ticket.
//! - `crypto_floor/<case>`: the cryptography one connection of the case
//!   makes, both ends, nothing less and nothing more, made through the same
//!   `tlsim_tls::crypto` calls the actors make: key generations,
//!   agreements, signatures and their checks, the chain check (its public
//!   key operation once per [`CONNECTIONS`], as the cache does), the
//!   certificate authority that each run builds (its key generations and
//!   certificate signatures, also once per [`CONNECTIONS`]), the PRF or
//!   HKDF schedule with its transcript hashes, and the sealing and opening
//!   of every protected record (Finished, data, close_notify, and in TLS
//!   1.3 the server's encrypted flight and tickets). Each floor function
//!   lists its operations, counted from the event log of `tlsim run` on a
//!   connection of the case's scenario. `crypto_floor/p256_keygen` and the
//!   other P-256 entries time the first case's pieces alone.
//!
//! - `equal_work/cache_off` and `equal_work/cache_on`: the equal-work
//!   scenario (`benches/scenarios/equal-work.ron`, the work that
//!   `contrib/bench-peers/compare.sh` gives tlsim and turmoil + rustls
//!   alike): 1,000 TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 connections on
//!   P-256, each verifying a three-certificate chain (root → intermediate →
//!   leaf; with the client's verification cache off, or on), 1 KiB each way,
//!   close_notify and FIN both ways, 10 ms latency. Time per element is per
//!   connection. `equal_work/crypto_floor` and
//!   `equal_work/crypto_floor_cached` are the same cryptography done bare,
//!   per connection: the `ecdhe_ecdsa_p256` floor (two key generations, two
//!   ECDH, the ServerKeyExchange signature and its check, each end's PRF),
//!   the chain's two signature checks (none when cached), and AES-GCM
//!   sealing and opening of each direction's Finished, 1 KiB of data and
//!   close_notify. `equal_work/cache_off_two_threads` and
//!   `equal_work/cache_on_two_threads` are the same runs with a second
//!   thread rehearsing their handshakes (`RunOptions::crypto_threads`):
//!   wall time per connection on two cores.
//!
//! After criterion has measured, the bench times each case's handshake and
//! floor (the resumed case's too) again in alternating samples and prints
//! `ratio = handshake ÷ floor` (the median over the pairs of samples) to
//! stderr, by the wall clock and by the thread's CPU time. The
//! target is at most 1.10: the simulator, TCP, codecs and event plumbing
//! together add no more than 10 % to the cryptography. Criterion's own
//! figures are the ones to report; the ratio line compares the same two
//! measurements, taken again in pairs under the same load. `--test`,
//! `--list` and `--profile-time` skip it.
//!
//! Both run with no event log, no pcap and no key log, and without
//! digesting the data.
//!
//! Run: `cargo bench --bench tls`

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use tlsim_net::NoTap;
use tlsim_scenario::schema::KeyKind;
use tlsim_scenario::{RunOptions, Scenario, parse, pki, run};
use tlsim_sim::{Event, Kind, Layer, NullTracer, RngStream};
use tlsim_tls::cert::x509::Certificate;
use tlsim_tls::crypto::TLS12;
use tlsim_tls::crypto::cipher::tls13::{Tls13Decrypter, Tls13Encrypter};
use tlsim_tls::crypto::cipher::{RecordDecrypter, RecordEncrypter, Side};
use tlsim_tls::crypto::ffdhe::FfdheGroup;
use tlsim_tls::crypto::key_schedule::{
    HkdfHash, KeySchedule, SecretKind, Tls13CipherSuite, TrafficKeys, finished_key,
    finished_verify_data, resumption_psk,
};
use tlsim_tls::crypto::kx::{EphemeralSecret, KxGroup};
use tlsim_tls::crypto::prf::{self, FinishedSender, KeyBlock};
use tlsim_tls::crypto::sign::{self, PublicKey, SignatureScheme, SigningKey};
use tlsim_tls::crypto::suites::{
    Authentication, CipherSuiteParams, KeyExchange, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    TLS_RSA_WITH_AES_128_GCM_SHA256, suite_by_value,
};
use tlsim_tls::crypto::ticket::{TICKET_KEY_LEN, TICKET_NONCE_LEN, TicketContents, Tls13TicketKey};
use tlsim_tls::enums::{CipherSuite, ContentType};
use tlsim_tls::msgs::tls13::certificate_verify_content;

const FAST: RunOptions = RunOptions {
    verify_data: false,
    crypto_threads: 0,
    keylog: false,
};

/// Handshakes per scenario run: enough that the per-run set-up (parsing
/// the PKI, generating its keys and certificates) is spread thin.
const CONNECTIONS: u32 = 200;

const REQUEST: &str = "GET / HTTP/1.1\\r\\nHost: server.test\\r\\n\\r\\n";
const REQUEST_LEN: u64 = 37;
const RESPONSE: &str = "HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello";
const RESPONSE_LEN: u64 = 43;

/// A case's key exchange group: an elliptic curve or a finite field.
#[derive(Clone, Copy)]
enum Group {
    Ec(KxGroup),
    Ff(FfdheGroup),
}

impl Group {
    fn name(self) -> &'static str {
        match self {
            Group::Ec(group) => group.name(),
            Group::Ff(group) => group.name(),
        }
    }
}

/// One suite on one group, benched end to end and against its floor.
#[derive(Clone, Copy)]
struct Case {
    /// The bench's name under `handshake/` and `crypto_floor/`.
    id: &'static str,
    suite: u16,
    group: Group,
    /// Whether the case is a TLS 1.3 handshake (otherwise TLS 1.2).
    tls13: bool,
    /// TLS 1.3 resumed from tickets, connections one after another.
    resumed: bool,
}

impl Case {
    fn suite(self) -> &'static CipherSuiteParams {
        suite_by_value(self.suite).expect("every TLS 1.2 case's suite is supported")
    }

    fn tls13_suite(self) -> &'static Tls13CipherSuite {
        Tls13CipherSuite::find(CipherSuite::from(self.suite))
            .expect("every TLS 1.3 case's suite is supported")
    }

    fn suite_name(self) -> &'static str {
        CipherSuite::from(self.suite)
            .name()
            .expect("every case's suite has a name")
    }

    fn version(self) -> &'static str {
        if self.tls13 { "TLS 1.3" } else { "TLS 1.2" }
    }

    /// Whether the server's certificate key is RSA (otherwise P-256).
    fn rsa_certificate(self) -> bool {
        !self.tls13 && self.suite().authentication == Authentication::Rsa
    }
}

/// The RSA key of the RSA-certificate cases (2048 bits).
const RSA_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/keys/www.google.com.pem"
);

/// A TLS 1.2 case.
const fn tls12(id: &'static str, suite: u16, group: Group) -> Case {
    Case {
        id,
        suite,
        group,
        tls13: false,
        resumed: false,
    }
}

/// The first case is the one the equal-work floor builds on.
const CASES: [Case; 7] = [
    tls12(
        "ecdhe_ecdsa_p256",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        Group::Ec(KxGroup::Secp256r1),
    ),
    tls12(
        "ecdhe_ecdsa_p384_aes256_gcm_sha384",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        Group::Ec(KxGroup::Secp384r1),
    ),
    tls12(
        "ecdhe_ecdsa_x25519_chacha20_poly1305",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        Group::Ec(KxGroup::X25519),
    ),
    tls12(
        "ecdhe_rsa_p256_aes128_gcm",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        Group::Ec(KxGroup::Secp256r1),
    ),
    tls12(
        "rsa_aes128_gcm",
        TLS_RSA_WITH_AES_128_GCM_SHA256,
        // Offered, never used: RSA key transport has no key exchange group.
        Group::Ec(KxGroup::Secp256r1),
    ),
    tls12(
        "dhe_rsa_ffdhe2048_aes128_gcm",
        TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        Group::Ff(FfdheGroup::Ffdhe2048),
    ),
    Case {
        id: "tls13_x25519_aes128_gcm_ecdsa",
        suite: 0x1301,
        group: Group::Ec(KxGroup::X25519),
        tls13: true,
        resumed: false,
    },
];

/// The TLS 1.3 case, resumed from tickets.
const RESUMED: Case = Case {
    id: "tls13_x25519_psk_dhe_ke_resumed",
    suite: 0x1301,
    group: Group::Ec(KxGroup::X25519),
    tls13: true,
    resumed: true,
};

/// Room for any case's TLS 1.2 transcript in [`FloorInputs`].
const TRANSCRIPT_ROOM: usize = 16 * 1024;

/// How many bytes of handshake messages a TLS 1.2 full handshake of
/// `scenario`'s first connection hashes for its session hash and the
/// client's Finished (RFC 7627 §3, RFC 5246 §7.4.9): every message through
/// ClientKeyExchange, summed from the records its ends sent before the
/// first ChangeCipherSpec, as the event log shows them.
fn tls12_handshake_len(scenario: &Scenario) -> usize {
    let mut log: Vec<Event> = Vec::new();
    run(scenario, 1, RunOptions::default(), &mut log, &mut NoTap);
    let first = log.iter().find_map(|e| e.conn);
    let flights = log
        .iter()
        .filter(|e| e.conn == first && e.kind == Kind::Send && e.layer == Layer::Tls)
        .filter_map(|e| e.bytes.as_deref());
    let mut len = 0;
    for flight in flights {
        let mut records = flight;
        while let [typ, _, _, high, low, rest @ ..] = records {
            let fragment = usize::from(u16::from_be_bytes([*high, *low]));
            match typ {
                20 => return len,
                22 => len += fragment,
                _ => {}
            }
            records = rest
                .get(fragment..)
                .expect("a sent flight holds whole records");
        }
    }
    panic!("a full TLS 1.2 handshake sends ChangeCipherSpec");
}

/// The client also lists secp256r1, the curve of the certificate's key
/// (RFC 8422 §5.3); the server's single group keeps the key exchange on
/// the case's group.
fn handshakes_scenario(case: Case, count: u32) -> Scenario {
    // A new connection every millisecond; each lives about 40 ms, so some
    // 40 handshakes are in flight at once. (Time in ms, step.)
    // Resumed: one connection at a time, each taking the ticket the one
    // before left.
    let spacing = if case.resumed { 50 } else { 1 };
    let mut steps: Vec<(u64, String)> = Vec::new();
    for i in 0..count {
        let at = u64::from(i) * spacing;
        steps.push((
            at,
            format!(
                r#"Connect(conn: "c{i}", from: "client", to: "server", port: 443, tls: "client")"#
            ),
        ));
        steps.push((
            at,
            format!(r#"Send(conn: "c{i}", from: "client", data: Text("{REQUEST}"))"#),
        ));
        steps.push((
            at + 20,
            format!(r#"Send(conn: "c{i}", from: "server", data: Text("{RESPONSE}"))"#),
        ));
        steps.push((at + 40, format!(r#"Close(conn: "c{i}", from: "client")"#)));
    }
    // The timeline must be in time order; the sort is stable, so each
    // connection's steps keep their order within a millisecond.
    steps.sort_by_key(|(at, _)| *at);
    let mut timeline = String::new();
    for (at, step) in &steps {
        let _ = writeln!(timeline, r#"At("{at}ms", {step}),"#);
    }
    let suite = case.suite_name();
    let group = case.group.name();
    let version = case.version();
    // RFC 8422 §5.3: the client lists the P-256 certificate's curve too;
    // the server's single group still decides the key exchange.
    let client_groups = match case.group {
        Group::Ec(KxGroup::Secp256r1) => format!(r#""{group}""#),
        _ => format!(r#""{group}", "secp256r1""#),
    };
    // TLS 1.3 suites name no authentication: its case signs with ECDSA.
    let leaf_key = match case.rsa_certificate() {
        true => format!("RsaPem({RSA_KEY:?})"),
        false => "P256".to_owned(),
    };
    let (resume, tickets) = match case.resumed {
        true => ("true", "tickets: (count: 1),"),
        false => ("false", ""),
    };
    let text = format!(
        r#"Scenario(
    name: "tls-handshakes",
    seed: 7,
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "1ms", bandwidth: "1Gbit/s"))],
    pki: (
        epoch: "2026-01-01T00:00:00Z",
        keys: [Key(name: "root", kind: P256), Key(name: "leaf", kind: {leaf_key})],
        certificates: [
            Cert(name: "root", subject: (cn: "tlsim Bench Root"), key: "root", ca: true,
                 not_before: "2025-01-01T00:00:00Z", not_after: "2035-01-01T00:00:00Z"),
            Cert(name: "server", subject: (cn: "server.test"), key: "leaf", issuer: "root",
                 dns_names: ["server.test"],
                 not_before: "2025-06-01T00:00:00Z", not_after: "2027-06-01T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [TlsClient(
            name: "client",
            min_version: "TLS 1.2",
            max_version: "{version}",
            cipher_suites: ["{suite}"],
            groups: [{client_groups}],
            server_name: "server.test",
            extended_master_secret: true,
            trust: ["root"],
            resume: {resume},
        )],
        servers: [TlsServer(
            name: "server",
            max_version: "{version}",
            cipher_suites: ["{suite}"],
            groups: ["{group}"],
            chain: ["server"],
            key: "leaf",
            extended_master_secret: true,
            {tickets}
        )],
    ),
    listen: [Listen(host: "server", port: 443, tls: "server")],
    timeline: [{timeline}],
    limits: (max_events: 1000000000),
)"#
    );
    parse(&text, "tls-handshakes").expect("bench scenario is valid")
}

/// Runs the scenario once with an event log and checks that it measures
/// what it claims: every connection carried its request and response,
/// every one was a full handshake of the case's version (all but the
/// first resumed, in the resumed case), and the certificate chain was
/// verified once.
fn check_handshakes(scenario: &Scenario, case: Case, count: u32) {
    let mut log: Vec<Event> = Vec::new();
    let outcome = run(scenario, 1, RunOptions::default(), &mut log, &mut NoTap);
    assert_eq!(outcome.conns.len(), count as usize);
    for conn in &outcome.conns {
        assert!(
            conn.upstream().intact() && conn.upstream().received.len() == REQUEST_LEN,
            "{} {}: the request must arrive",
            case.id,
            conn.name
        );
        assert!(
            conn.downstream().intact() && conn.downstream().received.len() == RESPONSE_LEN,
            "{} {}: the response must arrive",
            case.id,
            conn.name
        );
    }
    let field = |e: &Event, name: &str| {
        e.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
    };
    let handshakes = |resumed: &str| {
        log.iter()
            .filter(|e| {
                e.kind == Kind::State
                    && e.actor == "client"
                    && e.title == "TLS handshake complete"
                    && field(e, "Resumed").as_deref() == Some(resumed)
                    && field(e, "Version").is_some_and(|v| v.starts_with(case.version()))
            })
            .count()
    };
    let expected_full = if case.resumed { 1 } else { count as usize };
    assert_eq!(
        (handshakes("false"), handshakes("true")),
        (expected_full, count as usize - expected_full),
        "every connection must make a full handshake, or resume in the resumed case"
    );
    if case.resumed {
        return;
    }
    // The same chain under the same root: only the first connection's
    // verification computes the signature; a resumed handshake sees no
    // chain at all.
    let cached_chains = log
        .iter()
        .filter(|e| e.fields.iter().any(|f| f.name == "From Cache"))
        .count();
    assert_eq!(
        cached_chains,
        expected_full - 1,
        "the verification cache must answer every chain after the first"
    );
}

fn handshake(c: &mut Criterion) {
    let mut group = c.benchmark_group("handshake");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(CONNECTIONS)));
    for case in CASES.into_iter().chain([RESUMED]) {
        let scenario = handshakes_scenario(case, CONNECTIONS);
        check_handshakes(&scenario, case, CONNECTIONS);
        group.bench_function(case.id, |b| {
            b.iter(|| black_box(run(&scenario, 1, FAST, &mut NullTracer, &mut NoTap)));
        });
    }
    group.finish();
}

/// The equal-work scenario, verification cache off.
const EQUAL_WORK: &str = include_str!("scenarios/equal-work.ron");

/// Connections in [`EQUAL_WORK`], and the bytes each sends each way.
const EQUAL_WORK_CONNECTIONS: u32 = 1_000;
const EQUAL_WORK_DATA_LEN: u64 = 1_024;

/// The equal-work scenario, with the verification cache off or on.
fn equal_work_scenario(cached: bool) -> Scenario {
    let text = match cached {
        false => EQUAL_WORK.to_owned(),
        true => EQUAL_WORK.replace("verification_cache: false", "verification_cache: true"),
    };
    parse(&text, "equal-work").expect("the equal-work scenario is valid")
}

/// Runs the equal-work scenario once with an event log and checks that it
/// does the work it claims: every connection carried 1 KiB each way and
/// closed, and the client verified the whole chain on every connection
/// (once, then from its cache, when `cached`).
fn check_equal_work(scenario: &Scenario, cached: bool) {
    let mut log: Vec<Event> = Vec::new();
    let outcome = run(scenario, 1, RunOptions::default(), &mut log, &mut NoTap);
    assert_eq!(outcome.conns.len(), EQUAL_WORK_CONNECTIONS as usize);
    for conn in &outcome.conns {
        for direction in [conn.upstream(), conn.downstream()] {
            assert!(
                direction.intact() && direction.received.len() == EQUAL_WORK_DATA_LEN,
                "{}: 1 KiB must arrive each way",
                conn.name
            );
        }
    }
    let titled = |title: &str| log.iter().filter(|e| e.title == title).count();
    assert_eq!(
        titled("TLS handshake complete"),
        2 * EQUAL_WORK_CONNECTIONS as usize,
        "every connection makes a handshake at both ends"
    );
    let computed = log
        .iter()
        .filter(|e| e.title == "Verify the certificate chain")
        .filter(|e| !e.fields.iter().any(|f| f.name == "From Cache"))
        .count();
    let expected = if cached {
        1
    } else {
        EQUAL_WORK_CONNECTIONS as usize
    };
    assert_eq!(computed, expected, "chain verifications computed");
    let sent_close_notify = log
        .iter()
        .filter(|e| e.kind == Kind::Send && e.title == "TLS Alert (close_notify)")
        .count();
    assert_eq!(
        sent_close_notify,
        2 * EQUAL_WORK_CONNECTIONS as usize,
        "both ends of every connection send close_notify"
    );
}

/// The chain's two signatures (root over the intermediate, intermediate
/// over the leaf), for the floor to check.
struct ChainSignatures {
    /// Each check: the issuer's key, the signed content, the signature.
    checks: Vec<(PublicKey, Vec<u8>, Vec<u8>)>,
}

impl ChainSignatures {
    /// A certificate's to-be-signed part is about this long here.
    const TBS_LEN: usize = 300;

    fn new(rng: &mut RngStream) -> Self {
        let checks = (0..2u8)
            .map(|i| {
                let issuer = SigningKey::generate_p256(rng);
                let tbs: Vec<u8> = (0..Self::TBS_LEN).map(|j| j as u8 ^ i).collect();
                let signature = issuer
                    .sign(SignatureScheme::EcdsaSha256, &tbs, rng)
                    .expect("a P-256 key signs with ECDSA");
                (issuer.public_key(), tbs, signature)
            })
            .collect();
        ChainSignatures { checks }
    }

    fn verify(&self) {
        for (issuer, tbs, signature) in &self.checks {
            issuer
                .verify(SignatureScheme::EcdsaSha256, tbs, signature)
                .expect("the signature just made verifies");
        }
    }
}

/// One direction's records of an equal-work connection, sealed by one end
/// and opened by the other: Finished (RFC 5246 §7.4.9, 12 bytes of
/// verify_data in a 16-byte message), 1 KiB of data, close_notify.
fn seal_and_open_one_direction(suite: &CipherSuiteParams, rng: &mut RngStream) {
    let (key, salt) = ([7u8; 16], [9u8; 4]);
    let mut sealer =
        RecordEncrypter::new(suite, TLS12, &[], &key, &salt).expect("AES-128-GCM keys");
    let mut opener =
        RecordDecrypter::new(suite, TLS12, &[], &key, &salt).expect("AES-128-GCM keys");
    let data = [0x5a; EQUAL_WORK_DATA_LEN as usize];
    let records: [(u8, &[u8]); 3] = [(22, &[0x14; 16]), (23, &data), (21, &[1, 0])];
    for (content_type, plaintext) in records {
        let fragment = sealer.encrypt(content_type, TLS12, plaintext, rng);
        black_box(
            opener
                .decrypt(content_type, TLS12, &fragment)
                .expect("the record just sealed opens"),
        );
    }
}

/// Every cryptographic operation of one equal-work connection, both ends.
fn equal_work_floor_once(inputs: &mut FloorInputs, chain: &ChainSignatures, cached: bool) {
    let case = CASES[0];
    floor_once(inputs, case);
    if !cached {
        chain.verify();
    }
    seal_and_open_one_direction(case.suite(), &mut inputs.rng);
    seal_and_open_one_direction(case.suite(), &mut inputs.rng);
}

fn equal_work(c: &mut Criterion) {
    let mut group = c.benchmark_group("equal_work");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(EQUAL_WORK_CONNECTIONS)));
    for (id, cached) in [("cache_off", false), ("cache_on", true)] {
        let scenario = equal_work_scenario(cached);
        check_equal_work(&scenario, cached);
        group.bench_function(id, |b| {
            b.iter(|| black_box(run(&scenario, 1, FAST, &mut NullTracer, &mut NoTap)));
        });
    }
    // The same run with its handshakes rehearsed on a second thread, as
    // `tlsim sweep --count 1` does on two cores: wall time per connection.
    let rehearsed = RunOptions {
        crypto_threads: 1,
        ..FAST
    };
    for (id, cached) in [
        ("cache_off_two_threads", false),
        ("cache_on_two_threads", true),
    ] {
        let scenario = equal_work_scenario(cached);
        group.bench_function(id, |b| {
            b.iter(|| black_box(run(&scenario, 1, rehearsed, &mut NullTracer, &mut NoTap)));
        });
    }
    group.throughput(Throughput::Elements(1));
    let mut inputs = FloorInputs::new();
    inputs.tls12_handshake_len = tls12_handshake_len(&equal_work_scenario(false));
    let chain = ChainSignatures::new(&mut inputs.rng);
    for (id, cached) in [("crypto_floor", false), ("crypto_floor_cached", true)] {
        group.bench_function(id, |b| {
            b.iter(|| equal_work_floor_once(&mut inputs, &chain, cached));
        });
    }
    group.finish();
}

/// Everything the floor's operations take as input, made once.
struct FloorInputs {
    rng: RngStream,
    server_key: SigningKey,
    server_public: PublicKey,
    client_random: [u8; 32],
    server_random: [u8; 32],
    transcript: Vec<u8>,
    /// The case's TLS 1.2 handshake messages through ClientKeyExchange
    /// ([`tls12_handshake_len`]): how much of `transcript` is hashed.
    tls12_handshake_len: usize,
    /// A key pair for each end, for benching one agreement alone.
    client_secret: EphemeralSecret,
    server_public_point: Vec<u8>,
    /// A signed ServerKeyExchange, for benching one verification alone.
    signed_content: Vec<u8>,
    signature: Vec<u8>,
    premaster: Vec<u8>,
    /// The RSA-certificate cases' server key.
    rsa_key: SigningKey,
    rsa_public: PublicKey,
    /// The root's signature over the leaf, checked once per run.
    root_public: PublicKey,
    leaf_tbs: Vec<u8>,
    leaf_signature: Vec<u8>,
    /// The server's TLS 1.3 ticket key, and the ticket the last handshake
    /// left for the next to resume with.
    ticket_key: Tls13TicketKey,
    ticket: Vec<u8>,
    /// Handshakes made so far, to do the once-per-run work once in
    /// [`CONNECTIONS`].
    handshakes: u32,
    /// The case's certificate authority, made again on the first
    /// handshake of each run.
    authority: CertificateAuthority,
}

/// The cryptography of the certificate authority that each run of a
/// case's scenario makes before its first connection (`pki::build`): a
/// fresh key for each `P256` key of its PKI, the RSA key read from its PEM
/// text, and each certificate's to-be-signed part signed by its issuer.
#[derive(Default)]
struct CertificateAuthority {
    p256_keys: usize,
    rsa_pem: Option<String>,
    /// Per certificate: the issuer's key, its scheme, the signed part.
    signatures: Vec<(Arc<SigningKey>, SignatureScheme, Vec<u8>)>,
}

impl CertificateAuthority {
    /// The authority of `scenario`'s PKI, its certificates' signed parts
    /// taken from one build of it.
    fn of(scenario: &Scenario) -> Self {
        let built =
            pki::build(&scenario.pki, 1, Path::new(".")).expect("the bench scenario's PKI builds");
        let mut authority = CertificateAuthority::default();
        for key in &scenario.pki.keys {
            match &key.kind {
                KeyKind::P256 => authority.p256_keys += 1,
                KeyKind::RsaPem(file) => {
                    authority.rsa_pem = Some(
                        std::fs::read_to_string(file).expect("the RSA case's key file is readable"),
                    );
                }
                other => unreachable!("the bench PKI makes no {other:?} key"),
            }
        }
        let key_of = |name: &str| {
            let cert = (scenario.pki.certificates.iter())
                .find(|c| c.name == name)
                .expect("an issuer is one of the PKI's certificates");
            let key = cert
                .key
                .as_ref()
                .expect("a certificate made here names its key");
            Arc::clone(&built.keys[&key.0])
        };
        for cert in &scenario.pki.certificates {
            let issuer = cert
                .issuer
                .as_ref()
                .map_or(cert.name.as_str(), |i| i.0.as_str());
            let parsed = Certificate::parse(&built.certs[&cert.name][0])
                .expect("the bench PKI's certificates parse");
            let scheme = parsed.signature_algorithm.scheme();
            (authority.signatures).push((key_of(issuer), scheme, parsed.tbs));
        }
        authority
    }

    fn make(&self, rng: &mut RngStream) {
        for _ in 0..self.p256_keys {
            black_box(SigningKey::generate_p256(rng));
        }
        if let Some(pem) = &self.rsa_pem {
            black_box(SigningKey::from_pem(pem).expect("the RSA case's key is a PEM RSA key"));
        }
        for (issuer, scheme, tbs) in &self.signatures {
            black_box(
                (issuer.sign(*scheme, tbs, rng))
                    .expect("an issuer signs with its certificate's scheme"),
            );
        }
    }
}

impl FloorInputs {
    fn new() -> Self {
        let mut rng = RngStream::new(1, "crypto floor");
        let server_key = SigningKey::generate_p256(&mut rng);
        let server_public = server_key.public_key();
        let mut client_random = [0u8; 32];
        let mut server_random = [0u8; 32];
        client_random
            .iter_mut()
            .chain(server_random.iter_mut())
            .for_each(|b| *b = rng.u64() as u8);
        let transcript = (0..TRANSCRIPT_ROOM).map(|i| i as u8).collect();
        let (client_secret, _) = KxGroup::Secp256r1.generate(&mut rng);
        let (server_secret, server_public_point) = KxGroup::Secp256r1.generate(&mut rng);
        let params = ecdh_params(KxGroup::Secp256r1, &server_public_point);
        let signed_content =
            sign::server_key_exchange_signed_content(&client_random, &server_random, &params);
        let signature = server_key
            .sign(SignatureScheme::EcdsaSha256, &signed_content, &mut rng)
            .expect("a P-256 key signs with ECDSA");
        let premaster = server_secret
            .agree(&client_secret.public_bytes())
            .expect("both points are on the curve");
        let rsa_key = SigningKey::from_pem(
            &std::fs::read_to_string(RSA_KEY).expect("the RSA case's key file is readable"),
        )
        .expect("the RSA case's key is a PEM RSA key");
        let rsa_public = rsa_key.public_key();
        let root_key = SigningKey::generate_p256(&mut rng);
        let leaf_tbs: Vec<u8> = (0..LEAF_TBS_LEN).map(|i| i as u8).collect();
        let leaf_signature = root_key
            .sign(SignatureScheme::EcdsaSha256, &leaf_tbs, &mut rng)
            .expect("a P-256 key signs with ECDSA");
        let ticket_key = Tls13TicketKey::new(&[7; TICKET_KEY_LEN]);
        let mut inputs = FloorInputs {
            rng,
            server_key,
            server_public,
            client_random,
            server_random,
            transcript,
            tls12_handshake_len: 0,
            client_secret,
            server_public_point,
            signed_content,
            signature,
            premaster,
            rsa_key,
            rsa_public,
            root_public: root_key.public_key(),
            leaf_tbs,
            leaf_signature,
            ticket_key,
            ticket: Vec::new(),
            handshakes: 0,
            authority: CertificateAuthority::default(),
        };
        // A ticket to resume with, whichever handshake comes first.
        issue_ticket(&mut inputs);
        inputs
    }

    /// Sizes the TLS 1.2 transcript for `case`, from one connection of its
    /// scenario, and takes its certificate authority.
    fn set_case(&mut self, case: Case) {
        let scenario = handshakes_scenario(case, 1);
        if !case.tls13 {
            self.tls12_handshake_len = tls12_handshake_len(&scenario);
        }
        self.authority = CertificateAuthority::of(&scenario);
    }

    /// Whether the next handshake is the first of a run of [`CONNECTIONS`].
    fn first_of_run(&self) -> bool {
        self.handshakes % CONNECTIONS == 0
    }
}

/// RFC 8422 §5.4 ServerECDHParams for `group` and `point`: curve_type
/// named_curve (3), the NamedCurve, a length byte and the point.
fn ecdh_params(group: KxGroup, point: &[u8]) -> Vec<u8> {
    let mut params = Vec::with_capacity(4 + point.len());
    params.push(3);
    params.extend_from_slice(&group.named_curve().get().to_be_bytes());
    params.push(point.len() as u8);
    params.extend_from_slice(point);
    params
}

/// RFC 5246 §7.4.3 ServerDHParams: `dh_p`, `dh_g` and `dh_Ys`, each with
/// a two-byte length.
fn dh_params(group: FfdheGroup, public: &[u8]) -> Vec<u8> {
    let mut params = Vec::new();
    for value in [&group.prime_bytes()[..], &[2], public] {
        params.extend_from_slice(&(value.len() as u16).to_be_bytes());
        params.extend_from_slice(value);
    }
    params
}

/// One end's PRF work in a full TLS 1.2 handshake with extended master
/// secret: the session hash, the master secret, the key block, and the
/// Finished it sends and the one it checks, each over its transcript hash,
/// with `suite`'s PRF and key-block layout.
fn prf_one_end(inputs: &FloorInputs, suite: &CipherSuiteParams, premaster: &[u8]) -> KeyBlock {
    let alg = suite.prf(TLS12);
    // RFC 7627 §3: the session hash ends at ClientKeyExchange; each Finished
    // covers every handshake message before it (RFC 5246 §7.4.9): the
    // client's the same messages, the server's the client's Finished too.
    let through_key_exchange = &inputs.transcript[..inputs.tls12_handshake_len];
    let session_hash = alg.transcript_hash(through_key_exchange);
    let master = prf::extended_master_secret(alg, premaster, &session_hash);
    let keys = prf::key_block(
        alg,
        &master,
        &inputs.client_random,
        &inputs.server_random,
        suite.key_block_layout(TLS12),
    );
    let client_hash = alg.transcript_hash(through_key_exchange);
    black_box(prf::finished_verify_data(
        alg,
        &master,
        FinishedSender::Client,
        &client_hash,
    ));
    let server_hash =
        alg.transcript_hash(&inputs.transcript[..inputs.tls12_handshake_len + TLS12_FINISHED_LEN]);
    black_box(prf::finished_verify_data(
        alg,
        &master,
        FinishedSender::Server,
        &server_hash,
    ));
    keys
}

/// The key exchange and PRF work of one TLS 1.2 full handshake of `case`,
/// both ends, without the records: each end's key block.
fn floor_once(inputs: &mut FloorInputs, case: Case) -> [KeyBlock; 2] {
    let suite = case.suite();
    let [client_premaster, server_premaster] = match (suite.key_exchange, case.group) {
        (KeyExchange::Rsa, _) => rsa_key_transport(inputs),
        (KeyExchange::Ecdhe, Group::Ec(group)) => ecdhe(inputs, case, group),
        (KeyExchange::Dhe, Group::Ff(group)) => dhe(inputs, case, group),
        _ => unreachable!("{}: the suite's key exchange fits its group", case.id),
    };
    let inputs = &*inputs;
    [
        prf_one_end(inputs, suite, &client_premaster),
        prf_one_end(inputs, suite, &server_premaster),
    ]
}

/// The server's signature over a ServerKeyExchange's `content` with its
/// certificate key, and the client's check of it: ECDSA P-256, or
/// RSA-PSS, which the server picks for an RSA key from the client's
/// default signature_algorithms (rsa_pss_rsae_sha256 ahead of
/// rsa_pkcs1_sha256).
fn sign_and_verify(inputs: &mut FloorInputs, case: Case, content: &[u8]) {
    let FloorInputs {
        rng,
        server_key,
        server_public,
        rsa_key,
        rsa_public,
        ..
    } = inputs;
    let (key, public, scheme) = match case.rsa_certificate() {
        true => (rsa_key, rsa_public, SignatureScheme::RsaPssSha256),
        false => (server_key, server_public, SignatureScheme::EcdsaSha256),
    };
    let signature = key
        .sign(scheme, content, rng)
        .expect("the certificate key signs with its scheme");
    public
        .verify(scheme, content, &signature)
        .expect("the signature just made verifies");
}

/// RFC 8422 §2: the server's ephemeral key and signed ServerKeyExchange,
/// the client's check of it, its own key and agreement, then the server's
/// agreement. The client's and the server's premaster secrets.
fn ecdhe(inputs: &mut FloorInputs, case: Case, group: KxGroup) -> [Vec<u8>; 2] {
    let (server_secret, server_point) = group.generate(&mut inputs.rng);
    let content = sign::server_key_exchange_signed_content(
        &inputs.client_random,
        &inputs.server_random,
        &ecdh_params(group, &server_point),
    );
    sign_and_verify(inputs, case, &content);
    let (client_secret, client_point) = group.generate(&mut inputs.rng);
    let client_premaster = client_secret
        .agree(&server_point)
        .expect("the server's point is on the curve");
    let server_premaster = server_secret
        .agree(&client_point)
        .expect("the client's point is on the curve");
    [client_premaster, server_premaster]
}

/// RFC 5246 §7.4.3 with RFC 7919 groups: as [`ecdhe`] in a finite field;
/// the client checks the server's public value when it reads the
/// ServerKeyExchange (RFC 7919 §5.1), and each agreement checks the
/// peer's again.
fn dhe(inputs: &mut FloorInputs, case: Case, group: FfdheGroup) -> [Vec<u8>; 2] {
    let (server_secret, server_public) = group.generate(&mut inputs.rng);
    let content = sign::server_key_exchange_signed_content(
        &inputs.client_random,
        &inputs.server_random,
        &dh_params(group, &server_public),
    );
    sign_and_verify(inputs, case, &content);
    group
        .check_public(&server_public)
        .expect("the server's public value is in range");
    let (client_secret, client_public) = group.generate(&mut inputs.rng);
    let client_premaster = client_secret
        .agree(&server_public)
        .expect("the server's public value is in range");
    let server_premaster = server_secret
        .agree(&client_public)
        .expect("the client's public value is in range");
    [client_premaster, server_premaster]
}

/// RSA key transport (RFC 5246 §7.4.7.1): the client's premaster secret,
/// encrypted to the server's key and decrypted by it.
fn rsa_key_transport(inputs: &mut FloorInputs) -> [Vec<u8>; 2] {
    let mut premaster = vec![3, 3];
    premaster.extend((0..46).map(|_| inputs.rng.u64() as u8));
    let ciphertext = inputs
        .rsa_public
        .encrypt_pkcs1v15(&premaster, &mut inputs.rng)
        .expect("an RSA key encrypts 48 bytes");
    let decrypted = inputs
        .rsa_key
        .decrypt_pkcs1v15(&ciphertext)
        .expect("the ciphertext just made decrypts");
    [premaster, decrypted]
}

/// The client's check of the server's chain, root → leaf, with its
/// verification cache on: the root's signature over the leaf is checked on
/// the run's first handshake; every handshake hashes the leaf's
/// to-be-signed part, its signature and the root's key into the cache key.
fn chain_check(inputs: &mut FloorInputs, case: Case) {
    if inputs.first_of_run() {
        inputs
            .root_public
            .verify(
                SignatureScheme::EcdsaSha256,
                &inputs.leaf_tbs,
                &inputs.leaf_signature,
            )
            .expect("the signature just made verifies");
    }
    inputs.handshakes += 1;
    let key_input = match case.rsa_certificate() {
        true => CACHE_KEY_INPUT_RSA_LEAF,
        false => CACHE_KEY_INPUT_P256_LEAF,
    };
    black_box(HkdfHash::Sha256.hash(&inputs.transcript[..key_input]));
}

/// The certificate's to-be-signed part, about as long as the P-256 leaf's.
const LEAF_TBS_LEN: usize = 322;
/// What the verification cache hashes for its key: the leaf's
/// to-be-signed part, its signature, the root's key and their lengths
/// (a 413-byte P-256 leaf, a 615-byte RSA one, under a P-256 root).
const CACHE_KEY_INPUT_P256_LEAF: usize = 508;
const CACHE_KEY_INPUT_RSA_LEAF: usize = 710;

/// A handshake message of `len` bytes (header included).
fn message(len: usize) -> Vec<u8> {
    vec![0x5a; len]
}

/// RFC 5246 §7.4.9: Finished, 12 bytes of verify_data and its header.
const TLS12_FINISHED_LEN: usize = 16;
/// RFC 8446 §4.4.4: Finished, a SHA-256 HMAC and its header.
const TLS13_FINISHED_LEN: usize = 36;
/// The server's TLS 1.3 flight as the bench's TLS 1.3 case sends it:
/// EncryptedExtensions (its header and 6 bytes), the one-certificate chain
/// and the ECDSA CertificateVerify.
const TLS13_EE_LEN: usize = 10;
const TLS13_CERTIFICATE_LEN: usize = 426;
const TLS13_CERTIFICATE_VERIFY_LEN: usize = 80;
/// NewSessionTicket with its sealed ticket, in the resumed case.
const TLS13_NEW_SESSION_TICKET_LEN: usize = 80;

/// The records one end writes and the other reads in a handshake: content
/// type and plaintext.
type Records = Vec<(ContentType, Vec<u8>)>;

/// The protected records of a TLS 1.2 handshake, each direction sealed by
/// its writer and opened by its reader with their key blocks: Finished,
/// the request or response, close_notify.
fn tls12_records(suite: &CipherSuiteParams, rng: &mut RngStream, blocks: &[KeyBlock; 2]) {
    let [client, server] = blocks;
    for (writer, written_with, read_with, data_len) in [
        (Side::Client, client, server, REQUEST_LEN),
        (Side::Server, server, client, RESPONSE_LEN),
    ] {
        let mut sealer = RecordEncrypter::from_key_block(suite, TLS12, written_with, writer)
            .expect("the key block fits the suite");
        let mut opener = RecordDecrypter::from_key_block(suite, TLS12, read_with, writer)
            .expect("the key block fits the suite");
        let records: Records = vec![
            (ContentType::Handshake, message(TLS12_FINISHED_LEN)),
            (ContentType::ApplicationData, message(data_len as usize)),
            (ContentType::Alert, vec![1, 0]),
        ];
        for (content_type, plaintext) in records {
            let fragment = sealer.encrypt(content_type.get(), TLS12, &plaintext, rng);
            black_box(
                opener
                    .decrypt(content_type.get(), TLS12, &fragment)
                    .expect("the record just sealed opens"),
            );
        }
    }
}

/// Every cryptographic operation one TLS 1.2 full handshake of `case`
/// makes, both ends, as `tlsim run` logs it for a connection of the
/// bench's scenario (`Verify the certificate chain` … `Verify Finished`,
/// then the records):
/// - ECDHE: 2 key generations in the group, 2 agreements, 1 signature
///   over ServerKeyExchange and its check (ECDSA P-256, or RSA-PSS for an
///   RSA certificate); DHE the same in ffdhe2048, with the client's range
///   check of the server's value; RSA key transport instead 1 RSA
///   encryption and 1 decryption of the premaster secret;
/// - the chain: 1 ECDSA check per run, 1 cache-key SHA-256 per handshake;
/// - per end: the session hash, extended master secret, key block, both
///   Finished values over their transcript hashes, with the suite's PRF;
/// - 4 record protections (each direction's sealer and opener), each
///   sealing or opening Finished, the request or response and
///   close_notify.
fn tls12_floor_once(inputs: &mut FloorInputs, case: Case) {
    let blocks = floor_once(inputs, case);
    chain_check(inputs, case);
    tls12_records(case.suite(), &mut inputs.rng, &blocks);
}

/// Where the TLS 1.3 transcript is hashed, as lengths of the messages so
/// far: ClientHello and ServerHello; then through Certificate (the
/// CertificateVerify content), through CertificateVerify or, resumed,
/// EncryptedExtensions (the server's Finished), through the server's
/// Finished (application secrets and the client's Finished), through the
/// client's Finished (resumption master secret).
struct Tls13Transcript {
    hellos: usize,
    certificate: usize,
    server_flight: usize,
    server_finished: usize,
    client_finished: usize,
}

/// The full handshake: a 201-byte ClientHello and a 122-byte ServerHello.
const FULL_TRANSCRIPT: Tls13Transcript = Tls13Transcript {
    hellos: 323,
    certificate: 323 + TLS13_EE_LEN + TLS13_CERTIFICATE_LEN,
    server_flight: 323 + TLS13_EE_LEN + TLS13_CERTIFICATE_LEN + TLS13_CERTIFICATE_VERIFY_LEN,
    server_finished: 323
        + TLS13_EE_LEN
        + TLS13_CERTIFICATE_LEN
        + TLS13_CERTIFICATE_VERIFY_LEN
        + TLS13_FINISHED_LEN,
    client_finished: 323
        + TLS13_EE_LEN
        + TLS13_CERTIFICATE_LEN
        + TLS13_CERTIFICATE_VERIFY_LEN
        + 2 * TLS13_FINISHED_LEN,
};

/// The resumed handshake: a 337-byte ClientHello (302 before its binders)
/// and a 128-byte ServerHello.
const RESUMED_TRANSCRIPT: Tls13Transcript = Tls13Transcript {
    hellos: 465,
    certificate: 0,
    server_flight: 465 + TLS13_EE_LEN,
    server_finished: 465 + TLS13_EE_LEN + TLS13_FINISHED_LEN,
    client_finished: 465 + TLS13_EE_LEN + 2 * TLS13_FINISHED_LEN,
};
const RESUMED_TRUNCATED_CLIENT_HELLO: usize = 302;

/// One end's traffic keys: handshake, then application, client's first.
struct Tls13EndKeys {
    handshake: [TrafficKeys; 2],
    application: [TrafficKeys; 2],
}

/// One end's key schedule in a TLS 1.3 handshake (RFC 8446 §7.1) from
/// the stage after the Early Secret `schedule`: Handshake and Master
/// Secret, both handshake and both application traffic secrets and the
/// exporter secret over their transcript hashes, the four traffic keys
/// and IVs, and both Finished values (the client's over the hash the
/// application secrets take); with `tickets`, the resumption master
/// secret and a ticket's PSK (RFC 8446 §4.6.1).
fn schedule_one_end(
    inputs: &FloorInputs,
    suite: &Tls13CipherSuite,
    mut schedule: KeySchedule,
    shared: &[u8],
    points: &Tls13Transcript,
    tickets: bool,
) -> Tls13EndKeys {
    let hash = suite.hash;
    let transcript = &inputs.transcript;
    schedule.advance(Some(shared));
    let hello_hash = hash.hash(&transcript[..points.hellos]);
    let client_hs = schedule.derive(SecretKind::ClientHandshakeTraffic, &hello_hash);
    let server_hs = schedule.derive(SecretKind::ServerHandshakeTraffic, &hello_hash);
    let flight_hash = hash.hash(&transcript[..points.server_flight]);
    black_box(finished_verify_data(
        hash,
        &finished_key(hash, &server_hs),
        &flight_hash,
    ));
    schedule.advance(None);
    let server_finished_hash = hash.hash(&transcript[..points.server_finished]);
    let client_ap = schedule.derive(SecretKind::ClientApplicationTraffic, &server_finished_hash);
    let server_ap = schedule.derive(SecretKind::ServerApplicationTraffic, &server_finished_hash);
    black_box(schedule.derive(SecretKind::ExporterMaster, &server_finished_hash));
    black_box(finished_verify_data(
        hash,
        &finished_key(hash, &client_hs),
        &server_finished_hash,
    ));
    if tickets {
        let client_finished_hash = hash.hash(&transcript[..points.client_finished]);
        let resumption = schedule.derive(SecretKind::ResumptionMaster, &client_finished_hash);
        black_box(resumption_psk(hash, &resumption, &[0]));
    }
    let keys = |secret: &[u8]| TrafficKeys::derive(hash, suite.bulk, secret);
    Tls13EndKeys {
        handshake: [keys(&client_hs), keys(&server_hs)],
        application: [keys(&client_ap), keys(&server_ap)],
    }
}

/// Each direction's TLS 1.3 records sealed by the writer's keys and opened
/// with the reader's: the server's handshake flight, the client's
/// Finished, the request and close_notify, then (NewSessionTicket with
/// tickets,) the response and close_notify.
fn tls13_records(
    suite: &Tls13CipherSuite,
    client: &Tls13EndKeys,
    server: &Tls13EndKeys,
    server_flight: Records,
    tickets: bool,
) {
    let mut server_application = Vec::new();
    if tickets {
        server_application.push((
            ContentType::Handshake,
            message(TLS13_NEW_SESSION_TICKET_LEN),
        ));
    }
    server_application.extend([
        (ContentType::ApplicationData, message(RESPONSE_LEN as usize)),
        (ContentType::Alert, vec![1, 0]),
    ]);
    let directions = [
        (&server.handshake[1], &client.handshake[1], server_flight),
        (
            &client.handshake[0],
            &server.handshake[0],
            vec![(ContentType::Handshake, message(TLS13_FINISHED_LEN))],
        ),
        (
            &client.application[0],
            &server.application[0],
            vec![
                (ContentType::ApplicationData, message(REQUEST_LEN as usize)),
                (ContentType::Alert, vec![1, 0]),
            ],
        ),
        (
            &server.application[1],
            &client.application[1],
            server_application,
        ),
    ];
    for (written_with, read_with, records) in directions {
        let mut sealer = Tls13Encrypter::new(suite.bulk, written_with).expect("the suite's keys");
        let mut opener = Tls13Decrypter::new(suite.bulk, read_with).expect("the suite's keys");
        for (content_type, content) in records {
            let record = sealer.encrypt(content_type, &content, 0);
            black_box(
                opener
                    .decrypt(&record)
                    .expect("the record just sealed opens"),
            );
        }
    }
}

/// Every cryptographic operation one TLS 1.3 full handshake of `case`
/// makes, both ends, as `tlsim run` logs it for a connection of the
/// bench's scenario (`Client: Key Share` … `Client application traffic
/// keys`, then the records):
/// - 2 key generations in the group and 2 agreements;
/// - the CertificateVerify: 1 ECDSA P-256 signature and its check, each
///   over its own transcript hash through Certificate;
/// - the chain: 1 ECDSA check per run, 1 cache-key SHA-256 per handshake;
/// - per end: Early, Handshake and Master Secret, 5 Derive-Secrets,
///   4 traffic keys and IVs, 2 finished keys and Finished HMACs, 3
///   transcript hashes (hellos, through CertificateVerify, through the
///   server's Finished for the application secrets and the client's
///   Finished); with `tickets`, the resumption master secret (a fourth
///   hash) and the ticket's PSK, and the server seals the ticket;
/// - 8 record protections, sealing and opening EncryptedExtensions,
///   Certificate, CertificateVerify, both Finished, the request, the
///   response and both close_notify (and NewSessionTicket).
fn tls13_full_floor_once(inputs: &mut FloorInputs, case: Case, tickets: bool) {
    let Group::Ec(group) = case.group else {
        unreachable!("{}: TLS 1.3 cases run on elliptic curves", case.id)
    };
    let suite = case.tls13_suite();
    let hash = suite.hash;
    let points = &FULL_TRANSCRIPT;
    let rng = &mut inputs.rng;
    let (client_secret, client_point) = group.generate(rng);
    let (server_secret, server_point) = group.generate(rng);
    let server_shared = server_secret
        .agree(&client_point)
        .expect("the client's share is on the curve");
    let content = certificate_verify_content(
        Side::Server,
        &hash.hash(&inputs.transcript[..points.certificate]),
    );
    let signature = inputs
        .server_key
        .sign(SignatureScheme::EcdsaSha256, &content, rng)
        .expect("a P-256 key signs with ECDSA");
    let client_shared = client_secret
        .agree(&server_point)
        .expect("the server's share is on the curve");
    chain_check(inputs, case);
    let content = certificate_verify_content(
        Side::Server,
        &hash.hash(&inputs.transcript[..points.certificate]),
    );
    inputs
        .server_public
        .verify(SignatureScheme::EcdsaSha256, &content, &signature)
        .expect("the signature just made verifies");
    let server = schedule_one_end(
        inputs,
        suite,
        KeySchedule::new(hash, None),
        &server_shared,
        points,
        tickets,
    );
    let client = schedule_one_end(
        inputs,
        suite,
        KeySchedule::new(hash, None),
        &client_shared,
        points,
        tickets,
    );
    if tickets {
        issue_ticket(inputs);
    }
    let flight = vec![
        (ContentType::Handshake, message(TLS13_EE_LEN)),
        (ContentType::Handshake, message(TLS13_CERTIFICATE_LEN)),
        (
            ContentType::Handshake,
            message(TLS13_CERTIFICATE_VERIFY_LEN),
        ),
        (ContentType::Handshake, message(TLS13_FINISHED_LEN)),
    ];
    tls13_records(suite, &client, &server, flight, tickets);
}

/// The server seals the next session into a ticket (AES-128-GCM under its
/// ticket key, RFC 8446 §4.6.1) for the next handshake to resume with.
fn issue_ticket(inputs: &mut FloorInputs) {
    let contents = TicketContents {
        suite: CipherSuite::from(RESUMED.suite),
        psk: vec![0x11; 32],
        issued_ms: 0,
        lifetime: 7200,
        age_add: inputs.rng.u64() as u32,
        max_early_data_size: 0,
    };
    let mut nonce = [0u8; TICKET_NONCE_LEN];
    nonce.iter_mut().for_each(|b| *b = inputs.rng.u64() as u8);
    inputs.ticket = inputs.ticket_key.seal(&contents, nonce);
}

/// One end's PSK binder over the truncated ClientHello (RFC 8446 §4.2.11.2):
/// the Early Secret from the PSK, the binder key, its finished key and the
/// HMAC. Returns the early stage for the rest of the schedule.
fn binder_one_end(inputs: &FloorInputs, hash: HkdfHash, psk: &[u8]) -> KeySchedule {
    let schedule = KeySchedule::new(hash, Some(psk));
    let binder_key = schedule.derive(SecretKind::ResumptionPskBinderKey, &hash.hash(&[]));
    let truncated_hash = hash.hash(&inputs.transcript[..RESUMED_TRUNCATED_CLIENT_HELLO]);
    black_box(finished_verify_data(
        hash,
        &finished_key(hash, &binder_key),
        &truncated_hash,
    ));
    schedule
}

/// Every cryptographic operation of one connection of the resumed case:
/// the run's first is a full handshake that issues a ticket
/// ([`tls13_full_floor_once`]); each later one, as `tlsim run` logs it
/// (`Early Secret` … `Ticket PSK`, then the records):
/// - the server opens the ticket (AES-128-GCM);
/// - per end: the binder (Early Secret from the PSK, binder key, its
///   finished key, the HMAC over the truncated ClientHello's hash);
/// - 2 X25519 key generations and 2 agreements (psk_dhe_ke), no
///   certificate or signature;
/// - per end: the rest of the schedule with the resumption master secret
///   and the next ticket's PSK, and the server seals the next ticket;
/// - 8 record protections, sealing and opening EncryptedExtensions, both
///   Finished, the request, NewSessionTicket, the response and both
///   close_notify.
fn resumed_floor_once(inputs: &mut FloorInputs, case: Case) {
    if inputs.first_of_run() {
        return tls13_full_floor_once(inputs, case, true);
    }
    inputs.handshakes += 1;
    let Group::Ec(group) = case.group else {
        unreachable!("{}: TLS 1.3 cases run on elliptic curves", case.id)
    };
    let suite = case.tls13_suite();
    let hash = suite.hash;
    let psk = inputs
        .ticket_key
        .open(&inputs.ticket)
        .expect("the last handshake's ticket opens")
        .psk;
    let client_early = binder_one_end(inputs, hash, &psk);
    let server_early = binder_one_end(inputs, hash, &psk);
    let rng = &mut inputs.rng;
    let (client_secret, client_point) = group.generate(rng);
    let (server_secret, server_point) = group.generate(rng);
    let server_shared = server_secret
        .agree(&client_point)
        .expect("the client's share is on the curve");
    let client_shared = client_secret
        .agree(&server_point)
        .expect("the server's share is on the curve");
    let points = &RESUMED_TRANSCRIPT;
    let server = schedule_one_end(inputs, suite, server_early, &server_shared, points, true);
    let client = schedule_one_end(inputs, suite, client_early, &client_shared, points, true);
    issue_ticket(inputs);
    let flight = vec![
        (ContentType::Handshake, message(TLS13_EE_LEN)),
        (ContentType::Handshake, message(TLS13_FINISHED_LEN)),
    ];
    tls13_records(suite, &client, &server, flight, true);
}

/// Every cryptographic operation one connection of `case` makes, both
/// ends: its `crypto_floor/<case>`.
fn handshake_floor_once(inputs: &mut FloorInputs, case: Case) {
    if inputs.first_of_run() {
        inputs.authority.make(&mut inputs.rng);
    }
    match (case.tls13, case.resumed) {
        (false, _) => tls12_floor_once(inputs, case),
        (true, false) => tls13_full_floor_once(inputs, case, false),
        (true, true) => resumed_floor_once(inputs, case),
    }
}

fn crypto_floor(c: &mut Criterion) {
    let mut inputs = FloorInputs::new();
    let mut group = c.benchmark_group("crypto_floor");
    group.bench_function("p256_keygen", |b| {
        b.iter(|| black_box(KxGroup::Secp256r1.generate(&mut inputs.rng)));
    });
    group.bench_function("p256_ecdh", |b| {
        b.iter(|| {
            black_box(
                inputs
                    .client_secret
                    .agree(black_box(&inputs.server_public_point)),
            )
        });
    });
    group.bench_function("ecdsa_p256_sha256_sign", |b| {
        b.iter(|| {
            black_box(inputs.server_key.sign(
                SignatureScheme::EcdsaSha256,
                black_box(&inputs.signed_content),
                &mut inputs.rng,
            ))
        });
    });
    group.bench_function("ecdsa_p256_sha256_verify", |b| {
        b.iter(|| {
            black_box(inputs.server_public.verify(
                SignatureScheme::EcdsaSha256,
                black_box(&inputs.signed_content),
                &inputs.signature,
            ))
        });
    });
    let first = CASES[0].suite();
    inputs.set_case(CASES[0]);
    group.bench_function("prf_both_ends", |b| {
        b.iter(|| {
            black_box(prf_one_end(&inputs, first, &inputs.premaster));
            black_box(prf_one_end(&inputs, first, &inputs.premaster));
        });
    });
    for case in CASES.into_iter().chain([RESUMED]) {
        inputs.set_case(case);
        group.bench_function(case.id, |b| {
            b.iter(|| handshake_floor_once(&mut inputs, case))
        });
    }
    group.finish();
}

/// The median of `samples`.
fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The CPU time this thread has run (`CLOCK_THREAD_CPUTIME_ID`, exact to
/// the nanosecond; the scheduler's `schedstat` advances only at each tick
/// or switch, a few percent of a sample). `None` where there is no such
/// clock.
fn thread_cpu_time() -> Option<cpu_time::ThreadTime> {
    cpu_time::ThreadTime::try_now().ok()
}

/// Seconds of wall time and of CPU time (when known) that `work` takes.
fn time_both(work: impl FnOnce()) -> (f64, Option<f64>) {
    let cpu_start = thread_cpu_time();
    let start = Instant::now();
    work();
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_start
        .and_then(|start| start.try_elapsed().ok())
        .map(|elapsed| elapsed.as_secs_f64());
    (wall, cpu)
}

/// Each sample's time per element, by the wall clock and by CPU time.
#[derive(Default)]
struct Samples {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Samples {
    fn push(&mut self, (wall, cpu): (f64, Option<f64>), elements: u32) {
        self.wall.push(wall / f64::from(elements));
        if let Some(cpu) = cpu {
            self.cpu.push(cpu / f64::from(elements));
        }
    }
}

/// Times `scenario` (of `connections` connections) and `floor` (one
/// connection's cryptography) in alternating samples, and prints under
/// `id` the medians and the median of the pairs' quotients: each pair is
/// timed back to back, so a host whose speed drifts over the samples
/// weighs on both of a pair alike. On a machine shared with other work the
/// wall clock also counts the time this thread waited for a CPU; the CPU
/// time does not, so its ratio is the one to trust there.
fn print_interleaved_ratio(
    id: &str,
    scenario: &Scenario,
    connections: u32,
    mut floor: impl FnMut(),
) {
    const SAMPLES: usize = 15;
    let mut handshakes = Samples::default();
    let mut floors = Samples::default();
    // One of each first, to warm caches.
    black_box(run(scenario, 1, FAST, &mut NullTracer, &mut NoTap));
    floor();
    for _ in 0..SAMPLES {
        let sample = time_both(|| {
            black_box(run(scenario, 1, FAST, &mut NullTracer, &mut NoTap));
        });
        handshakes.push(sample, connections);
        let sample = time_both(|| (0..connections).for_each(|_| floor()));
        floors.push(sample, connections);
    }
    let report = |clock: &str, handshake: Vec<f64>, floor: Vec<f64>| {
        if handshake.len() < SAMPLES || floor.len() < SAMPLES {
            return;
        }
        let ratios = handshake.iter().zip(&floor).map(|(h, f)| h / f).collect();
        eprintln!(
            "{id} {clock}: handshake {:.1} µs, crypto floor {:.1} µs, ratio = {:.2} (target ≤ 1.10)",
            median(handshake) * 1e6,
            median(floor) * 1e6,
            median(ratios)
        );
    };
    report("wall time", handshakes.wall, floors.wall);
    report("CPU time ", handshakes.cpu, floors.cpu);
}

/// [`print_interleaved_ratio`] for `case`'s handshakes and floor.
fn print_ratio(case: Case) {
    let scenario = handshakes_scenario(case, CONNECTIONS);
    let mut inputs = FloorInputs::new();
    inputs.set_case(case);
    print_interleaved_ratio(case.id, &scenario, CONNECTIONS, || {
        handshake_floor_once(&mut inputs, case)
    });
}

/// [`print_interleaved_ratio`] for the equal-work scenario, cache off.
fn print_equal_work_ratio() {
    let scenario = equal_work_scenario(false);
    let mut inputs = FloorInputs::new();
    inputs.tls12_handshake_len = tls12_handshake_len(&scenario);
    let chain = ChainSignatures::new(&mut inputs.rng);
    print_interleaved_ratio(
        "equal_work_cache_off",
        &scenario,
        EQUAL_WORK_CONNECTIONS,
        || equal_work_floor_once(&mut inputs, &chain, false),
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    handshake(&mut criterion);
    crypto_floor(&mut criterion);
    equal_work(&mut criterion);
    criterion.final_summary();
    // Only a measuring run: `cargo test --benches` runs each bench once
    // without `--bench`, and test, list and profiling runs want no extra work.
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    if has("--bench") && !has("--test") && !has("--list") && !has("--profile-time") {
        CASES.into_iter().chain([RESUMED]).for_each(print_ratio);
        print_equal_work_ratio();
    }
}
