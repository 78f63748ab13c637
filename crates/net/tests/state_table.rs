//! The TCP state table: its drawings are up to date, and its shape is sound.
//! Every state change a socket makes is checked against it in debug builds,
//! so every other test of this crate also checks the table.

use std::path::Path;

use tlsim_net::State;
use tlsim_net::tcp::{TRANSITIONS, transitions_dot, transitions_markdown};

const ALL: [State; 11] = [
    State::Closed,
    State::Listen,
    State::SynSent,
    State::SynReceived,
    State::Established,
    State::FinWait1,
    State::FinWait2,
    State::CloseWait,
    State::Closing,
    State::LastAck,
    State::TimeWait,
];

#[test]
fn drawings_of_the_table_are_up_to_date() {
    let update = std::env::var_os("TLSIM_UPDATE_GOLDEN").is_some();
    for (file, text) in [
        ("docs/tcp-states.md", transitions_markdown()),
        ("docs/tcp-states.dot", transitions_dot()),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        if update {
            std::fs::write(&path, &text).expect("writable docs/");
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            on_disk, text,
            "{file} is stale: run TLSIM_UPDATE_GOLDEN=1 cargo test -p tlsim-net --test state_table"
        );
    }
}

#[test]
fn each_transition_is_listed_once_and_changes_state() {
    for (i, &(from, to, _)) in TRANSITIONS.iter().enumerate() {
        assert_ne!(from, to, "{from} -> {to}");
        let again = TRANSITIONS[i + 1..]
            .iter()
            .any(|&(f, t, _)| (f, t) == (from, to));
        assert!(!again, "{from} -> {to} is listed twice");
    }
}

#[test]
fn every_state_is_reachable_from_closed_and_can_return_to_it() {
    let mut reached = vec![State::Closed];
    let mut i = 0;
    while let Some(&state) = reached.get(i) {
        for &(from, to, _) in TRANSITIONS {
            if from == state && !reached.contains(&to) {
                reached.push(to);
            }
        }
        i += 1;
    }
    for state in ALL {
        assert!(reached.contains(&state), "{state} is unreachable");
        if state != State::Closed {
            assert!(state.can_become(State::Closed), "{state} cannot close");
        }
    }
    assert!(!State::TimeWait.can_become(State::Established));
}
