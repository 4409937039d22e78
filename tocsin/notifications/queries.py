"""Named, user-scoped queries: the unread count and keyset pages of the list.

The list is in `Notification.position` order, newest first: a row's id, or the fresh
sort_id its group took when it last grew. `before`, `up_to` and a socket's `since` are
positions too (a row that never grew has position == id).
"""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import GroupMember, Held, Notification, UnreadCounter
from .inbox_query import STATES as STATES  # re-exported: one definition, in inbox_query
from .inbox_query import State as State
from .toast_scope import ToastScope

#: Ids per statement when locking rows.
LOCK_CHUNK = 5000
#: Every toasting row: no mutes, nothing held back.
ALL = ToastScope()


@dataclass(frozen=True)
class Page:
    items: list[Notification]
    next_before: int | None  # pass as ?before= for the next page; None at the end

    @property
    def newest_id(self) -> int:
        """The highest position shown on this page: the bound for "mark all as read"."""
        return self.items[0].position if self.items else 0


def for_user(user_id: int) -> sa.Select:
    return sa.select(Notification).where(Notification.user_id == user_id)


def unread_count(session: Session, user_id: int) -> int:
    """Return the exact unread count from the counter row (O(1) at any size)."""
    value = session.scalar(sa.select(UnreadCounter.unread).where(UnreadCounter.user_id == user_id))
    return value or 0


def badge_count(session: Session, user_id: int, counts: str = "unread") -> int:
    """Return what the badge shows, from the counter row: `counts` is the setting
    TOCSIN_BADGE_COUNTS, "unread" (every unread row) or "unseen" (those nobody has seen)."""
    stmt = _BADGE_UNSEEN if counts == "unseen" else _BADGE_UNREAD
    return session.scalar(stmt, {"user_id": user_id}) or 0


# Built once: every push reads the badge, and building the select cost more than running it.
_BADGE_UNREAD = sa.select(UnreadCounter.unread).where(
    UnreadCounter.user_id == sa.bindparam("user_id")
)
_BADGE_UNSEEN = sa.select(UnreadCounter.unseen).where(
    UnreadCounter.user_id == sa.bindparam("user_id")
)


def count_unseen_rows(session: Session, user_id: int) -> int:
    """Count unread rows nobody has seen directly; to verify and repair the counter."""
    return session.execute(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.seen_at.is_(None),
            Notification.read_at.is_(None),
        )
    ).scalar_one()


def count_unread_rows(session: Session, user_id: int) -> int:
    """Count unread rows directly; used to verify and repair the counter."""
    return session.execute(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar_one()


def state_condition(state: State | None) -> sa.ColumnElement[bool]:
    """The rows a state lists: archived alone, or the others (all, unread or read)."""
    if state == "archived":
        return Notification.archived_at.is_not(None)
    kept = Notification.archived_at.is_(None)
    if state == "unread":
        return sa.and_(kept, Notification.read_at.is_(None))
    if state == "read":
        return sa.and_(kept, Notification.read_at.is_not(None))
    return kept


def page(
    session: Session,
    user_id: int,
    before: int | None = None,
    limit: int = 20,
    state: State | None = None,
    where: Iterable[sa.ColumnElement[bool]] = (),
) -> Page:
    """Return up to `limit` notifications newest first, below position `before` if given,
    that meet every condition in `where` (the inbox's filters, search.py).

    No `state`: what the panel lists, every row but the archived ones.
    """
    position = Notification.position
    stmt = for_user(user_id).order_by(position.desc()).limit(limit + 1)
    if before is not None:
        stmt = stmt.where(position < before)
    stmt = stmt.where(state_condition(state), *where)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].position if more and rows else None)


def get(session: Session, user_id: int, notification_id: int) -> Notification | None:
    """Return the user's notification by id, or None (another user's id is a miss)."""
    return session.scalar(for_user(user_id).where(Notification.id == notification_id))


def group_members(session: Session, user_id: int, notification_id: int) -> list[GroupMember]:
    """Return who and when in the user's grouped row, newest first (none for a single row)."""
    stmt = (
        sa.select(GroupMember)
        .where(GroupMember.notification_id == notification_id, GroupMember.user_id == user_id)
        .order_by(GroupMember.id.desc())
    )
    return list(session.scalars(stmt))


def by_ids(session: Session, user_id: int, ids) -> list[Notification]:
    """Return the user's notifications among `ids`, newest first."""
    if not ids:
        return []
    return list(session.scalars(_BY_IDS, {"user_id": user_id, "ids": list(ids)}))


#: by_ids's select, built once: each push reads its rows with it.
_BY_IDS = (
    sa.select(Notification)
    .where(
        Notification.user_id == sa.bindparam("user_id"),
        Notification.id.in_(sa.bindparam("ids", expanding=True)),
    )
    .order_by(Notification.position.desc())
)


def lock_rows(session: Session, user_id: int, ids) -> list[int]:
    """Return the user's rows among `ids`, locked in id order (PostgreSQL; SQLite writes one
    at a time anyway): every multi-row change locks this way first, so two of them on
    overlapping rows queue instead of deadlocking."""
    wanted = sorted({int(i) for i in ids})
    found: list[int] = []
    # In chunks, ascending: a statement takes at most 32,766 parameters on SQLite, 65,535
    # on PostgreSQL, and undoing "mark all read" may name every unread row.
    for start in range(0, len(wanted), LOCK_CHUNK):
        stmt = (
            sa.select(Notification.id)
            .where(
                Notification.user_id == user_id,
                Notification.id.in_(wanted[start : start + LOCK_CHUNK]),
            )
            .order_by(Notification.id)
            .with_for_update()
        )
        found += session.scalars(stmt)
    return found


def latest_id(session: Session, user_id: int) -> int:
    """Return the user's highest position (the newest row's id, or a grown group's), 0 if none."""
    # ORDER BY + LIMIT rather than max(): both databases read it off the index's end.
    position = Notification.position
    stmt = sa.select(position).where(Notification.user_id == user_id)
    return session.scalar(stmt.order_by(position.desc()).limit(1)) or 0


def _toasting(user_id: int, after: int, up_to: int, scope: ToastScope = ALL) -> sa.Select:
    """Unread rows that get a toast (not low priority, within the user's `scope`, not held
    by the rate limit) with `after < position <= up_to` (a group that grew meanwhile
    included)."""
    rate_held = sa.exists().where(
        Held.user_id == user_id,
        Held.channel == "toast",
        Held.reason == "rate",
        Held.notification_id == Notification.id,
    )
    stmt = for_user(user_id).where(
        Notification.position > after,
        Notification.position <= up_to,
        Notification.read_at.is_(None),
        Notification.priority != "low",
        ~rate_held,
    )
    if scope.muted:
        stmt = stmt.where(Notification.type.not_in(sorted(scope.muted)))
    if scope.through is not None:
        through: sa.ColumnElement[bool] = Notification.type.in_(sorted(scope.through))
        if scope.urgent:
            through = sa.or_(through, Notification.priority == "urgent")
        stmt = stmt.where(through)
    return stmt


def toasting_between(
    session: Session, user_id: int, after: int, up_to: int, limit: int, scope: ToastScope = ALL
) -> list[Notification]:
    """Return up to `limit` of the newest such rows, oldest first (as toasts stack)."""
    stmt = (
        _toasting(user_id, after, up_to, scope).order_by(Notification.position.desc()).limit(limit)
    )
    return list(session.scalars(stmt))[::-1]


def toasting_counts(
    session: Session, user_id: int, after: int, up_to: int, scope: ToastScope = ALL
) -> dict[str, int]:
    """Count such rows by priority."""
    stmt = (
        _toasting(user_id, after, up_to, scope)
        .with_only_columns(Notification.priority, sa.func.count())
        .group_by(Notification.priority)
    )
    return {priority: count for priority, count in session.execute(stmt)}
