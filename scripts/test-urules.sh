#!/usr/bin/env bash
# User rules (docs/user-rules.md) in CI, beyond `cargo test` (tests/user_rules.rs, tests/lsp):
# every rule's examples through `baton rules test` in the example workspace (the built-ins'
# documentation examples and the three worked user rules), and the user-rules benchmark harness
# on a small workspace, with shared and with distinct rule structures (proves the 50 generated
# rules load and run; no timing is asserted).
# About 30 s on 2 cores after the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet --bin baton
target/debug/baton rules test --root examples/user-rules
bash scripts/bench.sh --user-rules --quick
bash scripts/bench.sh --user-rules --quick --distinct
