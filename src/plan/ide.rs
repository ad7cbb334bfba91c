//! Editor features over the plan: symbols, hover, definitions and code lenses in workflow
//! documents and specs. Called through [`crate::ide`].
//!
//! The document under the cursor is re-read from its current text (cheap, and always in step
//! with the buffer); questions about other documents go to the workspace plan and handoffs.

use std::path::{Component, Path};

use super::{document, is_plan_document, markdown, PlanDocument, WorkstreamId};
use crate::ide::{Completion, Hover, IdeContext, InlayHint, Lens, Symbol, SymbolKind, Target};

/// Document symbols of a workflow document or spec: work streams (with their validation gate),
/// phases and gates, in document order.
pub fn document_symbols(ctx: &IdeContext<'_>) -> Vec<Symbol> {
    if !is_plan_document(ctx.doc) {
        return Vec::new();
    }
    let d = document::read(ctx.doc);
    let mut symbols = Vec::new();
    for stream in &d.workstreams {
        let mut children = Vec::new();
        if let Some(gate) = &stream.validation_gate {
            let named: Vec<&str> = ctx
                .config
                .spec
                .required_gates
                .iter()
                .filter(|g| {
                    gate.lines
                        .iter()
                        .any(|(l, _)| crate::rules::spec::missing_validation_gate::names_gate(ctx.config, g, l))
                })
                .map(String::as_str)
                .collect();
            if gate.heading.start >= stream.section.start && gate.heading.end <= stream.section.end {
                children.push(Symbol {
                    name: "Validation Gate".into(),
                    detail: (!named.is_empty()).then(|| named.join(", ")),
                    kind: SymbolKind::Gate,
                    range: gate.heading.clone(),
                    selection: gate.heading.clone(),
                    children: Vec::new(),
                });
            }
        }
        let detail = stream
            .metadata
            .iter()
            .find(|f| f.key == "agent type" || f.key == "agent")
            .map(|f| f.value.clone())
            .or_else(|| stream.parallel_group.as_ref().map(|g| g.text.clone()));
        symbols.push(Symbol {
            name: if stream.title.is_empty() {
                stream.id.to_string()
            } else {
                format!("{}: {}", stream.id, stream.title)
            },
            detail,
            kind: SymbolKind::WorkStream,
            range: stream.section.clone(),
            selection: stream.id_range.clone(),
            children,
        });
    }
    for phase in &d.phases {
        let name = if phase.name.chars().all(|c| c.is_ascii_digit()) {
            format!("Phase {}", phase.name)
        } else {
            phase.name.clone()
        };
        let streams: Vec<String> = phase.streams.iter().map(|(id, _)| id.to_string()).collect();
        symbols.push(Symbol {
            name,
            detail: (!streams.is_empty()).then(|| streams.join(", ")),
            kind: SymbolKind::Phase,
            range: phase.range.clone(),
            selection: phase.range.clone(),
            children: Vec::new(),
        });
    }
    for gate in &d.gates {
        symbols.push(Symbol {
            name: gate.name.clone(),
            detail: gate.command.clone(),
            kind: SymbolKind::Gate,
            range: gate.range.clone(),
            selection: gate.range.clone(),
            children: Vec::new(),
        });
    }
    symbols.sort_by_key(|s| (s.range.start, s.range.end));
    symbols
}

/// The work-stream id at `offset`, with its range.
fn workstream_at(ctx: &IdeContext<'_>, offset: usize) -> Option<(std::ops::Range<usize>, WorkstreamId)> {
    let line = ctx.doc.line_index.line_of(offset.min(ctx.doc.text.len()));
    let range = ctx.doc.line_index.line_range(&ctx.doc.text, line)?;
    WorkstreamId::find_all(&ctx.doc.text[range.clone()])
        .into_iter()
        .map(|(r, id)| (range.start + r.start..range.start + r.end, id))
        .find(|(r, _)| r.start <= offset && offset <= r.end)
}

/// What the stream's code lens says: "✓ signal present", "blocked by WS-3", or "✗ no completion
/// signal". `signal` tells whether a stream has a completion record (a signal or a checkpoint).
pub fn lens_title<'a>(
    id: &WorkstreamId,
    dependencies: &[WorkstreamId],
    signal: impl Fn(&WorkstreamId) -> Option<&'a str>,
) -> String {
    if let Some(path) = signal(id) {
        return if crate::handoff::checkpoint::is_checkpoint(path) {
            "✓ complete (checkpoint)".into()
        } else {
            "✓ signal present".into()
        };
    }
    let mut blocking: Vec<&WorkstreamId> = dependencies.iter().filter(|d| signal(d).is_none()).collect();
    blocking.sort();
    let blocking: Vec<String> = blocking.iter().map(|d| d.to_string()).collect();
    if blocking.is_empty() {
        "✗ no completion signal".into()
    } else {
        format!("blocked by {}", blocking.join(", "))
    }
}

/// The stream's dependencies in this document's plan (its current text): streams are per plan.
fn dependencies(id: &WorkstreamId, here: &PlanDocument) -> Vec<WorkstreamId> {
    here.dependencies_of(id)
}

/// What records stream `id` of the plan `here` complete, as `baton check` reads it: the signal
/// file its section names, when that signal exists and says complete; else a build-pipeline
/// checkpoint of this plan listing the stream in `completed_workstreams` (ids compared as the
/// plan resolves them: `WS1` is `WS1_SCHEMA`); else a complete signal for the id when `here` is
/// the only plan that defines it (signals without a path in the plan do not say which plan they
/// belong to).
fn completion_signal<'a>(ctx: &'a IdeContext<'_>, here: &PlanDocument, id: &WorkstreamId) -> Option<&'a str> {
    let handoffs = &ctx.facts.handoffs;
    let stream = here.resolve(id);
    let named = stream
        .and_then(|w| w.handoff_signal.as_ref())
        .and_then(|s| s.path.as_ref())
        .map(|p| p.text.trim_start_matches("./").to_string());
    if let Some(path) = &named {
        if let Some(signal) = handoffs.signal(path) {
            let complete = signal.status.as_ref().is_some_and(|s| s.value == crate::handoff::Status::Complete);
            if complete {
                return Some(signal.path.as_str());
            }
        }
    }
    let named_exists = named.as_deref().is_some_and(|p| handoffs.signal(p).is_some());
    let canonical = stream.map_or(id, |w| &w.id);
    let checkpoint = handoffs.checkpoints_for(&here.id, &here.path).into_iter().find(|c| {
        c.bucket(crate::handoff::checkpoint::Bucket::Completed)
            .iter()
            .any(|s| &s.value == id || here.resolve(&s.value).is_some_and(|w| &w.id == canonical))
    });
    if let Some(checkpoint) = checkpoint {
        return Some(checkpoint.path.as_str());
    }
    if named_exists {
        // The plan's own signal exists and does not say complete.
        return None;
    }
    let others = ctx.facts.plan.plans_defining(id).filter(|d| d.path != here.path).count();
    if others == 0 {
        handoffs.completion_signal(id)
    } else {
        None
    }
}

/// Hover on a work-stream id anywhere in a plan document: its title, where it is defined, its
/// dependencies and whether its completion signal exists.
pub fn hover(ctx: &IdeContext<'_>, offset: usize) -> Option<Hover> {
    if !is_plan_document(ctx.doc) {
        return None;
    }
    let (range, id) = workstream_at(ctx, offset)?;
    let here = document::read(ctx.doc);
    let local = here.workstreams.iter().find(|w| w.id == id);
    let mut markdown = match (ctx.facts.plan.resolve_from(&ctx.doc.path, &id), local) {
        (_, Some(w)) => format!("**{id}**{}\n\nDefined in `{}`", title_suffix(&w.title), ctx.doc.path),
        (Some((d, w)), None) => format!("**{id}**{}\n\nDefined in `{}`", title_suffix(&w.title), d.path),
        (None, None) => format!("**{id}**\n\nNo workflow document or execution spec defines {id}."),
    };
    let deps = dependencies(&id, &here);
    if deps.is_empty() {
        markdown.push_str("\n\nDepends on: nothing");
    } else {
        let listed: Vec<String> = deps
            .iter()
            .map(|d| {
                format!(
                    "{d} ({})",
                    if completion_signal(ctx, &here, d).is_some() { "✓ complete" } else { "✗ not complete" }
                )
            })
            .collect();
        markdown.push_str(&format!("\n\nDepends on: {}", listed.join(", ")));
    }
    match completion_signal(ctx, &here, &id) {
        Some(path) if crate::handoff::checkpoint::is_checkpoint(path) => {
            markdown.push_str(&format!("\n\nCompleted in checkpoint: ✓ `{path}`"))
        }
        Some(path) => markdown.push_str(&format!("\n\nCompletion signal: ✓ `{path}`")),
        None => {
            let expected = local
                .or_else(|| ctx.facts.plan.resolve_from(&ctx.doc.path, &id).map(|(_, w)| w))
                .and_then(|w| w.handoff_signal.as_ref())
                .and_then(|s| s.path.as_ref())
                .map(|p| format!(" (expected `{}`)", p.text))
                .unwrap_or_default();
            markdown.push_str(&format!("\n\nCompletion signal: ✗ none yet{expected}"));
        }
    }
    Some(Hover { markdown, range })
}

fn title_suffix(title: &str) -> String {
    if title.is_empty() {
        String::new()
    } else {
        format!(": {title}")
    }
}

/// Definitions: a work-stream id goes to its section; a backticked path to the file (only
/// inside the workspace root).
pub fn definition(ctx: &IdeContext<'_>, offset: usize) -> Vec<Target> {
    if !is_plan_document(ctx.doc) {
        return Vec::new();
    }
    if let Some(target) = path_at(ctx, offset) {
        return vec![target];
    }
    let Some((_, id)) = workstream_at(ctx, offset) else { return Vec::new() };
    let here = document::read(ctx.doc);
    if let Some(w) = here.workstreams.iter().find(|w| w.id == id && w.source == super::Source::Markdown) {
        return vec![Target { path: ctx.doc.path.clone(), range: Some(w.heading.clone()) }];
    }
    ctx.facts
        .plan
        .workstream_location(&ctx.doc.path, &id)
        .map(|(path, range)| Target { path: path.to_string(), range: Some(range) })
        .into_iter()
        .collect()
}

/// The file a backticked path at `offset` names, relative to the root (or to the document's
/// folder), when it exists inside the root.
fn path_at(ctx: &IdeContext<'_>, offset: usize) -> Option<Target> {
    let line = ctx.doc.line_index.line_of(offset.min(ctx.doc.text.len()));
    let range = ctx.doc.line_index.line_range(&ctx.doc.text, line)?;
    let text = &ctx.doc.text[range.clone()];
    let span = markdown::code_spans_in(text)
        .into_iter()
        .find(|r| range.start + r.start <= offset && offset <= range.start + r.end)?;
    let written = text[span].trim().trim_start_matches("./");
    if written.is_empty()
        || written.contains(char::is_whitespace)
        || written.contains("://")
        || written.starts_with('/')
    {
        return None;
    }
    let folder = ctx.doc.path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let candidates =
        [written.to_string(), if folder.is_empty() { String::new() } else { format!("{folder}/{written}") }];
    candidates.iter().filter(|c| !c.is_empty()).find_map(|candidate| {
        let relative = normalise(candidate)?;
        let root = ctx.root.canonicalize().ok()?;
        let target = root.join(&relative).canonicalize().ok()?;
        (target.starts_with(&root) && target.is_file()).then_some(Target { path: relative, range: None })
    })
}

/// `a/./b/../c` → `a/c`; `None` when it climbs above the root.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A code lens on each work-stream heading: "✓ signal present", "✗ no completion signal", or
/// "blocked by WS-3".
pub fn code_lenses(ctx: &IdeContext<'_>) -> Vec<Lens> {
    if !is_plan_document(ctx.doc) {
        return Vec::new();
    }
    let here = document::read(ctx.doc);
    here.workstreams
        .iter()
        .filter(|w| w.source == super::Source::Markdown)
        .map(|w| {
            let deps = dependencies(&w.id, &here);
            Lens {
                range: w.heading.clone(),
                title: lens_title(&w.id, &deps, |id| completion_signal(ctx, &here, id)),
                command: None,
            }
        })
        .collect()
}

/// Inlay hints within a byte range (none from the plan).
pub fn inlay_hints(_ctx: &IdeContext<'_>, _range: std::ops::Range<usize>) -> Vec<InlayHint> {
    Vec::new()
}

/// Completions at a byte offset (none from the plan).
pub fn completions(_ctx: &IdeContext<'_>, _offset: usize) -> Vec<Completion> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::WorkspaceFacts;
    use crate::syntax::{Document, FileKind};

    fn id(s: &str) -> WorkstreamId {
        WorkstreamId::parse(s).unwrap()
    }

    #[test]
    fn lens_titles() {
        let done = |w: &WorkstreamId| (w.number() == Some(1)).then_some(".claude/handoff/ws1.signal");
        assert_eq!(lens_title(&id("WS-1"), &[], done), "✓ signal present");
        assert_eq!(lens_title(&id("WS-2"), &[id("WS-1")], done), "✗ no completion signal");
        assert_eq!(lens_title(&id("WS-4"), &[id("WS-1"), id("WS-3")], done), "blocked by WS-3");
        assert_eq!(lens_title(&id("WS-6"), &[id("WS-10"), id("WS-3")], done), "blocked by WS-3, WS-10");
        assert_eq!(lens_title(&id("WS-5"), &[], done), "✗ no completion signal");
    }

    #[test]
    fn paths_never_leave_the_root() {
        assert_eq!(normalise("a/./b/../c.ts").as_deref(), Some("a/c.ts"));
        assert_eq!(normalise("../secret"), None);
        assert_eq!(normalise("a/../../x"), None);
        assert_eq!(normalise("/etc/passwd"), None);
    }

    #[test]
    fn symbols_hover_definition_and_lenses() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("scripts")).unwrap();
        std::fs::write(dir.path().join("scripts/run.ts"), "x").unwrap();
        std::fs::write(dir.path().parent().unwrap().join("outside.ts"), "x").ok();
        let text = "# W\n\n## WS-1: Db\n\n### Validation Gate\n```bash\nnpm run lint -- --max-warnings=0\nnpm run type-check\nnpm test\n```\n\n## WS-2: Api\n**Depends on**: WS-1\nSee `scripts/run.ts` and `../outside.ts`.\n\n## Parallel Execution Matrix\n\n| Phase | Work Streams |\n|---|---|\n| 1 | WS-1 |\n| 2 | WS-2 |\n";
        let doc = Document::parse("docs/WORKFLOW-x.md", FileKind::Markdown, text);
        let config = Config::default();
        let facts = WorkspaceFacts::collect(&[&doc], &config);
        let ctx = IdeContext { doc: &doc, config: &config, facts: &facts, root: dir.path() };
        let symbols = document_symbols(&ctx);
        let names: Vec<(&str, SymbolKind)> = symbols.iter().map(|s| (s.name.as_str(), s.kind)).collect();
        assert_eq!(
            names,
            [
                ("WS-1: Db", SymbolKind::WorkStream),
                ("WS-2: Api", SymbolKind::WorkStream),
                ("Phase 1", SymbolKind::Phase),
                ("Phase 2", SymbolKind::Phase)
            ]
        );
        assert_eq!(symbols[0].children[0].detail.as_deref(), Some("lint, type-check, test"));
        let at = text.find("**: WS-1").unwrap() + 5;
        let hover = hover(&ctx, at).unwrap();
        assert!(hover.markdown.contains("**WS-1**: Db"), "{}", hover.markdown);
        assert!(hover.markdown.contains("✗ none yet"), "{}", hover.markdown);
        assert_eq!(&text[hover.range.clone()], "WS-1");
        let ws2 = hover_at(&ctx, text.find("WS-2: Api").unwrap());
        assert!(ws2.contains("Depends on: WS-1 (✗ not complete)"), "{ws2}");
        let targets = definition(&ctx, at);
        assert_eq!(
            targets,
            [Target {
                path: doc.path.clone(),
                range: Some(text.find("## WS-1").unwrap()..text.find("## WS-1").unwrap() + 11)
            }]
        );
        let file = definition(&ctx, text.find("scripts/run.ts").unwrap() + 2);
        assert_eq!(file, [Target { path: "scripts/run.ts".into(), range: None }]);
        assert!(definition(&ctx, text.find("../outside.ts").unwrap() + 4).is_empty());
        let lenses: Vec<String> = code_lenses(&ctx).into_iter().map(|l| l.title).collect();
        assert_eq!(lenses, ["✗ no completion signal", "blocked by WS-1"]);
    }

    fn hover_at(ctx: &IdeContext<'_>, offset: usize) -> String {
        hover(ctx, offset).map(|h| h.markdown).unwrap_or_default()
    }
}
