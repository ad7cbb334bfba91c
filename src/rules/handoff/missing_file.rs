//! `handoff/missing-file`: a handoff names a file that does not exist in the workspace, or a
//! path that leaves it (reported, never read).

use crate::engine::{Finding, PlanRuleContext};
use crate::handoff::markdown::FileIntent;
use crate::handoff::{NamedFile, PathKind};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "handoff/missing-file";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Json, FileKind::Signal, FileKind::Markdown],
        summary: "A handoff that names a file that does not exist in the workspace",
        doc: include_str!("../../../docs/rules/handoff/missing-file.md"),
        matcher: Matcher::Plan(check),
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let handoffs = ctx.handoffs;
    let signals = handoffs.signals.iter().map(|s| (&s.path, &s.files));
    let snapshots = handoffs.snapshots.iter().map(|s| (&s.path, &s.files));
    for (path, files) in signals.chain(snapshots) {
        for file in files {
            if let Some(message) = problem(ctx, path, file) {
                out.push((path.clone(), Finding::new(RULE_ID, file.range.clone(), message)));
            }
        }
    }
    // Markdown handoffs, precision first: templates, indexes and archives are history or
    // examples; a deleted file is meant to be gone; a file a handoff that is not complete says
    // it will create may not exist yet.
    for handoff in handoffs.markdown.iter().filter(|h| !h.reference_only) {
        for (file, intent) in &handoff.files {
            // An absolute path names a file on one machine only, whatever the entry says about it
            // (JSON handoffs get the same notice from `handoff/invalid`).
            if file.kind == PathKind::Absolute {
                let message = format!(
                    "`{}` is an absolute path: the next agent's checkout is elsewhere, so it cannot find the file; name it relative to the workspace root",
                    file.text
                );
                out.push((handoff.path.clone(), Finding::new(RULE_ID, file.range.clone(), message)));
                continue;
            }
            match intent {
                FileIntent::Deleted => continue,
                FileIntent::Created if !handoff.is_complete() => continue,
                _ => {}
            }
            if let Some(message) = problem(ctx, &handoff.path, file) {
                out.push((handoff.path.clone(), Finding::new(RULE_ID, file.range.clone(), message)));
            }
        }
    }
}

/// What is wrong with one named file, if anything.
fn problem(ctx: &PlanRuleContext<'_>, from: &str, file: &NamedFile) -> Option<String> {
    match &file.kind {
        PathKind::Escapes => Some(format!(
            "`{}` leaves the workspace: handoffs name files inside it (Baton does not read the path)",
            file.text
        )),
        PathKind::Relative(relative) if ctx.handoffs.resolve(from, file).is_none() => Some(format!(
            "`{relative}` (in `{}`) does not exist in the workspace; a gitignored file counts as missing, \
             since it does not travel with the repository",
            file.key
        )),
        _ => None,
    }
}
