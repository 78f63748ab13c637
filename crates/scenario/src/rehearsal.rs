//! Rehearsals: a run's TLS handshakes done ahead on spare cores, so that
//! their public-key operations are ready when the run reaches them (see
//! [`tlsim_tls::crypto::ahead`]).
//!
//! A rehearsal makes a connection's two TLS ends with the configurations
//! and random streams the run gives them and hands each one's flights
//! straight to the other, with no network in between, until neither has
//! anything more to say. The bytes they exchange are the run's bytes as
//! long as nothing but the network differs, which holds when the server
//! resumes nothing: only those connections are rehearsed. What a
//! rehearsal gets wrong (a session id the run's client offers and the
//! server ignores) costs time, never a different result: the run takes
//! only results whose inputs equal its own.

use std::sync::{Arc, Mutex};

use tlsim_sim::{Instant, NullTracer};
use tlsim_tls::cert::VerificationCache;
use tlsim_tls::crypto::ahead::Ahead;
use tlsim_tls_client::ClientConnection;
use tlsim_tls_server::ServerConnection;

use crate::ends::factory::{Factory, TlsPair};
use crate::schema::{Action, Scenario};

/// Flights handed over before a rehearsal gives up: a handshake takes a
/// handful, so this bounds only a pair that never falls silent.
const MAX_FLIGHTS: usize = 32;

/// One connection's rehearsal: its two ends and when the run opens it.
pub(crate) struct Rehearsal {
    pair: TlsPair,
    at: Instant,
}

/// The rehearsal of each connection the timeline opens, in the order the
/// run numbers them; `None` for one that cannot be rehearsed.
pub(crate) fn plan(scenario: &Scenario, factory: &mut Factory<'_>) -> Vec<Option<Rehearsal>> {
    let cache = Arc::new(Mutex::new(VerificationCache::new()));
    let connects = scenario.timeline.iter().filter_map(|step| match &step.1 {
        Action::Connect {
            conn,
            from,
            to,
            port,
            tls,
            conversation,
            ..
        } => Some((step.0.0, conn, from, to, *port, tls, conversation)),
        _ => None,
    });
    connects
        .enumerate()
        .map(|(index, (at, conn, from, to, port, tls, conversation))| {
            let profile = tls.as_ref().filter(|_| conversation.is_none())?;
            let number = u32::try_from(index + 1).ok()?;
            let pair = factory.tls_pair(
                (&conn.0, number),
                (&from.0, &to.0, port),
                &profile.0,
                &cache,
            )?;
            Some(Rehearsal {
                pair,
                at: Instant::ZERO + at,
            })
        })
        .collect()
}

/// A worker: rehearses the connections `ahead` gives it until the run is
/// over.
pub(crate) fn work(plan: &[Option<Rehearsal>], ahead: &Arc<Ahead>) {
    while let Some(conn) = ahead.next_rehearsal() {
        if let Some(rehearsal) = &plan[conn] {
            ahead.rehearse(conn, || rehearsal.run());
        }
    }
}

impl Rehearsal {
    /// The handshake, and whatever the ends send on their own after it,
    /// with the flights handed over directly.
    fn run(&self) {
        let pair = &self.pair;
        let mut tracer = NullTracer;
        let mut client = ClientConnection::new(
            Arc::clone(&pair.client),
            pair.client_rng.clone(),
            pair.client_context.clone(),
        );
        let mut server = ServerConnection::new(
            Arc::clone(&pair.server),
            pair.server_rng.clone(),
            pair.server_context.clone(),
        );
        client.start(self.at, &mut tracer);
        let mut flight = Vec::new();
        for _ in 0..MAX_FLIGHTS {
            flight.clear();
            let to_server = client.write_tls(&mut flight) > 0;
            if to_server {
                server.handle_bytes(self.at, &flight, &mut tracer);
            }
            flight.clear();
            let to_client = server.write_tls(&mut flight) > 0;
            if to_client {
                client.handle_bytes(self.at, &flight, &mut tracer);
            }
            if !to_server && !to_client {
                break;
            }
        }
    }
}
