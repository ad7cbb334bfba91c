//! `spec/dependency-cycle`: work-stream dependencies that form a cycle within a workflow document.

use std::collections::HashMap;

use super::at;
use crate::engine::{Finding, PlanRuleContext};
use crate::plan::{PlanDocument, WorkstreamId};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/dependency-cycle";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Error,
        kinds: &[FileKind::Markdown],
        summary: "Work-stream dependencies that form a cycle",
        doc: include_str!("../../../docs/rules/spec/dependency-cycle.md"),
        matcher: Matcher::Plan(check),
    }
}

/// The strongly connected components of a graph given as adjacency lists (iterative Tarjan).
fn components(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let (mut stack, mut found, mut next) = (Vec::new(), Vec::new(), 0);
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut child)) = work.last_mut() {
            if *child == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(*child) {
                *child += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                found.push(component);
            }
        }
    }
    found
}

/// The cycles of one document: each as the path of stream indexes from its first member back to it.
pub fn cycles(doc: &PlanDocument) -> Vec<Vec<usize>> {
    let mut position: HashMap<&WorkstreamId, usize> = HashMap::new();
    for (i, stream) in doc.workstreams.iter().enumerate() {
        position.entry(&stream.id).or_insert(i);
    }
    let edges: Vec<Vec<usize>> = doc
        .workstreams
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if position[&s.id] != i {
                return Vec::new();
            }
            s.depends_on
                .iter()
                .filter_map(|(d, _)| {
                    position.get(d).or_else(|| doc.resolve(d).and_then(|w| position.get(&w.id))).copied()
                })
                .collect()
        })
        .collect();
    let mut cycles = Vec::new();
    for mut component in components(&edges) {
        component.sort_unstable();
        let first = component[0];
        if component.len() == 1 && !edges[first].contains(&first) {
            continue;
        }
        // Shortest path first → … → first inside the component (breadth-first).
        let mut previous: HashMap<usize, usize> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([first]);
        let mut end = None;
        while let Some(v) = queue.pop_front() {
            for &w in &edges[v] {
                if w == first {
                    end = Some(v);
                    break;
                }
                if component.contains(&w) && !previous.contains_key(&w) {
                    previous.insert(w, v);
                    queue.push_back(w);
                }
            }
            if end.is_some() {
                break;
            }
        }
        let Some(mut v) = end else { continue };
        let mut path = vec![first];
        while v != first {
            path.insert(1, v);
            v = previous[&v];
        }
        path.push(first);
        cycles.push(path);
    }
    cycles.sort();
    cycles
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    for doc in &ctx.plan.documents {
        for path in cycles(doc) {
            let streams: Vec<String> = path.iter().map(|&i| doc.workstreams[i].id.to_string()).collect();
            let first = &doc.workstreams[path[0]];
            let next = &doc.workstreams[path[1]].id;
            let range =
                first.depends_on.iter().find(|(d, _)| d == next).map_or(first.id_range.clone(), |(_, r)| r.clone());
            let message = format!(
                "dependency cycle {} (→ = depends on): these work streams wait for each other, so none of them can start",
                streams.join(" → ")
            );
            out.push(at(RULE_ID, &doc.path, range, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_finds_cycles_and_self_loops() {
        let mut c = components(&[vec![1], vec![2], vec![0], vec![3], vec![]]);
        c.iter_mut().for_each(|x| x.sort());
        c.sort();
        assert_eq!(c, [vec![0, 1, 2], vec![3], vec![4]]);
        // A long chain does not overflow the stack.
        let chain: Vec<Vec<usize>> =
            (0..100_000).map(|i| if i + 1 < 100_000 { vec![i + 1] } else { vec![0] }).collect();
        assert_eq!(components(&chain).len(), 1);
    }
}
