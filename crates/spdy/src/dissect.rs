//! How a frame describes itself in the event log: a title and ordered
//! fields named as Wireshark's SPDY dissector names them, each with the span
//! of bytes it came from.
//!
//! Header names and values travel compressed, so they cannot be pointed at
//! in the wire bytes: they carry no span and sit one level below the
//! compressed block they were read from.

use std::borrow::Cow;

use tlsim_sim::Field;

use crate::frame::{ControlType, FRAME_HEADER_LEN, Flags, Frame, SPDY_VERSION};
use crate::headers::HeaderBlock;

impl Frame {
    /// The event title: `"SPDY SYN_STREAM"`, `"SPDY DATA"`, …
    pub fn title(&self) -> &'static str {
        match self {
            Frame::SynStream(_) => "SPDY SYN_STREAM",
            Frame::SynReply(_) => "SPDY SYN_REPLY",
            Frame::RstStream(_) => "SPDY RST_STREAM",
            Frame::Settings(_) => "SPDY SETTINGS",
            Frame::Ping(_) => "SPDY PING",
            Frame::GoAway(_) => "SPDY GOAWAY",
            Frame::Headers(_) => "SPDY HEADERS",
            Frame::WindowUpdate(_) => "SPDY WINDOW_UPDATE",
            Frame::Unknown(u) if u.frame_type == ControlType::CREDENTIAL => "SPDY CREDENTIAL",
            Frame::Unknown(_) => "SPDY Unknown Control Frame",
            Frame::Data(_) => "SPDY DATA",
        }
    }

    /// A sentence for learners: what this frame does and what the peer
    /// will do with it.
    pub fn explain(&self) -> &'static str {
        // Sections of the SPDY/3 draft (draft-mbelshe-httpbis-spdy-00), which
        // SPDY/3.1 keeps but for session flow control.
        match self {
            Frame::SynStream(_) => {
                "SYN_STREAM (SPDY draft-mbelshe-httpbis-spdy-00 §2.6.1): opens a new stream \
                 carrying the request headers, zlib-compressed with the SPDY dictionary \
                 (§2.6.10.1); the peer answers with SYN_REPLY."
            }
            Frame::SynReply(_) => {
                "SYN_REPLY (SPDY draft §2.6.2): accepts the stream and carries the response \
                 headers; the body follows in DATA frames."
            }
            Frame::RstStream(_) => {
                "RST_STREAM (SPDY draft §2.6.3): aborts one stream at once; the rest of the \
                 session carries on."
            }
            Frame::Settings(_) => {
                "SETTINGS (SPDY draft §2.6.4): announces session parameters such as the \
                 flow-control window for new streams."
            }
            Frame::Ping(_) => {
                "PING (SPDY draft §2.6.5): measures the round trip; the peer echoes a PING it \
                 did not send."
            }
            Frame::GoAway(_) => {
                "GOAWAY (SPDY draft §2.6.6): ends the session: no new streams; the peer learns \
                 the last stream that was processed."
            }
            Frame::Headers(_) => {
                "HEADERS (SPDY draft §2.6.7): adds headers to a stream that is already open."
            }
            Frame::WindowUpdate(_) => {
                "WINDOW_UPDATE (SPDY draft §2.6.8): grants flow-control credit: the peer may \
                 send this many more bytes on the stream (or, in SPDY/3.1, on stream 0, on the \
                 whole session)."
            }
            Frame::Unknown(_) => {
                "A control frame of a type this endpoint does not know; SPDY draft §2.2.1 says \
                 to ignore it."
            }
            Frame::Data(_) => {
                "DATA (SPDY draft §2.2.2): response body bytes on a stream; FIN marks the last \
                 of them."
            }
        }
    }

    /// The dissection of this frame, in wire order.
    ///
    /// `wire` is the frame's own encoding (as written by a
    /// [`FrameWriter`](crate::FrameWriter) or read by a
    /// [`FrameReader`](crate::FrameReader)); `base` is where it starts in the
    /// event's bytes, and is added to every span. Spans beyond `wire` are
    /// never produced for well-matched input; mismatched input yields wrong
    /// spans, not a panic.
    pub fn fields(&self, wire: &[u8], base: u32) -> Vec<Field> {
        let mut out = Fields {
            fields: Vec::new(),
            base,
        };
        let end = wire.len();
        let length = end.saturating_sub(FRAME_HEADER_LEN);
        match self.control_type() {
            Some(frame_type) => {
                out.push("Control", "1", 0..1);
                out.push("Version", SPDY_VERSION, 0..2);
                out.push("Type", frame_type, 2..4);
            }
            None => {
                out.push("Control", "0", 0..1);
                out.push("Stream ID", self.stream_id().unwrap_or(0), 0..4);
            }
        }
        out.push("Flags", self.describe_flags(), 4..5);
        out.push("Length", length, 5..8);
        match self {
            Frame::SynStream(f) => {
                out.push("Stream ID", f.stream_id, 8..12);
                out.push("Associated-To-Stream-ID", f.associated_to, 12..16);
                out.push("Priority", f.priority, 16..17);
                out.push("Slot", f.slot, 17..18);
                out.header_block(&f.headers, 18..end);
            }
            Frame::SynReply(f) => {
                out.push("Stream ID", f.stream_id, 8..12);
                out.header_block(&f.headers, 12..end);
            }
            Frame::Headers(f) => {
                out.push("Stream ID", f.stream_id, 8..12);
                out.header_block(&f.headers, 12..end);
            }
            Frame::RstStream(f) => {
                out.push("Stream ID", f.stream_id, 8..12);
                out.push("Status", f.status, 12..16);
            }
            Frame::Settings(f) => {
                out.push("Number of entries", f.entries.len(), 8..12);
                for (i, entry) in f.entries.iter().enumerate() {
                    let at = 12 + 8 * i;
                    let flags = match entry.flags.0 {
                        0 => String::new(),
                        1 => " (persist value)".into(),
                        2 => " (persisted)".into(),
                        n => format!(" (flags {n:#04x})"),
                    };
                    out.push(
                        "Setting",
                        format!("{} = {}{flags}", entry.id, entry.value),
                        at..at + 8,
                    );
                }
            }
            Frame::Ping(f) => out.push("ID", f.id, 8..12),
            Frame::GoAway(f) => {
                out.push("Last-good-stream-ID", f.last_good_stream_id, 8..12);
                out.push("Status", f.status, 12..16);
            }
            Frame::WindowUpdate(f) => {
                out.push("Stream ID", f.stream_id, 8..12);
                out.push("Delta Window Size", f.delta, 12..16);
            }
            Frame::Unknown(f) => {
                out.push("Payload", format!("{} bytes", f.payload.len()), 8..end);
            }
            Frame::Data(f) => {
                out.push("Data", format!("{} bytes", f.payload.len()), 8..end);
            }
        }
        out.fields
    }

    /// `0x01 (FIN)`, `0x00`, `0x03 (FIN, UNIDIRECTIONAL)`, with the names
    /// this frame type gives its bits.
    fn describe_flags(&self) -> String {
        let flags = self.flags();
        let names: &[(Flags, &str)] = match self {
            Frame::SynStream(_) => &[
                (Flags::FIN, "FIN"),
                (Flags::UNIDIRECTIONAL, "UNIDIRECTIONAL"),
            ],
            Frame::SynReply(_) | Frame::Headers(_) | Frame::Data(_) => &[(Flags::FIN, "FIN")],
            Frame::Settings(_) => &[(Flags::CLEAR_SETTINGS, "CLEAR_SETTINGS")],
            _ => &[],
        };
        let set: Vec<&str> = names
            .iter()
            .filter(|(bit, _)| flags.contains(*bit))
            .map(|(_, name)| *name)
            .collect();
        if set.is_empty() {
            format!("{:#04x}", flags.0)
        } else {
            format!("{:#04x} ({})", flags.0, set.join(", "))
        }
    }
}

struct Fields {
    fields: Vec<Field>,
    base: u32,
}

impl Fields {
    fn push(&mut self, name: &'static str, value: impl ToString, span: core::ops::Range<usize>) {
        self.push_at(name, value.to_string(), 0, Some(span));
    }

    fn push_at(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        value: String,
        depth: u8,
        span: Option<core::ops::Range<usize>>,
    ) {
        let span = span.map(|r| {
            let at = |i: usize| {
                self.base
                    .saturating_add(u32::try_from(i).unwrap_or(u32::MAX))
            };
            [at(r.start), at(r.end.max(r.start))]
        });
        self.fields.push(Field {
            name: name.into(),
            value,
            depth,
            span,
        });
    }

    fn header_block(&mut self, block: &HeaderBlock, span: core::ops::Range<usize>) {
        let compressed = span.end.saturating_sub(span.start);
        self.push_at(
            "Name/Value Header Block",
            format!("{} headers, {compressed} bytes compressed", block.len()),
            0,
            Some(span),
        );
        for header in block.headers() {
            self.push_at(
                "Header",
                format!("{}: {}", header.name(), header.display_value()),
                1,
                None,
            );
        }
    }
}
