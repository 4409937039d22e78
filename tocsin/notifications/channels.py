"""The pipeline's announce stage: one small class per delivery channel, as noticed has.

A channel's `send` runs after the rows are committed, with the policy's plan and each
recipient's notification id; by default it hands the recipients the policy let through
to `deliver`. It must not raise: the rows are the record, and a recipient who missed a
delivery still finds it in the inbox.
"""

from sqlalchemy.orm import Session

from .. import broker
from .decisions import Decision
from .policy import Plan
from .validation import NotificationInput

#: Priorities whose toast plays the sound (when the user has sound on).
SOUNDING = frozenset({"high", "urgent"})


class Channel:
    """A way to reach a user; `name` is what policy rules and preferences call it."""

    name = "abstract"
    #: Whether its held deliveries are recorded (store.hold) for a later release: the
    #: toast's are, as one catch-up summary; nothing releases the others' holds.
    keeps_holds = False

    def stage(
        self, session: Session, plan: Plan, by_user: dict[int, int], content: NotificationInput
    ) -> None:
        """Write what must survive a crash after the commit (a queued channel's delivery
        rows) in the publish's transaction, before it commits; most channels write nothing."""

    def send(self, plan: Plan, by_user: dict[int, int]) -> None:
        """Deliver to the recipients the policy let through on this channel; never raise."""
        self.deliver([(uid, by_user[uid]) for uid in plan.recipients(self.name)])

    def deliver(self, deliveries: list[tuple[int, int]]) -> None:
        """Deliver each (user id, notification id); never raise."""
        raise NotImplementedError


class LiveChannel(Channel):
    """The open tabs: a "created" event per recipient through the broker to their sockets,
    or "grouped" for a recipient whose open group the notification joined.

    Every recipient's tabs get the new row and badge, whatever the policy says: the inbox
    is the record. The policy decides the toast (the channel's name): a skipped or held
    one is sent with "quiet", and a toast of high or urgent priority with "sound" when the
    user has sound on and is neither snoozed nor in quiet hours. A toast the policy let
    through on "browser" too (BrowserChannel) is sent with "browser": a tab shows it as a
    browser notification when every tab is hidden (tocsin-browser.js).
    """

    name = "toast"
    keeps_holds = True

    def send(self, plan: Plan, by_user: dict[int, int]) -> None:
        """Publish the events; the broker never raises (Redis down loses no row)."""
        events = []
        for uid, nid in by_user.items():
            # A row that grew (grouping) is re-rendered and moved up, never added twice.
            event: dict = {"kind": "grouped" if uid in plan.grouped else "created", "ids": [nid]}
            if plan.decision(self.name, uid) is not Decision.DELIVER:
                event["quiet"] = True
            else:
                if self._sounds(plan, uid):
                    event["sound"] = True
                if self._browser(plan, uid):
                    event["browser"] = True
            events.append((uid, event))
        if events:
            broker.current().publish_many(events)

    def deliver(self, deliveries: list[tuple[int, int]]) -> None:
        """Toast each (user id, notification id), as `send` does for a plan with no rules."""
        if deliveries:
            broker.current().publish_many(
                [(uid, {"kind": "created", "ids": [nid]}) for uid, nid in deliveries]
            )

    @staticmethod
    def _browser(plan: Plan, uid: int) -> bool:
        # Only where BrowserChannel is installed: without it the plan has no decision.
        planned = BrowserChannel.name in plan.decisions
        return planned and plan.decision(BrowserChannel.name, uid) is Decision.DELIVER

    def _sounds(self, plan: Plan, uid: int) -> bool:
        if plan.priority not in SOUNDING:
            return False
        return plan.prefs_of(uid).sound and plan.paused_of(uid) is None


class BrowserChannel(Channel):
    """Browser notifications (the Notification API) in the user's tabs.

    They travel with the live channel's event, so this sends nothing: it is a channel so
    that the policy decides "browser" per recipient (preference, low priority, quiet
    hours, snooze, rate limit), and a host that leaves it out gets none.
    """

    name = "browser"

    def send(self, plan: Plan, by_user: dict[int, int]) -> None:
        """Nothing: LiveChannel.send marks the toast."""
