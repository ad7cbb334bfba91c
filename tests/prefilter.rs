//! The prefilter of `baton check` (`engine::prefilter`): a TypeScript/JavaScript file no rule can
//! fire on is not parsed unless an analysed file reads its facts — and the findings are exactly
//! those of a check that parses and analyses every file (`Workspace::load` + `Workspace::check`,
//! the oracle). Each invented workspace has a file without any rule's literals that still has a
//! finding through another module's facts, and a near-miss that really has nothing. Every rule
//! fixture scenario is compared with the oracle by `tests/rules.rs`
//! (`the_streaming_check_equals_the_whole_workspace_check`), through the same prefilter.
//! User query rules keep the prefilter when their queries give each a condition
//! (`rules::user::condition`): a file with a rule's text and no built-in's is analysed, and a
//! rule that may match anywhere (an optional capture, `#not-eq?` alone) turns the prefilter off.

use std::path::Path;
use std::sync::atomic::Ordering;

use baton::config::Config;
use baton::workspace::{check_with_cache, check_without_cache, FileFinding, Workspace};

mod common;
use common::write_file as write;

fn config_of(dir: &Path) -> Config {
    let mut config = match Config::discover(dir).filter(|p| p.starts_with(dir)) {
        Some(path) => Config::load(&path).unwrap(),
        None => Config::default(),
    };
    // The rule files of `.baton/rules/`, as `baton check` reads them.
    baton::workspace::user_rules::attach(dir, &mut config);
    config
}

/// Findings as comparable lines, sorted.
fn lines(findings: &[FileFinding]) -> Vec<String> {
    let mut out: Vec<String> = findings.iter().map(|f| format!("{} {:?}", f.path, f.finding)).collect();
    out.sort();
    out
}

/// Every file parsed and analysed.
fn oracle(dir: &Path) -> Vec<String> {
    lines(&Workspace::load(dir, config_of(dir)).check(|_| true))
}

/// `baton check --no-cache`'s path (the prefilter applies).
fn streamed(dir: &Path) -> Vec<String> {
    lines(&check_without_cache(dir, config_of(dir), |_| true).1)
}

/// `baton check`'s path through the analysis cache: the findings and how many files the
/// prefilter left unparsed.
fn cached(dir: &Path) -> (Vec<String>, usize) {
    let (_, findings, stats) = check_with_cache(dir, config_of(dir), |_| true);
    (lines(&findings), stats.prefiltered.load(Ordering::Relaxed))
}

fn rules_of(found: &[String], path: &str) -> Vec<String> {
    found
        .iter()
        .filter(|l| l.starts_with(&format!("{path} ")))
        .map(|l| l.split("rule: \"").nth(1).unwrap_or("").split('"').next().unwrap_or("").to_string())
        .collect()
}

/// The same findings on every path, cold and warm; returns them and the cold run's count of
/// files left unparsed.
fn same_everywhere(dir: &Path) -> (Vec<String>, usize) {
    let expected = oracle(dir);
    assert_eq!(streamed(dir), expected, "--no-cache differs from the oracle");
    let (cold, skipped) = cached(dir);
    assert_eq!(cold, expected, "a cold cached check differs from the oracle");
    let (warm, _) = cached(dir);
    assert_eq!(warm, expected, "a warm cached check differs from the oracle");
    (expected, skipped)
}

#[test]
fn a_floating_call_through_a_renaming_barrel_is_found_in_a_file_without_literals() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "lib/email/send.ts", "export async function send(to: string) {\n  await fetch(to);\n}\n");
    write(root, "lib/email/index.ts", "export { send as sendMail } from \"./send\";\n");
    // No `async`, `Promise`, `then`, `fetch` here: only the barrel's renamed async export.
    write(
        root,
        "components/notify.ts",
        "import { sendMail } from \"../lib/email\";\nexport function notify() {\n  sendMail(\"a\");\n}\n",
    );
    // Near miss: a synchronous helper, and a file that calls nothing interesting.
    write(root, "lib/format.ts", "export function format(s: string) {\n  return s.trim();\n}\n");
    write(
        root,
        "components/quiet.ts",
        "import { format } from \"../lib/format\";\nexport function quiet() {\n  format(\" a \");\n}\n",
    );
    let (found, skipped) = same_everywhere(root);
    assert_eq!(rules_of(&found, "components/notify.ts"), ["errors/floating-promise"], "{found:#?}");
    assert!(rules_of(&found, "components/quiet.ts").is_empty(), "{found:#?}");
    // quiet.ts and format.ts are neither parsed nor analysed.
    assert_eq!(skipped, 2, "{found:#?}");
}

#[test]
fn a_floating_call_of_an_async_default_export_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "lib/load.ts", "export default async function load() {\n  await fetch(\"/x\");\n}\n");
    write(root, "components/go.ts", "import load from \"../lib/load\";\nexport function go() {\n  load();\n}\n");
    // Near miss: the default import is used as a value, never called.
    write(root, "components/keep.ts", "import load from \"../lib/load\";\nexport const handlers = [load];\n");
    let (found, skipped) = same_everywhere(root);
    assert_eq!(rules_of(&found, "components/go.ts"), ["errors/floating-promise"], "{found:#?}");
    assert!(rules_of(&found, "components/keep.ts").is_empty(), "{found:#?}");
    assert_eq!(skipped, 1, "{found:#?}");
}

#[test]
fn a_service_client_from_a_factory_in_another_file_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "lib/service.ts",
        "import { createClient } from \"@supabase/supabase-js\";\nexport function createServiceClient() {\n  return createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);\n}\nexport function createAnonClient() {\n  return createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_ANON_KEY!);\n}\n",
    );
    write(
        root,
        "components/team.tsx",
        "\"use client\";\nimport { createServiceClient } from \"../lib/service\";\nexport function Team() {\n  const c = createServiceClient();\n  return c;\n}\n",
    );
    // Near miss: the anon factory's caller is analysed (every export of a module that imports a
    // Supabase package counts as a possible factory) and has nothing; a component that imports
    // from elsewhere is not parsed, nor is that module.
    write(root, "lib/format.ts", "export function formatName(s: string) {\n  return s.trim();\n}\n");
    write(
        root,
        "components/label.tsx",
        "\"use client\";\nimport { formatName } from \"../lib/format\";\nexport function Label() {\n  return formatName(\" a \");\n}\n",
    );
    write(
        root,
        "components/profile.tsx",
        "\"use client\";\nimport { createAnonClient } from \"../lib/service\";\nexport function Profile() {\n  const c = createAnonClient();\n  return c;\n}\n",
    );
    let (found, skipped) = same_everywhere(root);
    assert_eq!(rules_of(&found, "components/team.tsx"), ["rls/supabase-service-role"], "{found:#?}");
    assert!(rules_of(&found, "components/profile.tsx").is_empty(), "{found:#?}");
    assert!(rules_of(&found, "components/label.tsx").is_empty(), "{found:#?}");
    assert_eq!(skipped, 2, "{found:#?}");
}

/// A route handler wrapped by a function from a file with no rule's literal, which
/// authenticates through a third file: the wrapper's facts are read, so no finding; the same
/// wrapper without the guard call gets one.
#[test]
fn a_route_reads_the_summary_of_a_wrapper_in_a_file_without_literals() {
    for (guarded, expected) in [(true, 0), (false, 1)] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "lib/session.ts",
            "import { getServerSession } from \"next-auth\";\nexport function requireUser(req: Request) {\n  const s = getServerSession();\n  if (!s) throw new Error(\"unauthorized\");\n  return s;\n}\n",
        );
        let call = if guarded { "    requireUser(req);\n" } else { "" };
        write(
            root,
            "lib/wrap.ts",
            &format!(
                "import {{ requireUser }} from \"./session\";\nexport function withUser(handler: (req: Request) => Response) {{\n  return (req: Request) => {{\n{call}    return handler(req);\n  }};\n}}\n"
            ),
        );
        write(root, "lib/db.ts", "export const prisma = {} as any;\n");
        write(
            root,
            "app/api/users/route.ts",
            "import { withUser } from \"@/lib/wrap\";\nimport { prisma } from \"@/lib/db\";\nexport const GET = withUser((req: Request) => {\n  const users = prisma.user.findMany();\n  return Response.json(users);\n});\n",
        );
        write(
            root,
            "tsconfig.json",
            "{ \"compilerOptions\": { \"baseUrl\": \".\", \"paths\": { \"@/*\": [\"./*\"] } } }\n",
        );
        let (found, _) = same_everywhere(root);
        let route = rules_of(&found, "app/api/users/route.ts");
        assert_eq!(
            route.iter().filter(|r| *r == "auth/route-missing-auth").count(),
            expected,
            "guarded: {guarded}: {found:#?}"
        );
    }
}

#[test]
fn a_file_edited_to_match_a_condition_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "lib/a.ts", "export function a() {\n  return 1;\n}\n");
    let (found, skipped) = same_everywhere(root);
    assert!(found.is_empty() && skipped == 1, "{found:#?} {skipped}");
    write(root, "lib/a.ts", "export function a() {\n  fetch(\"/x\");\n  return 1;\n}\n");
    let (found, skipped) = same_everywhere(root);
    assert_eq!(rules_of(&found, "lib/a.ts"), ["errors/floating-promise"], "{found:#?}");
    assert_eq!(skipped, 0);
}

/// A user rule file of `query`.
fn user_rule(root: &Path, name: &str, query: &str) {
    write(
        root,
        &format!(".baton/rules/{name}.toml"),
        &format!("message = \"{name}: {{match}}\"\nquery = '''\n{query}\n'''\n"),
    );
}

#[test]
fn user_rules_find_their_texts_in_files_no_built_in_rule_needs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    user_rule(root, "eq", "((call_expression function: (identifier) @f) @match (#eq? @f \"legacyCall\"))");
    user_rule(
        root,
        "any-of",
        "((new_expression constructor: (identifier) @c) @match (#any-of? @c \"OldClientA\" \"OldClientB\"))",
    );
    user_rule(
        root,
        "imported",
        "((call_expression function: (member_expression object: (identifier) @o)) @match (#imported-from? @o \"legacy-lib\"))",
    );
    user_rule(root, "match", "((call_expression function: (identifier) @f) @match (#match? @f \"^unsafe(Op|Call)$\"))");
    user_rule(
        root,
        "alternation",
        "([(call_expression function: (identifier) @f) (new_expression constructor: (identifier) @f)] @match (#eq? @f \"Retired\"))",
    );
    user_rule(root, "scripts", "((debugger_statement) @match (#path? \"scripts/**\"))");
    // None of these has a built-in rule's literal.
    write(root, "lib/a.ts", "export function a() {\n  legacyCall(1);\n}\n");
    write(root, "lib/b.ts", "export const b = new OldClientB();\n");
    write(root, "lib/c.ts", "import * as legacy from \"legacy-lib\";\nexport const c = legacy.run(1);\n");
    write(root, "lib/d.ts", "export const d = unsafeCall(2);\n");
    write(root, "lib/e.ts", "export const e = [Retired(), new Retired()];\n");
    write(root, "scripts/x.js", "debugger;\n");
    // Near misses: another name, an import of another module, the regular expression's texts
    // inside a longer name (analysed, nothing found), the path predicate's text elsewhere.
    write(root, "lib/quiet.ts", "export function q() {\n  modernCall(1);\n  return new NewClient();\n}\n");
    write(root, "lib/other.ts", "import * as legacy from \"modern-lib\";\nexport const c = legacy.run(1);\n");
    write(root, "lib/longer.ts", "export const d = unsafeCalls(2);\n");
    write(root, "src/x.js", "debugger;\n");
    let (found, skipped) = same_everywhere(root);
    for (path, rule) in [
        ("lib/a.ts", "project/eq"),
        ("lib/b.ts", "project/any-of"),
        ("lib/c.ts", "project/imported"),
        ("lib/d.ts", "project/match"),
        ("scripts/x.js", "project/scripts"),
    ] {
        assert_eq!(rules_of(&found, path), [rule], "{path}: {found:#?}");
    }
    assert_eq!(rules_of(&found, "lib/e.ts"), ["project/alternation", "project/alternation"], "{found:#?}");
    for quiet in ["lib/quiet.ts", "lib/other.ts", "lib/longer.ts", "src/x.js"] {
        assert!(rules_of(&found, quiet).is_empty(), "{quiet}: {found:#?}");
    }
    // quiet.ts, other.ts and src/x.js are not parsed; longer.ts has `unsafeCall` in it.
    assert_eq!(skipped, 3, "{found:#?}");
}

/// Rules that may match in any file turn the prefilter off: a predicate on an optional capture
/// holds when the capture is missing, `#not-eq?` needs no text, an alternation branch without
/// the capture needs nothing; the findings are still the oracle's.
#[test]
fn user_rules_that_may_match_anywhere_turn_the_prefilter_off() {
    for (query, file) in [
        (
            "(call_expression function: (identifier) @f (arguments (identifier)? @a) (#eq? @a \"wanted\")) @match",
            "export function a() {\n  go();\n}\n",
        ),
        ("((identifier) @match (#not-eq? @match \"wanted\"))", "export const x = 1;\n"),
        (
            "([(call_expression function: (identifier) @f) (new_expression)] @match (#eq? @f \"wanted\"))",
            "export const x = new Map();\n",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        user_rule(root, "anywhere", query);
        write(root, "lib/a.ts", file);
        write(root, "lib/quiet.ts", "export function q() {\n  return 1;\n}\n");
        let (found, skipped) = same_everywhere(root);
        assert!(rules_of(&found, "lib/a.ts").iter().any(|r| r == "project/anywhere"), "{query}: {found:#?}");
        assert_eq!(skipped, 0, "{query}: the prefilter is off");
    }
    // Near miss: beside the optional capture's predicate, one on a sure capture: a condition
    // (`go`) after all, the quiet file is skipped and the finding is still found.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    user_rule(
        root,
        "sure",
        "(call_expression function: (identifier) @f (arguments (identifier)? @a) (#eq? @a \"wanted\") (#eq? @f \"go\")) @match",
    );
    write(root, "lib/a.ts", "export function a() {\n  go();\n}\n");
    write(root, "lib/quiet.ts", "export function q() {\n  return 1;\n}\n");
    let (found, skipped) = same_everywhere(root);
    assert_eq!(rules_of(&found, "lib/a.ts"), ["project/sure"], "{found:#?}");
    assert_eq!(skipped, 1, "{found:#?}");
}

/// A user rule switched off in `[rules]` gives no condition and does not turn the prefilter off.
#[test]
fn a_user_rule_switched_off_does_not_stop_the_prefilter() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    user_rule(root, "anywhere", "(call_expression) @match");
    write(root, "baton.toml", "[rules]\n\"project/anywhere\" = \"off\"\n");
    write(root, "lib/quiet.ts", "export function q() {\n  return go();\n}\n");
    let (found, skipped) = same_everywhere(root);
    assert!(found.iter().all(|f| !f.contains("project/")), "{found:#?}");
    assert_eq!(skipped, 1);
}
