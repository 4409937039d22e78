"""The policy's vocabulary: a delivery (one recipient on one channel), the decisions a rule
can make about it, and the Rule base class an app's rules extend (policy.py runs them)."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from ..models import utcnow
from .preferences import DEFAULTS, Preferences
from .types import NotificationType, catalog
from .validation import NotificationInput


class Decision(StrEnum):
    #: Send now, once the rows are committed.
    DELIVER = "deliver"
    #: Keep for later (quiet hours, digests): not sent now.
    HOLD = "hold"
    #: Fold into a delivery already made (grouping): not sent as a new one.
    COLLAPSE = "collapse"
    #: Never send on this channel (a mute); the row is still stored.
    SKIP = "skip"


class Content(Protocol):
    """What the built-in rules read of a notification: a NotificationInput or a stored row."""

    @property
    def type(self) -> str: ...
    @property
    def priority(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient on one channel, before anything is stored."""

    recipient: int
    channel: str
    #: A NotificationInput when publishing (the app's rules get every field).
    content: NotificationInput
    #: The recipient's preferences (DEFAULTS without a row).
    prefs: Preferences = DEFAULTS
    #: The publish's moment: every rule of one publish sees the same clock.
    now: datetime = field(default_factory=utcnow)

    @property
    def type(self) -> NotificationType:
        return catalog().get(self.content.type)


class Rule:
    """A policy rule: decide one delivery, or return None to leave it to the next rule."""

    def decide(self, delivery: Delivery) -> Decision | None:
        raise NotImplementedError
