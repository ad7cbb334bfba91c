//! The delivery plan: work streams, phases, gates, approvals and specs, read from the workspace's
//! Markdown workflow documents and specs (issue #6). Pure: built from parsed [`Document`]s.

pub mod ide;
pub mod workstream;

pub use workstream::WorkstreamId;

use crate::config::Config;
use crate::syntax::Document;

/// Everything the workflow documents and specs of a workspace say about the plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {}

impl Plan {
    /// Reads the plan from every Markdown document of the workspace.
    pub fn build(_docs: &[&Document], _config: &Config) -> Plan {
        Plan::default()
    }

    /// The work streams `id` depends on, from every workflow document and execution spec
    /// (normalised; empty for an unknown stream). Used by `handoff/missing-dependency`.
    pub fn dependencies_of(&self, _id: &WorkstreamId) -> Vec<WorkstreamId> {
        Vec::new()
    }

    /// Where work stream `id` is defined: the document path and the byte range of its heading.
    pub fn workstream_location(&self, _id: &WorkstreamId) -> Option<(&str, std::ops::Range<usize>)> {
        None
    }
}
