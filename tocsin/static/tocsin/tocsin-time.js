/* Tocsin: time. Every <time data-tocsin-time datetime="...+00:00"> shows its instant in the
   reader's timezone and language, and a relative one ("5 minutes ago") stays current.

   The zone is the user's stored one (the bell's data-timezone), else the browser's; the
   language is the page's (<html lang>). The server renders the same text for a page
   without JavaScript (notifications/timefmt.py), but a push is rendered once for many
   users in UTC, so this script is what puts it in each reader's zone.

   One timer for all of them, no request: every 15 s while something is under a minute
   old, 30 s under an hour, 5 min under a day, else hourly; none while the tab is hidden
   (it catches up when shown). Elements arriving by htmx swaps or live pushes are picked
   up by a MutationObserver. data-tocsin-time="relative" rewrites text and title; any
   other value only the title (the full date and time with the zone's name). */
(function () {
  'use strict';
  var script = document.currentScript;
  // The one phrase CLDR has no words for; i18n puts the page's language in the attribute.
  var JUST_NOW = (script && script.getAttribute('data-just-now')) || 'just now';
  var SELECTOR = 'time[data-tocsin-time]';
  var MINUTE = 60000, HOUR = 60 * MINUTE, DAY = 24 * HOUR, WEEK = 7 * DAY;
  if (!window.Intl || !Intl.RelativeTimeFormat || !Intl.DateTimeFormat) { return; }

  var formats = null; // for one language and zone, rebuilt when either changes
  var timer = null;

  function build(lang, zone) {
    function opts(o) { if (zone) { o.timeZone = zone; } return o; }
    return {
      relative: new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }),
      full: new Intl.DateTimeFormat(lang, opts({
        weekday: 'short', year: 'numeric', month: 'short', day: 'numeric',
        hour: 'numeric', minute: '2-digit', timeZoneName: 'long'
      })),
      day: new Intl.DateTimeFormat(lang, opts({ month: 'short', day: 'numeric' })),
      dayYear: new Intl.DateTimeFormat(lang, opts({ year: 'numeric', month: 'short', day: 'numeric' })),
      year: new Intl.DateTimeFormat(lang, opts({ year: 'numeric' }))
    };
  }

  function current() {
    var lang = document.documentElement.lang || undefined;
    var bell = document.getElementById('notification-bell');
    var zone = (bell && bell.getAttribute('data-timezone')) || undefined;
    var key = lang + '|' + zone;
    if (formats && formats.key === key) { return formats; }
    try {
      formats = build(lang, zone);
    } catch (e) {
      formats = build(undefined, undefined); // a zone or language this browser lacks
    }
    formats.key = key;
    return formats;
  }

  // As timefmt.relative_time: whole units, CLDR's own words ("yesterday"), a date after a week.
  function relative(f, when, now) {
    var age = now - when;
    if (age < MINUTE) { return JUST_NOW; }
    if (age >= WEEK) {
      var sameYear = f.year.format(when) === f.year.format(now);
      return (sameYear ? f.day : f.dayYear).format(when);
    }
    if (age >= DAY) { return f.relative.format(-Math.floor(age / DAY), 'day'); }
    if (age >= HOUR) { return f.relative.format(-Math.floor(age / HOUR), 'hour'); }
    return f.relative.format(-Math.floor(age / MINUTE), 'minute');
  }

  // Rewrite one element; return its age in ms (Infinity if unreadable).
  function update(el, f, now) {
    var when = Date.parse(el.getAttribute('datetime'));
    if (isNaN(when)) { return Infinity; }
    var title = f.full.format(when);
    if (el.title !== title) { el.title = title; }
    if (el.getAttribute('data-tocsin-time') === 'relative') {
      var text = relative(f, when, now);
      if (el.textContent !== text) { el.textContent = text; }
    }
    return Math.max(now - when, 0);
  }

  function delay(age) {
    if (age < MINUTE) { return 15000; }
    if (age < HOUR) { return 30000; }
    if (age < DAY) { return 5 * MINUTE; }
    return HOUR;
  }

  function tick() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    var f = current();
    var now = Date.now();
    var youngest = Infinity;
    var all = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < all.length; i++) { youngest = Math.min(youngest, update(all[i], f, now)); }
    if (youngest !== Infinity && document.visibilityState !== 'hidden') {
      timer = setTimeout(tick, delay(youngest));
    }
  }

  function holdsTime(node) {
    return node.nodeType === 1 && (node.matches(SELECTOR) || node.querySelector(SELECTOR) !== null);
  }

  function start() {
    tick();
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        if (Array.prototype.some.call(records[i].addedNodes, holdsTime)) { tick(); return; }
      }
    }).observe(document.body, { childList: true, subtree: true });
    document.addEventListener('visibilitychange', tick);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
