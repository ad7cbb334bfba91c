#![no_main]
//! Fuzz target `workspace`: see `baton_fuzz::workspace`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_fuzz::workspace(data));
