#!/usr/bin/env bash
# Agents as clients (issue #29, docs/agents.md): `baton mcp` driven by the official MCP
# TypeScript SDK client over stdio, and by the MCP Inspector CLI in --cli mode. The hooks,
# `init --agent-hooks`, `escalate` and the guardrail rules are tested by `cargo test --test agents`
# (run by scripts/test.sh's `cargo test`). Installs the npm packages into target/test-deps/mcp.
# About 1 minute after the build (npm install on first use: ~30 s).
set -euo pipefail
cd "$(dirname "$0")/.."

deps=target/test-deps/mcp
sdk=1.32.2
if [ ! -f "$deps/node_modules/@modelcontextprotocol/sdk/package.json" ] \
  || ! grep -q "\"version\": \"$sdk\"" "$deps/node_modules/@modelcontextprotocol/sdk/package.json"; then
  mkdir -p "$deps"
  echo '{"name": "baton-mcp-tests", "private": true, "type": "module"}' > "$deps/package.json"
  (cd "$deps" && npm install --silent --no-audit --no-fund "@modelcontextprotocol/sdk@$sdk" >/dev/null)
fi

cargo build --locked --bin baton
baton="$PWD/target/debug/baton"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# The client script imports the SDK from target/test-deps/mcp/node_modules.
cp tests/agents/mcp-client.mjs "$deps/mcp-client.mjs"
node "$deps/mcp-client.mjs" "$baton" "$PWD" "$scratch/ws"

# The MCP Inspector's CLI mode, headless: list the tools and call one. (The separate
# `@modelcontextprotocol/inspector-cli` 1.0.3 package does not start outside the Inspector's own
# repository; the Inspector itself ships the CLI as `mcp-inspector --cli`.)
if [ "${BATON_SKIP_INSPECTOR:-0}" != 1 ]; then
  idir=target/test-deps/mcp-inspector
  inspector=2.12.0
  if [ ! -x "$idir/node_modules/.bin/mcp-inspector" ]; then
    mkdir -p "$idir"
    echo '{"name": "baton-mcp-inspector", "private": true}' > "$idir/package.json"
    (cd "$idir" && npm install --silent --no-audit --no-fund "@modelcontextprotocol/inspector@$inspector" >/dev/null)
  fi
  export MCP_CATALOG_PATH="$scratch/mcp-catalog.json"
  inspect() { "$idir/node_modules/.bin/mcp-inspector" --cli "$@" -- "$baton" mcp --root examples/wor-321; }
  out="$(inspect --method tools/list)"
  grep -q '"advance_stage"' <<<"$out" || { echo "inspector: advance_stage not listed" >&2; echo "$out" >&2; exit 1; }
  out="$(inspect --method tools/call --tool-name explain_rule --tool-arg rule=workflow/budget)"
  grep -q 'cost_per_item_usd' <<<"$out" || { echo "inspector: explain_rule gave no documentation" >&2; echo "$out" >&2; exit 1; }
  out="$(inspect --method resources/read --uri baton://items/WOR-321)"
  grep -q 'WOR-321' <<<"$out" || { echo "inspector: the item resource is missing" >&2; echo "$out" >&2; exit 1; }
  echo "mcp-inspector --cli: ok"
fi
