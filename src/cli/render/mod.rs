//! Output formats of `baton check`: human code frames, JSON (contract §2) and SARIF 2.1.0.

pub mod human;
pub mod json;
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
