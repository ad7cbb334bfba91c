//! `workflow/` — work items checked against the stage model of `[workflow]` and the evidence the
//! workspace layer loaded (`.baton/evidence/`, see `docs/stages.md`).

pub mod requirement_unmet;

use crate::rules::Rule;

/// The workflow rules.
pub fn pack() -> Vec<Rule> {
    vec![requirement_unmet::rule()]
}
