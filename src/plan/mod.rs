//! The delivery plan: work streams, phases, gates, approvals and specs, read from the workspace's
//! Markdown workflow documents and specs (issue #6). Pure: built from parsed [`Document`]s.
//!
//! What is recognised is written down in `docs/specs-and-workflows.md`. Reading is linear in the
//! size of the documents: the plan is rebuilt on every edit of a Markdown or signal document.

pub mod document;
pub mod ide;
pub mod markdown;
pub mod workstream;

use std::ops::Range;

pub use workstream::WorkstreamId;

use crate::config::Config;
use crate::syntax::{Document, FileKind};

/// Everything the workflow documents and specs of a workspace say about the plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// One entry per spec or workflow document (agent definitions excluded), by path.
    pub documents: Vec<PlanDocument>,
}

/// A text and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The text, trimmed.
    pub text: String,
    /// Byte range of the text.
    pub range: Range<usize>,
    /// Byte range of the whole line that holds it (the status line, the metadata line…).
    pub line: Range<usize>,
}

/// Where a piece of the plan was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Markdown structure (headings, metadata lines, tables).
    Markdown,
    /// The execution-spec YAML front matter.
    FrontMatter,
}

/// One spec or workflow document: a work item (contract §7) and the work streams it defines.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanDocument {
    /// Workspace-relative path.
    pub path: String,
    /// The work item id: front matter `id`, `spec_ref` or `prd`, else the file stem.
    pub id: String,
    /// The `# H1` title.
    pub title: Option<Located>,
    /// Byte range of the front matter block (delimiters included).
    pub front_matter: Option<Range<usize>>,
    /// The status: front matter `status`, else the first document-level `**Status**:` line.
    pub status: Option<Located>,
    /// The document version: front matter `version`, else a `**Version**:` line.
    pub version: Option<Located>,
    /// The `## Architecture Approval` section, when present.
    pub architecture_approval: Option<ArchitectureApproval>,
    /// Document-level acceptance criteria (checklist items of `Acceptance Criteria` sections
    /// outside work streams).
    pub acceptance_criteria: Vec<markdown::ChecklistItem>,
    /// The document-level `Objective` (first paragraph).
    pub objective: Option<Located>,
    /// Work streams defined here (Markdown sections and front matter `workstreams`), in order.
    pub workstreams: Vec<Workstream>,
    /// Execution phases, in schedule order (Parallel Execution Matrix, front matter
    /// `execution_phases`, or else phase headings and `**Parallel Group**` lines).
    pub phases: Vec<Phase>,
    /// Document-level gates: the `## Validation Gates` section and front matter `gates`.
    pub gates: Vec<Gate>,
    /// PoCs and high-risk assumptions.
    pub pocs: Vec<Poc>,
}

/// The `## Architecture Approval` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchitectureApproval {
    /// The heading line.
    pub heading: Range<usize>,
    /// `**Approved by**:`.
    pub approved_by: Option<Located>,
    /// `**Version Approved**:`.
    pub version_approved: Option<Located>,
}

/// A work stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Workstream {
    /// Its normalised id.
    pub id: WorkstreamId,
    /// The title after the id ("Database Migration").
    pub title: String,
    /// Where it was defined.
    pub source: Source,
    /// The heading line (or the front matter key line).
    pub heading: Range<usize>,
    /// The id as written in the heading (or key).
    pub id_range: Range<usize>,
    /// The whole section (or the key line).
    pub section: Range<usize>,
    /// Bold metadata lines of the section body (`**Agent Type**`, `**Priority**`, …), keys lowercased.
    pub metadata: Vec<markdown::BoldField>,
    /// The streams it depends on, each where it is named (`**Depends on**`, pre-conditions,
    /// `(after WS-1)` in the parallel group, front matter `depends_on`).
    pub depends_on: Vec<(WorkstreamId, Range<usize>)>,
    /// The phase named by `**Parallel Group**` ("Phase 2").
    pub parallel_group: Option<Located>,
    /// The `### Objective` (first paragraph).
    pub objective: Option<Located>,
    /// `### Acceptance Criteria` checklist items.
    pub acceptance_criteria: Vec<markdown::ChecklistItem>,
    /// The `### Validation Gate` subsection (or the front matter `gate`s).
    pub validation_gate: Option<GateSection>,
    /// The `### Handoff Signal` subsection (or front matter `signal`).
    pub handoff_signal: Option<SignalSection>,
}

/// A validation gate written in a section: every line it says (commands in code blocks,
/// checklist items, table rows, prose), to be matched against gate names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateSection {
    /// The heading line (or key line).
    pub heading: Range<usize>,
    /// Each non-empty line of the section body, with its range.
    pub lines: Vec<(String, Range<usize>)>,
}

/// A handoff-signal section and the signal file it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalSection {
    /// The heading line (or key line).
    pub heading: Range<usize>,
    /// The signal path it names (`.claude/handoff/….signal`), with its range.
    pub path: Option<Located>,
}

/// An execution phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    /// Its name ("Phase 2: Service Layer", "2").
    pub name: String,
    /// Its position in the schedule (the phase number when it has one).
    pub order: u32,
    /// Where it is defined (table row, YAML line, heading).
    pub range: Range<usize>,
    /// The streams it schedules, each where it is named.
    pub streams: Vec<(WorkstreamId, Range<usize>)>,
    /// Gates it names (front matter `gates`).
    pub gates: Vec<String>,
    /// Where it was read from.
    pub source: Source,
}

/// A named gate (front matter `gates` entry or a `## Validation Gates` section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// Its name (`type-check`, or "Validation Gates").
    pub name: String,
    /// Its command, when it names one.
    pub command: Option<String>,
    /// Where it is defined.
    pub range: Range<usize>,
    /// The lines it says (for a section), as for [`GateSection`].
    pub lines: Vec<(String, Range<usize>)>,
}

/// A PoC or high-risk assumption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Poc {
    /// Its heading text (or the risky assumption's text).
    pub title: String,
    /// The heading line (or the first field's line).
    pub range: Range<usize>,
    /// `**Risky Assumption**`.
    pub risky_assumption: Option<Located>,
    /// `**Evidence Required**`.
    pub evidence_required: Option<Located>,
    /// `**Success Criteria**`.
    pub success_criteria: Option<Located>,
    /// `**Failure Scenario**`.
    pub failure_scenario: Option<Located>,
}

impl Phase {
    /// The name to show: "Phase 2" for a bare number, else the name as written.
    pub fn display_name(&self) -> String {
        if !self.name.is_empty() && self.name.chars().all(|c| c.is_ascii_digit()) {
            format!("Phase {}", self.name)
        } else {
            self.name.clone()
        }
    }
}

impl Plan {
    /// Reads the plan from every Markdown document of the workspace (agent definitions under
    /// `.claude/agents/` are not plan documents).
    pub fn build(docs: &[&Document], config: &Config) -> Plan {
        let _ = config;
        let mut documents: Vec<PlanDocument> =
            docs.iter().filter(|d| is_plan_document(d)).map(|d| document::read(d)).collect();
        documents.sort_by(|a, b| a.path.cmp(&b.path));
        Plan { documents }
    }

    /// The plan document at `path`.
    pub fn document(&self, path: &str) -> Option<&PlanDocument> {
        self.documents.iter().find(|d| d.path == path)
    }

    /// Every work stream definition with its document, in path order.
    pub fn workstreams(&self) -> impl Iterator<Item = (&PlanDocument, &Workstream)> {
        self.documents.iter().flat_map(|d| d.workstreams.iter().map(move |w| (d, w)))
    }

    /// The first definition of work stream `id` (a Markdown section before a front matter key).
    pub fn workstream(&self, id: &WorkstreamId) -> Option<(&PlanDocument, &Workstream)> {
        let mut found = self.workstreams().filter(|(_, w)| &w.id == id);
        let first = found.next()?;
        if first.1.source == Source::Markdown {
            return Some(first);
        }
        Some(found.find(|(_, w)| w.source == Source::Markdown).unwrap_or(first))
    }

    /// True when some document defines work stream `id`.
    pub fn defines(&self, id: &WorkstreamId) -> bool {
        self.workstreams().any(|(_, w)| &w.id == id)
    }

    /// The work streams `id` depends on, from every workflow document and execution spec
    /// (normalised, without duplicates; empty for an unknown stream). Used by
    /// `handoff/missing-dependency`.
    pub fn dependencies_of(&self, id: &WorkstreamId) -> Vec<WorkstreamId> {
        let mut deps: Vec<WorkstreamId> = Vec::new();
        for (_, w) in self.workstreams().filter(|(_, w)| &w.id == id) {
            for (dep, _) in &w.depends_on {
                if dep != id && !deps.contains(dep) {
                    deps.push(dep.clone());
                }
            }
        }
        deps
    }

    /// Where work stream `id` is defined: the document path and the byte range of its heading.
    pub fn workstream_location(&self, id: &WorkstreamId) -> Option<(&str, Range<usize>)> {
        self.workstream(id).map(|(d, w)| (d.path.as_str(), w.heading.clone()))
    }
}

/// True for Markdown documents that are specs or workflow documents.
pub fn is_plan_document(doc: &Document) -> bool {
    doc.kind == FileKind::Markdown
        && !doc.path.starts_with(".claude/agents/")
        && !doc.path.contains("/.claude/agents/")
        && !crate::handoff::markdown::is_markdown_handoff(&doc.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(files: &[(&str, &str)]) -> Plan {
        let docs: Vec<Document> =
            files.iter().map(|(p, t)| Document::parse(*p, FileKind::from_path(p).unwrap(), *t)).collect();
        let refs: Vec<&Document> = docs.iter().collect();
        Plan::build(&refs, &Config::default())
    }

    #[test]
    fn dependencies_and_locations_across_documents() {
        let p = plan(&[
            ("docs/a.md", "# A\n\n## WS-1: Db\n\n## WS-2: Api\n**Depends on**: WS-1\n"),
            ("docs/b.md", "---\nworkstreams:\n  WS2:\n    depends_on: [WS3]\n  WS3:\n    name: x\n---\n"),
            (".claude/agents/x.md", "## WS-9: not a plan\n"),
        ]);
        let ws2 = WorkstreamId::parse("ws2").unwrap();
        let deps: Vec<String> = p.dependencies_of(&ws2).iter().map(|d| d.to_string()).collect();
        assert_eq!(deps, ["WS-1", "WS-3"]);
        let (path, range) = p.workstream_location(&ws2).unwrap();
        assert_eq!(path, "docs/a.md");
        assert!(range.start > 0);
        assert!(p.workstream_location(&WorkstreamId::parse("WS-9").unwrap()).is_none());
        assert!(p.dependencies_of(&WorkstreamId::parse("WS-7").unwrap()).is_empty());
        let ws3 = WorkstreamId::parse("WS-3").unwrap();
        assert_eq!(p.workstream_location(&ws3).map(|l| l.0), Some("docs/b.md"));
    }
}
