//! Running gates for an item and advancing it (IO): missing, failing or stale gates are run in
//! parallel, their evidence recorded, and only when every requirement of the target stage holds
//! is the status change produced — as a [`StatusEdit`] that the CLI writes to the file and the
//! language server sends as a `WorkspaceEdit` — together with the handoff signal and context
//! snapshot, which [`write_handoff`] writes once the change is applied.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::evidence::{now, Evidence, EvidenceSet, EvidenceStatus, RefusedAdvance};
use super::gate::{self, CancelToken, GateRun, Outcome};
use super::{stage_of_document, unmet, Requirement, Shortfall, StageModel, Unmet};
use crate::config::Config;
use crate::handoff::Handoffs;
use crate::plan::{Plan, PlanDocument};

/// Something that happened while gates ran, for progress reports.
#[derive(Clone, Debug)]
pub enum GateEvent {
    /// A gate started.
    Started(String),
    /// A gate finished.
    Finished(String, Outcome),
}

/// A gate's run and the evidence it recorded (none when cancelled).
#[derive(Clone, Debug)]
pub struct GateResult {
    /// The gate's name.
    pub gate: String,
    /// The run, or why it could not start.
    pub run: Result<GateRun, String>,
    /// The evidence written.
    pub evidence: Option<Evidence>,
    /// Why the evidence of a finished run could not be written (a link on its path, a name too
    /// long for the file system…): reported as it is, never as "missing" evidence.
    pub error: Option<String>,
}

impl GateResult {
    /// Why this gate left no usable result: it could not run, or its evidence not be written.
    pub fn problem(&self) -> Option<String> {
        match (&self.run, &self.error) {
            (Err(e), _) => Some(e.clone()),
            (_, Some(e)) => Some(format!("gate `{}` ran, but its evidence could not be written: {e}", self.gate)),
            _ => None,
        }
    }
}

/// The name Baton records as `by` (gate runs, approvals, handoffs) for work done in `root`: git's
/// `user.name` there (the name the person's commits carry), else `$USER` / `$USERNAME`, else
/// [`UNKNOWN_USER`]. Containers, code-server and CI often have no `$USER`; git's name is the one
/// a reviewer recognises.
pub fn current_user(root: &Path) -> String {
    let from_git = crate::git::run(root, &["config", "--get", "user.name"])
        .map(|out| String::from_utf8_lossy(&out).trim().to_string())
        .filter(|name| !name.is_empty());
    from_git
        .or_else(|| ["USER", "USERNAME"].iter().find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty())))
        .unwrap_or_else(|| UNKNOWN_USER.to_string())
}

/// What [`current_user`] records when neither git nor the environment names anyone.
pub const UNKNOWN_USER: &str = "unknown (set git user.name)";

/// Runs `gates` in parallel in `root` (one thread each), records evidence for `item` when given,
/// and reports each start and end to `events`. A gate that is not configured is an error result.
///
/// The evidence records the tree as the gates left it: the git state is read once every gate
/// of the batch has finished, so what the gates write themselves (a report file, the changes of
/// a `--fix`) is part of what their evidence is judged against, and only a change made after
/// them makes it stale (docs/stages.md, "When evidence is stale").
pub fn run_gates(
    root: &Path,
    config: &Config,
    item: Option<&str>,
    gates: &[String],
    cancel: &CancelToken,
    events: &(dyn Fn(GateEvent) + Sync),
) -> Vec<GateResult> {
    let runs: Vec<(String, Result<GateRun, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = gates
            .iter()
            .map(|name| {
                scope.spawn(move || {
                    let Some(gate_config) = config.gates.get(name) else {
                        let why = format!("gate `{name}` is not configured: add [gates.{name}] to baton.toml");
                        return (name.clone(), Err(why));
                    };
                    events(GateEvent::Started(name.clone()));
                    let log = gate::log_path(root, item, name);
                    let run =
                        gate::run(root, gate_config, &log, cancel).map_err(|e| format!("cannot run `{name}`: {e}"));
                    events(GateEvent::Finished(name.clone(), run.as_ref().map_or(Outcome::Failed, |r| r.outcome)));
                    (name.clone(), run)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("gate thread panicked")).collect()
    });
    let recorded =
        item.is_some() && runs.iter().any(|(_, run)| run.as_ref().is_ok_and(|r| r.outcome != Outcome::Cancelled));
    let git = if recorded { super::GitState::read(root) } else { super::GitState::default() };
    let by = current_user(root);
    runs.into_iter()
        .map(|(name, run)| {
            let mut error = None;
            let evidence = match (&run, item, config.gates.get(&name)) {
                (Ok(r), Some(item), Some(gate_config)) if r.outcome != Outcome::Cancelled => {
                    let evidence = Evidence {
                        requirement: Requirement::Gate(name.clone()).to_string(),
                        status: if r.outcome == Outcome::Passed { EvidenceStatus::Pass } else { EvidenceStatus::Fail },
                        at: now(),
                        by: by.clone(),
                        command: Some(gate_config.command.clone()),
                        exit_code: r.exit_code,
                        duration_ms: Some(r.duration_ms),
                        output_tail: Some(r.output_tail.clone()),
                        git_head: git.head.clone(),
                        dirty: git.dirty,
                        note: None,
                        worktree: git.fingerprint.clone(),
                        code: git.code.clone(),
                        log: r.log.strip_prefix(root).ok().map(|p| p.to_string_lossy().into_owned()),
                        version: None,
                    };
                    match evidence.write(root, item) {
                        Ok(_) => Some(evidence),
                        Err(e) => {
                            error = Some(e.to_string());
                            None
                        }
                    }
                }
                _ => None,
            };
            GateResult { gate: name, run, evidence, error }
        })
        .collect()
}

/// The work item `key` names: an item id (case-insensitive) or a document path.
pub fn find_item<'p>(plan: &'p Plan, key: &str) -> Option<&'p PlanDocument> {
    plan.documents
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(key))
        .or_else(|| plan.documents.iter().find(|d| d.path == key || d.path.ends_with(&format!("/{key}"))))
}

/// The status change of an advance: replace the status of `path` — `range` in the text the
/// advance started from — with `new_text`. The gates take time and the document may change
/// meanwhile (by the user, an agent, the gate itself), so the change is applied to the text as
/// it is by then: [`StatusEdit::locate`] finds the status again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEdit {
    /// Workspace-relative path of the item's document.
    pub path: String,
    /// Byte range of the status text in the text the advance started from.
    pub range: std::ops::Range<usize>,
    /// The status text the advance started from.
    pub old_text: String,
    /// The new status text.
    pub new_text: String,
}

impl StatusEdit {
    /// The byte range of the status in `text` (the document as it is now), when it still says
    /// what the advance started from; otherwise why the change cannot be applied.
    pub fn locate(&self, text: &str) -> Result<std::ops::Range<usize>, String> {
        let kind = crate::syntax::FileKind::from_path(&self.path).unwrap_or(crate::syntax::FileKind::Markdown);
        let doc = crate::syntax::Document::parse(self.path.clone(), kind, text);
        match crate::plan::document::read(&doc).status {
            Some(status) if status.text == self.old_text => Ok(status.range),
            Some(status) => Err(format!(
                "the status of {} changed while the gates ran (`{}` → `{}`); nothing changed, run the advance again",
                self.path, self.old_text, status.text
            )),
            None => Err(format!(
                "the status line of {} changed while the gates ran (it is gone); nothing changed, run the advance again",
                self.path
            )),
        }
    }
}

/// What an advance produced.
#[derive(Clone, Debug)]
pub struct Advance {
    /// The item id.
    pub item: String,
    /// Its stage before.
    pub from: Option<String>,
    /// The stage entered.
    pub to: String,
    /// The gates that ran.
    pub gates: Vec<GateResult>,
    /// Requirements still unmet after the gates ran (empty when the advance may happen).
    pub unmet: Vec<Unmet>,
    /// The status change, when every requirement holds.
    pub edit: Option<StatusEdit>,
    /// True for a move to an earlier stage (`--backward`): no gates run, no requirement is
    /// checked, and the handoff written is no completion signal.
    pub backward: bool,
}

/// Why an advance could not even be attempted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvanceError(pub String);

impl std::fmt::Display for AdvanceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tries to move `doc` to stage `to` (the next stage when `None`): runs every missing, failing or
/// stale gate the stages up to `to` require (in parallel; requirements add up, see
/// [`super::unmet`]), records evidence, and returns the status edit when every requirement then
/// holds. Writes nothing but evidence, logs and, when refused, the [`RefusedAdvance`] record.
///
/// Moving to the stage the item is in is refused. Moving to an earlier stage is refused unless
/// `backward` is set; then nothing runs and nothing is checked (reopening work needs no gate).
/// `backward` with a later target is refused too: the flag states the intent.
pub fn advance(
    root: &Path,
    config: &Config,
    doc: &PlanDocument,
    to: Option<&str>,
    backward: bool,
    cancel: &CancelToken,
    events: &(dyn Fn(GateEvent) + Sync),
) -> Result<Advance, AdvanceError> {
    let model = StageModel::from_config(config);
    let from = stage_of_document(&model, doc).map(str::to_string);
    let Some(status) = &doc.status else {
        return Err(AdvanceError(format!("{} has no status line (front matter `status` or `**Status**:`)", doc.id)));
    };
    let to = match to {
        Some(to) if model.has(to) => to.to_string(),
        Some(to) => {
            return Err(AdvanceError(format!("unknown stage `{to}`; stages: {}", model.stages.join(", "))));
        }
        None => match from.as_deref().and_then(|f| model.next(f)) {
            Some(next) => next.to_string(),
            None => return Err(AdvanceError(format!("{} has no next stage; name one with --to", doc.id))),
        },
    };
    if from.as_deref() == Some(to.as_str()) {
        return Err(AdvanceError(format!("{} is already in stage {to}; nothing to do", doc.id)));
    }
    let earlier = from.as_deref().is_some_and(|f| model.is_after(f, Some(&to)));
    match (earlier, backward) {
        (true, false) => {
            return Err(AdvanceError(format!(
                "{to} comes before {}'s stage {}: moving back needs --backward (it runs no gates and writes no completion signal)",
                doc.id,
                from.as_deref().unwrap_or_default()
            )));
        }
        (false, true) => {
            return Err(AdvanceError(format!(
                "--backward moves to an earlier stage, but {to} is not before {}'s stage {}",
                doc.id,
                from.as_deref().unwrap_or("(none)")
            )));
        }
        (true, true) => {
            let edit = Some(StatusEdit {
                path: doc.path.clone(),
                range: status.range.clone(),
                old_text: status.text.clone(),
                new_text: model.label_for(&to).to_string(),
            });
            return Ok(Advance {
                item: doc.id.clone(),
                from,
                to,
                gates: Vec::new(),
                unmet: Vec::new(),
                edit,
                backward,
            });
        }
        (false, false) => {}
    }
    let evidence = EvidenceSet::load(root);
    let to_run: Vec<String> = unmet(&model, config, doc, &to, &evidence)
        .into_iter()
        .filter_map(|u| match (u.requirement, u.shortfall) {
            (Requirement::Gate(name), Shortfall::Missing | Shortfall::Failing { .. } | Shortfall::Stale) => Some(name),
            _ => None,
        })
        .collect();
    let gates = run_gates(root, config, Some(&doc.id), &to_run, cancel, events);
    if cancel.is_cancelled() {
        return Err(AdvanceError("cancelled; nothing changed".to_string()));
    }
    let evidence = EvidenceSet::load(root);
    let remaining = unmet(&model, config, doc, &to, &evidence);
    if !remaining.is_empty() {
        // Best effort: the record only points the diagnostic at the stage the user tried to enter.
        let record = RefusedAdvance { item: doc.id.clone(), to: to.clone(), at: now(), by: current_user(root) };
        let _ = record.write(root);
    }
    let edit = remaining.is_empty().then(|| StatusEdit {
        path: doc.path.clone(),
        range: status.range.clone(),
        old_text: status.text.clone(),
        new_text: model.label_for(&to).to_string(),
    });
    Ok(Advance { item: doc.id.clone(), from, to, gates, unmet: remaining, edit, backward })
}

/// Writes the handoff of an applied advance: the signal `.claude/handoff/<item>-<stage>.signal`
/// and the next context snapshot `.claude/handoff/context-NNN-<item>-<stage>.json`, carrying the
/// decisions, constraints and pending actions of the item's last snapshot. Returns both paths.
/// A backward move writes no signal (nothing was completed), only the snapshot, with phase
/// `<stage>-reopened` and status `partial`.
///
/// The signal's `workstream` is the first work stream the item's document defines (schema v1
/// requires a work-stream id); an item without work streams gets its own id there, which
/// `handoff/invalid` reports as a warning.
pub fn write_handoff(
    root: &Path,
    handoffs: &Handoffs,
    doc: &PlanDocument,
    advance: &Advance,
    by: &str,
) -> std::io::Result<(Option<PathBuf>, PathBuf)> {
    let workstream = doc.workstreams.first().map_or_else(|| advance.item.clone(), |w| w.id.to_string());
    let dir = root.join(".claude/handoff");
    let stem = format!("{}-{}", super::evidence::item_dir(&advance.item), advance.to);
    let at = now();
    let evidence = EvidenceSet::load(root);
    let mut validation = serde_json::Map::new();
    if let Some(items) = evidence.by_item.get(&super::evidence::item_dir(&advance.item)) {
        for (requirement, e) in items {
            if let Some(gate) = requirement.strip_prefix("gate:") {
                let outcome = if e.status == EvidenceStatus::Pass { "pass" } else { "fail" };
                validation.insert(gate.to_string(), Value::String(outcome.to_string()));
            }
        }
    }
    let last = handoffs
        .snapshots
        .iter()
        .filter(|s| s.workflow_id.as_ref().is_some_and(|w| w.value.eq_ignore_ascii_case(&advance.item)))
        .max_by_key(|s| (crate::handoff::sequence_number(&s.path), s.timestamp.as_ref().map(|t| t.value)));
    let decisions = last.map(|s| s.decisions.clone()).unwrap_or_default();
    let constraints = last.map(|s| s.constraints.clone()).unwrap_or_default();
    let pending = last.map(|s| s.pending_actions.clone()).unwrap_or_default();
    let previous_agent = last.and_then(|s| s.next_agent.as_ref().and_then(|n| n.value.clone()));
    let signal = json!({
        "schema_version": 1,
        "workstream": workstream,
        "workflow_id": advance.item,
        "status": "complete",
        "agent": by,
        "timestamp": at,
        "stage": advance.to,
        "previous_stage": advance.from,
        "validation": validation,
        "decisions": decisions,
        "constraints": constraints,
        "pending_actions": pending,
        "notes": format!("{} entered stage {} (recorded by Baton)", advance.item, advance.to),
    });
    let signal_path = if advance.backward {
        None
    } else {
        let path = dir.join(format!("{stem}.signal"));
        crate::atomic::write(
            root,
            &path,
            (serde_json::to_string_pretty(&signal).unwrap_or_default() + "\n").as_bytes(),
        )?;
        Some(path)
    };

    let next_number = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| crate::handoff::sequence_number(&e.file_name().to_string_lossy()))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
        + 1;
    let gates_passed: serde_json::Map<String, Value> =
        validation.iter().map(|(k, v)| (k.clone(), Value::Bool(v == "pass"))).collect();
    let snapshot = json!({
        "version": "1.0",
        "workflow_id": advance.item,
        "timestamp": at,
        "current_agent": previous_agent.unwrap_or_else(|| by.to_string()),
        "phase": match (&advance.from, advance.backward) {
            (_, true) => format!("{}-reopened", advance.to),
            (Some(from), false) => format!("{from}-complete"),
            (None, false) => format!("{}-entered", advance.to),
        },
        "status": if advance.backward { "partial" } else { "complete" },
        "decisions": decisions,
        "constraints": constraints,
        "pending_actions": pending,
        "quality_gates_passed": gates_passed,
        "context_summary": format!("{} moved from {} to {}.", advance.item, advance.from.as_deref().unwrap_or("no stage"), advance.to),
    });
    let snapshot_path = dir.join(format!("context-{next_number:03}-{stem}.json"));
    crate::atomic::write(
        root,
        &snapshot_path,
        (serde_json::to_string_pretty(&snapshot).unwrap_or_default() + "\n").as_bytes(),
    )?;
    // Cosmetic: a record of a stage the item has reached is ignored anyway.
    let _ = RefusedAdvance::clear(root, &advance.item);
    Ok((signal_path, snapshot_path))
}

/// One line per unmet requirement, for messages: "cannot enter qa: approval:architecture missing;
/// gate:type-check failing (exit 2): …".
pub fn describe_unmet(stage: &str, unmet: &[Unmet]) -> String {
    let parts: Vec<String> = unmet.iter().map(ToString::to_string).collect();
    format!("cannot enter {stage}: {}", parts.join("; "))
}

/// Applies `edit` to the text of its file under `root` as it is now ([`StatusEdit::locate`]),
/// atomically; an error when the status changed meanwhile.
pub fn apply_edit_to_file(root: &Path, edit: &StatusEdit) -> std::io::Result<()> {
    let path = root.join(&edit.path);
    let mut text = std::fs::read_to_string(&path)?;
    let range = edit.locate(&text).map_err(std::io::Error::other)?;
    text.replace_range(range, &edit.new_text);
    crate::atomic::write(root, &path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name recorded is git's `user.name` of the workspace, whatever `$USER` says.
    #[test]
    fn the_recorded_user_is_git_user_name_first() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git").arg("-C").arg(dir.path()).args(args).status().unwrap();
            assert!(ok.success());
        };
        git(&["init", "-q"]);
        git(&["config", "user.name", "Ada Lovelace"]);
        assert_eq!(current_user(dir.path()), "Ada Lovelace");
        git(&["config", "user.name", "  "]);
        // A blank name is no name: the environment's, else the explicit unknown marker.
        let fallback = current_user(dir.path());
        assert!(!fallback.trim().is_empty() && fallback != "baton", "{fallback}");
    }
}
