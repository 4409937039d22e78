"""PostgreSQL fan-out: one statement for any number of recipients, ids passed as arrays.

A 1,000-row multi-VALUES insert carries 13,000 parameters, and psycopg converts every
such statement in Python (1.3 s of 3.4 s for 10,000 recipients); unnest() passes the
recipients as one array parameter instead.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from ..models import Held, Notification, UnreadCounter


def _array(name: str, values: list[int]):
    return sa.bindparam(name, values, type_=ARRAY(sa.Integer))


def insert_notifications(session: Session, recipients: list[int], fields: dict) -> list[int]:
    """Insert one row per recipient with the same `fields` and add 1 to each recipient's
    unread and unseen counters, in one statement; return the ids in recipient order.

    Recipients must be distinct. The counter upsert rides in a data-modifying WITH, so a
    notification costs one round trip to the server instead of two.
    """
    unnest = sa.func.unnest(_array("recipients", recipients))
    recipient = unnest.table_valued("user_id").render_derived()
    columns = Notification.__table__.c
    shared = [sa.literal(value, type_=columns[name].type) for name, value in fields.items()]
    new = (
        sa.insert(Notification)
        .from_select(["user_id", *fields], sa.select(recipient.c.user_id, *shared))
        .returning(Notification.user_id, Notification.id)
        .cte("new")
    )
    bumped = _upsert_unread([{"user_id": u, "unread": 1, "unseen": 1} for u in recipients])
    stmt = sa.select(new.c.user_id, new.c.id).add_cte(bumped.cte("bumped"))
    # RETURNING order is not promised: map back through the recipient (each appears once).
    by_user = {user_id: nid for user_id, nid in session.execute(stmt)}
    return [by_user[uid] for uid in recipients]


def add_unread(session: Session, deltas: list[dict]) -> None:
    """Add `deltas` ({user_id, unread, unseen}, one per user) to users' counters, creating
    missing ones, in user-id order."""
    session.execute(_upsert_unread(deltas))


def _upsert_unread(deltas: list[dict]):
    deltas = sorted(deltas, key=lambda d: d["user_id"])
    arrays = [_array(name, [d[name] for d in deltas]) for name in ("user_id", "unread", "unseen")]
    rows = sa.func.unnest(*arrays).table_valued("user_id", "unread", "unseen").render_derived()
    stmt = pg_insert(UnreadCounter).from_select(
        ["user_id", "unread", "unseen"],
        # Ordered, so concurrent fan-outs lock counter rows in the same order.
        sa.select(rows.c.user_id, rows.c.unread, rows.c.unseen).order_by(rows.c.user_id),
    )
    return stmt.on_conflict_do_update(
        index_elements=["user_id"],
        set_={
            "unread": UnreadCounter.unread + stmt.excluded.unread,
            "unseen": UnreadCounter.unseen + stmt.excluded.unseen,
        },
    )


def insert_held(session: Session, rows: list[dict]) -> None:
    """Insert held deliveries (dicts of Held's columns, one `created_at` for all) in one
    statement: psycopg's executemany sends 10,000 rows one statement at a time."""
    columns = ("user_id", "notification_id", "channel", "reason")
    arrays = [
        sa.bindparam(name, [r[name] for r in rows], type_=ARRAY(Held.__table__.c[name].type))
        for name in columns
    ]
    held = sa.func.unnest(*arrays).table_valued(*columns).render_derived()
    at = sa.literal(rows[0]["created_at"], type_=Held.__table__.c.created_at.type)
    session.execute(
        sa.insert(Held).from_select(
            [*columns, "created_at"], sa.select(*(held.c[name] for name in columns), at)
        )
    )
