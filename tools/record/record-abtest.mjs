// The recorded A/B test "pdp-layout" (tests/fixtures/abtest/):
//   node record-abtest.mjs                   build shop, screenshots A/B, 12 recordings, summary, checks
//   node record-abtest.mjs --only a,b        only the named recordings (summary rebuilt from all files)
//   node record-abtest.mjs --no-screenshots
//   node record-abtest.mjs --screenshots-only
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, ORIGIN, REPO, HERE } from './lib.mjs';
import { runSession, RRWEB_VERSION } from './session.mjs';
import { rng } from './human.mjs';
import { ABTEST_SCENARIOS, EXPERIMENT } from './abtest-scenarios.mjs';

export const AB_DIR = path.join(REPO, 'tests', 'fixtures', 'abtest');
const PAGE_KEY = 'product-' + path.basename(EXPERIMENT.product_path, '.html');

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1].split(',') : null;
const shotsOnly = args.includes('--screenshots-only');
const doShots = shotsOnly || (!only && !args.includes('--no-screenshots'));

/** The A/B tool's redirect: the product URL without a query goes to `?exp=<variant>`. */
function assignVariant(variant) {
  return async (context) => {
    await context.route((url) => url.origin === ORIGIN && url.pathname === EXPERIMENT.product_path && !url.search, (route) =>
      route.fulfill({ status: 302, headers: { location: `${ORIGIN}${EXPERIMENT.product_path}?${EXPERIMENT.param}=${variant}` } }));
  };
}

/** Full-page screenshots of the product page per variant at 1440 px. Math.random is seeded
 * (one seed per variant) so the per-visit content, and the PNG, is the same on every run. */
async function screenshots(port) {
  const dir = path.join(AB_DIR, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  for (const [i, variant] of ['A', 'B'].entries()) {
    const { context, close } = await launch(port, { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    await context.addInitScript(`(${seedRandom.toString()})(${101 + i}, ${rng.toString()});`);
    const page = context.pages()[0] || await context.newPage();
    await page.goto(`${ORIGIN}${EXPERIMENT.product_path}?${EXPERIMENT.param}=${variant}`, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);
    await page.waitForTimeout(150);
    const file = path.join(dir, `${PAGE_KEY}-${variant}-1440.png`);
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
    const h = await page.evaluate(() => document.documentElement.scrollHeight);
    console.log(`${path.relative(REPO, file)}  1440x${h}  ${Math.round(fs.statSync(file).size / 1024)} KB`);
    await close();
  }
}
function seedRandom(seed, makeRng) { Math.random = makeRng(seed); }

/** tests/fixtures/abtest/truth.json from the per-recording truth files. */
function writeSummary() {
  const recordings = [];
  for (const s of ABTEST_SCENARIOS) {
    const tf = path.join(AB_DIR, `${s.name}.truth.json`);
    if (!fs.existsSync(tf)) throw new Error(`missing ${tf}: record it first`);
    const t = JSON.parse(fs.readFileSync(tf, 'utf8'));
    const product = t.page_loads.filter((l) => new URL(l.url).pathname === EXPERIMENT.product_path);
    if (!product.length) throw new Error(`${s.name}: no product page load`);
    const urls = [...new Set(product.map((l) => l.url))];
    if (urls.length !== 1) throw new Error(`${s.name}: several product URLs ${urls.join(', ')}`);
    const events = t.custom_events.filter((e) => e.name === EXPERIMENT.event);
    if (t.converted !== s.converts) throw new Error(`${s.name}: converted ${t.converted}, script says ${s.converts}`);
    recordings.push({
      file: `${s.name}.json`,
      variant: s.variant,
      entry_page: s.entry,
      product_page_url: urls[0],
      converted: t.converted,
      product_page_clicks: t.clicks.filter((c) => c.url === urls[0]).length,
      added_to_cart: t.custom_events.some((e) => e.name === 'add_to_cart'),
      experiment_event_t_ms: events.map((e) => e.t_ms),
    });
  }
  const per = (v) => {
    const r = recordings.filter((x) => x.variant === v);
    return { visits: r.length, conversions: r.filter((x) => x.converted).length, product_page_clicks: r.reduce((a, x) => a + x.product_page_clicks, 0) };
  };
  const summary = {
    experiment: EXPERIMENT.name,
    product_page: EXPERIMENT.product_path,
    assignment: `URL parameter "${EXPERIMENT.param}" (A|B) on the product page; the recorder redirects ${EXPERIMENT.product_path} to ?${EXPERIMENT.param}=<variant> like a redirect test`,
    custom_event: { tag: EXPERIMENT.event, payload: { experiment: EXPERIMENT.name, variant: 'A|B' }, when: 'product page load (emitted right after the first FullSnapshot)' },
    variants: {
      A: 'today\'s product page',
      B: 'size picker, "Add to cart" and stock line in a panel (#buy-panel) above the gallery with a new trust box (#trust-box); the perks list is removed',
    },
    per_visit_noise: 'both variants: "N people are viewing this right now" (p.exp-viewers, random id rec-<random>, random N) and "Recently viewed" (#recently-viewed) with 2-4 li.exp-recent-item',
    device: 'desktop', viewport: { width: 1440, height: 900 }, rrweb_version: RRWEB_VERSION,
    screenshots: { A: `screenshots/${PAGE_KEY}-A-1440.png`, B: `screenshots/${PAGE_KEY}-B-1440.png` },
    totals: { A: per('A'), B: per('B') },
    recordings,
  };
  fs.writeFileSync(path.join(AB_DIR, 'truth.json'), JSON.stringify(summary, null, 1) + '\n');
  console.log(`truth.json: A ${JSON.stringify(summary.totals.A)}  B ${JSON.stringify(summary.totals.B)}`);
}

execFileSync(process.execPath, [path.join(REPO, 'tools', 'demo-shop', 'build.mjs')], { stdio: 'inherit' });
const { server, port } = await serve();
if (doShots) await screenshots(port);
if (!shotsOnly) {
  console.log(`rrweb ${RRWEB_VERSION}`);
  const list = ABTEST_SCENARIOS.filter((s) => !only || only.includes(s.name));
  if (only && list.length !== only.length) throw new Error('unknown scenario in --only');
  for (const s of list) {
    const t = Date.now();
    try {
      const r = await runSession(port, { ...s, setup: assignVariant(s.variant) }, { outDir: AB_DIR });
      console.log(`${r.name.padEnd(30)} ${s.variant} events=${String(r.events).padStart(5)} clicks=${String(r.clicks).padStart(3)} pages=${r.pages} custom=${r.customs} ${r.secs}s`);
    } catch (e) {
      console.error(`FAILED ${s.name} after ${Math.round((Date.now() - t) / 1000)}s:`, e);
      process.exitCode = 1;
    }
  }
}
server.close();
if (!shotsOnly && !process.exitCode) {
  writeSummary();
  execFileSync(process.execPath, [path.join(HERE, 'check-fixtures.mjs'), AB_DIR], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(HERE, 'check-abtest.mjs'), AB_DIR], { stdio: 'inherit' });
}
