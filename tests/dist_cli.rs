//! End-to-end tests of the CI-facing parts of `baton check` (issue #28): the `github`, `gitlab`
//! and `junit` formats checked against what each format's specification requires,
//! `--changed-since` on a real git history, and `-` with `--stdin-filename`.

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn baton(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton")).args(args).current_dir(cwd).env("NO_COLOR", "1").output().unwrap()
}

fn baton_stdin(args: &[&str], cwd: &Path, input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

/// The JSON report's diagnostics as (path, 1-based line, 1-based column, rule).
fn json_findings(report: &Value, prefix: &str) -> Vec<(String, u64, u64, String)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                format!("{prefix}{}", d["path"].as_str().unwrap()),
                d["range"]["start"]["line"].as_u64().unwrap() + 1,
                d["range"]["start"]["character"].as_u64().unwrap() + 1,
                d["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Reverses the Actions toolkit's escaping of a workflow command's message or property.
fn unescape(text: &str) -> String {
    text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
}

/// GitHub's workflow-command syntax (docs: "Workflow commands for GitHub Actions", setting an
/// error / warning / notice message): `::CMD file=F,line=L,col=C,title=T::MESSAGE`, one per
/// line, CMD one of error, warning, notice; properties escaped so that `,` and `:` cannot appear
/// raw. Returns (file, line, col, title, command, message) per line.
fn parse_workflow_commands(output: &str) -> Vec<(String, u64, u64, String, String, String)> {
    output
        .lines()
        .map(|line| {
            let rest = line.strip_prefix("::").unwrap_or_else(|| panic!("not a workflow command: {line}"));
            let (command, rest) = rest.split_once(' ').unwrap();
            assert!(["error", "warning", "notice"].contains(&command), "{line}");
            let (properties, message) = rest.split_once("::").unwrap();
            let properties: Vec<(&str, &str)> = properties.split(',').map(|p| p.split_once('=').unwrap()).collect();
            let keys: Vec<&str> = properties.iter().map(|(k, _)| *k).collect();
            assert_eq!(keys, ["file", "line", "col", "title"], "{line}");
            for (_, value) in &properties {
                assert!(!value.contains(':') && !value.contains(','), "unescaped property in {line}");
            }
            assert!(!message.is_empty() && !message.contains('\n'), "{line}");
            (
                unescape(properties[0].1),
                properties[1].1.parse().unwrap(),
                properties[2].1.parse().unwrap(),
                unescape(properties[3].1),
                command.to_string(),
                unescape(message),
            )
        })
        .collect()
}

#[test]
fn github_format_gives_one_annotation_per_finding_at_the_json_positions() {
    let output = baton(&["check", "--format", "github", "examples/wor-321"], &repo());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let commands = parse_workflow_commands(&text(&output.stdout));
    let report = json_of(&baton(&["check", "--format", "json", "examples/wor-321"], &repo()));
    // The job runs at the repository's root: paths are relative to it, not to the workspace.
    let expected = json_findings(&report, "examples/wor-321/");
    assert!(expected.len() >= 5);
    let got: Vec<_> = commands.iter().map(|(f, l, c, t, _, _)| (f.clone(), *l, *c, t.clone())).collect();
    assert_eq!(got, expected);
    let severities: Vec<&str> =
        report["diagnostics"].as_array().unwrap().iter().map(|d| d["severity"].as_str().unwrap()).collect();
    for ((_, _, _, _, command, message), (severity, diagnostic)) in
        commands.iter().zip(severities.iter().zip(report["diagnostics"].as_array().unwrap()))
    {
        let wanted = match *severity {
            "error" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        assert_eq!(command, wanted);
        assert_eq!(message, diagnostic["message"].as_str().unwrap());
    }
    // A clean run prints nothing at all.
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(clean.path().join("ok.ts"), "export const x = 1;\n").unwrap();
    let output = baton(&["check", "--format", "github", "."], clean.path());
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
}

#[test]
fn github_format_escapes_messages_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("a,b:c");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("x.ts"), "// baton-ignore errors/floating-promise: nothing here\nexport const x = 1;\n")
        .unwrap();
    let output = baton(&["check", "--format", "github", "--fail-on", "never", "."], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    let commands = parse_workflow_commands(&stdout);
    assert_eq!(commands.len(), 1, "{stdout}");
    assert_eq!(commands[0].0, "a,b:c/x.ts");
    assert!(stdout.contains("file=a%2Cb%3Ac/x.ts"), "{stdout}");
    assert_eq!(commands[0].3, "meta/unused-suppression");
}

/// What GitLab's Code Quality documentation ("Code Quality report format") requires of each
/// issue, as a JSON Schema: GitLab publishes no schema file for this report, so the required
/// fields and the allowed severities are encoded here from that page (and the Code Climate
/// engine specification it derives from, for `type` and `categories`).
fn gitlab_code_quality_schema() -> Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "required": ["description", "check_name", "fingerprint", "severity", "location"],
            "properties": {
                "type": {"const": "issue"},
                "description": {"type": "string", "minLength": 1},
                "check_name": {"type": "string", "minLength": 1},
                "fingerprint": {"type": "string", "minLength": 1},
                "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
                "categories": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"enum": ["Bug Risk", "Clarity", "Compatibility", "Complexity", "Duplication", "Performance", "Security", "Style"]}
                },
                "location": {
                    "type": "object",
                    "required": ["path", "lines"],
                    "properties": {
                        "path": {"type": "string", "minLength": 1, "not": {"pattern": "^(/|\\./)"}},
                        "lines": {
                            "type": "object",
                            "required": ["begin"],
                            "properties": {"begin": {"type": "integer", "minimum": 1}, "end": {"type": "integer", "minimum": 1}}
                        }
                    }
                }
            }
        }
    })
}

fn assert_valid_code_quality(report: &Value) {
    let schema = gitlab_code_quality_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(report).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let fingerprints: Vec<&str> =
        report.as_array().unwrap().iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    let unique: HashSet<&&str> = fingerprints.iter().collect();
    assert_eq!(unique.len(), fingerprints.len(), "fingerprints must be unique");
}

#[test]
fn gitlab_format_is_a_valid_code_quality_report() {
    let output = baton(&["check", "--format", "gitlab", "examples/wor-321"], &repo());
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_valid_code_quality(&report);
    let json = json_of(&baton(&["check", "--format", "json", "examples/wor-321"], &repo()));
    let expected: Vec<(String, u64, String)> =
        json_findings(&json, "examples/wor-321/").into_iter().map(|(p, l, _, r)| (p, l, r)).collect();
    let got: Vec<(String, u64, String)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["location"]["path"].as_str().unwrap().to_string(),
                i["location"]["lines"]["begin"].as_u64().unwrap(),
                i["check_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let clean = tempfile::tempdir().unwrap();
    let output = baton(&["check", "--format", "gitlab", "."], clean.path());
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json_of(&output), json!([]));
}

#[test]
fn gitlab_fingerprints_survive_edits_elsewhere_and_tell_identical_lines_apart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jobs.ts");
    let body = "export async function run() {\n  fetch('/a');\n  fetch('/a');\n}\n";
    std::fs::write(&file, format!("// jobs\n{body}")).unwrap();
    let fingerprints = |dir: &Path| -> Vec<(String, u64)> {
        let output = baton(&["check", "--format", "gitlab", "--no-cache", "--fail-on", "never", "."], dir);
        let report = json_of(&output);
        assert_valid_code_quality(&report);
        report
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (i["fingerprint"].as_str().unwrap().to_string(), i["location"]["lines"]["begin"].as_u64().unwrap())
            })
            .collect()
    };
    let before = fingerprints(dir.path());
    assert_eq!(before.len(), 2, "two floating promises on identical lines: {before:?}");
    // Lines added above move the findings but keep their fingerprints.
    std::fs::write(&file, format!("// jobs\n// one\n// two\n\n{body}")).unwrap();
    let after = fingerprints(dir.path());
    assert_eq!(after.iter().map(|(f, _)| f).collect::<Vec<_>>(), before.iter().map(|(f, _)| f).collect::<Vec<_>>());
    assert_eq!(after[0].1, before[0].1 + 3);
    // A different finding gets a different fingerprint.
    std::fs::write(&file, format!("// jobs\n{}", body.replace("/a", "/b"))).unwrap();
    let other = fingerprints(dir.path());
    assert!(other.iter().all(|(f, _)| before.iter().all(|(g, _)| f != g)));
}

#[test]
fn junit_format_has_one_test_case_per_rule_and_a_failure_per_finding() {
    let output = baton(&["check", "--format", "junit", "examples/wor-321"], &repo());
    assert_eq!(output.status.code(), Some(1));
    let xml = text(&output.stdout);
    let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let json = json_of(&baton(&["check", "--format", "json", "examples/wor-321"], &repo()));
    let diagnostics = json["diagnostics"].as_array().unwrap();
    // The JUnit XML structure the common consumers read (the Jenkins/Ant JUnit schema, which
    // GitLab's and GitHub test-report tools follow): <testsuites> of <testsuite name tests
    // failures errors> of <testcase name classname> holding <failure message type>.
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.tag_name().name(), "testsuite");
    assert_eq!(suite.attribute("name"), Some("baton"));
    let cases: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
    assert!(cases.iter().all(|c| c.tag_name().name() == "testcase"));
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "one test case per rule");
    // Every rule in force is a test case (wor-321's baton.toml switches none off).
    for rule in baton::rules::all() {
        assert!(unique.contains(rule.id), "{} has no test case", rule.id);
        let case = cases.iter().find(|c| c.attribute("name") == Some(rule.id)).unwrap();
        assert_eq!(case.attribute("classname"), Some(format!("baton.{}", rule.family()).as_str()));
    }
    let mut failed_cases = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let list: Vec<_> = case.children().filter(|n| n.is_element()).collect();
        assert!(list.iter().all(|f| f.tag_name().name() == "failure"));
        failed_cases += usize::from(!list.is_empty());
        for failure in list {
            failures
                .push((case.attribute("name").unwrap().to_string(), failure.attribute("message").unwrap().to_string()));
            assert!(["error", "warning", "info", "hint"].contains(&failure.attribute("type").unwrap()));
            assert!(failure.text().unwrap().starts_with("examples/wor-321/"));
        }
    }
    let count = |node: roxmltree::Node, attribute: &str| node.attribute(attribute).unwrap().parse::<usize>().unwrap();
    for node in [root, suite] {
        assert_eq!(count(node, "tests"), cases.len());
        assert_eq!(count(node, "failures"), failed_cases);
        assert_eq!(count(node, "errors"), 0);
    }
    let mut expected: Vec<(String, String)> = diagnostics
        .iter()
        .map(|d| (d["rule"].as_str().unwrap().to_string(), d["message"].as_str().unwrap().to_string()))
        .collect();
    expected.sort();
    failures.sort();
    assert_eq!(failures, expected);
}

#[test]
fn junit_lists_only_rules_in_force_and_escapes_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baton.toml"), "[rules]\n\"sql/*\" = \"off\"\n").unwrap();
    std::fs::write(dir.path().join("a.ts"), "// baton-ignore errors/floating-promise: <none> & \"none\"\nexport {};\n")
        .unwrap();
    let output = baton(&["check", "--format", "junit", "--fail-on", "never", "."], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let xml = text(&output.stdout);
    let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let names: Vec<&str> =
        document.descendants().filter(|n| n.has_tag_name("testcase")).map(|n| n.attribute("name").unwrap()).collect();
    assert!(!names.iter().any(|n| n.starts_with("sql/")), "{names:?}");
    assert!(names.contains(&"errors/floating-promise"));
    let failures: Vec<_> = document.descendants().filter(|n| n.has_tag_name("failure")).collect();
    assert_eq!(failures.len(), 1, "{xml}");
    assert_eq!(failures[0].parent().unwrap().attribute("name"), Some("meta/unused-suppression"));
    assert!(failures[0].text().unwrap().starts_with("a.ts:1:"));
}

// --- --changed-since --------------------------------------------------------------------------

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

const CONTEXT: &str = "import { prisma } from './client';\n\
    export async function withUserContext<T>(userId: string, run: () => Promise<T>): Promise<T> {\n\
    \x20 return run();\n}\n";
const CLIENT: &str = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n";

fn bad_service(name: &str) -> String {
    format!(
        "import {{ prisma }} from '../db/client';\nexport async function {name}(id: string) {{\n  return prisma.user.findUnique({{ where: {{ id }} }});\n}}\n"
    )
}

fn paths_of(report: &Value) -> BTreeSet<String> {
    report["diagnostics"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap().to_string()).collect()
}

/// A repository on `main` with one committed bad service, a branch `feature` with a second, an
/// unstaged edit making a third, an untracked fourth, and `main` moved on with a fifth.
fn history() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join("baton.toml"), "").unwrap();
    std::fs::create_dir_all(root.join("lib/db")).unwrap();
    std::fs::create_dir_all(root.join("lib/services")).unwrap();
    std::fs::write(root.join("lib/db/context.ts"), CONTEXT).unwrap();
    std::fs::write(root.join("lib/db/client.ts"), CLIENT).unwrap();
    std::fs::write(root.join("lib/services/old.ts"), bad_service("old")).unwrap();
    std::fs::write(root.join("lib/services/edited.ts"), "export const edited = 1;\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(root.join("lib/services/branch.ts"), bad_service("branch")).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "feature work"]);
    git(root, &["checkout", "-q", "main"]);
    std::fs::write(root.join("lib/services/later.ts"), bad_service("later")).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "main moves on"]);
    git(root, &["checkout", "-q", "feature"]);
    std::fs::write(root.join("lib/services/edited.ts"), bad_service("edited")).unwrap();
    std::fs::write(root.join("lib/services/untracked.ts"), bad_service("untracked")).unwrap();
    dir
}

#[test]
fn changed_since_reports_only_files_changed_since_the_merge_base() {
    let dir = history();
    let root = dir.path();
    let all = json_of(&baton(&["check", "--format", "json", "--no-cache", "."], root));
    let every = paths_of(&all);
    // The wrapper defined in lib/db/context.ts is what makes these findings (cross-file facts).
    assert!(every.contains("lib/services/old.ts"), "{all:#}");
    let output = baton(&["check", "--format", "json", "--changed-since", "main", "."], root);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let changed = json_of(&output);
    let expected: BTreeSet<String> =
        ["lib/services/branch.ts", "lib/services/edited.ts", "lib/services/untracked.ts"].map(String::from).into();
    assert_eq!(paths_of(&changed), expected);
    // Exactly the full report's findings in those files: facts still come from the whole tree.
    let keep = |d: &&Value| expected.contains(d["path"].as_str().unwrap());
    let from_all: Vec<&Value> = all["diagnostics"].as_array().unwrap().iter().filter(keep).collect();
    let from_changed: Vec<&Value> = changed["diagnostics"].as_array().unwrap().iter().collect();
    assert_eq!(from_changed, from_all);
    // Since HEAD: only the uncommitted edit and the untracked file.
    let since_head = json_of(&baton(&["check", "--format", "json", "--changed-since", "HEAD", "."], root));
    let expected: BTreeSet<String> = ["lib/services/edited.ts", "lib/services/untracked.ts"].map(String::from).into();
    assert_eq!(paths_of(&since_head), expected);
    // Nothing changed since HEAD after committing everything: exit 0, empty report.
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "rest"]);
    let output = baton(&["check", "--format", "json", "--changed-since", "HEAD", "."], root);
    assert_eq!(output.status.code(), Some(0));
    assert!(paths_of(&json_of(&output)).is_empty());
    // A path argument still narrows the report.
    let output = baton(&["check", "--format", "json", "--changed-since", "main", "lib/services/branch.ts"], root);
    assert_eq!(paths_of(&json_of(&output)), BTreeSet::from(["lib/services/branch.ts".to_string()]));
    let output = baton(&["check", "--format", "json", "--changed-since", "main", "lib/db"], root);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn changed_since_refuses_what_it_cannot_answer_and_runs_no_repository_program() {
    let dir = history();
    let root = dir.path();
    let output = baton(&["check", "--changed-since", "no-such-branch", "."], root);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no-such-branch"), "{}", text(&output.stderr));
    // An option-looking ref is a ref, never an option of git.
    let marker = root.join("written-by-git");
    let output = baton(&["check", &format!("--changed-since=--output={}", marker.display()), "."], root);
    assert_eq!(output.status.code(), Some(2));
    assert!(!marker.exists());
    // Outside a repository.
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("a.ts"), "export {};\n").unwrap();
    let output = baton(&["check", "--changed-since", "HEAD", "."], plain.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("git repository"), "{}", text(&output.stderr));
    // A repository that configures programs for git to run: none of them runs.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ran = root.join("program-ran");
        let script = root.join("evil.sh");
        std::fs::write(&script, format!("#!/bin/sh\ntouch '{}'\ncat\n", ran.display())).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let s = script.display().to_string();
        for (key, value) in [
            ("core.fsmonitor", s.as_str()),
            ("diff.external", s.as_str()),
            ("filter.evil.clean", s.as_str()),
            ("filter.evil.process", s.as_str()),
            ("diff.evil.textconv", s.as_str()),
        ] {
            git(root, &["config", key, value]);
        }
        std::fs::write(root.join(".gitattributes"), "*.ts filter=evil diff=evil\n").unwrap();
        let output = baton(&["check", "--format", "json", "--changed-since", "main", "."], root);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        assert!(paths_of(&json_of(&output)).contains("lib/services/branch.ts"));
        assert!(!ran.exists(), "a repository-configured program ran");
    }
}

// --- stdin ------------------------------------------------------------------------------------

#[test]
fn stdin_is_checked_as_the_file_it_stands_for() {
    let workspace = repo().join("examples/wor-321");
    let relative = "app/api/migrations/validate/route.ts";
    let on_disk = std::fs::read_to_string(workspace.join(relative)).unwrap();
    let from_disk = json_of(&baton(&["check", "--format", "json", "--no-cache", relative], &workspace));
    assert!(!from_disk["diagnostics"].as_array().unwrap().is_empty());
    // The same text through stdin: the same findings (the wrappers come from lib/db/context.ts,
    // the configuration from the workspace's baton.toml).
    let output = baton_stdin(&["check", "-", "--stdin-filename", relative, "--format", "json"], &workspace, &on_disk);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let from_stdin = json_of(&output);
    assert_eq!(from_stdin["diagnostics"], from_disk["diagnostics"]);
    // Another text at the same path: its own findings, not the disk's.
    let output = baton_stdin(&["check", "-", "--stdin-filename", relative], &workspace, "export const fixed = 1;\n");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    // A file that does not exist yet, with no `-` (as ruff accepts), in the human format.
    let output = baton_stdin(
        &["check", "--stdin-filename", "lib/services/new-service.ts"],
        &workspace,
        &bad_service("fresh").replace("../db/client", "@/lib/db/client"),
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("lib/services/new-service.ts"), "{stdout}");
    assert!(stdout.contains("rls/prisma-outside-context"), "{stdout}");
    assert!(!workspace.join("lib/services/new-service.ts").exists());
}

#[test]
fn stdin_usage_errors_and_files_baton_does_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let output = baton_stdin(&["check", "-"], dir.path(), "x");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--stdin-filename"));
    let output = baton_stdin(&["check", "-", "other.ts", "--stdin-filename", "a.ts"], dir.path(), "x");
    assert_eq!(output.status.code(), Some(2));
    let output = baton_stdin(&["check", "-", "--stdin-filename", "a.ts", "--changed-since", "HEAD"], dir.path(), "x");
    assert_eq!(output.status.code(), Some(2));
    // Not a kind of file Baton reads: an empty report, exit 0.
    let output = baton_stdin(&["check", "-", "--stdin-filename", "notes.txt", "--format", "json"], dir.path(), "x");
    assert_eq!(output.status.code(), Some(0));
    assert!(json_of(&output)["diagnostics"].as_array().unwrap().is_empty());
    // Invalid UTF-8 on stdin is reported as it is for a file.
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["check", "-", "--stdin-filename", "q.sql", "--format", "json", "--fail-on", "never"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"select 1; -- caf\xe9\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let report = json_of(&output);
    let rules: Vec<&str> =
        report["diagnostics"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"meta/invalid-utf8"), "{report:#}");
}

// --- several paths, as pre-commit passes them -------------------------------------------------

#[test]
fn files_in_different_folders_without_a_config_form_one_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::write(root.join("a/x.ts"), "export async function f() {\n  fetch('/x');\n}\n").unwrap();
    std::fs::write(root.join("b/y.ts"), "export async function g() {\n  fetch('/y');\n}\n").unwrap();
    let output = baton(&["check", "--format", "json", "--fail-on", "warning", "a/x.ts", "b/y.ts"], root);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let expected: BTreeSet<String> = ["a/x.ts", "b/y.ts"].map(String::from).into();
    assert_eq!(paths_of(&json_of(&output)), expected);
    // One file alone: its folder is the root, as before.
    let output = baton(&["check", "--format", "json", "--fail-on", "warning", "a/x.ts"], root);
    assert_eq!(paths_of(&json_of(&output)), BTreeSet::from(["x.ts".to_string()]));
}
