//! What a learner meets in the log of every shipped scenario
//! (`scenarios/*.ron` and `scenarios/edge/*.ron`): every TLS, TCP and SPDY
//! event explained, with every value filled in; every protected record
//! opened down to its IV or nonce, MAC or tag and padding; every TCP
//! segment with its IPv4 header.

use std::path::{Path, PathBuf};

use tlsim_net::NoTap;
use tlsim_scenario::{RunOptions, load_file, run_in};
use tlsim_sim::{Event, Field, Kind, Layer};

fn shipped_scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("edge")] {
        files.extend(
            std::fs::read_dir(dir)
                .expect("scenario folder")
                .map(|e| e.expect("readable entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "ron")),
        );
    }
    files.sort();
    files
}

fn log_of(path: &Path) -> Vec<Event> {
    let scenario = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let mut log: Vec<Event> = Vec::new();
    let base = path.parent().expect("scenario folder");
    run_in(
        &scenario,
        base,
        scenario.seed,
        RunOptions::default(),
        &mut log,
        &mut NoTap,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    log
}

fn name(path: &Path) -> String {
    let parent = path.parent().and_then(Path::file_name).unwrap_or_default();
    let stem = path.file_stem().unwrap_or_default();
    format!("{}/{}", parent.to_string_lossy(), stem.to_string_lossy())
}

/// The fields of each `Decrypted` subtree's record: from the record header
/// (depth 0) before it to the next.
fn protected_records(fields: &[Field]) -> Vec<&[Field]> {
    let starts: Vec<usize> = (0..fields.len())
        .filter(|&i| fields[i].depth == 0)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &from)| &fields[from..starts.get(n + 1).copied().unwrap_or(fields.len())])
        .filter(|record| record.iter().any(|f| f.name == "Decrypted"))
        .collect()
}

#[test]
fn every_event_a_learner_meets_is_explained_with_its_values() {
    let mut problems = Vec::new();
    for path in shipped_scenarios() {
        for event in log_of(&path) {
            if !matches!(event.layer, Layer::Tcp | Layer::Tls | Layer::Spdy) {
                continue;
            }
            let what = format!(
                "{} #{} {} {} {:?}",
                name(&path),
                event.seq,
                event.layer.as_str(),
                event.kind.as_str(),
                event.title
            );
            match &event.explain {
                None => problems.push(format!("{what}: no explanation")),
                // A message names the specification section it follows.
                Some(text)
                    if matches!(event.kind, Kind::Send | Kind::Recv)
                        && !(text.contains("RFC") || text.contains("draft")) =>
                {
                    problems.push(format!("{what}: no RFC named in {text:?}"))
                }
                Some(text) if text.contains('{') => {
                    problems.push(format!("{what}: a value not filled in: {text:?}"))
                }
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_protected_record_is_opened_and_every_segment_shows_its_ipv4_header() {
    let mut opened = 0;
    for path in shipped_scenarios() {
        for event in log_of(&path) {
            let what = format!("{} #{} {:?}", name(&path), event.seq, event.title);
            if event.layer == Layer::Tcp && matches!(event.kind, Kind::Send | Kind::Recv) {
                for field in [
                    "Internet Protocol Version 4",
                    "Time to Live",
                    "Header checksum status",
                ] {
                    assert!(event.field_value(field).is_some(), "{what}: no {field}");
                }
            }
            if event.layer != Layer::Tls {
                continue;
            }
            for record in protected_records(&event.fields) {
                let has = |name: &str| record.iter().any(|f| f.name == name && f.span.is_some());
                let cbc = has("MAC") && has("Padding") && has("Padding Length");
                let aead = has("Authentication Tag");
                assert!(
                    has("Encrypted Data") && (cbc || aead),
                    "{what}: a protected record not opened: {record:?}"
                );
                // The message inside is dissected, its spans in the ciphertext.
                let decrypted = record.iter().position(|f| f.name == "Decrypted").unwrap();
                let depth = record[decrypted].depth;
                let inside = &record[decrypted + 1..];
                assert!(
                    inside
                        .first()
                        .is_some_and(|f| f.depth > depth && f.span.is_some()),
                    "{what}: nothing dissected inside: {record:?}"
                );
                opened += 1;
            }
        }
    }
    assert!(
        opened > 100,
        "only {opened} protected records in the shipped scenarios"
    );
}
