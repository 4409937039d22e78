"""Create and authenticate the standalone app's users."""

import functools
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .models import User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
#: NIST SP 800-63B (5.1.1.1): memorized secrets chosen by the user are at least 8 long.
PASSWORD_MIN = 8


class InvalidUser(ValueError):
    """A username or password that cannot be used."""


def by_username(session: Session, username: str) -> User | None:
    return session.scalar(sa.select(User).where(User.username == username))


def check_password(password: str) -> None:
    """Raise InvalidUser unless `password` may be chosen for a new user."""
    if len(password or "") < PASSWORD_MIN:
        raise InvalidUser(f"password: at least {PASSWORD_MIN} characters")


def create(
    session: Session, username: str, password: str, *, demo: bool = False, admin: bool = False
) -> User:
    """Create a user with a hashed password; raise InvalidUser on bad input or a taken name.

    The length rule is checked where a person chooses a password (check_password, in
    ``tocsin user create``), not here: demo, test and benchmark users have fixed ones.
    """
    if not USERNAME_RE.match(username or ""):
        raise InvalidUser("username: 1-80 letters, digits, '_', '.' or '-'")
    if not password:
        raise InvalidUser("password: required")
    if by_username(session, username) is not None:
        raise InvalidUser(f"username: {username!r} is taken")
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        demo=demo,
        admin=admin,
    )
    session.add(user)
    session.commit()
    return user


def ensure_demo(session: Session, username: str, password: str, *, admin: bool = False) -> User:
    """Create a demo user, or flag as one a user made before demo users were flagged; with
    `admin`, make it an admin (the demo's alice opens the analytics page)."""
    user = by_username(session, username)
    if user is None:
        return create(session, username, password, demo=True, admin=admin)
    if not user.demo and check_password_hash(user.password_hash, password):
        user.demo = True  # it still has the published password: only demo mode may use it
        session.commit()
    if admin and user.demo and not user.admin:
        user.admin = True
        session.commit()
    return user


def authenticate(
    session: Session, username: str, password: str, *, demo_mode: bool = False
) -> User | None:
    """Return the user if the password matches (a demo user only in demo mode), else None.

    An unknown name costs the same hash check as a known one, so timing tells nothing.
    """
    user = by_username(session, username)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user if demo_mode or not user.demo else None


@functools.cache
def _dummy_hash() -> str:
    """Return a hash made as real ones are (same method and cost), of no one's password."""
    return generate_password_hash("no user has this password")
