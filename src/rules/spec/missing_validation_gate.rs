//! `spec/missing-validation-gate`: gates as real plans declare them. Each work stream needs a
//! gate of its own (or the plan's shared `## Validation Gates`); the workflow as a whole — its
//! streams' gates plus its final gates — must run each `[spec] required_gates` gate; each stream
//! must run the `[spec] required_stream_gates` (none by default); and no lint gate may let
//! warnings through (found from the command, the `package.json` script it runs, and prose such
//! as "warnings OK").

use std::ops::Range;

use super::at;
use crate::config::Config;
use crate::engine::{Finding, PlanRuleContext};
use crate::plan::PlanKind;
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/missing-validation-gate";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Markdown],
        summary: "Work stream without a validation gate, workflow whose gates miss a required gate, or lint gate that allows warnings",
        doc: include_str!("../../../docs/rules/spec/missing-validation-gate.md"),
        matcher: Matcher::Plan(check),
    }
}

/// Words that name a well-known gate in a command or checklist line, the activity as well as the
/// command ("Pass all CI checks (tests, linting, type checking)" names three gates, as "All tests
/// pass" names one).
fn gate_words(name: &str) -> &'static [&'static str] {
    match name {
        "lint" => &["lint", "linting", "eslint", "biome", "clippy", "ruff", "stylelint"],
        "type-check" | "typecheck" | "types" => &[
            "type-check",
            "typecheck",
            "type check",
            "type-checking",
            "typechecking",
            "type checking",
            "tsc",
            "mypy",
            "pyright",
            "types",
        ],
        "test" | "tests" => &["test", "tests", "vitest", "jest", "playwright", "pytest", "mocha", "cypress"],
        "build" => &["build"],
        _ => &[],
    }
}

/// True when `word` occurs in `line` (both lowercase) between non-alphanumeric characters.
fn has_word(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back().is_none_or(|c| !c.is_ascii_alphanumeric());
        let after = line[i + word.len()..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric());
        before && after
    })
}

/// True when `line` names gate `name`.
pub fn names_gate(config: &Config, name: &str, line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    let words = gate_words(name);
    if words.iter().any(|w| has_word(&lower, w)) || (words.is_empty() && has_word(&lower, &name.to_ascii_lowercase())) {
        return true;
    }
    config
        .gates
        .get(name)
        .is_some_and(|g| !g.command.trim().is_empty() && lower.contains(&g.command.trim().to_ascii_lowercase()))
}

type Lines = Vec<(String, Range<usize>)>;

/// True when a gate line runs a command (not just names a gate: "All gates pass (lint, …)").
fn is_command(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    [
        "npm ",
        "npx ",
        "pnpm ",
        "yarn ",
        "bun ",
        "eslint",
        "biome ",
        "next lint",
        "ruff ",
        "cargo clippy",
        "make lint",
        "just lint",
    ]
    .iter()
    .any(|c| lower.contains(c))
}

/// True when a line explicitly lets lint warnings through: "warnings OK", "warnings allowed",
/// `--max-warnings=N` with N > 0, `--quiet` (which hides warnings).
fn allows_warnings(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    let said = lower.contains("--quiet")
        || [
            "warnings ok",
            "warnings are ok",
            "warnings allowed",
            "warnings are allowed",
            "warnings acceptable",
            "warnings are acceptable",
            "warnings permitted",
            "warnings tolerated",
        ]
        .iter()
        .any(|p| lower.contains(p));
    let max = lower.match_indices("--max-warnings").any(|(i, m)| {
        let rest = lower[i + m.len()..].trim_start_matches(['=', ' ']);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().is_ok_and(|n| n > 0)
    });
    said || max
}

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let config = ctx.config;
    let strict = |line: &str| {
        let lower = line.to_ascii_lowercase();
        !allows_warnings(line)
            && config
                .spec
                .lint_strict_flags
                .iter()
                .any(|f| lower.contains(f.to_ascii_lowercase().trim_start_matches('-')))
    };
    for doc in ctx.plan.documents.iter().filter(|d| d.kind == PlanKind::Workflow && !d.stream_definitions_unread()) {
        // Document-level gates: `## Validation Gates` sections and front matter `gates`.
        let mut shared: Lines = Vec::new();
        for gate in &doc.gates {
            shared.extend(gate.lines.iter().cloned());
            if let Some(command) = &gate.command {
                shared.push((format!("{}: {command}", gate.name), gate.range.clone()));
            }
        }
        let mut workflow: Lines = shared.clone();
        for stream in &doc.workstreams {
            let (lines, range) = match &stream.validation_gate {
                Some(gate) if !gate.lines.is_empty() => (&gate.lines, gate.heading.clone()),
                _ if !shared.is_empty() => (&shared, stream.id_range.clone()),
                _ => {
                    let message = format!(
                        "{} has no validation gate: nothing checks its work before it is handed off (add `### Validation Gate` with the commands, or a `gate:`)",
                        stream.id
                    );
                    out.push(at(RULE_ID, &doc.path, stream.id_range.clone(), message));
                    continue;
                }
            };
            workflow.extend(lines.iter().cloned());
            let missing: Vec<&str> = config
                .spec
                .required_stream_gates
                .iter()
                .filter(|name| !lines.iter().any(|(line, _)| names_gate(config, name, line)))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                let message = format!(
                    "the validation gate of {} does not name {} (`[spec] required_stream_gates`: {})",
                    stream.id,
                    quoted(&missing),
                    config.spec.required_stream_gates.join(", ")
                );
                out.push(at(RULE_ID, &doc.path, range, message));
            }
        }
        if workflow.is_empty() {
            continue;
        }
        // The workflow as a whole also gates on a command its text runs elsewhere: a checklist
        // ("`npm run type-check` clean"), a code block, an execution-spec field.
        let text = ctx.document(&doc.path).map_or("", |d| &*d.text);
        let runs = |name: &str| text.lines().any(|l| is_command(l) && names_gate(config, name, l));
        let missing: Vec<&str> = config
            .spec
            .required_gates
            .iter()
            .filter(|name| !workflow.iter().any(|(line, _)| names_gate(config, name, line)) && !runs(name))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            // Where the workflow's gates are: its final gates, else the last stream's gate.
            let range = doc
                .gates
                .iter()
                .find(|g| !g.lines.is_empty())
                .map(|g| g.range.clone())
                .or_else(|| {
                    doc.workstreams.iter().rev().find_map(|w| w.validation_gate.as_ref().map(|g| g.heading.clone()))
                })
                .or_else(|| doc.title.as_ref().map(|t| t.line.clone()))
                .unwrap_or_else(|| doc.workstreams[0].id_range.clone());
            let message = format!(
                "no gate of this workflow runs {} — neither a stream's gate nor a final gate (`[spec] required_gates`: {})",
                quoted(&missing),
                config.spec.required_gates.join(", ")
            );
            out.push(at(RULE_ID, &doc.path, range, message));
        }
        // Lint gates that let warnings through: once per distinct command.
        let mut reported: Vec<String> = Vec::new();
        for (line, range) in &workflow {
            if !names_gate(config, "lint", line) || reported.contains(line) {
                continue;
            }
            let allows = allows_warnings(line) || !strict(line);
            // A strict final lint gate catches what a stream's lenient one let through.
            let final_strict = shared.iter().any(|(other, _)| names_gate(config, "lint", other) && strict(other));
            if !allows || !is_command(line) || (final_strict && !allows_warnings(line)) {
                continue;
            }
            reported.push(line.clone());
            let command = crate::plan::markdown::code_spans_in(line)
                .into_iter()
                .map(|r| &line[r])
                .find(|c| names_gate(config, "lint", c))
                .unwrap_or_else(|| crate::plan::markdown::strip_list_marker(line).trim_start_matches("[ ]").trim());
            let why = if allows_warnings(line) {
                "lets warnings pass".to_string()
            } else {
                "does not fail on warnings".to_string()
            };
            let message = format!(
                "this lint gate {why} (`{command}`): use `--max-warnings=0` so warnings fail the gate before handoff"
            );
            out.push(at(RULE_ID, &doc.path, range.clone(), message));
        }
        // Prose elsewhere in the plan that lets lint warnings through ("`npm run lint` passes (warnings OK)").
        if let Some(text) = ctx.document(&doc.path).map(|d| &*d.text) {
            let mut offset = 0;
            for raw in text.split_inclusive('\n') {
                let line = raw.trim_end();
                let range = offset..offset + line.len();
                offset += raw.len();
                if allows_warnings(line)
                    && names_gate(config, "lint", line)
                    && !workflow
                        .iter()
                        .any(|(_, r)| r.start <= range.start && range.end <= r.end.max(r.start + 1) || *r == range)
                    && !out.iter().any(|(p, f)| {
                        *p == doc.path
                            && f.range.start <= range.start
                            && range.start < f.range.end.max(f.range.start + 1)
                    })
                {
                    let message = "this lint gate says warnings are acceptable: use `--max-warnings=0` so warnings fail the gate before handoff".to_string();
                    out.push(at(RULE_ID, &doc.path, line_start(line, range), message));
                }
            }
        }
    }
}

/// The range of a line without its indentation.
fn line_start(line: &str, range: Range<usize>) -> Range<usize> {
    let lead = line.len() - line.trim_start().len();
    range.start + lead..range.end
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_names_are_words() {
        let c = Config::default();
        assert!(names_gate(&c, "lint", "npm run lint -- --max-warnings=0"));
        assert!(names_gate(&c, "lint", "- [ ] `npx eslint .` passes"));
        assert!(!names_gate(&c, "lint", "update the linter config"), "the tool's config, not a run of it");
        assert!(!names_gate(&c, "lint", "a splint for the broken lintel"));
        let done = "- [ ] Pass all CI checks (tests, linting, type checking)";
        assert!(names_gate(&c, "lint", done) && names_gate(&c, "type-check", done) && names_gate(&c, "test", done));
        assert!(names_gate(&c, "type-check", "Type-checking passes"));
        assert!(names_gate(&c, "type-check", "npx tsc --noEmit"));
        assert!(!names_gate(&c, "type-check", "update tsconfig.json"));
        assert!(names_gate(&c, "test", "npm run test:unit"));
        assert!(names_gate(&c, "test", "- [ ] Unit tests pass"));
        assert!(!names_gate(&c, "test", "npm run type-check"));
        assert!(!names_gate(&c, "test", "attestation signed"));
        assert!(names_gate(&c, "e2e", "npm run e2e"));
    }

    #[test]
    fn warnings_allowed_from_prose_and_flags() {
        assert!(allows_warnings("- [ ] `npm run lint` passes (warnings OK)"));
        assert!(allows_warnings("npx eslint . --max-warnings=5"));
        assert!(allows_warnings("success_criteria: no errors (warnings are acceptable)"));
        assert!(!allows_warnings("npm run lint -- --max-warnings=0"));
        assert!(!allows_warnings("npm run lint passes with no warnings"));
    }
}
