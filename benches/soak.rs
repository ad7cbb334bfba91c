//! Soak test of `baton lsp` (issue #10): random edits to the open files of `examples/wor-321`
//! through real stdio, at a steady rate, checking that the server stays correct, that its memory
//! stays flat and that its latency does not drift.
//!
//! - `cargo bench --bench soak`: the full soak, 100,000 edits over 10 minutes (release build).
//! - `cargo test` (which runs bench binaries without `--bench`): the short version, 3,000 edits
//!   over about 30 seconds (debug build); `.ci/run` runs it that way.
//!
//! Every 100th edit is a probe: the soak waits for the diagnostics of that version and records
//! the latency and the server's RSS. Checks, each failing the run with a message:
//! - RSS: the median of the last tenth of the samples within ±10 % of the median of the second
//!   tenth (the first tenth is warm-up);
//! - latency: the median probe latency of the last quarter at most 1.5× that of the first
//!   quarter plus 5 ms;
//! - correctness: after the last edit, the diagnostics of every file equal those a fresh server
//!   gives for the final texts.

#[path = "../tests/common/mod.rs"]
mod common;
#[allow(dead_code)] // the memory part of `benches/lsp.rs` uses more of the client
mod lsp_client;

use std::path::Path;
use std::time::{Duration, Instant};

use lsp_client::{percentile, Server};
use serde_json::{json, Value};

/// The files edited (relative to the example's root) and their language ids.
const FILES: &[(&str, &str)] = &[
    ("scripts/verify-all-migrations.ts", "typescript"),
    ("supabase/migrations/20240201000000_validation_reports.sql", "sql"),
    ("docs/specs/WOR-321-spec.md", "markdown"),
];

/// Snippets inserted: code that makes and breaks findings, and plain typing.
const INSERTS: &[&str] = &[
    "x",
    " ",
    "\n",
    "await prisma.run.count();\n",
    "create table public.soak (id int primary key);\n",
    "alter table public.soak enable row level security;\n",
    "// note\n",
    "**Status**: In Progress\n",
    "(",
    "'",
    "é",
];

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// One open document as the client sees it.
struct Open {
    uri: String,
    text: String,
    version: i64,
    original_len: usize,
}

/// The LSP position (UTF-16 columns) of byte `offset`.
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[line_start..].encode_utf16().count();
    json!({"line": line, "character": character})
}

/// A random character boundary of `text`.
fn boundary(text: &str, rng: &mut Rng) -> usize {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Applies one random edit to `doc` and returns the `didChange` params.
fn random_edit(doc: &mut Open, rng: &mut Rng) -> Value {
    let start = boundary(&doc.text, rng);
    // Delete more often when the text has grown, so its length random-walks around the original.
    let delete = doc.text.len() > doc.original_len + 2_000 || rng.below(2) == 0;
    let (end, insert) = if delete {
        let mut end = (start + 1 + rng.below(12)).min(doc.text.len());
        while !doc.text.is_char_boundary(end) {
            end += 1;
        }
        (end, "")
    } else {
        (start, INSERTS[rng.below(INSERTS.len())])
    };
    let range = json!({"start": position(&doc.text, start), "end": position(&doc.text, end)});
    doc.text.replace_range(start..end, insert);
    doc.version += 1;
    json!({"textDocument": {"uri": doc.uri, "version": doc.version}, "contentChanges": [{"range": range, "text": insert}]})
}

/// `(code, start line, start character)` of each diagnostic, sorted.
fn summary(diagnostics: &Value) -> Vec<(String, u64, u64)> {
    let mut out: Vec<(String, u64, u64)> = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Opens every file of [`FILES`] and waits for their first diagnostics.
fn open_all(server: &mut Server, root: &Path, texts: &[String]) -> Vec<Value> {
    let mut first = Vec::new();
    for ((path, language), text) in FILES.iter().zip(texts) {
        let uri = uri(&root.join(path));
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
        let (_, message) = server.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri && m["params"]["version"] == 1
        });
        first.push(message["params"]["diagnostics"].clone());
    }
    first
}

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values[values.len() / 2]
}

fn soak(edits: usize, duration: Duration) -> Result<(), String> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/wor-321");
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    common::copy_dir(&example, &root);
    let texts: Vec<String> = FILES.iter().map(|(p, _)| std::fs::read_to_string(root.join(p)).unwrap()).collect();
    let mut server = Server::start(&root);
    open_all(&mut server, &root, &texts);
    let mut docs: Vec<Open> = FILES
        .iter()
        .zip(&texts)
        .map(|((path, _), text)| Open {
            uri: uri(&root.join(path)),
            text: text.clone(),
            version: 1,
            original_len: text.len(),
        })
        .collect();

    let mut rng = Rng(0x5eed_ba70_u64);
    let interval = duration.as_secs_f64() / edits as f64;
    let started = Instant::now();
    let (mut latencies, mut rss) = (Vec::new(), Vec::new());
    let mut last: Vec<Option<Value>> = vec![None; docs.len()];
    for n in 0..edits {
        // Steady pace: edit n is due at n × interval.
        let due = Duration::from_secs_f64(n as f64 * interval);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let i = rng.below(docs.len());
        let params = random_edit(&mut docs[i], &mut rng);
        let sent = Instant::now();
        server.notify("textDocument/didChange", params);
        if n % 100 == 99 || n + 1 == edits {
            let (uri, version) = (docs[i].uri.clone(), docs[i].version);
            let (at, _) = server.wait(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri.as_str()
                    && m["params"]["version"].as_i64() == Some(version)
            });
            latencies.push(at - sent);
            rss.push(server.rss_kib());
        }
    }
    // Every document's final state: the whole text once more, and its diagnostics.
    for (i, doc) in docs.iter_mut().enumerate() {
        doc.version += 1;
        let params = json!({"textDocument": {"uri": doc.uri, "version": doc.version},
            "contentChanges": [{"text": doc.text}]});
        server.notify("textDocument/didChange", params);
        let (uri, version) = (doc.uri.clone(), doc.version);
        let (_, message) = server.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && m["params"]["version"].as_i64() == Some(version)
        });
        last[i] = Some(message["params"]["diagnostics"].clone());
    }
    let elapsed = started.elapsed();
    server.stop();

    // A fresh server on the final texts.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh_root = std::fs::canonicalize(fresh_dir.path()).unwrap();
    common::copy_dir(&example, &fresh_root);
    let finals: Vec<String> = docs.iter().map(|d| d.text.clone()).collect();
    let mut fresh = Server::start(&fresh_root);
    let expected = open_all(&mut fresh, &fresh_root, &finals);
    fresh.stop();

    let quarter = latencies.len() / 4;
    let ms = |d: &Duration| d.as_micros() as u64;
    let mut early: Vec<u64> = latencies[..quarter.max(1)].iter().map(ms).collect();
    let mut late: Vec<u64> = latencies[latencies.len() - quarter.max(1)..].iter().map(ms).collect();
    let (early, late) = (median(&mut early), median(&mut late));
    let tenth = (rss.len() / 10).max(1);
    let mut warm: Vec<u64> = rss[tenth..2 * tenth].to_vec();
    let mut end: Vec<u64> = rss[rss.len() - tenth..].to_vec();
    let (warm, end) = (median(&mut warm), median(&mut end));
    let mut sorted = latencies.clone();
    sorted.sort();
    println!(
        "soak: {edits} edits in {elapsed:.1?} over {} files; probe latency p50 {:.2?} p99 {:.2?}",
        FILES.len(),
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.99)
    );
    println!("  latency drift: first quarter median {early} µs, last quarter {late} µs");
    println!(
        "  RSS: after warm-up {:.1} MiB, at the end {:.1} MiB ({:+.1} %), peak {:.1} MiB",
        warm as f64 / 1024.0,
        end as f64 / 1024.0,
        (end as f64 / warm as f64 - 1.0) * 100.0,
        *rss.iter().max().unwrap() as f64 / 1024.0
    );
    let mut problems = Vec::new();
    if (end as f64 - warm as f64).abs() > warm as f64 * 0.10 {
        problems.push(format!("RSS moved from {warm} KiB to {end} KiB, more than ±10 %"));
    }
    if late as f64 > early as f64 * 1.5 + 5_000.0 {
        problems.push(format!("latency drifted from {early} µs to {late} µs"));
    }
    for (i, (path, _)) in FILES.iter().enumerate() {
        let got = summary(last[i].as_ref().unwrap());
        let want = summary(&expected[i]);
        if got != want {
            problems.push(format!("{path}: after the edits {got:?}, from scratch {want:?}"));
        }
    }
    if problems.is_empty() {
        println!("  ok: memory flat, no drift, final diagnostics equal a fresh server's");
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (edits, duration) = if full { (100_000, Duration::from_secs(600)) } else { (3_000, Duration::from_secs(30)) };
    if let Err(problems) = soak(edits, duration) {
        eprintln!("soak FAILED:\n{problems}");
        std::process::exit(1);
    }
}
