//! Handoff signals (`.claude/handoff/*.signal`): JSON per schema v1, or — as in the wild —
//! plain text or Markdown, read as far as it goes ("unstructured").

use chrono::{DateTime, Utc};

use super::json::{Json, Value};
use super::normalize::{classify_path, PathKind, Status};
use super::read::{gates, named_files, secrets, At, Gate, Members, NamedFile, Problem};
use crate::plan::WorkstreamId;
use crate::syntax::Document;

/// The keys schema v1 defines for a signal (plus the snapshot-style lists Baton also reads).
pub const KEYS: &[&str] = &[
    "schema_version",
    "workstream",
    "status",
    "workflow_id",
    "prd",
    "agent",
    "timestamp",
    "files_created",
    "files_modified",
    "migration_file",
    "exports",
    "depends_on",
    "validation",
    "validation_passed",
    "notes",
    "decisions",
    "constraints",
    "pending_actions",
];

/// A handoff signal, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    /// Workspace-relative path.
    pub path: String,
    /// False for a signal that is not a JSON object (read as text).
    pub structured: bool,
    /// The work stream (from `workstream`, else the file name; then the range is empty).
    pub workstream: Option<At<WorkstreamId>>,
    /// The status (from `status`, else the text or file name).
    pub status: Option<At<Status>>,
    /// `agent`.
    pub agent: Option<At<String>>,
    /// `workflow_id` or `prd`.
    pub workflow: Option<At<String>>,
    /// `timestamp`.
    pub timestamp: Option<At<DateTime<Utc>>>,
    /// `files_created`, `files_modified`, `migration_file` (or paths found in the text).
    pub files: Vec<NamedFile>,
    /// `depends_on`.
    pub depends_on: Vec<At<WorkstreamId>>,
    /// `validation` and `validation_passed`.
    pub gates: Vec<Gate>,
    /// The coverage the signal reports (`validation.coverage`, or `coverage` beside it), in percent.
    pub coverage: Option<At<f64>>,
    /// `decisions`, `constraints`, `pending_actions` (optional extras).
    pub decisions: Vec<String>,
    /// Constraints the next agent must keep.
    pub constraints: Vec<String>,
    /// What is left to do.
    pub pending_actions: Vec<String>,
    /// `notes`.
    pub notes: Option<String>,
    /// Schema problems (`handoff/invalid`).
    pub problems: Vec<Problem>,
}

impl Signal {
    /// Reads a signal document.
    pub fn read(doc: &Document) -> Signal {
        let mut signal = Signal {
            path: doc.path.clone(),
            structured: false,
            workstream: None,
            status: None,
            agent: None,
            workflow: None,
            timestamp: None,
            files: Vec::new(),
            depends_on: Vec::new(),
            gates: Vec::new(),
            coverage: None,
            decisions: Vec::new(),
            constraints: Vec::new(),
            pending_actions: Vec::new(),
            notes: None,
            problems: Vec::new(),
        };
        let looks_like_json = doc.text.trim_start().starts_with('{');
        if looks_like_json {
            // A JSON signal; syntax errors are reported by `handoff/invalid` from the tree.
            signal.structured = true;
            if let Some(json) = Json::from_document(doc).filter(|j| matches!(j.value, Value::Object(_))) {
                signal.read_json(&json);
            }
        } else {
            signal.read_text(doc);
        }
        let name = doc.path.rsplit('/').next().unwrap_or(&doc.path);
        if signal.workstream.is_none() {
            signal.workstream =
                WorkstreamId::find_all(name).into_iter().next().map(|(_, id)| At { value: id, range: 0..0 });
        }
        if signal.status.is_none() {
            signal.status = name
                .trim_end_matches(".signal")
                .split(['-', '_', '.'])
                .rev()
                .find_map(Status::parse)
                .map(|value| At { value, range: 0..0 });
        }
        signal
    }

    /// Reads a JSON signal.
    fn read_json(&mut self, json: &Json) {
        let problems = &mut self.problems;
        let members = Members::read(json, KEYS, problems);
        members.require(json, "workstream", "signal", problems);
        members.require(json, "status", "signal", problems);
        if let Some(text) = members.string("workstream", problems) {
            match WorkstreamId::parse(&text.value) {
                Some(id) => self.workstream = Some(At { value: id, range: text.range }),
                None => problems.push(Problem {
                    range: text.range,
                    message: format!("`{}` is not a work-stream id (e.g. `WS-2`)", text.value),
                    fix: None,
                }),
            }
        }
        if let Some(text) = members.string("status", problems) {
            self.status = status(&text, problems);
        }
        self.agent = members.string("agent", problems);
        self.workflow = members.string("workflow_id", problems).or_else(|| members.string("prd", problems));
        self.timestamp = members.timestamp("timestamp", problems);
        for key in ["files_created", "files_modified", "migration_file"] {
            let items = members.strings(key, problems);
            self.files.extend(named_files(items, key, problems));
        }
        for item in members.strings("depends_on", problems) {
            match WorkstreamId::parse(&item.value) {
                Some(id) => self.depends_on.push(At { value: id, range: item.range }),
                None => problems.push(Problem {
                    range: item.range,
                    message: format!("`{}` in `depends_on` is not a work-stream id (e.g. `WS-1`)", item.value),
                    fix: None,
                }),
            }
        }
        if let Some(value) = members.get("validation") {
            self.gates.extend(gates(value, "validation", problems));
            self.coverage = value.get("coverage").and_then(super::read::coverage_figure);
        }
        if let Some(value) = members.get("validation_passed") {
            self.gates.extend(gates(value, "validation_passed", problems));
        }
        let text_list = |key: &str, problems: &mut Vec<Problem>| -> Vec<String> {
            members.strings(key, problems).into_iter().map(|s| s.value).collect()
        };
        self.decisions = text_list("decisions", problems);
        self.constraints = text_list("constraints", problems);
        self.pending_actions = text_list("pending_actions", problems);
        self.notes = members.string("notes", problems).map(|n| n.value);
        secrets(json, problems);
    }

    /// Reads a plain-text or Markdown signal: one warning, then what can be read.
    fn read_text(&mut self, doc: &Document) {
        let text = &doc.text;
        let first_line_end = text.find('\n').unwrap_or(text.len());
        let start = text.len() - text.trim_start().len();
        let end = if first_line_end > start { first_line_end } else { text.len() };
        if let Some((range, id)) = WorkstreamId::find_all(text).into_iter().next() {
            self.workstream = Some(At { value: id, range });
        }
        self.status = find_status(text);
        self.files = text_paths(text);
        // Absolute paths are reported as in JSON signals: they only work on one machine.
        for file in self.files.iter().filter(|f| f.kind == PathKind::Absolute) {
            self.problems.push(Problem {
                range: file.range.clone(),
                message: format!(
                    "`{}` is an absolute path: name files relative to the workspace root (Baton never reads it)",
                    file.text
                ),
                fix: None,
            });
        }
        let found = format!(
            "work stream {}, status {}, {} file path{}",
            self.workstream.as_ref().map_or("unknown".into(), |w| w.value.to_string()),
            self.status.as_ref().map_or("unknown", |s| s.value.as_str()),
            self.files.len(),
            if self.files.len() == 1 { "" } else { "s" }
        );
        self.problems.push(Problem {
            range: start..end.max(start),
            message: format!("unstructured signal: not JSON, read as text ({found}); write JSON per schema v1"),
            fix: None,
        });
    }
}

/// A status value, reported when it is not canonical.
pub fn status(text: &At<String>, problems: &mut Vec<Problem>) -> Option<At<Status>> {
    match Status::parse(&text.value) {
        Some(status) => {
            if text.value != status.as_str() {
                problems.push(Problem {
                    range: text.range.clone(),
                    message: format!("status `{}` is read as `{status}`; write `{status}`", text.value),
                    fix: Some((format!("Write `{status}`"), text.range.clone(), format!("\"{status}\""))),
                });
            }
            Some(At { value: status, range: text.range.clone() })
        }
        None => {
            problems.push(Problem {
                range: text.range.clone(),
                message: format!("unknown status `{}` (expected complete | failed | blocked | partial)", text.value),
                fix: None,
            });
            None
        }
    }
}

/// The first status word in a text ("COMPLETE", "Status: blocked").
fn find_status(text: &str) -> Option<At<Status>> {
    let mut offset = 0;
    for word in text.split_inclusive(|c: char| !(c.is_ascii_alphabetic() || c == '-' || c == '_')) {
        let trimmed = word.trim_end_matches(|c: char| !(c.is_ascii_alphabetic() || c == '-' || c == '_'));
        if matches!(
            trimmed.to_ascii_lowercase().as_str(),
            "complete" | "completed" | "failed" | "blocked" | "partial" | "done"
        ) {
            return Status::parse(trimmed).map(|value| At { value, range: offset..offset + trimmed.len() });
        }
        offset += word.len();
    }
    None
}

/// File paths in free text: tokens with a `/` and an extension (backticks and list markers
/// stripped).
fn text_paths(text: &str) -> Vec<NamedFile> {
    let mut found = Vec::new();
    let mut offset = 0;
    for token in text.split_inclusive(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')' || c == ',') {
        let word = token.trim_end_matches(|c: char| c.is_whitespace() || "`(),".contains(c));
        // Quotes and emphasis open a path; punctuation may close a sentence after it. A leading
        // `.` belongs to the path (`.claude/…`, `./app/…`).
        let opened = word.trim_start_matches(['"', '\'', '*']);
        let lead = word.len() - opened.len();
        let clean = opened.trim_end_matches(['"', '\'', '*', ':', '.', ';']);
        let has_extension = clean.rsplit('/').next().is_some_and(|name| {
            name.rsplit_once('.').is_some_and(|(stem, ext)| {
                !stem.is_empty() && (1..=5).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric())
            })
        });
        if clean.contains('/') && has_extension && !clean.contains("://") {
            let start = offset + lead;
            let kind = classify_path(clean);
            if kind != PathKind::NotAPath {
                found.push(NamedFile { text: clean.to_string(), range: start..start + clean.len(), kind, key: "text" });
            }
        }
        offset += token.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handoff::normalize::Outcome;
    use crate::syntax::FileKind;

    fn read(path: &str, text: &str) -> Signal {
        Signal::read(&Document::parse(path, FileKind::Signal, text))
    }

    #[test]
    fn json_signal_is_read_with_ranges() {
        let text = r#"{"workstream": "ws1", "status": "complete", "migration_file": "supabase/migrations/1.sql",
  "validation": {"lint": "pass (22/22)", "tests": {"status": "skipped", "command": "npm test"}}, "depends_on": ["WS-0"]}"#;
        let s = read(".claude/handoff/ws1-db-complete.signal", text);
        assert!(s.structured);
        let ws = s.workstream.unwrap();
        assert_eq!(ws.value.to_string(), "WS-1");
        assert_eq!(&text[ws.range], "\"ws1\"");
        assert_eq!(s.status.unwrap().value, Status::Complete);
        assert_eq!(s.files[0].text, "supabase/migrations/1.sql");
        assert_eq!(&text[s.files[0].range.clone()], "supabase/migrations/1.sql");
        let outcomes: Vec<_> = s.gates.iter().map(|g| (g.name.as_str(), g.outcome.clone())).collect();
        assert_eq!(outcomes, [("lint", Outcome::Pass), ("tests", Outcome::Skipped)]);
        assert_eq!(s.depends_on[0].value.to_string(), "WS-0");
        assert!(s.problems.is_empty(), "{:?}", s.problems);
    }

    #[test]
    fn variants_are_normalised_and_reported() {
        let s = read(
            ".claude/handoff/PRD-HZ-001-WS2-complete.signal",
            r#"{"status": "COMPLETE", "filesModified": ["/abs/x.ts"], "validation": {"tests_pass": true}}"#,
        );
        assert_eq!(s.workstream.unwrap().value.to_string(), "WS-2");
        assert_eq!(s.status.unwrap().value, Status::Complete);
        assert_eq!(s.gates[0].outcome, Outcome::Pass);
        let messages: Vec<&str> = s.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("`workstream`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("read as `complete`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`filesModified` is read as `files_modified`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("absolute path")), "{messages:?}");
    }

    #[test]
    fn unstructured_signals_are_read_as_text() {
        let text = "# WS-3 Rating slip: COMPLETE\n\nFiles:\n- `services/rating-slip/index.ts`\n- services/rating-slip/dto.ts\n";
        let s = read(".claude/handoff/ws3-rating-slip-complete.signal", text);
        assert!(!s.structured);
        assert_eq!(s.workstream.unwrap().value.to_string(), "WS-3");
        assert_eq!(s.status.unwrap().value, Status::Complete);
        let files: Vec<&str> = s.files.iter().map(|f| &text[f.range.clone()]).collect();
        assert_eq!(files, ["services/rating-slip/index.ts", "services/rating-slip/dto.ts"]);
        assert_eq!(s.problems.len(), 1);
        assert!(s.problems[0].message.starts_with("unstructured signal"));
    }

    /// Paths in prose keep their leading dot, lose closing punctuation, and never end inside a
    /// character (an em dash glued to a path is not part of its extension).
    #[test]
    fn absolute_paths_in_text_signals_are_reported() {
        let doc = Document::parse(
            ".claude/handoff/ws4-complete.signal",
            crate::syntax::FileKind::Signal,
            "WS-4 COMPLETE\nFiles:\n1. /home/dev/app/api/route.ts\n2. app/api/other.ts\n".to_string(),
        );
        let signal = Signal::read(&doc);
        let absolute: Vec<&str> = signal
            .problems
            .iter()
            .filter(|p| p.message.contains("absolute path"))
            .map(|p| &doc.text[p.range.clone()])
            .collect();
        assert_eq!(absolute, ["/home/dev/app/api/route.ts"]);
    }

    #[test]
    fn text_paths_keep_dot_folders_and_stop_at_punctuation() {
        let text = "Wrote .claude/context/snapshot-1.json. See \"./app/page.tsx\"; and *lib/a.ts*: done\nsnapshot .claude/x/y.js\u{2014} next\n";
        let files = text_paths(text);
        let at: Vec<&str> = files.iter().map(|f| &text[f.range.clone()]).collect();
        assert_eq!(at, [".claude/context/snapshot-1.json", "./app/page.tsx", "lib/a.ts"]);
        assert!(files.iter().all(|f| text[f.range.clone()] == f.text));
    }
}
