//! `sql/no-primary-key`: table in an exposed schema without a primary key.

use super::{at, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/no-primary-key";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Info,
        kinds: &[FileKind::Sql],
        summary: "Table in an exposed schema without a primary key",
        doc: include_str!("../../../docs/rules/sql/no-primary-key.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for table in ctx.model.tables.values() {
        if table.primary_key.is_some() || table.uncertain || !is_user_schema(&table.name.schema) {
            continue;
        }
        let message = format!(
            "table `{}` has no primary key: rows cannot be addressed one by one (updates through the API, replication, the table editor)",
            table.name
        );
        out.push(at(RULE_ID, &table.created_head, message));
    }
}
