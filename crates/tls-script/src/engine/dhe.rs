//! Finite-field DHE in a conversation: the server's signed
//! `ServerDHParams` on an RFC 7919 group (or any `p`, `g` and `dh_Ys` a
//! probe writes instead), and the client's `dh_Yc`.
//!
//! Read first: RFC 5246 §7.4.3 (ServerDHParams), §7.4.7.2 (the client's
//! public value), §8.1.2 (the pre-master secret); RFC 7919 §3 and §5.1
//! (which groups, and 1 < Y < p - 1).

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::{Codec, hex};
use tlsim_tls::crypto::ffdhe::{FfdheGroup, GENERATOR};
use tlsim_tls::enums::{NamedGroup, ProtocolVersion};
use tlsim_tls::msgs::{ClientDhPublic, DheServerKeyExchange, HandshakeMessage, ServerDhParams};

use super::{Script, Unmet};
use crate::language::Hex;

/// The DHE values a Server Key Exchange writes (and signs) instead of
/// the real ones.
pub(super) struct DhValues<'a> {
    /// `dh_p`.
    pub(super) p: Option<&'a Hex>,
    /// `dh_g`.
    pub(super) g: Option<&'a Hex>,
    /// `dh_Ys`.
    pub(super) public: Option<&'a Hex>,
}

impl Script {
    /// RFC 5246 §7.4.3: a fresh DH key in an RFC 7919 group, its
    /// `ServerDHParams` (with any value of `dh` in place of the real one)
    /// signed with the profile's key over both randoms.
    pub(super) fn dhe_server_key_exchange(
        &mut self,
        group: Option<u16>,
        dh: &DhValues<'_>,
        signature_xor: Option<&Hex>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Vec<u8>, Unmet> {
        let config = self.server_profile("Server Key Exchange")?;
        let offered = self.exchange.client_groups.clone().unwrap_or_default();
        let group = match group {
            Some(g) => FfdheGroup::from_named_group(NamedGroup::from(g)).ok_or_else(|| {
                Unmet::new(
                    "an RFC 7919 group tlsim runs (256 or 257)",
                    format!("group {g}"),
                )
            })?,
            // RFC 7919 §4: the server's first group the client offered;
            // a client that offered none takes ffdhe2048.
            None => FfdheGroup::ALL
                .into_iter()
                .find(|g| offered.contains(&g.named_group().get()))
                .unwrap_or(FfdheGroup::Ffdhe2048),
        };
        let (secret, public) = self
            .core
            .dh_key(group, config.pins.ephemeral_private_key.as_deref())
            .map_err(|e| Unmet::new("a usable pinned exponent", e.to_string()))?;
        let params = ServerDhParams {
            p: dh.p.map_or_else(|| group.prime_bytes(), |p| p.0.clone()),
            g: dh.g.map_or_else(|| vec![GENERATOR], |g| g.0.clone()),
            public: dh.public.map_or(public, |y| y.0.clone()),
        };
        self.core
            .ctx
            .action(now, tracer, "Server: Setup Diffie-Hellman", |e| {
                e.field("Group", group.name())
                    .field("Prime (p)", hex(&params.p))
                    .field("Generator (g)", hex(&params.g))
                    .field("Server Private Key", hex(secret.private_bytes()))
                    .field("Server Public Key", hex(&params.public))
                    .explain(
                        "The server takes a group (RFC 7919): a safe prime p and the generator \
                         2. Its private key is a random exponent x, and its public key is \
                         g^x mod p; a probe may write other values.",
                    )
            });
        let signed = self.sign_server_params(&params.to_bytes(), signature_xor)?;
        self.exchange.own_dh = Some(secret);
        let ske = DheServerKeyExchange { params, signed };
        Ok(HandshakeMessage::ServerKeyExchange(ske.to_bytes()).to_bytes())
    }

    /// A client's reading of a DHE Server Key Exchange: its group, which
    /// must be an RFC 7919 one (RFC 7919 §3), and its public value, kept
    /// for the Client Key Exchange. The script does not check the value's
    /// range: a probe goes on whatever the peer sends.
    pub(super) fn take_server_dh(&mut self, body: &[u8]) -> Result<(), String> {
        let version = ProtocolVersion::from(self.exchange.version.unwrap_or(0x0303));
        let ske = DheServerKeyExchange::from_body(body, version).map_err(|e| e.to_string())?;
        let group = FfdheGroup::from_params(&ske.params.p, &ske.params.g)
            .ok_or("p and g of no RFC 7919 group")?;
        self.exchange.peer_dh = Some((group, ske.params.public));
        Ok(())
    }

    /// RFC 5246 §7.4.7.2: this end's key in the server's group, the
    /// pre-master secret `Z` with the server's value (§8.1.2), and the
    /// message carrying `dh_Yc` (or `public_override`).
    pub(super) fn dhe_client_key_exchange(
        &mut self,
        group: FfdheGroup,
        server_public: &[u8],
        public_override: Option<&[u8]>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(Vec<u8>, Vec<u8>), Unmet> {
        let pinned = self.client_profile().pins.ephemeral_private_key.clone();
        let (secret, public) = self
            .core
            .dh_key(group, pinned.as_deref())
            .map_err(|e| Unmet::new("a usable pinned exponent", e.to_string()))?;
        // The explanation is the event vocabulary's (`explain::action`).
        self.core
            .ctx
            .action(now, tracer, "Client: Setup Diffie-Hellman", |e| {
                e.field("Group", group.name())
                    .field("Client Private Key", hex(secret.private_bytes()))
                    .field("Client Public Key", hex(&public))
            });
        let pre_master = secret
            .agree(server_public)
            .map_err(|e| Unmet::new("a usable server public value", e.to_string()))?;
        let public = public_override.map_or(public, <[u8]>::to_vec);
        let message =
            HandshakeMessage::ClientKeyExchange(ClientDhPublic { public }.to_bytes()).to_bytes();
        Ok((pre_master, message))
    }

    /// A server's reading of a DHE Client Key Exchange: the pre-master
    /// secret with the client's `dh_Yc`.
    pub(super) fn take_client_dh(&mut self, body: &[u8]) -> Result<Vec<u8>, String> {
        let public = ClientDhPublic::from_bytes(body).map_err(|e| e.to_string())?;
        let secret = self
            .exchange
            .own_dh
            .as_ref()
            .ok_or("no Server Key Exchange was sent")?;
        secret
            .agree(&public.public)
            .map_err(|e| format!("unusable public value: {e}"))
    }
}
