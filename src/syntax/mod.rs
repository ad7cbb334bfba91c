//! Turns (path, text) into a parsed [`Document`].
//!
//! TypeScript, TSX, JavaScript/JSX, Markdown and JSON are parsed with tree-sitter; SQL with
//! `squawk-syntax` (see ARCHITECTURE.md for why). Parsing never fails: a half-typed file gives a
//! tree with error nodes, and every later stage works on whatever the tree holds.

mod file_kind;
mod sql_nesting;

use std::sync::Arc;

pub use file_kind::{FileKind, Grammar};

use crate::line_index::LineIndex;

/// One parsed file. Immutable; an edit produces a new document.
pub struct Document {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// What kind of file this is, from its path.
    pub kind: FileKind,
    /// The full text.
    pub text: Arc<str>,
    /// Offset ⇄ line/column conversions for `text`.
    pub line_index: LineIndex,
    /// The syntax tree.
    pub syntax: Syntax,
    /// Why the text was not parsed (the tree is then empty), if it was not.
    pub not_parsed: Option<String>,
    /// True when the tree came from [`Document::reparse_provisional`] and a fresh parse might
    /// not reproduce it (it reused earlier subtrees and has syntax errors). The editor shows its
    /// findings at once and re-parses the text afresh when typing pauses.
    pub provisional: bool,
}

/// How much of an old tree a re-parse may trust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reuse {
    /// The result must equal a fresh parse.
    Exact,
    /// Error recovery over reused subtrees is accepted; such a result is marked provisional.
    Provisional,
}

/// Texts larger than this are not parsed (the workspace does not even read such files; an editor
/// may still send one).
pub const MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// The deepest SQL nesting Baton parses. squawk's parser and rowan's trees recurse once per
/// level (to build and to drop), so a statement nested tens of thousands deep would overflow the
/// stack; real migrations stay far below this.
pub const MAX_SQL_NESTING: usize = 1000;

/// How long one tree-sitter parse may run. Its error recovery can take minutes on some broken
/// inputs (fuzzing found a 2.5 KB TSX file that did not finish in two); such a text is left
/// unparsed and reported, instead of stalling `baton check` or the editor. Real files of the
/// largest size Baton parses take a small fraction of this.
pub const PARSE_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A syntax tree from one of the two parsers.
pub enum Syntax {
    /// A tree-sitter tree (TypeScript, TSX, JavaScript, Markdown, JSON, signals).
    Tree(tree_sitter::Tree),
    /// A squawk tree (SQL).
    Sql(squawk_syntax::Parse<squawk_syntax::SourceFile>),
}

/// A parse error: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte range in the document.
    pub range: std::ops::Range<usize>,
    /// Human-readable description.
    pub message: String,
}

/// The notice for a file of `size` bytes over [`MAX_FILE_SIZE`].
pub fn too_large_message(path: &str, size: u64) -> String {
    format!(
        "{path} is {:.1} MiB, over the {} MiB limit: not analyzed",
        size as f64 / (1024.0 * 1024.0),
        MAX_FILE_SIZE / (1024 * 1024)
    )
}

impl Document {
    /// Parses `text` as `kind`. Never fails.
    pub fn parse(path: impl Into<String>, kind: FileKind, text: impl Into<Arc<str>>) -> Document {
        Document::reparse(path, kind, text, None)
    }

    /// Parses `text` reusing `old_tree`, a tree of the previous text already adjusted with
    /// [`tree_sitter::Tree::edit`] for every change since. The result equals a fresh parse: only
    /// unchanged parts are reused; when the old tree has a syntax error outside the edited
    /// regions, or the new tree has any (tree-sitter's error recovery over reused subtrees can
    /// differ from a fresh parse's), the text is parsed afresh. SQL is always parsed afresh.
    pub fn reparse(
        path: impl Into<String>,
        kind: FileKind,
        text: impl Into<Arc<str>>,
        old_tree: Option<&tree_sitter::Tree>,
    ) -> Document {
        Document::reparse_with(path.into(), kind, text.into(), old_tree, Reuse::Exact)
    }

    /// Like [`Document::reparse`], but keeps the incremental result even when it has syntax
    /// errors, so a keystroke that breaks the syntax costs an incremental parse, not a full one.
    /// Such a document is marked [`Document::provisional`]: its tree (and so its findings) may
    /// differ from a fresh parse's until the text is parsed afresh.
    pub fn reparse_provisional(
        path: impl Into<String>,
        kind: FileKind,
        text: impl Into<Arc<str>>,
        old_tree: Option<&tree_sitter::Tree>,
    ) -> Document {
        Document::reparse_with(path.into(), kind, text.into(), old_tree, Reuse::Provisional)
    }

    fn reparse_with(
        path: String,
        kind: FileKind,
        text: Arc<str>,
        old_tree: Option<&tree_sitter::Tree>,
        reuse: Reuse,
    ) -> Document {
        if text.len() as u64 > MAX_FILE_SIZE {
            let reason = too_large_message(&path, text.len() as u64);
            let syntax = match kind.grammar() {
                Some(grammar) => Syntax::Tree(parse_tree(grammar, "", None, Reuse::Exact).tree),
                None => Syntax::Sql(squawk_syntax::SourceFile::parse("")),
            };
            let line_index = LineIndex::new(&text);
            return Document { path, kind, line_index, text, syntax, not_parsed: Some(reason), provisional: false };
        }
        // A tree of a text that was not parsed cannot be reused.
        let old_tree = old_tree.filter(|tree| tree.root_node().end_byte() > 0);
        let mut not_parsed = None;
        let mut provisional = false;
        let syntax = match kind.grammar() {
            // Markdown is read line by line (`plan::markdown`): no rule or editor feature queries
            // its tree, and tree-sitter's Markdown trees cost about 40 times the text (a workflow
            // repository's 24 MB of documents took 900 MB). Its tree is left empty.
            Some(grammar) if kind == FileKind::Markdown => {
                Syntax::Tree(parse_tree(grammar, "", None, Reuse::Exact).tree)
            }
            Some(grammar) => {
                let parsed = parse_tree(grammar, &text, old_tree, reuse);
                provisional = parsed.provisional;
                if parsed.gave_up {
                    not_parsed = Some(format!(
                        "tree-sitter's error recovery did not finish parsing this file within {} s (its syntax errors make it too costly); not analyzed",
                        PARSE_TIME_LIMIT.as_secs()
                    ));
                }
                Syntax::Tree(parsed.tree)
            }
            None => match sql_nesting::exceeds(&text, MAX_SQL_NESTING) {
                false => Syntax::Sql(squawk_syntax::SourceFile::parse(&text)),
                true => {
                    not_parsed = Some(format!(
                        "SQL nested more than {MAX_SQL_NESTING} levels deep (brackets and operator chains); not analyzed"
                    ));
                    Syntax::Sql(squawk_syntax::SourceFile::parse(""))
                }
            },
        };
        Document { path, kind, line_index: LineIndex::new(&text), text, syntax, not_parsed, provisional }
    }

    /// The tree-sitter tree, for kinds parsed with tree-sitter (empty for Markdown, which is read
    /// line by line).
    pub fn tree(&self) -> Option<&tree_sitter::Tree> {
        match &self.syntax {
            Syntax::Tree(tree) => Some(tree),
            Syntax::Sql(_) => None,
        }
    }

    /// The SQL tree, for SQL files.
    pub fn sql(&self) -> Option<&squawk_syntax::Parse<squawk_syntax::SourceFile>> {
        match &self.syntax {
            Syntax::Sql(parse) => Some(parse),
            Syntax::Tree(_) => None,
        }
    }

    /// The text of a byte range (empty when the range is not on character boundaries).
    pub fn slice(&self, range: std::ops::Range<usize>) -> &str {
        self.text.get(range).unwrap_or("")
    }

    /// True when both documents have the same tree: the same nodes (kind, range, missing or
    /// not) in the same shape. SQL documents compare as equal when their texts are.
    pub fn same_syntax(&self, other: &Document) -> bool {
        match (self.tree(), other.tree()) {
            (Some(a), Some(b)) => same_tree(a, b),
            (None, None) => self.text == other.text,
            _ => false,
        }
    }

    /// Syntax errors, in document order.
    pub fn syntax_errors(&self) -> Vec<SyntaxError> {
        match &self.syntax {
            Syntax::Sql(parse) => parse
                .errors()
                .into_iter()
                .map(|e| SyntaxError {
                    range: usize::from(e.range().start())..usize::from(e.range().end()),
                    message: e.message().to_string(),
                })
                .collect(),
            Syntax::Tree(tree) => tree_sitter_errors(tree),
        }
    }
}

/// A tree-sitter parse: the tree, whether it is provisional (see [`Reuse`]), and whether the
/// parse ran out of [`PARSE_TIME_LIMIT`] (the tree is then empty).
struct Parsed {
    tree: tree_sitter::Tree,
    provisional: bool,
    gave_up: bool,
}

/// Parses with tree-sitter. A parser that cannot be built (an ABI mismatch, which the test suite
/// rules out) or that gives up yields an empty tree of the same language rather than a panic.
fn parse_tree(grammar: Grammar, text: &str, old_tree: Option<&tree_sitter::Tree>, reuse: Reuse) -> Parsed {
    let mut parser = take_parser(grammar);
    let parsed = parse_with(&mut parser, text, old_tree, reuse);
    PARSERS.with_borrow_mut(|parsers| parsers.push((grammar, parser)));
    parsed
}

thread_local! {
    /// Parsers kept per thread and grammar: making one and loading its grammar costs about a
    /// fifth of parsing a small file.
    static PARSERS: std::cell::RefCell<Vec<(Grammar, tree_sitter::Parser)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// This thread's parser for `grammar` (taken out while in use), or a new one.
fn take_parser(grammar: Grammar) -> tree_sitter::Parser {
    let kept = PARSERS.with_borrow_mut(|parsers| {
        let index = parsers.iter().position(|(g, _)| *g == grammar)?;
        Some(parsers.swap_remove(index).1)
    });
    kept.unwrap_or_else(|| {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&grammar.language()).expect("grammar ABI is checked by the test suite");
        parser
    })
}

fn parse_with(
    parser: &mut tree_sitter::Parser,
    text: &str,
    old_tree: Option<&tree_sitter::Tree>,
    reuse: Reuse,
) -> Parsed {
    // A parse interrupted by a panic would leave state behind.
    parser.reset();
    // Subtrees of an old error recovery outside the edits would be reused as they are.
    let old_exact = old_tree.map(errors_all_edited);
    let reusable = match reuse {
        Reuse::Exact => old_tree.filter(|_| old_exact == Some(true)),
        Reuse::Provisional => old_tree,
    };
    let mut gave_up = false;
    let incremental = reusable.and_then(|old| parse_in_time(parser, text, Some(old), &mut gave_up));
    let result = match incremental {
        // Without errors, and from an old tree without stale recoveries, it equals a fresh parse.
        Some(tree) if !tree.root_node().has_error() && old_exact == Some(true) => Some((tree, false)),
        // Otherwise tree-sitter's error recovery over a reused tree can differ from a fresh
        // parse's (found by `tests/incremental.rs`).
        Some(tree) if reuse == Reuse::Provisional => Some((tree, true)),
        // Out of time once: a fresh parse of the same text would fare no better.
        _ if gave_up => None,
        _ => parse_in_time(parser, text, None, &mut gave_up).map(|tree| (tree, false)),
    };
    match result {
        Some((tree, provisional)) => Parsed { tree, provisional, gave_up: false },
        None => {
            parser.reset();
            let empty = parser.parse("", None).expect("parsing an empty text cannot fail");
            Parsed { tree: empty, provisional: false, gave_up }
        }
    }
}

/// `parser.parse`, given up after [`PARSE_TIME_LIMIT`] (and `gave_up` set).
fn parse_in_time(
    parser: &mut tree_sitter::Parser,
    text: &str,
    old_tree: Option<&tree_sitter::Tree>,
    gave_up: &mut bool,
) -> Option<tree_sitter::Tree> {
    let deadline = std::time::Instant::now() + PARSE_TIME_LIMIT;
    let mut out_of_time = |_: &tree_sitter::ParseState| {
        let late = std::time::Instant::now() > deadline;
        *gave_up |= late;
        late
    };
    let bytes = text.as_bytes();
    let options = tree_sitter::ParseOptions::new().progress_callback(&mut out_of_time);
    parser.parse_with_options(&mut |offset, _| bytes.get(offset..).unwrap_or_default(), old_tree, Some(options))
}

/// Compares two trees node by node, without recursion (trees can be 10,000 levels deep).
fn same_tree(a: &tree_sitter::Tree, b: &tree_sitter::Tree) -> bool {
    let (mut a, mut b) = (a.walk(), b.walk());
    loop {
        let (x, y) = (a.node(), b.node());
        if x.kind_id() != y.kind_id() || x.byte_range() != y.byte_range() || x.is_missing() != y.is_missing() {
            return false;
        }
        let descended = a.goto_first_child();
        if descended != b.goto_first_child() {
            return false;
        }
        if descended {
            continue;
        }
        loop {
            match (a.goto_next_sibling(), b.goto_next_sibling()) {
                (true, true) => break,
                (false, false) => {}
                _ => return false,
            }
            match (a.goto_parent(), b.goto_parent()) {
                (true, true) => {}
                (false, false) => return true,
                _ => return false,
            }
        }
    }
}

/// True when every ERROR or MISSING node of an edited old tree lies in an edited region, so that
/// no subtree tree-sitter would reuse carries an earlier error recovery.
fn errors_all_edited(old: &tree_sitter::Tree) -> bool {
    let mut stack = vec![old.root_node()];
    while let Some(node) = stack.pop() {
        if !node.has_error() {
            continue;
        }
        if (node.is_error() || node.is_missing()) && !node.has_changes() {
            return false;
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    true
}

/// Collects ERROR and MISSING nodes without recursion (trees can be 10,000 levels deep).
fn tree_sitter_errors(tree: &tree_sitter::Tree) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    if !tree.root_node().has_error() {
        return errors;
    }
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let descend = if node.is_error() {
            errors.push(SyntaxError { range: node.byte_range(), message: "syntax error".into() });
            false
        } else if node.is_missing() {
            errors.push(SyntaxError { range: node.byte_range(), message: format!("missing `{}`", node.kind()) });
            false
        } else {
            node.has_error()
        };
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return errors;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same kinds in the same shape with the same ranges compare equal whatever the names; a
    /// different range, or a different shape, does not.
    #[test]
    fn same_syntax_compares_shape_kinds_and_ranges() {
        let ts = |text: &str| Document::parse("a.ts", FileKind::TypeScript, text);
        assert!(ts("const a = 1;\nf(a);\n").same_syntax(&ts("const b = 2;\ng(b);\n")));
        let md = Document::parse("docs/a.md", FileKind::Markdown, "# Title\n\n```ts\nconst a = 1;\n```\n");
        assert_eq!(md.tree().map(|t| t.root_node().child_count()), Some(0), "Markdown keeps no tree");
        assert!(md.syntax_errors().is_empty());
        assert!(!ts("const a = 1;\nf(a);\n").same_syntax(&ts("const ab = 1;\nf(a);\n")), "a range differs");
        assert!(!ts("const a = 1;\nf(a);\n").same_syntax(&ts("const a = 1;\nf(a, );\n")), "a shape differs");
        assert!(!ts("f(a);\n").same_syntax(&ts("f(a);\ng();\n")), "a sibling more");
    }

    #[test]
    fn every_grammar_loads_and_parses() {
        for kind in [FileKind::TypeScript, FileKind::Tsx, FileKind::JavaScript, FileKind::Markdown, FileKind::Json] {
            let doc = Document::parse("x", kind, "x");
            assert!(doc.tree().is_some(), "{kind:?}");
        }
    }

    #[test]
    fn half_typed_typescript_still_gives_a_tree_and_errors() {
        let doc = Document::parse("a.ts", FileKind::TypeScript, "const x = prisma.user.findMany(\nfunction f() {}");
        let tree = doc.tree().unwrap();
        assert!(tree.root_node().child_count() > 0);
        assert!(!doc.syntax_errors().is_empty());
    }

    #[test]
    fn sql_errors_are_reported_with_ranges() {
        let doc = Document::parse("m.sql", FileKind::Sql, "create table (;\nselect 1;");
        let errors = doc.syntax_errors();
        assert!(!errors.is_empty());
        assert!(errors.iter().all(|e| e.range.end <= doc.text.len()));
    }

    #[test]
    fn valid_files_have_no_errors() {
        let doc = Document::parse("a.tsx", FileKind::Tsx, "export const A = () => <div>{1}</div>;\n");
        assert_eq!(doc.syntax_errors(), []);
        let doc = Document::parse("m.sql", FileKind::Sql, "create table t (id int primary key);\n");
        assert_eq!(doc.syntax_errors(), []);
    }
}
