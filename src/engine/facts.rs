//! The one workspace-level pass: facts that need more than one file.
//!
//! Facts are assembled from per-document contributions ([`DocumentFacts`]), so an editor can
//! recompute one document's contribution on each edit and reassemble only when it changed; SQL
//! findings come from replaying every migration sequence ([`WorkspaceFacts::sql_findings`]).

use std::collections::{BTreeSet, HashMap};

use super::{ecma::FileFacts, Finding, SqlRuleContext};
use crate::config::Config;
use crate::rules::{self, Matcher};
use crate::sql::{migration_sequences, MigrationModel};
use crate::syntax::Document;

/// Facts about the whole workspace, computed once from all its documents.
#[derive(Debug, Default)]
pub struct WorkspaceFacts {
    /// Configured RLS wrappers that some file defines or imports. While empty (and
    /// `rls.enforce` is off) the RLS rule stays silent: a plain Prisma app has no context to miss.
    pub rls_wrappers_in_use: BTreeSet<String>,
    /// Findings of the SQL rules, by document path, from replaying each migration sequence.
    pub sql_findings: HashMap<String, Vec<Finding>>,
}

/// What one document contributes to the workspace facts (SQL aside).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentFacts {
    /// Configured RLS wrappers this document defines or imports.
    pub rls_wrappers: BTreeSet<String>,
}

impl DocumentFacts {
    /// Reads one document's contribution.
    pub fn collect(doc: &Document, config: &Config) -> DocumentFacts {
        let mut facts = DocumentFacts::default();
        if !doc.kind.is_ecmascript() {
            return facts;
        }
        let file = FileFacts::collect(doc);
        let defined = file.top_level_declarations.iter();
        let imported = file.imports.iter().map(|i| if i.imported == "default" { &i.local } else { &i.imported });
        for name in defined.chain(imported) {
            if config.rls.wrappers.contains(name) {
                facts.rls_wrappers.insert(name.clone());
            }
        }
        facts
    }
}

impl WorkspaceFacts {
    /// Collects the facts from every document of the workspace.
    pub fn collect(docs: &[&Document], config: &Config) -> WorkspaceFacts {
        let parts: Vec<DocumentFacts> = docs.iter().map(|doc| DocumentFacts::collect(doc, config)).collect();
        let mut facts = WorkspaceFacts::assemble(&parts);
        facts.sql_findings = WorkspaceFacts::sql_findings(docs, config);
        facts
    }

    /// Combines per-document contributions (without SQL findings).
    pub fn assemble<'a>(parts: impl IntoIterator<Item = &'a DocumentFacts>) -> WorkspaceFacts {
        let mut facts = WorkspaceFacts::default();
        for part in parts {
            facts.rls_wrappers_in_use.extend(part.rls_wrappers.iter().cloned());
        }
        facts
    }

    /// Replays every migration sequence and runs the SQL rules on each model.
    pub fn sql_findings(docs: &[&Document], config: &Config) -> HashMap<String, Vec<Finding>> {
        let mut by_path: HashMap<String, Vec<Finding>> = HashMap::new();
        for sequence in migration_sequences(docs, config) {
            let model = MigrationModel::replay(&sequence.documents);
            let ctx = SqlRuleContext { model: &model, config, documents: &sequence.documents };
            let mut found = Vec::new();
            for rule in rules::all() {
                if let Matcher::Sql(check) = rule.matcher {
                    if config.severity_of(rule).is_some() {
                        check(&ctx, &mut found);
                    }
                }
            }
            for (path, finding) in found {
                by_path.entry(path).or_default().push(finding);
            }
        }
        by_path
    }
}
