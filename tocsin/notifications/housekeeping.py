"""Inbox housekeeping: mark read or unread, archive, unarchive, delete, mark all read.

Each takes a list of ids (one for a row's button, many for the bulk form), changes only
the user's own rows (others' ids are ignored; a view answers 404 when none was found),
keeps the unread and unseen counters exact with guarded UPDATEs (a row changes read state once
however many requests race), commits, then tells the user's tabs (undo.announce).
Archive, delete and mark-all-read (and bulk read) offer an undo (undo.py).

Archived rows are always read: archiving reads, marking unread unarchives, unarchiving
leaves the row read. Delete removes the rows and their group members for good, but for
the undo, which puts them back whole.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ..analytics import track
from ..models import GroupMember, Notification, utcnow
from . import queries, restore, undo
from .store import SEEN, add_unread, unseen_among

#: Most ids one request may name: a page of the inbox is far fewer.
MAX_IDS = 500
#: The bulk form's actions.
ACTIONS = ("read", "unread", "archive", "unarchive", "delete")


@dataclass(frozen=True)
class Outcome:
    """What an action did to the user's rows."""

    action: str
    #: The user's rows among the ids asked for (the rest are someone else's, or gone).
    found: list[int]
    #: Rows whose read state changed and that stay where they are: re-render them.
    changed: list[int] = field(default_factory=list)
    #: Rows that left the lists (archived, deleted).
    removed: list[int] = field(default_factory=list)
    #: Rows back in the lists (unarchived).
    restored: list[int] = field(default_factory=list)
    #: The undo on offer, when the action offers one and changed anything.
    offer: undo.Offer | None = None

    @property
    def count(self) -> int:
        """How many rows the action changed."""
        return len(set(self.changed) | set(self.removed) | set(self.restored))


def mark_read(
    session: Session, user_id: int, ids: Iterable[int], *, undoable: bool = False
) -> Outcome:
    """Mark the user's rows among `ids` read; with `undoable`, offer to mark them unread again."""
    with _transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        rows = _changed(session, user_id, found, Notification.read_at.is_(None), read_at=utcnow())
        _count(session, user_id, rows, -1)
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
    with _transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        unarchived = _update(
            session, user_id, found, Notification.archived_at.is_not(None), archived_at=None
        )
        rows = _changed(session, user_id, found, Notification.read_at.is_not(None), read_at=None)
        # A row read unseen (mark all read) is unseen again; one that was seen stays seen.
        _count(session, user_id, rows, +1)
        unread = [row.id for row in rows]
        changed = sorted(set(unread) - set(unarchived))
        undo.announce(session, user_id, read=changed, restored=unarchived)
    return Outcome("unread", found, changed=changed, restored=unarchived)


def archive(session: Session, user_id: int, ids: Iterable[int]) -> Outcome:
    """Archive (and so read) the user's rows among `ids`; offer an undo."""
    now = utcnow()
    with _transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        not_archived = Notification.archived_at.is_(None)
        # Unread ones first: the undo makes exactly these unread again.
        rows = _changed(
            session,
            user_id,
            found,
            not_archived,
            Notification.read_at.is_(None),
            read_at=now,
            archived_at=now,
        )
        _count(session, user_id, rows, -1)
        unread = [row.id for row in rows]
        read = _update(session, user_id, found, not_archived, archived_at=now)
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
    with _transaction(session):
        found = queries.lock_rows(session, user_id, ids)
        restored = _update(
            session, user_id, found, Notification.archived_at.is_not(None), archived_at=None
        )
        undo.announce(session, user_id, restored=restored)
    return Outcome("unarchive", found, restored=restored)


def delete(session: Session, user_id: int, ids: Iterable[int]) -> Outcome:
    """Delete the user's rows among `ids` and their group members; offer an undo."""
    with _transaction(session):
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


def read_all(session: Session, user_id: int, up_to: int) -> Outcome:
    """Mark the user's unread rows at position <= up_to read; offer an undo.

    A group that grew after the page was shown sorts above `up_to`, so it stays unread.
    """
    with _transaction(session):
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
        _count(session, user_id, rows, -1)
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


@contextmanager
def _transaction(session: Session) -> Iterator[None]:
    """Commit the session when the block ends (then the tabs are told); roll back if it raises."""
    try:
        yield
    except Exception:
        session.rollback()
        raise
    session.commit()


def _update(session: Session, user_id: int, ids: list[int], *guards, **values) -> list[int]:
    """Set `values` on the user's rows among `ids` that pass `guards`; return their ids."""
    if not ids:
        return []
    return list(
        session.scalars(
            sa.update(Notification)
            .where(Notification.user_id == user_id, Notification.id.in_(ids), *guards)
            .values(**values)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )


def _changed(session: Session, user_id: int, ids: list[int], *guards, **values) -> Sequence:
    """As _update, returning each changed row's id and seen_at (store.SEEN)."""
    if not ids:
        return []
    return session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.id.in_(ids), *guards)
        .values(**values)
        .returning(Notification.id, SEEN)
        .execution_options(synchronize_session=False)
    ).all()


def _count(session: Session, user_id: int, rows: Sequence, sign: int) -> None:
    """Move the counters by `rows` that turned unread (+1) or read (-1): all of them on the
    unread counter, those nobody has seen on the unseen one."""
    add_unread(session, {user_id: sign * len(rows)}, unseen={user_id: sign * unseen_among(rows)})
