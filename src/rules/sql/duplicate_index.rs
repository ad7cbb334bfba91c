//! `sql/duplicate-index`: index identical to another index on the same table.

use super::{at, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::Index;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/duplicate-index";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "Index identical to another index on the same table",
        doc: include_str!("../../../docs/rules/sql/duplicate-index.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let mut indexes: Vec<&Index> = ctx.model.indexes.values().filter(|i| is_user_schema(&i.table.schema)).collect();
    indexes.sort_by_key(|i| (i.created.migration, i.created.range.start));
    for (n, index) in indexes.iter().enumerate() {
        if index.constraint || index.columns.iter().any(Option::is_none) || ctx.model.is_uncertain(&index.table) {
            continue;
        }
        let same = indexes[..n].iter().find(|other| {
            other.table == index.table
                && other.columns == index.columns
                && other.method == index.method
                && other.predicate == index.predicate
        });
        let Some(other) = same else { continue };
        let message = format!(
            "index `{}` on `{}` duplicates `{}` (same columns): every write maintains both; drop one",
            index.name, index.table, other.name
        );
        out.push(at(RULE_ID, &index.created, message));
    }
}
