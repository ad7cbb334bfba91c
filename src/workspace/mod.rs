//! The workspace: discovery and loading of files (the IO side of analysis).
//!
//! Files are found with the `ignore` crate (honouring `.gitignore` even outside a git checkout,
//! never entering `node_modules/`, `target/` or `.git/`, never following symlinks), read and
//! parsed in parallel. Files over [`MAX_FILE_SIZE`] are not parsed (`meta/file-too-large`),
//! binary files are skipped, invalid UTF-8 is decoded lossily (`meta/invalid-utf8`).

pub mod git;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::engine::{self, Finding, WorkspaceFacts};
use crate::handoff::WorkspaceFiles;
use crate::line_index::LineIndex;
use crate::syntax::{Document, FileKind};

pub mod cache;
mod cached_check;
mod inputs;
pub mod output_cache;
pub mod signatures;
pub mod user_rules;
pub mod walk_cache;

pub use cached_check::{
    check_inputs, check_inputs_without_cache, check_or_replay, check_with_cache, check_without_cache, Checked,
    ReportSlot,
};
pub use inputs::{CheckInputs, Discovery};

pub use crate::syntax::MAX_FILE_SIZE;

/// Folders never scanned, whatever `.gitignore` says.
const ALWAYS_SKIPPED: &[&str] = &["node_modules", "target", ".git"];

/// A file Baton reads, found under the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePath {
    /// Absolute (or root-joined) path on disk.
    pub absolute: PathBuf,
    /// Path relative to the root, `/`-separated.
    pub relative: String,
    /// Its kind.
    pub kind: FileKind,
}

/// A finding together with the workspace-relative path of its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFinding {
    /// Workspace-relative path.
    pub path: String,
    /// The finding.
    pub finding: Finding,
}

/// Every document of a workspace, loaded, plus the notices loading produced.
pub struct Workspace {
    /// The root every path is relative to.
    pub root: PathBuf,
    /// The configuration in force.
    pub config: Config,
    /// Parsed documents, sorted by path.
    pub documents: Vec<Arc<Document>>,
    /// Files that could not be parsed or were decoded lossily, as findings.
    pub notices: Vec<FileFinding>,
    /// Files that could not be read at all: path and error.
    pub unreadable: Vec<(String, String)>,
    /// Every file the scan saw (any kind), for the handoff checks of named files.
    pub files: WorkspaceFiles,
    /// Workflow evidence under `.baton/evidence/` and the tree's git state (loaded by
    /// [`Workspace::load`]; empty for in-memory workspaces).
    pub evidence: crate::stage::EvidenceSet,
    /// Files not parsed because their findings came from the analysis cache, sorted by path.
    pub unparsed: Vec<UnparsedFile>,
    /// Rules inactive for lack of configuration, known once the workspace was checked
    /// (`engine::notices`).
    pub config_notices: std::sync::OnceLock<Vec<crate::engine::notices::ConfigNotice>>,
}

/// What reading one file gave: its text (with a notice when it was decoded lossily), or why
/// there is none.
pub(crate) enum Read {
    Text(String, Option<Finding>),
    Notice(Finding),
    Skipped,
    Unreadable(String),
}

/// Why a file did not become a plain document.
enum Loaded {
    Document(Document, Option<Finding>),
    Notice(Finding),
    Skipped,
    Unreadable(String),
}

/// A file whose findings came from the analysis cache: its text (for rendering) but no tree.
pub struct UnparsedFile {
    /// Workspace-relative path.
    pub path: String,
    /// The full text.
    pub text: Arc<str>,
    line_index: std::sync::OnceLock<LineIndex>,
}

impl UnparsedFile {
    /// A file known by its text only.
    pub fn new(path: String, text: Arc<str>) -> UnparsedFile {
        UnparsedFile { path, text, line_index: std::sync::OnceLock::new() }
    }

    /// Its line index, computed on first use.
    pub fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| LineIndex::new(&self.text))
    }
}

/// Lists the files under `root` that Baton reads.
pub fn discover(root: &Path) -> Vec<SourcePath> {
    discover_all(root).0
}

/// Lists the files under `root` that Baton reads, and every file the scan saw (of any kind, with
/// the same ignore rules) for the handoff checks of named files.
pub fn discover_all(root: &Path) -> (Vec<SourcePath>, WorkspaceFiles) {
    let walk = walk(root);
    (walk.sources, walk.files)
}

/// What one walk of a workspace saw.
pub struct Walk {
    /// The files Baton reads, sorted by path.
    pub sources: Vec<SourcePath>,
    /// Every file seen, of any kind.
    pub files: WorkspaceFiles,
    /// Every directory entered, relative to the root (`""` for the root), sorted.
    pub dirs: Vec<String>,
    /// False when some entry could not be read (a directory without permission, say).
    pub complete: bool,
    /// The paths the walk could not read (relative, `.` for the root) and why, sorted.
    pub unreadable: Vec<(String, String)>,
}

/// The `meta/unreadable` finding of a path that could not be read: an error, so a run that could
/// not look at everything fails under the default `--fail-on error` (docs/output.md).
pub fn unreadable_notice(path: &str, error: &str, folder: bool) -> FileFinding {
    let what = if folder { "folder" } else { "file" };
    let message = if folder {
        format!("cannot read the {what} {path}: {error}; nothing in it was checked")
    } else {
        format!("cannot read the {what} {path}: {error}; it was not checked")
    };
    FileFinding { path: path.to_string(), finding: Finding::new("meta/unreadable", 0..0, message) }
}

/// The path and the I/O error inside a walk error, if it is one (not, say, a bad glob in an
/// ignore file).
fn walk_io_error(error: &ignore::Error) -> Option<(Option<&Path>, String)> {
    match error {
        ignore::Error::WithPath { path, err } => {
            walk_io_error(err).map(|(inner, e)| (inner.or(Some(path.as_path())), e))
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => walk_io_error(err),
        ignore::Error::Partial(errors) => errors.iter().find_map(walk_io_error),
        ignore::Error::Io(e) => Some((None, e.to_string())),
        _ => None,
    }
}

/// Walks `root`: the files Baton reads, every file seen, and the directories entered.
pub fn walk(root: &Path) -> Walk {
    // Walked on several threads (a large tree's directory reads dominate a warm check), then
    // sorted, so the result does not depend on the walk's order. (Taking each file's signature
    // on the walk's threads made a warm check slower than a parallel pass after it.)
    // Baton's own cache is never an input (and is written to on every run that computes).
    let cache_dir = root.join(cache::CACHE_DIR);
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .parents(true)
        .follow_links(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let name = entry.file_name().to_string_lossy();
            !(is_dir && (ALWAYS_SKIPPED.contains(&name.as_ref()) || entry.path() == cache_dir))
        })
        .build_parallel();
    let seen: std::sync::Mutex<Vec<(String, Option<SourcePath>)>> = std::sync::Mutex::default();
    let dirs: std::sync::Mutex<Vec<String>> = std::sync::Mutex::default();
    let complete = std::sync::atomic::AtomicBool::new(true);
    let unreadable: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::default();
    walker.run(|| {
        let (seen, dirs, complete, unreadable) = (&seen, &dirs, &complete, &unreadable);
        Box::new(move |entry: Result<ignore::DirEntry, ignore::Error>| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    complete.store(false, std::sync::atomic::Ordering::Relaxed);
                    if let Some((path, why)) = walk_io_error(&error) {
                        let relative = match path {
                            Some(path) if path == root => Some(".".to_string()),
                            Some(path) => relative_path(root, path),
                            None => None,
                        };
                        if let Some(relative) = relative {
                            unreadable.lock().unwrap_or_else(|e| e.into_inner()).push((relative, why));
                        }
                    }
                    return ignore::WalkState::Continue;
                }
            };
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                let relative = if entry.depth() == 0 { Some(String::new()) } else { relative_path(root, entry.path()) };
                dirs.lock().unwrap_or_else(|e| e.into_inner()).extend(relative);
                return ignore::WalkState::Continue;
            }
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return ignore::WalkState::Continue;
            }
            if let Some(relative) = relative_path(root, entry.path()) {
                let source = FileKind::from_path(&relative).map(|kind| SourcePath {
                    absolute: entry.path().to_path_buf(),
                    relative: relative.clone(),
                    kind,
                });
                seen.lock().unwrap_or_else(|e| e.into_inner()).push((relative, source));
            }
            ignore::WalkState::Continue
        })
    });
    let mut seen = seen.into_inner().unwrap_or_else(|e| e.into_inner());
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let mut dirs = dirs.into_inner().unwrap_or_else(|e| e.into_inner());
    dirs.sort();
    let mut sources = Vec::new();
    let mut all = Vec::with_capacity(seen.len());
    for (relative, source) in seen {
        sources.extend(source);
        all.push(relative);
    }
    let mut unreadable = unreadable.into_inner().unwrap_or_else(|e| e.into_inner());
    unreadable.sort();
    unreadable.dedup_by(|a, b| a.0 == b.0);
    Walk { sources, files: WorkspaceFiles::from_paths(all), dirs, complete: complete.into_inner(), unreadable }
}

/// `path` relative to `root` with `/` separators, or `None` when it is not under `root`. Names
/// that are not UTF-8 (or hold a backslash) are written escaped ([`escape_name`]), so two
/// files never share a path; [`real_path`] turns the result back into the file's path.
pub fn relative_path(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    // The walk gives clean paths: on Unix such a path is already the answer (this runs once per
    // file of every run, and splitting it into components cost a warm run a fifth of its time).
    if cfg!(unix) {
        if let Some(text) = relative.to_str().filter(|t| is_clean_relative(t) && !t.contains('\\')) {
            return Some(text.to_string());
        }
    }
    let parts: Vec<String> = relative.components().map(|c| escape_name(c.as_os_str()).into_owned()).collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A file or folder name as Baton shows and keys it: the name itself when it is UTF-8 without a
/// backslash; otherwise with every byte that is not part of valid UTF-8 written `\xNN` (two
/// lower-case hex digits) and every backslash `\\`. The mapping is one-to-one: two different
/// names never give the same text, and [`real_path`] reverses it.
pub fn escape_name(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    if let Some(text) = name.to_str().filter(|t| !t.contains('\\')) {
        return std::borrow::Cow::Borrowed(text);
    }
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(name);
    #[cfg(not(unix))]
    let lossy = name.to_string_lossy();
    #[cfg(not(unix))]
    let bytes = lossy.as_bytes();
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The path on disk of `relative` (a path [`relative_path`] gave) under `root`: escaped names
/// ([`escape_name`]) turned back into the bytes they stand for.
pub fn real_path(root: &Path, relative: &str) -> PathBuf {
    if !relative.contains('\\') {
        return root.join(relative);
    }
    let mut path = root.to_path_buf();
    for part in relative.split('/') {
        let mut bytes = Vec::with_capacity(part.len());
        let mut rest = part.as_bytes();
        while let Some((&first, tail)) = rest.split_first() {
            if first == b'\\' {
                if let Some(tail) = tail.strip_prefix(b"\\") {
                    bytes.push(b'\\');
                    rest = tail;
                    continue;
                }
                let hex = tail.get(1..3).and_then(|h| std::str::from_utf8(h).ok());
                if let (Some(b'x'), Some(byte)) = (tail.first(), hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                    bytes.push(byte);
                    rest = &tail[3..];
                    continue;
                }
            }
            bytes.push(first);
            rest = tail;
        }
        #[cfg(unix)]
        path.push(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&bytes));
        #[cfg(not(unix))]
        path.push(String::from_utf8_lossy(&bytes).as_ref());
    }
    path
}

/// Reads and parses one file.
fn load(source: &SourcePath) -> Loaded {
    match read(source) {
        Read::Text(text, notice) => {
            Loaded::Document(Document::parse(source.relative.clone(), source.kind, text), notice)
        }
        Read::Notice(finding) => Loaded::Notice(finding),
        Read::Skipped => Loaded::Skipped,
        Read::Unreadable(error) => Loaded::Unreadable(error),
    }
}

/// True when `path` is a non-empty `/`-separated relative path without empty, `.` or `..`
/// components: one that names a file inside the folder it is relative to.
pub fn is_clean_relative(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Reads one file: size cap, binary skip, lossy UTF-8.
pub(crate) fn read(source: &SourcePath) -> Read {
    read_signed(source).0
}

/// [`read`], and the file's signature as the open file's `fstat` gave it before the read.
pub(crate) fn read_signed(source: &SourcePath) -> (Read, Option<signatures::Signature>) {
    // One open, one fstat: the size is checked on the open file, and the read is capped, so a
    // file that grows in between cannot make it read more than the limit.
    let opened = std::fs::File::open(&source.absolute).and_then(|file| Ok((file.metadata()?, file)));
    let (meta, file) = match opened {
        Ok(opened) => opened,
        Err(e) => return (Read::Unreadable(e.to_string()), None),
    };
    (read_open(source, meta.len(), file), signatures::Signature::of(&meta))
}

fn read_open(source: &SourcePath, len: u64, file: std::fs::File) -> Read {
    use std::io::Read as _;
    let too_large = |len: u64| {
        let message = crate::syntax::too_large_message(&source.relative, len);
        Read::Notice(Finding::new("meta/file-too-large", 0..0, message))
    };
    if len > MAX_FILE_SIZE {
        return too_large(len);
    }
    let mut bytes = Vec::with_capacity(len as usize);
    if let Err(e) = file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes) {
        return Read::Unreadable(e.to_string());
    }
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return too_large(bytes.len() as u64);
    }
    let (text, notice) = decode(bytes, &source.relative);
    if text.as_bytes()[..text.len().min(8192)].contains(&0) {
        return Read::Skipped;
    }
    Read::Text(text, notice)
}

/// Decodes bytes as UTF-8, lossily, with a `meta/invalid-utf8` notice at the first bad byte.
pub fn decode(bytes: Vec<u8>, path: &str) -> (String, Option<Finding>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let message = format!("{path} is not valid UTF-8 (first invalid byte at offset {at}); analyzed with the invalid bytes replaced");
            let end = (at + '\u{FFFD}'.len_utf8()).min(text.len());
            (text, Some(Finding::new("meta/invalid-utf8", at..end, message)))
        }
    }
}

impl Workspace {
    /// Discovers, reads and parses every file under `root`, in parallel.
    pub fn load(root: &Path, config: Config) -> Workspace {
        let Walk { mut sources, files, unreadable, .. } = walk(root);
        let filter = config.path_filter();
        sources.retain(|s| filter.admits(&s.relative));
        let mut workspace = Workspace::load_sources(root, config, &sources);
        workspace.files = files;
        for (path, error) in unreadable {
            workspace.notices.push(unreadable_notice(&path, &error, true));
            workspace.unreadable.push((path, error));
        }
        workspace.evidence = crate::stage::EvidenceSet::load_for_rules(root);
        workspace
    }

    /// Reads and parses the given files, in parallel (the editor scans in chunks to report
    /// progress).
    pub fn load_sources(root: &Path, config: Config, sources: &[SourcePath]) -> Workspace {
        let loaded: Vec<(&SourcePath, Loaded)> = sources.par_iter().map(|s| (s, load(s))).collect();
        let mut workspace = Workspace {
            root: root.to_path_buf(),
            config,
            documents: Vec::new(),
            notices: Vec::new(),
            unreadable: Vec::new(),
            files: WorkspaceFiles::from_paths(sources.iter().map(|s| s.relative.clone())),
            unparsed: Vec::new(),
            evidence: Default::default(),
            config_notices: Default::default(),
        };
        for (source, result) in loaded {
            let path = source.relative.clone();
            match result {
                Loaded::Document(doc, notice) => {
                    workspace.documents.push(Arc::new(doc));
                    workspace.notices.extend(notice.map(|finding| FileFinding { path, finding }));
                }
                Loaded::Notice(finding) => workspace.notices.push(FileFinding { path, finding }),
                Loaded::Skipped => {}
                Loaded::Unreadable(error) => {
                    workspace.notices.push(unreadable_notice(&path, &error, false));
                    workspace.unreadable.push((path, error));
                }
            }
        }
        workspace
    }

    /// A workspace of documents already in memory (tests, editors' unsaved buffers).
    pub fn from_documents(root: &Path, config: Config, documents: impl IntoIterator<Item = Document>) -> Workspace {
        let mut documents: Vec<Arc<Document>> = documents.into_iter().map(Arc::new).collect();
        documents.sort_by(|a, b| a.path.cmp(&b.path));
        let files = WorkspaceFiles::from_paths(documents.iter().map(|d| d.path.clone()));
        Workspace {
            root: root.to_path_buf(),
            config,
            documents,
            notices: Vec::new(),
            unreadable: Vec::new(),
            files,
            unparsed: Vec::new(),
            evidence: Default::default(),
            config_notices: Default::default(),
        }
    }

    /// The document at a workspace-relative path.
    pub fn document(&self, path: &str) -> Option<&Arc<Document>> {
        self.documents.binary_search_by(|d| d.path.as_str().cmp(path)).ok().map(|i| &self.documents[i])
    }

    /// The text and line index of the file at a workspace-relative path, parsed or not.
    pub fn text_of(&self, path: &str) -> Option<(&str, &LineIndex)> {
        if let Some(doc) = self.document(path) {
            return Some((&doc.text, &doc.line_index));
        }
        let i = self.unparsed.binary_search_by(|f| f.path.as_str().cmp(path)).ok()?;
        Some((&self.unparsed[i].text, self.unparsed[i].line_index()))
    }

    /// Every read file's path and text (parsed or not).
    pub fn texts(&self) -> impl Iterator<Item = (&str, &str)> {
        let parsed = self.documents.iter().map(|d| (d.path.as_str(), &*d.text));
        parsed.chain(self.unparsed.iter().map(|u| (u.path.as_str(), &*u.text)))
    }

    /// Number of files read (parsed, taken from the cache, or noted).
    pub fn files_scanned(&self) -> usize {
        self.documents.len()
            + self.unparsed.len()
            + self.notices.iter().filter(|n| n.finding.rule == "meta/file-too-large").count()
    }

    /// Analyzes every document whose path `include` accepts, with facts from the whole workspace.
    /// Findings are sorted by path, then position, then rule id (contract §2).
    pub fn check(&self, include: impl Fn(&str) -> bool + Sync) -> Vec<FileFinding> {
        let docs: Vec<&Document> = self.documents.iter().map(|d| d.as_ref()).collect();
        let facts = WorkspaceFacts::collect_with_inputs(&docs, &self.config, &self.files, &self.evidence);
        let mut findings: Vec<FileFinding> = docs
            .par_iter()
            .filter(|d| include(&d.path))
            .flat_map_iter(|doc| {
                engine::analyze_document(doc, &self.config, &facts)
                    .into_iter()
                    .map(|finding| FileFinding { path: doc.path.clone(), finding })
            })
            .collect();
        let mut notices = crate::engine::notices::inactive_rules(&self.config, &facts, &self.files);
        notices.extend(crate::engine::notices::sql_notices(&self.config, self.texts()));
        let _ = self.config_notices.set(notices);
        self.finish_findings(&mut findings, include);
        findings
    }

    /// Adds the problems of the configuration's rule files (`meta/config` at each file, never
    /// filtered by the requested paths: a broken rule is a configuration error; those only a
    /// grammar the workspace has no file of rejects are not looked for) to `findings`,
    /// and their texts to the workspace so the renderers can place them.
    pub fn add_rule_file_problems(&mut self, findings: &mut Vec<FileFinding>) {
        let user_rules = self.config.user_rules.clone();
        let Some(rule) = crate::rules::find("meta/config") else { return };
        let Some(severity) = self.config.severity_of(rule) else { return };
        // Only the grammars the workspace has files of are compiled for their problems.
        let mut kinds: Vec<crate::syntax::FileKind> = Vec::new();
        for kind in self.files.paths().filter_map(crate::syntax::FileKind::from_path) {
            if kind.is_ecmascript() && !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        for problem in user_rules.problems_for(&kinds) {
            let mut finding = Finding::new(rule.id, problem.range.clone(), problem.message.clone());
            finding.severity = severity;
            findings.push(FileFinding { path: problem.path.clone(), finding });
            if self.text_of(&problem.path).is_none() {
                if let Some(text) = user_rules.text_of(&problem.path) {
                    let at = self.unparsed.partition_point(|f| f.path < problem.path);
                    self.unparsed.insert(at, UnparsedFile::new(problem.path.clone(), Arc::from(text)));
                }
            }
        }
        findings.sort_by(|a, b| {
            (a.path.as_str(), a.finding.range.start, a.finding.rule).cmp(&(
                b.path.as_str(),
                b.finding.range.start,
                b.finding.rule,
            ))
        });
    }

    /// Adds the loading notices `include` accepts (with their configured severity) and sorts by
    /// path, then position, then rule id (contract §2).
    fn finish_findings(&self, findings: &mut Vec<FileFinding>, include: impl Fn(&str) -> bool) {
        for notice in self.notices.iter().filter(|n| include(&n.path)) {
            let rule = crate::rules::find(notice.finding.rule);
            if let Some(severity) = rule.and_then(|r| self.config.severity_of(r)) {
                let mut notice = notice.clone();
                notice.finding.severity = severity;
                findings.push(notice);
            }
        }
        findings.sort_by(|a, b| {
            (a.path.as_str(), a.finding.range.start, a.finding.rule).cmp(&(
                b.path.as_str(),
                b.finding.range.start,
                b.finding.rule,
            ))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Escaped names are one-to-one and [`real_path`] reverses them.
    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_escape_one_to_one_and_back() {
        use std::os::unix::ffi::OsStrExt;
        let names: [&[u8]; 7] =
            [b"a.sql", b"a\xff.sql", b"a\\xff.sql", b"a\\\\.sql", b"\xfe\xff", b"x\\", b"caf\xc3\xa9\xe9"];
        let root = Path::new("/r");
        let mut seen = std::collections::HashSet::new();
        for name in names {
            let path = root.join("d").join(std::ffi::OsStr::from_bytes(name));
            let relative = relative_path(root, &path).unwrap();
            assert!(seen.insert(relative.clone()), "{relative} twice");
            assert_eq!(real_path(root, &relative), path, "{relative}");
        }
        assert_eq!(escape_name(std::ffi::OsStr::from_bytes(b"caf\xe9\\x")), "caf\\xe9\\\\x");
    }

    #[test]
    fn relative_paths_are_slash_separated_and_inside_the_root() {
        let root = Path::new("/r");
        assert_eq!(relative_path(root, Path::new("/r/app/page.tsx")).as_deref(), Some("app/page.tsx"));
        assert_eq!(relative_path(root, Path::new("/r/./app//page.tsx")).as_deref(), Some("app/page.tsx"));
        assert_eq!(relative_path(root, Path::new("/r/a/../b.ts")).as_deref(), Some("a/../b.ts"));
        assert_eq!(relative_path(root, Path::new("/r")), None);
        assert_eq!(relative_path(root, Path::new("/rr/a.ts")), None);
        assert_eq!(relative_path(root, Path::new("/other/a.ts")), None);
    }

    #[test]
    fn decode_reports_the_first_invalid_byte() {
        let (text, notice) = decode(b"select 1; -- caf\xe9\n".to_vec(), "m.sql");
        assert!(text.contains('\u{FFFD}'));
        let notice = notice.unwrap();
        assert_eq!(notice.rule, "meta/invalid-utf8");
        assert_eq!(notice.range.start, 16);
        assert!(decode(b"ok".to_vec(), "a").1.is_none());
    }

    #[test]
    fn discovery_honours_gitignore_and_skips_node_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("app/page.tsx", "export default 1;"),
            ("node_modules/pkg/index.js", "x"),
            ("dist/bundle.js", "x"),
            (".gitignore", "dist/\n"),
            ("README.md", "# hi"),
            ("docs/plan.md", "# plan"),
            (".claude/handoff/a.signal", "{}"),
        ] {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let found: Vec<String> = discover(root).into_iter().map(|s| s.relative).collect();
        assert_eq!(found, [".claude/handoff/a.signal", "app/page.tsx", "docs/plan.md"]);
    }

    #[test]
    fn large_binary_and_invalid_files_become_notices_not_crashes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("migrations")).unwrap();
        std::fs::write(root.join("migrations/1_big.sql"), vec![b'-'; MAX_FILE_SIZE as usize + 1]).unwrap();
        std::fs::write(root.join("migrations/2_bin.sql"), b"\0\x01\x02").unwrap();
        std::fs::write(root.join("migrations/3_latin1.sql"), b"-- caf\xe9\ncreate table t (id int);\n").unwrap();
        let ws = Workspace::load(root, Config::default());
        let notices: Vec<(&str, &str)> = ws.notices.iter().map(|n| (n.path.as_str(), n.finding.rule)).collect();
        assert_eq!(
            notices,
            [("migrations/1_big.sql", "meta/file-too-large"), ("migrations/3_latin1.sql", "meta/invalid-utf8")]
        );
        assert_eq!(ws.documents.len(), 1);
        assert_eq!(ws.files_scanned(), 2);
    }
}
