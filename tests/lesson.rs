//! Lesson mode: built from the documented session's log, walked by script,
//! in a terminal (tmux) and as an HTML page in headless Chromium.
//!
//! The tmux and Chromium tests skip with a message when the tool is
//! missing, unless `TLSIM_REQUIRE_EXTERNAL_TOOLS=1` makes that a failure.

#[path = "support/browser.rs"]
mod browser;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use browser::{chromium, dump_dom_in_window, find_tool};

use tlsim::lesson::{Lesson, run_lesson_script};
use tlsim_sim::Event;

fn golden(name: &str) -> Vec<Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.jsonl"));
    (std::fs::read_to_string(path).unwrap().lines())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn documented() -> Lesson {
    Lesson::from_events("google-spdy", &golden("google-spdy"))
}

/// What a learner who knows every answer types: a choice's letter, or the
/// short answer.
fn right_replies(lesson: &Lesson) -> Vec<String> {
    (lesson.screens.iter())
        .map(|s| {
            let q = &s.question;
            match q.choices.iter().position(|c| *c == q.answer) {
                Some(n) => char::from(b'a' + n as u8).to_string(),
                None => q.answer.clone(),
            }
        })
        .collect()
}

fn script(lesson: &Lesson, commands: &str) -> String {
    let mut out = Vec::new();
    run_lesson_script(lesson, commands, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_documented_session_is_taught_step_by_step_with_its_own_values() {
    let lesson = documented();
    let headings: Vec<&str> = lesson.screens.iter().map(|s| s.heading.as_str()).collect();
    assert_eq!(
        headings,
        [
            "TCP set-up",
            "Client Hello",
            "Server Hello",
            "Certificate",
            "Server Key Exchange",
            "Server Hello Done",
            // The client derives its keys before it sends its key exchange.
            "Key derivation",
            "Client Key Exchange",
            "Change Cipher Spec",
            "Finished",
            "Application data",
            "Release: close_notify",
            "Release: FIN",
        ]
    );
    let answer = |heading: &str| {
        let screen = lesson
            .screens
            .iter()
            .find(|s| s.heading == heading)
            .unwrap();
        screen.question.answer.clone()
    };
    assert_eq!(answer("TCP set-up"), "1");
    assert_eq!(answer("Client Hello"), "51");
    assert_eq!(
        answer("Server Hello"),
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (0xc013)"
    );
    assert_eq!(answer("Certificate"), "3");
    assert_eq!(answer("Server Key Exchange"), "secp256r1 (0x0017)");
    assert_eq!(answer("Key derivation"), "48");
    assert_eq!(answer("Finished"), "12");
    assert_eq!(answer("Application data"), "23");
    // Each screen shows its own message: the Certificate screen the
    // Certificate record of the server's flight, with its bytes.
    let certificate = &lesson.screens[3];
    assert!(
        certificate
            .explanation
            .starts_with("Certificate (RFC 5246 §7.4.2)")
    );
    assert!(
        (certificate.fields.iter())
            .any(|(_, name, value)| name == "Certificate Length" && value == "1146")
    );
    assert_eq!(certificate.bytes.len(), 3096);
    // The key derivations before the master secret include the client's
    // key pair.
    let derivation = &lesson.screens[6];
    assert_eq!(derivation.heading, "Key derivation");
    assert!(
        (derivation.derivations.iter())
            .any(|(title, _)| title.ends_with("client Client: Setup Elliptic Curve Cryptography"))
    );
}

#[test]
fn a_wrong_answer_says_why_and_the_right_one_goes_on() {
    let lesson = documented();
    let out = script(&lesson, "a; b; 50; 51; q");
    assert!(
        out.contains("lesson> a\nNot quite. A SYN takes up one sequence number (RFC 9293 §3.4)"),
        "{out}"
    );
    assert!(out.contains("lesson> b\nRight. "), "{out}");
    assert!(out.contains("== Step 2 of 13: Client Hello =="), "{out}");
    assert!(
        out.contains("lesson> 50\nNot quite. Its Cipher Suites list holds 51"),
        "{out}"
    );
    assert!(out.contains("lesson> 51\nRight. "), "{out}");
    assert!(out.contains("== Step 3 of 13: Server Hello =="), "{out}");
    assert!(out.ends_with("lesson> q\n"), "{out}");
}

#[test]
fn answering_every_question_completes_the_lesson() {
    let lesson = documented();
    let replies = right_replies(&lesson).join("; ");
    let out = script(&lesson, &format!("x; {replies}"));
    assert!(
        out.ends_with("\nLesson complete: 13 steps, 1 wrong attempt.\n"),
        "{out}"
    );
    assert_eq!(out.matches("\nRight. ").count(), 13);
}

#[test]
fn every_shipped_scenario_gives_a_lesson_whose_answers_come_from_its_run() {
    for name in [
        "tls13",
        "tls12-rsa",
        "tls12-chacha",
        "google-spdy-lossy",
        "tcp-basic",
    ] {
        let lesson = Lesson::from_events(name, &golden(name));
        assert!(lesson.screens.len() >= 2, "{name}");
        for screen in &lesson.screens {
            let q = &screen.question;
            assert!(
                q.choices.is_empty() || q.choices.contains(&q.answer),
                "{name}: {}: {q:?}",
                screen.heading
            );
            assert!(q.accepts(&q.answer), "{name}: {}", screen.heading);
        }
        let out = script(&lesson, &right_replies(&lesson).join(";"));
        assert!(out.contains("Lesson complete"), "{name}: {out}");
    }
    // RSA key transport: no Server Key Exchange, and the pre-master secret
    // does travel, encrypted.
    let rsa = Lesson::from_events("tls12-rsa", &golden("tls12-rsa"));
    assert!(
        rsa.screens
            .iter()
            .all(|s| s.heading != "Server Key Exchange")
    );
    let exchange = rsa
        .screens
        .iter()
        .find(|s| s.heading == "Client Key Exchange")
        .unwrap();
    assert_eq!(
        exchange.question.answer,
        "Yes, encrypted to the server's RSA key"
    );
}

/// Where these tests write files.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lesson-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tmux session running one command in its own server, killed on drop.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The pane's text, after `text` has appeared in it (polling, without a
    /// deadline on what the lesson does: only on how long to look).
    fn wait_for(&self, text: &str) -> String {
        let mut pane = String::new();
        for _ in 0..600 {
            pane = self.run(&["capture-pane", "-p", "-J", "-S", "-200", "-t", "lesson"]);
            if pane.contains(text) {
                return pane;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{text:?} never appeared:\n{pane}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

#[test]
fn the_lesson_in_a_terminal_asks_checks_and_goes_on() {
    if find_tool(&["tmux"], "tmux").is_none() {
        return;
    }
    let dir = scratch_dir("tmux");
    let tmux = Tmux {
        socket: dir.join("tmux.sock"),
    };
    let command = format!("{} step --lesson; sleep 30", env!("CARGO_BIN_EXE_tlsim"));
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "lesson",
        "-x",
        "160",
        "-y",
        "60",
        "-c",
        env!("CARGO_MANIFEST_DIR"),
        &command,
    ]);
    let pane = tmux.wait_for("(type a letter)");
    assert!(pane.contains("Lesson: google-spdy, 13 steps."), "{pane}");
    assert!(pane.contains("== Step 1 of 13: TCP set-up =="), "{pane}");
    assert!(
        pane.contains("Which Ack does the server's SYN, ACK carry?"),
        "{pane}"
    );
    tmux.run(&["send-keys", "-t", "lesson", "c", "Enter"]);
    let pane = tmux.wait_for("Try again.");
    assert!(
        pane.contains("Not quite. A SYN takes up one sequence number"),
        "{pane}"
    );
    tmux.run(&["send-keys", "-t", "lesson", "b", "Enter"]);
    // The question closes the screen: once it shows, the whole screen has.
    let pane = tmux.wait_for("How many cipher suites does the client offer?");
    assert!(pane.contains("== Step 2 of 13: Client Hello =="), "{pane}");
    tmux.run(&["send-keys", "-t", "lesson", "51", "Enter"]);
    // The question closes the screen: once it shows, the whole screen has.
    let pane = tmux.wait_for("Which cipher suite does the server choose?");
    assert!(pane.contains("== Step 3 of 13: Server Hello =="), "{pane}");
    tmux.run(&["send-keys", "-t", "lesson", "q", "Enter"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_lesson_page_checks_answers_chosen_in_the_browser() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = scratch_dir("html");
    let page = dir.join("lesson.html");
    let run = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args([
            "run",
            "scenarios/google-spdy.ron",
            "--format",
            "lesson-html",
            "--out",
        ])
        .arg(&page)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script src") && !html.contains("<link"));

    // A wrong choice, the right one, a typed short answer, then a wrong one:
    // the page is on step 3 with the typed answer's screen passed.
    let dom = dump_dom_in_window(&browser, &dir, &page, "#answers=c,b,51,a", "1200,900");
    let body = &dom[dom.find("<body").unwrap()..];
    let body = &body[..body.find('>').unwrap()];
    assert!(!body.contains("data-errors"), "{dom}");
    assert!(
        body.contains(r#"data-ready="yes""#),
        "the script did not finish"
    );
    assert!(body.contains(r#"data-screen="3""#), "not on step 3: {body}");
    let step = |n: usize| {
        let start = dom.find(&format!(r#"id="step-{n}""#)).unwrap();
        &dom[start..start + dom[start..].find("</section>").unwrap()]
    };
    assert!(step(1).contains(r#"data-answered="yes""#));
    assert!(
        step(1).contains(r#"class="choice wrong" data-reply="c""#),
        "{}",
        step(1)
    );
    assert!(
        step(1).contains(r#"class="choice right" data-reply="b""#),
        "{}",
        step(1)
    );
    assert!(step(2).contains(r#"data-answered="yes""#));
    let third = step(3);
    assert!(
        !third[..third.find('>').unwrap()].contains("hidden"),
        "step 3 is not shown"
    );
    assert!(
        third.contains(r#"<p class="feedback wrong">Not quite; try again.</p>"#),
        "{third}"
    );
    assert!(third.contains("Which cipher suite does the server choose?"));
    let _ = std::fs::remove_dir_all(&dir);
}
