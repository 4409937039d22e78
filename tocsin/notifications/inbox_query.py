"""What the inbox lists: a state, types, words and a date range, as one value.

It is parsed from the query string of ``GET /notifications`` (and of a saved filter), and
written back as a normalised query string, so the same query always has the same URL:
`hx-push-url`, back and forward, sharing and saved filters all go through here.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import urlencode

from flask_babel import gettext as _

#: The inbox's states: unread and read leave archived rows out; archived shows them alone.
State = Literal["unread", "read", "archived"]
STATES: tuple[State, ...] = ("unread", "read", "archived")
#: Bounds on what a client may ask for (a search box, a few types).
MAX_QUERY = 200
MAX_TYPES = 20
#: The keys a query string may carry besides the keyset's `before`.
KEYS = ("state", "type", "q", "since", "until")


class InvalidQuery(ValueError):
    """A query the inbox cannot run; the message says which part and why (a 400)."""


@dataclass(frozen=True)
class InboxQuery:
    state: State | None = None
    #: Sorted, once each; empty = every type.
    types: tuple[str, ...] = ()
    #: Full-text words, stripped; "" = no search.
    q: str = ""
    #: Inclusive days in the user's timezone.
    since: date | None = None
    until: date | None = None

    @property
    def is_filtered(self) -> bool:
        """Tell whether anything beyond the state narrows the list."""
        return bool(self.types or self.q or self.since or self.until)

    def pairs(self, **changes) -> list[tuple[str, str]]:
        """Return the query string's (key, value) pairs, with `changes` applied."""
        fields = {
            "state": self.state,
            "type": list(self.types),
            "q": self.q,
            "since": self.since,
            "until": self.until,
        }
        fields.update(changes)
        out: list[tuple[str, str]] = []
        for key in KEYS:
            value = fields.get(key)
            for v in value if isinstance(value, list | tuple) else [value]:
                if v not in (None, ""):
                    out.append((key, v.isoformat() if isinstance(v, date) else str(v)))
        return out

    def query_string(self, **changes) -> str:
        """Return the normalised query string ("" for the plain inbox)."""
        return urlencode(self.pairs(**changes))


def parse(args, known_types: Collection[str]) -> InboxQuery:
    """Return the query in `args` (a MultiDict); raise InvalidQuery on anything wrong."""
    state = args.get("state") or None
    if state is not None and state not in STATES:
        raise InvalidQuery(_("state must be one of: %(states)s", states=", ".join(STATES)))
    types = sorted({t for t in args.getlist("type") if t})
    if len(types) > MAX_TYPES:
        raise InvalidQuery(_("type: at most %(max)d", max=MAX_TYPES))
    unknown = [t for t in types if t not in known_types]
    if unknown:
        raise InvalidQuery(_("type: unknown %(type)s", type=repr(unknown[0])))
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY:
        raise InvalidQuery(_("q: at most %(max)d characters", max=MAX_QUERY))
    since, until = _date(args, "since"), _date(args, "until")
    if since and until and since > until:
        raise InvalidQuery(_("since must not be after until"))
    return InboxQuery(state, tuple(types), q, since, until)


def _date(args, name: str) -> date | None:
    raw = args.get(name) or ""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _bad(name)
    except ValueError:
        return _bad(name)


def _bad(name: str):
    raise InvalidQuery(_("%(name)s must be a date as YYYY-MM-DD", name=name))
