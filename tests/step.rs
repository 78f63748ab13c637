//! Teaching mode driven by scripts over a small synthetic log.

use tlsim::step::{run_interactive, run_script};
use tlsim_sim::{Event, Instant, Kind, Layer, Tracer};

fn at(us: u64) -> Instant {
    Instant::from_nanos(us * 1_000)
}

/// TCP handshake, a Client Hello with a small dissection tree, and a key computation.
fn lesson() -> Vec<Event> {
    let mut log: Vec<Event> = Vec::new();
    log.record(
        Event::new(at(0), "client", Kind::Send, Layer::Tcp, "TCP SYN")
            .peer("server")
            .field("Seq", 0)
            .field("Ack", 0)
            .field("Len", 0)
            .explain("Opens the connection."),
    );
    log.record(
        Event::new(at(10_000), "server", Kind::Recv, Layer::Tcp, "TCP SYN")
            .peer("client")
            .field("Seq", 0)
            .field("Ack", 0)
            .field("Len", 0),
    );
    let mut hello = Event::new(
        at(20_000),
        "client",
        Kind::Send,
        Layer::Tls,
        "TLS Client Hello",
    )
    .peer("server")
    .bytes(vec![0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00])
    .explain("Offers versions and cipher suites.");
    hello.push_field("Content Type", "Handshake (22)", 0, Some([0, 1]));
    hello.push_field("Version", "TLS 1.0 (0x0301)", 0, Some([1, 3]));
    hello.push_field("Handshake Type", "Client Hello (1)", 1, Some([5, 6]));
    log.record(hello);
    log.record(
        Event::new(
            at(40_000),
            "client",
            Kind::Action,
            Layer::Tls,
            "Derive master secret",
        )
        .field("Pre-master secret", "0303aa")
        .field("Master secret", "bb01"),
    );
    log.record(Event::new(
        at(40_000),
        "client",
        Kind::State,
        Layer::Tls,
        "Handshake done",
    ));
    log
}

fn script(commands: &str) -> String {
    let mut out = Vec::new();
    run_script(&lesson(), commands, &mut out, false).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn steps_forward_and_shows_fields_bytes_and_explanations() {
    assert_eq!(
        script("n f n n b f e"),
        "\
5 events. n: next, p: previous, h: help, q: quit.
> n
[1/5] 0.000 ms  client  send tcp TCP SYN (to server)  Seq=0 Ack=0 Len=0
    Opens the connection.
> f
  Seq: 0
  Ack: 0
  Len: 0
> n
[2/5] 10.000 ms  server  recv tcp TCP SYN (from client)  Seq=0 Ack=0 Len=0
> n
[3/5] 20.000 ms  client  send tls TLS Client Hello (to server)  Content Type: Handshake (22), Version: TLS 1.0 (0x0301), Handshake Type: Client Hello (1)
    Offers versions and cipher suites.
> b
0000  16 03 01 00 04 01 00 00  00                       |.........|
> f
  Content Type: Handshake (22)  [bytes 0..1]
  Version: TLS 1.0 (0x0301)  [bytes 1..3]
    Handshake Type: Client Hello (1)  [bytes 5..6]
> e
Offers versions and cipher suites.
"
    );
}

#[test]
fn steps_back_and_stops_at_both_ends() {
    assert_eq!(
        script("p n p g 3 n n p"),
        "\
5 events. n: next, p: previous, h: help, q: quit.
> p
Already at the start of the log: n goes forward.
> n
[1/5] 0.000 ms  client  send tcp TCP SYN (to server)  Seq=0 Ack=0 Len=0
    Opens the connection.
> p
Already at the start of the log: n goes forward.
> g 3
[4/5] 40.000 ms  client  action tls Derive master secret  Pre-master secret: 0303aa, Master secret: bb01
> n
[5/5] 40.000 ms  client  state tls Handshake done
> n
End of the log (5 events): p goes back, q quits.
> p
[4/5] 40.000 ms  client  action tls Derive master secret  Pre-master secret: 0303aa, Master secret: bb01
"
    );
}

#[test]
fn jumps_by_layer_and_by_title_and_lists_key_computations() {
    assert_eq!(
        script("k l tls m MASTER k l spdy m hello"),
        "\
5 events. n: next, p: previous, h: help, q: quit.
> k
No key computations yet.
> l tls
[3/5] 20.000 ms  client  send tls TLS Client Hello (to server)  Content Type: Handshake (22), Version: TLS 1.0 (0x0301), Handshake Type: Client Hello (1)
    Offers versions and cipher suites.
> m MASTER
[4/5] 40.000 ms  client  action tls Derive master secret  Pre-master secret: 0303aa, Master secret: bb01
> k
#3 40.000 ms client: Derive master secret
  Pre-master secret: 0303aa
  Master secret: bb01
> l spdy
No later event in layer spdy.
> m hello
No later event with 'hello' in its title.
"
    );
}

#[test]
fn unknown_commands_and_missing_arguments_get_a_helpful_message() {
    let text = script("x f g g 99 l udp q n");
    assert_eq!(
        text,
        "\
5 events. n: next, p: previous, h: help, q: quit.
> x
Unknown command 'x'. Type h for help.
> f
No event yet: n shows the first one.
> g g
'g' is not an event number: try g 12
> 99
Unknown command '99'. Type h for help.
> l udp
Unknown layer 'udp': use tcp, tls, spdy, link or sim
> q
"
    );
}

#[test]
fn help_lists_every_command() {
    let text = script("h");
    for verb in [
        "n, next", "p, prev", "g N", "l LAYER", "m TEXT", "  f", "  b", "  k", "  e", "h, ?", "  q",
    ] {
        assert!(text.contains(verb), "{verb} missing from:\n{text}");
    }
}

#[test]
fn colour_is_ansi_only_when_enabled() {
    let mut plain = Vec::new();
    run_script(&lesson(), "n", &mut plain, false).unwrap();
    assert!(!plain.contains(&0x1b));
    let mut coloured = Vec::new();
    run_script(&lesson(), "n", &mut coloured, true).unwrap();
    let coloured = String::from_utf8(coloured).unwrap();
    assert!(coloured.contains("\x1b[34mtcp\x1b[0m"), "{coloured:?}");
}

#[test]
fn interactive_mode_reads_a_command_per_line_and_takes_titles_with_spaces() {
    let input = "m client hello\n\nq\nn\n";
    let mut out = Vec::new();
    run_interactive(&lesson(), input.as_bytes(), &mut out, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "\
5 events. n: next, p: previous, h: help, q: quit.
step> [3/5] 20.000 ms  client  send tls TLS Client Hello (to server)  Content Type: Handshake (22), Version: TLS 1.0 (0x0301), Handshake Type: Client Hello (1)
    Offers versions and cipher suites.
step> [4/5] 40.000 ms  client  action tls Derive master secret  Pre-master secret: 0303aa, Master secret: bb01
step> "
    );
}

#[test]
fn interactive_mode_ends_cleanly_at_end_of_input() {
    let mut out = Vec::new();
    run_interactive(&lesson(), "n\n".as_bytes(), &mut out, false).unwrap();
    assert!(String::from_utf8(out).unwrap().ends_with("step> \n"));
}
