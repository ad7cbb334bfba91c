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
    /// One entry per workflow plan or work-item spec (see [`PlanKind`]), by path. Other Markdown
    /// documents (PRDs, ADRs, audits, archives) are not here: they get code-sample checks only.
    pub documents: Vec<PlanDocument>,
}

/// What a Markdown document is to the plan (`docs/specs-and-workflows.md`, "What a plan is").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanKind {
    /// A workflow plan or execution spec: work streams with executors, gates, signals or phases.
    Workflow,
    /// A work-item spec: an id and a status, no work streams of its own.
    WorkItem,
    /// Anything else (PRD, ADR, audit, analysis, archive, notes): not part of the plan.
    Other,
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
    /// Workflow plan or work item (documents of kind [`PlanKind::Other`] are not in the plan).
    pub kind: PlanKind,
    /// The front matter that could not be read because it is longer than
    /// [`markdown::MAX_FRONT_MATTER_LINES`]: the opening `---` line.
    pub front_matter_too_long: Option<Range<usize>>,
    /// File stems of other plans this document names (for cross-plan references).
    pub names_plans: Vec<String>,
    /// The front matter `type` (also `doc_type`, `document_type`, `kind`), when given.
    pub doc_type: Option<String>,
    /// True when the front matter gives an id (`id`, `spec_ref`, `spec`, `spec_id`, `prd`, `prd_id`).
    pub has_front_matter_id: bool,
    /// Top-level front-matter keys not read because the YAML has an error before or at them
    /// (`meta/invalid-front-matter` reports it).
    pub front_matter_unread: Vec<String>,
    /// The lowest test-coverage target the plan states ("Coverage ≥ 80%", "coverage target:
    /// 90%+", "minimum 85% coverage"), in percent, with the range of the figure.
    pub coverage_target: Option<(f64, Range<usize>)>,
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
    /// How many entries its stream lists hold as written, ids or not (front matter phases only;
    /// 0 for Markdown phases, which are read from the streams they hold).
    pub listed: usize,
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
    /// Reads the plan from the Markdown documents of the workspace: each is read, classified
    /// ([`classify`], overridable by `[plan] include` / `exclude`), and kept when it is a workflow
    /// plan or a work item.
    pub fn build(docs: &[&Document], config: &Config) -> Plan {
        let filter = config.plan.filter();
        let mut documents: Vec<PlanDocument> = docs
            .iter()
            .filter(|d| is_plan_document(d))
            .filter_map(|d| {
                let mut read = document::read(d);
                read.kind = classify(&read, config, &filter);
                (read.kind != PlanKind::Other).then_some(read)
            })
            .collect();
        documents.sort_by(|a, b| a.path.cmp(&b.path));
        // Cross-plan references: the other plans whose file stem (or id) this one names.
        let keys: Vec<(String, String)> = documents.iter().map(|d| (stem(&d.path).to_string(), d.id.clone())).collect();
        let texts: std::collections::HashMap<&str, &str> = docs.iter().map(|d| (d.path.as_str(), &*d.text)).collect();
        for doc in &mut documents {
            if doc.kind != PlanKind::Workflow {
                continue;
            }
            let Some(text) = texts.get(doc.path.as_str()) else { continue };
            let own = stem(&doc.path).to_string();
            doc.names_plans = keys
                .iter()
                .filter(|(s, _)| *s != own && s.len() >= 6 && text.contains(s.as_str()))
                .map(|(s, _)| s.clone())
                .collect();
        }
        Plan { documents }
    }

    /// The plan document at `path`.
    pub fn document(&self, path: &str) -> Option<&PlanDocument> {
        self.documents.iter().find(|d| d.path == path)
    }

    /// The work streams of the plan at `path` (empty when it is no plan).
    pub fn streams_of(&self, path: &str) -> &[Workstream] {
        self.document(path).map_or(&[], |d| d.workstreams.as_slice())
    }

    /// Every work stream definition with its document, in path order.
    pub fn workstreams(&self) -> impl Iterator<Item = (&PlanDocument, &Workstream)> {
        self.documents.iter().flat_map(|d| d.workstreams.iter().map(move |w| (d, w)))
    }

    /// The plans that define work stream `id`.
    pub fn plans_defining<'a>(&'a self, id: &'a WorkstreamId) -> impl Iterator<Item = &'a PlanDocument> + 'a {
        self.documents.iter().filter(move |d| d.resolve(id).is_some())
    }

    /// The one plan that defines `id`, when exactly one does (ids repeat across plans: `WS1`
    /// is defined by every execution spec).
    pub fn only_plan_defining<'a>(&'a self, id: &'a WorkstreamId) -> Option<&'a PlanDocument> {
        let mut found = self.plans_defining(id);
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The plan a signal belongs to: the plan that names the signal's path as a stream's signal,
    /// else the one plan that defines `id`. `None` when that is ambiguous.
    pub fn plan_of_signal<'a>(&'a self, signal_path: &str, id: &'a WorkstreamId) -> Option<&'a PlanDocument> {
        let named = self.documents.iter().find(|d| {
            d.workstreams.iter().any(|w| {
                w.handoff_signal
                    .as_ref()
                    .and_then(|s| s.path.as_ref())
                    .is_some_and(|p| p.text.trim_start_matches("./") == signal_path)
            })
        });
        named.or_else(|| self.only_plan_defining(id))
    }

    /// The work streams `id` depends on in the plan the signal at `signal_path` belongs to
    /// ([`Plan::plan_of_signal`]); empty when no single plan owns it. Used by
    /// `handoff/missing-dependency`.
    pub fn signal_dependencies(&self, signal_path: &str, id: &WorkstreamId) -> Vec<WorkstreamId> {
        self.plan_of_signal(signal_path, id).map(|d| d.dependencies_of(id)).unwrap_or_default()
    }

    /// The definition of `id` as seen from the plan at `from`: that plan's own stream, else a
    /// stream of a plan it names, else (when `from` is no plan or names none that defines it) the
    /// stream of the one plan that defines it.
    pub fn resolve_from<'a>(&'a self, from: &str, id: &'a WorkstreamId) -> Option<(&'a PlanDocument, &'a Workstream)> {
        if let Some(doc) = self.document(from) {
            if let Some(w) = doc.resolve(id) {
                return Some((doc, w));
            }
            for name in &doc.names_plans {
                if let Some(other) = self.documents.iter().find(|d| stem(&d.path) == name) {
                    if let Some(w) = other.resolve(id) {
                        return Some((other, w));
                    }
                }
            }
        }
        self.only_plan_defining(id).and_then(|d| d.resolve(id).map(|w| (d, w)))
    }
}

impl Plan {
    /// Where work stream `id`, named in the document at `from` (a plan or a signal), is defined:
    /// the document path and the byte range of its heading. Resolved within `from`'s plan
    /// ([`Plan::resolve_from`]), or for a signal within its plan ([`Plan::plan_of_signal`]).
    pub fn workstream_location<'a>(&'a self, from: &str, id: &'a WorkstreamId) -> Option<(&'a str, Range<usize>)> {
        let found = if self.document(from).is_some() {
            self.resolve_from(from, id)
        } else {
            self.plan_of_signal(from, id).and_then(|d| d.resolve(id).map(|w| (d, w)))
        };
        found.map(|(d, w)| (d.path.as_str(), w.heading.clone()))
    }
}

impl PlanDocument {
    /// True when the front matter declares work streams, gates or phases that could not be read
    /// (invalid YAML): the rules that judge a plan's streams and gates leave it alone rather than
    /// judge the Markdown sections without their definitions.
    pub fn stream_definitions_unread(&self) -> bool {
        self.front_matter_unread
            .iter()
            .any(|k| matches!(k.as_str(), "workstreams" | "gates" | "execution_phases" | "validation_gates" | "phases"))
    }

    /// The stream `id` names in this plan: the same id (a Markdown section before a front
    /// matter key), else the one stream that answers to it (`WS1` for `WS1_MIGRATION`).
    pub fn resolve(&self, id: &WorkstreamId) -> Option<&Workstream> {
        let mut exact = self.workstreams.iter().filter(|w| &w.id == id);
        if let Some(first) = exact.next() {
            if first.source == Source::Markdown {
                return Some(first);
            }
            return Some(exact.find(|w| w.source == Source::Markdown).unwrap_or(first));
        }
        let mut answering = self.workstreams.iter().filter(|w| w.id.answers_to(id));
        let first = answering.next()?;
        answering.all(|w| w.id == first.id).then_some(first)
    }

    /// True when this plan defines `id`.
    pub fn defines(&self, id: &WorkstreamId) -> bool {
        self.resolve(id).is_some()
    }

    /// The work streams `id` depends on in this plan (each resolved to this plan's own id when
    /// it names one of its streams), without duplicates.
    pub fn dependencies_of(&self, id: &WorkstreamId) -> Vec<WorkstreamId> {
        let Some(stream) = self.resolve(id) else { return Vec::new() };
        let mut deps: Vec<WorkstreamId> = Vec::new();
        for w in self.workstreams.iter().filter(|w| w.id == stream.id) {
            for (dep, _) in &w.depends_on {
                let dep = self.resolve(dep).map_or_else(|| dep.clone(), |d| d.id.clone());
                if dep != stream.id && !deps.contains(&dep) {
                    deps.push(dep);
                }
            }
        }
        deps
    }

    /// True when this document is a work item: a plan with a status (what the stage model and
    /// `[workflow.labels]` apply to).
    pub fn is_work_item(&self) -> bool {
        self.kind != PlanKind::Other && self.status.is_some()
    }
}

/// The file name without `.md`.
pub fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".md").unwrap_or(name)
}

/// True for Markdown documents that may be specs or workflow documents (agent definitions
/// under `.claude/agents/` never are).
pub fn is_plan_document(doc: &Document) -> bool {
    doc.kind == FileKind::Markdown
        && !doc.path.starts_with(".claude/agents/")
        && !doc.path.contains("/.claude/agents/")
        && !crate::handoff::markdown::is_markdown_handoff(&doc.path)
}

/// Folder names whose documents are history, not plans.
const ARCHIVE_DIRS: &[&str] =
    &["archive", "_archive", ".archive", "archived", "_archived", "deprecated", "_deprecated", "old", "_old", "attic"];

/// Words in a file name (or a front matter `type`) that say a document is something other than a
/// plan: product requirements, decision records, audits, analyses, reports, notes.
const OTHER_WORDS: &[&str] = &[
    "prd",
    "adr",
    "rfc",
    "audit",
    "audits",
    "analysis",
    "report",
    "reports",
    "retrospective",
    "retro",
    "postmortem",
    "precis",
    "findings",
    "investigation",
    "review",
    "brief",
    "notes",
    "template",
    "changelog",
    "readme",
    "guide",
    "vision",
    "research",
    "proposal",
    "decision",
    "decisions",
    "summary",
    "signoff",
    "handoff",
    "fib",
    "gap",
];

/// Words in a file name (or a front matter `type`) that say a document is a workflow plan.
const WORKFLOW_WORDS: &[&str] =
    &["workflow", "exec", "execution", "plan", "impl", "implementation", "workstreams", "workstream", "spec"];

/// Classifies a read document (`filter`: the compiled `[plan]` globs, matched like the top-level
/// `include` / `exclude`). In order: `[plan] exclude` globs make it [`PlanKind::Other`];
/// `[plan] include` globs (when set) make everything they do not match `Other` and skip the
/// name checks below; a document in an archive folder, or whose front matter `type` / file name
/// says PRD, ADR, RFC, audit, analysis, report, notes… is `Other` (unless its name starts with
/// workflow / exec / execution / plan / spec, or ends with spec: `PRD-002-pause-tracking-spec`); a document with work streams and workflow structure (an
/// execution-spec `workstreams` map, a stream with an executor, gate, signal or dependencies, or
/// phases that schedule its streams) is a [`PlanKind::Workflow`]; one with a status (and no
/// streams) is a [`PlanKind::WorkItem`] when its front matter gives an id or its name says spec;
/// the rest is `Other`.
pub fn classify(doc: &PlanDocument, config: &Config, filter: &crate::path_filter::PathFilter) -> PlanKind {
    let path = doc.path.as_str();
    if !filter.admits(path) {
        return PlanKind::Other;
    }
    let included = !config.plan.include.is_empty();
    if !included {
        let dirs = path.split('/').rev().skip(1);
        if dirs.into_iter().any(|d| ARCHIVE_DIRS.contains(&d.to_ascii_lowercase().as_str())) {
            return PlanKind::Other;
        }
        let words: Vec<String> = doc
            .doc_type
            .as_deref()
            .unwrap_or_else(|| stem(path))
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        // `*-spec.md` is a spec by name (contract §5), whatever word comes first (`PRD-002-…-spec`).
        let workflow_named = words.first().is_some_and(|w| WORKFLOW_WORDS.contains(&w.as_str()))
            || (doc.doc_type.is_none() && words.last().is_some_and(|w| w == "spec"));
        if !workflow_named && words.iter().any(|w| OTHER_WORDS.contains(&w.as_str())) {
            return PlanKind::Other;
        }
    }
    if !doc.workstreams.is_empty() && has_workflow_structure(doc) {
        return PlanKind::Workflow;
    }
    // A document that states risky assumptions (PoCs) is a spec to check, whatever its status.
    if !doc.pocs.is_empty() && doc.workstreams.is_empty() {
        return PlanKind::WorkItem;
    }
    if doc.status.is_some() && doc.workstreams.is_empty() {
        let spec_name = {
            let s = stem(path).to_ascii_lowercase();
            s.starts_with("spec") || s.ends_with("spec") || path.split('/').any(|d| d == "specs")
        };
        if included || doc.has_front_matter_id || spec_name {
            return PlanKind::WorkItem;
        }
    }
    if included && !doc.workstreams.is_empty() {
        return PlanKind::Workflow;
    }
    PlanKind::Other
}

/// True when a document's streams look like an executable plan, not a list of topics.
fn has_workflow_structure(doc: &PlanDocument) -> bool {
    doc.workstreams.iter().any(|w| {
        w.source == Source::FrontMatter
            || w.validation_gate.is_some()
            || w.handoff_signal.is_some()
            || !w.depends_on.is_empty()
            || w.parallel_group.is_some()
            || w.metadata.iter().any(|f| {
                matches!(
                    f.key.as_str(),
                    "agent type" | "agent" | "executor" | "owner" | "assignee" | "assigned to" | "subagent" | "skill"
                )
            })
    }) || doc.phases.iter().any(|p| !p.streams.is_empty())
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
    fn streams_resolve_within_their_plan() {
        let p = plan(&[
            ("docs/WORKFLOW-a.md", "# A\n\n## WS-1: Db\n**Agent Type**: db\n\n## WS-2: Api\n**Depends on**: WS-1\n"),
            ("docs/WORKFLOW-b.md", "---\nworkstreams:\n  WS2:\n    depends_on: [WS3]\n  WS3:\n    name: x\n---\n"),
            (".claude/agents/x.md", "## WS-9: not a plan\n**Agent Type**: a\n"),
        ]);
        let ws2 = WorkstreamId::parse("ws2").unwrap();
        let a = p.document("docs/WORKFLOW-a.md").unwrap();
        let b = p.document("docs/WORKFLOW-b.md").unwrap();
        let deps = |d: &PlanDocument| d.dependencies_of(&ws2).iter().map(|d| d.to_string()).collect::<Vec<_>>();
        assert_eq!(deps(a), ["WS-1"], "not merged with the other plan's WS-2");
        assert_eq!(deps(b), ["WS-3"]);
        assert_eq!(p.streams_of("docs/WORKFLOW-a.md").len(), 2);
        // From a plan, its own definition; from a signal, only an unambiguous one.
        let (path, range) = p.workstream_location("docs/WORKFLOW-b.md", &ws2).unwrap();
        assert_eq!(path, "docs/WORKFLOW-b.md");
        assert!(range.start > 0);
        assert!(p.workstream_location(".claude/handoff/ws2.signal", &ws2).is_none(), "two plans define WS-2");
        let ws3 = WorkstreamId::parse("WS-3").unwrap();
        assert_eq!(p.workstream_location(".claude/handoff/ws3.signal", &ws3).map(|l| l.0), Some("docs/WORKFLOW-b.md"));
        assert!(p.workstream_location("docs/WORKFLOW-a.md", &WorkstreamId::parse("WS-9").unwrap()).is_none());
        assert!(p.signal_dependencies(".claude/handoff/x.signal", &ws2).is_empty());
    }

    #[test]
    fn what_a_plan_is() {
        let stream = "## WS-1: Db\n**Agent Type**: db\n### Validation Gate\n`npm test`\n";
        let p = plan(&[
            ("docs/WORKFLOW-a.md", stream),
            ("docs/10-prd/PRD-001-thing.md", stream),
            ("docs/80-adrs/ADR-003-choice.md", stream),
            ("docs/specs/_archive/WORKFLOW-old.md", stream),
            ("docs/EXEC-043-AUDIT-findings.md", stream),
            ("docs/notes/topics.md", "## WS1 Database\nSome thoughts.\n"),
            ("docs/specs/auth-spec.md", "# Auth\n**Status**: Draft\n"),
            ("docs/80-adrs/ADR-004.md", "# ADR\n**Status**: Accepted\n"),
            ("docs/guide.md", "---\ntype: prd\nstatus: Approved\n---\n"),
        ]);
        let kinds: Vec<(&str, PlanKind)> = p.documents.iter().map(|d| (d.path.as_str(), d.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("docs/EXEC-043-AUDIT-findings.md", PlanKind::Workflow),
                ("docs/WORKFLOW-a.md", PlanKind::Workflow),
                ("docs/specs/auth-spec.md", PlanKind::WorkItem)
            ]
        );
        // `[plan]` globs override the name checks.
        let docs: Vec<Document> = [("docs/10-prd/PRD-001-thing.md", stream), ("docs/WORKFLOW-a.md", stream)]
            .iter()
            .map(|(p, t)| Document::parse(*p, FileKind::Markdown, *t))
            .collect();
        let refs: Vec<&Document> = docs.iter().collect();
        let config = Config::parse("[plan]\ninclude = [\"docs/10-prd\"]\n", None).unwrap();
        let p = Plan::build(&refs, &config);
        assert_eq!(p.documents.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), ["docs/10-prd/PRD-001-thing.md"]);
        let config = Config::parse("[plan]\nexclude = [\"WORKFLOW-*.md\"]\n", None).unwrap();
        assert!(Plan::build(&refs, &config).documents.is_empty());
    }
}
