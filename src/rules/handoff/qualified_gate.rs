//! `handoff/qualified-gate`: a handoff that moves on with a gate recorded as a pass with a
//! qualifier that takes it back — `"PASS (pre-existing errors)"`, `"pass with warnings"` — or a
//! lint gate that says warnings are fine.

use crate::engine::{Finding, PlanRuleContext};
use crate::handoff::{Gate, Outcome, Status};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "handoff/qualified-gate";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Json, FileKind::Signal],
        summary: "A handoff gate recorded as a pass with a qualifier (pre-existing errors, warnings allowed)",
        doc: include_str!("../../../docs/rules/handoff/qualified-gate.md"),
        matcher: Matcher::Plan(check),
    }
}

/// Words in a pass's detail that say it did not cleanly pass.
const TAKEN_BACK: &[&str] = &[
    "pre-existing",
    "preexisting",
    "existing error",
    "existing failure",
    "with error",
    "errors remain",
    "known fail",
    "flaky",
    "partial",
    "except",
    "unrelated error",
];

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let handoffs = ctx.handoffs;
    let signals = handoffs
        .signals
        .iter()
        .filter(|s| s.status.as_ref().is_some_and(|st| st.value == Status::Complete))
        .map(|s| (&s.path, &s.gates));
    let snapshots = handoffs
        .snapshots
        .iter()
        .filter(|s| s.claims_done() || s.next_agent_name().is_some())
        .map(|s| (&s.path, &s.gates));
    for (path, gates) in signals.chain(snapshots) {
        let Some(doc) = ctx.documents.iter().find(|d| &d.path == path) else { continue };
        for gate in gates.iter().filter(|g| g.outcome == Outcome::Pass) {
            if let Some(message) = problem(gate, doc.slice(gate.range.clone())) {
                out.push((path.clone(), Finding::new(RULE_ID, gate.range.clone(), message)));
            }
        }
    }
}

/// What is wrong with a passing gate written as `text`, if anything.
fn problem(gate: &Gate, text: &str) -> Option<String> {
    let value = text.trim().trim_matches('"');
    let lower = value.to_ascii_lowercase();
    let is_lint = gate.name.to_ascii_lowercase().contains("lint");
    if is_lint && lower.contains("warning") && !lower.contains("0 warning") && !lower.contains("no warning") {
        return Some(format!(
            "lint gate `{}` passed with warnings allowed (`{value}`): a lint gate that lets warnings through lets them pile up — run it with `--max-warnings 0`, or waive it with an issue (`waived:<issue>`)",
            gate.name
        ));
    }
    let word = TAKEN_BACK.iter().find(|w| lower.contains(**w))?;
    Some(format!(
        "gate `{}` is recorded as a pass with a qualifier (`{value}`: \"{word}\"): that is not a clean pass — fix it, or record `fail` and waive it with an issue (`waived:<issue>`)",
        gate.name
    ))
}
