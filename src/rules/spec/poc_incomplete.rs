//! `spec/poc-incomplete`: a PoC or high-risk assumption without evidence required, success
//! criteria or a failure scenario.

use super::at;
use crate::engine::{Finding, PlanRuleContext};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/poc-incomplete";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Markdown],
        summary: "High-risk assumption or PoC without evidence required, success criteria and failure scenario",
        doc: include_str!("../../../docs/rules/spec/poc-incomplete.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in &ctx.plan.documents {
        for poc in &doc.pocs {
            let missing: Vec<&str> = [
                (poc.risky_assumption.is_none(), "**Risky Assumption**"),
                (poc.evidence_required.is_none(), "**Evidence Required**"),
                (poc.success_criteria.is_none(), "**Success Criteria**"),
                (poc.failure_scenario.is_none(), "**Failure Scenario**"),
            ]
            .into_iter()
            .filter(|(missing, _)| *missing)
            .map(|(_, label)| label)
            .collect();
            if missing.is_empty() {
                continue;
            }
            let message = format!(
                "PoC \"{}\" lacks {}: without them nobody can tell whether the assumption held or what happens if it does not",
                poc.title,
                missing.join(", ")
            );
            out.push(at(RULE_ID, &doc.path, poc.range.clone(), message));
        }
    }
}
