//! `sql/rls-disabled-in-public`: a table in an exposed schema whose RLS is never enabled.

use crate::engine::{Finding, Fix, SqlRuleContext};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/rls-disabled-in-public";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Sql],
        summary: "Table in an exposed schema whose row level security is never enabled, over the ordered migrations",
        doc: include_str!("../../../docs/rules/sql/rls-disabled-in-public.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for table in ctx.model.tables.values() {
        // Like splinter, only a table `anon` or `authenticated` may read: without the privilege
        // the API cannot reach its rows, RLS or not.
        if table.rls_enabled
            || table.uncertain
            || !super::is_exposed(ctx, &table.name.schema)
            || table.api_readers().is_empty()
        {
            continue;
        }
        // Disabled again after being enabled: the cause is the DISABLE statement. No automatic
        // fix: an applied migration should not be edited, a new one must enable RLS again.
        if let Some((disabled_at, false)) = table.rls_changes.last() {
            let message = format!(
                "this disables row level security on `{}` in the exposed schema `{}` and no later migration enables it again: every row is readable and writable through the API",
                table.name, table.name.schema
            );
            out.push((disabled_at.path.clone(), Finding::new(RULE_ID, disabled_at.range.clone(), message)));
            continue;
        }
        let message = format!(
            "table `{}` is in the exposed schema `{}` but no migration enables row level security on it: every row is readable and writable through the API",
            table.name, table.name.schema
        );
        let created = &table.created;
        let mut finding = Finding::new(RULE_ID, table.created_head.range.clone(), message);
        if let Some(doc) = ctx.document(&created.path) {
            let at = created.range.end;
            // Without a policy the table is closed to the API (the safe state): say so where
            // `sql/rls-enabled-no-policy` would otherwise report it, until policies are written.
            let note = if ctx.model.policies_on(&table.name).next().is_none() {
                "\n-- baton-ignore sql/rls-enabled-no-policy: no policy yet, so the API sees no rows; add policies for the roles that need access"
            } else {
                ""
            };
            let statement =
                format!("\n{note}\nALTER TABLE {} ENABLE ROW LEVEL SECURITY;", table.created_name_text.trim());
            let new_text = if doc.text[..at].ends_with(';') { statement } else { format!(";{statement}") };
            finding = finding.with_fix(Fix::in_file(
                "Enable row level security after CREATE TABLE",
                &created.path,
                [(at..at, new_text)],
            ));
        }
        out.push((created.path.clone(), finding));
    }
}
