//! Conversions between the engine's byte offsets and LSP types.

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticSeverity, NumberOrString, Position, Range, TextEdit, Uri,
};

use super::buffer::Encoding;
use crate::engine::{Finding, Fix};
use crate::rules::{self, Severity};
use crate::syntax::Document;

/// Finds the URI and current document of a workspace-relative path (for fixes' edits).
pub type Resolve<'a> = &'a dyn Fn(&str) -> Option<(Uri, std::sync::Arc<Document>)>;

/// An LSP range of a byte range in `doc`.
pub fn range(doc: &Document, bytes: &std::ops::Range<usize>, encoding: Encoding) -> Range {
    let start = doc.line_index.position(&doc.text, bytes.start, encoding.columns());
    let end = doc.line_index.position(&doc.text, bytes.end, encoding.columns());
    Range { start: Position::new(start.line, start.character), end: Position::new(end.line, end.character) }
}

/// The byte offset of an LSP position in `doc`.
pub fn offset(doc: &Document, position: Position, encoding: Encoding) -> usize {
    let position = crate::line_index::Position { line: position.line, character: position.character };
    doc.line_index.offset(&doc.text, position, encoding.columns())
}

/// What a diagnostic carries in `data`, so code actions need no server-side cache.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DiagnosticData {
    /// The rule id.
    pub rule: String,
    /// The fixes, already converted to LSP edits of the document they belong to.
    pub fixes: Vec<FixData>,
}

/// One fix in a diagnostic's `data`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FixData {
    /// The title.
    pub title: String,
    /// Edits by document URI.
    pub edits: Vec<(Uri, Vec<TextEdit>)>,
    /// One of several alternatives: never the preferred action.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub choice: bool,
}

/// Converts a fix; edits in documents `resolve` cannot provide are dropped (and with them the fix).
pub fn fix_data(fix: &Fix, resolve: Resolve<'_>, encoding: Encoding) -> Option<FixData> {
    let mut edits: Vec<(Uri, Vec<TextEdit>)> = Vec::new();
    for edit in &fix.edits {
        let (uri, doc) = resolve(&edit.path)?;
        let text_edit = TextEdit { range: range(&doc, &edit.range, encoding), new_text: edit.new_text.clone() };
        match edits.iter_mut().find(|(u, _)| *u == uri) {
            Some((_, list)) => list.push(text_edit),
            None => edits.push((uri, vec![text_edit])),
        }
    }
    Some(FixData { title: fix.title.clone(), edits, choice: fix.choice })
}

/// Converts a finding of `doc` to an LSP diagnostic.
pub fn diagnostic(doc: &Document, finding: &Finding, encoding: Encoding, resolve: Resolve<'_>) -> Diagnostic {
    let severity = match finding.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    };
    let code_description = rules::find(finding.rule)
        .and_then(|rule| rule.doc_url().parse::<Uri>().ok())
        .map(|href| CodeDescription { href });
    let data = DiagnosticData {
        rule: finding.rule.to_string(),
        fixes: finding.fixes.iter().filter_map(|fix| fix_data(fix, resolve, encoding)).collect(),
    };
    Diagnostic {
        range: range(doc, &finding.range, encoding),
        severity: Some(severity),
        code: Some(NumberOrString::String(finding.rule.to_string())),
        code_description,
        source: Some("baton".to_string()),
        // One line: the settings that can settle it are in the hover (`Backend::hover`).
        message: finding.message.clone(),
        data: serde_json::to_value(data).ok(),
        ..Diagnostic::default()
    }
}
