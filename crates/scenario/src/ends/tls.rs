//! A TLS client or server end, with an application on top of it (none, or
//! SPDY).
//!
//! The TLS actors are sans-IO: the end feeds them the bytes its transport
//! delivered and queues what they write for the transport. One round
//! ([`TlsEnd::pump`]) handles the actor's events (handshake done, data
//! readable, close_notify, failure), runs the application, and queues the
//! records to send.

use tlsim_sim::{Duration, Instant, Tracer};
use tlsim_tls::conn::{Connection, TlsEvent};
use tlsim_tls::enums::AlertLevel;
use tlsim_tls_client::ClientConnection;
use tlsim_tls_server::ServerConnection;

use super::{
    AlertSeen, CHUNK, Chunk, Chunks, ConnectionEnd, EndReport, TlsOutcome, Transport,
    TransportEvent, TransportState,
};
use crate::digest::StreamDigest;
use crate::schema::Data;

/// The plaintext of one full TLS record (RFC 5246 §6.2.1).
const MAX_RECORD: usize = tlsim_tls::record::MAX_PLAINTEXT_LEN;

/// What runs above TLS.
pub(crate) trait App {
    /// The handshake completed.
    fn start(&mut self, now: Instant, tracer: &mut dyn Tracer);
    /// Application bytes arrived.
    fn receive(&mut self, now: Instant, data: &[u8], tracer: &mut dyn Tracer);
    /// The next bytes the application sends, if any.
    fn poll_transmit(&mut self, now: Instant, tracer: &mut dyn Tracer) -> Option<Vec<u8>>;
    /// Whether the application is done and the connection should close.
    fn finished(&self) -> bool;
}

/// No application: bytes come from the timeline's `Send` steps only.
pub(crate) struct NoApp;

impl App for NoApp {
    fn start(&mut self, _now: Instant, _tracer: &mut dyn Tracer) {}
    fn receive(&mut self, _now: Instant, _data: &[u8], _tracer: &mut dyn Tracer) {}
    fn poll_transmit(&mut self, _now: Instant, _tracer: &mut dyn Tracer) -> Option<Vec<u8>> {
        None
    }
    fn finished(&self) -> bool {
        false
    }
}

/// The TLS actor of an end.
pub(crate) enum Tls {
    Client(Box<ClientConnection>),
    Server(Box<ServerConnection>),
}

impl Tls {
    fn conn(&mut self) -> &mut Connection {
        match self {
            Tls::Client(tls) => tls,
            Tls::Server(tls) => tls,
        }
    }

    fn get(&self) -> &Connection {
        match self {
            Tls::Client(tls) => tls,
            Tls::Server(tls) => tls,
        }
    }
}

pub(crate) struct TlsEnd<A> {
    transport: Option<Box<dyn Transport>>,
    tls: Tls,
    app: A,
    /// How long this end takes to act on bytes it receives.
    processing_time: Duration,
    /// TLS records not yet taken by the transport.
    outbox: Chunks,
    /// Application bytes TLS has not taken yet: they are handed over a
    /// window at a time, as the transport takes the records.
    plaintext: Chunks,
    /// Bytes received that wait out the processing time, and when it ends.
    pending_input: Vec<u8>,
    input_due: Option<Instant>,
    /// The peer closed the transport behind `pending_input`.
    peer_closed: bool,
    /// A TLS close (close_notify) has been asked for.
    tls_closing: bool,
    /// The transport should close once everything queued is sent.
    close_wanted: bool,
    /// The timeline closed this end: it first sends what it was given,
    /// then close_notify; then the transport closes.
    app_close_wanted: bool,
    closed_at: Option<Instant>,
    sent: StreamDigest,
    received: StreamDigest,
    alerts_sent: Vec<AlertSeen>,
    alerts_received: Vec<AlertSeen>,
    outcome: TlsOutcome,
    handshake_at: Option<Instant>,
    keylog: Vec<String>,
    scratch: Vec<u8>,
    records: Vec<u8>,
}

impl<A: App> TlsEnd<A> {
    /// An end over `tls`. Both ends know the secrets, but like a
    /// browser's SSLKEYLOGFILE the key log is usually the client's alone,
    /// so each session appears once: the caller says whether this end
    /// makes key-log lines (`keeps_keylog`).
    pub(crate) fn new(mut tls: Tls, app: A, processing_time: Duration, keeps_keylog: bool) -> Self {
        tls.conn().keep_keylog(keeps_keylog);
        TlsEnd {
            transport: None,
            tls,
            app,
            processing_time,
            outbox: Chunks::default(),
            plaintext: Chunks::default(),
            pending_input: Vec::new(),
            input_due: None,
            peer_closed: false,
            tls_closing: false,
            close_wanted: false,
            app_close_wanted: false,
            closed_at: None,
            sent: StreamDigest::default(),
            received: StreamDigest::default(),
            alerts_sent: Vec::new(),
            alerts_received: Vec::new(),
            outcome: TlsOutcome::Handshaking,
            handshake_at: None,
            keylog: Vec::new(),
            scratch: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Queues close_notify (RFC 5246 §7.2.1) unless one is queued already.
    fn close_tls(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if !self.tls_closing {
            self.tls_closing = true;
            self.tls.conn().close(now, tracer);
        }
    }

    /// Application bytes, to be protected and sent.
    fn send_plaintext(&mut self, now: Instant, bytes: &[u8], tracer: &mut dyn Tracer) {
        self.sent.update(bytes);
        self.tls.conn().send_application_data(now, bytes, tracer);
    }

    /// Sends everything the application has to send.
    fn app_transmit(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        while let Some(bytes) = self.app.poll_transmit(now, tracer) {
            self.send_plaintext(now, &bytes, tracer);
        }
    }

    /// One round: handle the TLS actor's events, run the application, and
    /// queue the records TLS wrote.
    fn pump(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        while let Some(event) = self.tls.conn().poll_event() {
            match event {
                TlsEvent::HandshakeComplete { .. } => {
                    self.outcome = TlsOutcome::Complete;
                    self.handshake_at = Some(now);
                    self.app.start(now, tracer);
                    self.app_transmit(now, tracer);
                }
                TlsEvent::ApplicationData => {
                    let mut data = std::mem::take(&mut self.scratch);
                    data.clear();
                    self.tls.conn().read_application_data(&mut data);
                    self.received.update(&data);
                    self.app.receive(now, &data, tracer);
                    self.app_transmit(now, tracer);
                    self.scratch = data;
                }
                TlsEvent::PeerClosed => {
                    // Answer close_notify with close_notify, then close.
                    self.close_tls(now, tracer);
                    self.close_wanted = true;
                }
                TlsEvent::Failed { alert_sent, .. } => {
                    self.outcome = TlsOutcome::Failed;
                    if let Some(description) = alert_sent {
                        self.alerts_sent.push(AlertSeen {
                            level: AlertLevel::Fatal,
                            description,
                            at: now,
                        });
                    }
                    self.close_wanted = true;
                }
                TlsEvent::WarningSent(description) => self.alerts_sent.push(AlertSeen {
                    level: AlertLevel::Warning,
                    description,
                    at: now,
                }),
                TlsEvent::AlertReceived(alert) => self.alerts_received.push(AlertSeen {
                    level: alert.level,
                    description: alert.description,
                    at: now,
                }),
            }
        }
        if self.app.finished() {
            self.close_tls(now, tracer);
            self.close_wanted = true;
        }
        self.keylog.extend(self.tls.conn().keylog_lines());
        self.tls.conn().write_tls(&mut self.records);
        if !self.records.is_empty() {
            self.outbox
                .push(Chunk::Bytes(std::mem::take(&mut self.records), 0));
        }
    }

    /// How many more application bytes TLS should be given now, so that
    /// what it holds stays bounded: a window once the handshake is
    /// complete, less what it keeps while handshaking. `None` when it will
    /// never take any: closed, failed, or handshaking while the transport
    /// closes (the peer closed, so the handshake cannot finish).
    fn application_data_room(&self) -> Option<usize> {
        let tls = self.tls.get();
        if tls.is_ready_for_application_data() {
            Some(CHUNK)
        } else if tls.is_handshaking() && !self.tls_closing && !self.close_wanted {
            Some(CHUNK.saturating_sub(tls.held_application_data()))
        } else {
            None
        }
    }

    /// One step of sending: hands TLS the next piece of application bytes
    /// if it has room for it, or, once all are handed over and the
    /// application closed, asks TLS to close. Returns whether TLS was given
    /// anything (its records are then in the outbox).
    fn feed_tls(&mut self, now: Instant, tracer: &mut dyn Tracer) -> bool {
        let queued = usize::try_from(self.outbox.len()).unwrap_or(usize::MAX);
        let room = match self.application_data_room() {
            Some(room) => room.saturating_sub(queued),
            // RFC 5246 §7.2.1: after a close, pending writes are discarded.
            None => {
                self.plaintext.clear();
                0
            }
        };
        if !self.plaintext.is_empty() {
            let (sent, tls) = (&mut self.sent, &mut self.tls);
            let taken = self.plaintext.take_piece(room, MAX_RECORD, |bytes| {
                sent.update(bytes);
                tls.conn().send_application_data(now, bytes, tracer);
            });
            if !taken {
                return false;
            }
        } else if self.app_close_wanted && !self.tls_closing {
            self.close_tls(now, tracer);
            self.close_wanted = true;
        } else {
            return false;
        }
        self.pump(now, tracer);
        true
    }

    /// Hands records to the transport, and application bytes to TLS as the
    /// transport takes the records; then, once nothing is left, closes the
    /// transport if a close is wanted and TLS has written its last record.
    fn flush(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if self.transport.as_deref().map(|t| t.state()) != Some(TransportState::Open) {
            return;
        }
        loop {
            let transport = self.transport.as_deref_mut().expect("checked above");
            if !self.outbox.write_to(transport, now, tracer, |_| {}) {
                // The send buffer is full: wait for `Writable`.
                return;
            }
            if !self.feed_tls(now, tracer) {
                break;
            }
        }
        let tls_done = !self.tls_closing || self.tls.get().is_done_writing();
        if self.close_wanted
            && self.closed_at.is_none()
            && self.outbox.is_empty()
            && self.plaintext.is_empty()
            && tls_done
        {
            self.closed_at = Some(now);
            if let Some(transport) = self.transport.as_deref_mut() {
                transport.close(now, tracer);
            }
        }
    }

    fn pump_and_flush(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.pump(now, tracer);
        self.flush(now, tracer);
    }

    fn read(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        let Some(transport) = self.transport.as_deref_mut() else {
            return;
        };
        if self.processing_time == Duration::ZERO {
            let read = |buf: &mut Vec<u8>| _ = transport.read(buf);
            self.tls.conn().read_tls(now, 0, read, tracer);
            self.pump_and_flush(now, tracer);
            return;
        }
        // TLS acts on what arrived once its processing time has passed;
        // TCP acknowledges meanwhile, by its own rules.
        if self.pending_input.is_empty() {
            self.input_due = Some(now + self.processing_time);
        }
        transport.read(&mut self.pending_input);
    }
}

impl<A: App> ConnectionEnd for TlsEnd<A> {
    fn attach(&mut self, transport: Box<dyn Transport>) {
        self.transport = Some(transport);
    }

    fn handle_transport(&mut self, now: Instant, event: TransportEvent, tracer: &mut dyn Tracer) {
        match event {
            TransportEvent::Connected => {
                if let Tls::Client(tls) = &mut self.tls {
                    tls.start(now, tracer);
                }
                self.pump_and_flush(now, tracer);
            }
            TransportEvent::Writable => self.flush(now, tracer),
            TransportEvent::Readable => self.read(now, tracer),
            TransportEvent::PeerClosed => {
                self.read(now, tracer);
                // Bytes still being processed come before the close.
                if self.pending_input.is_empty() {
                    self.close_wanted = true;
                    self.flush(now, tracer);
                } else {
                    self.peer_closed = true;
                }
            }
        }
    }

    fn send(&mut self, now: Instant, data: &Data, tracer: &mut dyn Tracer) {
        self.plaintext.push(Chunk::of(data));
        self.flush(now, tracer);
    }

    fn close(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.app_close_wanted = true;
        self.pump_and_flush(now, tracer);
    }

    fn key_update(&mut self, now: Instant, request_update: bool, tracer: &mut dyn Tracer) {
        self.tls.conn().key_update(now, tracer, request_update);
        self.pump(now, tracer);
        self.flush(now, tracer);
    }

    fn renegotiate(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.tls.conn().renegotiate(now, tracer);
        self.pump_and_flush(now, tracer);
    }

    fn abort(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.outbox.clear();
        self.plaintext.clear();
        if let Some(transport) = self.transport.as_deref_mut() {
            self.closed_at.get_or_insert(now);
            transport.abort(now, tracer);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.input_due
    }

    fn handle_timeout(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if self.input_due.is_none_or(|due| due > now) {
            return;
        }
        self.input_due = None;
        let input = std::mem::take(&mut self.pending_input);
        self.tls.conn().handle_bytes(now, &input, tracer);
        if self.peer_closed {
            self.close_wanted = true;
        }
        self.pump_and_flush(now, tracer);
    }

    fn take_keylog(&mut self) -> Vec<String> {
        std::mem::take(&mut self.keylog)
    }

    fn report(&self) -> EndReport {
        EndReport {
            sent: self.sent,
            received: self.received,
            alerts_sent: self.alerts_sent.clone(),
            alerts_received: self.alerts_received.clone(),
            tls: Some(self.outcome),
            handshake_at: self.handshake_at,
            closed_at: self.closed_at,
            conversation: None,
        }
    }
}
