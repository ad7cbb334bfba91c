-- WOR-321: migration run tracking.
--
-- Every validation/apply cycle is a row in migration_runs; each step the
-- pipeline executes (schema diff, RLS check, apply, post-verify) reports its
-- state into migration_status. audit_log keeps who did what.

-- ---------------------------------------------------------------------------
-- migration_runs
-- ---------------------------------------------------------------------------
create table if not exists public.migration_runs (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null,
  started_by uuid references auth.users (id),
  status text not null default 'pending',
  created_at timestamptz not null default now()
);

comment on table public.migration_runs is 'One row per migration validation or apply cycle.';

create index if not exists migration_runs_started_by_idx
  on public.migration_runs (started_by);

create index if not exists migration_runs_workspace_created_idx
  on public.migration_runs (workspace_id, created_at desc);

-- ---------------------------------------------------------------------------
-- migration_status
-- ---------------------------------------------------------------------------
create table if not exists public.migration_status (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null references public.migration_runs (id) on delete cascade,
  step text not null,
  state text not null default 'pending',
  checked_at timestamptz not null default now()
);

comment on table public.migration_status is 'Per-step state reported by the validation pipeline.';

-- ---------------------------------------------------------------------------
-- audit_log
-- ---------------------------------------------------------------------------
create table if not exists public.audit_log (
  id uuid primary key default gen_random_uuid(),
  run_id uuid references public.migration_runs (id) on delete set null,
  actor_id text,
  action text not null,
  payload jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

create index if not exists audit_log_run_id_idx
  on public.audit_log (run_id);

-- ---------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------
alter table public.migration_runs enable row level security;
alter table public.migration_status enable row level security;

create policy "Users can read runs they started"
  on public.migration_runs
  for select
  to authenticated
  using (started_by = (select auth.uid()));

create policy "Users can start runs as themselves"
  on public.migration_runs
  for insert
  to authenticated
  with check (started_by = (select auth.uid()));

create policy "Users can read steps of their runs"
  on public.migration_status
  for select
  to authenticated
  using (
    exists (
      select 1
      from public.migration_runs r
      where r.id = migration_status.run_id
        and r.started_by = (select auth.uid())
    )
  );
