//! Properties: random compatible configurations over randomly chunked
//! transports agree on the master secret; arbitrary bytes never panic.

use std::sync::OnceLock;

use proptest::prelude::*;
use tlsim_sim::{Instant, NullTracer, RngStream};
use tlsim_test_support::{LeafKey, Pair, Pki, client_config, pki, server_config};
use tlsim_tls::conn::EventContext;
use tlsim_tls::crypto::suites::suite_by_value;
use tlsim_tls_client::ClientConnection;
use tlsim_tls_server::ServerConnection;

fn ecdsa_pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| pki(LeafKey::Ecdsa))
}

fn rsa_pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| pki(LeafKey::Rsa))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn compatible_configs_over_any_chunking_agree_on_the_master_secret(
        rsa in any::<bool>(),
        version in 0x0301u16..=0x0303,
        suites in proptest::sample::subsequence(vec![0xc02bu16, 0xc023, 0xc009, 0xc013, 0xc027, 0xc02f], 1..=6),
        groups in proptest::sample::subsequence(vec![23u16, 29], 1..=2),
        ems in any::<bool>(),
        chunks in proptest::collection::vec(1usize..300, 1..16),
        seed in any::<u64>(),
    ) {
        let pki = if rsa { rsa_pki() } else { ecdsa_pki() };
        // RFC 8422 §5.3: an ECDSA suite needs the certificate's curve,
        // secp256r1 (23), among the client's groups.
        let usable = suites.iter().any(|&s| {
            let p = suite_by_value(s).unwrap();
            p.supports_version(version)
                && match p.authentication {
                    tlsim_tls::crypto::suites::Authentication::Rsa => rsa,
                    tlsim_tls::crypto::suites::Authentication::Ecdsa => {
                        !rsa && groups.contains(&23)
                    }
                }
        });
        prop_assume!(usable);
        let mut client = client_config(pki);
        client.max_version = tlsim_tls::enums::ProtocolVersion::from(version);
        client.cipher_suites = suites.into_iter().map(tlsim_tls::enums::CipherSuite::from).collect();
        client.groups = groups.into_iter().map(tlsim_tls::enums::NamedGroup::from).collect();
        client.extended_master_secret = ems;
        let mut pair = Pair::with_seed(client, server_config(pki), seed);
        let mut i = 0;
        pair.chunked(move |_| {
            i += 1;
            chunks[i % chunks.len()]
        });
        pair.handshake();
        pair.assert_complete();
        let lines = pair.client.keylog_lines();
        prop_assert_eq!(lines.len(), 1);
        prop_assert_eq!(lines, pair.server.keylog_lines());
    }

    #[test]
    fn arbitrary_bytes_never_panic_either_side(
        first in proptest::collection::vec(any::<u8>(), 0..600),
        second in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let pki = ecdsa_pki();
        let ctx = EventContext::default();
        let mut server = ServerConnection::new(
            std::sync::Arc::new(server_config(pki)),
            RngStream::new(1, "server"),
            ctx.clone(),
        );
        let mut client = ClientConnection::new(
            std::sync::Arc::new(client_config(pki)),
            RngStream::new(1, "client"),
            ctx,
        );
        let mut log = Vec::new();
        client.start(Instant::ZERO, &mut NullTracer);
        for bytes in [&first, &second] {
            server.handle_bytes(Instant::ZERO, bytes, &mut log);
            client.handle_bytes(Instant::ZERO, bytes, &mut log);
        }
        let mut out = Vec::new();
        let _ = server.write_tls(&mut out);
        let _ = client.write_tls(&mut out);
    }

    #[test]
    fn mutated_handshake_bytes_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        to_server in any::<bool>(),
    ) {
        let pki = ecdsa_pki();
        let mut pair = Pair::new(client_config(pki), server_config(pki));
        let mut flips = Some(flips);
        pair.tamper(move |direction, bytes| {
            let wanted = if to_server {
                tlsim_test_support::Direction::ToServer
            } else {
                tlsim_test_support::Direction::ToClient
            };
            if direction == wanted {
                if let Some(flips) = flips.take() {
                    for (at, value) in flips {
                        let i = at.index(bytes.len());
                        bytes[i] = value;
                    }
                }
            }
        });
        pair.handshake();
    }
}
