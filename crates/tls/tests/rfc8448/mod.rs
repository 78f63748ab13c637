//! What the RFC 8448 trace tests share: hex as the RFC prints it, the
//! protected records' bodies, traffic keys, the suite of the traces.

#[allow(dead_code, reason = "each test uses the trace of its section")]
pub(crate) mod hello_retry;
#[allow(dead_code, reason = "each test uses the trace of its section")]
pub(crate) mod resumed_0rtt;
#[allow(dead_code, reason = "each test uses the trace of its section")]
pub(crate) mod simple_1rtt;

use tlsim_tls::crypto::key_schedule::{KeySchedule, SecretKind, Tls13CipherSuite, TrafficKeys};
use tlsim_tls::enums::CipherSuite;

/// Hex with spaces and newlines, as the RFC prints it.
pub(crate) fn h(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    hex::decode(digits).expect("test vector is hex")
}

/// The record's `encrypted_record`, after checking its outer header.
pub(crate) fn fragment(record: &str) -> Vec<u8> {
    let bytes = h(record);
    assert_eq!(&bytes[..3], &[23, 3, 3], "application_data, legacy 0x0303");
    assert_eq!(
        usize::from(u16::from_be_bytes([bytes[3], bytes[4]])),
        bytes.len() - 5
    );
    bytes[5..].to_vec()
}

/// A traffic key and IV as the RFC prints them.
pub(crate) fn keys(key: &str, iv: &str) -> TrafficKeys {
    TrafficKeys {
        key: h(key),
        iv: h(iv).try_into().unwrap(),
    }
}

/// TLS_AES_128_GCM_SHA256, the suite of every RFC 8448 trace.
pub(crate) fn suite() -> &'static Tls13CipherSuite {
    Tls13CipherSuite::find(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap()
}

/// A trace's application traffic secrets and exporter master secret
/// (RFC 8446 §7.1), and the traffic key and IV of each direction (§7.3).
pub(crate) struct ApplicationTrace {
    pub(crate) client_traffic: &'static str,
    pub(crate) server_traffic: &'static str,
    pub(crate) exporter: &'static str,
    pub(crate) client_keys: [&'static str; 2],
    pub(crate) server_keys: [&'static str; 2],
}

/// Derives the application secrets over the transcript hash through the
/// server's Finished and checks them, and each direction's traffic keys,
/// against `trace`; returns the client's and the server's traffic secret.
pub(crate) fn check_application_secrets(
    schedule: &KeySchedule,
    server_finished_hash: &[u8],
    trace: &ApplicationTrace,
) -> (Vec<u8>, Vec<u8>) {
    let suite = suite();
    let client = schedule.derive(SecretKind::ClientApplicationTraffic, server_finished_hash);
    let server = schedule.derive(SecretKind::ServerApplicationTraffic, server_finished_hash);
    assert_eq!(client, h(trace.client_traffic));
    assert_eq!(server, h(trace.server_traffic));
    assert_eq!(
        schedule.derive(SecretKind::ExporterMaster, server_finished_hash),
        h(trace.exporter)
    );
    for (secret, [key, iv]) in [(&server, trace.server_keys), (&client, trace.client_keys)] {
        assert_eq!(
            TrafficKeys::derive(suite.hash, suite.bulk, secret),
            keys(key, iv)
        );
    }
    (client, server)
}
