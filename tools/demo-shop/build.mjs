// Generates the static Northwind Outfitters demo shop into ./site
// (HTML pages, SVG product art, catalog.js). CSS and JS live in
// site/assets/ and are hand-written. Run: node build.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { productSVG, heroSVG, tileSVG } from './art.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const site = path.join(here, 'site');
const catalog = JSON.parse(fs.readFileSync(path.join(here, 'catalog.json'), 'utf8'));

const write = (rel, text) => {
  const f = path.join(site, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
};
const eur = (v) => '€' + v.toFixed(2);
const stars = (r) => '★★★★★'.slice(0, Math.round(r)) + '☆☆☆☆☆'.slice(0, 5 - Math.round(r));

// ---------- images ----------
for (const [slug, p] of Object.entries(catalog)) {
  write(`img/${slug}.svg`, productSVG(slug, p, 1));
  if (p.page) {
    for (const v of [2, 3, 4]) write(`img/${slug}-${v}.svg`, productSVG(slug, p, v));
    if (p.colors.length > 1) write(`img/${slug}-alt.svg`, productSVG(slug, p, 1, 1));
  }
}
write('img/hero.svg', heroSVG());
for (const k of ['trail', 'alpine', 'camp']) write(`img/tile-${k}.svg`, tileSVG(k));
write('assets/catalog.js', `window.NW_CATALOG = ${JSON.stringify(catalog)};\n`);

// ---------- layout ----------
function layout({ title, page, body, promo = true, extraHead = '' }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – Northwind Outfitters</title>
<link rel="stylesheet" href="/assets/shop.css">${extraHead}
</head>
<body data-page="${page}">
${promo ? `<div class="promo-bar" id="promo-bar" data-trap="dead_promo"><span class="promo-text">Free shipping on orders over €150 – <u>see details</u> &rarr;</span></div>` : ''}
<header class="site-header" id="site-header">
  <div class="container header-inner">
    <button class="menu-toggle" id="menu-toggle" aria-label="Open menu" aria-expanded="false"><span></span><span></span><span></span></button>
    <a class="logo" href="/" id="logo"><svg viewBox="0 0 40 40" width="34" height="34" aria-hidden="true"><circle cx="20" cy="20" r="19" fill="#1f3d2b"/><path d="M7 28 L16 14 L21 21 L25 16 L33 28 Z" fill="#f6f3ee"/><path d="M14 17.2 L16 14 L18 17.2 Z" fill="#e2672b"/></svg><span>Northwind<small>Outfitters</small></span></a>
    <nav class="main-nav" id="main-nav" aria-label="Main">
      <a href="/category/footwear.html" id="nav-footwear">Footwear</a>
      <a href="/product/alpine-shell.html" id="nav-jackets">Jackets</a>
      <a href="/#products" id="nav-new">New arrivals</a>
      <a href="/help.html" id="nav-help">Help</a>
    </nav>
    <div class="header-actions">
      <label class="search" for="site-search"><span class="sr">Search</span><input id="site-search" name="q" type="search" placeholder="Search gear"></label>
      <a class="cart-link" href="/cart.html" id="cart-link" aria-label="Cart"><svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true"><path d="M6 7h12l-1.2 12.2a1 1 0 0 1-1 .8H8.2a1 1 0 0 1-1-.8L6 7Z" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M9 9V6a3 3 0 0 1 6 0v3" fill="none" stroke="currentColor" stroke-width="1.8"/></svg><span class="cart-count" id="cart-count">0</span></a>
    </div>
  </div>
</header>
<main id="main">
${body}
</main>
<footer class="site-footer">
  <div class="container footer-grid">
    <div class="footer-brand"><strong>Northwind Outfitters</strong><p>Gear for long days outside since 1987. Repaired, resoled and re-loved in our workshop in Tromsø.</p></div>
    <div><h4>Shop</h4><a href="/category/footwear.html">Footwear</a><a href="/product/alpine-shell.html">Jackets</a><a href="/#products">New arrivals</a></div>
    <div><h4>Help</h4><a href="/help.html#shipping">Shipping</a><a href="/help.html#returns">Returns</a><a href="/help.html#sizing">Size guide</a></div>
    <div><h4>Company</h4><a href="/help.html#about">About us</a><a href="/help.html#contact">Contact</a></div>
  </div>
  <div class="container footer-bottom">© 2024 Northwind Outfitters AS · Demo shop for SessionLens – no real orders</div>
</footer>
<div class="toast" id="toast" role="status" aria-live="polite" hidden></div>
<script src="/assets/catalog.js"></script>
<script src="/assets/shop.js"></script>
</body>
</html>
`;
}

function card(slug, p) {
  const img = `<img src="/img/${slug}.svg" alt="${p.name}" width="400" height="300" loading="eager">`;
  const badge = p.price >= 150 ? '<span class="badge">Free shipping</span>' : (p.reviews > 300 ? '<span class="badge badge-hot">Bestseller</span>' : '');
  if (p.page) {
    return `<article class="card" data-slug="${slug}" data-price="${p.price}" data-type="${p.type}">
  <a class="card-link" href="/product/${slug}.html"><div class="card-img">${img}${badge}</div>
  <h3>${p.name}</h3></a>
  <p class="card-meta"><span class="stars">${stars(p.rating)}</span> ${p.rating} (${p.reviews})</p>
  <p class="price">${eur(p.price)}</p>
</article>`;
  }
  return `<article class="card" data-slug="${slug}" data-price="${p.price}" data-type="${p.type}">
  <div class="card-img">${img}${badge}</div>
  <h3>${p.name}</h3>
  <p class="card-meta"><span class="stars">${stars(p.rating)}</span> ${p.rating} (${p.reviews})</p>
  <p class="price">${eur(p.price)}</p>
  <button class="btn btn-small quick-add" data-slug="${slug}">Quick add</button>
</article>`;
}

// ---------- home ----------
const homeSlugs = ['trail-runner', 'summit-hiker', 'alpine-shell', 'cascade-28', 'granite-approach', 'ember-vest', 'merino-tee', 'beacon-400', 'riverbed-sandal', 'ti-mug', 'merino-socks', 'tempo-trail'];
write('index.html', layout({
  title: 'Outdoor gear for long days outside', page: 'home', body: `
<section class="hero">
  <img class="hero-img" src="/img/hero.svg" alt="" width="1600" height="700">
  <div class="container hero-inner">
    <p class="eyebrow">Autumn collection 2024</p>
    <h1>Built for the<br>long way round.</h1>
    <p class="hero-sub">Trail shoes, shells and packs tested on 4,000 km of Nordic trail.</p>
    <div class="hero-ctas"><a class="btn btn-primary btn-large" id="hero-cta" href="/category/footwear.html">Shop footwear</a><a class="btn btn-ghost btn-large" id="hero-cta-secondary" href="/product/alpine-shell.html">Meet the Alpine Shell</a></div>
  </div>
</section>
<section class="container tiles">
  <a class="tile" href="/category/footwear.html" id="tile-trail"><img src="/img/tile-trail.svg" alt="" width="600" height="400"><span>Trail running</span></a>
  <a class="tile" href="/product/alpine-shell.html" id="tile-alpine"><img src="/img/tile-alpine.svg" alt="" width="600" height="400"><span>Alpine &amp; shells</span></a>
  <a class="tile" href="/#products" id="tile-camp"><img src="/img/tile-camp.svg" alt="" width="600" height="400"><span>Camp essentials</span></a>
</section>
<section class="container products" id="products">
  <div class="section-head"><h2>New this season</h2><a href="/category/footwear.html" class="see-all" id="see-all">See all footwear &rarr;</a></div>
  <div class="grid">
${homeSlugs.map((s) => card(s, catalog[s])).join('\n')}
  </div>
</section>
<section class="values"><div class="container values-grid">
  <div><strong>30-day returns</strong><span>Worn it outside? Still fine.</span></div>
  <div><strong>Lifetime repairs</strong><span>Zips, seams and soles.</span></div>
  <div><strong>Climate neutral shipping</strong><span>Across the EU in 2–4 days.</span></div>
</div></section>
<section class="container newsletter" id="newsletter">
  <div><h2>Trail notes, once a month</h2><p>Route ideas, repair tips and first access to sample sales. No spam, unsubscribe anytime.</p></div>
  <form id="newsletter-form" class="newsletter-form" novalidate>
    <label for="newsletter-email" class="sr">Email address</label>
    <input id="newsletter-email" name="email" type="email" placeholder="you@example.com" autocomplete="email">
    <button type="submit" class="btn btn-primary" id="newsletter-submit">Subscribe</button>
    <p class="form-msg" id="newsletter-msg" aria-live="polite"></p>
  </form>
</section>` }));

// ---------- category ----------
const footwear = Object.entries(catalog).filter(([, p]) => p.category === 'footwear');
write('category/footwear.html', layout({
  title: 'Footwear', page: 'category', body: `
<div class="container">
  <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> / <span>Footwear</span></nav>
  <div class="cat-head"><h1>Footwear</h1><p>${footwear.length} products · Trail runners, hiking boots, approach shoes and sandals.</p></div>
  <div class="cat-layout">
    <aside class="filters" id="filters">
      <h2>Filter</h2>
      <fieldset><legend>Type</legend>
        ${['trail', 'hiking', 'approach', 'sandals', 'accessories'].map((t) => `<label class="check"><input type="checkbox" name="type" value="${t}" id="filter-${t}"> ${t[0].toUpperCase() + t.slice(1)}</label>`).join('\n        ')}
      </fieldset>
      <fieldset><legend>Price</legend>
        <label class="check"><input type="radio" name="price" value="all" id="price-all" checked> All prices</label>
        <label class="check"><input type="radio" name="price" value="under100" id="price-under100"> Under €100</label>
        <label class="check"><input type="radio" name="price" value="over100" id="price-over100"> €100 and up</label>
      </fieldset>
      <button class="btn btn-ghost btn-small" id="clear-filters" type="button">Clear filters</button>
    </aside>
    <section>
      <div class="sortbar"><span id="result-count">${footwear.length} results</span>
        <label for="sort-select">Sort by <select id="sort-select" name="sort"><option value="featured">Featured</option><option value="price-asc">Price: low to high</option><option value="price-desc">Price: high to low</option><option value="rating">Top rated</option></select></label></div>
      <div class="grid grid-3" id="cat-grid">
${footwear.map(([s, p]) => card(s, p)).join('\n')}
      </div>
    </section>
  </div>
</div>` }));

// ---------- product pages ----------
const productCopy = {
  'trail-runner': {
    eyebrow: 'Trail running', headline: 'Built for the long run',
    intro: 'The Ridgeline is our go-to shoe for technical singletrack: a 6 mm drop, a rock plate that does not feel like a plank, and 5 mm lugs that bite into wet roots and loose gravel alike. We designed it on the coastal trails around Lofoten, where one kilometre can take you from slick granite to peat bog.',
    features: [['Vibram® Megagrip outsole', 'Multi-directional 5 mm lugs for grip uphill and braking downhill.'], ['Flex rock plate', 'Shields the forefoot from sharp stones without killing ground feel.'], ['Drain-fast mesh', 'Engineered mesh sheds water after river crossings in minutes.']],
    specs: [['Weight', '285 g (EU 42)'], ['Drop', '6 mm (28 / 22 mm)'], ['Lugs', '5 mm'], ['Upper', 'Recycled polyester mesh'], ['Midsole', 'Supercritical EVA'], ['Fit', 'Regular, medium-wide toe box']],
    fit: 'Runs true to size. If you are between sizes or plan ultras with foot swelling, go half a size up.',
  },
  'summit-hiker': {
    eyebrow: 'Hiking boots', headline: 'Dry feet, day three',
    intro: 'Full-grain leather, a waterproof GORE-TEX® membrane and a stiff-but-forgiving nylon shank: the Summit is built for multi-day treks with a loaded pack. The wide heel and the deep 6 mm lugs keep you planted on scree descents, and the boot can be resoled in our workshop when the tread runs out.',
    features: [['GORE-TEX® lining', 'Waterproof and breathable, tested for 10,000 flex cycles in water.'], ['Resolable construction', 'Bring them back; we fit a new sole for €59.'], ['Ankle support', 'Padded collar and hooks lock the heel without pressure points.']],
    specs: [['Weight', '640 g (EU 42)'], ['Drop', '12 mm'], ['Lugs', '6 mm'], ['Upper', 'Full-grain leather, 1.8 mm'], ['Membrane', 'GORE-TEX® Performance'], ['Fit', 'Regular, roomy toe box']],
    fit: 'Roomy fit. Most hikers take their usual size; with thin socks consider half a size down.',
  },
  'alpine-shell': {
    eyebrow: 'Jackets', headline: 'Storm-proof, pocket-sized',
    intro: 'A three-layer shell made for when the forecast lies. The helmet-compatible hood adjusts with one hand, the pit zips dump heat on the climb and the whole jacket stuffs into its own chest pocket. Seams are taped with 13 mm tape and the PFC-free face fabric is rated 28,000 mm.',
    features: [['3-layer membrane', '28,000 mm waterproof, 25,000 g/m²/24h breathable.'], ['Helmet-compatible hood', 'Laminated brim and one-pull adjuster.'], ['Pit zips', 'Two-way 30 cm vents for steep climbs.']],
    specs: [['Weight', '395 g (size M)'], ['Waterproof', '28,000 mm'], ['Breathability', '25,000 g/m²/24h'], ['Face fabric', '40D recycled nylon, PFC-free DWR'], ['Pockets', '2 hand, 1 chest (stuff pocket)'], ['Fit', 'Athletic, room for a fleece']],
    fit: 'Athletic cut. If you layer a thick down jacket underneath, choose one size up.',
  },
};
const reviewers = [
  ['Ingrid H.', 'Bergen', 5, 'Best purchase this year', 'Wore them on the whole Kungsleden. No blisters, and they dried overnight in the hut every single time.'],
  ['Marco T.', 'Trento', 4, 'Great grip, narrow heel', 'Grip on wet rock is superb. The heel is a bit narrow for me, but after a week it settled in.'],
  ['Sofie L.', 'Copenhagen', 5, 'Fits exactly as described', 'Took my usual size and it is spot on. Looks great too – got asked about it twice on the trail.'],
  ['Jonas W.', 'Munich', 3, 'Good, but check the size chart', 'Quality is great, but I had to exchange for a bigger size. The size chart is hidden way down the page – put it next to the sizes!'],
  ['Aino K.', 'Tampere', 5, 'Repaired and still going', 'Second pair. The first one went back to the workshop once and came back like new.'],
  ['Pierre D.', 'Annecy', 4, 'Solid for the price', 'Does everything I need. Shipping cost surprised me at checkout, but delivery was fast.'],
];
const sizeCharts = {
  shoe: { head: ['EU', 'UK', 'US (M)', 'Foot length'], rows: [['39', '5.5', '6.5', '24.5 cm'], ['40', '6.5', '7.5', '25.2 cm'], ['41', '7', '8', '25.9 cm'], ['42', '8', '9', '26.5 cm'], ['43', '9', '10', '27.2 cm'], ['44', '9.5', '10.5', '27.9 cm'], ['45', '10.5', '11.5', '28.6 cm'], ['46', '11', '12', '29.2 cm']] },
  apparel: { head: ['Size', 'Chest', 'Waist', 'Sleeve'], rows: [['XS', '86–91 cm', '71–76 cm', '81 cm'], ['S', '91–97 cm', '76–81 cm', '83 cm'], ['M', '97–104 cm', '81–89 cm', '85 cm'], ['L', '104–112 cm', '89–97 cm', '87 cm'], ['XL', '112–120 cm', '97–105 cm', '89 cm'], ['XXL', '120–128 cm', '105–113 cm', '91 cm']] },
};
const related = { 'trail-runner': ['merino-socks', 'cascade-28', 'tempo-trail', 'beacon-400'], 'summit-hiker': ['merino-socks', 'cascade-28', 'alpine-shell', 'ti-mug'], 'alpine-shell': ['ember-vest', 'merino-tee', 'summit-hiker', 'cascade-28'] };

for (const [slug, p] of Object.entries(catalog).filter(([, p]) => p.page)) {
  const c = productCopy[slug];
  const chart = p.category === 'footwear' ? sizeCharts.shoe : sizeCharts.apparel;
  const imgs = [`/img/${slug}.svg`, `/img/${slug}-2.svg`, `/img/${slug}-3.svg`, `/img/${slug}-4.svg`];
  write(`product/${slug}.html`, layout({
    title: p.name, page: 'product', body: `
<div class="container product" data-slug="${slug}" id="product">
  <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> / <a href="${p.category === 'footwear' ? '/category/footwear.html' : '/#products'}">${p.category === 'footwear' ? 'Footwear' : 'Clothing'}</a> / <span>${p.name}</span></nav>
  <div class="pdp">
    <div class="gallery">
      <div class="main-image-wrap" id="main-image-wrap"><img id="main-image" class="main-image" data-trap="no_zoom_image" src="${imgs[0]}" alt="${p.name}" width="800" height="600"><span class="zoom-hint" aria-hidden="true"><svg viewBox="0 0 16 16" width="14" height="14"><circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M10 10l4 4M6.5 4.5v4M4.5 6.5h4" stroke="currentColor" stroke-width="2"/></svg> Click to zoom</span></div>
      <div class="thumbs" id="thumbs">
${imgs.map((src, i) => `        <button class="thumb${i === 0 ? ' active' : ''}" data-src="${src}" id="thumb-${i + 1}" aria-label="Image ${i + 1}"><img src="${src}" alt="" width="160" height="120"></button>`).join('\n')}
      </div>
    </div>
    <div class="buybox">
      <p class="eyebrow">${c.eyebrow}</p>
      <h1 id="product-title">${p.name}</h1>
      <a class="rating" href="#reviews" id="rating-link"><span class="stars">${stars(p.rating)}</span> ${p.rating} · ${p.reviews} reviews</a>
      <p class="pdp-price" id="price">${eur(p.price)}</p>
      <p class="tax-note">incl. VAT, plus shipping</p>
      <div class="swatches" id="swatches"><span class="label">Colour: <strong id="color-name">${p.colorNames[0]}</strong></span>
        <div>${p.colors.map((col, i) => `<button class="swatch${i === 0 ? ' active' : ''}" id="swatch-${i + 1}" data-color="${p.colorNames[i]}" data-img="${i === 0 ? imgs[0] : `/img/${slug}-alt.svg`}" style="background:${col}" aria-label="${p.colorNames[i]}"></button>`).join('')}</div></div>
      <div class="sizes" id="size-picker"><span class="label">Size: <strong id="size-name">choose</strong></span>
        <div class="size-grid">${p.sizes.map((s) => `<button class="size-option" data-size="${s}" id="size-${s.replace(/\s/g, '').toLowerCase()}">${s.replace('EU ', '')}</button>`).join('')}</div>
        <p class="form-error" id="size-error" aria-live="polite"></p></div>
      <button class="btn btn-primary btn-block btn-large" id="add-to-cart">Add to cart</button>
      <p class="stock"><span class="dot"></span> In stock – ships in 1–2 working days</p>
      <ul class="perks"><li>Free 30-day returns</li><li>Lifetime repair service</li><li>Pay by card or invoice</li></ul>
    </div>
  </div>
  <section class="pdp-section description" id="description">
    <p class="eyebrow">Why you'll love it</p><h2>${c.headline}</h2>
    <p class="lead">${c.intro}</p>
    <div class="features">${c.features.map(([h, t]) => `<div class="feature"><div class="feature-icon"></div><h3>${h}</h3><p>${t}</p></div>`).join('')}</div>
  </section>
  <section class="pdp-section two-col" id="specs">
    <div><h2>Specifications</h2><table class="specs">${c.specs.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table></div>
    <div><h2>Materials &amp; care</h2><p>Made in a bluesign® approved factory in Portugal. Recycled and bio-based materials make up 62% of the product by weight.</p><p>Rinse mud off with lukewarm water and let it air-dry away from direct heat. Never tumble dry. Re-proof the outer fabric once a season.</p><img class="detail-img" src="${imgs[2]}" alt="Detail view" width="800" height="600"></div>
  </section>
  <section class="pdp-section fit" id="size-fit">
    <h2>Size &amp; fit</h2><p>${c.fit}</p>
    <p><a href="#size-chart" class="text-link" id="size-chart-link" data-trap="far_size_chart">View size chart</a></p>
    <div class="size-chart" id="size-chart" hidden><table class="specs"><tr>${chart.head.map((h) => `<th>${h}</th>`).join('')}</tr>${chart.rows.map((r) => `<tr>${r.map((v) => `<td>${v}</td>`).join('')}</tr>`).join('')}</table></div>
  </section>
  <section class="pdp-section" id="related"><h2>Complete the kit</h2><div class="grid">${related[slug].map((s) => card(s, catalog[s])).join('')}</div></section>
  <section class="pdp-section reviews" id="reviews">
    <div class="reviews-head"><div><h2>Reviews</h2><p class="big-rating"><span class="stars">${stars(p.rating)}</span> ${p.rating} out of 5 · ${p.reviews} reviews</p></div><button class="btn btn-ghost" id="write-review">Write a review</button></div>
    <p class="form-msg" id="review-msg" aria-live="polite"></p>
    <div class="review-list">${reviewers.map(([n, city, r, h, t], i) => `<article class="review" id="review-${i + 1}"><p class="stars">${stars(r)}</p><h3>${h}</h3><p>${t}</p><p class="review-meta">${n} · ${city} · Verified buyer</p><button class="helpful" data-count="${3 + i * 2}" id="helpful-${i + 1}">Helpful (${3 + i * 2})</button></article>`).join('')}</div>
  </section>
</div>` }));
}

// ---------- cart / checkout / confirmation / help ----------
write('cart.html', layout({
  title: 'Your cart', page: 'cart', body: `
<div class="container cart-page">
  <h1>Your cart</h1>
  <div class="cart-layout">
    <section><div id="cart-items" class="cart-items"></div><a href="/" class="text-link" id="continue-shopping">&larr; Continue shopping</a></section>
    <aside class="summary" id="cart-summary">
      <h2>Order summary</h2>
      <div class="ship-notice" id="shipping-notice"></div>
      <dl><dt>Subtotal</dt><dd id="cart-subtotal">€0.00</dd><dt>Shipping</dt><dd id="cart-shipping" data-trap="late_shipping_cost">Calculated at checkout</dd></dl>
      <div class="coupon"><label for="coupon-code">Discount code</label><div class="coupon-row"><input id="coupon-code" name="coupon" type="text" placeholder="e.g. TRAIL10"><button class="btn btn-ghost" id="apply-coupon" data-trap="coupon_error" type="button">Apply</button></div></div>
      <a class="btn btn-primary btn-block btn-large" id="checkout-button" href="/checkout.html">Go to checkout</a>
      <p class="secure">Secure checkout · 30-day returns</p>
    </aside>
  </div>
</div>` }));

const field = (name, label, attrs = '', full = false) => `<div class="field${full ? ' full' : ''}"><label for="${name}">${label}</label><input id="${name}" name="${name}" ${attrs}></div>`;
write('checkout.html', layout({
  title: 'Checkout', page: 'checkout', promo: false, body: `
<div class="container checkout-page">
  <h1>Checkout</h1>
  <div class="checkout-layout">
    <form id="checkout-form" class="checkout-form" novalidate action="/confirmation.html" method="get">
      <fieldset><legend>1. Contact</legend>
        ${field('email', 'Email', 'type="email" autocomplete="email" required', true)}
        ${field('phone', 'Phone (for delivery updates)', 'type="tel" autocomplete="tel"', true)}
      </fieldset>
      <fieldset><legend>2. Delivery address</legend>
        ${field('first_name', 'First name', 'autocomplete="given-name" required')}
        ${field('last_name', 'Last name', 'autocomplete="family-name" required')}
        ${field('address', 'Street and house number', 'autocomplete="street-address" required', true)}
        <div class="field"><label for="postcode">Postcode</label><input id="postcode" name="postcode" autocomplete="postal-code" inputmode="numeric" aria-describedby="postcode-error" required><p class="field-error" id="postcode-error" role="alert" hidden></p></div>
        ${field('city', 'City', 'autocomplete="address-level2" required')}
        <div class="field full"><label for="country">Country</label><select id="country" name="country"><option value="DE">Germany</option><option value="NL">Netherlands</option><option value="AT">Austria</option><option value="FR">France</option><option value="DK">Denmark</option><option value="SE">Sweden</option><option value="NO">Norway</option></select></div>
      </fieldset>
      <fieldset><legend>3. Shipping method</legend>
        <label class="radio-card"><input type="radio" name="shipping" value="standard" id="ship-standard" checked> <span>Standard (2–4 days)</span><strong id="ship-standard-price">€6.95</strong></label>
        <label class="radio-card"><input type="radio" name="shipping" value="express" id="ship-express"> <span>Express (next day)</span><strong>€14.95</strong></label>
      </fieldset>
      <fieldset><legend>4. Payment</legend>
        ${field('card_name', 'Name on card', 'autocomplete="cc-name" required', true)}
        ${field('card_number', 'Card number', 'inputmode="numeric" autocomplete="cc-number" placeholder="1234 5678 9012 3456" required', true)}
        ${field('card_expiry', 'Expiry (MM/YY)', 'autocomplete="cc-exp" placeholder="MM/YY" required')}
        ${field('card_cvc', 'CVC', 'inputmode="numeric" autocomplete="cc-csc" placeholder="123" required')}
      </fieldset>
      <label class="check terms"><input type="checkbox" name="terms" id="terms"> I accept the terms and conditions</label>
      <p class="form-error" id="checkout-error" aria-live="polite"></p>
      <button class="btn btn-primary btn-block btn-large" type="submit" id="place-order">Place order</button>
    </form>
    <aside class="summary" id="checkout-summary">
      <h2>Your order</h2>
      <div id="checkout-items" class="mini-items"></div>
      <dl><dt>Subtotal</dt><dd id="co-subtotal">€0.00</dd><dt>Shipping</dt><dd id="shipping-cost" data-trap="late_shipping_cost">€6.95</dd><dt class="total">Total</dt><dd class="total" id="co-total">€0.00</dd></dl>
      <a href="/cart.html" class="text-link" id="back-to-cart">&larr; Back to cart</a>
    </aside>
  </div>
</div>` }));

write('confirmation.html', layout({
  title: 'Order confirmed', page: 'confirmation', promo: false, body: `
<div class="container confirm-page">
  <div class="confirm-card">
    <div class="check-icon" aria-hidden="true">✓</div>
    <h1 id="confirm-title">Thank you for your order!</h1>
    <p>Your order number is <strong id="order-id">–</strong>. A confirmation has been sent to <strong id="order-email">your email</strong>.</p>
    <div id="order-items" class="mini-items"></div>
    <dl><dt>Total paid</dt><dd id="order-total">€0.00</dd></dl>
    <a class="btn btn-primary" href="/" id="continue-after-order">Continue shopping</a>
  </div>
</div>` }));

write('help.html', layout({
  title: 'Help & FAQ', page: 'help', body: `
<div class="container help-page">
  <h1>Help &amp; FAQ</h1>
  <section id="shipping"><h2>Shipping</h2><p>Standard delivery within the EU costs €6.95 and takes 2–4 working days. Orders over €150 ship free. Express delivery (next working day) costs €14.95.</p></section>
  <section id="returns"><h2>Returns</h2><p>You can return unused – or lightly used on the trail – items within 30 days. Print the return label from your order confirmation e-mail.</p></section>
  <section id="sizing"><h2>Size guide</h2><p>Every product page has a size chart in the “Size &amp; fit” section. For footwear, measure your foot in the evening and add 5–10 mm.</p></section>
  <section id="about"><h2>About us</h2><p>Northwind Outfitters is a fictional shop made for testing session analytics. Nothing here is for sale.</p></section>
  <section id="contact"><h2>Contact</h2><p>Write to hello@northwind.example or call +47 000 00 000 (Mon–Fri 9–17 CET).</p></section>
</div>` }));

console.log('site generated in', path.relative(process.cwd(), site) || '.');
