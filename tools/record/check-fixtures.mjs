// Re-reads every tests/fixtures/rrweb/<name>.json + .truth.json and checks
// the recordings against the ground truth. Exit code 1 on any failure.
//   node check-fixtures.mjs [dir]
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './lib.mjs';

const dir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(REPO, 'tests', 'fixtures', 'rrweb');
const names = fs.readdirSync(dir).filter((f) => f.endsWith('.truth.json')).map((f) => f.replace(/\.truth\.json$/, '')).sort();
let failures = 0;
let total = 0;
const rows = [];

for (const name of names) {
  const file = path.join(dir, `${name}.json`);
  const size = fs.statSync(file).size;
  total += size + fs.statSync(path.join(dir, `${name}.truth.json`)).size;
  const ev = JSON.parse(fs.readFileSync(file, 'utf8'));
  const truth = JSON.parse(fs.readFileSync(path.join(dir, `${name}.truth.json`), 'utf8'));
  const problems = [];
  const fail = (m) => problems.push(m);

  if (!Array.isArray(ev) || !ev.length) fail('not a non-empty JSON array');
  for (let i = 1; i < ev.length; i++) if (ev[i].timestamp < ev[i - 1].timestamp - 5) { fail(`timestamp goes back at index ${i}`); break; }
  const metas = ev.filter((e) => e.type === 4);
  const fulls = ev.filter((e) => e.type === 2);
  const clicks = ev.filter((e) => e.type === 3 && e.data.source === 2 && e.data.type === 2);
  const touchStarts = ev.filter((e) => e.type === 3 && e.data.source === 2 && e.data.type === 7);
  const customs = ev.filter((e) => e.type === 5);
  const consoleErr = ev.filter((e) => e.type === 6 && e.data.plugin === 'rrweb/console@1' && e.data.payload.level === 'error');
  const scrolls = ev.filter((e) => e.type === 3 && e.data.source === 3);
  const moves = ev.filter((e) => e.type === 3 && (e.data.source === 1 || e.data.source === 6));
  if (ev[0] && ev[0].type !== 0 && ev[0].type !== 4) fail(`first event type ${ev[0].type}`);

  // every FullSnapshot directly preceded by a Meta
  ev.forEach((e, i) => { if (e.type === 2 && (i === 0 || ev[i - 1].type !== 4)) fail(`FullSnapshot at ${i} without Meta before it`); });

  // Meta hrefs vs page loads: each page load has a Meta with its href at/after its load time
  const loads = truth.page_loads;
  let mi = 0;
  for (const l of loads) {
    while (mi < metas.length && metas[mi].data.href !== l.url) mi++;
    if (mi >= metas.length) { fail(`no Meta for page load ${l.url}`); break; }
    if (Math.abs(metas[mi].timestamp - l.loaded_at_ms) > 2000) fail(`Meta for ${l.url} ${metas[mi].timestamp - l.loaded_at_ms} ms from load`);
    mi++;
  }
  for (const m of metas) if (!loads.some((l) => l.url === m.data.href)) fail(`Meta href ${m.data.href} matches no page load`);
  const checkouts = metas.length - loads.length;
  if (checkouts < 0) fail('fewer Meta events than page loads');

  // clicks
  const mouse = truth.device === 'desktop';
  if (mouse && clicks.length !== truth.clicks.length) fail(`rrweb clicks ${clicks.length} != truth clicks ${truth.clicks.length}`);
  if (mouse) {
    truth.clicks.forEach((c, i) => {
      const r = clicks[i];
      if (r && (Math.abs(r.timestamp - c.t_ms) > 50 || Math.abs(r.data.x - c.client_x) > 1 || Math.abs(r.data.y - c.client_y) > 1)) fail(`click ${i} differs: rrweb (${r.data.x},${r.data.y})@${r.timestamp} vs truth (${c.client_x},${c.client_y})@${c.t_ms}`);
    });
  }
  // custom events
  for (const c of truth.custom_events) {
    if (!customs.some((e) => e.data.tag === c.name && e.timestamp === c.t_ms)) fail(`custom event ${c.name}@${c.t_ms} missing`);
  }
  if (customs.length !== truth.custom_events.length) fail(`custom events ${customs.length} != truth ${truth.custom_events.length}`);
  if (truth.converted && !customs.some((e) => e.data.tag === 'purchase' && e.data.payload.value > 0 && e.data.payload.order_id)) fail('converted but no purchase event with value');
  // errors
  for (const e of truth.errors) if (!consoleErr.some((x) => Math.abs(x.timestamp - e.t_ms) < 100)) fail(`error ${e.message} not in console plugin events`);
  // planted inside recording
  const first = ev[0].timestamp, last = ev[ev.length - 1].timestamp;
  for (const p of truth.planted) if (p.start_ms < first || p.end_ms > last) fail(`planted ${p.kind} outside recording`);

  if (problems.length) { failures++; console.error(`✗ ${name}:\n   ${problems.join('\n   ')}`); }
  rows.push({
    name, device: truth.device, events: ev.length, kb: Math.round(size / 1024), dur_s: Math.round((last - first) / 1000), pages: loads.length,
    full: fulls.length, clicks: `${clicks.length}/${truth.clicks.length}`, touch: touchStarts.length, moves: moves.length, scrolls: scrolls.length,
    custom: customs.map((e) => e.data.tag).join(',') || '-', errors: consoleErr.length, planted: [...new Set(truth.planted.map((p) => p.kind))].join(',') || '-',
    conv: truth.converted ? 'yes' : 'no', ok: problems.length ? 'FAIL' : 'ok',
  });
}

const cols = Object.keys(rows[0] || {});
const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((r) => String(r[c]).length))]));
console.log(cols.map((c) => c.padEnd(width[c])).join(' | '));
console.log(cols.map((c) => '-'.repeat(width[c])).join('-|-'));
for (const r of rows) console.log(cols.map((c) => String(r[c]).padEnd(width[c])).join(' | '));
console.log(`\n${rows.length} recordings, ${(total / 1048576).toFixed(2)} MB (json + truth), ${failures} failing`);
console.log('clicks = rrweb MouseInteraction Click events / truth clicks (must match for desktop); full = FullSnapshots; touch = TouchStart events');
if (failures) process.exitCode = 1;
