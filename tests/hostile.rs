//! Hostile workspaces (issue #10) through the built `baton check`: symlink loops and links out of
//! the workspace, odd file names, huge and deeply nested files, invalid UTF-8 in every file kind,
//! handoffs naming paths outside the workspace, thousands of migrations, an oversized
//! `baton.toml`. Each gets a clear finding or error; none crashes, hangs or reads outside.
//! The same workspace is opened in the language server by `tests/lsp/abuse.rs`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::hostile_workspace;
use serde_json::Value;

fn check(root: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["check", "--format", "json", "--no-cache"])
        .args(extra)
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `(rule, path)` of every diagnostic.
fn found(report: &Value) -> Vec<(String, String)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["rule"].as_str().unwrap().to_string(), d["path"].as_str().unwrap().to_string()))
        .collect()
}

fn has(found: &[(String, String)], rule: &str, path: &str) -> bool {
    found.iter().any(|(r, p)| r == rule && p == path)
}

#[test]
fn a_hostile_workspace_is_analysed_with_clear_findings() {
    let dir = tempfile::tempdir().unwrap();
    let layout = hostile_workspace(dir.path());
    let output = check(&layout.root, &[]);
    let report = report(&output);
    let found = found(&report);
    assert_eq!(output.status.code(), Some(1), "findings exit 1: {}", String::from_utf8_lossy(&output.stderr));

    // Nothing outside the workspace is read: the linked folder and file hold findings that must
    // not appear, under any path.
    assert!(found.iter().all(|(_, p)| !p.contains("outside") && !p.starts_with("..")), "{found:?}");
    // The symlink loop is not followed (each file appears once).
    let mut paths: Vec<&str> = found.iter().map(|(_, p)| p.as_str()).collect();
    paths.dedup();
    assert!(paths.iter().all(|p| !p.contains("loop/")), "{paths:?}");

    // Odd names are analysed and reported under their names.
    for name in &layout.odd_names {
        assert!(has(&found, "sql/rls-disabled-in-public", name), "{name}: {found:?}");
    }
    // Huge files are skipped with a notice; a long one is analysed to its last line.
    assert!(has(&found, "meta/file-too-large", "supabase/migrations/20240104000000_huge.sql"), "{found:?}");
    let long = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "lib/long.ts" && d["rule"] == "security/prisma-raw-unsafe")
        .unwrap_or_else(|| panic!("no finding at the end of the 100,000-line file: {found:?}"));
    assert_eq!(long["range"]["start"]["line"], 100_000, "{long}");
    // Deep nesting: a snapshot nested 10,000 deep is an invalid handoff, not a stack overflow;
    // the deeply nested code files are analysed without findings of their own.
    assert!(has(&found, "handoff/invalid", ".claude/context/snapshot-9.json"), "{found:?}");
    for deep in &layout.deep_code {
        assert!(!found.iter().any(|(_, p)| p == deep), "{deep}: {found:?}");
    }
    for deep in ["supabase/migrations/20240106000000_deep.sql", "supabase/migrations/20240106000001_chain.sql"] {
        assert!(has(&found, "meta/file-too-large", deep), "{deep}: {found:?}");
    }
    // Invalid UTF-8 in every file kind: a notice, and the rest of the file still analysed.
    for path in &layout.invalid_utf8 {
        assert!(has(&found, "meta/invalid-utf8", path), "{path}: {found:?}");
    }
    assert!(has(&found, "sql/rls-disabled-in-public", "supabase/migrations/20240105000000_latin1.sql"));
    // Handoff paths that leave the workspace are reported, never read; an absolute path too.
    let messages: Vec<(&str, &str)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == ".claude/handoff/ws1-escape-complete.signal")
        .map(|d| (d["rule"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    for path in ["../../etc/passwd", "../outside/20240101000000_secret.sql"] {
        assert!(
            messages.contains(&(
                "handoff/missing-file",
                &*format!(
                    "`{path}` leaves the workspace: handoffs name files inside it (Baton does not read the path)"
                )
            )),
            "{path}: {messages:?}"
        );
    }
    assert!(
        messages
            .iter()
            .any(|(rule, m)| *rule == "handoff/invalid" && m.starts_with("`/etc/passwd` is an absolute path")),
        "{messages:?}"
    );
    // 5,000 migrations: replayed in order, so only the one table never secured is reported.
    let many: Vec<&(String, String)> =
        found.iter().filter(|(_, p)| p.starts_with("supabase/migrations/2025")).collect();
    assert_eq!(many.len(), 1, "{many:?}");
    assert_eq!(many[0].0, "sql/rls-disabled-in-public");
    assert!(report["files_scanned"].as_u64().unwrap() > 5_000, "{}", report["files_scanned"]);
}

/// A 2.5 KB TSX file found by fuzzing on which tree-sitter's error recovery ran for minutes: the
/// parse is given up after `PARSE_TIME_LIMIT`, the file gets a notice saying so, and the rest of
/// the workspace is analysed as usual. Nothing in this file can match a rule's condition, so
/// `baton check`'s prefilter does not parse it at all (no notice: nothing in it was missed);
/// the parse limit is checked with every file parsed (`BATON_NO_PREFILTER=1`), as it is for a
/// file some rule needs and in the editor.
#[test]
fn a_file_whose_error_recovery_takes_minutes_is_reported_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("components")).unwrap();
    std::fs::create_dir_all(root.join("lib")).unwrap();
    let stall = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile-inputs/tsx-error-recovery-stall.tsx.bin"),
    )
    .unwrap();
    std::fs::write(root.join("components/Stall.tsx"), stall).unwrap();
    std::fs::write(
        root.join("lib/raw.ts"),
        "import { prisma } from \"./db\";\nexport const all = (t: string) => prisma.$queryRawUnsafe(`SELECT * FROM ${t}`);\n",
    )
    .unwrap();
    let stall_notices = |report: &Value| -> Vec<String> {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["path"] == "components/Stall.tsx" && d["rule"] == "meta/file-too-large")
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect()
    };
    // Every file parsed: the stalled parse is given up and said.
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["check", "--format", "json", "--no-cache"])
        .arg(root)
        .env("NO_COLOR", "1")
        .env("BATON_NO_PREFILTER", "1")
        .output()
        .unwrap();
    let every = report(&output);
    let notices = stall_notices(&every);
    assert_eq!(notices.len(), 1, "{every}");
    assert!(notices[0].starts_with("tree-sitter's error recovery did not finish parsing this file"), "{notices:?}");
    assert!(has(&found(&every), "security/prisma-raw-unsafe", "lib/raw.ts"), "{every}");
    // With the prefilter (the default): the file no rule can fire on is not parsed.
    let default = report(&check(root, &[]));
    assert!(stall_notices(&default).is_empty(), "{default}");
    assert!(has(&found(&default), "security/prisma-raw-unsafe", "lib/raw.ts"), "{default}");
}

/// The human format cuts the code frames of very long lines: a minified or generated file must
/// not print megabytes.
#[test]
fn human_code_frames_of_huge_lines_stay_narrow() {
    let dir = tempfile::tempdir().unwrap();
    let wide = format!("create table public.wide (id int primary key, note text default '{}');\n", "x".repeat(100_000));
    std::fs::create_dir_all(dir.path().join("supabase/migrations")).unwrap();
    std::fs::write(dir.path().join("supabase/migrations/20240101000000_wide.sql"), wide).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["check", "--no-cache"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("sql/rls-disabled-in-public"), "{text}");
    let widest = text.lines().map(str::len).max().unwrap();
    assert!(widest < 200, "a {widest}-byte line in the human output");
}

#[test]
fn an_oversized_baton_toml_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("[rules]\n\"sql/no-primary-key\" = \"off\"\n");
    while text.len() < 10 * 1024 * 1024 {
        text.push_str("# a comment line that pads the configuration file to ten megabytes .......\n");
    }
    std::fs::write(dir.path().join("baton.toml"), text).unwrap();
    let output = check(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("baton.toml") && stderr.contains("up to 1 MB"), "{stderr}");
    // The near miss: the same settings in a normal-sized file are read.
    std::fs::write(dir.path().join("baton.toml"), "[rules]\n\"sql/no-primary-key\" = \"off\"\n").unwrap();
    assert_eq!(check(dir.path(), &[]).status.code(), Some(0));
}

#[test]
fn deeply_nested_configuration_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let nested = format!("[rules]\nx = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    std::fs::write(dir.path().join("baton.toml"), nested).unwrap();
    let output = check(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("baton.toml:2:"), "{stderr}");
}

#[test]
fn invalid_utf8_in_baton_toml_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baton.toml"), b"# caf\xe9\n[rules]\n").unwrap();
    let output = check(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("baton.toml") && stderr.contains("not valid UTF-8"), "{stderr}");
}

/// Issue #26, item 1: `baton check` reads the git state once evidence exists; a repository whose
/// configuration names a program (fsmonitor, a clean filter, a textconv driver) must not get it
/// run. The program would create a marker and then block: the check must finish, marker-free.
#[test]
fn git_never_runs_a_program_the_repository_configures() {
    for program in common::GIT_PROGRAMS {
        let dir = tempfile::tempdir().unwrap();
        let marker = common::git_repo_naming_a_program(dir.path(), program);
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["check", "--format", "json"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if std::time::Instant::now() > deadline || marker.exists() {
                child.kill().unwrap();
                child.wait().unwrap();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(!marker.exists(), "{program:?}: git ran the repository's program");
        assert!(status.is_some(), "{program:?}: baton check hung on the repository's program");
    }
}
