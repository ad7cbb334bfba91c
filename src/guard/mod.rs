//! Orchestration guardrails (issue #29, docs/agents.md): the records Baton keeps itself under
//! `.baton/` and what the `workflow/retry-limit`, `workflow/escalation-loop` and
//! `workflow/budget` rules, `baton stage advance`, the stop hook and the MCP server read from
//! them.
//!
//! - `.baton/gate-runs/<item>.json`: per gate, the times of its failed runs in a row on the item
//!   (a passing run clears them), written by [`record_gate_run`] after every gate run for an item.
//! - `.baton/escalations/<item>.json`: every escalation recorded for the item (`baton escalate`,
//!   the MCP tool `escalate`), with the question's normalised text ([`normalize_question`]).
//! - `.baton/usage/<session>.json`: the token usage of one agent session, recomputed from its
//!   transcript at each hook call ([`usage`]).
//!
//! Every write is atomic (`crate::atomic`). Loading is [`GuardRecords::load`]; evaluation is pure.

pub mod usage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::stage::evidence::{item_dir, now};

/// The most failure times kept per gate (the count that matters is far smaller).
const MAX_KEPT_FAILURES: usize = 100;

/// `.baton/gate-runs/<item>.json`: failed runs in a row, per gate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateRuns {
    /// The item id.
    pub item: String,
    /// Per gate, the times (RFC 3339) of its failed runs since it last passed, oldest first.
    pub failures: BTreeMap<String, Vec<String>>,
}

impl GateRuns {
    /// `.baton/gate-runs/<item>.json` under `root`.
    pub fn path(root: &Path, item: &str) -> PathBuf {
        root.join(".baton/gate-runs").join(format!("{}.json", item_dir(item)))
    }
}

/// Records one finished run of `gate` for `item` (cancelled runs are not recorded): a failure
/// is appended, a pass clears the gate's streak. Atomic.
pub fn record_gate_run(root: &Path, item: &str, gate: &str, passed: bool) -> std::io::Result<()> {
    let path = GateRuns::path(root, item);
    let mut runs = read_json::<GateRuns>(&path).ok().flatten().unwrap_or_default();
    runs.item = item.to_string();
    if passed {
        if runs.failures.remove(gate).is_none() {
            return Ok(());
        }
    } else {
        let list = runs.failures.entry(gate.to_string()).or_default();
        list.push(now());
        if list.len() > MAX_KEPT_FAILURES {
            list.drain(..list.len() - MAX_KEPT_FAILURES);
        }
    }
    write_json(root, &path, &runs)
}

/// One escalation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The question as asked.
    pub question: String,
    /// Its normalised text ([`normalize_question`]): what "the same question" compares.
    pub key: String,
    /// When, RFC 3339.
    pub at: String,
    /// Who escalated.
    pub by: String,
    /// How it was recorded: `cli` or `mcp`.
    pub source: String,
}

/// `.baton/escalations/<item>.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalations {
    /// The item id.
    pub item: String,
    /// Oldest first.
    pub escalations: Vec<Escalation>,
}

impl Escalations {
    /// `.baton/escalations/<item>.json` under `root`.
    pub fn path(root: &Path, item: &str) -> PathBuf {
        root.join(".baton/escalations").join(format!("{}.json", item_dir(item)))
    }

    /// The time of the last escalation, if any.
    pub fn last_at(&self) -> Option<&str> {
        self.escalations.iter().map(|e| e.at.as_str()).max()
    }
}

/// Records an escalation of `question` for `item`; returns the file and how often the same
/// (normalised) question has now been escalated for the item. An empty question is an error.
pub fn record_escalation(
    root: &Path,
    item: &str,
    question: &str,
    by: &str,
    source: &str,
) -> Result<(PathBuf, usize), String> {
    let key = normalize_question(question);
    if key.is_empty() {
        return Err("the question is empty".to_string());
    }
    if question.chars().count() > 4000 {
        return Err("the question is longer than 4,000 characters; state it shortly".to_string());
    }
    let path = Escalations::path(root, item);
    let mut record = match read_json::<Escalations>(&path) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return Err(format!("{} is unreadable ({e}); fix or remove it first", path.display())),
    };
    record.item = item.to_string();
    record.escalations.push(Escalation {
        question: question.trim().to_string(),
        key: key.clone(),
        at: now(),
        by: by.to_string(),
        source: source.to_string(),
    });
    write_json(root, &path, &record).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let count = record.escalations.iter().filter(|e| e.key == key).count();
    Ok((path, count))
}

/// The text two escalations are compared by: lower case, an `Escalation:` / `Question:` /
/// `Blocked:` prefix dropped, everything but letters and digits turned into single spaces.
pub fn normalize_question(text: &str) -> String {
    let lower = text.trim().to_lowercase();
    let mut rest = lower.as_str();
    loop {
        let trimmed = rest.trim_start_matches(|c: char| !c.is_alphanumeric());
        let stripped = ["escalation", "escalated", "escalate", "question", "blocked", "open question"]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p).filter(|r| r.trim_start().starts_with([':', '-', '—'])));
        match stripped {
            Some(r) => rest = r,
            None => {
                rest = trimmed;
                break;
            }
        }
    }
    rest.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Every guardrail record of a workspace, and the day (UTC) they were loaded on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuardRecords {
    /// Gate runs by item folder name.
    pub runs: BTreeMap<String, GateRuns>,
    /// Escalations by item folder name.
    pub escalations: BTreeMap<String, Escalations>,
    /// Usage by session file name.
    pub usage: BTreeMap<String, usage::SessionUsage>,
    /// The day the records were loaded (`YYYY-MM-DD`, UTC): the day `cost_per_day_usd` is for.
    pub today: String,
    /// Records that could not be read (path, reason).
    pub unreadable: Vec<(String, String)>,
}

impl GuardRecords {
    /// Reads `.baton/gate-runs/`, `.baton/escalations/` and `.baton/usage/` under `root`.
    /// Missing folders are empty; unreadable files are listed in `unreadable`.
    pub fn load(root: &Path) -> GuardRecords {
        let mut records = GuardRecords { today: usage::today(), ..GuardRecords::default() };
        load_dir(root, ".baton/gate-runs", &mut records.unreadable, |name, r: GateRuns| {
            records.runs.insert(name, r);
        });
        load_dir(root, ".baton/escalations", &mut records.unreadable, |name, r: Escalations| {
            records.escalations.insert(name, r);
        });
        load_dir(root, ".baton/usage", &mut records.unreadable, |name, r: usage::SessionUsage| {
            records.usage.insert(name, r);
        });
        records
    }

    /// The escalations of `item`.
    pub fn escalations_of(&self, item: &str) -> Option<&Escalations> {
        self.escalations.get(&item_dir(item))
    }

    /// The gates of `item` that failed `limit` times or more in a row since the item's last
    /// escalation, with that count.
    pub fn exhausted_gates(&self, item: &str, limit: u32) -> Vec<(String, usize)> {
        let Some(runs) = self.runs.get(&item_dir(item)) else { return Vec::new() };
        let escalated = self.escalations_of(item).and_then(Escalations::last_at).map(parse_time);
        runs.failures
            .iter()
            .filter_map(|(gate, times)| {
                let count = times.iter().filter(|t| escalated.is_none_or(|e| parse_time(t) > e)).count();
                (count >= limit as usize).then(|| (gate.clone(), count))
            })
            .collect()
    }

    /// The questions escalated `threshold` times or more for `item`: from the escalation
    /// records and `extra` (normalised key, text) pairs read from context snapshots. Each pair
    /// gives the question's first wording and the count.
    pub fn loops(&self, item: &str, extra: &[(String, String)], threshold: u32) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, String, usize)> = Vec::new();
        let recorded = self.escalations_of(item).map(|e| e.escalations.as_slice()).unwrap_or_default();
        for (key, text) in recorded.iter().map(|e| (&e.key, &e.question)).chain(extra.iter().map(|(k, t)| (k, t))) {
            match counts.iter_mut().find(|(k, _, _)| k == key) {
                Some(entry) => entry.2 += 1,
                None => counts.push((key.clone(), text.clone(), 1)),
            }
        }
        counts.into_iter().filter(|(_, _, n)| *n >= threshold as usize).map(|(_, text, n)| (text, n)).collect()
    }

    /// What `item` cost (every session attributed to it), and what today cost over every session.
    pub fn costs(&self, config: &Config, item: &str) -> Costs {
        let mut costs = Costs::default();
        for session in self.usage.values() {
            let attributed = session.items.iter().any(|i| i.eq_ignore_ascii_case(item));
            for (day, models) in &session.days {
                for (model, tokens) in models {
                    let price = usage::price_of(config, model);
                    let cost = price.map(|p| tokens.cost(&p));
                    if price.is_none() {
                        costs.unpriced.insert(model.clone());
                    }
                    if attributed {
                        costs.item += cost.unwrap_or(0.0);
                        costs.item_tokens += tokens.total();
                    }
                    if *day == self.today {
                        costs.day += cost.unwrap_or(0.0);
                    }
                }
            }
        }
        costs
    }
}

/// Costs in USD ([`GuardRecords::costs`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Costs {
    /// Every session attributed to the item.
    pub item: f64,
    /// Tokens of those sessions.
    pub item_tokens: u64,
    /// Today (UTC) over every session of the workspace.
    pub day: f64,
    /// Models with usage but no price (their tokens are not counted in dollars).
    pub unpriced: std::collections::BTreeSet<String>,
}

/// A budget verdict: under, at the alert threshold, or over the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BudgetLevel {
    /// Below every threshold.
    Under,
    /// At or above the alert threshold.
    Alert,
    /// At or above the limit.
    Over,
}

/// The level of `cost` against `alert` and `limit`.
pub fn budget_level(cost: f64, alert: f64, limit: f64) -> BudgetLevel {
    if cost >= limit && limit > 0.0 {
        BudgetLevel::Over
    } else if cost >= alert && alert > 0.0 {
        BudgetLevel::Alert
    } else {
        BudgetLevel::Under
    }
}

/// The budget problems of `item`: (level, message), worst first; empty when under both.
pub fn budget_problems(records: &GuardRecords, config: &Config, item: &str) -> Vec<(BudgetLevel, String)> {
    let limits = &config.limits;
    let costs = records.costs(config, item);
    let mut out = Vec::new();
    let item_level = budget_level(costs.item, limits.cost_per_item_alert_usd, limits.cost_per_item_usd);
    let unpriced = if costs.unpriced.is_empty() {
        String::new()
    } else {
        let models: Vec<&str> = costs.unpriced.iter().map(String::as_str).collect();
        format!(" (not counted: no [limits.prices] entry for {})", models.join(", "))
    };
    match item_level {
        BudgetLevel::Over => out.push((
            BudgetLevel::Over,
            format!(
                "{item} has cost ${:.2} in agent tokens, over its limit of ${:.2} (cost_per_item_usd){unpriced}: no further dispatch until the budget is raised or the work re-planned",
                costs.item, limits.cost_per_item_usd
            ),
        )),
        BudgetLevel::Alert => out.push((
            BudgetLevel::Alert,
            format!(
                "{item} has cost ${:.2} in agent tokens, past the alert threshold of ${:.2} (limit ${:.2}){unpriced}",
                costs.item, limits.cost_per_item_alert_usd, limits.cost_per_item_usd
            ),
        )),
        BudgetLevel::Under => {}
    }
    let day_level = budget_level(costs.day, limits.cost_per_day_alert_usd, limits.cost_per_day_usd);
    let had_today = records
        .usage
        .values()
        .any(|s| s.items.iter().any(|i| i.eq_ignore_ascii_case(item)) && s.days.contains_key(&records.today));
    if had_today {
        match day_level {
            BudgetLevel::Over => out.push((
                BudgetLevel::Over,
                format!(
                    "agents have spent ${:.2} today ({}), over the daily limit of ${:.2} (cost_per_day_usd)",
                    costs.day, records.today, limits.cost_per_day_usd
                ),
            )),
            BudgetLevel::Alert => out.push((
                BudgetLevel::Alert,
                format!(
                    "agents have spent ${:.2} today ({}), past the daily alert threshold of ${:.2} (limit ${:.2})",
                    costs.day, records.today, limits.cost_per_day_alert_usd, limits.cost_per_day_usd
                ),
            )),
            BudgetLevel::Under => {}
        }
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.0));
    out
}

fn parse_time(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default()
}

/// The records Baton keeps itself are small; anything larger is not one.
const MAX_RECORD_SIZE: u64 = 8 * 1024 * 1024;

/// Reads a JSON record: `Ok(None)` when the file does not exist.
pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, String> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
        Ok(m) if m.len() > MAX_RECORD_SIZE => return Err(format!("larger than {MAX_RECORD_SIZE} bytes")),
        Ok(_) => {}
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map(Some).map_err(|e| e.to_string())
}

/// Writes a JSON record atomically.
pub(crate) fn write_json<T: Serialize>(root: &Path, path: &Path, value: &T) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)? + "\n";
    crate::atomic::write(root, path, text.as_bytes())
}

fn load_dir<T: for<'de> Deserialize<'de>>(
    root: &Path,
    dir: &str,
    unreadable: &mut Vec<(String, String)>,
    mut add: impl FnMut(String, T),
) {
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else { return };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let shown = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
        match read_json::<T>(&path) {
            Ok(Some(record)) => add(name, record),
            Ok(None) => {}
            Err(reason) => unreadable.push((shown, reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_compare_by_normalised_text() {
        let a = normalize_question("ESCALATION: Which tenant ID should billing use?");
        assert_eq!(a, "which tenant id should billing use");
        assert_eq!(normalize_question("  which tenant-id should billing use ?? "), a);
        assert_eq!(normalize_question("Question — Which tenant ID should billing use"), a);
        assert_ne!(normalize_question("Which tenant ID should invoicing use?"), a);
        assert_eq!(normalize_question(" ?! "), "");
    }

    #[test]
    fn failures_in_a_row_count_until_a_pass_or_an_escalation() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for _ in 0..5 {
            record_gate_run(root, "WOR-1", "test", false).unwrap();
        }
        record_gate_run(root, "WOR-1", "lint", false).unwrap();
        let records = GuardRecords::load(root);
        assert_eq!(records.exhausted_gates("WOR-1", 5), vec![("test".to_string(), 5)]);
        assert!(records.exhausted_gates("WOR-1", 6).is_empty());
        assert!(records.exhausted_gates("WOR-2", 1).is_empty());
        record_gate_run(root, "WOR-1", "test", true).unwrap();
        assert!(GuardRecords::load(root).exhausted_gates("WOR-1", 1).iter().all(|(g, _)| g != "test"));
        // An escalation acknowledges the failures before it.
        let mut runs = GateRuns { item: "WOR-1".into(), ..GateRuns::default() };
        runs.failures.insert("test".into(), vec!["2026-01-01T00:00:00Z".into(); 5]);
        write_json(root, &GateRuns::path(root, "WOR-1"), &runs).unwrap();
        assert_eq!(GuardRecords::load(root).exhausted_gates("WOR-1", 5).len(), 1);
        record_escalation(root, "WOR-1", "Tests keep failing on the RLS fixture", "ada", "cli").unwrap();
        assert!(GuardRecords::load(root).exhausted_gates("WOR-1", 5).is_empty());
    }

    #[test]
    fn the_same_question_three_times_is_a_loop() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (_, n) = record_escalation(root, "WOR-1", "Which tenant ID?", "a", "cli").unwrap();
        assert_eq!(n, 1);
        record_escalation(root, "WOR-1", "which tenant id", "b", "mcp").unwrap();
        record_escalation(root, "WOR-1", "Where is the invoice table?", "b", "mcp").unwrap();
        let records = GuardRecords::load(root);
        assert!(records.loops("WOR-1", &[], 3).is_empty());
        let extra = vec![(normalize_question("Escalation: which tenant ID?"), "x".to_string())];
        assert_eq!(records.loops("WOR-1", &extra, 3), vec![("Which tenant ID?".to_string(), 3)]);
        assert!(record_escalation(root, "WOR-1", "  ", "a", "cli").is_err());
    }

    #[test]
    fn budget_levels() {
        assert_eq!(budget_level(14.99, 15.0, 20.0), BudgetLevel::Under);
        assert_eq!(budget_level(15.0, 15.0, 20.0), BudgetLevel::Alert);
        assert_eq!(budget_level(20.0, 15.0, 20.0), BudgetLevel::Over);
        assert_eq!(budget_level(1000.0, 0.0, 0.0), BudgetLevel::Under, "0 switches a threshold off");
    }
}
