//! The model's facts in the shape `scripts/pg-agreement.sh` reads from PostgreSQL's catalogs,
//! so the two can be compared (`baton debug model DIR`).

use serde_json::{json, Map, Value};

use super::model::MigrationModel;
use super::names::QualifiedName;

impl MigrationModel {
    /// What the model says PostgreSQL's catalogs hold, as JSON. Uncertain tables and views and
    /// temporary objects are left out: the model does not claim to know them.
    pub fn catalog_facts(&self) -> Value {
        let mut tables = Map::new();
        for t in self.tables.values().filter(|t| !t.uncertain && t.name.schema != "pg_temp") {
            let mut fks: Vec<Value> = t
                .foreign_keys
                .iter()
                .map(|fk| json!({"columns": fk.columns, "references": fk.references.to_string()}))
                .collect();
            fks.sort_by_key(|v| v.to_string());
            tables.insert(
                t.name.to_string(),
                json!({
                    "rls_enabled": t.rls_enabled,
                    "rls_forced": t.rls_forced,
                    "columns": if t.columns_unknown { Value::Null } else { json!(t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>()) },
                    "not_null": if t.columns_unknown { Value::Null } else { json!(t.columns.iter().filter(|c| c.not_null).map(|c| c.name.clone()).collect::<Vec<_>>()) },
                    "primary_key": t.primary_key,
                    "foreign_keys": fks,
                }),
            );
        }
        let mut policies: Vec<Value> = self
            .policies
            .iter()
            .filter(|p| !self.is_uncertain(&p.table))
            .map(|p| {
                let mut roles = p.roles.clone();
                roles.sort();
                json!({
                    "table": p.table.to_string(),
                    "name": p.name,
                    "command": p.command.as_str(),
                    "roles": roles,
                    "permissive": p.permissive,
                    "has_using": p.using.is_some(),
                    "has_check": p.with_check.is_some(),
                    "using_true": p.using.as_ref().is_some_and(|e| e.always_true),
                    "check_true": p.with_check.as_ref().is_some_and(|e| e.always_true),
                })
            })
            .collect();
        policies.sort_by_key(|v| v.to_string());
        let mut indexes: Vec<Value> = self
            .indexes
            .values()
            .filter(|i| !self.is_uncertain(&i.table) && i.table.schema != "pg_temp")
            .map(|i| json!({"name": i.name.to_string(), "table": i.table.to_string(), "columns": i.columns, "unique": i.unique}))
            .collect();
        indexes.sort_by_key(|v| v.to_string());
        let mut functions: Vec<Value> = self
            .functions
            .iter()
            .map(|f| {
                json!({
                    "name": f.name.to_string(),
                    "args": f.args,
                    "security_definer": f.security_definer,
                    "search_path_set": f.search_path.is_some(),
                    "anon_execute": f.executable_by("anon"),
                    "authenticated_execute": f.executable_by("authenticated"),
                })
            })
            .collect();
        functions.sort_by_key(|v| v.to_string());
        let views: Map<String, Value> = self
            .views
            .values()
            .filter(|v| !v.uncertain && v.name.schema != "pg_temp")
            .map(|v| {
                let api_select = |role: &str| {
                    if v.name.schema == "public" {
                        json!(!v.select_revoked.contains(role))
                    } else {
                        Value::Null
                    }
                };
                let facts = json!({
                    "materialized": v.materialized,
                    "security_invoker": v.security_invoker,
                    "reads_auth_users": v.reads.contains(&QualifiedName::new("auth", "users")),
                    "anon_select": api_select("anon"),
                    "authenticated_select": api_select("authenticated"),
                });
                (v.name.to_string(), facts)
            })
            .collect();
        let extensions: Map<String, Value> =
            self.extensions.values().map(|e| (e.name.clone(), Value::String(e.schema.clone()))).collect();
        let uncertain: Vec<String> = self
            .tables
            .values()
            .filter(|t| t.uncertain)
            .map(|t| t.name.to_string())
            .chain(self.views.values().filter(|v| v.uncertain).map(|v| v.name.to_string()))
            .collect();
        json!({
            "migrations": self.migrations,
            "uncertain": uncertain,
            "tables": tables,
            "policies": policies,
            "indexes": indexes,
            "functions": functions,
            "views": views,
            "extensions": extensions,
        })
    }
}
