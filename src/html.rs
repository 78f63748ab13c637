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

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};

use tlsim_sim::{Event, Kind};

use crate::output::summary;

const STYLE: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// What the page's script reads: the events, and for each the index of its
/// matching receipt or send (`-1` when there is none) and its one-line summary.
struct PageData<'a> {
    events: &'a [Event],
    recv: Vec<i64>,
    send_of: Vec<i64>,
    summary: Vec<String>,
}

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

/// JSON that can sit inside a `<script>` element: `<`, `>` and `&` only
/// occur inside JSON strings, where `\u003c` and friends mean the same.
fn script_safe_json(data: &PageData<'_>) -> io::Result<String> {
    let json = format!(
        r#"{{"events":{},"recv":{},"sendOf":{},"summary":{}}}"#,
        serde_json::to_string(data.events)?,
        serde_json::to_string(&data.recv)?,
        serde_json::to_string(&data.send_of)?,
        serde_json::to_string(&data.summary)?,
    );
    Ok(json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

fn escape_html(text: &str) -> String {
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

/// Writes `events` as one self-contained HTML page titled `title`.
pub fn render_html(title: &str, events: &[Event], out: &mut impl Write) -> io::Result<()> {
    let (recv, send_of) = match_messages(events);
    let data = PageData {
        events,
        recv,
        send_of,
        summary: events.iter().map(summary).collect(),
    };
    let json = script_safe_json(&data)?;
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
{STYLE}</style>
</head>
<body>
<header><h1>{title}</h1><span>{count} events</span><span id="filters">Layers:</span><pre id="errors"></pre></header>
<div id="main">
<div id="diagram"><div id="actors"></div><svg id="ladder" xmlns="http://www.w3.org/2000/svg"><g id="lifelines"></g><g id="times"></g><g id="items"></g></svg></div>
<aside id="panel"><p>Click a message or an action to see its fields, bytes and explanation.</p></aside>
</div>
<script type="application/json" id="log">{json}</script>
<script>
{SCRIPT}</script>
</body>
</html>
"#,
        count = events.len(),
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
        let data = PageData {
            events: &events,
            recv: vec![-1],
            send_of: vec![-1],
            summary: vec![String::new()],
        };
        let json = script_safe_json(&data).unwrap();
        assert!(!json.contains('<'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["events"][0]["title"], "</script><b>");
    }
}
