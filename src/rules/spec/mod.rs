//! `spec/` — rules over the plan read from specs and workflow documents ([`crate::plan::Plan`]).
//!
//! Each rule is a [`crate::rules::Matcher::Plan`] check; none reads files itself. Findings are
//! reported in the Markdown document that holds the problem.

pub mod approved_without_architecture_review;
pub mod dependency_cycle;
pub mod missing_handoff_signal;
pub mod missing_validation_gate;
pub mod phase_order_violation;
pub mod poc_incomplete;
pub mod unknown_dependency;
pub mod unscheduled_workstream;

use std::ops::Range;

use crate::engine::Finding;
use crate::rules::Rule;

/// Every `spec/` rule.
pub fn pack() -> Vec<Rule> {
    vec![
        approved_without_architecture_review::rule(),
        dependency_cycle::rule(),
        missing_handoff_signal::rule(),
        missing_validation_gate::rule(),
        phase_order_violation::rule(),
        poc_incomplete::rule(),
        unknown_dependency::rule(),
        unscheduled_workstream::rule(),
    ]
}

/// A `(path, finding)` pair.
fn at(rule: &'static str, path: &str, range: Range<usize>, message: String) -> (String, Finding) {
    (path.to_string(), Finding::new(rule, range, message))
}
