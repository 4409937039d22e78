"""Create and authenticate users."""

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .models import UnreadCounter, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
PASSWORD_MIN = 4


class InvalidUser(ValueError):
    """A username or password that cannot be used."""


def by_username(session: Session, username: str) -> User | None:
    return session.scalar(sa.select(User).where(User.username == username))


def create(session: Session, username: str, password: str) -> User:
    """Create a user with a hashed password; raise InvalidUser on bad input or a taken name."""
    if not USERNAME_RE.match(username or ""):
        raise InvalidUser("username: 1-80 letters, digits, '_', '.' or '-'")
    if len(password or "") < PASSWORD_MIN:
        raise InvalidUser(f"password: at least {PASSWORD_MIN} characters")
    if by_username(session, username) is not None:
        raise InvalidUser(f"username: {username!r} is taken")
    user = User(username=username, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    session.add(UnreadCounter(user_id=user.id, unread=0))
    session.commit()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the user if the password matches, else None."""
    user = by_username(session, username)
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user
