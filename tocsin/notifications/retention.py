"""Retention: remove old read rows and rows past each user's cap, in short transactions.

Two rules, never an unread row younger than the retention period:
- by age: read or archived rows older than `retention_days`;
- by cap: beyond a user's newest `keep_per_user` rows (by position, the list's order),
  every row except an unread young one (so a user may stay above the cap with those).
A row's age is its position's: ids grow with created_at, and a grown group's sort_id is
a fresh id, so "older than the cut-off" is "position below the first id created after
it", found by a binary search on the primary key instead of an index on created_at that
every insert would pay for.

Each batch (BATCH_SIZE rows) is one transaction: pick the ids, delete them under the
rule's own condition again (a row marked unread meanwhile is not touched), their group
members and held deliveries, and take the unread ones off their user's counter, then
commit. On SQLite the write lock lasts one batch; on PostgreSQL the row locks do.
"""

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..models import GroupMember, Held, Notification, Undo, utcnow
from .store import add_unread

#: Rows per transaction: the longest a write waits for the prune. At 2,000, SQLite's
#: batches took 120-340 ms at the median and up to 1.25 s on this busy 2-core machine, and
#: a concurrent writer waited up to 2.5 s (half TOCSIN_DB_LOCK_TIMEOUT); 1,000 halves that
#: for a prune that runs in the background anyway (bench/results/prune.md).
BATCH_SIZE = 1000
#: Seconds a SQLite prune rests between batches. A writer waiting for SQLite's lock sleeps
#: in steps of up to 100 ms (its busy handler) and does not queue: back to back, batches
#: kept taking the lock before it woke, and it waited 3.5 s behind several of them. After
#: a rest as long as its longest sleep it is in. PostgreSQL queues lock waiters: no rest.
SQLITE_PAUSE = 0.1
#: The PostgreSQL advisory lock a periodic prune holds, so one process prunes at a time.
ADVISORY_LOCK = 0x746F6373  # "tocs"

N = Notification
READ = sa.or_(N.read_at.is_not(None), N.archived_at.is_not(None))


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


def prune(
    session: Session,
    keep_per_user: int,
    retention_days: int,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
    pause: float | None = None,
) -> Pruned:
    """Remove what the retention rules allow; 0 turns a rule off. Commits each batch and
    rests `pause` seconds between batches (default: SQLITE_PAUSE on SQLite, else none)."""
    started = time.perf_counter()
    now = now or utcnow()
    if pause is None:
        sqlite = session.get_bind().dialect.name == "sqlite"
        pause = SQLITE_PAUSE if sqlite and not dry_run else 0.0
    report = Pruned(dry_run=dry_run, pause=pause)
    boundary = _boundary(session, now - timedelta(days=retention_days)) if retention_days else 0
    old = N.position < boundary
    aged = sa.and_(READ, old)
    if boundary:
        _by_age(session, report, boundary, aged, batch_size)
    if keep_per_user:
        # Never an unread young row; in a dry run the aged rows are still there, so they
        # are left out of the count and the cap is measured on what would survive them.
        removable, survives = sa.or_(READ, old), sa.not_(aged)
        for user_id in _over_cap(session, keep_per_user, survives):
            _by_cap(session, report, user_id, keep_per_user, removable, survives, batch_size)
    _expired_undo(session, report, now, batch_size)
    report.seconds = time.perf_counter() - started
    return report


def prune_exclusively(session: Session, keep_per_user: int, retention_days: int) -> Pruned | None:
    """Prune unless another process is (PostgreSQL: an advisory lock); None if it is.

    SQLite needs no lock: its write lock serializes the batches, and every delete checks
    its rule again, so two prunes at once only share the work.
    """
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return prune(session, keep_per_user, retention_days)
    with cast(sa.Engine, engine).connect() as lock:
        # A session lock on a connection of its own: the batches commit on the session's.
        got = lock.scalar(sa.select(sa.func.pg_try_advisory_lock(ADVISORY_LOCK)))
        lock.commit()  # a session lock outlives it; no transaction left open meanwhile
        if not got:
            return None
        try:
            return prune(session, keep_per_user, retention_days)
        finally:
            lock.scalar(sa.select(sa.func.pg_advisory_unlock(ADVISORY_LOCK)))
            lock.commit()


def _boundary(session: Session, cutoff: datetime) -> int:
    """Return the first id created at or after `cutoff` (max id + 1 if none; 0 if no rows).

    Ids grow with created_at, so a binary search on the primary key finds it in ~30 reads.
    """
    lowest, highest = session.execute(sa.select(sa.func.min(N.id), sa.func.max(N.id))).one()
    if lowest is None:
        return 0
    found, lo, hi = highest + 1, lowest, highest
    while lo <= hi:
        mid = (lo + hi) // 2
        row_id, created_at = session.execute(
            sa.select(N.id, N.created_at).where(N.id >= mid).order_by(N.id).limit(1)
        ).one()
        if created_at >= cutoff:
            found, hi = row_id, mid - 1  # no row between mid and row_id
        else:
            lo = row_id + 1
    session.rollback()  # end the read transaction: no snapshot held between batches
    return found


def _by_age(session: Session, report: Pruned, boundary: int, aged, batch_size: int) -> None:
    """Remove read or archived rows below `boundary`, walking the primary key upwards."""
    report.aged += _walk(session, report, N.id, sa.and_(N.id < boundary, aged), batch_size)


def _over_cap(session: Session, keep: int, survives) -> list[int]:
    """The users with more than `keep` rows (counting those the age rule leaves)."""
    users = session.scalars(
        sa.select(N.user_id)
        .where(survives)
        .group_by(N.user_id)
        .having(sa.func.count() > keep)
        .order_by(N.user_id)
    ).all()
    session.rollback()
    return list(users)


def _by_cap(
    session: Session, report: Pruned, user_id: int, keep: int, removable, survives, batch_size
) -> None:
    """Remove the user's removable rows beyond their newest `keep`, oldest first."""
    mine = sa.and_(N.user_id == user_id, survives)
    # The newest row past the cap; rows arriving meanwhile only push it further down.
    last = session.scalar(
        sa.select(N.position).where(mine).order_by(N.position.desc()).offset(keep).limit(1)
    )
    if last is None:
        session.rollback()
        return
    beyond = sa.and_(mine, N.position <= last, removable)
    report.capped += _walk(session, report, N.position, beyond, batch_size)


def _walk(session: Session, report: Pruned, key, rule, batch_size: int) -> int:
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
        .returning(N.id, N.user_id, sa.type_coerce(N.read_at, sa.String).label("read_at"))
        .execution_options(synchronize_session=False)
    ).all()
    unread = Counter(r.user_id for r in gone if r.read_at is None)
    if unread:
        # The badge equals the unread rows: the counter moves in the same transaction.
        add_unread(session, {uid: -n for uid, n in unread.items()})
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


def _expired_undo(session: Session, report: Pruned, now: datetime, batch_size: int) -> None:
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
