"""Who can receive notifications: the mapping from user names and ids to recipient ids.

Tocsin stores notifications by recipient id, which is the user id of whatever app it
runs in. A directory resolves the names publishers use (CLI, HTTP API, notify()).

One rule everywhere: an integer is a user id; a string is a user name, unless it reads
``id:<digits>``, which is that user id. So JSON ``2`` and ``"id:2"`` are user 2, while
``"2"``, ``?user=2`` and ``--to 2`` are the user named "2" (all-digit names are allowed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .among import Among
from .models import MAX_ID, UnreadCounter

#: A string naming a user by id: "id:42". A directory's names must not contain ":".
ID_PREFIX = "id:"


def parse_ref(ref: int | str) -> int | str:
    """Return the id an ``id:<digits>`` string names, else `ref` unchanged."""
    if isinstance(ref, str) and ref.startswith(ID_PREFIX):
        digits = ref[len(ID_PREFIX) :]
        # Past 18 digits no such user exists (and int() of a huge string is slow).
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            return int(digits)
    return ref


class IdDirectory:
    """Take recipients as user ids only: what Tocsin does when the host names no directory.

    Tocsin has no users table of its own, so it cannot check an id or look up a name:
    every name is unknown (the publisher gets "recipients: unknown 'bob'").
    """

    def resolve(self, session: Session, refs: Sequence[int | str]) -> tuple[list[int], list]:
        """Return the ids among `refs` (in order, once each) and the other refs as unknown."""
        resolved: list[int] = []
        unknown, seen = [], set()
        for ref in refs:
            key = parse_ref(ref)
            if not _ints([key]):
                unknown.append(ref)
            elif key not in seen:
                seen.add(key)
                resolved.append(key)  # type: ignore[arg-type]
        return resolved, unknown

    def all_ids(self, session: Session) -> list[int]:
        """Return every user id Tocsin has ever counted for (it knows no others)."""
        stmt = sa.select(UnreadCounter.user_id).order_by(UnreadCounter.user_id)
        return list(session.scalars(stmt))

    #: No users table, so no addresses: the email channel skips every recipient.
    stores_email = False

    def emails(self, session: Session, user_ids: Sequence[int]) -> dict[int, str]:
        """Return the email address of each of `user_ids` that has one: none here."""
        return {}

    def set_email(self, session: Session, user_id: int, address: str | None) -> None:
        """Store a user's address; a directory without them cannot."""
        raise NotImplementedError("this directory stores no email addresses")

    def is_admin(self, session: Session, user_id: int) -> bool:
        """Tell whether a user may see the analytics: nobody, without a users table."""
        return False


class ModelDirectory:
    """Resolve recipients through the host's SQLAlchemy user model."""

    def __init__(
        self,
        model,
        name: str = "username",
        id: str = "id",
        email: str | None = None,
        admin: str | None = None,
    ):
        self.model = model
        self._statements: dict[tuple, Among] = {}
        self.name_column = getattr(model, name)
        self.id_column = getattr(model, id)
        #: The column with each user's email address (the email channel's), if any.
        self.email_column = getattr(model, email) if email else None
        #: The boolean column that marks admins (the analytics page's), if any.
        self.admin_column = getattr(model, admin) if admin else None

    @property
    def stores_email(self) -> bool:
        return self.email_column is not None

    def resolve(self, session: Session, refs: Sequence[int | str]) -> tuple[list[int], list]:
        """Return the ids for `refs` (see parse_ref; in order, once each) and the unknown refs."""
        resolved, unknown, _ = self.resolve_joined(session, refs, ())
        return resolved, unknown

    def resolve_joined(
        self, session: Session, refs: Sequence[int | str], joined: Sequence[sa.Column]
    ) -> tuple[list[int], list, dict[int, tuple]]:
        """As `resolve`, and with the users found, in the same query, their row of another
        table: `joined` are its columns, the first holding the user id (outer-joined on
        it). The third item maps each resolved user that has such a row to its values.

        A publish reads its recipients' preferences this way: one round trip, not two.
        """
        parsed = [parse_ref(r) for r in refs]
        joined = tuple(joined)
        by_id = self._found(session, self.id_column, _ints(parsed), joined)
        names = [r for r in parsed if isinstance(r, str)]
        by_name = self._found(session, self.name_column, names, joined)
        resolved: list[int] = []
        unknown, seen, extra = [], set(), {}
        for ref, key in zip(refs, parsed, strict=True):
            row = by_name.get(key) if isinstance(key, str) else by_id.get(key)
            if row is None:
                unknown.append(ref)
                continue
            uid = row[1]
            if uid not in seen:
                seen.add(uid)
                resolved.append(uid)
                if joined and row[2] is not None:  # the joined row's user id: it has one
                    extra[uid] = tuple(row[2:])
        return resolved, unknown, extra

    def _found(self, session: Session, key, values: list, joined: tuple) -> dict:
        """{key value: (key value, user id, *joined values)} for the users among `values`."""
        values = list(dict.fromkeys(values))
        if not values:
            return {}
        among = self._among(key, self.id_column, joined)
        return {row[0]: row for row in among.rows(session, values)}

    def all_ids(self, session: Session) -> list[int]:
        """Return every recipient id."""
        return list(session.scalars(sa.select(self.id_column).order_by(self.id_column)))

    def emails(self, session: Session, user_ids: Sequence[int]) -> dict[int, str]:
        """Return the email address of each of `user_ids` that has one (empty ones aside)."""
        if self.email_column is None:
            return {}
        found = self._lookup(session, self.id_column, _ints(list(user_ids)), self.email_column)
        return {uid: address for uid, address in found.items() if address}

    def set_email(self, session: Session, user_id: int, address: str | None) -> None:
        """Store a user's address (None removes it) in the session's transaction."""
        if self.email_column is None:
            raise NotImplementedError("this directory stores no email addresses")
        stmt = sa.update(self.model).where(self.id_column == user_id)
        session.execute(stmt.values({self.email_column.key: address or None}))

    def is_admin(self, session: Session, user_id: int) -> bool:
        """Tell whether a user may see the analytics (no admin column: nobody may)."""
        if self.admin_column is None or not _ints([user_id]):
            return False
        stmt = sa.select(self.admin_column).where(self.id_column == user_id)
        return bool(session.scalar(stmt))

    def _lookup(self, session: Session, key, values: list, value) -> dict:
        """{key value: value} for the users among `values`."""
        values = list(dict.fromkeys(values))
        if not values:
            return {}
        return {row[0]: row[1] for row in self._among(key, value, ()).rows(session, values)}

    def _among(self, key, value, joined: tuple) -> Among:
        """`SELECT key, value[, joined] WHERE key among :ids`, built once per set: a publish
        checks its recipients with it, and building it anew cost more CPU than running it."""
        cache_key = (key.key, value.key, tuple((c.table.name, c.key) for c in joined))
        cached = self._statements.get(cache_key)
        if cached is None:
            stmt = sa.select(key, value, *joined)
            if joined:
                users, theirs = self.model.__table__, joined[0]
                stmt = stmt.select_from(users.outerjoin(theirs.table, theirs == self.id_column))
            cached = self._statements[cache_key] = Among(key, stmt.where)
        return cached


def _ints(refs) -> list[int]:
    # Beyond MAX_ID no such user can exist, and PostgreSQL would refuse the parameter.
    return [r for r in refs if isinstance(r, int) and not isinstance(r, bool) and 0 < r <= MAX_ID]
