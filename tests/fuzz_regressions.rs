//! Replays the fuzzing corpus and every crasher the fuzzers ever found through the fuzz
//! harnesses (`fuzz/src/lib.rs`), so each test run re-checks what fuzzing established: no panic,
//! well-formed findings and fixes, incremental analysis equal to analysis from scratch.
//!
//! `fuzz/corpus/TARGET/` holds the minimised corpus of the last long run, `fuzz/regressions/TARGET/`
//! the crashers (named after the bug they found). See docs/fuzzing.md.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)] // the edit-session helpers serve tests/incremental.rs
mod harness;

use std::path::Path;

type Harness = fn(&[u8]);

const TARGETS: &[(&str, Harness)] = &[
    ("workspace", harness::workspace),
    ("config", harness::config),
    ("handoff", harness::handoff),
    ("lsp_frames", harness::lsp_frames),
    ("lsp_resync", harness::lsp_resync),
    ("edits", harness::edits),
];

/// Runs `harness` on every file of `fuzz/<kind>/<target>/`; returns how many there were.
fn replay(kind: &str, target: &str, harness: Harness) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(kind).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return 0 };
    let mut paths: Vec<_> = entries.map(|e| e.expect("a readable directory entry").path()).collect();
    paths.sort();
    for path in &paths {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| harness(&data));
        assert!(outcome.is_ok(), "fuzz input {} fails again (see the panic above)", path.display());
    }
    paths.len()
}

#[test]
fn past_crashers_stay_fixed() {
    let replayed: usize = TARGETS.iter().map(|(target, harness)| replay("regressions", target, *harness)).sum();
    assert!(replayed >= 3, "fuzz/regressions holds only {replayed} inputs");
}

#[test]
fn corpus_replays_cleanly() {
    for (target, harness) in TARGETS {
        replay("corpus", target, *harness);
    }
}

/// The `workspace` input format that `fuzz/seed.py` writes: NUL-separated chunks, the first byte
/// of each picking the file's place.
#[test]
fn workspace_inputs_split_into_files_by_place() {
    let files = harness::workspace_files(b"\x03create table t();\0\x09[rls]\0\x09again\0\x00x");
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["supabase/migrations/20240100000000_m.sql", "baton.toml", "app/api/f4/route.ts"]);
    assert_eq!(files[0].1, b"create table t();");
}

/// `lsp_resync` over generated garbage made of header and JSON fragments (a seeded, cheap
/// stand-in for the fuzzer on every test run): the requests after it always get through.
#[test]
fn lsp_resync_holds_for_generated_garbage() {
    const PIECES: &[&[u8]] = &[
        b"Content-Length: ",
        b"content-length:",
        b"Content-Type: x",
        b"12",
        b"99999999999999999999",
        b"\r\n",
        b"\n",
        b"\r",
        b"{",
        b"}",
        b"\"",
        b"\\",
        b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":{}}",
        b"Content-L",
        b" ",
        b"[",
        b"x",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut garbage = vec![(next() % 8) as u8];
        for _ in 0..(next() % 12) {
            garbage.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        let outcome = std::panic::catch_unwind(|| harness::lsp_resync(&garbage));
        assert!(outcome.is_ok(), "lsp_resync fails on {:?}", String::from_utf8_lossy(&garbage));
    }
}
