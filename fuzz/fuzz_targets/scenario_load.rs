//! The scenario loader: any text loads or fails with an error that names
//! a line and a column (both from 1), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(source) = core::str::from_utf8(input) else {
        return;
    };
    if let Err(e) = tlsim_scenario::parse(source, "fuzz.ron") {
        assert!(e.line >= 1 && e.col >= 1, "no position: {e}");
    }
});
