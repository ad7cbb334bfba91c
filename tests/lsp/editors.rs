//! What every client meets in its first minutes (issue #27, the server items): diagnostics of
//! deleted files cleared, code lenses asked for during the scan answered from the whole
//! workspace, and "fix all" applied to a fixed point in one request.

use serde_json::{json, Value};

use crate::harness::{apply_lsp_edits, example_copy, uri, Client};

const REPORTS_MIGRATION: &str = "supabase/migrations/20240201000000_validation_reports.sql";
const VERIFY: &str = "scripts/verify-all-migrations.ts";

async fn wor321() -> Client {
    let (dir, root) = example_copy("wor-321");
    Client::start(root, Some(dir))
}

/// A deleted file's diagnostics are cleared by an empty publish: deleted on disk (a watched-file
/// Deleted event), and deleted while open and then closed.
#[tokio::test]
async fn diagnostics_of_deleted_files_are_cleared() {
    let mut client = wor321().await;
    client.initialize(json!({})).await;
    client.diagnostics_for(REPORTS_MIGRATION, |d| !d.is_empty()).await;
    std::fs::remove_file(client.root.join(REPORTS_MIGRATION)).unwrap();
    let deleted = uri(&client.root.join(REPORTS_MIGRATION));
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": deleted, "type": 3}]})).await;
    client.diagnostics_for(REPORTS_MIGRATION, <[Value]>::is_empty).await;

    // Open, deleted on disk while open (the buffer still shows findings), then closed.
    client.open(VERIFY, "typescript").await;
    client.diagnostics_for(VERIFY, |d| !d.is_empty()).await;
    std::fs::remove_file(client.root.join(VERIFY)).unwrap();
    let verify = uri(&client.root.join(VERIFY));
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": verify, "type": 3}]})).await;
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": verify}})).await;
    client.diagnostics_for(VERIFY, <[Value]>::is_empty).await;
}

/// A client that pulls workspace diagnostics gets an empty report for a file it holds a report
/// of that no longer exists.
#[tokio::test]
async fn pulled_reports_of_deleted_files_are_emptied() {
    let mut client = wor321().await;
    client
        .initialize(json!({"textDocument": {"diagnostic": {}}, "workspace": {"diagnostics": {"refreshSupport": true}}}))
        .await;
    client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
    let first = client.request("workspace/diagnostic", json!({"previousResultIds": []})).await;
    let previous: Vec<Value> = first["result"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"uri": i["uri"], "value": i["resultId"]}))
        .collect();
    let deleted = uri(&client.root.join(REPORTS_MIGRATION));
    assert!(previous.iter().any(|p| p["uri"] == deleted.as_str()));
    std::fs::remove_file(client.root.join(REPORTS_MIGRATION)).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": deleted, "type": 3}]})).await;
    let second = client.request("workspace/diagnostic", json!({"previousResultIds": previous})).await;
    let report = second["result"]["items"].as_array().unwrap().iter().find(|i| i["uri"] == deleted.as_str()).cloned();
    let report = report.expect("the deleted file has a report");
    assert_eq!(report["kind"], "full");
    assert_eq!(report["items"], json!([]));
    // Files that still exist and did not change stay "unchanged".
    let verify = uri(&client.root.join(VERIFY));
    let kept = second["result"]["items"].as_array().unwrap().iter().find(|i| i["uri"] == verify.as_str()).cloned();
    assert_eq!(kept.expect("the script is still reported")["kind"], "unchanged");
}

/// The first file's code lenses, asked for while the scan has not ended, show the handoffs that
/// only the scan reads — for a client that cannot be asked to refresh lenses.
#[tokio::test]
async fn code_lenses_asked_for_during_the_scan_are_answered_after_it() {
    let (dir, root) = example_copy("feature-chain");
    let mut client = Client::start(root, Some(dir));
    // No `workspace.codeLens.refreshSupport`; the scan is held back half a second (a test hook).
    client.initialize_with(json!({}), json!({"trusted": false, "debugScanDelayMs": 500})).await;
    let route = "src/api/routes/user-preferences.ts";
    client.open(route, "typescript").await;
    let lenses =
        client.request("textDocument/codeLens", json!({"textDocument": {"uri": uri(&client.root.join(route))}})).await;
    let titles: Vec<&str> =
        lenses["result"].as_array().unwrap().iter().map(|l| l["command"]["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles[0].starts_with("⇄ WS-2"), "{titles:?}");
    assert!(client.server_requests.iter().all(|r| r["method"] != "workspace/codeLens/refresh"));
}

/// Fixes that overlap (two insertions after the same CREATE TABLE) are applied by one "fix all":
/// the server re-analyses and applies the rest until nothing is left to fix.
#[tokio::test]
async fn fix_all_reaches_a_fixed_point_in_one_request() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let migration = "supabase/migrations/001_init.sql";
    std::fs::create_dir_all(root.join("supabase/migrations")).unwrap();
    std::fs::write(
        root.join(migration),
        "create table public.orgs (id uuid primary key);\n\
         create table public.members (\n  id uuid primary key,\n  org_id uuid references public.orgs (id)\n);\n",
    )
    .unwrap();
    let mut client = Client::start(root, Some(dir));
    client.initialize(json!({})).await;
    let text = client.open(migration, "sql").await;
    let found = client.diagnostics_for(migration, |d| d.len() == 3).await;
    let rules: Vec<&str> = found.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(rules.contains(&"sql/unindexed-foreign-key"), "{rules:?}");
    let file_uri = uri(&client.root.join(migration));
    let response = client.fix_all(&file_uri).await;
    let edits = response["result"][0]["edit"]["changes"][&file_uri].as_array().unwrap();
    let fixed = apply_lsp_edits(&text, edits);
    assert!(fixed.contains("ALTER TABLE public.orgs ENABLE ROW LEVEL SECURITY;"), "{fixed}");
    assert!(fixed.contains("ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;"), "{fixed}");
    assert!(fixed.contains("ON public.members (org_id);"), "{fixed}");
    // Nothing fixable is left: the fixed text asks for no further "fix all".
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file_uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
        )
        .await;
    client.diagnostics_for(migration, |d| d.iter().all(|d| d["code"] != "sql/unindexed-foreign-key")).await;
    let again = client.fix_all(&file_uri).await;
    assert_eq!(again["result"], json!([]), "{again}");
}

/// The status bar and the status line agree: `baton/itemStatus` reports what the item lacks to
/// stand at its stage (`standing`) — exactly what its `workflow/requirement-unmet` diagnostic
/// says — besides what the next stage needs (`unmet`).
#[tokio::test]
async fn item_status_agrees_with_the_status_line_diagnostic() {
    let mut client = wor321().await;
    client.initialize(json!({})).await;
    let spec = "docs/specs/WOR-321-spec.md";
    let diagnostics =
        client.diagnostics_for(spec, |d| d.iter().any(|d| d["code"] == "workflow/requirement-unmet")).await;
    let message = diagnostics.iter().find(|d| d["code"] == "workflow/requirement-unmet").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    let status = client.request("baton/itemStatus", json!({"uri": uri(&client.root.join(spec))})).await;
    let standing: Vec<&str> =
        status["result"]["standing"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(status["result"]["stage"], "qa");
    assert!(!standing.is_empty());
    for requirement in &standing {
        assert!(message.contains(&format!("{requirement} missing")), "{requirement} not in {message}");
    }
    assert_eq!(message.matches(" missing").count(), standing.len(), "{message} vs {standing:?}");
}

/// `baton/workItems` lists the work items of the document's folder, for a client to offer when
/// a workflow command is run from a code file.
#[tokio::test]
async fn work_items_are_listed_for_a_quick_pick() {
    let mut client = wor321().await;
    client.initialize(json!({})).await;
    client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
    let items = client.request("baton/workItems", json!({"uri": uri(&client.root.join(VERIFY))})).await;
    let items = items["result"].as_array().unwrap();
    let spec = items.iter().find(|i| i["item"] == "WOR-321").expect("WOR-321 is listed");
    assert_eq!(spec["path"], "docs/specs/WOR-321-spec.md");
    assert_eq!(spec["stage"], "qa");
    assert_eq!(spec["uri"], uri(&client.root.join("docs/specs/WOR-321-spec.md")).as_str());
    // A code file is no work item.
    assert!(items.iter().all(|i| !i["path"].as_str().unwrap().ends_with(".ts")));
}

/// A gate's progress is titled after the gate and its messages say only the state: one
/// indicator that reads "Gate lint: running", never "gate lint: gate lint".
#[tokio::test]
async fn a_gate_s_progress_names_the_gate_once() {
    let (dir, root) = example_copy("wor-321");
    // A gate that passes at once, whatever is installed.
    let config = std::fs::read_to_string(root.join("baton.toml")).unwrap();
    let config = config.replace("command = \"npm run lint -- --max-warnings=0\"", "command = \"true\"");
    std::fs::write(root.join("baton.toml"), config).unwrap();
    let mut client = Client::start(root, Some(dir));
    client.trusted = true;
    client.initialize(json!({})).await;
    client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
    let spec = uri(&client.root.join("docs/specs/WOR-321-spec.md"));
    let response = client
        .request(
            "workspace/executeCommand",
            json!({"command": "baton.runGate", "arguments": [{"uri": spec, "gate": "lint"}]}),
        )
        .await;
    assert!(response["result"]["message"].as_str().unwrap_or_default().contains("lint"), "{response}");
    let mut seen = Vec::new();
    while let Some(i) = client.inbox.iter().position(|m| m["method"] == "$/progress") {
        seen.push(client.inbox.remove(i).unwrap()["params"]["value"].clone());
    }
    let begin =
        seen.iter().find(|v| v["kind"] == "begin" && v["title"] == "Gate lint").expect("a progress for the gate");
    assert_eq!(begin["cancellable"], true, "{begin}");
    let messages: Vec<&str> = seen.iter().filter_map(|v| v["message"].as_str()).collect();
    assert!(messages.contains(&"running") && messages.contains(&"passed"), "{messages:?}");
    assert!(messages.iter().all(|m| !m.contains("gate lint")), "{messages:?}");
}
