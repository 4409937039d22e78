"""The prune's batches: each one short transaction, removing rows and what hangs on them.

A batch is a range of an index's key (up to its batch_size-th matching row) and the
rule: pick where it ends, delete that range under the rule again (a row marked unread
since is left alone), delete the removed rows' group members and held deliveries, take
the unread ones off their counters, commit. retention.py decides the rules.
"""

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..models import AnalyticsEvent, GroupMember, Held, Notification, Undo
from .store import SEEN, add_unread

N = Notification

#: Seconds a SQLite prune rests between batches. A writer waiting for SQLite's lock sleeps
#: in steps of up to 100 ms (its busy handler) and does not queue: back to back, batches
#: kept taking the lock before it woke, and it waited 3.5 s behind several of them. After
#: a rest as long as its longest sleep it is in. PostgreSQL queues lock waiters: no rest.
SQLITE_PAUSE = 0.1


@dataclass
class Pruned:
    """What a prune removed (or, in a dry run, would remove)."""

    aged: int = 0
    capped: int = 0
    #: Of those, rows still unread (older than the retention period): counters decreased.
    unread: int = 0
    members: int = 0
    held: int = 0
    undo: int = 0
    #: Raw analytics events past TOCSIN_ANALYTICS_RETENTION_DAYS.
    events: int = 0
    dry_run: bool = False
    #: Seconds rested between batches (SQLITE_PAUSE on SQLite), counted in `seconds`.
    pause: float = 0.0
    batch_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def batches(self) -> int:
        return len(self.batch_seconds)

    @property
    def longest(self) -> float:
        """The longest batch, in seconds: the longest any lock was held."""
        return max(self.batch_seconds, default=0.0)

    @property
    def rows(self) -> int:
        return self.aged + self.capped


def walk(session: Session, report: Pruned, key, rule, batch_size: int) -> int:
    """Remove the rows meeting `rule` in batches along the index on `key`; return how many.

    Each batch is a range of `key` (up to its batch_size-th row) and the rule: no list of
    ids goes to the database and back.
    """
    removed, after = 0, None
    while True:
        start = time.perf_counter()
        todo = rule if after is None else sa.and_(rule, key > after)
        upto = session.scalar(
            sa.select(key).where(todo).order_by(key).offset(batch_size - 1).limit(1)
        )
        if upto is None and not session.scalar(sa.select(sa.exists().where(todo))):
            session.rollback()  # nothing (more) to do: no write lock taken for nothing
            return removed
        batch = todo if upto is None else sa.and_(todo, key <= upto)
        removed += _remove(session, report, batch, start)
        if upto is None:
            return removed
        after = upto
        if report.pause:
            time.sleep(report.pause)  # a waiting writer's turn


def _among(session: Session, column, ids: list[int]):
    """`column IN ids` with the ids as one parameter: thousands of bound parameters cost
    SQLAlchemy and psycopg more than the delete itself (PostgreSQL: an array; SQLite:
    JSON, unpacked by json_each)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, ids, type_=ARRAY(sa.Integer)))
    values = sa.func.json_each(json.dumps(ids)).table_valued("value")
    return column.in_(sa.select(values.c.value))


def _remove(session: Session, report: Pruned, batch, start: float) -> int:
    """Delete the rows meeting `batch`, their members and held rows, and take the unread
    ones off their counters; commit. `batch` holds the rule, so a row marked unread since
    it was counted in is left alone."""
    if report.dry_run:
        rows = sa.select(N.id).where(batch)
        count = _count(session, N, batch)
        report.unread += _count(session, N, sa.and_(batch, N.read_at.is_(None)))
        report.members += _count(session, GroupMember, GroupMember.notification_id.in_(rows))
        report.held += _count(session, Held, Held.notification_id.in_(rows))
        session.rollback()
        report.batch_seconds.append(time.perf_counter() - start)
        return count
    gone = session.execute(
        sa.delete(N)
        .where(batch)
        # read_at itself, not `read_at IS NULL`: SQLite 3.40 answered 0 to that in a
        # DELETE's RETURNING on this table for NULL read_at rows (seen in the tests).
        # As text: only None matters, so the timestamp need not be parsed.
        .returning(N.id, N.user_id, sa.type_coerce(N.read_at, sa.String).label("read_at"), SEEN)
        .execution_options(synchronize_session=False)
    ).all()
    unread = Counter(r.user_id for r in gone if r.read_at is None)
    unseen = Counter(r.user_id for r in gone if r.read_at is None and r.seen_at is None)
    if unread:
        # The badge equals the unread rows: the counters move in the same transaction.
        add_unread(
            session,
            {uid: -n for uid, n in unread.items()},
            unseen={uid: -n for uid, n in unseen.items()},
        )
        report.unread += sum(unread.values())
    if gone:
        ids = [r.id for r in gone]
        report.members += _delete(session, GroupMember, ids)
        report.held += _delete(session, Held, ids)
    session.commit()
    report.batch_seconds.append(time.perf_counter() - start)
    return len(gone)


def _count(session: Session, model, where) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(where)) or 0


def _delete(session: Session, model, ids: list[int]) -> int:
    result = session.execute(
        sa.delete(model)
        .where(_among(session, model.notification_id, ids))
        .execution_options(synchronize_session=False)
    )
    return cast(sa.CursorResult, result).rowcount


def expired_undo(session: Session, report: Pruned, now: datetime, batch_size: int) -> None:
    """Remove undo records past their expiry, a batch at a time."""
    expired = Undo.expires_at < now
    if report.dry_run:
        report.undo = (
            session.scalar(sa.select(sa.func.count()).select_from(Undo).where(expired)) or 0
        )
        session.rollback()
        return
    while True:
        start = time.perf_counter()
        tokens = session.scalars(
            sa.select(Undo.id).where(expired).order_by(Undo.id).limit(batch_size)
        ).all()
        if not tokens:
            session.rollback()
            return
        result = session.execute(
            sa.delete(Undo)
            .where(Undo.id.in_(tokens), expired)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        report.undo += cast(sa.CursorResult, result).rowcount
        report.batch_seconds.append(time.perf_counter() - start)


def old_events(session: Session, report: Pruned, cutoff: datetime, batch_size: int) -> None:
    """Remove raw analytics events created before `cutoff`, a batch at a time (the daily
    counts stay: they are what the page reads)."""
    E = AnalyticsEvent  # noqa: N806 - a model alias, as N is
    old = E.created_at < cutoff
    if report.dry_run:
        report.events = session.scalar(sa.select(sa.func.count()).select_from(E).where(old)) or 0
        session.rollback()
        return
    while True:
        start = time.perf_counter()
        ids = session.scalars(
            sa.select(E.id).where(old).order_by(E.created_at).limit(batch_size)
        ).all()
        if not ids:
            session.rollback()
            return
        result = session.execute(
            sa.delete(E).where(E.id.in_(ids)).execution_options(synchronize_session=False)
        )
        session.commit()
        report.events += cast(sa.CursorResult, result).rowcount
        report.batch_seconds.append(time.perf_counter() - start)
