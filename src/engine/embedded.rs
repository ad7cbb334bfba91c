//! Code inside specs: the fenced `ts`/`typescript`/`tsx`/`js`/`javascript`/`jsx`/`sql` blocks of
//! a Markdown document are analysed by the code rule packs as if they were files, and their
//! findings are mapped back into the Markdown with the code rule's own id (contract §2).
//!
//! A block is a virtual document named `<markdown path>.L<line>.<ext>` unless its info string
//! names a path of the same kind (```` ```ts app/api/runs/route.ts ````), which path-dependent
//! rules then see. A SQL block is replayed alone, like a stand-alone SQL file. Suppression
//! comments inside a block apply in the block; `<!-- baton-ignore RULE -->` on the line before
//! the fence covers the whole block.

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
    for fence in &outline.fences {
        let Some((kind, ext)) = kind_of(&fence.lang) else { continue };
        let block = block(doc, &outline, fence, kind, ext);
        let mut found = Vec::new();
        if kind == FileKind::Sql {
            replay_alone(&block.doc, config, &mut found);
        } else {
            let file = std::cell::OnceCell::new();
            run_queries(&block.doc, config, facts, &file, None, &mut |m| found.extend(m.finding));
        }
        finish(&block.doc, config, &mut found);
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
    out
}

/// The virtual document of a fence: its content lines with the fence's indentation removed.
fn block(
    doc: &Document,
    outline: &Outline<'_>,
    fence: &crate::plan::markdown::Fence,
    kind: FileKind,
    ext: &str,
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
    let path = named.map_or_else(|| format!("{}.L{line}.{ext}", doc.path), str::to_string);
    Block { doc: Document::parse(path, kind, text), lines, indented: fence.indent > 0 }
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

/// Replays a SQL block as its own migration and runs the SQL rules on it.
fn replay_alone(block: &Document, config: &Config, out: &mut Vec<Finding>) {
    let documents = [block];
    let model = MigrationModel::replay(&documents);
    let ctx = SqlRuleContext { model: &model, config, documents: &documents };
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
    out.extend(found.into_iter().filter(|(path, _)| *path == block.path).map(|(_, f)| f));
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

    #[test]
    fn sql_blocks_are_replayed_alone() {
        let text =
            "# Migration\n\n```sql\ncreate table public.notes (id uuid primary key);\n```\n\n```bash\nnpm test\n```\n";
        let (doc, findings) = analyze_md(text);
        let f = findings.iter().find(|f| f.rule == "sql/rls-disabled-in-public").expect("rls finding");
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
        let (doc, findings) = analyze_md(text);
        let f = findings.iter().find(|f| f.rule == "sql/rls-disabled-in-public").expect("rls finding");
        assert!(f.range.end <= text.len());
        assert!(doc.slice(f.range.clone()).starts_with("create table public.notes"));
        assert!(f.fixes.iter().flat_map(|fix| &fix.edits).all(|e| e.range.end <= text.len()), "{:?}", f.fixes);
        // The near miss: the same block with a final line break keeps a fix that applies there.
        let (doc, findings) = analyze_md(&format!("{text}\n"));
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
        let (doc, findings) = analyze_md(text);
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
