/* Tocsin: analytics beacons (issue 14). A toast the user closes with its dismiss button
   is counted as "dismissed": one small POST (navigator.sendBeacon) to the URL this
   script's tag carries in data-dismissed-url, with the page's CSRF token. No build step;
   tocsin.js is untouched: this listens in the capture phase, before it removes the toast.
   A toast that times out, or is opened through its link, is not "dismissed". */
(function () {
  'use strict';

  var script = document.currentScript;
  var url = script && script.getAttribute('data-dismissed-url');
  if (!url) { return; }

  function token() {
    var input = document.getElementById('tocsin-csrf-token');
    return input ? input.value : '';
  }

  function send(id) {
    var body = new FormData();
    body.append('csrf_token', token());
    body.append('id', id);
    body.append('beacon', '1');
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) { return; }
    fetch(url, { method: 'POST', body: body, credentials: 'same-origin', keepalive: true })
      .catch(function () { /* a lost count, never an error for the user */ });
  }

  document.addEventListener('click', function (evt) {
    var button = evt.target.closest && evt.target.closest('[data-tocsin-dismiss]');
    var toast = button && button.closest('.tocsin-toast');
    // Only a notification's own toast (toast-<id>), not a summary or "+N more".
    var match = toast && /^toast-(\d+)$/.exec(toast.id);
    if (match) { send(match[1]); }
  }, true);
})();
