//! Classic pcap output (the libpcap file format), one record per IPv4 packet.
//!
//! Link type `LINKTYPE_RAW` (101): each record is a bare IPv4 packet.
//! Timestamps are the scenario's calendar time (its epoch plus the simulated
//! clock) in microseconds, so Wireshark shows the dates the TLS actors and
//! their certificates see; snaplen 65535.

use std::io::{self, Write};

use tlsim_sim::Instant;

use crate::network::PacketTap;

/// `LINKTYPE_RAW`: raw IPv4/IPv6, no link-layer header.
pub const LINKTYPE_RAW: u32 = 101;
/// Largest number of bytes kept per packet.
pub const SNAPLEN: u32 = 65535;
const MAGIC_MICROSECONDS: u32 = 0xa1b2_c3d4;

/// Where on its path a packet is captured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CapturePoint {
    /// As its sender built it, when it enters the link: every packet sent,
    /// including those the link then loses, as it was before any fault.
    #[default]
    Sender,
    /// As it reached the receiver, when it leaves the link: lost packets are
    /// missing, duplicates appear twice, a tampered or corrupted packet shows
    /// what was done to it.
    Receiver,
}

/// Writes every packet it is given as a pcap record.
///
/// I/O errors are kept, not raised per packet: the first one stops writing
/// and is returned by [`finish`](Self::finish).
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    error: Option<io::Error>,
    epoch_unix: u64,
    point: CapturePoint,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header (little-endian, version 2.4) to `out`. Each
    /// record is stamped `epoch_unix` (seconds since 1970-01-01 UTC at
    /// simulated time zero) plus its simulated time, and is taken at `point`.
    pub fn new(mut out: W, epoch_unix: u64, point: CapturePoint) -> io::Result<Self> {
        let mut header = [0u8; 24];
        header[0..4].copy_from_slice(&MAGIC_MICROSECONDS.to_le_bytes());
        header[4..6].copy_from_slice(&2u16.to_le_bytes());
        header[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs stay zero: timestamps are UTC.
        header[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        header[20..24].copy_from_slice(&LINKTYPE_RAW.to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter {
            out,
            error: None,
            epoch_unix,
            point,
        })
    }

    fn write_record(&mut self, time: Instant, bytes: &[u8]) -> io::Result<()> {
        let micros = time.as_micros();
        // The classic format counts seconds in 32 bits: past 2106 it stays at the last one.
        let seconds =
            u32::try_from(self.epoch_unix.saturating_add(micros / 1_000_000)).unwrap_or(u32::MAX);
        let captured = bytes.len().min(SNAPLEN as usize);
        let mut header = [0u8; 16];
        header[0..4].copy_from_slice(&seconds.to_le_bytes());
        header[4..8].copy_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
        header[8..12].copy_from_slice(&(captured as u32).to_le_bytes());
        header[12..16].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
        self.out.write_all(&header)?;
        self.out.write_all(&bytes[..captured])
    }

    fn capture(&mut self, point: CapturePoint, time: Instant, bytes: &[u8]) {
        if point == self.point && self.error.is_none() {
            if let Err(e) = self.write_record(time, bytes) {
                self.error = Some(e);
            }
        }
    }

    /// Flushes and returns the writer, or the first I/O error met.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> PacketTap for PcapWriter<W> {
    fn packet(&mut self, time: Instant, bytes: &[u8]) {
        self.capture(CapturePoint::Sender, time, bytes);
    }

    fn arrived(&mut self, time: Instant, bytes: &[u8]) {
        self.capture(CapturePoint::Receiver, time, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_header_is_byte_exact() {
        let out = PcapWriter::new(Vec::new(), 0, CapturePoint::Sender)
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(
            out,
            [
                0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                0x00, 0x00, 0x65, 0x00, 0x00, 0x00,
            ]
        );
    }

    #[test]
    fn record_has_microsecond_timestamp_from_the_epoch_and_lengths() {
        // 2013-09-01T12:00:00Z, the documented session's epoch.
        let mut w = PcapWriter::new(Vec::new(), 1_378_036_800, CapturePoint::Sender).unwrap();
        w.packet(Instant::from_nanos(1_020_003_999), &[0x45, 0x00, 0x00]);
        let out = w.finish().unwrap();
        assert_eq!(
            &out[24..],
            &[
                0x41, 0x2c, 0x23, 0x52, // 1,378,036,801 s
                0x23, 0x4e, 0, 0, // 20,003 µs
                3, 0, 0, 0, 3, 0, 0, 0, 0x45, 0x00, 0x00,
            ]
        );
    }

    #[test]
    fn keeps_only_the_packets_seen_at_its_capture_point() {
        for (point, kept) in [(CapturePoint::Sender, 1), (CapturePoint::Receiver, 2)] {
            let mut w = PcapWriter::new(Vec::new(), 0, point).unwrap();
            w.packet(Instant::ZERO, &[1]);
            w.arrived(Instant::ZERO, &[2, 2]);
            let out = w.finish().unwrap();
            assert_eq!(out.len(), 24 + 16 + kept, "{point:?}");
            assert_eq!(out[out.len() - 1], kept as u8, "{point:?}");
        }
    }

    #[test]
    fn seconds_past_the_32_bit_range_stay_at_the_last_one() {
        let mut w = PcapWriter::new(Vec::new(), u64::MAX, CapturePoint::Sender).unwrap();
        w.packet(Instant::from_nanos(5_000_000_000), &[]);
        let out = w.finish().unwrap();
        assert_eq!(&out[24..28], &u32::MAX.to_le_bytes());
    }
}
