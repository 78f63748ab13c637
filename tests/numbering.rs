//! One numbering: an event is `#N`, its `seq` in the JSON lines, in the text
//! ladder, in `step` (`n`, `g N`, `l tls`, `m`, `k`) and in Mermaid. The HTML
//! page's number is checked in headless Chromium by `render_html.rs`.

use std::process::Command;

use tlsim_sim::{Event, Kind, Layer};

fn tlsim(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SCENARIO: &str = "scenarios/google-spdy.ron";

/// The numbers of the first TLS event and of the sent Client Hello, as
/// the JSON lines give them.
fn numbers_from_the_record() -> (u64, u64) {
    let record = tlsim(&["run", SCENARIO, "--format", "jsonl"]);
    let mut first_tls = None;
    for event in record
        .lines()
        .map(|l| serde_json::from_str::<Event>(l).unwrap())
    {
        if event.layer == Layer::Tls {
            first_tls.get_or_insert(event.seq);
        }
        if event.title == "TLS Client Hello" && event.kind == Kind::Send {
            return (first_tls.expect("the Client Hello is TLS"), event.seq);
        }
    }
    panic!("no Client Hello in the record")
}

#[test]
fn the_client_hello_has_the_same_number_in_every_view() {
    let (first_tls, hello) = numbers_from_the_record();
    assert!(hello > 0, "the run starts before the Client Hello");

    let ladder = tlsim(&["run", SCENARIO]);
    let line = ladder
        .lines()
        .find(|l| l.contains(" send    TLS Client Hello "))
        .expect("the ladder shows the Client Hello");
    assert!(
        line.trim_start().starts_with(&format!("#{hello} ")),
        "{line}"
    );

    let steps = tlsim(&[
        "step",
        SCENARIO,
        "--script",
        &format!("m Client Hello; g {hello}; g 0; l tls; k"),
    ]);
    let shown: Vec<&str> = steps
        .lines()
        .filter(|l| l.starts_with('#') && l.contains(" ms "))
        .collect();
    assert!(shown.len() >= 4, "{steps}");
    for line in &shown[..2] {
        assert!(line.starts_with(&format!("#{hello}/")), "{line}");
        assert!(line.contains("TLS Client Hello"), "{line}");
    }
    assert!(shown[2].starts_with("#0/"), "{}", shown[2]);
    assert!(
        shown[3].starts_with(&format!("#{first_tls}/")),
        "{}",
        shown[3]
    );
    // `k` lists each key computation under the number `g` reaches it by.
    let key = steps
        .lines()
        .find(|l| l.contains(": Select a Client Random Number"))
        .expect("k lists the client random");
    let key_number = key[1..key.find(' ').unwrap()].to_string();
    let again = tlsim(&["step", SCENARIO, "--script", &format!("g {key_number}")]);
    assert!(
        again.contains(&format!("#{key_number}/")) && again.contains("Select a Client Random"),
        "{again}"
    );

    let mermaid = tlsim(&["run", SCENARIO, "--format", "mermaid"]);
    assert!(
        mermaid.contains(&format!(
            "client->>server: #35;{hello} · 20.089 ms · TLS Client Hello<br/>"
        )),
        "{mermaid}"
    );
}
