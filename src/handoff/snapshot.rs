//! Context snapshots (`context-*.json`, `.claude/handoff/*.json`, `.claude/context/*.json`):
//! what one agent leaves for the next, per schema v1.

use chrono::{DateTime, Utc};

use super::json::{Json, Value};
use super::normalize::{Outcome, Status};
use super::read::{named_files, secrets, type_problem, At, Gate, Members, NamedFile, Problem};
use crate::syntax::Document;

/// The keys schema v1 defines for a context snapshot (plus `status`, which real ones carry).
pub const KEYS: &[&str] = &[
    "version",
    "workflow_id",
    "timestamp",
    "current_agent",
    "phase",
    "next_agent",
    "files_modified",
    "decisions",
    "pending_actions",
    "constraints",
    "context_summary",
    "test_results",
    "quality_gates_passed",
    "metadata",
    "status",
];

/// The schema's keys that only a handoff carries (other JSON has `version` and `status` too).
const HANDOFF_KEYS: &[&str] = &[
    "workflow_id",
    "current_agent",
    "next_agent",
    "files_modified",
    "pending_actions",
    "context_summary",
    "quality_gates_passed",
    "test_results",
];

/// True when a `context-*.json` file is some other JSON that happens to share the name (a UI
/// test's `context-menu-demo.json` golden): it lies outside the handoff folders, parses, and
/// holds none of the keys only a handoff has ([`HANDOFF_KEYS`], in any spelling: `workflowId`,
/// `current-agent`; `version`, `status` or `timestamp` alone say nothing). Such a file is not
/// read as a snapshot; one in `.claude/handoff/` or `.claude/context/`, or one that does not
/// parse, always is.
pub fn is_foreign(doc: &Document) -> bool {
    let in_handoff_folder = doc.path.contains(".claude/handoff/") || doc.path.contains(".claude/context/");
    if in_handoff_folder || !doc.syntax_errors().is_empty() {
        return false;
    }
    let Some(json) = Json::from_document(doc) else { return false };
    let folded = |key: &str| key.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    let schema: Vec<String> = HANDOFF_KEYS.iter().map(|k| folded(k)).collect();
    match &json.value {
        Value::Object(members) => !members.iter().any(|m| schema.contains(&folded(&m.key))),
        _ => true,
    }
}

/// The longest `context_summary` schema v1 allows, in characters.
pub const MAX_SUMMARY: usize = 500;

/// Test results, summed over suites.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestSummary {
    /// Failing tests (explicit `failing`, else `total − passing`), with the range to report.
    pub failing: Option<At<u64>>,
    /// Coverage in percent (a number, or the `line` figure of `{line, branch, function}`).
    pub coverage: Option<At<f64>>,
}

/// A context snapshot, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Workspace-relative path.
    pub path: String,
    /// `workflow_id`.
    pub workflow_id: Option<At<String>>,
    /// `timestamp`.
    pub timestamp: Option<At<DateTime<Utc>>>,
    /// `current_agent`.
    pub current_agent: Option<At<String>>,
    /// `next_agent`: present with `None` for an explicit `null`.
    pub next_agent: Option<At<Option<String>>>,
    /// `phase`.
    pub phase: Option<At<String>>,
    /// `status`, when the snapshot carries one.
    pub status: Option<At<Status>>,
    /// `files_modified`.
    pub files: Vec<NamedFile>,
    /// `decisions`.
    pub decisions: Vec<String>,
    /// `pending_actions`.
    pub pending_actions: Vec<String>,
    /// `constraints`.
    pub constraints: Vec<String>,
    /// `test_results`.
    pub tests: TestSummary,
    /// `quality_gates_passed`.
    pub gates: Vec<Gate>,
    /// Schema problems (`handoff/invalid`).
    pub problems: Vec<Problem>,
    /// False when the document is not a JSON object at all.
    pub readable: bool,
}

impl Snapshot {
    /// Reads a snapshot document.
    pub fn read(doc: &Document) -> Snapshot {
        let mut s = Snapshot {
            path: doc.path.clone(),
            workflow_id: None,
            timestamp: None,
            current_agent: None,
            next_agent: None,
            phase: None,
            status: None,
            files: Vec::new(),
            decisions: Vec::new(),
            pending_actions: Vec::new(),
            constraints: Vec::new(),
            tests: TestSummary::default(),
            gates: Vec::new(),
            problems: Vec::new(),
            readable: false,
        };
        let Some(json) = Json::from_document(doc) else { return s };
        if !matches!(json.value, Value::Object(_)) {
            if doc.syntax_errors().is_empty() {
                s.problems.push(type_problem("a context snapshot", &json, "a JSON object"));
            }
            return s;
        }
        s.readable = true;
        let problems = &mut s.problems;
        let members = Members::read(&json, KEYS, problems);
        for key in ["version", "workflow_id", "timestamp", "current_agent", "phase"] {
            members.require(&json, key, "context snapshot", problems);
        }
        if let Some(version) = members.get("version") {
            if !matches!(version.value, Value::String(_) | Value::Number(_)) {
                problems.push(type_problem("version", version, "a string such as \"1.0\""));
            }
        }
        s.workflow_id = members.string("workflow_id", problems);
        s.timestamp = members.timestamp("timestamp", problems);
        s.current_agent = members.string("current_agent", problems);
        s.phase = members.string("phase", problems);
        if let Some(next) = members.get("next_agent") {
            match &next.value {
                Value::String(name) => s.next_agent = Some(At { value: Some(name.clone()), range: next.range.clone() }),
                Value::Null => s.next_agent = Some(At { value: None, range: next.range.clone() }),
                _ => problems.push(type_problem("next_agent", next, "a string or null")),
            }
        }
        if let Some(text) = members.string("status", problems) {
            s.status = super::signal::status(&text, problems);
        }
        let items = members.strings("files_modified", problems);
        s.files = named_files(items, "files_modified", problems);
        let text_list = |key: &str, problems: &mut Vec<Problem>| -> Vec<String> {
            members.strings(key, problems).into_iter().map(|s| s.value).collect()
        };
        s.decisions = text_list("decisions", problems);
        s.pending_actions = text_list("pending_actions", problems);
        s.constraints = text_list("constraints", problems);
        if let Some(summary) = members.get("context_summary") {
            match summary.as_str() {
                Some(text) if text.chars().count() > MAX_SUMMARY => problems.push(Problem {
                    range: summary.range.clone(),
                    message: format!(
                        "`context_summary` has {} characters; schema v1 allows at most {MAX_SUMMARY}",
                        text.chars().count()
                    ),
                    fix: None,
                }),
                Some(_) => {}
                None => problems.push(type_problem("context_summary", summary, "a string")),
            }
        }
        if let Some(results) = members.get("test_results") {
            s.tests = test_summary(results, problems);
        }
        if let Some(gates) = members.get("quality_gates_passed") {
            match &gates.value {
                Value::Object(list) => {
                    for member in list {
                        match member.value.value {
                            Value::Bool(passed) => s.gates.push(Gate {
                                name: member.key.clone(),
                                outcome: if passed { Outcome::Pass } else { Outcome::Fail },
                                range: member.value.range.clone(),
                            }),
                            _ => problems.push(type_problem(&member.key, &member.value, "true or false")),
                        }
                    }
                }
                _ => problems.push(type_problem("quality_gates_passed", gates, "an object of gate name → boolean")),
            }
        }
        if let Some(metadata) = members.get("metadata") {
            if !matches!(metadata.value, Value::Object(_)) {
                problems.push(type_problem("metadata", metadata, "an object"));
            }
        }
        secrets(&json, problems);
        s
    }

    /// The file stem (`context-003-testing`), for messages and hints.
    pub fn name(&self) -> &str {
        let name = self.path.rsplit('/').next().unwrap_or(&self.path);
        name.strip_suffix(".json").unwrap_or(name)
    }

    /// The next agent's name, when the snapshot hands over.
    pub fn next_agent_name(&self) -> Option<&str> {
        self.next_agent.as_ref().and_then(|n| n.value.as_deref())
    }

    /// True when the snapshot says its work is finished or shipped (status complete, or a phase
    /// such as `deployed`, `released`, `complete`).
    pub fn claims_done(&self) -> bool {
        let phase_done = self.phase.as_ref().is_some_and(|p| {
            let p = p.value.to_ascii_lowercase();
            ["deployed", "released", "complete", "completed", "done", "shipped", "production"]
                .iter()
                .any(|w| p == *w || p.starts_with(&format!("{w}-")) || p.ends_with(&format!("-{w}")))
        });
        phase_done || self.status.as_ref().is_some_and(|s| s.value == Status::Complete)
    }

    /// True when the snapshot deploys or releases (phase `deployed`, `released`, `production`…).
    pub fn ships(&self) -> bool {
        self.phase.as_ref().is_some_and(|p| {
            let p = p.value.to_ascii_lowercase();
            ["deploy", "release", "production", "shipped"].iter().any(|w| p.contains(w))
        })
    }
}

/// Sums `test_results`: flat `{total, passing, failing, coverage}` or one such object per suite.
fn test_summary(results: &Json, problems: &mut Vec<Problem>) -> TestSummary {
    if !matches!(results.value, Value::Object(_)) {
        problems.push(type_problem("test_results", results, "an object"));
        return TestSummary::default();
    }
    let flat = ["total", "passing", "failing", "passed", "failed"].iter().any(|k| results.get(k).is_some());
    let suites: Vec<&Json> = if flat {
        vec![results]
    } else {
        results.members().iter().map(|m| &m.value).filter(|v| matches!(v.value, Value::Object(_))).collect()
    };
    let mut summary = TestSummary::default();
    let mut failing_total = 0u64;
    let mut failing_range = None;
    for suite in suites {
        let count = |keys: &[&str]| keys.iter().find_map(|k| suite.get(k)).and_then(|v| v.as_f64().map(|n| (n, v)));
        let failing = match (count(&["failing", "failed"]), count(&["total"]), count(&["passing", "passed"])) {
            (Some((n, v)), _, _) => Some((n, v.range.clone())),
            (None, Some((total, _)), Some((passing, v))) if total > passing => Some((total - passing, v.range.clone())),
            _ => None,
        };
        if let Some((n, range)) = failing {
            if n > 0.0 {
                failing_total += n as u64;
                failing_range.get_or_insert(range);
            }
        }
        if let Some(coverage) = suite.get("coverage") {
            if let Some(figure) = super::read::coverage_figure(coverage) {
                summary.coverage = Some(figure);
            }
        }
    }
    if let Some(range) = failing_range {
        summary.failing = Some(At { value: failing_total, range });
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    fn read(text: &str) -> Snapshot {
        Snapshot::read(&Document::parse("context-002-implementation.json", FileKind::Json, text))
    }

    #[test]
    fn other_json_named_context_is_not_a_snapshot() {
        let foreign = |path: &str, text: &str| is_foreign(&Document::parse(path, FileKind::Json, text));
        // A UI test's golden file: JSON with none of the schema's keys.
        assert!(foreign("goldens/context-menu-demo.open.json", r#"{"viewport": [375, 240], "nodes": []}"#));
        assert!(foreign("goldens/context-menu-demo.json", "[1, 2]"));
        assert!(foreign("registry/context-menu.json", r#"{"version": "4", "status": "stable", "name": "menu"}"#));
        // Near misses: any schema key (in any spelling), a handoff folder, or text that does not
        // parse keeps the file a snapshot, so its problems are still reported.
        assert!(!foreign("docs/context-001.json", r#"{"workflowId": "w"}"#));
        assert!(!foreign("docs/context-001.json", r#"{"current-agent": "qa"}"#));
        assert!(!foreign(".claude/handoff/context-menu.json", r#"{"viewport": 1}"#));
        assert!(!foreign(".claude/context/notes.json", "[]"));
        assert!(!foreign("docs/context-001.json", r#"{"workflow_id": "#));
    }

    #[test]
    fn seed_shaped_snapshot_is_read() {
        let s = read(
            r#"{"version": "1.0", "workflow_id": "w", "timestamp": "2025-01-15T14:45:00Z",
            "current_agent": "tdd-typescript", "next_agent": "test-generator", "phase": "implementation-complete",
            "files_modified": ["src/a.ts"], "test_results": {"total": 18, "passing": 18, "failing": 0,
            "coverage": {"line": 96, "branch": 94}}, "pending_actions": ["x", "y"]}"#,
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.next_agent_name(), Some("test-generator"));
        assert_eq!(s.tests.coverage.as_ref().map(|c| c.value), Some(96.0));
        assert_eq!(s.tests.failing, None);
        assert_eq!(s.pending_actions.len(), 2);
        assert!(s.claims_done());
        assert_eq!(s.name(), "context-002-implementation");
    }

    #[test]
    fn per_suite_results_and_gates() {
        let s = read(
            r#"{"version": "1.0", "workflow_id": "w", "timestamp": "2025-01-15T16:30:00Z", "current_agent": "a",
            "phase": "testing", "next_agent": null, "test_results": {"unit": {"total": 18, "passing": 18},
            "e2e": {"total": 5, "passing": 3}}, "quality_gates_passed": {"coverage": true, "security": false}}"#,
        );
        assert_eq!(s.tests.failing.as_ref().map(|f| f.value), Some(2));
        assert_eq!(s.gates[1].outcome, Outcome::Fail);
        assert_eq!(s.next_agent.as_ref().map(|n| n.value.clone()), Some(None));
    }

    #[test]
    fn schema_problems_are_reported_on_the_offending_value() {
        let text = r#"{"version": "1.0", "workflowId": "w", "timestamp": "soon", "phase": "x",
            "next_agent": 3, "context_summary": "long"}"#;
        let s = read(&text.replace("long", &"x".repeat(501)));
        let messages: Vec<&str> = s.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("`current_agent`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`workflowId` is read as `workflow_id`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("RFC 3339")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`next_agent` must be a string or null")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("501 characters")), "{messages:?}");
        assert_eq!(s.workflow_id.map(|w| w.value).as_deref(), Some("w"));
    }
}
