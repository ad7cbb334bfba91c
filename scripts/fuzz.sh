#!/usr/bin/env bash
# Coverage-guided fuzzing of Baton with cargo-fuzz (libFuzzer) on the stable toolchain.
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#   scripts/fuzz.sh merge [TARGET...]
#
# Builds the targets of fuzz/ (installing cargo-fuzz into target/test-deps/ if needed), then runs
# each TARGET (default: all) for SECONDS, starting from the committed corpus fuzz/corpus/TARGET
# plus seeds made from the examples (fuzz/seed.py). New inputs go to target/fuzz/corpus/TARGET,
# crashes to target/fuzz/artifacts/TARGET/; the script fails if any target found one.
# `merge` replaces fuzz/corpus/TARGET with a minimised corpus of what the long runs found (libFuzzer
# -merge=1 over target/fuzz/corpus/TARGET and the committed corpus; at most $CORPUS_CAP inputs,
# spread over the sizes, so the repository and the test suite's replay stay small).
# `cargo fuzz` needs nightly flags: RUSTC_BOOTSTRAP=1 lets the stable compiler accept them.
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
mode=${1:?usage: scripts/fuzz.sh SECONDS|merge [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(workspace config handoff lsp_frames lsp_resync edits); fi

tools="$repo/target/test-deps/cargo-fuzz"
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
  echo "fuzz: installing cargo-fuzz into $tools"
  cargo install --quiet --locked cargo-fuzz --version 0.13.2 --root "$tools"
fi
export PATH="$tools/bin:$PATH"
export RUSTC_BOOTSTRAP=1
# The fuzz crate has its own target directory under the repository's.
export CARGO_TARGET_DIR="$repo/target/fuzz/build"
(cd fuzz && cargo fuzz build --release --sanitizer none)
bin="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"

work="$repo/target/fuzz"
CORPUS_CAP=${CORPUS_CAP:-200}
if [ "$mode" = merge ]; then
  for target in "${targets[@]}"; do
    merged="$work/merged/$target"
    rm -rf "$merged" && mkdir -p "$merged" "fuzz/corpus/$target" "$work/corpus/$target"
    # Edge coverage only (no hit counters): the smallest set that reaches every edge reached.
    RAYON_NUM_THREADS=1 "$bin/$target" -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 "$merged" \
      "fuzz/corpus/$target" "$work/corpus/$target" > "$work/$target.merge.log" 2>&1
    rm -rf "fuzz/corpus/$target" && mkdir -p "fuzz/corpus/$target"
    # At most CORPUS_CAP of them, evenly spread from the smallest to the largest.
    mapfile -t names < <(ls -S -r "$merged")
    count=${#names[@]}
    step=$(( (count + CORPUS_CAP - 1) / CORPUS_CAP ))
    for ((i = 0; i < count; i += step > 0 ? step : 1)); do cp "$merged/${names[$i]}" "fuzz/corpus/$target/"; done
    echo "fuzz: $target corpus: $(ls "$merged" | wc -l) inputs after merging, $(ls "fuzz/corpus/$target" | wc -l) kept"
  done
  exit 0
fi
seconds=$mode
python3 fuzz/seed.py "$work/seeds" > /dev/null
failed=0
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  artifacts="$work/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: $target for ${seconds}s"
  # One thread for the analysis' parallel parts: the fuzzer measures one input at a time.
  inputs=("$corpus")
  for dir in "fuzz/corpus/$target" "fuzz/regressions/$target" "$work/seeds/$target"; do
    if [ -d "$dir" ]; then inputs+=("$dir"); fi
  done
  if ! RAYON_NUM_THREADS=1 "$bin/$target" "${inputs[@]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 > "$work/$target.log" 2>&1; then
    echo "fuzz: $target FOUND A CRASH; input and log:" >&2
    ls "$artifacts" >&2
    grep -E -A5 "panicked|ERROR" "$work/$target.log" | head -30 >&2
    failed=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | tr '\n' ' '
    echo
  fi
done
exit $failed
