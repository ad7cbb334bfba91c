//! Data accesses an endpoint may make with no session, because what they reach is scoped by
//! something other than the caller's identity (for `auth/route-missing-auth`):
//!
//! - **a cookie the server issued**: rows selected by the value of a request cookie (a guest
//!   cart keyed by its `cartId` cookie) — only the browser holding the cookie reaches them;
//! - **a secret in the query**: rows selected by a `token` / `secret` column compared with what
//!   the caller sent (an unsubscribe or invitation link) — the token is the capability;
//! - **a capability being issued**: a new row whose id is stored in a cookie (the guest cart
//!   being created);
//! - **public tables**: reads of `[auth] public_tables` (a shop's catalogue);
//! - **a sign-up by e-mail**: every access reads or adds the row of the e-mail address the
//!   caller typed, in a table that grants no access, and no row read is sent back (a newsletter
//!   sign-up: what it reveals goes to that address, not to the caller).
//!
//! A cookie or column naming a principal (`userId`, `role`, `orgId`, …) is not a capability:
//! the caller can write any id there.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::engine::{ecma, QueryMatchContext};
use crate::semantic::summary::strip;

use super::route_missing_auth::{any_named_descendant_within, grants_access, record_flow, HANDLER_WALK_LIMIT, READS};

/// Words of a cookie or column name that name a principal: its value is an identity the caller
/// can forge, not a secret the server handed out.
const PRINCIPAL_WORDS: &[&str] =
    &["user", "uid", "account", "admin", "role", "member", "org", "team", "tenant", "owner", "email"];

/// Indices (into `accesses`) of the accesses scoped without a session.
pub fn scoped_accesses(
    ctx: &QueryMatchContext<'_, '_>,
    handler: Node<'_>,
    accesses: &[(Node<'_>, String)],
) -> HashSet<u32> {
    let cookies = CookieReads::of(ctx, handler);
    let chains: Vec<Chain<'_>> = accesses.iter().map(|(node, _)| Chain::of(ctx, *node)).collect();
    let mut scoped = HashSet::new();
    for (i, chain) in chains.iter().enumerate() {
        let keyed_by_capability =
            chain.filters.iter().any(|(column, value)| {
                cookies.mentions(ctx, *value) || (is_secret_column(column) && !is_literal(*value))
            }) || cookies.only_capabilities_passed(ctx, chain.access);
        let issues_capability = chain.adds()
            && !grants_access(&chain.table)
            && chain.result_var(ctx).is_some_and(|v| cookies.stores(ctx, handler, &v));
        let public_read = chain.reads() && is_public_table(ctx, &chain.table);
        if keyed_by_capability || issues_capability || public_read {
            scoped.insert(i as u32);
        }
    }
    let rest: Vec<usize> = (0..chains.len()).filter(|i| !scoped.contains(&(*i as u32))).collect();
    if !rest.is_empty()
        && rest.iter().all(|i| chains[*i].signs_up_by_email())
        && record_flow(ctx, handler, accesses).is_some_and(|flow| !flow.answered)
    {
        scoped.extend(rest.iter().map(|i| *i as u32));
    }
    scoped
}

/// True when a column's name says it holds a secret (`token`, `unsubscribeToken`,
/// `invite_secret`) and names no principal.
fn is_secret_column(column: &str) -> bool {
    let lower = column.to_ascii_lowercase();
    (lower.contains("token") || lower.contains("secret")) && !names_principal(&lower)
}

fn names_principal(lower: &str) -> bool {
    PRINCIPAL_WORDS.iter().any(|w| lower.contains(w))
}

fn is_literal(node: Node<'_>) -> bool {
    matches!(node.kind(), "string" | "number" | "true" | "false" | "null" | "undefined" | "template_string")
}

/// True when `table` is listed in `[auth] public_tables` (case-insensitive; `*` globs).
fn is_public_table(ctx: &QueryMatchContext<'_, '_>, table: &str) -> bool {
    !table.is_empty() && ctx.config.auth.public_tables.iter().any(|pattern| glob_matches(pattern, table))
}

/// A case-insensitive match of a name against a pattern whose `*` matches any run of characters.
fn glob_matches(pattern: &str, name: &str) -> bool {
    ecma::glob_segment(&pattern.to_ascii_lowercase(), &name.to_ascii_lowercase())
}

/// The cookies a handler reads (their values' variables) and the cookie stores it holds.
struct CookieReads {
    /// Variables holding the value of a cookie that names no principal.
    values: Vec<String>,
    /// Variables bound to a cookie store (`const store = cookies()`, `await cookies()`).
    stores: Vec<String>,
}

impl CookieReads {
    fn of(ctx: &QueryMatchContext<'_, '_>, handler: Node<'_>) -> Self {
        let mut reads = CookieReads { values: Vec::new(), stores: Vec::new() };
        let text = ctx.text(handler);
        if !text.contains("cookies") {
            return reads;
        }
        // `name = value` declarators of a plain name, in source order.
        let mut bindings = Vec::new();
        any_named_descendant_within(handler, HANDLER_WALK_LIMIT, |node| {
            if node.kind() == "variable_declarator" {
                let name = node.child_by_field_name("name").filter(|n| n.kind() == "identifier");
                if let (Some(name), Some(value)) = (name, node.child_by_field_name("value")) {
                    bindings.push((ctx.text(name).to_string(), value));
                }
            }
            false
        });
        // Stores first: a value may be read from a store bound later in the walk.
        for (name, value) in &bindings {
            if is_cookie_store(ctx, *value, &[]) {
                reads.stores.push(name.clone());
            }
        }
        for (name, value) in bindings {
            if reads.reads_capability(ctx, value) {
                reads.values.push(name);
            }
        }
        reads
    }

    /// True when `value` reads a cookie that names no principal (`store.get("cartId")?.value`).
    fn reads_capability(&self, ctx: &QueryMatchContext<'_, '_>, value: Node<'_>) -> bool {
        any_named_descendant_within(value, HANDLER_WALK_LIMIT, |node| {
            let name = self
                .store_call(ctx, node, "get")
                .and_then(|arguments| arguments.named_child(0))
                .and_then(|a| ecma::literal_string(ctx.doc, a));
            name.is_some_and(|n| !names_principal(&n.to_ascii_lowercase()))
        })
    }

    /// The arguments of `node` when it calls `method` on a cookie store (`store.get(…)`,
    /// `cookies().set(…)`).
    fn store_call<'t>(&self, ctx: &QueryMatchContext<'_, '_>, node: Node<'t>, method: &str) -> Option<Node<'t>> {
        if node.kind() != "call_expression" {
            return None;
        }
        let function = node.child_by_field_name("function").filter(|f| f.kind() == "member_expression")?;
        let called = function.child_by_field_name("property").is_some_and(|p| ctx.text(p) == method);
        let on_store = function.child_by_field_name("object").is_some_and(|o| is_cookie_store(ctx, o, &self.stores));
        (called && on_store).then(|| node.child_by_field_name("arguments")).flatten()
    }

    /// True when `value` mentions a cookie value's variable or reads such a cookie itself.
    fn mentions(&self, ctx: &QueryMatchContext<'_, '_>, value: Node<'_>) -> bool {
        let found = any_named_descendant_within(value, HANDLER_WALK_LIMIT, |node| {
            node.kind() == "identifier" && self.values.iter().any(|v| v == ctx.text(node))
        });
        found || (!self.stores.is_empty() || ctx.text(value).contains("cookies")) && self.reads_capability(ctx, value)
    }

    /// True when `call` is a helper call (`loadBasket(basketId)`) given nothing but cookie
    /// values and literals: whatever the helper reaches, the caller chose only the capability.
    fn only_capabilities_passed(&self, ctx: &QueryMatchContext<'_, '_>, call: Node<'_>) -> bool {
        if self.values.is_empty() || call.child_by_field_name("function").is_none_or(|f| f.kind() != "identifier") {
            return false;
        }
        let Some(arguments) = call.child_by_field_name("arguments") else { return false };
        let mut cursor = arguments.walk();
        let arguments: Vec<Node<'_>> = arguments.named_children(&mut cursor).collect();
        let capability = |a: &Node<'_>| {
            let inner = strip(*a);
            inner.kind() == "identifier" && self.values.iter().any(|v| v == ctx.text(inner))
        };
        arguments.iter().any(capability) && arguments.iter().all(|a| capability(a) || is_literal(*a))
    }

    /// True when the handler stores `var` (or a value computed from it) in a cookie:
    /// `store.set("cartId", String(cart[0].id))`.
    fn stores(&self, ctx: &QueryMatchContext<'_, '_>, handler: Node<'_>, var: &str) -> bool {
        any_named_descendant_within(handler, HANDLER_WALK_LIMIT, |node| {
            self.store_call(ctx, node, "set").is_some_and(|arguments| {
                any_named_descendant_within(arguments, HANDLER_WALK_LIMIT, |n| {
                    n.kind() == "identifier" && ctx.text(n) == var
                })
            })
        })
    }
}

/// True when `node` is a cookie store: `cookies()`, `await cookies()`, `req.cookies`, or one of
/// the `stores` variables.
fn is_cookie_store(ctx: &QueryMatchContext<'_, '_>, node: Node<'_>, stores: &[String]) -> bool {
    let node = strip(node);
    match node.kind() {
        "identifier" => stores.iter().any(|s| s == ctx.text(node)),
        "call_expression" => node.child_by_field_name("function").is_some_and(|f| ctx.text(f) == "cookies"),
        "member_expression" => node.child_by_field_name("property").is_some_and(|p| ctx.text(p) == "cookies"),
        _ => false,
    }
}

/// One query as written: the access call and the calls chained on it
/// (`db.select(…).from(t).where(…)`, `db.update(t).set(…).where(…)`, `db.model.findMany({ where })`,
/// `client.from("t").select().eq(…)`).
struct Chain<'t> {
    /// The access call the rule found.
    access: Node<'t>,
    /// The query's method: `select`, `insert`, `update`, `findMany`, …
    method: String,
    /// The table or model the query names (empty when unknown).
    table: String,
    /// Equalities the rows must satisfy: (column, value).
    filters: Vec<(String, Node<'t>)>,
    /// Columns an insert writes.
    inserted: Vec<String>,
}

impl<'t> Chain<'t> {
    fn of(ctx: &QueryMatchContext<'_, '_>, access: Node<'t>) -> Self {
        let mut chain =
            Chain { access, method: String::new(), table: String::new(), filters: Vec::new(), inserted: Vec::new() };
        let Some(function) = access.child_by_field_name("function").filter(|f| f.kind() == "member_expression") else {
            return chain;
        };
        let property = function.child_by_field_name("property").map_or("", |p| ctx.text(p));
        let object = function.child_by_field_name("object");
        let first_argument = access.child_by_field_name("arguments").and_then(|a| a.named_child(0));
        chain.method = property.to_string();
        let prisma_argument = first_argument.is_none_or(|a| a.kind() == "object");
        match property {
            // Supabase: `client.from("t")`; the method follows.
            "from" => chain.table = first_argument.and_then(|a| ecma::literal_string(ctx.doc, a)).unwrap_or("").into(),
            // Drizzle: `db.insert(t)`, `db.update(t)`, `db.delete(t)`; the table of `db.select()`
            // comes with `.from(t)`.
            "insert" | "update" | "delete" if !prisma_argument => {
                chain.table = first_argument.map(|a| table_name(ctx, a)).unwrap_or_default()
            }
            "select" => {}
            // Prisma: `db.model.findMany({ where: { … } })`.
            _ if object.is_some_and(|o| o.kind() == "member_expression") => {
                chain.table = object.and_then(|o| o.child_by_field_name("property")).map_or("", |p| ctx.text(p)).into();
                if let Some(argument) = first_argument.filter(|a| a.kind() == "object") {
                    for (key, value) in pairs(ctx, argument) {
                        match key.as_str() {
                            "where" if value.kind() == "object" => chain.filters.extend(pairs(ctx, value)),
                            "data" if value.kind() == "object" => {
                                chain.inserted.extend(pairs(ctx, value).into_iter().map(|(k, _)| k))
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        // The calls chained on the access: `.from(t)`, `.where(eq(…))`, `.values({ … })`,
        // `.eq("column", value)`, `.select()` after Supabase's `from`.
        let mut node = access;
        for _ in 0..32 {
            let Some(member) = node.parent().filter(|p| p.kind() == "member_expression") else { break };
            let Some(call) = member.parent().filter(|p| p.kind() == "call_expression") else { break };
            let name = member.child_by_field_name("property").map_or("", |p| ctx.text(p));
            let argument = call.child_by_field_name("arguments").and_then(|a| a.named_child(0));
            match (name, argument) {
                ("from", Some(a)) if chain.table.is_empty() => chain.table = table_name(ctx, a),
                ("where", Some(a)) => chain.filters.extend(drizzle_equalities(ctx, a)),
                ("values", Some(a)) if a.kind() == "object" => {
                    chain.inserted.extend(pairs(ctx, a).into_iter().map(|(k, _)| k))
                }
                ("eq", Some(a)) => {
                    let value = call.child_by_field_name("arguments").and_then(|args| args.named_child(1));
                    if let (Some(column), Some(value)) = (ecma::literal_string(ctx.doc, a), value) {
                        chain.filters.push((column.to_string(), value));
                    }
                }
                ("select" | "insert" | "upsert" | "update" | "delete", _) if chain.method == "from" => {
                    chain.method = name.to_string()
                }
                _ => {}
            }
            node = call;
        }
        chain
    }

    /// True when the query only reads.
    fn reads(&self) -> bool {
        READS.contains(&self.method.as_str())
    }

    /// True when the query adds rows (an upsert included).
    fn adds(&self) -> bool {
        matches!(self.method.as_str(), "insert" | "create" | "createMany" | "upsert")
    }

    /// True when the query reads the row of an e-mail address, or adds one, in a table that
    /// grants no access.
    fn signs_up_by_email(&self) -> bool {
        let is_email = |column: &str| column.eq_ignore_ascii_case("email");
        if grants_access(&self.table.to_ascii_lowercase()) {
            return false;
        }
        (self.reads() && self.filters.iter().any(|(c, v)| is_email(c) && !is_literal(*v)))
            || (self.adds() && self.inserted.iter().any(|c| is_email(c)))
    }

    /// The variable the query's result is assigned to (`const cart = await db.insert(…)…`).
    fn result_var(&self, ctx: &QueryMatchContext<'_, '_>) -> Option<String> {
        let mut node = self.access;
        for _ in 0..48 {
            node = node.parent()?;
            match node.kind() {
                "variable_declarator" => {
                    let name = node.child_by_field_name("name").filter(|n| n.kind() == "identifier")?;
                    return Some(ctx.text(name).to_string());
                }
                k if k.ends_with("_statement") || ecma::is_function(node) => return None,
                _ => {}
            }
        }
        None
    }
}

/// A table named in a query: `carts`, or the last property of `schema.carts`.
fn table_name(ctx: &QueryMatchContext<'_, '_>, node: Node<'_>) -> String {
    match node.kind() {
        "member_expression" => node.child_by_field_name("property").map_or("", |p| ctx.text(p)).to_string(),
        "identifier" => ctx.text(node).to_string(),
        _ => ecma::literal_string(ctx.doc, node).unwrap_or("").to_string(),
    }
}

/// Drizzle's row conditions that must all hold: `eq(t.column, value)`, alone or in `and(…)`
/// (an `or(…)` widens the rows, so none of its equalities counts).
fn drizzle_equalities<'t>(ctx: &QueryMatchContext<'_, '_>, condition: Node<'t>) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    let mut stack = vec![condition];
    while let Some(node) = stack.pop() {
        if node.kind() != "call_expression" {
            continue;
        }
        let Some(arguments) = node.child_by_field_name("arguments") else { continue };
        match node.child_by_field_name("function").map(|f| ctx.text(f)) {
            Some("and") => {
                let mut cursor = arguments.walk();
                stack.extend(arguments.named_children(&mut cursor));
            }
            Some("eq") => {
                if let (Some(column), Some(value)) = (arguments.named_child(0), arguments.named_child(1)) {
                    if column.kind() == "member_expression" {
                        let name = column.child_by_field_name("property").map_or("", |p| ctx.text(p));
                        out.push((name.to_string(), value));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// An object literal's `key: value` pairs (a shorthand `{ token }` is its own value).
fn pairs<'t>(ctx: &QueryMatchContext<'_, '_>, object: Node<'t>) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    let mut cursor = object.walk();
    for child in object.named_children(&mut cursor) {
        match child.kind() {
            "pair" => {
                if let (Some(key), Some(value)) = (child.child_by_field_name("key"), child.child_by_field_name("value"))
                {
                    out.push((ecma::unquote(ctx.text(key)).to_string(), value));
                }
            }
            "shorthand_property_identifier" => out.push((ctx.text(child).to_string(), child)),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names_case_insensitively() {
        assert!(glob_matches("product*", "Products"));
        assert!(glob_matches("products", "products"));
        assert!(glob_matches("*categor*", "subcategories"));
        assert!(!glob_matches("products", "productOrders"));
        assert!(!glob_matches("product*", "orderProducts"));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("a*b*c", "axxc"));
    }

    #[test]
    fn secret_columns_name_no_principal() {
        assert!(is_secret_column("token"));
        assert!(is_secret_column("unsubscribeToken"));
        assert!(is_secret_column("invite_secret"));
        assert!(!is_secret_column("userToken"));
        assert!(!is_secret_column("id"));
        assert!(!is_secret_column("email"));
    }
}
