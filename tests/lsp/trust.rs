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
