"""The clients the latency benchmark drives: a Chromium page and a raw WebSocket reader."""

import os
import re
import threading
import time

from playwright.sync_api import Page
from websockets.exceptions import ConnectionClosed

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
CLOCK_SAMPLES = 30
TIMEOUT_S = 5.0
TOAST_ID_RE = re.compile(r'id="toast-(\d+)"')

# Stamps each toast when it is attached, and at the next animation frame (paint follows).
OBSERVER_JS = """
() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__tocsinSeen = {};
  const mark = (el, t) => {
    if (!/^toast-\\d+$/.test(el.id) || el.id in window.__tocsinSeen) { return; }
    const seen = window.__tocsinSeen[el.id] = {attached: t, frame: null};
    requestAnimationFrame(() => { seen.frame = now(); });
  };
  new MutationObserver((records) => {
    const t = now();
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1) { continue; }
        mark(node, t);
        node.querySelectorAll('[id^="toast-"]').forEach((el) => mark(el, t));
      }
    }
  }).observe(document.body, {childList: true, subtree: true});
}
"""


def clock_offset(page: Page) -> dict:
    """Return the browser clock minus time.time(), from the sample with the shortest RTT."""
    best: tuple[float, float] | None = None
    for _ in range(CLOCK_SAMPLES):
        before = time.time()
        browser_ms = page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time()
        rtt = after - before
        offset = browser_ms / 1000 - (before + after) / 2
        if best is None or rtt < best[1]:
            best = (offset, rtt)
    assert best is not None
    return {"offset_s": best[0], "uncertainty_s": best[1] / 2}


def login(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", "alice")
    page.fill("#password", "tocsin")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.wait_for_selector('#connection-status[data-state="connected"]', state="attached")


class Arrivals:
    """Stamp on a reader thread when each toast id first arrives on a raw WebSocket."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.seen: dict[int, float] = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> "Arrivals":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                message = self.ws.recv(timeout=0.1)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            now = time.time()
            with self._cond:
                for nid in TOAST_ID_RE.findall(message):
                    self.seen.setdefault(int(nid), now)
                self._cond.notify_all()

    def wait(self, nid: int) -> float:
        with self._cond:
            if not self._cond.wait_for(lambda: nid in self.seen, TIMEOUT_S):
                raise TimeoutError(f"toast {nid} never reached the raw WebSocket")
            return self.seen[nid]


def seen_toast(page: Page, key: str) -> dict:
    """Return the observer's stamps for toast `key`, then dismiss it (the stack stays small)."""
    page.wait_for_function(
        "id => window.__tocsinSeen[id] && window.__tocsinSeen[id].frame", arg=key
    )
    seen = page.evaluate("id => window.__tocsinSeen[id]", key)
    page.evaluate(
        "id => document.getElementById(id).querySelector('[data-tocsin-dismiss]').click()", key
    )
    return seen
