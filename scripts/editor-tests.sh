#!/usr/bin/env bash
# The editor-client tests that are not cargo tests (scripts/test.sh runs this after them):
#   1. the fast tier: `baton lsp` through vscode-languageserver-protocol (node --test);
#      Emacs with eglot, headless (scripts/emacs-test.sh);
#   2. the VS Code extension built and packaged as a .vsix;
#   3. VS Code's real UI: code-server with the .vsix, driven by Debian's Chromium (playwright-core);
#      the platform .vsix (binary inside) with no `baton` on PATH (tests/vscode/platform.mjs);
#      then Restricted Mode (tests/vscode/untrusted.mjs).
# Everything is installed under target/test-deps/ and reused while its inputs are unchanged.
# BATON_BIN: the server binary (default target/debug/baton, which `cargo test` builds).
# BATON_SKIP_VSCODE_UI=1 skips step 3; BATON_SKIP_EMACS=1 the Emacs test (scripts/emacs-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
deps="$repo/target/test-deps"
bin="${BATON_BIN:-$repo/target/debug/baton}"
mkdir -p "$deps"
[ -x "$bin" ] || cargo build --locked --quiet --bin baton

# npm, quietly: its log is shown only when it fails.
npmq() {
  local log="$deps/npm-last.log"
  if ! npm "$@" --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    cat "$log" >&2
    return 1
  fi
}
digest() { sha256sum "$@" | sha256sum | cut -c1-16; }

# --- the test harness's node modules (pinned by tests/vscode/package-lock.json)
harness="$deps/editor-tests"
want=$(digest tests/vscode/package.json tests/vscode/package-lock.json)
if [ "$(cat "$harness/.stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$harness" && mkdir -p "$harness"
  cp tests/vscode/package.json tests/vscode/package-lock.json "$harness/"
  (cd "$harness" && npmq ci)
  echo "$want" >"$harness/.stamp"
fi
# Node resolves the tests' imports through tests/vscode/node_modules: point it at the install
# (unless a developer ran npm install there).
if [ -L tests/vscode/node_modules ] || [ ! -e tests/vscode/node_modules ]; then
  ln -sfn "$harness/node_modules" tests/vscode/node_modules
fi

# --- 1. fast tier
BATON_BIN="$bin" node --test --test-reporter=dot tests/vscode/lsp.test.mjs

# --- 2. the extension, built from a copy of editors/vscode (rebuilt when a source file changes)
ext="$deps/vscode-ext"
mkdir -p "$ext"
sources=$(find editors/vscode -type f -not -path '*/node_modules/*' -not -path '*/dist/*' -not -path '*/bin/*' -not -name '*.vsix' | sort)
want=$(digest $sources)
if [ "$(cat "$ext/.stamp" 2>/dev/null)" != "$want" ] || [ ! -s "$ext/baton.vsix" ]; then
  (cd editors/vscode && tar cf - --exclude=./node_modules --exclude=./dist --exclude=./bin --exclude='*.vsix' .) | (cd "$ext" && tar xf -)
  lock=$(digest "$ext/package-lock.json")
  if [ "$(cat "$ext/.lock-stamp" 2>/dev/null)" != "$lock" ]; then
    (cd "$ext" && npmq ci)
    echo "$lock" >"$ext/.lock-stamp"
  fi
  rm -f "$ext/baton.vsix"
  (cd "$ext" && npmq run package) # vsce runs `vscode:prepublish` = the type check and the esbuild bundle
  echo "$want" >"$ext/.stamp"
fi
test -s "$ext/baton.vsix"
# The platform package with the server inside (vsce --target linux-x64), rebuilt when the
# extension or the binary changed.
platform="$ext/baton-linux-x64.vsix"
want_platform="$(cat "$ext/.stamp")-$(digest "$bin")"
if [ "$(cat "$ext/.platform-stamp" 2>/dev/null)" != "$want_platform" ] || [ ! -s "$platform" ]; then
  rm -f "$platform"
  (cd "$ext" && bash scripts/package-platform.sh linux-x64 "$bin" baton-linux-x64.vsix >/dev/null)
  echo "$want_platform" >"$ext/.platform-stamp"
fi
python3 -c 'import sys, zipfile; sys.exit("extension/bin/baton" not in zipfile.ZipFile(sys.argv[1]).namelist())' "$platform" \
  || { echo "the platform .vsix has no bin/baton" >&2; exit 1; }

# --- Emacs + eglot (Debian's), headless: WOR-321's diagnostics reach Flymake.
[ "${BATON_SKIP_EMACS:-}" = 1 ] || BATON_BIN="$bin" bash scripts/emacs-test.sh

[ "${BATON_SKIP_VSCODE_UI:-}" = 1 ] && exit 0

# --- 3. code-server 4.100.3 (the newest on node 20) and Debian's Chromium, ripgrep and Kerberos headers
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "warning: ${missing[*]} missing and not root: skipping the VS Code UI test" >&2
    exit 0
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1
fi

cs="$deps/code-server-4.100.3"
if [ ! -f "$cs/.ok" ]; then
  rm -rf "$cs" && mkdir -p "$cs"
  echo '{"private": true}' >"$cs/package.json"
  export npm_config_unsafe_perm=true npm_config_yes=true
  # Its install script would download ripgrep from GitHub: install without scripts, then do
  # what the script does by hand.
  (cd "$cs" && npmq install --ignore-scripts code-server@4.100.3 && npmq rebuild argon2)
  vs="$cs/node_modules/code-server/lib/vscode"
  (cd "$vs" && npmq install --omit=dev --ignore-scripts)
  (cd "$vs" && npmq rebuild kerberos @vscode/spdlog native-watchdog node-pty @vscode/deviceid)
  ln -sfn node_modules "$vs/node_modules.asar"
  mkdir -p "$vs/node_modules/@vscode/ripgrep/bin"
  ln -sf "$(command -v rg)" "$vs/node_modules/@vscode/ripgrep/bin/rg"
  touch "$cs/.ok"
fi

CODE_SERVER="$cs/node_modules/code-server" BATON_VSIX="$ext/baton.vsix" BATON_BIN="$bin" \
  BATON_ARTIFACTS="$repo/target/test-artifacts/vscode" node tests/vscode/ui.mjs
# The platform .vsix on a machine with no `baton` on PATH and no `baton.path`: the bundled
# binary runs (issue #27).
CODE_SERVER="$cs/node_modules/code-server" BATON_VSIX="$platform" \
  BATON_ARTIFACTS="$repo/target/test-artifacts/vscode" node tests/vscode/platform.mjs
# Restricted Mode: a folder's own `baton.path` program never starts (issue #26).
CODE_SERVER="$cs/node_modules/code-server" BATON_VSIX="$ext/baton.vsix" BATON_BIN="$bin" \
  BATON_ARTIFACTS="$repo/target/test-artifacts/vscode" node tests/vscode/untrusted.mjs
