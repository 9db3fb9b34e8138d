// Verifies the SDK fixtures against their truth files. Usage: node check-fixtures.mjs
// PostHog: export v2 shape (version, numeric windowId first), page URLs (Meta href and $pageview
// custom events) = truth routes in order, rrweb clicks = truth clicks (position and time),
// custom events in the recording at their truth times, v1 export = v2 events; capture.jsonl
// holds the same $snapshot data. Sentry: segments parse, ids 0..n-1, one replay id,
// recording-segments.json = decoded segment files, routes (Meta href / navigation breadcrumbs)
// = truth routes, clicks (those not on blocked media), shop breadcrumbs at truth times.
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../record/lib.mjs';
import { segmentEvents } from './sentry-envelope.mjs';
import { snapshotLines } from './posthog-export.mjs';

const PH = path.join(REPO, 'tests', 'fixtures', 'posthog');
const SE = path.join(REPO, 'tests', 'fixtures', 'sentry');
let failures = 0;
const fail = (name, msg) => { failures++; console.log(`FAIL ${name}: ${msg}`); };
const collapse = (xs) => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);
const json = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));

function checkClicks(name, events, truth, skip = () => false) {
  const rc = events.filter((e) => e.type === 3 && e.data.source === 2 && e.data.type === 2);
  let matched = 0, skipped = 0;
  for (const c of truth.clicks) {
    const m = rc.find((e) => Math.abs(e.timestamp - c.t_ms) <= 100 && Math.abs(e.data.x - c.client_x) <= 1 && Math.abs(e.data.y - c.client_y) <= 1);
    if (m) matched++;
    else if (skip(c)) skipped++;
    else fail(name, `click ${c.target_selector} at ${c.t_ms} not in recording`);
  }
  if (rc.length !== matched) fail(name, `${rc.length} rrweb clicks, ${matched} matched`);
  return { matched, skipped };
}

for (const f of fs.readdirSync(PH).filter((x) => x.endsWith('.truth.json')).sort()) {
  const name = f.replace('.truth.json', '');
  const truth = json(path.join(PH, f));
  const v2 = json(path.join(PH, `${name}.export-v2.json`));
  if (v2.version !== '2023-04-28' || !v2.data || typeof v2.data.id !== 'string') fail(name, 'not an export v2');
  const s = v2.data.snapshots;
  if (!s.every((e) => Object.keys(e)[0] === 'windowId' && Number.isInteger(e.windowId))) fail(name, 'windowId not first / numeric');
  if (!s.every((e, i) => i === 0 || e.timestamp >= s[i - 1].timestamp)) fail(name, 'snapshots not sorted');
  const urls = collapse(s.filter((e) => e.type === 4 || (e.type === 5 && (e.data.tag === '$pageview' || e.data.tag === '$url_changed')))
    .map((e) => (e.type === 4 ? e.data.href : e.data.payload.href)));
  const want = truth.routes.map((r) => r.url);
  if (JSON.stringify(urls) !== JSON.stringify(want)) fail(name, `urls ${JSON.stringify(urls)} != routes ${JSON.stringify(want)}`);
  const { matched } = checkClicks(name, s, truth);
  let customs = 0;
  for (const c of truth.custom_events.filter((x) => x.in_recording)) {
    if (!s.some((e) => e.type === 5 && e.data.tag === c.name && e.timestamp === c.t_ms)) fail(name, `custom ${c.name} @${c.t_ms} missing`); else customs++;
  }
  const lines = fs.readFileSync(path.join(PH, `${name}.capture.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const flat = lines.flatMap((b) => (Array.isArray(b) ? b : b.batch || [b]));
  const nSnap = snapshotLines(flat).length;
  if (nSnap < s.length) fail(name, `capture has ${nSnap} rrweb events, export ${s.length}`);
  const v1f = path.join(PH, `${name}.export-v1.json`);
  if (fs.existsSync(v1f)) {
    const v1 = json(v1f);
    const ev1 = Object.values(v1.data.snapshotsByWindowId).flat();
    if (v1.version !== '2022-12-02' || ev1.length !== s.length) fail(name, `v1 has ${ev1.length} events, v2 ${s.length}`);
  }
  console.log(`ok   ${name}: ${s.length} events, ${urls.length} urls = routes, ${matched}/${truth.clicks.length} clicks, ${customs} custom events at truth times, ${lines.length} capture requests`);
}

for (const f of fs.readdirSync(SE).filter((x) => x.endsWith('.truth.json')).sort()) {
  const name = f.replace('.truth.json', '');
  const truth = json(path.join(SE, f));
  const dir = path.join(SE, name);
  const bins = fs.readdirSync(dir).filter((x) => /^segment-\d{4}\.bin$/.test(x)).sort();
  const segs = bins.map((b) => segmentEvents(fs.readFileSync(path.join(dir, b))));
  if (!segs.every((sg, i) => sg.segment_id === i)) fail(name, 'segment ids not 0..n-1');
  const api = json(path.join(dir, 'recording-segments.json'));
  if (JSON.stringify(api) !== JSON.stringify(segs.map((sg) => sg.events))) fail(name, 'recording-segments.json != decoded segments');
  const re = json(path.join(dir, 'replay-events.json'));
  if (new Set(re.map((r) => r.replay_event.replay_id)).size !== 1) fail(name, 'more than one replay id');
  const all = segs.flatMap((sg) => sg.events);
  const origin = new URL(truth.routes[0].url).origin;
  const urls = collapse(all.filter((e) => e.type === 4 || (e.type === 5 && e.data.tag === 'breadcrumb' && e.data.payload.category === 'navigation'))
    .map((e) => (e.type === 4 ? e.data.href : origin + e.data.payload.data.to)));
  const want = truth.routes.map((r) => r.url);
  if (JSON.stringify(urls) !== JSON.stringify(want)) fail(name, `urls ${JSON.stringify(urls)} != routes ${JSON.stringify(want)}`);
  // Sentry blocks media by default (clicks on img/svg are not recorded) and loses the events it has
  // not flushed yet when a page unloads (a click on a link that loads a new page within 1.5 s).
  const lostAtUnload = (c) => truth.page_loads.some((l) => l.loaded_at_ms > c.t_ms && l.loaded_at_ms - c.t_ms < 1500);
  const blocked = (c) => c.target_tag === 'img' || c.target_tag === 'svg' || c.target_tag === 'path';
  const { matched, skipped } = checkClicks(name, all, truth, (c) => blocked(c) || lostAtUnload(c));
  let customs = 0;
  for (const c of truth.custom_events) {
    if (!all.some((e) => e.type === 5 && e.data.tag === 'breadcrumb' && e.data.payload.category === 'shop' && e.data.payload.message === c.name && e.timestamp === c.t_ms)) fail(name, `breadcrumb ${c.name} missing`); else customs++;
  }
  console.log(`ok   ${name}: ${segs.length} segments (${segs.map((x) => x.compression).join(',')}), ${all.length} events, ${urls.length} urls = routes, ${matched}/${truth.clicks.length} clicks (${skipped} on blocked media or lost at page unload), ${customs} shop breadcrumbs at truth times`);
}
if (failures) { console.log(`${failures} failure(s)`); process.exit(1); }
