//! Reads one spec or workflow document into a [`PlanDocument`]. The recognised shapes are listed
//! in `docs/specs-and-workflows.md`.

use std::ops::Range;

use serde_yaml_ng::Value;

use super::markdown::{BoldField, Heading, Outline};
use super::{
    ArchitectureApproval, Gate, GateSection, Located, Phase, PlanDocument, Poc, SignalSection, Source, Workstream,
    WorkstreamId,
};
use crate::syntax::Document;

/// Reads `doc`.
pub fn read(doc: &Document) -> PlanDocument {
    let outline = Outline::read(&doc.text);
    let mut plan = PlanDocument {
        path: doc.path.clone(),
        id: item_id(&outline, &doc.path),
        title: None,
        front_matter: outline.front_matter.as_ref().map(|f| f.range.clone()),
        status: None,
        version: None,
        architecture_approval: None,
        acceptance_criteria: Vec::new(),
        objective: None,
        workstreams: Vec::new(),
        phases: Vec::new(),
        gates: Vec::new(),
        pocs: Vec::new(),
        kind: super::PlanKind::Workflow,
        front_matter_too_long: outline.front_matter_too_long.clone(),
        names_plans: Vec::new(),
        doc_type: outline.front_matter.as_ref().and_then(|f| {
            ["type", "doc_type", "document_type", "kind"].iter().find_map(|k| f.value.get(*k).and_then(scalar))
        }),
        has_front_matter_id: outline.front_matter.as_ref().is_some_and(|f| {
            ["id", "spec_ref", "spec", "spec_id", "prd", "prd_id"]
                .iter()
                .any(|k| f.value.get(*k).and_then(scalar).is_some())
        }),
        front_matter_unread: outline.front_matter_error.as_ref().map(|e| e.unread_keys.clone()).unwrap_or_default(),
        coverage_target: coverage_target(&doc.text),
    };
    plan.title = outline
        .headings
        .iter()
        .find(|h| h.level == 1)
        .map(|h| located(outline.heading_text(h), h.text.clone(), h.range.clone()));

    // Work-stream sections: headings that start with an id, not nested in another stream.
    let mut stream_lines: Vec<Range<usize>> = Vec::new();
    for heading in &outline.headings {
        if heading.level < 2 || stream_lines.iter().any(|r| r.contains(&heading.line)) {
            continue;
        }
        if let Some((id, id_range, title)) = workstream_heading(&outline, heading) {
            stream_lines.push(heading.line..heading.end_line);
            plan.workstreams.push(read_workstream(&outline, heading, id, id_range, title));
        }
    }
    let in_stream = |line: usize| stream_lines.iter().any(|r| r.contains(&line));

    plan.status =
        front_matter_field(&outline, &["status"]).or_else(|| document_field(&outline, &["status"], &in_stream));
    plan.version =
        front_matter_field(&outline, &["version"]).or_else(|| document_field(&outline, &["version"], &in_stream));

    for heading in outline.headings.iter().filter(|h| !in_stream(h.line)) {
        let title = outline.heading_text(heading).to_ascii_lowercase();
        let title = title.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let lines = heading.line + 1..heading.end_line;
        if title.starts_with("architecture approval") && plan.architecture_approval.is_none() {
            let fields = outline.bold_fields(lines);
            let pick = |keys: &[&str]| fields.iter().find(|f| keys.contains(&f.key.as_str())).map(field_located);
            plan.architecture_approval = Some(ArchitectureApproval {
                heading: heading.range.clone(),
                approved_by: pick(&["approved by", "approver", "reviewed by"]),
                version_approved: pick(&["version approved", "approved version"]),
            });
        } else if title.starts_with("acceptance criteria") {
            plan.acceptance_criteria.extend(outline.checklist(lines));
        } else if title == "objective" || title == "objectives" {
            if plan.objective.is_none() {
                plan.objective = paragraph(&outline, lines);
            }
        } else if is_gates_title(title) {
            plan.gates.push(Gate {
                name: outline.heading_text(heading).to_string(),
                command: None,
                range: heading.range.clone(),
                lines: said_lines(&outline, lines),
            });
        } else if heading.level >= 2 && is_matrix_title(title) {
            read_matrix(&outline, lines, &mut plan.phases);
        }
    }

    if plan.architecture_approval.is_none() {
        plan.architecture_approval = front_matter_approval(&outline);
    }
    read_pocs(&outline, &mut plan.pocs);
    read_execution_spec(&outline, &mut plan);
    if plan.phases.is_empty() {
        fallback_phases(&outline, &mut plan);
    }
    plan
}

/// The lowest coverage target the text states: a percentage on a line that speaks of coverage,
/// written as a floor — after `≥`, `>=`, `>`, "at least", "minimum", "min", "target",
/// "threshold", or followed by `+` (`90%+`). A bare percentage ("coverage: 70%") is a figure, not
/// a target.
pub fn coverage_target(text: &str) -> Option<(f64, Range<usize>)> {
    let mut best: Option<(f64, Range<usize>)> = None;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let lower = line.to_ascii_lowercase();
        if lower.contains("coverage") {
            for (at, _) in line.match_indices('%') {
                let digits_start = line[..at]
                    .trim_end()
                    .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .map_or(0, |i| i + line[i..].chars().next().map_or(1, char::len_utf8));
                let figure = line[digits_start..at].trim();
                let Ok(value) = figure.parse::<f64>() else { continue };
                if !(0.0..=100.0).contains(&value) {
                    continue;
                }
                let before = lower[..digits_start].trim_end_matches(['*', ':', ' ', '`']);
                let before = before.strip_suffix(" of").unwrap_or(before);
                let floor = ["≥", ">=", ">", "at least", "minimum", "min", "target", "threshold", "floor"]
                    .iter()
                    .any(|w| before.ends_with(w))
                    || line[at + 1..].starts_with('+')
                    || lower[at + 1..].trim_start().starts_with("minimum");
                if floor && best.as_ref().is_none_or(|(b, _)| value < *b) {
                    best = Some((value, line_start + digits_start..line_start + at + 1));
                }
            }
        }
        line_start += line.len();
    }
    best
}

/// An architecture approval recorded in the front matter: `architecture_approval: NAME` (or a
/// mapping with `approved_by` / `by` and `version`), `architecture_approved_by: NAME`, or
/// `approvals: {architecture: NAME or mapping}`. A bare `approved_by` is not one: it does not say
/// what was approved.
fn front_matter_approval(outline: &Outline<'_>) -> Option<ArchitectureApproval> {
    let fm = outline.front_matter.as_ref()?;
    let (key, value) = ["architecture_approval", "architecture_approved_by", "architecture_review"]
        .iter()
        .find_map(|k| fm.value.get(*k).map(|v| (*k, v)))
        .or_else(|| match fm.value.get("approvals") {
            Some(Value::Mapping(m)) => m.get("architecture").map(|v| ("architecture", v)),
            _ => None,
        })?;
    let (line, value_range) = outline.front_matter_key(key)?;
    let (by, version) = match value {
        Value::Mapping(m) => (
            m.get("approved_by").or_else(|| m.get("by")).or_else(|| m.get("approver")).and_then(scalar),
            m.get("version").or_else(|| m.get("version_approved")).and_then(scalar),
        ),
        other => (scalar(other), None),
    };
    let at = |text: String| Located { text, range: value_range.clone(), line: line.clone() };
    Some(ArchitectureApproval { heading: line.clone(), approved_by: by.map(at), version_approved: version.map(at) })
}

/// The work item id: front matter `id`, `spec_ref` or `prd`, else the file stem.
fn item_id(outline: &Outline<'_>, path: &str) -> String {
    if let Some(fm) = &outline.front_matter {
        for key in ["id", "spec_ref", "prd"] {
            if let Some(value) = fm.value.get(key).and_then(scalar) {
                if !value.is_empty() {
                    return value;
                }
            }
        }
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".md").unwrap_or(name).to_string()
}

fn located(text: &str, range: Range<usize>, line: Range<usize>) -> Located {
    Located { text: text.trim().to_string(), range, line }
}

fn field_located(field: &BoldField) -> Located {
    Located { text: field.value.clone(), range: field.value_range.clone(), line: field.line_range.clone() }
}

/// A YAML scalar as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A YAML scalar or sequence of scalars as texts.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().filter_map(scalar).collect(),
        Some(v) => scalar(v).into_iter().filter(|s| !s.is_empty()).collect(),
        None => Vec::new(),
    }
}

fn front_matter_field(outline: &Outline<'_>, keys: &[&str]) -> Option<Located> {
    let fm = outline.front_matter.as_ref()?;
    keys.iter().find_map(|key| {
        let text = fm.value.get(*key).and_then(scalar)?;
        let (line, range) = outline.front_matter_key(key)?;
        Some(Located { text, range, line })
    })
}

/// The first `**Key**:` line with one of `keys` outside work-stream sections.
fn document_field(outline: &Outline<'_>, keys: &[&str], in_stream: &dyn Fn(usize) -> bool) -> Option<Located> {
    outline
        .prose_lines(0..outline.lines.len())
        .filter(|(i, _)| !in_stream(*i))
        .filter_map(|(i, _)| outline.bold_field(i))
        .find(|f| keys.contains(&f.key.as_str()) && !f.value.is_empty())
        .map(|f| field_located(&f))
}

fn paragraph(outline: &Outline<'_>, lines: Range<usize>) -> Option<Located> {
    let (text, range) = outline.first_paragraph(lines)?;
    Some(Located { text, range: range.clone(), line: range })
}

/// A document-level gates section: "Validation Gates", "Quality Gates", "Exit Gate", "Final
/// Gates", "Definition of Done", "Exit Criteria".
fn is_gates_title(title: &str) -> bool {
    [
        "validation gate",
        "quality gate",
        "exit gate",
        "final gate",
        "final validation",
        "definition of done",
        "exit criteria",
    ]
    .iter()
    .any(|t| title.starts_with(t))
        || title == "gates"
}

fn is_matrix_title(title: &str) -> bool {
    title.contains("execution matrix") || title.contains("parallel execution") || title.starts_with("execution phases")
}

/// `## WS-2: Title`, `## Work Stream 2 — Title`, `### WS2 (Title)`: the id, its range and the title.
fn workstream_heading(outline: &Outline<'_>, heading: &Heading) -> Option<(WorkstreamId, Range<usize>, String)> {
    let text = outline.heading_text(heading);
    let lead = text.len() - text.trim_start_matches(|c: char| !c.is_ascii_alphanumeric()).len();
    let (range, id) = WorkstreamId::find_all(text).into_iter().next().filter(|(r, _)| r.start == lead)?;
    let rest = &text[range.end..];
    let title = rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '–' | '—' | '.' | '*'));
    if !(rest.is_empty()
        || rest.starts_with(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '–' | '—' | '.' | '(' | '*')))
    {
        return None;
    }
    let title = title.trim_end_matches('*').trim();
    let title = title.strip_prefix('(').and_then(|t| t.strip_suffix(')')).unwrap_or(title);
    Some((id, heading.text.start + range.start..heading.text.start + range.end, title.to_string()))
}

fn read_workstream(
    outline: &Outline<'_>,
    heading: &Heading,
    id: WorkstreamId,
    id_range: Range<usize>,
    title: String,
) -> Workstream {
    let metadata = outline.bold_fields(outline.body_lines(heading));
    let mut stream = Workstream {
        id,
        title,
        source: Source::Markdown,
        heading: heading.range.clone(),
        id_range,
        section: heading.section.clone(),
        metadata: Vec::new(),
        depends_on: Vec::new(),
        parallel_group: None,
        objective: None,
        acceptance_criteria: Vec::new(),
        validation_gate: None,
        handoff_signal: None,
    };
    for field in &metadata {
        match field.key.as_str() {
            "depends on" | "dependencies" | "depends" | "dependency" | "blocked by" | "requires"
                if !is_none(&field.value) =>
            {
                for (r, dep) in WorkstreamId::find_all(&field.value) {
                    let start = field.value_range.start + r.start;
                    push_dep(&mut stream, dep, start..start + r.len(), true);
                }
            }
            "parallel group" | "phase" | "execution phase" => {
                stream.parallel_group = Some(field_located(field));
                // "Phase 2 (after WS-1)": the ids after "after" are dependencies.
                let lower = field.value.to_ascii_lowercase();
                if let Some(after) = lower.find("after ") {
                    let tail = &field.value[after + "after ".len()..];
                    let tail = &tail[..tail.find([')', ';']).unwrap_or(tail.len())];
                    let base = field.value_range.start + after + "after ".len();
                    for (r, dep) in after_list(tail) {
                        push_dep(&mut stream, dep, base + r.start..base + r.end, false);
                    }
                }
            }
            _ => {}
        }
    }
    stream.metadata = metadata;
    for (_, sub) in outline.headings_in(heading.line + 1..heading.end_line) {
        let title = outline.heading_text(sub).to_ascii_lowercase();
        let title = title.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let lines = sub.line + 1..sub.end_line;
        if title.starts_with("objective") {
            stream.objective = stream.objective.take().or_else(|| paragraph(outline, lines));
        } else if title.contains("pre-condition") || title.contains("precondition") || title.contains("prerequisite") {
            for (i, text) in outline.prose_lines(lines) {
                let base = outline.lines[i].range.start;
                for (r, dep) in WorkstreamId::find_all(text) {
                    push_dep(&mut stream, dep, base + r.start..base + r.end, false);
                }
            }
        } else if title.starts_with("acceptance criteria") {
            stream.acceptance_criteria.extend(outline.checklist(lines));
        } else if title.starts_with("validation gate") || title.starts_with("quality gate") || title == "validation" {
            if stream.validation_gate.is_none() {
                stream.validation_gate =
                    Some(GateSection { heading: sub.range.clone(), lines: said_lines(outline, lines) });
            }
        } else if (title.starts_with("handoff signal")
            || title.starts_with("completion signal")
            || title == "handoff"
            || title == "signal")
            && stream.handoff_signal.is_none()
        {
            stream.handoff_signal =
                Some(SignalSection { heading: sub.range.clone(), path: signal_path(outline, lines) });
        }
    }
    stream
}

/// The ids of a list after "after": `WS-1`, `WS-1 and WS-2`, `WS-1, WS-2`; the list ends at the
/// first other word ("Phase 2 (after WS-1, parallel with WS-2)" depends on WS-1 only).
fn after_list(tail: &str) -> Vec<(Range<usize>, WorkstreamId)> {
    let mut out = Vec::new();
    let mut end = 0;
    for (r, id) in WorkstreamId::find_all(tail) {
        let between = &tail[end..r.start];
        let joined_only = between
            .split(|c: char| !c.is_alphanumeric())
            .all(|w| w.is_empty() || w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or"));
        if !joined_only {
            break;
        }
        end = r.end;
        out.push((r, id));
    }
    out
}

/// "None", "-", "n/a": no dependencies.
fn is_none(value: &str) -> bool {
    let v = value.trim().trim_matches(['*', '_', '`']).to_ascii_lowercase();
    v.is_empty() || v == "none" || v == "-" || v == "—" || v == "n/a" || v.starts_with("none ")
}

/// Adds a dependency once; a stream naming itself is skipped unless it says so explicitly.
fn push_dep(stream: &mut Workstream, dep: WorkstreamId, range: Range<usize>, explicit: bool) {
    if (dep == stream.id && !explicit) || stream.depends_on.iter().any(|(d, _)| *d == dep) {
        return;
    }
    stream.depends_on.push((dep, range));
}

/// Each non-empty line a gate section says: prose lines, and the content lines of its code
/// blocks (fence lines and shell comments aside).
fn said_lines(outline: &Outline<'_>, lines: Range<usize>) -> Vec<(String, Range<usize>)> {
    let lines = lines.start.min(outline.lines.len())..lines.end.min(outline.lines.len());
    let fence_line = |i: usize| outline.fences.iter().any(|f| f.open_line == i || f.close_line == i);
    lines
        .filter(|&i| !fence_line(i))
        .filter_map(|i| {
            let raw = outline.line_text(i);
            let text = raw.trim();
            if text.is_empty() || (outline.lines[i].verbatim && text.starts_with('#')) {
                return None;
            }
            let start = outline.lines[i].range.start + (raw.len() - raw.trim_start().len());
            Some((text.to_string(), start..start + text.len()))
        })
        .collect()
}

/// The first signal path a handoff-signal section names: a code span (else a word) ending in
/// `.signal` or under `.claude/handoff/`.
fn signal_path(outline: &Outline<'_>, lines: Range<usize>) -> Option<Located> {
    let is_signal = |s: &str| s.ends_with(".signal") || s.contains(".claude/handoff/");
    if let Some((text, range)) = outline.code_spans(lines.clone()).into_iter().find(|(s, _)| is_signal(s)) {
        let line = outline.lines[outline.line_at(range.start)].range.clone();
        return Some(Located { text: text.to_string(), range, line });
    }
    let lines = lines.start.min(outline.lines.len())..lines.end.min(outline.lines.len());
    for i in lines {
        let raw = outline.line_text(i);
        let base = outline.lines[i].range.start;
        let mut offset = 0;
        for word in
            raw.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | ',' | '`' | '<' | '>'))
        {
            let start = offset;
            offset += word.len() + 1;
            let word = word.trim_end_matches(['.', ':', ';']);
            if word.len() > ".signal".len() && is_signal(word) {
                let range = base + start..base + start + word.len();
                return Some(Located { text: word.to_string(), range, line: outline.lines[i].range.clone() });
            }
        }
    }
    None
}

/// The first number in `text`.
fn first_number(text: &str) -> Option<u32> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits: String = text[start..].chars().take_while(char::is_ascii_digit).take(6).collect();
    digits.parse().ok()
}

/// Phases from the table of a `## Parallel Execution Matrix` section.
fn read_matrix(outline: &Outline<'_>, lines: Range<usize>, phases: &mut Vec<Phase>) {
    for table in outline.tables(lines) {
        let column = |words: &[&str]| {
            table.header.iter().position(|(h, _)| {
                let h = h.to_ascii_lowercase();
                words.iter().any(|w| h.contains(w))
            })
        };
        let phase_col = column(&["phase", "stage", "wave"]).unwrap_or(0);
        let Some(streams_col) = column(&["stream", "ws", "task"]).or((table.header.len() > 1).then_some(1)) else {
            continue;
        };
        for (row, (line, cells)) in table.rows.iter().enumerate() {
            let Some((name, _)) = cells.get(phase_col) else { continue };
            let Some((streams, streams_range)) = cells.get(streams_col) else { continue };
            let ids: Vec<(WorkstreamId, Range<usize>)> = WorkstreamId::find_all(streams)
                .into_iter()
                .map(|(r, id)| (id, streams_range.start + r.start..streams_range.start + r.end))
                .collect();
            phases.push(Phase {
                name: name.clone(),
                order: first_number(name).unwrap_or(row as u32 + 1),
                range: line.clone(),
                streams: ids,
                gates: Vec::new(),
                listed: 0,
                source: Source::Markdown,
            });
        }
    }
}

/// The byte range of the first occurrence of `needle` in `text` at or after `from`.
fn find_after(text: &str, from: usize, needle: &str) -> Option<Range<usize>> {
    text.get(from..)?.find(needle).map(|i| from + i..from + i + needle.len())
}

/// The line range around byte `at`.
fn line_around(outline: &Outline<'_>, at: usize) -> Range<usize> {
    outline.lines.get(outline.line_at(at)).map_or(at..at, |l| l.range.clone())
}

/// The execution-spec front matter: `workstreams`, `execution_phases`, `gates`.
fn read_execution_spec(outline: &Outline<'_>, plan: &mut PlanDocument) {
    let Some(fm) = &outline.front_matter else { return };
    let text = outline.text;
    if let Some(Value::Mapping(gates)) = fm.value.get("gates") {
        let mut cursor = outline.front_matter_key("gates").map_or(fm.content.start, |(l, _)| l.end);
        for (name, spec) in gates {
            let Some(name) = scalar(name) else { continue };
            let command = match spec {
                // The success criteria count as part of the gate ("no errors (warnings OK)").
                Value::Mapping(m) => {
                    match (m.get("command").and_then(scalar), m.get("success_criteria").and_then(scalar)) {
                        (Some(c), Some(s)) => Some(format!("{c} ({s})")),
                        (c, s) => c.or(s),
                    }
                }
                other => scalar(other),
            };
            let range = find_after(text, cursor, &name)
                .map_or(fm.range.start..fm.range.start, |r| line_around(outline, r.start));
            cursor = range.end;
            plan.gates.push(Gate { name, command, range, lines: Vec::new() });
        }
    }
    if let Some(Value::Sequence(phases)) = fm.value.get("execution_phases") {
        let mut cursor = outline.front_matter_key("execution_phases").map_or(fm.content.start, |(l, _)| l.end);
        let mut yaml_phases = Vec::new();
        for (index, phase) in phases.iter().enumerate() {
            let Value::Mapping(m) = phase else { continue };
            let name =
                m.get("name").or_else(|| m.get("phase")).and_then(scalar).unwrap_or_else(|| format!("{}", index + 1));
            let range = find_after(text, cursor, &name).map_or(cursor..cursor, |r| line_around(outline, r.start));
            cursor = range.end;
            let mut streams = Vec::new();
            let mut listed = 0;
            for key in ["parallel", "sequential", "workstreams", "streams"] {
                for s in strings(m.get(key)) {
                    listed += 1;
                    let Some(id) = WorkstreamId::parse(&s) else { continue };
                    let r = find_after(text, cursor, &s).unwrap_or(cursor..cursor);
                    cursor = cursor.max(r.end);
                    streams.push((id, r));
                }
            }
            yaml_phases.push(Phase {
                order: m.get("order").and_then(scalar).and_then(|o| o.parse().ok()).unwrap_or(index as u32 + 1),
                name,
                range,
                streams,
                gates: strings(m.get("gates").or_else(|| m.get("gate"))),
                listed,
                source: Source::FrontMatter,
            });
        }
        if plan.phases.is_empty() {
            plan.phases = yaml_phases;
        }
    }
    let Some(Value::Mapping(streams)) = fm.value.get("workstreams") else { return };
    let mut cursor = outline.front_matter_key("workstreams").map_or(fm.content.start, |(l, _)| l.end);
    let keys: Vec<WorkstreamId> = streams.keys().filter_map(scalar).filter_map(|k| WorkstreamId::parse(&k)).collect();
    let markdown_streams = plan.workstreams.len();
    let mut merged = vec![false; markdown_streams];
    for (key, spec) in streams {
        let Some(key) = scalar(key) else { continue };
        let Some(id) = WorkstreamId::parse(&key) else { continue };
        let id_range = find_after(text, cursor, &key).unwrap_or(cursor..cursor);
        cursor = id_range.end;
        let line = line_around(outline, id_range.start);
        let empty = serde_yaml_ng::Mapping::new();
        let m = match spec {
            Value::Mapping(m) => m,
            _ => &empty,
        };
        let mut deps = Vec::new();
        for dep in strings(m.get("depends_on").or_else(|| m.get("dependencies")).or_else(|| m.get("depends"))) {
            let Some(dep_id) = WorkstreamId::parse(&dep) else { continue };
            let r = find_after(text, cursor, &dep).unwrap_or(line.clone());
            deps.push((dep_id, r));
        }
        let mut gate_names = strings(m.get("gate").or_else(|| m.get("gates")));
        for phase in plan.phases.iter().filter(|p| p.streams.iter().any(|(s, _)| *s == id || id.answers_to(s))) {
            gate_names.extend(phase.gates.iter().cloned());
        }
        let gate_lines: Vec<(String, Range<usize>)> = gate_names
            .iter()
            .map(|name| {
                let command = plan.gates.iter().find(|g| &g.name == name).and_then(|g| g.command.clone());
                (command.map_or_else(|| name.clone(), |c| format!("{name}: {c}")), line.clone())
            })
            .collect();
        let signal = strings(m.get("signal").or_else(|| m.get("handoff_signal")).or_else(|| m.get("handoff")))
            .into_iter()
            .chain(strings(m.get("outputs")).into_iter().filter(|o| o.ends_with(".signal")))
            .next()
            .map(|path| {
                let r = find_after(text, id_range.end, &path).unwrap_or(line.clone());
                Located { text: path, line: line_around(outline, r.start), range: r }
            });
        // The same stream in a Markdown section: `WS1_MIGRATION` here is "Workstream 1" there.
        let existing = match plan.workstreams.iter().position(|w| w.id == id) {
            Some(i) => Some(i),
            None => {
                // A Markdown stream no front matter key names exactly, and the only key answering to it.
                let candidate = plan
                    .workstreams
                    .iter()
                    .position(|w| w.source == Source::Markdown && id.answers_to(&w.id) && !keys.contains(&w.id));
                candidate.filter(|&i| keys.iter().filter(|k| k.answers_to(&plan.workstreams[i].id)).count() == 1)
            }
        };
        if let Some(i) = existing {
            if let Some(m) = merged.get_mut(i) {
                *m = true;
            }
        }
        if let Some(existing) = existing.map(|i| &mut plan.workstreams[i]) {
            existing.id = id.clone();
            for (dep, r) in deps {
                push_dep(existing, dep, r, true);
            }
            if !gate_lines.is_empty() {
                existing
                    .validation_gate
                    .get_or_insert_with(|| GateSection { heading: line.clone(), lines: Vec::new() })
                    .lines
                    .extend(gate_lines);
            }
            if existing.handoff_signal.as_ref().is_none_or(|s| s.path.is_none()) && signal.is_some() {
                existing.handoff_signal = Some(SignalSection { heading: line.clone(), path: signal });
            }
            continue;
        }
        let title = m.get("name").or_else(|| m.get("title")).and_then(scalar).unwrap_or_default();
        let mut stream = Workstream {
            id,
            title,
            source: Source::FrontMatter,
            heading: line.clone(),
            id_range,
            section: line.clone(),
            metadata: Vec::new(),
            depends_on: Vec::new(),
            parallel_group: None,
            objective: None,
            acceptance_criteria: Vec::new(),
            validation_gate: (!gate_lines.is_empty()).then(|| GateSection { heading: line.clone(), lines: gate_lines }),
            handoff_signal: signal.map(|path| SignalSection { heading: line.clone(), path: Some(path) }),
        };
        for (dep, r) in deps {
            push_dep(&mut stream, dep, r, true);
        }
        plan.workstreams.push(stream);
    }
    // The front matter lists the plan's streams: a Markdown section no key names is prose about
    // a stream (a group heading such as "WS7" over `WS7A`/`WS7B`, another plan's stream), not a
    // stream of its own.
    if !keys.is_empty() {
        let mut index = 0;
        plan.workstreams.retain(|_| {
            index += 1;
            index > markdown_streams || merged[index - 1]
        });
    }
}

/// Phases when there is no matrix and no `execution_phases`: `## Phase N` headings around
/// stream sections, else the streams' `**Parallel Group**: Phase N` lines.
fn fallback_phases(outline: &Outline<'_>, plan: &mut PlanDocument) {
    for heading in &outline.headings {
        let title = outline.heading_text(heading);
        if !title.to_ascii_lowercase().starts_with("phase") {
            continue;
        }
        let streams: Vec<(WorkstreamId, Range<usize>)> = plan
            .workstreams
            .iter()
            .filter(|w| {
                w.source == Source::Markdown && heading.section.contains(&w.heading.start) && w.heading != heading.range
            })
            .map(|w| (w.id.clone(), w.id_range.clone()))
            .collect();
        if streams.is_empty() {
            continue;
        }
        plan.phases.push(Phase {
            name: title.to_string(),
            order: first_number(title).unwrap_or(plan.phases.len() as u32 + 1),
            range: heading.range.clone(),
            streams,
            gates: Vec::new(),
            listed: 0,
            source: Source::Markdown,
        });
    }
    if !plan.phases.is_empty() {
        return;
    }
    for stream in &plan.workstreams {
        let Some(group) = &stream.parallel_group else { continue };
        let Some(order) = first_number(&group.text) else { continue };
        let name = format!("Phase {order}");
        match plan.phases.iter_mut().find(|p| p.order == order) {
            Some(phase) => phase.streams.push((stream.id.clone(), stream.id_range.clone())),
            None => plan.phases.push(Phase {
                name,
                order,
                range: group.range.clone(),
                streams: vec![(stream.id.clone(), stream.id_range.clone())],
                gates: Vec::new(),
                listed: 0,
                source: Source::Markdown,
            }),
        }
    }
    plan.phases.sort_by_key(|p| p.order);
}

/// The four PoC labels, each with its accepted spellings (lowercase).
const POC_LABELS: [&[&str]; 4] = [
    &["risky assumption", "high-risk assumption", "assumption"],
    &["evidence required", "evidence"],
    &["success criteria", "success criterion"],
    &["failure scenario", "failure criteria", "failure mode"],
];

fn poc_label(key: &str) -> Option<usize> {
    POC_LABELS.iter().position(|spellings| spellings.contains(&key))
}

/// PoCs: each `**Risky Assumption**` starts one; under a heading that says PoC / Proof of
/// Concept / assumption, the labelled lines of its direct body form one even without it.
fn read_pocs(outline: &Outline<'_>, pocs: &mut Vec<Poc>) {
    for heading in &outline.headings {
        let title = outline.heading_text(heading);
        let lower = title.to_ascii_lowercase();
        let poc_title = lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "poc" || w == "pocs")
            || lower.contains("proof of concept")
            || lower.contains("assumption");
        let body = outline.body_lines(heading);
        // Labels may also be subheadings (`#### Success Criteria`).
        let mut labelled: Vec<(usize, Located)> =
            outline.bold_fields(body).iter().filter_map(|f| poc_label(&f.key).map(|l| (l, field_located(f)))).collect();
        for (_, sub) in
            outline.headings_in(heading.line + 1..heading.end_line).filter(|(_, s)| s.level == heading.level + 1)
        {
            let sub_title = outline.heading_text(sub).to_ascii_lowercase();
            if let Some(label) = poc_label(sub_title.trim()) {
                let text = outline.first_paragraph(sub.line + 1..sub.end_line).map(|p| p.0).unwrap_or_default();
                labelled.push((label, Located { text, range: sub.text.clone(), line: sub.range.clone() }));
            }
        }
        if labelled.is_empty() || !(poc_title || labelled.iter().any(|(l, _)| *l == 0)) {
            continue;
        }
        let mut current: Option<Poc> = None;
        for (label, value) in labelled {
            let starts_new = label == 0 && current.as_ref().is_some_and(|p| p.risky_assumption.is_some());
            if starts_new {
                pocs.extend(current.take());
            }
            let poc = current.get_or_insert_with(|| Poc {
                title: title.to_string(),
                range: heading.range.clone(),
                risky_assumption: None,
                evidence_required: None,
                success_criteria: None,
                failure_scenario: None,
            });
            if starts_new || (label == 0 && !poc_title) {
                poc.title = value.text.clone();
                poc.range = value.line.clone();
            }
            let slot = match label {
                0 => &mut poc.risky_assumption,
                1 => &mut poc.evidence_required,
                2 => &mut poc.success_criteria,
                _ => &mut poc.failure_scenario,
            };
            slot.get_or_insert(value);
        }
        pocs.extend(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    fn read_text(path: &str, text: &str) -> PlanDocument {
        read(&Document::parse(path, FileKind::Markdown, text))
    }

    const WORKFLOW: &str = r#"# WORKFLOW-PRD-002: Parallel execution

---
prd: PRD-002
version: 1.2.0
status: APPROVED FOR PRODUCTION
---

**Status**: ignored because front matter wins

## Objective

Ship the pause tracking feature.

## Work Stream 1: Database Migration

**Agent Type**: prd002-db-migration
**Priority**: P0 (Blocking)
**Parallel Group**: Phase 1

### Objective

Create the migration.

### Validation Gate (Required before Handoff)

```bash
# gates
npm run lint -- --max-warnings=0
npm run type-check
```

### Handoff Signal

Create file: `.claude/handoff/ws1-db-complete.signal`

## WS-2: Table Context Service

**Parallel Group**: Phase 2 (after WS-1)
**Depends on**: WS1

### Pre-Conditions
- [ ] WS-1 complete (`.claude/handoff/ws1-db-complete.signal` exists)

### Acceptance Criteria
- [x] Service updated
- [ ] Tests pass

## Parallel Execution Matrix

| Phase | Work Streams | Can Run Parallel | Dependencies |
|-------|--------------|------------------|--------------|
| 1 | WS-1 | No | None |
| 2 | WS-2, WS-3 | Yes | WS-1 |

## Architecture Approval

**Approved by**: system-architect
**Version Approved**: 1.1.0
"#;

    /// The example's first criterion wraps onto a second line; the brief an agent gets keeps it.
    #[test]
    fn a_wrapped_acceptance_criterion_reaches_the_agent_brief_whole() {
        let path = "docs/specs/WOR-321-spec.md";
        let text = std::fs::read_to_string(format!("{}/examples/wor-321/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let d = read_text(path, &text);
        assert!(
            d.acceptance_criteria[0].text.ends_with("with row level security policies"),
            "{:?}",
            d.acceptance_criteria
        );
        let brief = crate::stage::brief::render(&d, "qa", "qa", &[], &crate::handoff::Handoffs::default());
        assert!(brief.contains("`validation_reports` with row level security policies"), "{brief}");
    }

    #[test]
    fn reads_a_workflow_document() {
        let d = read_text("docs/WORKFLOW-PRD-002.md", WORKFLOW);
        assert_eq!(d.id, "PRD-002");
        assert_eq!(d.status.as_ref().unwrap().text, "APPROVED FOR PRODUCTION");
        assert_eq!(&WORKFLOW[d.status.as_ref().unwrap().line.clone()], "status: APPROVED FOR PRODUCTION");
        assert_eq!(d.version.as_ref().unwrap().text, "1.2.0");
        assert_eq!(d.objective.as_ref().unwrap().text, "Ship the pause tracking feature.");
        let approval = d.architecture_approval.as_ref().unwrap();
        assert_eq!(approval.approved_by.as_ref().unwrap().text, "system-architect");
        assert_eq!(approval.version_approved.as_ref().unwrap().text, "1.1.0");
        let ids: Vec<String> = d.workstreams.iter().map(|w| w.id.to_string()).collect();
        assert_eq!(ids, ["WS-1", "WS-2"]);
        let ws1 = &d.workstreams[0];
        assert_eq!(ws1.title, "Database Migration");
        assert_eq!(&WORKFLOW[ws1.id_range.clone()], "Work Stream 1");
        assert_eq!(ws1.objective.as_ref().unwrap().text, "Create the migration.");
        let gate = ws1.validation_gate.as_ref().unwrap();
        assert_eq!(
            gate.lines.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(),
            ["npm run lint -- --max-warnings=0", "npm run type-check"]
        );
        assert_eq!(
            ws1.handoff_signal.as_ref().unwrap().path.as_ref().unwrap().text,
            ".claude/handoff/ws1-db-complete.signal"
        );
        let ws2 = &d.workstreams[1];
        assert_eq!(ws2.depends_on.len(), 1, "one dependency however often it is named");
        assert_eq!(ws2.acceptance_criteria.len(), 2);
        assert!(ws2.handoff_signal.is_none() && ws2.validation_gate.is_none());
        assert_eq!(d.phases.len(), 2);
        assert_eq!(d.phases[1].streams.iter().map(|s| s.0.to_string()).collect::<Vec<_>>(), ["WS-2", "WS-3"]);
        assert_eq!(&WORKFLOW[d.phases[1].streams[1].1.clone()], "WS-3");
    }

    #[test]
    fn status_line_without_front_matter_and_stem_id() {
        let text = "# Spec\n\n**Status**: Ready for QA\n\n## WS-1: x\n**Status**: complete\n";
        let d = read_text("docs/specs/auth-spec.md", text);
        assert_eq!(d.id, "auth-spec");
        assert_eq!(d.status.as_ref().unwrap().text, "Ready for QA");
        assert_eq!(&text[d.status.unwrap().line], "**Status**: Ready for QA");
    }

    #[test]
    fn execution_spec_front_matter() {
        let text = "---\nspec_ref: EXEC-1\nworkstreams:\n  WS1:\n    name: Db\n    executor: db-agent\n    depends_on: []\n    gate: type-check\n  WS2:\n    name: Api\n    depends_on: [WS1]\n    outputs: [.claude/handoff/ws2.signal]\nexecution_phases:\n  - name: Foundation\n    parallel: [WS1]\n    gates: [lint]\n  - name: Services\n    parallel: [WS2]\ngates:\n  type-check:\n    command: npm run type-check\n    success_criteria: Exit code 0\n  lint:\n    command: npm run lint\n---\n# Exec\n";
        let d = read_text("docs/exec.md", text);
        assert_eq!(d.id, "EXEC-1");
        assert_eq!(d.gates.len(), 2);
        assert_eq!(
            d.phases.iter().map(|p| (p.name.as_str(), p.order)).collect::<Vec<_>>(),
            [("Foundation", 1), ("Services", 2)]
        );
        let ws1 = &d.workstreams[0];
        assert_eq!((ws1.id.to_string(), ws1.title.as_str(), ws1.source), ("WS-1".into(), "Db", Source::FrontMatter));
        assert_eq!(&text[ws1.id_range.clone()], "WS1");
        let lines: Vec<&str> = ws1.validation_gate.as_ref().unwrap().lines.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(
            lines,
            ["type-check: npm run type-check (Exit code 0)", "lint: npm run lint"],
            "success criteria count"
        );
        let ws2 = &d.workstreams[1];
        assert_eq!(&text[ws2.depends_on[0].1.clone()], "WS1");
        assert_eq!(ws2.handoff_signal.as_ref().unwrap().path.as_ref().unwrap().text, ".claude/handoff/ws2.signal");
    }

    #[test]
    fn pocs_from_headings_and_lists() {
        let text = "## High-Risk Assumptions\n\n#### PoC 1: Perf\n- **Risky Assumption**: fast\n- **Evidence Required**: load test\n- **Success Criteria**: p95 < 200ms\n- **Failure Scenario**: partition\n\n#### PoC 2: Migration\n- **Risky Assumption**: lossless\n- **Success Criteria**: 100%\n\n## Notes\n**Risky Assumption**: a\n**Evidence Required**: b\n**Risky Assumption**: c\n";
        let d = read_text("docs/x.md", text);
        let summary: Vec<(String, bool, bool, bool)> = d
            .pocs
            .iter()
            .map(|p| {
                (
                    p.title.clone(),
                    p.evidence_required.is_some(),
                    p.success_criteria.is_some(),
                    p.failure_scenario.is_some(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("PoC 1: Perf".into(), true, true, true),
                ("PoC 2: Migration".into(), false, true, false),
                ("a".into(), true, false, false),
                ("c".into(), false, false, false)
            ]
        );
    }

    #[test]
    fn phase_headings_and_parallel_groups_as_fallback() {
        let d = read_text("docs/x.md", "## Phase 1: Base\n### WS-1: a\n## Phase 2\n### WS-2: b\n### WS-3: c\n");
        assert_eq!(d.phases.iter().map(|p| (p.order, p.streams.len())).collect::<Vec<_>>(), [(1, 1), (2, 2)]);
        let d = read_text(
            "docs/y.md",
            "## WS-2: b\n**Parallel Group**: Phase 2\n## WS-1: a\n**Parallel Group**: Phase 1 (sequential)\n",
        );
        assert_eq!(d.phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Phase 1", "Phase 2"]);
        assert!(d.workstreams[1].depends_on.is_empty());
    }

    #[test]
    fn parallel_with_is_not_a_dependency() {
        let text = "## WS-3: c\n**Phase**: Phase 2 (after WS-1, parallel with WS-2)\n## WS-4: d\n**Phase**: 3 (after WS-1 and WS-3)\n";
        let d = read_text("docs/x.md", text);
        let deps = |i: usize| d.workstreams[i].depends_on.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>();
        assert_eq!(deps(0), ["WS-1"]);
        assert_eq!(deps(1), ["WS-1", "WS-3"]);
        assert_eq!(&text[d.workstreams[0].depends_on[0].1.clone()], "WS-1");
    }

    #[test]
    fn near_miss_headings_are_not_streams() {
        let d = read_text("docs/x.md", "## News1 today\n## WS-1x2: no\n## Handoff for WS-1\n## WS-4\n");
        assert_eq!(d.workstreams.iter().map(|w| w.id.to_string()).collect::<Vec<_>>(), ["WS-4"]);
    }
}

#[cfg(test)]
mod coverage_target_tests {
    use super::coverage_target;

    #[test]
    fn targets_are_floors_on_coverage_lines_and_the_lowest_wins() {
        let text = "- [ ] Coverage ≥ 80% for assembler.ts\n**Coverage Target**: 90%+ for services\n";
        let (value, range) = coverage_target(text).unwrap();
        assert_eq!(value, 80.0);
        assert_eq!(&text[range], "80%");
        assert_eq!(coverage_target("- Coverage targets met (85% minimum)\n").map(|t| t.0), Some(85.0));
        assert_eq!(coverage_target("Test coverage: at least 75.5% lines\n").map(|t| t.0), Some(75.5));
    }

    #[test]
    fn figures_and_percentages_elsewhere_are_not_targets() {
        // A measured figure, a percentage on a line without "coverage", a pyramid split.
        assert_eq!(coverage_target("Last run: coverage 64% of the module\n"), None);
        assert_eq!(coverage_target("Latency ≥ 95% under 200 ms\n"), None);
        assert_eq!(coverage_target("Coverage split: 60% unit / 30% integration\n"), None);
        assert_eq!(coverage_target("Coverage ≥ 180%\n"), None);
    }
}
