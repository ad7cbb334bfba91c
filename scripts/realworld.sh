#!/usr/bin/env bash
# Baton on the real-world corpus (tests/realworld/): precision per rule per repository and every
# unlabelled finding. Snapshots are not in this repository: see docs/realworld.md for how to
# obtain them. Arguments go to scripts/realworld.py (--repo, --rules, --strict, --corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
exec python3 scripts/realworld.py "$@"
