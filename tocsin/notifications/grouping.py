"""The pipeline's grouping stage: a notification with a group_key joins the recipient's open group.

A recipient's row with the same group_key is open while it is unread, not archived and
younger than its type's `group_window` (counted from the row's first notification, so
a steady stream still starts a new row once a window has passed). Joining it adds one to
`group_count`, puts the actor first among `actors`, gives the row the newest member's
text (and the highest priority so far) and a fresh `sort_id`, so it sorts at the top
again. The unread counter stays: the badge counts the group once. A row seen already is
unseen again (there is something new to see on it): seen_at is cleared and the unseen
counter counts it again, in this transaction. Members are kept in
tocsin_group_members for the expanded group (the row's first member copied on its first
growth). Recipients with no open group get a new row from store.insert.

Races: two processes publishing into one group at once must end with one row counting
2. Each publish takes a lock per (recipient, group_key) before it looks for open groups,
held until its transaction ends: on PostgreSQL a transaction-level advisory lock (one
per bucket of recipients), taken in order so that two fan-outs never wait on each other
in a circle; on SQLite a write (the first recipient's counter, unchanged), since a
writer holds the whole database and the lookup after it sees every commit before it.
The open rows are then read FOR UPDATE (PostgreSQL): a mark-read or archive running
meanwhile either commits first (the row is no longer open: a new row is made) or waits
for this publish. These locks come before the counters' (store.add_unread), as a
mark-read takes the row's and then the counter's, so neither waits on the other in a
circle.
"""

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import GroupMember, Notification, UnreadCounter
from .store import SEEN, add_unread
from .types import catalog
from .validation import NotificationInput

#: Distinct actors a group row keeps, newest first: its wording names two and counts the
#: rest ("alice, bob and 18 others"), so past this many the count stops growing.
ACTORS_KEPT = 20
#: PostgreSQL: recipients share this many advisory locks per group key (see _lock).
LOCK_BUCKETS = 1024
_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
_OPEN_COLUMNS = (
    Notification.id,
    Notification.user_id,
    Notification.group_count,
    Notification.actors,
    Notification.actor,
    Notification.title,
    Notification.url,
    Notification.priority,
    Notification.created_at,
    SEEN,
)


def merge(
    session: Session, recipients: Sequence[int], content: NotificationInput, now: datetime
) -> dict[int, int]:
    """Merge the notification into each recipient's open group, in the caller's
    transaction; return {recipient: grown row's id} for those that had one."""
    window = catalog().get(content.type).group_window
    if not content.group_key or not recipients or window.total_seconds() <= 0:
        return {}
    postgres = session.get_bind().dialect.name == "postgresql"
    _lock(session, recipients, content.group_key, postgres)
    rows = _open_rows(session, recipients, content.group_key, now - window, postgres)
    if not rows:
        return {}
    sort_ids = _fresh_positions(session, len(rows), postgres)
    updates, members = [], []
    for row, sort_id in zip(rows, sort_ids, strict=True):
        if row.group_count == 1:  # its first growth: the original becomes a member too
            members.append(
                _member(row.id, row.user_id, row.actor, row.title, row.url, row.created_at)
            )
        members.append(_member(row.id, row.user_id, content.actor, content.title, content.url, now))
        updates.append(
            {
                **_grown_columns(content, now),
                "b_id": row.id,
                "group_count": row.group_count + 1,
                "actors": _actors(row.actors, row.actor, content.actor),
                "priority": max(row.priority, content.priority or "normal", key=_rank),
                "sort_id": sort_id,
                "seen_at": None,
            }
        )
    # One executemany by id: the rows are locked (see above), so they are still open.
    table = cast(sa.Table, Notification.__table__)
    stmt = sa.update(table).where(table.c.id == sa.bindparam("b_id"))
    session.execute(stmt, updates)
    session.execute(sa.insert(GroupMember), members)
    seen = {row.user_id: 1 for row in rows if row.seen_at is not None}
    add_unread(session, {}, unseen=seen)  # after the rows' locks, as store.insert's
    return {row.user_id: row.id for row in rows}


def _rank(priority: str) -> int:
    return _RANK.get(priority, 1)


def _grown_columns(content: NotificationInput, now: datetime) -> dict:
    """The newest member's text, link, actor and data, as the grown row shows them."""
    return {
        "title": content.title,
        "body": content.body,
        "url": content.url,
        "actor": content.actor,
        "data": content.data,
        "updated_at": now,
    }


def _member(nid: int, uid: int, actor, title, url, at: datetime) -> dict:
    return {
        "notification_id": nid,
        "user_id": uid,
        "actor": actor,
        "title": title,
        "url": url,
        "created_at": at,
    }


def _actors(kept: list | None, first: str | None, new: str | None) -> list | None:
    """The distinct actors, newest first, at most ACTORS_KEPT; None if there are none."""
    names = list(kept) if kept else ([first] if first else [])
    if new:
        names = [new, *(a for a in names if a != new)]
    return names[:ACTORS_KEPT] or None


def _lock(session: Session, recipients: Sequence[int], key: str, postgres: bool) -> None:
    """Hold every recipient's (recipient, key) until the transaction ends (see above)."""
    if postgres:
        # Two int4 keys: the recipient's bucket and a hash of the group key; a collision
        # only makes two publishes wait for each other. Buckets, not user ids: each lock
        # takes a slot of the server's shared lock table (6,400 by default), which a
        # fan-out to 10,000 would fill. unnest() yields the sorted array in order, and
        # each lock is taken as its row is, so every publish locks in the same order.
        buckets = sorted({uid % LOCK_BUCKETS for uid in recipients})
        session.execute(_LOCK, {"buckets": buckets, "hashed": zlib.crc32(key.encode()) - 2**31})
        return
    stmt = sqlite_insert(UnreadCounter).values(user_id=min(recipients), unread=0)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id"], set_={"unread": UnreadCounter.unread}
    )
    session.execute(stmt)


def _open_rows(
    session: Session, recipients: Sequence[int], key: str, since: datetime, postgres: bool
) -> list:
    """Each recipient's newest open row with `key`: one query for all of them."""
    stmt = _OPEN_ARRAY if postgres else _OPEN
    params = {"recipients": list(recipients), "key": key, "since": since}
    newest = {row.user_id: row for row in session.execute(stmt, params)}  # the last per user wins
    return sorted(newest.values(), key=lambda row: row.user_id)


def _open_statement(among):
    return (
        sa.select(*_OPEN_COLUMNS)
        .where(
            among,
            Notification.group_key == sa.bindparam("key"),
            Notification.read_at.is_(None),
            Notification.archived_at.is_(None),
            Notification.created_at >= sa.bindparam("since", type_=Notification.created_at.type),
        )
        .order_by(Notification.id)
    )


# Built once: every publish with a group key runs them (building them cost more CPU than
# running them). PostgreSQL: the recipients as one array, and the rows locked.
_OPEN_ARRAY = _open_statement(
    Notification.user_id == sa.any_(sa.bindparam("recipients", type_=ARRAY(sa.Integer)))
).with_for_update()
_OPEN = _open_statement(Notification.user_id.in_(sa.bindparam("recipients", expanding=True)))
_BUCKET = (
    sa.func.unnest(sa.bindparam("buckets", type_=ARRAY(sa.Integer)))
    .table_valued("bucket")
    .render_derived()
)
_LOCK = sa.select(
    sa.func.pg_advisory_xact_lock(_BUCKET.c.bucket, sa.bindparam("hashed", type_=sa.Integer))
)


def _fresh_positions(session: Session, n: int, postgres: bool) -> list[int]:
    """`n` fresh values from the notifications' id sequence, above every id so far."""
    if postgres:
        seq = sa.text(
            "SELECT nextval(pg_get_serial_sequence('tocsin_notifications', 'id'))"
            " FROM generate_series(1, :n)"
        )
        return sorted(session.scalars(seq, {"n": n}))
    top = session.scalar(
        sa.text(
            "UPDATE sqlite_sequence SET seq = seq + :n"
            " WHERE name = 'tocsin_notifications' RETURNING seq"
        ),
        {"n": n},
    )
    return list(range(top - n + 1, top + 1))
