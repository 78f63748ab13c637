//! What a TLS 1.3 server can be told to send as it stands, to reproduce a
//! published trace such as RFC 8448's byte for byte: the order of the
//! Server Hello's and EncryptedExtensions' extensions, extensions it does
//! not build, and the tickets of its NewSessionTickets.
//!
//! Read first: RFC 8446 §4.1.3 (Server Hello), §4.3.1
//! (EncryptedExtensions), §4.6.1 (NewSessionTicket).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tlsim_tls::conn::lock;
use tlsim_tls::crypto::ticket::TicketContents;
use tlsim_tls::enums::ExtensionType;
use tlsim_tls::msgs::{ClientHello, HelloExtension, ServerExtension};

use crate::config::{ServerConfig, Tls13TicketConfig};

/// A NewSessionTicket's fields as a trace shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedTicket {
    /// The opaque `ticket`, sent instead of the sealed state.
    pub ticket: Vec<u8>,
    /// `ticket_age_add`.
    pub age_add: u32,
    /// `ticket_nonce`.
    pub nonce: Vec<u8>,
    /// Extensions sent as given, by code point and body, after early_data.
    pub opaque_extensions: Vec<(ExtensionType, Vec<u8>)>,
}

/// What each pinned ticket sent stands for, shared by the servers that
/// resume from each other's tickets: the server cannot seal its state into
/// a ticket chosen in advance, so it remembers the state under it.
pub type IssuedTickets = Arc<Mutex<Vec<(Vec<u8>, TicketContents)>>>;

/// A server's pinned tickets not yet sent, and the tickets it resumes from.
#[derive(Debug, Default)]
pub struct PinnedTickets {
    unsent: VecDeque<PinnedTicket>,
    issued: IssuedTickets,
}

impl PinnedTickets {
    /// `tickets` go out first, in order, then sealed ones; tickets sent
    /// are remembered in `issued`.
    pub fn new(tickets: Vec<PinnedTicket>, issued: IssuedTickets) -> Self {
        PinnedTickets {
            unsent: tickets.into(),
            issued,
        }
    }
}

/// The next pinned ticket to send, if any is left.
pub(crate) fn next_ticket(tickets: &Tls13TicketConfig) -> Option<PinnedTicket> {
    lock(tickets.pinned.as_ref()?).unsent.pop_front()
}

/// Remembers what a pinned ticket sent stands for.
pub(crate) fn remember(tickets: &Tls13TicketConfig, ticket: &[u8], contents: TicketContents) {
    if let Some(pinned) = &tickets.pinned {
        let issued = lock(pinned).issued.clone();
        lock(&issued).push((ticket.to_vec(), contents));
    }
}

/// The state behind a ticket the client offers: a pinned one sent
/// before, or one sealed under the ticket key.
pub(crate) fn open_ticket(tickets: &Tls13TicketConfig, identity: &[u8]) -> Option<TicketContents> {
    let remembered = tickets.pinned.as_ref().and_then(|pinned| {
        let issued = lock(pinned).issued.clone();
        (lock(&issued).iter())
            .find(|(ticket, _)| ticket == identity)
            .map(|(_, contents)| contents.clone())
    });
    remembered.or_else(|| tickets.key.open(identity))
}

/// RFC 8446 §4.3.1: the extensions tlsim does not build, sent in
/// EncryptedExtensions as given when the client sent the same type.
pub(crate) fn opaque_encrypted_extensions(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Vec<ServerExtension> {
    (config.opaque_extensions.iter())
        .filter(|(typ, _)| hello.extensions.iter().any(|e| e.ext_type() == *typ))
        .map(|(typ, data)| ServerExtension::Unknown {
            typ: *typ,
            data: data.clone(),
        })
        .collect()
}

/// Whether the server acknowledges an extension of type `typ` (its empty
/// answer, such as server_name's): always in tlsim's own order, only when
/// listed in `config.extension_order`, as in TLS 1.2.
pub(crate) fn acknowledges(config: &ServerConfig, typ: ExtensionType) -> bool {
    (config.extension_order.as_ref()).is_none_or(|order| order.contains(&typ))
}

/// Puts the extensions `config.extension_order` lists first, in its
/// order; the others follow in tlsim's order.
pub(crate) fn order_extensions(config: &ServerConfig, extensions: &mut [ServerExtension]) {
    if let Some(order) = &config.extension_order {
        let rank = |typ: ExtensionType| order.iter().position(|&t| t == typ);
        extensions.sort_by_key(|ext| rank(ext.ext_type()).unwrap_or(usize::MAX));
    }
}
