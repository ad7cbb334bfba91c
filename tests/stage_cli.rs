//! `baton stage …`, `baton gate run`, `baton handoff …` against a temporary workspace with gates
//! configured as tiny shell commands.

use std::path::Path;
use std::process::Command;

fn baton(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baton")).args(args).current_dir(root).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

const CONFIG: &str = r#"
[workflow]
stages = ["plan", "implement", "qa"]
[workflow.requires]
qa = ["approval:architecture", "gate:type-check", "gate:lint"]
[workflow.labels]
"Ready for QA" = "qa"
[gates.type-check]
command = "test -f ok || { echo 'src/a.ts(1,1): error TS2322'; exit 2; }"
[gates.lint]
command = "echo linted"
"#;

const SPEC: &str = "---\nid: WOR-9\nstatus: implement\n---\n# WOR-9 spec\n\n## Objective\n\nDo it.\n";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baton.toml"), CONFIG).unwrap();
    std::fs::create_dir_all(dir.path().join("docs/specs")).unwrap();
    std::fs::write(dir.path().join("docs/specs/WOR-9-spec.md"), SPEC).unwrap();
    dir
}

#[test]
fn advance_is_refused_until_approval_and_gates_hold_then_writes_status_and_handoff() {
    let dir = workspace();
    let root = dir.path();
    let spec = root.join("docs/specs/WOR-9-spec.md");

    let (code, _, err) = baton(root, &["stage", "advance", "WOR-9", "--to", "qa"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("approval:architecture missing"), "{err}");
    assert!(err.contains("gate:type-check failing (exit 2): src/a.ts(1,1): error TS2322"), "{err}");
    assert!(err.contains(".baton/logs/WOR-9/gate-type-check.log"), "{err}");
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), SPEC, "the status changed although a gate failed");
    assert!(!root.join(".claude/handoff").exists());
    let lint = std::fs::read_to_string(root.join(".baton/evidence/WOR-9/gate:lint.json")).unwrap();
    let lint: serde_json::Value = serde_json::from_str(&lint).unwrap();
    assert_eq!(lint["status"], "pass");
    assert_eq!(lint["exit_code"], 0);
    assert_eq!(lint["git_head"], serde_json::Value::Null);
    assert_eq!(lint["dirty"], false);
    assert_eq!(lint["output_tail"], "linted");

    let (code, out, err) =
        baton(root, &["stage", "approve", "WOR-9", "--role", "architecture", "--by", "Ada", "--note", "ok"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("approval:architecture"), "{out}");

    let (code, out, _) = baton(root, &["stage", "status"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("WOR-9") && out.contains("implement"), "{out}");

    std::fs::write(root.join("ok"), "").unwrap();
    let (code, out, err) = baton(root, &["stage", "advance", "WOR-9", "--to", "qa"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("gate type-check: pass"), "{err}");
    assert!(!err.contains("gate lint"), "a passing, current gate ran again: {err}");
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), SPEC.replace("status: implement", "status: Ready for QA"));
    let signal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".claude/handoff/WOR-9-qa.signal")).unwrap()).unwrap();
    assert_eq!(signal["status"], "complete");
    assert_eq!(signal["validation"]["type-check"], "pass");
    let snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".claude/handoff/context-001-WOR-9-qa.json")).unwrap())
            .unwrap();
    assert_eq!(snapshot["workflow_id"], "WOR-9");
    assert_eq!(snapshot["phase"], "implement-complete");

    let (code, out, _) = baton(root, &["stage", "status", "WOR-9"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("qa"), "{out}");
}

#[test]
fn gate_run_and_handoff_commands() {
    let dir = workspace();
    let root = dir.path();
    let (code, out, _) = baton(root, &["gate", "run", "type-check", "--item", "WOR-9"]);
    assert_eq!(code, 1);
    assert!(out.contains("gate type-check: fail"), "{out}");
    assert!(root.join(".baton/evidence/WOR-9/gate:type-check.json").exists());
    let (code, _, err) = baton(root, &["gate", "run", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("no gate `nope`"), "{err}");

    std::fs::write(root.join("a.ts"), "").unwrap();
    let (code, out, err) =
        baton(root, &["handoff", "new", "--workstream", "ws2", "--status", "complete", "--files", "a.ts"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".claude/handoff/ws-2-complete.signal"), "{out}");
    let (code, out, _) = baton(root, &["handoff", "verify"]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(root.join(".claude/handoff/ws-3-complete.signal"), "{\"workstream\": \"WS-3\", \"status\": ")
        .unwrap();
    let (code, out, _) = baton(root, &["handoff", "verify"]);
    assert_eq!(code, 0, "a warning fails like `baton check --fail-on error`: {out}");
    assert!(out.contains("warning[handoff/invalid]"), "{out}");
    std::fs::write(
        root.join(".claude/handoff/ws-3-complete.signal"),
        r#"{"workstream": "WS-3", "status": "complete", "files_modified": ["gone.ts"]}"#,
    )
    .unwrap();
    let (code, out, _) = baton(root, &["handoff", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[handoff/missing-file]"), "{out}");
    let (code, _, err) = baton(root, &["handoff", "new", "--workstream", "WS-4", "--status", "done-ish"]);
    assert_eq!(code, 2, "{err}");
}
