"""Put rows back as they were before an archive, a mark-all-read or a delete (undo.py
decides when): guarded, so a row another tab changed since stays as that tab left it,
with the unread and unseen counters changed by exactly the rows made unread again."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import GroupMember, Notification, UTCDateTime
from . import queries
from .store import SEEN, add_unread, unseen_among


@dataclass(frozen=True)
class Reverted:
    """What an undo changed: rows back in the lists, and rows unread again in place."""

    restored: list[int]
    unread: list[int]


def unarchive(session: Session, user_id: int, payload: dict) -> Reverted:
    """Unarchive what the archive archived; those that were unread before, unread again."""
    mine = Notification.user_id == user_id, Notification.archived_at.is_not(None)
    was_unread = list(payload.get("unread", []))
    was_read = sorted(set(payload.get("ids", [])) - set(was_unread))
    made_unread = _returning(
        session,
        sa.update(Notification)
        .where(*mine, Notification.id.in_(was_unread), Notification.read_at.is_not(None))
        .values(archived_at=None, read_at=None),
    )
    _unread_again(session, user_id, made_unread)
    unread = [row.id for row in made_unread]
    read = _returning_ids(
        session,
        sa.update(Notification)
        .where(*mine, Notification.id.in_(was_read))
        .values(archived_at=None),
    )
    return Reverted(sorted(unread + read), [])


def unread(session: Session, user_id: int, payload: dict) -> Reverted:
    """Mark unread again what a mark-all-read (or a bulk read) read, unless archived since."""
    ids = sorted(payload.get("ids", []))
    rows: list = []
    for start in range(0, len(ids), queries.LOCK_CHUNK):  # it may name every unread row
        rows += _returning(
            session,
            sa.update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.id.in_(ids[start : start + queries.LOCK_CHUNK]),
                Notification.read_at.is_not(None),
                Notification.archived_at.is_(None),
            )
            .values(read_at=None),
        )
    _unread_again(session, user_id, rows)
    return Reverted([], sorted(row.id for row in rows))


def reinsert(session: Session, user_id: int, payload: dict) -> Reverted:
    """Put deleted rows and their group members back with the same ids and columns."""
    rows = [load(Notification, r) for r in payload.get("rows", []) if r["user_id"] == user_id]
    members = [load(GroupMember, m) for m in payload.get("members", [])]
    members = [m for m in members if m["user_id"] == user_id]
    if rows:
        session.execute(sa.insert(Notification), rows)
    if members:
        session.execute(sa.insert(GroupMember), members)
    unread = [r for r in rows if r["read_at"] is None]
    unseen = sum(1 for r in unread if r["seen_at"] is None)
    add_unread(session, {user_id: len(unread)}, unseen={user_id: unseen})
    return Reverted(sorted(r["id"] for r in rows), [])


def dump(model, row) -> dict:
    """A row as JSON: every column, timestamps as ISO 8601 (`load` reverses it)."""
    out = {}
    for column in model.__table__.columns:
        value = row[column.key]
        out[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def load(model, data: dict) -> dict:
    """The column values `dump` wrote, ready to insert."""
    values = {}
    for column in model.__table__.columns:
        value = data.get(column.key)
        if isinstance(column.type, UTCDateTime) and value is not None:
            value = datetime.fromisoformat(value)
        values[column.key] = value
    return values


def _returning_ids(session: Session, stmt) -> list[int]:
    return list(
        session.scalars(
            stmt.returning(Notification.id).execution_options(synchronize_session=False)
        )
    )


def _returning(session: Session, stmt) -> list:
    """Run a guarded UPDATE; return each changed row's id and seen_at (store.SEEN)."""
    return list(
        session.execute(
            stmt.returning(Notification.id, SEEN).execution_options(synchronize_session=False)
        )
    )


def _unread_again(session: Session, user_id: int, rows: list) -> None:
    add_unread(session, {user_id: len(rows)}, unseen={user_id: unseen_among(rows)})
