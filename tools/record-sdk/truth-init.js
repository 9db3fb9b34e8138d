// Ground-truth logger, injected into every page (top frame) before any page script.
// Logs through the Node binding __slTruth: document loads, SPA route entries (pushState,
// replaceState with a new path, popstate), max scrollY per route, clicks with page coordinates,
// window errors. Custom events are logged by the SDK snippet (window.slTrack) itself.
(function () {
  if (window.top !== window || window.__slTruthStarted) return;
  window.__slTruthStarted = true;
  var H = window.__slHelpers;
  var truth = function (kind, obj) { try { window.__slTruth(kind, obj); } catch (e) { /* ignore */ } };
  var loadId = String(performance.timeOrigin) + '-' + Math.random().toString(36).slice(2, 8);
  var routeSeq = 0;
  var routeId = loadId + '#0';
  var maxScroll = 0;

  function enterRoute(via) {
    routeSeq += 1;
    routeId = loadId + '#' + routeSeq;
    // The old view is still shown (and scrolled) at pushState time; the new view starts at the top,
    // so only scroll positions reached after the entry count for this route.
    maxScroll = 0;
    var id = routeId;
    truth('route', { route_id: id, load_id: loadId, url: location.href, entered_at_ms: Date.now(), via: via,
      viewport_width: window.innerWidth, viewport_height: window.innerHeight, max_scroll_y: 0, scroll_y_at_entry: Math.round(window.scrollY) });
    setTimeout(function () { if (id === routeId) truth('scroll_max', { route_id: id, max_scroll_y: maxScroll, doc_height: document.documentElement.scrollHeight }); }, 1500);
  }
  var push = history.pushState, replace = history.replaceState;
  history.pushState = function () {
    var r = push.apply(this, arguments);
    enterRoute('pushState');
    return r;
  };
  history.replaceState = function (state, title, url) {
    var before = location.pathname + location.search;
    var r = replace.apply(this, arguments);
    if (url != null && location.pathname + location.search !== before) enterRoute('replaceState');
    return r;
  };
  window.addEventListener('popstate', function () { enterRoute('popstate'); });

  window.addEventListener('load', function () {
    var nav = performance.getEntriesByType('navigation')[0];
    var loadedAt = nav ? Math.round(performance.timeOrigin + nav.loadEventStart) : Date.now();
    maxScroll = Math.max(maxScroll, Math.round(window.scrollY));
    routeSeq += 1;
    routeId = loadId + '#' + routeSeq;
    truth('page_load', { load_id: loadId, route_id: routeId, url: location.href, loaded_at_ms: loadedAt, max_scroll_y: maxScroll, viewport_width: window.innerWidth, viewport_height: window.innerHeight, doc_height: document.documentElement.scrollHeight });
  });
  window.addEventListener('scroll', function () {
    var y = Math.round(window.scrollY);
    if (y > maxScroll) { maxScroll = y; truth('scroll_max', { route_id: routeId, max_scroll_y: y, doc_height: document.documentElement.scrollHeight }); }
  }, { passive: true });
  document.addEventListener('click', function (e) {
    var t = e.target instanceof Element ? e.target : e.target && e.target.parentElement;
    truth('click', {
      t_ms: Date.now(), page_x: Math.round(e.pageX), page_y: Math.round(e.pageY), client_x: Math.round(e.clientX), client_y: Math.round(e.clientY),
      pointer: e.pointerType === 'touch' ? 'touch' : (e.pointerType === 'mouse' ? 'mouse' : (e.detail === 0 ? 'synthetic' : 'mouse')),
      target_selector: H ? H.cssPath(t) : null, target_tag: t ? t.tagName.toLowerCase() : null, target_text: H && t ? H.text(t) : '',
      url: location.href, scroll_y: Math.round(window.scrollY),
    });
  }, true);
  window.addEventListener('error', function (e) {
    truth('error', { t_ms: Date.now(), message: e.message, url: location.href });
  });
})();
