//! The state of the working tree that evidence is judged against: the git HEAD, whether the tree
//! is dirty, and a fingerprint of the uncommitted changes. Read by running `git` (IO); the pure
//! side only compares [`GitState`]s. Git runs through [`crate::git::run`], which lets no
//! repository-configured program (fsmonitor, filters, textconv, hooks) run, in any workspace.
//!
//! The fingerprint covers the workspace folder except Markdown files, `.baton/` and `.claude/`:
//! editing a spec (including the status change an advance makes) or writing evidence and
//! handoffs does not make a gate's evidence stale; changing code does. See `docs/stages.md`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// HEAD, dirty flag and change fingerprint of a workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitState {
    /// The commit HEAD points at; `None` outside a git repository (or before the first commit).
    pub head: Option<String>,
    /// True when tracked files differ from HEAD or untracked files exist (exclusions above).
    pub dirty: bool,
    /// XXH3 of `git status --porcelain` and `git diff HEAD` over the same paths, hex; `None` when
    /// clean or outside git.
    pub fingerprint: Option<String>,
    /// XXH3 of the code the tree holds, whatever commit it is in: the staged blob of every file
    /// under the same paths (`git ls-files -s`) plus the fingerprint when dirty, hex. Committing
    /// only documents and handoffs (an advance's own commit) leaves it unchanged. `None` outside
    /// git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Pathspecs: the workspace folder minus what Baton and agents write and the documents.
const PATHSPECS: &[&str] = &[".", ":(exclude).baton", ":(exclude).claude", ":(exclude,glob)**/*.md"];

/// Git through the guarded runner (no repository-configured program runs; bounded time).
fn git(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    crate::git::run(root, args)
}

impl GitState {
    /// Reads the state of the tree at `root`. Outside git (or without `git` installed) the state
    /// is `{head: None, dirty: false}`.
    pub fn read(root: &Path) -> GitState {
        let Some(head) = git(root, &["rev-parse", "--verify", "-q", "HEAD"]) else { return GitState::default() };
        let head = String::from_utf8_lossy(&head).trim().to_string();
        let mut status_args =
            vec!["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=all", "--"];
        status_args.extend_from_slice(PATHSPECS);
        let status = git(root, &status_args).unwrap_or_default();
        let mut files_args = vec!["ls-files", "-s", "-z", "--"];
        files_args.extend_from_slice(PATHSPECS);
        let files = git(root, &files_args).unwrap_or_default();
        if status.is_empty() {
            let code = Some(format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&files)));
            return GitState { head: Some(head), dirty: false, fingerprint: None, code };
        }
        let mut diff_args =
            vec!["diff", "--no-ext-diff", "--no-textconv", "--ignore-submodules=all", "--binary", "HEAD", "--"];
        diff_args.extend_from_slice(PATHSPECS);
        let diff = git(root, &diff_args).unwrap_or_default();
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&status);
        hasher.update(&diff);
        let fingerprint = format!("{:016x}", hasher.digest());
        hasher.update(&files);
        let code = Some(format!("{:016x}", hasher.digest()));
        GitState { head: Some(head), dirty: true, fingerprint: Some(fingerprint), code }
    }
}
