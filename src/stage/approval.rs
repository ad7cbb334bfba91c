//! Whether an item's `approval:<role>` holds (pure): a recorded approval (`baton stage approve`,
//! "Record approval") or, for the architecture role, the document's `## Architecture Approval`
//! section with an `**Approved by**:` name. Both `workflow/requirement-unmet` and
//! `spec/approved-without-architecture-review` judge approvals here, so they always agree.
//!
//! Approvals do not go stale when the tree changes (they approve the item, not a tree). They are
//! bound to the document's version when both sides state one: a section's `**Version
//! Approved**:` or a recorded approval's `version` (the document's `version` when it was
//! recorded) older than the document's current `version` does not count.

use std::cmp::Ordering;

use super::evidence::{EvidenceSet, EvidenceStatus};
use super::Requirement;
use crate::plan::PlanDocument;

/// Where an approval was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The document's `## Architecture Approval` section.
    Document,
    /// `.baton/evidence/<item>/approval:<role>.json`.
    Recorded,
}

/// The verdict on one role's approval of an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Approved (for the current version, or without versions to compare).
    Given {
        /// The approver.
        by: String,
        /// Where.
        source: Source,
    },
    /// Approvals exist, but each is for an older version than the document's.
    Outdated {
        /// The newest version approved.
        approved: String,
        /// The document's version.
        current: String,
        /// Where that approval was found.
        source: Source,
        /// The approver.
        by: String,
    },
    /// No approval at all.
    Missing,
}

/// True for an empty or placeholder approver ("TBD", "pending", "-", "[name]").
pub fn is_placeholder(name: &str) -> bool {
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

/// The approval of `role` for `doc`, from its document and the recorded `evidence`. A given
/// approval wins over an outdated one; among outdated ones, the document's is reported.
pub fn approval(doc: &PlanDocument, role: &str, evidence: &EvidenceSet) -> Approval {
    let current = doc.version.as_ref().map(|v| v.text.as_str());
    let judge = |by: &str, approved: Option<&str>, source: Source| match (approved, current) {
        (Some(approved), Some(current)) if compare_versions(approved, current) == Some(Ordering::Less) => {
            Approval::Outdated {
                approved: approved.to_string(),
                current: current.to_string(),
                source,
                by: by.to_string(),
            }
        }
        _ => Approval::Given { by: by.to_string(), source },
    };
    let mut found = Vec::new();
    if role == "architecture" {
        if let Some(section) = &doc.architecture_approval {
            if let Some(by) = section.approved_by.as_ref().filter(|b| !is_placeholder(&b.text)) {
                let approved = section.version_approved.as_ref().map(|v| v.text.as_str());
                found.push(judge(&by.text, approved, Source::Document));
            }
        }
    }
    if let Some(e) = evidence.get(&doc.id, &Requirement::Approval(role.to_string())) {
        if e.status == EvidenceStatus::Pass && !is_placeholder(&e.by) {
            found.push(judge(&e.by, e.version.as_deref(), Source::Recorded));
        }
    }
    let given = found.iter().position(|a| matches!(a, Approval::Given { .. }));
    match given.or(if found.is_empty() { None } else { Some(0) }) {
        Some(i) => found.swap_remove(i),
        None => Approval::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ArchitectureApproval, Located};
    use crate::stage::{Evidence, GitState};

    fn located(text: &str) -> Located {
        Located { text: text.to_string(), range: 0..0, line: 0..0 }
    }

    fn doc(version: Option<&str>, section: Option<(&str, Option<&str>)>) -> PlanDocument {
        PlanDocument {
            path: "docs/specs/WOR-1-spec.md".to_string(),
            id: "WOR-1".to_string(),
            title: None,
            front_matter: None,
            status: None,
            version: version.map(located),
            architecture_approval: section.map(|(by, v)| ArchitectureApproval {
                heading: 0..0,
                approved_by: Some(located(by)),
                version_approved: v.map(located),
            }),
            acceptance_criteria: Vec::new(),
            objective: None,
            workstreams: Vec::new(),
            phases: Vec::new(),
            gates: Vec::new(),
            pocs: Vec::new(),
            kind: crate::plan::PlanKind::WorkItem,
            front_matter_too_long: None,
            names_plans: Vec::new(),
            doc_type: None,
            has_front_matter_id: true,
            front_matter_unread: Vec::new(),
            coverage_target: None,
        }
    }

    fn recorded(version: Option<&str>) -> EvidenceSet {
        let mut set = EvidenceSet::default();
        let mut e = Evidence::approval("architecture", "Ada", None, &GitState::default());
        e.version = version.map(str::to_string);
        set.insert("WOR-1", e);
        set
    }

    #[test]
    fn recorded_approval_counts_like_the_section() {
        let none = EvidenceSet::default();
        assert_eq!(approval(&doc(None, None), "architecture", &none), Approval::Missing);
        assert_eq!(approval(&doc(None, Some(("TBD", None))), "architecture", &none), Approval::Missing);
        assert_eq!(
            approval(&doc(None, None), "architecture", &recorded(None)),
            Approval::Given { by: "Ada".into(), source: Source::Recorded }
        );
        assert_eq!(
            approval(&doc(None, Some(("system-architect", None))), "architecture", &none),
            Approval::Given { by: "system-architect".into(), source: Source::Document }
        );
        // The section only speaks for the architecture role.
        assert_eq!(approval(&doc(None, Some(("system-architect", None))), "qa", &none), Approval::Missing);
    }

    #[test]
    fn an_approval_of_an_older_version_does_not_count_unless_another_is_current() {
        let old_section = doc(Some("1.2.0"), Some(("system-architect", Some("1.1.0"))));
        let none = EvidenceSet::default();
        assert!(matches!(
            approval(&old_section, "architecture", &none),
            Approval::Outdated { source: Source::Document, .. }
        ));
        assert!(matches!(
            approval(&doc(Some("1.2.0"), None), "architecture", &recorded(Some("1.1"))),
            Approval::Outdated { source: Source::Recorded, .. }
        ));
        assert_eq!(
            approval(&old_section, "architecture", &recorded(Some("1.2"))),
            Approval::Given { by: "Ada".into(), source: Source::Recorded }
        );
        // No version on either side: nothing to compare, the approval counts.
        assert!(matches!(approval(&doc(Some("1.2.0"), None), "architecture", &recorded(None)), Approval::Given { .. }));
    }
}
