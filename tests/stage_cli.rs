//! `baton stage …`, `baton gate run`, `baton handoff …` against a temporary workspace with gates
//! configured as tiny shell commands.

mod common;

use std::path::Path;
use std::process::Command;

use common::{copy_dir, walkthrough_workspace, WALKTHROUGH_BUG, WALKTHROUGH_FIX};

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

/// `(rule, message)` of each finding of the two stage rules (`workflow/requirement-unmet`,
/// `spec/approved-without-architecture-review`) `baton check` reports on `path`.
fn check_findings(root: &Path, path: &str) -> Vec<(String, String)> {
    let (_, out, err) = baton(root, &["check", "--format", "json", "--fail-on", "never"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == path)
        .filter(|d| {
            ["workflow/requirement-unmet", "spec/approved-without-architecture-review"]
                .contains(&d["rule"].as_str().unwrap())
        })
        .map(|d| (d["rule"].as_str().unwrap().to_string(), d["message"].as_str().unwrap().to_string()))
        .collect()
}

/// The walk-through of docs/stages.md from the CLI, on examples/wor-321 (the same story
/// `tests/nvim/stages.lua` tells in Neovim).
#[test]
fn wor_321_walkthrough_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("wor-321");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/wor-321"), &root);
    walkthrough_workspace(&root);
    let spec_rel = "docs/specs/WOR-321-spec.md";
    let spec = root.join(spec_rel);
    let original = std::fs::read_to_string(&spec).unwrap();
    let rules = |findings: &[(String, String)]| findings.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>();

    let before = check_findings(&root, spec_rel);
    assert!(
        before.contains(&(
            "workflow/requirement-unmet".into(),
            "cannot enter implement: approval:architecture missing".into()
        )),
        "{before:?}"
    );
    assert!(rules(&before).contains(&"spec/approved-without-architecture-review".to_string()), "{before:?}");

    // 1. Refused: the approval is missing and the type-check fails; nothing changes.
    let (code, _, err) = baton(&root, &["stage", "advance", "WOR-321", "--to", "qa"]);
    assert_eq!(code, 1, "{err}");
    let tail = "lib/dto/migration.ts(24,14): error TS2322: Type 'string' is not assignable to type 'number'.";
    let refusal = format!("cannot enter qa: approval:architecture missing; gate:type-check failing (exit 2): {tail}");
    assert!(err.contains(&refusal), "{err}");
    assert!(err.contains(".baton/logs/WOR-321/gate-type-check.log") && err.contains("nothing changed"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&spec).unwrap(),
        original,
        "the status changed although the advance was refused"
    );
    assert!(!root.join(".claude/handoff/WOR-321-qa.signal").exists());
    // `baton check` now says why qa cannot be entered.
    let refused = check_findings(&root, spec_rel);
    assert!(refused.contains(&("workflow/requirement-unmet".into(), refusal.clone())), "{refused:?}");

    // 2. The architecture approval: both rules accept it.
    let (code, out, err) =
        baton(&root, &["stage", "approve", "WOR-321", "--role", "architecture", "--by", "Ada Lovelace"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("recorded approval:architecture by Ada Lovelace"), "{out}");
    let approval: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".baton/evidence/WOR-321/approval:architecture.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(approval["version"], "1.1.0", "the approval records the spec's version");
    let approved = check_findings(&root, spec_rel);
    assert_eq!(
        approved,
        [(
            "workflow/requirement-unmet".to_string(),
            format!("cannot enter qa: gate:type-check failing (exit 2): {tail}")
        )]
    );

    // 3. Fix the code; 4. advance: the status line is rewritten, the handoff written.
    let dto = root.join("lib/dto/migration.ts");
    let code_text = std::fs::read_to_string(&dto).unwrap();
    std::fs::write(&dto, code_text.replace(WALKTHROUGH_BUG, WALKTHROUGH_FIX)).unwrap();
    let (code, out, err) = baton(&root, &["stage", "advance", "WOR-321", "--to", "qa"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("gate type-check: pass"), "{err}");
    assert!(!err.contains("gate lint") && !err.contains("gate test"), "passing, current gates ran again: {err}");
    assert!(out.contains("WOR-321: implement → qa"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&spec).unwrap(),
        original.replacen("status: implement", "status: Ready for QA", 1)
    );
    let signal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".claude/handoff/WOR-321-qa.signal")).unwrap())
            .unwrap();
    assert_eq!(
        (&signal["workflow_id"], &signal["stage"], &signal["status"]),
        (&"WOR-321".into(), &"qa".into(), &"complete".into())
    );
    assert_eq!(signal["validation"], serde_json::json!({"lint": "pass", "type-check": "pass", "test": "pass"}));
    let snapshot: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".claude/handoff/context-001-WOR-321-qa.json")).unwrap(),
    )
    .unwrap();
    assert_eq!((&snapshot["workflow_id"], &snapshot["phase"]), (&"WOR-321".into(), &"implement-complete".into()));
    assert!(!root.join(".baton/advance/WOR-321.json").exists(), "the refused-advance record was kept");
    assert_eq!(check_findings(&root, spec_rel), [], "findings remain on the spec after the advance");
}

/// A workspace whose stages each add a requirement: implement needs the architecture approval,
/// qa the lint gate, release the QA approval. `status` is the item's status text.
fn staged_workspace(status: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = r#"
[workflow]
stages = ["plan", "implement", "qa", "release"]
[workflow.requires]
implement = ["approval:architecture"]
qa = ["gate:lint"]
release = ["approval:qa"]
[gates.lint]
command = "echo linted"
"#;
    std::fs::write(dir.path().join("baton.toml"), config).unwrap();
    std::fs::create_dir_all(dir.path().join("docs/specs")).unwrap();
    let spec = format!("---\nid: WOR-7\nstatus: {status}\n---\n# WOR-7 spec\n\n## Objective\n\nDo it.\n");
    std::fs::write(dir.path().join("docs/specs/WOR-7-spec.md"), spec).unwrap();
    dir
}

fn spec_text(root: &Path) -> String {
    std::fs::read_to_string(root.join("docs/specs/WOR-7-spec.md")).unwrap()
}

#[test]
fn requirements_add_up_entering_qa_from_plan_needs_implements_approval_too() {
    let dir = staged_workspace("plan");
    let root = dir.path();
    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "qa"]);
    assert_eq!(code, 1, "jumping over implement skipped its approval: {out}{err}");
    assert!(err.contains("cannot enter qa: approval:architecture missing"), "{err}");
    assert!(spec_text(root).contains("status: plan"));
    baton(root, &["stage", "approve", "WOR-7", "--role", "architecture", "--by", "Ada"]);
    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "qa"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(spec_text(root).contains("status: qa"));
}

#[test]
fn an_item_in_a_stage_it_never_met_is_reported_and_cannot_advance_past_it() {
    // At qa without the architecture approval and without the lint gate ever run.
    let dir = staged_workspace("qa");
    let root = dir.path();
    let findings = check_findings(root, "docs/specs/WOR-7-spec.md");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].1.contains("approval:architecture missing"), "{findings:?}");
    assert!(findings[0].1.contains("gate:lint missing"), "{findings:?}");

    baton(root, &["stage", "approve", "WOR-7", "--role", "qa", "--by", "Bo"]);
    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "release"]);
    assert_eq!(code, 1, "advanced past a stage whose requirements never held: {out}{err}");
    assert!(err.contains("approval:architecture missing"), "{err}");
    assert!(spec_text(root).contains("status: qa"));
    assert!(!root.join(".claude/handoff").exists());

    // Standing in release without qa's gate is reported too (before: only release's own).
    let dir = staged_workspace("release");
    let findings = check_findings(dir.path(), "docs/specs/WOR-7-spec.md");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].1.contains("gate:lint missing"), "{findings:?}");
}

#[test]
fn stage_status_lists_work_items_only() {
    // A work item, plus documents with a status that are not work items: an ADR whose "Accepted"
    // is a label of the workflow, a PRD, and an archived copy of the spec with the same id.
    let dir = staged_workspace("implement");
    let root = dir.path();
    let mut config = std::fs::read_to_string(root.join("baton.toml")).unwrap();
    config.push_str("[workflow.labels]\n\"Accepted\" = \"release\"\n");
    std::fs::write(root.join("baton.toml"), config).unwrap();
    std::fs::create_dir_all(root.join("docs/adr")).unwrap();
    std::fs::create_dir_all(root.join("docs/archive")).unwrap();
    std::fs::write(
        root.join("docs/adr/ADR-012-queues.md"),
        "# ADR-012 Queues\n\n**Status**: Accepted\n\n## Decision\n\nUse a queue.\n",
    )
    .unwrap();
    std::fs::write(root.join("docs/PRD-003-export.md"), "---\nid: PRD-003\nstatus: Accepted\n---\n# PRD-003 Export\n")
        .unwrap();
    std::fs::write(root.join("docs/archive/WOR-7-spec.md"), "---\nid: WOR-7\nstatus: plan\n---\n# WOR-7 old\n")
        .unwrap();
    // Exit status 1: WOR-7 has unmet requirements; what matters here is which items are listed.
    let (code, out, err) = baton(root, &["stage", "status"]);
    assert_ne!(code, 2, "{out}{err}");
    assert!(out.contains("WOR-7"), "{out}");
    assert_eq!(out.matches("WOR-7").count(), 1, "the archived copy is listed too:\n{out}");
    assert!(
        !out.contains("ADR-012") && !out.contains("PRD-003"),
        "documents that are not work items are listed:\n{out}"
    );
}

#[test]
fn advancing_to_the_current_stage_is_refused() {
    let dir = staged_workspace("qa");
    let root = dir.path();
    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "qa"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("already in stage qa"), "{err}");
    assert!(!root.join(".claude/handoff").exists(), "a qa → qa handoff was written");
}

#[test]
fn backward_moves_need_the_flag_and_write_no_completion_signal() {
    let dir = staged_workspace("qa");
    let root = dir.path();
    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "implement"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("needs --backward"), "{err}");
    assert!(spec_text(root).contains("status: qa"));
    assert!(!root.join(".claude/handoff").exists());

    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "release", "--backward"]);
    assert_eq!(code, 2, "--backward forwards: {out}{err}");

    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "implement", "--backward"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("qa → implement (backward)"), "{out}");
    assert!(spec_text(root).contains("status: implement"));
    let written: Vec<String> = std::fs::read_dir(root.join(".claude/handoff"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(written.iter().all(|n| !n.ends_with(".signal")), "a signal was written: {written:?}");
    let snapshot: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".claude/handoff/context-001-WOR-7-implement.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(snapshot["status"], "partial");
    assert_eq!(snapshot["phase"], "implement-reopened");
}

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn committing_the_advance_keeps_its_gate_evidence_current() {
    let dir = staged_workspace("implement");
    let root = dir.path();
    std::fs::write(root.join("a.ts"), "export const a = 1;\n").unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "code"]);
    baton(root, &["stage", "approve", "WOR-7", "--role", "architecture", "--by", "Ada"]);
    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "qa"]);
    assert_eq!(code, 0, "{out}{err}");
    // The advance's own commit: the status change, the handoff and the evidence.
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "WOR-7 enters qa"]);
    assert_eq!(check_findings(root, "docs/specs/WOR-7-spec.md"), [], "the advance's commit made its evidence stale");
    // A code change does make it stale, yet the item standing in qa is not reported for it (the
    // gates held when it entered); the next advance runs the stale gate again.
    std::fs::write(root.join("a.ts"), "export const a = 2;\n").unwrap();
    git(root, &["commit", "-q", "-am", "code again"]);
    let evidence = baton::stage::EvidenceSet::load(root);
    assert!(!evidence.by_item["WOR-7"]["gate:lint"].is_current(&baton::stage::GitState::read(root)));
    assert_eq!(check_findings(root, "docs/specs/WOR-7-spec.md"), [], "a code edit turned the item at qa red");
    let (code, out, err) = baton(root, &["stage", "advance", "WOR-7", "--to", "release"]);
    assert!(err.contains("gate lint: pass"), "the advance did not re-run the stale gate: {out}{err}");
    assert_ne!(code, 2, "{out}{err}");
}

#[test]
fn no_required_gates_means_no_missing_gate_message_with_an_empty_list() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("baton.toml"), "[spec]\nrequired_gates = []\n").unwrap();
    let plan = "# Workflow\n\n## Work Streams\n\n### WS-1: Database\n\n**Executor**: backend-dev\n\nBuild it.\n\n#### Validation Gate\n\n- `npm test`\n";
    std::fs::write(root.join("WORKFLOW-PRD-001.md"), plan).unwrap();
    let (_, out, _) = baton(root, &["check", "--format", "json", "--fail-on", "never", "--no-cache"]);
    // No message names an empty list of required gates.
    assert!(!out.contains("project's  on commit") && !out.contains("required_gates`: )"), "{out}");
    assert!(!out.contains("no gate of this workflow runs"), "{out}");
    // The near miss: with a gate required, the workflow that runs none is told which.
    std::fs::write(root.join("baton.toml"), "[spec]\nrequired_gates = [\"lint\"]\n").unwrap();
    let (_, out, _) = baton(root, &["check", "--format", "json", "--fail-on", "never", "--no-cache"]);
    assert!(out.contains("no gate of this workflow runs `lint`"), "{out}");
}

/// Issue #26 item 4: whichever folder on a write path is a symbolic link out of the workspace,
/// nothing is written through it: the command says why; `baton check` warns that its cache
/// cannot be written and still checks.
#[test]
fn nothing_is_written_through_a_symbolic_link_out_of_the_workspace() {
    use std::os::unix::fs::symlink;
    for link in [".baton", ".baton/evidence", ".baton/logs", ".baton/cache", ".claude", ".claude/handoff"] {
        let dir = workspace();
        let root = dir.path();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.join(link).parent().unwrap()).unwrap();
        symlink(outside.path(), root.join(link)).unwrap();
        std::fs::write(root.join("ok"), "").unwrap();
        let (_, _, approve) = baton(root, &["stage", "approve", "WOR-9", "--role", "architecture", "--by", "Ada"]);
        let (_, _, advance) = baton(root, &["stage", "advance", "WOR-9", "--to", "qa"]);
        let (_, _, handoff) =
            baton(root, &["handoff", "new", "--workstream", "WS-1", "--status", "complete", "--files", "ok"]);
        let (check, _, warned) = baton(root, &["check"]);
        let written: Vec<_> = walk(outside.path());
        assert!(written.is_empty(), "{link}: wrote outside the workspace: {written:?}");
        let said = format!("{approve}{advance}{handoff}{warned}");
        assert!(said.contains("symbolic link"), "{link}: no clear message: {said}");
        assert!(check == 0 || check == 1, "{link}: baton check failed ({check}): {warned}");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        found.push(entry.path());
        if entry.file_type().unwrap().is_dir() {
            found.extend(walk(&entry.path()));
        }
    }
    found
}

/// Issue #26 item 9: `advance` keeps the spec's mode (it was 0600 after every advance).
#[test]
fn advance_keeps_the_mode_of_the_spec() {
    use std::os::unix::fs::PermissionsExt;
    let dir = workspace();
    let root = dir.path();
    let spec = root.join("docs/specs/WOR-9-spec.md");
    std::fs::set_permissions(&spec, std::fs::Permissions::from_mode(0o664)).unwrap();
    std::fs::write(root.join("ok"), "").unwrap();
    let (code, _, err) = baton(root, &["stage", "approve", "WOR-9", "--role", "architecture", "--by", "Ada"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = baton(root, &["stage", "advance", "WOR-9", "--to", "qa"]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&spec).unwrap().contains("Ready for QA"));
    assert_eq!(std::fs::metadata(&spec).unwrap().permissions().mode() & 0o7777, 0o664);
}

/// Issue #26 item 18: an item id too long for a file name reports the system's error, not
/// "gate:lint missing" (exit 2, as for any IO error).
#[test]
fn an_item_id_too_long_for_a_file_name_reports_the_real_error() {
    let dir = workspace();
    let root = dir.path();
    let long = format!("WOR-{}", "9".repeat(5000));
    std::fs::write(root.join("docs/specs/WOR-9-spec.md"), SPEC.replace("id: WOR-9", &format!("id: {long}"))).unwrap();
    std::fs::write(root.join("ok"), "").unwrap();
    let (code, _, err) = baton(root, &["gate", "run", "lint", "--item", &long]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("name too long"), "{err}");
    let (code, _, err) = baton(root, &["stage", "advance", &long, "--to", "qa"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("name too long") && !err.contains("missing"), "{err}");
}

/// Issue #26 item 18: `handoff new --files` refuses what `handoff verify` would reject — an
/// absolute path, one that climbs out, one through a link that resolves outside; a file of the
/// workspace (also spelled `./x/../ok`) is accepted.
#[test]
fn handoff_new_refuses_files_outside_the_workspace() {
    let dir = workspace();
    let root = dir.path();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.env"), "x").unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("linked")).unwrap();
    std::fs::write(root.join("ok"), "").unwrap();
    let escape = outside.path().join("secret.env").display().to_string();
    for file in [escape.as_str(), "../secret.env", "docs/../../secret.env", "linked/secret.env"] {
        let (code, _, err) =
            baton(root, &["handoff", "new", "--workstream", "ws2", "--status", "complete", "--files", file]);
        assert_eq!(code, 2, "{file}: {err}");
        assert!(err.contains("outside the workspace"), "{file}: {err}");
    }
    assert!(!root.join(".claude/handoff").exists());
    let (code, _, err) =
        baton(root, &["handoff", "new", "--workstream", "ws2", "--status", "complete", "--files", "./docs/../ok"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = baton(root, &["handoff", "verify"]);
    assert_eq!(code, 0, "{out}");
}

/// Issue 26: the spec changes while the gates run. The status change is located again in the
/// file as it is after the gates (text inserted before the status line, here by the gate
/// itself, must not be overwritten); when the status line itself changed, the advance is refused
/// and the file left as the gate left it.
#[test]
fn advance_relocates_the_status_after_the_gates_and_refuses_when_it_changed() {
    let spec_text = "---\nid: WOR-9\nowner: Ada Lovelace\nstatus: implement\n---\n# WOR-9 spec\n";
    for (edit, refused) in [
        // Lines inserted above the status (the offsets before the gates are stale).
        ("printf 'title: A longer title\\nreviewer: Grace Hopper\\n' > head && sed -i '1r head' docs/specs/WOR-9-spec.md", false),
        // A shorter owner: the status moves up.
        ("sed -i 's/owner: Ada Lovelace/owner: Ada/' docs/specs/WOR-9-spec.md", false),
        // The status line itself changed.
        ("sed -i 's/status: implement/status: plan/' docs/specs/WOR-9-spec.md", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config = format!(
            "[workflow]\nstages = [\"plan\", \"implement\", \"qa\"]\n[workflow.requires]\nqa = [\"gate:touch\"]\n[workflow.labels]\n\"Ready for QA\" = \"qa\"\n[gates.touch]\ncommand = \"{}\"\n",
            edit.replace('\\', "\\\\").replace('"', "\\\"")
        );
        std::fs::write(root.join("baton.toml"), config).unwrap();
        std::fs::create_dir_all(root.join("docs/specs")).unwrap();
        let spec = root.join("docs/specs/WOR-9-spec.md");
        std::fs::write(&spec, spec_text).unwrap();
        let (code, out, err) = baton(root, &["stage", "advance", "WOR-9", "--to", "qa"]);
        let after = std::fs::read_to_string(&spec).unwrap();
        if refused {
            assert_ne!(code, 0, "{edit}: {out}{err}");
            assert!(err.contains("changed while the gates ran"), "{edit}: {err}");
            assert_eq!(after, spec_text.replace("status: implement", "status: plan"), "{edit}");
            assert!(!root.join(".claude/handoff/WOR-9-qa.signal").exists(), "{edit}");
        } else {
            assert_eq!(code, 0, "{edit}: {out}{err}");
            assert!(after.contains("\nstatus: Ready for QA\n"), "{edit}: {after}");
            assert!(after.contains("owner: Ada"), "{edit}: the owner line was damaged: {after}");
            assert_eq!(after.matches("Ready for QA").count(), 1, "{after}");
        }
    }
}

/// Issue 26: evidence records the tree as the gate left it. A gate that writes a new untracked
/// report file on every run, and one that fixes code (`--fix`), can be advanced past at the
/// first try; a change made after the gate still makes its evidence stale.
#[test]
fn evidence_records_the_tree_after_the_gate() {
    let git = |root: &Path, args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(root)
            .output()
            .unwrap();
        assert!(status.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&status.stderr));
    };
    for gate in ["echo report > report-$$-$(date +%s%N).txt", "sed -i 's/bad/good/' src/a.ts"] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("baton.toml"),
            format!("[workflow]\nstages = [\"implement\", \"qa\"]\n[workflow.requires]\nqa = [\"gate:g\"]\n[workflow.labels]\n\"Ready for QA\" = \"qa\"\n[gates.g]\ncommand = \"{gate}\"\n"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("docs/specs")).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("docs/specs/WOR-9-spec.md"), SPEC).unwrap();
        std::fs::write(root.join("src/a.ts"), "export const a = 'bad';\n").unwrap();
        git(root, &["init", "-q"]);
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "init"]);
        let (code, out, err) = baton(root, &["stage", "advance", "WOR-9", "--to", "qa"]);
        assert_eq!(code, 0, "{gate}: the gate's own output made its evidence stale: {out}{err}");
        // A change after the gate makes the evidence stale.
        std::fs::write(root.join("src/b.ts"), "export const b = 1;\n").unwrap();
        let (_, out, _) = baton(root, &["stage", "status", "WOR-9"]);
        let evidence = baton::stage::EvidenceSet::load(root);
        let state = baton::stage::GitState::read(root);
        let current = evidence.by_item["WOR-9"]["gate:g"].is_current(&state);
        assert!(!current, "{gate}: a later change left the evidence current: {out}");
    }
}

/// Issue 26 (item 17): `stage status` prints ids and labels from the documents with their control
/// characters escaped.
#[test]
fn stage_status_escapes_control_characters() {
    let dir = workspace();
    let root = dir.path();
    std::fs::write(
        root.join("docs/specs/WOR-9-spec.md"),
        "---\nid: \"WOR-\\e]0;title\\a\\e[2J9\"\nstatus: \"impl\\nement\"\n---\n# spec\n",
    )
    .unwrap();
    let (code, out, err) = baton(root, &["stage", "status"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(out.contains("WOR-\\x1b]0;title\\x07\\x1b[2J9"), "{out}");
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
}

/// Piped into a reader that is gone (`baton stage status | head -0`), a command ends quietly
/// instead of panicking on the failed write.
#[test]
fn a_closed_output_pipe_is_no_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/wor-321");
    for args in [&["stage", "status"][..], &["rules"][..], &["check", "--no-cache", "."][..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(args)
            .current_dir(&root)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked") && out.status.code() != Some(101), "{args:?}: {err}");
    }
}
