//! `sql/auth-users-exposed`: view or materialized view in an exposed schema that reads auth.users.

use super::{at, is_exposed};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::QualifiedName;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/auth-users-exposed";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Sql],
        summary: "View or materialized view in an exposed schema that reads auth.users",
        doc: include_str!("../../../docs/rules/sql/auth-users-exposed.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let users = QualifiedName::new("auth", "users");
    for view in ctx.model.views.values() {
        if view.uncertain || !is_exposed(ctx, &view.name.schema) || !view.reads.contains(&users) {
            continue;
        }
        if !view.materialized && view.security_invoker {
            continue;
        }
        let readers: Vec<&str> =
            ["anon", "authenticated"].into_iter().filter(|r| !view.select_revoked.contains(*r)).collect();
        if readers.is_empty() {
            continue;
        }
        let kind = if view.materialized { "materialized view" } else { "view" };
        let message = format!(
            "{kind} `{}` reads `auth.users` and is readable by {} through the API: it exposes users' emails and metadata{}",
            view.name,
            readers.join(" and "),
            if view.materialized { " (materialized views have no row level security)" } else { " with the owner's rights" }
        );
        out.push(at(RULE_ID, &view.head, message));
    }
}
