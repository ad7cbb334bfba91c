//! Which TypeScript/JavaScript files a check need not parse: a lexical pre-scan of each file's
//! text, as Semgrep skips files that lack a rule's required literals.
//!
//! A file is **analysed** only when some enabled rule may report in it: each built-in TS/JS
//! rule declares a cheap *necessary* condition on the file's path and text next to its code
//! (`may_match` in its module), and [`Prefilter::needs_analysis`] asks them, plus
//! `baton-ignore` (an unused suppression is a finding) and the size past which a file is not
//! parsed (`meta/file-too-large`). A user query rule's condition is derived from its query
//! (`rules::user::condition`: the texts its predicates compare sure captures with, its path
//! predicates and filters) and asked the same way. A workspace with a built-in TS/JS rule without
//! a declared condition, or a user rule whose query gives none (it may match anywhere), gets no
//! prefilter ([`Prefilter::new`] is `None`). User rules read no other module's facts (their
//! predicates read the file's own imports), so they add nothing to [`Prefilter::needs_facts`].
//!
//! Two rules report calls of functions *another* module exports (`errors/floating-promise`:
//! async functions; `rls/supabase-service-role`: service-client factories), and
//! `rls/prisma-outside-context` is silent unless some file defines or imports an RLS wrapper.
//! [`WorkspaceScan`] reads every file's text once for those: a superset of the names a module
//! can export as async (or as a factory), found lexically, and whether any RLS wrapper can be
//! in use. A file that calls an imported name of that set becomes a candidate.
//!
//! The analysed files read other modules' facts (`ecma::Dependency`). The workspace layer
//! (`workspace::cached_check`) computes the facts of every module an analysed file's imports
//! reach, transitively, and of the files [`Prefilter::needs_facts`] names: the modules whose
//! facts are global (configured RLS wrappers, RLS contexts found in the code, the guard a
//! quick fix imports) and the re-exporting modules. docs/performance.md ("Session 13") argues
//! why the findings are those of a full check.
//!
//! Every test here is lexical and errs towards "may": a comment or a string that looks like
//! code makes a file a candidate, never the reverse.

use std::collections::HashSet;
use std::sync::LazyLock;

use rayon::prelude::*;
use regex::Regex;

use crate::config::Config;
use crate::rules;
use crate::syntax::MAX_FILE_SIZE;

/// A rule's necessary condition: `(path, text, config)` → whether it may report.
type Condition = fn(&str, &str, &Config) -> bool;

/// The built-in TS/JS rules and their conditions.
const CONDITIONS: &[(&str, Condition)] = &[
    ("errors/floating-promise", rules::errors::floating_promise::may_match),
    ("auth/route-missing-auth", rules::auth::route_missing_auth::may_match),
    ("auth/jwt-verify-no-algorithms", rules::auth::jwt_verify_no_algorithms::may_match),
    ("rls/prisma-outside-context", rules::rls::prisma_outside_context::may_match),
    ("rls/supabase-service-role", rules::rls::supabase_service_role::may_match),
    ("security/prisma-raw-unsafe", rules::security::prisma_raw_unsafe::may_match),
    ("patterns/dto-interface", rules::patterns::dto_interface::may_match),
    ("patterns/dto-type-assertion", rules::patterns::dto_type_assertion::may_match),
];

/// An identifier (JavaScript's, ASCII part).
const ID: &str = r"[A-Za-z_$][\w$]*";

fn regex(pattern: &str) -> Regex {
    Regex::new(&pattern.replace("{ID}", ID)).expect("valid regex")
}

/// A re-export: `export * from`, `export * as ns from`, `export { a as b } from`,
/// `export type { … } from`.
static REEXPORT: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"\bexport\s*(?:type\s*)?(?:\*|\{[^}]*\})\s*(?:as\s+[\w$]+\s*)?from\s*['"`]"#));

/// An export clause with or without a source: `export { a as b, c }`, `export type { … }`.
static EXPORT_CLAUSE: LazyLock<Regex> = LazyLock::new(|| regex(r"\bexport\s*(?:type\s*)?\{([^}]*)\}"));

/// `async function* name`.
static ASYNC_FUNCTION: LazyLock<Regex> = LazyLock::new(|| regex(r"\basync\s+function\s*\*?\s*({ID})"));

/// `async name(` / `async *name<T>(`: an async method (also `async #name(`).
static ASYNC_METHOD: LazyLock<Regex> = LazyLock::new(|| regex(r"\basync\s+\*?\s*#?({ID})\s*[(<]"));

/// `= async`: the value of a binding (its names are read back to the declaration keyword).
static ASSIGNED_ASYNC: LazyLock<Regex> = LazyLock::new(|| regex(r"(?:^|[^=!<>])=\s*async\b"));

/// `const`/`let`/`var` and the name right after it.
static DECLARED: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(?:const|let|var)\s+({ID})"));

/// `new Promise`.
static NEW_PROMISE: LazyLock<Regex> = LazyLock::new(|| regex(r"\bnew\s+Promise\b"));

/// `(async`: the start of an async function expression in parentheses (an IIFE's callee).
static PAREN_ASYNC: LazyLock<Regex> = LazyLock::new(|| regex(r"\(\s*async\b"));

/// `)(`: a call of a parenthesised expression.
static PAREN_CALL: LazyLock<Regex> = LazyLock::new(|| regex(r"\)\s*(?:\?\.\s*)?\("));

/// An import clause: `import CLAUSE from '…'` (also `import type`), across lines.
static IMPORT: LazyLock<Regex> = LazyLock::new(|| regex(r#"\bimport\s+(?:type\s+)?([^;'"]*?)\s*from\s*['"]"#));

/// `import x = require(`, `const x = require(`, `const { a, b: c } = require(`.
static REQUIRE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:\bimport|\bconst|\blet|\bvar)\s+(\{[^}]*\}|{ID})\s*=\s*require\s*\("));

/// `export default`, `as default`.
static EXPORT_DEFAULT: LazyLock<Regex> = LazyLock::new(|| regex(r"\bexport\s+default\b|\bas\s+default\b"));

/// Words that cannot be a called name's binding (reserved words and the contextual keywords
/// Baton's lexical tests meet before a name).
const RESERVED: &[&str] = &[
    "await",
    "return",
    "void",
    "yield",
    "throw",
    "new",
    "typeof",
    "delete",
    "function",
    "async",
    "case",
    "in",
    "of",
    "instanceof",
    "extends",
    "export",
    "const",
    "let",
    "var",
    "class",
    "interface",
    "type",
    "import",
    "from",
    "as",
    "static",
    "get",
    "set",
    "public",
    "private",
    "protected",
    "readonly",
    "declare",
    "enum",
    "implements",
    "keyof",
    "default",
];

/// The lexical pre-scan for one configuration.
pub struct Prefilter {
    /// The enabled rules' conditions, by rule id.
    conditions: Vec<(&'static str, Condition)>,
    /// The enabled user query rules' conditions, when there are any.
    user: Option<crate::rules::user::condition::Conditions>,
    /// Whether `errors/floating-promise` is enabled (it follows other modules' async exports).
    follows_async: bool,
    /// Whether `rls/supabase-service-role` is enabled (it follows service-client factories).
    follows_factories: bool,
    /// `rls.enforce`: the RLS rule reports without a wrapper in use.
    rls_enforced: bool,
    /// The configured RLS wrappers.
    rls_wrappers: Vec<String>,
    /// The guard the route rule's quick fix imports (`auth.fix_guard_function`), when the rule
    /// is enabled.
    guard: Option<String>,
}

/// How far the facts of a parsed file's imports are needed (ordered: each reaches at least what
/// the one before does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Its own facts only.
    Own,
    /// Its re-exports' sources, and the modules its never-rejecting exports' conditions name:
    /// what an export's async, never-rejects and service-client facts are assembled from.
    Reexports,
    /// Each imported module, at [`Reach::Reexports`]: what a rule reads of the modules a file
    /// imports from (async exports, never-rejecting ones, service-client factories).
    Imports,
    /// Every import, transitively: function summaries follow calls across modules.
    Calls,
}

/// What [`Prefilter::scan`] reads from every TS/JS text of the workspace.
#[derive(Debug, Default)]
pub struct WorkspaceScan {
    /// A superset of the names modules export as promise-returning functions: every local name
    /// declared `async` (or in a file with `new Promise`, every exported one), the names they are
    /// exported or re-exported under; `default` aside.
    pub async_names: HashSet<String>,
    /// Whether some module may export one as its default export.
    pub async_default: bool,
    /// A superset of the names modules export as service-client factories: every name exported
    /// by a module that imports a Supabase package, and the names they are re-exported under;
    /// `default` aside.
    pub factory_names: HashSet<String>,
    /// Whether some module may export one as its default export.
    pub factory_default: bool,
    /// Whether some file names a configured RLS wrapper or sets an RLS context (else no wrapper
    /// is in use and `rls/prisma-outside-context` is silent unless `rls.enforce`).
    pub rls_context_possible: bool,
}

impl Prefilter {
    /// The prefilter for `config`, or `None` when every TS/JS file must be analysed: an enabled
    /// user query rule's query gives no condition (and its `files` do not narrow it), or a
    /// built-in rule declares none.
    pub fn new(config: &Config) -> Option<Prefilter> {
        // Every user rule read, not only those whose query compiles (that would wait for the
        // compilation): a rule dropped later only makes more files analysed.
        let user_rules: Vec<&'static crate::rules::user::QueryRule> = config
            .user_rules
            .parsed_rules()
            .iter()
            .filter(|r| r.kinds.iter().any(|k| k.is_ecmascript()) && config.severity_of(r).is_some())
            .filter_map(|r| match r.matcher {
                rules::Matcher::UserQuery(q) => Some(q),
                _ => None,
            })
            .collect();
        let user = match user_rules.is_empty() {
            true => None,
            false => Some(crate::rules::user::condition::Conditions::new(&user_rules)?),
        };
        let mut conditions = Vec::new();
        for rule in rules::all().iter().filter(|r| r.kinds.iter().any(|k| k.is_ecmascript())) {
            if config.severity_of(rule).is_none() {
                continue;
            }
            let (id, condition) = CONDITIONS.iter().find(|(id, _)| *id == rule.id)?;
            conditions.push((*id, *condition));
        }
        let enabled = |id: &str| conditions.iter().any(|(c, _)| *c == id);
        let (follows_async, follows_factories) =
            (enabled("errors/floating-promise"), enabled("rls/supabase-service-role"));
        let guard = (enabled("auth/route-missing-auth") && !config.auth.fix_guard_function.is_empty())
            .then(|| config.auth.fix_guard_function.clone());
        Some(Prefilter {
            conditions,
            user,
            follows_async,
            follows_factories,
            rls_enforced: config.rls.enforce,
            rls_wrappers: config.rls.wrappers.clone(),
            guard,
        })
    }

    /// Why [`Prefilter::new`] gives no prefilter for `config`: the first enabled rule that may
    /// report in any file (for `BATON_PREFILTER_DEBUG`).
    pub fn off_because(config: &Config) -> Option<String> {
        let enabled_ecmascript =
            |r: &rules::Rule| r.kinds.iter().any(|k| k.is_ecmascript()) && config.severity_of(r).is_some();
        for rule in config.user_rules.parsed_rules().iter().filter(|r| enabled_ecmascript(r)) {
            if let rules::Matcher::UserQuery(q) = rule.matcher {
                if crate::rules::user::condition::Conditions::new([&q]).is_none() {
                    return Some(format!("{}: its query gives no condition (docs/user-rules.md)", rule.id));
                }
            }
        }
        rules::all()
            .iter()
            .filter(|r| enabled_ecmascript(r))
            .find(|r| !CONDITIONS.iter().any(|(id, _)| *id == r.id))
            .map(|r| format!("{}: declares no condition", r.id))
    }

    /// Reads every TS/JS text of the workspace, `(path, text)`, for [`WorkspaceScan`].
    pub fn scan<'a>(&self, files: &[(&'a str, &'a str)]) -> WorkspaceScan {
        let partial: Vec<(WorkspaceScan, Vec<(String, String)>)> = files
            .par_iter()
            .map(|(_, text)| {
                let aliases = if text.contains("export") { export_aliases(text) } else { Vec::new() };
                (self.scan_one(text), aliases)
            })
            .collect();
        let mut scan = WorkspaceScan::default();
        let mut clauses: Vec<(String, String)> = Vec::new();
        for (part, aliases) in partial {
            scan.async_names.extend(part.async_names);
            scan.factory_names.extend(part.factory_names);
            scan.async_default |= part.async_default;
            scan.factory_default |= part.factory_default;
            scan.rls_context_possible |= part.rls_context_possible;
            clauses.extend(aliases);
        }
        // Exported (or re-exported) under another name: `export { a as b }`, to a fixpoint.
        loop {
            let mut added = false;
            for (local, exported) in &clauses {
                for (names, default) in [
                    (&mut scan.async_names, &mut scan.async_default),
                    (&mut scan.factory_names, &mut scan.factory_default),
                ] {
                    if names.contains(local) || (local == "default" && *default) {
                        if exported == "default" {
                            added |= !*default;
                            *default = true;
                        } else {
                            added |= names.insert(exported.clone());
                        }
                    }
                }
            }
            if !added {
                break;
            }
        }
        scan
    }

    /// One file's contribution to the [`WorkspaceScan`] (aliases aside).
    fn scan_one(&self, text: &str) -> WorkspaceScan {
        let mut scan = WorkspaceScan {
            rls_context_possible: self.rls_wrappers.iter().any(|w| contains_word(text, w))
                || crate::engine::ecma::sets_rls_context(text),
            ..WorkspaceScan::default()
        };
        if self.follows_async && contains_word(text, "async") {
            scan.async_names.extend(local_async_candidates(text).into_iter().filter(|n| !is_reserved(n)));
            scan.async_default |= text.contains("default") && EXPORT_DEFAULT.is_match(text);
        }
        if self.follows_async && has_new_promise(text) {
            // `function f() { return new Promise(…) }`: every name the file exports.
            scan.async_names.extend(exported_names(text));
            scan.async_default |= EXPORT_DEFAULT.is_match(text);
        }
        if self.follows_factories && crate::engine::ecma::SUPABASE_MODULES.iter().any(|m| text.contains(m)) {
            scan.factory_names.extend(exported_names(text));
            scan.factory_default |= EXPORT_DEFAULT.is_match(text);
        }
        scan
    }

    /// True when the file at `path` with `text` must be parsed and analysed: some enabled rule
    /// may report in it, or it calls an imported name of `scan`, or it has a `baton-ignore`
    /// comment, or it is too large to parse (its notice is a finding).
    pub fn needs_analysis(&self, path: &str, text: &str, config: &Config, scan: &WorkspaceScan) -> bool {
        text.len() as u64 > MAX_FILE_SIZE
            || text.contains("baton-ignore")
            || self.conditions.iter().any(|(id, condition)| {
                if *id == "rls/prisma-outside-context" && !(self.rls_enforced || scan.rls_context_possible) {
                    return false;
                }
                condition(path, text, config)
            })
            || self.calls_interesting(path, text, scan)
            || self.user.as_ref().is_some_and(|user| user.may_match(path, text))
    }

    /// How far the facts of an analysed file's imports must be followed ([`Reach`]): every
    /// import transitively where the route rule may report (it reads function summaries,
    /// which follow calls across modules), else its imports and their re-exports.
    pub fn analysis_reach(&self, path: &str, text: &str, config: &Config) -> Reach {
        let route = self.conditions.iter().any(|(id, condition)| {
            *id == "auth/route-missing-auth" && (condition(path, text, config) || text.contains("baton-ignore"))
        });
        if route {
            Reach::Calls
        } else {
            Reach::Imports
        }
    }

    /// When the file's facts are read by analyses whatever they import, how far its own imports
    /// must be followed: it re-exports ([`Reach::Reexports`]), may export the quick fix's guard
    /// (whose summary follows calls: [`Reach::Calls`]), or names a configured RLS wrapper, sets
    /// an RLS context or imports the guard by name (its own facts: [`Reach::Own`]).
    pub fn needs_facts(&self, text: &str) -> Option<Reach> {
        let mut reach = None;
        // Its own facts: an RLS wrapper it defines or imports, an RLS context it sets, a built-in
        // guard it imports under its own name (where a quick fix imports the guard from).
        let imports_guard = self.guard.as_deref().is_some_and(|guard| {
            contains_word(text, guard) && lexical_imports(text).named.iter().any(|(i, l)| i == guard || l == guard)
        });
        if imports_guard
            || self.rls_wrappers.iter().any(|w| contains_word(text, w))
            || crate::engine::ecma::sets_rls_context(text)
        {
            reach = Some(Reach::Own);
        }
        if text.contains("export") && REEXPORT.is_match(text) {
            reach = Some(Reach::Reexports);
        }
        if let Some(guard) = self.guard.as_deref() {
            // A line with `export` that names the guard (`export { auth }`, `export const { auth,
            // handlers } = NextAuth(…)`, `export async function auth`): it may export it.
            let exports_guard = text.lines().any(|line| line.contains("export") && contains_word(line, guard))
                || (text.contains("export") && EXPORT_CLAUSE.captures_iter(text).any(|c| contains_word(&c[1], guard)));
            if exports_guard {
                reach = Some(Reach::Calls);
            }
        }
        reach
    }

    /// True when the text of a module reached at [`Reach::Reexports`] may give it facts that
    /// reach reads: an async export or a never-rejecting one (`async` or `new Promise`), a
    /// service-client factory (an import of a Supabase package), or a re-export. Otherwise
    /// those facts are empty and the module need not be parsed.
    pub fn may_export_facts(&self, text: &str) -> bool {
        contains_word(text, "async")
            || has_new_promise(text)
            || crate::engine::ecma::SUPABASE_MODULES.iter().any(|m| text.contains(m))
            || (text.contains("export") && REEXPORT.is_match(text))
    }

    /// True when the file calls a function another module may export as async (a call starting
    /// a statement) or as a service-client factory (any mention), by its imported name, through
    /// a namespace import, or as a default import.
    fn calls_interesting(&self, path: &str, text: &str, scan: &WorkspaceScan) -> bool {
        let follows_async = self.follows_async && !crate::engine::ecma::is_test_path(path) && !path.contains(".min.");
        let follows_factories = self.follows_factories;
        if !(follows_async || follows_factories) || !(text.contains("import") || text.contains("require")) {
            return false;
        }
        let imports = lexical_imports(text);
        for (imported, local) in &imports.named {
            if follows_async && scan.async_names.contains(imported) && starts_statement(text, local, Follow::Call) {
                return true;
            }
            if follows_factories && scan.factory_names.contains(imported) {
                return true;
            }
        }
        for namespace in &imports.namespaces {
            for (member, at) in members_of(text, namespace) {
                let calls = follows_async
                    && (scan.async_names.contains(member) || (member == "default" && scan.async_default))
                    && statement_starts_at(text, at);
                if calls || (follows_factories && (scan.factory_names.contains(member) || member == "default")) {
                    return true;
                }
            }
        }
        for local in &imports.defaults {
            if follows_async && scan.async_default && starts_statement(text, local, Follow::Call) {
                return true;
            }
            if follows_factories && scan.factory_default && contains_word(text, local) {
                return true;
            }
        }
        false
    }
}

/// True when `word` occurs in `text` as a whole identifier (not inside a longer one: `then` is
/// not in `authentication`).
pub fn contains_word(text: &str, word: &str) -> bool {
    word_occurrences(text, word).next().is_some()
}

/// The byte offsets of `word`'s whole-identifier occurrences in `text`.
fn word_occurrences<'t>(text: &'t str, word: &'t str) -> impl Iterator<Item = usize> + 't {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, word.as_bytes()).filter(move |&at| {
        let end = at + word.len();
        !word.is_empty()
            && (at == 0 || !is_word_byte(bytes[at - 1]))
            && (end == bytes.len() || !is_word_byte(bytes[end]))
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_reserved(word: &str) -> bool {
    RESERVED.contains(&word)
}

/// What follows a name for [`starts_statement`] to count it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// A call: `(`, `?.`, `<` (type arguments), or a template (tagged).
    Call,
    /// A member: `.`, `?.`, `!` (non-null), `[`.
    Member,
}

/// True when some whole-word occurrence of `name` in `text` may be the head of an expression
/// statement (see [`statement_starts_at`]) and is followed as `follow` says; an occurrence
/// after `this.` (or `this.#`) counts where `this` starts the statement.
pub fn starts_statement(text: &str, name: &str, follow: Follow) -> bool {
    word_occurrences(text, name).any(|at| {
        let after = text[at + name.len()..].trim_start();
        let followed = match follow {
            Follow::Call => after.starts_with(['(', '<', '`']) || after.starts_with("?."),
            Follow::Member => after.starts_with(['.', '!', '[']) || after.starts_with("?."),
        };
        followed && statement_starts_at(text, at)
    })
}

/// True when an expression starting at byte `at` may be the start of an expression statement:
/// first on its line, or after `;`, `)`, `]`, `}`, a block's `{`, `:` (a `case` or a label), a
/// quote or `/` (a comment's end), or a word that is not an operator keyword (`else`, `do`,
/// automatic semicolon insertion). Not after `=`, `(`, `,`, an operator, `await`, `return`,
/// `void`, … . `this.x` and `this.#x` are judged at `this`.
pub fn statement_starts_at(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..at].trim_end();
    let Some(last) = before.chars().next_back() else { return true };
    let member_of = |before: &str| {
        // `object.name`: judged at the object when it is a plain name (`this`, a namespace).
        let object = before.trim_end_matches(['.', '?', '#']).trim_end();
        let word_start = word_start(object);
        if word_start == object.len() {
            return true; // `).x`, `].x`: unknown head, may be a statement.
        }
        statement_starts_at(text, line_start + word_start)
    };
    match last {
        '.' | '#' => member_of(before),
        '?' if before.ends_with("?.") => member_of(before),
        ';' | ')' | ']' | '}' | ':' | '"' | '\'' | '`' | '/' => true,
        '{' => {
            // A block may follow anything but an operator, `(`, `,`, `[` or `=` (an object
            // literal or a JSX attribute) and a template's `${`; after a type (`): Promise<T> {`,
            // `): T[] {`, `): "a" | "b" {`) or a JSX tag (`<p>{`) it may be a body.
            let head = before[..before.len() - 1].trim_end();
            match head.chars().next_back() {
                None => true,
                Some(_) if head.ends_with("=>") => true,
                Some(c) => !matches!(
                    c,
                    '=' | '(' | ',' | '[' | '$' | '?' | '!' | '+' | '-' | '*' | '%' | '&' | '|' | '^' | '~' | '<'
                ),
            }
        }
        c if is_word_char(c) => !is_reserved(&before[word_start(before)..]),
        _ => false,
    }
}

/// Where the word (letters, digits, `_`, `$`) that ends `text` starts: a byte index on a
/// character boundary (the character before it may take several bytes).
fn word_start(text: &str) -> usize {
    match text.char_indices().rev().find(|(_, c)| !is_word_char(*c)) {
        Some((i, c)) => i + c.len_utf8(),
        None => 0,
    }
}

/// The word (letters, digits, `_`, `$`) that starts `text`; empty when there is none.
fn leading_word(text: &str) -> &str {
    &text[..text.find(|c: char| !is_word_char(c)).unwrap_or(text.len())]
}

/// A character of an identifier-like word: a letter or digit (any script), `_` or `$`.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// True when the text has `new Promise`.
pub fn has_new_promise(text: &str) -> bool {
    text.contains("Promise") && NEW_PROMISE.is_match(text)
}

/// True when the text may call an async function expression in place: `(async … )(`.
pub fn has_async_iife(text: &str) -> bool {
    PAREN_ASYNC.is_match(text) && PAREN_CALL.is_match(text)
}

/// `names` and the local names they are imported under (`import { prisma as db }`,
/// `const { prisma: db } = require(…)`).
pub fn with_import_aliases(text: &str, names: &[String]) -> Vec<String> {
    let mut all: Vec<String> = names.iter().filter(|n| !n.is_empty()).cloned().collect();
    for name in names.iter().filter(|n| !n.is_empty()) {
        for at in word_occurrences(text, name) {
            let after = text[at + name.len()..].trim_start();
            let rest = match after.strip_prefix("as") {
                Some(rest) if rest.starts_with(|c: char| c.is_whitespace()) => rest.trim_start(),
                _ => match after.strip_prefix(':') {
                    Some(rest) => rest.trim_start(),
                    None => continue,
                },
            };
            let alias = leading_word(rest);
            if !alias.is_empty() {
                all.push(alias.to_string());
            }
        }
    }
    all
}

/// A superset of the names a file of text with `async` may declare as promise-returning
/// functions or methods: every `async function` and `async` method name, and every name of a
/// declaration whose value may be async (`const f = async …`, `const f: T = async …`; all
/// names from its `const`/`let`/`var`, or its line, to the `=`).
pub fn local_async_candidates(text: &str) -> Vec<String> {
    let mut names: Vec<String> = ASYNC_FUNCTION.captures_iter(text).map(|c| c[1].to_string()).collect();
    names.extend(ASYNC_METHOD.captures_iter(text).map(|c| c[1].to_string()));
    for m in ASSIGNED_ASYNC.find_iter(text) {
        let equals = m.start() + m.as_str().find('=').unwrap_or(0);
        let head = &text[..equals];
        // Back to the declaration keyword (within a few lines), else to the line's start.
        let window_start = head.len().saturating_sub(400);
        let window_start = (window_start..=head.len()).find(|i| head.is_char_boundary(*i)).unwrap_or(head.len());
        let from = DECLARED
            .find_iter(&head[window_start..])
            .last()
            .map(|d| window_start + d.start())
            .unwrap_or_else(|| head.rfind('\n').map_or(0, |i| i + 1));
        names.extend(words(&head[from..]).filter(|w| !is_reserved(w)).map(str::to_string));
    }
    names.retain(|n| !is_reserved(n));
    names.sort();
    names.dedup();
    names
}

/// A superset of the names a file exports: every word of its export statements' heads and
/// export clauses.
fn exported_names(text: &str) -> Vec<String> {
    static EXPORT_HEAD: LazyLock<Regex> = LazyLock::new(|| {
        regex(r"\bexport\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:function\s*\*?|const|let|var|class)\s*({ID})")
    });
    let mut names: Vec<String> = EXPORT_HEAD.captures_iter(text).map(|c| c[1].to_string()).collect();
    for clause in EXPORT_CLAUSE.captures_iter(text) {
        names.extend(words(&clause[1]).filter(|w| !is_reserved(w)).map(str::to_string));
    }
    // `export const a = 1, b = …`: every declared name of the file (a superset).
    if text.contains("export") {
        names.extend(DECLARED.captures_iter(text).map(|c| c[1].to_string()));
    }
    names
}

/// `(local, exported)` of every export clause entry: `export { a as b }` gives `(a, b)`.
fn export_aliases(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for clause in EXPORT_CLAUSE.captures_iter(text) {
        for entry in clause[1].split(',') {
            let entry: Vec<&str> = words(entry).filter(|w| *w != "type").collect();
            if let [local, "as", exported] = entry.as_slice() {
                out.push((local.to_string(), exported.to_string()));
            }
        }
    }
    if text.contains("default") {
        // `export default name`: the name is exported as `default`.
        static DEFAULT_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"\bexport\s+default\s+({ID})\s*[;\n]"));
        out.extend(DEFAULT_NAME.captures_iter(text).map(|c| (c[1].to_string(), "default".to_string())));
    }
    out
}

/// The identifier-like words of `text` (comments and strings included: a superset).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty())
}

/// A file's imports, read lexically.
#[derive(Debug, Default)]
struct LexicalImports {
    /// `(imported, local)` of named imports and destructured `require`s.
    named: Vec<(String, String)>,
    /// Namespace imports' local names.
    namespaces: Vec<String>,
    /// Default imports' local names (and `const x = require(…)`).
    defaults: Vec<String>,
}

/// The imports of `text`. A clause with a comment in it counts each of its words as a named
/// import under itself, a namespace and a default import.
fn lexical_imports(text: &str) -> LexicalImports {
    let mut imports = LexicalImports::default();
    let add_clause = |clause: &str, imports: &mut LexicalImports, required: bool| {
        if clause.contains('/') {
            for w in words(clause) {
                imports.named.push((w.to_string(), w.to_string()));
                imports.namespaces.push(w.to_string());
                imports.defaults.push(w.to_string());
            }
            return;
        }
        let mut rest = clause.to_string();
        if let (Some(open), Some(close)) = (clause.find('{'), clause.rfind('}')) {
            for entry in clause[open + 1..close].split(',') {
                let entry: Vec<&str> = words(entry).filter(|w| *w != "type").collect();
                match entry.as_slice() {
                    [imported, "as", local] => imports.named.push((imported.to_string(), local.to_string())),
                    [imported, local] if required => imports.named.push((imported.to_string(), local.to_string())),
                    [name] => imports.named.push((name.to_string(), name.to_string())),
                    // Anything else (a nested pattern): every word, under itself.
                    other => imports.named.extend(other.iter().map(|w| (w.to_string(), w.to_string()))),
                }
            }
            rest = format!("{}{}", &clause[..open], &clause[close + 1..]);
        }
        if let Some(star) = rest.find('*') {
            imports.namespaces.extend(words(&rest[star..]).filter(|w| *w != "as").map(str::to_string));
            rest.truncate(star);
        }
        imports.defaults.extend(words(&rest).filter(|w| *w != "type").map(str::to_string));
    };
    if text.contains("import") {
        for clause in IMPORT.captures_iter(text) {
            add_clause(&clause[1], &mut imports, false);
        }
    }
    if text.contains("require") {
        for clause in REQUIRE.captures_iter(text) {
            add_clause(&clause[1], &mut imports, true);
        }
    }
    imports
}

/// `namespace.member` occurrences: each member and the offset of the namespace.
fn members_of<'t>(text: &'t str, namespace: &'t str) -> impl Iterator<Item = (&'t str, usize)> + 't {
    word_occurrences(text, namespace).filter_map(move |at| {
        let after = &text[at + namespace.len()..];
        let rest = after.trim_start().strip_prefix("?.").or_else(|| after.trim_start().strip_prefix('.'))?;
        let member = leading_word(rest.trim_start());
        (!member.is_empty()).then_some((member, at))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::default()
    }

    fn scan_of(files: &[(&str, &str)]) -> WorkspaceScan {
        Prefilter::new(&config()).unwrap().scan(files)
    }

    fn needs(path: &str, text: &str) -> bool {
        let config = config();
        let p = Prefilter::new(&config).unwrap();
        p.needs_analysis(path, text, &config, &WorkspaceScan::default())
    }

    #[test]
    fn text_with_multibyte_characters_before_a_name_is_read_without_panicking() {
        // A fullwidth parenthesis (3 bytes, not a letter) right before a statement's head, and a
        // CJK letter (a word character) before another.
        let text = "async function save() {}\nfunction f() {\n  // 活跃（见\n  （save();\n  活save();\n}\n";
        assert!(!statement_starts_at(text, text.find("（save").unwrap() + "（".len()));
        assert!(statement_starts_at(text, text.find("活save").unwrap() + "活".len()));
        assert_eq!(word_start("a（bc"), "a（".len());
        assert_eq!(word_start("x 活跃"), 2);
        // The shape that panicked on a real repository: a word after non-ASCII text in a comment.
        assert!(needs("src/a.ts", "async function save() {}\nfunction f() {\n  // 输入（见 save();\n}\n"));
    }

    #[test]
    fn conditions_of_the_default_rules() {
        assert!(needs("src/a.ts", "p.then(x)"));
        assert!(needs("src/a.ts", "p\n  .then(x)"));
        assert!(needs("src/a.ts", "function f() { return new Promise((r) => r(1)); }"));
        assert!(needs("src/a.ts", "async function f() {}\nexport function g() {\n  f();\n}\n"));
        assert!(needs("src/a.ts", "const f: Fn = async () => {};\nfunction g() { if (x) f(); }\n"));
        assert!(needs("src/a.ts", "class A {\n  async run() {}\n  go() { this.run(); }\n}\n"));
        assert!(needs("src/a.ts", "(async () => {\n  await x;\n})();\n"));
        assert!(needs("src/a.ts", "function f() {\n  fetch(\"/x\");\n}\n"));
        assert!(needs("src/a.ts", "function f() {\n  db.user.create({});\n}\n"));
        assert!(needs(
            "src/a.ts",
            "import { prisma as client } from './db';\nfunction f() {\n  client.user.create({});\n}\n"
        ));
        assert!(needs("app/api/x/route.ts", "export function GET() {}"));
        assert!(needs("src/pages/api/x.ts", "export default function h() {}"));
        assert!(needs("src/actions.ts", "'use server';\nexport function f() {}"));
        assert!(needs("src/a.ts", "// baton-ignore errors/floating-promise: ok"));
        assert!(needs("src/a.ts", "type UserDto = { id: string }"));
        assert!(needs("src/a.ts", "const k = process.env.NEXT_PUBLIC_X"));
        assert!(needs("src/a.ts", "import jwt from 'jsonwebtoken';\njwt.verify(t, k)"));
        // Near misses: every async call awaited or used as a value; words inside longer ones.
        assert!(!needs(
            "src/a.ts",
            "async function f() {}\nexport async function g() {\n  await f();\n  return f();\n}\n"
        ));
        assert!(!needs("src/a.ts", "const authentication = dbUrl;\nconst prefetched = 1;"));
        assert!(!needs("src/a.ts", "export const x = async () => {};\nconst y = <div onClick={x} />;"));
        assert!(!needs("src/a.ts", "otp.verify(code)"));
        assert!(!needs("src/components/card.tsx", "import { Button } from './button';\nexport function Card() {}\n"));
        // A test file's floating promises are never reported.
        assert!(!needs("src/a.test.ts", "function f() {\n  fetch(\"/x\");\n}\n"));
    }

    #[test]
    fn statement_starts() {
        let at = |text: &str, word: &str| statement_starts_at(text, text.find(word).unwrap());
        assert!(at("f();", "f"));
        assert!(at("x = 1\nf()", "f"));
        assert!(at("if (a) f()", "f"));
        assert!(at("case 1: f(); break;", "f"));
        assert!(at("else f()", "f"));
        assert!(at("() => { f() }", "f"));
        assert!(at("function g(): Promise<void> { f() }", "f"));
        assert!(at("function g(): string[] { f() }", "f"));
        assert!(at("function g(): \"a\" | \"b\" { f() }", "f"));
        assert!(at("function g() { f() }", "f"));
        assert!(at("/* c */ f()", "f"));
        assert!(at("{ this.f() }", "f"));
        assert!(at("x;\nns.f()", "f"));
        assert!(!at("await f()", "f"));
        assert!(!at("return f()", "f"));
        assert!(!at("void f()", "f"));
        assert!(!at("const x = f()", "f"));
        assert!(!at("g(f())", "f"));
        assert!(!at("a && f()", "f"));
        assert!(!at("() => f()", "f"));
        assert!(!at("<a onClick={f()} />", "f"));
        assert!(!at("`${f()}`", "f"));
        assert!(!at("x = { a: 1, b: await f() }", "f"));
        assert!(!at("await ns.f()", "f"));
    }

    #[test]
    fn user_rules_give_conditions_or_turn_the_prefilter_off() {
        let with = |query: &str| {
            let file = crate::rules::user::RuleFile {
                path: ".baton/rules/r.toml".into(),
                text: format!("message = \"m\"\nquery = '''\n{query}\n'''\n"),
                query_file: None,
            };
            Config {
                user_rules: std::sync::Arc::new(crate::rules::user::UserRules::from_files(vec![file])),
                ..Config::default()
            }
        };
        let config = with("((call_expression function: (identifier) @f) @match (#eq? @f \"legacyCall\"))");
        let p = Prefilter::new(&config).unwrap();
        let scan = WorkspaceScan::default();
        assert!(p.needs_analysis("src/a.ts", "legacyCall(1);", &config, &scan));
        assert!(!p.needs_analysis("src/a.ts", "modernCall(1);", &config, &scan));
        assert_eq!(Prefilter::off_because(&config), None);
        let config = with("(call_expression) @match");
        assert!(Prefilter::new(&config).is_none());
        assert_eq!(
            Prefilter::off_because(&config).unwrap(),
            "project/r: its query gives no condition (docs/user-rules.md)"
        );
    }

    #[test]
    fn a_rule_turned_off_drops_its_condition() {
        let config =
            Config::parse("[rules]\n\"errors/floating-promise\" = \"off\"\n", Some(std::path::Path::new("baton.toml")))
                .unwrap();
        let p = Prefilter::new(&config).unwrap();
        assert!(!p.needs_analysis(
            "src/a.ts",
            "function f() {\n  fetch(\"/x\");\n}\n",
            &config,
            &WorkspaceScan::default()
        ));
    }

    #[test]
    fn the_rls_rule_needs_a_possible_context() {
        let config = config();
        let p = Prefilter::new(&config).unwrap();
        let text = "export async function count() {\n  return prisma.user.count();\n}\n";
        assert!(!p.needs_analysis("src/a.ts", text, &config, &scan_of(&[("src/a.ts", text)])));
        let wrapper = "export async function withUserContext() {}";
        let scan = scan_of(&[("src/a.ts", text), ("src/w.ts", wrapper)]);
        assert!(scan.rls_context_possible);
        assert!(p.needs_analysis("src/a.ts", text, &config, &scan));
    }

    #[test]
    fn reexports_and_global_names_need_facts() {
        let p = Prefilter::new(&config()).unwrap();
        let reach = |text: &str| p.needs_facts(text);
        assert_eq!(reach("export { send as sendMail } from './send';"), Some(Reach::Reexports));
        assert_eq!(reach("export {\n  a,\n  b as c,\n} from \"./x\""), Some(Reach::Reexports));
        assert_eq!(reach("export * from './x'"), Some(Reach::Reexports));
        assert_eq!(reach("export * as ns from './x'"), Some(Reach::Reexports));
        assert_eq!(reach("export type { A } from './x'"), Some(Reach::Reexports));
        assert_eq!(reach("import { withUserContext } from './ctx'"), Some(Reach::Own));
        assert_eq!(reach("import { auth } from '@/auth'"), Some(Reach::Own));
        assert_eq!(reach("import { auth as a } from '@/auth'"), Some(Reach::Own));
        assert_eq!(reach("const { auth } = require('./auth');"), Some(Reach::Own));
        assert_eq!(reach("import NextAuth from 'next-auth';\nconst x = session.auth;"), None);
        assert_eq!(reach("export const { auth, handlers } = NextAuth({});"), Some(Reach::Calls));
        assert_eq!(reach("async function auth() {}\nexport {\n  auth,\n};"), Some(Reach::Calls));
        assert_eq!(reach("export { a };\nimport { b } from './b';\nconst authorized = 1;"), None);
    }

    #[test]
    fn modules_without_async_factories_or_reexports_export_no_facts() {
        let p = Prefilter::new(&config()).unwrap();
        assert!(p.may_export_facts("export async function f() {}"));
        assert!(p.may_export_facts("export function f() { return new Promise(() => {}); }"));
        assert!(p.may_export_facts("import { createClient } from '@supabase/supabase-js';"));
        assert!(p.may_export_facts("export * from './x';"));
        assert!(!p.may_export_facts("export function f() { return asyncish; }"));
    }

    #[test]
    fn whole_words_only() {
        assert!(contains_word("p.then(x)", "then"));
        assert!(contains_word("then", "then"));
        assert!(!contains_word("authentication", "then"));
        assert!(!contains_word("const dbUrl = 1", "db"));
        assert!(contains_word("await db.user.findMany()", "db"));
        assert!(!contains_word("$db.x", "db"));
        assert!(!contains_word("x", ""));
    }

    #[test]
    fn async_names_follow_renames_and_defaults() {
        let scan = scan_of(&[
            ("lib/send.ts", "export async function send() {}\nexport function format() {}\n"),
            ("lib/index.ts", "export { send as sendMail } from './send';\n"),
            ("lib/load.ts", "const load = async () => {};\nexport default load;\n"),
        ]);
        assert!(scan.async_names.contains("send") && scan.async_names.contains("sendMail"), "{scan:?}");
        assert!(!scan.async_names.contains("format"), "{scan:?}");
        assert!(scan.async_default, "{scan:?}");
        let factories = scan_of(&[(
            "lib/admin.ts",
            "import { createClient } from '@supabase/supabase-js';\nexport function admin() {}\n",
        )]);
        assert!(factories.factory_names.contains("admin"), "{factories:?}");
    }

    #[test]
    fn callers_of_interesting_names() {
        let config = config();
        let p = Prefilter::new(&config).unwrap();
        let scan = WorkspaceScan {
            async_names: ["sendMail".to_string()].into(),
            async_default: true,
            factory_names: ["admin".to_string()].into(),
            ..WorkspaceScan::default()
        };
        let calls = |text: &str| p.needs_analysis("src/c.ts", text, &config, &scan);
        assert!(calls("import { sendMail } from '@acme/email';\nfunction f() {\n  sendMail(x);\n}"));
        assert!(calls("import { sendMail as s } from '@acme/email';\nfunction f() {\n  s(x);\n}"));
        assert!(calls("import * as mail from '@acme/email';\nfunction f() {\n  mail.sendMail(x);\n}"));
        assert!(calls("import load from './load';\nfunction f() { load(); }"));
        assert!(calls("const load = require('./load');\nfunction f() {\n  load?.()\n}"));
        assert!(calls("const { sendMail } = require('./mail');\nsendMail()"));
        assert!(calls("import { admin } from './admin';\nconst c = admin();"));
        // Awaited, returned, or not imported: no.
        assert!(!calls("import { sendMail } from '@acme/email';\nfunction f() {\n  return sendMail(x);\n}"));
        assert!(!calls("import load from './load';\nconst handlers = [load];"));
        assert!(!calls("function sendMail() {}\nsendMail();"));
        assert!(!calls("import { sendMails } from '@acme/email';\nsendMails();"));
    }
}
