"""Times in templates as their reader reads them: the user's timezone and language.

In a request of a logged-in user, the zone is the one stored in their preferences (UTC
until their browser tells it, tocsin.js). Anywhere else it is UTC: above all when
rendering as nobody (live/anonymous.py), so that a push rendered once for many users
never carries one user's zone (STYLE rule 13). Every time is a <time data-tocsin-time>
with its instant in UTC, which tocsin-time.js rewrites in the reader's zone and keeps
current; the text rendered here is what a page without JavaScript shows.
"""

from datetime import UTC, datetime, tzinfo

from babel import Locale
from flask import Flask, current_app, g, has_request_context
from flask_babel import get_locale, gettext
from flask_login import current_user

from ..extensions import store
from . import preferences
from .timefmt import full_time, isotime, relative_time

#: `g` keys: the zone and its stored name, read once per request (a list of 50 items).
_ZONE = "tocsin_viewer_zone"
_NAME = "tocsin_viewer_zone_name"
#: Until Flask-Babel is set up (or outside a request), times are told in English.
ENGLISH = Locale("en")


def viewer_zone() -> tzinfo:
    """The logged-in user's timezone in a request of theirs; UTC anywhere else."""
    _load()
    return g.get(_ZONE, UTC) if has_request_context() else UTC


def viewer_zone_name() -> str:
    """The logged-in user's stored IANA zone, "" if none (the bell's data-timezone)."""
    _load()
    return g.get(_NAME, "") if has_request_context() else ""


def _load() -> None:
    if not has_request_context() or _ZONE in g:
        return
    # A host without Flask-Login (types rendered in its tests) has no current_user.
    if not getattr(current_app, "login_manager", None) or not current_user.is_authenticated:
        # Remembered as well: a push rendered as nobody asks three times an item.
        setattr(g, _ZONE, UTC)
        setattr(g, _NAME, "")
        return
    prefs = preferences.load(store.session, current_user.id)
    setattr(g, _ZONE, prefs.tz)
    setattr(g, _NAME, prefs.timezone or "")


def viewer_locale() -> Locale:
    """The page's language as Flask-Babel picks it; English without Flask-Babel."""
    if "babel" not in current_app.extensions:
        return ENGLISH
    return get_locale() or ENGLISH


def relative(when: datetime) -> str:
    """`when` relative to now for the reader: "5 minutes ago", a date after a week."""
    if "babel" not in current_app.extensions:
        return relative_time(when, zone=viewer_zone())
    return relative_time(
        when, zone=viewer_zone(), locale=viewer_locale(), just_now=gettext("just now")
    )


def full(when: datetime, zone: tzinfo | None = None) -> str:
    """`when` in full with the zone's name, in `zone` (an email's) or the reader's."""
    return full_time(when, zone or viewer_zone(), viewer_locale())


def init_app(app: Flask) -> None:
    app.add_template_filter(relative, "relative_time")
    app.add_template_filter(full, "tocsin_full_time")
    app.add_template_filter(isotime, "isotime")
    app.add_template_global(viewer_zone_name, "tocsin_timezone")
