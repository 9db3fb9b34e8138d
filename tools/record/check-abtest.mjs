// Checks the recorded A/B test in tests/fixtures/abtest/ against its summary truth.json.
//   node check-abtest.mjs [dir]
// Per recording: the product page is loaded once with ?exp=<variant> (Meta href), the Custom
// event `experiment` {experiment, variant} is there with the right variant, converted and the
// product-page click count match the recording. Across recordings: a structural signature
// of the product page's FullSnapshot (tags and classes; ids, other attributes and text left
// out; runs of identical siblings collapsed) is the same for every visit of a variant and
// differs between A and B, while the raw snapshots carry per-visit content (random `rec-` ids,
// 2-4 recently viewed items). Exit code 1 on any failure.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { REPO } from './lib.mjs';

const dir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(REPO, 'tests', 'fixtures', 'abtest');
const summary = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8'));
const problems = [];
const fail = (m) => problems.push(m);

/** Structure of an rrweb serialized node: tag + classes; text, comments and ids dropped. */
function shape(n) {
  if (n.type === 0) return `#doc[${kids(n)}]`;
  if (n.type !== 2) return null; // text, CDATA, comment, doctype
  const cls = (n.attributes && typeof n.attributes.class === 'string') ? n.attributes.class.split(/\s+/).filter(Boolean).sort().join('.') : '';
  return `${n.tagName}${cls ? '.' + cls : ''}[${kids(n)}]`;
}
function kids(n) {
  const out = [];
  for (const c of n.childNodes || []) {
    const s = shape(c);
    if (s !== null && s !== out[out.length - 1]) out.push(s); // collapse runs of identical siblings
  }
  return out.join(',');
}
const hash = (s) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 16);
function find(n, pred, acc = []) {
  if (pred(n)) acc.push(n);
  for (const c of n.childNodes || []) find(c, pred, acc);
  return acc;
}
const hasClass = (n, c) => n.type === 2 && typeof n.attributes?.class === 'string' && n.attributes.class.split(/\s+/).includes(c);

const sigs = { A: new Set(), B: new Set() };
const recIds = new Set();
const recentLengths = new Set();
const rows = [];
for (const r of summary.recordings) {
  const name = r.file.replace(/\.json$/, '');
  const ev = JSON.parse(fs.readFileSync(path.join(dir, r.file), 'utf8'));
  const truth = JSON.parse(fs.readFileSync(path.join(dir, `${name}.truth.json`), 'utf8'));
  const url = new URL(r.product_page_url);
  if (url.pathname !== summary.product_page) fail(`${name}: product URL ${r.product_page_url}`);
  if (url.searchParams.get('exp') !== r.variant) fail(`${name}: URL ${r.product_page_url} does not carry exp=${r.variant}`);
  const metaIdx = ev.flatMap((e, i) => (e.type === 4 && e.data.href === r.product_page_url ? [i] : []));
  if (metaIdx.length !== 1) fail(`${name}: ${metaIdx.length} Meta events for the product page (want 1)`);
  const full = ev[metaIdx[0] + 1];
  if (!full || full.type !== 2) { fail(`${name}: no FullSnapshot after the product page Meta`); continue; }
  // experiment event: once, after the product page's FullSnapshot, right variant
  const exps = ev.filter((e) => e.type === 5 && e.data.tag === summary.custom_event.tag);
  if (exps.length !== 1) fail(`${name}: ${exps.length} "${summary.custom_event.tag}" events (want 1)`);
  for (const e of exps) {
    const p = e.data.payload || {};
    if (p.experiment !== summary.experiment || p.variant !== r.variant || Object.keys(p).length !== 2) fail(`${name}: experiment payload ${JSON.stringify(p)}`);
    if (e.timestamp < full.timestamp) fail(`${name}: experiment event before the product page FullSnapshot`);
  }
  if (truth.converted !== r.converted) fail(`${name}: converted ${truth.converted} vs summary ${r.converted}`);
  const conv = ev.some((e) => e.type === 5 && e.data.tag === 'purchase');
  if (conv !== r.converted) fail(`${name}: purchase event ${conv} vs converted ${r.converted}`);
  const clicks = truth.clicks.filter((c) => c.url === r.product_page_url).length;
  if (clicks !== r.product_page_clicks) fail(`${name}: ${clicks} product-page clicks vs summary ${r.product_page_clicks}`);
  // structure
  const root = full.data.node;
  const sig = hash(shape(root));
  sigs[r.variant].add(sig);
  const panel = find(root, (n) => n.type === 2 && n.attributes?.id === 'buy-panel').length;
  const trust = find(root, (n) => n.type === 2 && n.attributes?.id === 'trust-box').length;
  if ((r.variant === 'B') !== (panel === 1 && trust === 1)) fail(`${name}: variant ${r.variant} but #buy-panel x${panel}, #trust-box x${trust}`);
  const viewers = find(root, (n) => hasClass(n, 'exp-viewers'));
  if (viewers.length !== 1 || !/^rec-[a-z0-9]+$/.test(viewers[0].attributes.id || '')) fail(`${name}: no viewers line with a rec- id`);
  else recIds.add(viewers[0].attributes.id);
  const recent = find(root, (n) => hasClass(n, 'exp-recent-item')).length;
  if (recent < 2 || recent > 4) fail(`${name}: ${recent} recently viewed items`);
  recentLengths.add(recent);
  const kb = Math.round(fs.statSync(path.join(dir, r.file)).size / 1024);
  if (kb > 3072) fail(`${name}: ${kb} KB (over 3 MB)`);
  rows.push(`${name.padEnd(30)} ${r.variant}  sig=${sig}  recent=${recent}  clicks=${String(clicks).padStart(2)}  converted=${r.converted ? 'yes' : 'no '}  ${kb} KB`);
}
if (sigs.A.size !== 1) fail(`variant A has ${sigs.A.size} structural signatures (want 1)`);
if (sigs.B.size !== 1) fail(`variant B has ${sigs.B.size} structural signatures (want 1)`);
for (const s of sigs.A) if (sigs.B.has(s)) fail('A and B have the same structural signature');
if (recIds.size !== summary.recordings.length) fail(`rec- ids not unique per visit (${recIds.size} distinct)`);
if (recentLengths.size < 2) fail('the recently viewed list has the same length in every visit');

console.log(rows.join('\n'));
console.log(`\nA/B check: ${summary.recordings.length} recordings, signatures A=${[...sigs.A].join('/')} B=${[...sigs.B].join('/')}, recently viewed lengths ${[...recentLengths].sort().join(',')}: ${problems.length ? 'FAIL' : 'ok'}`);
if (problems.length) { console.error(problems.map((p) => '✗ ' + p).join('\n')); process.exitCode = 1; }
