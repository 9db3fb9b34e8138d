// One recorded visit with a real analytics SDK in the page: sets the SDK snippet the server
// injects, launches Chromium like tools/record/lib.mjs (same flags, throw-away profile, only
// loopback hosts reachable), logs ground truth in the page, runs a scripted human-like visitor
// (tools/record/human.mjs) and returns the truth plus every ingest request the SDK made.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, REPO, sleep } from '../record/lib.mjs';
import { Human } from '../record/human.mjs';
import { POSTHOG_TOKEN, NM } from './server.mjs';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const HELPERS = fs.readFileSync(path.join(REPO, 'tools', 'record', 'page-helpers.js'), 'utf8');
const TRUTH = fs.readFileSync(path.join(HERE, 'truth-init.js'), 'utf8');
export const VERSIONS = {
  'posthog-js': JSON.parse(fs.readFileSync(path.join(NM, 'posthog-js', 'package.json'), 'utf8')).version,
  '@sentry/browser': JSON.parse(fs.readFileSync(path.join(NM, '@sentry', 'browser', 'package.json'), 'utf8')).version,
  'playwright-core': JSON.parse(fs.readFileSync(path.join(NM, 'playwright-core', 'package.json'), 'utf8')).version,
};
export const ORIGINS = { mpa: 'http://shop.test', spa: 'http://app.shop.test' };
export const DESKTOP = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 };

/** Launch as tools/record/lib.mjs launch() does, with the SPA host mapped as well and the ingest port allowed. */
export async function launch(port, contextOptions = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-features=Translate,OptimizationHints,MediaRouter',
      `--host-resolver-rules=MAP shop.test 127.0.0.1:${port}, MAP app.shop.test 127.0.0.1:${port}, EXCLUDE localhost`,
      '--proxy-server=direct://', '--proxy-bypass-list=*',
    ],
    ...contextOptions,
  });
  const allowed = [ORIGINS.mpa + '/', ORIGINS.spa + '/', `http://127.0.0.1:${port}/`];
  await context.route((url) => !allowed.some((a) => url.href.startsWith(a)) && !url.protocol.startsWith('data') && !url.protocol.startsWith('blob'), (route) => route.abort());
  const close = async () => { await context.close(); fs.rmSync(userDataDir, { recursive: true, force: true }); };
  return { context, close };
}

/** The <head> snippet for a run. */
export function snippet(sdk, port, { track = true, identify = false } = {}) {
  const api = `http://127.0.0.1:${port}`;
  const truthCall = 'try{window.__slTruth("custom",{called_at_ms:t,name:name,payload:payload})}catch(e){}';
  if (sdk === 'posthog') {
    const init = { api_host: api, opt_out_useragent_filter: true, capture_pageview: 'history_change', person_profiles: 'identified_only', disable_session_recording: false };
    return `<script src="${api}/static/array.js"></script>
<script>
posthog.init(${JSON.stringify(POSTHOG_TOKEN)}, ${JSON.stringify(init)});
${track ? `window.slTrack = function (name, payload) {
  var t = Date.now(); ${truthCall}
  posthog.capture(name, payload, { timestamp: new Date(t) });
  if (posthog.sessionRecording) posthog.sessionRecording.tryAddCustomEvent(name, payload);
  ${identify ? `if (name === 'purchase') { var em = document.getElementById('email'); if (em && em.value) posthog.identify(em.value, { email: em.value, first_name: (document.getElementById('first_name') || {}).value }); }` : ''}
};` : ''}
</script>`;
  }
  if (sdk === 'sentry') {
    const dsn = `http://public@127.0.0.1:${port}/1`;
    return `<script src="/vendor/sentry.min.js"></script>
<script>
Sentry.init({ dsn: ${JSON.stringify(dsn)}, release: 'northwind-demo-shop@1.0.0', environment: 'fixtures',
  integrations: [Sentry.replayIntegration()], replaysSessionSampleRate: 1.0, replaysOnErrorSampleRate: 1.0 });
${track ? `window.slTrack = function (name, payload) {
  var t = Date.now(); ${truthCall}
  Sentry.addBreadcrumb({ category: 'shop', type: 'info', level: 'info', message: name, data: payload, timestamp: t / 1000 });
};` : ''}
</script>`;
  }
  throw new Error('unknown sdk ' + sdk);
}

export async function runSdkSession({ run, port }, spec) {
  const { sdk, site, seed = 1, track = true, identify = false } = spec;
  run.snippet = snippet(sdk, port, { track, identify });
  run.requests = [];
  const origin = ORIGINS[site];
  const { context, close } = await launch(port, { ...DESKTOP, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  const loads = [], routes = [], clicks = [], errors = [], customs = [];
  const byRoute = new Map();
  await context.exposeBinding('__slTruth', (_src, kind, o) => {
    if (kind === 'page_load') { loads.push(o); const r = { ...o, entered_at_ms: o.loaded_at_ms, via: 'load' }; routes.push(r); byRoute.set(o.route_id, r); }
    else if (kind === 'route') { routes.push(o); byRoute.set(o.route_id, o); }
    else if (kind === 'scroll_max') { const r = byRoute.get(o.route_id); if (r) { r.max_scroll_y = Math.max(r.max_scroll_y, o.max_scroll_y); r.doc_height = Math.max(r.doc_height || 0, o.doc_height); } }
    else if (kind === 'click') clicks.push(o);
    else if (kind === 'error') errors.push(o);
    else if (kind === 'custom') customs.push(o);
  });
  await context.addInitScript({ content: HELPERS });
  await context.addInitScript({ content: TRUTH });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && process.env.SDK_DEBUG) console.error('[page]', m.text()); });
  const h = new Human(page, { seed, mobile: false, viewport: DESKTOP.viewport });
  const settle = async () => { await page.waitForLoadState('load'); await h.pause(500, 900); };
  const ctx = {
    page, h, sleep, clicks, routes, site,
    goto: async (p) => { await page.goto(origin + p, { waitUntil: 'load' }); if (site === 'spa') await page.waitForSelector('body[data-spa-ready]'); await h.pause(900, 1300); },
    /** click an element that changes page (MPA) or route (SPA); waits until it is shown. */
    nav: async (sel, opt) => {
      await h.reveal(sel);
      if (site === 'mpa') {
        const nav = page.waitForNavigation({ waitUntil: 'load', timeout: 15000 });
        nav.catch(() => {});
        await h.click(sel, opt);
        await nav; await settle();
      } else {
        const before = await page.evaluate(() => window.__spaRenders || 0);
        await h.click(sel, opt);
        await page.waitForFunction((n) => (window.__spaRenders || 0) > n, before, { timeout: 15000 });
        await h.pause(500, 900);
      }
    },
    fill: async (sel, text) => { await h.click(sel); await h.pause(150, 400); await h.type(text); await h.pause(250, 700); },
  };
  const t0 = Date.now();
  await spec.script(ctx);
  await sleep(spec.flushWaitMs ?? 8000); // let the SDK flush its last batch / replay segment
  await close();
  const vp = DESKTOP.viewport;
  const truth = {
    description: spec.description,
    device: 'desktop',
    viewport: { width: vp.width, height: vp.height },
    sdk: sdk === 'posthog' ? { name: 'posthog-js', version: VERSIONS['posthog-js'] } : { name: '@sentry/browser', version: VERSIONS['@sentry/browser'] },
    site: site === 'spa' ? 'single-page app (history.pushState routes)' : 'multi-page shop',
    started_at_ms: t0,
    page_loads: loads.map((l) => ({ url: l.url, loaded_at_ms: l.loaded_at_ms, max_scroll_y: byRoute.get(l.route_id).max_scroll_y, viewport_height: l.viewport_height, max_depth_px: byRoute.get(l.route_id).max_scroll_y + l.viewport_height, doc_height: byRoute.get(l.route_id).doc_height })),
    routes: routes.map((r) => ({ url: r.url, entered_at_ms: r.entered_at_ms, via: r.via, max_scroll_y: r.max_scroll_y, viewport_height: r.viewport_height, max_depth_px: r.max_scroll_y + r.viewport_height, doc_height: r.doc_height ?? null })),
    clicks: clicks.map(({ url, scroll_y, ...c }) => ({ ...c, url, scroll_y })),
    errors: errors.map(({ t_ms, message, url }) => ({ t_ms, message, url })),
    custom_events: customs,
    planted: [],
    idle_gaps: [],
    converted: customs.some((c) => c.name === 'purchase'),
  };
  return { truth, requests: run.requests, secs: Math.round((Date.now() - t0) / 1000) };
}
