"""Presence in the database (tocsin_presence), for a deployment without Redis.

A row per socket: written on a visibility change, its expiry pushed on by one UPDATE per
process every third of TOCSIN_PRESENCE_TTL (all the process's rows share its key prefix),
deleted on close. Rows of a dead process stop counting at their expiry and are deleted
by the next refresh of any process, a TTL later.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..extensions import store
from ..models import Presence as Row
from ..models import utcnow
from .presence import LocalTabs, process_id


class DatabasePresence(LocalTabs):
    """Entries as rows of tocsin_presence, on the app's database."""

    def any_visible(self, user_id: int) -> bool:
        stmt = sa.select(Row.id).where(
            Row.user_id == user_id, Row.visible.is_(True), Row.expires_at > utcnow()
        )
        with Session(store.engine) as session:
            return session.scalars(stmt.limit(1)).first() is not None

    def tabs(self, user_id: int) -> list[bool]:
        stmt = sa.select(Row.visible).where(Row.user_id == user_id, Row.expires_at > utcnow())
        with Session(store.engine) as session:
            return sorted(session.scalars(stmt), reverse=True)

    def _write(self, key: str, user_id: int, visible: bool, expires: float) -> None:
        with Session(store.engine) as session:
            session.merge(Row(id=key, user_id=user_id, visible=visible, expires_at=_at(expires)))
            session.commit()

    def _delete(self, key: str, user_id: int) -> None:
        with Session(store.engine) as session:
            session.execute(sa.delete(Row).where(Row.id == key))
            session.commit()

    def _extend(self, held: dict[str, tuple[int, bool]], expires: float) -> None:
        # One statement for the whole process, however many sockets it holds.
        mine = Row.id.startswith(f"{process_id()}:", autoescape=True)
        long_dead = utcnow() - timedelta(seconds=self.ttl)
        with Session(store.engine) as session:
            session.execute(sa.update(Row).where(mine).values(expires_at=_at(expires)))
            session.execute(sa.delete(Row).where(Row.expires_at < long_dead))
            session.commit()


def _at(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)
