/* Tocsin (issue 14): the inbox's saved filters and the panel's All / Unread tabs. No build
   step; hangs off ids and data-* attributes, as tocsin.js does. */
(function () {
  'use strict';

  var ITEM_ID = /^notification-\d+$/;
  var UNREAD_LIST = 'notification-panel-unread';
  function byId(id) { return document.getElementById(id); }

  /* ---- saved filters: a refusal (400, 409) is the sidebar with its message: swap it in ---- */
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var xhr = evt.detail.xhr;
    var elt = evt.detail.elt;
    if ((xhr.status === 400 || xhr.status === 409) && elt && elt.id === 'tocsin-saved-filters' &&
        /\bid="tocsin-saved-filters"/.test(xhr.responseText)) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  /* ---- the panel's Unread tab: its list (#notification-panel-unread) holds unread rows only ----
     As the inbox's Unread tab does (tocsin.js, data-tocsin-live="unread"): what pushes and
     answers bring for #notification-list (new rows, rows put back, grown groups, a
     snapshot's first page) is copied in where its position says, unless it sorts below
     every row while more pages follow; a row that is read (here, in another tab, by "Mark
     all as read") or archived leaves, focus moving to the same button of the next row;
     one marked unread elsewhere comes in. A snapshot never replaces this list: its id is
     not #notification-list. Pushes that land while a GET of the panel is on its way are
     applied to the new list once it is in (tocsin.js does the same for the All tab). */
  var kept = [];        // renderings from the message or answer being handled
  var inFlight = null;  // renderings since a GET of the panel left, for the list it brings
  var chosen = null;    // the tab last shown: the bell reopens the panel on it
  var retab = null;     // the tab link to focus once its panel is in
  var acted = null;     // the row (and button) a request from the Unread list came from

  function isPanelGet(elt) {
    return !!elt && (elt.id === 'notification-bell-button' ||
                     (!!elt.hasAttribute && elt.hasAttribute('data-tocsin-panel-tab')));
  }
  function position(li) { return Number(li.dataset.position || li.dataset.id) || 0; }
  function belongs(item) { return item.classList.contains('is-unread') && !item.hasAttribute('data-archived'); }

  function keep(text) {
    if (!text || (inFlight === null && !byId(UNREAD_LIST))) { return; }
    var tpl = document.createElement('template');
    tpl.innerHTML = text;
    Array.prototype.forEach.call(tpl.content.children, function (child) {
      var found = [];
      if (child.id === 'notification-list') {
        var move = child.hasAttribute('data-tocsin-bump');
        Array.prototype.forEach.call(child.children, function (item) {
          if (ITEM_ID.test(item.id)) { found.push({ html: item.outerHTML, listed: true, move: move }); }
        });
      } else if (ITEM_ID.test(child.id)) {
        found.push(child.getAttribute('hx-swap-oob') === 'delete' ? { remove: child.id } : { html: child.outerHTML });
      }
      kept = kept.concat(found);
      if (inFlight) { inFlight = inFlight.concat(found); }
    });
  }

  // `replay`: the list came after these were rendered, so a changed row replaces its
  // rendering there; otherwise htmx has just swapped it in place.
  function apply(pending, replay) {
    var list = byId(UNREAD_LIST);
    if (!list) { return; }
    pending.forEach(function (p) {
      var old = byId(p.remove || '');
      if (p.remove) { if (old && list.contains(old)) { leave(old); } return; }
      var tpl = document.createElement('template');
      tpl.innerHTML = p.html;
      var item = tpl.content.firstElementChild;
      item.removeAttribute('hx-swap-oob');
      old = byId(item.id);
      var shown = !!old && list.contains(old);
      if (!belongs(item)) { if (shown) { leave(old); } return; }
      if (shown && !p.move) {
        if ((p.listed || replay) && old.outerHTML !== item.outerHTML) { old.replaceWith(item); htmx.process(item); }
        return;
      }
      if (shown) { old.remove(); }
      insert(list, item);
    });
    // Rows htmx re-rendered in place, now read or archived.
    Array.prototype.slice.call(list.children).forEach(function (row) {
      if (ITEM_ID.test(row.id) && !belongs(row)) { leave(row); }
    });
  }
  function insert(list, item) {
    var at = position(item);
    var before = Array.prototype.find.call(list.children, function (li) { return position(li) < at; });
    var more = byId('notification-panel-more');
    if (!before && more && more.querySelector('a')) { return; }  // a later page brings it
    list.insertBefore(item, before || null);
    htmx.process(item);
  }
  // Focus in (or last in) a leaving row goes to the same button of the next row, or the
  // previous, or the panel's heading: a keyboard user reading down the tab keeps their place.
  function leave(row) {
    var focused = document.activeElement;
    var had = row.contains(focused) ||
      (acted && acted.id === row.id && (!focused || focused === document.body));
    if (had) {
      var next = row.nextElementSibling || row.previousElementSibling;
      var kind = acted && acted.id === row.id ? acted.kind : '';
      var target = next && ((kind && next.querySelector('.' + kind + ' button')) ||
                            next.querySelector('.tocsin-item-link'));
      if (!target) {
        target = byId('notification-panel-title');
        if (target) { target.setAttribute('tabindex', '-1'); }
      }
      if (target) { target.focus(); }
    }
    row.remove();
  }

  document.addEventListener('htmx:wsBeforeMessage', function (evt) { keep(evt.detail.message); });
  document.addEventListener('htmx:wsAfterMessage', function () {
    var pending = kept;
    kept = [];
    apply(pending, false);
  });
  document.addEventListener('htmx:beforeRequest', function (evt) {
    var elt = evt.detail.elt;
    if (isPanelGet(elt)) {
      inFlight = [];
      retab = elt.hasAttribute('data-tocsin-panel-tab') ? elt.id : null;
      return;
    }
    var row = elt.closest && elt.closest('#' + UNREAD_LIST + ' > .tocsin-item');
    var form = row && elt.closest('form');
    acted = row ? { id: row.id, kind: form ? form.className.split(' ')[0] : '' } : null;
  });
  document.addEventListener('htmx:afterRequest', function (evt) {
    var elt = evt.detail.elt;
    if (isPanelGet(elt)) {
      if (!evt.detail.successful) { inFlight = null; }
      return;
    }
    var xhr = evt.detail.xhr;
    if (evt.detail.successful && xhr && elt.closest && elt.closest('#notification-bell')) {
      keep(xhr.responseText);
      var pending = kept;
      kept = [];
      apply(pending, false);
    }
    acted = null;
  });
  // The panel is in: what was pushed meanwhile, then focus back on the tab chosen (tocsin.js
  // focused the panel), and the tab remembered for the bell.
  document.addEventListener('htmx:afterSwap', function (evt) {
    var panel = byId('notification-panel');
    if (!panel || evt.detail.elt !== panel) { return; }
    var pending = inFlight || [];
    inFlight = null;
    apply(pending, true);
    var current = panel.querySelector('[data-tocsin-panel-tab][aria-current="true"]');
    chosen = current ? current.getAttribute('data-tocsin-panel-tab') : chosen;
    var tab = retab && byId(retab);
    retab = null;
    if (tab && !panel.hidden) { tab.focus(); }
  });
  document.addEventListener('htmx:configRequest', function (evt) {
    if (evt.detail.elt.id === 'notification-bell-button' && chosen === 'unread') {
      evt.detail.parameters.state = 'unread';
    }
  });
})();
