//! The TLS 1.3 tickets a client keeps for resumption (RFC 8446 §4.6.1),
//! by server name.
//!
//! Each ticket is used once (RFC 8446 Appendix C.4: "Clients SHOULD NOT
//! reuse a ticket for multiple connections"): offering it takes it out of
//! the store, and the connection that resumes receives new ones.

use std::collections::BTreeMap;

use tlsim_sim::Instant;
use tlsim_tls::enums::CipherSuite;

/// RFC 8446 §4.6.1: "Clients MUST NOT cache tickets for longer than 7
/// days, regardless of the ticket_lifetime". Within that, the server
/// judges the ticket's age: tlsim's client offers a ticket past its
/// lifetime, so that a server's refusal can be seen.
pub const MAX_TICKET_AGE_MS: u64 = 604_800_000;

/// One ticket and what the client derived when it came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tls13Ticket {
    /// The opaque ticket, the PSK identity offered.
    pub ticket: Vec<u8>,
    /// The PSK (RFC 8446 §4.6.1: from the resumption master secret and
    /// the ticket nonce).
    pub psk: Vec<u8>,
    /// The suite of the connection that received it: a resumption must
    /// use a suite with its hash, 0-RTT this very suite (§4.2.10).
    pub suite: CipherSuite,
    /// `ticket_age_add`.
    pub age_add: u32,
    /// `ticket_lifetime`, seconds.
    pub lifetime: u32,
    /// When it was received, for the ticket age.
    pub received: Instant,
    /// The ticket's early_data `max_early_data_size`; 0 without it.
    pub max_early_data_size: u32,
}

impl Tls13Ticket {
    /// RFC 8446 §4.2.11.1: `age_ms` (the ticket's age, or the one a
    /// trace reports) plus `ticket_age_add`, modulo 2^32.
    pub fn obfuscated_age(&self, age_ms: u64) -> u32 {
        (age_ms as u32).wrapping_add(self.age_add)
    }

    /// The ticket's age at `now`, in milliseconds.
    pub fn age_ms(&self, now: Instant) -> u64 {
        now.saturating_since(self.received).as_millis()
    }
}

/// The newest ticket for each server name.
#[derive(Clone, Debug, Default)]
pub struct TicketStore {
    tickets: BTreeMap<String, Tls13Ticket>,
}

impl TicketStore {
    /// Keeps `ticket` for `server_name`, replacing an older one.
    pub fn insert(&mut self, server_name: &str, ticket: Tls13Ticket) {
        self.tickets.insert(server_name.to_owned(), ticket);
    }

    /// Takes the ticket for `server_name`, unless it is over 7 days old.
    pub fn take(&mut self, server_name: &str, now: Instant) -> Option<Tls13Ticket> {
        self.tickets
            .remove(server_name)
            .filter(|t| t.age_ms(now) <= MAX_TICKET_AGE_MS)
    }

    /// How many tickets are kept.
    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    /// Whether no ticket is kept.
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(received_ms: u64) -> Tls13Ticket {
        Tls13Ticket {
            ticket: vec![1; 8],
            psk: vec![2; 32],
            suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            age_add: u32::MAX,
            lifetime: 7200,
            received: Instant::from_nanos(received_ms * 1_000_000),
            max_early_data_size: 0,
        }
    }

    #[test]
    fn the_obfuscated_age_wraps_modulo_2_to_the_32() {
        let t = ticket(1_000);
        let age_ms = t.age_ms(Instant::from_nanos(1_500_000_000));
        assert_eq!(t.obfuscated_age(age_ms), 499);
    }

    #[test]
    fn a_ticket_is_taken_once_and_not_after_seven_days() {
        let mut store = TicketStore::default();
        store.insert("server.test", ticket(0));
        assert!(store.take("server.test", Instant::from_nanos(0)).is_some());
        assert!(store.take("server.test", Instant::from_nanos(0)).is_none());
        store.insert("server.test", ticket(0));
        let week_later = Instant::from_nanos((MAX_TICKET_AGE_MS + 1) * 1_000_000);
        assert!(store.take("server.test", week_later).is_none());
        assert!(store.is_empty());
    }
}
