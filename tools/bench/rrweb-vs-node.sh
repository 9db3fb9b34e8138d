#!/usr/bin/env bash
# Import throughput on a large rrweb file, side by side with Node's JSON.parse on the same file:
# node (read + parse), `sessionlens convert`, and `sessionlens import` into a new library, each
# with its peak memory (maximum resident set size from /usr/bin/time -v); then the import of
# the same events in a wrapper object and gzip-compressed.
# Usage: tools/bench/rrweb-vs-node.sh [TARGET_MB] [RUNS]   (default 200 MB, 3 runs; needs node,
# GNU time and a release build: `cargo build --release --no-default-features` is enough)
set -euo pipefail
cd "$(dirname "$0")/../.."
target_mb="${1:-200}"
runs="${2:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
big="$work/big.rrweb.json"

# One JSON array made of the real recordings' events, repeated until the file reaches the target.
node - "$big" "$target_mb" <<'JS'
const fs = require('fs');
const [out, targetMb] = process.argv.slice(2);
const dir = 'tests/fixtures/rrweb';
// One session may span at most 7 days (the import's limit): recordings made within 6 days of the
// earliest one (the 19 of the first recording run; later ones were made days after).
const all = fs.readdirSync(dir).filter(f => f.endsWith('.json') && !f.endsWith('.truth.json')).sort()
  .map(f => fs.readFileSync(`${dir}/${f}`, 'utf8'));
const start = text => Math.min(...JSON.parse(text).map(e => e.timestamp));
const earliest = Math.min(...all.map(start));
const recordings = all.filter(text => start(text) - earliest < 6 * 86400e3)
  .map(text => text.trim().slice(1, -1));
console.error(`${recordings.length} of ${all.length} recordings`);
const fd = fs.openSync(out, 'w');
let bytes = 0, first = true;
fs.writeSync(fd, '[');
while (bytes < targetMb * 1e6) {
  for (const body of recordings) {
    fs.writeSync(fd, (first ? '' : ',') + body);
    bytes += body.length + 1;
    first = false;
  }
}
fs.writeSync(fd, ']');
fs.closeSync(fd);
JS
# Written out before timing: otherwise the first fsync of each import (ext4 commits its journal
# with the file's dirty pages) writes the 200 MB file too.
sync
size=$(stat -c %s "$big")
echo "file: $((size / 1000000)) MB of real rrweb events"

# `/usr/bin/time -v` prints the wall clock as [h:]mm:ss.cc and the peak RSS in KiB.
timed() {
  /usr/bin/time -v "$@" > /dev/null 2> "$work/time.txt" || { cat "$work/time.txt"; echo "failed: $*"; exit 1; }
  local wall kb
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
  kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  local ms
  ms=$(awk -v w="$wall" 'BEGIN { n = split(w, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%d", s * 1000 }')
  echo "  ${ms} ms, $(( size / 1000 / (ms > 0 ? ms : 1) )) MB/s, peak $(( kb / 1024 )) MiB ($(awk -v k="$kb" -v s="$size" 'BEGIN { printf "%.2f", k * 1024 / s }') x the file)"
}

echo "node $(node --version) JSON.parse (read + parse), $runs runs:"
for _ in $(seq "$runs"); do
  node -e '
    const fs = require("fs");
    const t0 = process.hrtime.bigint();
    const events = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`  ${ms.toFixed(0)} ms, ${(fs.statSync(process.argv[1]).size / 1e6 / (ms / 1000)).toFixed(0)} MB/s, ${events.length} events`);
  ' "$big"
done
echo "node, the same under /usr/bin/time -v (process start included, for its peak memory):"
timed node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$big"

bin="${SESSIONLENS_BIN:-target/release/sessionlens}"
[ -x "$bin" ] || cargo build --release --no-default-features
echo "sessionlens convert (read + parse + convert to the model + validate + write native), $runs runs:"
for _ in $(seq "$runs"); do
  rm -f "$work/out.session.json"
  timed "$bin" convert "$big" --out "$work/out.session.json"
done
echo "sessionlens import into a new library (read + parse + convert + signals + SQLite), $runs runs:"
for i in $(seq "$runs"); do
  timed "$bin" --library "$work/lib-$i.sqlite" import "$big"
  rm -f "$work/lib-$i.sqlite"*
done

# The same events in the other shapes that stream: a wrapper object (read through a hollow
# copy), and the array and the wrapper gzip-compressed (inflated into a temporary file).
wrapped="$work/wrapped.json"
{ printf '{"sessionId":"big","events":'; cat "$big"; printf '}'; } > "$wrapped"
gzip -1 -c "$big" > "$big.gz"
gzip -1 -c "$wrapped" > "$wrapped.gz"
sync
for file in "$wrapped" "$big.gz" "$wrapped.gz"; do
  size=$(stat -c %s "$file")
  echo "sessionlens import of $(basename "$file") ($((size / 1000000)) MB), $runs runs:"
  for i in $(seq "$runs"); do
    timed "$bin" --library "$work/lib-$i.sqlite" import "$file"
    rm -f "$work/lib-$i.sqlite"*
  done
done
