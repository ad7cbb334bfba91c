//! `sql/adding-foreign-key-constraint`: ADD FOREIGN KEY on an existing table without NOT VALID.

use super::insert_after_statement;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::engine::TextEdit;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::{quote_if_needed, EventKind};
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
        let EventKind::AddForeignKey { not_valid: false, new_column: false, constraint, constraint_end, statement } =
            &event.kind
        else {
            continue;
        };
        if event.table_created_here || event.table_uncertain {
            continue;
        }
        let Some(table) = event.table.as_ref() else { continue };
        let message = format!(
            "adding a foreign key to `{table}` checks every existing row while holding a lock that blocks writes to both tables; add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later statement"
        );
        let mut finding = Finding::new(RULE_ID, event.location.range.clone(), message);
        let validate = format!("ALTER TABLE {table} VALIDATE CONSTRAINT {};", quote_if_needed(constraint));
        if let Some(mut fix) =
            insert_after_statement(ctx, "Add NOT VALID, then VALIDATE CONSTRAINT", statement, &validate)
        {
            fix.edits.push(TextEdit {
                path: statement.path.clone(),
                range: *constraint_end..*constraint_end,
                new_text: " NOT VALID".to_string(),
            });
            finding = finding.with_fix(fix);
        }
        out.push((event.location.path.clone(), finding));
    }
}
