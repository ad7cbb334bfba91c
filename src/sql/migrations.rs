//! Which SQL files are migrations, and in what order they run.
//!
//! A file is a migration when its folder is one of `[sql] migrations` (matched as a path suffix,
//! so `apps/web/supabase/migrations` counts for `supabase/migrations`), or when it is
//! `<folder>/<name>/migration.sql` (Prisma's layout). Migrations run in file-name order within
//! their folder (Prisma: folder-name order). Every other SQL file is replayed on its own.

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
    for doc in docs.iter().copied().filter(|d| d.kind == FileKind::Sql) {
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
    fn folder_names_must_match_whole_components() {
        assert_eq!(migration_slot("mymigrations/1.sql", &["migrations".into()]), None);
        assert_eq!(migration_slot("migrations/sub/1.sql", &["migrations".into()]), None);
        assert_eq!(
            migration_slot("migrations/1.sql", &["migrations".into()]),
            Some(("migrations".into(), "1.sql".into()))
        );
    }
}
