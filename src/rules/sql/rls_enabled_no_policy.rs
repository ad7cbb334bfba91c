//! `sql/rls-enabled-no-policy`: table in an exposed schema with row level security enabled but no policy, so the API sees no rows.

use super::{at, is_exposed};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/rls-enabled-no-policy";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Info,
        kinds: &[FileKind::Sql],
        summary: "Table in an exposed schema with row level security enabled but no policy, so the API sees no rows",
        doc: include_str!("../../../docs/rules/sql/rls-enabled-no-policy.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for table in ctx.model.tables.values() {
        if !table.rls_enabled || table.uncertain || !is_exposed(ctx, &table.name.schema) {
            continue;
        }
        if ctx.model.policies_on(&table.name).next().is_some() {
            continue;
        }
        let Some((enabled_at, _)) = table.rls_changes.iter().rev().find(|(_, enabled)| *enabled) else { continue };
        let message = format!(
            "row level security is enabled on `{}` but no policy exists for it: every API query returns no rows and every write fails; add policies for the roles that need access",
            table.name
        );
        out.push(at(RULE_ID, enabled_at, message));
    }
}
