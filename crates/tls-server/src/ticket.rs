//! The server's session tickets (RFC 5077): sealing the session into a
//! NewSessionTicket, and opening a presented ticket to resume from it.
//!
//! Read first: RFC 5077 §3.1–§3.4 (the handshakes and session IDs), §4
//! (the ticket's construction, in `tlsim_tls::conn::ticket`).
//!
//! Whenever the client sends the SessionTicket extension the server issues
//! a fresh ticket, on a resumption too (§3.1, Figure 2 "a new session
//! ticket"). A presented ticket that does not open, has expired or does not
//! fit the hello is ignored and the handshake goes on without it (§3.4);
//! no alert.

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::{Codec, hex};
use tlsim_tls::conn::ticket::{SealedTicket, TicketError, TicketState};
use tlsim_tls::conn::{Core, SessionKeys, StoredSession};
use tlsim_tls::msgs::{ClientHello, HandshakeMessage, NewSessionTicket};

use crate::config::{ServerConfig, TicketPolicy};

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Calendar time now, in Unix seconds.
fn now_unix(policy: &TicketPolicy, now: Instant) -> u64 {
    policy.now_unix + now.as_nanos() / NANOS_PER_SECOND
}

/// Opens the ticket the client presented and logs what it holds. Returns
/// the session to resume when the ticket is the server's, unexpired, and
/// `fits` the hello; its session ID is the client's, which the Server
/// Hello echoes (RFC 5077 §3.4).
pub(crate) fn open_presented(
    policy: &TicketPolicy,
    hello: &ClientHello,
    ticket: &[u8],
    fits: &dyn Fn(&StoredSession) -> bool,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Option<StoredSession> {
    let now_unix = now_unix(policy, now);
    let sealed = SealedTicket::parse(ticket);
    let decrypted = sealed
        .as_ref()
        .map_err(|e| *e)
        .and_then(|sealed| policy.key.open(sealed));
    let age = |state: &TicketState| now_unix.saturating_sub(u64::from(state.timestamp));
    let opened = decrypted.clone().and_then(|state| {
        if age(&state) > u64::from(policy.lifetime) {
            return Err(TicketError::Expired);
        }
        Ok(state)
    });
    let stored = opened.as_ref().ok().map(|state| StoredSession {
        session_id: hello.session_id.as_bytes().to_vec(),
        master_secret: state.master_secret,
        suite: state.suite,
        version: state.version,
        extended_master_secret: state.extended_master_secret,
        ticket: None,
    });
    let usable = stored.filter(|s| fits(s));
    core.ctx
        .action(now, tracer, "Decrypt the Session Ticket", |mut e| {
            match &sealed {
                Ok(sealed) => {
                    e = e
                        .field("Key Name", hex(&sealed.key_name))
                        .field("IV", hex(&sealed.iv))
                        .field("Encrypted State", hex(&sealed.encrypted_state))
                        .field("MAC", hex(&sealed.mac));
                }
                Err(_) => e = e.field("Session Ticket", hex(ticket)),
            }
            if let Ok(state) = &decrypted {
                e = state_fields(e, state).field("Age", format!("{} s", age(state)));
            }
            e = e.field("Lifetime", format!("{} s", policy.lifetime));
            let result = match (&opened, &usable) {
                (Err(err), _) => format!("{err}: full handshake"),
                (Ok(_), None) => {
                    "valid, but its version, suite or master secret kind does not fit this \
                     hello: full handshake"
                        .to_owned()
                }
                (Ok(_), Some(_)) => "valid: resume the session".to_owned(),
            };
            e.field("Result", result).explain(
                "The server checks that the ticket carries its key name and an intact MAC, \
                 decrypts the session state it sealed, and checks its age; a ticket that \
                 fails any check only costs a full handshake.",
            )
        });
    usable
}

/// Seals the session of `keys` under the policy's key with a random IV and
/// queues the NewSessionTicket (RFC 5077 §3.3), which comes before the
/// server's Change Cipher Spec.
pub(crate) fn queue_new_ticket(
    config: &ServerConfig,
    keys: &SessionKeys,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) {
    let Some(policy) = &config.tickets else {
        return;
    };
    let mut iv = [0u8; 16];
    core.rng.fill(&mut iv);
    let state = TicketState {
        version: keys.version,
        suite: keys.suite.suite(),
        master_secret: keys.master_secret,
        extended_master_secret: keys.extended_master_secret,
        // RFC 5077 §4's timestamp is 32 bits: good until 2106.
        timestamp: u32::try_from(now_unix(policy, now)).unwrap_or(u32::MAX),
    };
    let sealed = policy.key.seal(&state, iv);
    core.ctx.action(now, tracer, "Issue a Session Ticket", |e| {
        state_fields(e, &state)
            .field("Key Name", hex(&sealed.key_name))
            .field("IV", hex(&sealed.iv))
            .field("Encrypted State", hex(&sealed.encrypted_state))
            .field("MAC", hex(&sealed.mac))
            .field("Lifetime Hint", format!("{} s", policy.lifetime_hint))
            .explain(
                "The server seals the session (version, suite, master secret, time) \
                     with AES-128-CBC and HMAC-SHA-256 under keys only it knows, and hands \
                     it to the client, which presents it later to resume without the \
                     server keeping any state.",
            )
    });
    core.queue_handshake(&HandshakeMessage::NewSessionTicket(NewSessionTicket {
        lifetime_hint: policy.lifetime_hint,
        ticket: sealed.to_bytes(),
    }));
}

/// The fields of a ticket's `StatePlaintext`, as the server sealed or
/// opened them.
fn state_fields(e: tlsim_sim::Event, state: &TicketState) -> tlsim_sim::Event {
    e.field("Protocol Version", state.version)
        .field("Cipher Suite", state.suite)
        .field("Master Secret", hex(&state.master_secret))
        .field("Extended Master Secret", state.extended_master_secret)
        .field(
            "Timestamp",
            tlsim_sim::calendar::format_utc(u64::from(state.timestamp)),
        )
}
