"""The email channel: a notification still unread after its type's delay is emailed once.

`stage` (QueuedChannel) writes a row per recipient the policy let through by email,
whose chain has an email step and who has an address, due after the step's delay
(TOCSIN_EMAIL_DELAY or the type's own). When it falls due, `attempt` asks again what may
have changed meanwhile: the address, a mute, quiet hours or a snooze (the policy's own
rules decide, as at publish; critical types go through). A read notification never
gets here (deliveries.py skips it). Users with a digest get normal-priority
notifications in the digest instead (digest.py).
"""

from datetime import datetime
from typing import cast

from sqlalchemy.orm import Session

from .. import state as tocsin_state
from ..models import Delivery, Notification, utcnow
from ..notifications import preferences, schedule
from ..notifications.policy import Decision
from ..notifications.policy import Delivery as PolicyDelivery
from ..notifications.preferences import Preferences
from ..notifications.validation import NotificationInput
from . import email_message, mailer
from .base import QueuedChannel, Retry, Skip


class EmailChannel(QueuedChannel):
    """Email a notification left unread, through SMTP (mailer.py)."""

    name = "email"

    def reachable(self, session: Session, user_ids: list[int]) -> list[int]:
        """Those of `user_ids` the directory has an address for."""
        addresses = tocsin_state.current().directory.emails(session, user_ids)
        return [uid for uid in user_ids if uid in addresses]

    def attempt(self, session: Session, delivery: Delivery, notification: Notification) -> None:
        """Email the notification, unless the user can no longer or should not now get it."""
        uid = delivery.user_id
        address = tocsin_state.current().directory.emails(session, [uid]).get(uid)
        if not address:
            raise Skip("no email address")
        now = utcnow()
        prefs = preferences.load(session, uid)
        content = cast(NotificationInput, notification)  # the rules read type and priority
        decision = tocsin_state.current().policy.decide(
            PolicyDelivery(uid, self.name, content, prefs, now)
        )
        if decision is Decision.SKIP:
            raise Skip("muted")
        if decision is not Decision.DELIVER:
            resume = resumes_at(prefs, now)
            if resume is None and prefs.paused(now) == "snooze":
                raise Skip("snoozed until the user resumes")
            wait = (resume - now).total_seconds() if resume is not None else None
            raise Retry(f"held ({prefs.paused(now) or 'a rule'})", after=wait)
        message = email_message.for_notification(notification, address)
        mailer.send(message, f"delivery-{delivery.id}")


def resumes_at(prefs: Preferences, now: datetime) -> datetime | None:
    """When the user's snooze or quiet hours end; None if neither holds (or no end is set)."""
    paused = prefs.paused(now)
    if paused == "snooze":
        return prefs.snooze_until
    if paused == "quiet" and prefs.quiet_start is not None and prefs.quiet_end is not None:
        window = schedule.window_around(now, prefs.quiet_start, prefs.quiet_end, prefs.tz)
        return window[1] if window is not None else None
    return None
