//! `--format junit`: JUnit XML, as CI test-report views (GitLab `artifacts:reports:junit`,
//! Jenkins, Azure Pipelines, GitHub test-report actions) read it: `<testsuites>` holding one
//! `<testsuite name="baton">`, one `<testcase>` per rule in force (name: the rule id,
//! classname: `baton.<family>`), and in it one `<failure>` per finding of that rule (`type` the
//! severity, `message` the message, the text `path:line:col: message`). Rules without a finding
//! are passing test cases, so the report shows what was checked. `tests` counts test cases,
//! `failures` the test cases that failed.

use std::collections::BTreeMap;

use super::{ci_path, utf16_range};
use crate::rules;
use crate::workspace::{FileFinding, Workspace};

/// Escapes text for an XML attribute or element; characters XML 1.0 cannot carry become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report.
pub fn render(workspace: &Workspace, findings: &[FileFinding]) -> String {
    // Every rule in force, then any rule a finding names that the list lacks.
    let mut cases: BTreeMap<&str, Vec<&FileFinding>> = rules::all()
        .iter()
        .filter(|rule| workspace.config.severity_of(rule).is_some())
        .map(|rule| (rule.id, Vec::new()))
        .collect();
    for f in findings {
        cases.entry(f.finding.rule).or_default().push(f);
    }
    let failed = cases.values().filter(|list| !list.is_empty()).count();
    let mut body = String::new();
    for (rule, list) in &cases {
        let family = rule.split_once('/').map_or(*rule, |(family, _)| family);
        let name = escape(rule);
        let classname = escape(&format!("baton.{family}"));
        if list.is_empty() {
            body.push_str(&format!("    <testcase name=\"{name}\" classname=\"{classname}\" time=\"0\"/>\n"));
            continue;
        }
        body.push_str(&format!("    <testcase name=\"{name}\" classname=\"{classname}\" time=\"0\">\n"));
        for f in list {
            let (start, _) = utf16_range(workspace, &f.path, &f.finding.range);
            let location = format!("{}:{}:{}", ci_path(workspace, &f.path), start.line + 1, start.character + 1);
            body.push_str(&format!(
                "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                escape(&f.finding.message),
                f.finding.severity.as_str(),
                escape(&format!("{location}: {}", f.finding.message)),
            ));
        }
        body.push_str("    </testcase>\n");
    }
    let total = cases.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"baton\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\" time=\"0\">\n  \
         <testsuite name=\"baton\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"0\">\n\
         {body}  </testsuite>\n</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(escape("a<b & \"c\"\n\u{1}"), "a&lt;b &amp; &quot;c&quot;&#10;\u{FFFD}");
    }
}
