//! The SQL pack's speed: replaying 300 Supabase-style migrations (~3 MB) and evaluating every
//! SQL rule, against a parse-only baseline over the same files in the same run.
//!
//! `cargo bench --bench sql_pack` measures; under `cargo test` (no `--bench` flag) it runs once
//! on a few files as a smoke test. Figures are recorded in docs/performance-sql.md.

use std::time::{Duration, Instant};

use baton::config::Config;
use baton::engine::SqlRuleContext;
use baton::rules::{self, Matcher};
use baton::sql::MigrationModel;
use baton::syntax::{Document, FileKind};

#[path = "workload/mod.rs"]
mod workload;

/// The shared workload's migrations, without the planted findings (the figures in
/// docs/performance-sql.md were measured on exactly these files).
fn generate(files: usize, bytes_each: usize) -> Vec<(String, String)> {
    workload::sql_migrations(files, bytes_each, false)
}

fn parse_all(files: &[(String, String)]) -> Vec<Document> {
    files.iter().map(|(path, text)| Document::parse(path.clone(), FileKind::Sql, text.as_str())).collect()
}

/// Parse, replay, and run every SQL rule; returns the number of findings.
fn full(files: &[(String, String)], config: &Config) -> usize {
    let docs = parse_all(files);
    let refs: Vec<&Document> = docs.iter().collect();
    let model = MigrationModel::replay(&refs);
    let ctx = SqlRuleContext { model: &model, config, documents: &refs };
    let mut found = Vec::new();
    for rule in rules::all() {
        if let Matcher::Sql(check) = rule.matcher {
            check(&ctx, &mut found);
        }
    }
    found.len()
}

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut result = 0;
    for _ in 0..runs {
        let start = Instant::now();
        result = std::hint::black_box(f());
        best = best.min(start.elapsed());
    }
    (best, result)
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (count, bytes_each, runs) = if measuring { (300, 10_000, 10) } else { (5, 2_000, 1) };
    let files = generate(count, bytes_each);
    let total: usize = files.iter().map(|(_, t)| t.len()).sum();
    let config = Config::default();
    let (parse, _) = best_of(runs, || parse_all(&files).len());
    let (squawk_only, _) = best_of(runs, || {
        files
            .iter()
            .map(|(_, text)| usize::from(squawk_syntax::SourceFile::parse(text).syntax_node().text_range().len()))
            .sum::<usize>()
    });
    println!("sql_pack: squawk-syntax parse alone {:.1} ms", squawk_only.as_secs_f64() * 1e3);
    let (all, findings) = best_of(runs, || full(&files, &config));
    let docs = parse_all(&files);
    let refs: Vec<&Document> = docs.iter().collect();
    let (replay, _) = best_of(runs, || MigrationModel::replay(&refs).tables.len());
    let model = MigrationModel::replay(&refs);
    let ctx = SqlRuleContext { model: &model, config: &config, documents: &refs };
    let mut per_rule: Vec<(Duration, &str)> = rules::all()
        .iter()
        .filter_map(|rule| match rule.matcher {
            Matcher::Sql(check) => Some((
                best_of(runs, || {
                    let mut found = Vec::new();
                    check(&ctx, &mut found);
                    found.len()
                })
                .0,
                rule.id,
            )),
            _ => None,
        })
        .collect();
    per_rule.sort();
    let rules_total: Duration = per_rule.iter().map(|(d, _)| *d).sum();
    println!(
        "sql_pack: replay alone {:.1} ms, rules alone {:.1} ms (slowest: {})",
        replay.as_secs_f64() * 1e3,
        rules_total.as_secs_f64() * 1e3,
        per_rule
            .iter()
            .rev()
            .take(3)
            .map(|(d, id)| format!("{id} {:.1} ms", d.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "sql_pack: {} migrations, {:.2} MB: parse only {:.1} ms; parse + replay + {} SQL rules {:.1} ms ({:.2}x parse, {findings} findings)",
        files.len(),
        total as f64 / 1e6,
        parse.as_secs_f64() * 1e3,
        rules::all().iter().filter(|r| matches!(r.matcher, Matcher::Sql(_))).count(),
        all.as_secs_f64() * 1e3,
        all.as_secs_f64() / parse.as_secs_f64()
    );
    assert!(!measuring || all < Duration::from_secs(1), "the SQL pack must take well under a second");
}
