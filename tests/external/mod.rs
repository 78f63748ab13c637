//! Tests that need a tool from outside (tshark, OpenSSL, GnuTLS, curl):
//! each skips with a printed reason where its tool is missing, unless
//! `TLSIM_REQUIRE_EXTERNAL_TOOLS=1` (as CI sets), which turns a skip into
//! a failure.

use std::process::Command;

/// Whether `tool` runs; a skip (or, in CI, a failure) when it does not.
pub(crate) fn tool_or_skip(tool: &str, args: &[&str], package: &str) -> bool {
    let found = Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("TLSIM_REQUIRE_EXTERNAL_TOOLS").is_none_or(|v| v != "1"),
            "{tool} is required (TLSIM_REQUIRE_EXTERNAL_TOOLS=1) but was not found: apt-get install {package}"
        );
        eprintln!("skipped: {tool} not found (apt-get install {package})");
    }
    found
}
