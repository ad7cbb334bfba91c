-- audit_log went out in 20240101000000_init without row level security.
-- Entries are written through withUserContext / withSystemContext; people may
-- read and append only the entries attributed to them. System entries are
-- written with tenant filtering lifted and stay invisible to end users.

alter table public.audit_log enable row level security;

create policy "Users can read their own audit entries"
  on public.audit_log
  for select
  to authenticated
  using (actor_id = (select auth.uid()::text));

create policy "Users can append audit entries as themselves"
  on public.audit_log
  for insert
  to authenticated
  with check (actor_id = (select auth.uid()::text));
