//! What a client offers and trusts: plain data, so that a scenario file
//! can describe it.

use std::sync::{Arc, Mutex};

use tlsim_tls::cert::{TrustAnchors, VerificationCache};
use tlsim_tls::conn::{RenegotiationPolicy, SessionStore};
use tlsim_tls::crypto::prf::MASTER_SECRET_LEN;
use tlsim_tls::crypto::sign::{DEFAULT_SIGNATURE_ALGORITHMS, SigningKey};
use tlsim_tls::crypto::suites::{AES_BLOCK_LEN, DEFAULT_CIPHER_SUITES, GCM_EXPLICIT_NONCE_LEN};
use tlsim_tls::enums::{
    CipherSuite, EcPointFormat, ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
    SignatureScheme,
};
pub use tlsim_tls::record::DEFAULT_MAX_HANDSHAKE_LEN;

pub use crate::tickets::TicketStore;

/// 2014-01-01T00:00:00Z: the default calendar time at simulated time zero,
/// the year of the documented flow.
pub const DEFAULT_NOW_UNIX: u64 = 1_388_534_400;

/// The client's configuration (RFC 5246 §7.4.1.2 and the extensions it
/// offers).
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The lowest version accepted from the server.
    pub min_version: ProtocolVersion,
    /// The version offered in the Client Hello.
    pub max_version: ProtocolVersion,
    /// `ClientHello.client_version`; `None` means `max_version` (TLS 1.2
    /// when offering TLS 1.3). Another value reproduces a client that
    /// writes one version and accepts another (RFC 5246 Appendix E.1).
    pub hello_version: Option<ProtocolVersion>,
    /// The version in the Client Hello's record header; `None` means
    /// the lower of `max_version` and TLS 1.0 (RFC 5246 Appendix E.1: TLS
    /// 1.0 is the most compatible).
    pub record_version: Option<ProtocolVersion>,
    /// The suites offered, in order; suites tlsim cannot run may be offered
    /// but are never accepted.
    pub cipher_suites: Vec<CipherSuite>,
    /// The elliptic curves offered, in order (RFC 4492 §5.1.1).
    pub groups: Vec<NamedGroup>,
    /// The EC point formats offered (RFC 4492 §5.1.2); empty: none sent.
    pub ec_point_formats: Vec<EcPointFormat>,
    /// The signature_algorithms extension (RFC 5246 §7.4.1.4.1); `None`:
    /// not sent. Only sent when offering TLS 1.2.
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    /// The server name sent with SNI (RFC 6066 §3) and checked against the
    /// certificate.
    pub server_name: Option<String>,
    /// Application protocols offered with ALPN (RFC 7301).
    pub alpn: Vec<Vec<u8>>,
    /// Whether to offer NPN (an empty next_protocol_negotiation extension).
    pub npn: bool,
    /// Whether to send an empty renegotiation_info (RFC 5746 §3.4).
    pub renegotiation_info: bool,
    /// Whether a Hello Request starts a renegotiation (RFC 5746, with a
    /// server that signalled it) or gets a warning no_renegotiation
    /// (RFC 5246 §7.4.1.1).
    pub renegotiation: RenegotiationPolicy,
    /// Whether to offer extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Whether to offer encrypt_then_mac (RFC 7366) for CBC suites.
    pub encrypt_then_mac: bool,
    /// Whether to send an empty SessionTicket extension (RFC 5077).
    pub session_ticket: bool,
    /// An explicit order of extension types in the Client Hello; types not
    /// listed follow in the default order.
    pub extension_order: Option<Vec<ExtensionType>>,
    /// Extensions sent as given, by code point and body, after the others
    /// unless `extension_order` places them (RFC 5246 §7.4.1.4), such as
    /// padding (RFC 7685).
    pub opaque_extensions: Vec<(ExtensionType, Vec<u8>)>,
    /// The longest handshake message body accepted from the server; a
    /// longer one ends the handshake with decode_error before it is
    /// buffered. RFC 5246 §7.4 allows 2^24-1 bytes; the default is
    /// [`DEFAULT_MAX_HANDSHAKE_LEN`] (1 MiB).
    pub max_handshake_len: usize,
    /// Trusted root certificates.
    pub trust_anchors: TrustAnchors,
    /// Whether the leaf certificate must match `server_name`.
    pub verify_hostname: bool,
    /// Whether a leaf without subjectAltName DNS names may match by its
    /// subject's common name (RFC 6125 §6.4.4); off by default.
    pub common_name_fallback: bool,
    /// Calendar time (Unix seconds) at simulated time zero, for
    /// certificate validity.
    pub now_unix: u64,
    /// A signature cache shared by connections.
    pub verification_cache: Option<Arc<Mutex<VerificationCache>>>,
    /// Where sessions are kept for resumption, keyed by server name.
    pub session_store: Option<Arc<Mutex<ClientSessionStore>>>,
    /// Pinned random values, to reproduce a transcript.
    pub pins: ClientPins,
    /// TLS 1.3 tickets kept for resumption, by server name (RFC 8446
    /// §4.6.1); `None`: tickets are read and dropped.
    pub tickets: Option<Arc<Mutex<TicketStore>>>,
    /// The PSK modes offered with a ticket (RFC 8446 §4.2.9), in order.
    pub psk_modes: Vec<PskKeyExchangeMode>,
    /// Whether to send 0-RTT data (RFC 8446 §4.2.10) with a ticket that
    /// allows it: the application data written before the handshake, up to
    /// the ticket's max_early_data_size.
    pub early_data: bool,
    /// The certificate offered when a server asks for one; `None`: the
    /// client answers a CertificateRequest with an empty Certificate.
    pub client_certificate: Option<ClientCertificate>,
    /// Handshake messages sent together share records, as many as fit
    /// (RFC 8446 §5.1), instead of one record each.
    pub coalesce_handshake_records: bool,
    /// RFC 7685: a TLS 1.3 Client Hello whose handshake message (header
    /// included) is at least 256 bytes long but shorter than this gets a
    /// padding extension of zeros, before any pre_shared_key, that makes
    /// it this long (NSS and OpenSSL pad to 512); `None`: no padding.
    pub hello_padding: Option<usize>,
}

/// A client's certificate chain and the leaf's private key (RFC 5246
/// §7.4.6, RFC 8446 §4.4.2).
#[derive(Clone, Debug)]
pub struct ClientCertificate {
    /// The chain, leaf first, DER.
    pub chain: Vec<Vec<u8>>,
    /// The leaf certificate's private key.
    pub signing_key: Arc<SigningKey>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            min_version: ProtocolVersion::Tls10,
            max_version: ProtocolVersion::Tls12,
            hello_version: None,
            record_version: None,
            cipher_suites: DEFAULT_CIPHER_SUITES.to_vec(),
            groups: vec![NamedGroup::Secp256r1, NamedGroup::X25519],
            ec_point_formats: vec![EcPointFormat::Uncompressed],
            signature_algorithms: Some(DEFAULT_SIGNATURE_ALGORITHMS.to_vec()),
            server_name: None,
            alpn: Vec::new(),
            npn: false,
            renegotiation_info: true,
            renegotiation: RenegotiationPolicy::Refuse,
            extended_master_secret: false,
            encrypt_then_mac: false,
            session_ticket: false,
            extension_order: None,
            opaque_extensions: Vec::new(),
            max_handshake_len: DEFAULT_MAX_HANDSHAKE_LEN,
            trust_anchors: TrustAnchors::default(),
            verify_hostname: true,
            common_name_fallback: false,
            now_unix: DEFAULT_NOW_UNIX,
            verification_cache: None,
            session_store: None,
            pins: ClientPins::default(),
            tickets: None,
            psk_modes: vec![PskKeyExchangeMode::PskDheKe],
            early_data: false,
            client_certificate: None,
            coalesce_handshake_records: false,
            hello_padding: None,
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
    /// The explicit nonce of the client's first AES-GCM record; each later
    /// one adds one (by default they are the sequence number).
    pub gcm_nonce: Option<[u8; GCM_EXPLICIT_NONCE_LEN]>,
    /// RSA key transport: the 46 random bytes of the pre-master secret
    /// (RFC 5246 §7.4.7.1).
    pub pre_master_random: Option<[u8; PRE_MASTER_RANDOM_LEN]>,
    /// RSA key transport: the PKCS #1 v1.5 padding string of the encrypted
    /// pre-master secret (RFC 8017 §7.2.1: nonzero bytes, the modulus
    /// length less 51).
    pub rsa_padding: Option<Vec<u8>>,
    /// The Client Key Exchange as captured, for a capture whose key log is
    /// known but whose keys are not: the ECDH public point, or the
    /// encrypted pre-master secret (RSA), sent instead of the computed one.
    pub key_exchange: Option<Vec<u8>>,
    /// The master secret, from a key log, instead of the derived one.
    pub master_secret: Option<[u8; MASTER_SECRET_LEN]>,
    /// TLS 1.3: the legacy session ID (RFC 8446 §4.1.2), instead of 32
    /// random bytes; empty leaves the middlebox compatibility mode
    /// (Appendix D.4), so no change_cipher_spec is sent.
    pub legacy_session_id: Option<Vec<u8>>,
    /// TLS 1.3: the ticket age in milliseconds reported in
    /// pre_shared_key (RFC 8446 §4.2.11), instead of the time since the
    /// ticket came.
    pub ticket_age: Option<u32>,
    /// TLS 1.3: the private key of the second Client Hello's key share,
    /// on the group a HelloRetryRequest asked for (RFC 8446 §4.1.4).
    pub retry_ephemeral_private_key: Option<Vec<u8>>,
    /// TLS 1.3: the obfuscated_ticket_age of each Client Hello of a
    /// connection that offers a ticket (RFC 8446 §4.2.11), in order (the
    /// second one after a HelloRetryRequest), as a capture shows them in
    /// clear; past the list, `ticket_age` or the clock.
    pub obfuscated_ticket_ages: Vec<u32>,
}

/// RFC 5246 §7.4.7.1: `opaque random[46]` after the two version bytes.
pub const PRE_MASTER_RANDOM_LEN: usize = 46;

/// Sessions a client may resume, keyed by server name; bounded, oldest
/// evicted first.
pub type ClientSessionStore = SessionStore<String>;
