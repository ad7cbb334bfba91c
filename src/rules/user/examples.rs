//! `baton rules test`: every rule's examples as tests, user rules and built-ins by the same
//! mechanism. A user rule's `[[examples]]` declare bad code (exactly the declared findings, and
//! the text after its fixes) and good code (no finding of the rule); a built-in's are the fenced
//! blocks of its documentation's "Example" (bad) and "Use instead" (good) sections.

use std::path::Path;

use super::{examples_of, Example, ExampleKind};
use crate::config::Config;
use crate::engine::apply_edits;
use crate::rules::Rule;
use crate::syntax::{Document, FileKind};
use crate::workspace::Workspace;

/// One example of one rule, ready to check.
#[derive(Clone)]
pub struct Case {
    /// The rule under test.
    pub rule: &'static Rule,
    /// Bad or good.
    pub kind: ExampleKind,
    /// Which example, for messages (`bad example 2`).
    pub label: String,
    /// The files of the one-file (or few-file) workspace: path, kind, text. The first is the
    /// example's own file.
    pub files: Vec<(String, FileKind, String)>,
    /// Bad examples: the 1-based lines findings must start on (`None`: at least one finding).
    pub lines: Option<Vec<u32>>,
    /// The example's file after every fix of the rule is applied.
    pub fixed: Option<String>,
}

/// The examples of a rule: its `[[examples]]` for a user rule, its documentation's blocks for a
/// built-in.
pub fn cases(rule: &'static Rule) -> Vec<Case> {
    if rule.is_user() {
        let mut counts = [0, 0];
        examples_of(rule).iter().map(|e| user_case(rule, e, &mut counts)).collect()
    } else {
        let mut out = Vec::new();
        for (heading, kind) in [("Example", ExampleKind::Bad), ("Use instead", ExampleKind::Good)] {
            for (i, (info, code)) in doc_blocks(rule.doc, heading).into_iter().enumerate() {
                if let Some(files) = split_files(info, &code) {
                    let label = format!("\"{heading}\" block {}", i + 1);
                    out.push(Case { rule, kind, label, files, lines: None, fixed: None });
                }
            }
        }
        out
    }
}

fn user_case(rule: &'static Rule, example: &Example, counts: &mut [usize; 2]) -> Case {
    let slot = usize::from(example.kind == ExampleKind::Good);
    counts[slot] += 1;
    let name = if slot == 0 { "bad" } else { "good" };
    let kind = FileKind::from_path(&example.path).unwrap_or(FileKind::TypeScript);
    let info = format!("{} {}", kind.short_name(), example.path);
    let files =
        split_files(&info, &example.code).unwrap_or_else(|| vec![(example.path.clone(), kind, example.code.clone())]);
    Case {
        rule,
        kind: example.kind,
        label: format!("{name} example {}", counts[slot]),
        files,
        lines: example.lines.clone(),
        fixed: example.fixed.clone(),
    }
}

/// Checks one case under `config` (its severity overrides ignored: an example tests the rule,
/// whatever the workspace switched off). `Err` says what differs, with a diff.
pub fn run(case: &Case, config: &Config) -> Result<(), String> {
    let mut config = config.clone();
    config.rules.clear();
    let docs: Vec<Document> =
        case.files.iter().map(|(path, kind, text)| Document::parse(path.clone(), *kind, text.clone())).collect();
    let workspace = Workspace::from_documents(Path::new("/example"), config, docs);
    let findings: Vec<_> = workspace.check(|_| true).into_iter().filter(|f| f.finding.rule == case.rule.id).collect();
    let line_of =
        |path: &str, offset: usize| -> u32 { workspace.document(path).map_or(0, |d| d.line_index.line_of(offset) + 1) };
    let found: Vec<(String, u32)> =
        findings.iter().map(|f| (f.path.clone(), line_of(&f.path, f.finding.range.start))).collect();
    let describe = |list: &[(String, u32)]| -> String {
        if list.is_empty() {
            return "none".into();
        }
        list.iter().map(|(p, l)| format!("{p}:{l}")).collect::<Vec<_>>().join(", ")
    };
    match case.kind {
        ExampleKind::Good => {
            if !found.is_empty() {
                return Err(format!("expected no finding, found {}", describe(&found)));
            }
        }
        ExampleKind::Bad => {
            match &case.lines {
                None if found.is_empty() => return Err("expected a finding, found none".into()),
                None => {}
                Some(lines) => {
                    let main = &case.files[0].0;
                    let mut expected: Vec<(String, u32)> = lines.iter().map(|l| (main.clone(), *l)).collect();
                    let mut actual = found.clone();
                    expected.sort();
                    actual.sort();
                    if expected != actual {
                        return Err(format!(
                            "expected findings at {}, found {}",
                            describe(&expected),
                            describe(&actual)
                        ));
                    }
                }
            }
            if let Some(fixed) = &case.fixed {
                let (main, _, text) = &case.files[0];
                let mut edits = Vec::new();
                for finding in &findings {
                    if let Some(fix) = finding.finding.fixes.iter().find(|f| !f.choice) {
                        // Fixes whose edits overlap an earlier fix's are left for a second pass,
                        // as an editor's "fix all" does.
                        let overlaps = fix.edits.iter().any(|e| {
                            edits.iter().any(|o: &crate::engine::TextEdit| {
                                o.path == e.path
                                    && o.range.start < e.range.end.max(e.range.start + 1)
                                    && e.range.start < o.range.end.max(o.range.start + 1)
                            })
                        });
                        if !overlaps {
                            edits.extend(fix.edits.iter().cloned());
                        }
                    }
                }
                let actual = apply_edits(text, main, &edits);
                if &actual != fixed {
                    return Err(format!("the fixed text differs (- expected, + actual):\n{}", diff(fixed, &actual)));
                }
            }
        }
    }
    Ok(())
}

/// A line diff of `expected` and `actual` (`-` expected, `+` actual).
pub fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// The fenced code blocks under a heading of a rule's documentation: (info string, code).
pub fn doc_blocks<'d>(doc: &'d str, heading: &str) -> Vec<(&'d str, String)> {
    let Some(start) = doc.find(&format!("## {heading}\n")) else { return Vec::new() };
    let section = &doc[start + heading.len() + 4..];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        // The section ends at the next `## ` heading outside a code block.
        if line.starts_with("## ") {
            break;
        }
        // A fence of N backticks closes with N backticks (Markdown examples nest ``` in ````).
        let fence = line.bytes().take_while(|&b| b == b'`').count();
        if fence >= 3 {
            let (marker, lang) = line.split_at(fence);
            let body: Vec<&str> =
                lines.by_ref().take_while(|l| !l.starts_with(marker) || l[fence..].starts_with('`')).collect();
            blocks.push((lang.trim(), body.join("\n") + "\n"));
        }
    }
    blocks
}

/// The files of an example. The info string is the language, optionally followed by the
/// example's path (`ts app/api/runs/route.ts`). A SQL example may span several migrations (a
/// line `-- migration: NAME` starts the next file); others several files (`// file: PATH`).
/// `None` for a block that is not code Baton reads (a `toml` block, prose).
pub fn split_files(info: &str, code: &str) -> Option<Vec<(String, FileKind, String)>> {
    let mut words = info.split_whitespace();
    let lang = words.next().unwrap_or("");
    let (default_path, kind) = match lang {
        "ts" | "typescript" => ("src/example.ts", FileKind::TypeScript),
        "tsx" => ("src/example.tsx", FileKind::Tsx),
        "js" | "jsx" | "mjs" | "cjs" => ("src/example.js", FileKind::JavaScript),
        "sql" => ("supabase/migrations/0001_example.sql", FileKind::Sql),
        "md" | "markdown" => ("docs/example.md", FileKind::Markdown),
        _ => match words.clone().next().and_then(FileKind::from_path) {
            Some(kind) => ("", kind),
            None => return None,
        },
    };
    let path = words.next().unwrap_or(default_path);
    let kind = FileKind::from_path(path).unwrap_or(kind);
    let mut files = Vec::new();
    let (mut current_path, mut current, mut current_kind) = (path.to_string(), String::new(), kind);
    for line in code.lines() {
        let next_file = match line.strip_prefix("-- migration: ").filter(|_| kind == FileKind::Sql) {
            Some(name) => Some((format!("supabase/migrations/{}", name.trim()), kind)),
            None => line
                .strip_prefix("// file: ")
                .filter(|_| kind != FileKind::Sql)
                .and_then(|p| FileKind::from_path(p.trim()).map(|k| (p.trim().to_string(), k))),
        };
        match next_file {
            Some((next_path, next_kind)) => {
                files.push((current_path, current_kind, std::mem::take(&mut current)));
                (current_path, current_kind) = (next_path, next_kind);
            }
            None => {
                current.push_str(line);
                current.push('\n');
            }
        }
    }
    // A code example keeps its text exactly (a fix's expected text compares byte for byte).
    if files.is_empty() {
        return Some(vec![(current_path, current_kind, code.to_string())]);
    }
    files.push((current_path, current_kind, current));
    Some(files)
}

/// The outcome of `baton rules test` for a set of rules.
#[derive(Default)]
pub struct Report {
    /// Examples that passed.
    pub passed: usize,
    /// (rule id, example label, what differs).
    pub failed: Vec<(&'static str, String, String)>,
    /// Rules without any example.
    pub without_examples: Vec<&'static str>,
}

/// Runs the examples of `rules` under `config`.
pub fn test_rules(rules: &[&'static Rule], config: &Config) -> Report {
    use rayon::prelude::*;
    let mut report = Report::default();
    type Outcomes = Vec<(String, Result<(), String>)>;
    let results: Vec<(&'static Rule, Outcomes)> = rules
        .par_iter()
        .map(|rule| (*rule, cases(rule).iter().map(|c| (c.label.clone(), run(c, config))).collect()))
        .collect();
    for (rule, outcomes) in results {
        if outcomes.is_empty() {
            report.without_examples.push(rule.id);
        }
        for (label, outcome) in outcomes {
            match outcome {
                Ok(()) => report.passed += 1,
                Err(why) => report.failed.push((rule.id, label, why)),
            }
        }
    }
    report
}
