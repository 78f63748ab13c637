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

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tlsim_sim::{Instant, NullTracer};
use tlsim_tls::cert::VerificationCache;
use tlsim_tls::crypto::ahead::Ahead;

use crate::ends::factory::{Factory, TlsPair};
use crate::schema::{Action, At, Scenario};

/// Flights handed over before a rehearsal gives up: a handshake takes a
/// handful, so this bounds only a pair that never falls silent.
const MAX_FLIGHTS: usize = 32;

/// What the rehearsals of a run need: a few bytes per connection, so that
/// a run of millions of connections does not double its memory.
pub(crate) struct Plan<'s> {
    scenario: &'s Scenario,
    /// The ends' configurations, one for each (client profile, client,
    /// server, port) the timeline connects with.
    pairs: Vec<TlsPair>,
    /// Each connection in the order the run numbers them: its `Connect`
    /// step in the timeline and its pair, or `None` when it cannot be
    /// rehearsed.
    conns: Vec<Option<(u32, u32)>>,
}

impl<'s> Plan<'s> {
    pub(crate) fn new(scenario: &'s Scenario, factory: &mut Factory<'s>) -> Self {
        let cache = Arc::new(Mutex::new(VerificationCache::new()));
        let mut pairs = Vec::new();
        let mut pair_of = BTreeMap::new();
        let mut conns = Vec::new();
        for (step, At(_, action)) in scenario.timeline.iter().enumerate() {
            let Action::Connect {
                from,
                to,
                port,
                tls,
                conversation,
                ..
            } = action
            else {
                continue;
            };
            let profile = tls.as_ref().filter(|_| conversation.is_none());
            let pair = profile.and_then(|profile| {
                let key = (profile.0.as_str(), from.0.as_str(), to.0.as_str(), *port);
                if let Some(&index) = pair_of.get(&key) {
                    return index;
                }
                let made = factory.tls_pair((&from.0, &to.0, *port), &profile.0, &cache);
                let index = made.map(|pair| {
                    pairs.push(pair);
                    pairs.len() - 1
                });
                pair_of.insert(key, index);
                index
            });
            conns.push(
                pair.and_then(|pair| Some((u32::try_from(step).ok()?, u32::try_from(pair).ok()?))),
            );
        }
        Plan {
            scenario,
            pairs,
            conns,
        }
    }

    /// Whether any connection can be rehearsed.
    pub(crate) fn is_empty(&self) -> bool {
        self.conns.iter().all(Option::is_none)
    }

    /// For each connection, whether it can be rehearsed.
    pub(crate) fn rehearsable(&self) -> impl Iterator<Item = bool> + '_ {
        self.conns.iter().map(Option::is_some)
    }

    /// A worker: rehearses the connections `ahead` gives it until the run
    /// is over.
    pub(crate) fn work(&self, ahead: &Arc<Ahead>) {
        while let Some(conn) = ahead.next_rehearsal() {
            ahead.rehearse(conn, || self.rehearse(conn));
        }
    }

    /// Connection `index`'s handshake, and whatever its ends send on their
    /// own after it, with the flights handed over directly.
    fn rehearse(&self, index: usize) {
        let Some((step, pair)) = self.conns[index] else {
            return;
        };
        let At(at, Action::Connect { conn, from, to, .. }) = &self.scenario.timeline[step as usize]
        else {
            return;
        };
        let Ok(number) = u32::try_from(index + 1) else {
            return;
        };
        let (mut client, mut server) =
            self.pairs[pair as usize].ends((&conn.0, number), (&from.0, &to.0));
        // Nobody reads a rehearsal's secrets.
        client.keep_keylog(false);
        server.keep_keylog(false);
        let now = Instant::ZERO + at.0;
        let mut tracer = NullTracer;
        client.start(now, &mut tracer);
        let mut flight = Vec::new();
        for _ in 0..MAX_FLIGHTS {
            flight.clear();
            let to_server = client.write_tls(&mut flight) > 0;
            if to_server {
                server.handle_bytes(now, &flight, &mut tracer);
            }
            flight.clear();
            let to_client = server.write_tls(&mut flight) > 0;
            if to_client {
                client.handle_bytes(now, &flight, &mut tracer);
            }
            if !to_server && !to_client {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{load, pki};

    /// Connections `c1`…`c5`: TLS to a server that resumes nothing, TLS to
    /// one with a session cache, plain TCP, a conversation, and TLS to the
    /// first server again.
    const MIXED: &str = r#"Scenario(
    name: "mixed",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "5ms"))],
    pki: (
        keys: [Key(name: "leaf", kind: P256)],
        certificates: [Cert(name: "server", subject: (cn: "server.test"), key: "leaf", ca: true,
                            not_before: "2025-01-01T00:00:00Z", not_after: "2035-01-01T00:00:00Z")],
    ),
    tls: (
        clients: [TlsClient(name: "client", server_name: "server.test", trust: ["server"])],
        servers: [
            TlsServer(name: "fresh", chain: ["server"], key: "leaf", session_cache: false),
            TlsServer(name: "caching", chain: ["server"], key: "leaf"),
        ],
    ),
    listen: [
        Listen(host: "server", port: 443, tls: "fresh"),
        Listen(host: "server", port: 444, tls: "caching"),
        Listen(host: "server", port: 80),
    ],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "client")),
        At("0ms", Connect(conn: "c2", from: "client", to: "server", port: 444, tls: "client")),
        At("0ms", Close(conn: "c1", from: "client")),
        At("0ms", Connect(conn: "c3", from: "client", to: "server", port: 80)),
        At("0ms", Connect(conn: "c4", from: "client", to: "server", port: 443, tls: "client",
                          conversation: (steps: [Send(message: ClientHello())]))),
        At("1ms", Connect(conn: "c5", from: "client", to: "server", port: 443, tls: "client")),
    ],
)"#;

    #[test]
    fn only_tls_ends_whose_server_resumes_nothing_are_rehearsed() {
        let scenario = load::parse(MIXED, "mixed.ron").unwrap_or_else(|e| panic!("{e}"));
        let built = pki::build(&scenario.pki, 1, Path::new(".")).unwrap();
        let mut factory = Factory::new(&scenario, built, 1, crate::RunOptions::default());
        let plan = Plan::new(&scenario, &mut factory);
        let rehearsable: Vec<bool> = plan.rehearsable().collect();
        assert_eq!(rehearsable, [true, false, false, false, true]);
        // c1 and c5 share their ends' configurations; each keeps its own
        // step of the timeline.
        assert_eq!(plan.pairs.len(), 1);
        assert_eq!(plan.conns[0], Some((0, 0)));
        assert_eq!(plan.conns[4], Some((5, 0)));
    }
}
