// Scripted visitors. Each entry becomes tests/fixtures/rrweb/<name>.json.
// "planted" records what the script did on purpose (page coordinates).

const CARD = (slug) => `#products .card[data-slug="${slug}"] .card-link`;
const CHECKOUT_FIELDS = [
  ['#email', 'lena.fischer@example.com'], ['#phone', '+49 151 2345678'],
  ['#first_name', 'Lena'], ['#last_name', 'Fischer'], ['#address', 'Bergstraße 12'],
  ['#postcode', '80331'], ['#city', 'München'],
];
const PAYMENT_FIELDS = [['#card_name', 'Lena Fischer'], ['#card_number', '4242 4242 4242 4242'], ['#card_expiry', '08/27'], ['#card_cvc', '123']];

async function rageBurst(c, sel, n, spot) {
  const { h, page } = c;
  const b = await h.reveal(sel);
  const x0 = Math.round(b.x + b.width * spot[0]), y0 = Math.round(b.y + b.height * spot[1]);
  await h.moveTo(x0, y0, { target: 30 });
  await h.pause(120, 250);
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const x = x0 + Math.round(h.gauss() * 1.5), y = y0 + Math.round(h.gauss() * 1.2);
    await page.mouse.move(x, y);
    await page.mouse.down(); await h.pause(35, 65); await page.mouse.up();
    if (i < n - 1) await h.pause(90, 190);
  }
  const end = Date.now();
  h.x = x0; h.y = y0;
  const p = await c.pagePt({ x: x0, y: y0 });
  c.plant('rage_click', start, end, p.x, p.y, sel);
}

async function deadClick(c, sel, spot) {
  const pt = await c.h.click(sel, { spot });
  const t = Date.now();
  const p = await c.pagePt(pt);
  c.plant('dead_click', t, t, p.x, p.y, sel);
}

async function fillCheckout(c, fields) {
  for (const [sel, text] of fields) await c.fill(sel, text);
}

const CONTACT_JONAS = [['#email', 'jonas.berg@example.com'], ['#first_name', 'Jonas'], ['#last_name', 'Berg'], ['#address', 'Lindenweg 4']];

export const SCENARIOS = [
  {
    name: 'form-error-refill-desktop', device: 'desktop', seed: 31,
    seedCart: [{ slug: 'alpine-shell', size: 'M', qty: 1 }],
    description: 'Checkout with a postcode error: fills contact and address with a 4-digit postcode; the error (aria-invalid + message) appears when the field is left; fills the city, comes back, clears the postcode and types it again (one refill; the error goes away as it fits), fills the payment fields, accepts the terms and places the order.',
    async script(c) {
      await c.goto('/cart.html');
      await c.h.wander(1);
      await c.nav('#checkout-button');
      await c.h.wander(1);
      await fillCheckout(c, [...CONTACT_JONAS, ['#postcode', '8033']]);
      await c.fill('#city', 'München');
      await c.h.pause(900, 1400);
      await c.refill('#postcode', '80331');
      await fillCheckout(c, PAYMENT_FIELDS);
      await c.h.click('#terms');
      await c.h.pause(500, 900);
      await c.nav('#place-order');
      await c.h.wander(1);
    },
  },
  {
    name: 'form-abandon-postcode-mobile', device: 'mobile', seed: 32,
    seedCart: [{ slug: 'trail-runner', size: 'EU42', qty: 1 }],
    description: 'Mobile checkout abandoned at the postcode: fills email and name, types a 3-digit postcode, taps the page heading (the field loses focus and shows its error), waits, and leaves through "Back to cart".',
    async script(c) {
      await c.goto('/cart.html');
      await c.h.pause(1000, 1500);
      await c.nav('#checkout-button');
      await c.h.pause(1000, 1500);
      const before = c.clicks.length;
      await fillCheckout(c, [['#email', 'mia.k@example.com'], ['#first_name', 'Mia'], ['#last_name', 'Keller'], ['#postcode', '123']]);
      await c.h.click('.checkout-page h1');
      await c.h.pause(2500, 3500);
      await c.nav('#back-to-cart');
      const fb = c.clicks[before];
      const leave = c.clicks[c.clicks.length - 1];
      c.plant('form_abandonment', fb.t_ms, leave.t_ms, fb.page_x, fb.page_y, '#checkout-form');
      await c.h.pause(1200, 1800);
    },
  },
  {
    name: 'form-empty-submit-desktop', device: 'desktop', seed: 33,
    seedCart: [{ slug: 'alpine-shell', size: 'L', qty: 1 }],
    description: 'Clicks "Place order" on the empty checkout form: every required field shows its error (wrapper .invalid); fills the form (the errors stay until the next submit), accepts the terms and places the order, which clears them.',
    async script(c) {
      await c.goto('/cart.html');
      await c.h.wander(1);
      await c.nav('#checkout-button');
      await c.h.wander(1);
      await c.h.click('#place-order');
      await c.h.pause(1500, 2200);
      await fillCheckout(c, [...CONTACT_JONAS, ['#postcode', '80331'], ['#city', 'München']]);
      await fillCheckout(c, PAYMENT_FIELDS);
      await c.h.click('#terms');
      await c.h.pause(500, 900);
      await c.nav('#place-order');
      await c.h.wander(1);
    },
  },
  {
    name: 'rage-click-promo-desktop', device: 'desktop', seed: 11,
    description: 'Visitor tries to open the promo bar "see details" link (no handler), then rage-clicks it 5 times; later continues to the footwear category.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(2);
      await c.h.click('#promo-bar .promo-text', { spot: [0.86, 0.5] });
      await c.h.pause(1500, 1800);
      await rageBurst(c, '#promo-bar .promo-text', 5, [0.86, 0.5]);
      await c.h.pause(1400, 2000);
      await c.h.wander(2);
      await c.nav('#hero-cta');
      await c.h.wander(2);
      await c.h.scrollBy(400);
      await c.h.wander(1);
    },
  },
  {
    name: 'dead-click-image-desktop', device: 'desktop', seed: 12,
    description: 'Visitor opens the Ridgeline product page and clicks the main image twice expecting a zoom (nothing happens), then uses a thumbnail, picks a size and adds to cart.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(1);
      await c.nav(CARD('trail-runner'));
      await c.h.wander(2, [100, 150, 800, 700]);
      await deadClick(c, '#main-image', [0.55, 0.5]);
      await c.h.pause(3200, 3800);
      await deadClick(c, '#main-image', [0.35, 0.62]);
      await c.h.pause(3000, 3500);
      await c.h.click('#thumb-3');
      await c.h.pause(1200, 1800);
      await c.h.click('#size-eu43');
      await c.h.pause(500, 900);
      await c.h.click('#add-to-cart');
      await c.h.pause(1500, 2200);
    },
  },
  {
    name: 'error-click-coupon-desktop', device: 'desktop', seed: 13,
    seedCart: [{ slug: 'trail-runner', size: 'EU 42', qty: 1 }, { slug: 'beacon-400', size: 'One size', qty: 1 }],
    description: 'Returning visitor with a cart enters a coupon code; the Apply button throws a TypeError (twice). Then proceeds to checkout and sees the shipping cost.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(1);
      await c.nav('#cart-link');
      await c.h.wander(2);
      await c.fill('#coupon-code', 'TRAIL10');
      for (let i = 0; i < 2; i++) {
        const pt = await c.h.click('#apply-coupon');
        const t = Date.now();
        const p = await c.pagePt(pt);
        c.plant('error_click', t, t, p.x, p.y, '#apply-coupon');
        await c.h.pause(2400, 3000);
      }
      await c.h.wander(1);
      await c.nav('#checkout-button');
      await c.h.wander(2);
      await c.h.reveal('#shipping-cost');
      await c.h.pause(1500, 2000);
    },
  },
  {
    name: 'quick-back-desktop', device: 'desktop', seed: 14,
    description: 'Visitor opens the Summit boot page from the home grid and goes back (history back) after about 1.5 s, then keeps browsing home and quick-adds a headlamp.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(2);
      await c.h.scrollBy(600);
      await c.h.wander(1);
      const pt = await c.nav(CARD('summit-hiker'));
      const clickT = c.lastClick().t_ms;
      const p = { x: c.lastClick().page_x, y: c.lastClick().page_y };
      await c.h.pause(700, 1000);
      await c.back();
      c.plant('quick_back', clickT, c.loads[c.loads.length - 1].loaded_at_ms, p.x, p.y, CARD('summit-hiker'));
      await c.h.wander(2);
      await c.h.scrollBy(500);
      await c.h.click('#products .card[data-slug="beacon-400"] .quick-add');
      await c.h.pause(1500, 2200);
    },
  },
  {
    name: 'excessive-scroll-desktop', device: 'desktop', seed: 15,
    description: 'Visitor lands on the Ridgeline product page and scrolls down and up the whole page repeatedly (5 reversals), then picks a size.',
    async script(c) {
      await c.goto('/product/trail-runner.html');
      await c.h.wander(2);
      const start = Date.now();
      const mp = await c.pagePt({ x: c.h.x, y: c.h.y });
      for (const dy of [2600, -2200, 2400, -2600, 2300, -2500]) {
        await c.h.scrollBy(dy, { maxStep: 700 });
        await c.h.pause(250, 600);
      }
      c.plant('excessive_scroll', start, Date.now(), mp.x, mp.y, 'html');
      await c.h.wander(1);
      await c.h.click('#size-eu42');
      await c.h.pause(1200, 1800);
    },
  },
  {
    name: 'thrashed-cursor-desktop', device: 'desktop', seed: 16,
    description: 'Visitor on the Summit boot page hesitates over the size picker, shaking the cursor erratically back and forth for ~3.5 s, then chooses a size and adds to cart.',
    async script(c) {
      await c.goto('/product/summit-hiker.html');
      await c.h.wander(2);
      const b = await c.h.reveal('#size-picker');
      const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
      await c.h.moveTo(cx, cy);
      const start = Date.now();
      let dir = 1;
      while (Date.now() - start < 3500) {
        const tx = cx + dir * c.h.rand(60, 150) + c.h.gauss() * 15;
        const ty = cy + c.h.gauss() * 45;
        await c.h.segment(tx, ty, c.h.rand(45, 95));
        dir = -dir;
      }
      const end = Date.now();
      const p = await c.pagePt({ x: cx, y: cy });
      c.plant('thrashed_cursor', start, end, p.x, p.y, '#size-picker');
      await c.h.pause(600, 900);
      await c.h.click('#size-eu44');
      await c.h.pause(400, 800);
      await c.h.click('#add-to-cart');
      await c.h.pause(1500, 2000);
    },
  },
  {
    name: 'form-abandon-desktop', device: 'desktop', seed: 17,
    seedCart: [{ slug: 'alpine-shell', size: 'M', qty: 1 }],
    description: 'Returning visitor with a jacket in the cart starts checkout, fills contact and part of the address, sees the shipping cost and leaves via the logo to the home page.',
    async script(c) {
      await c.goto('/cart.html');
      await c.h.wander(1);
      await c.nav('#checkout-button');
      await c.h.wander(1);
      const before = c.clicks.length;
      await fillCheckout(c, CHECKOUT_FIELDS.slice(0, 5));
      const start = c.clicks[before].t_ms;
      const sb = await c.h.box('#shipping-cost');
      await c.h.moveTo(sb.x + sb.width / 2, sb.y + sb.height / 2);
      await c.h.pause(2500, 3200);
      await c.nav('#logo');
      const leave = c.clicks[c.clicks.length - 1];
      const fb = c.clicks[before];
      c.plant('form_abandonment', start, leave.t_ms, fb.page_x, fb.page_y, '#checkout-form');
      await c.h.wander(2);
    },
  },
  {
    name: 'convert-desktop', device: 'desktop', seed: 18,
    description: 'Converting visit: home -> Ridgeline product -> size + add to cart -> cart -> checkout (full form) -> place order -> confirmation.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(2);
      await c.h.scrollBy(500);
      await c.h.wander(1);
      await c.nav(CARD('trail-runner'));
      await c.h.wander(1, [100, 150, 800, 700]);
      await c.h.click('#thumb-2');
      await c.h.pause(900, 1400);
      await c.h.click('#size-eu42');
      await c.h.pause(400, 800);
      await c.h.click('#add-to-cart');
      await c.h.pause(700, 1100);
      await c.nav('#toast-view-cart');
      await c.h.wander(1);
      await c.nav('#checkout-button');
      await fillCheckout(c, CHECKOUT_FIELDS);
      await c.h.click('#country');
      await c.page.selectOption('#country', 'DE');
      await fillCheckout(c, PAYMENT_FIELDS);
      await c.h.click('#terms');
      await c.h.pause(500, 900);
      await c.nav('#place-order');
      await c.h.wander(2);
    },
  },
  {
    name: 'convert-mobile', device: 'mobile', seed: 19,
    description: 'Converting mobile visit (390x844, touch): home -> Alpine Shell -> size M -> add to cart -> cart -> checkout -> place order -> confirmation.',
    async script(c) {
      await c.goto('/');
      await c.h.pause(1200, 1800);
      await c.h.scrollBy(700);
      await c.h.pause(1000, 1500);
      await c.nav(CARD('alpine-shell'));
      await c.h.pause(1500, 2000);
      await c.h.click('#thumb-4');
      await c.h.pause(900, 1300);
      await c.h.click('#size-m');
      await c.h.pause(400, 800);
      await c.h.click('#add-to-cart');
      await c.h.pause(900, 1300);
      await c.nav('#cart-link');
      await c.h.pause(1200, 1600);
      await c.nav('#checkout-button');
      await fillCheckout(c, CHECKOUT_FIELDS);
      await c.h.click('#country');
      await c.page.selectOption('#country', 'AT');
      await fillCheckout(c, PAYMENT_FIELDS);
      await c.h.click('#terms');
      await c.h.pause(500, 900);
      await c.nav('#place-order');
      await c.h.pause(1500, 2000);
    },
  },
  {
    name: 'calm-reviews-desktop', device: 'desktop', seed: 20,
    description: 'Calm control: home -> Alpine Shell via hero button, reads the page top to bottom in small scroll steps down to the reviews and marks one review helpful.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(1);
      await c.nav('#hero-cta-secondary');
      await c.h.wander(2);
      await c.h.click('#swatch-2');
      await c.h.pause(1200, 1600);
      for (let i = 0; i < 8; i++) { await c.h.scrollBy(c.h.rand(300, 500)); await c.h.wander(1); }
      await c.h.click('#helpful-2');
      await c.h.pause(1500, 2200);
    },
  },
  {
    name: 'mobile-browse-taps', device: 'mobile', seed: 21,
    description: 'Mobile browsing with taps on scrolled pages: quick-add from the home grid, open the Ridgeline page, switch image, read reviews, mark helpful, scroll up, pick size, add to cart.',
    async script(c) {
      await c.goto('/');
      await c.h.pause(1000, 1500);
      await c.h.scrollBy(1300);
      await c.h.pause(800, 1200);
      await c.h.click('#products .card[data-slug="ember-vest"] .quick-add');
      await c.h.pause(1500, 2000);
      await c.h.scrollBy(-900);
      await c.nav(CARD('trail-runner'));
      await c.h.pause(1200, 1600);
      await c.h.click('#thumb-2');
      await c.h.pause(800, 1200);
      await c.h.reveal('#reviews');
      await c.h.pause(1500, 2000);
      await c.h.click('#helpful-3');
      await c.h.pause(800, 1200);
      await c.h.click('#size-eu41');
      await c.h.pause(500, 900);
      await c.h.click('#add-to-cart');
      await c.h.pause(1500, 2000);
    },
  },
  {
    name: 'newsletter-desktop', device: 'desktop', seed: 22,
    description: 'Micro-conversion: visitor scrolls the home page to the newsletter box and subscribes.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(2);
      await c.h.scrollBy(900);
      await c.h.wander(1);
      await c.fill('#newsletter-email', 'maria.jensen@example.com');
      await c.h.click('#newsletter-submit');
      await c.h.pause(1800, 2400);
      await c.h.wander(1);
    },
  },
  {
    name: 'idle-gap-desktop', device: 'desktop', seed: 23,
    description: 'Visitor reads the Alpine Shell page, leaves the tab untouched for ~19 s (no input at all), then returns, picks size L, adds to cart and opens the cart.',
    async script(c) {
      await c.goto('/product/alpine-shell.html');
      await c.h.wander(2);
      await c.h.scrollBy(700);
      await c.h.wander(1);
      const start = Date.now();
      await c.sleep(19000);
      c.idle.push({ start_ms: start, end_ms: Date.now() });
      await c.h.scrollBy(-700);
      await c.h.click('#size-l');
      await c.h.pause(400, 700);
      await c.h.click('#add-to-cart');
      await c.h.pause(800, 1200);
      await c.nav('#cart-link');
      await c.h.wander(1);
    },
  },
  {
    name: 'checkout-every-nth-desktop', device: 'desktop', seed: 24, checkoutEveryNth: 100,
    description: 'Recorded with checkoutEveryNth=100 (extra Meta+FullSnapshot pairs within one page load). Long browse of the footwear category with filters and sorting, then the Summit boot page.',
    async script(c) {
      await c.goto('/category/footwear.html');
      await c.h.wander(3);
      for (const f of ['#filter-trail', '#filter-hiking', '#price-over100', '#clear-filters']) { await c.h.click(f); await c.h.wander(1); }
      await c.h.click('#sort-select');
      await c.page.selectOption('#sort-select', 'price-asc');
      await c.h.wander(2);
      await c.h.scrollBy(500); await c.h.wander(2); await c.h.scrollBy(-500);
      await c.h.click('#sort-select');
      await c.page.selectOption('#sort-select', 'rating');
      await c.h.wander(2);
      await c.nav('#cat-grid .card[data-slug="summit-hiker"] .card-link');
      await c.h.wander(2);
      for (let i = 0; i < 6; i++) { await c.h.scrollBy(c.h.rand(400, 700)); await c.h.wander(1); }
      await c.h.scrollBy(-3500, { maxStep: 900 });
      await c.h.click('#thumb-4'); await c.h.wander(1);
      await c.h.click('#size-eu45'); await c.h.pause(500, 800);
      await c.h.click('#add-to-cart'); await c.h.wander(2);
    },
  },
  {
    name: 'calm-category-desktop', device: 'desktop', seed: 25,
    description: 'Calm control: hero CTA -> footwear category, filter trail, sort by price, open Ridgeline, change colour, read, back to the category via breadcrumb.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(2);
      await c.nav('#hero-cta');
      await c.h.wander(1);
      await c.h.click('#filter-trail');
      await c.h.wander(1);
      await c.h.click('#sort-select');
      await c.page.selectOption('#sort-select', 'price-asc');
      await c.h.wander(1);
      await c.nav('#cat-grid .card[data-slug="trail-runner"] .card-link');
      await c.h.wander(1);
      await c.h.click('#swatch-2');
      await c.h.pause(1000, 1500);
      await c.h.scrollBy(900); await c.h.wander(2); await c.h.scrollBy(-900);
      await c.nav('#product nav.breadcrumbs a:nth-of-type(2)');
      await c.h.wander(1);
    },
  },
  {
    name: 'calm-mobile-menu', device: 'mobile', seed: 26,
    description: 'Calm mobile control: open the hamburger menu, go to Jackets (Alpine Shell), change colour, pick size, add to cart, tap the sticky cart icon from a scrolled position, review the cart.',
    async script(c) {
      await c.goto('/');
      await c.h.pause(1200, 1600);
      await c.h.click('#menu-toggle');
      await c.h.pause(700, 1000);
      await c.nav('#nav-jackets');
      await c.h.pause(1200, 1800);
      await c.h.click('#swatch-2');
      await c.h.pause(600, 900);
      await c.h.click('#size-m');
      await c.h.pause(400, 700);
      await c.h.click('#add-to-cart');
      await c.h.pause(800, 1200);
      await c.h.scrollBy(900);
      await c.h.pause(1500, 2000);
      await c.nav('#cart-link');
      await c.h.pause(1200, 1600);
      await c.h.scrollBy(500);
      await c.h.pause(1000, 1400);
    },
  },
  {
    name: 'size-chart-hunt-desktop', device: 'desktop', seed: 27,
    description: 'Visitor wants the size chart: hovers the size picker, scrolls far down to find the size-chart link in "Size & fit", opens it, scrolls back up and picks a size.',
    async script(c) {
      await c.goto('/product/summit-hiker.html');
      await c.h.wander(1);
      const b = await c.h.reveal('#size-picker');
      await c.h.moveTo(b.x + b.width * 0.3, b.y + b.height * 0.6);
      await c.h.pause(1200, 1600);
      await c.h.click('#size-chart-link');
      await c.h.pause(1800, 2400);
      await c.h.scrollBy(250); await c.h.wander(1);
      await c.h.reveal('#size-picker');
      await c.h.click('#size-eu43');
      await c.h.pause(400, 800);
      await c.h.click('#add-to-cart');
      await c.h.pause(1500, 2000);
    },
  },
  {
    name: 'calm-help-desktop', device: 'desktop', seed: 28,
    description: 'Calm control: footer "Shipping" link -> help page, reads, then Footwear nav -> quick-adds socks.',
    async script(c) {
      await c.goto('/');
      await c.h.wander(1);
      await c.nav('.site-footer a[href="/help.html#shipping"]');
      await c.h.wander(2);
      await c.nav('#nav-footwear');
      await c.h.wander(1);
      await c.h.click('#cat-grid .card[data-slug="merino-socks"] .quick-add');
      await c.h.pause(1500, 2000);
    },
  },
  {
    name: 'rage-click-image-mobile', device: 'mobile', seed: 29,
    description: 'Mobile visitor taps the "Click to zoom" product image once, then taps it rapidly 4 more times (touch rage), then continues to the size picker.',
    async script(c) {
      await c.goto('/product/trail-runner.html');
      await c.h.pause(1500, 2000);
      const b = await c.h.reveal('#main-image');
      const x = Math.round(b.x + b.width * 0.5), y = Math.round(b.y + b.height * 0.5);
      await c.page.touchscreen.tap(x, y);
      const td = Date.now();
      let p = await c.pagePt({ x, y });
      c.plant('dead_click', td, td, p.x, p.y, '#main-image');
      await c.h.pause(1600, 2000);
      const start = Date.now();
      for (let i = 0; i < 4; i++) { await c.page.touchscreen.tap(x + Math.round(c.h.gauss() * 2), y + Math.round(c.h.gauss() * 2)); if (i < 3) await c.h.pause(120, 220); }
      c.plant('rage_click', start, Date.now(), p.x, p.y, '#main-image');
      await c.h.pause(1500, 2000);
      await c.h.click('#size-eu44');
      await c.h.pause(1000, 1500);
    },
  },
];
