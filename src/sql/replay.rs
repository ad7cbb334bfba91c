//! Replaying migrations statement by statement into a [`MigrationModel`].
//!
//! Every handler reads squawk's typed tree by node kinds and never fails: a statement it does
//! not understand (half-typed SQL, an unknown form) changes nothing. Nothing here recurses over
//! the tree except rowan's own iterative `descendants()`.

use std::collections::BTreeSet;

use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::model::{
    Column, Event, EventKind, Extension, ForeignKey, Function, Index, Location, MigrationModel, Policy, PolicyCommand,
    Table, View,
};
use super::names::{normalize_identifier, path_segments, qualify, QualifiedName};
use super::policy_expr;
use crate::syntax::Document;

/// The roles whose privileges the model tracks.
const API_ROLES: &[&str] = &["public", "anon", "authenticated"];

/// Replays `documents` in order.
pub(super) fn replay(documents: &[&Document]) -> MigrationModel {
    replay_onto(MigrationModel::default(), documents)
}

/// Replays `documents` in order after what `model` already holds (their positions in the
/// sequence follow its migrations).
pub(super) fn replay_onto(mut model: MigrationModel, documents: &[&Document]) -> MigrationModel {
    let first = model.migrations.len();
    for (i, doc) in documents.iter().enumerate() {
        let migration = first + i;
        model.migrations.push(doc.path.clone());
        let Some(parse) = doc.sql() else { continue };
        let mut replayer =
            Replayer { model: &mut model, doc, migration, search_path: vec!["public".to_string()], preamble: true };
        // A dbmate file's `-- migrate:down` section reverses it: not part of the forward history.
        let down = super::dialect::down_section_start(&doc.text).unwrap_or(usize::MAX);
        for statement in parse.syntax_node().children() {
            if usize::from(statement.text_range().start()) >= down {
                break;
            }
            replayer.statement(&statement);
        }
    }
    model.finish();
    model
}

/// Replay state for one file (one session).
struct Replayer<'m, 'd> {
    model: &'m mut MigrationModel,
    doc: &'d Document,
    migration: usize,
    search_path: Vec<String>,
    /// True while every statement so far was a `SET` or a `SELECT` (pg_dump's header).
    preamble: bool,
}

impl<'d> Replayer<'_, 'd> {
    /// The source text of a node (a slice of the document: cheaper than rowan's `text()`).
    fn src(&self, node: &SyntaxNode) -> &'d str {
        self.doc.text.get(text_range(node)).unwrap_or("")
    }

    fn here(&self, node: &SyntaxNode) -> Location {
        self.span(text_range(node))
    }

    fn span(&self, range: std::ops::Range<usize>) -> Location {
        Location { path: self.doc.path.clone(), range, migration: self.migration }
    }

    fn qualify(&self, node: &SyntaxNode) -> Option<QualifiedName> {
        qualify(&path_segments(node), &self.search_path)
    }

    /// The first schema of the search path (where unqualified objects are created).
    fn creation_schema(&self) -> String {
        self.search_path.first().cloned().unwrap_or_else(|| "public".to_string())
    }

    fn event(&mut self, kind: EventKind, at: &SyntaxNode, table: Option<&QualifiedName>) {
        let known = table.and_then(|t| self.model.tables.get(t));
        let event = Event {
            kind,
            location: self.here(at),
            table: table.cloned(),
            table_created_here: known.is_some_and(|t| t.created.migration == self.migration),
            table_created_in: known.map(|t| t.created.migration),
            table_uncertain: known.is_some_and(|t| t.uncertain),
        };
        self.model.events.push(event);
    }

    fn statement(&mut self, statement: &SyntaxNode) {
        if !matches!(statement.kind(), SyntaxKind::SET | SyntaxKind::SELECT) {
            self.preamble = false;
        }
        match statement.kind() {
            SyntaxKind::CREATE_TABLE | SyntaxKind::CREATE_TABLE_AS => self.create_table(statement),
            SyntaxKind::ALTER_TABLE => self.alter_table(statement),
            SyntaxKind::DROP_TABLE => self.drop_table(statement),
            SyntaxKind::CREATE_INDEX => self.create_index(statement),
            SyntaxKind::DROP_INDEX => self.drop_index(statement),
            SyntaxKind::ALTER_INDEX => self.alter_index(statement),
            SyntaxKind::CREATE_POLICY => self.create_policy(statement),
            SyntaxKind::ALTER_POLICY => self.alter_policy(statement),
            SyntaxKind::DROP_POLICY => self.drop_policy(statement),
            SyntaxKind::CREATE_VIEW => self.create_view(statement, false),
            SyntaxKind::CREATE_MATERIALIZED_VIEW => self.create_view(statement, true),
            SyntaxKind::ALTER_VIEW | SyntaxKind::ALTER_MATERIALIZED_VIEW => self.alter_view(statement),
            SyntaxKind::DROP_VIEW | SyntaxKind::DROP_MATERIALIZED_VIEW => self.drop_view(statement),
            SyntaxKind::CREATE_FUNCTION | SyntaxKind::CREATE_PROCEDURE => self.create_function(statement),
            SyntaxKind::ALTER_FUNCTION | SyntaxKind::ALTER_PROCEDURE => self.alter_function(statement),
            SyntaxKind::DROP_FUNCTION | SyntaxKind::DROP_PROCEDURE | SyntaxKind::DROP_ROUTINE => {
                self.drop_function(statement)
            }
            SyntaxKind::GRANT | SyntaxKind::REVOKE => self.grant(statement),
            SyntaxKind::ALTER_DEFAULT_PRIVILEGES => self.alter_default_privileges(statement),
            SyntaxKind::CREATE_EXTENSION => self.create_extension(statement),
            SyntaxKind::DROP_EXTENSION => {
                for ext in statement.children().filter(|n| n.kind() == SyntaxKind::EXTENSION_REF) {
                    self.model.extensions.remove(&normalize_identifier(self.src(&ext).trim()));
                }
            }
            SyntaxKind::ALTER_EXTENSION => {
                let name =
                    child(statement, SyntaxKind::EXTENSION_REF).map(|n| normalize_identifier(self.src(&n).trim()));
                let schema = child(statement, SyntaxKind::SET_SCHEMA)
                    .and_then(|s| child(&s, SyntaxKind::SCHEMA_REF))
                    .map(|n| normalize_identifier(self.src(&n).trim()));
                if let (Some(name), Some(schema)) = (name, schema) {
                    if let Some(extension) = self.model.extensions.get_mut(&name) {
                        extension.schema = schema;
                    }
                }
            }
            SyntaxKind::DROP_SCHEMA => self.drop_schema(statement),
            SyntaxKind::SET => self.set(statement),
            SyntaxKind::ALTER_ROLE | SyntaxKind::CREATE_ROLE => self.role(statement),
            SyntaxKind::DO => self.mark_uncertain_in(self.src(statement)),
            SyntaxKind::INSERT | SyntaxKind::UPDATE | SyntaxKind::DELETE => {
                let here = self.here(statement);
                super::buckets::apply(statement, &self.search_path, here, &mut self.model.buckets);
            }
            _ => {}
        }
    }

    // ----------------------------------------------------------------------------------- tables

    fn create_table(&mut self, statement: &SyntaxNode) {
        let Some(name_node) = child(statement, SyntaxKind::TABLE_NAME) else { return };
        let Some(mut name) = self.qualify(&name_node) else { return };
        if child(statement, SyntaxKind::TEMP).is_some() {
            name.schema = "pg_temp".to_string();
        }
        if self.model.tables.contains_key(&name) && child(statement, SyntaxKind::IF_NOT_EXISTS).is_some() {
            return;
        }
        let args = child(statement, SyntaxKind::TABLE_ARG_LIST);
        let columns_unknown = statement.kind() == SyntaxKind::CREATE_TABLE_AS
            || child(statement, SyntaxKind::PARTITION_OF).is_some()
            || args.as_ref().is_some_and(|a| child(a, SyntaxKind::LIKE_CLAUSE).is_some())
            || args.is_none();
        let table = Table {
            name: name.clone(),
            created: self.here(statement),
            created_name_text: self.src(&name_node).to_string(),
            created_head: self.span(text_range(statement).start..text_range(&name_node).end),
            columns: Vec::new(),
            primary_key: None,
            foreign_keys: Vec::new(),
            rls_enabled: false,
            rls_forced: false,
            rls_changes: Vec::new(),
            columns_unknown,
            uncertain: false,
            select: ["anon", "authenticated"]
                .into_iter()
                .map(|role| (role.to_string(), self.default_select(&name.schema, role)))
                .collect(),
        };
        self.remove_table(&name, false);
        self.model.tables.insert(name.clone(), table);
        let Some(args) = args else { return };
        for arg in args.children() {
            match arg.kind() {
                SyntaxKind::COLUMN => {
                    self.add_column(&name, &arg, statement);
                }
                SyntaxKind::PRIMARY_KEY_CONSTRAINT
                | SyntaxKind::UNIQUE_CONSTRAINT
                | SyntaxKind::FOREIGN_KEY_CONSTRAINT => self.add_constraint(&name, &arg, None, &arg, statement),
                _ => {}
            }
        }
    }

    /// Adds a column definition (from `CREATE TABLE` or `ADD COLUMN`) with its constraints.
    fn add_column(&mut self, table: &QualifiedName, column: &SyntaxNode, statement: &SyntaxNode) -> Option<Column> {
        let name =
            child(column, SyntaxKind::COLUMN_NAME).map(|n| normalize_identifier(self.src(&n).to_string().trim()))?;
        let type_text = column
            .children()
            .find(|n| is_type(n.kind()))
            .map(|n| self.src(&n).to_string().to_lowercase())
            .unwrap_or_default();
        let serial =
            matches!(type_text.trim(), "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2");
        // `serial` and identity columns are implicitly NOT NULL.
        let mut col = Column { name: name.clone(), type_text, not_null: serial, has_default: serial };
        for constraint in column.children() {
            match constraint.kind() {
                SyntaxKind::NOT_NULL_CONSTRAINT => col.not_null = true,
                SyntaxKind::DEFAULT_CONSTRAINT => col.has_default = true,
                SyntaxKind::GENERATED_CONSTRAINT => {
                    col.has_default = true;
                    if child(&constraint, SyntaxKind::GENERATED_IDENTITY).is_some() {
                        col.not_null = true;
                    }
                }
                SyntaxKind::PRIMARY_KEY_CONSTRAINT => col.not_null = true,
                _ => {}
            }
        }
        if let Some(t) = self.model.tables.get_mut(table) {
            t.columns.retain(|c| c.name != name);
            t.columns.push(col.clone());
        }
        for constraint in column.children() {
            if matches!(
                constraint.kind(),
                SyntaxKind::PRIMARY_KEY_CONSTRAINT | SyntaxKind::UNIQUE_CONSTRAINT | SyntaxKind::REFERENCES_CONSTRAINT
            ) {
                self.add_constraint(table, &constraint, Some(&name), column, statement);
            }
        }
        Some(col)
    }

    /// Applies a primary key, unique or foreign key constraint. `column` is set for a
    /// column-level constraint; `declared` is where a foreign key is reported.
    fn add_constraint(
        &mut self,
        table: &QualifiedName,
        constraint: &SyntaxNode,
        column: Option<&str>,
        declared: &SyntaxNode,
        statement: &SyntaxNode,
    ) {
        let given_name = child(constraint, SyntaxKind::CONSTRAINT_NAME_CLAUSE)
            .and_then(|c| child(&c, SyntaxKind::CONSTRAINT_NAME))
            .map(|n| normalize_identifier(self.src(&n).to_string().trim()));
        match constraint.kind() {
            SyntaxKind::PRIMARY_KEY_CONSTRAINT | SyntaxKind::UNIQUE_CONSTRAINT => {
                let primary = constraint.kind() == SyntaxKind::PRIMARY_KEY_CONSTRAINT;
                let columns = match column {
                    Some(c) => vec![c.to_string()],
                    None => constraint
                        .descendants()
                        .find(|n| n.kind() == SyntaxKind::CONSTRAINT_COLUMN_REF_LIST)
                        .map(|list| column_refs(&list))
                        .unwrap_or_default(),
                };
                if columns.is_empty() {
                    return;
                }
                if primary {
                    if let Some(t) = self.model.tables.get_mut(table) {
                        t.primary_key = Some(columns.clone());
                        for c in t.columns.iter_mut().filter(|c| columns.contains(&c.name)) {
                            c.not_null = true;
                        }
                    }
                }
                let default_name = if primary {
                    format!("{}_pkey", table.name)
                } else {
                    format!("{}_{}_key", table.name, columns.join("_"))
                };
                let name = self.unique_index_name(&table.schema, given_name.unwrap_or(default_name));
                let index = Index {
                    name: name.clone(),
                    table: table.clone(),
                    columns: columns.into_iter().map(Some).collect(),
                    unique: true,
                    method: "btree".to_string(),
                    predicate: None,
                    constraint: true,
                    concurrently: false,
                    column_options: Vec::new(),
                    created: self.here(statement),
                };
                self.model.indexes.insert(name, index);
            }
            SyntaxKind::FOREIGN_KEY_CONSTRAINT | SyntaxKind::REFERENCES_CONSTRAINT => {
                let columns = match column {
                    Some(c) => vec![c.to_string()],
                    None => child(constraint, SyntaxKind::FOREIGN_KEY_COLUMN_LIST)
                        .map(|l| column_refs(&l))
                        .unwrap_or_default(),
                };
                let Some(references) = child(constraint, SyntaxKind::TABLE_NAME_REF).and_then(|r| self.qualify(&r))
                else {
                    return;
                };
                if columns.is_empty() {
                    return;
                }
                let name = given_name.unwrap_or_else(|| format!("{}_{}_fkey", table.name, columns.join("_")));
                let fk = ForeignKey {
                    name,
                    columns,
                    references,
                    declared: self.here(declared),
                    statement: self.here(statement),
                };
                if let Some(t) = self.model.tables.get_mut(table) {
                    t.foreign_keys.push(fk);
                }
            }
            _ => {}
        }
    }

    fn unique_index_name(&self, schema: &str, base: String) -> QualifiedName {
        let base = truncate_identifier(&base);
        let mut name = QualifiedName::new(schema, base.clone());
        let mut n = 1;
        while self.model.indexes.contains_key(&name) && n < 1000 {
            name = QualifiedName::new(schema, format!("{base}{n}"));
            n += 1;
        }
        name
    }

    fn alter_table(&mut self, statement: &SyntaxNode) {
        let Some(relation) = child(statement, SyntaxKind::TABLE_RELATION_NAME) else { return };
        let Some(reference) = child(&relation, SyntaxKind::TABLE_NAME_REF).or(Some(relation.clone())) else { return };
        let Some(mut name) = self.qualify(&reference) else { return };
        let if_exists = child(statement, SyntaxKind::IF_EXISTS).is_some();
        if if_exists && !self.model.tables.contains_key(&name) {
            return;
        }
        for action in statement.children() {
            match action.kind() {
                SyntaxKind::ENABLE_RLS | SyntaxKind::DISABLE_RLS => {
                    let enabled = action.kind() == SyntaxKind::ENABLE_RLS;
                    let location = self.here(statement);
                    if let Some(table) = self.model.tables.get_mut(&name) {
                        table.rls_enabled = enabled;
                        table.rls_changes.push((location, enabled));
                    }
                    if !enabled {
                        let what = format!("disables row level security on `{name}`");
                        self.event(EventKind::RlsBypass { what }, statement, Some(&name.clone()));
                    }
                }
                SyntaxKind::FORCE_RLS => {
                    if let Some(table) = self.model.tables.get_mut(&name) {
                        table.rls_forced = true;
                    }
                }
                SyntaxKind::NO_FORCE_RLS => {
                    if let Some(table) = self.model.tables.get_mut(&name) {
                        table.rls_forced = false;
                    }
                    let what = format!("stops forcing row level security on `{name}` for its owner");
                    self.event(EventKind::RlsBypass { what }, statement, Some(&name.clone()));
                }
                SyntaxKind::TABLE_RENAME_TO => {
                    let Some(segments) = child(&action, SyntaxKind::TABLE_NAME).map(|n| path_segments(&n)) else {
                        continue;
                    };
                    let Some(new_name) = segments.last() else { continue };
                    let to = QualifiedName::new(name.schema.clone(), new_name.clone());
                    self.rename_relation(&name, &to);
                    name = to;
                }
                SyntaxKind::SET_SCHEMA => {
                    let Some(schema) = path_segments(&action).last().cloned() else { continue };
                    let to = QualifiedName::new(schema, name.name.clone());
                    self.rename_relation(&name, &to);
                    name = to;
                }
                SyntaxKind::RENAME_COLUMN => {
                    let from = child(&action, SyntaxKind::COLUMN_NAME_REF)
                        .map(|n| normalize_identifier(self.src(&n).to_string().trim()));
                    let to = child(&action, SyntaxKind::COLUMN_NAME)
                        .map(|n| normalize_identifier(self.src(&n).to_string().trim()));
                    if let (Some(from), Some(to)) = (from, to) {
                        self.rename_column(&name, &from, &to);
                    }
                }
                SyntaxKind::ADD_COLUMN => {
                    let exists = child(&action, SyntaxKind::IF_NOT_EXISTS).is_some()
                        && self.model.tables.get(&name).is_some_and(|t| {
                            child(&action, SyntaxKind::COLUMN_NAME).is_some_and(|c| {
                                t.columns
                                    .iter()
                                    .any(|col| col.name == normalize_identifier(self.src(&c).to_string().trim()))
                            })
                        });
                    if exists {
                        continue;
                    }
                    let Some(column) = self.add_column(&name, &action, statement) else { continue };
                    if column.not_null && !column.has_default {
                        self.event(
                            EventKind::AddRequiredColumn { column: column.name.clone() },
                            &action,
                            Some(&name.clone()),
                        );
                    }
                    if let Some(references) = child(&action, SyntaxKind::REFERENCES_CONSTRAINT) {
                        let kind = EventKind::AddForeignKey {
                            not_valid: false,
                            new_column: true,
                            constraint: format!("{}_{}_fkey", name.name, column.name),
                            constraint_end: text_range(&references).end,
                            statement: self.here(statement),
                        };
                        self.event(kind, &action, Some(&name.clone()));
                    }
                }
                SyntaxKind::DROP_COLUMN => {
                    let Some(column) = child(&action, SyntaxKind::COLUMN_NAME_REF)
                        .map(|n| normalize_identifier(self.src(&n).to_string().trim()))
                    else {
                        continue;
                    };
                    let known = self
                        .model
                        .tables
                        .get(&name)
                        .map(|t| t.columns_unknown || t.columns.iter().any(|c| c.name == column));
                    if child(&action, SyntaxKind::IF_EXISTS).is_some() && known == Some(false) {
                        continue;
                    }
                    self.event(EventKind::DropColumn { column: column.clone() }, &action, Some(&name.clone()));
                    self.drop_column(&name, &column);
                }
                SyntaxKind::ALTER_COLUMN => {
                    let Some(column) = child(&action, SyntaxKind::COLUMN_NAME_REF)
                        .map(|n| normalize_identifier(self.src(&n).to_string().trim()))
                    else {
                        continue;
                    };
                    for change in action.children() {
                        match change.kind() {
                            SyntaxKind::SET_TYPE => {
                                self.event(
                                    EventKind::ChangeColumnType { column: column.clone() },
                                    &action,
                                    Some(&name.clone()),
                                );
                                let type_text = change
                                    .children()
                                    .find(|n| is_type(n.kind()))
                                    .map(|n| self.src(&n).to_string().to_lowercase())
                                    .unwrap_or_default();
                                self.with_column(&name, &column, |c| c.type_text = type_text.clone());
                            }
                            SyntaxKind::SET_NOT_NULL => self.with_column(&name, &column, |c| c.not_null = true),
                            SyntaxKind::DROP_NOT_NULL => self.with_column(&name, &column, |c| c.not_null = false),
                            SyntaxKind::SET_DEFAULT => self.with_column(&name, &column, |c| c.has_default = true),
                            SyntaxKind::DROP_DEFAULT => self.with_column(&name, &column, |c| c.has_default = false),
                            _ => {}
                        }
                    }
                }
                SyntaxKind::ADD_CONSTRAINT => {
                    for constraint in action.children() {
                        match constraint.kind() {
                            SyntaxKind::FOREIGN_KEY_CONSTRAINT => {
                                let not_valid = child(&constraint, SyntaxKind::NOT_VALID).is_some();
                                let given = child(&constraint, SyntaxKind::CONSTRAINT_NAME_CLAUSE)
                                    .and_then(|c| child(&c, SyntaxKind::CONSTRAINT_NAME))
                                    .map(|n| normalize_identifier(self.src(&n).trim()));
                                let columns = child(&constraint, SyntaxKind::FOREIGN_KEY_COLUMN_LIST)
                                    .map(|l| column_refs(&l))
                                    .unwrap_or_default();
                                let kind = EventKind::AddForeignKey {
                                    not_valid,
                                    new_column: false,
                                    constraint: given
                                        .unwrap_or_else(|| format!("{}_{}_fkey", name.name, columns.join("_"))),
                                    constraint_end: text_range(&constraint).end,
                                    statement: self.here(statement),
                                };
                                self.event(kind, &action, Some(&name.clone()));
                                self.add_constraint(&name.clone(), &constraint, None, &action, statement);
                            }
                            SyntaxKind::PRIMARY_KEY_CONSTRAINT | SyntaxKind::UNIQUE_CONSTRAINT => {
                                if let Some(index) =
                                    constraint.descendants().find(|n| n.kind() == SyntaxKind::INDEX_REF)
                                {
                                    self.constraint_using_index(&name.clone(), &constraint, &index);
                                } else {
                                    self.add_constraint(&name.clone(), &constraint, None, &action, statement);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                SyntaxKind::DROP_CONSTRAINT => {
                    let Some(constraint) =
                        child(&action, SyntaxKind::CONSTRAINT_NAME_REF).map(|n| path_segments(&n).join("."))
                    else {
                        continue;
                    };
                    self.drop_constraint(&name, &constraint);
                }
                _ => {}
            }
        }
    }

    fn with_column(&mut self, table: &QualifiedName, column: &str, f: impl FnOnce(&mut Column)) {
        if let Some(c) = self.model.tables.get_mut(table).and_then(|t| t.columns.iter_mut().find(|c| c.name == column))
        {
            f(c);
        }
    }

    /// `ADD PRIMARY KEY USING INDEX i`: the index becomes the constraint's (renamed when named).
    fn constraint_using_index(&mut self, table: &QualifiedName, constraint: &SyntaxNode, index_ref: &SyntaxNode) {
        let Some(index_name) = qualify(&path_segments(index_ref), std::slice::from_ref(&table.schema)) else { return };
        let Some(mut index) = self.model.indexes.remove(&index_name) else { return };
        let given = child(constraint, SyntaxKind::CONSTRAINT_NAME_CLAUSE)
            .and_then(|c| child(&c, SyntaxKind::CONSTRAINT_NAME))
            .map(|n| normalize_identifier(self.src(&n).to_string().trim()));
        if let Some(given) = given {
            index.name = QualifiedName::new(table.schema.clone(), given);
        }
        index.constraint = true;
        index.unique = true;
        if constraint.kind() == SyntaxKind::PRIMARY_KEY_CONSTRAINT {
            let columns: Vec<String> = index.columns.iter().flatten().cloned().collect();
            if let Some(t) = self.model.tables.get_mut(table) {
                t.primary_key = Some(columns);
            }
        }
        self.model.indexes.insert(index.name.clone(), index);
    }

    fn drop_constraint(&mut self, table: &QualifiedName, constraint: &str) {
        if let Some(t) = self.model.tables.get_mut(table) {
            t.foreign_keys.retain(|fk| fk.name != constraint);
        }
        let index_name = QualifiedName::new(table.schema.clone(), constraint.to_string());
        if self.model.indexes.get(&index_name).is_some_and(|i| i.constraint && &i.table == table) {
            self.model.indexes.remove(&index_name);
            if let Some(t) = self.model.tables.get_mut(table) {
                if constraint == format!("{}_pkey", t.name.name)
                    || t.primary_key.is_some()
                        && !self
                            .model
                            .indexes
                            .values()
                            .any(|i| i.constraint && &i.table == table && i.name.name.ends_with("_pkey"))
                {
                    t.primary_key = None;
                }
            }
        }
    }

    fn rename_column(&mut self, table: &QualifiedName, from: &str, to: &str) {
        let rename = |c: &mut String| {
            if c == from {
                *c = to.to_string();
            }
        };
        if let Some(t) = self.model.tables.get_mut(table) {
            t.columns.iter_mut().for_each(|c| rename(&mut c.name));
            t.primary_key.iter_mut().flatten().for_each(rename);
            t.foreign_keys.iter_mut().flat_map(|fk| fk.columns.iter_mut()).for_each(rename);
        }
        for index in self.model.indexes.values_mut().filter(|i| &i.table == table) {
            index.columns.iter_mut().flatten().for_each(rename);
        }
    }

    fn drop_column(&mut self, table: &QualifiedName, column: &str) {
        if let Some(t) = self.model.tables.get_mut(table) {
            t.columns.retain(|c| c.name != column);
            t.foreign_keys.retain(|fk| !fk.columns.iter().any(|c| c == column));
            if t.primary_key.as_ref().is_some_and(|pk| pk.iter().any(|c| c == column)) {
                t.primary_key = None;
            }
        }
        // PostgreSQL drops every index that uses the column (expression indexes: unknown, kept).
        self.model.indexes.retain(|_, i| !(&i.table == table && i.columns.iter().flatten().any(|c| c == column)));
    }

    /// Moves a table (or view) to a new name, carrying everything that refers to it.
    fn rename_relation(&mut self, from: &QualifiedName, to: &QualifiedName) {
        if let Some(mut table) = self.model.tables.remove(from) {
            table.name = to.clone();
            self.model.tables.insert(to.clone(), table);
        }
        if let Some(mut view) = self.model.views.remove(from) {
            view.name = to.clone();
            self.model.views.insert(to.clone(), view);
        }
        for policy in self.model.policies.iter_mut().filter(|p| &p.table == from) {
            policy.table = to.clone();
        }
        let moved_schema = from.schema != to.schema;
        let indexes: Vec<QualifiedName> =
            self.model.indexes.values().filter(|i| &i.table == from).map(|i| i.name.clone()).collect();
        for name in indexes {
            if let Some(mut index) = self.model.indexes.remove(&name) {
                index.table = to.clone();
                if moved_schema {
                    index.name.schema = to.schema.clone();
                }
                self.model.indexes.insert(index.name.clone(), index);
            }
        }
        for table in self.model.tables.values_mut() {
            for fk in table.foreign_keys.iter_mut().filter(|fk| &fk.references == from) {
                fk.references = to.clone();
            }
        }
        for view in self.model.views.values_mut() {
            if view.reads.remove(from) {
                view.reads.insert(to.clone());
            }
        }
    }

    fn drop_table(&mut self, statement: &SyntaxNode) {
        let cascade = has_token(statement, SyntaxKind::CASCADE_KW) || child(statement, SyntaxKind::CASCADE).is_some();
        for reference in statement.descendants().filter(|n| n.kind() == SyntaxKind::TABLE_NAME_REF) {
            let Some(name) = self.qualify(&reference) else { continue };
            if self.model.tables.contains_key(&name) {
                self.event(EventKind::DropTable, statement, Some(&name));
            }
            self.remove_table(&name, cascade);
        }
    }

    fn remove_table(&mut self, name: &QualifiedName, cascade: bool) {
        if self.model.tables.remove(name).is_none() {
            return;
        }
        self.model.policies.retain(|p| &p.table != name);
        self.model.indexes.retain(|_, i| &i.table != name);
        for table in self.model.tables.values_mut() {
            table.foreign_keys.retain(|fk| &fk.references != name);
        }
        if cascade {
            self.model.views.retain(|_, v| !v.reads.contains(name));
        }
    }

    fn drop_schema(&mut self, statement: &SyntaxNode) {
        let cascade = has_token(statement, SyntaxKind::CASCADE_KW) || child(statement, SyntaxKind::CASCADE).is_some();
        if !cascade {
            return;
        }
        let schemas: Vec<String> = statement
            .descendants()
            .filter(|n| n.kind() == SyntaxKind::SCHEMA_REF || n.kind() == SyntaxKind::NAME_REF)
            .map(|n| normalize_identifier(self.src(&n).to_string().trim()))
            .collect();
        for schema in schemas {
            let tables: Vec<QualifiedName> = self.model.tables.keys().filter(|t| t.schema == schema).cloned().collect();
            for table in tables {
                self.remove_table(&table, true);
            }
            self.model.views.retain(|name, _| name.schema != schema);
            self.model.functions.retain(|f| f.name.schema != schema);
            self.model.extensions.retain(|_, e| e.schema != schema);
        }
    }

    // ---------------------------------------------------------------------------------- indexes

    fn create_index(&mut self, statement: &SyntaxNode) {
        let Some(relation) = child(statement, SyntaxKind::TABLE_RELATION_NAME) else { return };
        let Some(reference) = child(&relation, SyntaxKind::TABLE_NAME_REF) else { return };
        let Some(table) = self.qualify(&reference) else { return };
        let concurrently = has_token(statement, SyntaxKind::CONCURRENTLY_KW);
        let after_index_kw = statement
            .children_with_tokens()
            .find(|e| e.kind() == SyntaxKind::INDEX_KW)
            .map_or(text_range(statement).start, |e| usize::from(e.text_range().end()));
        self.event(EventKind::CreateIndex { concurrently, after_index_kw }, statement, Some(&table));
        let column_options: Vec<String> = child(statement, SyntaxKind::PARTITION_ITEM_LIST)
            .map(|list| {
                list.children()
                    .filter(|n| n.kind() == SyntaxKind::PARTITION_ITEM)
                    .map(|item| {
                        let after = item.first_child().map_or(0, |f| text_range(&f).end - text_range(&item).start);
                        index_column_options(self.src(&item).get(after..).unwrap_or(""))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let columns: Vec<Option<String>> = child(statement, SyntaxKind::PARTITION_ITEM_LIST)
            .map(|list| {
                list.children()
                    .filter(|n| n.kind() == SyntaxKind::PARTITION_ITEM)
                    .map(|item| {
                        let first = item.first_child()?;
                        (first.kind() == SyntaxKind::NAME_REF)
                            .then(|| normalize_identifier(self.src(&first).to_string().trim()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let explicit = child(statement, SyntaxKind::INDEX).and_then(|n| path_segments(&n).last().cloned());
        if let Some(explicit) = &explicit {
            let name = QualifiedName::new(table.schema.clone(), explicit.clone());
            if self.model.indexes.contains_key(&name) && child(statement, SyntaxKind::IF_NOT_EXISTS).is_some() {
                return;
            }
        }
        let name = match explicit {
            Some(n) => QualifiedName::new(table.schema.clone(), n),
            None => {
                let parts: Vec<&str> = columns.iter().map(|c| c.as_deref().unwrap_or("expr")).collect();
                self.unique_index_name(&table.schema, format!("{}_{}_idx", table.name, parts.join("_")))
            }
        };
        let method = child(statement, SyntaxKind::USING_METHOD)
            .and_then(|m| m.children().last())
            .map_or_else(|| "btree".to_string(), |m| normalize_identifier(self.src(&m).trim()));
        let predicate = child(statement, SyntaxKind::WHERE_CLAUSE)
            .map(|w| self.src(&w).to_string().to_lowercase().split_whitespace().collect::<Vec<_>>().join(" "));
        let index = Index {
            name: name.clone(),
            table,
            columns,
            unique: has_token(statement, SyntaxKind::UNIQUE_KW),
            method,
            predicate,
            constraint: false,
            concurrently,
            column_options,
            created: self.here(statement),
        };
        self.model.indexes.insert(name, index);
    }

    /// An index by (possibly unqualified) name: qualified as written, else the first schema of
    /// the search path that has it.
    fn find_index(&self, node: &SyntaxNode) -> Option<QualifiedName> {
        let segments = path_segments(node);
        match segments.as_slice() {
            [name] => self
                .search_path
                .iter()
                .map(|s| QualifiedName::new(s.clone(), name.clone()))
                .find(|n| self.model.indexes.contains_key(n)),
            _ => qualify(&segments, &self.search_path),
        }
    }

    fn drop_index(&mut self, statement: &SyntaxNode) {
        let names: Vec<QualifiedName> = statement
            .children()
            .filter(|n| n.kind() == SyntaxKind::INDEX_REF || n.kind() == SyntaxKind::PATH_REF)
            .filter_map(|n| self.find_index(&n))
            .collect();
        for name in names {
            self.model.indexes.remove(&name);
        }
    }

    fn alter_index(&mut self, statement: &SyntaxNode) {
        let Some(name) = child(statement, SyntaxKind::INDEX_REF).and_then(|n| self.find_index(&n)) else { return };
        let Some(to) = child(statement, SyntaxKind::INDEX_RENAME_TO)
            .and_then(|r| r.descendants().find(|n| n.kind() == SyntaxKind::PATH))
        else {
            return;
        };
        let Some(new_name) = path_segments(&to).last().cloned() else { return };
        if let Some(mut index) = self.model.indexes.remove(&name) {
            index.name = QualifiedName::new(name.schema.clone(), new_name);
            self.model.indexes.insert(index.name.clone(), index);
        }
    }

    // --------------------------------------------------------------------------------- policies

    fn policy_target(&self, statement: &SyntaxNode, name_kind: SyntaxKind) -> Option<(String, QualifiedName)> {
        let name = child(statement, name_kind).map(|n| normalize_identifier(self.src(&n).to_string().trim()))?;
        let table = child(statement, SyntaxKind::ON_TABLE)
            .and_then(|t| child(&t, SyntaxKind::TABLE_NAME_REF))
            .and_then(|r| self.qualify(&r))?;
        Some((name, table))
    }

    fn create_policy(&mut self, statement: &SyntaxNode) {
        let Some((name, table)) = self.policy_target(statement, SyntaxKind::POLICY) else { return };
        let command = child(statement, SyntaxKind::POLICY_COMMAND).and_then(|c| c.first_child()).map_or(
            PolicyCommand::All,
            |c| match c.kind() {
                SyntaxKind::POLICY_COMMAND_SELECT => PolicyCommand::Select,
                SyntaxKind::POLICY_COMMAND_INSERT => PolicyCommand::Insert,
                SyntaxKind::POLICY_COMMAND_UPDATE => PolicyCommand::Update,
                SyntaxKind::POLICY_COMMAND_DELETE => PolicyCommand::Delete,
                _ => PolicyCommand::All,
            },
        );
        let permissive = !child(statement, SyntaxKind::AS_POLICY_TYPE)
            .is_some_and(|t| self.src(&t).to_string().to_lowercase().contains("restrictive"));
        let roles = child(statement, SyntaxKind::POLICY_ROLES)
            .map(|r| role_list(&r))
            .unwrap_or_else(|| vec!["public".to_string()]);
        let here = |n: &SyntaxNode| self.here(n);
        let using = child(statement, SyntaxKind::USING_EXPR_CLAUSE)
            .and_then(|c| policy_expr::analyze(&c, &self.doc.text, &here));
        let with_check = child(statement, SyntaxKind::WITH_CHECK_EXPR_CLAUSE)
            .and_then(|c| policy_expr::analyze(&c, &self.doc.text, &here));
        let head_end = child(statement, SyntaxKind::POLICY).map_or(text_range(statement).end, |n| text_range(&n).end);
        let policy = Policy {
            name: name.clone(),
            table: table.clone(),
            command,
            roles,
            permissive,
            using,
            with_check,
            created: self.here(statement),
            head: self.span(text_range(statement).start..head_end),
        };
        if !self.model.policy_keys.insert((table.clone(), name.clone())) {
            self.model.policies.retain(|p| !(p.name == name && p.table == table));
        }
        self.model.policies.push(policy);
    }

    fn alter_policy(&mut self, statement: &SyntaxNode) {
        let Some((name, table)) = self.policy_target(statement, SyntaxKind::POLICY_REF) else { return };
        let here = |n: &SyntaxNode| self.here(n);
        let using = descendant(statement, SyntaxKind::USING_EXPR_CLAUSE)
            .and_then(|c| policy_expr::analyze(&c, &self.doc.text, &here));
        let with_check = descendant(statement, SyntaxKind::WITH_CHECK_EXPR_CLAUSE)
            .and_then(|c| policy_expr::analyze(&c, &self.doc.text, &here));
        let roles = descendant(statement, SyntaxKind::POLICY_ROLES).map(|r| role_list(&r));
        let rename = descendant(statement, SyntaxKind::POLICY_RENAME_TO)
            .and_then(|r| child(&r, SyntaxKind::POLICY))
            .map(|n| normalize_identifier(self.src(&n).to_string().trim()));
        let Some(policy) = self.model.policies.iter_mut().find(|p| p.name == name && p.table == table) else { return };
        if let Some(using) = using {
            policy.using = Some(using);
        }
        if let Some(with_check) = with_check {
            policy.with_check = Some(with_check);
        }
        if let Some(roles) = roles {
            policy.roles = roles;
        }
        if let Some(rename) = rename {
            policy.name = rename;
        }
    }

    fn drop_policy(&mut self, statement: &SyntaxNode) {
        let Some((name, table)) = self.policy_target(statement, SyntaxKind::POLICY_REF) else { return };
        self.model.policies.retain(|p| !(p.name == name && p.table == table));
    }

    // ------------------------------------------------------------------------------------ views

    fn create_view(&mut self, statement: &SyntaxNode, materialized: bool) {
        let Some(name_node) = child(statement, SyntaxKind::VIEW) else { return };
        let Some(mut name) = self.qualify(&name_node) else { return };
        if child(statement, SyntaxKind::TEMP).is_some() {
            name.schema = "pg_temp".to_string();
        }
        if self.model.views.contains_key(&name) && child(statement, SyntaxKind::IF_NOT_EXISTS).is_some() {
            return;
        }
        let options = child(statement, SyntaxKind::WITH_PARAMS).and_then(|w| child(&w, SyntaxKind::ATTRIBUTE_LIST));
        let security_invoker = options.as_ref().and_then(security_invoker_option).unwrap_or(false);
        let options_insert = match &options {
            Some(list) if security_invoker_option(list).is_none() => list
                .children_with_tokens()
                .find(|e| e.kind() == SyntaxKind::L_PAREN)
                .map(|p| (usize::from(p.text_range().end()), true)),
            Some(_) => None,
            None => statement
                .children_with_tokens()
                .find(|e| e.kind() == SyntaxKind::AS_KW)
                .map(|a| (usize::from(a.text_range().start()), false)),
        };
        let reads: BTreeSet<QualifiedName> = statement
            .descendants()
            .filter(|n| n.kind() == SyntaxKind::RELATION_NAME_REF)
            .filter_map(|n| self.qualify(&n))
            .collect();
        let previous = self.model.views.remove(&name);
        let view = View {
            name: name.clone(),
            materialized,
            security_invoker,
            reads,
            select_revoked: previous.map(|p| p.select_revoked).unwrap_or_default(),
            created: self.here(statement),
            head: self.span(text_range(statement).start..text_range(&name_node).end),
            options_insert,
            uncertain: false,
        };
        self.model.views.insert(name, view);
    }

    fn alter_view(&mut self, statement: &SyntaxNode) {
        let Some(name) = child(statement, SyntaxKind::VIEW_REF).and_then(|n| self.qualify(&n)) else { return };
        for action in statement.children() {
            match action.kind() {
                SyntaxKind::SET_OPTIONS => {
                    let value = child(&action, SyntaxKind::ATTRIBUTE_LIST).and_then(|l| security_invoker_option(&l));
                    if let (Some(value), Some(view)) = (value, self.model.views.get_mut(&name)) {
                        view.security_invoker = value;
                    }
                }
                SyntaxKind::RESET_OPTIONS
                    if self.src(&action).to_string().to_lowercase().contains("security_invoker") =>
                {
                    if let Some(view) = self.model.views.get_mut(&name) {
                        view.security_invoker = false;
                    }
                }
                SyntaxKind::VIEW_RENAME_TO => {
                    let Some(new_name) = action
                        .descendants()
                        .find(|n| n.kind() == SyntaxKind::PATH)
                        .and_then(|p| path_segments(&p).last().cloned())
                    else {
                        continue;
                    };
                    self.rename_relation(&name, &QualifiedName::new(name.schema.clone(), new_name));
                    return;
                }
                SyntaxKind::SET_SCHEMA => {
                    let Some(schema) = path_segments(&action).last().cloned() else { continue };
                    self.rename_relation(&name, &QualifiedName::new(schema, name.name.clone()));
                    return;
                }
                _ => {}
            }
        }
    }

    fn drop_view(&mut self, statement: &SyntaxNode) {
        let names: Vec<QualifiedName> = statement
            .children()
            .filter(|n| n.kind() == SyntaxKind::VIEW_REF || n.kind() == SyntaxKind::PATH_REF)
            .filter_map(|n| self.qualify(&n))
            .collect();
        for name in names {
            self.model.views.remove(&name);
        }
    }

    // -------------------------------------------------------------------------------- functions

    fn create_function(&mut self, statement: &SyntaxNode) {
        let Some(name_node) =
            child(statement, SyntaxKind::FUNCTION_NAME).or_else(|| child(statement, SyntaxKind::PROCEDURE_NAME))
        else {
            return;
        };
        let Some(name) = self.qualify(&name_node) else { return };
        let args = child(statement, SyntaxKind::PARAM_LIST).map(|p| param_types(&p)).unwrap_or_default();
        let options = child(statement, SyntaxKind::FUNC_OPTION_LIST);
        let mut security_definer = false;
        let mut search_path = None;
        let mut language = String::new();
        if let Some(options) = &options {
            for option in options.children() {
                match option.kind() {
                    SyntaxKind::SECURITY_DEFINER_FUNC_OPTION => security_definer = true,
                    SyntaxKind::SECURITY_INVOKER_FUNC_OPTION => security_definer = false,
                    SyntaxKind::LANGUAGE_FUNC_OPTION => {
                        language = option
                            .children()
                            .last()
                            .map(|l| self.src(&l).to_string().to_lowercase())
                            .unwrap_or_default();
                    }
                    SyntaxKind::SET_FUNC_OPTION => self.function_set_option(&option, &mut search_path),
                    _ => {}
                }
            }
        }
        let existing = self.model.functions.iter().position(|f| f.name == name && f.args == args);
        let execute = match existing {
            Some(i) => self.model.functions.remove(i).execute,
            None => API_ROLES.iter().map(|role| (role.to_string(), self.default_execute(&name.schema, role))).collect(),
        };
        let options_insert = options.as_ref().map_or(text_range(statement).end, |o| text_range(o).start);
        let signature = format!("{name}({})", args.join(", "));
        let function = Function {
            name,
            args,
            procedure: statement.kind() == SyntaxKind::CREATE_PROCEDURE,
            security_definer,
            search_path,
            language,
            execute,
            created: self.here(statement),
            head: self.span(text_range(statement).start..text_range(&name_node).end),
            options_insert,
            signature,
            last_grant: None,
            created_search_path: self.search_path.clone(),
            uncertain: false,
        };
        self.model.functions.push(function);
    }

    /// A `SET …` option of a function: `search_path` is remembered. (`row_security = off` is no
    /// bypass: a query a policy would filter raises an error instead.)
    fn function_set_option(&mut self, option: &SyntaxNode, search_path: &mut Option<String>) {
        let Some(param) = option.descendants().find(|n| n.kind() == SyntaxKind::CONFIG_PARAMETER_REF) else { return };
        let param_name = path_segments(&param).join(".");
        let value = option
            .descendants()
            .find(|n| n.kind() == SyntaxKind::TO_CONFIG_VALUE || n.kind() == SyntaxKind::FROM_CURRENT)
            .map(|v| self.src(&v).to_string().trim_start_matches(['=', ' ']).trim().to_string())
            .unwrap_or_default();
        let value =
            value.strip_prefix("to ").or_else(|| value.strip_prefix("TO ")).unwrap_or(&value).trim().to_string();
        if param_name == "search_path" {
            *search_path = Some(value);
        }
    }

    /// Whether `role` gets `EXECUTE` on a new function in `schema` (PostgreSQL grants it to
    /// `public`; Supabase's default privileges grant it to `anon` and `authenticated` in
    /// `public`). Per-schema default privileges only add to the global ones.
    /// Whether a table created now in `schema` is readable by `role`: Supabase's default
    /// privileges grant it in `public`; `ALTER DEFAULT PRIVILEGES … ON TABLES` changes that.
    fn default_select(&self, schema: &str, role: &str) -> bool {
        let defaults = &self.model.default_table_select;
        defaults
            .get(&(schema.to_string(), role.to_string()))
            .or_else(|| defaults.get(&(String::new(), role.to_string())))
            .copied()
            .unwrap_or(schema == "public")
    }

    fn default_execute(&self, schema: &str, role: &str) -> bool {
        let defaults = &self.model.default_function_execute;
        let global = defaults.get(&(String::new(), role.to_string())).copied().unwrap_or(role == "public");
        let per_schema = defaults
            .get(&(schema.to_string(), role.to_string()))
            .copied()
            .unwrap_or(schema == "public" && role != "public");
        global || per_schema
    }

    /// Functions matching a `FUNCTION_SIG` (by name; by argument types when written).
    fn matching_functions(&self, sig: &SyntaxNode) -> Vec<usize> {
        let Some(name) = child(sig, SyntaxKind::FUNCTION_NAME_REF).and_then(|n| self.qualify(&n)) else {
            return Vec::new();
        };
        let args = child(sig, SyntaxKind::PARAM_LIST).map(|p| param_types(&p));
        self.model
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name == name && args.as_ref().is_none_or(|a| &f.args == a))
            .map(|(i, _)| i)
            .collect()
    }

    fn alter_function(&mut self, statement: &SyntaxNode) {
        let Some(sig) = child(statement, SyntaxKind::FUNCTION_SIG) else { return };
        let targets = self.matching_functions(&sig);
        let Some(options) = child(statement, SyntaxKind::FUNC_OPTION_LIST) else { return };
        for option in options.children() {
            let mut search_path = None;
            let mut reset = false;
            let mut definer = None;
            match option.kind() {
                SyntaxKind::SECURITY_DEFINER_FUNC_OPTION => definer = Some(true),
                SyntaxKind::SECURITY_INVOKER_FUNC_OPTION => definer = Some(false),
                SyntaxKind::SET_FUNC_OPTION => self.function_set_option(&option, &mut search_path),
                SyntaxKind::RESET_FUNC_OPTION => {
                    let text = self.src(&option).to_string().to_lowercase();
                    reset = text.contains("search_path") || text.contains(" all");
                }
                _ => {}
            }
            for &i in &targets {
                let f = &mut self.model.functions[i];
                if let Some(d) = definer {
                    f.security_definer = d;
                }
                if search_path.is_some() {
                    f.search_path.clone_from(&search_path);
                }
                if reset {
                    f.search_path = None;
                }
            }
        }
    }

    fn drop_function(&mut self, statement: &SyntaxNode) {
        for sig in statement.descendants().filter(|n| n.kind() == SyntaxKind::FUNCTION_SIG) {
            let mut targets = self.matching_functions(&sig);
            targets.sort_unstable();
            for i in targets.into_iter().rev() {
                self.model.functions.remove(i);
            }
        }
    }

    // ------------------------------------------------------------------------------- privileges

    fn grant(&mut self, statement: &SyntaxNode) {
        let granted = statement.kind() == SyntaxKind::GRANT;
        if child(statement, SyntaxKind::GRANT_OPTION_FOR).is_some() {
            return;
        }
        let privileges = child(statement, SyntaxKind::REVOKE_COMMAND_LIST)
            .map(|l| self.src(&l).to_string().to_lowercase())
            .unwrap_or_default();
        // `ALL [PRIVILEGES]` is its own node, not a command list.
        let all = privileges.trim_start().starts_with("all") || child(statement, SyntaxKind::ALL_PRIVILEGES).is_some();
        let roles: Vec<String> = child(statement, SyntaxKind::ROLE_REF_LIST).map(|r| role_list(&r)).unwrap_or_default();
        let Some(objects) = child(statement, SyntaxKind::ON_PRIVILEGE_OBJECTS_CLAUSE).and_then(|c| c.first_child())
        else {
            return;
        };
        match objects.kind() {
            SyntaxKind::PRIVILEGE_FUNCTION | SyntaxKind::PRIVILEGE_ALL_FUNCTIONS_IN_SCHEMA => {
                if !(all || privileges.contains("execute")) {
                    return;
                }
                let targets: Vec<usize> = if objects.kind() == SyntaxKind::PRIVILEGE_FUNCTION {
                    objects
                        .descendants()
                        .filter(|n| n.kind() == SyntaxKind::FUNCTION_SIG)
                        .flat_map(|s| self.matching_functions(&s))
                        .collect()
                } else {
                    let schemas: Vec<String> = objects
                        .descendants()
                        .filter(|n| n.kind() == SyntaxKind::SCHEMA_REF)
                        .map(|n| normalize_identifier(self.src(&n).to_string().trim()))
                        .collect();
                    (0..self.model.functions.len())
                        .filter(|&i| schemas.contains(&self.model.functions[i].name.schema))
                        .collect()
                };
                let location = self.here(statement);
                for i in targets {
                    for role in roles.iter().filter(|r| API_ROLES.contains(&r.as_str())) {
                        self.model.functions[i].execute.insert(role.clone(), granted);
                        self.model.functions[i].last_grant = Some(location.clone());
                    }
                }
            }
            SyntaxKind::PRIVILEGE_TABLE
            | SyntaxKind::PRIVILEGE_DEFAULT
            | SyntaxKind::PRIVILEGE_ALL_TABLES_IN_SCHEMA => {
                if !(all || privileges.contains("select")) {
                    return;
                }
                let names: Vec<QualifiedName> = if objects.kind() == SyntaxKind::PRIVILEGE_ALL_TABLES_IN_SCHEMA {
                    let schemas: Vec<String> = objects
                        .descendants()
                        .filter(|n| n.kind() == SyntaxKind::SCHEMA_REF)
                        .map(|n| normalize_identifier(self.src(&n).to_string().trim()))
                        .collect();
                    let views = self.model.views.keys();
                    views.chain(self.model.tables.keys()).filter(|v| schemas.contains(&v.schema)).cloned().collect()
                } else {
                    objects
                        .descendants()
                        .filter(|n| n.kind() == SyntaxKind::RELATION_NAME_REF)
                        .filter_map(|n| self.qualify(&n))
                        .collect()
                };
                // A grant to `public` reaches every role; a revoke from `public` leaves the API
                // roles' own grants.
                let api_roles: Vec<&str> = ["anon", "authenticated"]
                    .into_iter()
                    .filter(|role| roles.iter().any(|r| r == role || (granted && r == "public")))
                    .collect();
                for name in &names {
                    if let Some(table) = self.model.tables.get_mut(name) {
                        for role in &api_roles {
                            table.select.insert(role.to_string(), granted);
                        }
                    }
                }
                for name in names {
                    let Some(view) = self.model.views.get_mut(&name) else { continue };
                    for role in roles.iter().filter(|r| *r == "anon" || *r == "authenticated") {
                        if granted {
                            view.select_revoked.remove(role);
                        } else {
                            view.select_revoked.insert(role.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn alter_default_privileges(&mut self, statement: &SyntaxNode) {
        // `FOR ROLE x` changes what objects *x* creates: not the migration owner's.
        if statement
            .text()
            .to_string()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0] == "for" && (w[1] == "role" || w[1] == "user"))
        {
            return;
        }
        let schemas: Vec<String> = child(statement, SyntaxKind::IN_SCHEMAS)
            .map(|s| {
                s.descendants()
                    .filter(|n| n.kind() == SyntaxKind::SCHEMA_REF)
                    .map(|n| normalize_identifier(self.src(&n).to_string().trim()))
                    .collect()
            })
            .unwrap_or_else(|| vec![String::new()]);
        let Some(body) = statement.children().find(|n| {
            n.kind() == SyntaxKind::GRANT_DEFAULT_PRIVILEGES || n.kind() == SyntaxKind::REVOKE_DEFAULT_PRIVILEGES
        }) else {
            return;
        };
        let granted = body.kind() == SyntaxKind::GRANT_DEFAULT_PRIVILEGES;
        if child(&body, SyntaxKind::GRANT_OPTION_FOR).is_some() {
            return;
        }
        let on_functions = body.children().any(|n| {
            n.kind() == SyntaxKind::PRIVILEGE_TARGET_FUNCTIONS || n.kind() == SyntaxKind::PRIVILEGE_TARGET_ROUTINES
        });
        let privileges = child(&body, SyntaxKind::REVOKE_COMMAND_LIST)
            .map(|l| self.src(&l).to_string().to_lowercase())
            .unwrap_or_default();
        let roles: Vec<String> = child(&body, SyntaxKind::ROLE_REF_LIST).map(|r| role_list(&r)).unwrap_or_default();
        let all = privileges.trim_start().starts_with("all") || child(&body, SyntaxKind::ALL_PRIVILEGES).is_some();
        if body.children().any(|n| n.kind() == SyntaxKind::PRIVILEGE_TARGET_TABLES)
            && (all || privileges.contains("select"))
        {
            for schema in &schemas {
                for role in ["anon", "authenticated"] {
                    if roles.iter().any(|r| r == role || (granted && r == "public")) {
                        self.model.default_table_select.insert((schema.clone(), role.to_string()), granted);
                    }
                }
            }
        }
        if !on_functions || !(all || privileges.contains("execute")) {
            return;
        }
        for schema in &schemas {
            for role in roles.iter().filter(|r| API_ROLES.contains(&r.as_str())) {
                self.model.default_function_execute.insert((schema.clone(), role.clone()), granted);
            }
        }
    }

    // ------------------------------------------------------------------------------- extensions

    fn create_extension(&mut self, statement: &SyntaxNode) {
        let Some(name) =
            child(statement, SyntaxKind::EXTENSION).map(|n| normalize_identifier(self.src(&n).to_string().trim()))
        else {
            return;
        };
        if self.model.extensions.contains_key(&name) {
            return;
        }
        let schema = child(statement, SyntaxKind::EXTENSION_SCHEMA)
            .and_then(|s| child(&s, SyntaxKind::SCHEMA_REF))
            .map(|n| normalize_identifier(self.src(&n).to_string().trim()))
            .unwrap_or_else(|| if name == "plpgsql" { "pg_catalog".to_string() } else { self.creation_schema() });
        let if_not_exists = child(statement, SyntaxKind::IF_NOT_EXISTS).is_some();
        let extension = Extension { name: name.clone(), schema, created: self.here(statement), if_not_exists };
        self.model.extensions.insert(name, extension);
    }

    // ---------------------------------------------------------------------------- session, roles

    fn set(&mut self, statement: &SyntaxNode) {
        let Some(config) = child(statement, SyntaxKind::SET_CONFIG) else { return };
        let parameter = child(&config, SyntaxKind::CONFIG_PARAMETER_REF).map(|p| path_segments(&p)).unwrap_or_default();
        match parameter.as_slice() {
            [p] if p == "search_path" => {
                let schemas: Vec<String> = config
                    .descendants()
                    .filter(|n| n.kind() == SyntaxKind::CONFIG_VALUE_NAME || n.kind() == SyntaxKind::LITERAL)
                    .flat_map(|n| path_segments(&n))
                    .map(|s| s.trim_matches('\'').to_string())
                    .filter(|s| !s.is_empty() && s != "$user")
                    .collect();
                self.search_path = schemas;
            }
            // `row_security = off` bypasses nothing: a query that a policy would filter raises an
            // error instead, until the session ends. In pg_dump's header it is routine; after the
            // preamble it is reported (the contract's `sql/rls-bypass`, with the true consequence).
            [p] if p == "row_security" && !self.preamble => {
                let value = self.src(&config).to_ascii_lowercase();
                let value = value.rsplit(['=', ' ']).next().unwrap_or("").trim_matches(['\'', ' ', ';']);
                if matches!(value, "off" | "false" | "0" | "no") {
                    self.event(EventKind::RowSecurityOff, statement, None);
                }
            }
            _ => {}
        }
    }

    fn role(&mut self, statement: &SyntaxNode) {
        let role = statement
            .children()
            .find(|n| n.kind() == SyntaxKind::ROLE_REF || n.kind() == SyntaxKind::ROLE)
            .map(|n| self.src(&n).to_string())
            .unwrap_or_default();
        if let Some(options) = child(statement, SyntaxKind::ROLE_OPTION_LIST) {
            if options.children().any(|o| self.src(&o).to_string().trim().eq_ignore_ascii_case("bypassrls")) {
                let what = format!("gives the role `{}` BYPASSRLS: it ignores every policy", role.trim());
                self.event(EventKind::RlsBypass { what }, statement, None);
            }
        }
    }

    /// Marks every table and view whose name appears in opaque code (a `DO` block) as uncertain,
    /// when the code can change a schema at all: a block of checks (`SELECT`, `IF`, `RAISE`)
    /// without `CREATE`, `ALTER`, `DROP`, `GRANT`, `REVOKE` or dynamic SQL (`EXECUTE`) leaves
    /// every object as it was.
    fn mark_uncertain_in(&mut self, code: &str) {
        let code = code.to_lowercase();
        if !["create", "alter", "drop", "grant", "revoke", "execute"].iter().any(|w| contains_word(&code, w)) {
            return;
        }
        for table in self.model.tables.values_mut() {
            if contains_word(&code, &table.name.name.to_lowercase()) {
                table.uncertain = true;
            }
        }
        for view in self.model.views.values_mut() {
            if contains_word(&code, &view.name.name.to_lowercase()) {
                view.uncertain = true;
            }
        }
        // Only function DDL (`DROP FUNCTION`, `ALTER FUNCTION`, `GRANT … ON FUNCTION`, …): a
        // block that merely calls a function leaves it as it was.
        let words = code.split_whitespace().collect::<Vec<_>>().join(" ");
        let ddl =
            ["drop function", "alter function", "create function", "replace function", "on function", "all functions"];
        if ddl.iter().any(|phrase| words.contains(phrase)) {
            for function in &mut self.model.functions {
                if contains_word(&code, &function.name.name.to_lowercase()) {
                    function.uncertain = true;
                }
            }
        }
    }
}

/// The value of `security_invoker` in an option list, when it is named there.
fn security_invoker_option(list: &SyntaxNode) -> Option<bool> {
    let option = list.children().find(|o| {
        child(o, SyntaxKind::ATTRIBUTE_NAME)
            .is_some_and(|n| n.text().to_string().trim().eq_ignore_ascii_case("security_invoker"))
    })?;
    let value = child(&option, SyntaxKind::ATTRIBUTE_VALUE).map(|v| v.text().to_string());
    Some(match value {
        None => true,
        Some(v) => matches!(v.trim().trim_matches('\'').to_lowercase().as_str(), "true" | "on" | "yes" | "1"),
    })
}

/// Role names of a `ROLE_REF_LIST` (or a node containing one), normalised.
fn role_list(node: &SyntaxNode) -> Vec<String> {
    node.descendants()
        .filter(|n| n.kind() == SyntaxKind::ROLE_REF)
        .map(|r| normalize_identifier(r.text().to_string().trim()))
        .collect()
}

/// Column names of a column list.
fn column_refs(list: &SyntaxNode) -> Vec<String> {
    list.children()
        .filter(|n| n.kind() == SyntaxKind::COLUMN_NAME_REF)
        .map(|n| normalize_identifier(n.text().to_string().trim()))
        .collect()
}

/// Input argument types of a parameter list, normalised so `int4`, `int` and `integer` agree.
fn param_types(list: &SyntaxNode) -> Vec<String> {
    list.children()
        .filter(|p| p.kind() == SyntaxKind::PARAM)
        .filter(|p| !p.children().any(|m| m.kind() == SyntaxKind::PARAM_OUT))
        .filter_map(|p| p.children().find(|n| is_type(n.kind())))
        .map(|t| normalize_type(&t.text().to_string()))
        .collect()
}

/// Whether a node kind is a type (`PATH_TYPE`, `ARRAY_TYPE`, `TIME_TYPE`, …).
fn is_type(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::ARRAY_TYPE
            | SyntaxKind::BIT_TYPE
            | SyntaxKind::BIT_VARYING_TYPE
            | SyntaxKind::CHARACTER_TYPE
            | SyntaxKind::DOUBLE_TYPE
            | SyntaxKind::INTERVAL_TYPE
            | SyntaxKind::PATH_TYPE
            | SyntaxKind::PERCENT_TYPE
            | SyntaxKind::TIME_TYPE
            | SyntaxKind::TIMESTAMP_TYPE
            | SyntaxKind::VARCHAR_TYPE
    )
}

/// Canonical spelling of a type name, as PostgreSQL resolves it in a function signature:
/// unquoted words folded to lower case, quoted ones kept as written without their quotes
/// (`"uuid"` is `uuid`, `"MyType"` is not `mytype`), whitespace collapsed, type modifiers dropped
/// (`varchar(255)` is `character varying`), `pg_catalog.` and `public.` (the default search path)
/// dropped, and the usual aliases spelled out (`int4` is `integer`).
pub(super) fn normalize_type(text: &str) -> String {
    let mut folded = String::new();
    let mut chars = text.chars().peekable();
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut ident = String::new();
                while let Some(q) = chars.next() {
                    if q == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            ident.push('"');
                            continue;
                        }
                        break;
                    }
                    ident.push(q);
                }
                if depth == 0 {
                    folded.push_str(&super::names::quote_if_needed(&ident));
                }
            }
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            c if c.is_whitespace() => {
                if !folded.ends_with(' ') {
                    folded.push(' ');
                }
            }
            c => folded.extend(c.to_lowercase()),
        }
    }
    let lower = folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" [", "[")
        .replace(" .", ".")
        .replace(". ", ".");
    let (base, array) = match lower.strip_suffix("[]") {
        Some(b) => (b.trim().to_string(), "[]"),
        None => (lower, ""),
    };
    let base = base.strip_prefix("pg_catalog.").or_else(|| base.strip_prefix("public.")).unwrap_or(&base).to_string();
    let canonical = match base.as_str() {
        "int" | "int4" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        "bool" => "boolean",
        "varchar" => "character varying",
        "char" => "character",
        "float8" | "float" => "double precision",
        "float4" => "real",
        "decimal" => "numeric",
        "timestamptz" => "timestamp with time zone",
        "timestamp" => "timestamp without time zone",
        "timetz" => "time with time zone",
        "time" => "time without time zone",
        other => other,
    };
    format!("{canonical}{array}")
}

/// What follows a key column's name in `CREATE INDEX`, normalised: lower case, `ASC` and the
/// default `NULLS` placement (`LAST` ascending, `FIRST` descending) dropped.
fn index_column_options(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let desc = words.iter().any(|w| w == "desc");
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match (words[i].as_str(), words.get(i + 1).map(String::as_str)) {
            ("asc", _) => {}
            ("nulls", Some("first")) if desc => i += 1,
            ("nulls", Some("last")) if !desc => i += 1,
            (word, _) => out.push(word),
        }
        i += 1;
    }
    out.join(" ")
}

/// PostgreSQL truncates identifiers to 63 bytes.
fn truncate_identifier(name: &str) -> String {
    let mut end = name.len().min(63);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// The first child node of `kind`.
pub(super) fn child(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxNode> {
    node.children().find(|n| n.kind() == kind)
}

/// The first node of `kind` among the children and grandchildren of `node`.
fn descendant(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxNode> {
    child(node, kind).or_else(|| node.children().find_map(|c| child(&c, kind)))
}

/// Whether `node` has a direct child token of `kind`.
fn has_token(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.children_with_tokens().any(|e| e.kind() == kind)
}

/// A node's byte range.
pub fn text_range(node: &SyntaxNode) -> std::ops::Range<usize> {
    let range = node.text_range();
    usize::from(range.start())..usize::from(range.end())
}

/// True when `word` occurs in `text` not as part of a longer identifier.
pub fn contains_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    !word.is_empty()
        && text.match_indices(word).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
}

#[cfg(test)]
mod tests {
    use super::normalize_type;

    #[test]
    fn types_are_normalised_as_postgresql_resolves_them() {
        assert_eq!(normalize_type("\"uuid\""), "uuid");
        assert_eq!(normalize_type("UUID"), "uuid");
        assert_eq!(normalize_type("\"public\".\"status\""), "status");
        assert_eq!(normalize_type("public.status"), "status");
        assert_eq!(normalize_type("\"MyType\""), "\"MyType\"");
        assert_ne!(normalize_type("\"MyType\""), normalize_type("MyType"));
        assert_eq!(normalize_type("character varying(255)"), "character varying");
        assert_eq!(normalize_type("varchar(20)[]"), "character varying[]");
        assert_eq!(normalize_type("\"text\"[]"), "text[]");
        assert_eq!(normalize_type("timestamp(3)  with time zone"), "timestamp with time zone");
        assert_eq!(normalize_type("pg_catalog.int4"), "integer");
        assert_eq!(normalize_type("app.status"), "app.status");
    }

    #[test]
    fn index_column_options_drop_the_defaults() {
        use super::index_column_options;
        assert_eq!(index_column_options(""), "");
        assert_eq!(index_column_options(" ASC NULLS LAST"), "");
        assert_eq!(index_column_options(" DESC"), "desc");
        assert_eq!(index_column_options(" desc nulls first"), "desc");
        assert_eq!(index_column_options(" DESC NULLS LAST"), "desc nulls last");
        assert_eq!(index_column_options(" text_pattern_ops"), "text_pattern_ops");
    }
}
