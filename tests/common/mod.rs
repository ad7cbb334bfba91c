//! Helpers shared by the integration test crates (each crate uses some of them).
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;

/// Writes `text` to `path` under `root`, creating its folders.
pub fn write_file(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

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

/// What [`hostile_workspace`] built, for the assertions.
pub struct HostileLayout {
    /// The workspace folder (beside it, `outside/`, which symlinks point into).
    pub root: std::path::PathBuf,
    /// Migrations with odd names, each creating one unsecured table.
    pub odd_names: Vec<String>,
    /// Deeply nested code files without findings of their own (the SQL ones are refused).
    pub deep_code: Vec<String>,
    /// One file of each kind with invalid UTF-8.
    pub invalid_utf8: Vec<String>,
}

/// Builds a hostile workspace in `dir/ws` (issue #10): symlink loops and links out of the
/// workspace, odd names, a 50 MB file, a 100,000-line file, nesting 10,000 deep, invalid UTF-8 in
/// every file kind, handoffs naming paths outside, 5,000 migrations.
pub fn hostile_workspace(dir: &Path) -> HostileLayout {
    use std::os::unix::fs::symlink;
    let root = dir.join("ws");
    let outside = dir.join("outside");
    let write = |path: &str, bytes: &[u8]| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    let unsecured = |table: &str| format!("create table public.{table} (id int primary key);\n");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("20240101000000_secret.sql"), unsecured("outside_secret")).unwrap();
    std::fs::write(outside.join("route.ts"), "export const x = prisma.$queryRawUnsafe(`${a}`);\n").unwrap();

    // Links: a loop back to the root, a folder and a file outside.
    write("supabase/migrations/.keep", b"");
    write("lib/.keep", b"");
    symlink(&root, root.join("loop")).unwrap();
    symlink("..", root.join("supabase/loop")).unwrap();
    symlink(&outside, root.join("supabase/migrations/outside_dir")).unwrap();
    symlink(outside.join("20240101000000_secret.sql"), root.join("supabase/migrations/20240102000000_outside.sql"))
        .unwrap();
    symlink(outside.join("route.ts"), root.join("lib/outside_route.ts")).unwrap();
    symlink(root.join("nowhere/missing.sql"), root.join("supabase/migrations/20240102000001_dangling.sql")).unwrap();

    // Odd names.
    let long = format!("supabase/migrations/20240103000003_{}.sql", "n".repeat(200));
    let odd_names = vec![
        "supabase/migrations/20240103000000_spaced name é.sql".to_string(),
        "supabase/migrations/20240103000001_-rf.sql".to_string(),
        "supabase/migrations/20240103000002_new\nline.sql".to_string(),
        long,
    ];
    for (i, name) in odd_names.iter().enumerate() {
        write(name, unsecured(&format!("odd_{i}")).as_bytes());
    }

    // Size: 50 MB (skipped with a notice) and 100,000 lines (analysed to the end).
    write("supabase/migrations/20240104000000_huge.sql", &b"-- padding line\n".repeat(50 * 1024 * 1024 / 16));
    let mut long_ts = String::from("import { prisma } from \"@/lib/db/client\";\n");
    long_ts.push_str(&"x;\n".repeat(99_999));
    long_ts.push_str("export async function f(id: string) { return prisma.$queryRawUnsafe(`SELECT ${id}`); }\n");
    write("lib/long.ts", long_ts.as_bytes());

    // Nesting 10,000 deep.
    let n = 10_000;
    let nest = |o: &str, c: &str| format!("{}{}", o.repeat(n), c.repeat(n));
    write(".claude/context/snapshot-9.json", format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)).as_bytes());
    let deep_code = vec![
        ("lib/deep.ts", format!("export const a = {};\n", nest("(", ")").replacen(")", "1)", 1))),
        ("components/Deep.tsx", format!("export const D = () => {};\n", nest("<div>", "</div>"))),
        (
            "docs/specs/SPEC-DEEP.md",
            format!("# Deep\n\n{} quote\n\n```ts\nconst a = {};\n```\n", ">".repeat(n), nest("[", "]")),
        ),
    ];
    for (path, text) in &deep_code {
        write(path, text.as_bytes());
    }
    let deep_code = deep_code.into_iter().map(|(p, _)| p.to_string()).collect();
    // SQL that deep is refused before parsing (the parser recurses per level).
    write(
        "supabase/migrations/20240106000000_deep.sql",
        format!("select {};\n", nest("(", ")").replacen(")", "1)", 1)).as_bytes(),
    );
    write("supabase/migrations/20240106000001_chain.sql", format!("select {}1;\n", "1 + ".repeat(n)).as_bytes());

    // Invalid UTF-8 in every kind.
    let invalid_utf8: Vec<String> = [
        ("lib/latin1.ts", b"// caf\xe9\nexport const a = 1;\n".to_vec()),
        ("components/Latin1.tsx", b"// caf\xe9\nexport const A = () => <div/>;\n".to_vec()),
        ("lib/latin1.js", b"// caf\xe9\nexport const a = 1;\n".to_vec()),
        (
            "supabase/migrations/20240105000000_latin1.sql",
            [b"-- caf\xe9\n".as_slice(), unsecured("latin1").as_bytes()].concat(),
        ),
        ("docs/specs/SPEC-LATIN1.md", b"# Caf\xe9\n\ntext\n".to_vec()),
        (".claude/context/snapshot-2.json", b"{\"version\": \"1\", \"note\": \"caf\xe9\"}\n".to_vec()),
        (
            ".claude/handoff/ws2-latin1-complete.signal",
            b"{\"workstream\": \"WS-2\", \"status\": \"complete\", \"note\": \"caf\xe9\"}\n".to_vec(),
        ),
    ]
    .into_iter()
    .map(|(path, bytes)| {
        write(path, &bytes);
        path.to_string()
    })
    .collect();

    // Handoff paths that leave the workspace.
    write(
        ".claude/handoff/ws1-escape-complete.signal",
        br#"{"workstream": "WS-1", "status": "complete", "files_modified": ["../../etc/passwd", "/etc/passwd", "../outside/20240101000000_secret.sql"]}"#,
    );

    // 5,000 migrations, each table secured, and one last table that is not.
    for i in 0..5_000 {
        let sql = format!(
            "create table public.t{i} (id int primary key);\nalter table public.t{i} enable row level security;\n\
             create policy \"read\" on public.t{i} for select to authenticated using (true);\n"
        );
        write(&format!("supabase/migrations/2025{i:010}_t{i}.sql"), sql.as_bytes());
    }
    write("supabase/migrations/20259999999999_unsecured.sql", unsecured("unsecured").as_bytes());

    HostileLayout { root, odd_names, deep_code, invalid_utf8 }
}

/// A program a repository's configuration can name and git would run: Baton must never let it.
#[derive(Clone, Copy, Debug)]
pub enum GitProgram {
    /// `core.fsmonitor` (run by `git status`).
    FsMonitor,
    /// `filter.<x>.clean`, chosen by `.gitattributes` (run to hash a work-tree file).
    CleanFilter,
    /// `diff.<x>.textconv`, chosen by `.gitattributes` (run by `git diff`).
    TextConv,
    /// A `post-index-change` hook (run when `git status` refreshes and writes the index).
    Hook,
    /// A `process` filter driver defined in a file that `.git/config` includes.
    IncludedProcessFilter,
}

/// Every [`GitProgram`].
pub const GIT_PROGRAMS: [GitProgram; 5] = [
    GitProgram::FsMonitor,
    GitProgram::CleanFilter,
    GitProgram::TextConv,
    GitProgram::Hook,
    GitProgram::IncludedProcessFilter,
];

fn test_git(root: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// Makes `root` a git repository with one commit, an uncommitted change to a tracked file and a
/// piece of workflow evidence (`WOR-9`, `gate:lint`), whose `.git/config` names `program`: a
/// script that creates a marker file and then blocks for an hour. Returns the marker's path,
/// which must never exist.
pub fn git_repo_naming_a_program(root: &Path, program: GitProgram) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/a.ts"), "export const a = 1;\n").unwrap();
    std::fs::write(root.join(".gitattributes"), "*.ts filter=evil diff=evil\n").unwrap();
    test_git(root, &["init", "-q"]);
    test_git(root, &["add", "."]);
    test_git(root, &["commit", "-q", "-m", "one"]);
    let git_dir = root.join(".git");
    let marker = git_dir.join(format!("ran-{program:?}"));
    let script = git_dir.join("program.sh");
    std::fs::write(&script, format!("#!/bin/sh\ntouch '{}'\nexec sleep 3600\n", marker.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let section = match program {
        GitProgram::FsMonitor => format!("[core]\n\tfsmonitor = {}\n", script.display()),
        GitProgram::CleanFilter => format!("[filter \"evil\"]\n\tclean = {}\n\trequired = true\n", script.display()),
        GitProgram::TextConv => format!("[diff \"evil\"]\n\ttextconv = {}\n", script.display()),
        GitProgram::Hook => {
            let hooks = git_dir.join("hooks");
            std::fs::create_dir_all(&hooks).unwrap();
            std::fs::copy(&script, hooks.join("post-index-change")).unwrap();
            String::new()
        }
        GitProgram::IncludedProcessFilter => {
            let included = git_dir.join("extra.config");
            std::fs::write(
                &included,
                format!("[filter \"evil\"]\n\tprocess = {}\n\trequired = true\n", script.display()),
            )
            .unwrap();
            format!("[include]\n\tpath = {}\n", included.display())
        }
    };
    let mut config = std::fs::read_to_string(git_dir.join("config")).unwrap();
    config.push_str(&section);
    std::fs::write(git_dir.join("config"), config).unwrap();
    std::fs::write(root.join("src/a.ts"), "export const a = 2; // changed\n").unwrap();
    let evidence = root.join(".baton/evidence/WOR-9");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::write(
        evidence.join("gate:lint.json"),
        r#"{"requirement": "gate:lint", "status": "pass", "at": "2026-01-01T00:00:00Z", "by": "t", "git_head": null, "dirty": false}"#,
    )
    .unwrap();
    marker
}
