//! All query rules of one grammar compiled into a single tree-sitter [`Query`], so a file is
//! matched in one pass over its tree whatever the number of rules.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use streaming_iterator::StreamingIterator;
use tree_sitter::{CaptureQuantifier, Language, Node, Query, QueryCursor, QueryMatch, Tree};

#[cfg(test)]
use super::Matcher;
use super::Rule;
use crate::syntax::{FileKind, Grammar};

/// The compiled query of one grammar and, for each pattern, the rule it belongs to.
pub struct QuerySet {
    /// The combined query.
    pub query: Query,
    /// `pattern_rules[i]` is the rule of pattern `i`.
    pattern_rules: Vec<&'static Rule>,
    /// Index of the `@match` capture.
    pub match_capture: Option<u32>,
    /// By node kind id: true when some pattern can start at a node of that kind. `None` when
    /// some pattern's root is not a plain node kind (a wildcard, an alternation, a supertype …).
    roots: Option<Vec<bool>>,
    /// By pattern: the user rules that share it, each with its own predicates (empty for a
    /// pattern compiled as written; `super::user::shapes`).
    members: Vec<Box<[super::user::shapes::Member]>>,
}

/// The built-in query sets, by [`QuerySet::slot`].
static BUILTIN: [OnceLock<Option<QuerySet>>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

/// An error compiling a rule's query.
#[derive(Debug)]
pub struct QuerySetError {
    /// The rule whose query failed.
    pub rule: &'static str,
    /// The grammar it was compiled for.
    pub grammar: Grammar,
    /// tree-sitter's message.
    pub message: String,
}

impl QuerySet {
    /// Compiles the query rules that apply to `kind` from `rules` into one query. Compiling is
    /// costly (tens of milliseconds for the TypeScript grammar), so the rules are compiled
    /// together first; only when that fails is each compiled on its own, to name the rule at
    /// fault.
    pub fn build(rules: &'static [Rule], kind: FileKind) -> Result<QuerySet, QuerySetError> {
        QuerySet::build_from(rules.iter(), kind)
    }

    /// [`QuerySet::build`] over any rules (the built-ins and a workspace's user rules).
    pub fn build_from(
        rules: impl IntoIterator<Item = &'static Rule>,
        kind: FileKind,
    ) -> Result<QuerySet, QuerySetError> {
        let grammar = kind.grammar().expect("query rules apply to tree-sitter kinds");
        let language = grammar.language();
        let mut combined = String::new();
        let mut starts: Vec<(usize, &'static Rule)> = Vec::new();
        for rule in rules.into_iter().filter(|r| r.kinds.contains(&kind)) {
            let Some(source) = rule.query_source() else { continue };
            starts.push((combined.len(), rule));
            combined.push_str(source);
            combined.push('\n');
        }
        let query = match Query::new(&language, &combined) {
            Ok(query) => query,
            Err(e) => return Err(QuerySet::blame(&starts, grammar, e.to_string())),
        };
        let pattern_rules: Vec<&'static Rule> = (0..query.pattern_count())
            .map(|i| {
                let start = query.start_byte_for_pattern(i);
                let slot = starts.partition_point(|(s, _)| *s <= start) - 1;
                starts[slot].1
            })
            .collect();
        let match_capture = query.capture_index_for_name("match");
        // Every rule must capture `@match` in at least one of its patterns.
        for (_, rule) in &starts {
            let captures = |i: usize| {
                match_capture.is_some_and(|m| query.capture_quantifiers(i)[m as usize] != CaptureQuantifier::Zero)
            };
            if !(0..pattern_rules.len()).any(|i| std::ptr::eq(pattern_rules[i], *rule) && captures(i)) {
                let message = "the query captures no `@match` node".to_string();
                return Err(QuerySetError { rule: rule.id, grammar, message });
            }
        }
        let roots = pattern_roots(&query, &combined, &language);
        let members = (0..pattern_rules.len()).map(|_| Box::default()).collect();
        Ok(QuerySet { query, pattern_rules, match_capture, roots, members })
    }

    /// A set from a query already compiled from `combined`, the query sources of the rules of
    /// `starts` (each at its offset), in order.
    pub fn assemble(query: Query, combined: &str, starts: &[(usize, &'static Rule)], kind: FileKind) -> QuerySet {
        let language = kind.grammar().expect("query rules apply to tree-sitter kinds").language();
        let pattern_rules: Vec<&'static Rule> = (0..query.pattern_count())
            .map(|i| {
                let start = query.start_byte_for_pattern(i);
                starts[starts.partition_point(|(s, _)| *s <= start) - 1].1
            })
            .collect();
        let match_capture = query.capture_index_for_name("match");
        let roots = pattern_roots(&query, combined, &language);
        let members = (0..pattern_rules.len()).map(|_| Box::default()).collect();
        QuerySet { query, pattern_rules, match_capture, roots, members }
    }

    /// Makes pattern `index` one that several user rules share, each with its own predicates.
    pub fn share(&mut self, index: usize, members: Vec<super::user::shapes::Member>) {
        if let Some(rule) = members.first().map(|m| m.rule) {
            self.pattern_rules[index] = rule;
        }
        self.members[index] = members.into_boxed_slice();
    }

    /// The user rules sharing pattern `index` (empty: the pattern is [`QuerySet::rule_of_pattern`]'s
    /// alone, its predicates in the query).
    pub fn members_of_pattern(&self, index: usize) -> &[super::user::shapes::Member] {
        &self.members[index]
    }

    /// Calls `each` with every match of the query in `tree` (of `text`) that starts at a node
    /// intersecting `range` (the whole tree when `None`), in the order of the nodes the matches
    /// start at.
    ///
    /// When every pattern starts at a plain node kind, this walks the tree itself and runs the
    /// query only at nodes of those kinds, with the cursor kept from descending further than
    /// the pattern needs, which is cheaper than letting the query cursor carry every pattern
    /// across every node (measured in docs/performance.md, "What changed in session 7").
    /// Otherwise the cursor traverses the whole tree.
    pub fn for_each_match<'t>(
        &self,
        tree: &'t Tree,
        text: &[u8],
        range: Option<Range<usize>>,
        each: &mut dyn FnMut(&QueryMatch<'_, 't>),
    ) {
        self.matches_with(self.roots.as_deref(), tree, text, range, each);
    }

    /// [`QuerySet::for_each_match`], probing only nodes of the `roots` kinds when given.
    fn matches_with<'t>(
        &self,
        roots: Option<&[bool]>,
        tree: &'t Tree,
        text: &[u8],
        range: Option<Range<usize>>,
        each: &mut dyn FnMut(&QueryMatch<'_, 't>),
    ) {
        let mut cursor = QueryCursor::new();
        let Some(roots) = roots else {
            if let Some(range) = range {
                cursor.set_byte_range(range);
            }
            let mut matches = cursor.matches(&self.query, tree.root_node(), text);
            while let Some(m) = matches.next() {
                each(m);
            }
            return;
        };
        cursor.set_max_start_depth(Some(0));
        let intersects =
            |node: Node<'_>| range.as_ref().is_none_or(|r| node.end_byte() > r.start && node.start_byte() < r.end);
        let mut walk = tree.walk();
        loop {
            let node = walk.node();
            let inside = intersects(node);
            if inside && roots.get(usize::from(node.kind_id())).copied().unwrap_or(false) {
                let mut matches = cursor.matches(&self.query, node, text);
                while let Some(m) = matches.next() {
                    each(m);
                }
            }
            if inside && walk.goto_first_child() {
                continue;
            }
            while !walk.goto_next_sibling() {
                if !walk.goto_parent() {
                    return;
                }
            }
        }
    }

    /// The error of a combined query that did not compile: the first rule whose own query does
    /// not compile, else the combination.
    fn blame(starts: &[(usize, &'static Rule)], grammar: Grammar, combined_error: String) -> QuerySetError {
        let language = grammar.language();
        for (_, rule) in starts {
            let Some(source) = rule.query_source() else { continue };
            if let Err(e) = Query::new(&language, source) {
                return QuerySetError { rule: rule.id, grammar, message: e.to_string() };
            }
        }
        QuerySetError { rule: "(combined)", grammar, message: combined_error }
    }

    /// Starts compiling the built-in query set of `kind` on a background thread, once per
    /// process, so the cost overlaps with reading and parsing files instead of stalling the
    /// first analysis of that kind (and every thread waiting for it).
    pub fn prepare(kind: FileKind) {
        static STARTED: [AtomicBool; 3] = [AtomicBool::new(false), AtomicBool::new(false), AtomicBool::new(false)];
        let Some(slot) = QuerySet::slot(kind) else { return };
        if !STARTED[slot].swap(true, Ordering::Relaxed) {
            std::thread::spawn(move || QuerySet::builtin(kind));
        }
    }

    /// [`QuerySet::prepare`] for every kind with query rules.
    pub fn prepare_all() {
        super::ECMASCRIPT.iter().for_each(|kind| QuerySet::prepare(*kind));
    }

    /// The index of `kind` among the grammars with query rules.
    pub fn slot(kind: FileKind) -> Option<usize> {
        match kind {
            FileKind::TypeScript => Some(0),
            FileKind::Tsx => Some(1),
            FileKind::JavaScript => Some(2),
            _ => None,
        }
    }

    /// The built-in query set for `kind`, compiled once per process.
    pub fn builtin(kind: FileKind) -> Option<&'static QuerySet> {
        BUILTIN[QuerySet::slot(kind)?].get_or_init(|| QuerySet::build(super::all(), kind).ok()).as_ref()
    }

    /// True when [`QuerySet::builtin`] of `kind` would not have to wait for a compilation.
    pub fn ready(kind: FileKind) -> bool {
        QuerySet::slot(kind).is_some_and(|slot| BUILTIN[slot].get().is_some())
    }

    /// The rule of pattern `index`.
    pub fn rule_of_pattern(&self, index: usize) -> &'static Rule {
        self.pattern_rules[index]
    }
}

/// The node kinds at which the patterns of `query` (compiled from `source`) start, by kind id,
/// when each pattern is rooted at one plain, visible, named node kind; else `None`. The root is
/// read off the pattern's source: `(call_expression …` starts at `call_expression` nodes.
fn pattern_roots(query: &Query, source: &str, language: &Language) -> Option<Vec<bool>> {
    let mut roots = vec![false; language.node_kind_count()];
    for pattern in 0..query.pattern_count() {
        if !query.is_pattern_rooted(pattern) || query.is_pattern_non_local(pattern) {
            return None;
        }
        let mut rest = source.get(query.start_byte_for_pattern(pattern)..)?.trim_start().strip_prefix('(')?;
        // A grouped single node, `((identifier) @name (#eq? @name "x"))`, starts at its node (a
        // grouped sequence of siblings is not rooted, so it never gets here).
        while let Some(inner) = rest.trim_start().strip_prefix('(') {
            rest = inner;
        }
        let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let name = &rest[..name_len];
        if name.is_empty() || name == "_" || name == "ERROR" || name == "MISSING" {
            return None;
        }
        let mut found = false;
        for (id, is_root) in roots.iter_mut().enumerate() {
            let id = u16::try_from(id).ok()?;
            if language.node_kind_for_id(id) == Some(name) && language.node_kind_is_named(id) {
                if language.node_kind_is_supertype(id) || !language.node_kind_is_visible(id) {
                    return None;
                }
                *is_root = true;
                found = true;
            }
        }
        if !found {
            return None;
        }
    }
    Some(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_queries_compile_for_every_ecmascript_grammar() {
        for kind in super::super::ECMASCRIPT {
            if let Err(e) = QuerySet::build(super::super::all(), *kind) {
                panic!("rule {} does not compile for {:?}: {}", e.rule, e.grammar, e.message);
            }
            let set = QuerySet::builtin(*kind).expect("compiles");
            assert!(set.match_capture.is_some());
        }
    }

    /// One match as (pattern, captures as (capture, start byte, end byte)).
    type MatchShape = (usize, Vec<(u32, usize, usize)>);

    /// Every match as (pattern, captures by node range), sorted.
    fn all_matches(
        set: &QuerySet,
        roots: Option<&[bool]>,
        tree: &Tree,
        text: &str,
        range: Option<Range<usize>>,
    ) -> Vec<MatchShape> {
        let mut found = Vec::new();
        set.matches_with(roots, tree, text.as_bytes(), range, &mut |m| {
            found.push((
                m.pattern_index,
                m.captures.iter().map(|c| (c.index, c.node.start_byte(), c.node.end_byte())).collect(),
            ));
        });
        found.sort();
        found
    }

    /// Probing only the nodes a pattern can start at finds exactly what the query cursor's own
    /// traversal finds: on every TypeScript/JavaScript file of the tests and examples, whole and
    /// cut off at several points (half-typed files, error trees), over the whole tree and over a
    /// byte range.
    #[test]
    fn probing_root_kinds_finds_what_a_full_traversal_finds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["tests", "examples"] {
            for entry in ignore::WalkBuilder::new(root.join(dir)).build().flatten() {
                if let Some(kind) = entry.path().to_str().and_then(FileKind::from_path) {
                    if kind.is_ecmascript() {
                        files.push((kind, std::fs::read_to_string(entry.path()).unwrap_or_default()));
                    }
                }
            }
        }
        assert!(files.len() > 40, "found only {} files", files.len());
        let mut compared = 0;
        let mut matched = 0;
        for (kind, text) in &files {
            let set = QuerySet::builtin(*kind).expect("compiles");
            let roots = set.roots.as_deref().expect("every built-in pattern starts at a plain node kind");
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&kind.grammar().unwrap().language()).unwrap();
            let cuts = [text.len(), text.len() * 2 / 3, text.len() / 3];
            for cut in cuts.into_iter().filter(|c| text.is_char_boundary(*c)) {
                let text = &text[..cut];
                let tree = parser.parse(text, None).unwrap();
                for range in [None, Some(text.len() / 4..text.len() / 2)] {
                    let probed = all_matches(set, Some(roots), &tree, text, range.clone());
                    let traversed = all_matches(set, None, &tree, text, range);
                    assert_eq!(probed, traversed, "{kind:?} file cut at {cut}:\n{text}");
                    matched += probed.len();
                    compared += 1;
                }
            }
        }
        assert!(compared > 200 && matched > 100, "{compared} comparisons, {matched} matches");
    }

    /// A pattern whose root is not one plain node kind leaves the traversal to the cursor; a
    /// near miss, a plain kind, is probed.
    #[test]
    fn roots_are_known_only_for_plain_node_kinds() {
        let language = Grammar::TypeScript.language();
        let roots = |source: &str| {
            let query = Query::new(&language, source).expect(source);
            pattern_roots(&query, source, &language)
                .map(|r| (0..r.len()).filter(|i| r[*i]).filter_map(|i| language.node_kind_for_id(i as u16)).collect())
        };
        // A kind name can stand for several symbols (aliases): every one of them is a root.
        let plain: Option<std::collections::BTreeSet<&str>> =
            roots("; a comment\n(call_expression) @m\n(as_expression (_) @x) @m");
        assert_eq!(plain, Some(["as_expression", "call_expression"].into()));
        assert_eq!(roots("(_) @m"), None);
        assert_eq!(roots("[(call_expression) (as_expression)] @m"), None);
        assert_eq!(roots("(expression) @m"), None, "a supertype");
        assert_eq!(roots("((identifier) @m (#eq? @m \"x\"))"), Some(["identifier"].into()), "a grouped node");
        assert_eq!(roots("((identifier) @m (identifier))"), None, "a grouped sequence of siblings");
        assert_eq!(roots("((_) @m (#eq? @m \"x\"))"), None, "a grouped wildcard");
        assert_eq!(roots("(call_expression) @m\n(_) @n"), None, "one pattern is enough");
    }

    fn rule(id: &'static str, source: &'static str) -> Rule {
        Rule {
            id,
            default_severity: crate::rules::Severity::Error,
            kinds: super::super::ECMASCRIPT,
            summary: "",
            doc: "",
            matcher: Matcher::Query { source, predicate: None },
        }
    }

    /// The rules are compiled together; an error still names the rule at fault, and each rule
    /// must capture `@match` in one of its patterns (a near miss: another rule's `@match` does
    /// not count).
    #[test]
    fn errors_name_the_rule_at_fault() {
        let good = rule("a/good", "(call_expression) @match");
        let broken = rule("b/broken", "(call_expression");
        let unknown = rule("c/unknown", "(no_such_node) @match");
        let no_match = rule("d/no-match", "(identifier) @name");
        let rules: &'static [Rule] = Box::leak(Box::new([good, broken, unknown, no_match]));
        let check =
            |rules: &'static [Rule]| QuerySet::build(rules, FileKind::TypeScript).map(|_| ()).map_err(|e| e.rule);
        assert_eq!(check(&rules[..1]), Ok(()));
        assert_eq!(check(&rules[..2]), Err("b/broken"));
        assert_eq!(check(&rules[2..3]), Err("c/unknown"));
        assert_eq!(check(&rules[3..]), Err("d/no-match"));
        let with_match_elsewhere: &'static [Rule] =
            Box::leak(Box::new([rule("a/good", "(call_expression) @match"), rule("d/no-match", "(identifier) @name")]));
        assert_eq!(check(with_match_elsewhere), Err("d/no-match"));
        let set = QuerySet::build(&rules[..1], FileKind::Tsx).unwrap();
        assert_eq!(set.rule_of_pattern(0).id, "a/good");
    }
}
