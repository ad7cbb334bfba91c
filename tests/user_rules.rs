//! User rules (`.baton/rules/**/*.toml`, docs/user-rules.md) end to end through the built
//! binary: `baton check` in every format, `[rules]` overrides and suppressions, broken rule
//! files as `meta/config`, `baton rules test` / `rules new` / `rules explain`, and the
//! predicates and schema checks with a bad case and a near miss each.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{copy_dir, findings};
use serde_json::Value;

fn baton(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton")).args(args).current_dir(cwd).env("NO_COLOR", "1").output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn example() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("user-rules");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/user-rules"), &root);
    (dir, root)
}

/// A workspace of `files` (path, text).
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn check_json(root: &Path, extra: &[&str]) -> (Value, Output) {
    let mut args = vec!["check", "--format", "json", "--no-cache"];
    args.extend_from_slice(extra);
    let output = baton(&args, root);
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)));
    (value, output)
}

/// The `project/…` and `meta/config` findings as (rule, path, 1-based line).
fn user_findings(report: &Value) -> Vec<(String, String, u64)> {
    findings(report).into_iter().filter(|(rule, _, _)| rule.starts_with("project/") || rule == "meta/config").collect()
}

fn s(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

#[test]
fn the_example_workspace_reports_its_three_conventions_in_every_format() {
    let (_dir, root) = example();
    let (report, output) = check_json(&root, &[]);
    assert_eq!(output.status.code(), Some(1));
    let migration = "supabase/migrations/20240101000000_init.sql";
    assert_eq!(
        user_findings(&report),
        [
            s("project/prisma-import-boundary", "src/app/api/projects/route.ts", 1),
            s("project/fetch-with-tracing", "src/services/billing.ts", 4),
            s("project/tenant-column", migration, 17),
            s("project/tenant-policy", migration, 23),
        ]
    );
    // `[rules]` raised tenant-policy from its default (warning) to error.
    let severity = |rule: &str| {
        report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == rule).unwrap()["severity"].clone()
    };
    assert_eq!(severity("project/tenant-policy"), "error");
    assert_eq!(severity("project/fetch-with-tracing"), "warning");
    // The message substitutes captures; the fix template too.
    let fetch = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "project/fetch-with-tracing");
    let fetch = fetch.unwrap();
    assert!(fetch["message"].as_str().unwrap().contains("http://billing.internal/invoices"), "{fetch}");
    assert_eq!(
        fetch["fixes"][0]["edits"][0]["new_text"],
        "withTracing(() => fetch(\"http://billing.internal/invoices\"))"
    );
    // SARIF lists the user rules with the built-ins, and its results point at them.
    let sarif: Value =
        serde_json::from_slice(&baton(&["check", "--format", "sarif", "--no-cache"], &root).stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in ["project/fetch-with-tracing", "project/tenant-column", "rls/prisma-outside-context"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let user = rules.iter().find(|r| r["id"] == "project/tenant-column").unwrap();
    assert!(user.get("helpUri").is_none() && user["help"]["text"].as_str().unwrap().contains("## Why is this bad?"));
    // The cached run (the default) reports the same.
    let first = stdout(&baton(&["check", "--format", "json"], &root));
    let second = stdout(&baton(&["check", "--format", "json"], &root));
    assert_eq!(first, second);
    assert_eq!(user_findings(&serde_json::from_str(&first).unwrap()).len(), 4);
}

#[test]
fn editing_a_rule_file_changes_the_cached_report() {
    let (_dir, root) = example();
    let count = |root: &Path| {
        let out = stdout(&baton(&["check", "--format", "json"], root));
        user_findings(&serde_json::from_str(&out).unwrap()).len()
    };
    assert_eq!(count(&root), 4);
    std::fs::remove_file(root.join(".baton/rules/tenancy/tenant-column.toml")).unwrap();
    assert_eq!(count(&root), 3, "a removed rule file must not replay the stored report");
}

#[test]
fn overrides_family_globs_and_suppressions_apply_to_user_rules() {
    let (_dir, root) = example();
    let config = root.join("baton.toml");
    std::fs::write(&config, "[rules]\n\"project/*\" = \"off\"\n").unwrap();
    assert!(user_findings(&check_json(&root, &[]).0).is_empty());
    std::fs::write(&config, "[rules]\n\"project/fetch-with-tracing\" = \"off\"\n").unwrap();
    let rules: Vec<String> = user_findings(&check_json(&root, &[]).0).into_iter().map(|f| f.0).collect();
    assert!(!rules.contains(&"project/fetch-with-tracing".to_string()) && rules.len() == 3, "{rules:?}");
    // A suppression comment names the user rule like a built-in; one that suppresses nothing is
    // reported.
    std::fs::write(&config, "").unwrap();
    let billing = root.join("src/services/billing.ts");
    let text = std::fs::read_to_string(&billing).unwrap().replace(
        "  const res = await fetch(\"http://billing",
        "  // baton-ignore project/fetch-with-tracing: the billing proxy adds the trace id\n  const res = await fetch(\"http://billing",
    );
    std::fs::write(&billing, format!("// baton-ignore project/tenant-column: nothing here\n{text}")).unwrap();
    let report = check_json(&root, &[]).0;
    let all = findings(&report);
    assert!(!all.iter().any(|f| f.0 == "project/fetch-with-tracing"), "{all:?}");
    assert!(all.contains(&s("meta/unused-suppression", "src/services/billing.ts", 1)), "{all:?}");
}

#[test]
fn an_override_of_a_project_rule_no_file_defines_is_a_config_finding_at_its_entry() {
    let (_dir, root) = example();
    // A typo'd id, and a rule whose query does not compile (its rule file is the problem, not the
    // override).
    std::fs::write(
        root.join("baton.toml"),
        "[rules]\n\"project/tenant-policy\" = \"error\"\n\"project/fetch-with-tracin\" = \"off\"\n\"project/broken\" = \"off\"\n",
    )
    .unwrap();
    std::fs::write(root.join(".baton/rules/broken.toml"), "message = \"x\"\nquery = '''\n(no_such_node) @match\n'''\n")
        .unwrap();
    let (report, output) = check_json(&root, &[]);
    assert_eq!(output.status.code(), Some(1));
    let config: Vec<_> = findings(&report).into_iter().filter(|f| f.0 == "meta/config").collect();
    assert_eq!(config, [s("meta/config", ".baton/rules/broken.toml", 3), s("meta/config", "baton.toml", 3)]);
    let diagnostic = report["diagnostics"].as_array().unwrap().iter().find(|d| d["path"] == "baton.toml").unwrap();
    let message = diagnostic["message"].as_str().unwrap();
    assert!(
        message.contains("`project/fetch-with-tracin`")
            && message.contains("did you mean `project/fetch-with-tracing`"),
        "{message}"
    );
    // The typo switched nothing off; the other override still applies.
    let rules: Vec<String> = user_findings(&report).into_iter().map(|f| f.0).collect();
    assert!(rules.contains(&"project/fetch-with-tracing".to_string()), "{rules:?}");
    // `baton rules` warns about it.
    let list = baton(&["rules"], &root);
    assert!(String::from_utf8_lossy(&list.stderr).contains("baton.toml: unknown rule `project/fetch-with-tracin`"));
    // Near miss: the right id and a family glob are accepted silently.
    std::fs::remove_file(root.join(".baton/rules/broken.toml")).unwrap();
    std::fs::write(
        root.join("baton.toml"),
        "[rules]\n\"project/fetch-with-tracing\" = \"off\"\n\"project/*\" = \"warning\"\n",
    )
    .unwrap();
    let (report, _) = check_json(&root, &[]);
    assert!(!findings(&report).iter().any(|f| f.0 == "meta/config"), "{:?}", findings(&report));
    let list = baton(&["rules"], &root);
    assert!(!String::from_utf8_lossy(&list.stderr).contains("baton.toml"));
}

#[test]
fn a_broken_rule_file_is_a_config_finding_at_its_place_and_the_others_still_run() {
    let (_dir, root) = example();
    let rules = root.join(".baton/rules");
    // A query syntax error (an unclosed parenthesis): reported at the end of the query, on its
    // last line in the rule file.
    std::fs::write(
        rules.join("broken-query.toml"),
        "message = \"x\"\nquery = '''\n(call_expression\n  function: (identifier) @match\n'''\n",
    )
    .unwrap();
    // A TOML error, an unknown node type, a placeholder that is no capture, a predicate typo,
    // and a key that would run a program (rule files are data: unknown keys are errors).
    std::fs::write(rules.join("bad-toml.toml"), "severity = \"loud\"\n").unwrap();
    std::fs::write(rules.join("bad-node.toml"), "message = \"x\"\nquery = '''\n(no_such_node) @match\n'''\n").unwrap();
    std::fs::write(
        rules.join("bad-placeholder.toml"),
        "message = \"{nope}\"\nquery = '''\n(call_expression) @match\n'''\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("bad-predicate.toml"),
        "message = \"x\"\nquery = '''\n((call_expression) @match (#insde-call? @match \"f\"))\n'''\n",
    )
    .unwrap();
    std::fs::write(rules.join("runs.toml"), "command = \"rm -rf /\"\n").unwrap();
    let (report, output) = check_json(&root, &[]);
    assert_eq!(output.status.code(), Some(1));
    let config: Vec<(String, String, u64)> = findings(&report).into_iter().filter(|f| f.0 == "meta/config").collect();
    assert_eq!(
        config,
        [
            s("meta/config", ".baton/rules/bad-node.toml", 3),
            s("meta/config", ".baton/rules/bad-placeholder.toml", 1),
            s("meta/config", ".baton/rules/bad-predicate.toml", 3),
            s("meta/config", ".baton/rules/bad-toml.toml", 1),
            s("meta/config", ".baton/rules/broken-query.toml", 4),
            s("meta/config", ".baton/rules/runs.toml", 1),
        ]
    );
    let message = |path: &str| {
        report["diagnostics"].as_array().unwrap().iter().find(|d| d["path"] == path).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message(".baton/rules/bad-node.toml").contains("no_such_node"));
    assert!(message(".baton/rules/bad-placeholder.toml").contains("{nope}"));
    assert!(message(".baton/rules/bad-predicate.toml").contains("insde-call?"));
    assert!(message(".baton/rules/runs.toml").contains("command"));
    // The good rules still report.
    assert_eq!(findings(&report).iter().filter(|f| f.0.starts_with("project/")).count(), 4);
    // `rules test` fails on them too.
    let test = baton(&["rules", "test", "--rule", "project/*"], &root);
    assert_eq!(test.status.code(), Some(1));
    assert!(stdout(&test).contains("FAIL .baton/rules/bad-toml.toml:1"), "{}", stdout(&test));
}

#[test]
fn rules_test_passes_on_the_example_and_shows_a_diff_when_an_example_is_wrong() {
    let (_dir, root) = example();
    let output = baton(&["rules", "test"], &root);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains(" 0 failed"), "{}", stdout(&output));
    // Built-ins run by the same mechanism: their documentation's examples.
    let builtin = baton(&["rules", "test", "--rule", "sql/rls-disabled-in-public"], &root);
    assert_eq!(builtin.status.code(), Some(0), "{}", stdout(&builtin));
    assert!(!stdout(&builtin).starts_with("0 examples"), "{}", stdout(&builtin));
    // A wrong fixed text fails with a diff; a wrong line fails naming both.
    let path = root.join(".baton/rules/fetch-with-tracing.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("await withTracing(() => fetch(", "await withTrace(() => fetch(", 1)).unwrap();
    let output = baton(&["rules", "test", "--rule", "project/fetch-with-tracing"], &root);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(out.contains("FAIL project/fetch-with-tracing (bad example 1): the fixed text differs"), "{out}");
    assert!(
        out.contains("-  const res = await withTrace(") && out.contains("+  const res = await withTracing("),
        "{out}"
    );
    std::fs::write(&path, text.replacen("lines = [2]", "lines = [3]", 1)).unwrap();
    let out = stdout(&baton(&["rules", "test", "--rule", "project/fetch-with-tracing"], &root));
    assert!(out.contains("expected findings at src/services/billing.ts:3, found src/services/billing.ts:2"), "{out}");
}

#[test]
fn rules_new_scaffolds_a_rule_that_passes_its_own_test_and_reports() {
    let dir = workspace(&[("src/a.ts", "legacyFetch(\"/x\");\nfetchJson(\"/y\");\n")]);
    for (name, language) in [("no-legacy-fetch", "ts"), ("tenant-tables", "sql")] {
        let output = baton(&["rules", "new", name, "--language", language], dir.path());
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(dir.path().join(format!(".baton/rules/{name}.toml")).is_file());
    }
    let again = baton(&["rules", "new", "no-legacy-fetch"], dir.path());
    assert_eq!(again.status.code(), Some(2), "an existing rule file is never overwritten");
    let bad_name = baton(&["rules", "new", "Bad Name"], dir.path());
    assert_eq!(bad_name.status.code(), Some(2));
    let test = baton(&["rules", "test", "--rule", "project/*"], dir.path());
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    assert!(stdout(&test).starts_with("4 examples passed, 0 failed"), "{}", stdout(&test));
    let (report, _) = check_json(dir.path(), &[]);
    assert_eq!(user_findings(&report), [s("project/no-legacy-fetch", "src/a.ts", 1)]);
    // Listed and explained with the built-ins.
    let list = stdout(&baton(&["rules"], dir.path()));
    assert!(list.contains("project/no-legacy-fetch") && list.contains("rls/prisma-outside-context"));
    let explain = stdout(&baton(&["rules", "explain", "project/tenant-tables"], dir.path()));
    assert!(explain.contains("## Why is this bad?") && explain.contains("create table public.invoices"), "{explain}");
}

/// A query rule of `query` (with `extra` TOML keys) in a workspace of `files`; the lines of
/// its findings per file.
fn query_rule_lines(query: &str, extra: &str, files: &[(&str, &str)]) -> Vec<(String, u64)> {
    let rule = format!("message = \"found {{match}}\"\n{extra}\nquery = '''\n{query}\n'''\n");
    let mut all: Vec<(&str, &str)> = files.to_vec();
    all.push((".baton/rules/r.toml", &rule));
    let dir = workspace(&all);
    let (report, _) = check_json(dir.path(), &[]);
    let found = user_findings(&report);
    assert!(!found.iter().any(|f| f.0 == "meta/config"), "{found:?}");
    found.into_iter().map(|(_, path, line)| (path, line)).collect()
}

fn at(path: &str, line: u64) -> (String, u64) {
    (path.to_string(), line)
}

#[test]
fn inside_call_predicates_follow_arguments_and_callbacks_but_not_the_callee() {
    let code = "run(() => send(1));\nsend(2);\nwrapped.run(send(3));\nsend(run);\n";
    let files = [("src/a.ts", code)];
    let query =
        "((call_expression function: (identifier) @f) @match (#eq? @f \"send\") (#not-inside-call? @match \"run\"))";
    assert_eq!(query_rule_lines(query, "", &files), [at("src/a.ts", 2), at("src/a.ts", 4)]);
    let query =
        "((call_expression function: (identifier) @f) @match (#eq? @f \"send\") (#inside-call? @match \"run\"))";
    assert_eq!(query_rule_lines(query, "", &files), [at("src/a.ts", 1), at("src/a.ts", 3)]);
}

#[test]
fn imported_from_predicates_match_the_module_exactly_or_by_prefix() {
    let code = "import { db } from \"@prisma/client\";\nimport { db as other } from \"./db\";\nimport * as edge from \"@prisma/client/edge\";\ndb.user.find();\nother.user.find();\nedge.x.find();\n";
    let files = [("src/a.ts", code)];
    let query =
        "((call_expression function: (member_expression) @callee) @match (#imported-from? @callee \"@prisma/client\"))";
    assert_eq!(query_rule_lines(query, "", &files), [at("src/a.ts", 4)]);
    let query =
        "((call_expression function: (member_expression) @callee) @match (#imported-from? @callee \"@prisma/*\"))";
    assert_eq!(query_rule_lines(query, "", &files), [at("src/a.ts", 4), at("src/a.ts", 6)]);
    let query =
        "((call_expression function: (member_expression) @callee) @match (#not-imported-from? @callee \"@prisma/*\"))";
    assert_eq!(query_rule_lines(query, "", &files), [at("src/a.ts", 5)]);
    let query = "((identifier) @match (#eq? @match \"x\") (#file-imports? \"./db\"))";
    assert_eq!(
        query_rule_lines(query, "", &[("src/a.ts", "import \"./db\";\nx;\n"), ("src/b.ts", "x;\n")]),
        [at("src/a.ts", 2)]
    );
}

#[test]
fn file_predicates_and_keys_choose_the_files() {
    let files = [
        ("src/app/page.ts", "debugger;\n"),
        ("src/lib/db/x.ts", "debugger;\n"),
        ("src/app/page.test.ts", "debugger;\n"),
        ("scripts/x.js", "debugger;\n"),
    ];
    let query = "((debugger_statement) @match (#path? \"src/**\") (#not-path? \"lib/db/**\") (#not-test-file?))";
    assert_eq!(query_rule_lines(query, "", &files), [at("src/app/page.ts", 1)]);
    let keys = "files = [\"src/**\"]\nexclude_files = [\"src/lib/**\"]\ntest_files = false\nlanguages = [\"ts\"]";
    assert_eq!(query_rule_lines("(debugger_statement) @match", keys, &files), [at("src/app/page.ts", 1)]);
    // `languages` limits the grammars: the JavaScript file is only matched when js is listed.
    let all = query_rule_lines("(debugger_statement) @match", "", &files);
    assert_eq!(all.len(), 4);
}

/// Rules of one structure share one compiled pattern, each rule's predicates evaluated on the
/// match: every text predicate form, a rule with two patterns, a Baton predicate, and a query
/// compiled as written (a predicate before a node) beside them. Exactly which rule fires where.
#[test]
fn rules_of_one_shape_each_fire_where_their_own_predicates_hold() {
    let call = "((call_expression function: (identifier) @f) @match";
    let member = "((call_expression function: (member_expression object: (identifier) @o property: (property_identifier) @p)) @match";
    let rule = |query: String| format!("message = \"found {{match}}\"\nquery = '''\n{query}\n'''\n");
    let rules = [
        ("eq", rule(format!("{call} (#eq? @f \"alpha\"))"))),
        ("match", rule(format!("{call}\n  ; beta and its kind\n  (#match? @f \"^be\"))"))),
        ("any-of", rule(format!("{call} (#any-of? @f \"gamma\" \"delta\"))"))),
        (
            "not-any-of",
            rule(format!("{call} (#not-any-of? @f \"alpha\" \"beta\" \"gamma\" \"twice\" \"tracked\" \"withTracing\"))")),
        ),
        ("not-match", rule(format!("{call} (#not-match? @f \"^[a-z]\"))"))),
        ("same-capture", rule(format!("{member} (#eq? @o @p))"))),
        ("send", rule(format!("{member} (#not-eq? @o @p) (#eq? @p \"send\"))"))),
        ("two-patterns", rule(format!("{call} (#eq? @f \"twice\"))\n((new_expression constructor: (identifier) @f) @match (#eq? @f \"Twice\"))"))),
        ("tracked", rule(format!("{call} (#eq? @f \"tracked\") (#not-inside-call? @match \"withTracing\"))"))),
        ("as-written", rule("((identifier) @f (#eq? @f \"alpha\") (arguments) @match)".to_string())),
    ];
    let code = "alpha(1);\nbeta(2);\ngamma(3);\nother(4);\nx.x();\nmail.send();\nsend.send();\ntwice();\nnew Twice();\ntracked();\nwithTracing(() => tracked());\nBig();\n";
    let mut files: Vec<(String, String)> =
        rules.iter().map(|(n, r)| (format!(".baton/rules/{n}.toml"), r.clone())).collect();
    files.push(("src/a.ts".into(), code.into()));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let dir = workspace(&files);
    let (report, _) = check_json(dir.path(), &[]);
    let mut found: Vec<(String, u64)> =
        user_findings(&report).into_iter().map(|(rule, _, line)| (rule, line)).collect();
    found.sort();
    let expected: Vec<(String, u64)> = [
        ("any-of", 3),
        ("as-written", 1),
        ("eq", 1),
        ("match", 2),
        ("not-any-of", 4),
        ("not-any-of", 12),
        ("not-match", 12),
        ("same-capture", 5),
        ("same-capture", 7),
        ("send", 6),
        ("tracked", 10),
        ("two-patterns", 8),
        ("two-patterns", 9),
    ]
    .iter()
    .map(|(r, l)| (format!("project/{r}"), *l))
    .collect();
    assert_eq!(found, expected);
    // A broken rule of a shared shape is still named at its place, and the others still run.
    let broken = rule(format!("{call} (#eq? @f \"alpha\") (#insde-call? @match \"f\"))"));
    let mut files = files.clone();
    files.push((".baton/rules/broken.toml", &broken));
    let dir = workspace(&files);
    let (report, _) = check_json(dir.path(), &[]);
    let found = user_findings(&report);
    assert!(found.contains(&s("meta/config", ".baton/rules/broken.toml", 3)), "{found:?}");
    assert_eq!(found.iter().filter(|f| f.0.starts_with("project/")).count(), expected.len());
    let message = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "meta/config").unwrap()
        ["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("insde-call?"), "{message}");
}

/// A schema rule of `schema` (TOML of its `[schema]` table) over one migration; the lines of
/// its findings.
fn schema_rule_lines(schema: &str, migration: &str) -> Vec<u64> {
    let rule = format!("[schema]\n{schema}\n");
    let dir = workspace(&[(".baton/rules/s.toml", &rule), ("supabase/migrations/0001_a.sql", migration)]);
    let found = user_findings(&check_json(dir.path(), &[]).0);
    assert!(!found.iter().any(|f| f.0 == "meta/config"), "{found:?}");
    found.into_iter().map(|f| f.2).collect()
}

#[test]
fn schema_checks_land_on_the_creating_statement() {
    let sql = "create table public.a (id int, tenant_id uuid);\ncreate table public.b (id int);\ncreate table private.c (id int);\ncreate table public.tenants (id uuid);\n";
    let has_column = "check = \"table-has-column\"\ncolumn = \"tenant_id\"\nexcept = [\"tenants\"]";
    assert_eq!(schema_rule_lines(has_column, sql), [2]);
    let in_private = "check = \"table-has-column\"\ncolumn = \"tenant_id\"\nschemas = [\"private\"]";
    assert_eq!(schema_rule_lines(in_private, sql), [3]);
    let rls = "check = \"rls-enabled\"\nexcept = [\"public.tenants\"]";
    let sql_rls = format!("{sql}alter table public.a enable row level security;\n");
    assert_eq!(schema_rule_lines(rls, &sql_rls), [2]);
}

#[test]
fn policy_checks_need_the_column_in_using_and_with_check() {
    let table = "create table public.t (id int, tenant_id uuid, owner uuid);\nalter table public.t enable row level security;\n";
    let check = "check = \"policies-check-column\"\ncolumn = \"tenant_id\"";
    let policies = [
        // Both clauses check the tenant: fine.
        ("create policy p on public.t for all using (tenant_id = x()) with check (tenant_id = x());\n", vec![]),
        // FOR ALL without WITH CHECK: PostgreSQL checks new rows with USING, which checks it.
        ("create policy p on public.t for all using (tenant_id = x());\n", vec![]),
        // UPDATE whose WITH CHECK forgets the tenant.
        ("create policy p on public.t for update using (tenant_id = x()) with check (owner = auth.uid());\n", vec![3]),
        // INSERT has only WITH CHECK; it checks only the owner.
        ("create policy p on public.t for insert with check (owner = auth.uid());\n", vec![3]),
        // A string that mentions the column is not a reference to it.
        ("create policy p on public.t for select using ('tenant_id' = owner::text);\n", vec![3]),
    ];
    for (policy, expected) in policies {
        assert_eq!(schema_rule_lines(check, &format!("{table}{policy}")), expected, "{policy}");
    }
    // A table without the column is not a tenant table: its policies are not checked.
    let other = "create table public.u (id int);\ncreate policy p on public.u for select using (true);\n";
    assert_eq!(schema_rule_lines(check, other), Vec::<u64>::new());
}

#[test]
fn functions_must_be_security_invoker_in_the_configured_schemas() {
    let sql = "create function public.f() returns int language sql security definer set search_path = '' as $$ select 1 $$;\ncreate function public.g() returns int language sql as $$ select 1 $$;\ncreate function private.h() returns int language sql security definer set search_path = '' as $$ select 1 $$;\n";
    assert_eq!(schema_rule_lines("check = \"security-invoker\"", sql), [1]);
}

/// `baton` with extra environment variables; stdout's JSON report and stderr.
fn check_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> (Value, String) {
    let mut all = vec!["check", "--format", "json", "--fail-on", "never"];
    all.extend_from_slice(args);
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command.args(&all).current_dir(root).env("NO_COLOR", "1").env_remove("BATON_NO_PREFILTER");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)));
    (report, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// User query rules keep `baton check`'s prefilter (a file none of their texts occurs in, and no
/// built-in rule needs, is not parsed), and the report is the same cold, warm, without the
/// cache and with the prefilter off (`BATON_NO_PREFILTER=1`, the oracle). A rule that may match
/// anywhere turns it off, and `BATON_PREFILTER_DEBUG` names it.
#[test]
fn user_rules_keep_the_prefilter_and_find_what_a_check_without_it_finds() {
    let rule = |query: &str| format!("message = \"found {{match}}\"\nquery = '''\n{query}\n'''\n");
    let eq = rule("((call_expression function: (identifier) @f) @match (#eq? @f \"legacyCall\"))");
    let any_of = rule("((new_expression constructor: (identifier) @c) @match (#any-of? @c \"OldA\" \"OldB\"))");
    let imported = rule(
        "((call_expression function: (member_expression object: (identifier) @o)) @match (#imported-from? @o \"legacy-lib\"))",
    );
    let matched = rule("((call_expression function: (identifier) @f) @match (#match? @f \"^unsafe(Op|Call)$\"))");
    let dir = workspace(&[
        (".baton/rules/eq.toml", &eq),
        (".baton/rules/any-of.toml", &any_of),
        (".baton/rules/imported.toml", &imported),
        (".baton/rules/match.toml", &matched),
        ("src/a.ts", "export function a() {\n  legacyCall(1);\n}\n"),
        ("src/b.ts", "export const b = new OldB();\n"),
        ("src/c.ts", "import * as legacy from \"legacy-lib\";\nexport const c = legacy.run(1);\n"),
        ("src/d.ts", "export const d = unsafeOp(2);\n"),
        // Near misses: no rule's text.
        (
            "src/quiet.ts",
            "import * as m from \"modern-lib\";\nexport const q = [modernCall(1), new NewA(), m.run()];\n",
        ),
    ]);
    let root = dir.path();
    let (oracle, _) = check_env(root, &["--no-cache"], &[("BATON_NO_PREFILTER", "1")]);
    let expected = vec![
        s("project/eq", "src/a.ts", 2),
        s("project/any-of", "src/b.ts", 1),
        s("project/imported", "src/c.ts", 2),
        s("project/match", "src/d.ts", 1),
    ];
    assert_eq!(user_findings(&oracle), expected);
    let (streamed, debug) = check_env(root, &["--no-cache"], &[("BATON_PREFILTER_DEBUG", "1")]);
    assert_eq!(streamed["diagnostics"], oracle["diagnostics"]);
    assert!(debug.contains("prefilter-need L src/quiet.ts"), "{debug}");
    assert!(debug.contains("prefilter-need AImports src/a.ts"), "{debug}");
    assert!(!debug.contains("prefilter-off"), "{debug}");
    let (cold, _) = check_env(root, &[], &[]);
    assert_eq!(cold["diagnostics"], oracle["diagnostics"]);
    // The stored report removed: the warm run goes through the analysis cache.
    for entry in std::fs::read_dir(root.join(".baton/cache")).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("output-") {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    let (warm, stats) = check_env(root, &[], &[("BATON_CACHE_STATS", "1")]);
    assert_eq!(warm["diagnostics"], oracle["diagnostics"]);
    assert!(stats.contains("output_hit=0") && !stats.contains("findings_hit=0 "), "{stats}");
    // A rule with no condition: every file parsed, named in the debug output.
    std::fs::write(
        root.join(".baton/rules/anywhere.toml"),
        rule("((identifier) @match (#not-eq? @match \"legacyCall\"))"),
    )
    .unwrap();
    let (_, debug) = check_env(root, &["--no-cache"], &[("BATON_PREFILTER_DEBUG", "1")]);
    assert!(debug.contains("prefilter-off project/anywhere: its query gives no condition"), "{debug}");
    assert!(debug.contains("prefilter-need AOwn src/quiet.ts"), "{debug}");
}
