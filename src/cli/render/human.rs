//! `--format human`: code frames like rustc and ruff, a summary line, colour only on a terminal.

use std::borrow::Cow;
use std::fmt::Write;
use std::io::IsTerminal;

use annotate_snippets::{Level, Renderer, Snippet};

use crate::rules::Severity;
use crate::workspace::{FileFinding, Workspace};

/// At most this many source lines are shown in one frame.
const MAX_FRAME_LINES: u32 = 6;

/// Source lines wider than this are cut around the annotated span (minified or generated files
/// would otherwise print megabytes).
const FRAME_WIDTH: usize = 140;

/// Colour when stdout is a terminal and `NO_COLOR` is unset.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Info,
        Severity::Hint => Level::Help,
    }
}

/// Whether `c` must not reach a terminal raw: control characters (C0, DEL, C1: escapes, bells,
/// line breaks, the CSI introducer), the bidirectional controls that reorder what is shown, and
/// the line and paragraph separators.
fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

fn push_escaped(out: &mut String, c: char) {
    let _ = match c {
        '\n' => write!(out, "\\n"),
        '\r' => write!(out, "\\r"),
        '\t' => write!(out, "\\t"),
        c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
        c => write!(out, "\\u{{{:x}}}", c as u32),
    };
}

/// `text` with every character that must not reach a terminal raw ([`is_hazard`]: a newline
/// in a file name would forge a report line, an escape sequence would drive the terminal)
/// written as an escape (`\n`, `\x1b`, `\u{202e}`). For one-line texts: names and messages.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hazard) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hazard(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Source lines for a code frame with the hazards escaped as in [`escape_controls`], except the
/// line breaks and tabs that lay them out (a lone `\r`, a line break for Baton, becomes `\n`);
/// `marks` (byte offsets into `source`) are moved to the same places in the result.
fn escape_source(source: &str, marks: [usize; 2]) -> (String, [usize; 2]) {
    let mut out = String::with_capacity(source.len());
    let mut moved = marks;
    for (i, c) in source.char_indices() {
        for (mark, to) in marks.iter().zip(moved.iter_mut()) {
            if *mark == i {
                *to = out.len();
            }
        }
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if source.as_bytes().get(i + 1) == Some(&b'\n') => out.push(c),
            '\r' => out.push('\n'),
            c if is_hazard(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    for (mark, to) in marks.iter().zip(moved.iter_mut()) {
        if *mark >= source.len() {
            *to = out.len();
        }
    }
    (out, moved)
}

/// Renders every finding as a code frame, then a summary line. File names, messages and source
/// text are shown with their control characters escaped ([`escape_controls`]).
pub fn render(workspace: &Workspace, findings: &[FileFinding], color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() }.term_width(FRAME_WIDTH);
    let mut out = String::new();
    for f in findings {
        let finding = &f.finding;
        let level = level(finding.severity);
        let fix_titles: Vec<String> =
            finding.fixes.iter().map(|fix| format!("fix available: {}", escape_controls(&fix.title))).collect();
        let footers = fix_titles.iter().map(|t| Level::Help.title(t));
        let text_message = escape_controls(&finding.message);
        let message = level.title(&text_message).id(finding.rule);
        let path = escape_controls(&f.path);
        let origin = format!("--> {path}");
        let escaped_source;
        let rendered = match workspace.text_of(&f.path) {
            Some((text, line_index)) => {
                let first = line_index.line_of(finding.range.start);
                let last = line_index.line_of(finding.range.end.saturating_sub(1).max(finding.range.start));
                let last_shown = last.min(first + MAX_FRAME_LINES - 1);
                let start = line_index.line_start(first).unwrap_or(0) as usize;
                let end = line_index.line_range(text, last_shown).map_or(text.len(), |r| r.end);
                let source = &text[start..end];
                let span_start = finding.range.start.saturating_sub(start).min(source.len());
                let mut span_end = finding.range.end.saturating_sub(start).clamp(span_start, source.len());
                if first == last && span_end - span_start > FRAME_WIDTH {
                    // Underline the start of a very wide one-line span, not all of it.
                    span_end = span_start + FRAME_WIDTH;
                    while !source.is_char_boundary(span_end) {
                        span_end -= 1;
                    }
                }
                let span;
                (escaped_source, span) = escape_source(source, [span_start, span_end]);
                let snippet = Snippet::source(&escaped_source)
                    .line_start(first as usize + 1)
                    .origin(&path)
                    .fold(false)
                    .annotation(level.span(span[0]..span[1]));
                renderer.render(message.snippet(snippet).footers(footers)).to_string()
            }
            None => renderer.render(message.footer(Level::Note.title(&origin)).footers(footers)).to_string(),
        };
        out.push_str(&rendered);
        out.push_str("\n\n");
    }
    out.push_str(&summary(workspace.files_scanned(), findings));
    out.push('\n');
    for line in config_notes(workspace, findings) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Footer lines about configuration (issue 23, item 7): per rule whose findings a `baton.toml`
/// key can settle, how; and every rule that checked nothing for lack of configuration.
pub fn config_notes(workspace: &Workspace, findings: &[FileFinding]) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in findings {
        *counts.entry(f.finding.rule).or_default() += 1;
    }
    let mut lines: Vec<String> = counts
        .into_iter()
        .filter_map(|(rule, count)| {
            let hint = crate::engine::notices::config_hint(rule)?;
            Some(format!("note: {} of {rule}: {}.", plural(count, "finding"), hint.text))
        })
        .collect();
    for notice in workspace.config_notices.get().into_iter().flatten() {
        lines.push(format!("note: {}.", notice.message));
    }
    lines
}

/// "Found 3 problems (2 errors, 1 warning) in 12 files; 2 have a quick fix." or "No problems …".
pub fn summary(files: usize, findings: &[FileFinding]) -> String {
    let files_text = plural(files, "file");
    if findings.is_empty() {
        return format!("No problems found in {files_text}.");
    }
    let mut parts = Vec::new();
    for severity in [Severity::Error, Severity::Warning, Severity::Info, Severity::Hint] {
        let count = findings.iter().filter(|f| f.finding.severity == severity).count();
        if count > 0 {
            let name = match severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
                Severity::Hint => "hint",
            };
            parts.push(if severity == Severity::Info { format!("{count} info") } else { plural(count, name) });
        }
    }
    let mut line = String::new();
    let _ = write!(line, "Found {} ({}) in {files_text}", plural(findings.len(), "problem"), parts.join(", "));
    let fixable = findings.iter().filter(|f| !f.finding.fixes.is_empty()).count();
    if fixable > 0 {
        let _ = write!(line, "; {fixable} with a quick fix");
    }
    line.push('.');
    line
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
