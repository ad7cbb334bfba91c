//! Whether an `async` function may reject: the *may reject* summary of `errors/floating-promise`.
//!
//! An async function rejects when something in its body throws outside a `try` whose `catch`
//! swallows it, or when it returns (or awaits) a promise that rejects. The analysis is syntactic
//! and deliberately simple:
//! - `throw` rejects; an `await` of anything but a plain call `f(…)` may reject;
//! - synchronous exceptions are not modelled: a call that is neither awaited nor returned, `new`,
//!   property reads and operators are taken not to throw (otherwise nothing could be shown
//!   safe). An async function that does no asynchronous work of its own (`async () => {
//!   enqueue(x); }`) therefore never rejects;
//! - a `try { … } catch { … }` protects its block; a `throw` in its `catch` block rejects (other
//!   code there — logging, state updates — is taken not to throw), its `finally` block is
//!   analysed like the rest of the body;
//! - `return f(…)`, `return await f(…)` and `await f(…)` with `f` a plain name reject exactly
//!   when `f` does: the summary lists such names as conditions, resolved by the caller (a local
//!   function, recursively; an imported one, through the workspace facts);
//! - nested functions are not entered (their bodies run later, if at all).

use tree_sitter::Node;

use super::ecma;
use crate::syntax::Document;

/// What decides whether a function may reject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// It may reject whatever its callees do.
    May,
    /// It rejects only if one of these callees (plain names, as called) does; none: never.
    Unless(Vec<String>),
}

/// Syntax nesting beyond which the analysis gives up ("may reject") instead of recursing.
const MAX_NESTING: usize = 48;

/// How deep `node` sits in its tree (bounded walk up; cheap next to the analysis itself).
fn depth_of(node: Node<'_>) -> usize {
    let mut depth = 0;
    let mut current = node.parent();
    while let Some(parent) = current {
        depth += 1;
        if depth > MAX_NESTING {
            break;
        }
        current = parent.parent();
    }
    depth
}

/// The depth to which calls of local functions are followed.
const MAX_DEPTH: u32 = 4;

/// The [`Rejection`] summary of an `async` function node's own body (callees unresolved). A
/// function that is not `async` (one that returns `new Promise(…)`) may reject.
pub fn summary(doc: &Document, function: Node<'_>) -> Rejection {
    if !ecma::is_async(function) {
        return Rejection::May;
    }
    let Some(body) = function.child_by_field_name("body") else { return Rejection::May };
    let mut conditions = Vec::new();
    let ok = if body.kind() == "statement_block" {
        safe(doc, body, &mut conditions)
    } else {
        returned_safe(doc, body, &mut conditions)
    };
    if ok {
        conditions.sort();
        conditions.dedup();
        Rejection::Unless(conditions)
    } else {
        Rejection::May
    }
}

/// True when the async function `function` cannot reject, resolving its conditions with
/// `imported` for names the file imports (`None`: not an import) and with this file's top-level
/// functions otherwise. Cycle-safe and depth-bounded.
pub fn never_rejects(doc: &Document, function: Node<'_>, imported: &mut dyn FnMut(&str) -> Option<bool>) -> bool {
    let mut visiting = Vec::new();
    never_rejects_at(doc, function, imported, &mut visiting, 0)
}

fn never_rejects_at(
    doc: &Document,
    function: Node<'_>,
    imported: &mut dyn FnMut(&str) -> Option<bool>,
    visiting: &mut Vec<usize>,
    depth: u32,
) -> bool {
    if depth > MAX_DEPTH || visiting.contains(&function.start_byte()) {
        return false;
    }
    let Rejection::Unless(conditions) = summary(doc, function) else { return false };
    visiting.push(function.start_byte());
    let ok = conditions.iter().all(|name| {
        if let Some(answer) = imported(name) {
            return answer;
        }
        match ecma::top_level_function_unrecorded(doc, name) {
            Some(callee) if ecma::is_function(callee) => never_rejects_at(doc, callee, imported, visiting, depth + 1),
            _ => false,
        }
    });
    visiting.pop();
    ok
}

/// The conditions of `summary` split for the workspace facts: names resolved locally (recursively)
/// and the imported ones as `(specifier, exported name)`. `None` when the function may reject
/// whatever its imports do.
pub fn import_conditions(doc: &Document, function: Node<'_>, file: &ecma::FileFacts) -> Option<Vec<(String, String)>> {
    let mut found = Vec::new();
    let mut imported = |name: &str| {
        let import = file.import_of(name)?;
        if import.imported == "*" {
            return Some(false);
        }
        found.push((import.source.clone(), import.imported.clone()));
        Some(true)
    };
    never_rejects(doc, function, &mut imported).then(|| {
        found.sort();
        found.dedup();
        found
    })
}

/// Whether evaluating `node` (not a nested function) cannot throw, collecting conditions.
fn safe(doc: &Document, node: Node<'_>, conditions: &mut Vec<String>) -> bool {
    // Deeply nested code (hostile input) may reject, rather than overflow the stack.
    if depth_of(node) > MAX_NESTING {
        return false;
    }
    match node.kind() {
        "throw_statement" => false,
        kind if ecma::is_function(node) || kind == "class" || kind == "class_declaration" => true,
        "try_statement" => {
            let handler = node.child_by_field_name("handler");
            let finalizer = node.child_by_field_name("finalizer");
            let body_ok = match (handler, node.child_by_field_name("body")) {
                (Some(_), _) | (None, None) => true,
                (None, Some(body)) => safe(doc, body, conditions),
            };
            let handler_ok = handler.and_then(|h| h.child_by_field_name("body")).is_none_or(|b| !rethrows(b));
            let finalizer_ok = finalizer.is_none_or(|f| children_safe(doc, f, conditions));
            body_ok && handler_ok && finalizer_ok
        }
        "return_statement" => match node.named_child(0) {
            Some(value) => returned_safe(doc, value, conditions),
            None => true,
        },
        "await_expression" => match node.named_child(0) {
            Some(value) => condition_call(doc, value, conditions),
            None => true,
        },
        // A call neither awaited nor returned: only a synchronous exception could reject, and
        // those are not modelled (see the module documentation).
        "call_expression" => args_safe(doc, node, conditions),
        _ => children_safe(doc, node, conditions),
    }
}

/// True when a `catch` block throws (outside nested functions): a rethrow rejects. Other code
/// in a `catch` block (logging, state updates) is taken not to throw.
fn rethrows(node: Node<'_>) -> bool {
    if node.kind() == "throw_statement" || depth_of(node) > MAX_NESTING {
        return true;
    }
    if ecma::is_function(node) {
        return false;
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    children.into_iter().any(rethrows)
}

fn children_safe(doc: &Document, node: Node<'_>, conditions: &mut Vec<String>) -> bool {
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    children.into_iter().all(|child| safe(doc, child, conditions))
}

/// A returned value: a promise it returns rejects the function.
fn returned_safe(doc: &Document, value: Node<'_>, conditions: &mut Vec<String>) -> bool {
    match value.kind() {
        "await_expression" => value.named_child(0).is_none_or(|v| condition_call(doc, v, conditions)),
        "parenthesized_expression" => value.named_child(0).is_none_or(|v| returned_safe(doc, v, conditions)),
        "call_expression" => condition_call(doc, value, conditions),
        _ => safe(doc, value, conditions),
    }
}

/// `f(…)` with `f` a plain name: safe when `f` never rejects (a condition) and its arguments are
/// safe. Any other awaited or returned call may reject.
fn condition_call(doc: &Document, value: Node<'_>, conditions: &mut Vec<String>) -> bool {
    if value.kind() != "call_expression" {
        return safe(doc, value, conditions);
    }
    if harmless_call(doc, value) {
        return args_safe(doc, value, conditions);
    }
    let Some(function) = value.child_by_field_name("function") else { return false };
    if function.kind() != "identifier" {
        return false;
    }
    conditions.push(doc.slice(function.byte_range()).to_string());
    args_safe(doc, value, conditions)
}

fn args_safe(doc: &Document, call: Node<'_>, conditions: &mut Vec<String>) -> bool {
    call.child_by_field_name("arguments").is_none_or(|a| children_safe(doc, a, conditions))
}

/// What `name` is bound to in a block or function enclosing `from` (not the module's top level):
/// `Some(Some(function))` for a function declared there (`function f`, `const f = () => …`),
/// `Some(None)` for any other local binding (a parameter, a variable), `None` when no enclosing
/// block or function binds it.
pub fn local_binding<'t>(doc: &Document, from: Node<'t>, name: &str) -> Option<Option<Node<'t>>> {
    let mut node = from;
    for _ in 0..256 {
        let parent = node.parent()?;
        node = parent;
        if ecma::is_function(node) && ecma::parameter_names(doc, node).contains(&name) {
            return Some(None);
        }
        if node.kind() != "statement_block" {
            continue;
        }
        let mut cursor = node.walk();
        for statement in node.named_children(&mut cursor) {
            match statement.kind() {
                "function_declaration"
                    if statement.child_by_field_name("name").is_some_and(|n| doc.slice(n.byte_range()) == name) =>
                {
                    return Some(Some(statement));
                }
                "lexical_declaration" | "variable_declaration" => {
                    let mut inner = statement.walk();
                    let declarator = statement.named_children(&mut inner).find(|d| {
                        d.kind() == "variable_declarator"
                            && d.child_by_field_name("name").is_some_and(|n| doc.slice(n.byte_range()) == name)
                    });
                    if let Some(declarator) = declarator {
                        return Some(declarator.child_by_field_name("value").filter(|v| ecma::is_function(*v)));
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// Logging, timer and collection-update calls, which do not throw in practice.
fn harmless_call(doc: &Document, call: Node<'_>) -> bool {
    let Some(function) = call.child_by_field_name("function") else { return false };
    match function.kind() {
        "identifier" => {
            matches!(doc.slice(function.byte_range()), "setTimeout" | "clearTimeout" | "setInterval" | "clearInterval")
        }
        "member_expression" => {
            let (Some(object), Some(property)) =
                (function.child_by_field_name("object"), function.child_by_field_name("property"))
            else {
                return false;
            };
            let receiver = match object.kind() {
                "identifier" => doc.slice(object.byte_range()),
                "member_expression" => object.child_by_field_name("property").map_or("", |p| doc.slice(p.byte_range())),
                _ => return false,
            };
            // Collection updates (`list.push(x)`, `seen.add(k)`, `map.set(k, v)`).
            if matches!(doc.slice(property.byte_range()), "push" | "unshift" | "add" | "set") {
                return true;
            }
            let logging = matches!(
                doc.slice(property.byte_range()),
                "log" | "info" | "warn" | "error" | "debug" | "trace" | "fatal"
            );
            logging && (receiver == "console" || receiver.to_ascii_lowercase().contains("log"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    fn decide(text: &str, name: &str) -> bool {
        let doc = Document::parse("a.ts", FileKind::TypeScript, text);
        let function = ecma::top_level_function_unrecorded(&doc, name).unwrap();
        never_rejects(&doc, function, &mut |_| None)
    }

    #[test]
    fn a_body_wholly_inside_a_swallowing_try_never_rejects() {
        assert!(decide(
            "async function f() { try { await g(); throw new Error(); } catch (e) { console.error(e); } }",
            "f"
        ));
        assert!(decide(
            "const f = async (m) => { if (!m) { console.log(m); return; } try { await post(m); } catch {} };",
            "f"
        ));
        assert!(!decide("async function f() { try { await g(); } catch (e) { throw e; } }", "f"));
        assert!(!decide("async function f() { try { await g(); } finally { await h(); } }", "f"));
        assert!(!decide("async function f() { await g(); }", "f"));
        assert!(decide("async function f() { g(); new Date(); }", "f"));
        assert!(!decide("async function f() { await g.h(); }", "f"));
        assert!(!decide("function f() { return new Promise(() => {}); }", "f"));
    }

    #[test]
    fn returned_calls_of_local_functions_are_followed_cycle_safely() {
        let text = "async function safe() { try { await x(); } catch {} }\nasync function f() { logger.info('x'); return safe(); }\nasync function g() { return await f(); }\nasync function loop() { return loop(); }\n";
        assert!(decide(text, "f") && decide(text, "g"));
        assert!(!decide(text, "loop"));
        assert!(!decide("async function f() { return other(); }", "f"));
    }
}
