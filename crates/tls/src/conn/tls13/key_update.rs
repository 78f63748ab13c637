//! RFC 8446 §4.6.3 KeyUpdate: after the handshake either side may roll
//! its write keys forward, and ask the peer to do the same with its own.
//!
//! Read first: RFC 8446 §4.6.3 (the message and when to answer it), §7.2
//! (`application_traffic_secret_N+1`), §5.1 (a KeyUpdate ends its record).
//!
//! Each update is logged as it happens: the next secret with its label and
//! the one it comes from, then the new key and IV. The NSS key log gets a
//! `CLIENT_TRAFFIC_SECRET_N` / `SERVER_TRAFFIC_SECRET_N` line per secret.

use tlsim_sim::{Instant, Tracer};

use super::{Direction, Tls13Secrets};
use crate::codec::hex;
use crate::conn::core::Core;
use crate::crypto::cipher::Side;
use crate::crypto::key_schedule::next_traffic_secret;
use crate::enums::KeyUpdateRequest;
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::tls13::{KeyUpdate, Tls13Message};

/// The application traffic secrets of a connected TLS 1.3 side, and how
/// many times each direction has been updated.
pub(crate) struct ApplicationTraffic {
    secrets: Tls13Secrets,
    side: Side,
    /// `N` of this side's current `application_traffic_secret_N`.
    write_generation: u64,
    /// `N` of the peer's.
    read_generation: u64,
}

impl ApplicationTraffic {
    /// The secrets of a handshake that completed on `side`, at generation 0.
    fn new(secrets: Tls13Secrets, side: Side) -> Self {
        ApplicationTraffic {
            secrets,
            side,
            write_generation: 0,
            read_generation: 0,
        }
    }

    /// The side whose secret moves when `direction` is updated here.
    fn owner(&self, direction: Direction) -> Side {
        match (direction, self.side) {
            (Direction::Write, side) => side,
            (Direction::Read, Side::Client) => Side::Server,
            (Direction::Read, Side::Server) => Side::Client,
        }
    }
}

impl Core {
    /// Keeps the application traffic secrets of a completed TLS 1.3
    /// handshake, so that KeyUpdate can derive the next ones.
    pub fn tls13_keep_application_secrets(&mut self, secrets: Tls13Secrets, side: Side) {
        self.tls13_traffic = Some(Box::new(ApplicationTraffic::new(secrets, side)));
    }

    /// Sends a KeyUpdate and moves this side's writing to the next
    /// application traffic secret (RFC 8446 §4.6.3); with
    /// `request_update`, the peer must answer with a KeyUpdate of its own.
    /// Returns whether it was sent: only a TLS 1.3 connection whose
    /// handshake completed, which has neither failed nor closed, can.
    pub fn tls13_send_key_update(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        request_update: bool,
    ) -> bool {
        if self.tls13_traffic.is_none() || !self.is_ready_for_application_data() {
            return false;
        }
        let request_update = if request_update {
            KeyUpdateRequest::UpdateRequested
        } else {
            KeyUpdateRequest::UpdateNotRequested
        };
        match self.tls13_update_write_keys(now, tracer, request_update) {
            Ok(()) => true,
            Err(error) => {
                self.fail(now, tracer, error);
                false
            }
        }
    }

    /// Handles a KeyUpdate received once connected: the read side moves to
    /// the peer's next secret, and an `update_requested` is answered at
    /// once with `update_not_requested`, before any more application data.
    ///
    /// # Errors
    /// illegal_parameter for a request_update other than 0 or 1 (RFC 8446
    /// §4.6.3); unexpected_message if the KeyUpdate does not end its
    /// record (§5.1) or on a connection that is not TLS 1.3.
    pub fn tls13_receive_key_update(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        update: KeyUpdate,
    ) -> Result<(), Error> {
        // RFC 8446 §4.6.3: "If an implementation receives any other value,
        // it MUST terminate the connection with an "illegal_parameter"
        // alert."
        let answer = match update.request_update {
            KeyUpdateRequest::UpdateRequested => true,
            KeyUpdateRequest::UpdateNotRequested => false,
            KeyUpdateRequest::Unknown(_) => {
                return Err(PeerMisbehaved::IllegalParameter("request_update").into());
            }
        };
        let mut traffic =
            self.tls13_traffic
                .take()
                .ok_or(Error::InappropriateHandshakeMessage {
                    expected: &[],
                    got: crate::enums::HandshakeType::KeyUpdate,
                })?;
        let result = self.tls13_roll(now, tracer, &mut traffic, Direction::Read);
        self.tls13_traffic = Some(traffic);
        result?;
        // RFC 8446 §4.6.3: the receiver "MUST send a KeyUpdate of its own
        // with request_update set to "update_not_requested" prior to
        // sending its next Application Data record"; a side that has sent
        // close_notify sends nothing more.
        if answer && !self.is_done_writing() {
            self.tls13_update_write_keys(now, tracer, KeyUpdateRequest::UpdateNotRequested)?;
        }
        Ok(())
    }

    /// Queues a KeyUpdate under the current write keys, switches to the
    /// next ones and sends it.
    fn tls13_update_write_keys(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        request_update: KeyUpdateRequest,
    ) -> Result<(), Error> {
        let mut traffic =
            self.tls13_traffic
                .take()
                .ok_or(Error::Crypto(crate::error::CryptoError::Internal(
                    "no application secrets to update",
                )))?;
        self.queue_tls13(&Tls13Message::KeyUpdate(KeyUpdate { request_update }));
        let result = self.tls13_roll(now, tracer, &mut traffic, Direction::Write);
        self.tls13_traffic = Some(traffic);
        result?;
        self.flush(now, tracer);
        Ok(())
    }

    /// RFC 8446 §7.2: one direction's `application_traffic_secret_N+1`,
    /// logged and key-logged, and the record protection switched to it.
    fn tls13_roll(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        traffic: &mut ApplicationTraffic,
        direction: Direction,
    ) -> Result<(), Error> {
        let owner = traffic.owner(direction);
        let generation = match direction {
            Direction::Write => &mut traffic.write_generation,
            Direction::Read => &mut traffic.read_generation,
        };
        let secrets = &mut traffic.secrets;
        let traffic_secret =
            self.tls13_next_application_secret(now, tracer, secrets, owner, *generation);
        *generation += 1;
        let title = match owner {
            Side::Client => "Updated client application traffic keys",
            Side::Server => "Updated server application traffic keys",
        };
        self.tls13_switch_keys(now, tracer, secrets, &traffic_secret, direction, title)
    }

    /// RFC 8446 §7.2: `application_traffic_secret_N+1` of `owner` from
    /// its `generation` N, logged and key-logged; it replaces the current
    /// one in `secrets` and is returned.
    pub fn tls13_next_application_secret(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        secrets: &mut Tls13Secrets,
        owner: Side,
        generation: u64,
    ) -> Vec<u8> {
        let (current, prefix, key_log_prefix) = match owner {
            Side::Client => (&mut secrets.client_application, "client", "CLIENT"),
            Side::Server => (&mut secrets.server_application, "server", "SERVER"),
        };
        let next = next_traffic_secret(secrets.suite.hash, current);
        let n = generation;
        self.ctx.action(now, tracer, "Next traffic secret", |e| {
            e.field(
                "Secret",
                format!("{prefix}_application_traffic_secret_{}", n + 1),
            )
            .field("From", format!("{prefix}_application_traffic_secret_{n}"))
            .field("Label", "tls13 traffic upd")
            .field("Previous Value", hex(current))
            .field("Value", hex(&next))
            .explain(
                "KeyUpdate (RFC 8446 §7.2): the next secret is HKDF-Expand-Label of the \
                 current one with the label \"traffic upd\"; new keys and IV follow, and the \
                 old secret is forgotten.",
            )
        });
        self.push_keylog(|| {
            format!(
                "{key_log_prefix}_TRAFFIC_SECRET_{} {} {}",
                n + 1,
                hex(&secrets.client_random),
                hex(&next)
            )
        });
        *current = next.clone();
        next
    }
}
