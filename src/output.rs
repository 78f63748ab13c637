//! Renderings of the event log, each a [`Tracer`] that writes as events
//! arrive: JSON lines (the source of truth) and the text ladder.
//!
//! Nothing here changes what the simulation does; every rendering is a pure
//! function of the events.

use std::fmt::Write as _;
use std::io::{self, Write};

use tlsim_sim::{Event, Kind, Layer, Tracer};

/// Numbers events in the order they arrive, then passes them on.
pub struct Sequenced<T> {
    inner: T,
    next: u64,
}

impl<T: Tracer> Sequenced<T> {
    /// Numbers events from 0 for `inner`.
    pub fn new(inner: T) -> Self {
        Sequenced { inner, next: 0 }
    }

    /// The wrapped tracer.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// The wrapped tracer, by reference.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: Tracer> Tracer for Sequenced<T> {
    fn enabled(&self) -> bool {
        self.inner.enabled()
    }
    fn record(&mut self, mut event: Event) {
        event.seq = self.next;
        self.next += 1;
        self.inner.record(event);
    }
}

/// Sends every event to two tracers.
pub struct Tee<A, B>(pub A, pub B);

impl<A: Tracer, B: Tracer> Tracer for Tee<A, B> {
    fn enabled(&self) -> bool {
        self.0.enabled() || self.1.enabled()
    }
    fn record(&mut self, event: Event) {
        match (self.0.enabled(), self.1.enabled()) {
            (true, true) => {
                self.0.record(event.clone());
                self.1.record(event);
            }
            (true, false) => self.0.record(event),
            (false, true) => self.1.record(event),
            (false, false) => {}
        }
    }
}

/// Writes one JSON object per line. The first I/O error is kept and stops
/// further writing; [`finish`](Self::finish) reports it.
pub struct JsonLines<W: Write> {
    out: W,
    error: Option<io::Error>,
}

impl<W: Write> JsonLines<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        JsonLines { out, error: None }
    }

    /// Flushes and returns the writer, or the first error met.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Tracer for JsonLines<W> {
    fn record(&mut self, event: Event) {
        if self.error.is_some() {
            return;
        }
        let result = serde_json::to_writer(&mut self.out, &event)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

/// Writes the human-readable ladder: one event per line, its number `#N`
/// (the `seq` every view shows) and simulated time first.
///
/// ```text
///    #3      0.000 ms  client   send    TCP SYN  ──►  Seq=0 Ack=0 Len=0 MSS=1460
/// ```
pub struct TextLadder<W: Write> {
    out: W,
    error: Option<io::Error>,
    line: String,
}

const WIDTH: usize = 120;
const TITLE_COLUMN: usize = 37;

impl<W: Write> TextLadder<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        TextLadder {
            out,
            error: None,
            line: String::new(),
        }
    }

    /// Flushes and returns the writer, or the first error met.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// TLS fields a reader of the documented flow expects on the message line,
/// and whether they are counts shown as `Name (count)`.
const TLS_HEADLINE: &[(&str, bool)] = &[
    ("Content Type", false),
    ("Version", false),
    ("Handshake Type", false),
    ("Cipher Suites", true),
    ("Cipher Suite", false),
    ("Compression Methods", true),
    ("Server Name", false),
    ("Elliptic curves point formats", true),
    ("Elliptic curves", true),
    ("Certificate Length", false),
    ("Certificate", true),
    ("Curve Type", false),
    ("Named Curve", false),
    ("Alert Message", false),
    ("Decrypted", false),
];

/// The one-line summary of an event's fields: `Seq=1 Ack=1 Len=244` for
/// TCP segments, as Wireshark's Info column; for TLS messages the fields of
/// the documented flow (`Content Type: Handshake (22), Version: TLS 1.0
/// (0x0301), …, Cipher Suites (51 suites)`), each shown once; `Name: value,
/// …` of the top-level fields otherwise.
pub fn summary(event: &Event) -> String {
    let mut s = String::new();
    let push = |s: &mut String, piece: std::fmt::Arguments<'_>| {
        if !s.is_empty() {
            s.push_str(", ");
        }
        let _ = s.write_fmt(piece);
    };
    if event.layer == Layer::Tcp && matches!(event.kind, Kind::Send | Kind::Recv) {
        // In the order of Wireshark's Info column, whatever the dissection's order.
        for name in ["Seq", "Ack", "Len", "Win", "MSS"] {
            if let Some(value) = event.field_value(name) {
                if !s.is_empty() {
                    s.push(' ');
                }
                let _ = write!(s, "{name}={value}");
            }
        }
        return s;
    }
    if event.layer == Layer::Tls && matches!(event.kind, Kind::Send | Kind::Recv) {
        let mut shown: Vec<(&str, &str)> = Vec::new();
        // Below a counted list (its entries), nothing more is shown.
        let mut list_depth: Option<u8> = None;
        for f in &event.fields {
            match list_depth {
                Some(d) if f.depth > d => continue,
                _ => list_depth = None,
            }
            let Some(&(_, counted)) = TLS_HEADLINE.iter().find(|(name, _)| *name == f.name) else {
                continue;
            };
            if counted {
                list_depth = Some(f.depth);
            }
            // The record header's Content Type and Version, not those inside messages.
            if matches!(&*f.name, "Content Type" | "Version") && f.depth > 1 {
                continue;
            }
            // A subtree's heading (a plaintext Alert Message) has no value;
            // the event's title names what it holds.
            if f.value.is_empty() || shown.contains(&(&*f.name, f.value.as_str())) {
                continue;
            }
            shown.push((&f.name, &f.value));
            if counted {
                push(&mut s, format_args!("{} ({})", f.name, f.value));
            } else {
                push(&mut s, format_args!("{}: {}", f.name, f.value));
            }
        }
        if !s.is_empty() {
            return s;
        }
    }
    for f in event.fields.iter().filter(|f| f.depth == 0) {
        push(&mut s, format_args!("{}: {}", f.name, f.value));
    }
    s
}

impl<W: Write> Tracer for TextLadder<W> {
    fn record(&mut self, event: Event) {
        if self.error.is_some() {
            return;
        }
        let line = &mut self.line;
        line.clear();
        let _ = write!(
            line,
            "{:>5}  {:>11}  {:<8} {:<7} {}",
            format!("#{}", event.seq),
            event.time.to_string(),
            event.actor,
            event.kind.as_str(),
            event.title
        );
        let arrow = match event.kind {
            Kind::Send => "  ──►  ",
            Kind::Recv => "  ◄──  ",
            _ => "  ·  ",
        };
        let rest = summary(&event);
        if !rest.is_empty() {
            line.push_str(arrow);
            // Wrap at commas, continuing under the title.
            let mut col = line.chars().count();
            for (i, part) in rest.split(", ").enumerate() {
                let piece = if i == 0 {
                    part.to_string()
                } else {
                    format!(", {part}")
                };
                let len = piece.chars().count();
                if i > 0 && col + len > WIDTH {
                    line.push(',');
                    line.push('\n');
                    line.extend(std::iter::repeat_n(' ', TITLE_COLUMN));
                    line.push_str(part);
                    col = TITLE_COLUMN + part.chars().count();
                } else {
                    line.push_str(&piece);
                    col += len;
                }
            }
        }
        line.push('\n');
        if let Err(e) = self.out.write_all(line.as_bytes()) {
            self.error = Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlsim_sim::Instant;

    fn segment() -> Event {
        Event::new(
            Instant::from_nanos(20_000_000),
            "client",
            Kind::Send,
            Layer::Tcp,
            "TCP Segment",
        )
        .peer("server")
        .field("Src Port", 49152)
        .field("Seq", 1)
        .field("Ack", 1)
        .field("Len", 244)
    }

    #[test]
    fn ladder_shows_tcp_segments_like_wiresharks_info_column() {
        let mut t = TextLadder::new(Vec::new());
        t.record(segment());
        let text = String::from_utf8(t.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "   #0    20.000 ms  client   send    TCP Segment  ──►  Seq=1 Ack=1 Len=244\n"
        );
    }

    #[test]
    fn ladder_wraps_long_field_lists_under_the_title() {
        let mut e = Event::new(
            Instant::ZERO,
            "client",
            Kind::Send,
            Layer::Tls,
            "TLS Client Hello",
        );
        for i in 0..12 {
            e.push_field(format!("Field number {i}"), "some value", 0, None);
        }
        let mut t = TextLadder::new(Vec::new());
        t.record(e);
        let text = String::from_utf8(t.finish().unwrap()).unwrap();
        assert!(text.lines().count() > 1);
        assert!(
            text.lines().all(|l| l.chars().count() <= WIDTH + 1),
            "{text}"
        );
        assert!(
            text.lines()
                .skip(1)
                .all(|l| l.starts_with(&" ".repeat(TITLE_COLUMN)))
        );
    }

    #[test]
    fn json_lines_are_numbered_in_arrival_order() {
        let mut log = Sequenced::new(JsonLines::new(Vec::new()));
        log.record(segment());
        log.record(segment());
        let text = String::from_utf8(log.into_inner().finish().unwrap()).unwrap();
        let seqs: Vec<u64> = text
            .lines()
            .map(|l| serde_json::from_str::<Event>(l).unwrap().seq)
            .collect();
        assert_eq!(seqs, [0, 1]);
    }
}
