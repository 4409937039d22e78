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
  var ITEM_ID = /^notification-\d+$/;
  htmx.defineExtension('tocsin', {
    transformResponse: function (text, xhr) {
      var tpl = document.createElement('template');
      tpl.innerHTML = text;
      Array.prototype.slice.call(tpl.content.children).forEach(function (child) {
        var how = child.getAttribute('hx-swap-oob');
        if (!how) { return; }
        // Housekeeping (below): rows back in the list go where their position says.
        if (child.hasAttribute('data-tocsin-restore')) {
          if (!xhr) { keepForPanel(child, 'restore'); }
          restoreItems(child);
          child.remove();
          return;
        }
        // Before the check below: a page without the list still applies the snapshot.
        if (child.hasAttribute('data-tocsin-snapshot')) { snapshotArrived = true; }
        if (!xhr) { keepForPanel(child, how); }
        if (child.id === 'notification-up-to') {
          newestSeen = Math.max(newestSeen, Number(child.value) || 0);
        }
        var target = child.id && byId(child.id);
        if (!target) { child.remove(); return; }
        if (how === 'delete') { leaving(target); }
        if (child.hasAttribute('data-tocsin-bump')) {
          bumpGrown(child);  // grouping: see the block below
        } else if (/^(afterbegin|beforeend)/.test(how)) {
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

  /* ---- grouping: a grown group's item moves to the top, its toast changes in place ---- */
  // The server marks a grown row's list and toasts with data-tocsin-bump (_push.html).
  // Unlike a new item (dropped above when its id is shown already), the shown item is
  // removed so that the incoming one lands at the top: one element per id, never two.
  // Keyboard focus inside it moves to the same control of the new one once swapped in.
  // A toast is replaced where it stands (its timer starts again); one not shown is added,
  // unless the toast is marked "replace" (the policy held it back: never a new toast).
  var FOCUSABLE = 'a[href], button, input, summary, [tabindex]';
  var refocus = null;
  function bumpGrown(child) {
    var replaceOnly = child.getAttribute('data-tocsin-bump') === 'replace';
    Array.prototype.slice.call(child.children).forEach(function (item) {
      var old = item.id && byId(item.id);
      if (!old) {
        if (replaceOnly) { item.remove(); }
        return;
      }
      var focused = old.contains(document.activeElement) ? document.activeElement : null;
      if (focused) {
        refocus = { id: item.id, index: Array.prototype.indexOf.call(old.querySelectorAll(FOCUSABLE), focused) };
      }
      if (child.id === 'toast-stack') {
        var fresh = document.importNode(item, true);
        item.remove();
        old.replaceWith(fresh);
        htmx.process(fresh);
        restoreFocus();
      } else {
        old.remove();
      }
    });
  }
  function restoreFocus() {
    var wanted = refocus;
    var el = wanted && byId(wanted.id);
    if (!el) { return; }
    refocus = null;
    var controls = el.querySelectorAll(FOCUSABLE);
    (controls[wanted.index] || controls[0] || el).focus();
  }
  document.addEventListener('htmx:wsAfterMessage', restoreFocus);

  /* ---- the snapshot: counted on the bell once swapped in, for tests and hosts ---- */
  var snapshotArrived = false;
  document.addEventListener('htmx:wsAfterMessage', function () {
    if (!snapshotArrived) { return; }
    snapshotArrived = false;
    var bell = byId('notification-bell');
    if (!bell) { return; }
    bell.dataset.snapshot = String((Number(bell.dataset.snapshot) || 0) + 1);
    bell.dispatchEvent(new CustomEvent('tocsin:snapshot', {
      bubbles: true, detail: { count: Number(bell.dataset.snapshot) }
    }));
  });

  /* ---- CSRF: Tocsin's requests post the newest token, which each snapshot renews ---- */
  // A live fragment keeps the token it was rendered with; a tab open longer than the
  // host's WTF_CSRF_TIME_LIMIT (3,600 s by default) would post an expired one (400).
  document.addEventListener('htmx:configRequest', function (evt) {
    var field = byId('tocsin-csrf-token');
    var elt = evt.detail.elt;
    if (!field || !field.value || !elt.closest || !elt.closest('#notification-bell, .tocsin-inbox')) {
      return;
    }
    evt.detail.headers['X-CSRFToken'] = field.value;
    if (evt.detail.parameters.csrf_token !== undefined) {
      evt.detail.parameters.csrf_token = field.value;
    }
  });

  /* ---- a 503 (database busy or down) carries a "not saved" alert: swap it in ---- */
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var xhr = evt.detail.xhr;
    // The response says HX-Reswap: none, so only its out-of-band toast lands; item and badge stay.
    if (xhr.status === 503 && xhr.getResponseHeader('Retry-After') !== null) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  /* ---- the socket's URL says which notifications the page has seen ---- */
  // The bell's ws-connect carries ?since=<newest id the page accounted for>; the
  // snapshot toasts what is newer (what arrived before the socket opened). Every
  // message raises it, so a reconnect toasts only what came while the tab was away.
  var newestSeen = 0;
  var openWebSocket = htmx.createWebSocket;
  htmx.createWebSocket = function (url) {
    return openWebSocket(url.replace(/([?&]since=)(\d+)/, function (all, key, since) {
      return key + Math.max(Number(since), newestSeen);
    }));
  };

  /* ---- the panel's request: what the socket pushed meanwhile goes into its list ---- */
  // A push that lands while the panel's GET is on its way finds no list (or the old one,
  // about to be replaced), and the response was rendered before it: kept here, it is
  // put into the new list once that is in.
  var panelPushes = null;
  var PANEL_PUSHES_MAX = 200;
  function keepForPanel(child, how) {
    if (!panelPushes || panelPushes.length >= PANEL_PUSHES_MAX) { return; }
    if (how === 'restore') {
      Array.prototype.forEach.call(child.children, function (item) {
        panelPushes.push({ html: item.outerHTML, restore: true });
      });
    } else if (how === 'delete') {
      if (ITEM_ID.test(child.id)) { panelPushes.push({ remove: child.id }); }
    } else if (child.id === 'notification-list' && /^afterbegin/.test(how)) {
      var bump = child.hasAttribute('data-tocsin-bump');
      Array.prototype.forEach.call(child.children, function (item) {
        panelPushes.push({ html: item.outerHTML, isNew: true, bump: bump });
      });
    } else if (ITEM_ID.test(child.id)) {
      panelPushes.push({ html: child.outerHTML, isNew: false });
    } else if (child.id === 'notification-up-to') {
      panelPushes.push({ upTo: Number(child.value) || 0 });
    }
  }
  function replayIntoPanel(pushes) {
    var list = byId('notification-list');
    if (!list) { return; }
    pushes.forEach(function (p) {
      if (p.remove) {
        var gone = byId(p.remove);
        if (gone) { gone.remove(); }
        return;
      }
      if (p.upTo !== undefined) {
        var upTo = byId('notification-up-to');
        if (upTo) { upTo.value = String(Math.max(Number(upTo.value) || 0, p.upTo)); }
        return;
      }
      var tpl = document.createElement('template');
      tpl.innerHTML = p.html;
      var item = tpl.content.firstElementChild;
      item.removeAttribute('hx-swap-oob');
      if (p.restore) { restoreItem(list, item); return; }
      var old = byId(item.id);
      if (p.bump) {
        // A grown group (grouping): at the top, in place of the one the response showed.
        if (old) { old.remove(); }
        list.insertBefore(item, list.firstElementChild);
      } else if (old) {
        if (p.isNew) { return; }  // the response already has it, as fresh
        old.replaceWith(item);
      } else if (p.isNew) {
        // Newest first: before the first item with a lower id.
        var id = Number(item.dataset.id);
        var after = Array.prototype.find.call(list.children, function (li) {
          return Number(li.dataset.id) < id;
        });
        list.insertBefore(item, after || null);
      } else {
        return;  // a change to an item this page of the panel does not show
      }
      htmx.process(item);
    });
  }
  // Issue 14: a tab of the panel (All / Unread, tocsin-filters.js) GETs the panel too.
  function isPanelGet(elt) {
    return elt === bellButton() || !!(elt && elt.hasAttribute && elt.hasAttribute('data-tocsin-panel-tab'));
  }
  document.addEventListener('htmx:beforeRequest', function (evt) {
    if (isPanelGet(evt.detail.elt)) { panelPushes = []; }
  });
  document.addEventListener('htmx:afterRequest', function (evt) {
    if (isPanelGet(evt.detail.elt) && !evt.detail.successful) { panelPushes = null; }
  });

  /* ---- housekeeping (issue 12): rows leave the lists and come back; the undo toast ---- */
  // "removed" (archive, delete) arrives as hx-swap-oob="delete" per row and toast: htmx
  // deletes them; a row that held the focus hands it to its neighbour first. "restored"
  // (unarchive, undo) arrives as <ul id="notification-list" data-tocsin-restore>: each
  // row goes before the first shown row of a lower data-position (the list's order),
  // replaces its old self if shown, and is left out when it sorts below every shown row
  // while more pages follow (that page brings it) or when the list shows a state
  // (data-state="unread|read|archived") the row is not in.
  var restoredIds = [];
  function itemPosition(li) { return Number(li.dataset.position) || Number(li.dataset.id) || 0; }
  function belongs(list, item) {
    var state = list.dataset.state;
    if (state === 'archived') { return item.hasAttribute('data-archived'); }
    if (item.hasAttribute('data-archived')) { return false; }
    if (state === 'unread') { return item.classList.contains('is-unread'); }
    if (state === 'read') { return !item.classList.contains('is-unread'); }
    return true;
  }
  function restoreItem(list, item) {
    var old = byId(item.id);
    if (old && old.parentNode === list && !belongs(list, item)) { leaving(old); old.remove(); return; }
    if (old) { old.replaceWith(item); htmx.process(item); return; }
    if (!list || !belongs(list, item)) { return; }
    var position = itemPosition(item);
    var before = Array.prototype.find.call(list.children, function (li) {
      return itemPosition(li) < position;
    });
    var more = byId('notification-load-more');
    if (!before && more && more.querySelector('a')) { return; }
    list.insertBefore(item, before || null);
    htmx.process(item);
    restoredIds.push(item.id);
  }
  function restoreItems(child) {
    var list = byId('notification-list');
    Array.prototype.slice.call(child.children).forEach(function (item) {
      item.removeAttribute('hx-swap-oob');
      restoreItem(list, item);
    });
  }
  // Focus in a row about to go moves to the same button of the next row (or the previous,
  // or the list's heading), so a keyboard user archiving down a list keeps their place.
  function leaving(el) {
    var focused = document.activeElement;
    if (!focused || !el.contains(focused) || !ITEM_ID.test(el.id)) { return; }
    var next = el.nextElementSibling || el.previousElementSibling;
    var form = focused.closest('form');
    var kind = form && form.className.split(' ')[0];
    var target = next && ((kind && next.querySelector('.' + kind + ' button')) ||
                          next.querySelector('.tocsin-item-tools button, a'));
    if (!target) {
      var region = el.closest('#notification-panel, .tocsin-inbox');
      target = region && region.querySelector('.tocsin-heading');
      if (target) { target.setAttribute('tabindex', '-1'); }
    }
    if (target) { target.focus(); }
  }
  // The Undo button: the toast goes once the undo is done; a refused one (too late,
  // undone in another tab) says so for a moment instead.
  var UNDO_REFUSED = { 409: 'Already undone.', 410: 'Too late to undo.' };
  document.addEventListener('htmx:beforeRequest', function (evt) {
    if (evt.detail.elt.matches && evt.detail.elt.matches('[data-tocsin-undo]')) { restoredIds = []; }
  });
  document.addEventListener('htmx:afterRequest', function (evt) {
    var form = evt.detail.elt;
    if (!form.matches || !form.matches('[data-tocsin-undo]')) { return; }
    var toast = form.closest('.tocsin-toast');
    if (evt.detail.successful) {
      var back = restoredIds.length && byId(restoredIds[0]);
      var link = back && back.querySelector('.tocsin-item-link');
      removeToast(toast);
      if (link && link.offsetParent !== null) { link.focus(); }
      return;
    }
    if (!toast) { return; }
    var text = toast.querySelector('.tocsin-toast-text');
    var status = evt.detail.xhr.status;
    if (text) { text.textContent = UNDO_REFUSED[status] ? tocsinT('undo.' + status, UNDO_REFUSED[status]) : tocsinT('undo.failed', 'Could not undo.'); }
    form.remove();
    clearTimeout(toast._tocsinTimer);
    toast._tocsinTimer = setTimeout(function () { removeToast(toast); }, 4000);
  });

  /* ---- connection indicator ---- */
  var failures = 0;
  var socketOpen = false;
  // 'connecting' (rendered) until the first open; never again after it.
  var LABELS = {
    connecting: 'Connecting…', connected: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline'
  };
  function setConnection(state) {
    var el = byId('connection-status');
    if (!el || el.dataset.state === state) { return; }
    el.dataset.state = state;
    var label = el.querySelector('.tocsin-connection-label');
    if (label) { label.textContent = tocsinT('connection.' + state, LABELS[state]); }
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
  // On a phone the panel is fixed under the header (--tocsin-panel-top); when the header
  // wraps (a snooze banner beside the bell), open it below whatever the bell now covers.
  function placePanel(b) {
    var bell = byId('notification-bell');
    var panel = byId('notification-panel');
    if (!bell || !panel) { return; }
    bell.style.removeProperty('--tocsin-panel-top');
    var style = getComputedStyle(panel);
    if (style.position !== 'fixed') { return; }
    var bottom = 0;
    [b, byId('notification-snooze')].forEach(function (el) {
      if (el && !el.hidden) { bottom = Math.max(bottom, el.getBoundingClientRect().bottom); }
    });
    if (bottom + 8 > (parseFloat(style.top) || 0)) {
      bell.style.setProperty('--tocsin-panel-top', Math.ceil(bottom + 8) + 'px');
    }
  }
  function openPanel() {
    var b = bellButton();
    if (!b || b.tagName !== 'BUTTON') { return; }
    placePanel(b);
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
    if (panelPushes) { replayIntoPanel(panelPushes); }
    panelPushes = null;
    if (isOpen()) { panel.focus(); } else { panel.hidden = true; }
  });

  /* ---- toasts: timers by priority, at most three visible, the rest as "+N more";
          urgent ones always visible, ahead of the rest ---- */
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
    var hovered = false;
    var focused = false;
    function run() {
      started = Date.now();
      toast._tocsinTimer = setTimeout(function () { removeToast(toast); }, toast._tocsinRemaining);
    }
    // Reading or focusing a toast holds it (WCAG 2.2.1); data-paused tells a test or a
    // host why a toast outlives its data-timeout (e.g. the pointer rests on it).
    function hold() {
      var paused = toast.hasAttribute('data-paused');
      if ((hovered || focused) && !paused) {
        clearTimeout(toast._tocsinTimer);
        toast._tocsinRemaining -= Date.now() - started;
        toast.setAttribute('data-paused', '');
      } else if (!hovered && !focused && paused) {
        toast.removeAttribute('data-paused');
        run();
      }
    }
    toast.addEventListener('mouseenter', function () { hovered = true; hold(); });
    toast.addEventListener('mouseleave', function () { hovered = false; hold(); });
    toast.addEventListener('focusin', function () { focused = true; hold(); });
    toast.addEventListener('focusout', function (evt) {
      focused = toast.contains(evt.relatedTarget);
      hold();
    });
    run();
    // Shown under a resting pointer (the one above was dismissed): held from the start.
    if (toast.matches(':hover')) { hovered = true; hold(); }
  }
  function isUrgent(toast) { return toast.dataset.priority === 'urgent'; }
  function layoutToasts() {
    var stack = byId('toast-stack');
    if (!stack) { return; }
    // An urgent toast is never hidden behind "+N more": one that arrived after lower ones
    // moves ahead of them (it was just added, so nothing in it has focus yet). Urgent ones
    // first, in order of arrival; the newest lower ones fill the places left of three.
    var firstLower = null;
    Array.prototype.forEach.call(stack.querySelectorAll('.tocsin-toast'), function (toast) {
      if (!isUrgent(toast)) {
        firstLower = firstLower || toast;
      } else if (firstLower) {
        firstLower.parentNode.insertBefore(toast, firstLower);
      }
    });
    var toasts = stack.querySelectorAll('.tocsin-toast');
    var urgent = Array.prototype.filter.call(toasts, isUrgent).length;
    var lower = toasts.length - urgent;
    var hiddenCount = Math.max(0, lower - Math.max(0, MAX_VISIBLE_TOASTS - urgent));
    var lowerSeen = 0;
    Array.prototype.forEach.call(toasts, function (toast) {
      toast.hidden = !isUrgent(toast) && lowerSeen++ < hiddenCount;
      if (!toast.hidden) { startTimer(toast); }
    });
    // More urgent toasts than fit on the screen: the stack scrolls (tocsin.css).
    stack.toggleAttribute('data-crowded', toasts.length - hiddenCount > MAX_VISIBLE_TOASTS);
    var more = byId('toast-more');
    if (more) {
      more.hidden = hiddenCount === 0;
      more.textContent = tocsinN('toasts.more', hiddenCount, ['+{n} more', '+{n} more']);
      // Not "notifications": the bell's accessible name stays unique on the page.
      more.setAttribute('aria-label', tocsinN('toasts.more_label', hiddenCount, ['Show {n} more in the panel', 'Show {n} more in the panel']));
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

  /* ---- sound: a toast marked data-sound chimes, once per notification across tabs ---- */
  // The server marks the toast (priority high or urgent, sound on, not snoozed or in quiet
  // hours); the stack's data-sound-url is the chime. Browsers refuse sound before the user
  // has interacted with the page, so until then it is skipped, quietly. Every open tab of
  // the user gets the same push: the first tab to add the toast's id to a record shared
  // through localStorage, under a Web Lock, plays it. data-sound-state tells a test or a
  // host what came of it: played, elsewhere (another tab played it), inactive (no
  // interaction yet).
  var SOUND_RECORD = 'tocsin:sounded';
  var SOUND_RECORD_MAX = 50; // ids; a push's tabs all decide within a second or so
  var interacted = false; // where navigator.userActivation is missing
  var chime = null;
  ['pointerdown', 'keydown'].forEach(function (type) {
    document.addEventListener(type, function () { interacted = true; }, true);
  });
  function hasInteracted() {
    return navigator.userActivation ? navigator.userActivation.hasBeenActive : interacted;
  }
  // True when this tab is the first to claim `key`; throws when storage is unavailable.
  function claimSound(key) {
    var played;
    try { played = JSON.parse(localStorage.getItem(SOUND_RECORD) || '[]'); } catch (e) { played = []; }
    if (!Array.isArray(played)) { played = []; }
    if (played.indexOf(key) >= 0) { return false; }
    played.push(key);
    localStorage.setItem(SOUND_RECORD, JSON.stringify(played.slice(-SOUND_RECORD_MAX)));
    return true;
  }
  function firstToClaim(key) {
    // No storage (disabled, full): the tab the user is looking at plays.
    try { return claimSound(key); } catch (e) { return document.hasFocus(); }
  }
  function underSoundLock(fn) {
    var done = false;
    function once() { if (!done) { done = true; fn(); } }
    if (!navigator.locks || !navigator.locks.request) { once(); return; } // the record alone
    navigator.locks.request('tocsin:sound', once).catch(once);
  }
  function playChime(url) {
    if (!chime || chime.getAttribute('src') !== url) { chime = new Audio(url); }
    chime.currentTime = 0;
    var playing = chime.play();
    // Refused (autoplay policy, no audio device, file missing): a chime is not worth an error.
    if (playing && playing.catch) { playing.catch(function () {}); }
  }
  function sound(toast, url) {
    if (toast.hasAttribute('data-sound-state')) { return; } // moved ahead, not new
    if (!hasInteracted()) { toast.setAttribute('data-sound-state', 'inactive'); return; }
    toast.setAttribute('data-sound-state', 'pending');
    underSoundLock(function () {
      var mine = firstToClaim(toast.id);
      toast.setAttribute('data-sound-state', mine ? 'played' : 'elsewhere');
      if (mine) { playChime(url); }
    });
  }
  function watchSounds() {
    var stack = byId('toast-stack');
    var url = stack && stack.dataset.soundUrl;
    if (!url) { return; }
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        Array.prototype.forEach.call(record.addedNodes, function (node) {
          if (node.nodeType === 1 && node.id && node.hasAttribute('data-sound')) { sound(node, url); }
        });
      });
    }).observe(stack, { childList: true });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', watchSounds);
  } else {
    watchSounds();
  }
})();

/* ---- preferences: the browser's timezone on a first visit; a rejected form shows why ---- */
(function () {
  'use strict';

  // Once per browser and user: the server keeps it only while the user has none, so a
  // later visit from another timezone never overwrites what they chose on the page.
  function sendTimezone() {
    var bell = document.getElementById('notification-bell');
    var url = bell && bell.getAttribute('data-timezone-url');
    var user = bell && bell.getAttribute('data-user');
    var field = document.getElementById('tocsin-csrf-token');
    if (!url || !user || !field || !window.fetch || !window.Intl) { return; }
    var key = 'tocsin:timezone-sent:' + user;
    var zone;
    try {
      if (window.localStorage.getItem(key)) { return; }
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return; // storage disabled: better never than on every page
    }
    if (!zone) { return; }
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      redirect: 'manual', // a plain form's 303: nothing to follow here
      headers: { 'X-CSRFToken': field.value },
      body: new URLSearchParams({ timezone: zone })
    }).then(function (response) {
      // Done either way: set, kept (the user has one) or unknown here (400).
      if (response.status < 500) {
        try { window.localStorage.setItem(key, zone); } catch (e) { /* storage full */ }
      }
    }, function () { /* offline: the next page tries again */ });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', sendTimezone);
  } else {
    sendTimezone();
  }

  // htmx drops 4xx answers; the preferences form's 400 is the form again with its message.
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var xhr = evt.detail.xhr;
    var elt = evt.detail.elt;
    if (xhr.status === 400 && elt && elt.id === 'notification-preferences' &&
        /\bid="notification-preferences"/.test(xhr.responseText)) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();

/* ---- Snooze (issue 11): a choice in the panel's "Pause notifications" menu closes it ---- */
// The answer brings the banner out of band; the menu closes and focus goes back to its
// toggle, so a keyboard user is not left on a button that was just hidden.
(function () {
  document.addEventListener('htmx:afterRequest', function (evt) {
    var elt = evt.detail.elt;
    var menu = elt && elt.closest && elt.closest('#notification-snooze-menu');
    if (!menu || !evt.detail.successful) { return; }
    menu.open = false;
    var toggle = menu.querySelector('summary');
    if (toggle) { toggle.focus(); }
  });
})();

/* ---- Inbox page (issue 12): state tabs' live rows, bulk selection, keyboard shortcuts ---- */
// Everything here starts only on the inbox page (#notification-bulk). The bulk form works
// without JavaScript; this adds the count, "select all", shift-click ranges, a current row
// moved with j/k, GitHub's shortcuts and their "?" dialog. The selection lives in a set of
// ids, not in the checkboxes: a row re-rendered by a push (read elsewhere, a group that
// grew) comes with a fresh, unchecked box, which is checked again from the set.
(function () {
  'use strict';

  var NAMES = {
    read: ['Marked', 'read'], unread: ['Marked', 'unread'], archive: ['Archived', ''],
    unarchive: ['Unarchived', ''], 'delete': ['Deleted', '']
  };
  var form, section, list, selectAll, count, status, dialog;
  var selected = new Set();
  var anchorId = null;   // the last box clicked: a shift-click selects from it
  var currentId = null;  // the row j/k moved to
  var currentIndex = 0;  // where it was, for the row that takes its place when it leaves

  function byId(id) { return document.getElementById(id); }
  function rows() {
    return list ? Array.prototype.slice.call(list.querySelectorAll(':scope > .tocsin-item')) : [];
  }
  function rowBox(row) { return row.querySelector('input[name="ids"][form="notification-bulk"]'); }
  function rowById(id) { return list && list.querySelector(':scope > [data-id="' + id + '"]'); }
  function say(text) {
    if (!status) { return; }
    // Emptied first, so the same words said twice are announced twice.
    status.textContent = '';
    setTimeout(function () { status.textContent = text; }, 50);
  }

  /* The checkboxes, the count, "select all" and the buttons, from the set. */
  function sync() {
    var all = rows();
    var present = new Set(all.map(function (row) { return row.dataset.id; }));
    selected.forEach(function (id) { if (!present.has(id)) { selected.delete(id); } });
    all.forEach(function (row) {
      var box = rowBox(row);
      if (box) { box.checked = selected.has(row.dataset.id); }
      row.classList.toggle('tocsin-selected', selected.has(row.dataset.id));
    });
    var n = selected.size;
    selectAll.checked = n > 0 && n === all.length;
    selectAll.indeterminate = n > 0 && n < all.length;
    selectAll.disabled = all.length === 0;
    count.textContent = n ? tocsinN('bulk.selected', n, ['{n} selected', '{n} selected']) : tocsinT('bulk.none_selected', 'None selected');
    form.querySelectorAll('.tocsin-bulk-actions button').forEach(function (b) { b.disabled = n === 0; });
    markCurrent(all);
  }

  /* The current row: a class and aria-current, and focus on its link. */
  function markCurrent(all) {
    all = all || rows();
    if (currentId !== null && !all.some(function (r) { return r.dataset.id === currentId; })) {
      // It left the list (archived, deleted): the row that took its place is current.
      var next = all[Math.min(currentIndex, all.length - 1)];
      currentId = next ? next.dataset.id : null;
      // Focus follows only if it went with the row (or to a row): never out of the bar.
      var active = document.activeElement;
      if (next && (!active || active === document.body || list.contains(active))) {
        focusRow(next);
      }
    }
    all.forEach(function (row, i) {
      var isCurrent = row.dataset.id === currentId;
      row.classList.toggle('tocsin-current', isCurrent);
      if (isCurrent) { row.setAttribute('aria-current', 'true'); currentIndex = i; } else { row.removeAttribute('aria-current'); }
    });
  }
  function focusRow(row) {
    if (!row) { return; }
    var link = row.querySelector('.tocsin-item-link');
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: 'nearest' });
  }
  function move(by) {
    var all = rows();
    if (!all.length) { return; }
    var i = all.findIndex(function (r) { return r.dataset.id === currentId; });
    i = i < 0 ? (by > 0 ? 0 : all.length - 1) : Math.max(0, Math.min(all.length - 1, i + by));
    currentId = all[i].dataset.id;
    markCurrent(all);
    focusRow(all[i]);
  }

  function setRange(fromId, toId, checked) {
    var all = rows();
    var a = all.findIndex(function (r) { return r.dataset.id === fromId; });
    var b = all.findIndex(function (r) { return r.dataset.id === toId; });
    if (a < 0 || b < 0) { return false; }
    all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (row) {
      if (checked) { selected.add(row.dataset.id); } else { selected.delete(row.dataset.id); }
    });
    return true;
  }

  /* Post an action for `ids` through the bulk form's URL; the answer swaps in out of band. */
  function act(action, ids) {
    if (!ids.length) { say(tocsinT('bulk.nothing', 'No notification selected. Press j or k to choose one.')); return; }
    htmx.ajax('POST', form.getAttribute('action'), {
      source: form, swap: 'none', values: { ids: ids, action: action }
    });
  }
  function targets() {
    if (selected.size) { return Array.from(selected); }
    return currentId !== null && rowById(currentId) ? [currentId] : [];
  }

  /* A bulk answer: clear the selection, drop rows that left this tab, say what happened. */
  function leavesThisTab(action) {
    if (action === 'archive' || action === 'delete') { return true; }
    return section.dataset.state === 'archived' && (action === 'unarchive' || action === 'unread');
  }
  function asList(value) {
    if (value === undefined || value === null) { return []; }
    // htmx's parameters hand a repeated field as an array-like proxy (no working map()).
    if (typeof value === 'string') { return [value]; }
    var out = [];
    for (var i = 0; i < value.length; i++) { out.push(String(value[i])); }
    return out;
  }
  document.addEventListener('htmx:configRequest', function (evt) {
    if (!form || evt.detail.elt !== form) { return; }
    evt.detail.elt._tocsinBulk = {
      action: String(evt.detail.parameters.action || ''),
      ids: asList(evt.detail.parameters.ids)
    };
  });
  document.addEventListener('htmx:afterRequest', function (evt) {
    if (!form || evt.detail.elt !== form || !form._tocsinBulk) { return; }
    var sent = form._tocsinBulk;
    form._tocsinBulk = null;
    var words = NAMES[sent.action] || ['Done:', ''];
    if (!evt.detail.successful) {
      say(tocsinN('bulk.failed', sent.ids.length, ['Not done: {n} notification could not be changed.', 'Not done: {n} notifications could not be changed.']));
      return;
    }
    sent.ids.forEach(function (id) {
      selected.delete(id);
      var row = rowById(id);
      if (row && leavesThisTab(sent.action)) { row.remove(); }
    });
    sync();
    var english = words[0] + ' {n} ' + '%s' + (words[1] ? ' ' + words[1] : '') + '.';
    var key = NAMES[sent.action] ? 'bulk.' + sent.action : 'bulk.done';
    say(tocsinN(key, sent.ids.length, [english.replace('%s', 'notification'), english.replace('%s', 'notifications')]));
  });

  /* The Unread tab's newest page: unread rows that pushes and answers bring for
     #notification-list (new ones, and rows an undo put back), and fresh renderings of
     the rows it shows (a snapshot after a reconnect). */
  var unreadPushes = [];
  function keepForUnread(text) {
    if (!list || list.dataset.tocsinLive !== 'unread' || !text) { return; }
    var tpl = document.createElement('template');
    tpl.innerHTML = text;
    Array.prototype.forEach.call(tpl.content.children, function (child) {
      if (child.id !== 'notification-list') { return; }
      Array.prototype.forEach.call(child.children, function (item) {
        if (item.classList.contains('tocsin-item')) { unreadPushes.push(item.outerHTML); }
      });
    });
  }
  function position(li) { return Number(li.dataset.position || li.dataset.id); }
  function applyUnread() {
    // The Archived tab: a row unarchived (here or in another tab) comes re-rendered in
    // place without data-archived; it belongs to the other tabs now.
    if (list && section.dataset.state === 'archived') {
      rows().forEach(function (row) { if (!row.hasAttribute('data-archived')) { row.remove(); } });
    }
    var pushes = unreadPushes;
    unreadPushes = [];
    pushes.forEach(function (html) {
      var tpl = document.createElement('template');
      tpl.innerHTML = html;
      var item = tpl.content.firstElementChild;
      var old = byId(item.id);
      if (old && list.contains(old)) {
        old.replaceWith(item);
      } else if (!old && item.classList.contains('is-unread')) {
        // In the list's order, newest position first.
        var at = position(item);
        var after = rows().find(function (li) { return position(li) < at; });
        list.insertBefore(item, after || null);
      } else {
        return;
      }
      htmx.process(item);
    });
  }
  // The raw message: the tocsin extension drops #notification-list, absent on this tab.
  document.addEventListener('htmx:wsBeforeMessage', function (evt) { keepForUnread(evt.detail.message); });
  document.addEventListener('htmx:wsAfterMessage', applyUnread);
  document.addEventListener('htmx:afterRequest', function (evt) {
    var xhr = evt.detail.xhr;
    if (!evt.detail.successful || !xhr || !evt.detail.elt.closest) { return; }
    if (!evt.detail.elt.closest('#notification-bell, .tocsin-inbox')) { return; }
    keepForUnread(xhr.responseText);
    applyUnread();
  });

  /* Keyboard shortcuts, as GitHub's; never while typing, never with Ctrl, Meta or Alt. */
  var NOT_TYPING = /^(checkbox|radio|button|submit|reset|image|file|color|range)$/;
  function typing(el) {
    if (!el || el === document.body) { return false; }
    if (el.isContentEditable) { return true; }
    var tag = el.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT') { return true; }
    return tag === 'INPUT' && !NOT_TYPING.test(el.type);
  }
  function openShortcuts() {
    if (!dialog || dialog.open) { return; }
    dialog.showModal();  // modal: the page behind is inert, Escape closes it
  }
  document.addEventListener('keydown', function (evt) {
    if (!form || evt.defaultPrevented || evt.isComposing) { return; }
    if (evt.ctrlKey || evt.metaKey || evt.altKey) { return; }
    if (dialog && dialog.open) { return; }
    if (typing(evt.target) || typing(document.activeElement)) { return; }
    var onArchived = section.dataset.state === 'archived';
    var handled = true;
    switch (evt.key) {
      case 'j': move(1); break;
      case 'k': move(-1); break;
      case 'x':
        if (currentId === null) { move(1); }
        if (currentId !== null) {
          if (selected.has(currentId)) { selected.delete(currentId); } else { selected.add(currentId); }
          anchorId = currentId;
          sync();
        }
        break;
      case 'e': act(onArchived ? 'unarchive' : 'archive', targets()); break;
      case 'I': act('read', targets()); break;
      case 'U': act('unread', targets()); break;
      case '#': act('delete', targets()); break;
      case '?': openShortcuts(); break;
      case '/': {  // the first of two keystrokes to find anything (issue 14's search)
        var box = byId('notification-search');
        if (box) { box.focus(); box.select(); } else { handled = false; }
        break;
      }
      default: handled = false;
    }
    if (handled) { evt.preventDefault(); }
  });

  function start() {
    form = byId('notification-bulk');
    if (!form) { return; }
    section = form.closest('.tocsin-inbox');
    list = section && section.querySelector('.tocsin-inbox-list');
    selectAll = byId('notification-select-all');
    count = byId('notification-bulk-count');
    status = byId('notification-inbox-status');
    dialog = byId('notification-shortcuts');
    if (!section || !list || !selectAll || !count) { form = null; return; }
    selectAll.closest('label').hidden = false;
    var opener = section.querySelector('.tocsin-shortcuts-button');
    if (opener) {
      opener.hidden = false;
      opener.addEventListener('click', openShortcuts);
    }
    if (dialog) {
      // A modal dialog makes the page inert, but Tab past its last control leaves for the
      // browser's own UI: kept inside, wrapping around, until Escape or Close.
      dialog.addEventListener('keydown', function (evt) {
        if (evt.key !== 'Tab') { return; }
        var stops = dialog.querySelectorAll('button, [href], input, [tabindex]:not([tabindex="-1"])');
        if (!stops.length) { return; }
        var first = stops[0];
        var last = stops[stops.length - 1];
        if (evt.shiftKey && document.activeElement === first) {
          evt.preventDefault(); last.focus();
        } else if (!evt.shiftKey && document.activeElement === last) {
          evt.preventDefault(); first.focus();
        }
      });
    }
    // A click, not a change: only a click knows about Shift.
    list.addEventListener('click', function (evt) {
      var box = evt.target.closest && evt.target.closest('input[name="ids"][form="notification-bulk"]');
      if (!box) { return; }
      var id = box.value;
      if (!(evt.shiftKey && anchorId !== null && setRange(anchorId, id, box.checked))) {
        if (box.checked) { selected.add(id); } else { selected.delete(id); }
      }
      anchorId = id;
      currentId = id;
      sync();
    });
    // A box toggled by the keyboard (Space) clicks too; a change that was no click (a
    // browser restoring the form) is taken as it is.
    list.addEventListener('change', function (evt) {
      var box = evt.target;
      if (box.name !== 'ids') { return; }
      if (box.checked) { selected.add(box.value); } else { selected.delete(box.value); }
      sync();
    });
    selectAll.addEventListener('change', function () {
      rows().forEach(function (row) {
        if (selectAll.checked) { selected.add(row.dataset.id); } else { selected.delete(row.dataset.id); }
      });
      sync();
    });
    list.addEventListener('focusin', function (evt) {
      var row = evt.target.closest('.tocsin-item');
      if (row && list.contains(row)) { currentId = row.dataset.id; markCurrent(); }
    });
    rows().forEach(function (row) {
      var box = rowBox(row);
      if (box && box.checked) { selected.add(row.dataset.id); }  // kept by a back button
    });
    new MutationObserver(function () { sync(); }).observe(list, { childList: true });
    sync();
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
  // Search (issue 14): the inbox's filter form swaps the whole #notification-inbox
  // (tocsin-search.js); the shortcuts and selection start again on the new one.
  document.addEventListener('htmx:load', function (evt) {
    if (evt.detail.elt && evt.detail.elt.id === 'notification-inbox') { selected.clear(); start(); }
  });
})();
