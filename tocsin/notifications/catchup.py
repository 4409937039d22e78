"""The catch-up: one summary toast once quiet hours, a snooze or a rate limit's window end,
sent exactly once.

While a user is paused, the policy holds their toasts back and the store writes a
`Held` row per held toast in the publish's transaction. When the pause is over,
`release` claims the user's held toast rows by deleting them: whoever deletes them
owns the summary, so it goes out once across tabs, processes and restarts. On
PostgreSQL (READ COMMITTED) a second DELETE of the same rows waits for the first and
then deletes nothing; SQLite runs one writer at a time. The delete, the count and the
decision are one transaction, so a failure loses no held row.

The summary counts the held notifications still unread at release (one read in
another tab meanwhile is not news any more); none unread, no summary. It is a
broker event, not a row: tabs open at release show it, a tab opened later does not.

Rate limits (ratelimit.py) hold toasts with reason "rate": those are released once the
window that held them has ended, i.e. the rows held before the start of the user's
oldest running window (all of them when none runs), as "12 more notifications". Held
rows of other channels are left for their digest (issue 13).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import broker
from .. import state as tocsin_state
from ..models import Held, Notification, Preference, utcnow
from . import preferences
from .pipeline import after_commit, tell_prefs_changed

log = logging.getLogger(__name__)

#: The held rows a summary stands for: toasts the user's own pause or the rate limit held
#: back. An app rule's holds ("rule") are the app's to release.
PAUSES = ("quiet", "snooze")
RATE = "rate"
REASONS = (*PAUSES, RATE)
CHANNEL = "toast"
#: Ids per IN list (SQLite builds before 3.32 allow 999 parameters).
CHUNK = preferences.CHUNK


@dataclass
class Swept:
    """What one sweep did: snoozes it ended, and the summaries it sent (user id -> count)."""

    expired: list[int] = field(default_factory=list)
    summaries: dict[int, int] = field(default_factory=dict)
    #: Users released without a summary: all read since, or another process was first.
    quiet: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def release(
    session: Session,
    user_id: int,
    now: datetime | None = None,
    rate_before: datetime | None = None,
) -> int:
    """Claim the user's held toasts if they are no longer paused; return the summary's count.

    Rate-limited ones are claimed if held before `rate_before` (default: the limiter's
    `release_before`, the start of the user's oldest running window). Commits its own
    transaction, then publishes `{"kind": "summary", ...}` to the user; 0 means no
    summary (still paused, nothing held, another process claimed it first, or everything
    held has been read since). Rolls back and raises on a database error.
    """
    now = now or utcnow()
    try:
        if preferences.load(session, user_id).paused(now):
            session.rollback()
            return 0
        if rate_before is None:
            rate_before = rate_cutoff(user_id, now)
        claimed = _claim(session, user_id, rate_before)
        unread = _unread(session, user_id, [nid for nid, _ in claimed])
        if unread:
            reasons = {reason for _, reason in claimed}
            event = {
                "kind": "summary",
                "count": len(unread),
                # A snooze the user chose names the pause better than the hours it
                # overlapped; either names it better than the rate limit.
                "reason": next((r for r in ("snooze", "quiet") if r in reasons), RATE),
                "newest": max(unread),
            }
            after_commit(session, lambda: broker.current().publish(user_id, event))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(unread)


def rate_cutoff(user_id: int, now: datetime) -> datetime:
    """Toasts the rate limit held for `user_id` before this moment are due for release."""
    rate = tocsin_state.current().policy.rate
    if rate is None:
        return now
    return rate.limiter.release_before(user_id, _typed_limits(), now)


def _typed_limits() -> list[tuple[str, str | None]]:
    types = tocsin_state.current().types
    return [(name, types.get(name).rate_limit) for name in types if types.get(name).rate_limit]


def _claim(session: Session, user_id: int, rate_before: datetime) -> list[tuple[int, str]]:
    """Delete the user's held toast rows (the rate limit's: those held before `rate_before`);
    return (notification id, reason) of those deleted."""
    due = sa.or_(
        Held.reason.in_(PAUSES), sa.and_(Held.reason == RATE, Held.created_at < rate_before)
    )
    where = (Held.user_id == user_id, Held.channel == CHANNEL, due)
    if session.get_bind().dialect.delete_returning:
        stmt = sa.delete(Held).where(*where).returning(Held.notification_id, Held.reason)
        return [(nid, reason) for nid, reason in session.execute(stmt)]
    # No RETURNING: lock the rows first, then delete exactly those.
    rows = session.execute(
        sa.select(Held.id, Held.notification_id, Held.reason).where(*where).with_for_update()
    ).all()
    for start in range(0, len(rows), CHUNK):
        ids = [r.id for r in rows[start : start + CHUNK]]
        session.execute(sa.delete(Held).where(Held.id.in_(ids)))
    return [(r.notification_id, r.reason) for r in rows]


def _unread(session: Session, user_id: int, ids: list[int]) -> list[int]:
    """The ids among `ids` of the user's notifications that are still unread."""
    found: list[int] = []
    unique = sorted(set(ids))
    for start in range(0, len(unique), CHUNK):
        found += session.scalars(
            sa.select(Notification.id).where(
                Notification.user_id == user_id,
                Notification.id.in_(unique[start : start + CHUNK]),
                Notification.read_at.is_(None),
            )
        ).all()
    return found


def expire_snoozes(session: Session, now: datetime | None = None) -> list[int]:
    """End the snoozes that have run out; tell each user's tabs ({"kind": "prefs"}).

    The UPDATE is guarded by the same condition, so of two processes only one ends a
    given snooze and tells its tabs.
    """
    now = now or utcnow()
    due = (
        Preference.snoozed_at.is_not(None),
        Preference.snooze_until.is_not(None),
        Preference.snooze_until <= now,
    )
    ended: list[int] = []
    try:
        for user_id in session.scalars(sa.select(Preference.user_id).where(*due)).all():
            result = session.execute(
                sa.update(Preference)
                .where(Preference.user_id == user_id, *due)
                .values(snoozed_at=None, snooze_until=None, updated_at=now)
            )
            if cast(sa.CursorResult, result).rowcount:
                ended.append(user_id)
        if ended:
            tell_prefs_changed(session, ended)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ended


def held_users(session: Session) -> list[int]:
    """The users with held toasts waiting for a summary."""
    return list(waiting(session))


def waiting(session: Session) -> dict[int, datetime | None]:
    """The users with held toasts waiting for a summary, each with the time of their oldest
    rate-limited hold if the rate limit alone held their toasts (else None), in one query."""
    paused = sa.func.max(sa.case((Held.reason.in_(PAUSES), 1), else_=0))
    oldest_rate = sa.func.min(sa.case((Held.reason == RATE, Held.created_at)))
    stmt = (
        sa.select(Held.user_id, paused, sa.type_coerce(oldest_rate, Held.created_at.type))
        .where(Held.channel == CHANNEL, Held.reason.in_(REASONS))
        .group_by(Held.user_id)
        .order_by(Held.user_id)
    )
    users = {
        uid: None if any_paused else oldest for uid, any_paused, oldest in session.execute(stmt)
    }
    session.rollback()  # end the read: each release is a transaction of its own
    return users


def sweep(session: Session, now: datetime | None = None) -> Swept:
    """End run-out snoozes, then release every user with held toasts who is no longer paused
    (and, if only the rate limit held theirs, whose oldest held one's window has ended).

    Cheap when nobody is held: one indexed query for snoozes and one for held users; a
    user over the rate limit whose window still runs costs a look at the limiter, not a
    transaction. One user's failure is logged and the others still get theirs.
    """
    now = now or utcnow()
    done = Swept(expired=expire_snoozes(session, now))
    users = waiting(session)
    prefs = preferences.load_many(session, list(users))
    session.rollback()
    for user_id, oldest_rate in users.items():
        if prefs.get(user_id, preferences.DEFAULTS).paused(now):
            continue  # still paused: most held users at night, so not even a transaction
        try:
            cutoff = rate_cutoff(user_id, now)
            if oldest_rate is not None and oldest_rate >= cutoff:
                continue  # the rate limit's window still runs
            count = release(session, user_id, now, cutoff)
        except Exception:
            log.exception("catch-up: could not release user %s", user_id)
            done.failed.append(user_id)
            continue
        if count:
            done.summaries[user_id] = count
        else:
            done.quiet.append(user_id)
    return done
