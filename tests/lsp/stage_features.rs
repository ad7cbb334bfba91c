//! Workflow commands over LSP (issue #8): trust, progress, cancellation, advance through a
//! `WorkspaceEdit`, `baton/itemStatus`, stage code actions.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::harness::{uri, Client};

const SPEC: &str = "docs/specs/WOR-9-spec.md";
const SPEC_TEXT: &str = "---\nid: WOR-9\nstatus: implement\n---\n# WOR-9 spec\n";

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(
        root.join("baton.toml"),
        r#"
[workflow]
stages = ["plan", "implement", "qa"]
[workflow.requires]
implement = ["approval:architecture"]
qa = ["gate:check"]
[workflow.labels]
"Ready for QA" = "qa"
[gates.check]
command = "touch gate-ran; test -f ok || { echo 'error TS2322: nope'; exit 1; }"
[gates.slow]
command = "sleep 30"
[agents]
command = ["sh", "-c", "test -f \"$0\" && mkdir -p .claude/handoff && echo '{\"workstream\": \"WS-1\", \"status\": \"complete\"}' > .claude/handoff/WOR-9-qa.signal", "{brief}"]
"#,
    )
    .unwrap();
    std::fs::create_dir_all(root.join("docs/specs")).unwrap();
    std::fs::write(root.join(SPEC), SPEC_TEXT).unwrap();
    (dir, root)
}

async fn started(trusted: bool) -> Client {
    let (dir, root) = workspace();
    let mut client = Client::start(root, Some(dir));
    client.trusted = trusted;
    client.initialize(json!({})).await;
    // The scan is done once the spec's workflow finding is published.
    let found = client.diagnostics_for(SPEC, |d| d.iter().any(|x| x["code"] == "workflow/requirement-unmet")).await;
    assert!(found[0]["message"].as_str().unwrap().contains("cannot enter implement: approval:architecture missing"));
    client
}

fn command(client: &Client, name: &str, mut args: Value) -> Value {
    args["uri"] = json!(uri(&client.root.join(SPEC)));
    json!({"command": name, "arguments": [args]})
}

#[tokio::test]
async fn untrusted_workspace_runs_nothing() {
    let mut client = started(false).await;
    for (name, args) in [
        ("baton.runGate", json!({"gate": "check"})),
        ("baton.advanceStage", json!({"stage": "qa"})),
        ("baton.recordApproval", json!({"role": "architecture", "by": "Ada"})),
        ("baton.dispatchAgent", json!({"role": "implementer"})),
    ] {
        let params = command(&client, name, args);
        let response = client.request("workspace/executeCommand", params).await;
        let message = response["error"]["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains("not trusted"), "{name}: {response}");
    }
    assert!(!client.root.join("gate-ran").exists(), "a gate ran in an untrusted workspace");
    assert!(!client.root.join(".baton").exists());
}

#[tokio::test]
async fn advance_refused_on_failing_gate_then_applied_as_workspace_edit() {
    let mut client = started(true).await;
    let mut params = command(&client, "baton.advanceStage", json!({"stage": "qa"}));
    params["workDoneToken"] = json!("adv-1");
    let response = client.request("workspace/executeCommand", params).await;
    let message = response["error"]["message"].as_str().unwrap_or_default().to_string();
    // Requirements add up: entering qa needs implement's approval too.
    assert!(
        message.contains(
            "cannot enter qa: approval:architecture missing; gate:check failing (exit 1): error TS2322: nope"
        ),
        "{response}"
    );
    assert!(client.root.join("gate-ran").exists());
    assert_eq!(std::fs::read_to_string(client.root.join(SPEC)).unwrap(), SPEC_TEXT);
    assert!(!client.server_requests.iter().any(|r| r["method"] == "workspace/applyEdit"));
    // Progress on the client's token: begin, a report per gate event, end.
    client.wait_for("$/progress", |p| p["token"] == "adv-1" && p["value"]["kind"] == "begin").await;
    client.wait_for("$/progress", |p| p["token"] == "adv-1" && p["value"]["kind"] == "report").await;
    client.wait_for("$/progress", |p| p["token"] == "adv-1" && p["value"]["kind"] == "end").await;
    // The status line now says why qa cannot be entered (what implement lacks is part of it, said
    // once; the failing gate with its output), and a code action opens the log.
    client
        .diagnostics_for(SPEC, |d| {
            let messages: Vec<&str> = d.iter().filter_map(|x| x["message"].as_str()).collect();
            messages.contains(
                &"cannot enter qa: approval:architecture missing; gate:check failing (exit 1): error TS2322: nope",
            )
        })
        .await;
    let spec_uri = uri(&client.root.join(SPEC));
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": spec_uri}, "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}},
                   "context": {"diagnostics": []}}),
        )
        .await;
    let titles: Vec<&str> = actions["result"].as_array().unwrap().iter().filter_map(|a| a["title"].as_str()).collect();
    for expected in ["Advance WOR-9 → qa", "Run gate check", "Open gate log (check)"] {
        assert!(titles.contains(&expected), "{expected} not in {titles:?}");
    }
    // The approval action says whose name it records (git's user.name, else $USER).
    assert!(
        titles.iter().any(|t| t.strip_prefix("Record approval (architecture) as ").is_some_and(|by| !by.is_empty())),
        "{titles:?}"
    );

    // Approve, fix the code; advance again: the edit goes to the editor, the handoff is written.
    let params = command(&client, "baton.recordApproval", json!({"role": "architecture", "by": "Ada"}));
    let response = client.request("workspace/executeCommand", params).await;
    assert!(response["result"].is_object(), "{response}");
    std::fs::write(client.root.join("ok"), "").unwrap();
    let params = command(&client, "baton.advanceStage", json!({"stage": "qa"}));
    let response = client.request("workspace/executeCommand", params).await;
    assert!(response["result"]["message"].as_str().unwrap().contains("WOR-9: implement → qa"), "{response}");
    let edit = client.server_requests.iter().find(|r| r["method"] == "workspace/applyEdit").expect("an applyEdit");
    let changes = &edit["params"]["edit"]["changes"][&spec_uri];
    assert_eq!(changes[0]["newText"], "Ready for QA");
    assert_eq!(changes[0]["range"]["start"], json!({"line": 2, "character": 8}));
    assert!(client.root.join(".claude/handoff/WOR-9-qa.signal").is_file());
    assert!(client.root.join(".claude/handoff/context-001-WOR-9-qa.json").is_file());
}

#[tokio::test]
async fn item_status_and_recorded_approval() {
    let mut client = started(true).await;
    let spec_uri = uri(&client.root.join(SPEC));
    let status = client.request("baton/itemStatus", json!({"uri": spec_uri})).await;
    // Entering qa needs implement's approval too (requirements add up).
    assert_eq!(
        status["result"],
        json!({"item": "WOR-9", "stage": "implement", "unmet": ["approval:architecture", "gate:check"]})
    );
    let none = client.request("baton/itemStatus", json!({"uri": uri(&client.root.join("baton.toml"))})).await;
    assert_eq!(none["result"], Value::Null);

    let params = command(&client, "baton.recordApproval", json!({"role": "architecture", "by": "Ada", "note": "ok"}));
    let response = client.request("workspace/executeCommand", params).await;
    assert!(response["result"]["message"].as_str().unwrap().contains("approval:architecture by Ada"), "{response}");
    // Evidence is reloaded and both findings go away: the recorded approval satisfies
    // `spec/approved-without-architecture-review` too.
    client.diagnostics_for(SPEC, |d| d.is_empty()).await;
    let shown = client.request("workspace/executeCommand", command(&client, "baton.showEvidence", json!({}))).await;
    assert_eq!(shown["result"]["evidence"]["approval:architecture"]["by"], "Ada");
}

#[tokio::test]
async fn cancelling_the_progress_kills_the_gate() {
    let mut client = started(true).await;
    let mut params = command(&client, "baton.runGate", json!({"gate": "slow"}));
    params["workDoneToken"] = json!("slow-1");
    let started_at = std::time::Instant::now();
    client.send(json!({"jsonrpc": "2.0", "id": 900, "method": "workspace/executeCommand", "params": params})).await;
    client.wait_for("$/progress", |p| p["token"] == "slow-1" && p["value"]["kind"] == "begin").await;
    client.notify("window/workDoneProgress/cancel", json!({"token": "slow-1"})).await;
    let response = client.response(900).await;
    assert!(started_at.elapsed() < std::time::Duration::from_secs(10));
    assert!(response["result"]["message"].as_str().unwrap().contains("cancelled"), "{response}");
    assert!(!client.root.join(".baton/evidence/WOR-9/gate:slow.json").exists(), "a cancelled run recorded evidence");
}

#[tokio::test]
async fn dispatch_writes_a_brief_runs_the_agent_and_verifies_its_handoff() {
    let mut client = started(true).await;
    let mut params = command(&client, "baton.dispatchAgent", json!({"role": "implementer"}));
    params["workDoneToken"] = json!("agent-1");
    let response = client.request("workspace/executeCommand", params).await;
    let message = response["result"]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("implementer agent passed"), "{response}");
    assert!(message.contains("handoff .claude/handoff/WOR-9-qa.signal: status complete"), "{response}");
    let brief = std::fs::read_to_string(client.root.join(".baton/briefs/WOR-9-qa.md")).unwrap();
    assert!(brief.contains("## Unmet requirements for qa") && brief.contains("gate:check missing"), "{brief}");
    client.wait_for("$/progress", |p| p["token"] == "agent-1" && p["value"]["kind"] == "end").await;
}

/// Evidence recorded outside the editor (`baton stage approve` in a terminal) reaches the
/// editor through the watched-files notification: the finding goes away without a command.
#[tokio::test]
async fn evidence_written_on_disk_is_picked_up() {
    let mut client = started(true).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["stage", "approve", "WOR-9", "--role", "architecture", "--by", "Ada"])
        .current_dir(&client.root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let written = baton::stage::evidence::evidence_path(&client.root, "WOR-9", "approval:architecture");
    assert!(written.is_file());
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri(&written), "type": 1}]})).await;
    client.diagnostics_for(SPEC, |d| d.is_empty()).await;
    // The evidence file is not taken for a workspace document (nothing is published for it).
    client.request("shutdown", Value::Null).await;
    let evidence_uri = uri(&written);
    assert!(
        client.inbox.iter().all(|m| m["params"]["uri"] != evidence_uri.as_str()),
        "diagnostics published for the evidence file"
    );
}

/// Issue 26: the status change the server sends is computed from the document as it is after
/// the gates, as a versioned edit (`documentChanges`): for a closed file from its text on disk
/// (here changed by the gate itself), for an open one from the editor's text, with its version.
#[tokio::test]
async fn advance_sends_a_versioned_edit_located_after_the_gates() {
    for open in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let gate = if open { "sleep 2" } else { "sed -i '1a title: inserted by the gate' docs/specs/WOR-9-spec.md" };
        std::fs::write(
            root.join("baton.toml"),
            format!("[workflow]\nstages = [\"implement\", \"qa\"]\n[workflow.requires]\nqa = [\"gate:check\"]\n[workflow.labels]\n\"Ready for QA\" = \"qa\"\n[gates.check]\ncommand = \"{gate}\"\n"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("docs/specs")).unwrap();
        std::fs::write(root.join(SPEC), SPEC_TEXT).unwrap();
        let mut client = Client::start(root, Some(dir));
        client.trusted = true;
        client.initialize(json!({"workspace": {"workspaceEdit": {"documentChanges": true}}})).await;
        let spec_uri = uri(&client.root.join(SPEC));
        // The scan is done once the server knows the item.
        for _ in 0..200 {
            let status = client.request("baton/itemStatus", json!({"uri": spec_uri})).await;
            if status["result"]["item"] == "WOR-9" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        if open {
            client
                .notify(
                    "textDocument/didOpen",
                    json!({"textDocument": {"uri": spec_uri, "languageId": "markdown", "version": 1, "text": SPEC_TEXT}}),
                )
                .await;
        }
        let mut params = command(&client, "baton.advanceStage", json!({"stage": "qa"}));
        params["arguments"][0]["uri"] = json!(spec_uri);
        client
            .send(json!({"jsonrpc": "2.0", "id": 7777, "method": "workspace/executeCommand", "params": params}))
            .await;
        if open {
            // While the gate runs, the user types two lines above the status.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            client
                .notify(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": spec_uri, "version": 2},
                           "contentChanges": [{"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "text": "a: 1\nb: 2\n"}]}),
                )
                .await;
        }
        let response = loop {
            let message = client.read_message().await;
            if message["id"] == 7777 {
                break message;
            }
        };
        assert!(response["result"]["message"].as_str().unwrap_or("").contains("implement → qa"), "{response}");
        let edit = client.server_requests.iter().find(|r| r["method"] == "workspace/applyEdit").expect("an applyEdit");
        let change = &edit["params"]["edit"]["documentChanges"][0];
        assert_eq!(change["textDocument"]["uri"], spec_uri.as_str(), "{edit}");
        let (version, line) = if open { (json!(2), 4) } else { (Value::Null, 3) };
        assert_eq!(change["textDocument"]["version"], version, "{edit}");
        assert_eq!(change["edits"][0]["newText"], "Ready for QA");
        assert_eq!(change["edits"][0]["range"]["start"], json!({"line": line, "character": 8}), "{edit}");
        assert_eq!(change["edits"][0]["range"]["end"], json!({"line": line, "character": 17}), "{edit}");
    }
}

/// On a spec's status line the stage actions come first and suppression last, never preferred,
/// and "Suppress on this line" writes a YAML comment inside the front matter.
#[tokio::test]
async fn suppressing_a_status_line_finding_is_last_and_stays_yaml() {
    let (dir, root) = workspace();
    let mut client = Client::start(root, Some(dir));
    client.trusted = true;
    client.initialize(json!({})).await;
    let found = client.diagnostics_for(SPEC, |d| d.iter().any(|x| x["code"] == "workflow/requirement-unmet")).await;
    let diagnostic = found.iter().find(|x| x["code"] == "workflow/requirement-unmet").unwrap().clone();
    let spec_uri = uri(&client.root.join(SPEC));
    let response = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": spec_uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
        )
        .await;
    let actions = response["result"].as_array().unwrap().clone();
    let titles: Vec<&str> = actions.iter().filter_map(|a| a["title"].as_str()).collect();
    let first_suppress = titles.iter().position(|t| t.starts_with("Suppress ")).expect("suppress offered");
    assert!(first_suppress > 0, "{titles:?}");
    assert!(titles[first_suppress..].iter().all(|t| t.starts_with("Suppress ")), "{titles:?}");
    assert!(actions
        .iter()
        .filter(|a| a["title"].as_str().unwrap().starts_with("Suppress "))
        .all(|a| a["isPreferred"] != true));
    let line = &actions[first_suppress];
    let edit = &line["edit"]["changes"][&spec_uri][0];
    assert_eq!(edit["newText"], "# baton-ignore workflow/requirement-unmet: reason\n");
    assert_eq!(edit["range"]["start"]["line"], diagnostic["range"]["start"]["line"]);
}
