//! `sql/security-definer-function-executable`: SECURITY DEFINER function in an exposed schema that anon or authenticated can execute.

use super::{before, insert_after_statement, is_exposed};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/security-definer-function-executable";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "SECURITY DEFINER function in an exposed schema that anon or authenticated can execute",
        doc: include_str!("../../../docs/rules/sql/security-definer-function-executable.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for function in &ctx.model.functions {
        if !function.security_definer || function.uncertain || !is_exposed(ctx, &function.name.schema) {
            continue;
        }
        let roles: Vec<&str> = ["anon", "authenticated"].into_iter().filter(|r| function.executable_by(r)).collect();
        if roles.is_empty() {
            continue;
        }
        let kind = if function.procedure { "PROCEDURE" } else { "FUNCTION" };
        let message = format!(
            "SECURITY DEFINER {} `{}` can be executed by {} (through `/rest/v1/rpc`), and runs with its owner's rights, bypassing row level security; revoke EXECUTE unless that is intended",
            kind.to_lowercase(),
            function.name,
            roles.join(" and ")
        );
        let mut finding = Finding::new(RULE_ID, function.head.range.clone(), message);
        // After the last GRANT/REVOKE, or a later GRANT would undo the fix.
        let after = function.last_grant.as_ref().filter(|g| before(&function.created, g)).unwrap_or(&function.created);
        let statement = format!("REVOKE EXECUTE ON {kind} {} FROM public, anon, authenticated;", function.signature);
        if let Some(fix) =
            insert_after_statement(ctx, "Revoke EXECUTE from public, anon and authenticated", after, &statement)
        {
            finding = finding.with_fix(fix);
        }
        out.push((function.head.path.clone(), finding));
    }
}
