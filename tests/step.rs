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
        script("n; f; n; n; b; f; e"),
        "\
5 events, #0 to #4. n: next, p: previous, h: help, q: quit.
step> n
#0/4 0.000 ms  client  send tcp TCP SYN (to server)  Seq=0 Ack=0 Len=0
    Opens the connection.
step> f
  Seq: 0
  Ack: 0
  Len: 0
step> n
#1/4 10.000 ms  server  recv tcp TCP SYN (from client)  Seq=0 Ack=0 Len=0
step> n
#2/4 20.000 ms  client  send tls TLS Client Hello (to server)  Content Type: Handshake (22), Version: TLS 1.0 (0x0301), Handshake Type: Client Hello (1)
    Offers versions and cipher suites.
step> b
0000  16 03 01 00 04 01 00 00  00                       |.........|
step> f
  Content Type: Handshake (22)  [bytes 0..1]
  Version: TLS 1.0 (0x0301)  [bytes 1..3]
    Handshake Type: Client Hello (1)  [bytes 5..6]
step> e
Offers versions and cipher suites.
"
    );
}

#[test]
fn steps_back_and_stops_at_both_ends() {
    assert_eq!(
        script("p\nn\np\ng 3\nn\nn\np"),
        "\
5 events, #0 to #4. n: next, p: previous, h: help, q: quit.
step> p
Already at the start of the log: n goes forward.
step> n
#0/4 0.000 ms  client  send tcp TCP SYN (to server)  Seq=0 Ack=0 Len=0
    Opens the connection.
step> p
Already at the start of the log: n goes forward.
step> g 3
#3/4 40.000 ms  client  action tls Derive master secret  Pre-master secret: 0303aa, Master secret: bb01
step> n
#4/4 40.000 ms  client  state tls Handshake done
step> n
End of the log (5 events): p goes back, q quits.
step> p
#3/4 40.000 ms  client  action tls Derive master secret  Pre-master secret: 0303aa, Master secret: bb01
"
    );
}

#[test]
fn jumps_by_layer_and_by_title_and_lists_key_computations() {
    assert_eq!(
        script("k; l tls; m MASTER; k; l spdy; m hello"),
        "\
5 events, #0 to #4. n: next, p: previous, h: help, q: quit.
step> k
No key computations yet.
step> l tls
#2/4 20.000 ms  client  send tls TLS Client Hello (to server)  Content Type: Handshake (22), Version: TLS 1.0 (0x0301), Handshake Type: Client Hello (1)
    Offers versions and cipher suites.
step> m MASTER
#3/4 40.000 ms  client  action tls Derive master secret  Pre-master secret: 0303aa, Master secret: bb01
step> k
#3 40.000 ms client: Derive master secret
  Pre-master secret: 0303aa
  Master secret: bb01
step> l spdy
No later event in layer spdy.
step> m hello
No later event with 'hello' in its title.
"
    );
}

#[test]
fn unknown_commands_and_missing_arguments_get_a_helpful_message() {
    let text = script("x; f; g g; 99; l udp; n n; q; n");
    assert_eq!(
        text,
        "\
5 events, #0 to #4. n: next, p: previous, h: help, q: quit.
step> x
Unknown command 'x'. Type h for help.
step> f
No event yet: n shows the first one.
step> g g
'g' is not an event number: try g 12
step> 99
Unknown command '99'. Type h for help.
step> l udp
Unknown layer 'udp': use tcp, tls, spdy, link or sim
step> n n
n takes no argument, but got 'n': separate commands with ; (n; n; f)
step> q
"
    );
}

#[test]
fn script_arguments_may_contain_spaces_and_commands_end_at_semicolons_or_lines() {
    let mut log = lesson();
    log.record(Event::new(
        at(50_000),
        "server",
        Kind::Recv,
        Layer::Tls,
        "TLS Client Key Exchange",
    ));
    let mut out = Vec::new();
    run_script(
        &log,
        " m Client Key Exchange ;; g #0\n\np;q",
        &mut out,
        false,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "\
6 events, #0 to #5. n: next, p: previous, h: help, q: quit.
step> m Client Key Exchange
#5/5 50.000 ms  server  recv tls TLS Client Key Exchange
step> g #0
#0/5 0.000 ms  client  send tcp TCP SYN (to server)  Seq=0 Ack=0 Len=0
    Opens the connection.
step> p
Already at the start of the log: n goes forward.
step> q
"
    );
}

#[test]
fn scripted_and_interactive_modes_print_the_same_transcript() {
    let commands = ["n", "m Derive master", "k", "q"];
    let mut scripted = Vec::new();
    run_script(&lesson(), &commands.join("; "), &mut scripted, false).unwrap();
    let mut interactive = Vec::new();
    let typed = commands.join("\n");
    run_interactive(&lesson(), typed.as_bytes(), &mut interactive, false).unwrap();
    // A terminal echoes what is typed after the prompt; the script echoes it itself.
    let mut typed_lines = commands.iter();
    let echoed: String = String::from_utf8(interactive)
        .unwrap()
        .split_inclusive("step> ")
        .map(|part| {
            format!(
                "{part}{}\n",
                typed_lines.next().expect("one prompt a command")
            )
        })
        .collect();
    assert_eq!(String::from_utf8(scripted).unwrap(), echoed);
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
5 events, #0 to #4. n: next, p: previous, h: help, q: quit.
step> #2/4 20.000 ms  client  send tls TLS Client Hello (to server)  Content Type: Handshake (22), Version: TLS 1.0 (0x0301), Handshake Type: Client Hello (1)
    Offers versions and cipher suites.
step> #3/4 40.000 ms  client  action tls Derive master secret  Pre-master secret: 0303aa, Master secret: bb01
step> "
    );
}

#[test]
fn interactive_mode_ends_cleanly_at_end_of_input() {
    let mut out = Vec::new();
    run_interactive(&lesson(), "n\n".as_bytes(), &mut out, false).unwrap();
    assert!(String::from_utf8(out).unwrap().ends_with("step> \n"));
}
