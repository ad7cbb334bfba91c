//! `spec/approved-without-architecture-review`: a spec or workflow document marked approved or
//! ready for QA without a recorded architecture approval, or whose approval is for an older
//! version than the document's.

use std::cmp::Ordering;

use super::at;
use crate::config::Config;
use crate::engine::{Finding, PlanRuleContext};
use crate::rules::{Matcher, Rule, Severity};
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
    let approved = lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "approved");
    (approved && !negated) || lower.starts_with("ready for qa")
}

/// True for an empty or placeholder approver ("TBD", "pending", "-", "[name]").
fn is_placeholder(name: &str) -> bool {
    let n = name.trim().trim_matches(['*', '_', '`']).trim().to_ascii_lowercase();
    n.is_empty()
        || ["tbd", "todo", "pending", "-", "—", "n/a", "none", "?", "name", "not yet"].contains(&n.as_str())
        || (n.starts_with('[') && n.ends_with(']'))
        || (n.starts_with('<') && n.ends_with('>'))
}

/// Compares dotted versions ("1.1.0" < "1.2"); `None` when either is not one.
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let parse = |v: &str| -> Option<Vec<u64>> {
        let v = v.trim().trim_start_matches(['v', 'V']);
        let core = v.split(['-', '+', ' ']).next()?;
        core.split('.').map(|p| p.parse().ok()).collect()
    };
    let (mut a, mut b) = (parse(a)?, parse(b)?);
    let len = a.len().max(b.len());
    a.resize(len, 0);
    b.resize(len, 0);
    Some(a.cmp(&b))
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in &ctx.plan.documents {
        let Some(status) = &doc.status else { continue };
        if !is_approved_status(ctx.config, &status.text) {
            continue;
        }
        let approval = doc.architecture_approval.as_ref();
        let approver = approval.and_then(|a| a.approved_by.as_ref()).filter(|a| !is_placeholder(&a.text));
        let Some(_approver) = approver else {
            let why = match approval {
                None => "there is no `## Architecture Approval` section",
                Some(_) => "its `## Architecture Approval` section records no approver (`**Approved by**:`)",
            };
            let message = format!(
                "`{}` is marked \"{}\" but {why}: a spec that skipped the architecture review spreads its mistakes into code",
                doc.id, status.text
            );
            out.push(at(RULE_ID, &doc.path, status.range.clone(), message));
            continue;
        };
        let (Some(version), Some(approved)) = (&doc.version, approval.and_then(|a| a.version_approved.as_ref())) else {
            continue;
        };
        if compare_versions(&approved.text, &version.text) == Some(Ordering::Less) {
            let message = format!(
                "the architecture approval is for version {} but `{}` is at version {}: the changes since were not reviewed",
                approved.text, doc.id, version.text
            );
            out.push(at(RULE_ID, &doc.path, approved.range.clone(), message));
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
        for no in ["Draft", "Not approved", "Pending approval", "In review", "Approval pending", "Ready for review"] {
            assert!(!is_approved_status(&c, no), "{no}");
        }
        let c = Config::parse("[workflow.labels]\n\"Shipped\" = \"release\"\n\"Build it\" = \"implement\"\n", None)
            .unwrap();
        assert!(is_approved_status(&c, "Build it"));
        assert!(!is_approved_status(&c, "Shipped"), "release requires approval:qa, not architecture");
    }

    #[test]
    fn versions() {
        assert_eq!(compare_versions("1.1.0", "1.2"), Some(Ordering::Less));
        assert_eq!(compare_versions("v1.2", "1.2.0"), Some(Ordering::Equal));
        assert_eq!(compare_versions("2.0", "1.9.9"), Some(Ordering::Greater));
        assert_eq!(compare_versions("draft", "1.0"), None);
    }
}
