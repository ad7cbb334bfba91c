//! The TS/JS rule pack on a corpus of realistic application code (`tests/corpus/ts/`): a Next.js
//! app with higher-order auth wrappers, a Supabase app, a Prisma app with RLS wrappers and one
//! without. Every intended finding is marked in the code with a trailing
//! `// expect: rule/id[, rule/id …]` on the line where it starts; the test reports findings
//! without a mark (false positives) and marks without a finding (false negatives) and pins the
//! per-rule counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use baton::config::Config;
use baton::workspace::Workspace;

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/ts")
}

/// (app/path, 1-based line, rule).
type Located = (String, usize, String);

/// Every finding and every expectation of the corpus.
fn findings_and_expectations() -> (Vec<Located>, Vec<Located>) {
    let mut found = Vec::new();
    let mut expected = Vec::new();
    let mut apps: Vec<PathBuf> =
        std::fs::read_dir(corpus_root()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    apps.sort();
    for app in apps {
        let app_name = app.file_name().unwrap().to_string_lossy().into_owned();
        let config = match Config::discover(&app).filter(|p| p.starts_with(&app)) {
            Some(path) => Config::load(&path).unwrap(),
            None => Config::default(),
        };
        let workspace = Workspace::load(&app, config);
        for f in workspace.check(|_| true) {
            let doc = workspace.document(&f.path).unwrap();
            let line = doc.line_index.line_of(f.finding.range.start) as usize + 1;
            found.push((format!("{app_name}/{}", f.path), line, f.finding.rule.to_string()));
        }
        for doc in &workspace.documents {
            for (i, text) in doc.text.lines().enumerate() {
                if let Some((_, rules)) = text.split_once("// expect: ") {
                    for rule in rules.split(',') {
                        expected.push((format!("{app_name}/{}", doc.path), i + 1, rule.trim().to_string()));
                    }
                }
            }
        }
    }
    found.sort();
    expected.sort();
    (found, expected)
}

#[test]
fn corpus_findings_are_exactly_the_marked_ones() {
    let (found, expected) = findings_and_expectations();
    let mut unmatched_expected = expected.clone();
    let mut false_positives = Vec::new();
    for f in &found {
        match unmatched_expected.iter().position(|e| e == f) {
            Some(i) => {
                unmatched_expected.remove(i);
            }
            None => false_positives.push(f.clone()),
        }
    }
    assert!(false_positives.is_empty(), "findings without an `expect` mark (false positives): {false_positives:#?}");
    assert!(unmatched_expected.is_empty(), "marked but not found (false negatives): {unmatched_expected:#?}");
}

#[test]
fn corpus_counts_per_rule_are_pinned() {
    let (found, _) = findings_and_expectations();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, rule) in &found {
        *counts.entry(rule.as_str()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = [
        ("auth/jwt-verify-no-algorithms", 1),
        ("auth/route-missing-auth", 4),
        ("errors/floating-promise", 3),
        ("patterns/dto-interface", 1),
        ("patterns/dto-type-assertion", 1),
        ("rls/prisma-outside-context", 2),
        ("rls/supabase-service-role", 2),
        ("security/prisma-raw-unsafe", 2),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, expected);
}
