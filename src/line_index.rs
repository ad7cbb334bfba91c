//! Conversions between byte offsets and line/column positions.
//!
//! The engine works in byte offsets into UTF-8 text. Editors (LSP) and the JSON output speak in
//! lines and columns, where a column counts UTF-16 code units by default or UTF-8 bytes when the
//! client negotiated it. [`LineIndex`] is the one place that converts between them.
//!
//! Line terminators are `\n`, `\r\n` and a lone `\r`, as in the LSP specification.

use serde::Serialize;

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnEncoding {
    /// UTF-16 code units (the LSP default, and the unit of the JSON and SARIF output).
    Utf16,
    /// UTF-8 bytes.
    Utf8,
}

/// A 0-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// 0-based line number.
    pub line: u32,
    /// 0-based column, in the unit of the [`ColumnEncoding`] used to compute it.
    pub character: u32,
}

/// Line start offsets of one text, for offset ⇄ position conversions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset at which each line starts; always begins with 0.
    line_starts: Vec<u32>,
    /// Total length of the text in bytes.
    len: u32,
}

impl LineIndex {
    /// Indexes `text`. Texts over 4 GiB are not supported (the workspace refuses them long before).
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        // memchr finds the terminators many bytes at a time; every file with a finding is indexed.
        let mut terminators = memchr::memchr2_iter(b'\n', b'\r', bytes);
        while let Some(i) = terminators.next() {
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                terminators.next(); // the `\n` of this `\r\n`
                line_starts.push(i as u32 + 2);
            } else {
                line_starts.push(i as u32 + 1);
            }
        }
        LineIndex { line_starts, len: bytes.len() as u32 }
    }

    /// Number of lines (a text ending with a newline has an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset at which `line` starts, or `None` past the last line.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.line_starts.get(line as usize).copied()
    }

    /// Byte range of `line` without its terminator, or `None` past the last line.
    pub fn line_range(&self, text: &str, line: u32) -> Option<std::ops::Range<usize>> {
        let start = self.line_start(line)? as usize;
        let mut end = self.line_start(line + 1).map_or(self.len as usize, |s| s as usize);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        Some(start..end)
    }

    /// 0-based line containing byte `offset` (offsets past the end map to the last line).
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = offset.min(self.len as usize) as u32;
        (self.line_starts.partition_point(|&start| start <= offset) - 1) as u32
    }

    /// Converts a byte offset into a position. Offsets inside a multi-byte character are moved
    /// back to the character's start; offsets past the end are clamped to the end.
    pub fn position(&self, text: &str, offset: usize, encoding: ColumnEncoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.line_starts[line as usize] as usize;
        let prefix = &text[start..offset];
        let character = match encoding {
            ColumnEncoding::Utf8 => prefix.len(),
            ColumnEncoding::Utf16 => prefix.encode_utf16().count(),
        };
        Position { line, character: character as u32 }
    }

    /// Converts a position into a byte offset. A column past the end of its line is clamped to
    /// the line's end (before its terminator), a column inside a character (the middle of a
    /// surrogate pair, say) to the character's start; a line past the end gives the text's end.
    pub fn offset(&self, text: &str, position: Position, encoding: ColumnEncoding) -> usize {
        let Some(range) = self.line_range(text, position.line) else {
            return text.len();
        };
        let line_text = &text[range.clone()];
        let wanted = position.character as usize;
        let mut units = 0usize;
        for (byte, ch) in line_text.char_indices() {
            let width = match encoding {
                ColumnEncoding::Utf8 => ch.len_utf8(),
                ColumnEncoding::Utf16 => ch.len_utf16(),
            };
            if units + width > wanted {
                return range.start + byte;
            }
            units += width;
        }
        range.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip_all(text: &str) {
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            for enc in [ColumnEncoding::Utf16, ColumnEncoding::Utf8] {
                let pos = index.position(text, offset, enc);
                let back = index.offset(text, pos, enc);
                // A `\n` after `\r` is part of the same terminator: both map to the line end.
                let expected = if text.as_bytes().get(offset) == Some(&b'\n')
                    && offset > 0
                    && text.as_bytes()[offset - 1] == b'\r'
                {
                    offset - 1
                } else {
                    offset
                };
                assert_eq!(back, expected, "offset {offset} in {text:?} via {pos:?} ({enc:?})");
            }
        }
    }

    #[test]
    fn ascii_lines() {
        let text = "ab\ncd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 3);
        assert_eq!(index.position(text, 4, ColumnEncoding::Utf16), Position { line: 1, character: 1 });
        assert_eq!(index.position(text, 6, ColumnEncoding::Utf16), Position { line: 2, character: 0 });
        roundtrip_all(text);
    }

    #[test]
    fn emoji_counts_two_utf16_units_and_four_bytes() {
        let text = "a😀b";
        let index = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(index.position(text, b, ColumnEncoding::Utf16).character, 3);
        assert_eq!(index.position(text, b, ColumnEncoding::Utf8).character, 5);
        // The middle of the surrogate pair maps back to the emoji's start.
        assert_eq!(index.offset(text, Position { line: 0, character: 2 }, ColumnEncoding::Utf16), 1);
        roundtrip_all(text);
    }

    #[test]
    fn cjk_is_one_utf16_unit_and_three_bytes() {
        let text = "const 名前 = 1;\nx";
        let index = LineIndex::new(text);
        let eq = text.find('=').unwrap();
        assert_eq!(index.position(text, eq, ColumnEncoding::Utf16).character, 9);
        assert_eq!(index.position(text, eq, ColumnEncoding::Utf8).character, 13);
        roundtrip_all(text);
    }

    #[test]
    fn line_starts_agree_with_a_byte_by_byte_scan() {
        // Every sequence of up to five pieces, terminators and text mixed.
        let pieces = ["\n", "\r", "\r\n", "x", "é"];
        let mut texts = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> =
                texts.iter().flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}"))).collect();
            texts.extend(longer);
        }
        for text in &texts {
            let bytes = text.as_bytes();
            let mut expected = vec![0u32];
            for (i, b) in bytes.iter().enumerate() {
                let crlf_cr = *b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
                if (*b == b'\n' || *b == b'\r') && !crlf_cr {
                    expected.push(i as u32 + 1);
                }
            }
            assert_eq!(LineIndex::new(text).line_starts, expected, "{text:?}");
        }
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "a\r\nb\rc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(
            index.position(text, text.find('b').unwrap(), ColumnEncoding::Utf16),
            Position { line: 1, character: 0 }
        );
        assert_eq!(
            index.position(text, text.find('c').unwrap(), ColumnEncoding::Utf16),
            Position { line: 2, character: 0 }
        );
        assert_eq!(index.line_range(text, 0), Some(0..1));
        roundtrip_all(text);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "abc\r\ndef";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, Position { line: 0, character: 99 }, ColumnEncoding::Utf16), 3);
        assert_eq!(index.offset(text, Position { line: 9, character: 0 }, ColumnEncoding::Utf16), text.len());
        assert_eq!(index.position(text, 999, ColumnEncoding::Utf16), Position { line: 1, character: 3 });
    }

    #[test]
    fn empty_text_has_one_line() {
        let index = LineIndex::new("");
        assert_eq!(index.line_count(), 1);
        assert_eq!(index.position("", 0, ColumnEncoding::Utf16), Position { line: 0, character: 0 });
    }
}
