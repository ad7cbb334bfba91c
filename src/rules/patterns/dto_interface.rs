//! `patterns/dto-interface`: a DTO declared as an `interface` rather than a `type` alias.

use tree_sitter::Node;

use crate::engine::{ecma, Finding, Fix, QueryMatchContext};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

/// The prefilter's necessary condition (`engine::prefilter`): a name ending with a configured
/// DTO suffix.
pub fn may_match(_path: &str, text: &str, config: &crate::config::Config) -> bool {
    config.patterns.dto_suffixes.iter().any(|s| !s.is_empty() && text.contains(s.as_str()))
}

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: "patterns/dto-interface",
        default_severity: Severity::Warning,
        kinds: &[FileKind::TypeScript, FileKind::Tsx],
        summary: "a DTO declared as `interface` instead of a `type` alias",
        doc: include_str!("../../../docs/rules/patterns/dto-interface.md"),
        matcher: Matcher::Query {
            source: include_str!("../../../queries/typescript/patterns/dto-interface.scm"),
            predicate: Some(check),
        },
    }
}

fn check(ctx: &QueryMatchContext<'_, '_>) -> Option<Finding> {
    let name_node = ctx.capture("name")?;
    let name = ctx.text(name_node);
    if !super::is_dto_name(name, &ctx.config.patterns) {
        return None;
    }
    let declaration = ctx.node;
    // The statement that carries comments: `export interface …` or the bare declaration.
    let statement = declaration.parent().filter(|p| p.kind() == "export_statement").unwrap_or(declaration);
    if super::exempted_by_project_lint(&ctx.doc.text, statement.start_byte())
        || statement.prev_sibling().filter(|comment| comment.kind() == "comment").is_some_and(|comment| {
            let from = comment.start_byte();
            super::documented_rpc_result(&ctx.doc.text[from..], statement.start_byte() - from)
        })
    {
        return None;
    }
    let message = format!(
        "DTO `{name}` is declared as an `interface`; DTOs are plain data shapes and are declared with `type` so they cannot be widened by declaration merging or implemented by classes: `type {name} = {{ … }}`"
    );
    let mut finding = ctx.finding(declaration.start_byte()..name_node.end_byte(), message);
    // Declaration merging: rewriting one of several declarations would break the others.
    let default_export = declaration.parent().is_some_and(|p| {
        let mut cursor = p.walk();
        let found = p.kind() == "export_statement" && p.children(&mut cursor).any(|c| c.kind() == "default");
        found
    });
    // `export default type X = …` is not valid TypeScript, so no rewrite for default exports.
    if declarations_named(ctx, name) == 1 && !declaration.has_error() && !default_export {
        if let Some(replacement) = as_type_alias(ctx, declaration, name_node) {
            finding = finding.with_fix(Fix::in_file(
                "Rewrite as a type alias",
                &ctx.doc.path,
                [(declaration.byte_range(), replacement)],
            ));
        }
    }
    Some(finding)
}

/// `interface N<T> extends A, B { … }` → `type N<T> = A & B & { … };`
fn as_type_alias(ctx: &QueryMatchContext<'_, '_>, declaration: Node<'_>, name: Node<'_>) -> Option<String> {
    let body = declaration.child_by_field_name("body")?;
    let generics = declaration.child_by_field_name("type_parameters").map_or("", |t| ctx.text(t));
    let mut parts: Vec<&str> = Vec::new();
    let mut cursor = declaration.walk();
    for child in declaration.named_children(&mut cursor) {
        if child.kind() == "extends_type_clause" {
            let mut inner = child.walk();
            parts.extend(child.named_children(&mut inner).filter(|t| t.kind() != "comment").map(|t| ctx.text(t)));
        }
    }
    parts.push(ctx.text(body));
    Some(format!("type {}{generics} = {};", ctx.text(name), parts.join(" & ")))
}

/// How many interfaces, classes, type aliases, enums or namespaces of the file carry `name`.
fn declarations_named(ctx: &QueryMatchContext<'_, '_>, name: &str) -> usize {
    ecma::mark_file_wide();
    let Some(tree) = ctx.doc.tree() else { return 0 };
    let mut count = 0;
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if matches!(
            node.kind(),
            "interface_declaration"
                | "class_declaration"
                | "abstract_class_declaration"
                | "type_alias_declaration"
                | "enum_declaration"
                | "internal_module"
                | "module"
        ) && node.child_by_field_name("name").is_some_and(|n| ctx.text(n) == name)
        {
            count += 1;
        }
        // Declarations live in statement positions: do not descend into expressions.
        let descend = matches!(
            node.kind(),
            "program" | "export_statement" | "statement_block" | "ambient_declaration" | "internal_module" | "module"
        );
        if descend && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return count;
            }
        }
    }
}
