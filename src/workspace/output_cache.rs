//! The output cache of `baton check`: the last report printed in each output format, kept with
//! the digest of every input it was computed from, so that a re-run over an unchanged workspace
//! prints it again without decoding, re-keying or rendering a single finding.
//!
//! The key ([`output_key`]) is content-addressed like the analysis cache's: the build, the rule
//! set and the configuration ([`super::cache::base_digest`]), every discovered path, the path,
//! kind and content hash of every file read, the reading notices, the workflow evidence and the
//! git state ([`super::CheckInputs::digest`]), and the request (format, colour, root, requested
//! paths). A report is a function of exactly these, so a stored report whose key matches is the
//! report this run would print. One file per format, `.baton/cache/output-<format>.bin`,
//! replaced atomically; a missing, damaged or foreign file is a miss. See docs/cache.md.

use std::path::{Path, PathBuf};

use super::cache::{Digest, CACHE_DIR};
use crate::rules::Severity;

/// The first bytes of an output cache file (the trailing digit is the layout's version).
const MAGIC: &[u8; 16] = b"baton-output-v01";

/// Magic, key, worst severity, output length.
const HEADER_LEN: usize = MAGIC.len() + 32 + 1 + 8;

/// A report found in the output cache, its seal checked: [`StoredOutput::copy_to`] prints it.
#[derive(Debug)]
pub struct StoredOutput {
    /// The whole cache file's content (header, then the report).
    bytes: Vec<u8>,
    /// The highest severity among its findings (`None` when it had none): the exit status
    /// follows from it under any `--fail-on`.
    pub worst: Option<Severity>,
}

impl StoredOutput {
    /// Writes the report to `out`.
    pub fn copy_to(self, out: &mut impl std::io::Write) -> std::io::Result<u64> {
        let report = &self.bytes[HEADER_LEN..];
        out.write_all(report)?;
        Ok(report.len() as u64)
    }
}

/// The key of a report: the build-and-configuration digest, the inputs' digest and the bytes
/// that describe the request.
pub fn output_key(base: &Digest, inputs: &Digest, request: &[u8]) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(MAGIC);
    h.update(base);
    h.update(inputs);
    h.update(&(request.len() as u64).to_le_bytes());
    h.update(request);
    *h.finalize().as_bytes()
}

/// The output cache file of one format (`slot`) of the workspace at `root`.
pub fn path(root: &Path, slot: &str) -> PathBuf {
    root.join(CACHE_DIR).join(format!("output-{slot}.bin"))
}

/// The report stored in `slot` under `key`, if any. The whole file is read and its seal checked
/// before anything of it is used (`cache::read_in_cache_dir`): a damaged, forged or foreign file,
/// or one whose length is not exactly the header's promise, is a miss.
pub fn load(root: &Path, slot: &str, key: &Digest) -> Option<StoredOutput> {
    let bytes = super::cache::read_in_cache_dir(&path(root, slot))?;
    let header = bytes.get(..HEADER_LEN)?;
    let (magic, rest) = header.split_at(MAGIC.len());
    let (stored_key, rest) = rest.split_at(32);
    if magic != MAGIC || stored_key != key {
        return None;
    }
    let worst = match rest[0] {
        0 => None,
        code => Some(severity_from(code)?),
    };
    let len = u64::from_le_bytes(rest[1..9].try_into().ok()?);
    ((bytes.len() - HEADER_LEN) as u64 == len).then_some(StoredOutput { bytes, worst })
}

/// Stores `output` in `slot` under `key`, atomically (temp file + rename).
pub fn store(root: &Path, slot: &str, key: &Digest, output: &[u8], worst: Option<Severity>) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(HEADER_LEN + output.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(key);
    bytes.push(worst.map_or(0, severity_code));
    bytes.extend_from_slice(&(output.len() as u64).to_le_bytes());
    bytes.extend_from_slice(output);
    super::cache::write_in_cache_dir(root, &path(root, slot), &bytes)
}

fn severity_code(severity: Severity) -> u8 {
    match severity {
        Severity::Hint => 1,
        Severity::Info => 2,
        Severity::Warning => 3,
        Severity::Error => 4,
    }
}

fn severity_from(code: u8) -> Option<Severity> {
    Some(match code {
        1 => Severity::Hint,
        2 => Severity::Info,
        3 => Severity::Warning,
        4 => Severity::Error,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report and worst severity stored under `key`, read back.
    fn read_back(root: &Path, slot: &str, key: &Digest) -> Option<(Vec<u8>, Option<Severity>)> {
        let stored = load(root, slot, key)?;
        let worst = stored.worst;
        let mut bytes = Vec::new();
        stored.copy_to(&mut bytes).unwrap();
        Some((bytes, worst))
    }

    #[test]
    fn a_report_is_read_back_under_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = output_key(&[1; 32], &[2; 32], b"json");
        store(dir.path(), "json", &key, b"{\"diagnostics\": []}\n", Some(Severity::Warning)).unwrap();
        let stored = read_back(dir.path(), "json", &key);
        assert_eq!(stored, Some((b"{\"diagnostics\": []}\n".to_vec(), Some(Severity::Warning))));
        assert_eq!(read_back(dir.path(), "json", &output_key(&[1; 32], &[3; 32], b"json")), None, "other inputs");
        assert_eq!(read_back(dir.path(), "json", &output_key(&[1; 32], &[2; 32], b"sarif")), None, "another request");
        assert_eq!(read_back(dir.path(), "sarif", &key), None, "another slot");
        store(dir.path(), "json", &key, b"", None).unwrap();
        assert_eq!(read_back(dir.path(), "json", &key), Some((Vec::new(), None)));
    }

    #[test]
    fn a_damaged_file_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let key = output_key(&[1; 32], &[2; 32], b"json");
        store(dir.path(), "json", &key, b"0123456789", Some(Severity::Error)).unwrap();
        let file = path(dir.path(), "json");
        let good = std::fs::read(&file).unwrap();
        // The layout starts after the seal (magic and MAC).
        let seal = 8 + 32;
        // Cut short, one byte too many, a bad severity, a huge length, another magic.
        let mut damaged = vec![good[..good.len() - 1].to_vec(), [good.as_slice(), b"x"].concat()];
        let mut bad_severity = good.clone();
        bad_severity[seal + MAGIC.len() + 32] = 9;
        damaged.push(bad_severity);
        let mut huge = good.clone();
        huge[seal + MAGIC.len() + 33..seal + HEADER_LEN].copy_from_slice(&u64::MAX.to_le_bytes());
        damaged.push(huge);
        let mut magic = good.clone();
        magic[seal] = b'x';
        damaged.push(magic);
        // The report changed, same length.
        let mut text = good.clone();
        *text.last_mut().unwrap() = b'X';
        damaged.push(text);
        damaged.push(good[..10].to_vec());
        for bytes in damaged {
            std::fs::write(&file, &bytes).unwrap();
            assert_eq!(read_back(dir.path(), "json", &key), None, "{bytes:?}");
        }
    }
}
