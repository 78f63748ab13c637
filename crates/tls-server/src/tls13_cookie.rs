//! RFC 8446 §4.2.2: the cookie a server may put in its HelloRetryRequest,
//! and the check that the second Client Hello echoes it.
//!
//! The cookie is `HMAC(cookie_key, message_hash)`: the key is drawn per
//! connection, the `message_hash` is the transcript's stand-in for the
//! first Client Hello (§4.4.1), so the cookie binds the retry to that
//! hello as a stateless server's would (here the server also keeps it).
//! A pinned cookie, as a trace shows it, is sent instead.

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::hex;
use tlsim_tls::conn::Core;
use tlsim_tls::crypto::key_schedule::Tls13CipherSuite;
use tlsim_tls::enums::ExtensionType;
use tlsim_tls::error::{Error, PeerMisbehaved};
use tlsim_tls::msgs::ClientHello;
use tlsim_tls::msgs::tls13::{Cookie, Tls13Extension};

use crate::config::ServerConfig;

/// The cookie for a HelloRetryRequest whose first Client Hello became
/// `message_hash`, logged: the pinned one, or one made under a key drawn
/// now; `None` when the server sends no cookie.
pub(crate) fn make_cookie(
    config: &ServerConfig,
    core: &mut Core,
    suite: &Tls13CipherSuite,
    message_hash: &[u8],
    now: Instant,
    tracer: &mut dyn Tracer,
) -> Option<Vec<u8>> {
    if let Some(pinned) = &config.pins.cookie {
        core.ctx.action(now, tracer, "Make a cookie", |e| {
            e.field("Cookie", hex(pinned)).explain(
                "The HelloRetryRequest carries a cookie, here one given as it is; the client \
                 must echo it in its second Client Hello (RFC 8446 §4.2.2).",
            )
        });
        return Some(pinned.clone());
    }
    if !config.hello_retry_cookie {
        return None;
    }
    let mut key = [0u8; 32];
    core.rng.fill(&mut key);
    let cookie = suite.hash.hmac(&key, &[message_hash]);
    core.ctx.action(now, tracer, "Make a cookie", |e| {
        e.field("Cookie Key", hex(&key))
            .field("message_hash", hex(message_hash))
            .field("Cookie", hex(&cookie))
            .explain(
                "The HelloRetryRequest carries a cookie, an HMAC over the hash of the first \
                 Client Hello; the client must echo it in its second Client Hello (RFC 8446 \
                 §4.2.2).",
            )
    });
    Some(cookie)
}

/// RFC 8446 §4.1.2: the second Client Hello must carry the cookie of the
/// HelloRetryRequest, unchanged; none may come when none was sent.
///
/// # Errors
/// missing_extension when a cookie was sent and none came back;
/// illegal_parameter for another cookie, or one nobody asked for; the
/// codec's error for a malformed one.
pub(crate) fn check_cookie(hello: &ClientHello, sent: Option<&[u8]>) -> Result<(), Error> {
    let echoed = Cookie::find_in_client_hello(hello).transpose()?;
    match (sent, echoed) {
        (None, None) => Ok(()),
        (Some(sent), Some(Cookie(echoed))) if echoed == sent => Ok(()),
        (Some(_), None) => Err(PeerMisbehaved::MissingExtension(ExtensionType::Cookie).into()),
        (_, Some(_)) => Err(PeerMisbehaved::IllegalParameter("cookie").into()),
    }
}
