#!/usr/bin/env bash
# Distribution tests (issue #28, docs/distribution.md): the Python wheel built with maturin and
# installed into a fresh virtual environment with no Rust toolchain on PATH; `twine check` of the
# wheel and sdist; `cargo package`; the pre-commit hooks through the real pre-commit
# (try-repo refusing a bad staged file, then a real `git commit` refused and accepted); the GitHub Action's steps
# (scripts/action-local.sh) with SARIF validation; `cargo install --locked` from the checkout and
# from a git URL. Tools come from PyPI into target/dist-tools. Every build shares target/, so
# the wheel and `cargo install --path` reuse the release build; pre-commit's own install, the
# git-URL install and `cargo package`'s verification each compile the baton crate once more
# (dev profile, on target/debug's dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS
export CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$repo/target"
say() { printf 'test-dist: %s (%ss)\n' "$*" "$((SECONDS - started))"; }
fail() { printf 'test-dist: FAILED: %s\n' "$*" >&2; exit 1; }

tools=target/dist-tools
# Each tool must run, not only exist: a venv copied or reached from another checkout keeps
# scripts whose first line names that checkout's interpreter.
tool_runs() { "$tools/bin/$1" --version > /dev/null 2>&1; }
if ! tool_runs pre-commit || ! tool_runs maturin || ! tool_runs twine \
  || ! "$tools/bin/python" -c 'import jsonschema' 2>/dev/null; then
  python3 -m venv --clear "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
    maturin==1.9.4 pre-commit==4.3.0 twine==6.2.0 jsonschema==4.25.1
fi
python_bin=$("$tools/bin/python" -c 'import sys, os; print(os.path.realpath(sys.executable))')
# The SARIF 2.1.0 schema (scripts/test.sh fetches it) validates what the action uploads.
export BATON_SARIF_SCHEMA=${BATON_SARIF_SCHEMA:-$repo/target/test-deps/sarif-schema-2.1.0.json}
[ -s "$BATON_SARIF_SCHEMA" ] || fail "no SARIF schema at $BATON_SARIF_SCHEMA (scripts/test.sh fetches it)"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# 1. The wheel (maturin, bindings = "bin"), reusing target/release.
cargo build --release --locked --quiet --bin baton
rm -rf target/wheels
"$tools/bin/maturin" build --release --locked --out target/wheels > "$scratch/maturin.txt" 2>&1 \
  || { cat "$scratch/maturin.txt"; fail "maturin build"; }
"$tools/bin/maturin" sdist --out target/wheels > /dev/null 2>&1 || fail "maturin sdist"
wheel=$(ls target/wheels/baton_lsp-*.whl)
"$tools/bin/twine" check --strict target/wheels/*
say "wheel built and twine-checked: $(basename "$wheel")"

# 2. A fresh virtual environment, no Rust toolchain on PATH: pip install the wheel, run baton.
clean_path=/usr/local/bin:/usr/bin:/bin
env -i HOME="$scratch" PATH="$clean_path" "$python_bin" -m venv "$scratch/venv"
env -i HOME="$scratch" PATH="$clean_path" "$scratch/venv/bin/pip" install --quiet --no-index --disable-pip-version-check "$wheel"
status=0
env -i HOME="$scratch" PATH="$scratch/venv/bin:$clean_path" NO_COLOR=1 bash -c '
  if command -v cargo || command -v rustc; then echo "a Rust toolchain is on PATH" >&2; exit 3; fi
  [ "$(command -v baton)" = "$0/venv/bin/baton" ] || { echo "baton is not the venv'"'"'s" >&2; exit 3; }
  baton --version
  baton check examples/wor-321 > "$0/wor-321.txt"
' "$scratch" || status=$?
[ "$status" = 1 ] || fail "baton from the wheel: exit status $status (1 expected: wor-321 has errors)"
grep -q 'rls/prisma-outside-context' "$scratch/wor-321.txt" || fail "baton from the wheel did not report wor-321's findings"
say "wheel installed into a fresh venv without Rust; baton check examples/wor-321 exits 1 with its findings"

# 3. The GitHub Action's steps, installing from the wheel; the SARIF it writes validated.
BATON_PYTHON="$repo/$tools/bin/python" BATON_ACTION_EXIT_FILE="$scratch/action-exit" \
  bash scripts/action-local.sh examples/wor-321 "$repo/$wheel"
[ "$(cat "$scratch/action-exit")" = 1 ] || fail "the action's exit code for wor-321 is not 1"
say "action steps reproduced"

# 4. pre-commit: the hooks of .pre-commit-hooks.yaml from this repository at HEAD.
export PRE_COMMIT_HOME="$repo/target/pre-commit-home"
# pre-commit pip-installs the hook repository, i.e. maturin builds the baton crate from
# pre-commit's clone; a dev-profile build reuses target/debug's dependencies (CI only: users get
# the release profile).
export MATURIN_PEP517_ARGS="--profile dev"
hooks_repo=$repo
if [ -n "$(git status --porcelain -- .pre-commit-hooks.yaml pyproject.toml Cargo.toml Cargo.lock src queries docs schemas)" ]; then
  echo "test-dist: the working tree has uncommitted changes; pre-commit installs HEAD" >&2
fi
rev=$(git rev-parse HEAD)
project="$scratch/project"
mkdir -p "$project/lib/db" "$project/lib/services"
git_p() { git -C "$project" -c user.name=Test -c user.email=test@example.com -c init.defaultBranch=main "$@"; }
git_p init -q
printf '[rls]\nwrappers = ["withUserContext"]\n' > "$project/baton.toml"
printf "export async function withUserContext<T>(id: string, run: () => Promise<T>) { return run(); }\n" > "$project/lib/db/context.ts"
printf "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n" > "$project/lib/db/client.ts"
git_p add .
git_p commit -q --no-verify -m base
bad="import { prisma } from '../db/client';\nexport async function load(id: string) {\n  return prisma.user.findUnique({ where: { id } });\n}\n"
good="import { prisma } from '../db/client';\nimport { withUserContext } from '../db/context';\nexport async function load(id: string) {\n  return withUserContext(id, () => prisma.user.findUnique({ where: { id } }));\n}\n"
printf "$bad" > "$project/lib/services/users.ts"
git_p add lib/services/users.ts
status=0
(cd "$project" && NO_COLOR=1 "$repo/$tools/bin/pre-commit" try-repo "$hooks_repo" baton-check --ref "$rev" > "$scratch/try-bad.txt" 2>&1) || status=$?
[ "$status" = 1 ] || { cat "$scratch/try-bad.txt"; fail "pre-commit try-repo accepted a bad staged file (status $status)"; }
grep -q 'error\[rls/prisma-outside-context\]' "$scratch/try-bad.txt" || { cat "$scratch/try-bad.txt"; fail "no human report in try-repo's output"; }
grep -q -- '--> lib/services/users.ts:3:' "$scratch/try-bad.txt" || { cat "$scratch/try-bad.txt"; fail "the report does not point at the staged file"; }
say "pre-commit try-repo: a bad staged file refused with Baton's report"
# The same hooks installed as a project would: `git commit` refused, then accepted. (try-repo
# keeps no cache between runs, so the good file is tried here, where pre-commit's store keeps
# the hook environment: one build instead of two.)
printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: baton-check\n      - id: baton-handoff-verify\n' "$hooks_repo" "$rev" > "$project/.pre-commit-config.yaml"
git_p add .pre-commit-config.yaml
(cd "$project" && "$repo/$tools/bin/pre-commit" install > /dev/null)
printf "$bad" > "$project/lib/services/users.ts"
git_p add lib/services/users.ts
if (cd "$project" && NO_COLOR=1 git -c user.name=Test -c user.email=test@example.com commit -q -m bad > "$scratch/commit-bad.txt" 2>&1); then
  fail "git commit accepted a bad staged file"
fi
grep -q 'rls/prisma-outside-context' "$scratch/commit-bad.txt" || { cat "$scratch/commit-bad.txt"; fail "the refused commit did not show Baton's report"; }
printf "$good" > "$project/lib/services/users.ts"
git_p add lib/services/users.ts
(cd "$project" && git -c user.name=Test -c user.email=test@example.com commit -q -m good > "$scratch/commit-good.txt" 2>&1) \
  || { cat "$scratch/commit-good.txt"; fail "git commit refused a good staged file"; }
grep -q 'baton check.*Passed' "$scratch/commit-good.txt" || { cat "$scratch/commit-good.txt"; fail "the hook did not run on the good file"; }
say "pre-commit hook installed: git commit refused with the bad file, accepted with the good one"

# 5. cargo package: publishable, and builds from the packaged files alone.
cargo package --locked --allow-dirty --quiet > "$scratch/package.txt" 2>&1 || { cat "$scratch/package.txt"; fail "cargo package"; }
[ -s "target/package/baton-lsp-$(cargo pkgid | sed 's/.*[#@]//').crate" ] || fail "cargo package wrote no crate"
say "cargo package passed (verified build from the packaged files)"

# 6. cargo install --locked from the checkout (reuses target/release) and from a git URL.
cargo install --locked --quiet --path . --root "$scratch/cargo-path"
"$scratch/cargo-path/bin/baton" --version > /dev/null
git clone -q --no-local "$repo" "$scratch/clone"
# --debug: the git checkout is another package path, so the crate compiles again; the dev
# profile reuses target/debug's dependencies and is quicker.
cargo install --locked --quiet --debug --git "file://$scratch/clone" baton-lsp --root "$scratch/cargo-git"
"$scratch/cargo-git/bin/baton" rules > /dev/null
say "cargo install --locked from the checkout and from a git URL"
say "all distribution tests passed"
