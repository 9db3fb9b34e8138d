// A recorded A/B test on the demo shop: experiment "pdp-layout" on the Ridgeline product
// page (see tools/demo-shop/README.md). 12 desktop visitors, 6 per variant. Each enters on
// the home page or the footwear category and opens the product from a card; the driver
// plays the A/B tool's redirect (`/product/trail-runner.html` -> `?exp=<variant>`), so the
// recorded product URL carries the variant. `converts` is what the script does (checked
// against the recorded `purchase` event by record-abtest.mjs).

export const EXPERIMENT = { name: 'pdp-layout', param: 'exp', product_path: '/product/trail-runner.html', event: 'experiment' };

const HOME_CARD = '#products .card[data-slug="trail-runner"] .card-link';
const CAT_CARD = '#cat-grid .card[data-slug="trail-runner"] .card-link';
const PAYMENT = (name) => [['#card_name', name], ['#card_number', '4242 4242 4242 4242'], ['#card_expiry', '08/27'], ['#card_cvc', '123']];
const BUYERS = {
  lena: [['#email', 'lena.fischer@example.com'], ['#first_name', 'Lena'], ['#last_name', 'Fischer'], ['#address', 'Bergstraße 12'], ['#postcode', '80331'], ['#city', 'München']],
  tom: [['#email', 'tom.evers@example.com'], ['#first_name', 'Tom'], ['#last_name', 'Evers'], ['#address', 'Hafenstraße 3'], ['#postcode', '20457'], ['#city', 'Hamburg']],
  ana: [['#email', 'ana.costa@example.com'], ['#first_name', 'Ana'], ['#last_name', 'Costa'], ['#address', 'Gartenweg 8'], ['#postcode', '50667'], ['#city', 'Köln']],
  paul: [['#email', 'paul.meier@example.com'], ['#first_name', 'Paul'], ['#last_name', 'Meier'], ['#address', 'Ringstraße 21'], ['#postcode', '10115'], ['#city', 'Berlin']],
  eva: [['#email', 'eva.lind@example.com'], ['#first_name', 'Eva'], ['#last_name', 'Lind'], ['#address', 'Am Markt 5'], ['#postcode', '04109'], ['#city', 'Leipzig']],
  kai: [['#email', 'kai.brandt@example.com'], ['#first_name', 'Kai'], ['#last_name', 'Brandt'], ['#address', 'Seestraße 40'], ['#postcode', '70173'], ['#city', 'Stuttgart']],
};

/** Entry on the home page (scroll to the grid) or the footwear category, then the product. */
async function enter(c, from) {
  if (from === 'home') {
    await c.goto('/');
    await c.h.wander(2);
    await c.h.scrollBy(c.h.rand(400, 650));
    await c.h.wander(1);
    await c.nav(HOME_CARD);
  } else {
    await c.goto('/category/footwear.html');
    await c.h.wander(1);
    await c.h.click('#filter-trail');
    await c.h.wander(1);
    await c.nav(CAT_CARD);
  }
  await c.h.wander(1, [100, 150, 1300, 750]);
}

/** Size + "Add to cart" wherever the variant puts them (reveal scrolls to them). */
async function addToCart(c, sizeId) {
  await c.h.click(sizeId);
  await c.h.pause(500, 900);
  await c.h.click('#add-to-cart');
  await c.h.pause(900, 1400);
}

/** Read down the page in a few wheel bursts and come back up. */
async function read(c, steps, lo = 350, hi = 650) {
  let down = 0;
  for (let i = 0; i < steps; i++) { const dy = c.h.rand(lo, hi); down += dy; await c.h.scrollBy(dy); await c.h.wander(1); }
  return down;
}

async function checkout(c, buyer, via = 'toast') {
  await c.nav(via === 'toast' ? '#toast-view-cart' : '#cart-link');
  await c.h.wander(1);
  await c.nav('#checkout-button');
  for (const [sel, text] of BUYERS[buyer]) await c.fill(sel, text);
  for (const [sel, text] of PAYMENT(BUYERS[buyer][1][1] + ' ' + BUYERS[buyer][2][1])) await c.fill(sel, text);
  await c.h.click('#terms');
  await c.h.pause(500, 900);
  await c.nav('#place-order');
  await c.h.wander(2);
}

const visit = (name, variant, seed, entry, converts, description, script) => ({ name, variant, entry, converts, device: 'desktop', seed, description: `A/B test ${EXPERIMENT.name}, variant ${variant}: ${description}`, script });

export const ABTEST_SCENARIOS = [
  visit('ab-a-convert-home', 'A', 41, 'home', true,
    'home -> Ridgeline card -> thumbnail 2, size EU 42 and "Add to cart" in the buy box (right column) -> toast "View cart" -> checkout -> purchase.',
    async (c) => {
      await enter(c, 'home');
      await c.h.click('#thumb-2');
      await c.h.pause(900, 1400);
      await addToCart(c, '#size-eu42');
      await checkout(c, 'lena', 'toast');
    }),
  visit('ab-a-convert-category', 'A', 42, 'category', true,
    'footwear category (filter trail) -> Ridgeline card -> reads down to the specs and back up -> size EU 43 and "Add to cart" in the buy box -> header cart -> checkout -> purchase.',
    async (c) => {
      await enter(c, 'category');
      const down = await read(c, 3);
      await c.h.scrollBy(-down, { maxStep: 900 });
      await c.h.wander(1);
      await addToCart(c, '#size-eu43');
      await c.h.pause(2500, 3200);
      await checkout(c, 'tom', 'header');
    }),
  visit('ab-a-browse-home', 'A', 43, 'home', false,
    'home -> Ridgeline card -> changes colour, reads the page down to the reviews, marks one helpful and leaves (no cart).',
    async (c) => {
      await enter(c, 'home');
      await c.h.click('#swatch-2');
      await c.h.pause(1000, 1500);
      await read(c, 7, 400, 600);
      await c.h.click('#helpful-1');
      await c.h.pause(1500, 2200);
    }),
  visit('ab-a-cart-abandon-category', 'A', 44, 'category', false,
    'footwear category -> Ridgeline card -> size EU 41 and "Add to cart" in the buy box -> opens the cart from the toast and leaves there.',
    async (c) => {
      await enter(c, 'category');
      await addToCart(c, '#size-eu41');
      await c.nav('#toast-view-cart');
      await c.h.wander(2);
    }),
  visit('ab-a-dead-image-home', 'A', 45, 'home', false,
    'home -> Ridgeline card -> clicks the main image twice (no zoom), thumbnail 3, scrolls to the description and leaves.',
    async (c) => {
      await enter(c, 'home');
      await c.h.click('#main-image', { spot: [0.5, 0.55] });
      await c.h.pause(2500, 3200);
      await c.h.click('#main-image', { spot: [0.4, 0.6] });
      await c.h.pause(2000, 2600);
      await c.h.click('#thumb-3');
      await c.h.pause(1000, 1500);
      await read(c, 2);
    }),
  visit('ab-a-size-chart-home', 'A', 46, 'home', false,
    'home -> Ridgeline card -> hovers the sizes, scrolls down to "View size chart", opens it, scrolls back, size EU 44 and "Add to cart" in the buy box, then leaves.',
    async (c) => {
      await enter(c, 'home');
      const b = await c.h.reveal('#size-picker');
      await c.h.moveTo(b.x + b.width * 0.4, b.y + b.height * 0.6);
      await c.h.pause(1000, 1400);
      await c.h.click('#size-chart-link');
      await c.h.pause(1800, 2400);
      await addToCart(c, '#size-eu44');
      await c.h.pause(1000, 1500);
    }),

  visit('ab-b-convert-home', 'B', 51, 'home', true,
    'home -> Ridgeline card -> size EU 42 and "Add to cart" in the buy panel above the gallery -> toast "View cart" -> checkout -> purchase.',
    async (c) => {
      await enter(c, 'home');
      await addToCart(c, '#size-eu42');
      await checkout(c, 'ana', 'toast');
    }),
  visit('ab-b-convert-category', 'B', 52, 'category', true,
    'footwear category (filter trail) -> Ridgeline card -> thumbnail 2, scrolls a little and back -> size EU 43 and "Add to cart" in the buy panel -> header cart -> checkout -> purchase.',
    async (c) => {
      await enter(c, 'category');
      await c.h.click('#thumb-2');
      await c.h.pause(900, 1300);
      const down = await read(c, 1);
      await c.h.scrollBy(-down);
      await addToCart(c, '#size-eu43');
      await c.h.pause(2500, 3200);
      await checkout(c, 'paul', 'header');
    }),
  visit('ab-b-convert-read-home', 'B', 53, 'home', true,
    'home -> Ridgeline card -> reads down to the specs and the recently viewed list, back to the top -> size EU 44 and "Add to cart" in the buy panel -> toast "View cart" -> checkout -> purchase.',
    async (c) => {
      await enter(c, 'home');
      const down = await read(c, 4);
      await c.h.scrollBy(-down, { maxStep: 900 });
      await c.h.wander(1);
      await addToCart(c, '#size-eu44');
      await checkout(c, 'eva', 'toast');
    }),
  visit('ab-b-convert-swatch-category', 'B', 54, 'category', true,
    'footwear category -> Ridgeline card -> changes colour, size EU 40 and "Add to cart" in the buy panel -> toast "View cart" -> checkout -> purchase.',
    async (c) => {
      await enter(c, 'category');
      await c.h.click('#swatch-2');
      await c.h.pause(900, 1300);
      await addToCart(c, '#size-eu40');
      await checkout(c, 'kai', 'toast');
    }),
  visit('ab-b-browse-home', 'B', 55, 'home', false,
    'home -> Ridgeline card -> hovers the trust box, thumbnail 3, reads down to the reviews and leaves (no cart).',
    async (c) => {
      await enter(c, 'home');
      const b = await c.h.box('#trust-box');
      await c.h.moveTo(b.x + b.width * 0.5, b.y + b.height * 0.5);
      await c.h.pause(1500, 2200);
      await c.h.click('#thumb-3');
      await c.h.pause(1000, 1500);
      await read(c, 6, 400, 600);
    }),
  visit('ab-b-cart-abandon-category', 'B', 56, 'category', false,
    'footwear category -> Ridgeline card -> size EU 45 and "Add to cart" in the buy panel -> opens the cart from the header and leaves there.',
    async (c) => {
      await enter(c, 'category');
      await addToCart(c, '#size-eu45');
      await c.h.pause(2000, 2600);
      await c.nav('#cart-link');
      await c.h.wander(2);
    }),
];
