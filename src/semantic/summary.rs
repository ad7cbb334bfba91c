//! Function summaries: what a function does about authentication, read from its syntax once and
//! resolved across files over the [`super::ModuleGraph`].
//!
//! A function's body becomes a list of [`Step`]s in execution order — guard calls that dominate
//! what follows, normal returns, calls of the function's own parameters (the handler a wrapper
//! wraps) and, for the rules that ask, data accesses — with branches (`if`, `switch`, loops,
//! `catch`) as nested step lists whose guards do not outlive them. A guard is a call whose
//! callee is a built-in guard recognised by the module it comes from ([`builtin_guard`]), a
//! function of this or another module whose own summary says it authenticates, or (for the
//! rules) a configured name. It counts where it dominates: on the straight-line path of the
//! body (or of the branch it is in), not inside an `if` that may be skipped, not in a closure.
//! A guard that *returns* a session (`auth()`, `getServerSession()`) counts only when its result
//! is checked by an `if` whose branch exits (`return`, `throw`, `redirect()`); one that throws
//! on failure (`requireUser()`, `jwt.verify()`, `stripe.webhooks.constructEvent()`) counts
//! wherever it dominates, also inside a `try` whose `catch` exits.
//!
//! Resolved per function ([`Resolved`]):
//! - *authenticates* ([`GuardKind::Throws`]): every normal return comes after a guard;
//! - *returns a session* ([`GuardKind::Returns`]): it returns what a guard gave;
//! - *auth wrapper*: it returns a function (or a client built with `.use(middleware)`) that runs
//!   a guard before it calls the handler it was given.
//!
//! Resolution ([`resolve_workspace`]) iterates to a fixpoint over every module, at most
//! [`MAX_ROUNDS`] rounds, so cycles end and call chains are followed that deep.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tree_sitter::Node;

use crate::syntax::Document;

/// How a guard reports failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GuardKind {
    /// Throws (or redirects) when the request is not authenticated: counts wherever it
    /// dominates.
    Throws,
    /// Returns the session, or nothing: counts when its result is checked.
    Returns,
}

/// Who a call calls, as far as one file can tell.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Callee {
    /// A built-in guard, recognised by its module.
    Builtin(GuardKind),
    /// A top-level function of the same file.
    Local(String),
    /// A name neither imported nor declared at the top level (a global, or a binding the
    /// reader does not follow): only a configured guard name gives it meaning.
    Global(String),
    /// An imported function: the specifier and the exported name.
    Import {
        /// Module specifier.
        source: String,
        /// Exported name (`default` for a default import).
        name: String,
        /// The local name (configured guards are matched by it too).
        local: String,
    },
}

/// One step of a function body, in execution order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Step {
    /// A call that dominates what follows. `checked`: its result is tested by an `if` whose
    /// branch exits (or it sits in a `try` whose `catch` exits); `discarded`: it is called as a
    /// statement and its result is dropped.
    Guard {
        /// The callee.
        callee: Callee,
        /// The result is checked.
        checked: bool,
        /// The result is dropped.
        discarded: bool,
    },
    /// A check that holds by its behaviour whose failing branch exits: a comparison with a
    /// secret from the environment (`token !== process.env.CRON_SECRET`), or a test of a call's
    /// result whose failing branch answers 401/403.
    SecretCheck,
    /// A normal return (or the end of the body); `from`: the callee whose result is returned.
    Return {
        /// The callee whose result (or a value derived from it) is returned.
        from: Option<Callee>,
    },
    /// A call of one of the function's parameters (the wrapped handler).
    CallsParam,
    /// A data access, by its index in the caller's list (only when the caller classifies).
    Data(u32),
    /// Alternatives that may or may not run: guards inside do not hold after them.
    Branch(Vec<Vec<Step>>),
    /// Alternatives of which exactly one runs (`if … else …`), each with whether it always
    /// exits: a guard holds after them when every alternative that falls through ends guarded
    /// (`if (token) { lookup; if (!found) return 401 } else { session; if (!session) return 401 }`).
    Either(Vec<(Vec<Step>, bool)>),
}

/// The summary of one top-level binding, before resolution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FnSummary {
    /// The body's steps (empty for a non-function value).
    pub steps: Vec<Step>,
    /// When the binding is (or returns) a wrapped function: the wrapper it delegates to and the
    /// steps of the function that receives the handler.
    pub wrapper: Option<Wrapper>,
    /// The binding is another callee under a new name (`export const { auth } = NextAuth(…)`,
    /// `const getSession = auth`).
    pub alias: Option<Callee>,
}

/// A function value that wraps a handler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Wrapper {
    /// An outer wrapper this one is built on (`base.use(…)`, `withAxiom(async (req) => …)`).
    pub delegate: Option<Callee>,
    /// Steps of the function that calls the handler (`CallsParam` marks the call), if any.
    pub inner: Option<Vec<Step>>,
    /// Functions passed to the delegate beside the handler (`withMiddleware(handler,
    /// authMiddleware)`): when one of them is a guard, the wrapper counts as authenticating —
    /// a guard is not handed to a wrapper for nothing.
    #[serde(default)]
    pub guard_args: Vec<Callee>,
    /// The wrapper's own options (destructured from its parameters with a boolean default)
    /// whose test chose the path read into `inner`: (name, default). The inner steps follow each
    /// option's default; a caller that sets one differently gets no auth wrapper.
    #[serde(default)]
    pub options: Vec<(String, bool)>,
}

/// The summaries of top-level bindings by local name, in order, each shared.
pub type Summaries = Vec<(String, Arc<FnSummary>)>;

/// What a file exports and the summaries of its top-level bindings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileSummaries {
    /// Top-level bindings by local name (each summary shared: the editor keeps them per
    /// statement and reuses them across versions without copying).
    pub functions: Summaries,
    /// Local exports: (exported, local).
    pub exports: Vec<(String, String)>,
    /// Re-exports: (exported, name in source, source); `*` for `export * from`.
    pub reexports: Vec<(String, String, String)>,
    /// Built-in guards this file imports under their own name: (name, module specifier) —
    /// where the project gets them (`auth` from `@clerk/nextjs/server`).
    pub guard_imports: Vec<(String, String)>,
}

/// A function's resolved summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resolved {
    /// The function is a guard, and how it reports failure.
    pub guard: Option<GuardKind>,
    /// The function wraps a handler and authenticates before calling it.
    pub auth_wrapper: bool,
    /// The function wraps a handler (authenticating or not).
    pub wrapper: bool,
    /// Options of an auth wrapper that turn its check off when a caller sets them (`{
    /// requireAuth: false }`): a bit per option name ([`option_bit`]) for options that default
    /// to `true` and select the guarded path then; a caller that passes such an option with any
    /// value but `true` gets no auth wrapper.
    #[serde(default)]
    pub opt_out_true: u64,
    /// The same for options that default to `false` (`skipAuth = false`): passing anything but
    /// `false` opts out.
    #[serde(default)]
    pub opt_out_false: u64,
}

/// The bit of an option name in [`Resolved::opt_out_true`] / [`Resolved::opt_out_false`] (a
/// collision only makes a wrapper call count as opted out: more findings, never fewer).
pub fn option_bit(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    1 << (hash % 64)
}

/// Rounds of the cross-file fixpoint: also the depth of call chains followed.
pub const MAX_ROUNDS: usize = 6;

/// From this many modules on, [`resolve_workspace`] resolves them on the thread pool.
const PARALLEL_MODULES: usize = 32;

/// Modules whose `.verify(…)` checks a signature or token and throws on failure.
const VERIFY_MODULES: &[&str] = &[
    "svix",
    "standardwebhooks",
    "@upstash/qstash",
    "jsonwebtoken",
    "@octokit/webhooks",
    "@slack/bolt",
    "twilio",
    "@line/bot-sdk",
];

/// Calls that end a request in Next.js (they throw): an `if` whose branch calls one exits.
const EXITING_CALLS: &[&str] = &["redirect", "permanentRedirect", "notFound", "unauthorized", "forbidden"];

/// A built-in guard by the module a function is imported from and its exported name.
pub fn builtin_guard(source: &str, name: &str) -> Option<GuardKind> {
    let package = source.trim_start_matches("node:");
    match (package, name) {
        ("next-auth" | "next-auth/next", "getServerSession" | "unstable_getServerSession") => Some(GuardKind::Returns),
        ("next-auth/jwt", "getToken") => Some(GuardKind::Returns),
        ("next-auth/react", "getSession") => Some(GuardKind::Returns),
        (p, "auth" | "currentUser" | "getAuth") if p.starts_with("@clerk/") => Some(GuardKind::Returns),
        (p, "getIronSession" | "getServerActionSession") if p.starts_with("iron-session") => Some(GuardKind::Returns),
        ("jose", "jwtVerify") => Some(GuardKind::Throws),
        ("jsonwebtoken", "verify") => Some(GuardKind::Throws),
        ("crypto", "timingSafeEqual") => Some(GuardKind::Returns),
        (p, "verifySignature" | "verifySignatureAppRouter" | "verifySignatureEdge")
            if p.starts_with("@upstash/qstash") =>
        {
            None // wrappers, see `builtin_wrapper`
        }
        (p, "validateRequest" | "validateSession") if p.starts_with("lucia") => Some(GuardKind::Returns),
        _ => None,
    }
}

/// A built-in auth wrapper by module and exported name: QStash's and Upstash Workflow's
/// signature-verifying handlers, Inngest's `serve` (signing key).
pub fn builtin_wrapper(source: &str, name: &str) -> bool {
    match name {
        "verifySignature" | "verifySignatureAppRouter" | "verifySignatureEdge" => source.starts_with("@upstash/qstash"),
        "serve" => source.starts_with("@upstash/workflow") || source.starts_with("inngest"),
        _ => false,
    }
}

/// A built-in `NextAuth(…)`-style factory whose destructured `auth` is a session guard.
fn session_factory(source: &str, name: &str) -> bool {
    name == "default" && (source == "next-auth" || source.starts_with("@auth/"))
}

/// True when a specifier may name a workspace module (relative, an alias such as `@/x`, or a
/// package): node built-ins never do. Only used to skip work.
fn is_workspace_specifier(source: &str) -> bool {
    !source.starts_with("node:")
}

/// What a file's code needs to know about names: its imports (local → (source, exported name)),
/// its top-level declarations, and the modules it imports.
#[derive(Debug, Default)]
pub struct Scope {
    /// Local name → (module specifier, exported name; `default`, `*`).
    pub imports: HashMap<String, (String, String)>,
    /// Top-level names.
    pub top_level: HashSet<String>,
}

impl Scope {
    fn imports_module(&self, wanted: &[&str]) -> bool {
        self.imports
            .values()
            .any(|(source, _)| wanted.iter().any(|w| source == w || source.starts_with(&format!("{w}/"))))
    }
}

/// Classifies calls as data accesses for the rule that asks: a short description or `None`.
pub type DataClassifier<'c> = &'c dyn Fn(Node<'_>) -> Option<String>;

/// Reads the steps of one function.
pub struct StepReader<'a, 'c> {
    doc: &'a Document,
    scope: &'a Scope,
    data: Option<DataClassifier<'c>>,
    /// Data accesses found, by [`Step::Data`] index: (start, end, description).
    pub accesses: Vec<(Node<'a>, String)>,
    /// Indices of data reads that authorise the request themselves: a lookup (an API token by
    /// its hash, a shared link by its id) whose result is then tested by an `if` that answers
    /// 401/403 — the handler decides access from the record it loaded.
    pub lookups: HashSet<u32>,
    /// Data reads whose results are handed to a call that may be a guard
    /// (`requireCompanyAccess(row.companyId)`), with that callee: when it authenticates, the
    /// reads only found whom to authorise against — lookups too, decided by the caller, which
    /// knows the guards.
    /// The flag says whether the call's result was then tested by a condition that exits (a
    /// call whose result is dropped counts only if its callee throws).
    pub guard_lookups: Vec<(Vec<u32>, Callee, bool)>,
    /// How many closures deep the reader is (their returns are not the function's).
    closure_depth: u32,
    /// Options of the enclosing wrapper factory with their boolean defaults: an `if` on one
    /// follows the default ([`Wrapper::options`]).
    flags: HashMap<String, bool>,
    /// The options an `if` was decided on.
    pub options_used: Vec<(String, bool)>,
    /// How deep the walk is: past [`MAX_NESTING`] a subtree is not read (hostile nesting must
    /// not exhaust the stack).
    nesting: u32,
}

/// Nesting past which the step reader stops descending.
const MAX_NESTING: u32 = 200;

impl<'a, 'c> StepReader<'a, 'c> {
    /// A reader over `doc` with the file's `scope`; `data` classifies data accesses (or none).
    pub fn new(doc: &'a Document, scope: &'a Scope, data: Option<DataClassifier<'c>>) -> Self {
        StepReader {
            doc,
            scope,
            data,
            accesses: Vec::new(),
            lookups: HashSet::new(),
            guard_lookups: Vec::new(),
            closure_depth: 0,
            nesting: 0,
            flags: HashMap::new(),
            options_used: Vec::new(),
        }
    }

    fn text(&self, node: Node<'_>) -> &'a str {
        self.doc.slice(node.byte_range())
    }

    /// The steps of `function`'s body; calls of any name in `handler_params` are
    /// [`Step::CallsParam`] (by default the function's own parameters).
    pub fn function_steps(&mut self, function: Node<'a>, handler_params: Option<&[String]>) -> Vec<Step> {
        let own = parameter_names(self.doc, function);
        let params: Vec<String> = handler_params.map_or(own, |p| p.to_vec());
        let mut env = Env { params, ..Env::default() };
        let mut steps = Vec::new();
        let Some(body) = function.child_by_field_name("body") else { return steps };
        if body.kind() == "statement_block" {
            let exits = self.block(body, &mut env, &mut steps);
            if !exits {
                steps.push(Step::Return { from: None });
            }
        } else {
            self.scan(body, &env, &mut steps, false);
            let from = self.value_source(body, &env);
            steps.push(Step::Return { from });
        }
        steps
    }

    /// Walks a block's statements; returns whether the block always exits.
    fn block(&mut self, block: Node<'a>, env: &mut Env, out: &mut Vec<Step>) -> bool {
        let mut cursor = block.walk();
        let statements: Vec<Node<'a>> = block.named_children(&mut cursor).collect();
        for statement in statements {
            if self.statement(statement, env, out) {
                return true;
            }
        }
        false
    }

    /// One statement; returns whether it always exits (return/throw).
    fn statement(&mut self, node: Node<'a>, env: &mut Env, out: &mut Vec<Step>) -> bool {
        if self.nesting >= MAX_NESTING {
            return false;
        }
        self.nesting += 1;
        let exits = self.statement_inner(node, env, out);
        self.nesting -= 1;
        exits
    }

    fn statement_inner(&mut self, node: Node<'a>, env: &mut Env, out: &mut Vec<Step>) -> bool {
        match node.kind() {
            "statement_block" => self.block(node, env, out),
            "return_statement" => {
                let value = node.named_child(0);
                if let Some(v) = value {
                    self.scan(v, env, out, false);
                }
                let from = value.and_then(|v| self.value_source(v, env));
                if self.closure_depth == 0 {
                    out.push(Step::Return { from });
                }
                true
            }
            "throw_statement" => {
                self.scan(node, env, out, false);
                true
            }
            "if_statement" => self.if_statement(node, env, out),
            "try_statement" => {
                let catch_exits = node
                    .child_by_field_name("handler")
                    .and_then(|h| h.child_by_field_name("body"))
                    .is_some_and(|b| exits(self.doc, b));
                let mut inner = Vec::new();
                let body_exits = node.child_by_field_name("body").is_some_and(|b| self.block(b, env, &mut inner));
                if catch_exits {
                    out.extend(inner);
                } else {
                    // A guard's failure may be swallowed by the `catch`: within the `try` body the
                    // guard still dominates what follows it, after the `try` it does not.
                    out.push(Step::Branch(vec![inner]));
                }
                let mut rest = Vec::new();
                if let Some(handler) = node.child_by_field_name("handler") {
                    let mut branch = Vec::new();
                    if let Some(body) = handler.child_by_field_name("body") {
                        let mut e = env.clone();
                        self.block(body, &mut e, &mut branch);
                    }
                    rest.push(branch);
                }
                if !rest.is_empty() {
                    out.push(Step::Branch(rest));
                }
                if let Some(finalizer) = node.child_by_field_name("finalizer") {
                    self.scan(finalizer, env, out, false);
                }
                body_exits && catch_exits
            }
            "lexical_declaration" | "variable_declaration" => {
                let mut cursor = node.walk();
                let declarators: Vec<Node<'a>> =
                    node.named_children(&mut cursor).filter(|d| d.kind() == "variable_declarator").collect();
                for declarator in declarators {
                    let Some(value) = declarator.child_by_field_name("value") else { continue };
                    let first_access = self.accesses.len();
                    self.scan(value, env, out, false);
                    let names =
                        declarator.child_by_field_name("name").map(|p| pattern_names(self.doc, p)).unwrap_or_default();
                    let reads: Vec<u32> = (first_access..self.accesses.len())
                        .filter(|i| is_data_read(self.doc, self.accesses[*i].0))
                        .map(|i| i as u32)
                        .collect();
                    if !reads.is_empty() && reads.len() == self.accesses.len() - first_access {
                        for name in &names {
                            env.read_from.insert(name.clone(), reads.clone());
                        }
                    } else if first_access == self.accesses.len() {
                        // A value computed from a loaded record (`const check =
                        // isBlocked(email, link.team)`, `const list = [...link.allowList]`): a
                        // denial decided on it is decided on the record.
                        let derived = self.derived_reads(value, env);
                        if !derived.is_empty() {
                            for name in &names {
                                env.read_from.insert(name.clone(), derived.clone());
                            }
                        }
                    }
                    if let Some(callee) = self.call_callee(value) {
                        out.push(Step::Guard { callee: callee.clone(), checked: false, discarded: false });
                        let reads = self.argument_reads(value, env);
                        if !reads.is_empty() {
                            for name in &names {
                                env.bound_reads.insert(name.clone(), reads.clone());
                            }
                        }
                        // The caller's credential handed to a check: its result, once tested,
                        // authenticates (`const ok = await Tokens.check(token); if (ok) …`).
                        let callee = if self.passes_credential(value, env) {
                            Callee::Builtin(GuardKind::Returns)
                        } else {
                            callee
                        };
                        for name in &names {
                            env.bound.insert(name.clone(), callee.clone());
                        }
                    } else if let Some(callee) = self.value_source(value, env) {
                        for name in &names {
                            env.bound.insert(name.clone(), callee.clone());
                        }
                    }
                    if self.text(value).contains("process.env") {
                        env.env_vars.extend(names.iter().cloned());
                    }
                    if self.reads_credential(value, env) {
                        env.credentials.extend(names.iter().cloned());
                    }
                    if contains_call(value) {
                        env.computed.extend(names);
                    }
                }
                false
            }
            "expression_statement" => {
                let Some(expression) = node.named_child(0) else { return false };
                self.scan(expression, env, out, false);
                if expression.kind() == "assignment_expression" {
                    // `event = stripe.webhooks.constructEvent(…)`: like a declaration.
                    let (Some(left), Some(right)) =
                        (expression.child_by_field_name("left"), expression.child_by_field_name("right"))
                    else {
                        return false;
                    };
                    if let Some(callee) = self.call_callee(right) {
                        out.push(Step::Guard { callee: callee.clone(), checked: false, discarded: false });
                        for name in pattern_names(self.doc, left) {
                            env.bound.insert(name, callee.clone());
                        }
                    }
                    return false;
                }
                if let Some(callee) = self.call_callee(expression) {
                    let reads = self.argument_reads(expression, env);
                    if !reads.is_empty() {
                        self.guard_lookups.push((reads, callee.clone(), false));
                    }
                    out.push(Step::Guard { callee, checked: false, discarded: true });
                }
                is_exiting_call(self.doc, expression)
            }
            "switch_statement" => {
                if let Some(value) = node.child_by_field_name("value") {
                    self.scan(value, env, out, false);
                }
                let mut branches = Vec::new();
                if let Some(body) = node.child_by_field_name("body") {
                    let mut cursor = body.walk();
                    for case in body.named_children(&mut cursor) {
                        let mut branch = Vec::new();
                        let mut e = env.clone();
                        let mut c = case.walk();
                        for statement in case.children_by_field_name("body", &mut c) {
                            if self.statement(statement, &mut e, &mut branch) {
                                break;
                            }
                        }
                        branches.push(branch);
                    }
                }
                out.push(Step::Branch(branches));
                false
            }
            "function_declaration" | "class_declaration" | "comment" | "empty_statement" => false,
            _ => {
                // Loops, labels, `with`: may run zero times.
                let mut branch = Vec::new();
                self.scan(node, env, &mut branch, false);
                out.push(Step::Branch(vec![branch]));
                false
            }
        }
    }

    fn if_statement(&mut self, node: Node<'a>, env: &mut Env, out: &mut Vec<Step>) -> bool {
        let condition = node.child_by_field_name("condition");
        if let Some(c) = condition {
            self.scan(c, env, out, false);
        }
        let consequence = node.child_by_field_name("consequence");
        let alternative = node.child_by_field_name("alternative");
        // `if (secret) { …check… }` after `if (isProduction && !secret) return 500`: where the
        // missing value already ended the request, the test always holds.
        if let (Some(c), Some(body)) = (condition, consequence) {
            let tested = strip(c);
            if tested.kind() == "identifier" && env.present.contains(self.text(tested)) {
                return self.statement(body, env, out);
            }
        }
        // `if (requireAuth) … else …` on an option of the wrapper factory: the path its default
        // selects (a caller that changes the option is checked at the call).
        if let Some((name, default, consequence_runs)) = condition.and_then(|c| self.option_condition(c)) {
            if !self.options_used.contains(&(name.clone(), default)) {
                self.options_used.push((name, default));
            }
            let mut branch = Vec::new();
            let mut e = env.clone();
            let mut taken_exits = false;
            if consequence_runs {
                if let Some(c) = consequence {
                    taken_exits = self.statement(c, &mut e, &mut branch);
                }
            } else if let Some(a) = alternative {
                let mut cursor = a.walk();
                let statements: Vec<Node<'a>> = a.named_children(&mut cursor).collect();
                for statement in statements {
                    taken_exits |= self.statement(statement, &mut e, &mut branch);
                }
            }
            out.push(Step::Branch(vec![branch]));
            return taken_exits;
        }
        let consequence_exits = consequence.is_some_and(|c| exits(self.doc, c));
        let mut branches = Vec::new();
        // `if (await isValidKey(req)) return handler(req)`: inside the consequence, the guards
        // the condition requires to be true have passed.
        let mut branch = condition.map(|c| self.positive_guards(c, env)).unwrap_or_default();
        let mut e = env.clone();
        if let Some(c) = consequence {
            self.statement(c, &mut e, &mut branch);
        }
        branches.push(branch);
        let mut alternative_exits = false;
        if let Some(a) = alternative {
            let mut branch = Vec::new();
            let mut e = env.clone();
            let mut cursor = a.walk();
            let statements: Vec<Node<'a>> = a.named_children(&mut cursor).collect();
            for statement in statements {
                alternative_exits |= self.statement(statement, &mut e, &mut branch);
            }
            branches.push(branch);
            let exits = [consequence_exits, alternative_exits];
            out.push(Step::Either(branches.into_iter().zip(exits).collect()));
        } else {
            out.push(Step::Branch(branches));
        }
        if consequence_exits && alternative_exits {
            return true;
        }
        // `if (!session) return …` / `if (!(await isAdmin())) throw …`: the test guards what
        // follows when the branch taken on failure exits. Only the consequence is read as the
        // failure branch (`if (ok) { … } else { return 401 }` is rare and stays unguarded).
        if consequence_exits {
            if let Some(c) = condition {
                if let Some(name) = self.required_value(c) {
                    env.present.insert(name.to_string());
                }
                self.condition_guards(c, env, out);
                // Behaviour, not names: a check of something computed (a call's result) whose
                // failing branch answers 401/403 is an authentication check.
                if consequence.is_some_and(|b| denies(self.text(b))) && self.mentions_computed(c, env) {
                    out.push(Step::SecretCheck);
                    self.mark_lookups(c, env);
                } else if consequence.is_some_and(|b| refuses(self.text(b))) && self.compares_record(c, env) {
                    // A capability that expires: a field of the loaded record compared with the
                    // clock (`link.expiresAt < new Date()`), refused when past. A plain fetch by
                    // id only tests that the record exists, a flag of it, or that it belongs to
                    // another id the caller also sent, and stays data.
                    out.push(Step::SecretCheck);
                    self.mark_lookups(c, env);
                }
            }
        }
        false
    }

    /// The variable an exiting condition proves present afterwards: `!x`, or `!x` beside checks
    /// of the deployment only (`process.env.NODE_ENV === "production" && !x`: in production a
    /// missing value fails closed, elsewhere it is a development run).
    fn required_value(&self, condition: Node<'a>) -> Option<&'a str> {
        let negated = |n: Node<'a>| {
            let n = strip(n);
            let operand = n.child_by_field_name("argument").map(strip)?;
            (n.kind() == "unary_expression" && self.text(n).starts_with('!') && operand.kind() == "identifier")
                .then(|| self.text(operand))
        };
        let condition = strip(condition);
        if let Some(name) = negated(condition) {
            return Some(name);
        }
        let is_and = condition.kind() == "binary_expression"
            && condition.child_by_field_name("operator").is_some_and(|o| o.kind() == "&&");
        let (left, right) = (condition.child_by_field_name("left")?, condition.child_by_field_name("right")?);
        let deployment = |n: Node<'a>| {
            let text = self.text(n);
            text.contains("process.env.NODE_ENV") || text.contains("process.env.VERCEL_ENV")
        };
        if !is_and {
            return None;
        }
        match (negated(left), negated(right)) {
            (Some(name), None) if deployment(right) => Some(name),
            (None, Some(name)) if deployment(left) => Some(name),
            _ => None,
        }
    }

    /// Guards a condition requires to hold when it is true: a guard call or a variable bound to
    /// one, alone or in an `&&` chain (not under `!`, not in an `||`).
    fn positive_guards(&self, condition: Node<'a>, env: &Env) -> Vec<Step> {
        let mut out = Vec::new();
        let mut stack = vec![condition];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "parenthesized_expression" | "await_expression" => {
                    let mut cursor = node.walk();
                    stack.extend(node.named_children(&mut cursor));
                }
                "binary_expression" if node.child_by_field_name("operator").is_some_and(|o| o.kind() == "&&") => {
                    stack.extend(node.child_by_field_name("left"));
                    stack.extend(node.child_by_field_name("right"));
                }
                "call_expression" => {
                    if let Some(callee) = self.guard_callee(node, env) {
                        out.push(Step::Guard { callee, checked: true, discarded: false });
                    }
                }
                "identifier" => {
                    if let Some(callee) = env.bound.get(self.text(node)) {
                        out.push(Step::Guard { callee: callee.clone(), checked: true, discarded: false });
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The callee of a call whose result is tested: a built-in session-returning guard when the
    /// call is handed the caller's credential, else [`StepReader::call_callee`].
    fn guard_callee(&self, call: Node<'a>, env: &Env) -> Option<Callee> {
        if self.passes_credential(call, env) {
            return Some(Callee::Builtin(GuardKind::Returns));
        }
        self.call_callee(call)
    }

    /// True when a call (through `await`) is given a credential variable as an argument.
    fn passes_credential(&self, value: Node<'a>, env: &Env) -> bool {
        if env.credentials.is_empty() {
            return false;
        }
        let call = strip(value);
        if call.kind() != "call_expression" {
            return false;
        }
        let Some(arguments) = call.child_by_field_name("arguments") else { return false };
        self.names_credential(arguments, env)
    }

    /// True when a value reads the credential the caller presented: the `Authorization` header
    /// (RFC 7235) or an API-key header, or a variable already holding one.
    fn reads_credential(&self, value: Node<'a>, env: &Env) -> bool {
        let text = self.text(value);
        if text.len() < 4096 && (text.contains("eader") || text.contains("EADER")) {
            let lower = text.to_ascii_lowercase();
            if lower.contains("header")
                && (lower.contains("authorization") || lower.contains("api-key") || lower.contains("apikey"))
            {
                return true;
            }
        }
        if env.credentials.is_empty() {
            return false;
        }
        self.names_credential(value, env)
    }

    /// True when `node` names a credential variable outside any nested function.
    fn names_credential(&self, node: Node<'a>, env: &Env) -> bool {
        any_outside_functions(node, |n| n.kind() == "identifier" && env.credentials.contains(self.text(n)))
    }

    /// `if (flag)` / `if (!flag)` on an option of the enclosing wrapper factory: the option's
    /// name and whether the consequence runs under its default.
    fn option_condition(&self, condition: Node<'a>) -> Option<(String, bool, bool)> {
        if self.flags.is_empty() {
            return None;
        }
        let mut node = strip(condition);
        let mut polarity = true;
        for _ in 0..4 {
            if node.kind() == "unary_expression"
                && node.child_by_field_name("operator").is_some_and(|o| o.kind() == "!")
            {
                polarity = !polarity;
                node = strip(node.child_by_field_name("argument")?);
            } else {
                break;
            }
        }
        if node.kind() != "identifier" {
            return None;
        }
        let name = self.text(node);
        let default = *self.flags.get(name)?;
        Some((name.to_string(), default, default == polarity))
    }

    /// The data reads a call's arguments are computed from (`call` may be awaited).
    fn argument_reads(&self, call: Node<'a>, env: &Env) -> Vec<u32> {
        if env.read_from.is_empty() || self.data.is_none() {
            return Vec::new();
        }
        strip(call).child_by_field_name("arguments").map(|a| self.derived_reads(a, env)).unwrap_or_default()
    }

    /// The data reads whose results a denying condition tests become authorising lookups.
    fn mark_lookups(&mut self, condition: Node<'a>, env: &Env) {
        let mut found = Vec::new();
        any_outside_functions(condition, |n| {
            if n.kind() == "identifier" {
                found.extend(env.read_from.get(self.text(n)).into_iter().flatten().copied());
            }
            false
        });
        self.lookups.extend(found);
    }

    /// The data reads a value is computed from: those of every variable it mentions that holds
    /// (or was computed from) a read's result.
    fn derived_reads(&self, value: Node<'a>, env: &Env) -> Vec<u32> {
        let mut reads = Vec::new();
        if env.read_from.is_empty() {
            return reads; // nothing to find: the walk below would look up every identifier
        }
        let mut stack = vec![value];
        while let Some(node) = stack.pop() {
            if node.kind() == "identifier" {
                if let Some(found) = env.read_from.get(self.text(node)) {
                    for r in found {
                        if !reads.contains(r) {
                            reads.push(*r);
                        }
                    }
                }
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        reads
    }

    /// True when a condition compares a field of a loaded record (`record.x`, `record.x.y()`)
    /// with the clock (`new Date(…)`, `Date.now()`): an expiry check. A comparison with another
    /// id from the request (`record.parentId !== id`) is not one: the caller controls both.
    fn compares_record(&self, condition: Node<'a>, env: &Env) -> bool {
        let field_of_record = |n: Node<'a>| {
            let mut root = strip(n);
            let mut through_member = false;
            for _ in 0..8 {
                match root.kind() {
                    "member_expression" | "subscript_expression" => {
                        through_member = true;
                        match root.child_by_field_name("object") {
                            Some(o) => root = o,
                            None => return false,
                        }
                    }
                    "call_expression" => match root.child_by_field_name("function") {
                        Some(f) => root = f,
                        None => return false,
                    },
                    "parenthesized_expression" | "non_null_expression" | "await_expression" => {
                        match root.named_child(0) {
                            Some(o) => root = o,
                            None => return false,
                        }
                    }
                    _ => break,
                }
            }
            through_member && root.kind() == "identifier" && env.read_from.contains_key(self.text(root))
        };
        let clock = |n: Node<'a>| {
            let text = self.text(n);
            (text.contains("new Date(") || text.contains("Date.now()")) && self.derived_reads(n, env).is_empty()
        };
        any_outside_functions(condition, |node| {
            if node.kind() != "binary_expression" {
                return false;
            }
            let compares = node
                .child_by_field_name("operator")
                .is_some_and(|o| matches!(o.kind(), "===" | "!==" | "==" | "!=" | "<" | ">" | "<=" | ">="));
            match (compares, node.child_by_field_name("left"), node.child_by_field_name("right")) {
                (true, Some(left), Some(right)) => {
                    (field_of_record(left) && clock(right)) || (field_of_record(right) && clock(left))
                }
                _ => false,
            }
        })
    }

    /// True when a condition reads a call's result (a call in it, or a variable bound to one) or a
    /// session an auth wrapper attached to the request (`req.auth`).
    fn mentions_computed(&self, condition: Node<'a>, env: &Env) -> bool {
        let mut stack = vec![condition];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "call_expression" => return true,
                "identifier" if env.bound.contains_key(self.text(node)) || env.computed.contains(self.text(node)) => {
                    return true
                }
                // `req.auth`: the session an auth wrapper attached to the request (Auth.js v5's
                // `auth(handler)`).
                "member_expression" if node.child_by_field_name("property").is_some_and(|p| self.text(p) == "auth") => {
                    return true
                }
                _ => {}
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        false
    }

    /// Guards a condition establishes when its failing branch exits.
    fn condition_guards(&mut self, condition: Node<'a>, env: &Env, out: &mut Vec<Step>) {
        let mut stack = vec![condition];
        let mut seen = HashSet::new();
        while let Some(node) = stack.pop() {
            match node.kind() {
                "arrow_function" | "function_expression" | "function" => continue,
                "call_expression" => {
                    if let Some(callee) = self.guard_callee(node, env) {
                        out.push(Step::Guard { callee, checked: true, discarded: false });
                    }
                }
                "identifier" => {
                    let name = self.text(node);
                    if let Some(callee) = env.bound.get(name) {
                        if seen.insert(name) {
                            out.push(Step::Guard { callee: callee.clone(), checked: true, discarded: false });
                            if let Some(reads) = env.bound_reads.get(name) {
                                self.guard_lookups.push((reads.clone(), callee.clone(), true));
                            }
                        }
                    }
                }
                "binary_expression" if self.is_secret_comparison(node, env) => out.push(Step::SecretCheck),
                _ => {}
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
    }

    /// `x !== process.env.SECRET`, `` h === `Bearer ${process.env.TOKEN}` ``, or a comparison with
    /// a variable read from `process.env` earlier, against something that is not a literal.
    fn is_secret_comparison(&self, node: Node<'a>, env: &Env) -> bool {
        let Some(operator) = node.child_by_field_name("operator") else { return false };
        if !matches!(operator.kind(), "===" | "!==" | "==" | "!=") {
            return false;
        }
        let (Some(left), Some(right)) = (node.child_by_field_name("left"), node.child_by_field_name("right")) else {
            return false;
        };
        let secret = |n: Node<'a>| {
            let text = self.text(n);
            let reads_env = text.split("process.env.").skip(1).any(|rest| {
                let var: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                !matches!(var.as_str(), "NODE_ENV" | "VERCEL_ENV" | "NEXT_RUNTIME" | "CI")
                    && !var.starts_with("NEXT_PUBLIC_")
            });
            // `Bearer ${secret}` with `secret` read from `process.env` earlier.
            let in_template = n.kind() == "template_string"
                && any_outside_functions(n, |i| i.kind() == "identifier" && env.env_vars.contains(self.text(i)));
            reads_env || in_template || (n.kind() == "identifier" && env.env_vars.contains(text))
        };
        let literal = |n: Node<'a>| matches!(n.kind(), "string" | "number" | "true" | "false" | "null" | "undefined");
        (secret(left) && !literal(right) && !secret(right)) || (secret(right) && !literal(left) && !secret(left))
    }

    /// Data accesses, parameter calls and nested returns inside an expression or statement, in
    /// source order. Closures are entered for data accesses and handler calls (a callback may
    /// run), not for returns.
    fn scan(&mut self, node: Node<'a>, env: &Env, out: &mut Vec<Step>, in_closure: bool) {
        if self.nesting >= MAX_NESTING {
            return;
        }
        self.nesting += 1;
        self.scan_inner(node, env, out, in_closure);
        self.nesting -= 1;
    }

    fn scan_inner(&mut self, node: Node<'a>, env: &Env, out: &mut Vec<Step>, in_closure: bool) {
        match node.kind() {
            "arrow_function" | "function_expression" | "function" | "function_declaration" | "method_definition" => {
                if let Some(body) = node.child_by_field_name("body") {
                    // A closure's body runs later or never: what it does is a branch, in which
                    // its own guards dominate what follows them; its returns are its own.
                    let mut branch = Vec::new();
                    self.closure_depth += 1;
                    if body.kind() == "statement_block" {
                        let mut inner = env.clone();
                        self.block(body, &mut inner, &mut branch);
                    } else {
                        self.scan(body, env, &mut branch, true);
                    }
                    self.closure_depth -= 1;
                    if !branch.is_empty() {
                        out.push(Step::Branch(vec![branch]));
                    }
                }
                return;
            }
            "member_expression" => self.dereference(node, env, out),
            "call_expression" => {
                if let Some(function) = node.child_by_field_name("function") {
                    if function.kind() == "identifier" && env.params.iter().any(|p| p == self.text(function)) {
                        out.push(Step::CallsParam);
                    }
                }
                // `verifySignatureAppRouter((req) => handler(req))`: what the functions handed to
                // a built-in verifying wrapper do runs after its check.
                if let Some(Callee::Import { source, name, .. }) = self.call_callee(node) {
                    if builtin_wrapper(&source, &name) {
                        if let Some(arguments) = node.child_by_field_name("arguments") {
                            let mut inner = vec![Step::Guard {
                                callee: Callee::Builtin(GuardKind::Throws),
                                checked: true,
                                discarded: false,
                            }];
                            let mut cursor = arguments.walk();
                            let children: Vec<Node<'a>> = arguments.named_children(&mut cursor).collect();
                            for child in children {
                                self.scan(child, env, &mut inner, in_closure);
                            }
                            out.push(Step::Branch(vec![inner]));
                            return;
                        }
                    }
                }
                if let Some(classify) = self.data {
                    if let Some(what) = classify(node) {
                        // Its arguments run first: `record(session.user.id)` throws without a
                        // session before the access.
                        if let Some(arguments) = node.child_by_field_name("arguments") {
                            self.dereferences(arguments, env, out);
                        }
                        out.push(Step::Data(self.accesses.len() as u32));
                        self.accesses.push((node, what));
                        return;
                    }
                }
            }
            "return_statement" if in_closure => {}
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'a>> = node.named_children(&mut cursor).collect();
        for child in children {
            self.scan(child, env, out, in_closure);
        }
    }

    /// `user.id` on what a project function returned, without `?.`: when it returns nothing (a
    /// session helper's `return null` when signed out) the read throws, so it checks the result
    /// as an `if` would. Built-in guards are not trusted this way: several return an object
    /// whatever the session (Clerk's `auth()`, Supabase's `getUser()`).
    fn dereference(&self, member: Node<'a>, env: &Env, out: &mut Vec<Step>) {
        if env.bound.is_empty() {
            return;
        }
        let Some(object) = member.child_by_field_name("object").map(strip) else { return };
        if object.kind() == "identifier" && !self.text(member).contains("?.") {
            if let Some(callee @ (Callee::Local(_) | Callee::Import { .. })) = env.bound.get(self.text(object)) {
                out.push(Step::Guard { callee: callee.clone(), checked: true, discarded: false });
            }
        }
    }

    /// [`StepReader::dereference`] for every member read inside `node` (not in closures).
    fn dereferences(&self, node: Node<'a>, env: &Env, out: &mut Vec<Step>) {
        if env.bound.is_empty() {
            return;
        }
        any_outside_functions(node, |n| {
            if n.kind() == "member_expression" {
                self.dereference(n, env, out);
            }
            false
        });
    }

    /// The callee of a call (through `await`, parentheses and `!`), when one file can name it.
    pub fn call_callee(&self, node: Node<'a>) -> Option<Callee> {
        let call = strip(node);
        if call.kind() != "call_expression" {
            return None;
        }
        let function = strip(call.child_by_field_name("function")?);
        match function.kind() {
            "identifier" => self.name_callee(self.text(function)),
            "member_expression" => self.member_callee(function),
            _ => None,
        }
    }

    fn name_callee(&self, name: &str) -> Option<Callee> {
        if let Some((source, imported)) = self.scope.imports.get(name) {
            if let Some(kind) = builtin_guard(source, imported) {
                return Some(Callee::Builtin(kind));
            }
            return Some(Callee::Import { source: source.clone(), name: imported.clone(), local: name.to_string() });
        }
        if self.scope.top_level.contains(name) {
            return Some(Callee::Local(name.to_string()));
        }
        Some(Callee::Global(name.to_string()))
    }

    fn member_callee(&self, function: Node<'a>) -> Option<Callee> {
        let property = self.text(function.child_by_field_name("property")?);
        let object = strip(function.child_by_field_name("object")?);
        let object_text = self.text(object);
        let object_last = object_text.rsplit(['.', '?']).next().unwrap_or(object_text);
        match property {
            // Supabase `*.auth.getUser()` / `getClaims()` / `getSession()`.
            "getUser" | "getClaims" | "getSession" if object_last == "auth" => {
                return Some(Callee::Builtin(GuardKind::Returns))
            }
            // Better Auth `auth.api.getSession()`.
            "getSession" if object_last == "api" => return Some(Callee::Builtin(GuardKind::Returns)),
            // Stripe.
            "constructEvent" | "constructEventAsync" if object_last == "webhooks" => {
                return Some(Callee::Builtin(GuardKind::Throws))
            }
            // A Stripe Checkout session looked up by the id Stripe put in the return URL: the
            // unguessable id is the capability, Stripe's answer is checked.
            "retrieve" if object_last == "sessions" && object_text.contains("checkout") => {
                return Some(Callee::Builtin(GuardKind::Returns))
            }
            // Lucia.
            "validateSession" | "validateSessionToken" => return Some(Callee::Builtin(GuardKind::Returns)),
            "timingSafeEqual" => return Some(Callee::Builtin(GuardKind::Returns)),
            "verify" if self.scope.imports_module(VERIFY_MODULES) => return Some(Callee::Builtin(GuardKind::Throws)),
            // A signature or token check of unknown origin (`receiver.verify(…)` on a client built
            // in another file): counts when its result is checked.
            "verify" => return Some(Callee::Builtin(GuardKind::Returns)),
            _ => {}
        }
        if object.kind() == "identifier" {
            if let Some((source, imported)) = self.scope.imports.get(object_text) {
                if source.starts_with("@clerk/") && imported == "auth" && property == "protect" {
                    return Some(Callee::Builtin(GuardKind::Throws));
                }
                if imported == "*" || imported == "default" {
                    if let Some(kind) = builtin_guard(source, property) {
                        return Some(Callee::Builtin(kind));
                    }
                    if imported == "*" {
                        return Some(Callee::Import {
                            source: source.clone(),
                            name: property.to_string(),
                            local: property.to_string(),
                        });
                    }
                }
                // `AuthService.check(…)`: a static method of an imported class, summarised in its
                // module as `Class.method` (an object's method resolves to nothing there).
                if is_workspace_specifier(source) {
                    let name = format!("{imported}.{property}");
                    return Some(Callee::Import { source: source.clone(), local: name.clone(), name });
                }
            } else if self.scope.top_level.contains(object_text) {
                return Some(Callee::Local(format!("{object_text}.{property}")));
            }
        }
        None
    }

    /// Where a returned or bound value comes from: a call's callee, or the callee a variable
    /// it starts with was bound to (`session.user`, `{ user: session.user }` is not followed).
    fn value_source(&self, node: Node<'a>, env: &Env) -> Option<Callee> {
        let node = strip(node);
        if let Some(callee) = self.call_callee(node) {
            return Some(callee);
        }
        let mut root = node;
        for _ in 0..8 {
            match root.kind() {
                "member_expression" | "subscript_expression" => root = root.child_by_field_name("object")?,
                "call_expression" => root = root.child_by_field_name("function")?,
                "await_expression" | "parenthesized_expression" | "non_null_expression" => {
                    root = root.named_child(0)?
                }
                _ => break,
            }
        }
        if root.kind() == "identifier" {
            return env.bound.get(self.text(root)).cloned();
        }
        // `{ user: { id: result.user.id } }`: a value built from a guard's result.
        let mut found = None;
        if matches!(root.kind(), "object" | "array") {
            any_outside_functions(root, |n| {
                found = (n.kind() == "identifier").then(|| env.bound.get(self.text(n))).flatten();
                found.is_some()
            });
        }
        found.cloned()
    }
}

#[derive(Clone, Debug, Default)]
struct Env {
    params: Vec<String>,
    bound: HashMap<String, Callee>,
    env_vars: HashSet<String>,
    /// Variables holding a call's result (any callee).
    computed: HashSet<String>,
    /// Variables holding what a data read returned, with the reads' [`Step::Data`] indices.
    read_from: HashMap<String, Vec<u32>>,
    /// Variables holding a credential the caller presented (the `Authorization` or an API-key
    /// header, or a value computed from one).
    credentials: HashSet<String>,
    /// Variables bound to a call whose arguments are computed from data reads, with those
    /// reads ([`StepReader::guard_lookups`] once the variable is tested).
    bound_reads: HashMap<String, Vec<u32>>,
    /// Variables an earlier exiting test proved present ([`StepReader::required_value`]).
    present: HashSet<String>,
}

/// Query methods that only read: Prisma's reads, and `select` (Drizzle, Supabase, Kysely).
const READ_METHODS: &[&str] = &[
    "findMany",
    "findFirst",
    "findFirstOrThrow",
    "findUnique",
    "findUniqueOrThrow",
    "count",
    "aggregate",
    "select",
    "selectFrom",
];

/// True when a data access is a read (by the method it calls), so a lookup may authorise.
fn is_data_read(doc: &Document, call: Node<'_>) -> bool {
    let Some(function) = call.child_by_field_name("function") else { return false };
    if function.kind() != "member_expression" {
        return false;
    }
    let Some(property) = function.child_by_field_name("property") else { return false };
    let method = doc.slice(property.byte_range());
    if method == "from" {
        // Supabase `client.from("t").select(…)`: the access is the `from` call, the method follows.
        let next =
            call.parent().filter(|p| p.kind() == "member_expression").and_then(|p| p.child_by_field_name("property"));
        return next.is_some_and(|n| doc.slice(n.byte_range()) == "select");
    }
    READ_METHODS.contains(&method)
}

/// Removes the data accesses listed in `drop` from the steps (authorising lookups).
pub fn without_data(steps: Vec<Step>, drop: &HashSet<u32>) -> Vec<Step> {
    steps
        .into_iter()
        .filter_map(|step| match step {
            Step::Data(i) if drop.contains(&i) => None,
            Step::Branch(branches) => Some(Step::Branch(branches.into_iter().map(|b| without_data(b, drop)).collect())),
            Step::Either(branches) => {
                Some(Step::Either(branches.into_iter().map(|(b, e)| (without_data(b, drop), e)).collect()))
            }
            other => Some(other),
        })
        .collect()
}

fn contains_call(node: Node<'_>) -> bool {
    any_outside_functions(node, |n| n.kind() == "call_expression")
}

/// Visits `node` and its named descendants, but not the insides of nested functions (a
/// function's own node is visited, its body is not), until `visit` returns true; true if it did.
fn any_outside_functions<'t>(node: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if visit(n) {
            return true;
        }
        if is_function(n) {
            continue;
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    false
}

/// True when a failing branch answers 401 or 403 (`{ status: 401 }`, `res.status(403)`,
/// `unauthorized()`, `"Unauthorized"`).
fn denies(text: &str) -> bool {
    text.contains("401")
        || text.contains("403")
        || text.contains("Unauthorized")
        || text.contains("Forbidden")
        || text.contains("unauthorized()")
        || text.contains("forbidden()")
        || text.contains("UNAUTHORIZED")
        || text.contains("FORBIDDEN")
}

/// True when a failing branch refuses the request: a denial, or a 400/404/410 answer
/// (`res.status(404)`, `{ status: 410 }`, `notFound()`).
fn refuses(text: &str) -> bool {
    denies(text) || ["400", "404", "410"].iter().any(|code| text.contains(code)) || text.contains("notFound()")
}

/// Through `await`, parentheses, `!`, `as`, `satisfies`.
pub fn strip(mut node: Node<'_>) -> Node<'_> {
    for _ in 0..8 {
        match node.kind() {
            "await_expression"
            | "parenthesized_expression"
            | "non_null_expression"
            | "as_expression"
            | "satisfies_expression" => match node.named_child(0) {
                Some(inner) => node = inner,
                None => break,
            },
            _ => break,
        }
    }
    node
}

/// True when a statement always ends the function: `return`, `throw`, a Next.js exiting call
/// (`redirect()`), a block that does one of those at its top level, or an `if` whose both
/// branches do.
pub fn exits(doc: &Document, node: Node<'_>) -> bool {
    exits_within(doc, node, 0)
}

fn exits_within(doc: &Document, node: Node<'_>, depth: u32) -> bool {
    if depth > MAX_NESTING {
        return false;
    }
    match node.kind() {
        "return_statement" | "throw_statement" => true,
        "statement_block" => {
            let mut cursor = node.walk();
            let found = node.named_children(&mut cursor).any(|s| exits_within(doc, s, depth + 1));
            found
        }
        "expression_statement" => node.named_child(0).is_some_and(|e| is_exiting_call(doc, e)),
        "if_statement" => {
            let consequence = node.child_by_field_name("consequence").is_some_and(|c| exits_within(doc, c, depth + 1));
            let alternative = node.child_by_field_name("alternative").is_some_and(|a| {
                let mut cursor = a.walk();
                let found = a.named_children(&mut cursor).any(|s| exits_within(doc, s, depth + 1));
                found
            });
            consequence && alternative
        }
        _ => false,
    }
}

fn is_exiting_call(doc: &Document, expression: Node<'_>) -> bool {
    let call = strip(expression);
    if call.kind() != "call_expression" {
        return false;
    }
    let Some(function) = call.child_by_field_name("function") else { return false };
    let name = doc.slice(function.byte_range());
    EXITING_CALLS.contains(&name) || name == "process.exit"
}

/// Names a function's parameters bind, destructuring included (`({ req, next })`).
pub fn parameter_names(doc: &Document, function: Node<'_>) -> Vec<String> {
    if let Some(single) = function.child_by_field_name("parameter") {
        return pattern_names(doc, single);
    }
    let Some(parameters) = function.child_by_field_name("parameters") else { return Vec::new() };
    pattern_names(doc, parameters)
}

/// Identifiers a binding pattern introduces (not property keys, not type annotations, not
/// default values).
pub fn pattern_names(doc: &Document, pattern: Node<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![pattern];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                out.push(doc.slice(node.byte_range()).to_string())
            }
            "type_annotation" | "property_identifier" => {}
            "assignment_pattern" | "object_assignment_pattern" => {
                if let Some(left) = node.child_by_field_name("left") {
                    stack.push(left);
                }
            }
            "required_parameter" | "optional_parameter" => {
                if let Some(p) = node.child_by_field_name("pattern") {
                    stack.push(p);
                }
            }
            "pair_pattern" => {
                if let Some(v) = node.child_by_field_name("value") {
                    stack.push(v);
                }
            }
            _ => {
                let mut cursor = node.walk();
                stack.extend(node.named_children(&mut cursor));
            }
        }
    }
    out.reverse();
    out
}

fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "function_declaration"
            | "arrow_function"
            | "function_expression"
            | "function"
            | "generator_function_declaration"
    )
}

/// Summarises the top-level bindings of a TS/JS document.
pub fn summarize_file(doc: &Document, scope: &Scope, exports: &[(String, String, Option<String>)]) -> FileSummaries {
    summarize_file_with(doc, scope, exports, &mut |statement| summarize_statement(doc, scope, statement))
}

/// [`summarize_file`] with each top-level statement's summaries taken from `per_statement`
/// (which must answer what [`summarize_statement`] would).
pub fn summarize_file_with(
    doc: &Document,
    scope: &Scope,
    exports: &[(String, String, Option<String>)],
    per_statement: &mut dyn FnMut(Node<'_>) -> Summaries,
) -> FileSummaries {
    let mut functions = Vec::new();
    if let Some(tree) = doc.tree() {
        let root = tree.root_node();
        let mut cursor = root.walk();
        for statement in root.named_children(&mut cursor) {
            functions.extend(per_statement(statement));
        }
    }
    let imports: Vec<(&str, &str, &str)> = scope
        .imports
        .iter()
        .map(|(local, (source, imported))| (local.as_str(), source.as_str(), imported.as_str()))
        .collect();
    file_summaries(&imports, exports, functions)
}

/// A file's summaries from its imports (local name, module specifier, imported name), its
/// exports (exported, local, re-exported module) and the summaries of its top-level bindings in
/// order ([`summarize_statement`] of each top-level statement).
pub fn file_summaries(
    imports: &[(&str, &str, &str)],
    exports: &[(String, String, Option<String>)],
    functions: Summaries,
) -> FileSummaries {
    let mut file = FileSummaries { functions, ..FileSummaries::default() };
    for (exported, local, source) in exports {
        match source {
            Some(source) => file.reexports.push((exported.clone(), local.clone(), source.clone())),
            None => file.exports.push((exported.clone(), local.clone())),
        }
    }
    for (local, source, imported) in imports {
        if local == imported && builtin_guard(source, imported).is_some() {
            file.guard_imports.push((local.to_string(), source.to_string()));
        }
    }
    file.guard_imports.sort();
    file
}

/// The summaries of the top-level bindings one top-level statement makes, in order. They depend
/// only on the statement and on `scope` (the file's imports and top-level names), never on other
/// statements: calls of the file's other functions stay [`Callee::Local`] until resolution, so
/// the editor can remember them per statement ([`crate::engine::incremental`]).
pub fn summarize_statement(doc: &Document, scope: &Scope, statement: Node<'_>) -> Summaries {
    summarize_statement_owned(doc, scope, statement).into_iter().map(|(name, s)| (name, Arc::new(s))).collect()
}

/// [`summarize_statement`] before its summaries are shared.
fn summarize_statement_owned(doc: &Document, scope: &Scope, statement: Node<'_>) -> Vec<(String, FnSummary)> {
    let mut functions = Vec::new();
    {
        let declaration = match statement.kind() {
            "export_statement" => {
                if let Some(d) = statement.child_by_field_name("declaration") {
                    d
                } else if let Some(value) = statement.child_by_field_name("value") {
                    // `export default withAuth(handler)` / `export default async function () {}`
                    if let Some(summary) = summarize_value(doc, scope, value) {
                        functions.push(("default".to_string(), summary));
                    }
                    return functions;
                } else {
                    return functions;
                }
            }
            _ => statement,
        };
        match declaration.kind() {
            "function_declaration" | "generator_function_declaration" => {
                let Some(name) = declaration.child_by_field_name("name") else { return functions };
                let summary = summarize_function(doc, scope, declaration);
                functions.push((doc.slice(name.byte_range()).to_string(), summary));
            }
            "class_declaration" => {
                // Static methods, as `Class.method` (called on the class itself).
                let (Some(name), Some(body)) =
                    (declaration.child_by_field_name("name"), declaration.child_by_field_name("body"))
                else {
                    return functions;
                };
                let class = doc.slice(name.byte_range());
                let mut c = body.walk();
                for method in body.named_children(&mut c).filter(|m| m.kind() == "method_definition") {
                    let mut mc = method.walk();
                    let is_static = method.children(&mut mc).any(|k| k.kind() == "static");
                    let Some(method_name) = method.child_by_field_name("name").filter(|_| is_static) else {
                        continue;
                    };
                    let summary = summarize_function(doc, scope, method);
                    functions.push((format!("{class}.{}", doc.slice(method_name.byte_range())), summary));
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                let mut c = declaration.walk();
                for declarator in declaration.named_children(&mut c).filter(|d| d.kind() == "variable_declarator") {
                    let (Some(name), Some(value)) =
                        (declarator.child_by_field_name("name"), declarator.child_by_field_name("value"))
                    else {
                        continue;
                    };
                    if name.kind() == "object_pattern" {
                        // `export const { auth, handlers } = NextAuth(config)`
                        let factory = strip(value);
                        let is_session_factory = factory.kind() == "call_expression"
                            && factory.child_by_field_name("function").is_some_and(|f| {
                                scope
                                    .imports
                                    .get(doc.slice(f.byte_range()))
                                    .is_some_and(|(source, imported)| session_factory(source, imported))
                            });
                        if is_session_factory {
                            for local in pattern_names(doc, name) {
                                let original = original_key(doc, name, &local);
                                if original == "auth" {
                                    let alias = Some(Callee::Builtin(GuardKind::Returns));
                                    functions.push((local, FnSummary { alias, ..FnSummary::default() }));
                                }
                            }
                        }
                        continue;
                    }
                    if name.kind() != "identifier" {
                        continue;
                    }
                    if let Some(summary) = summarize_value(doc, scope, value) {
                        functions.push((doc.slice(name.byte_range()).to_string(), summary));
                    }
                }
            }
            _ => {}
        }
    }
    functions
}

/// The property key a destructured local name comes from (`{ auth: _auth }` → `auth`).
fn original_key(doc: &Document, pattern: Node<'_>, local: &str) -> String {
    let mut cursor = pattern.walk();
    for child in pattern.named_children(&mut cursor) {
        if child.kind() == "pair_pattern" {
            let key = child.child_by_field_name("key").map(|k| doc.slice(k.byte_range()));
            let value = child.child_by_field_name("value").map(|v| doc.slice(v.byte_range()));
            if value == Some(local) {
                return key.unwrap_or(local).to_string();
            }
        }
    }
    local.to_string()
}

/// The summary of a top-level value: a function, a wrapper built by a call, or an alias.
pub fn summarize_value(doc: &Document, scope: &Scope, value: Node<'_>) -> Option<FnSummary> {
    let value = strip(value);
    if is_function(value) {
        return Some(summarize_function(doc, scope, value));
    }
    let reader = StepReader::new(doc, scope, None);
    match value.kind() {
        "identifier" => {
            let callee = reader.name_callee(doc.slice(value.byte_range()))?;
            Some(FnSummary { alias: Some(callee), ..FnSummary::default() })
        }
        "call_expression" => {
            let wrapper = wrapper_call(doc, scope, value)?;
            // `cache(async () => { … })`, `withX(async (req) => { … })`: the value runs the
            // literal, so its steps are the literal's (whether the wrapper authenticates is the
            // wrapper's part).
            let arguments = value.child_by_field_name("arguments");
            let literal = arguments.and_then(|a| {
                let mut cursor = a.walk();
                let found = a.named_children(&mut cursor).map(strip).find(|n| is_function(*n));
                found
            });
            let steps = literal.map(|l| StepReader::new(doc, scope, None).function_steps(l, None)).unwrap_or_default();
            Some(FnSummary { steps, wrapper: Some(wrapper), ..FnSummary::default() })
        }
        _ => None,
    }
}

/// `G(fn)`, `G(handler, opts)` and `base.use(middleware)`: the wrapper a call builds.
fn wrapper_call(doc: &Document, scope: &Scope, call: Node<'_>) -> Option<Wrapper> {
    let reader = StepReader::new(doc, scope, None);
    let function = strip(call.child_by_field_name("function")?);
    call.child_by_field_name("arguments")?;
    let delegate = match function.kind() {
        "identifier" => {
            let name = doc.slice(function.byte_range());
            match scope.imports.get(name) {
                Some((source, imported)) if builtin_wrapper(source, imported) => {
                    return Some(Wrapper { delegate: Some(Callee::Builtin(GuardKind::Throws)), ..Wrapper::default() });
                }
                _ => reader.name_callee(name),
            }
        }
        // `base.use(mw)`, `client.schema(s).action(fn)`: the chain's root binding.
        "member_expression" => {
            let mut root = function;
            for _ in 0..16 {
                match root.kind() {
                    "member_expression" => root = root.child_by_field_name("object")?,
                    "call_expression" => root = root.child_by_field_name("function")?,
                    "parenthesized_expression" | "await_expression" | "non_null_expression" => {
                        root = root.named_child(0)?
                    }
                    _ => break,
                }
            }
            // A middleware of the chain that authenticates counts too: `.use(async ({ next }) => …)`.
            let mut chain_inner = None;
            let mut node = call;
            for _ in 0..16 {
                if node.kind() != "call_expression" {
                    break;
                }
                let f = node.child_by_field_name("function")?;
                if f.kind() != "member_expression" {
                    break;
                }
                let is_use = f
                    .child_by_field_name("property")
                    .is_some_and(|p| matches!(doc.slice(p.byte_range()), "use" | "middleware" | "use_middleware"));
                if is_use && chain_inner.is_none() {
                    let a = node.child_by_field_name("arguments")?;
                    let mut c = a.walk();
                    let found = a.named_children(&mut c).map(strip).find(|n| is_function(*n));
                    if let Some(mw) = found {
                        let mut r = StepReader::new(doc, scope, None);
                        chain_inner = Some(r.function_steps(mw, None));
                    }
                }
                node = f.child_by_field_name("object")?;
            }
            let delegate =
                (root.kind() == "identifier").then(|| reader.name_callee(doc.slice(root.byte_range()))).flatten();
            return Some(Wrapper { delegate, inner: chain_inner, ..Wrapper::default() });
        }
        _ => None,
    };
    // The handler calls inside a literal argument are the caller's to record (a wrapper's own
    // parameters are known only there, see `summarize_function`).
    Some(Wrapper { delegate, ..Wrapper::default() })
}

/// A function's summary: its steps, and whether it returns a handler-wrapping function.
pub fn summarize_function(doc: &Document, scope: &Scope, function: Node<'_>) -> FnSummary {
    let mut reader = StepReader::new(doc, scope, None);
    let steps = reader.function_steps(function, None);
    let params = parameter_names(doc, function);
    let flags = option_flags(doc, function, &params);
    let wrapper = returned_function(doc, function).and_then(|returned| {
        let returned = strip(returned);
        if is_function(returned) {
            let mut r = StepReader::new(doc, scope, None);
            r.flags = flags.clone();
            let inner = r.function_steps(returned, Some(&params));
            return inner.iter().any(contains_param_call).then_some(Wrapper {
                delegate: None,
                inner: Some(inner),
                options: r.options_used,
                ..Wrapper::default()
            });
        }
        if returned.kind() == "call_expression" {
            // `return withAxiom(async (req) => { …; return handler(req) })` or `return base(handler)`.
            let mut wrapper = wrapper_call(doc, scope, returned)?;
            let arguments = returned.child_by_field_name("arguments")?;
            let mut cursor = arguments.walk();
            let args: Vec<Node<'_>> = arguments.named_children(&mut cursor).map(strip).collect();
            if let Some(literal) = args.iter().copied().find(|a| is_function(*a)) {
                let mut r = StepReader::new(doc, scope, None);
                r.flags = flags.clone();
                let inner = r.function_steps(literal, Some(&params));
                if inner.iter().any(contains_param_call) {
                    wrapper.inner = Some(inner);
                    wrapper.options = r.options_used;
                }
            } else if args
                .iter()
                .any(|a| a.kind() == "identifier" && params.iter().any(|p| p == doc.slice(a.byte_range())))
            {
                wrapper.inner = Some(vec![Step::CallsParam]);
                let reader = StepReader::new(doc, scope, None);
                wrapper.guard_args = args
                    .iter()
                    .filter(|a| a.kind() == "identifier" && !params.iter().any(|p| p == doc.slice(a.byte_range())))
                    .filter_map(|a| match reader.name_callee(doc.slice(a.byte_range())) {
                        Some(Callee::Global(_)) | None => None,
                        Some(c) => Some(c),
                    })
                    .collect();
            }
            return Some(wrapper);
        }
        None
    });
    FnSummary { steps, wrapper, alias: None }
}

/// A wrapper factory's boolean options: parameters with a `true`/`false` default
/// (`requireAuth = true`) and names destructured with one from a parameter at the top of its
/// body (`const { requireAuth = true } = options`).
fn option_flags(doc: &Document, function: Node<'_>, params: &[String]) -> HashMap<String, bool> {
    let mut flags = HashMap::new();
    let mut patterns = Vec::new();
    if let Some(parameters) = function.child_by_field_name("parameters") {
        patterns.push(parameters);
    }
    if let Some(body) = function.child_by_field_name("body").filter(|b| b.kind() == "statement_block") {
        let mut cursor = body.walk();
        for statement in body.named_children(&mut cursor) {
            if !matches!(statement.kind(), "lexical_declaration" | "variable_declaration") {
                continue;
            }
            let mut c = statement.walk();
            for declarator in statement.named_children(&mut c).filter(|d| d.kind() == "variable_declarator") {
                let from_param = declarator
                    .child_by_field_name("value")
                    .is_some_and(|v| v.kind() == "identifier" && params.iter().any(|p| p == doc.slice(v.byte_range())));
                if let (true, Some(name)) = (from_param, declarator.child_by_field_name("name")) {
                    patterns.push(name);
                }
            }
        }
    }
    for pattern in patterns {
        any_outside_functions(pattern, |node| {
            let (left, right) = match node.kind() {
                "object_assignment_pattern" | "assignment_pattern" => {
                    (node.child_by_field_name("left"), node.child_by_field_name("right"))
                }
                "required_parameter" | "optional_parameter" => {
                    (node.child_by_field_name("pattern"), node.child_by_field_name("value"))
                }
                _ => return false,
            };
            if let (Some(left), Some(right)) = (left, right) {
                let default = match right.kind() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                };
                let named = matches!(left.kind(), "identifier" | "shorthand_property_identifier_pattern");
                if let (true, Some(default)) = (named, default) {
                    flags.insert(doc.slice(left.byte_range()).to_string(), default);
                }
            }
            false
        });
    }
    flags
}

fn contains_param_call(step: &Step) -> bool {
    match step {
        Step::CallsParam => true,
        Step::Branch(bs) => bs.iter().flatten().any(contains_param_call),
        Step::Either(bs) => bs.iter().flat_map(|(b, _)| b).any(contains_param_call),
        _ => false,
    }
}

/// The value a function returns when it returns a function: an expression body, or the value
/// of its last top-level `return`.
fn returned_function<'t>(_doc: &Document, function: Node<'t>) -> Option<Node<'t>> {
    let body = function.child_by_field_name("body")?;
    if body.kind() != "statement_block" {
        return Some(body);
    }
    let mut cursor = body.walk();
    let last_return = body.named_children(&mut cursor).filter(|s| s.kind() == "return_statement").last()?;
    last_return.named_child(0)
}

/// What evaluating steps found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    /// The first data access reached before any guard (index into the reader's accesses).
    pub first_unguarded_data: Option<u32>,
    /// Some normal return happens before a guard.
    pub unguarded_return: bool,
    /// Some return passes on what a guard gave.
    pub returns_guard_result: bool,
    /// A parameter is called before a guard.
    pub param_unguarded: bool,
    /// A parameter is called.
    pub param_called: bool,
}

/// How a callee counts, for evaluation: its resolved summary, and whether it is a configured
/// guard (matched by the caller).
pub type Oracle<'o> = &'o dyn Fn(&Callee) -> (Resolved, bool);

/// Evaluates steps from an unguarded start.
pub fn evaluate(steps: &[Step], oracle: Oracle<'_>) -> Outcome {
    let mut outcome = Outcome::default();
    eval(steps, false, oracle, &mut outcome);
    outcome
}

fn eval(steps: &[Step], mut guarded: bool, oracle: Oracle<'_>, out: &mut Outcome) -> bool {
    for step in steps {
        match step {
            Step::Guard { callee, checked, discarded } => {
                let (resolved, configured) = oracle(callee);
                let counts = match resolved.guard {
                    Some(GuardKind::Throws) => true,
                    Some(GuardKind::Returns) => *checked,
                    None => configured && (*checked || *discarded),
                };
                guarded |= counts;
            }
            Step::SecretCheck => guarded = true,
            Step::Return { from } => {
                if !guarded {
                    out.unguarded_return = true;
                }
                if let Some(callee) = from {
                    let (resolved, configured) = oracle(callee);
                    out.returns_guard_result |= resolved.guard.is_some() || configured;
                }
            }
            Step::CallsParam => {
                out.param_called = true;
                out.param_unguarded |= !guarded;
            }
            Step::Data(i) => {
                if !guarded && out.first_unguarded_data.is_none() {
                    out.first_unguarded_data = Some(*i);
                }
            }
            Step::Branch(branches) => {
                for branch in branches {
                    eval(branch, guarded, oracle, out);
                }
            }
            Step::Either(branches) => {
                let mut all = true;
                for (branch, exits) in branches {
                    let ends = eval(branch, guarded, oracle, out);
                    all &= ends || *exits;
                }
                guarded |= all && !branches.is_empty();
            }
        }
    }
    guarded
}

/// Resolves one summary given how its callees resolve.
pub fn resolve_summary(summary: &FnSummary, oracle: Oracle<'_>) -> Resolved {
    if let Some(alias) = &summary.alias {
        let (resolved, configured) = oracle(alias);
        if configured && resolved.guard.is_none() {
            return Resolved { guard: Some(GuardKind::Returns), ..resolved };
        }
        return resolved;
    }
    let mut resolved = Resolved::default();
    if !summary.steps.is_empty() {
        let outcome = evaluate(&summary.steps, oracle);
        let ends_guarded = ends_guarded(&summary.steps, oracle);
        if !outcome.unguarded_return && ends_guarded {
            resolved.guard = Some(GuardKind::Throws);
        } else if outcome.returns_guard_result || ends_guarded {
            // Returns what a guard gave, or answers a denial on one path and goes on verified on
            // the other (a middleware returning 401 or the request): callers check its result.
            resolved.guard = Some(GuardKind::Returns);
        }
    }
    if let Some(wrapper) = &summary.wrapper {
        resolved.wrapper = true;
        let delegated = wrapper.delegate.as_ref().is_some_and(|d| match d {
            Callee::Builtin(_) => true,
            other => oracle(other).0.auth_wrapper,
        });
        let inner = wrapper.inner.as_ref().is_some_and(|steps| {
            let o = evaluate(steps, oracle);
            o.param_called && !o.param_unguarded
        });
        let guarded_args = wrapper.inner.is_some() && wrapper.guard_args.iter().any(|c| oracle(c).0.guard.is_some());
        resolved.auth_wrapper = delegated || inner || guarded_args;
        if inner {
            for (name, default) in &wrapper.options {
                if *default {
                    resolved.opt_out_true |= option_bit(name);
                } else {
                    resolved.opt_out_false |= option_bit(name);
                }
            }
        }
    }
    resolved
}

/// True when some guard ran on the straight-line path (a function that returns nothing but
/// throws on failure: `async function requireAdmin() { const s = await auth(); if (!s) throw … }`).
fn ends_guarded(steps: &[Step], oracle: Oracle<'_>) -> bool {
    let mut out = Outcome::default();
    eval(steps, false, oracle, &mut out)
}

/// Exported name → the summary's resolution, per module key.
pub type ResolvedModules = HashMap<String, HashMap<String, Resolved>>;

/// One module for [`resolve_workspace`]: its key, its path and its summaries.
pub struct ModuleSummaries<'a> {
    /// Module key.
    pub key: &'a str,
    /// Path (imports resolve relative to it).
    pub path: &'a str,
    /// Its summaries.
    pub summaries: &'a FileSummaries,
}

/// Resolves every module's summaries to a fixpoint (at most [`MAX_ROUNDS`] rounds). `resolve`
/// maps (importing path, specifier) to a module key. The result has, per module, every local
/// binding by local name and every export by exported name.
pub fn resolve_workspace<'a>(
    modules: &[ModuleSummaries<'a>],
    resolve: &(dyn Fn(&str, &str) -> Option<String> + Sync),
    configured: &(dyn Fn(&Callee) -> bool + Sync),
) -> ResolvedModules {
    resolve_workspace_skipping(modules, resolve, configured, true)
}

/// [`resolve_workspace`]; with `skip` false every module is evaluated in every round (the
/// reference its tests compare the skipping with).
pub(crate) fn resolve_workspace_skipping<'a>(
    modules: &[ModuleSummaries<'a>],
    resolve: &(dyn Fn(&str, &str) -> Option<String> + Sync),
    configured: &(dyn Fn(&Callee) -> bool + Sync),
    skip: bool,
) -> ResolvedModules {
    use rayon::prelude::*;
    let by_key: HashMap<&str, &ModuleSummaries<'_>> = modules.iter().map(|m| (m.key, m)).collect();
    let mut result: ResolvedModules = HashMap::new();
    // Resolutions of each module's specifiers, once (modules in parallel).
    // A few modules (the editor's small workspaces) are resolved on this thread: waking the
    // pool's threads would cost more than the work.
    let parallel = modules.len() >= PARALLEL_MODULES;
    let specifiers: HashMap<(&str, &str), Option<String>> = match parallel {
        true => modules.par_iter().flat_map_iter(|m| module_specifiers(m, resolve)).collect(),
        false => modules.iter().flat_map(|m| module_specifiers(m, resolve)).collect(),
    };
    // The modules whose results each module's last evaluation read (itself, for a call of a
    // function of its own; those an imported name was looked up in): a module none of whose
    // read modules changed in the previous round would resolve exactly as before (a round is a
    // function of the values it reads), so it is not evaluated again. (Two modules of one key,
    // which the result cannot tell apart, are evaluated every round.)
    let mut reads: Vec<Vec<&str>> = vec![Vec::new(); modules.len()];
    let mut changed: HashSet<&str> = HashSet::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for m in modules {
        *seen.entry(m.key).or_default() += 1;
    }
    let unique: Vec<bool> = modules.iter().map(|m| seen[m.key] == 1).collect();
    for round in 0..MAX_ROUNDS {
        // Each round reads only the previous round's result: the modules resolve in parallel.
        // A module's functions resolved and the modules read, or `None` when not evaluated.
        type Evaluated<'k> = Option<(HashMap<String, Resolved>, Vec<&'k str>)>;
        let resolve_module = |((m, read), &unique): ((&ModuleSummaries<'a>, &Vec<&'a str>), &bool)| -> Evaluated<'a> {
            if skip && round > 0 && unique && !read.iter().any(|k| changed.contains(k)) {
                return None;
            }
            let read = std::cell::RefCell::new(Vec::new());
            let value = |key: &str, name: &str| result.get(key).and_then(|f| f.get(name)).copied();
            let oracle = |callee: &Callee| -> (Resolved, bool) {
                let value = match callee {
                    Callee::Builtin(kind) => Resolved { guard: Some(*kind), ..Resolved::default() },
                    Callee::Local(name) => {
                        read.borrow_mut().push(m.key);
                        result.get(m.key).and_then(|f| f.get(name)).copied().unwrap_or_default()
                    }
                    Callee::Global(_) => Resolved::default(),
                    Callee::Import { source, name, .. } => specifiers
                        .get(&(m.path, source.as_str()))
                        .cloned()
                        .flatten()
                        .and_then(|key| {
                            lookup_export_reading(&value, &by_key, &specifiers, &key, name, 0, &mut |k| {
                                read.borrow_mut().push(k)
                            })
                        })
                        .unwrap_or_default(),
                };
                (value, configured(callee))
            };
            let mut resolved: HashMap<String, Resolved> = HashMap::new();
            for (name, summary) in &m.summaries.functions {
                resolved.insert(name.clone(), resolve_summary(summary, &oracle));
            }
            let mut read = read.into_inner();
            read.sort_unstable();
            read.dedup();
            Some((resolved, read))
        };
        let evaluated: Vec<Evaluated<'a>> = match parallel {
            true => modules.par_iter().zip(&reads).zip(&unique).map(resolve_module).collect(),
            false => modules.iter().zip(&reads).zip(&unique).map(resolve_module).collect(),
        };
        let mut previous = std::mem::take(&mut result);
        changed.clear();
        for ((m, read), evaluated) in modules.iter().zip(reads.iter_mut()).zip(evaluated) {
            let resolved = match evaluated {
                Some((resolved, now_read)) => {
                    *read = now_read;
                    if previous.get(m.key) != Some(&resolved) {
                        changed.insert(m.key);
                    }
                    resolved
                }
                None => previous.remove(m.key).unwrap_or_default(),
            };
            result.insert(m.key.to_string(), resolved);
        }
        if changed.is_empty() {
            break;
        }
    }
    // Exports by exported name.
    let mut exported: ResolvedModules = HashMap::new();
    let value = |key: &str, name: &str| result.get(key).and_then(|f| f.get(name)).copied();
    for m in modules {
        exported.insert(m.key.to_string(), exported_names(m, &value, &by_key, &specifiers));
    }
    for (key, names) in exported {
        let entry = result.entry(key).or_default();
        for (name, r) in names {
            entry.insert(format!("export:{name}"), r);
        }
    }
    result
}

/// The resolutions of `m`'s exports by exported name (local exports, static methods of exported
/// classes, re-exports followed), given how each module's bindings resolve (`value`).
pub(crate) fn exported_names<'a>(
    m: &ModuleSummaries<'a>,
    value: &dyn Fn(&str, &str) -> Option<Resolved>,
    by_key: &HashMap<&'a str, &ModuleSummaries<'a>>,
    specifiers: &HashMap<(&str, &str), Option<String>>,
) -> HashMap<String, Resolved> {
    let mut names = HashMap::new();
    for (exported_name, local) in &m.summaries.exports {
        if let Some(r) = value(m.key, local) {
            names.insert(exported_name.clone(), r);
        }
    }
    // Static methods of exported classes: `Class.method` under the class's exported name.
    for (name, _) in &m.summaries.functions {
        let Some((class, method)) = name.split_once('.') else { continue };
        for (exported_name, local) in &m.summaries.exports {
            if local == class {
                if let Some(r) = value(m.key, name) {
                    names.insert(format!("{exported_name}.{method}"), r);
                }
            }
        }
    }
    for (exported_name, name, source) in &m.summaries.reexports {
        if exported_name == "*" {
            continue;
        }
        let target = specifiers.get(&(m.path, source.as_str())).cloned().flatten();
        if let Some(r) =
            target.as_ref().and_then(|key| lookup_export_reading(value, by_key, specifiers, key, name, 0, &mut |_| {}))
        {
            names.insert(exported_name.clone(), r);
        }
        // A re-exported class: its static methods (one level).
        let Some(module) = target.as_deref().and_then(|key| by_key.get(key)) else { continue };
        for (local_export, local) in &module.summaries.exports {
            if local_export != name {
                continue;
            }
            for (function, _) in &module.summaries.functions {
                let Some(method) = function.strip_prefix(local.as_str()).and_then(|r| r.strip_prefix('.')) else {
                    continue;
                };
                if let Some(r) = value(module.key, function) {
                    names.insert(format!("{exported_name}.{method}"), r);
                }
            }
        }
    }
    names
}

/// The import specifiers a module's summaries name (callees and re-exports), each resolved.
pub(crate) fn module_specifiers<'m>(
    m: &'m ModuleSummaries<'_>,
    resolve: &(dyn Fn(&str, &str) -> Option<String> + Sync),
) -> Vec<((&'m str, &'m str), Option<String>)> {
    let mut sources: Vec<&str> = Vec::new();
    for (_, summary) in &m.summaries.functions {
        for_each_callee(summary, &mut |c| {
            if let Callee::Import { source, .. } = c {
                sources.push(source.as_str());
            }
        });
    }
    sources.extend(m.summaries.reexports.iter().map(|(_, _, source)| source.as_str()));
    sources.sort_unstable();
    sources.dedup();
    sources.into_iter().map(|source| ((m.path, source), resolve(m.path, source))).collect()
}

/// An export's resolution: a local export, a named re-export or an `export *`, followed a few
/// levels deep, given how each module's bindings resolve (`value`: none for a module not
/// resolved yet or a name it does not bind); `read` is told the key of every module whose
/// result it reads.
pub(crate) fn lookup_export_reading<'a>(
    value: &dyn Fn(&str, &str) -> Option<Resolved>,
    by_key: &HashMap<&'a str, &ModuleSummaries<'a>>,
    specifiers: &HashMap<(&str, &str), Option<String>>,
    key: &str,
    name: &str,
    depth: u32,
    read: &mut dyn FnMut(&'a str),
) -> Option<Resolved> {
    if depth > 4 {
        return None;
    }
    let (&module_key, module) = by_key.get_key_value(key)?;
    read(module_key);
    if let Some((_, local)) = module.summaries.exports.iter().find(|(e, _)| e == name) {
        return value(key, local);
    }
    if let Some((class, method)) = name.split_once('.') {
        if let Some((_, local)) = module.summaries.exports.iter().find(|(e, _)| e == class) {
            return value(key, &format!("{local}.{method}"));
        }
    }
    let (head, member) = match name.split_once('.') {
        Some((class, method)) => (class, Some(method)),
        None => (name, None),
    };
    for (exported, original, source) in &module.summaries.reexports {
        if exported == name || exported == head || exported == "*" {
            let renamed;
            let wanted = match (exported == "*", member) {
                (true, _) => name,
                (false, Some(method)) => {
                    renamed = format!("{original}.{method}");
                    renamed.as_str()
                }
                (false, None) => original.as_str(),
            };
            let target = specifiers.get(&(module.path, source.as_str())).cloned().flatten()?;
            if let Some(found) = lookup_export_reading(value, by_key, specifiers, &target, wanted, depth + 1, read) {
                return Some(found);
            }
        }
    }
    None
}

pub(crate) fn for_each_callee<'s>(summary: &'s FnSummary, f: &mut dyn FnMut(&'s Callee)) {
    fn steps<'s>(list: &'s [Step], f: &mut dyn FnMut(&'s Callee)) {
        for step in list {
            match step {
                Step::Guard { callee, .. } => f(callee),
                Step::Return { from: Some(callee) } => f(callee),
                Step::Branch(bs) => bs.iter().for_each(|b| steps(b, f)),
                Step::Either(bs) => bs.iter().for_each(|(b, _)| steps(b, f)),
                _ => {}
            }
        }
    }
    steps(&summary.steps, f);
    if let Some(w) = &summary.wrapper {
        if let Some(d) = &w.delegate {
            f(d);
        }
        w.guard_args.iter().for_each(&mut *f);
        if let Some(inner) = &w.inner {
            steps(inner, f);
        }
    }
    if let Some(a) = &summary.alias {
        f(a);
    }
}
