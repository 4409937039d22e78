/* Tocsin for keyboards and screen readers (issue 15): what the markup alone cannot do.
   - New rows in the open panel that bring no toast of their own (low priority, toasts
     muted) are said in a polite live region: the toast stack says the rest, politely,
     and urgent toasts (role="alert") assertively.
   - Up/Down, Home/End move the focus between the rows' links in the panel and the inbox
     list; Tab still walks every control in order.
   - Focus is never left on <body> by a live re-render: a row or panel swapped in, a
     snapshot, a toast closed elsewhere. It goes to the same control in the new element,
     else the same control of the neighbouring row, else the nearest region that is left.
   Hangs off the contract's ids and classes; hooks the ws events only (sse relays them). */
(function () {
  'use strict';

  // "New: <title>", in the page's language (_strings.html, tocsin-i18n.js).
  function said(title) {
    return window.tocsinT ? window.tocsinT('panel.new', 'New: {title}', { title: title }) : 'New: ' + title;
  }
  var SAY_DELAY_MS = 50;  // emptied first, so the same words twice are said twice

  function byId(id) { return document.getElementById(id); }
  function isOpen() {
    var b = byId('notification-bell-button');
    return !!b && b.getAttribute('aria-expanded') === 'true';
  }

  /* ---- the panel's live region: new rows without a toast, while the panel is open ---- */
  var LIVE_ID = 'notification-panel-live';
  function liveRegion() {
    var region = byId(LIVE_ID);
    var bell = byId('notification-bell');
    if (region || !bell) { return region; }
    // In the bell, beside the panel, not in it: the panel is swapped whole on every open
    // and tab, and a region must exist before its text changes to be heard.
    region = document.createElement('div');
    region.id = LIVE_ID;
    region.className = 'tocsin-visually-hidden';
    region.setAttribute('aria-live', 'polite');
    bell.appendChild(region);
    return region;
  }
  function say(text) {
    var region = liveRegion();
    if (!region) { return; }
    region.textContent = '';
    setTimeout(function () { region.textContent = text; }, SAY_DELAY_MS);
  }
  function panelRows() {
    return document.querySelectorAll('#notification-panel .tocsin-list > .tocsin-item');
  }
  var shownBefore = null;
  document.addEventListener('htmx:wsBeforeMessage', function (evt) {
    var message = String(evt.detail.message || '');
    // A snapshot (reconnect) brings its own "N new" toast; a closed panel says nothing.
    shownBefore = null;
    if (!isOpen() || message.indexOf('data-tocsin-snapshot') >= 0) { return; }
    shownBefore = new Set();
    panelRows().forEach(function (row) { shownBefore.add(row.id); });
  });
  document.addEventListener('htmx:wsAfterMessage', function () {
    var before = shownBefore;
    shownBefore = null;
    if (!before || !isOpen()) { return; }
    var titles = [];
    panelRows().forEach(function (row) {
      if (before.has(row.id) || byId('toast-' + row.dataset.id)) { return; }
      var title = row.querySelector('.tocsin-item-title');
      if (title) { titles.push(said(title.textContent.trim())); }
    });
    if (titles.length) { say(titles.join('. ')); }
  });

  /* ---- arrow keys in the lists: between the rows' main links ---- */
  var LIST = '#notification-panel .tocsin-list, .tocsin-inbox .tocsin-list';
  var TYPING = /^(INPUT|TEXTAREA|SELECT)$/;
  function links(list) {
    return Array.prototype.filter.call(
      list.querySelectorAll(':scope > .tocsin-item .tocsin-item-link'),
      function (a) { return a.getClientRects().length > 0; }
    );
  }
  document.addEventListener('keydown', function (evt) {
    if (evt.defaultPrevented || evt.altKey || evt.ctrlKey || evt.metaKey || evt.shiftKey) { return; }
    if (['ArrowDown', 'ArrowUp', 'Home', 'End'].indexOf(evt.key) < 0) { return; }
    var target = evt.target;
    if (!target.closest || TYPING.test(target.tagName) || target.isContentEditable) { return; }
    var list = target.closest(LIST);
    var row = list && target.closest('.tocsin-item');
    // From the panel itself (focused when it opens): into its list.
    if (!list && target.id === 'notification-panel') { list = target.querySelector('.tocsin-list'); }
    var all = list ? links(list) : [];
    if (!all.length) { return; }
    var here = row ? all.indexOf(row.querySelector('.tocsin-item-link')) : -1;
    var to;
    if (evt.key === 'Home') { to = 0; }
    else if (evt.key === 'End') { to = all.length - 1; }
    else if (here < 0) { to = evt.key === 'ArrowDown' ? 0 : all.length - 1; }
    else { to = Math.max(0, Math.min(all.length - 1, here + (evt.key === 'ArrowDown' ? 1 : -1))); }
    evt.preventDefault();  // the page does not scroll; the focused link is scrolled to
    all[to].focus();
  });

  /* ---- focus kept through live re-renders ---- */
  var last = null;  // the focused control: it, the ids around it, what it is, where
  function controls(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]'),
      function (el) {
        return el.tabIndex >= 0 && !el.disabled && el.type !== 'hidden' && el.getClientRects().length > 0;
      }
    );
  }
  function kind(el) {
    var form = el.closest('form');
    return [el.tagName, el.className, el.getAttribute('name') || '', form ? form.className : ''].join('|');
  }
  function remember(el) {
    var ids = [];
    for (var node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (node.id) { ids.push(node.id); }
    }
    var holder = ids.length && byId(ids[0]);
    var all = holder ? controls(holder) : [];
    var sameKind = all.filter(function (c) { return kind(c) === kind(el); });
    last = {
      el: el, ids: ids, kind: kind(el), index: all.indexOf(el), nth: Math.max(0, sameKind.indexOf(el))
    };
  }
  document.addEventListener('focusin', function (evt) {
    if (evt.target !== document.body) { remember(evt.target); }
  });
  function lost() {
    var active = document.activeElement;
    return !active || active === document.body || active === document.documentElement;
  }
  // The control in `root` that stands for the one lost: the same kind (the nth of them:
  // Decline stays Decline), else the same place.
  function counterpart(root) {
    var all = controls(root);
    var same = all.filter(function (el) { return kind(el) === last.kind; });
    return same[Math.min(last.nth, same.length - 1)] ||
      all[Math.min(Math.max(last.index, 0), all.length - 1)] || null;
  }
  function focusIn(root) {
    if (!root || !root.isConnected || root.closest('[hidden]')) { return false; }
    var target = root.matches('[tabindex]') && root.tabIndex < 0 && !root.hidden ? root : counterpart(root);
    if (!target) { return false; }
    target.focus();
    return document.activeElement === target;
  }
  // The removed element's siblings, as the mutation saw them.
  function neighbours(records) {
    var found = [];
    records.forEach(function (record) {
      Array.prototype.forEach.call(record.removedNodes, function (node) {
        if (node.nodeType !== 1 || !(node === last.el || node.contains(last.el))) { return; }
        var next = record.nextSibling;
        while (next && next.nodeType !== 1) { next = next.nextSibling; }
        var previous = record.previousSibling;
        while (previous && previous.nodeType !== 1) { previous = previous.previousSibling; }
        if (next) { found.push(next); }
        if (previous) { found.push(previous); }
      });
    });
    return found;
  }
  function restore(records) {
    if (!last || last.el.isConnected || !lost()) { return; }
    var was = last;
    // 1. The same element, re-rendered (same id): the same control in it.
    var same = was.ids.length && byId(was.ids[0]);
    if (same && (same === was.el || focusIn(same))) { return; }
    if (same && same.matches && same.matches('a[href], button, input, select, summary')) { same.focus(); return; }
    // 2. A neighbour of the element that left (the next row, else the previous).
    var near = neighbours(records || []);
    for (var i = 0; i < near.length; i++) { if (focusIn(near[i])) { return; } }
    // 3. The nearest region still there that can hold it: the panel (tabindex -1), else the
    //    heading of the panel or inbox (as tocsin.js's `leaving` does), else the bell.
    for (var j = 1; j < was.ids.length; j++) {
      var region = byId(was.ids[j]);
      if (!region || region.closest('[hidden]')) { continue; }
      if (region.matches('[tabindex]')) { region.focus(); return; }
      var heading = region.querySelector(':scope > header .tocsin-heading');
      if (heading && heading.getClientRects().length) {
        heading.setAttribute('tabindex', '-1');
        heading.focus();
        return;
      }
    }
    var bell = byId('notification-bell-button');
    if (bell) { bell.focus(); }
  }
  function watch() {
    new MutationObserver(restore).observe(document.documentElement, { childList: true, subtree: true });
  }
  // The panel swapped by a refresh: tocsin.js focuses the new panel (before this runs); a
  // control that was in the old one (a row's link or button) gets its counterpart instead.
  var beforePanelSwap = null;
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var panel = byId('notification-panel');
    beforePanelSwap = panel && evt.detail.target === panel ? last : null;
  });
  document.addEventListener('htmx:afterSwap', function (evt) {
    var was = beforePanelSwap;
    beforePanelSwap = null;
    var panel = byId('notification-panel');
    if (!was || !panel || evt.detail.elt !== panel || panel.hidden || document.activeElement !== panel) { return; }
    if (was.ids.indexOf('notification-panel') < 1) { return; }  // the panel itself, or outside it
    var same = byId(was.ids[0]);
    if (!same || same === panel) { return; }
    last = was;
    if (!focusIn(same) && same.matches('a[href], button, summary')) { same.focus(); }
  });

  function start() { liveRegion(); watch(); }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
