//! Property test: after any sequence of incremental edits, a buffer's findings (and its syntax
//! tree) equal those of parsing and analysing the new text from scratch — both when the edited
//! document is analysed afresh and when the editor's [`AnalysisCache`] reuses what it analysed
//! for the earlier versions (findings, messages and fixes must be identical).
//!
//! Deterministic: a seeded xorshift generator drives thousands of random edit sequences over the
//! real fixture and example files of every kind. A failure prints the seed and the edits.

use std::path::Path;

use baton::config::Config;
use baton::engine::incremental::AnalysisCache;
use baton::engine::{analyze_document, Finding, WorkspaceFacts};
use baton::lsp::buffer::{Buffer, Encoding};
use baton::syntax::{Document, FileKind};
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Snippets that stress the parsers and the rules: code fragments, brackets, quotes,
/// multi-byte characters, all three line endings.
const INSERTS: &[&str] = &[
    "prisma.user.findMany()",
    "await prisma.migrationRun.create({ data: {} });\n",
    "withSystemContext(async (tx) => ",
    ")",
    "}",
    "{",
    "\"",
    "'",
    "`${",
    "/*",
    "*/",
    "// baton-ignore rls/prisma-outside-context\n",
    "\n",
    "\r\n",
    "\r",
    "😀",
    "名前",
    "create table public.t (id int);\n",
    "alter table public.validation_reports enable row level security;",
    "-- baton-ignore sql/rls-disabled-in-public\n",
    "$$",
    ";",
    "import { withUserContext } from \"@/lib/db/context\";\n",
    "x",
    "",
];

fn corpus() -> Vec<(String, FileKind, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples/wor-321", "tests/fixtures"] {
        for source in baton::workspace::discover(&root.join(dir)) {
            let text = std::fs::read_to_string(&source.absolute).unwrap();
            files.push((source.relative, source.kind, text));
        }
    }
    assert!(files.len() >= 20, "corpus too small: {}", files.len());
    files
}

fn findings(doc: &Document, config: &Config) -> Vec<Finding> {
    let facts = WorkspaceFacts::collect(&[doc], config);
    analyze_document(doc, config, &facts)
}

/// Findings through the editor's cache; the facts are recomputed like the server does, from the
/// cached file facts.
fn cached_findings(
    cache: &mut AnalysisCache,
    previous: &mut Option<WorkspaceFacts>,
    doc: &Document,
    config: &Config,
) -> Vec<Finding> {
    let mut facts = WorkspaceFacts::collect(&[doc], config);
    if let Some(previous) = previous {
        facts.continue_epoch(previous);
    }
    let found = cache.analyze(doc, config, &facts);
    *previous = Some(facts);
    found
}

fn random_position(rng: &mut Rng, text: &str) -> Position {
    let lines: Vec<&str> = text.split('\n').collect();
    let line = rng.below(lines.len() + 1);
    let width = lines.get(line).map_or(0, |l| l.encode_utf16().count());
    Position::new(line as u32, rng.below(width + 3) as u32)
}

#[test]
fn incremental_analysis_equals_analysis_from_scratch() {
    let files = corpus();
    // Wrappers are "in use" so the RLS rule is active on every file.
    let config = Config::parse("[rls]\nenforce = true\n", None).unwrap();
    let sequences = 2000;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut reused, mut tree_checks) = (0usize, 0usize);
    let (mut statements_reused, mut statements_analyzed) = (0usize, 0usize);
    for sequence in 0..sequences {
        let (path, kind, text) = &files[sequence % files.len()];
        let mut buffer = Buffer::open(path.clone(), *kind, text, 0);
        let (mut cache, mut previous) = (AnalysisCache::new(), None);
        cached_findings(&mut cache, &mut previous, &buffer.doc, &config);
        let mut log = Vec::new();
        for version in 1..=4 {
            let changes: Vec<TextDocumentContentChangeEvent> = (0..1 + rng.below(3))
                .map(|_| {
                    let current = buffer.rope.to_string();
                    let a = random_position(&mut rng, &current);
                    let b = if rng.below(3) == 0 { a } else { random_position(&mut rng, &current) };
                    let text = INSERTS[rng.below(INSERTS.len())].to_string();
                    TextDocumentContentChangeEvent { range: Some(Range { start: a, end: b }), range_length: None, text }
                })
                .collect();
            // Changes within one notification apply in order; the test mirrors that by applying
            // them one by one to a plain string.
            log.push(changes.clone());
            buffer.apply_changes(&changes, version, Encoding::Utf16);
            let fresh = Document::parse(path.clone(), *kind, buffer.rope.to_string());
            assert_eq!(&*buffer.doc.text, &*fresh.text);
            if let (Some(a), Some(b)) = (buffer.doc.tree(), fresh.tree()) {
                assert_eq!(
                    a.root_node().to_sexp(),
                    b.root_node().to_sexp(),
                    "tree differs: {path}, sequence {sequence}, edits {log:?}"
                );
                reused += usize::from(!a.root_node().has_error());
                tree_checks += 1;
            }
            let expected = findings(&fresh, &config);
            assert_eq!(
                findings(&buffer.doc, &config),
                expected,
                "findings differ: {path}, sequence {sequence}, edits {log:?}"
            );
            assert_eq!(
                cached_findings(&mut cache, &mut previous, &buffer.doc, &config),
                expected,
                "cached findings differ: {path}, sequence {sequence}, edits {log:?}"
            );
            statements_reused += cache.last_stats().statements_reused;
            statements_analyzed += cache.last_stats().statements_analyzed;
        }
    }
    // The cache must really have reused statements, not re-analysed everything.
    assert!(
        statements_reused >= 1000,
        "the cache reused only {statements_reused} statements and re-analysed {statements_analyzed}"
    );
    eprintln!("cache: {statements_reused} statements reused, {statements_analyzed} re-analysed");
    // The incremental path must really have been exercised, not only the fresh-parse fallback.
    // (Random edits break the syntax often: about one edit in seven keeps the tree error-free.)
    assert!(
        reused >= 300 && reused * 10 >= tree_checks,
        "only {reused} of {tree_checks} edits kept an error-free incrementally parsed tree"
    );
    eprintln!("{reused} of {tree_checks} tree-sitter edits were parsed incrementally");
}

#[test]
fn edits_in_utf8_columns_land_where_they_should() {
    let mut buffer = Buffer::open("a.sql".into(), FileKind::Sql, "-- é\ncreate table public.t (id int);\n", 0);
    let change = TextDocumentContentChangeEvent {
        range: Some(Range { start: Position::new(0, 5), end: Position::new(0, 5) }),
        range_length: None,
        text: "!".into(),
    };
    buffer.apply_changes(&[change], 1, Encoding::Utf8);
    assert_eq!(buffer.rope.to_string(), "-- é!\ncreate table public.t (id int);\n");
}
