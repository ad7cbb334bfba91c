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

/// A small deterministic generator (xorshift), so every run replays the same files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const COLUMN_TYPES: &[&str] = &[
    "text",
    "integer",
    "bigint",
    "boolean not null default false",
    "timestamptz default now()",
    "jsonb not null default '{}'::jsonb",
    "numeric(12, 2)",
    "uuid",
];

/// One migration of roughly `target` bytes: tables with keys, indexes, RLS and policies,
/// SECURITY DEFINER RPCs, views, grants and some later ALTERs of earlier tables.
fn migration(i: usize, rng: &mut Rng, target: usize) -> String {
    let mut sql = format!("-- Migration {i}: generated Supabase-style schema change.\n\n");
    let mut t = 0;
    while sql.len() < target {
        let table = format!("t{i}_{t}");
        let parent =
            if i > 0 { format!("public.t{}_{}", rng.below(i as u64), 0) } else { "public.accounts".to_string() };
        if i == 0 && t == 0 {
            sql.push_str("create table public.accounts (\n  id uuid primary key default gen_random_uuid(),\n  name text not null\n);\nalter table public.accounts enable row level security;\n\n");
        }
        sql.push_str(&format!(
            "create table if not exists public.{table} (\n  id uuid primary key default gen_random_uuid(),\n  account_id uuid not null references public.accounts (id) on delete cascade,\n  parent_id uuid references {parent} (id),\n  created_by uuid references auth.users (id) default auth.uid(),\n"
        ));
        for c in 0..(4 + rng.below(8)) {
            let ty = COLUMN_TYPES[rng.below(COLUMN_TYPES.len() as u64) as usize];
            sql.push_str(&format!("  col_{c} {ty},\n"));
        }
        sql.push_str("  created_at timestamptz not null default now()\n);\n\n");
        sql.push_str(&format!("create index if not exists {table}_account_id_idx on public.{table} (account_id);\n"));
        if rng.below(2) == 0 {
            sql.push_str(&format!(
                "create index {table}_parent_id_idx on public.{table} (parent_id, created_at desc);\n"
            ));
        }
        sql.push_str(&format!("alter table public.{table} enable row level security;\n\n"));
        sql.push_str(&format!(
            "create policy \"members read {table}\" on public.{table}\n  for select to authenticated\n  using (account_id in (select m.account_id from public.memberships m where m.user_id = (select auth.uid())));\n\n"
        ));
        sql.push_str(&format!(
            "create policy \"members write {table}\" on public.{table}\n  for insert to authenticated\n  with check (created_by = {} and account_id is not null);\n\n",
            if rng.below(4) == 0 { "auth.uid()" } else { "(select auth.uid())" }
        ));
        if rng.below(3) == 0 {
            sql.push_str(&format!(
                "create or replace function public.{table}_count(p_account uuid)\nreturns bigint\nlanguage sql stable security definer\nset search_path = ''\nas $$\n  select count(*) from public.{table} where account_id = p_account;\n$$;\nrevoke execute on function public.{table}_count(uuid) from public, anon;\n\n"
            ));
        }
        if rng.below(4) == 0 {
            sql.push_str(&format!(
                "create view public.{table}_recent with (security_invoker = true) as\n  select id, account_id, created_at from public.{table} where created_at > now() - interval '30 days';\n\n"
            ));
        }
        if i > 2 && rng.below(3) == 0 {
            let old = format!("public.t{}_{}", rng.below(i as u64 - 1), 0);
            sql.push_str(&format!("alter table {old} add column if not exists note_{i}_{t} text;\ncomment on table {old} is 'touched by migration {i}';\n\n"));
        }
        if rng.below(5) == 0 {
            sql.push_str(&format!(
                "grant select on public.{table} to authenticated;\nrevoke all on public.{table} from anon;\n\n"
            ));
        }
        t += 1;
    }
    sql
}

fn generate(files: usize, bytes_each: usize) -> Vec<(String, String)> {
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut out = vec![(
        "supabase/migrations/00000000000000_memberships.sql".to_string(),
        "create table public.memberships (account_id uuid not null, user_id uuid not null, primary key (account_id, user_id));\n".to_string(),
    )];
    for i in 0..files {
        out.push((
            format!("supabase/migrations/{:014}_m{i}.sql", 20240101000000u64 + i as u64),
            migration(i, &mut rng, bytes_each),
        ));
    }
    out
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
