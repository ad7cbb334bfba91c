//! `sql/graphql-table-exposed`: table or view that `anon` / `authenticated` can see through
//! pg_graphql's introspection.

use super::{at, is_exposed, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/graphql-table-exposed";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Info,
        kinds: &[FileKind::Sql],
        summary: "Table or view listed in the GraphQL schema to anon or authenticated (pg_graphql installed)",
        doc: include_str!("../../../docs/rules/sql/graphql-table-exposed.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    // No exposed schema (no Data API, or `exposed_schemas = []`): no /graphql/v1 endpoint either.
    if !ctx.model.extensions.contains_key("pg_graphql") || ctx.config.sql.exposed_schemas().is_empty() {
        return;
    }
    let message = |kind: &str, name: &dyn std::fmt::Display, roles: &[&str]| {
        format!(
            "{kind} `{name}` is listed in the GraphQL schema (pg_graphql is installed) to {}: they may SELECT it, so its name, columns and relations show in /graphql/v1 introspection even where row level security hides every row; revoke SELECT from the roles that should not discover it",
            roles.join(" and ")
        )
    };
    for table in ctx.model.tables.values() {
        if table.uncertain || !is_user_schema(&table.name.schema) {
            continue;
        }
        let roles = table.api_readers();
        if !roles.is_empty() {
            out.push(at(RULE_ID, &table.created_head, message("table", &table.name, &roles)));
        }
    }
    for view in ctx.model.views.values() {
        if view.uncertain || !is_exposed(ctx, &view.name.schema) {
            continue;
        }
        let roles: Vec<&str> =
            ["anon", "authenticated"].into_iter().filter(|r| !view.select_revoked.contains(*r)).collect();
        if !roles.is_empty() {
            let kind = if view.materialized { "materialized view" } else { "view" };
            out.push(at(RULE_ID, &view.head, message(kind, &view.name, &roles)));
        }
    }
}
