//! Settling provisional parses. A keystroke that breaks the syntax is parsed incrementally and
//! its findings are published at once, although tree-sitter's error recovery over reused
//! subtrees may differ from a fresh parse's ([`Document::provisional`]). Once typing pauses for
//! [`SETTLE_DELAY`], the text is parsed afresh; when the fresh tree differs, it replaces the
//! provisional one and the file is analysed and published again. What the editor shows after a
//! pause therefore always equals `baton check` on the same text.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::Client;

use super::backend::{schedule, Shared};
use super::log::{log, Level};
use crate::syntax::Document;

/// How long after publishing a provisional result its text is parsed afresh, if no newer change
/// came in between.
pub const SETTLE_DELAY: Duration = Duration::from_millis(300);

/// Settles `doc`, the provisional parse of the open document `path` in `root`, after
/// [`SETTLE_DELAY`] (see the module documentation).
pub(super) fn later(shared: &Arc<Shared>, client: &Client, root: usize, path: String, doc: Arc<Document>) {
    let (shared, client) = (shared.clone(), client.clone());
    tokio::spawn(async move {
        tokio::time::sleep(SETTLE_DELAY).await;
        if !is_unsettled(&shared, root, &path, &doc) {
            return; // changed since, or settled by an earlier task
        }
        let source = doc.clone();
        let parsed =
            tokio::task::spawn_blocking(move || Document::parse(source.path.clone(), source.kind, source.text.clone()));
        let fresh = match parsed.await {
            Ok(fresh) => fresh,
            Err(e) => return shared.report_panic(&format!("parsing {path}"), &e.to_string()).await,
        };
        let replaced = {
            let mut state = shared.state();
            let Some(r) = state.roots.get_mut(root) else { return };
            let Some(buffer) = r.entries.get_mut(&path).and_then(|e| e.buffer.as_mut()) else { return };
            let replaced = buffer.settle(&doc, fresh);
            if replaced {
                r.revision += 1;
            }
            replaced
        };
        log(
            Level::Debug,
            format_args!(
                "{path}: provisional parse settled ({})",
                match replaced {
                    true => "the fresh tree differs: analysing again",
                    false => "the fresh tree is the same",
                }
            ),
        );
        if replaced {
            schedule(&shared, &client, root, Some(HashSet::from([path])), Duration::ZERO);
        }
    });
}

/// True while `doc` is still the current, unsettled parse of the open document `path`.
fn is_unsettled(shared: &Shared, root: usize, path: &str, doc: &Arc<Document>) -> bool {
    let state = shared.state();
    let buffer = state.roots.get(root).and_then(|r| r.entries.get(path)).and_then(|e| e.buffer.as_ref());
    buffer.and_then(|b| b.unsettled()).is_some_and(|current| Arc::ptr_eq(current, doc))
}
