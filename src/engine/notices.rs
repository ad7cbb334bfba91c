//! Configuration notices (issue 23, item 7): which `baton.toml` key can settle a rule's
//! findings, and which rules stay silent for lack of configuration. Shown as footer lines by the
//! human output, as fields by the JSON output (docs/output.md) and in the editor's diagnostic
//! text.

use serde::Serialize;

use super::WorkspaceFacts;
use crate::config::Config;
use crate::handoff::WorkspaceFiles;
use crate::rules;

/// The configuration keys that can settle a rule's findings, and a sentence saying how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigHint {
    /// Dotted keys of `baton.toml` (`auth.public_routes`).
    pub keys: &'static [&'static str],
    /// How they settle a finding, in one sentence.
    pub text: &'static str,
}

/// The hint for a rule's findings, if a configuration key can settle them.
pub fn config_hint(rule: &str) -> Option<ConfigHint> {
    let hint = match rule {
        "auth/route-missing-auth" => ConfigHint {
            keys: &["auth.public_routes", "auth.public_tables", "auth.guards", "auth.wrappers"],
            text: "a route that is public by design goes in `[auth] public_routes`, a table anyone may read in `[auth] public_tables`; a guard or an auth wrapper Baton cannot see goes in `[auth] guards` or `[auth] wrappers`",
        },
        "rls/prisma-outside-context" => ConfigHint {
            keys: &["rls.wrappers", "rls.clients"],
            text: "a function that sets the RLS context under another name goes in `[rls] wrappers`; a client that is already scoped is left out of `[rls] clients`",
        },
        "auth/jwt-verify-no-algorithms" => ConfigHint {
            keys: &["jwt.algorithms"],
            text: "`[jwt] algorithms` names the algorithms your tokens use; the quick fix then inserts them without asking",
        },
        _ => return None,
    };
    Some(hint)
}

/// A rule that checks nothing because of the configuration, and the keys that would make it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigNotice {
    /// The rule id.
    pub rule: &'static str,
    /// Dotted keys of `baton.toml` that would change it.
    pub keys: Vec<&'static str>,
    /// What is going on and what to set.
    pub message: String,
}

/// Rules that are enabled but inactive for lack of configuration: `rls/prisma-outside-context`
/// in a Prisma workspace (one with a `schema.prisma`) where no file defines or imports a
/// configured RLS wrapper and `rls.enforce` is off.
pub fn inactive_rules(config: &Config, facts: &WorkspaceFacts, files: &WorkspaceFiles) -> Vec<ConfigNotice> {
    let mut notices = Vec::new();
    let rule = "rls/prisma-outside-context";
    let enabled = rules::find(rule).and_then(|r| config.severity_of(r)).is_some();
    let uses_prisma = files.paths().any(|p| p == "schema.prisma" || p.ends_with("/schema.prisma"));
    if enabled && !config.rls.enforce && facts.rls_wrappers_in_use.is_empty() && uses_prisma {
        let wrappers = config.rls.wrappers.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ");
        notices.push(ConfigNotice {
            rule,
            keys: vec!["rls.wrappers", "rls.enforce"],
            message: format!(
                "{rule} checked nothing: no file defines or imports an RLS context wrapper ([rls] wrappers = {}); name yours in `[rls] wrappers`, or set `[rls] enforce = true` to report every raw Prisma call",
                if wrappers.is_empty() { "none".to_string() } else { wrappers }
            ),
        });
    }
    notices
}

/// The SQL notices (docs/rules/sql/README.md): the exposure rules checked nothing because
/// nothing in the workspace shows a Data API and `[sql] exposed_schemas` is not set; SQL files
/// left out of the PostgreSQL analysis (another database's SQL, down migrations). `files` are
/// the workspace's files with their text (path, text).
pub fn sql_notices<'a>(config: &Config, files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<ConfigNotice> {
    use crate::syntax::{Document, FileKind};
    let files: Vec<(&str, &str)> = files.into_iter().collect();
    let sql: Vec<(&str, &str)> = files.iter().copied().filter(|(path, _)| path.ends_with(".sql")).collect();
    let mut notices = Vec::new();
    if sql.is_empty() {
        return notices;
    }
    // Which files are left out, and why: by their path, by their text, or because their
    // migrations folder is another database's.
    let stand_ins: Vec<Document> = sql.iter().map(|(path, _)| Document::parse(*path, FileKind::Sql, "")).collect();
    let refs: Vec<&Document> = stand_ins.iter().collect();
    let text_of: std::collections::HashMap<&str, &str> = sql.iter().copied().collect();
    let mut skipped: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut down_sections = 0;
    for (path, text) in &sql {
        if let Some(reason) = crate::sql::migrations::skipped_by_path(path) {
            *skipped.entry(reason).or_default() += 1;
        } else if crate::sql::dialect::down_section_start(text).is_some() {
            down_sections += 1;
        }
    }
    for sequence in crate::sql::migration_sequences(&refs, config) {
        let dialects: Vec<&'static str> = sequence
            .documents
            .iter()
            .filter_map(|d| crate::sql::dialect::dialect_of_text(text_of.get(d.path.as_str()).copied().unwrap_or("")))
            .collect();
        if let Some(first) = dialects.first() {
            *skipped.entry(first).or_default() += sequence.documents.len();
        }
    }
    if !skipped.is_empty() || down_sections > 0 {
        let mut parts: Vec<String> = skipped
            .iter()
            .map(|(reason, n)| match *reason {
                "down migration" => format!("{n} down migration{}", if *n == 1 { "" } else { "s" }),
                dialect => format!("{n} {dialect}"),
            })
            .collect();
        if down_sections > 0 {
            parts.push(format!(
                "the `-- migrate:down` section of {down_sections} file{}",
                if down_sections == 1 { "" } else { "s" }
            ));
        }
        notices.push(ConfigNotice {
            rule: "sql/*",
            keys: vec!["exclude"],
            message: format!(
                "SQL read as PostgreSQL forward migrations only: skipped {} (another database's SQL, or a rollback that is not part of the forward history); a file misread as another database's can be reported as a Baton bug, one to leave out goes in the top-level `exclude`",
                parts.join(", ")
            ),
        });
    }
    let exposure_enabled = crate::sql::exposure::EXPOSURE_RULES
        .iter()
        .any(|id| rules::find(id).and_then(|r| config.severity_of(r)).is_some());
    if exposure_enabled
        && config.sql.exposed_schemas.is_none()
        && crate::sql::exposure::workspace_evidence(files.iter().copied()).is_none()
    {
        notices.push(ConfigNotice {
            rule: "sql/*",
            keys: vec!["sql.exposed_schemas"],
            message: format!(
                "{} checked nothing: no file shows a Supabase/PostgREST Data API (a `supabase/` project, `@supabase/supabase-js`, grants or policies for `anon`/`authenticated`, `auth.uid()`), so no schema is exposed; if yours is, set `[sql] exposed_schemas = [\"public\"]`",
                crate::sql::exposure::EXPOSURE_RULES.join(", ")
            ),
        });
    }
    notices
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Document, FileKind};

    fn notices(config: &Config, paths: &[&str], wrapper_file: Option<&str>) -> Vec<ConfigNotice> {
        let mut docs = Vec::new();
        if let Some(text) = wrapper_file {
            docs.push(Document::parse("lib/context.ts", FileKind::TypeScript, text));
        }
        let refs: Vec<&Document> = docs.iter().collect();
        let files = WorkspaceFiles::from_paths(paths.iter().map(|p| p.to_string()));
        let facts = WorkspaceFacts::collect_with_inputs(&refs, config, &files, &Default::default());
        inactive_rules(config, &facts, &files)
    }

    #[test]
    fn the_rls_rule_is_reported_inactive_only_in_a_prisma_workspace_without_a_wrapper() {
        let config = Config::default();
        let found = notices(&config, &["prisma/schema.prisma", "app/page.tsx"], None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "rls/prisma-outside-context");
        assert!(found[0].message.contains("`withUserContext`"), "{}", found[0].message);
        // No Prisma schema: nothing to say.
        assert!(notices(&config, &["app/page.tsx"], None).is_empty());
        // A configured wrapper defined somewhere: the rule is active.
        let wrapper = "export async function withUserContext(id: string, fn: () => Promise<void>) { await fn(); }\n";
        assert!(notices(&config, &["prisma/schema.prisma"], Some(wrapper)).is_empty());
        // Enforced, or turned off: nothing to say either.
        let mut enforced = Config::default();
        enforced.rls.enforce = true;
        assert!(notices(&enforced, &["prisma/schema.prisma"], None).is_empty());
        let off = Config::parse("[rules]\n\"rls/prisma-outside-context\" = \"off\"\n", None).unwrap();
        assert!(notices(&off, &["prisma/schema.prisma"], None).is_empty());
    }

    #[test]
    fn sql_notices_say_why_rules_are_silent_and_what_was_skipped() {
        let prisma = [
            ("prisma/migrations/1_init/migration.sql", "CREATE TABLE \"User\" (\"id\" TEXT NOT NULL);"),
            ("package.json", r#"{"dependencies": {"@prisma/client": "5"}}"#),
        ];
        let config = Config::default();
        let found = sql_notices(&config, prisma);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].keys, ["sql.exposed_schemas"]);
        assert!(found[0].message.contains("sql/rls-disabled-in-public"), "{}", found[0].message);
        // Evidence of a Data API, or the setting itself: nothing to say.
        let supabase = [("supabase/migrations/1.sql", "create table t (id int);")];
        assert!(sql_notices(&config, supabase).is_empty());
        let explicit = Config::parse("[sql]\nexposed_schemas = []\n", None).unwrap();
        assert!(sql_notices(&explicit, prisma).is_empty());
        let off = Config::parse("[rules]\n\"sql/*\" = \"off\"\n", None).unwrap();
        assert!(sql_notices(&off, prisma).is_empty());
        // No SQL at all: nothing either.
        assert!(sql_notices(&config, [("package.json", "{}")]).is_empty());
        // Another database's folder, down migrations, a MySQL Prisma history (one file settles it).
        let mixed = [
            ("supabase/migrations/1.sql", "create table t (id int);"),
            ("db/clickhouse/migrations/1_events.sql", "CREATE TABLE e (id String) ENGINE = MergeTree ORDER BY id;"),
            ("migrations/0001_a.up.sql", "create table a (id int);"),
            ("migrations/0001_a.down.sql", "drop table a;"),
            ("shop/prisma/migrations/1_init/migration.sql", "CREATE TABLE `Order` (`id` INT);"),
            ("shop/prisma/migrations/2_note/migration.sql", "ALTER TABLE Orders ADD COLUMN note TEXT;"),
            ("db/migrations/1_dbmate.sql", "-- migrate:up\ncreate table b (id int);\n-- migrate:down\ndrop table b;\n"),
        ];
        let found = sql_notices(&config, mixed);
        assert_eq!(found.len(), 1, "{found:?}");
        let message = &found[0].message;
        for part in ["1 ClickHouse", "1 down migration,", "2 MySQL", "`-- migrate:down` section of 1 file"] {
            assert!(message.contains(part), "{part}: {message}");
        }
    }

    #[test]
    fn hints_name_the_keys_that_settle_a_finding() {
        let route = config_hint("auth/route-missing-auth").unwrap();
        assert!(route.keys.contains(&"auth.public_routes") && route.text.contains("[auth] public_routes"));
        assert!(config_hint("rls/prisma-outside-context").unwrap().keys.contains(&"rls.wrappers"));
        assert!(config_hint("patterns/dto-interface").is_none());
    }
}
