//! LSP latency and memory through real stdio: `cargo bench --bench lsp`.
//!
//! 1. A 5,000-line TypeScript file is opened, then 200 one-character edits are sent at typing
//!    pace (one every 75 ms); each didChange → publishDiagnostics latency is measured. Baselines
//!    in the same run: the round trip of a trivial request (hover where there is no finding) and
//!    the in-process analysis of the file from scratch.
//! 2. A generated 10,001-file workspace: the time from starting the server to the end of its
//!    scan, to the first and to the last diagnostics, and its RSS with the workspace open,
//!    against its RSS after initializing an empty one.

mod lsp_client;

use std::time::{Duration, Instant};

use lsp_client::{percentile, Server};
use serde_json::json;

const CONTEXT: &str = "import { prisma } from \"./client\";\nexport async function withSystemContext<T>(fn: (tx: typeof prisma) => Promise<T>) { return prisma.$transaction(fn); }\n";

/// A TS file of `lines` lines: async loaders, each using the RLS wrapper; every `every`-th one
/// also calls the raw client outside it (a finding).
fn big_file(lines: usize, every: usize) -> String {
    let mut out = String::from(
        "import { prisma } from \"@/lib/db/client\";\nimport { withSystemContext } from \"@/lib/db/context\";\n\n",
    );
    let mut i = 0;
    while out.lines().count() < lines {
        out.push_str(&format!(
            "// step {i}\nexport async function load{i}(id: string) {{\n  const a = await withSystemContext(async (tx) => tx.run.findMany({{ where: {{ id }} }}));\n  const b = {};\n  return {{ a, b }};\n}}\n\n",
            if i % every == 0 { "await prisma.run.count()" } else { "a.length" }
        ));
        i += 1;
    }
    out
}

fn latency(every: usize) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::create_dir_all(root.join("lib/db")).unwrap();
    std::fs::write(root.join("lib/db/context.ts"), CONTEXT).unwrap();
    let text = big_file(5000, every);
    let path = root.join("src/big.ts");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &text).unwrap();
    let uri = format!("file://{}", path.display());

    // Engine baseline: parse + analyze the file from scratch, in process.
    let config = baton::config::Config::default();
    let mut engine = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let doc = baton::syntax::Document::parse("src/big.ts", baton::syntax::FileKind::TypeScript, text.as_str());
        let facts = baton::engine::WorkspaceFacts::collect(&[&doc], &config);
        std::hint::black_box(baton::engine::analyze_document(&doc, &config, &facts));
        engine.push(start.elapsed());
    }
    engine.sort();

    let mut server = Server::start(&root);
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": text}}),
    );
    server.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri && m["params"]["version"] == 1
    });

    let mut trivial = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        server.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
        );
        trivial.push(start.elapsed());
    }
    let mut edits = Vec::new();
    for n in 0..200 {
        let version = n + 2;
        let line = 3 + (n * 23) % 4900;
        let change = if n % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": "x"})
        } else {
            let prev = 3 + ((n - 1) * 23) % 4900;
            json!({"range": {"start": {"line": prev, "character": 0}, "end": {"line": prev, "character": 1}}, "text": ""})
        };
        std::thread::sleep(Duration::from_millis(75));
        let start = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        let (at, _) = server.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        edits.push(at - start);
    }
    server.stop();
    trivial.sort();
    edits.sort();
    let (p50, p99) = (percentile(&edits, 0.5), percentile(&edits, 0.99));
    let (t50, e50) = (percentile(&trivial, 0.5), percentile(&engine, 0.5));
    let findings = text.matches("await prisma.run.count()").count();
    println!("5,000-line TS file with {findings} findings, 200 one-character edits at 75 ms intervals:");
    println!("  didChange → publishDiagnostics   p50 {p50:>9.2?}   p99 {p99:>9.2?}");
    println!(
        "  baseline: trivial request        p50 {t50:>9.2?}   (edit p50 = {:.1}× it)",
        p50.as_secs_f64() / t50.as_secs_f64()
    );
    println!(
        "  baseline: analysis from scratch  p50 {e50:>9.2?}   (edit p50 = {:.2}× it)",
        p50.as_secs_f64() / e50.as_secs_f64()
    );
}

fn memory() {
    let empty = tempfile::tempdir().unwrap();
    let server = Server::start(&std::fs::canonicalize(empty.path()).unwrap());
    std::thread::sleep(Duration::from_millis(300));
    let baseline = server.rss_kib();
    server.stop();

    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::create_dir_all(root.join("lib/db")).unwrap();
    std::fs::create_dir_all(root.join("supabase/migrations")).unwrap();
    std::fs::write(root.join("lib/db/context.ts"), CONTEXT).unwrap();
    for i in 0..9_700 {
        let dir = root.join(format!("app/api/r{}/", i / 50));
        std::fs::create_dir_all(&dir).unwrap();
        let body = format!(
            "import {{ prisma }} from \"@/lib/db/client\";\nimport {{ withSystemContext }} from \"@/lib/db/context\";\n\nexport async function GET(req: Request) {{\n  const id = new URL(req.url).searchParams.get(\"id\") ?? \"\";\n  const rows = await withSystemContext(async (tx) => tx.item{i}.findMany({{ where: {{ id }} }}));\n  const total = {i} % 10 === 0 ? await prisma.item{i}.count() : rows.length;\n  return Response.json({{ rows, total }});\n}}\n"
        );
        std::fs::write(dir.join(format!("route{i}.ts")), body).unwrap();
    }
    for i in 0..300 {
        let sql = format!("create table public.t{i} (id uuid primary key, owner uuid not null);\nalter table public.t{i} enable row level security;\n");
        std::fs::write(root.join(format!("supabase/migrations/{:05}_t{i}.sql", i)), sql).unwrap();
    }
    let start = Instant::now();
    let mut server = Server::start(&root);
    // The first diagnostics, should any come before the scan's end.
    let first_seen = std::cell::Cell::new(None);
    let is_diagnostics = |m: &serde_json::Value| m["method"] == "textDocument/publishDiagnostics";
    server.wait(|m| {
        if is_diagnostics(m) && first_seen.get().is_none() {
            first_seen.set(Some(start.elapsed()));
        }
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    let scan = start.elapsed();
    let at_scan_end = server.rss_kib();
    // Then the analysis of every file runs, and its diagnostics are published together when it
    // is done: measure once they have started and the server has been quiet for a second (the
    // steady state with the workspace open; a quiet second alone could fall inside the analysis).
    let (first_at, _) = server.wait(is_diagnostics);
    let first = first_seen.get().unwrap_or_else(|| first_at.duration_since(start));
    let published = 1 + server.settle(Duration::from_secs(1));
    let ready = start.elapsed().saturating_sub(Duration::from_secs(1));
    let rss = server.rss_kib();
    server.stop();
    println!("10,001-file workspace (9,700 TS routes, 300 migrations):");
    println!("  scan to $/progress end           {scan:>9.2?}   (RSS then {:.1} MiB)", at_scan_end as f64 / 1024.0);
    println!("  first diagnostics published      {first:>9.2?}   (from starting the server, initialize included)");
    println!("  last diagnostics published       {ready:>9.2?}   ({published} messages after the scan)");
    println!(
        "  RSS with the workspace open      {:>6.1} MiB   (baseline, empty workspace: {:.1} MiB; {:.1}×)",
        rss as f64 / 1024.0,
        baseline as f64 / 1024.0,
        rss as f64 / baseline.max(1) as f64
    );
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // `cargo bench --bench lsp -- latency` (or `dense`, `memory`) runs one part only.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let run = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    // A realistic density (one finding per ~350 lines), then the worst case: a finding in every
    // function, 714 diagnostics (~0.7 MB of JSON) republished on every keystroke.
    if run("latency") {
        latency(50);
    }
    if run("dense") {
        latency(1);
    }
    if run("memory") {
        memory();
    }
}
