// Full-page screenshots of every demo-shop page at 1440 and 390 CSS px and
// assets/demo-shop/pages.json with the clickable boxes (document CSS px).
// Run: node screenshots.mjs
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, ORIGIN, REPO, HERE } from './lib.mjs';

const OUT = path.join(REPO, 'assets', 'demo-shop');
const SHOTS = path.join(OUT, 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

export const PAGES = [
  { key: 'home', path: '/' },
  { key: 'category-footwear', path: '/category/footwear.html' },
  { key: 'product-trail-runner', path: '/product/trail-runner.html' },
  { key: 'product-summit-hiker', path: '/product/summit-hiker.html' },
  { key: 'product-alpine-shell', path: '/product/alpine-shell.html' },
  { key: 'cart', path: '/cart.html' },
  { key: 'checkout', path: '/checkout.html' },
  { key: 'confirmation', path: '/confirmation.html' },
  { key: 'help', path: '/help.html' },
];

// State shown in the screenshots of cart / checkout / confirmation.
const SEED_CART = [{ slug: 'trail-runner', size: 'EU 42', qty: 1 }, { slug: 'merino-socks', size: 'One size', qty: 2 }];
const SEED_ORDER = { order_id: 'NW-1048576', email: 'alex@example.com', first_name: 'Alex', items: SEED_CART, total: 183.95 };

const helpers = fs.readFileSync(path.join(HERE, 'page-helpers.js'), 'utf8');

function collectClickables() {
  const H = window.__slHelpers;
  const sel = 'a[href], button, input, select, textarea, [role=button], [data-trap]';
  const out = [];
  const seen = new Set();
  for (const el of document.querySelectorAll(sel)) {
    if (seen.has(el)) continue;
    seen.add(el);
    if (el.closest('[hidden]')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const tag = el.tagName.toLowerCase();
    const trap = el.getAttribute('data-trap');
    let kind = 'button';
    if (trap) kind = 'trap';
    else if (tag === 'a') kind = 'link';
    else if (tag === 'select') kind = 'select';
    else if (tag === 'textarea' || (tag === 'input' && !/^(submit|button|reset|image)$/.test(el.type))) kind = 'input';
    const role = el.getAttribute('role') || (tag === 'a' ? 'link' : tag === 'button' || (tag === 'input' && /^(submit|button)$/.test(el.type)) ? 'button'
      : tag === 'select' ? 'combobox' : tag === 'input' ? ({ checkbox: 'checkbox', radio: 'radio', search: 'searchbox' }[el.type] || 'textbox') : tag === 'img' ? 'img' : null);
    const fixed = H.inFixed(el);
    out.push({
      selector: H.cssPath(el), tag, text: H.text(el), role, kind, trap: trap || null,
      ...(tag === 'input' ? { input_type: el.type, name: el.name } : {}),
      ...(tag === 'a' ? { href: el.href } : {}),
      x: Math.round((r.left + scrollX) * 10) / 10, y: Math.round((r.top + scrollY) * 10) / 10,
      width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10,
      ...(fixed ? { position: fixed } : {}),
    });
  }
  return out;
}

async function main() {
  const { server, port } = await serve();
  const result = { origin: ORIGIN, generated_by: 'tools/record/screenshots.mjs', note: 'Boxes are document CSS px at scroll 0. Elements with position "sticky"/"fixed" stay in the viewport when the page scrolls. Cart, checkout and confirmation are captured with a seeded cart (2 lines) and order.', pages: [] };
  for (const device of [
    { layout_width: 1440, ctx: { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 } },
    { layout_width: 390, ctx: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true } },
  ]) {
    const { context, close } = await launch(port, device.ctx);
    await context.addInitScript(helpers);
    await context.addInitScript(([cart, order]) => {
      localStorage.setItem('nw_cart_v1', JSON.stringify(cart));
      localStorage.setItem('nw_last_order_v1', JSON.stringify(order));
    }, [SEED_CART, SEED_ORDER]);
    const page = context.pages()[0] || await context.newPage();
    for (const pg of PAGES) {
      const url = ORIGIN + pg.path;
      await page.goto(url, { waitUntil: 'load' });
      await page.evaluate(() => document.fonts.ready);
      await page.waitForTimeout(150);
      const dims = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
      const file = `screenshots/${pg.key}-${device.layout_width}.png`;
      await page.screenshot({ path: path.join(OUT, file), fullPage: true, animations: 'disabled', caret: 'hide' });
      const clickables = await page.evaluate(collectClickables);
      result.pages.push({ url, key: pg.key, layout_width: device.layout_width, viewport_height: device.ctx.viewport.height, doc_width: dims.w, doc_height: dims.h, screenshot: file, clickables });
      console.log(`${file}  ${dims.w}x${dims.h}  clickables=${clickables.length}`);
    }
    await close();
  }
  server.close();
  fs.writeFileSync(path.join(OUT, 'pages.json'), JSON.stringify(result, null, 1) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
export { main };
