//! Where the SQL text of a raw query comes from, traced inside one file: values fixed by the code
//! (literals, constants, lists of constants and what is picked or built from them) or set by the
//! operator (`process.env`), as opposed to values that may carry request data.
//!
//! The trace is bounded (depth and statement counts) and file-local: a name bound by a parameter,
//! an import or anything it cannot read is not trusted.

use tree_sitter::Node;

use crate::engine::ecma;
use crate::syntax::Document;

/// One step into a value: a named property, or any element of a list (any value of an object).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Prop(String),
    Elem,
}

/// How deep the trace may go before it gives up (and does not trust the value).
const MAX_DEPTH: u32 = 24;

/// Global namespaces whose functions compute values from their arguments only.
const PURE_GLOBALS: &[&str] = &["JSON", "Math", "Number", "String", "Boolean", "Object", "Array", "Date", "BigInt"];

/// Array methods whose result is made of the receiver's own elements.
const SELECTING: &[&str] = &["slice", "filter", "sort", "reverse", "toSorted", "toReversed", "flat"];

/// Array methods that pick one element of the receiver.
const PICKING: &[&str] = &["at", "find", "findLast", "pop", "shift"];

/// What a name used at some place is bound to.
enum Binding<'t> {
    /// `const name = value` (or a top-level function, for calls).
    Value(Node<'t>, Node<'t>),
    /// `for (const name of list)`: one element of `list`.
    Element(Node<'t>),
    /// A `function name() {}` declaration.
    Function(Node<'t>),
    /// A `class name {}` declaration.
    Class(Node<'t>),
}

/// True when the SQL text `node` is fixed by the code or by the operator's configuration: every
/// part of it is a literal, a `const` bound to such a value (in any enclosing scope), an element
/// of a constant list walked by `for … of` (`for (const table of TABLES)`), a property of such an
/// element, a list whose every `push` is such a value (`setClauses.push(\`"col" = $${n}\`)`),
/// `process.env` (or the validated `env` object of an env module, [`is_env_module`]), a
/// `static readonly` member of a class, the elements of a `map` whose callback returns such a
/// value, or the result of a method or a parameterless local function computed from those. A
/// `${…}` right after `$` is a bind placeholder's number (`$${index}`) and is trusted when it has
/// a number's shape.
pub fn is_trusted(doc: &Document, file: &ecma::FileFacts, node: Node<'_>) -> bool {
    ecma::mark_file_wide();
    Trace { doc, file }.trusted(node, &[], 0)
}

/// True when `source`, a module a file imports its `env` object from, is the project's
/// environment module: `@/env`, `~/env/server`, `../env.mjs` (the t3-env convention, whose `env`
/// is `process.env` validated against a schema).
pub fn is_env_module(source: &str) -> bool {
    let local =
        source.starts_with('.') || source.starts_with("@/") || source.starts_with("~/") || source.starts_with('#');
    let path = source.trim_end_matches(".mjs").trim_end_matches(".js").trim_end_matches(".ts");
    let path = path.strip_suffix("/server").or_else(|| path.strip_suffix("/client")).unwrap_or(path);
    let path = path.strip_suffix("/index").unwrap_or(path);
    // `#env`: a package.json `imports` alias (Node's subpath imports).
    let path = path.strip_prefix('#').unwrap_or(path);
    local && (path == "env" || path.ends_with("/env"))
}

/// True when the SQL text `sql` is a parameter of the enclosing function (or computed from one,
/// `sql.replaceAll(…)`): the function is a query helper, and where its SQL text comes from is
/// decided at its callers.
pub fn is_parameter(doc: &Document, sql: Node<'_>) -> bool {
    ecma::mark_file_wide();
    let mut node = sql;
    for _ in 0..MAX_DEPTH {
        match node.kind() {
            "parenthesized_expression" | "as_expression" | "satisfies_expression" | "non_null_expression" => {
                match node.named_child(0) {
                    Some(inner) => node = inner,
                    None => return false,
                }
            }
            "member_expression" => match node.child_by_field_name("object") {
                Some(object) => node = object,
                None => return false,
            },
            "call_expression" => match node.child_by_field_name("function").filter(|f| f.kind() == "member_expression")
            {
                Some(callee) => node = callee,
                None => return false,
            },
            "identifier" => {
                return match binding(doc, node, doc.slice(node.byte_range())) {
                    Lookup::Parameter => true,
                    Lookup::Found(Binding::Value(value, _)) => {
                        node = value;
                        continue;
                    }
                    _ => false,
                };
            }
            _ => return false,
        }
    }
    false
}

/// The result of looking a name up from a place.
enum Lookup<'t> {
    Found(Binding<'t>),
    /// A parameter of an enclosing function.
    Parameter,
    /// Bound some other way (`let`, destructuring, a catch clause), or not bound in this file.
    Unknown,
}

/// Where `name`, used at `from`, is bound: the nearest enclosing function parameter, `for … of`
/// variable, or declaration in an enclosing block or at the top level.
fn binding<'t>(doc: &Document, from: Node<'t>, name: &str) -> Lookup<'t> {
    let mut node = from;
    for _ in 0..512 {
        let Some(parent) = node.parent() else { return Lookup::Unknown };
        node = parent;
        if ecma::is_function(node) && ecma::parameter_names(doc, node).contains(&name) {
            return Lookup::Parameter;
        }
        if node.kind() == "for_in_statement" {
            let left = node.child_by_field_name("left");
            let of = node.child_by_field_name("operator").is_some_and(|o| doc.slice(o.byte_range()) == "of");
            if left.is_some_and(|l| l.kind() == "identifier" && doc.slice(l.byte_range()) == name) {
                return match node.child_by_field_name("right").filter(|_| of) {
                    Some(list) => Lookup::Found(Binding::Element(list)),
                    None => Lookup::Unknown,
                };
            }
        }
        if !matches!(node.kind(), "statement_block" | "program") {
            continue;
        }
        let mut cursor = node.walk();
        for statement in node.named_children(&mut cursor) {
            let Some(declaration) = ecma::declaration_of(statement) else { continue };
            match declaration.kind() {
                "function_declaration"
                    if declaration.child_by_field_name("name").is_some_and(|n| doc.slice(n.byte_range()) == name) =>
                {
                    return Lookup::Found(Binding::Function(declaration));
                }
                "class_declaration" | "abstract_class_declaration"
                    if declaration.child_by_field_name("name").is_some_and(|n| doc.slice(n.byte_range()) == name) =>
                {
                    return Lookup::Found(Binding::Class(declaration));
                }
                "lexical_declaration" | "variable_declaration" => {
                    let constant =
                        declaration.child_by_field_name("kind").is_some_and(|k| doc.slice(k.byte_range()) == "const");
                    let mut inner = declaration.walk();
                    for declarator in declaration.named_children(&mut inner) {
                        let Some(target) = declarator.child_by_field_name("name") else { continue };
                        if target.kind() == "identifier" && doc.slice(target.byte_range()) == name {
                            return match declarator.child_by_field_name("value").filter(|_| constant) {
                                Some(value) => Lookup::Found(Binding::Value(value, node)),
                                None => Lookup::Unknown,
                            };
                        }
                        if target.kind() != "identifier" && doc.slice(target.byte_range()).contains(name) {
                            // A destructured name: its origin is not traced.
                            return Lookup::Unknown;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Lookup::Unknown
}

/// One trace of a value through a file: the file's text and tree, and its imports.
struct Trace<'d> {
    doc: &'d Document,
    file: &'d ecma::FileFacts,
}

impl Trace<'_> {
    /// True when the value of `node`, followed by `path`, is trusted (see [`is_trusted`]).
    fn trusted(&self, node: Node<'_>, path: &[Step], depth: u32) -> bool {
        let doc = self.doc;
        if depth > MAX_DEPTH {
            return false;
        }
        let next = depth + 1;
        let text = |n: Node<'_>| doc.slice(n.byte_range());
        match node.kind() {
            "string" | "number" | "true" | "false" | "null" | "undefined" | "regex" => true,
            "template_string" => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                parts.iter().filter(|p| p.kind() == "template_substitution").all(|sub| {
                    let Some(expression) = sub.named_child(0) else { return true };
                    let placeholder = doc.text[..sub.start_byte()].ends_with('$');
                    (placeholder && numeric(doc, expression, 0)) || self.trusted(expression, &[], next)
                })
            }
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "await_expression" => node.named_child(0).is_some_and(|n| self.trusted(n, path, next)),
            "binary_expression" => {
                node.child_by_field_name("left").is_some_and(|n| self.trusted(n, &[], next))
                    && node.child_by_field_name("right").is_some_and(|n| self.trusted(n, &[], next))
            }
            "ternary_expression" => {
                node.child_by_field_name("consequence").is_some_and(|n| self.trusted(n, path, next))
                    && node.child_by_field_name("alternative").is_some_and(|n| self.trusted(n, path, next))
            }
            "unary_expression" => node.child_by_field_name("argument").is_some_and(|n| self.trusted(n, &[], next)),
            "member_expression" => {
                let (Some(object), Some(property)) =
                    (node.child_by_field_name("object"), node.child_by_field_name("property"))
                else {
                    return false;
                };
                if text(object) == "process.env"
                    || text(object).starts_with("process.env.")
                    || text(property) == "length"
                {
                    return true;
                }
                let mut inner = vec![Step::Prop(text(property).to_string())];
                inner.extend_from_slice(path);
                self.trusted(object, &inner, next)
            }
            "subscript_expression" => {
                let (Some(object), Some(index)) =
                    (node.child_by_field_name("object"), node.child_by_field_name("index"))
                else {
                    return false;
                };
                if text(object) == "process.env" {
                    return true;
                }
                let mut inner = vec![Step::Elem];
                inner.extend_from_slice(path);
                self.trusted(index, &[], next) && self.trusted(object, &inner, next)
            }
            "object" => {
                let mut cursor = node.walk();
                let members: Vec<Node<'_>> =
                    node.named_children(&mut cursor).filter(|m| m.kind() != "comment").collect();
                match path.split_first() {
                    Some((Step::Prop(key), rest)) => {
                        for member in &members {
                            match member.kind() {
                                "pair" => {
                                    let named = member
                                        .child_by_field_name("key")
                                        .is_some_and(|k| ecma::unquote(text(k)) == key.as_str());
                                    if named {
                                        return member
                                            .child_by_field_name("value")
                                            .is_some_and(|v| self.trusted(v, rest, next));
                                    }
                                }
                                "shorthand_property_identifier" if text(*member) == key.as_str() => {
                                    return self.identifier_trusted(*member, rest, next);
                                }
                                "spread_element" => return false,
                                _ => {}
                            }
                        }
                        // No such property: `undefined`.
                        true
                    }
                    _ => {
                        let rest = path.get(1..).unwrap_or(&[]);
                        members.iter().all(|member| match member.kind() {
                            "pair" => member.child_by_field_name("value").is_some_and(|v| self.trusted(v, rest, next)),
                            "shorthand_property_identifier" => self.identifier_trusted(*member, rest, next),
                            _ => false,
                        })
                    }
                }
            }
            "array" => {
                let rest = match path.split_first() {
                    None => &[][..],
                    Some((Step::Elem, rest)) => rest,
                    Some((Step::Prop(_), _)) => return false,
                };
                let mut cursor = node.walk();
                let elements: Vec<Node<'_>> =
                    node.named_children(&mut cursor).filter(|m| m.kind() != "comment").collect();
                elements.iter().all(|e| match e.kind() {
                    "spread_element" => e.named_child(0).is_some_and(|inner| {
                        let mut spread = vec![Step::Elem];
                        spread.extend_from_slice(rest);
                        self.trusted(inner, &spread, next)
                    }),
                    _ => self.trusted(*e, rest, next),
                })
            }
            "identifier" => self.identifier_trusted(node, path, next),
            "new_expression" => node.child_by_field_name("arguments").is_none_or(|a| self.arguments_trusted(a, next)),
            "call_expression" => self.call_trusted(node, path, next),
            _ => false,
        }
    }

    /// An identifier's value followed by `path`, through its binding.
    fn identifier_trusted(&self, node: Node<'_>, path: &[Step], depth: u32) -> bool {
        let doc = self.doc;
        let name = doc.slice(node.byte_range());
        match binding(doc, node, name) {
            Lookup::Found(Binding::Value(value, scope)) => {
                self.trusted(value, path, depth)
                    && (value.kind() != "array" || self.pushes_trusted(scope, name, path, depth))
            }
            Lookup::Found(Binding::Element(list)) => {
                let mut inner = vec![Step::Elem];
                inner.extend_from_slice(path);
                self.trusted(list, &inner, depth)
            }
            Lookup::Found(Binding::Class(class)) => match path.split_first() {
                Some((Step::Prop(member), rest)) => {
                    static_readonly_value(doc, class, member).is_some_and(|v| self.trusted(v, rest, depth))
                }
                _ => false,
            },
            Lookup::Found(Binding::Function(_)) | Lookup::Parameter => false,
            Lookup::Unknown => {
                PURE_GLOBALS.contains(&name)
                    || (matches!(path.first(), Some(Step::Prop(_)))
                        && self.file.import_of(name).is_some_and(|i| i.imported == "env" && is_env_module(&i.source)))
            }
        }
    }

    /// True when every `name.push(…)` / `name.unshift(…)` under `scope` adds trusted elements to a
    /// list read with `path` (the whole list, or `[Elem, …]`: one element followed by the rest).
    fn pushes_trusted(&self, scope: Node<'_>, name: &str, path: &[Step], depth: u32) -> bool {
        let doc = self.doc;
        let rest = match path.split_first() {
            None => &[][..],
            Some((Step::Elem, rest)) => rest,
            Some((Step::Prop(_), _)) => return true,
        };
        let mut stack = vec![scope];
        let mut budget = 20_000u32;
        while let Some(node) = stack.pop() {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return false;
            }
            if node.kind() == "call_expression" {
                let callee = node.child_by_field_name("function").filter(|f| f.kind() == "member_expression");
                let adds = callee.is_some_and(|c| {
                    c.child_by_field_name("object").is_some_and(|o| doc.slice(o.byte_range()) == name)
                        && c.child_by_field_name("property")
                            .is_some_and(|p| matches!(doc.slice(p.byte_range()), "push" | "unshift"))
                });
                if adds {
                    let arguments = node.child_by_field_name("arguments");
                    let all = arguments
                        .is_some_and(|a| ecma::argument_list(a).iter().all(|v| self.trusted(*v, rest, depth + 1)));
                    if !all {
                        return false;
                    }
                }
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        true
    }

    /// Every argument of a call is trusted (a callback is not).
    fn arguments_trusted(&self, arguments: Node<'_>, depth: u32) -> bool {
        ecma::argument_list(arguments).iter().all(|a| self.trusted(*a, &[], depth))
    }

    /// A call's result followed by `path`.
    fn call_trusted(&self, call: Node<'_>, path: &[Step], depth: u32) -> bool {
        let doc = self.doc;
        let Some(function) = call.child_by_field_name("function") else { return false };
        let arguments = call.child_by_field_name("arguments");
        match function.kind() {
            "member_expression" => {
                let (Some(receiver), Some(method)) =
                    (function.child_by_field_name("object"), function.child_by_field_name("property"))
                else {
                    return false;
                };
                let method = doc.slice(method.byte_range());
                if SELECTING.contains(&method) {
                    return self.trusted(receiver, path, depth);
                }
                if PICKING.contains(&method) {
                    let mut inner = vec![Step::Elem];
                    inner.extend_from_slice(path);
                    return self.trusted(receiver, &inner, depth);
                }
                if method == "map" && matches!(path.first(), None | Some(Step::Elem)) {
                    // The elements are what the callback returns; its parameters are not trusted.
                    let rest = path.get(1..).unwrap_or(&[]);
                    let callback = arguments.and_then(|a| ecma::argument_list(a).first().copied());
                    return callback.is_some_and(|c| ecma::is_function(c) && self.returns_trusted(c, rest, depth));
                }
                let receiver_path: &[Step] = if method == "join" { &[Step::Elem] } else { &[] };
                self.trusted(receiver, receiver_path, depth)
                    && arguments.is_none_or(|a| self.arguments_trusted(a, depth))
            }
            "identifier" => {
                let name = doc.slice(function.byte_range());
                if matches!(name, "String" | "Number" | "parseInt" | "parseFloat" | "encodeURIComponent") {
                    return arguments.is_none_or(|a| self.arguments_trusted(a, depth));
                }
                let declaration = match binding(doc, function, name) {
                    Lookup::Found(Binding::Function(f)) => f,
                    Lookup::Found(Binding::Value(v, _)) if ecma::is_function(v) => v,
                    _ => return false,
                };
                // A local function without parameters: what every `return` gives.
                ecma::parameter_count(declaration) == 0
                    && arguments.is_none_or(|a| ecma::argument_list(a).is_empty())
                    && self.returns_trusted(declaration, path, depth)
            }
            _ => false,
        }
    }

    /// True when the function has a body and every `return` in it (not in nested functions) returns a
    /// trusted value; an expression body must be trusted itself.
    fn returns_trusted(&self, function: Node<'_>, path: &[Step], depth: u32) -> bool {
        let Some(body) = function.child_by_field_name("body") else { return false };
        if body.kind() != "statement_block" {
            return self.trusted(body, path, depth + 1);
        }
        let mut stack = vec![body];
        let mut seen = false;
        let mut budget = 5_000u32;
        while let Some(node) = stack.pop() {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return false;
            }
            if node.kind() == "return_statement" {
                seen = true;
                if !node.named_child(0).is_none_or(|v| self.trusted(v, path, depth + 1)) {
                    return false;
                }
                continue;
            }
            if node != body && ecma::is_function(node) {
                continue;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        seen
    }
}

/// The initial value of the `static readonly` field `member` of a class declaration.
fn static_readonly_value<'t>(doc: &Document, class: Node<'t>, member: &str) -> Option<Node<'t>> {
    let body = class.child_by_field_name("body")?;
    let mut cursor = body.walk();
    let field = body.named_children(&mut cursor).find(|f| {
        matches!(f.kind(), "public_field_definition" | "field_definition")
            && f.child_by_field_name("name")
                .or_else(|| f.child_by_field_name("property"))
                .is_some_and(|n| doc.slice(n.byte_range()) == member)
    })?;
    let mut tokens = field.walk();
    let modifiers: Vec<&str> = field.children(&mut tokens).map(|c| c.kind()).collect();
    (modifiers.contains(&"static") && modifiers.contains(&"readonly")).then(|| field.child_by_field_name("value"))?
}

/// True when `node` has the shape of a number computed from counters: a number, a name, `.length`,
/// arithmetic of those, `++`, or `.toString()` / `String(…)` of one (`$${params.length + 1}`).
fn numeric(doc: &Document, node: Node<'_>, depth: u32) -> bool {
    if depth > 8 {
        return false;
    }
    match node.kind() {
        "number" | "identifier" | "update_expression" => true,
        "member_expression" => {
            node.child_by_field_name("property").is_some_and(|p| doc.slice(p.byte_range()) == "length")
        }
        "parenthesized_expression" => node.named_child(0).is_some_and(|n| numeric(doc, n, depth + 1)),
        "binary_expression" => {
            node.child_by_field_name("operator").is_some_and(|o| matches!(o.kind(), "+" | "-" | "*"))
                && node.child_by_field_name("left").is_some_and(|n| numeric(doc, n, depth + 1))
                && node.child_by_field_name("right").is_some_and(|n| numeric(doc, n, depth + 1))
        }
        "call_expression" => {
            let Some(function) = node.child_by_field_name("function") else { return false };
            let arguments: Vec<Node<'_>> =
                node.child_by_field_name("arguments").map(ecma::argument_list).unwrap_or_default();
            match function.kind() {
                "member_expression" => {
                    function.child_by_field_name("property").is_some_and(|p| doc.slice(p.byte_range()) == "toString")
                        && arguments.is_empty()
                        && function.child_by_field_name("object").is_some_and(|o| numeric(doc, o, depth + 1))
                }
                "identifier" => {
                    doc.slice(function.byte_range()) == "String"
                        && arguments.len() == 1
                        && numeric(doc, arguments[0], depth + 1)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_env_module;

    #[test]
    fn env_modules_are_the_projects_own() {
        for yes in ["@/env", "~/env.mjs", "../env", "./env/server", "#env", "#/env", "@/lib/env/index.ts"] {
            assert!(is_env_module(yes), "{yes}");
        }
        for no in ["env", "@t3-oss/env-nextjs", "#environment", "./envelope", "dotenv"] {
            assert!(!is_env_module(no), "{no}");
        }
    }
}
