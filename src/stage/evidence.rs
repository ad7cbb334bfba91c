//! Evidence files, `.baton/evidence/<item>/<requirement>.json` (contract §7): what a gate run or
//! an approval recorded. [`EvidenceSet`] is the data the pure rule reads; [`EvidenceSet::load`]
//! and [`Evidence::write`] are the IO around it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{GitState, Requirement};

/// `"pass"` or `"fail"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceStatus {
    /// The gate passed / the approval was given.
    Pass,
    /// The gate failed or timed out.
    Fail,
}

/// One evidence file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `gate:<name>` or `approval:<role>`.
    pub requirement: String,
    /// The verdict.
    pub status: EvidenceStatus,
    /// When, RFC 3339.
    pub at: String,
    /// Who: the approver, or the user who ran the gate.
    pub by: String,
    /// The gate's command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The gate's exit code (written as `null` when it timed out or was killed by a signal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// How long the gate ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The end of the gate's output (at most [`super::gate::TAIL_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tail: Option<String>,
    /// HEAD when recorded, `null` outside git.
    pub git_head: Option<String>,
    /// Whether the tree was dirty when recorded.
    pub dirty: bool,
    /// The approval's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Fingerprint of the uncommitted changes when recorded (see [`GitState`]); Baton's addition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<String>,
    /// The code identity when recorded ([`GitState::code`]); Baton's addition. Evidence with it
    /// stays current across commits that change no code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Workspace-relative path of the gate's full log; Baton's addition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// An approval's document version (the item's `version` when recorded); Baton's addition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Evidence {
    /// An approval by `by` in `role`, recorded now on `git`.
    pub fn approval(role: &str, by: &str, note: Option<&str>, git: &GitState) -> Evidence {
        Evidence {
            requirement: Requirement::Approval(role.to_string()).to_string(),
            status: EvidenceStatus::Pass,
            at: now(),
            by: by.to_string(),
            command: None,
            exit_code: None,
            duration_ms: None,
            output_tail: None,
            git_head: git.head.clone(),
            dirty: git.dirty,
            note: note.map(str::to_string),
            worktree: git.fingerprint.clone(),
            code: git.code.clone(),
            log: None,
            version: None,
        }
    }

    /// True when recorded on the tree `git` describes: the same code identity when both sides
    /// have one ([`GitState::code`]), else the same HEAD, dirty flag and, when dirty, the same
    /// fingerprint of the changes. Outside git evidence never goes stale.
    pub fn is_current(&self, git: &GitState) -> bool {
        // The same code, whatever commit holds it: committing documents and handoffs (the
        // advance's own commit) keeps evidence current.
        if let (Some(recorded), Some(now)) = (&self.code, &git.code) {
            return recorded == now;
        }
        if self.git_head != git.head || self.dirty != git.dirty {
            return false;
        }
        !self.dirty || self.worktree.is_none() || self.worktree == git.fingerprint
    }

    /// The JSON text written to disk.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        // A gate always states its exit code: `null` after a timeout or a signal.
        if let (true, Some(map)) = (self.requirement.starts_with("gate:"), value.as_object_mut()) {
            map.entry("exit_code").or_insert(serde_json::Value::Null);
        }
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    }

    /// Writes this evidence for `item` under `root`, atomically; returns the path.
    pub fn write(&self, root: &Path, item: &str) -> std::io::Result<PathBuf> {
        let path = evidence_path(root, item, &self.requirement);
        crate::atomic::write(root, &path, self.to_json().as_bytes())?;
        Ok(path)
    }
}

/// The current time, RFC 3339 in UTC with seconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An item id as a file or folder name, one-to-one: no two ids share a name, and the name
/// stays inside the folder it is joined to. A *plain* id (no `/`, `\\`, NUL or `%`, not empty,
/// not only dots) is its own name, as it always was; in any other id `%`, `/`, `\\` and NUL are
/// percent-encoded (`TEAM/WOR-9` → `TEAM%2FWOR-9`), an id of dots is encoded whole and the empty
/// id is `%` — every such name contains a `%`, which no plain id does, so the mapping is
/// injective. (Until issue #26 `/`, `\\` and NUL all became `_`: evidence recorded for
/// `TEAM/WOR-9` counted for `TEAM_WOR-9`.)
pub fn item_dir(item: &str) -> String {
    let special = |c: char| matches!(c, '/' | '\\' | '\0' | '%');
    if item.is_empty() {
        return "%".to_string();
    }
    if item.chars().all(|c| c == '.') {
        return "%2E".repeat(item.len());
    }
    if !item.contains(special) {
        return item.to_string();
    }
    let mut name = String::with_capacity(item.len() + 8);
    for c in item.chars() {
        if special(c) {
            name.push_str(&format!("%{:02X}", c as u32));
        } else {
            name.push(c);
        }
    }
    name
}

/// `.baton/evidence/<item>/<requirement>.json` under `root`.
pub fn evidence_path(root: &Path, item: &str, requirement: &str) -> PathBuf {
    root.join(".baton/evidence").join(item_dir(item)).join(format!("{}.json", item_dir(requirement)))
}

/// The last refused advance of an item, `.baton/advance/<item>.json` (Baton's own file): the
/// stage the user tried to enter. `workflow/requirement-unmet` reports what that stage still
/// lacks until the item reaches it; a successful advance deletes the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedAdvance {
    /// The item id.
    pub item: String,
    /// The stage it was to enter.
    pub to: String,
    /// When, RFC 3339.
    pub at: String,
    /// Who asked.
    pub by: String,
}

impl RefusedAdvance {
    /// `.baton/advance/<item>.json` under `root`.
    pub fn path(root: &Path, item: &str) -> PathBuf {
        root.join(".baton/advance").join(format!("{}.json", item_dir(item)))
    }

    /// Writes this record, atomically; returns the path.
    pub fn write(&self, root: &Path) -> std::io::Result<PathBuf> {
        let path = Self::path(root, &self.item);
        let text = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        crate::atomic::write(root, &path, text.as_bytes())?;
        Ok(path)
    }

    /// Deletes the record of `item` under `root`; a missing file is fine.
    pub fn clear(root: &Path, item: &str) -> std::io::Result<()> {
        match crate::atomic::remove(root, &Self::path(root, item)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Every evidence file of a workspace and the tree's current state: what the pure rule reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvidenceSet {
    /// Evidence by item folder name, then requirement.
    pub by_item: BTreeMap<String, BTreeMap<String, Evidence>>,
    /// The last refused advance by item folder name (`.baton/advance/`).
    pub refused: BTreeMap<String, RefusedAdvance>,
    /// The tree's state when loaded.
    pub git: GitState,
    /// Evidence files that could not be read (path, reason).
    pub unreadable: Vec<(String, String)>,
    /// The guardrail records (`.baton/gate-runs/`, `.baton/escalations/`, `.baton/usage/`).
    pub guard: crate::guard::GuardRecords,
}

impl EvidenceSet {
    /// The evidence for `requirement` of `item`.
    pub fn get(&self, item: &str, requirement: &Requirement) -> Option<&Evidence> {
        self.by_item.get(&item_dir(item))?.get(&requirement.to_string())
    }

    /// The last refused advance of `item`, if any.
    pub fn refused(&self, item: &str) -> Option<&RefusedAdvance> {
        self.refused.get(&item_dir(item))
    }

    /// Adds (or replaces) one piece of evidence.
    pub fn insert(&mut self, item: &str, evidence: Evidence) {
        self.by_item.entry(item_dir(item)).or_default().insert(evidence.requirement.clone(), evidence);
    }

    /// Reads `.baton/evidence/`, `.baton/advance/` under `root` and the tree's git state. A
    /// missing folder is an empty set; unreadable files are listed in `unreadable` and otherwise
    /// ignored.
    pub fn load(root: &Path) -> EvidenceSet {
        EvidenceSet { git: GitState::read(root), ..EvidenceSet::load_files(root) }
    }

    /// [`EvidenceSet::load`] for the rules, which compare the git state with recorded evidence
    /// only: without any evidence, git is not run and `git` is left empty (running it cost a
    /// re-run of `baton check` over an unchanged workspace a fifth of its time).
    pub fn load_for_rules(root: &Path) -> EvidenceSet {
        let mut set = EvidenceSet::load_files(root);
        if !set.by_item.is_empty() {
            set.git = GitState::read(root);
        }
        set
    }

    /// The evidence files and refused-advance records, without the git state.
    fn load_files(root: &Path) -> EvidenceSet {
        let mut set = EvidenceSet::default();
        set.load_refused(root);
        set.load_items(root);
        set.guard = crate::guard::GuardRecords::load(root);
        set
    }

    fn load_items(&mut self, root: &Path) {
        let Ok(items) = std::fs::read_dir(root.join(".baton/evidence")) else { return };
        for item in items.flatten() {
            let Ok(files) = std::fs::read_dir(item.path()) else { continue };
            let item_name = item.file_name().to_string_lossy().into_owned();
            for file in files.flatten() {
                let path = file.path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let shown = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
                match std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|t| {
                    serde_json::from_str::<Evidence>(&t).map_err(|e| format!("not an evidence file: {e}"))
                }) {
                    Ok(evidence) => {
                        self.by_item
                            .entry(item_name.clone())
                            .or_default()
                            .insert(evidence.requirement.clone(), evidence);
                    }
                    Err(reason) => self.unreadable.push((shown, reason)),
                }
            }
        }
    }

    fn load_refused(&mut self, root: &Path) {
        let Ok(files) = std::fs::read_dir(root.join(".baton/advance")) else { return };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let shown = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            match std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|t| {
                serde_json::from_str::<RefusedAdvance>(&t).map_err(|e| format!("not a refused-advance record: {e}"))
            }) {
                Ok(record) => {
                    self.refused.insert(item_dir(&record.item), record);
                }
                Err(reason) => self.unreadable.push((shown, reason)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(head: Option<&str>, dirty: bool, fp: Option<&str>) -> GitState {
        GitState { head: head.map(String::from), dirty, fingerprint: fp.map(String::from), code: None }
    }

    #[test]
    fn staleness_follows_head_dirty_flag_and_fingerprint() {
        let recorded = git(Some("abc"), true, Some("f1"));
        let e = Evidence::approval("qa", "Ada", None, &recorded);
        assert!(e.is_current(&recorded));
        assert!(!e.is_current(&git(Some("abd"), true, Some("f1"))));
        assert!(!e.is_current(&git(Some("abc"), false, None)));
        assert!(!e.is_current(&git(Some("abc"), true, Some("f2"))));
        let outside = Evidence::approval("qa", "Ada", None, &GitState::default());
        assert!(outside.is_current(&GitState::default()));
    }

    #[test]
    fn approval_json_omits_gate_fields_and_round_trips() {
        let e = Evidence::approval("architecture", "Ada", Some("ok"), &GitState::default());
        let json = e.to_json();
        assert!(!json.contains("exit_code"), "{json}");
        assert!(json.contains("\"git_head\": null"), "{json}");
        let back: Evidence = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn refused_advance_is_written_loaded_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let record = RefusedAdvance { item: "WOR/1".into(), to: "qa".into(), at: now(), by: "Ada".into() };
        let path = record.write(dir.path()).unwrap();
        assert_eq!(path, dir.path().join(".baton/advance/WOR%2F1.json"));
        let set = EvidenceSet::load(dir.path());
        assert_eq!(set.refused("WOR/1"), Some(&record));
        assert!(set.unreadable.is_empty(), "{:?}", set.unreadable);
        std::fs::write(dir.path().join(".baton/advance/torn.json"), "{\"item\": ").unwrap();
        assert_eq!(EvidenceSet::load(dir.path()).unreadable.len(), 1);
        RefusedAdvance::clear(dir.path(), "WOR/1").unwrap();
        RefusedAdvance::clear(dir.path(), "WOR/1").unwrap();
        assert_eq!(EvidenceSet::load(dir.path()).refused("WOR/1"), None);
    }

    #[test]
    fn item_ids_cannot_escape_the_evidence_folder() {
        assert_eq!(item_dir("../x"), "..%2Fx");
        assert_eq!(item_dir(".."), "%2E%2E");
        let p = evidence_path(Path::new("/r"), "a/b", "gate:lint");
        assert_eq!(p, Path::new("/r/.baton/evidence/a%2Fb/gate:lint.json"));
    }

    /// Issue #26 item 7: the mapping is one-to-one (an approval for `TEAM/WOR-9` is not one for
    /// `TEAM_WOR-9`), and plain ids keep the folder they always had.
    #[test]
    fn item_ids_map_to_folders_one_to_one_and_plain_ids_keep_theirs() {
        for plain in ["WOR-9", "TEAM_WOR-9", "wor 9", "PRD-002.v2", ".hidden", "a..b"] {
            assert_eq!(item_dir(plain), plain);
        }
        let ids = [
            "TEAM/WOR-9",
            "TEAM_WOR-9",
            "TEAM\\WOR-9",
            "TEAM\0WOR-9",
            "TEAM%2FWOR-9",
            "TEAM%WOR-9",
            ".",
            "..",
            "%2E",
            "",
            "%",
            "_",
            "_.",
            "a/b/c",
            "a%2Fb/c",
        ];
        let names: std::collections::HashSet<String> = ids.iter().map(|id| item_dir(id)).collect();
        assert_eq!(names.len(), ids.len(), "{names:?}");
        for id in ids {
            let name = item_dir(id);
            assert!(
                !name.contains(['/', '\\', '\0']) && name != "." && name != ".." && !name.is_empty(),
                "{id:?} → {name:?}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        Evidence::approval("qa", "Ada", None, &GitState::default()).write(dir.path(), "TEAM/WOR-9").unwrap();
        let set = EvidenceSet::load(dir.path());
        assert!(set.get("TEAM/WOR-9", &Requirement::Approval("qa".into())).is_some());
        assert!(set.get("TEAM_WOR-9", &Requirement::Approval("qa".into())).is_none());
    }
}
