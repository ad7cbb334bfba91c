//! `sql/non-concurrent-index`: CREATE INDEX without CONCURRENTLY on a table that an earlier migration created.

use crate::engine::Finding;
use crate::engine::Fix;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::EventKind;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/non-concurrent-index";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "CREATE INDEX without CONCURRENTLY on a table that an earlier migration created",
        doc: include_str!("../../../docs/rules/sql/non-concurrent-index.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for event in &ctx.model.events {
        let EventKind::CreateIndex { concurrently: false, after_index_kw } = event.kind else { continue };
        let Some(created_in) = event.table_created_in else { continue };
        if created_in >= event.location.migration || event.table_uncertain {
            continue;
        }
        let table = event.table.as_ref().map(|t| t.to_string()).unwrap_or_default();
        let message = format!(
            "`CREATE INDEX` on `{table}`, which an earlier migration created, locks the table against writes while the index builds; use `CREATE INDEX CONCURRENTLY` (outside a transaction)"
        );
        let fix = Fix::in_file(
            "Add CONCURRENTLY",
            &event.location.path,
            [(after_index_kw..after_index_kw, " CONCURRENTLY".to_string())],
        );
        out.push((
            event.location.path.clone(),
            Finding::new(RULE_ID, event.location.range.clone(), message).with_fix(fix),
        ));
    }
}
