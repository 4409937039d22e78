"""Escalation chains: which channels beyond the open tab a notification goes on, and when.

A chain is a few steps, as PagerDuty routes an incident: each names a channel, how long
after the publish it fires and whether a visible tab (where the toast already shows)
makes it unnecessary. Every step is skipped once the notification is read, on any
device, and each goes out only where the policy let that channel through (preferences,
quiet hours, snooze, rate limits). The defaults, by priority:

- urgent: push at once unless a tab is visible; email after 5 minutes if still unread.
- high: push at once unless a tab is visible; email after the email delay if unread.
- normal: the same, but a user who chose a digest gets the email in the digest instead.
- low: nothing beyond the badge; unread low notifications appear in a digest.

A type may declare its own chain (`NotificationType.escalation`) and its own email delay
(`NotificationType.email_delay`, else TOCSIN_EMAIL_DELAY).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app


@dataclass(frozen=True)
class Step:
    """One step of a chain."""

    #: The channel's name: "push", "email" or a host's queued channel.
    channel: str
    #: How long after the publish; None: the type's email delay (TOCSIN_EMAIL_DELAY).
    after: timedelta | None = timedelta(0)
    #: Skip it when the user has a visible tab when it fires (the toast shows there).
    unless_visible: bool = False
    #: Skip it for a user whose digest is on: the digest carries it instead.
    unless_digest: bool = False


Chain = tuple[Step, ...]

PUSH_NOW = Step("push", timedelta(0), unless_visible=True)

#: The chains by priority for types that declare none.
DEFAULT_CHAINS: Mapping[str, Chain] = {
    "urgent": (PUSH_NOW, Step("email", timedelta(minutes=5))),
    "high": (PUSH_NOW, Step("email", None)),
    "normal": (PUSH_NOW, Step("email", None, unless_digest=True)),
    "low": (),
}


def chain(declared: Mapping[str, Chain] | Chain | None, priority: str) -> Chain:
    """The chain for a notification of `priority` whose type declared `declared`: a chain
    for every priority, one per priority (missing ones take the default), or none."""
    if declared is None:
        return DEFAULT_CHAINS.get(priority, ())
    if isinstance(declared, Mapping):
        return declared.get(priority, DEFAULT_CHAINS.get(priority, ()))
    return declared


def step_for(steps: Chain, channel: str) -> Step | None:
    """The chain's step on `channel` (the first, if it names it twice), or None."""
    return next((s for s in steps if s.channel == channel), None)


def step_of(
    channel: str, declared: Mapping[str, Chain] | Chain | None, priority: str
) -> Step | None:
    """The step on `channel` of the chain a type that declared `declared` has at `priority`."""
    return step_for(chain(declared, priority), channel)


def email_delay(declared: timedelta | None) -> timedelta:
    """A type's email delay: its own (`declared`), else TOCSIN_EMAIL_DELAY."""
    if declared is not None:
        return declared
    return timedelta(seconds=current_app.config["TOCSIN_EMAIL_DELAY"])


def delay(step: Step, email_delay: timedelta) -> timedelta:
    """How long after the publish `step` fires."""
    return email_delay if step.after is None else step.after
