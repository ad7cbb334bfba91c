//! The schema model: what the database looks like after replaying migrations in order.
//!
//! Each statement updates the model and remembers where it happened, so a rule can report at
//! the statement that caused a problem (or the one that should have fixed it). Statements the
//! model cannot see into (`DO` blocks, dynamic SQL) mark the tables they mention as uncertain:
//! rules stay silent on uncertain tables, because no finding beats a wrong one.

use std::collections::BTreeMap;
use std::ops::Range;

use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::names::{path_segments, qualify, QualifiedName};
use crate::syntax::Document;

/// A place in a migration: a file and a byte range in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Workspace-relative path.
    pub path: String,
    /// Byte range.
    pub range: Range<usize>,
}

/// A table as the migrations leave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Its current name.
    pub name: QualifiedName,
    /// The `CREATE TABLE` statement.
    pub created: Location,
    /// The name as written in the `CREATE TABLE` statement (for fixes).
    pub created_name_text: String,
    /// From the start of the `CREATE TABLE` statement to the end of the table name: where
    /// findings about the table are shown.
    pub created_head: Location,
    /// Whether row level security is enabled at the end of the replay.
    pub rls_enabled: bool,
    /// Whether row level security is forced for the owner.
    pub rls_forced: bool,
    /// Every `ENABLE`/`DISABLE ROW LEVEL SECURITY`, in order: where, and whether it enabled.
    pub rls_changes: Vec<(Location, bool)>,
    /// A statement the model cannot see into touched this table.
    pub uncertain: bool,
}

/// The replayed schema.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationModel {
    /// Tables by current name.
    pub tables: BTreeMap<QualifiedName, Table>,
}

/// Replay state that lives for one file (one session).
struct Session {
    search_path: Vec<String>,
}

impl MigrationModel {
    /// Replays `documents` in order.
    pub fn replay(documents: &[&Document]) -> MigrationModel {
        let mut model = MigrationModel::default();
        for doc in documents {
            let Some(parse) = doc.sql() else { continue };
            let mut session = Session { search_path: vec!["public".to_string()] };
            for statement in parse.syntax_node().children() {
                model.apply(doc, &statement, &mut session);
            }
        }
        model
    }

    /// Applies one top-level statement.
    fn apply(&mut self, doc: &Document, statement: &SyntaxNode, session: &mut Session) {
        let here = |node: &SyntaxNode| Location { path: doc.path.clone(), range: text_range(node) };
        match statement.kind() {
            SyntaxKind::CREATE_TABLE => {
                let Some(name_node) = child(statement, SyntaxKind::TABLE_NAME) else { return };
                let Some(mut name) = qualify(&path_segments(&name_node), &session.search_path) else { return };
                if is_temporary(statement) {
                    name.schema = "pg_temp".to_string();
                }
                if self.tables.contains_key(&name) && child(statement, SyntaxKind::IF_NOT_EXISTS).is_some() {
                    return;
                }
                let table = Table {
                    name: name.clone(),
                    created: here(statement),
                    created_name_text: name_node.text().to_string(),
                    created_head: Location {
                        path: doc.path.clone(),
                        range: text_range(statement).start..text_range(&name_node).end,
                    },
                    rls_enabled: false,
                    rls_forced: false,
                    rls_changes: Vec::new(),
                    uncertain: false,
                };
                self.tables.insert(name, table);
            }
            SyntaxKind::ALTER_TABLE => {
                let Some(relation) = child(statement, SyntaxKind::TABLE_RELATION_NAME) else { return };
                let Some(mut name) = qualify(&path_segments(&relation), &session.search_path) else { return };
                for action in statement.children() {
                    let Some(table) = self.tables.get_mut(&name) else { return };
                    match action.kind() {
                        SyntaxKind::ENABLE_RLS | SyntaxKind::DISABLE_RLS => {
                            let enabled = action.kind() == SyntaxKind::ENABLE_RLS;
                            table.rls_enabled = enabled;
                            table.rls_changes.push((here(statement), enabled));
                        }
                        SyntaxKind::FORCE_RLS => table.rls_forced = true,
                        SyntaxKind::NO_FORCE_RLS => table.rls_forced = false,
                        SyntaxKind::TABLE_RENAME_TO => {
                            let Some(segments) = child(&action, SyntaxKind::TABLE_NAME).map(|n| path_segments(&n))
                            else {
                                continue;
                            };
                            let Some(new_name) = segments.last() else { continue };
                            name = self.rename(&name, QualifiedName::new(name.schema.clone(), new_name.clone()));
                        }
                        SyntaxKind::SET_SCHEMA => {
                            let Some(schema) = path_segments(&action).last().cloned() else { continue };
                            name = self.rename(&name, QualifiedName::new(schema, name.name.clone()));
                        }
                        _ => {}
                    }
                }
            }
            SyntaxKind::DROP_TABLE => {
                for reference in statement.children().filter(|n| n.kind() == SyntaxKind::TABLE_NAME_REF) {
                    if let Some(name) = qualify(&path_segments(&reference), &session.search_path) {
                        self.tables.remove(&name);
                    }
                }
            }
            SyntaxKind::SET => {
                let Some(config) = child(statement, SyntaxKind::SET_CONFIG) else { return };
                let parameter = child(&config, SyntaxKind::CONFIG_PARAMETER_REF).map(|p| path_segments(&p));
                if parameter.as_deref() == Some(&["search_path".to_string()]) {
                    let schemas: Vec<String> = config
                        .descendants()
                        .filter(|n| n.kind() == SyntaxKind::CONFIG_VALUE_NAME || n.kind() == SyntaxKind::LITERAL)
                        .flat_map(|n| path_segments(&n))
                        .map(|s| s.trim_matches('\'').to_string())
                        .filter(|s| !s.is_empty() && s != "$user")
                        .collect();
                    session.search_path = schemas;
                }
            }
            SyntaxKind::DO => self.mark_uncertain_in(&statement.text().to_string()),
            _ => {}
        }
    }

    /// Moves a table to a new name; returns the name to use for later actions.
    fn rename(&mut self, from: &QualifiedName, to: QualifiedName) -> QualifiedName {
        if let Some(mut table) = self.tables.remove(from) {
            table.name = to.clone();
            self.tables.insert(to.clone(), table);
        }
        to
    }

    /// Marks every table whose name appears in opaque code (a `DO` block) as uncertain.
    fn mark_uncertain_in(&mut self, code: &str) {
        let code = code.to_lowercase();
        for table in self.tables.values_mut() {
            if contains_word(&code, &table.name.name.to_lowercase()) {
                table.uncertain = true;
            }
        }
    }
}

/// True for `CREATE TEMP[ORARY] TABLE`: such tables live in the session's own schema.
fn is_temporary(create: &SyntaxNode) -> bool {
    child(create, SyntaxKind::TEMP).is_some()
}

/// The first child node of `kind`.
fn child(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxNode> {
    node.children().find(|n| n.kind() == kind)
}

/// A node's byte range.
pub fn text_range(node: &SyntaxNode) -> Range<usize> {
    let range = node.text_range();
    usize::from(range.start())..usize::from(range.end())
}

/// True when `word` occurs in `text` not as part of a longer identifier.
fn contains_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    fn replay(files: &[(&str, &str)]) -> MigrationModel {
        let docs: Vec<Document> = files.iter().map(|(p, t)| Document::parse(*p, FileKind::Sql, *t)).collect();
        let refs: Vec<&Document> = docs.iter().collect();
        MigrationModel::replay(&refs)
    }

    fn table<'m>(model: &'m MigrationModel, schema: &str, name: &str) -> Option<&'m Table> {
        model.tables.get(&QualifiedName::new(schema, name))
    }

    #[test]
    fn rls_enabled_in_a_later_migration_counts() {
        let model = replay(&[
            ("m/1.sql", "create table public.a (id int);"),
            ("m/2.sql", "alter table a enable row level security;"),
        ]);
        let a = table(&model, "public", "a").unwrap();
        assert!(a.rls_enabled);
        assert_eq!(a.created.path, "m/1.sql");
        assert_eq!(a.rls_changes[0].0.path, "m/2.sql");
    }

    #[test]
    fn disable_after_enable_leaves_it_disabled() {
        let model = replay(&[("m/1.sql", "create table a (id int);\nalter table a enable row level security;\nalter table only public.a disable row level security;")]);
        assert!(!table(&model, "public", "a").unwrap().rls_enabled);
    }

    #[test]
    fn search_path_quoting_rename_and_drop() {
        let model = replay(&[
            ("m/1.sql", "set search_path = app;\ncreate table t (id int);\ncreate table \"Mixed\" (id int);\ncreate table gone (id int);"),
            ("m/2.sql", "create table u (id int);\nalter table app.t rename to t2;\nalter table app.t2 set schema public;\ndrop table if exists app.gone;"),
        ]);
        let names: Vec<String> = model.tables.keys().map(|n| n.to_string()).collect();
        assert_eq!(names, ["app.\"Mixed\"", "public.t2", "public.u"]);
        let model = replay(&[(
            "m/1.sql",
            "create temporary table buf (x int);\ncreate temp table buf2 (x int);\ncreate unlogged table logs (x int);",
        )]);
        let names: Vec<String> = model.tables.keys().map(|n| n.to_string()).collect();
        assert_eq!(names, ["pg_temp.buf", "pg_temp.buf2", "public.logs"]);
    }

    #[test]
    fn if_not_exists_keeps_the_first_definition() {
        let model = replay(&[("m/1.sql", "create table a (id int);\nalter table a enable row level security;\ncreate table if not exists a (id int);")]);
        assert!(table(&model, "public", "a").unwrap().rls_enabled);
    }

    #[test]
    fn do_blocks_make_mentioned_tables_uncertain() {
        let model = replay(&[(
            "m/1.sql",
            "create table accounts (id int);\ncreate table accounts_log (id int);\ndo $$ begin execute 'alter table accounts enable row level security'; end $$;",
        )]);
        assert!(table(&model, "public", "accounts").unwrap().uncertain);
        assert!(!table(&model, "public", "accounts_log").unwrap().uncertain);
    }
}
