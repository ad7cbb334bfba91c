//! `sql/rls-bypass`: BYPASSRLS grants, ALTER TABLE … DISABLE / NO FORCE ROW LEVEL SECURITY, and a
//! session's `SET row_security = off` outside pg_dump's header (which bypasses nothing but makes
//! filtered queries fail: see the rule's documentation).

use super::at;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::EventKind;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/rls-bypass";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "BYPASSRLS grants, SET row_security = off (outside pg_dump's header), ALTER TABLE … DISABLE / NO FORCE ROW LEVEL SECURITY",
        doc: include_str!("../../../docs/rules/sql/rls-bypass.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for event in &ctx.model.events {
        let message = match &event.kind {
            // Switched off on a table the same file then drops: nothing is left to protect.
            EventKind::RlsBypass { .. } if dropped_later_in_same_file(ctx, event) => continue,
            EventKind::RlsBypass { what } => {
                format!("this statement {what}: row level security no longer protects the rows it covers")
            }
            EventKind::RowSecurityOff => "`SET row_security = off` bypasses no policy: for the rest of the session a query \
                 that a policy would filter raises an error instead. Outside a pg_dump header it marks a script that \
                 expects row level security out of its way: run those statements as the table owner and drop the setting"
                .to_string(),
            _ => continue,
        };
        out.push(at(RULE_ID, &event.location, message));
    }
}

/// True when the file of `event` drops the table the event is about after the event.
fn dropped_later_in_same_file(ctx: &SqlRuleContext<'_>, event: &crate::sql::Event) -> bool {
    let Some(table) = &event.table else { return false };
    ctx.model.events.iter().any(|other| {
        matches!(other.kind, EventKind::DropTable)
            && other.table.as_ref() == Some(table)
            && other.location.migration == event.location.migration
            && other.location.range.start > event.location.range.start
    })
}
