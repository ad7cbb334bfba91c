//! Agent briefs, `.baton/briefs/<item>-<stage>.md`: what an agent dispatched for a work item
//! needs — objective and acceptance criteria from the spec, decisions, constraints and pending
//! actions from the item's last context snapshot, the unmet requirements, the files in scope.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Unmet;
use crate::handoff::Handoffs;
use crate::plan::PlanDocument;

/// Renders the brief for `role` working on `doc` towards `stage`.
pub fn render(doc: &PlanDocument, role: &str, stage: &str, unmet: &[Unmet], handoffs: &Handoffs) -> String {
    let mut out = String::new();
    let title = doc.title.as_ref().map_or(doc.id.as_str(), |t| t.text.as_str());
    let _ = writeln!(out, "# Brief: {} — {role} agent, stage {stage}\n", doc.id);
    let _ = writeln!(out, "Work item: {title} (`{}`)\n", doc.path);
    let _ = writeln!(out, "## Objective\n");
    let _ = writeln!(out, "{}\n", doc.objective.as_ref().map_or("(the spec states no objective)", |o| o.text.as_str()));
    let _ = writeln!(out, "## Acceptance criteria\n");
    if doc.acceptance_criteria.is_empty() {
        let _ = writeln!(out, "(none listed in the spec)");
    }
    for c in &doc.acceptance_criteria {
        let _ = writeln!(out, "- [{}] {}", if c.checked { "x" } else { " " }, c.text);
    }
    let last = handoffs
        .snapshots
        .iter()
        .filter(|s| s.workflow_id.as_ref().is_some_and(|w| w.value.eq_ignore_ascii_case(&doc.id)))
        .max_by_key(|s| (crate::handoff::sequence_number(&s.path), s.timestamp.as_ref().map(|t| t.value)));
    for (heading, items) in [
        ("Decisions", last.map(|s| &s.decisions)),
        ("Constraints", last.map(|s| &s.constraints)),
        ("Pending actions", last.map(|s| &s.pending_actions)),
    ] {
        let _ = writeln!(out, "\n## {heading}\n");
        match items.filter(|i| !i.is_empty()) {
            Some(items) => items.iter().for_each(|i| {
                let _ = writeln!(out, "- {i}");
            }),
            None => {
                let _ = writeln!(out, "(none recorded)");
            }
        }
    }
    let _ = writeln!(out, "\n## Unmet requirements for {stage}\n");
    if unmet.is_empty() {
        let _ = writeln!(out, "(none)");
    }
    for u in unmet {
        let _ = writeln!(out, "- {u}");
    }
    let mut files: Vec<&str> = last.map(|s| s.files.iter().map(|f| f.text.as_str()).collect()).unwrap_or_default();
    files.insert(0, doc.path.as_str());
    files.dedup();
    let _ = writeln!(out, "\n## Files in scope\n");
    for f in files {
        let _ = writeln!(out, "- `{f}`");
    }
    let _ = writeln!(
        out,
        "\n## When done\n\nWrite `.claude/handoff/{}-{stage}.signal` (schema: docs/handoff-format.md) with `status` and the files you changed.",
        super::evidence::item_dir(&doc.id)
    );
    out
}

/// `.baton/briefs/<item>-<stage>.md` under `root`.
pub fn brief_path(root: &Path, item: &str, stage: &str) -> PathBuf {
    root.join(".baton/briefs").join(format!("{}-{stage}.md", super::evidence::item_dir(item)))
}

/// The signal an agent dispatched for `item` at `stage` is expected to write.
pub fn expected_signal(root: &Path, item: &str, stage: &str) -> PathBuf {
    root.join(".claude/handoff").join(format!("{}-{stage}.signal", super::evidence::item_dir(item)))
}

/// `[agents] command` with `{brief}` replaced by `brief`.
pub fn agent_argv(command: &[String], brief: &Path) -> Vec<String> {
    let brief = brief.to_string_lossy();
    command.iter().map(|a| a.replace("{brief}", &brief)).collect()
}
