//! `patterns/` — project conventions for data transfer objects.

pub mod dto_interface;
pub mod dto_type_assertion;

use crate::config::PatternsConfig;

/// True when `name` ends with a configured DTO suffix and is longer than it.
pub fn is_dto_name(name: &str, config: &PatternsConfig) -> bool {
    config.dto_suffixes.iter().any(|s| !s.is_empty() && name.len() > s.len() && name.ends_with(s.as_str()))
}

/// True when the project's own linter is told to let the statement at `start` through for a DTO
/// rule of its own: an `eslint-disable-next-line` (or `biome-ignore`) comment on the line before,
/// or an `eslint-disable-line` comment on the same line, naming a rule whose name mentions `dto`
/// (`custom-rules/no-manual-dto-interfaces -- RPC response`). Such a project has adopted a DTO
/// convention and marked this place as a deliberate exception to it; repeating the finding would
/// only be noise.
pub fn exempted_by_project_lint(text: &str, start: usize) -> bool {
    let line_start = text[..start.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
    let same_line = &text[line_start..line_end];
    let previous = text[..line_start.saturating_sub(1)]
        .rsplit_once('\n')
        .map_or(&text[..line_start.saturating_sub(1)], |(_, l)| l);
    let names_dto_rule = |comment: &str| comment.to_ascii_lowercase().contains("dto");
    let directive = |line: &str, markers: &[&str]| {
        markers.iter().any(|m| line.find(m).is_some_and(|at| names_dto_rule(&line[at + m.len()..])))
    };
    directive(previous.trim_start(), &["eslint-disable-next-line", "biome-ignore"])
        || directive(same_line, &["eslint-disable-line"])
}

/// True when the doc comment (`/** … */`) right before the statement at `start` documents the
/// type as the result of a database function called over RPC (`RPC response`, `RPC result`,
/// `RPC return`, any case). Such a shape is the return of a Postgres function, not a table row,
/// so it cannot be derived from the generated table types; projects that derive their DTOs mark
/// it as their one sanctioned hand-written kind.
pub fn documented_rpc_result(text: &str, start: usize) -> bool {
    let before = text[..start.min(text.len())].trim_end();
    let Some(body) = before.strip_suffix("*/") else { return false };
    let Some(open) = body.rfind("/**") else { return false };
    let comment = body[open + 3..].to_ascii_lowercase();
    let mut rest = comment.as_str();
    while let Some(at) = rest.find("rpc") {
        let word_start = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
        let after = rest[at + 3..].trim_start_matches([' ', '\t', '\n', '\r', '*']);
        if word_start
            && rest[at + 3..].starts_with(|c: char| c.is_whitespace())
            && ["response", "result", "return"].iter().any(|w| after.starts_with(w))
        {
            return true;
        }
        rest = &rest[at + 3..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{documented_rpc_result, exempted_by_project_lint};

    #[test]
    fn a_type_documented_as_an_rpc_result_is_recognised() {
        let text =
            "/**\n * Totals of a day.\n * RPC response from compute_totals.\n */\nexport interface TotalsDTO {}\n";
        assert!(documented_rpc_result(text, text.find("export").unwrap()));
        let result = "/** The grpc result cache. */\nexport interface CacheDTO {}\n";
        assert!(!documented_rpc_result(result, result.find("export").unwrap()));
        let plain = "/** A row of the users table. */\nexport interface UserDTO {}\n";
        assert!(!documented_rpc_result(plain, plain.find("export").unwrap()));
        let line = "// RPC response\nexport interface LineDTO {}\n";
        assert!(!documented_rpc_result(line, line.find("export").unwrap()));
        let far = "/** RPC response. */\nconst x = 1;\nexport interface FarDTO {}\n";
        assert!(!documented_rpc_result(far, far.find("export").unwrap()));
    }

    #[test]
    fn a_project_lint_exception_for_a_dto_rule_is_honoured() {
        let text =
            "// eslint-disable-next-line custom/no-manual-dto-interfaces -- RPC response\nexport interface ADTO {}\n";
        assert!(exempted_by_project_lint(text, text.find("export").unwrap()));
        let same = "const a = b as ADTO; // eslint-disable-line local/no-dto-type-assertions\n";
        assert!(exempted_by_project_lint(same, same.find("b as").unwrap()));
        let other = "// eslint-disable-next-line no-console\nexport interface ADTO {}\n";
        assert!(!exempted_by_project_lint(other, other.find("export").unwrap()));
        let far = "// eslint-disable-next-line x/no-dto-things\n\nexport interface ADTO {}\n";
        assert!(!exempted_by_project_lint(far, far.find("export").unwrap()));
        assert!(!exempted_by_project_lint("export interface ADTO {}", 0));
    }
}
