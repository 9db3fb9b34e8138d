// One recorded visit: launches Chromium, injects rrweb + console plugin +
// truth logger into every page, runs a scripted visitor, writes
// tests/fixtures/rrweb/<name>.json and <name>.truth.json (or into `outDir`).
import fs from 'node:fs';
import path from 'node:path';
import { launch, ORIGIN, REPO, HERE, sleep } from './lib.mjs';
import { Human } from './human.mjs';

const NM = path.join(HERE, 'node_modules');
const RRWEB_UMD = fs.readFileSync(path.join(NM, 'rrweb', 'dist', 'rrweb.umd.min.cjs'), 'utf8');
const CONSOLE_UMD = fs.readFileSync(path.join(NM, '@rrweb', 'rrweb-plugin-console-record', 'dist', 'rrweb-plugin-console-record.umd.min.cjs'), 'utf8');
const HELPERS = fs.readFileSync(path.join(HERE, 'page-helpers.js'), 'utf8');
const RECORDER = fs.readFileSync(path.join(HERE, 'recorder-init.js'), 'utf8');
export const RRWEB_VERSION = JSON.parse(fs.readFileSync(path.join(NM, 'rrweb', 'package.json'), 'utf8')).version;
export const OUT_DIR = path.join(REPO, 'tests', 'fixtures', 'rrweb');

export const DESKTOP = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 };
export const MOBILE = {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
};

/** `spec.setup(context)`, when given, runs before the first page (e.g. routes of an A/B
 * test's redirect); `outDir` replaces tests/fixtures/rrweb. */
export async function runSession(port, spec, { outDir = OUT_DIR } = {}) {
  const { name, device = 'desktop', seed = 1, checkoutEveryNth = null, seedCart = null, script } = spec;
  const ctxOpts = device === 'mobile' ? MOBILE : DESKTOP;
  const { context, close } = await launch(port, { ...ctxOpts, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  const events = [];
  const loads = [];
  const clicks = [], errors = [], customs = [], forms = [];
  await context.exposeBinding('__slEmit', (_src, ev) => { events.push(ev); });
  await context.exposeBinding('__slTruth', (_src, kind, o) => {
    if (kind === 'page_load') loads.push(o);
    else if (kind === 'scroll_max') { const l = loads.find((x) => x.load_id === o.load_id); if (l) l.max_scroll_y = Math.max(l.max_scroll_y, o.max_scroll_y); }
    else if (kind === 'click') clicks.push(o);
    else if (kind === 'error') errors.push(o);
    else if (kind === 'custom') customs.push(o);
    else if (kind === 'form') forms.push(o);
  });
  if (seedCart) {
    await context.addInitScript((cart) => {
      if (!localStorage.getItem('nw_seeded')) { localStorage.setItem('nw_cart_v1', JSON.stringify(cart)); localStorage.setItem('nw_seeded', '1'); }
    }, seedCart);
  }
  await context.addInitScript({ content: `window.__SL_OPTS = ${JSON.stringify({ checkoutEveryNth })};` });
  await context.addInitScript({ content: HELPERS });
  await context.addInitScript({ content: RRWEB_UMD });
  await context.addInitScript({ content: CONSOLE_UMD });
  await context.addInitScript({ content: RECORDER });
  if (spec.setup) await spec.setup(context);

  const page = context.pages()[0] || await context.newPage();
  const cdp = device === 'mobile' ? await context.newCDPSession(page) : null;
  const h = new Human(page, { seed, mobile: device === 'mobile', cdp, viewport: ctxOpts.viewport });
  const planted = [];
  const idle = [];
  const state = { converted: false };

  const settle = async () => { await page.waitForLoadState('load'); await h.pause(500, 900); };
  const ctx = {
    page, h, planted, idle, state, sleep,
    goto: async (p) => { await page.goto(ORIGIN + p, { waitUntil: 'load' }); await h.pause(600, 1000); },
    /** click an element that navigates; waits for the new page. Returns click point. */
    nav: async (sel, opt) => {
      await h.reveal(sel);
      const nav = page.waitForNavigation({ waitUntil: 'load', timeout: 15000 });
      nav.catch(() => {});
      const pt = await h.click(sel, opt);
      await nav; await settle();
      return pt;
    },
    back: async () => { await page.goBack({ waitUntil: 'load' }); await settle(); },
    scrollY: () => page.evaluate(() => Math.round(window.scrollY)),
    /** page coords of a viewport point right now */
    pagePt: async (pt) => ({ x: Math.round(pt.x + await page.evaluate(() => window.scrollX)), y: Math.round(pt.y + await page.evaluate(() => window.scrollY)) }),
    plant: (kind, start_ms, end_ms, x, y, selector) => planted.push({ kind, start_ms, end_ms, x, y, selector }),
    fill: async (sel, text) => { await h.click(sel); await h.pause(150, 400); await h.type(text); await h.pause(250, 700); },
    /** click into a filled field, select all, delete, type `text` again (a refill) */
    refill: async (sel, text) => {
      await h.click(sel); await h.pause(300, 600);
      await page.keyboard.press('Control+A'); await h.pause(150, 300);
      await page.keyboard.press('Backspace'); await h.pause(400, 800);
      await h.type(text); await h.pause(250, 700);
    },
    lastClick: () => clicks[clicks.length - 1],
    clicks, loads,
  };

  const t0 = Date.now();
  await spec.script(ctx);
  await sleep(1300); // let rrweb flush the last mouse-move batch
  await close();

  if (!fs.existsSync(outDir)) fs.mkdirSync(outDir, { recursive: true });
  const vp = ctxOpts.viewport;
  const truth = {
    recording: `${name}.json`,
    description: spec.description,
    device,
    viewport: { width: vp.width, height: vp.height },
    user_agent_mobile: device === 'mobile',
    rrweb_version: RRWEB_VERSION,
    record_options: { recordCanvas: false, checkoutEveryNth: checkoutEveryNth || undefined, sampling: 'rrweb defaults (mousemove 50 ms, flushed every 500 ms; scroll 100 ms)', plugins: ['rrweb/console@1'] },
    started_at_ms: t0,
    page_loads: loads.map((l) => ({ url: l.url, loaded_at_ms: l.loaded_at_ms, max_scroll_y: l.max_scroll_y, viewport_height: l.viewport_height, max_depth_px: l.max_scroll_y + l.viewport_height, doc_height: l.doc_height })),
    clicks: clicks.map(({ url, scroll_y, ...c }) => ({ ...c, url, scroll_y })),
    errors: errors.map(({ t_ms, message, url }) => ({ t_ms, message, url })),
    custom_events: customs,
    form_events: forms,
    planted,
    idle_gaps: idle,
    converted: state.converted || customs.some((c) => c.name === 'purchase'),
  };
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(events));
  fs.writeFileSync(path.join(outDir, `${name}.truth.json`), JSON.stringify(truth, null, 1) + '\n');
  return { name, events: events.length, clicks: clicks.length, pages: loads.length, errors: errors.length, customs: customs.length, secs: Math.round((Date.now() - t0) / 1000) };
}
