"""Delivery rows: staged at publish, claimed by one worker, sent at most once per channel.

A row goes queued -> sent | skipped | failed -> ... -> sent | dead. A worker owns a row by
a guarded UPDATE that only one transaction can win (state queued or failed, due, and not
claimed by a live worker), committed before anything is sent: two workers, or a task
the queue ran twice, send it once. A worker that dies mid-send leaves its claim to run
out (LEASE); the sweep then enqueues the row again, so a crash between the send and the
commit of "sent" is the one case that can send twice (SMTP and Web Push have no way to
ask whether a message was taken).
"""

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from .. import logs, metrics
from .. import state as tocsin_state
from ..analytics.recorder import Hit
from ..models import Delivery, Notification, utcnow
from ..notifications import bulk_postgres, escalation
from ..notifications.types import catalog
from . import recheck
from .outcomes import Defer, Permanent, Retry, Skip

log = logging.getLogger(__name__)

STATES = ("queued", "sent", "skipped", "failed", "dead")
#: States a worker may still take up.
PENDING = ("queued", "failed")
#: How long a worker owns a claimed row: longer than any SMTP or push request takes
#: (both time out at 30 s), short enough that a dead worker's rows go out minutes later.
LEASE = timedelta(minutes=5)
#: The longest wait between attempts.
MAX_BACKOFF = 3600.0
#: Rows per INSERT: well under SQLite's parameter limit.
BATCH = 500
#: Characters of an error kept (the column's size): the reason, never the message.
ERROR_CHARS = 500


def stage(
    session: Session, channel: str, pairs: Sequence[tuple[int, int]], due: datetime
) -> list[int]:
    """Insert a queued row per (user id, notification id) in the caller's transaction;
    return their ids."""
    now = utcnow()
    if pairs and session.get_bind().dialect.name == "postgresql":
        return bulk_postgres.insert_deliveries(session, channel, pairs, now, due)
    rows = [
        {
            "notification_id": nid,
            "user_id": uid,
            "channel": channel,
            "state": "queued",
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
            "due_at": due,
        }
        for uid, nid in pairs
    ]
    ids: list[int] = []
    stmt = sa.insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), BATCH):
        ids += session.scalars(stmt, rows[start : start + BATCH]).all()
    return ids


def claim(session: Session, delivery_id: int, now: datetime) -> Delivery | None:
    """Take the row for this worker and commit; None if it is not due, done, or another
    worker holds it."""
    stmt = (
        sa.update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.state.in_(PENDING),
            Delivery.due_at <= now,
            sa.or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        .values(claimed_until=now + LEASE, attempts=Delivery.attempts + 1, updated_at=now)
    )
    won = cast(sa.CursorResult, session.execute(stmt)).rowcount == 1
    session.commit()
    return session.get(Delivery, delivery_id, populate_existing=True) if won else None


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


def run(session: Session, delivery_id: int, now: datetime | None = None) -> Done | None:
    """Claim the row, attempt it through its channel and record how that went; None when
    there was nothing to do (not due, finished, or another worker's)."""
    now = now or utcnow()
    delivery = claim(session, delivery_id, now)
    if delivery is None:
        return None
    # The claim as this worker made it: the row object reloads after any commit in
    # `attempt`, and would then show another worker's claim, or none.
    lease = Lease(
        delivery.id,
        delivery.claimed_until,
        delivery.attempts,
        delivery.channel,
        delivery.notification_id,
        delivery.user_id,
    )
    channel = delivery.channel
    try:
        notification = session.get(Notification, delivery.notification_id)
        # Read now: a commit in the attempt would expire the row.
        hit = notification and Hit(notification.id, notification.user_id, notification.type)
        _attempt(session, delivery, notification, now)
    except Skip as exc:
        return _finish(session, lease, "skipped", str(exc))
    except Defer as exc:
        return _defer(session, lease, exc)
    except Permanent as exc:
        return _finish(session, lease, "dead", str(exc))
    except Retry as exc:
        return _fail(session, lease, str(exc), exc.after)
    except Exception as exc:  # a bug or an outage: retried like any failure, and logged
        log.exception("delivery %s (%s): attempt failed", lease.id, channel)
        session.rollback()
        return _fail(session, lease, f"{type(exc).__name__}: {exc}", None)
    done = _finish(session, lease, "sent", None)
    # Analytics: the push service or the SMTP server accepted it.
    recorder = tocsin_state.current().analytics
    if recorder is not None and hit:
        recorder.record("delivered", channel, [hit])
    return done


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


def _attempt(
    session: Session, delivery: Delivery, notification: Notification | None, now: datetime
) -> None:
    if notification is None:
        raise Skip("the notification was deleted")
    if notification.read_at is not None:
        raise Skip("read before it was due")
    if notification.archived_at is not None:
        raise Skip("archived before it was due")
    recheck.check(session, delivery, notification, now)
    state = tocsin_state.current()
    channel = next((c for c in state.channels if c.name == delivery.channel), None)
    if channel is None or not hasattr(channel, "attempt"):
        raise Permanent(f"no channel {delivery.channel!r} in this app")
    type_ = catalog().get(notification.type)
    step = escalation.step_of(delivery.channel, type_.escalation, notification.priority)
    watching = step is not None and step.unless_visible and state.presence is not None
    if watching and state.presence.any_visible(delivery.user_id):  # type: ignore[union-attr]
        raise Skip("a tab was visible")
    channel.attempt(session, delivery, notification)


def _finish(session: Session, lease: Lease, to: str, error: str | None) -> Done:
    now = utcnow()
    values = {"state": to, "claimed_until": None, "updated_at": now, "last_error": _clip(error)}
    if to == "sent":
        values["sent_at"] = now
    _record(session, lease, values)
    return Done(to)


def _fail(session: Session, lease: Lease, error: str, after: float | None) -> Done:
    config = current_app.config
    if lease.attempts >= config["TOCSIN_DELIVERY_ATTEMPTS"]:
        return _finish(session, lease, "dead", error)
    wait = after if after is not None else backoff(lease.attempts, config["TOCSIN_RETRY_BASE"])
    due = utcnow() + timedelta(seconds=wait)
    values = {"state": "failed", "claimed_until": None, "due_at": due, "last_error": _clip(error)}
    _record(session, lease, {**values, "updated_at": utcnow()})
    return Done("failed", due)


def _defer(session: Session, lease: Lease, deferred: Defer) -> Done:
    # Not an attempt: the row waits, queued, with the count it had before this claim.
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
