//! `baton check` through the analysis cache: the same findings as [`Workspace::check`], but a
//! file is parsed only when its facts or its findings are not in the cache (see `cache.rs`).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::cache::{self, AnalysisCache, CacheStats, Digest};
use super::{discover_all, read, FileFinding, Read, SourcePath, UnparsedFile, Workspace};
use crate::config::Config;
use crate::engine::facts::DocumentFacts;
use crate::engine::{self, Finding, WorkspaceFacts};
use crate::sql::migration_sequences;
use crate::syntax::{Document, FileKind};

/// One file read from disk, parsed on first need.
struct Entry {
    source: SourcePath,
    text: Arc<str>,
    content: Digest,
    doc: OnceLock<Document>,
}

impl Entry {
    fn doc(&self, stats: &CacheStats) -> &Document {
        self.doc.get_or_init(|| {
            CacheStats::bump(&stats.parsed);
            Document::parse(self.source.relative.clone(), self.source.kind, self.text.clone())
        })
    }
}

/// Checks the workspace at `root` like [`Workspace::load`] + [`Workspace::check`], reading and
/// writing the analysis cache under `<root>/.baton/cache/`. Returns the workspace (for
/// rendering: files served from the cache are in [`Workspace::unparsed`]), the findings, and the
/// cache's hit and miss counts. A cache that cannot be written is reported on stderr; the run's
/// result does not depend on it.
pub fn check_with_cache(
    root: &Path,
    config: Config,
    include: impl Fn(&str) -> bool + Sync,
) -> (Workspace, Vec<FileFinding>, CacheStats) {
    let (sources, files) = discover_all(root);
    let read_files: Vec<(SourcePath, Read)> = sources
        .into_par_iter()
        .map(|s| {
            let r = read(&s);
            (s, r)
        })
        .collect();
    let mut workspace = Workspace {
        root: root.to_path_buf(),
        config,
        documents: Vec::new(),
        notices: Vec::new(),
        unreadable: Vec::new(),
        files,
        unparsed: Vec::new(),
        evidence: crate::stage::EvidenceSet::load(root),
    };
    let mut entries = Vec::new();
    for (source, result) in read_files {
        let path = source.relative.clone();
        match result {
            Read::Text(text, notice) => {
                workspace.notices.extend(notice.map(|finding| FileFinding { path, finding }));
                let text: Arc<str> = text.into();
                entries.push(Entry { content: cache::content_hash(&text), source, text, doc: OnceLock::new() });
            }
            Read::Notice(finding) => workspace.notices.push(FileFinding { path, finding }),
            Read::Skipped => {}
            Read::Unreadable(error) => workspace.unreadable.push((path, error)),
        }
    }
    let config = &workspace.config;
    let mut cache = AnalysisCache::open(root, config);
    let stats = &cache.stats;

    // 1. Per-file facts: from the cache by content, else parsed.
    let parts: Vec<(DocumentFacts, Vec<String>, bool)> = entries
        .par_iter()
        .map(|e| {
            if e.source.kind == FileKind::Sql {
                // SQL contributes no per-file facts (its findings come from its sequence).
                let facts = DocumentFacts { path: e.source.relative.clone(), ..DocumentFacts::default() };
                return (facts, Vec::new(), false);
            }
            let cacheable = cache::is_cached_kind(e.source.kind);
            if cacheable {
                if let Some((facts, imports)) = cache.facts(&e.source.relative, &e.content) {
                    CacheStats::bump(&stats.facts_hits);
                    return (facts, imports, false);
                }
                CacheStats::bump(&stats.facts_misses);
                // Its findings will most likely be missing too: they need the compiled queries.
                crate::rules::query_set::QuerySet::prepare(e.source.kind);
            }
            let (facts, imports) = DocumentFacts::collect_with_imports(e.doc(stats), config);
            (facts, imports, cacheable)
        })
        .collect();
    let mut facts = WorkspaceFacts::assemble(parts.iter().map(|p| &p.0));

    // 2. Plan and handoff facts: their documents are never cached.
    let plan_docs: Vec<&Document> = entries
        .iter()
        .filter(|e| !cache::is_cached_kind(e.source.kind))
        .map(|e| e.doc(stats))
        .filter(|d| WorkspaceFacts::feeds_plan(d.kind))
        .collect();
    (facts.plan, facts.handoffs, facts.plan_findings) =
        WorkspaceFacts::plan_facts_with_inputs(&plan_docs, config, &workspace.files, &workspace.evidence);

    // 3. Findings of each requested file: from the cache by dependency key, else analysed. The
    // SQL findings (per migration sequence) are computed alongside the findings of the
    // TypeScript/JavaScript files, which never depend on them: their replay is mostly serial.
    let analyse = |facts: &WorkspaceFacts, ecmascript: bool| {
        entries
            .par_iter()
            .enumerate()
            .filter(|(_, e)| e.source.kind.is_ecmascript() == ecmascript && include(&e.source.relative))
            .map(|(i, e)| {
                let path = &e.source.relative;
                if !cache::is_cached_kind(e.source.kind) {
                    return (i, engine::analyze_document(e.doc(stats), config, facts), None);
                }
                let key = cache::dependency_digest(path, e.source.kind, &e.content, &parts[i].1, facts);
                if let Some(found) = cache.findings(path, &key) {
                    // Kept as it is in the cache: nothing to store.
                    CacheStats::bump(&stats.findings_hits);
                    return (i, found, None);
                }
                CacheStats::bump(&stats.findings_misses);
                (i, engine::analyze_document(e.doc(stats), config, facts), Some(key))
            })
            .collect::<Vec<(usize, Vec<Finding>, Option<Digest>)>>()
    };
    let ((sql, replayed), mut analysed) =
        rayon::join(|| sql_findings(&entries, config, &cache), || analyse(&facts, true));
    facts.sql_findings = sql;
    analysed.extend(analyse(&facts, false));
    analysed.sort_unstable_by_key(|(i, _, _)| *i);

    for (i, (facts, imports, computed)) in parts.into_iter().enumerate() {
        if computed {
            cache.put_facts(&entries[i].source.relative, entries[i].content, &facts, imports);
        }
    }
    for (folder, key, found) in &replayed {
        cache.put_sequence(folder, *key, found);
    }
    let mut findings = Vec::new();
    for (i, found, key) in analysed {
        let path = &entries[i].source.relative;
        if let Some(key) = key {
            cache.put_findings(path, key, &found);
        }
        findings.extend(found.into_iter().map(|finding| FileFinding { path: path.clone(), finding }));
    }
    let existing: HashSet<&str> = entries.iter().map(|e| e.source.relative.as_str()).collect();
    let stats = std::mem::take(&mut cache.stats);
    if let Err(e) = cache.save(&existing) {
        eprintln!("baton: warning: cannot write the analysis cache in {}: {e}", root.join(cache::CACHE_DIR).display());
    }

    for entry in entries {
        match entry.doc.into_inner() {
            Some(doc) => workspace.documents.push(Arc::new(doc)),
            None => workspace.unparsed.push(UnparsedFile::new(entry.source.relative, entry.text)),
        }
    }
    workspace.finish_findings(&mut findings, &include);
    (workspace, findings, stats)
}

/// SQL findings by path.
type ByPath = HashMap<String, Vec<Finding>>;

/// Findings of the SQL rules by path, and the sequences that were replayed (to be cached).
type SqlFindings = (ByPath, Vec<(String, Digest, ByPath)>);

/// The SQL findings of every migration sequence: from the cache when the sequence's files are
/// unchanged, else replayed (parsing its files).
fn sql_findings(entries: &[Entry], config: &Config, cache: &AnalysisCache) -> SqlFindings {
    let stats = &cache.stats;
    let sql: Vec<&Entry> = entries.iter().filter(|e| e.source.kind == FileKind::Sql).collect();
    if sql.is_empty() {
        return (HashMap::new(), Vec::new());
    }
    let by_path: HashMap<&str, &Entry> = sql.iter().map(|e| (e.source.relative.as_str(), *e)).collect();
    // Grouping reads only paths and kinds: group empty stand-ins rather than parsing every file.
    let stand_ins: Vec<Document> =
        sql.iter().map(|e| Document::parse(e.source.relative.clone(), FileKind::Sql, "")).collect();
    let refs: Vec<&Document> = stand_ins.iter().collect();
    let sequences: Vec<(String, Vec<&Entry>)> = migration_sequences(&refs, config)
        .into_iter()
        .map(|s| (s.folder, s.documents.iter().filter_map(|d| by_path.get(d.path.as_str()).copied()).collect()))
        .collect();
    let results: Vec<(String, Digest, ByPath, bool)> = sequences
        .par_iter()
        .map(|(folder, files)| {
            let listed: Vec<(&str, &Digest)> = files.iter().map(|e| (e.source.relative.as_str(), &e.content)).collect();
            let key = cache::sequence_digest(folder, &listed);
            if let Some(found) = cache.sequence(folder, &key) {
                CacheStats::bump(&stats.sql_hits);
                return (folder.clone(), key, found, false);
            }
            CacheStats::bump(&stats.sql_misses);
            let docs: Vec<&Document> = files.par_iter().map(|e| e.doc(stats)).collect();
            (folder.clone(), key, engine::WorkspaceFacts::sql_findings(&docs, config), true)
        })
        .collect();
    let mut all = HashMap::new();
    let mut replayed = Vec::new();
    for (folder, key, found, computed) in results {
        if computed {
            replayed.push((folder, key, found.clone()));
        }
        all.extend(found);
    }
    (all, replayed)
}
