"""Snooze routes: pause notifications (for minutes, until a moment, until resumed), resume."""

from datetime import UTC, datetime, timedelta

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import store
from ..models import utcnow
from . import preferences_service, snooze
from .responses import is_htmx, redirect_back
from .views import bp

#: The form's ways to say how long; a request names exactly one.
CHOICES = ("minutes", "until", "forever")


@bp.post("/snooze", endpoint="snooze")
def snooze_now():
    until = _until(request.form)
    try:
        snooze.snooze(store.session, current_user.id, until)
    except snooze.BadSnooze as exc:
        abort(400, description=str(exc))
    return _answer()


@bp.post("/snooze/clear")
def snooze_clear():
    if snooze.resume(store.session, current_user.id):
        # The catch-up of what the snooze held, now rather than at the next sweep.
        preferences_service.release_held(store.session, current_user.id)
    return _answer()


def _until(form) -> datetime | None:
    """The end the form asks for (None: until the user resumes); 400 unless exactly one way."""
    given = [name for name in CHOICES if form.get(name, "") != ""]
    if len(given) != 1:
        abort(400, description=_("Say how long to pause: one of minutes, until or forever=1."))
    raw = form[given[0]].strip()
    if given[0] == "forever":
        if raw != "1":
            abort(400, description=_("forever must be 1."))
        return None
    if given[0] == "minutes":
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= snooze.MAX_MINUTES:
            abort(
                400,
                description=_(
                    "minutes must be an integer from 1 to %(max)d.", max=snooze.MAX_MINUTES
                ),
            )
        return utcnow() + timedelta(minutes=int(raw))
    try:
        until = datetime.fromisoformat(raw)
        # Without an offset the time is UTC, as the contract says (not the server's zone).
        return until.replace(tzinfo=UTC) if until.tzinfo is None else until.astimezone(UTC)
    except (ValueError, OverflowError):  # year 9999 with a negative offset overflows
        abort(400, description=_("until must be a date and time in ISO 8601."))


def _answer():
    """The banner out of band for htmx (every other tab gets it pushed); else 303 back."""
    if not is_htmx():
        return redirect_back()
    return render_template("tocsin/_snooze_response.html")
