//! The adapter for the editor features of [`crate::ide`]: takes a snapshot of one document and
//! its workspace, asks the pure functions, converts byte offsets to LSP types.

use std::path::PathBuf;
use std::sync::Arc;

use tower_lsp_server::ls_types::{
    self as lsp, CodeLens, Command, CompletionItem, CompletionItemKind, CompletionTextEdit, DocumentSymbol, InlayHint,
    InlayHintLabel, InlayHintTooltip, Location, MarkupContent, MarkupKind, Position, Range, TextEdit, Uri,
};

use super::buffer::Encoding;
use super::convert;
use super::state::{self, State};
use crate::config::Config;
use crate::engine::WorkspaceFacts;
use crate::ide::{self, IdeContext};
use crate::syntax::Document;

/// One document and what the editor features need around it, taken out of the state so the lock
/// is released before any work.
pub struct Snapshot {
    /// The document.
    pub doc: Arc<Document>,
    /// Its root's configuration.
    pub config: Arc<Config>,
    /// Its root's facts.
    pub facts: Arc<WorkspaceFacts>,
    /// Its root's folder.
    pub root: PathBuf,
    /// The root's index in the state.
    pub root_index: usize,
    /// The negotiated column encoding.
    pub encoding: Encoding,
}

impl Snapshot {
    /// Takes a snapshot of the document at `uri` (facts refreshed first); `None` when Baton does
    /// not know the document.
    pub fn take(state: &mut State, uri: &Uri) -> Option<Snapshot> {
        let path = state::uri_path(uri)?;
        let (root_index, relative) = state.locate(&path)?;
        let encoding = state.encoding;
        let r = state.roots.get_mut(root_index)?;
        r.refresh_facts();
        let doc = r.entries.get(&relative)?.current()?;
        Some(Snapshot {
            doc,
            config: r.config.clone(),
            facts: r.facts.clone(),
            root: r.path.clone(),
            root_index,
            encoding,
        })
    }

    /// The pure context over this snapshot.
    pub fn context(&self) -> IdeContext<'_> {
        IdeContext { doc: &self.doc, config: &self.config, facts: &self.facts, root: &self.root }
    }

    /// The byte offset of an LSP position.
    pub fn offset(&self, position: Position) -> usize {
        convert::offset(&self.doc, position, self.encoding)
    }

    /// The LSP range of a byte range.
    pub fn range(&self, bytes: &std::ops::Range<usize>) -> Range {
        convert::range(&self.doc, bytes, self.encoding)
    }
}

/// `textDocument/documentSymbol`.
pub fn document_symbols(snapshot: &Snapshot) -> Vec<DocumentSymbol> {
    ide::document_symbols(&snapshot.context()).iter().map(|s| symbol(snapshot, s)).collect()
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be written.
fn symbol(snapshot: &Snapshot, symbol: &ide::Symbol) -> DocumentSymbol {
    let kind = match symbol.kind {
        ide::SymbolKind::WorkStream => lsp::SymbolKind::CLASS,
        ide::SymbolKind::Phase => lsp::SymbolKind::NAMESPACE,
        ide::SymbolKind::Gate => lsp::SymbolKind::EVENT,
        ide::SymbolKind::Section => lsp::SymbolKind::STRING,
        ide::SymbolKind::Key => lsp::SymbolKind::KEY,
    };
    DocumentSymbol {
        name: symbol.name.clone(),
        detail: symbol.detail.clone(),
        kind,
        tags: None,
        deprecated: None,
        range: snapshot.range(&symbol.range),
        selection_range: snapshot.range(&symbol.selection),
        children: (!symbol.children.is_empty())
            .then(|| symbol.children.iter().map(|c| self::symbol(snapshot, c)).collect()),
    }
}

/// `textDocument/hover` for everything that is not a finding.
pub fn hover(snapshot: &Snapshot, position: Position) -> Option<lsp::Hover> {
    let hover = ide::hover(&snapshot.context(), snapshot.offset(position))?;
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: hover.markdown }),
        range: Some(snapshot.range(&hover.range)),
    })
}

/// `textDocument/definition`: targets converted with the target documents `state` knows (a
/// target Baton has not loaded is shown at its start).
pub fn definition(snapshot: &Snapshot, state: &State, position: Position) -> Vec<Location> {
    let targets = ide::definition(&snapshot.context(), snapshot.offset(position));
    let root = state.roots.get(snapshot.root_index);
    targets
        .into_iter()
        .filter_map(|target| {
            let uri = Uri::from_file_path(snapshot.root.join(&target.path))?;
            let doc = root.and_then(|r| r.entries.get(&target.path)).and_then(|e| e.current());
            let range = match (doc, &target.range) {
                (Some(doc), Some(bytes)) => convert::range(&doc, bytes, snapshot.encoding),
                _ => Range::default(),
            };
            Some(Location { uri, range })
        })
        .collect()
}

/// `textDocument/codeLens`.
pub fn code_lenses(snapshot: &Snapshot) -> Vec<CodeLens> {
    ide::code_lenses(&snapshot.context())
        .into_iter()
        .map(|lens| CodeLens {
            range: snapshot.range(&lens.range),
            command: Some(match lens.command {
                Some((command, arguments)) => Command { title: lens.title, command, arguments: Some(arguments) },
                // A lens that only informs: an empty command is what clients expect for that.
                None => Command { title: lens.title, command: String::new(), arguments: None },
            }),
            data: None,
        })
        .collect()
}

/// `textDocument/inlayHint`.
pub fn inlay_hints(snapshot: &Snapshot, range: Range) -> Vec<InlayHint> {
    let bytes = snapshot.offset(range.start)..snapshot.offset(range.end);
    ide::inlay_hints(&snapshot.context(), bytes)
        .into_iter()
        .map(|hint| InlayHint {
            position: snapshot.range(&(hint.offset..hint.offset)).start,
            label: InlayHintLabel::String(hint.label),
            kind: None,
            text_edits: None,
            tooltip: hint.tooltip.map(InlayHintTooltip::String),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect()
}

/// `textDocument/completion`.
pub fn completions(snapshot: &Snapshot, position: Position) -> Vec<CompletionItem> {
    ide::completions(&snapshot.context(), snapshot.offset(position))
        .into_iter()
        .map(|item| CompletionItem {
            kind: Some(match item.kind {
                ide::CompletionKind::Key => CompletionItemKind::PROPERTY,
                ide::CompletionKind::Value => CompletionItemKind::VALUE,
                ide::CompletionKind::File => CompletionItemKind::FILE,
            }),
            detail: item.detail,
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range: snapshot.range(&item.replace),
                new_text: item.insert_text.unwrap_or_else(|| item.label.clone()),
            })),
            label: item.label,
            ..CompletionItem::default()
        })
        .collect()
}
