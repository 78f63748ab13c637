//! What the TLS 1.3 handshakes of both actors share: reading a 1.3
//! message, the key schedule logged step by step with its key log lines,
//! switching record protection, and the Finished values.
//!
//! Read first: RFC 8446 §7.1 (the schedule), §7.3 (traffic keys), §4.4.4
//! (Finished); the NSS key log format names the TLS 1.3 secrets.

use tlsim_sim::{Instant, Tracer};

use super::core::{Core, Input};
use crate::codec::{Codec, hex};
use crate::crypto::key_schedule::{
    HkdfHash, KeySchedule, SecretKind, Stage, Tls13CipherSuite, TrafficKeys, finished_key,
    finished_verify_data, resumption_psk,
};
use crate::enums::HandshakeType;
use crate::error::Error;
use crate::msgs::tls13::Tls13Message;
use crate::record::JoinedMessage;

mod key_update;
pub(crate) use key_update::ApplicationTraffic;

/// The handshake message of `input` read as TLS 1.3, if it is of one of
/// the `expected` types.
///
/// # Errors
/// unexpected_message listing `expected` for any other type or a
/// ChangeCipherSpec; the codec's error for a body that does not decode.
pub fn expect_tls13<'a>(
    input: Input<'a>,
    expected: &'static [HandshakeType],
) -> Result<(&'a JoinedMessage, Tls13Message), Error> {
    match input {
        Input::Handshake(m) if expected.contains(&m.typ) => {
            let message = Tls13Message::from_bytes(&m.bytes).map_err(Error::from)?;
            Ok((m, message))
        }
        Input::Handshake(m) => Err(super::unexpected_handshake(expected, m.typ)),
        Input::ChangeCipherSpec => Err(super::unexpected_change_cipher_spec()),
    }
}

/// The TLS 1.3 secrets of one connection, as far as the handshake has
/// come: the schedule and the traffic secrets derived from it.
#[derive(Clone)]
pub struct Tls13Secrets {
    /// The negotiated suite.
    pub suite: &'static Tls13CipherSuite,
    schedule: KeySchedule,
    client_random: [u8; 32],
    /// `client_handshake_traffic_secret`.
    pub client_handshake: Vec<u8>,
    /// `server_handshake_traffic_secret`.
    pub server_handshake: Vec<u8>,
    /// `client_application_traffic_secret_0`, once derived.
    pub client_application: Vec<u8>,
    /// `server_application_traffic_secret_0`, once derived.
    pub server_application: Vec<u8>,
    /// The length of the transcript the application secrets were derived
    /// over (through the server's Finished), and its hash.
    application_transcript: Option<(usize, Vec<u8>)>,
}

impl Tls13Secrets {
    /// `Transcript-Hash(transcript)`; the application secrets' hash when
    /// `transcript` is as long as theirs. Once the secrets exist the
    /// transcript only grows, so the same length is the same messages:
    /// the client's Finished covers what the application secrets do
    /// unless the client sent more first (RFC 8446 §4.4.4).
    fn transcript_hash(&self, transcript: &[u8]) -> Vec<u8> {
        match &self.application_transcript {
            Some((len, hash)) if *len == transcript.len() => hash.clone(),
            _ => self.suite.hash.hash(transcript),
        }
    }
}

/// Which way a traffic secret's keys protect records for this side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Records this side writes.
    Write,
    /// Records this side reads.
    Read,
}

impl Core {
    /// RFC 8446 §7.1: the Early Secret (no PSK) and the Handshake Secret
    /// from the (EC)DHE `shared_secret`, then both handshake traffic
    /// secrets over the transcript so far (ClientHello…ServerHello); each
    /// step is logged, and the traffic secrets go to the key log.
    pub fn tls13_handshake_secrets(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        suite: &'static Tls13CipherSuite,
        client_random: [u8; 32],
        shared_secret: &[u8],
    ) -> Tls13Secrets {
        let early = self.tls13_early_secret(now, tracer, suite.hash, None);
        self.tls13_handshake_secrets_from(
            now,
            tracer,
            suite,
            client_random,
            early,
            Some(shared_secret),
        )
    }

    /// RFC 8446 §7.1: the Early Secret, `HKDF-Extract(0, PSK)`, logged;
    /// without a PSK its IKM is zeros.
    pub fn tls13_early_secret(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        hash: HkdfHash,
        psk: Option<&[u8]>,
    ) -> KeySchedule {
        let schedule = KeySchedule::new(hash, psk);
        self.ctx.action(now, tracer, "Early Secret", |e| {
            let e = e
                .field("Hash", hash.name())
                .field("Salt", "0 (no previous secret)");
            let e = match psk {
                None => e.field("IKM", "0 (no pre-shared key)"),
                Some(psk) => e.field("IKM (PSK)", hex(psk)),
            };
            e.field("Early Secret", hex(schedule.secret()))
                .explain(match psk {
                    None => {
                        "HKDF-Extract starts the TLS 1.3 key schedule; without a pre-shared key \
                     its inputs are zeros."
                    }
                    Some(_) => {
                        "HKDF-Extract starts the TLS 1.3 key schedule from the pre-shared key of \
                     a ticket: the binder, the 0-RTT keys and every later secret depend on it."
                    }
                })
        });
        schedule
    }

    /// RFC 8446 §7.1: the Handshake Secret from an `early` schedule and
    /// the (EC)DHE `shared_secret` (zeros under psk_ke, §4.2.9), then both
    /// handshake traffic secrets over the transcript so far; logged and
    /// key-logged.
    pub fn tls13_handshake_secrets_from(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        suite: &'static Tls13CipherSuite,
        client_random: [u8; 32],
        early: KeySchedule,
        shared_secret: Option<&[u8]>,
    ) -> Tls13Secrets {
        let hash = suite.hash;
        let mut schedule = early;
        let derived = schedule.advance(shared_secret);
        self.ctx.action(now, tracer, "Handshake Secret", |e| {
            let e = e
                .field("Label", "tls13 derived")
                .field("Salt", hex(&derived));
            let e = match shared_secret {
                Some(shared) => e.field("IKM (ECDHE Shared Secret)", hex(shared)),
                None => e.field("IKM", "0 (psk_ke: no (EC)DHE)"),
            };
            e.field("Handshake Secret", hex(schedule.secret())).explain(
                "HKDF-Extract mixes the Diffie-Hellman shared secret into the schedule, \
                 salted with a value derived from the Early Secret.",
            )
        });
        let transcript_hash = hash.hash(self.transcript.all());
        let mut secrets = Tls13Secrets {
            suite,
            schedule,
            client_random,
            client_handshake: Vec::new(),
            server_handshake: Vec::new(),
            client_application: Vec::new(),
            server_application: Vec::new(),
            application_transcript: None,
        };
        secrets.client_handshake = self.tls13_derive(
            now,
            tracer,
            &secrets,
            SecretKind::ClientHandshakeTraffic,
            &transcript_hash,
        );
        secrets.server_handshake = self.tls13_derive(
            now,
            tracer,
            &secrets,
            SecretKind::ServerHandshakeTraffic,
            &transcript_hash,
        );
        secrets
    }

    /// RFC 8446 §7.1: the Master Secret, then the application traffic
    /// secrets and the exporter secret over the transcript through the
    /// server's Finished; logged and key-logged.
    pub fn tls13_application_secrets(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        secrets: &mut Tls13Secrets,
    ) {
        let derived = secrets.schedule.advance(None);
        self.ctx.action(now, tracer, "Master Secret", |e| {
            e.field("Label", "tls13 derived")
                .field("Salt", hex(&derived))
                .field("IKM", "0")
                .field("Master Secret", hex(secrets.schedule.secret()))
                .explain(
                    "A last HKDF-Extract gives the Master Secret, from which the application \
                     keys come.",
                )
        });
        debug_assert_eq!(secrets.schedule.stage(), Stage::Master);
        let transcript = self.transcript.all();
        let transcript_hash = secrets.suite.hash.hash(transcript);
        secrets.application_transcript = Some((transcript.len(), transcript_hash.clone()));
        secrets.client_application = self.tls13_derive(
            now,
            tracer,
            secrets,
            SecretKind::ClientApplicationTraffic,
            &transcript_hash,
        );
        secrets.server_application = self.tls13_derive(
            now,
            tracer,
            secrets,
            SecretKind::ServerApplicationTraffic,
            &transcript_hash,
        );
        self.tls13_derive(
            now,
            tracer,
            secrets,
            SecretKind::ExporterMaster,
            &transcript_hash,
        );
    }

    /// One `Derive-Secret`, logged with its label and transcript hash, and
    /// key-logged if the NSS format names it.
    fn tls13_derive(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        secrets: &Tls13Secrets,
        kind: SecretKind,
        transcript_hash: &[u8],
    ) -> Vec<u8> {
        self.tls13_derive_in(
            now,
            tracer,
            &secrets.schedule,
            &secrets.client_random,
            kind,
            transcript_hash,
        )
    }

    /// [`tls13_derive`](Self::tls13_derive) from a bare schedule, before
    /// the handshake secrets exist (the early secrets of a PSK).
    fn tls13_derive_in(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        schedule: &KeySchedule,
        client_random: &[u8; 32],
        kind: SecretKind,
        transcript_hash: &[u8],
    ) -> Vec<u8> {
        let secret = schedule.derive(kind, transcript_hash);
        self.ctx.action(now, tracer, "Derive-Secret", |e| {
            e.field("Secret", kind.name())
                .field("From", kind.stage().name())
                .field("Label", format!("tls13 {}", kind.label()))
                .field("Transcript Hash", hex(transcript_hash))
                .field("Value", hex(&secret))
                .explain(
                    "HKDF-Expand-Label binds each secret to its purpose (the label) and to \
                     every handshake message so far (the transcript hash).",
                )
        });
        if let Some(label) = kind.key_log_label() {
            // One allocation of the line's exact length: `format!` grows
            // its buffer several times on a line this long.
            self.push_keylog(|| {
                [
                    label,
                    " ",
                    hex(client_random).as_str(),
                    " ",
                    hex(&secret).as_str(),
                ]
                .concat()
            });
        }
        secret
    }
    /// RFC 8446 §7.3: the key and IV of `traffic_secret`, logged, and the
    /// record protection of `direction` switched to them.
    ///
    /// # Errors
    /// unexpected_message if a handshake message is half read at a read
    /// key change (RFC 8446 §5.1); internal_error on a key-length bug.
    pub fn tls13_switch_keys(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        secrets: &Tls13Secrets,
        traffic_secret: &[u8],
        direction: Direction,
        title: &'static str,
    ) -> Result<(), Error> {
        self.tls13_switch_keys_for(now, tracer, secrets.suite, traffic_secret, direction, title)
    }

    /// [`tls13_switch_keys`](Self::tls13_switch_keys) for `suite`, before
    /// the handshake secrets exist (the client's 0-RTT keys).
    ///
    /// # Errors
    /// As [`tls13_switch_keys`](Self::tls13_switch_keys).
    pub fn tls13_switch_keys_for(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        suite: &'static Tls13CipherSuite,
        traffic_secret: &[u8],
        direction: Direction,
        title: &'static str,
    ) -> Result<(), Error> {
        let keys = self.tls13_traffic_keys(now, tracer, suite, traffic_secret, title);
        match direction {
            Direction::Write => self.set_tls13_write_keys(suite.bulk, &keys, tracer.enabled()),
            Direction::Read => self.set_tls13_read_keys(suite.bulk, &keys),
        }
    }

    /// RFC 8446 §7.3: the key and IV of `traffic_secret` under `suite`,
    /// logged under `title`, for a caller that protects records itself.
    pub fn tls13_traffic_keys(
        &self,
        now: Instant,
        tracer: &mut dyn Tracer,
        suite: &'static Tls13CipherSuite,
        traffic_secret: &[u8],
        title: &'static str,
    ) -> TrafficKeys {
        let keys = TrafficKeys::derive(suite.hash, suite.bulk, traffic_secret);
        self.ctx.action(now, tracer, title, |e| {
            e.field("Cipher Suite", suite.suite)
                .field("Traffic Secret", hex(traffic_secret))
                .field("Key", hex(&keys.key))
                .field("IV", hex(&keys.iv))
                .explain(
                    "HKDF-Expand-Label cuts the record key and IV from the traffic secret; \
                     each record's nonce is the IV XOR its sequence number.",
                )
        });
        keys
    }

    /// RFC 8446 §4.4.4: the `verify_data` of a Finished keyed by
    /// `base_key` over `transcript` (up to, not including, that Finished),
    /// logged under `title`.
    pub fn tls13_finished(
        &self,
        now: Instant,
        tracer: &mut dyn Tracer,
        secrets: &Tls13Secrets,
        base_key: &[u8],
        transcript: &[u8],
        title: &'static str,
    ) -> Vec<u8> {
        let hash = secrets.suite.hash;
        let key = finished_key(hash, base_key);
        let transcript_hash = secrets.transcript_hash(transcript);
        let verify_data = finished_verify_data(hash, &key, &transcript_hash);
        self.ctx.action(now, tracer, title, |e| {
            e.field("Finished Key", hex(&key))
                .field("Transcript Hash", hex(&transcript_hash))
                .field("Verify Data", hex(&verify_data))
                .explain(
                    "An HMAC over the transcript hash, keyed from the sender's handshake \
                     traffic secret, proves the sender saw the same handshake.",
                )
        });
        verify_data
    }

    /// RFC 8446 §7.1: `resumption_master_secret`, given the hash of the
    /// transcript through the client's Finished; logged.
    pub fn tls13_resumption_master(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        secrets: &Tls13Secrets,
        transcript_hash: &[u8],
    ) -> Vec<u8> {
        self.tls13_derive(
            now,
            tracer,
            secrets,
            SecretKind::ResumptionMaster,
            transcript_hash,
        )
    }

    /// RFC 8446 §7.1: `client_early_traffic_secret` over the Client Hello,
    /// logged and key-logged (CLIENT_EARLY_TRAFFIC_SECRET).
    pub fn tls13_early_traffic(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        early: &KeySchedule,
        client_random: &[u8; 32],
    ) -> Vec<u8> {
        let transcript_hash = early.hash().hash(self.transcript.all());
        self.tls13_derive_in(
            now,
            tracer,
            early,
            client_random,
            SecretKind::ClientEarlyTraffic,
            &transcript_hash,
        )
    }

    /// RFC 8446 §4.2.11.2: the binder of a resumption PSK, an HMAC keyed
    /// like a Finished from `binder_key` over the hash of `partial`: the
    /// transcript up to and including the Client Hello truncated before
    /// its binders. Logged under `title`.
    pub fn tls13_binder(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        early: &KeySchedule,
        client_random: &[u8; 32],
        partial: &[u8],
        title: &'static str,
    ) -> Vec<u8> {
        let hash = early.hash();
        let binder_key = self.tls13_derive_in(
            now,
            tracer,
            early,
            client_random,
            SecretKind::ResumptionPskBinderKey,
            &hash.hash(&[]),
        );
        let key = finished_key(hash, &binder_key);
        let transcript_hash = hash.hash(partial);
        let binder = finished_verify_data(hash, &key, &transcript_hash);
        self.ctx.action(now, tracer, title, |e| {
            e.field("Finished Key", hex(&key))
                .field("Truncated Client Hello Hash", hex(&transcript_hash))
                .field("Binder", hex(&binder))
                .explain(
                    "The binder is an HMAC over the Client Hello up to the binders, keyed from \
                     the PSK: it proves the client holds the ticket's key and ties the offer \
                     to this hello.",
                )
        });
        binder
    }

    /// RFC 8446 §4.6.1: the PSK a ticket stands for,
    /// `HKDF-Expand-Label(resumption_master_secret, "resumption",
    /// ticket_nonce, Hash.length)`, logged.
    pub fn tls13_ticket_psk(
        &self,
        now: Instant,
        tracer: &mut dyn Tracer,
        hash: HkdfHash,
        resumption_master: &[u8],
        nonce: &[u8],
    ) -> Vec<u8> {
        let psk = resumption_psk(hash, resumption_master, nonce);
        self.ctx.action(now, tracer, "Ticket PSK", |e| {
            e.field("Label", "tls13 resumption")
                .field("Resumption Master Secret", hex(resumption_master))
                .field("Ticket Nonce", hex(nonce))
                .field("PSK", hex(&psk))
                .explain(
                    "Each ticket's pre-shared key is expanded from the resumption master \
                     secret with the ticket's own nonce, so no two tickets share a key.",
                )
        });
        psk
    }

    /// Queues a TLS 1.3 handshake message in the flight and the transcript.
    pub fn queue_tls13(&mut self, message: &Tls13Message) {
        self.queue_handshake_with(message.typ(), |out| message.encode_body(out));
    }
}

/// RFC 8446 §4.4.4: "Recipients of Finished messages MUST verify that the
/// contents are correct and if incorrect MUST terminate the connection
/// with a "decrypt_error" alert."
///
/// # Errors
/// decrypt_error on a mismatch (compared in constant time).
pub fn check_verify_data(expected: &[u8], received: &[u8]) -> Result<(), Error> {
    let same = expected.len() == received.len()
        && expected
            .iter()
            .zip(received)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(Error::DecryptError)
    }
}
