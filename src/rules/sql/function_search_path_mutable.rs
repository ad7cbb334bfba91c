//! `sql/function-search-path-mutable`: function without a fixed search_path, above all a SECURITY DEFINER one.

use super::is_user_schema;
use crate::engine::Finding;
use crate::engine::Fix;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/function-search-path-mutable";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "Function without a fixed search_path, above all a SECURITY DEFINER one",
        doc: include_str!("../../../docs/rules/sql/function-search-path-mutable.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for function in &ctx.model.functions {
        if function.search_path.is_some() || !is_user_schema(&function.name.schema) {
            continue;
        }
        let kind = if function.procedure { "procedure" } else { "function" };
        let definer = if function.security_definer {
            " It runs as SECURITY DEFINER, so a caller who can create objects in a schema on the path can make it run their code with the owner's rights."
        } else {
            ""
        };
        let message = format!(
            "{kind} `{}` has no fixed `search_path`: unqualified names in it resolve through the caller's path.{definer} Add `SET search_path = ''` and qualify every name",
            function.name
        );
        let at = function.options_insert;
        let fix = Fix::in_file(
            "Set search_path = ''",
            &function.created.path,
            [(at..at, "SET search_path = ''\n".to_string())],
        );
        out.push((
            function.head.path.clone(),
            Finding::new(RULE_ID, function.head.range.clone(), message).with_fix(fix),
        ));
    }
}
