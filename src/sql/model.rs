//! The schema model: what the database looks like after replaying migrations in order.
//!
//! Each statement updates the model and remembers where it happened, so a rule can report at
//! the statement that caused a problem (or the one that should have fixed it). Statements the
//! model cannot see into (`DO` blocks, dynamic SQL) mark the tables they mention as uncertain:
//! rules stay silent on uncertain tables, because no finding beats a wrong one.
//!
//! The replay itself (one statement at a time) lives in [`super::replay`]; policy expressions
//! are read in [`super::policy_expr`]. The model is plain owned data (no syntax trees), so it
//! can be dumped as JSON (`baton debug model DIR`) and compared with PostgreSQL's catalogs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use serde::Serialize;

use super::names::QualifiedName;
use crate::syntax::Document;

/// A place in a migration: a file and a byte range in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Workspace-relative path.
    pub path: String,
    /// Byte range.
    pub range: Range<usize>,
    /// Position of the file in the replayed sequence (0 = first migration).
    pub migration: usize,
}

/// A column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Normalised name.
    pub name: String,
    /// The type as written, lower case.
    pub type_text: String,
    /// `NOT NULL` (or part of the primary key).
    pub not_null: bool,
    /// Has a default, an identity or a generated expression, or is a `serial`.
    pub has_default: bool,
}

/// A foreign key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    /// Constraint name (PostgreSQL's generated name when none is written).
    pub name: String,
    /// The referencing columns, in order.
    pub columns: Vec<String>,
    /// The referenced table.
    pub references: QualifiedName,
    /// Where it was declared: the column definition or the constraint.
    pub declared: Location,
    /// The whole statement that declared it (fixes go after it).
    pub statement: Location,
}

/// A table as the migrations leave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Primary key columns, when there is a primary key.
    pub primary_key: Option<Vec<String>>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Whether row level security is enabled at the end of the replay.
    pub rls_enabled: bool,
    /// Whether row level security is forced for the owner.
    pub rls_forced: bool,
    /// Every `ENABLE`/`DISABLE ROW LEVEL SECURITY`, in order: where, and whether it enabled.
    pub rls_changes: Vec<(Location, bool)>,
    /// Created by `CREATE TABLE … AS`, `LIKE` or `PARTITION OF`: its columns are not all known.
    pub columns_unknown: bool,
    /// A statement the model cannot see into touched this table.
    pub uncertain: bool,
    /// Whether `anon` / `authenticated` may `SELECT` from it (Supabase's default privileges grant
    /// it in `public`; `GRANT`, `REVOKE` and `ALTER DEFAULT PRIVILEGES … ON TABLES` change it).
    pub select: BTreeMap<String, bool>,
}

impl Table {
    /// Whether `anon` or `authenticated` may `SELECT` from it: the API roles that see it.
    pub fn api_readers(&self) -> Vec<&str> {
        ["anon", "authenticated"].into_iter().filter(|r| self.select.get(*r).copied().unwrap_or(false)).collect()
    }
}

/// What a policy applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PolicyCommand {
    /// `FOR ALL` (the default).
    All,
    /// `FOR SELECT`.
    Select,
    /// `FOR INSERT`.
    Insert,
    /// `FOR UPDATE`.
    Update,
    /// `FOR DELETE`.
    Delete,
}

impl PolicyCommand {
    /// The SQL keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }

    /// Whether a policy for this command applies to `action` (never `All`).
    pub fn covers(self, action: PolicyCommand) -> bool {
        self == PolicyCommand::All || self == action
    }
}

/// A call that PostgreSQL evaluates once per row because it is not wrapped in `(select …)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PerRowCall {
    /// Where the call is.
    pub location: Location,
    /// The call as written, e.g. `auth.uid()`.
    pub text: String,
}

/// What the model knows about a `USING` or `WITH CHECK` expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyExpr {
    /// The expression as written (without the outer parentheses).
    pub text: String,
    /// Where it is.
    pub location: Location,
    /// The expression is the constant `true` (or a trivially true comparison of equal literals).
    pub always_true: bool,
    /// Where it reads `user_metadata` from the JWT (which users can edit themselves).
    pub user_metadata: Option<Location>,
    /// `auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()` and `current_setting()` calls
    /// not wrapped in `(select …)`.
    pub per_row_calls: Vec<PerRowCall>,
}

/// A row level security policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Normalised name.
    pub name: String,
    /// The table it is on.
    pub table: QualifiedName,
    /// The command it applies to.
    pub command: PolicyCommand,
    /// Roles (normalised); `public` when none is named.
    pub roles: Vec<String>,
    /// `AS PERMISSIVE` (the default) or `AS RESTRICTIVE`.
    pub permissive: bool,
    /// `USING (…)`.
    pub using: Option<PolicyExpr>,
    /// `WITH CHECK (…)`.
    pub with_check: Option<PolicyExpr>,
    /// The `CREATE POLICY` statement.
    pub created: Location,
    /// `CREATE POLICY <name>`: where findings about the policy are shown.
    pub head: Location,
}

impl Policy {
    /// Whether the policy applies to `role` (directly or through `public`).
    pub fn applies_to(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role || r == "public")
    }
}

/// An index (explicit, or backing a primary key or unique constraint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Index {
    /// The index name (in the table's schema).
    pub name: QualifiedName,
    /// The indexed table.
    pub table: QualifiedName,
    /// Key columns in order; `None` for an expression.
    pub columns: Vec<Option<String>>,
    /// `UNIQUE` (or a primary key / unique constraint).
    pub unique: bool,
    /// Access method (`btree` unless written).
    pub method: String,
    /// The `WHERE` predicate of a partial index, normalised.
    pub predicate: Option<String>,
    /// Backs a `PRIMARY KEY` or `UNIQUE` constraint.
    pub constraint: bool,
    /// Built with `CONCURRENTLY`.
    pub concurrently: bool,
    /// Per key column, what follows its name (operator class, `DESC`, `NULLS FIRST`), normalised
    /// (`ASC` and the default `NULLS` placement dropped); empty for a constraint's index.
    pub column_options: Vec<String>,
    /// The statement that created it.
    pub created: Location,
}

/// A view or materialized view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct View {
    /// Its current name.
    pub name: QualifiedName,
    /// `CREATE MATERIALIZED VIEW`.
    pub materialized: bool,
    /// `security_invoker` is on.
    pub security_invoker: bool,
    /// Relations its query reads (CTE names excluded).
    pub reads: BTreeSet<QualifiedName>,
    /// `anon` / `authenticated` had `SELECT` revoked.
    pub select_revoked: BTreeSet<String>,
    /// The statement that created it.
    pub created: Location,
    /// `CREATE VIEW <name>`: where findings are shown.
    pub head: Location,
    /// Where `WITH (security_invoker = true)` can be inserted (right after the name), or inside
    /// an existing option list (then the text must end with `, `).
    pub options_insert: Option<(usize, bool)>,
    /// A statement the model cannot see into touched it.
    pub uncertain: bool,
}

/// A function or procedure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Function {
    /// Its name.
    pub name: QualifiedName,
    /// Input argument types, normalised (`int` → `integer`, …).
    pub args: Vec<String>,
    /// A procedure rather than a function.
    pub procedure: bool,
    /// `SECURITY DEFINER`.
    pub security_definer: bool,
    /// The value of `SET search_path`, when set.
    pub search_path: Option<String>,
    /// `LANGUAGE`.
    pub language: String,
    /// Which of `public`, `anon`, `authenticated` hold `EXECUTE`.
    pub execute: BTreeMap<String, bool>,
    /// The statement that (last) defined it.
    pub created: Location,
    /// `CREATE FUNCTION <name>`: where findings are shown.
    pub head: Location,
    /// Where a `SET search_path = ''` option can be inserted (before the first option).
    pub options_insert: usize,
    /// The signature as written for `ALTER`/`REVOKE` (`public.f(integer)`).
    pub signature: String,
    /// The last `GRANT`/`REVOKE` that changed who may execute it.
    pub last_grant: Option<Location>,
    /// The session's `search_path` when it was created (what its unqualified names resolve
    /// through in the migration).
    pub created_search_path: Vec<String>,
    /// A statement the model cannot see into (a `DO` block) creates, alters, drops or grants a
    /// function of this name.
    pub uncertain: bool,
}

impl Function {
    /// Whether `role` may execute it (through its own grant or `public`'s).
    pub fn executable_by(&self, role: &str) -> bool {
        self.execute.get(role).copied().unwrap_or(false) || self.execute.get("public").copied().unwrap_or(false)
    }
}

/// An installed extension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// Its name.
    pub name: String,
    /// The schema its objects live in.
    pub schema: String,
    /// The `CREATE EXTENSION` statement.
    pub created: Location,
    /// Written `IF NOT EXISTS` (a no-op where the extension is already installed).
    pub if_not_exists: bool,
}

/// A Supabase Storage bucket (a row of `storage.buckets` some migration inserted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// The bucket id.
    pub id: String,
    /// Files are served by URL to anyone (`public = true`).
    pub public: bool,
    /// The statement that last set `public`.
    pub set: Location,
}

/// Something a statement did that rules judge by itself (not by the final state).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Where: the statement or the action inside it.
    pub location: Location,
    /// The table it happened to, when there is one.
    pub table: Option<QualifiedName>,
    /// The table was created earlier in the same migration file (so it holds no rows and
    /// nobody uses it yet).
    pub table_created_here: bool,
    /// The migration that created the table, when the replay saw it.
    pub table_created_in: Option<usize>,
    /// The table is uncertain (see [`Table::uncertain`]).
    pub table_uncertain: bool,
}

/// The kinds of [`Event`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum EventKind {
    /// `CREATE INDEX`: whether `CONCURRENTLY`, and where its `INDEX` keyword ends.
    CreateIndex {
        /// Built with `CONCURRENTLY`.
        concurrently: bool,
        /// Byte offset right after the `INDEX` keyword.
        after_index_kw: usize,
    },
    /// `ADD COLUMN` of a `NOT NULL` column without a default.
    AddRequiredColumn {
        /// The column.
        column: String,
    },
    /// `ALTER COLUMN … TYPE`.
    ChangeColumnType {
        /// The column.
        column: String,
    },
    /// `DROP COLUMN`.
    DropColumn {
        /// The column.
        column: String,
    },
    /// `DROP TABLE` of a table the model knows.
    DropTable,
    /// `ADD CONSTRAINT … FOREIGN KEY` (or `ADD COLUMN … REFERENCES`) on an existing table.
    AddForeignKey {
        /// Written with `NOT VALID`.
        not_valid: bool,
        /// `ADD COLUMN … REFERENCES` (a new, empty column: validation is cheap, the lock is not).
        new_column: bool,
        /// The constraint's name (as PostgreSQL generates it when none is written).
        constraint: String,
        /// Byte offset right after the constraint (where `NOT VALID` goes).
        constraint_end: usize,
        /// The whole `ALTER TABLE` statement.
        statement: Location,
    },
    /// A statement that switches row level security off for someone: `BYPASSRLS`,
    /// `DISABLE` / `NO FORCE ROW LEVEL SECURITY`.
    RlsBypass {
        /// What it does, in words.
        what: String,
    },
    /// A session's `SET row_security = off` after the file's leading `SET`s (pg_dump writes it in
    /// that preamble, where it is harmless): it bypasses nothing, but makes every later query a
    /// policy would filter raise an error.
    RowSecurityOff,
}

/// The replayed schema.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MigrationModel {
    /// Tables by current name.
    pub tables: BTreeMap<QualifiedName, Table>,
    /// Policies in creation order.
    pub policies: Vec<Policy>,
    /// Indexes by name.
    pub indexes: BTreeMap<QualifiedName, Index>,
    /// Views and materialized views by name.
    pub views: BTreeMap<QualifiedName, View>,
    /// Functions and procedures in creation order.
    pub functions: Vec<Function>,
    /// Extensions by name.
    pub extensions: BTreeMap<String, Extension>,
    /// Storage buckets by id.
    pub buckets: BTreeMap<String, Bucket>,
    /// Statement-level events in replay order.
    pub events: Vec<Event>,
    /// `ALTER DEFAULT PRIVILEGES` for functions: (schema, or `""` for every schema; role) →
    /// granted.
    pub default_function_execute: BTreeMap<(String, String), bool>,
    /// `ALTER DEFAULT PRIVILEGES` for `SELECT` on tables: (schema, or `""` for every schema;
    /// role) → granted.
    pub default_table_select: BTreeMap<(String, String), bool>,
    /// The replayed files in order.
    pub migrations: Vec<String>,
    /// Positions in `policies` by table (built once the replay is done).
    #[serde(skip)]
    pub(super) policies_by_table: HashMap<QualifiedName, Vec<usize>>,
    /// (table, name) of every policy created so far, possibly stale after drops: lets the
    /// replay skip looking for a policy to replace.
    #[serde(skip)]
    pub(super) policy_keys: std::collections::HashSet<(QualifiedName, String)>,
    /// Index names by table (built once the replay is done).
    #[serde(skip)]
    pub(super) indexes_by_table: HashMap<QualifiedName, Vec<QualifiedName>>,
    /// The objects by the word that names them, for [`MigrationModel::seed_for`] (built on first
    /// use; not part of the model's value).
    #[serde(skip)]
    seed_index: SeedIndexCell,
    /// The exposed schemas decided for the workspace this model was replayed in
    /// (`crate::sql::exposure::resolve`), for SQL checked on top of it (code blocks in
    /// Markdown); `None` when not decided.
    #[serde(skip)]
    pub exposed_schemas: Option<Vec<String>>,
}

/// Where [`MigrationModel::seed_for`] finds the objects a word names: built once per model, so
/// seeding a document costs O(its words), not O(the model's objects).
#[derive(Default)]
struct SeedIndex {
    /// Tables, views and index names by the word that names them ([`seed_word`]).
    tables: HashMap<String, Vec<QualifiedName>>,
    views: HashMap<String, Vec<QualifiedName>>,
    indexes: HashMap<String, Vec<QualifiedName>>,
    /// Positions in `functions` by the word that names them.
    functions: HashMap<String, Vec<usize>>,
    /// Positions in `policies` by table.
    policies: HashMap<QualifiedName, Vec<usize>>,
    /// Index names by table.
    indexes_of: HashMap<QualifiedName, Vec<QualifiedName>>,
}

/// The lazily built [`SeedIndex`] of a model: derived data, so it never makes two models differ,
/// and a clone starts without one.
#[derive(Default)]
struct SeedIndexCell(std::sync::OnceLock<SeedIndex>);

impl Clone for SeedIndexCell {
    fn clone(&self) -> Self {
        SeedIndexCell::default()
    }
}

impl PartialEq for SeedIndexCell {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SeedIndexCell {}

impl std::fmt::Debug for SeedIndexCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeedIndexCell")
    }
}

/// The word of `text` (lower-cased, as [`MigrationModel::seed_for`] splits it) that names an
/// object called `name`: its bare name without quotes, lower-cased when it has an upper-case letter.
fn seed_word(name: &QualifiedName) -> String {
    let bare = name.name.trim_matches('"');
    if bare.chars().any(|c| c.is_uppercase()) {
        bare.to_lowercase()
    } else {
        bare.to_string()
    }
}

impl MigrationModel {
    /// Replays `documents` in order.
    pub fn replay(documents: &[&Document]) -> MigrationModel {
        super::replay::replay(documents)
    }

    /// Replays `documents` in order on top of this model (a proposal over the migrations).
    pub fn replay_onto(self, documents: &[&Document]) -> MigrationModel {
        super::replay::replay_onto(self, documents)
    }

    /// The part of this model that `text` can touch, to replay `text` on top of: the tables,
    /// views and functions whose names occur in it as words (case-insensitively), with the
    /// policies and indexes of those tables, plus every extension, bucket and default privilege.
    /// Events are left out (they belong to the migrations' own statements), and the migration
    /// positions are kept, so what is replayed next comes after every migration. The cost is
    /// that of the objects named, never a copy of the whole model.
    pub fn seed_for(&self, text: &str) -> MigrationModel {
        // The words of the text, once; each is then looked up in the index of the model's
        // objects by name (built once per model): scanning every object per document cost
        // O(objects) per document, half the CPU of a workflow repository's check.
        let words: std::collections::HashSet<String> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let index = self.seed_index.0.get_or_init(|| self.seed_index());
        let named = |map: &HashMap<String, Vec<QualifiedName>>| -> std::collections::BTreeSet<QualifiedName> {
            words.iter().filter_map(|w| map.get(w)).flatten().cloned().collect()
        };
        let tables: BTreeMap<QualifiedName, Table> =
            named(&index.tables).into_iter().filter_map(|n| self.tables.get(&n).map(|t| (n, t.clone()))).collect();
        let mut policy_positions: Vec<usize> =
            tables.keys().filter_map(|t| index.policies.get(t)).flatten().copied().collect();
        policy_positions.sort_unstable();
        policy_positions.dedup();
        let policies: Vec<Policy> = policy_positions.iter().filter_map(|&i| self.policies.get(i)).cloned().collect();
        let policy_keys = policies.iter().map(|p| (p.table.clone(), p.name.clone())).collect();
        let mut index_names = named(&index.indexes);
        index_names.extend(tables.keys().filter_map(|t| index.indexes_of.get(t)).flatten().cloned());
        let indexes = index_names.into_iter().filter_map(|n| self.indexes.get(&n).map(|i| (n, i.clone()))).collect();
        let views =
            named(&index.views).into_iter().filter_map(|n| self.views.get(&n).map(|v| (n, v.clone()))).collect();
        let mut function_positions: Vec<usize> =
            words.iter().filter_map(|w| index.functions.get(w)).flatten().copied().collect();
        function_positions.sort_unstable();
        function_positions.dedup();
        let functions = function_positions.iter().filter_map(|&i| self.functions.get(i)).cloned().collect();
        let mut model = MigrationModel {
            tables,
            policies,
            indexes,
            views,
            functions,
            extensions: self.extensions.clone(),
            buckets: self.buckets.clone(),
            events: Vec::new(),
            default_function_execute: self.default_function_execute.clone(),
            default_table_select: self.default_table_select.clone(),
            migrations: vec![String::new(); self.migrations.len()],
            policy_keys,
            ..MigrationModel::default()
        };
        model.finish();
        model
    }

    /// The index [`MigrationModel::seed_for`] looks objects up in.
    fn seed_index(&self) -> SeedIndex {
        let mut index = SeedIndex::default();
        for name in self.tables.keys() {
            index.tables.entry(seed_word(name)).or_default().push(name.clone());
        }
        for name in self.views.keys() {
            index.views.entry(seed_word(name)).or_default().push(name.clone());
        }
        for (name, found) in &self.indexes {
            index.indexes.entry(seed_word(name)).or_default().push(name.clone());
            index.indexes_of.entry(found.table.clone()).or_default().push(name.clone());
        }
        for (i, function) in self.functions.iter().enumerate() {
            index.functions.entry(seed_word(&function.name)).or_default().push(i);
        }
        for (i, policy) in self.policies.iter().enumerate() {
            index.policies.entry(policy.table.clone()).or_default().push(i);
        }
        index
    }

    /// Policies on `table`.
    pub fn policies_on<'m>(&'m self, table: &QualifiedName) -> impl Iterator<Item = &'m Policy> + 'm {
        let positions = self.policies_by_table.get(table).map_or(&[][..], Vec::as_slice);
        positions.iter().filter_map(|&i| self.policies.get(i))
    }

    /// Whether `table` is known and uncertain, or a view of that name is uncertain.
    pub fn is_uncertain(&self, name: &QualifiedName) -> bool {
        self.tables.get(name).is_some_and(|t| t.uncertain) || self.views.get(name).is_some_and(|v| v.uncertain)
    }

    /// Indexes on `table`.
    pub fn indexes_on<'m>(&'m self, table: &QualifiedName) -> impl Iterator<Item = &'m Index> + 'm {
        let names = self.indexes_by_table.get(table).map_or(&[][..], Vec::as_slice);
        names.iter().filter_map(|n| self.indexes.get(n))
    }

    /// Builds the lookup tables rules use; called once the replay is done.
    pub(super) fn finish(&mut self) {
        self.policies_by_table.clear();
        for (i, policy) in self.policies.iter().enumerate() {
            self.policies_by_table.entry(policy.table.clone()).or_default().push(i);
        }
        self.indexes_by_table.clear();
        for index in self.indexes.values() {
            self.indexes_by_table.entry(index.table.clone()).or_default().push(index.name.clone());
        }
    }
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

    #[test]
    fn policies_follow_alter_rename_and_drop() {
        let model = replay(&[
            (
                "m/1.sql",
                "create table t (id int primary key, owner uuid);\ncreate policy \"Read\" on t for select to authenticated using (owner = auth.uid());\ncreate policy w on t as restrictive for insert with check (true);",
            ),
            ("m/2.sql", "alter policy \"Read\" on t rename to r2;\nalter policy w on public.t to anon, authenticated;\nalter table t rename to t2;\ndrop policy if exists nope on t2;"),
        ]);
        let names: Vec<(&str, String, PolicyCommand, bool)> =
            model.policies.iter().map(|p| (p.name.as_str(), p.table.to_string(), p.command, p.permissive)).collect();
        assert_eq!(
            names,
            [
                ("r2", "public.t2".into(), PolicyCommand::Select, true),
                ("w", "public.t2".into(), PolicyCommand::Insert, false)
            ]
        );
        assert_eq!(model.policies[1].roles, ["anon", "authenticated"]);
        let read = model.policies[0].using.as_ref().unwrap();
        assert_eq!(read.per_row_calls.len(), 1);
        assert!(model.policies[1].with_check.as_ref().unwrap().always_true);
        assert_eq!(model.policies_on(&QualifiedName::new("public", "t2")).count(), 2);
    }

    #[test]
    fn keys_indexes_and_implicit_names() {
        let model = replay(&[(
            "m/1.sql",
            "create table a (id bigint generated always as identity primary key, email text unique, b_id int references b (id));\ncreate index on a (b_id);\ncreate index on a (b_id);\ncreate index a_lower on a ((lower(email)));\nalter table a drop column email;",
        )]);
        let a = table(&model, "public", "a").unwrap();
        assert_eq!(a.primary_key.as_deref(), Some(&["id".to_string()][..]));
        assert!(a.columns[0].not_null, "identity columns are NOT NULL");
        assert_eq!(a.foreign_keys[0].name, "a_b_id_fkey");
        let names: Vec<String> = model.indexes.keys().map(|n| n.name.clone()).collect();
        assert_eq!(
            names,
            ["a_b_id_idx", "a_b_id_idx1", "a_lower", "a_pkey"],
            "the unique index on email went with its column"
        );
        assert_eq!(model.indexes[&QualifiedName::new("public", "a_lower")].columns, [None]);
    }

    #[test]
    fn views_and_security_invoker() {
        let model = replay(&[
            ("m/1.sql", "create view v as select * from auth.users u join t on true;\ncreate view w with (security_invoker) as select 1;\ncreate materialized view mv as select 1;"),
            ("m/2.sql", "alter view v set (security_invoker = on);\ncreate or replace view w as select 2;\nrevoke select on v from anon;"),
        ]);
        let v = &model.views[&QualifiedName::new("public", "v")];
        assert!(v.security_invoker && v.reads.contains(&QualifiedName::new("auth", "users")));
        assert!(v.select_revoked.contains("anon"));
        assert!(
            !model.views[&QualifiedName::new("public", "w")].security_invoker,
            "CREATE OR REPLACE resets the options"
        );
        assert!(model.views[&QualifiedName::new("public", "mv")].materialized);
    }

    #[test]
    fn function_privileges_follow_postgres_and_supabase_defaults() {
        let model = replay(&[
            ("m/1.sql", "create function f(a int4) returns int language sql security definer as 'select 1';\nrevoke execute on function f(integer) from anon;"),
            (
                "m/2.sql",
                "alter default privileges in schema public revoke execute on functions from public, anon, authenticated;\ncreate function g() returns int language sql as 'select 1';\nalter default privileges revoke execute on functions from public;\ncreate function h() returns int language sql as 'select 1';\nalter function h() set search_path = '';",
            ),
        ]);
        let by_name = |n: &str| model.functions.iter().find(|f| f.name.name == n).unwrap();
        let f = by_name("f");
        assert_eq!(f.args, ["integer"]);
        assert!(f.executable_by("anon"), "PUBLIC still has EXECUTE");
        assert!(by_name("g").executable_by("anon"), "a per-schema REVOKE cannot take away the global PUBLIC default");
        assert!(!by_name("h").executable_by("anon") && !by_name("h").executable_by("authenticated"));
        assert_eq!(by_name("h").search_path.as_deref(), Some("''"));
    }

    #[test]
    fn events_know_where_the_table_was_created() {
        let model = replay(&[
            ("m/1.sql", "create table t (id int);\ncreate index t_id on t (id);"),
            ("m/2.sql", "create index t_id2 on t (id);\nalter table t add column x int not null, alter column id type bigint, drop column x;\ndrop table t;"),
        ]);
        let kinds: Vec<(String, bool, Option<usize>)> = model
            .events
            .iter()
            .map(|e| {
                (
                    format!("{:?}", e.kind).split([' ', '{']).next().unwrap().to_string(),
                    e.table_created_here,
                    e.table_created_in,
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("CreateIndex".to_string(), true, Some(0)),
                ("CreateIndex".to_string(), false, Some(0)),
                ("AddRequiredColumn".to_string(), false, Some(0)),
                ("ChangeColumnType".to_string(), false, Some(0)),
                ("DropColumn".to_string(), false, Some(0)),
                ("DropTable".to_string(), false, Some(0)),
            ]
        );
        assert!(model.tables.is_empty() && model.indexes.is_empty());
    }

    #[test]
    fn any_prefix_of_real_migrations_replays_without_panicking() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sql");
        let mut texts = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "sql") {
                    texts.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        texts.push("create policy on on using ((((( alter table drop column ; create index on (".to_string());
        texts.push(format!("create policy p on t using ({}true{});", "(".repeat(300), ")".repeat(300)));
        for text in &texts {
            let cuts: Vec<usize> = (0..text.len()).step_by(7).filter(|&i| text.is_char_boundary(i)).collect();
            for cut in cuts {
                replay(&[("m/1.sql", &text[..cut])]);
            }
        }
    }
}
