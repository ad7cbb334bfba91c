//! A user query rule's *necessary* condition on a file's path and text, derived from its query,
//! so that `baton check` need not parse a file no rule can report in (`engine::prefilter`,
//! docs/user-rules.md, "Which rules keep files unparsed").
//!
//! A rule reports only where one of its patterns matches with every predicate holding. For each
//! pattern, [`of_query`] works out which captures a match surely has (not under `?` or `*`, and
//! for an alternation, per branch), and from the predicates on those captures the texts that must
//! then occur in the file:
//!
//! - `#eq? @c "text"`: `text` (a node's text is the file's own bytes, so no escape can hide it);
//! - `#any-of? @c "a" "b"`: one of them;
//! - `#match? @c "re"`: one of the literals every match of `re` starts with, when the regular
//!   expression has a finite set of them (`regex-syntax`'s extractor);
//! - `#inside-call? @c "f"`: `f` (the callee's name); `#imported-from? @c "m"` and
//!   `#file-imports? "m"`: `m` (an import's source is the file's own text between its quotes;
//!   for `m*`, its prefix). These predicates are false when their capture is missing, so they
//!   count whether or not the capture is sure.
//!
//! and on the path: `#path?`, `#not-path?`, `#not-test-file?`, plus the rule's `files`,
//! `exclude_files` and `test_files` ([`super::QueryRule::applies_to_path`]).
//!
//! Nothing else gives a condition: the `not-` forms; `#any-eq?` and `#any-match?` (tree-sitter
//! holds them when no node agrees); a predicate on a capture a match may lack (tree-sitter's text
//! predicates then hold vacuously); comparisons of two captures; a query's anonymous nodes
//! (`"await"`): error recovery inserts *missing* tokens of zero width, and aliased tokens
//! (`"unique symbol"`) need not be written as named. A query the shape reader is unsure of
//! ([`super::shapes::split`]), or a pattern one of whose ways to match needs no text and no path,
//! gives the rule no condition: it may report anywhere.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;

use super::shapes::{self, Arg, TextPredicate, Token};
use super::QueryRule;
use crate::engine::ecma;

/// More ways to match than this are merged (into the captures every one of them has).
const MAX_WAYS: usize = 64;

/// Texts shorter than this give no condition.
const MIN_TEXT: usize = 2;

/// A test of a file's path, from a pattern's predicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathTest {
    /// `#path?`: the path matches one of the globs.
    AnyOf(Vec<String>),
    /// `#not-path?`: it matches none of them.
    NoneOf(Vec<String>),
    /// `#not-test-file?`.
    NotTest,
}

impl PathTest {
    fn holds(&self, path: &str) -> bool {
        match self {
            PathTest::AnyOf(globs) => globs.iter().any(|g| ecma::path_matches(g, path)),
            PathTest::NoneOf(globs) => !globs.iter().any(|g| ecma::path_matches(g, path)),
            PathTest::NotTest => !ecma::is_test_path(path),
        }
    }
}

/// One way a rule may report: every path test holds and every clause has a text that occurs in
/// the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alternative {
    /// Each clause is satisfied by any of its texts occurring in the file.
    pub clauses: Vec<Vec<Vec<u8>>>,
    /// Tests of the path.
    pub paths: Vec<PathTest>,
}

/// A necessary condition for a query to match with its predicates holding: one of the
/// alternatives holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The alternatives (at least one).
    pub alternatives: Vec<Alternative>,
}

impl Condition {
    /// True when the condition holds for the file at `path` with `text` (one text at a time: the
    /// prefilter tests every rule at once, [`Conditions`]).
    pub fn holds(&self, path: &str, text: &str) -> bool {
        self.alternatives.iter().any(|a| {
            a.paths.iter().all(|p| p.holds(path))
                && a.clauses.iter().all(|c| c.iter().any(|t| memchr::memmem::find(text.as_bytes(), t).is_some()))
        })
    }
}

/// The condition of `query`, or `None` when it may match in any file.
pub fn of_query(query: &str) -> Option<Condition> {
    let mut alternatives = Vec::new();
    for pattern in shapes::split(query)? {
        let tokens: Vec<Token> = shapes::tokenize(&pattern.structure)?.into_iter().map(|(t, _)| t).collect();
        let mut reader = Reader { tokens: &tokens, at: 0 };
        let ways = reader.sequence(None)?;
        if reader.at != tokens.len() {
            return None;
        }
        // Baton's predicates: the same for every way.
        let mut general = Alternative::default();
        for (name, args) in &pattern.general {
            let strings = || -> Vec<Vec<u8>> {
                args.iter()
                    .filter_map(|a| match a {
                        Arg::Str(s) => Some(s.strip_suffix('*').unwrap_or(s).as_bytes().to_vec()),
                        Arg::Capture(_) => None,
                    })
                    .collect()
            };
            let globs = || -> Vec<String> {
                args.iter()
                    .filter_map(|a| match a {
                        Arg::Str(s) => Some(s.clone()),
                        Arg::Capture(_) => None,
                    })
                    .collect()
            };
            match name.as_str() {
                // The callee's name, the import's source, are the file's own text.
                "inside-call?" | "imported-from?" | "file-imports?" => general.clauses.push(strings()),
                "path?" => general.paths.push(PathTest::AnyOf(globs())),
                "not-path?" => general.paths.push(PathTest::NoneOf(globs())),
                "not-test-file?" => general.paths.push(PathTest::NotTest),
                _ => {}
            }
        }
        for way in ways {
            let mut alternative = general.clone();
            for predicate in &pattern.text {
                if let Some(clause) = required_texts(predicate, &way) {
                    alternative.clauses.push(clause);
                }
            }
            // A clause with a text of one byte (or none) holds almost always, and its matches would
            // be most of the pass over the text: dropped (a weaker condition, still a necessary
            // one).
            alternative.clauses.retain(|c| !c.iter().any(|t| t.len() < MIN_TEXT));
            for clause in &mut alternative.clauses {
                clause.sort();
                clause.dedup();
            }
            alternative.clauses.sort();
            alternative.clauses.dedup();
            if alternative.clauses.is_empty() && alternative.paths.is_empty() {
                return None;
            }
            if !alternatives.contains(&alternative) {
                alternatives.push(alternative);
            }
        }
    }
    (!alternatives.is_empty()).then_some(Condition { alternatives })
}

/// The texts one of which must occur in the file for `predicate` to hold on a match that surely
/// has the captures `sure`; `None` when it needs none.
fn required_texts(predicate: &TextPredicate<String>, sure: &[String]) -> Option<Vec<Vec<u8>>> {
    let is_sure = |c: &String| sure.contains(c);
    match predicate {
        // Every node equal, at least one node.
        TextPredicate::EqString(c, s, true, true) if is_sure(c) => Some(vec![s.as_bytes().to_vec()]),
        TextPredicate::AnyOf(c, values, true) if is_sure(c) && !values.is_empty() => {
            Some(values.iter().map(|v| v.as_bytes().to_vec()).collect())
        }
        TextPredicate::Match(c, regex, true, true) if is_sure(c) => regex_literals(regex.as_str()),
        _ => None,
    }
}

/// Texts one of which starts every match of `pattern` (as `regex::bytes::Regex` reads it), when
/// there is a finite set of non-empty ones.
fn regex_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::Extractor;
    let hir = regex_syntax::ParserBuilder::new().utf8(false).build().parse(pattern).ok()?;
    let seq = Extractor::new().extract(&hir);
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// The captures each way of matching surely has.
type Ways = Vec<Vec<String>>;

/// Reads a pattern's structure (predicates already taken out) for [`Ways`].
struct Reader<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        token
    }

    /// Items up to `close` (consumed) or the end: all of them match.
    fn sequence(&mut self, close: Option<&Token>) -> Option<Ways> {
        let mut ways: Ways = vec![Vec::new()];
        loop {
            match self.peek() {
                None if close.is_none() => return Some(ways),
                None => return None,
                Some(t) if Some(t) == close => {
                    self.at += 1;
                    return Some(ways);
                }
                Some(_) => {
                    let item = self.item()?;
                    ways = product(&ways, &item);
                }
            }
        }
    }

    /// Items up to `]` (consumed): one of them matches.
    fn alternation(&mut self) -> Option<Ways> {
        let mut ways: Ways = Vec::new();
        loop {
            match self.peek()? {
                Token::CloseAlt => {
                    self.at += 1;
                    return Some(merged(ways));
                }
                _ => ways.extend(self.item()?),
            }
        }
    }

    /// One item: an anchor, a negated field, or an optionally field-named atom with its
    /// quantifiers and captures.
    fn item(&mut self) -> Option<Ways> {
        match self.next()?.clone() {
            Token::Dot => return Some(vec![Vec::new()]),
            Token::Bang => {
                return matches!(self.next()?, Token::Ident(_)).then(|| vec![Vec::new()]);
            }
            Token::Ident(_) if self.peek() == Some(&Token::Colon) => {
                self.at += 1;
                let atom = self.atom()?;
                return Some(self.suffixes(atom));
            }
            _ => self.at -= 1,
        }
        let atom = self.atom()?;
        Some(self.suffixes(atom))
    }

    fn atom(&mut self) -> Option<Ways> {
        match self.next()?.clone() {
            Token::Open => {
                if let Some(Token::Ident(_)) = self.peek() {
                    // A node (or `_`): its name, then its children.
                    self.at += 1;
                }
                self.sequence(Some(&Token::Close))
            }
            Token::OpenAlt => self.alternation(),
            // An anonymous node, a wildcard, a bare name (`MISSING identifier`): no capture.
            Token::Str(..) | Token::Ident(_) => Some(vec![Vec::new()]),
            _ => None,
        }
    }

    /// The quantifiers and captures after an atom.
    fn suffixes(&mut self, mut ways: Ways) -> Ways {
        let mut optional = false;
        let mut captures = Vec::new();
        while let Some(token) = self.peek() {
            match token {
                Token::Quantifier('?' | '*') => optional = true,
                Token::Quantifier(_) => {}
                Token::Capture(name) => captures.push(name.clone()),
                _ => break,
            }
            self.at += 1;
        }
        if optional {
            // Zero matches: nothing of it is sure.
            return vec![Vec::new()];
        }
        for way in &mut ways {
            way.extend(captures.iter().cloned());
            way.sort();
            way.dedup();
        }
        ways
    }
}

/// Every way of `a` with every way of `b`.
fn product(a: &Ways, b: &Ways) -> Ways {
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut way: Vec<String> = x.iter().chain(y).cloned().collect();
            way.sort();
            way.dedup();
            out.push(way);
        }
    }
    merged(out)
}

/// The ways without repeats; past [`MAX_WAYS`], one way with the captures all of them have (a
/// weaker condition, so still a necessary one).
fn merged(mut ways: Ways) -> Ways {
    ways.sort();
    ways.dedup();
    if ways.len() > MAX_WAYS {
        let common: Vec<String> = ways[0].iter().filter(|c| ways.iter().all(|w| w.contains(c))).cloned().collect();
        return vec![common];
    }
    ways
}

/// An [`Alternative`] with its texts as indices into [`Conditions`]' texts.
type IndexedAlternative = (Vec<PathTest>, Vec<Vec<usize>>);

/// The conditions of several rules, tested together: one pass over a file's text finds every
/// text any of them needs.
pub struct Conditions {
    /// Each rule with its alternatives, the clauses as indices into the texts.
    rules: Vec<(&'static QueryRule, Vec<IndexedAlternative>)>,
    /// Every text, searched at once.
    texts: Option<AhoCorasick>,
    /// How many texts.
    count: usize,
}

impl Conditions {
    /// The conditions of `rules`, or `None` when one of them may report in any file (its query
    /// gives no condition and its `files` does not narrow it).
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a &'static QueryRule>) -> Option<Conditions> {
        let mut ids: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let mut out = Vec::new();
        for rule in rules {
            let alternatives = match rule.condition() {
                Some(condition) => condition
                    .alternatives
                    .iter()
                    .map(|a| {
                        let clauses = a
                            .clauses
                            .iter()
                            .map(|c| {
                                c.iter()
                                    .map(|text| {
                                        *ids.entry(text.clone()).or_insert_with(|| {
                                            texts.push(text.clone());
                                            texts.len() - 1
                                        })
                                    })
                                    .collect()
                            })
                            .collect();
                        (a.paths.clone(), clauses)
                    })
                    .collect(),
                // Only its own path filter narrows it.
                None if !rule.files.is_empty() => vec![(Vec::new(), Vec::new())],
                None => return None,
            };
            out.push((*rule, alternatives));
        }
        let count = texts.len();
        let texts = if texts.is_empty() { None } else { Some(AhoCorasick::new(&texts).ok()?) };
        Some(Conditions { rules: out, texts, count })
    }

    /// True when some rule may report in the file at `path` with `text`.
    pub fn may_match(&self, path: &str, text: &str) -> bool {
        let mut found: Option<Vec<bool>> = None;
        for (rule, alternatives) in &self.rules {
            if !rule.applies_to_path(path) {
                continue;
            }
            for (paths, clauses) in alternatives {
                if !paths.iter().all(|p| p.holds(path)) {
                    continue;
                }
                let found = found.get_or_insert_with(|| self.texts_in(text));
                if clauses.iter().all(|c| c.iter().any(|&i| found[i])) {
                    return true;
                }
            }
        }
        false
    }

    /// Which texts occur in `text`.
    fn texts_in(&self, text: &str) -> Vec<bool> {
        let mut found = vec![false; self.count];
        if let Some(texts) = &self.texts {
            let mut left = self.count;
            for m in texts.find_overlapping_iter(text) {
                let slot = &mut found[m.pattern().as_usize()];
                if !*slot {
                    *slot = true;
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(clauses: &[Vec<Vec<u8>>]) -> Vec<Vec<String>> {
        clauses.iter().map(|c| c.iter().map(|t| String::from_utf8_lossy(t).into_owned()).collect()).collect()
    }

    /// The clauses of each alternative, as strings.
    fn clauses(query: &str) -> Option<Vec<Vec<Vec<String>>>> {
        of_query(query).map(|c| c.alternatives.iter().map(|a| texts(&a.clauses)).collect())
    }

    fn one(query: &str) -> Vec<Vec<String>> {
        let mut all = clauses(query).unwrap_or_else(|| panic!("no condition for {query}"));
        assert_eq!(all.len(), 1, "{query}: {all:?}");
        all.remove(0)
    }

    #[test]
    fn eq_and_any_of_on_sure_captures_need_their_texts() {
        assert_eq!(
            one("((call_expression function: (identifier) @f) @match (#eq? @f \"legacyCall\"))"),
            [["legacyCall"]]
        );
        assert_eq!(
            one("((new_expression constructor: (identifier) @c) @match (#any-of? @c \"OldA\" \"OldB\"))"),
            [["OldA", "OldB"]]
        );
        // A `+` capture has at least one node, each of them equal.
        assert_eq!(one("((arguments (identifier)+ @a) @match (#eq? @a \"xval\"))"), [["xval"]]);
        // Escapes in the query's string are decoded: the node's text is compared with the value.
        assert_eq!(one(r#"((string_fragment) @match (#eq? @match "a\"b"))"#), [["a\"b"]]);
        // Two predicates: both texts.
        assert_eq!(
            one("((call_expression function: (member_expression object: (identifier) @o property: (property_identifier) @p)) @match (#eq? @o \"db\") (#eq? @p \"raw\"))"),
            [vec!["db"], vec!["raw"]]
        );
    }

    #[test]
    fn optional_quantified_and_negative_captures_need_nothing() {
        // The capture may be missing: tree-sitter's predicate then holds, and the rule matches
        // a call without `x`.
        assert_eq!(
            clauses(
                "(call_expression function: (identifier) @f (arguments (identifier)? @a) (#eq? @a \"xval\")) @match"
            ),
            None
        );
        assert_eq!(clauses("((arguments (identifier)* @a) @match (#eq? @a \"xval\"))"), None);
        assert_eq!(clauses("((arguments ((identifier) @a)?) @match (#eq? @a \"xval\"))"), None);
        assert_eq!(clauses("((identifier) @match (#not-eq? @match \"xval\"))"), None);
        assert_eq!(clauses("((identifier) @match (#not-any-of? @match \"xval\" \"yval\"))"), None);
        assert_eq!(clauses("((identifier) @match (#not-match? @match \"xval\"))"), None);
        // `any-` forms hold when no node agrees.
        assert_eq!(clauses("((arguments (identifier)+ @a) @match (#any-eq? @a \"xval\"))"), None);
        assert_eq!(clauses("((arguments (identifier)+ @a) @match (#any-match? @a \"xval\"))"), None);
        // Two captures compared: no text.
        assert_eq!(clauses("((pair key: (_) @k value: (_) @v) @match (#eq? @k @v))"), None);
        // Anonymous nodes alone give nothing (error recovery may insert them, zero-width).
        assert_eq!(clauses("((await_expression \"await\") @match)"), None);
        // A bare structure.
        assert_eq!(clauses("(call_expression) @match"), None);
        // With a sure predicate beside an optional one: the sure one counts.
        assert_eq!(
            one("(call_expression function: (identifier) @f (arguments (identifier)? @a) (#eq? @a \"xval\") (#eq? @f \"getter\")) @match"),
            [["getter"]]
        );
    }

    #[test]
    fn alternations_give_one_alternative_per_branch() {
        let query = "([(call_expression function: (identifier) @f) (new_expression constructor: (identifier) @f)] @match (#eq? @f \"Legacy\"))";
        assert_eq!(clauses(query).unwrap(), [[["Legacy"]]]);
        // A capture in one branch only: the other branch needs nothing.
        let query = "([(call_expression function: (identifier) @f) (new_expression)] @match (#eq? @f \"Legacy\"))";
        assert_eq!(clauses(query), None);
        // Several top-level patterns: one alternative each; one without a text spoils all.
        let two =
            "((identifier) @match (#eq? @match \"alpha\"))\n((property_identifier) @match (#eq? @match \"beta\"))";
        assert_eq!(clauses(two).unwrap(), [[["alpha"]], [["beta"]]]);
        assert_eq!(clauses(&format!("{two}\n(number) @match")), None);
        // Branches with captures of their own, the predicates on either.
        let query = "([((identifier) @a) ((property_identifier) @b)] @match (#eq? @a \"xval\") (#eq? @b \"yval\"))";
        assert_eq!(clauses(query).unwrap(), [[["xval"]], [["yval"]]]);
    }

    #[test]
    fn match_gives_its_required_literals_when_finite() {
        assert_eq!(
            one("((identifier) @match (#match? @match \"^legacy(Call|Fetch)$\"))"),
            [["legacyCall", "legacyFetch"]]
        );
        assert_eq!(one("((identifier) @match (#match? @match \"Old\"))"), [["Old"]]);
        // Case-insensitive: every case variant.
        assert_eq!(one("((identifier) @match (#match? @match \"(?i)^ab$\"))")[0].len(), 4);
        // Nothing finite or a possible empty match: no condition.
        for regex in ["^[a-z]+$", ".*", "x*", "^", "\\\\w+Dto"] {
            assert_eq!(clauses(&format!("((identifier) @match (#match? @match \"{regex}\"))")), None, "{regex}");
        }
    }

    #[test]
    fn baton_predicates_need_their_names_even_on_optional_captures() {
        assert_eq!(
            one("((call_expression function: (member_expression object: (identifier) @o)) @match (#imported-from? @o \"legacy-lib\"))"),
            [["legacy-lib"]]
        );
        // False without the capture, so it counts when the capture may be missing.
        assert_eq!(
            one("((call_expression (identifier)? @o) @match (#imported-from? @o \"@prisma/*\"))"),
            [["@prisma/"]]
        );
        assert_eq!(one("((call_expression) @match (#file-imports? \"axios\" \"got\"))"), [["axios", "got"]]);
        assert_eq!(one("((call_expression) @match (#inside-call? @match \"withTracing\"))"), [["withTracing"]]);
        for negative in
            ["(#not-inside-call? @match \"f\")", "(#not-imported-from? @match \"m\")", "(#not-file-imports? \"m\")"]
        {
            assert_eq!(clauses(&format!("((call_expression) @match {negative})")), None, "{negative}");
        }
        // Path predicates: a condition on the path only.
        let condition = of_query("((call_expression) @match (#path? \"src/legacy/**\") (#not-test-file?))").unwrap();
        assert_eq!(
            condition.alternatives,
            [Alternative {
                clauses: vec![],
                paths: vec![PathTest::AnyOf(vec!["src/legacy/**".into()]), PathTest::NotTest]
            }]
        );
        assert_eq!(clauses("((call_expression) @match (#not-path? \"src/**\"))").map(|c| c.len()), Some(1));
    }

    #[test]
    fn one_byte_texts_give_nothing() {
        assert_eq!(clauses("((identifier) @match (#eq? @match \"x\"))"), None);
        assert_eq!(clauses("((identifier) @match (#any-of? @match \"xval\" \"y\"))"), None);
        assert_eq!(clauses("((identifier) @match (#match? @match \"^[a-z]+$\"))"), None);
    }

    #[test]
    fn queries_the_reader_is_unsure_of_give_nothing() {
        assert_eq!(clauses("((identifier) @m (#eq? @m \"xval\")"), None);
        assert_eq!(clauses("((identifier) @m (#set! kind \"xval\") (#eq? @m \"xval\"))"), None);
    }

    /// Every pattern of the built-in queries, with text predicates of every form on its
    /// captures (texts the fixtures have), compiled by tree-sitter as written: in every fixture
    /// and example file where it matches, its derived condition holds.
    #[test]
    fn conditions_hold_wherever_tree_sitter_matches_on_every_fixture() {
        use streaming_iterator::StreamingIterator;
        use tree_sitter::{Query, QueryCursor};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut parser = tree_sitter::Parser::new();
        let language = crate::syntax::Grammar::Tsx.language();
        parser.set_language(&language).unwrap();
        for dir in ["tests/fixtures", "examples"] {
            for entry in ignore::WalkBuilder::new(root.join(dir)).build().flatten() {
                let Some(path) = entry.path().to_str() else { continue };
                if crate::syntax::FileKind::from_path(path).is_some_and(|k| k.is_ecmascript()) {
                    let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                    let tree = parser.parse(&text, None).unwrap();
                    files.push((path.to_string(), text, tree));
                }
            }
        }
        let forms = [
            "(#eq? @C \"prisma\")",
            "(#any-of? @C \"prisma\" \"db\" \"user\" \"data\" \"supabase\")",
            "(#match? @C \"^(find|create|update)\")",
            "(#match? @C \"(?i)client\")",
            "(#eq? @C \"await\")",
            "(#any-eq? @C \"db\")",
            "(#not-eq? @C \"db\")",
            "(#eq? @C \"fetch\")",
            "(#any-of? @C \"json\" \"then\" \"map\")",
            "(#eq? @C \"this\")",
        ];
        let (mut compared, mut matched, mut with_condition) = (0, 0, 0);
        // Structures with what makes a capture unsure (quantifiers, alternations, groups),
        // beside every built-in pattern's.
        let invented = [
            "((call_expression function: (identifier) @f arguments: (arguments (identifier)? @a)) @match)",
            "((call_expression function: (_) @f arguments: (arguments ((identifier) @a (_)*)?)) @match)",
            "((arguments (identifier)* @a (string)? @s) @match)",
            "((arguments (identifier)+ @a) @match)",
            "([(call_expression function: (identifier) @f) (new_expression constructor: (identifier) @f)] @match)",
            "([(call_expression function: (identifier) @f) (new_expression constructor: (_) @c)] @match)",
            "((member_expression object: [(identifier) @o (this)] property: (property_identifier) @p) @match)",
            "((call_expression function: (member_expression object: (identifier) @o property: (property_identifier) @p) . (arguments . (_) @first)) @match)",
            "((import_statement (import_clause (named_imports (import_specifier name: (identifier) @n)*)) source: (string (string_fragment) @m)) @match)",
            "((variable_declarator name: (identifier) @n value: (await_expression (call_expression function: (_) @f))?) @match)",
            "((function_declaration name: (identifier) @n !type_parameters body: (statement_block (expression_statement (call_expression function: (identifier) @c))+)) @match)",
        ];
        let structures = crate::rules::all()
            .iter()
            .filter_map(|r| r.query_source())
            .chain(invented)
            .filter_map(shapes::split)
            .flatten();
        for pattern in structures {
            let Ok(bare) = Query::new(&language, &pattern.structure) else { continue };
            for (capture, form) in bare.capture_names().iter().flat_map(|c| forms.iter().map(move |f| (c, f))) {
                let predicate = form.replace("@C", &format!("@{capture}"));
                let written = format!("({} {predicate})", pattern.structure.trim());
                let Ok(query) = Query::new(&language, &written) else { continue };
                let condition = of_query(&written);
                with_condition += usize::from(condition.is_some());
                compared += 1;
                for (path, text, tree) in &files {
                    let mut cursor = QueryCursor::new();
                    let mut matches = cursor.matches(&query, tree.root_node(), text.as_bytes());
                    if matches.next().is_some() {
                        matched += 1;
                        if let Some(condition) = &condition {
                            assert!(condition.holds(path, text), "{written} matches in {path}: {condition:?}");
                        }
                    }
                }
            }
        }
        assert!(compared > 200 && matched > 1000 && with_condition > 100, "{compared} {matched} {with_condition}");
    }

    fn rule(query: &str, extra: &str) -> &'static QueryRule {
        let file = super::super::RuleFile {
            path: ".baton/rules/r.toml".into(),
            text: format!("message = \"m\"\n{extra}\nquery = '''\n{query}\n'''\n"),
            query_file: None,
        };
        match super::super::file::parse(&file).unwrap().matcher {
            crate::rules::Matcher::UserQuery(q) => Box::leak(Box::new(q)),
            _ => unreachable!(),
        }
    }

    #[test]
    fn conditions_of_several_rules_are_tested_in_one_pass() {
        let a = rule("((call_expression function: (identifier) @f) @match (#eq? @f \"legacyCall\"))", "");
        let b = rule("((identifier) @match (#any-of? @match \"prefetchOld\" \"fetchOld\"))", "test_files = false");
        let c = rule("((call_expression) @match (#path? \"src/legacy/**\"))", "");
        let conditions = Conditions::new([&a, &b, &c]).unwrap();
        assert!(conditions.may_match("src/a.ts", "legacyCall();"));
        assert!(conditions.may_match("src/a.ts", "legacyCalls;"), "a text inside a longer word counts (a superset)");
        assert!(conditions.may_match("src/a.ts", "x = prefetchOld"), "overlapping texts are all found");
        assert!(conditions.may_match("src/a.ts", "x = fetchOld"));
        assert!(!conditions.may_match("src/a.test.ts", "x = fetchOld"), "b skips test files");
        assert!(!conditions.may_match("src/a.ts", "fetchNew(); legacy();"));
        assert!(conditions.may_match("src/legacy/x.ts", "anything"));
        // A rule without a condition: none for the set, unless its `files` narrows it.
        let any = rule("(call_expression) @match", "");
        assert!(Conditions::new([&a, &any]).is_none());
        let narrowed = rule("(call_expression) @match", "files = [\"scripts/**\"]");
        let conditions = Conditions::new([&a, &narrowed]).unwrap();
        assert!(conditions.may_match("scripts/x.ts", "f()"));
        assert!(!conditions.may_match("src/x.ts", "f()"));
    }
}
