//! `sql/` — rules over the schema model replayed from the workspace's migrations.

pub mod rls_disabled_in_public;
