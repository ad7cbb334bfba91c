//! `workflow/` — work items checked against the stage model of `[workflow]` and the evidence the
//! workspace layer loaded (`.baton/evidence/`, see `docs/stages.md`), and the orchestration
//! guardrails over the records Baton keeps (`.baton/gate-runs/`, `.baton/escalations/`,
//! `.baton/usage/`, see `docs/agents.md`).

pub mod budget;
pub mod escalation_loop;
pub mod requirement_unmet;
pub mod retry_limit;

use crate::plan::PlanDocument;
use crate::rules::Rule;

/// The workflow rules.
pub fn pack() -> Vec<Rule> {
    vec![requirement_unmet::rule(), retry_limit::rule(), escalation_loop::rule(), budget::rule()]
}

/// Where a finding about a work item goes: its status line, else its title, else the start.
pub(crate) fn item_range(doc: &PlanDocument) -> std::ops::Range<usize> {
    doc.status.as_ref().map(|s| s.line.clone()).or_else(|| doc.title.as_ref().map(|t| t.line.clone())).unwrap_or(0..0)
}
