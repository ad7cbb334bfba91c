//! The one workspace-level pass: facts that need more than one file.

use std::collections::{BTreeSet, HashMap};

use super::ecma::{self, FileFacts};
use super::{Finding, SqlRuleContext};
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
    /// Local names that re-export a configured RLS wrapper under another name
    /// (`export { withUserContext as withTenant } from "./context"`).
    pub rls_wrapper_aliases: BTreeSet<String>,
    /// Names each module exports as functions that return a promise (declared `async` or
    /// returning `new Promise`), keyed by [`ecma::module_key`]. Re-exports are followed.
    pub async_exports: HashMap<String, BTreeSet<String>>,
    /// Findings of the SQL rules, by document path, from replaying each migration sequence.
    pub sql_findings: HashMap<String, Vec<Finding>>,
}

impl WorkspaceFacts {
    /// True when the module that `specifier` names (imported from the file at `from`) exports
    /// `name` as a promise-returning function.
    pub fn exports_async(&self, from: &str, specifier: &str, name: &str) -> bool {
        ecma::resolve_module(from, specifier)
            .iter()
            .any(|key| self.async_exports.get(key).is_some_and(|names| names.contains(name)))
    }

    /// Collects the facts from every document of the workspace.
    pub fn collect(docs: &[&Document], config: &Config) -> WorkspaceFacts {
        let mut facts = WorkspaceFacts::default();
        let mut reexports: Vec<(String, ecma::Export)> = Vec::new();
        for doc in docs.iter().filter(|d| d.kind.is_ecmascript()) {
            let file = FileFacts::collect(doc);
            let defined = file.top_level_declarations.iter();
            let imported = file.imports.iter().map(|i| if i.imported == "default" { &i.local } else { &i.imported });
            for name in defined.chain(imported) {
                if config.rls.wrappers.contains(name) {
                    facts.rls_wrappers_in_use.insert(name.clone());
                }
            }
            let key = ecma::module_key(&doc.path).to_string();
            for export in &file.exports {
                let original = file.original_name(&export.local);
                if export.exported != export.local && config.rls.wrappers.iter().any(|w| w == original) {
                    facts.rls_wrapper_aliases.insert(export.exported.clone());
                }
                match &export.source {
                    Some(_) => reexports.push((doc.path.clone(), export.clone())),
                    None if file.async_functions.contains(&export.local) => {
                        facts.async_exports.entry(key.clone()).or_default().insert(export.exported.clone());
                    }
                    None => {}
                }
            }
        }
        // Follow re-exports (`export { f } from "./f"`), a few levels deep.
        for _ in 0..3 {
            let mut added = false;
            for (path, export) in &reexports {
                let Some(source) = &export.source else { continue };
                let is_async = ecma::resolve_module(path, source)
                    .iter()
                    .any(|k| facts.async_exports.get(k).is_some_and(|names| names.contains(&export.local)));
                if is_async {
                    added |= facts
                        .async_exports
                        .entry(ecma::module_key(path).to_string())
                        .or_default()
                        .insert(export.exported.clone());
                }
            }
            if !added {
                break;
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
