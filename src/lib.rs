//! The `tlsim` command line, as a library so that tests and benches can
//! drive it: event-log renderings ([`output`]), the commands ([`cli`]), sweeps
//! over many seeds ([`sweep`]) and the guided lesson of a run ([`lesson`]).
//!
//! Protocol logic lives in the crates under `crates/`; this package only
//! wires them to files and terminals.

#![forbid(unsafe_code)]

pub mod cli;
pub mod grid;
pub mod html;
pub mod lesson;
pub mod mermaid;
pub mod output;
pub mod plot;
mod real_cmd;
pub mod step;
pub mod sweep;
