//! Writes the benchmarks' deterministic workspace (see `benches/workload/mod.rs`).
//!
//! `cargo run --release --example bench_workload -- OUT_DIR [--quick]` writes the large
//! workspace (5,003 TS/TSX files, 301 migrations, workflow documents and handoff signals), or
//! with `--quick` a small one, or with `--workflow-repo` a workflow repository's shape (1,600
//! TS/TSX files, 340 migrations, about 2,000 Markdown documents with fenced SQL and TS; add
//! `--no-docs` for the same workspace without those documents, the baseline), then prints one JSON line: the file counts and the planted
//! findings per rule (what `scripts/bench.sh` checks Baton's output against).

#[path = "../benches/workload/mod.rs"]
mod workload;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let workflow_repo = args.iter().any(|a| a == "--workflow-repo");
    // The quick workspace plus 200 workflow documents (scripts/bench_workflow.py --quick).
    let quick_workflow = args.iter().any(|a| a == "--quick-workflow");
    let no_docs = args.iter().any(|a| a == "--no-docs");
    let Some(out) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: bench_workload OUT_DIR [--quick | --quick-workflow | --workflow-repo] [--no-docs]");
        return ExitCode::from(2);
    };
    let mut spec = if quick_workflow {
        workload::Spec { documents: 200, ..workload::Spec::quick() }
    } else if quick {
        workload::Spec::quick()
    } else if workflow_repo {
        workload::Spec::workflow_repo()
    } else {
        workload::Spec::large()
    };
    if no_docs {
        spec.documents = 0;
    }
    let summary = match workload::write(std::path::Path::new(out), &spec) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("bench_workload: cannot write {out}: {e}");
            return ExitCode::from(2);
        }
    };
    let planted = serde_json::to_value(workload::planted(&spec)).unwrap_or_default();
    let line = serde_json::json!({
        "files": summary.files,
        "bytes": summary.bytes,
        "ts_files": summary.ts_files,
        "sql_files": summary.sql_files,
        "planted": planted,
    });
    println!("{line}");
    ExitCode::SUCCESS
}
