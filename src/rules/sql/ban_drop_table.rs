//! `sql/ban-drop-table`: DROP TABLE of a table an earlier migration created.

use super::at;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::EventKind;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/ban-drop-table";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "DROP TABLE of a table an earlier migration created",
        doc: include_str!("../../../docs/rules/sql/ban-drop-table.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for event in &ctx.model.events {
        let EventKind::DropTable = &event.kind else { continue };
        if event.table_created_here || event.table_uncertain {
            continue;
        }
        let table = event.table.as_ref().map(|t| t.to_string()).unwrap_or_default();
        let message = format!("dropping `{table}` deletes its data and breaks every deployed client that still uses it; make sure nothing reads it, and keep a backup");
        out.push(at(RULE_ID, &event.location, message));
    }
}
