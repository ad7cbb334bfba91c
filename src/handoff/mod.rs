//! Handoffs: signals (`.claude/handoff/*.signal`), context snapshots (`context-*.json`) and agent
//! definitions (`.claude/agents/*.md`), read and normalised (issue #7). Pure: built from parsed
//! [`Document`]s.

pub mod ide;

use crate::config::Config;
use crate::syntax::Document;

/// Every handoff artefact of a workspace, normalised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Handoffs {}

impl Handoffs {
    /// Reads the signals, snapshots and agent definitions among `docs`.
    pub fn build(_docs: &[&Document], _config: &Config) -> Handoffs {
        Handoffs::default()
    }

    /// The path of a signal that reports work stream `id` complete, if any.
    pub fn completion_signal(&self, _id: &crate::plan::WorkstreamId) -> Option<&str> {
        None
    }
}
