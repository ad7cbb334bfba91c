//! `sql/policy-exists-rls-disabled`: policies on a table whose row level security is never enabled, so they are not applied.

use super::{before, insert_after_statement, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/policy-exists-rls-disabled";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Sql],
        summary: "Policies on a table whose row level security is never enabled, so they are not applied",
        doc: include_str!("../../../docs/rules/sql/policy-exists-rls-disabled.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for table in ctx.model.tables.values() {
        if table.rls_enabled || table.uncertain || !is_user_schema(&table.name.schema) {
            continue;
        }
        let policies: Vec<_> = ctx.model.policies_on(&table.name).collect();
        let Some(first) = policies.first() else { continue };
        let names: Vec<String> = policies.iter().map(|p| format!("\"{}\"", p.name)).collect();
        let message = format!(
            "policies {} exist on `{}` but its row level security is never enabled, so PostgreSQL ignores them and every row is reachable",
            names.join(", "),
            table.name
        );
        let mut finding = Finding::new(RULE_ID, first.head.range.clone(), message);
        // Enabling after the last policy is right unless a later statement disabled RLS again.
        let last = policies.iter().map(|p| &p.created).max_by_key(|l| (l.migration, l.range.start));
        if let Some(last) = last {
            let disabled_later = table.rls_changes.iter().any(|(l, _)| before(last, l));
            if !disabled_later {
                let statement = format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", table.name);
                if let Some(fix) = insert_after_statement(ctx, "Enable row level security", last, &statement) {
                    finding = finding.with_fix(fix);
                }
            }
        }
        out.push((first.head.path.clone(), finding));
    }
}
