//! `spec/missing-validation-gate`: a work stream whose validation gate does not name each
//! required gate (`[spec] required_gates`: lint, type-check, test), or whose lint gate allows
//! warnings.

use super::at;
use crate::config::Config;
use crate::engine::{Finding, PlanRuleContext};
use crate::rules::{Matcher, Rule, Severity};
use crate::syntax::FileKind;

const RULE_ID: &str = "spec/missing-validation-gate";

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: RULE_ID,
        default_severity: Severity::Warning,
        kinds: &[FileKind::Markdown],
        summary: "Work stream whose validation gate does not name its lint, type-check and test commands",
        doc: include_str!("../../../docs/rules/spec/missing-validation-gate.md"),
        matcher: Matcher::Plan(check),
    }
}

/// Words that name a well-known gate in a command or checklist line.
fn gate_words(name: &str) -> &'static [&'static str] {
    match name {
        "lint" => &["lint", "eslint", "biome", "clippy", "ruff", "stylelint"],
        "type-check" | "typecheck" | "types" => {
            &["type-check", "typecheck", "type check", "tsc", "mypy", "pyright", "types"]
        }
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

fn check(ctx: &PlanRuleContext<'_>, out: &mut Vec<(String, Finding)>) {
    let config = ctx.config;
    for doc in &ctx.plan.documents {
        // A document-level `## Validation Gates` section covers streams without their own.
        let shared: Vec<(String, std::ops::Range<usize>)> =
            doc.gates.iter().flat_map(|g| g.lines.iter().cloned()).collect();
        for stream in &doc.workstreams {
            let (lines, range) = match &stream.validation_gate {
                Some(gate) => (&gate.lines, gate.heading.clone()),
                None if !shared.is_empty() => (&shared, stream.id_range.clone()),
                // Nothing required (`required_gates = []`): a stream without a gate is fine.
                None if config.spec.required_gates.is_empty() => continue,
                None => {
                    let message = format!(
                        "{} has no Validation Gate: agents hand off code that fails the project's {} on commit (add `### Validation Gate` with the commands)",
                        stream.id,
                        config.spec.required_gates.join(", ")
                    );
                    out.push(at(RULE_ID, &doc.path, stream.id_range.clone(), message));
                    continue;
                }
            };
            let missing: Vec<&str> = config
                .spec
                .required_gates
                .iter()
                .filter(|name| !lines.iter().any(|(line, _)| names_gate(config, name, line)))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                let message = format!(
                    "the validation gate of {} does not name {} (required: {})",
                    stream.id,
                    missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
                    config.spec.required_gates.join(", ")
                );
                out.push(at(RULE_ID, &doc.path, range, message));
            }
            let lint_required = config.spec.required_gates.iter().any(|g| g == "lint");
            let lint_lines: Vec<&(String, std::ops::Range<usize>)> =
                lines.iter().filter(|(line, _)| names_gate(config, "lint", line)).collect();
            let strict = |line: &str| {
                let lower = line.to_ascii_lowercase();
                config.spec.lint_strict_flags.iter().any(|f| lower.contains(&f.to_ascii_lowercase()))
            };
            if lint_required && !lint_lines.is_empty() && !lint_lines.iter().any(|(line, _)| strict(line)) {
                let (line, range) = lint_lines[0];
                let range = if stream.validation_gate.is_some() { range.clone() } else { stream.id_range.clone() };
                // Quote the command: its code span when the line has one, else the line.
                let command = crate::plan::markdown::code_spans_in(line)
                    .into_iter()
                    .map(|r| &line[r])
                    .find(|c| names_gate(config, "lint", c))
                    .unwrap_or_else(|| crate::plan::markdown::strip_list_marker(line).trim_start_matches("[ ]").trim());
                let message = format!(
                    "the lint gate of {} allows warnings (`{command}`): add `--max-warnings=0` so warnings fail the gate before handoff",
                    stream.id
                );
                out.push(at(RULE_ID, &doc.path, range, message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_names_are_words() {
        let c = Config::default();
        assert!(names_gate(&c, "lint", "npm run lint -- --max-warnings=0"));
        assert!(names_gate(&c, "lint", "- [ ] `npx eslint .` passes"));
        assert!(!names_gate(&c, "lint", "linting is nice"));
        assert!(names_gate(&c, "type-check", "npx tsc --noEmit"));
        assert!(!names_gate(&c, "type-check", "update tsconfig.json"));
        assert!(names_gate(&c, "test", "npm run test:unit"));
        assert!(names_gate(&c, "test", "- [ ] Unit tests pass"));
        assert!(!names_gate(&c, "test", "npm run type-check"));
        assert!(!names_gate(&c, "test", "attestation signed"));
        assert!(names_gate(&c, "e2e", "npm run e2e"));
    }
}
