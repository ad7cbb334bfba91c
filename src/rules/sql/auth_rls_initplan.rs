//! `sql/auth-rls-initplan`: auth.uid(), auth.jwt() or current_setting() in a policy evaluated per row instead of once via (select …).

use super::is_user_schema;
use crate::engine::Finding;
use crate::engine::Fix;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/auth-rls-initplan";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary:
            "auth.uid(), auth.jwt() or current_setting() in a policy evaluated per row instead of once via (select …)",
        doc: include_str!("../../../docs/rules/sql/auth-rls-initplan.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for policy in &ctx.model.policies {
        if ctx.model.is_uncertain(&policy.table) || !is_user_schema(&policy.table.schema) {
            continue;
        }
        for expr in [&policy.using, &policy.with_check].into_iter().flatten() {
            for call in &expr.per_row_calls {
                let message = format!(
                    "`{}` in policy \"{}\" on `{}` is evaluated for every row; write `(select {})` so PostgreSQL evaluates it once per query",
                    call.text, policy.name, policy.table, call.text
                );
                let fix = Fix::in_file(
                    format!("Wrap in (select {})", call.text),
                    &call.location.path,
                    [(call.location.range.clone(), format!("(select {})", call.text))],
                );
                out.push((
                    call.location.path.clone(),
                    Finding::new(RULE_ID, call.location.range.clone(), message).with_fix(fix),
                ));
            }
        }
    }
}
