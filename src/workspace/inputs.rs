//! What a cached `baton check` reads before it analyses anything, and the digest of it: the
//! walk (or the remembered one), the workflow evidence, and each file's text and content hash —
//! or, for a file whose settled signature is unchanged, its content hash alone.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use rayon::prelude::*;

use super::cache::{self, CacheStats, Digest};
use super::signatures::{Signature, SignatureTable};
use super::walk_cache::WalkRecord;
use super::{read_signed, FileFinding, Read, SourcePath};
use crate::handoff::WorkspaceFiles;
use crate::path_filter::PathFilter;
use crate::stage::EvidenceSet;
use crate::syntax::Document;

/// One file read from disk, parsed on first need.
pub(super) struct Entry {
    pub(super) source: SourcePath,
    pub(super) text: Arc<str>,
    pub(super) content: Digest,
    pub(super) doc: OnceLock<Document>,
}

impl Entry {
    /// Its document, parsed on first use (counted in `stats`).
    pub(super) fn doc(&self, stats: &CacheStats) -> &Document {
        self.doc.get_or_init(|| {
            CacheStats::bump(&stats.parsed);
            Document::parse(self.source.relative.clone(), self.source.kind, self.text.clone())
        })
    }
}

/// The first half of [`CheckInputs`]: the walk and the workflow evidence, before any file is
/// read.
pub struct Discovery {
    root: PathBuf,
    sources: Vec<SourcePath>,
    files: WorkspaceFiles,
    evidence: EvidenceSet,
    /// The folders the walk could not read, and why.
    unreadable: Vec<(String, String)>,
}

impl Discovery {
    /// Walks `root` and loads the workflow evidence. Only the files `filter` admits are read.
    pub fn new(root: &Path, filter: &PathFilter) -> Discovery {
        let super::Walk { mut sources, files, unreadable, .. } = super::walk(root);
        sources.retain(|s| filter.admits(&s.relative));
        Discovery { root: root.to_path_buf(), sources, files, evidence: EvidenceSet::load_for_rules(root), unreadable }
    }

    /// [`Discovery::new`], reusing the walk remembered for `build` when it still holds (see
    /// `walk_cache.rs`), else walking and remembering the walk. True when it was reused.
    pub fn remembered(root: &Path, build: &Digest, filter: &PathFilter) -> (Discovery, bool) {
        let evidence = EvidenceSet::load_for_rules(root);
        // A remembered walk read every folder: an incomplete walk is never recorded.
        let discovery = |(mut sources, files): (Vec<SourcePath>, WorkspaceFiles), unreadable| {
            sources.retain(|s| filter.admits(&s.relative));
            Discovery { root: root.to_path_buf(), sources, files, evidence, unreadable }
        };
        if let Some(record) = WalkRecord::load(root, build).filter(|r| r.holds(root)) {
            return (discovery(record.listing(root), Vec::new()), true);
        }
        let walked_at = SystemTime::now();
        let walk = super::walk(root);
        if let Some(record) = WalkRecord::new(root, *build, &walk, walked_at) {
            if let Err(e) = record.save(root) {
                cache::warn_unwritable(root, &e);
            }
        }
        (discovery((walk.sources, walk.files), walk.unreadable), false)
    }

    /// The digest that [`CheckInputs::digest`] would give after reading every file, from the
    /// files' signatures alone: when every file Baton reads has a settled signature in `table`
    /// and still has that signature now. Otherwise `None`. Reads no file; stats each in parallel.
    pub fn digest_unread(&self, table: &SignatureTable) -> Option<Digest> {
        if table.is_empty() || !self.unreadable.is_empty() {
            return None;
        }
        let contents: Vec<&Digest> = self
            .sources
            .par_iter()
            .map(|s| table.content(&s.relative, &Signature::of_path(&s.absolute)?))
            .collect::<Option<_>>()?;
        let read = self.sources.iter().zip(contents).map(|(s, content)| (s.relative.as_str(), content));
        Some(inputs_digest(&self.files, read, &[], &self.evidence))
    }

    /// Reads every file (in parallel): size cap, binary skip, lossy UTF-8, content hash.
    pub fn read(self) -> CheckInputs {
        let Discovery { root, sources, files, evidence, unreadable: unreadable_folders } = self;
        let read_at = SystemTime::now();
        // Each text is hashed where it is read, in parallel.
        let read_files: Vec<(SourcePath, Hashed, Option<Signature>)> = sources
            .into_par_iter()
            .map(|s| {
                let (r, signature) = read_signed(&s);
                let hashed = match r {
                    Read::Text(text, notice) => {
                        let text: Arc<str> = text.into();
                        let content = cache::content_hash(&text);
                        Ok((text, content, notice))
                    }
                    other => Err(other),
                };
                (s, hashed, signature)
            })
            .collect();
        let mut inputs = CheckInputs {
            root,
            files,
            evidence,
            entries: Vec::new(),
            notices: Vec::new(),
            unreadable: Vec::new(),
            signatures: SignatureTable::default(),
        };
        for (path, error) in unreadable_folders {
            inputs.notices.push(super::unreadable_notice(&path, &error, true));
            inputs.unreadable.push((path, error));
        }
        let mut settled = Vec::new();
        for (source, result, signature) in read_files {
            let path = source.relative.clone();
            match result {
                Ok((text, content, notice)) => {
                    match (notice, signature) {
                        (Some(finding), _) => inputs.notices.push(FileFinding { path, finding }),
                        (None, Some(signature)) if signature.settled(read_at) => {
                            settled.push((path, signature, content));
                        }
                        (None, _) => {}
                    }
                    inputs.entries.push(Entry { content, source, text, doc: OnceLock::new() });
                }
                // Texts were taken above.
                Err(Read::Text(..) | Read::Skipped) => {}
                Err(Read::Notice(finding)) => inputs.notices.push(FileFinding { path, finding }),
                Err(Read::Unreadable(error)) => {
                    inputs.notices.push(super::unreadable_notice(&path, &error, false));
                    inputs.unreadable.push((path, error));
                }
            }
        }
        inputs.signatures = SignatureTable::new(settled);
        inputs
    }
}

/// A file as read: its text with its content hash and reading notice, or what it was instead.
type Hashed = Result<(Arc<str>, Digest, Option<crate::engine::Finding>), Read>;

/// Everything a cached check reads before it analyses anything: the discovered files, the text
/// and content hash of each file Baton reads, the notices reading gave, and the workflow
/// evidence. With the configuration and the build ([`cache::base_digest`]), these are every input
/// of the check's result; [`CheckInputs::digest`] covers them all.
pub struct CheckInputs {
    pub(super) root: PathBuf,
    pub(super) files: WorkspaceFiles,
    pub(super) evidence: EvidenceSet,
    pub(super) entries: Vec<Entry>,
    pub(super) notices: Vec<FileFinding>,
    pub(super) unreadable: Vec<(String, String)>,
    /// The settled signatures of the files read as text without a notice.
    pub(super) signatures: SignatureTable,
}

impl CheckInputs {
    /// Discovers and reads (in parallel) every file under `root` that `filter` admits, and loads
    /// the evidence.
    pub fn read(root: &Path, filter: &PathFilter) -> CheckInputs {
        Discovery::new(root, filter).read()
    }

    /// The digest of every input read: each discovered path, each read file's path and content
    /// hash, the reading notices, and the evidence with the git state. `None` when a
    /// file could not be read: such a run's result depends on a passing condition (permissions,
    /// a file being replaced), so it is not worth remembering.
    pub fn digest(&self) -> Option<Digest> {
        if !self.unreadable.is_empty() {
            return None;
        }
        let read = self.entries.iter().map(|e| (e.source.relative.as_str(), &e.content));
        Some(inputs_digest(&self.files, read, &self.notices, &self.evidence))
    }

    /// The settled signatures of the files read, for the next run's [`Discovery::digest_unread`].
    pub fn signatures(&self) -> &SignatureTable {
        &self.signatures
    }

    /// How many files were read as text.
    pub fn files_read(&self) -> usize {
        self.entries.len()
    }

    /// Puts `bytes` (read from stdin) at `relative`, of `kind`, in place of the file on disk if
    /// there is one (which need not exist): the same size cap, binary skip and lossy decoding as
    /// a file read from disk.
    pub fn put_text(&mut self, relative: &str, kind: crate::syntax::FileKind, bytes: Vec<u8>) {
        self.notices.retain(|n| n.path != relative);
        self.unreadable.retain(|(path, _)| path != relative);
        let at = self.entries.binary_search_by(|e| e.source.relative.as_str().cmp(relative));
        if let Ok(i) = at {
            self.entries.remove(i);
        }
        self.files.insert(relative.to_string());
        if bytes.len() as u64 > crate::syntax::MAX_FILE_SIZE {
            let message = crate::syntax::too_large_message(relative, bytes.len() as u64);
            let finding = crate::engine::Finding::new("meta/file-too-large", 0..0, message);
            self.notices.push(FileFinding { path: relative.to_string(), finding });
            return;
        }
        let (text, notice) = super::decode(bytes, relative);
        if text.as_bytes()[..text.len().min(8192)].contains(&0) {
            return; // binary, as on disk
        }
        if let Some(finding) = notice {
            self.notices.push(FileFinding { path: relative.to_string(), finding });
        }
        let text: Arc<str> = text.into();
        let content = cache::content_hash(&text);
        let source =
            SourcePath { absolute: super::real_path(&self.root, relative), relative: relative.to_string(), kind };
        let at = at.unwrap_or_else(|i| i);
        self.entries.insert(at.min(self.entries.len()), Entry { content, source, text, doc: OnceLock::new() });
    }
}

/// The digest of a run's inputs (see [`CheckInputs::digest`]); `read` in discovery order.
fn inputs_digest<'a>(
    files: &WorkspaceFiles,
    read: impl Iterator<Item = (&'a str, &'a Digest)>,
    notices: &[FileFinding],
    evidence: &EvidenceSet,
) -> Digest {
    // Gathered into one buffer and hashed at once: thousands of small updates cost several times
    // more than one large one.
    let mut buffer = Vec::with_capacity(64 * files.len());
    let mut field = |bytes: &[u8]| {
        buffer.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        buffer.extend_from_slice(bytes);
    };
    for path in files.paths() {
        field(path.as_bytes());
    }
    field(b"\xff read files");
    // A file's kind follows from its path (and the build, part of the key).
    for (path, content) in read {
        field(path.as_bytes());
        field(content);
    }
    field(b"\xff notices");
    for n in notices {
        field(format!("{n:?}").as_bytes());
    }
    // `EvidenceSet`'s maps are ordered; its unreadable list follows the directory's order.
    let EvidenceSet { by_item, refused, git, unreadable, guard } = evidence;
    let mut unreadable = unreadable.clone();
    unreadable.sort();
    field(format!("{by_item:?}{refused:?}{git:?}{unreadable:?}{guard:?}").as_bytes());
    *blake3::hash(&buffer).as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs outside the files Baton analyses are part of the digest too: the workflow
    /// evidence under `.baton/evidence/` and `.baton/advance/`, whose paths are in the listing
    /// but whose content no rule reads as a file.
    #[test]
    fn the_inputs_digest_covers_the_workflow_evidence() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.ts"), "export const a = 1;\n").unwrap();
        let digest = || CheckInputs::read(root, &PathFilter::default()).digest().expect("every file was read");
        let evidence = |status: &str| {
            format!(
                r#"{{"requirement": "gate:lint", "status": "{status}", "at": "2026-01-01T00:00:00Z", "by": "ci", "git_head": null, "dirty": false}}"#
            )
        };
        let gate = root.join(".baton/evidence/WOR-1/gate:lint.json");
        let advance = root.join(".baton/advance/WOR-1.json");
        std::fs::create_dir_all(gate.parent().unwrap()).unwrap();
        std::fs::create_dir_all(advance.parent().unwrap()).unwrap();
        std::fs::write(&gate, evidence("pass")).unwrap();
        std::fs::write(&advance, "{}").unwrap();
        let before = digest();
        assert_eq!(digest(), before, "nothing changed");
        assert_eq!(
            CheckInputs::read(root, &PathFilter::default()).evidence.by_item.len(),
            1,
            "the evidence file is valid"
        );
        std::fs::write(&gate, evidence("fail")).unwrap();
        let failed = digest();
        assert_ne!(failed, before, "the same evidence file, another verdict");
        std::fs::write(&advance, "[]").unwrap();
        assert_ne!(digest(), failed, "the same unreadable record, another reason");
    }
}
