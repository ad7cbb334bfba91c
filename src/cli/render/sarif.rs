//! `--format sarif`: SARIF 2.1.0, one run, every rule in `tool.driver.rules`, 1-based lines and
//! columns counted in UTF-16 code units.

use serde_json::{json, Value};

use super::utf16_range;
use crate::rules::{self, Severity};
use crate::workspace::{FileFinding, Workspace};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// Percent-encodes a relative path for use as a URI reference.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn region(workspace: &Workspace, path: &str, range: &std::ops::Range<usize>) -> Value {
    let (start, end) = utf16_range(workspace, path, range);
    json!({
        "startLine": start.line + 1,
        "startColumn": start.character + 1,
        "endLine": end.line + 1,
        "endColumn": end.character + 1,
    })
}

/// Builds the SARIF log.
pub fn log(workspace: &Workspace, findings: &[FileFinding]) -> Value {
    let all = rules::all_with(&workspace.config);
    let driver_rules: Vec<Value> = all
        .iter()
        .map(|rule| {
            let mut value = json!({
                "id": rule.id,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.summary},
                "help": {"text": rule.doc, "markdown": rule.doc},
                "helpUri": rule.doc_url(),
                "defaultConfiguration": {"level": level(rule.default_severity)},
                "properties": {"tags": [rule.family()]},
            });
            // A user rule's documentation lives in its rule file, not on the web.
            if rule.is_user() {
                value.as_object_mut().map(|o| o.remove("helpUri"));
            }
            value
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let rule_index = all.iter().position(|r| r.id == f.finding.rule);
            let fixes: Vec<Value> = f
                .finding
                .fixes
                .iter()
                .map(|fix| {
                    let changes: Vec<Value> = fix
                        .edits
                        .iter()
                        .map(|edit| {
                            json!({
                                "artifactLocation": {"uri": uri(&edit.path), "uriBaseId": "%SRCROOT%"},
                                "replacements": [{
                                    "deletedRegion": region(workspace, &edit.path, &edit.range),
                                    "insertedContent": {"text": edit.new_text},
                                }],
                            })
                        })
                        .collect();
                    json!({"description": {"text": fix.title}, "artifactChanges": changes})
                })
                .collect();
            let mut result = json!({
                "ruleId": f.finding.rule,
                "level": level(f.finding.severity),
                "message": {"text": f.finding.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f.path), "uriBaseId": "%SRCROOT%"},
                        "region": region(workspace, &f.path, &f.finding.range),
                    }
                }],
            });
            if let Some(index) = rule_index {
                result["ruleIndex"] = json!(index);
            }
            if !fixes.is_empty() {
                result["fixes"] = json!(fixes);
            }
            result
        })
        .collect();
    let root_uri = format!("file://{}/", uri(&workspace.root.display().to_string()).trim_end_matches('/'));
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "baton",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/baton-dev/baton",
                "rules": driver_rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    })
}

/// Renders the log as pretty-printed JSON with a trailing newline.
pub fn render(workspace: &Workspace, findings: &[FileFinding]) -> String {
    let mut out = serde_json::to_string_pretty(&log(workspace, findings)).expect("the log serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("app/api/[id]/route.ts"), "app/api/%5Bid%5D/route.ts");
        assert_eq!(uri("a b/ü.sql"), "a%20b/%C3%BC.sql");
    }
}
