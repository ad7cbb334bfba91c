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
    for doc in ctx.plan.documents.iter().filter(|d| d.kind == crate::plan::PlanKind::Workflow) {
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
