"""The policy asked again when a delivery is due, not only when it was published.

An email due fifteen minutes after its publish may fall into quiet hours that began
since, or the user may have muted the type meanwhile. Before a channel sends, the
user's preferences are read with the clock of the send: a mute now skips the delivery;
quiet hours or a snooze now defer it to when they end (no attempt used), and it goes
out then if still unread. Critical types go out regardless, and urgent ones come through
a pause when the user lets them, as at publish (notifications/policy.py).
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..models import Delivery, Notification
from ..notifications import preferences, schedule
from ..notifications.policy import PAUSABLE
from ..notifications.preferences import Preferences
from ..notifications.types import catalog
from .outcomes import Defer, Skip

#: A snooze "until I resume" has no end: look again after this long.
OPEN_ENDED = timedelta(minutes=15)


def check(session: Session, delivery: Delivery, notification: Notification, now: datetime) -> None:
    """Return if the delivery may go out now; raise Skip (muted) or Defer (paused)."""
    type_ = catalog().get(notification.type)
    if type_.critical:
        return
    prefs = preferences.load(session, delivery.user_id)
    if not prefs.wants(type_, delivery.channel):
        raise Skip(f"{delivery.channel} muted for {type_.name} since the publish")
    if delivery.channel not in PAUSABLE or prefs.paused(now) is None:
        return
    if notification.priority == "urgent" and prefs.urgent_through:
        return
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
