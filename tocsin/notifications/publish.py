"""Publish notifications: one or many recipients, one transaction, then one event each.

    from tocsin import notify, notify_many
    notify(user, "comment", "Alice commented", url="/posts/7", actor="alice")
    notify_many(followers, "system", "Maintenance at 22:00", priority="high")

`user` is a user object with an ``id``, a user id, or a user name the app's recipient
directory knows. Bad input raises InvalidNotification naming the field; nothing is
written then.
"""

from collections.abc import Iterable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import broker
from ..extensions import store
from ..models import Notification, UnreadCounter, utcnow
from . import bulk_postgres
from .validation import InvalidNotification, NotificationInput, clean

#: Rows per INSERT statement when fanning out.
BATCH = 1000


def notify(user, type: str, title: str, body: str | None = None, url: str | None = None,
           priority: str | None = None, data: dict | None = None, actor: str | None = None,
           group_key: str | None = None) -> Notification:
    """Validate, store and push one notification for `user`; return it."""
    fields: dict[str, Any] = dict(body=body, url=url, priority=priority, data=data, actor=actor,
                  group_key=group_key)
    (nid,) = notify_many([user], type, title, **fields)
    return store.session.get_one(Notification, nid)


def notify_many(users: Iterable, type: str, title: str, body: str | None = None,
                url: str | None = None, priority: str | None = None, data: dict | None = None,
                actor: str | None = None, group_key: str | None = None) -> list[int]:
    """Validate, store and push one notification per user, in one commit; return the ids."""
    payload = clean(type=type, title=title, body=body, url=url, priority=priority, data=data,
                    actor=actor, group_key=group_key)
    recipients = resolve(store.session, [_ref(u) for u in users])
    return deliver(store.session, recipients, payload)


def resolve(session: Session, refs: Sequence[int | str]) -> list[int]:
    """Return recipient ids for ids or names; raise InvalidNotification listing unknown ones."""
    if not refs:
        raise InvalidNotification("recipients: at least one is needed")
    ids, unknown = current_app.extensions["tocsin"].directory.resolve(session, refs)
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:20])
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        raise InvalidNotification(f"recipients: unknown {shown}{more}")
    return ids


def deliver(session: Session, recipients: list[int], payload: NotificationInput) -> list[int]:
    """Insert a notification per recipient and bump their counters; commit; publish."""
    try:
        ids = insert(session, recipients, payload)
        session.commit()
    except Exception:
        session.rollback()
        raise
    announce(recipients, ids)
    return ids


def insert(session: Session, recipients: list[int], payload: NotificationInput) -> list[int]:
    """Insert a notification per recipient and bump their counters, in the caller's transaction.

    The caller commits (with whatever else belongs in the same transaction), then calls
    announce() with the ids.
    """
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # Counters included: one statement.
        return bulk_postgres.insert_notifications(
            session, recipients, {"created_at": now, **payload.__dict__}
        )
    rows = [{"user_id": uid, "created_at": now, **payload.__dict__} for uid in recipients]
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        stmt = sa.insert(Notification).returning(Notification.id, sort_by_parameter_order=True)
        ids += session.scalars(stmt, rows[start : start + BATCH]).all()
    add_unread(session, {uid: 1 for uid in recipients})
    return ids


def announce(recipients: list[int], ids: list[int]) -> None:
    """Publish one "created" event per recipient, once their rows are committed."""
    broker.current().publish_many(
        [(uid, {"kind": "created", "ids": [nid]}) for uid, nid in zip(recipients, ids, strict=True)]
    )


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
            sa.update(UnreadCounter).where(UnreadCounter.user_id == p["user_id"])
            .values(unread=UnreadCounter.unread + p["unread"])
        )
        if cast(sa.CursorResult, updated).rowcount == 0:  # an UPDATE's Result is one
            session.add(UnreadCounter(**p))


def _ref(user) -> int | str:
    if isinstance(user, int | str) and not isinstance(user, bool):
        return user
    if getattr(user, "id", None) is not None:
        return user.id
    raise InvalidNotification(f"recipients: {user!r} is not a user, an id or a name")
