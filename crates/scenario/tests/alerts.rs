//! Alert expectations: each form (`Alert`, `AnyAlert`, `AlertOrClose`,
//! `NoAlert`) holding and failing, with what was observed in the failure.

use tlsim_net::NoTap;
use tlsim_scenario::expect::{EventChecker, Failure, check};
use tlsim_scenario::{parse, run};

/// The shipped TLS 1.2 tamper scenario with `alerts` as its only
/// expectations: an on-path attacker flips a bit of the server's response,
/// so the client sends a fatal bad_record_mac (RFC 5246 §7.2.2) and the
/// server, reading it, closes. Without `tamper` the session is clean;
/// without `close` the client never closes it.
fn scenario(tamper: bool, close: bool, alerts: &str) -> String {
    let shipped = include_str!("../../../scenarios/tls12-tamper.ron");
    let body = &shipped[..shipped.find("    expect: (").expect("an expect section")];
    let kept: Vec<&str> = body
        .lines()
        .filter(|line| tamper || !line.contains("Fault("))
        .filter(|line| close || !line.contains("Close("))
        .collect();
    format!(
        "{}\n    expect: (alerts: [{alerts}]),\n)\n",
        kept.join("\n")
    )
}

/// The failures of a run of `text`.
fn failures(text: &str) -> Vec<Failure> {
    let scenario = parse(text, "alerts.ron").unwrap_or_else(|e| panic!("{e}"));
    let mut events = EventChecker::new(&scenario.expect);
    let outcome = run(
        &scenario,
        scenario.seed,
        Default::default(),
        &mut events,
        &mut NoTap,
    );
    check(&scenario.expect, &outcome, &events)
}

/// The one failure of a run, as `tlsim check` prints it.
#[track_caller]
fn only_failure(text: &str) -> String {
    let found = failures(text);
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].to_string()
}

/// The time in "… at 12.345 ms", cut off, so that messages compare
/// without depending on the exact instant.
fn without_time(message: &str) -> String {
    message.split(" at ").next().unwrap().to_string()
}

/// The untouched scenario with a plain TCP client that writes `hex` in
/// place of its request, and no alert expectations.
fn plain_client_writing(hex: &str) -> String {
    scenario(false, false, "")
        .replace(r#", tls: "client")"#, ")")
        .replace(
            r#"Text("GET / HTTP/1.1\r\nHost: server.test\r\n\r\n")"#,
            &format!("Hex(\"{hex}\")"),
        )
}

#[test]
fn the_alert_that_was_sent_holds() {
    let alerts =
        r#"Alert(conn: "c1", from: "client", level: Fatal, description: "bad_record_mac")"#;
    assert_eq!(failures(&scenario(true, true, alerts)), []);
}

#[test]
fn another_alert_fails_and_says_which_came_and_when() {
    let alerts =
        r#"Alert(conn: "c1", from: "client", level: Fatal, description: "unexpected_message")"#;
    let message = only_failure(&scenario(true, true, alerts));
    assert!(
        message.starts_with(
            "expected fatal unexpected_message from client on c1; client sent fatal bad_record_mac at "
        ),
        "{message}"
    );
    assert!(message.ends_with(" ms"), "{message}");
}

#[test]
fn the_level_counts_too() {
    let alerts =
        r#"Alert(conn: "c1", from: "client", level: Warning, description: "bad_record_mac")"#;
    let message = only_failure(&scenario(true, true, alerts));
    assert_eq!(
        without_time(&message),
        "expected warning bad_record_mac from client on c1; client sent fatal bad_record_mac"
    );
}

#[test]
fn an_alert_expected_of_an_end_that_sent_none_fails() {
    let alerts =
        r#"Alert(conn: "c1", from: "server", level: Fatal, description: "bad_record_mac")"#;
    let message = only_failure(&scenario(true, true, alerts));
    // The server read the client's fatal alert and closed without one.
    assert_eq!(
        without_time(&message),
        "expected fatal bad_record_mac from server on c1; server sent no alert and closed the connection"
    );
}

#[test]
fn any_alert_holds_for_the_sender_and_fails_for_the_other_end() {
    let holds = r#"AnyAlert(conn: "c1", from: "client")"#;
    assert_eq!(failures(&scenario(true, true, holds)), []);
    let fails = r#"AnyAlert(conn: "c1", from: "server")"#;
    assert_eq!(
        without_time(&only_failure(&scenario(true, true, fails))),
        "expected an alert from server on c1; server sent no alert and closed the connection"
    );
}

#[test]
fn alert_or_close_holds_for_an_alert_and_for_a_close_without_one() {
    let alerts =
        r#"AlertOrClose(conn: "c1", from: "client"), AlertOrClose(conn: "c1", from: "server")"#;
    assert_eq!(failures(&scenario(true, true, alerts)), []);
}

#[test]
fn alert_or_close_fails_when_the_end_neither_alerts_nor_closes() {
    // Untouched and never closed: the session stays open.
    let alerts = r#"AlertOrClose(conn: "c1", from: "server")"#;
    assert_eq!(
        only_failure(&scenario(false, false, alerts)),
        "expected an alert or a close from server on c1; server sent no alert and did not close the connection"
    );
}

#[test]
fn no_alert_holds_for_a_clean_close_and_fails_for_an_alert() {
    // close_notify closes; it is not an error alert.
    let clean = r#"NoAlert(conn: "c1", from: "client"), NoAlert(conn: "c1", from: "server")"#;
    assert_eq!(failures(&scenario(false, true, clean)), []);
    let fails = r#"NoAlert(conn: "c1", from: "client")"#;
    assert_eq!(
        without_time(&only_failure(&scenario(true, true, fails))),
        "expected no alert from client on c1; client sent fatal bad_record_mac"
    );
}

#[test]
fn an_end_without_tls_is_judged_by_what_its_peer_received() {
    // A plain TCP client writes a fatal handshake_failure alert record by
    // hand; the server's TLS reads it (RFC 5246 §7.2: fatal, so it fails).
    let text = plain_client_writing("15 03 03 00 02 02 28");
    let holds =
        r#"Alert(conn: "c1", from: "client", level: Fatal, description: "handshake_failure")"#;
    assert_eq!(
        failures(&text.replace("alerts: []", &format!("alerts: [{holds}]"))),
        []
    );
    let fails =
        r#"Alert(conn: "c1", from: "client", level: Warning, description: "handshake_failure")"#;
    let message = only_failure(&text.replace("alerts: []", &format!("alerts: [{fails}]")));
    assert_eq!(
        without_time(&message),
        "expected warning handshake_failure from client on c1; client sent fatal handshake_failure"
    );
}

#[test]
fn a_warning_alert_sent_counts_at_its_level() {
    // RFC 5246 §7.2.2: tlsim's server refuses a renegotiation with a
    // no_renegotiation warning and the connection goes on.
    let shipped = include_str!("../../../scenarios/edge/renegotiation-refused.ron");
    assert_eq!(failures(shipped), []);
    let fatal = shipped.replace(
        "level: Warning, description: \"no_renegotiation\")]",
        "level: Fatal, description: \"no_renegotiation\")]",
    );
    assert_eq!(
        without_time(&only_failure(&fatal)),
        "expected fatal no_renegotiation from server on c1; server sent warning no_renegotiation"
    );
}

#[test]
fn the_level_of_an_alert_is_read_from_the_wire() {
    // A plain TCP client writes an alert of level 3, which RFC 5246 §7.2
    // does not define; the server's TLS ends the connection on it, and the
    // level counted is the one written.
    let text = plain_client_writing("15 03 03 00 02 03 28");
    let fatal =
        r#"Alert(conn: "c1", from: "client", level: Fatal, description: "handshake_failure")"#;
    assert_eq!(
        without_time(&only_failure(
            &text.replace("alerts: []", &format!("alerts: [{fatal}]"))
        )),
        "expected fatal handshake_failure from client on c1; client sent level 3 handshake_failure"
    );
}

#[test]
fn alert_names_are_checked_where_they_are_written() {
    let line = scenario(false, true, "").lines().count() - 1;
    let bad = |alerts: &str| {
        parse(&scenario(false, true, alerts), "alerts.ron")
            .unwrap_err()
            .to_string()
    };
    // The column of `what` in the expect line.
    let at = |alerts: &str, what: &str| {
        let col = "    expect: (alerts: [".len() + alerts.find(what).unwrap() + 1;
        format!("alerts.ron:{line}:{col}: ")
    };
    let unknown = r#"Alert(conn: "c1", from: "client", level: Fatal, description: "bad_mac")"#;
    assert_eq!(
        bad(unknown),
        at(unknown, "\"bad_mac")
            + "unknown alert \"bad_mac\": expected an error alert as the log names it (RFC 5246 §7.2.2), \
               such as \"unexpected_message\", \"bad_record_mac\" or \"decode_error\""
    );
    let spelled = r#"AnyAlert(conn: "c1", from: "client"), Alert(conn: "c1", from: "client", level: Fatal, description: "Bad Record MAC")"#;
    assert_eq!(
        bad(spelled),
        at(spelled, "\"Bad") + "unknown alert \"Bad Record MAC\": did you mean \"bad_record_mac\"?"
    );
    let closure =
        r#"Alert(conn: "c1", from: "client", level: Warning, description: "close_notify")"#;
    assert!(
        bad(closure)
            .starts_with(&(at(closure, "\"close_notify") + "\"close_notify\" closes a connection")),
        "{}",
        bad(closure)
    );
    let level = r#"Alert(conn: "c1", from: "client", level: Error, description: "decode_error")"#;
    assert_eq!(
        bad(level),
        at(level, "Error") + "unknown name `Error`: expected `Warning` or `Fatal`"
    );
    let stranger = r#"NoAlert(conn: "c1", from: "nobody")"#;
    assert!(
        bad(stranger).starts_with(&(at(stranger, "\"nobody") + "unknown host \"nobody\"")),
        "{}",
        bad(stranger)
    );
}
