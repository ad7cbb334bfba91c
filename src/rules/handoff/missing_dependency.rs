//! `handoff/missing-dependency`: a work stream signalled complete while a stream it depends on
//! (from the signal's `depends_on` or the workflow document) has no completion signal.

use crate::engine::{Finding, PlanRuleContext};
use crate::handoff::{project_of, Status};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "handoff/missing-dependency";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Json, FileKind::Signal, FileKind::Markdown],
        summary: "A work stream signalled complete while a stream it depends on has no completion signal",
        doc: include_str!("../../../docs/rules/handoff/missing-dependency.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let handoffs = ctx.handoffs;
    for signal in &handoffs.signals {
        let (Some(ws), Some(status)) = (&signal.workstream, &signal.status) else { continue };
        if status.value != Status::Complete {
            continue;
        }
        let project = Some(project_of(&signal.path));
        let mut seen = Vec::new();
        for dep in &signal.depends_on {
            if seen.contains(&dep.value) {
                continue;
            }
            seen.push(dep.value.clone());
            match handoffs.completion_signal_in(&dep.value, project) {
                None => {
                    let message = format!(
                        "{} is signalled complete, but {} (in `depends_on`) has no completion signal",
                        ws.value, dep.value
                    );
                    out.push((signal.path.clone(), Finding::new(RULE_ID, dep.range.clone(), message)));
                }
                Some(path) => {
                    if let Some(message) = earlier_than(handoffs, signal, &ws.value, &dep.value, path) {
                        out.push((signal.path.clone(), Finding::new(RULE_ID, dep.range.clone(), message)));
                    }
                }
            }
        }
        for dep in ctx.plan.signal_dependencies(&signal.path, &ws.value) {
            if seen.contains(&dep) {
                continue;
            }
            seen.push(dep.clone());
            if handoffs.completion_signal_in(&dep, project).is_none() {
                let message = format!(
                    "{} is signalled complete, but {dep}, which it depends on in the workflow, has no completion signal",
                    ws.value
                );
                let range = if ws.range.is_empty() { status.range.clone() } else { ws.range.clone() };
                out.push((signal.path.clone(), Finding::new(RULE_ID, range, message)));
            }
        }
    }
}

/// "… was signalled complete at T1, before WS-1, which it depends on, at T2" when the signal at
/// `dep_path` is timestamped later than `signal`: the dependent finished before its dependency.
fn earlier_than(
    handoffs: &crate::handoff::Handoffs,
    signal: &crate::handoff::Signal,
    ws: &crate::plan::WorkstreamId,
    dep: &crate::plan::WorkstreamId,
    dep_path: &str,
) -> Option<String> {
    let own = signal.timestamp.as_ref()?.value;
    let theirs = handoffs.signal(dep_path)?.timestamp.as_ref()?.value;
    (theirs > own).then(|| {
        format!(
            "{ws} was signalled complete at {}, before {dep}, which it depends on, at {} (`{dep_path}`): it was built on unfinished work",
            own.format("%Y-%m-%dT%H:%M:%SZ"),
            theirs.format("%Y-%m-%dT%H:%M:%SZ")
        )
    })
}
