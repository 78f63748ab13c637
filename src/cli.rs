//! The commands: `tlsim run` and `tlsim check`.
//!
//! Exit status: 0 success; 1 an expectation failed (`check`); 2 the input
//! was bad or an output could not be written (nothing is left half-written);
//! 3 the run hit `max_time` or `max_events` before it finished.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use tlsim_net::{NoTap, PacketTap, PcapWriter};
use tlsim_scenario::expect::{EventChecker, check};
use tlsim_scenario::{End, RunOptions, Scenario, load_file, run};
use tlsim_sim::{NullTracer, Tracer};

use crate::output::{JsonLines, Sequenced, Tee, TextLadder};

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
3 the run hit max_time or max_events.\n\nStart with: tlsim run scenarios/tcp-basic.ron"
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
        /// The scenario file (RON), e.g. scenarios/tcp-basic.ron.
        file: PathBuf,
        /// Seed for every random stream, instead of the scenario's own.
        #[arg(long)]
        seed: Option<u64>,
        /// How to write the event log: a text ladder for people, or JSON
        /// lines (one event per line, the complete record).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write the log to this file instead of standard output.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Also write every packet, as sent, to this pcap file (LINKTYPE_RAW,
        /// IPv4) for Wireshark or tshark.
        #[arg(long, value_name = "PATH")]
        pcap: Option<PathBuf>,
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
    },
}

/// Event log formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per event: time, actor, kind, title, fields.
    Text,
    /// One JSON object per line, with every field and byte.
    Jsonl,
}

/// A file that appears at its path only when [`commit`](Self::commit)ted;
/// dropped uncommitted, it leaves nothing behind.
struct PendingFile {
    temp: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl PendingFile {
    fn create(path: &Path) -> io::Result<(Self, BufWriter<File>)> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.partial"));
        let file = File::create(&temp)?;
        Ok((
            PendingFile {
                temp,
                path: path.to_path_buf(),
                committed: false,
            },
            BufWriter::new(file),
        ))
    }

    fn commit(mut self) -> io::Result<()> {
        std::fs::rename(&self.temp, &self.path)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("tlsim: {message}");
    EXIT_ERROR
}

fn load(file: &Path) -> Result<Scenario, i32> {
    load_file(file).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_ERROR
    })
}

/// A log sink of either format.
enum Log<W: Write> {
    Text(TextLadder<W>),
    Json(JsonLines<W>),
}

impl<W: Write> Tracer for Log<W> {
    fn record(&mut self, event: tlsim_sim::Event) {
        match self {
            Log::Text(t) => t.record(event),
            Log::Json(j) => j.record(event),
        }
    }
}

impl<W: Write> Log<W> {
    fn finish(self) -> io::Result<W> {
        match self {
            Log::Text(t) => t.finish(),
            Log::Json(j) => j.finish(),
        }
    }
}

fn run_to(
    scenario: &Scenario,
    seed: u64,
    format: Format,
    out: impl Write,
    tap: &mut dyn PacketTap,
) -> io::Result<(tlsim_scenario::Outcome, impl Write)> {
    let log = match format {
        Format::Text => Log::Text(TextLadder::new(out)),
        Format::Jsonl => Log::Json(JsonLines::new(out)),
    };
    let mut tracer = Sequenced::new(log);
    let outcome = run(scenario, seed, RunOptions::default(), &mut tracer, tap);
    let out = tracer.into_inner().finish()?;
    Ok((outcome, out))
}

fn limit_status(end: End) -> i32 {
    match end {
        End::Quiescent => 0,
        End::MaxTime | End::MaxEvents => {
            eprintln!(
                "tlsim: the run stopped at a limit before it finished (see the last event of the log)"
            );
            EXIT_LIMIT
        }
    }
}

fn cmd_run(
    file: &Path,
    seed: Option<u64>,
    format: Format,
    out: Option<&Path>,
    pcap: Option<&Path>,
) -> i32 {
    let scenario = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(scenario.seed);
    // Outputs are written beside their final names and renamed into place
    // only when the run has completed; on any error they vanish.
    let mut capture = match pcap {
        Some(path) => match PendingFile::create(path)
            .and_then(|(pending, w)| Ok((pending, PcapWriter::new(w)?)))
        {
            Ok(c) => Some(c),
            Err(e) => return fail(format_args!("cannot create {}: {e}", path.display())),
        },
        None => None,
    };
    let mut no_tap = NoTap;
    let tap: &mut dyn PacketTap = match capture.as_mut() {
        Some((_, writer)) => writer,
        None => &mut no_tap,
    };
    let outcome = match out {
        Some(path) => {
            let (pending, writer) = match PendingFile::create(path) {
                Ok(p) => p,
                Err(e) => return fail(format_args!("cannot create {}: {e}", path.display())),
            };
            let outcome = match run_to(&scenario, seed, format, writer, tap) {
                Ok((outcome, _)) => outcome,
                Err(e) => return fail(format_args!("cannot write {}: {e}", path.display())),
            };
            if let Err(e) = pending.commit() {
                return fail(format_args!("cannot write {}: {e}", path.display()));
            }
            outcome
        }
        None => match run_to(
            &scenario,
            seed,
            format,
            BufWriter::new(io::stdout().lock()),
            tap,
        ) {
            Ok((outcome, _)) => outcome,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return 0,
            Err(e) => return fail(format_args!("cannot write the log: {e}")),
        },
    };
    if let (Some((pending, writer)), Some(path)) = (capture, pcap) {
        if let Err(e) = writer
            .finish()
            .and_then(|mut w| w.flush())
            .and_then(|()| pending.commit())
        {
            return fail(format_args!("cannot write {}: {e}", path.display()));
        }
    }
    limit_status(outcome.end)
}

fn cmd_check(file: &Path, seed: Option<u64>) -> i32 {
    let scenario = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(scenario.seed);
    let mut tracer = Sequenced::new(Tee(EventChecker::new(&scenario.expect), NullTracer));
    let outcome = run(
        &scenario,
        seed,
        RunOptions::default(),
        &mut tracer,
        &mut NoTap,
    );
    let Tee(events, _) = tracer.into_inner();
    let failures = check(&scenario.expect, &outcome, &events);
    let name = file.display();
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
        } => cmd_run(&file, seed, format, out.as_deref(), pcap.as_deref()),
        Command::Check { file, seed } => cmd_check(&file, seed),
    }
}
