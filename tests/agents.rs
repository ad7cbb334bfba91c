//! Agents as clients (issue #29) through the built binary: `baton hook` fed with recorded
//! payloads in the Claude Code hook format (tests/agents/payloads/) and a transcript JSONL with
//! `usage`, the stop hook's loop guard, `baton init --agent-hooks` merging an existing settings
//! file, `baton escalate` and the retry limit, and the guardrail example. The MCP server is
//! driven by the official TypeScript SDK client in scripts/test-agents.sh.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn baton(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("BATON_ITEM")
        .output()
        .unwrap()
}

fn hook(event: &str, payload: &str, cwd: &Path, env: &[(&str, &str)]) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command.args(["hook", event]).current_dir(cwd).env_remove("BATON_ITEM");
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(payload.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn payload(name: &str, cwd: &Path, transcript: &str, active: bool) -> String {
    std::fs::read_to_string(repo().join("tests/agents/payloads").join(name))
        .unwrap()
        .replace("{CWD}", &cwd.display().to_string())
        .replace("{TRANSCRIPT}", transcript)
        .replace("{ACTIVE}", if active { "true" } else { "false" })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Copies a folder of the repository (no symbolic links in it) into a temp dir.
fn copy_example(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "cache" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn post_tool_use_reports_the_errors_of_the_edited_file_and_nothing_for_a_clean_one() {
    let ws = copy_example("examples/wor-321");
    let root = std::fs::canonicalize(ws.path()).unwrap();
    let out = hook("post-tool-use", &payload("post-tool-use-edit.json", &root, "", false), &root, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    assert_eq!(answer["decision"], "block");
    let reason = answer["reason"].as_str().unwrap();
    assert!(reason.contains("app/api/migrations/validate/route.ts:"), "{reason}");
    assert!(reason.contains("error[rls/prisma-outside-context]"), "{reason}");
    assert!(reason.contains("error[auth/route-missing-auth]"), "{reason}");
    assert!(!reason.contains("warning["), "errors only by default: {reason}");
    assert!(!reason.contains("verify-all-migrations"), "only the edited file: {reason}");
    assert_eq!(answer["hookSpecificOutput"]["hookEventName"], "PostToolUse");

    let clean = hook("post-tool-use", &payload("post-tool-use-clean.json", &root, "", false), &root, &[]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    assert!(clean.stdout.is_empty(), "a clean file gets no feedback: {}", text(&clean.stdout));

    // A tool that edits nothing and a file outside the workspace are no concern of the hook.
    let bash = r#"{"session_id": "s", "cwd": "CWD", "hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}}"#
        .replace("CWD", &root.display().to_string());
    assert!(hook("post-tool-use", &bash, &root, &[]).stdout.is_empty());
    let outside = payload("post-tool-use-edit.json", &root, "", false)
        .replace(&format!("{}/app/api/migrations/validate/route.ts", root.display()), "/etc/hosts");
    let out = hook("post-tool-use", &outside, &root, &[]);
    assert_eq!((out.status.code(), out.stdout.is_empty()), (Some(0), true));
}

#[test]
fn bad_payloads_are_non_blocking_errors() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["", "not json", "[1, 2]", "{\"tool_input\": 3, \"session_id\": []}"] {
        let out = hook("stop", bad, dir.path(), &[]);
        assert_eq!(out.status.code(), Some(1), "{bad:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).starts_with("baton: error:"), "{bad:?}: {}", text(&out.stderr));
    }
    let out = hook("pre-compact", "{}", dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown hook event"), "{}", text(&out.stderr));
}

fn qa_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("docs/specs")).unwrap();
    std::fs::write(
        root.join("baton.toml"),
        "[workflow]\nstages = [\"plan\", \"implement\", \"qa\"]\n[workflow.requires]\nqa = [\"gate:test\"]\n[gates.test]\ncommand = \"true\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("docs/specs/pay-1-spec.md"),
        "---\nid: PAY-1\nstatus: Ready for QA\n---\n# PAY-1: Payments\n\n## Objective\n\nRetry payments.\n",
    )
    .unwrap();
    std::fs::write(
        root.join("docs/specs/other-spec.md"),
        "---\nid: OTHER-2\nstatus: Ready for QA\n---\n# OTHER-2: Other\n\n## Objective\n\nSomething else.\n",
    )
    .unwrap();
    dir
}

#[test]
fn stop_blocks_on_unmet_requirements_of_the_claimed_stage_and_never_twice_in_a_row() {
    let ws = qa_workspace();
    let root = std::fs::canonicalize(ws.path()).unwrap();
    let env = [("BATON_ITEM", "PAY-1")];
    let out = hook("stop", &payload("stop.json", &root, "", false), &root, &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["decision"], "block");
    let reason = answer["reason"].as_str().unwrap();
    assert!(reason.contains("PAY-1 claims stage qa") && reason.contains("gate:test missing"), "{reason}");
    assert!(!reason.contains("OTHER-2"), "only the session's item: {reason}");

    // The agent tried and stops again with the same reason: let it go, tell the user.
    let again = hook("stop", &payload("stop.json", &root, "", true), &root, &env);
    assert_eq!(again.status.code(), Some(0));
    let answer: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(answer.get("decision").is_none(), "not blocked twice: {answer}");
    assert!(answer["systemMessage"].as_str().unwrap().contains("not blocking again"), "{answer}");

    // A fresh stop (not a continuation) blocks again.
    let fresh = hook("stop", &payload("stop.json", &root, "", false), &root, &env);
    assert_eq!(serde_json::from_slice::<Value>(&fresh.stdout).unwrap()["decision"], "block");

    // With the gate's evidence recorded, the agent may stop.
    let gate = baton(&["gate", "run", "test", "--item", "PAY-1", "--root", root.to_str().unwrap()], &root);
    assert_eq!(gate.status.code(), Some(0), "{}", text(&gate.stderr));
    let done = hook("stop", &payload("stop.json", &root, "", true), &root, &env);
    assert_eq!((done.status.code(), done.stdout.is_empty()), (Some(0), true), "{}", text(&done.stdout));

    // task-completed answers with exit status 2 and the reason on stderr.
    let other =
        hook("task-completed", &payload("task-completed.json", &root, "", false), &root, &[("BATON_ITEM", "OTHER-2")]);
    assert_eq!(other.status.code(), Some(2));
    assert!(text(&other.stderr).contains("OTHER-2 claims stage qa"), "{}", text(&other.stderr));
    // No item known for the session: nothing to hold it to.
    let none = hook("subagent-stop", &payload("subagent-stop.json", &root, "", false), &root, &[]);
    assert_eq!((none.status.code(), none.stdout.is_empty()), (Some(0), true));
}

#[test]
fn the_transcript_names_the_item_and_its_usage_is_recorded_and_priced() {
    let ws = copy_example("examples/guardrails");
    let root = std::fs::canonicalize(ws.path()).unwrap();
    std::fs::remove_dir_all(root.join(".baton/usage")).unwrap();
    // SEARCH-2's session: past the alert, under the limit: the stop hook does not block on cost.
    let transcript = root.join("transcripts/search-2.jsonl");
    let p = payload("subagent-stop.json", &root, transcript.to_str().unwrap(), false);
    let out = hook("subagent-stop", &p, &root, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("limit"), "{}", text(&out.stdout));
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".baton/usage/7c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["items"], serde_json::json!(["SEARCH-2"]), "the item whose spec the session edited");
    let tokens = &record["days"]["2026-03-02"]["claude-sonnet-4-5-20250929"];
    assert_eq!(tokens["messages"], 10, "a response over two lines counted once: {tokens}");
    assert_eq!(tokens["output_tokens"], 1_000_000);
    let check = baton(&["check", "--format", "json", "--no-cache", "."], &root);
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    let budget: Vec<&Value> =
        report["diagnostics"].as_array().unwrap().iter().filter(|d| d["rule"] == "workflow/budget").collect();
    assert_eq!(budget.len(), 1, "{budget:?}");
    assert_eq!(budget[0]["severity"], "warning");
    assert!(budget[0]["message"].as_str().unwrap().contains("$15.20"), "{}", budget[0]["message"]);

    // EXPORT-4's session: over the limit: the stop hook blocks, the finding is an error.
    let transcript = root.join("transcripts/export-4.jsonl");
    let p = payload("stop.json", &root, transcript.to_str().unwrap(), false);
    let out = hook("stop", &p, &root, &[]);
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    assert_eq!(answer["decision"], "block");
    assert!(answer["reason"].as_str().unwrap().contains("EXPORT-4 has cost $20.45"), "{answer}");
}

#[test]
fn init_agent_hooks_merges_into_existing_settings_and_never_clobbers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".claude")).unwrap();
    let settings = root.join(".claude/settings.json");
    std::fs::copy(repo().join("tests/agents/settings-existing.json"), &settings).unwrap();
    let out = baton(&["init", "--agent-hooks"], root);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(merged["permissions"]["deny"][0], "Read(./.env)");
    assert_eq!(merged["env"]["BATON_ITEM"], "PAY-1");
    let post = merged["hooks"]["PostToolUse"].as_array().unwrap();
    assert_eq!(post.len(), 2, "the user's hook stays: {post:?}");
    assert!(post[0]["hooks"][0]["command"].as_str().unwrap().contains("prettier"));
    assert_eq!(post[1]["hooks"][0]["command"], "baton hook post-tool-use");
    for (event, command) in [
        ("Stop", "baton hook stop"),
        ("SubagentStop", "baton hook subagent-stop"),
        ("TaskCompleted", "baton hook task-completed"),
    ] {
        assert_eq!(merged["hooks"][event][0]["hooks"][0]["command"], command, "{event}");
    }
    let before = std::fs::read_to_string(&settings).unwrap();
    let again = baton(&["init", "--agent-hooks"], root);
    assert!(text(&again.stdout).contains("nothing changed"), "{}", text(&again.stdout));
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), before);

    std::fs::write(&settings, "{\"hooks\": {").unwrap();
    let broken = baton(&["init", "--agent-hooks"], root);
    assert_eq!(broken.status.code(), Some(2));
    assert!(text(&broken.stderr).contains("not valid JSON"), "{}", text(&broken.stderr));
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), "{\"hooks\": {", "a broken file is left alone");

    let fresh = tempfile::tempdir().unwrap();
    assert_eq!(baton(&["init", "--agent-hooks"], fresh.path()).status.code(), Some(0));
    assert!(fresh.path().join(".claude/settings.json").is_file());
}

#[test]
fn the_retry_limit_refuses_the_gate_until_an_escalation_is_recorded() {
    let ws = copy_example("examples/guardrails");
    let root = std::fs::canonicalize(ws.path()).unwrap();
    let r = root.to_str().unwrap();
    let refused = baton(&["stage", "advance", "PAY-7", "--to", "qa", "--root", r], &root);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stdout));
    let err = text(&refused.stderr);
    assert!(err.contains("failed 5 times in a row") && err.contains("baton escalate PAY-7"), "{err}");
    assert!(!root.join(".baton/evidence/PAY-7").exists(), "the gate did not run");
    let gate = baton(&["gate", "run", "test", "--item", "PAY-7", "--root", r], &root);
    assert_eq!(gate.status.code(), Some(2), "{}", text(&gate.stderr));

    let esc = baton(
        &["escalate", "PAY-7", "--question", "The retry test needs a live card processor: mock it?", "--root", r],
        &root,
    );
    assert_eq!(esc.status.code(), Some(0), "{}", text(&esc.stderr));
    assert!(root.join(".baton/escalations/PAY-7.json").is_file());
    // Now the gate runs again (and fails again: the example's gate always fails).
    let gate = baton(&["gate", "run", "test", "--item", "PAY-7", "--root", r], &root);
    assert_eq!(gate.status.code(), Some(1), "{}", text(&gate.stderr));
    let check = baton(&["check", "--format", "json", "--no-cache", "."], &root);
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert!(
        !report["diagnostics"].as_array().unwrap().iter().any(|d| d["rule"] == "workflow/retry-limit"),
        "the escalation acknowledged the five failures"
    );
    let unknown = baton(&["escalate", "NOPE-1", "--question", "x", "--root", r], &root);
    assert_eq!(unknown.status.code(), Some(2));
    let empty = baton(&["escalate", "PAY-7", "--question", " ? ", "--root", r], &root);
    assert_eq!(empty.status.code(), Some(2));
}

#[test]
fn the_guardrail_example_shows_all_three_rules() {
    let out = baton(&["check", "--format", "json", "--no-cache", "examples/guardrails"], &repo());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let found: Vec<(String, String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"].as_str().unwrap().starts_with("workflow/"))
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["rule"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |path: &str, rule: &str, severity: &str| {
        assert!(
            found.iter().any(|(p, r, s)| p == path && r == rule && s == severity),
            "{path} {rule} {severity} missing from {found:?}"
        );
    };
    expect("docs/specs/pay-7-spec.md", "workflow/retry-limit", "error");
    expect("docs/specs/bill-3-spec.md", "workflow/escalation-loop", "warning");
    expect("docs/specs/search-2-spec.md", "workflow/budget", "warning");
    expect("docs/specs/export-4-spec.md", "workflow/budget", "error");
    let rules = baton(&["rules"], &repo());
    for id in ["workflow/retry-limit", "workflow/escalation-loop", "workflow/budget"] {
        assert!(text(&rules.stdout).contains(id), "{id} is listed by `baton rules`");
    }
}
