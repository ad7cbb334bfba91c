//! `errors/floating-promise`: a promise that is neither awaited, returned, voided, assigned nor
//! given a rejection handler.
//!
//! Without a type checker the rule only reports calls it knows return a promise: functions
//! declared `async` (or returning `new Promise`) in the same file or exported so by another
//! workspace module, Prisma operations on a configured client, `fetch`, async IIFEs and `.then`
//! chains without a rejection handler.

use tree_sitter::Node;

use crate::engine::{ecma, Finding, Fix, QueryMatchContext};
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: "errors/floating-promise",
        default_severity: Severity::Warning,
        kinds: ECMASCRIPT,
        summary: "a promise that is neither awaited, returned, assigned, voided nor given a rejection handler",
        doc: include_str!("../../../docs/rules/errors/floating-promise.md"),
        matcher: Matcher::Query {
            source: include_str!("../../../queries/typescript/errors/floating-promise.scm"),
            predicate: Some(check),
        },
    }
}

/// Client methods that return promises.
const PRISMA_CLIENT_METHODS: &[&str] =
    &["$connect", "$disconnect", "$transaction", "$queryRaw", "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe"];

/// Why a call returns a promise.
enum Promise {
    /// `.then(ok)` without a rejection handler.
    Then,
    /// A call known to return a promise, with the reason.
    Call(String),
}

fn check(ctx: &QueryMatchContext<'_, '_>) -> Option<Finding> {
    let call = ctx.capture("call")?;
    let why = classify(ctx, call, 0)?;
    let function = call.child_by_field_name("function")?;
    let has_args = call.child_by_field_name("arguments").is_some_and(|a| a.named_child_count() > 0);
    let shown = if function.kind() == "parenthesized_expression" {
        "(async () => …)()".to_string()
    } else {
        format!("{}({})", short(ctx.text(function)), if has_args { "…" } else { "" })
    };
    let message = match why {
        Promise::Then => format!(
            "`{shown}` has no rejection handler and nothing awaits it: a rejection becomes an unhandled rejection (Node.js exits on one) and the work may not finish before the caller moves on; `await` it, add `.catch(…)`, or mark it `void` if fire-and-forget is intended"
        ),
        Promise::Call(reason) => format!(
            "`{shown}` returns a promise ({reason}) that is neither awaited, returned nor given a rejection handler: errors are lost and nothing waits for it; `await` it, add `.catch(…)`, or mark it `void` if fire-and-forget is intended"
        ),
    };
    let single_line = ctx.doc.line_index.line_of(call.start_byte()) == ctx.doc.line_index.line_of(call.end_byte());
    let end = if single_line { call.end_byte() } else { function.end_byte() };
    let statement = ctx.node;
    let at = statement.start_byte();
    let mut finding = ctx.finding(call.start_byte()..end, message);
    let in_async = ecma::enclosing_function(statement).is_some_and(ecma::is_async);
    if in_async {
        finding = finding.with_fix(Fix::in_file("Add `await`", &ctx.doc.path, [(at..at, "await ".to_string())]));
    }
    finding = finding.with_fix(Fix::in_file(
        "Mark as intentionally not awaited (`void`)",
        &ctx.doc.path,
        [(at..at, "void ".to_string())],
    ));
    Some(finding)
}

/// The first line of `text`, shortened.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim_end();
    if line.chars().count() > 60 {
        let cut: String = line.chars().take(57).collect();
        format!("{cut}…")
    } else if text.contains('\n') {
        format!("{line}…")
    } else {
        line.to_string()
    }
}

/// Whether `call` returns a promise nobody handles; `None` when it does not (or may not).
fn classify(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>, depth: u32) -> Option<Promise> {
    if depth > 16 || call.kind() != "call_expression" {
        return None;
    }
    let function = call.child_by_field_name("function")?;
    let arguments = call.child_by_field_name("arguments")?;
    match function.kind() {
        "member_expression" => {
            let property = ctx.text(function.child_by_field_name("property")?);
            let object = function.child_by_field_name("object")?;
            match property {
                "catch" => None,
                "then" => (ecma::argument_list(arguments).len() < 2).then_some(Promise::Then),
                // `.finally` passes a rejection through: the chain before it decides.
                "finally" => classify(ctx, object, depth + 1),
                _ => member_call(ctx, object, property),
            }
        }
        "identifier" => identifier_call(ctx, ctx.text(function)),
        "parenthesized_expression" => {
            let inner = function.named_child(0)?;
            (ecma::is_function(inner) && ecma::returns_promise(ctx.doc, inner))
                .then(|| Promise::Call("an async function expression called in place".into()))
        }
        _ => None,
    }
}

fn member_call(ctx: &QueryMatchContext<'_, '_>, object: Node<'_>, property: &str) -> Option<Promise> {
    let file = ctx.file_facts();
    // prisma.$transaction(…), prisma.$disconnect()
    if PRISMA_CLIENT_METHODS.contains(&property) && ctx.is_raw_client(object) {
        return Some(Promise::Call(format!("Prisma's `{property}`")));
    }
    // prisma.user.create(…)
    if ecma::PRISMA_OPERATIONS.contains(&property) && object.kind() == "member_expression" {
        let client = object.child_by_field_name("object")?;
        if ctx.is_raw_client(client) {
            return Some(Promise::Call(format!("Prisma's `{property}`")));
        }
    }
    // ns.fn() with `import * as ns from "./module"` exporting `fn` as async.
    if object.kind() == "identifier" {
        let import = file.import_of(ctx.text(object))?;
        if import.imported == "*" && ctx.facts.exports_async(&ctx.doc.path, &import.source, property) {
            return Some(Promise::Call(format!("`{property}` is exported as async by `{}`", import.source)));
        }
        return None;
    }
    // this.method() with `async method()` in the enclosing class.
    if object.kind() == "this" && class_has_async_method(ctx, object, property) {
        return Some(Promise::Call(format!("method `{property}` is declared `async`")));
    }
    None
}

fn identifier_call(ctx: &QueryMatchContext<'_, '_>, name: &str) -> Option<Promise> {
    let file = ctx.file_facts();
    if let Some(import) = file.import_of(name) {
        let exported = if import.imported == "*" { return None } else { import.imported.as_str() };
        return ctx
            .facts
            .exports_async(&ctx.doc.path, &import.source, exported)
            .then(|| Promise::Call(format!("`{name}` is exported as async by `{}`", import.source)));
    }
    if file.is_async_function(name) {
        return Some(Promise::Call(format!("`{name}` is declared `async` in this file")));
    }
    if name == "fetch" && !file.declares("fetch") {
        return Some(Promise::Call("`fetch` always does".into()));
    }
    None
}

fn class_has_async_method(ctx: &QueryMatchContext<'_, '_>, from: Node<'_>, name: &str) -> bool {
    let mut node = from;
    let body = loop {
        let Some(parent) = node.parent() else { return false };
        if parent.kind() == "class_body" {
            break parent;
        }
        node = parent;
    };
    let mut cursor = body.walk();
    let found = body.named_children(&mut cursor).any(|member| {
        member.kind() == "method_definition"
            && member.child_by_field_name("name").is_some_and(|n| ctx.text(n) == name)
            && ecma::returns_promise(ctx.doc, member)
    });
    found
}
