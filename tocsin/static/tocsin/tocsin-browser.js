/* Tocsin: presence and browser notifications (issue 13). No build step; hangs off ids and
   data-* attributes, like tocsin.js. */
(function () {
  'use strict';

  function byId(id) { return document.getElementById(id); }
  function isVisible() { return document.visibilityState === 'visible'; }

  /* ---- presence: the socket says whether this tab is visible ---- */
  // On open and on every change; the server keeps an entry per socket (channels/presence.py)
  // so that push waits while a tab is visible. Changes are coalesced to one frame per
  // SEND_GAP ms, well inside the socket's inbound frame limit (TOCSIN_WS_MAX_INBOUND_RATE).
  var SEND_GAP = 500;
  var socket = null;
  var said = null;
  var sentAt = 0;
  var sendTimer = null;
  function sayVisibility() {
    if (!socket || sendTimer) { return; }
    sendTimer = setTimeout(function () {
      sendTimer = null;
      var state = isVisible() ? 'visible' : 'hidden';
      if (!socket || state === said) { return; }
      try {
        socket.send('visibility:' + state);
      } catch (e) {
        return; // closing: the next open says it again
      }
      said = state;
      sentAt = Date.now();
    }, Math.max(0, sentAt + SEND_GAP - Date.now()));
  }
  document.addEventListener('htmx:wsOpen', function (evt) {
    socket = evt.detail.socketWrapper;
    said = null; // a new socket knows nothing yet
    sayVisibility();
  });
  document.addEventListener('htmx:wsClose', function () { socket = null; });

  /* ---- this browser's visible tabs, shared through localStorage ---- */
  // A visible tab keeps a key of its own, TABS_PREFIX + its id = until when, fresh every
  // BEAT ms, and removes it when hidden or gone; a crashed tab's key stops counting after
  // VISIBLE_FOR ms, and is deleted by whichever tab finds it long expired. One key per tab,
  // never a shared record: a new page reading and writing back a shared one brought a
  // closed page's entry back to life (tabs in other processes see writes late). The id
  // lives in sessionStorage, so the next page of the same tab takes over its key: the
  // removal a page makes as it goes (pagehide) was lost in a test when a form navigated.
  var TABS_PREFIX = 'tocsin:visible-tab:';
  var VISIBLE_FOR = 15000;
  var BEAT = 5000;
  var TAB = (function () {
    var id = Math.random().toString(36).slice(2) + Date.now().toString(36);
    try {
      id = sessionStorage.getItem('tocsin:tab') || id;
      sessionStorage.setItem('tocsin:tab', id);
    } catch (e) { /* no storage: an id for this page */ }
    return id;
  })();
  function markTab(gone) {
    try {
      if (!gone && isVisible()) {
        localStorage.setItem(TABS_PREFIX + TAB, String(Date.now() + VISIBLE_FOR));
      } else {
        localStorage.removeItem(TABS_PREFIX + TAB);
      }
    } catch (e) { /* storage full or off: this tab counts for itself only */ }
  }
  function anyTabVisible() {
    if (isVisible()) { return true; }
    var now = Date.now();
    var seen = false;
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (!key || key.indexOf(TABS_PREFIX) !== 0 || key === TABS_PREFIX + TAB) { continue; }
        var until = Number(localStorage.getItem(key)) || 0;
        if (until > now) {
          seen = true;
        } else if (until < now - VISIBLE_FOR) {
          localStorage.removeItem(key);
        }
      }
    } catch (e) { /* no storage: as if no other tab */ }
    return seen;
  }
  document.addEventListener('visibilitychange', function () {
    markTab(false);
    sayVisibility();
  });
  window.addEventListener('pagehide', function () { markTab(true); });
  setInterval(function () { if (isVisible()) { markTab(false); } }, BEAT);
  markTab(false);

  /* ---- browser notifications: a toast marked data-browser, when every tab is hidden ---- */
  // The server marks the toast when the policy lets "browser" through (the preference,
  // not low priority, no quiet hours or snooze). Every tab of the user gets the push; one
  // tab, the leader, decides: it holds a Web Lock for as long as it lives, asked for once
  // its socket first opens (a page without one, the login page, never gets a push), and
  // the next tab in line takes over when it closes. It shows the notification if no tab of this browser
  // is visible, else nothing (the visible tab has the toast). A per-id record in
  // localStorage, like the chime's, is not enough here: tabs in separate processes see
  // each other's writes late, and two of them both claimed one id in a test. Without Web
  // Locks every hidden tab shows it, with the same tag, which the browser keeps once.
  // data-browser-state tells a test or a host what came of it: shown, visible, elsewhere
  // (another tab leads), off (no permission), unsupported.
  var TITLE_MAX = 120;
  var BODY_MAX = 240;
  var leading = !(navigator.locks && navigator.locks.request);
  var inLine = false;
  document.addEventListener('htmx:wsOpen', function () {
    if (leading || inLine) { return; }
    inLine = true;
    navigator.locks.request('tocsin:browser-leader', function () {
      leading = true;
      return new Promise(function () {}); // held until the tab goes
    }).catch(function () { leading = true; });
  });
  function supported() { return typeof window.Notification === 'function'; }
  function textOf(toast, selector, max) {
    var el = toast.querySelector(selector);
    var text = el ? el.textContent.replace(/\s+/g, ' ').trim() : '';
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  }
  function csrfToken() {
    var field = byId('tocsin-csrf-token');
    if (field && field.value) { return field.value; }
    var bell = byId('notification-bell');
    try { return JSON.parse(bell.getAttribute('hx-headers'))['X-CSRFToken'] || ''; } catch (e) { return ''; }
  }
  // Only http(s); anything else (or nothing) opens the inbox.
  function target(href, inbox) {
    try {
      var url = new URL(href, location.href);
      if (url.protocol === 'http:' || url.protocol === 'https:') { return url; }
    } catch (e) { /* not a URL */ }
    return new URL(inbox, location.href);
  }
  function follow(url) {
    if (url.origin === location.origin) {
      location.assign(url.href);
    } else {
      window.open(url.href, '_blank', 'noopener');
    }
  }
  function markRead(readUrl) {
    if (!readUrl || !window.fetch) { return Promise.resolve(); }
    return fetch(readUrl, {
      method: 'POST',
      credentials: 'same-origin',
      redirect: 'manual', // the plain form's 303 back: nothing to follow
      keepalive: true, // not cancelled by the navigation that follows
      headers: { 'X-CSRFToken': csrfToken() },
      body: new URLSearchParams()
    }).catch(function () { /* offline: it stays unread, the inbox shows it */ });
  }
  function show(toast) {
    var link = toast.querySelector('.tocsin-toast-link');
    var readUrl = link && link.getAttribute('hx-post');
    var inbox = readUrl ? readUrl.replace(/\/\d+\/read$/, '') : '/notifications';
    var url = target(link && link.getAttribute('href'), inbox);
    var id = toast.id.replace(/^toast-/, '');
    var note = new window.Notification(textOf(toast, '.tocsin-item-title', TITLE_MAX) || tocsinT('browser.untitled', 'New notification'), {
      body: textOf(toast, '.tocsin-item-body', BODY_MAX),
      tag: id,
      requireInteraction: toast.dataset.priority === 'urgent',
      data: { id: id, url: url.href }
    });
    note.onclick = function (evt) {
      if (evt && evt.preventDefault) { evt.preventDefault(); } // no browser default focus/open
      window.focus();
      note.close();
      var read = markRead(readUrl);
      read.then(function () { follow(url); });
    };
  }
  function notify(toast) {
    if (toast.hasAttribute('data-browser-state')) { return; } // moved ahead, not new
    if (!supported()) { toast.setAttribute('data-browser-state', 'unsupported'); return; }
    if (window.Notification.permission !== 'granted') { toast.setAttribute('data-browser-state', 'off'); return; }
    if (!leading) { toast.setAttribute('data-browser-state', 'elsewhere'); return; }
    if (anyTabVisible()) { toast.setAttribute('data-browser-state', 'visible'); return; }
    try {
      show(toast);
      toast.setAttribute('data-browser-state', 'shown');
    } catch (e) {
      toast.setAttribute('data-browser-state', 'unsupported'); // Android: only a service worker may
    }
  }
  function watchToasts() {
    var stack = byId('toast-stack');
    if (!stack) { return; }
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        Array.prototype.forEach.call(record.addedNodes, function (node) {
          if (node.nodeType === 1 && node.id && node.hasAttribute('data-browser')) { notify(node); }
        });
      });
    }).observe(stack, { childList: true });
  }

  /* ---- the opt-in on the preferences page: permission asked only on the button's click ---- */
  var SAY = {
    granted: 'On: this browser shows Tocsin\'s notifications.',
    denied: 'Blocked: allow notifications for this site in your browser\'s settings to turn them on.',
    'default': 'This browser has not been asked yet.',
    unsupported: 'This browser does not support notifications.'
  };
  function permission() { return supported() ? window.Notification.permission : 'unsupported'; }
  function showPermission() {
    var status = byId('notification-browser-permission');
    var button = byId('notification-browser-enable');
    if (!status || !button) { return; }
    var state = permission();
    status.dataset.permission = state;
    status.textContent = tocsinT('browser.' + (SAY[state] ? state : 'default'), SAY[state] || SAY['default']);
    button.hidden = state !== 'default';
  }
  function optIn() {
    var section = byId('notification-browser');
    var button = byId('notification-browser-enable');
    if (!section || !button) { return; }
    section.hidden = false;
    showPermission();
    button.addEventListener('click', function () {
      if (!supported()) { showPermission(); return; }
      // Old Safari takes a callback and returns nothing; the rest return a promise.
      var asked = window.Notification.requestPermission(showPermission);
      if (asked && asked.then) { asked.then(showPermission, showPermission); }
    });
  }

  function start() {
    watchToasts();
    optIn();
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
