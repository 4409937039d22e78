"""Bearer tokens for the HTTP API: created and revoked by name, stored only as a hash.

A token is 32 random bytes (url-safe base64) after a ``tocsin_`` marker. It is shown
once when created; the database keeps its SHA-256, which is enough for a secret that
random, and its first characters, so a listing can tell tokens apart.
"""

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import ApiToken, utcnow

MARKER = "tocsin_"
TOKEN_RE = re.compile(rf"{MARKER}[A-Za-z0-9_-]{{43}}")
NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,80}")
#: Characters of the token kept for listings: the marker and 6 of its 43 random ones.
PREFIX_LENGTH = len(MARKER) + 6
#: How stale `last_used_at` may get: a busy integration writes it once a minute, not per call.
TOUCH_EVERY = timedelta(minutes=1)


class InvalidToken(ValueError):
    """A token name that cannot be used, or no such token."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create(session: Session, name: str) -> tuple[ApiToken, str]:
    """Create a token called `name`; return it and the secret, which is never stored."""
    if not NAME_RE.fullmatch(name or ""):
        raise InvalidToken("name: 1-80 letters, digits, '_', '.' or '-'")
    secret = MARKER + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=secret[:PREFIX_LENGTH], token_hash=digest(secret))
    session.add(token)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidToken(f"name: a token called {name!r} exists; revoke it first") from None
    return token, secret


def revoke(session: Session, name: str) -> ApiToken:
    """Revoke the active token called `name`; raise InvalidToken if there is none."""
    token = active(session, name)
    if token is None:
        raise InvalidToken(f"no active token called {name!r}")
    token.revoked_at = utcnow()
    session.commit()
    return token


def active(session: Session, name: str) -> ApiToken | None:
    return session.scalar(
        sa.select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
    )


def all_tokens(session: Session) -> list[ApiToken]:
    """Return every token, revoked ones too, oldest first."""
    return list(session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


#: The active token with a hash, built once (every API request runs it).
_BY_HASH = sa.select(ApiToken).where(
    ApiToken.token_hash == sa.bindparam("hash"), ApiToken.revoked_at.is_(None)
)


def authenticate(session: Session, authorization: str | None) -> ApiToken | None:
    """Return the active token an ``Authorization: Bearer ...`` header carries, else None."""
    scheme, _, secret = (authorization or "").partition(" ")
    well_formed = scheme.lower() == "bearer" and TOKEN_RE.fullmatch(secret.strip()) is not None
    # The same hash and query whatever came in: a malformed header costs what a wrong one does.
    token = session.scalar(_BY_HASH, {"hash": digest(secret.strip() if well_formed else "")})
    if token is None or not well_formed:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        session.execute(
            sa.update(ApiToken)
            .where(ApiToken.id == token.id)
            .where(
                sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_EVERY)
            )
            .values(last_used_at=now)
        )
        session.commit()
    return token
