//! A recorded server replayed ([`Replay`]): the bytes a real server sent,
//! each sent once the client's bytes that came before it in the recorded
//! session have arrived, and have been found equal to the recorded ones.
//!
//! The end never looks inside a record: a TLS 1.3 server's encrypted
//! flight is opaque bytes here, and only a client that draws what it drew
//! when the session was recorded can read it. What the end judges is
//! whether the client said, byte for byte, what it said then; it reports
//! that as a conversation, so `check` names the first step that differs.

use std::sync::Arc;

use tlsim_sim::{Instant, Kind, Tracer};
use tlsim_tls::conn::EventContext;
use tlsim_tls::enums::ContentType;
use tlsim_tls_script::{Failure, Verdict};

use super::script::ConversationReport;
use super::{Chunk, ConnectionEnd, EndReport, Outbound, Transport, TransportEvent};
use crate::schema::{Data, ReplayStep};

pub(crate) struct ReplayEnd {
    out: Outbound,
    steps: Arc<[ReplayStep]>,
    /// The step waiting, from 0.
    next: usize,
    /// Bytes received and not yet matched by a `Receive` step.
    pending: Vec<u8>,
    verdict: Verdict,
    peer_closed: bool,
    ctx: EventContext,
}

/// What a record's first bytes say it is, for the log: its content type.
fn record_kind(bytes: &[u8]) -> String {
    match bytes.first() {
        Some(&typ) => ContentType::from(typ).to_string(),
        None => "nothing".to_string(),
    }
}

impl ReplayEnd {
    pub(crate) fn new(steps: Arc<[ReplayStep]>, ctx: EventContext) -> Self {
        ReplayEnd {
            out: Outbound::default(),
            steps,
            next: 0,
            pending: Vec::new(),
            verdict: Verdict::Running,
            peer_closed: false,
            ctx,
        }
    }

    fn fail(&mut self, expected: String, observed: String, now: Instant, tracer: &mut dyn Tracer) {
        if tracer.enabled() {
            tracer.record(
                (self.ctx.event(now, Kind::State, "Replay step failed"))
                    .field("Step", self.next)
                    .field("Expected", &expected)
                    .field("Observed", &observed),
            );
        }
        self.verdict = Verdict::Failed(Failure {
            step: self.next,
            expected,
            observed,
        });
    }

    /// Takes the steps that can be taken now, in order.
    fn advance(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        while self.verdict == Verdict::Running {
            let steps = Arc::clone(&self.steps);
            let Some(step) = steps.get(self.next) else {
                self.verdict = Verdict::Passed;
                break;
            };
            match step {
                ReplayStep::Receive(expected) => {
                    let seen = self.pending.len().min(expected.len());
                    if let Some(at) = (0..seen).find(|&i| self.pending[i] != expected[i]) {
                        let what = format!(
                            "the recorded {} record of {} bytes",
                            record_kind(expected),
                            expected.len()
                        );
                        let differs = format!(
                            "bytes that differ from it at byte {at} ({:02x}, not {:02x})",
                            self.pending[at], expected[at]
                        );
                        return self.fail(what, differs, now, tracer);
                    }
                    if seen < expected.len() {
                        if self.peer_closed {
                            let what =
                                format!("the rest of the recorded {}", record_kind(expected));
                            let observed =
                                format!("the connection closing after {seen} of its bytes");
                            return self.fail(what, observed, now, tracer);
                        }
                        return;
                    }
                    self.pending.drain(..expected.len());
                    if tracer.enabled() {
                        tracer.record(
                            (self.ctx.event(now, Kind::Recv, "Replay: client record as recorded"))
                                .field("Step", self.next)
                                .field("Record", record_kind(expected))
                                .field("Length", expected.len())
                                .explain("The client sent, byte for byte, what it sent when the session was recorded."),
                        );
                    }
                }
                ReplayStep::Send(bytes) => {
                    if tracer.enabled() {
                        tracer.record(
                            (self.ctx.event(now, Kind::Send, "Replay: server record as recorded"))
                                .field("Step", self.next)
                                .field("Record", record_kind(bytes))
                                .field("Length", bytes.len())
                                .bytes(bytes.clone())
                                .explain("The recorded server's bytes, sent as they were, after the client's that came before them."),
                        );
                    }
                    self.out.outbox.push(Chunk::Bytes(bytes.clone(), 0));
                }
                ReplayStep::Close => self.out.close_wanted = true,
                ReplayStep::Abort => self.out.abort(now, tracer),
            }
            self.next += 1;
        }
        // Past the last step the client has nothing more to say.
        if self.verdict == Verdict::Passed && !self.pending.is_empty() {
            let observed = format!("{} more bytes", self.pending.len());
            self.pending.clear();
            self.fail("nothing more from the client".into(), observed, now, tracer);
        }
    }

    /// Hands queued bytes to the transport; closes once they are all sent
    /// and a close is wanted, or once the replay is over and the peer has
    /// closed (nothing more can come).
    fn flush(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if !self.out.is_open() {
            return;
        }
        if !self.out.write_queued(now, tracer, |_| {}) {
            return;
        }
        let over = self.verdict != Verdict::Running;
        if self.out.close_wanted || (self.peer_closed && over) {
            self.out.close_once(now, tracer);
        }
    }

    fn read(&mut self) {
        if let Some(transport) = self.out.transport.as_deref_mut() {
            transport.read(&mut self.pending);
        }
    }
}

impl ConnectionEnd for ReplayEnd {
    fn attach(&mut self, transport: Box<dyn Transport>) {
        self.out.transport = Some(transport);
    }

    fn handle_transport(&mut self, now: Instant, event: TransportEvent, tracer: &mut dyn Tracer) {
        match event {
            TransportEvent::Connected | TransportEvent::Writable => {}
            TransportEvent::Readable => self.read(),
            TransportEvent::PeerClosed => {
                self.read();
                self.peer_closed = true;
            }
        }
        self.advance(now, tracer);
        self.flush(now, tracer);
    }

    /// The timeline's `Send` on a replayed end writes the bytes as they
    /// are, between the replayed ones.
    fn send(&mut self, now: Instant, data: &Data, tracer: &mut dyn Tracer) {
        self.out.outbox.push(Chunk::of(data));
        self.flush(now, tracer);
    }

    fn close(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.out.close_wanted = true;
        self.flush(now, tracer);
    }

    fn abort(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.out.abort(now, tracer);
    }

    fn report(&self) -> EndReport {
        EndReport {
            closed_at: self.out.closed_at,
            conversation: Some(ConversationReport {
                verdict: self.verdict.clone(),
                step: self.next,
            }),
            ..EndReport::default()
        }
    }
}
