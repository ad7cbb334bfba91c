//! A small, linear reader of the Markdown shapes plan documents use: YAML front matter (at the
//! top or right after the `# H1`), ATX headings and their sections, bold metadata lines
//! (`**Key**: value`), checklists, pipe tables, fenced code blocks and inline code spans.
//!
//! Line-based on purpose: real workflow documents put front matter after the title (which
//! CommonMark parses as a thematic break plus a setext heading), and every query here is about
//! lines. Lines inside fenced code blocks and front matter are never read as structure.

use std::ops::Range;

/// The longest front matter Baton parses, in lines. Execution specs put whole work-stream
/// definitions there (a thousand lines is not rare); a longer block is not parsed, and the
/// document says so (`meta/file-too-large` on its opening `---`), never silently.
pub const MAX_FRONT_MATTER_LINES: usize = 5000;

/// One line of the document (without its line ending).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Byte range of the line's text.
    pub range: Range<usize>,
    /// Inside a fenced code block (fence lines included) or the front matter.
    pub verbatim: bool,
}

/// An ATX heading and the section it opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    /// 1 for `#`, 2 for `##`, …
    pub level: u8,
    /// Index of its line.
    pub line: usize,
    /// The heading's line.
    pub range: Range<usize>,
    /// The heading text (markers and closing `#`s removed).
    pub text: Range<usize>,
    /// The section: from the heading line to the next heading of the same or a higher level.
    pub section: Range<usize>,
    /// Line index one past the section's last line.
    pub end_line: usize,
}

/// A fenced code block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fence {
    /// The first word of the info string, lowercased (`ts`, `bash`, …); empty when none.
    pub lang: String,
    /// The rest of the info string (Baton reads a path there, like the rule documentation).
    pub info_rest: String,
    /// Index of the opening fence line.
    pub open_line: usize,
    /// Index of the closing fence line (or one past the last line when unclosed).
    pub close_line: usize,
    /// Columns of indentation of the opening fence (stripped from content lines).
    pub indent: usize,
    /// Byte range from the opening fence line's start to the closing fence line's end.
    pub range: Range<usize>,
}

/// YAML front matter.
#[derive(Clone, Debug)]
pub struct FrontMatter {
    /// The block including its `---` lines.
    pub range: Range<usize>,
    /// The YAML text between the delimiters.
    pub content: Range<usize>,
    /// The parsed mapping.
    pub value: serde_yaml_ng::Mapping,
}

/// A `**Key**: value` line (also `**Key:** value`, in a list item or not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoldField {
    /// The key, lowercased and trimmed.
    pub key: String,
    /// The value text, trimmed.
    pub value: String,
    /// Byte range of the value.
    pub value_range: Range<usize>,
    /// Byte range of the whole line.
    pub line_range: Range<usize>,
}

/// A checklist item `- [ ] text` / `- [x] text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistItem {
    /// The item text after the box.
    pub text: String,
    /// Checked (`[x]` or `[X]`).
    pub checked: bool,
    /// Byte range of the line (from the list marker).
    pub range: Range<usize>,
}

/// A table cell: its trimmed text and byte range.
pub type Cell = (String, Range<usize>);

/// A pipe table: header cells and rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Header cells.
    pub header: Vec<Cell>,
    /// Data rows: the row's line range and its cells.
    pub rows: Vec<(Range<usize>, Vec<Cell>)>,
}

/// The outline of one Markdown text.
#[derive(Clone, Debug)]
pub struct Outline<'a> {
    /// The text.
    pub text: &'a str,
    /// Every line.
    pub lines: Vec<Line>,
    /// Every ATX heading outside code blocks and front matter, in order.
    pub headings: Vec<Heading>,
    /// Every fenced code block, in order.
    pub fences: Vec<Fence>,
    /// The front matter, when there is one near the top.
    pub front_matter: Option<FrontMatter>,
    /// The opening `---` line of a front matter block longer than [`MAX_FRONT_MATTER_LINES`].
    pub front_matter_too_long: Option<Range<usize>>,
    /// The line index where the front matter stops being valid YAML, when only the keys before
    /// it were read.
    pub front_matter_error: Option<usize>,
}

impl<'a> Outline<'a> {
    /// Reads the outline of `text` in one pass (plus one YAML parse of the front matter).
    pub fn read(text: &'a str) -> Outline<'a> {
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                let end = if i > start && text.as_bytes()[i - 1] == b'\r' { i - 1 } else { i };
                lines.push(Line { range: start..end, verbatim: false });
                start = i + 1;
            }
        }
        if start < text.len() {
            lines.push(Line { range: start..text.len(), verbatim: false });
        }
        let mut outline = Outline {
            text,
            lines,
            headings: Vec::new(),
            fences: Vec::new(),
            front_matter: None,
            front_matter_too_long: None,
            front_matter_error: None,
        };
        let fm_lines = outline.read_front_matter();
        for line in fm_lines.clone() {
            outline.lines[line].verbatim = true;
        }
        outline.read_blocks();
        outline
    }

    /// The text of line `i`.
    pub fn line_text(&self, i: usize) -> &'a str {
        &self.text[self.lines[i].range.clone()]
    }

    /// The index of the line holding byte `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        self.lines.partition_point(|l| l.range.end < offset).min(self.lines.len().saturating_sub(1))
    }

    /// The heading text.
    pub fn heading_text(&self, heading: &Heading) -> &'a str {
        &self.text[heading.text.clone()]
    }

    /// Finds front matter at the top, or after a leading `# H1`; returns the lines it spans.
    fn read_front_matter(&mut self) -> Range<usize> {
        let mut i = 0;
        let mut seen_h1 = false;
        while i < self.lines.len() {
            let line = self.line_text(i).trim_end();
            if line.trim().is_empty() {
                i += 1;
            } else if !seen_h1 && line.starts_with("# ") {
                seen_h1 = true;
                i += 1;
            } else {
                break;
            }
        }
        if i >= self.lines.len() || self.line_text(i).trim_end() != "---" {
            return 0..0;
        }
        let open = i;
        let Some(close) = (open + 1..self.lines.len()).find(|&j| matches!(self.line_text(j).trim_end(), "---" | "..."))
        else {
            return 0..0;
        };
        // What lies between the delimiters is YAML when its first line looks like YAML (a key, a
        // comment, a list item): then it is never read as Markdown, even when it cannot be parsed.
        let looks_like_yaml =
            (open + 1..close).map(|j| self.line_text(j).trim()).find(|l| !l.is_empty()).is_none_or(|l| {
                l.starts_with('#')
                    || l.starts_with("- ")
                    || l.split_once(':').is_some_and(|(k, _)| !k.contains(' ') || k.len() < 40)
            });
        if close - open - 1 > MAX_FRONT_MATTER_LINES {
            if looks_like_yaml {
                self.front_matter_too_long = Some(self.lines[open].range.clone());
                return open..close + 1;
            }
            return 0..0;
        }
        let content = if close == open + 1 {
            self.lines[close].range.start..self.lines[close].range.start
        } else {
            self.lines[open + 1].range.start..self.lines[close - 1].range.end
        };
        let value = match serde_yaml_ng::from_str(&self.text[content.clone()]) {
            Ok(serde_yaml_ng::Value::Mapping(value)) => value,
            Ok(_) => return 0..0,
            Err(error) if looks_like_yaml => {
                // Invalid YAML: read the keys before the error (up to the last top-level key
                // that starts before it), so one bad line late in a long block does not hide
                // the work streams above it.
                let Some(value) = error.location().and_then(|at| self.yaml_before(open + 1, at.line())) else {
                    return if open == 0 { open..close + 1 } else { 0..0 };
                };
                self.front_matter_error = Some(open + at_line(&error));
                value
            }
            Err(_) => return 0..0,
        };
        let range = self.lines[open].range.start..self.lines[close].range.end;
        self.front_matter = Some(FrontMatter { range, content, value });
        open..close + 1
    }

    /// The mapping of the YAML lines from `first` up to (not including) the last top-level key
    /// line at or before `error_line` (1-based, relative to `first`), when it parses.
    fn yaml_before(&self, first: usize, error_line: usize) -> Option<serde_yaml_ng::Mapping> {
        let error_at = first + error_line.saturating_sub(1);
        let cut = (first + 1..=error_at.min(self.lines.len().saturating_sub(1))).rev().find(|&i| {
            let line = self.line_text(i);
            line.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '"') && line.contains(':')
        })?;
        let text = &self.text[self.lines[first].range.start..self.lines[cut - 1].range.end];
        match serde_yaml_ng::from_str(text) {
            Ok(serde_yaml_ng::Value::Mapping(value)) => Some(value),
            _ => None,
        }
    }

    /// Fences and headings (front matter lines are already verbatim).
    fn read_blocks(&mut self) {
        let mut open: Option<(u8, usize, usize, usize)> = None; // (char, length, indent, line)
        for i in 0..self.lines.len() {
            if self.lines[i].verbatim {
                continue;
            }
            let raw = self.line_text(i);
            let trimmed = raw.trim_start();
            let indent = raw.len() - trimmed.len();
            if let Some((ch, len, fence_indent, line)) = open {
                self.lines[i].verbatim = true;
                let run = trimmed.bytes().take_while(|&b| b == ch).count();
                if run >= len && trimmed[run..].trim().is_empty() {
                    self.push_fence(line, i, fence_indent);
                    open = None;
                }
                continue;
            }
            let first = trimmed.bytes().next();
            if let Some(ch @ (b'`' | b'~')) = first {
                let run = trimmed.bytes().take_while(|&b| b == ch).count();
                if run >= 3 && !(ch == b'`' && trimmed[run..].contains('`')) {
                    self.lines[i].verbatim = true;
                    open = Some((ch, run, indent, i));
                    continue;
                }
            }
            if indent < 4 && first == Some(b'#') {
                let level = trimmed.bytes().take_while(|&b| b == b'#').count();
                let rest = &trimmed[level..];
                if level <= 6 && (rest.is_empty() || rest.starts_with([' ', '\t'])) {
                    let line = &self.lines[i];
                    let body = rest.trim().trim_end_matches('#').trim_end();
                    let start = if body.is_empty() {
                        line.range.end
                    } else {
                        line.range.start + indent + level + rest.find(body).unwrap_or(0)
                    };
                    self.headings.push(Heading {
                        level: level as u8,
                        line: i,
                        range: line.range.clone(),
                        text: start..start + body.len(),
                        section: line.range.start..self.text.len(),
                        end_line: self.lines.len(),
                    });
                }
            }
        }
        if let Some((_, _, indent, line)) = open {
            self.push_fence(line, self.lines.len(), indent);
        }
        // Close each section at the next heading of the same or a higher level.
        let mut stack: Vec<usize> = Vec::new();
        for h in 0..self.headings.len() {
            let level = self.headings[h].level;
            while let Some(&top) = stack.last() {
                if self.headings[top].level < level {
                    break;
                }
                stack.pop();
                self.close_section(top, h);
            }
            stack.push(h);
        }
    }

    fn close_section(&mut self, heading: usize, next: usize) {
        let next_line = self.headings[next].line;
        let end = if next_line == 0 { 0 } else { self.lines[next_line - 1].range.end };
        self.headings[heading].section.end = end.max(self.headings[heading].range.end);
        self.headings[heading].end_line = next_line;
    }

    fn push_fence(&mut self, open_line: usize, close_line: usize, indent: usize) {
        let info = self.line_text(open_line).trim_start().trim_start_matches(['`', '~']).trim();
        let mut words = info.splitn(2, char::is_whitespace);
        let lang = words.next().unwrap_or("").trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase();
        let info_rest = words.next().unwrap_or("").trim().to_string();
        let end = self.lines.get(close_line).map_or(self.text.len(), |l| l.range.end);
        self.fences.push(Fence {
            lang,
            info_rest,
            open_line,
            close_line,
            indent,
            range: self.lines[open_line].range.start..end,
        });
    }

    /// The headings whose line lies in `lines`.
    pub fn headings_in(&self, lines: Range<usize>) -> impl Iterator<Item = (usize, &Heading)> {
        let from = self.headings.partition_point(|h| h.line < lines.start);
        self.headings[from..]
            .iter()
            .enumerate()
            .take_while(move |(_, h)| h.line < lines.end)
            .map(move |(i, h)| (from + i, h))
    }

    /// Line indexes of a heading's direct body: after the heading, before its first subheading.
    pub fn body_lines(&self, heading: &Heading) -> Range<usize> {
        let first_sub =
            self.headings_in(heading.line + 1..heading.end_line).next().map_or(heading.end_line, |(_, h)| h.line);
        heading.line + 1..first_sub
    }

    /// The non-verbatim lines among `lines`, with their text.
    pub fn prose_lines(&self, lines: Range<usize>) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        let lines = lines.start.min(self.lines.len())..lines.end.min(self.lines.len());
        lines.filter(|&i| !self.lines[i].verbatim).map(|i| (i, self.line_text(i)))
    }

    /// Every `**Key**: value` line among `lines`.
    pub fn bold_fields(&self, lines: Range<usize>) -> Vec<BoldField> {
        self.prose_lines(lines).filter_map(|(i, _)| self.bold_field(i)).collect()
    }

    /// The `**Key**: value` on line `i`, if it is one.
    pub fn bold_field(&self, i: usize) -> Option<BoldField> {
        let line_range = self.lines[i].range.clone();
        let raw = self.line_text(i);
        let after_marker = strip_list_marker(raw.trim_start());
        let mut rest = after_marker.strip_prefix("**").or_else(|| after_marker.strip_prefix("__"))?;
        let close = rest.find("**").or_else(|| rest.find("__"))?;
        let mut key = rest[..close].trim();
        rest = &rest[close + 2..];
        if let Some(k) = key.strip_suffix(':') {
            key = k.trim_end();
        } else {
            rest = rest.trim_start().strip_prefix(':')?;
        }
        if key.is_empty() || key.len() > 60 {
            return None;
        }
        let value = rest.trim();
        let value_start = if value.is_empty() { line_range.end } else { line_range.end - rest.trim_start().len() };
        Some(BoldField {
            key: key.to_ascii_lowercase(),
            value: value.to_string(),
            value_range: value_start..value_start + value.len(),
            line_range,
        })
    }

    /// Every checklist item among `lines`.
    pub fn checklist(&self, lines: Range<usize>) -> Vec<ChecklistItem> {
        let mut items: Vec<ChecklistItem> = Vec::new();
        // Whether the previous line belongs to the last item (its box line or a continuation).
        let mut open = false;
        let mut previous = None;
        for (i, raw) in self.prose_lines(lines) {
            // A skipped (verbatim) line between closes the item.
            open &= previous.is_some_and(|p| p + 1 == i);
            previous = Some(i);
            let trimmed = raw.trim_start();
            let rest = strip_list_marker(trimmed);
            if rest.len() == trimmed.len() {
                // A wrapped item: a non-blank line after it that starts no other block continues
                // its text (CommonMark's paragraph continuation, indented or lazy).
                match items.last_mut() {
                    Some(item) if open && continues_paragraph(trimmed) => {
                        item.text.push(' ');
                        item.text.push_str(trimmed.trim_end());
                        item.range.end = self.lines[i].range.end;
                    }
                    _ => open = false,
                }
                continue;
            }
            let (checked, text) = if let Some(t) = rest.strip_prefix("[ ]") {
                (false, t)
            } else if let Some(t) = rest.strip_prefix("[x]").or_else(|| rest.strip_prefix("[X]")) {
                (true, t)
            } else {
                open = false;
                continue;
            };
            let range = self.lines[i].range.clone();
            items.push(ChecklistItem {
                text: text.trim().to_string(),
                checked,
                range: range.start + (raw.len() - trimmed.len())..range.end,
            });
            open = true;
        }
        items
    }

    /// The pipe tables among `lines`.
    pub fn tables(&self, lines: Range<usize>) -> Vec<Table> {
        let mut tables = Vec::new();
        let mut current: Option<Table> = None;
        let mut expect_separator = false;
        let lines = lines.start.min(self.lines.len())..lines.end.min(self.lines.len());
        for i in lines {
            let raw = self.line_text(i);
            let is_row = !self.lines[i].verbatim && raw.trim_start().starts_with('|');
            if !is_row {
                tables.extend(current.take().filter(|_| !expect_separator));
                expect_separator = false;
                continue;
            }
            let cells = self.cells(i);
            match current.as_mut() {
                None => {
                    current = Some(Table { header: cells, rows: Vec::new() });
                    expect_separator = true;
                }
                Some(_) if expect_separator => {
                    let is_separator =
                        cells.iter().all(|(c, _)| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')));
                    if !is_separator {
                        current = None;
                    }
                    expect_separator = false;
                }
                Some(table) => table.rows.push((self.lines[i].range.clone(), cells)),
            }
        }
        tables.extend(current.filter(|_| !expect_separator));
        tables
    }

    /// The cells of a table row on line `i`.
    fn cells(&self, i: usize) -> Vec<(String, Range<usize>)> {
        let range = self.lines[i].range.clone();
        let raw = self.line_text(i);
        let mut cells = Vec::new();
        let mut cell_start: Option<usize> = None;
        let bytes = raw.as_bytes();
        for (j, &b) in bytes.iter().enumerate() {
            if b == b'|' && (j == 0 || bytes[j - 1] != b'\\') {
                if let Some(s) = cell_start {
                    cells.push(trimmed_cell(raw, s, j, range.start));
                }
                cell_start = Some(j + 1);
            }
        }
        if let Some(s) = cell_start {
            if !raw[s..].trim().is_empty() {
                cells.push(trimmed_cell(raw, s, raw.len(), range.start));
            }
        }
        cells
    }

    /// Inline code spans (single backticks) on the prose lines among `lines`: text and byte range
    /// of the text inside the backticks.
    pub fn code_spans(&self, lines: Range<usize>) -> Vec<(&'a str, Range<usize>)> {
        let mut spans = Vec::new();
        for (i, raw) in self.prose_lines(lines) {
            let base = self.lines[i].range.start;
            spans.extend(code_spans_in(raw).into_iter().map(|r| (&raw[r.clone()], base + r.start..base + r.end)));
        }
        spans
    }

    /// The fences whose opening line lies in `lines`.
    pub fn fences_in(&self, lines: Range<usize>) -> impl Iterator<Item = &Fence> {
        self.fences.iter().filter(move |f| lines.contains(&f.open_line))
    }

    /// The content lines of a fence (indexes).
    pub fn fence_lines(&self, fence: &Fence) -> Range<usize> {
        fence.open_line + 1..fence.close_line.min(self.lines.len())
    }

    /// The first paragraph among `lines` (joined with spaces) and its byte range.
    pub fn first_paragraph(&self, lines: Range<usize>) -> Option<(String, Range<usize>)> {
        let mut text = String::new();
        let mut range: Option<Range<usize>> = None;
        for (i, raw) in self.prose_lines(lines.clone()) {
            if raw.trim().is_empty() {
                if range.is_some() {
                    break;
                }
                continue;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(raw.trim());
            let r = self.lines[i].range.clone();
            range = Some(range.map_or(r.clone(), |p| p.start..r.end));
        }
        range.map(|r| (text, r))
    }

    /// The line range of `key:` in the front matter (a top-level key first, else the first
    /// line at any indentation), and the byte range of its value.
    pub fn front_matter_key(&self, key: &str) -> Option<(Range<usize>, Range<usize>)> {
        let fm = self.front_matter.as_ref()?;
        let first = self.line_at(fm.content.start);
        let last = self.line_at(fm.range.end);
        let top_level = |i: &usize| !self.line_text(*i).starts_with([' ', '\t', '-']);
        let lines = (first..last).filter(top_level).chain((first..last).filter(|i| !top_level(i)));
        lines.into_iter().find_map(|i| {
            let raw = self.line_text(i);
            let trimmed = raw.trim_start().trim_start_matches("- ");
            let rest = trimmed
                .strip_prefix(key)
                .or_else(|| trimmed.strip_prefix(&format!("\"{key}\"")))
                .or_else(|| trimmed.strip_prefix(&format!("'{key}'")))?
                .strip_prefix(':')?;
            let line = self.lines[i].range.clone();
            let value = rest.trim().trim_matches(['"', '\'']);
            let start = line.end - rest.trim_start().len() + usize::from(rest.trim_start().starts_with(['"', '\'']));
            Some((line, start..start + value.len()))
        })
    }
}

fn trimmed_cell(raw: &str, start: usize, end: usize, base: usize) -> (String, Range<usize>) {
    let cell = &raw[start..end];
    let trimmed = cell.trim();
    let offset = start + (cell.len() - cell.trim_start().len());
    (trimmed.to_string(), base + offset..base + offset + trimmed.len())
}

/// Whether a line (leading space removed) continues the paragraph before it rather than start
/// a block of its own (blank line, heading, quote, table, fence, rule or HTML).
fn continues_paragraph(trimmed: &str) -> bool {
    let t = trimmed.trim_end();
    !(t.is_empty()
        || t.starts_with('#')
        || t.starts_with('>')
        || t.starts_with('|')
        || t.starts_with("```")
        || t.starts_with("~~~")
        || t.starts_with('<')
        || t.chars().all(|c| c == '-' || c == '*' || c == '_' || c == ' ') && t.len() >= 3)
}

/// The text after a list marker (`- `, `* `, `+ `, `1. `, `1) `), or the text unchanged.
pub fn strip_list_marker(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix(['-', '*', '+']) {
        if rest.starts_with([' ', '\t']) {
            return rest.trim_start();
        }
        return text;
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 10 {
        let rest = &text[digits..];
        if let Some(rest) = rest.strip_prefix(['.', ')']) {
            if rest.starts_with([' ', '\t']) {
                return rest.trim_start();
            }
        }
    }
    text
}

/// Ranges (relative to `line`) of the text inside single-backtick code spans.
pub fn code_spans_in(line: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        let start = i + run;
        let mut j = start;
        let mut closed = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let close_run = bytes[j..].iter().take_while(|&&b| b == b'`').count();
                if close_run == run {
                    closed = Some(j);
                    break;
                }
                j += close_run;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(end) => {
                let inner = &line[start..end];
                let lead = inner.len() - inner.trim_start().len();
                spans.push(start + lead..start + lead + inner.trim().len());
                i = end + run;
            }
            None => i = start,
        }
    }
    spans
}

/// The 1-based line of a YAML error (0 when it has none).
fn at_line(error: &serde_yaml_ng::Error) -> usize {
    error.location().map_or(0, |l| l.line())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Title\n\n---\nid: PRD-1\nstatus: APPROVED FOR PRODUCTION\n---\n\n## WS-1: Db\n\n**Agent Type**: data\n- **Depends on:** WS-2\n\n### Validation Gate\n\n```bash\n# not a heading\nnpm run lint\n```\n\n| Phase | Work Streams |\n|---|---|\n| 1 | WS-1, WS-2 |\n\n- [ ] `npm test` passes\n- [x] done\n## Next\n";

    #[test]
    fn front_matter_after_the_title() {
        let o = Outline::read(DOC);
        let fm = o.front_matter.as_ref().unwrap();
        assert_eq!(fm.value.get("id").and_then(|v| v.as_str()), Some("PRD-1"));
        let (line, value) = o.front_matter_key("status").unwrap();
        assert_eq!(&DOC[line], "status: APPROVED FOR PRODUCTION");
        assert_eq!(&DOC[value], "APPROVED FOR PRODUCTION");
        let nested = "---\nworkstreams:\n  WS1:\n    status: done\nstatus: Draft\n---\n";
        let (line, _) = Outline::read(nested).front_matter_key("status").unwrap();
        assert_eq!(&nested[line], "status: Draft");
    }

    #[test]
    fn headings_skip_code_and_sections_nest() {
        let o = Outline::read(DOC);
        let texts: Vec<&str> = o.headings.iter().map(|h| o.heading_text(h)).collect();
        assert_eq!(texts, ["Title", "WS-1: Db", "Validation Gate", "Next"]);
        let ws = &o.headings[1];
        assert!(DOC[ws.section.clone()].ends_with("- [x] done"));
        assert_eq!(o.fences.len(), 1);
        assert_eq!(o.fences[0].lang, "bash");
    }

    #[test]
    fn fields_checklists_tables_and_spans() {
        let o = Outline::read(DOC);
        let ws = o.headings[1].clone();
        let fields = o.bold_fields(o.body_lines(&ws));
        assert_eq!(
            fields.iter().map(|f| (f.key.as_str(), f.value.as_str())).collect::<Vec<_>>(),
            [("agent type", "data"), ("depends on", "WS-2")]
        );
        assert_eq!(&DOC[fields[1].value_range.clone()], "WS-2");
        let gate = o.headings[2].clone();
        let items = o.checklist(gate.line..gate.end_line);
        assert_eq!(items.len(), 2);
        assert!(!items[0].checked && items[1].checked);
        let tables = o.tables(gate.line..gate.end_line);
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].rows[0].1[1].0, "WS-1, WS-2");
        assert_eq!(&DOC[tables[0].rows[0].1[1].1.clone()], "WS-1, WS-2");
        let spans = o.code_spans(gate.line..gate.end_line);
        assert_eq!(spans.iter().map(|s| s.0).collect::<Vec<_>>(), ["npm test"]);
    }

    #[test]
    fn a_checklist_item_wrapped_onto_more_lines_keeps_its_whole_text() {
        let text = "## Acceptance Criteria\n- [ ] Tenant tables are created\n  with row level security policies\n- [x] Lazy\ncontinuation too\n- [ ] Alone\n\nA paragraph after a blank line.\n- [ ] Before a fence\n```\ncode\n```\nnot part of it\n- plain item\nnot a checkbox\n";
        let o = Outline::read(text);
        let h = o.headings[0].clone();
        let items = o.checklist(h.line..h.end_line);
        let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Tenant tables are created with row level security policies",
                "Lazy continuation too",
                "Alone",
                "Before a fence"
            ]
        );
        assert!(text[items[0].range.clone()].ends_with("policies"));
    }

    #[test]
    fn front_matter_must_be_a_mapping_and_closed() {
        assert!(Outline::read("---\njust text\n---\n").front_matter.is_none());
        assert!(Outline::read("---\na: 1\n").front_matter.is_none());
        assert!(Outline::read("intro\n---\na: 1\n---\n").front_matter.is_none());
        assert!(Outline::read("\r\n---\r\na: 1\r\n---\r\n").front_matter.is_some());
    }

    #[test]
    fn long_front_matter_is_read_and_too_long_is_reported() {
        let body: String = (0..1200).map(|i| format!("# comment {i}\nkey{i}: {i}\n")).collect();
        let text = format!("---\n{body}---\n# Title\n");
        let o = Outline::read(&text);
        assert!(o.front_matter.is_some(), "1,200 lines of front matter are read");
        assert_eq!(o.headings.len(), 1, "YAML comments are not headings");
        assert!(o.front_matter_too_long.is_none());
        let body: String = (0..MAX_FRONT_MATTER_LINES + 1).map(|i| format!("# c{i}\n")).collect();
        let text = format!("---\n{body}---\n# Title\n");
        let o = Outline::read(&text);
        assert!(o.front_matter.is_none());
        assert_eq!(o.front_matter_too_long, Some(0..3));
        assert_eq!(o.headings.iter().map(|h| o.heading_text(h)).collect::<Vec<_>>(), ["Title"]);
        // Invalid YAML at the top is still not Markdown; a prose block between rules is.
        let o = Outline::read("---\n# note\nkey: [unclosed\n---\n## Real\n");
        assert_eq!(o.headings.len(), 1);
        // Invalid YAML late in the block: the keys before it are read.
        let o = Outline::read("---\nid: X-1\nworkstreams:\n  WS1:\n    gate: lint\nnotes: a: b\n---\n");
        let fm = o.front_matter.as_ref().expect("the keys before the error");
        assert!(fm.value.get("workstreams").is_some());
        assert!(o.front_matter_error.is_some());
        let o = Outline::read("---\n## A heading between rules, then prose\n---\n");
        assert!(o.front_matter.is_none());
    }

    #[test]
    fn unclosed_fence_runs_to_the_end() {
        let o = Outline::read("```ts\n# x\n");
        assert!(o.headings.is_empty());
        assert_eq!(o.fences[0].close_line, 2);
    }
}
