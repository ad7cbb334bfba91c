#!/usr/bin/env python3
"""Compare Baton's replayed schema model with PostgreSQL's catalogs, fixture by fixture.

Called by scripts/pg-agreement.sh with a running server. For each workspace: create a fresh
database with Supabase's roles, a minimal `auth` and `storage` schema and Supabase's default
privileges; apply the migrations (in Baton's replay order, one psql session per file, as the
Supabase CLI does); dump the catalogs as JSON; compare with `baton debug model`.
"""
import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

SETUP_CLUSTER = """
do $$ begin
  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
  if not exists (select from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then create role authenticator noinherit login; end if;
  if not exists (select from pg_roles where rolname = 'dashboard_user') then create role dashboard_user nologin; end if;
end $$;
grant anon, authenticated, service_role to authenticator;
"""

SETUP_DATABASE = """
create schema auth;
create table auth.users (
  id uuid primary key default gen_random_uuid(),
  email text,
  phone text,
  raw_user_meta_data jsonb,
  raw_app_meta_data jsonb,
  created_at timestamptz default now()
);
alter table auth.users enable row level security;
create function auth.uid() returns uuid language sql stable
  as $$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
create function auth.jwt() returns jsonb language sql stable
  as $$ select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$;
create function auth.role() returns text language sql stable
  as $$ select nullif(current_setting('request.jwt.claim.role', true), '')::text $$;
create function auth.email() returns text language sql stable
  as $$ select nullif(current_setting('request.jwt.claim.email', true), '')::text $$;
create schema storage;
create table storage.buckets (id text primary key, name text not null, public boolean default false);
create table storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  metadata jsonb
);
alter table storage.objects enable row level security;
create function storage.foldername(name text) returns text[] language sql immutable
  as $$ select (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $$;
create schema extensions;
grant usage on schema public, auth, storage, extensions to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
"""

SYSTEM = "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'"

CATALOG = f"""
select json_build_object(
 'tables', (select coalesce(json_agg(json_build_object(
    'schema', n.nspname, 'name', c.relname,
    'rls_enabled', c.relrowsecurity, 'rls_forced', c.relforcerowsecurity,
    'columns', (select coalesce(json_agg(a.attname order by a.attnum), '[]') from pg_attribute a
                where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
    'not_null', (select coalesce(json_agg(a.attname order by a.attnum), '[]') from pg_attribute a
                where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attnotnull),
    'primary_key', (select json_agg(a.attname order by k.ord) from pg_constraint pk,
                    unnest(pk.conkey) with ordinality k(attnum, ord)
                    join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
                    where pk.conrelid = c.oid and pk.contype = 'p'),
    'foreign_keys', (select coalesce(json_agg(json_build_object(
                      'columns', (select json_agg(a.attname order by k.ord) from unnest(fk.conkey) with ordinality k(attnum, ord)
                                  join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum),
                      'ref_schema', rn.nspname, 'ref_name', rc.relname)), '[]')
                     from pg_constraint fk join pg_class rc on rc.oid = fk.confrelid
                     join pg_namespace rn on rn.oid = rc.relnamespace
                     where fk.conrelid = c.oid and fk.contype = 'f')
  )), '[]') from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and {SYSTEM}),
 'policies', (select coalesce(json_agg(json_build_object(
    'schema', p.schemaname, 'table', p.tablename, 'name', p.policyname, 'command', p.cmd,
    'roles', p.roles, 'permissive', p.permissive = 'PERMISSIVE',
    'has_using', p.qual is not null, 'has_check', p.with_check is not null,
    'using_true', p.qual = 'true', 'check_true', p.with_check = 'true')), '[]') from pg_policies p),
 'indexes', (select coalesce(json_agg(json_build_object(
    'schema', n.nspname, 'name', ic.relname, 'table_schema', tn.nspname, 'table', tc.relname,
    'columns', (select json_agg(a.attname order by k.ord) from unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
                left join pg_attribute a on a.attrelid = tc.oid and a.attnum = k.attnum
                where k.ord <= i.indnkeyatts),
    'unique', i.indisunique)), '[]')
  from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = ic.relnamespace
  join pg_class tc on tc.oid = i.indrelid join pg_namespace tn on tn.oid = tc.relnamespace
  where {SYSTEM} and tc.relkind in ('r', 'p', 'm')),
 'functions', (select coalesce(json_agg(json_build_object(
    'schema', n.nspname, 'name', p.proname, 'args', oidvectortypes(p.proargtypes),
    'security_definer', p.prosecdef,
    'search_path_set', exists (select 1 from unnest(coalesce(p.proconfig, '{{}}')) c where c like 'search_path=%'),
    'anon_execute', has_function_privilege('anon', p.oid, 'execute'),
    'authenticated_execute', has_function_privilege('authenticated', p.oid, 'execute'))), '[]')
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where {SYSTEM} and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                                 and d.objid = p.oid and d.deptype = 'e')),
 'views', (select coalesce(json_agg(json_build_object(
    'schema', n.nspname, 'name', c.relname, 'materialized', c.relkind = 'm',
    'security_invoker', coalesce(lower(array_to_string(c.reloptions, ',')) ~ 'security_invoker=(true|on|yes|1)', false),
    'reads_auth_users', exists (select 1 from pg_rewrite r join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                                where r.ev_class = c.oid and d.refobjid = 'auth.users'::regclass),
    'anon_select', has_table_privilege('anon', c.oid, 'select'),
    'authenticated_select', has_table_privilege('authenticated', c.oid, 'select'))), '[]')
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('v', 'm') and {SYSTEM}),
 'extensions', (select coalesce(json_agg(json_build_object('name', e.extname, 'schema', n.nspname)), '[]')
  from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname <> 'plpgsql')
)::text;
"""


def quote(name):
    plain = name[:1].islower() or name[:1] == "_"
    plain = plain and all(c.islower() or c.isdigit() or c in "_$" for c in name) and name.isascii()
    return name if plain else '"' + name.replace('"', '""') + '"'


def qn(schema, name):
    return f"{quote(schema)}.{quote(name)}"


class Server:
    def __init__(self, port, psql):
        self.port = port
        self.psql_bin = psql

    def psql(self, db, sql=None, file=None):
        cmd = [self.psql_bin, "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
               "-v", "ON_ERROR_STOP=1", "-t", "-A"]
        cmd += ["-f", file] if file else ["-c", sql]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed on {file or sql[:60]}:\n{out.stderr}")
        return out.stdout


def catalog(server, db):
    raw = json.loads(server.psql(db, CATALOG))
    facts = {"tables": {}, "policies": set(), "indexes": set(), "functions": set(), "views": {}, "extensions": {}}
    for t in raw["tables"]:
        fks = sorted((tuple(fk["columns"]), qn(fk["ref_schema"], fk["ref_name"])) for fk in t["foreign_keys"])
        facts["tables"][qn(t["schema"], t["name"])] = {
            "rls_enabled": t["rls_enabled"], "rls_forced": t["rls_forced"], "columns": t["columns"],
            "not_null": t["not_null"], "primary_key": t["primary_key"], "foreign_keys": fks}
    for p in raw["policies"]:
        facts["policies"].add((qn(p["schema"], p["table"]), p["name"], p["command"], tuple(sorted(p["roles"])),
                               p["permissive"], p["has_using"], p["has_check"], bool(p["using_true"]), bool(p["check_true"])))
    for i in raw["indexes"]:
        facts["indexes"].add((qn(i["schema"], i["name"]), qn(i["table_schema"], i["table"]), tuple(i["columns"]), i["unique"]))
    for f in raw["functions"]:
        args = tuple(a for a in f["args"].split(", ") if a)
        facts["functions"].add((qn(f["schema"], f["name"]), args, f["security_definer"], f["search_path_set"],
                                f["anon_execute"], f["authenticated_execute"]))
    for v in raw["views"]:
        public = v["schema"] == "public"
        facts["views"][qn(v["schema"], v["name"])] = (v["materialized"], v["security_invoker"], v["reads_auth_users"],
                                                      v["anon_select"] if public else None,
                                                      v["authenticated_select"] if public else None)
    for e in raw["extensions"]:
        facts["extensions"][e["name"]] = e["schema"]
    return facts


def model_facts(model):
    facts = {"tables": {}, "policies": set(), "indexes": set(), "functions": set(), "views": {}, "extensions": {}}
    for name, t in model["tables"].items():
        fks = sorted((tuple(fk["columns"]), fk["references"]) for fk in t["foreign_keys"])
        facts["tables"][name] = dict(t, foreign_keys=fks)
    for p in model["policies"]:
        facts["policies"].add((p["table"], p["name"], p["command"], tuple(sorted(p["roles"])), p["permissive"],
                               p["has_using"], p["has_check"], p["using_true"], p["check_true"]))
    for i in model["indexes"]:
        facts["indexes"].add((i["name"], i["table"], tuple(i["columns"]), i["unique"]))
    for f in model["functions"]:
        facts["functions"].add((f["name"], tuple(f["args"]), f["security_definer"], f["search_path_set"],
                                f["anon_execute"], f["authenticated_execute"]))
    for name, v in model["views"].items():
        facts["views"][name] = (v["materialized"], v["security_invoker"], v["reads_auth_users"], v["anon_select"],
                                v["authenticated_select"])
    facts["extensions"] = dict(model["extensions"])
    return facts


def compare(db_facts, baseline, model, model_raw):
    """Differences between the catalogs (minus what the setup created) and the model."""
    uncertain = set(model_raw["uncertain"])
    problems = []
    tables = {k: v for k, v in db_facts["tables"].items() if k not in baseline["tables"] and k not in uncertain}
    for name in sorted(set(tables) | set(model["tables"])):
        if name not in tables:
            problems.append(f"table {name}: in the model, not in PostgreSQL")
            continue
        if name not in model["tables"]:
            problems.append(f"table {name}: in PostgreSQL, not in the model")
            continue
        db, mo = tables[name], model["tables"][name]
        for key in ("rls_enabled", "rls_forced", "columns", "not_null", "primary_key", "foreign_keys"):
            if key in ("columns", "not_null") and mo[key] is None:
                continue
            if db[key] != mo[key]:
                problems.append(f"table {name}: {key} is {db[key]!r} in PostgreSQL, {mo[key]!r} in the model")
    def on_certain(entry_table):
        return entry_table not in uncertain
    for kind, table_index in (("policies", 0), ("indexes", 1)):
        db = {e for e in db_facts[kind] - baseline[kind] if on_certain(e[table_index])}
        mo = {e for e in model[kind] if on_certain(e[table_index])}
        for e in sorted(db - mo, key=str):
            problems.append(f"{kind}: PostgreSQL has {e}, the model does not")
        for e in sorted(mo - db, key=str):
            problems.append(f"{kind}: the model has {e}, PostgreSQL does not")
    db = db_facts["functions"] - baseline["functions"]
    for e in sorted(db - model["functions"], key=str):
        problems.append(f"functions: PostgreSQL has {e}, the model does not")
    for e in sorted(model["functions"] - db, key=str):
        problems.append(f"functions: the model has {e}, PostgreSQL does not")
    for kind in ("views", "extensions"):
        db = {k: v for k, v in db_facts[kind].items() if k not in baseline[kind] and k not in uncertain}
        mo = {k: v for k, v in model[kind].items() if k not in uncertain}
        if db != mo:
            problems.append(f"{kind}: PostgreSQL has {db}, the model has {mo}")
    return problems


SCRATCH = tempfile.mkdtemp(prefix="pg-agreement-")
atexit.register(shutil.rmtree, SCRATCH, True)


def forward_part(path):
    """The file to apply for a migration: dbmate keeps its rollback in the same file after a
    `-- migrate:down` line, which Baton does not replay (src/sql/dialect.rs), so only the text
    before it is applied (from a temporary copy, removed at exit)."""
    text = open(path, encoding="utf-8").read()
    lines = text.splitlines(keepends=True)
    cut = next((i for i, line in enumerate(lines) if line.strip().lower().startswith("-- migrate:down")), None)
    if cut is None:
        return path
    forward = os.path.join(SCRATCH, f"{len(os.listdir(SCRATCH))}-{os.path.basename(path)}")
    with open(forward, "w", encoding="utf-8") as out:
        out.write("".join(lines[:cut]))
    return forward


def offset(text, position):
    """Byte-free offset into `text` of an LSP position (0-based line, UTF-16 column)."""
    lines = text.split("\n")
    start = sum(len(l) + 1 for l in lines[:position["line"]])
    line = lines[position["line"]] if position["line"] < len(lines) else ""
    units, col = 0, 0
    while col < len(line) and units < position["character"]:
        units += 2 if ord(line[col]) > 0xFFFF else 1
        col += 1
    return start + col


def apply_fix(root, fix):
    """Applies one quick fix's edits (back to front per file) under `root`."""
    by_path = {}
    for edit in fix["edits"]:
        by_path.setdefault(edit["path"], []).append(edit)
    for path, edits in by_path.items():
        full = os.path.join(root, path)
        text = open(full, encoding="utf-8").read()
        spans = sorted(((offset(text, e["range"]["start"]), offset(text, e["range"]["end"]), e["new_text"]) for e in edits),
                       reverse=True)
        for start, end, new in spans:
            text = text[:start] + new + text[end:]
        open(full, "w", encoding="utf-8").write(text)


def check_fixes(server, baton, workspace, migrations, db_prefix):
    """Every quick fix of a SQL finding, applied alone, must leave migrations PostgreSQL runs."""
    out = subprocess.run([baton, "check", "--format", "json", "--fail-on", "never", workspace],
                         capture_output=True, text=True, check=True)
    fixes = [(d["rule"], f) for d in json.loads(out.stdout)["diagnostics"] if d["path"].endswith(".sql")
             for f in d["fixes"]]
    failures = []
    for k, (rule, fix) in enumerate(fixes):
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "ws")
            shutil.copytree(workspace, copy)
            apply_fix(copy, fix)
            db = f"{db_prefix}_fix{k}"
            server.psql("postgres", f'create database "{db}"')
            server.psql(db, SETUP_DATABASE)
            try:
                for migration in migrations:
                    server.psql(db, file=os.path.join(copy, migration))
            except RuntimeError as e:
                failures.append(f"{workspace}: fix `{fix['title']}` of {rule} breaks the migrations: {e}")
            server.psql("postgres", f'drop database "{db}"')
    return len(fixes), failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", required=True)
    ap.add_argument("--baton", required=True)
    ap.add_argument("--psql", default="psql")
    ap.add_argument("--exclude")
    ap.add_argument("--check-fixes", action="store_true", help="also apply every quick fix and re-run the migrations")
    ap.add_argument("workspaces", nargs="+")
    args = ap.parse_args()
    excluded = set()
    if args.exclude and os.path.exists(args.exclude):
        excluded = {l.strip() for l in open(args.exclude) if l.strip() and not l.startswith("#")}
    server = Server(args.port, args.psql)
    server.psql("postgres", SETUP_CLUSTER)
    checked, fixes_checked, failures = 0, 0, []
    for n, workspace in enumerate(sorted(args.workspaces)):
        workspace = workspace.rstrip("/")
        if workspace in excluded or not os.path.isdir(workspace):
            continue
        out = subprocess.run([args.baton, "debug", "model", workspace], capture_output=True, text=True, check=True)
        sequences = {k: v for k, v in json.loads(out.stdout).items() if v["migrations"] and not k.endswith(".sql")}
        for folder, model_raw in sorted(sequences.items()):
            db = f"agree_{n}_{abs(hash(folder)) % 10000}"
            server.psql("postgres", f'create database "{db}"')
            server.psql(db, SETUP_DATABASE)
            server.psql("postgres", f"alter database \"{db}\" set pgrst.db_schemas = 'public'")
            baseline = catalog(server, db)
            try:
                for migration in model_raw["migrations"]:
                    server.psql(db, file=forward_part(os.path.join(workspace, migration)))
            except RuntimeError as e:
                failures.append(f"{workspace} ({folder}): migrations do not apply: {e}")
                continue
            problems = compare(catalog(server, db), baseline, model_facts(model_raw), model_raw)
            checked += 1
            if args.check_fixes and not folder.endswith(".sql"):
                count, broken = check_fixes(server, args.baton, workspace, model_raw["migrations"], db)
                fixes_checked += count
                failures.extend(broken)
            if problems:
                failures.append(f"{workspace} ({folder}):\n  " + "\n  ".join(problems))
            else:
                print(f"agree: {workspace} ({folder}, {len(model_raw['migrations'])} migrations)")
    if failures:
        print("\nThe model disagrees with PostgreSQL:\n" + "\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"pg-agreement: the model agrees with PostgreSQL on {checked} migration sequences"
          + (f"; all {fixes_checked} SQL quick fixes leave migrations PostgreSQL applies" if args.check_fixes else ""))


if __name__ == "__main__":
    main()
