/* Web Push on the preferences page: "Enable push on this device" registers the service
   worker, subscribes with the server's VAPID key and posts the subscription (with the
   page's CSRF token); the answer is the device list, swapped in place. Also submits the
   form of the page a push's click lands on (push/open/<id>), which marks it read. */
(function () {
  "use strict";

  function keyBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function sameKey(subscription, key) {
    const current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true;
    const bytes = new Uint8Array(current);
    return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
  }

  /* pushManager.subscribe needs an active worker: wait for the new one to activate. */
  function activated(registration) {
    const worker = registration.installing || registration.waiting || registration.active;
    if (!worker || worker.state === "activated") return Promise.resolve(registration);
    return new Promise((resolve) => {
      worker.addEventListener("statechange", () => {
        if (worker.state === "activated") resolve(registration);
      });
    });
  }

  async function enable(root) {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") throw new Error("Notifications are blocked for this site in your browser.");
    const registration = await activated(await navigator.serviceWorker.register(root.dataset.pushSw));
    const key = keyBytes(root.dataset.pushKey);
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription, key)) {
      await subscription.unsubscribe(); // made for a key the server no longer has
      subscription = null;
    }
    subscription = subscription || (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: key,
    }));
    const response = await fetch(root.dataset.pushSubscribe, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrfToken },
      body: JSON.stringify(subscription),
    });
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      throw new Error(answer.error || "The server did not take the subscription.");
    }
    return response.text();
  }

  function setUp(root) {
    if (!root || root.dataset.pushReady) return;
    root.dataset.pushReady = "1";
    const button = root.querySelector("[data-push-enable]");
    const status = root.querySelector("[data-push-status]");
    if (!button) return;
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      status.textContent = tocsinT("push.unsupported", "This browser cannot receive push.");
      return;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      button.disabled = true;
      status.textContent = tocsinT("push.enabling", "Enabling push…");
      enable(root).then(
        (html) => {
          if (window.htmx) {
            window.htmx.swap(root, html, { swapStyle: "outerHTML" });
            const fresh = document.getElementById("notification-push");
            setUp(fresh);
            const note = fresh && fresh.querySelector("[data-push-status]");
            if (note) note.textContent = tocsinT("push.on", "Push is on for this device.");
          } else {
            window.location.reload();
          }
        },
        (error) => {
          button.disabled = false;
          const reason = error && error.message ? error.message : String(error);
          status.textContent = tocsinT("push.failed", "Push could not be enabled: {reason}", { reason: reason });
        },
      );
    });
  }

  function scan(node) {
    if (!node || !node.querySelectorAll) return;
    setUp(node.id === "notification-push" ? node : node.querySelector("#notification-push"));
  }

  function start() {
    scan(document);
    const open = document.querySelector("form[data-push-open]");
    if (open && !open.dataset.pushSent) {
      open.dataset.pushSent = "1";
      open.requestSubmit();
    }
  }

  document.addEventListener("htmx:load", (event) => scan(event.detail.elt));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
