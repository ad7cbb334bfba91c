//! `handoff/broken-chain`: context snapshots of one workflow that do not follow each other —
//! the wrong agent picks up, the workflow id or the clock jumps, a successor is undefined, or the
//! chain ends with work pending.

use crate::engine::{Finding, PlanRuleContext};
use crate::handoff::{Handoffs, Snapshot};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "handoff/broken-chain";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Json],
        summary: "A context file whose current_agent is not the previous file's next_agent, or whose workflow_id or timestamps do not follow it",
        doc: include_str!("../../../docs/rules/handoff/broken-chain.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let handoffs = ctx.handoffs;
    let mut report = |s: &Snapshot, range: std::ops::Range<usize>, message: String| {
        out.push((s.path.clone(), Finding::new(RULE_ID, range, message)));
    };
    for chain in &handoffs.chains {
        let members: Vec<&Snapshot> = chain.iter().map(|&i| &handoffs.snapshots[i]).collect();
        let first_id = members.iter().find_map(|s| s.workflow_id.as_ref()).map(|w| w.value.as_str());
        for pair in members.windows(2) {
            let (prev, cur) = (pair[0], pair[1]);
            if let (Some(expected), Some(id)) = (first_id, &cur.workflow_id) {
                if id.value != expected {
                    let message = format!(
                        "`workflow_id` is `{}`, but the earlier snapshots of this chain use `{expected}`",
                        id.value
                    );
                    report(cur, id.range.clone(), message);
                }
            }
            if let (Some(next), Some(current)) = (&prev.next_agent, &cur.current_agent) {
                match &next.value {
                    None => report(
                        cur,
                        current.range.clone(),
                        format!("{} ended the chain (`next_agent: null`), but this snapshot continues it", prev.name()),
                    ),
                    Some(name) if *name != current.value => report(
                        cur,
                        current.range.clone(),
                        format!("`current_agent` is `{}`, but {} handed over to `{name}`", current.value, prev.name()),
                    ),
                    Some(_) => {}
                }
            }
            if let (Some(before), Some(now)) = (&prev.timestamp, &cur.timestamp) {
                if now.value <= before.value {
                    let message = format!(
                        "this snapshot's timestamp is not later than {}'s ({}): snapshots of a workflow follow each other in time",
                        prev.name(),
                        before.value.format("%Y-%m-%dT%H:%M:%SZ")
                    );
                    report(cur, now.range.clone(), message);
                }
            }
        }
        for s in &members {
            let Some(next) = &s.next_agent else { continue };
            match &next.value {
                Some(name) => {
                    if let Some(message) = undefined_agent(handoffs, &s.path, name) {
                        report(s, next.range.clone(), message);
                    }
                }
                None if !s.pending_actions.is_empty() => {
                    let n = s.pending_actions.len();
                    let message = format!(
                        "`next_agent` is null while {n} pending action{} remain{}: name the agent who takes them over",
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "s" } else { "" }
                    );
                    report(s, next.range.clone(), message);
                }
                None => {}
            }
        }
    }
}

/// "next agent `x` is not defined …" when the project defines agents and none is named `name`.
fn undefined_agent(handoffs: &Handoffs, path: &str, name: &str) -> Option<String> {
    let agents: Vec<&str> = handoffs.agents_for(path).map(|a| a.name.as_str()).collect();
    if agents.is_empty() || agents.contains(&name) {
        return None;
    }
    let hint = suggest_agent(name, &agents).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
    let folder = match crate::handoff::project_of(path) {
        "" => ".claude/agents/".to_string(),
        project => format!("{project}/.claude/agents/"),
    };
    Some(format!("next agent `{name}` is not defined in {folder}{hint}"))
}

/// The defined agent `name` most probably means: one whose name extends it or that it extends
/// (`tdd-typescript` → `tdd-typescript-implementer`), else the closest by edit distance.
pub fn suggest_agent<'a>(name: &str, agents: &[&'a str]) -> Option<&'a str> {
    let extends = agents.iter().filter(|a| a.starts_with(name) || name.starts_with(**a)).min_by_key(|a| a.len());
    extends.copied().or_else(|| crate::rules::closest_match(name, agents.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_suggestions_prefer_extensions_then_typos() {
        let agents = ["backend-architect", "tdd-typescript-implementer", "test-generator"];
        assert_eq!(suggest_agent("tdd-typescript", &agents), Some("tdd-typescript-implementer"));
        assert_eq!(suggest_agent("test-generater", &agents), Some("test-generator"));
        assert_eq!(suggest_agent("release-manager", &agents), None);
    }
}
