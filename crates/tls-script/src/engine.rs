//! The engine that runs a [`Conversation`] for one end of a connection.
//!
//! Read first: RFC 5246 §6.2 (records), §7.1 (ChangeCipherSpec switches one
//! direction's keys), §7.4 (handshake messages, and which join the
//! transcript), §7.4.9 (Finished).
//!
//! Steps run in order until one must wait for the peer. Received records
//! are opened only when an expectation asks for the next thing that came,
//! so that keys derived by earlier steps (the server's, from the Client Key
//! Exchange) are in place before the records they protect are read.

use std::sync::Arc;

use tlsim_sim::{Duration, Instant, Kind, RngStream, Tracer};
use tlsim_tls::codec::{Codec, hex};
use tlsim_tls::conn::{
    Batch, Core, EventContext, HelloParams, Randoms, SessionKeys, alert_name, handshake_name,
    message_title,
};
use tlsim_tls::crypto::cipher::{RecordDecrypter, RecordEncrypter, Side};
use tlsim_tls::crypto::ffdhe::{DhSecret, FfdheGroup};
use tlsim_tls::crypto::kx::{EphemeralSecret, KxGroup};
use tlsim_tls::crypto::prf::{self, FinishedSender};
use tlsim_tls::crypto::sign::{self, KeyType};
use tlsim_tls::crypto::suites::{Authentication, CipherSuiteParams, KeyExchange, suite_by_value};
use tlsim_tls::enums::{ContentType, EcCurveType, HandshakeType, NamedGroup, ProtocolVersion};
use tlsim_tls::msgs::dissect::Opened;
use tlsim_tls::msgs::tls13::{KeyShareEntry, Tls13Message};
use tlsim_tls::msgs::{
    Alert, Certificate, ClientEcdhPublic, ClientExtension, DigitallySigned, EcdheServerKeyExchange,
    HandshakeMessage, ServerEcdhParams, ServerExtension,
};
use tlsim_tls::record::{Deframer, HEADER_LEN, HandshakeJoiner, MAX_PLAINTEXT_LEN, RecordHeader};
use tlsim_tls_client::{ClientConfig, client_extensions};
use tlsim_tls_server::ServerConfig;

use crate::build::{HelloFields, WireExtension, edit_extensions, handshake, mutate, mutate_body};
use crate::engine::dhe::DhValues;
use crate::engine::tls13::{KeyChange, Tls13Keys, client_key_shares};
use crate::expect::{Observation, alert_matches, describe, describe_alert, ext_type, matches};
use crate::language::{Conversation, Interleaved, Level, Message, Mutation, Protection, Step};

mod dhe;
mod tls13;

/// RFC 7627 §5.1: the extended_master_secret extension.
const EXTENDED_MASTER_SECRET: u16 = 23;
/// RFC 5746 §3.3: TLS_EMPTY_RENEGOTIATION_INFO_SCSV.
const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00ff;
/// RFC 6520 §4: the least padding of a heartbeat message.
const HEARTBEAT_PADDING: usize = 16;
/// The largest fragment a record header can announce.
const MAX_RECORD_FRAGMENT: usize = u16::MAX as usize;

/// How a script ends its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseKind {
    /// A graceful close (TCP FIN).
    Close,
    /// An abort (TCP RST).
    Abort,
}

/// How far a conversation got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A step is still waiting.
    Running,
    /// Every step held.
    Passed,
    /// A step did not hold.
    Failed(Failure),
}

/// The step that did not hold, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The step's index in the conversation, from 0.
    pub step: usize,
    /// What the step expected (or needed, for a step that sends).
    pub expected: String,
    /// What came instead.
    pub observed: String,
}

/// The TLS configuration a script builds its messages from.
enum Profile {
    Client(Arc<ClientConfig>),
    Server(Arc<ServerConfig>),
}

/// What a step needed and did not find.
struct Unmet {
    expected: String,
    observed: String,
}

impl Unmet {
    fn new(expected: impl Into<String>, observed: impl Into<String>) -> Self {
        Unmet {
            expected: expected.into(),
            observed: observed.into(),
        }
    }
}

/// What the hellos and key exchange settled, as actually sent and received.
#[derive(Default)]
struct Exchange {
    client_version: Option<u16>,
    client_random: Option<[u8; 32]>,
    client_suites: Vec<u16>,
    client_groups: Option<Vec<u16>>,
    client_extensions: Vec<u16>,
    client_session_id: Vec<u8>,
    server_random: Option<[u8; 32]>,
    version: Option<u16>,
    suite: Option<u16>,
    session_id: Vec<u8>,
    server_extensions: Vec<u16>,
    /// The server's ECDHE group and public key (a client's script).
    peer_key: Option<(KxGroup, Vec<u8>)>,
    /// This end's ECDHE secret (a server's script).
    own_secret: Option<EphemeralSecret>,
    keys: Option<SessionKeys>,
    /// This end's TLS 1.3 key share secrets (a client's script).
    own_shares: Vec<EphemeralSecret>,
    /// The client's TLS 1.3 key shares (a server's script).
    client_shares: Vec<KeyShareEntry>,
    /// The server's finite-field DH group and public value (a client's
    /// script).
    peer_dh: Option<(FfdheGroup, Vec<u8>)>,
    /// This end's finite-field DH secret (a server's script).
    own_dh: Option<DhSecret>,
}

impl Exchange {
    fn learn_client_hello(&mut self, hello: &tlsim_tls::msgs::ClientHello) {
        self.client_version = Some(hello.client_version.get());
        self.client_random = Some(hello.random.0);
        self.client_session_id = hello.session_id.as_bytes().to_vec();
        self.client_suites = hello.cipher_suites.iter().map(|s| s.get()).collect();
        self.client_extensions = hello.extensions.iter().map(ext_type).collect();
        self.client_shares = client_key_shares(hello);
        self.client_groups = hello.extensions.iter().find_map(|e| match e {
            ClientExtension::SupportedGroups(groups) => {
                Some(groups.iter().map(|g| g.get()).collect())
            }
            _ => None,
        });
    }

    /// RFC 7627 §5.2: both hellos carried the extension.
    fn extended_master_secret(&self) -> bool {
        self.client_extensions.contains(&EXTENDED_MASTER_SECRET)
            && self.server_extensions.contains(&EXTENDED_MASTER_SECRET)
    }
}

/// Messages held to share a record with the next one sent.
struct Held {
    typ: ContentType,
    bytes: Vec<u8>,
    names: Vec<String>,
}

/// Changes to a message's bytes before it is cut into records.
struct Edits<'a> {
    /// To its body, with a handshake header's length following.
    body: &'a [Mutation],
    /// To the whole message.
    plaintext: &'a [Mutation],
}

impl Edits<'_> {
    const NONE: Edits<'static> = Edits {
        body: &[],
        plaintext: &[],
    };
}

/// How the records of one send are made.
struct RecordPlan<'a> {
    fragment: Option<usize>,
    protection: Protection,
    record_version: Option<u16>,
    ciphertext: &'a [Mutation],
    mac: &'a [Mutation],
    padding: &'a [Mutation],
    interleave: &'a [Interleaved],
}

impl RecordPlan<'_> {
    const DEFAULT: RecordPlan<'static> = RecordPlan {
        fragment: None,
        protection: Protection::Auto,
        record_version: None,
        ciphertext: &[],
        mac: &[],
        padding: &[],
        interleave: &[],
    };
}

/// A scripted TLS peer running one conversation.
///
/// Drive it like a TLS connection: [`start`](Self::start) once, then feed
/// [`handle_bytes`](Self::handle_bytes),
/// [`handle_peer_closed`](Self::handle_peer_closed) and, at
/// [`poll_timeout`](Self::poll_timeout), [`handle_timeout`](Self::handle_timeout);
/// after each, take [`write_tls`](Self::write_tls) and check
/// [`wants_close`](Self::wants_close). Nothing panics on any input: whatever
/// comes, the outcome is a [`Verdict`].
pub struct Script {
    steps: Vec<Step>,
    patience: Option<Duration>,
    profile: Profile,
    core: Core,
    side: Side,
    next: usize,
    /// When the current step began, for its deadline.
    step_began: Option<Instant>,
    verdict: Verdict,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    read_keys: Option<RecordDecrypter>,
    pending_read_keys: Option<RecordDecrypter>,
    peer_closed: bool,
    /// The input stopped framing: nothing more is read from it.
    broken: bool,
    received: Batch,
    write_keys: Option<RecordEncrypter>,
    pending_write_keys: Option<RecordEncrypter>,
    write_version: u16,
    held: Option<Held>,
    outgoing: Vec<u8>,
    close: Option<CloseKind>,
    exchange: Exchange,
    /// The TLS 1.3 keys, once the hellos chose TLS 1.3 with a share this
    /// end made; they replace the TLS 1.2 ones above.
    tls13: Option<Tls13Keys>,
    /// What the message being sent changes once its records are out.
    key_change: Option<KeyChange>,
}

impl Script {
    /// A script for the client end, building its messages from `profile`.
    pub fn client(
        conversation: Conversation,
        profile: Arc<ClientConfig>,
        rng: RngStream,
        ctx: EventContext,
    ) -> Self {
        // RFC 5246 Appendix E.1: TLS 1.0 in the first records by custom.
        let record_version = profile
            .record_version
            .unwrap_or(profile.max_version.min(ProtocolVersion::Tls10))
            .get();
        Self::new(
            conversation,
            Profile::Client(profile),
            Side::Client,
            record_version,
            rng,
            ctx,
        )
    }

    /// A script for the server end, building its messages from `profile`
    /// (its chain and key).
    pub fn server(
        conversation: Conversation,
        profile: Arc<ServerConfig>,
        rng: RngStream,
        ctx: EventContext,
    ) -> Self {
        Self::new(
            conversation,
            Profile::Server(profile),
            Side::Server,
            0x0301,
            rng,
            ctx,
        )
    }

    fn new(
        conversation: Conversation,
        profile: Profile,
        side: Side,
        record_version: u16,
        rng: RngStream,
        ctx: EventContext,
    ) -> Self {
        Script {
            steps: conversation.steps,
            patience: conversation.patience.map(|p| p.0),
            profile,
            core: Core::new(ctx, rng, ProtocolVersion::from(record_version)),
            side,
            next: 0,
            step_began: None,
            verdict: Verdict::Running,
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::new(),
            read_keys: None,
            pending_read_keys: None,
            peer_closed: false,
            broken: false,
            received: Batch::default(),
            write_keys: None,
            pending_write_keys: None,
            write_version: record_version,
            held: None,
            outgoing: Vec::new(),
            close: None,
            exchange: Exchange::default(),
            tls13: None,
            key_change: None,
        }
    }

    /// Runs the steps up to the first that waits for the peer.
    pub fn start(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.advance(now, tracer);
    }

    /// Feeds bytes from the transport, split anywhere.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8], tracer: &mut dyn Tracer) {
        self.deframer.push(bytes);
        self.advance(now, tracer);
    }

    /// The peer closed the connection (TCP FIN or RST).
    pub fn handle_peer_closed(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.peer_closed = true;
        self.advance(now, tracer);
    }

    /// Time passed: an `ExpectNothing` step may hold, or an expectation
    /// run out of patience.
    pub fn handle_timeout(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.advance(now, tracer);
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next, if at all.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.verdict != Verdict::Running {
            return None;
        }
        let began = self.step_began?;
        match self.steps.get(self.next)? {
            Step::ExpectNothing(span) => Some(began + span.0),
            Step::Expect(_)
            | Step::ExpectAlert { .. }
            | Step::ExpectAlertOrClose { .. }
            | Step::ExpectClose => self.patience.map(|p| began + p),
            _ => None,
        }
    }

    /// Appends the bytes queued for the transport to `out`; returns how
    /// many.
    pub fn write_tls(&mut self, out: &mut Vec<u8>) -> usize {
        let n = self.outgoing.len();
        out.append(&mut self.outgoing);
        n
    }

    /// Whether [`write_tls`](Self::write_tls) has bytes to give.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// How the script asks to end the connection, once a `Close` or
    /// `Abort` step ran; the bytes written before go first.
    #[must_use]
    pub fn wants_close(&self) -> Option<CloseKind> {
        self.close
    }

    /// NSS key log lines (`CLIENT_RANDOM …`) not taken yet.
    pub fn keylog_lines(&mut self) -> Vec<String> {
        self.core.take_keylog()
    }

    /// The step the conversation stands at, from 0: the one waiting while
    /// it runs (the number of steps once it has passed).
    #[must_use]
    pub fn current_step(&self) -> usize {
        self.next
    }

    /// How far the conversation got.
    #[must_use]
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// Runs steps until one waits or the conversation ends; then logs
    /// whatever else came.
    fn advance(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        while self.verdict == Verdict::Running {
            let Some(step) = self.steps.get(self.next).cloned() else {
                self.flush_held(now, tracer);
                self.verdict = Verdict::Passed;
                self.log_received(now, tracer);
                if tracer.enabled() {
                    tracer.record(
                        self.core
                            .ctx
                            .event(now, Kind::State, "Conversation passed")
                            .field("Steps", self.steps.len())
                            .explain(
                                "The scripted peer met every step of its conversation: each message it expected came, and each alert it expected, or none, was sent.",
                            ),
                    );
                }
                break;
            };
            let began = *self.step_began.get_or_insert(now);
            match self.run(&step, began, now, tracer) {
                Ok(true) => {
                    self.next += 1;
                    self.step_began = None;
                }
                Ok(false) => break,
                Err(unmet) => self.fail(unmet, now, tracer),
            }
        }
        if self.verdict != Verdict::Running {
            // The conversation is over; what still comes is only logged.
            while let Some(observation) = self.pull(now, tracer) {
                if matches!(observation, Observation::Closed | Observation::Malformed(_)) {
                    break;
                }
            }
        }
        self.log_received(now, tracer);
    }

    fn fail(&mut self, unmet: Unmet, now: Instant, tracer: &mut dyn Tracer) {
        self.log_received(now, tracer);
        let failure = Failure {
            step: self.next,
            expected: unmet.expected,
            observed: unmet.observed,
        };
        if tracer.enabled() {
            tracer.record(
                self.core
                    .ctx
                    .event(now, Kind::State, "Conversation step failed")
                    .field("Step", failure.step)
                    .field("Expected", &failure.expected)
                    .field("Observed", &failure.observed),
            );
        }
        self.verdict = Verdict::Failed(failure);
    }

    /// Runs one step: `Ok(true)` when it is done, `Ok(false)` when it waits.
    fn run(
        &mut self,
        step: &Step,
        began: Instant,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<bool, Unmet> {
        match step {
            Step::Send {
                message,
                fragment,
                coalesce,
                protection,
                record_version,
                body,
                plaintext,
                ciphertext,
                mac,
                padding,
                interleave,
            } => {
                let plan = RecordPlan {
                    fragment: *fragment,
                    protection: *protection,
                    record_version: *record_version,
                    ciphertext,
                    mac,
                    padding,
                    interleave,
                };
                let edits = Edits { body, plaintext };
                self.send(message, *coalesce, &edits, &plan, now, tracer)?;
                Ok(true)
            }
            Step::Expect(expected) => self.expect(began, now, tracer, &describe(expected), |obs| {
                matches(expected, obs).then_some(true)
            }),
            Step::ExpectAlert { level, description } => {
                let want = describe_alert(*level, description.map(|d| d.0), false);
                self.expect(began, now, tracer, &want, |obs| match obs {
                    Observation::Alert(a) => {
                        alert_matches(a, *level, description.map(|d| d.0)).then_some(true)
                    }
                    _ => None,
                })
            }
            Step::ExpectAlertOrClose { level, description } => {
                let want = describe_alert(*level, description.map(|d| d.0), true);
                self.expect(began, now, tracer, &want, |obs| match obs {
                    Observation::Alert(a) => {
                        alert_matches(a, *level, description.map(|d| d.0)).then_some(true)
                    }
                    Observation::Closed => Some(true),
                    _ => None,
                })
            }
            Step::ExpectClose => {
                self.expect(
                    began,
                    now,
                    tracer,
                    "the connection closing",
                    |obs| match obs {
                        Observation::Closed => Some(true),
                        // RFC 5246 §7.2.1: close_notify announces the close.
                        Observation::Alert(a)
                            if a.description == tlsim_tls::enums::AlertDescription::CloseNotify =>
                        {
                            Some(false)
                        }
                        _ => None,
                    },
                )
            }
            Step::ExpectNothing(span) => {
                self.flush_held(now, tracer);
                if let Some(obs) = self.pull(now, tracer) {
                    return Err(Unmet::new(format!("nothing for {span}"), obs.describe()));
                }
                Ok(now >= began + span.0)
            }
            Step::Close | Step::Abort => {
                self.log_received(now, tracer);
                self.flush_held(now, tracer);
                self.close = Some(if *step == Step::Close {
                    CloseKind::Close
                } else {
                    CloseKind::Abort
                });
                Ok(true)
            }
        }
    }

    /// Waits for the next observation and judges it with `judge`:
    /// `Some(true)` holds the step, `Some(false)` skips the observation and
    /// waits for another, `None` fails the step.
    fn expect(
        &mut self,
        began: Instant,
        now: Instant,
        tracer: &mut dyn Tracer,
        expected: &str,
        judge: impl Fn(&Observation) -> Option<bool>,
    ) -> Result<bool, Unmet> {
        self.flush_held(now, tracer);
        loop {
            let Some(obs) = self.pull(now, tracer) else {
                return match self.patience {
                    Some(p) if now >= began + p => Err(Unmet::new(
                        expected,
                        format!("nothing within {}", p.with_unit()),
                    )),
                    _ => Ok(false),
                };
            };
            match judge(&obs) {
                Some(true) => return Ok(true),
                Some(false) => continue,
                // In TLS 1.3 what the step does not ask for is passed over
                // when the peer may send it unasked: a change_cipher_spec
                // of 01 (RFC 8446 §5, the compatibility one of Appendix
                // D.4) and a NewSessionTicket from the server's Finished on
                // (§4.6.1).
                None if self.speaks_tls13()
                    && match &obs {
                        Observation::ChangeCipherSpec(payload) => payload == &[1],
                        Observation::Handshake { message, .. } => {
                            message.typ() == HandshakeType::NewSessionTicket
                        }
                        _ => false,
                    } =>
                {
                    continue;
                }
                None => return Err(Unmet::new(expected, obs.describe())),
            }
        }
    }

    // ----- receiving -----

    /// The next thing the peer sent, opening records as needed; `None`
    /// when more bytes are needed.
    fn pull(&mut self, now: Instant, tracer: &mut dyn Tracer) -> Option<Observation> {
        loop {
            if self.broken {
                return None;
            }
            if let Some(joined) = self.joiner.pop() {
                return Some(match joined {
                    Ok(joined) if self.speaks_tls13() => {
                        match Tls13Message::from_bytes(&joined.bytes) {
                            Ok(message) => self.learn_tls13(message, joined.bytes, now, tracer),
                            Err(e) => {
                                self.broke(tlsim_tls::error::Error::InvalidMessage(e).to_string())
                            }
                        }
                    }
                    Ok(joined) => match joined.message() {
                        Ok(message) => {
                            let message = message.clone();
                            self.learn(message, joined.bytes, now, tracer)
                        }
                        Err(e) => {
                            self.broke(tlsim_tls::error::Error::InvalidMessage(e).to_string())
                        }
                    },
                    Err(e) => self.broke(e.to_string()),
                });
            }
            let record = match self.deframer.pop() {
                Some(Ok(record)) => record,
                Some(Err(e)) => return Some(self.broke(e.to_string())),
                None if self.peer_closed => return Some(Observation::Closed),
                None => return None,
            };
            let wire = record.to_bytes();
            let mut typ = record.typ;
            let hint = self.version_hint();
            let tls13_read = self
                .tls13
                .as_mut()
                .filter(|_| typ == ContentType::ApplicationData)
                .map(|keys| &mut keys.read);
            if let Some(read) = tls13_read {
                // RFC 8446 §5.2: the real content type is inside.
                let Ok(inner) = read.decrypt(&record.fragment) else {
                    self.received
                        .add_record(&wire, None, hint, None, tracer.enabled());
                    self.broken = true;
                    return Some(Observation::Undecryptable);
                };
                typ = inner.typ;
                let opened = Opened {
                    typ,
                    plaintext: &inner.content,
                    trace: read.last_record(),
                };
                self.received
                    .add_record(&wire, Some(opened), hint, None, tracer.enabled());
                if let Some(observation) = self.take_plaintext(typ, inner.content) {
                    return Some(observation);
                }
                continue;
            }
            let plaintext = match &mut self.read_keys {
                Some(keys) => {
                    match keys.decrypt(typ.get(), record.version.get(), &record.fragment) {
                        Ok(plaintext) => plaintext,
                        Err(_) => {
                            self.received.add_record(
                                &wire,
                                None,
                                self.version_hint(),
                                None,
                                tracer.enabled(),
                            );
                            self.broken = true;
                            return Some(Observation::Undecryptable);
                        }
                    }
                }
                None => record.fragment,
            };
            let opened = self.read_keys.as_ref().map(|keys| Opened {
                typ,
                plaintext: &plaintext,
                trace: keys.last_record(),
            });
            self.received
                .add_record(&wire, opened, self.version_hint(), None, tracer.enabled());
            if let Some(observation) = self.take_plaintext(typ, plaintext) {
                return Some(observation);
            }
        }
    }

    /// A record's content, opened: an observation, or `None` for
    /// handshake bytes, which wait in the joiner.
    fn take_plaintext(&mut self, typ: ContentType, plaintext: Vec<u8>) -> Option<Observation> {
        match typ {
            ContentType::Handshake => match self.joiner.push_owned(plaintext) {
                Ok(()) => None,
                Err(e) => Some(self.broke(e.to_string())),
            },
            ContentType::ChangeCipherSpec => {
                self.received.name("Change Cipher Spec".to_owned());
                // RFC 5246 §7.1: the read side switches to the pending keys.
                if let Some(keys) = self.pending_read_keys.take() {
                    self.read_keys = Some(keys);
                }
                Some(Observation::ChangeCipherSpec(plaintext))
            }
            ContentType::Alert => Some(match Alert::from_bytes(&plaintext) {
                Ok(alert) => {
                    self.received
                        .name(format!("Alert ({})", alert_name(alert.description)));
                    Observation::Alert(alert)
                }
                Err(e) => self.broke(format!("alert: {e}")),
            }),
            ContentType::ApplicationData => {
                self.received.name("Application Data".to_owned());
                Some(Observation::ApplicationData(plaintext))
            }
            // The deframer lets only the four types above through, and an
            // opened TLS 1.3 record may hold any.
            other => Some(self.broke(format!("content type {other}"))),
        }
    }

    fn broke(&mut self, error: String) -> Observation {
        self.broken = true;
        Observation::Malformed(error)
    }

    fn version_hint(&self) -> Option<ProtocolVersion> {
        self.exchange.version.map(ProtocolVersion::from)
    }

    /// Takes in a TLS 1.3 handshake message received under the TLS 1.3
    /// keys: a Finished is checked, and the keys it or a KeyUpdate brings
    /// take over. The observation keeps the message's type and body.
    fn learn_tls13(
        &mut self,
        message: Tls13Message,
        bytes: Vec<u8>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Observation {
        let typ = message.typ();
        self.received.name(handshake_name(typ));
        let mut problem = match &message {
            Tls13Message::Finished(finished) => {
                self.check_tls13_finished(&finished.verify_data, now, tracer)
            }
            _ => None,
        };
        self.core.transcript.add(&bytes);
        if let Err(unmet) = self.after_tls13_message(&message, now, tracer) {
            problem.get_or_insert(unmet.observed);
        }
        let body = bytes
            .get(tlsim_tls::msgs::HANDSHAKE_HEADER_LEN..)
            .unwrap_or_default();
        Observation::Handshake {
            message: HandshakeMessage::Unknown {
                typ,
                body: body.to_vec(),
            },
            problem,
        }
    }

    fn log_received(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        let batch = std::mem::take(&mut self.received);
        if tracer.enabled() && !batch.is_empty() {
            tracer.record(batch.into_event(&self.core.ctx, now, Kind::Recv));
        }
    }

    /// Takes in a received handshake message: what it settles, whether it
    /// verifies, and the transcript.
    fn learn(
        &mut self,
        message: HandshakeMessage,
        bytes: Vec<u8>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Observation {
        self.received.name(message_title(&bytes));
        let mut problem = None;
        match &message {
            HandshakeMessage::ClientHello(hello) => self.exchange.learn_client_hello(hello),
            HandshakeMessage::ServerHello(hello) => {
                let x = &mut self.exchange;
                x.server_random = Some(hello.random.0);
                x.version = Some(hello.server_version.get());
                x.suite = Some(hello.cipher_suite.get());
                x.session_id = hello.session_id.as_bytes().to_vec();
                x.server_extensions = hello.extensions.iter().map(ext_type).collect();
                self.write_version = hello.server_version.get();
            }
            HandshakeMessage::ServerKeyExchange(body)
                if self.negotiated_key_exchange() == Some(KeyExchange::Dhe) =>
            {
                problem = self.take_server_dh(body).err();
            }
            HandshakeMessage::ServerKeyExchange(body) => {
                let version = ProtocolVersion::from(self.exchange.version.unwrap_or(0x0303));
                match EcdheServerKeyExchange::from_body(body, version) {
                    Ok(ske) => match KxGroup::from_named_curve(ske.params.named_curve) {
                        Some(group) => self.exchange.peer_key = Some((group, ske.params.public)),
                        None => problem = Some(format!("curve {}", ske.params.named_curve)),
                    },
                    Err(e) => problem = Some(e.to_string()),
                }
            }
            HandshakeMessage::Finished(finished) => {
                problem = self.check_finished(&finished.verify_data, now, tracer);
            }
            _ => {}
        }
        // RFC 5246 §7.4.9: every handshake message but HelloRequest is
        // hashed.
        if message.typ() != HandshakeType::HelloRequest {
            self.core.transcript.add(&bytes);
        }
        if let HandshakeMessage::ClientKeyExchange(body) = &message {
            // RFC 7627 §4: the session hash ends with this message.
            problem = self.take_client_key(body, now, tracer).err();
        }
        if let HandshakeMessage::ServerHello(hello) = &message {
            // RFC 8446 §7.1: the handshake secrets hash the Server Hello.
            problem = self.take_server_share(hello, now, tracer);
        }
        Observation::Handshake { message, problem }
    }

    /// The server's side of RFC 8422 §5.7: the client's public key and the
    /// keys derived with it.
    fn take_client_key(
        &mut self,
        body: &[u8],
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), String> {
        if self.exchange.own_dh.is_some() {
            let pre_master = self.take_client_dh(body)?;
            self.log_received(now, tracer);
            return self
                .derive_keys(&pre_master, now, tracer)
                .map_err(|unmet| unmet.expected);
        }
        let public = ClientEcdhPublic::from_bytes(body).map_err(|e| e.to_string())?;
        let secret = self
            .exchange
            .own_secret
            .as_ref()
            .ok_or("no Server Key Exchange was sent")?;
        let pre_master = secret
            .agree(&public.public)
            .map_err(|e| format!("unusable public key: {e}"))?;
        self.log_received(now, tracer);
        self.derive_keys(&pre_master, now, tracer)
            .map_err(|unmet| unmet.expected)
    }

    /// RFC 5246 §7.4.9: the peer's `verify_data` against the transcript
    /// before it; the problem, if any.
    fn check_finished(
        &mut self,
        received: &[u8],
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Option<String> {
        let Some(keys) = &self.exchange.keys else {
            return Some("no keys to check it with".to_owned());
        };
        let sender = match self.side {
            Side::Client => FinishedSender::Server,
            Side::Server => FinishedSender::Client,
        };
        let expected = transcript_verify_data(keys, sender, self.core.transcript.all());
        let ok = expected == received;
        self.log_received(now, tracer);
        self.core.ctx.action(now, tracer, "Verify Finished", |e| {
            e.field("Label", sender.label())
                .field("Expected Verify Data", hex(&expected))
                .field("Received Verify Data", hex(received))
                .field("Result", if ok { "match" } else { "mismatch" })
        });
        (!ok).then(|| "verify_data does not match".to_owned())
    }

    /// Derives the master secret and keys from `pre_master` and what the
    /// hellos settled, for the next ChangeCipherSpec of each direction.
    fn derive_keys(
        &mut self,
        pre_master: &[u8],
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        let x = &self.exchange;
        let (Some(client), Some(server)) = (x.client_random, x.server_random) else {
            return Err(Unmet::new(
                "both hello randoms, 32 bytes each, to derive keys",
                "a hello random missing",
            ));
        };
        let suite = x.suite.and_then(suite_by_value).ok_or_else(|| {
            Unmet::new(
                "a cipher suite tlsim runs, to derive keys",
                format!("suite {:?}", x.suite),
            )
        })?;
        let params = HelloParams {
            suite,
            version: ProtocolVersion::from(x.version.unwrap_or(0x0303)),
            randoms: Randoms { client, server },
            extended_master_secret: x.extended_master_secret(),
            session_id: x.session_id.clone(),
        };
        let keys = self
            .core
            .derive_session_keys(now, tracer, self.side, params, pre_master)
            .map_err(|e| Unmet::new("keys for the negotiated suite and version", e.to_string()))?;
        if let Some((write, read)) = self.core.take_pending_keys() {
            self.pending_write_keys = Some(write);
            self.pending_read_keys = Some(read);
        }
        self.exchange.keys = Some(keys);
        Ok(())
    }

    // ----- sending -----

    fn client_profile(&self) -> Arc<ClientConfig> {
        match &self.profile {
            Profile::Client(config) => config.clone(),
            Profile::Server(_) => Arc::new(ClientConfig::default()),
        }
    }

    fn server_profile(&self, what: &str) -> Result<Arc<ServerConfig>, Unmet> {
        match &self.profile {
            Profile::Server(config) => Ok(config.clone()),
            Profile::Client(_) => Err(Unmet::new(
                format!("a server profile to build the {what}"),
                "a client profile",
            )),
        }
    }

    /// Builds `message`, then writes it as `plan` says (or holds it for
    /// the next, with `coalesce`).
    fn send(
        &mut self,
        message: &Message,
        coalesce: bool,
        edits: &Edits<'_>,
        plan: &RecordPlan<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        // What came before is logged before what this end does about it.
        self.log_received(now, tracer);
        if let Message::Raw(bytes) = message {
            self.flush_held(now, tracer);
            let mut batch = Batch::default();
            batch.name("Raw Bytes".to_owned());
            batch.add_record(&bytes.0, None, self.version_hint(), None, tracer.enabled());
            self.emit_sent(batch, now, tracer);
            self.outgoing.extend_from_slice(&bytes.0);
            return Ok(());
        }
        let (typ, mut bytes, name) = self.build(message, now, tracer)?;
        if !edits.body.is_empty() {
            mutate_body(typ, &mut bytes, edits.body);
        }
        mutate(&mut bytes, edits.plaintext);
        let mut names = vec![name];
        if self.held.as_ref().is_some_and(|held| held.typ != typ) {
            self.flush_held(now, tracer);
        }
        if let Some(held) = self.held.take() {
            let mut joined = held.bytes;
            joined.extend_from_slice(&bytes);
            bytes = joined;
            names = held.names.into_iter().chain(names).collect();
        }
        if coalesce {
            if self.key_change.is_some() {
                return Err(Unmet::new(
                    "a message that changes the keys in a record of its own (no coalesce)",
                    "coalesce",
                ));
            }
            self.held = Some(Held { typ, bytes, names });
            return Ok(());
        }
        self.write_records(typ, &bytes, names, plan, now, tracer)?;
        self.apply_key_change(now, tracer)?;
        // RFC 5246 §7.1: the write side switches to the pending keys once
        // ChangeCipherSpec is sent.
        if typ == ContentType::ChangeCipherSpec {
            if let Some(keys) = self.pending_write_keys.take() {
                self.write_keys = Some(keys);
            }
        }
        Ok(())
    }

    /// Sends a message interleaved with another's records, with the
    /// default options.
    fn send_between(
        &mut self,
        message: &Message,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        self.send(
            message,
            false,
            &Edits::NONE,
            &RecordPlan::DEFAULT,
            now,
            tracer,
        )
    }

    /// Writes held messages in records of their own.
    fn flush_held(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if let Some(held) = self.held.take() {
            // The default plan never needs keys, so it cannot fail.
            let _ = self.write_records(
                held.typ,
                &held.bytes,
                held.names,
                &RecordPlan::DEFAULT,
                now,
                tracer,
            );
        }
    }

    fn emit_sent(&mut self, batch: Batch, now: Instant, tracer: &mut dyn Tracer) {
        if tracer.enabled() && !batch.is_empty() {
            tracer.record(batch.into_event(&self.core.ctx, now, Kind::Send));
        }
    }

    /// Cuts `payload` into records, protects them as `plan` says, and
    /// queues them with one send event.
    fn write_records(
        &mut self,
        typ: ContentType,
        payload: &[u8],
        names: Vec<String>,
        plan: &RecordPlan<'_>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        let encrypt = match plan.protection {
            // RFC 8446 §5: change_cipher_spec is never protected in TLS 1.3.
            Protection::Auto if self.speaks_tls13() => typ != ContentType::ChangeCipherSpec,
            Protection::Auto => self.write_keys.is_some(),
            Protection::Plain => false,
            Protection::Encrypted => {
                if self.write_keys.is_none()
                    && self.pending_write_keys.is_none()
                    && !self.speaks_tls13()
                {
                    return Err(Unmet::new("keys to encrypt with", "no keys derived yet"));
                }
                true
            }
        };
        // A protected record holds at most 2^14 bytes (RFC 5246 §6.2.3);
        // one in the clear may announce up to 2^16-1 to test that limit.
        let most = if encrypt {
            MAX_PLAINTEXT_LEN
        } else {
            MAX_RECORD_FRAGMENT
        };
        let size = plan.fragment.unwrap_or(MAX_PLAINTEXT_LEN).clamp(1, most);
        let version = plan.record_version.unwrap_or(self.write_version);
        let hint = self.version_hint();
        let named = || {
            let mut batch = Batch::default();
            names.iter().for_each(|n| batch.name(n.clone()));
            batch
        };
        let mut batch = named();
        let empty: &[u8] = &[];
        let chunks: Vec<&[u8]> = if payload.is_empty() {
            vec![empty]
        } else {
            payload.chunks(size).collect()
        };
        let count = chunks.len();
        for (index, chunk) in chunks.into_iter().enumerate() {
            let mut between = plan
                .interleave
                .iter()
                .filter(|i| i.after == index)
                .peekable();
            if between.peek().is_some() {
                // The records so far, then each message between, are events
                // of their own, in the order they go out.
                self.emit_sent(std::mem::replace(&mut batch, named()), now, tracer);
                for other in between {
                    self.send_between(&other.message, now, tracer)?;
                }
            }
            let mut record = Vec::with_capacity(HEADER_LEN + chunk.len() + 64);
            let tls13 = self.tls13.as_mut().filter(|_| encrypt);
            RecordHeader {
                // RFC 8446 §5.2: a protected record's real type is inside.
                typ: if tls13.is_some() {
                    ContentType::ApplicationData
                } else {
                    typ
                },
                version: ProtocolVersion::from(version),
                length: 0,
            }
            .encode(&mut record);
            let keys = if encrypt && self.tls13.is_none() {
                self.write_keys
                    .as_mut()
                    .or(self.pending_write_keys.as_mut())
            } else {
                None
            };
            let trace = match (self.tls13.as_mut().filter(|_| encrypt), keys) {
                (Some(tls13), _) => {
                    let mut fragment = tls13.write.encrypt(typ, chunk, 0);
                    mutate(&mut fragment, plan.ciphertext);
                    record.extend_from_slice(&fragment);
                    Some(*tls13.write.last_record())
                }
                (None, Some(keys)) => {
                    let mut fragment = keys.encrypt_tampered(
                        typ.get(),
                        version,
                        chunk,
                        &mut self.core.rng,
                        &mut |mac, padding| {
                            mutate(mac, plan.mac);
                            mutate(padding, plan.padding);
                        },
                    );
                    mutate(&mut fragment, plan.ciphertext);
                    record.extend_from_slice(&fragment);
                    Some(*keys.last_record())
                }
                (None, None) => {
                    record.extend_from_slice(chunk);
                    None
                }
            };
            let len = (record.len() - HEADER_LEN).min(MAX_RECORD_FRAGMENT) as u16;
            record[3..5].copy_from_slice(&len.to_be_bytes());
            record.truncate(HEADER_LEN + usize::from(len));
            let opened = trace.as_ref().map(|trace| Opened {
                typ,
                plaintext: chunk,
                trace,
            });
            batch.add_record(&record, opened, hint, None, tracer.enabled());
            self.outgoing.extend_from_slice(&record);
        }
        self.emit_sent(batch, now, tracer);
        for other in plan.interleave.iter().filter(|i| i.after >= count) {
            self.send_between(&other.message, now, tracer)?;
        }
        Ok(())
    }

    /// A message's content type, bytes and name; handshake messages join
    /// the transcript here, and what they settle is kept.
    fn build(
        &mut self,
        message: &Message,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(ContentType, Vec<u8>, String), Unmet> {
        let handshake_message = |bytes: Vec<u8>| {
            let name = message_title(&bytes).into_owned();
            (ContentType::Handshake, bytes, name)
        };
        let built = match message {
            Message::ClientHello {
                version,
                random,
                session_id,
                cipher_suites,
                compression_methods,
                extensions,
                lengths,
                key_shares,
            } => {
                let config = self.client_profile();
                let random = match random {
                    Some(r) => r.0.clone(),
                    None => self
                        .core
                        .choose_random(
                            config.pins.client_random,
                            now,
                            tracer,
                            "Select a Client Random Number",
                            "The client picks 32 random bytes; they make this handshake's keys \
                             unique and are sent in the clear in the Client Hello.",
                        )
                        .to_vec(),
                };
                let suites = cipher_suites
                    .clone()
                    .unwrap_or_else(|| config.cipher_suites.iter().map(|s| s.get()).collect());
                let mut base = client_extensions(&config)
                    .iter()
                    .map(WireExtension::from_typed)
                    .collect();
                if !key_shares.is_empty() {
                    self.offer_key_shares(key_shares, &mut base, now, tracer)?;
                }
                let exts = edit_extensions(base, extensions);
                let x = &mut self.exchange;
                x.client_version = Some(version.unwrap_or(config.max_version.get()));
                x.client_random = random.as_slice().try_into().ok();
                x.client_suites = suites.clone();
                x.client_extensions = exts.iter().flatten().map(|e| e.typ).collect();
                let fields = HelloFields {
                    version: version.unwrap_or(config.max_version.get()),
                    random: &random,
                    session_id: session_id.as_ref().map_or(&[][..], |s| &s.0),
                    extensions: exts.as_deref(),
                    lengths,
                };
                let compression = compression_methods.clone().unwrap_or_else(|| vec![0]);
                let body = fields.client_hello(&suites, &compression);
                handshake(1, &body, lengths.message)
            }
            Message::ServerHello {
                version,
                random,
                session_id,
                echo_session_id,
                cipher_suite,
                compression_method,
                extensions,
                lengths,
                key_share,
            } => {
                let config = self.server_profile("Server Hello")?;
                // RFC 5246 §7.4.1.3: the highest version both support; a
                // version given changes the field, not the suite chosen.
                let agreed = self
                    .exchange
                    .client_version
                    .unwrap_or(config.max_version.get())
                    .min(config.max_version.get());
                let tls13 = match key_share {
                    Some(group) => {
                        Some(self.answer_key_share(*group, *cipher_suite, now, tracer)?)
                    }
                    None => None,
                };
                // RFC 8446 §4.1.3: legacy_version is TLS 1.2 in a TLS 1.3
                // Server Hello.
                let agreed = if tls13.is_some() { 0x0303 } else { agreed };
                let version = version.unwrap_or(agreed);
                let suite = match (cipher_suite, &tls13) {
                    (Some(s), _) => *s,
                    (None, Some((s, _))) => *s,
                    (None, None) => choose_suite(&config, &self.exchange.client_suites, agreed)?,
                };
                let random = match random {
                    Some(r) => r.0.clone(),
                    None => self
                        .core
                        .choose_random(
                            config.pins.server_random,
                            now,
                            tracer,
                            "Select a Server Random Number",
                            "The server picks 32 random bytes of its own for this handshake.",
                        )
                        .to_vec(),
                };
                let session_id = match session_id {
                    Some(s) => s.0.clone(),
                    // RFC 8446 §4.1.3: legacy_session_id_echo.
                    None if *echo_session_id || tls13.is_some() => {
                        self.exchange.client_session_id.clone()
                    }
                    None => {
                        let mut id = vec![0; 32];
                        self.core.rng.fill(&mut id);
                        id
                    }
                };
                let base = match tls13 {
                    Some((_, exts)) => exts,
                    None => answer_extensions(&config, &self.exchange),
                };
                let exts = edit_extensions(base, extensions);
                let x = &mut self.exchange;
                x.server_random = random.as_slice().try_into().ok();
                x.version = Some(version);
                x.suite = Some(suite);
                x.session_id = session_id.clone();
                x.server_extensions = exts.iter().flatten().map(|e| e.typ).collect();
                self.write_version = version;
                let fields = HelloFields {
                    version,
                    random: &random,
                    session_id: &session_id,
                    extensions: exts.as_deref(),
                    lengths,
                };
                let body = fields.server_hello(suite, compression_method.unwrap_or(0));
                handshake(2, &body, lengths.message)
            }
            Message::EncryptedExtensions { extensions } => Script::encrypted_extensions(extensions),
            Message::CertificateVerify {
                scheme,
                signature_xor,
            } => self.certificate_verify(*scheme, signature_xor.as_ref(), now, tracer)?,
            Message::KeyUpdate { request_update } => self.key_update(*request_update),
            Message::Certificate { chain } => {
                let chain: Vec<Vec<u8>> = match (chain, &self.profile) {
                    (Some(given), _) => given.iter().map(|c| c.0.clone()).collect(),
                    (None, Profile::Server(config)) => config.cert_chain.clone(),
                    // RFC 5246 §7.4.6: a client sends its own chain, if
                    // its profile has one.
                    (None, Profile::Client(config)) => config
                        .client_certificate
                        .as_ref()
                        .map(|c| c.chain.clone())
                        .unwrap_or_default(),
                };
                if self.speaks_tls13() {
                    Script::certificate13(&chain)
                } else {
                    HandshakeMessage::Certificate(Certificate { chain }).to_bytes()
                }
            }
            Message::ServerKeyExchange {
                group,
                signature_xor,
                dh_p,
                dh_g,
                dh_public,
            } => {
                let dh = DhValues {
                    p: dh_p.as_ref(),
                    g: dh_g.as_ref(),
                    public: dh_public.as_ref(),
                };
                self.server_key_exchange(*group, &dh, signature_xor.as_ref(), now, tracer)?
            }
            Message::ServerHelloDone => HandshakeMessage::ServerHelloDone.to_bytes(),
            Message::ClientKeyExchange { public } => {
                return self
                    .client_key_exchange(public.as_ref().map(|p| &p.0[..]), now, tracer)
                    .map(handshake_message);
            }
            Message::ChangeCipherSpec { payload } => {
                let payload = payload.as_ref().map_or_else(|| vec![1], |p| p.0.clone());
                return Ok((
                    ContentType::ChangeCipherSpec,
                    payload,
                    "Change Cipher Spec".to_owned(),
                ));
            }
            Message::Finished {
                verify_data,
                xor,
                truncate,
                pad,
            } => {
                let mut data = match (verify_data, &self.exchange.keys) {
                    (Some(given), _) => given.0.clone(),
                    (None, _) if self.speaks_tls13() => self.tls13_verify_data(now, tracer),
                    (None, Some(keys)) => {
                        let sender = match self.side {
                            Side::Client => FinishedSender::Client,
                            Side::Server => FinishedSender::Server,
                        };
                        transcript_verify_data(keys, sender, self.core.transcript.all()).to_vec()
                    }
                    (None, None) => {
                        return Err(Unmet::new(
                            "keys to compute the Finished (a key exchange first, or verify_data)",
                            "no keys derived yet",
                        ));
                    }
                };
                if let Some(mask) = xor {
                    data.iter_mut().zip(&mask.0).for_each(|(b, m)| *b ^= m);
                }
                if let Some(len) = truncate {
                    data.truncate(*len);
                }
                if let Some(extra) = pad {
                    data.extend_from_slice(&extra.0);
                }
                if self.speaks_tls13() {
                    self.key_change = Some(KeyChange::Finished);
                }
                handshake(20, &data, None)
            }
            Message::HelloRequest => {
                // RFC 5246 §7.4.1.1: not part of the transcript.
                return Ok(handshake_message(handshake(0, &[], None)));
            }
            Message::Handshake { typ, body } => handshake(*typ, &body.0, None),
            Message::ApplicationData { text, hex } => {
                let mut data = text.as_bytes().to_vec();
                data.extend_from_slice(&hex.0);
                return Ok((
                    ContentType::ApplicationData,
                    data,
                    "Application Data".to_owned(),
                ));
            }
            Message::Alert { level, description } => {
                let level = level.unwrap_or(Level::Fatal).value();
                let bytes = vec![level, description.0.get()];
                return Ok((ContentType::Alert, bytes, format!("Alert ({description})")));
            }
            Message::Heartbeat {
                payload,
                payload_length,
            } => {
                // RFC 6520 §4: type, payload_length, payload, padding.
                let mut bytes = vec![1];
                let len = payload_length
                    .unwrap_or_else(|| u16::try_from(payload.0.len()).unwrap_or(u16::MAX));
                bytes.extend_from_slice(&len.to_be_bytes());
                bytes.extend_from_slice(&payload.0);
                let mut padding = [0u8; HEARTBEAT_PADDING];
                self.core.rng.fill(&mut padding);
                bytes.extend_from_slice(&padding);
                return Ok((ContentType::Heartbeat, bytes, "Heartbeat".to_owned()));
            }
            Message::Record { content_type, data } => {
                let typ = ContentType::from(*content_type);
                return Ok((typ, data.0.clone(), typ.to_string()));
            }
            Message::Raw(_) => unreachable!("raw bytes are written by `send` without a record"),
        };
        self.core.transcript.add(&built);
        Ok(handshake_message(built))
    }

    /// This end's ECDHE key pair on `group` (drawn, or from the profile's
    /// `pinned` private key), logged as the actors log theirs.
    fn ephemeral_key(
        &mut self,
        group: KxGroup,
        pinned: Option<&[u8]>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(EphemeralSecret, Vec<u8>), Unmet> {
        let (secret, public) = self
            .core
            .ephemeral_key(group, pinned)
            .map_err(|e| Unmet::new("a usable pinned key", e.to_string()))?;
        let (title, private_name, public_name) = match self.side {
            Side::Client => (
                "Client: Setup Elliptic Curve Cryptography",
                "Client Private Key",
                "Client Public Key",
            ),
            Side::Server => (
                "Server: Setup Elliptic Curve Cryptography",
                "Server Private Key",
                "Server Public Key",
            ),
        };
        self.core.ctx.action(now, tracer, title, |e| {
            e.field("Curve", group.name())
                .field(private_name, hex(secret.private_bytes()))
                .field(public_name, hex(&public))
        });
        Ok((secret, public))
    }

    /// RFC 8422 §5.4: a fresh ECDHE key on the chosen curve, signed with
    /// the profile's key over both randoms.
    fn server_key_exchange(
        &mut self,
        group: Option<u16>,
        dh: &DhValues<'_>,
        signature_xor: Option<&crate::language::Hex>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Vec<u8>, Unmet> {
        if self.negotiated_key_exchange() == Some(KeyExchange::Dhe) {
            return self.dhe_server_key_exchange(group, dh, signature_xor, now, tracer);
        }
        let config = self.server_profile("Server Key Exchange")?;
        let x = &self.exchange;
        let group = match group {
            Some(g) => KxGroup::from_named_curve(NamedGroup::from(g))
                .ok_or_else(|| Unmet::new("a curve tlsim runs (23 or 29)", format!("curve {g}")))?,
            None => config
                .groups
                .iter()
                .filter(|g| {
                    x.client_groups
                        .as_ref()
                        .is_none_or(|offered| offered.contains(&g.get()))
                })
                .find_map(|&g| KxGroup::from_named_curve(g))
                .ok_or_else(|| Unmet::new("a curve in common with the client", "none"))?,
        };
        let (secret, public) = self.ephemeral_key(
            group,
            config.pins.ephemeral_private_key.as_deref(),
            now,
            tracer,
        )?;
        let params = ServerEcdhParams {
            curve_type: EcCurveType::NamedCurve,
            named_curve: group.named_curve(),
            public,
        };
        let signed = self.sign_server_params(&params.to_bytes(), signature_xor)?;
        self.exchange.own_secret = Some(secret);
        let ske = EcdheServerKeyExchange { params, signed };
        Ok(HandshakeMessage::ServerKeyExchange(ske.to_bytes()).to_bytes())
    }

    /// The negotiated suite's key exchange, once a Server Hello chose one.
    fn negotiated_key_exchange(&self) -> Option<KeyExchange> {
        self.exchange
            .suite
            .and_then(suite_by_value)
            .map(|s| s.key_exchange)
    }

    /// RFC 5246 §7.4.3: the profile key's signature over both randoms and
    /// `params`, XORed with `signature_xor`; TLS 1.2 names its algorithm
    /// (§7.4.1.4.1).
    fn sign_server_params(
        &mut self,
        params: &[u8],
        signature_xor: Option<&crate::language::Hex>,
    ) -> Result<DigitallySigned, Unmet> {
        let config = self.server_profile("Server Key Exchange")?;
        let x = &self.exchange;
        let (Some(client), Some(server)) = (x.client_random, x.server_random) else {
            return Err(Unmet::new(
                "both hello randoms, 32 bytes each, to sign",
                "a hello random missing",
            ));
        };
        let version = x.version.unwrap_or(0x0303);
        let key_type = config.signing_key.key_type();
        let scheme = sign::SignatureScheme::default_for(key_type, version);
        let content = sign::server_key_exchange_signed_content(&client, &server, params);
        let mut signature = config
            .signing_key
            .sign(scheme, &content, &mut self.core.rng)
            .map_err(|e| Unmet::new("a key that signs", e.to_string()))?;
        if let Some(mask) = signature_xor {
            signature.iter_mut().zip(&mask.0).for_each(|(b, m)| *b ^= m);
        }
        // RFC 5246 §7.4.1.4.1: TLS 1.2 names the algorithm pair.
        let algorithm = scheme.code_point().filter(|_| version >= 0x0303);
        Ok(DigitallySigned {
            algorithm,
            signature,
        })
    }

    /// RFC 8422 §5.7: this end's public key on the server's curve; the
    /// message joins the transcript before the keys are derived (RFC 7627
    /// §4: the session hash ends with it).
    fn client_key_exchange(
        &mut self,
        public_override: Option<&[u8]>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Vec<u8>, Unmet> {
        if let Some((group, server_public)) = self.exchange.peer_dh.clone() {
            let (pre_master, message) =
                self.dhe_client_key_exchange(group, &server_public, public_override, now, tracer)?;
            self.core.transcript.add(&message);
            self.derive_keys(&pre_master, now, tracer)?;
            return Ok(message);
        }
        let (group, server_public) = self.exchange.peer_key.clone().ok_or_else(|| {
            Unmet::new(
                "the server's ECDHE key (a Server Key Exchange) before the Client Key Exchange",
                "none received",
            )
        })?;
        let pinned = self.client_profile().pins.ephemeral_private_key.clone();
        let (secret, public) = self.ephemeral_key(group, pinned.as_deref(), now, tracer)?;
        let pre_master = secret
            .agree(&server_public)
            .map_err(|e| Unmet::new("a usable server public key", e.to_string()))?;
        let public = public_override.map_or(public, <[u8]>::to_vec);
        let message =
            HandshakeMessage::ClientKeyExchange(ClientEcdhPublic { public }.to_bytes()).to_bytes();
        self.core.transcript.add(&message);
        self.derive_keys(&pre_master, now, tracer)?;
        Ok(message)
    }
}

/// RFC 5246 §7.4.9 `verify_data` of `sender` over `transcript`.
fn transcript_verify_data(
    keys: &SessionKeys,
    sender: FinishedSender,
    transcript: &[u8],
) -> [u8; 12] {
    let alg = keys.suite.prf(keys.version.get());
    prf::finished_verify_data(
        alg,
        &keys.master_secret,
        sender,
        &alg.transcript_hash(transcript),
    )
}

/// The profile's first suite that the client offered and that fits the
/// version and the key.
fn choose_suite(config: &ServerConfig, offered: &[u16], version: u16) -> Result<u16, Unmet> {
    let key_type = config.signing_key.key_type();
    config
        .cipher_suites
        .iter()
        .filter_map(|&s| suite_by_value(s.get()))
        .find(|s: &&CipherSuiteParams| {
            let fits_key = match s.authentication {
                Authentication::Ecdsa => key_type == KeyType::EcdsaP256,
                Authentication::Rsa => key_type == KeyType::Rsa,
            };
            fits_key && s.supports_version(version) && offered.contains(&s.value)
        })
        .map(|s| s.value)
        .ok_or_else(|| {
            Unmet::new(
                "a suite of the profile that the client offered",
                format!("offered {offered:04x?}"),
            )
        })
}

/// Server Hello extensions answering the client's (RFC 5246 §7.4.1.4: only
/// those it asked for).
fn answer_extensions(config: &ServerConfig, x: &Exchange) -> Vec<WireExtension> {
    let asked = |typ: u16| x.client_extensions.contains(&typ);
    let mut exts = Vec::new();
    if asked(0) {
        exts.push(ServerExtension::ServerNameAck);
    }
    // RFC 5746 §3.6: the extension or the SCSV asks for it.
    if asked(0xff01) || x.client_suites.contains(&EMPTY_RENEGOTIATION_INFO_SCSV) {
        exts.push(ServerExtension::RenegotiationInfo(Vec::new()));
    }
    if asked(11) {
        exts.push(ServerExtension::EcPointFormats(vec![
            tlsim_tls::enums::EcPointFormat::Uncompressed,
        ]));
    }
    if asked(EXTENDED_MASTER_SECRET) && config.extended_master_secret {
        exts.push(ServerExtension::ExtendedMasterSecret);
    }
    exts.iter().map(WireExtension::from_typed).collect()
}
