"""Seen: a row was on screen, in the open panel or the inbox, for a second (tocsin-seen.js).

The page posts the ids it showed that long, a batch at a time; each row is stamped once
(a guarded UPDATE, so a repeat or a race costs nothing) and the unread rows among them
leave the unseen counter in the same transaction. After the commit the user's tabs are
told, so a badge counting unseen rows drops in every tab (live/push.py).
"""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import broker, state
from ..analytics.recorder import LIVE
from ..models import Notification, utcnow
from . import pipeline
from .store import add_unread

#: Most ids one request may name: more rows than any panel or inbox page shows at once.
MAX_IDS = 200
#: read_at as text in RETURNING: only NULL matters (see store.SEEN).
_READ = sa.type_coerce(Notification.read_at, sa.String).label("read_at")


def mark_seen(session: Session, user_id: int, ids: Iterable[int]) -> list[int]:
    """Stamp seen_at on the user's rows among `ids` (at most MAX_IDS) not seen yet; commit,
    then tell the user's tabs. Return the ids stamped now (another user's ids are ignored)."""
    try:
        # Locked in id order first, as every multi-row change locks (queries.lock_rows),
        # but only rows not seen yet: a repeat locks nothing and writes nothing.
        found = session.scalars(
            sa.select(Notification.id)
            .where(
                Notification.user_id == user_id,
                Notification.id.in_(sorted(set(ids))),
                Notification.seen_at.is_(None),
            )
            .order_by(Notification.id)
            .with_for_update()
        ).all()
        if not found:
            session.rollback()
            return []
        rows = session.execute(
            sa.update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.id.in_(found),
                Notification.seen_at.is_(None),
            )
            .values(seen_at=utcnow())
            .returning(Notification.id, Notification.user_id, Notification.type, _READ)
            .execution_options(synchronize_session=False)
        ).all()
        unseen = sum(1 for row in rows if row.read_at is None)
        add_unread(session, {}, unseen={user_id: -unseen})
        stamped = sorted(row.id for row in rows)
        if unseen:
            pipeline.after_commit(
                session, lambda: broker.publish(user_id, {"kind": "seen", "ids": stamped})
            )
    except Exception:
        session.rollback()
        raise
    session.commit()
    recorder = state.current().analytics
    if recorder is not None and rows:
        recorder.record("seen", LIVE, rows)
    return stamped
