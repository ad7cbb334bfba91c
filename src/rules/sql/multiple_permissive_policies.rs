//! `sql/multiple-permissive-policies`: several permissive policies for the same role and action on one table.

use super::{at, is_user_schema};
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::{Policy, PolicyCommand};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/multiple-permissive-policies";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "Several permissive policies for the same role and action on one table",
        doc: include_str!("../../../docs/rules/sql/multiple-permissive-policies.md"),
        matcher: Matcher::Sql(check),
    }
}

/// The roles splinter checks.
const ROLES: &[&str] = &["anon", "authenticated", "authenticator", "dashboard_user"];

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for table in ctx.model.tables.values() {
        if table.uncertain || !is_user_schema(&table.name.schema) {
            continue;
        }
        let policies: Vec<&Policy> = ctx.model.policies_on(&table.name).filter(|p| p.permissive).collect();
        for action in [PolicyCommand::Select, PolicyCommand::Insert, PolicyCommand::Update, PolicyCommand::Delete] {
            let mut roles = Vec::new();
            let mut last: Option<&Policy> = None;
            let mut names = std::collections::BTreeSet::new();
            for role in ROLES {
                let matching: Vec<&&Policy> =
                    policies.iter().filter(|p| p.command.covers(action) && p.applies_to(role)).collect();
                if matching.len() > 1 {
                    roles.push(*role);
                    for p in &matching {
                        names.insert(format!("\"{}\"", p.name));
                    }
                    let latest =
                        matching.iter().max_by_key(|p| (p.created.migration, p.created.range.start)).map(|p| **p);
                    if latest.is_some_and(|l| {
                        last.is_none_or(|c| {
                            (l.created.migration, l.created.range.start) > (c.created.migration, c.created.range.start)
                        })
                    }) {
                        last = latest;
                    }
                }
            }
            let Some(last) = last else { continue };
            let message = format!(
                "`{}` has several permissive {} policies for {} ({}): PostgreSQL evaluates every one of them for each row; merge them into one policy",
                table.name,
                action.as_str(),
                roles.join(", "),
                names.into_iter().collect::<Vec<_>>().join(", ")
            );
            out.push(at(RULE_ID, &last.head, message));
        }
    }
}
