//! Trust (issue #26): an untrusted folder, or a file outside every folder, gets nothing run —
//! not a gate, not an agent, not a program its git configuration names; trust is per folder.

use serde_json::{json, Value};

use crate::common::{git_repo_naming_a_program, GIT_PROGRAMS};
use crate::harness::{uri, Client};

/// Item 1: `initialize` of an untrusted folder and opening a file of another repository read the
/// git state (evidence exists in both) without running fsmonitor, a clean filter or a textconv
/// driver. Each program would create a marker and block for an hour: the harness's 20-second
/// wait per message bounds the test.
#[tokio::test]
async fn git_runs_no_program_for_an_untrusted_folder_or_an_outside_file() {
    for program in GIT_PROGRAMS {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let root = base.join("folder");
        let outside = base.join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let marker = git_repo_naming_a_program(&root, program);
        let outside_marker = git_repo_naming_a_program(&outside, program);
        let mut client = Client::start(root.clone(), Some(dir));
        client.initialize(json!({})).await;
        client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
        let file = outside.join("src/a.ts");
        let text = std::fs::read_to_string(&file).unwrap();
        client
            .notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri(&file), "languageId": "typescript", "version": 1, "text": text}}),
            )
            .await;
        let hover = client
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": uri(&file)}, "position": {"line": 0, "character": 0}}),
            )
            .await;
        assert!(hover.get("error").is_none(), "{hover}");
        assert!(!marker.exists(), "{program:?}: the folder's git program ran");
        assert!(!outside_marker.exists(), "{program:?}: the outside repository's git program ran");
        let response = client.request("shutdown", Value::Null).await;
        assert_eq!(response["result"], Value::Null);
    }
}

const SPEC: &str = "docs/specs/WOR-9-spec.md";
/// [`SPEC`] for `Client::diagnostics_for` (paths relative to the client's root).
const SPEC_IN_W: &str = SPEC;
const CONFIG: &str = r#"
[workflow]
stages = ["plan", "implement", "qa"]
[workflow.requires]
qa = ["gate:check"]
[gates.check]
command = "touch gate-ran; test -f ok || { echo 'error: nope'; exit 1; }"
[agents]
command = ["sh", "-c", "touch agent-ran", "{brief}"]
"#;

/// A folder with a spec (`WOR-9`, stage implement) whose gate `check` leaves `gate-ran`.
fn folder(path: &std::path::Path) {
    std::fs::create_dir_all(path.join("docs/specs")).unwrap();
    std::fs::write(path.join("baton.toml"), CONFIG).unwrap();
    std::fs::write(path.join(SPEC), "---\nid: WOR-9\nstatus: implement\n---\n# WOR-9 spec\n").unwrap();
}

/// Starts a server on `folders` with `initializationOptions.trusted = trusted`.
async fn session(base: &std::path::Path, folders: &[&std::path::Path], trusted: Value) -> Client {
    let mut client = Client::start(base.to_path_buf(), None);
    let folders: Vec<Value> = folders.iter().map(|f| json!({"uri": uri(f), "name": "f"})).collect();
    client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {"window": {"workDoneProgress": true}},
                   "workspaceFolders": folders, "initializationOptions": {"trusted": trusted}}),
        )
        .await;
    client.notify("initialized", json!({})).await;
    client
}

async fn open(client: &mut Client, spec: &std::path::Path) {
    let text = std::fs::read_to_string(spec).unwrap();
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(spec), "languageId": "markdown", "version": 1, "text": text}}),
        )
        .await;
}

/// Opens the spec and lists the titles of the code actions on its status line.
async fn titles(client: &mut Client, spec: &std::path::Path) -> Vec<String> {
    open(client, spec).await;
    known(client, spec).await;
    actions(client, spec).await
}

/// The titles of the code actions on the status line of the (open) spec.
async fn actions(client: &mut Client, spec: &std::path::Path) -> Vec<String> {
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(spec)}, "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}},
                   "context": {"diagnostics": []}}),
        )
        .await;
    actions["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a["title"].as_str().map(String::from))
        .collect()
}

/// Waits until the spec is a known work item (its folder's scan is in).
async fn known(client: &mut Client, spec: &std::path::Path) {
    for _ in 0..400 {
        let status = client.request("baton/itemStatus", json!({"uri": uri(spec)})).await;
        if !status["result"].is_null() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{} never became a work item", spec.display());
}

async fn run_gate(client: &mut Client, spec: &std::path::Path) -> Value {
    known(client, spec).await;
    client
        .request(
            "workspace/executeCommand",
            json!({"command": "baton.runGate", "arguments": [{"uri": uri(spec), "gate": "check"}]}),
        )
        .await
}

/// Item 3: trust is per folder. With folder A trusted and B not, B's spec is offered no stage
/// action and its gate does not run; A's (the near miss) does. A file outside every folder is
/// untrusted even when the client says `true`. An old client's `true` still trusts every folder.
#[tokio::test]
async fn trust_is_per_folder_and_files_outside_every_folder_are_untrusted() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(dir.path()).unwrap();
    let (a, b, outside) = (base.join("a"), base.join("b"), base.join("outside"));
    for f in [&a, &b, &outside] {
        folder(f);
    }
    let mut client = session(&base, &[&a, &b], json!([uri(&a)])).await;
    let in_b = titles(&mut client, &b.join(SPEC)).await;
    assert!(
        !in_b.iter().any(|t| t.starts_with("Run gate") || t.starts_with("Advance") || t.starts_with("Dispatch")),
        "{in_b:?}"
    );
    let refused = run_gate(&mut client, &b.join(SPEC)).await;
    assert!(refused["error"]["message"].as_str().unwrap_or_default().contains("not trusted"), "{refused}");
    assert!(!b.join("gate-ran").exists(), "the untrusted folder's gate ran");
    let in_a = titles(&mut client, &a.join(SPEC)).await;
    assert!(in_a.iter().any(|t| t == "Run gate check"), "{in_a:?}");
    let ran = run_gate(&mut client, &a.join(SPEC)).await;
    assert!(ran.get("error").is_none(), "{ran}");
    assert!(a.join("gate-ran").exists());
    client.request("shutdown", Value::Null).await;

    // `true` (old clients): every workspace folder, but never a file outside them.
    let mut client = session(&base, &[&b], json!(true)).await;
    let at_outside = titles(&mut client, &outside.join(SPEC)).await;
    assert!(!at_outside.iter().any(|t| t.starts_with("Run gate")), "{at_outside:?}");
    let refused = run_gate(&mut client, &outside.join(SPEC)).await;
    assert!(refused["error"]["message"].as_str().unwrap_or_default().contains("not trusted"), "{refused}");
    assert!(!outside.join("gate-ran").exists(), "a gate outside every folder ran");
    let ran = run_gate(&mut client, &b.join(SPEC)).await;
    assert!(ran.get("error").is_none(), "{ran}");
    assert!(b.join("gate-ran").exists());
    drop(dir);
}

/// Item 6: in a trusted folder, every path a command is handed is resolved and contained: an
/// agent role cannot name a log outside, `baton.openLog` shows no file outside `.baton/logs`, and
/// "Open gate log" is not offered for a log path an edited evidence file points elsewhere.
#[tokio::test]
async fn paths_handed_to_commands_stay_inside_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(dir.path()).unwrap();
    let root = base.join("w");
    folder(&root);
    let mut client = session(&root, &[&root], json!(true)).await;
    let spec = root.join(SPEC);
    let command = |name: &str, args: Value| {
        let mut args = args;
        args["uri"] = json!(uri(&spec));
        json!({"command": name, "arguments": [args]})
    };
    let response = client
        .request("workspace/executeCommand", command("baton.dispatchAgent", json!({"role": "../../../../escaped"})))
        .await;
    assert!(response.get("error").is_some(), "{response}");
    assert!(!root.join("agent-ran").exists());
    assert!(!base.join("escaped.log").exists() && !base.join("agent-../../../../escaped.log").exists());
    let found: Vec<_> = std::fs::read_dir(&base).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(found.len(), 1, "something was written beside the workspace: {found:?}");

    std::fs::create_dir_all(root.join(".baton/logs")).unwrap();
    for path in [".baton/logs/../../w/baton.toml", ".baton/logs/../baton.toml", "/etc/passwd"] {
        let response =
            client.request("workspace/executeCommand", command("baton.openLog", json!({"path": path}))).await;
        assert!(
            response["error"]["message"].as_str().unwrap_or_default().contains("no gate log"),
            "{path}: {response}"
        );
    }
    assert!(!client.server_requests.iter().any(|r| r["method"] == "window/showDocument"));

    // A failing gate's evidence, edited to point its log at a file outside the logs (after a
    // refused advance to qa, the status line's diagnostic names the failing gate).
    let evidence = root.join(".baton/evidence/WOR-9");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::create_dir_all(root.join(".baton/advance")).unwrap();
    std::fs::write(
        root.join(".baton/advance/WOR-9.json"),
        json!({"item": "WOR-9", "to": "qa", "at": "2026-01-01T00:00:00Z", "by": "t"}).to_string(),
    )
    .unwrap();
    std::fs::write(root.join(".baton/logs/gate-check.log"), "real log").unwrap();
    open(&mut client, &spec).await;
    let cases =
        [("../../etc/passwd", false), (".baton/logs/../baton.toml", false), (".baton/logs/gate-check.log", true)];
    for (i, (log, offered)) in cases.into_iter().enumerate() {
        let tail = format!("failure number {i}");
        let record = json!({"requirement": "gate:check", "status": "fail", "at": "2026-01-01T00:00:00Z", "by": "t",
                            "exit_code": 1, "output_tail": tail, "git_head": null, "dirty": false, "log": log});
        std::fs::write(evidence.join("gate:check.json"), record.to_string()).unwrap();
        let changed = json!({"changes": [{"uri": uri(&evidence.join("gate:check.json")), "type": 2}]});
        client.notify("workspace/didChangeWatchedFiles", changed).await;
        client
            .diagnostics_for(SPEC_IN_W, |d| d.iter().any(|x| x["message"].as_str().unwrap_or("").contains(&tail)))
            .await;
        let titles = actions(&mut client, &spec).await;
        assert_eq!(titles.iter().any(|t| t.starts_with("Open gate log")), offered, "{log}: {titles:?}");
    }
}
