//! The server's state: workspace roots, their documents (from disk and open buffers), config
//! and facts. Plain data behind one `std::sync::Mutex`, never held across an `.await`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rayon::prelude::*;

use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use super::buffer::{Buffer, BufferAnalysis, Encoding};
use crate::config::{Config, ConfigError, CONFIG_FILE_NAME};
use crate::engine::facts::DocumentFacts;
use crate::engine::{Finding, WorkspaceFacts};
use crate::handoff::WorkspaceFiles;
use crate::syntax::{Document, FileKind};
use crate::workspace::{relative_path, Workspace};

/// What the client can do, read from `initialize`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientCaps {
    /// `textDocument/diagnostic` is supported: open documents are pulled, not pushed.
    pub pull_diagnostics: bool,
    /// `workspace/diagnostic/refresh` is supported.
    pub diagnostic_refresh: bool,
    /// `workspace/didChangeWatchedFiles` can be registered dynamically.
    pub watched_files_dynamic: bool,
    /// `window/workDoneProgress/create` is supported.
    pub work_done_progress: bool,
    /// `workspace/codeLens/refresh` is supported.
    pub code_lens_refresh: bool,
    /// `WorkspaceEdit.documentChanges` is supported: edits name the document version they apply to.
    pub document_changes: bool,
}

/// One document known to a root.
#[derive(Default)]
pub struct Entry {
    /// The document as read from disk (by the scan or a watched-file change), if any.
    pub disk: Option<DiskFile>,
    /// The open buffer, if the client has the document open.
    pub buffer: Option<Buffer>,
    /// This document's contribution to the facts, and what it was computed from.
    pub facts: Option<(FactsKey, Arc<DocumentFacts>)>,
}

impl Entry {
    /// The current document: the open buffer's, else the one from disk (parsed now if its tree
    /// was released; see [`DiskFile`]).
    pub fn current(&self) -> Option<Arc<Document>> {
        match &self.buffer {
            Some(buffer) => Some(buffer.doc().clone()),
            None => self.disk.as_ref().map(DiskFile::doc),
        }
    }

    /// The current document without parsing anything: the parse, or the text to parse.
    pub fn source(&self) -> Option<Source> {
        match &self.buffer {
            Some(buffer) => Some(Source::Parsed(buffer.doc().clone())),
            None => self.disk.as_ref().map(DiskFile::source),
        }
    }

    /// What the current document's facts would be keyed by.
    fn facts_key(&self) -> Option<FactsKey> {
        match (&self.buffer, &self.disk) {
            (Some(buffer), _) => Some(FactsKey::Buffer(buffer.doc().clone())),
            (None, Some(disk)) => Some(FactsKey::Disk(disk.text.clone())),
            (None, None) => None,
        }
    }
}

/// What an entry's facts were computed from: an open buffer's parse (a settled parse of the same
/// text may differ), or the text read from disk.
pub enum FactsKey {
    /// The buffer's document, by identity.
    Buffer(Arc<Document>),
    /// The disk text, by identity (a re-read makes a new one).
    Disk(Arc<str>),
}

impl FactsKey {
    /// True when both name the same document.
    fn same(&self, other: &FactsKey) -> bool {
        match (self, other) {
            (FactsKey::Buffer(a), FactsKey::Buffer(b)) => Arc::ptr_eq(a, b),
            (FactsKey::Disk(a), FactsKey::Disk(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A file as read from disk: its text, and its parse while one is needed.
///
/// Syntax trees are large (a 0.4 KiB route handler's tree takes ≈16 KiB), and a closed file's
/// tree is needed only when the file is analysed: after the scan, or when a config or facts
/// change re-evaluates it. So the parse of a closed TypeScript or JavaScript file is kept until
/// its analysis has run ([`DiskFile::release`]) and made again on demand. SQL, Markdown, JSON and
/// signal files keep theirs: every change to one of them re-reads all of their kind (migration
/// replay, the plan), and they are few.
pub struct DiskFile {
    path: String,
    kind: FileKind,
    text: Arc<str>,
    parsed: Option<Arc<Document>>,
}

impl DiskFile {
    /// A file whose parse is kept (until [`DiskFile::release`], for the kinds that release it).
    pub fn new(doc: impl Into<Arc<Document>>) -> DiskFile {
        let doc = doc.into();
        DiskFile { path: doc.path.clone(), kind: doc.kind, text: doc.text.clone(), parsed: Some(doc) }
    }

    /// The parsed document: the kept parse, else a fresh one (not kept).
    pub fn doc(&self) -> Arc<Document> {
        match &self.parsed {
            Some(doc) => doc.clone(),
            None => Arc::new(Document::parse(self.path.clone(), self.kind, self.text.clone())),
        }
    }

    /// The parsed document, parsing it now if needed and keeping the parse.
    fn keep_parse(&mut self) -> Arc<Document> {
        let (path, kind, text) = (&self.path, self.kind, &self.text);
        self.parsed.get_or_insert_with(|| Arc::new(Document::parse(path.clone(), kind, text.clone()))).clone()
    }

    /// The kept parse, or the text to parse.
    pub fn source(&self) -> Source {
        match &self.parsed {
            Some(doc) => Source::Parsed(doc.clone()),
            None => Source::Text { path: self.path.clone(), kind: self.kind, text: self.text.clone() },
        }
    }

    /// Whether the parse is kept now.
    pub fn is_parsed(&self) -> bool {
        self.parsed.is_some()
    }

    /// Drops the kept parse, for the kinds that are parsed on demand (see [`DiskFile`]).
    pub fn release(&mut self) {
        if self.kind.is_ecmascript() {
            self.parsed = None;
        }
    }
}

/// A document to analyse: parsed already, or its text to parse where the work is done (off the
/// state lock).
#[derive(Clone)]
pub enum Source {
    /// A parse in hand.
    Parsed(Arc<Document>),
    /// The text of a file whose tree was released.
    Text {
        /// Workspace-relative path.
        path: String,
        /// Its kind.
        kind: FileKind,
        /// Its text.
        text: Arc<str>,
    },
}

impl Source {
    /// The parsed document (parsing it now for [`Source::Text`]).
    pub fn doc(&self) -> Arc<Document> {
        match self {
            Source::Parsed(doc) => doc.clone(),
            Source::Text { path, kind, text } => Arc::new(Document::parse(path.clone(), *kind, text.clone())),
        }
    }
}

/// Why a change to an open document is not analysed: the `include` / `exclude` globs leave the
/// file out (not an error; not logged).
pub const LEFT_OUT: &str = "left out by include/exclude";

/// A workspace folder (or, in single-file mode, the folder of a file opened outside any).
pub struct Root {
    /// Absolute path.
    pub path: PathBuf,
    /// The configuration in force (defaults while `config_error` is set).
    pub config: Arc<Config>,
    /// Why `baton.toml` could not be used, shown as a diagnostic in it.
    pub config_error: Option<ConfigError>,
    /// The configuration's `include` / `exclude` globs, compiled once per load.
    pub filter: crate::path_filter::PathFilter,
    /// Open buffers of files the globs leave out: kept (with their edits) so that a changed
    /// configuration can bring them back without the client reopening them.
    pub parked: BTreeMap<String, Buffer>,
    /// Paths the globs took out of the analysis since diagnostics were last cleared for them.
    pub cleared: Vec<String>,
    /// The globs changed: files they now admit must be read from disk (a new scan).
    pub rescan: bool,
    /// Documents by workspace-relative path.
    pub entries: BTreeMap<String, Entry>,
    /// Facts assembled from the entries.
    pub facts: Arc<WorkspaceFacts>,
    /// Bumped by every document change; facts record the revision they were computed at.
    pub revision: u64,
    /// The revision `facts` reflects.
    pub facts_revision: u64,
    /// How many entries contributed to `facts` (a removed document changes the facts too).
    contributing: usize,
    /// True for a real workspace folder (scanned); false for a single-file root.
    pub scanned: bool,
    /// False while the folder's first scan (and the git change times after it) is under way:
    /// code lenses and inlay hints asked for meanwhile wait for it.
    pub scan_complete: bool,
    /// Whether the client trusts this folder ([`Trust`]): only then may a workflow command run
    /// what its `baton.toml` configures. A single-file root (a file outside every folder) never is.
    pub trusted: bool,
    /// Paths whose last published diagnostics were not empty.
    pub published: HashSet<String>,
    /// Every file the scan saw (any kind), for the handoff checks of named files.
    pub files: WorkspaceFiles,
    /// The handoffs changed since code lenses were last refreshed (lenses on source files show
    /// them).
    pub lenses_stale: bool,
    /// Workflow evidence (`.baton/evidence/`) and the git state, read when the root is created
    /// and after every workflow command; handed to the plan rules as data.
    pub evidence: Arc<crate::stage::EvidenceSet>,
    /// Rule files (`.baton/rules/`) whose `meta/config` diagnostics were last published.
    pub rule_problem_files: Vec<String>,
}

impl Root {
    /// A root with its configuration loaded; documents come from the scan and the client.
    pub fn new(path: PathBuf, scanned: bool) -> Root {
        let mut root = Root {
            path,
            config: Arc::new(Config::default()),
            config_error: None,
            filter: crate::path_filter::PathFilter::default(),
            parked: BTreeMap::new(),
            cleared: Vec::new(),
            rescan: false,
            entries: BTreeMap::new(),
            facts: Arc::new(WorkspaceFacts::default()),
            revision: 1,
            facts_revision: 0,
            contributing: 0,
            scanned,
            scan_complete: !scanned,
            trusted: false,
            published: HashSet::new(),
            files: WorkspaceFiles::default(),
            lenses_stale: false,
            evidence: Arc::new(crate::stage::EvidenceSet::default()),
            rule_problem_files: Vec::new(),
        };
        root.reload_config();
        root.reload_evidence();
        root
    }

    /// Re-reads `baton.toml` from disk (or from the open buffer); returns true when it changed.
    pub fn reload_config(&mut self) -> bool {
        let path = self.path.join(CONFIG_FILE_NAME);
        let loaded = if path.is_file() { Some(Config::load(&path)) } else { None };
        let (mut config, error) = match loaded {
            None => (Config::default(), None),
            Some(Ok(config)) => (config, None),
            Some(Err(error)) => (Config::default(), Some(error)),
        };
        // User rules are data (never a program): read in untrusted folders too.
        crate::workspace::user_rules::attach(&self.path, &mut config);
        let changed = self.config_error != error || format!("{:?}", self.config) != format!("{config:?}");
        let globs_changed = (&self.config.include, &self.config.exclude) != (&config.include, &config.exclude);
        self.filter = config.path_filter();
        self.config = Arc::new(config);
        self.config_error = error;
        self.revision += 1;
        if globs_changed {
            self.refilter();
        }
        changed
    }

    /// Applies changed `include` / `exclude` globs: documents now left out leave the analysis
    /// (their paths go to [`Root::cleared`], open buffers to [`Root::parked`]), parked buffers
    /// now admitted come back, and a scanned root is marked for a new scan ([`Root::rescan`]).
    fn refilter(&mut self) {
        let left_out: Vec<String> = self.entries.keys().filter(|p| !self.filter.admits(p)).cloned().collect();
        for path in left_out {
            if let Some(entry) = self.entries.remove(&path) {
                if let Some(buffer) = entry.buffer {
                    self.parked.insert(path.clone(), buffer);
                }
                self.cleared.push(path);
            }
        }
        let admitted: Vec<String> = self.parked.keys().filter(|p| self.filter.admits(p)).cloned().collect();
        for path in admitted {
            if let Some(buffer) = self.parked.remove(&path) {
                self.entries.entry(path).or_default().buffer = Some(buffer);
            }
        }
        self.rescan = self.scanned;
    }

    /// True when `path` (absolute) is a rule file or query file of this root's user rules.
    pub fn is_rule_file(&self, path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "toml" || e == "scm")
            && self.config.user_rules_config.folders.iter().any(|f| path.starts_with(self.path.join(f)))
    }

    /// Re-reads the workflow evidence and git state (git only when there is evidence to judge);
    /// the next analysis re-runs the plan rules.
    pub fn reload_evidence(&mut self) {
        self.set_evidence(crate::stage::EvidenceSet::load_for_rules(&self.path));
    }

    /// Replaces the workflow evidence (read elsewhere); the next analysis re-runs the plan rules.
    pub fn set_evidence(&mut self, evidence: crate::stage::EvidenceSet) {
        self.evidence = Arc::new(evidence);
        self.facts_revision = 0;
        self.revision += 1;
    }

    /// Replaces the disk documents with a fresh scan's. `facts` are the facts of the scanned
    /// TypeScript/JavaScript files, computed under `config` while their trees were at hand: when
    /// `config` is still the one in force, a closed file takes them and its tree is dropped at
    /// once (parsed again by the first analysis job, one file at a time), so the scan never
    /// holds every tree of the workspace (see [`DiskFile`]).
    pub fn install_scan(
        &mut self,
        workspace: Workspace,
        mut facts: std::collections::HashMap<String, DocumentFacts>,
        config: &Arc<Config>,
    ) {
        let current = Arc::ptr_eq(&self.config, config);
        for doc in workspace.documents {
            let path = doc.path.clone();
            let entry = self.entries.entry(path).or_default();
            let mut disk = DiskFile::new(doc);
            if let Some(found) = facts.remove(&disk.path).filter(|_| current && entry.buffer.is_none()) {
                entry.facts = Some((FactsKey::Disk(disk.text.clone()), Arc::new(found)));
                disk.release();
            }
            entry.disk = Some(disk);
        }
        self.revision += 1;
    }

    /// The current documents of the kinds every change of one re-reads together (`kinds`),
    /// parsed.
    fn documents_of(&self, kinds: impl Fn(FileKind) -> bool) -> Vec<Arc<Document>> {
        let wanted = |path: &String| FileKind::from_path(path).is_some_and(&kinds);
        self.entries.iter().filter(|(path, _)| wanted(path)).filter_map(|(_, e)| e.current()).collect()
    }

    /// Drops the tree of `path` if the document is closed and its kind is parsed on demand (see
    /// [`DiskFile`]): called once its analysis has run.
    pub fn release_tree(&mut self, path: &str) {
        if let Some(entry) = self.entries.get_mut(path).filter(|e| e.buffer.is_none()) {
            if let Some(disk) = entry.disk.as_mut() {
                disk.release();
            }
        }
    }

    /// Recomputes the facts when documents changed since they were last computed. Per-document
    /// contributions are cached; SQL findings are recomputed only when a SQL document changed.
    /// Returns the paths whose findings may have changed, or `None` for "all of them".
    pub fn refresh_facts(&mut self) -> Option<HashSet<String>> {
        if self.facts_revision == self.revision {
            return Some(HashSet::new());
        }
        let config = self.config.clone();
        // The entries whose document changed since their facts were computed. A closed file
        // whose tree was released is parsed again and keeps the parse until an analysis job
        // releases it (every changed path is in the returned set, for the job to analyse).
        let stale: Vec<(&String, &mut Entry, FactsKey)> = self
            .entries
            .iter_mut()
            .filter_map(|(path, entry)| {
                let key = entry.facts_key()?;
                let fresh = entry.facts.as_ref().is_some_and(|(old, _)| old.same(&key));
                (!fresh).then_some((path, entry, key))
            })
            .collect();
        // An edit changes one entry: no thread hop for it.
        let recomputed: Vec<_> = match stale.len() > PARALLEL_FACTS {
            true => stale
                .into_par_iter()
                .filter_map(|(p, e, k)| recompute_facts(e, &config).map(|r| (p, e, k, r)))
                .collect(),
            false => {
                stale.into_iter().filter_map(|(p, e, k)| recompute_facts(e, &config).map(|r| (p, e, k, r))).collect()
            }
        };
        let mut sql_changed = false;
        let mut plan_changed = false;
        let mut changed_paths = HashSet::new();
        // The module keys of the documents whose contributions changed.
        let mut edited: Vec<String> = Vec::new();
        for (path, entry, key, (current, new)) in recomputed {
            changed_paths.insert(path.clone());
            sql_changed |= current.kind == FileKind::Sql;
            plan_changed |= WorkspaceFacts::feeds_plan(current.kind);
            if entry.facts.as_ref().is_none_or(|(_, old)| !Arc::ptr_eq(old, &new) && *old != new) {
                edited.push(crate::engine::ecma::module_key(path).to_string());
            }
            entry.facts = Some((key, new));
        }
        // A removed document's contribution is gone too.
        let contributing = self.entries.values().filter(|e| e.facts.is_some()).count();
        let contributions_changed = !edited.is_empty() || contributing != self.contributing;
        self.contributing = contributing;
        let first_time = self.facts_revision == 0;
        if !contributions_changed && !sql_changed && !plan_changed && !first_time {
            // An edit that changed no document's contribution (typing inside a function body,
            // mostly): the workspace facts stand as they are, and only the edited documents are
            // analysed again.
            self.facts_revision = self.revision;
            return Some(changed_paths);
        }
        let mut facts = WorkspaceFacts::assemble_after(
            self.entries.values().filter_map(|e| e.facts.as_ref().map(|(_, f)| f.as_ref())),
            &self.facts,
        );
        if sql_changed || first_time {
            let docs = self.documents_of(|kind| kind == FileKind::Sql);
            let refs: Vec<&Document> = docs.iter().map(|d| d.as_ref()).collect();
            (facts.sql_findings, facts.migrations_model) = WorkspaceFacts::sql_findings_and_base(&refs, &config);
            for path in self.facts.sql_findings.keys().chain(facts.sql_findings.keys()) {
                if self.facts.sql_findings.get(path) != facts.sql_findings.get(path) {
                    changed_paths.insert(path.clone());
                }
            }
            // The SQL blocks of documents are replayed on top of the migrations: re-check them.
            if facts.migrations_model != self.facts.migrations_model {
                for doc in self.documents_of(|kind| kind == FileKind::Markdown) {
                    if crate::engine::embedded::has_sql_block(&doc.text) {
                        changed_paths.insert(doc.path.clone());
                    }
                }
            }
        } else {
            facts.sql_findings = self.facts.sql_findings.clone();
            facts.migrations_model = self.facts.migrations_model.clone();
        }
        if plan_changed || first_time {
            let docs = self.documents_of(WorkspaceFacts::feeds_plan);
            let refs: Vec<&Document> = docs.iter().map(|d| d.as_ref()).collect();
            // Every document counts as an existing file for the handoffs, open or not.
            let mut files = self.files.clone();
            self.entries.keys().for_each(|path| files.insert(path.clone()));
            (facts.plan, facts.handoffs, facts.plan_findings) =
                WorkspaceFacts::plan_facts_with_inputs(&refs, &config, &files, &self.evidence);
            self.lenses_stale |= !first_time && facts.handoffs != self.facts.handoffs;
            for path in self.facts.plan_findings.keys().chain(facts.plan_findings.keys()) {
                if self.facts.plan_findings.get(path) != facts.plan_findings.get(path) {
                    changed_paths.insert(path.clone());
                }
            }
        } else {
            facts.plan = self.facts.plan.clone();
            facts.handoffs = self.facts.handoffs.clone();
            facts.plan_findings = self.facts.plan_findings.clone();
        }
        facts.continue_epoch(&self.facts);
        // What other files read of the facts changed: they are analysed again too.
        let edited: HashSet<&str> = edited.iter().map(String::as_str).collect();
        let cross_file = contributions_changed && facts.cross_file_change(&self.facts, &edited);
        self.facts = Arc::new(facts);
        self.facts_revision = self.revision;
        if first_time || cross_file {
            None
        } else {
            Some(changed_paths)
        }
    }
}

/// Above this many changed documents, their facts are recomputed in parallel.
const PARALLEL_FACTS: usize = 64;

/// The facts of `entry`'s current document, and that document. A closed file whose tree was
/// released is parsed again and keeps the parse until its analysis runs.
fn recompute_facts(entry: &mut Entry, config: &Config) -> Option<(Arc<Document>, Arc<DocumentFacts>)> {
    let current = match entry.disk.as_mut().filter(|_| entry.buffer.is_none()) {
        Some(disk) => disk.keep_parse(),
        None => entry.current()?,
    };
    // An open buffer's statement facts, summaries and rejection summaries are remembered; when a
    // job is analysing it right now, compute them afresh rather than wait with the state locked.
    let cached = entry
        .buffer
        .as_ref()
        .filter(|_| current.kind.is_ecmascript())
        .and_then(|b| b.analysis.try_lock().ok().map(|mut a| a.cache.document_facts(&current, config)));
    let facts = cached.unwrap_or_else(|| Arc::new(DocumentFacts::collect(&current, config)));
    Some((current, facts))
}

/// All the server knows.
pub struct State {
    /// Column encoding negotiated in `initialize`.
    pub encoding: Encoding,
    /// Client capabilities that change behaviour.
    pub caps: ClientCaps,
    /// Which workspace folders the client declared trusted (`initializationOptions.trusted`).
    pub trust: Trust,
    /// Workspace roots, most specific first when nested.
    pub roots: Vec<Root>,
    /// Whether a panic was already shown to the user (shown once, logged always).
    pub panic_shown: bool,
    /// With test hooks only: how long each root's scan waits before it starts
    /// (`initializationOptions.debugScanDelayMs`), to test requests that arrive during a scan.
    pub test_scan_delay: std::time::Duration,
}

impl Default for State {
    fn default() -> Self {
        State {
            encoding: Encoding::Utf16,
            caps: ClientCaps::default(),
            trust: Trust::default(),
            roots: Vec::new(),
            panic_shown: false,
            test_scan_delay: std::time::Duration::ZERO,
        }
    }
}

/// Which workspace folders the client trusts, from `initializationOptions.trusted`
/// (docs/editor-protocol.md): `true` — every workspace folder it opens; a list of folder URIs —
/// exactly those; absent, `false` or anything else — none. Files outside every folder are never
/// trusted, whatever the client says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// No folder is trusted.
    #[default]
    Nothing,
    /// Every workspace folder (also those added later).
    AllFolders,
    /// These folders only.
    Folders(Vec<PathBuf>),
}

impl Trust {
    /// Reads the `trusted` initialization option.
    pub fn from_option(value: Option<&serde_json::Value>) -> Trust {
        match value {
            Some(serde_json::Value::Bool(true)) => Trust::AllFolders,
            Some(serde_json::Value::Array(items)) => Trust::Folders(
                items
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .filter_map(|u| u.parse::<Uri>().ok())
                    .filter_map(|u| uri_path(&u))
                    .collect(),
            ),
            _ => Trust::Nothing,
        }
    }

    /// Whether the workspace folder at `folder` is trusted.
    pub fn covers(&self, folder: &Path) -> bool {
        match self {
            Trust::Nothing => false,
            Trust::AllFolders => true,
            Trust::Folders(folders) => folders.iter().any(|f| f == folder),
        }
    }
}

/// Where a URI lives: the index of its root and its root-relative path.
pub type Location = (usize, String);

/// The file path of a `file:` URI.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

impl State {
    /// Adds a workspace folder (ignored when already present).
    pub fn add_root(&mut self, path: PathBuf, scanned: bool) -> usize {
        if let Some(i) = self.roots.iter().position(|r| r.path == path) {
            return i;
        }
        let trusted = scanned && self.trust.covers(&path);
        let mut root = Root::new(path, scanned);
        root.trusted = trusted;
        self.roots.push(root);
        self.roots.len() - 1
    }

    /// Finds (or, for a file outside every folder, creates) the root of `path`.
    pub fn locate(&mut self, path: &Path) -> Option<Location> {
        let best = self
            .roots
            .iter()
            .enumerate()
            .filter(|(_, r)| path.starts_with(&r.path))
            .max_by_key(|(_, r)| r.path.components().count())
            .map(|(i, _)| i);
        let index = match best {
            Some(i) => i,
            None => {
                // Single-file mode: the nearest folder with a baton.toml, else the file's folder.
                let dir = Config::discover(path)
                    .and_then(|c| c.parent().map(Path::to_path_buf))
                    .or_else(|| path.parent().map(Path::to_path_buf))?;
                self.add_root(dir, false)
            }
        };
        let relative = relative_path(&self.roots[index].path, path)?;
        Some((index, relative))
    }

    /// The kind of the file at `relative` in root `root` when Baton analyses it: a kind it reads,
    /// not left out by the root's `include` / `exclude` globs.
    fn analysed_kind(&self, root: usize, relative: &str) -> Option<FileKind> {
        let kind = FileKind::from_path(relative)?;
        self.roots[root].filter.admits(relative).then_some(kind)
    }

    /// The URI of a root-relative path (escaped names turned back into the file's real name).
    pub fn uri_of(&self, root: usize, relative: &str) -> Option<Uri> {
        Uri::from_file_path(crate::workspace::real_path(&self.roots[root].path, relative))
    }

    /// `textDocument/didOpen`: starts tracking a buffer. Returns its location when Baton reads
    /// this kind of file.
    pub fn open(&mut self, uri: &Uri, text: &str, version: i32) -> Option<Location> {
        let path = uri_path(uri)?;
        let (root, relative) = self.locate(&path)?;
        let kind = FileKind::from_path(&relative)?;
        let r = &mut self.roots[root];
        let buffer = Buffer::open(relative.clone(), kind, text, version);
        if !r.filter.admits(&relative) {
            r.parked.insert(relative, buffer);
            return None;
        }
        let entry = r.entries.entry(relative.clone()).or_default();
        entry.buffer = Some(buffer);
        r.revision += 1;
        Some((root, relative))
    }

    /// What a changed file on disk means for workflow evidence (see [`EvidenceChange`]).
    pub fn evidence_change(&self, path: &Path) -> EvidenceChange {
        let Some((index, root)) = self.roots.iter().enumerate().find(|(_, r)| path.starts_with(&r.path)) else {
            return EvidenceChange::None;
        };
        let relative = path.strip_prefix(&root.path).unwrap_or(path);
        let first = relative.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned());
        match first.as_deref() {
            Some(".baton") | Some(".git") => EvidenceChange::Only(index),
            // Any other change moves the working tree, which evidence is judged against.
            _ if !root.evidence.by_item.is_empty() => EvidenceChange::Also(index),
            _ => EvidenceChange::None,
        }
    }

    /// `textDocument/didChange`. Changes older than (or as old as) the buffer are dropped.
    pub fn change(
        &mut self,
        uri: &Uri,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
    ) -> Result<Location, String> {
        let encoding = self.encoding;
        let path = uri_path(uri).ok_or("not a file URI")?;
        let (root, relative) = self.locate(&path).ok_or("outside every workspace")?;
        let r = &mut self.roots[root];
        if let Some(parked) = r.parked.get_mut(&relative) {
            if version > parked.version {
                parked.apply_changes(changes, version, encoding);
            }
            return Err(LEFT_OUT.to_string());
        }
        let buffer = r
            .entries
            .get_mut(&relative)
            .and_then(|e| e.buffer.as_mut())
            .ok_or("change for a document that is not open")?;
        if version <= buffer.version {
            return Err(format!("stale change (version {version}, have {})", buffer.version));
        }
        buffer.apply_changes(changes, version, encoding);
        r.revision += 1;
        Ok((root, relative))
    }

    /// `textDocument/didClose`: forgets the buffer; the document reverts to its disk state.
    pub fn close(&mut self, uri: &Uri) -> Option<Location> {
        let path = uri_path(uri)?;
        let (root, relative) = self.locate(&path)?;
        let r = &mut self.roots[root];
        if r.parked.remove(&relative).is_some() {
            return None;
        }
        let entry = r.entries.get_mut(&relative)?;
        entry.buffer.take()?;
        if r.scanned {
            let kind = FileKind::from_path(&relative)?;
            entry.disk = read_document(&path, &relative, kind).map(DiskFile::new);
        }
        if entry.disk.is_none() {
            r.entries.remove(&relative);
        }
        r.revision += 1;
        Some((root, relative))
    }

    /// A file changed on disk (watched files): re-read it unless it is open.
    pub fn disk_changed(&mut self, path: &Path) -> Option<Location> {
        let (root, relative) = self.locate(path)?;
        let kind = self.analysed_kind(root, &relative)?;
        let r = &mut self.roots[root];
        let doc = read_document(path, &relative, kind).map(DiskFile::new);
        match (r.entries.get_mut(&relative), doc) {
            (Some(entry), doc) if entry.buffer.is_some() => {
                // Shown again only when the buffer closes, which re-reads the file.
                entry.disk = doc.map(|mut disk| {
                    disk.release();
                    disk
                })
            }
            (Some(_), None) => {
                r.entries.remove(&relative);
            }
            (Some(entry), Some(doc)) => entry.disk = Some(doc),
            (None, Some(doc)) => {
                r.files.insert(relative.clone());
                r.entries.insert(relative.clone(), Entry { disk: Some(doc), buffer: None, facts: None });
            }
            (None, None) => return None,
        }
        r.revision += 1;
        Some((root, relative))
    }
}

/// What re-analysing one document of a root with another text needs (the passes of "fix all"):
/// the root's facts, and the documents whose cross-file facts that text feeds (the migrations
/// replayed together for SQL, the plan documents for Markdown and handoffs).
pub struct PatchInputs {
    config: Arc<Config>,
    facts: Arc<WorkspaceFacts>,
    docs: Vec<Arc<Document>>,
    files: WorkspaceFiles,
    evidence: Arc<crate::stage::EvidenceSet>,
}

impl Root {
    /// The inputs to re-analyse a document of `kind` with another text ([`PatchInputs::facts_for`]).
    pub fn patch_inputs(&self, kind: FileKind) -> PatchInputs {
        let (docs, files) = if kind == FileKind::Sql {
            (self.documents_of(|k| k == FileKind::Sql), WorkspaceFiles::default())
        } else if WorkspaceFacts::feeds_plan(kind) {
            let mut files = self.files.clone();
            self.entries.keys().for_each(|path| files.insert(path.clone()));
            (self.documents_of(WorkspaceFacts::feeds_plan), files)
        } else {
            (Vec::new(), WorkspaceFiles::default())
        };
        PatchInputs {
            config: self.config.clone(),
            facts: self.facts.clone(),
            docs,
            files,
            evidence: self.evidence.clone(),
        }
    }
}

impl PatchInputs {
    /// The configuration in force.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// The workspace facts with `doc` standing for the document at its path: the SQL findings
    /// replayed again for a SQL document, the plan facts read again for a plan document. A code
    /// file's own findings come from its text; its cross-file facts are kept.
    pub fn facts_for(&self, doc: &Arc<Document>) -> Arc<WorkspaceFacts> {
        let f = &self.facts;
        if doc.kind != FileKind::Sql && !WorkspaceFacts::feeds_plan(doc.kind) {
            return f.clone();
        }
        let mut docs: Vec<&Document> =
            self.docs.iter().map(|d| if d.path == doc.path { doc.as_ref() } else { d.as_ref() }).collect();
        if !self.docs.iter().any(|d| d.path == doc.path) {
            docs.push(doc.as_ref());
        }
        let mut facts = WorkspaceFacts {
            rls_wrappers_in_use: f.rls_wrappers_in_use.clone(),
            rls_wrapper_aliases: f.rls_wrapper_aliases.clone(),
            async_exports: f.async_exports.clone(),
            never_reject_exports: f.never_reject_exports.clone(),
            service_client_exports: f.service_client_exports.clone(),
            graph: f.graph.clone(),
            summaries: f.summaries.clone(),
            guard_exports: f.guard_exports.clone(),
            sql_findings: f.sql_findings.clone(),
            migrations_model: f.migrations_model.clone(),
            plan: f.plan.clone(),
            handoffs: f.handoffs.clone(),
            plan_findings: f.plan_findings.clone(),
            code_epoch: f.code_epoch,
            // Facts for one document's analysis: no successor is assembled from them.
            resolution: std::sync::Mutex::new(None),
        };
        if doc.kind == FileKind::Sql {
            (facts.sql_findings, facts.migrations_model) = WorkspaceFacts::sql_findings_and_base(&docs, &self.config);
        } else {
            (facts.plan, facts.handoffs, facts.plan_findings) =
                WorkspaceFacts::plan_facts_with_inputs(&docs, &self.config, &self.files, &self.evidence);
        }
        Arc::new(facts)
    }
}

/// What a changed file on disk means for a root's workflow evidence.
pub enum EvidenceChange {
    /// Nothing: no root, or a root without evidence.
    None,
    /// The file is evidence or git state (`.baton/`, `.git/`): reload the evidence, nothing else.
    Only(usize),
    /// A workspace file of a root that has evidence: reload it, and handle the file as usual.
    Also(usize),
}

/// Reads and parses a file the way the workspace scan does.
fn read_document(path: &Path, relative: &str, kind: FileKind) -> Option<Document> {
    let metadata = std::fs::metadata(path).ok()?;
    if metadata.len() > crate::workspace::MAX_FILE_SIZE {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let (text, _) = crate::workspace::decode(bytes, relative);
    Some(Document::parse(relative.to_string(), kind, text))
}

/// The findings of `doc` in `root`, with panics in the analysis caught. An open buffer's
/// `analysis` makes it incremental (and remembers the result); a cache left behind by a panic is
/// discarded.
pub fn analyze(
    doc: &Arc<Document>,
    config: &Arc<Config>,
    facts: &Arc<WorkspaceFacts>,
    analysis: Option<&Mutex<BufferAnalysis>>,
) -> Result<Arc<Vec<Finding>>, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match analysis {
        Some(analysis) => lock_analysis(analysis).findings(doc, config, facts),
        None => Arc::new(crate::engine::analyze_document(doc, config, facts)),
    }))
    .map_err(|panic| panic_message(&panic))
}

/// Locks a buffer's analysis; one poisoned by a panic mid-analysis is reset, not trusted.
fn lock_analysis(analysis: &Mutex<BufferAnalysis>) -> MutexGuard<'_, BufferAnalysis> {
    match analysis.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            analysis.clear_poison();
            let mut guard = poisoned.into_inner();
            *guard = BufferAnalysis::default();
            guard
        }
    }
}

/// The message of a caught panic.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn insert(line: u32, character: u32, text: &str) -> TextDocumentContentChangeEvent {
        let at = Position::new(line, character);
        TextDocumentContentChangeEvent {
            range: Some(Range { start: at, end: at }),
            range_length: None,
            text: text.into(),
        }
    }

    /// The workspace facts are reassembled only when a document's contribution changed, and
    /// every file is analysed again only when what other files read of them changed.
    #[test]
    fn the_workspace_facts_follow_only_the_changes_that_matter_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let mut state = State::default();
        state.add_root(root.clone(), true);
        let jobs = Uri::from_file_path(root.join("lib/jobs.ts")).unwrap();
        let app = Uri::from_file_path(root.join("app/run.ts")).unwrap();
        state.open(&jobs, "export function log() {\n  return fetch(\"/log\");\n}\n", 1).unwrap();
        state.open(&app, "import { log } from \"../lib/jobs\";\n\nexport function run() {\n  log();\n}\n", 1).unwrap();
        assert_eq!(state.roots[0].refresh_facts(), None, "the first facts: every file is analysed");
        let only_jobs = Some(HashSet::from(["lib/jobs.ts".to_string()]));

        // A comment typed inside the body changes no contribution: the same facts, this file only.
        let before = state.roots[0].facts.clone();
        state.change(&jobs, &[insert(1, 2, "// x\n  ")], 2).unwrap();
        assert_eq!(state.roots[0].refresh_facts(), only_jobs);
        assert!(Arc::ptr_eq(&before, &state.roots[0].facts), "the facts were reassembled");

        // A local helper: the facts are reassembled, but other files read nothing of it.
        state.change(&jobs, &[insert(4, 0, "function helper() {\n  return 1;\n}\n")], 3).unwrap();
        assert_eq!(state.roots[0].refresh_facts(), only_jobs);
        assert!(!Arc::ptr_eq(&before, &state.roots[0].facts));
        assert_eq!(state.roots[0].facts.local_summary_unrecorded("lib/jobs.ts", "helper"), Default::default());

        // `log` becomes async: the importer's call is now a floating promise, so every file goes.
        state.change(&jobs, &[insert(0, 7, "async ")], 4).unwrap();
        assert_eq!(state.roots[0].refresh_facts(), None);
        assert!(state.roots[0].facts.exports_async_unrecorded("app/run.ts", "../lib/jobs", "log"));

        // The module is closed and gone from disk: its exports go with it.
        state.close(&jobs).unwrap();
        assert_eq!(state.roots[0].refresh_facts(), None);
        assert!(!state.roots[0].facts.exports_async_unrecorded("app/run.ts", "../lib/jobs", "log"));
    }
}
