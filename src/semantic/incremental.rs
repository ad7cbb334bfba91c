//! Resolving the workspace's function summaries again after an edit, from the last resolution:
//! the editor's path to [`summary::resolve_workspace`]'s result.
//!
//! [`summary::resolve_workspace`] iterates rounds from nothing: in round `r` every function's
//! resolution is a function of its summary and of the round `r - 1` values of what its callees
//! name (nothing in round 0), and it stops after the first round in which nothing changed (or
//! after [`MAX_ROUNDS`]). [`resolve_workspace_incremental`] computes exactly that result, but
//! keeps, per function, its value in every round of the last resolution (its *trajectory*) and
//! which functions and modules its callees may read. A function whose summary is the same, whose
//! module's import specifiers resolve as before, whose lookups cross no module whose exports or
//! re-exports changed, and none of whose read functions had another value in round `r - 1` than
//! last time, has the same value in round `r` as last time: it is not evaluated. So an edit
//! inside one function of a 700-function file evaluates that function (and what reads it), not
//! the file. Within the run, a function whose read values did not change between the two rounds
//! before keeps its value too (the skipping [`summary::resolve_workspace`] does per module).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::summary::{self, Callee, FnSummary, ModuleSummaries, Resolved, ResolvedModules, MAX_ROUNDS};

/// From this many functions to evaluate in one round, they are evaluated on the thread pool.
const PARALLEL_FUNCTIONS: usize = 256;

/// What [`resolve_workspace_incremental`] remembers of the last resolution. It describes exactly
/// the resolution whose result is handed in as `previous` next time.
#[derive(Default)]
pub struct ResolutionMemo {
    modules: HashMap<String, ModuleMemo>,
    /// The last round the last resolution evaluated.
    end: usize,
}

impl std::fmt::Debug for ResolutionMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolutionMemo").field("modules", &self.modules.len()).field("end", &self.end).finish()
    }
}

/// One module as the last resolution saw it.
struct ModuleMemo {
    path: String,
    exports: Vec<(String, String)>,
    reexports: Vec<(String, String, String)>,
    /// Its import specifiers and the module keys they resolved to.
    specifiers: Vec<(String, Option<String>)>,
    /// Its summaries as they were handed in, in order.
    order: summary::Summaries,
    functions: HashMap<String, FnMemo>,
}

/// One function (top-level binding) as the last resolution saw it.
struct FnMemo {
    /// Kept alive, so an equal pointer means the same summary.
    summary: Arc<FnSummary>,
    /// (round, value from that round on), by round; the first is round 0.
    trajectory: Vec<(usize, Resolved)>,
    /// The functions its callees may read: (module key, name), sorted.
    reads: Vec<(String, String)>,
    /// The modules whose exports, re-exports or specifiers its imported callees' lookups cross.
    traverses: Vec<String>,
}

impl FnMemo {
    fn at(&self, round: usize) -> Resolved {
        let after = self.trajectory.partition_point(|(r, _)| *r <= round);
        self.trajectory[after.max(1) - 1].1
    }

    fn changed_at(&self, round: usize) -> bool {
        self.trajectory.iter().any(|(r, _)| *r == round)
    }
}

/// What a function reads ([`static_reads`]): functions by (module key, name), module keys.
type StaticReads = (Vec<(String, String)>, Vec<String>);

/// One function of the current workspace during a resolution.
struct Node<'m, 'o> {
    module: usize,
    key: &'m str,
    name: &'m str,
    summary: &'m Arc<FnSummary>,
    old: Option<&'o FnMemo>,
    /// Must be evaluated in every round: its summary, its specifiers or the structure its
    /// lookups cross changed (or it is new).
    dirty: bool,
    /// For a dirty function: what it reads now (otherwise its memo's).
    fresh: Option<StaticReads>,
}

impl Node<'_, '_> {
    fn reads(&self) -> &[(String, String)] {
        match (&self.fresh, self.old) {
            (Some((reads, _)), _) => reads,
            (None, Some(old)) => &old.reads,
            (None, None) => &[],
        }
    }
}

/// [`summary::resolve_workspace`] (with no configured guards) of `modules`, computed from
/// `memo`, which describes the resolution whose result was `previous`; `memo` then describes
/// this one. An empty memo resolves everything. `None` when the result is `previous` (the same
/// summaries, exports and resolved specifiers in every module).
pub fn resolve_workspace_incremental(
    modules: &[ModuleSummaries<'_>],
    resolve: &(dyn Fn(&str, &str) -> Option<String> + Sync),
    memo: &mut ResolutionMemo,
    previous: &ResolvedModules,
) -> Option<ResolvedModules> {
    let mut keys = HashSet::with_capacity(modules.len());
    if modules.is_empty() || !modules.iter().all(|m| keys.insert(m.key)) {
        // Two modules of one key (which the result cannot tell apart): resolved from nothing.
        *memo = ResolutionMemo::default();
        return Some(summary::resolve_workspace(modules, resolve, &|_| false));
    }
    let by_key: HashMap<&str, &ModuleSummaries<'_>> = modules.iter().map(|m| (m.key, m)).collect();
    let lists: Vec<_> = match modules.len() >= PARALLEL_FUNCTIONS {
        true => modules.par_iter().map(|m| summary::module_specifiers(m, resolve)).collect(),
        false => modules.iter().map(|m| summary::module_specifiers(m, resolve)).collect(),
    };
    let specifiers: HashMap<(&str, &str), Option<String>> = lists.iter().flatten().cloned().collect();

    // What changed in the modules' structure since the last resolution.
    let mut spec_changed: HashSet<&str> = HashSet::new();
    let mut struct_changed: HashSet<String> = HashSet::new();
    for (m, list) in modules.iter().zip(&lists) {
        match memo.modules.get(m.key) {
            None => {
                spec_changed.insert(m.key);
                struct_changed.insert(m.key.to_string());
            }
            Some(old) => {
                let same_specifiers = old.path == m.path
                    && old.specifiers.len() == list.len()
                    && old.specifiers.iter().zip(list).all(|((s, k), ((_, s2), k2))| s == s2 && k == k2);
                if !same_specifiers {
                    spec_changed.insert(m.key);
                    struct_changed.insert(m.key.to_string());
                }
                if old.exports != m.summaries.exports || old.reexports != m.summaries.reexports {
                    struct_changed.insert(m.key.to_string());
                }
            }
        }
    }
    for key in memo.modules.keys() {
        if !by_key.contains_key(key.as_str()) {
            struct_changed.insert(key.clone());
        }
    }
    // Nothing the resolution reads changed (an edit that changed other facts of a file).
    let same_order = |m: &ModuleSummaries<'_>, equal: &dyn Fn(&FnSummary, &FnSummary) -> bool| {
        memo.modules.get(m.key).is_some_and(|old| {
            old.order.len() == m.summaries.functions.len()
                && old
                    .order
                    .iter()
                    .zip(&m.summaries.functions)
                    .all(|((n1, s1), (n2, s2))| n1 == n2 && (Arc::ptr_eq(s1, s2) || equal(s1, s2)))
        })
    };
    if struct_changed.is_empty() && modules.iter().all(|m| same_order(m, &|a, b| a == b)) {
        return None;
    }

    // The functions (the last of each name wins, as in the result).
    let mut nodes: Vec<Node<'_, '_>> = Vec::new();
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    for (position, m) in modules.iter().enumerate() {
        let old_module = memo.modules.get(m.key);
        for (name, summary) in &m.summaries.functions {
            match index.entry((m.key, name.as_str())) {
                Entry::Occupied(e) => nodes[*e.get()].summary = summary,
                Entry::Vacant(e) => {
                    e.insert(nodes.len());
                    nodes.push(Node {
                        module: position,
                        key: m.key,
                        name,
                        summary,
                        old: old_module.and_then(|o| o.functions.get(name.as_str())),
                        dirty: false,
                        fresh: None,
                    });
                }
            }
        }
    }
    for node in &mut nodes {
        node.dirty = spec_changed.contains(node.key)
            || match node.old {
                None => true,
                Some(old) => {
                    !(Arc::ptr_eq(&old.summary, node.summary) || *old.summary == **node.summary)
                        || (!struct_changed.is_empty()
                            && old.traverses.iter().any(|k| struct_changed.contains(k.as_str())))
                }
            };
        if node.dirty {
            node.fresh = Some(static_reads(&modules[node.module], node.summary, &by_key, &specifiers));
        }
    }
    // Functions gone since the last resolution: they read as nothing now.
    let mut removed: Vec<(&str, &str, &FnMemo)> = Vec::new();
    for (key, module) in &memo.modules {
        for (name, function) in &module.functions {
            if !index.contains_key(&(key.as_str(), name.as_str())) {
                removed.push((key, name, function));
            }
        }
    }
    let mut old_changes = [0usize; MAX_ROUNDS];
    let old_functions = nodes.iter().filter_map(|n| n.old).chain(removed.iter().map(|(_, _, f)| *f));
    for function in old_functions {
        for (round, _) in &function.trajectory {
            old_changes[*round] += 1;
        }
    }

    // The rounds. `values[i][r]`: function i's value in round r, where it may differ from the
    // last resolution's (otherwise its memo's `at(r)`).
    let dirty: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].dirty).collect();
    let mut values: HashMap<usize, [Option<Resolved>; MAX_ROUNDS]> = HashMap::new();
    let mut differing: HashSet<(&str, &str)> = HashSet::new();
    let mut end = MAX_ROUNDS - 1;
    for round in 0..MAX_ROUNDS {
        let value = |i: usize, r: usize| -> Resolved {
            match values.get(&i).and_then(|v| v[r]) {
                Some(v) => v,
                None => nodes[i].old.map(|o| o.at(r)).unwrap_or_default(),
            }
        };
        // The value of (key, name) in round `r` (`None` before round 0 and for what is no function).
        let read = |key: &str, name: &str, r: Option<usize>| -> Option<Resolved> {
            let r = r?;
            index.get(&(key, name)).map(|&i| value(i, r))
        };
        let mut candidates = dirty.clone();
        if round > 0 && !differing.is_empty() {
            for (i, node) in nodes.iter().enumerate() {
                if !node.dirty && node.reads().iter().any(|(k, n)| differing.contains(&(k.as_str(), n.as_str()))) {
                    candidates.push(i);
                }
            }
        }
        let decide = |&i: &usize| -> (usize, Resolved) {
            let node = &nodes[i];
            let before = round.checked_sub(1);
            let stable = round > 0
                && node
                    .reads()
                    .iter()
                    .all(|(k, n)| read(k, n, before) == read(k, n, before.and_then(|b| b.checked_sub(1))));
            if stable {
                return (i, value(i, round - 1));
            }
            let m = &modules[node.module];
            let previous_round = |k: &str, n: &str| read(k, n, before);
            let oracle = |callee: &Callee| -> (Resolved, bool) {
                let found = match callee {
                    Callee::Builtin(kind) => Some(Resolved { guard: Some(*kind), ..Resolved::default() }),
                    Callee::Local(name) => previous_round(m.key, name),
                    Callee::Global(_) => None,
                    Callee::Import { source, name, .. } => {
                        specifiers.get(&(m.path, source.as_str())).cloned().flatten().and_then(|key| {
                            summary::lookup_export_reading(
                                &previous_round,
                                &by_key,
                                &specifiers,
                                &key,
                                name,
                                0,
                                &mut |_| {},
                            )
                        })
                    }
                };
                (found.unwrap_or_default(), false)
            };
            (i, summary::resolve_summary(node.summary, &oracle))
        };
        let decided: Vec<(usize, Resolved)> = match candidates.len() >= PARALLEL_FUNCTIONS {
            true => candidates.par_iter().map(decide).collect(),
            false => candidates.iter().map(decide).collect(),
        };
        // Functions touched in an earlier round but not now have their last values again.
        let touched_before: Vec<usize> = values.keys().copied().collect();
        for (i, resolved) in decided {
            values.entry(i).or_insert([None; MAX_ROUNDS])[round] = Some(resolved);
        }
        for i in touched_before {
            let slot = values.get_mut(&i).expect("touched");
            if slot[round].is_none() {
                slot[round] = Some(nodes[i].old.map(|o| o.at(round)).unwrap_or_default());
            }
        }
        // What differs from the last resolution in this round, and whether anything changed.
        differing.clear();
        let mut changes = old_changes[round] as isize;
        for (key, name, function) in &removed {
            differing.insert((key, name));
            changes -= isize::from(function.changed_at(round));
        }
        for (&i, slot) in &values {
            let node = &nodes[i];
            let now = slot[round].expect("filled every round once touched");
            if node.old.is_none_or(|o| o.at(round) != now) {
                differing.insert((node.key, node.name));
            }
            changes -= isize::from(node.old.is_some_and(|o| o.changed_at(round)));
            let before = round
                .checked_sub(1)
                .map(|r| slot[r].unwrap_or_else(|| nodes[i].old.map(|o| o.at(r)).unwrap_or_default()));
            changes += isize::from(before != Some(now));
        }
        if round > 0 && changes == 0 {
            end = round;
            break;
        }
    }

    // The result: modules whose values may have changed are built again, the others copied.
    let final_value = |i: usize| -> Resolved {
        match values.get(&i).and_then(|v| v[end]) {
            Some(v) => v,
            None => nodes[i].old.map(|o| o.at(end)).unwrap_or_default(),
        }
    };
    // Functions whose final value may differ from the last result's.
    let changed: Vec<usize> = match end == memo.end {
        true => values.keys().copied().collect(),
        false => (0..nodes.len()).collect(),
    };
    let mut changed_by_module: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in changed {
        let node = &nodes[i];
        let before = previous.get(node.key).and_then(|f| f.get(node.name));
        if before != Some(&final_value(i)) {
            changed_by_module.entry(node.module).or_default().push(i);
        }
    }
    let removed_in: HashSet<&str> = removed.iter().map(|(k, _, _)| *k).collect();
    let final_read = |k: &str, n: &str| index.get(&(k, n)).map(|&i| final_value(i));
    let mut by_module: Vec<Vec<usize>> = vec![Vec::new(); modules.len()];
    for (i, node) in nodes.iter().enumerate() {
        by_module[node.module].push(i);
    }
    let mut result: ResolvedModules = HashMap::with_capacity(modules.len());
    for (position, m) in modules.iter().enumerate() {
        let rebuild = struct_changed.contains(m.key)
            || !m.summaries.reexports.is_empty()
            || removed_in.contains(m.key)
            || !previous.contains_key(m.key);
        let map = if rebuild {
            let mut map: HashMap<String, Resolved> = HashMap::with_capacity(by_module[position].len() * 2);
            for &i in &by_module[position] {
                map.insert(nodes[i].name.to_string(), final_value(i));
            }
            for (name, r) in summary::exported_names(m, &final_read, &by_key, &specifiers) {
                map.insert(format!("export:{name}"), r);
            }
            map
        } else {
            let mut map = previous[m.key].clone();
            for &i in changed_by_module.get(&position).map_or(&[][..], Vec::as_slice) {
                let (name, r) = (nodes[i].name, final_value(i));
                map.insert(name.to_string(), r);
                for (exported, local) in &m.summaries.exports {
                    if local == name {
                        map.insert(format!("export:{exported}"), r);
                    }
                }
                if let Some((class, method)) = name.split_once('.') {
                    for (exported, local) in &m.summaries.exports {
                        if local == class {
                            map.insert(format!("export:{exported}.{method}"), r);
                        }
                    }
                }
            }
            map
        };
        result.insert(m.key.to_string(), map);
    }

    // The memo of this resolution.
    enum Update {
        New(FnMemo),
        Trajectory(Vec<(usize, Resolved)>),
        Keep,
    }
    let fresh: Vec<_> = nodes.iter_mut().map(|node| node.fresh.take()).collect();
    let trajectory = |i: usize| -> Vec<(usize, Resolved)> {
        let mut out: Vec<(usize, Resolved)> = Vec::new();
        for r in 0..=end {
            let v = match values.get(&i).and_then(|s| s[r]) {
                Some(v) => v,
                None => nodes[i].old.map(|o| o.at(r)).unwrap_or_default(),
            };
            if out.last().is_none_or(|(_, last)| *last != v) {
                out.push((r, v));
            }
        }
        out
    };
    let updates: Vec<Update> = fresh
        .into_iter()
        .enumerate()
        .map(|(i, fresh)| match fresh {
            Some((reads, traverses)) => {
                Update::New(FnMemo { summary: nodes[i].summary.clone(), trajectory: trajectory(i), reads, traverses })
            }
            None if values.contains_key(&i) || end < memo.end => Update::Trajectory(trajectory(i)),
            None => Update::Keep,
        })
        .collect();
    let places: Vec<(&str, &str)> = nodes.iter().map(|n| (n.key, n.name)).collect();
    let reordered: Vec<bool> = modules.iter().map(|m| !same_order(m, &|_, _| false)).collect();
    let removed: Vec<(String, String)> = removed.into_iter().map(|(k, n, _)| (k.to_string(), n.to_string())).collect();
    let gone: Vec<String> = memo.modules.keys().filter(|k| !by_key.contains_key(k.as_str())).cloned().collect();
    drop(nodes);
    for key in gone {
        memo.modules.remove(&key);
    }
    for (key, name) in removed {
        if let Some(module) = memo.modules.get_mut(&key) {
            module.functions.remove(&name);
        }
    }
    for ((m, list), reordered) in modules.iter().zip(&lists).zip(reordered) {
        let module = memo.modules.entry(m.key.to_string()).or_insert_with(|| ModuleMemo {
            path: String::new(),
            exports: Vec::new(),
            reexports: Vec::new(),
            specifiers: Vec::new(),
            order: Vec::new(),
            functions: HashMap::new(),
        });
        if struct_changed.contains(m.key) {
            module.path = m.path.to_string();
            module.exports = m.summaries.exports.clone();
            module.reexports = m.summaries.reexports.clone();
            module.specifiers = list.iter().map(|((_, s), k)| (s.to_string(), k.clone())).collect();
        }
        if reordered {
            module.order = m.summaries.functions.clone();
        }
    }
    for ((key, name), update) in places.into_iter().zip(updates) {
        let module = memo.modules.get_mut(key).expect("every module is in the memo");
        match update {
            Update::New(function) => {
                module.functions.insert(name.to_string(), function);
            }
            Update::Trajectory(trajectory) => {
                if let Some(function) = module.functions.get_mut(name) {
                    function.trajectory = trajectory;
                }
            }
            Update::Keep => {}
        }
    }
    memo.end = end;
    Some(result)
}

/// What a function's callees may read in any round (a superset of what
/// [`summary::resolve_workspace`]'s lookups read): the functions, by (module key, name), and the
/// modules whose exports, re-exports or specifiers the lookups of its imported callees cross.
fn static_reads(
    m: &ModuleSummaries<'_>,
    function: &FnSummary,
    by_key: &HashMap<&str, &ModuleSummaries<'_>>,
    specifiers: &HashMap<(&str, &str), Option<String>>,
) -> StaticReads {
    let mut reads = Vec::new();
    let mut traverses = Vec::new();
    summary::for_each_callee(function, &mut |callee| match callee {
        Callee::Local(name) => reads.push((m.key.to_string(), name.clone())),
        Callee::Import { source, name, .. } => {
            if let Some(Some(key)) = specifiers.get(&(m.path, source.as_str())) {
                traverse(key, name, 0, by_key, specifiers, &mut reads, &mut traverses);
            }
        }
        Callee::Builtin(_) | Callee::Global(_) => {}
    });
    reads.sort_unstable();
    reads.dedup();
    traverses.sort_unstable();
    traverses.dedup();
    (reads, traverses)
}

/// Every path [`summary::lookup_export_reading`] may take for `name` in module `key` (all of
/// its re-export branches, not only the first that finds a value).
fn traverse(
    key: &str,
    name: &str,
    depth: u32,
    by_key: &HashMap<&str, &ModuleSummaries<'_>>,
    specifiers: &HashMap<(&str, &str), Option<String>>,
    reads: &mut Vec<(String, String)>,
    traverses: &mut Vec<String>,
) {
    if depth > 4 {
        return;
    }
    traverses.push(key.to_string());
    let Some(module) = by_key.get(key) else { return };
    if let Some((_, local)) = module.summaries.exports.iter().find(|(e, _)| e == name) {
        reads.push((key.to_string(), local.clone()));
        return;
    }
    if let Some((class, method)) = name.split_once('.') {
        if let Some((_, local)) = module.summaries.exports.iter().find(|(e, _)| e == class) {
            reads.push((key.to_string(), format!("{local}.{method}")));
            return;
        }
    }
    let (head, member) = match name.split_once('.') {
        Some((class, method)) => (class, Some(method)),
        None => (name, None),
    };
    for (exported, original, source) in &module.summaries.reexports {
        if exported == name || exported == head || exported == "*" {
            let wanted = match (exported == "*", member) {
                (true, _) => name.to_string(),
                (false, Some(method)) => format!("{original}.{method}"),
                (false, None) => original.clone(),
            };
            if let Some(Some(target)) = specifiers.get(&(module.path, source.as_str())) {
                traverse(target, &wanted, depth + 1, by_key, specifiers, reads, traverses);
            }
        }
    }
}
