//! The test PKI: a root, an intermediate and a `www.google.com` leaf, as in
//! the documented flow, generated from a seed; and configurations that use
//! it.

use std::sync::Arc;

use tlsim_tls::cert::DistinguishedName;
use tlsim_tls::cert::testing::TestPki;
use tlsim_tls::crypto::sign::SigningKey;
use tlsim_tls_client::{ClientCertificate, ClientConfig};
use tlsim_tls_server::{ClientAuth, ClientAuthPolicy, ServerConfig};

pub use tlsim_tls::cert::testing::{LeafKey, NOT_AFTER, NOT_BEFORE, NOW, SERVER_NAME};

/// A chain for `www.google.com` and the leaf's key.
pub struct Pki {
    /// The root's DER, the client's trust anchor.
    pub root: Vec<u8>,
    /// Leaf, intermediate and root DER, in the order the server sends them.
    pub chain: Vec<Vec<u8>>,
    /// The leaf's private key.
    pub key: Arc<SigningKey>,
}

/// The standard chain (seed 7, valid from [`NOT_BEFORE`] to [`NOT_AFTER`]).
pub fn pki(leaf: LeafKey) -> Pki {
    pki_with(leaf, (NOT_BEFORE, NOT_AFTER), 7)
}

/// A chain whose leaf is valid during `validity` (Unix seconds); `seed`
/// picks the keys. The certificates come from
/// [`TestPki::generate`](tlsim_tls::cert::testing::TestPki::generate), with
/// a short leaf name.
pub fn pki_with(leaf: LeafKey, validity: (u64, u64), seed: u64) -> Pki {
    let name = DistinguishedName::simple(SERVER_NAME, Some("Google Inc"), Some("US"));
    let generated = TestPki::generate(seed, leaf, name, validity);
    Pki {
        root: generated.root.der.clone(),
        chain: generated
            .chain()
            .into_iter()
            .map(|certificate| certificate.der)
            .collect(),
        key: Arc::new(generated.leaf_key),
    }
}

/// A client that trusts `pki`'s root, asks for [`SERVER_NAME`] and reads the
/// time as [`NOW`]; everything else is the default.
pub fn client_config(pki: &Pki) -> ClientConfig {
    ClientConfig {
        server_name: Some(SERVER_NAME.into()),
        trust_anchors: vec![pki.root.clone()].into(),
        now_unix: NOW,
        ..ClientConfig::default()
    }
}

/// A server with `pki`'s chain and key; everything else is the default.
pub fn server_config(pki: &Pki) -> ServerConfig {
    ServerConfig::new(pki.chain.clone(), pki.key.clone())
}

/// The name a client certificate is issued to.
pub const CLIENT_NAME: &str = "client.test";

/// A client's chain (leaf and intermediate, under a root of its own drawn
/// from `seed`) and that root, which a server must trust to accept it.
pub fn client_pki(leaf: LeafKey, seed: u64) -> (ClientCertificate, Vec<u8>) {
    let name = DistinguishedName::simple(CLIENT_NAME, Some("tlsim"), Some("NL"));
    let generated = TestPki::generate(seed, leaf, name, (NOT_BEFORE, NOT_AFTER));
    let root = generated.root.der.clone();
    let certificate = ClientCertificate {
        chain: (generated.chain().into_iter())
            .take(2)
            .map(|certificate| certificate.der)
            .collect(),
        signing_key: Arc::new(generated.leaf_key),
    };
    (certificate, root)
}

/// A server with `pki`'s chain that asks for a client certificate with
/// `policy`, trusting `client_root` and reading the time as [`NOW`].
pub fn server_config_asking(
    pki: &Pki,
    policy: ClientAuthPolicy,
    client_root: &[u8],
) -> ServerConfig {
    ServerConfig {
        client_auth: ClientAuth {
            policy,
            trust_anchors: vec![client_root.to_vec()].into(),
            now_unix: NOW,
        },
        ..server_config(pki)
    }
}
