//! The one workspace-level pass: facts that need more than one file.
//!
//! Facts are assembled from per-document contributions ([`DocumentFacts`]), so an editor can
//! recompute one document's contribution on each edit and reassemble only when it changed; SQL
//! findings come from replaying every migration sequence ([`WorkspaceFacts::sql_findings`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::ecma::{self, FileFacts};
use super::rejects;
use super::{Finding, PlanRuleContext, SqlRuleContext};
use crate::config::Config;
use crate::handoff::{Handoffs, WorkspaceFiles};
use crate::plan::Plan;
use crate::rules::{self, Matcher};
use crate::semantic::incremental::{self, ResolutionMemo};
use crate::semantic::summary::{self, Callee, FileSummaries, ModuleSummaries, Resolved, ResolvedModules};
use crate::semantic::{Manifest, ModuleGraph};
use crate::sql::{migration_sequences, MigrationModel};
use crate::stage::EvidenceSet;
use crate::syntax::{Document, FileKind};

/// Facts about the whole workspace, computed once from all its documents.
#[derive(Debug, Default)]
pub struct WorkspaceFacts {
    /// Configured RLS wrappers that some file defines or imports. While empty (and
    /// `rls.enforce` is off) the RLS rule stays silent: a plain Prisma app has no context to miss.
    pub rls_wrappers_in_use: BTreeSet<String>,
    /// Local names that re-export a configured RLS wrapper under another name
    /// (`export { withUserContext as withTenant } from "./context"`).
    pub rls_wrapper_aliases: BTreeSet<String>,
    /// Names each module exports as functions that return a promise (declared `async` or
    /// returning `new Promise`), keyed by [`ecma::module_key`]. Re-exports are followed.
    pub async_exports: HashMap<String, BTreeSet<String>>,
    /// Of those, the names that never reject (an async body wholly inside a `try` that swallows,
    /// see [`crate::engine::rejects`]), keyed like `async_exports`; conditions on other
    /// modules' exports are resolved here, re-exports followed.
    pub never_reject_exports: HashMap<String, BTreeSet<String>>,
    /// Names each module exports as functions that build a privileged Supabase client (one
    /// created with a service-role or secret key, see [`ecma::builds_privileged_supabase_client`]),
    /// keyed like `async_exports`; only modules without a server-only marker count (importing
    /// one of those from client code fails the build anyway).
    pub service_client_exports: HashMap<String, BTreeSet<String>>,
    /// The module graph: import specifiers resolved to workspace modules (tsconfig paths,
    /// workspace packages, …), built from every TS/JS path and manifest.
    pub graph: Arc<ModuleGraph>,
    /// Function summaries resolved across files, by module key: each top-level binding by its
    /// local name, each export as `export:<name>` (see [`WorkspaceFacts::imported_summary`]).
    pub summaries: Arc<ResolvedModules>,
    /// Every export some module of the workspace offers as a guard: (module key, exported
    /// name), sorted — where a quick fix can import a guard from; built-in guards imported from
    /// packages appear as (`package:<specifier>`, name).
    pub guard_exports: Arc<Vec<(String, String)>>,
    /// Findings of the SQL rules, by document path, from replaying each migration sequence.
    pub sql_findings: HashMap<String, Vec<Finding>>,
    /// The plan read from the workflow documents and specs.
    pub plan: Arc<Plan>,
    /// The handoff signals, context snapshots and agent definitions.
    pub handoffs: Arc<Handoffs>,
    /// Findings of the plan and handoff rules, by document path.
    pub plan_findings: HashMap<String, Vec<Finding>>,
    /// The schema the workspace's main migrations folder (the one with the most files)
    /// replays to: the SQL blocks of Markdown documents are replayed on top of it
    /// (`engine::embedded`). `None` without migrations, or when no document needs it.
    pub migrations_model: Option<Arc<MigrationModel>>,
    /// Identifies the values of `rls_wrappers_in_use` and `rls_wrapper_aliases`: equal epochs mean
    /// equal values, so an editor can reuse findings computed under them (what rules read of
    /// `async_exports` is recorded per match instead, see [`ecma::Dependency`]).
    pub code_epoch: u64,
    /// How `summaries` were resolved, round by round, for the next
    /// [`WorkspaceFacts::assemble_after`] to resolve from (taken by it: one successor each).
    pub resolution: std::sync::Mutex<Option<Box<ResolutionMemo>>>,
}

/// An imported name: `(module specifier, exported name)`.
pub type ImportedName = (String, String);

/// The next [`WorkspaceFacts::code_epoch`].
static NEXT_CODE_EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The plan, the handoffs and the findings of the rules over them (see [`WorkspaceFacts::plan_facts`]).
pub type PlanFacts = (Arc<Plan>, Arc<Handoffs>, HashMap<String, Vec<Finding>>);

/// What one document contributes to the workspace facts (SQL aside). An editor recomputes it for
/// the edited document only and reassembles the facts when it changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentFacts {
    /// Configured RLS wrappers this document defines or imports.
    pub rls_wrappers: BTreeSet<String>,
    /// Names under which this document re-exports a configured wrapper.
    pub rls_wrapper_aliases: BTreeSet<String>,
    /// This module's key and the names it exports as promise-returning functions.
    pub async_exports: (String, BTreeSet<String>),
    /// Exported async functions that never reject, whatever other modules do.
    pub never_rejects: BTreeSet<String>,
    /// Exported async functions that never reject if each of these imports, `(specifier,
    /// exported name)`, never rejects.
    pub never_rejects_if: Vec<(String, Vec<ImportedName>)>,
    /// Exported functions that build a privileged Supabase client (a service-client factory).
    pub service_clients: BTreeSet<String>,
    /// Re-exports (`export { f } from "./f"`) to follow when assembling.
    pub reexports: Vec<ecma::Export>,
    /// The document's path (re-exports resolve relative to it).
    pub path: String,
    /// For a `package.json` / `tsconfig.json` / `jsconfig.json`: what it says about module
    /// resolution (manifests are never cached: they are read afresh on every run).
    pub manifest: Option<Manifest>,
    /// For a TS/JS document: the summaries of its top-level bindings and its exports.
    pub summaries: FileSummaries,
}

impl DocumentFacts {
    /// Reads one document's contribution.
    pub fn collect(doc: &Document, config: &Config) -> DocumentFacts {
        DocumentFacts::collect_with_imports(doc, config).0
    }

    /// Reads one document's contribution, plus every module specifier it imports (sorted,
    /// without duplicates): the modules whose exported facts its findings may depend on. The
    /// analysis cache keys a file's findings by those modules' facts.
    pub fn collect_with_imports(doc: &Document, config: &Config) -> (DocumentFacts, Vec<String>) {
        if doc.kind == FileKind::Manifest {
            let manifest = Some(Manifest::read(&doc.path, &doc.text));
            return (DocumentFacts { path: doc.path.clone(), manifest, ..DocumentFacts::default() }, Vec::new());
        }
        if !doc.kind.is_ecmascript() {
            return (DocumentFacts { path: doc.path.clone(), ..DocumentFacts::default() }, Vec::new());
        }
        let (facts, imports, _) = DocumentFacts::collect_ecmascript(doc, config);
        (facts, imports)
    }

    /// [`DocumentFacts::collect_with_imports`] for a TypeScript/JavaScript document, also
    /// returning its [`FileFacts`] (which its rules read too).
    pub fn collect_ecmascript(doc: &Document, config: &Config) -> (DocumentFacts, Vec<String>, Arc<FileFacts>) {
        let file = FileFacts::collect(doc);
        let mut specifiers: Vec<String> =
            file.imports.iter().map(|i| i.source.clone()).chain(file.module_imports.iter().cloned()).collect();
        specifiers.sort();
        specifiers.dedup();
        (DocumentFacts::from_file_facts(doc, config, &file), specifiers, Arc::new(file))
    }

    /// The contribution of an ECMAScript document whose [`FileFacts`] are known.
    pub fn from_file_facts(doc: &Document, config: &Config, file: &FileFacts) -> DocumentFacts {
        DocumentFacts::from_file_facts_with(doc, config, file, &mut Fresh)
    }

    /// [`DocumentFacts::from_file_facts`] with the per-statement parts taken from `memo`.
    pub fn from_file_facts_with(
        doc: &Document,
        config: &Config,
        file: &FileFacts,
        memo: &mut dyn FactsMemo,
    ) -> DocumentFacts {
        let mut facts = DocumentFacts { path: doc.path.clone(), ..DocumentFacts::default() };
        // Top-level functions by name (the first value of each name), found in one pass when
        // first needed.
        let functions = std::cell::OnceCell::new();
        let table = || {
            functions.get_or_init(|| {
                let mut nodes = Vec::new();
                let mut by_name = HashMap::new();
                if let Some(tree) = doc.tree() {
                    let root = tree.root_node();
                    let mut cursor = root.walk();
                    for statement in root.named_children(&mut cursor) {
                        ecma::top_level_values_of(doc, statement, &mut |name, value| {
                            by_name.entry(name).or_insert(nodes.len());
                            nodes.push(value);
                        });
                    }
                }
                (nodes, by_name)
            })
        };
        let top_level_function = |name: &str| {
            let (nodes, by_name) = table();
            by_name.get(name).map(|&i| nodes[i])
        };
        let scope = scope_of(file);
        facts.summaries = summary::summarize_file_with(doc, &scope, &exports_of(file), &mut |statement| {
            memo.summaries(doc, &scope, statement)
        });
        let lookup = |name: &str| {
            let (nodes, by_name) = table();
            by_name.get(name).map(|&i| (i, ecma::is_function(nodes[i])))
        };
        let rls = |index: usize| ecma::sets_rls_context(doc.slice(table().0[index].byte_range()));
        let mut rejection = |index: usize| memo.rejection(doc, table().0[index]);
        // Top-level classes by name, found in one pass when an export first asks.
        let classes = std::cell::OnceCell::new();
        let class_methods = |name: &str| {
            let classes: &HashMap<&str, tree_sitter::Node<'_>> = classes.get_or_init(|| ecma::top_level_classes(doc));
            classes.get(name).map(|class| method_rejections(doc, *class))
        };
        let values = Values {
            lookup: &lookup,
            sets_rls_context: &rls,
            rejection: &mut rejection,
            class_methods: &class_methods,
        };
        facts.add_values(config, file, ecma::sets_rls_context(&doc.text), values);
        // Service-client factories: exported functions of a module without a server-only marker
        // that build a Supabase client with a service-role key.
        if may_export_service_clients(file) {
            for export in file.exports.iter().filter(|e| e.source.is_none()) {
                let function = top_level_function(&export.local).filter(|f| ecma::is_function(*f));
                if function.is_some_and(|f| {
                    ecma::builds_privileged_supabase_client(doc, f, file, &config.supabase.service_role_patterns)
                }) {
                    facts.service_clients.insert(export.exported.clone());
                }
            }
        }
        facts
    }

    /// The contribution of an ECMAScript document from its [`FileFacts`], the summaries of its
    /// top-level statements in order (`functions`, as [`summary::summarize_statement`] gives
    /// them) and its named top-level values in order (`values`, as [`TopLevelValue::of`] gives
    /// them): what [`DocumentFacts::from_file_facts`] computes, without reading the tree. Not
    /// for a file that may export service-client factories ([`may_export_service_clients`]):
    /// whether one does reads the tree.
    pub fn from_parts(
        path: &str,
        config: &Config,
        file: &FileFacts,
        rls_text: bool,
        functions: summary::Summaries,
        values: &[&TopLevelValue],
    ) -> DocumentFacts {
        debug_assert!(!may_export_service_clients(file));
        let mut facts = DocumentFacts { path: path.to_string(), ..DocumentFacts::default() };
        // By local name, the last import of a name winning (as in [`scope_of`]).
        let by_local: HashMap<&str, (&str, &str)> =
            file.imports.iter().map(|i| (i.local.as_str(), (i.source.as_str(), i.imported.as_str()))).collect();
        let imports: Vec<(&str, &str, &str)> = by_local.into_iter().map(|(l, (s, i))| (l, s, i)).collect();
        facts.summaries = summary::file_summaries(&imports, &exports_of(file), functions);
        // Classes apart: the tree's table of top-level values has none.
        let (classes, values): (Vec<&TopLevelValue>, Vec<&TopLevelValue>) =
            values.iter().copied().partition(|v| v.methods.is_some());
        let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(values.len());
        for (index, value) in values.iter().enumerate() {
            by_name.entry(value.name.as_str()).or_insert(index);
        }
        let lookup = |name: &str| by_name.get(name).map(|&i| (i, values[i].function));
        let rls = |index: usize| values[index].rls;
        let mut rejection = |index: usize| values[index].rejection.clone().unwrap_or(rejects::Rejection::May);
        let class_methods = |name: &str| classes.iter().find(|c| c.name == name).and_then(|c| c.methods.clone());
        let parts = Values {
            lookup: &lookup,
            sets_rls_context: &rls,
            rejection: &mut rejection,
            class_methods: &class_methods,
        };
        facts.add_values(config, file, rls_text, parts);
        facts
    }

    /// The facts read from the file's names and its top-level values: the RLS wrappers it
    /// defines or imports, the re-exports, the async exports and which of those never reject.
    fn add_values(&mut self, config: &Config, file: &FileFacts, rls_text: bool, values: Values<'_, '_>) {
        let Values { lookup, sets_rls_context, rejection, class_methods } = values;
        let defined = file.top_level_declarations.iter();
        let imported = file.imports.iter().map(|i| if i.imported == "default" { &i.local } else { &i.imported });
        for name in defined.chain(imported) {
            if config.rls.wrappers.contains(name) {
                self.rls_wrappers.insert(name.clone());
            }
        }
        // RLS contexts found from the code: top-level functions that set a GUC in a transaction
        // or a client extension. They count as wrappers in use and, by name, as wrappers.
        let candidates = if rls_text { file.top_level_declarations.as_slice() } else { &[] };
        for name in candidates {
            let Some((index, true)) = lookup(name) else { continue };
            if sets_rls_context(index) {
                self.rls_wrappers.insert(name.clone());
                self.rls_wrapper_aliases.insert(name.clone());
            }
        }
        self.async_exports.0 = ecma::module_key(&self.path).to_string();
        let async_functions: std::collections::HashSet<&str> =
            file.async_functions.iter().map(String::as_str).collect();
        for export in &file.exports {
            let original = file.original_name(&export.local);
            if export.exported != export.local && config.rls.wrappers.iter().any(|w| w == original) {
                self.rls_wrapper_aliases.insert(export.exported.clone());
            }
            match &export.source {
                Some(_) => self.reexports.push(export.clone()),
                None if async_functions.contains(export.local.as_str()) => {
                    self.async_exports.1.insert(export.exported.clone());
                    let function = lookup(&export.local).filter(|(_, function)| *function);
                    match function.and_then(|(f, _)| rejects::import_conditions_by_index(f, file, rejection, lookup)) {
                        Some(conditions) if conditions.is_empty() => {
                            self.never_rejects.insert(export.exported.clone());
                        }
                        Some(conditions) => self.never_rejects_if.push((export.exported.clone(), conditions)),
                        None => {}
                    }
                }
                // An exported class: its async instance methods that never reject, as
                // `Class.method` (what `errors/floating-promise` asks of `this.field.method()`
                // when the field holds the class).
                None => {
                    let Some(methods) = class_methods(&export.local) else { continue };
                    for (index, (method, summary)) in methods.iter().enumerate() {
                        if *summary == rejects::Rejection::May {
                            continue;
                        }
                        let key = format!("{}.{method}", export.exported);
                        match rejects::method_import_conditions(index, &methods, file, rejection, lookup) {
                            Some(conditions) if conditions.is_empty() => {
                                self.never_rejects.insert(key);
                            }
                            Some(conditions) => self.never_rejects_if.push((key, conditions)),
                            None => {}
                        }
                    }
                }
            }
        }
    }
}

/// A class's instance methods with their [`rejects::summary`].
fn method_rejections(doc: &Document, class: tree_sitter::Node<'_>) -> rejects::MethodSummaries {
    rejects::class_methods(doc, class)
        .into_iter()
        .map(|(name, m)| (name.to_string(), rejects::summary(doc, m)))
        .collect()
}

/// A file's named top-level values as [`DocumentFacts::add_values`] reads them, by index in the
/// order [`ecma::top_level_values_of`] gives them over the top-level statements.
struct Values<'a, 'r> {
    /// The first value named `name`: its index, and whether it is a function.
    lookup: &'a dyn Fn(&str) -> Option<(usize, bool)>,
    /// Whether the text of the function at an index sets an RLS context
    /// ([`ecma::sets_rls_context`]).
    sets_rls_context: &'a dyn Fn(usize) -> bool,
    /// The [`rejects::summary`] of the function at an index.
    rejection: &'r mut dyn FnMut(usize) -> rejects::Rejection,
    /// The instance methods of the top-level class named `name`, with their summaries.
    class_methods: &'a dyn Fn(&str) -> Option<rejects::MethodSummaries>,
}

/// One named top-level value of a statement ([`ecma::top_level_values_of`]) as the document
/// facts read it: whether it is a function, its rejection summary, whether its text sets an RLS
/// context. What a statement contributes to [`DocumentFacts::from_parts`] besides its summaries.
#[derive(Debug, PartialEq, Eq)]
pub struct TopLevelValue {
    /// The bound name.
    pub name: String,
    /// The value is a function.
    pub function: bool,
    /// Its [`rejects::summary`], for a function.
    pub rejection: Option<rejects::Rejection>,
    /// A function whose text sets an RLS context ([`ecma::sets_rls_context`]).
    pub rls: bool,
    /// For a class declaration: its instance methods with their [`rejects::summary`] (classes
    /// are not values of the table the other fields serve).
    pub methods: Option<rejects::MethodSummaries>,
}

impl TopLevelValue {
    /// The named values of the top-level statement `statement`, in order.
    pub fn of(doc: &Document, statement: tree_sitter::Node<'_>) -> Vec<TopLevelValue> {
        let mut values = Vec::new();
        ecma::top_level_values_of(doc, statement, &mut |name, value| {
            let function = ecma::is_function(value);
            values.push(TopLevelValue {
                name: name.to_string(),
                function,
                rejection: function.then(|| rejects::summary(doc, value)),
                rls: function && ecma::sets_rls_context(doc.slice(value.byte_range())),
                methods: None,
            });
        });
        if let Some(class) = ecma::declaration_of(statement).filter(|d| ecma::is_class_declaration(*d)) {
            if let Some(name) = class.child_by_field_name("name") {
                values.push(TopLevelValue {
                    name: doc.slice(name.byte_range()).to_string(),
                    function: false,
                    rejection: None,
                    rls: false,
                    methods: Some(method_rejections(doc, class)),
                });
            }
        }
        values
    }
}

/// Whether a file's exported functions may be service-client factories: it imports a Supabase
/// module and has no server-only marker. (Whether one is reads beyond its statement: a key
/// constant declared elsewhere in the file.)
pub fn may_export_service_clients(file: &FileFacts) -> bool {
    let server_only =
        ecma::SERVER_ONLY_MODULES.iter().any(|m| file.imports_module(m)) || file.has_directive("use server");
    let supabase = file.imports.iter().any(|i| ecma::SUPABASE_MODULES.contains(&i.source.as_str()));
    supabase && !server_only
}

/// The parts of a document's facts that depend on one top-level statement only, as the editor
/// remembers them per statement ([`super::incremental::AnalysisCache::document_facts`]). Every
/// method must answer what computing afresh answers.
pub trait FactsMemo {
    /// [`summary::summarize_statement`] of a top-level statement.
    fn summaries(
        &mut self,
        doc: &Document,
        scope: &summary::Scope,
        statement: tree_sitter::Node<'_>,
    ) -> summary::Summaries;
    /// [`rejects::summary`] of a function inside a top-level statement.
    fn rejection(&mut self, doc: &Document, function: tree_sitter::Node<'_>) -> rejects::Rejection;
}

/// Computes every part afresh.
pub struct Fresh;

impl FactsMemo for Fresh {
    fn summaries(
        &mut self,
        doc: &Document,
        scope: &summary::Scope,
        statement: tree_sitter::Node<'_>,
    ) -> summary::Summaries {
        summary::summarize_statement(doc, scope, statement)
    }

    fn rejection(&mut self, doc: &Document, function: tree_sitter::Node<'_>) -> rejects::Rejection {
        rejects::summary(doc, function)
    }
}

/// A relative specifier from the file at `from` to the module `key` (`../lib/auth`).
fn relative_specifier(from: &str, key: &str) -> String {
    let from_dir: Vec<&str> = from.rsplit_once('/').map_or(Vec::new(), |(d, _)| d.split('/').collect());
    let target: Vec<&str> = key.split('/').collect();
    let common = from_dir.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let ups = from_dir.len() - common;
    let mut parts: Vec<String> = vec!["..".to_string(); ups];
    parts.extend(target[common..].iter().map(|s| s.to_string()));
    let joined = parts.join("/");
    let joined = joined.strip_suffix("/index").unwrap_or(&joined).to_string();
    if ups == 0 {
        format!("./{joined}")
    } else {
        joined
    }
}

/// What the summaries need to know of a file's names.
pub fn scope_of(file: &FileFacts) -> summary::Scope {
    summary::Scope {
        imports: file.imports.iter().map(|i| (i.local.clone(), (i.source.clone(), i.imported.clone()))).collect(),
        top_level: file.top_level_declarations.iter().cloned().collect(),
    }
}

fn exports_of(file: &FileFacts) -> Vec<(String, String, Option<String>)> {
    file.exports.iter().map(|e| (e.exported.clone(), e.local.clone(), e.source.clone())).collect()
}

impl WorkspaceFacts {
    /// The resolved summary of `name` as exported by the module `specifier` names (imported
    /// from the file at `from`): default (no guard, no wrapper) for external modules. Recorded
    /// as a dependency of the current rule match.
    pub fn imported_summary(&self, from: &str, specifier: &str, name: &str) -> Resolved {
        let found = self.imported_summary_unrecorded(from, specifier, name);
        ecma::record(ecma::Dependency::Summary(specifier.to_string(), name.to_string(), found));
        found
    }

    /// [`WorkspaceFacts::imported_summary`] without recording a dependency.
    pub fn imported_summary_unrecorded(&self, from: &str, specifier: &str, name: &str) -> Resolved {
        let Some(key) = self.graph.resolve(from, specifier) else { return Resolved::default() };
        self.summaries.get(&key).and_then(|m| m.get(&format!("export:{name}"))).copied().unwrap_or_default()
    }

    /// The resolved summary of the top-level binding `name` of the file at `path`. Recorded as
    /// a dependency of the current rule match (it may depend on other files).
    pub fn local_summary(&self, path: &str, name: &str) -> Resolved {
        let found = self.local_summary_unrecorded(path, name);
        ecma::record(ecma::Dependency::Summary(String::new(), name.to_string(), found));
        found
    }

    /// [`WorkspaceFacts::local_summary`] without recording a dependency.
    pub fn local_summary_unrecorded(&self, path: &str, name: &str) -> Resolved {
        let key = ecma::module_key(path);
        self.summaries.get(key).and_then(|m| m.get(name)).copied().unwrap_or_default()
    }

    /// The module specifier the file at `path` can import the guard `name` from: `configured`
    /// (`[auth] fix_import`) when it names a workspace module that exports `name`; else a
    /// workspace module that exports `name` as a guard (by its package name from another
    /// package, else by a relative path); else `configured` when it is an external package
    /// (`@clerk/nextjs/server`); else `None` — no module to import it from. Recorded as a
    /// dependency of the current rule match.
    pub fn guard_import_source(&self, path: &str, name: &str, configured: &str) -> Option<String> {
        let found = self.guard_import_source_unrecorded(path, name, configured);
        ecma::record(ecma::Dependency::GuardImport(name.to_string(), configured.to_string(), found.clone()));
        found
    }

    /// [`WorkspaceFacts::guard_import_source`] without recording a dependency.
    pub fn guard_import_source_unrecorded(&self, path: &str, name: &str, configured: &str) -> Option<String> {
        let exporters: Vec<&str> = self
            .guard_exports
            .iter()
            .filter(|(key, n)| n == name && !key.starts_with("package:"))
            .map(|(key, _)| key.as_str())
            .collect();
        let packages: Vec<&str> = self
            .guard_exports
            .iter()
            .filter(|(_, n)| n == name)
            .filter_map(|(key, _)| key.strip_prefix("package:"))
            .collect();
        if !configured.is_empty() {
            if let Some(key) = self.graph.resolve(path, configured) {
                let exports = self.summaries.get(&key).is_some_and(|m| m.contains_key(&format!("export:{name}")));
                if exports || exporters.contains(&key.as_str()) {
                    return Some(configured.to_string());
                }
            }
        }
        // A package the project already imports the guard from (`@clerk/nextjs/server`).
        if let Some(package) = packages.iter().find(|p| **p == configured).or(packages.first()) {
            return Some(package.to_string());
        }
        // The shallowest exporter (a package's entry over its inner files).
        let best = exporters.iter().min_by_key(|k| (k.matches('/').count(), k.len()))?;
        if let Some(spec) = self.graph.package_specifier(path, best) {
            return Some(spec);
        }
        let relative = relative_specifier(path, best);
        (self.graph.resolve(path, &relative).as_deref() == Some(*best)).then_some(relative)
    }

    /// How a callee read by [`summary::StepReader`] in the file at `path` resolves.
    pub fn callee_summary(&self, path: &str, callee: &Callee) -> Resolved {
        match callee {
            Callee::Builtin(kind) => Resolved { guard: Some(*kind), ..Resolved::default() },
            Callee::Local(name) => self.local_summary(path, name),
            Callee::Global(_) => Resolved::default(),
            Callee::Import { source, name, .. } => self.imported_summary(path, source, name),
        }
    }

    /// True when the module that `specifier` names (imported from the file at `from`) exports
    /// `name` as a promise-returning function.
    /// The answer is recorded as a dependency of the current rule match.
    pub fn exports_async(&self, from: &str, specifier: &str, name: &str) -> bool {
        let found = self.exports_async_unrecorded(from, specifier, name);
        ecma::record(ecma::Dependency::ExportsAsync(specifier.to_string(), name.to_string(), found));
        found
    }

    /// True when the module that `specifier` names (imported from the file at `from`) exports
    /// `name` as an async function that never rejects. Recorded as a dependency of the match.
    pub fn never_rejects(&self, from: &str, specifier: &str, name: &str) -> bool {
        let found = self.never_rejects_unrecorded(from, specifier, name);
        ecma::record(ecma::Dependency::NeverRejects(specifier.to_string(), name.to_string(), found));
        found
    }

    /// True when the module that `specifier` names (imported from the file at `from`) exports
    /// `name` as a function that builds a privileged Supabase client. Recorded as a dependency
    /// of the match.
    pub fn exports_service_client(&self, from: &str, specifier: &str, name: &str) -> bool {
        let found = self.exports_service_client_unrecorded(from, specifier, name);
        ecma::record(ecma::Dependency::ServiceClient(specifier.to_string(), name.to_string(), found));
        found
    }

    /// [`WorkspaceFacts::exports_service_client`] without recording a dependency.
    pub fn exports_service_client_unrecorded(&self, from: &str, specifier: &str, name: &str) -> bool {
        self.resolve_module(from, specifier)
            .iter()
            .any(|key| self.service_client_exports.get(key).is_some_and(|names| names.contains(name)))
    }

    /// [`WorkspaceFacts::never_rejects`] without recording a dependency.
    pub fn never_rejects_unrecorded(&self, from: &str, specifier: &str, name: &str) -> bool {
        self.resolve_module(from, specifier)
            .iter()
            .any(|key| self.never_reject_exports.get(key).is_some_and(|names| names.contains(name)))
    }

    /// True when some module re-exports a configured RLS wrapper under the local name `name`.
    /// The answer is recorded as a dependency of the current rule match.
    pub fn is_wrapper_alias(&self, name: &str) -> bool {
        let found = self.rls_wrapper_aliases.contains(name);
        ecma::record(ecma::Dependency::WrapperAlias(name.to_string(), found));
        found
    }

    /// True when some file defines or imports the RLS wrapper `name` (configured, or found from
    /// the code). The answer is recorded as a dependency of the current rule match.
    pub fn wrapper_in_use(&self, name: &str) -> bool {
        let found = self.rls_wrappers_in_use.contains(name);
        ecma::record(ecma::Dependency::WrapperInUse(name.to_string(), found));
        found
    }

    /// True when some file defines or imports a configured RLS wrapper. The answer is recorded
    /// as a dependency of the current rule match.
    pub fn wrappers_in_use(&self) -> bool {
        let in_use = !self.rls_wrappers_in_use.is_empty();
        ecma::record(ecma::Dependency::WrappersInUse(in_use));
        in_use
    }

    /// The module keys that `specifier`, imported from the file at `from`, may name: the module
    /// graph's answer when it has one, else the conventional guesses of
    /// [`ecma::resolve_module`] (relative paths and `@/`, `~/`).
    pub fn resolve_module(&self, from: &str, specifier: &str) -> Vec<String> {
        match self.graph.resolve(from, specifier) {
            Some(key) => vec![key],
            None => ecma::resolve_module(from, specifier),
        }
    }

    /// [`WorkspaceFacts::exports_async`] without recording a dependency.
    pub fn exports_async_unrecorded(&self, from: &str, specifier: &str, name: &str) -> bool {
        self.resolve_module(from, specifier)
            .iter()
            .any(|key| self.async_exports.get(key).is_some_and(|names| names.contains(name)))
    }

    /// True when the facts under [`WorkspaceFacts::code_epoch`] are equal in both. The
    /// summaries and the guard exports are not among them: every read of those by a rule records
    /// what it found ([`ecma::Dependency::Summary`], [`ecma::Dependency::GuardImport`]), and the
    /// editor checks each remembered statement's answers, so a changed summary re-evaluates only
    /// the statements that read it.
    pub fn same_code_facts(&self, other: &WorkspaceFacts) -> bool {
        self.rls_wrappers_in_use == other.rls_wrappers_in_use && self.rls_wrapper_aliases == other.rls_wrapper_aliases
    }

    /// True when what other files read of this workspace's cross-file facts differs between
    /// `self` and `previous`, where `edited` are the module keys of the documents whose
    /// contributions changed: the RLS wrappers, the async, never-rejecting and service-client
    /// exports, the guard exports, any module's resolved summaries — except the edited modules'
    /// own local (non-exported) bindings, which only their own file reads.
    pub fn cross_file_change(&self, previous: &WorkspaceFacts, edited: &std::collections::HashSet<&str>) -> bool {
        if !self.same_code_facts(previous)
            || self.async_exports != previous.async_exports
            || self.never_reject_exports != previous.never_reject_exports
            || self.service_client_exports != previous.service_client_exports
            || self.guard_exports != previous.guard_exports
        {
            return true;
        }
        if Arc::ptr_eq(&self.summaries, &previous.summaries) {
            return false;
        }
        let empty = HashMap::new();
        let keys = self.summaries.keys().chain(previous.summaries.keys());
        keys.into_iter().any(|key| {
            let now = self.summaries.get(key).unwrap_or(&empty);
            let before = previous.summaries.get(key).unwrap_or(&empty);
            if !edited.contains(key.as_str()) {
                return now != before;
            }
            let exports = |map: &HashMap<String, Resolved>| map.keys().filter(|n| n.starts_with("export:")).count();
            let same = exports(now) == exports(before)
                && now.iter().filter(|(n, _)| n.starts_with("export:")).all(|(n, r)| before.get(n) == Some(r));
            !same
        })
    }

    /// Takes over `previous`'s [`WorkspaceFacts::code_epoch`] when the facts under it did not
    /// change, so findings cached under it stay valid; returns whether they changed.
    pub fn continue_epoch(&mut self, previous: &WorkspaceFacts) -> bool {
        let same = self.same_code_facts(previous);
        if same {
            self.code_epoch = previous.code_epoch;
        }
        !same
    }

    /// Collects the facts from every document of the workspace.
    pub fn collect(docs: &[&Document], config: &Config) -> WorkspaceFacts {
        WorkspaceFacts::collect_with_files(docs, config, &WorkspaceFiles::default())
    }

    /// Like [`WorkspaceFacts::collect`], with the workspace's file listing (for the handoff
    /// checks of named files; the documents themselves always count as existing).
    pub fn collect_with_files(docs: &[&Document], config: &Config, files: &WorkspaceFiles) -> WorkspaceFacts {
        WorkspaceFacts::collect_with_inputs(docs, config, files, &EvidenceSet::default())
    }

    /// Like [`WorkspaceFacts::collect_with_files`], with the workflow evidence the workspace
    /// layer loaded (`.baton/evidence/` and the git state), for `workflow/requirement-unmet`.
    pub fn collect_with_inputs(
        docs: &[&Document],
        config: &Config,
        files: &WorkspaceFiles,
        evidence: &EvidenceSet,
    ) -> WorkspaceFacts {
        let parts: Vec<DocumentFacts> = docs.iter().map(|doc| DocumentFacts::collect(doc, config)).collect();
        let mut facts = WorkspaceFacts::assemble(&parts);
        (facts.sql_findings, facts.migrations_model) = WorkspaceFacts::sql_findings_and_base(docs, config);
        (facts.plan, facts.handoffs, facts.plan_findings) =
            WorkspaceFacts::plan_facts_with_inputs(docs, config, files, evidence);
        facts
    }

    /// True for the kinds of documents the plan and handoffs are read from: when one of them
    /// changes, [`WorkspaceFacts::plan_facts`] must be recomputed.
    pub fn feeds_plan(kind: FileKind) -> bool {
        matches!(kind, FileKind::Markdown | FileKind::Json | FileKind::Signal)
    }

    /// Reads the plan and handoffs and runs every plan rule over them.
    pub fn plan_facts(docs: &[&Document], config: &Config) -> PlanFacts {
        WorkspaceFacts::plan_facts_with_files(docs, config, &WorkspaceFiles::default())
    }

    /// Like [`WorkspaceFacts::plan_facts`], with the workspace's file listing (every document in
    /// `docs` counts as existing too).
    pub fn plan_facts_with_files(docs: &[&Document], config: &Config, files: &WorkspaceFiles) -> PlanFacts {
        WorkspaceFacts::plan_facts_with_inputs(docs, config, files, &EvidenceSet::default())
    }

    /// Like [`WorkspaceFacts::plan_facts_with_files`], with the workflow evidence (data loaded
    /// by the workspace layer: the engine never reads `.baton/`).
    pub fn plan_facts_with_inputs(
        docs: &[&Document],
        config: &Config,
        files: &WorkspaceFiles,
        evidence: &EvidenceSet,
    ) -> PlanFacts {
        let plan_docs: Vec<&Document> = docs.iter().copied().filter(|d| WorkspaceFacts::feeds_plan(d.kind)).collect();
        let plan = Plan::build(&plan_docs, config);
        let mut listing = files.clone();
        docs.iter().for_each(|d| listing.insert(d.path.clone()));
        let handoffs = Handoffs::build(&plan_docs, config).with_files(&listing);
        let ctx = PlanRuleContext { config, documents: &plan_docs, plan: &plan, handoffs: &handoffs, evidence };
        let mut found = Vec::new();
        for rule in rules::all() {
            if let Matcher::Plan(check) = rule.matcher {
                if config.severity_of(rule).is_some() {
                    check(&ctx, &mut found);
                }
            }
        }
        let mut by_path: HashMap<String, Vec<Finding>> = HashMap::new();
        for (path, finding) in found {
            by_path.entry(path).or_default().push(finding);
        }
        (Arc::new(plan), Arc::new(handoffs), by_path)
    }

    /// Combines per-document contributions (without SQL findings), following re-exports.
    pub fn assemble<'a>(parts: impl IntoIterator<Item = &'a DocumentFacts>) -> WorkspaceFacts {
        WorkspaceFacts::assemble_with(parts, None)
    }

    /// [`WorkspaceFacts::assemble`] after `previous` (the editor's last facts): the same facts,
    /// with the summaries resolved from how `previous`'s were
    /// ([`incremental::resolve_workspace_incremental`]), so an edit re-resolves what depends on
    /// it rather than the workspace. `previous` gives its memo up (a second call after the same
    /// facts resolves from nothing).
    pub fn assemble_after<'a>(
        parts: impl IntoIterator<Item = &'a DocumentFacts>,
        previous: &WorkspaceFacts,
    ) -> WorkspaceFacts {
        let memo = previous.resolution.lock().ok().and_then(|mut m| m.take());
        let memo = memo.unwrap_or_default();
        WorkspaceFacts::assemble_with(parts, Some((memo, &previous.summaries)))
    }

    fn assemble_with<'a>(
        parts: impl IntoIterator<Item = &'a DocumentFacts>,
        incremental: Option<(Box<ResolutionMemo>, &Arc<ResolvedModules>)>,
    ) -> WorkspaceFacts {
        let mut facts = WorkspaceFacts {
            code_epoch: NEXT_CODE_EPOCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            ..WorkspaceFacts::default()
        };
        let mut reexports: Vec<(&str, &ecma::Export)> = Vec::new();
        let mut conditional: Vec<(&str, &str, &[ImportedName])> = Vec::new();
        let parts: Vec<&DocumentFacts> = parts.into_iter().collect();
        let code_paths = parts
            .iter()
            .map(|p| p.path.as_str())
            .filter(|p| FileKind::from_path(p).is_some_and(FileKind::is_ecmascript));
        facts.graph = Arc::new(ModuleGraph::build(code_paths, parts.iter().filter_map(|p| p.manifest.as_ref())));
        for part in parts.iter().copied() {
            if !part.never_rejects.is_empty() {
                facts
                    .never_reject_exports
                    .entry(ecma::module_key(&part.path).to_string())
                    .or_default()
                    .extend(part.never_rejects.iter().cloned());
            }
            if !part.service_clients.is_empty() {
                facts
                    .service_client_exports
                    .entry(ecma::module_key(&part.path).to_string())
                    .or_default()
                    .extend(part.service_clients.iter().cloned());
            }
            conditional
                .extend(part.never_rejects_if.iter().map(|(n, c)| (part.path.as_str(), n.as_str(), c.as_slice())));
            facts.rls_wrappers_in_use.extend(part.rls_wrappers.iter().cloned());
            facts.rls_wrapper_aliases.extend(part.rls_wrapper_aliases.iter().cloned());
            if !part.async_exports.1.is_empty() {
                // A copy of the set, rather than one insertion per name, for the first part of a
                // module.
                match facts.async_exports.entry(part.async_exports.0.clone()) {
                    std::collections::hash_map::Entry::Vacant(entry) => {
                        entry.insert(part.async_exports.1.clone());
                    }
                    std::collections::hash_map::Entry::Occupied(mut entry) => {
                        entry.get_mut().extend(part.async_exports.1.iter().cloned());
                    }
                }
            }
            reexports.extend(part.reexports.iter().map(|e| (part.path.as_str(), e)));
        }
        let modules: Vec<ModuleSummaries<'_>> = parts
            .iter()
            .filter(|p| !p.summaries.functions.is_empty() || !p.summaries.reexports.is_empty())
            .map(|p| ModuleSummaries { key: ecma::module_key(&p.path), path: &p.path, summaries: &p.summaries })
            .collect();
        let graph = facts.graph.clone();
        let resolve = |from: &str, specifier: &str| graph.resolve(from, specifier);
        facts.summaries = match incremental {
            Some((mut memo, previous)) => {
                let resolved = incremental::resolve_workspace_incremental(&modules, &resolve, &mut memo, previous);
                facts.resolution = std::sync::Mutex::new(Some(memo));
                // Unchanged: the same `Arc`, so comparing them costs nothing.
                resolved.map_or_else(|| previous.clone(), Arc::new)
            }
            None => Arc::new(summary::resolve_workspace(&modules, &resolve, &|_| false)),
        };
        let mut guard_exports: Vec<(String, String)> = facts
            .summaries
            .iter()
            .flat_map(|(key, names)| {
                names.iter().filter_map(move |(n, r)| {
                    let exported = n.strip_prefix("export:")?;
                    r.guard.is_some().then(|| (key.clone(), exported.to_string()))
                })
            })
            .collect();
        for part in &parts {
            for (name, source) in &part.summaries.guard_imports {
                guard_exports.push((format!("package:{source}"), name.clone()));
            }
        }
        guard_exports.sort();
        guard_exports.dedup();
        facts.guard_exports = Arc::new(guard_exports);
        // Follow re-exports (`export { f } from "./f"`), a few levels deep.
        for _ in 0..3 {
            let mut added = false;
            for (path, export) in &reexports {
                let Some(source) = &export.source else { continue };
                let is_async = facts
                    .resolve_module(path, source)
                    .iter()
                    .any(|k| facts.async_exports.get(k).is_some_and(|names| names.contains(&export.local)));
                if is_async {
                    added |= facts
                        .async_exports
                        .entry(ecma::module_key(path).to_string())
                        .or_default()
                        .insert(export.exported.clone());
                }
                if facts.exports_service_client_unrecorded(path, source, &export.local) {
                    added |= facts
                        .service_client_exports
                        .entry(ecma::module_key(path).to_string())
                        .or_default()
                        .insert(export.exported.clone());
                }
            }
            if !added {
                break;
            }
        }
        // Never-rejecting exports: conditions on other modules, then re-exports, to a fixpoint
        // (bounded: each round adds a name or stops).
        // A condition that held once holds for good (names are only added): it is not evaluated
        // again. Each (path, specifier) is resolved once.
        let mut held = vec![false; conditional.len()];
        let mut resolved: HashMap<(&str, &str), Vec<String>> = HashMap::new();
        for _ in 0..8 {
            let mut added = false;
            for ((path, name, conditions), held) in conditional.iter().zip(held.iter_mut()) {
                if *held {
                    continue;
                }
                let holds = conditions.iter().all(|(specifier, imported)| {
                    let keys = resolved
                        .entry((path, specifier.as_str()))
                        .or_insert_with(|| facts.resolve_module(path, specifier));
                    keys.iter().any(|key| facts.never_reject_exports.get(key).is_some_and(|n| n.contains(imported)))
                });
                if holds {
                    *held = true;
                    added |= facts
                        .never_reject_exports
                        .entry(ecma::module_key(path).to_string())
                        .or_default()
                        .insert((*name).to_string());
                }
            }
            for (path, export) in &reexports {
                let Some(source) = &export.source else { continue };
                if facts.never_rejects_unrecorded(path, source, &export.local) {
                    added |= facts
                        .never_reject_exports
                        .entry(ecma::module_key(path).to_string())
                        .or_default()
                        .insert(export.exported.clone());
                }
            }
            if !added {
                break;
            }
        }
        facts
    }

    /// Replays every migration sequence and runs the SQL rules on each model. A SQL file outside
    /// the migration folders is replayed on its own, except when it changes no PostgreSQL schema
    /// ([`crate::sql::migrations::changes_no_schema`]) or repeats what the migrations define (a
    /// dump, a declarative schema or a setup script that creates the same objects again: at
    /// least half of the relations, functions, policies and extensions it creates exist in a
    /// migrated model).
    pub fn sql_findings(docs: &[&Document], config: &Config) -> HashMap<String, Vec<Finding>> {
        WorkspaceFacts::sql_findings_of(docs, config, true).0
    }

    /// [`WorkspaceFacts::sql_findings`], and the model of the main migrations folder (see
    /// [`WorkspaceFacts::migrations_model`]).
    pub fn sql_findings_and_base(
        docs: &[&Document],
        config: &Config,
    ) -> (HashMap<String, Vec<Finding>>, Option<Arc<MigrationModel>>) {
        WorkspaceFacts::sql_findings_of(docs, config, true)
    }

    /// The folder whose model is [`WorkspaceFacts::migrations_model`]: the migrations folder
    /// with the most files (the first by name on a tie).
    pub fn main_migrations_folder(docs: &[&Document], config: &Config) -> Option<String> {
        let folders = migration_sequences(docs, config).into_iter().filter(|s| s.is_migrations_folder);
        folders.rev().max_by_key(|s| s.documents.len()).map(|s| s.folder)
    }

    /// The model of the main migrations folder alone (for callers whose SQL findings came from
    /// a cache).
    pub fn migrations_base(docs: &[&Document], config: &Config) -> Option<Arc<MigrationModel>> {
        let main = WorkspaceFacts::main_migrations_folder(docs, config)?;
        let sequence =
            migration_sequences(docs, config).into_iter().find(|s| s.is_migrations_folder && s.folder == main)?;
        Some(Arc::new(MigrationModel::replay(&sequence.documents)))
    }

    /// [`WorkspaceFacts::sql_findings`] of the stand-alone SQL files only (the migrations are
    /// replayed to know what they define, their findings are not returned).
    pub fn standalone_sql_findings(docs: &[&Document], config: &Config) -> HashMap<String, Vec<Finding>> {
        WorkspaceFacts::sql_findings_of(docs, config, false).0
    }

    fn sql_findings_of(
        docs: &[&Document],
        config: &Config,
        with_migrations: bool,
    ) -> (HashMap<String, Vec<Finding>>, Option<Arc<MigrationModel>>) {
        // `[sql] exposed_schemas` decided from these documents, unless a caller decided it
        // from the whole workspace already (crate::sql::exposure).
        let config = &*crate::sql::exposure::resolve(config, docs.iter().map(|d| (d.path.as_str(), d.text.as_ref())));
        let main = WorkspaceFacts::main_migrations_folder(docs, config);
        let mut base = None;
        let mut by_path: HashMap<String, Vec<Finding>> = HashMap::new();
        let (folders, standalone): (Vec<_>, Vec<_>) =
            migration_sequences(docs, config).into_iter().partition(|s| s.is_migrations_folder);
        let mut migrated: BTreeSet<String> = BTreeSet::new();
        let mut run = |sequence: &crate::sql::MigrationSequence<'_>, model: &MigrationModel| {
            let ctx = SqlRuleContext { model, config, documents: &sequence.documents };
            let mut found = Vec::new();
            for rule in rules::all() {
                if let Matcher::Sql(check) = rule.matcher {
                    if config.severity_of(rule).is_some() {
                        check(&ctx, &mut found);
                    }
                }
            }
            for (rule, schema) in config.user_rules.schema_rules() {
                if config.severity_of(rule).is_some() {
                    rules::user::schema::check(rule.id, schema, &ctx, &mut found);
                }
            }
            for (path, finding) in found {
                by_path.entry(path).or_default().push(finding);
            }
        };
        for sequence in &folders {
            // A migrations folder is one database's history: one file in another dialect
            // settles it (crate::sql::dialect).
            if sequence.documents.iter().any(|d| crate::sql::dialect::dialect_of_text(&d.text).is_some()) {
                continue;
            }
            let model = MigrationModel::replay(&sequence.documents);
            migrated.extend(defined_names(&model));
            if with_migrations {
                run(sequence, &model);
            }
            if main.as_deref() == Some(sequence.folder.as_str()) {
                let mut model = model;
                model.exposed_schemas = config.sql.exposed_schemas.clone();
                base = Some(Arc::new(model));
            }
        }
        for sequence in &standalone {
            if sequence.documents.iter().any(|d| crate::sql::migrations::changes_no_schema(d).is_some()) {
                continue;
            }
            let model = MigrationModel::replay(&sequence.documents);
            let defined = defined_names(&model);
            let repeated = defined.iter().filter(|n| migrated.contains(*n)).count();
            if repeated > 0 && repeated * 2 >= defined.len() {
                continue;
            }
            run(sequence, &model);
        }
        (by_path, base)
    }
}

/// The relations, functions, policies and extensions a replayed model ends with, by name.
fn defined_names(model: &MigrationModel) -> BTreeSet<String> {
    let relations = model.tables.keys().chain(model.views.keys()).map(|n| format!("relation {n}"));
    let functions = model.functions.iter().map(|f| format!("function {}", f.name));
    let policies = model.policies.iter().map(|p| format!("policy {} on {}", p.name, p.table));
    let extensions = model.extensions.keys().map(|e| format!("extension {e}"));
    relations.chain(functions).chain(policies).chain(extensions).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summaries' fixpoint skips, in each round, the modules none of whose read modules
    /// changed in the round before: the result must be exactly the one of evaluating every
    /// module in every round — over chains of guards across modules (one hop per round), a
    /// cycle, a barrel of named re-exports, `export *` and a static method.
    #[test]
    fn skipping_unchanged_modules_resolves_exactly_like_every_round() {
        let mut files = vec![(
            "lib/g0.ts".to_string(),
            "import { auth } from \"@clerk/nextjs/server\";\n\
             export async function g0() { const { userId } = await auth(); if (!userId) throw new Error(\"no\"); return userId; }\n\
             export async function open0() { return 1; }\n"
                .to_string(),
        )];
        for i in 1..5 {
            files.push((
                format!("lib/g{i}.ts"),
                format!(
                    "import {{ g{p} }} from \"./g{p}\";\n\
                     export async function g{i}() {{ await g{p}(); }}\n\
                     export async function open{i}() {{ return {i}; }}\n",
                    p = i - 1
                ),
            ));
        }
        files.push((
            "lib/index.ts".to_string(),
            "export { g3 as guard3 } from \"./g3\";\nexport * from \"./g4\";\n".to_string(),
        ));
        files.push((
            "lib/a.ts".to_string(),
            "import { b } from \"./b\";\nimport { guard3 } from \"./index\";\n\
             export async function a() { await guard3(); await b(); }\n"
                .to_string(),
        ));
        files.push((
            "lib/b.ts".to_string(),
            "import { a } from \"./a\";\nimport { g4 } from \"./index\";\n\
             export async function b() { await g4(); await a(); }\n\
             export class Api { static async check() { await g4(); } }\n"
                .to_string(),
        ));
        files.push((
            "app/api/route.ts".to_string(),
            "import { Api } from \"../../lib/b\";\nimport { a } from \"../../lib/a\";\n\
             export async function GET() { await Api.check(); await a(); return Response.json({}); }\n"
                .to_string(),
        ));
        let config = Config::default();
        let docs: Vec<Document> = files
            .iter()
            .map(|(path, text)| Document::parse(path.clone(), FileKind::TypeScript, text.as_str()))
            .collect();
        let parts: Vec<DocumentFacts> = docs.iter().map(|d| DocumentFacts::collect(d, &config)).collect();
        let graph = ModuleGraph::build(parts.iter().map(|p| p.path.as_str()), std::iter::empty());
        let modules: Vec<ModuleSummaries<'_>> = parts
            .iter()
            .map(|p| ModuleSummaries { key: ecma::module_key(&p.path), path: &p.path, summaries: &p.summaries })
            .collect();
        let resolve = |from: &str, specifier: &str| graph.resolve(from, specifier);
        let skipping = summary::resolve_workspace_skipping(&modules, &resolve, &|_| false, true);
        let every_round = summary::resolve_workspace_skipping(&modules, &resolve, &|_| false, false);
        assert_eq!(skipping, every_round);
        let guard = |module: &str, name: &str| {
            skipping.get(module).and_then(|f| f.get(name)).is_some_and(|r| r.guard.is_some())
        };
        // The chain took several rounds: its far end is a guard, the plain functions are not.
        assert!(guard("lib/g0", "g0") && guard("lib/g4", "g4"), "{skipping:#?}");
        assert!(!guard("lib/g4", "open4"));
        // Through the barrel: a named re-export, and `export *` (followed on lookup: `b` reaches
        // `g4` through it), then a static method and the cycle.
        assert!(guard("lib/index", "export:guard3") && guard("lib/b", "b"), "{skipping:#?}");
        assert!(guard("lib/b", "export:Api.check") && guard("app/api/route", "GET"), "{skipping:#?}");
    }

    /// The editor resolves the summaries from the last resolution
    /// ([`WorkspaceFacts::assemble_after`]): over random sequences of edits to a workspace with
    /// chains of guards across modules, local helpers, aliases, a barrel (named and `export *`),
    /// a static method, a cycle, files added and removed, it must give exactly the summaries of
    /// a resolution from nothing.
    #[test]
    fn resolving_after_the_last_resolution_equals_resolving_from_nothing() {
        let mut variants: Vec<(String, Vec<Option<String>>)> = Vec::new();
        variants.push((
            "lib/g0.ts".into(),
            vec![
                Some("import { auth } from \"@clerk/nextjs/server\";\nexport async function g0() { const { userId } = await auth(); if (!userId) throw new Error(\"no\"); return userId; }\nexport async function open0() { return 1; }\n".into()),
                Some("export async function g0() { return 1; }\nexport async function open0() { return 1; }\n".into()),
                Some("import { auth } from \"@clerk/nextjs/server\";\nasync function g0() { const { userId } = await auth(); if (!userId) throw new Error(\"no\"); return userId; }\nexport { g0 as other };\n".into()),
                None,
            ],
        ));
        for i in 1..5 {
            let p = i - 1;
            variants.push((
                format!("lib/g{i}.ts"),
                vec![
                    Some(format!("import {{ g{p} }} from \"./g{p}\";\nexport async function g{i}() {{ await g{p}(); }}\nexport async function open{i}() {{ return {i}; }}\n")),
                    Some(format!("export async function g{i}() {{ return 1; }}\nexport async function open{i}() {{ return {i}; }}\n")),
                    Some(format!("import {{ g{p} }} from \"./g{p}\";\nasync function h() {{ await g{p}(); }}\nexport async function g{i}() {{ await h(); }}\n")),
                    Some(format!("import {{ g{p} }} from \"./g{p}\";\nexport const g{i} = g{p};\nexport async function open{i}() {{ await g{i}(); }}\n")),
                    None,
                ],
            ));
        }
        variants.push((
            "lib/index.ts".into(),
            vec![
                Some("export { g3 as guard3 } from \"./g3\";\nexport * from \"./g4\";\n".into()),
                Some(
                    "export * from \"./g3\";\nexport * from \"./g4\";\nexport { g0 as guard3 } from \"./g0\";\n".into(),
                ),
                Some("export { g3 as guard3, g4 } from \"./g3\";\n".into()),
                None,
            ],
        ));
        variants.push((
            "lib/a.ts".into(),
            vec![
                Some("import { b } from \"./b\";\nimport { guard3 } from \"./index\";\nexport async function a() { await guard3(); await b(); }\n".into()),
                Some("import { b } from \"./b\";\nexport async function a() { await b(); }\n".into()),
                Some("import { c } from \"./c\";\nexport async function a() { await c(); }\n".into()),
                None,
            ],
        ));
        variants.push((
            "lib/b.ts".into(),
            vec![
                Some("import { a } from \"./a\";\nimport { g4 } from \"./index\";\nexport async function b() { await g4(); await a(); }\nexport class Api { static async check() { await g4(); } }\n".into()),
                Some("import { a } from \"./a\";\nexport async function b() { await a(); }\nexport class Api { static async check() { return 1; } }\n".into()),
                Some("import { g2 } from \"./g2\";\nexport async function b() { await g2(); }\nclass Api { static async check() { await g2(); } }\nexport { Api as Client };\n".into()),
            ],
        ));
        variants.push((
            "lib/c.ts".into(),
            vec![
                None,
                Some("import { g1 } from \"./g1\";\nexport async function c() { await g1(); }\n".into()),
                Some("import { Api } from \"./b\";\nexport async function c() { await Api.check(); }\n".into()),
            ],
        ));
        variants.push((
            "app/api/route.ts".into(),
            vec![
                Some("import { Api } from \"../../lib/b\";\nimport { a } from \"../../lib/a\";\nexport async function GET() { await Api.check(); await a(); return Response.json({}); }\n".into()),
                Some("import { a } from \"../../lib/a\";\nasync function helper() { await a(); }\nexport async function GET() { await helper(); return Response.json({}); }\n".into()),
                Some("import { guard3 } from \"../../lib\";\nexport async function GET() { await guard3(); return Response.json({}); }\n".into()),
            ],
        ));
        let config = Config::default();
        // Each variant's facts once, so an unchanged file hands in the same summaries (as an
        // editor's unchanged entries do).
        let facts_of: Vec<Vec<Option<DocumentFacts>>> = variants
            .iter()
            .map(|(path, texts)| {
                texts
                    .iter()
                    .map(|t| {
                        t.as_ref().map(|t| {
                            DocumentFacts::collect(
                                &Document::parse(path.clone(), FileKind::TypeScript, t.as_str()),
                                &config,
                            )
                        })
                    })
                    .collect()
            })
            .collect();
        let mut chosen = vec![0usize; variants.len()];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut previous = WorkspaceFacts::default();
        let mut guards_seen = std::collections::HashSet::new();
        for step in 0..400 {
            for _ in 0..1 + next(3) {
                let file = next(variants.len());
                chosen[file] = next(variants[file].1.len());
            }
            let parts: Vec<&DocumentFacts> =
                chosen.iter().enumerate().filter_map(|(f, &v)| facts_of[f][v].as_ref()).collect();
            let fresh = WorkspaceFacts::assemble(parts.iter().copied());
            let after = WorkspaceFacts::assemble_after(parts.iter().copied(), &previous);
            assert_eq!(after.summaries, fresh.summaries, "step {step}, variants {chosen:?}");
            for (module, names) in fresh.summaries.iter() {
                for (name, r) in names {
                    if r.guard.is_some() {
                        guards_seen.insert(format!("{module} {name}"));
                    }
                }
            }
            previous = after;
        }
        // The sequences reach guards through the chain, the barrel and the static method.
        for expected in ["lib/g4 g4", "lib/index export:guard3", "lib/b export:Api.check", "app/api/route GET"] {
            assert!(guards_seen.contains(expected), "{expected}: {guards_seen:?}");
        }
    }
}
