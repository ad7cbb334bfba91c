-- WOR-321 WS-1: keep the outcome of every validation run so CI can post a
-- summary on the pull request and the dashboard can show history.

create table if not exists public.validation_reports (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null references public.migration_runs (id) on delete cascade,
  migration text not null,
  passed boolean not null,
  summary jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

create index if not exists validation_reports_run_id_idx
  on public.validation_reports (run_id);

-- Reports are only ever written by the validate route and the service layer,
-- so access control lives there for now.

-- ---------------------------------------------------------------------------
-- CI job locks: stop two pipelines from validating the same workspace at
-- once. Kept in a schema PostgREST does not expose.
-- ---------------------------------------------------------------------------
create schema if not exists internal;

revoke all on schema internal from anon, authenticated;

create table if not exists internal.job_locks (
  workspace_id uuid primary key,
  locked_by text not null,
  locked_at timestamptz not null default now(),
  expires_at timestamptz not null
);
