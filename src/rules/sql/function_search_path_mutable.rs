//! `sql/function-search-path-mutable`: function without a fixed search_path, above all a SECURITY DEFINER one.

use super::is_user_schema;
use crate::engine::Finding;
use crate::engine::Fix;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::{contains_word, quote_if_needed};
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
    // Without a Data API (no exposed schema) only the server's own role calls the functions: a
    // mutable path matters where it escalates privileges, in SECURITY DEFINER functions.
    let definer_only = ctx.config.sql.exposed_schemas().is_empty();
    for function in &ctx.model.functions {
        if function.search_path.is_some()
            || function.uncertain
            || !is_user_schema(&function.name.schema)
            || (definer_only && !function.security_definer)
        {
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
        let body =
            ctx.document(&function.created.path).and_then(|d| d.text.get(function.created.range.clone())).unwrap_or("");
        let fix = if names_are_qualified(ctx, body) {
            Fix::in_file(
                "Set search_path = ''",
                &function.created.path,
                [(at..at, "SET search_path = ''\n".to_string())],
            )
        } else {
            // The body uses unqualified names of the schema's own objects: an empty path would
            // break it, so pin the path the migration created it with.
            let path: Vec<String> = if function.created_search_path.is_empty() {
                vec!["public".to_string()]
            } else {
                function.created_search_path.iter().map(|s| quote_if_needed(s)).collect()
            };
            let path = path.join(", ");
            Fix::in_file(
                format!("Pin search_path to {path}"),
                &function.created.path,
                [(at..at, format!("SET search_path = {path}\n"))],
            )
        };
        out.push((
            function.head.path.clone(),
            Finding::new(RULE_ID, function.head.range.clone(), message).with_fix(fix),
        ));
    }
}

/// Whether every table, view and function the migrations created is named schema-qualified in
/// `body` (a name preceded by `.`), so the function still works with an empty `search_path`.
fn names_are_qualified(ctx: &SqlRuleContext<'_>, body: &str) -> bool {
    let body = body.to_lowercase();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let names = ctx
        .model
        .tables
        .keys()
        .chain(ctx.model.views.keys())
        .chain(ctx.model.functions.iter().map(|f| &f.name))
        .map(|n| n.name.to_lowercase());
    for name in names {
        if !contains_word(&body, &name) {
            continue;
        }
        let unqualified = body.match_indices(name.as_str()).any(|(i, _)| {
            let before = body[..i].trim_end_matches('"').chars().next_back();
            let after = body[i + name.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident) && before != Some('.')
        });
        if unqualified {
            return false;
        }
    }
    true
}
