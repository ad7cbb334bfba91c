//! File signatures: what `stat` says of a file — size, modification and status-change times,
//! inode and device — kept with the file's content hash, as git's index keeps them, so that a
//! re-run can know an unchanged file's content hash without reading it.
//!
//! A signature stands for the content only once it has *settled*: both of its times lie at least
//! [`SETTLE`] before the moment the file was read. Any later write sets the status-change time to
//! the time of that write, which the kernel keeps and no program can set back, so a file whose
//! signature equals a settled one has not been written since (git calls the unsettled case
//! "racily clean" and reads such files again). Signatures exist on Unix only; elsewhere every
//! file is read. See docs/cache.md.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::cache::{Digest, CACHE_DIR};

/// How long before a read both times of a file must lie for its signature to be kept: far longer
/// than any file system's timestamp granularity (FAT's is 2 s for modification times).
pub const SETTLE: Duration = Duration::from_secs(3);

/// Bumped whenever the stored layout changes.
const FORMAT: u32 = 1;

/// A file's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
    inode: u64,
    device: u64,
}

impl Signature {
    /// The signature in `meta` (Unix), or `None`.
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Option<Signature> {
        use std::os::unix::fs::MetadataExt;
        Some(Signature {
            len: meta.len(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }

    /// The signature in `meta` (Unix), or `None`.
    #[cfg(not(unix))]
    pub fn of(_meta: &std::fs::Metadata) -> Option<Signature> {
        None
    }

    /// The signature of the file at `path` now (not following a symbolic link).
    pub fn of_path(path: &Path) -> Option<Signature> {
        Signature::of(&std::fs::symlink_metadata(path).ok()?)
    }

    /// True when both times lie at least [`SETTLE`] before `read_at` (see the module's doc).
    pub fn settled(&self, read_at: SystemTime) -> bool {
        let Some(limit) = read_at.checked_sub(SETTLE).and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        else {
            return false;
        };
        let limit = (limit.as_secs() as i64, i64::from(limit.subsec_nanos()));
        self.modified <= limit && self.changed <= limit
    }
}

/// Settled signatures and content hashes of a workspace's files, by workspace-relative path,
/// sorted by path. Stored as `.baton/cache/files.bin`.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureTable {
    format: u32,
    entries: Vec<(String, Signature, Digest)>,
}

impl SignatureTable {
    /// A table of `entries`, sorted here.
    pub fn new(mut entries: Vec<(String, Signature, Digest)>) -> SignatureTable {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        SignatureTable { format: FORMAT, entries }
    }

    /// The stored table of the workspace at `root`; empty when missing, damaged or foreign.
    pub fn load(root: &Path) -> SignatureTable {
        super::cache::read_in_cache_dir(&path(root))
            .and_then(|bytes| postcard::from_bytes::<SignatureTable>(&bytes).ok())
            .filter(|table| table.format == FORMAT && table.entries.is_sorted_by(|a, b| a.0 < b.0))
            .unwrap_or_default()
    }

    /// Writes the table (temp file, then rename).
    pub fn save(&self, root: &Path) -> std::io::Result<()> {
        let bytes = postcard::to_stdvec(self).map_err(std::io::Error::other)?;
        super::cache::write_in_cache_dir(root, &path(root), &bytes)
    }

    /// True when no file is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The content hash of the file at `path` when its signature is `signature`.
    pub fn content(&self, path: &str, signature: &Signature) -> Option<&Digest> {
        let i = self.entries.binary_search_by(|e| e.0.as_str().cmp(path)).ok()?;
        let (_, stored, content) = &self.entries[i];
        (stored == signature).then_some(content)
    }
}

fn path(root: &Path) -> std::path::PathBuf {
    root.join(CACHE_DIR).join("files.bin")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A temporary folder with `a.ts` holding `text`, and the file's path.
    fn written(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ts");
        std::fs::write(&file, text).unwrap();
        (dir, file)
    }

    #[test]
    fn a_signature_settles_only_once_both_times_are_old_enough() {
        let (_dir, file) = written("a");
        let signature = Signature::of_path(&file).unwrap();
        let now = SystemTime::now();
        assert!(!signature.settled(now), "just written");
        assert!(signature.settled(now + SETTLE + Duration::from_secs(1)));
        assert!(!signature.settled(SystemTime::UNIX_EPOCH), "a time before the epoch");
        // Setting the modification time back does not settle it: the status-change time is now.
        let old = std::fs::File::options().write(true).open(&file).unwrap();
        old.set_modified(now - Duration::from_secs(3600)).unwrap();
        let touched = Signature::of_path(&file).unwrap();
        assert_ne!(touched, signature);
        assert!(!touched.settled(now + Duration::from_secs(1)));
    }

    #[test]
    fn any_rewrite_changes_the_signature_even_to_the_same_size() {
        let (_dir, file) = written("aaaa");
        let before = Signature::of_path(&file).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(&file, "bbbb").unwrap();
        assert_ne!(Signature::of_path(&file).unwrap(), before);
    }

    #[test]
    fn the_table_round_trips_and_a_damaged_one_is_empty() {
        let (dir, file) = written("a");
        let signature = Signature::of_path(&file).unwrap();
        let table = SignatureTable::new(vec![("b.ts".into(), signature, [2; 32]), ("a.ts".into(), signature, [1; 32])]);
        table.save(dir.path()).unwrap();
        let loaded = SignatureTable::load(dir.path());
        assert_eq!(loaded, table);
        assert_eq!(loaded.content("a.ts", &signature), Some(&[1; 32]));
        assert_eq!(loaded.content("c.ts", &signature), None);
        let other = Signature { len: 2, ..signature };
        assert_eq!(loaded.content("a.ts", &other), None, "another signature");
        std::fs::write(path(dir.path()), b"\x01\x02garbage").unwrap();
        assert!(SignatureTable::load(dir.path()).is_empty());
    }
}
