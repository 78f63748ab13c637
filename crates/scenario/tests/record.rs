//! A session recorded over loopback against tlsim's own server
//! (`real::serve`), written as a scenario by `real::record`, and replayed
//! in the simulator: on its seed and others, over a lossy link, twice
//! alike. No other TLS stack is needed; `tests/record.rs` at the root does
//! the same against OpenSSL and GnuTLS.

use std::path::{Path, PathBuf};

use tlsim_net::NoTap;
use tlsim_scenario::ends::TlsOutcome;
use tlsim_scenario::expect::{EventChecker, check};
use tlsim_scenario::real::RealConn;
use tlsim_scenario::real::record::{self, Recording};
use tlsim_scenario::{Outcome, load_file, run_in};

#[path = "support/loopback.rs"]
mod loopback;
use loopback::{options, quietly, serve_one};

/// A fresh folder for one test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlsim-record-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Records a session of the loopback scenario with `version` (TLS 1.2 on a CBC
/// suite, whose IVs the client draws), against tlsim's server
/// over loopback, into `dir/session.ron`; returns the client's connection.
fn record_session(version: &str, dir: &Path) -> RealConn {
    let suite = match version {
        "TLS 1.3" => "TLS_AES_128_GCM_SHA256",
        _ => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    };
    // Both ends offer `suite` alone, up to `version`.
    let profile = format!(
        r#", max_version: "{version}", cipher_suites: [{suite:?}], groups: ["x25519", "secp256r1"]"#
    );
    let scenario = loopback::scenario("record-loopback", 5, &profile, &profile);
    let (addr, server) = serve_one(&scenario);
    let opts = options(77);
    let conns =
        quietly(|sinks| record::connect(&scenario, Path::new("."), &addr, opts, sinks)).unwrap();
    server.join().unwrap();
    let recording = Recording {
        scenario: &scenario,
        base: Path::new("."),
        source: "record-loopback.ron",
        seed: opts.seed,
        epoch_unix: opts.clock.epoch_unix(),
    };
    recording.write(&conns, &dir.join("session.ron")).unwrap();
    conns.into_iter().next().unwrap()
}

/// Runs the scenario in `path` on `seed`: its outcome, its events as
/// JSON lines, and what `check` found wrong.
fn replay(path: &Path, seed: u64) -> (Outcome, Vec<String>, Vec<String>) {
    let scenario = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let mut events = Vec::new();
    let base = path.parent().unwrap();
    let outcome = run_in(
        &scenario,
        base,
        seed,
        Default::default(),
        &mut events,
        &mut NoTap,
    )
    .unwrap();
    let mut checker = EventChecker::new(&scenario.expect);
    run_in(
        &scenario,
        base,
        seed,
        Default::default(),
        &mut checker,
        &mut NoTap,
    )
    .unwrap();
    let failures = check(&scenario.expect, &outcome, &checker);
    let lines = events.iter().map(|e| format!("{e:?}")).collect();
    (
        outcome,
        lines,
        failures.iter().map(ToString::to_string).collect(),
    )
}

/// The recorded session replays: the client completes its handshake and
/// reads what it read from the real server, the replayed server sees
/// every client record as recorded, on the scenario's seed and others,
/// over a lossy link, and two runs log the same.
fn replays_the_session(version: &str) {
    let dir = folder(&version.replace(' ', ""));
    let real = record_session(version, &dir);
    assert_eq!(real.end.tls, Some(TlsOutcome::Complete), "{real:?}");
    let session = dir.join("session.ron");
    let (outcome, first_log, failures) = replay(&session, 5);
    assert_eq!(failures, Vec::<String>::new());
    let conn = &outcome.conns[0];
    assert_eq!(conn.client_end.tls, Some(TlsOutcome::Complete));
    assert_eq!(conn.client_end.received, real.end.received);
    assert_eq!(conn.client_end.sent, real.end.sent);
    let (_, second_log, _) = replay(&session, 5);
    assert_eq!(first_log, second_log);

    let text = std::fs::read_to_string(&session).unwrap();
    let lossy = text.replace(r#"(latency: "5ms")"#, r#"(latency: "5ms", loss: 0.2)"#);
    assert_ne!(lossy, text);
    let lossy_path = dir.join("lossy.ron");
    std::fs::write(&lossy_path, lossy).unwrap();
    for seed in 6..9 {
        let (outcome, _, failures) = replay(&lossy_path, seed);
        assert_eq!(failures, Vec::<String>::new(), "seed {seed}");
        assert_eq!(outcome.conns[0].client_end.received, real.end.received);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_recorded_tls12_session_replays_offline() {
    replays_the_session("TLS 1.2");
}

#[test]
fn a_recorded_tls13_session_replays_offline() {
    replays_the_session("TLS 1.3");
}

#[test]
fn a_replay_fails_at_the_first_client_record_that_differs() {
    let dir = folder("differs");
    record_session("TLS 1.2", &dir);
    let session = dir.join("session.ron");
    let text = std::fs::read_to_string(&session).unwrap();
    // Another random stream: another Client Hello from the first record.
    let seed_at = text.find("rng_seed: ").unwrap() + "rng_seed: ".len();
    let changed = format!("{}1{}", &text[..seed_at], &text[seed_at..]);
    std::fs::write(&session, changed).unwrap();
    let (_, _, failures) = replay(&session, 5);
    assert!(
        failures.iter().any(|f| f.starts_with(
            "conversation of server on c1, step 0: expected the recorded Handshake (22) record"
        )),
        "{failures:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
