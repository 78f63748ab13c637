//! Secure renegotiation on the server (RFC 5746 §3.6, §3.7, §4.4): the
//! checks of every Client Hello's renegotiation_info, the version a
//! renegotiation keeps, the answer in the Server Hello, a Client Hello
//! once connected, and the Hello Request that
//! asks the client for one (RFC 5246 §7.4.1.1).
//!
//! An accepted renegotiation runs the handshake of `hs` from its Client
//! Hello on, under the keys in force until the client's Change Cipher Spec.

use std::sync::Arc;

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::conn::{Core, RenegotiationPolicy, State};
use tlsim_tls::enums::{CipherSuite, ProtocolVersion};
use tlsim_tls::error::{Error, PeerIncompatible, PeerMisbehaved};
use tlsim_tls::msgs::{ClientHello, HandshakeMessage, ServerExtension};
use tlsim_tls::record::JoinedMessage;

use crate::config::ServerConfig;
use crate::hs::{Connected, ExpectClientHello, Requested};

/// RFC 5746 §3.6 (initial handshake) and §3.7 (renegotiation): checks the
/// Client Hello's signal and remembers whether the client is secure.
///
/// # Errors
/// handshake_failure when renegotiation_info is not what the connection's
/// last client verify_data says, when a renegotiation's hello lacks it, or
/// when a renegotiation's hello carries the SCSV.
pub(crate) fn check_client_hello(
    hello: &ClientHello,
    requested: &Requested,
    core: &mut Core,
) -> Result<(), Error> {
    let state = &core.renegotiation;
    // RFC 5746 §3.7: "... MUST verify that it does not contain the
    // TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV. If it does, ... abort the
    // handshake."
    let scsv = hello
        .cipher_suites
        .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    if state.in_progress() && scsv {
        return Err(PeerMisbehaved::RenegotiationInfoMismatch.into());
    }
    let extension = state.check(
        requested.renegotiation_info.as_deref(),
        &state.client_info(),
    )?;
    core.renegotiation.secure = extension || scsv;
    Ok(())
}

/// The version of a renegotiation: the connection's own. RFC 5246
/// §7.4.1.2 makes client_version the version "by which the client wishes
/// to communicate during this session", and the connection runs at one
/// already; a hello that offers at least it gets it again, one that offers
/// less is refused with protocol_version (§7.2.2), as OpenSSL and GnuTLS
/// do. An initial handshake keeps `chosen`.
///
/// # Errors
/// protocol_version when a renegotiation offers a lower version.
pub(crate) fn keep_version(
    core: &Core,
    hello: &ClientHello,
    chosen: ProtocolVersion,
) -> Result<ProtocolVersion, Error> {
    match core.version() {
        Some(current) if core.renegotiation.in_progress() => {
            if chosen < current {
                return Err(PeerIncompatible::UnsupportedVersion(hello.client_version).into());
            }
            Ok(current)
        }
        _ => Ok(chosen),
    }
}

/// RFC 5746 §3.6, §3.7: the Server Hello's renegotiated_connection, empty
/// on an initial handshake, both verify_data on a renegotiation.
pub(crate) fn answer(core: &Core, extensions: &mut [ServerExtension]) {
    for extension in extensions {
        if let ServerExtension::RenegotiationInfo(info) = extension {
            *info = core.renegotiation.server_info();
        }
    }
}

/// Whether a Client Hello once connected starts a renegotiation: the
/// client signalled secure renegotiation (RFC 5746 §4.4: a legacy one is
/// refused), and the server asked for it or its policy accepts it.
pub(crate) fn accepts(connected: &Connected, core: &Core) -> bool {
    (connected.hello_requested || connected.config.renegotiation == RenegotiationPolicy::Accept)
        && core.can_renegotiate()
}

/// Starts the renegotiation the Client Hello `message` asks for: a fresh
/// transcript that begins with it, then the handshake of an initial
/// Client Hello with the renegotiation's checks.
pub(crate) fn handle_client_hello(
    connected: Connected,
    message: &JoinedMessage,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Result<Box<dyn State>, Error> {
    let initiator = match connected.hello_requested {
        true => "server",
        false => "client",
    };
    core.begin_renegotiation(now, tracer, initiator);
    core.transcript.add(&message.bytes);
    let first = Box::new(ExpectClientHello {
        config: connected.config,
    });
    first.handle(
        core,
        tlsim_tls::conn::Input::Handshake(message),
        now,
        tracer,
    )
}

/// RFC 5246 §7.4.1.1: asks the client to renegotiate with a Hello
/// Request; the connection stays connected until its Client Hello comes.
/// The Hello Request is in no handshake's transcript: the next one starts
/// afresh with the Client Hello.
pub(crate) fn send_hello_request(
    config: &Arc<ServerConfig>,
    core: &mut Core,
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Option<Box<dyn State>> {
    core.queue_handshake(&HandshakeMessage::HelloRequest);
    core.flush(now, tracer);
    Some(Box::new(Connected {
        config: config.clone(),
        hello_requested: true,
    }))
}
