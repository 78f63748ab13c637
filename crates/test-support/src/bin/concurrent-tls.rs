//! Writes the scenario of COUNT TLS connections in flight at once (see
//! `tlsim_test_support::concurrent`) to standard output:
//! `cargo run -p tlsim-test-support --bin concurrent-tls -- 100000 > c.ron`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let count = std::env::args().nth(1).map(|a| a.parse::<u32>());
    match count {
        Some(Ok(count)) if count > 0 => {
            print!(
                "{}",
                tlsim_test_support::concurrent::concurrent_tls_scenario(count)
            );
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: concurrent-tls COUNT (a number of connections, at least 1)");
            ExitCode::from(2)
        }
    }
}
