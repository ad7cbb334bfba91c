//! `sql/changing-column-type`: ALTER COLUMN … TYPE on an existing table.

use super::at;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::EventKind;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/changing-column-type";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "ALTER COLUMN … TYPE on an existing table",
        doc: include_str!("../../../docs/rules/sql/changing-column-type.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for event in &ctx.model.events {
        let EventKind::ChangeColumnType { column } = &event.kind else { continue };
        if event.table_created_here || event.table_uncertain {
            continue;
        }
        let table = event.table.as_ref().map(|t| t.to_string()).unwrap_or_default();
        let message = format!("changing the type of `{table}`.`{column}` rewrites the table under an ACCESS EXCLUSIVE lock and breaks clients that read the old type; add a new column and migrate in steps");
        out.push(at(RULE_ID, &event.location, message));
    }
}
