//! End-to-end tests of the built `baton` binary: exit codes, JSON fields, SARIF validity, the
//! human format, configuration errors, `rules` and `init`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{findings, write_file};
use serde_json::Value;

fn baton(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton")).args(args).current_dir(cwd).env("NO_COLOR", "1").output().unwrap()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn check_json(args: &[&str]) -> (Value, Output) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let output = baton(&all, &repo());
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)));
    (value, output)
}

#[test]
fn wor_321_json_reports_the_case_study_findings() {
    let (report, output) = check_json(&["examples/wor-321"]);
    assert_eq!(output.status.code(), Some(1), "errors fail the run by default");
    assert_eq!(report["version"], 1);
    let root = report["root"].as_str().unwrap();
    assert!(Path::new(root).is_absolute() && root.ends_with("examples/wor-321"), "{root}");
    assert!(report["files_scanned"].as_u64().unwrap() >= 15);
    let found = findings(&report);
    let has = |rule: &str, path: &str, line: u64| found.iter().any(|f| f.0 == rule && f.1 == path && f.2 == line);
    // Finding (1) of the retroactive review: direct Prisma calls in the verification script.
    assert!(has("rls/prisma-outside-context", "scripts/verify-all-migrations.ts", 45), "{found:?}");
    assert!(has("rls/prisma-outside-context", "scripts/verify-all-migrations.ts", 55), "{found:?}");
    assert!(has("rls/prisma-outside-context", "scripts/verify-all-migrations.ts", 76), "{found:?}");
    assert!(
        has("sql/rls-disabled-in-public", "supabase/migrations/20240201000000_validation_reports.sql", 4),
        "{found:?}"
    );
    // Finding (4): the full table scan on migration_status — `run_id` references
    // migration_runs (id) and no index starts with it.
    assert!(has("sql/unindexed-foreign-key", "supabase/migrations/20240101000000_init.sql", 31), "{found:?}");
    let init: Vec<_> = found.iter().filter(|f| f.1 == "supabase/migrations/20240101000000_init.sql").collect();
    assert_eq!(init.len(), 1, "only the missing index in the init migration: {init:?}");
    // Near misses stay silent.
    for quiet in [
        "scripts/seed-dev.ts",
        "app/api/migrations/status/route.ts",
        "lib/db/context.ts",
        "lib/services/migration-service.ts",
        "supabase/migrations/20240115000000_audit_log_rls.sql",
    ] {
        assert!(!found.iter().any(|f| f.1 == quiet), "unexpected finding in {quiet}: {found:?}");
    }
    // Sorted by path, then position, then rule.
    let keys: Vec<_> = found.iter().map(|f| (f.1.clone(), f.2)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Every diagnostic has the contract's fields.
    for d in report["diagnostics"].as_array().unwrap() {
        for field in ["rule", "severity", "path", "range", "message", "fixes"] {
            assert!(d.get(field).is_some(), "missing {field} in {d}");
        }
        assert!(["error", "warning", "info", "hint"].contains(&d["severity"].as_str().unwrap()));
        assert!(!d["path"].as_str().unwrap().contains('\\'));
        for fix in d["fixes"].as_array().unwrap() {
            assert!(fix["title"].is_string());
            for edit in fix["edits"].as_array().unwrap() {
                assert!(
                    edit["path"].is_string() && edit["new_text"].is_string() && edit["range"]["start"]["line"].is_u64()
                );
            }
        }
    }
}

#[test]
fn json_snapshot_of_wor_321() {
    let (report, _) = check_json(&["examples/wor-321"]);
    let mut report = report;
    report["root"] = Value::String("[root]".into());
    insta::assert_json_snapshot!("wor-321", report);
}

#[test]
fn ranges_count_utf16_code_units() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
    std::fs::write(dir.path().join("migrations/1.sql"), "-- 😀 emoji\n/* ü */ create table public.t (id int);\n")
        .unwrap();
    let output = baton(&["check", "--format", "json", "."], dir.path());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let start = &report["diagnostics"][0]["range"]["start"];
    assert_eq!((start["line"].as_u64(), start["character"].as_u64()), (Some(1), Some(8)));
}

/// The SARIF 2.1.0 schema, fetched by scripts/test.sh (from the npm package @microsoft/jest-sarif).
fn sarif_schema() -> Value {
    let path = std::env::var_os("BATON_SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/test-deps/sarif-schema-2.1.0.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("SARIF schema {} missing ({e}): run scripts/test.sh, which fetches it", path.display())
    });
    serde_json::from_str(&text).unwrap()
}

#[test]
fn sarif_output_validates_against_the_schema() {
    let output = baton(&["check", "--format", "sarif", "examples/wor-321"], &repo());
    assert_eq!(output.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "baton");
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let rule_ids: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rule_ids.len(), baton::rules::all().len());
    let (json, _) = check_json(&["examples/wor-321"]);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), json["diagnostics"].as_array().unwrap().len());
    // 1-based: the JSON's 0-based line 44 is SARIF's line 45.
    let first_json = &json["diagnostics"][0];
    let first = &results[0];
    assert_eq!(first["ruleId"], first_json["rule"]);
    let region = &first["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"].as_u64().unwrap(), first_json["range"]["start"]["line"].as_u64().unwrap() + 1);
    assert_eq!(
        region["startColumn"].as_u64().unwrap(),
        first_json["range"]["start"]["character"].as_u64().unwrap() + 1
    );
    // A rule index points at the right rule.
    let index = first["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rule_ids[index], first["ruleId"].as_str().unwrap());
}

#[test]
fn human_output_has_code_frames_and_a_summary_without_color_when_piped() {
    let output = baton(&["check", "examples/wor-321"], &repo());
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("error[rls/prisma-outside-context]"), "{text}");
    assert!(text.contains("--> scripts/verify-all-migrations.ts:45:"), "{text}");
    let frame_line = text.lines().find(|l| l.starts_with("45 |")).unwrap_or_else(|| panic!("{text}"));
    assert!(frame_line.ends_with("const latestRun = await prisma.migrationRun.findFirst({"), "{frame_line}");
    assert!(text.contains("^^^^"), "{text}");
    assert!(text.contains("help: fix available: Wrap in withSystemContext()"), "{text}");
    assert!(!text.contains('\u{1b}'), "no ANSI escapes when piped");
    // The summary line, then only configuration notes (issue 23, item 7).
    let mut lines = text.lines().skip_while(|l| !l.starts_with("Found "));
    let summary = lines.next().unwrap_or_else(|| panic!("{text}"));
    assert!(summary.contains(" errors") && summary.ends_with('.'), "{summary}");
    assert!(lines.all(|l| l.starts_with("note: ")), "{text}");
}

/// Control characters in file names and source text never reach the terminal raw (issue 26):
/// a newline in a name cannot forge a report line, ANSI/OSC escapes are shown escaped. Both
/// the fresh run and the stored report's replay.
#[test]
fn human_output_escapes_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
    let name = "1\nerror[forged]: \u{1b}[31mforged\u{1b}]0;title\u{7}.sql";
    let text = "create table t (id int); -- \u{1b}[2J\u{1b}]8;;http://x\u{7}link\u{9b}31m\r\n";
    std::fs::write(dir.path().join("migrations").join(name), text).unwrap();
    std::fs::write(dir.path().join("baton.toml"), "[sql]\nexposed_schemas = [\"public\"]\n").unwrap();
    for args in [&["check", "--no-cache"][..], &["check"], &["check"]] {
        let output = baton(args, dir.path());
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let out = stdout(&output);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{args:?}: a raw control character: {out:?}");
        assert!(!out.lines().any(|l| l.starts_with("error[forged]")), "{args:?}: a forged line: {out}");
        assert!(out.contains("1\\nerror[forged]: \\x1b[31mforged\\x1b]0;title\\x07.sql"), "{args:?}: {out}");
        assert!(out.contains("-- \\x1b[2J\\x1b]8;;http://x\\x07link\\u{9b}31m"), "{args:?}: {out}");
        assert!(out.contains("^^^^"), "{args:?}: the frame is still underlined: {out}");
    }
}

#[test]
fn fail_on_controls_the_exit_status() {
    let (_, output) = check_json(&["examples/wor-321", "--fail-on", "never"]);
    assert_eq!(output.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baton.toml"),
        "[rules]\n\"sql/rls-disabled-in-public\" = \"warning\"\n[sql]\nexposed_schemas = [\"public\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
    std::fs::write(dir.path().join("migrations/1.sql"), "create table t (id int);\n").unwrap();
    assert_eq!(baton(&["check", "."], dir.path()).status.code(), Some(0), "a warning does not fail by default");
    assert_eq!(baton(&["check", ".", "--fail-on", "warning"], dir.path()).status.code(), Some(1));
}

#[test]
fn a_path_inside_the_workspace_limits_the_report_but_keeps_cross_file_facts() {
    // Only the init migration is requested, but the later migration's ENABLE still counts.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("supabase/migrations")).unwrap();
    std::fs::write(dir.path().join("baton.toml"), "").unwrap();
    std::fs::write(
        dir.path().join("supabase/migrations/1.sql"),
        "create table a (id int primary key);\ncreate table b (id int primary key);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("supabase/migrations/2.sql"), "alter table a enable row level security;\n").unwrap();
    let output = baton(&["check", "--format", "json", "supabase/migrations/1.sql"], dir.path());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = findings(&report);
    assert_eq!(found, [("sql/rls-disabled-in-public".to_string(), "supabase/migrations/1.sql".to_string(), 2)]);
}

#[test]
fn clean_folder_without_config_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.ts"), "export const x = 1;\n").unwrap();
    let output = baton(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "No problems found in 1 file.");
}

#[test]
fn broken_config_exits_two_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baton.toml"), "[rls]\nclients = [\"prisma\"]\nwraper = []\n").unwrap();
    let output = baton(&["check", "."], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("baton.toml:3:1"), "{err}");
    assert!(err.contains("wraper"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn usage_and_io_errors_exit_two() {
    let output = baton(&["check", "does/not/exist"], &repo());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("does/not/exist"));
    let output = baton(&["check", "--format", "xml"], &repo());
    assert_eq!(output.status.code(), Some(2));
    let output = baton(&["check", "--config", "nope.toml", "examples/wor-321"], &repo());
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn explicit_config_applies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("custom.toml"), "[rules]\n\"rls/prisma-outside-context\" = \"off\"\n").unwrap();
    let config = dir.path().join("custom.toml");
    let (report, output) = check_json(&["examples/wor-321", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(findings(&report).iter().all(|f| f.0 != "rls/prisma-outside-context"));
    assert!(findings(&report).iter().any(|f| f.0 == "sql/rls-disabled-in-public"));
}

#[test]
fn rules_lists_and_explains() {
    let output = baton(&["rules"], &repo());
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for rule in baton::rules::all() {
        assert!(text.contains(rule.id), "{} missing from `baton rules`", rule.id);
    }
    let output = baton(&["rules", "explain", "rls/prisma-outside-context"], &repo());
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for heading in ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix"] {
        assert!(text.contains(heading), "{heading}");
    }
    let output = baton(&["rules", "explain", "rls/prisma-outside-contxt"], &repo());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("did you mean `rls/prisma-outside-context`"));
    let output = baton(&["rules", "--format", "json"], &repo());
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), baton::rules::all().len());
}

#[test]
fn init_writes_a_valid_config_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = baton(&["init"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(dir.path().join("baton.toml")).unwrap();
    assert!(baton::config::Config::parse(&text, None).is_ok());
    // Issue #26 item 9: a new file follows the umask (it was always 0600), like one the OS creates.
    {
        use std::os::unix::fs::PermissionsExt;
        let probe = dir.path().join("probe");
        std::fs::File::create(&probe).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("baton.toml")), mode(&probe));
        std::fs::remove_file(probe).unwrap();
    }
    std::fs::write(dir.path().join("baton.toml"), "# mine\n").unwrap();
    let output = baton(&["init"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(dir.path().join("baton.toml")).unwrap(), "# mine\n", "never overwritten");
    assert_eq!(baton(&["init", "--force"], dir.path()).status.code(), Some(0));
    // The fresh config checks the folder without errors.
    assert_eq!(baton(&["check"], dir.path()).status.code(), Some(0));
}

/// Runs `baton lsp`, writes `messages` (framed) and waits up to 20 s for it to exit on its own
/// while its stdin stays open.
fn lsp_session(messages: &[&str]) -> Option<std::process::ExitStatus> {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("lsp")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for message in messages {
        write!(stdin, "Content-Length: {}\r\n\r\n{message}", message.len()).unwrap();
    }
    stdin.flush().unwrap();
    // stdin stays open (held here) while the server must exit on its own.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    drop(stdin);
    status
}

const LSP_INITIALIZE: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}"#;
const LSP_INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
const LSP_SHUTDOWN: &str = r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#;
const LSP_EXIT: &str = r#"{"jsonrpc":"2.0","method":"exit"}"#;

#[test]
fn lsp_exits_after_exit_even_with_stdin_open() {
    let status = lsp_session(&[LSP_INITIALIZE, LSP_INITIALIZED, LSP_SHUTDOWN, LSP_EXIT]);
    assert!(status.is_some_and(|s| s.success()), "baton lsp did not exit after `exit`: {status:?}");
}

/// The protocol: `exit` without a `shutdown` before it ends the server with code 1.
#[test]
fn lsp_exit_without_shutdown_exits_1() {
    let status = lsp_session(&[LSP_INITIALIZE, LSP_INITIALIZED, LSP_EXIT]);
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{status:?}");
    // Before `initialize` too.
    let status = lsp_session(&[LSP_EXIT]);
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{status:?}");
}

/// A workspace with a DTO interface in the sources and another in generated legacy code.
fn workspace_with_a_legacy_dump(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write_file(dir.path(), path, text);
    write("src/user.ts", "export interface UserDTO {\n  id: string;\n}\n");
    write("legacy/dump/types.ts", "export interface OldUserDTO {\n  id: string;\n}\n");
    write("baton.toml", config);
    dir
}

fn reported_paths(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["check", "--format", "json", "--fail-on", "never"];
    args.extend_from_slice(extra);
    let output = baton(&args, dir);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    findings(&report).into_iter().map(|f| f.1).collect()
}

#[test]
fn exclude_globs_leave_files_out_of_the_analysis_cached_or_not() {
    let dir = workspace_with_a_legacy_dump("");
    let all = reported_paths(dir.path(), &["--no-cache"]);
    assert!(all.iter().any(|p| p == "legacy/dump/types.ts"), "{all:?}");
    let dir = workspace_with_a_legacy_dump("exclude = [\"legacy\"]\n");
    for extra in [&["--no-cache"][..], &[], &[]] {
        let paths = reported_paths(dir.path(), extra);
        assert!(paths.iter().all(|p| !p.starts_with("legacy/")), "{extra:?}: {paths:?}");
        assert!(paths.iter().any(|p| p.starts_with("src/")), "{extra:?}: {paths:?}");
    }
    let dir = workspace_with_a_legacy_dump("include = [\"legacy/\"]\n");
    let paths = reported_paths(dir.path(), &[]);
    assert!(!paths.is_empty() && paths.iter().all(|p| p.starts_with("legacy/")), "{paths:?}");
}

#[test]
fn a_family_glob_switches_a_whole_family_off() {
    let dir = workspace_with_a_legacy_dump("[rules]\n\"patterns/*\" = \"off\"\n");
    assert_eq!(reported_paths(dir.path(), &["--no-cache"]), Vec::<String>::new());
    let dir =
        workspace_with_a_legacy_dump("[rules]\n\"patterns/*\" = \"off\"\n\"patterns/dto-interface\" = \"warning\"\n");
    let paths = reported_paths(dir.path(), &["--no-cache"]);
    assert!(paths.iter().any(|p| p.starts_with("src/")), "{paths:?}");
    let bad = workspace_with_a_legacy_dump("exclude = [\"a/[b\"]\n");
    let output = baton(&["check"], bad.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("baton.toml:1:"), "{}", stderr(&output));
}

/// Issue 26: file names that are not UTF-8 are reported one-to-one (invalid bytes as `\xNN`, a
/// backslash as `\\`), read under their real names, and the cached walk gives what the uncached
/// one gives.
#[test]
#[cfg(target_os = "linux")]
fn file_names_that_are_not_utf8_are_kept_apart_and_cached_alike() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    // No file shows a Data API: expose `public` so that the tables are reported.
    std::fs::write(dir.path().join("baton.toml"), "[sql]\nexposed_schemas = [\"public\"]\n").unwrap();
    let name = |bytes: &[u8]| migrations.join(std::ffi::OsStr::from_bytes(bytes));
    std::fs::write(name(b"1_\xff.sql"), "create table public.a (id int primary key);\n").unwrap();
    std::fs::write(name(b"2_\xfe.sql"), "create table public.b (id int primary key);\n").unwrap();
    // A valid name that spells what the escaped form of the first would be.
    std::fs::write(name(b"1_\\xff.sql"), "select 1;\n").unwrap();
    let mut reports = Vec::new();
    for args in [&["--no-cache"][..], &[], &[], &["--no-cache"]] {
        let mut all = vec!["check", "--format", "json"];
        all.extend_from_slice(args);
        let output = baton(&all, dir.path());
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut found: Vec<(String, String)> = findings(&report).into_iter().map(|f| (f.1, f.0)).collect();
        found.sort();
        reports.push((output.status.code(), found));
    }
    let (code, found) = &reports[0];
    assert_eq!(*code, Some(1), "{found:?}");
    let rls: Vec<&str> =
        found.iter().filter(|(_, rule)| rule == "sql/rls-disabled-in-public").map(|(p, _)| p.as_str()).collect();
    assert_eq!(rls, ["migrations/1_\\xff.sql", "migrations/2_\\xfe.sql"], "{found:?}");
    for (i, report) in reports.iter().enumerate() {
        assert_eq!(report, &reports[0], "run {i} differs from the uncached run");
    }
}

/// Runs `baton ARGS` in `dir` as the unprivileged user `nobody` when this process is root (root
/// reads files whatever their mode), with `home` as its home (for the cache key).
#[cfg(target_os = "linux")]
fn baton_unprivileged(args: &[&str], dir: &Path, home: &Path) -> Output {
    let root = unsafe { libc_geteuid() } == 0;
    let mut command = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(env!("CARGO_BIN_EXE_baton"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_baton"))
    };
    command.args(args).current_dir(dir).env("NO_COLOR", "1").env("HOME", home).env_remove("XDG_CACHE_HOME");
    command.output().unwrap()
}

#[cfg(target_os = "linux")]
extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Issue 26: an unreadable folder and an unreadable file are reported in every format as
/// `meta/unreadable` errors (so the run fails under the default `--fail-on error`), and neither
/// the remembered walk nor the stored report ever hides them.
#[test]
#[cfg(target_os = "linux")]
fn unreadable_paths_are_error_findings_in_every_format_cached_or_not() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (path, text) in [
        (
            "migrations/1.sql",
            "create table public.a (id int primary key);\nalter table public.a enable row level security;\n",
        ),
        ("migrations/2.sql", "create table public.b (id int primary key);\n"),
        ("locked/3.sql", "create table public.c (id int primary key);\n"),
    ] {
        std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
        std::fs::write(root.join(path), text).unwrap();
    }
    std::fs::create_dir_all(root.join("home")).unwrap();
    let chown = Command::new("chown").args(["-R", "65534:65534"]).arg(root).status();
    assert!(chown.is_ok_and(|s| s.success()) || unsafe { libc_geteuid() } != 0);
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Readable and clean, then locked away.
    let clean = baton_unprivileged(&["check", "--format", "json", "migrations/1.sql"], root, &root.join("home"));
    assert_eq!(clean.status.code(), Some(0), "{}{}", stdout(&clean), stderr(&clean));
    std::fs::set_permissions(root.join("migrations/2.sql"), std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    for args in [&["--no-cache"][..], &[], &[]] {
        let mut all = vec!["check", "--format", "json"];
        all.extend_from_slice(args);
        let output = baton_unprivileged(&all, root, &root.join("home"));
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}{}", stdout(&output), stderr(&output));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let unreadable: Vec<(String, String)> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["rule"] == "meta/unreadable")
            .map(|d| (d["path"].as_str().unwrap().to_string(), d["severity"].as_str().unwrap().to_string()))
            .collect();
        let expected = [("locked".to_string(), "error".to_string()), ("migrations/2.sql".into(), "error".into())];
        assert_eq!(unreadable, expected, "{args:?}: {report}");
        let human = baton_unprivileged(&["check"], root, &root.join("home"));
        assert_eq!(human.status.code(), Some(1));
        let text = stdout(&human);
        assert!(text.contains("error[meta/unreadable]") && text.contains("--> locked"), "{text}");
        let sarif = baton_unprivileged(&["check", "--format", "sarif"], root, &root.join("home"));
        assert!(stdout(&sarif).contains("meta/unreadable"), "{}", stdout(&sarif));
    }
    // Asked about a file inside the unreadable folder: the path cannot even be resolved (exit 2);
    // with the folder searchable but not listable, the folder is reported.
    let output = baton_unprivileged(&["check", "--format", "json", "locked/3.sql"], root, &root.join("home"));
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stderr(&output).contains("locked/3.sql"), "{}", stderr(&output));
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o111)).unwrap();
    let output = baton_unprivileged(&["check", "--format", "json", "locked/3.sql"], root, &root.join("home"));
    assert_eq!(output.status.code(), Some(1), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("\"rule\": \"meta/unreadable\""), "{}", stdout(&output));
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A Prisma app with no RLS wrapper, an unguarded route and a JWT check whose key Baton cannot
/// classify (issue 23, item 7: configuration notices; item 6: choices visible in JSON).
fn config_notice_workspace(extra_config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write_file(dir.path(), path, text);
    write("prisma/schema.prisma", "model Item {\n  id String @id\n}\n");
    write("lib/db.ts", "import { PrismaClient } from \"@prisma/client\";\nexport const prisma = new PrismaClient();\n");
    write(
        "app/api/items/route.ts",
        "import { prisma } from \"../../../lib/db\";\n\nexport async function GET() {\n  return Response.json(await prisma.item.findMany());\n}\n",
    );
    write(
        "lib/token.ts",
        "import jwt from \"jsonwebtoken\";\n\nexport function read(token: string, key: string) {\n  return jwt.verify(token, key);\n}\n",
    );
    write("baton.toml", extra_config);
    dir
}

#[test]
fn json_names_the_config_keys_notices_and_fix_choices() {
    let dir = config_notice_workspace("");
    let output = baton(&["check", "--no-cache", "--format", "json", "."], dir.path());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let route = diagnostics.iter().find(|d| d["rule"] == "auth/route-missing-auth").expect("route finding");
    assert_eq!(
        route["config_keys"],
        serde_json::json!(["auth.public_routes", "auth.public_tables", "auth.guards", "auth.wrappers"])
    );
    let jwt = diagnostics.iter().find(|d| d["rule"] == "auth/jwt-verify-no-algorithms").expect("jwt finding");
    let fixes = jwt["fixes"].as_array().unwrap();
    assert!(fixes.len() >= 2, "{jwt}");
    assert!(fixes.iter().all(|f| f["choice"] == true), "unsure algorithms are choices: {jwt}");
    let notices = report["notices"].as_array().expect("notices");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["rule"], "rls/prisma-outside-context");
    assert_eq!(notices[0]["keys"], serde_json::json!(["rls.wrappers", "rls.enforce"]));

    // Near miss: a decided algorithm list is no choice, and `enforce` makes the RLS rule active.
    let dir = config_notice_workspace("[jwt]\nalgorithms = [\"HS256\"]\n[rls]\nenforce = true\n");
    let output = baton(&["check", "--no-cache", "--format", "json", "."], dir.path());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report.get("notices").is_none(), "{report}");
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let jwt = diagnostics.iter().find(|d| d["rule"] == "auth/jwt-verify-no-algorithms").expect("jwt finding");
    assert!(jwt["fixes"].as_array().unwrap().iter().all(|f| f.get("choice").is_none()), "{jwt}");
    // A rule no key can settle carries no `config_keys`.
    let rls = diagnostics.iter().find(|d| d["rule"] == "rls/prisma-outside-context").expect("rls finding");
    assert_eq!(rls["config_keys"], serde_json::json!(["rls.wrappers", "rls.clients"]));
    assert!(diagnostics
        .iter()
        .filter(|d| d["rule"] == "meta/unused-suppression")
        .all(|d| d.get("config_keys").is_none()));
}

#[test]
fn human_output_ends_with_config_notes() {
    let dir = config_notice_workspace("");
    let output = baton(&["check", "--no-cache", "."], dir.path());
    let text = stdout(&output);
    assert!(text.contains("note: 1 finding of auth/route-missing-auth: a route that is public by design goes in `[auth] public_routes`"), "{text}");
    assert!(
        text.contains(
            "note: rls/prisma-outside-context checked nothing: no file defines or imports an RLS context wrapper"
        ),
        "{text}"
    );
    // The same through the analysis cache (a second run replays or re-checks from the cache).
    let cached = stdout(&baton(&["check", "."], dir.path()));
    let again = stdout(&baton(&["check", "."], dir.path()));
    assert!(
        cached.contains("note: rls/prisma-outside-context checked nothing") && cached == again,
        "{cached}\n---\n{again}"
    );

    // Near miss: the route is public by configuration and the RLS rule enforced — no notes.
    let dir = config_notice_workspace("[auth]\npublic_routes = [\"app/api/items/**\"]\n[rls]\nenforce = true\n[rules]\n\"auth/jwt-verify-no-algorithms\" = \"off\"\n\"rls/prisma-outside-context\" = \"off\"\n");
    let text = stdout(&baton(&["check", "--no-cache", "."], dir.path()));
    assert!(!text.contains("note:"), "{text}");
}

/// A Prisma workspace whose database only its server reaches: the Data API rules are silent and
/// one notice says so; set `[sql] exposed_schemas` and they report (also from the cache, which
/// keys the SQL findings by the decision). ClickHouse and down migrations: one notice.
#[test]
fn sql_exposure_is_decided_from_the_workspace_and_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write_file(dir.path(), path, text);
    write("prisma/schema.prisma", "model Item {\n  id String @id\n}\n");
    write(
        "prisma/migrations/20240101000000_init/migration.sql",
        "CREATE TABLE \"Item\" (\"id\" TEXT NOT NULL, CONSTRAINT \"Item_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    write(
        "clickhouse/migrations/0001_events.up.sql",
        "CREATE TABLE events (id String) ENGINE = MergeTree ORDER BY id;\n",
    );
    write("clickhouse/migrations/0001_events.down.sql", "DROP TABLE events;\n");
    let check = |args: &[&str]| -> Value {
        let output = baton(args, dir.path());
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)))
    };
    let rules_of = |report: &Value| -> Vec<String> {
        report["diagnostics"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap().to_string()).collect()
    };
    for args in [&["check", "--no-cache", "--format", "json", "."][..], &["check", "--format", "json", "."][..]] {
        let report = check(args);
        assert!(!rules_of(&report).iter().any(|r| r.starts_with("sql/")), "{report}");
        let notices = report["notices"].as_array().expect("notices");
        let keys: Vec<&Value> = notices.iter().map(|n| &n["keys"]).collect();
        assert!(keys.contains(&&serde_json::json!(["sql.exposed_schemas"])), "{notices:?}");
        let skipped = notices.iter().find(|n| n["keys"] == serde_json::json!(["exclude"])).expect("skipped notice");
        let message = skipped["message"].as_str().unwrap();
        assert!(message.contains("1 ClickHouse") && message.contains("1 down migration"), "{message}");
    }
    let human = stdout(&baton(&["check", "--no-cache", "."], dir.path()));
    assert!(human.contains("note: ") && human.contains("`[sql] exposed_schemas"), "{human}");
    // Near misses: supabase-js in package.json (the cached run must not reuse the silent
    // findings: the configuration is unchanged), then the setting itself.
    let exposed = |report: &Value| {
        assert!(rules_of(report).iter().any(|r| r == "sql/rls-disabled-in-public"), "{report}");
        let notices = report["notices"].as_array().expect("the skipped files are still noticed");
        assert!(notices.iter().all(|n| n["keys"] != serde_json::json!(["sql.exposed_schemas"])), "{notices:?}");
    };
    write("package.json", "{ \"dependencies\": { \"@supabase/supabase-js\": \"^2.45.0\" } }\n");
    exposed(&check(&["check", "--format", "json", "."]));
    exposed(&check(&["check", "--no-cache", "--format", "json", "."]));
    write("package.json", "{ \"dependencies\": { \"@prisma/client\": \"^5.0.0\" } }\n");
    write("baton.toml", "[sql]\nexposed_schemas = [\"public\"]\n");
    exposed(&check(&["check", "--format", "json", "."]));
}
