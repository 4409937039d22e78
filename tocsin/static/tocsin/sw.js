/* Tocsin's service worker (GET /notifications/sw.js): shows Web Push messages and opens
   them on click. The payload is JSON: title, body, url, id, tag, urgent (channels/push.py).
   A click opens push/open/<id> beside this script, whose page marks the notification read
   with the session's CSRF token and redirects to its link: this worker has no token. */
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function text(value, fallback) {
  return typeof value === "string" && value ? value : fallback;
}

/* Only http(s) links, resolved against this origin; anything else is dropped. */
function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, self.location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch (e) {
    return null;
  }
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = {};
  }
  const id = Number(data.id);
  const options = {
    body: text(data.body, ""),
    data: { id: Number.isSafeInteger(id) && id > 0 ? id : null, url: safeUrl(data.url) },
    requireInteraction: data.urgent === true,
  };
  if (typeof data.tag === "string" && data.tag) {
    options.tag = data.tag;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(text(data.title, "New notification"), options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const open = data.id ? new URL("push/open/" + data.id, self.location.href).href : null;
  event.waitUntil(openOrFocus(open, data.url || null));
});

async function openOrFocus(open, target) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const showing = target && windows.find((client) => client.url === target);
  if (showing) {
    await showing.focus();
    if (open) {
      try {
        await showing.navigate(open); // marks it read and comes back to the same page
      } catch (e) {
        /* a tab this worker does not control: focused, left as it is */
      }
    }
    return;
  }
  const url = open || target || new URL("./", self.location.href).href;
  await self.clients.openWindow(url);
}
