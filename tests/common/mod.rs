//! Helpers shared by the integration test crates (each crate uses some of them).
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// (rule, path, 1-based line) of every diagnostic of a `baton check --format json` report.
pub fn findings(report: &Value) -> Vec<(String, String, u64)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap() + 1,
            )
        })
        .collect()
}

/// The bug the walk-through's `type-check` gate finds, planted in `lib/dto/migration.ts`.
pub const WALKTHROUGH_BUG: &str = "export const VALIDATION_RETRY_LIMIT: number = \"3\";";
/// The line that fixes it.
pub const WALKTHROUGH_FIX: &str = "export const VALIDATION_RETRY_LIMIT: number = 3;";
/// The status WOR-321's spec starts from in the walk-through.
pub const WALKTHROUGH_STATUS: &str = "status: implement";

/// Prepares a copy of examples/wor-321 at `root` for the stage walk-through (docs/stages.md):
/// the `[gates.*]` of its baton.toml become small shell commands (lint and test pass; type-check
/// fails while `lib/dto/migration.ts` holds [`WALKTHROUGH_BUG`]), the bug is planted, and the
/// spec's status is moved back to `implement` so that it can advance to `qa`.
pub fn walkthrough_workspace(root: &Path) {
    let config_path = root.join("baton.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let at = config.find("[gates.lint]").expect("examples/wor-321/baton.toml has [gates.lint]");
    let gates = r#"[gates.lint]
command = "echo 'eslint: 0 problems'"

[gates.type-check]
command = '''
if grep -n 'VALIDATION_RETRY_LIMIT: number = "' lib/dto/migration.ts >/dev/null; then
  echo '> tsc --noEmit'
  echo "lib/dto/migration.ts(24,14): error TS2322: Type 'string' is not assignable to type 'number'."
  exit 2
fi
echo 'tsc: no errors'
'''
timeout_s = 30

[gates.test]
command = "echo 'vitest: 12 passed'"
"#;
    std::fs::write(&config_path, format!("{}{gates}", &config[..at])).unwrap();
    let dto = root.join("lib/dto/migration.ts");
    let text = std::fs::read_to_string(&dto).unwrap();
    std::fs::write(&dto, format!("{text}\n{WALKTHROUGH_BUG}\n")).unwrap();
    let spec = root.join("docs/specs/WOR-321-spec.md");
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.contains("status: Ready for QA"), "the WOR-321 spec's status changed");
    std::fs::write(&spec, text.replacen("status: Ready for QA", WALKTHROUGH_STATUS, 1)).unwrap();
}
