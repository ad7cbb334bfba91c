//! Incremental analysis for the editor: after an edit, only the top-level statements whose text
//! changed are analysed again.
//!
//! An [`AnalysisCache`] lives beside one open document. It remembers, per top-level statement
//! (keyed by its kind and exact text), the statement's contribution to the file's
//! [`FileFacts`] and the findings of the query rules whose `@match` lies in it. A statement's
//! findings are reused only while everything else they may depend on is unchanged: the
//! document's path, the configuration, the workspace facts the TS/JS rules read
//! ([`WorkspaceFacts::code_epoch`]) and the whole file's `FileFacts` (imports, declarations,
//! exports, where imports go). Statements with syntax errors, and statements whose predicates read
//! beyond the statement ([`ecma::mark_file_wide`]: another declaration of the file, an absolute
//! line number), are analysed again every time. Reused findings are shifted to the statement's
//! new position. The result equals [`super::analyze_document`] on the same inputs; the property
//! test in `tests/incremental.rs` checks that over thousands of random edit sequences.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use tree_sitter::Node;

use super::ecma::{FileFacts, StatementFacts};
use super::{finish_document, run_queries, Finding, WorkspaceFacts};
use crate::config::Config;
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
struct Memo {
    kind: &'static str,
    text: Box<str>,
    facts: Option<Arc<StatementFacts>>,
    /// Findings of the statement's matches, with the byte offset the statement started at when
    /// they were computed.
    findings: Option<(usize, Arc<Vec<Finding>>)>,
}

/// Everything reused findings depend on besides their statement.
#[derive(PartialEq)]
struct Context {
    path: String,
    config: String,
    code_epoch: u64,
    file_facts: Arc<FileFacts>,
}

/// Per-document memory of earlier analyses. See the module documentation.
#[derive(Default)]
pub struct AnalysisCache {
    statements: HashMap<u64, Memo>,
    file_facts: Option<(Arc<str>, Arc<FileFacts>)>,
    context: Option<Context>,
    last: CacheStats,
}

impl AnalysisCache {
    /// An empty cache.
    pub fn new() -> AnalysisCache {
        AnalysisCache::default()
    }

    /// What the last [`AnalysisCache::analyze`] reused.
    pub fn last_stats(&self) -> CacheStats {
        self.last
    }

    /// The document's [`FileFacts`], reusing remembered statements' contributions.
    pub fn file_facts(&mut self, doc: &Document) -> Arc<FileFacts> {
        if let Some((text, facts)) = &self.file_facts {
            if Arc::ptr_eq(text, &doc.text) {
                return facts.clone();
            }
        }
        let statements = &mut self.statements;
        let facts = Arc::new(FileFacts::collect_with(doc, &mut |doc, node| {
            if node.has_error() {
                return Arc::new(StatementFacts::collect(doc, node));
            }
            let memo = memo_for(statements, doc, node);
            memo.facts.get_or_insert_with(|| Arc::new(StatementFacts::collect(doc, node))).clone()
        }));
        self.file_facts = Some((doc.text.clone(), facts.clone()));
        facts
    }

    /// Analyzes `doc` like [`super::analyze_document`], reusing what earlier versions of the
    /// document already established.
    pub fn analyze(&mut self, doc: &Document, config: &Config, facts: &WorkspaceFacts) -> Vec<Finding> {
        let Some(tree) = doc.tree().filter(|_| doc.kind.is_ecmascript()) else {
            self.last = CacheStats::default();
            return super::analyze_document(doc, config, facts);
        };
        let file_facts = self.file_facts(doc);
        let context = Context {
            path: doc.path.clone(),
            config: format!("{config:?}"),
            code_epoch: facts.code_epoch,
            file_facts: file_facts.clone(),
        };
        if self.context.as_ref() != Some(&context) {
            self.statements.values_mut().for_each(|m| m.findings = None);
            self.context = Some(context);
        }

        let root = tree.root_node();
        let mut cursor = root.walk();
        let statements: Vec<Node<'_>> = root.children(&mut cursor).collect();
        let mut keys = Vec::with_capacity(statements.len());
        let mut dirty = Vec::new();
        for (index, node) in statements.iter().enumerate() {
            let key = statement_key(doc, *node);
            let cached = !node.has_error()
                && self.statements.get(&key).is_some_and(|m| m.matches(doc, *node) && m.findings.is_some());
            if !cached {
                dirty.push(index);
            }
            keys.push(key);
        }

        // Evaluate the dirty statements' matches, bucketed by statement.
        let file_cell = OnceCell::from(file_facts);
        let mut computed: HashMap<usize, (Vec<Finding>, bool)> =
            dirty.iter().map(|&i| (i, (Vec::new(), false))).collect();
        let mut straddles = false;
        let starts: Vec<usize> = statements.iter().map(|n| n.start_byte()).collect();
        let mut bucket = |m: super::EvaluatedMatch<'_>, only: Option<usize>| {
            let index = starts.partition_point(|&s| s <= m.node.start_byte()).saturating_sub(1);
            let Some(statement) = statements.get(index) else {
                straddles = true;
                return;
            };
            if only.is_some_and(|o| o != index) {
                return; // a neighbour's match, seen through the byte range; it has its own run
            }
            if !contains(&statement.byte_range(), &m.extent) {
                straddles = true;
                return;
            }
            if let Some((found, file_wide)) = computed.get_mut(&index) {
                found.extend(m.finding);
                *file_wide |= m.file_wide;
            }
        };
        if dirty.len() > PER_STATEMENT_LIMIT {
            run_queries(doc, config, facts, &file_cell, None, &mut |m| bucket(m, None));
        } else {
            for &index in &dirty {
                let range = statements[index].byte_range();
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
        let mut fresh: HashMap<u64, Memo> = HashMap::with_capacity(statements.len());
        let mut inconsistent = false;
        for (index, node) in statements.iter().enumerate() {
            let key = keys[index];
            let mut memo = match self.statements.remove(&key).or_else(|| fresh.remove(&key)) {
                Some(memo) if memo.matches(doc, *node) => memo,
                _ => Memo::new(doc, *node),
            };
            match computed.remove(&index) {
                Some((found, file_wide)) => {
                    stats.statements_analyzed += 1;
                    // Findings that depend on more than the statement are not remembered; a
                    // statement with syntax errors keeps what its error-free twin established.
                    if !file_wide && !node.has_error() {
                        memo.findings = Some((node.start_byte(), Arc::new(found.clone())));
                    }
                    findings.extend(found);
                }
                None => match &memo.findings {
                    Some((old_start, remembered)) => {
                        stats.statements_reused += 1;
                        let old = *old_start..*old_start + memo.text.len();
                        findings.extend(remembered.iter().map(|f| shifted(f, &doc.path, &old, node.start_byte())));
                    }
                    None => inconsistent = true,
                },
            }
            fresh.insert(key, memo);
        }
        self.statements = fresh;
        self.last = stats;
        if inconsistent {
            // Cannot happen (clean statements were checked to have findings); stay correct anyway.
            self.context = None;
            return super::analyze_document(doc, config, facts);
        }
        finish_document(doc, config, facts, findings)
    }
}

impl Memo {
    fn new(doc: &Document, node: Node<'_>) -> Memo {
        Memo { kind: node.kind(), text: doc.slice(node.byte_range()).into(), facts: None, findings: None }
    }

    /// True when this memo is about a statement of `node`'s kind and exact text.
    fn matches(&self, doc: &Document, node: Node<'_>) -> bool {
        self.kind == node.kind() && *self.text == *doc.slice(node.byte_range())
    }
}

/// The memo of `node`, created (empty) when there is none or the remembered one is of another
/// statement with the same hash.
fn memo_for<'m>(statements: &'m mut HashMap<u64, Memo>, doc: &Document, node: Node<'_>) -> &'m mut Memo {
    let memo = statements.entry(statement_key(doc, node)).or_insert_with(|| Memo::new(doc, node));
    if !memo.matches(doc, node) {
        *memo = Memo::new(doc, node);
    }
    memo
}

/// The key of a top-level statement: a hash of its kind and text.
fn statement_key(doc: &Document, node: Node<'_>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    node.kind().hash(&mut hasher);
    doc.slice(node.byte_range()).hash(&mut hasher);
    hasher.finish()
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
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
        let (_, rules) = step(&mut cache, &mut previous, path, &route("return auth();"));
        assert!(!rules.contains(&"auth/route-missing-auth"), "{rules:?}");
        // Only the helper changed; the handler's verdict depends on it.
        let (stats, rules) = step(&mut cache, &mut previous, path, &route("return null;"));
        assert!(rules.contains(&"auth/route-missing-auth"), "{rules:?}");
        assert!(stats.statements_analyzed >= 2, "{stats:?}");
    }
}
