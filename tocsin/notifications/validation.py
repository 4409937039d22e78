"""Validate what a publisher sends before anything is written."""

from dataclasses import dataclass

from .links import validate_link_url
from .types import catalog

PRIORITIES = ("low", "normal", "high", "urgent")
TITLE_MAX = 200
BODY_MAX = 2000
ACTOR_MAX = 120
GROUP_KEY_MAX = 200


class InvalidNotification(ValueError):
    """A notification that cannot be published; the message names the field."""


@dataclass(frozen=True)
class NotificationInput:
    type: str
    title: str
    body: str | None = None
    url: str | None = None
    priority: str = "normal"
    data: dict | None = None
    actor: str | None = None
    group_key: str | None = None


def clean(
    type: str,
    title: str,
    body: str | None = None,
    url: str | None = None,
    priority: str | None = None,
    data: dict | None = None,
    actor: str | None = None,
    group_key: str | None = None,
) -> NotificationInput:
    """Return a checked NotificationInput or raise InvalidNotification naming the field."""
    types = catalog()
    if type not in types:
        known = ", ".join(types)
        raise InvalidNotification(f"type: unknown type {type!r} (known: {known})")
    title = (title or "").strip()
    if not title:
        raise InvalidNotification("title: must not be empty")
    if len(title) > TITLE_MAX:
        raise InvalidNotification(f"title: at most {TITLE_MAX} characters")
    if body is not None and len(body) > BODY_MAX:
        raise InvalidNotification(f"body: at most {BODY_MAX} characters")
    if priority is None:
        priority = types.get(type).default_priority
    if priority not in PRIORITIES:
        raise InvalidNotification(f"priority: must be one of {', '.join(PRIORITIES)}")
    try:
        url = validate_link_url(url)
    except ValueError as exc:
        raise InvalidNotification(f"url: {exc}") from None
    if data is not None and not isinstance(data, dict):
        raise InvalidNotification("data: must be an object")
    limits = (("actor", actor, ACTOR_MAX), ("group_key", group_key, GROUP_KEY_MAX))
    for field, value, limit in limits:
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise InvalidNotification(f"{field}: a string of at most {limit} characters")
    texts = {"title": title, "body": body, "url": url, "actor": actor, "group_key": group_key}
    for field, value in texts.items():
        # PostgreSQL text cannot hold NUL; refuse it here rather than fail at the database.
        if value and "\x00" in value:
            raise InvalidNotification(f"{field}: must not contain NUL characters")
    return NotificationInput(type, title, body or None, url, priority, data, actor, group_key)
