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
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import state as tocsin_state
from ..analytics.recorder import Hit
from ..models import Delivery, Notification, utcnow
from ..notifications import bulk_postgres, escalation
from ..notifications.types import catalog
from . import delivery_record, recheck
from .delivery_record import Done, Lease
from .outcomes import Defer, Permanent, Retry, Skip

log = logging.getLogger(__name__)

STATES = ("queued", "sent", "skipped", "failed", "dead")
#: States a worker may still take up.
PENDING = ("queued", "failed")
#: How long a worker owns a claimed row: longer than any SMTP or push request takes
#: (both time out at 30 s), short enough that a dead worker's rows go out minutes later.
LEASE = timedelta(minutes=5)
#: Rows per INSERT: well under SQLite's parameter limit.
BATCH = 500


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
        return delivery_record.finish(session, lease, "skipped", str(exc))
    except Defer as exc:
        return delivery_record.defer(session, lease, exc)
    except Permanent as exc:
        return delivery_record.finish(session, lease, "dead", str(exc))
    except Retry as exc:
        return delivery_record.fail(session, lease, str(exc), exc.after)
    except Exception as exc:  # a bug or an outage: retried like any failure, and logged
        log.exception("delivery %s (%s): attempt failed", lease.id, channel)
        session.rollback()
        return delivery_record.fail(session, lease, f"{type(exc).__name__}: {exc}", None)
    done = delivery_record.finish(session, lease, "sent", None)
    # Analytics: the push service or the SMTP server accepted it.
    recorder = tocsin_state.current().analytics
    if recorder is not None and hit:
        recorder.record("delivered", channel, [hit])
    return done


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
