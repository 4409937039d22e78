"""The inbox's filters as SQL: type, date range and full-text words, on either database.

Every filter is a condition added to the list's own query, so the order (position,
newest first) and the `before=` keyset stay what they are without filters: a page under
any mix of filters is the same rows as that list would show, in the same order, none
skipped or repeated. Each filter has an index (models/search.py, models/notifications.py).
"""

import re
from datetime import UTC, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.util import ClauseAdapter

from ..models import Notification
from ..models.search import FTS_TABLE, TSVECTOR
from .inbox_query import STATES, InboxQuery, State
from .queries import Page, for_user, page, state_condition, unread_count

#: Words a search uses at most (the rest of a long query is ignored).
MAX_WORDS = 16
#: The newest rows of a user a PostgreSQL word search reads one by one (matching each)
#: before it turns to the GIN index for the older ones (see find).
PROBE = 2000
#: Tab counts stop here and show "999+": an exact count of a million rows is a scan.
COUNT_CAP = 999
#: Under a type or date filter they stop sooner: a state that is rare among the filtered
#: rows (archived payments) is found by reading past the others, 1 / share rows a count.
FILTERED_CAP = 99
#: Letters and digits: what both databases' tokenizers keep as a word.
_WORD = re.compile(r"[^\W_]+")


def words(q: str) -> list[str]:
    """Return the search's words, lowercased: letters and digits only, so nothing a user
    types can be query syntax."""
    return _WORD.findall(q.lower())[:MAX_WORDS]


def matches(found: list[str], dialect: str) -> sa.ColumnElement[bool]:
    """Rows whose title, body or actor hold every word, the last one as a prefix."""
    if dialect == "postgresql":
        tsquery = " & ".join(found[:-1] + [found[-1] + ":*"])
        # Rendered into the statement (safe: letters and digits only) rather than bound, so that the
        # planner sees the words and can tell a rare word from a common one.
        literal: sa.BindParameter[str] = sa.bindparam("tsquery", tsquery, literal_execute=True)
        query = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), literal)
        return sa.literal_column(TSVECTOR).op("@@")(query)
    expression = " ".join(f'"{w}"' for w in found) + "*"
    rowids = sa.text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts")  # noqa: S608
    return Notification.id.in_(rowids.bindparams(fts=expression).columns(rowid=sa.Integer))


def day_start(day, zone: tzinfo) -> datetime:
    """The UTC instant a day starts in the user's timezone."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def conditions(query: InboxQuery, zone: tzinfo, dialect: str) -> list[sa.ColumnElement[bool]]:
    """Return the query's filters (not its state) as conditions on Notification."""
    out: list[sa.ColumnElement[bool]] = []
    if query.types:
        out.append(Notification.type.in_(query.types))
    if query.since:
        out.append(Notification.latest >= day_start(query.since, zone))
    if query.until:
        out.append(Notification.latest < day_start(query.until + timedelta(days=1), zone))
    found = words(query.q)
    if found:
        out.append(matches(found, dialect))
    return out


def date_bounds(
    session: Session, user_id: int, query: InboxQuery, zone: tzinfo
) -> tuple[int | None, int | None] | None:
    """Return the positions the date range spans (low, high; None = open), or None when
    no row of the user's falls in it.

    A row's position and its date (latest_at) grow together: both are set when the row
    is made or its group grows. So the range is read off the date index at its two ends
    (one row each), and the list is then a range of positions, read in order like any
    page, instead of every row of the range sorted. Rows are still checked against the
    dates themselves; a row whose clock and position disagree across midnight by the
    length of a transaction may fall out at the range's edge.
    """
    latest, base = Notification.latest, sa.select(Notification.position)
    base = base.where(Notification.user_id == user_id)
    low = high = None
    if query.since:
        start = base.where(latest >= day_start(query.since, zone))
        low = session.scalar(start.order_by(latest.asc()).limit(1))
        if low is None:
            return None
    if query.until:
        end = base.where(latest < day_start(query.until + timedelta(days=1), zone))
        high = session.scalar(end.order_by(latest.desc()).limit(1))
        if high is None:
            return None
    return low, high


def find(
    session: Session,
    user_id: int,
    query: InboxQuery,
    zone: tzinfo,
    before: int | None = None,
    limit: int = 20,
) -> Page:
    """Return a page of the user's inbox under `query`, below position `before` if given."""
    dialect = session.get_bind().dialect.name
    where = conditions(query, zone, dialect)
    bounds = date_bounds(session, user_id, query, zone)
    if bounds is None:
        return Page([], None)
    low, high = bounds
    if high is not None:
        before = high + 1 if before is None else min(before, high + 1)
    if low is not None:
        where.append(Notification.position >= low)
    if dialect != "postgresql" or not words(query.q):
        return page(session, user_id, before, limit, query.state, where)
    # PostgreSQL cannot tell a rare word from a common one well enough when the last
    # word is a prefix: it would read a million rows backwards for a rare word, or sort
    # half a million GIN matches for a common one. So: the newest PROBE rows in list
    # order first (a common word fills the page there), then the GIN index for the rest
    # (the word is rarer than limit in PROBE), in a materialized CTE so that it is the
    # GIN and not a backward read. The two parts split at `floor`: nothing is skipped
    # or repeated, and the page is in list order.
    floor = _floor(session, user_id, before)
    if floor is None:
        return page(session, user_id, before, limit, query.state, where)
    recent = _recent(session, user_id, query.state, where, before, limit)
    if len(recent) > limit:
        return Page(recent[:limit], recent[limit - 1].position)
    need = limit - len(recent)
    older = (
        for_user(user_id)
        .where(state_condition(query.state), *where, Notification.position <= floor)
        .cte("older")
        .prefix_with("MATERIALIZED")
    )
    row = aliased(Notification, older)
    rows = list(session.scalars(sa.select(row).order_by(row.position.desc()).limit(need + 1)))
    items = recent + rows[:need]
    return Page(items, items[-1].position if len(rows) > need else None)


def _recent(session: Session, user_id: int, state, where, before, limit) -> list[Notification]:
    """Up to limit + 1 matches among the user's PROBE newest rows below `before`: a
    subquery with a LIMIT, so the planner must read them in order and cannot take the
    GIN index (a common word's half a million matches) instead."""
    # Ordered by the subquery's own position column: PostgreSQL then knows the rows come
    # sorted and stops at the page's last match, instead of matching all PROBE and sorting.
    stmt = for_user(user_id).add_columns(Notification.position.label("pos"))
    stmt = stmt.order_by(sa.literal_column("pos").desc()).limit(PROBE)
    if before is not None:
        stmt = stmt.where(Notification.position < before)
    newest = stmt.subquery("newest")
    adapt = ClauseAdapter(newest).traverse
    row = aliased(Notification, newest)
    conditions_there = [adapt(c) for c in (state_condition(state), *where)]
    found = sa.select(row).where(*conditions_there).order_by(newest.c.pos.desc())
    return list(session.scalars(found.limit(limit + 1)))


def _floor(session: Session, user_id: int, before: int | None) -> int | None:
    """The position of the user's PROBE-th newest row below `before` (None: fewer rows)."""
    stmt = sa.select(Notification.position).where(Notification.user_id == user_id)
    if before is not None:
        stmt = stmt.where(Notification.position < before)
    return session.scalar(stmt.order_by(Notification.position.desc()).offset(PROBE).limit(1))


def count(session: Session, user_id: int, state: State | None, where, cap: int) -> int:
    """Count the user's rows in `state` under `where`, stopping past `cap`."""
    inner = (
        sa.select(sa.literal(1))
        .where(Notification.user_id == user_id, state_condition(state), *where)
        .limit(cap + 1)
    )
    return session.scalar(sa.select(sa.func.count()).select_from(inner.subquery())) or 0


def tab_counts(
    session: Session, user_id: int, query: InboxQuery, zone: tzinfo
) -> dict[State | None, str]:
    """Return each tab's count under the query's filters, "999+" past the cap ("99+"
    under a type or date filter, and Archived's then only on its own tab); Unread
    without filters comes from the badge's counter and is exact. None under a word
    search: counting its matches means reading them all (a common word: half a million)."""
    if query.q:
        return {}
    where = conditions(query, zone, session.get_bind().dialect.name)
    bounds = date_bounds(session, user_id, query, zone)
    if bounds is None:
        return dict.fromkeys((None, *STATES), "0")
    low, high = bounds
    if low is not None:
        where.append(Notification.position >= low)
    if high is not None:
        where.append(Notification.position <= high)
    cap = FILTERED_CAP if where else COUNT_CAP
    out: dict[State | None, str] = {}
    for state in (None, *STATES):
        if state == "archived" and where and query.state != "archived":
            continue  # a small share: counting it under a filter reads past the rest
        if state == "unread" and not where:
            out[state] = str(unread_count(session, user_id))
            continue
        n = count(session, user_id, state, where, cap)
        out[state] = f"{cap}+" if n > cap else str(n)
    return out
