// Writes a JSON Lines file of many sessions made from the real rrweb recordings in
// tests/fixtures/rrweb, as an ingest log or a month's export holds them: one line per batch of
// up to 100 events (`{"$session_id", "window_id", "data": [events]}`), the lines of four
// visits at a time interleaved, each visit a recording under its own session id, shifted by a
// minute from the one before. Usage: node tools/bench/jsonl-sessions.js OUT TARGET_MB
const fs = require('fs');
const [out, targetMb] = process.argv.slice(2);
const dir = 'tests/fixtures/rrweb';
const recordings = fs.readdirSync(dir)
  .filter(f => f.endsWith('.json') && !f.endsWith('.truth.json'))
  .sort()
  .map(f => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8')));
const BATCH = 100;
const CONCURRENT = 4;
const fd = fs.openSync(out, 'w');
let bytes = 0;
let next = 0;
const active = [];
const start = k => {
  const events = recordings[k % recordings.length];
  const shift = k * 60000 - events[0].timestamp + Date.UTC(2026, 10, 1);
  return { k, events, at: 0, shift };
};
let pending = [];
const flush = () => {
  const text = pending.join('');
  fs.writeSync(fd, text);
  bytes += Buffer.byteLength(text);
  pending = [];
};
while (bytes < targetMb * 1e6 || active.length > 0) {
  while (active.length < CONCURRENT && bytes < targetMb * 1e6) active.push(start(next++));
  for (let i = 0; i < active.length; i++) {
    const visit = active[i];
    const batch = visit.events.slice(visit.at, visit.at + BATCH)
      .map(e => Object.assign({}, e, { timestamp: e.timestamp + visit.shift }));
    visit.at += BATCH;
    const id = `gen-${String(visit.k).padStart(6, '0')}`;
    pending.push(JSON.stringify({ $session_id: id, window_id: `${id}-w`, data: batch }) + '\n');
  }
  for (let i = active.length - 1; i >= 0; i--) {
    if (active[i].at >= active[i].events.length) active.splice(i, 1);
  }
  if (pending.length >= 64) flush();
}
flush();
fs.closeSync(fd);
console.error(`${next} sessions, ${(bytes / 1e6).toFixed(0)} MB`);
