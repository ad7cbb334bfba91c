-- Replay semantics the PostgreSQL agreement test checks beyond the rule fixtures:
-- search_path, quoted names, renames, SET SCHEMA, constraint and index changes.
create schema if not exists app;
set search_path = app, public;

create table "Tenants" (
  "Id" uuid primary key default gen_random_uuid(),
  slug text not null unique
);
create table tenant_users (
  tenant_id uuid not null references "Tenants" ("Id"),
  user_id uuid not null references auth.users (id),
  constraint tenant_users_pkey primary key (tenant_id, user_id)
);
create index on tenant_users (user_id);
alter table "Tenants" enable row level security;
alter table "Tenants" force row level security;
