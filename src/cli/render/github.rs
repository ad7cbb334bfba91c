//! `--format github`: GitHub Actions workflow commands, one line per finding
//! (`::error file=…,line=…,col=…,title=RULE::message`), so findings appear as annotations on the
//! pull request's diff without code scanning. Lines and columns are 1-based (UTF-16 columns, as
//! everywhere); errors are `::error`, warnings `::warning`, info and hints `::notice`. Values are
//! escaped as the Actions toolkit does (`%`, CR and LF in the message; also `:` and `,` in
//! properties).

use super::{ci_path, utf16_range};
use crate::rules::Severity;
use crate::workspace::{FileFinding, Workspace};

/// The workflow command for a severity.
fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "notice",
    }
}

/// Escapes a command's message (the toolkit's `escapeData`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command's property value (the toolkit's `escapeProperty`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders one workflow command per finding (nothing when there is none).
pub fn render(workspace: &Workspace, findings: &[FileFinding]) -> String {
    let mut out = String::new();
    for f in findings {
        let (start, _) = utf16_range(workspace, &f.path, &f.finding.range);
        out.push_str(&format!(
            "::{} file={},line={},col={},title={}::{}\n",
            command(f.finding.severity),
            escape_property(&ci_path(workspace, &f.path)),
            start.line + 1,
            start.character + 1,
            escape_property(f.finding.rule),
            escape_data(&f.finding.message),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_as_the_toolkit_does() {
        assert_eq!(escape_data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
