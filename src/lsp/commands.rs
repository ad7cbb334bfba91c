//! The workflow commands of contract §7 over `workspace/executeCommand` (argument object:
//! `docs/editor-protocol.md`), `baton/itemStatus`, the stage code actions on a status line, and
//! progress with cancellation for gates and agents.
//!
//! Nothing runs unless the client declared the document's *folder* trusted
//! (`initializationOptions.trusted`: `true` or a list of folder URIs, [`super::state::Trust`];
//! a file outside every folder never is) and the user invoked a command. Paths handed in (a
//! log to open, a role that names a log) are resolved and contained (`atomic::contained_file`,
//! `config::is_valid_name`). Cancelling the progress
//! (`window/workDoneProgress/cancel`) or the request (`$/cancelRequest`) kills the child's
//! process group.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Bounded, Cancellable, OngoingProgress};

use super::backend::Backend;
use super::convert;
use super::state::uri_path;
use crate::config::Config;
use crate::handoff::Handoffs;
use crate::plan::{Plan, PlanDocument};
use crate::stage::advance::{self, GateEvent};
use crate::stage::gate::{self, CancelToken, Outcome, Program};
use crate::stage::{self, brief, Evidence, EvidenceSet, GitState, Requirement, Shortfall, StageModel};

/// `baton.advanceStage`.
pub const ADVANCE: &str = "baton.advanceStage";
/// `baton.runGate`.
pub const RUN_GATE: &str = "baton.runGate";
/// `baton.recordApproval`.
pub const RECORD_APPROVAL: &str = "baton.recordApproval";
/// `baton.createHandoff`.
pub const CREATE_HANDOFF: &str = "baton.createHandoff";
/// `baton.dispatchAgent`.
pub const DISPATCH_AGENT: &str = "baton.dispatchAgent";
/// `baton.showEvidence`.
pub const SHOW_EVIDENCE: &str = "baton.showEvidence";
/// `baton.openLog` (Baton's own, used by the "Open gate log" code action).
pub const OPEN_LOG: &str = "baton.openLog";

/// Every command this module answers.
pub const COMMANDS: &[&str] =
    &[ADVANCE, RUN_GATE, RECORD_APPROVAL, CREATE_HANDOFF, DISPATCH_AGENT, SHOW_EVIDENCE, OPEN_LOG];

/// Where gate and agent logs live, relative to the root.
const LOGS: &str = ".baton/logs";

/// Timeout of a dispatched agent (agents run long; cancellation is the usual way out).
const AGENT_TIMEOUT: Duration = Duration::from_secs(4 * 3600);

/// The argument object of every workflow command.
#[derive(Debug, Default, Deserialize)]
struct Args {
    uri: Option<String>,
    item: Option<String>,
    stage: Option<String>,
    backward: Option<bool>,
    gate: Option<String>,
    role: Option<String>,
    by: Option<String>,
    note: Option<String>,
    path: Option<String>,
}

/// Running commands by progress token, for `window/workDoneProgress/cancel`.
static RUNNING: LazyLock<Mutex<HashMap<String, CancelToken>>> = LazyLock::new(|| Mutex::new(HashMap::new()));
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

fn token_key(token: &ProgressToken) -> String {
    match token {
        NumberOrString::Number(n) => format!("n{n}"),
        NumberOrString::String(s) => format!("s{s}"),
    }
}

/// Cancels the command when dropped unless disarmed: a request cancelled by `$/cancelRequest`
/// drops its future, and the child must not outlive it.
struct CancelOnDrop(CancelToken, Option<String>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
        if let Some(key) = &self.1 {
            RUNNING.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
        }
    }
}

fn fail(message: impl Into<String>) -> Error {
    Error { code: tower_lsp_server::jsonrpc::ErrorCode::InvalidParams, message: message.into().into(), data: None }
}

/// Where a command acts: the root folder, its configuration, plan and handoffs, and the item.
struct Target {
    root_index: usize,
    root: PathBuf,
    config: Arc<Config>,
    handoffs: Arc<Handoffs>,
    item: Option<PlanDocument>,
}

impl Backend {
    /// `window/workDoneProgress/cancel`: cancels the command running under that token.
    pub async fn progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        if let Some(cancel) = RUNNING.lock().unwrap_or_else(|p| p.into_inner()).get(&token_key(&params.token)) {
            cancel.cancel();
        }
    }

    /// `baton/itemStatus`: the item of the document, its stage and what entering the next
    /// stage still needs (`null` when the document is no work item).
    pub async fn item_status(&self, params: Value) -> Result<Option<Value>> {
        let Some(uri) = params.get("uri").and_then(Value::as_str).and_then(|u| u.parse::<Uri>().ok()) else {
            return Err(fail("baton/itemStatus needs {\"uri\": string}"));
        };
        let Ok(target) = self.target(&uri, None) else { return Ok(None) };
        let Some(doc) = &target.item else { return Ok(None) };
        let model = StageModel::from_config(&target.config);
        let evidence = self.evidence(target.root_index);
        let stage = stage::stage_of_document(&model, doc);
        let next = match stage {
            Some(s) => model.next(s),
            None => model.stages.first().map(String::as_str),
        };
        let unmet: Vec<String> = next
            .map(|n| stage::unmet(&model, &target.config, doc, n, &evidence))
            .unwrap_or_default()
            .iter()
            .map(|u| u.requirement.to_string())
            .collect();
        Ok(Some(json!({"item": doc.id, "stage": stage, "unmet": unmet})))
    }

    fn evidence(&self, root: usize) -> Arc<EvidenceSet> {
        self.shared.state().roots.get(root).map(|r| r.evidence.clone()).unwrap_or_default()
    }

    /// The root, plan and item a command's `uri` (and optional `item`) designate.
    fn target(&self, uri: &Uri, item: Option<&str>) -> std::result::Result<Target, String> {
        let path = uri_path(uri).ok_or_else(|| format!("`{}` is not a file URI", uri.as_str()))?;
        let mut state = self.shared.state();
        let (root_index, relative) = match state.locate(&path) {
            Some(l) => l,
            None => {
                let i = state.roots.iter().position(|r| r.path == path).ok_or("no workspace folder for this file")?;
                (i, String::new())
            }
        };
        let root = &state.roots[root_index];
        let plan = root.facts.plan.clone();
        let item = match item {
            Some(key) => Some(advance::find_item(&plan, key).cloned().ok_or_else(|| format!("no work item `{key}`"))?),
            None => plan.document(&relative).cloned(),
        };
        Ok(Target {
            root_index,
            root: root.path.clone(),
            config: root.config.clone(),
            handoffs: root.facts.handoffs.clone(),
            item,
        })
    }

    /// Answers the workflow commands; `None` for a command this module does not know.
    pub async fn workflow_command(&self, params: &ExecuteCommandParams) -> Option<Result<Option<Value>>> {
        if !COMMANDS.contains(&params.command.as_str()) {
            return None;
        }
        Some(self.workflow_command_inner(params).await)
    }

    async fn workflow_command_inner(&self, params: &ExecuteCommandParams) -> Result<Option<Value>> {
        let what = match params.command.as_str() {
            ADVANCE => "advance the stage",
            RUN_GATE => "run the gate",
            RECORD_APPROVAL => "record the approval",
            DISPATCH_AGENT => "dispatch the agent",
            SHOW_EVIDENCE => "show the evidence",
            CREATE_HANDOFF => "create the handoff",
            _ => "open the log",
        };
        let refuse = |folder: String| {
            Err(fail(format!(
                "refusing to {what}: {folder} is not trusted, so Baton runs no workflow commands there \
                 (the editor must start the server with initializationOptions {{\"trusted\": true}} \
                 or list the folder in \"trusted\")"
            )))
        };
        if !self.shared.state().roots.iter().any(|r| r.trusted) {
            return refuse("this workspace".to_string());
        }
        let args: Args = match params.arguments.first() {
            Some(value) => serde_json::from_value(value.clone())
                .map_err(|e| fail(format!("{}: the argument must be an object ({e})", params.command)))?,
            None => Args::default(),
        };
        let uri = args
            .uri
            .as_deref()
            .and_then(|u| u.parse::<Uri>().ok())
            .ok_or_else(|| fail(format!("{} needs a `uri` argument", params.command)))?;
        let target = self.target(&uri, args.item.as_deref()).map_err(fail)?;
        // Trust is per folder: the folder of this document, not the session.
        if !self.shared.state().roots.get(target.root_index).is_some_and(|r| r.trusted) {
            return refuse(format!("the folder {}", target.root.display()));
        }
        if params.command == OPEN_LOG {
            return self.open_log(&target, args.path.as_deref()).await;
        }
        let item = target.item.clone().ok_or_else(|| {
            fail("this document is no work item (spec or workflow document); name one with `item`".to_string())
        })?;
        let token = params.work_done_progress_params.work_done_token.clone();
        let result = match params.command.as_str() {
            ADVANCE => self.advance(&target, &item, args.stage.as_deref(), args.backward.unwrap_or(false), token).await,
            RUN_GATE => {
                let gate = args.gate.ok_or_else(|| fail("baton.runGate needs a `gate` argument"))?;
                self.run_gate(&target, &item, &gate, token).await
            }
            RECORD_APPROVAL => {
                let role = args.role.filter(|r| !r.trim().is_empty());
                let by = args.by.filter(|b| !b.trim().is_empty());
                let (Some(role), Some(by)) = (role, by) else {
                    return Err(fail("baton.recordApproval needs `role` and `by`"));
                };
                if !crate::config::is_valid_name(role.trim()) {
                    return Err(fail(format!("`{}` is not a role name (letters, digits, `-`, `_`, `.`)", role.trim())));
                }
                let mut evidence =
                    Evidence::approval(role.trim(), by.trim(), args.note.as_deref(), &GitState::read(&target.root));
                evidence.version = item.version.as_ref().map(|v| v.text.clone());
                evidence.write(&target.root, &item.id).map_err(|e| fail(format!("cannot write evidence: {e}")))?;
                Ok(Some(
                    json!({"message": format!("{}: recorded {} by {}", item.id, evidence.requirement, evidence.by)}),
                ))
            }
            SHOW_EVIDENCE => {
                let evidence = EvidenceSet::load(&target.root);
                let items = evidence.by_item.get(&stage::evidence::item_dir(&item.id)).cloned().unwrap_or_default();
                Ok(Some(json!({"item": item.id, "git": evidence.git, "evidence": items})))
            }
            DISPATCH_AGENT => {
                let role = args.role.filter(|r| !r.trim().is_empty()).unwrap_or_else(|| "implementer".to_string());
                // The role becomes part of the agent log's file name.
                if !crate::config::is_valid_name(&role) {
                    return Err(fail(format!(
                        "`{role}` is not an agent name (letters, digits, `-`, `_`, `.`; no path)"
                    )));
                }
                self.dispatch(&target, &item, &role, token).await
            }
            CREATE_HANDOFF => Err(fail("baton.createHandoff is not available yet; use `baton handoff new`")),
            _ => Err(fail(format!("unknown command `{}`", params.command))),
        };
        if let Some(root) = self.shared.state().roots.get_mut(target.root_index) {
            root.reload_evidence();
        }
        self.schedule(target.root_index, None, Duration::ZERO);
        result
    }

    /// Starts progress on the client's token or a new one; registers `cancel` under it.
    async fn begin_progress(
        &self,
        token: Option<ProgressToken>,
        title: &str,
        cancel: &CancelToken,
    ) -> (Option<OngoingProgress<Bounded, Cancellable>>, Option<String>) {
        let supported = self.shared.state().caps.work_done_progress;
        let token = match token {
            Some(t) => Some(t),
            None if supported => {
                let t = NumberOrString::String(format!("baton-cmd-{}", NEXT_TOKEN.fetch_add(1, Ordering::Relaxed)));
                self.client.create_work_done_progress(t.clone()).await.ok().map(|_| t)
            }
            None => None,
        };
        let Some(token) = token else { return (None, None) };
        let key = token_key(&token);
        RUNNING.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), cancel.clone());
        let progress = self
            .client
            .progress(token, title.to_string())
            .with_percentage(0)
            .with_cancel_button()
            .with_message("starting")
            .begin()
            .await;
        (Some(progress), Some(key))
    }

    /// Runs `work` on a blocking thread, reporting its gate events as progress.
    async fn with_progress<T: Send + 'static>(
        &self,
        token: Option<ProgressToken>,
        title: &str,
        work: impl FnOnce(CancelToken, &(dyn Fn(GateEvent) + Sync)) -> T + Send + 'static,
    ) -> Result<T> {
        let cancel = CancelToken::new();
        let (progress, key) = self.begin_progress(token, title, &cancel).await;
        let _guard = CancelOnDrop(cancel.clone(), key);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<GateEvent>();
        let for_work = cancel.clone();
        let mut handle = tokio::task::spawn_blocking(move || {
            let send = move |e: GateEvent| {
                let _ = tx.send(e);
            };
            work(for_work, &send)
        });
        let mut done = 0u32;
        let result = loop {
            tokio::select! {
                joined = &mut handle => break joined,
                Some(event) = rx.recv() => {
                    if let Some(p) = &progress {
                        let message = match event {
                            GateEvent::Started(g) => format!("gate {g}: running"),
                            GateEvent::Finished(g, o) => { done += 1; format!("gate {g}: {}", outcome_word(o)) }
                        };
                        p.report_with_message(message, (done * 20).min(95), None).await;
                    }
                }
            }
        };
        if let Some(p) = progress {
            p.finish_with_message(if cancel.is_cancelled() { "cancelled" } else { "done" }).await;
        }
        result.map_err(|_| Error::internal_error())
    }

    async fn advance(
        &self,
        target: &Target,
        item: &PlanDocument,
        to: Option<&str>,
        backward: bool,
        token: Option<ProgressToken>,
    ) -> Result<Option<Value>> {
        let (root, config, doc) = (target.root.clone(), target.config.clone(), item.clone());
        let to = to.map(str::to_string);
        let title = format!("Advancing {}", item.id);
        let outcome = self
            .with_progress(token, &title, move |cancel, events| {
                advance::advance(&root, &config, &doc, to.as_deref(), backward, &cancel, events)
            })
            .await?
            .map_err(|e| fail(e.0))?;
        let Some(edit) = &outcome.edit else {
            let problems: Vec<String> = outcome.gates.iter().filter_map(|g| g.problem()).collect();
            if !problems.is_empty() {
                return Err(fail(format!("{}: nothing changed: {}", outcome.item, problems.join("; "))));
            }
            return Err(fail(advance::describe_unmet(&outcome.to, &outcome.unmet) + "; nothing changed"));
        };
        // The status change goes through the editor, so the user can undo it. It is located in
        // the document as it is now — the gates took time, and the editor's buffer or the file
        // may have changed meanwhile — and, where the client supports it, names the version of
        // the open document it applies to, so a client that has moved on refuses it.
        let (uri, open, document_changes, encoding) = {
            let state = self.shared.state();
            let root = &state.roots[target.root_index];
            let open = root.entries.get(&edit.path).and_then(|e| e.buffer.as_ref());
            let open = open.map(|b| (b.doc().text.to_string(), b.version));
            match state.uri_of(target.root_index, &edit.path) {
                Some(uri) => (uri, open, state.caps.document_changes, state.encoding),
                None => return Err(fail(format!("{} is not loaded", edit.path))),
            }
        };
        let (text, version) = match open {
            Some((text, version)) => (text, Some(version)),
            None => (
                std::fs::read_to_string(target.root.join(&edit.path))
                    .map_err(|e| fail(format!("cannot read {}: {e}", edit.path)))?,
                None,
            ),
        };
        let located = edit.locate(&text).map_err(fail)?;
        let current = crate::syntax::Document::parse(edit.path.clone(), crate::syntax::FileKind::Markdown, text);
        let range = convert::range(&current, &located, encoding);
        let text_edit = TextEdit { range, new_text: edit.new_text.clone() };
        let workspace_edit = if document_changes {
            WorkspaceEdit {
                document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                    edits: vec![OneOf::Left(text_edit)],
                }])),
                ..WorkspaceEdit::default()
            }
        } else {
            WorkspaceEdit { changes: Some(HashMap::from([(uri, vec![text_edit])])), ..WorkspaceEdit::default() }
        };
        let applied = self
            .client
            .apply_edit(workspace_edit)
            .await
            .map_err(|e| fail(format!("the editor refused the edit: {}", e.message)))?;
        if !applied.applied {
            return Err(fail(format!(
                "the editor did not apply the status change{}",
                applied.failure_reason.map(|r| format!(": {r}")).unwrap_or_default()
            )));
        }
        let (signal, snapshot) = advance::write_handoff(
            &target.root,
            &target.handoffs,
            item,
            &outcome,
            &advance::current_user(&target.root),
        )
        .map_err(|e| fail(format!("status changed, but the handoff could not be written: {e}")))?;
        let rel = |p: &Path| p.strip_prefix(&target.root).unwrap_or(p).display().to_string();
        let signal = signal.as_deref().map(rel);
        let wrote = match &signal {
            Some(signal) => format!("{signal} and {}", rel(&snapshot)),
            None => rel(&snapshot),
        };
        Ok(Some(json!({
            "message": format!("{}: {} → {}; wrote {wrote}", outcome.item, outcome.from.as_deref().unwrap_or("no stage"), outcome.to),
            "item": outcome.item, "from": outcome.from, "to": outcome.to, "backward": outcome.backward,
            "signal": signal, "snapshot": rel(&snapshot),
        })))
    }

    async fn run_gate(
        &self,
        target: &Target,
        item: &PlanDocument,
        gate_name: &str,
        token: Option<ProgressToken>,
    ) -> Result<Option<Value>> {
        if !target.config.gates.contains_key(gate_name) {
            return Err(fail(format!("no gate `{gate_name}` in baton.toml")));
        }
        let (root, config, id, name) =
            (target.root.clone(), target.config.clone(), item.id.clone(), gate_name.to_string());
        let results = self
            .with_progress(token, &format!("Gate {gate_name}"), move |cancel, events| {
                advance::run_gates(&root, &config, Some(&id), std::slice::from_ref(&name), &cancel, events)
            })
            .await?;
        let Some(result) = results.into_iter().next() else { return Err(Error::internal_error()) };
        if let Some(problem) = result.problem() {
            return Err(fail(problem));
        }
        let run = result.run.map_err(fail)?;
        let mut message = format!("gate {gate_name}: {} in {} ms", outcome_word(run.outcome), run.duration_ms);
        if run.outcome != Outcome::Passed {
            message.push_str(&format!(" — {}", stage::last_line(&run.output_tail)));
        }
        Ok(Some(json!({"message": message, "outcome": outcome_word(run.outcome), "exit_code": run.exit_code})))
    }

    async fn dispatch(
        &self,
        target: &Target,
        item: &PlanDocument,
        role: &str,
        token: Option<ProgressToken>,
    ) -> Result<Option<Value>> {
        let model = StageModel::from_config(&target.config);
        let current = stage::stage_of_document(&model, item);
        let stage = current.and_then(|s| model.next(s)).or(current).unwrap_or("plan").to_string();
        let unmet = stage::unmet(&model, &target.config, item, &stage, &self.evidence(target.root_index));
        let text = brief::render(item, role, &stage, &unmet, &target.handoffs);
        let path = brief::brief_path(&target.root, &item.id, &stage);
        crate::atomic::write(&target.root, &path, text.as_bytes())
            .map_err(|e| fail(format!("cannot write the brief: {e}")))?;
        let rel = |p: &Path| p.strip_prefix(&target.root).unwrap_or(p).display().to_string();
        if target.config.agents.command.is_empty() {
            return Ok(Some(json!({"message": format!("brief written to {}", rel(&path)), "brief": rel(&path)})));
        }
        let argv = brief::agent_argv(&target.config.agents.command, &path);
        let root = target.root.clone();
        let log = root.join(LOGS).join(stage::evidence::item_dir(&item.id)).join(format!("agent-{role}.log"));
        let run = self
            .with_progress(token, &format!("{role} agent for {}", item.id), move |cancel, _| {
                gate::run_program(&root, &Program::Argv(argv), AGENT_TIMEOUT, &log, &cancel)
            })
            .await?
            .map_err(|e| fail(format!("cannot start the agent: {e}")))?;
        let expected = brief::expected_signal(&target.root, &item.id, &stage);
        let verdict = match std::fs::read_to_string(&expected) {
            Err(_) => format!("no handoff signal at {}", rel(&expected)),
            Ok(text) => match serde_json::from_str::<Value>(&text) {
                Ok(v) => format!(
                    "handoff {}: status {}",
                    rel(&expected),
                    v.get("status").and_then(Value::as_str).unwrap_or("missing")
                ),
                Err(e) => format!("handoff {} is not valid JSON: {e}", rel(&expected)),
            },
        };
        Ok(Some(json!({
            "message": format!("{role} agent {}; {verdict}", outcome_word(run.outcome)),
            "brief": rel(&path),
            "outcome": outcome_word(run.outcome),
        })))
    }

    async fn open_log(&self, target: &Target, path: Option<&str>) -> Result<Option<Value>> {
        let path = path.ok_or_else(|| fail("baton.openLog needs a `path`"))?;
        let Some(full) = crate::atomic::contained_file(&target.root, LOGS, path) else {
            return Err(fail(format!("no gate log at {path} (logs live under {LOGS}/)")));
        };
        let uri = Uri::from_file_path(&full).ok_or_else(|| fail("bad log path"))?;
        let shown = self
            .client
            .show_document(ShowDocumentParams { uri, external: None, take_focus: Some(true), selection: None })
            .await
            .unwrap_or(false);
        Ok(Some(json!({"shown": shown})))
    }
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::TimedOut => "timed out",
        Outcome::Cancelled => "cancelled",
    }
}

/// The stage code actions for a status line touched by `range` (byte offsets) in `doc_path`:
/// "Advance ITEM → STAGE", "Run gate G", "Record approval", "Open gate log", "Dispatch agent" —
/// for the current stage, the next one and the stage of a refused advance.
pub fn stage_actions(
    root: &Path,
    plan: &Plan,
    config: &Config,
    evidence: &EvidenceSet,
    doc_path: &str,
    uri: &Uri,
    touched: std::ops::Range<usize>,
) -> Vec<CodeActionOrCommand> {
    let Some(doc) = plan.document(doc_path) else { return Vec::new() };
    let Some(status) = &doc.status else { return Vec::new() };
    if touched.start > status.line.end || touched.end < status.line.start {
        return Vec::new();
    }
    let model = StageModel::from_config(config);
    let current = stage::stage_of_document(&model, doc);
    let mut actions = Vec::new();
    let command = |title: String, name: &str, args: Value| {
        CodeActionOrCommand::CodeAction(CodeAction {
            title: title.clone(),
            kind: Some(CodeActionKind::new("refactor.baton.stage")),
            command: Some(Command { title, command: name.to_string(), arguments: Some(vec![args]) }),
            ..CodeAction::default()
        })
    };
    let uri_text = uri.as_str().to_string();
    // Git is asked for the user's name only when an approval is on offer.
    let mut approver: Option<String> = None;
    // Unmet requirements of the current stage first (the diagnostic's), then the next stage's.
    let mut stages: Vec<&str> = current.into_iter().collect();
    if let Some(next) = current.and_then(|c| model.next(c)).or_else(|| model.stages.first().map(String::as_str)) {
        if current != Some(next) {
            stages.push(next);
        }
    }
    // A stage the user tried to enter and was refused (`.baton/advance/`), when further ahead.
    if let Some((to, _)) = stage::refused_target(&model, config, doc, evidence) {
        if !stages.contains(&to) {
            stages.push(to);
        }
    }
    let mut seen = std::collections::HashSet::new();
    for stage_name in &stages {
        let unmet = if Some(*stage_name) == current {
            stage::unmet_standing(&model, config, doc, stage_name, evidence)
        } else {
            stage::unmet(&model, config, doc, stage_name, evidence)
        };
        if Some(*stage_name) != current {
            actions.push(command(
                format!("Advance {} → {stage_name}", doc.id),
                ADVANCE,
                json!({"uri": uri_text, "item": doc.id, "stage": stage_name}),
            ));
        }
        for u in unmet {
            if !seen.insert(u.requirement.clone()) {
                continue;
            }
            match (&u.requirement, &u.shortfall) {
                (Requirement::Gate(_), Shortfall::NotConfigured) => {}
                (Requirement::Gate(g), shortfall) => {
                    actions.push(command(
                        format!("Run gate {g}"),
                        RUN_GATE,
                        json!({"uri": uri_text, "item": doc.id, "gate": g}),
                    ));
                    if matches!(shortfall, Shortfall::Failing { .. }) {
                        // The log path comes from an evidence file anyone can edit: offered
                        // only when it resolves to a log inside the workspace.
                        let log = evidence.get(&doc.id, &u.requirement).and_then(|e| e.log.clone());
                        if let Some(log) = log.filter(|l| crate::atomic::contained_file(root, LOGS, l).is_some()) {
                            actions.push(command(
                                format!("Open gate log ({g})"),
                                OPEN_LOG,
                                json!({"uri": uri_text, "path": log}),
                            ));
                        }
                    }
                }
                (Requirement::Approval(role), _) => {
                    // Whose name is recorded is part of the title: the user sees it before acting.
                    let by = approver.get_or_insert_with(|| advance::current_user(root)).clone();
                    actions.push(command(
                        format!("Record approval ({role}) as {by}"),
                        RECORD_APPROVAL,
                        json!({"uri": uri_text, "item": doc.id, "role": role, "by": by}),
                    ));
                }
            }
        }
    }
    actions.push(command(
        format!("Dispatch implementer agent for {}", doc.id),
        DISPATCH_AGENT,
        json!({"uri": uri_text, "item": doc.id, "role": "implementer"}),
    ));
    actions
}
