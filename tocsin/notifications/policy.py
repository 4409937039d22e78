"""The pipeline's policy stage: per recipient and channel, deliver, hold, collapse or skip.

A rule is a small class with one method, registered on the extension::

    class QuietAtNight(Rule):
        def decide(self, delivery: Delivery) -> Decision | None:
            if delivery.channel == "live" and is_night_for(delivery.recipient):
                return Decision.HOLD
            return None  # no opinion: the next rule decides

    Tocsin(app, rules=[QuietAtNight()])

Rules run in order; the first that answers decides, and with no answer a delivery goes
out. The policy decides delivery only: every recipient's row is stored whatever it
says, because the inbox is the record and the badge counts every unread row.

Around the app's rules sit the built-in ones, which read the user's preferences
(loaded once per publish for all its recipients): a critical type is delivered before
any rule is asked; after the app's rules, a muted type/channel is skipped, low
priority is badge and list only, and quiet hours or a snooze hold a delivery (urgent
comes through while the user lets it). Last, `RateLimited` counts each recipient whose
toast is still going out against TOCSIN_RATE_LIMIT (and the type's `rate_limit`): one
over it has every delivery held with reason "rate", collapsed into one summary when the
window ends (catchup.py). It runs once per publish over all recipients, not per delivery,
so a fan-out counts everyone in one Redis pipeline.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, cast

from sqlalchemy.orm import Session

from ..models import utcnow
from . import preferences as prefs_
from .preferences import DEFAULTS, Preferences
from .ratelimit import RateLimiter
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


class Critical(Rule):
    """A critical type goes out on every channel, whatever the preferences or rules say."""

    def decide(self, delivery: Delivery) -> Decision | None:
        return Decision.DELIVER if delivery.type.critical else None


class Muted(Rule):
    """A type the user turned off on a channel is skipped there (the row is still stored)."""

    def decide(self, delivery: Delivery) -> Decision | None:
        return None if delivery.prefs.wants(delivery.type, delivery.channel) else Decision.SKIP


#: Channels that interrupt: low priority never does, and quiet hours hold them back.
INTERRUPTING = frozenset({"toast", "browser", "push"})
#: Channels decided per recipient but delivered inside another's message (a browser
#: notification rides on the toast's push, channels.py): a held one is not recorded for
#: release, as the catch-up's summary toast stands for it.
RIDERS = frozenset({"browser"})
#: What quiet hours and a snooze hold back: the interrupting channels and email.
PAUSABLE = INTERRUPTING | {"email"}


class LowPriority(Rule):
    """Low priority is badge and list only: no toast, browser notification or push."""

    def decide(self, delivery: Delivery) -> Decision | None:
        low = delivery.content.priority == "low" and delivery.channel in INTERRUPTING
        return Decision.SKIP if low else None


class Paused(Rule):
    """Quiet hours and a snooze hold deliveries back; urgent comes through if the user lets it."""

    def decide(self, delivery: Delivery) -> Decision | None:
        if delivery.channel not in PAUSABLE or not delivery.prefs.paused(delivery.now):
            return None
        if delivery.content.priority == "urgent" and delivery.prefs.urgent_through:
            return None
        return Decision.HOLD


class RateLimited:
    """Past the rate limit, a recipient's deliveries are held (reason "rate"), not dropped.

    Not a per-delivery Rule: it counts each recipient once per publish (whatever the
    channels), for all recipients together, and only those whose toast is still going out
    (a muted, low-priority or paused toast does not use up the user's allowance).
    Critical types are exempt (`Policy.plan` never gets here for them).
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    def apply(
        self,
        decisions: dict[str, dict[int, Decision]],
        recipients: list[int],
        type_: NotificationType,
    ) -> dict[str, frozenset[int]]:
        """Turn the over-limit recipients' deliveries into holds; return them per channel."""
        toast = decisions.get("toast")
        if toast is not None:
            counted = [uid for uid in recipients if toast[uid] is Decision.DELIVER]
        else:  # a host without the live channel: whoever still gets anything
            counted = [
                uid
                for uid in recipients
                if any(d[uid] is Decision.DELIVER for d in decisions.values())
            ]
        over = self.limiter.over(counted, type_.name, type_.rate_limit)
        if not over:
            return {}
        held: dict[str, frozenset[int]] = {}
        for channel, out in decisions.items():
            now_held = frozenset(uid for uid in over if out[uid] is Decision.DELIVER)
            for uid in now_held:
                out[uid] = Decision.HOLD
            held[channel] = now_held
        return held


#: After the app's rules, in order. They read only the preferences, the content and the
#: clock, never the recipient: users with the same preferences get the same decision.
BUILT_IN: tuple[Rule, ...] = (Muted(), LowPriority(), Paused())
FIRST = Critical()


@dataclass(frozen=True)
class Plan:
    """What the policy decided: for each channel, each recipient's decision."""

    decisions: dict[str, dict[int, Decision]]
    #: The preferences of recipients that have a row; the rest have DEFAULTS.
    prefs: Mapping[int, Preferences] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)
    #: The notification's priority (the live channel's sound depends on it).
    priority: str = "normal"
    #: Per channel, the recipients the rate limit held (their held rows say "rate").
    rated: Mapping[str, frozenset[int]] = field(default_factory=dict)
    #: id(preferences) -> what `paused` said: once per distinct preferences, not per user.
    _paused: dict[int, str | None] = field(default_factory=dict, repr=False, compare=False)
    #: Recipients whose notification joined an open group (grouping.py) instead of a new row.
    grouped: frozenset[int] = frozenset()

    def recipients(self, channel: str, decision: Decision = Decision.DELIVER) -> list[int]:
        """Return the recipients with `decision` on `channel`, in recipient order."""
        return [uid for uid, d in self.decisions.get(channel, {}).items() if d is decision]

    def decision(self, channel: str, recipient: int) -> Decision:
        return self.decisions.get(channel, {}).get(recipient, Decision.DELIVER)

    def prefs_of(self, recipient: int) -> Preferences:
        return self.prefs.get(recipient, DEFAULTS)

    def paused_of(self, recipient: int) -> str | None:
        """ "snooze" or "quiet" if the recipient's deliveries are held back now, else None."""
        prefs = self.prefs_of(recipient)
        key = id(prefs)  # the Preferences are alive in self.prefs (or DEFAULTS): ids stay
        if key not in self._paused:
            self._paused[key] = prefs.paused(self.now)
        return self._paused[key]

    def hold_reason(self, channel: str, recipient: int) -> str:
        """Why a held delivery was held: "rate", "snooze", "quiet" or "rule" (an app's)."""
        if recipient in self.rated.get(channel, ()):
            return "rate"
        return self.paused_of(recipient) or "rule"


class Policy:
    """Run the critical check, the app's rules and the built-in ones over every delivery."""

    def __init__(self, rules: Sequence[Rule] = (), limiter: RateLimiter | None = None) -> None:
        #: The app's rules, in order (the built-in ones are not in this list).
        self.rules = list(rules)
        #: The rate limits, after every other rule; None: no limits.
        self.rate = RateLimited(limiter) if limiter is not None else None

    def add(self, rule: Rule) -> None:
        """Append a rule; earlier rules take precedence."""
        self.rules.append(rule)

    def plan(
        self,
        session: Session,
        recipients: list[int],
        channels: Sequence[str],
        content: NotificationInput,
        now: datetime | None = None,
    ) -> Plan:
        """Return every recipient's decision on every channel.

        Preferences are read with one query per batch of recipients, and the built-in
        rules run once per distinct preferences: a fan-out to users who never changed
        theirs decides once per channel.
        """
        now = now or utcnow()
        prefs = prefs_.load_many(session, recipients) if channels and recipients else {}
        type_ = catalog().get(content.type)
        decisions: dict[str, dict[int, Decision]] = {}
        for channel in channels:
            if type_.critical:
                decisions[channel] = dict.fromkeys(recipients, Decision.DELIVER)
                continue
            by_prefs: dict[int, Decision] = {}  # id(prefs) -> the built-in rules' decision
            out: dict[int, Decision] = {}
            for uid in recipients:
                p = prefs.get(uid, DEFAULTS)
                decided = None
                if self.rules:
                    decided = self._first(self.rules, Delivery(uid, channel, content, p, now))
                if decided is None:
                    decided = by_prefs.get(id(p))
                    if decided is None:
                        delivery = Delivery(uid, channel, content, p, now)
                        decided = self._first(BUILT_IN, delivery) or Decision.DELIVER
                        by_prefs[id(p)] = decided
                out[uid] = decided
            decisions[channel] = out
        rated = {}
        if self.rate is not None and not type_.critical and recipients:
            rated = self.rate.apply(decisions, recipients, type_)
        priority = content.priority or type_.default_priority
        return Plan(decisions, prefs, now, priority, rated)

    def decide(self, delivery: Delivery) -> Decision:
        """One delivery's decision, as `plan` would make it, the rate limits aside (they
        count a publish's recipients, and a question must not use up an allowance)."""
        decided = self._first((FIRST, *self.rules, *BUILT_IN), delivery)
        return decided or Decision.DELIVER

    @staticmethod
    def _first(rules: Sequence[Rule], delivery: Delivery) -> Decision | None:
        for rule in rules:
            decision = rule.decide(delivery)
            if decision is not None:
                return Decision(decision)
        return None


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
