#!/usr/bin/env bash
# Packages a platform-specific .vsix with the `baton` binary inside, as rust-analyzer and ruff do:
#   bash scripts/package-platform.sh TARGET BINARY [OUT]
# TARGET is a `vsce --target` name (linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64,
# alpine-x64, …) and BINARY the `baton` built for it (`cargo build --release --target …`). The
# binary is copied to bin/ (stripped when it is an ELF file and `strip` is there), packaged, and
# removed again. OUT defaults to baton-TARGET.vsix. `baton.path` and `baton` on PATH still
# override the bundled binary (src/binary.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: package-platform.sh TARGET BINARY [OUT]}
binary=${2:?usage: package-platform.sh TARGET BINARY [OUT]}
out=${3:-baton-$target.vsix}
[ -x "$binary" ] || { echo "not an executable: $binary" >&2; exit 2; }
exe=baton
case "$target" in win32-*) exe=baton.exe ;; esac
rm -rf bin && mkdir -p bin
trap 'rm -rf bin' EXIT
cp "$binary" "bin/$exe"
if command -v strip >/dev/null && head -c 4 "bin/$exe" | grep -q 'ELF'; then
  strip "bin/$exe" 2>/dev/null || true
fi
chmod 755 "bin/$exe"
npx --no-install vsce package --no-dependencies --target "$target" --out "$out"
