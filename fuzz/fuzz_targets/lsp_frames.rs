#![no_main]
//! Fuzz target `lsp_frames`: see `baton_fuzz::lsp_frames`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_fuzz::lsp_frames(data));
