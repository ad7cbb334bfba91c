//! `sql/adding-foreign-key-constraint`: aDD FOREIGN KEY on an existing table without NOT VALID.

use super::at;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::EventKind;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/adding-foreign-key-constraint";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "ADD FOREIGN KEY on an existing table without NOT VALID",
        doc: include_str!("../../../docs/rules/sql/adding-foreign-key-constraint.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for event in &ctx.model.events {
        let EventKind::AddForeignKey { not_valid: false, new_column: false } = &event.kind else { continue };
        if event.table_created_here || event.table_uncertain {
            continue;
        }
        let table = event.table.as_ref().map(|t| t.to_string()).unwrap_or_default();
        let message = format!("adding a foreign key to `{table}` checks every existing row while holding a lock that blocks writes to both tables; add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later statement");
        out.push(at(RULE_ID, &event.location, message));
    }
}
