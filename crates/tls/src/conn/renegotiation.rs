//! Secure renegotiation (RFC 5746): what a connection remembers of its
//! last handshake to bind the next one to it, and the record layer's part
//! in a second handshake on an established TLS 1.2 connection.
//!
//! A renegotiation is a full handshake whose records go under the keys in
//! force until each side's own ChangeCipherSpec (RFC 5246 §7.4.1.1); the
//! transcript starts afresh with its Client Hello, and application data
//! keeps flowing meanwhile. Its hellos carry the last Finished messages'
//! verify_data in renegotiation_info (RFC 5746 §3.5–3.7), so that an
//! attacker cannot splice a handshake of its own in front of the client's.

use tlsim_sim::{Instant, Kind, Tracer};

use super::Core;
use crate::codec::hex;
use crate::crypto::prf::{FinishedSender, VERIFY_DATA_LEN};
use crate::enums::ProtocolVersion;
use crate::error::{Error, PeerMisbehaved};

/// Whether an end takes part in a renegotiation its peer asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RenegotiationPolicy {
    /// A server answers a Client Hello after the handshake with a warning
    /// no_renegotiation (RFC 5246 §7.2.2); a client answers a Hello
    /// Request the same way (§7.4.1.1). The connection goes on.
    #[default]
    Refuse,
    /// Run the new handshake, if the peer signalled secure renegotiation
    /// (RFC 5746 §4.2, §4.4: never a legacy one).
    Accept,
}

/// RFC 5746 §3.1: the state each end keeps for secure renegotiation.
#[derive(Clone, Debug, Default)]
pub struct SecureRenegotiation {
    /// The peer signalled RFC 5746 in the last handshake's hellos.
    pub secure: bool,
    /// The verify_data of the last client Finished.
    client_verify_data: Option<[u8; VERIFY_DATA_LEN]>,
    /// The verify_data of the last server Finished.
    server_verify_data: Option<[u8; VERIFY_DATA_LEN]>,
    /// A renegotiation handshake is running.
    in_progress: bool,
}

impl SecureRenegotiation {
    /// Remembers the verify_data of a Finished sent or checked.
    pub(super) fn record(&mut self, sender: FinishedSender, verify_data: [u8; VERIFY_DATA_LEN]) {
        match sender {
            FinishedSender::Client => self.client_verify_data = Some(verify_data),
            FinishedSender::Server => self.server_verify_data = Some(verify_data),
        }
    }

    /// Whether a renegotiation handshake is running.
    pub fn in_progress(&self) -> bool {
        self.in_progress
    }

    /// RFC 5746 §3.5, §3.6: the client's renegotiated_connection: empty on
    /// an initial handshake, the last client verify_data on a renegotiation.
    pub fn client_info(&self) -> Vec<u8> {
        match (self.in_progress, self.client_verify_data) {
            (true, Some(client)) => client.to_vec(),
            _ => Vec::new(),
        }
    }

    /// RFC 5746 §3.6, §3.5: the server's renegotiated_connection: empty on
    /// an initial handshake, client_verify_data + server_verify_data on a
    /// renegotiation.
    pub fn server_info(&self) -> Vec<u8> {
        let mut info = self.client_info();
        if let (true, Some(server)) = (self.in_progress, self.server_verify_data) {
            info.extend_from_slice(&server);
        }
        info
    }

    /// Checks a renegotiated_connection the peer sent against `expected`
    /// (RFC 5746 §3.4, §3.5, §3.6, §3.7); `None`: the hello carried no
    /// renegotiation_info. On an initial handshake a missing extension is
    /// allowed (the peer is then not secure); on a renegotiation it is not.
    ///
    /// # Errors
    /// handshake_failure on a mismatch, or a missing extension during a
    /// renegotiation.
    pub fn check(&self, received: Option<&[u8]>, expected: &[u8]) -> Result<bool, Error> {
        match received {
            Some(info) if info == expected => Ok(true),
            None if !self.in_progress => Ok(false),
            _ => Err(PeerMisbehaved::RenegotiationInfoMismatch.into()),
        }
    }
}

impl Core {
    /// Whether this connection may start a renegotiation now: a TLS 1.0–1.2
    /// handshake completed with a peer that signalled secure renegotiation,
    /// none runs, and neither side closed or failed.
    pub fn can_renegotiate(&self) -> bool {
        self.is_ready_for_application_data()
            && !self.renegotiation.in_progress
            && self.renegotiation.secure
            && self.version().is_some_and(|v| v < ProtocolVersion::Tls13)
    }

    /// Begins a renegotiation handshake (RFC 5246 §7.4.1.1): the transcript
    /// starts afresh; the keys in force protect its records until each
    /// side's ChangeCipherSpec. `initiator` names who asked for it in the
    /// log.
    pub fn begin_renegotiation(&mut self, now: Instant, tracer: &mut dyn Tracer, initiator: &str) {
        self.renegotiation.in_progress = true;
        self.transcript = super::Transcript::default();
        let verify_data =
            |v: Option<[u8; VERIFY_DATA_LEN]>| v.map_or_else(String::new, |v| hex(&v));
        let (client, server) = (
            verify_data(self.renegotiation.client_verify_data),
            verify_data(self.renegotiation.server_verify_data),
        );
        self.ctx.action(now, tracer, "Begin renegotiation", |e| {
            e.field("Initiator", initiator)
                .field("Client Verify Data", client)
                .field("Server Verify Data", server)
                .explain(
                    "A new full handshake starts inside the established connection \
                     (RFC 5246 §7.4.1.1): its messages travel under the current keys until \
                     each side's Change Cipher Spec. Both hellos carry the last Finished \
                     messages' verify_data in renegotiation_info (RFC 5746 §3), binding the \
                     new handshake to this connection.",
                )
        });
    }

    /// Gives up the renegotiation this end began, which the peer refused
    /// with a warning no_renegotiation: RFC 5246 §7.2.2 leaves the
    /// requester to "decide whether to proceed with the connection". It
    /// goes on under the keys in force, and may renegotiate again later.
    pub(super) fn abandon_renegotiation(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.renegotiation.in_progress = false;
        self.ctx
            .action(now, tracer, "Abandon the renegotiation", |e| {
                e.field("Reason", "the peer answered no_renegotiation")
                    .explain(
                        "The peer declined the new handshake with a warning (RFC 5246 §7.2.2). \
                     The connection goes on with the keys and parameters of the last \
                     handshake, and a later renegotiation may be tried again.",
                    )
            });
    }

    /// Ends a renegotiation whose Finished messages are both verified: the
    /// flight goes out and the new keys are in force in both directions.
    /// The application sees no new handshake event; it goes on.
    pub(super) fn complete_renegotiation(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.flush(now, tracer);
        self.renegotiation.in_progress = false;
        if tracer.enabled() {
            let mut event = self
                .ctx
                .event(now, Kind::State, "TLS renegotiation complete")
                .explain(
                    "The second handshake is complete: both Finished messages verified under \
                     the new master secret, and every record from here on is protected with \
                     the new keys.",
                );
            if let Some(n) = &self.negotiated {
                event = event
                    .field("Version", n.version)
                    .field("Cipher Suite", n.suite)
                    .field("Resumed", n.resumed);
            }
            tracer.record(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after_handshake() -> SecureRenegotiation {
        let mut state = SecureRenegotiation {
            secure: true,
            ..SecureRenegotiation::default()
        };
        state.record(FinishedSender::Client, [1; VERIFY_DATA_LEN]);
        state.record(FinishedSender::Server, [2; VERIFY_DATA_LEN]);
        state
    }

    #[test]
    fn initial_handshake_info_is_empty() {
        let state = after_handshake();
        assert!(state.client_info().is_empty());
        assert!(state.server_info().is_empty());
        assert_eq!(state.check(None, &[]), Ok(false));
        assert_eq!(state.check(Some(&[]), &[]), Ok(true));
    }

    #[test]
    fn renegotiation_info_carries_both_verify_data() {
        let mut state = after_handshake();
        state.in_progress = true;
        assert_eq!(state.client_info(), [1; VERIFY_DATA_LEN]);
        let mut both = vec![1; VERIFY_DATA_LEN];
        both.extend([2; VERIFY_DATA_LEN]);
        assert_eq!(state.server_info(), both);
    }

    #[test]
    fn renegotiation_rejects_a_missing_or_wrong_info_with_handshake_failure() {
        let mut state = after_handshake();
        state.in_progress = true;
        let expected = state.client_info();
        assert_eq!(state.check(Some(&expected), &expected), Ok(true));
        for received in [None, Some(&[][..]), Some(&[9; VERIFY_DATA_LEN][..])] {
            let err = state.check(received, &expected).unwrap_err();
            assert_eq!(
                err.alert(),
                Some(crate::enums::AlertDescription::HandshakeFailure)
            );
        }
    }
}
