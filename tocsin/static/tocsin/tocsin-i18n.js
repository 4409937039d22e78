/* Tocsin's words in the page's language, for its other scripts (loaded before them).
   The server renders them as JSON into #tocsin-strings (_strings.html); a key it lacks
   falls back to the English the caller passes, so a page without the table still reads.
     tocsinT('push.failed', 'Push could not be enabled: {reason}', { reason: why })
     tocsinN('bulk.read', 3, ['Marked {n} notification read.', 'Marked {n} notifications read.'])
   Plurals: the server sends one form per CLDR category of the language ("one", "few",
   "other", ...) and Intl.PluralRules picks the category of the number. */
(function () {
  'use strict';
  var table = null;
  var lang = 'en';

  function strings() {
    if (table) { return table; }
    var el = document.getElementById('tocsin-strings');
    try {
      table = el ? JSON.parse(el.textContent) : {};
      lang = (el && el.getAttribute('lang')) || document.documentElement.lang || 'en';
    } catch (e) {
      table = {};
    }
    return table;
  }
  function fill(text, vars) {
    return String(text).replace(/\{(\w+)\}/g, function (whole, name) {
      return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
    });
  }
  function category(n) {
    try { return new Intl.PluralRules(lang).select(n); } catch (e) { return n === 1 ? 'one' : 'other'; }
  }

  window.tocsinT = function (key, fallback, vars) {
    var text = strings()[key];
    return fill(typeof text === 'string' ? text : fallback, vars);
  };
  window.tocsinN = function (key, n, fallbacks, vars) {
    var forms = strings()[key];
    var text = forms && typeof forms === 'object' ? (forms[category(n)] || forms.other) : null;
    if (!text) { text = n === 1 ? fallbacks[0] : fallbacks[1]; }
    return fill(text, Object.assign({ n: n }, vars || {}));
  };
})();
