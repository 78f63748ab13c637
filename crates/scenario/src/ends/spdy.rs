//! SPDY over TLS: the application a [`TlsEnd`](super::tls::TlsEnd) runs
//! when the scenario gives a connection end a `SpdyClient` or `SpdyServer`.

use tlsim_sim::{Event, Instant, Kind, Layer, Tracer};
use tlsim_spdy::{SpdyClient, SpdyServer, WireFrame};
use tlsim_tls::conn::EventContext;

use super::tls::App;

/// A SPDY session, either side.
pub(crate) struct Spdy {
    role: Role,
    ctx: EventContext,
}

enum Role {
    /// `closing` once it has sent GOAWAY.
    Client {
        client: Box<SpdyClient>,
        closing: bool,
    },
    Server(Box<SpdyServer>),
}

impl Spdy {
    pub(crate) fn client(client: SpdyClient, ctx: EventContext) -> Self {
        Spdy {
            role: Role::Client {
                client: Box::new(client),
                closing: false,
            },
            ctx,
        }
    }

    pub(crate) fn server(server: SpdyServer, ctx: EventContext) -> Self {
        Spdy {
            role: Role::Server(Box::new(server)),
            ctx,
        }
    }

    fn log_frame(&self, now: Instant, kind: Kind, frame: &WireFrame, tracer: &mut dyn Tracer) {
        if !tracer.enabled() {
            return;
        }
        let mut event = Event::new(
            now,
            self.ctx.actor.clone(),
            kind,
            Layer::Spdy,
            frame.title(),
        )
        .peer(self.ctx.peer.clone())
        .bytes(frame.bytes.clone())
        .explain(frame.explain());
        event.conn = self.ctx.conn;
        event.fields = frame.fields(0);
        tracer.record(event);
    }

    fn log_error(&self, now: Instant, what: String, tracer: &mut dyn Tracer) {
        if tracer.enabled() {
            let mut event = Event::new(now, self.ctx.actor.clone(), Kind::Drop, Layer::Spdy, what);
            event.conn = self.ctx.conn;
            tracer.record(event);
        }
    }
}

impl App for Spdy {
    fn start(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if let Role::Client { client, .. } = &mut self.role {
            // The request, then a PING to measure the round trip, as
            // browsers did on a new SPDY session.
            if let Err(e) = client.open().and_then(|()| client.ping().map(drop)) {
                self.log_error(now, format!("SPDY client cannot start: {e}"), tracer);
            }
        }
    }

    fn receive(&mut self, now: Instant, data: &[u8], tracer: &mut dyn Tracer) {
        match &mut self.role {
            Role::Client { client, .. } => client.handle_bytes(data),
            Role::Server(server) => server.handle_bytes(data),
        }
        loop {
            let frame = match &mut self.role {
                Role::Client { client, .. } => client.poll_recv(),
                Role::Server(server) => server.poll_recv(),
            };
            match frame {
                Ok(Some(frame)) => self.log_frame(now, Kind::Recv, &frame, tracer),
                Ok(None) => break,
                Err(e) => {
                    self.log_error(now, format!("SPDY error: {e}"), tracer);
                    break;
                }
            }
        }
        // A complete response ends the client's session: GOAWAY, then close.
        if let Role::Client { client, closing } = &mut self.role {
            if client.response().complete && !*closing {
                *closing = true;
                let _ = client.close();
            }
        }
    }

    fn poll_transmit(&mut self, now: Instant, tracer: &mut dyn Tracer) -> Option<Vec<u8>> {
        let frame = match &mut self.role {
            Role::Client { client, .. } => client.poll_transmit(),
            Role::Server(server) => server.poll_transmit(),
        }?;
        self.log_frame(now, Kind::Send, &frame, tracer);
        Some(frame.bytes)
    }

    fn finished(&self) -> bool {
        matches!(self.role, Role::Client { closing: true, .. })
    }
}
