"""One-click unsubscribe (RFC 8058): a signed link per user and type that needs no login.

The token is the user id and the type's name, signed with the app's SECRET_KEY (salted
for this use only) and timestamped: it works TOCSIN_UNSUBSCRIBE_MAX_AGE seconds. An
empty type stands for the digest, whose link turns the digest off. Using a link twice
changes nothing more; a critical type cannot be muted, so its link says so instead.
"""

from enum import StrEnum

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from ..notifications import preferences
from ..notifications.pipeline import tell_prefs_changed
from ..notifications.types import NotificationType, catalog

#: Keeps these signatures apart from every other use of SECRET_KEY (sessions, CSRF).
SALT = "tocsin.email.unsubscribe"
#: The "type" of the digest's link.
DIGEST = ""


class BadToken(ValueError):
    """The link is forged, altered, expired or not one of ours."""


class Outcome(StrEnum):
    MUTED = "muted"
    DIGEST_OFF = "digest_off"
    CRITICAL = "critical"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token(user_id: int, type_name: str = DIGEST) -> str:
    """The signed token for `user_id`'s emails of `type_name` (DIGEST: the digest)."""
    return str(_serializer().dumps([user_id, type_name]))


def read(value: str) -> tuple[int, str]:
    """Return the (user id, type name) a token signs; raise BadToken otherwise."""
    max_age = current_app.config["TOCSIN_UNSUBSCRIBE_MAX_AGE"]
    try:
        data = _serializer().loads(value, max_age=max_age)
    except BadData:
        raise BadToken(_("This unsubscribe link is not valid or has expired.")) from None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not isinstance(data[0], int)
        or not isinstance(data[1], str)
    ):
        raise BadToken(_("This unsubscribe link is not valid."))
    return data[0], data[1]


def type_of(type_name: str) -> NotificationType | None:
    """The type a token names; None for the digest."""
    return None if type_name == DIGEST else catalog().get(type_name)


def unsubscribe(session: Session, user_id: int, type_name: str) -> Outcome:
    """Turn the user's emails of `type_name` off (the digest, for DIGEST), commit, and tell
    their tabs; a critical type stays on."""
    type_ = type_of(type_name)
    if type_ is not None and type_.critical:
        return Outcome.CRITICAL
    try:
        row = preferences.row_for_update(session, user_id)
        if type_ is None:
            row.digest = "off"
        else:
            channels = {name: dict(chosen) for name, chosen in (row.channels or {}).items()}
            channels.setdefault(type_.name, {})["email"] = False
            row.channels = channels  # a new dict: the JSON column sees the change
        tell_prefs_changed(session, [user_id])
        session.commit()
    except Exception:
        session.rollback()
        raise
    return Outcome.MUTED if type_ is not None else Outcome.DIGEST_OFF
