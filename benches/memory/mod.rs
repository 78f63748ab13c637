//! One run of a bench's scenario, measured outside criterion: its wall
//! and CPU time, and how far it raised the resident set at its highest.
//! On a machine shared with other work the CPU time is the steadier figure.

use std::time::{Duration, Instant as WallClock};

/// A field of `/proc/self/status` in bytes (Linux; `None` elsewhere).
fn status_bytes(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: usize = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// What one run returned, and what it cost.
pub(crate) struct Measured<T> {
    pub(crate) value: T,
    /// Wall-clock time of the run.
    pub(crate) wall: Duration,
    /// CPU time of the run, all threads, user and system.
    pub(crate) cpu: Option<Duration>,
    /// How far the resident set rose above where it stood before, at its
    /// highest (Linux only).
    pub(crate) peak_rise: Option<usize>,
}

/// Runs `f` once and measures it (Linux: writing 5 to
/// `/proc/self/clear_refs` resets the high-water mark first).
pub(crate) fn measure<T>(f: impl FnOnce() -> T) -> Measured<T> {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_bytes("VmRSS:");
    // CLOCK_PROCESS_CPUTIME_ID: user and system time of every thread.
    let cpu_before = cpu_time::ProcessTime::try_now().ok();
    let start = WallClock::now();
    let value = f();
    let wall = start.elapsed();
    let cpu = cpu_before.and_then(|before| before.try_elapsed().ok());
    let peak = status_bytes("VmHWM:");
    let peak_rise = match (reset, before, peak) {
        (true, Some(before), Some(peak)) => Some(peak.saturating_sub(before)),
        _ => None,
    };
    Measured {
        value,
        wall,
        cpu,
        peak_rise,
    }
}

impl<T> Measured<T> {
    /// Prints the run's figures per connection, labelled as one run.
    pub(crate) fn print_per_connection(&self, label: &str, connections: u32) {
        let per_connection = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(connections);
        let mut line = format!(
            "{label}: one run (not criterion) {:.2} s wall, {:.1} µs per connection",
            self.wall.as_secs_f64(),
            per_connection(self.wall)
        );
        if let Some(cpu) = self.cpu {
            line += &format!(
                "; {:.2} s CPU, {:.1} µs per connection",
                cpu.as_secs_f64(),
                per_connection(cpu)
            );
        }
        if let Some(peak) = self.peak_rise {
            line += &format!(
                "; peak resident memory of the run {} bytes per connection",
                peak / connections as usize
            );
        }
        println!("{line}");
    }
}
