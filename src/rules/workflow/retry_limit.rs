//! `workflow/retry-limit`: a gate that failed `[limits] max_verification_retries` times in a row
//! on a work item (`.baton/gate-runs/<item>.json`, kept by every gate run for an item) with no
//! escalation recorded since. `baton stage advance`, `baton gate run --item`, the MCP tools and
//! the stop hook refuse to run that gate again until one is (`baton escalate`).

use crate::engine::{Finding, PlanRuleContext};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "workflow/retry-limit";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Markdown],
        summary: "A gate failed too often in a row on a work item: escalate before running it again",
        doc: include_str!("../../../docs/rules/workflow/retry-limit.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let limit = ctx.config.limits.max_verification_retries;
    for doc in ctx.plan.documents.iter().filter(|d| d.is_work_item()) {
        let exhausted = ctx.evidence.guard.exhausted_gates(&doc.id, limit);
        if exhausted.is_empty() {
            continue;
        }
        let gates: Vec<String> =
            exhausted.iter().map(|(gate, n)| format!("gate:{gate} failed {n} times in a row")).collect();
        let message = format!(
            "{}: {} (limit {limit}, [limits] max_verification_retries): record an escalation (`baton escalate {} --question …`) before the next run",
            doc.id,
            gates.join("; "),
            doc.id
        );
        out.push((doc.path.clone(), Finding::new(RULE_ID, super::item_range(doc), message)));
    }
}
