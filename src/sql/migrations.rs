//! Which SQL files are migrations, and in what order they run.
//!
//! A file is a migration when its folder is one of `[sql] migrations` (matched as a path suffix,
//! so `apps/web/supabase/migrations` counts for `supabase/migrations`), or when it is
//! `<folder>/<name>/migration.sql` (Prisma's layout). Migrations run in file-name order within
//! their folder (Prisma: folder-name order). Every other SQL file is replayed on its own, unless
//! it changes no PostgreSQL schema ([`changes_no_schema`]: a transaction that rolls back, another
//! dialect) or it repeats what the migrations define (decided in `engine::facts`).

use std::collections::BTreeMap;

use crate::config::Config;
use crate::syntax::{Document, FileKind};

/// Documents replayed together, in order.
pub struct MigrationSequence<'a> {
    /// The migrations folder, or the file's own path for a stand-alone SQL file.
    pub folder: String,
    /// True for a real migrations folder.
    pub is_migrations_folder: bool,
    /// The documents in replay order.
    pub documents: Vec<&'a Document>,
}

/// Groups SQL documents into ordered sequences.
pub fn migration_sequences<'a>(docs: &[&'a Document], config: &Config) -> Vec<MigrationSequence<'a>> {
    let mut folders: BTreeMap<String, Vec<(String, &'a Document)>> = BTreeMap::new();
    let mut standalone = Vec::new();
    // Down migrations and files under a folder named after another database are not part of
    // any PostgreSQL forward history ([`skipped_by_path`]).
    for doc in docs.iter().copied().filter(|d| d.kind == FileKind::Sql && skipped_by_path(&d.path).is_none()) {
        match migration_slot(&doc.path, &config.sql.migrations) {
            Some((folder, order_key)) => folders.entry(folder).or_default().push((order_key, doc)),
            None => standalone.push(doc),
        }
    }
    let mut sequences: Vec<MigrationSequence<'a>> = folders
        .into_iter()
        .map(|(folder, mut docs)| {
            docs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(&b.1.path)));
            MigrationSequence {
                folder,
                is_migrations_folder: true,
                documents: docs.into_iter().map(|(_, d)| d).collect(),
            }
        })
        .collect();
    sequences.extend(standalone.into_iter().map(|doc| MigrationSequence {
        folder: doc.path.clone(),
        is_migrations_folder: false,
        documents: vec![doc],
    }));
    sequences
}

/// Why a SQL file is left out of every sequence by its path alone: a down migration, or a file
/// under a folder named after another database.
pub fn skipped_by_path(path: &str) -> Option<&'static str> {
    if super::dialect::is_down_migration(path) {
        return Some("down migration");
    }
    super::dialect::dialect_of_path(path)
}

/// Why a stand-alone SQL file changes no PostgreSQL schema, when it does not:
/// - everything in it runs inside one transaction that ends in `ROLLBACK` (pgTAP tests and
///   other checks written as `begin; … rollback;`);
/// - it is written for another database (`super::dialect::dialect_of_text`; SQLite's
///   `WITHOUT ROWID` too).
pub fn changes_no_schema(doc: &Document) -> Option<&'static str> {
    use squawk_syntax::SyntaxKind;
    let parse = doc.sql()?;
    let root = parse.syntax_node();
    let first_word = |statement: &squawk_syntax::SyntaxNode| {
        statement
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| !t.kind().is_trivia())
            .map(|t| (t.kind(), t.text().to_ascii_lowercase()))
    };
    let mut statements: Vec<_> = root.children().filter_map(|s| first_word(&s).map(|w| (s, w))).collect();
    // pgTAP test files load the extension (and set options) before their transaction.
    let setup = statements
        .iter()
        .take_while(|(s, (kind, _))| {
            *kind == SyntaxKind::SET_KW
                || (s.kind() == SyntaxKind::CREATE_EXTENSION
                    && s.text().to_string().to_ascii_lowercase().contains("pgtap"))
        })
        .count();
    if setup < statements.len() {
        statements.drain(..setup);
    }
    if let (Some((_, (first, _))), Some((last_statement, (last, _)))) = (statements.first(), statements.last()) {
        let opens = matches!(first, SyntaxKind::BEGIN_KW | SyntaxKind::START_KW);
        let rolls_back = matches!(last, SyntaxKind::ROLLBACK_KW | SyntaxKind::ABORT_KW)
            && !last_statement.text().to_string().to_ascii_lowercase().contains("savepoint")
            && !last_statement.text().to_string().to_ascii_lowercase().contains(" to ");
        let commits_between = statements
            .iter()
            .skip(1)
            .take(statements.len().saturating_sub(2))
            .any(|(_, (kind, _))| matches!(kind, SyntaxKind::COMMIT_KW | SyntaxKind::END_KW));
        if opens && rolls_back && !commits_between && statements.len() > 1 {
            return Some("its statements run in a transaction that ends in ROLLBACK");
        }
    }
    if let Some(dialect) = super::dialect::dialect_of_text(&doc.text) {
        return Some(match dialect {
            "ClickHouse" => "it is ClickHouse",
            "MySQL" => "it is MySQL",
            "SQLite" => "it is SQLite",
            _ => "it is MySQL or SQLite",
        });
    }
    let rowid = root.descendants_with_tokens().filter_map(|e| e.into_token()).any(|token| {
        !token.kind().is_trivia() && token.kind() != SyntaxKind::STRING && token.text().eq_ignore_ascii_case("rowid")
    });
    rowid.then_some("it is SQLite (WITHOUT ROWID)")
}

/// For a migration, its folder and the key it is ordered by.
fn migration_slot(path: &str, folders: &[String]) -> Option<(String, String)> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let matches = |dir: &str, folder: &str| {
        let folder = folder.trim_matches('/');
        !folder.is_empty() && (dir == folder || dir.ends_with(&format!("/{folder}")))
    };
    if folders.iter().any(|f| matches(dir, f)) {
        return Some((dir.to_string(), name.to_string()));
    }
    if name == "migration.sql" {
        let (parent, migration) = dir.rsplit_once('/').unwrap_or(("", dir));
        if folders.iter().any(|f| matches(parent, f)) {
            return Some((parent.to_string(), migration.to_string()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(path: &str) -> Document {
        Document::parse(path, FileKind::Sql, "select 1;")
    }

    #[test]
    fn orders_by_file_name_within_each_folder() {
        let docs = [
            doc("supabase/migrations/20240201_b.sql"),
            doc("supabase/migrations/20240101_a.sql"),
            doc("prisma/migrations/20240301_x/migration.sql"),
            doc("prisma/migrations/20240105_y/migration.sql"),
            doc("scripts/check.sql"),
            doc("apps/web/db/migrations/001.sql"),
        ];
        let refs: Vec<&Document> = docs.iter().collect();
        let config = Config::default();
        let sequences = migration_sequences(&refs, &config);
        let shape: Vec<(&str, bool, Vec<&str>)> = sequences
            .iter()
            .map(|s| (s.folder.as_str(), s.is_migrations_folder, s.documents.iter().map(|d| d.path.as_str()).collect()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("apps/web/db/migrations", true, vec!["apps/web/db/migrations/001.sql"]),
                (
                    "prisma/migrations",
                    true,
                    vec!["prisma/migrations/20240105_y/migration.sql", "prisma/migrations/20240301_x/migration.sql"]
                ),
                (
                    "supabase/migrations",
                    true,
                    vec!["supabase/migrations/20240101_a.sql", "supabase/migrations/20240201_b.sql"]
                ),
                ("scripts/check.sql", false, vec!["scripts/check.sql"]),
            ]
        );
    }

    #[test]
    fn files_that_change_no_schema_are_told_apart() {
        let sql = |text: &str| changes_no_schema(&Document::parse("supabase/tests/t.sql", FileKind::Sql, text));
        assert!(
            sql("begin;\nselect plan(1);\ncreate table t (id int);\nselect * from finish();\nrollback;\n").is_some()
        );
        assert!(sql("BEGIN;\ncreate table t (id int);\n-- done\nABORT;").is_some());
        assert!(sql("create extension if not exists pgtap;\nbegin;\nselect plan(1);\nselect ok(true);\nrollback;")
            .is_some());
        assert!(sql("create extension if not exists citext;\nbegin;\nselect 1;\nrollback;").is_none());
        assert!(sql("begin;\ncreate table t (id int);\ncommit;\n").is_none());
        assert!(sql("begin;\ncreate table t (id int);\ncommit;\nbegin;\nselect 1;\nrollback;").is_none());
        assert!(sql("begin;\nsavepoint a;\ncreate table t (id int);\nrollback to savepoint a;").is_none());
        assert!(sql("create table t (id integer primary key autoincrement, name text);").is_some());
        assert!(sql("PRAGMA foreign_keys = ON;\ncreate table t (id integer primary key);").is_some());
        assert!(sql("create table `t` (`id` int) engine = InnoDB;").is_some());
        assert!(sql(
            "create table t (id bigint generated always as identity primary key, note text default 'autoincrement');"
        )
        .is_none());
        assert!(sql("create table public.t (id uuid primary key);").is_none());
    }

    #[test]
    fn folder_names_must_match_whole_components() {
        assert_eq!(migration_slot("mymigrations/1.sql", &["migrations".into()]), None);
        assert_eq!(migration_slot("migrations/sub/1.sql", &["migrations".into()]), None);
        assert_eq!(
            migration_slot("migrations/1.sql", &["migrations".into()]),
            Some(("migrations".into(), "1.sql".into()))
        );
    }
}
