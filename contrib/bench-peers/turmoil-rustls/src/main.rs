//! tlsim's equal-work bench (`benches/scenarios/equal-work.ron`) done with
//! turmoil and tokio-rustls, to compare the two on the same machine.
//!
//! The work per connection is the same: a TLS 1.2 full handshake with
//! ECDHE-ECDSA-AES128-GCM-SHA256 on P-256 and the extended master secret,
//! the server sending a three-certificate chain's leaf and intermediate
//! (root → intermediate → leaf, all P-256 ECDSA) that the client verifies on
//! every connection (no resumption, no cache), 1 KiB each way, close_notify
//! and FIN both ways, 10 ms one-way latency.
//!
//! Usage: `turmoil-rustls-peer ring|rustcrypto sequential|concurrent [CONNECTIONS]`.
//! `sequential` makes one connection after another; `concurrent` keeps 100
//! in flight. It prints the wall time of `Sim::run` per connection (the
//! chain is generated before, outside the timing).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{CipherSuite, ClientConfig, NamedGroup, RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{TlsAcceptor, TlsConnector};

const PORT: u16 = 443;
const DATA_LEN: usize = 1024;
const CONCURRENCY: usize = 100;

type BoxError = Box<dyn std::error::Error>;

/// The provider named on the command line, cut down to the one suite and
/// the one group of the bench.
fn provider(name: &str) -> Arc<CryptoProvider> {
    let base = match name {
        "ring" => rustls::crypto::ring::default_provider(),
        "rustcrypto" => rustls_rustcrypto::provider(),
        other => panic!("unknown provider {other:?}: ring or rustcrypto"),
    };
    let cipher_suites: Vec<_> = base
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| s.suite() == CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
        .collect();
    let kx_groups: Vec<_> = base
        .kx_groups
        .iter()
        .copied()
        .filter(|g| g.name() == NamedGroup::secp256r1)
        .collect();
    assert!(cipher_suites.len() == 1 && kx_groups.len() == 1);
    Arc::new(CryptoProvider {
        cipher_suites,
        kx_groups,
        ..base
    })
}

/// Root → intermediate → leaf for `server.test`, all P-256 ECDSA.
struct Pki {
    root: CertificateDer<'static>,
    /// Leaf first, then the intermediate (the root is the trust anchor).
    chain: Vec<CertificateDer<'static>>,
    leaf_key: PrivatePkcs8KeyDer<'static>,
}

fn ca_params(cn: &str, constraints: BasicConstraints) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names to check");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(constraints);
    params
}

fn pki() -> Pki {
    let root_key = KeyPair::generate().expect("P-256 key");
    let root = ca_params("Bench Root", BasicConstraints::Unconstrained)
        .self_signed(&root_key)
        .expect("root certificate");
    let intermediate_key = KeyPair::generate().expect("P-256 key");
    let intermediate = ca_params("Bench Intermediate", BasicConstraints::Constrained(0))
        .signed_by(&intermediate_key, &root, &root_key)
        .expect("intermediate certificate");
    let leaf_key = KeyPair::generate().expect("P-256 key");
    let leaf = CertificateParams::new(vec!["server.test".to_owned()])
        .expect("a valid DNS name")
        .signed_by(&leaf_key, &intermediate, &intermediate_key)
        .expect("leaf certificate");
    Pki {
        root: root.der().clone(),
        chain: vec![leaf.der().clone(), intermediate.der().clone()],
        leaf_key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
    }
}

fn configs(provider: &Arc<CryptoProvider>, pki: Pki) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let mut roots = RootCertStore::empty();
    roots.add(pki.root).expect("the root parses");
    let mut client = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("the provider does TLS 1.2")
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Every connection a full handshake, its chain verified.
    client.resumption = rustls::client::Resumption::disabled();
    let mut server = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("the provider does TLS 1.2")
        .with_no_client_auth()
        .with_single_cert(pki.chain, PrivateKeyDer::Pkcs8(pki.leaf_key))
        .expect("the leaf key matches");
    server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    (Arc::new(client), Arc::new(server))
}

fn pattern() -> Vec<u8> {
    (0..DATA_LEN).map(|i| (i % 251) as u8).collect()
}

/// One connection: handshake, 1 KiB up, 1 KiB down, close_notify and FIN
/// from the client, then the server's.
async fn connection(connector: TlsConnector) -> Result<(), BoxError> {
    let tcp = turmoil::net::TcpStream::connect(("server", PORT)).await?;
    let name = ServerName::try_from("server.test")?;
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(&pattern()).await?;
    let mut response = vec![0; DATA_LEN];
    tls.read_exact(&mut response).await?;
    assert_eq!(response, pattern());
    tls.shutdown().await?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await?;
    assert!(rest.is_empty());
    Ok(())
}

async fn serve(acceptor: TlsAcceptor, tcp: turmoil::net::TcpStream) -> Result<(), BoxError> {
    let mut tls = acceptor.accept(tcp).await?;
    let mut request = vec![0; DATA_LEN];
    tls.read_exact(&mut request).await?;
    assert_eq!(request, pattern());
    tls.write_all(&pattern()).await?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await?;
    tls.shutdown().await?;
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: turmoil-rustls-peer ring|rustcrypto sequential|concurrent [CONNECTIONS]";
    let (Some(provider_name), Some(mode)) = (args.get(1), args.get(2)) else {
        panic!("{usage}");
    };
    let connections: usize = args.get(3).map_or(1000, |n| n.parse().expect(usage));
    let concurrency = match mode.as_str() {
        "sequential" => 1,
        "concurrent" => CONCURRENCY,
        _ => panic!("{usage}"),
    };
    let provider = provider(provider_name);
    let (client_config, server_config) = configs(&provider, pki());

    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_secs(24 * 3600))
        .min_message_latency(Duration::from_millis(10))
        .max_message_latency(Duration::from_millis(10))
        // The default (64 segments a host) overflows with 100 connections.
        .tcp_capacity(1 << 16)
        .build();
    sim.host("server", move || {
        let acceptor = TlsAcceptor::from(server_config.clone());
        async move {
            let listener =
                turmoil::net::TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), PORT)).await?;
            loop {
                let (tcp, _) = listener.accept().await?;
                let acceptor = acceptor.clone();
                tokio::task::spawn_local(async move {
                    serve(acceptor, tcp)
                        .await
                        .expect("the server's side completes")
                });
            }
        }
    });
    sim.client("client", async move {
        let connector = TlsConnector::from(client_config);
        let mut workers = Vec::new();
        for worker in 0..concurrency {
            let connector = connector.clone();
            // Connections are dealt round-robin to the workers.
            let share = (worker..connections).step_by(concurrency).count();
            workers.push(tokio::task::spawn_local(async move {
                for _ in 0..share {
                    connection(connector.clone())
                        .await
                        .expect("the client's side completes");
                }
            }));
        }
        for worker in workers {
            worker.await?;
        }
        Ok(())
    });
    let start = Instant::now();
    sim.run().expect("the simulation completes");
    let elapsed = start.elapsed();
    println!(
        "turmoil+rustls {provider_name} {mode}: {connections} connections, {:.1} µs per connection (Sim::run)",
        elapsed.as_secs_f64() * 1e6 / connections as f64
    );
}
