//! Build-pipeline checkpoints (`.claude/**/checkpoints/*.json`): one JSON file per executed plan
//! that records which work streams are completed, in progress, pending or dormant, which gates
//! passed or are pending, and the run's status. A completion source besides signals: a stream in
//! `completed_workstreams` is complete for the plan the checkpoint belongs to. The format and the
//! key drift read leniently are in `docs/handoff-format.md` ("Checkpoints").

use chrono::{DateTime, Utc};

use super::json::{Json, Value};
use super::normalize;
use super::read::{At, Problem};
use crate::plan::WorkstreamId;
use crate::syntax::Document;

/// True for a path Baton reads as a checkpoint: a `.json` file in a `checkpoints/` folder (or a
/// folder below one, such as `checkpoints/_archive/`) inside `.claude/`.
pub fn is_checkpoint(path: &str) -> bool {
    if !path.ends_with(".json") || !(path.starts_with(".claude/") || path.contains("/.claude/")) {
        return false;
    }
    let after = path.rsplit_once(".claude/").map_or("", |(_, rest)| rest);
    after.split('/').rev().skip(1).any(|c| c == "checkpoints")
}

/// The run status a checkpoint states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Checkpoint created, nothing run yet.
    Initialized,
    /// Work streams executing.
    InProgress,
    /// Waiting at a gate for a human.
    Paused,
    /// A stream or gate failed.
    Failed,
    /// Every stream and gate done.
    Complete,
}

impl RunStatus {
    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Initialized => "initialized",
            RunStatus::InProgress => "in_progress",
            RunStatus::Paused => "paused",
            RunStatus::Failed => "failed",
            RunStatus::Complete => "complete",
        }
    }

    /// Reads a status; the second field is false when the spelling is not the canonical one
    /// (`COMPLETE`, `completed`, `in-progress`).
    pub fn parse(text: &str) -> Option<(RunStatus, bool)> {
        let status = match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "initialized" | "initialised" => RunStatus::Initialized,
            "in_progress" => RunStatus::InProgress,
            "paused" => RunStatus::Paused,
            "failed" => RunStatus::Failed,
            "complete" | "completed" => RunStatus::Complete,
            _ => return None,
        };
        Some((status, text == status.as_str()))
    }
}

/// The four work-stream buckets, in the order the format lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    /// `completed_workstreams`.
    Completed,
    /// `in_progress_workstreams`.
    InProgress,
    /// `pending_workstreams`.
    Pending,
    /// `dormant_workstreams` (legacy `skipped_workstreams`, `deferred_workstreams`).
    Dormant,
}

impl Bucket {
    /// The canonical key.
    pub fn key(self) -> &'static str {
        match self {
            Bucket::Completed => "completed_workstreams",
            Bucket::InProgress => "in_progress_workstreams",
            Bucket::Pending => "pending_workstreams",
            Bucket::Dormant => "dormant_workstreams",
        }
    }

    /// The keys read for the bucket (canonical first, then the drift seen in real files).
    fn keys(self) -> &'static [&'static str] {
        match self {
            Bucket::Completed => &["completed_workstreams", "completedWorkstreams"],
            Bucket::InProgress => &["in_progress_workstreams", "inProgressWorkstreams"],
            Bucket::Pending => &["pending_workstreams", "pendingWorkstreams"],
            Bucket::Dormant => &["dormant_workstreams", "skipped_workstreams", "deferred_workstreams"],
        }
    }

    const ALL: [Bucket; 4] = [Bucket::Completed, Bucket::InProgress, Bucket::Pending, Bucket::Dormant];
}

/// A checkpoint, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// Workspace-relative path.
    pub path: String,
    /// The intake id: `prd`, `prd_id`, `spec_id`, `id`, `exec_id` or `specId` (the format's
    /// `prd` is an intake identifier, not strictly a PRD); else the file stem.
    pub id: String,
    /// The execution spec it runs, when it names one (`exec_spec_path`, `execution_spec_path`,
    /// `spec_path`, `exec_spec`, `execution_spec`, `spec_file`), as written.
    pub spec: Option<At<String>>,
    /// The run status, with the text as written.
    pub status: Option<At<(Option<RunStatus>, String)>>,
    /// The streams of each bucket, with their ranges.
    pub buckets: Vec<(Bucket, Vec<At<WorkstreamId>>)>,
    /// `gates_pending` entries.
    pub gates_pending: Vec<At<String>>,
    /// `gates_failed` entries.
    pub gates_failed: Vec<At<String>>,
    /// `gate_a_fidelity` and `gate_b_presence` values.
    pub render_gates: Vec<(&'static str, At<String>)>,
    /// `render_proof_waiver.issue_id`, when recorded.
    pub waiver_issue: Option<String>,
    /// `created_at`.
    pub created_at: Option<At<DateTime<Utc>>>,
    /// `updated_at`.
    pub updated_at: Option<At<DateTime<Utc>>>,
    /// Whether `error` is present.
    pub has_error: bool,
    /// Schema problems (`handoff/invalid`).
    pub problems: Vec<Problem>,
    /// True when the file tracks work streams (has at least one bucket key): only such files are
    /// build-pipeline checkpoints. Other pipelines keep differently shaped files in
    /// `checkpoints/` folders (a design pipeline's gate map, an architect's `latest.json`); they
    /// are neither checked nor a completion source.
    pub tracks_workstreams: bool,
}

impl Checkpoint {
    /// The streams of `bucket`.
    pub fn bucket(&self, bucket: Bucket) -> &[At<WorkstreamId>] {
        self.buckets.iter().find(|(b, _)| *b == bucket).map_or(&[], |(_, s)| s.as_slice())
    }

    /// True when the checkpoint lists `id` as completed.
    pub fn completes(&self, id: &WorkstreamId) -> bool {
        self.bucket(Bucket::Completed).iter().any(|s| &s.value == id)
    }

    /// The run status, when it is one of the format's.
    pub fn run_status(&self) -> Option<RunStatus> {
        self.status.as_ref().and_then(|s| s.value.0)
    }

    /// Reads a checkpoint document. A document that is not a JSON object yields a checkpoint with
    /// nothing in it (its syntax errors are reported by `handoff/invalid` from the tree).
    pub fn read(doc: &Document) -> Checkpoint {
        let stem = doc.path.rsplit('/').next().unwrap_or(&doc.path).trim_end_matches(".json").to_string();
        let mut checkpoint = Checkpoint {
            path: doc.path.clone(),
            id: stem,
            spec: None,
            status: None,
            buckets: Vec::new(),
            gates_pending: Vec::new(),
            gates_failed: Vec::new(),
            render_gates: Vec::new(),
            waiver_issue: None,
            created_at: None,
            updated_at: None,
            has_error: false,
            problems: Vec::new(),
            tracks_workstreams: false,
        };
        if let Some(json) = Json::from_document(doc).filter(|j| matches!(j.value, Value::Object(_))) {
            checkpoint.read_json(&json);
        }
        checkpoint
    }

    fn read_json(&mut self, json: &Json) {
        self.tracks_workstreams = Bucket::ALL.iter().any(|b| b.keys().iter().any(|k| json.get(k).is_some()));
        if !self.tracks_workstreams {
            return;
        }
        let first = |keys: &[&str]| keys.iter().find_map(|k| json.get(k));
        // An id that is a path (`"prd": "docs/10-prd/PRD-7-x.md"`) leaves the file stem.
        if let Some(id) = first(&["prd", "prd_id", "spec_id", "id", "exec_id", "specId"]).and_then(Json::as_str) {
            if !id.contains('/') && !id.trim().is_empty() {
                self.id = id.trim().to_string();
            }
        }
        let spec_keys = [
            "exec_spec_path",
            "execution_spec_path",
            "spec_path",
            "exec_spec",
            "execution_spec",
            "spec_file",
            "execSpec",
        ];
        self.spec = spec_keys.iter().filter_map(|k| json.get(k)).find_map(|v| {
            v.as_str().filter(|s| s.ends_with(".md")).map(|s| At { value: s.to_string(), range: v.inner_range() })
        });
        if let Some(value) = json.get("status") {
            if let Some(text) = value.as_str() {
                let parsed = RunStatus::parse(text);
                match parsed {
                    Some((status, false)) => self.problems.push(Problem {
                        range: value.range.clone(),
                        message: format!("checkpoint status `{text}` is read as `{}`; the format spells it so", status.as_str()),
                        fix: Some((
                            format!("Write `{}`", status.as_str()),
                            value.range.clone(),
                            format!("\"{}\"", status.as_str()),
                        )),
                    }),
                    None => self.problems.push(Problem {
                        range: value.range.clone(),
                        message: format!(
                            "`{text}` is not a checkpoint status (`initialized`, `in_progress`, `paused`, `failed`, `complete`); tools that resume the pipeline cannot tell where it stands"
                        ),
                        fix: None,
                    }),
                    Some((_, true)) => {}
                }
                self.status = Some(At { value: (parsed.map(|p| p.0), text.to_string()), range: value.range.clone() });
            }
        }
        for bucket in Bucket::ALL {
            let Some(list) = bucket.keys().iter().find_map(|k| json.get(k)) else { continue };
            let streams = list
                .elements()
                .iter()
                .filter_map(|item| {
                    let text = item.as_str()?;
                    WorkstreamId::find_all(text)
                        .into_iter()
                        .next()
                        .map(|(_, id)| At { value: id, range: item.range.clone() })
                })
                .collect();
            self.buckets.push((bucket, streams));
        }
        let strings = |key: &str| -> Vec<At<String>> {
            json.get(key).map_or(Vec::new(), |list| {
                list.elements()
                    .iter()
                    .filter_map(|i| i.as_str().map(|s| At { value: s.to_string(), range: i.range.clone() }))
                    .collect()
            })
        };
        self.gates_pending = strings("gates_pending");
        self.gates_failed = strings("gates_failed");
        for key in ["gate_a_fidelity", "gate_b_presence"] {
            if let Some(value) = json.get(key) {
                if let Some(text) = value.as_str() {
                    self.render_gates.push((key, At { value: text.to_string(), range: value.range.clone() }));
                }
            }
        }
        self.waiver_issue = json
            .get("render_proof_waiver")
            .and_then(|w| w.get("issue_id"))
            .and_then(Json::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string);
        self.has_error = json.get("error").is_some_and(|e| !matches!(e.value, Value::Null));
        self.created_at = timestamp(json, &["created_at", "createdAt"]);
        self.updated_at = timestamp(json, &["updated_at", "updatedAt"]);
        self.check();
    }

    /// The format's own consistency rules that need nothing but the file.
    fn check(&mut self) {
        let mut problems = Vec::new();
        if let (Some(RunStatus::Failed), Some(status)) = (self.run_status(), &self.status) {
            if !self.has_error {
                problems.push(Problem {
                    range: status.range.clone(),
                    message: "a failed checkpoint needs `error` (`workstream`, `message`): whoever resumes it cannot tell what failed".into(),
                    fix: None,
                });
            }
        }
        if let (Some(created), Some(updated)) = (&self.created_at, &self.updated_at) {
            if updated.value < created.value {
                problems.push(Problem {
                    range: updated.range.clone(),
                    message: format!(
                        "`updated_at` is before `created_at` ({}): `created_at` is set once, `updated_at` on every change",
                        created.value.format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                    fix: None,
                });
            }
        }
        // The buckets are disjoint: a stream is in exactly one.
        for (i, (bucket, streams)) in self.buckets.iter().enumerate() {
            for stream in streams {
                let earlier = self.buckets[..i].iter().find(|(_, s)| s.iter().any(|o| o.value == stream.value));
                if let Some((other, _)) = earlier {
                    problems.push(Problem {
                        range: stream.range.clone(),
                        message: format!(
                            "{} is in both `{}` and `{}`: a work stream is in exactly one bucket",
                            stream.value,
                            other.key(),
                            bucket.key()
                        ),
                        fix: None,
                    });
                }
            }
        }
        self.problems.extend(problems);
    }
}

fn timestamp(json: &Json, keys: &[&str]) -> Option<At<DateTime<Utc>>> {
    let value = keys.iter().find_map(|k| json.get(k))?;
    let (time, _) = normalize::parse_timestamp(value.as_str()?)?;
    Some(At { value: time, range: value.range.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    fn read(text: &str) -> Checkpoint {
        let path = ".claude/skills/build-pipeline/checkpoints/PRD-9.json";
        Checkpoint::read(&Document::parse(path, FileKind::Json, text))
    }

    #[test]
    fn paths() {
        assert!(is_checkpoint(".claude/skills/build-pipeline/checkpoints/PRD-9.json"));
        assert!(is_checkpoint("app/.claude/skills/x/checkpoints/_archive/PRD-1.json"));
        assert!(!is_checkpoint("checkpoints/PRD-9.json"));
        assert!(!is_checkpoint(".claude/skills/x/checkpoints.json"));
        assert!(!is_checkpoint(".claude/handoff/context-001.json"));
    }

    #[test]
    fn reads_buckets_ids_and_drift() {
        let c = read(
            r#"{"prd_id": "PRD-9", "status": "COMPLETE", "completed_workstreams": ["WS1", "WS2_API"],
                "pending_workstreams": [], "skipped_workstreams": ["WS3"], "exec_spec": "docs/EXEC-9.md",
                "created_at": "2026-01-02T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}"#,
        );
        assert_eq!(c.id, "PRD-9");
        assert_eq!(c.run_status(), Some(RunStatus::Complete));
        assert!(c.completes(&WorkstreamId::parse("WS-1").unwrap()));
        assert_eq!(c.bucket(Bucket::Dormant).len(), 1);
        assert_eq!(c.spec.as_ref().unwrap().value, "docs/EXEC-9.md");
        let messages: Vec<&str> = c.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("read as `complete`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`updated_at` is before")), "{messages:?}");
        assert_eq!(messages.len(), 2, "{messages:?}");
    }

    #[test]
    fn failed_needs_error_and_buckets_are_disjoint() {
        let c = read(
            r#"{"prd": "PRD-9", "status": "failed", "completed_workstreams": ["WS1"], "pending_workstreams": ["WS1"]}"#,
        );
        let messages: Vec<&str> = c.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("needs `error`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("in both `completed_workstreams` and `pending_workstreams`")));
        let good = read(
            r#"{"prd": "PRD-9", "status": "failed", "error": {"workstream": "WS2", "message": "x"},
                "completed_workstreams": ["WS1"], "pending_workstreams": ["WS2"],
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}"#,
        );
        assert_eq!(good.problems, []);
        assert!(read(r#"{"status": "executing", "pending_workstreams": []}"#).problems[0]
            .message
            .contains("not a checkpoint status"));
        // Another pipeline's file in a `checkpoints/` folder: not a build-pipeline checkpoint.
        let other = read(r#"{"status": "design-complete", "gates": {"prd-approved": {"passed": true}}}"#);
        assert!(!other.tracks_workstreams);
        assert_eq!(other.problems, []);
    }
}
