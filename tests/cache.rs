//! The analysis cache of `baton check`: results are reused exactly when nothing they depend on
//! changed, recomputed exactly when something did, and equal to an uncached run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

mod common;
use common::write_file as write;

/// Runs `baton check --format json` (with `extra` flags) and returns the JSON output and the
/// cache statistics printed under `BATON_CACHE_STATS`.
fn check(root: &Path, extra: &[&str]) -> (serde_json::Value, BTreeMap<String, usize>) {
    check_with(root, extra, &[])
}

/// [`check`] with extra environment variables.
fn check_with(root: &Path, extra: &[&str], env: &[(&str, &str)]) -> (serde_json::Value, BTreeMap<String, usize>) {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["check", "--format", "json", "--fail-on", "never"])
        .args(extra)
        .arg(root)
        .env("BATON_CACHE_STATS", "1")
        // The counts below are the cache's: every file parsed on a miss, as without the
        // prefilter (tests/prefilter.rs checks the cache with it).
        .env("BATON_NO_PREFILTER", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stats = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("baton-cache-stats: "))
        .flat_map(|l| l.split(' '))
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
        .collect();
    (json, stats)
}

fn stat(stats: &BTreeMap<String, usize>, key: &str) -> usize {
    *stats.get(key).unwrap_or_else(|| panic!("no {key} in {stats:?}"))
}

fn rules_in(json: &serde_json::Value, path: &str) -> Vec<String> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == path)
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

const CONTEXT: &str = "import { prisma } from \"./client\";\nexport async function withUserContext(id: string, fn: (tx: any) => Promise<unknown>) {\n  return prisma.$transaction(async (tx) => fn(tx));\n}\n";

fn workspace(root: &Path) {
    write(root, "lib/db/client.ts", "export const prisma = {} as any;\n");
    write(root, "lib/db/context.ts", CONTEXT);
    write(
        root,
        "lib/jobs.ts",
        "export async function refresh() {\n  return fetch(\"/refresh\");\n}\nexport function log() {\n  return 2;\n}\n",
    );
    write(
        root,
        "app/importer.ts",
        "import { refresh, log } from \"../lib/jobs\";\nexport function run() {\n  log();\n  return refresh;\n}\n",
    );
    write(
        root,
        "app/unrelated.ts",
        "import { prisma } from \"@/lib/db/client\";\nexport async function count() {\n  return prisma.user.count();\n}\n",
    );
    write(root, "supabase/migrations/001_t.sql", "create table public.t (id int primary key);\n");
}

#[test]
fn a_warm_run_parses_nothing_and_equals_an_uncached_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    let (cold, stats) = check(root, &[]);
    assert_eq!(stat(&stats, "facts_miss"), 5, "{stats:?}");
    assert_eq!(stat(&stats, "findings_miss"), 6, "{stats:?}");
    assert_eq!(stat(&stats, "sql_miss"), 1);
    assert!(root.join(".baton/cache/.gitignore").exists());
    // The cold run found what the workspace holds.
    assert_eq!(rules_in(&cold, "app/unrelated.ts"), ["rls/prisma-outside-context"]);
    assert_eq!(rules_in(&cold, "supabase/migrations/001_t.sql"), ["sql/rls-disabled-in-public"]);

    // Nothing changed: the stored report is printed, nothing else looked up.
    let (warm, stats) = check(root, &[]);
    assert_eq!(warm, cold);
    assert_eq!(stat(&stats, "output_hit"), 1, "{stats:?}");
    assert_eq!(stat(&stats, "facts_hit") + stat(&stats, "findings_hit") + stat(&stats, "parsed"), 0);

    // Without the stored report, every result comes from the analysis cache.
    std::fs::remove_file(root.join(".baton/cache/output-json.bin")).unwrap();
    let (warm, stats) = check(root, &[]);
    assert_eq!(warm, cold);
    assert_eq!(stat(&stats, "output_hit"), 0);
    assert_eq!(stat(&stats, "facts_hit"), 5);
    assert_eq!(stat(&stats, "findings_hit"), 6);
    assert_eq!(stat(&stats, "findings_miss"), 0);
    assert_eq!(stat(&stats, "sql_hit"), 1);
    assert_eq!(stat(&stats, "parsed"), 0, "a warm run parses no unchanged file");

    let (uncached, stats) = check(root, &["--no-cache"]);
    assert_eq!(uncached, cold);
    assert!(stats.is_empty(), "--no-cache does not touch the cache: {stats:?}");
}

#[test]
fn an_exported_async_function_invalidates_its_importers_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    check(root, &[]);
    // `log` becomes async: `log();` in the importer is now a floating promise.
    write(
        root,
        "lib/jobs.ts",
        "export async function refresh() {\n  return fetch(\"/refresh\");\n}\nexport async function log() {\n  return fetch(\"/log\");\n}\n",
    );
    let (json, stats) = check(root, &[]);
    assert_eq!(stat(&stats, "facts_miss"), 1, "only the edited module's facts: {stats:?}");
    assert_eq!(stat(&stats, "findings_miss"), 2, "the edited module and its importer: {stats:?}");
    assert_eq!(stat(&stats, "findings_hit"), 4, "{stats:?}");
    assert_eq!(stat(&stats, "parsed"), 2, "the importer is re-analysed, the rest is not parsed: {stats:?}");
    assert_eq!(rules_in(&json, "app/importer.ts"), ["errors/floating-promise"]);
    assert_eq!(json, check(root, &["--no-cache"]).0);
}

#[test]
fn a_wrapper_definition_invalidates_what_depends_on_it_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    check(root, &[]);
    // A new comment in the wrapper's module changes its content but not the workspace facts:
    // every other file's result is reused.
    write(root, "lib/db/context.ts", &format!("// The RLS context.\n{CONTEXT}"));
    let (_, stats) = check(root, &[]);
    assert_eq!(stat(&stats, "findings_miss"), 1, "{stats:?}");
    assert_eq!(stat(&stats, "parsed"), 1, "{stats:?}");
    // Removing the wrapper definition switches the RLS rule off (no wrapper in use): every TS
    // file is re-analysed, the migration is not.
    write(root, "lib/db/context.ts", "export const nothing = 1;\n");
    let (json, stats) = check(root, &[]);
    assert_eq!(stat(&stats, "findings_miss"), 5, "{stats:?}");
    assert_eq!(stat(&stats, "findings_hit"), 1, "the migration's result is reused: {stats:?}");
    assert_eq!(stat(&stats, "sql_hit"), 1);
    assert_eq!(rules_in(&json, "app/unrelated.ts"), Vec::<String>::new());
    assert_eq!(json, check(root, &["--no-cache"]).0);
}

#[test]
fn a_changed_migration_replays_its_sequence_and_a_corrupt_cache_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    check(root, &[]);
    write(root, "supabase/migrations/002_rls.sql", "alter table public.t enable row level security;\n");
    let (json, stats) = check(root, &[]);
    assert_eq!(stat(&stats, "sql_miss"), 1);
    assert_eq!(stat(&stats, "findings_hit"), 5, "TS results are reused: {stats:?}");
    assert!(!rules_in(&json, "supabase/migrations/001_t.sql").contains(&"sql/rls-disabled-in-public".to_string()));
    assert_eq!(json, check(root, &["--no-cache"]).0);

    for entry in std::fs::read_dir(root.join(".baton/cache")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            std::fs::write(&path, b"\x01\x02 not a cache").unwrap();
        }
    }
    let (again, stats) = check(root, &[]);
    assert_eq!(again, json, "a corrupt cache changes nothing in the output");
    assert_eq!(stat(&stats, "findings_hit"), 0);
    let (_, stats) = check(root, &[]);
    assert_eq!(stat(&stats, "findings_miss"), 0, "the corrupt cache was overwritten: {stats:?}");
}

/// The single cache file of a workspace and its inode (a rewrite renames a new file over it).
fn cache_file(root: &Path) -> (std::path::PathBuf, u64) {
    use std::os::unix::fs::MetadataExt;
    let files: Vec<_> = std::fs::read_dir(root.join(".baton/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        // Named by 16 hex digits (the stored reports and the file signatures are beside it).
        .filter(|p| p.file_stem().unwrap().to_string_lossy().chars().all(|c| c.is_ascii_hexdigit()))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let inode = std::fs::metadata(&files[0]).unwrap().ino();
    (files[0].clone(), inode)
}

/// A warm run that computed nothing leaves the cache file alone (writing 5 MB for nothing was a
/// tenth of a warm run); a run that has something to drop or add rewrites it.
#[test]
fn the_cache_is_rewritten_only_when_something_changed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    check(root, &[]);
    let (file, first) = cache_file(root);
    let before = std::fs::read(&file).unwrap();
    check(root, &[]);
    assert_eq!(cache_file(root).1, first, "nothing changed: not rewritten");

    std::fs::remove_file(root.join("app/unrelated.ts")).unwrap();
    let (json, _) = check(root, &[]);
    let (_, pruned) = cache_file(root);
    assert_ne!(pruned, first, "a deleted file's entries are pruned");
    assert!(std::fs::read(&file).unwrap().len() < before.len());
    assert!(rules_in(&json, "app/unrelated.ts").is_empty());

    write(root, "app/new.ts", "export const x = 1;\n");
    check(root, &[]);
    assert_ne!(cache_file(root).1, pruned, "a new file's results are added");
    let (_, stats) = check(root, &[]);
    assert_eq!(stat(&stats, "findings_miss"), 0);
}

/// A file parsed in a cold run is analysed at once under guessed workspace facts (no wrapper
/// aliases, no async exports elsewhere, wrappers in use when their names occur in the code).
/// Where a guess was wrong for a file, its findings are computed again: the output equals an
/// uncached run's, and only the files that read a wrong answer are counted. (`BATON_TEST_HOOKS`
/// makes every parsed file wait for the compiled queries, so each is analysed early.)
#[test]
fn findings_computed_under_guessed_facts_are_redone_where_a_guess_was_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "lib/db/client.ts", "export const prisma = {} as any;\n");
    write(root, "lib/db/context.ts", CONTEXT);
    // A re-exported alias of the wrapper: the guess knows no aliases.
    write(root, "lib/db/index.ts", "export { withUserContext as withTenant } from \"./context\";\n");
    write(
        root,
        "app/tenant.ts",
        "import { prisma } from \"@/lib/db/client\";\nimport { withTenant } from \"@/lib/db\";\nexport async function list(id: string) {\n  return withTenant(id, async () => prisma.user.findMany());\n}\n",
    );
    // An async function used from another file: the guess says no module exports one.
    write(root, "lib/jobs.ts", "export async function refresh() {\n  return fetch(\"/refresh\");\n}\n");
    write(
        root,
        "app/caller.ts",
        "import { refresh } from \"../lib/jobs\";\nexport function run() {\n  refresh();\n}\n",
    );
    // Near miss: reads the same facts, and the guess holds for it.
    write(root, "app/plain.ts", "export function id(x: number) {\n  return x;\n}\n");
    let (cold, stats) = check_with(root, &[], &[("BATON_TEST_HOOKS", "1")]);
    let (uncached, _) = check(root, &["--no-cache"]);
    assert_eq!(cold, uncached);
    assert_eq!(rules_in(&cold, "app/caller.ts"), ["errors/floating-promise"]);
    assert!(rules_in(&cold, "app/tenant.ts").is_empty(), "{cold:#}");
    assert_eq!(stat(&stats, "guesses_wrong"), 2, "{stats:?}");

    // The wrapper's name only in a comment: guessed in use, but no file defines or imports it,
    // so the rule stays silent (as uncached) and the file read a wrong guess.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "app/raw.ts",
        "// not withUserContext here\nimport { prisma } from \"./client\";\nexport async function all() {\n  return prisma.user.findMany();\n}\n",
    );
    let (cold, stats) = check_with(root, &[], &[("BATON_TEST_HOOKS", "1")]);
    let (uncached, _) = check(root, &["--no-cache"]);
    assert_eq!(cold, uncached);
    assert!(rules_in(&cold, "app/raw.ts").is_empty(), "{cold:#}");
    assert_eq!(stat(&stats, "guesses_wrong"), 1, "{stats:?}");
}

/// Runs `baton check` with `args` in `root`; its exit status, stdout and the `output_hit` count.
fn run_raw(root: &Path, args: &[&str]) -> (i32, String, usize) {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("check")
        .args(args)
        .current_dir(root)
        .env("BATON_CACHE_STATS", "1")
        .env("BATON_NO_PREFILTER", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hit = stderr.lines().any(|l| l.starts_with("baton-cache-stats: output_hit=1"));
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), usize::from(hit))
}

/// The stored report is printed again exactly while every input of the run is the same: each
/// change below — to a file's content (same size), to the set of files (a file Baton does not
/// read, named by a handoff), to the configuration, to the request — gives a fresh report equal
/// to an uncached run's, and the exit status follows `--fail-on` either way.
#[test]
fn the_stored_report_is_printed_only_while_every_input_is_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    write(
        root,
        ".claude/handoff/ws-1-complete.signal",
        r#"{"workstream": "WS-1", "status": "complete", "files_modified": ["docs/design.png"]}"#,
    );
    let json = ["--format", "json", "--fail-on", "never"];
    let fresh = |args: &[&str]| run_raw(root, &[args, &["--no-cache"]].concat());
    let (_, cold, hit) = run_raw(root, &json);
    assert_eq!(hit, 0);
    let (code, warm, hit) = run_raw(root, &json);
    assert_eq!((code, hit), (0, 1));
    assert_eq!(warm, cold, "byte for byte");
    assert!(warm.contains("handoff/missing-file") && warm.contains("rls/prisma-outside-context"), "{warm}");

    // The exit status comes from the stored findings' severities.
    assert_eq!(run_raw(root, &["--format", "json"]), (1, cold.clone(), 1), "another --fail-on, the same report");
    assert_eq!(run_raw(root, &["--format", "json", "--fail-on", "never"]).0, 0);

    type Change<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let mut changes: Vec<Change> = vec![
        (
            "same-size edit",
            Box::new(|| write(root, "supabase/migrations/001_t.sql", "create table public.u (id int primary key);\n")),
        ),
        ("a named file appears", Box::new(|| write(root, "docs/design.png", "not read by baton"))),
        (
            "configuration",
            Box::new(|| write(root, "baton.toml", "[rules]\n\"rls/prisma-outside-context\" = \"off\"\n")),
        ),
        ("a removed file", Box::new(|| std::fs::remove_file(root.join("app/importer.ts")).unwrap())),
    ];
    for (what, change) in changes.drain(..) {
        change();
        let (code, out, hit) = run_raw(root, &json);
        assert_eq!(hit, 0, "{what}: not the stored report");
        assert_eq!((code, &out), (0, &fresh(&json).1), "{what}: equals an uncached run");
        assert_ne!(out, cold, "{what}: the report changed");
        let (_, again, hit) = run_raw(root, &json);
        assert_eq!((hit, &again), (1, &out), "{what}: stored again");
    }
    let text = run_raw(root, &json).1;
    assert!(!text.contains("handoff/missing-file") && !text.contains("rls/prisma-outside-context"), "{text}");

    // Another format, or only part of the workspace, is another request.
    let (_, sarif, hit) = run_raw(root, &["--format", "sarif", "--fail-on", "never"]);
    assert_eq!(hit, 0);
    assert_eq!(sarif, fresh(&["--format", "sarif", "--fail-on", "never"]).1);
    let (_, part, hit) = run_raw(root, &["--format", "json", "--fail-on", "never", "app"]);
    assert_eq!(hit, 0);
    assert_eq!(part, fresh(&["--format", "json", "--fail-on", "never", "app"]).1);
    assert_ne!(part, run_raw(root, &json).1);
    assert_eq!(run_raw(root, &["--format", "sarif", "--fail-on", "never"]), (0, sarif, 1), "each format keeps its own");
}

/// Files whose signature (size, times, inode) has settled are not read again while it holds: an
/// unchanged workspace's report comes back without a single file read, and without walking it
/// (its directories and ignore files still have their signatures). A rewrite, even to the same
/// size, changes the signature (the status-change time is the kernel's), so the file is read; so
/// is a file touched without a change, whose stored report still stands. A new file makes the
/// run walk again.
#[cfg(unix)]
#[test]
fn settled_files_are_not_read_again_until_their_signature_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    workspace(root);
    // As in a workspace Baton has run in before (creating it would change the root's entries).
    std::fs::create_dir_all(root.join(".baton/cache")).unwrap();
    std::thread::sleep(baton::workspace::signatures::SETTLE + std::time::Duration::from_millis(300));
    let json = ["--format", "json", "--fail-on", "never"];
    let counts = |root: &Path| {
        let (_, stats) = check(root, &[]);
        (stat(&stats, "output_hit"), stat(&stats, "walk_reused"), stat(&stats, "files_read"))
    };
    let (_, cold, _) = run_raw(root, &json);
    assert_eq!(counts(root), (1, 1, 0), "nothing walked or read: every signature settled and unchanged");
    assert_eq!(run_raw(root, &json).1, cold);

    // Touched, content unchanged: read again, and the stored report stands.
    let file = std::fs::File::options().write(true).open(root.join("lib/jobs.ts")).unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600)).unwrap();
    assert_eq!(counts(root), (1, 1, 6));

    // Rewritten to the same size with another finding, its modification time then set back (as
    // `touch -r` or an archive tool would): only the status-change time tells; the file is read,
    // and the report is new.
    let migration = root.join("supabase/migrations/001_t.sql");
    let modified = std::fs::metadata(&migration).unwrap().modified().unwrap();
    write(root, "supabase/migrations/001_t.sql", "create table public.u (id int primary key);\n");
    std::fs::File::options().write(true).open(&migration).unwrap().set_modified(modified).unwrap();
    assert_eq!(std::fs::metadata(&migration).unwrap().modified().unwrap(), modified);
    let (_, out, hit) = run_raw(root, &json);
    assert_eq!(hit, 0);
    let uncached = |root: &Path| run_raw(root, &[&json[..], &["--no-cache"]].concat()).1;
    assert_eq!(out, uncached(root));
    assert!(out.contains("public.u") && !out.contains("public.t`"), "{out}");

    // A new file: the directory changed, so the workspace is walked again and the file found.
    write(
        root,
        "lib/db/extra.ts",
        "import { prisma } from \"./client\";\nexport const n = () => prisma.user.count();\n",
    );
    let (_, stats) = check(root, &[]);
    assert_eq!((stat(&stats, "output_hit"), stat(&stats, "walk_reused")), (0, 0));
    let out = run_raw(root, &json).1;
    assert!(out.contains("lib/db/extra.ts"), "{out}");
    assert_eq!(out, uncached(root));
}

/// Issue 26: the stored report and the analysis cache are checked before use. A same-length
/// corruption of the stored report is not printed; a report forged in the documented layout
/// (header, key, worst severity, length, text), saying "no problems", neither prints nor passes
/// `--fail-on warning`; a same-length corruption of the analysis cache's findings is a miss.
#[test]
fn damaged_or_forged_cache_files_are_misses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A Supabase-style migration (the grant to `anon` shows a Data API): the table is reported.
    write(root, "migrations/1.sql", "create table public.t (id int primary key);\ngrant select on public.t to anon;\n");
    let (code, fresh, _) = run_raw(root, &["--fail-on", "warning"]);
    assert_eq!(code, 1, "{fresh}");
    let report = root.join(".baton/cache/output-human.bin");
    let stored = std::fs::read(&report).unwrap();
    let at = stored.windows(5).position(|w| w == b"table").expect("the report text is in the file");
    // Same length, one word changed.
    let mut damaged = stored.clone();
    damaged[at..at + 5].copy_from_slice(b"TABLE");
    std::fs::write(&report, &damaged).unwrap();
    let (code, out, hit) = run_raw(root, &["--fail-on", "warning"]);
    assert_eq!((code, hit), (1, 0), "{out}");
    assert_eq!(out, fresh, "the damaged report is not printed");
    // Forged: the same header with "no findings", a short text and its length.
    let forged_text = b"No problems found in 1 file.\n";
    let header_len = 16 + 32;
    let mut forged = stored[..header_len].to_vec();
    forged.push(0);
    forged.extend_from_slice(&(forged_text.len() as u64).to_le_bytes());
    forged.extend_from_slice(forged_text);
    let mut unsealed = forged.clone();
    // Also without whatever precedes the layout (a checksum would be in front of it).
    if let Some(start) = stored.windows(16).position(|w| w == b"baton-output-v01") {
        unsealed = stored[start..start + header_len].to_vec();
        unsealed.push(0);
        unsealed.extend_from_slice(&(forged_text.len() as u64).to_le_bytes());
        unsealed.extend_from_slice(forged_text);
        let mut resealed = stored[..start].to_vec();
        resealed.extend_from_slice(&unsealed);
        forged = resealed;
    }
    for planted in [&forged, &unsealed] {
        std::fs::write(&report, planted).unwrap();
        let (code, out, hit) = run_raw(root, &["--fail-on", "warning"]);
        assert_eq!((code, hit), (1, 0), "a forged report is not replayed: {out}");
        assert_eq!(out, fresh);
    }
    // The analysis cache: change the stored message's text, same length, and force a miss of
    // the stored report (another request) so the analysis cache is consulted.
    let (analysis, _) = cache_file(root);
    let bytes = std::fs::read(&analysis).unwrap();
    let json_fresh = check(root, &["--no-cache"]).0;
    let message = json_fresh["diagnostics"][0]["message"].as_str().unwrap().to_string();
    let word = &message.as_bytes()[..5];
    let at = bytes.windows(5).position(|w| w == word).expect("the message is stored");
    let mut damaged = bytes.clone();
    damaged[at] ^= 0x20;
    std::fs::write(&analysis, &damaged).unwrap();
    let (json, _) = check(root, &[]);
    assert_eq!(json["diagnostics"], json_fresh["diagnostics"], "the damaged cache entry is not used");
}
