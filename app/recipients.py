"""Who can receive notifications: the mapping from user names and ids to recipient ids.

Tocsin stores notifications by recipient id, which is the user id of whatever app it
runs in. A directory resolves the names publishers use (CLI, HTTP API, notify()).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import MAX_ID

#: Values per IN (...) query, well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 1000


class ModelDirectory:
    """Resolve recipients through a SQLAlchemy user model (the host's or Tocsin's own)."""

    def __init__(self, model, name: str = "username", id: str = "id") -> None:
        self.model = model
        self.name_column = getattr(model, name)
        self.id_column = getattr(model, id)

    def resolve(self, session: Session, refs: Sequence[int | str]) -> tuple[list[int], list]:
        """Return the ids for `refs` (ids or names; in order, once each) and the unknown refs."""
        ids = {r: r for r in self._lookup(session, self.id_column, _ints(refs))}
        names = self._lookup(session, self.name_column, [r for r in refs if isinstance(r, str)])
        resolved, unknown, seen = [], [], set()
        for ref in refs:
            uid = names.get(ref) if isinstance(ref, str) else ids.get(ref)
            if uid is None:
                unknown.append(ref)
            elif uid not in seen:
                seen.add(uid)
                resolved.append(uid)
        return resolved, unknown

    def all_ids(self, session: Session) -> list[int]:
        """Return every recipient id."""
        return list(session.scalars(sa.select(self.id_column).order_by(self.id_column)))

    def _lookup(self, session: Session, key, values: list) -> dict:
        found: dict = {}
        values = list(dict.fromkeys(values))
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            stmt = sa.select(key, self.id_column).where(key.in_(chunk))
            found.update(tuple(row) for row in session.execute(stmt))
        return found


def _ints(refs) -> list[int]:
    # Beyond MAX_ID no such user can exist, and PostgreSQL would refuse the parameter.
    return [r for r in refs if isinstance(r, int) and not isinstance(r, bool) and 0 < r <= MAX_ID]
