//! `handoff/invalid`: a signal or context snapshot that is not valid JSON or breaks schema v1.

use crate::engine::{Finding, Fix, PlanRuleContext};
use crate::handoff::Problem;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "handoff/invalid";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Json, FileKind::Signal],
        summary: "A handoff signal or context file that is not valid JSON or breaks the schema",
        doc: include_str!("../../../docs/rules/handoff/invalid.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in ctx.documents.iter().filter(|d| matches!(d.kind, FileKind::Json | FileKind::Signal)) {
        let structured = doc.kind == FileKind::Json || ctx.handoffs.signal(&doc.path).is_some_and(|s| s.structured);
        if structured {
            // The first error only: tree-sitter's recovery makes the later ones mostly echoes of it.
            let errors = doc.syntax_errors();
            if let Some(error) = errors.first() {
                let range = error.range.clone();
                let what = match error.message.as_str() {
                    "syntax error" => {
                        let text: String = doc.slice(range.clone()).chars().take(24).collect();
                        format!("unexpected `{}`", text.trim())
                    }
                    "missing `}`" => "expected `,` or `}`".to_string(),
                    "missing `]`" => "expected `,` or `]`".to_string(),
                    other => other.to_string(),
                };
                let more = match errors.len() - 1 {
                    0 => String::new(),
                    n => format!(" ({n} more syntax error{} after it)", if n == 1 { "" } else { "s" }),
                };
                let message = format!("invalid JSON: {what}{more}; an agent reading this handoff cannot parse it");
                out.push((doc.path.clone(), Finding::new(RULE_ID, range, message)));
            }
        }
        let problems: &[Problem] = match doc.kind {
            FileKind::Signal => ctx.handoffs.signal(&doc.path).map_or(&[], |s| &s.problems),
            _ if crate::handoff::checkpoint::is_checkpoint(&doc.path) => {
                ctx.handoffs.checkpoints.iter().find(|c| c.path == doc.path).map_or(&[], |c| &c.problems)
            }
            _ => ctx.handoffs.snapshot(&doc.path).map_or(&[], |s| &s.problems),
        };
        for problem in problems {
            let mut finding = Finding::new(RULE_ID, problem.range.clone(), problem.message.clone());
            if let Some((title, range, text)) = &problem.fix {
                finding = finding.with_fix(Fix::in_file(title.clone(), &doc.path, [(range.clone(), text.clone())]));
            }
            out.push((doc.path.clone(), finding));
        }
    }
    // Checkpoints against their plans: the buckets cover the plan's streams and nothing else.
    for c in super::coverage::coverage(ctx) {
        for entry in &c.unknown {
            let message = format!(
                "{} is not a work stream of {} (`{}`): a bucket lists only the streams of the plan the checkpoint runs",
                entry.value, c.plan.id, c.plan.path
            );
            out.push((c.checkpoint.path.clone(), Finding::new(RULE_ID, entry.range.clone(), message)));
        }
        // A complete checkpoint's missing streams are `handoff/premature-complete`.
        let complete = c.checkpoint.run_status() == Some(crate::handoff::checkpoint::RunStatus::Complete);
        if complete || c.missing.is_empty() {
            continue;
        }
        let Some(at) = c.checkpoint.buckets.first().and_then(|(_, s)| s.first()).map(|s| s.range.clone()) else {
            continue;
        };
        let ids: Vec<String> = c.missing.iter().map(|w| w.id.to_string()).collect();
        let message = format!(
            "the work-stream buckets do not cover {}: {} {} in none of `completed`, `in_progress`, `pending`, `dormant`, so resuming the run would skip {}",
            c.plan.id,
            super::coverage::list(&ids),
            if ids.len() == 1 { "is" } else { "are" },
            if ids.len() == 1 { "it" } else { "them" }
        );
        out.push((c.checkpoint.path.clone(), Finding::new(RULE_ID, at, message)));
    }
}
