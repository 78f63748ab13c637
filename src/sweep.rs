//! `tlsim sweep`: one scenario checked under many seeds, on every core.
//!
//! Worker threads take seeds one at a time and send back what each gave;
//! the results are printed in seed order as soon as the ones before them
//! are in, so the output is the same bytes whatever `--jobs` is and however
//! the threads are scheduled. Each seed's run is the same run `tlsim check`
//! makes, untraced unless the scenario expects events.
//!
//! `--shard K/N` checks every Nth seed of the sweep, from its Kth (in a
//! grid, every Nth run of the grid's points in turn, each with all its
//! seeds); `--merge` reads the JSON lines of all N shards and prints what
//! the whole sweep prints, so a sweep can be split over the tasks of a
//! cluster job.

use std::collections::BTreeMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde::{Deserialize, Serialize};
use tlsim_scenario::expect::run_and_check;
use tlsim_scenario::{Outcome, RunOptions, Scenario};

use crate::cli::{
    EXIT_FAILED, EXIT_LIMIT, base_of, fail, jobs_option, limit_reached, load, threads,
};
use crate::grid::{Point, Vary, points};
use crate::plot::{Line, write_svg};

/// How a sweep reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// A line for each seed that failed or reached a limit, then a summary.
    #[default]
    Text,
    /// One JSON object per seed, in seed order, for tools and for `--merge`.
    Jsonl,
    /// With `--vary`: the summary of each grid point as comma-separated values.
    Csv,
}

/// The part of a sweep one task checks: its `index`th seed and every
/// `of`th after it (`index` counts from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    of: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let expected = || format!("expected K/N with 1 <= K <= N, e.g. 2/8; found {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(expected)?;
        let (index, of) = (k.parse::<u64>(), n.parse::<u64>());
        match (index, of) {
            (Ok(index), Ok(of)) if (1..=of).contains(&index) => Ok(Shard { index, of }),
            _ => Err(expected()),
        }
    }
}

/// The seeds a sweep checks: `count` of them from `from`, or one shard's.
#[derive(Clone, Copy, Debug)]
struct Plan {
    from: u64,
    count: u64,
    shard: Option<Shard>,
}

impl Plan {
    /// The seeds, in order.
    fn seeds(&self) -> Vec<u64> {
        let (first, step) = self.shard.map_or((0, 1), |s| (s.index - 1, s.of));
        (first..self.count)
            .step_by(step as usize)
            .map(|i| self.from + i)
            .collect()
    }

    /// "100 seeds from 7", or "25 seeds of shard 1/4 (100 seeds from 7)",
    /// with `checked` the number of seeds checked.
    fn describe(&self, checked: u64) -> String {
        let whole = format!("{} seeds from {}", self.count, self.from);
        match self.shard {
            None => whole,
            Some(s) => format!("{checked} seeds of shard {}/{} ({whole})", s.index, s.of),
        }
    }
}

/// What a seed's run gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every expectation held.
    Pass,
    /// An expectation failed.
    Fail,
    /// The run reached `max_time` or `max_events` before it finished.
    Limit,
}

/// When a connection's ends completed their handshakes, in simulated
/// nanoseconds since the start of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    /// The connection's name.
    pub conn: String,
    /// The client end, if its handshake completed.
    pub client_ns: Option<u64>,
    /// The server end, if its handshake completed.
    pub server_ns: Option<u64>,
}

/// One seed of a sweep, as `--format jsonl` writes it. The sweep's own
/// scenario, first seed and seed count come with every line, so that
/// `--merge` can tell which lines belong together and whether any is missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRecord {
    /// The scenario file, as the sweep named it.
    pub scenario: String,
    /// With `--vary`: the grid point's values, e.g. `links[0].conditions.loss=0.01`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<String>,
    /// With `--vary`: the point's place in the grid, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_index: Option<usize>,
    /// With `--vary`: how many points the grid has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<usize>,
    /// The sweep's first seed.
    pub from: u64,
    /// How many seeds the whole sweep checks.
    pub count: u64,
    /// This seed.
    pub seed: u64,
    /// Whether its expectations held.
    pub verdict: Verdict,
    /// The first expectation that failed, with what was observed instead.
    pub first_failure: Option<String>,
    /// How many expectations failed.
    pub failures: usize,
    /// The limit the run reached, in the scenario's words, e.g. `max_time (10min)`.
    pub limit: Option<String>,
    /// Simulated time of the run's last step, in nanoseconds.
    pub end_ns: u64,
    /// Simulator steps taken.
    pub steps: u64,
    /// Segments the hosts sent again (data, a SYN or a FIN), counted by the network.
    #[serde(default)]
    pub retransmissions: u64,
    /// Bytes the hosts put on their links, IPv4 and TCP headers included.
    #[serde(default)]
    pub wire_bytes: u64,
    /// Each TLS connection's handshake times, in the order they were opened.
    pub handshakes: Vec<Handshake>,
}

impl SeedRecord {
    fn new(name: &str, plan: &Plan, scenario: &Scenario, seed: u64, checked: Checked) -> Self {
        let (outcome, failures) = checked;
        let limit = limit_reached(scenario, outcome.end);
        let verdict = match (&limit, failures.is_empty()) {
            (Some(_), _) => Verdict::Limit,
            (None, true) => Verdict::Pass,
            (None, false) => Verdict::Fail,
        };
        SeedRecord {
            scenario: name.to_string(),
            point: None,
            point_index: None,
            points: None,
            from: plan.from,
            count: plan.count,
            seed,
            verdict,
            first_failure: failures.first().map(ToString::to_string),
            failures: failures.len(),
            limit,
            end_ns: outcome.time.as_nanos(),
            steps: outcome.steps,
            retransmissions: outcome.wire.retransmissions,
            wire_bytes: outcome.wire.bytes,
            handshakes: (outcome.conns.iter())
                .filter(|c| c.client_end.tls.is_some() || c.server_end.tls.is_some())
                .map(|c| Handshake {
                    conn: c.name.clone(),
                    client_ns: c.client_end.handshake_at.map(|t| t.as_nanos()),
                    server_ns: c.server_end.handshake_at.map(|t| t.as_nanos()),
                })
                .collect(),
        }
    }
}

type Checked = (Outcome, Vec<tlsim_scenario::expect::Failure>);

/// Writes `record` as one line of `--format jsonl`.
fn write_json_line(out: &mut impl Write, record: &SeedRecord) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}

/// Prints a sweep's results in seed order and keeps its tally.
struct Report<W: Write> {
    out: W,
    format: SweepFormat,
    failed: u64,
    first_failed: Option<u64>,
    limited: u64,
    checked: u64,
}

impl<W: Write> Report<W> {
    fn new(out: W, format: SweepFormat) -> Self {
        Report {
            out,
            format,
            failed: 0,
            first_failed: None,
            limited: 0,
            checked: 0,
        }
    }

    fn seed(&mut self, r: &SeedRecord) -> io::Result<()> {
        self.checked += 1;
        match r.verdict {
            Verdict::Pass => {}
            Verdict::Fail => {
                self.failed += 1;
                self.first_failed.get_or_insert(r.seed);
            }
            Verdict::Limit => self.limited += 1,
        }
        match self.format {
            SweepFormat::Jsonl => write_json_line(&mut self.out, r),
            SweepFormat::Text | SweepFormat::Csv => match (r.verdict, &r.limit, &r.first_failure) {
                (Verdict::Limit, Some(limit), _) => writeln!(
                    self.out,
                    "seed {}: LIMIT the run reached {limit} before it finished",
                    r.seed
                ),
                (Verdict::Fail, _, Some(first)) => {
                    writeln!(self.out, "seed {}: FAIL {first}", r.seed)
                }
                _ => Ok(()),
            },
        }
    }

    /// Writes the summary (text only) and gives the exit status: a limit
    /// reached outweighs a failure.
    fn finish(mut self, name: &str, plan: &Plan) -> io::Result<i32> {
        let seeds = plan.describe(self.checked);
        if self.format == SweepFormat::Text {
            if self.limited > 0 {
                writeln!(
                    self.out,
                    "LIMIT {name}: {} of {seeds} reached a limit",
                    self.limited
                )?;
            }
            match self.first_failed {
                None if self.limited == 0 => writeln!(self.out, "PASS {name}: all {seeds}")?,
                None => {}
                Some(first) => {
                    writeln!(
                        self.out,
                        "FAIL {name}: {} of {seeds} (first: {first})",
                        self.failed
                    )?;
                    writeln!(
                        self.out,
                        "shrink it: tlsim shrink {name} --seed {first} --out min.ron"
                    )?;
                }
            }
        }
        self.out.flush()?;
        Ok(if self.limited > 0 {
            EXIT_LIMIT
        } else if self.failed > 0 {
            EXIT_FAILED
        } else {
            0
        })
    }
}

/// A bar with rate and time left, on standard error when it is a terminal.
fn progress_bar(seeds: usize, quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(seeds as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} seeds  {rate} seeds/s  ETA {eta}  {msg}",
    )
    .expect("the template is valid")
    .with_key(
        "rate",
        |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.1}", state.per_sec());
        },
    );
    bar.set_style(style);
    bar
}

/// Checks each scenario of `runs` under its seed on `jobs` threads and
/// hands each result, with its index in `runs`, to `each` in the order of
/// `runs`. Stops at the first error: a run that could not be made (its
/// message), or one from `each`.
fn check_in_order(
    runs: &[(&Scenario, u64)],
    base: &Path,
    jobs: usize,
    mut each: impl FnMut(usize, Checked) -> io::Result<()>,
) -> Result<(), SweepError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (results, received) = mpsc::channel();
    // Threads the seeds leave over rehearse their connections ahead.
    let seed_threads = jobs.min(runs.len()).max(1);
    let opts = RunOptions {
        crypto_threads: (jobs - seed_threads) / seed_threads,
        keylog: false,
        ..RunOptions::default()
    };
    std::thread::scope(|threads| {
        for _ in 0..seed_threads {
            let results = results.clone();
            let (next, stop) = (&next, &stop);
            threads.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(scenario, seed)) = runs.get(i) else {
                        break;
                    };
                    if results
                        .send((i, run_and_check(scenario, base, seed, opts)))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(results);
        // Results that came before those ahead of them in seed order.
        let mut waiting = BTreeMap::new();
        let mut printed = 0;
        for (i, result) in received {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&printed) {
                let done = match result {
                    Ok(checked) => each(printed, checked).map_err(SweepError::Output),
                    Err(message) => Err(SweepError::Run(message)),
                };
                if let Err(e) = done {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                printed += 1;
            }
        }
        Ok(())
    })
}

/// Why a sweep stopped before its end.
enum SweepError {
    /// A seed's run could not be made (its keys or certificates).
    Run(String),
    /// Standard output could not be written.
    Output(io::Error),
}

/// What `tlsim sweep` was asked.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The scenario file (RON).
    #[arg(required_unless_present = "merge")]
    file: Option<PathBuf>,
    /// The first seed (default: the scenario's own).
    #[arg(long, value_name = "SEED")]
    from: Option<u64>,
    /// How many seeds to try (at least 1).
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..))]
    count: u64,
    /// Use this many threads (default: one per core): seeds run side by
    /// side, and the threads they leave over rehearse each run's TLS
    /// handshakes ahead of it (`--count 1` on two cores: one of each).
    /// The output is the same for any number.
    #[arg(long, value_name = "N", value_parser = jobs_option)]
    jobs: Option<usize>,
    /// Check only the Kth of N parts of the sweep (K from 1): its Kth
    /// seed and every Nth after it. `--merge` puts the parts' JSON lines
    /// back together.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Text: a line for each seed that failed, then a summary. JSON lines:
    /// one object per seed (seed, verdict, first failure, simulated end
    /// time, steps, handshake times).
    #[arg(long, value_enum, default_value_t = SweepFormat::Text)]
    format: SweepFormat,
    /// No progress bar (there is one only on a terminal).
    #[arg(long)]
    quiet: bool,
    /// Print what the whole sweep prints from the JSON lines of its shards
    /// (`--shard K/N --format jsonl`), instead of running one.
    #[arg(long, value_name = "FILE", num_args = 1..,
          conflicts_with_all = ["file", "from", "shard", "jobs", "vary"])]
    merge: Vec<PathBuf>,
    /// Sweep every combination of these values of the scenario (repeat
    /// for more), e.g. --vary 'links[0].conditions.loss=0,0.01,0.05': the
    /// path follows the file's structure, the values are written as in it.
    /// Prints a summary per grid point: a table, CSV with --format csv, or
    /// each seed's JSON line with its point.
    #[arg(long, value_name = "PATH=V1,V2,…")]
    vary: Vec<Vary>,
    /// With --vary: also draw the median handshake time against the first
    /// option's values, one line for each combination of the others, as SVG.
    #[arg(long, value_name = "FILE.svg", requires = "vary")]
    plot: Option<PathBuf>,
}

/// The exit status of a sweep that wrote to standard output and failed with `e`.
fn sweep_failed(file: &str, e: SweepError) -> i32 {
    match e {
        SweepError::Run(message) => fail(format_args!("{file}: {message}")),
        // Whoever reads standard output has all they want (`| head`).
        SweepError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        SweepError::Output(e) => fail(format_args!("cannot write standard output: {e}")),
    }
}

/// What the seeds of one grid point gave.
#[derive(Default)]
struct PointSummary {
    seeds: u64,
    passed: u64,
    failed: u64,
    limited: u64,
    /// When the client of the run's first TLS connection completed its
    /// handshake, for each seed where it did; sorted by `finish`.
    handshakes_ns: Vec<u64>,
    ends_ns: Vec<u64>,
    retransmissions: Vec<u64>,
    wire_bytes: Vec<u64>,
}

impl PointSummary {
    fn add(&mut self, r: &SeedRecord) {
        self.seeds += 1;
        match r.verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
            Verdict::Limit => self.limited += 1,
        }
        if let Some(at) = r.handshakes.first().and_then(|h| h.client_ns) {
            self.handshakes_ns.push(at);
        }
        self.ends_ns.push(r.end_ns);
        self.retransmissions.push(r.retransmissions);
        self.wire_bytes.push(r.wire_bytes);
    }

    /// Sorts what was added, for the quantiles.
    fn finish(&mut self) {
        for values in [
            &mut self.handshakes_ns,
            &mut self.ends_ns,
            &mut self.retransmissions,
            &mut self.wire_bytes,
        ] {
            values.sort_unstable();
        }
    }
}

/// The value at quantile `q` of `sorted` (nearest rank), if any.
fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted.get(rank - 1).copied()
}

/// The runs of a grid sweep: each point with each seed, the points in
/// grid order; with a shard, every Nth of them from its Kth, so that
/// shards share out the points when there are few seeds.
fn grid_runs(points: usize, seeds: &[u64], shard: Option<Shard>) -> Vec<(usize, u64)> {
    let (first, step) = shard.map_or((0, 1), |s| (s.index - 1, s.of));
    (0..points)
        .flat_map(|point| seeds.iter().map(move |&seed| (point, seed)))
        .skip(first as usize)
        .step_by(step as usize)
        .collect()
}

/// `tlsim sweep FILE --vary …`: the sweep at every grid point, summarised.
fn cmd_grid(args: &SweepArgs, scenario: &Scenario, plan: &Plan) -> i32 {
    let file = args.file.as_deref().expect("a grid sweeps a file");
    let name = file.display().to_string();
    let grid = match points(scenario, &name, &args.vary) {
        Ok(grid) => grid,
        Err(message) => return fail(message),
    };
    let whole = Plan {
        shard: None,
        ..*plan
    };
    let runs = grid_runs(grid.len(), &whole.seeds(), plan.shard);
    let scenarios: Vec<(&Scenario, u64)> = (runs.iter())
        .map(|&(point, seed)| (&grid[point].scenario, seed))
        .collect();
    let bar = progress_bar(runs.len(), args.quiet);
    let mut out = io::stdout().lock();
    let mut summaries: Vec<PointSummary> = grid.iter().map(|_| PointSummary::default()).collect();
    let jobs = threads(args.jobs);
    let done = check_in_order(&scenarios, base_of(file), jobs, |i, checked| {
        let (index, seed) = runs[i];
        let point = &grid[index];
        let mut record = SeedRecord::new(&name, plan, &point.scenario, seed, checked);
        record.point = Some(point.label.clone());
        record.point_index = Some(index);
        record.points = Some(grid.len());
        summaries[index].add(&record);
        bar.inc(1);
        if args.format == SweepFormat::Jsonl {
            bar.suspend(|| write_json_line(&mut out, &record))?;
        }
        Ok(())
    });
    bar.finish_and_clear();
    if let Err(e) = done {
        return sweep_failed(&name, e);
    }
    summaries.iter_mut().for_each(PointSummary::finish);
    let labels: Vec<&str> = grid.iter().map(|p| p.label.as_str()).collect();
    let status = write_grid(&mut out, args.format, &name, plan, &labels, &summaries);
    if let Some(path) = &args.plot {
        if let Err(message) = plot(path, &args.vary[0], &grid, &summaries) {
            return fail(message);
        }
    }
    status
}

/// Writes a grid's summary in `format` (nothing more for JSON lines,
/// written as they came) and gives the exit status: a limit reached
/// outweighs a failure.
fn write_grid(
    out: &mut impl Write,
    format: SweepFormat,
    name: &str,
    plan: &Plan,
    labels: &[&str],
    summaries: &[PointSummary],
) -> i32 {
    let written = match format {
        SweepFormat::Jsonl => Ok(()),
        SweepFormat::Csv => write_csv(out, labels, summaries),
        SweepFormat::Text => write_table(out, labels, summaries, plan, name),
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        return sweep_failed(name, SweepError::Output(e));
    }
    if summaries.iter().any(|s| s.limited > 0) {
        EXIT_LIMIT
    } else if summaries.iter().any(|s| s.failed > 0) {
        EXIT_FAILED
    } else {
        0
    }
}

/// Draws each point's median handshake time against its value of `first`.
fn plot(
    path: &Path,
    first: &Vary,
    grid: &[Point],
    summaries: &[PointSummary],
) -> Result<(), String> {
    let mut lines: Vec<Line> = Vec::new();
    for (point, summary) in grid.iter().zip(summaries) {
        let index = match lines.iter().position(|l| l.name == point.others) {
            Some(index) => index,
            None => {
                lines.push(Line {
                    name: point.others.clone(),
                    points: Vec::new(),
                });
                lines.len() - 1
            }
        };
        if let Some(ns) = quantile(&summary.handshakes_ns, 0.5) {
            lines[index].points.push((point.first, ns as f64 / 1e6));
        }
    }
    let x_values: Vec<String> = first.value_texts().map(str::to_string).collect();
    write_svg(path, first.path(), &x_values, &lines)
}

/// The columns of a grid summary, in simulated nanoseconds where they are
/// times; retransmissions and bytes on the wire are per seed's run.
const GRID_COLUMNS: &str = "point,seeds,pass,fail,limit,handshake_p50_ns,handshake_p90_ns,handshake_max_ns,end_p50_ns,\
     retransmissions_p50,retransmissions_max,wire_bytes_p50";

fn write_csv(out: &mut impl Write, labels: &[&str], summaries: &[PointSummary]) -> io::Result<()> {
    writeln!(out, "{GRID_COLUMNS}")?;
    let number = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
    for (label, s) in labels.iter().zip(summaries) {
        // RFC 4180: a field with quotes or commas is quoted, its quotes doubled.
        let label = format!("\"{}\"", label.replace('"', "\"\""));
        writeln!(
            out,
            "{label},{},{},{},{},{},{},{},{},{},{},{}",
            s.seeds,
            s.passed,
            s.failed,
            s.limited,
            number(quantile(&s.handshakes_ns, 0.5)),
            number(quantile(&s.handshakes_ns, 0.9)),
            number(s.handshakes_ns.last().copied()),
            number(quantile(&s.ends_ns, 0.5)),
            number(quantile(&s.retransmissions, 0.5)),
            number(s.retransmissions.last().copied()),
            number(quantile(&s.wire_bytes, 0.5)),
        )?;
    }
    Ok(())
}

fn write_table(
    out: &mut impl Write,
    labels: &[&str],
    summaries: &[PointSummary],
    plan: &Plan,
    name: &str,
) -> io::Result<()> {
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let time = |v: Option<u64>| {
        v.map_or("-".to_string(), |v| {
            tlsim_sim::Instant::from_nanos(v).to_string()
        })
    };
    let number = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    let seeds = format!("{} seeds from {}", plan.count, plan.from);
    let shard = plan
        .shard
        .map_or(String::new(), |s| format!(" (shard {}/{})", s.index, s.of));
    writeln!(
        out,
        "{name}: {seeds} at each point{shard}; handshake: when the first TLS client completed it; \
         retransmissions and bytes on the wire: per run"
    )?;
    writeln!(
        out,
        "{:width$}  {:>5} {:>5} {:>5} {:>5}  {:>14} {:>14} {:>14}  {:>14}  {:>8} {:>8} {:>12}",
        "point",
        "seeds",
        "pass",
        "fail",
        "limit",
        "handshake p50",
        "p90",
        "max",
        "end p50",
        "retx p50",
        "max",
        "wire B p50"
    )?;
    for (label, s) in labels.iter().zip(summaries) {
        writeln!(
            out,
            "{label:width$}  {:>5} {:>5} {:>5} {:>5}  {:>14} {:>14} {:>14}  {:>14}  {:>8} {:>8} {:>12}",
            s.seeds,
            s.passed,
            s.failed,
            s.limited,
            time(quantile(&s.handshakes_ns, 0.5)),
            time(quantile(&s.handshakes_ns, 0.9)),
            time(s.handshakes_ns.last().copied()),
            time(quantile(&s.ends_ns, 0.5)),
            number(quantile(&s.retransmissions, 0.5)),
            number(s.retransmissions.last().copied()),
            number(quantile(&s.wire_bytes, 0.5)),
        )?;
    }
    Ok(())
}

const CSV_WITHOUT_GRID: &str = "--format csv writes the summary of a grid: use it with --vary";

/// `tlsim sweep`: a sweep, or the merge of its shards.
pub(crate) fn cmd_sweep(args: &SweepArgs) -> i32 {
    if args.format == SweepFormat::Csv && args.vary.is_empty() && args.merge.is_empty() {
        return fail(CSV_WITHOUT_GRID);
    }
    let Some(file) = &args.file else {
        return cmd_merge(&args.merge, args.format);
    };
    let scenario = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let from = args.from.unwrap_or(scenario.seed);
    let count = args.count;
    if count
        .checked_sub(1)
        .and_then(|n| from.checked_add(n))
        .is_none()
    {
        return fail(format_args!(
            "{count} seeds from {from} go past the largest seed, {}: expected --count of 1 to {}",
            u64::MAX,
            u64::MAX - from + 1
        ));
    }
    let plan = Plan {
        from,
        count,
        shard: args.shard,
    };
    if !args.vary.is_empty() {
        return cmd_grid(args, &scenario, &plan);
    }
    let seeds = plan.seeds();
    let runs: Vec<(&Scenario, u64)> = seeds.iter().map(|&seed| (&scenario, seed)).collect();
    let jobs = threads(args.jobs);
    let name = file.display().to_string();
    let bar = progress_bar(seeds.len(), args.quiet);
    let mut report = Report::new(io::stdout().lock(), args.format);
    let done = check_in_order(&runs, base_of(file), jobs, |i, checked| {
        let record = SeedRecord::new(&name, &plan, &scenario, seeds[i], checked);
        bar.suspend(|| report.seed(&record))?;
        bar.inc(1);
        if report.failed + report.limited > 0 {
            bar.set_message(format!(
                "{} failed, {} at a limit",
                report.failed, report.limited
            ));
        }
        Ok(())
    });
    bar.finish_and_clear();
    if let Err(e) = done {
        return sweep_failed(&name, e);
    }
    report
        .finish(&name, &plan)
        .unwrap_or_else(|e| sweep_failed(&name, SweepError::Output(e)))
}

/// `tlsim sweep --merge FILES`: the shards' JSON lines, printed as the
/// whole sweep prints them.
fn cmd_merge(files: &[PathBuf], format: SweepFormat) -> i32 {
    let mut records: Vec<SeedRecord> = Vec::new();
    for file in files {
        let text = match std::fs::File::open(file) {
            Ok(f) => io::BufReader::new(f),
            Err(e) => return fail(format_args!("cannot read {}: {e}", file.display())),
        };
        for (number, line) in text.lines().enumerate() {
            let line = match line {
                Ok(line) => line,
                Err(e) => return fail(format_args!("cannot read {}: {e}", file.display())),
            };
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(&line) {
                Ok(record) => records.push(record),
                Err(e) => {
                    return fail(format_args!(
                        "{}:{}:{}: not a line of `tlsim sweep --format jsonl`: {e}",
                        file.display(),
                        number + 1,
                        e.column()
                    ));
                }
            }
        }
    }
    if records.iter().any(|r| r.point_index.is_some()) {
        return merge_grid(records, format);
    }
    if format == SweepFormat::Csv {
        return fail(CSV_WITHOUT_GRID);
    }
    let plan = match merged_plan(&mut records) {
        Ok(plan) => plan,
        Err(message) => return fail(message),
    };
    let name = records[0].scenario.clone();
    let mut report = Report::new(io::stdout().lock(), format);
    let written = (records.iter())
        .try_for_each(|r| report.seed(r))
        .and_then(|()| report.finish(&name, &plan));
    written.unwrap_or_else(|e| sweep_failed(&name, SweepError::Output(e)))
}

/// `--merge` of a grid sweep's shards: each point's seeds put together as
/// those of a sweep, then the grid's lines or summary.
fn merge_grid(mut records: Vec<SeedRecord>, format: SweepFormat) -> i32 {
    let points = records[0].points.unwrap_or(0);
    if let Some(other) = (records.iter())
        .find(|r| r.points != Some(points) || r.point_index.is_none_or(|i| i >= points))
    {
        return fail(format_args!(
            "the files are from different sweeps: a grid of {points} points, and seed {} {}",
            other.seed,
            other
                .points
                .map_or("outside any grid".to_string(), |n| format!(
                    "of a grid of {n}"
                ))
        ));
    }
    // Stable: each point's lines stay together, in the order read.
    records.sort_by_key(|r| r.point_index);
    let mut plans = Vec::new();
    let mut rest = &mut records[..];
    for index in 0..points {
        let n = (rest.iter())
            .take_while(|r| r.point_index == Some(index))
            .count();
        let (group, after) = rest.split_at_mut(n);
        if group.is_empty() {
            return fail(format_args!(
                "no seed of grid point {} of {points}: a shard's output was not given",
                index + 1
            ));
        }
        let plan = match merged_plan(group) {
            Ok(plan) => plan,
            Err(message) => return fail(message),
        };
        if let Some(other) = group.iter().find(|r| r.point != group[0].point) {
            return fail(format_args!(
                "grid point {} is {:?} on one line and {:?} on another: the files are from different sweeps",
                index + 1,
                group[0].point.as_deref().unwrap_or_default(),
                other.point.as_deref().unwrap_or_default()
            ));
        }
        plans.push((plan, group[0].scenario.clone()));
        rest = after;
    }
    if let Some((plan, name)) = (plans.iter()).find(|(p, name)| {
        (p.from, p.count, name) != (plans[0].0.from, plans[0].0.count, &plans[0].1)
    }) {
        return fail(format_args!(
            "the files are from different sweeps: {} with {} seeds from {}, and {name} with {} seeds from {}",
            plans[0].1, plans[0].0.count, plans[0].0.from, plan.count, plan.from
        ));
    }
    let mut out = io::stdout().lock();
    let (plan, name) = &plans[0];
    if format == SweepFormat::Jsonl {
        if let Err(e) = records
            .iter()
            .try_for_each(|r| write_json_line(&mut out, r))
        {
            return sweep_failed(name, SweepError::Output(e));
        }
    }
    let mut summaries: Vec<PointSummary> = (0..points).map(|_| PointSummary::default()).collect();
    let mut labels = vec![""; points];
    for r in &records {
        let index = r.point_index.unwrap_or_default();
        summaries[index].add(r);
        labels[index] = r.point.as_deref().unwrap_or_default();
    }
    summaries.iter_mut().for_each(PointSummary::finish);
    write_grid(&mut out, format, name, plan, &labels, &summaries)
}

/// Sorts `records` by seed and checks that they are one whole sweep: the
/// same scenario, first seed and count on every line, and each of its
/// seeds exactly once.
fn merged_plan(records: &mut [SeedRecord]) -> Result<Plan, String> {
    let Some(first) = records.first() else {
        return Err(
            "the files to merge hold no seed: expected the output of `tlsim sweep --format jsonl`"
                .into(),
        );
    };
    let (name, from, count) = (first.scenario.clone(), first.from, first.count);
    if let Some(other) =
        (records.iter()).find(|r| (&r.scenario, r.from, r.count) != (&name, from, count))
    {
        return Err(format!(
            "the files are from different sweeps: {name} with {count} seeds from {from}, and {} with {} seeds from {}",
            other.scenario, other.count, other.from
        ));
    }
    records.sort_by_key(|r| r.seed);
    if let Some(pair) = records.windows(2).find(|pair| pair[0].seed == pair[1].seed) {
        return Err(format!(
            "seed {} appears twice: a shard was given twice",
            pair[0].seed
        ));
    }
    let missing = |seed: u64| {
        format!(
            "seed {seed} of {name}'s {count} seeds from {from} is missing: a shard's output was not given"
        )
    };
    let mut wanted = (0..count).map_while(|i| from.checked_add(i));
    for r in records.iter() {
        match wanted.next() {
            Some(seed) if seed == r.seed => {}
            Some(seed) if seed < r.seed => return Err(missing(seed)),
            _ => {
                return Err(format!(
                    "seed {} lies outside {name}'s {count} seeds from {from}",
                    r.seed
                ));
            }
        }
    }
    if let Some(seed) = wanted.next() {
        return Err(missing(seed));
    }
    Ok(Plan {
        from,
        count,
        shard: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_seed_once() {
        let whole = Plan {
            from: 10,
            count: 11,
            shard: None,
        };
        let mut seeds: Vec<u64> = (1..=3)
            .flat_map(|index| {
                Plan {
                    shard: Some(Shard { index, of: 3 }),
                    ..whole
                }
                .seeds()
            })
            .collect();
        seeds.sort();
        assert_eq!(seeds, whole.seeds());
        let first = Plan {
            shard: Some(Shard { index: 1, of: 3 }),
            ..whole
        };
        assert_eq!(first.seeds(), [10, 13, 16, 19]);
    }

    #[test]
    fn a_shard_is_k_of_n_from_one() {
        assert_eq!("2/8".parse(), Ok(Shard { index: 2, of: 8 }));
        for bad in ["0/8", "9/8", "8", "a/b", "1/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
