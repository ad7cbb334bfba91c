//! Code inside specs: the fenced `ts`/`typescript`/`tsx`/`js`/`javascript`/`jsx`/`sql` blocks of
//! a Markdown document are analysed by the code rule packs as if they were files, and their
//! findings are mapped back into the Markdown with the code rule's own id (contract §2).
//!
//! A block is a virtual document named `<markdown path>.L<line>.<ext>` unless its info string
//! names a path of the same kind (```` ```ts app/api/runs/route.ts ````), which path-dependent
//! rules then see. Suppression comments inside a block apply in the block;
//! `<!-- baton-ignore RULE -->` on the line before the fence covers the whole block.
//!
//! SQL blocks are read as a **proposal against the workspace** (docs/specs-and-workflows.md,
//! "Code in documents"): a document's SQL blocks are replayed, in order, on top of the model of
//! the workspace's main migrations folder ([`WorkspaceFacts::migrations_model`]) — only the
//! objects the blocks name are copied from it ([`MigrationModel::seed_for`]), so memory follows
//! the document, not the number of blocks times the schema. A block that is clearly an
//! **excerpt** ([`excerpt_reason`]) is replayed alone instead, and only the statement-level SQL
//! rules ([`STATEMENT_LEVEL`]) report on it.

use std::ops::Range;

use super::{finish, run_queries, Finding, SqlRuleContext, TextEdit, WorkspaceFacts};
use crate::config::Config;
use crate::plan::markdown::Outline;
use crate::rules::{self, Matcher};
use crate::sql::MigrationModel;
use crate::syntax::{Document, FileKind};

/// The file kind of a fence language.
fn kind_of(lang: &str) -> Option<(FileKind, &'static str)> {
    match lang {
        "ts" | "typescript" => Some((FileKind::TypeScript, "ts")),
        "tsx" => Some((FileKind::Tsx, "tsx")),
        "js" | "javascript" | "jsx" | "mjs" | "cjs" => Some((FileKind::JavaScript, "js")),
        "sql" | "postgresql" | "postgres" | "pgsql" | "plpgsql" => Some((FileKind::Sql, "sql")),
        _ => None,
    }
}

/// One line of a block: where it starts in the virtual document and in the Markdown, its length,
/// and where the next Markdown line starts (`None` for a last line without a line break, where
/// the virtual document still has one).
struct LineMap {
    virtual_start: usize,
    markdown_start: usize,
    len: usize,
    next_start: Option<usize>,
}

/// A code block as a virtual document.
struct Block {
    doc: Document,
    lines: Vec<LineMap>,
    indented: bool,
    /// Its info string names its path.
    named: bool,
}

impl Block {
    /// The Markdown offset of a virtual offset; `None` past the line break that the virtual
    /// document adds after a last Markdown line that has none.
    fn map(&self, offset: usize) -> Option<usize> {
        let i = self.lines.partition_point(|l| l.virtual_start <= offset).saturating_sub(1);
        let Some(l) = self.lines.get(i) else { return Some(offset) };
        let column = offset - l.virtual_start;
        if column <= l.len {
            Some(l.markdown_start + column)
        } else {
            l.next_start
        }
    }

    /// The Markdown range of a virtual range, if it exists there.
    fn try_map_range(&self, range: &Range<usize>) -> Option<Range<usize>> {
        let start = self.map(range.start)?;
        Some(start..self.map(range.end)?.max(start))
    }

    /// The Markdown range of a finding's virtual range, clamped to the Markdown text.
    fn map_range(&self, range: &Range<usize>) -> Range<usize> {
        let clamp = |offset: usize| {
            self.map(offset).unwrap_or_else(|| self.lines.last().map_or(offset, |l| l.markdown_start + l.len))
        };
        let start = clamp(range.start);
        start..clamp(range.end).max(start)
    }
}

/// What `meta/invalid-front-matter` says about `error`.
fn front_matter_message(error: &crate::plan::markdown::FrontMatterError) -> String {
    let unread = match error.unread_keys.as_slice() {
        [] => String::new(),
        keys => {
            let shown: Vec<String> = keys.iter().take(6).map(|k| format!("`{k}`")).collect();
            let more = if keys.len() > 6 { format!(" and {} more", keys.len() - 6) } else { String::new() };
            format!("; Baton did not read {}{more}", shown.join(", "))
        }
    };
    format!("the front matter is not valid YAML ({}){unread}", error.message)
}

/// Findings of the code rules in the fenced code blocks of Markdown document `doc`.
pub fn analyze(doc: &Document, config: &Config, facts: &WorkspaceFacts) -> Vec<Finding> {
    let outline = Outline::read(&doc.text);
    let mut out = Vec::new();
    if let Some(range) = &outline.front_matter_too_long {
        let message = format!(
            "the front matter is longer than {} lines, so Baton did not read it (its work streams, phases and gates are not checked); move long prose out of the YAML",
            crate::plan::markdown::MAX_FRONT_MATTER_LINES
        );
        out.push(Finding::new("meta/file-too-large", range.clone(), message));
    }
    // Agent definitions are read by the coding harness, which takes each `key: rest of line`
    // leniently (descriptions with `Context: …` examples are the norm there): not reported.
    let agent = crate::handoff::Agent::is_definition(&doc.path);
    if let Some(error) = outline.front_matter_error.as_ref().filter(|_| !agent) {
        out.push(Finding::new(
            "meta/invalid-front-matter",
            outline.lines[error.line].range.clone(),
            front_matter_message(error),
        ));
    }
    let mut blocks = Vec::new();
    let mut paths = std::collections::HashSet::new();
    for fence in &outline.fences {
        let Some((kind, ext)) = kind_of(&fence.lang) else { continue };
        let block = block(doc, &outline, fence, kind, ext, &mut paths);
        if kind == FileKind::Sql {
            blocks.push((block, Vec::new()));
            continue;
        }
        let mut found = Vec::new();
        let file = std::cell::OnceCell::new();
        run_queries(&block.doc, config, facts, &file, None, &mut |m| found.extend(m.finding));
        let wrong = counter_example_parts(&outline, fence, &block.doc);
        found.retain(|f| !wrong.iter().any(|part| part.contains(&f.range.start)));
        map_back(doc, config, &block, found, &mut out);
    }
    if !blocks.is_empty() {
        sql_findings(&mut blocks, config, facts.migrations_model.as_deref());
        for (block, found) in blocks {
            map_back(doc, config, &block, found, &mut out);
        }
    }
    out
}

/// Words that present what follows as the wrong way (compared lowercased, after list and
/// emphasis marks): code introduced by them is a counter-example, not a proposal.
const COUNTER_EXAMPLE_WORDS: &[&str] = &[
    "bad",
    "wrong",
    "don't",
    "do not",
    "avoid",
    "anti-pattern",
    "antipattern",
    "incorrect",
    "before",
    "banned",
    "forbidden",
    "never",
    "not this",
];

/// Words that present what follows as the right way, ending a counter-example section of a block.
const RIGHT_WAY_WORDS: &[&str] = &["good", "correct", "right", "after", "fixed", "better", "prefer", "use instead"];

/// How a line presents what follows it: `Some(true)` the wrong way (❌ / 🚫, or a word of
/// [`COUNTER_EXAMPLE_WORDS`] first), `Some(false)` the right way (✅, or a word of
/// [`RIGHT_WAY_WORDS`] first), `None` neither. With `comment`, only a line that is a comment
/// (`//`, `/*`) counts.
fn presents(line: &str, comment: bool) -> Option<bool> {
    let mut t = line.trim();
    if comment {
        t = t.strip_prefix("//").or_else(|| t.strip_prefix("/*")).or_else(|| t.strip_prefix("{/*"))?;
    }
    let t = t.trim_start_matches(['#', '*', '_', '-', '>', ' ', '[', '(']);
    // In prose the mark may stand anywhere in the line (`**Status**: ❌ violation`); in a comment
    // only first (`// ❌ Bad`), not after a remark on the code around it (`// no x here ❌`).
    let marked = |mark: char| if comment { t.starts_with(mark) } else { t.contains(mark) };
    if marked('❌') || marked('🚫') {
        return Some(true);
    }
    if marked('✅') {
        return Some(false);
    }
    let t = t.to_lowercase();
    let starts = |words: &[&str]| {
        words.iter().any(|w| {
            t.strip_prefix(w).is_some_and(|rest| {
                // "Before:" / "Before (manual)" as the first half of a before/after pair, not
                // "Before you start" (the same for "After").
                let rest = rest.trim_start_matches('*').trim_start();
                if matches!(*w, "before" | "after") {
                    rest.is_empty() || rest.starts_with([':', '(', '-', '\u{2014}'])
                } else {
                    !rest.starts_with(|c: char| c.is_alphanumeric())
                }
            })
        })
    };
    if starts(COUNTER_EXAMPLE_WORDS) {
        Some(true)
    } else if starts(RIGHT_WAY_WORDS) {
        Some(false)
    } else {
        None
    }
}

/// The parts of a TypeScript/JavaScript block that the document presents as the wrong way, as
/// byte ranges of the block's virtual document. The nearest non-blank line before the fence sets
/// how the block starts; inside it, a comment line marked one way or the other
/// ([`presents`]) switches until the next such comment (`// ❌ Bad` … `// ✅ Good` …). Such
/// parts show a mistake on purpose; reporting them would report the documentation of the rule
/// itself.
fn counter_example_parts(
    outline: &Outline<'_>,
    fence: &crate::plan::markdown::Fence,
    block: &Document,
) -> Vec<Range<usize>> {
    let before = (0..fence.open_line).rev().map(|i| outline.line_text(i)).find(|l| !l.trim().is_empty());
    let mut wrong = before.and_then(|l| presents(l, false)).unwrap_or(false);
    let mut parts: Vec<Range<usize>> = Vec::new();
    let mut offset = 0;
    for line in block.text.split_inclusive('\n') {
        if let Some(marked) = presents(line, true) {
            wrong = marked;
        }
        if wrong {
            match parts.last_mut() {
                Some(last) if last.end == offset => last.end = offset + line.len(),
                _ => parts.push(offset..offset + line.len()),
            }
        }
        offset += line.len();
    }
    parts
}

/// Whether a Markdown text has a fenced SQL block (a cheap test on the text, no outline).
pub fn has_sql_block(text: &str) -> bool {
    text.lines().any(|line| {
        let t = line.trim_start();
        let rest = t.strip_prefix("```").or_else(|| t.strip_prefix("~~~"));
        rest.and_then(|r| r.trim_start_matches(['`', '~']).split_whitespace().next())
            .is_some_and(|lang| kind_of(&lang.to_ascii_lowercase()).is_some_and(|(k, _)| k == FileKind::Sql))
    })
}

/// Applies severities and suppressions to a block's findings and maps them (and their fixes)
/// into the Markdown.
fn map_back(doc: &Document, config: &Config, block: &Block, mut found: Vec<Finding>, out: &mut Vec<Finding>) {
    finish(&block.doc, config, &mut found);
    {
        for mut finding in found {
            finding.range = block.map_range(&finding.range);
            finding.fixes.retain_mut(|fix| {
                let ok = fix.edits.iter().all(|e| {
                    e.path == block.doc.path
                        && block.try_map_range(&e.range).is_some()
                        && (!block.indented
                            || (!e.new_text.contains('\n') && !block.doc.text[e.range.clone()].contains('\n')))
                });
                for edit in &mut fix.edits {
                    *edit = TextEdit {
                        path: doc.path.clone(),
                        range: block.try_map_range(&edit.range).unwrap_or_default(),
                        new_text: edit.new_text.clone(),
                    };
                }
                ok
            });
            out.push(finding);
        }
    }
}

/// The virtual document of a fence: its content lines with the fence's indentation removed.
fn block(
    doc: &Document,
    outline: &Outline<'_>,
    fence: &crate::plan::markdown::Fence,
    kind: FileKind,
    ext: &str,
    paths: &mut std::collections::HashSet<String>,
) -> Block {
    let mut text = String::new();
    let mut lines = Vec::new();
    for i in outline.fence_lines(fence) {
        let raw = outline.line_text(i);
        let strip = raw.bytes().take(fence.indent).take_while(|&b| b == b' ').count();
        lines.push(LineMap {
            virtual_start: text.len(),
            markdown_start: outline.lines[i].range.start + strip,
            len: raw.len() - strip,
            next_start: line_break_end(&doc.text, outline.lines[i].range.end),
        });
        text.push_str(&raw[strip..]);
        text.push('\n');
    }
    let named = fence.info_rest.split_whitespace().next().filter(|p| {
        FileKind::from_path(p).is_some_and(|k| k == kind) && !p.starts_with('/') && !p.split('/').any(|c| c == "..")
    });
    let line = doc.line_index.line_of(outline.lines[fence.open_line].range.start) + 1;
    // Two blocks naming the same path keep apart (findings are matched to blocks by path).
    let named = named.filter(|p| !paths.contains(*p));
    let path = named.map_or_else(|| format!("{}.L{line}.{ext}", doc.path), str::to_string);
    paths.insert(path.clone());
    Block { doc: Document::parse(path, kind, text), lines, indented: fence.indent > 0, named: named.is_some() }
}

/// Where the line break at `end` ends, if a line break is there.
fn line_break_end(text: &str, end: usize) -> Option<usize> {
    let rest = &text[end..];
    if rest.starts_with("\r\n") {
        Some(end + 2)
    } else {
        rest.starts_with('\n').then_some(end + 1)
    }
}

/// The SQL rules whose verdict rests on the statement alone (a policy's expression, a function's
/// options, a view's, the lock a statement takes, what it switches off): the only ones that
/// report on an excerpt. The others (`rls-disabled-in-public`, `rls-enabled-no-policy`,
/// `unindexed-foreign-key`, `security-definer-function-executable`, …) judge what the whole
/// schema ends with, which an excerpt does not show.
pub const STATEMENT_LEVEL: &[&str] = &[
    "sql/adding-foreign-key-constraint",
    "sql/adding-required-field",
    "sql/auth-rls-initplan",
    "sql/ban-drop-column",
    "sql/ban-drop-table",
    "sql/changing-column-type",
    "sql/extension-in-public",
    "sql/function-search-path-mutable",
    "sql/non-concurrent-index",
    "sql/permissive-policy",
    "sql/rls-bypass",
    "sql/rls-references-user-metadata",
    "sql/security-definer-view",
];

/// Why a SQL block is an excerpt rather than a proposal, if it is:
/// - it elides: a line that is `...` or `…` (alone or after `--`), or `(...)` in a statement;
/// - its info string names a file of the migrations (```` ```sql supabase/migrations/…sql ````);
/// - it creates (`CREATE TABLE` / `VIEW`, `IF NOT EXISTS` or not) a relation that the
///   migrations already create, or an index or policy of theirs without dropping it first: a
///   proposal cannot create it again, so the block shows the schema (a copy, or the design the
///   migration was written from) — the migration is what runs.
///
/// `alone` is `block` replayed by itself.
pub fn excerpt_reason(
    block: &Document,
    alone: &MigrationModel,
    named: bool,
    base: Option<&MigrationModel>,
) -> Option<&'static str> {
    let elides = block.text.lines().any(|line| {
        let t = line.trim();
        let t = t.strip_prefix("--").map_or(t, str::trim_start);
        t == "..."
            || t == "…"
            || t.starts_with("... ")
            || t.starts_with("… ")
            || line.contains("(...)")
            || line.contains("(…)")
    });
    if elides {
        return Some("it elides part of the SQL");
    }
    let base = base?;
    if named && base.migrations.contains(&block.path) {
        return Some("it names a migration file");
    }
    let relation = |n: &crate::sql::QualifiedName| base.tables.contains_key(n) || base.views.contains_key(n);
    if alone.tables.keys().chain(alone.views.keys()).any(relation) {
        return Some("it creates a table or view that the migrations create");
    }
    // An index or policy of the migrations created again without being dropped first (a
    // replacement drops it: `DROP POLICY IF EXISTS p ON t; CREATE POLICY p …`).
    let text = block.text.to_lowercase();
    let dropped = |what: &str, name: &str| {
        text.match_indices(what).any(|(i, _)| {
            let rest = &text[i + what.len()..];
            let statement = &rest[..rest.find(';').unwrap_or(rest.len())];
            crate::sql::contains_word(statement, &name.trim_matches('"').to_lowercase())
        })
    };
    // A constraint's index counts too: a plan that adds the constraint a migration already added
    // (under the same name) was carried out.
    let index_again = alone.indexes.iter().any(|(name, index)| {
        let drop = if index.constraint { "drop constraint" } else { "drop index" };
        base.indexes.contains_key(name) && !dropped(drop, &name.name)
    });
    let policy_again = alone
        .policies
        .iter()
        .any(|p| base.policies_on(&p.table).any(|b| b.name == p.name) && !dropped("drop policy", &p.name));
    (index_again || policy_again).then_some("it creates an index or policy that the migrations create")
}

/// The SQL findings of a document's SQL blocks, into each block's list: the excerpts replayed
/// alone with the statement-level rules, the rest replayed in order on top of `base`.
fn sql_findings(blocks: &mut [(Block, Vec<Finding>)], config: &Config, base: Option<&MigrationModel>) {
    // The workspace's exposed schemas, as decided with its migrations; without them, from the
    // blocks themselves (crate::sql::exposure).
    let decided = base.and_then(|b| b.exposed_schemas.clone()).filter(|_| config.sql.exposed_schemas.is_none());
    let config = &*match decided {
        Some(schemas) => {
            let mut resolved = config.clone();
            resolved.sql.exposed_schemas = Some(schemas);
            std::borrow::Cow::Owned(resolved)
        }
        None => crate::sql::exposure::resolve(config, blocks.iter().map(|(b, _)| ("block.sql", &*b.doc.text))),
    };
    let mut proposal: Vec<usize> = Vec::new();
    for (i, (block, found)) in blocks.iter_mut().enumerate() {
        // Another database's SQL (a ClickHouse table in a plan): not PostgreSQL, not checked.
        if crate::sql::dialect::dialect_of_block(&block.doc.text).is_some() {
            continue;
        }
        let documents = [&block.doc];
        let alone = MigrationModel::replay(&documents);
        if excerpt_reason(&block.doc, &alone, block.named, base).is_some() {
            run_sql_rules(&alone, &documents, config, true, &mut |_, f| found.push(f));
        } else {
            proposal.push(i);
        }
    }
    if proposal.is_empty() {
        return;
    }
    let documents: Vec<&Document> = proposal.iter().map(|&i| &blocks[i].0.doc).collect();
    let seed = match base {
        Some(base) => {
            let text: String = documents.iter().map(|d| &*d.text).collect::<Vec<&str>>().join("\n");
            base.seed_for(&text)
        }
        None => MigrationModel::default(),
    };
    let model = seed.replay_onto(&documents);
    let mut found: Vec<(String, Finding)> = Vec::new();
    run_sql_rules(&model, &documents, config, false, &mut |path, f| found.push((path, f)));
    for (path, finding) in found {
        if let Some(&i) = proposal.iter().find(|&&i| blocks[i].0.doc.path == path) {
            blocks[i].1.push(finding);
        }
    }
}

/// Runs the enabled SQL rules (only [`STATEMENT_LEVEL`] ones when `statement_level`) over
/// `model`, handing on the findings in `documents`.
fn run_sql_rules(
    model: &MigrationModel,
    documents: &[&Document],
    config: &Config,
    statement_level: bool,
    out: &mut dyn FnMut(String, Finding),
) {
    let ctx = SqlRuleContext { model, config, documents };
    let mut found = Vec::new();
    for rule in rules::all() {
        if let Matcher::Sql(check) = rule.matcher {
            if config.severity_of(rule).is_some() && (!statement_level || STATEMENT_LEVEL.contains(&rule.id)) {
                check(&ctx, &mut found);
            }
        }
    }
    // User schema rules judge whole tables and policies: not for excerpts.
    if !statement_level {
        for (rule, schema) in config.user_rules.schema_rules() {
            if config.severity_of(rule).is_some() {
                rules::user::schema::check(rule.id, schema, &ctx, &mut found);
            }
        }
    }
    for (path, finding) in found {
        if documents.iter().any(|d| d.path == path) {
            out(path, finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::analyze_document;

    fn analyze_md(text: &str) -> (Document, Vec<Finding>) {
        let doc = Document::parse("docs/spec.md", FileKind::Markdown, text);
        let findings = analyze_document(&doc, &Config::default(), &WorkspaceFacts::default());
        (doc, findings)
    }

    /// [`analyze_md`] in a workspace whose `baton.toml` exposes `public`.
    fn analyze_md_exposed(text: &str) -> (Document, Vec<Finding>) {
        let doc = Document::parse("docs/spec.md", FileKind::Markdown, text);
        let config = Config::parse("[sql]\nexposed_schemas = [\"public\"]\n", None).unwrap();
        let findings = analyze_document(&doc, &config, &WorkspaceFacts::default());
        (doc, findings)
    }

    #[test]
    fn counter_example_blocks_are_not_checked() {
        let dto = "```ts\nexport interface RefundDTO {\n  id: string;\n}\n```\n";
        let count = |text: &str| analyze_md(text).1.iter().filter(|f| f.rule == "patterns/dto-interface").count();
        // Presented as the wrong way: before the fence, or in the block's first comment.
        for intro in ["**❌ Banned:**\n", "### Bad\n\n", "Avoid:\n", "**Before (manual)**:\n", "- Wrong — open shape\n"]
        {
            assert_eq!(count(&format!("# Guide\n\n{intro}{dto}")), 0, "{intro}");
        }
        let commented = "```ts\n// ❌ WRONG: an open shape\nexport interface RefundDTO {\n  id: string;\n}\n```\n";
        assert_eq!(count(commented), 0);
        // A mixed block: the part under a wrong-way comment is skipped, the part under a
        // right-way comment is checked.
        let mixed = "```ts\nconst a = 1;\n\n// ❌ BAD: shared shape\nexport interface SharedDTO {\n  id: string;\n}\n\n// ✅ Good: one per domain\nexport interface OwnDTO {\n  id: string;\n}\n```\n";
        let found = analyze_md(mixed).1;
        let reported: Vec<&Finding> = found.iter().filter(|f| f.rule == "patterns/dto-interface").collect();
        assert_eq!(reported.len(), 1, "{reported:?}");
        assert!(mixed[reported[0].range.clone()].contains("OwnDTO"));
        // A remark ending in ❌ inside a declaration is no marker.
        let remark = "```ts\nexport interface SlipDTO {\n  bet: number;\n  // no cash fields here ❌\n}\n\nexport interface CashDTO {\n  cash: number;\n}\n```\n";
        assert_eq!(count(remark), 2);
        // Near misses: a proposal, and prose that only starts with such a word.
        for intro in ["## Contract\n\n", "Before you start, add the DTO:\n", "Badges use this DTO:\n", "✅ Allowed:\n"]
        {
            assert_eq!(count(&format!("# Spec\n\n{intro}{dto}")), 1, "{intro}");
        }
    }

    #[test]
    fn dto_interface_in_a_spec_is_reported_in_the_markdown() {
        let text = "# Spec\n\n```typescript\nexport interface RatingSlipCloseDTO {\n  id: string;\n}\n```\n\n```ts\nexport type RatingSlipDTO = { id: string };\n```\n";
        let (doc, findings) = analyze_md(text);
        let dto: Vec<&Finding> = findings.iter().filter(|f| f.rule == "patterns/dto-interface").collect();
        assert_eq!(dto.len(), 1, "{findings:?}");
        assert_eq!(doc.line_index.line_of(dto[0].range.start), 3);
        assert!(doc.slice(dto[0].range.clone()).contains("RatingSlipCloseDTO"));
        // Its quick fix edits the Markdown and turns the interface into a type alias there.
        let fix = &dto[0].fixes[0];
        assert!(fix.edits.iter().all(|e| e.path == "docs/spec.md"));
        let fixed = crate::engine::apply_edits(&doc.text, "docs/spec.md", &fix.edits);
        assert!(fixed.contains("type RatingSlipCloseDTO"), "{fixed}");
        assert!(fixed.starts_with("# Spec\n\n```typescript\n"));
    }

    #[test]
    fn indented_blocks_map_their_columns() {
        let text = "- step\n\n  ```ts\n  export interface ADTO { a: string }\n  ```\n";
        let (doc, findings) = analyze_md(text);
        let f = findings.iter().find(|f| f.rule == "patterns/dto-interface").expect("finding");
        assert!(
            doc.slice(f.range.clone()).starts_with("export interface ADTO")
                || doc.slice(f.range.clone()).contains("ADTO")
        );
    }

    /// Facts whose migrations model is `migrations` replayed (one file each).
    fn facts_with_migrations(migrations: &[&str]) -> WorkspaceFacts {
        let docs: Vec<Document> = migrations
            .iter()
            .enumerate()
            .map(|(i, t)| Document::parse(format!("supabase/migrations/2024010100000{i}_m.sql"), FileKind::Sql, *t))
            .collect();
        let refs: Vec<&Document> = docs.iter().collect();
        // Decided as the workspace check decides it: a `supabase/` project exposes `public`.
        let mut model = MigrationModel::replay(&refs);
        model.exposed_schemas = Some(vec!["public".to_string()]);
        WorkspaceFacts { migrations_model: Some(std::sync::Arc::new(model)), ..WorkspaceFacts::default() }
    }

    fn analyze_md_on(text: &str, facts: &WorkspaceFacts) -> Vec<(u32, &'static str)> {
        let doc = Document::parse("docs/design.md", FileKind::Markdown, text);
        let findings = analyze_document(&doc, &Config::default(), facts);
        findings.iter().map(|f| (doc.line_index.line_of(f.range.start) + 1, f.rule)).collect()
    }

    const NOTES: &str = "create table public.notes (id uuid primary key, owner uuid);\nalter table public.notes enable row level security;\ncreate policy notes_owner on public.notes for select to authenticated using (owner = (select auth.uid()));\n";

    #[test]
    fn a_block_creating_a_new_table_without_rls_is_a_finding_on_the_block() {
        let facts = facts_with_migrations(&[NOTES]);
        let md = "# Design\n\n```sql\ncreate table public.drafts (id uuid primary key);\n```\n";
        assert_eq!(analyze_md_on(md, &facts), [(4, "sql/rls-disabled-in-public")]);
        // Near miss: a later block of the same document enables it (the document is one proposal).
        let md = format!("{md}\nThen:\n\n```sql\nalter table public.drafts enable row level security;\ncreate policy d on public.drafts for select to authenticated using (true);\n```\n");
        assert!(analyze_md_on(&md, &facts).iter().all(|(_, r)| *r != "sql/rls-disabled-in-public"));
    }

    #[test]
    fn a_block_enabling_rls_on_a_migration_table_is_no_table_without_rls() {
        let facts = facts_with_migrations(&["create table public.audit (id uuid primary key);\n"]);
        let md = "# Fix\n\n```sql\nalter table public.audit enable row level security;\ncreate policy a on public.audit for select to authenticated using (true);\n```\n";
        assert!(
            analyze_md_on(md, &facts).iter().all(|(_, r)| *r != "sql/rls-disabled-in-public"),
            "{:?}",
            analyze_md_on(md, &facts)
        );
        // Near miss: a policy proposed on that table without enabling RLS is reported on the block.
        let md = "# Fix\n\n```sql\ncreate policy a on public.audit for select to authenticated using (true);\n```\n";
        assert_eq!(analyze_md_on(md, &facts), [(4, "sql/policy-exists-rls-disabled")]);
    }

    #[test]
    fn a_block_repeating_a_migration_table_is_an_excerpt() {
        let facts = facts_with_migrations(&[NOTES]);
        // The table as the design showed it: no RLS statement, but the migration enables it.
        let md = "# Schema\n\n```sql\ncreate table public.notes (\n  id uuid primary key,\n  owner uuid\n);\ncreate policy p on public.notes for select using (owner = auth.uid());\n```\n";
        // Only the statement-level rules report: the per-row auth.uid() in the policy.
        assert_eq!(analyze_md_on(md, &facts), [(8, "sql/auth-rls-initplan")]);
        // Near miss: the same block without migrations is a proposal, and its table lacks RLS.
        let none = analyze_md_on(md, &WorkspaceFacts::default());
        assert!(none.contains(&(4, "sql/rls-disabled-in-public")), "{none:?}");
    }

    #[test]
    fn a_block_creating_a_migration_index_again_is_an_excerpt_unless_it_drops_it_first() {
        let facts = facts_with_migrations(&[NOTES, "create index notes_owner_idx on public.notes (owner);\n"]);
        let md = "```sql\ncreate index notes_owner_idx on public.notes (owner);\n```\n";
        assert!(analyze_md_on(md, &facts).is_empty(), "{:?}", analyze_md_on(md, &facts));
        // Near miss: a replacement (dropped first) is a proposal, and it locks a live table.
        let md = "```sql\ndrop index notes_owner_idx;\ncreate index notes_owner_idx on public.notes (owner);\n```\n";
        assert_eq!(analyze_md_on(md, &facts), [(3, "sql/non-concurrent-index")]);
    }

    #[test]
    fn an_eliding_block_is_an_excerpt() {
        let facts = facts_with_migrations(&[NOTES]);
        let md = "```sql\ncreate table public.fresh (...);\n```\n\n```sql\ncreate table public.other (\n  id uuid primary key,\n  -- ...\n);\n```\n";
        assert!(analyze_md_on(md, &facts).is_empty(), "{:?}", analyze_md_on(md, &facts));
        let md = "```sql\ncreate table public.fresh (id uuid primary key);\n```\n";
        assert_eq!(analyze_md_on(md, &facts), [(2, "sql/rls-disabled-in-public")]);
    }

    #[test]
    fn a_plan_whose_constraint_a_migration_already_added_is_an_excerpt() {
        let facts = facts_with_migrations(&[
            "create table public.bids (id int primary key, a int, b int);\nalter table public.bids add constraint bids_a_b_key unique (a, b);\n",
        ]);
        let md = "```sql\nalter table public.bids add constraint bids_a_b_key unique (a, b);\n```\n";
        assert!(
            analyze_md_on(md, &facts).iter().all(|(_, rule)| *rule != "sql/duplicate-index"),
            "{:?}",
            analyze_md_on(md, &facts)
        );
        // A new constraint over the same columns is a duplicate.
        let md = "```sql\nalter table public.bids add constraint bids_a_b_unique unique (a, b);\n```\n";
        assert_eq!(analyze_md_on(md, &facts), [(2, "sql/duplicate-index")]);
    }

    #[test]
    fn a_block_naming_a_migration_file_is_an_excerpt() {
        let facts = facts_with_migrations(&["create table public.t (id uuid primary key);\n"]);
        let md = "```sql supabase/migrations/20240101000000_m.sql\ncreate table public.u (id uuid primary key);\n```\n";
        assert!(analyze_md_on(md, &facts).is_empty(), "{:?}", analyze_md_on(md, &facts));
        let md =
            "```sql supabase/migrations/20250101000000_new.sql\ncreate table public.u (id uuid primary key);\n```\n";
        assert_eq!(analyze_md_on(md, &facts), [(2, "sql/rls-disabled-in-public")]);
    }

    #[test]
    fn the_seed_copies_only_what_the_blocks_name() {
        let facts = facts_with_migrations(&[NOTES, "create table public.a (id int primary key);\ncreate table public.b (id int primary key);\ncreate index b_id on public.b (id);\n"]);
        let base = facts.migrations_model.as_deref().unwrap();
        let seed = base.seed_for("ALTER TABLE public.NOTES add column x int; -- not b_c or a_b");
        assert_eq!(seed.tables.keys().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["notes"]);
        assert_eq!(seed.policies.len(), 1);
        assert!(seed.indexes.values().all(|i| i.table.name == "notes"));
        assert_eq!(seed.migrations.len(), base.migrations.len());
    }

    #[test]
    fn sql_blocks_are_replayed_alone() {
        let text =
            "# Migration\n\n```sql\ncreate table public.notes (id uuid primary key);\ngrant select on public.notes to authenticated;\n```\n\n```bash\nnpm test\n```\n";
        let (doc, findings) = analyze_md(text);
        let f = findings.iter().find(|f| f.rule == "sql/rls-disabled-in-public").expect("rls finding");
        // Without the grant to Supabase's role nothing shows a Data API: no exposure finding.
        let (_, findings) = analyze_md(&text.replace("grant select on public.notes to authenticated;\n", ""));
        assert!(findings.iter().all(|f| f.rule != "sql/rls-disabled-in-public"), "{findings:?}");
        // A ClickHouse block is not PostgreSQL.
        let (_, findings) =
            analyze_md(&text.replace("(id uuid primary key)", "(id UUID) ENGINE = MergeTree ORDER BY id"));
        assert!(findings.iter().all(|f| !f.rule.starts_with("sql/")), "{findings:?}");
        assert_eq!(doc.line_index.line_of(f.range.start), 3);
    }

    #[test]
    fn suppressions_inside_and_before_blocks() {
        let text = "<!-- baton-ignore patterns/dto-interface: the anti-pattern on purpose -->\n```ts\nexport interface ADTO { a: string }\n```\n\n```ts\n// baton-ignore patterns/dto-interface: legacy\nexport interface BDTO { a: string }\n```\n\n```ts\nexport interface CDTO { a: string }\n```\n";
        let (doc, findings) = analyze_md(text);
        let lines: Vec<u32> = findings.iter().map(|f| doc.line_index.line_of(f.range.start)).collect();
        assert_eq!(findings.iter().map(|f| f.rule).collect::<Vec<_>>(), ["patterns/dto-interface"], "{findings:?}");
        assert_eq!(lines, [11]);
    }

    /// An unclosed block whose last line has no line break: the fix that appends after the
    /// statement has no place in the Markdown, so it is dropped; the finding stays inside the text.
    #[test]
    fn unclosed_block_at_the_end_of_the_file_keeps_findings_inside_the_text() {
        let text = "# M\n\n```sql\ncreate table public.notes (id uuid primary key);";
        let (doc, findings) = analyze_md_exposed(text);
        let f = findings.iter().find(|f| f.rule == "sql/rls-disabled-in-public").expect("rls finding");
        assert!(f.range.end <= text.len());
        assert!(doc.slice(f.range.clone()).starts_with("create table public.notes"));
        assert!(f.fixes.iter().flat_map(|fix| &fix.edits).all(|e| e.range.end <= text.len()), "{:?}", f.fixes);
        // The near miss: the same block with a final line break keeps a fix that applies there.
        let (doc, findings) = analyze_md_exposed(&format!("{text}\n"));
        let f = findings.iter().find(|f| f.rule == "sql/rls-disabled-in-public").expect("rls finding");
        let fix = f.fixes.first().expect("a fix when the line break exists");
        let fixed = crate::engine::apply_edits(&doc.text, "docs/spec.md", &fix.edits);
        assert!(fixed.starts_with(&format!("{text}\n")), "{fixed}");
        assert!(fixed.to_lowercase().contains("enable row level security"), "{fixed}");
    }

    /// With CRLF line breaks, an edit after a line lands after the whole `\r\n`.
    #[test]
    fn crlf_blocks_map_past_the_whole_line_break() {
        let text = "# M\r\n\r\n```sql\r\ncreate table public.notes (id uuid primary key);\r\n```\r\n";
        let (doc, findings) = analyze_md_exposed(text);
        let f = findings.iter().find(|f| f.rule == "sql/rls-disabled-in-public").expect("rls finding");
        for edit in f.fixes.iter().flat_map(|fix| &fix.edits) {
            assert!(doc.text.is_char_boundary(edit.range.start));
            assert_ne!(&text[edit.range.start.saturating_sub(1)..edit.range.start], "\r", "{edit:?}");
        }
    }

    #[test]
    fn front_matter_over_the_limit_is_reported() {
        let lines = crate::plan::markdown::MAX_FRONT_MATTER_LINES + 1;
        let body: String = (0..lines).map(|i| format!("k{i}: {i}\n")).collect();
        let (_, findings) = analyze_md(&format!("---\n{body}---\n# T\n"));
        let notice = findings.iter().find(|f| f.rule == "meta/file-too-large").expect("a notice");
        assert_eq!(notice.range, 0..3);
        let body: String = (0..lines - 2).map(|i| format!("k{i}: {i}\n")).collect();
        let (_, findings) = analyze_md(&format!("---\n{body}---\n# T\n"));
        assert!(findings.iter().all(|f| f.rule != "meta/file-too-large"));
    }

    #[test]
    fn other_languages_are_not_analysed() {
        let (_, findings) = analyze_md("```json\n{\"a\": 1}\n```\n```\ninterface ADTO {}\n```\n");
        assert!(findings.is_empty(), "{findings:?}");
    }
}
