//! Throughput of the TypeScript/JavaScript rule pack on a generated workspace.
//!
//! `cargo bench --bench ts_pack` writes a deterministic workspace of 3,003 TS/TSX files (the
//! shared workload of `benches/workload/`: route handlers, services, client components, server
//! pages, DTO modules, scripts, hooks) to a temp dir, loads it, and
//! measures on one thread: parsing alone (the baseline), the workspace facts pass, the query pass
//! with every TS rule switched off, each rule family alone, and all rules together. Figures are
//! recorded in docs/performance.md.

use std::time::{Duration, Instant};

use baton::config::Config;
use baton::engine::{analyze_document, WorkspaceFacts};
use baton::rules::{self, ECMASCRIPT};
use baton::syntax::{Document, FileKind};

#[path = "workload/mod.rs"]
mod workload;

/// Groups of the shared workload: ten TS/TSX files each.
const GROUPS: usize = 300;

fn generate(root: &std::path::Path) -> usize {
    let files = workload::ts_files(GROUPS);
    for (path, text) in &files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    files.len()
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// A configuration with only the TS rules of `family` on (`None`: all TS rules off).
fn config_for(family: Option<&str>) -> Config {
    let mut text = String::from("[rules]\n");
    for rule in rules::all().iter().filter(|r| r.kinds.iter().any(|k| ECMASCRIPT.contains(k))) {
        if Some(rule.family()) != family {
            text.push_str(&format!("\"{}\" = \"off\"\n", rule.id));
        }
    }
    Config::parse(&text, None).unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it, and
    // the test suite must not pay for the benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        println!("ts_pack: run with `cargo bench --bench ts_pack`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = generate(dir.path());
    let sources: Vec<(String, FileKind, String)> = baton::workspace::discover(dir.path())
        .into_iter()
        .map(|s| {
            let text = std::fs::read_to_string(&s.absolute).unwrap();
            (s.relative, s.kind, text)
        })
        .collect();
    let bytes: usize = sources.iter().map(|s| s.2.len()).sum();
    println!("generated {files} files ({:.1} MiB) in {}", bytes as f64 / 1048576.0, dir.path().display());

    // Warm up the query sets and the allocator.
    for (path, kind, text) in sources.iter().take(50) {
        let doc = Document::parse(path.clone(), *kind, text.as_str());
        analyze_document(&doc, &Config::default(), &WorkspaceFacts::default());
    }

    let (docs, parse) =
        time(|| sources.iter().map(|(p, k, t)| Document::parse(p.clone(), *k, t.as_str())).collect::<Vec<_>>());
    let refs: Vec<&Document> = docs.iter().collect();
    let config = Config::default();
    let (facts, facts_time) = time(|| WorkspaceFacts::collect(&refs, &config));
    let analyze =
        |config: &Config| time(|| refs.iter().map(|d| analyze_document(d, config, &facts).len()).sum::<usize>());
    let (_, off) = analyze(&config_for(None));
    let per_second = |d: Duration| files as f64 / d.as_secs_f64();
    println!("\n| pass | time | files/s | × parse |");
    println!("| --- | ---: | ---: | ---: |");
    let row = |name: &str, d: Duration| {
        println!(
            "| {name} | {:.1} ms | {:.0} | {:.2} |",
            d.as_secs_f64() * 1000.0,
            per_second(d),
            d.as_secs_f64() / parse.as_secs_f64()
        );
    };
    row("parse only (baseline)", parse);
    row("workspace facts pass", facts_time);
    row("query pass, every TS rule off", off);
    for family in ["auth", "errors", "patterns", "rls", "security"] {
        let (n, d) = analyze(&config_for(Some(family)));
        row(&format!("query pass + `{family}/*` only ({n} findings)"), d);
    }
    let (n, all) = analyze(&config);
    row(&format!("query pass, all rules ({n} findings)"), all);
    row("parse + facts + all rules", parse + facts_time + all);
}
