//! The commands: `tlsim run`, `tlsim step`, `tlsim check`, `tlsim sweep` and
//! `tlsim shrink`; with real peers `tlsim connect`, `tlsim serve` and
//! `tlsim probe` (in `real_cmd`).
//!
//! Exit status: 0 success; 1 an expectation failed (`check`, `sweep`); 2 the input
//! was bad (for `shrink`: it does not fail) or an output could not be
//! written (nothing is left half-written);
//! 3 the run hit `max_time` or `max_events` before it finished (for `check`
//! and `sweep` too, whatever the expectations say). Every error is printed as
//! `error: FILE:LINE:COL: message` (`error: FILE: message` when it concerns a
//! whole file).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use tlsim_net::{CapturePoint, NoTap, PacketTap, PcapWriter};
use tlsim_scenario::expect::run_and_check;
use tlsim_scenario::runner::ConnReport;
use tlsim_scenario::schema::{Action, At, KeyKind};
use tlsim_scenario::shrink::{ShrinkError, Shrunk, shrink, to_min_ron};
use tlsim_scenario::{End, RunOptions, Scenario, load_file, run_in};
use tlsim_sim::{Event, Layer, Tracer};

use crate::html::render_html;
use crate::lesson::{Lesson, render_lesson_html, run_lesson_interactive, run_lesson_script};
use crate::mermaid::{MERMAID_MAX_TEXT, render_mermaid};
use crate::output::{JsonLines, Sequenced, TextLadder};
use crate::real_cmd::{ConnectArgs, ProbeArgs, ServeArgs, cmd_connect, cmd_probe, cmd_serve};
use crate::step::{parse_layer, run_interactive, run_script};
use crate::sweep::{SweepArgs, cmd_sweep};

/// Exit status when expectations failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit status for bad input or an output that could not be written.
pub const EXIT_ERROR: i32 = 2;
/// Exit status when a run hit a limit.
pub const EXIT_LIMIT: i32 = 3;

/// tlsim: a deterministic simulator of a real TLS session over a simulated
/// TCP/IP network. The same scenario and seed always give the same bytes.
#[derive(Debug, Parser)]
#[command(name = "tlsim", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 success, 1 an expectation failed, 2 bad input or unwritable output, \
3 the run hit max_time or max_events.\n\nStart with: tlsim run scenarios/google-spdy.ron  (the documented Google SPDY session)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and write its event log.
    ///
    /// The log is written as the run goes: to standard output, or to --out,
    /// which appears only once the run has completed.
    Run {
        /// The scenario file (RON), e.g. scenarios/google-spdy.ron.
        file: PathBuf,
        /// Seed for every random stream, instead of the scenario's own.
        #[arg(long)]
        seed: Option<u64>,
        /// How to write the event log: a text ladder for people, JSON lines
        /// (the complete record), or a sequence diagram.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write the log to this file instead of standard output (`-`).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Also write every packet to this pcap file (LINKTYPE_RAW, IPv4) for
        /// Wireshark or tshark, `-` for standard output. Timestamps are the
        /// scenario's calendar time: its PKI epoch plus the simulated clock.
        #[arg(long, value_name = "PATH")]
        pcap: Option<PathBuf>,
        /// Where the pcap sees each packet: as its sender sent it (every
        /// packet, before any fault or loss), or as it reached its receiver
        /// (lost ones missing, tampered ones as changed).
        #[arg(long, value_enum, default_value_t = CaptureAt::Sender, requires = "pcap")]
        capture_at: CaptureAt,
        /// Draw only this connection of the scenario (by its name, e.g. c1),
        /// with the run's start and end; for --format mermaid or html.
        #[arg(long, value_name = "NAME")]
        connection: Option<String>,
        /// Draw only the events of this layer (tcp, tls, spdy, link or sim;
        /// repeat for more); for --format mermaid or html.
        #[arg(long, value_name = "LAYER", value_parser = layer_option)]
        layer: Vec<Layer>,
        /// Also write the TLS secrets in NSS key-log format, so that Wireshark
        /// can decrypt the pcap (Preferences > Protocols > TLS >
        /// (Pre)-Master-Secret log filename); `-` for standard output.
        #[arg(long, value_name = "PATH")]
        keylog: Option<PathBuf>,
        /// Use this many threads (default: one per core): the run's own,
        /// and others that rehearse its TLS handshakes ahead of it so that
        /// their public-key operations are ready when it needs them. The
        /// outputs are the same for any number.
        #[arg(long, value_name = "N", value_parser = jobs_option)]
        jobs: Option<usize>,
    },
    /// Walk through a run one event at a time (teaching mode).
    ///
    /// Commands: n (next), p (previous), g N (go to event #N), l tcp|tls|spdy
    /// (next event of a layer), m TEXT (next event whose title contains
    /// TEXT), f (fields), b (bytes), k (key computations so far),
    /// e (explanation), h (help), q (quit). An empty line is n.
    Step {
        /// The scenario file (RON); with --lesson, scenarios/google-spdy.ron
        /// when left out.
        #[arg(required_unless_present = "lesson")]
        file: Option<PathBuf>,
        /// Seed for every random stream, instead of the scenario's own.
        #[arg(long)]
        seed: Option<u64>,
        /// Run these commands, separated by ; or newlines, instead of
        /// reading the keyboard, e.g. --script "m Client Key Exchange; f; b; q".
        #[arg(long, conflicts_with = "script_file")]
        script: Option<String>,
        /// Run the commands in this file (one a line, or separated by ;)
        /// instead of reading the keyboard.
        #[arg(long, value_name = "PATH")]
        script_file: Option<PathBuf>,
        /// Walk the session as a guided lesson: one screen per handshake
        /// step, with its explanation, fields, bytes and key derivations,
        /// and a question to answer (a letter, or the answer) before going
        /// on. --script gives the answers.
        #[arg(long)]
        lesson: bool,
    },
    /// Run a scenario and check its `expect` section.
    ///
    /// Prints each expectation that failed; the exit status is 0 when all hold.
    Check {
        /// The scenario file (RON).
        file: PathBuf,
        /// Seed for every random stream, instead of the scenario's own.
        #[arg(long)]
        seed: Option<u64>,
        /// Use this many threads (default: one per core), as `run --jobs`.
        #[arg(long, value_name = "N", value_parser = jobs_option)]
        jobs: Option<usize>,
    },
    /// Check a scenario under many seeds, to find those it fails with.
    ///
    /// Runs `check` with seeds FROM, FROM+1, … (COUNT of them) on JOBS
    /// threads, prints each failing seed with its first failure in seed
    /// order, and suggests the `tlsim shrink` command for the first. The
    /// output is the same whatever JOBS is. Exit status 1 when any seed
    /// failed.
    Sweep(SweepArgs),
    /// Shrink a failing scenario to a smaller one that fails the same way.
    ///
    /// Takes away one thing at a time (a timeline step, a link's randomness,
    /// data no expectation counts, an offered cipher suite or group) and
    /// keeps each change after which it still fails the same way: the first
    /// failed expectation still fails, and none that held now fails. The
    /// result carries the seed it fails with: `tlsim check OUT` fails the
    /// same way, `tlsim step OUT` walks through it.
    Shrink {
        /// The failing scenario file (RON).
        file: PathBuf,
        /// Seed for every random stream, instead of the scenario's own.
        #[arg(long)]
        seed: Option<u64>,
        /// Where to write the smaller scenario (RON), `-` for standard output
        /// (the report then goes to standard error).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Stop after this many runs (at least 1) and write the smallest failing
        /// scenario so far.
        #[arg(long, value_name = "N", default_value_t = 2000,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        max_runs: usize,
    },
    /// Run a scenario's connections against a real TLS server (not
    /// deterministic).
    ///
    /// Each connection the timeline opens runs in turn over a real TCP
    /// socket to HOST:PORT: its TLS client profile and application (SPDY,
    /// or the text of its `Send` steps, e.g. an HTTP/1.1 request), or its
    /// conversation, with its steps at their times after it connected.
    /// The event log (TLS and up) carries real timestamps and the peer's
    /// own bytes, so runs differ; certificates are checked at the real
    /// date. Outputs are written as the session goes, so Ctrl-C leaves
    /// them whole. Prints one line per connection on standard error; exit
    /// status 0 when every handshake completed (or conversation passed)
    /// and every connection closed, 1 otherwise.
    Connect(ConnectArgs),
    /// Serve a scenario's TLS server profile to real clients (not
    /// deterministic).
    ///
    /// The scenario's first listener with a TLS profile (its certificates,
    /// application or conversation) answers --count clients on ADDR, one
    /// after another; the n-th gets the server's timeline steps of the
    /// scenario's n-th connection to that listener. Prints `listening on
    /// ADDR` first on standard error. Outputs, key log (the server's), log
    /// and exit status as for `connect`.
    Serve(ServeArgs),
    /// Probe a real TLS server with the edge-case catalogue (not
    /// deterministic).
    ///
    /// Runs each scenario's client conversation against HOST:PORT and
    /// prints one line per probe: its verdict (pass: the server answered
    /// as the RFC the scenario cites says; differs; skipped: the scenario
    /// probes a client), what the scenario expects of the server and what
    /// it observed. Exit status 1 when any probe differs.
    Probe(ProbeArgs),
}

/// Event log formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per event: time, actor, kind, title, fields.
    Text,
    /// One JSON object per line, with every field and byte.
    Jsonl,
    /// A Mermaid sequence diagram (renders on GitHub and in docs).
    Mermaid,
    /// One self-contained HTML page: the ladder diagram, and each message's
    /// fields and bytes on click.
    Html,
    /// The run as a guided lesson on one self-contained HTML page: one
    /// screen per handshake step, each with a question (as `step --lesson`).
    LessonHtml,
}

/// Where the pcap captures packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CaptureAt {
    /// As sent, when it enters the link.
    Sender,
    /// As received, when it leaves the link.
    Receiver,
}

impl From<CaptureAt> for CapturePoint {
    fn from(at: CaptureAt) -> Self {
        match at {
            CaptureAt::Sender => CapturePoint::Sender,
            CaptureAt::Receiver => CapturePoint::Receiver,
        }
    }
}

/// The path an output option gives for standard output.
pub(crate) const STDOUT_PATH: &str = "-";

/// An output option's target as messages name it.
fn output_name(path: &Path) -> String {
    if path == Path::new(STDOUT_PATH) {
        "standard output".to_string()
    } else {
        path.display().to_string()
    }
}

/// What an output option writes to: standard output for `-`, otherwise a
/// [`PendingFile`] that appears only when [`commit`](Self::commit)ted.
enum Output {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    File(PendingFile, BufWriter<File>),
}

impl Output {
    fn create(path: &Path) -> io::Result<Self> {
        if path == Path::new(STDOUT_PATH) {
            return Ok(Output::Stdout(BufWriter::new(io::stdout().lock())));
        }
        let (pending, writer) = PendingFile::create(path)?;
        Ok(Output::File(pending, writer))
    }

    fn commit(self) -> io::Result<()> {
        match self {
            Output::Stdout(mut out) => out.flush(),
            Output::File(pending, mut writer) => {
                writer.flush()?;
                drop(writer);
                pending.commit()
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(bytes),
            Output::File(_, writer) => writer.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::File(_, writer) => writer.flush(),
        }
    }
}

/// Refuses two outputs on standard output: their bytes would interleave.
/// The log goes there when `--out` is not given.
pub(crate) fn one_writer_on_stdout(outputs: &[(&str, Option<&Path>)]) -> Result<(), String> {
    let on_stdout: Vec<&str> = outputs
        .iter()
        .filter(|(option, path)| match path {
            Some(path) => *path == Path::new(STDOUT_PATH),
            None => *option == "--out",
        })
        .map(|(option, _)| *option)
        .collect();
    match on_stdout.split_last() {
        Some((last, others)) if !others.is_empty() => Err(format!(
            "{} and {last} would {} write to standard output (the log goes there without --out): \
             give all but one of them a file",
            others.join(", "),
            if others.len() == 1 { "both" } else { "all" }
        )),
        _ => Ok(()),
    }
}

/// A file that appears at its path only when [`commit`](Self::commit)ted;
/// dropped uncommitted, it leaves nothing behind.
struct PendingFile {
    /// The file being written and its final path; `None` when writing
    /// straight to something that is not a regular file (`/dev/null`, a pipe).
    rename: Option<(PathBuf, PathBuf)>,
}

impl PendingFile {
    fn create(path: &Path) -> io::Result<(Self, BufWriter<File>)> {
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            // A device or pipe cannot be replaced by a rename: write to it.
            let file = std::fs::OpenOptions::new().write(true).open(path)?;
            return Ok((PendingFile { rename: None }, BufWriter::new(file)));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.partial"));
        let file = File::create(&temp)?;
        Ok((
            PendingFile {
                rename: Some((temp, path.to_path_buf())),
            },
            BufWriter::new(file),
        ))
    }

    fn commit(mut self) -> io::Result<()> {
        if let Some((temp, path)) = self.rename.take() {
            std::fs::rename(temp, path)?;
        }
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if let Some((temp, _)) = &self.rename {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Reports an error in the one format every error has: `error: FILE[:LINE:COL]: message`.
pub(crate) fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    EXIT_ERROR
}

pub(crate) fn load(file: &Path) -> Result<Scenario, i32> {
    load_file(file).map_err(fail)
}

fn layer_option(name: &str) -> Result<Layer, String> {
    parse_layer(name).ok_or_else(|| "expected tcp, tls, spdy, link or sim".to_string())
}

/// What a diagram draws: every event, or those of one connection and some
/// layers, with the run's start and end.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selection {
    connection: Option<String>,
    layers: Vec<Layer>,
}

impl Selection {
    fn is_everything(&self) -> bool {
        self.connection.is_none() && self.layers.is_empty()
    }

    /// The events drawn; `conns` are the run's connections in the order
    /// they were opened, which numbers them from 1 in the log.
    fn keep(&self, events: Vec<Event>, conns: &[ConnReport]) -> Vec<Event> {
        if self.is_everything() {
            return events;
        }
        let conn = (self.connection.as_ref())
            .and_then(|name| conns.iter().position(|c| &c.name == name))
            .map(|index| index as u32 + 1);
        let run_level = |e: &Event| e.actor == "sim" && e.layer == Layer::Sim;
        (events.into_iter())
            .filter(|e| {
                run_level(e)
                    || (self.connection.is_none() || e.conn.is_some() && e.conn == conn)
                        && (self.layers.is_empty() || self.layers.contains(&e.layer))
            })
            .collect()
    }
}

/// Writes `events` as a Mermaid diagram, and warns on standard error when it
/// is too long for Mermaid to render with its default settings.
fn write_mermaid(
    events: &[Event],
    selection: &Selection,
    conns: &[ConnReport],
    out: &mut impl Write,
) -> io::Result<()> {
    let mut text = Vec::new();
    render_mermaid(events, &mut text)?;
    let length = String::from_utf8_lossy(&text).chars().count();
    if length > MERMAID_MAX_TEXT {
        let names: Vec<&str> = conns.iter().map(|c| c.name.as_str()).collect();
        let narrower = if selection.is_everything() {
            "draw less with --connection NAME"
        } else {
            "draw still less with --connection NAME"
        };
        eprintln!(
            "warning: the Mermaid diagram is {length} characters, more than the {MERMAID_MAX_TEXT} \
             Mermaid renders by default (maxTextSize): {narrower} (one of: {}) or --layer tls, \
             or use --format html",
            names.join(", ")
        );
    }
    out.write_all(&text)
}

/// A log sink of any format. Streaming formats write as events arrive;
/// diagrams need the whole run and are drawn at the end.
pub(crate) enum Log<W: Write> {
    Text(TextLadder<W>),
    Json(JsonLines<W>),
    Diagram {
        format: Format,
        title: String,
        selection: Selection,
        events: Vec<Event>,
        out: W,
    },
}

impl<W: Write> Tracer for Log<W> {
    fn record(&mut self, event: Event) {
        match self {
            Log::Text(t) => t.record(event),
            Log::Json(j) => j.record(event),
            Log::Diagram { events, .. } => events.push(event),
        }
    }
}

impl<W: Write> Log<W> {
    pub(crate) fn finish(self, conns: &[ConnReport]) -> io::Result<W> {
        match self {
            Log::Text(t) => t.finish(),
            Log::Json(j) => j.finish(),
            Log::Diagram {
                format,
                title,
                selection,
                events,
                mut out,
            } => {
                let events = selection.keep(events, conns);
                match format {
                    Format::LessonHtml => {
                        render_lesson_html(&Lesson::from_events(&title, &events), &mut out)?;
                    }
                    Format::Html => render_html(
                        &title,
                        &events,
                        &conns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
                        &mut out,
                    )?,
                    _ => write_mermaid(&events, &selection, conns, &mut out)?,
                }
                out.flush()?;
                Ok(out)
            }
        }
    }
}

fn run_to<W: Write>(
    scenario: &Scenario,
    base: &Path,
    (seed, opts): (u64, RunOptions),
    (format, selection): (Format, Selection),
    out: W,
    tap: &mut dyn PacketTap,
) -> io::Result<(tlsim_scenario::Outcome, W)> {
    let log = match format {
        Format::Text => Log::Text(TextLadder::new(out)),
        Format::Jsonl => Log::Json(JsonLines::new(out)),
        Format::Mermaid | Format::Html | Format::LessonHtml => Log::Diagram {
            format,
            title: scenario.name.clone(),
            selection,
            events: Vec::new(),
            out,
        },
    };
    let mut tracer = Sequenced::new(log);
    let outcome = run_in(scenario, base, seed, opts, &mut tracer, tap)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let out = tracer.into_inner().finish(&outcome.conns)?;
    Ok((outcome, out))
}

/// The limit a run stopped at, if any, in the scenario's own words.
pub(crate) fn limit_reached(scenario: &Scenario, end: End) -> Option<String> {
    match end {
        End::Quiescent => None,
        End::MaxTime => Some(format!("max_time ({})", scenario.limits.max_time)),
        End::MaxEvents => Some(format!("max_events ({})", scenario.limits.max_events)),
    }
}

/// 0, or [`EXIT_LIMIT`] with a message when the run stopped at a limit.
fn limit_status(file: &Path, scenario: &Scenario, end: End) -> i32 {
    match limit_reached(scenario, end) {
        None => 0,
        Some(limit) => {
            eprintln!(
                "error: {}: the run reached {limit} before it finished (see the last event of the log)",
                file.display()
            );
            EXIT_LIMIT
        }
    }
}

/// `--jobs N`: at least one thread.
pub(crate) fn jobs_option(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a number of threads, at least 1, not {text:?}"
        )),
    }
}

/// The threads `--jobs` asks for: one per core when left out.
pub(crate) fn threads(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A run on `--jobs` threads: its own and, for the others, rehearsals;
/// with key-log lines only when they are written out.
fn run_options(jobs: Option<usize>, keylog: bool) -> RunOptions {
    RunOptions {
        crypto_threads: threads(jobs) - 1,
        keylog,
        ..RunOptions::default()
    }
}

/// The folder a scenario's relative paths are resolved against.
pub(crate) fn base_of(file: &Path) -> &Path {
    file.parent().unwrap_or(Path::new("."))
}

fn cmd_run(
    file: &Path,
    (seed, opts): (Option<u64>, RunOptions),
    (format, selection): (Format, Selection),
    out: Option<&Path>,
    (pcap, capture_at): (Option<&Path>, CaptureAt),
    keylog: Option<&Path>,
) -> i32 {
    if !selection.is_everything() && !matches!(format, Format::Mermaid | Format::Html) {
        return fail(
            "--connection and --layer choose what a diagram draws: use them with --format mermaid or html",
        );
    }
    if let Err(message) =
        one_writer_on_stdout(&[("--out", out), ("--pcap", pcap), ("--keylog", keylog)])
    {
        return fail(message);
    }
    let scenario = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(name) = &selection.connection {
        let names: Vec<&str> = (scenario.timeline.iter())
            .filter_map(|At(_, action)| match action {
                Action::Connect { conn, .. } => Some(conn.0.as_str()),
                _ => None,
            })
            .collect();
        if !names.contains(&name.as_str()) {
            return fail(format_args!(
                "{}: no connection named {name:?}: expected one of {}",
                file.display(),
                names.join(", ")
            ));
        }
    }
    let base = base_of(file);
    let seed = seed.unwrap_or(scenario.seed);
    // Outputs are written beside their final names and renamed into place
    // only when the run has completed; on any error they vanish.
    let cannot_write = |path: &Path, e: io::Error| {
        if e.kind() == io::ErrorKind::BrokenPipe && path == Path::new(STDOUT_PATH) {
            // Whoever reads standard output has all they want (`| head`).
            return 0;
        }
        fail(format_args!("cannot write {}: {e}", output_name(path)))
    };
    let mut capture = match pcap {
        Some(path) => {
            let epoch = scenario.pki.epoch().0;
            match Output::create(path).and_then(|o| PcapWriter::new(o, epoch, capture_at.into())) {
                Ok(writer) => Some((writer, path)),
                Err(e) => return fail(format_args!("cannot create {}: {e}", output_name(path))),
            }
        }
        None => None,
    };
    let mut no_tap = NoTap;
    let tap: &mut dyn PacketTap = match capture.as_mut() {
        Some((writer, _)) => writer,
        None => &mut no_tap,
    };
    let out = out.unwrap_or(Path::new(STDOUT_PATH));
    let log = match Output::create(out) {
        Ok(log) => log,
        Err(e) => return fail(format_args!("cannot create {}: {e}", output_name(out))),
    };
    let outcome = match run_to(&scenario, base, (seed, opts), (format, selection), log, tap) {
        Ok((outcome, log)) => match log.commit() {
            Ok(()) => outcome,
            Err(e) => return cannot_write(out, e),
        },
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            return fail(format_args!("{}: {e}", file.display()));
        }
        Err(e) => return cannot_write(out, e),
    };
    if let Some((writer, path)) = capture {
        if let Err(e) = writer.finish().and_then(Output::commit) {
            return cannot_write(path, e);
        }
    }
    if let Some(path) = keylog {
        let written = Output::create(path).and_then(|mut w| {
            for line in &outcome.keylog {
                writeln!(w, "{line}")?;
            }
            w.commit()
        });
        if let Err(e) = written {
            return cannot_write(path, e);
        }
    }
    limit_status(file, &scenario, outcome.end)
}

fn cmd_check(file: &Path, seed: Option<u64>, opts: RunOptions) -> i32 {
    let scenario = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(scenario.seed);
    let (outcome, failures) = match run_and_check(&scenario, base_of(file), seed, opts) {
        Ok(checked) => checked,
        Err(e) => return fail(format_args!("{}: {e}", file.display())),
    };
    let name = file.display();
    if let Some(limit) = limit_reached(&scenario, outcome.end) {
        // Expectations about the end of a run that never ended say nothing.
        println!("LIMIT {name} (seed {seed}): the run reached {limit} before it finished");
        for f in &failures {
            println!("  - {f}");
        }
        return limit_status(file, &scenario, outcome.end);
    }
    if failures.is_empty() {
        println!(
            "PASS {name} (seed {seed}, {} steps, ended at {})",
            outcome.steps, outcome.time
        );
        0
    } else {
        println!("FAIL {name} (seed {seed})");
        for f in &failures {
            println!("  - {f}");
        }
        EXIT_FAILED
    }
}

/// The scenario `step --lesson` teaches when given none: the documented session.
const DEFAULT_LESSON: &str = "scenarios/google-spdy.ron";

fn cmd_step(
    file: &Path,
    seed: Option<u64>,
    (script, script_file): (Option<&str>, Option<&Path>),
    lesson: bool,
) -> i32 {
    let scenario = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(scenario.seed);
    let mut events: Vec<Event> = Vec::new();
    if let Err(e) = run_in(
        &scenario,
        base_of(file),
        seed,
        RunOptions::default(),
        &mut events,
        &mut NoTap,
    ) {
        return fail(format_args!("{}: {e}", file.display()));
    }
    let stdout = io::stdout();
    let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = BufWriter::new(stdout.lock());
    let script = match (script, script_file) {
        (Some(s), _) => Some(s.to_string()),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(s) => Some(s),
            Err(e) => return fail(format_args!("cannot read {}: {e}", path.display())),
        },
        (None, None) => None,
    };
    let result = match (script, lesson) {
        (Some(script), false) => run_script(&events, &script, &mut out, colour),
        (None, false) => run_interactive(&events, io::stdin().lock(), &mut out, colour),
        (script, true) => {
            let lesson = Lesson::from_events(&scenario.name, &events);
            match script {
                Some(script) => run_lesson_script(&lesson, &script, &mut out),
                None => run_lesson_interactive(&lesson, io::stdin().lock(), &mut out),
            }
        }
    };
    match result.and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => fail(e),
    }
}

fn cmd_shrink(file: &Path, seed: Option<u64>, out: &Path, max_runs: usize) -> i32 {
    let scenario = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(scenario.seed);
    let base = base_of(file);
    let shrunk = match shrink(&scenario, base, seed, max_runs) {
        Ok(s) => s,
        Err(ShrinkError::Passes) => {
            return fail(format_args!(
                "{} meets its expectations with seed {seed}: nothing to shrink",
                file.display()
            ));
        }
        Err(ShrinkError::Run(e)) => return fail(format_args!("{}: {e}", file.display())),
    };
    let mut min = shrunk.scenario.clone();
    min.description = format!(
        "Shrunk by tlsim shrink from {} (seed {seed}); still fails: {}",
        file.display(),
        shrunk.failure
    );
    // Key files stay where they are: name them from where the result goes.
    let out_dir = base_of(out);
    for key in &mut min.pki.keys {
        if let KeyKind::RsaPem(path) = &mut key.kind {
            *path = relative_to(&base.join(&*path), out_dir)
                .to_string_lossy()
                .into_owned();
        }
    }
    // Loaded above, so readable: its spelling of durations is kept.
    let original = std::fs::read_to_string(file).unwrap_or_default();
    let written = to_min_ron(&min, &original)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        .and_then(|text| {
            let mut w = Output::create(out)?;
            w.write_all(text.as_bytes())?;
            w.commit()
        });
    if let Err(e) = written {
        return fail(format_args!("cannot write {}: {e}", output_name(out)));
    }
    // With the scenario on standard output, the report goes beside it on
    // standard error, so that `--out - > min.ron` saves the scenario alone.
    let mut report_to: Box<dyn Write> = if out == Path::new(STDOUT_PATH) {
        Box::new(io::stderr())
    } else {
        Box::new(io::stdout())
    };
    let report = shrink_report(&scenario, &min, file, (seed, out), &shrunk, &mut report_to);
    match report {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => fail(e),
    }
}

/// What `shrink` found, what it cut and where the result went.
fn shrink_report(
    original: &Scenario,
    min: &Scenario,
    file: &Path,
    (seed, written_to): (u64, &Path),
    shrunk: &Shrunk,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(
        out,
        "FAIL {} (seed {seed}): {}",
        file.display(),
        shrunk.failure
    )?;
    writeln!(
        out,
        "shrunk in {} runs: {} -> {} timeline steps, {} -> {} link directions with randomness",
        shrunk.runs,
        original.timeline.len(),
        min.timeline.len(),
        random_directions(original),
        random_directions(min),
    )?;
    for what in &shrunk.cut {
        writeln!(out, "  cut {what}")?;
    }
    if written_to == Path::new(STDOUT_PATH) {
        return writeln!(out, "wrote it to standard output");
    }
    let path = written_to.display();
    writeln!(out, "wrote {path}; replay: tlsim check {path}")
}

/// Link directions with jitter, loss, duplication, reordering or corruption.
fn random_directions(s: &Scenario) -> usize {
    (s.links.iter())
        .flat_map(|l| std::iter::once(&l.conditions).chain(&l.reverse))
        .filter(|c| {
            c.jitter.0 > tlsim_sim::Duration::ZERO
                || [c.loss, c.duplicate, c.reorder, c.corrupt]
                    .iter()
                    .any(|p| p.0 > 0.0)
        })
        .count()
}

/// `target` as a path relative to the folder `from`, when both resolve;
/// otherwise `target` as it is.
fn relative_to(target: &Path, from: &Path) -> PathBuf {
    let here = |p: &Path| {
        if p.as_os_str().is_empty() {
            Path::new(".").to_path_buf()
        } else {
            p.to_path_buf()
        }
    };
    let (Ok(target_abs), Ok(from_abs)) = (target.canonicalize(), here(from).canonicalize()) else {
        return target.to_path_buf();
    };
    let common = (target_abs.components())
        .zip(from_abs.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = from_abs.components().count() - common;
    std::iter::repeat_n(Path::new(".."), ups)
        .map(Path::to_path_buf)
        .chain(
            target_abs
                .components()
                .skip(common)
                .map(|c| PathBuf::from(c.as_os_str())),
        )
        .collect()
}

/// Runs the command line `args` (the program name first) and returns the exit status.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Run {
            file,
            seed,
            format,
            out,
            pcap,
            capture_at,
            connection,
            layer,
            keylog,
            jobs,
        } => cmd_run(
            &file,
            (seed, run_options(jobs, keylog.is_some())),
            (
                format,
                Selection {
                    connection,
                    layers: layer,
                },
            ),
            out.as_deref(),
            (pcap.as_deref(), capture_at),
            keylog.as_deref(),
        ),
        Command::Check { file, seed, jobs } => cmd_check(&file, seed, run_options(jobs, false)),
        Command::Sweep(args) => cmd_sweep(&args),
        Command::Shrink {
            file,
            seed,
            out,
            max_runs,
        } => cmd_shrink(&file, seed, &out, max_runs),
        Command::Step {
            file,
            seed,
            script,
            script_file,
            lesson,
        } => {
            let file = file.unwrap_or_else(|| PathBuf::from(DEFAULT_LESSON));
            cmd_step(
                &file,
                seed,
                (script.as_deref(), script_file.as_deref()),
                lesson,
            )
        }
        Command::Connect(args) => cmd_connect(&args),
        Command::Serve(args) => cmd_serve(&args),
        Command::Probe(args) => cmd_probe(&args),
    }
}
