//! `auth/route-missing-auth`: a Next.js route handler or API handler that reaches data before any
//! auth guard.

use tree_sitter::Node;

use crate::engine::{ecma, facts, Finding, Fix, QueryMatchContext};
use crate::rules::rls::supabase_service_role;
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};
use crate::semantic::summary::{self, Callee, Resolved, StepReader};

use super::capability;

/// The prefilter's necessary condition (`engine::prefilter`): an endpoint is an App Router
/// `route` file, a Pages API file, or a `'use server'` file or function.
pub fn may_match(path: &str, text: &str, _config: &crate::config::Config) -> bool {
    route_kind(path).is_some() || text.contains("use server")
}

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

/// Which kind of endpoint a file holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RouteKind {
    /// `app/**/route.{ts,js}`.
    App,
    /// `pages/api/**`.
    PagesApi,
    /// A file that starts with `'use server'`: every exported function is a server action.
    ServerActions,
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
    let statement = ctx.node;
    // `export { GET }`: the exported name is the local one.
    let unaliased = ctx.capture("handler").filter(|h| h.parent().is_some_and(|p| p.kind() == "export_specifier"));
    let name = ctx.capture("name").or(unaliased).map(|n| ctx.text(n));
    let label = if ctx.capture("directive").is_some() {
        // A function with its own `'use server'` directive: an inline server action.
        if ecma::unquote(ctx.text(ctx.capture("directive")?)) != "use server" {
            return None;
        }
        let name = ctx.capture("handler").and_then(|h| h.child_by_field_name("name")).map(|n| ctx.text(n));
        format!("server action `{}`", name.unwrap_or("(inline)"))
    } else {
        let kind = route_kind(&ctx.doc.path)
            .or_else(|| ctx.file_facts().has_directive("use server").then_some(RouteKind::ServerActions))?;
        let is_default = {
            let mut cursor = statement.walk();
            let found = statement.children(&mut cursor).any(|c| c.kind() == "default");
            found
        };
        match (kind, is_default, name) {
            (RouteKind::App, false, Some(n)) if METHODS.contains(&n) => format!("`{n}` route handler"),
            (RouteKind::PagesApi, true, _) => "API handler".to_string(),
            (RouteKind::ServerActions, false, Some(n)) => format!("server action `{n}`"),
            (RouteKind::ServerActions, true, _) => "server action (default export)".to_string(),
            _ => return None,
        }
    };
    if is_public(ctx) {
        return None;
    }
    let handler = resolve_handler(ctx, ctx.capture("handler")?, 0)?;
    if is_oauth_redirect(ctx, handler) || rate_limits_by_ip(ctx, handler) {
        return None;
    }
    let scope = facts::scope_of(ctx.file_facts());
    HELPER_NODES.with(|b| b.set(HELPER_BUDGET));
    // A server action's own parameters come from the client as plain values: a query on one
    // (`db.note.update(…)` with `db` a parameter) is a helper's, run by whoever hands it a client.
    let direct =
        handler.kind() == "function_declaration" || handler.parent().is_some_and(|p| p.kind() == "variable_declarator");
    let client_params = if label.starts_with("server action") && direct {
        summary::parameter_names(ctx.doc, handler)
    } else {
        Vec::new()
    };
    let classify = |node: Node<'_>| {
        if !client_params.is_empty() && receiver_root(ctx, node).is_some_and(|r| client_params.iter().any(|p| p == r)) {
            return None;
        }
        data_access(ctx, node)
    };
    let mut reader = StepReader::new(ctx.doc, &scope, Some(&classify));
    let steps = reader.function_steps(handler, None);
    let oracle = |callee: &Callee| (callee_resolved(ctx, &scope, callee, 0), is_configured_guard(ctx, callee));
    let mut scoped = capability::scoped_accesses(ctx, handler, &reader.accesses);
    scoped.extend(reader.lookups.iter().copied());
    // A row read only to learn whom to authorise against (`requireCompanyAccess(row.companyId)`).
    // Its result tested by a condition that exits, or a guard that throws.
    for (reads, callee, checked) in &reader.guard_lookups {
        let (resolved, configured) = oracle(callee);
        let guards = match resolved.guard {
            Some(summary::GuardKind::Throws) => true,
            Some(summary::GuardKind::Returns) => *checked,
            None => configured && *checked,
        };
        if guards {
            scoped.extend(reads.iter().copied());
        }
    }
    let steps = summary::without_data(steps, &scoped);
    let outcome = summary::evaluate(&steps, &oracle);
    let (node, what) = reader.accesses.get(outcome.first_unguarded_data? as usize)?.clone();
    if !attempts_auth(&steps, &oracle) && adds_only(ctx, handler, &reader.accesses) {
        return None;
    }
    let guards = ctx.config.auth.guards.iter().map(|g| format!("`{g}()`")).collect::<Vec<_>>().join(", ");
    // An absolute line number in the message: the finding moves with edits above it.
    ecma::mark_file_wide();
    let line = ctx.doc.line_index.line_of(node.start_byte()) + 1;
    let single = line == ctx.doc.line_index.line_of(node.end_byte()) + 1;
    let end = match node.child_by_field_name("function") {
        Some(function) if !single => function.end_byte(),
        _ => node.end_byte(),
    };
    let message = format!(
        "The {label} reaches data ({what}, line {line}) before any auth guard has run on every path to it, so anyone who can reach it can use it; check the session first and return 401 (a guard such as {guards}, an imported helper that does, or a higher-order wrapper that does), or list the route in `[auth] public_routes` if it is public by design"
    );
    let mut finding = ctx.finding(node.start_byte()..end, message);
    if ctx.capture("directive").is_none() && route_kind(&ctx.doc.path) == Some(RouteKind::App) {
        if let Some(fix) = guard_fix(ctx, handler) {
            finding = finding.with_fix(fix);
        }
    }
    Some(finding)
}

/// How a callee resolves for this rule: a same-file helper is summarised from the tree with
/// the configured guards in view (a few levels deep); anything else from the workspace facts.
fn callee_resolved(ctx: &QueryMatchContext<'_, '_>, scope: &summary::Scope, callee: &Callee, depth: u32) -> Resolved {
    let path = ctx.doc.path.as_str();
    match callee {
        Callee::Local(name) => {
            if depth >= 4 {
                return Resolved::default();
            }
            // Reads another declaration of the file (`top_level_function` marks the match
            // file-wide).
            let Some(value) = ecma::top_level_function(ctx.doc, name) else { return Resolved::default() };
            let Some(local) = summary::summarize_value(ctx.doc, scope, value) else { return Resolved::default() };
            let oracle = |c: &Callee| (callee_resolved(ctx, scope, c, depth + 1), is_configured_guard(ctx, c));
            summary::resolve_summary(&local, &oracle)
        }
        other => ctx.facts.callee_summary(path, other),
    }
}

/// True when the file is listed in `[auth] public_routes`.
fn is_public(ctx: &QueryMatchContext<'_, '_>) -> bool {
    ctx.config.auth.public_routes.iter().any(|p| ecma::path_matches(p, &ctx.doc.path))
}

/// True when the handler reads both OAuth 2.0 redirect parameters (`code` and `state`, RFC 6749
/// §4.1.2) from the request: an OAuth callback, public by design (the provider redirects the
/// browser to it before there is a session).
fn is_oauth_redirect(ctx: &QueryMatchContext<'_, '_>, handler: Node<'_>) -> bool {
    let (mut code, mut state) = (false, false);
    any_named_descendant_within(handler, HANDLER_WALK_LIMIT, |node| {
        if node.kind() == "call_expression" {
            let property = node
                .child_by_field_name("function")
                .filter(|f| f.kind() == "member_expression")
                .and_then(|f| f.child_by_field_name("property"))
                .map(|p| ctx.text(p));
            let first = node.child_by_field_name("arguments").and_then(|a| a.named_child(0));
            if property == Some("get") {
                match first.and_then(|f| ecma::literal_string(ctx.doc, f)) {
                    Some("code") => code = true,
                    Some("state") => state = true,
                    _ => {}
                }
            }
        }
        code && state
    })
}

/// True when the handler calls something that authenticates on some path (a guard whose result
/// it does not check, one that may return early, a configured guard): it tries to authenticate,
/// so it is not public by design.
fn attempts_auth(steps: &[summary::Step], oracle: summary::Oracle<'_>) -> bool {
    steps.iter().any(|step| match step {
        summary::Step::Guard { callee, .. } => {
            let (resolved, configured) = oracle(callee);
            resolved.guard.is_some() || configured
        }
        summary::Step::SecretCheck => true,
        summary::Step::Branch(branches) => branches.iter().any(|b| attempts_auth(b, oracle)),
        summary::Step::Either(branches) => branches.iter().any(|(b, _)| attempts_auth(b, oracle)),
        _ => false,
    })
}

/// Query methods that only read a record, and those that only add new ones.
pub(super) const READS: &[&str] =
    &["findMany", "findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow", "count", "select"];
const ADDS: &[&str] = &["create", "createMany", "insert"];

/// Words in a model or table name whose rows grant access (a membership, a role, a key, a
/// session, an account): creating one for an anonymous caller is a privilege change, never
/// public by design.
const ACCESS_GRANTING: &[&str] = &[
    "member",
    "role",
    "permission",
    "admin",
    "owner",
    "collaborator",
    "access",
    "grant",
    "invite",
    "apikey",
    "api_key",
    "token",
    "session",
    "account",
    "user",
    "credential",
];

/// True when a lower-cased model or table name names rows that grant access.
pub(super) fn grants_access(model: &str) -> bool {
    ACCESS_GRANTING.iter().any(|word| model.contains(word))
}

/// The model a create writes: Prisma's `db.model.create(…)` property, or Supabase's
/// `from("table")` argument; empty when neither.
fn created_model<'a>(ctx: &QueryMatchContext<'a, '_>, access: Node<'_>, function: Node<'_>) -> &'a str {
    let property = function.child_by_field_name("property").map(|p| ctx.text(p));
    if property == Some("from") {
        let argument = access.child_by_field_name("arguments").and_then(|a| a.named_child(0));
        return argument.map_or("", |a| ctx.text(a).trim_matches(|c| c == '"' || c == '\'' || c == '`'));
    }
    let object = function.child_by_field_name("object");
    match object.filter(|o| o.kind() == "member_expression") {
        Some(o) => o.child_by_field_name("property").map_or("", |p| ctx.text(p)),
        None => object.map_or("", |o| ctx.text(o)),
    }
}

/// True when the handler only adds records and gives none back: every data access reads or
/// creates (no update, delete, raw query or transaction), and no value read or written — nor
/// one computed from it — reaches a response (a `return`, `res.json/send/write/end(…)`,
/// `Response.json(…)`, `new Response(…)`). Such an endpoint (a reaction, feedback answer or
/// abuse report recorded against a viewer's id) discloses nothing and changes nothing that
/// exists; a fetch by id that answers with the record, or a write to an existing one, stays a
/// finding.
fn adds_only(ctx: &QueryMatchContext<'_, '_>, handler: Node<'_>, accesses: &[(Node<'_>, String)]) -> bool {
    if accesses.is_empty() {
        return false;
    }
    for (access, _) in accesses {
        let Some(function) = access.child_by_field_name("function").filter(|f| f.kind() == "member_expression") else {
            return false;
        };
        let Some(mut method) = function.child_by_field_name("property").map(|p| ctx.text(p)) else { return false };
        if method == "from" {
            // Supabase `client.from("t").insert(…)`: the method follows.
            let next = access
                .parent()
                .filter(|p| p.kind() == "member_expression")
                .and_then(|p| p.child_by_field_name("property"));
            method = next.map_or("", |n| ctx.text(n));
        }
        if !READS.contains(&method) && !ADDS.contains(&method) {
            return false;
        }
        if ADDS.contains(&method) && grants_access(&created_model(ctx, *access, function).to_ascii_lowercase()) {
            return false;
        }
    }
    let Some(flow) = record_flow(ctx, handler, accesses) else { return false };
    if flow.answered {
        return false;
    }
    // Nor handed to anything but another query (`sendEmail(user.email)` discloses it).
    let ranges: Vec<std::ops::Range<usize>> = accesses.iter().map(|(n, _)| n.byte_range()).collect();
    !any_named_descendant(handler, |node| {
        node.kind() == "identifier"
            && flow.record_vars.iter().any(|v| v == ctx.text(node))
            && enclosing_argument_call(node).is_some_and(|call| !ranges.contains(&call.byte_range()))
    })
}

/// Where a handler's records go: the variables holding one (or a value computed from one).
pub(super) struct RecordFlow {
    /// Variables holding a record an access read or wrote, or a value computed from one.
    pub record_vars: Vec<String>,
    /// True when an access or one of those variables reaches a response (a `return`,
    /// `res.json/send/write/end(…)`, `Response.json(…)`, `new Response(…)`).
    pub answered: bool,
}

/// [`RecordFlow`] of the handler's `accesses`; `None` when the handler is too large to read.
pub(super) fn record_flow(
    ctx: &QueryMatchContext<'_, '_>,
    handler: Node<'_>,
    accesses: &[(Node<'_>, String)],
) -> Option<RecordFlow> {
    let ranges: Vec<std::ops::Range<usize>> = accesses.iter().map(|(n, _)| n.byte_range()).collect();
    let contains_access = |n: Node<'_>| ranges.iter().any(|r| n.start_byte() <= r.start && r.end <= n.end_byte());
    let (declarators, responses) = declarators_and(handler, |node| match node.kind() {
        "return_statement" => node.named_child(0),
        "new_expression"
            if node.child_by_field_name("constructor").is_some_and(|c| ctx.text(c).ends_with("Response")) =>
        {
            node.child_by_field_name("arguments")
        }
        "call_expression" => {
            let function = node.child_by_field_name("function").filter(|f| f.kind() == "member_expression");
            let property = function.and_then(|f| f.child_by_field_name("property")).map(|p| ctx.text(p));
            // `resend.emails.send(…)` / `sgMail.send(…)` mails someone; it does not answer.
            let mails = function
                .and_then(|f| f.child_by_field_name("object"))
                .is_some_and(|o| ctx.text(o).to_ascii_lowercase().contains("mail"));
            node.child_by_field_name("arguments")
                .filter(|_| matches!(property, Some("json" | "send" | "write" | "end")) && !mails)
        }
        _ => None,
    })?;
    let mut record_vars: Vec<String> = Vec::new();
    for _ in 0..3 {
        for declarator in &declarators {
            let (Some(name), Some(value)) =
                (declarator.child_by_field_name("name"), declarator.child_by_field_name("value"))
            else {
                continue;
            };
            if contains_access(value) || mentions_any(ctx, value, &record_vars) {
                for n in summary::pattern_names(ctx.doc, name) {
                    if !record_vars.contains(&n) {
                        record_vars.push(n);
                    }
                }
            }
        }
    }
    let answered = responses.iter().any(|r| contains_access(*r) || mentions_any(ctx, *r, &record_vars));
    Some(RecordFlow { record_vars, answered })
}

/// The handler's variable declarators, and the nodes `keep` picks among all its nodes; `None`
/// past 5,000 of both (a generated handler is not worth reading).
fn declarators_and<'t>(
    handler: Node<'t>,
    mut keep: impl FnMut(Node<'t>) -> Option<Node<'t>>,
) -> Option<(Vec<Node<'t>>, Vec<Node<'t>>)> {
    let (mut declarators, mut kept) = (Vec::new(), Vec::new());
    let mut stack = vec![handler];
    while let Some(node) = stack.pop() {
        if declarators.len() + kept.len() > 5_000 {
            return None;
        }
        if node.kind() == "variable_declarator" {
            declarators.push(node);
        }
        kept.extend(keep(node));
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    Some((declarators, kept))
}

/// True when `node` or one of its named descendants satisfies `pred`.
fn any_named_descendant<'t>(node: Node<'t>, pred: impl FnMut(Node<'t>) -> bool) -> bool {
    any_named_descendant_within(node, usize::MAX, pred)
}

/// [`any_named_descendant`] visiting at most `limit` nodes, false past them: what a walk over
/// a whole handler costs stays bounded on generated or minified code.
pub(super) fn any_named_descendant_within<'t>(
    node: Node<'t>,
    limit: usize,
    mut pred: impl FnMut(Node<'t>) -> bool,
) -> bool {
    let mut stack = vec![node];
    let mut seen = 0;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > limit {
            return false;
        }
        if pred(n) {
            return true;
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    false
}

/// How many nodes a walk over a whole handler visits at most.
pub(super) const HANDLER_WALK_LIMIT: usize = 20_000;

/// The call (or `new`) whose arguments hold `node`, up to the statement it is in.
fn enclosing_argument_call(node: Node<'_>) -> Option<Node<'_>> {
    let mut child = node;
    let mut parent = node.parent()?;
    for _ in 0..64 {
        match parent.kind() {
            "call_expression" | "new_expression"
                if parent.child_by_field_name("arguments").is_some_and(|a| a.id() == child.id()) =>
            {
                return Some(parent);
            }
            k if k.ends_with("_statement") || k == "lexical_declaration" || k == "variable_declaration" => return None,
            _ => {}
        }
        child = parent;
        parent = parent.parent()?;
    }
    None
}

fn mentions_any(ctx: &QueryMatchContext<'_, '_>, node: Node<'_>, names: &[String]) -> bool {
    if names.is_empty() {
        return false;
    }
    any_named_descendant(node, |n| {
        matches!(n.kind(), "identifier" | "shorthand_property_identifier") && names.iter().any(|v| v == ctx.text(n))
    })
}

/// True when the handler rate-limits its callers by their IP address: a limiter call keyed by
/// the client IP (`x-forwarded-for`, `x-real-ip`, `cf-connecting-ip`, `req.ip`, an
/// `ipAddress(req)`-style helper) whose result an `if` tests with a branch that answers 429.
/// An endpoint meant for signed-in users limits them by user; one that budgets requests per IP
/// expects anonymous callers — public by design (a viewer's one-time code, an instance ping).
/// An intent mark, not a guard: it counts anywhere in the handler.
fn rate_limits_by_ip(ctx: &QueryMatchContext<'_, '_>, handler: Node<'_>) -> bool {
    let text = ctx.text(handler);
    if !text.contains("429") {
        return false;
    }
    let Some((declarators, ifs)) = declarators_and(handler, |node| (node.kind() == "if_statement").then_some(node))
    else {
        return false;
    };
    // Variables holding the client IP, then those holding a limiter's answer on it.
    let mut ip_vars: Vec<String> = Vec::new();
    let mut limit_vars: Vec<String> = Vec::new();
    for _ in 0..3 {
        for declarator in &declarators {
            let (Some(name), Some(value)) =
                (declarator.child_by_field_name("name"), declarator.child_by_field_name("value"))
            else {
                continue;
            };
            let names = summary::pattern_names(ctx.doc, name);
            if names.iter().all(|n| ip_vars.contains(n)) && names.iter().all(|n| limit_vars.contains(n)) {
                continue;
            }
            let mentions_ip = mentions_client_ip(ctx, value, &ip_vars);
            if !mentions_ip {
                continue;
            }
            let is_call = summary_call(value);
            let target = if is_call && !is_ip_source_call(ctx, value) { &mut limit_vars } else { &mut ip_vars };
            for n in names {
                if !target.contains(&n) {
                    target.push(n);
                }
            }
        }
    }
    ifs.iter().any(|node| {
        let (Some(condition), Some(consequence)) =
            (node.child_by_field_name("condition"), node.child_by_field_name("consequence"))
        else {
            return false;
        };
        if !ctx.text(consequence).contains("429") || !summary::exits(ctx.doc, consequence) {
            return false;
        }
        any_named_descendant(condition, |n| n.kind() == "identifier" && limit_vars.iter().any(|v| v == ctx.text(n)))
    })
}

/// True when a value is (through `await`) a call, or a member read of one (`(await limit(…)).success`).
fn summary_call(value: Node<'_>) -> bool {
    let mut node = value;
    for _ in 0..8 {
        match node.kind() {
            "call_expression" => return true,
            "await_expression" | "parenthesized_expression" | "non_null_expression" | "as_expression" => {
                match node.named_child(0) {
                    Some(n) => node = n,
                    None => return false,
                }
            }
            "member_expression" => match node.child_by_field_name("object") {
                Some(n) => node = n,
                None => return false,
            },
            _ => return false,
        }
    }
    false
}

/// True when a value is a call that reads the client IP itself (`ipAddress(req)`,
/// `getIpAddress(req.headers)`, `headers.get("x-forwarded-for")`).
fn is_ip_source_call(ctx: &QueryMatchContext<'_, '_>, value: Node<'_>) -> bool {
    let text = ctx.text(value).to_ascii_lowercase();
    let outer = text.trim_start_matches("await ").trim_start();
    IP_HEADERS.iter().any(|h| text.contains(h)) && !outer.contains("limit")
        || ip_helper_name(outer.split('(').next().unwrap_or(""))
}

/// Request headers that carry the client IP behind a proxy.
const IP_HEADERS: &[&str] = &["x-forwarded-for", "x-real-ip", "cf-connecting-ip", "true-client-ip"];

/// `ipAddress`, `getIp`, `getIpAddress`, `getClientIp` (any case, through a member path).
fn ip_helper_name(callee: &str) -> bool {
    let last = callee.rsplit('.').next().unwrap_or(callee).trim().to_ascii_lowercase();
    matches!(last.as_str(), "ipaddress" | "getip" | "getipaddress" | "getclientip" | "clientip")
}

/// True when an expression reads the client IP or mentions a variable holding it.
fn mentions_client_ip(ctx: &QueryMatchContext<'_, '_>, value: Node<'_>, ip_vars: &[String]) -> bool {
    let text = ctx.text(value);
    if text.len() > 4096 {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    if IP_HEADERS.iter().any(|h| lower.contains(h)) {
        return true;
    }
    let mut stack = vec![value];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "identifier" if ip_vars.iter().any(|v| v == ctx.text(n)) => return true,
            "call_expression" if n.child_by_field_name("function").is_some_and(|f| ip_helper_name(ctx.text(f))) => {
                return true;
            }
            "member_expression" => {
                let property = n.child_by_field_name("property").map(|p| ctx.text(p));
                let object = n.child_by_field_name("object").map(|o| ctx.text(o));
                if property == Some("ip") && object.is_some_and(|o| matches!(o, "req" | "request")) {
                    return true;
                }
            }
            _ => {}
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    false
}

/// A call of a name listed in `[auth] guards` (by its local or its imported name).
fn is_configured_guard(ctx: &QueryMatchContext<'_, '_>, callee: &Callee) -> bool {
    let guards = &ctx.config.auth.guards;
    match callee {
        Callee::Builtin(_) => false,
        Callee::Local(name) | Callee::Global(name) => guards.iter().any(|g| g == name),
        Callee::Import { name, local, .. } => guards.iter().any(|g| g == name || g == local),
    }
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
        "identifier" => {
            let name = ctx.text(node);
            if ctx.file_facts().import_of(name).is_some() {
                // A handler defined in another module is checked there, if anywhere.
                return None;
            }
            let value = ecma::top_level_function(ctx.doc, name).or_else(|| ecma::declarator_value(ctx.doc, name))?;
            resolve_handler(ctx, value, depth + 1)
        }
        "call_expression" => {
            if is_auth_wrapper_call(ctx, node) {
                return None;
            }
            // An unknown or non-authenticating higher-order handler (`withErrorHandling(async
            // (req) => …)`, `actionClient.action(async () => …)`): check the function it wraps.
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

/// A call through an auth wrapper: a configured `[auth] wrappers` name, a built-in one
/// (QStash `verifySignatureAppRouter`, Upstash Workflow and Inngest `serve`), or a function —
/// of this file, another file or a workspace package — whose summary says it authenticates
/// before calling the handler; for a method chain (`authActionClient.schema(s).action(fn)`),
/// the chain's root binding.
fn is_auth_wrapper_call(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>) -> bool {
    let Some(mut function) = call.child_by_field_name("function") else { return false };
    for _ in 0..16 {
        match function.kind() {
            "member_expression" => match function.child_by_field_name("object") {
                Some(o) => function = o,
                None => return false,
            },
            "call_expression" => match function.child_by_field_name("function") {
                Some(f) => function = f,
                None => return false,
            },
            "parenthesized_expression" | "await_expression" | "non_null_expression" => match function.named_child(0) {
                Some(o) => function = o,
                None => return false,
            },
            _ => break,
        }
    }
    if function.kind() != "identifier" {
        return false;
    }
    let name = ctx.text(function);
    let file = ctx.file_facts();
    let original = file.original_name(name);
    if ctx.config.auth.wrappers.iter().any(|w| w == name || w == original) {
        return true;
    }
    let resolved = match file.import_of(name) {
        Some(import) => {
            if summary::builtin_wrapper(&import.source, &import.imported) {
                return true;
            }
            ctx.facts.imported_summary(&ctx.doc.path, &import.source, &import.imported)
        }
        None => ctx.facts.local_summary(&ctx.doc.path, name),
    };
    resolved.auth_wrapper && !opts_out(ctx, call, &resolved)
}

/// True when a wrapper call sets one of the wrapper's options that turn its check off to
/// anything but its default (`withAuthorization(handler, "r", "read", { requireAuth: false })`,
/// or a value only known at run time).
fn opts_out(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>, resolved: &Resolved) -> bool {
    if resolved.opt_out_true == 0 && resolved.opt_out_false == 0 {
        return false;
    }
    let Some(arguments) = call.child_by_field_name("arguments") else { return false };
    let mut cursor = arguments.walk();
    let objects: Vec<Node<'_>> = arguments.named_children(&mut cursor).filter(|a| a.kind() == "object").collect();
    for object in objects {
        let mut c = object.walk();
        for property in object.named_children(&mut c) {
            let (key, value) = match property.kind() {
                "pair" => {
                    let key = property.child_by_field_name("key").map(|k| ecma::unquote(ctx.text(k)));
                    (key, property.child_by_field_name("value").map(|v| v.kind()))
                }
                "shorthand_property_identifier" => (Some(ctx.text(property)), None),
                // `{ ...options }`: anything may be set.
                "spread_element" => return true,
                _ => continue,
            };
            let Some(key) = key else { continue };
            let bit = summary::option_bit(key);
            if resolved.opt_out_true & bit != 0 && value != Some("true") {
                return true;
            }
            if resolved.opt_out_false & bit != 0 && value != Some("false") {
                return true;
            }
        }
    }
    false
}

/// The identifier a call's member chain starts at (`db` in `db.note.findMany(…)`).
fn receiver_root<'a>(ctx: &QueryMatchContext<'a, '_>, call: Node<'_>) -> Option<&'a str> {
    let mut node = call.child_by_field_name("function")?;
    for _ in 0..16 {
        match node.kind() {
            "member_expression" => node = node.child_by_field_name("object")?,
            "call_expression" => node = node.child_by_field_name("function")?,
            "identifier" => return Some(ctx.text(node)),
            _ => return None,
        }
    }
    None
}

/// What data the call reaches, in words, or `None` when it reaches none.
fn data_access(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>) -> Option<String> {
    data_access_within(ctx, call, 0)
}

/// How deep same-file helpers are followed for the data they reach.
const HELPER_DEPTH: u32 = 2;

/// Syntax nodes one handler's helpers may be walked over in all (hostile input must not make
/// following helpers quadratic).
const HELPER_BUDGET: u32 = 200_000;

thread_local! {
    /// What is left of [`HELPER_BUDGET`] for the handler being checked.
    static HELPER_NODES: std::cell::Cell<u32> = const { std::cell::Cell::new(HELPER_BUDGET) };
}

/// [`data_access`], `depth` helpers deep.
fn data_access_within(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>, depth: u32) -> Option<String> {
    if let Some(found) = direct_data_access(ctx, call) {
        return Some(found);
    }
    // `await removeMember(id)`: a same-file helper that reaches data itself (and does not
    // authenticate) is data for its caller.
    let function = call.child_by_field_name("function").filter(|f| f.kind() == "identifier")?;
    if depth >= HELPER_DEPTH {
        return None;
    }
    let name = ctx.text(function);
    let file = ctx.file_facts();
    if file.import_of(name).is_some() || (depth == 0 && passes_credential(ctx, call)) {
        return None;
    }
    let helper = ecma::top_level_function(ctx.doc, name).filter(|f| ecma::is_function(*f))?;
    if ctx.facts.local_summary(&ctx.doc.path, name).guard.is_some() || ctx.config.auth.guards.iter().any(|g| g == name)
    {
        return None;
    }
    let body = helper.child_by_field_name("body")?;
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        let left = HELPER_NODES.with(|b| {
            let left = b.get().saturating_sub(1);
            b.set(left);
            left
        });
        if left == 0 {
            return None;
        }
        if node.kind() == "call_expression" && node.id() != call.id() {
            if let Some(what) = data_access_within(ctx, node, depth + 1) {
                let inner = what.split(", which runs ").last().unwrap_or(&what).to_string();
                return Some(format!("`{name}(…)`, which runs {inner}"));
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    None
}

/// True when a call is handed the credential the caller presented: an argument that reads the
/// `Authorization` or an API-key header, or a variable of the enclosing function declared from
/// one (`const key = headers.get("x-api-key"); … authenticateKey(key)`): the helper is where
/// the request is authenticated, not data reached before it.
fn passes_credential(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>) -> bool {
    let reads_credential = |n: Node<'_>| {
        let text = ctx.text(n);
        text.len() < 4096 && {
            let lower = text.to_ascii_lowercase();
            lower.contains("header")
                && (lower.contains("authorization") || lower.contains("api-key") || lower.contains("apikey"))
        }
    };
    let Some(arguments) = call.child_by_field_name("arguments") else { return false };
    let mut cursor = arguments.walk();
    let args: Vec<Node<'_>> = arguments.named_children(&mut cursor).collect();
    if args.iter().any(|a| reads_credential(*a)) {
        return true;
    }
    let names: Vec<&str> = args.iter().filter(|a| a.kind() == "identifier").map(|a| ctx.text(*a)).collect();
    if names.is_empty() {
        return false;
    }
    let mut scope = call;
    while let Some(parent) = scope.parent() {
        scope = parent;
        if ecma::is_function(scope) {
            break;
        }
    }
    any_named_descendant_within(scope, HANDLER_WALK_LIMIT, |node| {
        node.kind() == "variable_declarator"
            && node
                .child_by_field_name("name")
                .is_some_and(|n| summary::pattern_names(ctx.doc, n).iter().any(|d| names.contains(&d.as_str())))
            && node.child_by_field_name("value").is_some_and(reads_credential)
    })
}

/// What data the call itself reaches (not through a helper).
fn direct_data_access(ctx: &QueryMatchContext<'_, '_>, call: Node<'_>) -> Option<String> {
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
    // The handler may already bind the name the guard declares (`const session = await auth()`
    // after the data, unchecked): the inserted declaration takes a fresh name instead.
    let taken = handler_bindings(ctx, function);
    let mut fix_text = auth.fix_guard.clone();
    for (declared, renamable) in declared_names(&auth.fix_guard) {
        if taken.contains(&declared) {
            if !renamable {
                return None;
            }
            let mut chars = declared.chars();
            let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
            let mut fresh = format!("auth{first}{}", chars.as_str());
            let mut n = 2;
            while taken.contains(&fresh) || fix_text.contains(&fresh) {
                fresh = format!("{declared}{n}");
                n += 1;
            }
            fix_text = replace_identifier(&fix_text, &declared, &fresh);
        }
    }
    let guard: String = fix_text.lines().map(|l| format!("\n{indent}{l}")).collect();
    let open = body.start_byte() + 1;
    let mut edits = vec![(open..open, guard)];
    if !ecma::is_async(function) {
        let at = function.start_byte();
        edits.push((at..at, "async ".to_string()));
    }
    let file = ctx.file_facts();
    let name = &auth.fix_guard_function;
    let available = name.is_empty() || file.import_of(name).is_some() || file.declares(name);
    if !available {
        // Import the guard from where it lives; a fix whose import names nothing would not
        // compile, so without a source none is offered.
        let source = ctx.facts.guard_import_source(&ctx.doc.path, name, &auth.fix_import)?;
        edits.push(ecma::add_named_import(ctx.doc, file, name, &source));
    }
    Some(Fix::in_file("Check the session at the top of the handler", &ctx.doc.path, edits))
}

/// The names `const`/`let`/`var` declarations of the configured guard text bind, each with
/// whether it can be renamed (a plain name) or not (inside a destructuring pattern: when such a
/// name clashes, no fix is offered).
fn declared_names(text: &str) -> Vec<(String, bool)> {
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = ["const ", "let ", "var "].iter().find_map(|k| line.strip_prefix(k)) else { continue };
        let rest = rest.trim_start();
        if rest.starts_with('{') || rest.starts_with('[') {
            // `const { userId } = await auth()`: the names inside the pattern.
            let Some(end) = rest.find(['}', ']']) else { continue };
            for part in rest[1..end].split(',') {
                let local = part.rsplit(':').next().unwrap_or(part).split('=').next().unwrap_or("").trim();
                if !local.is_empty() {
                    names.push((local.to_string(), false));
                }
            }
            continue;
        }
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$').collect();
        if !name.is_empty() {
            names.push((name, true));
        }
    }
    names
}

/// Names bound at the top level of a handler: its parameters and the declarations directly in
/// its body (a clash there would be a redeclaration; nested blocks may shadow).
fn handler_bindings(ctx: &QueryMatchContext<'_, '_>, function: Node<'_>) -> Vec<String> {
    let mut names = Vec::new();
    let collect = |pattern: Node<'_>, names: &mut Vec<String>| {
        let mut stack = vec![pattern];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "identifier" | "shorthand_property_identifier_pattern" => names.push(ctx.text(node).to_string()),
                // Type annotations and default values name other things.
                "type_annotation" => continue,
                _ => {}
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
    };
    for field in ["parameters", "parameter"] {
        if let Some(params) = function.child_by_field_name(field) {
            collect(params, &mut names);
        }
    }
    if let Some(body) = function.child_by_field_name("body") {
        let mut cursor = body.walk();
        for statement in body.named_children(&mut cursor) {
            match statement.kind() {
                "lexical_declaration" | "variable_declaration" => {
                    let mut c = statement.walk();
                    for declarator in statement.named_children(&mut c).filter(|d| d.kind() == "variable_declarator") {
                        if let Some(name) = declarator.child_by_field_name("name") {
                            collect(name, &mut names);
                        }
                    }
                }
                "function_declaration" | "class_declaration" => {
                    if let Some(name) = statement.child_by_field_name("name") {
                        names.push(ctx.text(name).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    names
}

/// `text` with every whole-identifier occurrence of `from` (not a property: no `.` before it)
/// replaced by `to`.
fn replace_identifier(text: &str, from: &str, to: &str) -> String {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(|c| is_ident(c) || c == '.') || after.is_some_and(is_ident) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}
