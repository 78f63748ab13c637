//! Conversations run against tlsim's own TLS actors, joined in memory.

use std::sync::Arc;

use tlsim_sim::{Duration, Event, Instant, RngStream};
use tlsim_test_support::{LeafKey, client_config, pki, server_config};
use tlsim_tls::conn::{EventContext, TlsEvent};
use tlsim_tls::enums::AlertDescription;
use tlsim_tls::msgs::Alert;
use tlsim_tls_client::{ClientConfig, ClientConnection};
use tlsim_tls_script::{CloseKind, Conversation, Failure, Script, Span, Step, Verdict};
use tlsim_tls_server::{ServerConfig, ServerConnection};

/// The tlsim actor at the other end.
enum Peer {
    Server(ServerConnection),
    Client(ClientConnection),
}

/// A script and a tlsim actor joined in memory. The actor echoes the
/// application data it receives (as a server) or sends "ping" once its
/// handshake completes (as a client); it answers close_notify, and its
/// transport closes once it has written its last record.
struct Run {
    script: Script,
    peer: Peer,
    now: Instant,
    script_log: Vec<Event>,
    peer_events: Vec<TlsEvent>,
    peer_received: Vec<u8>,
    peer_closed_transport: bool,
}

fn ctx(actor: &str, peer: &str) -> EventContext {
    EventContext {
        actor: actor.into(),
        peer: peer.into(),
        conn: None,
    }
}

fn conversation(ron_text: &str) -> Conversation {
    read_conversation(ron_text).unwrap_or_else(|e| panic!("bad conversation: {e}"))
}

/// A conversation as a scenario file writes it, or why it is refused.
fn read_conversation(ron_text: &str) -> Result<Conversation, String> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(ron_text)
        .map_err(|e| e.to_string())
}

impl Run {
    /// A client script against a tlsim server.
    fn client(script: &str, client: ClientConfig, server: ServerConfig, seed: u64) -> Self {
        Run {
            script: Script::client(
                conversation(script),
                Arc::new(client),
                RngStream::new(seed, "client"),
                ctx("client", "server"),
            ),
            peer: Peer::Server(ServerConnection::new(
                Arc::new(server),
                RngStream::new(seed, "server"),
                ctx("server", "client"),
            )),
            now: Instant::from_nanos(20_000_000),
            script_log: Vec::new(),
            peer_events: Vec::new(),
            peer_received: Vec::new(),
            peer_closed_transport: false,
        }
    }

    /// A server script against a tlsim client.
    fn server(script: &str, client: ClientConfig, server: ServerConfig, seed: u64) -> Self {
        let mut client = ClientConnection::new(
            Arc::new(client),
            RngStream::new(seed, "client"),
            ctx("client", "server"),
        );
        let now = Instant::from_nanos(20_000_000);
        client.start(now, &mut Vec::new());
        Run {
            script: Script::server(
                conversation(script),
                Arc::new(server),
                RngStream::new(seed, "server"),
                ctx("server", "client"),
            ),
            peer: Peer::Client(client),
            now,
            script_log: Vec::new(),
            peer_events: Vec::new(),
            peer_received: Vec::new(),
            peer_closed_transport: false,
        }
    }

    fn peer(&mut self) -> &mut tlsim_tls::conn::Connection {
        match &mut self.peer {
            Peer::Server(s) => s,
            Peer::Client(c) => c,
        }
    }

    /// Drives both ends until neither moves, jumping to the script's
    /// timeouts; returns the verdict.
    fn drive(&mut self) -> Verdict {
        self.script.start(self.now, &mut self.script_log);
        for _ in 0..200 {
            let now = self.now;
            let is_client = matches!(self.peer, Peer::Client(_));
            let mut answers = Vec::new();
            while let Some(event) = self.peer().poll_event() {
                answers.push(event);
            }
            for event in answers {
                match &event {
                    TlsEvent::PeerClosed => self.peer().close(now, &mut Vec::new()),
                    TlsEvent::ApplicationData => {
                        let mut data = Vec::new();
                        self.peer().read_application_data(&mut data);
                        self.peer_received.extend_from_slice(&data);
                        if !is_client {
                            self.peer()
                                .send_application_data(now, &data, &mut Vec::new());
                        }
                    }
                    TlsEvent::HandshakeComplete { .. } if is_client => self
                        .peer()
                        .send_application_data(now, b"ping", &mut Vec::new()),
                    _ => {}
                }
                self.peer_events.push(event);
            }
            let mut to_peer = Vec::new();
            self.script.write_tls(&mut to_peer);
            let mut to_script = Vec::new();
            self.peer().write_tls(&mut to_script);
            let moved = !to_peer.is_empty() || !to_script.is_empty();
            self.now = Instant::from_nanos(self.now.as_nanos() + 10_000_000);
            let now = self.now;
            if !to_peer.is_empty() {
                self.peer().handle_bytes(now, &to_peer, &mut Vec::new());
            }
            if !to_script.is_empty() {
                self.script
                    .handle_bytes(now, &to_script, &mut self.script_log);
            }
            let peer = self.peer();
            let peer_done = peer.is_done_writing() && !peer.wants_write();
            if !self.peer_closed_transport && peer_done {
                self.peer_closed_transport = true;
                self.script.handle_peer_closed(now, &mut self.script_log);
                continue;
            }
            if !moved && self.script.wants_close().is_none() {
                match self.script.poll_timeout() {
                    Some(at) => {
                        self.now = self.now.max(at);
                        self.script.handle_timeout(self.now, &mut self.script_log);
                    }
                    None if self.script.verdict() != &Verdict::Running => break,
                    None => {}
                }
            }
            if !moved && self.script.verdict() != &Verdict::Running {
                break;
            }
        }
        self.script.verdict().clone()
    }

    /// Asserts that the conversation passed, with the script's log if not.
    #[track_caller]
    fn assert_passed(&self, context: impl std::fmt::Display) {
        assert_eq!(
            self.script.verdict(),
            &Verdict::Passed,
            "{context}: {:#?}",
            self.script_log
        );
    }

    fn peer_alert_sent(&self) -> Option<AlertDescription> {
        self.peer_events.iter().find_map(|e| match e {
            TlsEvent::Failed { alert_sent, .. } => *alert_sent,
            _ => None,
        })
    }

    fn peer_completed(&self) -> bool {
        self.peer_events
            .iter()
            .any(|e| matches!(e, TlsEvent::HandshakeComplete { .. }))
    }
}

/// A client's full handshake after the flight of [`client_probe`]: a
/// request echoed back, and close_notify both ways.
const CLIENT_HANDSHAKE_END: &str = r#"
    Send(message: Finished()),
    Expect(ChangeCipherSpec),
    Expect(Finished),
    Send(message: ApplicationData(text: "GET / HTTP/1.1\r\n\r\n")),
    Expect(ApplicationData(text: "GET / HTTP/1.1\r\n\r\n")),
    Send(message: Alert(level: Warning, description: "close_notify")),
    ExpectAlert(level: Warning, description: "close_notify"),
    ExpectClose,
"#;

fn client_handshake() -> String {
    client_probe(CLIENT_HANDSHAKE_END)
}

/// A server's full handshake, the client's "ping" answered, close_notify.
const SERVER_HANDSHAKE: &str = r#"(steps: [
    Expect(ClientHello()),
    Send(message: ServerHello()),
    Send(message: Certificate()),
    Send(message: ServerKeyExchange()),
    Send(message: ServerHelloDone),
    Expect(ClientKeyExchange),
    Expect(ChangeCipherSpec),
    Expect(Finished),
    Send(message: ChangeCipherSpec()),
    Send(message: Finished()),
    Expect(ApplicationData(text: "ping")),
    Send(message: ApplicationData(text: "pong")),
    Send(message: Alert(level: Warning, description: "close_notify")),
    ExpectAlert(description: "close_notify"),
    Close,
])"#;

fn configs(seed: u64) -> (ClientConfig, ServerConfig) {
    let leaf = if seed % 2 == 0 {
        LeafKey::Ecdsa
    } else {
        LeafKey::Rsa
    };
    let pki = pki(leaf);
    let mut client = client_config(&pki);
    // Every version, and the extended master secret on half the seeds.
    client.max_version = [
        tlsim_tls::enums::ProtocolVersion::Tls10,
        tlsim_tls::enums::ProtocolVersion::Tls11,
        tlsim_tls::enums::ProtocolVersion::Tls12,
    ][(seed % 3) as usize];
    client.extended_master_secret = seed % 4 < 2;
    (client, server_config(&pki))
}

/// Runs `script` on twelve seeds (both key types, every version, with and
/// without the extended master secret); the tlsim peer must complete its
/// handshake and receive `delivered`.
fn passes_on_many_seeds(
    start: fn(&str, ClientConfig, ServerConfig, u64) -> Run,
    script: &str,
    delivered: &[u8],
) {
    for seed in 0..12 {
        let (client, server) = configs(seed);
        let mut run = start(script, client, server, seed);
        run.drive();
        run.assert_passed(format!("seed {seed}"));
        assert!(run.peer_completed(), "seed {seed}");
        assert_eq!(run.peer_received, delivered, "seed {seed}");
        assert_eq!(run.script.keylog_lines().len(), 1, "seed {seed}");
    }
}

#[test]
fn a_scripted_client_completes_a_handshake_on_many_seeds() {
    passes_on_many_seeds(Run::client, &client_handshake(), b"GET / HTTP/1.1\r\n\r\n");
}

#[test]
fn a_scripted_server_completes_a_handshake_on_many_seeds() {
    passes_on_many_seeds(Run::server, SERVER_HANDSHAKE, b"pong");
}

#[test]
fn the_same_seed_gives_the_same_log() {
    let logs: Vec<Vec<Event>> = (0..2)
        .map(|_| {
            let (client, server) = configs(5);
            let mut run = Run::client(&client_handshake(), client, server, 5);
            run.drive();
            run.script_log
        })
        .collect();
    assert_eq!(logs[0], logs[1]);
    let (client, server) = configs(5);
    let mut other = Run::client(&client_handshake(), client, server, 6);
    other.drive();
    assert_ne!(
        logs[0], other.script_log,
        "another seed draws other randoms"
    );
}

/// The client's flight up to its ChangeCipherSpec, then `rest`.
fn client_probe(rest: &str) -> String {
    format!(
        r#"(steps: [
            Send(message: ClientHello()),
            Expect(ServerHello()),
            Expect(Certificate),
            Expect(ServerKeyExchange),
            Expect(ServerHelloDone),
            Send(message: ClientKeyExchange()),
            Send(message: ChangeCipherSpec()),
            {rest}
        ])"#
    )
}

fn run_client_probe(script: &str, seed: u64) -> Run {
    let (client, server) = configs(seed);
    let mut run = Run::client(script, client, server, seed);
    run.drive();
    run
}

#[test]
fn a_finished_with_xored_verify_data_gets_decrypt_error() {
    // RFC 5246 §7.2.2: decrypt_error for a Finished that does not verify.
    let script = client_probe(
        r#"Send(message: Finished(xor: "01")),
           ExpectAlert(level: Fatal, description: "decrypt_error"),
           ExpectClose,"#,
    );
    for seed in 0..6 {
        let run = run_client_probe(&script, seed);
        run.assert_passed(format!("seed {seed}"));
        assert_eq!(run.peer_alert_sent(), Some(AlertDescription::DecryptError));
    }
}

#[test]
fn a_truncated_finished_is_refused() {
    // RFC 5246 §7.4.9: verify_data is 12 bytes; shorter does not decode.
    let script = client_probe(
        r#"Send(message: Finished(truncate: 11)),
           ExpectAlert(level: Fatal),"#,
    );
    let run = run_client_probe(&script, 3);
    run.assert_passed("");
    assert!(!run.peer_completed());
}

#[test]
fn change_cipher_spec_before_the_key_exchange_gets_unexpected_message() {
    // RFC 5246 §7.1, §7.2.2: ChangeCipherSpec before the keys exist.
    for opening in [
        "",
        "Send(message: ClientHello()), Expect(ServerHello()), Expect(Certificate), Expect(ServerKeyExchange), Expect(ServerHelloDone),",
    ] {
        let script = format!(
            r#"(steps: [
                {opening}
                Send(message: ChangeCipherSpec()),
                ExpectAlert(level: Fatal, description: "unexpected_message"),
                ExpectClose,
            ])"#
        );
        let run = run_client_probe(&script, 1);
        run.assert_passed(opening);
    }
}

#[test]
fn a_client_hello_in_records_of_ten_bytes_completes() {
    // RFC 5246 §6.2.1: a handshake message may span any number of records.
    let script = client_handshake().replace(
        "Send(message: ClientHello())",
        "Send(message: ClientHello(), fragment: 10)",
    );
    for seed in 0..4 {
        let run = run_client_probe(&script, seed);
        run.assert_passed(format!("seed {seed}"));
        let first_records = run
            .script_log
            .iter()
            .find(|e| e.title == "TLS Client Hello");
        let bytes = first_records
            .and_then(|e| e.bytes.clone())
            .unwrap_or_default();
        assert!(bytes.len() > 100 && bytes[3..5] == [0, 10], "{bytes:02x?}");
    }
}

#[test]
fn an_empty_application_data_record_is_accepted() {
    // RFC 5246 §6.2.1: zero-length application data fragments MAY be sent.
    let script = client_handshake().replace(
        r#"Send(message: ApplicationData(text: "GET / HTTP/1.1\r\n\r\n")),"#,
        r#"Send(message: ApplicationData()),
           Send(message: ApplicationData(text: "GET / HTTP/1.1\r\n\r\n")),"#,
    );
    let run = run_client_probe(&script, 2);
    run.assert_passed("");
    assert_eq!(run.peer_received, b"GET / HTTP/1.1\r\n\r\n");
}

#[test]
fn a_plaintext_finished_after_change_cipher_spec_gets_bad_record_mac() {
    // RFC 5246 §7.1, §6.2.3: after ChangeCipherSpec every record is
    // protected; one in the clear does not authenticate.
    let script = client_probe(
        r#"Send(message: Finished(), protection: Plain),
           ExpectAlert(level: Fatal, description: "bad_record_mac"),"#,
    );
    let run = run_client_probe(&script, 4);
    run.assert_passed("");
}

#[test]
fn a_flipped_ciphertext_byte_gets_bad_record_mac() {
    // RFC 5246 §6.2.3.2, §6.2.3.3: a changed ciphertext fails its MAC or tag.
    let script = client_probe(
        r#"Send(message: Finished(), ciphertext: [Xor(at: -1, mask: "80")]),
           ExpectAlert(level: Fatal, description: "bad_record_mac"),"#,
    );
    for seed in 0..6 {
        let run = run_client_probe(&script, seed);
        run.assert_passed(format!("seed {seed}"));
    }
}

#[test]
fn a_coalesced_server_flight_completes() {
    // RFC 5246 §6.2.1: several handshake messages may share a record.
    let script = SERVER_HANDSHAKE
        .replace(
            "Send(message: ServerHello()),",
            "Send(message: ServerHello(), coalesce: true),",
        )
        .replace(
            "Send(message: Certificate()),",
            "Send(message: Certificate(), coalesce: true),",
        )
        .replace(
            "Send(message: ServerKeyExchange()),",
            "Send(message: ServerKeyExchange(), coalesce: true),",
        );
    let (client, server) = configs(0);
    let mut run = Run::server(&script, client, server, 0);
    run.drive();
    run.assert_passed("");
    let flight = run
        .script_log
        .iter()
        .find(|e| {
            e.title == "TLS Server Hello + Certificate + Server Key Exchange + Server Hello Done"
        })
        .expect("one send event for the flight");
    let bytes = flight.bytes.clone().unwrap_or_default();
    let record_len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    assert_eq!(bytes.len(), 5 + record_len, "a single record");
    assert_eq!(run.script.wants_close(), Some(CloseKind::Close));
}

#[test]
fn a_server_key_exchange_with_a_bad_signature_is_refused_by_the_client() {
    // RFC 5246 §7.4.3: the client checks the signature (decrypt_error).
    let script = r#"(steps: [
        Expect(ClientHello()),
        Send(message: ServerHello()),
        Send(message: Certificate()),
        Send(message: ServerKeyExchange(signature_xor: "00000000000000000001")),
        Send(message: ServerHelloDone),
        ExpectAlert(level: Fatal, description: "decrypt_error"),
    ])"#;
    let (client, server) = configs(2);
    let mut run = Run::server(script, client, server, 2);
    run.drive();
    run.assert_passed("");
    assert!(!run.peer_completed());
}

#[test]
fn a_wrong_expectation_fails_with_the_step_and_what_came() {
    let script = r#"(steps: [
        Send(message: ClientHello()),
        Expect(Certificate),
    ])"#;
    let run = run_client_probe(script, 0);
    let Verdict::Failed(Failure {
        step,
        expected,
        observed,
    }) = run.script.verdict().clone()
    else {
        panic!("expected a failure, got {:?}", run.script.verdict());
    };
    assert_eq!(step, 1);
    assert_eq!(expected, "Certificate");
    assert!(observed.starts_with("Server Hello ("), "{observed}");
    let event = run
        .script_log
        .iter()
        .find(|e| e.title == "Conversation step failed")
        .expect("the failure is logged");
    assert_eq!(event.field_value("Step"), Some("1"));
    assert_eq!(event.field_value("Observed"), Some(observed.as_str()));
}

#[test]
fn expect_nothing_holds_until_its_time_and_fails_on_anything() {
    let quiet = client_handshake().replace(
        "Send(message: ApplicationData(",
        "ExpectNothing(\"250ms\"), Send(message: ApplicationData(",
    );
    let run = run_client_probe(&quiet, 1);
    run.assert_passed("");

    let noisy = r#"(steps: [Send(message: ClientHello()), ExpectNothing("1s")])"#;
    let run = run_client_probe(noisy, 1);
    let Verdict::Failed(failure) = run.script.verdict() else {
        panic!("the Server Hello came: {:?}", run.script.verdict());
    };
    assert_eq!(failure.expected, "nothing for 1s");
}

#[test]
fn durations_are_written_with_a_unit_and_a_bare_number_is_refused() {
    let read = read_conversation;
    let patient = read(r#"(steps: [ExpectNothing("1.5s")], patience: "200ms")"#).unwrap();
    assert_eq!(patient.patience, Some(Span(Duration::from_millis(200))));
    assert_eq!(
        patient.steps,
        [Step::ExpectNothing(Span(Duration::from_millis(1500)))]
    );
    let bare = read("(steps: [], patience: 5000)").unwrap_err();
    assert!(
        bare.contains("expected a duration string such as \"5s\""),
        "{bare}"
    );
    let unitless = read(r#"(steps: [ExpectNothing("500")])"#).unwrap_err();
    assert!(unitless.contains("unknown unit"), "{unitless}");
}

#[test]
fn patience_ends_a_wait_for_what_never_comes() {
    let script = r#"(steps: [Expect(ServerHello())], patience: "500ms")"#;
    let run = run_client_probe(script, 0);
    let Verdict::Failed(failure) = run.script.verdict().clone() else {
        panic!("{:?}", run.script.verdict());
    };
    assert_eq!(failure.observed, "nothing within 500ms");
    assert_eq!(run.script.poll_timeout(), None);
}

#[test]
fn alert_or_close_accepts_a_silent_close() {
    let script = r#"(steps: [ExpectAlertOrClose(description: "close_notify")])"#;
    let (client, server) = configs(0);
    let mut run = Run::client(script, client, server, 0);
    run.script.start(run.now, &mut run.script_log);
    run.script.handle_peer_closed(run.now, &mut run.script_log);
    assert_eq!(run.script.verdict(), &Verdict::Passed);
}

/// The RON blocks of `docs/conversations.md`, in order.
fn documented_blocks() -> Vec<String> {
    let doc = include_str!("../../../docs/conversations.md");
    doc.split("```ron\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn every_documented_example_reads() {
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let blocks = documented_blocks();
    assert!(blocks.len() >= 10, "{} blocks", blocks.len());
    for block in blocks {
        let as_conversation = options.from_str::<Conversation>(&block);
        let as_steps = options.from_str::<Vec<tlsim_tls_script::Step>>(&block);
        assert!(
            as_conversation.is_ok() || as_steps.is_ok(),
            "{block}\nas a conversation: {as_conversation:?}\nas steps: {as_steps:?}"
        );
    }
}

#[test]
fn the_documented_conversation_passes_on_every_seed() {
    let example = documented_blocks().pop().expect("the complete example");
    for seed in 0..6 {
        let (mut client, server) = configs(seed);
        client.max_version = tlsim_tls::enums::ProtocolVersion::Tls12;
        let mut run = Run::client(&example, client, server, seed);
        run.drive();
        run.assert_passed(format!("seed {seed}"));
        assert_eq!(run.peer_alert_sent(), Some(AlertDescription::DecryptError));
    }
}

#[test]
fn the_documented_conversation_fails_at_step_8_when_the_finished_is_right() {
    let example = documented_blocks()
        .pop()
        .expect("the complete example")
        .replace(r#"Finished(xor: "01")"#, "Finished()");
    let (client, server) = configs(0);
    let mut run = Run::client(&example, client, server, 0);
    run.drive();
    let Verdict::Failed(failure) = run.script.verdict() else {
        panic!("{:?}", run.script.verdict());
    };
    assert_eq!(failure.step, 8);
    assert_eq!(failure.observed, "Change Cipher Spec (01)");
}

/// A client script waiting at `step`, then fed `bytes` and a close.
fn feed_garbage(steps: &str, bytes: &[u8], chunk: usize) -> Verdict {
    let (client, server) = configs(2);
    let mut run = Run::client(steps, client, server, 2);
    assert_eq!(run.drive(), Verdict::Running, "the script waits");
    for piece in bytes.chunks(chunk.max(1)) {
        run.script.handle_bytes(run.now, piece, &mut run.script_log);
    }
    run.script.handle_peer_closed(run.now, &mut run.script_log);
    run.script.verdict().clone()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    #[test]
    fn any_bytes_give_a_verdict(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        chunk in 1usize..50,
        header in proptest::sample::select(vec![
            Vec::new(),
            vec![22, 3, 3],
            vec![21, 3, 1, 0, 2],
            vec![20, 3, 3, 0, 1, 1],
            vec![23, 3, 3, 0, 40],
        ]),
    ) {
        let mut input = header;
        input.extend_from_slice(&bytes);
        // In the clear: the script waits for a Server Hello it never asked for.
        let waiting = r#"(steps: [Expect(ServerHello())])"#;
        proptest::prop_assert_ne!(feed_garbage(waiting, &input, chunk), Verdict::Running);
        // Encrypted: the script has keys active and waits for the Finished.
        let keyed = client_probe("Send(message: Finished()), Expect(ChangeCipherSpec), Expect(Finished), Expect(ApplicationData())");

        proptest::prop_assert_ne!(feed_garbage(&keyed, &input, chunk), Verdict::Running);
    }
}

/// Runs `steps` as a client against tlsim's server on seed 1; returns the
/// verdict and the alert the server sent.
fn probe(steps: &str) -> (Verdict, Option<AlertDescription>) {
    let run = run_client_probe(&format!("(steps: [{steps}])"), 1);
    (run.script.verdict().clone(), run.peer_alert_sent())
}

#[test]
fn probes_of_the_first_flight_get_the_alerts_rfc_5246_names() {
    let cases = [
        // RFC 5246 §7.4.1.3: no suite in common is handshake_failure.
        (
            r#"Send(message: ClientHello(cipher_suites: [0x0005])),
               ExpectAlert(level: Fatal, description: "handshake_failure")"#,
            AlertDescription::HandshakeFailure,
        ),
        // RFC 5246 Appendix E.1: a version below the server's floor.
        (
            r#"Send(message: ClientHello(version: 0x0300)),
               ExpectAlert(level: Fatal, description: "protocol_version")"#,
            AlertDescription::ProtocolVersion,
        ),
        // RFC 5246 §7.2.2: a length that does not match is decode_error.
        (
            r#"Send(message: ClientHello(lengths: (cipher_suites: 3))),
               ExpectAlert(level: Fatal, description: "decode_error")"#,
            AlertDescription::DecodeError,
        ),
        // RFC 5246 §7.4.1.1: HelloRequest is the server's to send.
        (
            r#"Send(message: HelloRequest),
               ExpectAlert(level: Fatal, description: "unexpected_message")"#,
            AlertDescription::UnexpectedMessage,
        ),
        // RFC 5246 §6: an unknown content type is unexpected_message.
        (
            r#"Send(message: Record(content_type: 25, data: "00")),
               ExpectAlert(level: Fatal, description: "unexpected_message")"#,
            AlertDescription::UnexpectedMessage,
        ),
        // RFC 5246 §6, RFC 6520 §2: heartbeat was not negotiated, so its
        // records are of an unexpected type.
        (
            r#"Send(message: Heartbeat(payload: "41")),
               ExpectAlert(level: Fatal, description: "unexpected_message")"#,
            AlertDescription::UnexpectedMessage,
        ),
        // RFC 5246 §7.4.9: application data before the handshake ends.
        (
            r#"Send(message: ClientHello()),
               Send(message: ApplicationData(text: "early")),
               Expect(ServerHello()), Expect(Certificate), Expect(ServerKeyExchange), Expect(ServerHelloDone),
               ExpectAlert(level: Fatal, description: "unexpected_message")"#,
            AlertDescription::UnexpectedMessage,
        ),
    ];
    for (steps, alert) in cases {
        let (verdict, sent) = probe(steps);
        assert_eq!(verdict, Verdict::Passed, "{steps}");
        assert_eq!(sent, Some(alert), "{steps}");
    }
}

#[test]
fn a_finished_encrypted_before_change_cipher_spec_is_refused() {
    // RFC 5246 §7.1: the keys apply only after ChangeCipherSpec.
    let (verdict, sent) = probe(
        r#"Send(message: ClientHello()),
           Expect(ServerHello()), Expect(Certificate), Expect(ServerKeyExchange), Expect(ServerHelloDone),
           Send(message: ClientKeyExchange()),
           Send(message: Finished(), protection: Encrypted),
           ExpectAlert(level: Fatal)"#,
    );
    assert_eq!(verdict, Verdict::Passed);
    assert!(sent.is_some());
}

#[test]
fn a_bad_cbc_mac_or_padding_gets_bad_record_mac() {
    // RFC 5246 §6.2.3.2: a bad MAC or padding is bad_record_mac.
    for tamper in [
        r#"mac: [Xor(at: 0, mask: "01")]"#,
        r#"padding: [Xor(at: -1, mask: "01")]"#,
        r#"padding: [Append("00")]"#,
    ] {
        let script = client_probe(&format!(
            r#"Send(message: Finished(), {tamper}),
               ExpectAlert(level: Fatal, description: "bad_record_mac"),"#
        ));
        for seed in [1, 3] {
            // Odd seeds: an RSA leaf, whose default suites include CBC ones;
            // a client offering only CBC makes the record a CBC one.
            let (mut client, server) = configs(seed);
            client.cipher_suites = vec![
                tlsim_tls::enums::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
                tlsim_tls::enums::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
            ];
            let mut run = Run::client(&script, client, server, seed);
            run.drive();
            run.assert_passed(format!("{tamper}, seed {seed}"));
        }
    }
}

#[test]
fn padding_longer_than_needed_is_accepted() {
    // RFC 5246 §6.2.3.2: padding may be any length up to 255 bytes.
    let script = client_handshake().replace(
        "Send(message: Finished()),",
        &format!(
            // 16 bytes of Finished and a 20-byte SHA-1 MAC: 28 bytes of
            // padding, each holding 27, end on a block boundary.
            r#"Send(message: Finished(), padding: [Truncate(0), Append("{}")]),"#,
            "1b".repeat(28)
        ),
    );
    let (mut client, server) = configs(1);
    client.cipher_suites = vec![tlsim_tls::enums::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA];
    let mut run = Run::client(&script, client, server, 1);
    run.drive();
    run.assert_passed("");
}

#[test]
fn the_log_shows_what_came_before_what_the_script_did_about_it() {
    let script = client_probe(
        r#"Send(message: Finished(xor: "01")),
           ExpectAlert(level: Fatal, description: "decrypt_error"),"#,
    );
    let run = run_client_probe(&script, 2);
    let titles: Vec<&str> = run.script_log.iter().map(|e| e.title.as_ref()).collect();
    assert_eq!(
        titles,
        [
            "Select a Client Random Number",
            "TLS Client Hello",
            "TLS Server Hello + Certificate + Server Key Exchange + Server Hello Done",
            "Client: Setup Elliptic Curve Cryptography",
            "Pre-master secret",
            "Master secret",
            "Key block",
            "TLS Client Key Exchange",
            "TLS Change Cipher Spec",
            "TLS Finished",
            "TLS Alert (decrypt_error)",
            "Conversation passed",
        ]
    );
}

#[test]
fn every_documented_example_writes_back_to_what_it_read() {
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    for block in documented_blocks() {
        let steps = match options.from_str::<Conversation>(&block) {
            Ok(conversation) => conversation.steps,
            Err(_) => options
                .from_str::<Vec<tlsim_tls_script::Step>>(&block)
                .unwrap(),
        };
        let written = options.to_string(&steps).expect("steps write");
        let read_back: Vec<tlsim_tls_script::Step> = options.from_str(&written).unwrap();
        assert_eq!(read_back, steps, "{written}");
    }
}

#[test]
fn mirror_probes_against_the_client_get_the_alerts_rfc_5246_names() {
    let flight =
        "Expect(ClientHello()), Send(message: ServerHello()), Send(message: Certificate()),";
    let cases = [
        // RFC 5246 §7.4.1.3: the suite must be one the client offered.
        (
            "Expect(ClientHello()), Send(message: ServerHello(cipher_suite: 0xc02c)),".to_owned(),
            AlertDescription::IllegalParameter,
        ),
        // RFC 8422 §5.4: the curve must be one the client offered.
        (
            format!("{flight} Send(message: ServerKeyExchange(group: 29)),"),
            AlertDescription::IllegalParameter,
        ),
        // RFC 5246 §7.4.1.4: an extension the client did not offer.
        (
            r#"Expect(ClientHello()),
               Send(message: ServerHello(extensions: (add: [(typ: 35, data: "")]))),"#
                .to_owned(),
            AlertDescription::UnsupportedExtension,
        ),
        // RFC 5246 §7.3, §7.2.2: the key exchange before the certificate.
        (
            "Expect(ClientHello()), Send(message: ServerHello()), Send(message: ServerKeyExchange()),"
                .to_owned(),
            AlertDescription::UnexpectedMessage,
        ),
        // RFC 5246 §7.4.9, §7.2.2: a server Finished that does not verify.
        (
            format!(
                r#"{flight} Send(message: ServerKeyExchange()), Send(message: ServerHelloDone),
                   Expect(ClientKeyExchange), Expect(ChangeCipherSpec), Expect(Finished),
                   Send(message: ChangeCipherSpec()), Send(message: Finished(xor: "01")),"#
            ),
            AlertDescription::DecryptError,
        ),
    ];
    for (steps, alert) in cases {
        let (mut client, server) = configs(2);
        client.groups = vec![tlsim_tls::enums::NamedGroup::Secp256r1];
        client.max_version = tlsim_tls::enums::ProtocolVersion::Tls12;
        let script = format!(
            r#"(steps: [{steps} ExpectAlert(level: Fatal, description: "{}")])"#,
            tlsim_tls::conn::alert_name(alert)
        );
        let mut run = Run::server(&script, client, server, 2);
        run.drive();
        run.assert_passed(&steps);
        assert_eq!(run.peer_alert_sent(), Some(alert), "{steps}");
    }
}

#[test]
fn given_hello_fields_reach_the_wire_and_the_keys_follow_them() {
    let random = "ab".repeat(32);
    let script = client_handshake()
        .replace(
            "Send(message: ClientHello()),",
            &format!(
                r#"Send(message: ClientHello(random: "{random}", session_id: "0102",
                       extensions: (remove: [23], add: [(typ: 0x7777, data: "00")], order: [0x7777])),
                   record_version: 0x0302),"#
            ),
        )
        .replace(
            "Expect(ServerHello()),",
            "Expect(ServerHello(without_extensions: [23, 0x7777])),",
        );
    let (mut client, server) = configs(0);
    client.extended_master_secret = true;
    let mut run = Run::client(&script, client, server, 0);
    run.drive();
    run.assert_passed("");
    let hello = run
        .script_log
        .iter()
        .find(|e| e.title == "TLS Client Hello")
        .and_then(|e| e.bytes.clone())
        .expect("the Client Hello was sent");
    assert_eq!(hello[1..3], [3, 2], "record version");
    assert_eq!(hex::encode(&hello[11..43]), random);
    assert_eq!(hello[43..46], [2, 1, 2], "session id");
    // The first extension is the one given, in front of the profile's.
    let suites_len = usize::from(u16::from_be_bytes([hello[46], hello[47]]));
    let extensions = 48 + suites_len + 2 + 2;
    assert_eq!(hello[extensions..extensions + 2], [0x77, 0x77]);
    assert!(run.script.keylog_lines()[0].contains(&random));
}

#[test]
fn a_warning_between_the_records_of_a_client_hello_is_borne() {
    // RFC 5246 §6.2.1: records of other types may come between the records
    // of a handshake message; §7.2: a warning does not end the connection
    // (RFC 6066 §3 sends unrecognized_name as one).
    let script = client_handshake().replace(
        "Send(message: ClientHello()),",
        r#"Send(message: ClientHello(), fragment: 40, interleave: [
               (after: 1, message: Alert(level: Warning, description: "unrecognized_name")),
           ]),"#,
    );
    let run = run_client_probe(&script, 0);
    run.assert_passed("");
    assert!(
        run.peer_events
            .contains(&TlsEvent::AlertReceived(Alert::warning(
                AlertDescription::UnrecognizedName
            )))
    );
    let titles: Vec<&str> = run.script_log.iter().map(|e| e.title.as_ref()).collect();
    assert_eq!(
        titles[1..4],
        [
            "TLS Client Hello",
            "TLS Alert (unrecognized_name)",
            "TLS Client Hello"
        ]
    );
    let first = run.script_log[1].bytes.as_deref().unwrap_or_default();
    assert_eq!(first.len(), 5 + 40, "one record before the alert");
}

/// A TLS 1.3 client and server on the test PKI: AES-128-GCM and ChaCha20
/// by seed, x25519 and secp256r1 groups.
fn tls13_configs(seed: u64) -> (ClientConfig, ServerConfig) {
    use tlsim_tls::enums::{CipherSuite, NamedGroup, ProtocolVersion};
    let pki = pki(LeafKey::Ecdsa);
    let suite = [
        CipherSuite::TLS_AES_128_GCM_SHA256,
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
    ][(seed % 2) as usize];
    let mut client = client_config(&pki);
    client.max_version = ProtocolVersion::Tls13;
    client.cipher_suites = vec![suite];
    client.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
    let mut server = server_config(&pki);
    server.max_version = ProtocolVersion::Tls13;
    server.cipher_suites = vec![suite];
    server.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
    (client, server)
}

/// The labels of a script's key log lines.
fn key_log_labels(run: &mut Run) -> Vec<String> {
    (run.script.keylog_lines().iter())
        .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_scripted_tls13_client_reads_the_encrypted_flight_and_updates_its_keys() {
    // RFC 8446 §7.1: the script's secrets match the server's, or nothing
    // after the Server Hello would open; §4.6.3: the server answers
    // update_requested with a KeyUpdate of its own.
    for seed in 0..4 {
        let group = [29, 23][(seed / 2) as usize];
        let script = format!(
            r#"(steps: [
                Send(message: ClientHello(key_shares: [{group}])),
                Expect(ServerHello(version: 0x0303)),
                Expect(EncryptedExtensions),
                Expect(Certificate),
                Expect(CertificateVerify),
                Expect(Finished),
                Send(message: Finished()),
                Send(message: ApplicationData(text: "one")),
                Expect(ApplicationData(text: "one")),
                Send(message: KeyUpdate(request_update: 1)),
                Expect(KeyUpdate),
                Send(message: ApplicationData(text: "two")),
                Expect(ApplicationData(text: "two")),
            ])"#
        );
        let (client, server) = tls13_configs(seed);
        let mut run = Run::client(&script, client, server, seed);
        run.drive();
        run.assert_passed(format!("seed {seed}"));
        assert!(run.peer_completed(), "seed {seed}");
        assert_eq!(run.peer_received, b"onetwo", "seed {seed}");
        assert_eq!(
            key_log_labels(&mut run),
            [
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0",
                "SERVER_TRAFFIC_SECRET_0",
                "EXPORTER_SECRET",
                "CLIENT_TRAFFIC_SECRET_1",
                "SERVER_TRAFFIC_SECRET_1",
            ],
            "seed {seed}"
        );
    }
}

#[test]
fn a_scripted_tls13_server_completes_a_handshake_with_tlsims_client() {
    // RFC 8446 §4.4: the client checks the script's chain, signature and
    // Finished, then sends its Finished and "ping" under its own keys.
    let script = r#"(steps: [
        Expect(ClientHello()),
        Send(message: ServerHello(key_share: 29)),
        Send(message: EncryptedExtensions(), coalesce: true),
        Send(message: Certificate(), coalesce: true),
        Send(message: CertificateVerify(), coalesce: true),
        Send(message: Finished()),
        Expect(ChangeCipherSpec),
        Expect(Finished),
        Expect(ApplicationData(text: "ping")),
        Send(message: ApplicationData(text: "pong")),
    ])"#;
    for seed in 0..2 {
        let (client, server) = tls13_configs(seed);
        let mut run = Run::server(script, client, server, seed);
        run.drive();
        run.assert_passed(format!("seed {seed}"));
        assert!(run.peer_completed(), "seed {seed}");
        assert_eq!(run.peer_received, b"pong", "seed {seed}");
    }
}

#[test]
fn a_spoiled_tls13_certificate_verify_gets_decrypt_error() {
    // RFC 8446 §4.4.3: a signature that does not verify is decrypt_error.
    let script = r#"(steps: [
        Expect(ClientHello()),
        Send(message: ServerHello(key_share: 29)),
        Send(message: EncryptedExtensions()),
        Send(message: Certificate()),
        Send(message: CertificateVerify(signature_xor: "000000000000000001")),
        Send(message: Finished()),
        ExpectAlert(level: Fatal, description: "decrypt_error"),
    ])"#;
    let (client, server) = tls13_configs(0);
    let mut run = Run::server(script, client, server, 0);
    run.drive();
    run.assert_passed("");
    assert!(!run.peer_completed());
}

#[test]
fn a_tls13_key_update_with_request_update_2_gets_illegal_parameter() {
    // RFC 8446 §4.6.3: a request_update other than 0 or 1.
    let script = r#"(steps: [
        Send(message: ClientHello(key_shares: [29])),
        Expect(ServerHello()),
        Expect(EncryptedExtensions),
        Expect(Certificate),
        Expect(CertificateVerify),
        Expect(Finished),
        Send(message: Finished()),
        Send(message: KeyUpdate(request_update: 2)),
        ExpectAlert(level: Fatal, description: "illegal_parameter"),
    ])"#;
    let (client, server) = tls13_configs(1);
    let mut run = Run::client(script, client, server, 1);
    run.drive();
    run.assert_passed("");
    assert_eq!(
        run.peer_alert_sent(),
        Some(AlertDescription::IllegalParameter)
    );
}

#[test]
fn a_tls13_message_that_changes_keys_cannot_be_coalesced() {
    let script = r#"(steps: [
        Expect(ClientHello()),
        Send(message: ServerHello(key_share: 29), coalesce: true),
    ])"#;
    let (client, server) = tls13_configs(0);
    let mut run = Run::server(script, client, server, 0);
    let Verdict::Failed(failure) = run.drive() else {
        panic!("a coalesced key change passed");
    };
    assert_eq!(failure.step, 1);
    assert_eq!(failure.observed, "coalesce");
}

/// A DHE-RSA client and server on ffdhe2048.
fn dhe_configs() -> (ClientConfig, ServerConfig) {
    use tlsim_tls::enums::{CipherSuite, NamedGroup};
    let pki = pki(LeafKey::Rsa);
    let mut client = client_config(&pki);
    client.cipher_suites = vec![CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256];
    client.groups = vec![NamedGroup::Ffdhe2048];
    let mut server = server_config(&pki);
    server.cipher_suites = vec![CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256];
    server.groups = vec![NamedGroup::Ffdhe2048];
    (client, server)
}

#[test]
fn scripted_dhe_completes_both_ways() {
    // RFC 5246 §8.1.2: both ends derive the same pre-master secret g^xy.
    let (client, server) = dhe_configs();
    let mut run = Run::client(&client_handshake(), client, server, 3);
    run.drive();
    run.assert_passed("client");
    assert!(run.peer_completed());
    let (client, server) = dhe_configs();
    let mut run = Run::server(SERVER_HANDSHAKE, client, server, 3);
    run.drive();
    run.assert_passed("server");
    assert_eq!(run.peer_received, b"pong");
}

#[test]
fn a_dhe_server_value_of_one_gets_handshake_failure() {
    // RFC 7919 §3: the client checks 1 < dh_Ys < dh_p - 1.
    let script = r#"(steps: [
        Expect(ClientHello()),
        Send(message: ServerHello()),
        Send(message: Certificate()),
        Send(message: ServerKeyExchange(dh_public: "01")),
        Send(message: ServerHelloDone),
        ExpectAlert(level: Fatal, description: "handshake_failure"),
    ])"#;
    let (client, server) = dhe_configs();
    let mut run = Run::server(script, client, server, 4);
    run.drive();
    run.assert_passed("");
}
