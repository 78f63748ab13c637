//! A plain TCP application: it writes what the timeline gives it, reads
//! and counts what arrives, and closes when told to or when its peer does.

use tlsim_sim::{Instant, Tracer};

use super::{Chunk, ConnectionEnd, EndReport, Outbound, Transport, TransportEvent};
use crate::digest::StreamDigest;
use crate::schema::Data;

pub(crate) struct PlainEnd {
    out: Outbound,
    sent: StreamDigest,
    received: StreamDigest,
    /// Digest the bytes, or only count them (benchmarks).
    verify_data: bool,
    scratch: Vec<u8>,
}

impl PlainEnd {
    pub(crate) fn new(verify_data: bool) -> Self {
        PlainEnd {
            out: Outbound::default(),
            sent: StreamDigest::default(),
            received: StreamDigest::default(),
            verify_data,
            scratch: Vec::new(),
        }
    }

    /// Hands queued bytes to the transport until its send buffer is full,
    /// then closes it if a close is wanted and nothing is left.
    fn flush(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        let (sent, verify) = (&mut self.sent, self.verify_data);
        let all_sent = self.out.write_queued(now, tracer, |bytes| {
            if verify {
                sent.update(bytes);
            } else {
                sent.skip(bytes.len() as u64);
            }
        });
        if all_sent && self.out.close_wanted {
            self.out.close_once(now, tracer);
        }
    }

    fn read(&mut self) {
        let Some(transport) = self.out.transport.as_deref_mut() else {
            return;
        };
        if self.verify_data {
            self.scratch.clear();
            transport.read(&mut self.scratch);
            self.received.update(&self.scratch);
        } else {
            self.received.skip(transport.discard() as u64);
        }
    }
}

impl ConnectionEnd for PlainEnd {
    fn attach(&mut self, transport: Box<dyn Transport>) {
        self.out.transport = Some(transport);
    }

    fn handle_transport(&mut self, now: Instant, event: TransportEvent, tracer: &mut dyn Tracer) {
        match event {
            TransportEvent::Connected | TransportEvent::Writable => {}
            TransportEvent::Readable => return self.read(),
            TransportEvent::PeerClosed => {
                // Like most servers on reading end-of-file: close too once
                // everything queued has been sent.
                self.read();
                self.out.close_wanted = true;
            }
        }
        self.flush(now, tracer);
    }

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
            sent: self.sent,
            received: self.received,
            closed_at: self.out.closed_at,
            ..EndReport::default()
        }
    }
}
