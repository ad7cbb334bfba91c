//! `sql/adding-required-field`: ADD COLUMN … NOT NULL without a default on an existing table.

use super::at;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::EventKind;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/adding-required-field";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "ADD COLUMN … NOT NULL without a default on an existing table",
        doc: include_str!("../../../docs/rules/sql/adding-required-field.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for event in &ctx.model.events {
        let EventKind::AddRequiredColumn { column } = &event.kind else { continue };
        if event.table_created_here || event.table_uncertain {
            continue;
        }
        let table = event.table.as_ref().map(|t| t.to_string()).unwrap_or_default();
        let message = format!("adding the NOT NULL column `{column}` without a default to `{table}` fails as soon as the table has a row; add a default, or add it nullable, backfill, then set NOT NULL");
        out.push(at(RULE_ID, &event.location, message));
    }
}
