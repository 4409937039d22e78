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
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

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


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient on one channel, before anything is stored."""

    recipient: int
    channel: str
    content: NotificationInput


class Rule:
    """A policy rule: decide one delivery, or return None to leave it to the next rule."""

    def decide(self, delivery: Delivery) -> Decision | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Plan:
    """What the policy decided: for each channel, each recipient's decision."""

    decisions: dict[str, dict[int, Decision]]

    def recipients(self, channel: str, decision: Decision = Decision.DELIVER) -> list[int]:
        """Return the recipients with `decision` on `channel`, in recipient order."""
        return [uid for uid, d in self.decisions.get(channel, {}).items() if d is decision]


class Policy:
    """Run the app's rules over every recipient and channel."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self.rules = list(rules)

    def add(self, rule: Rule) -> None:
        """Append a rule; earlier rules take precedence."""
        self.rules.append(rule)

    def plan(
        self, recipients: list[int], channels: Sequence[str], content: NotificationInput
    ) -> Plan:
        """Return every recipient's decision on every channel."""
        decisions: dict[str, dict[int, Decision]] = {}
        for channel in channels:
            if not self.rules:  # the common case, kept cheap for a 10,000-user fan-out
                decisions[channel] = dict.fromkeys(recipients, Decision.DELIVER)
                continue
            decisions[channel] = {
                uid: self._decide(Delivery(uid, channel, content)) for uid in recipients
            }
        return Plan(decisions)

    def _decide(self, delivery: Delivery) -> Decision:
        for rule in self.rules:
            decision = rule.decide(delivery)
            if decision is not None:
                return Decision(decision)
        return Decision.DELIVER
