//! `sql/unindexed-foreign-key`: foreign key whose columns are not the leading columns of any index.

use super::{insert_after_statement, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::{quote_if_needed, QualifiedName};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/unindexed-foreign-key";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Info,
        kinds: &[FileKind::Sql],
        summary: "Foreign key whose columns are not the leading columns of any index",
        doc: include_str!("../../../docs/rules/sql/unindexed-foreign-key.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for table in ctx.model.tables.values() {
        if table.uncertain || !is_user_schema(&table.name.schema) {
            continue;
        }
        for fk in &table.foreign_keys {
            let covered = ctx.model.indexes_on(&table.name).any(|index| {
                index.columns.len() >= fk.columns.len()
                    && fk
                        .columns
                        .iter()
                        .all(|c| index.columns[..fk.columns.len()].iter().any(|i| i.as_deref() == Some(c.as_str())))
            });
            if covered {
                continue;
            }
            let columns: Vec<String> = fk.columns.iter().map(|c| quote_if_needed(c)).collect();
            let message = format!(
                "foreign key `{}` ({}) → `{}` has no index starting with its columns: deletes and updates on `{}` and joins on it scan all of `{}`",
                fk.name,
                fk.columns.join(", "),
                fk.references,
                fk.references,
                table.name
            );
            let mut finding = Finding::new(RULE_ID, fk.declared.range.clone(), message);
            let base: String = format!("{}_{}_idx", table.name.name, fk.columns.join("_")).chars().take(63).collect();
            let mut name = base.clone();
            let mut n = 1;
            while ctx.model.indexes.contains_key(&QualifiedName::new(table.name.schema.clone(), name.clone()))
                && n < 100
            {
                name = format!("{base}{n}");
                n += 1;
            }
            let statement = format!(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({});",
                quote_if_needed(&name),
                table.name,
                columns.join(", ")
            );
            if let Some(fix) =
                insert_after_statement(ctx, "Create an index on the foreign key columns", &fk.statement, &statement)
            {
                finding = finding.with_fix(fix);
            }
            out.push((fk.declared.path.clone(), finding));
        }
    }
}
