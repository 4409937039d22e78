"""The job queue the channels beyond the open tab run on: Huey, one instance per app.

Redis-backed at TOCSIN_REDIS_URL when set (any number of `flask tocsin worker`
consumers on any machines), else a SQLite file in the instance folder for the embedded
set-up. Jobs carry delivery ids only: the rows are the truth (deliveries.py), so a job
that is lost, run twice or run late changes nothing but the timing. A publish never
waits for a send; `enqueue` never raises (the sweep enqueues whatever it lost), and
after a failure it does not even try for OUTAGE seconds, so a queue that is down costs
one publish a refused connection, not every publish a timeout.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import redis
from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey
from redis.backoff import NoBackoff
from redis.retry import Retry

from .. import state as tocsin_state
from ..extensions import store
from ..models import utcnow
from . import deliveries

log = logging.getLogger(__name__)

#: Seconds `enqueue` gives up at once after a failed enqueue: the rows wait for the sweep
#: (every TOCSIN_DELIVERY_SWEEP_INTERVAL, a minute by default) in any case.
OUTAGE = 5.0
#: Seconds to connect to Redis and to hear back from it. A publish may wait this long
#: once per OUTAGE when Redis stops answering; the worker's blocking read waits 1 s.
REDIS_CONNECT_TIMEOUT = 1.0
REDIS_TIMEOUT = 5.0

#: Deliveries per job. One publish to many stages a row per recipient: in jobs of this
#: size every worker thread takes a share (one job of 10,000 would run on one thread),
#: at ~0.2-0.4 ms per enqueue (Redis, SQLite) for 25 sends of ~5-50 ms each.
JOB_SIZE = 25


class Queue:
    """One app's Huey and its tasks."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.huey = create_huey(app)
        self._deliver = self.huey.task(name="tocsin.deliver")(self._run)
        self._down_until = 0.0  # time.monotonic() before which enqueue does not try
        self._lock = threading.Lock()

    def enqueue(self, ids: Sequence[int], eta: datetime | None = None) -> bool:
        """Queue jobs for the deliveries `ids` (at `eta` if that is ahead), JOB_SIZE rows
        each so that a fan-out's sends spread over the workers; never raise."""
        if not ids:
            return True
        if time.monotonic() < self._down_until:
            return False
        later = eta is not None and eta > utcnow()
        try:
            for start in range(0, len(ids), JOB_SIZE):
                chunk = list(ids[start : start + JOB_SIZE])
                if later:
                    self._deliver.schedule((chunk,), eta=eta)
                else:
                    self._deliver(chunk)
        except Exception as exc:
            # The rows are committed and queued: the sweep enqueues them when it runs.
            with self._lock:
                first = time.monotonic() >= self._down_until
                self._down_until = time.monotonic() + OUTAGE
            if first:
                log.warning(
                    "queue: could not enqueue %d deliveries (%s); the sweep will", len(ids), exc
                )
            return False
        return True

    def _run(self, ids: list[int]) -> None:
        with self.app.app_context():
            try:
                for delivery_id in ids:
                    self._run_one(delivery_id)
            finally:
                store.session.remove()

    def _run_one(self, delivery_id: int) -> None:
        try:
            done = deliveries.run(store.session, delivery_id)
        except Exception:
            # The database, most likely: the row keeps its state (or its claim runs out)
            # and the sweep enqueues it again; the job's other rows still get their turn.
            log.exception("delivery %s: could not run", delivery_id)
            store.session.rollback()
            return
        if done is not None and done.due_at is not None:
            self.enqueue([delivery_id], done.due_at)

    def periodic(self, name: str, validate: Callable[[datetime], bool], job: Callable) -> None:
        """Run `job()` in an app context whenever `validate` (a Huey crontab) says so."""

        def run() -> None:
            with self.app.app_context():
                try:
                    job()
                finally:
                    store.session.remove()

        self.huey.periodic_task(validate, name=name)(run)


def create_huey(app: Flask) -> Huey:
    """Return the Huey the app's configuration picks."""
    immediate = app.config["TOCSIN_QUEUE_IMMEDIATE"]
    url = app.config["TOCSIN_REDIS_URL"]
    # Named like the broker's channels: deployments (and test runs) sharing a Redis
    # keep their queues apart with TOCSIN_REDIS_CHANNEL_PREFIX.
    name = app.config["TOCSIN_REDIS_CHANNEL_PREFIX"]
    # Results are never read: a job's outcome is its rows.
    if url:
        # redis-py's defaults (no timeouts, three retries with a backoff) could hold a
        # publish for seconds or for ever; the sweep is the retry here.
        pool = redis.ConnectionPool.from_url(
            url,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        return RedisHuey(name, connection_pool=pool, immediate=immediate, results=False)
    path = Path(app.instance_path) / app.config["TOCSIN_QUEUE_FILE"]
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), immediate=immediate, results=False)


def current() -> Queue:
    """Return the app's queue."""
    queue = tocsin_state.current().queue
    if queue is None:
        raise RuntimeError("Tocsin's queue is not set up on this app")
    return queue


def enqueue(ids: Sequence[int], eta: datetime | None = None) -> bool:
    """Queue a job for the deliveries `ids` on the current app's queue; never raise."""
    return current().enqueue(ids, eta)
