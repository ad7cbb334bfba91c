//! `sql/duplicate-index`: index identical to another index on the same table.

use super::{at, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use std::collections::HashMap;

use crate::sql::{Index, QualifiedName};
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

/// What makes two indexes the same, as in splinter's lint 0009 (indexes whose definitions differ
/// only in their names): table, key columns, uniqueness, access method, predicate. An index
/// backing a primary key or UNIQUE constraint takes part like any other; a plain index on the
/// columns of a unique one is not the same index (see the rule's documentation).
type IndexKey<'m> = (&'m QualifiedName, &'m [Option<String>], bool, &'m str, Option<&'m str>);

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let mut indexes: Vec<&Index> = ctx.model.indexes.values().filter(|i| is_user_schema(&i.table.schema)).collect();
    indexes.sort_by_key(|i| (i.created.migration, i.created.range.start));
    // The first index of each (table, columns, method, predicate).
    let mut first: HashMap<IndexKey<'_>, &Index> = HashMap::new();
    for index in indexes {
        if index.columns.iter().any(Option::is_none) {
            continue;
        }
        let key =
            (&index.table, index.columns.as_slice(), index.unique, index.method.as_str(), index.predicate.as_deref());
        let Some(other) = first.get(&key) else {
            first.insert(key, index);
            continue;
        };
        if ctx.model.is_uncertain(&index.table) {
            continue;
        }
        let what = if index.constraint { "the constraint's index" } else { "index" };
        let message = format!(
            "{what} `{}` on `{}` duplicates `{}` (same columns and uniqueness): every write maintains both; drop one",
            index.name, index.table, other.name
        );
        out.push(at(RULE_ID, &index.created, message));
    }
}
