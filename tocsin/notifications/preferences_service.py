"""Change a user's preferences: write the row in one transaction, commit, then tell their tabs."""

import logging

from sqlalchemy.orm import Session

from . import catchup, preferences
from .pipeline import tell_prefs_changed
from .preferences import Preferences
from .preferences_form import Choice

log = logging.getLogger(__name__)


def save(session: Session, user_id: int, choice: Choice) -> Preferences:
    """Write the user's whole choice, commit, then publish "prefs" to the user's tabs."""
    try:
        row = preferences.row_for_update(session, user_id)
        # Kept: choices for types the catalog no longer has (a host may bring one back).
        # Dropped: anything stored for a critical type, which cannot be muted.
        channels = {
            name: dict(chosen)
            for name, chosen in (row.channels or {}).items()
            if name not in choice.critical
        }
        channels.update({name: dict(chosen) for name, chosen in choice.channels.items()})
        row.channels = channels  # a new dict: the JSON column sees the change
        row.timezone = choice.timezone
        row.quiet_start = choice.quiet_start
        row.quiet_end = choice.quiet_end
        row.sound = choice.sound
        row.urgent_through = choice.urgent_through
        row.digest = choice.digest
        row.locale = choice.locale
        tell_prefs_changed(session, [user_id])
        session.commit()
    except Exception:
        session.rollback()
        raise
    saved = preferences.from_row(row)
    # Quiet hours changed so that they are over: the catch-up at once, not at the next sweep.
    release_held(session, user_id)
    return saved


def release_held(session: Session, user_id: int) -> None:
    """Send the catch-up summary now if the user is no longer paused; the sweeper retries
    whatever fails here, so a failure is logged, not raised (the change is committed)."""
    try:
        catchup.release(session, user_id)
    except Exception:
        log.exception("catch-up for user %s failed; the sweeper will retry", user_id)


def set_first_timezone(session: Session, user_id: int, timezone: str) -> bool:
    """Set the user's timezone if they have none yet (the browser's, on a first visit).

    Return whether it was set; a timezone the user already has, chosen or not, stays.
    """
    try:
        row = preferences.row_for_update(session, user_id)
        if row.timezone is not None:
            session.rollback()
            return False
        row.timezone = timezone
        tell_prefs_changed(session, [user_id])
        session.commit()
    except Exception:
        session.rollback()
        raise
    return True
