//! `workflow/escalation-loop`: the same open question (normalised text,
//! `guard::normalize_question`) escalated `[limits] loop_threshold` times or more for a work
//! item — from the escalation records (`baton escalate`, the MCP tool `escalate`) and from the
//! escalation entries of the item's context snapshots (`pending_actions` and `error_log` entries
//! that say `escalat…`, each snapshot counted once per question).

use crate::engine::{Finding, PlanRuleContext};
use crate::guard::normalize_question;
use crate::handoff::json::Json;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "workflow/escalation-loop";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Markdown],
        summary: "The same question escalated again and again for a work item (an escalation loop)",
        doc: include_str!("../../../docs/rules/workflow/escalation-loop.md"),
        matcher: Matcher::Plan(check),
    }
}

/// The escalations a context snapshot carries: `pending_actions` and `error_log` entries that
/// mention an escalation, as (normalised key, text), each key once.
pub fn snapshot_escalations(ctx: &PlanRuleContext<'_>, item: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for snapshot in &ctx.handoffs.snapshots {
        if !snapshot.workflow_id.as_ref().is_some_and(|w| w.value.eq_ignore_ascii_case(item)) {
            continue;
        }
        let mut texts: Vec<String> = snapshot.pending_actions.clone();
        if let Some(json) = ctx.document(&snapshot.path).and_then(Json::from_document) {
            for entry in json.get("error_log").map(Json::elements).unwrap_or_default() {
                match entry.as_str() {
                    Some(text) => texts.push(text.to_string()),
                    None => {
                        let field = ["message", "error", "question", "description"]
                            .iter()
                            .find_map(|k| entry.get(k).and_then(Json::as_str));
                        if let Some(text) = field {
                            texts.push(text.to_string());
                        }
                    }
                }
            }
        }
        let mut seen: Vec<String> = Vec::new();
        for text in texts.into_iter().filter(|t| t.to_lowercase().contains("escalat")) {
            let key = normalize_question(&text);
            if !key.is_empty() && !seen.contains(&key) {
                seen.push(key.clone());
                out.push((key, text));
            }
        }
    }
    out
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let threshold = ctx.config.limits.loop_threshold;
    for doc in ctx.plan.documents.iter().filter(|d| d.is_work_item()) {
        let extra = snapshot_escalations(ctx, &doc.id);
        let loops = ctx.evidence.guard.loops(&doc.id, &extra, threshold);
        if loops.is_empty() {
            continue;
        }
        let parts: Vec<String> = loops.iter().map(|(q, n)| format!("“{}” escalated {n} times", shorten(q))).collect();
        let message = format!(
            "{}: escalation loop: {} (threshold {threshold}, [limits] loop_threshold); the question needs an answer in the plan, not another escalation",
            doc.id,
            parts.join("; ")
        );
        out.push((doc.path.clone(), Finding::new(RULE_ID, super::item_range(doc), message)));
    }
}

fn shorten(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 120 {
        text.chars().take(117).collect::<String>() + "…"
    } else {
        text
    }
}
