//! `handoff/gates-not-passed`: a handoff that moves on — a `complete` status, a finished or
//! shipped phase, a next agent — while a quality gate is false, failed or skipped, tests fail, or
//! coverage is under `[handoff] min_coverage` or (for a signal) under the target its plan states.

use crate::engine::{Finding, PlanRuleContext};
use crate::handoff::{Gate, Snapshot, Status};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "handoff/gates-not-passed";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Json, FileKind::Signal],
        summary: "A handoff that moves to a later phase while a quality gate is false or tests fail",
        doc: include_str!("../../../docs/rules/handoff/gates-not-passed.md"),
        matcher: Matcher::Plan(check),
    }
}

const NOT_MET: &str = "quality gates not met — cannot deploy";

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let handoffs = ctx.handoffs;
    let min_coverage = ctx.config.handoff.min_coverage;
    for signal in &handoffs.signals {
        let Some(status) = signal.status.as_ref().filter(|s| s.value == Status::Complete) else { continue };
        let who = signal.workstream.as_ref().map_or("this work stream".to_string(), |w| w.value.to_string());
        let doc = ctx.documents.iter().find(|d| d.path == signal.path);
        for gate in signal.gates.iter().filter(|g| !g.outcome.is_ok()) {
            // A pass whose count is short of its total reads "failing (`pass (150/151)`)".
            let written = doc
                .filter(|_| gate.outcome == crate::handoff::Outcome::Fail && !gate.range.is_empty())
                .map(|d| d.slice(gate.range.clone()).trim().trim_matches('"').to_string())
                .filter(|t| t.to_ascii_lowercase().starts_with("pass"))
                .map(|t| format!(" (`{t}`: a count short of its total)"))
                .unwrap_or_default();
            let message = format!(
                "{who} is signalled complete while gate `{}` is {}{written} — {NOT_MET}",
                gate.name,
                gate.outcome.describe()
            );
            let range = if gate.range.is_empty() { status.range.clone() } else { gate.range.clone() };
            out.push((signal.path.clone(), Finding::new(RULE_ID, range, message)));
        }
        // Coverage under the target its plan states (or under `[handoff] min_coverage`).
        let Some(coverage) = &signal.coverage else { continue };
        let plan_target = signal
            .workstream
            .as_ref()
            .and_then(|w| ctx.plan.plan_of_signal(&signal.path, &w.value))
            .and_then(|plan| plan.coverage_target.as_ref().map(|(t, _)| (*t, plan)));
        let message = match plan_target {
            Some((target, plan)) if coverage.value < target && target >= min_coverage => format!(
                "{who} is signalled complete with coverage {}%, under the {target}% its plan `{}` sets — {NOT_MET}",
                coverage.value, plan.path
            ),
            _ if coverage.value < min_coverage => format!(
                "{who} is signalled complete with coverage {}%, under `[handoff] min_coverage` ({min_coverage}%) — {NOT_MET}",
                coverage.value
            ),
            _ => continue,
        };
        out.push((signal.path.clone(), Finding::new(RULE_ID, coverage.range.clone(), message)));
    }
    for snapshot in &handoffs.snapshots {
        let Some(moving_on) = moves_on(snapshot) else { continue };
        for gate in failed(&snapshot.gates) {
            let message = format!("gate `{}` is {} while {moving_on} — {NOT_MET}", gate.name, gate.outcome.describe());
            out.push((snapshot.path.clone(), Finding::new(RULE_ID, gate.range.clone(), message)));
        }
        if let Some(failing) = &snapshot.tests.failing {
            let message =
                format!("{} test{} failing while {moving_on} — {NOT_MET}", failing.value, plural(failing.value));
            out.push((snapshot.path.clone(), Finding::new(RULE_ID, failing.range.clone(), message)));
        }
        if let Some(coverage) = snapshot.tests.coverage.as_ref().filter(|c| c.value < min_coverage) {
            let message = format!(
                "coverage {}% is under `[handoff] min_coverage` ({min_coverage}%) while {moving_on} — {NOT_MET}",
                coverage.value
            );
            out.push((snapshot.path.clone(), Finding::new(RULE_ID, coverage.range.clone(), message)));
        }
    }
    // A snapshot that ships without gates of its own inherits its chain's last recorded gates.
    for chain in &handoffs.chains {
        for (pos, &index) in chain.iter().enumerate() {
            let snapshot = &handoffs.snapshots[index];
            let Some(phase) = snapshot.phase.as_ref().filter(|_| snapshot.ships()) else { continue };
            if !snapshot.gates.is_empty() || snapshot.tests.failing.is_some() {
                continue;
            }
            let earlier = chain[..pos].iter().rev().map(|&i| &handoffs.snapshots[i]).find(|s| !s.gates.is_empty());
            let Some(earlier) = earlier else { continue };
            let failed: Vec<String> = failed(&earlier.gates).map(|g| format!("`{}`", g.name)).collect();
            if failed.is_empty() {
                continue;
            }
            let message = format!(
                "phase `{}` follows {}, whose gate{} {} did not pass — {NOT_MET}",
                phase.value,
                earlier.name(),
                if failed.len() == 1 { "" } else { "s" },
                failed.join(", ")
            );
            out.push((snapshot.path.clone(), Finding::new(RULE_ID, phase.range.clone(), message)));
        }
    }
}

/// How the snapshot moves on, in words, or `None` when it does not.
fn moves_on(snapshot: &Snapshot) -> Option<String> {
    if let Some(next) = snapshot.next_agent_name() {
        return Some(format!("the work is handed to `{next}`"));
    }
    snapshot.claims_done().then(|| match &snapshot.phase {
        Some(phase) => format!("the phase is `{}`", phase.value),
        None => "the snapshot says complete".to_string(),
    })
}

fn failed(gates: &[Gate]) -> impl Iterator<Item = &Gate> {
    gates.iter().filter(|g| !g.outcome.is_ok())
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        " is"
    } else {
        "s are"
    }
}
