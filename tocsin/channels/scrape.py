"""What the queue and the delivery rows say at scrape time: queue depth, deliveries by state.

Asked when /metrics is scraped rather than counted as things happen, because the truth
is shared: the rows change in whichever worker process or host took the job, and the
queue lives in Redis (or a SQLite file), so any process reads the same numbers and
none has to be scraped to see them.

Deliveries are counted only in the states that need a look: queued and failed (the
backlog) and dead (given up). Sent and skipped rows pile up with every publish; counting
them would read the whole table each scrape, while these three are found through the
(state, due_at) index (tests/test_scrape.py checks the plan) and are few when all is
well. The workers' outcomes, sent included, are counters (tocsin_delivery_outcomes).
"""

import logging
from collections.abc import Iterator

import redis
import sqlalchemy as sa
from huey import RedisHuey
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from ..models import Delivery
from .queue import Queue

log = logging.getLogger(__name__)

#: The delivery states a scrape counts (see the module's docstring).
COUNTED = ("queued", "failed", "dead")
#: Seconds a scrape waits for Redis (connect, then answer) before leaving the depth out:
#: Prometheus' default scrape timeout is 10 s, and the rest of the page must still come.
TIMEOUT = 0.5
#: Milliseconds the deliveries' GROUP BY may take on PostgreSQL before it is cancelled.
STATEMENT_TIMEOUT_MS = 2000


class QueueDepth(Collector):
    """Jobs waiting in the queue (pending: runnable now; scheduled: retries, delays)."""

    def __init__(self, queue: Queue) -> None:
        self.huey = queue.huey
        self._redis: redis.Redis | None = None
        if isinstance(self.huey, RedisHuey):
            # Its own client with a short timeout: the queue's waits 5 s for a publish.
            pool = self.huey.storage.conn.connection_pool
            short = {"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT}
            own = redis.ConnectionPool(
                connection_class=pool.connection_class, **{**pool.connection_kwargs, **short}
            )
            self._redis = redis.Redis(connection_pool=own)

    def counts(self) -> tuple[int, int]:
        """Return (pending, scheduled); raise if the queue cannot say in time."""
        if self._redis is not None:
            storage = self.huey.storage
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.llen(storage.queue_key)
                pipe.zcard(storage.schedule_key)
                pending, scheduled = pipe.execute()
            return int(pending), int(scheduled)
        return self.huey.pending_count(), self.huey.scheduled_count()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("tocsin_queue_up", "1 if the job queue answered this scrape.")
        depth = GaugeMetricFamily(
            "tocsin_queue_depth", "Jobs in the queue, by state.", labels=["state"]
        )
        try:
            pending, scheduled = self.counts()
        except Exception as exc:  # Redis down or slow, a locked SQLite file
            log.warning("metrics: the queue did not answer (%s)", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        depth.add_metric(["pending"], pending)
        depth.add_metric(["scheduled"], scheduled)
        yield up
        yield depth


def counts_query() -> sa.Select:
    """Rows per channel and state in the COUNTED states: a range of the (state, due_at)
    index each, never the sent and skipped rows."""
    return (
        sa.select(Delivery.channel, Delivery.state, sa.func.count())
        .where(Delivery.state.in_(COUNTED))
        .group_by(Delivery.channel, Delivery.state)
    )


def delivery_counts(session: Session) -> list[tuple[str, str, int]]:
    """Return (channel, state, rows) for the COUNTED states."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
    rows = [(channel, state, count) for channel, state, count in session.execute(counts_query())]
    session.rollback()  # ends the SET LOCAL with the read
    return rows


class DeliveryStates(Collector):
    """Delivery rows per channel in the states that need a look, read from the table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tocsin_deliveries",
            "Delivery rows now queued, failed (to be retried) or dead, by channel.",
            labels=["channel", "state"],
        )
        try:
            rows = delivery_counts(self.session)
        except Exception as exc:
            log.warning("metrics: could not count the deliveries (%s)", exc)
            self.session.rollback()
            return
        for channel, state, count in rows:
            family.add_metric([channel, state], count)
        yield family
