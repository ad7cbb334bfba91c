//! `baton-ignore` comments (contract §4).
//!
//! - `// baton-ignore RULE[, RULE …]: reason` (TS/JS), `-- baton-ignore …` (SQL),
//!   `<!-- baton-ignore … -->` (Markdown): on a line of its own it covers the next line; after
//!   code it covers its own line. Inside a Markdown document's YAML front matter, where an HTML
//!   comment would be YAML text, the comment is YAML's: `# baton-ignore …`.
//! - In Markdown, a comment on a line of its own right before a fenced code block covers the
//!   whole block (findings of the code rules inside it, see `engine::embedded`).
//! - `baton-ignore-file RULE` in the first 10 lines covers the whole file.
//! - A rule id that suppresses nothing is reported as `meta/unused-suppression`.

use std::ops::Range;

use super::{Finding, Fix};
use crate::syntax::{Document, FileKind};

/// The rule id of unused-suppression notices.
pub const UNUSED_SUPPRESSION: &str = "meta/unused-suppression";

/// One `baton-ignore` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The lines it covers (0-based, end exclusive), or `None` for a file-level suppression.
    pub target_lines: Option<Range<u32>>,
    /// Byte range of the whole comment.
    pub comment: Range<usize>,
    /// Byte range to delete to remove the comment (its whole line when it stands alone).
    pub removal: Range<usize>,
    /// The rule ids it names, each with its byte range.
    pub rules: Vec<(String, Range<usize>)>,
}

/// The comment opener and closer for a file kind, or `None` where comments do not exist.
fn comment_syntax(kind: FileKind) -> Option<(&'static str, &'static str)> {
    match kind {
        FileKind::TypeScript | FileKind::Tsx | FileKind::JavaScript => Some(("//", "")),
        FileKind::Sql => Some(("--", "")),
        FileKind::Markdown => Some(("<!--", "-->")),
        FileKind::Json | FileKind::Signal | FileKind::Manifest => None,
    }
}

/// The comment text that suppresses `rules` in a file of `kind` (for quick fixes).
pub fn comment_text(kind: FileKind, file_level: bool, rule: &str) -> Option<String> {
    let (open, close) = comment_syntax(kind)?;
    let marker = if file_level { "baton-ignore-file" } else { "baton-ignore" };
    let close = if close.is_empty() { String::new() } else { format!(" {close}") };
    Some(format!("{open} {marker} {rule}: reason{close}"))
}

/// The lines inside a Markdown document's YAML front matter (between the opening `---` on the
/// first line and the closing one), or `None`.
pub fn front_matter_lines(doc: &Document) -> Option<Range<u32>> {
    if doc.kind != FileKind::Markdown {
        return None;
    }
    let text = &*doc.text;
    let line = |l: u32| doc.line_index.line_range(text, l).map(|r| text[r].trim_end());
    if line(0)? != "---" {
        return None;
    }
    (1..doc.line_index.line_count() as u32).find(|&l| line(l) == Some("---")).map(|end| 1..end)
}

/// The comment text that suppresses `rule` on the line after it, for a comment placed on `line`
/// of `doc`: YAML's `#` inside Markdown front matter, the file kind's comment elsewhere.
/// `None` where no comment can go: before the opening `---` of front matter, which must stay the
/// first line.
pub fn line_comment_text(doc: &Document, line: u32, rule: &str) -> Option<String> {
    match front_matter_lines(doc) {
        Some(_) if line == 0 => None,
        // Inserted before any line up to the closing `---`, the comment lands inside the YAML.
        Some(fm) if line <= fm.end => Some(format!("# baton-ignore {rule}: reason")),
        _ => comment_text(doc.kind, false, rule),
    }
}

/// Where a file-level suppression goes in `doc` (byte offset of a line start) and its text: the
/// first line, after a shebang, or — in Markdown with front matter, which must stay first — as a
/// YAML comment on the front matter's first line.
pub fn file_comment(doc: &Document, rule: &str) -> Option<(usize, String)> {
    if front_matter_lines(doc).is_some() {
        let at = doc.line_index.line_start(1)? as usize;
        return Some((at, format!("# baton-ignore-file {rule}: reason")));
    }
    let comment = comment_text(doc.kind, true, rule)?;
    let at = if doc.text.starts_with("#!") { doc.line_index.line_start(1).unwrap_or(0) as usize } else { 0 };
    Some((at, comment))
}

/// Finds every suppression comment in `doc`. The scan is textual: a marker inside a string
/// literal counts too, which errs on the side of the user's intent.
pub fn parse(doc: &Document) -> Vec<Suppression> {
    let Some(syntax) = comment_syntax(doc.kind) else { return Vec::new() };
    let text = &*doc.text;
    // Most files have none: one substring search instead of a walk over every line.
    if !text.contains("baton-ignore") {
        return Vec::new();
    }
    let front_matter = front_matter_lines(doc);
    let mut found = Vec::new();
    for line in 0..doc.line_index.line_count() as u32 {
        let Some(range) = doc.line_index.line_range(text, line) else { break };
        let line_text = &text[range.clone()];
        let (open, close) = if front_matter.as_ref().is_some_and(|fm| fm.contains(&line)) { ("#", "") } else { syntax };
        let Some(open_at) = line_text.find(open) else { continue };
        let after_open = &line_text[open_at + open.len()..];
        let trimmed = after_open.trim_start();
        let (file_level, rest) = if let Some(rest) = trimmed.strip_prefix("baton-ignore-file") {
            (true, rest)
        } else if let Some(rest) = trimmed.strip_prefix("baton-ignore") {
            (false, rest)
        } else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            continue;
        }
        if file_level && line >= 10 {
            continue;
        }
        let rest_start = range.start + open_at + open.len() + (after_open.len() - rest.len());
        let body_end = [rest.find(':'), (!close.is_empty()).then(|| rest.find(close)).flatten()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(rest.len());
        let mut rules = Vec::new();
        let mut offset = 0;
        for part in rest[..body_end].split(',') {
            let id = part.trim();
            if !id.is_empty() {
                let start = rest_start + offset + part.find(id).unwrap_or(0);
                rules.push((id.to_string(), start..start + id.len()));
            }
            offset += part.len() + 1;
        }
        let comment_end = if close.is_empty() {
            range.end
        } else {
            rest.find(close).map_or(range.end, |i| rest_start + i + close.len())
        };
        let comment = range.start + open_at..comment_end;
        let alone = line_text[..open_at].trim().is_empty();
        let removal = if alone {
            let next = doc.line_index.line_start(line + 1).map_or(text.len(), |s| s as usize);
            range.start..next
        } else {
            let code_end = line_text[..open_at].trim_end().len();
            range.start + code_end..comment_end
        };
        let target_lines = match (file_level, alone) {
            (true, _) => None,
            (false, true) => Some(line + 1..next_line_end(doc, line + 1)),
            (false, false) => Some(line..line + 1),
        };
        found.push(Suppression { target_lines, comment, removal, rules });
    }
    found
}

/// One past the last line a stand-alone comment covers when `line` follows it: the line itself,
/// or in Markdown a whole fenced code block that opens on it.
fn next_line_end(doc: &Document, line: u32) -> u32 {
    let text = &*doc.text;
    let line_text = |l: u32| doc.line_index.line_range(text, l).map(|r| &text[r]);
    let fence = match line_text(line) {
        Some(t) if doc.kind == FileKind::Markdown => {
            let t = t.trim_start();
            let ch = t.bytes().next().filter(|b| matches!(b, b'`' | b'~'));
            ch.map(|c| (c, t.bytes().take_while(|&b| b == c).count())).filter(|(_, n)| *n >= 3)
        }
        _ => None,
    };
    let Some((ch, len)) = fence else { return line + 1 };
    let mut next = line + 1;
    while let Some(t) = line_text(next) {
        let t = t.trim();
        if t.bytes().take_while(|&b| b == ch).count() >= len && t.bytes().all(|b| b == ch) {
            return next + 1;
        }
        next += 1;
    }
    next
}

/// Removes suppressed findings and appends `meta/unused-suppression` notices for rule ids that
/// suppressed nothing. `enabled` says whether a rule runs at all here: a suppression of a rule
/// that is switched off is not "unused".
pub fn apply(doc: &Document, findings: &mut Vec<Finding>, enabled: impl Fn(&str) -> bool) {
    let suppressions = parse(doc);
    if suppressions.is_empty() {
        return;
    }
    let mut used: Vec<Vec<bool>> = suppressions.iter().map(|s| vec![false; s.rules.len()]).collect();
    findings.retain(|finding| {
        let line = doc.line_index.line_of(finding.range.start);
        let mut keep = true;
        for (s, suppression) in suppressions.iter().enumerate() {
            if suppression.target_lines.as_ref().is_some_and(|t| !t.contains(&line)) {
                continue;
            }
            for (r, (id, _)) in suppression.rules.iter().enumerate() {
                if id == finding.rule {
                    used[s][r] = true;
                    keep = false;
                }
            }
        }
        keep
    });
    for (suppression, used) in suppressions.iter().zip(used) {
        for (r, (id, range)) in suppression.rules.iter().enumerate() {
            if used[r] || (crate::rules::find(id).is_some() && !enabled(id)) || id == UNUSED_SUPPRESSION {
                continue;
            }
            let message = if crate::rules::find(id).is_some() {
                format!("`baton-ignore {id}` suppresses nothing here")
            } else {
                let hint = crate::rules::closest_id(id).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
                format!("`{id}` is not a Baton rule{hint}")
            };
            let fix = removal_fix(doc, suppression, r);
            findings.push(Finding::new(UNUSED_SUPPRESSION, range.clone(), message).with_fix(fix));
        }
    }
}

/// The fix that drops rule `index` from a suppression, or the whole comment when it is the last.
fn removal_fix(doc: &Document, suppression: &Suppression, index: usize) -> Fix {
    let (id, range) = &suppression.rules[index];
    let edit = if suppression.rules.len() == 1 {
        suppression.removal.clone()
    } else if index + 1 < suppression.rules.len() {
        range.start..suppression.rules[index + 1].1.start
    } else {
        suppression.rules[index - 1].1.end..range.end
    };
    Fix::in_file(format!("Remove unused suppression of {id}"), &doc.path, [(edit, String::new())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::finding::apply_edits;

    fn doc(kind: FileKind, text: &str) -> Document {
        Document::parse("f", kind, text)
    }

    fn finding(doc: &Document, line: u32, rule: &'static str) -> Finding {
        let start = doc.line_index.line_start(line).unwrap() as usize;
        Finding::new(rule, start..start + 1, "x")
    }

    const R: &str = "sql/rls-disabled-in-public";

    /// In front matter the suppression is a YAML comment (an HTML comment would be YAML text),
    /// and the file-level one goes inside it too, so the front matter stays the first line.
    #[test]
    fn front_matter_takes_yaml_comments() {
        const W: &str = "workflow/requirement-unmet";
        let text = "---\nid: WOR-1\nstatus: qa\n---\n# Title\n<!-- x -->\n";
        let d = doc(FileKind::Markdown, text);
        assert_eq!(front_matter_lines(&d), Some(1..3));
        assert_eq!(line_comment_text(&d, 2, W).unwrap(), format!("# baton-ignore {W}: reason"));
        assert_eq!(line_comment_text(&d, 5, W).unwrap(), format!("<!-- baton-ignore {W}: reason -->"));
        assert!(line_comment_text(&d, 0, W).is_none(), "nothing may precede the opening ---");
        // Inserting the offered comments suppresses the finding on the status line.
        for (at, comment) in [
            (d.line_index.line_start(2).unwrap() as usize, line_comment_text(&d, 2, W).unwrap()),
            file_comment(&d, W).unwrap(),
        ] {
            let edited = format!("{}{comment}\n{}", &text[..at], &text[at..]);
            let e = doc(FileKind::Markdown, &edited);
            assert!(e.text.starts_with("---\n"), "{edited}");
            let status = e.text.find("status:").unwrap();
            let mut findings = vec![Finding::new(W, status..status + 1, "x")];
            apply(&e, &mut findings, |_| true);
            assert!(findings.is_empty(), "{edited}");
        }
        // A `#` line outside the front matter is a heading, not a suppression.
        let d = doc(FileKind::Markdown, "# baton-ignore workflow/requirement-unmet\nstatus: qa\n");
        assert!(parse(&d).is_empty());
    }

    #[test]
    fn own_line_comment_covers_the_next_line_only() {
        let d = doc(
            FileKind::Sql,
            "-- baton-ignore sql/rls-disabled-in-public: internal table\ncreate table a();\ncreate table b();\n",
        );
        let mut findings = vec![finding(&d, 1, R), finding(&d, 2, R)];
        apply(&d, &mut findings, |_| true);
        assert_eq!(findings.len(), 1);
        assert_eq!(d.line_index.line_of(findings[0].range.start), 2);
    }

    #[test]
    fn trailing_comment_covers_its_own_line() {
        let d =
            doc(FileKind::TypeScript, "a();\nprisma.x.findMany(); // baton-ignore rls/prisma-outside-context: seed\n");
        let mut findings =
            vec![finding(&d, 1, "rls/prisma-outside-context"), finding(&d, 0, "rls/prisma-outside-context")];
        apply(&d, &mut findings, |_| true);
        assert_eq!(findings.len(), 1);
        assert_eq!(d.line_index.line_of(findings[0].range.start), 0);
    }

    #[test]
    fn other_rules_are_not_suppressed_and_unused_ids_are_reported() {
        let d =
            doc(FileKind::TypeScript, "// baton-ignore rls/prisma-outside-context, sql/rls-disabled-in-public\nx();\n");
        let mut findings = vec![finding(&d, 1, "rls/prisma-outside-context")];
        apply(&d, &mut findings, |_| true);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, UNUSED_SUPPRESSION);
        assert_eq!(d.slice(findings[0].range.clone()), R);
        let fixed = apply_edits(&d.text, "f", &findings[0].fixes[0].edits);
        assert_eq!(fixed, "// baton-ignore rls/prisma-outside-context\nx();\n");
    }

    #[test]
    fn file_level_suppression_in_first_ten_lines_only() {
        let d = doc(FileKind::Sql, "-- baton-ignore-file sql/rls-disabled-in-public\ncreate table a();\n");
        let mut findings = vec![finding(&d, 1, R)];
        apply(&d, &mut findings, |_| true);
        assert!(findings.is_empty());
        let late = format!("{}-- baton-ignore-file {R}\ncreate table a();\n", "\n".repeat(10));
        let d = doc(FileKind::Sql, &late);
        let mut findings = vec![finding(&d, 11, R)];
        apply(&d, &mut findings, |_| true);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, R);
    }

    #[test]
    fn markdown_comment_syntax() {
        let d = doc(FileKind::Markdown, "<!-- baton-ignore sql/rls-disabled-in-public: example -->\ntext\n");
        let s = parse(&d);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].rules.len(), 1);
        assert_eq!(s[0].rules[0].0, R);
        assert_eq!(d.slice(s[0].comment.clone()), "<!-- baton-ignore sql/rls-disabled-in-public: example -->");
    }

    #[test]
    fn markdown_comment_before_a_fence_covers_the_block() {
        let d = doc(
            FileKind::Markdown,
            "<!-- baton-ignore patterns/dto-interface: shows the anti-pattern -->\n```ts\ninterface ADTO {}\n\ninterface BDTO {}\n```\ninterface CDTO {}\n",
        );
        let mut findings = vec![
            finding(&d, 2, "patterns/dto-interface"),
            finding(&d, 4, "patterns/dto-interface"),
            finding(&d, 6, "patterns/dto-interface"),
        ];
        apply(&d, &mut findings, |_| true);
        assert_eq!(findings.len(), 1);
        assert_eq!(d.line_index.line_of(findings[0].range.start), 6);
    }

    #[test]
    fn unknown_rule_gets_a_suggestion_and_disabled_rules_are_not_unused() {
        let d = doc(FileKind::Sql, "select 1; -- baton-ignore sql/rls-disabled-in-publik\nselect 2; -- baton-ignore sql/rls-disabled-in-public\n");
        let mut findings = Vec::new();
        apply(&d, &mut findings, |id| id != R);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].message.contains("did you mean `sql/rls-disabled-in-public`"));
        let fixed = apply_edits(&d.text, "f", &findings[0].fixes[0].edits);
        assert_eq!(fixed, "select 1;\nselect 2; -- baton-ignore sql/rls-disabled-in-public\n");
    }

    #[test]
    fn near_miss_markers_are_not_suppressions() {
        let d = doc(FileKind::TypeScript, "// baton-ignored rls/x\n// baton-ignorance\nconst s = 'baton-ignore';\n");
        assert!(parse(&d).is_empty());
    }

    #[test]
    fn json_has_no_comments() {
        assert!(parse(&doc(FileKind::Json, "{\"a\": \"// baton-ignore x\"}")).is_empty());
    }
}
