/* Northwind Outfitters – demo shop behaviour.
 * Cart lives in localStorage. Conversions are reported through the optional
 * global hook window.slTrack(name, payload) (defined by the recorder).
 * Deliberate friction is marked with "TRAP:" comments (see README.md). */
(function () {
  'use strict';
  var CATALOG = window.NW_CATALOG || {};
  var CART_KEY = 'nw_cart_v1';
  var ORDER_KEY = 'nw_last_order_v1';
  var FREE_SHIPPING = 150;
  var SHIPPING = { standard: 6.95, express: 14.95 };
  var page = document.body.getAttribute('data-page');

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function eur(v) { return '€' + v.toFixed(2); }
  function round2(v) { return Math.round(v * 100) / 100; }

  function track(name, payload) {
    if (typeof window.slTrack === 'function') {
      try { window.slTrack(name, payload); } catch (e) { /* analytics must never break the shop */ }
    }
  }

  function getCart() {
    try { return JSON.parse(localStorage.getItem(CART_KEY)) || []; } catch (e) { return []; }
  }
  function saveCart(cart) {
    localStorage.setItem(CART_KEY, JSON.stringify(cart));
    updateBadge();
  }
  function cartSubtotal(cart) {
    return round2(cart.reduce(function (s, l) { return s + (CATALOG[l.slug] ? CATALOG[l.slug].price * l.qty : 0); }, 0));
  }
  function addToCart(slug, size, qty) {
    var cart = getCart();
    var line = cart.filter(function (l) { return l.slug === slug && l.size === size; })[0];
    if (line) line.qty += qty; else cart.push({ slug: slug, size: size, qty: qty });
    saveCart(cart);
    var p = CATALOG[slug];
    track('add_to_cart', { item_id: slug, item_name: p.name, size: size, quantity: qty, value: round2(p.price * qty), currency: 'EUR' });
    toast('Added ' + p.name + ' to your cart.', true);
  }
  function updateBadge() {
    var n = getCart().reduce(function (s, l) { return s + l.qty; }, 0);
    var b = $('#cart-count');
    if (b) b.textContent = String(n);
  }

  var toastTimer = null;
  function toast(text, withLink) {
    var t = $('#toast');
    if (!t) return;
    t.innerHTML = '';
    t.appendChild(document.createTextNode(text));
    if (withLink) {
      var a = document.createElement('a');
      a.href = '/cart.html'; a.id = 'toast-view-cart'; a.textContent = 'View cart';
      t.appendChild(a);
    }
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 3500);
  }

  function lineHTML(l, mini) {
    var p = CATALOG[l.slug];
    if (mini) {
      return '<div class="mini"><img src="/img/' + l.slug + '.svg" alt="" width="64" height="48"><span>' + p.name +
        '<br><small>' + l.size + ' × ' + l.qty + '</small></span><strong>' + eur(p.price * l.qty) + '</strong></div>';
    }
    return '<div class="line" data-slug="' + l.slug + '" data-size="' + l.size + '">' +
      '<img src="/img/' + l.slug + '.svg" alt="" width="120" height="90">' +
      '<div><h3>' + p.name + '</h3><p class="meta">' + l.size + ' · ' + eur(p.price) + '</p>' +
      '<span class="qty"><button class="qty-minus" aria-label="Decrease quantity">−</button><span>' + l.qty +
      '</span><button class="qty-plus" aria-label="Increase quantity">+</button></span>' +
      '<button class="remove">Remove</button></div>' +
      '<div class="line-price">' + eur(p.price * l.qty) + '</div></div>';
  }

  // ---------- header (all pages) ----------
  updateBadge();
  var menu = $('#menu-toggle');
  if (menu) menu.addEventListener('click', function () {
    var open = document.body.classList.toggle('nav-open');
    menu.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
  // TRAP dead_promo: #promo-bar is styled like a link (underline, arrow,
  // pointer cursor) but has no click handler and no href.

  // ---------- home ----------
  if (page === 'home' || page === 'category' || page === 'product') {
    $$('.quick-add').forEach(function (btn) {
      btn.addEventListener('click', function () {
        addToCart(btn.getAttribute('data-slug'), 'One size', 1);
      });
    });
  }
  var nl = $('#newsletter-form');
  if (nl) nl.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var email = $('#newsletter-email').value.trim();
    var msg = $('#newsletter-msg');
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      msg.textContent = 'Please enter a valid email address.';
      msg.className = 'form-msg error';
      return;
    }
    msg.textContent = 'Thanks! Check your inbox to confirm your subscription.';
    msg.className = 'form-msg';
    $('#newsletter-email').value = '';
    track('newsletter_signup', { source: 'home', email_domain: email.split('@')[1] });
  });

  // ---------- category ----------
  if (page === 'category') {
    var grid = $('#cat-grid');
    var cards = $$('.card', grid);
    var applyFilters = function () {
      var types = $$('input[name=type]:checked').map(function (i) { return i.value; });
      var price = ($('input[name=price]:checked') || {}).value || 'all';
      var sort = $('#sort-select').value;
      var shown = cards.filter(function (c) {
        var t = c.getAttribute('data-type'), pr = parseFloat(c.getAttribute('data-price'));
        var ok = (!types.length || types.indexOf(t) >= 0) &&
          (price === 'all' || (price === 'under100' ? pr < 100 : pr >= 100));
        c.hidden = !ok;
        return ok;
      });
      var key = function (c) { return parseFloat(c.getAttribute('data-price')); };
      var sorted = cards.slice();
      if (sort === 'price-asc') sorted.sort(function (a, b) { return key(a) - key(b); });
      if (sort === 'price-desc') sorted.sort(function (a, b) { return key(b) - key(a); });
      if (sort === 'rating') sorted.sort(function (a, b) { return CATALOG[b.getAttribute('data-slug')].rating - CATALOG[a.getAttribute('data-slug')].rating; });
      sorted.forEach(function (c) { grid.appendChild(c); });
      $('#result-count').textContent = shown.length + ' result' + (shown.length === 1 ? '' : 's');
    };
    $$('#filters input').forEach(function (i) { i.addEventListener('change', applyFilters); });
    $('#sort-select').addEventListener('change', applyFilters);
    $('#clear-filters').addEventListener('click', function () {
      $$('input[name=type]').forEach(function (i) { i.checked = false; });
      $('#price-all').checked = true;
      applyFilters();
    });
  }

  // ---------- product-page experiment "pdp-layout" (only with ?exp=A|B) ----------
  // One A/B test on one product page. The variant comes from the URL parameter `exp`
  // (A = today's page, B = size picker + "Add to cart" moved into a panel above the gallery
  // with a new trust box). Without a valid `exp` nothing here runs, so the page is unchanged.
  // Runs synchronously while the page loads (this script sits at the end of <body>), so the
  // DOM is restructured before rrweb's first FullSnapshot (taken at `load`).
  // Both variants also get content that changes on every visit without changing the variant:
  // a "N people are viewing this" line with a random element id (`rec-<random>`) and a
  // "Recently viewed" list of 2–4 items of identical structure.
  var EXPERIMENT = { name: 'pdp-layout', slug: 'trail-runner', param: 'exp' };
  function experimentVariant(slug) {
    if (page !== 'product' || slug !== EXPERIMENT.slug) return null;
    var m = new RegExp('[?&]' + EXPERIMENT.param + '=([^&#]*)').exec(location.search);
    var v = m ? decodeURIComponent(m[1]).toUpperCase() : '';
    return v === 'A' || v === 'B' ? v : null;
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function randomInt(lo, hi) { return lo + Math.floor(Math.random() * (hi - lo + 1)); }
  function applyExperiment(slug, variant) {
    var buybox = $('.buybox');
    // per-visit content, both variants
    var viewers = el('p', { 'class': 'exp-viewers', id: 'rec-' + Math.random().toString(36).slice(2, 10) },
      [el('span', { 'class': 'exp-pulse', 'aria-hidden': 'true' }), el('strong', {}, [String(randomInt(3, 48))]), ' people are viewing this right now']);
    buybox.insertBefore(viewers, $('.tax-note', buybox).nextSibling);
    var others = Object.keys(CATALOG).filter(function (s) { return s !== slug; });
    var picks = [];
    for (var n = randomInt(2, 4); picks.length < n;) picks.push(others.splice(randomInt(0, others.length - 1), 1)[0]);
    var recent = el('section', { 'class': 'pdp-section exp-recent', id: 'recently-viewed' }, [
      el('h2', {}, ['Recently viewed']),
      el('ul', { 'class': 'exp-recent-list' }, picks.map(function (s) {
        return el('li', { 'class': 'exp-recent-item' }, [
          el('img', { src: '/img/' + s + '.svg', alt: '', width: '120', height: '90' }),
          el('span', { 'class': 'exp-recent-name' }, [CATALOG[s].name]),
          el('span', { 'class': 'exp-recent-price' }, [eur(CATALOG[s].price)]),
        ]);
      })),
    ]);
    $('#product').insertBefore(recent, $('#related'));
    if (variant !== 'B') return;
    // variant B: size picker, "Add to cart" and stock line in a panel above the gallery,
    // next to a new trust box; the perks list goes away.
    var trust = el('aside', { 'class': 'exp-trust', id: 'trust-box' }, [
      el('h2', {}, ['Shop with confidence']),
      el('ul', {}, [
        el('li', {}, [el('strong', {}, ['Free returns']), el('span', {}, ['30 days, label in the parcel'])]),
        el('li', {}, [el('strong', {}, ['Secure payment']), el('span', {}, ['Card or invoice, 3-D Secure'])]),
        el('li', {}, [el('strong', {}, ['Lifetime repairs']), el('span', {}, ['In our workshop in Tromsø'])]),
      ]),
    ]);
    var action = el('div', { 'class': 'exp-buy-action' }, [$('#add-to-cart'), $('.stock', buybox)]);
    var panel = el('section', { 'class': 'exp-buy-panel', id: 'buy-panel', 'aria-label': 'Buy' }, [$('#size-picker'), action, trust]);
    var perks = $('.perks', buybox);
    if (perks) perks.parentNode.removeChild(perks);
    var pdp = $('.pdp');
    pdp.parentNode.insertBefore(panel, pdp);
  }

  // ---------- product ----------
  if (page === 'product') {
    var slug = $('#product').getAttribute('data-slug');
    var prod = CATALOG[slug];
    var selectedSize = null;
    var variant = experimentVariant(slug);
    if (variant) {
      applyExperiment(slug, variant);
      track('experiment', { experiment: EXPERIMENT.name, variant: variant });
    }
    track('view_item', { item_id: slug, item_name: prod.name, value: prod.price, currency: 'EUR' });
    // TRAP no_zoom_image: #main-image shows a zoom-in cursor and a
    // "Click to zoom" badge, but clicking it does nothing.
    $$('.thumb').forEach(function (th) {
      th.addEventListener('click', function () {
        $$('.thumb').forEach(function (x) { x.classList.remove('active'); });
        th.classList.add('active');
        $('#main-image').src = th.getAttribute('data-src');
      });
    });
    $$('.swatch').forEach(function (sw) {
      sw.addEventListener('click', function () {
        $$('.swatch').forEach(function (x) { x.classList.remove('active'); });
        sw.classList.add('active');
        $('#color-name').textContent = sw.getAttribute('data-color');
        $('#main-image').src = sw.getAttribute('data-img');
      });
    });
    $$('.size-option').forEach(function (b) {
      b.addEventListener('click', function () {
        $$('.size-option').forEach(function (x) { x.classList.remove('active'); });
        b.classList.add('active');
        selectedSize = b.getAttribute('data-size');
        $('#size-name').textContent = selectedSize;
        $('#size-error').textContent = '';
      });
    });
    $('#add-to-cart').addEventListener('click', function () {
      if (!selectedSize) {
        $('#size-error').textContent = 'Please choose a size first.';
        return;
      }
      addToCart(slug, selectedSize, 1);
    });
    // TRAP far_size_chart: the only size-chart link sits in the
    // "Size & fit" section, ~1500 px below the size picker.
    $('#size-chart-link').addEventListener('click', function (ev) {
      ev.preventDefault();
      var chart = $('#size-chart');
      chart.hidden = !chart.hidden;
    });
    $('#write-review').addEventListener('click', function () {
      $('#review-msg').textContent = 'Please sign in with the e-mail address of your order to write a review.';
    });
    $$('.helpful').forEach(function (h) {
      h.addEventListener('click', function () {
        var n = parseInt(h.getAttribute('data-count'), 10) + 1;
        h.setAttribute('data-count', String(n));
        h.textContent = 'Helpful (' + n + ') ✓';
        h.disabled = true;
      });
    });
  }

  // ---------- cart ----------
  if (page === 'cart') {
    var PROMO_RULES = {}; // would be loaded from the server; never is
    var renderCart = function () {
      var cart = getCart();
      var box = $('#cart-items');
      box.innerHTML = cart.length ? cart.map(function (l) { return lineHTML(l, false); }).join('') :
        '<p class="empty">Your cart is empty. <a href="/category/footwear.html" class="text-link">Browse footwear</a></p>';
      var sub = cartSubtotal(cart);
      $('#cart-subtotal').textContent = eur(sub);
      var missing = round2(FREE_SHIPPING - sub);
      $('#shipping-notice').innerHTML = missing > 0 ?
        'Add <strong>' + eur(missing) + '</strong> more for free shipping.<div class="ship-bar"><i style="width:' + Math.round(100 * sub / FREE_SHIPPING) + '%"></i></div>' :
        '<strong>You qualify for free shipping.</strong><div class="ship-bar"><i style="width:100%"></i></div>';
      $('#checkout-button').classList.toggle('disabled', !cart.length);
    };
    $('#cart-items').addEventListener('click', function (ev) {
      var lineEl = ev.target.closest('.line');
      if (!lineEl) return;
      var cart = getCart();
      var idx = -1;
      cart.forEach(function (l, i) { if (l.slug === lineEl.getAttribute('data-slug') && l.size === lineEl.getAttribute('data-size')) idx = i; });
      if (idx < 0) return;
      if (ev.target.closest('.qty-plus')) cart[idx].qty += 1;
      else if (ev.target.closest('.qty-minus')) cart[idx].qty = Math.max(1, cart[idx].qty - 1);
      else if (ev.target.closest('.remove')) cart.splice(idx, 1);
      else return;
      saveCart(cart);
      renderCart();
    });
    // TRAP coupon_error: the handler dereferences a missing promo rule and
    // throws "TypeError: Cannot read properties of undefined (reading 'percent')".
    $('#apply-coupon').addEventListener('click', function () {
      var code = $('#coupon-code').value.trim().toUpperCase();
      var rule = PROMO_RULES[code];
      var discount = round2(cartSubtotal(getCart()) * rule.percent / 100);
      $('#cart-subtotal').textContent = eur(cartSubtotal(getCart()) - discount);
    });
    $('#checkout-button').addEventListener('click', function (ev) {
      var cart = getCart();
      if (!cart.length) { ev.preventDefault(); return; }
      track('begin_checkout', { value: cartSubtotal(cart), currency: 'EUR', items: cart.length });
    });
    renderCart();
  }

  // ---------- checkout ----------
  if (page === 'checkout') {
    var form = $('#checkout-form');
    var paymentTracked = false;
    var totals = function () {
      var cart = getCart();
      var sub = cartSubtotal(cart);
      var method = (form.querySelector('input[name=shipping]:checked') || {}).value || 'standard';
      var ship = method === 'standard' && sub >= FREE_SHIPPING ? 0 : SHIPPING[method];
      return { cart: cart, sub: sub, ship: ship, total: round2(sub + ship) };
    };
    var renderSummary = function () {
      var t = totals();
      $('#checkout-items').innerHTML = t.cart.map(function (l) { return lineHTML(l, true); }).join('') || '<p class="empty">No items.</p>';
      $('#co-subtotal').textContent = eur(t.sub);
      // TRAP late_shipping_cost: the shipping price is revealed only here.
      $('#shipping-cost').textContent = t.ship ? eur(t.ship) : 'Free';
      $('#ship-standard-price').textContent = t.sub >= FREE_SHIPPING ? 'Free' : eur(SHIPPING.standard);
      $('#co-total').textContent = eur(t.total);
    };
    $$('input[name=shipping]').forEach(function (r) { r.addEventListener('change', renderSummary); });
    $('#card_number').addEventListener('change', function () {
      if (!paymentTracked && this.value.replace(/\D/g, '').length >= 12) {
        paymentTracked = true;
        track('add_payment_info', { value: totals().total, currency: 'EUR', payment_type: 'card' });
      }
    });
    // Field errors: a missing value marks the field's wrapper `.invalid`; a postcode that does
    // not fit the country sets aria-invalid and reveals its message. Each time a field's error
    // appears or goes away the page says so with a DOM event `sl:field-error` (the recorder
    // logs it as ground truth; nothing else listens).
    // TRAP postcode_format: the postcode must match the country's format exactly (no spaces
    // for Sweden or the Netherlands are forgiven), so many visitors see the error.
    var POSTCODE = { DE: [/^\d{5}$/, '5 digits'], FR: [/^\d{5}$/, '5 digits'], AT: [/^\d{4}$/, '4 digits'],
      DK: [/^\d{4}$/, '4 digits'], NO: [/^\d{4}$/, '4 digits'], SE: [/^\d{3} \d{2}$/, '3 digits, a space, 2 digits'],
      NL: [/^\d{4} [A-Z]{2}$/, '4 digits, a space, 2 capital letters'] };
    var errorShowing = function (el) {
      return el.getAttribute('aria-invalid') === 'true' || el.parentNode.classList.contains('invalid');
    };
    var setFieldError = function (el, change) {
      var before = errorShowing(el);
      change();
      var after = errorShowing(el);
      if (before !== after) {
        document.dispatchEvent(new CustomEvent('sl:field-error', { detail: { field: el.name, shown: after } }));
      }
    };
    var postcodeOk = function () {
      var el = form.elements.postcode;
      var rule = POSTCODE[form.elements.country.value] || POSTCODE.DE;
      return !el.value || rule[0].test(el.value);
    };
    var checkPostcode = function () {
      var el = form.elements.postcode;
      var ok = postcodeOk();
      var rule = POSTCODE[form.elements.country.value] || POSTCODE.DE;
      setFieldError(el, function () {
        if (ok) {
          el.removeAttribute('aria-invalid');
          $('#postcode-error').hidden = true;
        } else {
          el.setAttribute('aria-invalid', 'true');
          $('#postcode-error').textContent = 'Enter a valid postcode (' + rule[1] + ').';
          $('#postcode-error').hidden = false;
        }
      });
      return ok;
    };
    form.elements.postcode.addEventListener('blur', checkPostcode);
    form.elements.postcode.addEventListener('input', function () {
      // Once shown, the error goes away as soon as the value fits.
      if (this.getAttribute('aria-invalid') === 'true' && postcodeOk()) checkPostcode();
    });
    form.elements.country.addEventListener('change', function () {
      if (form.elements.postcode.value) checkPostcode();
    });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var required = ['email', 'first_name', 'last_name', 'address', 'postcode', 'city', 'card_name', 'card_number', 'card_expiry', 'card_cvc'];
      var missing = required.filter(function (n) {
        var el = form.elements[n];
        var bad = !el.value.trim();
        setFieldError(el, function () { el.parentNode.classList.toggle('invalid', bad); });
        return bad;
      });
      var postcodeValid = checkPostcode();
      var t = totals();
      if (missing.length || !postcodeValid || !$('#terms').checked || !t.cart.length) {
        $('#checkout-error').textContent = missing.length ? 'Please fill in all required fields.' :
          (!postcodeValid ? 'Please check your postcode.' :
            (!t.cart.length ? 'Your cart is empty.' : 'Please accept the terms and conditions.'));
        return;
      }
      var orderId = 'NW-' + String(Date.now()).slice(-7);
      var order = { order_id: orderId, email: form.elements.email.value, first_name: form.elements.first_name.value, items: t.cart, total: t.total };
      localStorage.setItem(ORDER_KEY, JSON.stringify(order));
      track('purchase', { value: t.total, currency: 'EUR', order_id: orderId });
      $('#place-order').disabled = true;
      $('#place-order').textContent = 'Processing payment…';
      setTimeout(function () {
        localStorage.removeItem(CART_KEY);
        location.href = '/confirmation.html';
      }, 600);
    });
    renderSummary();
  }

  // ---------- confirmation ----------
  if (page === 'confirmation') {
    var order = null;
    try { order = JSON.parse(localStorage.getItem(ORDER_KEY)); } catch (e) { order = null; }
    if (order) {
      $('#confirm-title').textContent = 'Thank you, ' + order.first_name + '!';
      $('#order-id').textContent = order.order_id;
      $('#order-email').textContent = order.email;
      $('#order-items').innerHTML = order.items.map(function (l) { return lineHTML(l, true); }).join('');
      $('#order-total').textContent = eur(order.total);
    }
  }
})();
