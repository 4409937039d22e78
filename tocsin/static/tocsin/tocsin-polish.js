/* Tocsin (issue 15, polish): what the page does once JavaScript runs, and toasts that
   follow reads. No build step; loaded after tocsin.js, before htmx starts (deferred).

   - The bell is rendered as a link to the inbox, which works without JavaScript; here it
     becomes the panel's disclosure button (same id and attributes, no href), before htmx
     processes the page, and again in a bell swapped in later (GET /notifications/bell).
   - <html> gets class "tocsin-js": without it tocsin.css hides #connection-status, which
     would otherwise say "Connecting…" forever.
   - A toast goes in every tab once its notification is read anywhere: the read's re-render
     of the item (out of band, over the socket or in an answer, or in a reconnect's
     snapshot) carries no is-unread.
   - The socket's URL says resumed=1 once a socket has been open: that snapshot's toast
     for what came meanwhile then says "while you were offline" (live/push.py). */
(function () {
  'use strict';

  document.documentElement.classList.add('tocsin-js');

  /* ---- the bell: a link without JavaScript, the panel's button with it ---- */
  function upgradeBell(root) {
    var links = (root || document).querySelectorAll('a[data-tocsin-button]');
    Array.prototype.forEach.call(links, function (link) {
      var button = document.createElement('button');
      button.type = 'button';
      Array.prototype.forEach.call(link.attributes, function (attr) {
        if (attr.name !== 'href' && attr.name !== 'data-tocsin-button') {
          button.setAttribute(attr.name, attr.value);
        }
      });
      while (link.firstChild) { button.appendChild(link.firstChild); }
      link.replaceWith(button);
      if (root) { htmx.process(button); }
    });
  }
  upgradeBell(null);
  document.addEventListener('htmx:load', function (evt) {
    var elt = evt.detail.elt;
    if (elt && elt.querySelector && elt.querySelector('a[data-tocsin-button]')) { upgradeBell(elt); }
  });

  /* ---- a toast leaves every tab once its notification is read anywhere ---- */
  var ITEM_ID = /^notification-(\d+)$/;
  function closeReadToasts(html) {
    if (!html || html.indexOf('hx-swap-oob') < 0) { return; }
    var tpl = document.createElement('template');
    tpl.innerHTML = html;
    // Rows swapped out of band, alone (a read's re-render) or in a list (a reconnect's
    // snapshot: read while this tab was offline); not a panel's or a page's own rows.
    var items = tpl.content.querySelectorAll('li.tocsin-item[hx-swap-oob], [hx-swap-oob] > li.tocsin-item');
    Array.prototype.forEach.call(items, function (item) {
      var match = ITEM_ID.exec(item.id);
      if (!match || item.classList.contains('is-unread')) { return; }
      var toast = document.getElementById('toast-' + match[1]);
      if (!toast) { return; }
      // Not its dismiss button, which analytics would count as dismissed; tocsin.js lays
      // out the rest when the stack changes.
      clearTimeout(toast._tocsinTimer);
      toast.remove();
    });
  }
  document.addEventListener('htmx:wsBeforeMessage', function (evt) { closeReadToasts(evt.detail.message); });
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.status < 300) { closeReadToasts(xhr.responseText); }
  });

  /* ---- a reconnect's snapshot says what came while the tab was offline ---- */
  var wasOpen = false;
  document.addEventListener('htmx:wsOpen', function () { wasOpen = true; });
  var openWebSocket = htmx.createWebSocket;
  htmx.createWebSocket = function (url) {
    if (wasOpen && /[?&]since=/.test(url) && !/[?&]resumed=/.test(url)) { url += '&resumed=1'; }
    return openWebSocket(url);
  };
})();
