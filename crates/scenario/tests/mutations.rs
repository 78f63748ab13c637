//! Message-level mutations of a handshake, against both of tlsim's actors:
//! a scripted peer plays an honest full handshake but for one change to
//! one of its messages (see `tlsim_scenario::strategies::message_mutation`).
//! Whatever the change, tlsim's actor ends the handshake with a fatal
//! alert (RFC 5246 §7.2.2) or completes it with the same keys as its peer,
//! the run ends on its own, and no application data is delivered after a
//! fatal alert. A failing case prints its scenario, ready to save and
//! replay with `tlsim run`.

use proptest::prelude::*;
use tlsim_net::NoTap;
use tlsim_scenario::ends::{EndReport, TlsOutcome};
use tlsim_scenario::strategies::{Change, MessageMutation, MutationCase, Victim, mutation_case};
use tlsim_scenario::{End, RunOptions, parse, run};
use tlsim_sim::NullTracer;
use tlsim_tls::enums::AlertLevel;
use tlsim_tls_script::Verdict;

/// What must hold of a case's run, or what did not.
fn judge(case: &MutationCase) -> Result<(), String> {
    let text = case.to_ron();
    let scenario = parse(&text, "mutated.ron").map_err(|e| e.to_string())?;
    let outcome = run(
        &scenario,
        scenario.seed,
        RunOptions::default(),
        &mut NullTracer,
        &mut NoTap,
    );
    if outcome.end != End::Quiescent {
        return Err(format!("the run did not end on its own: {:?}", outcome.end));
    }
    let conn = &outcome.conns[0];
    let (victim, peer): (&EndReport, &EndReport) = match case.mutation.victim {
        Victim::Server => (&conn.server_end, &conn.client_end),
        Victim::Client => (&conn.client_end, &conn.server_end),
    };
    let received = victim.received.len();
    if victim
        .alerts_sent
        .iter()
        .any(|a| a.level == AlertLevel::Fatal)
    {
        // RFC 5246 §7.2.2: the connection ends with the fatal alert. The
        // peer's application data comes after the changed message, so none
        // may have been delivered.
        return match received {
            0 => Ok(()),
            n => Err(format!(
                "{n} application bytes delivered after a fatal alert"
            )),
        };
    }
    let peer_passed = peer
        .conversation
        .as_ref()
        .is_some_and(|c| c.verdict == Verdict::Passed);
    // The peer verified the actor's Finished and read its application
    // data, and the actor read the peer's: both hold the same keys.
    if victim.tls == Some(TlsOutcome::Complete) && peer_passed && received == 4 {
        return Ok(());
    }
    Err(format!(
        "no fatal alert and no completed handshake: the actor's TLS {:?}, {} bytes received, \
         alerts sent {:?}; the script {:?}",
        victim.tls, received, victim.alerts_sent, peer.conversation
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_client_flight_gets_a_fatal_alert_from_the_server_or_completes(
        case in mutation_case(Victim::Server),
    ) {
        let verdict = judge(&case);
        prop_assert!(verdict.is_ok(), "{}\nscenario:\n{}", verdict.unwrap_err(), case.to_ron());
    }

    #[test]
    fn a_mutated_server_flight_gets_a_fatal_alert_from_the_client_or_completes(
        case in mutation_case(Victim::Client),
    ) {
        let verdict = judge(&case);
        prop_assert!(verdict.is_ok(), "{}\nscenario:\n{}", verdict.unwrap_err(), case.to_ron());
    }
}

fn case(victim: Victim, target: usize, change: Change) -> MutationCase {
    MutationCase {
        mutation: MessageMutation {
            victim,
            target,
            change,
        },
        suite: 0,
        seed: 7,
    }
}

#[test]
fn fragmenting_the_client_hello_into_one_byte_records_is_harmless() {
    assert_eq!(judge(&case(Victim::Server, 0, Change::Fragment(1))), Ok(()));
}

#[test]
fn coalescing_the_server_hello_flight_is_harmless() {
    for target in 0..3 {
        assert_eq!(
            judge(&case(Victim::Client, target, Change::Coalesce)),
            Ok(())
        );
    }
}

#[test]
fn a_skipped_server_hello_done_leaves_the_client_waiting_which_the_property_rejects() {
    // Why the strategy never skips the last message of a flight: nothing
    // tells the client that the Server Hello Done will not come.
    let verdict = judge(&case(Victim::Client, 3, Change::Skip));
    let error = verdict.expect_err("the client cannot judge a message that never comes");
    assert!(
        error.starts_with("no fatal alert and no completed handshake"),
        "{error}"
    );
}
