"""Snooze now: pause notifications for a while or until the user resumes, and show it.

While snoozed the policy's Paused rule holds toasts (critical types, and urgent if the
user lets it, still come through). Every change publishes {"kind": "prefs"} so that each
open tab re-renders the banner (live/push.py).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import cast

import sqlalchemy as sa
from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..models import Preference, utcnow
from . import pipeline, schedule
from .preferences import Preferences, row_for_update

#: The menu's choice "Until tomorrow 8:00", on the wall clock of the user's timezone.
MORNING = time(8, 0)
#: Longest pause by minutes (a week) and by date (a year): a later one is a typo.
MAX_MINUTES = 7 * 24 * 60
MAX_AHEAD = timedelta(days=365)


class BadSnooze(ValueError):
    """An end of a snooze that is in the past or too far ahead."""


def snooze(session: Session, user_id: int, until: datetime | None) -> None:
    """Pause the user's notifications until `until` (aware), or until they resume (None)."""
    now = utcnow()
    if until is not None:
        if until.tzinfo is None:
            raise BadSnooze("until needs a timezone")
        if until <= now:
            raise BadSnooze("until must be in the future")
        if until > now + MAX_AHEAD:
            raise BadSnooze("until must be within a year")
    try:
        row = row_for_update(session, user_id)
        row.snoozed_at = now
        row.snooze_until = until
        pipeline.tell_prefs_changed(session, [user_id])
        session.commit()
    except Exception:
        session.rollback()
        raise


def resume(session: Session, user_id: int) -> bool:
    """End the user's snooze; return whether they were snoozed (run out or not).

    The guarded UPDATE makes one caller the one that ended it, when a Resume click and
    the expiry sweep meet: that one owns the catch-up summary.
    """
    try:
        ended = cast(
            sa.CursorResult,
            session.execute(
                sa.update(Preference)
                .where(Preference.user_id == user_id, Preference.snoozed_at.is_not(None))
                .values(snoozed_at=None, snooze_until=None)
            ),
        ).rowcount
        # Even with nothing to end: a tab still showing a run-out snooze hides its banner.
        pipeline.tell_prefs_changed(session, [user_id])
        session.commit()
    except Exception:
        session.rollback()
        raise
    return bool(ended)


@dataclass(frozen=True)
class Banner:
    """What #notification-snooze shows: hidden, paused until a moment, or until resumed."""

    active: bool = False
    #: The end (UTC); None while active means until the user resumes.
    until: datetime | None = None
    #: The end on the user's wall clock: "14:30", "tomorrow 08:00" or "Mon 7 Dec 08:00".
    local: str = ""
    #: The user's timezone: the end's full date and zone in the banner's tooltip.
    zone: tzinfo = UTC


def banner(prefs: Preferences, now: datetime) -> Banner:
    """The banner for `prefs` at `now` (hidden once a snooze has run out)."""
    if not prefs.is_snoozed(now):
        return Banner()
    if prefs.snooze_until is None:
        return Banner(active=True)
    until = prefs.snooze_until
    return Banner(True, until, local_label(until, now, prefs), prefs.tz)


def local_label(when: datetime, now: datetime, prefs: Preferences) -> str:
    """`when` on the user's wall clock, with the day unless it is today."""
    tz = prefs.tz
    local, today = when.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return _("tomorrow %(time)s", time=local.strftime("%H:%M"))
    # Weekday and month in the reader's language ("Mo. 7. Dez."), the time as 24 h.
    return format_datetime(local, "EEE d MMM HH:mm", locale=get_locale() or "en")


def next_morning(prefs: Preferences, now: datetime) -> datetime:
    """The instant of "tomorrow 8:00" in the user's timezone (UTC without one)."""
    return schedule.next_morning(now, MORNING, prefs.tz)
