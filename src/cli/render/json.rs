//! `--format json`: one object with the fields of contract §2, plus three additive ones
//! (docs/output.md): a fix's `choice` (present when true), a diagnostic's `config_keys`
//! (present when a `baton.toml` key can settle it) and the report's `notices` (present when a
//! rule checked nothing for lack of configuration).

use serde::Serialize;

use super::utf16_range;
use crate::line_index::Position;
use crate::workspace::{FileFinding, Workspace};

/// The JSON report.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    version: u32,
    root: String,
    files_scanned: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notices: Vec<crate::engine::notices::ConfigNotice>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: &'a str,
    path: &'a str,
    range: JsonRange,
    message: &'a str,
    fixes: Vec<JsonFix<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    config_keys: &'static [&'static str],
}

#[derive(Serialize)]
struct JsonRange {
    start: Position,
    end: Position,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    edits: Vec<JsonEdit<'a>>,
    /// One of several alternatives: never applied without a person choosing it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    choice: bool,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    path: &'a str,
    range: JsonRange,
    new_text: &'a str,
}

/// Builds the report.
pub fn report<'a>(workspace: &Workspace, findings: &'a [FileFinding]) -> JsonReport<'a> {
    let range = |path: &str, r: &std::ops::Range<usize>| {
        let (start, end) = utf16_range(workspace, path, r);
        JsonRange { start, end }
    };
    JsonReport {
        version: 1,
        root: workspace.root.display().to_string(),
        files_scanned: workspace.files_scanned(),
        diagnostics: findings
            .iter()
            .map(|f| JsonDiagnostic {
                rule: f.finding.rule,
                severity: f.finding.severity.as_str(),
                path: &f.path,
                range: range(&f.path, &f.finding.range),
                message: &f.finding.message,
                fixes: f
                    .finding
                    .fixes
                    .iter()
                    .map(|fix| JsonFix {
                        title: &fix.title,
                        edits: fix
                            .edits
                            .iter()
                            .map(|e| JsonEdit { path: &e.path, range: range(&e.path, &e.range), new_text: &e.new_text })
                            .collect(),
                        choice: fix.choice,
                    })
                    .collect(),
                config_keys: crate::engine::notices::config_hint(f.finding.rule).map_or(&[], |h| h.keys),
            })
            .collect(),
        notices: workspace.config_notices.get().cloned().unwrap_or_default(),
    }
}

/// Renders the report as pretty-printed JSON with a trailing newline.
pub fn render(workspace: &Workspace, findings: &[FileFinding]) -> String {
    let mut out = serde_json::to_string_pretty(&report(workspace, findings)).expect("the report serializes");
    out.push('\n');
    out
}
