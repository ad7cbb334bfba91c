#![no_main]
//! Fuzz target `handoff`: see `baton_fuzz::handoff`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_fuzz::handoff(data));
