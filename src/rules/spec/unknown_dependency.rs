//! `spec/unknown-dependency`: a work stream depends on a stream its plan does not define (nor a
//! plan it names: cross-plan references are written by naming the other plan), or an execution
//! phase schedules such a stream.

use super::at;
use crate::engine::{Finding, PlanRuleContext};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/unknown-dependency";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Markdown],
        summary: "Work stream or phase that names a work stream its plan does not define",
        doc: include_str!("../../../docs/rules/spec/unknown-dependency.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in &ctx.plan.documents {
        // A stream of this plan, or of a plan it names.
        let known = |id: &crate::plan::WorkstreamId| {
            doc.defines(id)
                || ctx
                    .plan
                    .documents
                    .iter()
                    .any(|d| doc.names_plans.iter().any(|n| crate::plan::stem(&d.path) == n) && d.defines(id))
        };
        // A phase naming a stream the plan does not define: only where the plan's streams were
        // read (a plan with no streams, or whose stream definitions are invalid YAML, is left alone).
        if !doc.workstreams.is_empty() && !doc.stream_definitions_unread() {
            for phase in &doc.phases {
                for (id, range) in phase.streams.iter().filter(|(id, _)| !known(id)) {
                    let message = format!(
                        "{} schedules {id}, which this plan does not define (nor a plan it names): no agent can run it",
                        phase.display_name()
                    );
                    out.push(at(RULE_ID, &doc.path, range.clone(), message));
                }
            }
        }
        for stream in &doc.workstreams {
            for (dep, range) in &stream.depends_on {
                if known(dep) {
                    continue;
                }
                let message = format!(
                    "{} depends on {dep}, which this plan does not define (nor a plan it names): its agent would wait forever",
                    stream.id
                );
                out.push(at(RULE_ID, &doc.path, range.clone(), message));
            }
        }
    }
}
