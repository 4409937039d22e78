"""Undo an archive, a delete or a mark-all-read exactly, counter included, once, for a
few seconds after it.

The action writes a `tocsin_undo` row in its own transaction (`offer`): a random token
and just what it takes to revert (the rows it archived and which of them were unread,
the rows it read, or the deleted rows and group members whole). `revert` claims the row
with a guarded UPDATE, so of two concurrent undos one wins and the other is told it was
done already, and reverts with guarded statements, so a row another tab changed since
stays as that tab left it.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import broker
from ..models import GroupMember, Notification, Undo, UTCDateTime, utcnow
from . import pipeline, queries
from .service import READ_EVENT_MAX_IDS
from .store import add_unread

#: What the toast offers: the Undo button shows this long (its data-timeout).
OFFERED = timedelta(seconds=5)
#: What the server accepts beyond that: a click at 4.9 s reaches it over a slow link.
GRACE = timedelta(seconds=5)
#: An undo row once used: kept (payload emptied) until it expires, so that a second
#: click is told "already undone" instead of "no such undo".
DONE = "done"
#: The actions an undo reverts.
ARCHIVE, DELETE, READ = "archive", "delete", "read_all"


class UndoNotFound(LookupError):
    """No undo with that token belongs to the user (or it was pruned long ago)."""


class UndoExpired(ValueError):
    """The undo's time is up."""


class UndoUsed(RuntimeError):
    """The undo was used already (perhaps by another tab a moment ago)."""


@dataclass(frozen=True)
class Reverted:
    """What an undo changed: rows back in the lists, and rows unread again in place."""

    action: str
    restored: list[int]
    unread: list[int]


@dataclass(frozen=True)
class Offer:
    """An undo the user may take: what the toast says and the token its button posts."""

    token: str
    action: str
    count: int
    expires_at: datetime

    def as_dict(self) -> dict:
        """The offer as JSON (kept in the session for the page after a plain form post)."""
        return {
            "token": self.token,
            "action": self.action,
            "count": self.count,
            "expires_at": self.expires_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data) -> "Offer | None":
        """The offer `as_dict` wrote, or None if it is malformed or past its grace."""
        try:
            offer = cls(
                str(data["token"]),
                str(data["action"]),
                int(data["count"]),
                datetime.fromisoformat(data["expires_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return offer if utcnow() <= offer.expires_at + GRACE else None


def offer(session: Session, user_id: int, action: str, payload: dict, count: int) -> Offer:
    """Add an undo row for `count` rows in the caller's transaction; prune the user's
    expired ones."""
    prune(session, user_id)
    token = secrets.token_urlsafe(24)
    now = utcnow()
    session.add(
        Undo(
            id=token,
            user_id=user_id,
            action=action,
            payload=payload,
            created_at=now,
            expires_at=now + OFFERED,
        )
    )
    return Offer(token, action, count, now + OFFERED)


def prune(session: Session, user_id: int | None = None, now: datetime | None = None) -> int:
    """Delete undo rows past their grace (one user's, or everyone's); return how many.

    Rows another transaction holds (an undo being taken) are skipped on PostgreSQL: they
    go next time, and no two transactions wait on each other here.
    """
    cutoff = (now or utcnow()) - GRACE
    expired = sa.select(Undo.id).where(Undo.expires_at < cutoff)
    if user_id is not None:
        expired = expired.where(Undo.user_id == user_id)
    ids = list(session.scalars(expired.with_for_update(skip_locked=True)))
    if ids:
        session.execute(sa.delete(Undo).where(Undo.id.in_(ids)))
    return len(ids)


def revert(session: Session, user_id: int, token: str) -> Reverted:
    """Revert the action `token` offers, commit, then tell the user's tabs.

    Raises UndoNotFound (also for another user's token), UndoExpired or UndoUsed.
    """
    try:
        action, payload = _claim(session, user_id, token)
        # The rows in id order first, as every housekeeping action locks them.
        queries.lock_rows(session, user_id, payload.get("ids", []))
        if action == ARCHIVE:
            result = _unarchive(session, user_id, payload)
        elif action == DELETE:
            result = _reinsert(session, user_id, payload)
        else:
            result = _unread(session, user_id, payload)
    except Exception:
        session.rollback()
        raise
    announce(session, user_id, restored=result.restored, read=result.unread)
    session.commit()
    return result


def announce(
    session: Session,
    user_id: int,
    *,
    read: Sequence[int] = (),
    removed: Sequence[int] = (),
    restored: Sequence[int] = (),
) -> None:
    """Once `session` commits, tell the user's tabs: rows whose read state changed, rows
    that left the lists (archive, delete) and rows back in them (unarchive, undo)."""
    # Newest first, and no more read ids than a tab could be showing (as mark_all_read).
    read = sorted(read, reverse=True)[:READ_EVENT_MAX_IDS]
    events = [
        {"kind": kind, "ids": sorted(ids, reverse=True)}
        for kind, ids in (("read", read), ("removed", removed), ("restored", restored))
        if ids
    ]
    if not events:
        return

    def tell() -> None:
        for event in events:
            broker.publish(user_id, event)

    pipeline.after_commit(session, tell)


def _claim(session: Session, user_id: int, token: str) -> tuple[str, dict]:
    """Mark the user's undo used and return its action and payload, or raise why not."""
    row = session.get(Undo, token) if len(token) <= 64 else None
    if row is None or row.user_id != user_id:
        raise UndoNotFound(token)
    if row.action == DONE:
        raise UndoUsed(token)
    if utcnow() > row.expires_at + GRACE:
        raise UndoExpired(token)
    action, payload = row.action, row.payload
    # The guard lets exactly one of two concurrent undos through.
    claimed = cast(
        sa.CursorResult,
        session.execute(
            sa.update(Undo)
            .where(Undo.id == token, Undo.user_id == user_id, Undo.action != DONE)
            .values(action=DONE, payload={})
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if not claimed:
        raise UndoUsed(token)
    return action, payload


def _unarchive(session: Session, user_id: int, payload: dict) -> Reverted:
    """Unarchive what the archive archived; those that were unread before, unread again."""
    mine = Notification.user_id == user_id, Notification.archived_at.is_not(None)
    was_unread = list(payload.get("unread", []))
    was_read = sorted(set(payload.get("ids", [])) - set(was_unread))
    unread = _returning_ids(
        session,
        sa.update(Notification)
        .where(*mine, Notification.id.in_(was_unread), Notification.read_at.is_not(None))
        .values(archived_at=None, read_at=None),
    )
    read = _returning_ids(
        session,
        sa.update(Notification)
        .where(*mine, Notification.id.in_(was_read))
        .values(archived_at=None),
    )
    add_unread(session, {user_id: len(unread)})
    return Reverted(ARCHIVE, sorted(unread + read), [])


def _unread(session: Session, user_id: int, payload: dict) -> Reverted:
    """Mark unread again what a mark-all-read (or a bulk read) read, unless archived since."""
    ids = sorted(payload.get("ids", []))
    unread: list[int] = []
    for start in range(0, len(ids), queries.LOCK_CHUNK):  # it may name every unread row
        unread += _returning_ids(
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
    add_unread(session, {user_id: len(unread)})
    return Reverted(READ, [], sorted(unread))


def _reinsert(session: Session, user_id: int, payload: dict) -> Reverted:
    """Put deleted rows and their group members back with the same ids and columns."""
    rows = [_load(Notification, r) for r in payload.get("rows", []) if r["user_id"] == user_id]
    members = [_load(GroupMember, m) for m in payload.get("members", [])]
    members = [m for m in members if m["user_id"] == user_id]
    if rows:
        session.execute(sa.insert(Notification), rows)
    if members:
        session.execute(sa.insert(GroupMember), members)
    add_unread(session, {user_id: sum(1 for r in rows if r["read_at"] is None)})
    return Reverted(DELETE, sorted(r["id"] for r in rows), [])


def dump(model, row) -> dict:
    """A row as JSON: every column, timestamps as ISO 8601 (`_load` reverses it)."""
    out = {}
    for column in model.__table__.columns:
        value = row[column.key]
        out[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _load(model, data: dict) -> dict:
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
