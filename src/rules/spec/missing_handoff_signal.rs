//! `spec/missing-handoff-signal`: a work stream without a handoff-signal section naming its
//! signal file, in a plan that tracks completion with signals (one of its streams names a
//! signal, or it has a handoff-signal section). A plan whose completion is tracked elsewhere
//! (build-pipeline checkpoints) is not asked for signals.

use super::at;
use crate::engine::{Finding, PlanRuleContext};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/missing-handoff-signal";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Markdown],
        summary: "Work stream without a handoff-signal section naming its signal file",
        doc: include_str!("../../../docs/rules/spec/missing-handoff-signal.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in ctx
        .plan
        .documents
        .iter()
        .filter(|d| d.kind == crate::plan::PlanKind::Workflow && !d.stream_definitions_unread())
    {
        // A plan that says it is done names signals that must exist: each stream's named signal
        // file, unless another completion source (a signal for the stream, a checkpoint) records it.
        if says_done(doc) {
            never_written(ctx, doc, out);
        }
        // A project that tracks completion in build-pipeline checkpoints needs no per-stream
        // signal section (docs/handoff-format.md, "Checkpoints").
        if ctx.handoffs.tracks_checkpoints(&doc.path) || !doc.workstreams.iter().any(|w| w.handoff_signal.is_some()) {
            continue;
        }
        for stream in &doc.workstreams {
            let message = match &stream.handoff_signal {
                Some(signal) if signal.path.is_some() => continue,
                Some(signal) => {
                    let message = format!(
                        "the Handoff Signal section of {} names no signal file: write the path the agent creates, e.g. `.claude/handoff/{}-complete.signal`",
                        stream.id,
                        stream.id.to_string().to_ascii_lowercase().replace('-', "")
                    );
                    out.push(at(RULE_ID, &doc.path, signal.heading.clone(), message));
                    continue;
                }
                None => format!(
                    "{} has no Handoff Signal section: the streams that depend on it cannot tell when it is done (add `### Handoff Signal` with \"Create file: `.claude/handoff/{}-complete.signal`\")",
                    stream.id,
                    stream.id.to_string().to_ascii_lowercase().replace('-', "")
                ),
            };
            out.push(at(RULE_ID, &doc.path, stream.id_range.clone(), message));
        }
    }
}

/// True when the plan's status says the work is done.
fn says_done(doc: &crate::plan::PlanDocument) -> bool {
    let Some(status) = &doc.status else { return false };
    let lower = status.text.to_ascii_lowercase();
    let first = lower.split(|c: char| !c.is_ascii_alphabetic()).find(|w| !w.is_empty()).unwrap_or("");
    matches!(first, "complete" | "completed" | "done" | "implemented" | "shipped" | "released" | "delivered")
}

/// Signals a done plan names that were never written.
fn never_written(ctx: &PlanRuleContext<'_>, doc: &crate::plan::PlanDocument, out: &mut Vec<(String, Finding)>) {
    let project = doc.path.find("/docs/").map(|at| &doc.path[..at]);
    let status = doc.status.as_ref().map_or("", |s| s.text.as_str());
    for stream in &doc.workstreams {
        let Some(path) = stream.handoff_signal.as_ref().and_then(|s| s.path.as_ref()) else { continue };
        let named = path.text.trim().trim_matches('`').trim_start_matches("./");
        if named.starts_with('/') || named.contains('*') || named.contains('{') || named.contains('<') {
            continue;
        }
        let exists = |p: &str| ctx.handoffs.files.contains(p);
        let written = exists(named) || project.is_some_and(|p| exists(&format!("{p}/{named}")));
        // A completion signal of this plan's stream (a signal of another plan with the same
        // stream id does not count), or a checkpoint of this plan.
        let signalled = ctx.handoffs.signals.iter().any(|s| {
            s.workstream.as_ref().is_some_and(|w| stream.id.answers_to(&w.value))
                && s.status.as_ref().is_some_and(|st| st.value == crate::handoff::Status::Complete)
                && ctx.plan.plan_of_signal(&s.path, &stream.id).is_some_and(|p| p.path == doc.path)
        });
        let recorded = signalled || ctx.handoffs.completion_checkpoint(&doc.id, &doc.path, &stream.id).is_some();
        if written || recorded {
            continue;
        }
        let message = format!(
            "{} names its handoff signal `{named}`, which was never written, though the plan says `{status}`: nothing records that the stream was handed off",
            stream.id
        );
        out.push(at(RULE_ID, &doc.path, path.range.clone(), message));
    }
}
