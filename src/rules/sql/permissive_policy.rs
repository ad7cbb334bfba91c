//! `sql/permissive-policy`: write policy for anon, authenticated or public whose USING or WITH CHECK is always true.

use super::{at, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::PolicyCommand;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/permissive-policy";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "Write policy for anon, authenticated or public whose USING or WITH CHECK is always true",
        doc: include_str!("../../../docs/rules/sql/permissive-policy.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for policy in &ctx.model.policies {
        if !policy.permissive
            || policy.command == PolicyCommand::Select
            || ctx.model.is_uncertain(&policy.table)
            || !is_user_schema(&policy.table.schema)
        {
            continue;
        }
        let roles: Vec<&str> =
            ["anon", "authenticated", "public"].into_iter().filter(|r| policy.roles.iter().any(|p| p == r)).collect();
        if roles.is_empty() {
            continue;
        }
        let always = [("USING", &policy.using), ("WITH CHECK", &policy.with_check)]
            .into_iter()
            .find_map(|(clause, expr)| expr.as_ref().filter(|e| e.always_true).map(|e| (clause, e)));
        let Some((clause, expr)) = always else { continue };
        let message = format!(
            "policy \"{}\" lets {} {} any row of `{}`: its {clause} is always true; compare a column with `(select auth.uid())` instead",
            policy.name,
            roles.join(", "),
            match policy.command {
                PolicyCommand::Insert => "insert",
                PolicyCommand::Update => "update",
                PolicyCommand::Delete => "delete",
                _ => "write",
            },
            policy.table
        );
        out.push(at(RULE_ID, &expr.location, message));
    }
}
