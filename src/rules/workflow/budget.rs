//! `workflow/budget`: what agents cost, per work item and per day, from the usage Baton records
//! at each hook call (`.baton/usage/`, priced with `[limits.prices]`). A warning at the alert
//! thresholds (`cost_per_item_alert_usd`, `cost_per_day_alert_usd`), an error at the limits
//! (`cost_per_item_usd`, `cost_per_day_usd`), which also block dispatch and the stop hook.

use crate::engine::{Finding, PlanRuleContext};
use crate::guard::{budget_problems, BudgetLevel};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "workflow/budget";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Markdown],
        summary: "Agent cost of a work item or of the day past its alert threshold (warning) or limit (error)",
        doc: include_str!("../../../docs/rules/workflow/budget.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    if ctx.evidence.guard.usage.is_empty() {
        return;
    }
    for doc in ctx.plan.documents.iter().filter(|d| d.is_work_item()) {
        let problems = budget_problems(&ctx.evidence.guard, ctx.config, &doc.id);
        let Some((worst, _)) = problems.first() else { continue };
        let message = problems.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" — ");
        let mut finding = Finding::new(RULE_ID, super::item_range(doc), message);
        if *worst == BudgetLevel::Alert {
            // The engine keeps a severity a rule lowered below its default (config can lower it
            // further, not raise an alert to an error).
            finding.severity = Severity::Warning;
        }
        out.push((doc.path.clone(), finding));
    }
}
