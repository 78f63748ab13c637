//! IPv4 and TCP wire parsing. Checksums are filled in first, so that
//! mutated packets reach the parsers; then a parsed header emits to bytes
//! that parse back to the same header, for both layers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsim_net::wire::{ipv4, tcp};

fuzz_target!(|input: &[u8]| {
    let mut bytes = input.to_vec();
    let Ok(mut packet) = ipv4::Packet::new_checked(&mut bytes[..]) else {
        return;
    };
    packet.fill_checksum();
    let Ok(ip) = ipv4::Repr::parse(&packet) else {
        return;
    };
    let mut emitted = vec![0; ip.buffer_len() + ip.payload_len];
    ip.emit(&mut emitted);
    let reparsed = ipv4::Packet::new_checked(&emitted[..]).expect("emitted IPv4 is whole");
    assert_eq!(ipv4::Repr::parse(&reparsed), Ok(ip));

    let mut segment = packet.payload().to_vec();
    let Ok(mut tcp_packet) = tcp::Packet::new_checked(&mut segment[..]) else {
        return;
    };
    tcp_packet.fill_checksum(ip.src_addr, ip.dst_addr);
    let tcp_packet = tcp::Packet::new_checked(&segment[..]).expect("checked above");
    let Ok(repr) = tcp::Repr::parse(&tcp_packet, ip.src_addr, ip.dst_addr) else {
        return;
    };
    let mut emitted = vec![0; repr.buffer_len()];
    repr.emit(&mut emitted, ip.src_addr, ip.dst_addr);
    let reparsed = tcp::Packet::new_checked(&emitted[..]).expect("emitted TCP is whole");
    assert_eq!(
        tcp::Repr::parse(&reparsed, ip.src_addr, ip.dst_addr),
        Ok(repr)
    );
});
