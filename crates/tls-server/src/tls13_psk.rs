//! The server's side of TLS 1.3 resumption and 0-RTT: judging a ticket
//! offered in pre_shared_key, checking its binder, choosing the key
//! exchange mode and whether to take early data; and issuing tickets after
//! the client's Finished.
//!
//! Read first: RFC 8446 §4.2.9 (psk_key_exchange_modes), §4.2.10 (early
//! data: accepting, rejecting, skipping), §4.2.11 (pre_shared_key, binders,
//! ticket age), §4.6.1 (NewSessionTicket), §8.3 (the freshness check).
//!
//! Only the first identity offered is considered: tlsim's client offers
//! one ticket, and RFC 8446 §4.2.11 lets the server pick any.

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::hex;
use tlsim_tls::conn::{Core, Tls13Secrets, check_verify_data};
use tlsim_tls::crypto::key_schedule::{KeySchedule, Tls13CipherSuite};
use tlsim_tls::crypto::ticket::{TICKET_NONCE_LEN, TicketContents};
use tlsim_tls::enums::{ExtensionType, PskKeyExchangeMode};
use tlsim_tls::error::{Error, PeerMisbehaved};
use tlsim_tls::msgs::psk::{
    EarlyDataOffer, MaxEarlyDataSize, offered_psks, truncated_client_hello,
};
use tlsim_tls::msgs::tls13::{
    NewSessionTicket13, PskKeyExchangeModes, Tls13Extension, Tls13Message,
};
use tlsim_tls::msgs::{ClientHello, ServerExtension};

use crate::config::{ServerConfig, Tls13TicketConfig};

/// RFC 8446 §8.3: how far the client's view of the ticket age may be from
/// the server's for 0-RTT to be accepted ("a small tolerance").
const EARLY_DATA_AGE_WINDOW_MS: u64 = 10_000;

/// A PSK the server accepted: the schedule it starts, the key exchange
/// mode, and what becomes of the client's early data.
pub(crate) struct AcceptedPsk {
    /// The Early Secret of the ticket's PSK.
    pub(crate) early: KeySchedule,
    /// psk_dhe_ke (true) or psk_ke (false).
    pub(crate) with_dhe: bool,
    /// `client_early_traffic_secret`, when 0-RTT is accepted.
    pub(crate) early_traffic: Option<Vec<u8>>,
}

/// What the Client Hello's early_data leads to.
#[derive(Clone, Copy)]
pub(crate) enum EarlyDataAnswer {
    /// Not offered.
    NotOffered,
    /// Accepted: up to this many bytes before EndOfEarlyData.
    Accepted(u32),
    /// Rejected: undecryptable records of up to this many bytes skipped.
    Rejected(u32),
}

/// RFC 8446 §4.2.11: the ticket of the Client Hello's pre_shared_key, if
/// the server takes it, its binder checked; `None` for a full handshake
/// (no offer, no tickets, a ticket that does not open, is too old, or is
/// of another hash, or modes that do not fit).
///
/// `has_share`: the client sent a usable key share (psk_dhe_ke needs it).
/// `retried`: a HelloRetryRequest came first (no 0-RTT then, §4.2.10).
///
/// # Errors
/// illegal_parameter if pre_shared_key is not last; missing_extension
/// without psk_key_exchange_modes (§4.2.9); decrypt_error for a binder
/// that does not verify (§4.2.11); the codec's error for a malformed body.
#[allow(
    clippy::too_many_arguments,
    reason = "the Client Hello's context, passed down from the handshake"
)]
pub(crate) fn accept_psk(
    config: &ServerConfig,
    hello: &ClientHello,
    suite: &'static Tls13CipherSuite,
    has_share: bool,
    retried: bool,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<(Option<AcceptedPsk>, EarlyDataAnswer), Error> {
    let early_offered = EarlyDataOffer::find_in_client_hello(hello)
        .transpose()?
        .is_some();
    let Some(tickets) = &config.tls13_tickets else {
        return Ok((None, reject_early_data(early_offered, config)));
    };
    let Some(offered) = offered_psks(hello)? else {
        return Ok((None, reject_early_data(early_offered, config)));
    };
    // RFC 8446 §4.2.9: "If clients offer "pre_shared_key" without a
    // "psk_key_exchange_modes" extension, servers MUST abort the
    // handshake."
    let modes = PskKeyExchangeModes::find_in_client_hello(hello)
        .ok_or(PeerMisbehaved::MissingExtension(
            ExtensionType::PskKeyExchangeModes,
        ))??
        .0;
    let identity = &offered.identities[0];
    let now_ms = now.as_nanos() / 1_000_000;
    let judged = match crate::tls13_pins::open_ticket(tickets, &identity.identity) {
        None => Err("the ticket does not decrypt under this server's key"),
        Some(t) if now_ms.saturating_sub(t.issued_ms) > u64::from(t.lifetime) * 1000 => {
            Err("the ticket is older than its lifetime")
        }
        Some(t) if Tls13CipherSuite::find(t.suite).map(|s| s.hash) != Some(suite.hash) => {
            Err("the ticket's suite has another hash than the suite chosen")
        }
        Some(t) => match (
            has_share && modes.contains(&PskKeyExchangeMode::PskDheKe),
            modes.contains(&PskKeyExchangeMode::PskKe),
        ) {
            (true, _) => Ok((t, true)),
            (false, true) => Ok((t, false)),
            (false, false) => Err("psk_dhe_ke offered without a usable key share"),
        },
    };
    let (contents, with_dhe) = match judged {
        Ok(found) => found,
        Err(reason) => {
            core.ctx.action(now, tracer, "Refuse the ticket", |e| {
                e.field("Reason", reason).explain(
                    "The server cannot or will not resume from this ticket: the handshake \
                     goes on as a full one, with a certificate.",
                )
            });
            return Ok((None, reject_early_data(early_offered, config)));
        }
    };
    let client_random = hello.random.0;
    let early = core.tls13_early_secret(now, tracer, suite.hash, Some(&contents.psk));
    let partial = truncated_client_hello(core.transcript.all(), &offered)?.to_vec();
    let binder = core.tls13_binder(
        now,
        tracer,
        &early,
        &client_random,
        &partial,
        "Verify the PSK binder",
    );
    // RFC 8446 §4.2.11: "If this value does not validate, the server MUST
    // abort the handshake"; §6.2: decrypt_error covers a PSK binder.
    check_verify_data(&binder, &offered.binders[0].0)?;
    let server_age = now_ms.saturating_sub(contents.issued_ms);
    let client_age = identity
        .obfuscated_ticket_age
        .wrapping_sub(contents.age_add);
    let early_answer = match early_offered {
        false => EarlyDataAnswer::NotOffered,
        // RFC 8446 §4.2.10: 0-RTT only with the first identity, the
        // ticket's own suite, no HelloRetryRequest, and a fresh ticket
        // (§8.3).
        true if contents.max_early_data_size > 0
            && tickets.max_early_data_size > 0
            && contents.suite == suite.suite
            && !retried
            && server_age.abs_diff(u64::from(client_age)) <= EARLY_DATA_AGE_WINDOW_MS =>
        {
            EarlyDataAnswer::Accepted(tickets.max_early_data_size)
        }
        true => EarlyDataAnswer::Rejected(tickets.max_early_data_size),
    };
    let early_traffic = match early_answer {
        EarlyDataAnswer::Accepted(_) => {
            Some(core.tls13_early_traffic(now, tracer, &early, &client_random))
        }
        _ => None,
    };
    core.ctx.action(now, tracer, "Resume with a ticket", |e| {
        e.field("Ticket Age (server)", format!("{server_age} ms"))
            .field("Ticket Age (client)", format!("{client_age} ms"))
            .field(
                "Key Exchange Mode",
                match with_dhe {
                    true => PskKeyExchangeMode::PskDheKe,
                    false => PskKeyExchangeMode::PskKe,
                },
            )
            .field(
                "Early Data",
                match early_answer {
                    EarlyDataAnswer::NotOffered => "not offered",
                    EarlyDataAnswer::Accepted(_) => "accepted",
                    EarlyDataAnswer::Rejected(_) => "rejected",
                },
            )
            .explain(
                "The binder verified: the client holds the ticket's PSK. The server resumes \
                 without a certificate; with psk_dhe_ke a fresh ECDHE still gives forward \
                 secrecy.",
            )
    });
    Ok((
        Some(AcceptedPsk {
            early,
            with_dhe,
            early_traffic,
        }),
        early_answer,
    ))
}

/// RFC 8446 §4.2.10: early data offered in a full handshake is rejected.
fn reject_early_data(offered: bool, config: &ServerConfig) -> EarlyDataAnswer {
    match (offered, &config.tls13_tickets) {
        (true, Some(t)) => EarlyDataAnswer::Rejected(t.max_early_data_size),
        (true, None) => EarlyDataAnswer::Rejected(0),
        (false, _) => EarlyDataAnswer::NotOffered,
    }
}

/// RFC 8446 §4.6.1: after the client's Finished, the resumption master
/// secret, then `tickets.count` NewSessionTickets, each with its own nonce,
/// age_add and PSK, sealed under the ticket key.
pub(crate) fn send_tickets(
    tickets: &Tls13TicketConfig,
    secrets: &Tls13Secrets,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) {
    let transcript_hash = secrets.suite.hash.hash(core.transcript.all());
    let resumption_master = core.tls13_resumption_master(now, tracer, secrets, &transcript_hash);
    for index in 0..tickets.count {
        let pinned = crate::tls13_pins::next_ticket(tickets);
        let nonce = match &pinned {
            Some(pinned) => pinned.nonce.clone(),
            None => vec![index],
        };
        let psk =
            core.tls13_ticket_psk(now, tracer, secrets.suite.hash, &resumption_master, &nonce);
        let age_add = match &pinned {
            Some(pinned) => pinned.age_add,
            None => core.rng.u32(),
        };
        let contents = TicketContents {
            suite: secrets.suite.suite,
            psk,
            issued_ms: now.as_nanos() / 1_000_000,
            lifetime: tickets.lifetime,
            age_add,
            max_early_data_size: tickets.max_early_data_size,
        };
        let mut extensions = match tickets.max_early_data_size {
            0 => Vec::new(),
            size => vec![MaxEarlyDataSize(size).to_server_extension()],
        };
        let ticket = match pinned {
            Some(pinned) => {
                crate::tls13_pins::remember(tickets, &pinned.ticket, contents);
                extensions.extend(
                    (pinned.opaque_extensions.into_iter())
                        .map(|(typ, data)| ServerExtension::Unknown { typ, data }),
                );
                pinned.ticket
            }
            None => {
                let mut seal_nonce = [0u8; TICKET_NONCE_LEN];
                core.rng.fill(&mut seal_nonce);
                tickets.key.seal(&contents, seal_nonce)
            }
        };
        core.ctx.action(now, tracer, "Issue a session ticket", |e| {
            e.field("Ticket Lifetime", format!("{} s", tickets.lifetime))
                .field("Ticket Age Add", age_add)
                .field("Ticket Nonce", hex(&nonce))
                .field("Max Early Data Size", tickets.max_early_data_size)
                .field("Ticket", hex(&ticket))
                .explain(
                    "The server seals what it needs to resume (suite, PSK, issue time) under \
                     a key only it holds; the client keeps the ticket and offers it next time.",
                )
        });
        core.queue_tls13(&Tls13Message::NewSessionTicket(NewSessionTicket13 {
            lifetime: tickets.lifetime,
            age_add,
            nonce,
            ticket,
            extensions,
        }));
    }
    core.flush(now, tracer);
}
