"""The Python API: publish to one or many recipients.

    from tocsin import notify, notify_many
    notify(user, "comment", "Alice commented", url="/posts/7", actor="alice")
    notify_many(followers, "system", "Maintenance at 22:00", priority="high")

`user` is a user object with an ``id``, a user id, or a user name the app's recipient
directory knows. Bad input raises InvalidNotification naming the field; nothing is
written then.

Transactions: by default the notification is stored in a transaction of its own,
committed and pushed before the call returns; your session and its pending changes
are left alone. Pass ``session=db.session`` to store it in your transaction instead
(a comment and its notification saved together, or neither): it is then pushed when
you commit, and dropped if you roll back. On SQLite, use that form when your session
has already written in the open transaction: a second connection would wait for the
lock it holds.
"""

from collections.abc import Iterable

from sqlalchemy.orm import Session

from ..extensions import store
from ..models import Notification
from . import pipeline
from .validation import InvalidNotification, clean


def notify(
    user,
    type: str,
    title: str,
    body: str | None = None,
    url: str | None = None,
    priority: str | None = None,
    data: dict | None = None,
    actor: str | None = None,
    group_key: str | None = None,
    *,
    session: Session | None = None,
) -> Notification:
    """Validate, store and push one notification for `user`; return it."""
    content = clean(
        type=type,
        title=title,
        body=body,
        url=url,
        priority=priority,
        data=data,
        actor=actor,
        group_key=group_key,
    )
    refs = [_ref(user)]
    if session is not None:
        (nid,), rows = pipeline.publish_rows(session, refs, content)
        with session.no_autoflush:  # loading it must not flush the caller's pending changes
            if nid in rows:
                return session.merge(pipeline.as_loaded(rows[nid]), load=False)
            # A grown group's row may be in `session` as it was: read it afresh.
            return session.get_one(Notification, nid, populate_existing=True)
    # In the publish's own transaction, kept loaded through its commit: reading it after,
    # in the caller's session, cost a transaction of its own (a BEGIN and a rollback, 0.2
    # ms of CPU and two round trips a call). A new row comes back from the INSERT itself.
    with store.session.session_factory(expire_on_commit=False) as own:
        (nid,), rows = pipeline.publish_rows(own, refs, content)
        if nid in rows:
            row = pipeline.as_loaded(rows[nid])
        else:  # it joined an open group: that row as it is now
            row = own.get_one(Notification, nid, populate_existing=True)
        own.commit()
    with store.session.no_autoflush:
        # Into the caller's session without a query; a grown group's row already there
        # takes the fresh values.
        return store.session.merge(row, load=False)


def notify_many(
    users: Iterable,
    type: str,
    title: str,
    body: str | None = None,
    url: str | None = None,
    priority: str | None = None,
    data: dict | None = None,
    actor: str | None = None,
    group_key: str | None = None,
    *,
    session: Session | None = None,
) -> list[int]:
    """Validate, store and push one notification per user, in one commit; return the ids."""
    content = clean(
        type=type,
        title=title,
        body=body,
        url=url,
        priority=priority,
        data=data,
        actor=actor,
        group_key=group_key,
    )
    refs = [_ref(u) for u in users]
    if session is not None:
        return pipeline.publish(session, refs, content)
    with store.session.session_factory() as own:
        ids = pipeline.publish(own, refs, content)
        own.commit()
    return ids


def _ref(user) -> int | str:
    if isinstance(user, int | str) and not isinstance(user, bool):
        return user
    if getattr(user, "id", None) is not None:
        return user.id
    raise InvalidNotification(f"recipients: {user!r} is not a user, an id or a name")
