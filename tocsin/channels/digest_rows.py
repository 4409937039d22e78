"""The digest's rows: claim a user's digest and the notifications it lists, then record
how the send went (digest.py). Every claim is a guarded UPDATE or an insert that does
nothing on a conflict, committed before the send: one worker wins each.
"""

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import Delivery, Notification, Preference, utcnow
from ..notifications.preferences import Preferences
from ..notifications.types import catalog
from .deliveries import LEASE, PENDING

#: Notifications one digest takes at most; the rest wait for the next.
TAKEN = 500
#: A fallback email the digest carried instead: its row's reason.
IN_THE_DIGEST = "in the digest"
#: {notification id: (delivery id, whether the digest inserted the row)}
Taken = dict[int, tuple[int, bool]]


def claim(session: Session, user_id: int, last: datetime | None, now: datetime) -> bool:
    """Move the user's digest_sent_at from `last` to `now` and commit; False if another
    worker did first."""
    was = Preference.digest_sent_at.is_(None) if last is None else Preference.digest_sent_at == last
    stmt = (
        sa.update(Preference)
        .where(Preference.user_id == user_id, Preference.digest != "off", was)
        # updated_at stays: it is when the user last chose (a first digest waits for it).
        .values(digest_sent_at=now, updated_at=Preference.updated_at)
    )
    won = cast(sa.CursorResult, session.execute(stmt)).rowcount == 1
    session.commit()
    return won


def take(
    session: Session, user_id: int, prefs: Preferences, since: datetime, now: datetime
) -> Taken:
    """Claim the notifications the digest lists: {notification id: (delivery id, new row)}."""
    types = catalog()
    free = sa.or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
    stmt = (
        sa.select(Notification.id, Notification.type, Delivery.id)
        .outerjoin(
            Delivery,
            sa.and_(Delivery.notification_id == Notification.id, Delivery.channel == "email"),
        )
        .where(
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
            Notification.archived_at.is_(None),
            Notification.created_at >= since,  # the rows, not the time, exclude the sent
            sa.or_(Delivery.id.is_(None), sa.and_(Delivery.state.in_(PENDING), free)),
        )
        .order_by(Notification.id.desc())
        .limit(TAKEN)
    )
    rows = [r for r in session.execute(stmt) if prefs.wants(types.get(r[1]), "email")]
    until = now + LEASE
    taken: Taken = {}
    fallback = [delivery_id for _, _, delivery_id in rows if delivery_id is not None]
    if fallback:
        won = sa.update(Delivery).where(
            Delivery.id.in_(fallback), Delivery.state.in_(PENDING), free
        )
        for did, nid in session.execute(
            won.values(claimed_until=until).returning(Delivery.id, Delivery.notification_id)
        ):
            taken[nid] = (did, False)
    fresh = [
        {
            "notification_id": nid,
            "user_id": user_id,
            "channel": "email",
            "state": "queued",
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
            "due_at": now,
            "claimed_until": until,
        }
        for nid, _, delivery_id in rows
        if delivery_id is None
    ]
    if fresh:
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        stmt_in = insert(Delivery).values(fresh).on_conflict_do_nothing()
        for did, nid in session.execute(stmt_in.returning(Delivery.id, Delivery.notification_id)):
            taken[nid] = (did, True)
    return taken


def record(session: Session, taken: Taken, now: datetime, to: str, error: str | None) -> None:
    """Mark the taken rows as the send went: sent (fallbacks skipped) or dead; commit."""
    new = [did for did, is_new in taken.values() if is_new]
    old = [did for did, is_new in taken.values() if not is_new]
    done = {"claimed_until": None, "updated_at": now}
    if new:
        values = {**done, "state": to, "last_error": error}
        if to == "sent":
            values["sent_at"] = utcnow()
        session.execute(sa.update(Delivery).where(Delivery.id.in_(new)).values(values))
    if old:
        state, reason = ("skipped", IN_THE_DIGEST) if to == "sent" else (to, error)
        values = {**done, "state": state, "last_error": reason}
        session.execute(sa.update(Delivery).where(Delivery.id.in_(old)).values(values))
    session.commit()


def release(
    session: Session,
    user_id: int,
    taken: Taken,
    last: datetime | None,
    now: datetime,
) -> None:
    """Let every claim go (the send is to be retried by the next run); commit."""
    new = [did for did, is_new in taken.values() if is_new]
    old = [did for did, is_new in taken.values() if not is_new]
    if new:
        session.execute(sa.delete(Delivery).where(Delivery.id.in_(new)))
    if old:
        session.execute(sa.update(Delivery).where(Delivery.id.in_(old)).values(claimed_until=None))
    session.execute(
        sa.update(Preference)
        .where(Preference.user_id == user_id, Preference.digest_sent_at == now)
        .values(digest_sent_at=last, updated_at=Preference.updated_at)
    )
    session.commit()
