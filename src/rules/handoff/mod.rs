//! `handoff/` — signals, context snapshots and agent definitions checked together: schema,
//! chain, named files, dependencies and quality gates. Each rule is a [`crate::rules::Matcher::Plan`]
//! check over [`crate::handoff::Handoffs`].

pub mod broken_chain;
mod coverage;
pub mod gates_not_passed;
pub mod invalid;
pub mod missing_dependency;
pub mod missing_file;
pub mod premature_complete;
pub mod qualified_gate;

use crate::rules::Rule;

/// The handoff rules.
pub fn pack() -> Vec<Rule> {
    vec![
        broken_chain::rule(),
        gates_not_passed::rule(),
        invalid::rule(),
        missing_dependency::rule(),
        missing_file::rule(),
        premature_complete::rule(),
        qualified_gate::rule(),
    ]
}
