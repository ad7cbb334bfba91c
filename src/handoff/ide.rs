//! Editor features over handoffs: code lenses and hover on files named by handoffs, inlay hints,
//! definitions and completion in signals and snapshots. Called through [`crate::ide`].

use std::ops::Range;

use super::json::{Json, Value};
use super::{Handoffs, NamedFile, PathKind, Signal, Snapshot, Status};
use crate::ide::{Completion, CompletionKind, Hover, IdeContext, InlayHint, Lens, Symbol, SymbolKind, Target};
use crate::plan::WorkstreamId;
use crate::syntax::FileKind;

/// A handoff that names a file.
enum Naming<'a> {
    Signal(&'a Signal),
    Snapshot(&'a Snapshot),
}

impl Naming<'_> {
    fn path(&self) -> &str {
        match self {
            Naming::Signal(s) => &s.path,
            Naming::Snapshot(s) => &s.path,
        }
    }

    /// "⇄ WS-2 · table-context agent · complete · 2 pending actions".
    fn title(&self) -> String {
        let mut parts = Vec::new();
        let pending = match self {
            Naming::Signal(s) => {
                parts.push(s.workstream.as_ref().map_or("signal".to_string(), |w| w.value.to_string()));
                if let Some(agent) = &s.agent {
                    parts.push(format!("{} agent", agent.value));
                }
                parts.push(s.status.as_ref().map_or("no status".to_string(), |st| st.value.to_string()));
                s.pending_actions.len()
            }
            Naming::Snapshot(s) => {
                parts.push(s.workflow_id.as_ref().map_or(s.name().to_string(), |w| w.value.clone()));
                if let Some(agent) = &s.current_agent {
                    parts.push(format!("{} agent", agent.value));
                }
                if let Some(phase) = &s.phase {
                    parts.push(phase.value.clone());
                }
                s.pending_actions.len()
            }
        };
        if pending > 0 {
            parts.push(format!("{pending} pending action{}", if pending == 1 { "" } else { "s" }));
        }
        format!("⇄ {}", parts.join(" · "))
    }

    fn lists(&self) -> (&[String], &[String], &[String]) {
        match self {
            Naming::Signal(s) => (&s.decisions, &s.constraints, &s.pending_actions),
            Naming::Snapshot(s) => (&s.decisions, &s.constraints, &s.pending_actions),
        }
    }
}

/// The handoffs that name the file at `path`.
fn namings<'a>(handoffs: &'a Handoffs, path: &str) -> Vec<Naming<'a>> {
    let names =
        |from: &str, files: &[NamedFile]| files.iter().any(|f| handoffs.resolve(from, f).as_deref() == Some(path));
    let signals = handoffs.signals.iter().filter(|s| names(&s.path, &s.files)).map(Naming::Signal);
    let snapshots = handoffs.snapshots.iter().filter(|s| names(&s.path, &s.files)).map(Naming::Snapshot);
    signals.chain(snapshots).collect()
}

fn is_handoff(ctx: &IdeContext<'_>) -> bool {
    matches!(ctx.doc.kind, FileKind::Json | FileKind::Signal)
}

/// Document symbols of a signal or snapshot: its top-level keys.
pub fn document_symbols(ctx: &IdeContext<'_>) -> Vec<Symbol> {
    if !is_handoff(ctx) {
        return Vec::new();
    }
    let Some(json) = Json::from_document(ctx.doc) else { return Vec::new() };
    json.members()
        .iter()
        .map(|m| Symbol {
            name: m.key.clone(),
            detail: m.value.as_str().map(|s| s.chars().take(60).collect()),
            kind: SymbolKind::Key,
            range: m.key_range.start..m.value.range.end,
            selection: m.key_range.clone(),
            children: Vec::new(),
        })
        .collect()
}

/// Hover at a byte offset: on the first line of a file named by handoffs, what they say.
pub fn hover(ctx: &IdeContext<'_>, offset: usize) -> Option<Hover> {
    if is_handoff(ctx) {
        return None;
    }
    let first_line_end = ctx.doc.text.find('\n').unwrap_or(ctx.doc.text.len());
    if offset > first_line_end {
        return None;
    }
    let handoffs = &ctx.facts.handoffs;
    let namings = namings(handoffs, &ctx.doc.path);
    if namings.is_empty() {
        return None;
    }
    let mut md = String::new();
    for naming in &namings {
        let link = ctx.root.join(naming.path());
        md.push_str(&format!(
            "**{}** — [{}](file://{})\n",
            naming.title(),
            naming.path(),
            link.to_string_lossy().replace(' ', "%20")
        ));
        let (decisions, constraints, pending) = naming.lists();
        for (heading, items) in [("Decisions", decisions), ("Constraints", constraints), ("Pending actions", pending)] {
            if !items.is_empty() {
                md.push_str(&format!("\n{heading}:\n"));
                for item in items {
                    md.push_str(&format!("- {item}\n"));
                }
            }
        }
        if let Some(changed) = changed_since(handoffs, naming, &ctx.doc.path) {
            md.push_str(&format!("\n_{changed}_\n"));
        }
        md.push('\n');
    }
    Some(Hover { markdown: md.trim_end().to_string(), range: 0..first_line_end })
}

/// "changed since handoff WS-2" when a completed handoff's timestamp is older than the file's
/// last change (as listed by the workspace layer).
fn changed_since(handoffs: &Handoffs, naming: &Naming<'_>, path: &str) -> Option<String> {
    let changed = handoffs.files.changed_at(path)?;
    let (label, at) = match naming {
        Naming::Signal(s) if s.status.as_ref().is_some_and(|st| st.value == Status::Complete) => {
            (s.workstream.as_ref().map_or(s.path.clone(), |w| w.value.to_string()), s.timestamp.as_ref()?.value)
        }
        Naming::Snapshot(s) if s.claims_done() || s.next_agent_name().is_some() => {
            (s.name().to_string(), s.timestamp.as_ref()?.value)
        }
        _ => return None,
    };
    (changed > at).then(|| format!("changed since handoff {label}"))
}

/// Definitions of what is at a byte offset: file paths, agent names, work-stream ids.
pub fn definition(ctx: &IdeContext<'_>, offset: usize) -> Vec<Target> {
    if !is_handoff(ctx) {
        return Vec::new();
    }
    let handoffs = &ctx.facts.handoffs;
    let path = &ctx.doc.path;
    let files: &[NamedFile] = match ctx.doc.kind {
        FileKind::Signal => handoffs.signal(path).map_or(&[], |s| &s.files),
        _ => handoffs.snapshot(path).map_or(&[], |s| &s.files),
    };
    if let Some(file) = files.iter().find(|f| contains(&f.range, offset)) {
        return handoffs.resolve(path, file).map(|p| Target { path: p, range: None }).into_iter().collect();
    }
    let Some(json) = Json::from_document(ctx.doc) else { return Vec::new() };
    let Some((key, value)) = string_at(&json, offset) else { return Vec::new() };
    match key {
        "current_agent" | "next_agent" | "agent" => handoffs
            .agent(path, value)
            .map(|a| Target { path: a.path.clone(), range: Some(a.range.clone()) })
            .into_iter()
            .collect(),
        "workstream" | "depends_on" => WorkstreamId::parse(value)
            .and_then(|id| {
                ctx.facts
                    .plan
                    .workstream_location(path, &id)
                    .map(|(p, r)| Target { path: p.to_string(), range: Some(r) })
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// The key and text of the string value at `offset` (array items report their array's key).
fn string_at(json: &Json, offset: usize) -> Option<(&str, &str)> {
    for member in json.members() {
        let value = &member.value;
        if !contains(&value.range, offset) {
            continue;
        }
        match &value.value {
            Value::String(s) => return Some((&member.key, s)),
            Value::Array(items) => {
                return items
                    .iter()
                    .find(|i| contains(&i.range, offset))
                    .and_then(|i| i.as_str())
                    .map(|s| (member.key.as_str(), s))
            }
            _ => return None,
        }
    }
    None
}

fn contains(range: &Range<usize>, offset: usize) -> bool {
    range.start <= offset && offset <= range.end
}

/// Code lenses: one at the top of a source file per handoff that names it.
pub fn code_lenses(ctx: &IdeContext<'_>) -> Vec<Lens> {
    if is_handoff(ctx) {
        return Vec::new();
    }
    let handoffs = &ctx.facts.handoffs;
    let mut lenses = Vec::new();
    for naming in namings(handoffs, &ctx.doc.path) {
        lenses.push(Lens { range: 0..0, title: naming.title(), command: None });
        if let Some(changed) = changed_since(handoffs, &naming, &ctx.doc.path) {
            lenses.push(Lens { range: 0..0, title: changed, command: None });
        }
    }
    lenses
}

/// Inlay hints within a byte range: after `next_agent` whether a successor exists; after a named
/// file that is missing, "missing".
pub fn inlay_hints(ctx: &IdeContext<'_>, range: Range<usize>) -> Vec<InlayHint> {
    if !is_handoff(ctx) {
        return Vec::new();
    }
    let handoffs = &ctx.facts.handoffs;
    let path = &ctx.doc.path;
    let mut hints = Vec::new();
    let files: &[NamedFile] = match ctx.doc.kind {
        FileKind::Signal => handoffs.signal(path).map_or(&[], |s| &s.files),
        _ => handoffs.snapshot(path).map_or(&[], |s| &s.files),
    };
    for file in files {
        let label = match &file.kind {
            PathKind::Relative(_) if handoffs.resolve(path, file).is_none() => "missing",
            PathKind::Escapes => "outside the workspace",
            PathKind::Absolute => "absolute: not read",
            _ => continue,
        };
        // After the closing quote of a JSON string.
        let end =
            if ctx.doc.slice(file.range.end..file.range.end + 1) == "\"" { file.range.end + 1 } else { file.range.end };
        hints.push(InlayHint { offset: end, label: label.to_string(), tooltip: Some(format!("`{}`", file.text)) });
    }
    if let Some(snapshot) = handoffs.snapshot(path) {
        if let Some(next) = &snapshot.next_agent {
            if let Some(name) = &next.value {
                let successor = handoffs.chain_of(path).and_then(|(chain, pos)| chain.get(pos + 1));
                let (label, tooltip) = match successor.map(|&i| &handoffs.snapshots[i]) {
                    Some(s) => (
                        format!("→ {} exists", s.name()),
                        format!(
                            "{} continues the chain (current agent `{}`)",
                            s.path,
                            s.current_agent.as_ref().map_or("?", |a| a.value.as_str())
                        ),
                    ),
                    None => (
                        "no successor yet".to_string(),
                        format!("no later snapshot of this workflow; `{name}` has not saved one"),
                    ),
                };
                hints.push(InlayHint { offset: next.range.end, label, tooltip: Some(tooltip) });
            }
        }
    }
    hints.retain(|h| h.offset >= range.start && h.offset <= range.end);
    hints.sort_by_key(|h| h.offset);
    hints
}

/// Where the cursor is in a JSON text, from a forward scan (works on half-typed files).
struct JsonPosition {
    /// Keys of the enclosing containers, outermost first (`None` for the root or array items).
    path: Vec<Option<String>>,
    /// The innermost container is an array.
    in_array: bool,
    /// A key is expected here (else a value).
    expects_key: bool,
    /// The key whose value is being written, when a value is expected in an object.
    key: Option<String>,
    /// The range a completion replaces, and whether it is inside quotes.
    replace: Range<usize>,
    quoted: bool,
}

fn json_position(text: &str, offset: usize) -> JsonPosition {
    let bytes = text.as_bytes();
    let mut stack: Vec<(u8, Option<String>)> = Vec::new();
    let mut last_string: Option<String> = None;
    let mut key: Option<String> = None;
    let mut expects_key = false;
    let mut i = 0;
    let mut string_start = None;
    while i < offset.min(bytes.len()) {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= offset || i >= bytes.len() || bytes[i] == b'\n' {
                    string_start = Some(start);
                    break;
                }
                last_string = Some(text[start + 1..i].to_string());
            }
            b':' => {
                key = last_string.take();
                expects_key = false;
            }
            open @ (b'{' | b'[') => {
                stack.push((open, key.take()));
                expects_key = open == b'{';
            }
            b'}' | b']' => {
                stack.pop();
                expects_key = false;
            }
            b',' => {
                expects_key = stack.last().is_some_and(|(c, _)| *c == b'{');
                if expects_key {
                    key = None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let (replace, quoted) = match string_start {
        Some(start) => {
            let end = text[offset..].find(['"', '\n']).map_or(offset, |e| offset + e);
            (start + 1..end, true)
        }
        None => {
            let word = |c: char| c.is_ascii_alphanumeric() || "-_".contains(c);
            // The word's characters are ASCII, so the word starts right after the last other one.
            let start = text[..offset].trim_end_matches(word).len();
            (start..offset, false)
        }
    };
    let in_array = stack.last().is_some_and(|(c, _)| *c == b'[');
    let path = stack.iter().map(|(_, k)| k.clone()).collect();
    let key = if in_array { stack.last().and_then(|(_, k)| k.clone()) } else { key };
    JsonPosition { path, in_array, expects_key: expects_key && !in_array, key, replace, quoted }
}

/// Gate names offered in `validation` and `quality_gates_passed`: the configured gates, then the
/// usual ones.
fn gate_names(ctx: &IdeContext<'_>) -> Vec<String> {
    let mut names: Vec<String> = ctx.config.gates.keys().cloned().collect();
    for name in ["lint", "type-check", "test", "build", "coverage", "security", "performance"] {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// Completions at a byte offset in a signal or snapshot.
pub fn completions(ctx: &IdeContext<'_>, offset: usize) -> Vec<Completion> {
    if !is_handoff(ctx) || offset > ctx.doc.text.len() || !ctx.doc.text.is_char_boundary(offset) {
        return Vec::new();
    }
    let pos = json_position(&ctx.doc.text, offset);
    let handoffs = &ctx.facts.handoffs;
    let path = &ctx.doc.path;
    let quote = |s: &str| if pos.quoted { s.to_string() } else { format!("\"{s}\"") };
    let item = |label: String, kind: CompletionKind, detail: Option<String>| Completion {
        insert_text: Some(quote(&label)),
        label,
        kind,
        detail,
        replace: pos.replace.clone(),
    };
    let depth = pos.path.len();
    let parent = pos.path.last().cloned().flatten();
    if pos.expects_key {
        let keys: Vec<String> = match (depth, parent.as_deref()) {
            (1, _) => {
                let (known, present): (&[&str], Vec<String>) = match ctx.doc.kind {
                    FileKind::Signal => (super::signal::KEYS, present_keys(ctx)),
                    _ => (super::snapshot::KEYS, present_keys(ctx)),
                };
                known.iter().filter(|k| !present.iter().any(|p| p == *k)).map(|k| k.to_string()).collect()
            }
            (2, Some("validation" | "quality_gates_passed")) => gate_names(ctx),
            _ => Vec::new(),
        };
        let kind = if ctx.doc.kind == FileKind::Signal { "signal" } else { "snapshot" };
        return keys
            .into_iter()
            .map(|k| item(k, CompletionKind::Key, Some(format!("{kind} key (schema v1)"))))
            .collect();
    }
    let key = pos.key.as_deref().unwrap_or("");
    let values: Vec<(String, Option<String>)> = match (key, depth) {
        ("status", _) => Status::ALL.iter().map(|s| (s.as_str().to_string(), Some("status".into()))).collect(),
        ("next_agent" | "current_agent" | "agent", _) => handoffs
            .agents_for(path)
            .map(|a| (a.name.clone(), a.description.clone().or_else(|| Some(a.path.clone()))))
            .collect(),
        ("workstream" | "depends_on", _) => {
            let mut ids: Vec<String> = handoffs
                .signals
                .iter()
                .flat_map(|s| {
                    s.workstream
                        .iter()
                        .map(|w| w.value.to_string())
                        .chain(s.depends_on.iter().map(|d| d.value.to_string()))
                })
                .collect();
            ids.sort();
            ids.dedup();
            ids.into_iter().map(|id| (id, Some("work stream".into()))).collect()
        }
        (_, 2) if matches!(parent.as_deref(), Some("validation")) && !pos.in_array => {
            ["pass", "fail", "skipped", "waived:"]
                .iter()
                .map(|v| (v.to_string(), Some("gate outcome".into())))
                .collect()
        }
        _ => Vec::new(),
    };
    values.into_iter().map(|(v, detail)| item(v, CompletionKind::Value, detail)).collect()
}

/// The top-level keys the document already has.
fn present_keys(ctx: &IdeContext<'_>) -> Vec<String> {
    Json::from_document(ctx.doc).map(|j| j.members().iter().map(|m| m.key.clone()).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::WorkspaceFacts;
    use crate::syntax::Document;

    #[test]
    fn changed_since_handoff_uses_the_supplied_change_times() {
        let signal = r#"{"workstream": "WS-2", "status": "complete", "timestamp": "2025-01-15T12:00:00Z",
            "files_modified": ["src/a.ts"]}"#;
        let docs = [
            Document::parse(".claude/handoff/ws2.signal", FileKind::Signal, signal),
            Document::parse("src/a.ts", FileKind::TypeScript, "export const a = 1;\n"),
        ];
        let refs: Vec<&Document> = docs.iter().collect();
        let config = Config::default();
        let lenses = |changed: Option<&str>| {
            let mut files = super::super::WorkspaceFiles::default();
            if let Some(at) = changed {
                files.set_changed("src/a.ts", chrono::DateTime::parse_from_rfc3339(at).unwrap().into());
            }
            let mut facts = WorkspaceFacts::collect(&refs, &config);
            let handoffs = Handoffs::build(&refs, &config).with_files(&files);
            facts.handoffs = std::sync::Arc::new(handoffs);
            let ctx = IdeContext { doc: &docs[1], config: &config, facts: &facts, root: std::path::Path::new("/w") };
            code_lenses(&ctx).into_iter().map(|l| l.title).collect::<Vec<_>>()
        };
        assert_eq!(lenses(None), ["⇄ WS-2 · complete"]);
        assert_eq!(lenses(Some("2025-01-15T11:00:00Z")), ["⇄ WS-2 · complete"]);
        assert_eq!(lenses(Some("2025-01-16T09:00:00Z")), ["⇄ WS-2 · complete", "changed since handoff WS-2"]);
    }

    #[test]
    fn positions_in_half_typed_json() {
        let text = "{\n  \"status\": \"co";
        let pos = json_position(text, text.len());
        assert_eq!(pos.key.as_deref(), Some("status"));
        assert!(pos.quoted && !pos.expects_key);
        let text = "{\n  \"workstream\": \"WS-1\",\n  ";
        let pos = json_position(text, text.len());
        assert!(pos.expects_key);
        assert_eq!(pos.path, [None]);
        let text = "{\"validation\": {\"lint\": \"pass\", ";
        let pos = json_position(text, text.len());
        assert!(pos.expects_key);
        assert_eq!(pos.path.last().cloned().flatten().as_deref(), Some("validation"));
        let text = "{\"depends_on\": [\"WS-1\", \"";
        let pos = json_position(text, text.len());
        assert_eq!((pos.key.as_deref(), pos.in_array), (Some("depends_on"), true));
    }
}
