//! Workflow stages (issue #8, contract §7): the stage model read from `[workflow]`, what an item
//! lacks to enter a stage ([`unmet`], pure, over evidence handed in as data), and the IO around
//! it: evidence files ([`evidence`]), the git state they are judged against ([`git`]), the gate
//! runner ([`gate`]), advancing an item ([`advance`]) and agent briefs ([`brief`]).
//!
//! Semantics and defaults are written down in `docs/stages.md`.

pub mod advance;
pub mod approval;
pub mod brief;
pub mod evidence;
pub mod gate;
pub mod git;

use std::fmt;

use crate::config::Config;
use crate::plan::PlanDocument;
pub use evidence::{Evidence, EvidenceSet, EvidenceStatus, RefusedAdvance};
pub use git::GitState;

/// One thing that must hold to enter a stage.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Requirement {
    /// `gate:<name>`: the `[gates.<name>]` command passed on the current tree.
    Gate(String),
    /// `approval:<role>`: someone approved in that role.
    Approval(String),
}

impl Requirement {
    /// Reads `gate:NAME` or `approval:ROLE`.
    pub fn parse(text: &str) -> Option<Requirement> {
        let (kind, name) = text.trim().split_once(':')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        match kind.trim() {
            "gate" => Some(Requirement::Gate(name.to_string())),
            "approval" => Some(Requirement::Approval(name.to_string())),
            _ => None,
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Gate(name) => write!(f, "gate:{name}"),
            Requirement::Approval(role) => write!(f, "approval:{role}"),
        }
    }
}

/// Built-in status labels, used for the stages that exist in the model when `[workflow.labels]`
/// does not name the text (documented in `docs/stages.md`).
const BUILTIN_LABELS: &[(&str, &str)] = &[
    ("draft", "plan"),
    ("planning", "plan"),
    ("in review", "architecture-review"),
    ("architecture review", "architecture-review"),
    ("in progress", "implement"),
    ("implementing", "implement"),
    ("in development", "implement"),
    ("ready for qa", "qa"),
    ("in qa", "qa"),
];

/// The ordered stages and what each requires, from `[workflow]` (or its defaults).
#[derive(Clone, Debug)]
pub struct StageModel {
    /// Stage names, in order.
    pub stages: Vec<String>,
    requires: Vec<(String, Vec<Requirement>)>,
    labels: Vec<(String, String)>,
}

impl StageModel {
    /// The model of `config.workflow` (defaults apply when `[workflow]` is absent). Requirement
    /// texts that are neither `gate:` nor `approval:` are skipped.
    pub fn from_config(config: &Config) -> StageModel {
        let workflow = &config.workflow;
        let requires = workflow
            .requires
            .iter()
            .map(|(stage, reqs)| (stage.clone(), reqs.iter().filter_map(|r| Requirement::parse(r)).collect()))
            .collect();
        let labels = workflow.labels.iter().map(|(l, s)| (l.clone(), s.clone())).collect();
        StageModel { stages: workflow.stages.clone(), requires, labels }
    }

    /// What `stage` itself lists in `[workflow.requires]`.
    pub fn requires(&self, stage: &str) -> &[Requirement] {
        self.requires.iter().find(|(s, _)| s == stage).map(|(_, r)| r.as_slice()).unwrap_or(&[])
    }

    /// What must hold to stand in `stage`: requirements add up, so these are the requirements of
    /// every stage up to and including it (entering `qa` from `plan` needs `implement`'s too),
    /// each once, with the earliest stage that lists it. A stage not in the model: its own.
    pub fn requires_through<'a>(&'a self, stage: &'a str) -> Vec<(&'a str, &'a Requirement)> {
        let Some(at) = self.stages.iter().position(|s| s == stage) else {
            return self.requires(stage).iter().map(|r| (stage, r)).collect();
        };
        let mut out: Vec<(&str, &Requirement)> = Vec::new();
        for earlier in &self.stages[..=at] {
            for requirement in self.requires(earlier) {
                if !out.iter().any(|(_, r)| *r == requirement) {
                    out.push((earlier.as_str(), requirement));
                }
            }
        }
        out
    }

    /// The position of `stage` in the order.
    pub fn position(&self, stage: &str) -> Option<usize> {
        self.stages.iter().position(|s| s == stage)
    }

    /// The stage a status text names: a `[workflow.labels]` text (case-insensitive), a stage name,
    /// or a built-in label. `None` for a text that names no stage.
    pub fn stage_of(&self, status: &str) -> Option<&str> {
        let text = normalize(status);
        if let Some((_, stage)) = self.labels.iter().find(|(label, _)| normalize(label) == text) {
            return self.stage(stage);
        }
        if let Some(stage) = self.stages.iter().find(|s| normalize(s) == text || s.replace('-', " ") == text) {
            return Some(stage);
        }
        BUILTIN_LABELS.iter().find(|(label, _)| *label == text).and_then(|(_, stage)| self.stage(stage))
    }

    fn stage(&self, name: &str) -> Option<&str> {
        self.stages.iter().find(|s| *s == name).map(String::as_str)
    }

    /// The stage after `stage`.
    pub fn next(&self, stage: &str) -> Option<&str> {
        let at = self.stages.iter().position(|s| s == stage)?;
        self.stages.get(at + 1).map(String::as_str)
    }

    /// True when `later` comes after `stage` (any stage comes after no stage).
    pub fn is_after(&self, later: &str, stage: Option<&str>) -> bool {
        let Some(at) = self.stages.iter().position(|s| s == later) else { return false };
        stage.is_none_or(|s| self.stages.iter().position(|x| x == s).is_some_and(|p| at > p))
    }

    /// True when `stage` is a stage of the model.
    pub fn has(&self, stage: &str) -> bool {
        self.stage(stage).is_some()
    }

    /// The text to write on a status line for `stage`: the first `[workflow.labels]` text that
    /// maps to it, else the stage name.
    pub fn label_for<'a>(&'a self, stage: &'a str) -> &'a str {
        self.labels.iter().find(|(_, s)| s == stage).map(|(l, _)| l.as_str()).unwrap_or(stage)
    }
}

/// Lowercase, inner whitespace collapsed, surrounding punctuation and emoji dropped.
fn normalize(text: &str) -> String {
    let trimmed = text.trim_matches(|c: char| !c.is_alphanumeric());
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Why a requirement does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shortfall {
    /// No evidence at all.
    Missing,
    /// The last run failed (or timed out).
    Failing {
        /// Exit code, when the process exited.
        exit_code: Option<i32>,
        /// The end of its output.
        output_tail: String,
    },
    /// The gate's evidence was recorded on another tree (see [`Evidence::is_current`]), or the
    /// approval is for an older document version (see [`approval`]).
    Stale,
    /// `gate:<name>` names no `[gates.<name>]`.
    NotConfigured,
}

/// A requirement that does not hold, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmet {
    /// The requirement.
    pub requirement: Requirement,
    /// Why.
    pub shortfall: Shortfall,
}

impl fmt::Display for Unmet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.shortfall {
            Shortfall::Missing => write!(f, "{} missing", self.requirement),
            Shortfall::Stale => write!(f, "{} stale", self.requirement),
            Shortfall::NotConfigured => write!(f, "{} not configured", self.requirement),
            Shortfall::Failing { exit_code, output_tail } => {
                match exit_code {
                    Some(code) => write!(f, "{} failing (exit {code})", self.requirement)?,
                    None => write!(f, "{} failing", self.requirement)?,
                }
                let tail = last_line(output_tail);
                if !tail.is_empty() {
                    write!(f, ": {tail}")?;
                }
                Ok(())
            }
        }
    }
}

/// The last non-empty line of `text`, at most 160 characters.
pub fn last_line(text: &str) -> String {
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if line.chars().count() > 160 {
        let cut: String = line.chars().take(157).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// What `item` (its plan document `doc`) lacks to enter `stage`, judged on `evidence` (whose
/// `git` is the tree's current state). Pure. Requirements add up: every stage's requirements up
/// to and including `stage` must hold ([`StageModel::requires_through`]). Approvals are judged by
/// [`approval::approval`] (an `## Architecture Approval` section with an `**Approved by**:` name
/// counts as `approval:architecture`; an approval of an older document version is stale).
pub fn unmet(
    model: &StageModel,
    config: &Config,
    doc: &PlanDocument,
    stage: &str,
    evidence: &EvidenceSet,
) -> Vec<Unmet> {
    model
        .requires_through(stage)
        .into_iter()
        .filter_map(|(_, requirement)| {
            shortfall(config, doc, requirement, evidence)
                .map(|shortfall| Unmet { requirement: requirement.clone(), shortfall })
        })
        .collect()
}

/// What an item standing in `stage` lacks: the requirements of `stage` and every stage before it
/// that it never met (missing, failing, not configured), and `stage`'s own approvals that went
/// stale (the document's version moved past them). Gate evidence that merely went stale since
/// (the code moved on, as it does while an item sits in a stage) is not reported — the gates held
/// when the item entered; the next advance runs them again. Earlier stages' approvals that went
/// stale are not reported either: they held when the item passed. Pure.
pub fn unmet_standing(
    model: &StageModel,
    config: &Config,
    doc: &PlanDocument,
    stage: &str,
    evidence: &EvidenceSet,
) -> Vec<Unmet> {
    let own = model.requires(stage);
    model
        .requires_through(stage)
        .into_iter()
        .filter_map(|(_, requirement)| {
            let shortfall = shortfall(config, doc, requirement, evidence)?;
            let earlier_only = !own.contains(requirement);
            let gate = matches!(requirement, Requirement::Gate(_));
            let moved_on = shortfall == Shortfall::Stale && (earlier_only || gate);
            (!moved_on).then(|| Unmet { requirement: requirement.clone(), shortfall })
        })
        .collect()
}

/// Why `requirement` does not hold for `doc`, if it does not.
fn shortfall(
    config: &Config,
    doc: &PlanDocument,
    requirement: &Requirement,
    evidence: &EvidenceSet,
) -> Option<Shortfall> {
    match requirement {
        Requirement::Approval(role) => match approval::approval(doc, role, evidence) {
            approval::Approval::Given { .. } => None,
            approval::Approval::Outdated { .. } => Some(Shortfall::Stale),
            approval::Approval::Missing => Some(Shortfall::Missing),
        },
        Requirement::Gate(name) => match evidence.get(&doc.id, requirement) {
            _ if !config.gates.contains_key(name) && evidence.get(&doc.id, requirement).is_none() => {
                Some(Shortfall::NotConfigured)
            }
            None => Some(Shortfall::Missing),
            Some(e) if e.status == EvidenceStatus::Fail => Some(Shortfall::Failing {
                exit_code: e.exit_code,
                output_tail: e.output_tail.clone().unwrap_or_default(),
            }),
            Some(e) if !e.is_current(&evidence.git) => Some(Shortfall::Stale),
            Some(_) => None,
        },
    }
}

/// The stage an item's last refused advance tried to enter (`.baton/advance/`), while it is
/// still ahead of the item's current stage, with what it lacks now. `None` when there is no such
/// record, the item has reached that stage, or nothing is lacking any more.
pub fn refused_target<'m>(
    model: &'m StageModel,
    config: &Config,
    doc: &PlanDocument,
    evidence: &EvidenceSet,
) -> Option<(&'m str, Vec<Unmet>)> {
    let record = evidence.refused(&doc.id)?;
    let to = model.stage(&record.to)?;
    if !model.is_after(to, stage_of_document(model, doc)) {
        return None;
    }
    let lacking = unmet(model, config, doc, to, evidence);
    (!lacking.is_empty()).then_some((to, lacking))
}

/// The stage `doc`'s status names, if any.
pub fn stage_of_document<'m>(model: &'m StageModel, doc: &PlanDocument) -> Option<&'m str> {
    doc.status.as_ref().and_then(|s| model.stage_of(&s.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stage_names_and_builtins_map_to_stages() {
        let config = Config::parse("[workflow.labels]\n\"Ready for QAS\" = \"qa\"\n", None).unwrap();
        let model = StageModel::from_config(&config);
        assert_eq!(model.stage_of("ready for qas"), Some("qa"));
        assert_eq!(model.stage_of("✅ Ready for QA"), Some("qa"));
        assert_eq!(model.stage_of("Architecture Review"), Some("architecture-review"));
        assert_eq!(model.stage_of("implement"), Some("implement"));
        assert_eq!(model.stage_of("Ready for QA later maybe"), None);
        assert_eq!(model.next("implement"), Some("qa"));
        assert_eq!(model.next("release"), None);
        assert_eq!(model.label_for("qa"), "Ready for QAS");
        assert_eq!(model.label_for("implement"), "implement");
        assert!(model.is_after("qa", Some("implement")));
        assert!(!model.is_after("implement", Some("implement")));
        assert!(!model.is_after("plan", Some("qa")));
        assert!(model.is_after("plan", None));
        assert!(!model.is_after("shipped", None));
    }

    #[test]
    fn requirements_parse_and_print() {
        assert_eq!(Requirement::parse("gate:type-check"), Some(Requirement::Gate("type-check".into())));
        assert_eq!(Requirement::parse("approval:qa").unwrap().to_string(), "approval:qa");
        assert_eq!(Requirement::parse("gate:"), None);
        assert_eq!(Requirement::parse("review:x"), None);
    }
}
