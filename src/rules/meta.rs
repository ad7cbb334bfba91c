//! `meta/` — Baton's own notices: configuration, suppressions, files it could not read well.

use crate::rules::{Matcher, Rule, Severity};

/// The meta rules.
pub fn rules() -> Vec<Rule> {
    vec![
        Rule {
            id: "meta/unused-suppression",
            default_severity: Severity::Hint,
            kinds: &[],
            summary: "A baton-ignore comment that suppresses nothing",
            doc: include_str!("../../docs/rules/meta/unused-suppression.md"),
            matcher: Matcher::Builtin,
        },
        Rule {
            id: "meta/file-too-large",
            default_severity: Severity::Info,
            kinds: &[],
            summary: "A file over the size limit, which is not analyzed",
            doc: include_str!("../../docs/rules/meta/file-too-large.md"),
            matcher: Matcher::Builtin,
        },
        Rule {
            id: "meta/invalid-utf8",
            default_severity: Severity::Warning,
            kinds: &[],
            summary: "A file that is not valid UTF-8, analyzed with the bad bytes replaced",
            doc: include_str!("../../docs/rules/meta/invalid-utf8.md"),
            matcher: Matcher::Builtin,
        },
        Rule {
            id: "meta/unreadable",
            default_severity: Severity::Error,
            kinds: &[],
            summary: "A file or folder Baton could not read, so nothing in it was checked",
            doc: include_str!("../../docs/rules/meta/unreadable.md"),
            matcher: Matcher::Builtin,
        },
        Rule {
            id: "meta/invalid-front-matter",
            default_severity: Severity::Warning,
            kinds: &[],
            summary: "A Markdown document whose YAML front matter does not parse (what follows the error is not read)",
            doc: include_str!("../../docs/rules/meta/invalid-front-matter.md"),
            matcher: Matcher::Builtin,
        },
        Rule {
            id: "meta/config",
            default_severity: Severity::Error,
            kinds: &[],
            summary: "An invalid baton.toml: unknown key, wrong type or unknown rule",
            doc: include_str!("../../docs/rules/meta/config.md"),
            matcher: Matcher::Builtin,
        },
    ]
}
