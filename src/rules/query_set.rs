//! All query rules of one grammar compiled into a single tree-sitter [`Query`], so a file is
//! matched in one pass over its tree whatever the number of rules.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use tree_sitter::{CaptureQuantifier, Query};

use super::{Matcher, Rule};
use crate::syntax::{FileKind, Grammar};

/// The compiled query of one grammar and, for each pattern, the rule it belongs to.
pub struct QuerySet {
    /// The combined query.
    pub query: Query,
    /// `pattern_rules[i]` is the rule of pattern `i`.
    pattern_rules: Vec<&'static Rule>,
    /// Index of the `@match` capture.
    pub match_capture: Option<u32>,
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
        let grammar = kind.grammar().expect("query rules apply to tree-sitter kinds");
        let language = grammar.language();
        let mut combined = String::new();
        let mut starts: Vec<(usize, &'static Rule)> = Vec::new();
        for rule in rules.iter().filter(|r| r.kinds.contains(&kind)) {
            let Matcher::Query { source, .. } = rule.matcher else { continue };
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
        Ok(QuerySet { query, pattern_rules, match_capture })
    }

    /// The error of a combined query that did not compile: the first rule whose own query does
    /// not compile, else the combination.
    fn blame(starts: &[(usize, &'static Rule)], grammar: Grammar, combined_error: String) -> QuerySetError {
        let language = grammar.language();
        for (_, rule) in starts {
            let Matcher::Query { source, .. } = rule.matcher else { continue };
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

    fn slot(kind: FileKind) -> Option<usize> {
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
