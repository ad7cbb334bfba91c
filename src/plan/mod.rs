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
}
