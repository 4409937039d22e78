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

from sqlalchemy.orm import Session

from ..models import utcnow
from . import preferences as prefs_
from .built_in_rules import BUILT_IN, FIRST, RateLimited
from .decisions import Decision, Delivery, Rule
from .preferences import DEFAULTS, Preferences
from .ratelimit import RateLimiter
from .types import catalog
from .validation import NotificationInput


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
        prefs: Mapping[int, Preferences] | None = None,
    ) -> Plan:
        """Return every recipient's decision on every channel.

        Preferences are read with one query per batch of recipients, and the built-in
        rules run once per distinct preferences: a fan-out to users who never changed
        theirs decides once per channel. `prefs`: the recipients' preferences, read
        already (those without a row left out).
        """
        now = now or utcnow()
        if prefs is None:
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
