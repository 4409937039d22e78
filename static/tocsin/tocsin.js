/* Tocsin: the little that htmx cannot do. No build step; hangs off ids and data-* attributes. */
(function () {
  'use strict';

  // Reconnect fast at first, never wait more than 8 s (the default can wait a minute).
  htmx.config.wsReconnectDelay = function (retry) {
    var max = Math.min(400 * Math.pow(2, retry), 8000);
    return max / 2 + Math.random() * (max / 2);
  };
  // The security settings are in _assets.html's htmx-config meta tag; set here too for a
  // page whose own meta tag came first (htmx reads only the first). This runs before
  // htmx starts (deferred scripts run before DOMContentLoaded), where a page's meta tag
  // is merged over it, so a host's explicit choice still wins.
  htmx.config.includeIndicatorStyles = false; // its <style> would need 'unsafe-inline'
  htmx.config.allowEval = false; // no hx-on, no js: values, no trigger filters
  htmx.config.allowScriptTags = false; // server-rendered fragments never need scripts
  htmx.config.selfRequestsOnly = true;
  htmx.config.historyCacheSize = 0; // keep no copy of pages in sessionStorage

  var MAX_VISIBLE_TOASTS = 3;
  var OFFLINE_AFTER_FAILURES = 3;

  function byId(id) { return document.getElementById(id); }

  /* ---- live fragments: drop swaps with no target here, never insert an id twice ---- */
  htmx.defineExtension('tocsin', {
    transformResponse: function (text) {
      var tpl = document.createElement('template');
      tpl.innerHTML = text;
      Array.prototype.slice.call(tpl.content.children).forEach(function (child) {
        var how = child.getAttribute('hx-swap-oob');
        if (!how) { return; }
        var target = child.id && byId(child.id);
        if (!target) { child.remove(); return; }
        if (/^(afterbegin|beforeend)/.test(how)) {
          Array.prototype.slice.call(child.children).forEach(function (item) {
            if (item.id && byId(item.id)) { item.remove(); }
          });
        }
        if (child.id === 'notification-up-to') {
          // "Mark all as read" covers what was shown; a late message must not lower it.
          var value = Math.max(Number(child.value) || 0, Number(target.value) || 0);
          child.setAttribute('value', String(value));
        }
      });
      return tpl.innerHTML;
    }
  });

  /* ---- connection indicator ---- */
  var failures = 0;
  var socketOpen = false;
  var LABELS = { connected: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };
  function setConnection(state) {
    var el = byId('connection-status');
    if (!el || el.dataset.state === state) { return; }
    el.dataset.state = state;
    var label = el.querySelector('.tocsin-connection-label');
    if (label) { label.textContent = LABELS[state]; }
  }
  document.addEventListener('htmx:wsOpen', function () {
    failures = 0;
    socketOpen = true;
    setConnection('connected');
  });
  document.addEventListener('htmx:wsClose', function (evt) {
    socketOpen = false;
    failures += 1;
    var code = evt.detail.event && evt.detail.event.code;
    var retrying = [1006, 1011, 1012, 1013].indexOf(code) >= 0;
    var offline = !retrying || !navigator.onLine || failures >= OFFLINE_AFTER_FAILURES;
    setConnection(offline ? 'offline' : 'reconnecting');
  });
  window.addEventListener('offline', function () { setConnection('offline'); });
  // A socket can outlive a short network loss (Chromium holds its frames): then no
  // wsOpen follows, so 'reconnecting' would stick although the socket is live.
  window.addEventListener('online', function () {
    setConnection(socketOpen ? 'connected' : 'reconnecting');
  });

  /* ---- bell and panel: a disclosure, operable by keyboard ---- */
  function bellButton() { return byId('notification-bell-button'); }
  function isOpen() {
    var b = bellButton();
    return !!b && b.getAttribute('aria-expanded') === 'true';
  }
  function openPanel() {
    var b = bellButton();
    if (!b || b.tagName !== 'BUTTON') { return; }
    b.setAttribute('aria-expanded', 'true');
    htmx.trigger(b, 'tocsin:open');
  }
  function closePanel(returnFocus) {
    var b = bellButton();
    if (!b || !isOpen()) { return; }
    b.setAttribute('aria-expanded', 'false');
    var panel = byId('notification-panel');
    if (panel) { panel.hidden = true; }
    if (returnFocus) { b.focus(); }
  }
  document.addEventListener('click', function (evt) {
    var b = bellButton();
    if (b && b.tagName === 'BUTTON' && b.contains(evt.target)) {
      if (isOpen()) { closePanel(false); } else { openPanel(); }
      return;
    }
    if (evt.target.closest('#toast-more')) { openPanel(); return; }
    var dismiss = evt.target.closest('[data-tocsin-dismiss]');
    if (dismiss) { removeToast(dismiss.closest('.tocsin-toast')); return; }
    var toastLink = evt.target.closest('.tocsin-toast-link');
    if (toastLink) { removeToast(toastLink.closest('.tocsin-toast')); }
    var panel = byId('notification-panel');
    if (isOpen() && panel && !panel.contains(evt.target)) { closePanel(false); }
  });
  document.addEventListener('keydown', function (evt) {
    if (evt.key === 'Escape' && isOpen()) { closePanel(true); }
  });
  document.addEventListener('htmx:afterSwap', function (evt) {
    var panel = byId('notification-panel');
    if (!panel || evt.detail.elt !== panel) { return; }
    if (isOpen()) { panel.focus(); } else { panel.hidden = true; }
  });

  /* ---- toasts: timers by priority, at most three visible, the rest as "+N more" ---- */
  function removeToast(toast) {
    if (!toast) { return; }
    clearTimeout(toast._tocsinTimer);
    toast.remove();
    layoutToasts();
  }
  function startTimer(toast) {
    var ms = Number(toast.dataset.timeout);
    if (!ms || toast._tocsinRemaining !== undefined) { return; }
    toast._tocsinRemaining = ms;
    var started;
    function run() {
      started = Date.now();
      toast._tocsinTimer = setTimeout(function () { removeToast(toast); }, toast._tocsinRemaining);
    }
    function pause() {
      clearTimeout(toast._tocsinTimer);
      toast._tocsinRemaining -= Date.now() - started;
    }
    // Reading or focusing a toast holds it (WCAG 2.2.1).
    toast.addEventListener('mouseenter', pause);
    toast.addEventListener('focusin', pause);
    toast.addEventListener('mouseleave', run);
    toast.addEventListener('focusout', run);
    run();
  }
  function layoutToasts() {
    var stack = byId('toast-stack');
    if (!stack) { return; }
    var toasts = stack.querySelectorAll('.tocsin-toast');
    var hiddenCount = Math.max(0, toasts.length - MAX_VISIBLE_TOASTS);
    Array.prototype.forEach.call(toasts, function (toast, i) {
      toast.hidden = i < hiddenCount;
      if (!toast.hidden) { startTimer(toast); }
    });
    var more = byId('toast-more');
    if (more) {
      more.hidden = hiddenCount === 0;
      more.textContent = '+' + hiddenCount + ' more';
      more.setAttribute('aria-label', hiddenCount + ' more notifications; open the panel');
    }
  }
  function watchToasts() {
    var stack = byId('toast-stack');
    if (stack) { new MutationObserver(layoutToasts).observe(stack, { childList: true }); }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', watchToasts);
  } else {
    watchToasts();
  }
})();
