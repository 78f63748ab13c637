//! The event log as one self-contained HTML page: a ladder diagram drawn in
//! SVG, with a side panel that shows a clicked event's fields and its bytes
//! as an annotated hex dump.
//!
//! The page needs no network: its style and script are inlined, and the
//! events are embedded as JSON in a `<script type="application/json">`. The
//! script draws only the rows near the scroll position, so logs of
//! thousands of events stay responsive. Each row and the side panel show
//! the event's number `#N`, its `seq`, as every other view numbers it;
//! opening the page at `#select=N` shows that event at once.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{self, Write};

use tlsim_sim::{Event, Kind, Layer};

use crate::output::summary;

const STYLE: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// Pairs each `recv` with the earliest unmatched `send` of the same title
/// on the same connection, sent by its peer to it: the arrow of a message
/// runs from the time it left to the time it arrived. Returns, per event,
/// the index of its partner or -1.
fn match_messages(events: &[Event]) -> (Vec<i64>, Vec<i64>) {
    let mut recv = vec![-1; events.len()];
    let mut send_of = vec![-1; events.len()];
    // Keyed by (sender, receiver, connection, title); only looked up, never
    // iterated, so the order of the map does not reach the output.
    let mut pending: BTreeMap<(&str, &str, Option<u32>, &str), VecDeque<usize>> = BTreeMap::new();
    for (index, event) in events.iter().enumerate() {
        let Some(peer) = event.peer.as_deref() else {
            continue;
        };
        match event.kind {
            Kind::Send => pending
                .entry((&event.actor, peer, event.conn, &event.title))
                .or_default()
                .push_back(index),
            Kind::Recv => {
                let key = (peer, event.actor.as_str(), event.conn, &*event.title);
                if let Some(send) = pending.get_mut(&key).and_then(VecDeque::pop_front) {
                    recv[send] = index as i64;
                    send_of[index] = send as i64;
                }
            }
            _ => {}
        }
    }
    (recv, send_of)
}

/// What one end has sent over TLS on one connection: the bytes in order,
/// and where each TLS send event's bytes start in them.
#[derive(Default)]
struct TlsStream {
    bytes: Vec<u8>,
    starts: Vec<(usize, usize)>,
}

impl TlsStream {
    fn push(&mut self, index: usize, bytes: &[u8]) {
        self.starts.push((self.bytes.len(), index));
        self.bytes.extend_from_slice(bytes);
    }

    /// Where `part` sits in the stream if it is there at `offset`, as the
    /// positions in `starts` of the sends it overlaps.
    fn sends_at(&self, offset: usize, part: &[u8]) -> Option<std::ops::Range<usize>> {
        if part.is_empty() || self.bytes.get(offset..offset + part.len()) != Some(part) {
            return None;
        }
        let first = self.starts.partition_point(|&(start, _)| start <= offset) - 1;
        let end = self
            .starts
            .partition_point(|&(start, _)| start < offset + part.len());
        Some(first..end)
    }
}

/// Matches TLS receipts to sends by their bytes, where the titles cannot:
/// a flight sent as one event may arrive as several (one a record, as TCP
/// delivers them), and several sends may arrive as one. Each send's arrow
/// then ends at the receipt that completes it, and every receipt of its
/// bytes shows as a dot on that arrow. Receipts whose bytes are not the
/// sender's (a tampered record) keep the match by title.
fn match_tls_by_bytes(events: &[Event], recv: &mut [i64], send_of: &mut [i64]) {
    // Keyed by (sender, receiver, connection); looked up only, never iterated.
    let mut sent: HashMap<(&str, &str, u32), TlsStream> = HashMap::new();
    let mut received: HashMap<(&str, &str, u32), usize> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        let (Layer::Tls, Some(conn), Some(peer), Some(bytes)) =
            (event.layer, event.conn, event.peer.as_deref(), &event.bytes)
        else {
            continue;
        };
        match event.kind {
            Kind::Send => sent
                .entry((&event.actor, peer, conn))
                .or_default()
                .push(index, bytes),
            Kind::Recv => {
                let offset = received.entry((peer, &event.actor, conn)).or_default();
                let at = *offset;
                *offset += bytes.len();
                let Some(stream) = sent.get(&(peer, event.actor.as_str(), conn)) else {
                    continue;
                };
                let Some(sends) = stream.sends_at(at, bytes) else {
                    continue;
                };
                send_of[index] = stream.starts[sends.start].1 as i64;
                for &(_, send) in &stream.starts[sends] {
                    recv[send] = index as i64;
                }
            }
            _ => {}
        }
    }
}

/// For each TCP segment (and its receipt) whose payload is bytes of a TLS
/// send event, the index of that event, else -1: the page draws one arrow
/// per TLS record and folds the segments that carry it under that arrow.
/// A segment whose payload spans several sends folds under the one its
/// first byte belongs to. SYN, FIN and RST segments stay on their own: the
/// flag is the news. The payload is compared with the TLS bytes, so a
/// segment is folded only under the bytes it really carries.
fn fold_segments(events: &[Event], recv_of: &[i64]) -> Vec<i64> {
    let mut under = vec![-1; events.len()];
    // Looked up only, never iterated.
    let mut streams: HashMap<(&str, u32), TlsStream> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        let (Some(conn), Some(bytes), Kind::Send) = (event.conn, &event.bytes, event.kind) else {
            continue;
        };
        let key = (event.actor.as_str(), conn);
        match event.layer {
            Layer::Tls => streams.entry(key).or_default().push(index, bytes),
            Layer::Tcp
                if !["SYN", "FIN", "RST"]
                    .iter()
                    .any(|f| event.title.contains(f)) =>
            {
                let number = |name| event.field_value(name)?.parse::<usize>().ok();
                let (Some(seq), Some(len), Some(stream)) =
                    (number("Seq"), number("Len"), streams.get(&key))
                else {
                    continue;
                };
                // RFC 9293 §3.4: the SYN takes relative sequence number 0,
                // so the first data byte is 1.
                let Some(offset) = seq.checked_sub(1) else {
                    continue;
                };
                let payload = &bytes[bytes.len().saturating_sub(len)..];
                let Some(sends) = stream.sends_at(offset, payload) else {
                    continue;
                };
                let record = stream.starts[sends.start].1 as i64;
                under[index] = record;
                if let Ok(receipt) = usize::try_from(recv_of[index]) {
                    under[receipt] = record;
                }
            }
            _ => {}
        }
    }
    under
}

/// Gives each distinct string one number, in order of first appearance.
#[derive(Default)]
struct Interner<'a> {
    /// Looked up only, never iterated: the numbers follow `strings`.
    index: HashMap<&'a str, usize>,
    strings: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    fn intern(&mut self, text: &'a str) -> usize {
        *self.index.entry(text).or_insert_with(|| {
            self.strings.push(text);
            self.strings.len() - 1
        })
    }

    /// The number of `text`, or -1 for none.
    fn intern_optional(&mut self, text: Option<&'a str>) -> i64 {
        text.map_or(-1, |text| self.intern(text) as i64)
    }
}

/// The events as the page's script reads them, compact so that a run of
/// 100,000 events is parsed once and quickly: every string (title, actor,
/// field name and value, explanation) and every distinct byte string is
/// stored once and referred to by its number, so a receipt does not repeat
/// the bytes of its send; the field tree's shape (names, depths, spans) is
/// shared by the events that have it, each keeping only its values. Each
/// event is `[seq, t_ns, actor, peer, conn, kind, layer, title, summary,
/// explain, bytes, shape, [values], recv, sendOf, under]`, -1 for none.
fn page_json(events: &[Event], connections: &[&str]) -> io::Result<String> {
    let (mut recv, mut send_of) = match_messages(events);
    let under = fold_segments(events, &recv);
    match_tls_by_bytes(events, &mut recv, &mut send_of);
    let summaries: Vec<String> = events.iter().map(summary).collect();
    let mut strings = Interner::default();
    let mut byte_strings: Vec<&[u8]> = Vec::new();
    // Looked up only, never iterated: the numbers follow `byte_strings`.
    let mut byte_index: HashMap<&[u8], usize> = HashMap::new();
    let mut shapes = Interner::default();
    let mut shape_texts: Vec<String> = Vec::with_capacity(events.len());
    for event in events {
        let mut shape = String::from("[");
        for (n, f) in event.fields.iter().enumerate() {
            let [start, end] = f
                .span
                .map_or([-1, -1], |[s, e]| [i64::from(s), i64::from(e)]);
            let comma = if n == 0 { "" } else { "," };
            let name = strings.intern(&f.name);
            let _ = write!(shape, "{comma}{name},{},{start},{end}", f.depth);
        }
        shape.push(']');
        shape_texts.push(shape);
    }
    let mut rows = String::new();
    for (i, event) in events.iter().enumerate() {
        let shape = if event.fields.is_empty() {
            -1
        } else {
            shapes.intern(&shape_texts[i]) as i64
        };
        let actor = strings.intern(&event.actor);
        let peer = strings.intern_optional(event.peer.as_deref());
        let kind = strings.intern(event.kind.as_str());
        let layer = strings.intern(event.layer.as_str());
        let title = strings.intern(&event.title);
        let line = strings.intern_optional(Some(summaries[i].as_str()).filter(|s| !s.is_empty()));
        let explain = strings.intern_optional(event.explain.as_deref());
        let bytes = event.bytes.as_deref().map_or(-1, |b| {
            *byte_index.entry(b).or_insert_with(|| {
                byte_strings.push(b);
                byte_strings.len() - 1
            }) as i64
        });
        let values: Vec<String> = (event.fields.iter())
            .map(|f| strings.intern(&f.value).to_string())
            .collect();
        let conn = event.conn.map_or(-1, i64::from);
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(
            rows,
            "{comma}[{},{},{actor},{peer},{conn},{kind},{layer},{title},{line},{explain},{bytes},{shape},[{}],{},{},{}]",
            event.seq,
            event.time.as_nanos(),
            values.join(","),
            recv[i],
            send_of[i],
            under[i],
        );
    }
    let hex: Vec<String> = byte_strings.iter().map(hex::encode).collect();
    let json = format!(
        r#"{{"strings":{},"bytes":{},"shapes":[{}],"connections":{},"events":[{rows}]}}"#,
        serde_json::to_string(&strings.strings)?,
        serde_json::to_string(&hex)?,
        shapes.strings.join(","),
        serde_json::to_string(connections)?,
    );
    // `<`, `>` and `&` only occur inside JSON strings, where `\u003c` and
    // friends mean the same, so the JSON cannot close its `<script>`.
    Ok(json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes `events` as one self-contained HTML page titled `title`;
/// `connections` are the run's connection names in the order they were
/// opened (which numbers them from 1 in the log), for the page's filter.
pub fn render_html(
    title: &str,
    events: &[Event],
    connections: &[&str],
    out: &mut impl Write,
) -> io::Result<()> {
    let json = page_json(events, connections)?;
    let heading = escape_html(title);
    let body = format!(
        r#"<header><h1>{heading}</h1><span id="count">{count} events</span><span id="filters">Layers:</span><label>Connection: <select id="conn"><option value="">all</option></select></label><input id="search" type="search" placeholder="Search titles and fields (/)" size="28"><label title="Show the TCP segments that carry each TLS record as arrows of their own"><input type="checkbox" id="unfold"> TCP segments</label><span id="current"></span><pre id="errors"></pre></header>
<div id="main">
<div id="diagram"><div id="actors"></div><svg id="ladder" xmlns="http://www.w3.org/2000/svg"><g id="lifelines"></g><g id="times"></g><g id="items"></g></svg></div>
<aside id="panel"><p>Click a message or an action to see its fields, bytes and explanation; n and p step through the events.</p></aside>
</div>
<script type="application/json" id="log">{json}</script>
"#,
        count = events.len(),
    );
    write_page(out, title, STYLE, &body, SCRIPT)
}

/// Writes one self-contained page: its `title` (escaped here), `style`,
/// `body` markup, and `script` last, so that it runs on the whole body.
pub(crate) fn write_page(
    out: &mut impl Write,
    title: &str,
    style: &str,
    body: &str,
    script: &str,
) -> io::Result<()> {
    let title = escape_html(title);
    write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}</style>
</head>
<body>
{body}<script>
{script}</script>
</body>
</html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlsim_sim::{Instant, Layer};

    fn message(kind: Kind, actor: &str, peer: &str, title: &'static str) -> Event {
        Event::new(Instant::ZERO, actor, kind, Layer::Tcp, title).peer(peer)
    }

    #[test]
    fn receipts_match_the_earliest_unmatched_send_of_the_same_message() {
        let events = [
            message(Kind::Send, "client", "server", "TCP ACK"),
            message(Kind::Send, "client", "server", "TCP ACK"),
            message(Kind::Send, "server", "client", "TCP ACK"),
            message(Kind::Recv, "server", "client", "TCP ACK"),
            message(Kind::Recv, "client", "server", "TCP ACK"),
            message(Kind::Recv, "client", "server", "TCP FIN"),
        ];
        let (recv, send_of) = match_messages(&events);
        assert_eq!(recv, [3, -1, 4, -1, -1, -1]);
        assert_eq!(send_of, [-1, -1, -1, 0, 2, -1]);
    }

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let events = [Event::new(
            Instant::ZERO,
            "client",
            Kind::Action,
            Layer::Tls,
            "</script><b>",
        )];
        let json = page_json(&events, &[]).unwrap();
        assert!(!json.contains('<'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        let title = back["events"][0][7].as_u64().unwrap() as usize;
        assert_eq!(back["strings"][title], "</script><b>");
    }

    /// A TCP segment from `actor` on connection 1 with relative sequence
    /// number `seq` and `payload` after a 4-byte stand-in header.
    fn segment(
        kind: Kind,
        actor: &str,
        peer: &str,
        title: &'static str,
        seq: usize,
        payload: &[u8],
    ) -> Event {
        let mut bytes = vec![0x45, 0, 0, 0];
        bytes.extend_from_slice(payload);
        message(kind, actor, peer, title)
            .conn(1)
            .field("Seq", seq)
            .field("Len", payload.len())
            .bytes(bytes)
    }

    fn record(actor: &str, peer: &str, bytes: &[u8]) -> Event {
        Event::new(
            Instant::ZERO,
            actor,
            Kind::Send,
            Layer::Tls,
            "TLS Application Data",
        )
        .peer(peer)
        .conn(1)
        .bytes(bytes.to_vec())
    }

    #[test]
    fn segments_fold_under_the_tls_send_whose_bytes_they_carry() {
        let events = [
            record("client", "server", b"abcdef"),
            record("client", "server", b"gh"),
            segment(Kind::Send, "client", "server", "TCP Segment", 1, b"abcd"),
            segment(Kind::Send, "client", "server", "TCP Segment", 5, b"efgh"),
            segment(Kind::Recv, "server", "client", "TCP Segment", 1, b"abcd"),
            // A retransmission carries the same bytes; a FIN stays on its own;
            // bytes that are not the TLS stream's fold nowhere.
            segment(
                Kind::Send,
                "client",
                "server",
                "TCP Retransmission",
                5,
                b"efgh",
            ),
            segment(Kind::Send, "client", "server", "TCP FIN, ACK", 7, b"gh"),
            segment(Kind::Send, "client", "server", "TCP Segment", 1, b"xxxx"),
            segment(Kind::Send, "server", "client", "TCP Segment", 1, b"ab"),
        ];
        let (recv, _) = match_messages(&events);
        assert_eq!(
            fold_segments(&events, &recv),
            [-1, -1, 0, 0, 0, 0, -1, -1, -1]
        );
    }

    fn tls(kind: Kind, actor: &str, peer: &str, title: &'static str, bytes: &[u8]) -> Event {
        Event::new(Instant::ZERO, actor, kind, Layer::Tls, title)
            .peer(peer)
            .conn(1)
            .bytes(bytes.to_vec())
    }

    #[test]
    fn tls_receipts_match_the_sends_whose_bytes_they_carry() {
        let events = [
            tls(Kind::Send, "server", "client", "TLS A + B", b"abcdef"),
            tls(Kind::Recv, "client", "server", "TLS A", b"abc"),
            tls(Kind::Recv, "client", "server", "TLS B", b"def"),
            tls(Kind::Send, "server", "client", "TLS C", b"gh"),
            tls(Kind::Send, "server", "client", "TLS D", b"ij"),
            tls(Kind::Recv, "client", "server", "TLS C + D", b"ghij"),
            // Changed on the way: matched by title alone.
            tls(Kind::Send, "server", "client", "TLS E", b"kl"),
            tls(Kind::Recv, "client", "server", "TLS E", b"kX"),
        ];
        let (mut recv, mut send_of) = match_messages(&events);
        match_tls_by_bytes(&events, &mut recv, &mut send_of);
        assert_eq!(recv, [2, -1, -1, 5, 5, -1, 7, -1]);
        assert_eq!(send_of, [-1, 0, 0, -1, -1, 3, -1, 6]);
    }

    #[test]
    fn a_receipt_refers_to_the_bytes_of_its_send() {
        let events = [
            segment(Kind::Send, "client", "server", "TCP Segment", 1, b"abcd"),
            segment(Kind::Recv, "server", "client", "TCP Segment", 1, b"abcd"),
            segment(Kind::Send, "client", "server", "TCP Segment", 5, b"efgh"),
        ];
        let json = page_json(&events, &["c1"]).unwrap();
        let page: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            page["bytes"],
            serde_json::json!(["4500000061626364", "4500000065666768"])
        );
        let refs: Vec<u64> = (0..3)
            .map(|i| page["events"][i][10].as_u64().unwrap())
            .collect();
        assert_eq!(refs, [0, 0, 1]);
        // The three share one field shape and keep their own values.
        assert_eq!(page["shapes"].as_array().unwrap().len(), 1);
        assert_eq!(page["connections"], serde_json::json!(["c1"]));
    }
}
