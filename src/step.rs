//! Teaching mode: walk through a run's events one at a time.
//!
//! A `Session` is a cursor over the log plus a command interpreter, so the
//! same code serves a person at a terminal ([`run_interactive`], one command
//! per line) and a test or a lesson plan ([`run_script`], commands separated
//! by `;` or newlines). Events are shown by their number in the log, `#N`,
//! the `seq` of the JSON lines, as every other view numbers them. Nothing
//! here reads a clock or a terminal mode; colour is chosen by the caller.

use std::fmt::Write as _;
use std::io::{self, BufRead, Write};

use tlsim_sim::{Event, Kind, Layer};

use crate::output::summary;

const HELP: &str = "\
Commands:
  n, next       the next event
  p, prev       the previous event
  g N           go to event #N
  l LAYER       the next event of a layer: tcp, tls, spdy, link or sim
  m TEXT        the next event whose title contains TEXT (any case)
  f             the fields of this event, indented as a dissection tree
  b             the bytes of this event as a hex dump
  k             the key computations (TLS actions with values) up to here
  e             why this event happens
  h, ?          this help
  q             quit
";

/// ANSI styles, used only when the caller enables colour.
mod style {
    pub(super) const BOLD: &str = "\x1b[1m";
    pub(super) const DIM: &str = "\x1b[2m";
    pub(super) const RED: &str = "\x1b[31m";
    pub(super) const GREEN: &str = "\x1b[32m";
    pub(super) const YELLOW: &str = "\x1b[33m";
    pub(super) const BLUE: &str = "\x1b[34m";
    pub(super) const MAGENTA: &str = "\x1b[35m";
    pub(super) const CYAN: &str = "\x1b[36m";
    pub(super) const RESET: &str = "\x1b[0m";
}

/// One command of the teaching mode.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Command {
    Next,
    Prev,
    Goto(u64),
    NextInLayer(Layer),
    NextMatching(String),
    Fields,
    Bytes,
    Keys,
    Explain,
    Help,
    Quit,
}

/// What both modes print before each command.
const PROMPT: &str = "step> ";

/// A layer by the name the log gives it, in any case.
pub(crate) fn parse_layer(name: &str) -> Option<Layer> {
    match name.to_ascii_lowercase().as_str() {
        "tcp" => Some(Layer::Tcp),
        "tls" => Some(Layer::Tls),
        "spdy" => Some(Layer::Spdy),
        "link" => Some(Layer::Link),
        "sim" => Some(Layer::Sim),
        _ => None,
    }
}

/// The verbs that take no argument.
fn is_plain_verb(verb: &str) -> bool {
    matches!(
        verb,
        "n" | "next"
            | "p"
            | "prev"
            | "f"
            | "fields"
            | "b"
            | "bytes"
            | "k"
            | "keys"
            | "e"
            | "explain"
            | "h"
            | "help"
            | "?"
            | "q"
            | "quit"
    )
}

impl Command {
    /// Parses one command line as typed at the prompt: a verb, then its
    /// argument, which is the rest of the line and may contain spaces.
    /// An empty line is `n`.
    fn parse_line(line: &str) -> Result<Command, String> {
        let line = line.trim();
        match line.split_once(char::is_whitespace) {
            Some((verb, rest)) => Command::parse(verb, Some(rest)),
            None if line.is_empty() => Ok(Command::Next),
            None => Command::parse(line, None),
        }
    }

    /// Parses a verb and its argument; the error is a message for the learner.
    fn parse(verb: &str, argument: Option<&str>) -> Result<Command, String> {
        let argument = argument.map(str::trim).filter(|a| !a.is_empty());
        if let (true, Some(extra)) = (is_plain_verb(verb), argument) {
            return Err(format!(
                "{verb} takes no argument, but got '{extra}': separate commands with ; (n; n; f)"
            ));
        }
        let command = match (verb, argument) {
            ("n" | "next", _) => Command::Next,
            ("p" | "prev", _) => Command::Prev,
            ("g" | "goto", Some(n)) => match n.trim_start_matches('#').parse() {
                Ok(seq) => Command::Goto(seq),
                Err(_) => return Err(format!("'{n}' is not an event number: try g 12")),
            },
            ("g" | "goto", None) => return Err("g needs an event number: try g 12".into()),
            ("l" | "layer", Some(name)) => match parse_layer(name) {
                Some(layer) => Command::NextInLayer(layer),
                None => {
                    return Err(format!(
                        "Unknown layer '{name}': use tcp, tls, spdy, link or sim"
                    ));
                }
            },
            ("l" | "layer", None) => return Err("l needs a layer: try l tls".into()),
            ("m" | "match", Some(text)) => Command::NextMatching(text.to_string()),
            ("m" | "match", None) => return Err("m needs part of a title: try m hello".into()),
            ("f" | "fields", _) => Command::Fields,
            ("b" | "bytes", _) => Command::Bytes,
            ("k" | "keys", _) => Command::Keys,
            ("e" | "explain", _) => Command::Explain,
            ("h" | "help" | "?", _) => Command::Help,
            ("q" | "quit", _) => Command::Quit,
            _ => return Err(format!("Unknown command '{verb}'. Type h for help.")),
        };
        Ok(command)
    }
}

/// Whether to keep reading commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

/// A cursor over the log and the rendering of what it points at.
struct Session<'a> {
    events: &'a [Event],
    /// Index of the current event; `None` before the first step.
    position: Option<usize>,
    colour: bool,
}

impl<'a> Session<'a> {
    fn new(events: &'a [Event], colour: bool) -> Self {
        Session {
            events,
            position: None,
            colour,
        }
    }

    fn paint(&self, text: &str, styles: &[&str]) -> String {
        if !self.colour || styles.is_empty() {
            return text.to_string();
        }
        format!("{}{text}{}", styles.concat(), style::RESET)
    }

    fn intro(&self, out: &mut impl Write) -> io::Result<()> {
        match (self.events.first(), self.events.last()) {
            (Some(first), Some(last)) => writeln!(
                out,
                "{} events, #{} to #{}. n: next, p: previous, h: help, q: quit.",
                self.events.len(),
                first.seq,
                last.seq
            ),
            _ => writeln!(out, "No events. h: help, q: quit."),
        }
    }

    /// Runs one command line; an error is a message for the learner.
    fn execute_line(&mut self, line: &str, out: &mut impl Write) -> io::Result<Flow> {
        match Command::parse_line(line) {
            Ok(command) => self.execute(&command, out),
            Err(message) => {
                writeln!(out, "{message}")?;
                Ok(Flow::Continue)
            }
        }
    }

    fn execute(&mut self, command: &Command, out: &mut impl Write) -> io::Result<Flow> {
        match command {
            Command::Next => {
                let next = self.position.map_or(0, |p| p + 1);
                if next < self.events.len() {
                    self.show(next, out)?;
                } else {
                    writeln!(
                        out,
                        "End of the log ({} events): p goes back, q quits.",
                        self.events.len()
                    )?;
                }
            }
            Command::Prev => match self.position {
                Some(p) if p > 0 => self.show(p - 1, out)?,
                _ => writeln!(out, "Already at the start of the log: n goes forward.")?,
            },
            Command::Goto(seq) => match self.events.iter().position(|e| e.seq == *seq) {
                Some(index) => self.show(index, out)?,
                None => writeln!(out, "No event #{seq}.")?,
            },
            Command::NextInLayer(layer) => {
                let found = self.find_after(|e| e.layer == *layer);
                match found {
                    Some(index) => self.show(index, out)?,
                    None => writeln!(out, "No later event in layer {}.", layer.as_str())?,
                }
            }
            Command::NextMatching(text) => {
                let needle = text.to_lowercase();
                match self.find_after(|e| e.title.to_lowercase().contains(&needle)) {
                    Some(index) => self.show(index, out)?,
                    None => writeln!(out, "No later event with '{text}' in its title.")?,
                }
            }
            Command::Fields => {
                if let Some(event) = self.current(out)? {
                    self.write_fields(event, out)?;
                }
            }
            Command::Bytes => {
                if let Some(event) = self.current(out)? {
                    match &event.bytes {
                        Some(bytes) => out.write_all(hex_dump(bytes).as_bytes())?,
                        None => writeln!(out, "(no bytes on the wire for this event)")?,
                    }
                }
            }
            Command::Keys => self.write_keys(out)?,
            Command::Explain => {
                if let Some(event) = self.current(out)? {
                    match &event.explain {
                        Some(text) => writeln!(out, "{text}")?,
                        None => writeln!(out, "(no explanation for this event)")?,
                    }
                }
            }
            Command::Help => out.write_all(HELP.as_bytes())?,
            Command::Quit => return Ok(Flow::Quit),
        }
        Ok(Flow::Continue)
    }

    fn find_after(&self, wanted: impl Fn(&Event) -> bool) -> Option<usize> {
        let start = self.position.map_or(0, |p| p + 1);
        (start..self.events.len()).find(|&i| wanted(&self.events[i]))
    }

    /// The current event, or a hint that there is none yet.
    fn current(&self, out: &mut impl Write) -> io::Result<Option<&'a Event>> {
        match self.position {
            Some(p) => Ok(Some(&self.events[p])),
            None => {
                writeln!(out, "No event yet: n shows the first one.")?;
                Ok(None)
            }
        }
    }

    /// Moves to `index` and prints its header and explanation.
    fn show(&mut self, index: usize, out: &mut impl Write) -> io::Result<()> {
        self.position = Some(index);
        let event = &self.events[index];
        let mut line = String::new();
        let last = self.events.last().map_or(event.seq, |e| e.seq);
        let position = format!("#{}/{last}", event.seq);
        let _ = write!(
            line,
            "{} {}  {}  {} {} {}",
            self.paint(&position, &[style::DIM]),
            event.time,
            self.paint(&event.actor, &[style::BOLD]),
            self.paint(event.kind.as_str(), kind_style(event.kind)),
            self.paint(event.layer.as_str(), &[layer_style(event.layer)]),
            self.paint(&event.title, &[style::BOLD]),
        );
        if let Some(peer) = &event.peer {
            let arrow = if event.kind == Kind::Recv {
                "from"
            } else {
                "to"
            };
            let _ = write!(line, " ({arrow} {peer})");
        }
        let info = summary(event);
        if !info.is_empty() {
            let _ = write!(line, "  {info}");
        }
        writeln!(out, "{line}")?;
        // One indented line per paragraph: an event with several messages
        // explains each on a line of its own.
        for paragraph in event.explain.iter().flat_map(|text| text.lines()) {
            writeln!(out, "    {}", self.paint(paragraph, &[style::DIM]))?;
        }
        Ok(())
    }

    fn write_fields(&self, event: &Event, out: &mut impl Write) -> io::Result<()> {
        if event.fields.is_empty() {
            return writeln!(out, "(no fields)");
        }
        for field in &event.fields {
            let indent = "  ".repeat(usize::from(field.depth) + 1);
            let span = field
                .span
                .map(|[start, end]| self.paint(&format!("  [bytes {start}..{end}]"), &[style::DIM]))
                .unwrap_or_default();
            writeln!(
                out,
                "{indent}{}: {}{span}",
                self.paint(&field.name, &[style::CYAN]),
                field.value
            )?;
        }
        Ok(())
    }

    /// Every TLS action with values up to here: the key schedule so far.
    fn write_keys(&self, out: &mut impl Write) -> io::Result<()> {
        let end = self.position.map_or(0, |p| p + 1);
        let mut any = false;
        for event in &self.events[..end] {
            if event.kind != Kind::Action || event.layer != Layer::Tls || event.fields.is_empty() {
                continue;
            }
            any = true;
            writeln!(
                out,
                "#{} {} {}: {}",
                event.seq,
                event.time,
                event.actor,
                self.paint(&event.title, &[style::BOLD])
            )?;
            self.write_fields(event, out)?;
        }
        if !any {
            writeln!(out, "No key computations yet.")?;
        }
        Ok(())
    }
}

fn kind_style(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Drop | Kind::Fault => &[style::RED, style::BOLD],
        Kind::Send | Kind::Recv => &[],
        Kind::Action | Kind::Timer | Kind::State => &[style::DIM],
    }
}

fn layer_style(layer: Layer) -> &'static str {
    match layer {
        Layer::Sim => style::DIM,
        Layer::Link => style::YELLOW,
        Layer::Tcp => style::BLUE,
        Layer::Tls => style::GREEN,
        Layer::Spdy => style::MAGENTA,
    }
}

/// Sixteen bytes a line: offset, hex in two groups of eight, and ASCII.
pub(crate) fn hex_dump(bytes: &[u8]) -> String {
    let mut text = String::new();
    for (line, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(text, "{:04x}  ", line * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(byte) => {
                    let _ = write!(text, "{byte:02x} ");
                }
                None => text.push_str("   "),
            }
            if i == 7 {
                text.push(' ');
            }
        }
        text.push(' ');
        text.push('|');
        text.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        }));
        text.push_str("|\n");
    }
    text
}

/// Runs `script`, one command per `;` or line, as if each were typed at
/// the prompt: an argument may contain spaces (`m Client Key Exchange; f`).
/// Each command is echoed after the prompt, so the output reads as if it
/// had been typed at a terminal; empty commands are skipped.
pub fn run_script(
    events: &[Event],
    script: &str,
    out: &mut impl Write,
    colour: bool,
) -> io::Result<()> {
    let mut session = Session::new(events, colour);
    session.intro(out)?;
    let commands = script.split([';', '\n']).map(str::trim);
    for line in commands.filter(|l| !l.is_empty()) {
        writeln!(out, "{PROMPT}{line}")?;
        if session.execute_line(line, out)? == Flow::Quit {
            break;
        }
    }
    Ok(())
}

/// Reads one command per line from `input` until `q` or the end of input;
/// an empty line steps to the next event. The rest of the line is the
/// argument, so `m client hello` matches a title with a space in it.
pub fn run_interactive(
    events: &[Event],
    input: impl BufRead,
    mut out: impl Write,
    colour: bool,
) -> io::Result<()> {
    let mut session = Session::new(events, colour);
    session.intro(&mut out)?;
    let mut lines = input.lines();
    loop {
        write!(out, "{PROMPT}")?;
        out.flush()?;
        let Some(line) = lines.next().transpose()? else {
            writeln!(out)?;
            break;
        };
        if session.execute_line(&line, &mut out)? == Flow::Quit {
            break;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_dump_shows_offsets_hex_and_ascii() {
        let bytes: Vec<u8> = (0x41..0x41 + 18).collect();
        assert_eq!(
            hex_dump(&bytes),
            "0000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|\n\
             0010  51 52                                             |QR|\n"
        );
    }

    #[test]
    fn commands_needing_an_argument_explain_what_is_missing() {
        assert_eq!(
            Command::parse("g", None),
            Err("g needs an event number: try g 12".to_string())
        );
        assert!(
            Command::parse("l", Some("udp"))
                .unwrap_err()
                .contains("tcp, tls, spdy")
        );
        assert_eq!(Command::parse("?", None), Ok(Command::Help));
        assert_eq!(
            Command::parse("layer", Some("TLS")),
            Ok(Command::NextInLayer(Layer::Tls))
        );
    }

    #[test]
    fn a_command_line_is_a_verb_and_the_rest_of_the_line() {
        assert_eq!(
            Command::parse_line("  m Client Key Exchange "),
            Ok(Command::NextMatching("Client Key Exchange".into()))
        );
        assert_eq!(Command::parse_line("g #12"), Ok(Command::Goto(12)));
        assert_eq!(Command::parse_line(""), Ok(Command::Next));
        assert_eq!(
            Command::parse_line("n n"),
            Err("n takes no argument, but got 'n': separate commands with ; (n; n; f)".into())
        );
    }
}
