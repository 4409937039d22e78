"""The pipeline's store stage: insert rows and bump unread and unseen counters in the caller's
transaction."""

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
#: seen_at for a guarded UPDATE's or a DELETE's RETURNING, as text: only NULL matters, so
#: nothing is parsed (and SQLite 3.40 misanswered `IS NULL` there, prune_batches.py).
SEEN = sa.type_coerce(Notification.seen_at, sa.String).label("seen_at")


def unseen_among(rows) -> int:
    """How many of `rows` (with a `seen_at`, as SEEN returns it) nobody has seen."""
    return sum(1 for row in rows if row.seen_at is None)


def insert(session: Session, recipients: list[int], content: NotificationInput) -> list[int]:
    """Insert a notification per recipient and bump their counters; return the ids in order.

    Neither commits nor rolls back: the transaction belongs to whoever opened it.
    """
    return _insert(session, recipients, content, whole=False)


def insert_rows(session: Session, recipients: list[int], content: NotificationInput) -> list:
    """`insert`, returning the rows as stored (every column of each, by RETURNING): what
    a caller that hands the notification back reads without a query of its own."""
    return _insert(session, recipients, content, whole=True)


def _insert(session: Session, recipients: list[int], content: NotificationInput, whole: bool):
    fields = {"created_at": utcnow(), **content.columns()}
    if session.get_bind().dialect.name == "postgresql":
        # Counters included: one statement.
        return bulk_postgres.insert_notifications(session, recipients, fields, whole)
    rows = [{"user_id": uid, **fields} for uid in recipients]
    returned = _WHOLE if whole else (Notification.id,)
    out: list = []
    for start in range(0, len(rows), BATCH):
        stmt = sa.insert(Notification).returning(*returned, sort_by_parameter_order=True)
        result = session.execute(stmt, rows[start : start + BATCH])
        out += result.all() if whole else result.scalars().all()
    new = {uid: 1 for uid in recipients}
    add_unread(session, new, unseen=new)  # a new row is unread and unseen
    return out


#: Every column, as `insert_rows` returns them.
_WHOLE = tuple(Notification.__table__.c)


def add_unread(session: Session, deltas: dict[int, int], *, unseen: dict[int, int]) -> None:
    """Change users' unread and unseen counters inside the caller's transaction.

    `unseen` counts the rows among them with seen_at NULL (the unseen counter holds unread
    rows nobody has seen); a stamp of seen_at alone passes only `unseen`.
    """
    users = sorted(
        uid for uid in deltas.keys() | unseen.keys() if deltas.get(uid) or unseen.get(uid)
    )
    if not users:
        return
    # Always in id order: concurrent fan-outs then lock counter rows in the same order.
    params = [
        {"user_id": uid, "unread": deltas.get(uid, 0), "unseen": unseen.get(uid, 0)}
        for uid in users
    ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        bulk_postgres.add_unread(session, params)
        return
    if dialect == "sqlite":
        stmt = sqlite_insert(UnreadCounter)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "unread": UnreadCounter.unread + stmt.excluded.unread,
                "unseen": UnreadCounter.unseen + stmt.excluded.unseen,
            },
        )
        session.execute(stmt, params)
        return
    for p in params:  # other databases: update, else insert
        updated = session.execute(
            sa.update(UnreadCounter)
            .where(UnreadCounter.user_id == p["user_id"])
            .values(
                unread=UnreadCounter.unread + p["unread"], unseen=UnreadCounter.unseen + p["unseen"]
            )
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
