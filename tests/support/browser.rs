//! External tools for the browser and terminal tests: found on the `PATH`,
//! or the test skips with a message, unless `TLSIM_REQUIRE_EXTERNAL_TOOLS=1`
//! makes a missing tool a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The first of `names` on the `PATH`, or `None` (after printing how to
/// install `package`) when the test should skip.
pub(crate) fn find_tool(names: &[&str], package: &str) -> Option<PathBuf> {
    for name in names {
        let found = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        });
        if found.is_some() {
            return found;
        }
    }
    if std::env::var("TLSIM_REQUIRE_EXTERNAL_TOOLS").as_deref() == Ok("1") {
        panic!(
            "{} is not installed and TLSIM_REQUIRE_EXTERNAL_TOOLS=1",
            names[0]
        );
    }
    eprintln!(
        "skipping: {} is not installed (apt-get install {package})",
        names[0]
    );
    None
}

/// The Chromium binary, or `None` (after printing why) when the test should skip.
pub(crate) fn chromium() -> Option<PathBuf> {
    find_tool(
        &["chromium", "chromium-browser", "google-chrome"],
        "chromium",
    )
}

/// Loads `page#fragment` in headless Chromium, in a window of the given
/// `width,height`, and returns the DOM after the page's script has run.
pub(crate) fn dump_dom_in_window(
    browser: &Path,
    dir: &Path,
    page: &Path,
    fragment: &str,
    size: &str,
) -> String {
    let profile = dir.join("profile");
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--window-size={size}"))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium starts");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
