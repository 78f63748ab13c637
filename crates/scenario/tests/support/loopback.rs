//! What the loopback tests share: a scenario whose client and server are
//! tlsim's own, the options of a real session, and tlsim's server run for
//! one client on a thread of its own.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tlsim_net::NoTap;
use tlsim_scenario::Scenario;
use tlsim_scenario::real::{self, Clock, RealConn, RealOptions, Sinks};
use tlsim_sim::Event;

/// A scenario named `name` on `seed`: a request and a response after
/// which the server closes, with an ECDSA certificate for `localhost`
/// valid for decades around today; `client` and `server` add fields to
/// the two profiles.
pub(crate) fn scenario(name: &str, seed: u64, client: &str, server: &str) -> Scenario {
    let text = format!(
        r#"Scenario(
    name: "{name}",
    seed: {seed},
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "1ms"))],
    pki: (
        keys: [Key(name: "root", kind: P256), Key(name: "leaf", kind: P256)],
        certificates: [
            Cert(name: "root", subject: (cn: "Loopback Root"), key: "root", ca: true,
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
            Cert(name: "server", subject: (cn: "localhost"), key: "leaf", issuer: "root",
                 dns_names: ["localhost"],
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [TlsClient(name: "client", server_name: "localhost", trust: ["root"]{client})],
        servers: [TlsServer(name: "server", chain: ["server"], key: "leaf"{server})],
    ),
    listen: [Listen(host: "server", port: 443, tls: "server")],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "client")),
        At("0ms", Send(conn: "c1", from: "client", data: Text("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))),
        At("0ms", Send(conn: "c1", from: "server", data: Text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))),
        At("0ms", Close(conn: "c1", from: "server")),
    ],
)"#
    );
    tlsim_scenario::parse(&text, &format!("{name}.ron")).unwrap()
}

/// A real session's options: the wall clock from now, a generous
/// time-out, loopback only, random streams from `seed`.
pub(crate) fn options(seed: u64) -> RealOptions {
    RealOptions {
        clock: Clock::start(),
        timeout: Duration::from_secs(20),
        allow_remote: false,
        seed,
    }
}

/// What one side of a session did: its connections, its events and its
/// key log.
pub(crate) type Side = (Vec<RealConn>, Vec<Event>, Vec<String>);

/// Runs one side of a session.
pub(crate) fn run_side(
    side: impl FnOnce(Sinks<'_>) -> Result<Vec<RealConn>, real::RealError>,
) -> Side {
    let mut events = Vec::new();
    let mut keylog = Vec::new();
    let conns = side(Sinks {
        tracer: &mut events,
        tap: &mut NoTap,
        keylog: &mut |line| keylog.push(line.to_string()),
        ended: &mut |_| {},
    })
    .unwrap();
    (conns, events, keylog)
}

/// Runs one side of a session, its log and key log thrown away.
pub(crate) fn quietly<T>(side: impl FnOnce(Sinks<'_>) -> T) -> T {
    side(Sinks {
        tracer: &mut Vec::new(),
        tap: &mut NoTap,
        keylog: &mut |_| {},
        ended: &mut |_| {},
    })
}

/// `scenario`'s server for one client on a free loopback port, its
/// random streams from seed 1: the address it listens on, and the thread
/// that returns what it did.
pub(crate) fn serve_one(scenario: &Scenario) -> (String, JoinHandle<Side>) {
    let (port_tx, port_rx) = mpsc::channel::<SocketAddr>();
    let scenario = scenario.clone();
    let server = std::thread::spawn(move || {
        run_side(|sinks| {
            let mut listening = |addr| port_tx.send(addr).unwrap();
            let (base, opts) = (Path::new("."), options(1));
            real::serve(
                &scenario,
                base,
                "127.0.0.1:0",
                1,
                opts,
                &mut listening,
                sinks,
            )
        })
    });
    (port_rx.recv().unwrap().to_string(), server)
}
