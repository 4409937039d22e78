"""The job queue the channels beyond the open tab run on: Huey, one instance per app.

Redis-backed at TOCSIN_REDIS_URL when set (any number of `flask tocsin worker`
consumers on any machines), else a SQLite file in the instance folder for the embedded
set-up. Jobs carry delivery ids only: the rows are the truth (deliveries.py), so a job
that is lost, run twice or run late changes nothing but the timing. A publish never
waits for a send; `enqueue` never raises (the sweep enqueues whatever it lost).
"""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey

from .. import state as tocsin_state
from ..extensions import store
from ..models import utcnow
from . import deliveries

log = logging.getLogger(__name__)


class Queue:
    """One app's Huey and its tasks."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.huey = create_huey(app)
        self._deliver = self.huey.task(name="tocsin.deliver")(self._run)

    def enqueue(self, ids: Sequence[int], eta: datetime | None = None) -> bool:
        """Queue a job for the deliveries `ids` (at `eta` if that is ahead); never raise."""
        if not ids:
            return True
        try:
            if eta is not None and eta > utcnow():
                self._deliver.schedule((list(ids),), eta=eta)
            else:
                self._deliver(list(ids))
        except Exception:
            # The rows are committed and queued: the sweep enqueues them when it runs.
            log.warning("queue: could not enqueue %d deliveries; the sweep will", len(ids))
            return False
        return True

    def _run(self, ids: list[int]) -> None:
        with self.app.app_context():
            try:
                for delivery_id in ids:
                    done = deliveries.run(store.session, delivery_id)
                    if done is not None and done.due_at is not None:
                        self.enqueue([delivery_id], done.due_at)
            finally:
                store.session.remove()

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
        return RedisHuey(name, url=url, immediate=immediate, results=False)
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
