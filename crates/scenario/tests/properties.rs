//! Properties of whole runs over generated networks. On failure, proptest
//! shrinks to a minimal case and the assertion message carries the scenario
//! as RON, seed included, ready to save as a file and replay with
//! `tlsim check` (which then fails the same way).

use proptest::prelude::*;
use tlsim_net::NoTap;
use tlsim_scenario::digest::StreamDigest;
use tlsim_scenario::expect::{EventChecker, check};
use tlsim_scenario::strategies::{Network, TlsCase, network, tamper, tls_case};
use tlsim_scenario::{End, RunOptions, parse, run};
use tlsim_sim::{Event, NullTracer};

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Over any generated network, the handshake completes on both sides,
    /// every application byte arrives intact, both ends close, and the run
    /// ends on its own.
    #[test]
    fn tls_over_random_networks_completes_and_delivers_every_byte(case in tls_case(network())) {
        let text = case.to_ron();
        let scenario = parse(&text, "generated.ron").unwrap();
        let mut events = EventChecker::new(&scenario.expect);
        let outcome = run(&scenario, scenario.seed, RunOptions::default(), &mut events, &mut NoTap);
        prop_assert_eq!(outcome.end, End::Quiescent, "scenario:\n{}", text);
        let failures = check(&scenario.expect, &outcome, &events);
        prop_assert!(failures.is_empty(), "{:?}\nscenario:\n{}", failures, text);
    }

    /// An on-path attacker flips bits in one of the server's segments and
    /// fixes the TCP checksum. Whatever it hits (a handshake message, a
    /// record header, ciphertext, a MAC), the run ends and the client's
    /// application never reads a byte the server did not send: what it
    /// reads is a prefix of the response, all of it only if nothing was
    /// changed that mattered.
    #[test]
    fn tampering_never_reaches_the_application(
        case in tls_case(Just(Network::quiet())),
        attack in tamper(),
    ) {
        let case = TlsCase { request: 300, response: 9000, tamper: Some(attack), ..case };
        let text = case.to_ron();
        let scenario = parse(&text, "tampered.ron").unwrap();
        let outcome = run(&scenario, scenario.seed, RunOptions::default(), &mut NullTracer, &mut NoTap);
        prop_assert_eq!(outcome.end, End::Quiescent, "scenario:\n{}", text);
        let read = outcome.conns[0].downstream().received;
        // Pattern data: byte i of a stream is i mod 251.
        let prefix: Vec<u8> = (0..read.len()).map(|i| (i % 251) as u8).collect();
        let mut expected = StreamDigest::default();
        expected.update(&prefix);
        prop_assert!(read.len() <= case.response as u64 && read == expected, "{} bytes read, not a prefix of the response\nscenario:\n{}", read.len(), text);
    }

    /// The same scenario and seed give the same log, byte for byte.
    #[test]
    fn the_same_seed_gives_the_same_log(case in tls_case(network()), seed in any::<u64>()) {
        let text = TlsCase { request: 1000, response: 2000, ..case }.to_ron();
        let scenario = parse(&text, "generated.ron").unwrap();
        let log = |seed| {
            let mut events: Vec<Event> = Vec::new();
            run(&scenario, seed, RunOptions::default(), &mut events, &mut NoTap);
            serde_json::to_string(&events).unwrap()
        };
        prop_assert_eq!(log(seed), log(seed));
        prop_assert_ne!(log(seed), log(seed.wrapping_add(1)));
    }
}

#[test]
fn null_tracer_runs_reach_the_same_outcome_as_logged_runs() {
    let text = TlsCase {
        network: Network {
            mbit: 10,
            loss: 0.05,
            reorder: 0.05,
            mss: 1000,
            ..Network::quiet()
        },
        suite: 0,
        request: 5000,
        response: 7000,
        seed: 3,
        tamper: None,
    }
    .to_ron();
    let scenario = parse(&text, "generated.ron").unwrap();
    let quiet = run(
        &scenario,
        3,
        RunOptions::default(),
        &mut NullTracer,
        &mut NoTap,
    );
    let mut events: Vec<Event> = Vec::new();
    let logged = run(&scenario, 3, RunOptions::default(), &mut events, &mut NoTap);
    assert_eq!((quiet.time, quiet.steps), (logged.time, logged.steps));
    assert_eq!(quiet.keylog, logged.keylog);
}
