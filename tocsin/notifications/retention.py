"""Retention: remove old read rows and rows past each user's cap, in short transactions.

Two rules, never an unread row younger than the retention period:
- by age: read or archived rows older than `retention_days`;
- by cap: beyond a user's newest `keep_per_user` rows (by position, the list's order),
  every row except an unread young one (so a user may stay above the cap with those).
A row's age is its position's: ids grow with created_at, and a grown group's sort_id is
a fresh id, so "older than the cut-off" is "position below the first id created after
it", found by a binary search on the primary key instead of an index on created_at that
every insert would pay for.

Each batch (BATCH_SIZE rows) is one short transaction (prune_batches.py): on SQLite the
write lock lasts one batch; on PostgreSQL the row locks do.
"""

import time
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Notification, utcnow
from . import prune_batches
from .prune_batches import SQLITE_PAUSE, Pruned

__all__ = ["BATCH_SIZE", "SQLITE_PAUSE", "Pruned", "prune", "prune_exclusively"]

#: Rows per transaction: the longest a write waits for the prune. At 2,000, SQLite's
#: batches took 120-340 ms at the median and up to 1.25 s on this busy 2-core machine, and
#: a concurrent writer waited up to 2.5 s (half TOCSIN_DB_LOCK_TIMEOUT); 1,000 halves that
#: for a prune that runs in the background anyway (bench/results/prune.md).
BATCH_SIZE = 1000
#: The PostgreSQL advisory lock a periodic prune holds, so one process prunes at a time.
ADVISORY_LOCK = 0x746F6373  # "tocs"

N = Notification
READ = sa.or_(N.read_at.is_not(None), N.archived_at.is_not(None))


def prune(
    session: Session,
    keep_per_user: int,
    retention_days: int,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
    pause: float | None = None,
    analytics_days: int = 0,
) -> Pruned:
    """Remove what the retention rules allow; 0 turns a rule off. Commits each batch and
    rests `pause` seconds between batches (default: SQLITE_PAUSE on SQLite, else none).
    `analytics_days`: raw analytics events older than that go too (0: kept)."""
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
    prune_batches.expired_undo(session, report, now, batch_size)
    if analytics_days:
        cutoff = now - timedelta(days=analytics_days)
        prune_batches.old_events(session, report, cutoff, batch_size)
    report.seconds = time.perf_counter() - started
    return report


def prune_exclusively(
    session: Session, keep_per_user: int, retention_days: int, analytics_days: int = 0
) -> Pruned | None:
    """Prune unless another process is (PostgreSQL: an advisory lock); None if it is.

    SQLite needs no lock: its write lock serializes the batches, and every delete checks
    its rule again, so two prunes at once only share the work.
    """
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return prune(session, keep_per_user, retention_days, analytics_days=analytics_days)
    with cast(sa.Engine, engine).connect() as lock:
        # A session lock on a connection of its own: the batches commit on the session's.
        got = lock.scalar(sa.select(sa.func.pg_try_advisory_lock(ADVISORY_LOCK)))
        lock.commit()  # a session lock outlives it; no transaction left open meanwhile
        if not got:
            return None
        try:
            return prune(session, keep_per_user, retention_days, analytics_days=analytics_days)
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
    report.aged += prune_batches.walk(
        session, report, N.id, sa.and_(N.id < boundary, aged), batch_size
    )


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
    report.capped += prune_batches.walk(session, report, N.position, beyond, batch_size)
