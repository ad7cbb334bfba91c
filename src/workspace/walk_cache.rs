//! The walk, remembered: the listing of a workspace (every file seen, every directory entered)
//! kept with the signatures of what it was computed from, so that a re-run over an unchanged tree
//! stats its directories instead of reading them — git's "untracked cache", in short.
//!
//! A walk's result depends on the entries of each directory it entered and on the ignore files
//! it read. Creating, deleting or renaming an entry changes its directory's modification and
//! status-change times, so the directories' signatures cover the entries; an ignore file edited
//! in place changes only its own, so every ignore file that existed is stat'ed too. The paths that
//! are checked, present or absent, are listed in [`WalkRecord`]:
//!
//! - every directory entered (signature);
//! - in each, the `.gitignore`, `.ignore` and `.git` that exist (their appearance changes the
//!   directory), and under a `.git` directory `info/exclude` and `commondir`, present or not;
//! - in every ancestor of the root (the walk reads their ignore files too), the same five paths,
//!   present or not.
//!
//! A record is kept only when every signature in it has settled (see `signatures.rs`) and the
//! walk had no error; a `.git` that is a file (a worktree or a submodule points elsewhere), a
//! `commondir`, or an ignore file that is a symbolic link (its target can change unseen) leaves
//! the walk unrecorded. Stored as `.baton/cache/walk.bin`, valid for one
//! build (the walk's rules are code). See docs/cache.md.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cache::{write_in_cache_dir, Digest, CACHE_DIR};
use super::signatures::Signature;
use super::{is_clean_relative, SourcePath, Walk};
use crate::handoff::WorkspaceFiles;
use crate::syntax::FileKind;

/// Bumped whenever the stored layout changes.
const FORMAT: u32 = 1;

/// The ignore files and repository markers the walk looks for in a directory.
const MARKERS: [&str; 3] = [".gitignore", ".ignore", ".git"];

/// Inside a `.git` directory: what the walk reads (`info/exclude`) or what would send it elsewhere.
const GIT_FILES: [&str; 2] = ["info/exclude", "commondir"];

/// A remembered walk.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkRecord {
    format: u32,
    /// The build this walk was made by.
    build: Digest,
    /// Every directory entered, relative to the root, with its signature.
    dirs: Vec<(String, Signature)>,
    /// Other paths (absolute) whose state the walk depends on.
    probes: Vec<(String, State)>,
    /// Every file seen, relative to the root, sorted.
    paths: Vec<String>,
}

/// What is at a probed path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum State {
    /// Nothing.
    Absent,
    /// A file (or symbolic link) with this signature.
    File(Signature),
    /// A directory (a `.git` folder: what it holds is probed separately; its own times change
    /// with every commit).
    Directory,
}

impl State {
    /// What is at `path`; `None` when it cannot be told by a signature: a symbolic link (the
    /// walk reads through it, and the target can change without the link changing), or a
    /// platform without signatures.
    fn of(path: &Path) -> Option<State> {
        match std::fs::symlink_metadata(path) {
            Err(_) => Some(State::Absent),
            Ok(meta) if meta.file_type().is_symlink() => None,
            Ok(meta) if meta.is_dir() => Some(State::Directory),
            Ok(meta) => Signature::of(&meta).map(State::File),
        }
    }

    fn settled(self, walked_at: SystemTime) -> bool {
        match self {
            State::File(signature) => signature.settled(walked_at),
            State::Absent | State::Directory => true,
        }
    }
}

impl WalkRecord {
    /// A record of `walk` of `root`, started at `walked_at`; `None` when it cannot be trusted
    /// (an error, an unsettled signature, a path that is not UTF-8, a `.git` file).
    pub fn new(root: &Path, build: Digest, walk: &Walk, walked_at: SystemTime) -> Option<WalkRecord> {
        if !walk.complete {
            return None;
        }
        // Each entered directory's signature, and its markers: only those present (an absent one
        // that appears changes its directory). Ancestors: every one, present or not (below).
        type Entered = ((String, Signature), Vec<(PathBuf, State)>);
        let entered: Vec<Entered> = walk
            .dirs
            .par_iter()
            .map(|d| {
                let dir = super::real_path(root, d);
                let signature = Signature::of_path(&dir).filter(|s| s.settled(walked_at))?;
                let markers = MARKERS.iter().map(|m| {
                    let path = dir.join(m);
                    State::of(&path).map(|state| (path, state))
                });
                let present = markers.collect::<Option<Vec<_>>>()?.into_iter().filter(|(_, s)| *s != State::Absent);
                Some(((d.clone(), signature), present.collect()))
            })
            .collect::<Option<_>>()?;
        let (dirs, present): (Vec<_>, Vec<_>) = entered.into_iter().unzip();
        let mut probes = Vec::new();
        for (path, state) in present.into_iter().flatten() {
            probes.extend(probe_marker(&path, state, walked_at)?);
        }
        let canonical = root.canonicalize().ok()?;
        for ancestor in canonical.ancestors().skip(1) {
            for m in MARKERS {
                let path = ancestor.join(m);
                probes.extend(probe_marker(&path, State::of(&path)?, walked_at)?);
            }
        }
        Some(WalkRecord { format: FORMAT, build, dirs, probes, paths: walk.files.paths().map(String::from).collect() })
    }

    /// The stored record of the workspace at `root` for this build, if any.
    pub fn load(root: &Path, build: &Digest) -> Option<WalkRecord> {
        let bytes = super::cache::read_in_cache_dir(&path(root))?;
        let record = postcard::from_bytes::<WalkRecord>(&bytes).ok()?;
        // A damaged or planted file must not list a path outside the workspace.
        let sound = record.format == FORMAT
            && &record.build == build
            && record.paths.iter().all(|p| is_clean_relative(p))
            && record.dirs.iter().all(|(d, _)| d.is_empty() || is_clean_relative(d));
        sound.then_some(record)
    }

    /// Writes the record (temp file, then rename).
    pub fn save(&self, root: &Path) -> std::io::Result<()> {
        write_in_cache_dir(root, &path(root), &postcard::to_stdvec(self).map_err(std::io::Error::other)?)
    }

    /// True when every directory and probe is as recorded: the walk would see exactly the
    /// recorded listing. Stats in parallel; reads no directory.
    pub fn holds(&self, root: &Path) -> bool {
        self.dirs.par_iter().all(|(d, s)| Signature::of_path(&super::real_path(root, d)).as_ref() == Some(s))
            && self.probes.par_iter().all(|(p, s)| State::of(Path::new(p)) == Some(*s))
    }

    /// The walk's result, as [`super::walk`] gives it: the files Baton reads and every file seen.
    pub fn listing(&self, root: &Path) -> (Vec<SourcePath>, WorkspaceFiles) {
        let sources = self
            .paths
            .iter()
            .filter_map(|p| {
                let kind = FileKind::from_path(p)?;
                Some(SourcePath { absolute: super::real_path(root, p), relative: p.clone(), kind })
            })
            .collect();
        (sources, WorkspaceFiles::from_paths(self.paths.iter().cloned()))
    }
}

/// The probes for one marker path in state `state`: the path itself, and inside a `.git`
/// directory the files that matter. `None` when the walk cannot be recorded.
fn probe_marker(path: &Path, state: State, walked_at: SystemTime) -> Option<Vec<(String, State)>> {
    let text = |p: &Path| p.to_str().map(String::from);
    if !state.settled(walked_at) {
        return None;
    }
    let mut probes = vec![(text(path)?, state)];
    if path.file_name().is_some_and(|n| n == ".git") {
        match state {
            State::Absent => {}
            State::File(_) => return None, // a worktree or submodule: its git folder is elsewhere
            State::Directory => {
                for file in GIT_FILES {
                    let inner = path.join(file);
                    let inner_state = State::of(&inner)?;
                    if !inner_state.settled(walked_at) || (file == "commondir" && inner_state != State::Absent) {
                        return None;
                    }
                    probes.push((text(&inner)?, inner_state));
                }
            }
        }
    }
    Some(probes)
}

fn path(root: &Path) -> PathBuf {
    root.join(CACHE_DIR).join("walk.bin")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    /// A record taken as if the walk had started well after every write (so that everything has
    /// settled without waiting).
    fn record_of(root: &Path) -> WalkRecord {
        let later = SystemTime::now() + super::super::signatures::SETTLE + Duration::from_secs(5);
        WalkRecord::new(root, [7; 32], &super::super::walk(root), later).expect("recordable")
    }

    fn listed(root: &Path) -> Vec<String> {
        super::super::walk(root).files.paths().map(String::from).collect()
    }

    /// A workspace at `<tmp>/ws` (so that `<tmp>` is an ancestor with ignore files of its own).
    fn workspace() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        write(&root, "app/page.tsx", "export default 1;\n");
        write(&root, "lib/db/client.ts", "export const prisma = {};\n");
        write(&root, "dist/bundle.js", "x");
        write(&root, ".gitignore", "dist/\n");
        write(&root, ".git/info/exclude", "# nothing\n");
        (dir, root)
    }

    /// Each change that can change what a walk sees makes the record fail; changes that cannot
    /// (a file's content, anything inside an ignored folder or Baton's cache) leave it standing.
    #[test]
    fn a_record_holds_exactly_while_the_walk_would_see_the_same() {
        type Change = (&'static str, fn(&Path, &Path), bool);
        let changes: [Change; 10] = [
            ("nothing", |_, _| {}, true),
            ("a file's content", |root, _| write(root, "lib/db/client.ts", "export const prisma = { a: 1 };\n"), true),
            ("inside an ignored folder", |root, _| write(root, "dist/more.js", "y"), true),
            ("inside Baton's cache", |root, _| write(root, ".baton/cache/output-json.bin", "z"), true),
            ("a new file deep down", |root, _| write(root, "lib/db/extra.ts", "export {};\n"), false),
            ("a deleted file", |root, _| std::fs::remove_file(root.join("app/page.tsx")).unwrap(), false),
            ("the root's .gitignore, in place", |root, _| write(root, ".gitignore", "dist/\napp/\n"), false),
            ("an ancestor's new .gitignore", |_, parent| write(parent, ".gitignore", "page.tsx\n"), false),
            (".git/info/exclude, in place", |root, _| write(root, ".git/info/exclude", "lib/\n"), false),
            ("a new .ignore", |root, _| write(root, "lib/.ignore", "db/\n"), false),
        ];
        for (what, change, holds) in changes {
            let (_dir, root) = workspace();
            write(&root, ".baton/cache/.gitignore", "*\n");
            let parent = root.parent().unwrap().to_path_buf();
            let record = record_of(&root);
            assert_eq!(record.listing(&root).1.paths().collect::<Vec<_>>(), listed(&root), "the listing is the walk's");
            let before = listed(&root);
            std::thread::sleep(Duration::from_millis(30));
            change(&root, &parent);
            assert_eq!(record.holds(&root), holds, "{what}");
            if holds {
                assert_eq!(listed(&root), before, "{what}: the walk indeed sees the same");
            }
        }
    }

    #[test]
    fn unsettled_incomplete_or_redirected_walks_are_not_recorded() {
        let (_dir, root) = workspace();
        let walk = super::super::walk(&root);
        assert!(WalkRecord::new(&root, [7; 32], &walk, SystemTime::now()).is_none(), "just written");
        let later = SystemTime::now() + Duration::from_secs(60);
        assert!(WalkRecord::new(&root, [7; 32], &walk, later).is_some());
        let mut broken = super::super::walk(&root);
        broken.complete = false;
        assert!(WalkRecord::new(&root, [7; 32], &broken, later).is_none(), "a walk with an error");
        let linked = root.join("lib/.gitignore");
        std::os::unix::fs::symlink(root.join(".gitignore"), &linked).unwrap();
        assert!(WalkRecord::new(&root, [7; 32], &super::super::walk(&root), later).is_none(), "a linked .gitignore");
        std::fs::remove_file(linked).unwrap();
        std::fs::remove_dir_all(root.join(".git")).unwrap();
        write(&root, ".git", "gitdir: /elsewhere\n");
        assert!(WalkRecord::new(&root, [7; 32], &super::super::walk(&root), later).is_none(), "a worktree");
    }

    #[test]
    fn a_record_is_stored_per_build() {
        let (_dir, root) = workspace();
        let record = record_of(&root);
        record.save(&root).unwrap();
        assert_eq!(WalkRecord::load(&root, &[7; 32]), Some(record));
        assert_eq!(WalkRecord::load(&root, &[8; 32]), None, "another build");
        std::fs::write(path(&root), b"garbage").unwrap();
        assert_eq!(WalkRecord::load(&root, &[7; 32]), None);
        for escaping in ["../secret.ts", "/etc/passwd.ts", "app/../../x.ts", ""] {
            let mut planted = record_of(&root);
            planted.paths.push(escaping.to_string());
            planted.save(&root).unwrap();
            assert_eq!(WalkRecord::load(&root, &[7; 32]), None, "{escaping:?}");
        }
    }
}
