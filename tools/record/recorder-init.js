// Runs in every shop page (top frame) before any page script, after the
// rrweb and console-plugin UMD bundles. Starts rrweb, turns slTrack() calls
// into rrweb custom events and logs ground truth through the Node bindings
// __slEmit (rrweb events) and __slTruth (truth records).
(function () {
  if (window.top !== window || window.__slRecorderStarted) return;
  window.__slRecorderStarted = true;
  var opts = window.__SL_OPTS || {};
  var H = window.__slHelpers;
  var truth = function (kind, obj) { try { window.__slTruth(kind, obj); } catch (e) { /* ignore */ } };
  var loadId = String(performance.timeOrigin) + '-' + Math.random().toString(36).slice(2, 8);
  var started = false;
  var queue = [];

  window.slTrack = function (name, payload) {
    if (started) window.rrweb.record.addCustomEvent(name, payload);
    else queue.push([name, payload]); // rrweb starts at window load
  };

  var recordOptions = {
    emit: function (ev) {
      window.__slEmit(ev);
      if (ev.type === 5) truth('custom', { t_ms: ev.timestamp, name: ev.data.tag, payload: ev.data.payload });
      if (ev.type === 2 && !started) {
        started = true;
        setTimeout(function () {
          queue.splice(0).forEach(function (q) { window.rrweb.record.addCustomEvent(q[0], q[1]); });
        }, 0);
      }
    },
    recordCanvas: false,
    plugins: [window.rrwebPluginConsoleRecord.getRecordConsolePlugin({ level: ['info', 'log', 'warn', 'error'], lengthThreshold: 1000 })],
  };
  if (opts.checkoutEveryNth) recordOptions.checkoutEveryNth = opts.checkoutEveryNth;
  window.rrweb.record(recordOptions);

  var maxScroll = 0;
  window.addEventListener('load', function () {
    maxScroll = Math.round(window.scrollY);
    var nav = performance.getEntriesByType('navigation')[0];
    var loadedAt = nav ? Math.round(performance.timeOrigin + nav.loadEventStart) : Date.now();
    truth('page_load', { load_id: loadId, url: location.href, loaded_at_ms: loadedAt, max_scroll_y: maxScroll, viewport_width: window.innerWidth, viewport_height: window.innerHeight, doc_height: document.documentElement.scrollHeight });
  });
  window.addEventListener('scroll', function () {
    var y = Math.round(window.scrollY);
    if (y > maxScroll) { maxScroll = y; truth('scroll_max', { load_id: loadId, max_scroll_y: y }); }
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
  // Form truth (lengths and timings only, never values): focus, blur and input of form fields,
  // submit events, and the field errors the page announces (`sl:field-error`, see shop.js).
  var isField = function (el) {
    return el instanceof Element && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) &&
      !/^(hidden|submit|button|image|reset)$/i.test(el.type || '');
  };
  var formTruth = function (type, el, extra) {
    var o = { t_ms: Date.now(), type: type, url: location.href };
    if (el) { o.field = el.name || el.id || null; o.form = el.form ? (el.form.id || null) : null; }
    for (var k in extra) o[k] = extra[k];
    truth('form', o);
  };
  document.addEventListener('focusin', function (e) { if (isField(e.target)) formTruth('focus', e.target, {}); }, true);
  document.addEventListener('focusout', function (e) { if (isField(e.target)) formTruth('blur', e.target, {}); }, true);
  document.addEventListener('input', function (e) {
    var el = e.target;
    if (!isField(el)) return;
    var checkable = el.type === 'checkbox' || el.type === 'radio';
    formTruth('input', el, checkable ? { checked: el.checked } : { len: String(el.value).length });
  }, true);
  document.addEventListener('submit', function (e) {
    formTruth('submit', null, { form: e.target && e.target.id || null });
  }, true);
  document.addEventListener('sl:field-error', function (e) {
    var d = e.detail || {};
    formTruth(d.shown ? 'error' : 'error_cleared', null, { field: d.field || null });
  });
})();
