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
from typing import cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import state as tocsin_state
from ..models import Delivery, Held, Notification, Preference, utcnow
from ..notifications import preferences, schedule
from ..notifications.preferences import Preferences
from ..notifications.types import catalog
from . import email_message, mailer
from .deliveries import LEASE, PENDING
from .outcomes import Permanent, Retry

log = logging.getLogger(__name__)

#: Notifications a digest lists; more are counted ("and 12 more") and recorded too.
SHOWN = 50
#: Notifications one digest takes at most; the rest wait for the next.
TAKEN = 500
PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
IN_THE_DIGEST = "in the digest"


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
    if not _claim(session, user_id, last, now):
        return False  # another worker has it
    address = tocsin_state.current().directory.emails(session, [user_id]).get(user_id)
    # A first digest covers its period at least, and since the user chose it.
    period = now - PERIODS.get(prefs.digest, PERIODS["daily"])
    since = min(since or last or period, last or period)
    taken = _take(session, user_id, prefs, since, now) if address else None
    session.commit()
    if not taken or address is None:
        return False
    ids = sorted(taken)
    listed = session.scalars(
        sa.select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id.desc())
    ).all()
    shown = listed[:SHOWN]
    message = email_message.for_digest(user_id, address, shown, len(ids) - len(shown), prefs.digest)
    try:
        mailer.send(message, f"digest-{user_id}-{now:%Y%m%dT%H%M%S}")
    except Retry as exc:
        _release(session, user_id, taken, last, now)
        log.warning("digest for user %s: %s; the next run retries", user_id, exc)
        return False
    except Permanent as exc:
        _record(session, taken, now, "dead", str(exc))
        log.warning("digest for user %s: %s", user_id, exc)
        return False
    _record(session, taken, now, "sent", None)
    return True


def _claim(session: Session, user_id: int, last: datetime | None, now: datetime) -> bool:
    was = Preference.digest_sent_at.is_(None) if last is None else Preference.digest_sent_at == last
    stmt = (
        sa.update(Preference)
        .where(Preference.user_id == user_id, Preference.digest != "off", was)
        # updated_at stays: it is when the user last chose (a first digest waits for it).
        .values(digest_sent_at=now, updated_at=Preference.updated_at)
    )
    won = cast(sa.CursorResult, session.execute(stmt)).rowcount == 1
    session.commit()
    return won


def _take(
    session: Session, user_id: int, prefs: Preferences, since: datetime, now: datetime
) -> dict[int, tuple[int, bool]]:
    """Claim the notifications the digest lists: {notification id: (delivery id, new row)}."""
    types = catalog()
    free = sa.or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
    stmt = (
        sa.select(Notification.id, Notification.type, Delivery.id)
        .outerjoin(
            Delivery,
            sa.and_(Delivery.notification_id == Notification.id, Delivery.channel == "email"),
        )
        .where(
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
            Notification.archived_at.is_(None),
            Notification.created_at >= since,  # the rows, not the time, exclude the sent
            sa.or_(Delivery.id.is_(None), sa.and_(Delivery.state.in_(PENDING), free)),
        )
        .order_by(Notification.id.desc())
        .limit(TAKEN)
    )
    rows = [r for r in session.execute(stmt) if prefs.wants(types.get(r[1]), "email")]
    until = now + LEASE
    taken: dict[int, tuple[int, bool]] = {}
    fallback = [delivery_id for _, _, delivery_id in rows if delivery_id is not None]
    if fallback:
        won = sa.update(Delivery).where(
            Delivery.id.in_(fallback), Delivery.state.in_(PENDING), free
        )
        for did, nid in session.execute(
            won.values(claimed_until=until).returning(Delivery.id, Delivery.notification_id)
        ):
            taken[nid] = (did, False)
    fresh = [
        {
            "notification_id": nid,
            "user_id": user_id,
            "channel": "email",
            "state": "queued",
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
            "due_at": now,
            "claimed_until": until,
        }
        for nid, _, delivery_id in rows
        if delivery_id is None
    ]
    if fresh:
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        stmt_in = insert(Delivery).values(fresh).on_conflict_do_nothing()
        for did, nid in session.execute(stmt_in.returning(Delivery.id, Delivery.notification_id)):
            taken[nid] = (did, True)
    return taken


def _record(
    session: Session, taken: dict[int, tuple[int, bool]], now: datetime, to: str, error: str | None
) -> None:
    new = [did for did, is_new in taken.values() if is_new]
    old = [did for did, is_new in taken.values() if not is_new]
    done = {"claimed_until": None, "updated_at": now}
    if new:
        values = {**done, "state": to, "last_error": error}
        if to == "sent":
            values["sent_at"] = utcnow()
        session.execute(sa.update(Delivery).where(Delivery.id.in_(new)).values(values))
    if old:
        state, reason = ("skipped", IN_THE_DIGEST) if to == "sent" else (to, error)
        values = {**done, "state": state, "last_error": reason}
        session.execute(sa.update(Delivery).where(Delivery.id.in_(old)).values(values))
    if to == "sent":
        # Emails quiet hours held back at publish wait for the digest (catchup.py): done.
        held = sa.delete(Held).where(Held.channel == "email", Held.notification_id.in_(list(taken)))
        session.execute(held)
    session.commit()


def _release(
    session: Session,
    user_id: int,
    taken: dict[int, tuple[int, bool]],
    last: datetime | None,
    now: datetime,
) -> None:
    new = [did for did, is_new in taken.values() if is_new]
    old = [did for did, is_new in taken.values() if not is_new]
    if new:
        session.execute(sa.delete(Delivery).where(Delivery.id.in_(new)))
    if old:
        session.execute(sa.update(Delivery).where(Delivery.id.in_(old)).values(claimed_until=None))
    session.execute(
        sa.update(Preference)
        .where(Preference.user_id == user_id, Preference.digest_sent_at == now)
        .values(digest_sent_at=last, updated_at=Preference.updated_at)
    )
    session.commit()
