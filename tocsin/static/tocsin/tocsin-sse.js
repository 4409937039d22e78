/* Tocsin: the Server-Sent Events fallback for a page whose WebSocket is blocked (issue 15).

   When: the bell's WebSocket failed to open FAILURES_BEFORE_FALLBACK times in a row (never
   opened, or not since its last open), and once more after a HEAD of the stream's URL
   answered 2xx (a server that is down, restarting, fails sockets too). Then the page reads GET /notifications/stream
   (the bell's data-stream-url) through the htmx SSE extension, and every PROBE_MS it
   tries a WebSocket of its own; once one opens, the stream is closed and the bell's
   socket reconnects. Never both live at once: while the stream serves the page, the ws
   extension gets a parked socket that never opens nor closes (htmx.createWebSocket,
   below), and the stream is closed before the socket is asked to reconnect.

   Mechanism for everything else on the page: the stream's messages go through exactly
   the ws extension's steps (its code, copied below with htmx's internal API, taken by a
   tiny extension of ours): `htmx:wsBeforeMessage` (cancelable) on #notification-bell,
   every extension's transformResponse (the `tocsin` one dedupes and routes), one OOB swap
   per top-level element, then `htmx:wsAfterMessage`. The stream opening fires
   `htmx:wsOpen`, an error `htmx:wsClose` with `event.code` 1006. So code that listens to
   the htmx:ws* events works over both; `evt.detail.transport` is 'sse' for those that
   came over the stream (absent for the real WebSocket's). `detail.socketWrapper` is a
   stand-in whose send('visibility:visible|hidden') POSTs to data-stream-visibility-url
   (CSRF token, rate-limited per user on the server): that is how the tab's visibility
   reaches presence over SSE (tocsin-browser.js needs no change).

   Nothing lost or doubled across a switch: the first stream and every socket start with
   a snapshot after ?since=<newest position this page accounted for>; a stream that
   reconnects sends Last-Event-ID (the browser does, and ?last_event_id= when the
   extension opens a new EventSource) and gets the rows after it; the client's transform
   drops an item or toast whose id it shows already.

   #connection-status keeps its data-state contract and gets data-transport="ws|sse";
   over the stream its label says "Live (fallback)". */
(function () {
  'use strict';

  var FAILURES_BEFORE_FALLBACK = 3;
  var STRINGS = {
    fallback: window.tocsinT ? window.tocsinT('connection.fallback', 'Live (fallback)') : 'Live (fallback)'
  };
  // A page (or a test) may set window.tocsinSse = { probeMs: … } before this runs.
  var PROBE_MS = (window.tocsinSse && window.tocsinSse.probeMs) || 60000;
  var api = null;
  htmx.defineExtension('tocsin-sse', { init: function (ref) { api = ref; } });

  function byId(id) { return document.getElementById(id); }
  function bell() { return byId('notification-bell'); }

  var mode = 'ws';
  var wsFailures = 0;
  var wsOpened = false;
  var wsWrapper = null; // the ws extension's public wrapper: reconnect() brings it back
  var host = null; // the element that carries sse-connect while the stream serves
  var lastId = null;
  var newest = 0; // the newest position any message brought (the up-to field)
  var probeTimer = null;
  var TAB = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);

  /* ---- the ws extension's sockets: parked while the stream serves ---- */
  var createWebSocket = htmx.createWebSocket;
  htmx.createWebSocket = function (url) {
    if (mode === 'sse') {
      return { readyState: 3, send: function () {}, close: function () {}, addEventListener: function () {} };
    }
    return createWebSocket(url);
  };

  /* ---- the stream's URL: where the page is, and where a stream left off ---- */
  function withParams(url, params) {
    var u = new URL(url, location.href);
    Object.keys(params).forEach(function (k) {
      if (params[k] === null) { u.searchParams.delete(k); } else { u.searchParams.set(k, params[k]); }
    });
    return u.pathname + u.search;
  }
  var createEventSource = htmx.createEventSource;
  htmx.createEventSource = function (url) {
    // A new EventSource (the extension's retry after a refused one) sends no Last-Event-ID.
    return createEventSource(withParams(url, { since: String(newest), last_event_id: lastId }));
  };

  var UP_TO = /id="notification-up-to"[^>]*\bvalue="(\d+)"/g;
  document.addEventListener('htmx:wsBeforeMessage', function (evt) {
    var m;
    UP_TO.lastIndex = 0;
    while ((m = UP_TO.exec(evt.detail.message || ''))) { newest = Math.max(newest, Number(m[1])); }
  });

  /* ---- counting the WebSocket's failures (its own events only, not the stream's) ---- */
  document.addEventListener('htmx:wsOpen', function (evt) {
    if (evt.detail.transport) { return; }
    wsOpened = true;
    wsFailures = 0;
    serverAnswers = false;
    wsWrapper = evt.detail.socketWrapper;
    showTransport('ws');
  });
  document.addEventListener('htmx:wsClose', function (evt) {
    if (evt.detail.transport) { return; }
    wsWrapper = evt.detail.socketWrapper || wsWrapper;
    var code = evt.detail.event && evt.detail.event.code;
    if ([1006, 1011, 1012, 1013].indexOf(code) < 0) { return; } // not retried: signed out
    if (wsOpened) { wsOpened = false; return; } // a drop after being live is not a failure
    wsFailures += 1;
    if (mode !== 'ws' || wsFailures < FAILURES_BEFORE_FALLBACK) { return; }
    if (serverAnswers) { fallBack(); } else { askServer(); }
  });
  // A server that is down (a restart) fails sockets too, and comes back on the socket's
  // next try: fall back only after a socket failed while the server answered HTTP.
  var serverAnswers = false;
  function askServer() {
    var b = bell();
    var url = b && b.getAttribute('data-stream-url');
    if (!url || !navigator.onLine || !window.fetch) { return; }
    // HEAD: the stream's checks (login, origin) run, no stream is opened.
    fetch(url, { method: 'HEAD', credentials: 'same-origin', cache: 'no-store' }).then(
      function (response) { serverAnswers = response.ok; },
      function () { serverAnswers = false; }
    );
  }

  /* ---- the stream ---- */
  function fallBack() {
    var b = bell();
    var url = b && b.getAttribute('data-stream-url');
    if (!url || !api) { return; }
    mode = 'sse';
    var since = /[?&]since=(\d+)/.exec(b.getAttribute('ws-connect') || '');
    newest = Math.max(newest, since ? Number(since[1]) : 0);
    lastId = null; // the socket's state is not the stream's: start with a snapshot
    host = document.createElement('span');
    host.id = 'tocsin-sse';
    host.hidden = true;
    host.setAttribute('hx-ext', 'sse');
    host.setAttribute('sse-connect', withParams(url, {
      tab: TAB, visible: document.visibilityState === 'visible' ? '1' : '0'
    }));
    b.appendChild(host);
    htmx.process(host);
    probeLater();
  }

  var wrapper = {
    send: function (message) {
      var m = /^visibility:(visible|hidden)$/.exec(message);
      var b = bell();
      var url = b && b.getAttribute('data-stream-visibility-url');
      if (!m || !url || mode !== 'sse') { return; }
      var field = byId('tocsin-csrf-token');
      var token = field ? field.value : '';
      var body = new URLSearchParams({ tab: TAB, visible: m[1] === 'visible' ? '1' : '0', csrf_token: token });
      fetch(url, {
        method: 'POST', body: body, credentials: 'same-origin', headers: { 'X-CSRFToken': token }
      }).catch(function () { /* the next change says it again */ });
    },
    reconnect: function () {},
    queue: []
  };
  wrapper.sendImmediately = wrapper.send;

  function ours(evt) { return mode === 'sse' && host && evt.target === host; }
  document.addEventListener('htmx:sseOpen', function (evt) {
    if (!ours(evt)) { return; }
    var source = evt.detail.source;
    if (!source._tocsin) {
      source._tocsin = true;
      source.addEventListener('message', function (e) { onMessage(source, e); });
    }
    api.triggerEvent(bell(), 'htmx:wsOpen', { event: evt, socketWrapper: wrapper, transport: 'sse' });
    showTransport('sse');
  });
  document.addEventListener('htmx:sseError', function (evt) {
    if (!ours(evt)) { return; }
    api.triggerEvent(bell(), 'htmx:wsClose', {
      event: { code: 1006, type: 'close' }, socketWrapper: wrapper, transport: 'sse'
    });
  });

  // The ws extension's message handler (htmx-ext-ws 2.0.4), for a stream's message.
  function onMessage(source, event) {
    var socketElt = bell();
    if (mode !== 'sse' || !host || !socketElt || !socketElt.contains(host)) {
      source.close();
      return;
    }
    if (event.lastEventId) { lastId = event.lastEventId; }
    var response = event.data;
    var detail = { message: response, socketWrapper: wrapper, transport: 'sse' };
    if (!api.triggerEvent(socketElt, 'htmx:wsBeforeMessage', detail)) { return; }
    api.withExtensions(socketElt, function (extension) {
      response = extension.transformResponse(response, null, socketElt);
    });
    var settleInfo = api.makeSettleInfo(socketElt);
    var fragment = api.makeFragment(response);
    Array.from(fragment.children).forEach(function (child) {
      api.oobSwap(api.getAttributeValue(child, 'hx-swap-oob') || 'true', child, settleInfo);
    });
    api.settleImmediately(settleInfo.tasks);
    api.triggerEvent(socketElt, 'htmx:wsAfterMessage', { message: response, socketWrapper: wrapper, transport: 'sse' });
  }

  /* ---- back to the WebSocket: a probe of our own, then the bell's socket ---- */
  function probeLater() {
    clearTimeout(probeTimer);
    probeTimer = setTimeout(probe, PROBE_MS);
  }
  function probe() {
    var b = bell();
    var url = b && b.getAttribute('ws-connect');
    if (mode !== 'sse' || !url) { return; }
    var socket;
    try {
      socket = createWebSocket(new URL(url, location.href.replace(/^http/, 'ws')).href);
    } catch (e) {
      probeLater();
      return;
    }
    // Closed once its snapshot is in: closing at open, the snapshot then on its way is
    // a frame after the close, which Chromium reports as an error.
    socket.onmessage = function () {
      socket.onmessage = socket.onclose = null;
      socket.close(1000);
      backToWebSocket();
    };
    socket.onclose = probeLater;
  }
  function backToWebSocket() {
    if (mode !== 'sse') { return; }
    var socketElt = bell();
    var source = host && api.getInternalData(host).sseEventSource;
    if (source) { source.close(); }
    if (host) { host.remove(); }
    host = null;
    lastId = null;
    mode = 'ws';
    wsFailures = 0;
    serverAnswers = false;
    if (socketElt) {
      // 1012: tocsin.js shows 'reconnecting' until the socket's own wsOpen.
      api.triggerEvent(socketElt, 'htmx:wsClose', {
        event: { code: 1012, type: 'close' }, socketWrapper: wrapper, transport: 'sse'
      });
    }
    if (wsWrapper) { wsWrapper.reconnect(); }
  }

  /* ---- #connection-status says which way the page is live ---- */
  var plainLabel = null;
  function showTransport(transport) {
    var el = byId('connection-status');
    if (!el) { return; }
    el.dataset.transport = transport;
    var label = el.querySelector('.tocsin-connection-label');
    if (!label) { return; }
    if (transport === 'sse') {
      if (label.textContent !== STRINGS.fallback) { plainLabel = label.textContent; }
      label.textContent = STRINGS.fallback;
    } else if (plainLabel !== null && label.textContent === STRINGS.fallback) {
      label.textContent = plainLabel;
    }
  }
})();
