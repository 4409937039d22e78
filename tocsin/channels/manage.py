"""What an operator does with deliveries: list the recent or failing ones, retry one."""

from collections.abc import Callable, Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Delivery, utcnow

#: States `retry` puts back in the queue: a failed row waiting for its backoff, or a dead one.
RETRYABLE = ("failed", "dead")


class NotRetryable(Exception):  # noqa: N818 - a refusal the CLI explains
    """The delivery does not exist, or is in a state a retry cannot change."""


def recent(session: Session, failed: bool = False, limit: int = 50) -> list[Delivery]:
    """The `limit` most recently changed deliveries; only failed and dead ones if `failed`."""
    stmt = sa.select(Delivery).order_by(Delivery.updated_at.desc(), Delivery.id.desc())
    if failed:
        stmt = stmt.where(Delivery.state.in_(RETRYABLE))
    return list(session.scalars(stmt.limit(limit)))


def retry(session: Session, delivery_id: int, enqueue: Callable[[Sequence[int]], bool]) -> bool:
    """Put a failed or dead delivery back in the queue, due now, and enqueue it; return
    whether the queue took the job (else the sweep enqueues it). The attempts start over."""
    now = utcnow()
    stmt = (
        sa.update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.state.in_(RETRYABLE),
            # A worker attempting it now records its outcome; a retry then would send twice.
            sa.or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        .values(state="queued", attempts=0, due_at=now, claimed_until=None, updated_at=now)
    )
    if cast(sa.CursorResult, session.execute(stmt)).rowcount != 1:
        session.rollback()
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            raise NotRetryable(f"no delivery {delivery_id}")
        if delivery.state in RETRYABLE:
            raise NotRetryable(f"delivery {delivery_id} is being attempted right now")
        raise NotRetryable(
            f"delivery {delivery_id} is {delivery.state}: only a failed or dead one can be retried"
        )
    session.commit()
    return enqueue([delivery_id])
