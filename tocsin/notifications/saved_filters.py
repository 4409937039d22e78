"""Saved filters: a user's named inbox queries, shown in the inbox's sidebar.

The query is stored as the inbox normalises it (inbox_query.InboxQuery.query_string), so
a saved filter's link is the very URL of the view it was saved from, keyset `before`
aside: a filter names what to list, not where in the list the user was.
"""

from typing import Literal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..models import SavedFilter
from .inbox_query import InboxQuery

#: The name's length once trimmed (the column holds 80).
MAX_NAME = 80
#: The stored query's length (the column holds 1000): twenty long type names and a long
#: search could pass the query's own bounds and still not fit.
MAX_QUERY = 1000
#: Filters per user: a sidebar longer than this is no longer a shortcut (GitHub keeps 15).
MAX_PER_USER = 50

Order = Literal["newest", "name"]


class BadFilter(ValueError):
    """A name or query that cannot be saved; the message says why (a 400)."""


class FilterConflict(ValueError):
    """A name the user already gave another filter, or one filter too many (a 409)."""


class FilterNotFound(LookupError):
    """No such filter for this user (another user's id included): a 404."""


def clean_name(raw: str) -> str:
    """Return the name trimmed; raise BadFilter if empty, too long or with control characters."""
    name = (raw or "").strip()
    if not name:
        raise BadFilter(_("name: give the filter a name"))
    if len(name) > MAX_NAME:
        raise BadFilter(_("name: at most %(max)d characters", max=MAX_NAME))
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadFilter(_("name: no line breaks or control characters"))
    return name


def listing(session: Session, user_id: int, order: Order = "name") -> list[SavedFilter]:
    """Return the user's filters by name (case-insensitively), or newest first."""
    stmt = sa.select(SavedFilter).where(SavedFilter.user_id == user_id)
    rows = list(session.scalars(stmt.order_by(SavedFilter.id.desc())))
    if order == "name":
        # In Python: at most MAX_PER_USER rows, and both databases then agree on the order.
        rows.sort(key=lambda f: (f.name.casefold(), f.name))
    return rows


def get(session: Session, user_id: int, filter_id: int) -> SavedFilter:
    """Return the user's filter `filter_id`; raise FilterNotFound for anyone else's."""
    row = session.scalar(
        sa.select(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == user_id)
    )
    if row is None:
        raise FilterNotFound(filter_id)
    return row


def create(session: Session, user_id: int, name: str, query: InboxQuery) -> SavedFilter:
    """Save `query` under `name` for the user; raise BadFilter or FilterConflict."""
    name = clean_name(name)
    stored = query.query_string()
    if len(stored) > MAX_QUERY:
        raise BadFilter(
            _("the query is too long to save (at most %(max)d characters)", max=MAX_QUERY)
        )
    existing = listing(session, user_id, "newest")
    _check_unique(existing, name)
    # A check, then an insert: two saves at the same moment may both pass it and leave
    # one filter more than the limit; the unique constraint still stops a duplicate name.
    if len(existing) >= MAX_PER_USER:
        raise FilterConflict(_("at most %(max)d saved filters: delete one first", max=MAX_PER_USER))
    row = SavedFilter(user_id=user_id, name=name, query=stored)
    session.add(row)
    _commit(session, name)
    return row


def rename(session: Session, user_id: int, filter_id: int, name: str) -> SavedFilter:
    """Rename the user's filter; raise FilterNotFound, BadFilter or FilterConflict."""
    row = get(session, user_id, filter_id)
    name = clean_name(name)
    others = [f for f in listing(session, user_id, "newest") if f.id != row.id]
    _check_unique(others, name)
    if row.name != name:
        row.name = name
        _commit(session, name)
    return row


def delete(session: Session, user_id: int, filter_id: int) -> SavedFilter:
    """Delete the user's filter and return it (detached); raise FilterNotFound."""
    row = get(session, user_id, filter_id)
    session.delete(row)
    session.commit()
    return row


def _check_unique(rows: list[SavedFilter], name: str) -> None:
    # Case-insensitively: "Payments" and "payments" side by side in a sidebar is a mistake.
    folded = name.casefold()
    if any(f.name.casefold() == folded for f in rows):
        raise FilterConflict(_("name: you already have a filter named %(name)s", name=repr(name)))


def _commit(session: Session, name: str) -> None:
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        raise FilterConflict(
            _("name: you already have a filter named %(name)s", name=repr(name))
        ) from None
