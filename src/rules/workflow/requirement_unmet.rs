//! `workflow/requirement-unmet`: a work item whose status names a stage whose requirements
//! (`gate:<name>`, `approval:<role>`) lack passing, current evidence. Reported on the status
//! line, naming each missing, failing, stale or unconfigured requirement. After a refused
//! advance (`.baton/advance/<item>.json`), also what the stage it tried to enter still lacks.

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
    for doc in ctx.plan.documents.iter().filter(|d| d.is_work_item()) {
        let Some(status) = &doc.status else { continue };
        let current = model.stage_of(&status.text);
        let mut unmet =
            current.map(|s| stage::unmet_standing(&model, ctx.config, doc, s, ctx.evidence)).unwrap_or_default();
        let refused = stage::refused_target(&model, ctx.config, doc, ctx.evidence);
        if let Some((_, lacking)) = &refused {
            // Said once, for the stage the user tried to enter.
            unmet.retain(|u| !lacking.iter().any(|l| l.requirement == u.requirement));
        }
        // One finding per status line (the engine keeps one per rule and range).
        let mut parts = Vec::new();
        if let (Some(stage), false) = (current, unmet.is_empty()) {
            parts.push(stage::advance::describe_unmet(stage, &unmet));
        }
        if let Some((to, lacking)) = refused {
            parts.push(stage::advance::describe_unmet(to, &lacking));
        }
        if !parts.is_empty() {
            out.push((doc.path.clone(), Finding::new(RULE_ID, status.line.clone(), parts.join(" — "))));
        }
    }
}
