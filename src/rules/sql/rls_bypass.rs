//! `sql/rls-bypass`: BYPASSRLS grants, ALTER TABLE … DISABLE / NO FORCE ROW LEVEL SECURITY. (`SET
//! row_security = off` is no bypass: see the rule's documentation.)

use super::at;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::EventKind;
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/rls-bypass";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "BYPASSRLS grants, ALTER TABLE … DISABLE / NO FORCE ROW LEVEL SECURITY",
        doc: include_str!("../../../docs/rules/sql/rls-bypass.md"),
        matcher: Matcher::Sql(check),
    }
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for event in &ctx.model.events {
        let EventKind::RlsBypass { what } = &event.kind else { continue };
        let message = format!("this statement {what}: row level security no longer protects the rows it covers");
        out.push(at(RULE_ID, &event.location, message));
    }
}
