//! `--format gitlab`: a GitLab Code Quality report (the Code Climate issue format GitLab reads
//! from `artifacts:reports:codequality`): a JSON array, one object per finding with
//! `description`, `check_name`, `fingerprint`, `severity` and `location` (`path`, `lines.begin`,
//! `lines.end`, 1-based), plus the Code Climate fields `type` and `categories`.
//!
//! The fingerprint identifies a finding across runs, so that GitLab can tell new findings from
//! old ones in a merge request: it hashes the rule, the path, the text of the finding's first line
//! (trimmed, so re-indentation or lines added above do not change it) and the finding's rank among
//! the findings with the same rule, path and line text (so two identical lines get two
//! fingerprints). It does not use line numbers.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{ci_path, utf16_range};
use crate::rules::Severity;
use crate::workspace::{FileFinding, Workspace};

/// GitLab's severities: `info`, `minor`, `major`, `critical`, `blocker`.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "minor",
        Severity::Hint => "info",
    }
}

/// The Code Climate category of a rule.
fn category(rule: &str) -> &'static str {
    let (family, name) = rule.split_once('/').unwrap_or(("", rule));
    match family {
        "rls" | "security" | "auth" => "Security",
        "sql"
            if ["rls", "policy", "security", "auth", "bypass", "search-path", "bucket", "graphql"]
                .iter()
                .any(|word| name.contains(word)) =>
        {
            "Security"
        }
        "sql" if name.contains("index") || name.contains("primary-key") => "Performance",
        "patterns" => "Style",
        "spec" | "workflow" => "Clarity",
        _ => "Bug Risk",
    }
}

/// The text of the line a finding starts on, trimmed.
fn line_text<'a>(workspace: &'a Workspace, path: &str, offset: usize) -> &'a str {
    let Some((text, _)) = workspace.text_of(path) else { return "" };
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    text.get(start..end).unwrap_or("").trim()
}

/// Builds the report.
pub fn report(workspace: &Workspace, findings: &[FileFinding]) -> Value {
    let mut seen: HashMap<(String, &str, &str), usize> = HashMap::new();
    let issues: Vec<Value> = findings
        .iter()
        .map(|f| {
            let (start, end) = utf16_range(workspace, &f.path, &f.finding.range);
            let line = line_text(workspace, &f.path, f.finding.range.start);
            let rank = seen.entry((f.path.clone(), f.finding.rule, line)).or_insert(0);
            *rank += 1;
            let mut hasher = blake3::Hasher::new();
            for part in [f.finding.rule, f.path.as_str(), line, &rank.to_string()] {
                hasher.update(part.as_bytes());
                hasher.update(b"\0");
            }
            let fingerprint = hasher.finalize().to_hex()[..32].to_string();
            json!({
                "type": "issue",
                "check_name": f.finding.rule,
                "description": f.finding.message,
                "categories": [category(f.finding.rule)],
                "severity": severity(f.finding.severity),
                "fingerprint": fingerprint,
                "location": {
                    "path": ci_path(workspace, &f.path),
                    "lines": {"begin": start.line + 1, "end": end.line.max(start.line) + 1},
                },
            })
        })
        .collect();
    Value::Array(issues)
}

/// Renders the report as pretty-printed JSON with a trailing newline.
pub fn render(workspace: &Workspace, findings: &[FileFinding]) -> String {
    let mut out = serde_json::to_string_pretty(&report(workspace, findings)).expect("the report serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::category;

    #[test]
    fn categories_follow_the_rule_family() {
        assert_eq!(category("rls/prisma-outside-context"), "Security");
        assert_eq!(category("sql/permissive-policy"), "Security");
        assert_eq!(category("sql/unindexed-foreign-key"), "Performance");
        assert_eq!(category("errors/floating-promise"), "Bug Risk");
        assert_eq!(category("patterns/dto-interface"), "Style");
        assert_eq!(category("spec/missing-validation-gate"), "Clarity");
    }
}
