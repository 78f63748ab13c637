//! Real TLS servers (OpenSSL, GnuTLS) on loopback for the interop and
//! record tests: a port of their own, the process started and waited
//! for, and killed when the test is done.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest wait for anything a peer does, its listening included.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// How much of a peer's output a failing test prints.
const OUTPUT_TAIL: u64 = 4096;

/// A peer process, killed when dropped. What it prints goes to `output`;
/// a test that fails while the peer lives shows its tail and whether the
/// peer was still running.
pub(crate) struct Peer {
    child: Child,
    program: String,
    output: PathBuf,
}

impl Drop for Peer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let state = match self.child.try_wait() {
                Ok(Some(status)) => format!("had exited ({status})"),
                _ => "was running".to_string(),
            };
            eprintln!(
                "{} {state}; the end of what it printed ({}):\n{}",
                self.program,
                self.output.display(),
                tail(&self.output)
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last `OUTPUT_TAIL` bytes of the file at `path`, as text.
fn tail(path: &Path) -> String {
    let mut text = Vec::new();
    if let Ok(mut file) = File::open(path) {
        let length = file.metadata().map_or(0, |m| m.len());
        let _ = file.seek(SeekFrom::Start(length.saturating_sub(OUTPUT_TAIL)));
        let _ = file.read_to_end(&mut text);
    }
    String::from_utf8_lossy(&text).into_owned()
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

/// Starts `command` with `stdin`, its output in a file of the target's
/// scratch folder, and waits until it listens on `port`.
///
/// Readiness is read from the kernel's socket table (Linux's `/proc`), not
/// probed with a connection: a probe can reach another listener that holds
/// the port for a moment (the tests pick ports in parallel), and the server
/// would take the probe for a client. The socket must be the process's
/// own, so a server that forks its listener never counts as ready.
pub(crate) fn start_server(command: &mut Command, port: u16, stdin: Stdio) -> Peer {
    // The program's file name: a path given as the program stays out of
    // the output's file name.
    let program = Path::new(command.get_program())
        .file_name()
        .unwrap_or(command.get_program())
        .to_string_lossy()
        .into_owned();
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("peers");
    std::fs::create_dir_all(&folder).unwrap();
    let output = folder.join(format!("{program}-{port}.out"));
    let file = File::create(&output).unwrap();
    let child = (command.stdin(stdin))
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let mut peer = Peer {
        child,
        program,
        output,
    };
    let deadline = Instant::now() + PATIENCE;
    while !listens(peer.child.id(), port) {
        if let Ok(Some(status)) = peer.child.try_wait() {
            panic!("{command:?} exited ({status}) before listening");
        }
        assert!(Instant::now() < deadline, "{command:?} never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    peer
}

/// Whether process `pid` holds a TCP socket listening on `port`, over
/// IPv4 or IPv6: a line of `/proc/net/tcp` or `tcp6` in state 0A (LISTEN)
/// whose inode is one of the process's open files.
fn listens(pid: u32, port: u16) -> bool {
    let mut sockets = BTreeSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [_, local, _, state, _, _, _, _, _, inode, ..] = fields[..] else {
                continue;
            };
            let local_port =
                (local.rsplit_once(':')).and_then(|(_, hex)| u16::from_str_radix(hex, 16).ok());
            if local_port == Some(port) && state == "0A" {
                sockets.insert(format!("socket:[{inode}]"));
            }
        }
    }
    let Ok(files) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    files.flatten().any(|file| {
        std::fs::read_link(file.path())
            .is_ok_and(|target| sockets.contains(target.to_string_lossy().as_ref()))
    })
}
