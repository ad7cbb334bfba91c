//! What the engine reports: findings with their fixes, in byte offsets.

use std::ops::Range;

use crate::rules::Severity;

/// One problem found in one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Rule id, `family/name`.
    pub rule: &'static str,
    /// Severity after configuration overrides.
    pub severity: Severity,
    /// Byte range in the document the finding belongs to.
    pub range: Range<usize>,
    /// What is wrong, in one or two sentences.
    pub message: String,
    /// Ways to fix it, best first.
    pub fixes: Vec<Fix>,
}

/// A named set of edits that fixes a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// Shown to the user, e.g. "Wrap in withSystemContext()".
    pub title: String,
    /// Edits, possibly in several files; within one file they do not overlap.
    pub edits: Vec<TextEdit>,
    /// One of several alternatives the user must choose between (Baton cannot tell which is
    /// right): never preferred, never applied by "fix all".
    pub choice: bool,
}

/// Replace `range` of the file at `path` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    /// Byte range in that file's current text.
    pub range: Range<usize>,
    /// Replacement text.
    pub new_text: String,
}

impl Finding {
    /// A finding with the rule's default severity and no fix; the engine applies overrides.
    pub fn new(rule: &'static str, range: Range<usize>, message: impl Into<String>) -> Finding {
        let severity = crate::rules::find(rule).map_or(Severity::Warning, |r| r.default_severity);
        Finding { rule, severity, range, message: message.into(), fixes: Vec::new() }
    }

    /// Adds a fix.
    pub fn with_fix(mut self, fix: Fix) -> Finding {
        self.fixes.push(fix);
        self
    }
}

impl Fix {
    /// A fix of edits all in one file.
    pub fn in_file(
        title: impl Into<String>,
        path: &str,
        edits: impl IntoIterator<Item = (Range<usize>, String)>,
    ) -> Fix {
        Fix {
            title: title.into(),
            edits: edits
                .into_iter()
                .map(|(range, new_text)| TextEdit { path: path.to_string(), range, new_text })
                .collect(),
            choice: false,
        }
    }

    /// This fix as one of several alternatives ([`Fix::choice`]).
    pub fn as_choice(mut self) -> Fix {
        self.choice = true;
        self
    }
}

/// Applies the edits of `fix` that target `path` to `text`. Edits are applied back to front so
/// earlier offsets stay valid; used by tests and by `--fix`-style callers.
pub fn apply_edits(text: &str, path: &str, edits: &[TextEdit]) -> String {
    let mut edits: Vec<&TextEdit> = edits.iter().filter(|e| e.path == path).collect();
    edits.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
    let mut out = text.to_string();
    for edit in edits {
        out.replace_range(edit.range.clone(), &edit.new_text);
    }
    out
}
