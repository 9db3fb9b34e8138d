// Injected into shop pages (screenshots and recordings): stable CSS selector
// and a short visible text for an element.
(function () {
  if (window.__slHelpers) return;
  function esc(s) { return (window.CSS && CSS.escape) ? CSS.escape(s) : s; }
  function cssPath(el) {
    if (!(el instanceof Element)) return null;
    var parts = [];
    while (el && el.nodeType === 1) {
      if (el.id) { parts.unshift('#' + esc(el.id)); break; }
      var tag = el.tagName.toLowerCase();
      if (tag === 'html' || tag === 'body') { parts.unshift(tag); break; }
      var part = tag;
      var cls = Array.prototype.filter.call(el.classList, function (c) { return !/^(active|disabled|invalid)$/.test(c); });
      if (cls.length) part += '.' + cls.map(esc).join('.');
      var parent = el.parentElement;
      if (parent) {
        var same = Array.prototype.filter.call(parent.children, function (c) { return c.tagName === el.tagName; });
        if (same.length > 1) part += ':nth-of-type(' + (same.indexOf(el) + 1) + ')';
      }
      parts.unshift(part);
      el = parent;
    }
    return parts.join(' > ');
  }
  function text(el) {
    var t = (el.getAttribute('aria-label') || el.innerText || el.value || el.getAttribute('placeholder') || el.getAttribute('alt') || '').replace(/\s+/g, ' ').trim();
    if (!t && el.tagName === 'INPUT') t = el.name || '';
    return t.slice(0, 80);
  }
  function inFixed(el) {
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) {
      var pos = getComputedStyle(e).position;
      if (pos === 'fixed' || pos === 'sticky') return pos;
    }
    return null;
  }
  window.__slHelpers = { cssPath: cssPath, text: text, inFixed: inFixed };
})();
