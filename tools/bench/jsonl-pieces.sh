#!/usr/bin/env bash
# Peak memory of importing JSON Lines files of many sessions, read in pieces (one group of
# sessions at a time): files of each given size made from the real recordings by
# tools/bench/jsonl-sessions.js, each imported into a new library under /usr/bin/time -v.
# Usage: tools/bench/jsonl-pieces.sh [MB...]   (default 200 2000; needs node, GNU time and a
# release build: `cargo build --release --no-default-features`; SESSIONLENS_BIN overrides it)
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200 2000)
bin="${SESSIONLENS_BIN:-target/release/sessionlens}"
[ -x "$bin" ] || cargo build --release --no-default-features
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for mb in "${sizes[@]}"; do
  file="$work/sessions-$mb.jsonl"
  node tools/bench/jsonl-sessions.js "$file" "$mb"
  sync # the file written out before timing (see rrweb-vs-node.sh)
  size=$(stat -c %s "$file")
  /usr/bin/time -v "$bin" --library "$work/lib-$mb.sqlite" import "$file" > "$work/out.txt" 2> "$work/time.txt" \
    || { cat "$work/time.txt"; exit 1; }
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
  kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  echo "$((size / 1000000)) MB: $(tail -1 "$work/out.txt"); wall $wall, peak $((kb / 1024)) MiB ($(awk -v k="$kb" -v s="$size" 'BEGIN { printf "%.3f", k * 1024 / s }') x the file)"
  rm -f "$file" "$work/lib-$mb.sqlite"*
done
