//! TLS 1.3 in a conversation: key shares this end makes, the key schedule
//! of `tlsim_tls` run over what was actually exchanged, and the record
//! protection it switches, so a script can read the peer's encrypted
//! handshake and send its own.
//!
//! Read first: RFC 8446 §4.2.8 (key_share), §7.1 (the key schedule), §7.3
//! (traffic keys), §4.4.3 (CertificateVerify), §4.4.4 (Finished), §4.6.3
//! (KeyUpdate), §5.2 (protected records).
//!
//! The keys switch where RFC 8446 §2 draws them: both ways to the
//! handshake keys at the Server Hello; the server's writing to its
//! application keys after its Finished, and the client's reading after
//! receiving it; the client's writing after its own Finished, and the
//! server's reading after receiving it.

use tlsim_sim::{Instant, Tracer};
use tlsim_tls::codec::{Codec, hex};
use tlsim_tls::conn::{Direction, Tls13Secrets, check_verify_data};
use tlsim_tls::crypto::cipher::tls13::{Tls13Decrypter, Tls13Encrypter, Tls13Protection};
use tlsim_tls::crypto::cipher::{CbcDirection, Side};
use tlsim_tls::crypto::key_schedule::Tls13CipherSuite;
use tlsim_tls::crypto::kx::KxGroup;
use tlsim_tls::crypto::sign;
use tlsim_tls::enums::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};
use tlsim_tls::msgs::tls13::{
    Certificate13, CertificateVerify, ClientKeyShares, ClientSupportedVersions, KeyShareEntry,
    ServerSupportedVersion, Tls13Extension, Tls13Message, certificate_verify_content,
};
use tlsim_tls::msgs::{ClientExtension, ClientHello, ServerHello};

use super::{Script, Unmet};
use crate::build::{WireExtension, put_extension_block};
use crate::language::{Hex, RawExtension};

/// The TLS 1.3 keys of a conversation whose hellos chose TLS 1.3 with a
/// key share this end made.
pub(super) struct Tls13Keys {
    secrets: Tls13Secrets,
    pub(super) write: Tls13Encrypter,
    pub(super) read: Tls13Decrypter,
    /// `N` of this end's `application_traffic_secret_N`.
    write_generation: u64,
    /// `N` of the peer's.
    read_generation: u64,
}

/// A key change that takes effect once a sent message's records are out.
pub(super) enum KeyChange {
    /// The Server Hello went out: the handshake keys, from this (EC)DHE
    /// shared secret.
    Handshake(Vec<u8>),
    /// This end's Finished went out: its application keys.
    Finished,
    /// This end's KeyUpdate went out: its next application keys.
    Update,
}

/// The key shares a Client Hello received offers (RFC 8446 §4.2.8).
pub(super) fn client_key_shares(hello: &ClientHello) -> Vec<KeyShareEntry> {
    match ClientKeyShares::find_in_client_hello(hello) {
        Some(Ok(shares)) => shares.0,
        _ => Vec::new(),
    }
}

/// The TLS 1.3 key exchange group of a code point.
fn kx_group(group: u16) -> Result<KxGroup, Unmet> {
    KxGroup::from_named_curve(NamedGroup::from(group)).ok_or_else(|| {
        Unmet::new(
            "a group tlsim makes key shares on (23, 24 or 29)",
            format!("group {group}"),
        )
    })
}

/// Whether `extensions` has one of type `typ`.
fn has_extension(extensions: &[WireExtension], typ: ExtensionType) -> bool {
    extensions.iter().any(|e| e.typ == typ.get())
}

impl Script {
    /// Whether the hellos chose TLS 1.3 and this end holds its keys.
    pub(super) fn speaks_tls13(&self) -> bool {
        self.tls13.is_some()
    }

    /// RFC 8446 §4.2.8: a key pair on each of `groups`, offered in a
    /// key_share extension added to `extensions`, with supported_versions
    /// (§4.2.1) and signature_algorithms (§4.2.3, which a client offering
    /// TLS 1.3 "MUST send") unless they are there.
    pub(super) fn offer_key_shares(
        &mut self,
        groups: &[u16],
        extensions: &mut Vec<WireExtension>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        let pinned = self.client_profile().pins.ephemeral_private_key.clone();
        let mut entries = Vec::new();
        self.exchange.own_shares.clear();
        for &group in groups {
            let (secret, public) =
                self.ephemeral_key(kx_group(group)?, pinned.as_deref(), now, tracer)?;
            entries.push(KeyShareEntry {
                group: secret.group().named_curve(),
                key_exchange: public,
            });
            self.exchange.own_shares.push(secret);
        }
        if !has_extension(extensions, ExtensionType::SupportedVersions) {
            // TLS 1.3 alone: a probe of TLS 1.3 must not end in TLS 1.2.
            let versions = vec![ProtocolVersion::Tls13];
            extensions.push(WireExtension::from_typed(
                &ClientSupportedVersions(versions).to_client_extension(),
            ));
        }
        if !has_extension(extensions, ExtensionType::SignatureAlgorithms) {
            extensions.push(WireExtension::from_typed(
                &ClientExtension::SignatureAlgorithms(vec![
                    SignatureScheme::EcdsaSecp256r1Sha256,
                    SignatureScheme::RsaPssRsaeSha256,
                ]),
            ));
        }
        extensions.push(WireExtension::from_typed(
            &ClientKeyShares(entries).to_client_extension(),
        ));
        Ok(())
    }

    /// RFC 8446 §4.1.3, §4.2.8: a TLS 1.3 Server Hello answering the
    /// client's share on `group` with one of this end's: its suite and
    /// extensions (supported_versions, key_share), and the shared secret
    /// from which the handshake keys come once it is sent.
    pub(super) fn answer_key_share(
        &mut self,
        group: u16,
        cipher_suite: Option<u16>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(u16, Vec<WireExtension>), Unmet> {
        let config = self.server_profile("Server Hello")?;
        let kx = kx_group(group)?;
        let client_public = self
            .exchange
            .client_shares
            .iter()
            .find(|s| s.group == kx.named_curve())
            .map(|s| s.key_exchange.clone())
            .ok_or_else(|| {
                Unmet::new(
                    format!("a client key share on group {group}"),
                    "none in the Client Hello",
                )
            })?;
        let suite = match cipher_suite {
            Some(s) => s,
            None => config
                .cipher_suites
                .iter()
                .map(|s| s.get())
                .find(|s| {
                    Tls13CipherSuite::find(CipherSuite::from(*s)).is_some()
                        && self.exchange.client_suites.contains(s)
                })
                .ok_or_else(|| {
                    Unmet::new(
                        "a TLS 1.3 suite of the profile that the client offered",
                        "none",
                    )
                })?,
        };
        let (secret, public) = self.ephemeral_key(
            kx,
            config.pins.ephemeral_private_key.as_deref(),
            now,
            tracer,
        )?;
        let shared = self.shared_secret(&secret, &client_public, now, tracer)?;
        self.key_change = Some(KeyChange::Handshake(shared));
        let extensions = vec![
            WireExtension::from_typed(
                &ServerSupportedVersion(ProtocolVersion::Tls13).to_server_extension(),
            ),
            WireExtension::from_typed(
                &KeyShareEntry {
                    group: kx.named_curve(),
                    key_exchange: public,
                }
                .to_server_extension(),
            ),
        ];
        Ok((suite, extensions))
    }

    /// RFC 8446 §4.2.8: this end's secret with the peer's share, logged.
    fn shared_secret(
        &mut self,
        secret: &tlsim_tls::crypto::kx::EphemeralSecret,
        peer_public: &[u8],
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Vec<u8>, Unmet> {
        let shared = secret
            .agree(peer_public)
            .map_err(|e| Unmet::new("a usable peer key share", e.to_string()))?;
        let (title, peer) = match self.side {
            Side::Client => ("Client: Shared Secret", "Server Public Key"),
            Side::Server => ("Server: Shared Secret", "Client Public Key"),
        };
        self.core.ctx.action(now, tracer, title, |e| {
            e.field("Group", secret.group().name())
                .field(peer, hex(peer_public))
                .field("Shared Secret", hex(&shared))
                .explain(
                    "This end combines its private key with the peer's key share (RFC 8446 \
                     §4.2.8): the peer computes the same secret, from which the TLS 1.3 key \
                     schedule starts.",
                )
        });
        Ok(shared)
    }

    /// A client's side of RFC 8446 §4.1.3: a Server Hello (already in the
    /// transcript) that chose TLS 1.3 with a share on a group this end
    /// offered starts the key schedule. The problem with it, if any; a
    /// hello that does not choose TLS 1.3, or a script that made no share,
    /// is left to the TLS 1.2 path.
    pub(super) fn take_server_share(
        &mut self,
        hello: &ServerHello,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Option<String> {
        let chose_tls13 = matches!(
            ServerSupportedVersion::find_in_server_hello(hello),
            Some(Ok(ServerSupportedVersion(ProtocolVersion::Tls13)))
        );
        if self.exchange.own_shares.is_empty() || !chose_tls13 || hello.is_hello_retry_request() {
            return None;
        }
        let share = match KeyShareEntry::find_in_server_hello(hello) {
            Some(Ok(share)) => share,
            Some(Err(e)) => return Some(format!("key_share: {e}")),
            None => return Some("no key_share".to_owned()),
        };
        let shares = std::mem::take(&mut self.exchange.own_shares);
        let Some(secret) = shares
            .iter()
            .find(|s| s.group().named_curve() == share.group)
        else {
            return Some(format!("a key share on {}, not offered", share.group));
        };
        self.log_received(now, tracer);
        let started = self
            .shared_secret(secret, &share.key_exchange, now, tracer)
            .and_then(|shared| self.start_tls13(&shared, now, tracer));
        started.err().map(|unmet| unmet.observed)
    }

    /// RFC 8446 §7.1: the handshake secrets from `shared` over the
    /// transcript through the Server Hello, and both directions switched
    /// to the handshake traffic keys.
    fn start_tls13(
        &mut self,
        shared: &[u8],
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        let suite = self
            .exchange
            .suite
            .and_then(|s| Tls13CipherSuite::find(CipherSuite::from(s)))
            .ok_or_else(|| Unmet::new("a TLS 1.3 cipher suite", "another suite"))?;
        let client_random = self
            .exchange
            .client_random
            .ok_or_else(|| Unmet::new("a 32-byte client random", "a Client Hello without one"))?;
        self.exchange.version = Some(ProtocolVersion::Tls13.get());
        let secrets = self
            .core
            .tls13_handshake_secrets(now, tracer, suite, client_random, shared);
        let (client, server) = (
            secrets.client_handshake.clone(),
            secrets.server_handshake.clone(),
        );
        let (own, peer) = self.by_side(&client, &server);
        let write = self.protection(suite, own, self.own_title(Phase::Handshake), now, tracer)?;
        let read = self.protection(suite, peer, self.peer_title(Phase::Handshake), now, tracer)?;
        self.tls13 = Some(Tls13Keys {
            secrets,
            write,
            read,
            write_generation: 0,
            read_generation: 0,
        });
        Ok(())
    }

    /// `(this end's, the peer's)` of a client's and a server's value.
    fn by_side<'a, T: ?Sized>(&self, client: &'a T, server: &'a T) -> (&'a T, &'a T) {
        match self.side {
            Side::Client => (client, server),
            Side::Server => (server, client),
        }
    }

    fn own_title(&self, phase: Phase) -> &'static str {
        traffic_title(self.side, phase)
    }

    fn peer_title(&self, phase: Phase) -> &'static str {
        traffic_title(self.peer_side(), phase)
    }

    fn peer_side(&self) -> Side {
        match self.side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    /// One direction's record protection under `secret` (RFC 8446 §7.3):
    /// an encrypter or a decrypter, as the caller's type asks.
    fn protection<D: CbcDirection>(
        &self,
        suite: &'static Tls13CipherSuite,
        secret: &[u8],
        title: &'static str,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Tls13Protection<D>, Unmet> {
        let keys = self
            .core
            .tls13_traffic_keys(now, tracer, suite, secret, title);
        Tls13Protection::new(suite.bulk, &keys)
            .map_err(|e| Unmet::new("traffic keys for the suite", e.to_string()))
    }

    /// RFC 8446 §4.4.4: the `verify_data` of this end's Finished over the
    /// transcript so far.
    pub(super) fn tls13_verify_data(&mut self, now: Instant, tracer: &mut dyn Tracer) -> Vec<u8> {
        let keys = self
            .tls13
            .as_ref()
            .expect("called only when speaking TLS 1.3");
        let base = match self.side {
            Side::Client => &keys.secrets.client_handshake,
            Side::Server => &keys.secrets.server_handshake,
        };
        let title = match self.side {
            Side::Client => "Client Finished",
            Side::Server => "Server Finished",
        };
        self.core.tls13_finished(
            now,
            tracer,
            &keys.secrets,
            base,
            self.core.transcript.all(),
            title,
        )
    }

    /// RFC 8446 §4.4.4: the peer's Finished against the transcript before
    /// it; the problem, if any.
    pub(super) fn check_tls13_finished(
        &mut self,
        received: &[u8],
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Option<String> {
        self.log_received(now, tracer);
        let keys = self.tls13.as_ref()?;
        let base = match self.side {
            Side::Client => &keys.secrets.server_handshake,
            Side::Server => &keys.secrets.client_handshake,
        };
        let expected = self.core.tls13_finished(
            now,
            tracer,
            &keys.secrets,
            base,
            self.core.transcript.all(),
            "Verify Finished",
        );
        check_verify_data(&expected, received)
            .err()
            .map(|_| "verify_data does not match".to_owned())
    }

    /// What a TLS 1.3 message received (already in the transcript)
    /// changes: the server's Finished brings the application secrets and
    /// the client's reading under them, the client's Finished the server's
    /// reading, a KeyUpdate the peer's next keys.
    pub(super) fn after_tls13_message(
        &mut self,
        message: &Tls13Message,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        match (message, self.side) {
            (Tls13Message::Finished(_), Side::Client) => {
                self.application_secrets(now, tracer);
                self.switch_to_application(Direction::Read, now, tracer)
            }
            (Tls13Message::Finished(_), Side::Server) => {
                self.switch_to_application(Direction::Read, now, tracer)
            }
            (Tls13Message::KeyUpdate(_), _) => self.roll(Direction::Read, now, tracer),
            _ => Ok(()),
        }
    }

    /// RFC 8446 §7.1: the master secret and the application traffic
    /// secrets over the transcript through the server's Finished.
    fn application_secrets(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if let Some(mut keys) = self.tls13.take() {
            self.core
                .tls13_application_secrets(now, tracer, &mut keys.secrets);
            self.tls13 = Some(keys);
        }
    }

    /// RFC 8446 §7.3: one direction to the application traffic keys, from
    /// this end's secret for writing and the peer's for reading.
    fn switch_to_application(
        &mut self,
        direction: Direction,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        let Some(mut keys) = self.tls13.take() else {
            return Ok(());
        };
        let owner = match direction {
            Direction::Write => self.side,
            Direction::Read => self.peer_side(),
        };
        let secret = match owner {
            Side::Client => keys.secrets.client_application.clone(),
            Side::Server => keys.secrets.server_application.clone(),
        };
        let title = traffic_title(owner, Phase::Application);
        let result = self.install(&mut keys, direction, &secret, title, now, tracer);
        self.tls13 = Some(keys);
        result
    }

    /// Puts the traffic keys of `secret` in place for `direction`.
    fn install(
        &self,
        keys: &mut Tls13Keys,
        direction: Direction,
        secret: &[u8],
        title: &'static str,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        let suite = keys.secrets.suite;
        match direction {
            Direction::Write => keys.write = self.protection(suite, secret, title, now, tracer)?,
            Direction::Read => keys.read = self.protection(suite, secret, title, now, tracer)?,
        }
        Ok(())
    }

    /// The key change a sent message asked for, now that its records are
    /// out.
    pub(super) fn apply_key_change(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        match self.key_change.take() {
            None => Ok(()),
            Some(KeyChange::Handshake(shared)) => self.start_tls13(&shared, now, tracer),
            Some(KeyChange::Finished) => {
                if self.side == Side::Server {
                    self.application_secrets(now, tracer);
                }
                self.switch_to_application(Direction::Write, now, tracer)
            }
            Some(KeyChange::Update) => self.roll(Direction::Write, now, tracer),
        }
    }

    /// RFC 8446 §7.2: one direction to its next application traffic
    /// secret.
    fn roll(
        &mut self,
        direction: Direction,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<(), Unmet> {
        let Some(mut keys) = self.tls13.take() else {
            return Ok(());
        };
        let (owner, generation) = match direction {
            Direction::Write => (self.side, &mut keys.write_generation),
            Direction::Read => (self.peer_side(), &mut keys.read_generation),
        };
        let next = self.core.tls13_next_application_secret(
            now,
            tracer,
            &mut keys.secrets,
            owner,
            *generation,
        );
        *generation += 1;
        let title = traffic_title(owner, Phase::Updated);
        let result = self.install(&mut keys, direction, &next, title, now, tracer);
        self.tls13 = Some(keys);
        result
    }

    /// RFC 8446 §4.6.3: a KeyUpdate with `request_update` as given; once
    /// sent, this end writes under its next keys.
    pub(super) fn key_update(&mut self, request_update: u8) -> Vec<u8> {
        if self.speaks_tls13() {
            self.key_change = Some(KeyChange::Update);
        }
        crate::build::handshake(24, &[request_update], None)
    }

    /// RFC 8446 §4.3.1: EncryptedExtensions with `extensions`.
    pub(super) fn encrypted_extensions(extensions: &[RawExtension]) -> Vec<u8> {
        let wire: Vec<WireExtension> = extensions.iter().map(WireExtension::from_raw).collect();
        let mut body = Vec::new();
        put_extension_block(&wire, None, &mut body);
        crate::build::handshake(8, &body, None)
    }

    /// RFC 8446 §4.4.2: a Certificate of `chain` in the TLS 1.3 form.
    pub(super) fn certificate13(chain: &[Vec<u8>]) -> Vec<u8> {
        Tls13Message::Certificate(Certificate13::from_chain(chain)).to_bytes()
    }

    /// RFC 8446 §4.4.3: the server's signature over the transcript hash
    /// with the profile's key, its first byte on XORed with
    /// `signature_xor`.
    pub(super) fn certificate_verify(
        &mut self,
        scheme: Option<u16>,
        signature_xor: Option<&Hex>,
        now: Instant,
        tracer: &mut dyn Tracer,
    ) -> Result<Vec<u8>, Unmet> {
        let config = self.server_profile("Certificate Verify")?;
        let keys = self.tls13.as_ref().ok_or_else(|| {
            Unmet::new(
                "TLS 1.3 handshake keys (a Server Hello with a key share) first",
                "none",
            )
        })?;
        let key_type = config.signing_key.key_type();
        let scheme = match scheme {
            Some(code) => sign::SignatureScheme::from_code_point(SignatureScheme::from(code))
                .ok_or_else(|| {
                    Unmet::new(
                        "a signature scheme tlsim signs with",
                        format!("{code:#06x}"),
                    )
                })?,
            None => [
                sign::SignatureScheme::EcdsaSha256,
                sign::SignatureScheme::EcdsaSha384,
                sign::SignatureScheme::RsaPssSha256,
            ]
            .into_iter()
            .find(|s| s.signs_tls13_with(key_type))
            .ok_or_else(|| Unmet::new("a key that signs in TLS 1.3", "none"))?,
        };
        let code_point = scheme
            .code_point()
            .ok_or_else(|| Unmet::new("a scheme with a code point", scheme.name()))?;
        let transcript_hash = keys.secrets.suite.hash.hash(self.core.transcript.all());
        let content = certificate_verify_content(Side::Server, &transcript_hash);
        let mut signature = config
            .signing_key
            .sign(scheme, &content, &mut self.core.rng)
            .map_err(|e| Unmet::new("a key that signs", e.to_string()))?;
        if let Some(mask) = signature_xor {
            signature.iter_mut().zip(&mask.0).for_each(|(b, m)| *b ^= m);
        }
        self.core
            .ctx
            .action(now, tracer, "Sign the Certificate Verify", |e| {
                e.field("Signature Scheme", code_point)
                    .field("Transcript Hash", hex(&transcript_hash))
                    .field("Signature", hex(&signature))
                    .explain(
                        "The server signs 64 spaces, its context string and the transcript \
                         hash with its certificate's key (RFC 8446 §4.4.3), proving it holds \
                         that key.",
                    )
            });
        Ok(Tls13Message::CertificateVerify(CertificateVerify {
            scheme: code_point,
            signature,
        })
        .to_bytes())
    }
}

/// Which traffic secret a key event's keys come from.
#[derive(Clone, Copy)]
enum Phase {
    Handshake,
    Application,
    /// After a KeyUpdate.
    Updated,
}

/// The title of a traffic key event, as the actors write it.
fn traffic_title(owner: Side, phase: Phase) -> &'static str {
    match (owner, phase) {
        (Side::Client, Phase::Handshake) => "Client handshake traffic keys",
        (Side::Server, Phase::Handshake) => "Server handshake traffic keys",
        (Side::Client, Phase::Application) => "Client application traffic keys",
        (Side::Server, Phase::Application) => "Server application traffic keys",
        (Side::Client, Phase::Updated) => "Updated client application traffic keys",
        (Side::Server, Phase::Updated) => "Updated server application traffic keys",
    }
}
