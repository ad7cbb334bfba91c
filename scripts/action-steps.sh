#!/usr/bin/env bash
# The steps of action.yml, as one script so that they can run outside GitHub too
# (scripts/action-local.sh). Inputs come as BATON_* variables; results go where GitHub expects
# them ($GITHUB_PATH, $GITHUB_OUTPUT).
#
#   action-steps.sh install   BATON_VERSION: empty = cargo install this checkout (--locked);
#                             a version = baton-lsp==VERSION from PyPI; a path to a .whl = that
#                             wheel. Installs under $RUNNER_TEMP and puts it on $GITHUB_PATH.
#   action-steps.sh check     runs `baton check` (BATON_PATHS, BATON_FAIL_ON, BATON_CHANGED_SINCE)
#                             writing SARIF to BATON_SARIF_FILE, prints annotations (or the human
#                             report), and sets the outputs sarif-file and exit-code.
set -euo pipefail

step=${1:?usage: action-steps.sh install|check}
: "${RUNNER_TEMP:?RUNNER_TEMP is not set}" "${GITHUB_PATH:?GITHUB_PATH is not set}"

case "$step" in
  install)
    action_path=${BATON_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
    version=${BATON_VERSION:-}
    if [ -z "$version" ]; then
      cargo install --locked --quiet --path "$action_path" --root "$RUNNER_TEMP/baton"
      echo "$RUNNER_TEMP/baton/bin" >> "$GITHUB_PATH"
    else
      python3 -m venv "$RUNNER_TEMP/baton-venv"
      if [[ "$version" == *.whl ]]; then
        package=$version
      else
        package="baton-lsp==$version"
      fi
      "$RUNNER_TEMP/baton-venv/bin/python" -m pip install --quiet --disable-pip-version-check "$package"
      echo "$RUNNER_TEMP/baton-venv/bin" >> "$GITHUB_PATH"
    fi
    ;;
  check)
    : "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
    read -r -a paths <<< "${BATON_PATHS:-.}"
    [ "${#paths[@]}" -gt 0 ] || paths=(.)
    args=(check "${paths[@]}" --fail-on "${BATON_FAIL_ON:-error}")
    if [ -n "${BATON_CHANGED_SINCE:-}" ]; then
      args+=(--changed-since "$BATON_CHANGED_SINCE")
    fi
    sarif=${BATON_SARIF_FILE:-baton.sarif}
    status=0
    baton "${args[@]}" --format sarif > "$sarif" || status=$?
    # The second run reads the analysis cache the first one wrote: it costs little.
    if [ "${BATON_ANNOTATIONS:-true}" = true ]; then
      baton "${args[@]}" --format github || true
    else
      baton "${args[@]}" --format human || true
    fi
    if [ "$status" -le 1 ] && [ -s "$sarif" ]; then
      echo "sarif-file=$sarif" >> "$GITHUB_OUTPUT"
    else
      echo "sarif-file=" >> "$GITHUB_OUTPUT"
    fi
    echo "exit-code=$status" >> "$GITHUB_OUTPUT"
    ;;
  *)
    echo "action-steps.sh: unknown step $step" >&2
    exit 2
    ;;
esac
