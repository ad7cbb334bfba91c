#!/usr/bin/env bash
# Baton against its peers on one generated workspace: `baton check` (cold, --no-cache, warm),
# ast-grep, semgrep and squawk with equivalent rules, and a parse-only floor. See
# docs/performance.md ("Against peers") for what it measures and the figures of one run.
#
#   bash scripts/bench.sh            # the large workspace (5,003 TS/TSX files, 301 migrations), 5 runs
#   bash scripts/bench.sh --quick    # a small workspace, 2 runs: proves the harness works (scripts/test.sh)
#   bash scripts/bench.sh --runs 9   # more rounds (each round runs every tool once, in turn)
#   bash scripts/bench.sh --user-rules [--quick]   # cold check without vs. with 50 user query rules
#
# The peers are installed, pinned, into a venv under target/test-deps/ (nothing outside the repo).
set -euo pipefail
cd "$(dirname "$0")/.."

# `--user-rules`: cold `baton check` without and with 50 user query rules (no peers needed).
if [[ " $* " == *" --user-rules "* ]]; then
  if [[ " $* " == *" --quick "* ]]; then profile=(); else profile=(--release); fi
  cargo build --locked "${profile[@]}" --quiet --bin baton --example bench_workload
  exec python3 scripts/bench_user_rules.py "$@"
fi

venv=target/test-deps/bench-venv
peers="ast-grep-cli==0.51.1 semgrep==1.180.0 squawk-cli==2.70.0"
stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$peers" ]; then
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $peers
  echo "$peers" > "$stamp"
fi

if [[ " $* " == *" --quick "* ]]; then
  # The quick mode proves the harness only: the debug build the test suite already has will do.
  cargo build --locked --quiet --bin baton --example bench_workload --example parse_only
else
  cargo build --locked --release --quiet --bin baton --example bench_workload --example parse_only
fi
exec python3 scripts/bench.py "$@"
