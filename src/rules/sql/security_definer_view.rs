//! `sql/security-definer-view`: view in an exposed schema that does not run with security_invoker, so it bypasses the RLS of what it reads.

use super::is_exposed;
use crate::engine::Finding;
use crate::engine::Fix;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/security-definer-view";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Sql],
        summary:
            "View in an exposed schema that does not run with security_invoker, so it bypasses the RLS of what it reads",
        doc: include_str!("../../../docs/rules/sql/security-definer-view.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for view in ctx.model.views.values() {
        let api_can_read = ["anon", "authenticated"].iter().any(|r| !view.select_revoked.contains(*r));
        if view.materialized
            || view.security_invoker
            || view.uncertain
            || !is_exposed(ctx, &view.name.schema)
            || !api_can_read
        {
            continue;
        }
        let message = format!(
            "view `{}` runs with its owner's rights (no `security_invoker`), so the row level security of the tables it reads does not apply to API callers",
            view.name
        );
        let mut finding = Finding::new(RULE_ID, view.head.range.clone(), message);
        if let Some((offset, inside)) = view.options_insert {
            let text = if inside { "security_invoker = true, " } else { "WITH (security_invoker = true) " };
            finding = finding.with_fix(Fix::in_file(
                "Add WITH (security_invoker = true)",
                &view.created.path,
                [(offset..offset, text.to_string())],
            ));
        }
        out.push((view.head.path.clone(), finding));
    }
}
