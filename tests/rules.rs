//! Rule fixtures and documentation examples.
//!
//! `tests/fixtures/<family>/<rule>/<scenario>/` is a small workspace. In it, every file whose
//! name contains `bad` must get at least one finding of the rule, every file whose name contains
//! `good` none; the exact findings of the scenario are snapshot-tested. Every quick fix is applied
//! and the workspace re-checked: the finding must be gone and nothing new may appear.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use baton::config::Config;
use baton::engine::apply_edits;
use baton::rules;
use baton::syntax::Document;
use baton::workspace::{FileFinding, Workspace};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every scenario directory: (rule id, scenario name, path).
fn scenarios() -> Vec<(String, String, PathBuf)> {
    let mut found = Vec::new();
    for family in read_dirs(&fixtures_root()) {
        for rule in read_dirs(&family) {
            let id = format!("{}/{}", name(&family), name(&rule));
            for scenario in read_dirs(&rule) {
                found.push((id.clone(), name(&scenario), scenario));
            }
        }
    }
    found
}

fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn load(dir: &Path) -> Workspace {
    let config = match Config::discover(dir).filter(|p| p.starts_with(dir)) {
        Some(path) => Config::load(&path).unwrap(),
        None => Config::default(),
    };
    Workspace::load(dir, config)
}

/// One line per finding: `path:line:col rule: message [fix titles]`.
fn describe(workspace: &Workspace, findings: &[FileFinding]) -> String {
    let mut out = String::new();
    for f in findings {
        let doc = workspace.document(&f.path).unwrap();
        let pos = doc.line_index.position(&doc.text, f.finding.range.start, baton::line_index::ColumnEncoding::Utf16);
        let fixes: Vec<&str> = f.finding.fixes.iter().map(|x| x.title.as_str()).collect();
        out.push_str(&format!(
            "{}:{}:{} {} [{}]: {}\n    fixes: {:?}\n",
            f.path,
            pos.line + 1,
            pos.character + 1,
            f.finding.rule,
            f.finding.severity.as_str(),
            f.finding.message,
            fixes
        ));
    }
    out
}

#[test]
fn fixtures_match_expectations_and_snapshots() {
    let scenarios = scenarios();
    assert!(!scenarios.is_empty());
    for (rule_id, scenario, dir) in scenarios {
        assert!(rules::find(&rule_id).is_some(), "fixture folder names unknown rule {rule_id}");
        let workspace = load(&dir);
        let findings = workspace.check(|_| true);
        let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.finding.rule == rule_id) {
            *per_file.entry(f.path.as_str()).or_default() += 1;
        }
        for doc in &workspace.documents {
            let file_name = doc.path.rsplit('/').next().unwrap();
            let count = per_file.get(doc.path.as_str()).copied().unwrap_or(0);
            if file_name.contains("bad") {
                assert!(count > 0, "{rule_id}/{scenario}: expected a finding in {}", doc.path);
            }
            if file_name.contains("good") {
                assert_eq!(
                    count,
                    0,
                    "{rule_id}/{scenario}: unexpected finding in {}:\n{}",
                    doc.path,
                    describe(&workspace, &findings)
                );
            }
        }
        let snapshot_name = format!("{}__{}", rule_id.replace('/', "__"), scenario);
        insta::assert_snapshot!(snapshot_name, describe(&workspace, &findings));
    }
}

/// `baton check --no-cache` (and `baton check -`) stream: each file is parsed, analysed under
/// guessed workspace facts and dropped, and analysed again only when the guess proves wrong
/// (`workspace::check_without_cache`). Its findings must equal those of the workspace loaded
/// whole and checked with complete facts, on every fixture scenario and every example, with every
/// file requested and with one.
#[test]
fn the_streaming_check_equals_the_whole_workspace_check() {
    let examples = read_dirs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"));
    let dirs: Vec<PathBuf> = scenarios().into_iter().map(|(_, _, dir)| dir).chain(examples).collect();
    for dir in dirs {
        let workspace = load(&dir);
        let whole = workspace.check(|_| true);
        let (_, streamed) = baton::workspace::check_without_cache(&dir, workspace.config.clone(), |_: &str| true);
        assert_eq!(streamed, whole, "{}: every file", dir.display());
        let Some(one) = workspace.documents.iter().map(|d| d.path.clone()).find(|p| p.ends_with(".ts")) else {
            continue;
        };
        let whole = workspace.check(|p| p == one);
        let (_, streamed) = baton::workspace::check_without_cache(&dir, workspace.config.clone(), |p: &str| p == one);
        assert_eq!(streamed, whole, "{}: only {one}", dir.display());
    }
}

#[test]
fn every_quick_fix_removes_its_finding_and_adds_nothing() {
    for (rule_id, scenario, dir) in scenarios() {
        let workspace = load(&dir);
        let findings = workspace.check(|_| true);
        for target in findings.iter().filter(|f| !f.finding.fixes.is_empty()) {
            for fix in &target.finding.fixes {
                let documents = workspace.documents.iter().map(|doc| {
                    let text = apply_edits(&doc.text, &doc.path, &fix.edits);
                    Document::parse(doc.path.clone(), doc.kind, text)
                });
                let fixed = Workspace::from_documents(&workspace.root, workspace.config.clone(), documents);
                let after = fixed.check(|_| true);
                let count = |list: &[FileFinding], path: &str, rule: &str| {
                    list.iter().filter(|f| f.path == path && f.finding.rule == rule).count()
                };
                let context =
                    format!("{rule_id}/{scenario}: fix `{}` for {}:{:?}", fix.title, target.path, target.finding.range);
                assert_eq!(
                    count(&after, &target.path, target.finding.rule),
                    count(&findings, &target.path, target.finding.rule) - 1,
                    "{context} did not remove exactly its finding:\n{}",
                    describe(&fixed, &after)
                );
                for f in &after {
                    assert!(
                        count(&findings, &f.path, f.finding.rule) >= count(&after, &f.path, f.finding.rule),
                        "{context} introduced {} in {}:\n{}",
                        f.finding.rule,
                        f.path,
                        describe(&fixed, &after)
                    );
                }
                for doc in &fixed.documents {
                    let before = workspace.document(&doc.path).unwrap();
                    assert!(
                        doc.syntax_errors().len() <= before.syntax_errors().len(),
                        "{context} broke the syntax of {}",
                        doc.path
                    );
                }
            }
        }
    }
}

// The fenced code blocks under a heading of a rule's documentation (the same reading as
// `baton rules test`).
use baton::rules::user::examples::{doc_blocks, split_files};

/// Analyzes one documentation example as a workspace of its files, split as `baton rules test`
/// splits them (`split_files`: the info string's language and optional path, `-- migration:` and
/// `// file:` lines); `None` for a block that is not code Baton reads.
fn check_example(info: &str, code: &str) -> Option<Vec<&'static str>> {
    let docs: Vec<Document> =
        split_files(info, code)?.into_iter().map(|(path, kind, text)| Document::parse(path, kind, text)).collect();
    let workspace = Workspace::from_documents(Path::new("/example"), Config::default(), docs);
    Some(workspace.check(|_| true).into_iter().map(|f| f.finding.rule).collect())
}

#[test]
fn documentation_examples_are_tests() {
    let mut checked = 0;
    for rule in rules::all() {
        for (lang, code) in doc_blocks(rule.doc, "Example") {
            if let Some(found) = check_example(lang, &code) {
                assert!(
                    found.contains(&rule.id),
                    "{}: the Example does not trigger the rule (got {found:?}):\n{code}",
                    rule.id
                );
                checked += 1;
            }
        }
        for (lang, code) in doc_blocks(rule.doc, "Use instead") {
            if let Some(found) = check_example(lang, &code) {
                // A Markdown example shows one concern of a plan document at a time: it must be
                // free of its own rule and of code findings, not of every other spec rule.
                let found: Vec<&str> = match lang.split_whitespace().next() {
                    Some("md" | "markdown") => {
                        found.into_iter().filter(|r| *r == rule.id || !r.starts_with("spec/")).collect()
                    }
                    _ => found,
                };
                assert!(found.is_empty(), "{}: the 'Use instead' example has findings {found:?}:\n{code}", rule.id);
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "only {checked} documentation examples were checked");
}

#[test]
fn config_examples_in_docs_are_checked_too() {
    let rule = rules::find("meta/config").unwrap();
    let bad = doc_blocks(rule.doc, "Example");
    let good = doc_blocks(rule.doc, "Use instead");
    assert!(Config::parse(&bad[0].1, None).is_err());
    assert!(Config::parse(&good[0].1, None).is_ok());
}

/// The TypeScript compiler the type-check of quick fixes runs: `$BATON_TSC`, else the copy
/// `scripts/test.sh` installs into `target/test-deps/typescript/`. `None` (the test is skipped)
/// only when `node` itself is missing.
fn tsc() -> Option<PathBuf> {
    if std::process::Command::new("node").arg("--version").output().is_err() {
        eprintln!("skipped: `node` is not installed, so quick fixes are not type-checked");
        return None;
    }
    let path = std::env::var_os("BATON_TSC").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-deps/typescript/package/lib/tsc.js")
    });
    assert!(path.is_file(), "{} is missing: run scripts/test.sh, which installs typescript from npm", path.display());
    Some(path)
}

/// The TypeScript errors of a workspace's TS/JS files, as `(path, code, message)` (positions
/// left out, so a fix that moves code keeps its errors comparable). Unresolvable packages stay
/// errors on both sides; `@/x` resolves to the workspace root, as the fixtures assume.
fn type_errors<'d>(tsc: &Path, documents: impl IntoIterator<Item = &'d Document>) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut paths = serde_json::Map::new();
    paths.insert("@/*".into(), serde_json::json!(["./*"]));
    let documents: Vec<&Document> = documents.into_iter().collect();
    for doc in &documents {
        // Workspace packages (`"name"` in a `package.json`) resolve to their folder's entry, as
        // a monorepo without `node_modules` needs.
        if doc.path == "package.json" || doc.path.ends_with("/package.json") {
            let folder = doc.path.strip_suffix("package.json").unwrap_or("");
            let manifest: serde_json::Value = serde_json::from_str(&doc.text).unwrap_or_default();
            if let Some(name) = manifest["name"].as_str() {
                let entries: Vec<String> = ["types", "main"]
                    .iter()
                    .filter_map(|k| manifest[*k].as_str().map(|e| format!("./{folder}{}", e.trim_start_matches("./"))))
                    .chain([format!("./{folder}src/index.ts"), format!("./{folder}index.ts")])
                    .collect();
                paths.insert(name.to_string(), serde_json::json!(entries));
            }
        }
    }
    for doc in documents.iter().filter(|d| d.kind.is_ecmascript()) {
        let path = dir.path().join(&doc.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, doc.text.as_bytes()).unwrap();
        files.push(doc.path.clone());
    }
    let config = serde_json::json!({
        "compilerOptions": {
            "noEmit": true, "skipLibCheck": true, "target": "es2022", "module": "esnext",
            "moduleResolution": "bundler", "allowJs": true, "jsx": "preserve", "strict": false,
            "baseUrl": ".", "paths": paths, "lib": ["es2022", "dom"]
        },
        "files": files,
    });
    std::fs::write(dir.path().join("tsconfig.json"), config.to_string()).unwrap();
    let output = std::process::Command::new("node")
        .arg(tsc)
        .args(["--project", "tsconfig.json", "--pretty", "false"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let mut errors: Vec<(String, String, String)> = text
        .lines()
        .filter_map(|line| {
            let (location, rest) = line.split_once("): error ")?;
            let path = location.rsplit_once('(')?.0.to_string();
            let (code, message) = rest.split_once(": ")?;
            Some((path, code.to_string(), message.to_string()))
        })
        .collect();
    errors.sort();
    errors
}

#[test]
fn every_quick_fix_type_checks() {
    let Some(tsc) = tsc() else { return };
    let mut checked = 0;
    let mut failures: Vec<String> = Vec::new();
    for (rule_id, scenario, dir) in scenarios() {
        let workspace = load(&dir);
        let findings = workspace.check(|_| true);
        let fixes: Vec<(&FileFinding, &baton::engine::Fix)> = findings
            .iter()
            .filter(|f| f.path.ends_with(".ts") || f.path.ends_with(".tsx") || f.path.ends_with(".js"))
            .flat_map(|f| f.finding.fixes.iter().map(move |fix| (f, fix)))
            .collect();
        if fixes.is_empty() {
            continue;
        }
        let before = type_errors(&tsc, workspace.documents.iter().map(|d| &**d));
        for (target, fix) in fixes {
            let documents: Vec<Document> = workspace
                .documents
                .iter()
                .map(|doc| Document::parse(doc.path.clone(), doc.kind, apply_edits(&doc.text, &doc.path, &fix.edits)))
                .collect();
            let after = type_errors(&tsc, &documents);
            let touched: Vec<&str> = fix.edits.iter().map(|e| e.path.as_str()).collect();
            for error in after.iter().filter(|e| touched.contains(&e.0.as_str())) {
                let count = |list: &[(String, String, String)]| list.iter().filter(|e| *e == error).count();
                if count(&after) > count(&before) {
                    failures.push(format!(
                        "{rule_id}/{scenario}: fix `{}` for {}:{:?} does not type-check: {} {}: {}",
                        fix.title, target.path, target.finding.range, error.0, error.1, error.2
                    ));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} quick fixes were type-checked");
    failures.dedup();
    assert!(failures.is_empty(), "{} quick fixes break the code:\n{}", failures.len(), failures.join("\n"));
}

/// Issue 23's "done when" behaviours of `auth/route-missing-auth`, on the monorepo fixture with
/// the default `[auth] wrappers` and `guards` (none names the fixture's wrappers): each asserted by
/// file and line, so none can be lost in a snapshot update.
#[test]
fn route_auth_done_when_behaviours() {
    let dir = fixtures_root().join("auth/route-missing-auth/monorepo");
    let workspace = load(&dir);
    let defaults = Config::default();
    assert_eq!(workspace.config.auth.wrappers, defaults.auth.wrappers);
    assert_eq!(workspace.config.auth.guards, defaults.auth.guards);
    let findings = workspace.check(|_| true);
    let lines = |path: &str| -> Vec<usize> {
        let mut lines: Vec<usize> = findings
            .iter()
            .filter(|f| f.path == path && f.finding.rule == "auth/route-missing-auth")
            .map(|f| {
                let doc = workspace.document(&f.path).unwrap();
                doc.line_index.line_of(f.finding.range.start) as usize + 1
            })
            .collect();
        lines.sort();
        lines
    };
    // A handler wrapped by a higher-order function of another workspace package
    // (`@acme/auth`, no node_modules) that calls `auth()` and stops before the handler.
    assert_eq!(lines("apps/web/app/api/links/route.ts"), Vec::<usize>::new());
    // The same kind of wrapper that reads the session but never stops a request, and one with no
    // guard at all.
    assert_eq!(lines("apps/web/app/api/logged/route.ts"), vec![6]);
    assert_eq!(lines("apps/web/app/api/traced/route.ts"), vec![5]);
    // A guard inside an `if` the caller can skip does not count (DELETE); an unchecked session
    // does not either (PATCH); a helper that throws without a session does (POST).
    assert_eq!(lines("apps/web/app/api/maybe/route.ts"), vec![11, 24]);
    // `export { handler as GET, handler as POST }`: one finding where the handler reaches data.
    assert_eq!(lines("apps/web/app/api/alias/route.ts"), vec![5]);
    // Server actions, in a `'use server'` file and inline.
    assert_eq!(lines("apps/web/app/actions/bad_actions.ts"), vec![7]);
    assert_eq!(lines("apps/web/app/bad_inline_action.tsx"), vec![7]);
    assert_eq!(lines("apps/web/app/actions/good_actions.ts"), Vec::<usize>::new());
}
