//! A conversation end: a scripted TLS peer ([`Script`]) in place of a TLS
//! stack, sending and expecting what its conversation says.
//!
//! The script is sans-IO like the TLS actors: the end feeds it what the
//! transport delivered, queues what it writes, and closes or aborts the
//! transport when a `Close` or `Abort` step asks, once the bytes written
//! before are sent.

use tlsim_sim::{Instant, Tracer};
use tlsim_tls_script::{CloseKind, Script, Verdict};

use super::{Chunk, ConnectionEnd, EndReport, Outbound, Transport, TransportEvent};
use crate::schema::Data;

/// How a conversation stood when it was last asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationReport {
    /// Passed, failed (at which step, expecting what), or still running.
    pub verdict: Verdict,
    /// The step it stands at, from 0: while it runs, the one waiting.
    pub step: usize,
}

pub(crate) struct ScriptEnd {
    /// Bytes the script wrote, and the timeline's `Send`s, not yet taken
    /// by the transport.
    out: Outbound,
    script: Script,
    /// Whether this end writes the key log: the client's, as for TLS ends,
    /// so that each session appears once.
    keeps_keylog: bool,
    /// The peer closed its side.
    peer_closed: bool,
    keylog: Vec<String>,
    scratch: Vec<u8>,
}

impl ScriptEnd {
    pub(crate) fn new(script: Script, keeps_keylog: bool) -> Self {
        ScriptEnd {
            out: Outbound::default(),
            script,
            keeps_keylog,
            peer_closed: false,
            keylog: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Queues what the script wrote, hands the queue to the transport, and
    /// closes or aborts it as the script (or the timeline) asks.
    fn flush(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        let lines = self.script.keylog_lines();
        if self.keeps_keylog {
            self.keylog.extend(lines);
        }
        self.scratch.clear();
        if self.script.write_tls(&mut self.scratch) > 0 {
            (self.out.outbox).push(Chunk::Bytes(std::mem::take(&mut self.scratch), 0));
        }
        if !self.out.is_open() {
            return;
        }
        if self.script.wants_close() == Some(CloseKind::Abort) {
            return self.out.abort(now, tracer);
        }
        if !self.out.write_queued(now, tracer, |_| {}) {
            // The send buffer is full: wait for `Writable`.
            return;
        }
        // Like the other ends, a finished conversation closes once its peer
        // has: nothing more can be expected.
        let over = *self.script.verdict() != Verdict::Running;
        if self.script.wants_close() == Some(CloseKind::Close)
            || self.out.close_wanted
            || (self.peer_closed && over)
        {
            self.out.close_once(now, tracer);
        }
    }

    fn read(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        let Some(transport) = self.out.transport.as_deref_mut() else {
            return;
        };
        self.scratch.clear();
        if transport.read(&mut self.scratch) > 0 {
            let input = std::mem::take(&mut self.scratch);
            self.script.handle_bytes(now, &input, tracer);
            self.scratch = input;
        }
    }
}

impl ConnectionEnd for ScriptEnd {
    fn attach(&mut self, transport: Box<dyn Transport>) {
        self.out.transport = Some(transport);
    }

    fn handle_transport(&mut self, now: Instant, event: TransportEvent, tracer: &mut dyn Tracer) {
        match event {
            TransportEvent::Connected => self.script.start(now, tracer),
            TransportEvent::Writable => {}
            TransportEvent::Readable => self.read(now, tracer),
            TransportEvent::PeerClosed => {
                self.read(now, tracer);
                self.peer_closed = true;
                self.script.handle_peer_closed(now, tracer);
            }
        }
        self.flush(now, tracer);
    }

    /// The timeline's `Send` on a conversation end writes the bytes as they
    /// are, between whatever the script writes. They are not application
    /// data, so they are not counted as sent.
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

    fn poll_timeout(&self) -> Option<Instant> {
        self.script.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.script.handle_timeout(now, tracer);
        self.flush(now, tracer);
    }

    fn take_keylog(&mut self) -> Vec<String> {
        std::mem::take(&mut self.keylog)
    }

    fn report(&self) -> EndReport {
        EndReport {
            closed_at: self.out.closed_at,
            conversation: Some(ConversationReport {
                verdict: self.script.verdict().clone(),
                step: self.script.current_step(),
            }),
            ..EndReport::default()
        }
    }
}
