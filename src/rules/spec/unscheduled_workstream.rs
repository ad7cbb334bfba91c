//! `spec/unscheduled-workstream`: a work stream that none of its document's phases schedules, and
//! an execution phase (front matter `execution_phases`) that schedules no stream at all.

use super::at;
use crate::engine::{Finding, PlanRuleContext};
use crate::plan::Source;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/unscheduled-workstream";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Markdown],
        summary: "Work stream in no execution phase of a workflow that has phases, or a phase with no stream",
        doc: include_str!("../../../docs/rules/spec/unscheduled-workstream.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in ctx.plan.documents.iter().filter(|d| !d.phases.is_empty() && !d.stream_definitions_unread()) {
        // Markdown phases are read from the streams they hold; a front-matter phase lists them
        // (a phase that only runs gates, such as a final validation, schedules none by design).
        for phase in
            doc.phases.iter().filter(|p| p.source == Source::FrontMatter && p.listed == 0 && p.gates.is_empty())
        {
            let message = format!(
                "{} lists no work stream (`parallel:` or `sequential:`): the orchestrator has nothing to dispatch in it",
                phase.display_name()
            );
            out.push(at(RULE_ID, &doc.path, phase.range.clone(), message));
        }
        let mut seen = Vec::new();
        for stream in &doc.workstreams {
            let scheduled = doc.phases.iter().any(|p| {
                p.streams.iter().any(|(s, _)| doc.resolve(s).is_some_and(|w| w.id == stream.id) || *s == stream.id)
            });
            if seen.contains(&&stream.id) || scheduled {
                continue;
            }
            seen.push(&stream.id);
            let phases: Vec<String> = doc.phases.iter().map(|p| p.display_name()).collect();
            let message = format!(
                "{} is in no execution phase ({}): no agent is scheduled to run it",
                stream.id,
                phases.join(", ")
            );
            out.push(at(RULE_ID, &doc.path, stream.id_range.clone(), message));
        }
    }
}
