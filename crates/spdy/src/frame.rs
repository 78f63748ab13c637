//! Typed SPDY/3.1 frames and their code points.
//!
//! Read first: SPDY/3 §2.2 (framing) and §2.6 (control frames); SPDY/3.1
//! changes only flow control (session-level WINDOW_UPDATE on stream 0).
//!
//! ```text
//! Control frame                          Data frame
//! +----------------------------------+   +----------------------------------+
//! |C=1| Version(15) |    Type(16)    |   |C=0|       Stream-ID (31)         |
//! +----------------------------------+   +----------------------------------+
//! | Flags (8)  |   Length (24)       |   | Flags (8)  |   Length (24)       |
//! +----------------------------------+   +----------------------------------+
//! |              Data                |   |              Data                |
//! ```
//!
//! Encoding and decoding live in [`codec`](crate::codec), because header
//! blocks need the session's compression contexts.

use core::fmt;

use crate::headers::HeaderBlock;

/// The only control frame version this crate speaks (SPDY/3 §2.2.1).
pub const SPDY_VERSION: u16 = 3;

/// The size of every frame header, control or data (SPDY/3 §2.2).
pub const FRAME_HEADER_LEN: usize = 8;

/// The largest value of the 24-bit length field (SPDY/3 §2.2.1).
pub const MAX_FRAME_PAYLOAD_LEN: usize = (1 << 24) - 1;

/// The largest 31-bit identifier (stream IDs, window deltas).
pub const MAX_STREAM_ID: u32 = 0x7fff_ffff;

macro_rules! code_point {
    (
        $(#[$doc:meta])*
        $name:ident($int:ty) {
            $( $(#[$cdoc:meta])* $konst:ident = $value:expr, )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub $int);

        impl $name {
            $( $(#[$cdoc])* pub const $konst: $name = $name($value); )*

            /// The spec's name for this value, if it has one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some(stringify!($konst)), )*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            /// `NAME (n)`, or `Unknown (n)`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} ({})", self.name().unwrap_or("Unknown"), self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
}

code_point! {
    /// The type of a control frame (SPDY/3 §2.6).
    ControlType(u16) {
        /// Opens a stream (§2.6.1).
        SYN_STREAM = 1,
        /// Accepts a stream (§2.6.2).
        SYN_REPLY = 2,
        /// Aborts a stream (§2.6.3).
        RST_STREAM = 3,
        /// Session parameters (§2.6.4).
        SETTINGS = 4,
        /// Round-trip probe (§2.6.5).
        PING = 6,
        /// Ends the session (§2.6.6).
        GOAWAY = 7,
        /// More headers on a stream (§2.6.7).
        HEADERS = 8,
        /// Flow-control credit (§2.6.8).
        WINDOW_UPDATE = 9,
        /// Client certificate proof (§2.6.9); dropped by SPDY/3.1 and kept
        /// here as an unknown frame.
        CREDENTIAL = 10,
    }
}

code_point! {
    /// Why a stream was reset (SPDY/3 §2.6.3).
    RstStatus(u32) {
        /// A generic error.
        PROTOCOL_ERROR = 1,
        /// A frame for a stream that is not active.
        INVALID_STREAM = 2,
        /// Refused before any processing.
        REFUSED_STREAM = 3,
        /// The recipient does not speak this SPDY version.
        UNSUPPORTED_VERSION = 4,
        /// The creator no longer needs the stream.
        CANCEL = 5,
        /// The implementation failed internally.
        INTERNAL_ERROR = 6,
        /// The peer violated flow control.
        FLOW_CONTROL_ERROR = 7,
        /// A SYN_REPLY for a stream already open.
        STREAM_IN_USE = 8,
        /// Data or SYN_REPLY for a half-closed stream.
        STREAM_ALREADY_CLOSED = 9,
        /// The credential was invalid.
        INVALID_CREDENTIALS = 10,
        /// The frame was too large to process.
        FRAME_TOO_LARGE = 11,
    }
}

code_point! {
    /// Why a session ends (SPDY/3 §2.6.6).
    GoAwayStatus(u32) {
        /// A normal end.
        OK = 0,
        /// The peer broke the protocol.
        PROTOCOL_ERROR = 1,
        /// The implementation failed internally.
        INTERNAL_ERROR = 2,
    }
}

code_point! {
    /// The ID of a SETTINGS entry (SPDY/3 §2.6.4; 24 bits on the wire).
    SettingId(u32) {
        /// Expected upload bandwidth, kbit/s.
        UPLOAD_BANDWIDTH = 1,
        /// Expected download bandwidth, kbit/s.
        DOWNLOAD_BANDWIDTH = 2,
        /// Expected round-trip time, ms.
        ROUND_TRIP_TIME = 3,
        /// Streams the sender allows the peer to open.
        MAX_CONCURRENT_STREAMS = 4,
        /// TCP congestion window, packets.
        CURRENT_CWND = 5,
        /// Download retransmission rate, percent.
        DOWNLOAD_RETRANS_RATE = 6,
        /// Initial flow-control window of new streams, bytes.
        INITIAL_WINDOW_SIZE = 7,
        /// Client certificate slots.
        CLIENT_CERTIFICATE_VECTOR_SIZE = 8,
    }
}

/// The flags byte of a frame. Which bits mean what depends on the frame
/// type; unknown bits are kept so that frames round-trip.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u8);

impl Flags {
    /// No flag.
    pub const NONE: Flags = Flags(0);
    /// FLAG_FIN: the sender's last frame on this stream (SYN_STREAM,
    /// SYN_REPLY, HEADERS, DATA).
    pub const FIN: Flags = Flags(0x01);
    /// FLAG_UNIDIRECTIONAL: the recipient may not reply (SYN_STREAM).
    pub const UNIDIRECTIONAL: Flags = Flags(0x02);
    /// FLAG_SETTINGS_CLEAR_SETTINGS: forget persisted settings (SETTINGS).
    pub const CLEAR_SETTINGS: Flags = Flags(0x01);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// The flags of one SETTINGS entry (SPDY/3 §2.6.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SettingFlags(pub u8);

impl SettingFlags {
    /// FLAG_SETTINGS_PERSIST_VALUE: the recipient should remember the value.
    pub const PERSIST_VALUE: SettingFlags = SettingFlags(0x01);
    /// FLAG_SETTINGS_PERSISTED: a value the sender was asked to remember.
    pub const PERSISTED: SettingFlags = SettingFlags(0x02);
}

/// SYN_STREAM (SPDY/3 §2.6.1): opens a stream and carries its request
/// headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynStream {
    /// FIN, UNIDIRECTIONAL.
    pub flags: Flags,
    /// The new stream's ID (31 bits; odd from clients).
    pub stream_id: u32,
    /// The stream this one is pushed for, or 0 (31 bits).
    pub associated_to: u32,
    /// 0 (highest) to 7 (lowest) (3 bits).
    pub priority: u8,
    /// The client certificate slot, 0 for none.
    pub slot: u8,
    /// The request headers.
    pub headers: HeaderBlock,
}

/// SYN_REPLY (SPDY/3 §2.6.2): accepts a stream and carries the response
/// headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynReply {
    /// FIN.
    pub flags: Flags,
    /// The stream accepted (31 bits).
    pub stream_id: u32,
    /// The response headers.
    pub headers: HeaderBlock,
}

/// RST_STREAM (SPDY/3 §2.6.3): aborts a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RstStream {
    /// None are defined.
    pub flags: Flags,
    /// The stream aborted (31 bits).
    pub stream_id: u32,
    /// Why.
    pub status: RstStatus,
}

/// One SETTINGS entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// PERSIST_VALUE, PERSISTED.
    pub flags: SettingFlags,
    /// Which setting (24 bits).
    pub id: SettingId,
    /// Its value.
    pub value: u32,
}

/// SETTINGS (SPDY/3 §2.6.4): session parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// CLEAR_SETTINGS.
    pub flags: Flags,
    /// The entries, in order.
    pub entries: Vec<Setting>,
}

/// PING (SPDY/3 §2.6.5): the recipient echoes it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ping {
    /// None are defined.
    pub flags: Flags,
    /// Odd from clients, even from servers.
    pub id: u32,
}

/// GOAWAY (SPDY/3 §2.6.6): no new streams; the session is ending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoAway {
    /// None are defined.
    pub flags: Flags,
    /// The last stream the sender accepted from the recipient (31 bits).
    pub last_good_stream_id: u32,
    /// Why.
    pub status: GoAwayStatus,
}

/// HEADERS (SPDY/3 §2.6.7): more headers on an open stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headers {
    /// FIN.
    pub flags: Flags,
    /// The stream (31 bits).
    pub stream_id: u32,
    /// The headers.
    pub headers: HeaderBlock,
}

/// WINDOW_UPDATE (SPDY/3.1 §2.6.8): flow-control credit for a stream, or
/// for the whole session when `stream_id` is 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowUpdate {
    /// None are defined.
    pub flags: Flags,
    /// The stream, or 0 for the session (31 bits).
    pub stream_id: u32,
    /// Bytes of credit added, 1 to 2^31-1 (31 bits).
    pub delta: u32,
}

/// A control frame of a type this crate does not interpret, kept as-is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownControl {
    /// The type.
    pub frame_type: ControlType,
    /// The flags.
    pub flags: Flags,
    /// The payload after the 8-byte header.
    pub payload: Vec<u8>,
}

/// A DATA frame (SPDY/3 §2.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Data {
    /// FIN.
    pub flags: Flags,
    /// The stream (31 bits).
    pub stream_id: u32,
    /// The payload.
    pub payload: Vec<u8>,
}

/// Any SPDY frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// SYN_STREAM.
    SynStream(SynStream),
    /// SYN_REPLY.
    SynReply(SynReply),
    /// RST_STREAM.
    RstStream(RstStream),
    /// SETTINGS.
    Settings(Settings),
    /// PING.
    Ping(Ping),
    /// GOAWAY.
    GoAway(GoAway),
    /// HEADERS.
    Headers(Headers),
    /// WINDOW_UPDATE.
    WindowUpdate(WindowUpdate),
    /// A control frame of another type.
    Unknown(UnknownControl),
    /// DATA.
    Data(Data),
}

impl Frame {
    /// The name/value header block of a SYN_STREAM, SYN_REPLY or HEADERS.
    pub fn header_block(&self) -> Option<&HeaderBlock> {
        match self {
            Frame::SynStream(f) => Some(&f.headers),
            Frame::SynReply(f) => Some(&f.headers),
            Frame::Headers(f) => Some(&f.headers),
            _ => None,
        }
    }

    /// The control frame type, or `None` for DATA.
    pub fn control_type(&self) -> Option<ControlType> {
        Some(match self {
            Frame::SynStream(_) => ControlType::SYN_STREAM,
            Frame::SynReply(_) => ControlType::SYN_REPLY,
            Frame::RstStream(_) => ControlType::RST_STREAM,
            Frame::Settings(_) => ControlType::SETTINGS,
            Frame::Ping(_) => ControlType::PING,
            Frame::GoAway(_) => ControlType::GOAWAY,
            Frame::Headers(_) => ControlType::HEADERS,
            Frame::WindowUpdate(_) => ControlType::WINDOW_UPDATE,
            Frame::Unknown(u) => u.frame_type,
            Frame::Data(_) => return None,
        })
    }

    /// The flags byte.
    pub fn flags(&self) -> Flags {
        match self {
            Frame::SynStream(f) => f.flags,
            Frame::SynReply(f) => f.flags,
            Frame::RstStream(f) => f.flags,
            Frame::Settings(f) => f.flags,
            Frame::Ping(f) => f.flags,
            Frame::GoAway(f) => f.flags,
            Frame::Headers(f) => f.flags,
            Frame::WindowUpdate(f) => f.flags,
            Frame::Unknown(f) => f.flags,
            Frame::Data(f) => f.flags,
        }
    }

    /// The stream the frame belongs to, for frames that name one.
    pub fn stream_id(&self) -> Option<u32> {
        match self {
            Frame::SynStream(f) => Some(f.stream_id),
            Frame::SynReply(f) => Some(f.stream_id),
            Frame::RstStream(f) => Some(f.stream_id),
            Frame::Headers(f) => Some(f.stream_id),
            Frame::WindowUpdate(f) => Some(f.stream_id),
            Frame::Data(f) => Some(f.stream_id),
            Frame::Settings(_) | Frame::Ping(_) | Frame::GoAway(_) | Frame::Unknown(_) => None,
        }
    }

    /// Whether FLAG_FIN is set on a frame type that defines it.
    pub fn is_fin(&self) -> bool {
        matches!(
            self,
            Frame::SynStream(_) | Frame::SynReply(_) | Frame::Headers(_) | Frame::Data(_)
        ) && self.flags().contains(Flags::FIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_display_name_and_number() {
        assert_eq!(ControlType::SYN_STREAM.to_string(), "SYN_STREAM (1)");
        assert_eq!(ControlType(5).to_string(), "Unknown (5)");
        assert_eq!(RstStatus::CANCEL.to_string(), "CANCEL (5)");
        assert_eq!(GoAwayStatus::OK.to_string(), "OK (0)");
        assert_eq!(
            SettingId::INITIAL_WINDOW_SIZE.to_string(),
            "INITIAL_WINDOW_SIZE (7)"
        );
    }

    #[test]
    fn fin_applies_only_to_stream_frames() {
        let data = Frame::Data(Data {
            flags: Flags::FIN,
            stream_id: 1,
            payload: vec![],
        });
        assert!(data.is_fin());
        let settings = Frame::Settings(Settings {
            flags: Flags::CLEAR_SETTINGS,
            entries: vec![],
        });
        assert!(!settings.is_fin());
    }
}
