//! Declarative schema rules over the replayed migrations (the multi-tenant checks teams write by
//! hand): every table in schemas S has column C; every policy on a table with column C
//! references C in USING and WITH CHECK; no table in S without RLS; functions in S are
//! SECURITY INVOKER. Findings land at the statement that created the table, policy or function.

use super::{substitute, Example};
use crate::engine::{Finding, SqlRuleContext};
use crate::sql::model::PolicyCommand;

/// What a schema rule checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaCheck {
    /// Every table in the schemas has the column.
    TableHasColumn,
    /// Every policy on a table with the column references it in USING and WITH CHECK.
    PoliciesCheckColumn,
    /// Every table in the schemas has row level security enabled.
    RlsEnabled,
    /// Every function in the schemas runs as SECURITY INVOKER.
    SecurityInvoker,
}

impl SchemaCheck {
    /// The names rule files use, in the order of the variants.
    pub const NAMES: &'static [&'static str] =
        &["table-has-column", "policies-check-column", "rls-enabled", "security-invoker"];

    /// The check named `name`.
    pub fn parse(name: &str) -> Option<SchemaCheck> {
        let all = [
            SchemaCheck::TableHasColumn,
            SchemaCheck::PoliciesCheckColumn,
            SchemaCheck::RlsEnabled,
            SchemaCheck::SecurityInvoker,
        ];
        Self::NAMES.iter().position(|n| *n == name).map(|i| all[i])
    }

    /// Its name in rule files.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// True when the check needs `column`.
    pub fn needs_column(self) -> bool {
        matches!(self, SchemaCheck::TableHasColumn | SchemaCheck::PoliciesCheckColumn)
    }

    /// The default summary.
    pub fn summary(self, column: &str) -> String {
        match self {
            SchemaCheck::TableHasColumn => format!("a table without the column `{column}`"),
            SchemaCheck::PoliciesCheckColumn => {
                format!("a policy on a table with `{column}` that does not check `{column}` in USING and WITH CHECK")
            }
            SchemaCheck::RlsEnabled => "a table whose row level security is never enabled".into(),
            SchemaCheck::SecurityInvoker => "a SECURITY DEFINER function".into(),
        }
    }
}

/// A schema rule as read from its rule file.
#[derive(Debug)]
pub struct SchemaRule {
    /// The rule file's workspace-relative path.
    pub path: String,
    /// What it checks.
    pub check: SchemaCheck,
    /// The schemas whose tables and functions it checks (policy checks: the tables' schemas).
    pub schemas: Vec<String>,
    /// The column (table and policy checks).
    pub column: String,
    /// Tables or functions exempt, by name (`name` or `schema.name`).
    pub except: Vec<String>,
    /// The message (placeholders [`SchemaRule::PLACEHOLDERS`]); empty: a default wording.
    pub message: String,
    /// The examples, which are tests.
    pub examples: Vec<Example>,
}

impl SchemaRule {
    /// The placeholders a schema rule's message may use.
    pub const PLACEHOLDERS: &'static [&'static str] = &["schema", "table", "column", "policy", "function"];

    fn applies(&self, schema: &str, name: &str) -> bool {
        self.schemas.iter().any(|s| s == schema)
            && !self.except.iter().any(|e| e == name || *e == format!("{schema}.{name}"))
    }

    fn message(&self, default: String, values: &[(&str, &str)]) -> String {
        if self.message.is_empty() {
            return default;
        }
        substitute(&self.message, |name| values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }
}

/// Runs a schema rule over one replayed migration sequence.
pub fn check(id: &'static str, rule: &SchemaRule, ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let model = ctx.model;
    let column = rule.column.as_str();
    match rule.check {
        SchemaCheck::TableHasColumn | SchemaCheck::RlsEnabled => {
            for table in model.tables.values() {
                let (schema, name) = (table.name.schema.as_str(), table.name.name.as_str());
                if table.uncertain || !rule.applies(schema, name) {
                    continue;
                }
                let default = match rule.check {
                    SchemaCheck::TableHasColumn => {
                        if table.columns_unknown || table.columns.iter().any(|c| c.name == column) {
                            continue;
                        }
                        format!("table `{}` has no column `{column}`", table.name)
                    }
                    _ => {
                        if table.rls_enabled {
                            continue;
                        }
                        format!("table `{}` in schema `{schema}` never enables row level security", table.name)
                    }
                };
                let values = [("schema", schema), ("table", name), ("column", column)];
                let finding = Finding::new(id, table.created_head.range.clone(), rule.message(default, &values));
                out.push((table.created.path.clone(), finding));
            }
        }
        SchemaCheck::PoliciesCheckColumn => {
            for policy in &model.policies {
                let Some(table) = model.tables.get(&policy.table) else { continue };
                let (schema, name) = (table.name.schema.as_str(), table.name.name.as_str());
                if !rule.applies(schema, name) || !table.columns.iter().any(|c| c.name == column) {
                    continue;
                }
                let mentions =
                    |expr: Option<&crate::sql::model::PolicyExpr>| expr.is_some_and(|e| references(&e.text, column));
                let using_needed = policy.command != PolicyCommand::Insert;
                let check_needed =
                    matches!(policy.command, PolicyCommand::Insert | PolicyCommand::Update | PolicyCommand::All);
                // Without WITH CHECK, PostgreSQL checks new rows of UPDATE/ALL with USING.
                let check_expr = policy.with_check.as_ref().or(match policy.command {
                    PolicyCommand::Insert => None,
                    _ => policy.using.as_ref(),
                });
                let mut missing = Vec::new();
                if using_needed && !mentions(policy.using.as_ref()) {
                    missing.push("USING");
                }
                if check_needed && !mentions(check_expr) {
                    missing.push("WITH CHECK");
                }
                if missing.is_empty() {
                    continue;
                }
                let default = format!(
                    "policy `{}` on `{}` does not check `{column}` in {}: rows of other tenants are reachable",
                    policy.name,
                    table.name,
                    missing.join(" and ")
                );
                let values =
                    [("schema", schema), ("table", name), ("column", column), ("policy", policy.name.as_str())];
                let finding = Finding::new(id, policy.head.range.clone(), rule.message(default, &values));
                out.push((policy.created.path.clone(), finding));
            }
        }
        SchemaCheck::SecurityInvoker => {
            for function in &model.functions {
                let (schema, name) = (function.name.schema.as_str(), function.name.name.as_str());
                if !function.security_definer || function.uncertain || !rule.applies(schema, name) {
                    continue;
                }
                let default = format!(
                    "function `{}` runs as SECURITY DEFINER (with its owner's rights); functions in `{schema}` must be SECURITY INVOKER",
                    function.name
                );
                let values = [("schema", schema), ("function", name)];
                let finding = Finding::new(id, function.head.range.clone(), rule.message(default, &values));
                out.push((function.created.path.clone(), finding));
            }
        }
    }
}

/// True when the SQL expression `text` names `column` as an identifier (case-insensitively
/// unless quoted), outside string literals.
pub fn references(text: &str, column: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                let end = text[i + 1..].find('"').map_or(text.len(), |e| i + 1 + e);
                if &text[i + 1..end] == column {
                    return true;
                }
                i = end + 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$') {
                    i += 1;
                }
                if text[start..i].eq_ignore_ascii_case(column) {
                    return true;
                }
            }
            _ => i += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_finds_identifiers_not_strings_or_longer_names() {
        assert!(references("tenant_id = current_tenant()", "tenant_id"));
        assert!(references("t.\"tenant_id\" = x", "tenant_id"));
        assert!(references("TENANT_ID = x", "tenant_id"));
        assert!(!references("'tenant_id' = x", "tenant_id"));
        assert!(!references("tenant_id_old = x", "tenant_id"));
        assert!(!references("auth.uid() = user_id", "tenant_id"));
    }
}
