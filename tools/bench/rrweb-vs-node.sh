#!/usr/bin/env bash
# Import throughput on a large rrweb file, side by side with Node's JSON.parse on the same file.
# Usage: tools/bench/rrweb-vs-node.sh [TARGET_MB]   (default 200; needs node and a release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
target_mb="${1:-200}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
big="$work/big.rrweb.json"

# One JSON array made of the real recordings' events, repeated until the file reaches the target.
node - "$big" "$target_mb" <<'JS'
const fs = require('fs');
const [out, targetMb] = process.argv.slice(2);
const dir = 'tests/fixtures/rrweb';
const recordings = fs.readdirSync(dir).filter(f => f.endsWith('.json') && !f.endsWith('.truth.json')).sort()
  .map(f => fs.readFileSync(`${dir}/${f}`, 'utf8').trim().slice(1, -1));
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
size=$(stat -c %s "$big")
echo "file: $((size / 1000000)) MB of real rrweb events"

echo "node $(node --version) JSON.parse (read + parse), 3 runs:"
for _ in 1 2 3; do
  node -e '
    const fs = require("fs");
    const t0 = process.hrtime.bigint();
    const events = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`  ${ms.toFixed(0)} ms, ${(fs.statSync(process.argv[1]).size / 1e6 / (ms / 1000)).toFixed(0)} MB/s, ${events.length} events`);
  ' "$big"
done

bin=target/release/sessionlens
[ -x "$bin" ] || cargo build --release
echo "sessionlens convert (read + parse + convert to the model + validate + write native), 3 runs:"
for _ in 1 2 3; do
  start=$(date +%s%N)
  "$bin" convert "$big" --out "$work/out.session.json" > /dev/null 2>&1 || { echo "convert failed"; "$bin" convert "$big" --out "$work/out.session.json"; exit 1; }
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  echo "  ${ms} ms, $(( size / 1000 / (ms > 0 ? ms : 1) )) MB/s"
done
