#![no_main]
//! Fuzz target stub for password; filled in by its issue.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data;
});
