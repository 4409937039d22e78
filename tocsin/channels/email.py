"""The email channel: a notification still unread after its type's delay is emailed once.

`stage` (QueuedChannel) writes a row per recipient the policy let through by email,
whose chain has an email step and who has an address, due after the step's delay
(TOCSIN_EMAIL_DELAY or the type's own). When it falls due, the policy decides again
(recheck.py: a mute since skips it, quiet hours or a snooze defer it to their end) and
`attempt` looks the address up again. A read notification never gets here
(deliveries.py skips it). Users with a digest get normal-priority
notifications in the digest instead (digest.py).
"""

from flask import current_app
from sqlalchemy.orm import Session

from .. import state as tocsin_state
from ..models import Delivery, Notification
from ..notifications import locales, preferences
from . import email_message, mailer
from .base import QueuedChannel, Skip


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
        prefs = preferences.load(session, uid)
        # In the recipient's language (their setting: no request, no browser to ask), the
        # time on their clock.
        locale = locales.for_recipient(prefs.locale, current_app.config)
        message = email_message.for_notification(notification, address, locale, prefs.tz)
        mailer.send(message, f"delivery-{delivery.id}")
