//! `auth/jwt-verify-no-algorithms`: JWT verification without an allow-list of algorithms.

use tree_sitter::Node;

use crate::engine::{ecma, Finding, Fix, QueryMatchContext};
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: "auth/jwt-verify-no-algorithms",
        default_severity: Severity::Error,
        kinds: ECMASCRIPT,
        summary:
            "JWT verification (`jsonwebtoken` `verify`, `jose` `jwtVerify`) without an explicit `algorithms` allow-list",
        doc: include_str!("../../../docs/rules/auth/jwt-verify-no-algorithms.md"),
        matcher: Matcher::Query {
            source: include_str!("../../../queries/typescript/auth/jwt-verify-no-algorithms.scm"),
            predicate: Some(check),
        },
    }
}

/// Where the options object goes: the third argument of `jsonwebtoken.verify(token, key,
/// options, callback)` and of `jose.jwtVerify(jwt, key, options)`.
const OPTIONS_INDEX: usize = 2;

fn check(ctx: &QueryMatchContext<'_, '_>) -> Option<Finding> {
    let function = ctx.capture("function")?;
    // `verify` or `object.verify`, nothing deeper.
    let (object, callee) = match function.kind() {
        "member_expression" => {
            let object = function.child_by_field_name("object").filter(|o| o.kind() == "identifier")?;
            let property = function.child_by_field_name("property").filter(|p| p.kind() == "property_identifier")?;
            (Some(object), ctx.text(property))
        }
        _ => (None, ctx.text(function)),
    };
    if callee != "verify" && callee != "jwtVerify" {
        return None;
    }
    let file = ctx.file_facts();
    let library = match object {
        // `jwt.verify(…)` with `import jwt from "jsonwebtoken"` / `import * as jwt` / `require`.
        Some(object) => {
            let import = file.import_of(ctx.text(object))?;
            if import.imported != "default" && import.imported != "*" {
                return None;
            }
            import.source.as_str()
        }
        // `verify(…)` with `import { verify } from "jsonwebtoken"` (possibly aliased).
        None => {
            let import = file.import_of(callee)?;
            if import.imported != callee {
                return None;
            }
            import.source.as_str()
        }
    };
    let name = match (library, callee) {
        ("jsonwebtoken", "verify") => "jwt.verify",
        ("jose", "jwtVerify") => "jwtVerify",
        _ => return None,
    };
    let list = ecma::argument_list(ctx.capture("args")?);
    if list.len() < 2 {
        return None; // Half-typed; nothing to verify yet.
    }
    let options = list.get(OPTIONS_INDEX).copied();
    let algorithms = format_algorithms(&ctx.config.jwt.algorithms);
    let edit = match options {
        None => {
            let at = list[1].end_byte();
            (at..at, format!(", {{ algorithms: {algorithms} }}"))
        }
        Some(o) if is_callback(o) => {
            let at = o.start_byte();
            (at..at, format!("{{ algorithms: {algorithms} }}, "))
        }
        Some(o) if o.kind() == "object" => {
            if has_algorithms_or_spread(ctx, o) {
                return None;
            }
            let inner = ctx.text(o)[1..].trim_start();
            if inner.starts_with('}') {
                (o.byte_range(), format!("{{ algorithms: {algorithms} }}"))
            } else {
                let at = o.start_byte() + 1;
                (at..at, format!(" algorithms: {algorithms},"))
            }
        }
        // Options from a variable or a call: Baton cannot see them.
        Some(_) => return None,
    };
    let message = format!(
        "`{name}` without an `algorithms` option accepts whatever algorithm the token's header names, which opens algorithm-confusion attacks (an HS256 token signed with your public key); pass `{{ algorithms: [...] }}` listing only the algorithm your keys use"
    );
    let fix = Fix::in_file(format!("Allow only {algorithms}"), &ctx.doc.path, [edit]);
    let function = ctx.node.child_by_field_name("function")?;
    Some(ctx.finding(function.byte_range(), message).with_fix(fix))
}

fn is_callback(node: Node<'_>) -> bool {
    matches!(node.kind(), "arrow_function" | "function_expression" | "function")
}

fn has_algorithms_or_spread(ctx: &QueryMatchContext<'_, '_>, object: Node<'_>) -> bool {
    let mut cursor = object.walk();
    let found = object.named_children(&mut cursor).any(|member| match member.kind() {
        "spread_element" => true,
        "shorthand_property_identifier" => ctx.text(member) == "algorithms",
        "pair" => member.child_by_field_name("key").is_some_and(|k| {
            let key = ctx.text(k).trim_matches(|c| c == '"' || c == '\'');
            key == "algorithms"
        }),
        _ => false,
    });
    found
}

fn format_algorithms(algorithms: &[String]) -> String {
    let quoted: Vec<String> = algorithms.iter().map(|a| format!("{a:?}")).collect();
    format!("[{}]", quoted.join(", "))
}
