#!/usr/bin/env bash
# Baton in Emacs through eglot (issue #27, item 21), headless: Debian's Emacs and eglot (apt, as
# root on CI), a copy of examples/wor-321, tests/emacs/eglot.el. About 10 seconds once installed.
# BATON_BIN: the server binary (default target/debug/baton).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin="${BATON_BIN:-$repo/target/debug/baton}"
[ -x "$bin" ] || cargo build --locked --quiet --bin baton

has_eglot() { emacs --batch --eval "(require 'eglot)" >/dev/null 2>&1; }
if ! command -v emacs >/dev/null || ! has_eglot; then
  if [ "$(id -u)" != 0 ]; then
    echo "warning: Emacs with eglot is not installed and not root: skipping the Emacs test" >&2
    exit 0
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends emacs-nox elpa-eglot >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r examples/wor-321 "$tmp/wor-321"
# What `baton check` reports, one "path:line:rule" a line (lines from 0, as the test counts).
"$bin" check --format json --fail-on never --no-cache "$tmp/wor-321" \
  | python3 -c 'import json, sys
for d in json.load(sys.stdin)["diagnostics"]:
    print("%s:%d:%s" % (d["path"], d["range"]["start"]["line"], d["rule"]))' >"$tmp/expected.txt"
status=0
BATON_BIN="$bin" BATON_ROOT="$tmp/wor-321" BATON_EXPECTED="$tmp/expected.txt" \
  timeout 120 emacs --batch -l tests/emacs/eglot.el >"$tmp/out.txt" 2>"$tmp/emacs.log" || status=$?
cat "$tmp/out.txt"
if [ "$status" != 0 ] || ! grep -q "emacs eglot: ok" "$tmp/out.txt"; then
  tail -n 40 "$tmp/emacs.log" >&2
  exit 1
fi
