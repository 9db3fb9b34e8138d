#!/usr/bin/env bash
# Regenerates the fuzz targets' seed inputs, fuzz/seeds/<target>/, from the real rrweb recordings
# in tests/fixtures/rrweb/ (see examples/fuzz_seeds.rs for what is written, and docs/FUZZING.md).
# Usage: tools/fuzz_seeds.sh [extra cargo args, e.g. --no-default-features]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet "$@" --example fuzz_seeds -- tests/fixtures/rrweb fuzz/seeds
du -sh fuzz/seeds
