//! Markdown handoffs — what most teams write instead of JSON signals: `.claude/handoff/*.md`
//! (`current.md`, `CURRENT_HANDOFF.md`, timestamped `YYYYMMDD-HHMMSS.md`, task files, an
//! `archive/`) and `*.handoff.md` anywhere. Read leniently, line by line: the status, the
//! work streams, the files a "Files" section lists (with whether each is created, modified or
//! deleted) and the next agent. Only what is clearly stated is taken; the reading is documented
//! in `docs/handoff-format.md` ("Markdown handoffs").

use super::normalize::{classify_path, PathKind, Status};
use super::read::{At, NamedFile};
use crate::plan::WorkstreamId;
use crate::syntax::Document;

/// True for a path Baton reads as a Markdown handoff.
pub fn is_markdown_handoff(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if !name.ends_with(".md") {
        return false;
    }
    if name.ends_with(".handoff.md") {
        return true;
    }
    path.starts_with(".claude/handoff/") || path.contains("/.claude/handoff/")
}

/// What a handoff says it does with a file it lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileIntent {
    /// Created (or to be created).
    Created,
    /// Modified (or to be modified).
    Modified,
    /// Deleted (or to be deleted).
    Deleted,
    /// Named without saying.
    Named,
}

/// A Markdown handoff, read leniently.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkdownHandoff {
    /// Workspace-relative path.
    pub path: String,
    /// A template, an index or an archived handoff: read, never checked.
    pub reference_only: bool,
    /// The status, from a `**Status**:` / `Status:` line or the file name (`…-COMPLETE.md`).
    pub status: Option<At<Status>>,
    /// Work-stream ids named in headings.
    pub workstreams: Vec<WorkstreamId>,
    /// Files listed in a "Files" section (or under a bold `**Files…**` label), with intent.
    pub files: Vec<(NamedFile, FileIntent)>,
    /// `**Next agent**:` / `**To**:`.
    pub next_agent: Option<At<String>>,
}

impl MarkdownHandoff {
    /// True when the handoff says the work is done.
    pub fn is_complete(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.value == Status::Complete)
    }

    /// Reads a Markdown handoff.
    pub fn read(doc: &Document) -> MarkdownHandoff {
        let path = doc.path.clone();
        let name = path.rsplit('/').next().unwrap_or(&path).to_ascii_lowercase();
        let reference_only = ["readme.md", "template.md", "index.md"].contains(&name.as_str())
            || name.contains("template")
            || path
                .split('/')
                .any(|c| matches!(c.to_ascii_lowercase().as_str(), "archive" | "archived" | "done" | "templates"))
            || name.contains("archive");
        let mut handoff = MarkdownHandoff {
            path: path.clone(),
            reference_only,
            status: None,
            workstreams: Vec::new(),
            files: Vec::new(),
            next_agent: None,
        };
        let text: &str = &doc.text;
        let mut offset = 0;
        // The heading level of the "Files" section we are in (`None`: not in one), and whether a
        // bold files label opened a list.
        let mut files_section: Option<usize> = None;
        let mut files_label = false;
        // An intent a sub-label or sub-heading of the files section states (`**New**`, `### 修改`).
        let mut section_intent: Option<FileIntent> = None;
        let mut in_fence = false;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let trimmed = line.trim();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                continue;
            }
            if let Some(level) = heading_level(trimmed) {
                let title = trimmed[level..].trim().to_ascii_lowercase();
                for (_, id) in WorkstreamId::find_all(&title) {
                    if !handoff.workstreams.contains(&id) {
                        handoff.workstreams.push(id);
                    }
                }
                files_label = false;
                match files_section {
                    Some(open) if level > open => section_intent = intent_of(&title),
                    _ => {
                        files_section = is_files_title(&title).then_some(level);
                        section_intent = None;
                    }
                }
                continue;
            }
            if let Some((label, value, value_at)) = bold_label(line) {
                let label = label.to_ascii_lowercase();
                if handoff.status.is_none() && label == "status" {
                    if let Some(status) = Status::parse(value) {
                        handoff.status =
                            Some(At { value: status, range: start + value_at..start + value_at + value.len() });
                    }
                } else if handoff.next_agent.is_none()
                    && matches!(label.as_str(), "next agent" | "next" | "to" | "handoff to")
                {
                    let agent = value.trim().trim_matches('`').to_string();
                    if !agent.is_empty() {
                        handoff.next_agent =
                            Some(At { value: agent, range: start + value_at..start + value_at + value.len() });
                    }
                }
                if files_section.is_some() && value.is_empty() {
                    // `**New**` inside a files section: what the next lines do.
                    section_intent = intent_of(&label);
                    continue;
                }
                files_label = is_files_title(&label);
                if files_label {
                    handoff.collect_files(value, start + value_at, None);
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            let listed =
                trimmed.starts_with(['-', '*', '|']) || trimmed.chars().next().is_some_and(|c| c.is_ascii_digit());
            if files_section.is_some() || (files_label && listed) {
                handoff.collect_files(line, start, section_intent);
            } else {
                files_label = false;
            }
        }
        if handoff.status.is_none() {
            let stem = name.trim_end_matches(".md");
            let done = stem.split(['-', '_', '.']).any(|w| matches!(w, "complete" | "completed" | "done" | "shipped"));
            if done {
                handoff.status = Some(At { value: Status::Complete, range: 0..0 });
            }
        }
        handoff
    }

    /// The file a line of a files list names: its first path in backticks (later ones are in
    /// the entry's description), with the intent the line (else `inherited`) states.
    fn collect_files(&mut self, line: &str, at: usize, inherited: Option<FileIntent>) {
        let spans = crate::plan::markdown::code_spans_in(line);
        let Some(first) = spans.iter().find(|s| looks_like_file(line[(*s).clone()].trim())) else { return };
        // The intent stated before the path ("Created: `a.ts`"), else after it ("`a.ts` (new)"),
        // else the section's.
        let intent = intent_of(&line[..first.start])
            .or_else(|| intent_of(&line[first.end..]))
            .or(inherited)
            .unwrap_or(FileIntent::Named);
        let span = first.clone();
        let text = line[span.clone()].trim();
        let kind = classify_path(text);
        if matches!(kind, PathKind::NotAPath) {
            return;
        }
        let named = NamedFile { text: text.to_string(), range: at + span.start..at + span.end, kind, key: "files" };
        self.files.push((named, intent));
    }
}

/// A code span that names one file: a path with a folder or an extension, no placeholders,
/// globs, commands or line ranges.
fn looks_like_file(text: &str) -> bool {
    let name = text.rsplit('/').next().unwrap_or(text);
    let has_ext = name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && !ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric())
    });
    has_ext
        && text.contains('/')
        && !text.contains(['*', '{', '<', '>', '$', '(', ' ', '…'])
        && !text.contains("path/to")
        && !text.contains("...")
        && !text.starts_with('.') // `.env.local`, `./x`: often local files
        && !text.ends_with('/')
}

/// The intent a label or the start of a list entry states.
fn intent_of(text: &str) -> Option<FileIntent> {
    let lower = text.to_ascii_lowercase();
    if ["delete", "remove", "删除", "drop"].iter().any(|w| lower.contains(w)) {
        Some(FileIntent::Deleted)
    } else if ["create", "new", "add", "新建", "新增"].iter().any(|w| lower.contains(w)) {
        Some(FileIntent::Created)
    } else if ["modif", "update", "change", "edit", "修改"].iter().any(|w| lower.contains(w)) {
        Some(FileIntent::Modified)
    } else {
        None
    }
}

/// `## Files changed` → 2.
fn heading_level(line: &str) -> Option<usize> {
    let level = line.chars().take_while(|c| *c == '#').count();
    (1..=6).contains(&level).then_some(level).filter(|l| line[*l..].starts_with(' '))
}

/// A heading or label that introduces a list of files.
fn is_files_title(title: &str) -> bool {
    let title = title.to_ascii_lowercase();
    (title.contains("file") && !title.contains("profile")) || title.contains("文件") || title.contains("artifacts")
}

/// `**Label**: value` or `- **Label:** value` → (label, value, byte offset of value in line).
fn bold_label(line: &str) -> Option<(&str, &str, usize)> {
    let lead = line.len() - line.trim_start().len();
    let rest = line[lead..].trim_start_matches(['-', ' ']);
    let rest = rest.strip_prefix("**")?;
    let end = rest.find("**")?;
    let label = rest[..end].trim().trim_end_matches(':').trim();
    let after = rest[end + 2..].trim_start_matches(':').trim_start();
    let value_at = line.len() - after.len();
    let value = after.trim_end();
    (!label.is_empty() && label.len() <= 40).then_some((label, value, value_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    fn read(path: &str, text: &str) -> MarkdownHandoff {
        MarkdownHandoff::read(&Document::parse(path, FileKind::Markdown, text))
    }

    #[test]
    fn paths() {
        assert!(is_markdown_handoff(".claude/handoff/current.md"));
        assert!(is_markdown_handoff("app/.claude/handoff/archive/20260101-101500.md"));
        assert!(is_markdown_handoff("notes/ws2.handoff.md"));
        assert!(!is_markdown_handoff(".claude/handoff/ws1.signal"));
        assert!(!is_markdown_handoff("docs/handoff.md"));
    }

    #[test]
    fn reads_status_files_intents_and_next_agent() {
        let h = read(
            ".claude/handoff/current.md",
            "# Handoff — WS-2 API\n\n**Status**: Complete\n**Next agent**: `qa-tester`\n\n## Files changed\n\n- Created: `src/api/a.ts`\n- Modified `src/lib/b.ts` (exports)\n- Deleted `src/old.ts`\n- see `src/**/*.ts`\n\n## Notes\n\nMentions `src/c.ts` outside the files section.\n",
        );
        assert!(h.is_complete());
        assert_eq!(h.next_agent.as_ref().unwrap().value, "qa-tester");
        assert_eq!(h.workstreams, [WorkstreamId::parse("WS-2").unwrap()]);
        let files: Vec<(&str, FileIntent)> = h.files.iter().map(|(f, i)| (f.text.as_str(), *i)).collect();
        assert_eq!(
            files,
            [
                ("src/api/a.ts", FileIntent::Created),
                ("src/lib/b.ts", FileIntent::Modified),
                ("src/old.ts", FileIntent::Deleted)
            ]
        );
        assert!(!h.reference_only);
        assert!(read(".claude/handoff/TEMPLATE.md", "").reference_only);
        assert!(read(".claude/handoff/archive/2026-07-08-sprint-COMPLETE.md", "").is_complete());
    }
}
