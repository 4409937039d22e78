"""Server-side logins: start, check (idle and absolute expiry), end one, end the others.

A signed session cookie cannot be taken back, so each login is also a row keyed by the
random id the cookie carries. Whatever the cookie says, a login whose row is gone or
too old is over, for HTTP and for the WebSocket alike.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import Login, utcnow

#: How stale `seen_at` may get: an active login costs one write a minute, not one a request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetime:
    """How long a login lasts: `absolute` from its start, `idle` from its last request."""

    absolute: timedelta
    idle: timedelta | None = None  # None: no idle limit

    def ends_at(self, login: Login) -> datetime:
        end = login.created_at + self.absolute
        return min(end, login.seen_at + self.idle) if self.idle else end


def start(session: Session, user_id: int, lifetime: Lifetime) -> str:
    """Record a new login for `user_id`, drop that user's expired ones, return its id."""
    now = utcnow()
    stale = [sa.and_(Login.user_id == user_id, Login.created_at <= now - lifetime.absolute)]
    if lifetime.idle:
        stale.append(sa.and_(Login.user_id == user_id, Login.seen_at <= now - lifetime.idle))
    session.execute(sa.delete(Login).where(sa.or_(*stale)))
    sid = secrets.token_hex(16)
    session.add(Login(id=sid, user_id=user_id, created_at=now, seen_at=now))
    session.commit()
    return sid


def check(
    session: Session, sid: str, user_id: int, lifetime: Lifetime, *, touch: bool = True
) -> datetime | None:
    """Return when the login `sid` of `user_id` ends, noting a request if `touch`; None if over."""
    login = session.get(Login, sid)
    now = utcnow()
    if login is None or login.user_id != user_id:
        return None
    if lifetime.ends_at(login) <= now:
        end(session, sid)
        return None
    if touch and now - login.seen_at >= TOUCH_EVERY:
        # Guarded, so concurrent requests of one login write once.
        session.execute(
            sa.update(Login)
            .where(Login.id == sid, Login.seen_at <= now - TOUCH_EVERY)
            .values(seen_at=now)
        )
        session.commit()
        login = session.get(Login, sid)
        if login is None:
            return None
    return lifetime.ends_at(login)


def end(session: Session, sid: str) -> bool:
    """End the login `sid`; tell whether it was still on."""
    deleted = session.execute(sa.delete(Login).where(Login.id == sid))
    ended = cast(sa.CursorResult, deleted).rowcount  # a DELETE's Result is a CursorResult
    session.commit()
    return bool(ended)


def end_others(session: Session, user_id: int, keep: str) -> list[str]:
    """End every login of `user_id` but `keep`; return the ids ended."""
    ids = list(
        session.scalars(sa.select(Login.id).where(Login.user_id == user_id, Login.id != keep))
    )
    if ids:
        session.execute(sa.delete(Login).where(Login.id.in_(ids)))
        session.commit()
    return ids
