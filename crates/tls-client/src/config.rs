//! What a client offers and trusts: plain data, so that a scenario file
//! can describe it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use tlsim_tls::cert::VerificationCache;
use tlsim_tls::conn::StoredSession;
use tlsim_tls::crypto::suites::AES_BLOCK_LEN;

/// 2014-01-01T00:00:00Z: the default calendar time at simulated time zero,
/// the year of the documented flow.
pub const DEFAULT_NOW_UNIX: u64 = 1_388_534_400;

/// The client's configuration (RFC 5246 §7.4.1.2 and the extensions it
/// offers).
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The lowest version accepted from the server (e.g. 0x0301).
    pub min_version: u16,
    /// The version offered in the Client Hello (e.g. 0x0303).
    pub max_version: u16,
    /// The version in the Client Hello's record header; `None` means
    /// `min(max_version, 0x0301)` (RFC 5246 Appendix E.1: TLS 1.0 is the
    /// most compatible).
    pub record_version: Option<u16>,
    /// The suites offered, in order; suites tlsim cannot run may be offered
    /// but are never accepted.
    pub cipher_suites: Vec<u16>,
    /// The elliptic curves offered, in order (RFC 4492 §5.1.1).
    pub groups: Vec<u16>,
    /// The EC point formats offered (RFC 4492 §5.1.2); empty: none sent.
    pub ec_point_formats: Vec<u8>,
    /// The signature_algorithms extension (RFC 5246 §7.4.1.4.1); `None`:
    /// not sent. Only sent when offering TLS 1.2.
    pub signature_algorithms: Option<Vec<u16>>,
    /// The server name sent with SNI (RFC 6066 §3) and checked against the
    /// certificate.
    pub server_name: Option<String>,
    /// Application protocols offered with ALPN (RFC 7301).
    pub alpn: Vec<Vec<u8>>,
    /// Whether to offer NPN (an empty next_protocol_negotiation extension).
    pub npn: bool,
    /// Whether to send an empty renegotiation_info (RFC 5746 §3.4).
    pub renegotiation_info: bool,
    /// Whether to offer extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Whether to send an empty SessionTicket extension (RFC 5077).
    pub session_ticket: bool,
    /// An explicit order of extension types in the Client Hello; types not
    /// listed follow in the default order.
    pub extension_order: Option<Vec<u16>>,
    /// Trusted root certificates, DER.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Whether the leaf certificate must match `server_name`.
    pub verify_hostname: bool,
    /// Calendar time (Unix seconds) at simulated time zero, for
    /// certificate validity.
    pub now_unix: u64,
    /// A signature cache shared by connections.
    pub verification_cache: Option<Arc<Mutex<VerificationCache>>>,
    /// Where sessions are kept for resumption, keyed by server name.
    pub session_store: Option<Arc<Mutex<ClientSessionStore>>>,
    /// Pinned random values, to reproduce a transcript.
    pub pins: ClientPins,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            min_version: 0x0301,
            max_version: 0x0303,
            record_version: None,
            cipher_suites: vec![0xc02b, 0xc02f, 0xc023, 0xc027, 0xc009, 0xc013],
            groups: vec![23, 29],
            ec_point_formats: vec![0],
            signature_algorithms: Some(vec![0x0403, 0x0401, 0x0203, 0x0201]),
            server_name: None,
            alpn: Vec::new(),
            npn: false,
            renegotiation_info: true,
            extended_master_secret: false,
            session_ticket: false,
            extension_order: None,
            trust_anchors: Vec::new(),
            verify_hostname: true,
            now_unix: DEFAULT_NOW_UNIX,
            verification_cache: None,
            session_store: None,
            pins: ClientPins::default(),
        }
    }
}

/// Values the client would otherwise draw from its random stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientPins {
    /// `ClientHello.random`.
    pub client_random: Option<[u8; 32]>,
    /// The ECDHE private key (a P-256 scalar or X25519 bytes).
    pub ephemeral_private_key: Option<Vec<u8>>,
    /// The explicit IVs of the client's CBC records, in order.
    pub cbc_ivs: Option<Vec<[u8; AES_BLOCK_LEN]>>,
}

/// Sessions a client may resume, keyed by server name; bounded, oldest
/// evicted first.
#[derive(Clone, Debug)]
pub struct ClientSessionStore {
    sessions: BTreeMap<String, StoredSession>,
    order: VecDeque<String>,
    capacity: usize,
}

impl Default for ClientSessionStore {
    fn default() -> Self {
        ClientSessionStore::new(256)
    }
}

impl ClientSessionStore {
    /// A store keeping at most `capacity` sessions.
    pub fn new(capacity: usize) -> Self {
        ClientSessionStore {
            sessions: BTreeMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The session stored for `server_name`.
    pub fn get(&self, server_name: &str) -> Option<&StoredSession> {
        self.sessions.get(server_name)
    }

    /// Stores `session` for `server_name`, replacing any earlier one.
    pub fn insert(&mut self, server_name: &str, session: StoredSession) {
        self.remove(server_name);
        while self.order.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.sessions.remove(&oldest);
            }
        }
        self.order.push_back(server_name.to_owned());
        self.sessions.insert(server_name.to_owned(), session);
    }

    /// Forgets the session of `server_name`.
    pub fn remove(&mut self, server_name: &str) {
        if self.sessions.remove(server_name).is_some() {
            self.order.retain(|n| n != server_name);
        }
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
            suite: 0xc02b,
            version: 0x0303,
            extended_master_secret: false,
        }
    }

    #[test]
    fn session_store_evicts_the_oldest_entry() {
        let mut store = ClientSessionStore::new(2);
        store.insert("a", session(1));
        store.insert("b", session(2));
        store.insert("a", session(3));
        store.insert("c", session(4));
        assert!(store.get("b").is_none());
        assert_eq!(store.get("a").unwrap().session_id, vec![3; 32]);
        assert_eq!(store.len(), 2);
    }
}
