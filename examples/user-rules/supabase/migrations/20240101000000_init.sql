create table public.tenants (id uuid primary key);
alter table public.tenants enable row level security;
create policy "members read their tenant" on public.tenants for select to authenticated
  using (id = (select private.current_tenant()));

create table public.projects (
  id bigint primary key,
  tenant_id uuid not null references public.tenants,
  owner uuid
);
create index on public.projects (tenant_id);
alter table public.projects enable row level security;
create policy "tenant projects" on public.projects for all to authenticated
  using (tenant_id = (select private.current_tenant()))
  with check (tenant_id = (select private.current_tenant()));

create table public.invoices (id bigint primary key, total numeric);
alter table public.invoices enable row level security;

create table public.notes (id bigint primary key, tenant_id uuid not null, author uuid);
create index on public.notes (tenant_id);
alter table public.notes enable row level security;
create policy "own notes" on public.notes for select to authenticated
  using (author = (select auth.uid()));
