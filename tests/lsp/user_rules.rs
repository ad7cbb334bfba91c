//! User rules in the editor: findings of `.baton/rules/` rules are published, and editing a
//! rule file (reported by the client's file watcher or saved) changes them; a broken rule file
//! gets a `meta/config` diagnostic of its own.

use serde_json::json;

use crate::harness::{example_copy, uri, Client};

const BILLING: &str = "src/services/billing.ts";

fn has_rule(diagnostics: &[serde_json::Value], rule: &str) -> bool {
    diagnostics.iter().any(|d| d["code"] == rule)
}

#[tokio::test]
async fn editing_a_rule_file_changes_the_findings() {
    let (dir, root) = example_copy("user-rules");
    let mut client = Client::start(root, Some(dir));
    client.initialize(json!({})).await;
    let found = client.diagnostics_for(BILLING, |d| has_rule(d, "project/fetch-with-tracing")).await;
    let finding = found.iter().find(|d| d["code"] == "project/fetch-with-tracing").unwrap();
    assert_eq!(finding["range"]["start"]["line"], 3);
    // The query now looks for another host: the finding goes away.
    let query_path = client.root.join(".baton/rules/fetch-with-tracing.scm");
    let original = std::fs::read_to_string(&query_path).unwrap();
    std::fs::write(&query_path, original.replace("\\\\.internal", "\\\\.intranet")).unwrap();
    let query_uri = uri(&query_path);
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": query_uri, "type": 2}]})).await;
    client.diagnostics_for(BILLING, |d| !has_rule(d, "project/fetch-with-tracing")).await;
    // Break the rule file: a meta/config diagnostic at its line; the other rules keep working.
    let rule_path = client.root.join(".baton/rules/fetch-with-tracing.toml");
    let rule_uri = uri(&rule_path);
    let rule_text = std::fs::read_to_string(&rule_path).unwrap();
    std::fs::write(&query_path, &original).unwrap();
    std::fs::write(&rule_path, rule_text.replace("severity = \"warning\"", "severity = \"loud\"")).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": rule_uri, "type": 2}]})).await;
    let found = client.diagnostics_for(".baton/rules/fetch-with-tracing.toml", |d| !d.is_empty()).await;
    let diagnostic = &found[0];
    assert_eq!(diagnostic["code"], "meta/config");
    assert_eq!(diagnostic["range"]["start"]["line"], 2);
    assert!(diagnostic["message"].as_str().unwrap().contains("loud"));
    // Fixed and saved (a client without file watchers): the diagnostic clears and the finding
    // is back.
    std::fs::write(&rule_path, &rule_text).unwrap();
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": rule_uri}})).await;
    client
        .wait_for("textDocument/publishDiagnostics", |p| {
            p["uri"] == rule_uri.as_str() && p["diagnostics"].as_array().unwrap().is_empty()
        })
        .await;
    client.diagnostics_for(BILLING, |d| has_rule(d, "project/fetch-with-tracing")).await;
}

#[tokio::test]
async fn schema_rules_report_on_migrations_in_an_untrusted_folder() {
    let (dir, root) = example_copy("user-rules");
    let mut client = Client::start(root, Some(dir));
    // Untrusted (the default of this harness unless set): user rules are data and still run.
    client.initialize(json!({})).await;
    let migration = "supabase/migrations/20240101000000_init.sql";
    let found = client
        .diagnostics_for(migration, |d| has_rule(d, "project/tenant-column") && has_rule(d, "project/tenant-policy"))
        .await;
    let line = |rule: &str| found.iter().find(|d| d["code"] == rule).unwrap()["range"]["start"]["line"].clone();
    assert_eq!(line("project/tenant-column"), 16);
    assert_eq!(line("project/tenant-policy"), 22);
}

/// Findings of rules whose predicates read the file's imports (`#imported-from?`,
/// `#file-imports?`) follow edits of the import lines alone: the editor's per-statement cache
/// must not keep a statement's findings when only another statement (an import) changed.
#[tokio::test]
async fn editing_an_import_line_updates_findings_of_import_reading_predicates() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let rules = root.join(".baton/rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        rules.join("legacy-lib.toml"),
        "message = \"`{o}` comes from legacy-lib\"\nquery = '''\n((call_expression function: (member_expression object: (identifier) @o)) @match\n (#imported-from? @o \"legacy-lib\"))\n'''\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("moment-format.toml"),
        "message = \"format with moment\"\nquery = '''\n((call_expression function: (identifier) @f) @match\n (#eq? @f \"format\") (#file-imports? \"moment\"))\n'''\n",
    )
    .unwrap();
    let path = "src/a.ts";
    let text = "import { api } from \"legacy-lib\";\nimport { format } from \"moment\";\n\nexport function run() {\n  api.call();\n  return format(\"x\");\n}\n";
    std::fs::write(root.join(path), text).unwrap();
    let mut client = Client::start(root.clone(), Some(dir));
    client.initialize(json!({})).await;
    client.open(path, "typescript").await;
    let file = uri(&root.join(path));
    let both = |d: &[serde_json::Value]| has_rule(d, "project/legacy-lib") && has_rule(d, "project/moment-format");
    let found = client.diagnostics_for(path, both).await;
    let line = |rule: &str| found.iter().find(|d| d["code"] == rule).unwrap()["range"]["start"]["line"].clone();
    assert_eq!((line("project/legacy-lib"), line("project/moment-format")), (json!(4), json!(5)));
    // Replace one import line (an incremental change of that line only).
    let mut version = 1;
    let mut replace_line = |line: u32, old: &str, new: &str| {
        version += 1;
        json!({"textDocument": {"uri": file, "version": version}, "contentChanges": [{
            "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": old.len()}},
            "text": new}]})
    };
    let legacy = "import { api } from \"legacy-lib\";";
    let modern = "import { api } from \"modern-lib\";";
    let moment = "import { format } from \"moment\";";
    let date_fns = "import { format } from \"date-fns\";";
    client.notify("textDocument/didChange", replace_line(0, legacy, modern)).await;
    client.diagnostics_for(path, |d| !has_rule(d, "project/legacy-lib") && has_rule(d, "project/moment-format")).await;
    client.notify("textDocument/didChange", replace_line(1, moment, date_fns)).await;
    client.diagnostics_for(path, |d| !has_rule(d, "project/legacy-lib") && !has_rule(d, "project/moment-format")).await;
    // And back: both findings return.
    client.notify("textDocument/didChange", replace_line(0, modern, legacy)).await;
    client.diagnostics_for(path, |d| has_rule(d, "project/legacy-lib") && !has_rule(d, "project/moment-format")).await;
    client.notify("textDocument/didChange", replace_line(1, date_fns, moment)).await;
    client.diagnostics_for(path, both).await;
}

/// A `[rules]` override of a `project/` id no rule file defines is a `meta/config` diagnostic at
/// its entry in `baton.toml`; fixing the typo clears it.
#[tokio::test]
async fn an_override_of_an_undefined_project_rule_is_a_diagnostic_in_baton_toml() {
    let (dir, root) = example_copy("user-rules");
    let config_path = root.join("baton.toml");
    let original = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(&config_path, format!("{original}\"project/fetch-with-tracin\" = \"off\"\n")).unwrap();
    let line = original.lines().count();
    let mut client = Client::start(root, Some(dir));
    client.initialize(json!({})).await;
    let found = client.diagnostics_for("baton.toml", |d| has_rule(d, "meta/config")).await;
    assert_eq!(found[0]["range"]["start"]["line"], line);
    let message = found[0]["message"].as_str().unwrap();
    assert!(message.contains("did you mean `project/fetch-with-tracing`"), "{message}");
    std::fs::write(&config_path, &original).unwrap();
    let config_uri = uri(&config_path);
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": config_uri, "type": 2}]})).await;
    client.diagnostics_for("baton.toml", |d| d.is_empty()).await;
}
