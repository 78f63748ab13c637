//! The HTML rendering: a self-contained page, checked in headless Chromium
//! when it is installed.
//!
//! Browser tests skip with a message when `chromium` is missing, unless
//! `TLSIM_REQUIRE_EXTERNAL_TOOLS=1` makes a missing tool a failure.

#[path = "support/browser.rs"]
mod browser;

use std::path::{Path, PathBuf};
use std::process::Command;

use browser::{chromium, dump_dom_in_window};

use tlsim::html::render_html;
use tlsim_sim::{Event, Instant, Kind, Layer, Tracer};

fn at(us: u64) -> Instant {
    Instant::from_nanos(us * 1_000)
}

fn segment(us: u64, kind: Kind, actor: &str, peer: &str, title: &'static str) -> Event {
    Event::new(at(us), actor, kind, Layer::Tcp, title)
        .peer(peer)
        .conn(1)
        .field("Seq", 0)
        .field("Ack", 1)
        .field("Len", 0)
        .explain("Part of the TCP three-way handshake.")
}

/// The start of a TLS 1.2 record carrying a Client Hello, with byte spans.
fn client_hello(us: u64, kind: Kind, actor: &str, peer: &str) -> Event {
    let bytes = vec![
        0x16, 0x03, 0x01, 0x00, 0x2d, // record header
        0x01, 0x00, 0x00, 0x29, // handshake header
        0x03, 0x03, // client version
        0x00, 0x04, 0xc0, 0x2f, 0x00, 0x9c, // cipher suites
    ];
    let mut e = Event::new(at(us), actor, kind, Layer::Tls, "TLS Client Hello")
        .peer(peer)
        .conn(1)
        .bytes(bytes)
        .explain("The client offers its versions and cipher suites; the server picks one.");
    e.push_field("Content Type", "Handshake (22)", 0, Some([0, 1]));
    e.push_field("Version", "TLS 1.0 (0x0301)", 0, Some([1, 3]));
    e.push_field("Length", "45", 0, Some([3, 5]));
    e.push_field("Handshake Type", "Client Hello (1)", 1, Some([5, 6]));
    e.push_field("Version", "TLS 1.2 (0x0303)", 1, Some([9, 11]));
    e.push_field("Cipher Suites", "2 suites", 1, Some([11, 17]));
    e.push_field(
        "Cipher Suite",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f)",
        2,
        Some([13, 15]),
    );
    e.push_field(
        "Cipher Suite",
        "TLS_RSA_WITH_AES_128_GCM_SHA256 (0x009c)",
        2,
        Some([15, 17]),
    );
    e
}

fn handshake() -> Vec<Event> {
    let mut log: Vec<Event> = Vec::new();
    log.record(Event::new(at(0), "sim", Kind::Action, Layer::Sim, "Run started").field("Seed", 1));
    log.record(segment(0, Kind::Send, "client", "server", "TCP SYN"));
    log.record(segment(10_000, Kind::Recv, "server", "client", "TCP SYN"));
    log.record(Event::new(
        at(10_000),
        "server",
        Kind::State,
        Layer::Tcp,
        "TCP state LISTEN -> SYN-RECEIVED",
    ));
    log.record(segment(
        10_000,
        Kind::Send,
        "server",
        "client",
        "TCP SYN, ACK",
    ));
    log.record(segment(
        20_000,
        Kind::Recv,
        "client",
        "server",
        "TCP SYN, ACK",
    ));
    log.record(segment(20_000, Kind::Send, "client", "server", "TCP ACK"));
    log.record(client_hello(20_000, Kind::Send, "client", "server"));
    log.record(segment(30_000, Kind::Recv, "server", "client", "TCP ACK"));
    log.record(client_hello(30_000, Kind::Recv, "server", "client"));
    log.record(Event::new(
        at(30_500),
        "server->client",
        Kind::Drop,
        Layer::Link,
        "Packet lost on link",
    ));
    log.record(
        Event::new(
            at(31_000),
            "server",
            Kind::Action,
            Layer::Tls,
            "Derive master secret",
        )
        .field("Pre-master secret", "0303aabbcc")
        .field("Master secret", "5f1e2d3c")
        .field("Client write key", "00112233445566778899aabbccddeeff")
        .explain("PRF(pre-master secret, \"master secret\", randoms)."),
    );
    log
}

const CLIENT_HELLO_SEQ: u64 = 7;

fn render(title: &str, events: &[Event]) -> String {
    let mut out = Vec::new();
    render_html(title, events, &["c1"], &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn page_is_self_contained_with_events_embedded_as_json() {
    let page = render("Handshake <demo>", &handshake());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<title>Handshake &lt;demo&gt;</title>"));
    assert!(page.contains(r#"<script type="application/json" id="log">{"strings":["#));
    assert!(!page.contains("<script src"));
    assert!(!page.contains("<link"));
    let external: Vec<&str> = page
        .match_indices("http")
        .map(|(i, _)| &page[i..(i + 30).min(page.len())])
        .filter(|s| !s.starts_with("http://www.w3.org/2000/svg"))
        .collect();
    assert!(external.is_empty(), "{external:?}");
}

/// Where the browser tests write their pages.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlsim-html-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Loads `page#fragment` in headless Chromium and returns the DOM after the
/// page's script has run.
fn dump_dom(browser: &Path, dir: &Path, page: &Path, fragment: &str) -> String {
    dump_dom_in_window(browser, dir, page, fragment, "1400,900")
}

fn assert_loaded_without_errors(dom: &str) {
    let body_start = dom.find("<body").expect("a body");
    let body_tag = &dom[body_start..body_start + dom[body_start..].find('>').unwrap()];
    assert!(
        body_tag.contains(r#"data-ready="yes""#),
        "the page script did not finish"
    );
    assert!(
        !body_tag.contains("data-errors"),
        "script errors: {}",
        errors(dom)
    );
    assert!(
        dom.contains(r#"<pre id="errors"></pre>"#),
        "script errors: {}",
        errors(dom)
    );
}

/// What the page's error hook wrote.
fn errors(dom: &str) -> &str {
    let start = dom.find(r#"<pre id="errors">"#).map_or(0, |i| i + 17);
    let end = dom[start..].find("</pre>").map_or(dom.len(), |i| start + i);
    &dom[start..end]
}

/// The text of the side panel.
fn panel(dom: &str) -> &str {
    let start = dom.find(r#"<aside id="panel""#).expect("panel");
    let end = dom[start..].find("</aside>").expect("panel end");
    &dom[start..start + end]
}

#[test]
fn browser_shows_every_message_of_the_handshake() {
    let Some(browser) = chromium() else { return };
    let dir = scratch_dir("messages");
    let page = dir.join("handshake.html");
    std::fs::write(&page, render("TCP and TLS handshake", &handshake())).unwrap();
    let dom = dump_dom(&browser, &dir, &page, "");
    assert_loaded_without_errors(&dom);
    let svg_start = dom.find("<svg").expect("the ladder");
    let ladder = &dom[svg_start..svg_start + dom[svg_start..].find("</svg>").unwrap()];
    for title in [
        "TCP SYN",
        "TCP SYN, ACK",
        "TCP ACK",
        "TLS Client Hello",
        "Packet lost on link",
        "Derive master secret",
        "Run started",
    ] {
        assert!(ladder.contains(title), "{title} is not drawn");
    }
    for actor in ["client", "server"] {
        assert!(
            dom.contains(&format!(r#"title="{actor}">{actor}</div>"#)),
            "no lifeline for {actor}"
        );
    }
    // A matched send is drawn down to its receipt, which shows as a dot.
    assert_eq!(ladder.matches(r#"class="rcv""#).count(), 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clicking_the_client_hello_shows_its_cipher_suites_and_bytes() {
    let Some(browser) = chromium() else { return };
    let dir = scratch_dir("click");
    let page = dir.join("handshake.html");
    std::fs::write(&page, render("TCP and TLS handshake", &handshake())).unwrap();
    let dom = dump_dom(&browser, &dir, &page, &format!("#click={CLIENT_HELLO_SEQ}"));
    assert_loaded_without_errors(&dom);
    let panel = panel(&dom);
    assert!(
        panel.contains(&format!(r#"data-selected="{CLIENT_HELLO_SEQ}""#)),
        "{panel}"
    );
    assert!(panel.contains("<b>Cipher Suites</b>: 2 suites"), "{panel}");
    assert!(panel.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f)"));
    // Depth-2 fields are indented twice as far as depth-1 fields.
    assert!(
        panel.contains(r#"data-s="13" data-e="15" style="padding-left:36px""#),
        "{panel}"
    );
    assert!(panel.contains("The client offers its versions"));
    // The hex dump marks where each field sits.
    assert!(panel.contains(r#"<span data-o="13" class="c"#), "{panel}");
    assert!(
        dom.contains(r#"class="msg tls sel""#),
        "the clicked arrow is not marked"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn selecting_a_key_derivation_shows_its_inputs_and_outputs() {
    let Some(browser) = chromium() else { return };
    let dir = scratch_dir("keys");
    let page = dir.join("handshake.html");
    std::fs::write(&page, render("TCP and TLS handshake", &handshake())).unwrap();
    let dom = dump_dom(&browser, &dir, &page, "#select=11");
    assert_loaded_without_errors(&dom);
    let panel = panel(&dom);
    assert!(panel.contains("Inputs and outputs"), "{panel}");
    assert!(panel.contains("<b>Pre-master secret</b>: 0303aabbcc"));
    assert!(panel.contains("<b>Client write key</b>: 00112233445566778899aabbccddeeff"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn five_thousand_events_load_and_draw_only_the_visible_rows() {
    let Some(browser) = chromium() else { return };
    let mut log: Vec<Event> = Vec::new();
    for i in 0..1250u64 {
        let us = i * 1_000;
        log.record(
            segment(us, Kind::Send, "client", "server", "TCP Segment").bytes(vec![0x45; 52]),
        );
        log.record(
            segment(us + 10_000, Kind::Recv, "server", "client", "TCP Segment")
                .bytes(vec![0x45; 52]),
        );
        log.record(segment(
            us + 10_000,
            Kind::Send,
            "server",
            "client",
            "TCP ACK",
        ));
        log.record(segment(
            us + 20_000,
            Kind::Recv,
            "client",
            "server",
            "TCP ACK",
        ));
    }
    assert_eq!(log.len(), 5000);
    let dir = scratch_dir("large");
    let page = dir.join("large.html");
    std::fs::write(&page, render("Bulk transfer", &log)).unwrap();
    let dom = dump_dom(&browser, &dir, &page, "#select=4990");
    assert_loaded_without_errors(&dom);
    assert!(panel(&dom).contains(r#"data-selected="4990""#));
    let drawn = dom.matches(r#"<g class="msg"#).count();
    assert!(drawn > 10 && drawn < 500, "{drawn} messages drawn");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The page of the documented scenario itself, written by `tlsim run
/// --format html`: every message drawn, and a click on the Client Hello shows
/// its 51 cipher suites.
#[test]
fn the_documented_scenario_page_shows_every_message_and_the_client_hello_suites() {
    let Some(browser) = chromium() else { return };
    let dir = scratch_dir("documented");
    let page = dir.join("google-spdy.html");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/google-spdy.ron");
    tlsim_run(&scenario, "html", &page);
    let jsonl = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(["run", scenario.to_str().unwrap(), "--format", "jsonl"])
        .output()
        .unwrap();
    let events: Vec<Event> = String::from_utf8(jsonl.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hello = events
        .iter()
        .find(|e| e.title == "TLS Client Hello" && e.kind == Kind::Send)
        .expect("a Client Hello");

    let dom = dump_dom_in_window(
        &browser,
        &dir,
        &page,
        &format!("#unfold=all&click={}", hello.seq),
        "1400,8000",
    );
    assert_loaded_without_errors(&dom);
    let svg_start = dom.find("<svg").expect("the ladder");
    let ladder = &dom[svg_start..svg_start + dom[svg_start..].find("</svg>").unwrap()];
    // With the TCP segments unfolded, every message sent is drawn as an
    // arrow group carrying its seq.
    let drawn: Vec<u64> = ladder
        .split(r#"<g class="msg "#)
        .skip(1)
        .filter_map(|group| {
            let tag = &group[..group.find('>')?];
            let at = tag.find(r#"data-i=""#)? + 8;
            tag[at..at + tag[at..].find('"')?].parse().ok()
        })
        .collect();
    for send in events.iter().filter(|e| e.kind == Kind::Send) {
        assert!(
            drawn.contains(&send.seq),
            "{} (seq {}) is not drawn",
            send.title,
            send.seq
        );
    }
    let panel = panel(&dom);
    assert!(
        panel.contains(&format!(r#"data-selected="{}""#, hello.seq)),
        "{panel}"
    );
    assert!(panel.contains("<b>Cipher Suites</b>: 51 suites"), "{panel}");
    // The number every view gives it: beside its time and atop the panel.
    assert!(
        ladder.contains(&format!(
            r#"<tspan class="seq">#{}</tspan> 20.089 ms"#,
            hello.seq
        )),
        "{ladder}"
    );
    assert!(
        panel.contains(&format!(r#"<div class="meta">#{} · 20.089 ms"#, hello.seq)),
        "{panel}"
    );
    assert!(
        panel.contains("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (0xc013)"),
        "{panel}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// tls12-ecdsa with `count` connections, one opened each millisecond, each
/// a request, a response and a close.
fn many_connections(count: u32) -> String {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tls12-ecdsa.ron"),
    )
    .unwrap();
    let head = &base[..base.find("    timeline: [").unwrap()];
    let mut steps: Vec<(u32, u32, String)> = Vec::new();
    for k in 1..=count {
        let conn = format!("conn: \"c{k}\"");
        steps.push((
            k,
            0,
            format!(r#"Connect({conn}, from: "client", to: "server", port: 443, tls: "client")"#),
        ));
        steps.push((
            k,
            1,
            format!(r#"Send({conn}, from: "client", data: Text("GET / HTTP/1.1\r\n\r\n"))"#),
        ));
        steps.push((
            k + 100,
            2,
            format!(r#"Send({conn}, from: "server", data: Text("HTTP/1.1 200 OK\r\n\r\nhello"))"#),
        ));
        steps.push((k + 200, 3, format!(r#"Close({conn}, from: "client")"#)));
    }
    steps.sort();
    let timeline: String = (steps.iter())
        .map(|(ms, _, step)| format!("        At(\"{ms}ms\", {step}),\n"))
        .collect();
    format!("{head}    timeline: [\n{timeline}    ],\n)\n")
}

/// `tlsim run SCENARIO --format FORMAT --out OUT`, which must succeed.
fn tlsim_run(scenario: &Path, format: &str, out: &Path) {
    let run = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--format",
            format,
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Runs `scenario` into an HTML page (and, when `jsonl` is set, its JSON lines).
fn run_page(dir: &Path, scenario: &str, jsonl: bool) -> (PathBuf, Vec<Event>) {
    let file = dir.join("many.ron");
    std::fs::write(&file, scenario).unwrap();
    let page = dir.join("many.html");
    tlsim_run(&file, "html", &page);
    let mut events = Vec::new();
    if jsonl {
        let log = dir.join("many.jsonl");
        tlsim_run(&file, "jsonl", &log);
        events = (std::fs::read_to_string(&log).unwrap().lines())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    }
    (page, events)
}

/// Loads `page#fragment` and prints how long the page took to draw.
fn open_and_measure(browser: &Path, dir: &Path, page: &Path, fragment: &str, what: &str) -> String {
    let started = std::time::Instant::now();
    let dom = dump_dom(browser, dir, page, fragment);
    let wall = started.elapsed();
    assert_loaded_without_errors(&dom);
    let body = &dom[dom.find("<body").unwrap()..];
    let at = body.find(r#"data-render-ms=""#).expect("the render time") + 16;
    let render_ms = &body[at..at + body[at..].find('"').unwrap()];
    let size = std::fs::metadata(page).unwrap().len();
    println!(
        "{what}: page of {:.1} MB, first drawing {render_ms} ms after navigation \
         (chromium ran {:.1} s in all)",
        size as f64 / 1e6,
        wall.as_secs_f64()
    );
    dom
}

/// `data-rows` of the row counter: how many rows the filters leave.
fn rows_shown(dom: &str) -> usize {
    let at = dom
        .find(r#"<span id="count" data-rows=""#)
        .expect("the row counter")
        + 28;
    dom[at..at + dom[at..].find('"').unwrap()].parse().unwrap()
}

/// The `#N` of each row drawn down the side of the ladder.
fn drawn_seqs(dom: &str) -> Vec<u64> {
    let svg_start = dom.find("<svg").expect("the ladder");
    let ladder = &dom[svg_start..svg_start + dom[svg_start..].find("</svg>").unwrap()];
    (ladder.split(r#"<tspan class="seq">#"#).skip(1))
        .map(|rest| rest[..rest.find('<').unwrap()].parse().unwrap())
        .collect()
}

#[test]
fn two_hundred_connections_filter_to_one_by_the_url() {
    let Some(browser) = chromium() else { return };
    let dir = scratch_dir("connections");
    let (page, events) = run_page(&dir, &many_connections(200), true);
    let dom = open_and_measure(&browser, &dir, &page, "#conn=c42", "200 TLS connections");
    // Only c42's events (and the run's start and end) are drawn, and all
    // of them but the TCP segments folded under their TLS records.
    let run_level = |e: &Event| e.actor == "sim" && e.layer == Layer::Sim;
    let of_c42: Vec<&Event> = (events.iter())
        .filter(|e| e.conn == Some(42) || run_level(e))
        .collect();
    let drawn = drawn_seqs(&dom);
    assert!(!drawn.is_empty());
    for seq in &drawn {
        assert!(of_c42.iter().any(|e| e.seq == *seq), "#{seq} is not c42's");
    }
    let shown = rows_shown(&dom);
    assert!(
        shown < of_c42.len() && shown > of_c42.len() / 2,
        "{shown} rows"
    );
    assert!(dom.contains(r#"<option value="42" selected="">c42</option>"#));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hundred_thousand_events_open_and_filter() {
    let Some(browser) = chromium() else { return };
    let dir = scratch_dir("hundred-thousand");
    let (page, _) = run_page(&dir, &many_connections(1480), false);
    let text = std::fs::read_to_string(&page).unwrap();
    let json = &text[text.find(r#"id="log">"#).unwrap() + 9..text.find("</script>").unwrap()];
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    let events = data["events"].as_array().unwrap().len();
    assert!(events >= 100_000, "only {events} events");
    // Each byte string is stored once: a receipt refers to its send's.
    let bytes = data["bytes"].as_array().unwrap();
    let distinct: std::collections::BTreeSet<&str> =
        bytes.iter().map(|b| b.as_str().unwrap()).collect();
    assert_eq!(distinct.len(), bytes.len());

    let dom = open_and_measure(&browser, &dir, &page, "", &format!("{events} events"));
    assert!(rows_shown(&dom) > 0);
    assert!(dom.contains("TLS Client Hello"), "no Client Hello drawn");
    let dom = open_and_measure(
        &browser,
        &dir,
        &page,
        "#conn=c1000&q=finished",
        "filtered to c1000, searched",
    );
    let shown = rows_shown(&dom);
    // Run start and end, and the four Finished-bearing flights of c1000.
    assert!((3..=8).contains(&shown), "{shown} rows");
    assert!(dom.contains("Change Cipher Spec + Finished"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The keyboard steps as `step` does: the page opened at the Client Hello,
/// driven from a frame around it that presses n, n, p and / and reads what
/// the page then shows.
#[test]
fn n_and_p_step_through_the_rows_shown_and_slash_searches() {
    let Some(browser) = chromium() else { return };
    let dir = scratch_dir("keyboard");
    let page = dir.join("google-spdy.html");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/google-spdy.ron");
    tlsim_run(&scenario, "html", &page);
    let driver = dir.join("driver.html");
    std::fs::write(
        &driver,
        r#"<!DOCTYPE html><html><body><iframe id="page" src="google-spdy.html#select=11" style="width:1400px;height:900px"></iframe><pre id="seen"></pre>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => {
  const d = frame.contentDocument;
  const seen = [];
  for (const key of ["n", "n", "p"]) {
    d.body.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
    seen.push(d.getElementById("current").textContent + " | " + d.getElementById("panel").dataset.selected);
  }
  d.body.dispatchEvent(new KeyboardEvent("keydown", { key: "/", bubbles: true }));
  seen.push("focus: " + d.activeElement.id);
  document.getElementById("seen").textContent = seen.join("\n");
});
</script></body></html>"#,
    )
    .unwrap();
    let output = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", driver.display()))
        .output()
        .expect("chromium starts");
    let dom = String::from_utf8(output.stdout).unwrap();
    // #12, the Client Hello's segment, is folded under it: n goes to #13.
    assert!(
        dom.contains(
            "<pre id=\"seen\">#13/110 TCP ACK | 13\n#14/110 TCP state SYN-RECEIVED -&gt; ESTABLISHED | 14\n\
             #13/110 TCP ACK | 13\nfocus: search</pre>"
        ),
        "{dom}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
