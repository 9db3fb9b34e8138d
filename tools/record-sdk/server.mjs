// One loopback HTTP server for a recording run:
//  - http://shop.test      -> the multi-page demo shop (tools/demo-shop/site)
//  - http://app.shop.test  -> its single-page twin (tools/demo-shop/spa, views from site/*.html)
//  - http://127.0.0.1:<port> -> our own PostHog and Sentry ingest endpoints, storing every request
//    body exactly as received.
// The SDK snippet of the current run is injected into each HTML document (not into the
// ?fragment=1 view sources the SPA fetches), as a site would ship it in its <head>.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { SITE, REPO } from '../record/lib.mjs';

export const SPA_DIR = path.join(REPO, 'tools', 'demo-shop', 'spa');
const SDK_DIR = path.dirname(new URL(import.meta.url).pathname);
export const NM = path.join(SDK_DIR, 'node_modules');
export const POSTHOG_DIST = path.join(NM, 'posthog-js', 'dist');
export const POSTHOG_TOKEN = 'phc_sessionlens_demo_shop_fixture';

const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon' };

/** What PostHog's /array/<token>/config returns for a project with session replay on (fields as posthog-js reads them). */
export function posthogRemoteConfig() {
  return {
    token: POSTHOG_TOKEN,
    supportedCompression: ['gzip', 'gzip-js'],
    hasFeatureFlags: false,
    captureDeadClicks: false,
    capturePerformance: false,
    autocapture_opt_out: false,
    autocaptureExceptions: false,
    analytics: { endpoint: '/i/v0/e/' },
    elementsChainAsString: true,
    errorTracking: { autocaptureExceptions: false, suppressionRules: [] },
    sessionRecording: {
      endpoint: '/s/', consoleLogRecordingEnabled: true, recorderVersion: 'v2', sampleRate: null,
      minimumDurationMilliseconds: null, linkedFlag: null, networkPayloadCapture: null, masking: null,
      urlTriggers: [], urlBlocklist: [], eventTriggers: [], triggerMatchType: null, scriptConfig: null,
      recordCanvas: false, canvasFps: null, canvasQuality: null,
    },
    heatmaps: false,
    surveys: false,
    productTours: false,
    defaultIdentifiedOnly: true,
    siteApps: [],
  };
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function cors(req, res) {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
  } else res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  if (req.headers['access-control-request-headers']) res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers']);
  res.setHeader('access-control-max-age', '600');
}

/**
 * Start the server. `run.snippet` (HTML string) is injected into documents; `run.requests`
 * collects every ingest request: {t_ms, method, path, query, headers, body (Buffer)}.
 */
export function startServer() {
  const run = { snippet: '', requests: [], port: 0, sentryBundle: null };
  const server = http.createServer(async (req, res) => {
    const host = (req.headers.host || '').split(':')[0];
    const url = new URL(req.url, 'http://x');
    try {
      if (host === 'shop.test' || host === 'app.shop.test') return await servePage(host, url, req, res, run);
      return await serveIngest(url, req, res, run);
    } catch (e) {
      res.writeHead(500); res.end(String(e));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => { run.port = server.address().port; resolve({ server, run }); }));
}

function sendFile(res, file, inject) {
  let data;
  try { data = fs.readFileSync(file); } catch {
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Not found</title><h1>404 – page not found</h1><a href="/">Back to the shop</a>');
    return;
  }
  const type = TYPES[path.extname(file)] || 'application/octet-stream';
  if (inject && type.startsWith('text/html')) {
    data = Buffer.from(data.toString('utf8').replace('<link rel="stylesheet"', inject + '\n<link rel="stylesheet"'), 'utf8');
  }
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(data);
}

function inside(root, p) {
  const file = path.join(root, path.normalize(p).replace(/^(\.\.[/\\])+/, ''));
  return file.startsWith(root) ? file : null;
}

async function servePage(host, url, req, res, run) {
  let p = decodeURIComponent(url.pathname);
  const fragment = url.searchParams.has('fragment');
  if (p === '/vendor/sentry.min.js' && run.sentryBundle) {
    res.writeHead(200, { 'content-type': TYPES['.js'], 'cache-control': 'no-cache' });
    res.end(run.sentryBundle); return;
  }
  if (host === 'shop.test') {
    if (p.endsWith('/')) p += 'index.html';
    const file = inside(SITE, p);
    if (!file) { res.writeHead(403); res.end(); return; }
    return sendFile(res, file, fragment ? null : run.snippet);
  }
  // app.shop.test: assets and view sources from the site, SPA files, everything else is the SPA shell
  if (p.startsWith('/spa/')) { const f = inside(SPA_DIR, p.slice(4)); return sendFile(res, f, null); }
  if (p.startsWith('/assets/') || p.startsWith('/img/') || p.endsWith('.html')) {
    const f = inside(SITE, p);
    return sendFile(res, f, fragment ? null : run.snippet);
  }
  return sendFile(res, path.join(SPA_DIR, 'index.html'), run.snippet);
}

async function serveIngest(url, req, res, run) {
  cors(req, res);
  if (req.method === 'OPTIONS') { res.writeHead(204); res.end(); return; }
  const p = url.pathname;
  const body = await readBody(req);
  const rec = { t_ms: Date.now(), method: req.method, path: p, query: url.search, headers: { 'content-type': req.headers['content-type'] || null, 'content-encoding': req.headers['content-encoding'] || null, 'user-agent': req.headers['user-agent'] || null }, body };
  // PostHog assets: the SDK bundle and its lazily loaded extensions (recorder etc.)
  const st = /^\/static\/(?:[0-9][0-9A-Za-z.-]*\/)?([A-Za-z0-9._-]+\.js)$/.exec(p);
  if (st) {
    const f = inside(POSTHOG_DIST, '/' + st[1]);
    run.requests.push({ ...rec, kind: 'asset' });
    return sendFile(res, f, null);
  }
  const rc = /^\/array\/([^/]+)\/config(\.js)?$/.exec(p);
  if (rc) {
    run.requests.push({ ...rec, kind: 'posthog-config' });
    const cfg = posthogRemoteConfig();
    if (rc[2]) {
      res.writeHead(200, { 'content-type': TYPES['.js'] });
      res.end(`(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(rc[1])}]={config:${JSON.stringify(cfg)},siteApps:[]}})();`);
    } else { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(cfg)); }
    return;
  }
  if (p === '/flags/' || p === '/flags' || p.startsWith('/decide')) {
    run.requests.push({ ...rec, kind: 'posthog-flags' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false, requestId: '00000000-0000-4000-8000-000000000001', ...posthogRemoteConfig() }));
    return;
  }
  if (/^\/(s|e|i\/v0\/e|batch|engage|capture|track)\/?$/.test(p)) {
    run.requests.push({ ...rec, kind: 'posthog-capture' });
    res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":1}');
    return;
  }
  if (/^\/api\/\d+\/envelope\/?$/.test(p)) {
    run.requests.push({ ...rec, kind: 'sentry-envelope' });
    res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}');
    return;
  }
  run.requests.push({ ...rec, kind: 'unknown' });
  res.writeHead(404); res.end();
}
