//! Extreme link conditions and TCP settings: nothing panics, nothing spins,
//! and the settings that cannot work are named by `TcpConfig::validate`.

use std::net::{Ipv4Addr, SocketAddrV4};

use tlsim_net::{LinkConditions, Network, NoTap, SocketEvent, State, TcpConfig};
use tlsim_sim::{Duration, Instant, NullTracer, Probability};

const SERVER_ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const DATA: usize = 20_000;

/// What one connection achieved before the network fell quiet or `until`.
struct Run {
    delivered: usize,
    client_state: State,
    quiescent: bool,
}

/// Client and server both use `config`; the client sends `DATA` bytes and
/// closes; the server reads and closes when the client has. Runs until
/// nothing is left to happen or until `until`, at most 200,000 steps.
fn run(conditions: LinkConditions, config: TcpConfig, until: Instant) -> Run {
    let mut net = Network::new(1);
    let client = net.add_host("client", Ipv4Addr::new(10, 0, 0, 1));
    let server = net.add_host("server", SERVER_ADDR);
    net.add_link(client, server, conditions, conditions);
    net.listen(server, 80, config).unwrap();
    let tracer = &mut NullTracer;
    let socket = net
        .connect(
            Instant::ZERO,
            client,
            SocketAddrV4::new(SERVER_ADDR, 80),
            config,
            tracer,
        )
        .unwrap();
    let data = vec![7u8; DATA];
    let (mut sent, mut delivered) = (0, 0);
    let mut quiescent = false;
    for _ in 0..200_000 {
        let Some(at) = net.next_wakeup() else {
            quiescent = true;
            break;
        };
        if at > until {
            break;
        }
        net.advance(at, tracer, &mut NoTap);
        while let Some(event) = net.poll_event() {
            match event {
                SocketEvent::Connected(s) | SocketEvent::Writable(s) if s == socket => {
                    sent += net.send(at, s, &data[sent..], tracer);
                    if sent == DATA {
                        net.close(at, s, tracer);
                    }
                }
                SocketEvent::Readable(s) => delivered += net.discard(s),
                SocketEvent::PeerClosed(s) if s != socket => net.close(at, s, tracer),
                _ => {}
            }
        }
    }
    Run {
        delivered,
        client_state: net.state(socket),
        quiescent,
    }
}

fn ten_minutes() -> Instant {
    Instant::ZERO + Duration::from_secs(600)
}

fn link() -> LinkConditions {
    LinkConditions {
        latency: Duration::from_millis(5),
        ..LinkConditions::default()
    }
}

#[test]
fn default_settings_are_valid_and_deliver() {
    assert_eq!(TcpConfig::default().validate(), Ok(()));
    let run = run(link(), TcpConfig::default(), ten_minutes());
    assert_eq!(run.delivered, DATA);
    assert!(run.quiescent);
}

#[test]
fn settings_that_cannot_work_are_named_by_validate() {
    let cases: [(TcpConfig, &str); 8] = [
        (
            TcpConfig {
                mss: 0,
                ..TcpConfig::default()
            },
            "mss",
        ),
        (
            TcpConfig {
                recv_buffer: 0,
                ..TcpConfig::default()
            },
            "recv_buffer",
        ),
        (
            TcpConfig {
                send_buffer: 0,
                ..TcpConfig::default()
            },
            "send_buffer",
        ),
        (
            TcpConfig {
                initial_cwnd_segments: 0,
                ..TcpConfig::default()
            },
            "initial_cwnd_segments",
        ),
        (
            TcpConfig {
                initial_rto: Duration::ZERO,
                ..TcpConfig::default()
            },
            "initial_rto",
        ),
        (
            TcpConfig {
                min_rto: Duration::ZERO,
                ..TcpConfig::default()
            },
            "min_rto",
        ),
        (
            TcpConfig {
                max_rto: Duration::from_millis(100),
                ..TcpConfig::default()
            },
            "max_rto",
        ),
        (
            TcpConfig {
                delayed_ack: Some(Duration::from_secs(1)),
                ..TcpConfig::default()
            },
            "delayed_ack",
        ),
    ];
    for (config, field) in cases {
        let error = config.validate().expect_err(field);
        assert_eq!(error.field, field);
        assert!(error.to_string().contains(field), "{error}");
    }
}

#[test]
fn zero_mss_and_zero_initial_window_still_deliver() {
    for config in [
        TcpConfig {
            mss: 0,
            ..TcpConfig::default()
        },
        TcpConfig {
            initial_cwnd_segments: 0,
            ..TcpConfig::default()
        },
        TcpConfig {
            initial_cwnd_segments: u32::MAX,
            ..TcpConfig::default()
        },
        TcpConfig {
            recv_buffer: 1,
            ..TcpConfig::default()
        },
    ] {
        let run = run(link(), config, Instant::MAX);
        assert_eq!(run.delivered, DATA, "{config:?}");
    }
}

#[test]
fn a_zero_receive_buffer_times_out_instead_of_waiting_for_ever() {
    let config = TcpConfig {
        recv_buffer: 0,
        ..TcpConfig::default()
    };
    let run = run(link(), config, Instant::MAX);
    assert_eq!(run.delivered, 0);
    assert!(run.quiescent, "unanswered window probes end the connection");
    assert_eq!(run.client_state, State::Closed);
}

#[test]
fn a_zero_send_buffer_sends_nothing_and_does_not_spin() {
    let config = TcpConfig {
        send_buffer: 0,
        ..TcpConfig::default()
    };
    let run = run(link(), config, Instant::MAX);
    assert_eq!(run.delivered, 0);
    assert!(run.quiescent);
    assert_eq!(run.client_state, State::Established);
}

#[test]
fn zero_and_extreme_timers_do_not_panic_or_spin() {
    let longest = Duration::from_nanos(u64::MAX);
    for config in [
        TcpConfig {
            initial_rto: Duration::ZERO,
            min_rto: Duration::ZERO,
            max_rto: Duration::ZERO,
            ..TcpConfig::default()
        },
        TcpConfig {
            initial_rto: longest,
            max_rto: longest,
            time_wait: longest,
            delayed_ack: Some(longest),
            ..TcpConfig::default()
        },
    ] {
        let run = run(link(), config, Instant::MAX);
        assert!(run.quiescent, "{config:?}");
    }
}

#[test]
fn extreme_links_do_not_panic() {
    let cases = [
        LinkConditions {
            jitter: Duration::from_nanos(u64::MAX),
            ..link()
        },
        LinkConditions {
            latency: Duration::from_nanos(u64::MAX),
            ..link()
        },
        LinkConditions {
            bandwidth_bps: Some(1),
            ..link()
        },
        LinkConditions {
            bandwidth_bps: Some(u64::MAX),
            ..link()
        },
        LinkConditions {
            queue_limit_bytes: Some(0),
            ..link()
        },
        LinkConditions { mtu: 0, ..link() },
        LinkConditions { mtu: 41, ..link() },
        LinkConditions {
            loss: Probability::ALWAYS,
            duplicate: Probability::ALWAYS,
            reorder: Probability::ALWAYS,
            reorder_delay: Duration::from_nanos(u64::MAX),
            corrupt: Probability::ALWAYS,
            ..link()
        },
    ];
    for conditions in cases {
        let run = run(conditions, TcpConfig::default(), Instant::MAX);
        assert!(run.quiescent, "{conditions:?}");
    }
}

#[test]
fn an_mtu_just_above_the_headers_still_delivers() {
    // A SYN with its MSS option is 44 bytes: the MSS is 4.
    let conditions = LinkConditions { mtu: 44, ..link() };
    let config = TcpConfig {
        timestamps: false,
        ..TcpConfig::default()
    };
    let run = run(conditions, config, Instant::MAX);
    assert_eq!(run.delivered, DATA);
}
