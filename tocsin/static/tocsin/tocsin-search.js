/* Tocsin inbox search (issue 14): "/" focuses the search box, from anywhere on the inbox
   page but a field being typed in. The form itself needs no script: it is a GET form that
   htmx submits in place (hx-push-url), or the browser submits without JavaScript. */
(function () {
  'use strict';
  var NOT_TYPING = /^(checkbox|radio|button|submit|reset|range|color|file|image)$/;
  function typing(el) {
    if (!el || el === document.body) { return false; }
    if (el.isContentEditable) { return true; }
    var tag = el.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT') { return true; }
    return tag === 'INPUT' && !NOT_TYPING.test(el.type);
  }
  document.addEventListener('keydown', function (evt) {
    if (evt.key !== '/' || evt.defaultPrevented || evt.isComposing) { return; }
    if (evt.ctrlKey || evt.metaKey || evt.altKey) { return; }
    if (typing(evt.target) || typing(document.activeElement)) { return; }
    var dialog = document.getElementById('notification-shortcuts');
    if (dialog && dialog.open) { return; }
    var box = document.getElementById('notification-search');
    if (!box) { return; }
    evt.preventDefault();
    box.focus();
    box.select();
  });
})();
