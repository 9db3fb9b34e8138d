// Scripted visitors for the SDK recordings. The MPA and SPA purchase visits do the same
// steps on the same routes in the same order: home -> footwear -> Ridgeline product ->
// add to cart -> cart -> checkout (full form) -> place order -> confirmation / thank-you.
const CHECKOUT_FIELDS = [
  ['#email', 'lena.fischer@example.com'], ['#phone', '+49 151 2345678'],
  ['#first_name', 'Lena'], ['#last_name', 'Fischer'], ['#address', 'Bergstraße 12'],
  ['#postcode', '80331'], ['#city', 'München'],
];
const PAYMENT_FIELDS = [['#card_name', 'Lena Fischer'], ['#card_number', '4242 4242 4242 4242'], ['#card_expiry', '08/27'], ['#card_cvc', '123']];
const CAT_CARD = (slug) => `#cat-grid .card[data-slug="${slug}"] .card-link`;

async function closeConsent(c, which = '#consent-accept') {
  if (c.site !== 'spa') return;
  await c.h.pause(700, 1200);
  await c.h.click(which);
  await c.h.pause(400, 800);
}

async function checkout(c) {
  for (const [sel, text] of CHECKOUT_FIELDS) await c.fill(sel, text);
  await c.h.click('#country');
  await c.page.selectOption('#country', 'DE');
  for (const [sel, text] of PAYMENT_FIELDS) await c.fill(sel, text);
  await c.h.click('#terms');
  await c.h.pause(500, 900);
  await c.nav('#place-order');
}

/** home -> footwear -> product -> add -> cart -> checkout -> order (MPA and SPA). */
async function purchase(c) {
  await c.goto('/');
  await closeConsent(c);
  await c.h.wander(2);
  await c.h.scrollBy(500);
  await c.h.wander(1);
  await c.h.scrollBy(-500);
  await c.nav('#nav-footwear');
  await c.h.wander(1);
  await c.h.scrollBy(350);
  await c.h.wander(1);
  await c.nav(CAT_CARD('trail-runner'));
  await c.h.wander(1, [100, 150, 800, 700]);
  await c.h.click('#thumb-2');
  await c.h.pause(900, 1400);
  await c.h.click('#size-eu42');
  await c.h.pause(400, 800);
  await c.h.click('#add-to-cart');
  await c.h.pause(700, 1100);
  if (c.site === 'spa') {
    await c.h.click('#cart-link'); // opens the cart drawer
    await c.h.pause(900, 1400);
    await c.nav('#drawer-view-cart');
  } else {
    await c.nav('#toast-view-cart');
  }
  await c.h.wander(1);
  await c.nav('#checkout-button');
  await checkout(c);
  await c.h.wander(2);
  await c.h.scrollBy(300);
  await c.h.wander(1);
}

export const SCENARIOS = [
  {
    name: 'ph-mpa-purchase', sdk: 'posthog', site: 'mpa', seed: 31, identify: true,
    description: 'posthog-js on the multi-page shop. Converting visit: home -> footwear category -> Ridgeline product (thumbnail, size EU 42, add to cart) -> toast "View cart" -> cart -> checkout (full form) -> place order -> confirmation. Shop events go to posthog.capture and, as rrweb custom events, to the recording (posthog.sessionRecording.tryAddCustomEvent); purchase carries value; the visitor is identified (posthog.identify) at purchase.',
    script: purchase,
  },
  {
    name: 'ph-spa-purchase', sdk: 'posthog', site: 'spa', seed: 31, identify: true,
    description: 'posthog-js on the single-page shop (history.pushState routes, capture_pageview "history_change"). Same visit as ph-mpa-purchase: consent banner accepted, home -> /category/footwear -> /product/trail-runner (thumbnail, size EU 42, add to cart) -> cart drawer opened -> "View cart" -> /cart -> /checkout (full form) -> place order -> /thank-you. Shop events as in ph-mpa-purchase; identified at purchase.',
    script: purchase,
  },
  {
    name: 'sentry-spa-purchase', sdk: 'sentry', site: 'spa', seed: 31,
    description: '@sentry/browser Session Replay on the single-page shop, same visit as ph-spa-purchase. Shop events are Sentry breadcrumbs (category "shop", message = event name, data = payload) and appear in the replay as breadcrumb custom events. Sentry default privacy: all text masked, inputs masked, media blocked.',
    script: purchase,
  },
  {
    name: 'ph-spa-browse-no-purchase', sdk: 'posthog', site: 'spa', seed: 33, track: false,
    description: 'posthog-js on the single-page shop WITHOUT any shop custom events (no slTrack hook): consent banner closed ("Only necessary"), home -> /product/alpine-shell from the hero -> back to home via logo -> /category/footwear -> /product/summit-hiker (size EU 43, add to cart) -> cart drawer -> /cart -> /checkout (full form) -> clicks #place-order -> /thank-you. Conversion is only visible as the #place-order click and the /thank-you route.',
    async script(c) {
      await c.goto('/');
      await closeConsent(c, '#consent-reject');
      await c.h.wander(2);
      await c.nav('#hero-cta-secondary');
      await c.h.wander(1);
      await c.h.scrollBy(900);
      await c.h.wander(1);
      await c.nav('#logo');
      await c.h.wander(1);
      await c.nav('#nav-footwear');
      await c.h.scrollBy(300);
      await c.nav(CAT_CARD('summit-hiker'));
      await c.h.wander(1, [100, 150, 800, 700]);
      await c.h.click('#size-eu43');
      await c.h.pause(400, 800);
      await c.h.click('#add-to-cart');
      await c.h.pause(700, 1100);
      await c.h.click('#cart-link');
      await c.h.pause(900, 1400);
      await c.nav('#drawer-view-cart');
      await c.h.wander(1);
      await c.nav('#checkout-button');
      await checkout(c);
      await c.h.wander(2);
    },
  },
  {
    name: 'sentry-mpa-browse', sdk: 'sentry', site: 'mpa', seed: 35,
    description: '@sentry/browser Session Replay on the multi-page shop, a browsing visit without purchase: home -> footwear category (sort by price) -> Summit boot product (scrolls to reviews) -> help page. Shop events (view_item) as Sentry breadcrumbs. Default privacy (text masked).',
    async script(c) {
      await c.goto('/');
      await c.h.wander(2);
      await c.h.scrollBy(700);
      await c.h.wander(1);
      await c.nav('#nav-footwear');
      await c.h.wander(1);
      await c.h.click('#sort-select');
      await c.page.selectOption('#sort-select', 'price-asc');
      await c.h.pause(800, 1200);
      await c.nav(CAT_CARD('summit-hiker'));
      await c.h.wander(1);
      await c.h.scrollBy(1800);
      await c.h.wander(1);
      await c.h.scrollBy(-2000);
      await c.nav('#nav-help');
      await c.h.wander(2);
      await c.h.scrollBy(600);
    },
  },
];
