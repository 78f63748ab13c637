//! Bad scenarios as users write them: each file in `tests/bad/` is refused
//! with exit status 2 and exactly the message in its `.err` file, and the
//! extremes (deep nesting, a huge file, a device) end in a clear error too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tlsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("tlsim runs")
}

fn scratch(name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad_input");
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write scenario");
    file
}

#[test]
fn each_bad_file_gives_its_exact_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/bad exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(file.with_extension("err"))
            .unwrap_or_else(|_| panic!("{name} has no .err file"));
        let out = tlsim(&["check", &format!("tests/bad/{name}")]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), expected, "{name}");
        assert!(out.stdout.is_empty(), "{name}: nothing runs");
    }
}

/// `error: FILE:LINE:COL: ` at the start of `stderr`, with LINE and COL from 1.
fn assert_positioned(out: &Output, file: &Path) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let rest = err
        .strip_prefix(&format!("error: {}:", file.display()))
        .unwrap_or_else(|| panic!("{err}"));
    let mut numbers = rest.splitn(3, ':');
    for _ in 0..2 {
        let n: usize = numbers
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("{err}"));
        assert!(n >= 1, "{err}");
    }
}

#[test]
fn deep_nesting_is_refused_at_its_place() {
    let depth = 100_000;
    let text = format!(
        "Scenario(name: \"deep\", hosts: {}{})",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let file = scratch("deep.ron", &text);
    let out = tlsim(&["check", file.to_str().unwrap()]);
    assert_positioned(&out, &file);
}

#[test]
fn a_huge_text_loads_or_is_refused_and_never_crashes() {
    // 20 MB of data in one Text, and a field name that runs on for 1 MB.
    let text = format!(
        r#"Scenario(name: "big", hosts: [Host(name: "a", addr: "10.0.0.1"), Host(name: "b", addr: "10.0.0.2")],
    links: [Link(between: ("a", "b"))],
    listen: [Listen(host: "b", port: 80)],
    timeline: [
        At("0ms", Connect(conn: "c", from: "a", to: "b", port: 80)),
        At("0ms", Send(conn: "c", from: "a", data: Text("{}"))),
    ],
    limits: (max_events: 1000),
    {}: 1,
)"#,
        "x".repeat(20 << 20),
        "y".repeat(1 << 20)
    );
    let file = scratch("huge.ron", &text);
    let out = tlsim(&["check", file.to_str().unwrap()]);
    assert_positioned(&out, &file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.len() < 2000,
        "the message quotes a bounded excerpt: {} bytes",
        err.len()
    );
}

#[test]
fn a_file_that_is_not_text_is_refused_with_its_position() {
    let file = scratch("binary.ron", b"Scenario(\n  name: \"\xff\xfe\",\n)");
    let out = tlsim(&["check", file.to_str().unwrap()]);
    assert_positioned(&out, &file);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"));
}
