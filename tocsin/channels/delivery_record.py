"""How a delivery attempt's end is written: sent, skipped or dead, failed with a backoff,
or deferred; each write guarded by the worker's claim (deliveries.py), counted in the
metrics and logged without content.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from .. import logs, metrics
from ..models import Delivery, utcnow
from .outcomes import Defer

log = logging.getLogger("tocsin.channels.deliveries")  # the logger operators already watch

#: The longest wait between attempts.
MAX_BACKOFF = 3600.0
#: Characters of an error kept (the column's size): the reason, never the message.
ERROR_CHARS = 500


def backoff(attempts: int, base: float) -> float:
    """Seconds before attempt `attempts` + 1: exponential from `base`, capped, with full
    jitter over its upper half so that a burst of failures does not retry in step."""
    ceiling = min(MAX_BACKOFF, base * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not for secrets


@dataclass(frozen=True)
class Done:
    """How an attempt ended: the row's new state and, for a retry, when it is due."""

    state: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class Lease:
    """One worker's claim on a row: the id, its claim's end and the attempt's number."""

    id: int
    claimed_until: datetime | None
    attempts: int
    #: What the metrics and the log say about it.
    channel: str = ""
    notification_id: int | None = None
    user_id: int | None = None


def finish(session: Session, lease: Lease, to: str, error: str | None) -> Done:
    """End the claim in state `to` (sent, skipped, dead), keeping the error's start."""
    now = utcnow()
    values = {"state": to, "claimed_until": None, "updated_at": now, "last_error": _clip(error)}
    if to == "sent":
        values["sent_at"] = now
    _record(session, lease, values)
    return Done(to)


def fail(session: Session, lease: Lease, error: str, after: float | None) -> Done:
    """Make the row due again after `after` seconds or a backoff; dead after the last
    attempt (TOCSIN_DELIVERY_ATTEMPTS)."""
    config = current_app.config
    if lease.attempts >= config["TOCSIN_DELIVERY_ATTEMPTS"]:
        return finish(session, lease, "dead", error)
    wait = after if after is not None else backoff(lease.attempts, config["TOCSIN_RETRY_BASE"])
    due = utcnow() + timedelta(seconds=wait)
    values = {"state": "failed", "claimed_until": None, "due_at": due, "last_error": _clip(error)}
    _record(session, lease, {**values, "updated_at": utcnow()})
    return Done("failed", due)


def defer(session: Session, lease: Lease, deferred: Defer) -> Done:
    """Not an attempt: the row waits, queued, with the count it had before this claim."""
    values = {
        "state": "queued",
        "claimed_until": None,
        "due_at": deferred.until,
        "attempts": lease.attempts - 1,
        "last_error": _clip(str(deferred)),
        "updated_at": utcnow(),
    }
    _record(session, lease, values)
    return Done("queued", deferred.until)


def _record(session: Session, lease: Lease, values: dict) -> None:
    # Guarded by the claim: a worker whose lease ran out and was taken over records nothing.
    stmt = sa.update(Delivery).where(
        Delivery.id == lease.id, Delivery.claimed_until == lease.claimed_until
    )
    session.execute(stmt.values(values))
    session.commit()
    metrics.DELIVERY_OUTCOMES.labels(lease.channel, values["state"]).inc()
    told = logs.fields(
        delivery_id=lease.id,
        notification_id=lease.notification_id,
        user_id=lease.user_id,
        channel=lease.channel,
        state=values["state"],
        attempts=lease.attempts,
    )
    log.info("delivery", extra=told)


def _clip(error: str | None) -> str | None:
    return error[:ERROR_CHARS] if error else error
