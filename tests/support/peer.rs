//! Real TLS servers (OpenSSL, GnuTLS) on loopback for the interop and
//! record tests: a port of their own, the process started and waited
//! for, and killed when the test is done.

use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest wait for anything a peer does, its listening included.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// A peer process, killed when dropped.
pub(crate) struct Peer(pub(crate) Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on, and one no other test of this run was given:
/// the tests run in parallel, and a port freed by one may come back.
pub(crate) fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port = (TcpListener::bind("127.0.0.1:0").unwrap().local_addr())
            .unwrap()
            .port();
        if GIVEN.lock().unwrap().insert(port) {
            return port;
        }
    }
}

/// Starts `command` with `stdin`, its output silenced, and waits until it
/// accepts connections on `port`.
pub(crate) fn start_server(command: &mut Command, port: u16, stdin: Stdio) -> Peer {
    let mut peer = Peer(
        (command
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::null()))
        .spawn()
        .unwrap(),
    );
    let deadline = Instant::now() + PATIENCE;
    loop {
        // A probe from an ephemeral port to itself connects (TCP
        // simultaneous open) though nothing listens: that is not the server.
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(probe) if probe.local_addr().ok() != probe.peer_addr().ok() => break,
            _ => {}
        }
        if let Ok(Some(status)) = peer.0.try_wait() {
            panic!("{command:?} exited ({status}) before listening");
        }
        assert!(Instant::now() < deadline, "{command:?} never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    peer
}
