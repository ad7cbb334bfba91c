//! Editor features over the plan: symbols, hover, definitions and code lenses in workflow
//! documents and specs. Called through [`crate::ide`].

use crate::ide::{Completion, Hover, IdeContext, InlayHint, Lens, Symbol, Target};

/// Document symbols of a workflow document or spec.
pub fn document_symbols(_ctx: &IdeContext<'_>) -> Vec<Symbol> {
    Vec::new()
}

/// Hover at a byte offset.
pub fn hover(_ctx: &IdeContext<'_>, _offset: usize) -> Option<Hover> {
    None
}

/// Definitions of what is at a byte offset.
pub fn definition(_ctx: &IdeContext<'_>, _offset: usize) -> Vec<Target> {
    Vec::new()
}

/// Code lenses of the document.
pub fn code_lenses(_ctx: &IdeContext<'_>) -> Vec<Lens> {
    Vec::new()
}

/// Inlay hints within a byte range.
pub fn inlay_hints(_ctx: &IdeContext<'_>, _range: std::ops::Range<usize>) -> Vec<InlayHint> {
    Vec::new()
}

/// Completions at a byte offset.
pub fn completions(_ctx: &IdeContext<'_>, _offset: usize) -> Vec<Completion> {
    Vec::new()
}
