/* Northwind Outfitters – single-page twin of the demo shop.
 * Routes (history.pushState): /  /category/<slug>  /product/<slug>  /cart  /checkout  /thank-you  /help
 * Each view is the body of the matching multi-page file (fetched with ?fragment=1), so the pages look
 * the same as the MPA shop; the MPA behaviour script /assets/shop.js is re-run for every view.
 * Adds a cart drawer (header cart icon) and a consent banner. Conversions go through the optional
 * window.slTrack(name, payload) hook, like the MPA shop. */
(function () {
  'use strict';
  var CATALOG = window.NW_CATALOG || {};
  var CART_KEY = 'nw_cart_v1';
  var ORDER_KEY = 'nw_last_order_v1';
  var CONSENT_KEY = 'nw_consent_v1';
  var FREE_SHIPPING = 150;
  var SHIPPING = { standard: 6.95, express: 14.95 };
  var root = document.getElementById('spa-root');
  var renderSeq = 0;

  function $(sel, r) { return (r || document).querySelector(sel); }
  function eur(v) { return '€' + v.toFixed(2); }
  function round2(v) { return Math.round(v * 100) / 100; }
  function track(name, payload) {
    if (typeof window.slTrack === 'function') {
      try { window.slTrack(name, payload); } catch (e) { /* analytics must never break the shop */ }
    }
  }
  function getCart() { try { return JSON.parse(localStorage.getItem(CART_KEY)) || []; } catch (e) { return []; } }
  function subtotal(cart) {
    return round2(cart.reduce(function (s, l) { return s + (CATALOG[l.slug] ? CATALOG[l.slug].price * l.qty : 0); }, 0));
  }

  /** SPA route -> multi-page source file. */
  function sourceFor(path) {
    if (path === '/' || path === '/index.html') return '/index.html';
    if (path === '/cart') return '/cart.html';
    if (path === '/checkout') return '/checkout.html';
    if (path === '/thank-you') return '/confirmation.html';
    if (path === '/help') return '/help.html';
    var m = /^\/(category|product)\/([a-z0-9-]+)$/.exec(path);
    if (m) return '/' + m[1] + '/' + m[2] + '.html';
    return null;
  }
  /** Multi-page href -> SPA route (keeps query and hash). */
  function spaHref(href) {
    var u = new URL(href, location.href);
    if (u.origin !== location.origin) return null;
    var p = u.pathname;
    if (p === '/index.html') p = '/';
    else if (p === '/confirmation.html') p = '/thank-you';
    else if (/\.html$/.test(p)) p = p.replace(/\.html$/, '');
    return p + u.search + u.hash;
  }

  function render(path, hash) {
    var seq = ++renderSeq;
    var src = sourceFor(path);
    document.body.classList.add('spa-loading');
    document.body.removeAttribute('data-spa-ready');
    if (!src) {
      root.innerHTML = '<main id="main" class="container"><h1>404 – page not found</h1><a href="/" class="text-link">Back to the shop</a></main>';
      document.body.setAttribute('data-page', 'not-found');
      done();
      return Promise.resolve();
    }
    return fetch(src + '?fragment=1', { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(function (html) {
      if (seq !== renderSeq) return;
      var doc = new DOMParser().parseFromString(html, 'text/html');
      Array.prototype.forEach.call(doc.querySelectorAll('script'), function (s) { s.remove(); });
      Array.prototype.forEach.call(doc.querySelectorAll('a[href]'), function (a) {
        var h = spaHref(a.getAttribute('href'));
        if (h !== null) a.setAttribute('href', h);
      });
      document.title = doc.title;
      document.body.setAttribute('data-page', doc.body.getAttribute('data-page') || '');
      root.innerHTML = doc.body.innerHTML;
      window.scrollTo(0, 0);
      // re-run the multi-page behaviour script for this view
      var s = document.createElement('script');
      s.src = '/assets/shop.js';
      s.onload = s.onerror = function () { s.remove(); afterView(); if (hash) { var t = document.getElementById(hash.slice(1)); if (t) t.scrollIntoView(); } done(); };
      document.body.appendChild(s);
    });
    function done() {
      document.body.classList.remove('spa-loading');
      document.body.setAttribute('data-spa-ready', path);
      window.__spaRenders = (window.__spaRenders || 0) + 1; // lets scripted visitors wait for a view
    }
  }

  function navigate(href) {
    var u = new URL(href, location.href);
    if (u.pathname === location.pathname && u.hash && u.search === location.search) {
      history.pushState({}, '', u.pathname + u.search + u.hash);
      var t = document.getElementById(u.hash.slice(1));
      if (t) t.scrollIntoView({ behavior: 'smooth' });
      return;
    }
    closeDrawer();
    history.pushState({}, '', u.pathname + u.search + u.hash);
    render(u.pathname, u.hash);
  }
  window.addEventListener('popstate', function () { closeDrawer(); render(location.pathname, location.hash); });

  // ---------- links: every same-origin link is a route ----------
  document.addEventListener('click', function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    var a = ev.target.closest && ev.target.closest('a[href]');
    if (!a) return;
    if (a.id === 'cart-link') { ev.preventDefault(); openDrawer(); return; }
    var h = spaHref(a.getAttribute('href'));
    if (h === null) return;
    ev.preventDefault();
    navigate(h);
  });

  // ---------- cart drawer ----------
  var drawer = $('#cart-drawer'), overlay = $('#drawer-overlay');
  function openDrawer() {
    var cart = getCart();
    $('#drawer-items').innerHTML = cart.length ? cart.map(function (l) {
      var p = CATALOG[l.slug];
      return '<div class="mini"><img src="/img/' + l.slug + '.svg" alt="" width="64" height="48"><span>' + p.name +
        '<br><small>' + l.size + ' × ' + l.qty + '</small></span><strong>' + eur(p.price * l.qty) + '</strong></div>';
    }).join('') : '<p class="empty">Your cart is empty.</p>';
    $('#drawer-subtotal').textContent = eur(subtotal(cart));
    overlay.hidden = false;
    drawer.setAttribute('aria-hidden', 'false');
    requestAnimationFrame(function () { overlay.classList.add('open'); drawer.classList.add('open'); });
  }
  function closeDrawer() {
    if (!drawer.classList.contains('open')) return;
    drawer.classList.remove('open');
    overlay.classList.remove('open');
    drawer.setAttribute('aria-hidden', 'true');
    setTimeout(function () { if (!drawer.classList.contains('open')) overlay.hidden = true; }, 300);
  }
  $('#drawer-close').addEventListener('click', closeDrawer);
  $('#drawer-continue').addEventListener('click', closeDrawer);
  overlay.addEventListener('click', closeDrawer);

  // ---------- consent banner ----------
  var banner = $('#consent-banner');
  if (!localStorage.getItem(CONSENT_KEY)) banner.hidden = false;
  function consent(v) { localStorage.setItem(CONSENT_KEY, v); banner.hidden = true; }
  $('#consent-accept').addEventListener('click', function () { consent('all'); });
  $('#consent-reject').addEventListener('click', function () { consent('necessary'); });

  // ---------- checkout: the MPA handler redirects with location.href, the SPA routes instead ----------
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form || form.id !== 'checkout-form') return;
    ev.preventDefault();
    ev.stopImmediatePropagation(); // capture phase on document: shop.js's own submit handler does not run
    var required = ['email', 'first_name', 'last_name', 'address', 'postcode', 'city', 'card_name', 'card_number', 'card_expiry', 'card_cvc'];
    var missing = required.filter(function (n) {
      var el = form.elements[n];
      var bad = !el.value.trim();
      el.parentNode.classList.toggle('invalid', bad);
      return bad;
    });
    var cart = getCart();
    var sub = subtotal(cart);
    var method = (form.querySelector('input[name=shipping]:checked') || {}).value || 'standard';
    var ship = method === 'standard' && sub >= FREE_SHIPPING ? 0 : SHIPPING[method];
    var total = round2(sub + ship);
    if (missing.length || !$('#terms').checked || !cart.length) {
      $('#checkout-error').textContent = missing.length ? 'Please fill in all required fields.' :
        (!cart.length ? 'Your cart is empty.' : 'Please accept the terms and conditions.');
      return;
    }
    var orderId = 'NW-' + String(Date.now()).slice(-7);
    localStorage.setItem(ORDER_KEY, JSON.stringify({ order_id: orderId, email: form.elements.email.value, first_name: form.elements.first_name.value, items: cart, total: total }));
    track('purchase', { value: total, currency: 'EUR', order_id: orderId });
    $('#place-order').disabled = true;
    $('#place-order').textContent = 'Processing payment…';
    setTimeout(function () { localStorage.removeItem(CART_KEY); navigate('/thank-you'); }, 600);
  }, true);

  function afterView() { /* hook for later views; the header badge is updated by shop.js */ }

  render(location.pathname, location.hash);
})();
