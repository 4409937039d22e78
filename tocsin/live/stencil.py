"""Render a new notification's push once, for every socket that gets the same one.

A fan-out gives thousands of users a notification with the same content and each user
a row of their own: rendering `_push.html` per socket was most of the worker's time.
Here the push is rendered once per content with stand-ins for the row's id and the
socket's CSRF token (a stencil), and each socket gets the stencil with its own id and
token put in, plus the badge for its user's count (rendered once per count). Rows and
counts are read for all waiting sockets at once (`Coalescer`).

The stand-ins are random per process, so content cannot contain them on purpose; a
row whose text contains one anyway is rendered the ordinary way. The output is the
same string `push.render` builds without a stencil (the tests compare them). Both render
as nobody (anonymous.py): a stencil serves every user, so no user's request may show.
Every key holds the socket's language: a fan-out renders once per language among its
recipients (two, as a rule), not once per user, and a German stencil never reaches an
English tab.
"""

import json
import secrets
import threading
import weakref
from collections import OrderedDict
from collections.abc import Collection

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Session

from .. import state
from ..among import Among
from ..extensions import store
from ..models import Notification, UnreadCounter
from ..notifications.timefmt import relative_time
from . import anonymous
from .coalesce import Coalescer
from .connection import Connection

#: Stencils kept (LRU): one per distinct content and relative time, for pushes and for
#: snapshot items (a reconnect storm renders every user's first page).
STENCILS = 4096
#: Badges kept, one per count.
BADGES = 1024

#: What an item's markup depends on. Not seen_at: it differs per recipient once a row was
#: on screen, which would split one stencil into many; whether it is NULL shows
#: (data-unseen), so the key holds that instead (_stencil). But
#: sort_id: an item writes its position (data-position, `sort_id or id`), so a grown group,
#: whose sort_id is its own, gets a stencil of its own; a row that never grew has none and
#: shares as before (its position is its id, the stand-in).
_CONTENT = [
    c.key for c in Notification.__table__.columns if c.key not in ("id", "user_id", "seen_at")
]


class _WithId:
    """A row that answers a stand-in id, and everything else as itself."""

    def __init__(self, row: Notification, id_: int) -> None:
        self._row = row
        self.id = id_
        # The mark-all bound of a new row's push (a row that grew is never a stencil).
        self.position = id_

    def __getattr__(self, name: str):
        return getattr(self._row, name)


class Stencils:
    """Per app and process: batched lookups and the stencil and badge caches."""

    def __init__(self, app) -> None:
        self.app = app
        # Larger than any id (ids stop at 2**31 - 1), so url_for's int converter takes it.
        self.id_token = 2**40 + secrets.randbelow(2**40)
        self.csrf_token = f"tocsin-csrf-{secrets.token_hex(12)}"
        self.rows = Coalescer(self._fetch_rows)
        self.counts = Coalescer(self._fetch_counts)
        self._stencils: OrderedDict[tuple, str | None] = OrderedDict()
        self._badges: dict[tuple, str] = {}
        self._lock = threading.Lock()
        self._readers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def created(
        self,
        conn: Connection,
        ids: set[int],
        quiet: set[int],
        sound: set[int],
        browser: Collection[int] = (),
    ) -> tuple[str, list[Notification]] | None:
        """The push for new notifications `ids` and the rows it shows, or None to render
        it the ordinary way.

        Several new rows become one block each, oldest first: each block prepends its
        item, appends its toast and raises the mark-all bound, so the page ends up as
        with one block holding them all.
        """
        if conn.csrf_token is None:
            return None
        found = self.rows.get(ids)
        rows = [found[i] for i in sorted(ids) if i in found and found[i].user_id == conn.user_id]
        if not rows:
            return None
        bodies = []
        where = _where()  # once per socket and push: 30 µs each, a fan-out's per-socket cost
        for row in rows:
            mode = "quiet" if row.id in quiet else "sound" if row.id in sound else "push"
            # Per recipient, like the sound: a stencil of its own, never another user's.
            browsed = mode != "quiet" and row.id in browser
            body = self._stencil(row, mode, browser=browsed, where=where)
            if body is None:
                return None
            bodies.append(
                body.replace(str(self.id_token), str(row.id)).replace(
                    self.csrf_token, conn.csrf_token
                )
            )
        count = self.counts.get([conn.user_id]).get(conn.user_id, 0)
        return "".join(bodies) + self.badge(count, where), rows

    def badge(self, count: int, where: tuple[str | None, str | None] | None = None) -> str:
        """The out-of-band badge for `count`, rendered once per count (`where`: _where(),
        if the caller has it)."""
        counts = self.app.config["TOCSIN_BADGE_COUNTS"]
        key = (*(where or _where()), counts, count)
        html = self._badges.get(key)
        if html is None:
            html = anonymous.call("tocsin/_badge.html", "badge", count, oob=True, counts=counts)
            with self._lock:
                if len(self._badges) >= BADGES:
                    self._badges.clear()
                self._badges[key] = html
        return html

    def items(self, rows: list[Notification], csrf_token: str | None) -> Markup | None:
        """The item macro for each row from stencils (a snapshot's list), or None to render
        them the ordinary way. The rows without a stencil yet are rendered together, in
        one clean request (a reconnect storm of many users: most of their pages)."""
        if csrf_token is None:
            return None
        where = _where()
        keys = [self._key(row, "item", False, where) for row in rows]
        cached = [self._cached(key) for key in keys]
        found = [html for _, html in cached]
        missing = [i for i, (hit, _) in enumerate(cached) if not hit]
        if missing:
            fresh = [i for i in missing if self._fits(rows[i])]
            rendered = anonymous.render_each(
                "tocsin/_items.html",
                [
                    {"items": [_WithId(rows[i], self.id_token)], "token": self.csrf_token}
                    for i in fresh
                ],
            )
            made = dict(zip(fresh, rendered, strict=True))
            for i in missing:
                found[i] = self._store(keys[i], made.get(i))
        parts = []
        for row, html in zip(rows, found, strict=True):
            if html is None:
                return None
            parts.append(
                html.replace(str(self.id_token), str(row.id)).replace(self.csrf_token, csrf_token)
            )
        # Rendered by autoescaping templates; only ids and the socket's token went in.
        return Markup("".join(parts))  # noqa: S704

    def _stencil(
        self,
        row: Notification,
        kind: str = "push",
        browser: bool = False,
        where: tuple[str | None, str | None] | None = None,
    ) -> str | None:
        """`kind` is "item" (a list item), "push" (item and toast), "sound" (item and a
        toast that sounds) or "quiet" (item, no toast); `browser`: the toast is marked
        for a browser notification; `where`: _where(), if the caller has it."""
        key = self._key(row, kind, browser, where or _where())
        hit, html = self._cached(key)
        if hit:
            return html
        if not self._fits(row):
            return self._store(key, None)
        if kind == "item":
            return self._store(
                key,
                anonymous.render(
                    "tocsin/_items.html", items=[_WithId(row, self.id_token)], token=self.csrf_token
                ),
            )
        return self._store(
            key,
            body(
                [_WithId(row, self.id_token)],
                quiet={self.id_token} if kind == "quiet" else (),
                sound={self.id_token} if kind == "sound" else (),
                browser={self.id_token} if browser else (),
                csrf_token=lambda: self.csrf_token,
            ),
        )

    @staticmethod
    def _key(
        row: Notification, kind: str, browser: bool, where: tuple[str | None, str | None]
    ) -> tuple:
        content = tuple(
            json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
            for v in (getattr(row, key) for key in _CONTENT)
        )
        # The base too: url_for's paths follow the socket's script root (one per app, as a rule).
        seen = row.seen_at is not None  # data-unseen or not: one of two stencils per content
        # And the language: a stencil is shared by the sockets that read the same one.
        return (kind, browser, seen, *where, content, relative_time(row.latest_at))

    def _fits(self, row: Notification) -> bool:
        """False where the row's content holds a stand-in: no stencil for it."""
        stand_ins = (str(self.id_token), self.csrf_token)
        return not any(s in str(getattr(row, key)) for key in _CONTENT for s in stand_ins)

    def _cached(self, key: tuple) -> tuple[bool, str | None]:
        """Whether there is a stencil for `key`, and it (None: the row cannot have one)."""
        with self._lock:
            if key in self._stencils:
                self._stencils.move_to_end(key)
                return True, self._stencils[key]
        return False, None

    def _store(self, key: tuple, html: str | None) -> str | None:
        with self._lock:
            self._stencils[key] = html
            while len(self._stencils) > STENCILS:
                self._stencils.popitem(last=False)
        return html

    def _reader(self):
        """The engine the lookups read through: on PostgreSQL without a transaction.

        Each lookup is one SELECT, which sees a consistent snapshot on its own; a
        transaction around it cost a BEGIN and a ROLLBACK, two more round trips per push
        (psycopg's autocommit is set on the client, and taken off when the connection
        goes back to the pool)."""
        engine = store.engine
        cached = self._readers.get(engine)
        if cached is None:
            postgres = engine.dialect.name == "postgresql"
            cached = engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else engine
            self._readers[engine] = cached
        return cached

    def _fetch_rows(self, ids: set[int]) -> dict[int, Notification]:
        with Session(self._reader()) as session:
            return {n.id: n for n in _ROWS.scalars(session, sorted(ids))}

    def _fetch_counts(self, user_ids: set[int]) -> dict[int, int]:
        # What the badge counts (TOCSIN_BADGE_COUNTS): unread rows, or those unseen.
        unseen = self.app.config["TOCSIN_BADGE_COUNTS"] == "unseen"
        with Session(self._reader()) as session:
            rows = (_UNSEEN if unseen else _UNREAD).rows(session, sorted(user_ids))
            return {uid: count for uid, count in rows}


# Built once (every push reads its rows and counts with them); the ids as one array on
# PostgreSQL: an IN list is re-parsed by psycopg every time (5 % of a fan-out's CPU).
_ROWS = Among(Notification.id, sa.select(Notification).where)
_UNREAD = Among(UnreadCounter.user_id, sa.select(UnreadCounter.user_id, UnreadCounter.unread).where)
_UNSEEN = Among(UnreadCounter.user_id, sa.select(UnreadCounter.user_id, UnreadCounter.unseen).where)


def body(
    new: list,
    changed=(),
    up_to: int | None = None,
    quiet: Collection[int] = (),
    sound: Collection[int] = (),
    grown=(),
    browser: Collection[int] = (),
    **context,
) -> str:
    """`_push.html` without the badge: new items, their toasts, grown groups (moved to the
    top, their toasts replaced), the mark-all bound, changes.

    No toast for ids in `quiet` (the policy held or skipped it); the toasts of ids in
    `sound` play the sound; those of ids in `browser` are marked for a browser
    notification (data-browser). Pass the socket's `csrf_token` (a callable) in `context`: it
    renders as nobody.
    """

    def toasting(rows) -> list:
        # Oldest first, so the newest toast ends up at the bottom of the stack; low
        # priority is badge only, and one already read in another tab is old news.
        return [
            n for n in reversed(rows) if n.priority != "low" and n.is_unread and n.id not in quiet
        ]

    grown_toasts = toasting(grown)
    return anonymous.render(
        "tocsin/_push.html",
        new=new,
        toasts=toasting(new),
        grown=grown,
        grown_toasts=grown_toasts,
        # Their toasts, if shown, change in place; none is added (the policy held them).
        grown_held=[n for n in grown if n not in grown_toasts],
        sounds=frozenset(sound),
        browsers=frozenset(browser),
        changed=changed,
        # Positions: a grown group's is the fresh sort_id it took.
        up_to=max([n.position for n in (*new, *grown)], default=0) if up_to is None else up_to,
        **context,
    )


def _where() -> tuple[str | None, str | None]:
    """What a stencil's key holds of the socket: its base URL and its language."""
    return anonymous.base(), anonymous.locale()


def for_app() -> Stencils:
    """This process's Stencils for the current app."""
    return state.current().stencils
