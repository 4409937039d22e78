"""The email digest: on the user's schedule, one email listing their unread notifications
not yet emailed, each of which is then never emailed again.

Due times are on the user's wall clock (zoneinfo, DST-safe as quiet hours are): hourly at
the top of each local hour, daily at TOCSIN_DIGEST_TIME (08:00). A periodic task
(`run_due`, each minute) sends the digests due. A digest that falls in quiet hours or a
snooze waits until they end (then one digest covers the missed hours); nothing unread,
no email; types the user muted by email are left out (critical ones never are).

Exactly once with any number of workers: the user's digest is claimed by a guarded
UPDATE of `digest_sent_at` (only one transaction can move it from the value read), then
its notifications by delivery rows on "email": a new row held by this digest for those
without one, and a claim on the queued fallback rows of the others (a fallback already
being sent is left to it). After the send the new rows become "sent" and the fallback
rows "skipped" ("in the digest"); if the server asks to retry, every claim is let go and
the next run tries again. A crash mid-send leaves the rows' claims to run out, and the
sweep then emails those notifications one by one: late, never lost.
"""

import logging
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from .. import state as tocsin_state
from ..models import Notification, Preference, utcnow
from ..notifications import locales, preferences, schedule
from ..notifications.preferences import Preferences
from . import digest_rows, email_message, mailer
from .outcomes import Permanent, Retry

log = logging.getLogger(__name__)

#: Notifications a digest lists; more are counted ("and 12 more") and recorded too.
SHOWN = 50
PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}


def latest_slot(prefs: Preferences, now: datetime, daily_at: time) -> datetime | None:
    """The newest instant at or before `now` the user's digest was due; None if it is off."""
    tz = prefs.tz
    local = now.astimezone(tz)
    if prefs.digest == "hourly":
        slot = schedule.local_instant(local.date(), time(local.hour), tz)
        # A fall-back hour read the second time: its slot is the first reading, already due.
        return slot if slot <= now else slot - timedelta(hours=1)
    if prefs.digest == "daily":
        slot = schedule.local_instant(local.date(), daily_at, tz)
        return (
            slot
            if slot <= now
            else schedule.local_instant(local.date() - timedelta(days=1), daily_at, tz)
        )
    return None


def run_due(session: Session, now: datetime | None = None) -> int:
    """Send every digest due now; return how many went out."""
    now = now or utcnow()
    daily_at = schedule.parse_hhmm(current_app.config["TOCSIN_DIGEST_TIME"])
    # A slot is at least an hour after the previous one: a digest sent within the last
    # half hour is never due again yet, whatever the zone.
    recent = now - timedelta(minutes=30)
    stmt = sa.select(Preference).where(
        Preference.digest != "off",
        sa.or_(Preference.digest_sent_at.is_(None), Preference.digest_sent_at < recent),
    )
    due = []
    for row in session.scalars(stmt):
        prefs = preferences.from_row(row)
        slot = latest_slot(prefs, now, daily_at)
        # Never sent: the first digest is the first slot after the user chose one (the
        # row's last change), not at once.
        last = row.digest_sent_at or row.updated_at
        if slot is None or (last is not None and last >= slot):
            continue
        if prefs.paused(now):
            continue  # quiet hours or a snooze: the digest waits for them to end
        due.append((row.user_id, prefs, row.digest_sent_at, last))
    session.rollback()
    sent = 0
    for user_id, prefs, sent_at, since in due:
        try:
            sent += send(session, user_id, prefs, sent_at, now, since)
        except Exception:
            session.rollback()
            log.exception("digest for user %s failed; the next run retries", user_id)
    return sent


def send(
    session: Session,
    user_id: int,
    prefs: Preferences,
    last: datetime | None,
    now: datetime,
    since: datetime | None = None,
) -> bool:
    """Claim, build, send and record one user's digest (what came after `since`, by default
    the last digest); return whether an email went out. `last` is the digest_sent_at read."""
    if not digest_rows.claim(session, user_id, last, now):
        return False  # another worker has it
    address = tocsin_state.current().directory.emails(session, [user_id]).get(user_id)
    # A first digest covers its period at least, and since the user chose it.
    period = now - PERIODS.get(prefs.digest, PERIODS["daily"])
    since = min(since or last or period, last or period)
    taken = digest_rows.take(session, user_id, prefs, since, now) if address else None
    session.commit()
    if not taken or address is None:
        return False
    ids = sorted(taken)
    listed = session.scalars(
        sa.select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id.desc())
    ).all()
    shown = listed[:SHOWN]
    locale = locales.for_recipient(prefs.locale, current_app.config)
    message = email_message.for_digest(
        user_id, address, shown, len(ids) - len(shown), prefs.digest, locale, prefs.tz
    )
    try:
        mailer.send(message, f"digest-{user_id}-{now:%Y%m%dT%H%M%S}")
    except Retry as exc:
        digest_rows.release(session, user_id, taken, last, now)
        log.warning("digest for user %s: %s; the next run retries", user_id, exc)
        return False
    except Permanent as exc:
        digest_rows.record(session, taken, now, "dead", str(exc))
        log.warning("digest for user %s: %s", user_id, exc)
        return False
    digest_rows.record(session, taken, now, "sent", None)
    return True
