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
//!   function, recursively; an imported one, through the workspace facts); so do `this.m(…)` (a
//!   method of the class) and `this.field.m(…)` (a method of the object a field holds), listed
//!   as `this.m` / `this.field.m` — names no top-level lookup finds, so only a resolver that
//!   knows the class follows them;
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
    // Depths are passed down (each call is given its node's depth): walking up from every node
    // with `Node::parent`, which tree-sitter answers by descending from the root, made this
    // quadratic in the nesting.
    let depth = depth_of(body);
    let ok = if body.kind() == "statement_block" {
        safe(doc, body, &mut conditions, depth)
    } else {
        returned_safe(doc, body, &mut conditions, depth)
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
    let local = |name: &str| ecma::top_level_function_unrecorded(doc, name);
    never_rejects_with(function, imported, &mut |f| summary(doc, f), &local)
}

/// [`never_rejects`] with each function's [`summary`] taken from `summary_of` (which must answer
/// what [`summary`] would) and the file's top-level functions looked up with `local`.
pub fn never_rejects_with<'t>(
    function: Node<'t>,
    imported: &mut dyn FnMut(&str) -> Option<bool>,
    summary_of: &mut dyn FnMut(Node<'t>) -> Rejection,
    local: &dyn Fn(&str) -> Option<Node<'t>>,
) -> bool {
    let mut visiting = Vec::new();
    never_rejects_at(function, imported, summary_of, local, &mut visiting, 0)
}

fn never_rejects_at<'t>(
    function: Node<'t>,
    imported: &mut dyn FnMut(&str) -> Option<bool>,
    summary_of: &mut dyn FnMut(Node<'t>) -> Rejection,
    local: &dyn Fn(&str) -> Option<Node<'t>>,
    visiting: &mut Vec<usize>,
    depth: u32,
) -> bool {
    let tree = TreeFunctions { local };
    never_rejects_in(&tree, function, imported, summary_of, visiting, depth)
}

/// The file's top-level functions as [`never_rejects_in`] follows them: `F` names one function.
trait Functions<F> {
    /// The first top-level value named `name`, if it is a function.
    fn function(&self, name: &str) -> Option<F>;
    /// What tells two functions apart (no two share it).
    fn id(&self, function: F) -> usize;
}

/// Functions as tree nodes (each told apart by where it starts).
struct TreeFunctions<'l, 't> {
    local: &'l dyn Fn(&str) -> Option<Node<'t>>,
}

impl<'t> Functions<Node<'t>> for TreeFunctions<'_, 't> {
    fn function(&self, name: &str) -> Option<Node<'t>> {
        (self.local)(name).filter(|callee| ecma::is_function(*callee))
    }

    fn id(&self, function: Node<'t>) -> usize {
        function.start_byte()
    }
}

/// Functions by their index in a table of the file's top-level values (see
/// [`import_conditions_by_index`]).
struct TableFunctions<'l> {
    local: &'l dyn Fn(&str) -> Option<(usize, bool)>,
}

impl Functions<usize> for TableFunctions<'_> {
    fn function(&self, name: &str) -> Option<usize> {
        (self.local)(name).filter(|(_, function)| *function).map(|(index, _)| index)
    }

    fn id(&self, function: usize) -> usize {
        function
    }
}

fn never_rejects_in<F: Copy>(
    functions: &dyn Functions<F>,
    function: F,
    imported: &mut dyn FnMut(&str) -> Option<bool>,
    summary_of: &mut dyn FnMut(F) -> Rejection,
    visiting: &mut Vec<usize>,
    depth: u32,
) -> bool {
    let id = functions.id(function);
    if depth > MAX_DEPTH || visiting.contains(&id) {
        return false;
    }
    let Rejection::Unless(conditions) = summary_of(function) else { return false };
    visiting.push(id);
    let ok = conditions.iter().all(|name| {
        if let Some(answer) = imported(name) {
            return answer;
        }
        match functions.function(name) {
            Some(callee) => never_rejects_in(functions, callee, imported, summary_of, visiting, depth + 1),
            None => false,
        }
    });
    visiting.pop();
    ok
}

/// The conditions of `summary` split for the workspace facts: names resolved locally (recursively)
/// and the imported ones as `(specifier, exported name)`. `None` when the function may reject
/// whatever its imports do.
pub fn import_conditions(doc: &Document, function: Node<'_>, file: &ecma::FileFacts) -> Option<Vec<(String, String)>> {
    let local = |name: &str| ecma::top_level_function_unrecorded(doc, name);
    import_conditions_with(function, file, &mut |f| summary(doc, f), &local)
}

/// [`import_conditions`] with summaries and top-level functions as in [`never_rejects_with`].
pub fn import_conditions_with<'t>(
    function: Node<'t>,
    file: &ecma::FileFacts,
    summary_of: &mut dyn FnMut(Node<'t>) -> Rejection,
    local: &dyn Fn(&str) -> Option<Node<'t>>,
) -> Option<Vec<(String, String)>> {
    let mut found = Vec::new();
    let holds = never_rejects_with(function, &mut recording_imports(file, &mut found), summary_of, local);
    holds.then(|| sorted(found))
}

/// [`import_conditions_with`] over a table of the file's top-level values instead of its tree:
/// `function` is the index of the function in the table, `local(name)` the first top-level value
/// named `name` (its index, and whether it is a function), `summary_of(index)` a function's
/// [`summary`]. The editor keeps those per statement ([`super::incremental`]).
pub fn import_conditions_by_index(
    function: usize,
    file: &ecma::FileFacts,
    summary_of: &mut dyn FnMut(usize) -> Rejection,
    local: &dyn Fn(&str) -> Option<(usize, bool)>,
) -> Option<Vec<(String, String)>> {
    let mut found = Vec::new();
    let table = TableFunctions { local };
    let holds =
        never_rejects_in(&table, function, &mut recording_imports(file, &mut found), summary_of, &mut Vec::new(), 0);
    holds.then(|| sorted(found))
}

/// The `imported` callback of [`never_rejects_with`] / [`never_rejects_in`] for the import
/// conditions: a call of an imported function is allowed and recorded in `found` (its module and
/// exported name); a namespace import's member is not; a name not imported is not its business.
fn recording_imports<'f>(
    file: &'f ecma::FileFacts,
    found: &'f mut Vec<(String, String)>,
) -> impl FnMut(&str) -> Option<bool> + 'f {
    move |name| {
        let import = file.import_of(name)?;
        if import.imported == "*" {
            return Some(false);
        }
        found.push((import.source.clone(), import.imported.clone()));
        Some(true)
    }
}

/// `found`, sorted and without repeats.
fn sorted(mut found: Vec<(String, String)>) -> Vec<(String, String)> {
    found.sort();
    found.dedup();
    found
}

/// Whether evaluating `node` (not a nested function) cannot throw, collecting conditions.
/// `depth` is `node`'s depth in its tree (as [`depth_of`] gives it); so for every function here.
fn safe(doc: &Document, node: Node<'_>, conditions: &mut Vec<String>, depth: usize) -> bool {
    // Deeply nested code (hostile input) may reject, rather than overflow the stack.
    if depth > MAX_NESTING {
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
                (None, Some(body)) => safe(doc, body, conditions, depth + 1),
            };
            let handler_ok =
                handler.and_then(|h| h.child_by_field_name("body")).is_none_or(|b| !rethrows(b, depth + 2));
            let finalizer_ok = finalizer.is_none_or(|f| children_safe(doc, f, conditions, depth + 1));
            body_ok && handler_ok && finalizer_ok
        }
        "return_statement" => match node.named_child(0) {
            Some(value) => returned_safe(doc, value, conditions, depth + 1),
            None => true,
        },
        "await_expression" => match node.named_child(0) {
            Some(value) => condition_call(doc, value, conditions, depth + 1),
            None => true,
        },
        // A call neither awaited nor returned: only a synchronous exception could reject, and
        // those are not modelled (see the module documentation).
        "call_expression" => args_safe(doc, node, conditions, depth),
        _ => children_safe(doc, node, conditions, depth),
    }
}

/// True when a `catch` block throws (outside nested functions): a rethrow rejects. Other code
/// in a `catch` block (logging, state updates) is taken not to throw.
fn rethrows(node: Node<'_>, depth: usize) -> bool {
    if node.kind() == "throw_statement" || depth > MAX_NESTING {
        return true;
    }
    if ecma::is_function(node) {
        return false;
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    children.into_iter().any(|child| rethrows(child, depth + 1))
}

fn children_safe(doc: &Document, node: Node<'_>, conditions: &mut Vec<String>, depth: usize) -> bool {
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    children.into_iter().all(|child| safe(doc, child, conditions, depth + 1))
}

/// A returned value: a promise it returns rejects the function.
fn returned_safe(doc: &Document, value: Node<'_>, conditions: &mut Vec<String>, depth: usize) -> bool {
    match value.kind() {
        "await_expression" => value.named_child(0).is_none_or(|v| condition_call(doc, v, conditions, depth + 1)),
        "parenthesized_expression" => value.named_child(0).is_none_or(|v| returned_safe(doc, v, conditions, depth + 1)),
        "call_expression" => condition_call(doc, value, conditions, depth),
        _ => safe(doc, value, conditions, depth),
    }
}

/// `f(…)` with `f` a plain name: safe when `f` never rejects (a condition) and its arguments are
/// safe. Any other awaited or returned call may reject.
fn condition_call(doc: &Document, value: Node<'_>, conditions: &mut Vec<String>, depth: usize) -> bool {
    if settled(doc, value) {
        return true;
    }
    if value.kind() != "call_expression" {
        return safe(doc, value, conditions, depth);
    }
    if harmless_call(doc, value) {
        return args_safe(doc, value, conditions, depth);
    }
    let Some(function) = value.child_by_field_name("function") else { return false };
    let Some(name) = callee_condition(doc, function) else { return false };
    conditions.push(name);
    args_safe(doc, value, conditions, depth)
}

/// The condition a call's callee names: `f` for a plain name, `this.m` for a method of the
/// enclosing class, `this.field.m` for a method of an object the class holds in a field. Other
/// callees name nothing that can be followed.
fn callee_condition(doc: &Document, function: Node<'_>) -> Option<String> {
    match function.kind() {
        "identifier" => Some(doc.slice(function.byte_range()).to_string()),
        "member_expression" => {
            let object = function.child_by_field_name("object")?;
            function.child_by_field_name("property")?;
            let through_field = object.kind() == "member_expression"
                && object.child_by_field_name("object").is_some_and(|o| o.kind() == "this")
                && object.child_by_field_name("property").is_some_and(|p| p.kind() == "property_identifier");
            (object.kind() == "this" || through_field).then(|| doc.slice(function.byte_range()).to_string())
        }
        _ => None,
    }
}

/// A class's instance methods, by name, with their [`summary`].
pub type MethodSummaries = Vec<(String, Rejection)>;

/// The instance methods of a class body (not static ones, getters or setters): name and node.
pub fn class_methods<'t>(doc: &'t Document, class: Node<'t>) -> Vec<(&'t str, Node<'t>)> {
    let Some(body) = class.child_by_field_name("body") else { return Vec::new() };
    let mut cursor = body.walk();
    let mut found = Vec::new();
    for member in body.named_children(&mut cursor).filter(|m| m.kind() == "method_definition") {
        let mut inner = member.walk();
        let plain = !member.children(&mut inner).any(|c| matches!(c.kind(), "static" | "get" | "set"));
        if let Some(name) = member.child_by_field_name("name").filter(|_| plain) {
            found.push((doc.slice(name.byte_range()), member));
        }
    }
    found
}

/// The import conditions of method `method` of a class, as [`import_conditions_by_index`] gives
/// them for a top-level function: `methods` are the class's instance methods with their
/// [`summary`] (a `this.name` condition is followed into them), `rejection` and `local` the
/// file's top-level functions as there. `None` when the method may reject whatever its imports
/// do — a condition through a field (`this.client.send`) included.
pub fn method_import_conditions(
    method: usize,
    methods: &MethodSummaries,
    file: &ecma::FileFacts,
    rejection: &mut dyn FnMut(usize) -> Rejection,
    local: &dyn Fn(&str) -> Option<(usize, bool)>,
) -> Option<Vec<(String, String)>> {
    let mut found = Vec::new();
    let mut visiting = Vec::new();
    method_conditions_into(method, methods, file, rejection, local, &mut visiting, &mut found).then(|| sorted(found))
}

fn method_conditions_into(
    method: usize,
    methods: &[(String, Rejection)],
    file: &ecma::FileFacts,
    rejection: &mut dyn FnMut(usize) -> Rejection,
    local: &dyn Fn(&str) -> Option<(usize, bool)>,
    visiting: &mut Vec<usize>,
    found: &mut Vec<(String, String)>,
) -> bool {
    if visiting.len() as u32 > MAX_DEPTH || visiting.contains(&method) {
        return false;
    }
    let Some((_, Rejection::Unless(conditions))) = methods.get(method) else { return false };
    visiting.push(method);
    let ok = conditions.iter().all(|condition| {
        if let Some(name) = condition.strip_prefix("this.") {
            return match methods.iter().position(|(m, _)| m == name) {
                Some(callee) => method_conditions_into(callee, methods, file, rejection, local, visiting, found),
                None => false,
            };
        }
        if let Some(import) = file.import_of(condition) {
            if import.imported == "*" {
                return false;
            }
            found.push((import.source.clone(), import.imported.clone()));
            return true;
        }
        match local(condition).filter(|(_, function)| *function) {
            Some((function, _)) => match import_conditions_by_index(function, file, rejection, local) {
                Some(more) => {
                    found.extend(more);
                    true
                }
                None => false,
            },
            None => false,
        }
    });
    visiting.pop();
    ok
}

fn args_safe(doc: &Document, call: Node<'_>, conditions: &mut Vec<String>, depth: usize) -> bool {
    call.child_by_field_name("arguments").is_none_or(|a| children_safe(doc, a, conditions, depth + 1))
}

/// True when the promise expression `node` cannot reject: it ends in a rejection handler
/// (`p.catch(h)`, `p.then(ok, h)`), is `Promise.allSettled(…)`, or is `Promise.all` / `race` /
/// `any` over elements that cannot reject (an array literal, or `xs.map(cb)` whose callback
/// returns such an element); `.then(ok)` / `.finally(f)` keep their receiver's answer
/// (synchronous exceptions in callbacks are not modelled, as above). What the handler itself
/// does is not examined: a `.catch` counts as handling, as it does for `errors/floating-promise`.
pub fn settled(doc: &Document, node: Node<'_>) -> bool {
    settled_at(doc, node, 0)
}

fn settled_at(doc: &Document, node: Node<'_>, depth: u32) -> bool {
    if depth > 32 {
        return false;
    }
    match node.kind() {
        "parenthesized_expression" | "await_expression" => {
            node.named_child(0).is_some_and(|inner| settled_at(doc, inner, depth + 1))
        }
        "call_expression" => {
            let (Some(function), Some(arguments)) =
                (node.child_by_field_name("function"), node.child_by_field_name("arguments"))
            else {
                return false;
            };
            if function.kind() != "member_expression" {
                return false;
            }
            let (Some(object), Some(property)) =
                (function.child_by_field_name("object"), function.child_by_field_name("property"))
            else {
                return false;
            };
            let args = ecma::argument_list(arguments);
            if supabase_query(doc, node) {
                return true;
            }
            match doc.slice(property.byte_range()) {
                "catch" => !args.is_empty(),
                "then" if args.len() >= 2 => true,
                "then" | "finally" => settled_at(doc, object, depth + 1),
                "allSettled" => doc.slice(object.byte_range()) == "Promise",
                // `Promise.resolve()` / `Promise.resolve(null)`: fulfilled (a promise argument
                // would be adopted, rejection included).
                "resolve" => {
                    doc.slice(object.byte_range()) == "Promise"
                        && args.first().is_none_or(|a| {
                            matches!(a.kind(), "string" | "number" | "true" | "false" | "null" | "undefined")
                        })
                }
                "all" | "race" | "any" if doc.slice(object.byte_range()) == "Promise" => {
                    args.first().is_some_and(|list| elements_settled(doc, *list, depth + 1))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// A Supabase query (`supabase.from("t").select()…`, `supabase.rpc(…)`, `supabase.auth.getUser()`,
/// `supabase.storage.from(…).upload(…)`): supabase-js resolves with `{ data, error }` instead of
/// rejecting, network failures included, unless the chain asks for `.throwOnError()`. The client
/// is recognised by its name (the chain starts at an identifier whose name mentions `supabase`).
fn supabase_query(doc: &Document, call: Node<'_>) -> bool {
    let mut head = call;
    for _ in 0..64 {
        let next = match head.kind() {
            "call_expression" => head.child_by_field_name("function"),
            "member_expression" => {
                if head.child_by_field_name("property").is_some_and(|p| doc.slice(p.byte_range()) == "throwOnError") {
                    return false;
                }
                head.child_by_field_name("object")
            }
            "non_null_expression" | "parenthesized_expression" => head.named_child(0),
            _ => None,
        };
        match next {
            Some(n) => head = n,
            None => break,
        }
    }
    head != call
        && head.kind() == "identifier"
        && doc.slice(head.byte_range()).to_ascii_lowercase().contains("supabase")
}

/// The argument of `Promise.all(…)`: `[a, b]` with every element settled, or `xs.map(cb)` with
/// `cb` returning a settled promise.
fn elements_settled(doc: &Document, list: Node<'_>, depth: u32) -> bool {
    match list.kind() {
        "array" => {
            let mut cursor = list.walk();
            let elements: Vec<Node<'_>> = list.named_children(&mut cursor).collect();
            elements.into_iter().all(|e| e.kind() != "spread_element" && settled_at(doc, e, depth + 1))
        }
        "call_expression" => {
            let Some(function) = list.child_by_field_name("function").filter(|f| f.kind() == "member_expression")
            else {
                return false;
            };
            if function.child_by_field_name("property").is_none_or(|p| doc.slice(p.byte_range()) != "map") {
                return false;
            }
            let Some(arguments) = list.child_by_field_name("arguments") else { return false };
            let Some(callback) = ecma::argument_list(arguments).first().copied().filter(|c| ecma::is_function(*c))
            else {
                return false;
            };
            let Some(body) = callback.child_by_field_name("body") else { return false };
            if body.kind() != "statement_block" {
                return settled_at(doc, body, depth + 1);
            }
            // A block body: its single top-level `return` decides.
            let mut cursor = body.walk();
            let returns: Vec<Node<'_>> =
                body.named_children(&mut cursor).filter(|s| s.kind() == "return_statement").collect();
            returns.len() == 1 && returns[0].named_child(0).is_some_and(|v| settled_at(doc, v, depth + 1))
        }
        _ => false,
    }
}

/// What `name` is bound to in a block or function enclosing `from` (not the module's top level):
/// `Some(Some(function))` for a function declared there (`function f`, `const f = () => …`),
/// `Some(None)` for any other local binding (a parameter, a variable), `None` when no enclosing
/// block or function binds it.
pub fn local_binding<'t>(doc: &'t Document, from: Node<'t>, name: &str) -> Option<Option<Node<'t>>> {
    // The enclosing nodes in one descent from the root (`Node::parent` descends once per call).
    for node in ecma::ancestors(doc, from).into_iter().take(256) {
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
                    // `const { confirm } = useConfirm()`, `const [load] = hooks`: a destructured value.
                    let mut inner = statement.walk();
                    let destructured = statement.named_children(&mut inner).any(|d| {
                        d.kind() == "variable_declarator"
                            && d.child_by_field_name("name")
                                .is_some_and(|n| n.kind() != "identifier" && pattern_binds(doc, n, name))
                    });
                    if destructured {
                        return Some(None);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// True when the destructuring pattern `pattern` binds `name` (bounded walk).
fn pattern_binds(doc: &Document, pattern: Node<'_>, name: &str) -> bool {
    let mut stack = vec![pattern];
    let mut budget = 1_000u32;
    while let Some(node) = stack.pop() {
        budget = budget.saturating_sub(1);
        if budget == 0 {
            return false;
        }
        match node.kind() {
            "shorthand_property_identifier_pattern" | "identifier" if doc.slice(node.byte_range()) == name => {
                return true;
            }
            // `{ key: value }`: only the value binds; a default's expression binds nothing.
            "pair_pattern" => stack.extend(node.child_by_field_name("value")),
            "assignment_pattern" | "object_assignment_pattern" => stack.extend(node.child_by_field_name("left")),
            _ => {
                let mut cursor = node.walk();
                stack.extend(node.named_children(&mut cursor));
            }
        }
    }
    false
}

/// Array methods whose result is not a promise (`(rows ?? []).map(toDto)`): returning one is
/// returning a plain value.
const ARRAY_METHODS: &[&str] =
    &["map", "filter", "slice", "concat", "join", "find", "some", "every", "flat", "flatMap", "sort", "includes"];

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
            if ARRAY_METHODS.contains(&doc.slice(property.byte_range())) {
                return true;
            }
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
    fn awaiting_a_promise_that_ends_in_a_handler_never_rejects() {
        assert!(decide("async function f() { const xs = await g().catch(() => []); use(xs); }", "f"));
        assert!(decide("async function f() { await Promise.all([g().catch(() => 0), h().then(a, b)]); }", "f"));
        assert!(decide("async function f() { await Promise.all(ids.map((i) => g(i).catch(() => null))); }", "f"));
        assert!(decide("async function f() { return Promise.allSettled([g()]); }", "f"));
        assert!(!decide("async function f() { await Promise.all([g().catch(() => 0), h()]); }", "f"));
        assert!(!decide("async function f() { await Promise.all(ids.map((i) => g(i))); }", "f"));
        assert!(!decide("async function f() { await g().then(ok); }", "f"));
        assert!(!decide("async function f() { await Promise.all([...rest]); }", "f"));
        assert!(decide(
            "async function f() { const { data } = await supabase.from('t').select('*').eq('a', 1); return data; }",
            "f"
        ));
        assert!(!decide("async function f() { await supabase.from('t').select('*').throwOnError(); }", "f"));
        assert!(!decide("async function f() { await db.from('t').select('*'); }", "f"));
        assert!(decide(
            "async function f() { const { data } = await supabase.from('t').select('*'); return (data ?? []).map((r) => r.id); }",
            "f"
        ));
    }

    #[test]
    fn returned_calls_of_local_functions_are_followed_cycle_safely() {
        let text = "async function safe() { try { await x(); } catch {} }\nasync function f() { logger.info('x'); return safe(); }\nasync function g() { return await f(); }\nasync function loop() { return loop(); }\n";
        assert!(decide(text, "f") && decide(text, "g"));
        assert!(!decide(text, "loop"));
        assert!(!decide("async function f() { return other(); }", "f"));
    }
}
