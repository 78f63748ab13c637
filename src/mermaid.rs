//! The event log as a Mermaid `sequenceDiagram`, which GitHub renders in
//! Markdown.
//!
//! One lifeline per host, in order of first appearance. A `send` becomes an
//! arrow from actor to peer labelled with the event's number `#N` (its
//! `seq`, as every view numbers it), the time, the title and the
//! one-line [`summary`]; its `recv` is not drawn again. A packet lost on a
//! link `a->b` becomes a crossed arrow `a-xb`; faults, timers, state changes
//! and actions become notes over their actor (or over both ends of a link).
//! Run-level events of the `sim` actor become notes across every lifeline.

use std::io::{self, Write};

use tlsim_sim::{Event, Kind, Layer};

use crate::output::summary;

/// Longest summary shown on an arrow; a Client Hello lists dozens of
/// fields, which belong in the HTML view rather than on one line.
const SUMMARY_CHARS: usize = 80;

/// Words the Mermaid sequence grammar reserves; a participant id equal to
/// one of them would end a block or start a statement.
const RESERVED_IDS: &[&str] = &[
    "end",
    "loop",
    "alt",
    "else",
    "opt",
    "par",
    "and",
    "rect",
    "critical",
    "break",
    "box",
    "note",
    "participant",
    "actor",
    "activate",
    "deactivate",
    "autonumber",
    "title",
    "link",
    "links",
    "properties",
    "details",
    "over",
    "left",
    "right",
    "of",
    "as",
    "create",
    "destroy",
];

/// The lifelines of a diagram: display names and their Mermaid ids.
struct Participants {
    names: Vec<String>,
    ids: Vec<String>,
}

impl Participants {
    fn collect(events: &[Event]) -> Self {
        let mut participants = Participants {
            names: Vec::new(),
            ids: Vec::new(),
        };
        for event in events {
            if is_run_level(event) {
                continue;
            }
            match link_ends(&event.actor) {
                Some((from, to)) => {
                    participants.add(from);
                    participants.add(to);
                }
                None => participants.add(&event.actor),
            }
            if let Some(peer) = &event.peer {
                participants.add(peer);
            }
        }
        participants
    }

    fn add(&mut self, name: &str) {
        if self.names.iter().any(|n| n == name) {
            return;
        }
        let base = sanitise_id(name);
        let mut id = base.clone();
        let mut suffix = 2;
        while self.ids.contains(&id) {
            id = format!("{base}_{suffix}");
            suffix += 1;
        }
        self.names.push(name.to_string());
        self.ids.push(id);
    }

    /// The id of a lifeline collected by [`collect`](Self::collect).
    fn id(&self, name: &str) -> Option<&str> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.ids[i].as_str())
    }
}

/// `client->server` names the link from `client` to `server`.
fn link_ends(actor: &str) -> Option<(&str, &str)> {
    let (from, to) = actor.split_once("->")?;
    (!from.is_empty() && !to.is_empty()).then_some((from, to))
}

fn is_run_level(event: &Event) -> bool {
    event.actor == "sim" && (event.layer == Layer::Sim || event.peer.is_none())
}

/// An id the grammar accepts: ASCII letters, digits and `_`, not starting
/// with a digit and not a keyword.
fn sanitise_id(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if id.is_empty()
        || id.starts_with(|c: char| c.is_ascii_digit())
        || RESERVED_IDS.contains(&id.to_ascii_lowercase().as_str())
    {
        id.insert_str(0, "p_");
    }
    id
}

/// Text as Mermaid shows it: characters that the grammar or its HTML
/// labels give a meaning become entity codes (`#59;` for `;`), as the
/// Mermaid sequence diagram documentation describes; line breaks become
/// spaces so that one statement stays on one line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            ':' => out.push_str("#58;"),
            '%' => out.push_str("#37;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '&' => out.push_str("#38;"),
            '"' => out.push_str("#34;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `text`, or as many of its `Name: value` fields as fit in
/// [`SUMMARY_CHARS`] with `…` after them (as many words, when not even
/// the first field fits): a label is never cut inside a word or a number.
fn shortened(text: String) -> String {
    if text.chars().count() <= SUMMARY_CHARS {
        return text;
    }
    let fits: String = text.chars().take(SUMMARY_CHARS - 2).collect();
    let kept = match (fits.rfind(", "), fits.rfind(' ')) {
        (Some(field_end), _) => &fits[..=field_end],
        (None, Some(word_end)) => &fits[..word_end],
        // One word longer than a label: better cut than not shown.
        (None, None) => &fits,
    };
    format!("{kept} …")
}

/// Mermaid's default `maxTextSize`: a longer diagram is not rendered.
pub const MERMAID_MAX_TEXT: usize = 50_000;

/// The label of an arrow or note: number, time, title, and the summary on
/// a second line.
fn label(event: &Event, mark: &str, with_summary: bool) -> String {
    let number = escape(&format!("#{}", event.seq));
    let mut text = format!("{number} · {} · {mark}{}", event.time, escape(&event.title));
    if with_summary {
        let info = summary(event);
        if !info.is_empty() {
            text.push_str("<br/>");
            text.push_str(&escape(&shortened(info)));
        }
    }
    text
}

/// Writes `events` as a Mermaid `sequenceDiagram`.
pub fn render_mermaid(events: &[Event], out: &mut impl Write) -> io::Result<()> {
    let participants = Participants::collect(events);
    writeln!(out, "sequenceDiagram")?;
    for (id, name) in participants.ids.iter().zip(&participants.names) {
        writeln!(out, "    participant {id} as {}", escape(name))?;
    }
    // With no host at all, run-level notes still need a lifeline.
    let (first, last) = match (participants.ids.first(), participants.ids.last()) {
        (Some(first), Some(last)) => (first.clone(), last.clone()),
        _ => {
            writeln!(out, "    participant sim")?;
            ("sim".to_string(), "sim".to_string())
        }
    };
    let span_all = if first == last {
        first.clone()
    } else {
        format!("{first},{last}")
    };
    for event in events {
        write_event(event, &participants, &span_all, out)?;
    }
    Ok(())
}

fn write_event(
    event: &Event,
    participants: &Participants,
    span_all: &str,
    out: &mut impl Write,
) -> io::Result<()> {
    if is_run_level(event) {
        return writeln!(out, "    Note over {span_all}: {}", label(event, "", true));
    }
    let actor = participants.id(&event.actor);
    let peer = event.peer.as_deref().and_then(|p| participants.id(p));
    let link = link_ends(&event.actor)
        .and_then(|(from, to)| Some((participants.id(from)?, participants.id(to)?)));
    // Where a note goes: the actor's lifeline, or both ends of its link.
    let over = match (actor, link) {
        (Some(actor), _) => actor.to_string(),
        (None, Some((from, to))) if from == to => from.to_string(),
        (None, Some((from, to))) => format!("{from},{to}"),
        (None, None) => span_all.to_string(),
    };
    match event.kind {
        Kind::Recv => Ok(()),
        Kind::Send => match (actor, peer) {
            (Some(actor), Some(peer)) => {
                writeln!(out, "    {actor}->>{peer}: {}", label(event, "", true))
            }
            _ => writeln!(out, "    Note over {over}: {}", label(event, "", true)),
        },
        Kind::Drop => match (actor, peer, link) {
            (Some(actor), Some(peer), _) => {
                writeln!(out, "    {actor}-x{peer}: {}", label(event, "✗ ", true))
            }
            (_, _, Some((from, to))) if from != to => {
                writeln!(out, "    {from}-x{to}: {}", label(event, "✗ ", true))
            }
            _ => writeln!(out, "    Note over {over}: {}", label(event, "✗ ", true)),
        },
        Kind::Fault => writeln!(out, "    Note over {over}: {}", label(event, "⚡ ", true)),
        Kind::Timer => writeln!(out, "    Note over {over}: {}", label(event, "⏱ ", false)),
        Kind::State => writeln!(out, "    Note over {over}: {}", label(event, "", false)),
        Kind::Action => writeln!(out, "    Note over {over}: {}", label(event, "", false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlsim_sim::Instant;

    #[test]
    fn escapes_characters_the_grammar_reserves() {
        assert_eq!(escape("a;b#c:d"), "a#59;b#35;c#58;d");
        assert_eq!(escape("x<y>&\"z\""), "x#60;y#62;#38;#34;z#34;");
        assert_eq!(escape("two\nlines"), "two lines");
    }

    #[test]
    fn participant_ids_avoid_keywords_and_punctuation() {
        assert_eq!(sanitise_id("client"), "client");
        assert_eq!(sanitise_id("end"), "p_end");
        assert_eq!(sanitise_id("10.0.0.1:443"), "p_10_0_0_1_443");
        assert_eq!(sanitise_id(""), "p_");
    }

    #[test]
    fn names_that_sanitise_alike_get_distinct_ids() {
        let events = [
            Event::new(Instant::ZERO, "a.b", Kind::Action, Layer::Tcp, "x"),
            Event::new(Instant::ZERO, "a-b", Kind::Action, Layer::Tcp, "y"),
        ];
        let participants = Participants::collect(&events);
        assert_eq!(participants.ids, ["a_b", "a_b_2"]);
    }

    #[test]
    fn long_summaries_are_cut_between_words_with_an_ellipsis() {
        let fields = "Handshake Type: Client Hello (1), Cipher Suites (51 suites), Compression Methods (1 method)";
        let short = shortened(fields.to_string());
        assert_eq!(
            short,
            "Handshake Type: Client Hello (1), Cipher Suites (51 suites), …"
        );
        let words = shortened(format!("Data: {}", "word ".repeat(40)));
        assert!(words.ends_with("word word …"), "{words}");
        assert!(words.chars().count() <= SUMMARY_CHARS);
        let one_word = shortened("x".repeat(200));
        assert_eq!(one_word.chars().count(), SUMMARY_CHARS);
        assert!(one_word.ends_with(" …"));
    }
}
