//! Whether a build-pipeline checkpoint's four work-stream buckets cover its plan: every stream the
//! plan defines is in one bucket, and every stream a bucket lists is one the plan defines. Shared
//! by `handoff/invalid` (streams the plan does not define; plan streams missing from an open
//! checkpoint) and `handoff/premature-complete` (plan streams missing from a complete one).

use crate::engine::PlanRuleContext;
use crate::handoff::checkpoint::Checkpoint;
use crate::handoff::At;
use crate::plan::{PlanDocument, PlanKind, Workstream, WorkstreamId};

/// One checkpoint compared with its plan.
pub struct Coverage<'a> {
    /// The checkpoint.
    pub checkpoint: &'a Checkpoint,
    /// Its plan.
    pub plan: &'a PlanDocument,
    /// Streams of the plan that no bucket lists (each once, in plan order).
    pub missing: Vec<&'a Workstream>,
    /// Bucket entries that name no stream of the plan.
    pub unknown: Vec<&'a At<WorkstreamId>>,
}

/// True when the checkpoint's `id` and the plan's stream are the same stream (`WS1` and
/// `WS1_MIGRATION` either way round).
fn same(stream: &WorkstreamId, id: &WorkstreamId) -> bool {
    stream.answers_to(id) || id.answers_to(stream)
}

/// Every checkpoint that tracks work streams and belongs to a workflow plan whose stream
/// definitions Baton could read, compared with that plan.
pub fn coverage<'a>(ctx: &'a PlanRuleContext<'a>) -> Vec<Coverage<'a>> {
    let mut out = Vec::new();
    for plan in ctx
        .plan
        .documents
        .iter()
        .filter(|d| d.kind == PlanKind::Workflow && !d.workstreams.is_empty() && !d.stream_definitions_unread())
    {
        for checkpoint in ctx.handoffs.checkpoints_for(&plan.id, &plan.path) {
            if !checkpoint.tracks_workstreams {
                continue;
            }
            let listed: Vec<&At<WorkstreamId>> = checkpoint.buckets.iter().flat_map(|(_, s)| s.iter()).collect();
            let mut missing: Vec<&Workstream> = Vec::new();
            for stream in &plan.workstreams {
                if missing.iter().any(|m| m.id == stream.id) || listed.iter().any(|l| same(&stream.id, &l.value)) {
                    continue;
                }
                missing.push(stream);
            }
            // A stream the plan names anywhere is known to it (a `dormant_workstreams:` list, a
            // deferred stream in prose), even when it defines no section for it.
            let text = ctx.document(&plan.path).map_or("", |d| &*d.text);
            let mentioned: Vec<WorkstreamId> = WorkstreamId::find_all(text).into_iter().map(|(_, id)| id).collect();
            let unknown = listed
                .into_iter()
                .filter(|l| {
                    !plan.workstreams.iter().any(|w| same(&w.id, &l.value))
                        && !mentioned.iter().any(|m| same(m, &l.value))
                })
                .collect();
            out.push(Coverage { checkpoint, plan, missing, unknown });
        }
    }
    out
}

/// "WS-1, WS-2 and WS-3".
pub fn list(ids: &[String]) -> String {
    match ids {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
