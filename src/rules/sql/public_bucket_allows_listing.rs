//! `sql/public-bucket-allows-listing`: broad SELECT policy on `storage.objects` for a public bucket.

use super::at;
use crate::engine::Finding;
use crate::engine::SqlRuleContext;
use crate::rules::{Matcher, Rule, Severity};
use crate::sql::{Policy, PolicyCommand, QualifiedName};
use crate::syntax::FileKind;

const RULE_ID: &str = "sql/public-bucket-allows-listing";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Sql],
        summary: "Public storage bucket whose SELECT policy on storage.objects lets clients list every file",
        doc: include_str!("../../../docs/rules/sql/public-bucket-allows-listing.md"),
        matcher: Matcher::Sql(check),
    }
}

/// A policy's `USING` as splinter compares it: lower case, without spaces, quotes or casts, and
/// without the parentheses around the whole expression.
fn compact(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_whitespace() && *c != '"').collect();
    for cast in ["::text", "::charactervarying", "::varchar", "::name"] {
        out = out.replace(cast, "");
    }
    let mut out = out.as_str();
    while let Some(inner) = out.strip_prefix('(').and_then(|o| o.strip_suffix(')')) {
        out = inner;
    }
    out.to_string()
}

/// Whether the policy lets the API roles read every object of `bucket`: permissive, for SELECT
/// (or ALL), for `public`, `anon` or `authenticated`, and with no condition beyond the bucket.
fn lists_bucket(policy: &Policy, bucket: &str) -> bool {
    if !policy.permissive || !matches!(policy.command, PolicyCommand::Select | PolicyCommand::All) {
        return false;
    }
    if !policy.roles.iter().any(|r| matches!(r.as_str(), "public" | "anon" | "authenticated")) {
        return false;
    }
    let Some(using) = &policy.using else { return true };
    let condition = compact(&using.text);
    let lower = condition.to_lowercase();
    let column = lower.strip_prefix("objects.").unwrap_or(&lower);
    let literal = format!("'{}'", bucket.replace('\'', "''"));
    using.always_true
        || matches!(lower.as_str(), "true" | "1=1")
        || column
            .strip_prefix("bucket_id=")
            .is_some_and(|rest| condition.len() >= rest.len() && condition[condition.len() - rest.len()..] == literal)
}

fn check(ctx: &SqlRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let objects = QualifiedName::new("storage", "objects");
    for bucket in ctx.model.buckets.values().filter(|b| b.public) {
        for policy in ctx.model.policies_on(&objects).filter(|p| lists_bucket(p, &bucket.id)) {
            let message = format!(
                "`{}` is a public bucket, and policy \"{}\" on `storage.objects` lets {} read every object in it, so clients can list all its files; public files are served by URL without any SELECT policy: drop it, or limit it to a folder or an owner",
                bucket.id,
                policy.name,
                policy.roles.join(", ")
            );
            out.push(at(RULE_ID, &policy.head, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn compares_conditions_as_splinter_does() {
        assert_eq!(compact("bucket_id = 'avatars'"), "bucket_id='avatars'");
        assert_eq!(compact("(\"bucket_id\" = 'avatars'::\"text\")"), "bucket_id='avatars'");
        assert_eq!(compact("((bucket_id = 'avatars'::text))"), "bucket_id='avatars'");
        assert_ne!(compact("bucket_id = 'avatars' and owner = auth.uid()"), "bucket_id='avatars'");
    }
}
