//! Classic pcap output (the libpcap file format), one record per IPv4 packet.
//!
//! Link type `LINKTYPE_RAW` (101): each record is a bare IPv4 packet.
//! Timestamps are the simulated clock in microseconds; snaplen 65535.

use std::io::{self, Write};

use tlsim_sim::Instant;

use crate::network::PacketTap;

/// `LINKTYPE_RAW`: raw IPv4/IPv6, no link-layer header.
pub const LINKTYPE_RAW: u32 = 101;
/// Largest number of bytes kept per packet.
pub const SNAPLEN: u32 = 65535;
const MAGIC_MICROSECONDS: u32 = 0xa1b2_c3d4;

/// Writes every packet it is given as a pcap record.
///
/// I/O errors are kept, not raised per packet: the first one stops writing
/// and is returned by [`finish`](Self::finish).
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    error: Option<io::Error>,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header (little-endian, version 2.4) to `out`.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut header = [0u8; 24];
        header[0..4].copy_from_slice(&MAGIC_MICROSECONDS.to_le_bytes());
        header[4..6].copy_from_slice(&2u16.to_le_bytes());
        header[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs stay zero.
        header[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        header[20..24].copy_from_slice(&LINKTYPE_RAW.to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter { out, error: None })
    }

    fn write_record(&mut self, time: Instant, bytes: &[u8]) -> io::Result<()> {
        let micros = time.as_micros();
        let captured = bytes.len().min(SNAPLEN as usize);
        let mut header = [0u8; 16];
        header[0..4].copy_from_slice(&((micros / 1_000_000) as u32).to_le_bytes());
        header[4..8].copy_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
        header[8..12].copy_from_slice(&(captured as u32).to_le_bytes());
        header[12..16].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
        self.out.write_all(&header)?;
        self.out.write_all(&bytes[..captured])
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
        if self.error.is_none() {
            if let Err(e) = self.write_record(time, bytes) {
                self.error = Some(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_header_is_byte_exact() {
        let out = PcapWriter::new(Vec::new()).unwrap().finish().unwrap();
        assert_eq!(
            out,
            [
                0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                0x00, 0x00, 0x65, 0x00, 0x00, 0x00,
            ]
        );
    }

    #[test]
    fn record_has_microsecond_timestamp_and_lengths() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.packet(Instant::from_nanos(1_020_003_999), &[0x45, 0x00, 0x00]);
        let out = w.finish().unwrap();
        assert_eq!(
            &out[24..],
            &[
                1, 0, 0, 0, // 1 s
                0x23, 0x4e, 0, 0, // 20,003 µs
                3, 0, 0, 0, 3, 0, 0, 0, 0x45, 0x00, 0x00,
            ]
        );
    }
}
