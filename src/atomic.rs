//! Every file Baton writes itself goes through here: [`write`] (and [`write_unsynced`] for
//! disposable data) and, for a file produced by streaming (a gate's log), [`prepare`].
//!
//! - **Atomic.** The bytes go to a temporary file in the target's folder, are flushed, and the
//!   file is renamed over the target, so a reader sees the old file or the new one, never a torn
//!   one — even when the writer is killed half-way.
//! - **Contained.** A write names the workspace `root` it belongs to; the target must lie under
//!   it, and no component between `root` and the target — `.baton`, `.baton/cache`,
//!   `.claude/handoff`, the target itself — may be a symbolic link (or anything but a folder on
//!   the way): Baton never writes through a link, so a planted `.baton -> /elsewhere` cannot
//!   make it write outside the workspace. Missing folders are created one at a time, each
//!   checked. (`root` itself may be a link: the user chose it.)
//! - **Modes kept.** Replacing a file keeps its permission bits; a new file gets `0666` less the
//!   umask, like any program's. The rename gives the path a new inode, so another hard link to
//!   the old file keeps the old content (as with `sed -i` or most editors' safe save):
//!   documented in `docs/hardening.md`.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Writes `bytes` to `path` (under `root`) atomically, creating missing parent folders.
pub fn write(root: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(root, path, bytes, true)
}

/// Like [`write`] but without flushing to disk before the rename: for disposable data (the
/// analysis cache), where a crash may lose the new file but must never leave a torn one.
pub fn write_unsynced(root: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(root, path, bytes, false)
}

/// Makes `path` safe to create or replace under `root`: it lies under `root` (no `..`), every
/// folder between them exists (created if missing) and is a real folder, not a symbolic link,
/// and `path` itself is not a link. Returns the target's folder.
pub fn prepare(root: &Path, path: &Path) -> std::io::Result<PathBuf> {
    let refuse = |why: String| std::io::Error::new(std::io::ErrorKind::PermissionDenied, why);
    let relative = path.strip_prefix(root).map_err(|_| {
        refuse(format!("refusing to write {}: it is outside the workspace {}", path.display(), root.display()))
    })?;
    let parts: Vec<&std::ffi::OsStr> = relative
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::Normal(name) => Ok(name),
            _ => Err(refuse(format!("refusing to write {}: it leaves the workspace", path.display()))),
        })
        .collect::<std::io::Result<_>>()?;
    let Some((_, folders)) = parts.split_last() else {
        return Err(refuse(format!("refusing to write {}: not a file of the workspace", path.display())));
    };
    let mut dir = root.to_path_buf();
    for name in folders {
        dir.push(name);
        let shown = || dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refuse(format!(
                    "refusing to write {}: {} is a symbolic link, and Baton never writes through a link \
                     (replace the link with a folder)",
                    path.display(),
                    shown()
                )))
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(refuse(format!("refusing to write {}: {} is not a folder", path.display(), shown()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::create_dir(&dir) {
                Ok(()) => {}
                // Created meanwhile (another writer): accepted only if it is a real folder.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
                        return Err(refuse(format!("refusing to write {}: {} changed", path.display(), shown())));
                    }
                }
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(refuse(format!(
            "refusing to write {}: it is a symbolic link, and Baton never writes through a link",
            path.display()
        )));
    }
    Ok(dir)
}

/// Deletes the file `path` under `root` — a write like any other: nothing is removed through a
/// symbolic link on the way (a planted `.baton -> /elsewhere` cannot make Baton delete a file
/// outside). A missing file, or a missing folder on the way, is fine.
pub fn remove(root: &Path, path: &Path) -> std::io::Result<()> {
    let Ok(relative) = path.strip_prefix(root) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("refusing to delete {}: outside the workspace", path.display()),
        ));
    };
    let mut at = root.to_path_buf();
    for component in relative.components() {
        let Component::Normal(name) = component else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("refusing to delete {}: it leaves the workspace", path.display()),
            ));
        };
        at.push(name);
        match std::fs::symlink_metadata(&at) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
            Ok(m) if m.file_type().is_symlink() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("refusing to delete {}: {} is a symbolic link", path.display(), at.display()),
                ))
            }
            Ok(_) => {}
        }
    }
    std::fs::remove_file(path)
}

/// The file that `relative` (a path from input: a command's argument, an evidence file's `log`)
/// names under `root/within`, when it is one: relative, without `..`, and resolving — through
/// any link — to a file inside `root/within`. The one check before Baton shows or opens a path
/// it was handed.
pub fn contained_file(root: &Path, within: &str, relative: &str) -> Option<PathBuf> {
    let path = Path::new(relative);
    if !path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
        return None;
    }
    let base = std::fs::canonicalize(root.join(within)).ok()?;
    let resolved = std::fs::canonicalize(root.join(path)).ok()?;
    (resolved.starts_with(&base) && resolved.is_file()).then_some(resolved)
}

fn replace(root: &Path, path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    let dir = prepare(root, path)?;
    let existing = std::fs::symlink_metadata(path).ok().filter(|m| m.is_file());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".baton-tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created with 0666 less the umask, as a new file of any program would be.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(&dir)?;
    temp.write_all(bytes)?;
    if let Some(existing) = existing {
        temp.as_file().set_permissions(existing.permissions())?;
    }
    if sync {
        temp.as_file().sync_all()?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_and_replaces_without_leaving_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c.json");
        super::write(dir.path(), &path, b"one").unwrap();
        super::write(dir.path(), &path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    /// Issue #26 item 4: no component of a write path may be a link, whichever it is; a real
    /// folder of the same name is the near miss.
    #[test]
    fn never_writes_through_a_symbolic_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        for link in [".baton", ".baton/evidence", ".baton/evidence/WOR-9", ".claude/handoff"] {
            let root = dir.path().join(format!("root-{}", link.replace('/', "_")));
            std::fs::create_dir_all(root.join(link).parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(&outside, root.join(link)).unwrap();
            let target = root.join(link).join("x/file.json");
            let err = super::write(&root, &target, b"x").unwrap_err();
            assert!(err.to_string().contains("symbolic link"), "{link}: {err}");
            assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "{link}: wrote outside");
        }
        // The target itself a link (to a file outside).
        let root = dir.path().join("root-file");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(outside.join("victim"), "keep").unwrap();
        std::os::unix::fs::symlink(outside.join("victim"), root.join("baton.toml")).unwrap();
        assert!(super::write(&root, &root.join("baton.toml"), b"x").is_err());
        assert_eq!(std::fs::read_to_string(outside.join("victim")).unwrap(), "keep");
        // `..` and paths outside the root.
        assert!(super::write(&root, &root.join("../escape"), b"x").is_err());
        assert!(super::write(&root, &outside.join("y"), b"x").is_err());
        // Deleting goes through no link either.
        let linked = dir.path().join("root-.baton");
        std::fs::write(outside.join("victim.json"), "keep").unwrap();
        assert!(super::remove(&linked, &linked.join(".baton/victim.json")).is_err());
        assert_eq!(std::fs::read_to_string(outside.join("victim.json")).unwrap(), "keep");
        super::remove(&root, &root.join("missing/file")).unwrap();
        std::fs::remove_file(outside.join("victim.json")).unwrap();
        // A link as the root itself is the user's choice, and real folders are fine.
        let linked_root = dir.path().join("linked-root");
        std::os::unix::fs::symlink(&root, &linked_root).unwrap();
        super::write(&linked_root, &linked_root.join(".baton/evidence/a.json"), b"ok").unwrap();
        assert_eq!(std::fs::read_to_string(root.join(".baton/evidence/a.json")).unwrap(), "ok");
    }

    /// Issue #26 item 6: a path handed in is resolved and must stay inside its folder.
    #[test]
    fn a_path_handed_in_must_resolve_inside_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join(".baton/logs/WOR-9")).unwrap();
        std::fs::write(root.join(".baton/logs/WOR-9/gate-lint.log"), "log").unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        std::fs::write(root.join("baton.toml"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join(".baton/logs/link.log")).unwrap();
        let inside = |p: &str| super::contained_file(&root, ".baton/logs", p).is_some();
        assert!(inside(".baton/logs/WOR-9/gate-lint.log"));
        assert!(inside("./.baton/logs/WOR-9/gate-lint.log"));
        for outside in [
            ".baton/logs/../../secret",
            ".baton/logs/../../baton.toml",
            ".baton/logs/WOR-9/../../../baton.toml",
            "/etc/passwd",
            ".baton/logs/link.log",
            "baton.toml",
            ".baton/logs/WOR-9",
        ] {
            assert!(!inside(outside), "{outside}");
        }
    }

    /// Issue #26 item 9: replacing keeps the file's mode; a new file follows the umask.
    #[test]
    fn replacing_keeps_the_mode_and_new_files_follow_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spec.md");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
        super::write(dir.path(), &path, b"new").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o664);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        super::write_unsynced(dir.path(), &path, b"newer").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o755);
        // A new file: 0666 less the umask (read back from a file the OS creates the same way).
        let probe = dir.path().join("probe");
        std::fs::File::create(&probe).unwrap();
        let expected = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        let fresh = dir.path().join("fresh.toml");
        super::write(dir.path(), &fresh, b"x").unwrap();
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, expected);
    }
}
