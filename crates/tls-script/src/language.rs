//! The step language of a conversation, as scenario files write it (RON).
//!
//! A [`Conversation`] is an ordered list of [`Step`]s for one end of a
//! connection. Code points are numbers (`0xc02f`, `23`), bytes are hex
//! strings (`"0a0b"`), alerts are named as RFC 5246 §7.2 spells them
//! (`"decrypt_error"`) or numbered. Every field that may be left out says
//! what it means when it is. `docs/conversations.md` shows each step with an
//! example.

use core::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use tlsim_sim::Duration;
use tlsim_tls::conn::alert_name;
use tlsim_tls::enums::AlertDescription;

/// A scripted peer: the steps it takes, in order. It passes once the last
/// step has; the first step that does not hold fails it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    /// The steps, numbered from 0 in reports.
    pub steps: Vec<Step>,
    /// How long an `Expect…` step waits for something to come before it
    /// fails with "nothing came"; left out: as long as the run lasts.
    #[serde(default)]
    pub patience: Option<Span>,
}

/// One step of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Step {
    /// Sends one message, in records made as the options say.
    Send {
        /// What to send.
        message: Box<Message>,
        /// Cut the message into records of at most this many bytes of
        /// plaintext; left out: 2^14 (RFC 5246 §6.2.1).
        #[serde(default)]
        fragment: Option<usize>,
        /// Hold the message and put it in the same record as the next
        /// message sent (of the same content type), whose options then
        /// apply to the record.
        #[serde(default)]
        coalesce: bool,
        /// Whether the records are encrypted; left out: `Auto`.
        #[serde(default)]
        protection: Protection,
        /// The version in the record headers; left out: the negotiated
        /// version, or before that the profile's record version.
        #[serde(default)]
        record_version: Option<u16>,
        /// Changes to the message's body: a handshake message's bytes
        /// after its 4-byte header, whose length then follows the change
        /// (RFC 5246 §7.4); any other message's whole payload. The
        /// transcript keeps the unchanged message.
        #[serde(default)]
        body: Vec<Mutation>,
        /// Changes to the message's bytes before they are cut into records
        /// and protected (the transcript keeps the unchanged message).
        #[serde(default)]
        plaintext: Vec<Mutation>,
        /// Changes to each protected record's fragment (explicit IV or
        /// nonce, ciphertext, MAC or tag) after protection.
        #[serde(default)]
        ciphertext: Vec<Mutation>,
        /// Changes to each CBC record's MAC after it is computed and before
        /// encryption (a GCM record's tag is the end of `ciphertext`).
        #[serde(default)]
        mac: Vec<Mutation>,
        /// Changes to each CBC record's padding (its padding_length byte
        /// last) before encryption; zero bytes then fill the last block.
        #[serde(default)]
        padding: Vec<Mutation>,
        /// Other messages written between this message's records.
        #[serde(default)]
        interleave: Vec<Interleaved>,
    },
    /// Waits for the next message and checks it.
    Expect(Expected),
    /// Waits for an alert: any when both fields are left out.
    ExpectAlert {
        /// The level the alert must have; left out: any.
        #[serde(default)]
        level: Option<Level>,
        /// The description the alert must have; left out: any.
        #[serde(default)]
        description: Option<Description>,
    },
    /// Waits for an alert as [`ExpectAlert`](Step::ExpectAlert) does, or for
    /// the peer to close the connection without one.
    ExpectAlertOrClose {
        /// The level the alert must have; left out: any.
        #[serde(default)]
        level: Option<Level>,
        /// The description the alert must have; left out: any.
        #[serde(default)]
        description: Option<Description>,
    },
    /// Waits for the peer to close the connection; a close_notify alert
    /// before the close is accepted too.
    ExpectClose,
    /// Holds for this long, during which nothing may arrive and the
    /// connection may not close.
    ExpectNothing(Span),
    /// Closes the connection (TCP FIN) without an alert.
    Close,
    /// Aborts the connection (TCP RST).
    Abort,
}

/// A message written between the records of another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interleaved {
    /// How many of the other message's records go before it (0: before
    /// the first; past the last: after it).
    pub after: usize,
    /// The message, in records of its own made with the default options.
    pub message: Message,
}

/// Whether a sent message's records are encrypted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protection {
    /// Encrypted once this end has sent ChangeCipherSpec with keys derived,
    /// in the clear before (what a correct peer does).
    #[default]
    Auto,
    /// In the clear, even when keys are active.
    Plain,
    /// Encrypted: with the active keys, or before ChangeCipherSpec with the
    /// keys already derived for it. The step fails if no keys are derived.
    Encrypted,
}

/// A change to bytes. Positions count from the start, or from the end when
/// negative (`-1` is the last byte); positions outside the bytes are
/// ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mutation {
    /// XOR the bytes from `at` with `mask`.
    Xor {
        /// Where the mask starts.
        at: i64,
        /// The mask, hex.
        mask: Hex,
    },
    /// Overwrite the bytes from `at` with `bytes`.
    Set {
        /// Where the bytes start.
        at: i64,
        /// The new bytes, hex.
        bytes: Hex,
    },
    /// Keep only the first `len` bytes.
    Truncate(usize),
    /// Add bytes at the end.
    Append(Hex),
}

/// A message a conversation sends. Messages built from the profile
/// (hellos, certificate, key exchange, Finished) take their values from the
/// end's TLS configuration and what was exchanged so far; every field
/// given overrides one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Message {
    /// RFC 5246 §7.4.1.2, from a client profile's offer.
    ClientHello {
        /// `client_version`; left out: the profile's maximum version.
        #[serde(default)]
        version: Option<u16>,
        /// `random` (any length); left out: 32 bytes from the random stream.
        #[serde(default)]
        random: Option<Hex>,
        /// `session_id` (any length); left out: empty.
        #[serde(default)]
        session_id: Option<Hex>,
        /// `cipher_suites`; left out: the profile's.
        #[serde(default)]
        cipher_suites: Option<Vec<u16>>,
        /// `compression_methods`; left out: `[0]` (null).
        #[serde(default)]
        compression_methods: Option<Vec<u8>>,
        /// Changes to the profile's extensions.
        #[serde(default)]
        extensions: ExtensionEdits,
        /// Length fields written as given instead of as computed.
        #[serde(default)]
        lengths: Lengths,
        /// RFC 8446 §4.2.8: named groups (`29` x25519, `23` secp256r1) on
        /// which this end makes a key pair and offers its public key in a
        /// key_share extension; supported_versions (TLS 1.3 only) and
        /// signature_algorithms are added too unless the profile has them.
        /// A Server Hello choosing TLS 1.3 with a share on one of them
        /// starts the TLS 1.3 key schedule. Left out: none, a TLS 1.2 hello.
        #[serde(default)]
        key_shares: Vec<u16>,
    },
    /// RFC 5246 §7.4.1.3, answering the Client Hello received.
    ServerHello {
        /// `server_version`; left out: the lower of the client's and the
        /// profile's maximum.
        #[serde(default)]
        version: Option<u16>,
        /// `random` (any length); left out: 32 bytes from the random stream.
        #[serde(default)]
        random: Option<Hex>,
        /// `session_id` (any length); left out: 32 bytes from the random
        /// stream.
        #[serde(default)]
        session_id: Option<Hex>,
        /// RFC 8446 §4.1.3: echo the Client Hello's session ID
        /// (`legacy_session_id_echo`) instead; `session_id` wins if given.
        #[serde(default)]
        echo_session_id: bool,
        /// `cipher_suite`; left out: the profile's first suite that the
        /// client offered and that fits the version and the key.
        #[serde(default)]
        cipher_suite: Option<u16>,
        /// `compression_method`; left out: 0 (null).
        #[serde(default)]
        compression_method: Option<u8>,
        /// Changes to the extensions that answer the client's.
        #[serde(default)]
        extensions: ExtensionEdits,
        /// Length fields written as given instead of as computed.
        #[serde(default)]
        lengths: Lengths,
        /// RFC 8446 §4.2.8: the named group of this end's key share, which
        /// answers the client's share on it. The hello then chooses TLS 1.3
        /// (supported_versions and key_share are its only extensions, the
        /// session ID is echoed, the suite is the profile's first TLS 1.3
        /// suite the client offered) and the key schedule starts: what
        /// follows is encrypted. Left out: a TLS 1.2 hello.
        #[serde(default)]
        key_share: Option<u16>,
    },
    /// RFC 8446 §4.3.1: EncryptedExtensions, the first message under the
    /// server's handshake keys.
    EncryptedExtensions {
        /// The extensions; left out: none.
        #[serde(default)]
        extensions: Vec<RawExtension>,
    },
    /// RFC 5246 §7.4.2; in TLS 1.3 the RFC 8446 §4.4.2 form (an empty
    /// request context, no extensions per certificate).
    Certificate {
        /// The certificates (DER, hex), leaf first; left out: the profile's
        /// chain (a client's: its certificate chain, or none).
        #[serde(default)]
        chain: Option<Vec<Hex>>,
    },
    /// RFC 8422 §5.4: ECDHE parameters signed with the profile's key; for
    /// a DHE suite, RFC 5246 §7.4.3 `ServerDHParams` on an RFC 7919 group.
    ServerKeyExchange {
        /// The named curve, or for DHE the RFC 7919 group (256 ffdhe2048,
        /// 257 ffdhe3072); left out: the profile's first group that the
        /// client offered (for DHE: ffdhe2048 if it offered none).
        #[serde(default)]
        group: Option<u16>,
        /// XOR the signature with this mask (from its first byte).
        #[serde(default)]
        signature_xor: Option<Hex>,
        /// DHE: `dh_p` written and signed instead of the group's prime.
        #[serde(default)]
        dh_p: Option<Hex>,
        /// DHE: `dh_g` written and signed instead of 2.
        #[serde(default)]
        dh_g: Option<Hex>,
        /// DHE: `dh_Ys` written and signed instead of this end's public
        /// value (the keys still come from the real one).
        #[serde(default)]
        dh_public: Option<Hex>,
    },
    /// RFC 8446 §4.4.3: the server's signature over the transcript so
    /// far, made with the profile's key.
    CertificateVerify {
        /// The signature scheme; left out: the first TLS 1.3 scheme the
        /// key signs with (ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256).
        #[serde(default)]
        scheme: Option<u16>,
        /// XOR the signature with this mask (from its first byte).
        #[serde(default)]
        signature_xor: Option<Hex>,
    },
    /// RFC 8446 §4.6.3: KeyUpdate; once sent, this end writes under its
    /// next application traffic secret (RFC 8446 §7.2).
    KeyUpdate {
        /// The request_update byte: 0 update_not_requested, 1
        /// update_requested, anything else as written; left out: 0.
        #[serde(default)]
        request_update: u8,
    },
    /// RFC 5246 §7.4.5.
    ServerHelloDone,
    /// RFC 8422 §5.7: this end's ECDHE public key on the server's curve
    /// (after a DHE Server Key Exchange, RFC 5246 §7.4.7.2 `dh_Yc` in the
    /// server's group); the pre-master secret, master secret and keys are
    /// derived here.
    ClientKeyExchange {
        /// The public point (or `dh_Yc`) sent instead of the real one (the
        /// keys are still derived from the real one).
        #[serde(default)]
        public: Option<Hex>,
    },
    /// RFC 5246 §7.1; with `Auto` protection, later records are encrypted
    /// with the keys derived so far.
    ChangeCipherSpec {
        /// The payload; left out: `"01"`.
        #[serde(default)]
        payload: Option<Hex>,
    },
    /// RFC 5246 §7.4.9: `verify_data` over the transcript of what was
    /// actually sent and received; in TLS 1.3 the RFC 8446 §4.4.4 HMAC
    /// keyed from this end's handshake traffic secret, after which this
    /// end writes under its application traffic keys.
    Finished {
        /// `verify_data` as given instead of computed.
        #[serde(default)]
        verify_data: Option<Hex>,
        /// XOR `verify_data` with this mask.
        #[serde(default)]
        xor: Option<Hex>,
        /// Keep only this many bytes of `verify_data`.
        #[serde(default)]
        truncate: Option<usize>,
        /// Add these bytes after `verify_data`.
        #[serde(default)]
        pad: Option<Hex>,
    },
    /// RFC 5246 §7.4.1.1: an empty HelloRequest.
    HelloRequest,
    /// Any handshake message: its type and body as given. It joins the
    /// transcript.
    Handshake {
        /// `msg_type`.
        typ: u8,
        /// The body, hex.
        #[serde(default)]
        body: Hex,
    },
    /// Application data (RFC 5246 §10): `text` then `hex`, both empty
    /// unless given; an empty message is one empty record.
    ApplicationData {
        /// Text, sent as UTF-8.
        #[serde(default)]
        text: String,
        /// Bytes, hex.
        #[serde(default)]
        hex: Hex,
    },
    /// RFC 5246 §7.2: an alert.
    Alert {
        /// The level; left out: fatal.
        #[serde(default)]
        level: Option<Level>,
        /// The description.
        description: Description,
    },
    /// RFC 6520 §4: a heartbeat_request with this payload and 16 bytes of
    /// random padding, in a record of content type 24.
    Heartbeat {
        /// The payload, hex.
        #[serde(default)]
        payload: Hex,
        /// The payload_length field as given instead of computed.
        #[serde(default)]
        payload_length: Option<u16>,
    },
    /// A record of any content type whose fragment is `data`.
    Record {
        /// The content type (20 to 24 are defined).
        content_type: u8,
        /// The fragment, hex.
        #[serde(default)]
        data: Hex,
    },
    /// Bytes written to the connection as they are, without a record.
    Raw(Hex),
}

/// Changes to a hello's extensions, applied in this order: remove, add,
/// order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionEdits {
    /// Leave out the extensions block entirely (no length either).
    #[serde(default)]
    pub none: bool,
    /// Remove the extensions of these types.
    #[serde(default)]
    pub remove: Vec<u16>,
    /// Add these extensions at the end (an extension of a type already
    /// there is added again, not replaced: remove it first).
    #[serde(default)]
    pub add: Vec<RawExtension>,
    /// Put the extensions of these types first, in this order.
    #[serde(default)]
    pub order: Vec<u16>,
}

/// An extension given as bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtension {
    /// `extension_type`.
    pub typ: u16,
    /// `extension_data`, hex.
    #[serde(default)]
    pub data: Hex,
    /// The length written instead of `data`'s.
    #[serde(default)]
    pub length: Option<u16>,
}

/// Length fields of a hello written as given instead of as computed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lengths {
    /// The handshake header's 24-bit body length.
    #[serde(default)]
    pub message: Option<u32>,
    /// The session_id length byte.
    #[serde(default)]
    pub session_id: Option<u8>,
    /// The cipher_suites length (Client Hello only).
    #[serde(default)]
    pub cipher_suites: Option<u16>,
    /// The compression_methods length (Client Hello only).
    #[serde(default)]
    pub compression_methods: Option<u8>,
    /// The extensions block length.
    #[serde(default)]
    pub extensions: Option<u16>,
}

/// A message a conversation waits for, with optional checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Expected {
    /// A Client Hello.
    ClientHello {
        /// The `client_version` it must offer.
        #[serde(default)]
        version: Option<u16>,
        /// Suites it must offer.
        #[serde(default)]
        offers: Vec<u16>,
    },
    /// A Server Hello.
    ServerHello {
        /// The `server_version` it must choose.
        #[serde(default)]
        version: Option<u16>,
        /// The suite it must choose.
        #[serde(default)]
        cipher_suite: Option<u16>,
        /// Extension types it must carry.
        #[serde(default)]
        with_extensions: Vec<u16>,
        /// Extension types it must not carry.
        #[serde(default)]
        without_extensions: Vec<u16>,
    },
    /// RFC 8446 §4.3.1: EncryptedExtensions.
    EncryptedExtensions,
    /// A Certificate.
    Certificate,
    /// A CertificateVerify (the script does not check its signature).
    CertificateVerify,
    /// RFC 8446 §4.6.3: a KeyUpdate; later records are read under the
    /// peer's next application traffic secret.
    KeyUpdate,
    /// A Server Key Exchange (its ECDHE key, or for DHE its RFC 7919
    /// group and public value, kept for the key exchange).
    ServerKeyExchange,
    /// A Server Hello Done.
    ServerHelloDone,
    /// A Client Key Exchange; the keys are derived from it.
    ClientKeyExchange,
    /// A ChangeCipherSpec; later records are decrypted with the keys
    /// derived so far.
    ChangeCipherSpec,
    /// A Finished whose `verify_data` matches the transcript (in TLS 1.3:
    /// keyed from the peer's handshake traffic secret).
    Finished,
    /// A HelloRequest.
    HelloRequest,
    /// A NewSessionTicket (RFC 5077).
    NewSessionTicket,
    /// A handshake message of this type.
    Handshake(u8),
    /// Application data, exactly `text` then `hex` when either is given.
    ApplicationData {
        /// The text it must hold.
        #[serde(default)]
        text: Option<String>,
        /// The bytes it must hold, hex.
        #[serde(default)]
        hex: Option<Hex>,
    },
}

/// An alert level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    /// `warning` (1).
    Warning,
    /// `fatal` (2).
    Fatal,
    /// Any other number.
    Other(u8),
}

impl Level {
    /// The number on the wire.
    pub fn value(self) -> u8 {
        match self {
            Level::Warning => 1,
            Level::Fatal => 2,
            Level::Other(n) => n,
        }
    }
}

/// An alert description: its RFC 5246 §7.2 name (`"decrypt_error"`) or
/// its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Description(pub AlertDescription);

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&alert_name(self.0))
    }
}

impl Serialize for Description {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AlertDescription::Unknown(n) => s.serialize_u8(n),
            known => s.serialize_str(&alert_name(known)),
        }
    }
}

impl<'de> Deserialize<'de> for Description {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(u8),
            Name(String),
        }
        match Written::deserialize(d)? {
            Written::Number(n) => Ok(Description(AlertDescription::from(n))),
            Written::Name(name) => AlertDescription::ALL
                .iter()
                .find(|a| alert_name(**a) == name)
                .map(|a| Description(*a))
                .ok_or_else(|| {
                    de::Error::custom(format!(
                        "unknown alert {name:?}: expected a name such as \"decrypt_error\" or a number"
                    ))
                }),
        }
    }
}

/// A duration written as a string with a unit, as everywhere in scenario
/// files: `"5s"`, `"200ms"`, `"250us"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span(pub Duration);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.with_unit().fmt(f)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Text(String),
            Number(u64),
        }
        match Written::deserialize(d)? {
            Written::Text(text) => Duration::parse(&text).map(Span).map_err(de::Error::custom),
            Written::Number(n) => Err(de::Error::custom(format!(
                "expected a duration string such as \"5s\" or \"200ms\", found the number {n}"
            ))),
        }
    }
}

/// Bytes written as a hex string (`"0a0b0c"`, empty for none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hex(pub Vec<u8>);

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(&text)
            .map(Hex)
            .map_err(|e| de::Error::custom(format!("bad hex {text:?}: {e}")))
    }
}
