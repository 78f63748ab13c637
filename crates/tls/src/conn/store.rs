//! A bounded store of resumable sessions (RFC 5246 §7.3), the same for
//! the client (keyed by server name) and the server (keyed by session ID).

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, DefaultHasher, Hash};

use super::{ClientTicket, SessionKeys, StoredSession};

/// Sessions that may be resumed, by key; bounded, the oldest is evicted
/// first.
///
/// A hash map with a fixed hasher: a lookup hashes the key once where a
/// tree compares it with keys scattered over the heap, and nothing ever
/// iterates the map, so its order never reaches an output.
#[derive(Clone, Debug)]
pub struct SessionStore<K: Eq + Hash + Clone> {
    sessions: HashMap<K, StoredSession, BuildHasherDefault<DefaultHasher>>,
    /// Keys in insertion order, for eviction.
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone> Default for SessionStore<K> {
    /// A store of 256 sessions.
    fn default() -> Self {
        SessionStore::new(256)
    }
}

impl<K: Eq + Hash + Clone> SessionStore<K> {
    /// A store keeping at most `capacity` sessions (at least one).
    pub fn new(capacity: usize) -> Self {
        SessionStore {
            sessions: HashMap::default(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The session stored under `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&StoredSession>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.sessions.get(key)
    }

    /// Stores `session` under `key`, replacing any earlier one.
    pub fn insert(&mut self, key: K, session: StoredSession) {
        match self.sessions.entry(key.clone()) {
            Entry::Occupied(mut stored) => {
                // Replaced in place; it becomes the newest.
                stored.insert(session);
                self.order.retain(|k| *k != key);
            }
            Entry::Vacant(slot) => {
                slot.insert(session);
            }
        }
        self.order.push_back(key);
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.sessions.remove(&oldest);
            }
        }
    }

    /// Stores the session of a completed full handshake under `key`,
    /// unless the server gave it neither an identifier (RFC 5246
    /// §7.4.1.3: an empty session_id cannot be resumed) nor a ticket
    /// (RFC 5077 §3.4).
    pub fn remember(&mut self, key: K, keys: &SessionKeys, ticket: Option<ClientTicket>) {
        if !keys.session_id.is_empty() || ticket.is_some() {
            let mut stored = keys.to_stored();
            stored.ticket = ticket;
            self.insert(key, stored);
        }
    }

    /// Forgets the session stored under `key`.
    pub fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        if self.sessions.remove(key).is_some() {
            self.order.retain(|k| k.borrow() != key);
        }
    }

    /// Forgets every session.
    pub fn clear(&mut self) {
        self.sessions.clear();
        self.order.clear();
    }

    /// The number of stored sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: u8) -> StoredSession {
        StoredSession {
            session_id: vec![id; 32],
            master_secret: [id; 48],
            suite: crate::enums::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            version: crate::enums::ProtocolVersion::Tls12,
            extended_master_secret: false,
            ticket: None,
        }
    }

    #[test]
    fn evicts_the_oldest_entry_and_replaces_by_key() {
        let mut store = SessionStore::<String>::new(2);
        store.insert("a".into(), session(1));
        store.insert("b".into(), session(2));
        store.insert("a".into(), session(3));
        store.insert("c".into(), session(4));
        assert!(store.get("b").is_none());
        assert_eq!(store.get("a").unwrap().session_id, vec![3; 32]);
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn removes_by_borrowed_key() {
        let mut store = SessionStore::<Vec<u8>>::new(2);
        store.insert(vec![1; 32], session(1));
        store.insert(vec![2; 32], session(2));
        store.remove(&[2u8; 32][..]);
        assert!(store.get(&[1u8; 32][..]).is_some());
        assert_eq!(store.len(), 1);
    }
}
