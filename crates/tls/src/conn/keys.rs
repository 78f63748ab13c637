//! The key schedule of a connection, one logged step at a time
//! (RFC 5246 §8.1, §6.3, §7.4.9; RFC 7627 §4).

use tlsim_sim::{Instant, Tracer};

use super::{Core, Input, StoredSession, crypto_error, keylog_line};
use crate::codec::hex;
use crate::crypto::cipher::{RecordDecrypter, RecordEncrypter, Side};
use crate::crypto::ffdhe::{DhSecret, FfdheGroup};
use crate::crypto::kx::{EphemeralSecret, KxGroup};
use crate::crypto::prf::{self, FinishedSender, MASTER_SECRET_LEN, VERIFY_DATA_LEN};
use crate::crypto::suites::{CipherSuiteParams, KeyExchange};
use crate::enums::{HandshakeType, ProtocolVersion};
use crate::error::Error;
use crate::msgs::{Finished, HandshakeMessage};

/// The randoms of both hellos.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Randoms {
    /// `ClientHello.random`.
    pub client: [u8; 32],
    /// `ServerHello.random`.
    pub server: [u8; 32],
}

/// What the hellos settled that the key schedule needs (part of the
/// RFC 5246 §6.1 security parameters).
#[derive(Clone, Debug)]
pub struct HelloParams {
    /// The negotiated suite.
    pub suite: &'static CipherSuiteParams,
    /// The negotiated version.
    pub version: ProtocolVersion,
    /// The hello randoms.
    pub randoms: Randoms,
    /// Whether both ends agreed to the extended master secret.
    pub extended_master_secret: bool,
    /// The session identifier the server assigned.
    pub session_id: Vec<u8>,
}

impl Core {
    /// Logs the ECDH result, derives the master secret from it (RFC 5246
    /// §8.1, or RFC 7627 §4 from the transcript so far, which must end with
    /// the ClientKeyExchange), adds the key log line and installs the keys
    /// it yields for the next ChangeCipherSpec (RFC 5246 §6.3).
    ///
    /// # Errors
    /// internal_error if the suite cannot be used with the version.
    pub fn derive_session_keys(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        side: Side,
        params: HelloParams,
        pre_master_secret: &[u8],
    ) -> Result<SessionKeys, Error> {
        let master_secret = self.derive_master_secret(now, tracer, &params, pre_master_secret);
        let keys = SessionKeys::new(params, master_secret);
        self.install_keys(now, tracer, side, &keys)?;
        Ok(keys)
    }

    /// RFC 5246 §7.3: the abbreviated handshake reuses `stored`'s master
    /// secret with the new `randoms`. Logs the resumption with `explanation`,
    /// adds the key log line and installs the keys.
    ///
    /// # Errors
    /// internal_error if the suite cannot be used with the stored version.
    #[allow(clippy::too_many_arguments)]
    pub fn resume_session_keys(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        side: Side,
        suite: &'static CipherSuiteParams,
        stored: StoredSession,
        randoms: Randoms,
        explanation: &'static str,
    ) -> Result<SessionKeys, Error> {
        self.ctx.action(now, tracer, "Resume session", |e| {
            e.field("Session ID", hex(&stored.session_id))
                .field("Cipher Suite", suite.name)
                .explain(explanation)
        });
        self.push_keylog(|| keylog_line(&randoms.client, &stored.master_secret));
        let params = HelloParams {
            suite,
            version: stored.version,
            randoms,
            extended_master_secret: stored.extended_master_secret,
            session_id: stored.session_id,
        };
        let keys = SessionKeys::new(params, stored.master_secret);
        self.install_keys(now, tracer, side, &keys)?;
        Ok(keys)
    }

    /// Logs the ECDH result and derives the master secret from it: with
    /// the extended master secret, from the hash of the transcript so far,
    /// which must end with the ClientKeyExchange (RFC 7627 §4); otherwise
    /// from the randoms (RFC 5246 §8.1). Adds the key log line.
    fn derive_master_secret(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        params: &HelloParams,
        pre_master_secret: &[u8],
    ) -> [u8; MASTER_SECRET_LEN] {
        let alg = params.suite.prf(params.version.get());
        let randoms = &params.randoms;
        let explanation = match params.suite.key_exchange {
            KeyExchange::Ecdhe => {
                "Both sides multiply their own private key by the other's public key; \
                 the x coordinate of that shared point is the pre-master secret."
            }
            KeyExchange::Dhe => {
                "Each side raises the other's public value to its own private exponent modulo \
                 the group's prime; both get g^(xy) mod p, which without its leading zero bytes \
                 is the pre-master secret."
            }
            KeyExchange::Rsa => {
                "The client chose the pre-master secret, its offered version and 46 random \
                 bytes, and sent it encrypted to the server's RSA key, which alone decrypts it."
            }
        };
        self.ctx.action(now, tracer, "Pre-master secret", |e| {
            e.field("Pre-master Secret", hex(pre_master_secret))
                .field("Length", pre_master_secret.len())
                .explain(explanation)
        });
        let (master, session_hash) = if params.extended_master_secret {
            let session_hash = alg.transcript_hash(self.transcript.all());
            (
                prf::extended_master_secret(alg, pre_master_secret, &session_hash),
                Some(session_hash),
            )
        } else {
            (
                prf::master_secret(alg, pre_master_secret, &randoms.client, &randoms.server),
                None,
            )
        };
        let derived = master;
        let master = self.pinned_master_secret.take().unwrap_or(derived);
        self.ctx.action(now, tracer, "Master secret", |e| {
            // RFC 5246 §8.1: every input of the PRF, the secret first.
            let e = e
                .field("PRF", alg.name())
                .field("Pre-master Secret", hex(pre_master_secret));
            let e = match &session_hash {
                Some(h) => e
                    .field("Label", "extended master secret")
                    .field("Session Hash", hex(h)),
                None => e
                    .field("Label", "master secret")
                    .field("Client Random", hex(&randoms.client))
                    .field("Server Random", hex(&randoms.server)),
            };
            let e = if master == derived {
                e
            } else {
                e.field("Derived Master Secret", hex(&derived))
                    .field("Pinned", "the scenario's master_secret takes its place")
            };
            e.field("Master Secret", hex(&master)).explain(
                "The PRF stretches the pre-master secret and the handshake's unique values \
                 into the 48-byte master secret both sides now share.",
            )
        });
        self.push_keylog(|| keylog_line(&randoms.client, &master));
        master
    }

    /// Cuts the key block (RFC 5246 §6.3) and sets the keys that the next
    /// ChangeCipherSpec of each direction switches to.
    fn install_keys(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        side: Side,
        keys: &SessionKeys,
    ) -> Result<(), Error> {
        let (suite, version) = (keys.suite, keys.version.get());
        let alg = suite.prf(version);
        let block = prf::key_block(
            alg,
            &keys.master_secret,
            &keys.randoms.client,
            &keys.randoms.server,
            suite.key_block_layout(version),
        );
        let peer = match side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        let mut encrypter =
            RecordEncrypter::from_key_block(suite, version, &block, side).map_err(crypto_error)?;
        let mut decrypter =
            RecordDecrypter::from_key_block(suite, version, &block, peer).map_err(crypto_error)?;
        // RFC 7366 §3: both hellos carried encrypt_then_mac (the server
        // only echoes it for a CBC suite).
        if self.encrypt_then_mac {
            encrypter = encrypter.with_encrypt_then_mac();
            decrypter = decrypter.with_encrypt_then_mac();
        }
        self.set_pending_keys(encrypter, decrypter);
        // GCM takes 4 bytes of implicit nonce from the key block; CBC takes
        // an IV only in TLS 1.0 (RFC 2246 §6.3), later versions send one per
        // record (RFC 4346 §6.2.3.2).
        let iv = |bytes: &[u8]| {
            if bytes.is_empty() {
                "none: each record carries its own IV".to_owned()
            } else {
                hex(bytes)
            }
        };
        self.ctx.action(now, tracer, "Key block", |e| {
            e.field("Cipher Suite", suite.name)
                .field("Key Block", hex(&block.key_block))
                .field("Client MAC Key", hex(&block.client_mac_key))
                .field("Server MAC Key", hex(&block.server_mac_key))
                .field("Client Write Key", hex(&block.client_write_key))
                .field("Server Write Key", hex(&block.server_write_key))
                .field("Client Write IV", iv(&block.client_iv))
                .field("Server Write IV", iv(&block.server_iv))
                .explain(
                    "The master secret is expanded into the keys each direction encrypts \
                     and authenticates its records with.",
                )
        });
        Ok(())
    }

    /// The `verify_data` of `sender`'s Finished over `handshake_messages`.
    fn verify_data(
        keys: &SessionKeys,
        sender: FinishedSender,
        handshake_messages: &[u8],
    ) -> [u8; VERIFY_DATA_LEN] {
        let alg = keys.suite.prf(keys.version.get());
        prf::finished_verify_data(
            alg,
            &keys.master_secret,
            sender,
            &alg.transcript_hash(handshake_messages),
        )
    }

    /// Queues `sender`'s Finished (RFC 5246 §7.4.9) over the transcript so
    /// far; the ChangeCipherSpec must be queued before it.
    pub fn queue_finished(&mut self, keys: &SessionKeys, sender: FinishedSender) {
        let verify_data = Self::verify_data(keys, sender, self.transcript.all());
        self.renegotiation.record(sender, verify_data);
        self.queue_handshake(&HandshakeMessage::Finished(Finished { verify_data }));
    }

    /// RFC 5246 §7.4.9: checks the peer's Finished `message` against the
    /// transcript before it (the record layer has already added the
    /// message itself) and logs both values.
    ///
    /// # Errors
    /// unexpected_message if `message` is not a Finished;
    /// [`Error::DecryptError`] on a mismatch (RFC 5246 §7.2.2
    /// decrypt_error: "...including being unable to correctly verify ... a
    /// Finished message").
    pub fn check_finished(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        keys: &SessionKeys,
        sender: FinishedSender,
        input: Input<'_>,
    ) -> Result<(), Error> {
        let (_, finished) = crate::require_handshake!(
            input,
            HandshakeType::Finished,
            HandshakeMessage::Finished(finished) => finished
        )?;
        let received = &finished.verify_data;
        let expected = Self::verify_data(keys, sender, self.transcript.before_current());
        let ok = expected == *received;
        self.ctx.action(now, tracer, "Verify Finished", |e| {
            // RFC 5246 §7.4.9: verify_data = PRF(master_secret, finished_label,
            // Hash(handshake_messages)), shown input by input.
            let alg = keys.suite.prf(keys.version.get());
            e.field("PRF", alg.name())
                .field("Master Secret", hex(&keys.master_secret))
                .field("Label", sender.label())
                .field(
                    "Handshake Hash",
                    hex(&alg.transcript_hash(self.transcript.before_current())),
                )
                .field("Expected Verify Data", hex(&expected))
                .field("Received Verify Data", hex(received))
                .field("Result", if ok { "match" } else { "mismatch" })
                .explain(
                    "The Finished message proves that the peer saw the same handshake \
                     and holds the same master secret.",
                )
        });
        if !ok {
            return Err(Error::DecryptError);
        }
        self.renegotiation.record(sender, expected);
        Ok(())
    }

    /// Picks this side's hello random, or takes the `pinned` one, and logs
    /// it under `title`.
    pub fn choose_random(
        &mut self,
        pinned: Option<[u8; 32]>,
        now: Instant,
        tracer: &mut dyn Tracer,
        title: &'static str,
        explanation: &'static str,
    ) -> [u8; 32] {
        let random = pinned.unwrap_or_else(|| {
            let mut r = [0u8; 32];
            self.rng.fill(&mut r);
            r
        });
        self.ctx.action(now, tracer, title, |e| {
            e.field("Random", hex(&random)).explain(explanation)
        });
        random
    }

    /// This side's ephemeral ECDH key pair on `group`, drawn from the
    /// random stream or made from a `pinned` private key.
    ///
    /// # Errors
    /// internal_error if the pinned key is not valid on `group`.
    pub fn ephemeral_key(
        &mut self,
        group: KxGroup,
        pinned: Option<&[u8]>,
    ) -> Result<(EphemeralSecret, Vec<u8>), Error> {
        match pinned {
            Some(private) => group.generate_from_private(private).map_err(crypto_error),
            None => Ok(group.generate(&mut self.rng)),
        }
    }

    /// This side's ephemeral finite-field DH key pair on `group` (RFC 7919),
    /// drawn from the random stream or made from a `pinned` exponent.
    ///
    /// # Errors
    /// internal_error if the pinned exponent is not in 1 < x < p - 1.
    pub fn dh_key(
        &mut self,
        group: FfdheGroup,
        pinned: Option<&[u8]>,
    ) -> Result<(DhSecret, Vec<u8>), Error> {
        match pinned {
            Some(private) => group.generate_from_private(private).map_err(crypto_error),
            None => Ok(group.generate(&mut self.rng)),
        }
    }
}

/// Everything both ends hold once the master secret is known.
#[derive(Clone, Debug)]
pub struct SessionKeys {
    /// The negotiated suite.
    pub suite: &'static CipherSuiteParams,
    /// The negotiated version.
    pub version: ProtocolVersion,
    /// The master secret.
    pub master_secret: [u8; MASTER_SECRET_LEN],
    /// The hello randoms.
    pub randoms: Randoms,
    /// Whether the master secret is the extended one.
    pub extended_master_secret: bool,
    /// The session identifier the server assigned.
    pub session_id: Vec<u8>,
}

impl SessionKeys {
    /// The keys of a session whose master secret is known.
    pub fn new(params: HelloParams, master_secret: [u8; MASTER_SECRET_LEN]) -> Self {
        SessionKeys {
            suite: params.suite,
            version: params.version,
            master_secret,
            randoms: params.randoms,
            extended_master_secret: params.extended_master_secret,
            session_id: params.session_id,
        }
    }

    /// What to remember of this session to resume it later.
    pub fn to_stored(&self) -> StoredSession {
        StoredSession {
            session_id: self.session_id.clone(),
            master_secret: self.master_secret,
            suite: self.suite.suite(),
            version: self.version,
            extended_master_secret: self.extended_master_secret,
            ticket: None,
        }
    }
}
