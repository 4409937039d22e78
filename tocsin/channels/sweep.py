"""The deliveries sweep: enqueue again what is due, still pending and nobody holds.

A publish enqueues its rows after the commit, and a failed attempt enqueues its retry;
either enqueue can be lost (the queue was down, a worker died holding the job or the
claim). The rows stay queued or failed, so a periodic job finds them: due, pending and
with no live claim, oldest first, in batches of BATCH ids per job so that several
workers share a backlog. A row the queue still holds gets a second job, which finds it
claimed or done and does nothing (deliveries.claim).

Huey's periodic tasks fire on whole minutes (its scheduler looks once a minute, a
crontab has no seconds), so TOCSIN_DELIVERY_SWEEP_INTERVAL is rounded up to whole
minutes: 60 (the default) or less sweeps every minute, 300 every fifth minute; 0 turns
the periodic sweep off (`flask tocsin deliveries sweep` runs one, e.g. from cron).
"""

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Delivery, utcnow
from .deliveries import PENDING

#: Delivery ids per job the sweep enqueues, and per query.
BATCH = 100
#: Batches per sweep at most: a backlog larger than 10,000 rows is swept over several
#: rounds, and one sweep never holds a worker for long.
MAX_BATCHES = 100
#: How long a due row waits for its own job before the sweep enqueues another: a worker
#: takes a job within milliseconds when the queue is up, so a row still pending this
#: long after its due time has most likely lost its job.
GRACE = timedelta(seconds=30)


def due(session: Session, now: datetime, after_id: int = 0) -> list[int]:
    """The first BATCH ids above `after_id` of rows due by `now` - GRACE, pending and not
    claimed."""
    stmt = (
        sa.select(Delivery.id)
        .where(
            Delivery.state.in_(PENDING),
            Delivery.due_at <= now - GRACE,
            sa.or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
            Delivery.id > after_id,
        )
        .order_by(Delivery.id)
        .limit(BATCH)
    )
    return list(session.scalars(stmt))


def sweep(
    session: Session, enqueue: Callable[[Sequence[int]], bool], now: datetime | None = None
) -> int:
    """Enqueue every lost delivery in batches; return how many rows were enqueued."""
    now = now or utcnow()
    after, swept = 0, 0
    for _ in range(MAX_BATCHES):
        ids = due(session, now, after)
        session.rollback()  # no transaction held open while the queue is asked
        if not ids or not enqueue(ids):
            break
        swept += len(ids)
        after = ids[-1]
    return swept


def every(seconds: int) -> Callable[[datetime], bool]:
    """A Huey periodic test that fires every `seconds`, rounded up to whole minutes."""
    minutes = max(1, math.ceil(seconds / 60))

    def validate(moment: datetime) -> bool:
        since_epoch = moment - datetime(1970, 1, 1, tzinfo=moment.tzinfo)
        return int(since_epoch.total_seconds() // 60) % minutes == 0

    return validate
