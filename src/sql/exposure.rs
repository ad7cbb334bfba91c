//! Whether the workspace's database is exposed through a Data API (Supabase's PostgREST and
//! pg_graphql), which the rules whose harm is exposure through that API need
//! (docs/rules/sql/README.md, "Which schemas the rules look at").
//!
//! `[sql] exposed_schemas`, when set (`[]` included), always wins. Otherwise the schemas are
//! `public` when the workspace shows a Data API, and none when it does not: a Prisma or plain
//! PostgreSQL project whose database only its server reaches.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

use crate::config::Config;

/// The evidence of a Data API found in one file, as a short phrase, if any. `path` is relative
/// to the workspace; `text` is the file's content (SQL files and `package.json` are read, other
/// files by their path only).
pub fn evidence_in(path: &str, text: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit_once('/').map_or(lower.as_str(), |(_, name)| name);
    let in_supabase = lower.starts_with("supabase/") || lower.contains("/supabase/");
    if in_supabase && (name == "config.toml" || name.ends_with(".sql")) {
        return Some("a `supabase/` project");
    }
    if name == "package.json" {
        return (text.contains("\"@supabase/supabase-js\"") || text.contains("\"@supabase/ssr\""))
            .then_some("`@supabase/supabase-js` in a package.json");
    }
    if !name.ends_with(".sql") {
        return None;
    }
    static PATTERNS: OnceLock<Regex> = OnceLock::new();
    let pattern = PATTERNS.get_or_init(|| {
        Regex::new(
            r#"(?i)\bauth\s*\.\s*(uid|jwt|role)\s*\(|\b(to|from)\s+(("?[a-z_][a-z0-9_]*"?)\s*,\s*)*"?(anon|authenticated|service_role)\b|\bpgrst\.db_schemas\b|\bdb-schemas\b"#,
        )
        .expect("valid pattern")
    });
    pattern.find(text).map(|found| {
        let word = found.as_str().to_ascii_lowercase();
        if word.starts_with("auth") {
            "`auth.uid()` / `auth.jwt()` in SQL"
        } else if word.contains("pgrst") || word.contains("db-schemas") {
            "PostgREST settings in SQL"
        } else {
            "grants or policies for `anon` / `authenticated` / `service_role`"
        }
    })
}

/// The first evidence of a Data API among `files` (path, text).
pub fn workspace_evidence<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<&'static str> {
    files.into_iter().find_map(|(path, text)| evidence_in(path, text))
}

/// `config` with `[sql] exposed_schemas` decided: as configured when it is set, else `public`
/// when `files` show a Data API, else no schema.
pub fn resolve<'c, 'a>(config: &'c Config, files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Cow<'c, Config> {
    if config.sql.exposed_schemas.is_some() {
        return Cow::Borrowed(config);
    }
    let mut resolved = config.clone();
    resolved.sql.exposed_schemas = Some(match workspace_evidence(files) {
        Some(_) => vec!["public".to_string()],
        None => Vec::new(),
    });
    Cow::Owned(resolved)
}

/// The rules that report only in an exposed schema (their harm is exposure through the API).
pub const EXPOSURE_RULES: &[&str] = &[
    "sql/rls-disabled-in-public",
    "sql/rls-enabled-no-policy",
    "sql/security-definer-view",
    "sql/auth-users-exposed",
    "sql/graphql-table-exposed",
    "sql/security-definer-function-executable",
    "sql/extension-in-public",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_of_a_data_api() {
        assert!(evidence_in("supabase/migrations/20240101_a.sql", "create table t (id int);").is_some());
        assert!(evidence_in("apps/web/supabase/config.toml", "").is_some());
        assert!(evidence_in("package.json", r#"{"dependencies": {"@supabase/supabase-js": "^2"}}"#).is_some());
        assert!(evidence_in("db/migrations/1.sql", "create policy p on t using (auth.uid() = owner);").is_some());
        assert!(evidence_in("db/migrations/1.sql", "grant select on t to anon, authenticated;").is_some());
        assert!(evidence_in("db/migrations/1.sql", "create policy p on t to \"authenticated\" using (true);").is_some());
        assert!(evidence_in("db/migrations/1.sql", "alter role authenticator set pgrst.db_schemas = 'api';").is_some());
        // A Prisma project: none of that.
        assert!(evidence_in("prisma/migrations/1_init/migration.sql", "CREATE TABLE \"User\" (\"id\" TEXT);").is_none());
        assert!(evidence_in("package.json", r#"{"dependencies": {"@prisma/client": "5"}}"#).is_none());
        assert!(evidence_in("db/migrations/1.sql", "grant select on t to app_reader;").is_none());
        assert!(evidence_in("db/migrations/1.sql", "create table anon_visits (authenticated boolean);").is_none());
    }

    #[test]
    fn an_explicit_setting_wins() {
        let plain = Config::default();
        let prisma = [("prisma/migrations/1_init/migration.sql", "CREATE TABLE \"User\" (\"id\" TEXT);")];
        assert_eq!(resolve(&plain, prisma).sql.exposed_schemas(), Vec::<String>::new());
        let supabase = [("supabase/migrations/1.sql", "create table t (id int);")];
        assert_eq!(resolve(&plain, supabase).sql.exposed_schemas(), ["public"]);
        let explicit = Config::parse("[sql]\nexposed_schemas = [\"api\"]\n", None).unwrap();
        assert_eq!(resolve(&explicit, prisma).sql.exposed_schemas(), ["api"]);
        let off = Config::parse("[sql]\nexposed_schemas = []\n", None).unwrap();
        assert!(resolve(&off, supabase).sql.exposed_schemas().is_empty());
    }
}
