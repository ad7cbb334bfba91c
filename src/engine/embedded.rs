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

/// One line of a block: where it starts in the virtual document and in the Markdown, and its length.
struct LineMap {
    virtual_start: usize,
    markdown_start: usize,
    len: usize,
}

/// A code block as a virtual document.
struct Block {
    doc: Document,
    lines: Vec<LineMap>,
    indented: bool,
}

impl Block {
    /// The Markdown offset of a virtual offset.
    fn map(&self, offset: usize) -> usize {
        let i = self.lines.partition_point(|l| l.virtual_start <= offset).saturating_sub(1);
        match self.lines.get(i) {
            Some(l) => l.markdown_start + (offset - l.virtual_start).min(l.len + 1),
            None => offset,
        }
    }

    fn map_range(&self, range: &Range<usize>) -> Range<usize> {
        self.map(range.start)..self.map(range.end).max(self.map(range.start))
    }
}

/// Findings of the code rules in the fenced code blocks of Markdown document `doc`.
pub fn analyze(doc: &Document, config: &Config, facts: &WorkspaceFacts) -> Vec<Finding> {
    let outline = Outline::read(&doc.text);
    let mut out = Vec::new();
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
                        && (!block.indented
                            || (!e.new_text.contains('\n') && !block.doc.text[e.range.clone()].contains('\n')))
                });
                for edit in &mut fix.edits {
                    *edit = TextEdit {
                        path: doc.path.clone(),
                        range: block.map_range(&edit.range),
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

    #[test]
    fn other_languages_are_not_analysed() {
        let (_, findings) = analyze_md("```json\n{\"a\": 1}\n```\n```\ninterface ADTO {}\n```\n");
        assert!(findings.is_empty(), "{findings:?}");
    }
}
