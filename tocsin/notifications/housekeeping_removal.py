"""Housekeeping that moves rows out of the lists and back: archive, unarchive, delete.

Archived rows are always read: archiving reads, unarchiving leaves the row read. Delete
removes the rows and their group members for good, but for the undo (undo.py), which
puts them back whole.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..analytics import track
from ..models import GroupMember, Notification, utcnow
from . import housekeeping_rows as guarded
from . import queries, restore, undo
from .housekeeping_rows import Outcome
from .store import add_unread


def archive(session: Session, user_id: int, ids: Iterable[int]) -> Outcome:
    """Archive (and so read) the user's rows among `ids`; offer an undo."""
    now = utcnow()
    with guarded.transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        not_archived = Notification.archived_at.is_(None)
        # Unread ones first: the undo makes exactly these unread again.
        rows = guarded.changed(
            session,
            user_id,
            found,
            not_archived,
            Notification.read_at.is_(None),
            read_at=now,
            archived_at=now,
        )
        guarded.count(session, user_id, rows, -1)
        unread = [row.id for row in rows]
        read = guarded.update(session, user_id, found, not_archived, archived_at=now)
        archived = sorted(unread + read)
        hits = track.ids_on_commit(session, "archived", user_id, archived)
        was_unread = set(unread)
        track.on_commit(session, "read", [h for h in hits if h.id in was_unread])
        token = None
        if archived:
            payload = {"ids": archived, "unread": sorted(unread)}
            token = undo.offer(session, user_id, undo.ARCHIVE, payload, len(archived))
        undo.announce(session, user_id, removed=archived)
    return Outcome("archive", found, removed=archived, offer=token)


def unarchive(session: Session, user_id: int, ids: Iterable[int]) -> Outcome:
    """Bring the user's archived rows among `ids` back to the lists; they stay read."""
    with guarded.transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        restored = guarded.update(
            session, user_id, found, Notification.archived_at.is_not(None), archived_at=None
        )
        undo.announce(session, user_id, restored=restored)
    return Outcome("unarchive", found, restored=restored)


def delete(session: Session, user_id: int, ids: Iterable[int]) -> Outcome:
    """Delete the user's rows among `ids` and their group members; offer an undo."""
    with guarded.transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        rows = [
            restore.dump(Notification, r._mapping)
            for r in session.execute(
                sa.delete(Notification)
                .where(Notification.user_id == user_id, Notification.id.in_(found))
                .returning(*Notification.__table__.columns)
                .execution_options(synchronize_session=False)
            )
        ]
        deleted = sorted(r["id"] for r in rows)
        members = (
            [
                restore.dump(GroupMember, m._mapping)
                for m in session.execute(
                    sa.delete(GroupMember)
                    .where(GroupMember.user_id == user_id, GroupMember.notification_id.in_(deleted))
                    .returning(*GroupMember.__table__.columns)
                    .execution_options(synchronize_session=False)
                )
            ]
            if deleted
            else []
        )
        unread = [r for r in rows if r["read_at"] is None]
        add_unread(
            session,
            {user_id: -len(unread)},
            unseen={user_id: -sum(1 for r in unread if r["seen_at"] is None)},
        )
        token = None
        if rows:
            payload = {"rows": rows, "members": members}
            token = undo.offer(session, user_id, undo.DELETE, payload, len(rows))
        undo.announce(session, user_id, removed=deleted)
    return Outcome("delete", found, removed=deleted, offer=token)
