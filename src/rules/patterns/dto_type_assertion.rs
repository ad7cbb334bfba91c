//! `patterns/dto-type-assertion`: `value as XDTO` outside tests.

use tree_sitter::Node;

use crate::engine::{ecma, Finding, QueryMatchContext};
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
        id: "patterns/dto-type-assertion",
        default_severity: Severity::Warning,
        kinds: &[FileKind::TypeScript, FileKind::Tsx],
        summary: "an `as …DTO` type assertion outside tests",
        doc: include_str!("../../../docs/rules/patterns/dto-type-assertion.md"),
        matcher: Matcher::Query {
            source: include_str!("../../../queries/typescript/patterns/dto-type-assertion.scm"),
            predicate: Some(check),
        },
    }
}

fn check(ctx: &QueryMatchContext<'_, '_>) -> Option<Finding> {
    if ecma::is_test_path(&ctx.doc.path) {
        return None;
    }
    let node = ctx.node;
    // `as_expression`: expression, type.
    let target = node.named_child(node.named_child_count().checked_sub(1)?)?;
    let name = dto_name(ctx, target, 0)?;
    if super::exempted_by_project_lint(&ctx.doc.text, target.start_byte()) {
        return None;
    }
    let message = format!(
        "`as {name}` tells the compiler to trust that the value has the DTO's shape without checking it; build the DTO with a typed mapper (`const dto: {name} = {{ … }}`) or validate the data (e.g. a schema's `parse`) instead"
    );
    let range = node.named_child(0).map_or(node.start_byte(), |e| e.end_byte())..node.end_byte();
    let range = skip_whitespace(ctx, range);
    Some(ctx.finding(range, message))
}

/// The DTO name a type refers to: `XDTO`, `XDTO[]`, `Array<XDTO>`, `ns.XDTO`, `XDTO<T>`.
fn dto_name<'d>(ctx: &QueryMatchContext<'d, '_>, ty: Node<'_>, depth: u32) -> Option<&'d str> {
    if depth > 4 {
        return None;
    }
    match ty.kind() {
        "type_identifier" => Some(ctx.text(ty)).filter(|n| super::is_dto_name(n, &ctx.config.patterns)),
        "nested_type_identifier" => dto_name(ctx, ty.child_by_field_name("name")?, depth + 1),
        "array_type" | "readonly_type" | "parenthesized_type" => dto_name(ctx, ty.named_child(0)?, depth + 1),
        "generic_type" => {
            let name = ty.child_by_field_name("name")?;
            match ctx.text(name) {
                "Array" | "ReadonlyArray" | "Promise" | "Partial" | "Readonly" => {
                    dto_name(ctx, ty.child_by_field_name("type_arguments")?.named_child(0)?, depth + 1)
                }
                _ => dto_name(ctx, name, depth + 1),
            }
        }
        _ => None,
    }
}

fn skip_whitespace(ctx: &QueryMatchContext<'_, '_>, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let text = ctx.doc.slice(range.clone());
    let start = range.start + (text.len() - text.trim_start().len());
    start..range.end.max(start)
}
