//! The one workspace-level pass: facts that need more than one file.

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

impl WorkspaceFacts {
    /// Collects the facts from every document of the workspace.
    pub fn collect(docs: &[&Document], config: &Config) -> WorkspaceFacts {
        let mut facts = WorkspaceFacts::default();
        for doc in docs.iter().filter(|d| d.kind.is_ecmascript()) {
            let file = FileFacts::collect(doc);
            let defined = file.top_level_declarations.iter();
            let imported = file.imports.iter().map(|i| if i.imported == "default" { &i.local } else { &i.imported });
            for name in defined.chain(imported) {
                if config.rls.wrappers.contains(name) {
                    facts.rls_wrappers_in_use.insert(name.clone());
                }
            }
        }
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
                facts.sql_findings.entry(path).or_default().push(finding);
            }
        }
        facts
    }
}
