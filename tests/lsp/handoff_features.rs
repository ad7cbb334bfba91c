//! Handoff editor features through the server: code lenses and hover on files named by handoffs,
//! inlay hints, go-to-definition and completion in snapshots and signals
//! (`examples/feature-chain`).

use serde_json::{json, Value};

use crate::harness::{example_copy, uri, Client};

const ROUTE: &str = "src/api/routes/user-preferences.ts";
const CONTEXT_2: &str = ".claude/context/context-002-implementation.json";

/// A server over a copy of the feature-chain example, scanned (its planted findings published).
async fn feature_chain(extra_capabilities: Value) -> Client {
    let (dir, root) = example_copy("feature-chain");
    let mut client = Client::start(root, Some(dir));
    client.initialize(extra_capabilities).await;
    client.diagnostics_for(".claude/context/context-001-design.json", |d| !d.is_empty()).await;
    client
}

fn doc(client: &Client, path: &str) -> Value {
    json!({"uri": uri(&client.root.join(path))})
}

/// The (line, character) of the first occurrence of `needle` in `text`, plus `delta` characters.
fn position(text: &str, needle: &str, delta: usize) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle} not in text")) + delta;
    let line = text[..at].matches('\n').count();
    let character = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": character})
}

fn whole_file() -> Value {
    json!({"start": {"line": 0, "character": 0}, "end": {"line": 10_000, "character": 0}})
}

#[tokio::test]
async fn code_lens_and_hover_show_the_handoffs_that_name_a_source_file() {
    let mut client = feature_chain(json!({})).await;
    client.open(ROUTE, "typescript").await;
    let response = client.request("textDocument/codeLens", json!({"textDocument": doc(&client, ROUTE)})).await;
    let titles: Vec<&str> =
        response["result"].as_array().unwrap().iter().map(|l| l["command"]["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "⇄ WS-2 · tdd-typescript-implementer agent · complete · 2 pending actions",
            "⇄ feature-user-prefs-20250115 · tdd-typescript-implementer agent · implementation-complete · 4 pending actions",
        ]
    );
    assert_eq!(response["result"][0]["range"]["start"], json!({"line": 0, "character": 0}));

    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": doc(&client, ROUTE), "position": {"line": 0, "character": 3}}),
        )
        .await;
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("GET answers 429 once a user exceeds 10 requests a minute"), "{markdown}");
    assert!(markdown.contains("Pending actions:\n- Move the rate-limit store to Redis"), "{markdown}");
    assert!(markdown.contains("Constraints:\n- Must handle concurrent updates"), "{markdown}");
    assert!(markdown.contains("[.claude/handoff/PRD-HZ-001-WS2-complete.signal](file://"), "{markdown}");

    let other = "src/types/user-preferences.ts";
    client.open("src/api/middleware/rate-limit.ts", "typescript").await;
    client.open(other, "typescript").await;
    let response = client.request("textDocument/codeLens", json!({"textDocument": doc(&client, other)})).await;
    let titles: Vec<&str> =
        response["result"].as_array().unwrap().iter().map(|l| l["command"]["title"].as_str().unwrap()).collect();
    // The Markdown signal of WS-4 names it too: unstructured signals count.
    assert_eq!(
        titles,
        [
            "⇄ WS-4 · complete",
            "⇄ feature-user-prefs-20250115 · tdd-typescript-implementer agent · implementation-complete · 4 pending actions"
        ]
    );
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": doc(&client, ROUTE), "position": {"line": 5, "character": 3}}),
        )
        .await;
    assert_eq!(hover["result"], Value::Null, "only the first line hovers");
}

#[tokio::test]
async fn inlay_hints_tell_successors_and_missing_files() {
    let mut client = feature_chain(json!({})).await;
    client.open(CONTEXT_2, "json").await;
    let hints = client
        .request("textDocument/inlayHint", json!({"textDocument": doc(&client, CONTEXT_2), "range": whole_file()}))
        .await;
    let labels: Vec<&str> = hints["result"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["→ context-003-testing exists"]);
    let text = std::fs::read_to_string(client.root.join(CONTEXT_2)).unwrap();
    assert_eq!(hints["result"][0]["position"], position(&text, "\"test-generator\"", "\"test-generator\"".len()));

    let signal = ".claude/handoff/ws6-perf-complete.signal";
    let text = client.open(signal, "json").await;
    let hints = client
        .request("textDocument/inlayHint", json!({"textDocument": doc(&client, signal), "range": whole_file()}))
        .await;
    let hints = hints["result"].as_array().unwrap();
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert_eq!(hints[0]["label"], "missing");
    let end = "tests/performance/preferences-soak.test.ts\"";
    assert_eq!(hints[0]["position"], position(&text, end, end.len()));

    // The last snapshot handing over has no successor yet.
    let last = ".claude/context/context-004-complete.json";
    let text = client.open(last, "json").await.replace("\"next_agent\": null", "\"next_agent\": \"sre-monitor\"");
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&client.root.join(last)), "version": 2}, "contentChanges": [{"text": text}]}),
        )
        .await;
    let hints = client
        .request("textDocument/inlayHint", json!({"textDocument": doc(&client, last), "range": whole_file()}))
        .await;
    let labels: Vec<&str> = hints["result"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["no successor yet"]);
}

#[tokio::test]
async fn definition_goes_to_files_and_agents() {
    let mut client = feature_chain(json!({})).await;
    let text = client.open(CONTEXT_2, "json").await;
    let document = doc(&client, CONTEXT_2);
    let at = |needle: &str| json!({"textDocument": document, "position": position(&text, needle, 3)});
    let response = client.request("textDocument/definition", at("\"test-generator\"")).await;
    let target = &response["result"][0];
    assert_eq!(target["uri"], uri(&client.root.join(".claude/agents/test-generator.md")));
    assert_eq!(target["range"]["start"]["line"], 1, "the agent's `name:` line");
    let response = client.request("textDocument/definition", at("src/db/repositories/preferences.ts")).await;
    assert_eq!(response["result"][0]["uri"], uri(&client.root.join("src/db/repositories/preferences.ts")));
    let response = client.request("textDocument/definition", at("\"implementation-complete\"")).await;
    assert!(response["result"].as_array().is_none_or(|a| a.is_empty()), "{response}");
}

#[tokio::test]
async fn completion_offers_keys_statuses_agents_and_gates() {
    let mut client = feature_chain(json!({})).await;
    let path = ".claude/handoff/ws8-docs-complete.signal";
    let text = "{\n  \"workstream\": \"WS-8\",\n  \"status\": \"co\",\n  \"agent\": \"\",\n  \"validation\": {\"lint\": \"pass\", },\n  \n}\n";
    std::fs::write(client.root.join(path), text).unwrap();
    client.open(path, "json").await;
    let document = doc(&client, path);
    let complete = |position: Value| json!({"textDocument": document, "position": position});
    let labels = |response: &Value| -> Vec<String> {
        let items = response["result"].as_array().or_else(|| response["result"]["items"].as_array()).unwrap();
        items.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
    };

    let response = client.request("textDocument/completion", complete(position(text, "\"co\"", 3))).await;
    assert_eq!(labels(&response), ["complete", "failed", "blocked", "partial"]);
    let item = &response["result"][0];
    assert_eq!(item["textEdit"]["newText"], "complete");
    assert_eq!(item["textEdit"]["range"]["start"], position(text, "\"co\"", 1));

    let response = client.request("textDocument/completion", complete(position(text, "\"agent\": \"", 10))).await;
    assert_eq!(
        labels(&response),
        ["backend-architect", "devops-troubleshooter", "tdd-typescript-implementer", "test-generator"]
    );

    let response = client.request("textDocument/completion", complete(position(text, "\"pass\", ", 8))).await;
    let gates = labels(&response);
    assert!(gates.starts_with(&["lint".to_string(), "type-check".to_string(), "test".to_string()]), "{gates:?}");
    assert_eq!(response["result"][0]["textEdit"]["newText"], "\"lint\"");

    let response = client.request("textDocument/completion", complete(position(text, "  \n}", 2))).await;
    let keys = labels(&response);
    assert!(keys.contains(&"depends_on".to_string()) && keys.contains(&"files_created".to_string()), "{keys:?}");
    assert!(!keys.contains(&"status".to_string()), "present keys are not offered again: {keys:?}");
}

#[tokio::test]
async fn code_lenses_are_refreshed_when_handoffs_change() {
    fn refreshes(client: &Client) -> usize {
        client.server_requests.iter().filter(|r| r["method"] == "workspace/codeLens/refresh").count()
    }
    let mut client = feature_chain(json!({"workspace": {"codeLens": {"refreshSupport": true}}})).await;
    assert_eq!(refreshes(&client), 0, "the initial scan needs no refresh");
    let signal = ".claude/handoff/ws1-db-complete.signal";
    let text = client.open(signal, "json").await.replace("\"WS-1\"", "\"WS-9\"");
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&client.root.join(signal)), "version": 2}, "contentChanges": [{"text": text}]}),
        )
        .await;
    // WS-1 is gone: the WS-2 signal now misses its dependency, and lenses must be refreshed.
    client.diagnostics_for(".claude/handoff/PRD-HZ-001-WS2-complete.signal", |d| !d.is_empty()).await;
    client.request("textDocument/codeLens", json!({"textDocument": doc(&client, ROUTE)})).await;
    assert_eq!(refreshes(&client), 1, "{:?}", client.server_requests);
}

/// In a trusted git workspace, a file committed after the handoff that names it gets a "changed
/// since handoff" lens (the WS-1 signal of WOR-321 is from 2024-01-16; the commit is from 2025).
#[tokio::test]
async fn a_file_committed_after_its_handoff_is_marked_changed_in_trusted_workspaces() {
    let (dir, root) = example_copy("wor-321");
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
            .args(args)
            .env("GIT_COMMITTER_DATE", "2025-03-01T00:00:00Z")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "import"]);
    let script = "scripts/verify-all-migrations.ts";
    let lens_titles = |trusted: bool| {
        let root = root.clone();
        async move {
            let mut client = Client::start(root, None);
            client.initialize_with(json!({}), json!({"trusted": trusted})).await;
            client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
            client.open(script, "typescript").await;
            // The change times arrive after the scan; ask until the lenses settle.
            let mut titles = Vec::new();
            for _ in 0..50 {
                let lenses =
                    client.request("textDocument/codeLens", json!({"textDocument": doc(&client, script)})).await;
                titles = lenses["result"]
                    .as_array()
                    .map(|l| l.iter().map(|l| l["command"]["title"].as_str().unwrap_or("").to_string()).collect())
                    .unwrap_or_default();
                if titles.iter().any(|t: &String| t.contains("changed since")) || !trusted {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            titles
        }
    };
    let trusted = lens_titles(true).await;
    assert!(trusted.iter().any(|t| t == "changed since handoff WS-1"), "{trusted:?}");
    // Untrusted: git is never run, so no such lens.
    let untrusted = lens_titles(false).await;
    assert!(!untrusted.iter().any(|t| t.contains("changed since")), "{untrusted:?}");
    assert!(untrusted.iter().any(|t| t.contains("WS-1")), "{untrusted:?}");
    drop(dir);
}
