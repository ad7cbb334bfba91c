//! The content-addressed analysis cache of `baton check` (in the style of ruff's).
//!
//! One file per (Baton build, configuration) under `<root>/.baton/cache/`, read whole at the
//! start of a run and replaced atomically (temp file + rename) at the end. It holds, by path:
//!
//! - a file's [`DocumentFacts`] and the module specifiers it imports, valid while the file's
//!   content hash is the same (facts depend on the content, the path and the configuration only);
//! - a file's findings, valid while the digest of its content **and of the workspace facts they
//!   depend on** is the same ([`dependency_digest`]);
//! - each migration sequence's SQL findings, valid while the ordered (path, content hash) list of
//!   the sequence is the same.
//!
//! Only TS/JS and SQL files are cached. Every other kind (Markdown, JSON, signals, and any kind
//! added later) is parsed and analysed on every run: safe by default. A cache that cannot be read
//! or decoded is treated as empty and overwritten; nothing here panics on bad input. See
//! docs/cache.md.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::engine::ecma::Export;
use crate::engine::facts::DocumentFacts;
use crate::engine::{Finding, Fix, TextEdit, WorkspaceFacts};
use crate::rules::{self, Severity};
use crate::syntax::FileKind;

/// Where the cache lives, relative to the workspace root.
pub const CACHE_DIR: &str = ".baton/cache";

/// Bumped whenever the stored layout changes.
const FORMAT: u32 = 2;

/// A blake3 digest.
pub type Digest = [u8; 32];

/// The content hash of a file's text.
pub fn content_hash(text: &str) -> Digest {
    *blake3::hash(text.as_bytes()).as_bytes()
}

/// True for the file kinds whose results the cache keeps (and knows the dependencies of).
pub fn is_cached_kind(kind: FileKind) -> bool {
    kind.is_ecmascript() || kind == FileKind::Sql
}

/// Hits and misses of one run, for tests and `BATON_CACHE_STATS`.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// 1 when the whole report came from the output cache (see `output_cache.rs`): nothing
    /// else was looked up.
    pub output_hits: AtomicUsize,
    /// 1 when the remembered walk still held and the workspace was not walked (`walk_cache.rs`).
    pub walks_reused: AtomicUsize,
    /// Files read from disk (a run that knew every file unchanged from its signature reads none).
    pub files_read: AtomicUsize,
    /// Per-file facts read from the cache.
    pub facts_hits: AtomicUsize,
    /// Per-file facts computed (file parsed).
    pub facts_misses: AtomicUsize,
    /// Per-file findings read from the cache.
    pub findings_hits: AtomicUsize,
    /// Per-file findings computed.
    pub findings_misses: AtomicUsize,
    /// Migration sequences whose SQL findings were read from the cache.
    pub sql_hits: AtomicUsize,
    /// Migration sequences replayed.
    pub sql_misses: AtomicUsize,
    /// Files parsed in this run (cached kinds and the kinds that are never cached).
    pub parsed: AtomicUsize,
    /// Files analysed right after parsing whose findings were computed again because the
    /// workspace facts guessed for them proved wrong (see `cached_check.rs`).
    pub guesses_wrong: AtomicUsize,
    /// TypeScript/JavaScript files neither parsed nor analysed: no rule can fire on them and no
    /// analysed file reads their facts (`engine::prefilter`).
    pub prefiltered: AtomicUsize,
}

impl CacheStats {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// One line, `key=value` pairs, as printed to stderr under `BATON_CACHE_STATS=1`.
    pub fn line(&self) -> String {
        let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        format!(
            "baton-cache-stats: output_hit={} walk_reused={} files_read={} facts_hit={} facts_miss={} findings_hit={} findings_miss={} sql_hit={} sql_miss={} parsed={} guesses_wrong={} prefiltered={}",
            get(&self.output_hits),
            get(&self.walks_reused),
            get(&self.files_read),
            get(&self.facts_hits),
            get(&self.facts_misses),
            get(&self.findings_hits),
            get(&self.findings_misses),
            get(&self.sql_hits),
            get(&self.sql_misses),
            get(&self.parsed),
            get(&self.guesses_wrong),
            get(&self.prefiltered),
        )
    }
}

/// Everything the cache file holds.
#[derive(Default, Serialize, Deserialize)]
struct CacheData {
    format: u32,
    /// The build-and-configuration digest this file belongs to (also its name).
    base: Digest,
    facts: HashMap<String, FactsEntry>,
    findings: HashMap<String, FindingsEntry>,
    sequences: HashMap<String, SequenceEntry>,
}

#[derive(Clone, Serialize, Deserialize)]
struct FactsEntry {
    content: Digest,
    facts: StoredFacts,
    imports: Vec<String>,
}

#[derive(Clone, Serialize, Deserialize)]
struct FindingsEntry {
    key: Digest,
    findings: Vec<StoredFinding>,
}

#[derive(Clone, Serialize, Deserialize)]
struct SequenceEntry {
    key: Digest,
    findings: Vec<(String, Vec<StoredFinding>)>,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredFacts {
    rls_wrappers: BTreeSet<String>,
    rls_wrapper_aliases: BTreeSet<String>,
    async_exports: (String, BTreeSet<String>),
    never_rejects: BTreeSet<String>,
    never_rejects_if: Vec<(String, Vec<(String, String)>)>,
    service_clients: BTreeSet<String>,
    reexports: Vec<(String, String, Option<String>)>,
    summaries: crate::semantic::summary::FileSummaries,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredFinding {
    rule: String,
    severity: u8,
    range: (usize, usize),
    message: String,
    fixes: Vec<(String, Vec<StoredEdit>, bool)>,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredEdit {
    path: String,
    range: (usize, usize),
    new_text: String,
}

impl StoredFacts {
    fn from_facts(facts: &DocumentFacts) -> StoredFacts {
        // Exhaustive on purpose: a new field of `DocumentFacts` must be stored (or the kind that
        // produces it left uncached) before this compiles again.
        let DocumentFacts {
            rls_wrappers,
            rls_wrapper_aliases,
            async_exports,
            never_rejects,
            never_rejects_if,
            service_clients,
            reexports,
            path: _,
            // Manifests are not a cached kind.
            manifest: _,
            summaries,
        } = facts;
        StoredFacts {
            rls_wrappers: rls_wrappers.clone(),
            rls_wrapper_aliases: rls_wrapper_aliases.clone(),
            async_exports: async_exports.clone(),
            never_rejects: never_rejects.clone(),
            never_rejects_if: never_rejects_if.clone(),
            service_clients: service_clients.clone(),
            reexports: reexports.iter().map(|e| (e.exported.clone(), e.local.clone(), e.source.clone())).collect(),
            summaries: summaries.clone(),
        }
    }

    fn to_facts(&self, path: &str) -> DocumentFacts {
        DocumentFacts {
            rls_wrappers: self.rls_wrappers.clone(),
            rls_wrapper_aliases: self.rls_wrapper_aliases.clone(),
            async_exports: self.async_exports.clone(),
            never_rejects: self.never_rejects.clone(),
            never_rejects_if: self.never_rejects_if.clone(),
            service_clients: self.service_clients.clone(),
            reexports: self
                .reexports
                .iter()
                .map(|(exported, local, source)| Export {
                    exported: exported.clone(),
                    local: local.clone(),
                    source: source.clone(),
                })
                .collect(),
            path: path.to_string(),
            manifest: None,
            summaries: self.summaries.clone(),
        }
    }
}

fn severity_code(severity: Severity) -> u8 {
    match severity {
        Severity::Hint => 0,
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Error => 3,
    }
}

fn severity_from(code: u8) -> Option<Severity> {
    Some(match code {
        0 => Severity::Hint,
        1 => Severity::Info,
        2 => Severity::Warning,
        3 => Severity::Error,
        _ => return None,
    })
}

impl StoredFinding {
    fn from_finding(f: &Finding) -> StoredFinding {
        StoredFinding {
            rule: f.rule.to_string(),
            severity: severity_code(f.severity),
            range: (f.range.start, f.range.end),
            message: f.message.clone(),
            fixes: f
                .fixes
                .iter()
                .map(|fix| {
                    let edits = fix
                        .edits
                        .iter()
                        .map(|e| StoredEdit {
                            path: e.path.clone(),
                            range: (e.range.start, e.range.end),
                            new_text: e.new_text.clone(),
                        })
                        .collect();
                    (fix.title.clone(), edits, fix.choice)
                })
                .collect(),
        }
    }

    /// `None` when the rule no longer exists or the entry is damaged: the caller recomputes.
    fn to_finding(&self) -> Option<Finding> {
        let rule = rules::find(&self.rule)?.id;
        Some(Finding {
            rule,
            severity: severity_from(self.severity)?,
            range: self.range.0..self.range.1,
            message: self.message.clone(),
            fixes: self
                .fixes
                .iter()
                .map(|(title, edits, choice)| Fix {
                    title: title.clone(),
                    choice: *choice,
                    edits: edits
                        .iter()
                        .map(|e| TextEdit {
                            path: e.path.clone(),
                            range: e.range.0..e.range.1,
                            new_text: e.new_text.clone(),
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

fn store(findings: &[Finding]) -> Vec<StoredFinding> {
    findings.iter().map(StoredFinding::from_finding).collect()
}

fn restore(stored: &[StoredFinding]) -> Option<Vec<Finding>> {
    stored.iter().map(StoredFinding::to_finding).collect()
}

/// The digest of everything outside a file's own content that every cached result depends on:
/// the cache format, Baton's version and build, the rule set and the configuration.
pub fn base_digest(config: &Config) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(&FORMAT.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    // A rebuilt binary (a changed rule predicate or query) must not reuse results: its size and
    // modification time stand for its build.
    if let Some(meta) = std::env::current_exe().ok().and_then(|exe| std::fs::metadata(exe).ok()) {
        h.update(&meta.len().to_le_bytes());
        if let Ok(modified) = meta.modified() {
            if let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH) {
                h.update(&since.as_nanos().to_le_bytes());
            }
        }
    }
    for rule in rules::all() {
        h.update(rule.id.as_bytes());
        h.update(&[0, severity_code(rule.default_severity)]);
    }
    // `Config`'s Debug output is deterministic (ordered maps) and covers every key.
    h.update(format!("{config:?}").as_bytes());
    *h.finalize().as_bytes()
}

fn hash_str(h: &mut blake3::Hasher, s: &str) {
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn hash_findings(h: &mut blake3::Hasher, findings: Option<&Vec<Finding>>) {
    match findings {
        None => {
            h.update(&[0]);
        }
        Some(findings) => {
            h.update(&[1]);
            let bytes = postcard::to_stdvec(&store(findings)).unwrap_or_default();
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
    }
}

/// The key of a file's findings: its path and content, and exactly the workspace facts its
/// analysis reads — the RLS wrappers in use and their aliases (TS/JS), the promise-returning
/// exports of each module it imports (TS/JS), and the SQL and plan findings stored for its path.
pub fn dependency_digest(
    path: &str,
    kind: FileKind,
    content: &Digest,
    imports: &[String],
    facts: &WorkspaceFacts,
) -> Digest {
    // Exhaustive on purpose: a new field of `WorkspaceFacts` does not compile here until someone
    // decides whether cached findings depend on it.
    let WorkspaceFacts {
        rls_wrappers_in_use,
        rls_wrapper_aliases,
        async_exports,
        never_reject_exports,
        service_client_exports,
        // Hashed as each import's resolution below.
        graph: _,
        // Hashed below: this module's and each imported module's.
        summaries,
        // Hashed below (where a quick fix imports a guard from).
        guard_exports,
        sql_findings,
        // Read only by the plan rules, whose results are `plan_findings` (hashed below); the
        // documents they come from are never cached.
        plan: _,
        handoffs: _,
        plan_findings,
        // Read only for Markdown documents (their SQL blocks), which are never cached.
        migrations_model: _,
        // Identifies values already hashed here (the RLS wrapper sets).
        code_epoch: _,
        // How `summaries` (hashed below) were computed, for the editor.
        resolution: _,
    } = facts;
    let mut h = blake3::Hasher::new();
    hash_str(&mut h, path);
    h.update(content);
    if kind.is_ecmascript() {
        for name in rls_wrappers_in_use {
            hash_str(&mut h, name);
        }
        h.update(&[0xff]);
        for name in rls_wrapper_aliases {
            hash_str(&mut h, name);
        }
        h.update(&[0xff]);
        hash_summaries(&mut h, summaries.get(ecma_module_key(path)));
        for (key, name) in guard_exports.iter() {
            hash_str(&mut h, key);
            hash_str(&mut h, name);
        }
        h.update(&[0xff]);
        for specifier in imports {
            hash_str(&mut h, specifier);
            for key in facts.resolve_module(path, specifier) {
                hash_str(&mut h, &key);
                hash_summaries(&mut h, summaries.get(&key));
                for map in [async_exports, never_reject_exports, service_client_exports] {
                    match map.get(&key) {
                        None => {
                            h.update(&[0]);
                        }
                        Some(names) => {
                            h.update(&[1]);
                            for name in names {
                                hash_str(&mut h, name);
                            }
                            h.update(&[0xff]);
                        }
                    }
                }
            }
        }
    }
    hash_findings(&mut h, sql_findings.get(path));
    hash_findings(&mut h, plan_findings.get(path));
    *h.finalize().as_bytes()
}

fn ecma_module_key(path: &str) -> &str {
    crate::semantic::module_key(path)
}

/// Hashes a module's resolved summaries in name order.
fn hash_summaries(h: &mut blake3::Hasher, summaries: Option<&HashMap<String, crate::semantic::summary::Resolved>>) {
    let Some(summaries) = summaries else {
        h.update(&[0]);
        return;
    };
    let mut names: Vec<(&String, &crate::semantic::summary::Resolved)> = summaries.iter().collect();
    names.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (name, r) in names {
        hash_str(h, name);
        let guard = match r.guard {
            None => 0,
            Some(crate::semantic::summary::GuardKind::Throws) => 1,
            Some(crate::semantic::summary::GuardKind::Returns) => 2,
        };
        h.update(&[guard, r.auth_wrapper as u8, r.wrapper as u8]);
    }
    h.update(&[0xff]);
}

/// The key of a migration sequence's SQL findings: its folder and its files in replay order.
pub fn sequence_digest(folder: &str, files: &[(&str, &Digest)]) -> Digest {
    let mut h = blake3::Hasher::new();
    hash_str(&mut h, folder);
    for (path, content) in files {
        hash_str(&mut h, path);
        h.update(*content);
    }
    *h.finalize().as_bytes()
}

/// The analysis cache of one workspace, for one build and configuration.
pub struct AnalysisCache {
    root: PathBuf,
    file: PathBuf,
    old: CacheData,
    new: CacheData,
    /// False for a cache that neither reads nor writes (`baton check --no-cache`).
    enabled: bool,
    /// This run's hits and misses.
    pub stats: CacheStats,
}

impl AnalysisCache {
    /// Opens the cache of the workspace at `root` for `config`. A missing, unreadable, corrupt or
    /// foreign cache file gives an empty cache (it is overwritten on [`AnalysisCache::save`]).
    pub fn open(root: &Path, config: &Config) -> AnalysisCache {
        let base = base_digest(config);
        let dir = root.join(CACHE_DIR);
        let name: String = base[..8].iter().map(|b| format!("{b:02x}")).collect();
        let file = dir.join(format!("{name}.bin"));
        let old = read_in_cache_dir(&file)
            .and_then(|bytes| postcard::from_bytes::<CacheData>(&bytes).ok())
            .filter(|data| data.format == FORMAT && data.base == base)
            .unwrap_or_default();
        let new = CacheData { format: FORMAT, base, ..CacheData::default() };
        AnalysisCache { root: root.to_path_buf(), file, old, new, enabled: true, stats: CacheStats::default() }
    }

    /// A cache that neither reads nor writes anything (`baton check --no-cache`): every lookup
    /// misses, nothing is recorded, [`AnalysisCache::save`] writes nothing. A check through it
    /// runs exactly as with an empty cache, streaming (each file parsed, analysed, dropped).
    pub fn disabled(root: &Path) -> AnalysisCache {
        AnalysisCache {
            root: root.to_path_buf(),
            file: PathBuf::new(),
            old: CacheData::default(),
            new: CacheData::default(),
            enabled: false,
            stats: CacheStats::default(),
        }
    }

    /// False for [`AnalysisCache::disabled`]: nothing put in it is kept, so its keys need not be
    /// computed.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Cached facts of the file at `path` with this content, and its imported specifiers.
    pub fn facts(&self, path: &str, content: &Digest) -> Option<(DocumentFacts, Vec<String>)> {
        let entry = self.old.facts.get(path).filter(|e| &e.content == content)?;
        Some((entry.facts.to_facts(path), entry.imports.clone()))
    }

    /// True when the cache holds facts of the file at `path` with this content (what
    /// [`AnalysisCache::facts`] would return, without building them).
    pub fn has_facts(&self, path: &str, content: &Digest) -> bool {
        self.old.facts.get(path).is_some_and(|e| &e.content == content)
    }

    /// Records a file's facts.
    pub fn put_facts(&mut self, path: &str, content: Digest, facts: &DocumentFacts, imports: Vec<String>) {
        if !self.enabled {
            return;
        }
        let entry = FactsEntry { content, facts: StoredFacts::from_facts(facts), imports };
        self.new.facts.insert(path.to_string(), entry);
    }

    /// The stored form of facts computed in this run (path, content hash, facts, imported
    /// specifiers), made apart from [`AnalysisCache::put_prepared_facts`] so that it can be made
    /// alongside other work. Empty for a disabled cache.
    pub fn prepare_facts<'a>(
        &self,
        computed: impl Iterator<Item = (&'a str, Digest, &'a DocumentFacts, &'a [String])>,
    ) -> PreparedFacts {
        if !self.enabled {
            return PreparedFacts(Vec::new());
        }
        PreparedFacts(
            computed
                .map(|(path, content, facts, imports)| {
                    let entry =
                        FactsEntry { content, facts: StoredFacts::from_facts(facts), imports: imports.to_vec() };
                    (path.to_string(), entry)
                })
                .collect(),
        )
    }

    /// Records facts prepared by [`AnalysisCache::prepare_facts`].
    pub fn put_prepared_facts(&mut self, prepared: PreparedFacts) {
        if self.enabled {
            self.new.facts.extend(prepared.0);
        }
    }

    /// The stored form of a file's findings under its dependency key, for
    /// [`AnalysisCache::put_prepared_findings`] (made where the findings are, in parallel).
    /// `None` for a disabled cache.
    pub fn prepare_findings(&self, key: Digest, findings: &[Finding]) -> Option<PreparedFindings> {
        self.enabled.then(|| PreparedFindings(FindingsEntry { key, findings: store(findings) }))
    }

    /// Records findings prepared by [`AnalysisCache::prepare_findings`] for the file at `path`.
    pub fn put_prepared_findings(&mut self, path: String, prepared: PreparedFindings) {
        if self.enabled {
            self.new.findings.insert(path, prepared.0);
        }
    }

    /// `additions` put in, then [`AnalysisCache::save`], on a thread of its own, so that the
    /// rest of the run (the report) goes on meanwhile; `existing` as there. `garbage` is dropped on that thread too (freeing
    /// a run's facts takes milliseconds). The write is finished when the returned
    /// [`CacheWrite`] is waited for or dropped; an error is reported on stderr
    /// ([`warn_unwritable`]).
    pub fn save_in_background(
        mut self,
        additions: Additions,
        existing: Vec<String>,
        garbage: impl Send + 'static,
    ) -> CacheWrite {
        if !self.enabled {
            drop((additions, garbage));
            return CacheWrite(None);
        }
        let (written, done) = std::sync::mpsc::channel();
        let save = move || {
            let Additions { facts, findings, sequences } = additions;
            self.put_prepared_facts(facts);
            for (path, prepared) in findings {
                self.put_prepared_findings(path, prepared);
            }
            for (folder, key, found) in &sequences {
                self.put_sequence(folder, *key, found);
            }
            let existing: HashSet<&str> = existing.iter().map(String::as_str).collect();
            if let Err(e) = self.write(&existing) {
                warn_unwritable(&self.root, &e);
            }
            // Written: whoever waits may go on (and the process exit) while this thread frees
            // the cache and the garbage.
            let _ = written.send(());
            drop(existing);
            drop((self, garbage));
        };
        match std::thread::Builder::new().name("baton-cache-write".into()).spawn(save) {
            Ok(_) => CacheWrite(Some(done)),
            // No thread to be had: the write is lost, never the run (it is only a cache).
            Err(_) => CacheWrite(None),
        }
    }

    /// Cached findings of the file at `path` under this dependency key.
    pub fn findings(&self, path: &str, key: &Digest) -> Option<Vec<Finding>> {
        restore(&self.old.findings.get(path).filter(|e| &e.key == key)?.findings)
    }

    /// Records a file's findings.
    pub fn put_findings(&mut self, path: &str, key: Digest, findings: &[Finding]) {
        if !self.enabled {
            return;
        }
        self.new.findings.insert(path.to_string(), FindingsEntry { key, findings: store(findings) });
    }

    /// Cached SQL findings of the migration sequence in `folder` under this key, by path.
    pub fn sequence(&self, folder: &str, key: &Digest) -> Option<HashMap<String, Vec<Finding>>> {
        let entry = self.old.sequences.get(folder).filter(|e| &e.key == key)?;
        entry.findings.iter().map(|(path, stored)| Some((path.clone(), restore(stored)?))).collect()
    }

    /// Records a migration sequence's SQL findings.
    pub fn put_sequence(&mut self, folder: &str, key: Digest, findings: &HashMap<String, Vec<Finding>>) {
        if !self.enabled {
            return;
        }
        let mut stored: Vec<(String, Vec<StoredFinding>)> =
            findings.iter().map(|(path, f)| (path.clone(), store(f))).collect();
        stored.sort_by(|a, b| a.0.cmp(&b.0));
        self.new.sequences.insert(folder.to_string(), SequenceEntry { key, findings: stored });
    }

    /// Writes the cache: this run's entries, plus earlier entries for files that still exist
    /// (`existing` paths) and were not analysed this time. Written to a temp file in the cache
    /// folder, then renamed over the old one, so a reader never sees half a file.
    pub fn save(mut self, existing: &HashSet<&str>) -> std::io::Result<()> {
        self.write(existing)
    }

    /// [`AnalysisCache::save`], leaving the cache to be dropped by the caller.
    fn write(&mut self, existing: &HashSet<&str>) -> std::io::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let computed = !(self.new.facts.is_empty() && self.new.findings.is_empty() && self.new.sequences.is_empty());
        let pruned = self.old.facts.keys().chain(self.old.findings.keys()).any(|p| !existing.contains(p.as_str()))
            || self.old.sequences.values().flat_map(|s| s.findings.iter()).any(|(p, _)| !existing.contains(p.as_str()));
        if !computed && !pruned && self.file.is_file() {
            return Ok(()); // the file on disk says exactly this already
        }
        for (path, entry) in std::mem::take(&mut self.old.facts) {
            if existing.contains(path.as_str()) {
                self.new.facts.entry(path).or_insert(entry);
            }
        }
        for (path, entry) in std::mem::take(&mut self.old.findings) {
            if existing.contains(path.as_str()) {
                self.new.findings.entry(path).or_insert(entry);
            }
        }
        for (folder, entry) in std::mem::take(&mut self.old.sequences) {
            let alive = entry.findings.iter().all(|(p, _)| existing.contains(p.as_str()));
            if alive {
                self.new.sequences.entry(folder).or_insert(entry);
            }
        }
        write_in_cache_dir(&self.root, &self.file, &postcard::to_stdvec(&self.new).map_err(std::io::Error::other)?)?;
        prune_other_builds(&self.file, KEPT_OTHER_FILES);
        Ok(())
    }

    /// The cache file of this build and configuration.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

/// What a run puts in the cache before it is saved ([`AnalysisCache::save_in_background`]).
pub struct Additions {
    /// The facts computed in this run.
    pub facts: PreparedFacts,
    /// The findings computed in this run, by path.
    pub findings: Vec<(String, PreparedFindings)>,
    /// The migration sequences replayed in this run: folder, key, findings by path.
    pub sequences: Vec<(String, Digest, HashMap<String, Vec<Finding>>)>,
}

/// Facts in their stored form ([`AnalysisCache::prepare_facts`]).
pub struct PreparedFacts(Vec<(String, FactsEntry)>);

/// A file's findings in their stored form ([`AnalysisCache::prepare_findings`]).
pub struct PreparedFindings(FindingsEntry);

/// An analysis cache being written on its own thread ([`AnalysisCache::save_in_background`]):
/// [`CacheWrite::wait`] (or dropping it) waits until the file is written (the thread may still
/// be freeing memory), so a process that waits before it exits never leaves a write undone.
#[must_use = "dropping it waits for the write"]
pub struct CacheWrite(Option<std::sync::mpsc::Receiver<()>>);

impl CacheWrite {
    /// Waits until the cache is written (or the write failed and was reported).
    pub fn wait(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if let Some(written) = self.0.take() {
            // An error means the writer thread ended without a word: it panicked (and said so
            // on stderr); the run's result does not depend on the cache.
            let _ = written.recv();
        }
    }
}

impl Drop for CacheWrite {
    fn drop(&mut self) {
        self.finish();
    }
}

/// How many analysis cache files of other builds or configurations are kept beside the current
/// one (every rebuilt or upgraded `baton` starts a new file; a few cover switching between
/// configurations).
const KEPT_OTHER_FILES: usize = 3;

/// Deletes the analysis cache files beside `current` (named by 16 hex digits) but the `keep`
/// most recently written. Best effort: a file that cannot be deleted stays.
fn prune_other_builds(current: &Path, keep: usize) {
    let Some(dir) = current.parent() else { return };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut others: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p != current && p.extension().is_some_and(|e| e == "bin"))
        .filter(|p| {
            let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            stem.len() == 16 && stem.chars().all(|c| c.is_ascii_hexdigit())
        })
        .filter_map(|p| Some((std::fs::metadata(&p).and_then(|m| m.modified()).ok()?, p)))
        .collect();
    others.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    for (_, path) in others.into_iter().skip(keep) {
        let _ = std::fs::remove_file(path);
    }
}

/// Writes `bytes` to `file` in the cache folder atomically, sealed ([`seal`]), first creating
/// the folder with a `.gitignore` that keeps it out of commits (and out of Baton's own walk).
/// Like every write, it refuses to go through a symbolic link (`.baton` or `.baton/cache` linked
/// elsewhere): the error reaches [`warn_unwritable`], and the check goes on without the cache.
pub fn write_in_cache_dir(root: &Path, file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = crate::atomic::prepare(root, file)?;
    let gitignore = dir.join(".gitignore");
    if !gitignore.exists() {
        crate::atomic::write_unsynced(
            root,
            &gitignore,
            b"# Created by baton: the analysis cache is never committed.\n*\n",
        )?;
    }
    crate::atomic::write_unsynced(root, file, &seal(bytes))
}

/// The content of a cache file written by [`write_in_cache_dir`], if its seal holds: `None`
/// for a file that is missing, cut short, damaged, forged, or sealed under another key.
pub fn read_in_cache_dir(file: &Path) -> Option<Vec<u8>> {
    unseal(std::fs::read(file).ok()?)
}

/// The first bytes of every sealed cache file.
const SEAL_MAGIC: &[u8; 8] = b"baton-s1";

/// `bytes` behind a seal: a magic, then a blake3 MAC of the content under this user's cache key
/// ([`cache_key`]), then the content. Every cache file is sealed; a file whose MAC does not match
/// is a miss, so a damaged file (even one changed without changing its length) is never used,
/// and neither is one forged or copied in by someone who does not hold the key — a cache file
/// committed to the repository, or restored from another machine's CI cache.
pub fn seal(bytes: &[u8]) -> Vec<u8> {
    let mut sealed = Vec::with_capacity(SEAL_MAGIC.len() + 32 + bytes.len());
    sealed.extend_from_slice(SEAL_MAGIC);
    sealed.extend_from_slice(blake3::keyed_hash(cache_key(), bytes).as_bytes());
    sealed.extend_from_slice(bytes);
    sealed
}

/// The content of sealed bytes, if the seal holds (the MAC is compared in constant time).
pub fn unseal(mut sealed: Vec<u8>) -> Option<Vec<u8>> {
    let rest = sealed.strip_prefix(SEAL_MAGIC.as_slice())?;
    let (mac, content) = rest.split_at_checked(32)?;
    let mac: [u8; 32] = mac.try_into().ok()?;
    if blake3::keyed_hash(cache_key(), content) != blake3::Hash::from_bytes(mac) {
        return None;
    }
    sealed.drain(..SEAL_MAGIC.len() + 32);
    Some(sealed)
}

/// The key cache files are sealed with: 32 random bytes kept outside every workspace, in
/// `$XDG_CACHE_HOME/baton/cache.key` (else `~/.cache/baton/cache.key`), created on first use
/// with mode 0600. Where there is no such folder, or it cannot be written, the key is made up
/// for this process only: caches written by earlier runs are then never trusted (a run is as
/// slow as with `--no-cache`, never wrong). See docs/cache.md.
fn cache_key() -> &'static [u8; 32] {
    static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    KEY.get_or_init(|| key_file().and_then(|file| load_or_create_key(&file)).unwrap_or_else(random_key))
}

/// Where the cache key is kept.
fn key_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("baton").join("cache.key"))
}

fn load_or_create_key(file: &Path) -> Option<[u8; 32]> {
    let read = |file: &Path| std::fs::read(file).ok().and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok());
    if let Some(key) = read(file) {
        return Some(key);
    }
    std::fs::create_dir_all(file.parent()?).ok()?;
    let key = random_key();
    // Created with a new name and linked into place: two processes starting at once agree on
    // the first key written, and nobody reads half a key.
    let temp = file.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut f| std::io::Write::write_all(&mut f, &key));
    let linked = written.and_then(|()| std::fs::hard_link(&temp, file));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Some(key),
        Err(_) => read(file),
    }
}

/// 32 bytes from the system's random source (`/dev/urandom`), or, without one, from the clock,
/// the process id and addresses (unpredictable enough for a key that lives one process).
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key));
    if read.is_err() {
        let mut h = blake3::Hasher::new();
        h.update(format!("{:?}{}{:p}", std::time::SystemTime::now(), std::process::id(), &key).as_bytes());
        key = *h.finalize().as_bytes();
    }
    key
}

/// Reports on stderr, once per run, that the cache folder of `root` cannot be written: the
/// run's result does not depend on it.
pub fn warn_unwritable(root: &Path, error: &std::io::Error) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        eprintln!("baton: warning: cannot write the analysis cache in {}: {error}", root.join(CACHE_DIR).display());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding::new("rls/prisma-outside-context", 3..9, "outside").with_fix(Fix::in_file(
            "Wrap",
            "a.ts",
            [(3..3, "withUserContext(".to_string())],
        ))
    }

    #[test]
    fn findings_round_trip_through_the_stored_form() {
        let f = finding();
        assert_eq!(StoredFinding::from_finding(&f).to_finding(), Some(f));
    }

    #[test]
    fn a_stored_finding_of_an_unknown_rule_is_a_miss() {
        let mut stored = StoredFinding::from_finding(&finding());
        stored.rule = "gone/rule".into();
        assert_eq!(stored.to_finding(), None);
        let mut stored = StoredFinding::from_finding(&finding());
        stored.severity = 9;
        assert_eq!(stored.to_finding(), None);
    }

    #[test]
    fn a_corrupt_cache_file_is_an_empty_cache_and_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        let cache = AnalysisCache::open(dir.path(), &config);
        let file = cache.path().to_path_buf();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"\xff\xff\xff\xff\xff\xff\xff\xff garbage").unwrap();
        let mut cache = AnalysisCache::open(dir.path(), &config);
        assert!(cache.findings("a.ts", &[0; 32]).is_none());
        cache.put_findings("a.ts", [7; 32], &[finding()]);
        cache.save(&HashSet::from(["a.ts"])).unwrap();
        let cache = AnalysisCache::open(dir.path(), &config);
        assert_eq!(cache.findings("a.ts", &[7; 32]), Some(vec![finding()]));
        assert_eq!(cache.findings("a.ts", &[8; 32]), None, "another key is a miss");
        let ignore = std::fs::read_to_string(dir.path().join(CACHE_DIR).join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == "*"));
    }

    #[test]
    fn entries_read_but_not_rewritten_survive_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        let mut cache = AnalysisCache::open(dir.path(), &config);
        let facts = DocumentFacts { path: "a.ts".into(), ..DocumentFacts::default() };
        cache.put_facts("a.ts", [1; 32], &facts, vec!["./b".into()]);
        cache.save(&HashSet::from(["a.ts"])).unwrap();
        // A warm run only reads: the next one must still find the entry.
        AnalysisCache::open(dir.path(), &config).save(&HashSet::from(["a.ts"])).unwrap();
        let cache = AnalysisCache::open(dir.path(), &config);
        assert_eq!(cache.facts("a.ts", &[1; 32]), Some((facts, vec!["./b".to_string()])));
        assert_eq!(cache.facts("a.ts", &[2; 32]), None, "another content is a miss");
    }

    #[test]
    fn entries_of_deleted_files_are_dropped_on_save() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        let mut cache = AnalysisCache::open(dir.path(), &config);
        cache.put_findings("a.ts", [1; 32], &[]);
        cache.put_findings("b.ts", [2; 32], &[]);
        cache.save(&HashSet::from(["a.ts", "b.ts"])).unwrap();
        // Second run: nothing recomputed; b.ts was deleted.
        let cache = AnalysisCache::open(dir.path(), &config);
        cache.save(&HashSet::from(["a.ts"])).unwrap();
        let cache = AnalysisCache::open(dir.path(), &config);
        assert!(cache.findings("a.ts", &[1; 32]).is_some());
        assert!(cache.findings("b.ts", &[2; 32]).is_none());
    }

    #[test]
    fn only_the_most_recent_files_of_other_builds_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join(CACHE_DIR);
        std::fs::create_dir_all(&cache_dir).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let names: Vec<String> = (0..6).map(|i| format!("{i:016x}.bin")).collect();
        for (i, name) in names.iter().enumerate() {
            let file = std::fs::File::create(cache_dir.join(name)).unwrap();
            file.set_modified(old + std::time::Duration::from_secs(i as u64)).unwrap();
        }
        for other in ["output-json.bin", "files.bin", "walk.bin", "notes.txt"] {
            std::fs::write(cache_dir.join(other), "x").unwrap();
        }
        let mut cache = AnalysisCache::open(dir.path(), &Config::default());
        cache.put_findings("a.ts", [1; 32], &[]);
        let current = cache.path().to_path_buf();
        cache.save(&HashSet::from(["a.ts"])).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(&cache_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected: Vec<String> = names[3..].to_vec();
        expected.extend([".gitignore", "files.bin", "notes.txt", "output-json.bin", "walk.bin"].map(String::from));
        expected.push(current.file_name().unwrap().to_string_lossy().into_owned());
        expected.sort();
        assert_eq!(left, expected, "the three newest of the other builds' files, and every other kind of file");
    }

    #[test]
    fn another_configuration_uses_another_cache() {
        let dir = tempfile::tempdir().unwrap();
        let strict = Config::parse("[rls]\nenforce = true\n", None).unwrap();
        let a = AnalysisCache::open(dir.path(), &Config::default());
        let b = AnalysisCache::open(dir.path(), &strict);
        assert_ne!(a.path(), b.path());
    }

    #[test]
    fn the_dependency_digest_follows_the_imported_modules_async_exports_only() {
        let mut facts = WorkspaceFacts::default();
        facts.async_exports.insert("lib/a".into(), BTreeSet::from(["load".to_string()]));
        facts.async_exports.insert("lib/b".into(), BTreeSet::from(["other".to_string()]));
        let imports = vec!["./a".to_string()];
        let digest =
            |facts: &WorkspaceFacts| dependency_digest("lib/x.ts", FileKind::TypeScript, &[1; 32], &imports, facts);
        let before = digest(&facts);
        facts.async_exports.get_mut("lib/b").unwrap().insert("more".into());
        assert_eq!(digest(&facts), before, "an unrelated module changed");
        facts.async_exports.get_mut("lib/a").unwrap().insert("save".into());
        assert_ne!(digest(&facts), before, "the imported module changed");
        let after = digest(&facts);
        facts.rls_wrappers_in_use.insert("withUserContext".into());
        assert_ne!(digest(&facts), after, "the wrappers in use changed");
    }
}
