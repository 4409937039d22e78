"""The pipeline's store stage: insert rows and bump unread counters in the caller's transaction."""

from collections.abc import Collection
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import Held, Notification, UnreadCounter, utcnow
from . import bulk_postgres
from .decisions import Decision
from .policy import Plan
from .validation import NotificationInput

#: Rows per INSERT statement when fanning out.
BATCH = 1000


def insert(session: Session, recipients: list[int], content: NotificationInput) -> list[int]:
    """Insert a notification per recipient and bump their counters; return the ids in order.

    Neither commits nor rolls back: the transaction belongs to whoever opened it.
    """
    fields = {"created_at": utcnow(), **content.columns()}
    if session.get_bind().dialect.name == "postgresql":
        # Counters included: one statement.
        return bulk_postgres.insert_notifications(session, recipients, fields)
    rows = [{"user_id": uid, **fields} for uid in recipients]
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        stmt = sa.insert(Notification).returning(Notification.id, sort_by_parameter_order=True)
        ids += session.scalars(stmt, rows[start : start + BATCH]).all()
    add_unread(session, {uid: 1 for uid in recipients})
    return ids


def add_unread(session: Session, deltas: dict[int, int]) -> None:
    """Change users' unread counters inside the caller's transaction."""
    deltas = {uid: d for uid, d in deltas.items() if d}
    if not deltas:
        return
    # Always in id order: concurrent fan-outs then lock counter rows in the same order.
    params = [{"user_id": uid, "unread": deltas[uid]} for uid in sorted(deltas)]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        bulk_postgres.add_unread(session, deltas)
        return
    if dialect == "sqlite":
        stmt = sqlite_insert(UnreadCounter)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id"], set_={"unread": UnreadCounter.unread + stmt.excluded.unread}
        )
        session.execute(stmt, params)
        return
    for p in params:  # other databases: update, else insert
        updated = session.execute(
            sa.update(UnreadCounter)
            .where(UnreadCounter.user_id == p["user_id"])
            .values(unread=UnreadCounter.unread + p["unread"])
        )
        if cast(sa.CursorResult, updated).rowcount == 0:  # an UPDATE's Result is one
            session.add(UnreadCounter(**p))


def hold(session: Session, plan: Plan, by_user: dict[int, int], channels: Collection[str]) -> None:
    """Record the deliveries the policy held back on `channels`, in the caller's
    transaction, for the catch-up once quiet hours or a snooze end or the rate limit's
    window does (catchup.py). Each row says why: "quiet", "snooze", "rate" or "rule" (an
    app's rule). Channels nothing releases (push, email: the digest and the summary
    toast tell what a pause held) get no rows."""
    rows = [
        {
            "user_id": uid,
            "notification_id": by_user[uid],
            "channel": channel,
            "reason": plan.hold_reason(channel, uid),
            "created_at": plan.now,
        }
        for channel in plan.decisions
        if channel in channels
        for uid in plan.recipients(channel, Decision.HOLD)
    ]
    if rows and session.get_bind().dialect.name == "postgresql":
        bulk_postgres.insert_held(session, rows)  # one statement, arrays for parameters
        return
    for start in range(0, len(rows), BATCH):
        session.execute(sa.insert(Held), rows[start : start + BATCH])
