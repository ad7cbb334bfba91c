//! The plan's editor features through the server: document symbols, hover, go-to-definition
//! and code lenses on the workflow documents of examples/wor-321.

use serde_json::{json, Value};

use crate::harness::{example_copy, uri, Client};

const REMEDIATION: &str = "docs/workflows/WORKFLOW-WOR-321-remediation.md";
const SPEC: &str = "docs/specs/WOR-321-spec.md";

async fn opened(path: &str) -> (Client, String, String) {
    let (dir, root) = example_copy("wor-321");
    let mut client = Client::start(root, Some(dir));
    client.initialize(json!({})).await;
    // The workspace scan (every other plan document and signal) is done.
    client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
    let text = client.open(path, "markdown").await;
    client.diagnostics_for(path, |_| true).await;
    let file_uri = uri(&client.root.join(path));
    (client, text, file_uri)
}

/// The LSP position (UTF-16; these documents are ASCII up to the positions used) of the
/// `nth` occurrence of `needle`, plus `delta` characters.
fn position(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let offset = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("no {needle}")).0 + delta;
    let line = text[..offset].matches('\n').count();
    let character = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": character})
}

fn lenses(response: &Value) -> Vec<(u64, String)> {
    response["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["range"]["start"]["line"].as_u64().unwrap(), l["command"]["title"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn document_symbols_list_work_streams_phases_and_gates() {
    let (mut client, _, file_uri) = opened(REMEDIATION).await;
    let response = client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": file_uri}})).await;
    let symbols = response["result"].as_array().unwrap();
    let names: Vec<(&str, u64)> =
        symbols.iter().map(|s| (s["name"].as_str().unwrap(), s["kind"].as_u64().unwrap())).collect();
    // 5 = Class (work stream), 3 = Namespace (phase).
    assert_eq!(
        names,
        [
            ("WS-3: Retroactive architecture review", 5),
            ("WS-4: RLS context fixes", 5),
            ("WS-5: Re-verification", 5),
            ("Phase 1", 3),
            ("Phase 2", 3),
            ("Phase 3", 3)
        ]
    );
    let gate = &symbols[1]["children"][0];
    // 24 = Event (gate).
    assert_eq!((gate["name"].as_str(), gate["kind"].as_u64()), (Some("Validation Gate"), Some(24)));
    assert_eq!(gate["detail"], "lint, type-check, test");
    assert_eq!(symbols[4]["detail"], "WS-4");
    assert_eq!(symbols[0]["detail"], "system-architect");
}

#[tokio::test]
async fn hover_on_a_work_stream_id_shows_title_dependencies_and_signal() {
    let (mut client, text, file_uri) = opened(REMEDIATION).await;
    // `**Depends on**: WS-3` in WS-4's section.
    let at = position(&text, "**Depends on**: WS-3", 0, 17);
    let id_start = position(&text, "**Depends on**: WS-3", 0, 16);
    let response =
        client.request("textDocument/hover", json!({"textDocument": {"uri": file_uri}, "position": at})).await;
    let value = response["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("**WS-3**: Retroactive architecture review"), "{value}");
    assert!(value.contains("Depends on: nothing"), "{value}");
    assert!(
        value.contains("Completion signal: ✗ none yet (expected `.claude/handoff/ws3-review-complete.signal`)"),
        "{value}"
    );
    assert_eq!(response["result"]["range"]["start"], id_start);
    // On WS-5's heading: its dependency and that it is not complete.
    let at = position(&text, "## WS-5", 0, 4);
    let response =
        client.request("textDocument/hover", json!({"textDocument": {"uri": file_uri}, "position": at})).await;
    let value = response["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("Depends on: WS-4 (✗ not complete)"), "{value}");
    // Prose without an id: no hover.
    let at = position(&text, "Close the gaps", 0, 2);
    let response =
        client.request("textDocument/hover", json!({"textDocument": {"uri": file_uri}, "position": at})).await;
    assert_eq!(response["result"], Value::Null);
}

#[tokio::test]
async fn definition_goes_to_sections_and_files_inside_the_root() {
    let (mut client, text, file_uri) = opened(REMEDIATION).await;
    // A work-stream id defined in this document: its heading.
    let at = position(&text, "**Depends on**: WS-4", 0, 18);
    let response =
        client.request("textDocument/definition", json!({"textDocument": {"uri": file_uri}, "position": at})).await;
    let target = &response["result"][0];
    assert_eq!(target["uri"], file_uri.as_str());
    assert_eq!(target["range"]["start"], position(&text, "## WS-4", 0, 0));
    // One defined in the spec (WS-1, named in prose here): the spec's section.
    let at = position(&text, "code of WS-1", 0, 9);
    let response =
        client.request("textDocument/definition", json!({"textDocument": {"uri": file_uri}, "position": at})).await;
    let spec_text = std::fs::read_to_string(client.root.join(SPEC)).unwrap();
    assert_eq!(response["result"][0]["uri"], uri(&client.root.join(SPEC)).as_str());
    assert_eq!(response["result"][0]["range"]["start"], position(&spec_text, "## Work Stream 1", 0, 0));
    // A backticked path: the file.
    let at = position(&text, "`scripts/verify-all-migrations.ts`", 0, 3);
    let response =
        client.request("textDocument/definition", json!({"textDocument": {"uri": file_uri}, "position": at})).await;
    assert_eq!(response["result"][0]["uri"], uri(&client.root.join("scripts/verify-all-migrations.ts")).as_str());
    // A path that does not exist (the signal WS-3 has not written yet): nothing.
    let at = position(&text, "`.claude/handoff/ws3-review-complete.signal`", 0, 3);
    let response =
        client.request("textDocument/definition", json!({"textDocument": {"uri": file_uri}, "position": at})).await;
    assert_eq!(response["result"], Value::Null);
}

#[tokio::test]
async fn code_lenses_say_whether_each_stream_is_done_or_blocked_and_follow_edits() {
    let (mut client, text, file_uri) = opened(REMEDIATION).await;
    let response = client.request("textDocument/codeLens", json!({"textDocument": {"uri": file_uri.clone()}})).await;
    let line = |needle: &str| position(&text, needle, 0, 0)["line"].as_u64().unwrap();
    assert_eq!(
        lenses(&response),
        [
            (line("## WS-3"), "✗ no completion signal".to_string()),
            (line("## WS-4"), "blocked by WS-3".to_string()),
            (line("## WS-5"), "blocked by WS-4".to_string())
        ]
    );
    // Editing WS-5's dependencies updates its lens.
    let edited = text.replace("**Depends on**: WS-4\n", "**Depends on**: WS-3, WS-4\n");
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file_uri.clone(), "version": 2}, "contentChanges": [{"text": edited}]}),
        )
        .await;
    let response = client.request("textDocument/codeLens", json!({"textDocument": {"uri": file_uri}})).await;
    assert_eq!(lenses(&response)[2].1, "blocked by WS-3, WS-4");
}

#[tokio::test]
async fn code_lenses_on_the_spec_follow_the_handoff_signals() {
    let (mut client, _, file_uri) = opened(SPEC).await;
    let response = client.request("textDocument/codeLens", json!({"textDocument": {"uri": file_uri}})).await;
    let titles: Vec<String> = lenses(&response).into_iter().map(|l| l.1).collect();
    // WS-1 and WS-2 have complete signals in .claude/handoff/; what the lens says is what the
    // handoff reader reports for them.
    let root = client.root.clone();
    let workspace =
        baton::workspace::Workspace::load(&root, baton::config::Config::load(&root.join("baton.toml")).unwrap());
    let docs: Vec<&baton::syntax::Document> = workspace.documents.iter().map(|d| &**d).collect();
    let handoffs = baton::handoff::Handoffs::build(&docs, &workspace.config);
    let ws = |s: &str| baton::plan::WorkstreamId::parse(s).unwrap();
    let expected: Vec<String> = [(ws("WS-1"), vec![]), (ws("WS-2"), vec![ws("WS-1")])]
        .iter()
        .map(|(id, deps)| baton::plan::ide::lens_title(id, deps, |d| handoffs.completion_signal(d)))
        .collect();
    assert_eq!(titles, expected);
    assert_eq!(titles.len(), 2);
}

/// The lenses read build-pipeline checkpoints as `baton check` does: a stream listed in
/// `completed_workstreams` of a checkpoint of *this* plan is complete; a checkpoint of another
/// plan completing streams with the same ids changes nothing.
#[tokio::test]
async fn code_lenses_and_hover_read_the_plans_build_pipeline_checkpoints() {
    let (dir, root) = example_copy("wor-321");
    let folder = root.join(".claude/skills/build-pipeline/checkpoints");
    std::fs::create_dir_all(&folder).unwrap();
    let checkpoint = |spec: &str, completed: &[&str]| {
        json!({
            "exec_spec_path": spec,
            "status": "in_progress",
            "completed_workstreams": completed,
            "in_progress_workstreams": [],
            "pending_workstreams": [],
            "failed_workstreams": [],
            "created_at": "2026-11-02T09:00:00Z",
            "updated_at": "2026-11-02T10:00:00Z"
        })
        .to_string()
    };
    std::fs::write(folder.join("WOR-321-remediation.json"), checkpoint(REMEDIATION, &["WS-3"])).unwrap();
    std::fs::write(folder.join("WOR-400.json"), checkpoint("docs/workflows/WORKFLOW-WOR-400.md", &["WS-3", "WS-4"]))
        .unwrap();
    let mut client = Client::start(root, Some(dir));
    client.initialize(json!({})).await;
    client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
    let text = client.open(REMEDIATION, "markdown").await;
    client.diagnostics_for(REMEDIATION, |_| true).await;
    let file_uri = uri(&client.root.join(REMEDIATION));
    let response = client.request("textDocument/codeLens", json!({"textDocument": {"uri": file_uri.clone()}})).await;
    let line = |needle: &str| position(&text, needle, 0, 0)["line"].as_u64().unwrap();
    assert_eq!(
        lenses(&response),
        [
            (line("## WS-3"), "✓ complete (checkpoint)".to_string()),
            (line("## WS-4"), "✗ no completion signal".to_string()),
            (line("## WS-5"), "blocked by WS-4".to_string())
        ]
    );
    let at = position(&text, "## WS-4", 0, 4);
    let response =
        client.request("textDocument/hover", json!({"textDocument": {"uri": file_uri.clone()}, "position": at})).await;
    let value = response["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("Depends on: WS-3 (✓ complete)"), "{value}");
    assert!(value.contains("Completion signal: ✗ none yet"), "{value}");
    let at = position(&text, "## WS-3", 0, 4);
    let response =
        client.request("textDocument/hover", json!({"textDocument": {"uri": file_uri}, "position": at})).await;
    let value = response["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains(
            "Completed in checkpoint: ✓ `.claude/skills/build-pipeline/checkpoints/WOR-321-remediation.json`"
        ),
        "{value}"
    );
}
