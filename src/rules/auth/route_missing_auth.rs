//! `auth/route-missing-auth`: a Next.js route handler or API handler that reaches data before any
//! auth guard.

use tree_sitter::Node;

use crate::engine::{ecma, Finding, Fix, QueryMatchContext};
use crate::rules::rls::supabase_service_role;
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: "auth/route-missing-auth",
        default_severity: Severity::Error,
        kinds: ECMASCRIPT,
        summary: "a Next.js route handler or API handler that touches data before any configured auth guard",
        doc: include_str!("../../../docs/rules/auth/route-missing-auth.md"),
        matcher: Matcher::Query {
            source: include_str!("../../../queries/typescript/auth/route-missing-auth.scm"),
            predicate: Some(check),
        },
    }
}

/// App Router handler names the rule checks.
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Calls on a configured client itself that reach data (Prisma raw/transactions, Drizzle,
/// query builders).
const CLIENT_DATA_METHODS: &[&str] = &[
    "$queryRaw",
    "$executeRaw",
    "$queryRawUnsafe",
    "$executeRawUnsafe",
    "$transaction",
    "select",
    "insert",
    "update",
    "delete",
    "execute",
    "query",
];

/// Calls that verify a request's credentials besides `[auth] guards`: token and webhook
/// signature checks.
const BUILTIN_GUARDS: &[&str] = &[
    "verify",
    "jwtVerify",
    "getToken",
    "verifySignature",
    "verifyWebhook",
    "constructEvent",
    "constructEventAsync",
    "validateRequest",
];

/// Which kind of route file this is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RouteKind {
    /// `app/**/route.{ts,js}`.
    App,
    /// `pages/api/**`.
    PagesApi,
}

fn route_kind(path: &str) -> Option<RouteKind> {
    let segments: Vec<&str> = path.split('/').collect();
    let (name, dirs) = segments.split_last()?;
    let stem = name.split('.').next().unwrap_or(name);
    if stem == "route" && dirs.contains(&"app") {
        return Some(RouteKind::App);
    }
    dirs.windows(2).any(|w| w == ["pages", "api"]).then_some(RouteKind::PagesApi)
}

fn check(ctx: &QueryMatchContext<'_, '_>) -> Option<Finding> {
    let kind = route_kind(&ctx.doc.path)?;
    let statement = ctx.node;
    let is_default = {
        let mut cursor = statement.walk();
        let found = statement.children(&mut cursor).any(|c| c.kind() == "default");
        found
    };
    let name = ctx.capture("name").map(|n| ctx.text(n));
    let label = match (kind, is_default, name) {
        (RouteKind::App, false, Some(n)) if METHODS.contains(&n) => format!("`{n}` route handler"),
        (RouteKind::PagesApi, true, _) => "API handler".to_string(),
        _ => return None,
    };
    let handler = resolve_handler(ctx, ctx.capture("handler")?, 0)?;
    let data = first_unguarded_data_access(ctx, handler)?;
    let guards = ctx.config.auth.guards.iter().map(|g| format!("`{g}()`")).collect::<Vec<_>>().join(", ");
    // An absolute line number in the message: the finding moves with edits above it.
    ecma::mark_file_wide();
    let line = ctx.doc.line_index.line_of(data.node.start_byte()) + 1;
    let message = format!(
        "The {label} reaches data ({}, line {line}) before any auth guard runs, so anyone who can reach the URL can use it; call a guard ({guards}) and return 401 first, or wrap the handler in a configured `[auth] wrappers` function",
        data.what
    );
    let range = data.node.start_byte()..data.end;
    let mut finding = ctx.finding(range, message);
    if kind == RouteKind::App {
        if let Some(fix) = guard_fix(ctx, handler) {
            finding = finding.with_fix(fix);
        }
    }
    Some(finding)
}

/// The function that handles requests, or `None` when an auth wrapper or an unknown value
/// stands in the way.
fn resolve_handler<'t>(ctx: &QueryMatchContext<'t, 't>, node: Node<'t>, depth: u32) -> Option<Node<'t>> {
    if depth > 6 {
        return None;
    }
    match node.kind() {
        "function_declaration" | "arrow_function" | "function_expression" | "function" => Some(node),
        "parenthesized_expression" | "as_expression" | "satisfies_expression" | "non_null_expression" => {
            resolve_handler(ctx, node.named_child(0)?, depth + 1)
        }
        "identifier" => resolve_handler(ctx, ecma::top_level_function(ctx.doc, ctx.text(node))?, depth + 1),
        "call_expression" => {
            let callee = ecma::callee_name(ctx.doc, node)?;
            if is_auth_wrapper(ctx, callee) {
                return None;
            }
            // An unknown higher-order handler (`withErrorHandling(async (req) => …)`): check the
            // function it wraps.
            let arguments = node.child_by_field_name("arguments")?;
            let mut cursor = arguments.walk();
            let inner = arguments
                .named_children(&mut cursor)
                .find(|a| ecma::is_function(*a) || matches!(a.kind(), "call_expression" | "identifier"))?;
            resolve_handler(ctx, inner, depth + 1)
        }
        _ => None,
    }
}

/// A configured `[auth] wrappers` function (or an alias of one), or a higher-order function
/// whose name says it authenticates (`withAuth`, `withSession`, `protectedRoute`, …).
fn is_auth_wrapper(ctx: &QueryMatchContext<'_, '_>, name: &str) -> bool {
    let original = ctx.file_facts().original_name(name);
    if ctx.config.auth.wrappers.iter().any(|w| w == name || w == original) {
        return true;
    }
    let lower = original.to_ascii_lowercase();
    ["auth", "session", "protect", "guard", "permission", "role", "signed", "user"].iter().any(|t| lower.contains(t))
}

/// The first data access of a handler, when no guard precedes it.
struct DataAccess<'t> {
    node: Node<'t>,
    end: usize,
    what: String,
}

fn first_unguarded_data_access<'t>(ctx: &QueryMatchContext<'_, 't>, function: Node<'t>) -> Option<DataAccess<'t>> {
    let body = function.child_by_field_name("body")?;
    let mut cursor = body.walk();
    loop {
        let node = cursor.node();
        match node.kind() {
            "call_expression" => {
                if is_guard_call(ctx, node, 0) {
                    return None;
                }
                if let Some(what) = data_access(ctx, node) {
                    let function = node.child_by_field_name("function")?;
                    let single =
                        ctx.doc.line_index.line_of(node.start_byte()) == ctx.doc.line_index.line_of(node.end_byte());
                    let end = if single { node.end_byte() } else { function.end_byte() };
                    return Some(DataAccess { node, end, what });
                }
            }
            "binary_expression" if is_secret_comparison(ctx, node) => return None,
            _ => {}
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() || cursor.node() == body {
                return None;
            }
        }
    }
}

/// `auth()`, `getServerSession(…)`, `supabase.auth.getUser()`, a same-file helper that calls one,
/// a token or webhook-signature check, or a call whose name says it authenticates.
fn is_guard_call(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>, depth: u32) -> bool {
    let Some(function) = call.child_by_field_name("function") else { return false };
    let Some(name) = ecma::callee_name(ctx.doc, call) else { return false };
    let original = ctx.file_facts().original_name(name);
    let guards = &ctx.config.auth.guards;
    if guards.iter().any(|g| g == name || g == original) || BUILTIN_GUARDS.contains(&original) {
        return true;
    }
    // supabase.auth.getUser() / getClaims() / getSession()
    if function.kind() == "member_expression" {
        let on_auth = function
            .child_by_field_name("object")
            .and_then(|o| o.child_by_field_name("property"))
            .is_some_and(|p| ctx.text(p) == "auth");
        if on_auth && matches!(name, "getUser" | "getClaims" | "getSession") {
            return true;
        }
    }
    let lower = original.to_ascii_lowercase();
    if ["auth", "session", "currentuser", "apikey"].iter().any(|t| lower.contains(t)) {
        return true;
    }
    // A same-file helper that calls a guard (`const user = await requireUser(req)`).
    if depth < 2 && function.kind() == "identifier" {
        if let Some(helper) = ecma::top_level_function(ctx.doc, name).filter(|f| ecma::is_function(*f)) {
            return calls_guard(ctx, helper, depth + 1);
        }
    }
    false
}

fn calls_guard(ctx: &QueryMatchContext<'_, '_>, function: Node<'_>, depth: u32) -> bool {
    let Some(body) = function.child_by_field_name("body") else { return false };
    let mut cursor = body.walk();
    loop {
        let node = cursor.node();
        if (node.kind() == "call_expression" && is_guard_call(ctx, node, depth))
            || (node.kind() == "binary_expression" && is_secret_comparison(ctx, node))
        {
            return true;
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() || cursor.node() == body {
                return false;
            }
        }
    }
}

/// `token !== process.env.CRON_SECRET`, `` auth === `Bearer ${process.env.API_TOKEN}` ``.
fn is_secret_comparison(ctx: &QueryMatchContext<'_, '_>, node: Node<'_>) -> bool {
    let Some(operator) = node.child_by_field_name("operator") else { return false };
    if !matches!(operator.kind(), "===" | "!==" | "==" | "!=") {
        return false;
    }
    let text = ctx.text(node);
    text.contains("process.env.") && ["SECRET", "TOKEN", "API_KEY", "PASSWORD"].iter().any(|s| text.contains(s))
}

/// What data the call reaches, in words, or `None` when it reaches none.
fn data_access(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>) -> Option<String> {
    let function = call.child_by_field_name("function")?;
    let arguments = call.child_by_field_name("arguments")?;
    let file = ctx.file_facts();
    match function.kind() {
        "identifier" => {
            let name = ctx.text(function);
            let original = file.original_name(name);
            if ctx.config.rls.wrappers.iter().any(|w| w == original) || ctx.facts.is_wrapper_alias(original) {
                return Some(format!("`{name}(…)`"));
            }
            // sql`SELECT …` (postgres.js, Neon, Vercel Postgres)
            if arguments.kind() == "template_string" && name == "sql" && starts_with_sql(ctx.text(arguments)) {
                return Some("a raw SQL query".into());
            }
            None
        }
        "member_expression" => {
            let property = ctx.text(function.child_by_field_name("property")?);
            let object = function.child_by_field_name("object")?;
            if object.kind() == "member_expression" && ecma::PRISMA_OPERATIONS.contains(&property) {
                let client = object.child_by_field_name("object")?;
                if ctx.is_raw_client(client) {
                    let model = object.child_by_field_name("property").map_or("", |m| ctx.text(m));
                    return Some(format!("`{}.{model}.{property}()`", ctx.text(client)));
                }
            }
            if CLIENT_DATA_METHODS.contains(&property) && ctx.is_raw_client(object) {
                return Some(format!("`{}.{property}`", ctx.text(object)));
            }
            if matches!(property, "from" | "rpc") {
                let first = arguments.named_child(0)?;
                ecma::literal_string(ctx.doc, first)?;
                if privileged_supabase(ctx, object) {
                    return Some(format!("`.{property}({})` on a service-role Supabase client", ctx.text(first)));
                }
                return None;
            }
            if matches!(property, "query" | "execute" | "unsafe") {
                let first = arguments.named_child(0)?;
                let sql = if arguments.kind() == "template_string" { Some(arguments) } else { Some(first) };
                if sql.is_some_and(|s| matches!(s.kind(), "string" | "template_string") && starts_with_sql(ctx.text(s)))
                {
                    return Some("a raw SQL query".into());
                }
            }
            None
        }
        _ => None,
    }
}

fn starts_with_sql(text: &str) -> bool {
    let text = text.trim_start_matches(['"', '\'', '`']).trim_start().to_ascii_lowercase();
    ["select ", "insert ", "update ", "delete ", "with ", "merge ", "select\n", "delete\n", "update\n", "insert\n"]
        .iter()
        .any(|k| text.starts_with(k))
}

/// True when a Supabase query's receiver bypasses row level security: a client built in this
/// file with a service-role key, or one whose name (or factory's name) says admin/service.
/// A client built from the user's session is scoped by RLS, which is the authorization.
fn privileged_supabase(ctx: &QueryMatchContext<'_, '_>, receiver: Node<'_>) -> bool {
    let mut root = receiver;
    for _ in 0..8 {
        match root.kind() {
            "member_expression" => match root.child_by_field_name("object") {
                Some(o) => root = o,
                None => return false,
            },
            "call_expression" => match root.child_by_field_name("function") {
                Some(f) => root = f,
                None => return false,
            },
            "parenthesized_expression" | "await_expression" | "non_null_expression" => match root.named_child(0) {
                Some(o) => root = o,
                None => return false,
            },
            _ => break,
        }
    }
    if root.kind() != "identifier" {
        return false;
    }
    let privileged_name = |name: &str| {
        let lower = name.to_ascii_lowercase();
        lower.contains("admin") || lower.contains("servicerole") || lower.contains("service_role")
    };
    let name = ctx.text(root);
    if privileged_name(name) {
        return true;
    }
    let Some(mut value) = ecma::declarator_value(ctx.doc, name) else { return false };
    while matches!(value.kind(), "await_expression" | "non_null_expression" | "parenthesized_expression") {
        match value.named_child(0) {
            Some(v) => value = v,
            None => return false,
        }
    }
    if value.kind() != "call_expression" {
        return false;
    }
    let callee = ecma::callee_name(ctx.doc, value).unwrap_or("");
    if privileged_name(callee) {
        return true;
    }
    let key = value.child_by_field_name("arguments").and_then(|a| a.named_child(1));
    key.is_some_and(|k| supabase_service_role::refers_to_service_role(ctx.doc, k, &ctx.config.supabase))
}

/// Inserts the configured guard at the top of the handler's body (making it `async` if needed)
/// and imports the guard function when the file lacks it.
fn guard_fix(ctx: &QueryMatchContext<'_, '_>, function: Node<'_>) -> Option<Fix> {
    let auth = &ctx.config.auth;
    if auth.fix_guard.trim().is_empty() {
        return None;
    }
    let body = function.child_by_field_name("body").filter(|b| b.kind() == "statement_block")?;
    let text = &ctx.doc.text;
    let indent = match body.named_child(0) {
        Some(first) => {
            let line_start = text[..first.start_byte()].rfind('\n').map_or(0, |i| i + 1);
            let prefix = &text[line_start..first.start_byte()];
            if prefix.trim().is_empty() {
                prefix.to_string()
            } else {
                "  ".to_string()
            }
        }
        None => "  ".to_string(),
    };
    let guard: String = auth.fix_guard.lines().map(|l| format!("\n{indent}{l}")).collect();
    let open = body.start_byte() + 1;
    let mut edits = vec![(open..open, guard)];
    if !ecma::is_async(function) {
        let at = function.start_byte();
        edits.push((at..at, "async ".to_string()));
    }
    let file = ctx.file_facts();
    let name = &auth.fix_guard_function;
    let available = file.import_of(name).is_some() || file.declares(name);
    if !available && !auth.fix_import.is_empty() && !name.is_empty() {
        edits.push(ecma::add_named_import(ctx.doc, file, name, &auth.fix_import));
    }
    Some(Fix::in_file("Check the session at the top of the handler", &ctx.doc.path, edits))
}
