#![no_main]
//! Fuzz target `config`: see `baton_fuzz::config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_fuzz::config(data));
