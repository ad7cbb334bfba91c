//! `errors/floating-promise`: a promise that is neither awaited, returned, voided, assigned nor
//! given a rejection handler.
//!
//! Without a type checker the rule only reports calls it knows return a promise: functions
//! declared `async` (or returning `new Promise`) in the same file or exported so by another
//! workspace module, Prisma operations on a configured client, `fetch`, async IIFEs and `.then`
//! chains without a rejection handler.

use tree_sitter::Node;

use crate::engine::{ecma, rejects, Finding, Fix, QueryMatchContext};
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};

/// The prefilter's necessary condition on a file's own text (`engine::prefilter`): the rule
/// reports a call statement whose promise comes from a `.then` chain (the word `then`), a
/// function that returns `new Promise` or an async IIFE, or a call *starting a statement* of
/// `fetch`, of a method of a configured Prisma client (`config.rls.clients` or an import alias
/// of one), or of a name the file may declare async (every `async function`, `async` method and
/// `const`/`let`/`var` of a file with the word `async`). Test files and minified files are never
/// reported. Calls of async functions another module exports are the prefilter's cross-file
/// part ([`crate::engine::prefilter::WorkspaceScan`]).
pub fn may_match(path: &str, text: &str, config: &crate::config::Config) -> bool {
    use crate::engine::prefilter::{contains_word, starts_statement, Follow};
    if ecma::is_test_path(path) || path.contains(".min.") {
        return false;
    }
    if contains_word(text, "then") || crate::engine::prefilter::has_new_promise(text) {
        return true;
    }
    let clients = crate::engine::prefilter::with_import_aliases(text, &config.rls.clients);
    if clients.iter().any(|c| starts_statement(text, c, Follow::Member))
        || starts_statement(text, "fetch", Follow::Call)
    {
        return true;
    }
    if !contains_word(text, "async") {
        return false;
    }
    crate::engine::prefilter::has_async_iife(text)
        || crate::engine::prefilter::local_async_candidates(text)
            .iter()
            .any(|n| starts_statement(text, n, Follow::Call))
}

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
    // Minified and bundled files (`*.min.js`, a bundler's marked output) are build output, not
    // source: their findings repeat the sources' ones in code nobody edits.
    if ctx.doc.path.contains(".min.") || ecma::is_bundle(&ctx.doc.text) {
        return None;
    }
    // Tests leave promises floating on purpose (fake timers, synchronous effects), and test
    // runners fail a test on an unhandled rejection.
    if ecma::is_test_path(&ctx.doc.path) {
        return None;
    }
    let call = ctx.capture("call")?;
    // A script's top level (and the callbacks of a chain there): a rejection ends the process
    // with exit code 1 and a stack trace, exactly as an awaited one would.
    if is_script_level(ctx, ctx.node) {
        return None;
    }
    let why = classify(ctx, call, 0)?;
    // One finding per chain: inside a callback of a chain that is itself reported, only the chain.
    if inside_reported_chain(ctx, ctx.node) {
        return None;
    }
    let function = call.child_by_field_name("function")?;
    let has_args = call.child_by_field_name("arguments").is_some_and(|a| a.named_child_count() > 0);
    let shown = if function.kind() == "parenthesized_expression" {
        "(async () => …)()".to_string()
    } else {
        format!("{}({})", short(ctx.text(function)), if has_args { "…" } else { "" })
    };
    let message = match why {
        Promise::Then => format!(
            "`{shown}` has no rejection handler and nothing awaits it: the caller's `try`/`catch` never sees a rejection, which surfaces as an unhandled rejection instead (Node.js 15+ prints it and exits with code 1; a browser logs it), and the caller moves on before the work finishes; `await` it, add `.catch(…)`, or mark it `void` if fire-and-forget is intended"
        ),
        Promise::Call(reason) => format!(
            "`{shown}` returns a promise ({reason}) that is neither awaited, returned nor given a rejection handler: the caller's `try`/`catch` never sees a rejection, which surfaces as an unhandled rejection instead (Node.js 15+ prints it and exits with code 1; a browser logs it), and the caller moves on before the work finishes; `await` it, add `.catch(…)`, or mark it `void` if fire-and-forget is intended"
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
                "then" => (ecma::argument_list(arguments).len() < 2 && may_be_rejected_promise(ctx, object, depth))
                    .then_some(Promise::Then),
                // `.finally` passes a rejection through: the chain before it decides.
                "finally" => classify(ctx, object, depth + 1),
                _ => member_call(ctx, object, property),
            }
        }
        // Bound in an enclosing function or block: that binding, not an import or a top-level
        // function, is called — and local functions are not followed (yet).
        "identifier" => match rejects::local_binding(ctx.doc, call, ctx.text(function)) {
            Some(_) => None,
            None => identifier_call(ctx, ctx.text(function)),
        },
        "parenthesized_expression" => {
            let inner = function.named_child(0)?;
            (ecma::is_function(inner) && ecma::returns_promise(ctx.doc, inner) && !never_rejects(ctx, inner))
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
        if import.imported == "*"
            && ctx.facts.exports_async(&ctx.doc.path, &import.source, property)
            && !ctx.facts.never_rejects(&ctx.doc.path, &import.source, property)
        {
            return Some(Promise::Call(format!("`{property}` is exported as async by `{}`", import.source)));
        }
        return None;
    }
    // this.method() with `async method()` in the enclosing class, unless it cannot reject.
    if object.kind() == "this" {
        let method = class_async_method(ctx, object, property)?;
        if never_rejects(ctx, method) {
            return None;
        }
        return Some(Promise::Call(format!("method `{property}` is declared `async`")));
    }
    None
}

fn identifier_call(ctx: &QueryMatchContext<'_, '_>, name: &str) -> Option<Promise> {
    let file = ctx.file_facts();
    if let Some(import) = file.import_of(name) {
        let exported = if import.imported == "*" { return None } else { import.imported.as_str() };
        let may_reject = ctx.facts.exports_async(&ctx.doc.path, &import.source, exported)
            && !ctx.facts.never_rejects(&ctx.doc.path, &import.source, exported);
        return may_reject.then(|| Promise::Call(format!("`{name}` is exported as async by `{}`", import.source)));
    }
    if file.is_async_function(name) {
        if local_never_rejects(ctx, name) {
            return None;
        }
        return Some(Promise::Call(format!("`{name}` is declared `async` in this file")));
    }
    if name == "fetch" && !file.declares("fetch") {
        return Some(Promise::Call("`fetch` always does".into()));
    }
    None
}

/// The method `name` of the class enclosing `from`, when it returns a promise.
fn class_async_method<'t>(ctx: &QueryMatchContext<'_, '_>, from: Node<'t>, name: &str) -> Option<Node<'t>> {
    let mut node = from;
    let body = loop {
        let parent = node.parent()?;
        if parent.kind() == "class_body" {
            break parent;
        }
        node = parent;
    };
    let mut cursor = body.walk();
    let found = body.named_children(&mut cursor).find(|member| {
        member.kind() == "method_definition"
            && member.child_by_field_name("name").is_some_and(|n| ctx.text(n) == name)
            && ecma::returns_promise(ctx.doc, *member)
    });
    found
}

/// True when the top-level function `name` of this file is async and cannot reject.
fn local_never_rejects(ctx: &QueryMatchContext<'_, '_>, name: &str) -> bool {
    let Some(function) = ecma::top_level_function(ctx.doc, name).filter(|f| ecma::is_function(*f)) else {
        return false;
    };
    never_rejects(ctx, function)
}

/// True when the async function node `function` cannot reject (imports resolved through the
/// workspace facts; `this.m` and `this.field.m` through the classes, see [`class_callee`]).
fn never_rejects(ctx: &QueryMatchContext<'_, '_>, function: Node<'_>) -> bool {
    never_rejects_at(ctx, function, 0)
}

/// How many methods deep `this.…` conditions are followed.
const METHOD_DEPTH: u32 = 4;

fn never_rejects_at(ctx: &QueryMatchContext<'_, '_>, function: Node<'_>, depth: u32) -> bool {
    let file = ctx.file_facts();
    let mut imported = |callee: &str| {
        if callee.starts_with("this.") {
            return Some(depth < METHOD_DEPTH && class_callee(ctx, function, callee, depth));
        }
        let import = file.import_of(callee)?;
        Some(import.imported != "*" && ctx.facts.never_rejects(&ctx.doc.path, &import.source, &import.imported))
    };
    rejects::never_rejects(ctx.doc, function, &mut imported)
}

/// Whether a `this.m` / `this.field.m` condition of `function` (a method) cannot reject: `m` of
/// the enclosing class, or `m` of the class the field holds — declared `field: Class`, as a
/// constructor parameter property, or assigned `this.field = new Class(…)` — found in this file
/// or, for an imported class, in the workspace facts (`Class.m` of its module).
fn class_callee(ctx: &QueryMatchContext<'_, '_>, function: Node<'_>, callee: &str, depth: u32) -> bool {
    let Some(class) = enclosing_class(function) else { return false };
    let path: Vec<&str> = callee.split('.').skip(1).collect();
    let (class, method) = match path.as_slice() {
        [method] => (class, *method),
        [field, method] => {
            let Some(type_name) = field_class(ctx, class, field) else { return false };
            if let Some(import) = ctx.file_facts().import_of(&type_name) {
                let key = format!("{}.{method}", import.imported);
                return import.imported != "*" && ctx.facts.never_rejects(&ctx.doc.path, &import.source, &key);
            }
            ecma::mark_file_wide();
            match ecma::top_level_classes(ctx.doc).get(type_name.as_str()) {
                Some(other) => (*other, *method),
                None => return false,
            }
        }
        _ => return false,
    };
    let found = rejects::class_methods(ctx.doc, class).into_iter().find(|(name, _)| *name == method);
    found.is_some_and(|(_, node)| never_rejects_at(ctx, node, depth + 1))
}

/// The class declaration (or expression) whose body holds `node`.
fn enclosing_class(node: Node<'_>) -> Option<Node<'_>> {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.kind() == "class_body" {
            return n.parent();
        }
        current = n.parent();
    }
    None
}

/// The class a field of `class` holds: its type annotation (`api: Api`, `private api: Api` as a
/// constructor parameter) or the class it is assigned in the constructor (`this.api = new
/// Api(…)`). Only a plain class name counts (no generics, unions or optional types).
fn field_class(ctx: &QueryMatchContext<'_, '_>, class: Node<'_>, field: &str) -> Option<String> {
    let body = class.child_by_field_name("body")?;
    let plain_type = |annotation: Node<'_>| {
        let ty = annotation.named_child(0)?;
        (ty.kind() == "type_identifier").then(|| ctx.text(ty).to_string())
    };
    let mut cursor = body.walk();
    let members: Vec<Node<'_>> = body.named_children(&mut cursor).collect();
    for member in &members {
        if member.kind() == "public_field_definition"
            && member.child_by_field_name("name").is_some_and(|n| ctx.text(n) == field)
        {
            if let Some(found) = member.child_by_field_name("type").and_then(plain_type) {
                return Some(found);
            }
        }
    }
    let constructor = members.iter().find(|m| {
        m.kind() == "method_definition" && m.child_by_field_name("name").is_some_and(|n| ctx.text(n) == "constructor")
    })?;
    if let Some(parameters) = constructor.child_by_field_name("parameters") {
        let mut cursor = parameters.walk();
        for parameter in parameters.named_children(&mut cursor) {
            let mut inner = parameter.walk();
            let property = parameter.children(&mut inner).any(|c| c.kind() == "accessibility_modifier");
            let named = parameter.child_by_field_name("pattern").is_some_and(|p| ctx.text(p) == field);
            if property && named {
                return parameter.child_by_field_name("type").and_then(plain_type);
            }
        }
    }
    // `this.field = new Class(…)` among the constructor's statements.
    let statements = constructor.child_by_field_name("body")?;
    let mut cursor = statements.walk();
    let found = statements.named_children(&mut cursor).find_map(|statement| {
        let assignment = statement.named_child(0).filter(|a| a.kind() == "assignment_expression")?;
        let left = assignment.child_by_field_name("left")?;
        let right = assignment.child_by_field_name("right").filter(|r| r.kind() == "new_expression")?;
        let target = left.kind() == "member_expression"
            && left.child_by_field_name("object").is_some_and(|o| o.kind() == "this")
            && left.child_by_field_name("property").is_some_and(|p| ctx.text(p) == field);
        let constructor = right.child_by_field_name("constructor").filter(|c| c.kind() == "identifier")?;
        target.then(|| ctx.text(constructor).to_string())
    });
    found
}

/// Whether the receiver of a `.then(ok)` may be a promise that rejects: not a Cypress chain
/// (`cy.request(…).then(…)` yields no promise), not a call of a function that never rejects.
fn may_be_rejected_promise(ctx: &QueryMatchContext<'_, '_>, object: Node<'_>, depth: u32) -> bool {
    let mut head = object;
    for _ in 0..64 {
        let next = match head.kind() {
            "call_expression" => head.child_by_field_name("function"),
            "member_expression" => head.child_by_field_name("object"),
            "await_expression" | "parenthesized_expression" | "non_null_expression" => head.named_child(0),
            _ => None,
        };
        match next {
            Some(n) => head = n,
            None => break,
        }
    }
    if head.kind() == "identifier" && matches!(ctx.text(head), "cy" | "Cypress") {
        return false;
    }
    // `p.catch(h).then(ok)`, `Promise.all([a.catch(h), …]).then(ok)`: nothing left to reject.
    if rejects::settled(ctx.doc, object) {
        return false;
    }
    // `Promise.allSettled(…)` never rejects.
    if object.kind() == "call_expression"
        && object.child_by_field_name("function").is_some_and(|f| ctx.text(f) == "Promise.allSettled")
    {
        return false;
    }
    // `f(…).then(ok)` with `f` async and never rejecting.
    if object.kind() == "call_expression" {
        if let Some(function) = object.child_by_field_name("function").filter(|f| f.kind() == "identifier") {
            let name = ctx.text(function);
            // A binding of an enclosing function or block (a parameter, a value destructured
            // from a hook): what it returns is unknown, as for a plain call of it; a function
            // declared there is read like a top-level one.
            match rejects::local_binding(ctx.doc, object, name) {
                Some(None) => return false,
                Some(Some(local)) => return !(ecma::is_async(local) && never_rejects(ctx, local)),
                None => {}
            }
            let file = ctx.file_facts();
            let known_async = match file.import_of(name) {
                Some(import) => ctx.facts.exports_async(&ctx.doc.path, &import.source, &import.imported),
                None => file.is_async_function(name),
            };
            if known_async && classify(ctx, object, depth + 1).is_none() {
                return false;
            }
        }
    }
    true
}

/// True for a statement at a module's top level, or in a callback of a promise chain that is
/// (`main().then(() => { … })`): what rejects there ends a Node.js script with a stack trace.
fn is_script_level(ctx: &QueryMatchContext<'_, '_>, statement: Node<'_>) -> bool {
    let mut node = statement;
    for _ in 0..16 {
        let Some(function) = ecma::enclosing_function(node) else { return true };
        let Some(call) = ecma::call_receiving_callback(function) else { return false };
        if !is_chain_method(ctx, call) {
            return false;
        }
        node = call;
    }
    false
}

/// `.then`, `.catch` or `.finally` calls.
fn is_chain_method(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>) -> bool {
    call.child_by_field_name("function")
        .filter(|f| f.kind() == "member_expression")
        .and_then(|f| f.child_by_field_name("property"))
        .is_some_and(|p| matches!(ctx.text(p), "then" | "catch" | "finally"))
}

/// True when `statement` sits in a callback of a `.then`/`.catch`/`.finally` chain whose own
/// expression statement is reported, or marked `void`: one finding per chain.
fn inside_reported_chain(ctx: &QueryMatchContext<'_, '_>, statement: Node<'_>) -> bool {
    let Some(function) = ecma::enclosing_function(statement) else { return false };
    let Some(call) = ecma::call_receiving_callback(function) else { return false };
    if !is_chain_method(ctx, call) {
        return false;
    }
    // The outermost call of the chain this call belongs to.
    let mut top = call;
    while let Some(parent) = top.parent() {
        match parent.kind() {
            "member_expression" if parent.child_by_field_name("object") == Some(top) => top = parent,
            "call_expression" if parent.child_by_field_name("function") == Some(top) => top = parent,
            _ => break,
        }
    }
    let Some(parent) = top.parent() else { return false };
    // `void chain` marks the whole chain, its callbacks' work included, as fire-and-forget.
    if parent.kind() == "unary_expression" && parent.child(0).is_some_and(|op| op.kind() == "void") {
        return parent.parent().is_some_and(|p| p.kind() == "expression_statement");
    }
    parent.kind() == "expression_statement"
        && top.kind() == "call_expression"
        && !is_script_level(ctx, parent)
        && classify(ctx, top, 0).is_some()
}
