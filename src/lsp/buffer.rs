//! An open editor buffer: text in a rope, edited incrementally, re-parsed from the old tree.

use std::sync::{Arc, Mutex, OnceLock};

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};
use tree_sitter::{InputEdit, Point};

use crate::config::Config;
use crate::engine::incremental::AnalysisCache;
use crate::engine::{Finding, WorkspaceFacts};
use crate::syntax::{Document, FileKind};

/// How LSP columns are counted, as negotiated in `initialize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 bytes.
    Utf8,
    /// UTF-16 code units (the LSP default).
    Utf16,
}

impl Encoding {
    /// The engine's matching column encoding.
    pub fn columns(self) -> crate::line_index::ColumnEncoding {
        match self {
            Encoding::Utf8 => crate::line_index::ColumnEncoding::Utf8,
            Encoding::Utf16 => crate::line_index::ColumnEncoding::Utf16,
        }
    }
}

/// An open document: its rope, the client's version, and the parsed document of the current text.
pub struct Buffer {
    /// The text, edited in place.
    pub rope: Rope,
    /// The version the client gave with the last applied change.
    pub version: i32,
    /// The workspace-relative path and kind, for parsing.
    path: String,
    kind: FileKind,
    /// The parsed current text, made on first use after a change (see [`Buffer::doc`]): a burst
    /// of keystrokes is parsed once, when the debounced analysis or a request needs it.
    parsed: OnceLock<Arc<Document>>,
    /// Until then: the last tree, edited with every change since (tree-sitter kinds).
    edited_tree: Option<tree_sitter::Tree>,
    /// Whether the current parse, if provisional, was compared with a fresh one (see
    /// [`Buffer::settle`]).
    settled: bool,
    /// What earlier analyses of this buffer established; shared with analysis jobs, which lock
    /// it outside the server's state lock.
    pub analysis: Arc<Mutex<BufferAnalysis>>,
}

/// The engine's incremental cache for one buffer, and the result of its last analysis.
#[derive(Default)]
pub struct BufferAnalysis {
    /// Per-statement memory of earlier versions.
    pub cache: AnalysisCache,
    /// The last findings and what they were computed from.
    last: Option<LastAnalysis>,
}

/// A result and its inputs: the document, the workspace facts, the configuration.
struct LastAnalysis(Arc<Document>, Arc<WorkspaceFacts>, Arc<Config>, Arc<Vec<Finding>>);

impl BufferAnalysis {
    /// The findings of `doc`: the last result when nothing changed since (hover and code actions
    /// after a publish cost nothing), else an incremental analysis.
    pub fn findings(
        &mut self,
        doc: &Arc<Document>,
        config: &Arc<Config>,
        facts: &Arc<WorkspaceFacts>,
    ) -> Arc<Vec<Finding>> {
        if let Some(LastAnalysis(d, f, c, findings)) = &self.last {
            if Arc::ptr_eq(d, doc) && Arc::ptr_eq(f, facts) && Arc::ptr_eq(c, config) {
                return findings.clone();
            }
        }
        let findings = Arc::new(self.cache.analyze(doc, config, facts));
        let stats = self.cache.last_stats();
        super::log::log(
            super::log::Level::Debug,
            format_args!(
                "{}: {} statements reused, {} analysed",
                doc.path, stats.statements_reused, stats.statements_analyzed
            ),
        );
        self.last = Some(LastAnalysis(doc.clone(), facts.clone(), config.clone(), findings.clone()));
        findings
    }
}

impl Buffer {
    /// A buffer for a newly opened document.
    pub fn open(path: String, kind: FileKind, text: &str, version: i32) -> Buffer {
        Buffer {
            rope: Rope::from_str(text),
            version,
            path,
            kind,
            parsed: OnceLock::new(),
            edited_tree: None,
            settled: false,
            analysis: Arc::default(),
        }
    }

    /// The parsed current text, parsing it now (incrementally, from the edited tree) if a change
    /// came since the last parse. The result may be [`Document::provisional`]; see
    /// [`Buffer::settle`].
    pub fn doc(&self) -> &Arc<Document> {
        self.parsed.get_or_init(|| {
            let text = self.rope.to_string();
            Arc::new(Document::reparse_provisional(self.path.clone(), self.kind, text, self.edited_tree.as_ref()))
        })
    }

    /// The current parse, if it is provisional and was not settled yet.
    pub fn unsettled(&self) -> Option<&Arc<Document>> {
        self.parsed.get().filter(|doc| doc.provisional && !self.settled)
    }

    /// Settles `provisional` with `fresh` (a fresh parse of the same text), if `provisional` is
    /// still the current parse. When their trees differ, `fresh` replaces it and this returns
    /// true: the findings may change. When they are the same, the provisional parse stays,
    /// marked settled.
    pub fn settle(&mut self, provisional: &Arc<Document>, fresh: Document) -> bool {
        let current = self.parsed.get().is_some_and(|doc| Arc::ptr_eq(doc, provisional));
        if !current || provisional.text != fresh.text {
            return false;
        }
        self.settled = true;
        if provisional.same_syntax(&fresh) {
            return false;
        }
        self.parsed = OnceLock::from(Arc::new(fresh));
        true
    }

    /// The parsed current text, settled: a provisional parse is settled now.
    pub fn settled_doc(&mut self) -> &Arc<Document> {
        self.doc();
        if let Some(doc) = self.unsettled().cloned() {
            self.settle(&doc, Document::parse(doc.path.clone(), doc.kind, doc.text.clone()));
        }
        self.doc()
    }

    /// Applies a `didChange`'s content changes in order, editing the syntax tree alongside, then
    /// re-parses once from the edited tree.
    pub fn apply_changes(&mut self, changes: &[TextDocumentContentChangeEvent], version: i32, encoding: Encoding) {
        // The tree to edit: the last parse's, or the one already edited since it.
        let mut tree = match self.parsed.take() {
            Some(doc) => doc.tree().cloned(),
            None => self.edited_tree.take(),
        };
        for change in changes {
            match change.range {
                None => {
                    self.rope = Rope::from_str(&change.text);
                    tree = None;
                }
                Some(range) => {
                    let mut start = byte_offset(&self.rope, range.start, encoding);
                    let mut end = byte_offset(&self.rope, range.end, encoding);
                    if start > end {
                        std::mem::swap(&mut start, &mut end);
                    }
                    let start_position = point(&self.rope, start);
                    let old_end_position = point(&self.rope, end);
                    let start_char = self.rope.byte_to_char(start);
                    let end_char = self.rope.byte_to_char(end);
                    self.rope.remove(start_char..end_char);
                    self.rope.insert(start_char, &change.text);
                    let new_end = start + change.text.len();
                    if let Some(tree) = tree.as_mut() {
                        tree.edit(&InputEdit {
                            start_byte: start,
                            old_end_byte: end,
                            new_end_byte: new_end,
                            start_position,
                            old_end_position,
                            new_end_position: point(&self.rope, new_end),
                        });
                    }
                }
            }
        }
        self.version = version;
        self.edited_tree = tree;
        self.settled = false;
    }
}

/// The byte offset of an LSP position. Lines past the end map to the end of the text, columns past
/// the end of a line to the line's end (before its terminator), columns inside a character to its
/// start.
pub fn byte_offset(rope: &Rope, position: Position, encoding: Encoding) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start = rope.line_to_byte(line);
    let wanted = position.character as usize;
    let mut units = 0;
    let mut offset = line_start;
    for ch in rope.line(line).chars() {
        if ch == '\n' || ch == '\r' {
            break;
        }
        let width = match encoding {
            Encoding::Utf8 => ch.len_utf8(),
            Encoding::Utf16 => ch.len_utf16(),
        };
        if units + width > wanted {
            break;
        }
        units += width;
        offset += ch.len_utf8();
    }
    offset
}

/// The tree-sitter point of a byte offset (row and byte column).
fn point(rope: &Rope, byte: usize) -> Point {
    let byte = byte.min(rope.len_bytes());
    let row = rope.byte_to_line(byte);
    Point { row, column: byte - rope.line_to_byte(row) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Range;

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range { start: Position::new(start.0, start.1), end: Position::new(end.0, end.1) }),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn utf16_positions_after_emoji() {
        let rope = Rope::from_str("a😀b\nc");
        assert_eq!(byte_offset(&rope, Position::new(0, 3), Encoding::Utf16), 5);
        assert_eq!(byte_offset(&rope, Position::new(0, 5), Encoding::Utf8), 5);
        assert_eq!(byte_offset(&rope, Position::new(0, 2), Encoding::Utf16), 1, "inside the surrogate pair");
        assert_eq!(byte_offset(&rope, Position::new(0, 99), Encoding::Utf16), 6, "clamped before the newline");
        assert_eq!(byte_offset(&rope, Position::new(9, 0), Encoding::Utf16), 8);
    }

    #[test]
    fn incremental_edits_match_a_fresh_parse() {
        let mut buffer = Buffer::open("a.ts".into(), FileKind::TypeScript, "const a = 1;\r\nconst b = 2;\n", 1);
        buffer.apply_changes(
            &[change((1, 6), (1, 7), "renamed"), change((0, 0), (0, 0), "// 名前\n")],
            2,
            Encoding::Utf16,
        );
        assert_eq!(buffer.rope.to_string(), "// 名前\nconst a = 1;\r\nconst renamed = 2;\n");
        let fresh = Document::parse("a.ts", FileKind::TypeScript, buffer.rope.to_string());
        assert_eq!(buffer.doc().tree().unwrap().root_node().to_sexp(), fresh.tree().unwrap().root_node().to_sexp());
        assert_eq!(buffer.version, 2);
    }

    #[test]
    fn full_replacement_drops_the_old_tree() {
        let mut buffer = Buffer::open("a.sql".into(), FileKind::Sql, "select 1;", 1);
        let full =
            TextDocumentContentChangeEvent { range: None, range_length: None, text: "create table t (id int);".into() };
        buffer.apply_changes(&[full], 5, Encoding::Utf8);
        assert_eq!(&*buffer.doc().text, "create table t (id int);");
    }

    /// Changes between two uses are parsed once, from the tree edited by all of them, and the
    /// result equals a fresh parse; a use without a change in between parses nothing.
    #[test]
    fn a_burst_of_changes_is_parsed_once_on_use() {
        let mut buffer = Buffer::open("a.ts".into(), FileKind::TypeScript, "const a = 1;\n", 1);
        let first = buffer.doc().clone();
        assert!(Arc::ptr_eq(&first, buffer.doc()), "no change, no parse");
        for (i, text) in ["c", "o", "n", "s", "t", " ", "b", ";", "\n"].iter().enumerate() {
            buffer.apply_changes(&[change((1, i as u32), (1, i as u32), text)], i as i32 + 2, Encoding::Utf16);
            assert!(buffer.parsed.get().is_none(), "parsed before use");
        }
        let fresh = Document::parse("a.ts", FileKind::TypeScript, "const a = 1;\nconst b;\n");
        assert_eq!(&*buffer.doc().text, "const a = 1;\nconst b;\n");
        assert_eq!(buffer.doc().tree().unwrap().root_node().to_sexp(), fresh.tree().unwrap().root_node().to_sexp());
        assert!(!Arc::ptr_eq(&first, buffer.doc()));
    }

    /// An edit that breaks the syntax is parsed incrementally and marked provisional; settling
    /// swaps in a fresh parse, but only while no newer change has come.
    #[test]
    fn a_broken_edit_is_provisional_until_settled() {
        let text = "function f() {\n  return 1;\n}\nconst g = 2;\n";
        let mut buffer = Buffer::open("a.ts".into(), FileKind::TypeScript, text, 1);
        assert!(!buffer.doc().provisional, "a fresh parse is never provisional");
        buffer.apply_changes(&[change((1, 2), (1, 2), "x ")], 2, Encoding::Utf16);
        let provisional = buffer.doc().clone();
        assert!(provisional.provisional && provisional.tree().unwrap().root_node().has_error());

        buffer.apply_changes(&[change((3, 0), (3, 0), " ")], 3, Encoding::Utf16);
        let fresh = Document::parse("a.ts", FileKind::TypeScript, provisional.text.clone());
        assert!(!buffer.settle(&provisional, fresh), "a newer change came: nothing to settle");
        assert!(buffer.unsettled().is_none(), "not parsed yet");

        let settled = buffer.settled_doc().clone();
        let fresh = Document::parse("a.ts", FileKind::TypeScript, buffer.rope.to_string());
        assert!(buffer.unsettled().is_none());
        assert!(settled.same_syntax(&fresh));

        buffer.apply_changes(&[change((1, 2), (1, 4), "")], 4, Encoding::Utf16);
        assert!(!buffer.doc().provisional, "an edit that removes the error parses exactly");
    }
}
