create function public.tenant_slug(p_id uuid) returns text language sql stable
  as $$ select slug from public.tenants where "Id" = p_id $$;
revoke execute on function public.tenant_slug(uuid) from public, anon;
-- Replacing keeps the privileges and resets the options that are not repeated.
create or replace function public.tenant_slug(p_id uuid) returns text language sql stable security definer
  set search_path = ''
  as $$ select slug from public.tenants where "Id" = p_id $$;
alter function public.tenant_slug(uuid) reset search_path;

create view public.tenant_directory as select "Id", slug from public.tenants;
alter view public.tenant_directory set (security_invoker = true);
create view public.scratch_view as select 1 as one;
drop view public.scratch_view;

create table public.scratch (id int primary key);
drop table public.scratch cascade;
