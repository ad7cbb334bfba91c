//! Protocol abuse (issue #10): requests out of order, wrong parameter types, positions and edit
//! ranges past the end of a document, and a thousand requests in flight, all cancelled. Every
//! case gets a correct answer and the server keeps serving. (Malformed frames, unknown methods,
//! `didChange` for a document never opened and `didClose` twice are in `main.rs`.)

use serde_json::{json, Value};

use crate::harness::{example_copy, uri, Client};

const VERIFY: &str = "scripts/verify-all-migrations.ts";

fn fresh() -> Client {
    let (dir, root) = example_copy("wor-321");
    Client::start(root, Some(dir))
}

/// The error code of a response, if it is an error.
fn error_code(response: &Value) -> Option<i64> {
    response["error"]["code"].as_i64()
}

#[tokio::test]
async fn requests_before_initialize_and_after_shutdown_are_refused_not_fatal() {
    let mut client = fresh();
    let file = uri(&client.root.join(VERIFY));
    let hover = json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 0}});
    // Before `initialize`: "server not initialized", and notifications are dropped.
    let response = client.request("textDocument/hover", hover.clone()).await;
    assert_eq!(error_code(&response), Some(-32002), "{response}");
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": file, "languageId": "typescript", "version": 1, "text": "x"}}),
        )
        .await;
    // Initialising afterwards works as if nothing happened.
    let init = client.initialize(json!({})).await;
    assert!(init["result"]["capabilities"].is_object(), "{init}");
    client.open(VERIFY, "typescript").await;
    let diagnostics = client.diagnostics_for(VERIFY, |d| !d.is_empty()).await;
    assert!(diagnostics.iter().any(|d| d["code"] == "rls/prisma-outside-context"), "{diagnostics:?}");
    // A second `initialize` is an error, not a reset.
    let again = client.request("initialize", json!({"capabilities": {}})).await;
    assert_eq!(error_code(&again), Some(-32600), "{again}");
    // After `shutdown`, requests are invalid; the connection still answers them.
    let response = client.request("shutdown", Value::Null).await;
    assert_eq!(response["result"], Value::Null);
    let response = client.request("textDocument/hover", hover).await;
    assert_eq!(error_code(&response), Some(-32600), "{response}");
}

#[tokio::test]
async fn wrong_parameter_types_are_invalid_params_for_every_request_kind() {
    let mut client = fresh();
    client.initialize(json!({})).await;
    let file = uri(&client.root.join(VERIFY));
    client.open(VERIFY, "typescript").await;
    let cases = [
        ("textDocument/completion", json!({"textDocument": {"uri": file}, "position": "1:2"})),
        ("textDocument/definition", json!({"textDocument": {"uri": 7}, "position": {"line": 0, "character": 0}})),
        ("textDocument/codeAction", json!({"textDocument": {"uri": file}, "context": {"diagnostics": []}})),
        ("textDocument/inlayHint", json!({"textDocument": {"uri": file}, "range": [0, 1]})),
        ("textDocument/codeLens", json!({"textDocument": null})),
        ("textDocument/documentSymbol", json!([])),
        ("textDocument/diagnostic", json!({"textDocument": {"uri": false}})),
        ("workspace/executeCommand", json!({"command": 12, "arguments": {}})),
    ];
    for (method, params) in cases {
        let response = client.request(method, params.clone()).await;
        assert_eq!(error_code(&response), Some(-32602), "{method} {params}: {response}");
    }
    // Params that are not an object or an array make the message an invalid request (JSON-RPC).
    let response = client.request("baton/itemStatus", json!("WOR-321")).await;
    assert_eq!(error_code(&response), Some(-32600), "{response}");
    assert!(response["error"]["message"].as_str().unwrap().contains("params"), "{response}");
    // Notifications with wrong types cannot be answered; they are logged and change nothing.
    client.notify("textDocument/didChange", json!({"textDocument": {"uri": file}, "contentChanges": 5})).await;
    client.notify("textDocument/didOpen", json!({"textDocument": {"uri": file, "text": 5}})).await;
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": "all"})).await;
    // The open document is intact: a real request sees its findings.
    let response = client.request("textDocument/diagnostic", json!({"textDocument": {"uri": file}})).await;
    let items = response["result"]["items"].as_array().unwrap_or_else(|| panic!("{response}"));
    assert!(items.iter().any(|d| d["code"] == "rls/prisma-outside-context"), "{response}");
}

#[tokio::test]
async fn positions_and_edits_past_the_end_are_clamped() {
    let mut client = fresh();
    client.initialize(json!({})).await;
    let file = uri(&client.root.join(VERIFY));
    let original = client.open(VERIFY, "typescript").await;
    let first = client.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == file.as_str()).await;
    let published_first = first["params"]["diagnostics"].clone();
    let far = json!({"line": 1_000_000, "character": 1_000_000});
    let point = json!({"textDocument": {"uri": file}, "position": far});
    let span = json!({"start": {"line": 0, "character": 0}, "end": far});
    for (method, params) in [
        ("textDocument/hover", point.clone()),
        ("textDocument/completion", point.clone()),
        ("textDocument/definition", point),
        ("textDocument/inlayHint", json!({"textDocument": {"uri": file}, "range": span})),
        (
            "textDocument/codeAction",
            json!({"textDocument": {"uri": file}, "range": span, "context": {"diagnostics": []}}),
        ),
    ] {
        let response = client.request(method, params).await;
        assert!(response.get("error").is_none(), "{method}: {response}");
    }
    // An incremental edit whose range runs past the end appends at the end of the document.
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file, "version": 2},
                "contentChanges": [{"range": {"start": far, "end": far}, "text": "\n// tail\n"}]}),
        )
        .await;
    // A reversed range (end before start) is read with its ends swapped: the first two lines go.
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file, "version": 3},
                "contentChanges": [{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 0, "character": 0}},
                    "text": ""}]}),
        )
        .await;
    let published =
        client.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == file.as_str() && p["version"] == 3).await;
    let lines_of = |diagnostics: &Value| -> Vec<u64> {
        let mut lines: Vec<u64> = diagnostics
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "rls/prisma-outside-context")
            .map(|d| d["range"]["start"]["line"].as_u64().unwrap())
            .collect();
        lines.sort();
        lines
    };
    let after = lines_of(&published["params"]["diagnostics"]);
    let before = lines_of(&published_first);
    assert!(!before.is_empty());
    assert_eq!(after, before.iter().map(|l| l - 2).collect::<Vec<_>>(), "findings moved up two lines");
    // The server's text is exactly the expected one: fix-all's edits apply to it cleanly.
    let expected: String = original.split_inclusive('\n').skip(2).collect::<String>() + "\n// tail\n";
    let actions = client.fix_all(&file).await;
    let edits = actions["result"][0]["edit"]["changes"][&file].as_array().unwrap_or_else(|| panic!("{actions}"));
    let fixed = crate::harness::apply_lsp_edits(&expected, edits);
    assert!(fixed.ends_with("\n// tail\n"), "{fixed}");
    assert!(fixed.contains("withSystemContext(async (tx) => tx."), "{fixed}");
}

#[tokio::test]
async fn a_thousand_requests_in_flight_all_cancelled_each_get_one_answer() {
    let mut client = fresh();
    client.initialize(json!({})).await;
    let file = uri(&client.root.join(VERIFY));
    client.open(VERIFY, "typescript").await;
    let first = 100_000;
    let ids: Vec<i64> = (first..first + 1_000).collect();
    // Slow requests (each sleeps 30 s unless cancelled) interleaved with fast ones.
    for &id in &ids {
        let request = if id % 2 == 0 {
            json!({"jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand",
                "params": {"command": "baton.debug.sleep", "arguments": [30_000]}})
        } else {
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
                "params": {"textDocument": {"uri": file}, "position": {"line": 3, "character": 4}}})
        };
        client.send(request).await;
    }
    for &id in &ids {
        client.notify("$/cancelRequest", json!({"id": id})).await;
    }
    let mut cancelled = 0;
    for &id in &ids {
        let response = client.response(id).await;
        match error_code(&response) {
            Some(-32800) => cancelled += 1,
            None => assert!(id % 2 == 1, "a sleep request finished instead of being cancelled: {response}"),
            Some(_) => panic!("unexpected error for {id}: {response}"),
        }
    }
    assert!(cancelled >= 500, "only {cancelled} of 1,000 requests were cancelled");
    // Exactly one answer each: nothing else with those ids arrives before the next response.
    let response = client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": file}})).await;
    assert!(response.get("error").is_none(), "{response}");
    assert!(
        client.inbox.iter().all(|m| m["id"].as_i64().is_none_or(|id| !ids.contains(&id))),
        "a request was answered twice"
    );
}

/// The hostile workspace of `tests/hostile.rs`, served: the scan finishes, findings of unopened
/// files are published, huge and deep documents opened in the editor get notices, and the server
/// keeps answering.
#[tokio::test]
async fn a_hostile_workspace_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let layout = crate::common::hostile_workspace(dir.path());
    let mut client = Client::start(layout.root.clone(), Some(dir));
    client.initialize(json!({})).await;
    client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
    let unsecured = client.diagnostics_for("supabase/migrations/20259999999999_unsecured.sql", |d| !d.is_empty()).await;
    assert_eq!(unsecured[0]["code"], "sql/rls-disabled-in-public", "{unsecured:?}");
    let deep = client.diagnostics_for("supabase/migrations/20240106000000_deep.sql", |d| !d.is_empty()).await;
    assert_eq!(deep[0]["code"], "meta/file-too-large", "{deep:?}");

    // The 100,000-line file: opened, edited at its end, re-analysed.
    const LONG: &str = "lib/long.ts";
    let text = client.open(LONG, "typescript").await;
    let lines = text.lines().count() as u64;
    let found = client.diagnostics_for(LONG, |d| d.iter().any(|d| d["code"] == "security/prisma-raw-unsafe")).await;
    let raw = found.iter().find(|d| d["code"] == "security/prisma-raw-unsafe").unwrap();
    assert_eq!(raw["range"]["start"]["line"], lines - 1);
    let file = uri(&client.root.join(LONG));
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file, "version": 2}, "contentChanges": [{
                "range": {"start": {"line": lines, "character": 0}, "end": {"line": lines, "character": 0}},
                "text": "export const g = (n: string) => prisma.$executeRawUnsafe(`DELETE ${n}`);\n"}]}),
        )
        .await;
    client.diagnostics_for(LONG, |d| d.iter().filter(|d| d["code"] == "security/prisma-raw-unsafe").count() == 2).await;

    // A 50 MB document sent by the editor: a notice, not an analysis.
    const HUGE: &str = "supabase/migrations/20240104000000_huge.sql";
    client.open(HUGE, "sql").await;
    let huge = client.diagnostics_for(HUGE, |d| d.iter().any(|d| d["code"] == "meta/file-too-large")).await;
    assert_eq!(huge.len(), 1, "{huge:?}");
    let response = client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": file}})).await;
    assert!(response.get("error").is_none(), "{response}");
}

/// Every file of a folder with its bytes, relative paths sorted.
fn snapshot(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Data safety: a whole editing session — open, edits, quick fixes and fix-all requested,
/// hover, lenses, close — leaves every file on disk as it was. The server proposes edits
/// (`WorkspaceEdit`s the client applies); it never writes the user's files itself.
#[tokio::test]
async fn an_editing_session_never_writes_the_users_files() {
    let mut client = fresh();
    let before = snapshot(&client.root);
    client.initialize(json!({})).await;
    client.wait_for("$/progress", |p| p["value"]["kind"] == "end").await;
    let file = uri(&client.root.join(VERIFY));
    let text = client.open(VERIFY, "typescript").await;
    client.diagnostics_for(VERIFY, |d| d.len() >= 3).await;
    let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": text.lines().count(), "character": 0}});
    for only in [json!(["quickfix"]), json!(["source.fixAll.baton"]), json!(null)] {
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": file}, "range": whole, "context": {"diagnostics": [], "only": only}}),
            )
            .await;
        assert!(actions.get("error").is_none(), "{actions}");
    }
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file, "version": 2}, "contentChanges": [{"text": format!("{text}\n// typed\n")}]}),
        )
        .await;
    for method in ["textDocument/codeLens", "textDocument/documentSymbol"] {
        client.request(method, json!({"textDocument": {"uri": file}})).await;
    }
    client
        .request("textDocument/hover", json!({"textDocument": {"uri": file}, "position": {"line": 3, "character": 3}}))
        .await;
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": file}})).await;
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": file}})).await;
    client.request("shutdown", Value::Null).await;
    assert!(client.server_requests.iter().all(|r| r["method"] != "workspace/applyEdit"), "the server applied an edit");
    assert_eq!(snapshot(&client.root), before, "a file on disk changed");
}

/// Found by fuzzing (`fuzz/regressions/lsp_frames/`): a message with a member given twice is
/// valid JSON but not to tower-lsp-server's decoder, which ended the connection. Now the framing
/// guard answers it "invalid request" and the server keeps serving.
#[tokio::test]
async fn a_member_given_twice_is_an_invalid_request_not_the_end() {
    let mut client = fresh();
    client.initialize(json!({})).await;
    client
        .send_raw(r#"{"jsonrpc":"2.0","id":77,"method":"textDocument/hover","id":77,"params":{"textDocument":{"uri":"file:///x.ts"},"position":{"line":0,"character":0}}}"#)
        .await;
    let response = client.response(77).await;
    assert_eq!(error_code(&response), Some(-32600), "{response}");
    assert!(response["error"]["message"].as_str().unwrap().contains("duplicate field"), "{response}");
    let file = uri(&client.root.join(VERIFY));
    let hover = client
        .request("textDocument/hover", json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 0}}))
        .await;
    assert!(hover.get("error").is_none(), "{hover}");
}

/// One bad frame must not make the server deaf (issue 26): after a stray byte, a
/// `Content-Length` one byte short, one byte long and an absurd one, every later request is
/// answered, `shutdown` included, and each broken request gets "invalid request".
#[tokio::test]
async fn the_server_resynchronises_after_bad_frames() {
    let mut client = fresh();
    client.initialize(json!({})).await;
    let file = uri(&client.root.join(VERIFY));
    let hover = |id: i64| {
        json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
               "params": {"textDocument": {"uri": file}, "position": {"line": 0, "character": 0}}})
        .to_string()
    };
    let (short, long, absurd) = (hover(901), hover(902), hover(903));
    client.send_bytes(b"x").await;
    client.send_bytes(format!("Content-Length: {}\r\n\r\n{short}", short.len() - 1).as_bytes()).await;
    client.send_bytes(format!("Content-Length: {}\r\n\r\n{long}", long.len() + 1).as_bytes()).await;
    client.send_bytes(format!("Content-Length: 99999999999999999999\r\n\r\n{absurd}").as_bytes()).await;
    for _ in 0..2 {
        let params = json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 0}});
        let response = client.request("textDocument/hover", params).await;
        assert!(response.get("result").is_some(), "{response}");
    }
    for id in [901, 902, 903] {
        let answer = loop {
            if let Some(i) = client.inbox.iter().position(|m| m["id"] == id) {
                break client.inbox.remove(i).unwrap();
            }
            let message = client.read_message().await;
            client.inbox.push_back(message);
        };
        assert_eq!(error_code(&answer), Some(-32600), "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains("Content-Length"), "{answer}");
    }
    let response = client.request("shutdown", Value::Null).await;
    assert_eq!(response["result"], Value::Null, "{response}");
}
