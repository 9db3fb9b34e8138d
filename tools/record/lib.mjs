// Shared helpers: a tiny loopback static server for the demo shop and a
// Chromium launcher that maps http://shop.test to it (no other network).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const SITE = path.join(REPO, 'tools', 'demo-shop', 'site');
export const ORIGIN = 'http://shop.test';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon' };

/** Serve SITE on 127.0.0.1 (random free port). Resolves to {server, port}. */
export function serve(root = SITE) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let p = decodeURIComponent(url.pathname);
    if (p.endsWith('/')) p += 'index.html';
    const file = path.join(root, path.normalize(p).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(root)) { res.writeHead(403); res.end(); return; }
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>Not found</title><h1>404 – page not found</h1><a href="/">Back to the shop</a>');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-cache' });
      res.end(data);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port })));
}

/** Launch headless Chromium with a throw-away profile; shop.test -> 127.0.0.1:port. */
export async function launch(port, contextOptions = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-features=Translate,OptimizationHints,MediaRouter',
      `--host-resolver-rules=MAP shop.test 127.0.0.1:${port}, EXCLUDE localhost`,
      '--proxy-server=direct://', '--proxy-bypass-list=*',
    ],
    ...contextOptions,
  });
  // Belt and braces: refuse any request that is not for the demo shop.
  await context.route((url) => !url.href.startsWith(ORIGIN + '/') && !url.protocol.startsWith('data') && !url.protocol.startsWith('blob'), (route) => route.abort());
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
