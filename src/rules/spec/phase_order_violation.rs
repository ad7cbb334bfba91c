//! `spec/phase-order-violation`: a phase schedules a work stream no later than a stream it
//! depends on (the same phase runs in parallel; an earlier one runs first). Streams, their
//! dependencies and phases are those of one plan: `WS-1` in another document is another stream.

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
        // A "Deferred" phase is not executed under this plan: it orders nothing.
        let phases: Vec<&Phase> = doc.phases.iter().filter(|p| !is_deferred(p)).collect();
        // Phase entries name streams as written (`WS1` for `WS1_MIGRATION`): resolve them.
        let canonical = |id: &WorkstreamId| doc.resolve(id).map_or_else(|| id.clone(), |w| w.id.clone());
        let mut first_phase: HashMap<WorkstreamId, &Phase> = HashMap::new();
        for &phase in &phases {
            for (id, _) in &phase.streams {
                first_phase
                    .entry(canonical(id))
                    .and_modify(|p| {
                        if phase.order < p.order {
                            *p = phase;
                        }
                    })
                    .or_insert(phase);
            }
        }
        let mut reported = Vec::new();
        for &phase in &phases {
            for (written, range) in &phase.streams {
                let id = canonical(written);
                if !std::ptr::eq(first_phase[&id], phase) || reported.contains(&id) {
                    continue;
                }
                reported.push(id.clone());
                for dep in doc.dependencies_of(&id) {
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

/// A phase whose name says it is deferred or not executed ("Deferred — Child Spec Ownership").
fn is_deferred(phase: &Phase) -> bool {
    let name = phase.name.to_ascii_lowercase();
    name.starts_with("deferred") || name.contains("not executed") || name.contains("not-executed")
}
