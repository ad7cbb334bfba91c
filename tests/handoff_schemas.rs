//! The JSON Schema files in `schemas/` agree with Baton's reading of schema v1: the handoffs
//! Baton accepts validate, the ones it reports as `handoff/invalid` do not.

use std::path::Path;

use serde_json::Value;

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn read(path: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn clean_example_signals_validate_and_broken_ones_do_not() {
    let signal = schema("signal.v1.schema.json");
    for good in [
        "examples/feature-chain/.claude/handoff/ws1-db-complete.signal",
        "examples/feature-chain/.claude/handoff/PRD-HZ-001-WS2-complete.signal",
        "examples/feature-chain/.claude/handoff/ws5-tests-complete.signal",
        "examples/feature-chain/.claude/handoff/ws6-perf-complete.signal",
        "examples/wor-321/.claude/handoff/ws1-db-complete.signal",
        "tests/fixtures/handoff/invalid/schema/.claude/handoff/ws2-good.signal",
    ] {
        let errors: Vec<String> = signal.iter_errors(&read(good)).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{good}: {errors:?}");
    }
    let bad = read("tests/fixtures/handoff/invalid/schema/.claude/handoff/ws1-bad.signal");
    let errors: Vec<String> = signal.iter_errors(&bad).map(|e| e.instance_path.to_string()).collect();
    for pointer in ["/workstream", "/status", "/files_modified/0"] {
        assert!(errors.iter().any(|e| e == pointer), "{pointer} not rejected: {errors:?}");
    }
    assert!(!signal.is_valid(&serde_json::json!({"workstream": "WS-1"})), "status is required");
    assert!(!signal
        .is_valid(&serde_json::json!({"workstream": "WS-1", "status": "complete", "validation": {"lint": "maybe"}})));
}

#[test]
fn example_snapshots_validate_and_broken_ones_do_not() {
    let snapshot = schema("context-snapshot.v1.schema.json");
    for name in ["context-001-design", "context-002-implementation", "context-003-testing", "context-004-complete"] {
        let path = format!("examples/feature-chain/.claude/context/{name}.json");
        let errors: Vec<String> = snapshot.iter_errors(&read(&path)).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
    }
    let bad = read("tests/fixtures/handoff/invalid/schema/a/context-001-bad.json");
    let errors: Vec<String> = snapshot.iter_errors(&bad).map(|e| e.to_string()).collect();
    assert!(errors.iter().any(|e| e.contains("workflow_id")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("3")), "next_agent 3 accepted: {errors:?}");
    let long = serde_json::json!({"version": "1.0", "workflow_id": "w", "timestamp": "2025-01-15T10:30:00Z",
        "current_agent": "a", "phase": "p", "context_summary": "x".repeat(501)});
    assert!(!snapshot.is_valid(&long));
}
