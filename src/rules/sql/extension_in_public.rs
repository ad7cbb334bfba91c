//! `sql/extension-in-public`: extension installed in the public schema.

use super::at;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/extension-in-public";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "Extension installed in the public schema",
        doc: include_str!("../../../docs/rules/sql/extension-in-public.md"),
        matcher: Matcher::Sql(check),
    }
}

/// Extensions every Supabase database (hosted, and `supabase start`) has installed in the
/// `extensions` schema before the first migration runs.
const SUPABASE_PREINSTALLED: &[&str] = &["pgcrypto", "uuid-ossp", "pg_stat_statements"];

/// Extensions that put their objects in a schema of their own whatever schema they are created
/// in (`pg_cron` creates `cron.job`, `cron.schedule()`): nothing of theirs lands in `public`.
const OWN_SCHEMA: &[&str] = &["pg_cron"];

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    // In a Supabase migrations folder, `CREATE EXTENSION IF NOT EXISTS pgcrypto` finds the
    // extension already installed in `extensions` and does nothing.
    let supabase = ctx.documents.first().is_some_and(|d| d.path.contains("supabase/migrations/"));
    // Its harm is exposure through the Data API: none when `public` is not exposed.
    if !super::is_exposed(ctx, "public") {
        return;
    }
    for extension in ctx.model.extensions.values() {
        if extension.schema != "public" || OWN_SCHEMA.contains(&extension.name.as_str()) {
            continue;
        }
        if supabase && extension.if_not_exists && SUPABASE_PREINSTALLED.contains(&extension.name.as_str()) {
            continue;
        }
        let message = format!(
            "extension `{}` is installed in `public`, so its functions and tables are exposed through the API; install it `WITH SCHEMA extensions`",
            extension.name
        );
        out.push(at(RULE_ID, &extension.created, message));
    }
}
