//! `handoff/premature-complete`: a build-pipeline checkpoint marked `complete` while work streams
//! are still pending or in progress, gates are pending or failed, a render-proof gate fails
//! without a recorded waiver, or the execution spec it runs is still a draft.

use crate::engine::{Finding, PlanRuleContext};
use crate::handoff::checkpoint::{Bucket, Checkpoint, RunStatus};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "handoff/premature-complete";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Json],
        summary:
            "A checkpoint marked complete while streams are open, gates pending or failing, or its spec is a draft",
        doc: include_str!("../../../docs/rules/handoff/premature-complete.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    // Streams of the plan that a complete checkpoint never tracked.
    for c in super::coverage::coverage(ctx) {
        let Some(status) = &c.checkpoint.status else { continue };
        if c.checkpoint.run_status() != Some(RunStatus::Complete) || c.missing.is_empty() {
            continue;
        }
        let ids: Vec<String> = c.missing.iter().map(|w| w.id.to_string()).collect();
        let message = format!(
            "{} is marked complete, but {} of its plan `{}` {} in none of its buckets: nothing records {} as done",
            c.checkpoint.id,
            super::coverage::list(&ids),
            c.plan.path,
            if ids.len() == 1 { "is" } else { "are" },
            if ids.len() == 1 { "it" } else { "them" }
        );
        out.push((c.checkpoint.path.clone(), Finding::new(RULE_ID, status.range.clone(), message)));
    }
    for checkpoint in &ctx.handoffs.checkpoints {
        if checkpoint.run_status() != Some(RunStatus::Complete) {
            continue;
        }
        let Some(status) = &checkpoint.status else { continue };
        let mut report = |range: std::ops::Range<usize>, message: String| {
            out.push((checkpoint.path.clone(), Finding::new(RULE_ID, range, message)));
        };
        for bucket in [Bucket::InProgress, Bucket::Pending] {
            for stream in checkpoint.bucket(bucket) {
                let message = format!(
                    "{} is marked complete while {} is still in `{}`: completion means every work stream is done (or dormant, with a reason)",
                    checkpoint.id,
                    stream.value,
                    bucket.key()
                );
                report(stream.range.clone(), message);
            }
        }
        for (key, gates) in [("gates_pending", &checkpoint.gates_pending), ("gates_failed", &checkpoint.gates_failed)] {
            for gate in gates {
                let message = format!(
                    "{} is marked complete while gate `{}` is in `{key}`: completion is bound to the gates, not to writing the checkpoint",
                    checkpoint.id, gate.value
                );
                report(gate.range.clone(), message);
            }
        }
        for (key, value) in &checkpoint.render_gates {
            if let Some(message) = render_gate_problem(checkpoint, key, &value.value) {
                report(value.range.clone(), message);
            }
        }
        if let Some(message) = draft_spec(ctx, checkpoint) {
            report(status.range.clone(), message);
        }
    }
}

/// What is wrong with a `gate_a_fidelity` / `gate_b_presence` value of a complete checkpoint.
fn render_gate_problem(checkpoint: &Checkpoint, key: &str, value: &str) -> Option<String> {
    let lower = value.trim().to_ascii_lowercase();
    let failing = lower.starts_with("fail");
    let blocked = lower.starts_with("blocked");
    if key == "gate_a_fidelity" && failing {
        return Some(format!(
            "{} is marked complete while `{key}` is `{value}`: gate A has no waiver lane, completion is blocked until it passes",
            checkpoint.id
        ));
    }
    if key == "gate_b_presence" && blocked {
        return Some(format!(
            "{} is marked complete while `{key}` is `{value}`: a blocked gate B is never waived — bring the stack up and run it",
            checkpoint.id
        ));
    }
    if key == "gate_b_presence" && failing && checkpoint.waiver_issue.is_none() {
        return Some(format!(
            "{} is marked complete while `{key}` is `{value}` and no `render_proof_waiver.issue_id` is recorded",
            checkpoint.id
        ));
    }
    None
}

/// "… its execution spec is still a draft" when the checkpoint names a spec document whose status
/// says draft.
fn draft_spec(ctx: &PlanRuleContext<'_>, checkpoint: &Checkpoint) -> Option<String> {
    let spec = checkpoint.spec.as_ref()?;
    let named = spec.value.trim().trim_start_matches("./");
    let doc = ctx.plan.documents.iter().find(|d| d.path == named || d.path.ends_with(&format!("/{named}")))?;
    let status = doc.status.as_ref()?;
    let draft = status.text.trim().trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase();
    (draft == "draft" || draft.starts_with("draft ")).then(|| {
        format!(
            "{} is marked complete while its execution spec `{}` still says `{}`: approve (or close) the spec, or the run executed an unapproved plan",
            checkpoint.id,
            spec.value,
            status.text.trim()
        )
    })
}
