//! The key schedule of a connection, one logged step at a time
//! (RFC 5246 §8.1, §6.3, §7.4.9; RFC 7627 §4).

use tlsim_sim::{Instant, Tracer};

use super::{Core, crypto_error, keylog_line};
use crate::codec::hex;
use crate::crypto::cipher::{RecordDecrypter, RecordEncrypter, Side};
use crate::crypto::prf::{self, FinishedSender, MASTER_SECRET_LEN, VERIFY_DATA_LEN};
use crate::crypto::suites::CipherSuiteParams;
use crate::error::Error;

/// The randoms of both hellos.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Randoms {
    /// `ClientHello.random`.
    pub client: [u8; 32],
    /// `ServerHello.random`.
    pub server: [u8; 32],
}

impl Core {
    /// Logs the ECDH result and derives the master secret from it: with
    /// `extended`, from the hash of the transcript so far, which must end
    /// with the ClientKeyExchange (RFC 7627 §4); otherwise from the randoms
    /// (RFC 5246 §8.1). Adds the key log line.
    #[allow(clippy::too_many_arguments)]
    pub fn derive_master_secret(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        suite: &CipherSuiteParams,
        version: u16,
        pre_master_secret: &[u8],
        randoms: &Randoms,
        extended: bool,
    ) -> [u8; MASTER_SECRET_LEN] {
        let alg = suite.prf(version);
        self.ctx.action(now, tracer, "Pre-master secret", |e| {
            e.field("Pre-master Secret", hex(pre_master_secret))
                .field("Length", pre_master_secret.len())
                .explain(
                    "Both sides multiply their own private key by the other's public key; \
                     the x coordinate of that shared point is the pre-master secret.",
                )
        });
        let (master, session_hash) = if extended {
            let session_hash = alg.transcript_hash(&self.transcript);
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
        self.ctx.action(now, tracer, "Master secret", |e| {
            let e = e.field("PRF", alg.name());
            let e = match &session_hash {
                Some(h) => e
                    .field("Label", "extended master secret")
                    .field("Session Hash", hex(h)),
                None => e
                    .field("Label", "master secret")
                    .field("Client Random", hex(&randoms.client))
                    .field("Server Random", hex(&randoms.server)),
            };
            e.field("Master Secret", hex(&master)).explain(
                "The PRF stretches the pre-master secret and the handshake's unique values \
                 into the 48-byte master secret both sides now share.",
            )
        });
        self.push_keylog(keylog_line(&randoms.client, &master));
        master
    }

    /// Cuts the key block (RFC 5246 §6.3) and sets the keys that the next
    /// ChangeCipherSpec of each direction switches to.
    ///
    /// # Errors
    /// internal_error if the suite cannot be used with `version`.
    #[allow(clippy::too_many_arguments)]
    pub fn install_keys(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        side: Side,
        suite: &CipherSuiteParams,
        version: u16,
        master_secret: &[u8; MASTER_SECRET_LEN],
        randoms: &Randoms,
    ) -> Result<(), Error> {
        let alg = suite.prf(version);
        let block = prf::key_block(
            alg,
            master_secret,
            &randoms.client,
            &randoms.server,
            suite.key_block_layout(version),
        );
        let peer = match side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        let encrypter =
            RecordEncrypter::from_key_block(suite, version, &block, side).map_err(crypto_error)?;
        let decrypter =
            RecordDecrypter::from_key_block(suite, version, &block, peer).map_err(crypto_error)?;
        self.set_pending_keys(encrypter, decrypter);
        self.ctx.action(now, tracer, "Key block", |e| {
            e.field("Cipher Suite", suite.name)
                .field("Key Block", hex(&block.key_block))
                .field("Client MAC Key", hex(&block.client_mac_key))
                .field("Server MAC Key", hex(&block.server_mac_key))
                .field("Client Write Key", hex(&block.client_write_key))
                .field("Server Write Key", hex(&block.server_write_key))
                .field("Client Write IV", hex(&block.client_iv))
                .field("Server Write IV", hex(&block.server_iv))
                .explain(
                    "The master secret is expanded into the keys each direction encrypts \
                     and authenticates its records with.",
                )
        });
        Ok(())
    }

    /// The `verify_data` of `sender`'s Finished over the transcript so far.
    pub fn verify_data(
        &self,
        suite: &CipherSuiteParams,
        version: u16,
        master_secret: &[u8; MASTER_SECRET_LEN],
        sender: FinishedSender,
    ) -> [u8; VERIFY_DATA_LEN] {
        let alg = suite.prf(version);
        prf::finished_verify_data(
            alg,
            master_secret,
            sender,
            &alg.transcript_hash(&self.transcript),
        )
    }

    /// RFC 5246 §7.4.9: checks the peer's Finished against the transcript
    /// before it, and logs both values.
    ///
    /// # Errors
    /// [`Error::DecryptError`] on a mismatch (RFC 5246 §7.2.2
    /// decrypt_error: "...including being unable to correctly verify ... a
    /// Finished message").
    #[allow(clippy::too_many_arguments)]
    pub fn check_finished(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        suite: &CipherSuiteParams,
        version: u16,
        master_secret: &[u8; MASTER_SECRET_LEN],
        sender: FinishedSender,
        received: &[u8; VERIFY_DATA_LEN],
    ) -> Result<(), Error> {
        let expected = self.verify_data(suite, version, master_secret, sender);
        let ok = expected == *received;
        self.ctx.action(now, tracer, "Verify Finished", |e| {
            e.field("Label", sender.label())
                .field("Expected Verify Data", hex(&expected))
                .field("Received Verify Data", hex(received))
                .field("Result", if ok { "match" } else { "mismatch" })
                .explain(
                    "The Finished message proves that the peer saw the same handshake \
                     and holds the same master secret.",
                )
        });
        if ok { Ok(()) } else { Err(Error::DecryptError) }
    }
}

/// Everything both ends hold once the master secret is known.
#[derive(Clone, Debug)]
pub struct SessionKeys {
    /// The negotiated suite.
    pub suite: &'static CipherSuiteParams,
    /// The negotiated version.
    pub version: u16,
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
    /// What to remember of this session to resume it later.
    pub fn to_stored(&self) -> super::StoredSession {
        super::StoredSession {
            session_id: self.session_id.clone(),
            master_secret: self.master_secret,
            suite: self.suite.value,
            version: self.version,
            extended_master_secret: self.extended_master_secret,
        }
    }
}
