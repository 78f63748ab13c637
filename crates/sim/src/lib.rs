//! The simulation core of tlsim: what every other crate agrees on.
//!
//! - [`time`]: virtual time as integer nanoseconds ([`Instant`], [`Duration`]).
//!   Nothing in tlsim reads a wall clock; time only moves when the runner
//!   jumps to the next queued event.
//! - [`queue`]: the event queue, ordered by `(time, insertion sequence)` so that
//!   simultaneous events run in the order they were scheduled.
//! - [`rng`]: one ChaCha20 stream per named purpose, derived from the scenario
//!   seed and a label, so adding a stream never shifts another's draws.
//! - [`buffers`]: byte buffers handed from one connection to the next, so
//!   that dozens in flight share a few that stay in the cache.
//! - [`calendar`]: civil dates in UTC, for certificates and scenario epochs.
//! - [`event`]: the event record that every layer emits and every output
//!   (JSON lines, text ladder, diagrams, pcap) renders, and the [`Tracer`]
//!   trait through which it is emitted.
//!
//! This crate knows nothing of TCP or TLS.

#![forbid(unsafe_code)]

pub mod buffers;
pub mod calendar;
pub mod event;
pub mod queue;
pub mod rng;
pub mod time;

pub use event::{Event, Field, Kind, Layer, NullTracer, Tracer};
pub use queue::{Due, Queue};
pub use rng::{Probability, RngStream, StreamSeed};
pub use time::{Duration, Instant};
