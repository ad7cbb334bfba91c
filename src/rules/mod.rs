//! The rule registry: every rule's id, severity, languages, summary, documentation and matcher.
//!
//! A rule id `family/name` maps to:
//! - its documentation, `docs/rules/<family>/<name>.md` (ruff's headings; its examples are tests);
//! - for TypeScript/JavaScript rules, a tree-sitter query `queries/typescript/<family>/<name>.scm`
//!   (all compiled into one query per grammar, see [`query_set`]) and, where the query cannot say
//!   it alone, a predicate in `src/rules/<family>/<name>.rs`;
//! - for SQL rules, a check over the migration model in `src/rules/sql/<name>.rs`;
//! - fixtures in `tests/fixtures/<family>/<name>/`.

pub mod auth;
pub mod errors;
pub mod handoff;
pub mod meta;
pub mod patterns;
pub mod query_set;
pub mod rls;
pub mod security;
pub mod spec;
pub mod sql;
pub mod user;
pub mod workflow;

use serde::Serialize;

use crate::engine::{Finding, PlanRuleContext, QueryMatchContext, SqlRuleContext};
use crate::syntax::FileKind;

/// How serious a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A suggestion.
    Hint,
    /// Worth knowing.
    Info,
    /// Probably wrong.
    Warning,
    /// Wrong; fails `baton check` by default.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

/// A predicate that turns one query match into a finding, or rejects it.
pub type QueryPredicate = fn(&QueryMatchContext<'_, '_>) -> Option<Finding>;

/// A check over the replayed migrations.
pub type SqlCheck = fn(&SqlRuleContext<'_>, &mut Vec<(String, Finding)>);

/// A check over the workspace's plan and handoffs (specs, workflow documents, signals,
/// snapshots); reports `(path, finding)` pairs in any of those documents.
pub type PlanCheck = fn(&PlanRuleContext<'_>, &mut Vec<(String, Finding)>);

/// How a rule finds problems.
pub enum Matcher {
    /// A tree-sitter query over TypeScript/JavaScript. Each pattern captures `@match` (the
    /// finding's range); `predicate`, when present, decides and words the finding.
    Query {
        /// The query source (`queries/typescript/…`), compiled for TS, TSX and JS.
        source: &'static str,
        /// The Rust predicate; without one every match is a finding with the rule's summary.
        predicate: Option<QueryPredicate>,
    },
    /// A check over the workspace's migration model.
    Sql(SqlCheck),
    /// A check over the workspace's plan and handoffs.
    Plan(PlanCheck),
    /// Reported by Baton itself (configuration, suppressions, file notices).
    Builtin,
    /// A user rule's query (`.baton/rules/`), compiled with the built-in queries.
    UserQuery(&'static user::QueryRule),
    /// A user rule's declarative check over the migrations.
    UserSchema(&'static user::SchemaRule),
}

/// A rule.
pub struct Rule {
    /// Stable id, `family/name`.
    pub id: &'static str,
    /// Severity unless `[rules]` overrides it.
    pub default_severity: Severity,
    /// File kinds it applies to; empty means any.
    pub kinds: &'static [FileKind],
    /// One line: what it finds.
    pub summary: &'static str,
    /// Markdown documentation: What it does, Why is this bad?, Example, Use instead, Fix, Options.
    pub doc: &'static str,
    /// How it finds problems.
    pub matcher: Matcher,
}

impl Rule {
    /// The family, the part of the id before `/`.
    pub fn family(&self) -> &'static str {
        self.id.split('/').next().unwrap_or(self.id)
    }

    /// A link to the rule's documentation in the repository (none for user rules).
    pub fn doc_url(&self) -> String {
        format!("{DOCS_BASE_URL}/{}.md", self.id)
    }

    /// True for a user rule (`project/…`, `.baton/rules/`).
    pub fn is_user(&self) -> bool {
        matches!(self.matcher, Matcher::UserQuery(_) | Matcher::UserSchema(_))
    }

    /// The tree-sitter query of a query rule, built-in or user.
    pub fn query_source(&self) -> Option<&'static str> {
        match self.matcher {
            Matcher::Query { source, .. } => Some(source),
            Matcher::UserQuery(rule) => Some(rule.query.as_str()),
            _ => None,
        }
    }
}

/// Where rule documentation is published (the repository's `docs/rules/`).
pub const DOCS_BASE_URL: &str = "https://github.com/baton-dev/baton/blob/main/docs/rules";

/// The TypeScript/JavaScript family of file kinds.
pub const ECMASCRIPT: &[FileKind] = &[FileKind::TypeScript, FileKind::Tsx, FileKind::JavaScript];

/// Every rule, in id order.
pub fn all() -> &'static [Rule] {
    static RULES: std::sync::OnceLock<Vec<Rule>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = vec![rls::prisma_outside_context::rule(), sql::rls_disabled_in_public::rule()];
        rules.extend(ts_pack());
        rules.extend(sql::pack());
        rules.extend(handoff::pack());
        rules.extend(spec::pack());
        rules.extend(workflow::pack());
        rules.extend(meta::rules());
        rules.sort_by_key(|r| r.id);
        rules
    })
}

/// The TypeScript/JavaScript pack beyond `rls/prisma-outside-context`.
fn ts_pack() -> Vec<Rule> {
    vec![
        auth::jwt_verify_no_algorithms::rule(),
        auth::route_missing_auth::rule(),
        errors::floating_promise::rule(),
        patterns::dto_interface::rule(),
        patterns::dto_type_assertion::rule(),
        rls::supabase_service_role::rule(),
        security::prisma_raw_unsafe::rule(),
    ]
}

/// The rule with this id: a built-in, else the user rule of that id loaded last.
pub fn find(id: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.id == id).or_else(|| user::find_registered(id))
}

/// Every rule of a workspace: the built-ins and its user rules, in id order.
pub fn all_with(config: &crate::config::Config) -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = all().iter().chain(config.user_rules.rules().iter().copied()).collect();
    rules.sort_by_key(|r| r.id);
    rules
}

/// The known rule id closest to `id`, when it is a plausible typo.
pub fn closest_id(id: &str) -> Option<&'static str> {
    closest_match(id, all().iter().map(|r| r.id))
}

/// The candidate closest to `word` by edit distance, when it is a plausible typo (at most 3
/// edits, or a fifth of the word's length); ties go to the first candidate in sorted order.
pub fn closest_match<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 3.max(word.len() / 5))
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for rule in all() {
            assert!(seen.insert(rule.id), "duplicate {}", rule.id);
            let (family, name) = rule.id.split_once('/').expect("family/name");
            assert!(!family.is_empty() && !name.is_empty());
            assert!(
                rule.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/'),
                "{}",
                rule.id
            );
            assert!(!rule.summary.is_empty() && !rule.summary.ends_with('.'), "{}", rule.id);
        }
    }

    #[test]
    fn every_doc_has_the_standard_headings() {
        for rule in all() {
            for heading in ["## What it does", "## Why is this bad?", "## Example", "## Use instead"] {
                assert!(rule.doc.contains(heading), "{} lacks {heading}", rule.id);
            }
        }
    }

    #[test]
    fn typos_get_suggestions_and_nonsense_does_not() {
        assert_eq!(closest_id("rls/prisma-outside-contxt"), Some("rls/prisma-outside-context"));
        assert_eq!(closest_id("completely/unrelated-thing-here"), None);
    }
}
