//! Secure renegotiation on the client (RFC 5746 §3.4, §3.5, §4.2): the
//! renegotiation_info of each Client Hello, the check of the server's, and
//! whether a Hello Request is run as a new handshake.
//!
//! A renegotiation sends a new Client Hello under the keys in force and
//! runs the handshake of `hs` from there, as a full TLS 1.2 handshake.

use tlsim_tls::conn::{Core, RenegotiationPolicy};
use tlsim_tls::enums::{CipherSuite, ExtensionType};
use tlsim_tls::error::Error;
use tlsim_tls::msgs::{ClientExtension, ClientHello, ServerExtension, ServerHello};

use crate::config::ClientConfig;

/// RFC 5746 §3.5: a renegotiation's Client Hello carries renegotiation_info
/// with the last client verify_data, never the SCSV, and the connection's
/// version. An initial Client Hello is left as configured.
pub(crate) fn bind_client_hello(core: &Core, hello: &mut ClientHello) {
    if !core.renegotiation.in_progress() {
        return;
    }
    let extension = ClientExtension::RenegotiationInfo(core.renegotiation.client_info());
    let configured =
        (hello.extensions.iter()).position(|e| matches!(e, ClientExtension::RenegotiationInfo(_)));
    match configured {
        Some(at) => hello.extensions[at] = extension,
        None => hello.extensions.insert(0, extension),
    }
    hello
        .cipher_suites
        .retain(|&suite| suite != CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    if let Some(version) = core.version() {
        hello.client_version = version;
    }
}

/// RFC 5746 §3.4 (initial handshake), §3.5 (renegotiation): checks the
/// Server Hello's renegotiation_info and remembers whether the server is
/// secure.
///
/// # Errors
/// handshake_failure when it is not what the connection's verify_data
/// say, or missing from a renegotiation's Server Hello.
pub(crate) fn check_server_hello(hello: &ServerHello, core: &mut Core) -> Result<(), Error> {
    let info = match hello.extension(ExtensionType::RenegotiationInfo) {
        Some(ServerExtension::RenegotiationInfo(info)) => Some(info.as_slice()),
        _ => None,
    };
    let state = &core.renegotiation;
    core.renegotiation.secure = state.check(info, &state.server_info())?;
    Ok(())
}

/// Whether a Hello Request once connected starts a renegotiation: the
/// policy accepts it and the server signalled secure renegotiation
/// (RFC 5746 §4.2: a client "SHOULD NOT" renegotiate with one that did
/// not).
pub(crate) fn accepts_hello_request(config: &ClientConfig, core: &Core) -> bool {
    config.renegotiation == RenegotiationPolicy::Accept && core.can_renegotiate()
}
