//! `baton check` through the caches: the stored report when every input is as it was printed
//! from ([`check_or_replay`]); otherwise the same findings as [`Workspace::check`], with a file
//! parsed only when its facts or its findings are not in the analysis cache (see `cache.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::cache::{self, AnalysisCache, CacheStats, CacheWrite, Digest, PreparedFindings};
use super::inputs::{CheckInputs, Discovery, Entry};
use super::output_cache::{self, StoredOutput};
use super::signatures::SignatureTable;
use super::{FileFinding, UnparsedFile, Workspace};
use crate::config::Config;
use crate::engine::ecma::Dependency;
use crate::engine::facts::DocumentFacts;
use crate::engine::prefilter::Reach;
use crate::engine::{self, Finding, WorkspaceFacts};
use crate::sql::migration_sequences;
use crate::syntax::{Document, FileKind};

/// What [`check_or_replay`] did.
#[allow(clippy::large_enum_variant)] // one per run, moved once
pub enum Checked {
    /// Every input was as when the stored report was printed: this is it.
    Replayed(StoredOutput, CacheStats),
    /// The workspace was checked through the analysis cache ([`check_with_cache`]).
    Analysed {
        /// The workspace, for rendering.
        workspace: Workspace,
        /// Its findings.
        findings: Vec<FileFinding>,
        /// The analysis cache's hits and misses.
        stats: CacheStats,
        /// Where the report printed from these findings is to be stored (`None` when some file
        /// could not be read).
        slot: Option<ReportSlot>,
        /// The analysis cache, being written meanwhile: wait for it before the process exits
        /// (dropping it waits too).
        cache_write: CacheWrite,
    },
}

/// Where an analysed run's report goes, and under which key.
pub struct ReportSlot {
    root: PathBuf,
    slot: String,
    key: Digest,
}

impl ReportSlot {
    /// Stores the report printed for `findings`.
    pub fn store(&self, output: &[u8], findings: &[FileFinding]) -> std::io::Result<()> {
        let worst = findings.iter().map(|f| f.finding.severity).max();
        output_cache::store(&self.root, &self.slot, &self.key, output, worst)
    }
}

/// `baton check` through both caches. The stored report of `slot` (one per output format) is
/// returned when the inputs are those it was printed from, with `request` (the bytes that
/// describe what is rendered and how): known from the files' settled signatures without reading
/// any file when none changed, else after reading them all. Otherwise the workspace is checked
/// with [`check_with_cache`]. The signatures of the files read are stored for the next run.
pub fn check_or_replay(
    root: &Path,
    config: Config,
    include: impl Fn(&str) -> bool + Sync,
    slot: &str,
    request: &[u8],
) -> Checked {
    let base = cache::base_digest(&config);
    let key = |inputs: Digest| output_cache::output_key(&base, &inputs, request);
    let (discovery, walk_reused) = Discovery::remembered(root, &base, &config.path_filter());
    crate::timings::mark("walk");
    let counted = |stats: CacheStats, files_read: usize| {
        stats.walks_reused.store(usize::from(walk_reused), std::sync::atomic::Ordering::Relaxed);
        stats.files_read.store(files_read, std::sync::atomic::Ordering::Relaxed);
        stats
    };
    let replayed = |stored, files_read| {
        let stats = CacheStats::default();
        CacheStats::bump(&stats.output_hits);
        Checked::Replayed(stored, counted(stats, files_read))
    };
    let known = SignatureTable::load(root);
    if let Some(stored) = discovery.digest_unread(&known).and_then(|d| output_cache::load(root, slot, &key(d))) {
        return replayed(stored, 0);
    }
    crate::timings::mark("signatures");
    let inputs = discovery.read();
    crate::timings::mark("read and hash");
    let signatures = inputs.signatures();
    if *signatures != known {
        if let Err(e) = signatures.save(root) {
            cache::warn_unwritable(root, &e);
        }
    }
    let key = inputs.digest().map(key);
    if let Some(stored) = key.as_ref().and_then(|key| output_cache::load(root, slot, key)) {
        return replayed(stored, inputs.files_read());
    }
    crate::timings::mark("signatures saved, inputs digest");
    let files_read = inputs.files_read();
    let (workspace, findings, stats, cache_write) = check_inputs_writing(inputs, config, include);
    let stats = counted(stats, files_read);
    let slot = key.map(|key| ReportSlot { root: root.to_path_buf(), slot: slot.to_string(), key });
    Checked::Analysed { workspace, findings, stats, slot, cache_write }
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
    check_inputs(CheckInputs::read(root, &config.path_filter()), config, include)
}

/// The same findings as [`Workspace::load`] + [`Workspace::check`], through the same streaming
/// path as [`check_with_cache`] with an empty cache that is neither read nor written
/// (`baton check --no-cache`): a TypeScript/JavaScript file is parsed, analysed and its tree
/// dropped, so memory is bounded by the files in flight, not the workspace.
pub fn check_without_cache(
    root: &Path,
    config: Config,
    include: impl Fn(&str) -> bool + Sync,
) -> (Workspace, Vec<FileFinding>) {
    check_inputs_without_cache(CheckInputs::read(root, &config.path_filter()), config, include)
}

/// [`check_without_cache`] over inputs already read (`baton check -` puts stdin among them).
pub fn check_inputs_without_cache(
    inputs: CheckInputs,
    config: Config,
    include: impl Fn(&str) -> bool + Sync,
) -> (Workspace, Vec<FileFinding>) {
    crate::timings::mark("walk and read");
    let cache = AnalysisCache::disabled(&inputs.root);
    let (workspace, findings, _, _) = check_inputs_through(inputs, config, include, cache);
    (workspace, findings)
}

/// [`check_with_cache`] over inputs already read (the analysis cache is written when it returns).
pub fn check_inputs(
    inputs: CheckInputs,
    config: Config,
    include: impl Fn(&str) -> bool + Sync,
) -> (Workspace, Vec<FileFinding>, CacheStats) {
    let (workspace, findings, stats, cache_write) = check_inputs_writing(inputs, config, include);
    cache_write.wait();
    (workspace, findings, stats)
}

/// [`check_inputs`], the analysis cache still being written when it returns.
fn check_inputs_writing(
    inputs: CheckInputs,
    config: Config,
    include: impl Fn(&str) -> bool + Sync,
) -> (Workspace, Vec<FileFinding>, CacheStats, CacheWrite) {
    let cache = AnalysisCache::open(&inputs.root, &config);
    crate::timings::mark("analysis cache opened");
    check_inputs_through(inputs, config, include, cache)
}

/// [`check_inputs`] through the given analysis cache (possibly [`AnalysisCache::disabled`]).
fn check_inputs_through(
    inputs: CheckInputs,
    config: Config,
    include: impl Fn(&str) -> bool + Sync,
    mut cache: AnalysisCache,
) -> (Workspace, Vec<FileFinding>, CacheStats, CacheWrite) {
    let CheckInputs { root, files, evidence, entries, notices, unreadable, signatures: _ } = inputs;
    let root = root.as_path();
    let mut workspace = Workspace {
        root: root.to_path_buf(),
        config,
        documents: Vec::new(),
        notices,
        unreadable,
        files,
        unparsed: Vec::new(),
        evidence,
        config_notices: Default::default(),
    };
    let config = &workspace.config;
    let stats = &cache.stats;
    // Compiling a grammar's queries takes tens of milliseconds: start it at once, on its own
    // thread, for every kind with a file the cache knows nothing of.
    for e in &entries {
        if e.source.kind.is_ecmascript() && !cache.has_facts(&e.source.relative, &e.content) {
            config.user_rules.prepare(e.source.kind);
        }
    }

    // 1. Plan and handoff facts: their documents are never cached, and they read no code facts.
    let plan_docs: Vec<&Document> = entries
        .iter()
        .filter(|e| !cache::is_cached_kind(e.source.kind))
        .map(|e| e.doc(stats))
        .filter(|d| WorkspaceFacts::feeds_plan(d.kind))
        .collect();
    let (plan, handoffs, plan_findings) =
        WorkspaceFacts::plan_facts_with_inputs(&plan_docs, config, &workspace.files, &workspace.evidence);
    crate::timings::mark("plan and handoff facts");
    let guess = WorkspaceFacts {
        rls_wrappers_in_use: wrappers_named(&entries, config),
        plan,
        handoffs,
        plan_findings,
        ..WorkspaceFacts::default()
    };

    // 2. Per-file facts, alongside the SQL findings (per migration sequence; their replay is
    // mostly serial, and reads no code facts). A file's facts come from the cache by content;
    // otherwise it is parsed, and — its findings cannot be in the cache either — analysed at
    // once under the guessed facts, so its tree is dropped at once instead of being held (with
    // every other file's) until the workspace facts are complete.
    // A TypeScript/JavaScript file no rule can fire on is not parsed at all unless an analysed
    // file reads its facts (`engine::prefilter`, `needs`).
    // Tests make every such file wait for the compiled queries, so that each is analysed early.
    let wait_for_queries = std::env::var("BATON_TEST_HOOKS").is_ok_and(|v| v == "1");
    // `BATON_NO_PREFILTER=1` parses every file (the same findings, slower: for comparing).
    let prefilter_off = std::env::var("BATON_NO_PREFILTER").is_ok_and(|v| v == "1");
    let decide = || {
        let prefilter = engine::prefilter::Prefilter::new(config).filter(|_| !prefilter_off).map(|p| {
            let code: Vec<(&str, &str)> = entries
                .iter()
                .filter(|e| e.source.kind.is_ecmascript())
                .map(|e| (e.source.relative.as_str(), &*e.text))
                .collect();
            let scan = p.scan(&code);
            (p, scan)
        });
        let needs: Vec<Need> = entries.par_iter().map(|e| first_need(e, config, prefilter.as_ref())).collect();
        (prefilter, needs)
    };
    // The prefilter only saves work: should its lexical reading of some text fail, every file
    // is parsed and analysed, as without it.
    let (prefilter, needs) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(decide))
        .unwrap_or_else(|_| (None, entries.iter().map(|_| Need::Analysis(Reach::Own)).collect()));
    crate::timings::mark("prefilter");
    let ((sql, replayed, base), parts): (SqlFindings, Vec<Option<Part>>) = rayon::join(
        || sql_findings(&entries, config, &cache),
        || {
            entries
                .par_iter()
                .zip(&needs)
                .map(|(e, need)| {
                    let analyse = match need {
                        Need::Later => return None,
                        Need::Analysis(_) => true,
                        Need::Facts(_) => false,
                    };
                    Some(part(e, config, &cache, &guess, &include, wait_for_queries, analyse))
                })
                .collect()
        },
    );
    if std::env::var_os("BATON_PREFILTER_DEBUG").is_some() {
        if prefilter.is_none() {
            let why = if prefilter_off {
                Some("BATON_NO_PREFILTER=1".to_string())
            } else {
                engine::prefilter::Prefilter::off_because(config)
            };
            eprintln!("prefilter-off {}", why.unwrap_or_else(|| "(a lexical scan failed)".into()));
        }
        for (e, n) in entries.iter().zip(&needs) {
            if e.source.kind.is_ecmascript() {
                let tag = match n {
                    Need::Analysis(r) => format!("A{r:?}"),
                    Need::Facts(r) => format!("F{r:?}"),
                    Need::Later => "L".into(),
                };
                eprintln!("prefilter-need {tag} {}", e.source.relative);
            }
        }
    }
    let parts = match &prefilter {
        Some((prefilter, _)) => {
            needed_parts(&entries, &needs, parts, prefilter, config, &cache, &guess, &include, wait_for_queries)
        }
        None => parts.into_iter().map(|p| p.expect("every file has its part without a prefilter")).collect(),
    };
    crate::timings::mark("file facts, early analysis, SQL");
    // Assembling the workspace facts leaves a core idle much of the time: the cache's stored
    // form of the facts computed in this run is made meanwhile.
    let (mut facts, prepared_facts) = rayon::join(
        || WorkspaceFacts::assemble(parts.iter().map(|p| &p.facts)),
        || {
            let computed = parts.iter().zip(&entries).filter(|(p, _)| p.computed);
            cache.prepare_facts(
                computed.map(|(p, e)| (e.source.relative.as_str(), e.content, &p.facts, p.imports.as_slice())),
            )
        },
    );
    crate::timings::mark("workspace facts assembled");
    let WorkspaceFacts { plan, handoffs, plan_findings, .. } = guess;
    (facts.plan, facts.handoffs, facts.plan_findings) = (plan, handoffs, plan_findings);
    facts.sql_findings = sql;
    facts.migrations_model = base;

    // 3. Findings of each requested file: the early analysis when every answer it read of the
    // workspace facts is the same under the real ones; else from the cache by dependency key;
    // else analysed (parsed again if need be).
    let (parts, early): (Vec<_>, Vec<_>) =
        parts.into_iter().map(|p| ((p.facts, p.imports, p.computed), (p.analysed, p.early))).unzip();
    let facts = &facts;
    let findings_of = |(i, (e, (analysed, early))): (usize, (&Entry, (bool, Early)))| {
        let path = &e.source.relative;
        if !cache::is_cached_kind(e.source.kind) {
            return (i, engine::analyze_document(e.doc(stats), config, facts), None);
        }
        if !analysed {
            // No rule can fire on it (`engine::prefilter`): only cross-file findings can be
            // its, and those are rare enough to analyse it for them.
            let cross_file =
                facts.sql_findings.contains_key(path.as_str()) || facts.plan_findings.contains_key(path.as_str());
            let found = if cross_file { engine::analyze_document(e.doc(stats), config, facts) } else { Vec::new() };
            return (i, found, None);
        }
        // A disabled cache keeps nothing: its key is not worth computing.
        let key =
            cache.is_enabled().then(|| cache::dependency_digest(path, e.source.kind, &e.content, &parts[i].1, facts));
        if let Some((found, dependencies)) = early {
            CacheStats::bump(&stats.findings_misses);
            let still = !facts.sql_findings.contains_key(path.as_str())
                && dependencies.iter().all(|d| d.holds_across_files(facts, path));
            if still {
                return (i, found, key);
            }
            CacheStats::bump(&stats.guesses_wrong);
            return (i, engine::analyze_document(e.doc(stats), config, facts), key);
        }
        if let Some(found) = key.as_ref().and_then(|key| cache.findings(path, key)) {
            // Kept as it is in the cache: nothing to store.
            CacheStats::bump(&stats.findings_hits);
            return (i, found, None);
        }
        CacheStats::bump(&stats.findings_misses);
        (i, engine::analyze_document(e.doc(stats), config, facts), key)
    };
    // The findings to cache are put in their stored form here, in parallel.
    let mut analysed: Vec<(usize, Vec<Finding>, Option<PreparedFindings>)> = entries
        .par_iter()
        .zip(early)
        .enumerate()
        .filter(|(_, (e, _))| include(&e.source.relative))
        .map(|item| {
            let (i, found, key) = findings_of(item);
            let prepared = key.and_then(|key| cache.prepare_findings(key, &found));
            (i, found, prepared)
        })
        .collect();
    analysed.sort_unstable_by_key(|(i, _, _)| *i);
    crate::timings::mark("findings");

    let mut prepared_findings = Vec::new();
    let mut findings = Vec::new();
    for (i, found, prepared) in analysed {
        let path = &entries[i].source.relative;
        if let Some(prepared) = prepared {
            prepared_findings.push((path.clone(), prepared));
        }
        findings.extend(found.into_iter().map(|finding| FileFinding { path: path.clone(), finding }));
    }
    let existing: Vec<String> = entries.iter().map(|e| e.source.relative.clone()).collect();
    let stats = std::mem::take(&mut cache.stats);
    // Put in, written, and this run's facts freed on a thread of its own while the report is
    // made.
    let additions = cache::Additions { facts: prepared_facts, findings: prepared_findings, sequences: replayed };
    let cache_write = cache.save_in_background(additions, existing, parts);
    crate::timings::mark("analysis cache handed to its writer");

    for entry in entries {
        match entry.doc.into_inner() {
            Some(doc) => workspace.documents.push(Arc::new(doc)),
            None => workspace.unparsed.push(UnparsedFile::new(entry.source.relative, entry.text)),
        }
    }
    let mut notices = engine::notices::inactive_rules(&workspace.config, facts, &workspace.files);
    notices.extend(engine::notices::sql_notices(&workspace.config, workspace.texts()));
    let _ = workspace.config_notices.set(notices);
    workspace.finish_findings(&mut findings, &include);
    crate::timings::mark("findings finished");
    (workspace, findings, stats, cache_write)
}

/// A file's findings under the guessed workspace facts, and what they read of them.
type Early = Option<(Vec<Finding>, Vec<Dependency>)>;

/// What step 2 gives for one file.
struct Part {
    facts: DocumentFacts,
    /// The modules it imports (part of its findings' cache key).
    imports: Vec<String>,
    /// True when `facts` were computed in this run (to be cached).
    computed: bool,
    /// Its findings under the guessed workspace facts, and what they read of them.
    early: Early,
    /// False for a TypeScript/JavaScript file the prefilter found no rule can fire on (its
    /// findings are empty, cross-file ones aside): its facts, if computed, are for others.
    analysed: bool,
}

/// Step 2 for one file: its facts, from the cache or computed; a TypeScript/JavaScript file that
/// had to be parsed is analysed at once under `guess` (when it is requested and its grammar's
/// queries are compiled already: waiting for them would leave a core idle; such a file keeps
/// its tree for step 3 instead, unless `wait_for_queries`).
fn part(
    e: &Entry,
    config: &Config,
    cache: &AnalysisCache,
    guess: &WorkspaceFacts,
    include: &dyn Fn(&str) -> bool,
    wait_for_queries: bool,
    analyse: bool,
) -> Part {
    let analysed = analyse;
    let stats = &cache.stats;
    let path = &e.source.relative;
    let plain = |facts: DocumentFacts, imports, computed| Part { facts, imports, computed, early: None, analysed };
    if e.source.kind == FileKind::Sql {
        // SQL contributes no per-file facts (its findings come from its sequence).
        return plain(DocumentFacts { path: path.clone(), ..DocumentFacts::default() }, Vec::new(), false);
    }
    if !e.source.kind.is_ecmascript() {
        let (facts, imports) = DocumentFacts::collect_with_imports(e.doc(stats), config);
        return plain(facts, imports, false);
    }
    if let Some((facts, imports)) = cache.facts(path, &e.content) {
        CacheStats::bump(&stats.facts_hits);
        return plain(facts, imports, false);
    }
    CacheStats::bump(&stats.facts_misses);
    if !include(path) || !analyse {
        // Not analysed in this run: its tree is needed for its facts only, and dropped.
        CacheStats::bump(&stats.parsed);
        let doc = Document::parse(path.clone(), e.source.kind, e.text.clone());
        let (facts, imports) = DocumentFacts::collect_with_imports(&doc, config);
        return plain(facts, imports, true);
    }
    if !(wait_for_queries || config.user_rules.ready(e.source.kind)) {
        let (facts, imports) = DocumentFacts::collect_with_imports(e.doc(stats), config);
        return plain(facts, imports, true);
    }
    CacheStats::bump(&stats.parsed);
    let doc = Document::parse(path.clone(), e.source.kind, e.text.clone());
    let (facts, imports, file) = DocumentFacts::collect_ecmascript(&doc, config);
    let early = engine::analyze_document_recording(&doc, config, guess, file);
    Part { facts, imports, computed: true, early: Some(early), analysed }
}

/// What step 2 needs of a file first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Its facts and (when requested) its findings: a rule may fire on it, or no prefilter
    /// applies, or it is not TypeScript/JavaScript; and the facts of what it imports, that far.
    Analysis(Reach),
    /// Its facts only: others' analyses read them ([`engine::prefilter::Prefilter::needs_facts`]).
    Facts(Reach),
    /// Its facts when an analysed file's imports reach it ([`needed_parts`]), else nothing.
    Later,
}

/// What the prefilter says of `e` before any file is parsed.
fn first_need(
    e: &Entry,
    config: &Config,
    prefilter: Option<&(engine::prefilter::Prefilter, engine::prefilter::WorkspaceScan)>,
) -> Need {
    let Some((prefilter, scan)) = prefilter.filter(|_| e.source.kind.is_ecmascript()) else {
        return Need::Analysis(Reach::Own);
    };
    let path = &e.source.relative;
    if prefilter.needs_analysis(path, &e.text, config, scan) {
        let reach = prefilter.analysis_reach(path, &e.text, config);
        Need::Analysis(prefilter.needs_facts(&e.text).map_or(reach, |r| r.max(reach)))
    } else if let Some(reach) = prefilter.needs_facts(&e.text) {
        Need::Facts(reach)
    } else {
        Need::Later
    }
}

/// Completes step 2 for the files the prefilter left for later ([`Need::Later`]): the facts of
/// every module the parsed files' imports and re-exports reach, as far as each file's
/// [`Reach`] says (what the analyses read of other modules). The rest keep empty facts and are
/// never parsed.
#[allow(clippy::too_many_arguments)]
fn needed_parts(
    entries: &[Entry],
    needs: &[Need],
    mut parts: Vec<Option<Part>>,
    prefilter: &engine::prefilter::Prefilter,
    config: &Config,
    cache: &AnalysisCache,
    guess: &WorkspaceFacts,
    include: &(dyn Fn(&str) -> bool + Sync),
    wait_for_queries: bool,
) -> Vec<Part> {
    // The module graph depends on the paths and manifests only: the same as assembled later.
    let graph = crate::semantic::graph::ModuleGraph::build(
        entries.iter().filter(|e| e.source.kind.is_ecmascript()).map(|e| e.source.relative.as_str()),
        parts.iter().flatten().filter_map(|p| p.facts.manifest.as_ref()),
    );
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.source.kind.is_ecmascript()) {
        by_key.entry(engine::ecma::module_key(&e.source.relative)).or_default().push(i);
    }
    // How far each file's imports are followed so far (`None`: not reached).
    let mut reach: Vec<Option<Reach>> = needs
        .iter()
        .map(|n| match n {
            Need::Analysis(r) | Need::Facts(r) => Some(*r),
            Need::Later => None,
        })
        .collect();
    let mut frontier: Vec<usize> = (0..entries.len()).filter(|&i| parts[i].is_some()).collect();
    while !frontier.is_empty() {
        // Each module reached, with the farthest reach asked of it.
        let mut next: HashMap<usize, Reach> = HashMap::new();
        for &i in &frontier {
            let (Some(p), Some(r)) = (&parts[i], reach[i]) else { continue };
            let from = entries[i].source.relative.as_str();
            let reexports = p
                .facts
                .reexports
                .iter()
                .filter_map(|e| e.source.as_deref())
                .chain(p.facts.summaries.reexports.iter().map(|(_, _, source)| source.as_str()))
                .chain(p.facts.never_rejects_if.iter().flat_map(|(_, c)| c.iter().map(|(s, _)| s.as_str())));
            let imports = p.imports.iter().map(String::as_str);
            let followed: Vec<(&str, Reach)> = match r {
                Reach::Own => Vec::new(),
                Reach::Reexports => reexports.map(|s| (s, Reach::Reexports)).collect(),
                Reach::Imports => reexports.chain(imports).map(|s| (s, Reach::Reexports)).collect(),
                Reach::Calls => reexports.chain(imports).map(|s| (s, Reach::Calls)).collect(),
            };
            for (specifier, wanted) in followed {
                let keys = match graph.resolve(from, specifier) {
                    Some(key) => vec![key],
                    None => engine::ecma::resolve_module(from, specifier),
                };
                for key in keys {
                    for &j in by_key.get(key.as_str()).into_iter().flatten() {
                        if reach[j].is_none_or(|had| had < wanted) {
                            let asked = next.entry(j).or_insert(wanted);
                            *asked = (*asked).max(wanted);
                        }
                    }
                }
            }
        }
        // A module only asked for its exports' facts has none unless its text may give some.
        let missing: Vec<usize> = next
            .iter()
            .filter(|(&j, &wanted)| {
                parts[j].is_none() && (wanted > Reach::Reexports || prefilter.may_export_facts(&entries[j].text))
            })
            .map(|(&j, _)| j)
            .collect();
        let computed: Vec<(usize, Part)> = missing
            .par_iter()
            .map(|&i| (i, part(&entries[i], config, cache, guess, include, wait_for_queries, false)))
            .collect();
        if std::env::var_os("BATON_PREFILTER_DEBUG").is_some() {
            for (i, _) in &computed {
                eprintln!("prefilter-closure {:?} {}", next[i], entries[*i].source.relative);
            }
        }
        for (i, p) in computed {
            parts[i] = Some(p);
        }
        for (&j, &wanted) in &next {
            reach[j] = Some(reach[j].map_or(wanted, |had| had.max(wanted)));
        }
        frontier = next.into_keys().collect();
    }
    crate::timings::mark("prefilter: imported modules' facts");
    parts
        .into_iter()
        .zip(entries)
        .map(|(p, e)| {
            p.unwrap_or_else(|| {
                CacheStats::bump(&cache.stats.prefiltered);
                Part {
                    facts: DocumentFacts { path: e.source.relative.clone(), ..DocumentFacts::default() },
                    imports: Vec::new(),
                    computed: false,
                    early: None,
                    analysed: false,
                }
            })
        })
        .collect()
}

/// The configured RLS wrappers whose names occur in some TypeScript/JavaScript text: a superset
/// of those in use (defined or imported), and almost always the same set.
fn wrappers_named(entries: &[Entry], config: &Config) -> std::collections::BTreeSet<String> {
    let code: Vec<&str> = entries.iter().filter(|e| e.source.kind.is_ecmascript()).map(|e| &*e.text).collect();
    config.rls.wrappers.iter().filter(|w| code.iter().any(|text| text.contains(w.as_str()))).cloned().collect()
}

/// SQL findings by path.
type ByPath = HashMap<String, Vec<Finding>>;

/// Findings of the SQL rules by path, the sequences that were replayed (to be cached), and the
/// main migrations folder's model when a Markdown document has SQL blocks to replay on it.
type SqlFindings = (ByPath, Vec<(String, Digest, ByPath)>, Option<Arc<crate::sql::MigrationModel>>);

/// The SQL findings of every migration sequence: from the cache when the sequence's files are
/// unchanged, else replayed (parsing its files).
fn sql_findings(entries: &[Entry], config: &Config, cache: &AnalysisCache) -> SqlFindings {
    let stats = &cache.stats;
    let sql: Vec<&Entry> = entries.iter().filter(|e| e.source.kind == FileKind::Sql).collect();
    if sql.is_empty() {
        return (HashMap::new(), Vec::new(), None);
    }
    // `[sql] exposed_schemas` decided from the whole workspace (its SQL files, package.json), so
    // that every sequence is checked, and cached, under the same decision.
    let config = &*crate::sql::exposure::resolve(
        config,
        entries
            .iter()
            .filter(|e| matches!(e.source.kind, FileKind::Sql | FileKind::Manifest))
            .map(|e| (e.source.relative.as_str(), &*e.text)),
    );
    let exposed = format!("{:?}", config.sql.exposed_schemas);
    let needs_base =
        entries.iter().any(|e| e.source.kind == FileKind::Markdown && engine::embedded::has_sql_block(&e.text));
    let by_path: HashMap<&str, &Entry> = sql.iter().map(|e| (e.source.relative.as_str(), *e)).collect();
    // Grouping reads only paths and kinds: group empty stand-ins rather than parsing every file.
    let stand_ins: Vec<Document> =
        sql.iter().map(|e| Document::parse(e.source.relative.clone(), FileKind::Sql, "")).collect();
    let refs: Vec<&Document> = stand_ins.iter().collect();
    // Each migrations folder is one cached unit. The stand-alone SQL files are one more unit
    // (whether one is replayed depends on what the migrations define, so its key lists every SQL
    // file); it is keyed by a name no folder can have.
    let main = needs_base.then(|| engine::WorkspaceFacts::main_migrations_folder(&refs, config)).flatten();
    let (folders, standalone): (Vec<_>, Vec<_>) =
        migration_sequences(&refs, config).into_iter().partition(|s| s.is_migrations_folder);
    let entries = |s: &crate::sql::MigrationSequence<'_>| -> Vec<&Entry> {
        s.documents.iter().filter_map(|d| by_path.get(d.path.as_str()).copied()).collect()
    };
    let mut sequences: Vec<(String, Vec<&Entry>, bool)> =
        folders.iter().map(|s| (s.folder.clone(), entries(s), false)).collect();
    if !standalone.is_empty() {
        sequences.push(("\0stand-alone SQL files".to_string(), sql.to_vec(), true));
    }
    type Result = (String, Digest, ByPath, bool, Option<Arc<crate::sql::MigrationModel>>);
    let results: Vec<Result> = sequences
        .par_iter()
        .map(|(folder, files, standalone)| {
            let listed: Vec<(&str, &Digest)> = files.iter().map(|e| (e.source.relative.as_str(), &e.content)).collect();
            let key = cache::sequence_digest(&format!("{folder}\0{exposed}"), &listed);
            let is_main = !*standalone && main.as_deref() == Some(folder.as_str());
            if let Some(found) = cache.sequence(folder, &key) {
                CacheStats::bump(&stats.sql_hits);
                // The findings are cached, the model is not: replay it for the documents.
                let base = is_main.then(|| {
                    let docs: Vec<&Document> = files.par_iter().map(|e| e.doc(stats)).collect();
                    let mut model = crate::sql::MigrationModel::replay(&docs);
                    model.exposed_schemas = config.sql.exposed_schemas.clone();
                    Arc::new(model)
                });
                return (folder.clone(), key, found, false, base);
            }
            CacheStats::bump(&stats.sql_misses);
            let docs: Vec<&Document> = files.par_iter().map(|e| e.doc(stats)).collect();
            let (found, base) = if *standalone {
                (engine::WorkspaceFacts::standalone_sql_findings(&docs, config), None)
            } else {
                engine::WorkspaceFacts::sql_findings_and_base(&docs, config)
            };
            (folder.clone(), key, found, true, base.filter(|_| is_main))
        })
        .collect();
    let mut all = HashMap::new();
    let mut replayed = Vec::new();
    let mut main_model = None;
    for (folder, key, found, computed, base) in results {
        if computed {
            replayed.push((folder, key, found.clone()));
        }
        all.extend(found);
        main_model = main_model.or(base);
    }
    (all, replayed, main_model)
}
