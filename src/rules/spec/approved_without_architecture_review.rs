//! `spec/approved-without-architecture-review`: a spec or workflow document marked approved or
//! ready for QA without an architecture approval (its `## Architecture Approval` section or a
//! recorded `approval:architecture`, judged by [`crate::stage::approval`]), or whose approval is
//! for an older version than the document's.

use super::at;
use crate::config::Config;
use crate::engine::{Finding, PlanRuleContext};
use crate::plan::PlanDocument;
use crate::rules::{Matcher, Rule, Severity};
use crate::stage::approval::{self, Approval, Source};
use crate::stage::StageModel;
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/approved-without-architecture-review";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Markdown],
        summary: "Spec or workflow marked approved or ready for QA without a recorded architecture review",
        doc: include_str!("../../../docs/rules/spec/approved-without-architecture-review.md"),
        matcher: Matcher::Plan(check),
    }
}

/// True for a status that claims the document is approved: "Approved", "APPROVED FOR
/// PRODUCTION", "Ready for QA(S)", or a `[workflow.labels]` text (or stage name) whose stage
/// requires `approval:architecture`. Negated forms ("Not approved", "Pending approval") are not.
pub fn is_approved_status(config: &Config, status: &str) -> bool {
    let status = strip_struck(status);
    let text = status.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string();
    let lower = text.to_ascii_lowercase();
    let requires_architecture = |stage: &str| {
        config.workflow.requires.get(stage).is_some_and(|r| r.iter().any(|x| x == "approval:architecture"))
    };
    let labelled =
        config.workflow.labels.iter().find(|(label, _)| label.eq_ignore_ascii_case(&text)).map(|(_, s)| s.as_str());
    if labelled.is_some_and(requires_architecture) || requires_architecture(&lower) {
        return true;
    }
    // A template lists the choices ("Draft / In Review / Approved", "[Draft | Approved]").
    if lower.contains('|') || lower.contains(" / ") || status.trim_start().starts_with(['[', '<']) {
        return false;
    }
    let negated = [
        "not approved",
        "unapproved",
        "pending approval",
        "awaiting approval",
        "approval pending",
        "needs approval",
        "approval required",
    ]
    .iter()
    .any(|n| lower.contains(n));
    // The word itself, not a compound ("brief-approved", "approved-draft" name other approvals).
    let approved = lower.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).any(|w| w == "approved");
    (approved && !negated) || lower.starts_with("ready for qa")
}

/// The text with `~~struck-through~~` parts removed.
fn strip_struck(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("~~") {
        out.push_str(&rest[..open]);
        match rest[open + 2..].find("~~") {
            Some(close) => rest = &rest[open + 2 + close + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

pub use crate::stage::approval::compare_versions;

/// True for a design document: its front matter `type` says design, its file name ends with
/// "design" (`2026-03-20-search-design.md`, `…-redesign.md`), or its title does ("Search —
/// Design", "… Design Spec", "… Design Document"). Approving such a document approves the design
/// itself: it is the architecture review, not a spec that skipped one.
pub fn is_design_document(doc: &PlanDocument) -> bool {
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
    };
    let design = |w: &str| w == "design" || w == "redesign";
    if let Some(kind) = &doc.doc_type {
        return words(kind).iter().any(|w| design(w));
    }
    let stem = words(crate::plan::stem(&doc.path));
    if stem.last().is_some_and(|w| design(w)) {
        return true;
    }
    let title = doc.title.as_ref().map(|t| words(&t.text)).unwrap_or_default();
    let tail: Vec<&str> = title.iter().rev().take(2).map(String::as_str).collect();
    match tail.as_slice() {
        [last, ..] if design(last) => true,
        ["spec" | "specification" | "doc" | "document", before] => design(before),
        _ => false,
    }
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let model = StageModel::from_config(ctx.config);
    for doc in ctx.plan.documents.iter().filter(|d| d.is_work_item()) {
        let Some(status) = &doc.status else { continue };
        if !is_approved_status(ctx.config, &status.text) {
            continue;
        }
        let section = doc.architecture_approval.as_ref();
        match approval::approval(doc, "architecture", ctx.evidence) {
            Approval::Given { .. } => {}
            // An approved design document is its own architecture review, unless its status names
            // a `[workflow]` stage: then `workflow/requirement-unmet` asks for the recorded
            // approval too, and the two rules agree.
            Approval::Missing if is_design_document(doc) && model.stage_of(&status.text).is_none() => {}
            Approval::Missing => {
                let why = match section {
                    None => "there is no `## Architecture Approval` section",
                    Some(_) => "its `## Architecture Approval` section records no approver (`**Approved by**:`)",
                };
                let message = format!(
                    "`{}` is marked \"{}\" but {why} and no approval is recorded: a spec that skipped the architecture review spreads its mistakes into code",
                    doc.id, status.text
                );
                out.push(at(RULE_ID, &doc.path, status.range.clone(), message));
            }
            Approval::Outdated { approved, current, source: Source::Document, .. } => {
                let message = format!(
                    "the architecture approval is for version {approved} but `{}` is at version {current}: the changes since were not reviewed",
                    doc.id
                );
                let range =
                    section.and_then(|s| s.version_approved.as_ref()).map_or(status.range.clone(), |v| v.range.clone());
                out.push(at(RULE_ID, &doc.path, range, message));
            }
            Approval::Outdated { approved, current, source: Source::Recorded, by } => {
                let message = format!(
                    "the architecture approval recorded by {by} is for version {approved} but `{}` is at version {current}: the changes since were not reviewed",
                    doc.id
                );
                out.push(at(RULE_ID, &doc.path, status.range.clone(), message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let c = Config::default();
        for yes in ["APPROVED FOR PRODUCTION", "Approved", "✅ Approved", "Ready for QA", "Ready for QAS"] {
            assert!(is_approved_status(&c, yes), "{yes}");
        }
        for no in [
            "Draft",
            "Not approved",
            "Pending approval",
            "In review",
            "Approval pending",
            "Ready for review",
            "Draft / In Review / Approved",
            "[Draft | Approved]",
            "~~Approved~~ Superseded",
            "Draft — pending `brief-approved` gate",
            "approved-draft",
        ] {
            assert!(!is_approved_status(&c, no), "{no}");
        }
        let c = Config::parse("[workflow.labels]\n\"Shipped\" = \"release\"\n\"Build it\" = \"implement\"\n", None)
            .unwrap();
        assert!(is_approved_status(&c, "Build it"));
        assert!(!is_approved_status(&c, "Shipped"), "release requires approval:qa, not architecture");
    }

    #[test]
    fn design_documents() {
        use crate::plan::Plan;
        use crate::syntax::Document;
        let files = [
            ("docs/specs/2026-03-20-search-design.md", "# Search\n\n**Status:** Approved\n", true),
            ("docs/specs/2026-03-21-profile-redesign.md", "# Profile\n\n**Status:** Approved\n", true),
            ("docs/specs/billing.md", "# Billing Webhooks — Design Spec\n\n**Status:** Approved\n", true),
            ("docs/specs/export.md", "# Export job: technical design document\n\n**Status:** Approved\n", true),
            ("docs/specs/cache.md", "# Cache — Design\n\n**Status:** Approved\n", true),
            ("docs/specs/tokens.md", "# Design tokens\n\n**Status:** Approved\n", false),
            ("docs/specs/designer-onboarding-spec.md", "# Designer onboarding\n\n**Status:** Approved\n", false),
            ("docs/specs/intake-design.md", "---\ntype: build-intake\nstatus: approved\n---\n# Intake\n", false),
            ("docs/specs/arch.md", "---\ntype: technical-design\nstatus: approved\n---\n# Arch\n", true),
        ];
        let docs: Vec<Document> = files.iter().map(|(p, t, _)| Document::parse(*p, FileKind::Markdown, *t)).collect();
        let refs: Vec<&Document> = docs.iter().collect();
        let plan = Plan::build(&refs, &Config::default());
        for (path, _, design) in files {
            let doc = plan.documents.iter().find(|d| d.path == path).unwrap_or_else(|| panic!("{path} is a work item"));
            assert_eq!(is_design_document(doc), design, "{path}");
        }
    }

    #[test]
    fn versions() {
        use std::cmp::Ordering;
        assert_eq!(compare_versions("1.1.0", "1.2"), Some(Ordering::Less));
        assert_eq!(compare_versions("v1.2", "1.2.0"), Some(Ordering::Equal));
        assert_eq!(compare_versions("2.0", "1.9.9"), Some(Ordering::Greater));
        assert_eq!(compare_versions("draft", "1.0"), None);
    }
}
