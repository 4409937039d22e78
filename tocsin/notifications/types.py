"""The notification types an app knows: icon, default priority, text template, actions.

The built-in types below are every app's defaults. A host adds or overrides one with an
entry (``Tocsin(app, types=[NotificationType(...)])``) and a template at
``tocsin/types/<name>.html`` in its own templates folder, which Flask searches
before Tocsin's.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from flask import Flask, current_app, has_app_context

from .. import state
from . import ratelimit
from .escalation import Chain

#: Type names go into template paths and a 40-character column.
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
DEFAULT_TEMPLATE = "tocsin/types/_default.html"


def N_(text: str) -> str:  # noqa: N802 - gettext's name for a marker
    """Mark a built-in label for the catalog; templates translate it when shown (_(label))."""
    return text


@dataclass(frozen=True)
class Action:
    """A button on a type's items; the type's action endpoint receives its `name`."""

    name: str
    label: str
    #: "primary" or "secondary": how the button looks.
    style: str = "secondary"
    #: What the item says once this action is taken, unless the handler says otherwise.
    outcome: str | None = None


@dataclass(frozen=True)
class NotificationType:
    name: str
    icon: str
    label: str
    default_priority: str = "normal"
    actions: tuple[Action, ...] = ()
    #: The host's endpoint the actions POST to, built with `notification_id` and `action`;
    #: until one is set, no buttons are shown.
    action_endpoint: str | None = None
    #: The template for an item's text; ``None`` means ``tocsin/types/<name>.html``.
    template: str | None = None
    #: The channels it goes out on until a user chooses (toast, browser, push, email).
    channels: tuple[str, ...] = ("toast", "browser")
    #: Critical types ignore mutes, quiet hours, snooze and rate limits, and their
    #: preferences are shown checked and disabled.
    critical: bool = False
    #: Notifications of this type with the same group_key merge into one unread row for
    #: this long, counted from the row's first notification; zero = never group. The
    #: grouped wording is the text template's (tocsin/types/_actors.html names who).
    group_window: timedelta = timedelta(hours=24)
    #: Notifications of this type a user may get, e.g. "3/minute", on top of the per-user
    #: TOCSIN_RATE_LIMIT (`limits` syntax; None = only that one). Past it they are stored
    #: and counted but held, and collapse into one summary toast when the window ends.
    rate_limit: str | None = None
    #: Its escalation beyond the open tab (escalation.py): one chain, a chain per
    #: priority, or None for the defaults by priority.
    escalation: Mapping[str, Chain] | Chain | None = None
    #: How long a notification stays unread before its email; None: TOCSIN_EMAIL_DELAY.
    email_delay: timedelta | None = None

    def __post_init__(self) -> None:
        if self.rate_limit:
            ratelimit.parse(self.rate_limit, f"type {self.name!r}: rate_limit")

    @property
    def text_template(self) -> str:
        return self.template or f"tocsin/types/{self.name}.html"

    def action(self, name: str) -> Action | None:
        """Return the declared action called `name`, or None."""
        return next((a for a in self.actions if a.name == name), None)


FRIEND_REQUEST_ACTIONS = (
    Action("accept", N_("Accept"), style="primary", outcome=N_("Accepted")),
    Action("decline", N_("Decline"), outcome=N_("Declined")),
)

ALL_CHANNELS = ("toast", "browser", "push", "email")
DIRECT = ("toast", "browser", "push")

NOTIFICATION_TYPES: dict[str, NotificationType] = {
    t.name: t
    for t in (
        NotificationType("comment", "comment", N_("Comment")),
        NotificationType("mention", "mention", N_("Mention"), channels=DIRECT),
        NotificationType("like", "like", N_("Like"), "low", channels=("toast",)),
        NotificationType("follow", "follow", N_("New follower"), "low", channels=("toast",)),
        NotificationType("message", "message", N_("Message"), channels=DIRECT),
        NotificationType(
            "friend_request",
            "follow",
            N_("Friend request"),
            actions=FRIEND_REQUEST_ACTIONS,
            channels=("toast", "browser", "email"),
        ),
        NotificationType("order", "order", N_("Order"), channels=("toast", "email")),
        NotificationType("payment", "payment", N_("Payment"), "high", channels=("toast", "email")),
        NotificationType("system", "system", N_("System"), channels=("toast",)),
        NotificationType(
            "security", "security", N_("Security"), "urgent", channels=ALL_CHANNELS, critical=True
        ),
    )
}


class TypeCatalog:
    """The types one app knows: the built-ins, with the host's added or overriding them."""

    def __init__(self, types: Iterable[NotificationType] = ()) -> None:
        self._types = dict(NOTIFICATION_TYPES)
        for type_ in types:
            self.add(type_)

    def add(self, type_: NotificationType) -> None:
        """Add a type, or replace the one of the same name."""
        if not NAME_RE.fullmatch(type_.name):
            raise ValueError(f"type name {type_.name!r}: use a-z, 0-9 and _, at most 40")
        self._types[type_.name] = type_

    def route_actions(self, name: str, endpoint: str) -> None:
        """Send the actions of type `name` to the Flask endpoint `endpoint`."""
        self._types[name] = replace(self._types[name], action_endpoint=endpoint)

    def get(self, name: str) -> NotificationType:
        """Return the type, or a generic look for a retired one (its rows still render)."""
        generic = NotificationType(name, "system", name.replace("_", " ").capitalize())
        return self._types.get(name) or generic

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._types))


def catalog(app: Flask | None = None) -> TypeCatalog:
    """Return the app's catalog (the current app's by default; the built-ins outside one)."""
    if app is not None:
        return state.of(app).types
    if has_app_context() and state.installed(current_app):
        return state.current().types
    return TypeCatalog()


def type_info(name: str) -> NotificationType:
    """Return the type's description, falling back to a generic one for retired types."""
    return catalog().get(name)
