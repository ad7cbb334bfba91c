//! `spec/phase-order-violation`: a phase schedules a work stream no later than a stream it
//! depends on (the same phase runs in parallel; an earlier one runs first).

use std::collections::HashMap;

use super::at;
use crate::engine::{Finding, PlanRuleContext};
use crate::plan::{Phase, WorkstreamId};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/phase-order-violation";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Markdown],
        summary: "Phase that schedules a work stream no later than a stream it depends on",
        doc: include_str!("../../../docs/rules/spec/phase-order-violation.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in ctx.plan.documents.iter().filter(|d| !d.phases.is_empty()) {
        let mut first_phase: HashMap<&WorkstreamId, &Phase> = HashMap::new();
        for phase in &doc.phases {
            for (id, _) in &phase.streams {
                first_phase
                    .entry(id)
                    .and_modify(|p| {
                        if phase.order < p.order {
                            *p = phase;
                        }
                    })
                    .or_insert(phase);
            }
        }
        let mut reported = Vec::new();
        for phase in &doc.phases {
            for (id, range) in &phase.streams {
                if !std::ptr::eq(first_phase[id], phase) || reported.contains(&id) {
                    continue;
                }
                reported.push(id);
                for dep in ctx.plan.dependencies_of(id) {
                    let Some(dep_phase) = first_phase.get(&dep) else { continue };
                    if dep_phase.order < phase.order {
                        continue;
                    }
                    let when = if dep_phase.order == phase.order {
                        format!("in the same phase, so they run in parallel and {id} starts before {dep} is done")
                    } else {
                        format!("in a later phase ({})", dep_phase.display_name())
                    };
                    let message = format!(
                        "{id} is scheduled in {} but depends on {dep}, which runs {when}",
                        phase.display_name()
                    );
                    out.push(at(RULE_ID, &doc.path, range.clone(), message));
                }
            }
        }
    }
}
