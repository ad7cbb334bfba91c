//! `workflow/requirement-unmet`: a work item whose status names a stage whose requirements
//! (`gate:<name>`, `approval:<role>`) lack passing, current evidence. Reported on the status
//! line, naming each missing, failing, stale or unconfigured requirement.

use crate::engine::{Finding, PlanRuleContext};
use crate::rules::{Matcher, Rule, Severity};
use crate::stage::{self, StageModel};
use crate::syntax::FileKind;

const RULE_ID: &str = "workflow/requirement-unmet";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Markdown],
        summary: "Work item in a stage whose requirements (gates, approvals) lack passing, current evidence",
        doc: include_str!("../../../docs/rules/workflow/requirement-unmet.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let model = StageModel::from_config(ctx.config);
    for doc in &ctx.plan.documents {
        let Some(status) = &doc.status else { continue };
        let Some(stage) = model.stage_of(&status.text) else { continue };
        let unmet = stage::unmet(&model, ctx.config, doc, stage, ctx.evidence);
        if unmet.is_empty() {
            continue;
        }
        let message = stage::advance::describe_unmet(stage, &unmet);
        out.push((doc.path.clone(), Finding::new(RULE_ID, status.line.clone(), message)));
    }
}
