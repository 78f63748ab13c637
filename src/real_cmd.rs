//! The commands that talk to real peers: `tlsim connect`, `tlsim serve`
//! and `tlsim probe`.
//!
//! Their outputs are written as the session goes, each event, packet and
//! key-log line whole as soon as it is known, so that Ctrl-C or an error
//! leaves files that end on a complete record.

use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, LineWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use clap::{Args, ValueEnum};
use tlsim_net::{CapturePoint, NoTap, PacketTap, PcapWriter};
use tlsim_scenario::Scenario;
use tlsim_scenario::codepoints::AlertName;
use tlsim_scenario::ends::{AlertSeen, TlsOutcome};
use tlsim_scenario::real::probe::{ProbeVerdict, probe};
use tlsim_scenario::real::record::{self, Recording};
use tlsim_scenario::real::{self, Clock, Ending, RealConn, RealOptions, Sinks};
use tlsim_scenario::units::Time;
use tlsim_sim::Instant;
use tlsim_tls::enums::AlertLevel;
use tlsim_tls_script::Verdict;

use crate::cli::{EXIT_FAILED, Log, STDOUT_PATH, base_of, fail, load, one_writer_on_stdout};
use crate::output::{JsonLines, Sequenced, TextLadder};

/// How a session with a real peer is run.
#[derive(Debug, Args)]
pub(crate) struct PeerOptions {
    /// Give up on the peer after this long without a byte from it (and
    /// on connecting or on waiting for a client), e.g. 10s or 500ms.
    #[arg(long, value_name = "TIME", default_value = "10s", value_parser = Time::parse)]
    timeout: Time,
    /// Allow addresses other than loopback (127.0.0.0/8, ::1).
    #[arg(long)]
    allow_remote: bool,
    /// Seed of tlsim's random streams (client and server randoms, ECDHE
    /// keys); left out, a fresh one, shown in the log's first event.
    #[arg(long)]
    seed: Option<u64>,
}

impl PeerOptions {
    fn options(&self, clock: Clock) -> RealOptions {
        RealOptions {
            clock,
            timeout: std::time::Duration::from_nanos(self.timeout.0.as_nanos()),
            allow_remote: self.allow_remote,
            seed: self.seed.unwrap_or_else(fresh_seed),
        }
    }
}

/// A seed nobody chose: the standard library's per-process random keys.
fn fresh_seed() -> u64 {
    RandomState::new().hash_one(0_u8)
}

/// The event-log formats written as a session goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StreamFormat {
    /// One line per event: time, actor, kind, title, fields.
    Text,
    /// One JSON object per line, with every field and byte.
    Jsonl,
}

/// Where a session's record goes.
#[derive(Debug, Args)]
pub(crate) struct SessionOutputs {
    /// How to write the event log.
    #[arg(long, value_enum, default_value_t = StreamFormat::Text)]
    format: StreamFormat,
    /// Write the log to this file instead of standard output (`-`).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Also write the TLS bytes to this pcap, in made-up IPv4/TCP headers
    /// with the connection's real addresses and ports (tshark: add
    /// `-d tcp.port==PORT,tls` for a port other than 443).
    #[arg(long, value_name = "PATH")]
    pcap: Option<PathBuf>,
    /// Also write the TLS secrets in NSS key-log format, for the pcap.
    #[arg(long, value_name = "PATH")]
    keylog: Option<PathBuf>,
}

/// `tlsim connect`.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    /// The server, HOST:PORT (loopback unless --allow-remote).
    addr: String,
    /// The scenario whose connections run (RON).
    file: PathBuf,
    #[command(flatten)]
    peer: PeerOptions,
    #[command(flatten)]
    outputs: SessionOutputs,
    /// Also write the session as a scenario that replays it offline: each
    /// connection's server replaced by the records it sent, the client's
    /// random stream pinned.
    #[arg(long, value_name = "PATH")]
    record: Option<PathBuf>,
}

/// `tlsim serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where to listen, ADDR:PORT (port 0: any free one; loopback unless
    /// --allow-remote).
    addr: String,
    /// The scenario whose listener serves (RON).
    file: PathBuf,
    /// Serve this many clients, one after another, then exit.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    count: u32,
    #[command(flatten)]
    peer: PeerOptions,
    #[command(flatten)]
    outputs: SessionOutputs,
}

/// `tlsim probe`.
#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// The server, HOST:PORT (loopback unless --allow-remote).
    addr: String,
    /// Edge-case scenarios, or folders of them (e.g. scenarios/edge).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// One line per probe for people, or one JSON object per probe.
    #[arg(long, value_enum, default_value_t = StreamFormat::Text)]
    format: StreamFormat,
    #[command(flatten)]
    peer: PeerOptions,
}

/// A writer shared with a [`PcapWriter`], so that each record can be
/// taken whole and written in one go.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A pcap written a whole record at a time; the first error stops it.
struct PcapFile {
    pcap: PcapWriter<Shared>,
    buffer: Shared,
    file: File,
    error: Option<io::Error>,
}

impl PcapFile {
    fn create(path: &Path, epoch_unix: u64) -> io::Result<Self> {
        let buffer = Shared::default();
        let pcap = PcapWriter::new(buffer.clone(), epoch_unix, CapturePoint::Sender)?;
        let mut file = PcapFile {
            pcap,
            buffer,
            file: File::create(path)?,
            error: None,
        };
        file.write_out();
        Ok(file)
    }

    fn write_out(&mut self) {
        let bytes = std::mem::take(&mut *self.buffer.0.borrow_mut());
        if self.error.is_none() {
            self.error = self.file.write_all(&bytes).err();
        }
    }
}

impl PacketTap for PcapFile {
    fn packet(&mut self, time: Instant, bytes: &[u8]) {
        self.pcap.packet(time, bytes);
        self.write_out();
    }
}

/// Opens an output written a line at a time.
fn line_output(path: &Path) -> io::Result<LineWriter<Box<dyn Write>>> {
    let inner: Box<dyn Write> = if path == Path::new(STDOUT_PATH) {
        Box::new(io::stdout())
    } else {
        Box::new(File::create(path)?)
    };
    Ok(LineWriter::new(inner))
}

/// What a session's outputs need opened before it starts.
struct Opened {
    log: Sequenced<Log<LineWriter<Box<dyn Write>>>>,
    pcap: Option<PcapFile>,
    keylog: Option<LineWriter<Box<dyn Write>>>,
}

fn open_outputs(outputs: &SessionOutputs, epoch_unix: u64) -> Result<Opened, i32> {
    let SessionOutputs {
        format,
        out,
        pcap,
        keylog,
    } = outputs;
    one_writer_on_stdout(&[
        ("--out", out.as_deref()),
        ("--pcap", pcap.as_deref()),
        ("--keylog", keylog.as_deref()),
    ])
    .map_err(fail)?;
    let cannot =
        |path: &Path, e: io::Error| fail(format_args!("cannot create {}: {e}", path.display()));
    let out = out.as_deref().unwrap_or(Path::new(STDOUT_PATH));
    let writer = line_output(out).map_err(|e| cannot(out, e))?;
    let log = match format {
        StreamFormat::Text => Log::Text(TextLadder::new(writer)),
        StreamFormat::Jsonl => Log::Json(JsonLines::new(writer)),
    };
    let pcap = match pcap {
        Some(path) if path == Path::new(STDOUT_PATH) => {
            return Err(fail(
                "--pcap needs a file: it is written a record at a time",
            ));
        }
        Some(path) => Some(PcapFile::create(path, epoch_unix).map_err(|e| cannot(path, e))?),
        None => None,
    };
    let keylog = match keylog {
        Some(path) => Some(line_output(path).map_err(|e| cannot(path, e))?),
        None => None,
    };
    Ok(Opened {
        log: Sequenced::new(log),
        pcap,
        keylog,
    })
}

/// Runs a session with its outputs open, reporting each connection on
/// standard error as it ends. Exit status 0 when each completed its handshake (or its
/// conversation passed) and closed; 1 otherwise.
fn with_outputs(
    outputs: &SessionOutputs,
    clock: Clock,
    session: impl FnOnce(Sinks<'_>) -> Result<Vec<RealConn>, real::RealError>,
) -> i32 {
    let Opened {
        mut log,
        mut pcap,
        mut keylog,
    } = match open_outputs(outputs, clock.epoch_unix()) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let mut keylog_error = None;
    let mut write_key = |line: &str| {
        if let Some(w) = keylog.as_mut() {
            if let Err(e) = writeln!(w, "{line}") {
                keylog_error.get_or_insert(e);
            }
        }
    };
    let mut no_tap = NoTap;
    let tap: &mut dyn PacketTap = match pcap.as_mut() {
        Some(pcap) => pcap,
        None => &mut no_tap,
    };
    let mut status = 0;
    let mut ended = |conn: &RealConn| {
        let (line, ok) = describe(conn);
        eprintln!("{line}");
        if !ok {
            status = EXIT_FAILED;
        }
    };
    let result = session(Sinks {
        tracer: &mut log,
        tap,
        keylog: &mut write_key,
        ended: &mut ended,
    });
    let written = log.into_inner().finish(&[]).map(drop);
    let errors = [written.err(), pcap.and_then(|p| p.error), keylog_error];
    if let Some(e) = errors.into_iter().flatten().next() {
        return fail(format_args!("cannot write an output: {e}"));
    }
    match result {
        Ok(_) => status,
        Err(e) => fail(e),
    }
}

/// One line about a connection, and whether it went well.
fn describe(conn: &RealConn) -> (String, bool) {
    let end = &conn.end;
    let (how, mut ok) = match (&end.conversation, end.tls) {
        (Some(c), _) => match &c.verdict {
            Verdict::Passed => ("conversation passed".to_string(), true),
            Verdict::Running => (format!("conversation stopped at step {}", c.step), false),
            Verdict::Failed(f) => (
                format!(
                    "conversation failed at step {}: expected {}, observed {}",
                    f.step, f.expected, f.observed
                ),
                false,
            ),
        },
        (None, Some(TlsOutcome::Complete)) => ("TLS handshake complete".to_string(), true),
        (None, Some(TlsOutcome::Failed)) => ("TLS failed".to_string(), false),
        (None, Some(TlsOutcome::Handshaking)) => ("TLS handshake unfinished".to_string(), false),
        (None, None) => ("plain TCP".to_string(), true),
    };
    let ending = match &conn.ending {
        Ending::Closed => "closed".to_string(),
        Ending::TimedOut => {
            ok = false;
            "timed out".to_string()
        }
        Ending::Failed(e) => {
            ok = false;
            format!("failed: {e}")
        }
    };
    let alerts = |seen: &[AlertSeen]| {
        seen.iter()
            .map(|a| {
                let level = match a.level {
                    AlertLevel::Fatal => "fatal",
                    _ => "warning",
                };
                format!("{level} {}", AlertName(a.description))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut line = format!(
        "{} with {}: {how}; sent {} bytes, received {} bytes; {ending}",
        conn.name,
        conn.peer,
        end.sent.len(),
        end.received.len()
    );
    if !end.alerts_sent.is_empty() {
        line += &format!("; alerts sent: {}", alerts(&end.alerts_sent));
    }
    if !end.alerts_received.is_empty() {
        line += &format!("; alerts received: {}", alerts(&end.alerts_received));
    }
    (line, ok)
}

/// `tlsim connect ADDR FILE`.
pub(crate) fn cmd_connect(args: &ConnectArgs) -> i32 {
    let scenario = match load(&args.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let base = base_of(&args.file);
    let clock = Clock::start();
    let opts = args.peer.options(clock);
    with_outputs(&args.outputs, clock, |sinks| {
        let Some(path) = &args.record else {
            return real::connect(&scenario, base, &args.addr, opts, sinks);
        };
        let conns = record::connect(&scenario, base, &args.addr, opts, sinks)?;
        let recording = Recording {
            scenario: &scenario,
            base,
            source: &args.file.display().to_string(),
            seed: opts.seed,
            epoch_unix: clock.epoch_unix(),
        };
        recording.write(&conns, path)?;
        eprintln!("recorded the session in {}", path.display());
        Ok(conns)
    })
}

/// `tlsim serve ADDR FILE`.
pub(crate) fn cmd_serve(args: &ServeArgs) -> i32 {
    let scenario = match load(&args.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let base = base_of(&args.file);
    let clock = Clock::start();
    let opts = args.peer.options(clock);
    // Whoever starts the server learns the port from the first line.
    let mut listening = |addr| eprintln!("listening on {addr}");
    with_outputs(&args.outputs, clock, |sinks| {
        real::serve(
            &scenario,
            base,
            &args.addr,
            args.count,
            opts,
            &mut listening,
            sinks,
        )
    })
}

/// The scenarios `paths` name: files as given, folders as their `.ron`
/// files in name order.
fn scenario_files(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)?
                .map(|entry| entry.map(|e| e.path()))
                .collect::<io::Result<_>>()?;
            found.retain(|p| p.extension().is_some_and(|e| e == "ron"));
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// `tlsim probe ADDR FILE...`: one line per probe. Exit status 0 when the
/// server answered every probe as expected, 1 when it answered one
/// otherwise.
pub(crate) fn cmd_probe(args: &ProbeArgs) -> i32 {
    let files = match scenario_files(&args.files) {
        Ok(files) => files,
        Err(e) => return fail(e),
    };
    let mut loaded: Vec<(PathBuf, Scenario)> = Vec::new();
    for file in files {
        match load(&file) {
            Ok(s) => loaded.push((file, s)),
            Err(code) => return code,
        }
    }
    let mut out = io::stdout().lock();
    let opts = args.peer.options(Clock::start());
    let mut status = 0;
    for (file, scenario) in &loaded {
        let probed = match probe(scenario, base_of(file), &args.addr, opts) {
            Ok(probed) => probed,
            Err(e) => return fail(format_args!("{}: {e}", file.display())),
        };
        if probed.verdict == ProbeVerdict::Differs {
            status = EXIT_FAILED;
        }
        let written = match args.format {
            StreamFormat::Jsonl => serde_json::to_string(&probed)
                .map_err(io::Error::from)
                .and_then(|line| writeln!(out, "{line}")),
            StreamFormat::Text => {
                let mut line = format!(
                    "{:<8} {:<44} expected: {}; observed: {}",
                    probed.verdict.as_str(),
                    probed.probe,
                    probed.expected,
                    probed.observed
                );
                if let Some(detail) = &probed.detail {
                    line += &format!("\n         {detail}");
                }
                writeln!(out, "{line}")
            }
        };
        if let Err(e) = written.and_then(|()| out.flush()) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return status;
            }
            return fail(format_args!("cannot write standard output: {e}"));
        }
    }
    status
}
