//! Output formats of `baton check`: human code frames, JSON (contract §2), SARIF 2.1.0, and
//! the CI formats (GitHub workflow commands, GitLab Code Quality, JUnit XML).

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use std::ops::Range;

use crate::line_index::{ColumnEncoding, Position};
use crate::workspace::Workspace;

/// Converts a byte range in the file at `path` to 0-based (line, UTF-16 column) positions. A
/// file that was not parsed (too large) has only the position 0:0.
pub fn utf16_range(workspace: &Workspace, path: &str, range: &Range<usize>) -> (Position, Position) {
    match workspace.text_of(path) {
        Some((text, line_index)) => (
            line_index.position(text, range.start, ColumnEncoding::Utf16),
            line_index.position(text, range.end, ColumnEncoding::Utf16),
        ),
        None => (Position { line: 0, character: 0 }, Position { line: 0, character: 0 }),
    }
}

/// The path CI systems expect for a workspace file: relative to the current folder (where a CI
/// job runs: the repository's root) when the workspace root is inside it, else relative to the
/// root as everywhere else.
pub fn ci_path(workspace: &Workspace, path: &str) -> String {
    static CWD: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let cwd = CWD.get_or_init(|| std::env::current_dir().ok().and_then(|cwd| std::fs::canonicalize(cwd).ok()));
    let prefix = cwd
        .as_deref()
        .and_then(|cwd| workspace.root.strip_prefix(cwd).ok().map(|p| p.to_string_lossy().replace('\\', "/")));
    match prefix {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}/{path}"),
        _ => path.to_string(),
    }
}
