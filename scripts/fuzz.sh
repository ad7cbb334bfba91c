#!/usr/bin/env bash
# Coverage-guided fuzzing of Baton with cargo-fuzz (libFuzzer) on the stable toolchain.
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#
# Builds the targets of fuzz/ (installing cargo-fuzz into target/test-deps/ if needed), then runs
# each TARGET (default: all) for SECONDS, starting from the committed corpus fuzz/corpus/TARGET
# plus seeds made from the examples (fuzz/seed.py). New inputs go to target/fuzz/corpus/TARGET,
# crashes to target/fuzz/artifacts/TARGET/; the script fails if any target found one.
# `cargo fuzz` needs nightly flags: RUSTC_BOOTSTRAP=1 lets the stable compiler accept them.
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(workspace config handoff lsp_frames edits); fi

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
