//! The files of a workspace, as the workspace layer listed them: what `handoff/missing-file`
//! and the "missing" inlay hints check names against, and when each file last changed (for the
//! "changed since handoff" hint). The engine never touches the disk; this is data handed in.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

/// Workspace-relative paths (`/`-separated) of every file the workspace scan saw — of any kind,
/// not only the ones Baton analyses — with their last change time when known.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkspaceFiles {
    paths: BTreeSet<String>,
    changed: BTreeMap<String, DateTime<Utc>>,
}

impl WorkspaceFiles {
    /// A listing of `paths`, with no change times.
    pub fn from_paths(paths: impl IntoIterator<Item = String>) -> WorkspaceFiles {
        WorkspaceFiles { paths: paths.into_iter().collect(), changed: BTreeMap::new() }
    }

    /// Records when `path` last changed (its last commit, or now for an uncommitted edit).
    pub fn set_changed(&mut self, path: &str, at: DateTime<Utc>) {
        self.changed.insert(path.to_string(), at);
    }

    /// Adds another listing's paths and change times.
    pub fn extend(&mut self, other: &WorkspaceFiles) {
        self.paths.extend(other.paths.iter().cloned());
        self.changed.extend(other.changed.iter().map(|(p, t)| (p.clone(), *t)));
    }

    /// Adds one path.
    pub fn insert(&mut self, path: String) {
        self.paths.insert(path);
    }

    /// True when the workspace has a file at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    /// When `path` last changed, if known.
    pub fn changed_at(&self, path: &str) -> Option<DateTime<Utc>> {
        self.changed.get(path).copied()
    }

    /// Every path, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(String::as_str)
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// True when no path is listed.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}
