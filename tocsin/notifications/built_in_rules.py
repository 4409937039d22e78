"""The rules every app gets around its own: critical first; after the app's rules, mutes,
low priority and pauses (quiet hours, snooze); last, the rate limit over a publish's
recipients together (policy.py says in what order they run)."""

from .decisions import Decision, Delivery, Rule
from .ratelimit import RateLimiter
from .types import NotificationType


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
