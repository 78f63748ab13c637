//! Lesson mode: a run's session as a guided lesson, one screen per step of
//! the handshake (TCP set-up, Client Hello, …, Finished, application data,
//! release), each with its explanation, the fields that matter, the bytes,
//! the key derivations since the step before, and a question to answer
//! before going on.
//!
//! A [`Lesson`] is built from the event log alone: each step kind is found
//! by its message in the log, its question is written once per kind here
//! and filled with this run's values (the suite chosen, the number of
//! suites offered, the length of the master secret), and its answer is
//! read from the log too, so every seed and scenario gets a lesson that is
//! true of its own run. Steps a run does not have (no Server Key Exchange
//! with RSA key transport) are left out. The terminal
//! ([`run_lesson_interactive`], [`run_lesson_script`]) and the HTML page
//! ([`render_lesson_html`]) show the same screens.

use std::fmt::Write as _;
use std::io::{self, BufRead, Write};

use tlsim_sim::{Event, Field, Kind, Layer};

use crate::html::{escape_html, write_page};
use crate::step::hex_dump;

/// How many bytes a screen shows; the rest is counted.
const BYTES_SHOWN: usize = 96;
/// How many field lines a screen shows.
const FIELDS_SHOWN: usize = 18;

/// A question and how its answer is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// What is asked, with this run's values filled in.
    pub prompt: String,
    /// The choices, lettered a, b, c…; empty for a short answer.
    pub choices: Vec<String>,
    /// The right choice's text, or the short answer.
    pub answer: String,
    /// Why that is the answer, shown after any attempt.
    pub why: String,
}

impl Question {
    /// Whether `reply` answers it: a choice's letter or text, or the short
    /// answer, in any case and spacing.
    pub fn accepts(&self, reply: &str) -> bool {
        let reply = reply.trim().to_lowercase();
        let right = self.answer.to_lowercase();
        if reply == right {
            return true;
        }
        (self.choices.iter().position(|c| c.to_lowercase() == right))
            .is_some_and(|n| reply == letter(n).to_string())
    }
}

/// The letter of choice `n`: a, b, c…
fn letter(n: usize) -> char {
    char::from(b'a' + n as u8)
}

/// One screen of the lesson.
#[derive(Clone, Debug)]
pub struct Screen {
    /// The step's name ("Client Hello").
    pub heading: String,
    /// The event it shows.
    pub event: Event,
    /// What the step is for, from the event's explanation.
    pub explanation: String,
    /// The fields that matter: (depth, name, value).
    pub fields: Vec<(u8, String, String)>,
    /// The bytes of the step's message.
    pub bytes: Vec<u8>,
    /// The key computations since the step before: title and fields.
    pub derivations: Vec<(String, Vec<(String, String)>)>,
    /// What to answer before going on.
    pub question: Question,
}

/// A run's session as screens, in the order they happen.
#[derive(Clone, Debug)]
pub struct Lesson {
    /// The scenario's name.
    pub title: String,
    /// One screen per step found in the run.
    pub screens: Vec<Screen>,
}

/// The messages a TLS send event carries, from its title
/// ("TLS Client Key Exchange + Change Cipher Spec + Finished").
fn messages(event: &Event) -> Vec<&str> {
    let title = event.title.strip_prefix("TLS ").unwrap_or(&event.title);
    title.split(" + ").collect()
}

fn is_tls_send_of(event: &Event, message: &str) -> bool {
    event.layer == Layer::Tls && event.kind == Kind::Send && messages(event).contains(&message)
}

/// The fields of the record (or header) of `event` that carries `message`,
/// with its span: the top-level field that names it ("Transmission Control
/// Protocol", "Handshake Protocol: Client Hello"), or under which a field
/// has it as its value (an encrypted Finished: "Decrypted: Finished").
fn record_of<'e>(event: &'e Event, message: &str) -> (&'e [Field], Option<[u32; 2]>) {
    let starts: Vec<usize> = (event.fields.iter().enumerate())
        .filter(|(_, f)| f.depth == 0)
        .map(|(i, _)| i)
        .collect();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(event.fields.len());
        let record = &event.fields[start..end];
        let names = record[0].name == message || record[0].value.contains(message);
        if names || record.iter().any(|f| f.value == message) {
            return (record, record[0].span);
        }
    }
    (&event.fields, None)
}

/// The paragraph of an explanation about `message`, or all of it.
fn paragraph_about(explain: Option<&str>, message: &str) -> String {
    let text = explain.unwrap_or("");
    (text.lines().find(|l| l.starts_with(message)))
        .unwrap_or(text)
        .to_string()
}

/// The first whole number in `text` ("51 suites" → 51).
fn number_in(text: &str) -> Option<u64> {
    let digits: String = (text.chars())
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn choice(prompt: String, choices: &[&str], answer: &str, why: String) -> Question {
    Question {
        prompt,
        choices: choices.iter().map(|c| c.to_string()).collect(),
        answer: answer.to_string(),
        why,
    }
}

fn short(prompt: &str, answer: impl ToString, why: String) -> Question {
    Question {
        prompt: prompt.to_string(),
        choices: Vec::new(),
        answer: answer.to_string(),
        why,
    }
}

/// What the lesson needs from the log to write a step's question.
struct Log<'a> {
    events: &'a [Event],
}

impl<'a> Log<'a> {
    fn first(&self, wanted: impl Fn(&Event) -> bool) -> Option<&'a Event> {
        self.events.iter().find(|e| wanted(e))
    }

    fn action(&self, title: &str) -> Option<&'a Event> {
        self.first(|e| e.kind == Kind::Action && e.layer == Layer::Tls && e.title == title)
    }
}

/// One kind of step: its heading, how its event is found, which message of
/// the event it is about, and its question (`None` when the run lacks
/// what the question needs).
struct StepKind {
    heading: &'static str,
    message: &'static str,
    find: fn(&Event) -> bool,
    question: fn(&Log<'_>, &Event) -> Option<Question>,
}

/// The top-level field of a TCP segment's header, as Wireshark names it.
const TCP_HEADER: &str = "Transmission Control Protocol";

const STEPS: &[StepKind] = &[
    StepKind {
        heading: "TCP set-up",
        message: TCP_HEADER,
        find: |e| e.layer == Layer::Tcp && e.kind == Kind::Send && e.title == "TCP SYN",
        question: |log, syn| {
            let reply = log.first(|e| {
                e.kind == Kind::Send && e.title == "TCP SYN, ACK" && e.conn == syn.conn
            })?;
            let ack = reply.field_value("Ack")?;
            let win = syn.field_value("Win").unwrap_or("65535");
            Some(choice(
                format!(
                    "The client's SYN has Seq={}. Which Ack does the server's SYN, ACK carry?",
                    syn.field_value("Seq")?
                ),
                &["0", ack, win],
                ack,
                format!(
                    "A SYN takes up one sequence number (RFC 9293 §3.4), so the server \
                     acknowledges it by asking for the next one: Ack={ack}."
                ),
            ))
        },
    },
    StepKind {
        heading: "Client Hello",
        message: "Client Hello",
        find: |e| is_tls_send_of(e, "Client Hello"),
        question: |_, hello| {
            let suites = number_in(hello.field_value("Cipher Suites")?)?;
            Some(short(
                "How many cipher suites does the client offer?",
                suites,
                format!(
                    "Its Cipher Suites list holds {suites}; the server must choose one of them \
                     or refuse with handshake_failure (RFC 5246 §7.4.1.2)."
                ),
            ))
        },
    },
    StepKind {
        heading: "Server Hello",
        message: "Server Hello",
        find: |e| is_tls_send_of(e, "Server Hello"),
        question: server_hello_question,
    },
    StepKind {
        heading: "Certificate",
        message: "Certificate",
        find: |e| is_tls_send_of(e, "Certificate"),
        question: |_, event| {
            let (record, _) = record_of(event, "Certificate");
            let count = (record.iter())
                .filter(|f| f.name == "Certificate Length")
                .count();
            (count > 0).then(|| {
                short(
                    "How many certificates does the server send in its chain?",
                    count,
                    format!(
                        "The chain holds {count}: the server's own certificate first, then \
                         each one signing the one before (RFC 5246 §7.4.2). The root the client \
                         trusts may be left out."
                    ),
                )
            })
        },
    },
    StepKind {
        heading: "Server Key Exchange",
        message: "Server Key Exchange",
        find: |e| is_tls_send_of(e, "Server Key Exchange"),
        question: |_, event| {
            let (record, _) = record_of(event, "Server Key Exchange");
            let curve = record.iter().find(|f| f.name == "Named Curve")?;
            let mut choices = vec![
                "secp256r1 (0x0017)",
                "secp384r1 (0x0018)",
                "x25519 (0x001d)",
            ];
            if !choices.contains(&curve.value.as_str()) {
                choices[2] = &curve.value;
            }
            Some(choice(
                "On which curve is the server's ephemeral public key?".into(),
                &choices,
                &curve.value,
                format!(
                    "Its Named Curve field says {}: one the client listed in its supported \
                     groups (RFC 8422 §5.4). The server signs this key with its certificate's \
                     key, over both randoms.",
                    curve.value
                ),
            ))
        },
    },
    StepKind {
        heading: "Server Hello Done",
        message: "Server Hello Done",
        find: |e| is_tls_send_of(e, "Server Hello Done"),
        question: |_, _| {
            let then = "It checks the chain and answers with its key exchange";
            Some(choice(
                "What does the client do when the Server Hello Done arrives?".into(),
                &[
                    then,
                    "It sends its Finished at once",
                    "It waits for the server's Finished",
                ],
                then,
                "Server Hello Done says the server's first flight is over (RFC 5246 §7.4.5): \
                 the client now verifies the certificate and signature, and sends Client Key \
                 Exchange, Change Cipher Spec and Finished."
                    .into(),
            ))
        },
    },
    StepKind {
        heading: "Client Key Exchange",
        message: "Client Key Exchange",
        find: |e| is_tls_send_of(e, "Client Key Exchange"),
        question: |_, event| {
            let (record, _) = record_of(event, "Client Key Exchange");
            let computed =
                "No: each side computes it from its own private key and the other's public key";
            let encrypted = "Yes, encrypted to the server's RSA key";
            let ecdhe = record.iter().any(|f| f.name.contains("Diffie-Hellman"));
            let (answer, why) = if ecdhe {
                (
                    computed,
                    "With ECDHE the Client Key Exchange carries only the client's public key \
                     (RFC 8422 §5.7); the shared secret is computed at both ends and never sent.",
                )
            } else {
                (
                    encrypted,
                    "With RSA key transport the client encrypts the pre-master secret to the \
                     certificate's key (RFC 5246 §7.4.7.1): no forward secrecy.",
                )
            };
            Some(choice(
                "Does the pre-master secret travel on the wire?".into(),
                &[computed, "Yes, in the clear", encrypted],
                answer,
                why.into(),
            ))
        },
    },
    StepKind {
        heading: "Key derivation",
        message: "",
        find: |e| e.kind == Kind::Action && e.layer == Layer::Tls && e.title == "Master secret",
        question: |_, event| {
            let secret = event.field_value("Master Secret")?;
            let length = secret.len() / 2;
            Some(short(
                "How many bytes long is the master secret?",
                length,
                format!(
                    "The PRF runs until {length} bytes come out (RFC 5246 §8.1), from the \
                     pre-master secret, the label \"master secret\" and both randoms; the key \
                     block is then drawn from it."
                ),
            ))
        },
    },
    StepKind {
        heading: "Change Cipher Spec",
        message: "Change Cipher Spec",
        find: |e| is_tls_send_of(e, "Change Cipher Spec"),
        question: |_, _| {
            let after = "Every record it sends after this one";
            Some(choice(
                "Which records does the sender protect with the new keys?".into(),
                &["This record too", after, "Only application data"],
                after,
                "ChangeCipherSpec switches the sender's writing keys from the next record on \
                 (RFC 5246 §7.1); it is itself sent under the old (here: no) protection."
                    .into(),
            ))
        },
    },
    StepKind {
        heading: "Finished",
        message: "Finished",
        find: |e| is_tls_send_of(e, "Finished"),
        question: |log, _| {
            let check = log.action("Verify Finished")?;
            let length = check.field_value("Expected Verify Data")?.len() / 2;
            Some(short(
                "How many bytes of verify_data does the Finished carry?",
                length,
                format!(
                    "verify_data is the first {length} bytes of PRF(master_secret, \
                     finished_label, Hash(handshake_messages)) (RFC 5246 §7.4.9): proof that \
                     both ends saw the same handshake and hold the same keys."
                ),
            ))
        },
    },
    StepKind {
        heading: "Application data",
        message: "Application Data",
        find: |e| is_tls_send_of(e, "Application Data"),
        question: |_, event| {
            let content_type = number_in(event.field_value("Content Type")?)?;
            Some(short(
                "Which content type number does an application data record carry?",
                content_type,
                format!(
                    "Application data is content type {content_type} (RFC 5246 §6.2.1); the \
                     type is in the clear, the data encrypted and authenticated."
                ),
            ))
        },
    },
    StepKind {
        heading: "Release: close_notify",
        message: "Alert",
        find: |e| is_tls_send_of(e, "Alert (close_notify)"),
        question: |_, _| {
            let truncation = "So the peer knows no one cut the data short";
            Some(choice(
                "Why does each side send close_notify before closing TCP?".into(),
                &[
                    "To ask for a new handshake",
                    truncation,
                    "To report an error",
                ],
                truncation,
                "Without it an attacker could end the TCP connection early and the receiver \
                 would take partial data for all of it (RFC 5246 §7.2.1)."
                    .into(),
            ))
        },
    },
    StepKind {
        heading: "Release: FIN",
        message: TCP_HEADER,
        find: |e| e.layer == Layer::Tcp && e.kind == Kind::Send && e.title.contains("FIN"),
        question: |_, _| {
            let first = "The side that sent the first FIN";
            Some(choice(
                "Which side waits in TIME-WAIT once both FINs are acknowledged?".into(),
                &[first, "The side that sent the second FIN", "Neither"],
                first,
                "The side that closes first passes through FIN-WAIT and waits 2×MSL in \
                 TIME-WAIT, so late segments of this connection die out (RFC 9293 §3.6)."
                    .into(),
            ))
        },
    },
];

fn server_hello_question(log: &Log<'_>, event: &Event) -> Option<Question> {
    let (record, _) = record_of(event, "Server Hello");
    let chosen = &record.iter().find(|f| f.name == "Cipher Suite")?.value;
    let hello = log.first(|e| is_tls_send_of(e, "Client Hello"))?;
    let mut choices: Vec<&str> = (hello.fields.iter())
        .filter(|f| f.name == "Cipher Suite" && f.value != *chosen)
        .map(|f| f.value.as_str())
        .take(2)
        .collect();
    choices.push(chosen);
    choices.sort_unstable();
    Some(choice(
        "Which cipher suite does the server choose?".into(),
        &choices,
        chosen,
        format!(
            "The Server Hello's Cipher Suite field says {chosen}: the server picks one of the \
             suites the client offered (RFC 5246 §7.4.1.3)."
        ),
    ))
}

impl Lesson {
    /// The lesson of a run: one screen per step kind found in `events`,
    /// in the order of the log.
    pub fn from_events(title: &str, events: &[Event]) -> Lesson {
        let log = Log { events };
        let mut found: Vec<(usize, &StepKind)> = (STEPS.iter())
            .filter_map(|kind| Some((events.iter().position(kind.find)?, kind)))
            .collect();
        // Stable: steps of one event (Server Hello, Certificate, …) keep
        // the order of the handshake.
        found.sort_by_key(|&(index, _)| index);
        let mut screens = Vec::new();
        let mut since = 0;
        for (index, kind) in found {
            let event = &events[index];
            let Some(question) = (kind.question)(&log, event) else {
                continue;
            };
            screens.push(screen(kind, event, &events[since..index], question));
            since = index;
        }
        Lesson {
            title: title.to_string(),
            screens,
        }
    }
}

fn screen(kind: &StepKind, event: &Event, before: &[Event], question: Question) -> Screen {
    let (fields, span) = if kind.message.is_empty() {
        (&event.fields[..], None)
    } else {
        record_of(event, kind.message)
    };
    let bytes = match (&event.bytes, span) {
        (Some(bytes), Some([start, end])) => bytes
            .get(start as usize..end as usize)
            .unwrap_or(bytes)
            .to_vec(),
        (Some(bytes), None) => bytes.clone(),
        (None, _) => Vec::new(),
    };
    let derivations = (before.iter())
        .filter(|e| e.kind == Kind::Action && e.layer == Layer::Tls && !e.fields.is_empty())
        .map(|e| {
            let fields = (e.fields.iter())
                .filter(|f| f.depth == 0)
                .map(|f| (f.name.to_string(), f.value.clone()))
                .collect();
            (format!("#{} {} {}", e.seq, e.actor, e.title), fields)
        })
        .collect();
    let explanation = if kind.message.is_empty() {
        event.explain.as_deref().unwrap_or("").to_string()
    } else {
        paragraph_about(event.explain.as_deref(), kind.message)
    };
    Screen {
        heading: kind.heading.to_string(),
        event: event.clone(),
        explanation,
        fields: (fields.iter())
            .filter(|f| f.depth <= 3)
            .take(FIELDS_SHOWN)
            .map(|f| (f.depth, f.name.to_string(), f.value.clone()))
            .collect(),
        bytes,
        derivations,
        question,
    }
}

/// A long value cut to `n` characters, marked with an ellipsis.
fn clip(value: &str, n: usize) -> String {
    if value.chars().count() <= n {
        return value.to_string();
    }
    let mut cut: String = value.chars().take(n - 1).collect();
    cut.push('…');
    cut
}

/// The event's line: number, time, who to whom, title.
fn headline(event: &Event) -> String {
    let who = match &event.peer {
        Some(peer) => format!("{} → {peer}", event.actor),
        None => event.actor.clone(),
    };
    format!("#{} {}  {who}  {}", event.seq, event.time, event.title)
}

/// Writes screen `n` as the terminal shows it.
fn write_screen(lesson: &Lesson, n: usize, out: &mut impl Write) -> io::Result<()> {
    let s = &lesson.screens[n];
    writeln!(
        out,
        "\n== Step {} of {}: {} ==",
        n + 1,
        lesson.screens.len(),
        s.heading
    )?;
    writeln!(out, "{}", headline(&s.event))?;
    for line in s.explanation.lines() {
        writeln!(out, "  {line}")?;
    }
    if !s.fields.is_empty() {
        writeln!(out, "Fields that matter:")?;
        for (depth, name, value) in &s.fields {
            let indent = "  ".repeat(usize::from(*depth) + 1);
            writeln!(out, "{indent}{name}: {}", clip(value, 72))?;
        }
    }
    if !s.bytes.is_empty() {
        writeln!(out, "Bytes ({} in all):", s.bytes.len())?;
        out.write_all(hex_dump(&s.bytes[..s.bytes.len().min(BYTES_SHOWN)]).as_bytes())?;
    }
    if !s.derivations.is_empty() {
        writeln!(out, "Key derivations since the step before:")?;
        for (title, fields) in &s.derivations {
            writeln!(out, "  {title}")?;
            for (name, value) in fields {
                writeln!(out, "    {name}: {}", clip(value, 70))?;
            }
        }
    }
    let q = &s.question;
    writeln!(out, "Question: {}", q.prompt)?;
    for (i, c) in q.choices.iter().enumerate() {
        writeln!(out, "  {}) {c}", letter(i))?;
    }
    if q.choices.is_empty() {
        writeln!(out, "  (type your answer)")?;
    } else {
        writeln!(out, "  (type a letter)")?;
    }
    Ok(())
}

const LESSON_HELP: &str = "\
Answer the question to go on: a letter for a choice, or the answer itself.
  r   show this step again
  h   this help
  q   quit the lesson
";

/// What the lesson prompt prints before each answer, in both modes.
const LESSON_PROMPT: &str = "lesson> ";

/// Where a learner is in the lesson.
struct Progress<'a> {
    lesson: &'a Lesson,
    screen: usize,
    wrong: usize,
}

impl Progress<'_> {
    fn start(&self, out: &mut impl Write) -> io::Result<bool> {
        writeln!(
            out,
            "Lesson: {}, {} steps. Answer each question to go on; h: help, q: quit.",
            self.lesson.title,
            self.lesson.screens.len()
        )?;
        if self.lesson.screens.is_empty() {
            writeln!(out, "This run has no handshake steps to teach.")?;
            return Ok(false);
        }
        write_screen(self.lesson, 0, out)?;
        Ok(true)
    }

    /// Handles one line; false when the lesson is over.
    fn reply(&mut self, line: &str, out: &mut impl Write) -> io::Result<bool> {
        match line.trim() {
            "q" | "quit" => return Ok(false),
            "h" | "help" | "?" => out.write_all(LESSON_HELP.as_bytes())?,
            "r" => write_screen(self.lesson, self.screen, out)?,
            "" => writeln!(out, "Answer the question first (h: help).")?,
            answer => {
                let question = &self.lesson.screens[self.screen].question;
                if !question.accepts(answer) {
                    self.wrong += 1;
                    writeln!(out, "Not quite. {}", question.why)?;
                    writeln!(out, "Try again.")?;
                    return Ok(true);
                }
                writeln!(out, "Right. {}", question.why)?;
                self.screen += 1;
                if self.screen == self.lesson.screens.len() {
                    writeln!(
                        out,
                        "\nLesson complete: {} steps, {} wrong attempt{}.",
                        self.screen,
                        self.wrong,
                        if self.wrong == 1 { "" } else { "s" }
                    )?;
                    return Ok(false);
                }
                write_screen(self.lesson, self.screen, out)?;
            }
        }
        Ok(true)
    }
}

/// Runs the lesson over `script`, one answer or command per `;` or line,
/// each echoed after the prompt as if typed.
pub fn run_lesson_script(lesson: &Lesson, script: &str, out: &mut impl Write) -> io::Result<()> {
    let mut progress = Progress {
        lesson,
        screen: 0,
        wrong: 0,
    };
    if !progress.start(out)? {
        return Ok(());
    }
    for line in script
        .split([';', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        writeln!(out, "{LESSON_PROMPT}{line}")?;
        if !progress.reply(line, out)? {
            break;
        }
    }
    Ok(())
}

/// Runs the lesson reading one answer or command a line from `input`.
pub fn run_lesson_interactive(
    lesson: &Lesson,
    input: impl BufRead,
    mut out: impl Write,
) -> io::Result<()> {
    let mut progress = Progress {
        lesson,
        screen: 0,
        wrong: 0,
    };
    if !progress.start(&mut out)? {
        return out.flush();
    }
    let mut lines = input.lines();
    loop {
        write!(out, "{LESSON_PROMPT}")?;
        out.flush()?;
        let Some(line) = lines.next().transpose()? else {
            writeln!(out)?;
            break;
        };
        if !progress.reply(&line, &mut out)? {
            break;
        }
    }
    out.flush()
}

const LESSON_STYLE: &str = include_str!("lesson/page.css");
const LESSON_SCRIPT: &str = include_str!("lesson/page.js");

/// Writes the lesson as one self-contained HTML page: the same screens,
/// one at a time, each question answered by a click (or typed) before the
/// next is shown. `#answers=b,51,a` gives the first answers on load.
pub fn render_lesson_html(lesson: &Lesson, out: &mut impl Write) -> io::Result<()> {
    let title = escape_html(&lesson.title);
    let mut body = String::new();
    for (n, s) in lesson.screens.iter().enumerate() {
        let q = &s.question;
        let _ = write!(
            body,
            r#"<section class="screen" id="step-{}" data-answer="{}" hidden>
<h2>Step {} of {}: {}</h2>
<div class="event">{}</div>
<div class="explain">{}</div>
"#,
            n + 1,
            escape_html(&q.answer.to_lowercase()),
            n + 1,
            lesson.screens.len(),
            escape_html(&s.heading),
            escape_html(&headline(&s.event)),
            escape_html(&s.explanation),
        );
        if !s.fields.is_empty() {
            body.push_str("<h3>Fields that matter</h3><div class=\"fields\">");
            for (depth, name, value) in &s.fields {
                let _ = write!(
                    body,
                    r#"<div style="padding-left:{}px"><b>{}</b>: {}</div>"#,
                    4 + 16 * u32::from(*depth),
                    escape_html(name),
                    escape_html(&clip(value, 96))
                );
            }
            body.push_str("</div>\n");
        }
        if !s.bytes.is_empty() {
            let shown = &s.bytes[..s.bytes.len().min(BYTES_SHOWN)];
            let _ = writeln!(
                body,
                "<h3>Bytes ({} in all)</h3><pre class=\"hex\">{}</pre>",
                s.bytes.len(),
                escape_html(&hex_dump(shown))
            );
        }
        if !s.derivations.is_empty() {
            body.push_str("<h3>Key derivations since the step before</h3><div class=\"keys\">");
            for (title, fields) in &s.derivations {
                let _ = write!(
                    body,
                    "<div class=\"derivation\"><b>{}</b>",
                    escape_html(title)
                );
                for (name, value) in fields {
                    let _ = write!(
                        body,
                        "<div>{}: <code>{}</code></div>",
                        escape_html(name),
                        escape_html(value)
                    );
                }
                body.push_str("</div>");
            }
            body.push_str("</div>\n");
        }
        let _ = write!(
            body,
            "<div class=\"question\"><p><b>Question:</b> {}</p>",
            escape_html(&q.prompt)
        );
        if q.choices.is_empty() {
            body.push_str(r#"<form class="short"><input type="text" name="answer" autocomplete="off"> <button>Check</button></form>"#);
        } else {
            for (i, c) in q.choices.iter().enumerate() {
                let _ = write!(
                    body,
                    r#"<button class="choice" data-reply="{}">{}) {}</button>"#,
                    letter(i),
                    letter(i),
                    escape_html(c)
                );
            }
        }
        let _ = write!(
            body,
            "<p class=\"feedback\" hidden></p><p class=\"why\" hidden>{}</p><button class=\"next\" hidden>Next step</button></div>\n</section>\n",
            escape_html(&q.why)
        );
    }
    let page = format!(
        r#"<header><h1>Lesson: {title}</h1><span id="progress"></span><pre id="errors"></pre></header>
<main>
{body}<section class="screen" id="done" hidden><h2>Lesson complete</h2><p id="summary"></p></section>
</main>
"#
    );
    write_page(
        out,
        &format!("Lesson: {}", lesson.title),
        LESSON_STYLE,
        &page,
        LESSON_SCRIPT,
    )
}
