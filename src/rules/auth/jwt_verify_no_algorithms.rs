//! `auth/jwt-verify-no-algorithms`: JWT verification without an allow-list of algorithms.

use tree_sitter::Node;

use crate::engine::{ecma, Finding, Fix, QueryMatchContext};
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};

/// The prefilter's necessary condition (`engine::prefilter`): only `verify` imported from
/// `jsonwebtoken` (by name, default or namespace import) is reported.
pub fn may_match(_path: &str, text: &str, _config: &crate::config::Config) -> bool {
    text.contains("verify") && text.contains("jsonwebtoken")
}

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
    // Tests verify tokens they signed themselves: no attacker chooses the header there.
    if ecma::is_test_path(&ctx.doc.path) {
        return None;
    }
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
    // `jose` binds the algorithm to the key's type (a secret only verifies HS*, a key or a JWKS
    // only its own algorithm), so a missing list there opens no confusion: not reported.
    let name = match (library, callee) {
        ("jsonwebtoken", "verify") => "jwt.verify",
        _ => return None,
    };
    let list = ecma::argument_list(ctx.capture("args")?);
    if list.len() < 2 {
        return None; // Half-typed; nothing to verify yet.
    }
    let options = list.get(OPTIONS_INDEX).copied();
    let choices: Vec<(Vec<String>, bool)> = if !ctx.config.jwt.algorithms.is_empty() {
        vec![(ctx.config.jwt.algorithms.clone(), false)]
    } else {
        match key_kind(ctx, list[1]) {
            Key::Secret => vec![(strings(&["HS256", "HS384", "HS512"]), false)],
            Key::Asymmetric => vec![(strings(&["RS256"]), true), (strings(&["ES256"]), true)],
            Key::Unknown => vec![(strings(&["HS256"]), true), (strings(&["RS256"]), true)],
        }
    };
    let mut fixes = Vec::new();
    for (algorithms, choice) in choices {
        let fix = algorithms_fix(ctx, &list, options, &format_algorithms(&algorithms))?;
        fixes.push(if choice { fix.as_choice() } else { fix });
    }
    let message = format!(
        "`{name}` without an `algorithms` option accepts any algorithm its key allows — before jsonwebtoken 9 that included HS256 tokens checked against an RSA public key used as an HMAC secret (algorithm confusion); pin the algorithm your tokens use with `{{ algorithms: [...] }}`"
    );
    let function = ctx.node.child_by_field_name("function")?;
    let mut finding = ctx.finding(function.byte_range(), message);
    for fix in fixes {
        finding = finding.with_fix(fix);
    }
    Some(finding)
}

/// What a verification key is, read from its expression (and a same-file variable's value).
enum Key {
    /// A shared secret (a string, `process.env.JWT_SECRET`): the HS family.
    Secret,
    /// A public key, certificate or JWKS: the RS/ES/PS families.
    Asymmetric,
    /// Not known.
    Unknown,
}

fn key_kind(ctx: &QueryMatchContext<'_, '_>, key: Node<'_>) -> Key {
    let mut texts = vec![ctx.text(key).to_string()];
    if key.kind() == "identifier" {
        if let Some(value) = ecma::declarator_value(ctx.doc, ctx.text(key)) {
            texts.push(ctx.text(value).to_string());
        }
    }
    let lower: Vec<String> = texts.iter().map(|t| t.to_ascii_lowercase()).collect();
    let any = |needles: &[&str]| lower.iter().any(|t| needles.iter().any(|n| t.contains(n)));
    if any(&[
        "jwks",
        "public",
        "begin certificate",
        "begin rsa",
        "begin ec",
        "spki",
        "x509",
        "importjwk",
        "signingkey",
        ".pem",
        "cert",
    ]) {
        return Key::Asymmetric;
    }
    if matches!(key.kind(), "string" | "template_string") || any(&["secret", "textencoder"]) {
        return Key::Secret;
    }
    Key::Unknown
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Adds `algorithms` to the call's options; `None` when the options cannot be edited (a
/// variable, a call, a spread) or already list algorithms.
fn algorithms_fix(
    ctx: &QueryMatchContext<'_, '_>,
    list: &[Node<'_>],
    options: Option<Node<'_>>,
    algorithms: &str,
) -> Option<Fix> {
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
    Some(Fix::in_file(format!("Allow only {algorithms}"), &ctx.doc.path, [edit]))
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
