//! Scenarios: what a `.ron` file says, how it is checked, and how it runs.
//!
//! - [`schema`]: the file format, documented type by type;
//! - [`load`]: reading a file, with line and column for every error;
//! - [`runner`]: building the network and driving the simulation;
//! - [`real`]: the same ends over real sockets, against real TLS peers;
//! - [`ends`]: what runs on each end of a connection (plain TCP, TLS, SPDY, a conversation);
//! - [`expect`]: checking a run against the scenario's expectations;
//! - [`shrink`]: reducing a failing scenario to a smaller one that fails the same way;
//! - `strategies` (feature `strategies`): proptest strategies for whole scenarios.
//!
//! Start with [`load::load_file`], then [`runner::run`].

#![forbid(unsafe_code)]

pub mod codepoints;
pub mod digest;
pub mod ends;
pub mod expect;
pub mod load;
mod locate;
mod names;
pub mod pki;
pub mod real;
mod rehearsal;
pub mod runner;
pub mod schema;
pub mod shrink;
#[cfg(feature = "strategies")]
pub mod strategies;
pub mod units;

pub use load::{ScenarioError, load_file, parse};
pub use names::{CertName, ConnName, HostName, KeyName, NewConnName, TlsClientName, TlsServerName};
pub use runner::{End, Outcome, RunOptions, run, run_in};
pub use schema::Scenario;
