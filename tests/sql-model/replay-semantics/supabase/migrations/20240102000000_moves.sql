alter table app."Tenants" rename to tenants;
alter table app.tenants set schema public;
alter table app.tenant_users rename column user_id to member_id;
alter index app.tenant_users_user_id_idx rename to tenant_users_member_idx;

create table public.audit (id bigint generated always as identity, tenant_id uuid, note text, legacy text);
alter table public.audit add constraint audit_pkey primary key (id);
alter table public.audit add constraint audit_tenant_fkey foreign key (tenant_id) references public.tenants ("Id") not valid;
alter table public.audit drop column legacy;
alter table public.audit alter column note set not null;
create unique index audit_note_key on public.audit (note);
alter table public.audit drop constraint audit_tenant_fkey;

create policy "tenant members" on public.tenants for select to authenticated
  using ("Id" in (select tu.tenant_id from app.tenant_users tu where tu.member_id = (select auth.uid())));
alter policy "tenant members" on public.tenants rename to "members read tenants";
create policy doomed on public.tenants for delete using (false);
drop policy doomed on public.tenants;
