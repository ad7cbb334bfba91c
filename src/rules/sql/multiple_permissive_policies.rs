//! `sql/multiple-permissive-policies`: several permissive policies for the same role and action on one table.

use std::collections::{BTreeMap, BTreeSet};

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
        let mut policies: Vec<&Policy> = ctx.model.policies_on(&table.name).filter(|p| p.permissive).collect();
        policies.sort_by_key(|p| (p.created.migration, p.created.range.start));
        // Reported at the policy that made a (role, action) pair have a second permissive policy.
        for (n, policy) in policies.iter().enumerate() {
            let mut overlaps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            let mut names = BTreeSet::new();
            for action in [PolicyCommand::Select, PolicyCommand::Insert, PolicyCommand::Update, PolicyCommand::Delete] {
                if !policy.command.covers(action) {
                    continue;
                }
                for role in ROLES.iter().filter(|r| policy.applies_to(r)) {
                    for earlier in policies[..n].iter().filter(|e| e.command.covers(action) && e.applies_to(role)) {
                        overlaps.entry(action.as_str()).or_default().insert(role);
                        names.insert(format!("\"{}\"", earlier.name));
                    }
                }
            }
            if overlaps.is_empty() {
                continue;
            }
            let pairs: Vec<String> = overlaps
                .iter()
                .map(|(action, roles)| format!("{action} for {}", roles.iter().copied().collect::<Vec<_>>().join(", ")))
                .collect();
            let message = format!(
                "policy \"{}\" is a second permissive policy on `{}` ({}) next to {}: PostgreSQL evaluates every one of them for each row; merge them into one policy",
                policy.name,
                table.name,
                pairs.join("; "),
                names.into_iter().collect::<Vec<_>>().join(", ")
            );
            out.push(at(RULE_ID, &policy.head, message));
        }
    }
}
