"""The embedded broker: events travel through a table that each process polls.

Needs no server, and reaches other processes on the same database (a CLI command,
a cron job, a second worker) within one poll interval.
"""

import logging
import time
from datetime import timedelta

import sqlalchemy as sa

from ..extensions import store
from ..models import BrokerEvent, utcnow
from .base import ListeningBroker

log = logging.getLogger(__name__)

#: How long broker rows are kept; a process that was away longer takes a snapshot anyway.
RETENTION = timedelta(minutes=10)
#: How long an id gap is re-checked: a transaction that took the id may commit late.
GAP_TIMEOUT = 10.0
BATCH = 1000
MAX_GAPS = 1000


class DatabaseBroker(ListeningBroker):
    """Write a row per event; other processes' listeners poll for new ids."""

    kind = "database"

    @property
    def interval(self) -> float:
        return self.app.config["TOCSIN_BROKER_POLL_INTERVAL"]

    def _send(self, user_id: int, event: dict) -> None:
        self._send_many([(user_id, event)])

    def _send_many(self, events: list[tuple[int, dict]]) -> None:
        now = utcnow()
        rows = [
            {"user_id": uid, "payload": event, "origin": self.origin, "created_at": now}
            for uid, event in events
        ]
        with self.app.app_context(), store.engine.begin() as conn:
            conn.execute(sa.insert(BrokerEvent), rows)

    def _listen(self) -> None:
        engine = store.engine
        last = self._latest_id(engine)
        gaps: dict[int, float] = {}
        next_prune = 0.0
        self._ready()
        while not self._stop.wait(self.interval):
            try:
                last = self._poll(engine, last, gaps)
                if time.monotonic() >= next_prune:
                    self._prune(engine)
                    next_prune = time.monotonic() + 60
                if self.state != "listening":
                    self._ready()
            except Exception:
                # Rows wait in the table, so a failed poll loses nothing: no resync needed.
                self.down()
                self.state = "error"
                log.exception("embedded broker: poll failed; retrying")

    def _latest_id(self, engine) -> int:
        while not self._stop.is_set():
            try:
                with engine.connect() as conn:
                    return conn.scalar(sa.select(sa.func.max(BrokerEvent.id))) or 0
            except Exception:
                log.exception("embedded broker: cannot read the event table; retrying")
                self._stop.wait(1)
        return 0

    def _poll(self, engine, last: int, gaps: dict[int, float]) -> int:
        cond = BrokerEvent.id > last
        if gaps:
            cond = sa.or_(cond, BrokerEvent.id.in_(list(gaps)))
        stmt = (
            sa.select(BrokerEvent.id, BrokerEvent.user_id, BrokerEvent.payload, BrokerEvent.origin)
            .where(cond)
            .order_by(BrokerEvent.id)
            .limit(BATCH)
        )
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        now = time.monotonic()
        for row in rows:
            gaps.pop(row.id, None)
            if row.id > last:
                # Ids skipped over may belong to transactions that have not committed yet.
                # Bounded: a huge jump (a restored database) is not worth tracking id by id.
                for missing in range(max(last + 1, row.id - MAX_GAPS), row.id):
                    gaps[missing] = now + GAP_TIMEOUT
                last = row.id
            if row.origin != self.origin:
                self.deliver(row.user_id, row.payload)
        for gap, deadline in list(gaps.items()):
            if deadline < now:
                del gaps[gap]
        return last

    def _prune(self, engine) -> None:
        with engine.begin() as conn:
            cutoff = utcnow() - RETENTION
            conn.execute(sa.delete(BrokerEvent).where(BrokerEvent.created_at < cutoff))
