//! Fuzz harnesses. Each takes arbitrary bytes, runs one part of Baton on them, and panics when
//! an invariant breaks; a panic anywhere (also one Baton would catch and report) is a finding.
//!
//! The same functions serve two drivers: the cargo-fuzz targets in `fuzz/fuzz_targets/`
//! (coverage-guided, libFuzzer) and `tests/fuzz_regressions.rs`, which replays the committed
//! corpus and every past crasher on each test run. Input formats are documented per harness and
//! in `docs/fuzzing.md`; `fuzz/seed.py` builds the starting corpus from the examples.

use std::ops::Range;
use std::path::Path;

use baton::config::Config;
use baton::engine::ecma::FileFacts;
use baton::engine::facts::DocumentFacts;
use baton::engine::incremental::AnalysisCache;
use baton::engine::{analyze_document, apply_edits, Finding, WorkspaceFacts};
use baton::ide::{self, IdeContext};
use baton::lsp::buffer::{Buffer, Encoding};
use baton::syntax::{Document, FileKind};
use baton::workspace::{self, Workspace};
use tower_lsp_server::ls_types::{Position, Range as LspRange, TextDocumentContentChangeEvent};

/// Most files one `workspace` input becomes.
const MAX_FILES: usize = 6;

/// Where a chunk of a `workspace` input lands, chosen by its first byte (modulo the length).
/// Every file kind is here, in the folders where Baton's readers look for it.
const PLACES: &[&str] = &[
    "app/api/f{}/route.ts",
    "components/F{}.tsx",
    "lib/f{}.js",
    "supabase/migrations/2024010{}000000_m.sql",
    "docs/specs/SPEC-{}.md",
    "docs/workflows/WORKFLOW-F{}.md",
    ".claude/agents/agent-{}.md",
    ".claude/handoff/ws{}-complete.signal",
    ".claude/context/snapshot-{}.json",
    "baton.toml",
    "lib/services/f{}.ts",
    "docs/f{}.json",
];

/// Splits a `workspace` input into files: chunks separated by NUL bytes (which real text files
/// do not contain); a chunk's first byte picks its place in [`PLACES`], the rest is its content.
pub fn workspace_files(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut files: Vec<(String, &[u8])> = Vec::new();
    for (i, chunk) in data.split(|b| *b == 0).take(MAX_FILES).enumerate() {
        let Some((&place, content)) = chunk.split_first() else { continue };
        let path = PLACES[place as usize % PLACES.len()].replace("{}", &i.to_string());
        if files.iter().all(|(p, _)| *p != path) {
            files.push((path, content));
        }
    }
    files
}

/// `workspace`: up to six files of any kind (see [`workspace_files`]), analysed together as a
/// workspace, the way `baton check` does. Checks that every finding and every fix edit lies
/// inside its file on character boundaries, that edits of one fix do not overlap, that the
/// three output formats render, that the editor features answer anywhere in each file, and
/// that applying each file's first fixes and analysing again works.
pub fn workspace(data: &[u8]) {
    let files = workspace_files(data);
    let config_text = files.iter().find(|(p, _)| p == "baton.toml").map(|(_, c)| String::from_utf8_lossy(c));
    let config = config_text.and_then(|t| Config::parse(&t, None).ok()).unwrap_or_default();
    let docs: Vec<Document> = files
        .iter()
        .filter_map(|(path, content)| {
            let kind = FileKind::from_path(path)?;
            let (text, _notice) = workspace::decode(content.to_vec(), path);
            Some(Document::parse(path.clone(), kind, text))
        })
        .collect();
    let ws = Workspace::from_documents(Path::new("/nonexistent/baton-fuzz"), config, docs);
    let findings = ws.check(|_| true);
    for found in &findings {
        let doc = ws.document(&found.path).expect("a finding names a document of the workspace");
        check_finding(&ws, doc, &found.finding);
    }
    baton::cli::render::human::render(&ws, &findings, false);
    baton::cli::render::json::render(&ws, &findings);
    baton::cli::render::sarif::render(&ws, &findings);
    editor_features(&ws);

    // Apply the first fix of the first findings of each file, then analyse the result.
    let mut fixed: Vec<Document> = Vec::new();
    for doc in &ws.documents {
        let edits: Vec<_> = findings
            .iter()
            .filter(|f| f.path == doc.path)
            .filter_map(|f| f.finding.fixes.first())
            .take(1)
            .flat_map(|fix| fix.edits.iter().filter(|e| e.path == doc.path).cloned())
            .collect();
        let text = apply_edits(&doc.text, &doc.path, &edits);
        fixed.push(Document::parse(doc.path.clone(), doc.kind, text));
    }
    let again = Workspace::from_documents(ws.root.as_path(), ws.config.clone(), fixed);
    for found in again.check(|_| true) {
        let doc = again.document(&found.path).expect("a finding names a document of the workspace");
        check_finding(&again, doc, &found.finding);
    }
}

/// Asserts a finding's range and its fixes' edits are well-formed for the texts they target.
fn check_finding(ws: &Workspace, doc: &Document, finding: &Finding) {
    check_range(&doc.text, &finding.range, finding.rule, "finding");
    for fix in &finding.fixes {
        let mut in_file: Vec<&Range<usize>> = Vec::new();
        for edit in &fix.edits {
            let Some(target) = ws.document(&edit.path) else {
                // A fix may create a file the workspace does not have yet: then it inserts at 0.
                assert!(
                    edit.range == (0..0),
                    "{}: fix edits a missing file {} at {:?}",
                    finding.rule,
                    edit.path,
                    edit.range
                );
                continue;
            };
            check_range(&target.text, &edit.range, finding.rule, "fix edit");
            if edit.path == doc.path {
                in_file.push(&edit.range);
            }
        }
        in_file.sort_by_key(|r| (r.start, r.end));
        for pair in in_file.windows(2) {
            assert!(
                pair[0].end <= pair[1].start || pair[0] == pair[1] && pair[0].is_empty(),
                "{}: fix `{}` has overlapping edits {:?} and {:?}",
                finding.rule,
                fix.title,
                pair[0],
                pair[1]
            );
        }
    }
}

fn check_range(text: &str, range: &Range<usize>, rule: &str, what: &str) {
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{rule}: {what} range {range:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{rule}: {what} range {range:?} splits a character"
    );
}

/// Symbols, lenses, inlay hints everywhere, and hover, definition and completion at a spread of
/// offsets (including the end of the text) of every document.
fn editor_features(ws: &Workspace) {
    let docs: Vec<&Document> = ws.documents.iter().map(|d| d.as_ref()).collect();
    let facts = WorkspaceFacts::collect_with_inputs(&docs, &ws.config, &ws.files, &ws.evidence);
    for doc in &docs {
        let ctx = IdeContext { doc, config: &ws.config, facts: &facts, root: &ws.root };
        ide::document_symbols(&ctx);
        for lens in ide::code_lenses(&ctx) {
            check_range(&doc.text, &lens.range, "ide", "lens");
        }
        ide::inlay_hints(&ctx, 0..doc.text.len());
        let len = doc.text.len();
        let offsets = (0..8).map(|i| len * i / 7).filter(|o| doc.text.is_char_boundary(*o));
        for offset in offsets {
            if let Some(hover) = ide::hover(&ctx, offset) {
                check_range(&doc.text, &hover.range, "ide", "hover");
            }
            ide::definition(&ctx, offset);
            for completion in ide::completions(&ctx, offset) {
                check_range(&doc.text, &completion.replace, "ide", "completion");
            }
        }
    }
}

/// `config`: the bytes as `baton.toml`. A parse error must carry a position inside the text; a
/// configuration that parses is then used on a small workspace of every file kind.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Config::parse(&text, None) {
        Err(error) => {
            let rendered = error.to_string();
            assert!(!rendered.is_empty(), "a configuration error without a message");
        }
        Ok(config) => {
            baton::stage::StageModel::from_config(&config);
            let docs = SAMPLE_FILES.iter().filter_map(|(path, text)| {
                Some(Document::parse(path.to_string(), FileKind::from_path(path)?, text.to_string()))
            });
            let ws = Workspace::from_documents(Path::new("/nonexistent/baton-fuzz"), config, docs);
            for found in ws.check(|_| true) {
                check_finding(&ws, ws.document(&found.path).unwrap(), &found.finding);
            }
        }
    }
}

/// Small files of every kind that the configuration fuzzer checks under each configuration.
const SAMPLE_FILES: &[(&str, &str)] = &[
    (
        "app/api/runs/route.ts",
        "import { prisma } from \"@/lib/db\";\nexport async function GET() {\n  return prisma.run.findMany();\n}\n",
    ),
    (
        "supabase/migrations/20240101000000_init.sql",
        "create table public.runs (id uuid primary key, owner uuid references auth.users (id));\n",
    ),
    (
        "docs/specs/RUN-1-spec.md",
        "---\nid: RUN-1\nstatus: Ready for QA\n---\n# RUN-1\n\n## Work Stream 1: API\n\n**Dependencies**: WS-2\n",
    ),
    (
        ".claude/handoff/ws1-complete.signal",
        "{\"workstream\": \"WS-1\", \"status\": \"complete\", \"files_created\": [\"x.ts\"]}\n",
    ),
];

/// `handoff`: the bytes as a handoff signal, a context snapshot and an agent definition at once
/// (three files with the same text), read and checked as a workspace, plus the editor features.
pub fn handoff(data: &[u8]) {
    let (text, _) = workspace::decode(data.to_vec(), "handoff");
    let docs =
        [".claude/handoff/ws1-complete.signal", ".claude/context/snapshot-1.json", ".claude/agents/implementer.md"]
            .map(|path| Document::parse(path, FileKind::from_path(path).expect("a known kind"), text.clone()));
    let ws = Workspace::from_documents(Path::new("/nonexistent/baton-fuzz"), Config::default(), docs);
    for found in ws.check(|_| true) {
        check_finding(&ws, ws.document(&found.path).unwrap(), &found.finding);
    }
    editor_features(&ws);
}

/// `lsp_frames`: the bytes as what a client writes to `baton lsp`'s stdin. The framing guard
/// must pass on only frames that tower-lsp-server can decode: each forwarded frame has a valid
/// `Content-Length` and a body that is a JSON-RPC request, notification or response.
pub fn lsp_frames(data: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime");
    let mut output: Vec<u8> = Vec::new();
    runtime.block_on(baton::lsp::framing::sanitize(data, &mut output, &Default::default()));
    for body in forwarded_bodies(&output) {
        let request = serde_json::from_slice::<tower_lsp_server::jsonrpc::Request>(body);
        let response = serde_json::from_slice::<tower_lsp_server::jsonrpc::Response>(body);
        assert!(
            request.is_ok() || response.is_ok(),
            "a forwarded body tower-lsp-server cannot decode: {}",
            String::from_utf8_lossy(body)
        );
    }
}

/// The well-formed requests `lsp_resync` appends to its input.
fn resync_requests() -> Vec<String> {
    (1..=3)
        .map(|i| serde_json::json!({"jsonrpc": "2.0", "id": format!("resync-{i}"), "method": "textDocument/hover", "params": {}}).to_string())
        .collect()
}

/// A reader that hands out at most `step` bytes per read (0: all at once).
struct Trickle<'a>(&'a [u8], usize);

impl tokio::io::AsyncRead for Trickle<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let step = if self.1 == 0 { self.0.len() } else { self.1 };
        let n = step.min(self.0.len()).min(buf.remaining());
        buf.put_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        std::task::Poll::Ready(Ok(()))
    }
}

/// The bodies of the frames the framing guard wrote (checking each header on the way).
fn forwarded_bodies(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut bodies = Vec::new();
    while !rest.is_empty() {
        let header_end = rest.windows(4).position(|w| w == b"\r\n\r\n").expect("a forwarded frame has a header");
        let header = std::str::from_utf8(&rest[..header_end]).expect("an ASCII header");
        let length: usize = header
            .strip_prefix("Content-Length: ")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("a forwarded header is `Content-Length: N`, got {header:?}"));
        bodies.push(&rest[header_end + 4..header_end + 4 + length]);
        rest = &rest[header_end + 4 + length..];
    }
    bodies
}

/// `lsp_resync`: the bytes are garbage a client wrote to `baton lsp`'s stdin (its first byte
/// also picks how many bytes each read returns, 0 to 7, 0 meaning all); three well-formed
/// requests follow. The framing guard must resynchronise after whatever came before, within one
/// frame: the last frames it forwards are those requests, unchanged, except that the first may
/// be lost — garbage whose own `Content-Length` reaches into the next frame's header (a length
/// a few bytes too large) makes that frame unreadable, and no reader can tell it from a body.
/// Every frame it forwards is one tower-lsp-server can decode.
pub fn lsp_resync(data: &[u8]) {
    let step = data.first().map_or(0, |b| (b % 8) as usize);
    let requests = resync_requests();
    let mut input = data.to_vec();
    for body in &requests {
        input.extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime");
    let mut output: Vec<u8> = Vec::new();
    runtime.block_on(baton::lsp::framing::sanitize(Trickle(&input, step), &mut output, &Default::default()));
    let bodies = forwarded_bodies(&output);
    for body in &bodies {
        let request = serde_json::from_slice::<tower_lsp_server::jsonrpc::Request>(body);
        let response = serde_json::from_slice::<tower_lsp_server::jsonrpc::Response>(body);
        assert!(request.is_ok() || response.is_ok(), "a forwarded body tower-lsp-server cannot decode");
    }
    let tail: Vec<String> =
        bodies[bodies.len().saturating_sub(3)..].iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
    if tail != requests {
        // The first request may have been taken by the garbage before it; the rest must follow.
        assert_eq!(
            tail[tail.len().saturating_sub(2)..],
            requests[1..],
            "the requests after the garbage are not the last frames forwarded"
        );
    }
}

/// Real files the `edits` harness starts from, one of each kind.
const EDIT_BASES: &[(&str, &str)] = &[
    ("lib/services/migration-service.ts", include_str!("../../examples/wor-321/lib/services/migration-service.ts")),
    ("app/api/migrations/validate/route.ts", include_str!("../../examples/wor-321/app/api/migrations/validate/route.ts")),
    (
        "supabase/migrations/20240101000000_init.sql",
        include_str!("../../examples/wor-321/supabase/migrations/20240101000000_init.sql"),
    ),
    ("docs/specs/WOR-321-spec.md", include_str!("../../examples/wor-321/docs/specs/WOR-321-spec.md")),
    (".claude/handoff/ws2-cicd-complete.signal", include_str!("../../examples/wor-321/.claude/handoff/ws2-cicd-complete.signal")),
    ("components/Widget.tsx", "'use client';\nimport { prisma } from \"@/lib/db\";\nexport function Widget() {\n  return <div>{name}</div>;\n}\n"),
];

/// Text the `edits` harness inserts, picked by a byte: fragments that open and close constructs.
pub const INSERTS: &[&str] = &[
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

/// A cursor over fuzz input that yields zeros once exhausted.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else { return 0 };
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> usize {
        usize::from(self.byte()) << 8 | usize::from(self.byte())
    }
}

/// One editor change from fuzz bytes: a range given by a line and a UTF-16 column (possibly
/// past the end, as clients send), and a text: one of [`INSERTS`] or raw bytes from the input.
fn change(bytes: &mut Bytes<'_>, text: &str) -> TextDocumentContentChangeEvent {
    let lines = text.split('\n').count() as u32;
    let position = |bytes: &mut Bytes<'_>| Position::new(bytes.u16() as u32 % (lines + 1), bytes.byte() as u32);
    let start = position(bytes);
    let end = if bytes.byte().is_multiple_of(3) { start } else { position(bytes) };
    let choice = bytes.byte() as usize;
    let new_text = if choice < 200 {
        INSERTS[choice % INSERTS.len()].to_string()
    } else {
        let len = (choice - 200).min(bytes.0.len());
        let (raw, rest) = bytes.0.split_at(len);
        bytes.0 = rest;
        String::from_utf8_lossy(raw).into_owned()
    };
    TextDocumentContentChangeEvent { range: Some(LspRange { start, end }), range_length: None, text: new_text }
}

/// `edits`: a base file picked by the first byte, then edits decoded from the rest (see
/// [`change`]; a `0xFF` byte ends a version). After every version the incrementally parsed
/// buffer must equal a fresh parse of its text (tree and findings; a provisional parse after it
/// is settled, which happens after every second version), and the editor's [`AnalysisCache`]
/// must give exactly the findings of a fresh analysis.
pub fn edits(data: &[u8]) {
    let mut bytes = Bytes(data);
    let (path, base) = EDIT_BASES[bytes.byte() as usize % EDIT_BASES.len()];
    let kind = FileKind::from_path(path).expect("a known kind");
    let config = Config::parse("[rls]\nenforce = true\n", None).expect("a valid configuration");
    let encoding = if bytes.byte() % 2 == 0 { Encoding::Utf16 } else { Encoding::Utf8 };
    let mut buffer = Buffer::open(path.to_string(), kind, base, 0);
    let mut session = EditSession::new();
    session.findings(buffer.doc(), &config);
    let mut version = 0;
    while !bytes.0.is_empty() && version < 16 {
        version += 1;
        let mut changes = Vec::new();
        while !bytes.0.is_empty() && changes.len() < 4 {
            if bytes.0[0] == 0xFF {
                bytes.byte();
                break;
            }
            let text = buffer.rope.to_string();
            changes.push(change(&mut bytes, &text));
        }
        buffer.apply_changes(&changes, version, encoding);
        let context = format!("{path}, version {version}, changes {changes:?}");
        session.check(&mut buffer, &config, version % 2 == 0, &context);
    }
}

/// What the `edits` harness and the incremental property test share: the editor's cache for one
/// buffer, checked against a fresh parse and analysis after every version.
pub struct EditSession {
    cache: AnalysisCache,
    previous: Option<WorkspaceFacts>,
}

impl Default for EditSession {
    fn default() -> Self {
        Self::new()
    }
}

impl EditSession {
    /// A session for a newly opened buffer.
    pub fn new() -> EditSession {
        EditSession { cache: AnalysisCache::new(), previous: None }
    }

    /// The cache used so far.
    pub fn cache(&self) -> &AnalysisCache {
        &self.cache
    }

    /// Findings of `doc` through the cache, with the facts recomputed the way the server does.
    pub fn findings(&mut self, doc: &Document, config: &Config) -> Vec<Finding> {
        if doc.kind.is_ecmascript() {
            // The editor's file facts, patched from the last version's, must equal fresh ones.
            let file = self.cache.file_facts(doc);
            assert!(
                *file == FileFacts::collect(doc),
                "remembered file facts differ: {}\n{:?}\n{:?}\n{:?}",
                doc.path,
                doc.text,
                file,
                FileFacts::collect(doc)
            );
            // The editor's document facts, remembered per statement, must equal fresh ones.
            let remembered = self.cache.document_facts(doc, config);
            assert!(
                *remembered == DocumentFacts::collect(doc, config),
                "remembered document facts differ: {}",
                doc.path
            );
        }
        let mut facts = WorkspaceFacts::collect(&[doc], config);
        if let Some(previous) = &self.previous {
            facts.continue_epoch(previous);
        }
        let found = self.cache.analyze(doc, config, &facts);
        self.previous = Some(facts);
        found
    }

    /// Checks the buffer's current parse after an edit. An exact parse must equal a fresh parse
    /// of its text (text, tree, findings) and the cache must give the fresh findings. A
    /// [provisional](Document::provisional) parse must be analysed by the cache exactly as from
    /// scratch; with `settle` it is then settled, as the editor does when typing pauses, and the
    /// settled parse is checked as an exact one.
    pub fn check(&mut self, buffer: &mut Buffer, config: &Config, settle: bool, context: &str) -> Checked {
        let doc = buffer.doc().clone();
        assert_eq!(buffer.rope.to_string(), &*doc.text, "rope and document differ: {context}");
        let mut checked = Checked { provisional: doc.provisional, ..Checked::default() };
        if doc.provisional {
            let found = self.findings(&doc, config);
            assert_eq!(
                found,
                scratch_findings(&doc, config),
                "cached findings of a provisional parse differ: {context}"
            );
            if !settle {
                return checked;
            }
            let fresh = Document::parse(doc.path.clone(), doc.kind, doc.text.clone());
            checked.diverged = !doc.same_syntax(&fresh);
            checked.findings_diverged = found != scratch_findings(&fresh, config);
        }
        let doc = buffer.settled_doc().clone();
        let fresh = Document::parse(doc.path.clone(), doc.kind, doc.text.to_string());
        if let (Some(a), Some(b)) = (doc.tree(), fresh.tree()) {
            assert_eq!(a.root_node().to_sexp(), b.root_node().to_sexp(), "tree differs: {context}");
            checked.clean_incremental = !a.root_node().has_error() && !checked.provisional;
        }
        let expected = scratch_findings(&fresh, config);
        assert_eq!(scratch_findings(&doc, config), expected, "findings differ: {context}");
        assert_eq!(self.findings(&doc, config), expected, "cached findings differ: {context}");
        checked
    }
}

/// What [`EditSession::check`] saw, for the property test's coverage counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checked {
    /// The parse was provisional (incremental, with syntax errors).
    pub provisional: bool,
    /// It was settled and the fresh tree differed from it.
    pub diverged: bool,
    /// It was settled and the fresh tree's findings differed from it.
    pub findings_diverged: bool,
    /// The tree was parsed incrementally, exactly, without errors.
    pub clean_incremental: bool,
}

/// Findings of one document analysed from scratch, alone.
pub fn scratch_findings(doc: &Document, config: &Config) -> Vec<Finding> {
    let facts = WorkspaceFacts::collect(&[doc], config);
    analyze_document(doc, config, &facts)
}
