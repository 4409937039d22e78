"""The policy asked again when a delivery is due, not only when it was published.

An email due fifteen minutes after its publish may fall into quiet hours that began
since, or the user may have muted the type meanwhile. Before any queued channel sends,
the delivery policy decides again with the user's preferences and the clock of the
send (its rules, the app's included; critical types go through, urgent ones through a
pause when the user lets them):
- skipped (a mute): the delivery is skipped;
- held by quiet hours or a snooze: an email waits for their end (no attempt used) and
  goes out then if still unread; an interrupting channel (push) is skipped instead, as a
  burst of stale pushes when quiet hours end would be noise (the catch-up summary toast
  tells the user what came meanwhile);
- held by an app's rule: skipped (that rule's holds are the app's to release).
"""

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.orm import Session

from .. import state as tocsin_state
from ..models import Delivery, Notification
from ..notifications import preferences, schedule
from ..notifications.built_in_rules import INTERRUPTING
from ..notifications.decisions import Decision
from ..notifications.decisions import Delivery as Question
from ..notifications.preferences import Preferences
from ..notifications.validation import NotificationInput
from .outcomes import Defer, Skip

#: A snooze "until I resume" has no end: look again after this long.
OPEN_ENDED = timedelta(minutes=15)


def check(session: Session, delivery: Delivery, notification: Notification, now: datetime) -> None:
    """Return if the delivery may go out now; raise Skip or Defer."""
    prefs = preferences.load(session, delivery.user_id)
    content = cast(NotificationInput, notification)  # the rules read its type and priority
    question = Question(delivery.user_id, delivery.channel, content, prefs, now)
    decision = tocsin_state.current().policy.decide(question)
    if decision is Decision.DELIVER:
        return
    if decision is not Decision.HOLD:
        raise Skip("muted")
    paused = prefs.paused(now)
    if paused is None or delivery.channel in INTERRUPTING:
        raise Skip(f"held ({paused or 'by a rule'}) when it fell due")
    raise Defer(pause_end(prefs, now))


def pause_end(prefs: Preferences, now: datetime) -> datetime:
    """When the pause holding deliveries back at `now` ends (then it is looked at again:
    a snooze may end inside quiet hours)."""
    ends = []
    if prefs.is_snoozed(now):
        ends.append(prefs.snooze_until or now + OPEN_ENDED)
    if prefs.quiet_start is not None and prefs.quiet_end is not None:
        window = schedule.window_around(now, prefs.quiet_start, prefs.quiet_end, prefs.tz)
        if window is not None:
            ends.append(window[1])
    return min(ends) if ends else now + OPEN_ENDED
