//! The MCP tools (contract §8): their JSON Schemas and what each does, over the same code the
//! CLI and the language server use. Each call loads the workspace afresh (what the agent just
//! wrote counts at once). Blocking: [`super::Server`] runs [`call`] off the protocol thread.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::Server;
use crate::config::Config;
use crate::engine::WorkspaceFacts;
use crate::guard;
use crate::plan::PlanDocument;
use crate::stage::advance::{self, GateEvent};
use crate::stage::gate::CancelToken;
use crate::stage::{self, Evidence, GitState, StageModel};
use crate::syntax::Document;
use crate::workspace::Workspace;

/// Every tool, by name.
pub const NAMES: &[&str] = &[
    "check",
    "explain_rule",
    "stage_status",
    "run_gate",
    "advance_stage",
    "record_approval",
    "new_handoff",
    "handoff_context",
    "escalate",
];

/// The tools that run gates or write files: only in a trusted workspace.
pub const WRITES: &[&str] = &["run_gate", "advance_stage", "record_approval", "new_handoff", "escalate"];

/// What a tool does, for refusals ("refusing to run the gate").
pub fn action(name: &str) -> &'static str {
    match name {
        "run_gate" => "run the gate",
        "advance_stage" => "advance the stage",
        "record_approval" => "record the approval",
        "new_handoff" => "write the handoff signal",
        "escalate" => "record the escalation",
        _ => "do that",
    }
}

/// The tool list: name, description, input schema.
pub fn definitions() -> Value {
    let item = json!({"type": "string", "description": "A work item: its id (WOR-321) or the path of its spec/workflow document"});
    json!([
        {
            "name": "check",
            "title": "Check files",
            "description": "Run Baton's rules (code, SQL migrations, specs, handoffs, workflow) and return the findings with their fixes, in the shape of `baton check --format json`. Without paths, the whole workspace.",
            "inputSchema": {"type": "object", "properties": {
                "paths": {"type": "array", "items": {"type": "string"}, "description": "Files or folders, relative to the workspace root"}
            }, "additionalProperties": false},
            "annotations": {"readOnlyHint": true}
        },
        {
            "name": "explain_rule",
            "title": "Explain a rule",
            "description": "A rule's documentation: what it finds, why it matters, a bad and a good example, the fix.",
            "inputSchema": {"type": "object", "properties": {"rule": {"type": "string", "description": "Rule id, e.g. rls/prisma-outside-context"}}, "required": ["rule"], "additionalProperties": false},
            "annotations": {"readOnlyHint": true}
        },
        {
            "name": "stage_status",
            "title": "Work item status",
            "description": "Each work item's stage, what it lacks in that stage and to enter the next one, its evidence, and the guardrails (gates at their retry limit, escalation loops, cost).",
            "inputSchema": {"type": "object", "properties": {"item": item}, "additionalProperties": false},
            "annotations": {"readOnlyHint": true}
        },
        {
            "name": "run_gate",
            "title": "Run a gate",
            "description": "Run a configured quality gate ([gates.NAME] in baton.toml) and record its evidence for the item. Trusted workspaces only.",
            "inputSchema": {"type": "object", "properties": {"gate": {"type": "string"}, "item": item}, "required": ["gate", "item"], "additionalProperties": false}
        },
        {
            "name": "advance_stage",
            "title": "Advance a work item",
            "description": "Run the missing or stale gates the target stage requires and, when every requirement holds, change the item's status and write its handoff signal and context snapshot. Trusted workspaces only.",
            "inputSchema": {"type": "object", "properties": {
                "item": item,
                "to": {"type": "string", "description": "The stage to enter (default: the next one)"},
                "backward": {"type": "boolean", "description": "Move to an earlier stage (no gates run, no completion signal)"}
            }, "required": ["item"], "additionalProperties": false}
        },
        {
            "name": "record_approval",
            "title": "Record an approval",
            "description": "Record approval:ROLE for a work item. Trusted workspaces only.",
            "inputSchema": {"type": "object", "properties": {
                "item": item, "role": {"type": "string"}, "by": {"type": "string"}, "note": {"type": "string"}
            }, "required": ["item", "role", "by"], "additionalProperties": false}
        },
        {
            "name": "new_handoff",
            "title": "Write a handoff signal",
            "description": "Write a valid handoff signal (schema v1) for a work stream: .claude/handoff/<ws>-<status>.signal. Trusted workspaces only.",
            "inputSchema": {"type": "object", "properties": {
                "workstream": {"type": "string", "description": "WS-2"},
                "status": {"type": "string", "enum": ["complete", "failed", "blocked", "partial"]},
                "files": {"type": "array", "items": {"type": "string"}, "description": "Files created or modified, relative to the root"},
                "agent": {"type": "string", "description": "Who hands over (default: the user running Baton)"}
            }, "required": ["workstream", "status"], "additionalProperties": false}
        },
        {
            "name": "handoff_context",
            "title": "What the previous agent handed over",
            "description": "The handoff signals and context snapshots about a file, a work stream or a work item: decisions, constraints, pending actions, files, who handed over and when, newest first.",
            "inputSchema": {"type": "object", "properties": {
                "path": {"type": "string", "description": "A file the handoffs name"},
                "workstream": {"type": "string"},
                "item": item
            }, "additionalProperties": false},
            "annotations": {"readOnlyHint": true}
        },
        {
            "name": "escalate",
            "title": "Escalate a question",
            "description": "Record an escalation (an open question) for a work item; it also acknowledges a gate's retry limit. Trusted workspaces only.",
            "inputSchema": {"type": "object", "properties": {
                "item": item, "question": {"type": "string"}, "by": {"type": "string"}
            }, "required": ["item", "question"], "additionalProperties": false}
        }
    ])
}

/// The workspace as loaded for one call.
pub struct Loaded {
    /// The root.
    pub root: PathBuf,
    /// Its documents.
    pub workspace: Workspace,
    /// The cross-file facts (plan, handoffs).
    pub facts: WorkspaceFacts,
}

/// Loads the workspace the server serves.
pub fn load(start: &Path) -> Result<Loaded, String> {
    let (root, config) = match Config::discover(start) {
        Some(path) => (path.parent().unwrap_or(start).to_path_buf(), Config::load(&path).map_err(|e| e.to_string())?),
        None => (start.to_path_buf(), Config::default()),
    };
    let workspace = Workspace::load(&root, config);
    let docs: Vec<&Document> = workspace.documents.iter().map(|d| d.as_ref()).collect();
    let facts = WorkspaceFacts::collect_with_inputs(&docs, &workspace.config, &workspace.files, &workspace.evidence);
    Ok(Loaded { root, workspace, facts })
}

fn string<'a>(args: &'a Value, key: &str) -> Option<&'a str> {
    args.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn required<'a>(args: &'a Value, key: &str) -> Result<&'a str, String> {
    string(args, key).ok_or_else(|| format!("`{key}` is required (a non-empty string)"))
}

fn item<'l>(l: &'l Loaded, key: &str) -> Result<&'l PlanDocument, String> {
    advance::find_item(&l.facts.plan, key)
        .ok_or_else(|| format!("no work item `{key}` (an item id or a spec/workflow document path)"))
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// Runs tool `name` with `args`.
pub fn call(
    server: &Server,
    name: &str,
    args: &Value,
    cancel: &CancelToken,
    events: &(dyn Fn(GateEvent) + Sync),
) -> Result<Value, String> {
    if name == "explain_rule" {
        return explain_rule(args);
    }
    let l = load(&server.start)?;
    match name {
        "check" => check(&l, args),
        "stage_status" => stage_status(&l, string(args, "item")),
        "run_gate" => run_gate(&l, args, cancel, events),
        "advance_stage" => advance_stage(&l, args, cancel, events),
        "record_approval" => record_approval(&l, args),
        "new_handoff" => {
            let files: Vec<String> = args
                .get("files")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let agent = string(args, "agent").map_or_else(|| advance::current_user(&l.root), str::to_string);
            let path =
                advance::new_signal(&l.root, required(args, "workstream")?, required(args, "status")?, &files, &agent)?;
            Ok(json!({"wrote": rel(&l.root, &path)}))
        }
        "handoff_context" => handoff_context(&l, args),
        "escalate" => {
            let doc = item(&l, required(args, "item")?)?;
            let by = string(args, "by").map_or_else(|| advance::current_user(&l.root), str::to_string);
            let (path, count) = guard::record_escalation(&l.root, &doc.id, required(args, "question")?, &by, "mcp")?;
            let threshold = l.workspace.config.limits.loop_threshold as usize;
            Ok(json!({
                "item": doc.id,
                "recorded": rel(&l.root, &path),
                "times_escalated": count,
                "loop": count >= threshold,
            }))
        }
        other => Err(format!("unknown tool `{other}`")),
    }
}

fn explain_rule(args: &Value) -> Result<Value, String> {
    let id = required(args, "rule")?;
    let Some(rule) = crate::rules::find(id) else {
        let hint = crate::rules::closest_id(id).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
        return Err(format!("no rule `{id}`{hint}"));
    };
    Ok(json!({
        "rule": rule.id,
        "severity": rule.default_severity.as_str(),
        "summary": rule.summary,
        "documentation": rule.doc,
    }))
}

fn check(l: &Loaded, args: &Value) -> Result<Value, String> {
    let mut wanted: Vec<String> = Vec::new();
    for p in args.get("paths").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        let Some(p) = p.as_str() else { return Err("`paths` must be an array of strings".to_string()) };
        let path = Path::new(p);
        let full = if path.is_absolute() { path.to_path_buf() } else { l.root.join(path) };
        let full = std::fs::canonicalize(&full).map_err(|e| format!("{p}: {e}"))?;
        let root = std::fs::canonicalize(&l.root).unwrap_or_else(|_| l.root.clone());
        let inside =
            full.strip_prefix(&root).map_err(|_| format!("{p} is outside the workspace {}", l.root.display()))?;
        wanted.push(inside.to_string_lossy().replace('\\', "/"));
    }
    let include = |path: &str| {
        wanted.is_empty() || wanted.iter().any(|w| w.is_empty() || path == w || path.starts_with(&format!("{w}/")))
    };
    let findings = l.workspace.check(include);
    let report = crate::cli::render::json::report(&l.workspace, &findings);
    serde_json::to_value(&report).map_err(|e| e.to_string())
}

/// The status of one work item, as `stage_status` and the item resources give it.
pub fn item_status(l: &Loaded, doc: &PlanDocument) -> Value {
    let config = &l.workspace.config;
    let model = StageModel::from_config(config);
    let evidence = &l.workspace.evidence;
    let stage = stage::stage_of_document(&model, doc);
    let next = match stage {
        Some(s) => model.next(s),
        None => model.stages.first().map(String::as_str),
    };
    let unmet: Vec<String> = stage
        .map(|s| stage::unmet_standing(&model, config, doc, s, evidence))
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    let unmet_next: Vec<String> = next
        .map(|n| stage::unmet(&model, config, doc, n, evidence))
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    let recorded = evidence.by_item.get(&stage::evidence::item_dir(&doc.id)).cloned().unwrap_or_default();
    let costs = evidence.guard.costs(config, &doc.id);
    let exhausted: Vec<Value> = evidence
        .guard
        .exhausted_gates(&doc.id, config.limits.max_verification_retries)
        .into_iter()
        .map(|(gate, n)| json!({"gate": gate, "failed_in_a_row": n}))
        .collect();
    let loops: Vec<Value> = evidence
        .guard
        .loops(&doc.id, &[], config.limits.loop_threshold)
        .into_iter()
        .map(|(q, n)| json!({"question": q, "times": n}))
        .collect();
    let budget: Vec<Value> = guard::budget_problems(&evidence.guard, config, &doc.id)
        .into_iter()
        .map(|(level, message)| json!({"level": if level == guard::BudgetLevel::Over { "over" } else { "alert" }, "message": message}))
        .collect();
    json!({
        "item": doc.id,
        "path": doc.path,
        "status": doc.status.as_ref().map(|s| s.text.clone()),
        "stage": stage,
        "next_stage": next,
        "unmet": unmet,
        "unmet_for_next_stage": unmet_next,
        "evidence": recorded,
        "guardrails": {
            "retry_limit_reached": exhausted,
            "escalation_loops": loops,
            "cost_usd": {"item": (costs.item * 100.0).round() / 100.0, "today": (costs.day * 100.0).round() / 100.0},
            "budget": budget,
        },
    })
}

fn stage_status(l: &Loaded, only: Option<&str>) -> Result<Value, String> {
    let docs: Vec<&PlanDocument> = match only {
        Some(key) => vec![item(l, key)?],
        None => l.facts.plan.documents.iter().filter(|d| d.is_work_item()).collect(),
    };
    Ok(json!({"items": docs.into_iter().map(|d| item_status(l, d)).collect::<Vec<_>>()}))
}

fn gate_json(l: &Loaded, g: &advance::GateResult) -> Value {
    match &g.run {
        Ok(run) => json!({
            "gate": g.gate,
            "outcome": super::outcome_word(run.outcome),
            "exit_code": run.exit_code,
            "duration_ms": run.duration_ms,
            "output_tail": run.output_tail,
            "log": rel(&l.root, &run.log),
            "problem": g.problem(),
        }),
        Err(e) => json!({"gate": g.gate, "outcome": "not run", "problem": e}),
    }
}

fn run_gate(
    l: &Loaded,
    args: &Value,
    cancel: &CancelToken,
    events: &(dyn Fn(GateEvent) + Sync),
) -> Result<Value, String> {
    let gate = required(args, "gate")?.to_string();
    let doc = item(l, required(args, "item")?)?;
    let config = &l.workspace.config;
    if !config.gates.contains_key(&gate) {
        let known: Vec<&str> = config.gates.keys().map(String::as_str).collect();
        return Err(format!("no gate `{gate}` in baton.toml (configured: {})", known.join(", ")));
    }
    let results = advance::run_gates(&l.root, config, Some(&doc.id), std::slice::from_ref(&gate), cancel, events);
    let result = results.first().ok_or("the gate did not run")?;
    if let Err(e) = &result.run {
        return Err(e.clone());
    }
    Ok(json!({"item": doc.id, "result": gate_json(l, result)}))
}

fn advance_stage(
    l: &Loaded,
    args: &Value,
    cancel: &CancelToken,
    events: &(dyn Fn(GateEvent) + Sync),
) -> Result<Value, String> {
    let doc = item(l, required(args, "item")?)?;
    let backward = args.get("backward").and_then(Value::as_bool).unwrap_or(false);
    let config = &l.workspace.config;
    let result =
        advance::advance(&l.root, config, doc, string(args, "to"), backward, cancel, events).map_err(|e| e.0)?;
    let gates: Vec<Value> = result.gates.iter().map(|g| gate_json(l, g)).collect();
    let Some(edit) = &result.edit else {
        let problems: Vec<String> = result.gates.iter().filter_map(|g| g.problem()).collect();
        let why =
            if problems.is_empty() { advance::describe_unmet(&result.to, &result.unmet) } else { problems.join("; ") };
        return Err(format!(
            "{}: nothing changed: {why}\n{}",
            result.item,
            serde_json::to_string_pretty(&json!({"gates": gates})).unwrap_or_default()
        ));
    };
    advance::apply_edit_to_file(&l.root, edit).map_err(|e| format!("cannot update {}: {e}", edit.path))?;
    let (signal, snapshot) =
        advance::write_handoff(&l.root, &l.facts.handoffs, doc, &result, &advance::current_user(&l.root))
            .map_err(|e| format!("status changed, but the handoff could not be written: {e}"))?;
    Ok(json!({
        "item": result.item,
        "from": result.from,
        "to": result.to,
        "backward": result.backward,
        "changed": edit.path,
        "gates": gates,
        "signal": signal.map(|s| rel(&l.root, &s)),
        "snapshot": rel(&l.root, &snapshot),
    }))
}

fn record_approval(l: &Loaded, args: &Value) -> Result<Value, String> {
    let doc = item(l, required(args, "item")?)?;
    let role = required(args, "role")?;
    let by = required(args, "by")?;
    if !crate::config::is_valid_name(role) {
        return Err(format!("`{role}` is not a role name (1–64 ASCII letters, digits, `-`, `_`, `.`)"));
    }
    let mut evidence = Evidence::approval(role, by, string(args, "note"), &GitState::read(&l.root));
    evidence.version = doc.version.as_ref().map(|v| v.text.clone());
    let path = evidence.write(&l.root, &doc.id).map_err(|e| format!("cannot write evidence: {e}"))?;
    Ok(json!({"item": doc.id, "recorded": evidence.requirement, "by": evidence.by, "path": rel(&l.root, &path)}))
}

fn handoff_context(l: &Loaded, args: &Value) -> Result<Value, String> {
    let path = string(args, "path");
    let ws = match string(args, "workstream") {
        Some(w) => Some(crate::plan::WorkstreamId::parse(w).ok_or_else(|| format!("`{w}` is not a work-stream id"))?),
        None => None,
    };
    let item_id = match string(args, "item") {
        Some(key) => Some(item(l, key)?.id.clone()),
        None => None,
    };
    if path.is_none() && ws.is_none() && item_id.is_none() {
        return Err("name a `path`, a `workstream` or an `item`".to_string());
    }
    let handoffs = &l.facts.handoffs;
    let mut out: Vec<(Option<chrono::DateTime<chrono::Utc>>, Value)> = Vec::new();
    for s in &handoffs.signals {
        let by_path = path.is_some_and(|p| s.files.iter().any(|f| f.text == p)) || path == Some(s.path.as_str());
        let by_ws = ws.as_ref().is_some_and(|w| s.workstream.as_ref().is_some_and(|x| x.value == *w));
        let by_item =
            item_id.as_ref().is_some_and(|i| s.workflow.as_ref().is_some_and(|x| x.value.eq_ignore_ascii_case(i)));
        if by_path || by_ws || by_item {
            out.push((
                s.timestamp.as_ref().map(|t| t.value),
                json!({
                    "kind": "signal",
                    "path": s.path,
                    "workstream": s.workstream.as_ref().map(|w| w.value.to_string()),
                    "status": s.status.as_ref().map(|x| format!("{:?}", x.value).to_lowercase()),
                    "agent": s.agent.as_ref().map(|a| a.value.clone()),
                    "timestamp": s.timestamp.as_ref().map(|t| t.value.to_rfc3339()),
                    "files": s.files.iter().map(|f| f.text.clone()).collect::<Vec<_>>(),
                    "decisions": s.decisions,
                    "constraints": s.constraints,
                    "pending_actions": s.pending_actions,
                    "notes": s.notes,
                }),
            ));
        }
    }
    for s in &handoffs.snapshots {
        let by_path = path.is_some_and(|p| s.files.iter().any(|f| f.text == p)) || path == Some(s.path.as_str());
        let by_item =
            item_id.as_ref().is_some_and(|i| s.workflow_id.as_ref().is_some_and(|x| x.value.eq_ignore_ascii_case(i)));
        if by_path || by_item {
            out.push((
                s.timestamp.as_ref().map(|t| t.value),
                json!({
                    "kind": "snapshot",
                    "path": s.path,
                    "workflow_id": s.workflow_id.as_ref().map(|w| w.value.clone()),
                    "from_agent": s.current_agent.as_ref().map(|a| a.value.clone()),
                    "next_agent": s.next_agent.as_ref().and_then(|a| a.value.clone()),
                    "phase": s.phase.as_ref().map(|p| p.value.clone()),
                    "timestamp": s.timestamp.as_ref().map(|t| t.value.to_rfc3339()),
                    "files": s.files.iter().map(|f| f.text.clone()).collect::<Vec<_>>(),
                    "decisions": s.decisions,
                    "constraints": s.constraints,
                    "pending_actions": s.pending_actions,
                }),
            ));
        }
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.0));
    Ok(json!({"handoffs": out.into_iter().map(|(_, v)| v).collect::<Vec<_>>()}))
}
