//! `sql/` — rules over the schema model replayed from the workspace's migrations.
//!
//! Each rule is a check over [`crate::sql::MigrationModel`]; none parses files itself. Rules
//! named after a Supabase splinter lint follow that lint's catalog query (its number is in the
//! rule's documentation); the migration-safety rules follow squawk's.

pub mod adding_foreign_key_constraint;
pub mod adding_required_field;
pub mod auth_rls_initplan;
pub mod auth_users_exposed;
pub mod ban_drop_column;
pub mod ban_drop_table;
pub mod changing_column_type;
pub mod duplicate_index;
pub mod extension_in_public;
pub mod function_search_path_mutable;
pub mod graphql_table_exposed;
pub mod multiple_permissive_policies;
pub mod no_primary_key;
pub mod non_concurrent_index;
pub mod permissive_policy;
pub mod policy_exists_rls_disabled;
pub mod public_bucket_allows_listing;
pub mod rls_bypass;
pub mod rls_disabled_in_public;
pub mod rls_enabled_no_policy;
pub mod rls_references_user_metadata;
pub mod security_definer_function_executable;
pub mod security_definer_view;
pub mod unindexed_foreign_key;

use crate::engine::{Finding, Fix, SqlRuleContext};
use crate::rules::Rule;
use crate::sql::Location;

/// Every SQL rule except `sql/rls-disabled-in-public` (registered on its own in `rules::all()`).
pub fn pack() -> Vec<Rule> {
    vec![
        adding_foreign_key_constraint::rule(),
        adding_required_field::rule(),
        auth_rls_initplan::rule(),
        auth_users_exposed::rule(),
        ban_drop_column::rule(),
        ban_drop_table::rule(),
        changing_column_type::rule(),
        duplicate_index::rule(),
        extension_in_public::rule(),
        function_search_path_mutable::rule(),
        graphql_table_exposed::rule(),
        multiple_permissive_policies::rule(),
        no_primary_key::rule(),
        non_concurrent_index::rule(),
        permissive_policy::rule(),
        policy_exists_rls_disabled::rule(),
        public_bucket_allows_listing::rule(),
        rls_bypass::rule(),
        rls_enabled_no_policy::rule(),
        rls_references_user_metadata::rule(),
        security_definer_function_executable::rule(),
        security_definer_view::rule(),
        unindexed_foreign_key::rule(),
    ]
}

/// Schemas that belong to PostgreSQL, to Supabase's own services or to extensions: the schemas
/// splinter leaves out of its lints. Every `sql/` schema rule leaves them out too (see
/// `docs/rules/sql/README.md`, "Which schemas the rules look at").
pub(crate) const SYSTEM_SCHEMAS: &[&str] = &[
    "pg_catalog",
    "information_schema",
    "pg_toast",
    "pg_temp",
    "_timescaledb_cache",
    "_timescaledb_catalog",
    "_timescaledb_config",
    "_timescaledb_internal",
    "auth",
    "cron",
    "extensions",
    "graphql",
    "graphql_public",
    "net",
    "pgbouncer",
    "pgmq",
    "pgroonga",
    "pgsodium",
    "pgsodium_masks",
    "pgtle",
    "realtime",
    "repack",
    "storage",
    "supabase_functions",
    "supabase_migrations",
    "tiger",
    "topology",
    "vault",
];

/// Whether `schema` is one the project owns and exposes through the API: listed in
/// `[sql] exposed_schemas` and not a system schema.
pub(crate) fn is_exposed(ctx: &SqlRuleContext<'_>, schema: &str) -> bool {
    is_user_schema(schema) && ctx.config.sql.exposed_schemas().iter().any(|s| s == schema)
}

/// Whether `schema` is one the project owns (not PostgreSQL's, Supabase's or an extension's).
pub(crate) fn is_user_schema(schema: &str) -> bool {
    !SYSTEM_SCHEMAS.contains(&schema) && !schema.starts_with("pg_temp") && !schema.starts_with("pg_toast")
}

/// A finding of `rule` at `at`, ready to push.
pub(crate) fn at(rule: &'static str, at: &Location, message: String) -> (String, Finding) {
    (at.path.clone(), Finding::new(rule, at.range.clone(), message))
}

/// A fix that inserts `statement` (a complete SQL statement) on its own after the statement at
/// `after` (adding the `;` the statement may lack).
pub(crate) fn insert_after_statement(
    ctx: &SqlRuleContext<'_>,
    title: &str,
    after: &Location,
    statement: &str,
) -> Option<Fix> {
    let doc = ctx.document(&after.path)?;
    let end = after.range.end;
    let text = format!("\n\n{statement}");
    let new_text = if doc.text.get(..end)?.trim_end().ends_with(';') { text } else { format!(";{text}") };
    Some(Fix::in_file(title, &after.path, [(end..end, new_text)]))
}

/// Whether location `a` comes before location `b` in the replay.
pub(crate) fn before(a: &Location, b: &Location) -> bool {
    (a.migration, a.range.start) < (b.migration, b.range.start)
}
