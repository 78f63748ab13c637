//! The record layer of one connection, driven by a handshake [`State`].

use std::borrow::Cow;
use std::collections::VecDeque;

use tlsim_sim::{Event, Field, Instant, Kind, RngStream, Tracer, buffers};

use super::machine::{CLOSED, FAILED, Machine, Trigger};
use super::{EventContext, Negotiated, TlsEvent, alert_name, crypto_error};
use crate::codec::{Codec, hex};
use crate::crypto::cipher::tls13::{
    LEGACY_RECORD_VERSION, OUTER_CONTENT_TYPE, Tls13Decrypter, Tls13Encrypter, Tls13Protection,
};
use crate::crypto::cipher::{CbcDirection, RecordDecrypter, RecordEncrypter};
use crate::crypto::key_schedule::TrafficKeys;
use crate::crypto::prf::MASTER_SECRET_LEN;
use crate::crypto::suites::{
    AES_BLOCK_LEN, BulkCipher, GCM_EXPLICIT_NONCE_LEN, KeyExchange, suite_params,
};
use crate::enums::{AlertDescription, AlertLevel, ContentType, HandshakeType, ProtocolVersion};
use crate::error::{Error, InvalidMessage};
use crate::msgs::dissect::{
    HELLO_RETRY_REQUEST, Opened, dissect_protected_record, dissect_record_with_key_exchange,
    is_hello_retry_request,
};
use crate::msgs::{Alert, ChangeCipherSpec, HANDSHAKE_HEADER_LEN, HandshakeMessage};
use crate::record::{
    Deframer, HEADER_LEN, HandshakeJoiner, JoinedMessage, MAX_PLAINTEXT_LEN, RecordHeader,
};

/// What the record layer hands a handshake state.
#[derive(Debug)]
pub enum Input<'a> {
    /// A complete handshake message, with its encoding.
    Handshake(&'a JoinedMessage),
    /// A ChangeCipherSpec record (RFC 5246 §7.1).
    ChangeCipherSpec,
}

impl<'a> Input<'a> {
    /// The handshake message and its decoding, if it is of one of the
    /// `expected` types.
    ///
    /// # Errors
    /// unexpected_message, listing `expected`, for a message of any other
    /// type, whether or not its body decodes (RFC 5246 §7.2.2), or for a
    /// ChangeCipherSpec; decode_error (or what the codec names) for a
    /// message of an expected type whose body does not decode.
    pub fn expect_handshake(
        self,
        expected: &'static [HandshakeType],
    ) -> Result<(&'a JoinedMessage, &'a HandshakeMessage), Error> {
        match self {
            Input::Handshake(m) if expected.contains(&m.typ) => Ok((m, m.message()?)),
            Input::Handshake(m) => Err(super::unexpected_handshake(expected, m.typ)),
            Input::ChangeCipherSpec => Err(super::unexpected_change_cipher_spec()),
        }
    }
}

/// One step of a handshake: what is expected next, and how to handle it.
///
/// The handler consumes the state and returns the next one, or the error
/// that ends the connection. A state that expects something else must
/// reject the input with the list of types it expected.
pub trait State {
    /// The state's stable name, as its actor's transition table
    /// ([`Declaration`](super::Declaration)) lists it.
    fn name(&self) -> &'static str;

    /// Handles one input; `tracer` receives the action and send events.
    ///
    /// # Errors
    /// Any [`Error`]; the caller turns it into a fatal alert.
    fn handle(
        self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Box<dyn State>, Error>;

    /// Whether this is the state of a side that speaks first before it has
    /// spoken: every record is then unexpected, whatever its type.
    fn awaits_start(&self) -> bool {
        false
    }

    /// Begins the handshake of the side that speaks first: queues its
    /// opening flight and returns the next state; `None` in every state
    /// but the one that [`awaits_start`](Self::awaits_start).
    fn start(
        &mut self,
        _core: &mut Core,
        _now: Instant,
        _tracer: &mut dyn Tracer,
    ) -> Option<Box<dyn State>> {
        None
    }

    /// Begins a renegotiation from this end, once connected (RFC 5246
    /// §7.4.1.1): a client queues a new Client Hello, a server a Hello
    /// Request. Returns the next state; `None` where none can begin.
    fn renegotiate(
        &mut self,
        _core: &mut Core,
        _now: Instant,
        _tracer: &mut dyn Tracer,
    ) -> Option<Box<dyn State>> {
        None
    }

    /// The peer answered the renegotiation this end began with a warning
    /// no_renegotiation (RFC 5246 §7.2.2): returns the connected state to
    /// go back to, with the keys in force; `None` in every state but the
    /// one waiting for the answer to a renegotiation's first message.
    fn renegotiation_refused(&mut self) -> Option<Box<dyn State>> {
        None
    }
}

/// A handshake message's name in titles ("Server Hello").
pub fn handshake_name(typ: HandshakeType) -> String {
    handshake_label(typ).into_owned()
}

/// Appends `from` to `to`, leaving `from` empty; into an empty `to` the
/// bytes move without a copy.
fn move_bytes(from: &mut Vec<u8>, to: &mut Vec<u8>) {
    if to.is_empty() {
        std::mem::swap(from, to);
    } else {
        to.append(from);
    }
}

/// [`handshake_name`], borrowed for the types that have a name.
fn handshake_label(typ: HandshakeType) -> Cow<'static, str> {
    match typ.name() {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("Handshake Type {}", typ.get())),
    }
}

/// A handshake message's name in titles, from its bytes (header included):
/// a HelloRetryRequest is named apart from the Server Hello it is on the
/// wire, as Wireshark does.
pub fn message_title(message: &[u8]) -> Cow<'static, str> {
    match message.first() {
        _ if is_hello_retry_request(message) => Cow::Borrowed(HELLO_RETRY_REQUEST),
        Some(&typ) => handshake_label(HandshakeType::from(typ)),
        None => Cow::Borrowed("Handshake"),
    }
}

/// Room for what protection adds to a record's content at most, for
/// reserving: an explicit CBC IV (16 bytes), a MAC of up to 48 bytes and
/// up to 16 of padding (RFC 5246 §6.2.3.2), or an AEAD tag and nonce, or
/// TLS 1.3's type byte and tag.
const RECORD_EXPANSION: usize = 80;

/// Every handshake message of the current handshake, in order, for
/// Finished and the extended master secret (RFC 5246 §7.4.9
/// `handshake_messages`, RFC 7627 §3 `session_hash`).
///
/// The connection keeps it, not the states: messages sent are added by
/// [`Core::queue_handshake`], messages received by the record layer before
/// the state sees them, so no state can leave one out.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    bytes: Vec<u8>,
    /// Where the message being handled began.
    current: usize,
}

impl Transcript {
    /// Every message so far, the one being handled included.
    pub fn all(&self) -> &[u8] {
        &self.bytes
    }

    /// Every message before the one being handled: what the peer's
    /// Finished covers (RFC 5246 §7.4.9).
    pub fn before_current(&self) -> &[u8] {
        &self.bytes[..self.current]
    }

    /// Adds one message's encoding (type, length and body) and makes it
    /// the current one. Only for ends that build and read messages without
    /// a [`State`], such as scripted peers.
    pub fn add(&mut self, message: &[u8]) {
        self.current = self.bytes.len();
        buffers::reserve(&mut self.bytes, message.len());
        self.bytes.extend_from_slice(message);
    }

    /// Replaces the first message with `replacement`, keeping what follows
    /// it: after a HelloRetryRequest the first Client Hello gives way to a
    /// synthetic message_hash (RFC 8446 §4.4.1).
    pub fn replace_first(&mut self, replacement: &[u8]) {
        let first_len = match self.bytes.get(1..HANDSHAKE_HEADER_LEN) {
            Some(&[a, b, c]) => HANDSHAKE_HEADER_LEN + u32::from_be_bytes([0, a, b, c]) as usize,
            _ => self.bytes.len(),
        }
        .min(self.bytes.len());
        self.bytes.splice(..first_len, replacement.iter().copied());
        self.current = match self.current.checked_sub(first_len) {
            Some(after) => replacement.len() + after,
            None => 0,
        };
    }
}

/// Collects events while records are processed, so that the receive event
/// of a batch of records is logged before what it caused.
struct Deferred {
    enabled: bool,
    events: Vec<Event>,
}

impl Tracer for Deferred {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn record(&mut self, event: Event) {
        self.events.push(event);
    }
}

/// The records written or read together, for one send or receive event:
/// their names for the title, their bytes and their dissection.
#[derive(Default)]
pub struct Batch {
    names: Vec<Cow<'static, str>>,
    wire: Vec<u8>,
    fields: Vec<Field>,
}

impl Batch {
    /// Whether no record was added.
    pub fn is_empty(&self) -> bool {
        self.wire.is_empty()
    }

    /// Adds a message's name to the title.
    pub fn name(&mut self, name: impl Into<Cow<'static, str>>) {
        let name = name.into();
        // Consecutive application data records read as one.
        if name == "Application Data" && self.names.last().is_some_and(|n| *n == name) {
            return;
        }
        if self.names.capacity() == 0 {
            // A flight's names (six for a TLS 1.3 server's), in one allocation.
            self.names.reserve(8);
        }
        self.names.push(name);
    }

    /// Empties the batch for its next records, keeping its buffers.
    fn clear(&mut self) {
        self.names.clear();
        self.wire.clear();
        self.fields.clear();
    }

    /// "TLS Client Hello + Certificate", or "TLS Record" without names.
    pub fn title(&self) -> String {
        if self.names.is_empty() {
            "TLS Record".to_owned()
        } else {
            format!("TLS {}", self.names.join(" + "))
        }
    }

    /// Adds one record's bytes; with `tracing`, its dissection too, and
    /// for a protected record its parts and the content it carries.
    pub fn add_record(
        &mut self,
        record: &[u8],
        opened: Option<Opened<'_>>,
        version: Option<ProtocolVersion>,
        key_exchange: Option<KeyExchange>,
        tracing: bool,
    ) {
        let offset = self.wire.len();
        self.wire.extend_from_slice(record);
        self.dissect_from(offset, opened, version, key_exchange, tracing);
    }

    /// With `tracing`, dissects the record written at `offset` of the
    /// batch's bytes, as [`add_record`](Self::add_record) does.
    fn dissect_from(
        &mut self,
        offset: usize,
        opened: Option<Opened<'_>>,
        version: Option<ProtocolVersion>,
        key_exchange: Option<KeyExchange>,
        tracing: bool,
    ) {
        if !tracing {
            return;
        }
        let record = &self.wire[offset..];
        let offset = offset as u32;
        let fields = match opened {
            None => dissect_record_with_key_exchange(record, version, key_exchange),
            Some(opened) => {
                let plaintext = opened.plaintext;
                let summary = match opened.typ {
                    ContentType::Handshake => plaintext
                        .first()
                        .map(|&t| handshake_name(HandshakeType::from(t)))
                        .unwrap_or_default(),
                    ContentType::Alert => Alert::from_bytes(plaintext)
                        .map(|a| format!("Alert ({})", alert_name(a.description)))
                        .unwrap_or_else(|_| "Alert".to_owned()),
                    other => format!("{other}, {} bytes", plaintext.len()),
                };
                dissect_protected_record(record, opened, summary, version)
            }
        };
        self.fields.extend(fields.into_iter().map(|mut f| {
            f.span = f.span.map(|[a, b]| [a + offset, b + offset]);
            f
        }));
    }

    /// The event of these records: `kind` (send or receive) of `ctx`'s
    /// connection, with the title, the dissection and the bytes.
    pub fn into_event(self, ctx: &EventContext, now: Instant, kind: Kind) -> Event {
        let mut event = ctx.event(now, kind, self.title());
        event.fields = self.fields;
        event.explain = crate::msgs::explain::records(&event).map(Into::into);
        event.bytes(self.wire)
    }
}

/// The record layer and bookkeeping of one connection (client or server).
pub struct Core {
    /// Who this connection's events belong to.
    pub ctx: EventContext,
    /// This connection's random stream. Boxed, as are the application
    /// secrets below (304 and 224 bytes), so that a connection stays under
    /// the 1,032 bytes that glibc's per-thread cache hands back last in,
    /// first out: a larger one comes from its bins, in memory long cold.
    pub rng: Box<RngStream>,
    /// Every handshake message so far (see [`Transcript`]).
    pub transcript: Transcript,
    /// What the handshake settled on, once known.
    pub negotiated: Option<Negotiated>,
    /// Both hellos carried encrypt_then_mac (RFC 7366): the CBC keys
    /// installed next MAC the ciphertext.
    pub encrypt_then_mac: bool,
    /// RFC 5746 §3.1: the peer's signal and the last verify_data of each
    /// side, for a renegotiation.
    pub renegotiation: super::SecureRenegotiation,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    // Boxed: a cipher's key schedule and tables are a kilobyte or more
    // each, and inline they made every move of a new connection copy them.
    encrypter: Option<Box<RecordEncrypter>>,
    decrypter: Option<Box<RecordDecrypter>>,
    pending_encrypter: Option<Box<RecordEncrypter>>,
    pending_decrypter: Option<Box<RecordDecrypter>>,
    /// TLS 1.3 protection, which replaces the keys above once set.
    tls13_encrypter: Option<Box<Tls13Encrypter>>,
    tls13_decrypter: Option<Box<Tls13Decrypter>>,
    /// TLS 1.3 server: no protected record from the client has opened
    /// yet, so the client may not have its keys: a plaintext alert is
    /// taken ([`Core::take_plaintext_alerts`]).
    peer_may_lack_keys: bool,
    /// TLS 1.3 once connected: the secrets a KeyUpdate rolls forward.
    pub(super) tls13_traffic: Option<Box<super::tls13::ApplicationTraffic>>,
    write_version: ProtocolVersion,
    version: Option<ProtocolVersion>,
    pinned_ivs: VecDeque<[u8; AES_BLOCK_LEN]>,
    /// The first AES-GCM explicit nonce of the first protection written.
    pinned_gcm_nonce: Option<[u8; GCM_EXPLICIT_NONCE_LEN]>,
    /// A master secret given instead of derived (from a key log).
    pub(super) pinned_master_secret: Option<[u8; MASTER_SECRET_LEN]>,
    outgoing: Vec<u8>,
    flight: Batch,
    /// The records of the bytes being handled (see
    /// [`handle_bytes`](Self::handle_bytes)).
    received_batch: Batch,
    handshake_buf: Vec<u8>,
    /// End offset of each message in `handshake_buf`.
    message_ends: Vec<usize>,
    /// Messages queued together share records (see
    /// [`coalesce_handshake_records`](Self::coalesce_handshake_records)).
    coalesce_handshake: bool,
    /// RFC 8446 Appendix D.4: dummy change_cipher_spec records are sent.
    compatibility_mode: bool,
    events: VecDeque<TlsEvent>,
    received: Vec<u8>,
    unsent: Vec<u8>,
    keylog: Vec<String>,
    /// Whether key log lines are made at all: not for an end whose lines
    /// nobody reads, which spares hex-encoding every secret.
    keeps_keylog: bool,
    error: Option<Error>,
    handshake_complete: bool,
    /// `close` was called: later writes are dropped.
    close_requested: bool,
    /// A client: a HelloRequest during the handshake is dropped.
    ignores_hello_requests: bool,
    /// close_notify is written: nothing follows it.
    sent_close: bool,
    received_close: bool,
    /// TLS 1.3 0-RTT (RFC 8446 §4.2.10), see [`EarlyData`].
    early_data: EarlyData,
    /// A client's 0-RTT: how many more bytes may go out early.
    early_writes: Option<usize>,
    /// A client's 0-RTT data sent, to send again if it is rejected.
    early_written: Vec<u8>,
}

/// Puts `bulk` keyed with `keys` in `slot`, rekeying the protection already
/// there: a TLS 1.3 connection changes keys at least twice each way
/// (handshake, application) and again at each KeyUpdate, and each new key
/// schedule is written where the last one was.
fn install_tls13_keys<D: CbcDirection>(
    slot: &mut Option<Box<Tls13Protection<D>>>,
    bulk: BulkCipher,
    keys: &TrafficKeys,
) -> Result<(), Error> {
    match slot {
        Some(protection) => protection.rekey(bulk, keys),
        None => Tls13Protection::new(bulk, keys).map(|p| *slot = Some(Box::new(p))),
    }
    .map_err(crypto_error)
}

/// An ended connection's buffers go to the next connection on this thread.
impl Drop for Core {
    fn drop(&mut self) {
        buffers::give_back(&mut self.transcript.bytes);
        buffers::give_back(&mut self.handshake_buf);
        buffers::give_back(&mut self.flight.wire);
        buffers::give_back(&mut self.outgoing);
        self.deframer.give_back_buffer();
    }
}

/// RFC 8446 §4.6.1: "Servers receiving more than max_early_data_size bytes
/// of 0-RTT data SHOULD terminate the connection with an
/// "unexpected_message" alert."
fn too_much_early_data() -> Error {
    Error::InappropriateMessage {
        expected: &[ContentType::Handshake],
        got: ContentType::ApplicationData,
    }
}

/// What a TLS 1.3 server does with records before the client's Finished
/// (RFC 8446 §4.2.10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum EarlyData {
    /// No 0-RTT: application data before the handshake completes is
    /// unexpected_message.
    #[default]
    None,
    /// Accepted: this many more bytes of application data may come.
    Accepted(usize),
    /// Rejected: records that fail to open under the handshake key are
    /// skipped, this many more bytes of them.
    Skipping(usize),
}

impl Core {
    /// A connection with nothing sent or received; records are written
    /// with `write_version` until [`set_version`](Self::set_version).
    pub fn new(ctx: EventContext, rng: RngStream, write_version: ProtocolVersion) -> Self {
        Core {
            ctx,
            rng: Box::new(rng),
            transcript: Transcript::default(),
            negotiated: None,
            encrypt_then_mac: false,
            renegotiation: super::SecureRenegotiation::default(),
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::new(),
            encrypter: None,
            decrypter: None,
            pending_encrypter: None,
            pending_decrypter: None,
            tls13_encrypter: None,
            tls13_decrypter: None,
            peer_may_lack_keys: false,
            tls13_traffic: None,
            write_version,
            version: None,
            pinned_ivs: VecDeque::new(),
            pinned_gcm_nonce: None,
            pinned_master_secret: None,
            outgoing: Vec::new(),
            flight: Batch::default(),
            received_batch: Batch::default(),
            handshake_buf: Vec::new(),
            message_ends: Vec::new(),
            coalesce_handshake: false,
            compatibility_mode: true,
            events: VecDeque::new(),
            received: Vec::new(),
            unsent: Vec::new(),
            keylog: Vec::new(),
            keeps_keylog: true,
            error: None,
            handshake_complete: false,
            close_requested: false,
            ignores_hello_requests: false,
            sent_close: false,
            received_close: false,
            early_data: EarlyData::None,
            early_writes: None,
            early_written: Vec::new(),
        }
    }

    /// Refuses a handshake message whose body is longer than `max_len`
    /// bytes, before buffering it (decode_error); the protocol's own limit
    /// is 2^24-1 (RFC 5246 §7.4). Call before any bytes arrive.
    pub fn set_max_handshake_len(&mut self, max_len: usize) {
        self.joiner = HandshakeJoiner::with_limit(max_len);
    }

    /// Drops a HelloRequest that comes while the handshake runs, as a
    /// client must (RFC 5246 §7.4.1.1); once connected the state decides.
    pub fn ignore_hello_requests_while_handshaking(&mut self) {
        self.ignores_hello_requests = true;
    }

    /// Pins the explicit CBC IVs of the next records written, in order;
    /// when they run out, IVs come from the random stream again.
    pub fn pin_cbc_ivs(&mut self, ivs: &[[u8; AES_BLOCK_LEN]]) {
        self.pinned_ivs = ivs.iter().copied().collect();
    }

    /// Pins the explicit nonce of the first AES-GCM record this end
    /// protects; each later record under the same keys adds one (RFC
    /// 5288 §3 leaves the sender the choice; OpenSSL starts at a random
    /// value).
    pub fn pin_gcm_nonce(&mut self, first: [u8; GCM_EXPLICIT_NONCE_LEN]) {
        self.pinned_gcm_nonce = Some(first);
    }

    /// Pins the master secret of the next full handshake: it takes the
    /// place of the derived one, so that a capture whose key log is known
    /// but whose ephemeral keys are not can be reproduced.
    pub fn pin_master_secret(&mut self, master_secret: [u8; MASTER_SECRET_LEN]) {
        self.pinned_master_secret = Some(master_secret);
    }

    /// Writes the handshake messages queued under the same keys into as
    /// few records as they fit (RFC 8446 §5.1, RFC 5246 §6.2.1: messages
    /// "MAY be coalesced into a single" record), as traces such as RFC
    /// 8448's do, instead of one record per message.
    pub fn coalesce_handshake_records(&mut self) {
        self.coalesce_handshake = true;
    }

    /// RFC 8446 Appendix D.4: a client that sends no legacy session ID is
    /// not in the middlebox compatibility mode, and sends no dummy
    /// change_cipher_spec.
    pub fn leave_compatibility_mode(&mut self) {
        self.compatibility_mode = false;
    }

    /// Fixes the negotiated version: records are written with it from now
    /// on (RFC 5246 §6.2.1, Appendix E.1).
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.version = Some(version);
        // RFC 8446 §5.1: TLS 1.3 records carry legacy_record_version 0x0303.
        self.write_version = if version == ProtocolVersion::Tls13 {
            LEGACY_RECORD_VERSION
        } else {
            version
        };
    }

    /// RFC 8446 §5.2: protects every record written from now on with
    /// TLS 1.3 `bulk` under `keys`; the messages queued before go out under
    /// the keys they were queued under.
    ///
    /// # Errors
    /// A key that does not fit `bulk` (see [`Tls13Encrypter::new`]).
    pub fn set_tls13_write_keys(
        &mut self,
        bulk: BulkCipher,
        keys: &TrafficKeys,
        tracing: bool,
    ) -> Result<(), Error> {
        self.seal_handshake(tracing);
        install_tls13_keys(&mut self.tls13_encrypter, bulk, keys)
    }

    /// Writes the records queued so far under the TLS 1.3 keys in force,
    /// then writes plaintext again: a client whose 0-RTT gave way to a
    /// HelloRetryRequest sends its second Client Hello in the clear
    /// (RFC 8446 §4.1.2).
    pub fn drop_tls13_write_keys(&mut self, tracing: bool) {
        self.seal_handshake(tracing);
        self.tls13_encrypter = None;
    }

    /// RFC 8446 §5.2: opens every record read from now on with TLS 1.3
    /// `decrypter`.
    ///
    /// # Errors
    /// unexpected_message if a handshake message is partly read: RFC 8446
    /// §5.1 "Handshake messages MUST NOT span key changes."
    pub fn set_tls13_read_keys(
        &mut self,
        bulk: BulkCipher,
        keys: &TrafficKeys,
    ) -> Result<(), Error> {
        if !self.joiner.is_empty() {
            return Err(Error::InappropriateMessage {
                expected: &[],
                got: ContentType::Handshake,
            });
        }
        install_tls13_keys(&mut self.tls13_decrypter, bulk, keys)
    }

    /// TLS 1.3: a server that has sent its flight reads under keys the
    /// client may not have yet; until a protected record from the client
    /// opens, a plaintext alert is the client's alert, not an unexpected
    /// record (the client changes its write keys only after the server's
    /// Finished, RFC 8446 Appendix A.1, and may fail before).
    pub fn take_plaintext_alerts(&mut self) {
        self.peer_may_lack_keys = true;
    }

    /// RFC 8446 §4.2.10: a server that accepted 0-RTT takes up to
    /// `max_early_data_size` bytes of application data before the client's
    /// Finished; more is unexpected_message.
    pub fn accept_early_data(&mut self, max_early_data_size: usize) {
        self.early_data = EarlyData::Accepted(max_early_data_size);
    }

    /// RFC 8446 §4.2.10: a server that rejected the client's 0-RTT skips
    /// records that do not open under the handshake key (or, after a
    /// HelloRetryRequest, protected records before the second Client
    /// Hello), up to `max_early_data_size` bytes.
    pub fn skip_rejected_early_data(&mut self, max_early_data_size: usize) {
        self.early_data = EarlyData::Skipping(max_early_data_size);
    }

    /// RFC 8446 §4.5: after EndOfEarlyData no more 0-RTT data may come.
    pub fn end_early_data(&mut self) {
        self.early_data = EarlyData::None;
    }

    /// A client's 0-RTT (RFC 8446 §4.2.10): from now until
    /// [`stop_early_data`](Self::stop_early_data), application data is
    /// written at once under the keys in force (the early traffic keys),
    /// up to `max_early_data_size` bytes; the rest waits for the
    /// handshake.
    pub fn start_early_data(&mut self, max_early_data_size: usize, tracing: bool) {
        self.early_writes = Some(max_early_data_size);
        let held = std::mem::take(&mut self.unsent);
        self.write_early_part(&held, tracing);
    }

    /// Ends the client's 0-RTT and returns how many bytes went out; if the
    /// server rejected them they are held again, to go out once the
    /// handshake completes.
    pub fn stop_early_data(&mut self, accepted: bool) -> usize {
        self.early_writes = None;
        let written = std::mem::take(&mut self.early_written);
        if !accepted {
            self.unsent.splice(..0, written.iter().copied());
        }
        written.len()
    }

    /// Writes as much of `data` as 0-RTT still allows, holds the rest.
    /// The records join the current flight; the caller flushes.
    fn write_early_part(&mut self, data: &[u8], tracing: bool) {
        let left = self.early_writes.unwrap_or(0);
        let (now_part, later) = data.split_at(left.min(data.len()));
        if !now_part.is_empty() {
            for chunk in now_part.chunks(MAX_PLAINTEXT_LEN) {
                self.write_record(ContentType::ApplicationData, chunk, tracing);
            }
            self.flight.name("Application Data");
            self.early_written.extend_from_slice(now_part);
            self.early_writes = Some(left - now_part.len());
        }
        self.unsent.extend_from_slice(later);
    }

    /// The negotiated suite's key exchange, once the hellos are exchanged:
    /// the dissector needs it to lay out key exchange bodies.
    fn key_exchange(&self) -> Option<KeyExchange> {
        let suite = self.negotiated.as_ref()?.suite;
        suite_params(suite).map(|s| s.key_exchange)
    }

    /// Whether the negotiated version is TLS 1.3.
    fn is_tls13(&self) -> bool {
        self.version == Some(ProtocolVersion::Tls13)
    }

    /// The negotiated version, once the hellos are exchanged.
    pub fn version(&self) -> Option<ProtocolVersion> {
        self.version
    }

    /// Sets the record protection that takes effect at the next
    /// ChangeCipherSpec in each direction.
    pub fn set_pending_keys(&mut self, mut encrypter: RecordEncrypter, decrypter: RecordDecrypter) {
        if let Some(first) = self.pinned_gcm_nonce.take() {
            encrypter.start_explicit_nonces_at(first);
        }
        self.pending_encrypter = Some(Box::new(encrypter));
        self.pending_decrypter = Some(Box::new(decrypter));
    }

    /// Takes the keys [`set_pending_keys`](Self::set_pending_keys) set, for
    /// a caller that protects records itself.
    pub fn take_pending_keys(&mut self) -> Option<(RecordEncrypter, RecordDecrypter)> {
        self.pending_encrypter
            .take()
            .zip(self.pending_decrypter.take())
            .map(|(encrypter, decrypter)| (*encrypter, *decrypter))
    }

    /// RFC 5246 §7.1: a received ChangeCipherSpec switches the read side
    /// to the pending keys.
    ///
    /// # Errors
    /// unexpected_message if no keys are pending.
    pub fn activate_read_keys(&mut self) -> Result<(), Error> {
        match self.pending_decrypter.take() {
            Some(d) => {
                self.decrypter = Some(d);
                Ok(())
            }
            None => Err(super::unexpected_change_cipher_spec()),
        }
    }

    /// Whether the handshake has not completed yet.
    pub fn is_handshaking(&self) -> bool {
        !self.handshake_complete && self.error.is_none()
    }

    /// Whether the connection failed.
    pub fn has_failed(&self) -> bool {
        self.error.is_some()
    }

    /// Whether application data written now goes out at once: the
    /// handshake is complete and neither side has closed or failed.
    pub fn is_ready_for_application_data(&self) -> bool {
        self.handshake_complete
            && self.error.is_none()
            && !self.close_requested
            && !self.received_close
    }

    /// Application bytes written before the handshake completed, kept
    /// until it does.
    pub fn held_application_data(&self) -> usize {
        self.unsent.len()
    }

    /// Whether the last record is written: close_notify, or the fatal
    /// alert of a failure. The transport may close once it has sent
    /// everything [`write_tls`](Self::write_tls) gave.
    pub fn is_done_writing(&self) -> bool {
        self.sent_close || self.error.is_some()
    }

    /// The error that ended the connection, if any.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Adds the key log line `line` makes, if key log lines are kept.
    pub fn push_keylog(&mut self, line: impl FnOnce() -> String) {
        if self.keeps_keylog {
            self.keylog.push(line());
        }
    }

    /// Whether key log lines are made (they are unless told otherwise).
    pub fn keep_keylog(&mut self, keep: bool) {
        self.keeps_keylog = keep;
    }

    /// The key log lines not taken yet.
    pub fn take_keylog(&mut self) -> Vec<String> {
        std::mem::take(&mut self.keylog)
    }

    /// Appends the bytes queued for the transport to `out`; returns how
    /// many.
    pub fn write_tls(&mut self, out: &mut Vec<u8>) -> usize {
        let n = self.outgoing.len();
        move_bytes(&mut self.outgoing, out);
        n
    }

    /// Whether bytes wait for the transport.
    pub fn wants_write(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Appends the application bytes received to `out`; returns how many.
    pub fn read_application_data(&mut self, out: &mut Vec<u8>) -> usize {
        let n = self.received.len();
        out.append(&mut self.received);
        n
    }

    /// The next event for the caller.
    pub fn poll_event(&mut self) -> Option<TlsEvent> {
        self.events.pop_front()
    }

    /// Queues a handshake message in the current flight and adds it to the
    /// transcript. Each message gets a record of its own (RFC 5246 §6.2.1
    /// would allow sharing), as OpenSSL and the documented server write them.
    pub fn queue_handshake(&mut self, message: &HandshakeMessage) {
        let start = self.handshake_buf_start();
        message.encode(&mut self.handshake_buf);
        self.message_ends.push(self.handshake_buf.len());
        self.transcript.add(&self.handshake_buf[start..]);
        self.flight
            .name(message_title(&self.handshake_buf[start..]));
    }

    /// Where the next message of the flight starts. The first one reserves
    /// room for a typical flight (see [`buffers::reserve`]).
    fn handshake_buf_start(&mut self) -> usize {
        buffers::reserve(&mut self.handshake_buf, 0);
        self.handshake_buf.len()
    }

    /// Like [`queue_handshake`](Self::queue_handshake) for a message whose
    /// body `encode_body` writes straight into the flight, sparing a copy
    /// of large bodies such as certificate chains.
    pub fn queue_handshake_with(
        &mut self,
        typ: HandshakeType,
        encode_body: impl FnOnce(&mut Vec<u8>),
    ) {
        let start = self.handshake_buf_start();
        typ.encode(&mut self.handshake_buf);
        crate::msgs::HANDSHAKE_BODY.encode_with(&mut self.handshake_buf, encode_body);
        self.message_ends.push(self.handshake_buf.len());
        self.transcript.add(&self.handshake_buf[start..]);
        self.flight
            .name(message_title(&self.handshake_buf[start..]));
    }

    /// Queues ChangeCipherSpec and switches the write side to the pending
    /// keys (RFC 5246 §7.1).
    ///
    /// # Errors
    /// internal_error if no keys are pending: a bug of the caller.
    pub fn queue_change_cipher_spec(&mut self, tracing: bool) -> Result<(), Error> {
        self.seal_handshake(tracing);
        self.write_record(ContentType::ChangeCipherSpec, &[1], tracing);
        self.flight.name("Change Cipher Spec");
        self.encrypter = Some(self.pending_encrypter.take().ok_or(Error::Crypto(
            crate::error::CryptoError::Internal("no pending keys at ChangeCipherSpec"),
        ))?);
        Ok(())
    }

    /// RFC 8446 Appendix D.4: the middlebox compatibility mode's dummy
    /// change_cipher_spec, a plaintext record of the single byte 1 that
    /// changes no keys.
    pub fn queue_compatibility_change_cipher_spec(&mut self, tracing: bool) {
        if !self.compatibility_mode {
            return;
        }
        self.seal_handshake(tracing);
        // RFC 8446 §5.1: 0x0303 on every record but an initial Client
        // Hello, this one included when it goes before 0-RTT data, while
        // the version is not yet fixed.
        let version = std::mem::replace(&mut self.write_version, LEGACY_RECORD_VERSION);
        self.write_record(ContentType::ChangeCipherSpec, &[1], tracing);
        self.write_version = version;
        self.flight.name("Change Cipher Spec");
    }

    /// Writes the current flight: one send event, then the bytes are
    /// queued for the transport.
    pub fn flush(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.seal_handshake(tracer.enabled());
        if self.flight.is_empty() {
            return;
        }
        if tracer.enabled() {
            let flight = std::mem::take(&mut self.flight);
            self.outgoing.extend_from_slice(&flight.wire);
            tracer.record(flight.into_event(&self.ctx, now, Kind::Send));
        } else {
            move_bytes(&mut self.flight.wire, &mut self.outgoing);
            self.flight.clear();
        }
    }

    fn seal_handshake(&mut self, tracing: bool) {
        if self.handshake_buf.is_empty() {
            return;
        }
        let mut buf = std::mem::take(&mut self.handshake_buf);
        let mut ends = std::mem::take(&mut self.message_ends);
        if self.coalesce_handshake {
            ends.clear();
            ends.push(buf.len());
        }
        let records = ends.len() + buf.len() / MAX_PLAINTEXT_LEN;
        // A flight whose last buffer went to the transport with its
        // records takes a spare one.
        buffers::reserve(
            &mut self.flight.wire,
            buf.len() + records * (HEADER_LEN + RECORD_EXPANSION),
        );
        let mut start = 0;
        for &end in &ends {
            for chunk in buf[start..end].chunks(MAX_PLAINTEXT_LEN) {
                self.write_record(ContentType::Handshake, chunk, tracing);
            }
            start = end;
        }
        // The flight is in records now: its buffer serves whichever
        // connection writes the next one, while it is still in the cache.
        buffers::recycle(&mut buf);
        self.handshake_buf = buf;
        ends.clear();
        self.message_ends = ends;
    }

    /// Protects (if keys are active) and frames one record of at most 2^14
    /// bytes into the current flight.
    fn write_record(&mut self, typ: ContentType, plaintext: &[u8], tracing: bool) {
        let start = self.flight.wire.len();
        let record = &mut self.flight.wire;
        buffers::reserve(record, HEADER_LEN + plaintext.len() + RECORD_EXPANSION);
        RecordHeader {
            // RFC 8446 §5.2: a protected record's real type is inside it.
            typ: match self.tls13_encrypter {
                Some(_) => OUTER_CONTENT_TYPE,
                None => typ,
            },
            // RFC 8446 §5.1: 0x0303 on every record but an initial Client
            // Hello, 0-RTT records (before the version is known) included.
            version: match self.tls13_encrypter {
                Some(_) => LEGACY_RECORD_VERSION,
                None => self.write_version,
            },
            length: 0,
        }
        .encode(record);
        let version = self.write_version.get();
        let protected = match &mut self.encrypter {
            _ if self.tls13_encrypter.is_some() => {
                let encrypter = self.tls13_encrypter.as_mut().expect("checked above");
                encrypter.encrypt_into(typ, plaintext, 0, record);
                true
            }
            Some(encrypter) => {
                match self.pinned_ivs.pop_front() {
                    Some(iv) => record.extend_from_slice(&encrypter.encrypt_with_iv(
                        typ.get(),
                        version,
                        plaintext,
                        &iv,
                    )),
                    None => {
                        encrypter.encrypt_into(typ.get(), version, plaintext, &mut self.rng, record)
                    }
                }
                true
            }
            None => {
                record.extend_from_slice(plaintext);
                false
            }
        };
        let len = (record.len() - start - HEADER_LEN) as u16;
        record[start + 3..start + 5].copy_from_slice(&len.to_be_bytes());
        // A client's 0-RTT records are TLS 1.3 before any Server Hello has
        // said so (RFC 8446 §4.2.10): the key in use tells the version.
        let hint = match &self.tls13_encrypter {
            Some(_) => Some(ProtocolVersion::Tls13),
            None => self.version,
        };
        let trace = match (&self.tls13_encrypter, &self.encrypter) {
            (Some(encrypter), _) => Some(encrypter.last_record()),
            (None, Some(encrypter)) => Some(encrypter.last_record()),
            (None, None) => None,
        };
        let opened = trace.filter(|_| protected).map(|trace| Opened {
            typ,
            plaintext,
            trace,
        });
        let key_exchange = self.key_exchange();
        self.flight
            .dissect_from(start, opened, hint, key_exchange, tracing);
    }

    /// Completes the handshake: flushes the flight, reports
    /// [`TlsEvent::HandshakeComplete`], then sends the application data
    /// written while handshaking.
    pub fn complete_handshake(&mut self, now: Instant, tracer: &mut dyn Tracer, resumed: bool) {
        if self.renegotiation.in_progress() {
            self.complete_renegotiation(now, tracer);
            return;
        }
        self.flush(now, tracer);
        self.handshake_complete = true;
        self.events
            .push_back(TlsEvent::HandshakeComplete { resumed });
        if tracer.enabled() {
            let mut event = self
                .ctx
                .event(now, Kind::State, "TLS handshake complete")
                .explain(
                    "The handshake is complete (RFC 5246 §7.3): both Finished messages verified, so both ends hold the same keys and saw the same handshake. Application data may now flow, protected under those keys.",
                );
            if let Some(n) = &self.negotiated {
                event = event
                    .field("Version", n.version)
                    .field("Cipher Suite", n.suite)
                    .field("Resumed", n.resumed);
                if let Some(alpn) = &n.alpn {
                    event = event.field("Application Protocol", String::from_utf8_lossy(alpn));
                }
            }
            tracer.record(event);
        }
        let unsent = std::mem::take(&mut self.unsent);
        if !unsent.is_empty() {
            self.write_application_data(now, &unsent, tracer);
        }
        // A close asked for while the data waited goes out after it.
        if self.close_requested {
            self.write_close_notify(now, tracer);
        }
    }

    /// Sends application data in records of at most 2^14 bytes, or keeps it
    /// until the handshake completes. Dropped after close, after the peer's
    /// close_notify (RFC 5246 §7.2.1: pending writes are discarded) or failure.
    pub fn send_application_data(&mut self, now: Instant, data: &[u8], tracer: &mut dyn Tracer) {
        if self.error.is_some() || self.close_requested || self.received_close || data.is_empty() {
            return;
        }
        if !self.handshake_complete && self.early_writes.is_some() {
            self.write_early_part(data, tracer.enabled());
            self.flush(now, tracer);
            return;
        }
        if !self.handshake_complete {
            self.unsent.extend_from_slice(data);
            return;
        }
        self.write_application_data(now, data, tracer);
    }

    fn write_application_data(&mut self, now: Instant, data: &[u8], tracer: &mut dyn Tracer) {
        for chunk in data.chunks(MAX_PLAINTEXT_LEN) {
            self.write_record(ContentType::ApplicationData, chunk, tracer.enabled());
        }
        self.flight.name("Application Data");
        self.flush(now, tracer);
    }

    /// RFC 5246 §7.2.1: queues close_notify; later writes are dropped.
    /// Data written before, and kept until the handshake completes, goes
    /// first: then close_notify waits for the handshake too.
    pub fn close(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if self.error.is_some() || self.close_requested {
            return;
        }
        self.close_requested = true;
        if self.received_close {
            // RFC 5246 §7.2.1: answering the peer's close_notify discards
            // pending writes.
            self.unsent.clear();
        }
        if self.unsent.is_empty() {
            self.write_close_notify(now, tracer);
        }
    }

    fn write_close_notify(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.sent_close = true;
        self.flush(now, tracer);
        self.write_alert(Alert::close_notify(), tracer.enabled());
        self.flush(now, tracer);
    }

    /// Sends a warning alert at once; the connection goes on (RFC 5246
    /// §7.2). Nothing is sent after close_notify or a failure.
    pub fn send_warning(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        description: AlertDescription,
    ) {
        if self.sent_close || self.error.is_some() {
            return;
        }
        self.flush(now, tracer);
        self.write_alert(Alert::warning(description), tracer.enabled());
        self.flush(now, tracer);
        self.events.push_back(TlsEvent::WarningSent(description));
    }

    fn write_alert(&mut self, alert: Alert, tracing: bool) {
        self.write_record(ContentType::Alert, &alert.to_bytes(), tracing);
        if tracing {
            (self.flight).name(format!("Alert ({})", alert_name(alert.description)));
        }
    }

    /// Ends the connection with `error`: the unsent flight is dropped, the
    /// fatal alert is sent, and [`TlsEvent::Failed`] is reported. Only the
    /// first error counts (errors are sticky).
    pub fn fail(&mut self, now: Instant, tracer: &mut dyn Tracer, error: Error) {
        if self.error.is_some() {
            return;
        }
        self.flight.clear();
        self.handshake_buf.clear();
        self.message_ends.clear();
        let alert_sent = error.alert();
        if let Some(description) = alert_sent {
            self.write_alert(Alert::fatal(description), tracer.enabled());
            self.flush(now, tracer);
        }
        if tracer.enabled() {
            let mut event = self
                .ctx
                .event(now, Kind::State, "TLS connection failed")
                .field("Error", &error)
                .explain(
                    "The connection failed (RFC 5246 §7.2): every error is fatal here, so this end sends the alert that names it, if any, forgets the session and accepts nothing more from the peer.",
                );
            if let Some(a) = alert_sent {
                event = event.field("Alert Sent", alert_name(a));
            }
            tracer.record(event);
        }
        self.events.push_back(TlsEvent::Failed {
            error: error.clone(),
            alert_sent,
        });
        self.error = Some(error);
    }

    /// Feeds transport bytes in any split. Complete records are processed
    /// in order; the receive event of the records is logged first, then
    /// what they caused. An error ends the connection through
    /// [`fail`](Self::fail).
    pub(super) fn handle_bytes(
        &mut self,
        machine: &mut Machine,
        now: Instant,
        bytes: &[u8],
        tracer: &mut dyn Tracer,
    ) {
        let read = |buf: &mut Vec<u8>| buf.extend_from_slice(bytes);
        self.read_tls(machine, now, bytes.len(), read, tracer);
    }

    /// [`handle_bytes`](Self::handle_bytes) for the bytes that `read`
    /// appends to the buffer it is given, about `expected` of them.
    pub(super) fn read_tls(
        &mut self,
        machine: &mut Machine,
        now: Instant,
        expected: usize,
        read: impl FnOnce(&mut Vec<u8>),
        tracer: &mut dyn Tracer,
    ) {
        if self.error.is_some() || self.received_close {
            read(&mut Vec::new());
            return;
        }
        self.deframer.push_with(expected, read);
        let mut deferred = Deferred {
            enabled: tracer.enabled(),
            events: Vec::new(),
        };
        // Without tracing the batch only collects names: its buffers are
        // kept for the next bytes.
        let mut batch = std::mem::take(&mut self.received_batch);
        let mut result = Ok(());
        while self.error.is_none() && !self.received_close {
            let mut record = match self.deframer.pop() {
                None => break,
                Some(Ok(record)) => record,
                Some(Err(e)) => {
                    result = Err(e);
                    break;
                }
            };
            let processed =
                self.process_record(machine, now, &mut record, &mut batch, &mut deferred);
            // A protected record's fragment is left after decryption; a
            // plaintext one has moved on as the content.
            self.deframer.recycle(record.fragment);
            if let Err(e) = processed {
                result = Err(e);
                break;
            }
        }
        self.deframer.give_back_if_drained();
        if tracer.enabled() && !batch.is_empty() {
            tracer.record(batch.into_event(&self.ctx, now, Kind::Recv));
        } else {
            batch.clear();
            self.received_batch = batch;
        }
        for event in deferred.events {
            tracer.record(event);
        }
        if let Err(e) = result {
            machine.step(Trigger::Failure, FAILED);
            self.fail(now, tracer, e);
        }
    }

    fn process_record(
        &mut self,
        machine: &mut Machine,
        now: Instant,
        record: &mut crate::record::Record,
        batch: &mut Batch,
        deferred: &mut Deferred,
    ) -> Result<(), Error> {
        let typ = record.typ;
        let tracing = deferred.enabled;
        // The record as it came, for the receive event: a plaintext
        // fragment moves on as the content, without a copy.
        let wire = tracing.then(|| record.to_bytes());
        if machine.state.as_ref().is_some_and(|s| s.awaits_start()) {
            // RFC 5246 §7.3: the client speaks first; before its hello
            // nothing, not even an alert, can be an answer.
            return Err(Error::InappropriateMessage {
                expected: &[],
                got: typ,
            });
        }
        let (typ, plaintext) = match (&mut self.tls13_decrypter, &mut self.decrypter) {
            (Some(d), _) if typ == OUTER_CONTENT_TYPE => {
                let inner = match (d.decrypt(&record.fragment), self.early_data) {
                    (Ok(inner), EarlyData::Skipping(_)) => {
                        // RFC 8446 §4.2.10: the first record that opens
                        // starts the client's second flight.
                        self.early_data = EarlyData::None;
                        inner
                    }
                    (Ok(inner), _) => inner,
                    (Err(Error::BadRecordMac), EarlyData::Skipping(left)) => {
                        return self.skip_early_data(record, left, batch, tracing);
                    }
                    (Err(e), _) => return Err(e),
                };
                self.peer_may_lack_keys = false;
                // RFC 8446 §5: a protected change_cipher_spec is
                // unexpected_message.
                if inner.typ == ContentType::ChangeCipherSpec {
                    return Err(InvalidMessage::UnknownContentType(inner.typ.get()).into());
                }
                (inner.typ, inner.content)
            }
            // A client that failed before it had keys sends its alert in
            // the clear.
            (Some(_), _) if typ == ContentType::Alert && self.peer_may_lack_keys => {
                record.check_plaintext_len()?;
                (typ, std::mem::take(&mut record.fragment))
            }
            // RFC 8446 §5.2: once keys are set, only protected records
            // and the compatibility change_cipher_spec may arrive.
            (Some(_), _) if typ != ContentType::ChangeCipherSpec => {
                return Err(Error::InappropriateMessage {
                    expected: &[OUTER_CONTENT_TYPE],
                    got: typ,
                });
            }
            // RFC 8446 §4.2.10: a server that answered 0-RTT with a
            // HelloRetryRequest skips "all records with an external content
            // type of "application_data"" until the second Client Hello.
            (None, None) if typ == OUTER_CONTENT_TYPE => {
                if let EarlyData::Skipping(left) = self.early_data {
                    return self.skip_early_data(record, left, batch, tracing);
                }
                record.check_plaintext_len()?;
                (typ, std::mem::take(&mut record.fragment))
            }
            (_, Some(d)) => (
                typ,
                d.decrypt(typ.get(), record.version.get(), &record.fragment)
                    .map_err(crypto_error)?,
            ),
            _ => {
                record.check_plaintext_len()?;
                (typ, std::mem::take(&mut record.fragment))
            }
        };
        if let Some(wire) = wire {
            let trace = match (&self.decrypter, &self.tls13_decrypter) {
                (Some(decrypter), _) => Some(decrypter.last_record()),
                (None, Some(decrypter)) if record.typ == OUTER_CONTENT_TYPE => {
                    Some(decrypter.last_record())
                }
                _ => None,
            };
            let opened = trace.map(|trace| Opened {
                typ,
                plaintext: &plaintext,
                trace,
            });
            batch.add_record(&wire, opened, self.version, self.key_exchange(), true);
        }
        match typ {
            ContentType::Handshake => {
                self.joiner.push_owned(plaintext)?;
                while let Some(message) = self.joiner.pop() {
                    let message = message?;
                    batch.name(message_title(&message.bytes));
                    // RFC 5246 §7.4.1.1: a HelloRequest "will be ignored by
                    // the client if the client is currently negotiating a
                    // session"; it never enters the transcript.
                    if self.ignores_hello_requests
                        && (!self.handshake_complete || self.renegotiation.in_progress())
                        && message.typ == HandshakeType::HelloRequest
                    {
                        message.message()?;
                        continue;
                    }
                    self.dispatch(machine, Input::Handshake(&message), now, deferred)?;
                }
                Ok(())
            }
            ContentType::ChangeCipherSpec => {
                batch.name("Change Cipher Spec");
                // RFC 5246 §6.2.1: "Implementations MUST NOT send
                // zero-length fragments of ... ChangeCipherSpec".
                if plaintext.is_empty() {
                    return Err(InvalidMessage::EmptyFragment(typ).into());
                }
                // RFC 8446 §5: a change_cipher_spec of the single byte 1,
                // before the peer's Finished, "MUST simply" be dropped
                // (the middlebox compatibility mode of Appendix D.4).
                if self.is_tls13() {
                    if plaintext == [1] && !self.handshake_complete {
                        return Ok(());
                    }
                    return Err(super::unexpected_change_cipher_spec());
                }
                // RFC 5246 §6.2.1: messages of one content type may share a
                // record, so each byte is one message of §7.1's single byte
                // 1; a second one (`01 01`) meets a state that expects the
                // Finished, and is unexpected_message (§7.2.2).
                for message in plaintext.chunks(1) {
                    ChangeCipherSpec::from_bytes(message)?;
                    // RFC 5246 §7.1: a handshake message may not straddle it.
                    if !self.joiner.is_empty() {
                        return Err(super::unexpected_change_cipher_spec());
                    }
                    self.dispatch(machine, Input::ChangeCipherSpec, now, deferred)?;
                }
                Ok(())
            }
            ContentType::Alert => {
                let alert = Alert::from_bytes(&plaintext)?;
                if tracing {
                    batch.name(format!("Alert ({})", alert_name(alert.description)));
                }
                let result = self.handle_alert(alert);
                if self.received_close {
                    machine.step(Trigger::CloseNotify, CLOSED);
                }
                if alert == Alert::warning(AlertDescription::NoRenegotiation)
                    && self.renegotiation.in_progress()
                    && let Some(connected) =
                        (machine.state.as_mut()).and_then(|s| s.renegotiation_refused())
                {
                    self.abandon_renegotiation(now, deferred);
                    machine.enter(Trigger::RenegotiationRefused, connected);
                }
                result
            }
            ContentType::ApplicationData => {
                batch.name("Application Data");
                if let (false, EarlyData::Accepted(left)) =
                    (self.handshake_complete, self.early_data)
                {
                    let left = left
                        .checked_sub(plaintext.len())
                        .ok_or_else(too_much_early_data)?;
                    self.early_data = EarlyData::Accepted(left);
                } else if !self.handshake_complete {
                    // RFC 5246 §7.4.9: application data only after Finished.
                    return Err(Error::InappropriateMessage {
                        expected: &[ContentType::Handshake],
                        got: ContentType::ApplicationData,
                    });
                }
                if !plaintext.is_empty() {
                    self.received.extend_from_slice(&plaintext);
                    self.events.push_back(TlsEvent::ApplicationData);
                }
                Ok(())
            }
            other => Err(InvalidMessage::UnknownContentType(other.get()).into()),
        }
    }

    /// RFC 8446 §4.2.10: a server that rejected 0-RTT drops a record that
    /// does not open under the client's handshake key, "up to the
    /// configured max_early_data_size"; past it, unexpected_message.
    fn skip_early_data(
        &mut self,
        record: &crate::record::Record,
        left: usize,
        batch: &mut Batch,
        tracing: bool,
    ) -> Result<(), Error> {
        // The content, its type byte and any padding: all early data.
        let len = record
            .fragment
            .len()
            .saturating_sub(crate::crypto::suites::AEAD_TAG_LEN + 1);
        let left = left.checked_sub(len).ok_or_else(too_much_early_data)?;
        self.early_data = EarlyData::Skipping(left);
        if tracing {
            batch.add_record(&record.to_bytes(), None, self.version, None, true);
        }
        batch.name("Early Data (rejected, skipped)".to_owned());
        Ok(())
    }

    fn dispatch(
        &mut self,
        machine: &mut Machine,
        input: Input<'_>,
        now: Instant,
        deferred: &mut Deferred,
    ) -> Result<(), Error> {
        let current =
            machine
                .state
                .take()
                .ok_or(Error::Crypto(crate::error::CryptoError::Internal(
                    "no handshake state",
                )))?;
        let on = match &input {
            Input::Handshake(m) => {
                // RFC 5246 §7.4.9: every handshake message of this
                // handshake but HelloRequest; one after it completed
                // belongs to no handshake unless a renegotiation runs (its
                // Client Hello is added by the state that accepts it).
                if (!self.handshake_complete || self.renegotiation.in_progress())
                    && m.typ != HandshakeType::HelloRequest
                {
                    self.transcript.add(&m.bytes);
                }
                Trigger::Handshake(m.typ)
            }
            Input::ChangeCipherSpec => Trigger::ChangeCipherSpec,
        };
        let next = current.handle(self, input, now, deferred)?;
        machine.enter(on, next);
        Ok(())
    }

    fn handle_alert(&mut self, alert: Alert) -> Result<(), Error> {
        if alert.description == AlertDescription::CloseNotify {
            // RFC 5246 §7.2.1: stop reading. The owner answers with its own
            // close_notify on `PeerClosed`, after taking the data that came
            // before it, so the log shows them in that order.
            self.received_close = true;
            self.events.push_back(TlsEvent::PeerClosed);
            return Ok(());
        }
        self.events.push_back(TlsEvent::AlertReceived(alert));
        if alert.level == AlertLevel::Warning {
            // RFC 5246 §7.2: a warning alert does not end the connection.
            return Ok(());
        }
        // RFC 5246 §7.2: after a fatal alert both sides forget the
        // connection; no alert is sent back.
        Err(Error::AlertReceived(alert.description))
    }

    /// Formats bytes for a field value.
    pub fn hex(bytes: &[u8]) -> String {
        hex(bytes)
    }
}

#[cfg(test)]
mod tests {
    use crate::conn::Connection;

    /// glibc's per-thread cache takes chunks of up to 1,032 bytes, the
    /// 8-byte size header included (see `Core::rng`).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_connection_fits_the_allocators_per_thread_cache() {
        assert!(
            size_of::<Connection>() + 8 <= 1032,
            "{}",
            size_of::<Connection>()
        );
    }
}
