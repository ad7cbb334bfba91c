//! `rls/supabase-service-role`: the Supabase service-role key in client-reachable code, or in a
//! public (`NEXT_PUBLIC_*`) variable.

use tree_sitter::Node;

use crate::config::SupabaseConfig;
use crate::engine::{ecma, Finding, QueryMatchContext};
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};
use crate::syntax::Document;

/// The prefilter's necessary condition on a file's own text (`engine::prefilter`): a
/// `NEXT_PUBLIC_` name, or an import from a Supabase package. Calls of service-client factories
/// exported by another module are the prefilter's cross-file part (`interesting_names`).
pub fn may_match(_path: &str, text: &str, _config: &crate::config::Config) -> bool {
    text.contains("NEXT_PUBLIC_") || ecma::SUPABASE_MODULES.iter().any(|m| text.contains(m))
}

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: "rls/supabase-service-role",
        default_severity: Severity::Error,
        kinds: ECMASCRIPT,
        summary:
            "Supabase client built with the service-role key in client-reachable code, or the key in a public env var",
        doc: include_str!("../../../docs/rules/rls/supabase-service-role.md"),
        matcher: Matcher::Query {
            source: include_str!("../../../queries/typescript/rls/supabase-service-role.scm"),
            predicate: Some(check),
        },
    }
}

use ecma::{SERVER_ONLY_MODULES, SUPABASE_FACTORIES as FACTORIES, SUPABASE_MODULES};

fn check(ctx: &QueryMatchContext<'_, '_>) -> Option<Finding> {
    let config = &ctx.config.supabase;
    if let Some(name) = ctx.capture("public_name") {
        let host = public_name_host(name)?;
        let name = ctx.text(name);
        if !is_service_role_name(name, config) {
            return None;
        }
        let message = format!(
            "`{name}` puts the Supabase service-role key in a `NEXT_PUBLIC_` variable, which Next.js inlines into the browser bundle: anyone can read it and bypass row level security. Rotate the key and read it only on the server from a variable without the `NEXT_PUBLIC_` prefix (`SUPABASE_SERVICE_ROLE_KEY`)"
        );
        return Some(ctx.finding(host.byte_range(), message));
    }
    let callee = ctx.capture("callee")?;
    let file = ctx.file_facts();
    let factory = match ctx.capture("namespace") {
        // `sb.createClient(…)` with `import * as sb from "@supabase/supabase-js"`.
        Some(namespace) => {
            let import = file.import_of(ctx.text(namespace))?;
            (import.imported == "*" && SUPABASE_MODULES.contains(&import.source.as_str())).then(|| ctx.text(callee))?
        }
        // `createClient(…)`, also imported under another name.
        None => {
            let import = file.import_of(ctx.text(callee))?;
            if !(SUPABASE_MODULES.contains(&import.source.as_str()) && FACTORIES.contains(&import.imported.as_str())) {
                return service_client_factory_call(ctx, callee, import);
            }
            import.imported.as_str()
        }
    };
    let key = *ecma::argument_list(ctx.capture("args")?).get(1)?;
    if !refers_to_service_role(ctx.doc, key, config) {
        return None;
    }
    let reason = client_reason(&ctx.doc.path, file, config)?;
    let local = ctx.text(ctx.node.child_by_field_name("function")?);
    let shown =
        if local.ends_with(factory) { format!("`{local}`") } else { format!("`{local}` (Supabase's `{factory}`)") };
    let message = format!(
        "{shown} is given the service-role key in {reason}; that key bypasses row level security for every table, and code here can reach the browser. Use the anon key here and move service-role work to a server-only module (`import \"server-only\"`), a route handler or a server action"
    );
    Some(ctx.finding(ctx.node.start_byte()..callee.end_byte().max(key.end_byte()).min(ctx.node.end_byte()), message))
}

/// `createServiceClient()` in client code, where the imported function builds a Supabase client
/// with the service-role key in a module of its own (a neutral factory: that module has no
/// server-only marker, so the bundler lets client code import it).
fn service_client_factory_call(
    ctx: &QueryMatchContext<'_, '_>,
    callee: Node<'_>,
    import: &ecma::Import,
) -> Option<Finding> {
    if import.imported == "*" {
        return None;
    }
    let file = ctx.file_facts();
    let reason = client_reason(&ctx.doc.path, file, &ctx.config.supabase)?;
    if !ctx.facts.exports_service_client(&ctx.doc.path, &import.source, &import.imported) {
        return None;
    }
    let local = ctx.text(callee);
    let message = format!(
        "`{local}()` (from `{}`) builds a Supabase client with the service-role key, and it is called in {reason}; that key bypasses row level security for every table, and code here can reach the browser. Use a client with the anon key here, and call the service-role factory only from server-only code (mark its module `import \"server-only\"` so that client code cannot import it)",
        import.source
    );
    Some(ctx.finding(ctx.node.start_byte()..callee.end_byte(), message))
}

/// The expression a `NEXT_PUBLIC_…` name is read through: the member expression it is the
/// property of (`process.env.NEXT_PUBLIC_X`), or the subscript it is the string index of
/// (`process.env["NEXT_PUBLIC_X"]`). `None` anywhere else (an object key, a plain string).
fn public_name_host(name: Node<'_>) -> Option<Node<'_>> {
    let parent = name.parent()?;
    match name.kind() {
        "property_identifier" if parent.kind() == "member_expression" => {
            (parent.child_by_field_name("property")? == name).then_some(parent)
        }
        "string_fragment" if parent.kind() == "string" => {
            let subscript = parent.parent().filter(|s| s.kind() == "subscript_expression")?;
            (subscript.child_by_field_name("index")? == parent).then_some(subscript)
        }
        _ => None,
    }
}

/// Why the file counts as client code, or `None` when it is server code.
fn client_reason(path: &str, file: &ecma::FileFacts, config: &SupabaseConfig) -> Option<String> {
    // Server-only markers win over `client_paths`.
    if SERVER_ONLY_MODULES.iter().any(|m| file.imports_module(m)) || file.has_directive("use server") {
        return None;
    }
    if file.has_directive("use client") {
        return Some("a `'use client'` module".into());
    }
    let mut matched = None;
    for pattern in &config.client_paths {
        match pattern.strip_prefix('!') {
            Some(excluded) if ecma::path_matches(excluded, path) => return None,
            Some(_) => {}
            None if matched.is_none() && ecma::path_matches(pattern, path) => matched = Some(pattern.as_str()),
            None => {}
        }
    }
    matched.map(|p| format!("client-reachable code (`{p}` in `[supabase] client_paths`)"))
}

/// True when a name mentions a service-role secret (case-insensitive, `_` ignored).
pub fn is_service_role_name(name: &str, config: &SupabaseConfig) -> bool {
    ecma::names_secret(name, &config.service_role_patterns)
}

/// True when the key expression names a service-role secret, directly or through a same-file
/// variable initialised from one.
pub fn refers_to_service_role(doc: &Document, key: Node<'_>, config: &SupabaseConfig) -> bool {
    let text = doc.slice(key.byte_range());
    if is_service_role_name(text, config) {
        return true;
    }
    if key.kind() != "identifier" {
        return false;
    }
    ecma::declarator_value(doc, text).is_some_and(|v| is_service_role_name(doc.slice(v.byte_range()), config))
}
