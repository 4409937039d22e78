"""Each process's catch-up sweeper: a daemon thread that runs `catchup.sweep` on a timer.

It starts with the process's first socket, as the broker's listener does (live/ws.py):
a process that serves tabs is one whose users want their summary on time. Under
gunicorn every worker runs one; the claims in catchup.py make that safe, and cost two
indexed queries a round when nobody is held. `flask tocsin catchup` runs one sweep
for cron or for a deployment that serves no sockets.
"""

import logging
import threading

from flask import Flask

from ..extensions import store
from . import catchup

log = logging.getLogger(__name__)


class Sweeper:
    """Sweep every `interval` seconds on a thread of its own (0: never)."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._failing = False

    def ensure_running(self) -> None:
        """Start the thread once per process (again if it died); no-op when disabled."""
        if self.interval <= 0:
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="tocsin-catchup-sweeper", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """Stop after the current round; wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        # At once, then on the timer: after a restart the summaries due go out promptly.
        while True:
            self.run_once()
            if self._stop.wait(self.interval):
                return

    def run_once(self) -> catchup.Swept | None:
        """Run one sweep in an app context with its own session; log and survive errors."""
        with self.app.app_context():
            try:
                swept = catchup.sweep(store.session)
            except Exception as exc:
                # The database is down, most likely: one traceback, then a line a round.
                if self._failing:
                    log.warning("catch-up sweep failed again: %s", exc)
                else:
                    log.exception("catch-up sweep failed; retrying every %ss", self.interval)
                self._failing = True
                return None
            finally:
                store.session.remove()
        if self._failing:
            log.info("catch-up sweep works again")
            self._failing = False
        if swept.summaries or swept.expired:
            log.info(
                "catch-up: %d summaries, %d snoozes ended",
                len(swept.summaries),
                len(swept.expired),
            )
        return swept
