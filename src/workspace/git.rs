//! When files last changed, from git: the "changed since handoff" hints compare a handoff's
//! timestamp with its files' changes.
//!
//! A file's change time is its last commit's time, or — when the working tree has uncommitted
//! changes to it — its modification time. (Modification times alone would not do: a fresh clone
//! gives every file the clone's time.) Git runs only in trusted workspaces (the caller decides),
//! through [`crate::git::run`] (no repository-configured program runs), and a file outside a git repository simply has
//! no change time.

use std::path::Path;

use chrono::{DateTime, Utc};

/// The change times of `paths` (workspace-relative, `/`-separated) under `root`; paths git
/// cannot tell about are left out.
pub fn change_times<'a>(root: &Path, paths: impl IntoIterator<Item = &'a str>) -> Vec<(String, DateTime<Utc>)> {
    let mut found = Vec::new();
    for path in paths {
        if path.starts_with('/') || path.split('/').any(|c| c == "..") {
            continue;
        }
        let dirty = git(root, &["status", "--porcelain", "--ignore-submodules=all", "--", path])
            .is_some_and(|out| !out.trim().is_empty());
        let at = if dirty {
            std::fs::metadata(root.join(path)).and_then(|m| m.modified()).ok().map(DateTime::<Utc>::from)
        } else {
            git(root, &["log", "-1", "--format=%cI", "--", path])
                .and_then(|out| DateTime::parse_from_rfc3339(out.trim()).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        if let Some(at) = at {
            found.push((path.to_string(), at));
        }
    }
    found
}

/// Runs git in `root` through the guarded runner ([`crate::git::run`]); its stdout on success.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    crate::git::run(root, args).map(|out| String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn run(root: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
            .args(args)
            .env("GIT_COMMITTER_DATE", "2020-01-02T03:04:05Z")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn committed_files_get_their_commit_time_and_edited_ones_their_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        run(root, &["init", "-q"]);
        std::fs::write(root.join("a.ts"), "a").unwrap();
        std::fs::write(root.join("b.ts"), "b").unwrap();
        run(root, &["add", "."]);
        run(root, &["commit", "-q", "-m", "c", "--date=2020-01-02T03:04:05Z"]);
        std::fs::write(root.join("b.ts"), "b2").unwrap();
        let times: std::collections::HashMap<String, DateTime<Utc>> =
            change_times(root, ["a.ts", "b.ts", "missing.ts", "../x.ts"]).into_iter().collect();
        assert_eq!(times.len(), 2, "{times:?}");
        // a.ts: unchanged since its commit.
        assert_eq!(times["a.ts"].to_rfc3339(), "2020-01-02T03:04:05+00:00");
        // b.ts: edited after the commit, so its modification time (about now).
        assert!((DateTime::<Utc>::from(std::time::SystemTime::now()) - times["b.ts"]).num_seconds().abs() < 300);
    }

    #[test]
    fn outside_a_repository_nothing_is_known() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.ts"), "a").unwrap();
        assert!(change_times(dir.path(), ["a.ts"]).is_empty());
    }
}
