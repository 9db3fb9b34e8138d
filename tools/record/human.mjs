// Human-like input for Playwright: curved mouse paths with minimum-jerk
// velocity, overshoot and correction, reading pauses, wheel bursts, typing
// with variable delays, touch taps and swipes. Randomness is seeded.
import { sleep } from './lib.mjs';

export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Human {
  constructor(page, { seed = 1, mobile = false, cdp = null, viewport }) {
    this.page = page;
    this.r = rng(seed);
    this.mobile = mobile;
    this.cdp = cdp;
    this.vw = viewport.width;
    this.vh = viewport.height;
    this.x = Math.round(viewport.width * 0.55);
    this.y = Math.round(viewport.height * 0.45);
  }
  rand(a, b) { return a + (b - a) * this.r(); }
  gauss() { let u = 0; for (let i = 0; i < 4; i++) u += this.r(); return (u - 2) / 0.577; }
  async pause(a, b = a) { await sleep(Math.round(this.rand(a, b))); }
  async read(a, b = a) { await this.pause(a, b); }

  /** Single smooth segment from current point to (tx, ty). */
  async segment(tx, ty, durMs) {
    const { x: sx, y: sy } = this;
    const dx = tx - sx, dy = ty - sy;
    const dist = Math.hypot(dx, dy);
    const bend = this.rand(-0.18, 0.18) * dist;
    const nx = dist ? -dy / dist : 0, ny = dist ? dx / dist : 0;
    const cx = sx + dx * this.rand(0.3, 0.6) + nx * bend, cy = sy + dy * this.rand(0.3, 0.6) + ny * bend;
    const steps = Math.max(3, Math.round(durMs / 16));
    const t0 = Date.now();
    for (let i = 1; i <= steps; i++) {
      const u = i / steps;
      const s = 10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5; // minimum-jerk
      const x = (1 - s) ** 2 * sx + 2 * (1 - s) * s * cx + s * s * tx + this.gauss() * 0.4;
      const y = (1 - s) ** 2 * sy + 2 * (1 - s) * s * cy + s * s * ty + this.gauss() * 0.4;
      await this.page.mouse.move(Math.round(x * 10) / 10, Math.round(y * 10) / 10);
      const wait = t0 + (durMs * i) / steps - Date.now();
      if (wait > 0) await sleep(wait);
    }
    await this.page.mouse.move(tx, ty);
    this.x = tx; this.y = ty;
  }

  /** Move like a person: Fitts-like duration, optional overshoot + correction. */
  async moveTo(tx, ty, { target = 40, overshoot = 0.35 } = {}) {
    tx = Math.max(1, Math.min(this.vw - 2, tx)); ty = Math.max(1, Math.min(this.vh - 2, ty));
    const dist = Math.hypot(tx - this.x, ty - this.y);
    if (dist < 2) return;
    const dur = (180 + 150 * Math.log2(1 + dist / Math.max(8, target))) * this.rand(0.85, 1.25);
    if (dist > 120 && this.r() < overshoot) {
      const k = this.rand(0.04, 0.1);
      const ox = tx + (tx - this.x) * k + this.gauss() * 3, oy = ty + (ty - this.y) * k + this.gauss() * 3;
      await this.segment(Math.max(1, Math.min(this.vw - 2, ox)), Math.max(1, Math.min(this.vh - 2, oy)), dur * 0.85);
      await this.pause(40, 110);
      await this.segment(tx, ty, this.rand(110, 200));
    } else {
      await this.segment(tx, ty, dur);
    }
  }

  async box(selector) {
    const loc = this.page.locator(selector).first();
    await loc.waitFor({ state: 'visible', timeout: 10000 });
    return loc.boundingBox();
  }

  /** Scroll (wheel or swipe) until the element sits comfortably in the viewport. */
  async reveal(selector, { top = 110, bottom = 60 } = {}) {
    for (let i = 0; i < 25; i++) {
      const b = await this.box(selector);
      if (b.y >= top && b.y + b.height <= this.vh - bottom) return b;
      if (b.y >= 0 && b.y + b.height <= this.vh) {
        // visible but near an edge: fine if pinned (sticky/fixed) or the page cannot scroll that way
        const st = await this.page.locator(selector).first().evaluate((el) => ({
          pinned: !!(window.__slHelpers && window.__slHelpers.inFixed(el)), y: window.scrollY,
          max: document.documentElement.scrollHeight - window.innerHeight,
        }));
        if (st.pinned || (b.y < top && st.y <= 0) || (b.y >= top && st.y >= st.max - 1)) return b;
      }
      const want = b.y < top ? b.y - top - this.rand(20, 120) : b.y + b.height - (this.vh - bottom) + this.rand(60, 200);
      await this.scrollBy(this.mobile ? want * 0.8 : want, { maxStep: this.mobile ? 460 : 900 });
      await this.pause(150, 400);
    }
    return this.box(selector);
  }

  /** Scroll by ~dy CSS px: wheel notches of 100 px (desktop) or a swipe (mobile). */
  async scrollBy(dy, { maxStep = 900 } = {}) {
    if (this.mobile) maxStep = Math.min(maxStep, 460);
    let left = dy;
    while (Math.abs(left) >= 30) {
      const chunk = Math.sign(left) * Math.min(Math.abs(left), maxStep);
      if (this.mobile) await this.swipe(chunk);
      else {
        const notches = Math.max(1, Math.round(Math.abs(chunk) / 100));
        for (let i = 0; i < notches; i++) {
          await this.page.mouse.wheel(0, Math.sign(chunk) * 100);
          await this.pause(35, 85);
        }
      }
      left -= chunk;
      if (Math.abs(left) >= 30) await this.pause(180, 420);
    }
    await this.pause(120, 220); // let scroll settle
  }

  /** Finger swipe (CDP touch events) that scrolls the page by roughly dy. */
  async swipe(dy) {
    const dist = Math.min(Math.abs(dy), 460) * Math.sign(dy);
    const x = Math.round(this.rand(this.vw * 0.3, this.vw * 0.75));
    const y0 = Math.round(dy > 0 ? this.vh * this.rand(0.68, 0.8) : this.vh * this.rand(0.2, 0.32));
    const dur = this.rand(260, 420);
    const steps = Math.round(dur / 16);
    await this.cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y: y0 }] });
    for (let i = 1; i <= steps; i++) {
      const u = i / steps;
      const s = 1 - (1 - u) ** 2;
      await sleep(16);
      await this.cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: Math.round(x + this.gauss() * 1.5 + u * 6), y: Math.round(y0 - dist * s) }] });
    }
    await sleep(Math.round(this.rand(20, 90)));
    await this.cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await sleep(Math.round(this.rand(350, 600))); // fling settles
  }

  /** Hover-free click on a point inside the element (mouse) or a tap (touch). Returns viewport point. */
  async click(selector, { dwell = [90, 260], spot = null } = {}) {
    const b = await this.reveal(selector);
    const px = spot ? b.x + b.width * spot[0] : b.x + b.width / 2 + this.gauss() * b.width * 0.12;
    const py = spot ? b.y + b.height * spot[1] : b.y + b.height / 2 + this.gauss() * b.height * 0.12;
    const x = Math.round(Math.max(b.x + 2, Math.min(b.x + b.width - 2, px)));
    const y = Math.round(Math.max(b.y + 2, Math.min(b.y + b.height - 2, py)));
    if (this.mobile) {
      await this.pause(...dwell);
      await this.page.touchscreen.tap(x, y);
      this.x = x; this.y = y;
    } else {
      await this.moveTo(x, y, { target: Math.min(b.width, b.height) });
      await this.pause(...dwell);
      await this.page.mouse.down();
      await this.pause(55, 120);
      await this.page.mouse.up();
    }
    return { x, y };
  }

  async type(text, [a, b] = [55, 160]) {
    for (const ch of text) {
      await this.page.keyboard.type(ch);
      await this.pause(a, b);
      if (ch === ' ' || ch === '@') await this.pause(40, 160);
    }
  }

  /** Wander the cursor while "reading" a region (viewport coords). */
  async wander(n = 3, area = null) {
    if (this.mobile) { await this.pause(600 * n, 900 * n); return; }
    const [x0, y0, x1, y1] = area || [this.vw * 0.2, this.vh * 0.25, this.vw * 0.8, this.vh * 0.85];
    for (let i = 0; i < n; i++) {
      await this.moveTo(this.rand(x0, x1), this.rand(y0, y1), { overshoot: 0.1 });
      await this.pause(300, 1100);
    }
  }

  async scrollY() { return this.page.evaluate(() => window.scrollY); }
}
