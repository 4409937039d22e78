"""Each process's catch-up sweeper: a daemon thread that runs `catchup.sweep` on a timer.

It starts with the process's first socket, as the broker's listener does (live/ws.py):
a process that serves tabs is one whose users want their summary on time. Under
gunicorn every worker runs one; the claims in catchup.py make that safe, and cost two
indexed queries a round when nobody is held. `flask tocsin catchup` runs one sweep
for cron or for a deployment that serves no sockets.

The same thread prunes (retention.py) every TOCSIN_PRUNE_INTERVAL seconds, until a job
queue takes that over (issue 13): first at start, then on that timer, in one process at
a time on PostgreSQL (an advisory lock; the others skip that round). A prune that fails
is logged and tried again next time; the thread carries on. `flask tocsin prune` runs
one from cron.
"""

import logging
import threading
import time

from flask import Flask

from ..extensions import store
from . import catchup, retention

log = logging.getLogger(__name__)


class Sweeper:
    """Sweep every `interval` seconds and prune every `prune_interval` seconds on a thread
    of its own (0: never)."""

    def __init__(self, app: Flask, interval: float, prune_interval: float = 0) -> None:
        self.app = app
        self.interval = interval
        self.prune_interval = prune_interval
        self._prune_due = 0.0  # time.monotonic(): at once
        self._prune_failing = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._failing = False

    def ensure_running(self) -> None:
        """Start the thread once per process (again if it died); no-op when disabled."""
        if self.interval <= 0 and self.prune_interval <= 0:
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
        tick = min(i for i in (self.interval, self.prune_interval) if i > 0)
        while True:
            if self.interval > 0:
                self.run_once()
            if self.prune_interval > 0 and time.monotonic() >= self._prune_due:
                self.prune_once()
                self._prune_due = time.monotonic() + self.prune_interval
            if self._stop.wait(tick):
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

    def prune_once(self) -> retention.Pruned | None:
        """Prune in an app context unless another process is; log and survive errors."""
        config = self.app.config
        with self.app.app_context():
            try:
                pruned = retention.prune_exclusively(
                    store.session,
                    config["TOCSIN_KEEP_PER_USER"],
                    config["TOCSIN_RETENTION_DAYS"],
                    config.get("TOCSIN_ANALYTICS_RETENTION_DAYS", 0),
                )
            except Exception as exc:
                if self._prune_failing:
                    log.warning("prune failed again: %s", exc)
                else:
                    log.exception("prune failed; trying again in %ss", self.prune_interval)
                self._prune_failing = True
                return None
            finally:
                store.session.remove()
        self._prune_failing = False
        if pruned is None:
            log.debug("prune skipped: another process is pruning")
        elif pruned.rows or pruned.undo or pruned.events:
            log.info(
                "pruned %d old and %d over-cap notifications, %d undo records"
                " and %d analytics events in %d batches (longest %.3f s)",
                pruned.aged,
                pruned.capped,
                pruned.undo,
                pruned.events,
                pruned.batches,
                pruned.longest,
            )
        return pruned
