//! Structured mutations of recorded flights, for fuzzing the two actors
//! with inputs that get past the first parser.
//!
//! Read first: RFC 5246 §6.2.1 (records) and §7.4 (handshake messages).
//!
//! A flight (what one side writes in one round) is cut into units: each
//! plaintext handshake message on its own, and every other record whole
//! (alerts, ChangeCipherSpec, and everything encrypted after it). Sending
//! each unit as its own record changes no transcript, so an unmutated
//! flight still completes the handshake. A [`Mutation`] then flips, cuts,
//! drops, duplicates or reorders units.

use std::cell::Cell;
use std::rc::Rc;

use tlsim_tls::conn::Negotiated;
use tlsim_tls::enums::ContentType;
use tlsim_tls_client::ClientConfig;
use tlsim_tls_server::ServerConfig;

use crate::pair::{Direction, Pair};

/// A record header: type, version, length (RFC 5246 §6.2.1).
const RECORD_HEADER_LEN: usize = 5;
/// A handshake message header: type and a 24-bit length (RFC 5246 §7.4).
const HANDSHAKE_HEADER_LEN: usize = 4;

/// One record's worth of a flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// The record's content type.
    pub content_type: u8,
    /// The record's version bytes.
    pub version: [u8; 2],
    /// The record's fragment: one handshake message when plaintext.
    pub body: Vec<u8>,
}

impl Unit {
    /// Whether a receiver may drop this unit without changing any
    /// transcript: an empty handshake fragment, or a HelloRequest, which
    /// RFC 5246 §7.4.1.1 keeps out of the transcript and lets a client
    /// ignore while it negotiates.
    pub fn may_be_ignored(&self) -> bool {
        self.content_type == ContentType::Handshake.get()
            && (self.body.is_empty() || self.body == [0, 0, 0, 0])
    }
}

/// Cuts a flight into units. `encrypting` says whether this direction has
/// already sent ChangeCipherSpec; it is updated as one is seen, so pass the
/// same flag for every flight of one direction, in order.
///
/// Bytes after the last whole record (none in a flight from tlsim's own
/// actors) are kept as a final unit of content type 0.
pub fn split(flight: &[u8], encrypting: &mut bool) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut rest = flight;
    while let Some((header, after)) = rest.split_first_chunk::<RECORD_HEADER_LEN>() {
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if after.len() < len {
            break;
        }
        let (fragment, tail) = after.split_at(len);
        rest = tail;
        let content_type = header[0];
        let version = [header[1], header[2]];
        let handshake = content_type == ContentType::Handshake.get();
        match handshake_messages(fragment) {
            Some(messages) if handshake && !*encrypting => {
                units.extend(messages.into_iter().map(|body| Unit {
                    content_type,
                    version,
                    body: body.to_vec(),
                }));
            }
            _ => units.push(Unit {
                content_type,
                version,
                body: fragment.to_vec(),
            }),
        }
        if content_type == ContentType::ChangeCipherSpec.get() {
            *encrypting = true;
        }
    }
    if !rest.is_empty() {
        units.push(Unit {
            content_type: 0,
            version: [0, 0],
            body: rest.to_vec(),
        });
    }
    units
}

/// The handshake messages a plaintext fragment holds, if it holds whole
/// ones only.
fn handshake_messages(fragment: &[u8]) -> Option<Vec<&[u8]>> {
    let mut messages = Vec::new();
    let mut rest = fragment;
    while !rest.is_empty() {
        let header = rest.first_chunk::<HANDSHAKE_HEADER_LEN>()?;
        let len = u32::from_be_bytes([0, header[1], header[2], header[3]]) as usize;
        let total = HANDSHAKE_HEADER_LEN + len;
        if rest.len() < total {
            return None;
        }
        let (message, tail) = rest.split_at(total);
        messages.push(message);
        rest = tail;
    }
    Some(messages)
}

/// Writes units back as records, one each. A body over the record limit of
/// 2^16-1 bytes is cut there; a unit of content type 0 is written raw.
pub fn join(units: &[Unit]) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in units {
        if unit.content_type == 0 {
            out.extend_from_slice(&unit.body);
            continue;
        }
        let body = &unit.body[..unit.body.len().min(usize::from(u16::MAX))];
        out.push(unit.content_type);
        out.extend_from_slice(&unit.version);
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    out
}

/// One change to a flight's units. Unit and byte positions wrap around the
/// flight's actual sizes, so every decoded mutation applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// XOR `xor` into byte `offset` of unit `unit`'s body.
    Flip {
        /// Which unit.
        unit: usize,
        /// Which byte of its body.
        offset: usize,
        /// The bits to flip.
        xor: u8,
    },
    /// Cut unit `unit`'s body to `len` bytes.
    Truncate {
        /// Which unit.
        unit: usize,
        /// The length kept.
        len: usize,
    },
    /// Remove unit `unit`.
    Drop {
        /// Which unit.
        unit: usize,
    },
    /// Send unit `unit` twice in a row.
    Duplicate {
        /// Which unit.
        unit: usize,
    },
    /// Exchange unit `unit` with the one after it.
    SwapWithNext {
        /// Which unit.
        unit: usize,
    },
}

impl Mutation {
    /// Applies the mutation; a flight with no unit is left alone.
    pub fn apply(&self, units: &mut Vec<Unit>) {
        let count = units.len();
        if count == 0 {
            return;
        }
        match *self {
            Mutation::Flip { unit, offset, xor } => {
                let body = &mut units[unit % count].body;
                if let Some(len) = core::num::NonZeroUsize::new(body.len()) {
                    body[offset % len] ^= xor;
                }
            }
            Mutation::Truncate { unit, len } => {
                let body = &mut units[unit % count].body;
                let keep = len % (body.len() + 1);
                body.truncate(keep);
            }
            Mutation::Drop { unit } => {
                units.remove(unit % count);
            }
            Mutation::Duplicate { unit } => {
                let copy = units[unit % count].clone();
                units.insert(unit % count, copy);
            }
            Mutation::SwapWithNext { unit } => {
                let at = unit % count;
                units.swap(at, (at + 1) % count);
            }
        }
    }
}

/// A mutation aimed at one flight: `flight` counts one direction's
/// deliveries from 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Targeted {
    /// Which delivery of the direction.
    pub flight: usize,
    /// What to do to it.
    pub mutation: Mutation,
}

/// Reads up to `max` targeted mutations from fuzzer input, 4 bytes each
/// (flight, kind, unit, argument); a shorter tail is ignored. Every input
/// decodes, so the fuzzer's bytes map onto mutations with no waste.
pub fn decode_mutations(input: &[u8], max: usize) -> Vec<Targeted> {
    input
        .chunks_exact(4)
        .take(max)
        .map(|c| {
            let unit = usize::from(c[2]);
            let arg = c[3];
            let mutation = match c[1] % 5 {
                0 => Mutation::Flip {
                    unit,
                    offset: usize::from(c[1] / 5) * 256 + usize::from(arg),
                    xor: arg | 1,
                },
                1 => Mutation::Truncate {
                    unit,
                    len: usize::from(arg),
                },
                2 => Mutation::Drop { unit },
                3 => Mutation::Duplicate { unit },
                _ => Mutation::SwapWithNext { unit },
            };
            Targeted {
                flight: usize::from(c[0] % 4),
                mutation,
            }
        })
        .collect()
}

/// A handshake whose flights in one direction went through
/// [`split`], mutations and [`join`].
pub struct MutatedRun {
    /// The pair, driven until it settled.
    pub pair: Pair,
    /// Whether any flight's units changed, leaving aside units a receiver
    /// may ignore ([`Unit::may_be_ignored`]). When they did, the two ends
    /// saw different transcripts or records: they must not both complete
    /// the handshake, or, for a unit added after the last Finished, the
    /// end that reads it must fail.
    pub changed: bool,
}

/// Passes every delivery in `direction` through [`split`], then `edit`
/// (given the delivery's number in that direction, from 0, and its
/// units), then [`join`].
pub fn tamper_units(
    pair: &mut Pair,
    direction: Direction,
    mut edit: impl FnMut(usize, &mut Vec<Unit>) + 'static,
) {
    let mut encrypting = false;
    let mut delivery = 0;
    pair.tamper(move |d, bytes| {
        if d != direction {
            return;
        }
        let mut units = split(bytes, &mut encrypting);
        edit(delivery, &mut units);
        *bytes = join(&units);
        delivery += 1;
    });
}

/// Runs a handshake (pair seed 1) whose deliveries in `direction` pass
/// through [`split`], the `mutations` aimed at them, then [`join`].
///
/// # Panics
/// If the pair does not settle within 50 rounds (a livelock).
pub fn mutated_handshake(
    client: ClientConfig,
    server: ServerConfig,
    direction: Direction,
    mutations: Vec<Targeted>,
) -> MutatedRun {
    let mut pair = Pair::new(client, server);
    let changed = Rc::new(Cell::new(false));
    let seen = changed.clone();
    tamper_units(&mut pair, direction, move |delivery, units| {
        let before = units.clone();
        for m in mutations.iter().filter(|m| m.flight == delivery) {
            m.mutation.apply(units);
        }
        let kept = |units: &[Unit]| -> Vec<Unit> {
            units
                .iter()
                .filter(|u| !u.may_be_ignored())
                .cloned()
                .collect()
        };
        if kept(&before) != kept(units) {
            seen.set(true);
        }
    });
    pair.handshake();
    MutatedRun {
        pair,
        changed: changed.get(),
    }
}

/// Checks that what a handshake settled on was offered by the client and
/// is allowed by the server: version within both ranges, suite and group
/// in both lists.
///
/// # Errors
/// What was not offered, for the fuzz target's panic message.
pub fn check_offered(
    negotiated: &Negotiated,
    client: &ClientConfig,
    server: &ServerConfig,
) -> Result<(), String> {
    let version = negotiated.version;
    let suite = negotiated.suite;
    if !(client.min_version..=client.max_version).contains(&version)
        || !(server.min_version..=server.max_version).contains(&version)
    {
        return Err(format!("version {version} outside the offered range"));
    }
    if !client.cipher_suites.contains(&suite) || !server.cipher_suites.contains(&suite) {
        return Err(format!("suite {suite} was not offered"));
    }
    if let Some(group) = negotiated.group {
        if !client.groups.contains(&group) || !server.groups.contains(&group) {
            return Err(format!("group {group} was not offered"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{LeafKey, client_config, pki, server_config};

    fn mutated_handshake(direction: Direction, mutations: Vec<Targeted>) -> Pair {
        let pki = pki(LeafKey::Ecdsa);
        let run = super::mutated_handshake(
            client_config(&pki),
            server_config(&pki),
            direction,
            mutations,
        );
        assert_eq!(run.pair.is_complete(), !run.changed);
        run.pair
    }

    fn recorded_flights() -> Vec<(Direction, Vec<u8>)> {
        let pki = pki(LeafKey::Ecdsa);
        let mut pair = Pair::new(client_config(&pki), server_config(&pki));
        let flights = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let log = flights.clone();
        pair.tamper(move |direction, bytes| log.borrow_mut().push((direction, bytes.clone())));
        pair.handshake();
        pair.assert_complete();
        flights.take()
    }

    #[test]
    fn split_and_join_keep_every_byte_of_a_flight_of_single_records() {
        for (_, flight) in recorded_flights() {
            let mut encrypting = false;
            let units = split(&flight, &mut encrypting);
            assert!(!units.is_empty());
            let again = split(&join(&units), &mut false);
            assert_eq!(units, again);
        }
    }

    #[test]
    fn the_server_flight_splits_into_its_four_messages() {
        let flights = recorded_flights();
        let (direction, server_hello) = &flights[1];
        assert_eq!(*direction, Direction::ToClient);
        let units = split(server_hello, &mut false);
        let types: Vec<u8> = units.iter().map(|u| u.body[0]).collect();
        // ServerHello, Certificate, ServerKeyExchange, ServerHelloDone.
        assert_eq!(types, [2, 11, 12, 14]);
    }

    #[test]
    fn one_record_per_message_still_completes_the_handshake() {
        for direction in [Direction::ToClient, Direction::ToServer] {
            mutated_handshake(direction, Vec::new()).assert_complete();
        }
    }

    #[test]
    fn dropping_the_server_key_exchange_fails_the_client() {
        let pair = mutated_handshake(
            Direction::ToClient,
            vec![Targeted {
                flight: 0,
                mutation: Mutation::Drop { unit: 2 },
            }],
        );
        assert!(!pair.is_complete());
        assert!(pair.client_failure().is_some());
    }

    #[test]
    fn duplicating_the_client_key_exchange_fails_the_server() {
        let pair = mutated_handshake(
            Direction::ToServer,
            vec![Targeted {
                flight: 1,
                mutation: Mutation::Duplicate { unit: 0 },
            }],
        );
        assert!(!pair.is_complete());
        assert!(pair.server_failure().is_some());
    }

    #[test]
    fn every_input_decodes_to_whole_mutations() {
        assert_eq!(decode_mutations(&[1, 2, 3], 8), []);
        assert_eq!(
            decode_mutations(&[5, 2, 9, 0, 0, 3, 1, 0, 7], 8),
            [
                Targeted {
                    flight: 1,
                    mutation: Mutation::Drop { unit: 9 }
                },
                Targeted {
                    flight: 0,
                    mutation: Mutation::Duplicate { unit: 1 }
                },
            ]
        );
        assert_eq!(decode_mutations(&[0; 40], 3).len(), 3);
    }

    #[test]
    fn a_clean_handshake_settles_on_what_was_offered() {
        let pki = pki(LeafKey::Ecdsa);
        let (client, server) = (client_config(&pki), server_config(&pki));
        let run = super::mutated_handshake(
            client.clone(),
            server.clone(),
            Direction::ToClient,
            Vec::new(),
        );
        let negotiated = run.pair.client.negotiated().unwrap();
        assert_eq!(check_offered(negotiated, &client, &server), Ok(()));
        let narrow = ClientConfig {
            cipher_suites: vec![
                tlsim_tls::enums::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
            ],
            ..client
        };
        assert!(check_offered(negotiated, &narrow, &server).is_err());
    }

    #[test]
    fn a_duplicated_final_finished_fails_the_client_after_completion() {
        let pki = pki(LeafKey::Ecdsa);
        let run = super::mutated_handshake(
            client_config(&pki),
            server_config(&pki),
            Direction::ToClient,
            // The server's second flight is ChangeCipherSpec, Finished.
            decode_mutations(&[1, 3, 1, 0x21], 1),
        );
        assert!(run.changed);
        assert!(run.pair.is_complete());
        assert!(run.pair.client_failure().is_some());
    }
}
