//! `spec/unknown-dependency`: a work stream depends on a stream its plan does not define (nor a
//! plan it names: cross-plan references are written by naming the other plan).

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
        summary: "Work stream that depends on a work stream its plan does not define",
        doc: include_str!("../../../docs/rules/spec/unknown-dependency.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in &ctx.plan.documents {
        for stream in &doc.workstreams {
            for (dep, range) in &stream.depends_on {
                let named = || {
                    ctx.plan
                        .documents
                        .iter()
                        .any(|d| doc.names_plans.iter().any(|n| crate::plan::stem(&d.path) == n) && d.defines(dep))
                };
                if doc.defines(dep) || named() {
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
