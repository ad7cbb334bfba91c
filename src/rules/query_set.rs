//! All query rules of one grammar compiled into a single tree-sitter [`Query`], so a file is
//! matched in one pass over its tree whatever the number of rules.

use std::sync::OnceLock;

use tree_sitter::Query;

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
    /// Compiles the query rules that apply to `kind` from `rules`. Each rule is first compiled on
    /// its own so an error names its rule; then all are compiled together.
    pub fn build(rules: &'static [Rule], kind: FileKind) -> Result<QuerySet, QuerySetError> {
        let grammar = kind.grammar().expect("query rules apply to tree-sitter kinds");
        let language = grammar.language();
        let mut combined = String::new();
        let mut starts: Vec<(usize, &'static Rule)> = Vec::new();
        for rule in rules.iter().filter(|r| r.kinds.contains(&kind)) {
            let Matcher::Query { source, .. } = rule.matcher else { continue };
            let single = Query::new(&language, source).map_err(|e| QuerySetError {
                rule: rule.id,
                grammar,
                message: e.to_string(),
            })?;
            if single.capture_index_for_name("match").is_none() {
                let message = "the query captures no `@match` node".to_string();
                return Err(QuerySetError { rule: rule.id, grammar, message });
            }
            starts.push((combined.len(), rule));
            combined.push_str(source);
            combined.push('\n');
        }
        let query = Query::new(&language, &combined).map_err(|e| QuerySetError {
            rule: "(combined)",
            grammar,
            message: e.to_string(),
        })?;
        let pattern_rules = (0..query.pattern_count())
            .map(|i| {
                let start = query.start_byte_for_pattern(i);
                let slot = starts.partition_point(|(s, _)| *s <= start) - 1;
                starts[slot].1
            })
            .collect();
        let match_capture = query.capture_index_for_name("match");
        Ok(QuerySet { query, pattern_rules, match_capture })
    }

    /// The built-in query set for `kind`, compiled once per process.
    pub fn builtin(kind: FileKind) -> Option<&'static QuerySet> {
        static SETS: [OnceLock<Option<QuerySet>>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let slot = match kind {
            FileKind::TypeScript => 0,
            FileKind::Tsx => 1,
            FileKind::JavaScript => 2,
            _ => return None,
        };
        SETS[slot].get_or_init(|| QuerySet::build(super::all(), kind).ok()).as_ref()
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
}
