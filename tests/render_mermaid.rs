//! The Mermaid rendering of event logs: structure, escaping, scale.

use tlsim::mermaid::render_mermaid;
use tlsim_sim::{Event, Instant, Kind, Layer};

fn at(ms: u64) -> Instant {
    Instant::from_nanos(ms * 1_000_000)
}

fn segment(ms: u64, kind: Kind, actor: &str, peer: &str, title: &str, seq: u32, ack: u32) -> Event {
    Event::new(at(ms), actor, kind, Layer::Tcp, title.to_string())
        .peer(peer)
        .field("Seq", seq)
        .field("Ack", ack)
        .field("Len", 0)
}

/// `events`, numbered from 0 as a run numbers them.
fn numbered(events: impl IntoIterator<Item = Event>) -> Vec<Event> {
    (events.into_iter().enumerate())
        .map(|(seq, mut e)| {
            e.seq = seq as u64;
            e
        })
        .collect()
}

/// Whether every `;` of `line` ends an entity code such as `#59;`.
fn semicolons_only_end_entities(line: &str) -> bool {
    let mut pieces: Vec<&str> = line.split(';').collect();
    pieces.pop();
    pieces.iter().all(|piece| {
        let digits = piece.trim_end_matches(|c: char| c.is_ascii_digit());
        digits.len() < piece.len() && digits.ends_with('#')
    })
}

fn handshake_with_loss() -> Vec<Event> {
    numbered([
        Event::new(at(0), "sim", Kind::Action, Layer::Sim, "Run started").field("Seed", 1),
        segment(0, Kind::Send, "client", "server", "TCP SYN", 0, 0),
        segment(10, Kind::Recv, "server", "client", "TCP SYN", 0, 0),
        Event::new(
            at(10),
            "server",
            Kind::State,
            Layer::Tcp,
            "TCP state LISTEN -> SYN-RECEIVED",
        ),
        segment(10, Kind::Send, "server", "client", "TCP SYN, ACK", 0, 1),
        Event::new(
            at(15),
            "server->client",
            Kind::Drop,
            Layer::Link,
            "Packet lost on link",
        ),
        Event::new(
            at(20),
            "client",
            Kind::Fault,
            Layer::Link,
            "Fault: corrupt #1; flip bit",
        ),
        Event::new(
            at(30),
            "client",
            Kind::Action,
            Layer::Tls,
            "Derive master secret",
        )
        .field("Pre-master secret", "00ff"),
    ])
}

fn render(events: &[Event]) -> String {
    let mut out = Vec::new();
    render_mermaid(events, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn draws_sends_as_arrows_and_skips_their_receipts() {
    let text = render(&handshake_with_loss());
    assert_eq!(
        text,
        "sequenceDiagram
    participant client as client
    participant server as server
    Note over client,server: #35;0 · 0.000 ms · Run started<br/>Seed#58; 1
    client->>server: #35;1 · 0.000 ms · TCP SYN<br/>Seq=0 Ack=0 Len=0
    Note over server: #35;3 · 10.000 ms · TCP state LISTEN -#62; SYN-RECEIVED
    server->>client: #35;4 · 10.000 ms · TCP SYN, ACK<br/>Seq=0 Ack=1 Len=0
    server-xclient: #35;5 · 15.000 ms · ✗ Packet lost on link
    Note over client: #35;6 · 20.000 ms · ⚡ Fault#58; corrupt #35;1#59; flip bit
    Note over client: #35;7 · 30.000 ms · Derive master secret
"
    );
}

#[test]
fn participants_follow_first_appearance_and_keep_display_names() {
    let events = numbered([
        Event::new(at(0), "mallory", Kind::Action, Layer::Tls, "Intercept"),
        Event::new(at(1), "end", Kind::Send, Layer::Tcp, "TCP FIN").peer("10.0.0.2:443"),
    ]);
    let text = render(&events);
    let participants: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("participant"))
        .map(str::trim)
        .collect();
    assert_eq!(
        participants,
        [
            "participant mallory as mallory",
            "participant p_end as end",
            "participant p_10_0_0_2_443 as 10.0.0.2#58;443",
        ]
    );
    assert!(text.contains("    p_end->>p_10_0_0_2_443: #35;1 · 1.000 ms · TCP FIN\n"));
}

#[test]
fn a_dropped_message_with_a_peer_is_a_crossed_arrow() {
    let events =
        [Event::new(at(5), "server", Kind::Drop, Layer::Tls, "Bad record MAC").peer("client")];
    assert!(render(&events).contains("    server-xclient: #35;0 · 5.000 ms · ✗ Bad record MAC\n"));
}

#[test]
fn renders_a_thousand_event_log_one_statement_per_line() {
    let mut events = Vec::new();
    for i in 0..250u32 {
        let ms = u64::from(i);
        events.push(segment(
            ms,
            Kind::Send,
            "client",
            "server",
            "TCP Segment",
            i,
            1,
        ));
        events.push(segment(
            ms + 10,
            Kind::Recv,
            "server",
            "client",
            "TCP Segment",
            i,
            1,
        ));
        events.push(segment(
            ms + 10,
            Kind::Send,
            "server",
            "client",
            "TCP ACK",
            1,
            i,
        ));
        events.push(Event::new(
            at(ms),
            "client",
            Kind::Timer,
            Layer::Tcp,
            "RTO; armed",
        ));
    }
    assert_eq!(events.len(), 1000);
    let text = render(&events);
    // 1 header, 2 participants, 750 drawn events (receipts are not drawn).
    assert_eq!(text.lines().count(), 3 + 750);
    for line in text.lines().skip(3) {
        assert!(
            line.starts_with("    client->>server: ")
                || line.starts_with("    server->>client: ")
                || line.starts_with("    Note over client: "),
            "{line}"
        );
        assert!(semicolons_only_end_entities(line), "{line}");
    }
}

#[test]
fn renders_a_log_read_back_from_json_lines() {
    let log = include_str!("golden/tcp-lossy.jsonl");
    let events: Vec<Event> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let text = render(&events);
    assert!(text.starts_with(
        "sequenceDiagram\n    participant client as client\n    participant server as server\n"
    ));
    assert!(text.contains("client-xserver: "));
    assert!(text.contains("Note over client,server: "));
    assert!(!text.contains("participant client_server"));
}
