"""The guarded row updates every housekeeping action is made of, and what an action did.

Each UPDATE names the user and the guard a row must pass to change (unread, archived...),
so however many requests race, a row changes state once and the counters move once
(`count`). `transaction` commits when the action's block ends, then the tabs are told.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Notification
from . import undo
from .store import SEEN, add_unread, unseen_among


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


@contextmanager
def transaction(session: Session) -> Iterator[None]:
    """Commit the session when the block ends (then the tabs are told); roll back if it raises."""
    try:
        yield
    except Exception:
        session.rollback()
        raise
    session.commit()


def update(session: Session, user_id: int, ids: list[int], *guards, **values) -> list[int]:
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


def changed(session: Session, user_id: int, ids: list[int], *guards, **values) -> Sequence:
    """As update, returning each changed row's id and seen_at (store.SEEN)."""
    if not ids:
        return []
    return session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.id.in_(ids), *guards)
        .values(**values)
        .returning(Notification.id, SEEN)
        .execution_options(synchronize_session=False)
    ).all()


def count(session: Session, user_id: int, rows: Sequence, sign: int) -> None:
    """Move the counters by `rows` that turned unread (+1) or read (-1): all of them on the
    unread counter, those nobody has seen on the unseen one."""
    add_unread(session, {user_id: sign * len(rows)}, unseen={user_id: sign * unseen_among(rows)})
