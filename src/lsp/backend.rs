//! The `LanguageServer` implementation: lifecycle, scans with progress, debounced analysis and
//! publishing, code actions and hover. Document state changes are applied in order by
//! [`super::ordered`] before these handlers run; handlers only schedule and answer.

use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::buffer::{BufferAnalysis, Encoding};
use super::convert::{self, DiagnosticData};
use super::ide;
use super::log::{log, Level};
use super::settle;
use super::state::{self, ClientCaps, State};
use crate::config::CONFIG_FILE_NAME;
use crate::engine::facts::DocumentFacts;
use crate::engine::suppression;
use crate::rules;
use crate::syntax::Document;
use crate::workspace::{self, Workspace};

/// Edits closer together than this are a burst of typing: the analysis waits this long after the
/// last one. An isolated edit is analysed at once.
const EDIT_DEBOUNCE: Duration = Duration::from_millis(50);
/// A job analysing more documents than this returns freed memory to the system afterwards.
const LARGE_JOB: usize = 256;
/// A job analysing more documents than this spreads them over the cores.
const PARALLEL_JOB: usize = 16;
/// Files loaded per progress report during a scan.
const SCAN_CHUNK: usize = 256;
/// The code action kind of "fix everything Baton can".
pub const FIX_ALL_KIND: &str = "source.fixAll.baton";
/// A command that panics, registered only with `BATON_TEST_HOOKS=1` (for tests of recovery).
pub const PANIC_COMMAND: &str = "baton.debug.panic";

/// With test hooks: a command that takes as long as its argument says (milliseconds), to test
/// `$/cancelRequest`.
pub const SLEEP_COMMAND: &str = "baton.debug.sleep";

/// With test hooks: a command that lists the closed files whose syntax tree is kept now (see
/// [`state::DiskFile`]), to test that trees are released after analysis.
pub const KEPT_TREES_COMMAND: &str = "baton.debug.keptTrees";

/// Per root: the newest job's generation, and the paths waiting to be re-analysed (`None`: all).
type Jobs = HashMap<usize, (u64, Option<HashSet<String>>)>;

/// State shared by the backend and the ordering middleware.
pub struct Shared {
    state: Mutex<State>,
    /// The client handle, set when the service is built.
    pub client: OnceLock<Client>,
    /// Job generations, for debouncing and never publishing a stale result.
    generation: AtomicU64,
    /// Per root: the newest job, and the paths waiting to be re-analysed (`None`: all).
    jobs: Mutex<Jobs>,
    /// Serialises publishing so a check of "is this the newest result" and the send are atomic.
    publish: tokio::sync::Mutex<()>,
    /// When each root last saw an edit, to tell a burst of typing from an isolated edit.
    last_edit: Mutex<HashMap<usize, std::time::Instant>>,
    /// Whether test hooks (a command that panics, one that sleeps) are enabled.
    pub test_hooks: bool,
    /// Bumped whenever a root's first scan completes ([`state::Root::scan_complete`]).
    scans: tokio::sync::watch::Sender<u64>,
    /// Set once the client pulls `workspace/diagnostic`: from then on no document's diagnostics
    /// are pushed (the client would show them twice).
    workspace_pull: std::sync::atomic::AtomicBool,
}

impl Shared {
    /// Empty state.
    pub fn new() -> Shared {
        Shared {
            state: Mutex::new(State::default()),
            client: OnceLock::new(),
            generation: AtomicU64::new(1),
            jobs: Mutex::new(HashMap::new()),
            publish: tokio::sync::Mutex::new(()),
            last_edit: Mutex::new(HashMap::new()),
            test_hooks: false,
            scans: tokio::sync::watch::Sender::new(0),
            workspace_pull: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Locks the state. A panic elsewhere cannot poison it for good: the data stays usable.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn jobs(&self) -> MutexGuard<'_, Jobs> {
        self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reports a caught panic: always logged, shown to the user once per session.
    pub async fn report_panic(&self, context: &str, message: &str) {
        log(Level::Error, format!("panic in {context}: {message}"));
        let Some(client) = self.client.get() else { return };
        client.log_message(MessageType::ERROR, format!("Baton: internal error in {context}: {message}")).await;
        let first = {
            let mut state = self.state();
            !std::mem::replace(&mut state.panic_shown, true)
        };
        if first {
            let text = format!(
                "Baton hit an internal error in {context} and recovered; details are in the log. Please report it."
            );
            client.show_message(MessageType::ERROR, text).await;
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}

/// The language server.
pub struct Backend {
    pub(super) client: Client,
    pub(super) shared: Arc<Shared>,
}

/// A document ready to analyse outside the lock.
struct Target {
    path: String,
    uri: Uri,
    source: state::Source,
    version: Option<i32>,
    open: bool,
    previously_published: bool,
    analysis: Option<Arc<Mutex<BufferAnalysis>>>,
}

impl Backend {
    /// A backend over shared state.
    pub fn new(client: Client, shared: Arc<Shared>) -> Backend {
        let _ = shared.client.set(client.clone());
        Backend { client, shared }
    }

    /// Schedules re-analysis of `paths` (`None`: everything) in `root` after `delay`.
    pub(super) fn schedule(&self, root: usize, paths: Option<HashSet<String>>, delay: Duration) {
        schedule(&self.shared, &self.client, root, paths, delay);
    }

    fn capabilities(&self, pull: bool, encoding: Encoding) -> ServerCapabilities {
        let mut commands: Vec<String> = super::commands::COMMANDS.iter().map(|c| c.to_string()).collect();
        if self.shared.test_hooks {
            commands.push(PANIC_COMMAND.to_string());
            commands.push(SLEEP_COMMAND.to_string());
            commands.push(KEPT_TREES_COMMAND.to_string());
        }
        ServerCapabilities {
            position_encoding: Some(match encoding {
                Encoding::Utf8 => PositionEncodingKind::UTF8,
                Encoding::Utf16 => PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            })),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![
                    CodeActionKind::QUICKFIX,
                    CodeActionKind::new(FIX_ALL_KIND),
                    CodeActionKind::new("refactor.baton.stage"),
                ]),
                ..CodeActionOptions::default()
            })),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            definition_provider: Some(OneOf::Left(true)),
            code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
            inlay_hint_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec!["\"".into(), "/".into()]),
                ..CompletionOptions::default()
            }),
            diagnostic_provider: pull.then(|| {
                DiagnosticServerCapabilities::Options(DiagnosticOptions {
                    identifier: Some("baton".into()),
                    inter_file_dependencies: true,
                    workspace_diagnostics: true,
                    ..DiagnosticOptions::default()
                })
            }),
            execute_command_provider: (!commands.is_empty())
                .then(|| ExecuteCommandOptions { commands, ..ExecuteCommandOptions::default() }),
            workspace: Some(WorkspaceServerCapabilities {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..ServerCapabilities::default()
        }
    }

    /// Loads every scanned root that has not been scanned yet, reporting progress.
    async fn scan_roots(&self) {
        let pending: Vec<(usize, PathBuf, Arc<crate::config::Config>)> = {
            let state = self.shared.state();
            state
                .roots
                .iter()
                .enumerate()
                .filter(|(_, r)| r.scanned && (r.rescan || r.entries.values().all(|e| e.disk.is_none())))
                .map(|(i, r)| (i, r.path.clone(), r.config.clone()))
                .collect()
        };
        for (index, _, _) in &pending {
            self.shared.state().roots[*index].rescan = false;
        }
        let (progress_supported, delay) = {
            let state = self.shared.state();
            (state.caps.work_done_progress, state.test_scan_delay)
        };
        for (index, path, config) in pending {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let token = NumberOrString::String(format!("baton-scan-{index}"));
            let progress = if progress_supported && self.client.create_work_done_progress(token.clone()).await.is_ok() {
                Some(
                    self.client
                        .progress(token, "Baton")
                        .with_message("scanning workspace")
                        .with_percentage(0)
                        .begin()
                        .await,
                )
            } else {
                None
            };
            let (sources, files) = {
                let (path, filter) = (path.clone(), config.path_filter());
                tokio::task::spawn_blocking(move || {
                    let (mut sources, files) = workspace::discover_all(&path);
                    sources.retain(|s| filter.admits(&s.relative));
                    (sources, files)
                })
                .await
                .unwrap_or_default()
            };
            if let Some(root) = self.shared.state().roots.get_mut(index) {
                root.files = files;
            }
            let total = sources.len();
            let mut done = 0;
            for chunk in sources.chunks(SCAN_CHUNK) {
                let chunk = chunk.to_vec();
                let (root_path, config) = (path.clone(), config.clone());
                let loaded = tokio::task::spawn_blocking(move || {
                    let ws = Workspace::load_sources(&root_path, (*config).clone(), &chunk);
                    // The facts of TS/JS files now, so that their trees need not wait for the
                    // first analysis job (`Root::install_scan`).
                    let facts: HashMap<String, DocumentFacts> = ws
                        .documents
                        .par_iter()
                        .filter(|d| d.kind.is_ecmascript())
                        .map(|d| (d.path.clone(), DocumentFacts::collect(d, &config)))
                        .collect();
                    (ws, facts, config)
                })
                .await;
                match loaded {
                    Ok((ws, facts, config)) => {
                        let mut state = self.shared.state();
                        if let Some(root) = state.roots.get_mut(index) {
                            root.install_scan(ws, facts, &config);
                        }
                    }
                    Err(e) => self.shared.report_panic("workspace scan", &e.to_string()).await,
                }
                done += SCAN_CHUNK.min(total - done);
                if let Some(progress) = &progress {
                    let percentage = (done * 100).checked_div(total).unwrap_or(100) as u32;
                    progress.report_with_message(format!("{done}/{total} files"), percentage).await;
                }
            }
            if let Some(progress) = progress {
                progress.finish_with_message(format!("{total} files")).await;
            }
            log(Level::Info, format!("scanned {} ({total} files)", path.display()));
            self.record_change_times(index, &path).await;
            if let Some(root) = self.shared.state().roots.get_mut(index) {
                root.scan_complete = true;
            }
            self.shared.scans.send_modify(|n| *n += 1);
            self.publish_config_error(index).await;
            self.schedule(index, None, Duration::ZERO);
        }
    }

    /// In a trusted workspace, asks git when the files named by handoffs last changed (for the
    /// "changed since handoff" hints); untrusted workspaces get no hints rather than a git run.
    async fn record_change_times(&self, index: usize, path: &std::path::Path) {
        let named = {
            let mut state = self.shared.state();
            let Some(root) = state.roots.get_mut(index).filter(|r| r.trusted) else { return };
            root.refresh_facts();
            root.facts.handoffs.named_paths()
        };
        if named.is_empty() {
            return;
        }
        let path = path.to_path_buf();
        let times =
            tokio::task::spawn_blocking(move || workspace::git::change_times(&path, named.iter().map(String::as_str)))
                .await
                .unwrap_or_default();
        let mut state = self.shared.state();
        if let Some(root) = state.roots.get_mut(index) {
            for (file, at) in times {
                root.files.set_changed(&file, at);
            }
            root.facts_revision = 0; // recompute every fact with the change times
        }
    }

    /// Publishes (or clears) the `meta/config` diagnostic of a root's `baton.toml`.
    async fn publish_config_error(&self, root: usize) {
        let (uri, diagnostics) = {
            let state = self.shared.state();
            let Some(r) = state.roots.get(root) else { return };
            let path = r.path.join(CONFIG_FILE_NAME);
            let Some(uri) = Uri::from_file_path(&path) else { return };
            let diagnostics = match &r.config_error {
                None => Vec::new(),
                Some(error) => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let doc = Document::parse(CONFIG_FILE_NAME, crate::syntax::FileKind::Markdown, text);
                    let span = error.span.clone().unwrap_or(0..0);
                    let range = convert::range(&doc, &(span.start..span.end.max(span.start)), state.encoding);
                    vec![Diagnostic {
                        range,
                        severity: Some(DiagnosticSeverity::ERROR),
                        code: Some(NumberOrString::String("meta/config".into())),
                        source: Some("baton".into()),
                        message: format!("{} (defaults are in force until this is fixed)", error.message),
                        ..Diagnostic::default()
                    }]
                }
            };
            (uri, diagnostics)
        };
        self.client.publish_diagnostics(uri, diagnostics, None).await;
        self.publish_rule_file_problems(root).await;
    }

    /// Publishes the `meta/config` diagnostics of a root's rule files (`.baton/rules/`), and
    /// clears those of files that no longer have a problem.
    async fn publish_rule_file_problems(&self, root: usize) {
        let batches: Vec<(Uri, Vec<Diagnostic>)> = {
            let mut state = self.shared.state();
            let encoding = state.encoding;
            let Some(r) = state.roots.get_mut(root) else { return };
            let user_rules = r.config.user_rules.clone();
            let mut paths: Vec<String> = user_rules.problems().iter().map(|p| p.path.clone()).collect();
            paths.dedup();
            let previous = std::mem::replace(&mut r.rule_problem_files, paths.clone());
            let mut all = paths.clone();
            all.extend(previous);
            all.sort();
            all.dedup();
            all.into_iter()
                // `baton.toml` (an unknown `project/` id in `[rules]`) was just published by the
                // configuration's own diagnostics: only add to them, never clear them.
                .filter(|path| path != CONFIG_FILE_NAME || paths.contains(path))
                .filter_map(|path| {
                    let uri = Uri::from_file_path(r.path.join(&path))?;
                    let text = user_rules.text_of(&path).unwrap_or_default().to_string();
                    let doc = Document::parse(path.clone(), crate::syntax::FileKind::Markdown, text);
                    let diagnostics = user_rules
                        .problems()
                        .iter()
                        .filter(|p| p.path == path)
                        .map(|p| Diagnostic {
                            range: convert::range(&doc, &(p.range.start..p.range.end.max(p.range.start)), encoding),
                            severity: Some(DiagnosticSeverity::ERROR),
                            code: Some(NumberOrString::String("meta/config".into())),
                            source: Some("baton".into()),
                            message: if path == CONFIG_FILE_NAME {
                                p.message.clone()
                            } else {
                                format!("{} (this rule is not loaded until it is fixed)", p.message)
                            },
                            ..Diagnostic::default()
                        })
                        .collect();
                    Some((uri, diagnostics))
                })
                .collect()
        };
        for (uri, diagnostics) in batches {
            self.client.publish_diagnostics(uri, diagnostics, None).await;
        }
    }

    /// The root and root-relative path of a document URI.
    fn locate(&self, uri: &Uri) -> Option<state::Location> {
        let path = state::uri_path(uri)?;
        self.shared.state().locate(&path)
    }

    /// A snapshot of one document for the editor features.
    fn snapshot(&self, uri: &Uri) -> Option<ide::Snapshot> {
        ide::Snapshot::take(&mut self.shared.state(), uri)
    }

    /// Waits until the first scan of the root of `uri` is complete (at most a minute): features
    /// that show workspace facts (code lenses, inlay hints) asked for before it ends are answered
    /// from the whole workspace, not from the few files opened so far. Clients that cannot be
    /// asked to refresh lenses would otherwise keep the empty answer.
    async fn scanned(&self, uri: &Uri) {
        let Some(path) = state::uri_path(uri) else { return };
        let mut scans = self.shared.scans.subscribe();
        let complete = || {
            let mut state = self.shared.state();
            state.locate(&path).is_none_or(|(root, _)| state.roots.get(root).is_none_or(|r| r.scan_complete))
        };
        let wait = async {
            while !complete() {
                if scans.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(60), wait).await;
    }

    /// What re-analysing the document at `uri` with another text needs.
    fn patch_inputs(&self, uri: &Uri, kind: crate::syntax::FileKind) -> Option<state::PatchInputs> {
        let mut state = self.shared.state();
        let path = state::uri_path(uri)?;
        let (root, _) = state.locate(&path)?;
        Some(state.roots.get(root)?.patch_inputs(kind))
    }

    /// Findings and diagnostics of one open document, computed now.
    fn document_now(&self, uri: &Uri) -> Option<(Arc<Document>, Arc<Vec<crate::engine::Finding>>, Encoding)> {
        let mut state = self.shared.state();
        let path = state::uri_path(uri)?;
        let (root, relative) = state.locate(&path)?;
        let encoding = state.encoding;
        let r = state.roots.get_mut(root)?;
        r.refresh_facts();
        let entry = r.entries.get(&relative)?;
        let doc = entry.current()?;
        let analysis = entry.buffer.as_ref().map(|b| b.analysis.clone());
        let (config, facts) = (r.config.clone(), r.facts.clone());
        drop(state);
        let findings = state::analyze(&doc, &config, &facts, analysis.as_deref()).ok()?;
        Some((doc, findings, encoding))
    }
}

/// Schedules re-analysis of `paths` (`None`: everything) in `root` after `delay`; a newer job
/// for the same root supersedes this one and takes its paths over.
pub(super) fn schedule(
    shared: &Arc<Shared>,
    client: &Client,
    root: usize,
    paths: Option<HashSet<String>>,
    delay: Duration,
) {
    let generation = shared.generation.fetch_add(1, Ordering::SeqCst);
    {
        let mut jobs = shared.jobs();
        let job = jobs.entry(root).or_insert((0, Some(HashSet::new())));
        job.0 = generation;
        job.1 = match (job.1.take(), paths) {
            (Some(mut pending), Some(new)) => {
                pending.extend(new);
                Some(pending)
            }
            _ => None,
        };
    }
    let (shared, client) = (shared.clone(), client.clone());
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        run_job(shared, client, root, generation).await;
    });
}

/// The documents of `r` to analyse: those in `scope`, or (without one) every document.
fn collect_targets(r: &state::Root, scope: Option<&HashSet<String>>) -> Vec<Target> {
    let mut targets = Vec::new();
    for (path, entry) in &r.entries {
        if scope.is_some_and(|scope| !scope.contains(path)) {
            continue;
        }
        let (Some(source), Some(uri)) = (entry.source(), Uri::from_file_path(r.path.join(path))) else { continue };
        targets.push(Target {
            path: path.clone(),
            uri,
            source,
            version: entry.buffer.as_ref().map(|b| b.version),
            open: entry.buffer.is_some(),
            previously_published: r.published.contains(path),
            analysis: entry.buffer.as_ref().map(|b| b.analysis.clone()),
        });
    }
    targets
}

/// Analyses `targets` (parsing those whose tree was released, off the state lock) and converts
/// their findings; a panic in one file's analysis is that file's `Err`.
fn diagnose(
    targets: Vec<Target>,
    config: &Arc<crate::config::Config>,
    facts: &Arc<crate::engine::WorkspaceFacts>,
    encoding: Encoding,
) -> Vec<(Target, std::result::Result<Vec<Diagnostic>, String>)> {
    let by_path: HashMap<String, (Uri, state::Source)> =
        targets.iter().map(|t| (t.path.clone(), (t.uri.clone(), t.source.clone()))).collect();
    let one = |t: Target| {
        let doc = t.source.doc();
        // Fixes mostly edit their own file: that one is parsed already.
        let resolve = |path: &str| match path == t.path {
            true => Some((t.uri.clone(), doc.clone())),
            false => by_path.get(path).map(|(uri, source)| (uri.clone(), source.doc())),
        };
        let result = state::analyze(&doc, config, facts, t.analysis.as_deref()).map(|findings| {
            findings.iter().map(|f| convert::diagnostic(&doc, f, encoding, &resolve)).collect::<Vec<_>>()
        });
        (t, result)
    };
    // An edit's job analyses a file or two: no thread hop for those. A scan's (or a change that
    // re-evaluates every file) is spread over the cores.
    match targets.len() > PARALLEL_JOB {
        true => targets.into_par_iter().map(one).collect(),
        false => targets.into_iter().map(one).collect(),
    }
}

/// A result id for a list of diagnostics: equal lists give equal ids.
fn result_id(diagnostics: &[Diagnostic]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(diagnostics).unwrap_or_default().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// Runs one analysis job, unless a newer job for the same root superseded it.
async fn run_job(shared: Arc<Shared>, client: Client, root: usize, generation: u64) {
    let paths = {
        let mut jobs = shared.jobs();
        match jobs.get_mut(&root) {
            Some(job) if job.0 == generation => job.1.replace(HashSet::new()),
            _ => return,
        }
    };
    let lenses_stale;
    let started = std::time::Instant::now();
    let (targets, config, facts, encoding, pull) = {
        let mut state = shared.state();
        let encoding = state.encoding;
        let pull = state.caps.pull_diagnostics;
        let Some(r) = state.roots.get_mut(root) else { return };
        let changed = r.refresh_facts();
        // Code lenses on source files show handoff facts: ask the client to refresh them.
        lenses_stale = std::mem::take(&mut r.lenses_stale);
        let scope: Option<HashSet<String>> = match (paths, changed) {
            (Some(mut p), Some(c)) => {
                p.extend(c);
                Some(p)
            }
            _ => None,
        };
        let targets = collect_targets(r, scope.as_ref());
        (targets, r.config.clone(), r.facts.clone(), encoding, pull)
    };
    // The phases of a job for the debug log: the facts (the edited documents re-parsed, their
    // document facts, the workspace facts reassembled if they changed), then the analysis.
    let facts_done = started.elapsed();
    let analysed_files = targets.len();
    let computed = tokio::task::spawn_blocking(move || diagnose(targets, &config, &facts, encoding)).await;
    let computed = match computed {
        Ok(c) => c,
        Err(e) => {
            shared.report_panic("analysis", &e.to_string()).await;
            return;
        }
    };
    if lenses_stale && shared.state().caps.code_lens_refresh {
        // Not awaited here: a slow client must not hold up publishing.
        let client = client.clone();
        tokio::spawn(async move { client.code_lens_refresh().await });
    }
    let analysed = started.elapsed();
    let _guard = shared.publish.lock().await;
    let superseded = shared.jobs().get(&root).is_some_and(|job| job.0 != generation);
    if superseded {
        // A newer job runs after this one: hand it the paths this one covered.
        let paths: HashSet<String> = computed.iter().map(|(t, _)| t.path.clone()).collect();
        if let Some(job) = shared.jobs().get_mut(&root) {
            if let Some(pending) = job.1.as_mut() {
                pending.extend(paths);
            }
        }
        return;
    }
    // Open documents shown from a provisional parse are checked against a fresh one later.
    let unsettled: Vec<(String, Arc<Document>)> = computed
        .iter()
        .filter_map(|(t, _)| match &t.source {
            state::Source::Parsed(doc) if t.open && doc.provisional => Some((t.path.clone(), doc.clone())),
            _ => None,
        })
        .collect();
    // Closed files are analysed: their trees are not needed until something re-evaluates them.
    let large = computed.len() > LARGE_JOB;
    if let Some(r) = shared.state().roots.get_mut(root) {
        computed.iter().filter(|(t, _)| !t.open).for_each(|(t, _)| r.release_tree(&t.path));
    }
    // Files deleted (or closed and gone from disk) since their diagnostics were published: an
    // empty publish clears what the client still shows for them.
    let gone: Vec<Uri> = {
        let mut state = shared.state();
        match state.roots.get_mut(root) {
            Some(r) => {
                let paths: Vec<String> = r
                    .published
                    .iter()
                    .filter(|p| r.entries.get(*p).is_none_or(|e| e.buffer.is_none() && e.disk.is_none()))
                    .cloned()
                    .collect();
                paths
                    .into_iter()
                    .filter_map(|p| {
                        r.published.remove(&p);
                        Uri::from_file_path(r.path.join(&p))
                    })
                    .collect()
            }
            None => Vec::new(),
        }
    };
    for uri in gone {
        client.publish_diagnostics(uri, Vec::new(), None).await;
    }
    for (target, result) in computed {
        let diagnostics = match result {
            Ok(d) => d,
            Err(message) => {
                shared.report_panic(&format!("analysis of {}", target.path), &message).await;
                Vec::new()
            }
        };
        // In pull mode the client asks for open documents itself.
        let workspace_pull = shared.workspace_pull.load(Ordering::Relaxed);
        let pushed = if pull && (target.open || workspace_pull) { Vec::new() } else { diagnostics };
        if pushed.is_empty() && !target.previously_published && !target.open {
            continue;
        }
        {
            let mut state = shared.state();
            if let Some(r) = state.roots.get_mut(root) {
                if pushed.is_empty() {
                    r.published.remove(&target.path);
                } else {
                    r.published.insert(target.path.clone());
                }
            }
        }
        client.publish_diagnostics(target.uri, pushed, target.version).await;
    }
    if large {
        super::memory::release_freed();
    }
    for (path, doc) in unsettled {
        settle::later(&shared, &client, root, path, doc);
    }
    log(
        Level::Debug,
        format_args!(
            "job {generation}: facts in {facts_done:?}, {analysed_files} files analysed in {:?}, published after {:?}",
            analysed.saturating_sub(facts_done),
            started.elapsed()
        ),
    );
    if pull {
        let refresh = shared.state().caps.diagnostic_refresh;
        if refresh {
            let _ = client.workspace_diagnostic_refresh().await;
        }
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let caps = &params.capabilities;
        let encoding = match caps.general.as_ref().and_then(|g| g.position_encodings.as_ref()) {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        };
        let diagnostic_refresh = caps
            .workspace
            .as_ref()
            .and_then(|w| w.diagnostics.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false);
        let client_caps = ClientCaps {
            // Pull only with `workspace/diagnostic/refresh`: without it the server could not update
            // what a client shows when evidence, baton.toml or another file changes (Neovim 0.11
            // pulls only after its own edits), so such clients get pushed diagnostics.
            pull_diagnostics: diagnostic_refresh && caps.text_document.as_ref().is_some_and(|t| t.diagnostic.is_some()),
            diagnostic_refresh,
            watched_files_dynamic: caps
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            work_done_progress: caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false),
            code_lens_refresh: caps
                .workspace
                .as_ref()
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|c| c.refresh_support)
                .unwrap_or(false),
            document_changes: caps
                .workspace
                .as_ref()
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|e| e.document_changes)
                .unwrap_or(false),
        };
        let trust = state::Trust::from_option(params.initialization_options.as_ref().and_then(|o| o.get("trusted")));
        #[allow(deprecated)]
        let folders: Vec<PathBuf> = match (&params.workspace_folders, &params.root_uri) {
            (Some(folders), _) if !folders.is_empty() => {
                folders.iter().filter_map(|f| state::uri_path(&f.uri)).collect()
            }
            (_, Some(uri)) => state::uri_path(uri).into_iter().collect(),
            _ => Vec::new(),
        };
        {
            let mut state = self.shared.state();
            state.encoding = encoding;
            state.caps = client_caps;
            state.trust = trust.clone();
            if self.shared.test_hooks {
                let delay = params.initialization_options.as_ref().and_then(|o| o.get("debugScanDelayMs"));
                state.test_scan_delay = Duration::from_millis(delay.and_then(serde_json::Value::as_u64).unwrap_or(0));
            }
            for folder in folders {
                state.add_root(folder, true);
            }
        }
        log(Level::Info, format!("initialize: encoding {encoding:?}, caps {client_caps:?}, trust {trust:?}"));
        Ok(InitializeResult {
            capabilities: self.capabilities(client_caps.pull_diagnostics, encoding),
            server_info: Some(ServerInfo { name: "baton".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // The first analysis of a TS file would otherwise wait for the queries to compile.
        crate::rules::query_set::QuerySet::prepare_all();
        if self.shared.state().caps.watched_files_dynamic {
            // `.git/HEAD` and branch refs: a commit or checkout can make workflow evidence stale.
            // `.baton` itself and everything under it: a client that watches folder by folder
            // (Neovim on Linux) sees the first evidence only as a new `.baton` folder.
            let watchers = [
                "**/baton.toml",
                "**/*.{ts,tsx,js,jsx,mjs,cjs,sql,md,json,signal}",
                // User rule files and their queries (`.baton/rules/` or the configured folders).
                "**/*.{toml,scm}",
                "**/.baton",
                "**/.baton/**",
                "**/.git/HEAD",
                "**/.git/refs/heads/**",
            ]
            .into_iter()
            .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String(glob.into()), kind: None })
            .collect();
            let options = DidChangeWatchedFilesRegistrationOptions { watchers };
            let registration = Registration {
                id: "baton-watched-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            };
            if let Err(e) = self.client.register_capability(vec![registration]).await {
                log(Level::Warn, format!("could not register file watchers: {e}"));
            }
        }
        self.scan_roots().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let location = self.locate(&params.text_document.uri);
        if let Some((root, path)) = location {
            self.schedule(root, Some(HashSet::from([path])), Duration::ZERO);
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let location = self.locate(&params.text_document.uri);
        if let Some((root, path)) = location {
            let now = std::time::Instant::now();
            let previous = {
                let mut last = self.shared.last_edit.lock().unwrap_or_else(|p| p.into_inner());
                last.insert(root, now)
            };
            let in_burst = previous.is_some_and(|p| now.duration_since(p) < EDIT_DEBOUNCE);
            let delay = if in_burst { EDIT_DEBOUNCE } else { Duration::ZERO };
            self.schedule(root, Some(HashSet::from([path])), delay);
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        let Some(path) = state::uri_path(&params.text_document.uri) else { return };
        if path.file_name().is_some_and(|n| n == CONFIG_FILE_NAME) {
            self.config_changed(&path).await;
            return;
        }
        // A saved rule file reloads the user rules (for clients that do not watch files).
        let config =
            self.shared.state().roots.iter().find(|r| r.is_rule_file(&path)).map(|r| r.path.join(CONFIG_FILE_NAME));
        if let Some(config) = config {
            self.config_changed(&config).await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let location = self.locate(&params.text_document.uri);
        if let Some((root, path)) = location {
            self.schedule(root, Some(HashSet::from([path])), Duration::ZERO);
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut configs = Vec::new();
        let mut touched: HashMap<usize, HashSet<String>> = HashMap::new();
        let mut evidence_roots = HashSet::new();
        for change in params.changes {
            let Some(path) = state::uri_path(&change.uri) else { continue };
            if path.file_name().is_some_and(|n| n == CONFIG_FILE_NAME) {
                configs.push(path);
                continue;
            }
            let mut state = self.shared.state();
            // A rule file changed: reload the root's configuration and user rules.
            if let Some(root) = state.roots.iter().find(|r| r.is_rule_file(&path)) {
                let config = root.path.join(CONFIG_FILE_NAME);
                if !configs.contains(&config) {
                    configs.push(config);
                }
                continue;
            }
            match state.evidence_change(&path) {
                state::EvidenceChange::Only(root) => {
                    evidence_roots.insert(root);
                    continue;
                }
                state::EvidenceChange::Also(root) => {
                    evidence_roots.insert(root);
                }
                state::EvidenceChange::None => {}
            }
            if let Some((root, relative)) = state.disk_changed(&path) {
                touched.entry(root).or_default().insert(relative);
            }
        }
        for path in configs {
            self.config_changed(&path).await;
        }
        for root in evidence_roots {
            self.reload_evidence(root).await;
            touched.entry(root).or_default();
        }
        for (root, paths) in touched {
            // An evidence change re-runs the plan rules of every file (`None`).
            let paths = if paths.is_empty() { None } else { Some(paths) };
            self.schedule(root, paths, Duration::ZERO);
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        {
            let mut state = self.shared.state();
            for removed in &params.event.removed {
                if let Some(path) = state::uri_path(&removed.uri) {
                    // Keep indexes stable: an emptied root simply holds nothing.
                    if let Some(root) = state.roots.iter_mut().find(|r| r.path == path) {
                        root.entries.clear();
                        root.scanned = false;
                        root.scan_complete = true;
                        root.revision += 1;
                    }
                }
            }
            for added in &params.event.added {
                if let Some(path) = state::uri_path(&added.uri) {
                    state.add_root(path, true);
                }
            }
        }
        self.scan_roots().await;
    }

    async fn diagnostic(&self, params: DocumentDiagnosticParams) -> Result<DocumentDiagnosticReportResult> {
        let items = match self.document_now(&params.text_document.uri) {
            Some((doc, findings, encoding)) => {
                let uri = params.text_document.uri.clone();
                let resolve = |path: &str| (path == doc.path).then(|| (uri.clone(), doc.clone()));
                findings.iter().map(|f| convert::diagnostic(&doc, f, encoding, &resolve)).collect()
            }
            None => Vec::new(),
        };
        Ok(DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
            RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport { result_id: None, items },
            },
        )))
    }

    async fn workspace_diagnostic(&self, params: WorkspaceDiagnosticParams) -> Result<WorkspaceDiagnosticReportResult> {
        let first = !self.shared.workspace_pull.swap(true, Ordering::Relaxed);
        let previous: HashMap<Uri, String> = params.previous_result_ids.into_iter().map(|p| (p.uri, p.value)).collect();
        let jobs = {
            let mut state = self.shared.state();
            let encoding = state.encoding;
            let mut jobs = Vec::new();
            for (index, r) in state.roots.iter_mut().enumerate() {
                r.refresh_facts();
                jobs.push((index, collect_targets(r, None), r.config.clone(), r.facts.clone(), encoding));
            }
            jobs
        };
        if first {
            // Diagnostics pushed so far are now served by this pull: clear them.
            for (root, _, _, _, _) in &jobs {
                self.schedule(*root, None, Duration::ZERO);
            }
        }
        let computed = tokio::task::spawn_blocking(move || {
            let mut items = Vec::new();
            let mut seen: HashSet<Uri> = HashSet::new();
            for (_, targets, config, facts, encoding) in jobs {
                seen.extend(targets.iter().map(|t| t.uri.clone()));
                for (t, diagnostics) in diagnose(targets, &config, &facts, encoding) {
                    let Ok(diagnostics) = diagnostics else { continue };
                    let id = result_id(&diagnostics);
                    let version = t.version.map(i64::from);
                    match previous.get(&t.uri) {
                        Some(old) if *old == id => items.push(WorkspaceDocumentDiagnosticReport::Unchanged(
                            WorkspaceUnchangedDocumentDiagnosticReport {
                                uri: t.uri,
                                version,
                                unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                                    result_id: id,
                                },
                            },
                        )),
                        old if old.is_some() || !diagnostics.is_empty() => {
                            items.push(WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
                                uri: t.uri,
                                version,
                                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                                    result_id: Some(id),
                                    items: diagnostics,
                                },
                            }))
                        }
                        _ => {}
                    }
                }
            }
            // A file the client has a report for that no longer exists (deleted, or closed and
            // gone from disk): an empty report clears it.
            for (uri, _) in previous.iter().filter(|(uri, _)| !seen.contains(*uri)) {
                items.push(WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
                    uri: uri.clone(),
                    version: None,
                    full_document_diagnostic_report: FullDocumentDiagnosticReport {
                        result_id: None,
                        items: Vec::new(),
                    },
                }));
            }
            items
        })
        .await;
        match computed {
            Ok(items) => Ok(WorkspaceDiagnosticReportResult::Report(WorkspaceDiagnosticReport { items })),
            Err(e) => {
                self.shared.report_panic("workspace diagnostics", &e.to_string()).await;
                Err(Error::internal_error())
            }
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        let only = params.context.only.clone();
        let wants = |kind: &CodeActionKind| {
            only.as_ref().is_none_or(|kinds| kinds.iter().any(|k| kind.as_str().starts_with(k.as_str())))
        };
        let mut actions: Vec<CodeActionOrCommand> = Vec::new();
        let mut suppressions: Vec<CodeActionOrCommand> = Vec::new();
        let doc = self.document_now(&uri);
        if wants(&CodeActionKind::QUICKFIX) {
            for diagnostic in &params.context.diagnostics {
                if diagnostic.source.as_deref() != Some("baton") {
                    continue;
                }
                let Some(data) = diagnostic.data.clone().and_then(|d| serde_json::from_value::<DiagnosticData>(d).ok())
                else {
                    continue;
                };
                for (i, fix) in data.fixes.iter().enumerate() {
                    actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                        title: fix.title.clone(),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![diagnostic.clone()]),
                        edit: Some(WorkspaceEdit {
                            changes: Some(fix.edits.iter().cloned().collect()),
                            ..WorkspaceEdit::default()
                        }),
                        is_preferred: Some(i == 0 && !fix.choice),
                        ..CodeAction::default()
                    }));
                }
                if let Some((doc, _, encoding)) = &doc {
                    suppressions.extend(suppress_actions(&uri, doc, diagnostic, &data.rule, *encoding));
                }
            }
        }
        if wants(&CodeActionKind::new("refactor.baton.stage")) {
            actions.extend(self.stage_code_actions(&uri, params.range));
        }
        // Silencing a finding is never what Ctrl+. Enter should do: suppressions come last.
        actions.append(&mut suppressions);
        let fix_all = CodeActionKind::new(FIX_ALL_KIND);
        if only.as_ref().is_some_and(|kinds| kinds.iter().any(|k| fix_all.as_str().starts_with(k.as_str()))) {
            if let Some((doc, findings, encoding)) = &doc {
                let inputs = self.patch_inputs(&uri, doc.kind);
                let analyze = |d: &Arc<Document>| {
                    let inputs = inputs.as_ref()?;
                    state::analyze(d, inputs.config(), &inputs.facts_for(d), None).ok()
                };
                if let Some(action) = fix_all_action(&uri, doc, findings, *encoding, analyze) {
                    actions.push(CodeActionOrCommand::CodeAction(action));
                }
            }
        }
        Ok(Some(actions))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        let Some((doc, findings, encoding)) = self.document_now(&uri) else { return Ok(None) };
        let offset = convert::offset(&doc, position, encoding);
        let Some(finding) = findings.iter().find(|f| f.range.start <= offset && offset <= f.range.end) else {
            return Ok(self.snapshot(&uri).and_then(|s| ide::hover(&s, position)));
        };
        // The finding, the rule's one-line summary and a link to its page: the whole page would
        // bury the finding (and the diagnostic already repeats the message).
        let mut value = match rules::find(finding.rule) {
            Some(rule) => format!(
                "**{}** — {}\n\n{}\n\n[Rule documentation]({}) · `baton rules explain {}`",
                finding.rule,
                finding.message,
                rule.summary,
                rule.doc_url(),
                finding.rule
            ),
            None => format!("**{}** — {}", finding.rule, finding.message),
        };
        // The settings that can settle it (issue 23, item 7).
        if let Some(hint) = crate::engine::notices::config_hint(finding.rule) {
            value.push_str(&format!("\n\nConfiguration: {}.", hint.text));
        }
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
            range: Some(convert::range(&doc, &finding.range, encoding)),
        }))
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let symbols = self.snapshot(&params.text_document.uri).map(|s| ide::document_symbols(&s)).unwrap_or_default();
        Ok(Some(DocumentSymbolResponse::Nested(symbols)))
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params.position;
        let Some(snapshot) = self.snapshot(&params.text_document_position_params.text_document.uri) else {
            return Ok(None);
        };
        let locations = ide::definition(&snapshot, &self.shared.state(), position);
        Ok((!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.scanned(&params.text_document.uri).await;
        Ok(self.snapshot(&params.text_document.uri).map(|s| ide::code_lenses(&s)))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.scanned(&params.text_document.uri).await;
        Ok(self.snapshot(&params.text_document.uri).map(|s| ide::inlay_hints(&s, params.range)))
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let position = params.text_document_position.position;
        let items =
            self.snapshot(&params.text_document_position.text_document.uri).map(|s| ide::completions(&s, position));
        Ok(items.filter(|i| !i.is_empty()).map(CompletionResponse::Array))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        if self.shared.test_hooks && params.command == PANIC_COMMAND {
            panic!("deliberate panic from {PANIC_COMMAND}");
        }
        if self.shared.test_hooks && params.command == SLEEP_COMMAND {
            let millis = params.arguments.first().and_then(serde_json::Value::as_u64).unwrap_or(1000);
            tokio::time::sleep(Duration::from_millis(millis)).await;
            return Ok(Some(serde_json::json!("slept")));
        }
        if self.shared.test_hooks && params.command == KEPT_TREES_COMMAND {
            let state = self.shared.state();
            let kept: Vec<&String> = state
                .roots
                .iter()
                .flat_map(|r| r.entries.iter())
                .filter(|(_, e)| e.buffer.is_none() && e.disk.as_ref().is_some_and(state::DiskFile::is_parsed))
                .map(|(path, _)| path)
                .collect();
            return Ok(Some(serde_json::json!(kept)));
        }
        if let Some(answer) = self.workflow_command(&params).await {
            return answer;
        }
        Err(Error::invalid_params(format!("unknown command `{}`", params.command)))
    }
}

impl Backend {
    /// The stage code actions for `range` of the document at `uri` (see `commands::stage_actions`).
    fn stage_code_actions(&self, uri: &Uri, range: Range) -> Vec<CodeActionOrCommand> {
        let Some((doc, _, encoding)) = self.document_now(uri) else { return Vec::new() };
        let Some(path) = state::uri_path(uri) else { return Vec::new() };
        let state = self.shared.state();
        // The most specific root, as `State::locate` picks; an untrusted one is offered nothing
        // that would run what its configuration names.
        let Some(root) = state
            .roots
            .iter()
            .filter(|r| path.starts_with(&r.path))
            .max_by_key(|r| r.path.components().count())
            .filter(|r| r.trusted)
        else {
            return Vec::new();
        };
        let touched = convert::offset(&doc, range.start, encoding)..convert::offset(&doc, range.end, encoding);
        super::commands::stage_actions(
            &root.path,
            &root.facts.plan,
            &root.config,
            &root.evidence,
            &doc.path,
            uri,
            touched,
        )
    }

    /// Re-reads a root's workflow evidence and git state (git runs off the async threads).
    async fn reload_evidence(&self, root: usize) {
        let Some(path) = self.shared.state().roots.get(root).map(|r| r.path.clone()) else { return };
        let Ok(evidence) = tokio::task::spawn_blocking(move || crate::stage::EvidenceSet::load(&path)).await else {
            return;
        };
        if let Some(r) = self.shared.state().roots.get_mut(root) {
            r.set_evidence(evidence);
        }
    }

    /// `baton.toml` changed: reload, show or clear its error, re-analyse everything in the root.
    async fn config_changed(&self, path: &std::path::Path) {
        let root = {
            let mut state = self.shared.state();
            let dir = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
            let index = state.roots.iter().position(|r| r.path == dir);
            if let Some(i) = index {
                let root = &mut state.roots[i];
                root.reload_config();
                root.facts_revision = 0;
                for entry in root.entries.values_mut() {
                    entry.facts = None;
                }
            }
            index
        };
        if let Some(root) = root {
            self.publish_config_error(root).await;
            self.clear_left_out(root).await;
            // Changed globs: read the files they now admit (the scan analyses everything after).
            if self.shared.state().roots.get(root).is_some_and(|r| r.rescan) {
                self.scan_roots().await;
            } else {
                self.schedule(root, None, Duration::ZERO);
            }
        }
    }

    /// Empties the diagnostics of files that changed globs took out of the analysis.
    async fn clear_left_out(&self, root: usize) {
        let uris: Vec<Uri> = {
            let mut state = self.shared.state();
            let Some(r) = state.roots.get_mut(root) else { return };
            let cleared = std::mem::take(&mut r.cleared);
            for path in &cleared {
                r.published.remove(path);
            }
            cleared.iter().filter_map(|p| state.uri_of(root, p)).collect()
        };
        for uri in uris {
            self.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
    }
}

/// "Suppress on this line" and "Suppress in this file" for one diagnostic.
fn suppress_actions(
    uri: &Uri,
    doc: &Document,
    diagnostic: &Diagnostic,
    rule: &str,
    encoding: Encoding,
) -> Vec<CodeActionOrCommand> {
    let mut actions = Vec::new();
    let line = diagnostic.range.start.line;
    let Some(line_range) = doc.line_index.line_range(&doc.text, line) else { return actions };
    let indent: String = doc.text[line_range.clone()].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let edit = |offset: usize, new_text: String| {
        let range = convert::range(doc, &(offset..offset), encoding);
        WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), vec![TextEdit { range, new_text }])])),
            ..WorkspaceEdit::default()
        }
    };
    if let Some(comment) = suppression::line_comment_text(doc, line, rule) {
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Suppress {rule} on this line"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit: Some(edit(line_range.start, format!("{indent}{comment}\n"))),
            ..CodeAction::default()
        }));
    }
    if let Some((at, comment)) = suppression::file_comment(doc, rule) {
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Suppress {rule} in this file"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit: Some(edit(at, format!("{comment}\n"))),
            ..CodeAction::default()
        }));
    }
    actions
}

/// Passes of "fix all" at most: fixes that overlap wait for the next pass (each pass re-analyses
/// the fixed text), and a fix that keeps producing findings cannot loop for ever.
const FIX_ALL_PASSES: usize = 10;

/// The first fix of every finding whose edits stay in this file and do not overlap an earlier
/// one, as edits of this pass.
fn fix_all_edits(doc: &Document, findings: &[crate::engine::Finding]) -> Vec<crate::engine::TextEdit> {
    let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
    let mut edits = Vec::new();
    for finding in findings {
        let Some(fix) = finding.fixes.first() else { continue };
        if fix.choice || fix.edits.iter().any(|e| e.path != doc.path) {
            continue;
        }
        let overlaps = fix.edits.iter().any(|e| {
            taken.iter().any(|t| e.range.start < t.end.max(t.start + 1) && t.start < e.range.end.max(e.range.start + 1))
        });
        if overlaps {
            continue;
        }
        for edit in &fix.edits {
            taken.push(edit.range.clone());
            edits.push(edit.clone());
        }
    }
    edits
}

/// One action fixing everything Baton can in this file: the non-overlapping fixes are applied,
/// the result analysed again, and so on until no fix is left (at most [`FIX_ALL_PASSES`]), so
/// fixes that overlap need one request, not several. The answer is one edit spanning what
/// changed between the first and the last text.
fn fix_all_action(
    uri: &Uri,
    doc: &Arc<Document>,
    findings: &[crate::engine::Finding],
    encoding: Encoding,
    analyze: impl Fn(&Arc<Document>) -> Option<Arc<Vec<crate::engine::Finding>>>,
) -> Option<CodeAction> {
    let mut current = doc.clone();
    let mut current_findings: Arc<Vec<crate::engine::Finding>> = Arc::new(findings.to_vec());
    let mut seen: HashSet<u64> = HashSet::new();
    for _ in 0..FIX_ALL_PASSES {
        let edits = fix_all_edits(&current, &current_findings);
        if edits.is_empty() {
            break;
        }
        let text = crate::engine::apply_edits(&current.text, &current.path, &edits);
        if text == *current.text || !seen.insert(text_hash(&text)) {
            break;
        }
        current = Arc::new(Document::parse(doc.path.clone(), doc.kind, text));
        match analyze(&current) {
            Some(next) => current_findings = next,
            None => break,
        }
    }
    if current.text == doc.text {
        return None;
    }
    let (old, new) = (&*doc.text, &*current.text);
    // The changed span: what lies between the common prefix and the common suffix (on char
    // boundaries).
    let mut prefix = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old.bytes().rev().zip(new.bytes().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    let edit = TextEdit {
        range: convert::range(doc, &(prefix..old.len() - suffix), encoding),
        new_text: new[prefix..new.len() - suffix].to_string(),
    };
    Some(CodeAction {
        title: "Fix all Baton findings".into(),
        kind: Some(CodeActionKind::new(FIX_ALL_KIND)),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

/// A hash of a text, to stop "fix all" when fixes bring back an earlier text.
fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}
