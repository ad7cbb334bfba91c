//! Handoffs: signals (`.claude/handoff/*.signal`), context snapshots (`context-*.json`) and agent
//! definitions (`.claude/agents/*.md`), read and normalised (issue #7). Pure: built from parsed
//! [`Document`]s, plus the list of the workspace's files ([`WorkspaceFiles`]) that the workspace
//! layer supplies for existence checks.
//!
//! Schema v1 is documented in `docs/handoff-format.md` and shipped as JSON Schema in `schemas/`.

pub mod agent;
pub mod checkpoint;
pub mod files;
pub mod ide;
pub mod json;
pub mod markdown;
pub mod normalize;
pub mod read;
pub mod signal;
pub mod snapshot;

use std::collections::BTreeMap;

pub use agent::Agent;
pub use checkpoint::Checkpoint;
pub use files::WorkspaceFiles;
pub use normalize::{Outcome, PathKind, Status};
pub use read::{At, Gate, NamedFile, Problem};
pub use signal::Signal;
pub use snapshot::Snapshot;

use crate::config::Config;
use crate::plan::WorkstreamId;
use crate::syntax::{Document, FileKind};

/// Every handoff artefact of a workspace, normalised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Handoffs {
    /// Signals, by path.
    pub signals: Vec<Signal>,
    /// Context snapshots, by path.
    pub snapshots: Vec<Snapshot>,
    /// Agent definitions, by path.
    pub agents: Vec<Agent>,
    /// Build-pipeline checkpoints, by path.
    pub checkpoints: Vec<Checkpoint>,
    /// Markdown handoffs, by path.
    pub markdown: Vec<markdown::MarkdownHandoff>,
    /// Chains of snapshots (indices into `snapshots`, in chain order), one per workflow and
    /// folder.
    pub chains: Vec<Vec<usize>>,
    /// The files of the workspace, for existence checks.
    pub files: WorkspaceFiles,
}

impl Handoffs {
    /// Reads the signals, snapshots and agent definitions among `docs`. Every document counts as
    /// an existing file; [`Handoffs::with_files`] adds the rest of the workspace.
    pub fn build(docs: &[&Document], _config: &Config) -> Handoffs {
        let mut handoffs = Handoffs::default();
        for doc in docs {
            match doc.kind {
                FileKind::Signal => handoffs.signals.push(Signal::read(doc)),
                FileKind::Json if checkpoint::is_checkpoint(&doc.path) => {
                    handoffs.checkpoints.push(Checkpoint::read(doc))
                }
                FileKind::Json if snapshot::is_foreign(doc) => {}
                FileKind::Json => handoffs.snapshots.push(Snapshot::read(doc)),
                FileKind::Markdown if Agent::is_definition(&doc.path) => handoffs.agents.push(Agent::read(doc)),
                FileKind::Markdown if markdown::is_markdown_handoff(&doc.path) => {
                    handoffs.markdown.push(markdown::MarkdownHandoff::read(doc))
                }
                _ => {}
            }
        }
        handoffs.signals.sort_by(|a, b| a.path.cmp(&b.path));
        handoffs.snapshots.sort_by(|a, b| a.path.cmp(&b.path));
        handoffs.agents.sort_by(|a, b| a.path.cmp(&b.path));
        handoffs.checkpoints.sort_by(|a, b| a.path.cmp(&b.path));
        handoffs.markdown.sort_by(|a, b| a.path.cmp(&b.path));
        handoffs.files = WorkspaceFiles::from_paths(docs.iter().map(|d| d.path.clone()));
        handoffs.chains = chains(&handoffs.snapshots);
        handoffs
    }

    /// The same handoffs, checking existence against `files` (every file of the workspace, as
    /// listed by the workspace layer); the documents stay known to exist.
    pub fn with_files(mut self, files: &WorkspaceFiles) -> Handoffs {
        self.files.extend(files);
        self
    }

    /// The path of a signal that reports work stream `id` complete, if any.
    pub fn completion_signal(&self, id: &WorkstreamId) -> Option<&str> {
        self.completion_signal_in(id, None)
    }

    /// Like [`Handoffs::completion_signal`], among the signals of one project only (`None`: all).
    pub fn completion_signal_in(&self, id: &WorkstreamId, project: Option<&str>) -> Option<&str> {
        self.signals
            .iter()
            .filter(|s| project.is_none_or(|p| project_of(&s.path) == p))
            .find(|s| {
                s.workstream.as_ref().is_some_and(|w| &w.value == id)
                    && s.status.as_ref().is_some_and(|st| st.value == Status::Complete)
            })
            .map(|s| s.path.as_str())
    }

    /// The checkpoints of the plan `doc_id` (at `doc_path`): those naming the document as their
    /// execution spec, else those whose intake id is the document's id, within its project.
    pub fn checkpoints_for<'a>(&'a self, doc_id: &str, doc_path: &str) -> Vec<&'a Checkpoint> {
        let mine: Vec<&Checkpoint> = self
            .checkpoints
            .iter()
            .filter(|c| c.tracks_workstreams && contains(project_of(&c.path), doc_path))
            .collect();
        let by_spec: Vec<&Checkpoint> = mine
            .iter()
            .copied()
            .filter(|c| c.spec.as_ref().is_some_and(|s| same_document(&s.value, doc_path, project_of(&c.path))))
            .collect();
        if !by_spec.is_empty() {
            return by_spec;
        }
        let id = doc_id.trim();
        if id.is_empty() {
            return Vec::new();
        }
        // By id only when the checkpoint names no execution spec: one that names another
        // document runs that one (two specs may share an intake id).
        mine.into_iter().filter(|c| c.spec.is_none() && c.id.eq_ignore_ascii_case(id)).collect()
    }

    /// True when the project holding `doc_path` tracks completion in checkpoints (it has at
    /// least one): its plans need no per-stream handoff-signal section.
    pub fn tracks_checkpoints(&self, doc_path: &str) -> bool {
        self.checkpoints.iter().any(|c| c.tracks_workstreams && contains(project_of(&c.path), doc_path))
    }

    /// The path of a checkpoint of plan `doc_id` (at `doc_path`) listing stream `id` completed.
    pub fn completion_checkpoint(&self, doc_id: &str, doc_path: &str, id: &WorkstreamId) -> Option<&str> {
        self.checkpoints_for(doc_id, doc_path).into_iter().find(|c| c.completes(id)).map(|c| c.path.as_str())
    }

    /// The agents defined for the project of the handoff at `path`.
    pub fn agents_for<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a Agent> + 'a {
        let project = project_of(path).to_string();
        self.agents.iter().filter(move |a| a.project() == project)
    }

    /// The agent named `name` in the project of the handoff at `path`.
    pub fn agent(&self, path: &str, name: &str) -> Option<&Agent> {
        self.agents_for(path).find(|a| a.name == name)
    }

    /// The workspace path of a file named (relatively) by the handoff at `from`: tried against
    /// the handoff's project folder, then every folder above it up to the root. `None` when it
    /// exists in none of them (or the path is absolute or escapes the workspace).
    pub fn resolve(&self, from: &str, named: &NamedFile) -> Option<String> {
        let PathKind::Relative(relative) = &named.kind else { return None };
        candidates(from, relative).into_iter().find(|p| self.files.contains(p))
    }

    /// Every workspace file some signal or snapshot names (resolved like [`Handoffs::resolve`]).
    pub fn named_paths(&self) -> std::collections::BTreeSet<String> {
        let signals = self.signals.iter().map(|s| (s.path.as_str(), &s.files));
        let snapshots = self.snapshots.iter().map(|s| (s.path.as_str(), &s.files));
        signals
            .chain(snapshots)
            .flat_map(|(from, files)| files.iter().filter_map(move |named| self.resolve(from, named)))
            .collect()
    }

    /// The snapshot at `path`.
    pub fn snapshot(&self, path: &str) -> Option<&Snapshot> {
        self.snapshots.iter().find(|s| s.path == path)
    }

    /// The signal at `path`.
    pub fn signal(&self, path: &str) -> Option<&Signal> {
        self.signals.iter().find(|s| s.path == path)
    }

    /// The chain holding the snapshot at `path`, and its position in it.
    pub fn chain_of(&self, path: &str) -> Option<(&[usize], usize)> {
        let index = self.snapshots.iter().position(|s| s.path == path)?;
        self.chains.iter().find_map(|c| c.iter().position(|i| *i == index).map(|pos| (c.as_slice(), pos)))
    }
}

/// The folder of the project a handoff or agent file belongs to: the folder holding its
/// `.claude/`, else (for a snapshot outside `.claude/`) its own folder. `""` is the root.
pub fn project_of(path: &str) -> &str {
    if let Some(at) = path.find("/.claude/") {
        return &path[..at];
    }
    if path.starts_with(".claude/") {
        return "";
    }
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// True when the document at `doc_path` lies inside `project` (a folder; `""` is the root).
fn contains(project: &str, doc_path: &str) -> bool {
    project.is_empty() || doc_path.starts_with(&format!("{project}/"))
}

/// True when `named` (as a checkpoint writes it: relative to the repository, maybe with `./`)
/// is the document at `doc_path`.
fn same_document(named: &str, doc_path: &str, project: &str) -> bool {
    let named = named.trim().trim_start_matches("./");
    let full = if project.is_empty() { named.to_string() } else { format!("{project}/{named}") };
    full == doc_path || doc_path.ends_with(&format!("/{named}"))
}

/// The workspace paths a relative name may mean, most specific first: under the handoff's
/// project folder, then under each folder above it.
fn candidates(from: &str, relative: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut dir = project_of(from);
    loop {
        out.push(if dir.is_empty() { relative.to_string() } else { format!("{dir}/{relative}") });
        if dir.is_empty() {
            break;
        }
        dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
    out
}

/// Groups snapshots into chains: one per (folder, workflow). A snapshot whose `workflow_id` is a
/// near miss of the id another snapshot of its folder uses joins that chain (the broken-chain
/// rule reports it). Order: by the number in `context-NNN` names when every member has one,
/// else by timestamp, then file name.
fn chains(snapshots: &[Snapshot]) -> Vec<Vec<usize>> {
    let mut by_folder: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in snapshots.iter().enumerate() {
        let folder = s.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        by_folder.entry(folder).or_default().push(i);
    }
    let mut chains = Vec::new();
    for members in by_folder.into_values() {
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in &members {
            if let Some(id) = &snapshots[i].workflow_id {
                *ids.entry(id.value.as_str()).or_default() += 1;
            }
        }
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in &members {
            let own = snapshots[i].workflow_id.as_ref().map_or("", |w| w.value.as_str());
            let key = workflow_group(own, &ids);
            groups.entry(key.to_string()).or_default().push(i);
        }
        for mut group in groups.into_values() {
            let numbers: Vec<Option<u32>> = group.iter().map(|&i| sequence_number(&snapshots[i].path)).collect();
            if numbers.iter().all(Option::is_some) {
                group.sort_by_key(|&i| (sequence_number(&snapshots[i].path), snapshots[i].path.clone()));
            } else {
                group.sort_by_key(|&i| (snapshots[i].timestamp.as_ref().map(|t| t.value), snapshots[i].path.clone()));
            }
            chains.push(group);
        }
    }
    chains
}

/// The workflow id a snapshot's chain is keyed by: its own, or the more common id of its folder
/// that it misspells.
pub fn workflow_group<'a>(own: &'a str, ids: &BTreeMap<&'a str, usize>) -> &'a str {
    let count = ids.get(own).copied().unwrap_or(0);
    let others = ids.iter().filter(|(id, n)| **id != own && **n > count).map(|(id, _)| *id);
    crate::rules::closest_match(own, others).unwrap_or(own)
}

/// The number in a `context-NNN…` file name.
pub fn sequence_number(path: &str) -> Option<u32> {
    let name = path.rsplit('/').next()?;
    let rest = name.strip_prefix("context-")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(files: &[(&str, &str)]) -> Vec<Document> {
        files.iter().map(|(p, t)| Document::parse(*p, FileKind::from_path(p).unwrap(), *t)).collect()
    }

    fn snapshot(workflow: &str, ts: &str, current: &str, next: &str) -> String {
        format!(
            r#"{{"version": "1.0", "workflow_id": "{workflow}", "timestamp": "{ts}", "current_agent": "{current}", "next_agent": {next}, "phase": "p"}}"#
        )
    }

    #[test]
    fn completion_signals_are_found_by_normalised_id_and_project() {
        let docs = docs(&[
            (".claude/handoff/ws1-db-complete.signal", r#"{"workstream": "ws1", "status": "complete"}"#),
            (".claude/handoff/ws2.signal", r#"{"workstream": "WS-2", "status": "partial"}"#),
            ("app/.claude/handoff/PRD-HZ-001-WS3-complete.signal", "WS3 done"),
        ]);
        let refs: Vec<&Document> = docs.iter().collect();
        let h = Handoffs::build(&refs, &Config::default());
        let id = |s: &str| WorkstreamId::parse(s).unwrap();
        assert_eq!(h.completion_signal(&id("WS-1")), Some(".claude/handoff/ws1-db-complete.signal"));
        assert_eq!(h.completion_signal(&id("WS-2")), None);
        assert_eq!(h.completion_signal(&id("WS-3")), Some("app/.claude/handoff/PRD-HZ-001-WS3-complete.signal"));
        assert_eq!(h.completion_signal_in(&id("WS-3"), Some("")), None);
    }

    #[test]
    fn chains_group_by_folder_and_workflow_and_order_by_sequence() {
        let docs = docs(&[
            ("f/context-002-b.json", &snapshot("wf-1", "2025-01-15T11:00:00Z", "b", "\"c\"")),
            ("f/context-001-a.json", &snapshot("wf-1", "2025-01-15T10:00:00Z", "a", "\"b\"")),
            ("f/context-003-c.json", &snapshot("wf-2", "2025-01-15T12:00:00Z", "c", "null")),
            ("g/context-001-a.json", &snapshot("wf-1", "2025-01-15T10:00:00Z", "a", "null")),
        ]);
        let refs: Vec<&Document> = docs.iter().collect();
        let h = Handoffs::build(&refs, &Config::default());
        let paths: Vec<Vec<&str>> =
            h.chains.iter().map(|c| c.iter().map(|&i| h.snapshots[i].path.as_str()).collect()).collect();
        // wf-2 is a near miss of wf-1 (used twice in f/): one chain.
        assert_eq!(
            paths,
            [
                vec!["f/context-001-a.json", "f/context-002-b.json", "f/context-003-c.json"],
                vec!["g/context-001-a.json"]
            ]
        );
    }

    #[test]
    fn named_files_resolve_against_the_project_then_upwards() {
        let docs = docs(&[("ex/.claude/handoff/a.signal", "{}"), ("ex/src/a.ts", ""), ("lib/b.ts", "")]);
        let refs: Vec<&Document> = docs.iter().collect();
        let h = Handoffs::build(&refs, &Config::default());
        let named = |p: &str| NamedFile { text: p.into(), range: 0..0, kind: normalize::classify_path(p), key: "x" };
        assert_eq!(h.resolve("ex/.claude/handoff/a.signal", &named("src/a.ts")).as_deref(), Some("ex/src/a.ts"));
        assert_eq!(h.resolve("ex/.claude/handoff/a.signal", &named("lib/b.ts")).as_deref(), Some("lib/b.ts"));
        assert_eq!(h.resolve("ex/.claude/handoff/a.signal", &named("src/c.ts")), None);
        assert_eq!(project_of("ex/context-001.json"), "ex");
        assert_eq!(project_of(".claude/handoff/x.signal"), "");
    }
}
