"""Which stored rows the built-in rules would toast now: for a snapshot's query of what a
page missed, and for one stored row (rules decided at publish time are not asked again)."""

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from ..models import utcnow
from .built_in_rules import BUILT_IN, FIRST
from .decisions import Content, Decision, Delivery
from .policy import Policy
from .preferences import Preferences
from .types import catalog
from .validation import NotificationInput


@dataclass(frozen=True)
class ToastScope:
    """Which stored rows the built-in rules would toast now, as a query can filter them."""

    #: Types whose toast the user turned off (never a critical one).
    muted: frozenset[str] = frozenset()
    #: While quiet hours or a snooze hold toasts back: the types that still toast
    #: (critical ones); None when nothing is held back.
    through: frozenset[str] | None = None
    #: While held back: whether urgent priority still toasts.
    urgent: bool = False


def toast_scope(prefs: Preferences, now: datetime | None = None) -> ToastScope:
    """The rows `toasts_now` would toast, for the snapshot's query: a summary of what a
    page missed must count only those, and a critical row beyond the first few must not
    be lost among held ones."""
    types = catalog()
    names = set(types) | set(prefs.channels)
    muted = frozenset(n for n in names if not prefs.wants(types.get(n), "toast"))
    if not prefs.paused(now or utcnow()):
        return ToastScope(muted)
    critical = frozenset(n for n in types if types.get(n).critical)
    return ToastScope(muted, critical, prefs.urgent_through)


def toasts_now(prefs: Preferences, content: Content, now: datetime | None = None) -> bool:
    """Whether the built-in rules would toast `content` now, for a row stored earlier (the
    snapshot's toasts for what a page missed); the app's rules decided at publish time."""
    delivery = Delivery(0, "toast", cast(NotificationInput, content), prefs, now or utcnow())
    return (Policy._first((FIRST, *BUILT_IN), delivery) or Decision.DELIVER) is Decision.DELIVER
