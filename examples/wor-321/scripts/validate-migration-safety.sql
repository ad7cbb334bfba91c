-- WOR-321: pre/post migration safety checks.
--
-- Read-only. Run against the target database before and after applying
-- migrations:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f scripts/validate-migration-safety.sql
--
-- Every query is expected to return zero rows; CI fails the job on any output.

-- ---------------------------------------------------------------------------
-- 1. Tables in the API-exposed schema without row level security.
-- ---------------------------------------------------------------------------
select n.nspname as schema_name, c.relname as table_name
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname = 'public'
  and not c.relrowsecurity
order by 1, 2;

-- ---------------------------------------------------------------------------
-- 2. Tables with row level security switched on but no policy at all
--    (every query from the API would silently return nothing).
-- ---------------------------------------------------------------------------
select n.nspname as schema_name, c.relname as table_name
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname = 'public'
  and c.relrowsecurity
  and not exists (
    select 1
    from pg_catalog.pg_policy p
    where p.polrelid = c.oid
  )
order by 1, 2;

-- ---------------------------------------------------------------------------
-- 3. Roles other than the platform roles that can skip policies.
-- ---------------------------------------------------------------------------
select r.rolname
from pg_catalog.pg_roles r
where r.rolbypassrls
  and r.rolname not in ('postgres', 'service_role', 'supabase_admin')
order by 1;

-- ---------------------------------------------------------------------------
-- 4. Sessions holding locks that would block an ALTER on public tables.
-- ---------------------------------------------------------------------------
select l.pid, c.relname, l.mode, a.state,
       now() - a.xact_start as xact_age
from pg_catalog.pg_locks l
join pg_catalog.pg_class c on c.oid = l.relation
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_stat_activity a on a.pid = l.pid
where n.nspname = 'public'
  and l.mode in ('AccessExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock')
  and a.pid <> pg_backend_pid()
order by xact_age desc;

-- ---------------------------------------------------------------------------
-- 5. Functions in public declared SECURITY DEFINER without a pinned
--    search_path.
-- ---------------------------------------------------------------------------
select p.proname,
       pg_catalog.pg_get_function_identity_arguments(p.oid) as args
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'public'
  and p.prosecdef
  and not exists (
    select 1
    from unnest(coalesce(p.proconfig, '{}'::text[])) as cfg
    where cfg like 'search_path=%'
  )
order by 1;

-- ---------------------------------------------------------------------------
-- 6. Steps of the latest run that never reached a terminal state.
--    Looks up migration_status by run_id for the newest run.
-- ---------------------------------------------------------------------------
with latest_run as (
  select id
  from public.migration_runs
  order by created_at desc
  limit 1
)
select s.run_id, s.step, s.state, s.checked_at
from public.migration_status s
join latest_run lr on lr.id = s.run_id
where s.state not in ('applied', 'skipped')
order by s.checked_at;
