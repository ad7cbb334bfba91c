//! One rule file (TOML) into one [`Rule`], or the problems that stop it, each at its place.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use tree_sitter::Query;

use super::schema::{SchemaCheck, SchemaRule};
use super::{parse_severity, placeholders, predicates, shapes, Problem, RuleFile, NAMESPACE};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

/// A query rule: a tree-sitter query over TypeScript/JavaScript.
#[derive(Debug)]
pub struct QueryRule {
    /// Where its parts are, for the problems [`validate`] finds.
    checks: Checks,
    /// The rule file's workspace-relative path.
    pub path: String,
    /// The query source.
    pub query: String,
    /// The message, with `{capture}` placeholders.
    pub message: String,
    /// File globs the rule applies to (empty: every file).
    pub files: Vec<String>,
    /// File globs the rule never applies to.
    pub exclude_files: Vec<String>,
    /// False: test files (`*.test.*`, `*.spec.*`, `__tests__/`, `tests/`, `test/`) are skipped.
    pub test_files: bool,
    /// The quick fix.
    pub fix: Option<FixTemplate>,
    /// The examples, which are tests (`baton rules test`).
    pub examples: Vec<Example>,
    /// Its necessary condition on a file's path and text, derived once ([`QueryRule::condition`]).
    condition: std::sync::OnceLock<Option<super::condition::Condition>>,
}

impl QueryRule {
    /// True when the rule applies to a file at `path`: its `files`, `exclude_files` and
    /// `test_files`.
    pub fn applies_to_path(&self, path: &str) -> bool {
        use crate::engine::ecma;
        (self.files.is_empty() || self.files.iter().any(|g| ecma::path_matches(g, path)))
            && !self.exclude_files.iter().any(|g| ecma::path_matches(g, path))
            && (self.test_files || !ecma::is_test_path(path))
    }

    /// What must hold of a file's path and text for the query to match in it, or `None` when it
    /// may match anywhere ([`super::condition`]; the rule's own path filter aside).
    pub fn condition(&self) -> Option<&super::condition::Condition> {
        self.condition.get_or_init(|| super::condition::of_query(&self.query)).as_ref()
    }
}

/// A fix template: the node captured as `capture` is replaced by `replace` (with `{capture}`
/// placeholders).
#[derive(Clone, Debug)]
pub struct FixTemplate {
    /// Shown in the editor.
    pub title: String,
    /// The replacement text.
    pub replace: String,
    /// The capture whose node is replaced (default `match`).
    pub capture: String,
}

/// Whether an example must produce findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExampleKind {
    /// Must produce exactly the declared findings.
    Bad,
    /// Must produce none.
    Good,
}

/// An example of a rule, which is a test.
#[derive(Clone, Debug)]
pub struct Example {
    /// Bad or good.
    pub kind: ExampleKind,
    /// The file's path in the one-file workspace it is checked in.
    pub path: String,
    /// The code.
    pub code: String,
    /// The 1-based lines the findings must start on (bad examples; `None`: at least one).
    pub lines: Option<Vec<u32>>,
    /// The text after every fix is applied.
    pub fixed: Option<String>,
    /// Byte offset of the example in its rule file (where a failure is reported).
    pub offset: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<Spanned<String>>,
    languages: Option<Spanned<Vec<String>>>,
    severity: Option<Spanned<String>>,
    summary: Option<Spanned<String>>,
    message: Option<Spanned<String>>,
    query: Option<Spanned<String>>,
    query_file: Option<Spanned<String>>,
    #[serde(default)]
    files: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_files: Vec<Spanned<String>>,
    #[serde(default = "yes")]
    test_files: bool,
    fix: Option<RawFix>,
    schema: Option<Spanned<RawSchema>>,
    #[serde(default)]
    docs: RawDocs,
    #[serde(default)]
    examples: Vec<Spanned<RawExample>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFix {
    title: Option<String>,
    replace: Spanned<String>,
    capture: Option<Spanned<String>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocs {
    #[serde(default)]
    why: String,
    #[serde(default)]
    fix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    check: Spanned<String>,
    schemas: Option<Vec<String>>,
    column: Option<String>,
    #[serde(default)]
    except: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    kind: Spanned<String>,
    code: String,
    path: Option<String>,
    lines: Option<Vec<u32>>,
    fixed: Option<String>,
}

/// A problem at `range` of the rule file.
fn at(file: &RuleFile, range: Range<usize>, message: impl Into<String>) -> Vec<Problem> {
    vec![Problem { path: file.path.clone(), range, message: message.into() }]
}

/// Parses one rule file.
pub(super) fn parse(file: &RuleFile) -> Result<Rule, Vec<Problem>> {
    let raw: RawRule = toml::from_str(&file.text).map_err(|e| at(file, e.span().unwrap_or(0..0), e.message()))?;
    let stem = file.path.rsplit('/').next().unwrap_or(&file.path).trim_end_matches(".toml").to_string();
    let (name, name_span) = match &raw.name {
        Some(n) => (n.get_ref().clone(), n.span()),
        None => (stem, 0..0),
    };
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || name.starts_with('-')
    {
        return Err(at(
            file,
            name_span,
            format!("rule name `{name}`: use lowercase letters, digits and `-` (the id is `{NAMESPACE}/<name>`)"),
        ));
    }
    let id: &'static str = Box::leak(format!("{NAMESPACE}/{name}").into_boxed_str());
    let default_severity = match &raw.severity {
        None => Severity::Warning,
        Some(s) => parse_severity(s.get_ref()).ok_or_else(|| {
            at(file, s.span(), format!("severity `{}`: use error, warning, info or hint", s.get_ref()))
        })?,
    };
    let examples = examples(file, &raw)?;
    if let Some(schema) = &raw.schema {
        if raw.query.is_some() || raw.query_file.is_some() || raw.fix.is_some() {
            return Err(at(file, schema.span(), "a rule is either a query rule or a schema rule, not both"));
        }
        let check = SchemaCheck::parse(schema.get_ref().check.get_ref()).ok_or_else(|| {
            at(
                file,
                schema.get_ref().check.span(),
                format!(
                    "unknown schema check `{}`: use {}",
                    schema.get_ref().check.get_ref(),
                    SchemaCheck::NAMES.join(", ")
                ),
            )
        })?;
        let column = schema.get_ref().column.clone().unwrap_or_default();
        if check.needs_column() && column.is_empty() {
            return Err(at(file, schema.span(), format!("schema check `{}` needs `column`", check.name())));
        }
        let message = raw.message.as_ref().map(|m| m.get_ref().clone()).unwrap_or_default();
        if let Some(m) = &raw.message {
            for name in placeholders(m.get_ref()) {
                if !SchemaRule::PLACEHOLDERS.contains(&name) {
                    return Err(at(
                        file,
                        m.span(),
                        format!("`{{{name}}}` is not known here: use {}", SchemaRule::PLACEHOLDERS.join(", ")),
                    ));
                }
            }
        }
        let summary = raw.summary.as_ref().map(|s| s.get_ref().clone()).unwrap_or_else(|| check.summary(&column));
        let schema = SchemaRule {
            path: file.path.clone(),
            check,
            schemas: schema.get_ref().schemas.clone().unwrap_or_else(|| vec!["public".into()]),
            column,
            except: schema.get_ref().except.clone(),
            message,
            examples,
        };
        let doc = documentation(id, &summary, &raw.docs, &file.path, "sql", &schema.examples);
        return Ok(Rule {
            id,
            default_severity,
            kinds: &[FileKind::Sql],
            summary: Box::leak(summary.into_boxed_str()),
            doc: Box::leak(doc.into_boxed_str()),
            matcher: Matcher::UserSchema(Box::leak(Box::new(schema))),
        });
    }
    // A query rule.
    let kinds = languages(file, &raw)?;
    let (query, origin) = query_source(file, &raw)?;
    let message_spanned = raw
        .message
        .as_ref()
        .ok_or_else(|| at(file, 0..0, "a query rule needs a `message` (with `{capture}` placeholders)"))?;
    let message = message_spanned.get_ref().clone();
    let fix = match &raw.fix {
        None => None,
        Some(f) => {
            let capture = f.capture.as_ref().map_or_else(|| "match".to_string(), |c| c.get_ref().clone());
            Some(FixTemplate {
                title: f.title.clone().unwrap_or_else(|| "Apply the rule's fix".into()),
                replace: f.replace.get_ref().clone(),
                capture,
            })
        }
    };
    let mut globs = Vec::new();
    for (list, key) in [(&raw.files, "files"), (&raw.exclude_files, "exclude_files")] {
        let mut out = Vec::new();
        for glob in list {
            if let Err(e) = globset::Glob::new(glob.get_ref()) {
                return Err(at(file, glob.span(), format!("`{key}` pattern `{}`: {e}", glob.get_ref())));
            }
            out.push(glob.get_ref().clone());
        }
        globs.push(out);
    }
    let exclude_files = globs.pop().unwrap_or_default();
    let files = globs.pop().unwrap_or_default();
    let summary = raw.summary.as_ref().map(|s| s.get_ref().clone()).unwrap_or_else(|| substitute_plain(&message));
    let lang = if kinds.contains(&FileKind::TypeScript) { "ts" } else { kinds[0].short_name() };
    let doc = documentation(id, &summary, &raw.docs, &file.path, lang, &examples);
    let checks = Checks {
        origin,
        message_span: message_spanned.span(),
        fix_span: raw.fix.as_ref().map(|f| f.replace.span()).unwrap_or(0..0),
    };
    let rule = QueryRule {
        checks,
        path: file.path.clone(),
        query,
        message,
        files,
        exclude_files,
        test_files: raw.test_files,
        fix,
        examples,
        condition: Default::default(),
    };
    Ok(Rule {
        id,
        default_severity,
        kinds,
        summary: Box::leak(summary.into_boxed_str()),
        doc: Box::leak(doc.into_boxed_str()),
        matcher: Matcher::UserQuery(Box::leak(Box::new(rule))),
    })
}

/// A message with its placeholders shown as `…`, as a summary.
fn substitute_plain(message: &str) -> String {
    super::substitute(message, |_| Some("…".into())).trim_end_matches('.').to_string()
}

fn languages(file: &RuleFile, raw: &RawRule) -> Result<&'static [FileKind], Vec<Problem>> {
    let Some(list) = &raw.languages else { return Ok(crate::rules::ECMASCRIPT) };
    let mut kinds = Vec::new();
    for name in list.get_ref() {
        let kind = match name.as_str() {
            "ts" | "typescript" => FileKind::TypeScript,
            "tsx" => FileKind::Tsx,
            "js" | "jsx" | "javascript" => FileKind::JavaScript,
            other => {
                return Err(at(
                    file,
                    list.span(),
                    format!("language `{other}`: query rules apply to ts, tsx and js (schema rules use `[schema]`)"),
                ))
            }
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(at(file, list.span(), "`languages` is empty"));
    }
    Ok(Box::leak(kinds.into_boxed_slice()))
}

/// Where a query rule's parts sit in its files.
#[derive(Debug)]
struct Checks {
    origin: Origin,
    message_span: Range<usize>,
    fix_span: Range<usize>,
}

/// Where a query's text sits, to place its syntax errors.
#[derive(Debug)]
enum Origin {
    /// Inline in the rule file, starting at this byte (exact for `'''` literal strings).
    Inline(usize),
    /// In the `.scm` file at this path.
    File(String),
}

impl Origin {
    fn problem_in(&self, rule_path: &str, range: Range<usize>, message: impl Into<String>) -> Vec<Problem> {
        match self {
            Origin::Inline(start) => {
                vec![Problem {
                    path: rule_path.to_string(),
                    range: start + range.start..start + range.end,
                    message: message.into(),
                }]
            }
            Origin::File(path) => vec![Problem { path: path.clone(), range, message: message.into() }],
        }
    }
}

fn query_source(file: &RuleFile, raw: &RawRule) -> Result<(String, Origin), Vec<Problem>> {
    match (&raw.query, &raw.query_file) {
        (Some(_), Some(q)) => Err(at(file, q.span(), "give `query` or `query_file`, not both")),
        (None, None) => Err(at(file, 0..0, "a rule needs `query` (or `query_file`, or a `[schema]` check)")),
        (Some(q), None) => {
            let span = q.span();
            let literal = file.text.get(span.clone()).unwrap_or("");
            // The value's first byte in the file: after the quotes (and the newline a multi-line
            // string trims). Exact for literal strings; escapes in basic strings shift it.
            let mut start = span.start;
            for open in ["'''", "\"\"\"", "'", "\""] {
                if literal.starts_with(open) {
                    start += open.len();
                    if open.len() == 3 {
                        let after = &file.text[start..];
                        start += if after.starts_with("\r\n") { 2 } else { usize::from(after.starts_with('\n')) };
                    }
                    break;
                }
            }
            Ok((q.get_ref().clone(), Origin::Inline(start)))
        }
        (None, Some(q)) => match &file.query_file {
            Some((path, Ok(text))) => Ok((text.clone(), Origin::File(path.clone()))),
            Some((_, Err(error))) => Err(at(file, q.span(), format!("`query_file` {}: {error}", q.get_ref()))),
            None => Err(at(file, q.span(), format!("`query_file` {} was not read", q.get_ref()))),
        },
    }
}

fn query_error(rule_path: &str, origin: &Origin, query: &str, e: &tree_sitter::QueryError) -> Vec<Problem> {
    // tree-sitter gives the byte offset of the error in the query.
    // An error at the very end (an unclosed parenthesis) is shown at the query's last character.
    let mut offset = e.offset.min(query.len());
    if offset == query.len() {
        offset = query.trim_end().len().saturating_sub(1);
        while !query.is_char_boundary(offset) {
            offset -= 1;
        }
    }
    let end = query[offset..].chars().next().map_or(offset, |c| offset + c.len_utf8());
    use tree_sitter::QueryErrorKind as Kind;
    let detail = e.message.lines().next().unwrap_or("").trim();
    let message = match e.kind {
        Kind::Syntax => "query syntax error (an unbalanced parenthesis, a stray character?)".to_string(),
        Kind::NodeType => format!("the query names node type `{detail}`, which the grammar does not have"),
        Kind::Field => format!("the query names field `{detail}`, which the grammar does not have"),
        Kind::Capture => format!("the query uses capture `@{detail}`, which it never defines"),
        Kind::Predicate => format!("query predicate error: {detail}"),
        Kind::Structure => "the query's pattern cannot match any tree of this grammar".to_string(),
        Kind::Language => format!("query language error: {detail}"),
    };
    origin.problem_in(rule_path, offset..end, message)
}

fn examples(file: &RuleFile, raw: &RawRule) -> Result<Vec<Example>, Vec<Problem>> {
    let default_path = if raw.schema.is_some() { "supabase/migrations/0001_example.sql" } else { "src/example.ts" };
    let mut out = Vec::new();
    for example in &raw.examples {
        let e = example.get_ref();
        let kind = match e.kind.get_ref().as_str() {
            "bad" => ExampleKind::Bad,
            "good" => ExampleKind::Good,
            other => return Err(at(file, e.kind.span(), format!("example kind `{other}`: use bad or good"))),
        };
        let path = e.path.clone().unwrap_or_else(|| default_path.to_string());
        if FileKind::from_path(&path).is_none() {
            return Err(at(file, example.span(), format!("example path `{path}` is not a file Baton reads")));
        }
        if kind == ExampleKind::Good && (e.lines.is_some() || e.fixed.is_some()) {
            return Err(at(file, example.span(), "a good example has no `lines` or `fixed`"));
        }
        out.push(Example {
            kind,
            path,
            code: e.code.clone(),
            lines: e.lines.clone(),
            fixed: e.fixed.clone(),
            offset: example.span().start,
        });
    }
    Ok(out)
}

/// The rule's documentation in the built-ins' headings, from `[docs]` and its first examples.
fn documentation(id: &str, summary: &str, docs: &RawDocs, path: &str, lang: &str, examples: &[Example]) -> String {
    let mut doc = format!("# {id}\n\n## What it does\n\n{summary}.\n\n## Why is this bad?\n\n");
    doc.push_str(if docs.why.trim().is_empty() { "(the rule file gives no reason)" } else { docs.why.trim() });
    doc.push('\n');
    for (heading, kind) in [("Example", ExampleKind::Bad), ("Use instead", ExampleKind::Good)] {
        doc.push_str(&format!("\n## {heading}\n"));
        if let Some(example) = examples.iter().find(|e| e.kind == kind) {
            let lang = example.path.rsplit('.').next().unwrap_or(lang);
            doc.push_str(&format!("\n```{lang} {}\n{}", example.path, example.code));
            if !example.code.ends_with('\n') {
                doc.push('\n');
            }
            doc.push_str("```\n");
        }
    }
    if !docs.fix.trim().is_empty() {
        doc.push_str(&format!("\n## Fix\n\n{}\n", docs.fix.trim()));
    }
    doc.push_str(&format!("\n## Options\n\nA user rule, defined in `{path}`.\n"));
    doc
}

/// The problems of rules by index, and the compiled sets per grammar.
type Validated = (Vec<(usize, Vec<Problem>)>, Vec<(FileKind, crate::rules::query_set::QuerySet)>);

/// Compiles the query rules together, once for each grammar of `kinds` (compiling each alone
/// would cost a grammar analysis per rule and per grammar), and returns the problems of each rule by index:
/// syntax and node errors (found by compiling alone only when the whole fails), unknown
/// predicates, a missing `@match`, placeholders that are no capture.
/// The user queries are compiled with the built-ins, so the query that validates them is the one
/// the files are matched with: returned per grammar when every rule passed.
pub(super) fn validate(rules: &[&'static Rule], kinds: &[FileKind]) -> Validated {
    // The grammars compile on parallel threads.
    let per_kind: Vec<Validated> = std::thread::scope(|scope| {
        let handles: Vec<_> = kinds.iter().map(|kind| scope.spawn(move || validate_kind(rules, kind))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut failed: Vec<(usize, Vec<Problem>)> = Vec::new();
    let mut sets = Vec::new();
    for (kind_failed, kind_sets) in per_kind {
        for (i, problems) in kind_failed {
            if !failed.iter().any(|(f, _)| *f == i) {
                failed.push((i, problems));
            }
        }
        sets.extend(kind_sets);
    }
    if !failed.is_empty() && kinds.len() > 1 {
        // A grammar's set leaves out the rules that fail in it, not those failing in another
        // grammar, which are dropped too: those sets are compiled again on use. (With one
        // grammar, the usual case, its set is right as it is: a broken rule file being edited
        // costs no second compilation.)
        sets.clear();
    }
    (failed, sets)
}

/// [`validate`] for one grammar: the problems of the rules that fail in it, and its set (of the
/// built-ins and the rules that pass), unless no query rule applies to it.
///
/// A query the shape reader understands ([`shapes::split`]) joins the combined query as its
/// patterns without predicates, each distinct structure once for every rule that has it (its
/// predicates are evaluated in Rust, [`shapes::Member`]); any other query joins as written.
pub(super) fn validate_kind(rules: &[&'static Rule], kind: &FileKind) -> Validated {
    use tree_sitter::CaptureQuantifier;
    let mut failed: Vec<(usize, Vec<Problem>)> = Vec::new();
    let mut sets = Vec::new();
    let language = kind.grammar().expect("query kinds have grammars").language();
    let split: Vec<Option<Vec<shapes::Pattern>>> = rules
        .iter()
        .map(|r| match &r.matcher {
            Matcher::UserQuery(q) if r.kinds.contains(kind) => shapes::split(&q.query),
            _ => None,
        })
        .collect();
    loop {
        let candidates: Vec<(usize, &QueryRule)> = rules
            .iter()
            .enumerate()
            .filter(|(i, r)| r.kinds.contains(kind) && !failed.iter().any(|(f, _)| f == i))
            .filter_map(|(i, r)| match &r.matcher {
                Matcher::UserQuery(q) => Some((i, *q)),
                _ => None,
            })
            .collect();
        if candidates.is_empty() {
            break;
        }
        let mut combined = String::new();
        let mut all_starts: Vec<(usize, &'static Rule)> = Vec::new();
        for rule in crate::rules::all().iter().filter(|r| r.kinds.contains(kind)) {
            if let Some(source) = rule.query_source() {
                all_starts.push((combined.len(), rule));
                combined.push_str(source);
                combined.push('\n');
            }
        }
        // Each candidate's byte ranges in the combined query: its text, or its shapes' texts.
        let mut ranges: Vec<Vec<Range<usize>>> = vec![Vec::new(); candidates.len()];
        for (slot, (i, q)) in candidates.iter().enumerate() {
            if split[*i].is_none() {
                all_starts.push((combined.len(), rules[*i]));
                ranges[slot].push(combined.len()..combined.len() + q.query.len() + 1);
                combined.push_str(&q.query);
                combined.push('\n');
            }
        }
        // The shapes: (range in the combined query, members as (candidate slot, pattern)).
        type Shape = (Range<usize>, Vec<(usize, usize)>);
        let mut shapes_by_key: std::collections::HashMap<&str, usize> = Default::default();
        let mut shared: Vec<Shape> = Vec::new();
        for (slot, (i, _)) in candidates.iter().enumerate() {
            for (k, pattern) in split[*i].iter().flatten().enumerate() {
                let index = *shapes_by_key.entry(pattern.key.as_str()).or_insert_with(|| {
                    all_starts.push((combined.len(), rules[*i]));
                    let range = combined.len()..combined.len() + pattern.structure.len() + 1;
                    combined.push_str(&pattern.structure);
                    combined.push('\n');
                    shared.push((range, Vec::new()));
                    shared.len() - 1
                });
                shared[index].1.push((slot, k));
                if !ranges[slot].contains(&shared[index].0) {
                    ranges[slot].push(shared[index].0.clone());
                }
            }
        }
        let query = match Query::new(&language, &combined) {
            Ok(query) => query,
            Err(_) => {
                let before = failed.len();
                for (i, q) in &candidates {
                    if let Err(e) = Query::new(&language, &q.query) {
                        failed.push((*i, query_error(&q.path, &q.checks.origin, &q.query, &e)));
                    }
                }
                if failed.len() == before {
                    // Only the combination fails (should not happen): blame every rule.
                    for (i, q) in &candidates {
                        failed.push((
                            *i,
                            vec![Problem {
                                path: q.path.clone(),
                                range: 0..0,
                                message: "the query does not compile with the other rules".into(),
                            }],
                        ));
                    }
                }
                continue;
            }
        };
        let in_ranges = |ranges: &[Range<usize>]| -> Vec<usize> {
            (0..query.pattern_count())
                .filter(|p| ranges.iter().any(|r| r.contains(&query.start_byte_for_pattern(*p))))
                .collect()
        };
        let index_of = |name: &str| query.capture_index_for_name(name);
        let match_index = query.capture_index_for_name("match");
        let names = query.capture_names();
        let before = failed.len();
        for (slot, (i, q)) in candidates.iter().enumerate() {
            let patterns = in_ranges(&ranges[slot]);
            let mut problems = Vec::new();
            let mut captures: Vec<&str> = Vec::new();
            for &p in &patterns {
                for (c, quantifier) in query.capture_quantifiers(p).iter().enumerate() {
                    if *quantifier != CaptureQuantifier::Zero && !captures.contains(&names[c]) {
                        captures.push(names[c]);
                    }
                }
            }
            match &split[*i] {
                None => {
                    let start = ranges[slot][0].start;
                    for &p in &patterns {
                        if let Err(message) = predicates::validate(query.general_predicates(p)) {
                            let at = query.start_byte_for_pattern(p) - start;
                            problems.extend(q.checks.origin.problem_in(&q.path, at..at + 1, message));
                        }
                    }
                }
                Some(own) => {
                    for pattern in own {
                        let checked = shapes::Member::new(rules[*i], pattern, index_of)
                            .ok_or_else(|| "a predicate names a capture the query does not define".to_string())
                            .and_then(|member| predicates::validate(&member.general));
                        if let Err(message) = checked {
                            let at = pattern.start;
                            problems.extend(q.checks.origin.problem_in(&q.path, at..at + 1, message));
                        }
                    }
                }
            }
            let has_match = match_index.is_some_and(|m| {
                patterns.iter().any(|p| query.capture_quantifiers(*p)[m as usize] != CaptureQuantifier::Zero)
            });
            if !has_match {
                problems.extend(q.checks.origin.problem_in(
                    &q.path,
                    0..q.query.len().min(1),
                    "the query captures no `@match` node (the finding's range)",
                ));
            }
            let rule_problem =
                |span: &Range<usize>, message: String| Problem { path: q.path.clone(), range: span.clone(), message };
            for name in placeholders(&q.message) {
                if !captures.contains(&name) {
                    problems.push(rule_problem(
                        &q.checks.message_span,
                        format!("`{{{name}}}` is not a capture of the query (captures: {})", captures.join(", ")),
                    ));
                }
            }
            if let Some(fix) = &q.fix {
                if !captures.contains(&fix.capture.as_str()) {
                    problems.push(rule_problem(
                        &q.checks.fix_span,
                        format!("the fix replaces `@{}`, which the query does not capture", fix.capture),
                    ));
                }
                for name in placeholders(&fix.replace) {
                    if !captures.contains(&name) {
                        problems.push(rule_problem(
                            &q.checks.fix_span,
                            format!("`{{{name}}}` is not a capture of the query"),
                        ));
                    }
                }
            }
            if !problems.is_empty() {
                problems.truncate(1);
                failed.push((*i, problems));
            }
        }
        if failed.len() > before {
            // The set is compiled again without the rules that failed.
            continue;
        }
        let mut set = crate::rules::query_set::QuerySet::assemble(query, &combined, &all_starts, *kind);
        for (range, members) in &shared {
            let patterns: Vec<usize> = (0..set.query.pattern_count())
                .filter(|p| range.contains(&set.query.start_byte_for_pattern(*p)))
                .collect();
            for p in patterns {
                let members: Vec<shapes::Member> = members
                    .iter()
                    .filter_map(|(slot, k)| {
                        let i = candidates[*slot].0;
                        let pattern = &split[i].as_ref()?[*k];
                        shapes::Member::new(rules[i], pattern, |name| set.query.capture_index_for_name(name))
                    })
                    .collect();
                set.share(p, members);
            }
        }
        sets.push((*kind, set));
        break;
    }
    (failed, sets)
}
