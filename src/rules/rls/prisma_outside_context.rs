//! `rls/prisma-outside-context`: Prisma data access on a raw client outside an RLS context.

use tree_sitter::Node;

use crate::config::RlsConfig;
use crate::engine::ecma::{self, FileFacts};
use crate::engine::{Finding, Fix, QueryMatchContext, WorkspaceFacts};
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};

/// The prefilter's necessary condition (`engine::prefilter`): a call on a configured raw client
/// (`rls.clients`, a whole word), by its name, an import alias of it (the import clause names the original)
/// or `this.<client>`.
pub fn may_match(path: &str, text: &str, config: &crate::config::Config) -> bool {
    !is_setup_path(path) && config.rls.clients.iter().any(|c| crate::engine::prefilter::contains_word(text, c))
}

/// Test files (`ecma::is_test_path`) and seed scripts (`seed.ts`, `seed-dev.ts`, anything under a
/// `seed/`, `seeds/` or `seeders/` folder): setup code that runs with the database owner's
/// connection, where no tenant or user exists to set.
fn is_setup_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    ecma::is_test_path(path)
        || stem == "seed"
        || stem.starts_with("seed-")
        || stem.starts_with("seed_")
        || path.split('/').rev().skip(1).any(|d| matches!(d, "seed" | "seeds" | "seeders"))
}

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: "rls/prisma-outside-context",
        default_severity: Severity::Error,
        kinds: ECMASCRIPT,
        summary: "Prisma model or raw-query call on a raw client outside a tenant/user context wrapper",
        doc: include_str!("../../../docs/rules/rls/prisma-outside-context.md"),
        matcher: Matcher::Query {
            source: include_str!("../../../queries/typescript/rls/prisma-outside-context.scm"),
            predicate: Some(check),
        },
    }
}

/// Where a call on the raw client sits relative to the context wrappers.
enum Placement<'t> {
    /// Not inside any wrapper.
    Outside,
    /// Inside the callback of `wrapper`, which hands out its own scoped client.
    InsideCallback { wrapper: String, callback: Node<'t> },
    /// Safe: inside a wrapper's own definition, a callback that takes no client, or a function
    /// whose parameter shadows the client's name.
    Safe,
}

fn check(ctx: &QueryMatchContext<'_, '_>) -> Option<Finding> {
    let rls = &ctx.config.rls;
    if !rls.enforce && !ctx.facts.wrappers_in_use() {
        return None;
    }
    if is_setup_path(&ctx.doc.path) {
        return None;
    }
    let operation_node = ctx.capture("operation")?;
    let operation = ctx.text(operation_node);
    let (call, member) = ecma::method_call_of(operation_node)?;
    let object = member.child_by_field_name("object")?;
    let Target { client, receiver, model } = target(object, is_raw_operation(operation))?;
    let client_name = ctx.text(client);
    let file = ctx.file_facts();
    let is_raw = match receiver {
        Some(_) => rls.clients.iter().any(|c| c == client_name),
        None => {
            is_raw_client(client_name, file, rls)
                && !is_rls_extended(ctx, client_name, file, rls)
                && !is_handed_out(ctx, call, client_name, file)
        }
    };
    if !is_raw {
        return None;
    }
    let shadowable = receiver.is_none();
    let client = receiver.unwrap_or(client);
    let client_name = ctx.text(client);
    // Report on `client.model.operation`, not the (often multi-line) arguments.
    let range = call.start_byte()..operation_node.end_byte();
    let shown = match model {
        Some(model) => format!("{client_name}.{}.{operation}()", ctx.text(model)),
        None => format!("{client_name}.{operation}"),
    };
    match placement(ctx, call, client_name, shadowable, file, rls) {
        Placement::Safe => None,
        Placement::Outside => {
            let in_use: Vec<String> =
                rls.wrappers.iter().filter(|w| ctx.facts.wrapper_in_use(w)).map(|w| format!("`{w}(…)`")).collect();
            let advice = if in_use.is_empty() {
                "run it in one of the workspace's RLS contexts (a function that sets the tenant with `set_config` in a transaction, or a client extended with one), and name your wrappers in `[rls] wrappers` if they are not found".to_string()
            } else {
                format!("run it inside {}", in_use.join(" or "))
            };
            let message = format!(
                "`{shown}` runs on the raw client `{client_name}` outside an RLS context, so row level security sees no tenant or user; {advice}"
            );
            let finding = ctx.finding(range, message);
            Some(match wrap_fix(ctx, call, client, file, rls) {
                Some(fix) => finding.with_fix(fix),
                None => finding,
            })
        }
        Placement::InsideCallback { wrapper, callback } => {
            let scoped = ecma::parameter_names(ctx.doc, callback).first().copied().filter(|p| is_identifier(p));
            let advice = match scoped {
                Some(p) => format!("use the callback's scoped client `{p}`"),
                None => "use the callback's scoped client".to_string(),
            };
            let message = format!(
                "`{shown}` uses the raw client `{client_name}` inside the `{wrapper}` callback, which bypasses the context the wrapper sets; {advice}"
            );
            let mut finding = ctx.finding(range, message);
            if let Some(p) = scoped {
                let fix = Fix::in_file(
                    format!("Use the scoped client `{p}`"),
                    &ctx.doc.path,
                    [(client.byte_range(), p.to_string())],
                );
                finding = finding.with_fix(fix);
            }
            Some(finding)
        }
    }
}

/// The client a Prisma call runs on, read off the object the operation is called on.
struct Target<'t> {
    /// The client's name: `prisma` in `prisma.user.findMany` and in `this.prisma.user.findMany`.
    client: Node<'t>,
    /// `this.prisma`, when the client is held by a class: fixes replace the whole receiver, and
    /// no parameter can shadow it.
    receiver: Option<Node<'t>>,
    /// `user` in `prisma.user.findMany`; none for raw operations.
    model: Option<Node<'t>>,
}

/// `$queryRaw` and its kin, called on the client itself; the others are called on a model.
fn is_raw_operation(operation: &str) -> bool {
    operation.starts_with('$')
}

/// The [`Target`] of a call on `object`, or none when `object` does not have the shape of a
/// Prisma client (`client` or `this.client`), followed by `.model` for model operations.
fn target(object: Node<'_>, raw: bool) -> Option<Target<'_>> {
    let (holder, model) = if raw {
        (object, None)
    } else {
        if object.kind() != "member_expression" {
            return None;
        }
        let model = object.child_by_field_name("property").filter(|p| p.kind() == "property_identifier")?;
        (object.child_by_field_name("object")?, Some(model))
    };
    match holder.kind() {
        "identifier" => Some(Target { client: holder, receiver: None, model }),
        "member_expression" => {
            let this = holder.child_by_field_name("object")?;
            let client = holder.child_by_field_name("property")?;
            (this.kind() == "this" && client.kind() == "property_identifier").then_some(Target {
                client,
                receiver: Some(holder),
                model,
            })
        }
        _ => None,
    }
}

/// A configured client name, or a local alias of one (`import { db as prisma }`).
fn is_raw_client(name: &str, file: &FileFacts, rls: &RlsConfig) -> bool {
    rls.clients.iter().any(|c| c == name || c == file.original_name(name))
}

/// A configured wrapper, a local alias of one, or a name some module re-exports one under.
fn is_wrapper(name: &str, file: &FileFacts, rls: &RlsConfig, facts: &WorkspaceFacts) -> bool {
    let original = file.original_name(name);
    rls.wrappers.iter().any(|w| w == name || w == original) || facts.is_wrapper_alias(original)
}

fn placement<'t>(
    ctx: &QueryMatchContext<'_, 't>,
    call: Node<'t>,
    client_name: &str,
    shadowable: bool,
    file: &FileFacts,
    rls: &RlsConfig,
) -> Placement<'t> {
    let mut node = call;
    while let Some(parent) = node.parent() {
        node = parent;
        if node.kind() == "arguments" && node.parent().is_some_and(|outer| is_rls_batch_or_extension(ctx, outer)) {
            return Placement::Safe;
        }
        if !ecma::is_function(node) {
            continue;
        }
        if shadowable && ecma::parameter_names(ctx.doc, node).contains(&client_name) {
            return Placement::Safe;
        }
        if ecma::declared_name(ctx.doc, node).is_some_and(|name| is_wrapper(name, file, rls, ctx.facts)) {
            return Placement::Safe;
        }
        let Some(outer) = ecma::call_receiving_callback(node) else { continue };
        let Some(callee) = ecma::callee_name(ctx.doc, outer) else { continue };
        if is_wrapper(callee, file, rls, ctx.facts) {
            if ecma::parameter_count(node) == 0 {
                return Placement::Safe;
            }
            return Placement::InsideCallback { wrapper: callee.to_string(), callback: node };
        }
    }
    Placement::Outside
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Wraps the call in the configured wrapper, the client replaced by the callback's parameter,
/// and imports the wrapper when the file does not have it yet.
fn wrap_fix(
    ctx: &QueryMatchContext<'_, '_>,
    call: Node<'_>,
    client: Node<'_>,
    file: &FileFacts,
    rls: &RlsConfig,
) -> Option<Fix> {
    // Only the configured fix wrapper, and only while it is one of the configured wrappers and
    // the workspace defines or imports it: a project whose wrappers have other names (or other
    // signatures) gets no guessed fix.
    let wrapper = &rls.fix_wrapper;
    if !rls.wrappers.contains(wrapper) || !ctx.facts.wrapper_in_use(wrapper) {
        return None;
    }
    let text = &ctx.doc.text;
    let call_text = &text[call.byte_range()];
    let param = ["tx", "scopedTx", "scopedClient"]
        .into_iter()
        .find(|p| !contains_identifier(call_text, p))
        .unwrap_or("scopedClient");
    let scoped_call = format!(
        "{}{param}{}",
        &text[call.start_byte()..client.start_byte()],
        &text[client.end_byte()..call.end_byte()]
    );
    let mut edits = vec![(call.byte_range(), format!("{wrapper}(async ({param}) => {scoped_call})"))];
    let available = file.import_of(wrapper).is_some() || file.declares(wrapper);
    // Import from where the file already imports a configured wrapper, else `wrapper_import`.
    let module = file
        .imports
        .iter()
        .find(|i| rls.wrappers.contains(&i.imported))
        .map_or(rls.wrapper_import.as_str(), |i| i.source.as_str());
    if !available && !module.is_empty() {
        edits.push(import_edit(ctx, file, wrapper, module));
    }
    Some(Fix::in_file(format!("Wrap in {wrapper}()"), &ctx.doc.path, edits))
}

/// Adds `wrapper` to an existing named import from `module`, or inserts a new import.
fn import_edit(
    ctx: &QueryMatchContext<'_, '_>,
    file: &FileFacts,
    wrapper: &str,
    module: &str,
) -> (std::ops::Range<usize>, String) {
    let existing = file.imports.iter().find(|i| i.source == module).and_then(|i| i.named_clause.clone());
    if let Some(clause) = existing {
        let clause_text = ctx.doc.slice(clause.clone());
        let before_brace = clause_text.trim_end_matches('}').trim_end();
        let at = clause.start + before_brace.len();
        let separator = if before_brace.ends_with(',') { " " } else { ", " };
        return (at..at, format!("{separator}{wrapper}"));
    }
    let at = file.import_insertion_point;
    (at..at, format!("import {{ {wrapper} }} from \"{module}\";\n"))
}

fn contains_identifier(text: &str, ident: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(ident).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(is_ident)
            && !text[i + ident.len()..].chars().next().is_some_and(is_ident)
    })
}

/// `client.$transaction([client.$executeRaw`SELECT set_config(…)`, …])` (the batch form: its
/// statements run in order in one transaction, after the setting), and `client.$extends({ query:
/// … set_config … })` / `Prisma.defineExtension(…)` with the setting: an RLS context.
fn is_rls_batch_or_extension(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>) -> bool {
    if call.kind() != "call_expression" {
        return false;
    }
    let Some(callee) = ecma::callee_name(ctx.doc, call) else { return false };
    let Some(arguments) = call.child_by_field_name("arguments") else { return false };
    let sets_guc = |node: Node<'_>| {
        let text = ctx.text(node);
        text.contains("set_config(") || text.to_ascii_lowercase().contains("set local ")
    };
    match callee {
        "$transaction" => {
            ecma::argument_list(arguments).first().is_some_and(|batch| batch.kind() == "array" && sets_guc(*batch))
        }
        "$extends" | "defineExtension" => sets_guc(arguments),
        _ => false,
    }
}

/// True when the client `name` is bound in this file to a client extended with an RLS context:
/// `const prisma = base.$extends(forUser(id))` with `forUser` found to set a GUC, or an inline
/// extension that sets one.
fn is_rls_extended(ctx: &QueryMatchContext<'_, '_>, name: &str, file: &FileFacts, rls: &RlsConfig) -> bool {
    if file.import_of(name).is_some() {
        return false;
    }
    let Some(value) = ecma::declarator_value(ctx.doc, name) else { return false };
    let text = ctx.text(value);
    if !text.contains("$extends(") {
        return false;
    }
    if text.contains("set_config(") {
        return true;
    }
    let mut stack = vec![value];
    while let Some(node) = stack.pop() {
        if node.kind() == "call_expression" {
            let function = node.child_by_field_name("function").filter(|f| f.kind() == "identifier");
            if function.is_some_and(|f| is_wrapper(ctx.text(f), file, rls, ctx.facts)) {
                return true;
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    false
}

/// True when `name`, where `call` uses it, is a local binding that a plain function call handed
/// out in an enclosing block before the call: `const { db } = await getAuthenticatedClient()`,
/// `const db = createScopedClient(user)`. That client is what the function built (a client
/// extended with the user's context, a transaction client); the rule reports the raw client
/// itself — imported, or bound to it (`const db = prisma`). `require(…)` is an import, not a
/// hand-out. Only a search that reaches the file's other top-level statements marks the match
/// file-wide (`ecma::mark_file_wide`), so the editor keeps reusing the findings of unchanged
/// statements.
fn is_handed_out(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>, name: &str, file: &FileFacts) -> bool {
    for block in ecma::ancestors(ctx.doc, call) {
        match block.kind() {
            "statement_block" => {}
            // An imported client is not declared at the top level; any other name is looked up
            // in the file's other top-level statements, beyond the one being analysed.
            "program" if file.import_of(name).is_some() => return false,
            "program" => ecma::mark_file_wide(),
            _ => continue,
        }
        let mut statements = block.walk();
        for statement in block.named_children(&mut statements) {
            if statement.start_byte() >= call.start_byte() {
                break;
            }
            if !matches!(statement.kind(), "lexical_declaration" | "variable_declaration") {
                continue;
            }
            let mut declarators = statement.walk();
            for declarator in statement.named_children(&mut declarators) {
                let (Some(pattern), Some(value)) =
                    (declarator.child_by_field_name("name"), declarator.child_by_field_name("value"))
                else {
                    continue;
                };
                if binds(ctx, pattern, name) {
                    return is_plain_call(ctx, value);
                }
            }
        }
    }
    false
}

/// True when the declaration pattern binds `name` (`db`, `{ db }`, `{ client: db }`, `[db]`,
/// `{ db = fallback }`).
fn binds(ctx: &QueryMatchContext<'_, '_>, pattern: Node<'_>, name: &str) -> bool {
    match pattern.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => ctx.text(pattern) == name,
        "pair_pattern" => pattern.child_by_field_name("value").is_some_and(|v| binds(ctx, v, name)),
        "object_assignment_pattern" | "assignment_pattern" => {
            pattern.child_by_field_name("left").is_some_and(|l| binds(ctx, l, name))
        }
        "object_pattern" | "array_pattern" | "rest_pattern" => {
            let mut cursor = pattern.walk();
            let found = pattern.named_children(&mut cursor).any(|p| binds(ctx, p, name));
            found
        }
        _ => false,
    }
}

/// `f(…)` or `await f(…)` with `f` a plain name other than `require`.
fn is_plain_call(ctx: &QueryMatchContext<'_, '_>, value: Node<'_>) -> bool {
    let value = match value.kind() {
        "await_expression" => match value.named_child(0) {
            Some(inner) => inner,
            None => return false,
        },
        _ => value,
    };
    value.kind() == "call_expression"
        && value.child_by_field_name("function").is_some_and(|f| f.kind() == "identifier" && ctx.text(f) != "require")
}
