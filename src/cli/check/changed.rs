//! `--changed-since REF`: the files of the workspace that changed since a git ref.
//!
//! "Changed" is what a pull request would show plus what is not committed yet: the files that
//! differ between the merge base of REF and HEAD and the working tree (committed on this branch,
//! staged or not), and the untracked files git does not ignore. Measuring from the merge base
//! means that `--changed-since origin/main` on a branch does not report the files `main` changed
//! after the branch was cut. Renames count as a new path. Every git command goes through
//! [`crate::git::run`] (no repository-configured program runs).

use std::collections::BTreeSet;
use std::path::Path;

use crate::git;
use crate::workspace::relative_path;

/// The workspace-relative paths (as `baton check` reports them) of the files under `root` that
/// changed since `reference`, or a message saying why that cannot be known.
pub fn files_changed_since(root: &Path, reference: &str) -> Result<BTreeSet<String>, String> {
    if git::run(root, &["rev-parse", "--show-toplevel"]).is_none() {
        return Err(format!(
            "--changed-since needs a git repository: {} is not inside one (or git is not installed)",
            root.display()
        ));
    }
    let spec = format!("{reference}^{{commit}}");
    let commit = git::run(root, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec])
        .map(|out| String::from_utf8_lossy(&out).trim().to_string())
        .filter(|sha| !sha.is_empty())
        .ok_or_else(|| format!("--changed-since: `{reference}` is not a commit of this repository"))?;
    // The merge base with HEAD; without one (no HEAD yet, unrelated histories) the commit itself.
    let base = git::run(root, &["merge-base", &commit, "HEAD"])
        .map(|out| String::from_utf8_lossy(&out).trim().to_string())
        .filter(|sha| !sha.is_empty())
        .unwrap_or(commit);
    let diff = git::run(
        root,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--relative",
            "--no-textconv",
            "--no-ext-diff",
            "--ignore-submodules=all",
            &base,
            "--",
        ],
    )
    .ok_or_else(|| format!("--changed-since: git could not compare the working tree with `{reference}`"))?;
    let untracked = git::run(root, &["ls-files", "--others", "--exclude-standard", "-z"])
        .ok_or_else(|| "--changed-since: git could not list the untracked files".to_string())?;
    let mut changed = BTreeSet::new();
    for name in diff.split(|&b| b == 0).chain(untracked.split(|&b| b == 0)).filter(|n| !n.is_empty()) {
        if let Some(path) = relative_path(root, &root.join(os_path(name))) {
            changed.insert(path);
        }
    }
    Ok(changed)
}

/// A path git printed (bytes, relative to `root`).
#[cfg(unix)]
fn os_path(bytes: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes))
}

/// A path git printed (bytes, relative to `root`).
#[cfg(not(unix))]
fn os_path(bytes: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}
