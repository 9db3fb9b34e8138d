#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 60) from the committed seeds
# (fuzz/seeds/<target>/), one after the other, on stable Rust (`-s none`: no sanitizer, which
# would need nightly). Fails on the first crash, timeout or out-of-memory; libFuzzer then prints
# the input's path (fuzz/artifacts/<target>/...). Installs cargo-fuzz when it is missing.
# Usage: tools/fuzz_ci.sh [SECONDS]   (see docs/FUZZING.md)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
targets=(native_reader rrweb_importer bundle_reader load_bytes)

if ! cargo fuzz --version >/dev/null 2>&1; then
  # A debug build of the tool: it only drives the fuzz build and libFuzzer, and compiles in
  # about half the time of a release build.
  cargo install cargo-fuzz --locked --debug
fi
cargo fuzz --version

# The fuzz crate is its own workspace, so the root's `cargo fmt --all` does not see it.
cargo fmt --manifest-path fuzz/Cargo.toml -- --check

# Build once (all targets), then run them with the same flags the build used, as many at a time
# as there are cores (FUZZ_JOBS to override): each libFuzzer run is one process on one core.
cargo fuzz build -s none
jobs_max="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
logs="$(mktemp -d)"
failed=0
run_one() {
  local target="$1" corpus="fuzz/corpus/$1"
  mkdir -p "$corpus"
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: the targets lower the readers'
  # memory limits (fuzz/fuzz_targets/common.rs), so 4 GiB is only reached by a real leak or bomb.
  cargo fuzz run -s none "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    >"$logs/$target.log" 2>&1
  echo $? >"$logs/$target.status"
}
for ((i = 0; i < ${#targets[@]}; i += jobs_max)); do
  batch=("${targets[@]:i:jobs_max}")
  echo "--- fuzz ${batch[*]} for ${seconds}s"
  for target in "${batch[@]}"; do
    run_one "$target" &
  done
  wait
  for target in "${batch[@]}"; do
    echo "--- $target"
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$logs/$target.log" || true
    status="$(cat "$logs/$target.status")"
    if [ "$status" -ne 0 ]; then
      echo "fuzz target $target failed (crash, timeout or out-of-memory, exit $status): see above" >&2
      failed=1
    fi
  done
done
rm -rf "$logs"
if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a finding"
