//! Two hosts, one link: handshake, transfers, close, faults.

use std::net::{Ipv4Addr, SocketAddrV4};

use tlsim_net::{
    Fault, FaultAction, LinkConditions, Network, NoTap, SegmentFilter, SocketEvent, SocketId,
    State, TcpConfig,
};
use tlsim_sim::{Duration, Event, Instant, Kind, NullTracer, Probability, Tracer};

const CLIENT_ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const SERVER_ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const PORT: u16 = 443;

struct Pair {
    net: Network,
    link: tlsim_net::LinkId,
    client: tlsim_net::HostId,
}

fn pair(seed: u64, conditions: LinkConditions, config: TcpConfig) -> Pair {
    let mut net = Network::new(seed);
    let client = net.add_host("client", CLIENT_ADDR);
    let server = net.add_host("server", SERVER_ADDR);
    let link = net.add_link(client, server, conditions, conditions);
    net.listen(server, PORT, config).unwrap();
    Pair { net, link, client }
}

/// What each end of one connection saw.
#[derive(Default, Debug)]
struct Outcome {
    client: Option<SocketId>,
    server: Option<SocketId>,
    client_got: Vec<u8>,
    server_got: Vec<u8>,
    events: Vec<SocketEvent>,
    end: Instant,
}

/// Opens a connection from the client to the server's port, at time 0.
fn connect(p: &mut Pair, tracer: &mut dyn Tracer) -> SocketId {
    let remote = SocketAddrV4::new(SERVER_ADDR, PORT);
    p.net
        .connect(
            Instant::ZERO,
            p.client,
            remote,
            TcpConfig::default(),
            tracer,
        )
        .unwrap()
}

/// Runs one connection: each side sends its data, closes once all its data
/// is sent and the peer has closed (server) or right after sending (client).
fn run(
    p: &mut Pair,
    to_server: &[u8],
    to_client: &[u8],
    tracer: &mut dyn Tracer,
    limit: usize,
) -> Outcome {
    let mut out = Outcome::default();
    let client = connect(p, tracer);
    out.client = Some(client);
    let (mut c_sent, mut s_sent) = (0usize, 0usize);
    let (mut c_closed, mut s_closed) = (false, false);
    let mut steps = 0;
    while let Some(t) = p.net.next_wakeup() {
        steps += 1;
        assert!(steps < limit, "run did not finish in {limit} steps");
        p.net.advance(t, tracer, &mut NoTap);
        out.end = t;
        while let Some(ev) = p.net.poll_event() {
            out.events.push(ev);
            match ev {
                SocketEvent::Accepted { socket, .. } => out.server = Some(socket),
                SocketEvent::Readable(s) if s == client => {
                    p.net.recv(s, &mut out.client_got);
                }
                SocketEvent::Readable(s) => {
                    p.net.recv(s, &mut out.server_got);
                }
                _ => {}
            }
        }
        if p.net.state(client) == State::Established || c_sent > 0 {
            if c_sent < to_server.len() {
                c_sent += p.net.send(t, client, &to_server[c_sent..], tracer);
            } else if !c_closed {
                p.net.close(t, client, tracer);
                c_closed = true;
            }
        }
        if let Some(server) = out.server {
            if s_sent < to_client.len() {
                s_sent += p.net.send(t, server, &to_client[s_sent..], tracer);
            } else if !s_closed && out.events.contains(&SocketEvent::PeerClosed(server)) {
                p.net.close(t, server, tracer);
                s_closed = true;
            }
        }
    }
    out
}

fn pattern(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

fn link(latency_ms: u64) -> LinkConditions {
    LinkConditions {
        latency: Duration::from_millis(latency_ms),
        ..LinkConditions::default()
    }
}

#[test]
fn transfers_ten_kib_each_way_and_closes_cleanly() {
    let mut p = pair(1, link(10), TcpConfig::default());
    let (up, down) = (pattern(10 * 1024, 1), pattern(10 * 1024, 2));
    let mut log: Vec<Event> = Vec::new();
    let out = run(&mut p, &up, &down, &mut log, 10_000);
    assert!(
        out.server_got == up,
        "server got {} of {} bytes",
        out.server_got.len(),
        up.len()
    );
    assert!(
        out.client_got == down,
        "client got {} of {} bytes",
        out.client_got.len(),
        down.len()
    );
    let (client, server) = (out.client.unwrap(), out.server.unwrap());
    assert!(out.events.contains(&SocketEvent::Connected(client)));
    assert!(
        out.events.contains(&SocketEvent::Closed(client)),
        "client passes TIME-WAIT: {:?} {:?}",
        out.events,
        log.iter()
            .filter(|e| e.kind == Kind::State)
            .map(|e| format!("{} {}", e.actor, e.title))
            .collect::<Vec<_>>()
    );
    assert!(
        out.events.contains(&SocketEvent::Closed(server)),
        "server leaves LAST-ACK"
    );
    assert_eq!(p.net.state(client), State::Closed);
    assert_eq!(p.net.live_sockets(), 0, "every socket was freed");
    let titles: Vec<&str> = log
        .iter()
        .filter(|e| e.kind == Kind::Send)
        .map(|e| e.title.as_ref())
        .take(3)
        .collect();
    assert_eq!(titles, ["TCP SYN", "TCP SYN, ACK", "TCP ACK"]);
    let syn = &log.iter().find(|e| e.title == "TCP SYN").unwrap();
    assert_eq!(syn.field_value("Seq"), Some("0"));
    assert_eq!(syn.field_value("MSS"), Some("1460"));
    assert!(
        log.iter()
            .any(|e| e.title == "TCP state FIN-WAIT-2 -> TIME-WAIT")
    );
    assert!(log.iter().any(|e| e.title == "TCP TIME-WAIT expired"));
    let first_data = log
        .iter()
        .find(|e| e.kind == Kind::Send && e.title == "TCP Segment")
        .unwrap();
    assert_eq!(first_data.field_value("Seq"), Some("1"));
    assert_eq!(
        first_data.field_value("Len"),
        Some("1448"),
        "1460 less 12 bytes of timestamps"
    );
    assert!(
        log.iter()
            .all(|e| e.conn == Some(1) || e.kind == Kind::Drop)
    );
}

#[test]
fn segments_at_effective_mss_of_1418_with_timestamps() {
    let mut p = pair(
        2,
        link(5),
        TcpConfig {
            mss: 1430,
            ..TcpConfig::default()
        },
    );
    let mut log: Vec<Event> = Vec::new();
    run(&mut p, b"hi", &pattern(5000, 3), &mut log, 10_000);
    let lens: Vec<&str> = log
        .iter()
        .filter(|e| e.kind == Kind::Send && e.actor == "server" && e.title == "TCP Segment")
        .filter_map(|e| e.field_value("Len"))
        .collect();
    assert_eq!(lens, ["1418", "1418", "1418", "746"]);
}

#[test]
fn segment_fields_point_at_their_bytes() {
    let mut p = pair(4, link(5), TcpConfig::default());
    let mut log: Vec<Event> = Vec::new();
    run(&mut p, &pattern(3000, 1), b"ok", &mut log, 10_000);
    // Fields that show the wire value itself, big-endian, where the span says.
    let raw = ["Src Port", "Dst Port", "Win", "MSS", "TSval", "TSecr"];
    let mut checked = std::collections::BTreeSet::new();
    for event in log
        .iter()
        .filter(|e| e.title.starts_with("TCP ") && e.bytes.is_some())
    {
        let bytes = event.bytes.as_deref().unwrap();
        for field in event.fields.iter().filter(|f| raw.contains(&&*f.name)) {
            let [from, to] = field
                .span
                .unwrap_or_else(|| panic!("{} has no span", field.name));
            let wire = bytes[from as usize..to as usize]
                .iter()
                .fold(0u64, |n, &b| n << 8 | u64::from(b));
            assert_eq!(
                wire.to_string(),
                field.value,
                "{} in {}",
                field.name,
                event.title
            );
            checked.insert(field.name.to_string());
        }
    }
    assert_eq!(
        checked.len(),
        raw.len(),
        "every kind of field seen: {checked:?}"
    );
}

#[test]
fn lossy_link_delivers_every_byte_once_in_order() {
    let conditions = LinkConditions {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        bandwidth_bps: Some(10_000_000),
        loss: Probability::new(0.10).unwrap(),
        duplicate: Probability::new(0.05).unwrap(),
        reorder: Probability::new(0.05).unwrap(),
        reorder_delay: Duration::from_millis(7),
        corrupt: Probability::new(0.02).unwrap(),
        ..LinkConditions::default()
    };
    let mut p = pair(3, conditions, TcpConfig::default());
    let (up, down) = (pattern(200_000, 4), pattern(150_000, 5));
    let mut log: Vec<Event> = Vec::new();
    let out = run(&mut p, &up, &down, &mut log, 1_000_000);
    assert!(
        out.server_got == up,
        "server got {} of {} bytes",
        out.server_got.len(),
        up.len()
    );
    assert!(
        out.client_got == down,
        "client got {} of {} bytes",
        out.client_got.len(),
        down.len()
    );
    let client = out.client.unwrap();
    assert!(p.net.stats(client).retransmissions > 0);
    // The network's counters agree with its sockets' and with the log.
    let wire = p.net.wire_counters();
    let server = out.server.unwrap();
    assert_eq!(
        wire.retransmissions,
        p.net.stats(client).retransmissions + p.net.stats(server).retransmissions
    );
    let sent: Vec<&Event> = log.iter().filter(|e| e.kind == Kind::Send).collect();
    assert_eq!(wire.packets, sent.len() as u64);
    let logged_bytes: usize = sent
        .iter()
        .filter_map(|e| e.bytes.as_ref())
        .map(Vec::len)
        .sum();
    assert_eq!(wire.bytes, logged_bytes as u64);
    assert!(log.iter().any(|e| e.title == "TCP Retransmission"));
    assert!(log.iter().any(|e| e.title == "Packet lost on link"));
    assert!(
        log.iter()
            .any(|e| e.title == "Bad TCP checksum: segment dropped"
                || e.title.starts_with("Bad IPv4"))
    );
    assert_eq!(p.net.live_sockets(), 0);
}

#[test]
fn connection_to_closed_port_is_reset() {
    let mut p = pair(4, link(1), TcpConfig::default());
    let mut log: Vec<Event> = Vec::new();
    let client = p
        .net
        .connect(
            Instant::ZERO,
            p.client,
            SocketAddrV4::new(SERVER_ADDR, 8080),
            TcpConfig::default(),
            &mut log,
        )
        .unwrap();
    while let Some(t) = p.net.next_wakeup() {
        p.net.advance(t, &mut log, &mut NoTap);
    }
    assert_eq!(p.net.poll_event(), Some(SocketEvent::Reset(client)));
    assert_eq!(p.net.state(client), State::Closed);
    let rst = log
        .iter()
        .find(|e| e.title == "TCP RST, ACK" && e.kind == Kind::Send)
        .unwrap();
    assert_eq!(rst.actor, "server");
    assert_eq!(rst.field_value("Flags"), Some("0x014 (RST, ACK)"));
    // It acknowledges the SYN: relative 1 in the client's numbering.
    assert_eq!(rst.field_value("Ack"), Some("1"));
}

#[test]
fn cut_link_ends_in_timeout() {
    let mut p = pair(5, link(10), TcpConfig::default());
    p.net
        .cut_link(p.link, Instant::from_nanos(100_000_000), Instant::MAX);
    let mut log: Vec<Event> = Vec::new();
    let out = run(&mut p, &pattern(1_000_000, 6), b"", &mut log, 100_000);
    let client = out.client.unwrap();
    assert!(out.events.contains(&SocketEvent::TimedOut(client)));
    assert_eq!(p.net.state(client), State::Closed);
    assert!(log.iter().any(|e| e.title == "Link cut"));
    assert!(log.iter().any(|e| e.title == "TCP RTO fired"));
    // The server only receives, so without keep-alive it cannot notice.
    assert_eq!(p.net.state(out.server.unwrap()), State::Established);
}

#[test]
fn fault_drops_the_third_data_segment_and_it_is_retransmitted() {
    let mut p = pair(6, link(10), TcpConfig::default());
    p.net.add_fault(Fault {
        action: FaultAction::Drop,
        filter: SegmentFilter {
            from: Some(p.client),
            has_payload: Some(true),
            ..SegmentFilter::default()
        },
        nth: 3,
    });
    let up = pattern(30_000, 7);
    let mut log: Vec<Event> = Vec::new();
    let out = run(&mut p, &up, b"", &mut log, 100_000);
    assert!(
        out.server_got == up,
        "server got {} of {} bytes",
        out.server_got.len(),
        up.len()
    );
    assert!(log.iter().any(|e| e.title == "Fault: drop segment #3"));
    assert!(log.iter().any(|e| e.title == "TCP Dup ACK"));
    assert_eq!(p.net.stats(out.client.unwrap()).fast_retransmits, 1);
}

#[test]
fn tampered_segment_passes_tcp_with_the_changed_byte() {
    let mut p = pair(6, link(10), TcpConfig::default());
    p.net.add_fault(Fault {
        action: FaultAction::Tamper { byte: 5, xor: 0xa5 },
        filter: SegmentFilter {
            from: Some(p.client),
            has_payload: Some(true),
            ..SegmentFilter::default()
        },
        nth: 2,
    });
    let up = pattern(10_000, 7);
    let mut log: Vec<Event> = Vec::new();
    let out = run(&mut p, &up, b"", &mut log, 100_000);
    // Unlike a corrupted segment, nothing is dropped or retransmitted: the
    // checksum was fixed, so the receiver takes the changed byte as sent.
    let stats = p.net.stats(out.client.unwrap());
    assert_eq!((stats.timeouts, stats.fast_retransmits), (0, 0));
    assert!(!log.iter().any(|e| e.kind == Kind::Drop));
    let second_segment_start = 1448; // MSS 1460 less 12 bytes of timestamps
    let mut expected = up.clone();
    expected[second_segment_start + 5] ^= 0xa5;
    assert!(out.server_got == expected, "exactly one byte differs");
}

#[test]
fn same_seed_gives_identical_logs() {
    let conditions = LinkConditions {
        latency: Duration::from_millis(3),
        loss: Probability::new(0.2).unwrap(),
        jitter: Duration::from_millis(2),
        ..LinkConditions::default()
    };
    let logs: Vec<Vec<Event>> = (0..2)
        .map(|_| {
            let mut p = pair(7, conditions, TcpConfig::default());
            let mut log = Vec::new();
            run(
                &mut p,
                &pattern(20_000, 8),
                &pattern(20_000, 9),
                &mut log,
                100_000,
            );
            log
        })
        .collect();
    assert_eq!(logs[0], logs[1]);
    let _ = NullTracer;
}

/// Connects over a 10 ms link, lets the handshake finish, cuts the link for
/// good at 30 ms, then sends `data` (if any) and closes at 40 ms; stops at
/// 100 ms, before any retransmission could give up.
fn stranded(data: &[u8]) -> (Pair, SocketId) {
    let mut p = pair(8, link(10), TcpConfig::default());
    let tracer = &mut NullTracer;
    let client = connect(&mut p, tracer);
    p.net
        .cut_link(p.link, Instant::from_nanos(30_000_000), Instant::MAX);
    let at_40_ms = Instant::from_nanos(40_000_000);
    p.net.advance(at_40_ms, tracer, &mut NoTap);
    assert_eq!(p.net.state(client), State::Established);
    assert!(
        p.net.unfinished_sockets().is_empty(),
        "nothing is undone yet"
    );
    p.net.send(at_40_ms, client, data, tracer);
    p.net.close(at_40_ms, client, tracer);
    p.net
        .advance(Instant::from_nanos(100_000_000), tracer, &mut NoTap);
    (p, client)
}

#[test]
fn data_the_peer_never_acknowledged_is_listed_at_the_end() {
    let (p, client) = stranded(&pattern(20_000, 9));
    let [left] = p.net.unfinished_sockets()[..] else {
        panic!("one unfinished socket: {:?}", p.net.unfinished_sockets());
    };
    assert_eq!(left.socket, client);
    assert_eq!(left.state, State::FinWait1);
    // The initial window is 10 segments of 1448 bytes.
    assert_eq!(
        (left.unsent, left.unacknowledged),
        (20_000 - 14_480, 14_480)
    );
    assert!(left.closed_by_application);
    assert_eq!(left.title(), "Unsent data at end of run");
    let event = left.event(Instant::ZERO, "client");
    assert_eq!(event.field_value("Unacknowledged"), Some("14480"));
    assert_eq!(event.field_value("State"), Some("FIN-WAIT-1"));
}

#[test]
fn a_close_that_never_completed_is_listed_at_the_end() {
    let (p, client) = stranded(b"");
    let [left] = p.net.unfinished_sockets()[..] else {
        panic!("one unfinished socket: {:?}", p.net.unfinished_sockets());
    };
    assert_eq!(left.socket, client);
    assert_eq!((left.unsent, left.unacknowledged), (0, 0));
    assert_eq!(left.title(), "Connection not closed at end of run");
}
