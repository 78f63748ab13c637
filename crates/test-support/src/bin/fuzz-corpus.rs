//! Writes the fuzz targets' seed corpora from the shipped scenarios.
//!
//! Run from the repository root:
//! `cargo run -p tlsim-test-support --bin fuzz-corpus [SCENARIOS] [OUT]`
//! (default `scenarios` and `fuzz/corpus`). Each target's folder
//! `OUT/<target>/` is emptied, then filled with one file per input.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let scenarios = PathBuf::from(args.next().unwrap_or_else(|| "scenarios".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
    match write(&scenarios, &out) {
        Ok(summary) => {
            print!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn write(scenarios: &std::path::Path, out: &std::path::Path) -> Result<String, String> {
    let corpus = tlsim_test_support::corpus::build(scenarios)?;
    let mut summary = String::new();
    for (target, inputs) in &corpus {
        let dir = out.join(target);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut bytes = 0;
        for (name, input) in inputs {
            let path = dir.join(name);
            std::fs::write(&path, input).map_err(|e| format!("{}: {e}", path.display()))?;
            bytes += input.len();
        }
        summary += &format!("{target}: {} inputs, {bytes} bytes\n", inputs.len());
    }
    Ok(summary)
}
