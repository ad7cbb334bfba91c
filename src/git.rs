//! Every `git` command Baton runs goes through [`run`]: the one audited place where Baton starts
//! git, so that git never executes a program a repository (or any configuration it includes)
//! names. A folder downloaded as an archive can carry its `.git/` — `.git/config` is as hostile
//! as any other file of the workspace.
//!
//! What git can be made to run, and what stops it here:
//!
//! - `core.fsmonitor` (a hook started by `status`): set to `false`.
//! - Hooks (`status` refreshing the index runs `post-index-change`): `core.hooksPath=/dev/null`
//!   and `--no-optional-locks` (no index write at all).
//! - Filter drivers (`filter.<x>.clean` / `.process`, chosen by `.gitattributes`, run by `status`
//!   and `diff` to compare a work-tree file with the index) and diff drivers
//!   (`diff.<x>.textconv` / `.command`): command-line configuration cannot *unset* a key, but an
//!   empty command disables a driver. Every driver any configuration scope defines is listed
//!   first (`git config --list`, which runs nothing) and each of its programs set to the empty
//!   string (and `required` to false). A name without a definition runs nothing. Callers also pass
//!   `--no-textconv --no-ext-diff` to `diff`.
//! - Pager, editor, ssh, askpass, credential helpers: `--no-pager`, `core.pager=cat`; network is
//!   closed (`protocol.allow=never`, `GIT_ALLOW_PROTOCOL` naming no protocol, `GIT_NO_LAZY_FETCH`
//!   so a partial clone never fetches a missing object), `credential.helper` reset.
//! - Submodules (a `status` would run git in each, under the submodule's own configuration):
//!   callers pass `--ignore-submodules=all`.
//!
//! The overrides travel as `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>` (the
//! command-line scope, which wins over every file), so a subsection name containing `=` or a dot
//! cannot be misparsed. When the configuration cannot be listed, nothing runs (fail closed).
//! Each call is bounded in time ([`TIMEOUT`]): git runs in its own process group, killed whole
//! at the deadline, and the caller sees "no answer".

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long one git command may take before it is killed and treated as unanswered.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Configuration set for every call, whatever the repository says.
const FIXED: &[(&str, &str)] = &[
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("core.askPass", ""),
    ("core.editor", "false"),
    ("core.gitProxy", ""),
    ("core.alternateRefsCommand", ""),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("protocol.allow", "never"),
    ("protocol.file.allow", "never"),
    ("protocol.ssh.allow", "never"),
    ("protocol.git.allow", "never"),
    ("protocol.http.allow", "never"),
    ("protocol.https.allow", "never"),
    ("protocol.ext.allow", "never"),
    ("submodule.recurse", "false"),
];

/// Runs `git -C root <args>` with every repository-configured program disabled and a bounded
/// time; its stdout when git exits 0, else `None` (not a repository, git missing, a timeout, or a
/// configuration that cannot be listed).
pub fn run(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let listed = spawn(root, &["config", "--null", "--name-only", "--list"], &overrides(&[]))?;
    spawn(root, args, &overrides(&listed))
}

/// The overrides for a repository whose configuration keys (NUL-separated, from
/// `git config --null --name-only --list`) are `listed`.
fn overrides(listed: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = FIXED.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut seen = std::collections::BTreeSet::new();
    for key in listed.split(|&b| b == 0 || b == b'\n').filter(|k| !k.is_empty()) {
        let key = String::from_utf8_lossy(key);
        let Some((section, rest)) = key.split_once('.') else { continue };
        let Some((name, _)) = rest.rsplit_once('.') else { continue };
        let section = section.to_ascii_lowercase();
        let programs: &[(&str, &str)] = match section.as_str() {
            "filter" => &[("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")],
            "diff" => &[("textconv", ""), ("command", "")],
            "merge" => &[("driver", "")],
            _ => continue,
        };
        if seen.insert((section.clone(), name.to_string())) {
            for (key, value) in programs {
                out.push((format!("{section}.{name}.{key}"), value.to_string()));
            }
        }
    }
    out
}

/// Starts git, collects its stdout, enforces [`TIMEOUT`].
fn spawn(root: &Path, args: &[&str], config: &[(String, String)]) -> Option<Vec<u8>> {
    let mut command = Command::new("git");
    command.arg("-C").arg(root).args(["--no-pager", "--no-optional-locks"]).args(args);
    // Git's own redirections would point it at another repository than `root`.
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_CONFIG_PARAMETERS"] {
        command.env_remove(var);
    }
    command
        .env("GIT_CONFIG_COUNT", config.len().to_string())
        .env("GIT_ALLOW_PROTOCOL", "baton-no-protocol")
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .env_remove("GIT_PAGER")
        .env_remove("GIT_ASKPASS")
        .env_remove("GIT_SSH")
        .env_remove("GIT_SSH_COMMAND");
    for (i, (key, value)) in config.iter().enumerate() {
        command.env(format!("GIT_CONFIG_KEY_{i}"), key).env(format!("GIT_CONFIG_VALUE_{i}"), value);
    }
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().ok()?;
    let mut stdout = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = stdout.read_to_end(&mut bytes).map(|_| bytes);
        let _ = tx.send(read);
    });
    let read = rx.recv_timeout(TIMEOUT);
    let status = match read {
        Ok(_) => child.wait().ok(),
        Err(_) => {
            kill_group(&mut child);
            None
        }
    };
    match (read, status) {
        (Ok(Ok(bytes)), Some(status)) if status.success() => Some(bytes),
        _ => None,
    }
}

/// Kills git and anything it started (its process group), then reaps it.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: signalling the process group this module created for the child.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defined_driver_is_disabled_whatever_its_name() {
        let listed =
            b"core.bare\0filter.lfs.clean\0filter.Evil=x.y.process\0diff.tv.textconv\0merge.m.driver\0user.name\0";
        let config = overrides(listed);
        let get = |k: &str| config.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("filter.lfs.clean"), Some(""));
        assert_eq!(get("filter.lfs.process"), Some(""));
        assert_eq!(get("filter.lfs.required"), Some("false"));
        assert_eq!(get("filter.Evil=x.y.process"), Some(""));
        assert_eq!(get("filter.Evil=x.y.clean"), Some(""));
        assert_eq!(get("diff.tv.textconv"), Some(""));
        assert_eq!(get("diff.tv.command"), Some(""));
        assert_eq!(get("merge.m.driver"), Some(""));
        assert_eq!(get("core.fsmonitor"), Some("false"));
        assert!(get("user.name").is_none());
    }

    #[test]
    fn outside_a_repository_git_answers_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(run(dir.path(), &["rev-parse", "--verify", "-q", "HEAD"]), None);
    }
}
