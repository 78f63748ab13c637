//! Measures the network's speed in release mode:
//! `cargo run --release -p tlsim-net --example throughput`.
//!
//! 1. A 100 MB bulk transfer over a 100 Mbit/s, 10 ms link: delivered
//!    segments per wall-clock second.
//! 2. Short connections (handshake, 16 KiB, close) to one server, one after
//!    another: wall time per connection at 1,000, 10,000 and 100,000.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Instant as WallClock;

use tlsim_net::{LinkConditions, Network, NoTap, SocketEvent, TcpConfig};
use tlsim_sim::{Duration, Instant, NullTracer};

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

fn setup() -> (Network, tlsim_net::HostId) {
    let mut net = Network::new(1);
    let c = net.add_host("client", Ipv4Addr::new(10, 0, 0, 1));
    let s = net.add_host("server", SERVER);
    let link = LinkConditions {
        latency: Duration::from_millis(10),
        bandwidth_bps: Some(100_000_000),
        ..LinkConditions::default()
    };
    net.add_link(c, s, link, link);
    net.listen(s, 80, TcpConfig::default()).unwrap();
    (net, c)
}

fn bulk() {
    let (mut net, c) = setup();
    let total = 100_000_000usize;
    let chunk = vec![0x42u8; 1 << 20];
    let client = net
        .connect(
            Instant::ZERO,
            c,
            SocketAddrV4::new(SERVER, 80),
            TcpConfig::default(),
            &mut NullTracer,
        )
        .unwrap();
    let (mut sent, mut received) = (0usize, 0usize);
    let mut sink = Vec::with_capacity(1 << 17);
    let started = WallClock::now();
    let mut now = Instant::ZERO;
    while let Some(t) = net.next_wakeup() {
        now = t;
        net.advance(t, &mut NullTracer, &mut NoTap);
        while let Some(ev) = net.poll_event() {
            if let SocketEvent::Readable(s) = ev {
                sink.clear();
                received += net.recv(s, &mut sink);
            }
        }
        if sent < total {
            let n = chunk.len().min(total - sent);
            sent += net.send(t, client, &chunk[..n], &mut NullTracer);
        } else if received == total {
            break;
        }
    }
    let wall = started.elapsed();
    let segments = net.stats(client).segments_sent;
    println!(
        "bulk: {received} bytes, {segments} data segments, {:.3} s simulated, {:.3} s wall, {:.0} segments/s, {:.0} simulated Mbit/s",
        now.as_nanos() as f64 / 1e9,
        wall.as_secs_f64(),
        segments as f64 / wall.as_secs_f64(),
        received as f64 * 8.0 / (now.as_nanos() as f64 / 1e9) / 1e6,
    );
}

fn short_connections(count: usize) {
    let (mut net, c) = setup();
    let payload = vec![0x17u8; 16 * 1024];
    let mut sink = Vec::new();
    let started = WallClock::now();
    let mut now = Instant::ZERO;
    for _ in 0..count {
        let client = net
            .connect(
                now,
                c,
                SocketAddrV4::new(SERVER, 80),
                TcpConfig::default(),
                &mut NullTracer,
            )
            .unwrap();
        let mut server = None;
        let mut done = false;
        while let Some(t) = net.next_wakeup() {
            now = t;
            net.advance(t, &mut NullTracer, &mut NoTap);
            while let Some(ev) = net.poll_event() {
                match ev {
                    SocketEvent::Connected(s) => {
                        net.send(t, s, &payload, &mut NullTracer);
                        net.close(t, s, &mut NullTracer);
                    }
                    SocketEvent::Accepted { socket, .. } => server = Some(socket),
                    SocketEvent::Readable(s) => {
                        sink.clear();
                        net.recv(s, &mut sink);
                    }
                    SocketEvent::PeerClosed(s) if Some(s) == server => {
                        net.close(t, s, &mut NullTracer)
                    }
                    SocketEvent::Closed(s) if Some(s) == server => done = true,
                    _ => {}
                }
            }
            if done {
                break;
            }
        }
        let _ = client;
    }
    let wall = started.elapsed();
    println!(
        "short connections: {count}, {:.2} µs wall each, {} sockets live (TIME-WAIT), {:.1} s simulated",
        wall.as_secs_f64() * 1e6 / count as f64,
        net.live_sockets(),
        now.as_nanos() as f64 / 1e9,
    );
}

fn main() {
    bulk();
    for count in [1_000, 10_000, 100_000] {
        short_connections(count);
    }
}
