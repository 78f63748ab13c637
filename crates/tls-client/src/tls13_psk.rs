//! The client's side of TLS 1.3 resumption and 0-RTT: offering a stored
//! ticket with its binder, sending early data, and keeping the tickets the
//! server issues.
//!
//! Read first: RFC 8446 §4.2.9 (psk_key_exchange_modes), §4.2.10 (early
//! data), §4.2.11 (pre_shared_key, the obfuscated ticket age, binders over
//! the truncated Client Hello), §4.6.1 (NewSessionTicket, the ticket PSK).
//!
//! After a HelloRetryRequest the second Client Hello carries no
//! early_data (RFC 8446 §4.1.2), and offers the ticket again if its hash
//! is the suite's: its age is measured anew and its binder covers the
//! message_hash of the first hello, the HelloRetryRequest and the
//! truncated second hello (§4.2.11.2).

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::{Codec, hex};
use tlsim_tls::conn::{Core, Direction, Tls13Secrets, lock};
use tlsim_tls::crypto::key_schedule::{KeySchedule, Tls13CipherSuite};
use tlsim_tls::enums::{ExtensionType, PskKeyExchangeMode};
use tlsim_tls::error::{Error, PeerMisbehaved};
use tlsim_tls::msgs::psk::{
    EarlyDataOffer, MaxEarlyDataSize, OfferedPsks, PskBinder, PskIdentity, SelectedPsk,
    truncated_client_hello,
};
use tlsim_tls::msgs::tls13::{
    NewSessionTicket13, PskKeyExchangeModes, Tls13Extension, Tls13Message,
};
use tlsim_tls::msgs::{ClientExtension, ClientHello, ServerExtension, ServerHello};

use crate::config::ClientConfig;
use crate::tickets::Tls13Ticket;

/// A ticket offered in the Client Hello.
pub(crate) struct PskOffer {
    ticket: Tls13Ticket,
    suite: &'static Tls13CipherSuite,
    /// The Early Secret of the ticket's PSK, once the binder is computed.
    early: Option<KeySchedule>,
    /// Whether early_data is offered (and 0-RTT data sent).
    early_data: bool,
    /// How many Client Hellos have offered it (two after a
    /// HelloRetryRequest): the index of the next pinned obfuscated age.
    hellos: usize,
}

/// The PSK the server accepted.
pub(crate) struct ResumedPsk {
    /// The Early Secret of the ticket's PSK.
    pub(crate) early: KeySchedule,
    /// Whether the client sent 0-RTT data with it.
    pub(crate) early_data: bool,
}

/// Takes the ticket kept for `config`'s server, if its suite is still
/// offered, and the extensions that offer it besides pre_shared_key:
/// psk_key_exchange_modes and, for a ticket that allows 0-RTT and a
/// client that wants it, early_data.
pub(crate) fn take_ticket(
    config: &ClientConfig,
    now: Instant,
) -> Option<(PskOffer, Vec<ClientExtension>)> {
    let (Some(store), Some(name)) = (&config.tickets, &config.server_name) else {
        return None;
    };
    let ticket = lock(store).take(name, now)?;
    let suite =
        Tls13CipherSuite::find(ticket.suite).filter(|s| config.cipher_suites.contains(&s.suite))?;
    let early_data = config.early_data && ticket.max_early_data_size > 0;
    let mut extensions = vec![PskKeyExchangeModes(config.psk_modes.clone()).to_client_extension()];
    if early_data {
        extensions.push(EarlyDataOffer.to_client_extension());
    }
    Some((
        PskOffer {
            ticket,
            suite,
            early: None,
            early_data,
            hellos: 0,
        },
        extensions,
    ))
}

/// RFC 8446 §4.1.2: the offer a second Client Hello makes again after a
/// HelloRetryRequest that chose `suite`, if the ticket's hash is the
/// suite's ("the client SHOULD NOT offer any pre-shared keys associated
/// with a hash other than that of the selected cipher suite", §4.1.4);
/// without early data.
pub(crate) fn keep_after_retry(
    offer: PskOffer,
    suite: &'static Tls13CipherSuite,
) -> Option<PskOffer> {
    (offer.suite.hash == suite.hash).then_some(PskOffer {
        early: None,
        early_data: false,
        ..offer
    })
}

/// RFC 8446 §4.2.11: appends pre_shared_key, last, to `hello` (padded
/// first as `config` asks), its binder computed over `transcript` and the
/// Client Hello truncated before the binders (§4.2.11.2).
pub(crate) fn bind(
    offer: &mut PskOffer,
    config: &ClientConfig,
    hello: &mut ClientHello,
    transcript: &[u8],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) {
    let hash = offer.suite.hash;
    let early = core.tls13_early_secret(now, tracer, hash, Some(&offer.ticket.psk));
    let pinned_obfuscated = (config.pins.obfuscated_ticket_ages.get(offer.hellos)).copied();
    offer.hellos += 1;
    let age_ms = match (pinned_obfuscated, config.pins.ticket_age) {
        // RFC 8446 §4.2.11.1: the age a pinned obfuscated age stands for.
        (Some(obfuscated), _) => u64::from(obfuscated.wrapping_sub(offer.ticket.age_add)),
        (None, Some(age)) => u64::from(age),
        (None, None) => offer.ticket.age_ms(now),
    };
    let mut offered = OfferedPsks {
        identities: vec![PskIdentity {
            identity: offer.ticket.ticket.clone(),
            obfuscated_ticket_age: offer.ticket.obfuscated_age(age_ms),
        }],
        binders: vec![PskBinder(vec![0; hash.output_len()])],
    };
    core.ctx.action(now, tracer, "Offer a session ticket", |e| {
        e.field("Ticket", hex(&offer.ticket.ticket))
            .field("Ticket Age", format!("{age_ms} ms"))
            .field(
                "Obfuscated Ticket Age",
                offered.identities[0].obfuscated_ticket_age,
            )
            .field("Early Data", offer.early_data)
            .explain(
                "The client offers the ticket as a pre-shared key; its age is masked with \
                 the ticket's age_add so that an observer cannot link connections.",
            )
    });
    hello.extensions.push(offered.to_client_extension());
    crate::tls13::pad(config, hello);
    let encoded = Tls13Message::ClientHello(hello.clone()).to_bytes();
    let partial = truncated_client_hello(&encoded, &offered)
        .expect("a Client Hello just encoded holds its binders");
    let binder = core.tls13_binder(
        now,
        tracer,
        &early,
        &hello.random.0,
        &[transcript, partial].concat(),
        "Compute the PSK binder",
    );
    offered.binders[0] = PskBinder(binder);
    if let Some(last) = hello.extensions.last_mut() {
        *last = offered.to_client_extension();
    }
    offer.early = Some(early);
}

/// RFC 8446 §4.2.10: after the Client Hello, the client early traffic
/// secret, the compatibility change_cipher_spec (Appendix D.4: before the
/// first protected record) and the switch to the early keys; application
/// data then goes out as 0-RTT data. Returns whether it did.
pub(crate) fn start_early_data(
    offer: &PskOffer,
    client_random: &[u8; 32],
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> bool {
    let (true, Some(early)) = (offer.early_data, &offer.early) else {
        return false;
    };
    let early_traffic = core.tls13_early_traffic(now, tracer, early, client_random);
    core.queue_compatibility_change_cipher_spec(tracer.enabled());
    core.tls13_switch_keys_for(
        now,
        tracer,
        offer.suite,
        &early_traffic,
        Direction::Write,
        "Client early traffic keys",
    )
    .expect("a TLS 1.3 suite's keys fit its AEAD");
    core.start_early_data(offer.ticket.max_early_data_size as usize, tracer.enabled());
    core.flush(now, tracer);
    true
}

/// RFC 8446 §4.2.11: what the Server Hello's pre_shared_key says of the
/// offer: `Some` if the server resumed from the ticket.
///
/// # Errors
/// illegal_parameter for an identity not offered or a suite of another
/// hash than the ticket's, or a missing key_share that psk_ke was not
/// offered to excuse (§4.2.11: "Clients MUST verify that the server's
/// selected_identity is within the range supplied by the client, that the
/// server selected a cipher suite indicating a Hash associated with the
/// PSK, and that a server "key_share" extension is present if required by
/// the ClientHello "psk_key_exchange_modes" extension").
pub(crate) fn resumed(
    config: &ClientConfig,
    offer: Option<PskOffer>,
    hello: &ServerHello,
    suite: &'static Tls13CipherSuite,
    has_share: bool,
) -> Result<Option<ResumedPsk>, Error> {
    let selected = SelectedPsk::find_in_server_hello(hello).transpose()?;
    let (selected, offer) = match (selected, offer) {
        (None, _) => return Ok(None),
        (Some(selected), Some(offer)) => (selected, offer),
        (Some(_), None) => {
            return Err(PeerMisbehaved::UnsolicitedExtension(ExtensionType::PreSharedKey).into());
        }
    };
    let Some(early) = offer.early.filter(|_| selected == SelectedPsk(0)) else {
        return Err(PeerMisbehaved::IllegalParameter("selected_identity").into());
    };
    if suite.hash != offer.suite.hash {
        return Err(PeerMisbehaved::IllegalParameter("suite hash of the PSK").into());
    }
    if !has_share && !config.psk_modes.contains(&PskKeyExchangeMode::PskKe) {
        return Err(PeerMisbehaved::MissingExtension(ExtensionType::KeyShare).into());
    }
    Ok(Some(ResumedPsk {
        early,
        early_data: offer.early_data,
    }))
}

/// RFC 8446 §4.2.10: whether EncryptedExtensions' `ext` is the early_data
/// that accepts 0-RTT, and whether that was offered.
pub(crate) fn accepts_early_data(ext: &ServerExtension, offered: bool) -> Option<bool> {
    match ext {
        ServerExtension::Unknown { typ, data }
            if *typ == ExtensionType::EarlyData && data.is_empty() =>
        {
            Some(offered)
        }
        _ => None,
    }
}

/// What a connected client needs to turn tickets into PSKs: the
/// schedule, and the transcript hash through its Finished; the
/// resumption master secret is derived at the first ticket.
pub(crate) struct TicketReceiver {
    secrets: Tls13Secrets,
    transcript_hash: Vec<u8>,
    resumption_master: Option<Vec<u8>>,
}

impl TicketReceiver {
    /// Ready for tickets after the client's Finished.
    pub(crate) fn new(secrets: Tls13Secrets, core: &Core) -> Self {
        let transcript_hash = secrets.suite.hash.hash(core.transcript.all());
        TicketReceiver {
            secrets,
            transcript_hash,
            resumption_master: None,
        }
    }

    /// RFC 8446 §4.6.1: keeps `ticket` with its PSK,
    /// `HKDF-Expand-Label(resumption_master_secret, "resumption",
    /// ticket_nonce, Hash.length)`.
    ///
    /// # Errors
    /// The codec's error for a malformed early_data extension.
    pub(crate) fn receive(
        &mut self,
        config: &ClientConfig,
        ticket: NewSessionTicket13,
        core: &mut Core,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Error> {
        let (Some(store), Some(name)) = (&config.tickets, &config.server_name) else {
            return Ok(());
        };
        let max_early_data_size = ticket
            .extensions
            .iter()
            .find_map(|ext| match ext {
                ServerExtension::Unknown { typ, data } if *typ == ExtensionType::EarlyData => {
                    Some(MaxEarlyDataSize::from_bytes(data))
                }
                _ => None,
            })
            .transpose()?
            .map_or(0, |size| size.0);
        let resumption_master = match &self.resumption_master {
            Some(secret) => secret.clone(),
            None => {
                let secret =
                    core.tls13_resumption_master(now, tracer, &self.secrets, &self.transcript_hash);
                self.resumption_master = Some(secret.clone());
                secret
            }
        };
        let hash = self.secrets.suite.hash;
        let psk = core.tls13_ticket_psk(now, tracer, hash, &resumption_master, &ticket.nonce);
        lock(store).insert(
            name,
            Tls13Ticket {
                ticket: ticket.ticket,
                psk,
                suite: self.secrets.suite.suite,
                age_add: ticket.age_add,
                lifetime: ticket.lifetime,
                received: now,
                max_early_data_size,
            },
        );
        Ok(())
    }
}
