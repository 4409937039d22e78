"""Change notification state: persist in one transaction, commit, then publish."""

from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import broker
from ..analytics import track
from ..models import Notification, UnreadCounter, utcnow
from . import pipeline, queries
from .store import SEEN, add_unread, unseen_among
from .types import type_info
from .validation import clean

#: Most item ids a read event names; more than a client could be showing.
READ_EVENT_MAX_IDS = 200


class NotificationNotFound(LookupError):
    """No notification with that id belongs to the user."""


def _read(session: Session, user_id: int, rows) -> None:
    """Take `rows` (just read; with seen_at) off the user's unread and unseen counters."""
    add_unread(session, {user_id: -len(rows)}, unseen={user_id: -unseen_among(rows)})


def create(session: Session, user_id: int, **fields) -> Notification:
    """Validate, store, commit `session` and publish one notification for the user."""
    try:
        (nid,), rows = pipeline.publish_rows(session, [user_id], clean(**fields), entry="service")
        session.commit()
    except Exception:
        session.rollback()
        raise
    if nid in rows:  # as the INSERT returned it: no transaction to read it again
        return session.merge(pipeline.as_loaded(rows[nid]), load=False)
    return session.get_one(Notification, nid)  # it grew an open group: as it is now


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read; raise NotificationNotFound for others."""
    notification = queries.get(session, user_id, notification_id)
    if notification is None:
        raise NotificationNotFound(notification_id)
    # The guard on read_at makes a concurrent second read change nothing, so the counter
    # is decremented exactly once.
    changed = session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .returning(Notification.id, SEEN)
        .execution_options(synchronize_session=False)
    ).all()
    _read(session, user_id, changed)
    if changed:
        track.on_commit(session, "read", [notification])
    session.commit()
    session.refresh(notification)
    if changed:
        broker.publish(user_id, {"kind": "read", "ids": [notification_id]})
    return notification


def mark_all_read(session: Session, user_id: int, up_to: int) -> list[int]:
    """Mark the user's unread notifications at position <= up_to read; return their ids.

    A group that grew after the page was shown sorts above `up_to`, so it stays unread.
    """
    rows = session.execute(
        sa.update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.position <= up_to,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .returning(Notification.id, SEEN)
        .execution_options(synchronize_session=False)
    ).all()
    _read(session, user_id, rows)
    ids = [row.id for row in rows]
    track.ids_on_commit(session, "read", user_id, ids)
    session.commit()
    if ids:
        newest = sorted(ids, reverse=True)[:READ_EVENT_MAX_IDS]
        broker.publish(user_id, {"kind": "read", "ids": newest})
    return ids


def recount_unread(session: Session, user_id: int) -> int:
    """Rebuild the user's unread and unseen counters from the rows; return the unread count."""
    count = queries.count_unread_rows(session, user_id)
    unseen = queries.count_unseen_rows(session, user_id)
    session.execute(sa.delete(UnreadCounter).where(UnreadCounter.user_id == user_id))
    session.add(UnreadCounter(user_id=user_id, unread=count, unseen=unseen))
    session.commit()
    return count


class UnknownAction(ValueError):
    """The notification's type declares no action of that name."""


class ActionAlreadyTaken(RuntimeError):
    """An action was already taken on that notification; the first one stands."""


def resolve_action(
    session: Session, user_id: int, notification_id: int, action: str, outcome: str | None = None
) -> Notification:
    """Record the action taken on one of the user's notifications, and mark it read.

    `outcome` is what the item says from now on (default: the action's own). Changes the
    caller made in `session` (the action's effect) commit with it, or roll back when it
    raises: NotificationNotFound, UnknownAction, or ActionAlreadyTaken if another request
    acted first.
    """
    notification = queries.get(session, user_id, notification_id)
    if notification is None:
        session.rollback()
        raise NotificationNotFound(notification_id)
    declared = type_info(notification.type).action(action)
    if declared is None:
        session.rollback()
        raise UnknownAction(f"{notification.type} has no action {action!r}")
    outcome = ((outcome or "").strip() or declared.outcome or declared.label)[:200]
    now = utcnow()
    mine = Notification.id == notification_id, Notification.user_id == user_id
    # The guard on acted_at lets exactly one of two concurrent clicks through.
    taken = cast(
        sa.CursorResult,
        session.execute(
            sa.update(Notification)
            .where(*mine, Notification.acted_at.is_(None))
            .values(action_taken=action, outcome=outcome, acted_at=now)
        ),
    ).rowcount
    if not taken:
        session.rollback()
        raise ActionAlreadyTaken(notification_id)
    read = session.execute(
        sa.update(Notification)
        .where(*mine, Notification.read_at.is_(None))
        .values(read_at=now)
        .returning(Notification.id, SEEN)
        .execution_options(synchronize_session=False)
    ).all()
    _read(session, user_id, read)
    track.on_commit(session, "acted", [notification])
    if read:
        track.on_commit(session, "read", [notification])
    session.commit()
    session.refresh(notification)
    # "read" re-renders the item in the user's other tabs, outcome included.
    broker.publish(user_id, {"kind": "read", "ids": [notification_id]})
    return notification
