#![no_main]
//! Fuzz target `lsp_resync`: see `baton_fuzz::lsp_resync`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_fuzz::lsp_resync(data));
