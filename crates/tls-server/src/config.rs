//! What a server supports and how it authenticates: plain data, so that a
//! scenario file can describe it.

use std::sync::{Arc, Mutex};

use tlsim_tls::cert::TrustAnchors;
use tlsim_tls::conn::ticket::TicketKey;
use tlsim_tls::conn::{RenegotiationPolicy, SessionStore};
use tlsim_tls::crypto::prf::MASTER_SECRET_LEN;
use tlsim_tls::crypto::sign::SigningKey;
use tlsim_tls::crypto::suites::{AES_BLOCK_LEN, DEFAULT_CIPHER_SUITES, GCM_EXPLICIT_NONCE_LEN};
use tlsim_tls::crypto::ticket::Tls13TicketKey;
use tlsim_tls::enums::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};

use crate::tls13_pins::PinnedTickets;
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
    /// Session tickets issued and accepted (RFC 5077); `None`: the
    /// client's SessionTicket extension is ignored.
    pub tickets: Option<TicketPolicy>,
    /// Whether to agree to encrypt_then_mac (RFC 7366) for CBC suites.
    pub encrypt_then_mac: bool,
    /// The longest handshake message body accepted from the client; a
    /// longer one ends the handshake with decode_error before it is
    /// buffered. RFC 5246 §7.4 allows 2^24-1 bytes; the default is
    /// [`DEFAULT_MAX_HANDSHAKE_LEN`] (1 MiB), room for the largest Client
    /// Hello whose length fields are all filled (about 128 KiB).
    pub max_handshake_len: usize,
    /// The server's order of preference for its Server Key Exchange
    /// signature; `None`: the client's order (RFC 5246 §7.4.1.4.1).
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    /// The Server Hello's extensions and their order, by type, to
    /// reproduce another server's hello (in TLS 1.3 also the
    /// HelloRetryRequest's and EncryptedExtensions'): an acknowledgement
    /// (server_name, ec_point_formats, renegotiation_info) or an opaque
    /// extension is sent only when listed, in the listed order; what the
    /// server agreed to (extended_master_secret, ALPN, NPN) is always sent,
    /// after the listed ones unless listed. `None`: tlsim's own order.
    pub extension_order: Option<Vec<ExtensionType>>,
    /// Extensions sent as given, by code point and body, when the Client
    /// Hello carried the same type (RFC 5246 §7.4.1.4), such as heartbeat
    /// (RFC 6520) or record_size_limit (RFC 8449); one of a type tlsim
    /// builds (ec_point_formats) takes the place of tlsim's.
    pub opaque_extensions: Vec<(ExtensionType, Vec<u8>)>,
    /// Pinned random values, to reproduce a transcript.
    pub pins: ServerPins,
    /// Handshake messages sent together share records, as many as fit
    /// (RFC 8446 §5.1), instead of one record each.
    pub coalesce_handshake_records: bool,
    /// RFC 8446 §4.2.2: a HelloRetryRequest carries a cookie, which the
    /// second Client Hello must echo.
    pub hello_retry_cookie: bool,
    /// Whether and how clients prove who they are with a certificate.
    pub client_auth: ClientAuth,
    /// TLS 1.3 tickets issued after the handshake and accepted for
    /// resumption (RFC 8446 §4.6.1); `None`: none issued, every PSK offer
    /// ignored.
    pub tls13_tickets: Option<Tls13TicketConfig>,
    /// Whether a Client Hello after the handshake starts a renegotiation
    /// (RFC 5746) or gets a warning no_renegotiation; one the server asked
    /// for with a Hello Request is always run.
    pub renegotiation: RenegotiationPolicy,
}

/// How a TLS 1.3 server issues and accepts tickets (RFC 8446 §4.6.1).
#[derive(Clone, Debug)]
pub struct Tls13TicketConfig {
    /// NewSessionTickets sent after the client's Finished.
    pub count: u8,
    /// `ticket_lifetime` in seconds (at most 604800); an older ticket is
    /// refused and the handshake is a full one.
    pub lifetime: u32,
    /// The 0-RTT data a ticket allows (its early_data extension); 0: no
    /// 0-RTT. Also the most early data a rejecting server skips (§4.2.10).
    pub max_early_data_size: u32,
    /// The key tickets are sealed with.
    pub key: Tls13TicketKey,
    /// Tickets sent as a trace shows them before sealed ones, and those
    /// that this server and others sent, to resume from; `None`: sealed
    /// tickets only.
    pub pinned: Option<Arc<Mutex<PinnedTickets>>>,
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
            tickets: None,
            encrypt_then_mac: false,
            max_handshake_len: DEFAULT_MAX_HANDSHAKE_LEN,
            signature_algorithms: None,
            extension_order: None,
            opaque_extensions: Vec::new(),
            pins: ServerPins::default(),
            tls13_tickets: None,
            client_auth: ClientAuth::default(),
            hello_retry_cookie: false,
            renegotiation: RenegotiationPolicy::Refuse,
            coalesce_handshake_records: false,
        }
    }
}

/// How the server issues and accepts session tickets (RFC 5077).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketPolicy {
    /// The key that seals new tickets and opens presented ones.
    pub key: TicketKey,
    /// Seconds after issue that a ticket is still accepted.
    pub lifetime: u32,
    /// `ticket_lifetime_hint` sent to the client (RFC 5077 §3.3), seconds;
    /// 0 leaves it unspecified.
    pub lifetime_hint: u32,
    /// Calendar time (Unix seconds) at simulated time zero: tickets carry
    /// the time they were issued.
    pub now_unix: u64,
}

/// Whether the server asks for a client certificate (RFC 5246 §7.4.4,
/// RFC 8446 §4.3.2), and what it does without one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuthPolicy {
    /// No CertificateRequest is sent.
    #[default]
    None,
    /// A CertificateRequest is sent; a client may answer with an empty
    /// Certificate and the handshake goes on.
    Optional,
    /// A CertificateRequest is sent; an empty Certificate ends the
    /// handshake (handshake_failure in TLS 1.2, RFC 5246 §7.4.6;
    /// certificate_required in TLS 1.3, RFC 8446 §4.4.2.4).
    Required,
}

/// How the server authenticates clients.
#[derive(Clone, Debug, Default)]
pub struct ClientAuth {
    /// Whether a certificate is asked for, and required.
    pub policy: ClientAuthPolicy,
    /// The roots a client chain must end at; their subjects are the
    /// CertificateRequest's certificate authorities.
    pub trust_anchors: TrustAnchors,
    /// Calendar time (Unix seconds) at simulated time zero, for the
    /// client certificates' validity.
    pub now_unix: u64,
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
    /// The explicit nonce of the server's first AES-GCM record; each later
    /// one adds one (by default they are the sequence number).
    pub gcm_nonce: Option<[u8; GCM_EXPLICIT_NONCE_LEN]>,
    /// The salt of an RSA-PSS Server Key Exchange or TLS 1.3
    /// CertificateVerify signature (as long as the hash).
    pub pss_salt: Option<Vec<u8>>,
    /// The Server Key Exchange's ECDH public point and signature (or the
    /// TLS 1.3 CertificateVerify's signature) as captured, for a capture
    /// whose key log is known but whose keys are not (an ECDSA signature
    /// cannot be made again otherwise).
    pub ephemeral_public: Option<Vec<u8>>,
    /// See [`ephemeral_public`](Self::ephemeral_public).
    pub signature: Option<Vec<u8>>,
    /// The master secret, from a key log, instead of the derived one.
    pub master_secret: Option<[u8; MASTER_SECRET_LEN]>,
    /// TLS 1.3: the HelloRetryRequest's cookie (RFC 8446 §4.2.2) instead
    /// of an HMAC over the first Client Hello's hash; pinning one sends
    /// it.
    pub cookie: Option<Vec<u8>>,
}

/// Sessions the server can resume, by session ID; bounded, the oldest is
/// evicted first.
pub type ServerSessionCache = SessionStore<Vec<u8>>;
