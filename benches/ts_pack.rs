//! Throughput of the TypeScript/JavaScript rule pack on a generated workspace.
//!
//! `cargo bench --bench ts_pack` writes a deterministic workspace of 3,000+ TS/TSX files (route
//! handlers, services, client components, DTO modules, scripts) to a temp dir, loads it, and
//! measures on one thread: parsing alone (the baseline), the workspace facts pass, the query pass
//! with every TS rule switched off, each rule family alone, and all rules together. Figures are
//! recorded in docs/performance.md.

use std::time::{Duration, Instant};

use baton::config::Config;
use baton::engine::{analyze_document, WorkspaceFacts};
use baton::rules::{self, ECMASCRIPT};
use baton::syntax::{Document, FileKind};

const MODULES: usize = 600;

fn generate(root: &std::path::Path) -> usize {
    let mut count = 0;
    let mut write = |path: String, text: String| {
        let full = root.join(&path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
        count += 1;
    };
    write(
        "lib/db/context.ts".into(),
        "import { prisma } from \"./client\";\nexport async function withUserContext(id: string, fn: (tx: any) => Promise<unknown>) {\n  return prisma.$transaction(async (tx) => fn(tx));\n}\n".into(),
    );
    for i in 0..MODULES {
        write(
            format!("app/api/m{i}/route.ts"),
            format!(
                "import {{ prisma }} from \"@/lib/db/client\";\nimport {{ auth }} from \"@/auth\";\nimport {{ load{i} }} from \"@/lib/services/s{i}\";\n\nexport async function GET(req: Request) {{\n  const session = await auth();\n  if (!session) return new Response(\"Unauthorized\", {{ status: 401 }});\n  const rows = await prisma.item{i}.findMany({{ where: {{ owner: session.user.id }} }});\n  return Response.json({{ rows, extra: await load{i}(session.user.id) }});\n}}\n\nexport async function POST(req: Request) {{\n  const body = await req.json();\n  const row = await prisma.item{i}.create({{ data: body }});\n  load{i}(row.id);\n  return Response.json(row, {{ status: 201 }});\n}}\n"
            ),
        );
        write(
            format!("lib/services/s{i}.ts"),
            format!(
                "import {{ prisma }} from \"@/lib/db/client\";\nimport {{ withUserContext }} from \"@/lib/db/context\";\nimport type {{ Item{i}DTO }} from \"@/lib/dto/d{i}\";\n\nexport async function load{i}(userId: string): Promise<Item{i}DTO[]> {{\n  return withUserContext(userId, async (tx) => {{\n    const rows = await tx.item{i}.findMany({{ take: 10 }});\n    return rows.map((r: any) => ({{ id: r.id, name: String(r.name) }}));\n  }});\n}}\n\nexport async function search{i}(term: string) {{\n  const a = await prisma.$queryRaw`SELECT * FROM t{i} WHERE name = ${{term}}`;\n  const b = await prisma.$queryRawUnsafe(`SELECT * FROM t{i} WHERE name = '${{term}}'`);\n  return [a, b];\n}}\n\nexport function helper{i}(values: number[]) {{\n  let total = 0;\n  for (const v of values) {{\n    if (v > {i}) total += v; else total -= 1;\n  }}\n  return values.filter((v) => v % 2 === 0).map((v) => v * total).reduce((s, v) => s + v, 0);\n}}\n"
            ),
        );
        write(
            format!("components/c{i}.tsx"),
            format!(
                "\"use client\";\nimport {{ useEffect, useState }} from \"react\";\nimport {{ createBrowserClient }} from \"@supabase/ssr\";\n\nconst supabase = createBrowserClient(process.env.NEXT_PUBLIC_SUPABASE_URL!, process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY!);\n\nexport function Widget{i}({{ id }}: {{ id: string }}) {{\n  const [rows, setRows] = useState<unknown[]>([]);\n  useEffect(() => {{\n    supabase.from(\"t{i}\").select().eq(\"id\", id).then(({{ data }}) => setRows(data ?? []), console.error);\n  }}, [id]);\n  return (\n    <ul className=\"list-{i}\">\n      {{rows.map((row, n) => (\n        <li key={{n}}>{{JSON.stringify(row)}}</li>\n      ))}}\n    </ul>\n  );\n}}\n"
            ),
        );
        write(
            format!("lib/dto/d{i}.ts"),
            format!(
                "export type Item{i}DTO = {{ id: string; name: string }};\n\nexport interface Item{i}Dto {{\n  id: string;\n  tags: string[];\n}}\n\nexport function parse{i}(raw: unknown) {{\n  return raw as Item{i}DTO;\n}}\n"
            ),
        );
        write(
            format!("scripts/job{i}.ts"),
            format!(
                "import jwt from \"jsonwebtoken\";\n\nasync function run{i}() {{\n  const res = await fetch(\"https://example.com/{i}\");\n  return res.json();\n}}\n\nexport function check{i}(token: string, key: string) {{\n  return jwt.verify(token, key, {{ algorithms: [\"RS256\"] }});\n}}\n\nrun{i}().then((r) => console.log(r));\n"
            ),
        );
    }
    count
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
