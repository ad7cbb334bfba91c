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

cargo test --locked --all-targets
cargo test --locked --doc

# The schema model must agree with a real PostgreSQL on every SQL fixture (installs it if needed).
bash scripts/pg-agreement.sh
