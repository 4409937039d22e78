"""Change notification state: persist in one transaction, commit, then publish."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import broker
from ..models import Notification, UnreadCounter, User, utcnow
from . import queries
from .validation import InvalidNotification, clean

#: Most item ids a read event names; more than a client could be showing.
READ_EVENT_MAX_IDS = 200


class NotificationNotFound(LookupError):
    """No notification with that id belongs to the user."""


def _add_unread(session: Session, user_id: int, delta: int) -> None:
    """Change the user's unread counter by `delta` inside the caller's transaction."""
    if delta == 0:
        return
    dialect = session.get_bind().dialect.name
    upserts = {"sqlite": sqlite_insert, "postgresql": pg_insert}
    if dialect in upserts:
        stmt = upserts[dialect](UnreadCounter).values(user_id=user_id, unread=delta)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id"], set_={"unread": UnreadCounter.unread + delta}
        )
        session.execute(stmt)
        return
    updated = session.execute(
        sa.update(UnreadCounter)
        .where(UnreadCounter.user_id == user_id)
        .values(unread=UnreadCounter.unread + delta)
    )
    if updated.rowcount == 0:
        session.add(UnreadCounter(user_id=user_id, unread=delta))


def create(session: Session, user_id: int, **fields) -> Notification:
    """Validate, store and publish one notification for the user; return it."""
    data = clean(**fields)
    if session.get(User, user_id) is None:
        raise InvalidNotification(f"recipient: no user with id {user_id}")
    notification = Notification(user_id=user_id, created_at=utcnow(), **data.__dict__)
    session.add(notification)
    session.flush()
    _add_unread(session, user_id, 1)
    session.commit()
    broker.publish(user_id, {"kind": "created", "ids": [notification.id]})
    return notification


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
    ).rowcount
    _add_unread(session, user_id, -changed)
    session.commit()
    session.refresh(notification)
    if changed:
        broker.publish(user_id, {"kind": "read", "ids": [notification_id]})
    return notification


def mark_all_read(session: Session, user_id: int, up_to: int) -> list[int]:
    """Mark the user's unread notifications with id <= up_to read; return their ids."""
    ids = list(
        session.scalars(
            sa.update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.id <= up_to,
                Notification.read_at.is_(None),
            )
            .values(read_at=utcnow())
            .returning(Notification.id)
        )
    )
    _add_unread(session, user_id, -len(ids))
    session.commit()
    if ids:
        newest = sorted(ids, reverse=True)[:READ_EVENT_MAX_IDS]
        broker.publish(user_id, {"kind": "read", "ids": newest})
    return ids


def recount_unread(session: Session, user_id: int) -> int:
    """Rebuild the user's unread counter from the rows; return the count."""
    count = queries.count_unread_rows(session, user_id)
    session.execute(sa.delete(UnreadCounter).where(UnreadCounter.user_id == user_id))
    session.add(UnreadCounter(user_id=user_id, unread=count))
    session.commit()
    return count
