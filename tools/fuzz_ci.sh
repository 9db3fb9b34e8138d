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
  cargo install cargo-fuzz --locked
fi
cargo fuzz --version

# The fuzz crate is its own workspace, so the root's `cargo fmt --all` does not see it.
cargo fmt --manifest-path fuzz/Cargo.toml -- --check

# Build once (all targets), then run each with the same flags the build used.
cargo fuzz build -s none
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  echo "--- fuzz $target for ${seconds}s"
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: the targets lower the readers'
  # memory limits (fuzz/fuzz_targets/common.rs), so 4 GiB is only reached by a real leak or bomb.
  set +e
  cargo fuzz run -s none "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 2>&1 |
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)'
  status="${PIPESTATUS[0]}"
  set -e
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $target failed (crash, timeout or out-of-memory, exit $status): see above" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a finding"
