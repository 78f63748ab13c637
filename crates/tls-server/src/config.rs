//! What a server supports and how it authenticates: plain data, so that a
//! scenario file can describe it.

use std::sync::{Arc, Mutex};

use tlsim_tls::conn::SessionStore;
use tlsim_tls::crypto::sign::SigningKey;
use tlsim_tls::crypto::suites::{AES_BLOCK_LEN, DEFAULT_CIPHER_SUITES};
use tlsim_tls::enums::{CipherSuite, NamedGroup, ProtocolVersion};
pub use tlsim_tls::record::DEFAULT_MAX_HANDSHAKE_LEN;

/// The server's configuration.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The lowest version accepted.
    pub min_version: ProtocolVersion,
    /// The highest version chosen.
    pub max_version: ProtocolVersion,
    /// Suites in the server's order of preference.
    pub cipher_suites: Vec<CipherSuite>,
    /// ECDHE groups in the server's order of preference.
    pub groups: Vec<NamedGroup>,
    /// The certificate chain, leaf first, DER.
    pub cert_chain: Vec<Vec<u8>>,
    /// The leaf certificate's private key.
    pub signing_key: Arc<SigningKey>,
    /// ALPN protocols in the server's order of preference (RFC 7301).
    pub alpn: Vec<Vec<u8>>,
    /// Protocols advertised with NPN.
    pub npn: Vec<Vec<u8>>,
    /// Sessions kept for resumption by session ID (RFC 5246 §7.3).
    pub session_cache: Option<Arc<Mutex<ServerSessionCache>>>,
    /// Whether to agree to extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Whether to agree to encrypt_then_mac (RFC 7366) for CBC suites.
    pub encrypt_then_mac: bool,
    /// The longest handshake message body accepted from the client; a
    /// longer one ends the handshake with decode_error before it is
    /// buffered. RFC 5246 §7.4 allows 2^24-1 bytes; the default is
    /// [`DEFAULT_MAX_HANDSHAKE_LEN`] (1 MiB), room for the largest Client
    /// Hello whose length fields are all filled (about 128 KiB).
    pub max_handshake_len: usize,
    /// Pinned random values, to reproduce a transcript.
    pub pins: ServerPins,
}

impl ServerConfig {
    /// A configuration with the default versions, suites and groups for
    /// this chain and key, no ALPN, NPN or session cache.
    pub fn new(cert_chain: Vec<Vec<u8>>, signing_key: Arc<SigningKey>) -> Self {
        ServerConfig {
            min_version: ProtocolVersion::Tls10,
            max_version: ProtocolVersion::Tls12,
            cipher_suites: DEFAULT_CIPHER_SUITES.to_vec(),
            groups: vec![NamedGroup::Secp256r1, NamedGroup::X25519],
            cert_chain,
            signing_key,
            alpn: Vec::new(),
            npn: Vec::new(),
            session_cache: None,
            extended_master_secret: true,
            encrypt_then_mac: false,
            max_handshake_len: DEFAULT_MAX_HANDSHAKE_LEN,
            pins: ServerPins::default(),
        }
    }
}

/// Values the server would otherwise draw from its random stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerPins {
    /// `ServerHello.random`.
    pub server_random: Option<[u8; 32]>,
    /// The session identifier assigned (0 to 32 bytes).
    pub session_id: Option<Vec<u8>>,
    /// The ECDHE private key (a P-256 scalar or X25519 bytes).
    pub ephemeral_private_key: Option<Vec<u8>>,
    /// The explicit IVs of the server's CBC records, in order.
    pub cbc_ivs: Option<Vec<[u8; AES_BLOCK_LEN]>>,
}

/// Sessions the server can resume, by session ID; bounded, the oldest is
/// evicted first.
pub type ServerSessionCache = SessionStore<Vec<u8>>;
