//! The predicates user queries may use beyond tree-sitter's own (`#eq?`, `#match?`,
//! `#any-of?` and their `not-` forms): Baton's facts about calls, imports and files. The
//! reference is docs/user-rules.md, "Predicates".

#[cfg(test)]
use tree_sitter::Query;
use tree_sitter::{Node, QueryPredicate, QueryPredicateArg};

use crate::engine::{ecma, QueryMatchContext};

/// The predicates, with the arguments each takes: (name, needs a capture, needs strings).
pub const PREDICATES: &[(&str, bool, bool)] = &[
    ("inside-call?", true, true),
    ("not-inside-call?", true, true),
    ("imported-from?", true, true),
    ("not-imported-from?", true, true),
    ("file-imports?", false, true),
    ("not-file-imports?", false, true),
    ("path?", false, true),
    ("not-path?", false, true),
    ("not-test-file?", false, false),
];

/// Checks the general predicates of one pattern: known names, the right arguments.
pub fn validate(predicates: &[QueryPredicate]) -> Result<(), String> {
    for predicate in predicates {
        let name = predicate.operator.as_ref();
        let Some((_, capture, strings)) = PREDICATES.iter().find(|(n, _, _)| *n == name) else {
            let known: Vec<String> = PREDICATES.iter().map(|(n, _, _)| format!("#{n}")).collect();
            return Err(format!(
                "unknown predicate `#{name}` (tree-sitter's #eq?, #match?, #any-of? and Baton's {} are known)",
                known.join(", ")
            ));
        };
        let mut args = predicate.args.iter();
        if *capture && !matches!(args.next(), Some(QueryPredicateArg::Capture(_))) {
            return Err(format!("`#{name}` takes a capture first, e.g. (#{name} @callee \"name\")"));
        }
        let rest: Vec<_> = args.collect();
        if rest.iter().any(|a| matches!(a, QueryPredicateArg::Capture(_))) {
            return Err(format!("`#{name}` takes strings after its capture"));
        }
        if *strings && rest.is_empty() {
            return Err(format!("`#{name}` needs at least one string"));
        }
        if !*strings && !rest.is_empty() {
            return Err(format!("`#{name}` takes no argument"));
        }
    }
    Ok(())
}

/// True when every general predicate of the match's pattern holds.
pub fn holds<'t>(
    ctx: &QueryMatchContext<'_, 't>,
    predicates: &[QueryPredicate],
    nodes: &dyn Fn(u32) -> Option<Node<'t>>,
) -> bool {
    predicates.iter().all(|p| holds_one(ctx, p, nodes))
}

fn holds_one<'t>(
    ctx: &QueryMatchContext<'_, 't>,
    predicate: &QueryPredicate,
    nodes: &dyn Fn(u32) -> Option<Node<'t>>,
) -> bool {
    let strings: Vec<&str> = predicate
        .args
        .iter()
        .filter_map(|a| match a {
            QueryPredicateArg::String(s) => Some(s.as_ref()),
            QueryPredicateArg::Capture(_) => None,
        })
        .collect();
    let node = predicate.args.first().and_then(|a| match a {
        QueryPredicateArg::Capture(i) => nodes(*i),
        QueryPredicateArg::String(_) => None,
    });
    let path = ctx.doc.path.as_str();
    match predicate.operator.as_ref() {
        "inside-call?" => node.is_some_and(|n| inside_call(ctx, n, &strings)),
        "not-inside-call?" => node.is_some_and(|n| !inside_call(ctx, n, &strings)),
        "imported-from?" => node.is_some_and(|n| imported_from(ctx, n, &strings)),
        "not-imported-from?" => node.is_some_and(|n| !imported_from(ctx, n, &strings)),
        "file-imports?" => file_imports(ctx, &strings),
        "not-file-imports?" => !file_imports(ctx, &strings),
        "path?" => strings.iter().any(|g| ecma::path_matches(g, path)),
        "not-path?" => !strings.iter().any(|g| ecma::path_matches(g, path)),
        "not-test-file?" => !ecma::is_test_path(path),
        _ => false,
    }
}

/// True when `node` is inside the arguments of a call (or `new`) whose callee's simple name
/// (`f` of `f(…)`, `g` of `a.b.g(…)`) is one of `names`, or inside a callback handed to one.
fn inside_call(ctx: &QueryMatchContext<'_, '_>, node: Node<'_>, names: &[&str]) -> bool {
    let mut child = node;
    let mut current = node.parent();
    while let Some(parent) = current {
        if matches!(parent.kind(), "call_expression" | "new_expression")
            && parent.child_by_field_name("arguments").is_some_and(|a| a.id() == child.id())
        {
            let callee = parent.child_by_field_name("function").or_else(|| parent.child_by_field_name("constructor"));
            let name = callee.and_then(|c| match c.kind() {
                "identifier" => Some(ctx.text(c)),
                "member_expression" => c.child_by_field_name("property").map(|p| ctx.text(p)),
                _ => None,
            });
            if name.is_some_and(|n| names.contains(&n)) {
                return true;
            }
        }
        child = parent;
        current = parent.parent();
    }
    false
}

/// The module a captured name is imported from: an identifier, or the leftmost object of a
/// member expression (`prisma` of `prisma.user.find`), or an import statement's own source.
fn imported_from(ctx: &QueryMatchContext<'_, '_>, node: Node<'_>, modules: &[&str]) -> bool {
    let mut node = node;
    while node.kind() == "member_expression" {
        match node.child_by_field_name("object") {
            Some(object) => node = object,
            None => return false,
        }
    }
    let source = match node.kind() {
        "identifier" | "type_identifier" | "shorthand_property_identifier" => {
            ctx.file_facts().source_of(ctx.text(node))
        }
        _ => None,
    };
    source.is_some_and(|s| modules.iter().any(|m| module_matches(m, s)))
}

fn file_imports(ctx: &QueryMatchContext<'_, '_>, modules: &[&str]) -> bool {
    ctx.file_facts().module_imports.iter().any(|s| modules.iter().any(|m| module_matches(m, s)))
}

/// A module pattern: the exact specifier, or a prefix ending in `*` (`@prisma/*`).
pub fn module_matches(pattern: &str, specifier: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => specifier.starts_with(prefix),
        None => pattern == specifier,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_patterns_are_exact_or_prefixes() {
        assert!(module_matches("@prisma/client", "@prisma/client"));
        assert!(!module_matches("@prisma/client", "@prisma/client/edge"));
        assert!(module_matches("@prisma/*", "@prisma/client/edge"));
        assert!(!module_matches("@prisma/*", "prisma"));
    }

    #[test]
    fn unknown_predicates_and_wrong_arguments_are_rejected() {
        let language = crate::syntax::Grammar::TypeScript.language();
        let check = |source: &str| validate(Query::new(&language, source).unwrap().general_predicates(0));
        assert!(check("((call_expression) @match (#inside-call? @match \"f\"))").is_ok());
        assert!(check("((call_expression) @match (#not-test-file?))").is_ok());
        assert!(check("((call_expression) @match (#inside-cal? @match \"f\"))").unwrap_err().contains("unknown"));
        assert!(check("((call_expression) @match (#inside-call? \"f\"))").unwrap_err().contains("capture first"));
        assert!(check("((call_expression) @match (#path?))").unwrap_err().contains("at least one"));
        assert!(check("((call_expression) @match (#not-test-file? \"x\"))").unwrap_err().contains("no argument"));
    }
}
