//! User rules: a team's own conventions as rules (`.baton/rules/**/*.toml`, docs/user-rules.md).
//!
//! A rule file declares one rule, `project/<name>`: either a tree-sitter query over
//! TypeScript/JavaScript (inline or a `.scm` file beside it) with the predicates of
//! [`predicates`], a message with `{capture}` substitution and an optional fix template, or a
//! declarative check over the replayed migrations ([`schema`]). Rule files are data: nothing in
//! them runs a program, so they are active in untrusted workspaces too.
//!
//! Parsing is pure ([`UserRules::from_files`]); the workspace layer reads the files
//! ([`crate::workspace::user_rules`]). Parsed rules become `&'static Rule`s like the built-ins:
//! each distinct rule file is leaked once per process (interned by content), so reloading an
//! unchanged file costs nothing and an edited one a few kilobytes. The query rules compile with
//! the built-ins into one query per grammar ([`UserRules::query_set`]), so a file is still
//! matched in one pass.

pub mod condition;
pub mod examples;
mod file;
pub mod predicates;
pub mod schema;
pub mod shapes;

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Mutex, OnceLock, RwLock};

use super::query_set::QuerySet;
use super::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

pub use file::{Example, ExampleKind, FixTemplate, QueryRule};

/// The namespace of user rule ids.
pub const NAMESPACE: &str = "project";

/// The default folder of rule files, relative to the workspace root.
pub const DEFAULT_FOLDER: &str = ".baton/rules";

/// One rule file as read from disk: its workspace-relative path, its text, and the text of the
/// `.scm` file it names, when it names one and that file could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFile {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    /// The TOML text.
    pub text: String,
    /// The query file beside it: workspace-relative path and text (or why it is missing).
    pub query_file: Option<(String, Result<String, String>)>,
}

/// A problem with a rule file, reported as `meta/config` at `path` (the rule file or its
/// `.scm`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Workspace-relative path of the file at fault.
    pub path: String,
    /// Byte range in that file.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
}

/// A declarative schema rule ([`schema`]).
pub use schema::SchemaRule;

/// The user rules of one workspace.
///
/// Parsing the rule files is cheap and done at once; compiling the query rules with the
/// built-ins (which is also how a query is validated: a rule whose query does not compile is
/// dropped with a problem) costs tens of milliseconds per grammar, so it runs once, on first
/// need or on the background thread [`UserRules::start`] spawns when the rule files are read,
/// overlapping with the walk and the file reads. [`UserRules::rules`] and
/// [`UserRules::problems`] wait for it; the schema rules and [`UserRules::query_set`] of a grammar
/// without user queries never do.
#[derive(Default)]
pub struct UserRules {
    /// Every rule parsed from a rule file, first definition of an id wins, sorted by id.
    parsed: Vec<&'static Rule>,
    /// Problems found before compiling: rule files that do not parse, duplicate ids, and the
    /// configuration problems [`UserRules::add_config_problems`] adds.
    early_problems: Vec<Problem>,
    /// The texts of the rule files and their query files, by path (for rendering problems).
    texts: Vec<(String, String)>,
    /// A digest of every input, for the analysis cache key and change detection.
    digest: String,
    /// The outcome of compiling the query rules.
    compiled: OnceLock<Compiled>,
    /// Whether [`UserRules::start`] spawned the compilation.
    started: std::sync::atomic::AtomicBool,
    /// Whether [`UserRules::prepare`] spawned the compilation of a grammar, by slot.
    started_kinds: [std::sync::atomic::AtomicBool; 3],
}

/// The query rules compiled with the built-ins.
struct Compiled {
    /// The rules that loaded, sorted by id.
    rules: Vec<&'static Rule>,
    /// Every problem found validating, sorted by path and position.
    problems: Vec<Problem>,
    /// The combined query per grammar (built-ins plus user queries), compiled on first use.
    sets: [OnceLock<Option<QuerySet>>; 3],
    /// Problems found compiling a grammar after validation (a pattern that only that grammar
    /// rejects): the rule is not applied to that grammar's files.
    late: Mutex<Vec<Problem>>,
}

impl fmt::Debug for UserRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserRules({})", self.digest)
    }
}

impl PartialEq for UserRules {
    fn eq(&self, other: &Self) -> bool {
        self.digest == other.digest && self.early_problems == other.early_problems
    }
}

impl UserRules {
    /// Parses rule files. Every problem is collected; the rules without one are kept. The
    /// queries are compiled later ([`UserRules::start`], or on first need).
    pub fn from_files(files: Vec<RuleFile>) -> UserRules {
        let mut hasher = blake3::Hasher::new();
        let mut parsed: Vec<&'static Rule> = Vec::new();
        let mut problems = Vec::new();
        let mut texts = Vec::new();
        for file in &files {
            for part in [&file.path, &file.text] {
                hasher.update(&(part.len() as u64).to_le_bytes());
                hasher.update(part.as_bytes());
            }
            if let Some((path, text)) = &file.query_file {
                hasher.update(path.as_bytes());
                hasher.update(format!("{text:?}").as_bytes());
            }
            match intern(file) {
                Ok(rule) => {
                    if let Some(first) = parsed.iter().find(|r| r.id == rule.id) {
                        let path = defined_in(first).unwrap_or_default();
                        problems.push(Problem {
                            path: file.path.clone(),
                            range: 0..0,
                            message: format!("rule `{}` is already defined in {path}", rule.id),
                        });
                    } else {
                        parsed.push(rule);
                    }
                }
                Err(found) => problems.extend(found),
            }
            texts.push((file.path.clone(), file.text.clone()));
            if let Some((path, Ok(text))) = &file.query_file {
                texts.push((path.clone(), text.clone()));
            }
        }
        parsed.sort_by_key(|r| r.id);
        // Schema rules need no compilation: findable at once (findings carry only the id).
        let schema: Vec<&'static Rule> =
            parsed.iter().copied().filter(|r| matches!(r.matcher, Matcher::UserSchema(_))).collect();
        register(&schema);
        texts.sort();
        texts.dedup_by(|a, b| a.0 == b.0);
        let digest = if files.is_empty() { String::new() } else { hasher.finalize().to_hex().to_string() };
        UserRules { parsed, early_problems: problems, texts, digest, ..UserRules::default() }
    }

    /// Validates the query rules, once; every caller waits for the one validation.
    ///
    /// A rule is validated in one grammar, TypeScript when it applies to it (else the first of
    /// its languages): syntax, captures, predicates, `@match` and placeholders are the same in
    /// every grammar, and the query that validates is the combined set that grammar's files are
    /// matched with. The other grammars are compiled when a file of theirs needs them
    /// ([`UserRules::query_set`]); what only they reject is then reported too
    /// ([`UserRules::problems_for`]). docs/user-rules.md, "Validation".
    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            let mut rules = self.parsed.clone();
            let mut problems = self.early_problems.clone();
            let mut kinds: Vec<FileKind> = Vec::new();
            for rule in &rules {
                if let Matcher::UserQuery(_) = rule.matcher {
                    let kind =
                        if rule.kinds.contains(&FileKind::TypeScript) { FileKind::TypeScript } else { rule.kinds[0] };
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
            }
            // Queries are compiled together, once per grammar; a rule with a problem is dropped.
            let (mut failed, built) = file::validate(&rules, &kinds);
            failed.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
            failed.dedup_by_key(|(i, _)| *i);
            for (i, found) in failed {
                rules.remove(i);
                problems.extend(found);
            }
            register(&rules);
            problems.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
            let sets: [OnceLock<Option<QuerySet>>; 3] = Default::default();
            for (kind, set) in built {
                if let Some(slot) = QuerySet::slot(kind) {
                    let _ = sets[slot].set(Some(set));
                }
            }
            Compiled { rules, problems, sets, late: Mutex::new(Vec::new()) }
        })
    }

    /// Starts validating the query rules on a background thread, once (a no-op without query
    /// rules): called when the rule files are read, so the compilation overlaps with the walk.
    pub fn start(self: &std::sync::Arc<Self>) {
        if self.compiled.get().is_some() || !self.parsed.iter().any(|r| matches!(r.matcher, Matcher::UserQuery(_))) {
            return;
        }
        if !self.started.swap(true, std::sync::atomic::Ordering::Relaxed) {
            let this = self.clone();
            std::thread::spawn(move || {
                this.compiled();
            });
        }
    }

    /// The rules that loaded, sorted by id (waits for the queries' validation).
    pub fn rules(&self) -> &[&'static Rule] {
        &self.compiled().rules
    }

    /// What went wrong in rule files, sorted by path and position (a broken file never stops
    /// the others), with every grammar a query rule applies to compiled: for `baton rules`,
    /// `rules test` and the editor.
    pub fn problems(&self) -> Vec<Problem> {
        self.problems_for(crate::rules::ECMASCRIPT)
    }

    /// [`UserRules::problems`] with only the grammars of `kinds` compiled beyond validation (the
    /// grammars of the files a check has): `baton check` never compiles a grammar it has no
    /// file of.
    pub fn problems_for(&self, kinds: &[FileKind]) -> Vec<Problem> {
        let compiled = self.compiled();
        std::thread::scope(|scope| {
            for kind in kinds.iter().filter(|k| self.has_queries_for(**k)) {
                scope.spawn(move || self.query_set(*kind));
            }
        });
        let mut problems = compiled.problems.clone();
        problems.extend(compiled.late.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned());
        problems.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
        problems
    }

    /// Every rule a rule file defines, loaded or not (a rule whose query does not compile is
    /// among them). Does not wait.
    pub fn parsed_rules(&self) -> &[&'static Rule] {
        &self.parsed
    }

    /// The ids of every rule a rule file defines, loaded or not (a rule whose query does not
    /// compile still exists: its file's problem says why it is not loaded). Does not wait.
    pub fn defined_ids(&self) -> Vec<&'static str> {
        self.parsed.iter().map(|r| r.id).collect()
    }

    /// Adds problems found in the configuration file at `path` (whose `text` places them).
    pub fn add_config_problems(&mut self, problems: Vec<Problem>, path: &str, text: String) {
        self.early_problems.extend(problems);
        self.compiled = OnceLock::new();
        if !self.texts.iter().any(|(p, _)| p == path) {
            self.texts.push((path.to_string(), text));
            self.texts.sort();
        }
    }

    /// True when there are no rule files at all.
    pub fn is_empty(&self) -> bool {
        self.digest.is_empty()
    }

    /// The rule with this id (waits for the queries' compilation).
    pub fn find(&self, id: &str) -> Option<&'static Rule> {
        self.rules().iter().copied().find(|r| r.id == id)
    }

    /// The schema rules (they need no compilation: this does not wait).
    pub fn schema_rules(&self) -> impl Iterator<Item = (&'static Rule, &'static SchemaRule)> + '_ {
        self.parsed.iter().filter_map(|r| match &r.matcher {
            Matcher::UserSchema(s) => Some((*r, *s)),
            _ => None,
        })
    }

    /// The query set a file of `kind` is matched with: the built-ins and the user queries for
    /// that kind compiled together, or the built-ins alone when no user query applies.
    pub fn query_set(&self, kind: FileKind) -> Option<&QuerySet> {
        let slot = QuerySet::slot(kind)?;
        if !self.has_queries_for(kind) {
            return QuerySet::builtin(kind);
        }
        let compiled = self.compiled();
        compiled.sets[slot]
            .get_or_init(|| {
                // A grammar not validated in: what it rejects drops the rule for its files.
                let (failed, mut sets) = file::validate_kind(&compiled.rules, &kind);
                let mut late = compiled.late.lock().unwrap_or_else(|e| e.into_inner());
                late.extend(failed.into_iter().flat_map(|(_, found)| found));
                sets.pop().map(|(_, set)| set)
            })
            .as_ref()
            .or_else(|| QuerySet::builtin(kind))
    }

    /// True when some user query rule applies to files of `kind`.
    fn has_queries_for(&self, kind: FileKind) -> bool {
        self.parsed.iter().any(|r| r.kinds.contains(&kind) && matches!(r.matcher, Matcher::UserQuery(_)))
    }

    /// Starts compiling the query set of `kind` on a background thread, once ([`QuerySet::prepare`]
    /// for the built-ins; with user queries, after their validation).
    pub fn prepare(self: &std::sync::Arc<Self>, kind: FileKind) {
        if QuerySet::slot(kind).is_none() {
            return;
        }
        if !self.has_queries_for(kind) {
            return QuerySet::prepare(kind);
        }
        let Some(slot) = QuerySet::slot(kind) else { return };
        if !self.started_kinds[slot].swap(true, std::sync::atomic::Ordering::Relaxed) {
            let this = self.clone();
            std::thread::spawn(move || {
                this.query_set(kind);
            });
        }
    }

    /// True when [`UserRules::query_set`] of `kind` would not wait for a compilation.
    pub fn ready(&self, kind: FileKind) -> bool {
        match QuerySet::slot(kind) {
            Some(slot) if self.has_queries_for(kind) => {
                self.compiled.get().is_some_and(|c| c.sets[slot].get().is_some())
            }
            _ => QuerySet::ready(kind),
        }
    }

    /// The text of a rule file or query file, by path.
    pub fn text_of(&self, path: &str) -> Option<&str> {
        self.texts.iter().find(|(p, _)| p == path).map(|(_, t)| t.as_str())
    }
}

/// The rule file a user rule was defined in.
pub fn defined_in(rule: &Rule) -> Option<&'static str> {
    match &rule.matcher {
        Matcher::UserQuery(q) => Some(q.path.as_str()),
        Matcher::UserSchema(s) => Some(s.path.as_str()),
        _ => None,
    }
}

/// The examples of a user rule.
pub fn examples_of(rule: &Rule) -> &'static [Example] {
    match &rule.matcher {
        Matcher::UserQuery(q) => &q.examples,
        Matcher::UserSchema(s) => &s.examples,
        _ => &[],
    }
}

/// Parses a rule file once per process: the same file content gives the same `&'static Rule`.
fn intern(file: &RuleFile) -> Result<&'static Rule, Vec<Problem>> {
    type Interned = HashMap<[u8; 32], Result<&'static Rule, Vec<Problem>>>;
    static INTERNED: OnceLock<Mutex<Interned>> = OnceLock::new();
    let mut hasher = blake3::Hasher::new();
    hasher.update(file.path.as_bytes());
    hasher.update(&[0]);
    hasher.update(file.text.as_bytes());
    hasher.update(&[0]);
    hasher.update(format!("{:?}", file.query_file).as_bytes());
    let key = *hasher.finalize().as_bytes();
    let interned = INTERNED.get_or_init(Default::default);
    if let Some(found) = interned.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return found.clone();
    }
    let parsed = file::parse(file).map(|rule| &*Box::leak(Box::new(rule)));
    interned.lock().unwrap_or_else(|e| e.into_inner()).insert(key, parsed.clone());
    parsed
}

/// The user rules loaded last, by id, for [`super::find`] (findings carry only a rule id).
fn registry() -> &'static RwLock<HashMap<&'static str, &'static Rule>> {
    static REGISTRY: OnceLock<RwLock<HashMap<&'static str, &'static Rule>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn register(rules: &[&'static Rule]) {
    let mut registry = registry().write().unwrap_or_else(|e| e.into_inner());
    for rule in rules {
        registry.insert(rule.id, rule);
    }
}

/// The user rule with this id loaded last in this process.
pub fn find_registered(id: &str) -> Option<&'static Rule> {
    if !id.starts_with("project/") {
        return None;
    }
    registry().read().unwrap_or_else(|e| e.into_inner()).get(id).copied()
}

/// The severity names of rule files.
pub(crate) fn parse_severity(text: &str) -> Option<Severity> {
    match text {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        "hint" => Some(Severity::Hint),
        _ => None,
    }
}

/// Replaces `{name}` in `template` by `value(name)`; `{{` and `}}` are literal braces. Unknown
/// names are kept as written (they are rejected when the rule file is read).
pub fn substitute(template: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(end) = tail.strip_prefix('{').and_then(|t| t.find('}')) {
            let name = &tail[1..1 + end];
            match value(name) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&tail[..end + 2]),
            }
            rest = &tail[end + 2..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a template.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            rest = &tail[2..];
            continue;
        }
        match tail.strip_prefix('{').and_then(|t| t.find('}')) {
            Some(end) => {
                names.push(&tail[1..1 + end]);
                rest = &tail[end + 2..];
            }
            None => rest = &tail[1..],
        }
    }
    names
}

/// The text of a new rule file (`baton rules new NAME --language L`): a working rule with a
/// query (or, for `sql`, a schema check), a bad and a good example.
pub fn scaffold(name: &str, language: &str) -> String {
    if language == "sql" {
        return format!(
            r#"# User rule project/{name} (docs/user-rules.md). `baton rules test` runs its examples.
severity = "error"
summary = "a table in `public` without a `tenant_id` column"
message = "table `{{table}}` has no `tenant_id` column: every tenant table must say whose rows it holds"

[schema]
check = "table-has-column"   # or policies-check-column, rls-enabled, security-invoker
schemas = ["public"]
column = "tenant_id"
except = []

[docs]
why = "Say why the team requires this."

[[examples]]
kind = "bad"
code = '''
create table public.invoices (id bigint primary key);
'''
lines = [1]

[[examples]]
kind = "good"
code = '''
create table public.invoices (id bigint primary key, tenant_id uuid not null);
'''
"#
        );
    }
    let ext = match language {
        "tsx" => "tsx",
        "js" => "js",
        _ => "ts",
    };
    let languages = match language {
        "tsx" => r#"["tsx"]"#,
        "js" => r#"["js"]"#,
        _ => r#"["ts", "tsx", "js"]"#,
    };
    format!(
        r#"# User rule project/{name} (docs/user-rules.md). `baton rules test` runs its examples.
languages = {languages}
severity = "warning"
summary = "a call to `legacyFetch`"
message = "`{{callee}}(…)` is deprecated here: call `fetchJson` instead"
# Not in test files; only under src/ (globs: `*`, `**`, `{{a,b}}`).
test_files = false
files = ["src/**"]
query = '''
(call_expression
  function: (identifier) @callee
  (#eq? @callee "legacyFetch")) @match
'''

[fix]
title = "Call fetchJson"
capture = "callee"
replace = "fetchJson"

[docs]
why = "Say why the team avoids this, in a sentence or two."

[[examples]]
kind = "bad"
path = "src/example.{ext}"
code = '''
const data = await legacyFetch("/api/items");
'''
lines = [1]
fixed = '''
const data = await fetchJson("/api/items");
'''

[[examples]]
kind = "good"
path = "src/example.{ext}"
code = '''
const data = await fetchJson("/api/items");
'''
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_file(name: &str, query: &str) -> RuleFile {
        RuleFile {
            path: format!(".baton/rules/{name}.toml"),
            text: format!("message = \"x\"\nquery = '''\n{query}\n'''\n"),
            query_file: None,
        }
    }

    /// A rule is validated in TypeScript; a grammar without files is not compiled, and what only
    /// another grammar rejects (`type_assertion`, `<T>x`, exists in TypeScript only) is reported
    /// when that grammar is compiled, the rule still applying to TypeScript files.
    #[test]
    fn grammars_are_compiled_on_use_and_their_problems_reported_then() {
        let rules = UserRules::from_files(vec![
            rule_file("ts-only", "(type_assertion) @match"),
            rule_file("everywhere", "((identifier) @match (#eq? @match \"legacy\"))"),
            rule_file("broken", "(no_such_node) @match"),
        ]);
        let problems = rules.problems_for(&[FileKind::TypeScript]);
        let paths = |problems: &[Problem]| problems.iter().map(|p| p.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&problems), [".baton/rules/broken.toml"]);
        let ids = |rules: &UserRules| rules.rules().iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(&rules), ["project/everywhere", "project/ts-only"]);
        let compiled = rules.compiled();
        assert!(compiled.sets[0].get().is_some(), "TypeScript is validated in");
        assert!(compiled.sets[1].get().is_none() && compiled.sets[2].get().is_none(), "nothing else compiled");
        let of = |set: &QuerySet| {
            let mut ids: Vec<&str> = (0..set.query.pattern_count()).map(|p| set.rule_of_pattern(p).id).collect();
            ids.retain(|id| id.starts_with("project/"));
            ids.dedup();
            ids
        };
        assert_eq!(of(rules.query_set(FileKind::TypeScript).unwrap()), ["project/everywhere", "project/ts-only"]);
        // TSX: the TypeScript-only node is a problem there; the other rule applies.
        assert_eq!(of(rules.query_set(FileKind::Tsx).unwrap()), ["project/everywhere"]);
        let problems = rules.problems_for(&[FileKind::TypeScript, FileKind::Tsx]);
        assert_eq!(paths(&problems), [".baton/rules/broken.toml", ".baton/rules/ts-only.toml"]);
        assert!(problems[1].message.contains("type_assertion"), "{problems:?}");
        // Every grammar: JavaScript rejects it too (one more problem at the same place).
        assert_eq!(rules.problems().len(), 3);
    }

    /// Rules of one structure compile as one pattern with a member per rule; a query the shape
    /// reader is unsure of is compiled as written, alone.
    #[test]
    fn rules_of_one_structure_share_one_pattern() {
        let call = "((call_expression function: (identifier) @f) @match";
        let rules = UserRules::from_files(vec![
            rule_file("a", &format!("{call} (#eq? @f \"a\"))")),
            rule_file("b", &format!("{call}\n ; b\n (#match? @f \"^b\"))")),
            rule_file("c", &format!("{call} (#any-of? @f \"c\" \"d\") (#not-test-file?))")),
            rule_file("d", "((new_expression constructor: (identifier) @f) @match (#eq? @f \"D\"))"),
            rule_file("e", "((identifier) @f (#eq? @f \"e\") (arguments) @match)"),
        ]);
        let set = rules.query_set(FileKind::TypeScript).unwrap();
        let mut shared: Vec<Vec<&str>> = Vec::new();
        let mut alone: Vec<&str> = Vec::new();
        for p in 0..set.query.pattern_count() {
            let members = set.members_of_pattern(p);
            if members.is_empty() {
                alone.push(set.rule_of_pattern(p).id);
            } else {
                shared.push(members.iter().map(|m| m.rule.id).collect());
            }
        }
        alone.retain(|id| id.starts_with("project/"));
        assert_eq!(shared, [vec!["project/a", "project/b", "project/c"], vec!["project/d"]]);
        assert_eq!(alone, ["project/e"]);
    }

    #[test]
    fn substitution_replaces_known_names_and_keeps_escaped_braces() {
        let out = substitute("call {name} in {{braces}} {unknown}", |n| (n == "name").then(|| "f".to_string()));
        assert_eq!(out, "call f in {braces} {unknown}");
        assert_eq!(placeholders("{a} {{b}} {c}"), ["a", "c"]);
    }
}
