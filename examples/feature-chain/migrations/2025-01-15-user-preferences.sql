create table public.user_preferences (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id),
  preferences jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index user_preferences_user_id_key on public.user_preferences (user_id);
create index user_preferences_updated_at_idx on public.user_preferences (updated_at);
alter table public.user_preferences enable row level security;
create policy "own preferences" on public.user_preferences
  for all to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);
