//! The benchmarks' one workload generator: a deterministic (seeded) Next.js + Prisma + Supabase
//! workspace with findings planted at known rates.
//!
//! Shared by `benches/ts_pack.rs`, `benches/sql_pack.rs` and `examples/bench_workload.rs` (which
//! `scripts/bench.sh` runs) through `#[path]`. Everything is a pure function of its arguments:
//! the same [`Spec`] always writes the same bytes.
//!
//! Each TS group `i` writes ten files (route handlers, a service, a client component, a server
//! page, a DTO module, a script, a hook, helpers and types); which of them carry a planted
//! finding depends on `i` modulo small numbers, so [`planted`] can say exactly how many findings
//! of each rule the workspace holds.

#![allow(dead_code)] // each includer uses part of it

use std::collections::BTreeMap;
use std::path::Path;

/// A small deterministic generator (xorshift), so every run writes the same files.
pub struct Rng(pub u64);

impl Rng {
    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// How big a workspace to write.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// TS groups; each writes [`FILES_PER_GROUP`] TS/TSX files.
    pub groups: usize,
    /// SQL migrations (plus one bootstrap migration).
    pub migrations: usize,
    /// Approximate size of each migration in bytes.
    pub migration_bytes: usize,
    /// Workflow documents (`docs/WORKFLOW-*.md`); each has two handoff signals.
    pub workflows: usize,
    /// Other Markdown documents of a workflow repository ([`plan_documents`]): execution specs,
    /// PRDs, ADRs, audits and archived plans, with fenced SQL and TypeScript.
    pub documents: usize,
}

/// TS/TSX files per group.
pub const FILES_PER_GROUP: usize = 10;

impl Spec {
    /// The issue's workspace: 5,003 TS/TSX files, 301 migrations, 4 workflow documents.
    pub fn large() -> Spec {
        Spec { groups: 500, migrations: 300, migration_bytes: 10_000, workflows: 4, documents: 0 }
    }

    /// A workflow repository's shape (issue #24): 1,600 TS/TSX files, 340 migrations and about
    /// 2,000 Markdown documents with fenced SQL and TypeScript.
    pub fn workflow_repo() -> Spec {
        Spec { groups: 160, migrations: 340, migration_bytes: 6_000, workflows: 4, documents: 2_000 }
    }

    /// A small workspace that still has every planted finding (the harness's quick mode).
    pub fn quick() -> Spec {
        Spec { groups: 24, migrations: 40, migration_bytes: 2_000, workflows: 1, documents: 0 }
    }
}

/// What [`write`] wrote.
pub struct Summary {
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: usize,
    /// TS/TSX files among them.
    pub ts_files: usize,
    /// SQL files among them.
    pub sql_files: usize,
}

/// Writes the whole workspace (`baton.toml`, TS/TSX, migrations, workflow docs, signals) under
/// `root`.
pub fn write(root: &Path, spec: &Spec) -> std::io::Result<Summary> {
    let ts = ts_files(spec.groups);
    let sql = sql_migrations(spec.migrations, spec.migration_bytes, true);
    let mut docs = workflow_files(spec.workflows);
    docs.extend(plan_documents(spec.documents));
    let mut summary = Summary { files: 0, bytes: 0, ts_files: ts.len(), sql_files: sql.len() };
    let config = [("baton.toml".to_string(), CONFIG.to_string())];
    for (path, text) in config.iter().chain(&ts).chain(&sql).chain(&docs) {
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(full, text)?;
        summary.files += 1;
        summary.bytes += text.len();
    }
    Ok(summary)
}

/// The workspace's configuration: the HOF auth wrapper is configured as authenticating.
pub const CONFIG: &str = "[auth]\nwrappers = [\"withAuth\"]\n";

/// Expected findings of the planted rules for `spec`, by rule id. Other rules may report too
/// (the SQL generator's background findings); these are exact.
pub fn planted(spec: &Spec) -> BTreeMap<&'static str, usize> {
    let count = |n: usize, f: &dyn Fn(usize) -> bool| (0..n).filter(|&i| f(i)).count();
    let g = spec.groups;
    let mut out = BTreeMap::new();
    out.insert(
        "rls/prisma-outside-context",
        count(g, &|i| i % 4 == 2) // route without auth
            + count(g, &|i| i % 4 == 3) // route with auth, direct call
            + count(g, &|i| i.is_multiple_of(5)) // service
            + count(g, &|i| i % 4 == 1), // server page (TSX)
    );
    out.insert("auth/route-missing-auth", count(g, &|i| i % 4 == 2));
    out.insert("security/prisma-raw-unsafe", count(g, &|i| i.is_multiple_of(7)));
    out.insert("auth/jwt-verify-no-algorithms", count(g, &|i| i.is_multiple_of(4)));
    out.insert("patterns/dto-interface", count(g, &|i| i.is_multiple_of(2)));
    out.insert("patterns/dto-type-assertion", count(g, &|i| i.is_multiple_of(3)));
    out.insert("errors/floating-promise", count(g, &|i| i.is_multiple_of(3)));
    let m = spec.migrations;
    out.insert("sql/non-concurrent-index", count(m, &|i| i > 2 && i % 10 == 5));
    out.insert("sql/rls-disabled-in-public", count(m, &|i| i % 30 == 7));
    out
}

const CONTEXT: &str = r#"import { prisma } from "./client";
import type { Prisma } from "@prisma/client";

type Tx = Prisma.TransactionClient;

export async function withUserContext<T>(userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.user_id', ${userId}, true)`;
    return fn(tx);
  });
}

export async function withSystemContext<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.role', 'system', true)`;
    return fn(tx);
  });
}
"#;

const CLIENT: &str = r#"import { PrismaClient } from "@prisma/client";

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

export const prisma = globalForPrisma.prisma ?? new PrismaClient();

if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;
"#;

const AUTH: &str = r#"import { getServerSession, type Session } from "next-auth";

export async function auth(): Promise<Session | null> {
  return getServerSession();
}

type Handler = (req: Request, ctx: { session: Session }) => Promise<Response>;

export function withAuth(handler: Handler) {
  return async (req: Request) => {
    const session = await auth();
    if (!session) return new Response("Unauthorized", { status: 401 });
    return handler(req, { session });
  };
}
"#;

/// The TS/TSX files of `groups` groups, plus the shared client, context and auth modules.
pub fn ts_files(groups: usize) -> Vec<(String, String)> {
    let mut out = vec![
        ("lib/db/client.ts".to_string(), CLIENT.to_string()),
        ("lib/db/context.ts".to_string(), CONTEXT.to_string()),
        ("lib/auth.ts".to_string(), AUTH.to_string()),
    ];
    for i in 0..groups {
        out.push((format!("app/api/r{i}/route.ts"), route(i)));
        out.push((format!("app/api/r{i}/[id]/route.ts"), item_route(i)));
        out.push((format!("lib/services/s{i}.ts"), service(i)));
        out.push((format!("components/c{i}.tsx"), component(i)));
        out.push((format!("app/(app)/p{i}/page.tsx"), page(i)));
        out.push((format!("lib/dto/d{i}.ts"), dto(i)));
        out.push((format!("scripts/job{i}.ts"), job(i)));
        out.push((format!("hooks/use-items{i}.ts"), hook(i)));
        out.push((format!("lib/utils/u{i}.ts"), util(i)));
        out.push((format!("lib/types/t{i}.ts"), types(i)));
    }
    out
}

fn route(i: usize) -> String {
    match i % 4 {
        0 => format!(
            r#"import {{ NextResponse }} from "next/server";
import {{ auth }} from "@/lib/auth";
import {{ listItems{i} }} from "@/lib/services/s{i}";

export async function GET(req: Request) {{
  const session = await auth();
  if (!session) return NextResponse.json({{ error: "Unauthorized" }}, {{ status: 401 }});
  const url = new URL(req.url);
  const limit = Number(url.searchParams.get("limit") ?? "20");
  const items = await listItems{i}(session.user.id);
  return NextResponse.json({{ items: items.slice(0, limit) }});
}}
"#
        ),
        1 => format!(
            r#"import {{ withAuth }} from "@/lib/auth";
import {{ withUserContext }} from "@/lib/db/context";

export const GET = withAuth(async (req: Request, {{ session }}) => {{
  const rows = await withUserContext(session.user.id, (tx) => tx.item{i}.findMany({{ take: 20 }}));
  return Response.json(rows);
}});
"#
        ),
        2 => format!(
            r#"import {{ prisma }} from "@/lib/db/client";

export async function GET(req: Request) {{
  const url = new URL(req.url);
  const rows = await prisma.item{i}.findMany({{ where: {{ slug: url.searchParams.get("slug") ?? undefined }}, take: 20 }});
  return Response.json(rows);
}}
"#
        ),
        _ => format!(
            r#"import {{ prisma }} from "@/lib/db/client";
import {{ auth }} from "@/lib/auth";

export async function POST(req: Request) {{
  const session = await auth();
  if (!session) return new Response("Unauthorized", {{ status: 401 }});
  const body = await req.json();
  const row = await prisma.item{i}.create({{ data: {{ ...body, ownerId: session.user.id }} }});
  return Response.json(row, {{ status: 201 }});
}}
"#
        ),
    }
}

fn item_route(i: usize) -> String {
    format!(
        r#"import {{ auth }} from "@/lib/auth";
import {{ withUserContext }} from "@/lib/db/context";

type Params = {{ params: Promise<{{ id: string }}> }};

export async function DELETE(req: Request, {{ params }}: Params) {{
  const session = await auth();
  if (!session) return new Response("Unauthorized", {{ status: 401 }});
  const {{ id }} = await params;
  await withUserContext(session.user.id, (tx) => tx.item{i}.delete({{ where: {{ id }} }}));
  return new Response(null, {{ status: 204 }});
}}
"#
    )
}

fn service(i: usize) -> String {
    let mut s = format!(
        r#"import {{ prisma }} from "@/lib/db/client";
import {{ withUserContext, withSystemContext }} from "@/lib/db/context";
import type {{ Item{i}DTO }} from "@/lib/dto/d{i}";

export async function listItems{i}(userId: string): Promise<Item{i}DTO[]> {{
  return withUserContext(userId, async (tx) => {{
    const rows = await tx.item{i}.findMany({{ where: {{ ownerId: userId }}, take: 50 }});
    return rows.map((r) => ({{ id: r.id, name: String(r.name) }}));
  }});
}}

export async function purgeItems{i}() {{
  return withSystemContext(async (tx) => tx.item{i}.deleteMany({{ where: {{ archived: true }} }}));
}}
"#
    );
    if i.is_multiple_of(5) {
        s.push_str(&format!("\nexport async function countItems{i}() {{\n  return prisma.item{i}.count();\n}}\n"));
    }
    if i.is_multiple_of(7) {
        s.push_str(&format!(
            "\nexport async function search{i}(term: string) {{\n  return withSystemContext((tx) => tx.$queryRawUnsafe(`SELECT id FROM item_{i} WHERE name = '${{term}}'`));\n}}\n"
        ));
    }
    if i.is_multiple_of(3) {
        s.push_str(&format!(
            "\nexport function touch{i}(userId: string) {{\n  listItems{i}(userId);\n  return userId;\n}}\n"
        ));
    }
    s
}

fn component(i: usize) -> String {
    format!(
        r#""use client";
import {{ useMemo, useState }} from "react";
import {{ useItems{i} }} from "@/hooks/use-items{i}";

type Props = {{ title: string; initialFilter?: string }};

export function ItemList{i}({{ title, initialFilter = "" }}: Props) {{
  const [filter, setFilter] = useState(initialFilter);
  const {{ items, loading }} = useItems{i}();
  const shown = useMemo(() => items.filter((item) => item.name.includes(filter)), [items, filter]);
  if (loading) return <p className="muted">Loading…</p>;
  return (
    <section aria-label={{title}}>
      <h2>{{title}}</h2>
      <input value={{filter}} onChange={{(e) => setFilter(e.target.value)}} placeholder="Filter" />
      <ul>
        {{shown.map((item) => (
          <li key={{item.id}} data-index={{{i}}}>
            <strong>{{item.name}}</strong>
          </li>
        ))}}
      </ul>
    </section>
  );
}}
"#
    )
}

fn page(i: usize) -> String {
    let query = if i % 4 == 1 {
        format!("await prisma.item{i}.findMany({{ take: 5 }})")
    } else {
        format!("await withUserContext(session.user.id, (tx) => tx.item{i}.findMany({{ take: 5 }}))")
    };
    format!(
        r#"import {{ redirect }} from "next/navigation";
import {{ prisma }} from "@/lib/db/client";
import {{ withUserContext }} from "@/lib/db/context";
import {{ auth }} from "@/lib/auth";
import {{ ItemList{i} }} from "@/components/c{i}";

export default async function Page{i}() {{
  const session = await auth();
  if (!session) redirect("/login");
  const rows = {query};
  return (
    <main>
      <h1>Items {i}</h1>
      <p>{{rows.length}} items</p>
      <ItemList{i} title="All items" />
    </main>
  );
}}
"#
    )
}

fn dto(i: usize) -> String {
    let update = if i.is_multiple_of(2) {
        format!("export interface Item{i}UpdateDto {{\n  name?: string;\n  tags: string[];\n}}\n")
    } else {
        format!("export type Item{i}UpdateDto = {{\n  name?: string;\n  tags: string[];\n}};\n")
    };
    let parse = if i.is_multiple_of(3) {
        format!("  return raw as Item{i}DTO;\n")
    } else {
        format!(
            "  const v = (raw ?? {{}}) as {{ id?: unknown; name?: unknown }};\n  const out: Item{i}DTO = {{ id: String(v.id), name: String(v.name) }};\n  return out;\n"
        )
    };
    format!("export type Item{i}DTO = {{ id: string; name: string }};\n\n{update}\nexport function parse{i}(raw: unknown): Item{i}DTO {{\n{parse}}}\n")
}

fn job(i: usize) -> String {
    let options = if i.is_multiple_of(4) { "" } else { ", { algorithms: [\"RS256\"] }" };
    format!(
        r#"import jwt from "jsonwebtoken";

async function run{i}() {{
  const res = await fetch("https://example.com/jobs/{i}");
  if (!res.ok) throw new Error(`job {i} failed: ${{res.status}}`);
  return res.json();
}}

export function check{i}(token: string, key: string) {{
  return jwt.verify(token, key{options});
}}

run{i}().catch((error) => {{
  console.error(error);
  process.exitCode = 1;
}});
"#
    )
}

fn hook(i: usize) -> String {
    format!(
        r#""use client";
import {{ useEffect, useState }} from "react";
import type {{ Item{i}DTO }} from "@/lib/dto/d{i}";

export function useItems{i}() {{
  const [items, setItems] = useState<Item{i}DTO[]>([]);
  const [loading, setLoading] = useState(true);
  useEffect(() => {{
    let cancelled = false;
    fetch("/api/r{i}")
      .then((res) => res.json())
      .then((data: {{ items: Item{i}DTO[] }}) => {{
        if (!cancelled) setItems(data.items);
      }})
      .catch(console.error)
      .finally(() => setLoading(false));
    return () => {{
      cancelled = true;
    }};
  }}, []);
  return {{ items, loading }};
}}
"#
    )
}

fn util(i: usize) -> String {
    format!(
        r#"export function total{i}(values: number[]): number {{
  let total = 0;
  for (const v of values) {{
    if (v > {i}) total += v;
    else total -= 1;
  }}
  return values.filter((v) => v % 2 === 0).map((v) => v * total).reduce((s, v) => s + v, 0);
}}

export function slug{i}(text: string): string {{
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}}

export const formatter{i} = new Intl.NumberFormat("en-US", {{ maximumFractionDigits: {} }});
"#,
        i % 4
    )
}

fn types(i: usize) -> String {
    format!(
        r#"export enum Status{i} {{
  Draft = "draft",
  Active = "active",
  Archived = "archived",
}}

export type Item{i} = {{
  id: string;
  ownerId: string;
  name: string;
  status: Status{i};
  tags: readonly string[];
  createdAt: Date;
}};

export type ItemPatch{i} = Partial<Pick<Item{i}, "name" | "status" | "tags">>;
"#
    )
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

/// Findings planted in migration `i` (see [`planted`]): an index built without `CONCURRENTLY`
/// on a table an earlier migration created, and a public table whose RLS is never enabled.
fn plant_sql(i: usize, sql: &mut String) {
    if i > 2 && i % 10 == 5 {
        sql.push_str(&format!("create index t{}_0_created_at_idx_{i} on public.t{}_0 (created_at);\n\n", i - 2, i - 2));
    }
    if i % 30 == 7 {
        sql.push_str(&format!(
            "create table public.audit_{i} (\n  id bigint generated always as identity primary key,\n  note text not null\n);\n\n"
        ));
    }
}

/// `files` Supabase-style migrations of about `bytes_each` bytes (plus a bootstrap file), with
/// the planted findings when `plant` is true (the SQL pack's own bench leaves them out).
pub fn sql_migrations(files: usize, bytes_each: usize, plant: bool) -> Vec<(String, String)> {
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut out = vec![(
        "supabase/migrations/00000000000000_memberships.sql".to_string(),
        "create table public.memberships (account_id uuid not null, user_id uuid not null, primary key (account_id, user_id));\n".to_string(),
    )];
    for i in 0..files {
        let mut sql = migration(i, &mut rng, bytes_each);
        if plant {
            plant_sql(i, &mut sql);
        }
        out.push((format!("supabase/migrations/{:014}_m{i}.sql", 20240101000000u64 + i as u64), sql));
    }
    out
}

/// Workflow documents shaped like the seed workflows, and their handoff signals.
pub fn workflow_files(workflows: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for k in 0..workflows {
        let mut doc = format!(
            "# WORKFLOW-PRD-{k:03}: Parallel execution\n\n**Status**: In Progress\n**Spec**: docs/specs/PRD-{k:03}-spec.md\n\n## Work streams\n\n"
        );
        for ws in 1..=4 {
            doc.push_str(&format!(
                "### WS-{ws}: Stream {ws}\n\n**Agent**: backend-developer\n**Depends on**: {}\n\n#### Validation gate\n\n```bash\nnpm run lint\nnpm run type-check\nnpm test\n```\n\n#### Handoff signal\n\nWrite `.claude/handoff/WS-{ws}-COMPLETE.signal` when done.\n\n",
                if ws == 1 { "none".to_string() } else { format!("WS-{}", ws - 1) }
            ));
        }
        out.push((format!("docs/WORKFLOW-PRD-{k:03}-parallel-execution.md"), doc));
        for ws in 1..=2 {
            out.push((
                format!(".claude/handoff/PRD-{k:03}-WS-{ws}-COMPLETE.signal"),
                format!(
                    "{{\n  \"workstream\": \"WS-{ws}\",\n  \"status\": \"COMPLETE\",\n  \"timestamp\": \"2025-11-28T1{ws}:00:00Z\",\n  \"agent\": \"backend-developer\",\n  \"files_created\": [\"lib/services/s{ws}.ts\"],\n  \"tests_passed\": true\n}}\n"
                ),
            ));
        }
    }
    out
}

/// `n` Markdown documents shaped like a workflow repository's `docs/`: execution specs with
/// front-matter work streams (a fifth) that also propose a change to a migration's table, PRDs
/// and ADRs with `### WS1` headings, audits quoting a migration's `CREATE TABLE` (an excerpt),
/// and archived plans; each has fenced SQL and TypeScript. They plant no finding of their own
/// kind (the plan rules' precision is measured on real repositories).
pub fn plan_documents(n: usize) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // Every generated migration `k` creates `public.t{k}_0`; the first 300 exist in every
        // workspace shape that has documents.
        let migrated = format!("public.t{}_0", i % 300);
        let excerpt = format!(
            "```sql
-- As the migration defines it
create table if not exists {migrated} (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id) on delete cascade,
  created_at timestamptz not null default now()
);
```
"
        );
        let change = format!(
            "```sql
alter table {migrated} add column if not exists review_note text;
create index concurrently if not exists t_review_{i}_idx on {migrated} (account_id, created_at);
```
"
        );
        let sql = format!(
            "```sql\ncreate table public.doc_t{i} (id uuid primary key, owner uuid not null);\nalter table public.doc_t{i} enable row level security;\ncreate policy p{i} on public.doc_t{i} for select to authenticated using (owner = (select auth.uid()));\n```\n"
        );
        let ts = format!(
            "```ts\nexport type Doc{i}Dto = {{ id: string; owner: string }};\nexport async function load{i}(id: string) {{\n  return fetch(`/api/docs/${{id}}`);\n}}\n```\n"
        );
        let prose = "Context, decisions and trade-offs are written out here at the length real documents have, so that the reader's cost is representative of the repository.\n\n".repeat(20);
        let (path, text) = match i % 5 {
            0 => (
                format!("docs/21-exec-spec/EXEC-{i:04}.md"),
                format!(
                    "---\nspec: EXEC-{i:04}\nstatus: draft\nworkstreams:\n  WS1_MIGRATION:\n    name: Schema\n    executor: db-agent\n    depends_on: []\n    gate: type-check\n  WS2_SERVICE:\n    name: Service\n    executor: service-agent\n    depends_on: [WS1_MIGRATION]\n    gate: test-pass\nexecution_phases:\n  - name: Phase 1\n    parallel: [WS1_MIGRATION]\n  - name: Phase 2\n    parallel: [WS2_SERVICE]\ngates:\n  type-check:\n    command: npm run type-check\n  test-pass:\n    command: npm test && npm run lint -- --max-warnings=0\n---\n\n# EXEC-{i:04}\n\n{prose}{sql}\n{change}\n{ts}"
                ),
            ),
            1 => (
                format!("docs/10-prd/PRD-{i:04}-feature.md"),
                format!("# PRD-{i:04}\n\n**Status**: Approved\n\n### WS1 Database\n\n{prose}{sql}\n### WS2 API\n\n{ts}"),
            ),
            2 => (
                format!("docs/80-adrs/ADR-{i:04}-decision.md"),
                format!("# ADR-{i:04}\n\n**Status**: Accepted\n\n{prose}{ts}"),
            ),
            3 => (format!("docs/audits/AUDIT-{i:04}.md"), format!("# Audit {i}\n\n{prose}{sql}\n{excerpt}")),
            _ => (
                format!("docs/_archive/WORKFLOW-{i:04}.md"),
                format!("# Old workflow {i}\n\n## WS-1: Schema\n\n**Agent Type**: db-agent\n\n{prose}{sql}\n{ts}"),
            ),
        };
        out.push((path, text));
    }
    out
}
