//! `baton hook EVENT`: coding-agent hooks in the Claude Code hook format (docs/agents.md). The
//! payload is JSON on stdin (`hook_event_name`, `session_id`, `transcript_path`, `cwd`,
//! `tool_name`, `tool_input.file_path`, `stop_hook_active`); the answer is an exit status and
//! stdout/stderr text ([`Answer`]). A thin adapter over the engine, the stage model and the
//! guardrail records, like the language server.
//!
//! - `post-tool-use`: after `Edit` / `Write` / `MultiEdit`, the findings in the edited file
//!   (errors only unless `--severity warning`), as `{"decision": "block", "reason": …}`, which
//!   the harness hands to the agent (the edit is done; the agent hears what is wrong with it).
//! - `stop`, `subagent-stop`: `{"decision": "block", "reason": …}` while a work item of the
//!   session has unmet requirements for the stage its status claims, a gate at its retry limit,
//!   a cost over its limit, or a handoff signal the session wrote is invalid. With
//!   `stop_hook_active` set, the same reason as the last block is not blocked on again (no loop).
//! - `task-completed`: the same check, answered with exit status 2 and the reason on stderr.
//!
//! Every hook call also records the session's token usage (`guard::usage`). Nothing configured
//! in the workspace is ever run by a hook.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::Config;
use crate::engine::WorkspaceFacts;
use crate::guard::{self, usage, BudgetLevel};
use crate::rules::Severity;
use crate::stage::{self, StageModel};
use crate::syntax::Document;
use crate::workspace::Workspace;

/// The hook events, by the kebab-case names of the harness's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `PostToolUse`.
    PostToolUse,
    /// `Stop`.
    Stop,
    /// `SubagentStop`.
    SubagentStop,
    /// `TaskCompleted`.
    TaskCompleted,
}

impl Event {
    /// Every event: (kebab-case name, the harness's event name).
    pub const ALL: &'static [(Event, &'static str, &'static str)] = &[
        (Event::PostToolUse, "post-tool-use", "PostToolUse"),
        (Event::Stop, "stop", "Stop"),
        (Event::SubagentStop, "subagent-stop", "SubagentStop"),
        (Event::TaskCompleted, "task-completed", "TaskCompleted"),
    ];

    /// The event named `name` (kebab case, or the harness's own spelling).
    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.iter().find(|(_, kebab, harness)| *kebab == name || *harness == name).map(|(e, _, _)| *e)
    }

    /// The harness's name.
    pub fn harness_name(self) -> &'static str {
        Event::ALL.iter().find(|(e, _, _)| *e == self).map_or("", |(_, _, n)| n)
    }
}

/// The hook payload (the fields Baton reads; others are ignored).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Payload {
    /// The harness's session id.
    pub session_id: String,
    /// The session transcript (JSONL).
    pub transcript_path: Option<String>,
    /// The working folder.
    pub cwd: Option<String>,
    /// `PostToolUse`, `Stop`, …
    pub hook_event_name: Option<String>,
    /// The tool that ran (`Edit`, `Write`, `MultiEdit`, …).
    pub tool_name: Option<String>,
    /// Its input (`file_path`, …).
    pub tool_input: Value,
    /// True when the agent is continuing because a stop hook blocked it before.
    pub stop_hook_active: bool,
}

/// Options of `baton hook`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Work items named by the caller (`--item`, `BATON_ITEM`).
    pub items: Vec<String>,
    /// The least severity reported after an edit (default: error).
    pub min_severity: Option<Severity>,
}

/// What the hook answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// Exit status: 0, or 2 to block with `stderr` as the reason, or 1 for a non-blocking error.
    pub exit: u8,
    /// Printed on stdout (JSON or nothing).
    pub stdout: String,
    /// Printed on stderr.
    pub stderr: String,
}

impl Answer {
    fn ok() -> Answer {
        Answer::default()
    }

    fn error(message: impl std::fmt::Display) -> Answer {
        Answer { exit: 1, stdout: String::new(), stderr: format!("baton: error: {message}\n") }
    }
}

/// The largest payload read (a real one is a few kilobytes).
pub const MAX_PAYLOAD: usize = 4 * 1024 * 1024;

/// `.baton/hooks/<session>.json`: the reason the stop hook last blocked a session with.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct LastBlock {
    session_id: String,
    event: String,
    reason: String,
    at: String,
}

fn last_block_path(root: &Path, session: &str) -> PathBuf {
    root.join(".baton/hooks").join(format!("{}.json", stage::evidence::item_dir(session)))
}

/// Runs the hook for `event` on the payload text `input`. Never panics on bad input.
pub fn run(event: Event, input: &str, options: &Options) -> Answer {
    if input.len() > MAX_PAYLOAD {
        return Answer::error(format!("the hook payload is larger than {MAX_PAYLOAD} bytes"));
    }
    let payload: Payload = match serde_json::from_str(input) {
        Ok(p) => p,
        Err(e) => return Answer::error(format!("the hook payload is not the expected JSON object: {e}")),
    };
    let cwd = match payload.cwd.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => PathBuf::from(c),
        None => match std::env::current_dir() {
            Ok(d) => d,
            Err(e) => return Answer::error(format!("no `cwd` in the payload and no current folder: {e}")),
        },
    };
    let (root, config) = match Config::discover(&cwd) {
        Some(path) => match Config::load(&path) {
            Ok(config) => (path.parent().unwrap_or(&cwd).to_path_buf(), config),
            Err(e) => return Answer::error(e),
        },
        None => (cwd.clone(), Config::default()),
    };
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let mut workspace = Workspace::load(&root, config);
    let docs: Vec<&Document> = workspace.documents.iter().map(|d| d.as_ref()).collect();
    let facts = WorkspaceFacts::collect_with_inputs(&docs, &workspace.config, &workspace.files, &workspace.evidence);
    drop(docs);

    let transcript = payload
        .transcript_path
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| if Path::new(t).is_absolute() { PathBuf::from(t) } else { cwd.join(t) })
        .and_then(|t| usage::read_transcript(&t).ok().map(|r| (t, r)));
    let edited_now = edited_file(&payload, &root);
    let mut edited: Vec<String> = transcript
        .as_ref()
        .map(|(_, t)| t.edited.iter().filter_map(|p| relative(&root, Path::new(p))).collect())
        .unwrap_or_default();
    edited.extend(edited_now.clone());
    let items = session_items(&facts, options, &edited);
    if let (Some((path, t)), false) = (&transcript, payload.session_id.is_empty()) {
        // Best effort: a hook must answer even when the record cannot be written.
        let _ = usage::record_session(&root, &payload.session_id, path, t, &items);
        // What this call recorded counts at once.
        workspace.evidence.guard = guard::GuardRecords::load(&root);
    }

    match event {
        Event::PostToolUse => after_edit(&workspace, &payload, edited_now.as_deref(), options),
        Event::Stop | Event::SubagentStop | Event::TaskCompleted => {
            let reasons = stop_reasons(&root, &workspace, &facts, &items, &edited);
            answer_stop(&root, event, &payload, reasons)
        }
    }
}

/// The workspace-relative path of `path` (absolute, or relative to the root), when inside it.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let full = if path.is_absolute() { path.to_path_buf() } else { root.join(path) };
    let full = std::fs::canonicalize(&full).unwrap_or(full);
    let rel = full.strip_prefix(root).ok()?;
    let text = rel.to_string_lossy().replace('\\', "/");
    (!text.is_empty() && !text.starts_with("..")).then_some(text)
}

/// The file an `Edit` / `Write` / `MultiEdit` changed, relative to the root.
fn edited_file(payload: &Payload, root: &Path) -> Option<String> {
    let tool = payload.tool_name.as_deref()?;
    if !["Edit", "Write", "MultiEdit"].contains(&tool) {
        return None;
    }
    let path = payload.tool_input.get("file_path").and_then(Value::as_str)?;
    relative(root, Path::new(path))
}

/// The work items a session works on: those named by the caller, and those whose document or
/// handoff signal the session edited (docs/agents.md, "Which item a session works on").
fn session_items(facts: &WorkspaceFacts, options: &Options, edited: &[String]) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    let mut add = |id: &str| {
        if !items.iter().any(|i| i.eq_ignore_ascii_case(id)) {
            items.push(id.to_string());
        }
    };
    for key in &options.items {
        match stage::advance::find_item(&facts.plan, key) {
            Some(doc) => add(&doc.id),
            None => add(key),
        }
    }
    for path in edited {
        if let Some(doc) = facts.plan.documents.iter().find(|d| d.is_work_item() && d.path == *path) {
            add(&doc.id);
        }
        if let Some(signal) = facts.handoffs.signals.iter().find(|s| s.path == *path) {
            if let Some(workflow) = &signal.workflow {
                if let Some(doc) = stage::advance::find_item(&facts.plan, &workflow.value) {
                    add(&doc.id);
                }
            }
        }
    }
    items
}

fn after_edit(workspace: &Workspace, payload: &Payload, file: Option<&str>, options: &Options) -> Answer {
    let Some(file) = file else { return Answer::ok() };
    let min = options.min_severity.unwrap_or(Severity::Error);
    let findings = workspace.check(|p| p == file);
    let mut lines = Vec::new();
    for f in findings.iter().filter(|f| f.path == file && f.finding.severity >= min) {
        let (line, col) = match workspace.document(&f.path) {
            Some(doc) => {
                let pos =
                    doc.line_index.position(&doc.text, f.finding.range.start, crate::line_index::ColumnEncoding::Utf16);
                (pos.line + 1, pos.character + 1)
            }
            None => (1, 1),
        };
        let fix = f.finding.fixes.first().map(|x| format!(" (fix: {})", x.title)).unwrap_or_default();
        lines.push(format!(
            "{}:{line}:{col}: {}[{}]: {}{fix}",
            f.path,
            f.finding.severity.as_str(),
            f.finding.rule,
            f.finding.message
        ));
    }
    if lines.is_empty() {
        return Answer::ok();
    }
    let reason = format!(
        "Baton found {} problem{} in {file} after this {}:\n{}\nFix them before moving on (`baton rules explain RULE` explains a rule).",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" },
        payload.tool_name.as_deref().unwrap_or("edit"),
        lines.join("\n")
    );
    let answer = json!({
        "decision": "block",
        "reason": reason,
        "hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": reason},
    });
    Answer { exit: 0, stdout: answer.to_string() + "\n", stderr: String::new() }
}

/// Why the agent may not stop yet, one line each; empty when it may.
pub fn stop_reasons(
    root: &Path,
    workspace: &Workspace,
    facts: &WorkspaceFacts,
    items: &[String],
    edited: &[String],
) -> Vec<String> {
    let config = &workspace.config;
    let model = StageModel::from_config(config);
    let evidence = &workspace.evidence;
    let mut reasons = Vec::new();
    for id in items {
        let Some(doc) = stage::advance::find_item(&facts.plan, id) else { continue };
        if let Some(current) = stage::stage_of_document(&model, doc) {
            let unmet = stage::unmet_standing(&model, config, doc, current, evidence);
            if !unmet.is_empty() {
                reasons.push(format!(
                    "{} claims stage {current}, but {}",
                    doc.id,
                    stage::advance::describe_unmet(current, &unmet)
                ));
            }
        }
        for (gate, n) in evidence.guard.exhausted_gates(&doc.id, config.limits.max_verification_retries) {
            reasons.push(format!(
                "{}: gate:{gate} failed {n} times in a row; record an escalation (`baton escalate {} --question …`) instead of retrying",
                doc.id, doc.id
            ));
        }
        for (level, message) in guard::budget_problems(&evidence.guard, config, &doc.id) {
            if level == BudgetLevel::Over {
                reasons.push(message);
            }
        }
    }
    // Handoff signals the session wrote, and those its items are expected to write.
    let expected: Vec<String> = items
        .iter()
        .filter_map(|id| stage::advance::find_item(&facts.plan, id))
        .filter_map(|doc| {
            let current = stage::stage_of_document(&model, doc)?;
            let path = stage::brief::expected_signal(root, &doc.id, current);
            relative(root, &path)
        })
        .collect();
    let signals: Vec<&String> =
        edited.iter().chain(expected.iter()).filter(|p| p.starts_with(".claude/handoff/")).collect();
    if !signals.is_empty() {
        let findings = workspace.check(|p| signals.iter().any(|s| s.as_str() == p));
        for f in
            findings.iter().filter(|f| f.finding.rule == "handoff/invalid" && f.finding.severity == Severity::Error)
        {
            let line = format!("{}: invalid handoff signal: {}", f.path, f.finding.message);
            if !reasons.contains(&line) {
                reasons.push(line);
            }
        }
    }
    reasons
}

fn answer_stop(root: &Path, event: Event, payload: &Payload, reasons: Vec<String>) -> Answer {
    let path = last_block_path(root, &payload.session_id);
    if reasons.is_empty() {
        let _ = crate::atomic::remove(root, &path);
        return Answer::ok();
    }
    let reason = format!("Baton: not done yet:\n- {}", reasons.join("\n- "));
    let last = guard::read_json::<LastBlock>(&path).ok().flatten();
    if payload.stop_hook_active && last.as_ref().is_some_and(|l| l.reason == reason) {
        // Blocked on exactly this before and the agent could not resolve it: let it stop, and
        // tell the user instead of looping.
        let message = format!("{reason}\n(Baton blocked on this already; not blocking again.)");
        return Answer { exit: 0, stdout: json!({"systemMessage": message}).to_string() + "\n", stderr: String::new() };
    }
    let record = LastBlock {
        session_id: payload.session_id.clone(),
        event: event.harness_name().to_string(),
        reason: reason.clone(),
        at: stage::evidence::now(),
    };
    let _ = guard::write_json(root, &path, &record);
    match event {
        Event::TaskCompleted => Answer { exit: 2, stdout: String::new(), stderr: reason + "\n" },
        _ => Answer {
            exit: 0,
            stdout: json!({"decision": "block", "reason": reason}).to_string() + "\n",
            stderr: String::new(),
        },
    }
}

/// The hook entries `baton init --agent-hooks` merges into `.claude/settings.json`: (harness
/// event, matcher, command).
pub const SETTINGS_ENTRIES: &[(&str, Option<&str>, &str)] = &[
    ("PostToolUse", Some("Edit|Write|MultiEdit"), "baton hook post-tool-use"),
    ("Stop", None, "baton hook stop"),
    ("SubagentStop", None, "baton hook subagent-stop"),
    ("TaskCompleted", None, "baton hook task-completed"),
];

/// Merges Baton's hook entries into the settings text `existing` (`None`: no file yet). Keeps
/// every other key and hook; an event that already runs a `baton hook` command is left as it
/// is. Returns the new text and how many entries were added; an error when `existing` is not a
/// JSON object (the file is then left alone).
pub fn merge_settings(existing: Option<&str>) -> Result<(String, usize), String> {
    let mut settings: Value = match existing {
        Some(text) if !text.trim().is_empty() => serde_json::from_str(text)
            .map_err(|e| format!("is not valid JSON ({e}); fix it first, nothing was changed"))?,
        _ => json!({}),
    };
    let Some(object) = settings.as_object_mut() else {
        return Err("is not a JSON object; nothing was changed".to_string());
    };
    let hooks = object.entry("hooks").or_insert_with(|| json!({}));
    let Some(hooks) = hooks.as_object_mut() else {
        return Err("has a `hooks` key that is not an object; nothing was changed".to_string());
    };
    let mut added = 0;
    for (event, matcher, command) in SETTINGS_ENTRIES {
        let list = hooks.entry(event.to_string()).or_insert_with(|| json!([]));
        let Some(list) = list.as_array_mut() else {
            return Err(format!("has `hooks.{event}` that is not an array; nothing was changed"));
        };
        let present = list.iter().any(|group| {
            group.get("hooks").and_then(Value::as_array).is_some_and(|hs| {
                hs.iter().any(|h| h.get("command").and_then(Value::as_str).is_some_and(|c| c.contains("baton hook")))
            })
        });
        if present {
            continue;
        }
        let mut group = json!({"hooks": [{"type": "command", "command": command}]});
        if let Some(matcher) = matcher {
            group["matcher"] = json!(matcher);
        }
        list.push(group);
        added += 1;
    }
    let text = serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())? + "\n";
    Ok((text, added))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_merge_keeps_what_is_there_and_is_idempotent() {
        let existing = r#"{"model": "opus", "hooks": {"PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./lint.sh"}]}]}, "permissions": {"allow": ["Bash(npm test)"]}}"#;
        let (text, added) = merge_settings(Some(existing)).unwrap();
        assert_eq!(added, 4);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["model"], "opus");
        assert_eq!(v["permissions"]["allow"][0], "Bash(npm test)");
        assert_eq!(v["hooks"]["PostToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(v["hooks"]["PostToolUse"][0]["hooks"][0]["command"], "./lint.sh");
        assert_eq!(v["hooks"]["PostToolUse"][1]["matcher"], "Edit|Write|MultiEdit");
        let (again, added) = merge_settings(Some(&text)).unwrap();
        assert_eq!((added, again), (0, text));
        assert!(merge_settings(Some("{\"hooks\": [")).is_err());
        assert!(merge_settings(Some("[1]")).is_err());
        assert!(merge_settings(Some("{\"hooks\": {\"Stop\": {}}}")).is_err());
        assert_eq!(merge_settings(None).unwrap().1, 4);
    }

    #[test]
    fn events_parse_in_both_spellings() {
        assert_eq!(Event::parse("subagent-stop"), Some(Event::SubagentStop));
        assert_eq!(Event::parse("TaskCompleted"), Some(Event::TaskCompleted));
        assert_eq!(Event::parse("pre-tool-use"), None);
    }
}
