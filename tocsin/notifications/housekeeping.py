"""Inbox housekeeping: mark read or unread, archive, unarchive, delete, mark all read.

Each takes a list of ids (one for a row's button, many for the bulk form), changes only
the user's own rows (others' ids are ignored; a view answers 404 when none was found),
keeps the unread and unseen counters exact with guarded UPDATEs (a row changes read state once
however many requests race), commits, then tells the user's tabs (undo.announce).
Archive, delete and mark-all-read (and bulk read) offer an undo (undo.py).

Archived rows are always read: archiving reads, marking unread unarchives, unarchiving
leaves the row read. Delete removes the rows and their group members for good, but for
the undo, which puts them back whole.

Here: the read state (read, unread, mark all read) and the bulk form's dispatch; archive,
unarchive and delete are in housekeeping_removal.py, and the guarded UPDATEs both are
made of in housekeeping_rows.py. Callers use this module for all of them.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ..analytics import track
from ..models import Notification, utcnow
from . import housekeeping_rows as guarded
from . import queries, undo
from .housekeeping_removal import archive, delete, unarchive
from .housekeeping_rows import Outcome
from .store import SEEN

__all__ = [
    "ACTIONS",
    "MAX_IDS",
    "Outcome",
    "apply",
    "archive",
    "delete",
    "mark_read",
    "mark_unread",
    "read_all",
    "unarchive",
]

#: Most ids one request may name: a page of the inbox is far fewer.
MAX_IDS = 500
#: The bulk form's actions.
ACTIONS = ("read", "unread", "archive", "unarchive", "delete")


def mark_read(
    session: Session, user_id: int, ids: Iterable[int], *, undoable: bool = False
) -> Outcome:
    """Mark the user's rows among `ids` read; with `undoable`, offer to mark them unread again."""
    with guarded.transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        rows = guarded.changed(
            session, user_id, found, Notification.read_at.is_(None), read_at=utcnow()
        )
        guarded.count(session, user_id, rows, -1)
        read = [row.id for row in rows]
        track.ids_on_commit(session, "read", user_id, read)
        token = (
            undo.offer(session, user_id, undo.READ, {"ids": read}, len(read))
            if undoable and read
            else None
        )
        undo.announce(session, user_id, read=read)
    return Outcome("read", found, changed=read, offer=token)


def mark_unread(session: Session, user_id: int, ids: Iterable[int]) -> Outcome:
    """Mark the user's rows among `ids` unread; an archived one is unarchived too."""
    with guarded.transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        unarchived = guarded.update(
            session, user_id, found, Notification.archived_at.is_not(None), archived_at=None
        )
        rows = guarded.changed(
            session, user_id, found, Notification.read_at.is_not(None), read_at=None
        )
        # A row read unseen (mark all read) is unseen again; one that was seen stays seen.
        guarded.count(session, user_id, rows, +1)
        unread = [row.id for row in rows]
        changed = sorted(set(unread) - set(unarchived))
        undo.announce(session, user_id, read=changed, restored=unarchived)
    return Outcome("unread", found, changed=changed, restored=unarchived)


def read_all(session: Session, user_id: int, up_to: int) -> Outcome:
    """Mark the user's unread rows at position <= up_to read; offer an undo.

    A group that grew after the page was shown sorts above `up_to`, so it stays unread.
    """
    with guarded.transaction(session):
        unread_shown: tuple[sa.ColumnElement[bool], ...] = (
            Notification.user_id == user_id,
            Notification.position <= up_to,
            Notification.read_at.is_(None),
        )
        if session.get_bind().dialect.name == "postgresql":
            # Locked in id order first, as every action here locks, and then only those
            # rows changed (not one that turned unread meanwhile, unlocked): no two
            # requests wait on each other in a circle. SQLite writes one at a time.
            locked = session.scalars(
                sa.select(Notification.id)
                .where(*unread_shown)
                .order_by(Notification.id)
                .with_for_update()
            ).all()
            among = sa.bindparam("ids", list(locked), type_=postgresql.ARRAY(sa.Integer))
            unread_shown = (
                Notification.user_id == user_id,
                Notification.id == sa.any_(among),
                Notification.read_at.is_(None),
            )
        rows = session.execute(
            sa.update(Notification)
            .where(*unread_shown)
            .values(read_at=utcnow())
            .returning(Notification.id, SEEN)
            .execution_options(synchronize_session=False)
        ).all()
        guarded.count(session, user_id, rows, -1)
        read = [row.id for row in rows]
        track.ids_on_commit(session, "read", user_id, read)
        token = (
            undo.offer(session, user_id, undo.READ, {"ids": sorted(read)}, len(read))
            if read
            else None
        )
        undo.announce(session, user_id, read=read)
    return Outcome("read", read, changed=sorted(read), offer=token)


def apply(session: Session, user_id: int, action: str, ids: Iterable[int]) -> Outcome:
    """Run a bulk form's action (one of ACTIONS); bulk read offers an undo as well."""
    if action == "read":
        return mark_read(session, user_id, ids, undoable=True)
    return {
        "unread": mark_unread,
        "archive": archive,
        "unarchive": unarchive,
        "delete": delete,
    }[action](session, user_id, ids)
