//! `sql/rls-references-user-metadata`: policy that reads user_metadata from the JWT, which users can edit themselves.

use super::{at, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/rls-references-user-metadata";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Sql],
        summary: "Policy that reads user_metadata from the JWT, which users can edit themselves",
        doc: include_str!("../../../docs/rules/sql/rls-references-user-metadata.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for policy in &ctx.model.policies {
        if ctx.model.is_uncertain(&policy.table) || !is_user_schema(&policy.table.schema) {
            continue;
        }
        for expr in [&policy.using, &policy.with_check].into_iter().flatten() {
            let Some(location) = &expr.user_metadata else { continue };
            let message = format!(
                "policy \"{}\" on `{}` trusts `user_metadata` from the JWT, which every user can change with `supabase.auth.updateUser()`; use `app_metadata` or a table the user cannot write",
                policy.name, policy.table
            );
            out.push(at(RULE_ID, location, message));
        }
    }
}
