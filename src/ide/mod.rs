//! Editor features beyond diagnostics — document symbols, hover, go-to-definition, code lenses,
//! inlay hints and completion — as pure functions over a document and the workspace facts.
//!
//! Each feature asks the plan ([`crate::plan::ide`]) and the handoffs ([`crate::handoff::ide`])
//! and concatenates their answers. Positions are byte offsets into the document; the language
//! server converts them at its edge, like findings.

use std::ops::Range;
use std::path::Path;

use crate::config::Config;
use crate::engine::WorkspaceFacts;
use crate::syntax::Document;

/// What an editor feature sees.
pub struct IdeContext<'a> {
    /// The document the request is about.
    pub doc: &'a Document,
    /// The configuration in force.
    pub config: &'a Config,
    /// The workspace facts (plan, handoffs, …).
    pub facts: &'a WorkspaceFacts,
    /// The workspace root on disk (for existence checks of named files; never read outside it).
    pub root: &'a Path,
}

/// The kind of a document symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A work stream.
    WorkStream,
    /// An execution phase.
    Phase,
    /// A validation gate.
    Gate,
    /// Any other section.
    Section,
    /// A key of a JSON handoff.
    Key,
}

/// A document symbol, with its children.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    /// The name shown in outlines.
    pub name: String,
    /// Extra text beside the name.
    pub detail: Option<String>,
    /// What it is.
    pub kind: SymbolKind,
    /// The whole extent.
    pub range: Range<usize>,
    /// The part to select (the name).
    pub selection: Range<usize>,
    /// Nested symbols.
    pub children: Vec<Symbol>,
}

/// Hover text (Markdown) for a range of the document.
#[derive(Clone, Debug, PartialEq)]
pub struct Hover {
    /// Markdown.
    pub markdown: String,
    /// What the hover is about.
    pub range: Range<usize>,
}

/// A place in the workspace: a workspace-relative path and, when known, a byte range in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Workspace-relative path with `/` separators.
    pub path: String,
    /// A byte range in the target document; `None` means its start.
    pub range: Option<Range<usize>>,
}

/// A code lens: a title shown above a range, optionally running a command.
#[derive(Clone, Debug, PartialEq)]
pub struct Lens {
    /// Where it is shown.
    pub range: Range<usize>,
    /// The text shown.
    pub title: String,
    /// A command the lens runs when clicked, with its JSON arguments.
    pub command: Option<(String, Vec<serde_json::Value>)>,
}

/// An inlay hint shown after a byte offset.
#[derive(Clone, Debug, PartialEq)]
pub struct InlayHint {
    /// Where it is shown.
    pub offset: usize,
    /// The text shown.
    pub label: String,
    /// Longer text on hover.
    pub tooltip: Option<String>,
}

/// What a completion item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    /// A JSON key.
    Key,
    /// A value (status, agent, gate …).
    Value,
    /// A file path.
    File,
}

/// A completion item.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// The label shown and inserted.
    pub label: String,
    /// What it is.
    pub kind: CompletionKind,
    /// Extra text beside the label.
    pub detail: Option<String>,
    /// The byte range the item replaces.
    pub replace: Range<usize>,
    /// The text inserted, when not the label.
    pub insert_text: Option<String>,
}

/// Document symbols (an outline).
pub fn document_symbols(ctx: &IdeContext<'_>) -> Vec<Symbol> {
    let mut symbols = crate::plan::ide::document_symbols(ctx);
    symbols.extend(crate::handoff::ide::document_symbols(ctx));
    symbols
}

/// Hover at `offset` (findings' hovers are the server's; this is everything else).
pub fn hover(ctx: &IdeContext<'_>, offset: usize) -> Option<Hover> {
    crate::plan::ide::hover(ctx, offset).or_else(|| crate::handoff::ide::hover(ctx, offset))
}

/// Where what is at `offset` is defined.
pub fn definition(ctx: &IdeContext<'_>, offset: usize) -> Vec<Target> {
    let mut targets = crate::plan::ide::definition(ctx, offset);
    targets.extend(crate::handoff::ide::definition(ctx, offset));
    targets
}

/// Code lenses of the document.
pub fn code_lenses(ctx: &IdeContext<'_>) -> Vec<Lens> {
    let mut lenses = crate::plan::ide::code_lenses(ctx);
    lenses.extend(crate::handoff::ide::code_lenses(ctx));
    lenses
}

/// Inlay hints in `range`.
pub fn inlay_hints(ctx: &IdeContext<'_>, range: Range<usize>) -> Vec<InlayHint> {
    let mut hints = crate::plan::ide::inlay_hints(ctx, range.clone());
    hints.extend(crate::handoff::ide::inlay_hints(ctx, range));
    hints
}

/// Completions at `offset`.
pub fn completions(ctx: &IdeContext<'_>, offset: usize) -> Vec<Completion> {
    let mut items = crate::plan::ide::completions(ctx, offset);
    items.extend(crate::handoff::ide::completions(ctx, offset));
    items
}
