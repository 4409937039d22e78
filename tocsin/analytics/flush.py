"""Write what the recorder counted: one upsert per (day, type, channel, event), off the
publish path, from a daemon thread per process, at exit, or when `flush()` is called.

The upserts run in sorted key order, so flushes from several processes lock the same
rows in the same order and never deadlock (PostgreSQL); SQLite runs them one writer at a
time. Raw events (TOCSIN_ANALYTICS_RAW) go in multi-row INSERTs of RAW_BATCH rows. A
flush that fails (the database is down) puts the counts back into the recorder, which
keeps them within its bounds until a later flush succeeds.
"""

import atexit
import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..config import whole_number
from ..extensions import store
from ..models import AnalyticsDaily, AnalyticsEvent
from .recorder import Recorder

log = logging.getLogger(__name__)

#: Raw events per INSERT: 6 parameters each, well under SQLite's limit.
RAW_BATCH = 500
KEY = ("day", "type", "channel", "event")
RAW_COLUMNS = ("notification_id", "user_id", "type", "channel", "event", "created_at")


@dataclass(frozen=True)
class Flushed:
    """What one flush wrote: daily keys upserted and raw events inserted."""

    keys: int = 0
    raw: int = 0


def upsert_statement(dialect: str):
    """`INSERT ... ON CONFLICT (day, type, channel, event) DO UPDATE SET count = count +
    excluded.count` for PostgreSQL or SQLite."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(AnalyticsDaily)
    return stmt.on_conflict_do_update(
        index_elements=list(KEY),
        set_={"count": AnalyticsDaily.count + stmt.excluded["count"]},
    )


def write(session: Session, counts: Counter, raw: list[tuple]) -> Flushed:
    """Add `counts` to the daily table and insert `raw` in `session`; the caller commits."""
    if counts:
        stmt = upsert_statement(session.get_bind().dialect.name)
        params = [dict(zip(KEY, key, strict=True), count=n) for key, n in sorted(counts.items())]
        session.execute(stmt, params)
    for start in range(0, len(raw), RAW_BATCH):
        rows = [dict(zip(RAW_COLUMNS, r, strict=True)) for r in raw[start : start + RAW_BATCH]]
        session.execute(sa.insert(AnalyticsEvent).values(rows))
    return Flushed(len(counts), len(raw))


def flush(session: Session, recorder: Recorder) -> Flushed:
    """Write and commit what `recorder` holds; on failure put it back and raise."""
    counts, raw = recorder.take()
    if not counts and not raw:
        return Flushed()
    try:
        done = write(session, counts, raw)
        session.commit()
    except BaseException:
        session.rollback()
        recorder.put_back(counts, raw)
        raise
    return done


class Flusher:
    """Flush `recorder` every `interval` seconds on a daemon thread, and at exit."""

    def __init__(
        self, app: Flask, recorder: Recorder, interval: float, at_exit: bool = True
    ) -> None:
        self.app = app
        self.recorder = recorder
        self.interval = interval
        self.at_exit = at_exit
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._failing = False

    def ensure_running(self) -> None:
        """Start the thread once per process (again after a fork, or if it died)."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._thread = os.getpid(), None
                if self.at_exit:
                    atexit.register(self.flush_at_exit)
            alive = self._thread is not None and self._thread.is_alive()
            if alive or self.interval <= 0:
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="tocsin-analytics-flush", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last flush."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush_now()
        self.flush_now()

    def flush_at_exit(self) -> None:
        """Write what is left as the process ends; if the database cannot take it now, the
        counts are lost: say how many in one line, not a traceback at every exit."""
        with self.app.app_context():
            try:
                flush(store.session, self.recorder)
            except Exception as exc:
                lost = sum(self.recorder.take()[0].values())
                log.warning(
                    "analytics: %d events not written at exit (%s)", lost, type(exc).__name__
                )
            finally:
                store.session.remove()

    def flush_now(self) -> Flushed | None:
        """Flush in an app context with its own session; log and survive errors."""
        with self.app.app_context():
            try:
                done = flush(store.session, self.recorder)
            except Exception as exc:
                if self._failing:
                    log.warning("analytics flush failed again: %s", exc)
                else:
                    log.exception("analytics flush failed; counts kept, retrying")
                self._failing = True
                return None
            finally:
                store.session.remove()
        if self._failing:
            log.info("analytics flush works again (%d events dropped)", self.recorder.dropped)
            self._failing = False
        return done


def init_app(app: Flask, recorder: Recorder) -> Flusher:
    """Check the analytics settings and hook the flusher to `recorder`'s first event."""
    for key in ("TOCSIN_ANALYTICS_FLUSH_INTERVAL", "TOCSIN_ANALYTICS_RETENTION_DAYS"):
        app.config[key] = whole_number(key, app.config[key])
    recorder.keep_raw = bool(app.config["TOCSIN_ANALYTICS_RAW"])
    # Tests flush by hand: no thread or exit hook outliving each test's database.
    interval = 0 if app.testing else app.config["TOCSIN_ANALYTICS_FLUSH_INTERVAL"]
    flusher = Flusher(app, recorder, interval, at_exit=not app.testing)
    recorder.on_first_record = flusher.ensure_running
    return flusher
