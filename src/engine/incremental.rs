//! Incremental analysis for the editor: after an edit, only the top-level statements whose text
//! changed are analysed again.
//!
//! An [`AnalysisCache`] lives beside one open document. It remembers, per top-level statement
//! (keyed by its kind and exact text), the statement's contribution to the file's
//! [`FileFacts`] and the findings of the query rules whose `@match` lies in it. A statement's
//! findings are reused only while everything else they may depend on is unchanged: the
//! document's path, the configuration, the workspace facts the TS/JS rules read
//! ([`WorkspaceFacts::code_epoch`]), the file's imports and directives
//! ([`FileFacts::same_imports`]), and every [`Dependency`] its predicates recorded (whether the
//! file declares a name, whether a function is async, whether an imported module exports an
//! async function). Statements with syntax errors, and
//! statements whose predicates read beyond the statement in other ways
//! ([`super::ecma::mark_file_wide`]: another declaration's body, an absolute line number), are
//! analysed again every time. Reused findings are shifted to the statement's new position. The
//! result equals [`super::analyze_document`] on the same inputs; the property test in
//! `tests/incremental.rs` checks that over thousands of random edit sequences.
//!
//! Statements are recognised by a 64-bit hash (XXH3) of their kind and text (and their length): a
//! collision between two statements' texts is astronomically unlikely and would only misplace
//! findings until the next edit of either.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::Arc;

use tree_sitter::Node;

use super::ecma::{self, Dependency, FileFacts, StatementFacts};
use super::facts::{DocumentFacts, FactsMemo, TopLevelValue};
use super::rejects::{self, Rejection};
use super::{finish_document, run_queries, Finding, WorkspaceFacts};
use crate::config::Config;
use crate::semantic::summary::{self, Scope, Summaries};
use crate::syntax::Document;

/// How many dirty statements are analysed with one query cursor each; above it, one pass over
/// the whole tree is cheaper.
const PER_STATEMENT_LIMIT: usize = 16;

/// What an analysis reused and what it recomputed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Top-level statements whose remembered findings were reused.
    pub statements_reused: usize,
    /// Top-level statements analysed again.
    pub statements_analyzed: usize,
}

/// One remembered top-level statement.
#[derive(Default)]
struct Memo {
    facts: Option<Arc<StatementFacts>>,
    /// The summaries of the bindings it makes ([`summary::summarize_statement`]), valid while
    /// the file's scope is [`AnalysisCache::summary_scope`].
    summaries: Option<Arc<Summaries>>,
    /// [`rejects::summary`] of functions inside it, by their offset from its start.
    rejections: Vec<(usize, Rejection)>,
    /// What its top-level values contribute to the document facts beyond its statement facts
    /// and summaries ([`TopLevelValue::of`]).
    values: Option<Arc<Vec<TopLevelValue>>>,
    findings: Option<RememberedFindings>,
    /// The last analysis that saw the statement (see [`AnalysisCache::prune`]).
    seen: u64,
}

/// Remembered statements by [`statement_key`].
type Statements = HashMap<(u64, usize), Memo, BuildHasherDefault<KeyHasher>>;

/// Hashes a [`statement_key`], whose first part already is a well-mixed 64-bit hash: the
/// default SipHash would only cost time on every lookup of every statement after each edit.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(MIX);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn write_usize(&mut self, n: usize) {
        self.0 ^= (n as u64).wrapping_mul(MIX);
    }
}

/// An odd constant with well-spread bits (2^64 / golden ratio).
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

/// Forgotten statements are dropped once the memory holds this many times the document's.
const PRUNE_FACTOR: usize = 2;

/// Findings of a statement's matches: where the statement started when they were computed, and
/// what their predicates read elsewhere in the file.
struct RememberedFindings {
    start: usize,
    findings: Arc<Vec<Finding>>,
    dependencies: Vec<Dependency>,
}

/// Everything reused findings depend on besides their statement and their dependencies.
struct Context {
    path: String,
    config: String,
    code_epoch: u64,
    file_facts: Arc<FileFacts>,
}

impl Context {
    fn same(&self, other: &Context) -> bool {
        self.path == other.path
            && self.code_epoch == other.code_epoch
            && self.config == other.config
            && self.file_facts.same_imports(&other.file_facts)
    }
}

/// Per-document memory of earlier analyses. See the module documentation.
#[derive(Default)]
pub struct AnalysisCache {
    statements: Statements,
    /// Counts analyses, to tell which statements the last one saw.
    generation: u64,
    /// The last document's file facts, by its text and whether its tree was provisional: a
    /// provisional tree and the settled tree of the same text may differ, and so may their facts.
    file_facts: Option<(Arc<str>, bool, Arc<FileFacts>)>,
    /// The statement keys `file_facts` were computed with, and the [`StatementFacts`] taken from
    /// each statement (by index; none for imports, directives and comments).
    file_statements: Option<(Arc<StatementKeys>, TakenFacts)>,
    context: Option<Context>,
    /// The file facts whose imports and top-level names the remembered summaries were read with.
    summary_scope: Option<Arc<FileFacts>>,
    /// The last document's statement keys, by its text and whether its tree was provisional.
    keys: Option<(Arc<str>, bool, Arc<StatementKeys>)>,
    /// The last document facts, and what they were computed from.
    document: Option<LastDocumentFacts>,
    last: CacheStats,
}

/// The last [`AnalysisCache::document_facts`], and what decides whether the next version's are
/// the same (see [`AnalysisCache::same_document_facts`]).
struct LastDocumentFacts {
    path: String,
    config: String,
    /// Whether the whole text passed [`ecma::sets_rls_context`] (it gates the RLS candidates).
    rls_text: bool,
    /// Whether a service-client factory may be exported
    /// ([`super::facts::may_export_service_clients`]): what decides it reads across statements,
    /// so such a file's facts are always computed again.
    service_clients: bool,
    keys: Arc<StatementKeys>,
    /// The contribution of every top-level statement, by index (those of statements with syntax
    /// errors are not remembered by key): an edit replaces the changed ones and keeps the rest.
    contributions: Vec<Contribution>,
    /// The scope the summaries were read with.
    scope: Arc<Scope>,
    facts: Arc<DocumentFacts>,
}

/// Everything one top-level statement contributes to its document's [`DocumentFacts`], given
/// the file's imports and directives: equal contributions of every statement mean equal facts.
#[derive(Clone, PartialEq)]
struct Contribution {
    facts: Arc<StatementFacts>,
    summaries: Arc<Summaries>,
    values: Arc<Vec<TopLevelValue>>,
}

impl Contribution {
    /// True when the statement adds nothing to the document facts (`x;`, a comment).
    fn is_empty(&self) -> bool {
        *self.facts == StatementFacts::default() && self.summaries.is_empty() && self.values.is_empty()
    }
}

/// What [`AnalysisCache::compare_document_facts`] found.
enum Compared {
    /// The last document facts hold.
    Same(Arc<DocumentFacts>),
    /// Some statements contribute something else.
    Changed(Changed),
    /// Nothing to compare with (or too much changed).
    Unknown,
}

/// The statements that changed since the last document facts.
struct Changed {
    last: LastDocumentFacts,
    /// Their indexes in the last version.
    old: Range<usize>,
    /// The contributions of the statements that replace them, in order.
    window: Vec<Contribution>,
}

/// At most this many changed statements are compared before the document facts are computed
/// again.
const COMPARED_LIMIT: usize = 8;

impl AnalysisCache {
    /// An empty cache.
    pub fn new() -> AnalysisCache {
        AnalysisCache::default()
    }

    /// What the last [`AnalysisCache::analyze`] reused.
    pub fn last_stats(&self) -> CacheStats {
        self.last
    }

    /// The document's [`FileFacts`], reusing remembered statements' contributions. When only a
    /// few statements changed since the last version (none of them an import or a directive,
    /// nor before one), the last facts are patched: the changed statements' facts replace those
    /// of the statements they replace ([`FileFacts::spliced`]), without a walk over the file.
    pub fn file_facts(&mut self, doc: &Document) -> Arc<FileFacts> {
        if let Some((text, provisional, facts)) = &self.file_facts {
            if Arc::ptr_eq(text, &doc.text) && *provisional == doc.provisional {
                return facts.clone();
            }
        }
        let keys = self.keys(doc);
        let (facts, statements) = match self.spliced_file_facts(doc, &keys) {
            Some(spliced) => spliced,
            None => {
                let statements = &mut self.statements;
                let mut taken = Vec::new();
                let facts = Arc::new(FileFacts::collect_with(doc, &mut |doc, node| {
                    let facts = if node.has_error() {
                        Arc::new(StatementFacts::collect(doc, node))
                    } else {
                        let memo = statements.entry(keys.key(doc, node)).or_default();
                        memo.facts.get_or_insert_with(|| Arc::new(StatementFacts::collect(doc, node))).clone()
                    };
                    taken.push(((node.start_byte(), node.end_byte(), node.kind_id()), facts.clone()));
                    facts
                }));
                // By statement index: the facts taken from each top-level statement, if any.
                let mut taken = taken.into_iter().peekable();
                let by_index = keys
                    .statements
                    .iter()
                    .map(|k| taken.next_if(|(at, _)| *at == (k.start, k.end, k.kind)).map(|(_, f)| f))
                    .collect();
                (facts, by_index)
            }
        };
        self.file_facts = Some((doc.text.clone(), doc.provisional, facts.clone()));
        self.file_statements = Some((keys, statements));
        facts
    }

    /// [`AnalysisCache::file_facts`] patched from the last version's, when it can be.
    fn spliced_file_facts(
        &mut self,
        doc: &Document,
        keys: &Arc<StatementKeys>,
    ) -> Option<(Arc<FileFacts>, TakenFacts)> {
        let (last_text, _, last_facts) = self.file_facts.as_ref()?;
        let (last_text, last_facts) = (last_text.clone(), last_facts.clone());
        let (last_keys, last) = self.file_statements.take()?;
        let (old, new) = changed_statements(&last_keys.statements, &keys.statements)?;
        // The facts kept as they are hold byte offsets (imports, the insertion point of imports),
        // and keys do not cover every byte (a blank line): the text before the changed
        // statements must be the same, and the line of the last import or directive must end
        // before them.
        let start = |statements: &[KeyedStatement], text: &str, index: usize| {
            statements.get(index).map_or(text.len(), |s| s.start)
        };
        let window_start = start(&keys.statements, &doc.text, new.start);
        if start(&last_keys.statements, &last_text, old.start) != window_start
            || last_text.get(..window_start) != doc.text.get(..window_start)
        {
            return None;
        }
        let fixed_end = keys.statements[..new.start].iter().rev().find(|k| k.import_or_directive).map(|k| k.end);
        if fixed_end.is_some_and(|end| !doc.text[end..window_start].contains('\n')) {
            return None;
        }
        let root = doc.tree()?.root_node();
        let mut replacing = Vec::with_capacity(new.len());
        for index in new {
            let node = root.child(index)?;
            // Every named statement but a comment (no import or directive is among them).
            replacing.push((node.is_named() && node.kind() != "comment").then(|| {
                if node.has_error() {
                    Arc::new(StatementFacts::collect(doc, node))
                } else {
                    let memo = self.statements.entry(keys.key(doc, node)).or_default();
                    memo.facts.get_or_insert_with(|| Arc::new(StatementFacts::collect(doc, node))).clone()
                }
            }));
        }
        let spliced = last_facts.spliced(
            &flat(&last[..old.start]),
            &flat(&last[old.clone()]),
            &flat(&replacing),
            &flat(&last[old.end..]),
            ecma::is_bundle(&doc.text),
        )?;
        let mut statements = last;
        statements.splice(old, replacing);
        Some((Arc::new(spliced), statements))
    }

    /// The keys of `doc`'s top-level statements, computed once per version of the document.
    fn keys(&mut self, doc: &Document) -> Arc<StatementKeys> {
        if let Some((text, provisional, keys)) = &self.keys {
            if Arc::ptr_eq(text, &doc.text) && *provisional == doc.provisional {
                return keys.clone();
            }
        }
        let keys = Arc::new(StatementKeys::of(doc));
        self.keys = Some((doc.text.clone(), doc.provisional, keys.clone()));
        keys
    }

    /// The document's [`DocumentFacts`] (as [`DocumentFacts::from_file_facts`] gives them),
    /// reusing remembered statements' function summaries and rejection summaries: an edit inside
    /// one function costs that function's analysis, not the file's. Summaries read the file's
    /// imports and top-level names besides their statement, so all are forgotten when those
    /// change; rejection summaries read only their function.
    ///
    /// When the statements that changed since the last call contribute exactly what the
    /// statements they replace did (typing inside a function body mostly does), the last facts
    /// are returned as they are (the same `Arc`): the cost of an edit is then that of its
    /// statements, not of the file.
    pub fn document_facts(&mut self, doc: &Document, config: &Config) -> Arc<DocumentFacts> {
        let config_key = format!("{config:?}");
        let rls_text = ecma::sets_rls_context(&doc.text);
        let keys = self.keys(doc);
        let changed = match self.compare_document_facts(doc, &config_key, rls_text, &keys) {
            Compared::Same(facts) => return facts,
            Compared::Changed(changed) => Some(changed),
            Compared::Unknown => None,
        };
        let file = self.file_facts(doc);
        let same_scope = self
            .summary_scope
            .as_ref()
            .is_some_and(|s| s.imports == file.imports && s.top_level_declarations == file.top_level_declarations);
        if !same_scope {
            self.statements.values_mut().for_each(|m| m.summaries = None);
            self.summary_scope = Some(file.clone());
        }
        // Every statement's contribution: the unchanged ones' kept from the last version (their
        // summaries were read with the same scope), the others remembered by key (computed once
        // per statement text) or, for statements with errors, computed now.
        // When the changed statements contribute the same statement facts and values as the ones
        // they replace (their summaries aside), the last facts hold but for the summaries:
        // everything else in them is read from the file facts and the values.
        let mut only_summaries = None;
        let (scope, contributions): (Arc<Scope>, Vec<Contribution>) = match changed.filter(|_| same_scope) {
            Some(Changed { last, old, window }) => {
                let replaced = &last.contributions[old.clone()];
                if replaced.len() == window.len()
                    && replaced.iter().zip(&window).all(|(a, b)| a.facts == b.facts && a.values == b.values)
                {
                    only_summaries = Some(last.facts.clone());
                }
                let mut all = Vec::with_capacity(last.contributions.len() + window.len() - old.len());
                all.extend_from_slice(&last.contributions[..old.start]);
                all.extend(window);
                all.extend_from_slice(&last.contributions[old.end..]);
                (last.scope, all)
            }
            None => {
                let scope = Arc::new(super::facts::scope_of(&file));
                (scope.clone(), self.all_contributions(doc, &scope, &keys))
            }
        };

        let service_clients = super::facts::may_export_service_clients(&file);
        let facts = if service_clients {
            // Whether an export is a service-client factory reads across statements: computed
            // from the tree.
            let mut memo = StatementMemo { statements: &mut self.statements, keys: keys.clone() };
            Arc::new(DocumentFacts::from_file_facts_with(doc, config, &file, &mut memo))
        } else if let Some(last) = only_summaries {
            let mut facts = (*last).clone();
            facts.summaries.functions = contributions.iter().flat_map(|c| c.summaries.iter().cloned()).collect();
            Arc::new(facts)
        } else {
            let functions: Summaries = contributions.iter().flat_map(|c| c.summaries.iter().cloned()).collect();
            let values: Vec<&TopLevelValue> = contributions.iter().flat_map(|c| c.values.iter()).collect();
            Arc::new(DocumentFacts::from_parts(&doc.path, config, &file, rls_text, functions, &values))
        };
        self.document = Some(LastDocumentFacts {
            path: doc.path.clone(),
            config: config_key,
            rls_text,
            service_clients,
            keys,
            contributions,
            scope,
            facts: facts.clone(),
        });
        facts
    }

    /// Compares `doc`'s statements with the last document facts': the same facts when they hold
    /// for `doc` too — same path and configuration, and the statements between the unchanged
    /// ones at the start and at the end (error-free, same key) contribute, in order, what the
    /// statements they replace did, statements that contribute nothing aside (a stray `x;`);
    /// none of them an import or a directive, or before one. Otherwise the changed statements
    /// and their contributions (read with the last scope), or nothing to build on.
    fn compare_document_facts(
        &mut self,
        doc: &Document,
        config: &str,
        rls_text: bool,
        keys: &Arc<StatementKeys>,
    ) -> Compared {
        let Some(last) = self.document.take() else { return Compared::Unknown };
        if last.path != doc.path || last.config != config || last.rls_text != rls_text || last.service_clients {
            return Compared::Unknown;
        }
        if last.keys.statements.len() != last.contributions.len() {
            return Compared::Unknown;
        }
        let Some((old_changed, new_changed)) = changed_statements(&last.keys.statements, &keys.statements) else {
            return Compared::Unknown;
        };
        let before: Vec<&Contribution> =
            last.contributions[old_changed.clone()].iter().filter(|c| !c.is_empty()).collect();
        let Some(root) = doc.tree().map(|t| t.root_node()) else { return Compared::Unknown };
        let mut window = Vec::with_capacity(new_changed.len());
        for index in new_changed {
            let Some(node) = root.child(index) else { return Compared::Unknown };
            window.push(self.contribution(doc, &last.scope, keys, node));
        }
        let after: Vec<&Contribution> = window.iter().filter(|c| !c.is_empty()).collect();
        if before != after {
            return Compared::Changed(Changed { last, old: old_changed, window });
        }
        let facts = last.facts.clone();
        let mut contributions = last.contributions;
        contributions.splice(old_changed, window);
        self.document = Some(LastDocumentFacts { keys: keys.clone(), contributions, ..last });
        Compared::Same(facts)
    }

    /// The contribution of every top-level statement of `doc`, by index.
    fn all_contributions(&mut self, doc: &Document, scope: &Scope, keys: &StatementKeys) -> Vec<Contribution> {
        let Some(tree) = doc.tree() else { return Vec::new() };
        let root = tree.root_node();
        let mut cursor = root.walk();
        let children: Vec<Node<'_>> = root.children(&mut cursor).collect();
        children.into_iter().map(|node| self.contribution(doc, scope, keys, node)).collect()
    }

    /// What the top-level statement `node` contributes, remembered by its key unless it has
    /// syntax errors.
    fn contribution(&mut self, doc: &Document, scope: &Scope, keys: &StatementKeys, node: Node<'_>) -> Contribution {
        if node.has_error() {
            return Contribution {
                facts: Arc::new(StatementFacts::collect(doc, node)),
                summaries: Arc::new(summary::summarize_statement(doc, scope, node)),
                values: Arc::new(TopLevelValue::of(doc, node)),
            };
        }
        let memo = self.statements.entry(keys.key(doc, node)).or_default();
        Contribution {
            facts: memo.facts.get_or_insert_with(|| Arc::new(StatementFacts::collect(doc, node))).clone(),
            summaries: memo
                .summaries
                .get_or_insert_with(|| Arc::new(summary::summarize_statement(doc, scope, node)))
                .clone(),
            values: memo.values.get_or_insert_with(|| Arc::new(TopLevelValue::of(doc, node))).clone(),
        }
    }

    /// Analyzes `doc` like [`super::analyze_document`], reusing what earlier versions of the
    /// document already established.
    pub fn analyze(&mut self, doc: &Document, config: &Config, facts: &WorkspaceFacts) -> Vec<Finding> {
        if doc.tree().is_none() || !doc.kind.is_ecmascript() {
            self.last = CacheStats::default();
            return super::analyze_document(doc, config, facts);
        }
        let file_facts = self.file_facts(doc);
        let context = Context {
            path: doc.path.clone(),
            config: format!("{config:?}"),
            code_epoch: facts.code_epoch,
            file_facts: file_facts.clone(),
        };
        if !self.context.as_ref().is_some_and(|c| c.same(&context)) {
            self.statements.values_mut().for_each(|m| m.findings = None);
        }
        // Remembered dependencies are checked against the current file facts (`file_facts`).
        self.context = Some(context);

        // The top-level statements as the keys saw them (the same tree): no walk over the tree.
        let statement_keys = self.keys(doc);
        let statements = &statement_keys.statements;
        let mut dirty = Vec::new();
        for (index, statement) in statements.iter().enumerate() {
            let cached = !statement.has_error
                && self
                    .statements
                    .get(&statement.key)
                    .and_then(|m| m.findings.as_ref())
                    .is_some_and(|r| r.dependencies.iter().all(|d| d.holds(&file_facts, facts, &doc.path)));
            if !cached {
                dirty.push(index);
            }
        }

        // Evaluate the dirty statements' matches, bucketed by statement.
        let file_cell = OnceCell::from(file_facts.clone());
        let mut computed: HashMap<usize, (Vec<Finding>, Vec<Dependency>)> =
            dirty.iter().map(|&i| (i, (Vec::new(), Vec::new()))).collect();
        let mut straddles = false;
        let mut bucket = |m: super::EvaluatedMatch<'_>, only: Option<usize>| {
            let index = statements.partition_point(|s| s.start <= m.node.start_byte()).saturating_sub(1);
            let Some(statement) = statements.get(index) else {
                straddles = true;
                return;
            };
            if only.is_some_and(|o| o != index) {
                return; // a neighbour's match, seen through the byte range; it has its own run
            }
            if !contains(&(statement.start..statement.end), &m.extent) {
                straddles = true;
                return;
            }
            if let Some((found, dependencies)) = computed.get_mut(&index) {
                found.extend(m.finding);
                for dependency in m.dependencies {
                    if !dependencies.contains(&dependency) {
                        dependencies.push(dependency);
                    }
                }
            }
        };
        if dirty.len() > PER_STATEMENT_LIMIT {
            run_queries(doc, config, facts, &file_cell, None, &mut |m| bucket(m, None));
        } else {
            for &index in &dirty {
                let range = statements[index].start..statements[index].end;
                run_queries(doc, config, facts, &file_cell, Some(range), &mut |m| bucket(m, Some(index)));
            }
        }
        if straddles {
            // A match spanning several statements: nothing here can be reused safely.
            self.statements.clear();
            self.context = None;
            self.last = CacheStats { statements_reused: 0, statements_analyzed: statements.len() };
            return super::analyze_document(doc, config, facts);
        }

        let mut findings = Vec::new();
        let mut stats = CacheStats::default();
        self.generation += 1;
        let mut inconsistent = false;
        for (index, statement) in statements.iter().enumerate() {
            let range = statement.start..statement.end;
            // Statements with the same text share one memo.
            let memo = self.statements.entry(statement.key).or_default();
            memo.seen = self.generation;
            match computed.remove(&index) {
                Some((found, dependencies)) => {
                    stats.statements_analyzed += 1;
                    // Findings that depend on more of the file than can be checked are not
                    // remembered; a statement with syntax errors keeps what its error-free twin
                    // established.
                    if !dependencies.contains(&Dependency::FileWide)
                        && !statement.has_error
                        && !has_boundary_edit(&found, &doc.path, &range)
                    {
                        memo.findings = Some(RememberedFindings {
                            start: statement.start,
                            findings: Arc::new(found.clone()),
                            dependencies,
                        });
                    }
                    findings.extend(found);
                }
                None => match &memo.findings {
                    Some(remembered) => {
                        stats.statements_reused += 1;
                        let old = remembered.start..remembered.start + range.len();
                        findings
                            .extend(remembered.findings.iter().map(|f| shifted(f, &doc.path, &old, statement.start)));
                    }
                    None => inconsistent = true,
                },
            }
        }
        self.prune(statements.len());
        self.last = stats;
        if inconsistent {
            // Cannot happen (clean statements were checked to have findings); stay correct anyway.
            self.context = None;
            return super::analyze_document(doc, config, facts);
        }
        finish_document(doc, config, facts, findings)
    }

    /// Drops the memos of statements the last analysis did not see, once there are more than
    /// [`PRUNE_FACTOR`] times as many as the document has statements (so memory stays bounded
    /// while an edit that removes and restores a statement keeps its memo).
    fn prune(&mut self, statements: usize) {
        if self.statements.len() > statements * PRUNE_FACTOR + 64 {
            let generation = self.generation;
            self.statements.retain(|_, memo| memo.seen == generation);
        }
    }
}

/// The [`StatementFacts`] the file facts took from each top-level statement, by index (none for
/// imports, directives and comments).
type TakenFacts = Vec<Option<Arc<StatementFacts>>>;

/// The statement facts in `list`, skipping the statements that have none.
fn flat(list: &[Option<Arc<StatementFacts>>]) -> Vec<&StatementFacts> {
    list.iter().flatten().map(|f| f.as_ref()).collect()
}

/// The statements that changed between two versions of a document: the indexes of those of the
/// old version and of those that replace them in the new one — every statement between the
/// unchanged ones at the start and at the end (same key, no syntax errors). `None` when more than
/// [`COMPARED_LIMIT`] changed, or when an import or a directive is among or after them (the file
/// facts read those themselves: the prologue, the insertion point of imports).
fn changed_statements(old: &[KeyedStatement], new: &[KeyedStatement]) -> Option<(Range<usize>, Range<usize>)> {
    let same = |(a, b): (&KeyedStatement, &KeyedStatement)| a.key == b.key && !a.has_error && !b.has_error;
    let prefix = old.iter().zip(new).take_while(|&pair| same(pair)).count();
    let shorter = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(shorter).take_while(|&pair| same(pair)).count();
    let (old_changed, new_changed) = (prefix..old.len() - suffix, prefix..new.len() - suffix);
    let last_fixed = |s: &[KeyedStatement]| s.iter().rposition(|k| k.import_or_directive);
    let before_fixed = [last_fixed(old), last_fixed(new)].into_iter().flatten().any(|i| prefix <= i);
    (old_changed.len() + new_changed.len() <= COMPARED_LIMIT && !before_fixed).then_some((old_changed, new_changed))
}

/// The [`FactsMemo`] of one document: its statements' memos.
struct StatementMemo<'m> {
    statements: &'m mut Statements,
    keys: Arc<StatementKeys>,
}

impl FactsMemo for StatementMemo<'_> {
    fn summaries(&mut self, doc: &Document, scope: &Scope, statement: Node<'_>) -> Summaries {
        if statement.has_error() {
            return summary::summarize_statement(doc, scope, statement);
        }
        let memo = self.statements.entry(self.keys.key(doc, statement)).or_default();
        let found = memo.summaries.get_or_insert_with(|| Arc::new(summary::summarize_statement(doc, scope, statement)));
        found.as_ref().clone()
    }

    fn rejection(&mut self, doc: &Document, function: Node<'_>) -> Rejection {
        let Some(statement) = self.keys.statement_of(function).filter(|s| !s.has_error) else {
            return rejects::summary(doc, function);
        };
        let offset = function.start_byte() - statement.start;
        let memo = self.statements.entry(statement.key).or_default();
        if let Some((_, found)) = memo.rejections.iter().find(|(o, _)| *o == offset) {
            return found.clone();
        }
        let found = rejects::summary(doc, function);
        memo.rejections.push((offset, found.clone()));
        found
    }
}

/// The keys of a document's top-level statements, computed in one pass (finding each
/// statement's leading comments with `Node::prev_sibling`, which tree-sitter answers by
/// walking from the parent's first child, made keying a file quadratic in its statements) and
/// once per document version (see [`AnalysisCache::keys`]).
struct StatementKeys {
    /// Top-level statements in order.
    statements: Vec<KeyedStatement>,
}

/// One top-level statement of [`StatementKeys`].
#[derive(Clone, Copy)]
struct KeyedStatement {
    start: usize,
    end: usize,
    kind: u16,
    has_error: bool,
    /// An import, or a statement that may be a directive (`"use client"`): the file facts read
    /// those themselves.
    import_or_directive: bool,
    key: (u64, usize),
}

impl StatementKeys {
    fn of(doc: &Document) -> StatementKeys {
        let mut statements = Vec::new();
        if let Some(tree) = doc.tree() {
            let root = tree.root_node();
            let mut cursor = root.walk();
            let mut comments_start = None;
            for node in root.children(&mut cursor) {
                statements.push(KeyedStatement {
                    start: node.start_byte(),
                    end: node.end_byte(),
                    kind: node.kind_id(),
                    has_error: node.has_error(),
                    import_or_directive: node.kind() == "import_statement"
                        || node.kind() == "expression_statement"
                            && node.named_child(0).is_some_and(|n| n.kind() == "string"),
                    key: statement_key_from(doc, node, comments_start),
                });
                comments_start =
                    if node.kind().contains("comment") { comments_start.or(Some(node.start_byte())) } else { None };
            }
        }
        StatementKeys { statements }
    }

    /// The key of `node`, a top-level statement (computed afresh for any other node).
    fn key(&self, doc: &Document, node: Node<'_>) -> (u64, usize) {
        let index = self.statements.partition_point(|s| s.start < node.start_byte());
        match self.statements[index..]
            .iter()
            .take_while(|s| s.start == node.start_byte())
            .find(|s| s.end == node.end_byte() && s.kind == node.kind_id())
        {
            Some(statement) => statement.key,
            None => statement_key(doc, node),
        }
    }

    /// The top-level statement that contains `node`.
    fn statement_of(&self, node: Node<'_>) -> Option<KeyedStatement> {
        let index = self.statements.partition_point(|s| s.start <= node.start_byte()).checked_sub(1)?;
        let statement = self.statements[index];
        (statement.start <= node.start_byte() && node.end_byte() <= statement.end).then_some(statement)
    }
}

/// The key of a top-level statement: a hash of its kind and text, and its length. The text hashed
/// also takes in what rules read around a statement: the comments right before it, the line before
/// those, and the rest of the statement's first line (a doc comment, an `eslint-disable-next-line`
/// or `eslint-disable-line` directive), so editing them is not answered from the memo — and
/// where the statement starts in that text.
fn statement_key(doc: &Document, node: Node<'_>) -> (u64, usize) {
    let mut start = None;
    let mut previous = node.prev_sibling();
    while let Some(comment) = previous.filter(|p| p.kind().contains("comment")) {
        start = Some(comment.start_byte());
        previous = comment.prev_sibling();
    }
    statement_key_from(doc, node, start)
}

/// [`statement_key`] given where the comments right before `node` start (`None`: there are none).
fn statement_key_from(doc: &Document, node: Node<'_>, comments_start: Option<usize>) -> (u64, usize) {
    let text = &*doc.text;
    let start = comments_start.unwrap_or(node.start_byte());
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
    let start = line_start(line_start(start).saturating_sub(1));
    let first_line_end = text[node.start_byte()..].find('\n').map_or(text.len(), |i| node.start_byte() + i);
    let end = node.end_byte().max(first_line_end);
    // Where the statement sits in the text hashed, too: statements on one line (minified code)
    // hash the same text, and two of one kind and length must not share a memo.
    let seed = u64::from(node.kind_id()) | ((node.start_byte() - start) as u64) << 16;
    let hash = xxhash_rust::xxh3::xxh3_64_with_seed(&text.as_bytes()[start..end], seed);
    (hash, node.byte_range().len())
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Whether a fix edits `statement`'s file at the statement's edge (an insertion at its very start
/// or end) or across it. Such an edit cannot be told apart from an edit elsewhere in the file that
/// happens to touch the statement (an import inserted at the top, right before a statement that
/// starts the file): when the statement moves, [`shifted`] could not know whether to move the edit
/// with it, so findings with such edits are not remembered.
fn has_boundary_edit(findings: &[Finding], path: &str, statement: &Range<usize>) -> bool {
    let edits = findings.iter().flat_map(|f| &f.fixes).flat_map(|fix| &fix.edits).filter(|e| e.path == path);
    edits.into_iter().any(|edit| {
        let touches = |at: usize| edit.range.start <= at && at <= edit.range.end;
        let inside = contains(statement, &edit.range);
        let outside = edit.range.end <= statement.start || edit.range.start >= statement.end;
        touches(statement.start) && !(inside && !edit.range.is_empty() && edit.range.start > statement.start)
            || touches(statement.end)
            || !inside && !outside
    })
}

/// A remembered finding moved with its statement from `old` to `new_start`: ranges inside the
/// statement move, ranges elsewhere (an import added at the top) stay.
fn shifted(finding: &Finding, path: &str, old: &Range<usize>, new_start: usize) -> Finding {
    let shift = |range: &Range<usize>| {
        if contains(old, range) {
            range.start - old.start + new_start..range.end - old.start + new_start
        } else {
            range.clone()
        }
    };
    let mut moved = finding.clone();
    moved.range = shift(&finding.range);
    for fix in &mut moved.fixes {
        for edit in fix.edits.iter_mut().filter(|e| e.path == path) {
            edit.range = shift(&edit.range);
        }
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    fn config() -> Config {
        Config::parse("[rls]\nenforce = true\n", None).unwrap()
    }

    /// Analyses `text` through the cache and from scratch; asserts both agree; returns the cache's
    /// statistics and the findings' rule ids.
    fn step(
        cache: &mut AnalysisCache,
        previous: &mut Option<WorkspaceFacts>,
        path: &str,
        text: &str,
    ) -> (CacheStats, Vec<&'static str>) {
        let doc = Document::parse(path, FileKind::TypeScript, text);
        let config = config();
        let mut facts = WorkspaceFacts::collect(&[&doc], &config);
        if let Some(previous) = previous.as_ref() {
            facts.continue_epoch(previous);
        }
        let cached = cache.analyze(&doc, &config, &facts);
        assert_eq!(cached, crate::engine::analyze_document(&doc, &config, &facts), "{text}");
        *previous = Some(facts);
        (cache.last_stats(), cached.iter().map(|f| f.rule).collect())
    }

    fn functions(count: usize, edited: Option<usize>) -> String {
        let mut text = String::from("import { prisma } from \"@/lib/db/client\";\n\n");
        for i in 0..count {
            let extra = if Some(i) == edited { "  const extra = 1;\n" } else { "" };
            text.push_str(&format!(
                "export async function load{i}() {{\n{extra}  return prisma.run.findMany();\n}}\n\n"
            ));
        }
        text
    }

    #[test]
    fn an_edit_reanalyses_only_its_statement() {
        let (mut cache, mut previous) = (AnalysisCache::new(), None);
        let (first, rules) = step(&mut cache, &mut previous, "src/a.ts", &functions(40, None));
        assert_eq!((first.statements_reused, first.statements_analyzed), (0, 41));
        assert_eq!(rules.iter().filter(|r| **r == "rls/prisma-outside-context").count(), 40);
        // Line 20's function grows by a line: every statement after it moves, none is re-analysed.
        let (second, rules) = step(&mut cache, &mut previous, "src/a.ts", &functions(40, Some(20)));
        assert_eq!((second.statements_reused, second.statements_analyzed), (40, 1));
        assert_eq!(rules.len(), 40);
    }

    #[test]
    fn editing_the_comment_above_a_statement_reanalyses_it() {
        let source = |doc: &str| {
            format!("/**\n * Totals of a day.\n * {doc}\n */\nexport interface DayTotalsDTO {{\n  total: number;\n}}\n")
        };
        let (mut cache, mut previous) = (AnalysisCache::new(), None);
        let (_, rules) = step(&mut cache, &mut previous, "src/dto.ts", &source("RPC response of day_totals."));
        assert!(!rules.contains(&"patterns/dto-interface"), "{rules:?}");
        // Only the doc comment changed: the declaration must not be answered from the memo.
        let (_, rules) = step(&mut cache, &mut previous, "src/dto.ts", &source("A row of the table."));
        assert!(rules.contains(&"patterns/dto-interface"), "{rules:?}");
        let (_, rules) = step(&mut cache, &mut previous, "src/dto.ts", &source("RPC response of day_totals."));
        assert!(!rules.contains(&"patterns/dto-interface"), "{rules:?}");
    }

    /// Found by the edit property test (seed 7): a bundle's marker line read by
    /// `errors/floating-promise` is outside every statement; breaking it must not leave the
    /// statements' remembered "bundle: no findings" in place, nor restoring it their findings.
    #[test]
    fn editing_the_bundle_marker_reanalyses_the_statements() {
        let text = |marker: &str| {
            format!("#!/usr/bin/env bun\n{marker}\nasync function sync(target) {{\n  await fetch(target);\n}}\nfunction main(argv) {{\n  sync(argv[2]);\n}}\nmain(process.argv);\n")
        };
        let (mut cache, mut previous) = (AnalysisCache::new(), None);
        let (_, rules) = step(&mut cache, &mut previous, "dist/cli.js", &text("// @bun"));
        assert!(!rules.contains(&"errors/floating-promise"), "{rules:?}");
        let (_, rules) = step(&mut cache, &mut previous, "dist/cli.js", &text("// @b\r\nun"));
        assert!(rules.contains(&"errors/floating-promise"), "{rules:?}");
        let (_, rules) = step(&mut cache, &mut previous, "dist/cli.js", &text("// @bun"));
        assert!(!rules.contains(&"errors/floating-promise"), "{rules:?}");
    }

    #[test]
    fn a_changed_import_invalidates_every_statement() {
        let (mut cache, mut previous) = (AnalysisCache::new(), None);
        step(&mut cache, &mut previous, "src/a.ts", &functions(5, None));
        let with_alias = functions(5, None).replace("import { prisma }", "import { prisma as db2 }");
        let (stats, _) = step(&mut cache, &mut previous, "src/a.ts", &with_alias);
        assert_eq!(stats.statements_reused, 0);
    }

    #[test]
    fn statements_that_read_the_whole_file_are_always_reanalysed() {
        let route = |guard: &str| {
            format!(
                "import {{ prisma }} from \"@/lib/db/client\";\n\nasync function requireUser() {{\n  {guard}\n}}\n\nexport async function GET() {{\n  await requireUser();\n  return Response.json(await prisma.user.findMany());\n}}\n"
            )
        };
        let (mut cache, mut previous) = (AnalysisCache::new(), None);
        let path = "app/api/users/route.ts";
        let guard = "const session = await auth();\n  if (!session) throw new Error(\"signed out\");";
        let (_, rules) = step(&mut cache, &mut previous, path, &route(guard));
        assert!(!rules.contains(&"auth/route-missing-auth"), "{rules:?}");
        // Only the helper changed; the handler's verdict depends on it.
        let (stats, rules) = step(&mut cache, &mut previous, path, &route("return null;"));
        assert!(rules.contains(&"auth/route-missing-auth"), "{rules:?}");
        assert!(stats.statements_analyzed >= 2, "{stats:?}");
    }
}

#[cfg(test)]
mod dependency_tests {
    use super::*;
    use crate::syntax::FileKind;

    /// A call of a same-file async function is a floating promise only while that function is
    /// declared: deleting the declaration must re-evaluate the call's statement.
    #[test]
    fn a_recorded_dependency_that_no_longer_holds_reanalyses_its_statement() {
        let config = Config::default();
        let (mut cache, mut previous): (AnalysisCache, Option<WorkspaceFacts>) = (AnalysisCache::new(), None);
        let mut run = |text: &str| {
            let doc = Document::parse("scripts/job.ts", FileKind::TypeScript, text);
            let mut facts = WorkspaceFacts::collect(&[&doc], &config);
            if let Some(p) = &previous {
                facts.continue_epoch(p);
            }
            let found = cache.analyze(&doc, &config, &facts);
            assert_eq!(found, crate::engine::analyze_document(&doc, &config, &facts));
            previous = Some(facts);
            found.len()
        };
        assert_eq!(run("async function main() {\n  await fetch(\"/x\");\n}\n\nfunction run() {\n  main();\n}\n"), 1);
        assert_eq!(run("function other() {}\n\nfunction run() {\n  main();\n}\n"), 0);
    }
}

#[cfg(test)]
mod document_facts_tests {
    use super::*;
    use crate::semantic::summary::{Callee, Step};
    use crate::syntax::FileKind;

    /// The document facts of `text` through `cache`, asserted equal to those computed afresh.
    fn facts(cache: &mut AnalysisCache, text: &str) -> DocumentFacts {
        let config = Config::default();
        let doc = Document::parse("src/lib/jobs.ts", FileKind::TypeScript, text);
        let remembered = cache.document_facts(&doc, &config);
        assert_eq!(*remembered, DocumentFacts::collect(&doc, &config), "remembered facts are stale for:\n{text}");
        remembered.as_ref().clone()
    }

    /// The callee of the first guard step of `name`'s summary.
    fn first_callee(facts: &DocumentFacts, name: &str) -> Option<Callee> {
        let (_, summary) = facts.summaries.functions.iter().find(|(n, _)| n == name)?;
        summary.steps.iter().find_map(|s| match s {
            Step::Guard { callee, .. } => Some(callee.clone()),
            Step::Return { from } => from.clone(),
            _ => None,
        })
    }

    /// `load`'s statement is unchanged in every version below; what its summary calls depends on
    /// the file's imports and top-level names, which the other statements change.
    #[test]
    fn a_remembered_summary_follows_the_files_imports_and_top_level_names() {
        let mut cache = AnalysisCache::new();
        // (The key of a statement takes in the line before it: `limit` keeps that line unchanged.)
        let load = "const limit = 1;\nexport async function load() {\n  await check();\n  return limit;\n}\n";
        let local = facts(&mut cache, &format!("async function check() {{ return 1; }}\n{load}"));
        assert_eq!(first_callee(&local, "load"), Some(Callee::Local("check".into())));
        let global = facts(&mut cache, &format!("async function other() {{ return 1; }}\n{load}"));
        assert_eq!(first_callee(&global, "load"), Some(Callee::Global("check".into())));
        let imported =
            |source: &str| Callee::Import { source: source.into(), name: "check".into(), local: "check".into() };
        let a = facts(&mut cache, &format!("import {{ check }} from \"./a\";\n{load}"));
        assert_eq!(first_callee(&a, "load"), Some(imported("./a")));
        let b = facts(&mut cache, &format!("import {{ check }} from \"./b\";\n{load}"));
        assert_eq!(first_callee(&b, "load"), Some(imported("./b")));
    }

    /// An edit whose statement contributes what it did before gives the same facts without
    /// computing them again (the same `Arc`); one that changes what it contributes does not.
    #[test]
    fn an_edit_that_changes_no_contribution_keeps_the_facts() {
        let mut cache = AnalysisCache::new();
        let text = |body: &str| {
            format!("import {{ x }} from \"./x\";\n\nexport async function load() {{\n  {body}\n  return x();\n}}\n\nexport async function helper() {{\n  return 1;\n}}\n")
        };
        let config = Config::default();
        let mut remembered = |text: &str| {
            let doc = Document::parse("src/lib/jobs.ts", FileKind::TypeScript, text);
            let facts = cache.document_facts(&doc, &config);
            assert_eq!(*facts, DocumentFacts::collect(&doc, &config), "remembered facts are stale for:\n{text}");
            facts
        };
        let first = remembered(&text("const a = 1;"));
        assert!(first.never_rejects_if.iter().any(|(name, _)| name == "load"));
        let second = remembered(&text("const a = 2;"));
        assert!(Arc::ptr_eq(&first, &second), "the facts were computed again");
        // With a syntax error inside the body, the statement is compared afresh every time.
        let broken = remembered(&text("const a = ;"));
        assert!(Arc::ptr_eq(&first, &broken), "the facts were computed again");
        // A statement that contributes nothing, added between the functions and removed again.
        let stray = remembered(
            &text("const a = 1;").replace("\nexport async function helper", "\nx;\n\nexport async function helper"),
        );
        assert!(Arc::ptr_eq(&first, &stray), "the facts were computed again");
        assert!(Arc::ptr_eq(&first, &remembered(&text("const a = 1;"))), "the facts were computed again");
        // A new function is a new contribution.
        let added = remembered(
            &text("const a = 1;")
                .replace("\nexport async function helper", "\nfunction other() {}\n\nexport async function helper"),
        );
        assert!(!Arc::ptr_eq(&first, &added));
        let throws = remembered(&text("throw new Error(\"no\");"));
        assert!(!throws.never_rejects_if.iter().any(|(name, _)| name == "load"));
        let again = remembered(&text("const a = 1;"));
        assert!(again.never_rejects_if.iter().any(|(name, _)| name == "load"));
    }

    /// What a statement contributes beyond its names and its summaries — whether a function sets
    /// an RLS context, whether it may reject — is compared too.
    #[test]
    fn an_edit_that_changes_only_a_functions_behaviour_changes_the_facts() {
        let mut cache = AnalysisCache::new();
        let context = "export async function withCtx(fn: any) {\n  return prisma.$transaction(async (tx: any) => {\n    await tx.$executeRaw`SELECT set_config('app.user', '1', true)`;\n    return fn(tx);\n  });\n}\n";
        let text = |note: &str, body: &str| {
            format!("import {{ prisma }} from \"./db\";\nimport {{ x }} from \"./x\";\n\n{context}\nexport async function other() {{\n  const note = \"{note}\";\n  {body}\n}}\n")
        };
        let plain = facts(
            &mut cache,
            &text("plain", "try {\n    await x();\n  } catch (error) {\n    console.error(error);\n  }"),
        );
        assert!(!plain.rls_wrappers.contains("other"));
        let wrapper = facts(
            &mut cache,
            &text(
                "$transaction set_config(",
                "try {\n    await x();\n  } catch (error) {\n    console.error(error);\n  }",
            ),
        );
        assert!(wrapper.rls_wrappers.contains("other"), "{:?}", wrapper.rls_wrappers);
        let rejects = facts(&mut cache, &text("$transaction set_config(", "await x();"));
        assert_ne!(wrapper.never_rejects, rejects.never_rejects);
    }

    /// Whether a factory builds a privileged Supabase client reads a key constant declared in
    /// another statement: editing only that constant changes the factory's facts.
    #[test]
    fn a_service_client_factory_follows_the_key_constant_it_reads() {
        let mut cache = AnalysisCache::new();
        let text = |key: &str| {
            format!("import {{ createClient }} from \"@supabase/supabase-js\";\n\nconst key = process.env.{key}!;\n\nexport function admin() {{\n  return createClient(\"https://x.supabase.co\", key);\n}}\n")
        };
        let service = facts(&mut cache, &text("SUPABASE_SERVICE_ROLE_KEY"));
        let anon = facts(&mut cache, &text("SUPABASE_ANON_KEY"));
        assert_ne!(service.service_clients, anon.service_clients);
        let again = facts(&mut cache, &text("SUPABASE_SERVICE_ROLE_KEY"));
        assert_eq!(service.service_clients, again.service_clients);
    }

    /// Whether `load` may reject follows the body of the helper it returns, though `load`'s own
    /// statement is unchanged.
    #[test]
    fn a_remembered_rejection_summary_follows_the_helpers_it_calls() {
        let mut cache = AnalysisCache::new();
        let load = "const limit = 1;\nexport async function load() {\n  return helper(limit);\n}\n";
        let throws = facts(&mut cache, &format!("async function helper() {{ throw new Error(\"no\"); }}\n{load}"));
        assert!(!throws.never_rejects.contains("load"));
        let safe = facts(&mut cache, &format!("async function helper() {{ return 1; }}\n{load}"));
        assert!(safe.never_rejects.contains("load"));
        let again = facts(&mut cache, &format!("async function helper() {{ throw new Error(\"no\"); }}\n{load}"));
        assert!(!again.never_rejects.contains("load"));
        // An import of the helper makes it a condition on the other module instead.
        let imported = facts(&mut cache, &format!("import {{ helper }} from \"./helper\";\n{load}"));
        assert!(!imported.never_rejects.contains("load"));
        assert!(imported.never_rejects_if.iter().any(|(name, _)| name == "load"));
    }
}

#[cfg(test)]
mod cross_file_tests {
    use super::*;
    use crate::syntax::FileKind;

    /// Analyses `doc` through `cache` under the facts of `docs`, asserts the result equals an
    /// analysis from scratch, and returns the findings' rule ids; `previous` carries the epoch.
    fn analyze(
        cache: &mut AnalysisCache,
        previous: &mut Option<WorkspaceFacts>,
        doc: &Document,
        others: &[&Document],
    ) -> (CacheStats, Vec<&'static str>) {
        let config = Config::default();
        let mut docs = vec![doc];
        docs.extend_from_slice(others);
        let mut facts = WorkspaceFacts::collect(&docs, &config);
        if let Some(previous) = previous.as_ref() {
            facts.continue_epoch(previous);
        }
        let found = cache.analyze(doc, &config, &facts);
        assert_eq!(found, crate::engine::analyze_document(doc, &config, &facts), "stale findings: {}", doc.path);
        *previous = Some(facts);
        (cache.last_stats(), found.iter().map(|f| f.rule).collect())
    }

    /// An open route whose text never changes: the wrapper it uses, in another file, loses and
    /// regains its guard. The route's remembered statement must follow the wrapper's summary,
    /// and only that statement is analysed again.
    #[test]
    fn a_changed_summary_in_another_file_reanalyses_the_statements_that_read_it() {
        let route = Document::parse(
            "app/api/links/route.ts",
            FileKind::TypeScript,
            "import { withUser } from \"../../../lib/auth\";\nimport { prisma } from \"../../../lib/db\";\n\nexport const GET = withUser(async () => Response.json(await prisma.link.findMany()));\n\nexport function label() {\n  return \"links\";\n}\n",
        );
        let wrapper = |guarded: bool| {
            let guard = if guarded {
                "    const session = await getServerSession();\n    if (!session) throw new Error(\"signed out\");\n"
            } else {
                ""
            };
            Document::parse(
                "lib/auth.ts",
                FileKind::TypeScript,
                format!("import {{ getServerSession }} from \"next-auth\";\n\nexport function withUser(handler: (req: Request) => Promise<Response>) {{\n  return async (req: Request) => {{\n{guard}    return handler(req);\n  }};\n}}\n"),
            )
        };
        let (mut cache, mut previous) = (AnalysisCache::new(), None);
        let (_, rules) = analyze(&mut cache, &mut previous, &route, &[&wrapper(true)]);
        assert!(!rules.contains(&"auth/route-missing-auth"), "{rules:?}");
        let (stats, rules) = analyze(&mut cache, &mut previous, &route, &[&wrapper(false)]);
        assert!(rules.contains(&"auth/route-missing-auth"), "{rules:?}");
        assert!(stats.statements_reused >= 3, "{stats:?}");
        let (_, rules) = analyze(&mut cache, &mut previous, &route, &[&wrapper(true)]);
        assert!(!rules.contains(&"auth/route-missing-auth"), "{rules:?}");
    }

    /// An open script calls a function of another module, which becomes async and back: the
    /// call's finding follows, though the script's text never changes.
    #[test]
    fn a_changed_async_export_in_another_file_reanalyses_the_call() {
        let script = Document::parse(
            "scripts/run.ts",
            FileKind::TypeScript,
            "import { log } from \"../lib/jobs\";\n\nexport function run() {\n  log();\n}\n\nexport const name = \"run\";\n",
        );
        let jobs = |prefix: &str| {
            Document::parse(
                "lib/jobs.ts",
                FileKind::TypeScript,
                format!("export {prefix}function log() {{\n  return fetch(\"/log\");\n}}\n"),
            )
        };
        let (mut cache, mut previous) = (AnalysisCache::new(), None);
        let (_, rules) = analyze(&mut cache, &mut previous, &script, &[&jobs("")]);
        assert!(!rules.contains(&"errors/floating-promise"), "{rules:?}");
        let (_, rules) = analyze(&mut cache, &mut previous, &script, &[&jobs("async ")]);
        assert!(rules.contains(&"errors/floating-promise"), "{rules:?}");
        let (_, rules) = analyze(&mut cache, &mut previous, &script, &[&jobs("")]);
        assert!(!rules.contains(&"errors/floating-promise"), "{rules:?}");
    }
}

#[cfg(test)]
mod patch_tests {
    //! The editor's document facts are patched per statement from the last version's: these
    //! edits change what a statement contributes, and each must give exactly the facts and the
    //! findings of an analysis from scratch (a stale patch fails them).
    use super::*;
    use crate::syntax::FileKind;

    /// Open documents, each with its cache, analysed the way the server does after an edit: each
    /// document's facts through its cache (asserted equal to fresh ones), the workspace facts
    /// assembled from them, then each document through its cache (asserted equal to an analysis
    /// from scratch). Returns each document's rule ids.
    struct Editor {
        caches: Vec<AnalysisCache>,
        previous: Option<WorkspaceFacts>,
    }

    impl Editor {
        fn new(documents: usize) -> Editor {
            Editor { caches: (0..documents).map(|_| AnalysisCache::new()).collect(), previous: None }
        }

        fn run(&mut self, files: &[(&str, &str)]) -> Vec<Vec<&'static str>> {
            let config = Config::default();
            let docs: Vec<Document> =
                files.iter().map(|(path, text)| Document::parse(*path, FileKind::TypeScript, *text)).collect();
            let mut parts = Vec::new();
            for (cache, doc) in self.caches.iter_mut().zip(&docs) {
                let remembered = cache.document_facts(doc, &config);
                assert_eq!(*remembered, DocumentFacts::collect(doc, &config), "stale facts of {}", doc.path);
                assert_eq!(*cache.file_facts(doc), FileFacts::collect(doc), "stale file facts of {}", doc.path);
                parts.push(remembered);
            }
            // As the server does: the summaries resolved from the last resolution.
            let mut facts = match &self.previous {
                Some(previous) => WorkspaceFacts::assemble_after(parts.iter().map(|p| p.as_ref()), previous),
                None => WorkspaceFacts::assemble(parts.iter().map(|p| p.as_ref())),
            };
            if let Some(previous) = &self.previous {
                facts.continue_epoch(previous);
            }
            let refs: Vec<&Document> = docs.iter().collect();
            let fresh = WorkspaceFacts::collect(&refs, &config);
            assert_eq!(facts.summaries, fresh.summaries, "stale resolved summaries");
            let mut rules = Vec::new();
            for (cache, doc) in self.caches.iter_mut().zip(&docs) {
                let found = cache.analyze(doc, &config, &facts);
                assert_eq!(
                    found,
                    crate::engine::analyze_document(doc, &config, &fresh),
                    "stale findings: {}",
                    doc.path
                );
                rules.push(found.iter().map(|f| f.rule).collect());
            }
            self.previous = Some(facts);
            rules
        }
    }

    /// Functions that stay the same in every version, so the edited statement is one of many.
    const OTHERS: &str =
        "export async function one() {\n  return 1;\n}\n\nexport async function two() {\n  return 2;\n}\n";

    #[test]
    fn an_edit_inside_one_function_changes_the_summary_another_statement_reads() {
        let route = |guard: &str| {
            format!("import {{ prisma }} from \"@/lib/db/client\";\nimport {{ auth }} from \"@/auth\";\n\n{OTHERS}\nasync function requireUser() {{\n  {guard}\n}}\n\nexport async function GET() {{\n  await requireUser();\n  return Response.json(await prisma.user.findMany());\n}}\n")
        };
        let guarded = "const session = await auth();\n  if (!session) throw new Error(\"signed out\");";
        let mut editor = Editor::new(1);
        let path = "app/api/users/route.ts";
        assert!(!editor.run(&[(path, &route(guarded))])[0].contains(&"auth/route-missing-auth"));
        // The helper's body only: `GET`'s statement is unchanged, what it reads is not.
        assert!(editor.run(&[(path, &route("return null;"))])[0].contains(&"auth/route-missing-auth"));
        // Broken, then back.
        editor.run(&[(path, &route("const session = await auth(;"))]);
        assert!(!editor.run(&[(path, &route(guarded))])[0].contains(&"auth/route-missing-auth"));
    }

    /// An edit that changes only a helper's summary (a guard call becomes a plain call of
    /// another function), not its statement facts or its values (it may reject either way): the
    /// document facts keep all but the summaries, which must follow — and the route that calls
    /// it changes its finding.
    #[test]
    fn an_edit_that_changes_only_a_summary_patches_the_summaries() {
        let route = |call: &str| {
            format!("import {{ prisma }} from \"@/lib/db/client\";\nimport {{ auth, log }} from \"@/auth\";\n\n{OTHERS}\nasync function requireUser() {{\n  const session = await {call}();\n  if (!session) throw new Error(\"signed out\");\n}}\n\nexport async function GET() {{\n  await requireUser();\n  return Response.json(await prisma.user.findMany());\n}}\n")
        };
        let mut editor = Editor::new(1);
        let path = "app/api/users/route.ts";
        assert!(!editor.run(&[(path, &route("auth"))])[0].contains(&"auth/route-missing-auth"));
        assert!(editor.run(&[(path, &route("log"))])[0].contains(&"auth/route-missing-auth"));
        assert!(!editor.run(&[(path, &route("auth"))])[0].contains(&"auth/route-missing-auth"));
    }

    /// A chain of local helpers: `GET` calls `check`, which calls `requireUser`; only
    /// `requireUser` is edited (its calls stay the same, so its module's specifiers do too). The
    /// finding through the chain must follow, and the editor asserts the resolved summaries
    /// equal fresh ones after every edit. (Which functions a changed resolution reaches is
    /// tested by `resolving_after_the_last_resolution_equals_resolving_from_nothing`.)
    #[test]
    fn an_edit_reaches_a_local_caller_of_a_local_caller_through_the_resolution() {
        let route = |guard: &str| {
            format!("import {{ prisma }} from \"@/lib/db/client\";\nimport {{ auth }} from \"@/auth\";\n\n{OTHERS}\nasync function requireUser() {{\n  {guard}\n}}\n\nasync function check() {{\n  await requireUser();\n}}\n\nexport async function GET() {{\n  await check();\n  return Response.json(await prisma.user.findMany());\n}}\n")
        };
        let guarded = "const session = await auth();\n  if (!session) throw new Error(\"signed out\");";
        let mut editor = Editor::new(1);
        let path = "app/api/users/route.ts";
        assert!(!editor.run(&[(path, &route(guarded))])[0].contains(&"auth/route-missing-auth"));
        // The same calls, but a failed check no longer stops the caller.
        let unguarded = "const session = await auth();\n  if (!session) console.log(\"signed out\");";
        assert!(editor.run(&[(path, &route(unguarded))])[0].contains(&"auth/route-missing-auth"));
        assert!(!editor.run(&[(path, &route(guarded))])[0].contains(&"auth/route-missing-auth"));
    }

    #[test]
    fn deleting_a_statement_removes_what_it_contributed() {
        let text = |load: &str| {
            format!("{OTHERS}\n{load}\nexport function run() {{\n  load();\n}}\n\nexport const name = \"run\";\n")
        };
        let load = "export async function load() {\n  await fetch(\"/x\");\n}\n";
        let mut editor = Editor::new(1);
        let path = "scripts/run.ts";
        assert!(editor.run(&[(path, &text(load))])[0].contains(&"errors/floating-promise"));
        assert!(!editor.run(&[(path, &text(""))])[0].contains(&"errors/floating-promise"));
        assert!(editor.run(&[(path, &text(load))])[0].contains(&"errors/floating-promise"));
    }

    #[test]
    fn splitting_a_statement_into_two_contributes_both() {
        let text = |middle: &str| {
            format!("{OTHERS}\nexport function load() {{\n  const a = 1;{middle}\n  return a;\n}}\n\nexport function run() {{\n  other();\n}}\n")
        };
        let mut editor = Editor::new(1);
        let path = "scripts/run.ts";
        assert!(!editor.run(&[(path, &text(""))])[0].contains(&"errors/floating-promise"));
        // `}` and a new declaration typed inside `load`: one statement becomes two.
        let split = "\n  return a;\n}\n\nexport async function other() {\n  await fetch(\"/x\");";
        assert!(editor.run(&[(path, &text(split))])[0].contains(&"errors/floating-promise"));
        assert!(!editor.run(&[(path, &text(""))])[0].contains(&"errors/floating-promise"));
    }

    /// Found by the edit property test: keys do not cover every byte, and the file facts hold
    /// byte offsets (imports, the insertion point of imports) that such edits move.
    #[test]
    fn the_file_facts_follow_edits_no_statement_key_sees() {
        let mut editor = Editor::new(1);
        let path = "src/a.ts";
        // A comment on the last line of a multi-line import: the insertion point moves with it.
        editor.run(&[(path, &format!("import {{ a,\n  b }} from \"./x\"; // one\n{OTHERS}"))]);
        editor.run(&[(path, &format!("import {{ a,\n  b }} from \"./x\"; // one two\n{OTHERS}"))]);
        // A blank line above the imports, two lines up: every import moves.
        editor.run(&[(path, &format!("\n\n\nimport {{ a }} from \"./x\";\n{OTHERS}"))]);
        editor.run(&[(path, &format!("\n  \n\nimport {{ a }} from \"./x\";\n{OTHERS}"))]);
    }

    #[test]
    fn an_exported_functions_async_ness_reaches_a_dependent_open_file() {
        let jobs =
            |prefix: &str| format!("{OTHERS}\nexport {prefix}function log() {{\n  return fetch(\"/log\");\n}}\n");
        let script = "import { log } from \"../lib/jobs\";\n\nexport function run() {\n  log();\n}\n";
        let mut editor = Editor::new(2);
        let run = |editor: &mut Editor, prefix: &str| {
            editor.run(&[("lib/jobs.ts", &jobs(prefix)), ("scripts/run.ts", script)]).remove(1)
        };
        assert!(!run(&mut editor, "").contains(&"errors/floating-promise"));
        assert!(run(&mut editor, "async ").contains(&"errors/floating-promise"));
        // A broken declaration in between: whatever it contributes, the facts stay exact.
        run(&mut editor, "asyn ");
        assert!(!run(&mut editor, "").contains(&"errors/floating-promise"));
    }
}
