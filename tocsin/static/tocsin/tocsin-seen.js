/* Tocsin: seen. A row (li.tocsin-item[data-unseen]) that stays at least half on screen for
   a second, in the open panel or the inbox, in a visible tab, is posted as seen: ids go
   out in batches, one POST per batch (notifications/seen_views.py), and a stamped row
   loses data-unseen, so it is never sent again. A row re-rendered unseen (a group that
   grew) is a new element and counts afresh. Rows arriving live or by swaps are picked up
   by a MutationObserver. Without IntersectionObserver nothing is sent: seen stays unset. */
(function () {
  'use strict';
  var script = document.currentScript;
  var URL_ = script && script.getAttribute('data-seen-url');
  if (!URL_ || !window.IntersectionObserver || !window.MutationObserver) { return; }

  var DWELL_MS = 1000;   // on screen this long counts as seen
  var BATCH_MS = 750;    // ids wait this long for company before they are posted
  var MAX_IDS = 200;     // per request, as the server allows (seen.MAX_IDS)
  var ROWS = '#notification-panel .tocsin-item[data-unseen], .tocsin-inbox .tocsin-item[data-unseen]';

  var timers = new Map();     // element -> its dwell timer
  var showing = new Set();    // elements at least half on screen now
  var queued = new Map();     // id -> element, waiting for the next batch
  var flushTimer = null;

  function visible() { return document.visibilityState === 'visible'; }

  function startDwell(el) {
    if (timers.has(el) || !visible()) { return; }
    timers.set(el, setTimeout(function () {
      timers.delete(el);
      if (!el.hasAttribute('data-unseen') || !visible() || !onScreen(el)) { return; }
      queued.set(el.getAttribute('data-id'), el);
      io.unobserve(el);
      showing.delete(el);
      if (queued.size >= MAX_IDS) { flush(false); } else { scheduleFlush(); }
    }, DWELL_MS));
  }

  // Checked again when the second is up: the observer reports a panel closed, or a row
  // scrolled away, only at the next frame, and "less than a second" must not slip past it.
  function onScreen(el) {
    if (!el.isConnected || el.closest('[hidden]')) { return false; }
    var rect = el.getBoundingClientRect();
    var shown = Math.min(rect.bottom, window.innerHeight) - Math.max(rect.top, 0);
    return rect.height > 0 && shown >= rect.height / 2;
  }

  function stopDwell(el) {
    var timer = timers.get(el);
    if (timer !== undefined) { clearTimeout(timer); timers.delete(el); }
  }

  var io = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var el = entry.target;
      if (entry.isIntersecting && entry.intersectionRatio >= 0.5) {
        showing.add(el);
        startDwell(el);
      } else {
        showing.delete(el);
        stopDwell(el);  // less than a second in view: not seen
      }
    });
  }, { threshold: [0, 0.5] });

  function watch(root) {
    var rows = root.querySelectorAll ? root.querySelectorAll(ROWS) : [];
    Array.prototype.forEach.call(rows, function (el) { io.observe(el); });
  }

  function scheduleFlush() {
    if (flushTimer === null) { flushTimer = setTimeout(function () { flush(false); }, BATCH_MS); }
  }

  function csrfToken() {
    var field = document.getElementById('tocsin-csrf-token');
    return field ? field.value : '';
  }

  function flush(leaving) {
    if (flushTimer !== null) { clearTimeout(flushTimer); flushTimer = null; }
    if (!queued.size) { return; }
    var batch = Array.from(queued.entries()).slice(0, MAX_IDS);
    batch.forEach(function (pair) { queued.delete(pair[0]); });
    var body = new URLSearchParams();
    batch.forEach(function (pair) { body.append('ids', pair[0]); });
    if (leaving && navigator.sendBeacon) {
      // No headers on a beacon: the token goes in the form, as a plain form posts it.
      body.append('csrf_token', csrfToken());
      navigator.sendBeacon(URL_, body);
    } else {
      fetch(URL_, {
        method: 'POST',
        credentials: 'same-origin',
        redirect: 'manual',
        keepalive: leaving,
        headers: { 'X-CSRFToken': csrfToken(), 'X-Tocsin-Seen': '1' },
        body: body
      }).then(function (response) {
        if (response.ok) {
          batch.forEach(function (pair) { pair[1].removeAttribute('data-unseen'); });
        } else if (response.status >= 500) {
          retry(batch);  // a busy database (503): these rows count again when next in view
        }
      }, function () { retry(batch); });
    }
    if (queued.size) { scheduleFlush(); }
  }

  function forget(el) {
    if (el.isConnected) { return; }  // moved, not removed (a grown group goes to the top)
    stopDwell(el);
    showing.delete(el);
    io.unobserve(el);
  }

  function retry(batch) {
    batch.forEach(function (pair) { if (pair[1].isConnected) { io.observe(pair[1]); } });
  }

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      Array.prototype.forEach.call(record.addedNodes, function (node) {
        if (node.nodeType !== 1) { return; }
        if (node.matches(ROWS)) { io.observe(node); }
        watch(node);
      });
      Array.prototype.forEach.call(record.removedNodes, function (node) {
        if (node.nodeType !== 1) { return; }
        // A swapped-out panel or row: forget its rows, so the observer holds no detached ones.
        var rows = node.matches('.tocsin-item') ? [node] : node.querySelectorAll('.tocsin-item');
        Array.prototype.forEach.call(rows, forget);
      });
    });
  }).observe(document.body, { childList: true, subtree: true });

  document.addEventListener('visibilitychange', function () {
    if (visible()) {
      showing.forEach(startDwell);
    } else {
      timers.forEach(function (timer) { clearTimeout(timer); });
      timers.clear();
      flush(false);
    }
  });
  window.addEventListener('pagehide', function () { flush(true); });

  watch(document);
})();
