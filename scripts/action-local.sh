#!/usr/bin/env bash
# Runs the steps of action.yml on this machine, as GitHub would, in a scratch copy of a
# workspace: install (from a wheel, a PyPI version, or this checkout with cargo), `baton check`
# writing SARIF and annotations, and the outputs. The upload step (github/codeql-action) needs
# GitHub; this script checks instead that the file it would upload is SARIF 2.1.0 valid against
# the schema (BATON_SARIF_SCHEMA) when a Python with `jsonschema` is given (BATON_PYTHON).
#
#   scripts/action-local.sh WORKSPACE [VERSION|WHEEL]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
workspace=${1:?usage: action-local.sh WORKSPACE [VERSION|WHEEL]}
version=${2:-}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export RUNNER_TEMP="$scratch/runner-temp" GITHUB_PATH="$scratch/github-path" GITHUB_OUTPUT="$scratch/github-output"
mkdir -p "$RUNNER_TEMP" "$scratch/work"
: > "$GITHUB_PATH"
: > "$GITHUB_OUTPUT"
cp -R "$workspace/." "$scratch/work/"

# Step 1: Install Baton.
BATON_VERSION=$version BATON_ACTION_PATH=$repo bash "$repo/scripts/action-steps.sh" install
while read -r dir; do PATH="$dir:$PATH"; done < "$GITHUB_PATH"
export PATH
command -v baton > /dev/null

# Step 2: Run baton check (inputs as the action passes them).
(
  cd "$scratch/work"
  BATON_PATHS=. BATON_FAIL_ON=error BATON_CHANGED_SINCE= BATON_ANNOTATIONS=true \
    BATON_SARIF_FILE=baton.sarif BATON_ACTION_PATH=$repo \
    bash "$repo/scripts/action-steps.sh" check > "$scratch/annotations.txt"
)
sarif=$(sed -n 's/^sarif-file=//p' "$GITHUB_OUTPUT")
exit_code=$(sed -n 's/^exit-code=//p' "$GITHUB_OUTPUT")
echo "action outputs: sarif-file=$sarif exit-code=$exit_code"
[ -n "$sarif" ] && [ -s "$scratch/work/$sarif" ] || { echo "no SARIF written" >&2; exit 1; }
grep -q '^::error file=' "$scratch/annotations.txt" || { echo "no annotations printed" >&2; exit 1; }

# Step 3: what upload-sarif would receive.
if [ -n "${BATON_PYTHON:-}" ] && [ -n "${BATON_SARIF_SCHEMA:-}" ]; then
  "$BATON_PYTHON" - "$BATON_SARIF_SCHEMA" "$scratch/work/$sarif" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
validator = jsonschema.validators.validator_for(schema)(schema)
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
for e in errors[:10]:
    print("SARIF schema error:", e.message, "at", list(e.path), file=sys.stderr)
assert not errors, f"{len(errors)} schema errors"
results = log["runs"][0]["results"]
assert results, "the example has findings; the SARIF has none"
print(f"SARIF valid against the 2.1.0 schema: {len(results)} results")
PY
fi

# Step 4: the action fails the job with baton's exit status.
echo "the action's last step would exit with status $exit_code"
echo "$exit_code" > "${BATON_ACTION_EXIT_FILE:-/dev/null}"
