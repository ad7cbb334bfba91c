#![no_main]
//! Fuzz target `edits`: see `baton_fuzz::edits`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_fuzz::edits(data));
