//! Explanations for learners of every TLS message, record and alert: what
//! it is for and why it comes now, with the RFC section. One table per
//! kind (handshake type, content type, alert description); `{Name}` stands
//! for the value of the first field called `Name` after the message's own
//! type field in the event (see [`Event::fill`]).
//!
//! A new message, content type or alert gets its line here; the tests below
//! and the log test over every shipped scenario name any that has none.
//!
//! [`Event::fill`]: tlsim_sim::Event::fill

use tlsim_sim::{Event, Field};

use super::dissect;
use crate::enums::{AlertDescription, ContentType, HandshakeType};

/// What a handshake message of type `typ` is for.
// A code point added later reaches the wildcard, and the tests name it.
#[allow(unreachable_patterns)]
pub fn handshake(typ: HandshakeType) -> Option<&'static str> {
    Some(match typ {
        HandshakeType::HelloRequest => {
            "Hello Request (RFC 5246 §7.4.1.1): the server asks the client to start a new handshake on this connection; a client that will not renegotiate answers no_renegotiation or ignores it."
        }
        HandshakeType::ClientHello => {
            "Client Hello (RFC 5246 §7.4.1.2): the client opens the handshake. It offers its highest version ({Version}), a fresh 32-byte random that makes every session's keys unique, the cipher suites it accepts in order of preference ({Cipher Suites}), compression methods and extensions (RFC 6066 §3 names the server it wants; RFC 8422 §5.1 lists its curves)."
        }
        HandshakeType::ServerHello => {
            "Server Hello (RFC 5246 §7.4.1.3): the server's choices: version {Version}, cipher suite {Cipher Suite} among those offered, its own random, and a session ID under which the session may be resumed."
        }
        HandshakeType::NewSessionTicket => {
            "New Session Ticket (RFC 5077 §3.3): the server hands the client its session state, sealed with a key only the server knows, to resume from later without a server-side cache."
        }
        HandshakeType::Certificate => {
            "Certificate (RFC 5246 §7.4.2): the sender's chain, its own certificate ({Certificate}) first and each next one signing the one before; the peer checks it up to a root it trusts and the name it asked for (RFC 5280 §6)."
        }
        HandshakeType::ServerKeyExchange => {
            "Server Key Exchange (RFC 8422 §5.4): the server's ephemeral elliptic-curve public key on {Named Curve}, signed with the certificate's key over both randoms, so the client knows it comes from the certificate's owner and is fresh. This key gives forward secrecy."
        }
        HandshakeType::CertificateRequest => {
            "Certificate Request (RFC 5246 §7.4.4): the server asks the client to authenticate with a certificate of one of the listed types, from one of the listed authorities."
        }
        HandshakeType::ServerHelloDone => {
            "Server Hello Done (RFC 5246 §7.4.5): the server has sent all of its first flight; now the client verifies and answers."
        }
        HandshakeType::CertificateVerify => {
            "Certificate Verify (RFC 5246 §7.4.8): the client signs the handshake so far with its certificate's key, proving it holds that key."
        }
        HandshakeType::ClientKeyExchange => {
            "Client Key Exchange (RFC 8422 §5.7): the client's ephemeral public key ({Pubkey Length} bytes). With its own private key and the server's public key each side now computes the same pre-master secret, which never travels (RFC 5246 §8.1)."
        }
        HandshakeType::Finished => {
            "Finished (RFC 5246 §7.4.9): the first message under the new keys. Its verify_data, PRF(master_secret, finished_label, Hash(handshake_messages)), proves that the sender derived the same keys and saw the same handshake, so no one changed a message on the way."
        }
        HandshakeType::CertificateStatus => {
            "Certificate Status (RFC 6066 §8): the server staples an OCSP response saying its certificate is not revoked."
        }
        HandshakeType::NextProtocol => {
            "Next Protocol (NPN draft-agl-tls-nextprotoneg-04 §3): the client names the application protocol it will speak ({Selected Protocol}), encrypted, just before its Finished."
        }
        HandshakeType::EndOfEarlyData => {
            "End of Early Data (RFC 8446 §4.5): the client has sent all of its 0-RTT data; what follows is protected with the handshake keys."
        }
        HandshakeType::EncryptedExtensions => {
            "Encrypted Extensions (RFC 8446 §4.3.1): the server's answers to extensions that do not shape the key exchange (server_name, ALPN, …), the first message under the handshake keys so that an observer no longer sees them."
        }
        HandshakeType::KeyUpdate => {
            "Key Update (RFC 8446 §4.6.3): the sender moves to its next traffic secret; with update_requested the peer does the same for its own direction."
        }
        HandshakeType::MessageHash => {
            "Message Hash (RFC 8446 §4.4.1): never sent. After a HelloRetryRequest it stands in the transcript for the first Client Hello, holding that message's hash."
        }
        HandshakeType::Unknown(_) => {
            "A handshake message of a type RFC 5246 §7.4 does not define: a receiver that does not expect it answers unexpected_message (§7.2.2)."
        }
        _ => return None,
    })
}

/// What a TLS 1.3 handshake message of type `typ` is for, where it differs
/// from [`handshake`]: the same names carry other content and other keys in
/// RFC 8446.
pub fn handshake13(typ: HandshakeType) -> Option<&'static str> {
    Some(match typ {
        HandshakeType::ClientHello => {
            "Client Hello (RFC 8446 §4.1.2): the client opens the handshake. Its legacy version stays TLS 1.2 and supported_versions offers TLS 1.3 (§4.2.1); beside a fresh 32-byte random and the cipher suites it accepts ({Cipher Suites}) it already sends key_share, an ephemeral public key for each group it expects the server to pick (§4.2.8), so that the handshake needs one round trip; a pre_shared_key extension offers to resume (§4.2.11)."
        }
        HandshakeType::ServerHello => {
            "Server Hello (RFC 8446 §4.1.3): the server picks cipher suite {Cipher Suite}, confirms TLS 1.3 in supported_versions and answers the client's key share with its own (§4.2.8). Both ends now compute the (EC)DHE shared secret and derive the handshake traffic secrets (§7.1): every message after this one is encrypted."
        }
        HandshakeType::NewSessionTicket => {
            "New Session Ticket (RFC 8446 §4.6.1): after the handshake the server gives the client a ticket with its lifetime, an age_add that hides the ticket's age on the wire and a nonce, from which both ends derive the pre-shared key that a later connection resumes with."
        }
        HandshakeType::Certificate => {
            "Certificate (RFC 8446 §4.4.2): the sender's chain, encrypted under the handshake keys, its own certificate ({Certificate}) first and each next one signing the one before; the peer checks it up to a root it trusts and the name it asked for (RFC 5280 §6)."
        }
        HandshakeType::CertificateRequest => {
            "Certificate Request (RFC 8446 §4.3.2): the server asks the client for a certificate, naming in its extensions the signature algorithms it accepts; a client without one answers with an empty Certificate."
        }
        HandshakeType::CertificateVerify => {
            "Certificate Verify (RFC 8446 §4.4.3): the sender signs the transcript hash so far, after 64 spaces and a context string that differs for server and client, with its certificate's key: proof that it holds that key and saw this handshake."
        }
        HandshakeType::Finished => {
            "Finished (RFC 8446 §4.4.4): an HMAC of the transcript hash under a finished key derived from the sender's handshake traffic secret; a match proves that the peer derived the same keys and saw the same handshake. After the server's Finished both ends derive the application traffic secrets (§7.1)."
        }
        _ => return None,
    })
}

/// What a TLS 1.3 record of content type `typ` carries, where it differs
/// from [`content`].
pub fn content13(typ: ContentType) -> Option<&'static str> {
    Some(match typ {
        ContentType::ChangeCipherSpec => {
            "Change Cipher Spec (RFC 8446 Appendix D.4): a dummy record for middleboxes that expect a TLS 1.2 resumption to look this way; it changes no keys and the receiver drops it (§5)."
        }
        ContentType::ApplicationData => {
            "Protected record (RFC 8446 §5.2): every encrypted TLS 1.3 record says application_data and TLS 1.2 outside; its real content type is the last non-zero byte of the decrypted plaintext, so an observer sees neither the type of a message nor, with padding, its exact length."
        }
        _ => return None,
    })
}

/// What a HelloRetryRequest is for: on the wire a Server Hello, told apart
/// by its random.
pub const HELLO_RETRY_REQUEST: &str = "Hello Retry Request (RFC 8446 §4.1.4): a Server Hello whose random is the fixed value SHA-256(\"HelloRetryRequest\") (§4.1.3). The server accepts the offer, with cipher suite {Cipher Suite}, but lacks something it needs, usually a key share in a group it accepts, which its key_share extension names; the client answers with a second Client Hello, and the transcript keeps the first one only as its hash (§4.4.1).";

/// What a record of content type `typ` carries, for all but handshake
/// records (whose messages explain themselves) and alerts (see [`alert`]).
// A code point added later reaches the wildcard, and the tests name it.
#[allow(unreachable_patterns)]
pub fn content(typ: ContentType) -> Option<&'static str> {
    Some(match typ {
        ContentType::ChangeCipherSpec => {
            "Change Cipher Spec (RFC 5246 §7.1): from the next record on, the sender protects everything with the keys just negotiated; the receiver switches its reading keys when it sees it."
        }
        ContentType::ApplicationData => {
            "Application Data (RFC 5246 §10): the application's bytes, encrypted and authenticated under the session keys; an observer sees only the length."
        }
        ContentType::Heartbeat => {
            "Heartbeat (RFC 6520 §3): a keep-alive that the peer must echo, allowed only when both ends agreed to it in their hellos."
        }
        ContentType::Alert => {
            "Alert (RFC 5246 §7.2): a closure or error notice; a fatal one ends the connection at once."
        }
        ContentType::Handshake => {
            "Handshake record (RFC 5246 §6.2.1) without a whole message header: a piece of a message split across records, which the receiver joins before reading it, or an empty fragment, which it must reject."
        }
        ContentType::Unknown(_) => {
            "A record of a content type RFC 5246 §6.2.1 does not define: the receiver must answer unexpected_message (§6)."
        }
        _ => return None,
    })
}

/// Why an alert `description` is sent.
// A code point added later reaches the wildcard, and the tests name it.
#[allow(unreachable_patterns)]
pub fn alert(description: AlertDescription) -> Option<&'static str> {
    Some(match description {
        AlertDescription::CloseNotify => {
            "Alert close_notify (RFC 5246 §7.2.1): the sender will write nothing more on this connection; the receiver answers with its own close_notify. Without it, a truncation attack could not be told from the end of the data."
        }
        AlertDescription::UnexpectedMessage => {
            "Alert unexpected_message (RFC 5246 §7.2.2), {Level}: a message came that the handshake state does not allow here."
        }
        AlertDescription::BadRecordMac => {
            "Alert bad_record_mac (RFC 5246 §7.2.2), {Level}: a record failed its MAC or AEAD tag check: it was changed on the way or protected with other keys."
        }
        AlertDescription::DecryptionFailed => {
            "Alert decryption_failed (RFC 5246 §7.2.2), {Level}: a record could not be decrypted; TLS 1.1 on sends bad_record_mac instead, to give away less."
        }
        AlertDescription::RecordOverflow => {
            "Alert record_overflow (RFC 5246 §7.2.2), {Level}: a record was longer than the protocol allows (2^14 bytes of plaintext, RFC 5246 §6.2.1)."
        }
        AlertDescription::DecompressionFailure => {
            "Alert decompression_failure (RFC 5246 §7.2.2), {Level}: a record did not decompress."
        }
        AlertDescription::HandshakeFailure => {
            "Alert handshake_failure (RFC 5246 §7.2.2), {Level}: the two ends share no acceptable set of parameters, such as a common cipher suite."
        }
        AlertDescription::NoCertificate => {
            "Alert no_certificate (SSL 3.0, RFC 6101 §5.4.2), {Level}: the client has no certificate to send."
        }
        AlertDescription::BadCertificate => {
            "Alert bad_certificate (RFC 5246 §7.2.2), {Level}: a certificate was corrupt or its signature did not verify."
        }
        AlertDescription::UnsupportedCertificate => {
            "Alert unsupported_certificate (RFC 5246 §7.2.2), {Level}: a certificate was of a type the receiver cannot use."
        }
        AlertDescription::CertificateRevoked => {
            "Alert certificate_revoked (RFC 5246 §7.2.2), {Level}: a certificate was revoked by its signer."
        }
        AlertDescription::CertificateExpired => {
            "Alert certificate_expired (RFC 5246 §7.2.2), {Level}: a certificate is outside its validity period."
        }
        AlertDescription::CertificateUnknown => {
            "Alert certificate_unknown (RFC 5246 §7.2.2), {Level}: some other problem made a certificate unacceptable."
        }
        AlertDescription::IllegalParameter => {
            "Alert illegal_parameter (RFC 5246 §7.2.2), {Level}: a field of the handshake was out of range or inconsistent with other fields."
        }
        AlertDescription::UnknownCa => {
            "Alert unknown_ca (RFC 5246 §7.2.2), {Level}: the chain was valid but does not lead to a trusted root."
        }
        AlertDescription::AccessDenied => {
            "Alert access_denied (RFC 5246 §7.2.2), {Level}: the peer was authenticated but is not allowed to go on."
        }
        AlertDescription::DecodeError => {
            "Alert decode_error (RFC 5246 §7.2.2), {Level}: a message could not be decoded: a length was wrong or a field out of its range."
        }
        AlertDescription::DecryptError => {
            "Alert decrypt_error (RFC 5246 §7.2.2), {Level}: a handshake cryptographic check failed: a signature did not verify or a Finished did not match."
        }
        AlertDescription::ExportRestriction => {
            "Alert export_restriction (RFC 4346 §7.2.2), {Level}: a negotiation broke the old export rules."
        }
        AlertDescription::ProtocolVersion => {
            "Alert protocol_version (RFC 5246 §7.2.2), {Level}: the version the peer asked for is one this end does not support."
        }
        AlertDescription::InsufficientSecurity => {
            "Alert insufficient_security (RFC 5246 §7.2.2), {Level}: the server needs stronger ciphers than the client offered."
        }
        AlertDescription::InternalError => {
            "Alert internal_error (RFC 5246 §7.2.2), {Level}: a fault of this end's own, not the peer's, stops the connection."
        }
        AlertDescription::InappropriateFallback => {
            "Alert inappropriate_fallback (RFC 7507 §3), {Level}: the client signalled a fallback (TLS_FALLBACK_SCSV) to a version below one the server supports, which a downgrade attack would cause."
        }
        AlertDescription::UserCanceled => {
            "Alert user_canceled (RFC 5246 §7.2.2), {Level}: the handshake is abandoned for a reason of the user's."
        }
        AlertDescription::NoRenegotiation => {
            "Alert no_renegotiation (RFC 5246 §7.2.2), {Level}: this end declines a request to renegotiate and goes on with the current session."
        }
        AlertDescription::UnsupportedExtension => {
            "Alert unsupported_extension (RFC 5246 §7.2.2), {Level}: the server sent an extension the client never offered (RFC 5246 §7.4.1.4)."
        }
        AlertDescription::UnrecognizedName => {
            "Alert unrecognized_name (RFC 6066 §3), {Level}: the server has no certificate for the name the client asked for."
        }
        AlertDescription::NoApplicationProtocol => {
            "Alert no_application_protocol (RFC 7301 §3.2), {Level}: the server supports none of the application protocols the client offered."
        }
        AlertDescription::MissingExtension => {
            "Alert missing_extension (RFC 8446 §6.2), {Level}: a message lacked an extension that TLS 1.3 requires for what was offered or negotiated."
        }
        AlertDescription::BadCertificateStatusResponse => {
            "Alert bad_certificate_status_response (RFC 8446 §6.2), {Level}: the server's OCSP response was invalid or unacceptable."
        }
        AlertDescription::UnknownPskIdentity => {
            "Alert unknown_psk_identity (RFC 8446 §6.2), {Level}: the server found no key for any PSK identity the client offered."
        }
        AlertDescription::CertificateRequired => {
            "Alert certificate_required (RFC 8446 §6.2), {Level}: the server requires a client certificate and the client sent none."
        }
        AlertDescription::Unknown(_) => {
            "An alert RFC 5246 §7.2 does not define, {Level}: a fatal one still ends the connection."
        }
        _ => return None,
    })
}

/// Why an actor takes the step an action event records, for actions whose
/// code does not explain them itself.
pub fn action(title: &str) -> Option<&'static str> {
    Some(match title {
        "Client: Setup Elliptic Curve Cryptography" => {
            "The client makes its ephemeral key pair on the server's curve (RFC 8422 §5.7): the private key is a random number, the public key that number times the curve's base point; it goes to the server in the Client Key Exchange."
        }
        "Server: Setup Elliptic Curve Cryptography" => {
            "The server makes its ephemeral key pair on the chosen curve (RFC 8422 §5.4): the private key is a random number, the public key that number times the curve's base point; it goes to the client, signed, in the Server Key Exchange."
        }
        "Client: Setup Diffie-Hellman" => {
            "The client picks a random exponent y in the server's group (RFC 5246 §7.4.7.2) and sends g^y mod p in the Client Key Exchange."
        }
        "Verify Finished" => {
            "The peer's Finished must equal PRF(master_secret, {Label}, Hash(handshake_messages)) computed here (RFC 5246 §7.4.9): a match proves that the peer holds the same master secret and saw the same handshake."
        }
        _ => return None,
    })
}

/// The number at the end of a code point's display: `Client Hello (1)`,
/// `named_curve (0x03)`.
fn code_of(value: &str) -> Option<u16> {
    let inner = value.rsplit_once('(')?.1.strip_suffix(')')?;
    match inner.strip_prefix("0x") {
        Some(hex) => u16::from_str_radix(hex, 16).ok(),
        None => inner.parse().ok(),
    }
}

/// One explained part of a TLS event: which table, which entry, and where
/// in the fields its values start.
enum Part {
    Handshake(HandshakeType),
    HelloRetryRequest,
    Content(ContentType),
    Alert(AlertDescription),
    /// A message or record of a TLS 1.3 record, where RFC 8446 tells it
    /// apart.
    Handshake13(HandshakeType),
    Content13(ContentType),
}

/// The explanation of a TLS send or receive event: one paragraph per kind
/// of message it carries, in order, each once, with the values filled in
/// from the event's fields. `None` if a message has no entry in its table
/// (the log test names it).
pub fn records(event: &Event) -> Option<String> {
    let parts = parts(&event.fields);
    if parts.is_empty() {
        return None;
    }
    let mut text = String::new();
    let mut seen: Vec<String> = Vec::new();
    for (at, part) in parts {
        let (key, template) = match part {
            Part::Handshake(t) => (format!("h{}", t.get()), handshake(t)?),
            Part::HelloRetryRequest => ("hrr".to_owned(), HELLO_RETRY_REQUEST),
            Part::Content(t) => (format!("c{}", t.get()), content(t)?),
            Part::Alert(a) => (format!("a{}", a.get()), alert(a)?),
            Part::Handshake13(t) => (format!("h13-{}", t.get()), handshake13(t)?),
            Part::Content13(t) => (format!("c13-{}", t.get()), content13(t)?),
        };
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&event.fill(template, at));
    }
    Some(text)
}

/// The parts in `fields`: each handshake message's type, each record of
/// another content type, each alert's description (the level is filled in
/// from the field before it).
fn parts(fields: &[Field]) -> Vec<(usize, Part)> {
    let mut parts = Vec::new();
    // The label of the record a field belongs to (see dissect's
    // `record_label`): TLS 1.3 messages are explained by RFC 8446.
    let mut tls13 = false;
    for (at, field) in fields.iter().enumerate() {
        let code = || code_of(&field.value);
        if let Some(label) = field.name.strip_suffix(" Record Layer") {
            tls13 = label == "TLSv1.3";
        }
        match &*field.name {
            "Handshake Type" => {
                // The message's own field, just before its type, names a
                // HelloRetryRequest.
                let message = at.checked_sub(1).map(|m| &fields[m]);
                if message.is_some_and(|m| m.value == dissect::HELLO_RETRY_REQUEST) {
                    parts.push((at, Part::HelloRetryRequest));
                } else if let Some(n) = code().and_then(|n| u8::try_from(n).ok()) {
                    let typ = HandshakeType::from(n);
                    let part = match tls13 && handshake13(typ).is_some() {
                        true => Part::Handshake13(typ),
                        false => Part::Handshake(typ),
                    };
                    parts.push((at, part));
                }
            }
            "Content Type" => {
                // The record's own fields: up to the next record header.
                let record = || {
                    fields[at..]
                        .iter()
                        .take_while(|f| f.depth > 0 || f.name == "Content Type")
                };
                let shows = |name: &str| record().any(|f| f.name == name);
                let typ = code()
                    .and_then(|n| u8::try_from(n).ok())
                    .map(ContentType::from);
                match typ {
                    // A handshake record explains itself by its messages, an
                    // alert by its description (in the clear or decrypted);
                    // without them, by the content type.
                    Some(ContentType::Handshake) if shows("Handshake Type") => {}
                    Some(ContentType::Alert) if shows("Description") => {}
                    Some(other) if tls13 && content13(other).is_some() => {
                        parts.push((at, Part::Content13(other)));
                    }
                    Some(other) => parts.push((at, Part::Content(other))),
                    None => {}
                }
            }
            "Description" => {
                if let Some(n) = code().and_then(|n| u8::try_from(n).ok()) {
                    // The Level field is the one before.
                    parts.push((at.saturating_sub(1), Part::Alert(AlertDescription::from(n))));
                }
            }
            _ => {}
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use tlsim_sim::{Instant, Kind, Layer};

    use super::*;

    #[test]
    fn every_named_handshake_type_content_type_and_alert_is_explained() {
        let missing: Vec<String> = (HandshakeType::ALL.iter())
            .filter(|&&t| handshake(t).is_none())
            .map(|t| format!("handshake message {t}"))
            .chain(
                (ContentType::ALL.iter())
                    .filter(|&&t| content(t).is_none())
                    .map(|t| format!("content type {t}")),
            )
            .chain(
                (AlertDescription::ALL.iter())
                    .filter(|&&a| alert(a).is_none())
                    .map(|a| format!("alert {a}")),
            )
            .collect();
        assert!(missing.is_empty(), "no explanation for: {missing:?}");
    }

    #[test]
    fn each_message_is_explained_once_with_its_own_values() {
        let mut event = Event::new(Instant::ZERO, "c", Kind::Send, Layer::Tls, "TLS x");
        for (name, value, depth) in [
            (
                "TLSv1 Record Layer",
                "Handshake Protocol: Multiple Handshake Messages",
                0,
            ),
            ("Content Type", "Handshake (22)", 1),
            ("Version", "TLS 1.0 (0x0301)", 1),
            ("Handshake Type", "Client Hello (1)", 2),
            ("Version", "TLS 1.2 (0x0303)", 2),
            ("Cipher Suites", "2 suites", 2),
            ("Handshake Type", "Client Hello (1)", 2),
            ("TLSv1 Record Layer", "Change Cipher Spec Protocol", 0),
            ("Content Type", "Change Cipher Spec (20)", 1),
            ("TLSv1 Record Layer", "Alert Protocol", 0),
            ("Content Type", "Alert (21)", 1),
            ("Level", "Fatal (2)", 2),
            ("Description", "Decode Error (50)", 2),
        ] {
            event.push_field(name, value, depth, None);
        }
        let text = records(&event).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].contains("highest version (TLS 1.2 (0x0303))"),
            "{text}"
        );
        assert!(lines[0].contains("(2 suites)"), "{text}");
        assert!(lines[1].starts_with("Change Cipher Spec"), "{text}");
        assert!(
            lines[2].starts_with("Alert decode_error (RFC 5246 §7.2.2), Fatal (2)"),
            "{text}"
        );
    }

    #[test]
    fn a_hello_retry_request_is_explained_as_one_not_as_a_server_hello() {
        let mut event = Event::new(Instant::ZERO, "s", Kind::Send, Layer::Tls, "TLS x");
        for (name, value, depth) in [
            ("Handshake Protocol", dissect::HELLO_RETRY_REQUEST, 1),
            ("Handshake Type", "Server Hello (2)", 2),
            ("Cipher Suite", "TLS_AES_128_GCM_SHA256 (0x1301)", 2),
            ("Handshake Protocol", "Server Hello", 1),
            ("Handshake Type", "Server Hello (2)", 2),
        ] {
            event.push_field(name, value, depth, None);
        }
        let text = records(&event).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with("Hello Retry Request (RFC 8446 §4.1.4)"),
            "{text}"
        );
        assert!(
            lines[0].contains("TLS_AES_128_GCM_SHA256 (0x1301)"),
            "{text}"
        );
        assert!(lines[1].starts_with("Server Hello"), "{text}");
    }

    #[test]
    fn messages_of_a_tls13_record_are_explained_by_rfc_8446() {
        let explained = |label: &'static str| {
            let mut event = Event::new(Instant::ZERO, "s", Kind::Send, Layer::Tls, "TLS x");
            for (name, value, depth) in [
                (label, "Handshake Protocol: Server Hello", 0),
                ("Content Type", "Handshake (22)", 1),
                ("Handshake Protocol", "Server Hello", 1),
                ("Handshake Type", "Server Hello (2)", 2),
                (label, "Change Cipher Spec Protocol", 0),
                ("Content Type", "Change Cipher Spec (20)", 1),
            ] {
                event.push_field(name, value, depth, None);
            }
            records(&event).unwrap()
        };
        let tls13 = explained("TLSv1.3 Record Layer");
        let lines: Vec<&str> = tls13.lines().collect();
        assert!(
            lines[0].starts_with("Server Hello (RFC 8446 §4.1.3)"),
            "{tls13}"
        );
        assert!(lines[1].contains("RFC 8446 Appendix D.4"), "{tls13}");
        let tls12 = explained("TLSv1.2 Record Layer");
        let lines: Vec<&str> = tls12.lines().collect();
        assert!(
            lines[0].starts_with("Server Hello (RFC 5246 §7.4.1.3)"),
            "{tls12}"
        );
        assert!(
            lines[1].starts_with("Change Cipher Spec (RFC 5246 §7.1)"),
            "{tls12}"
        );
    }

    #[test]
    fn a_handshake_record_without_a_message_header_is_explained_as_a_fragment() {
        let mut event = Event::new(Instant::ZERO, "c", Kind::Send, Layer::Tls, "TLS x");
        event.push_field("Content Type", "Handshake (22)", 1, None);
        event.push_field("Malformed", "truncated handshake length", 1, None);
        assert!(records(&event).unwrap().starts_with("Handshake record"));
    }
}
