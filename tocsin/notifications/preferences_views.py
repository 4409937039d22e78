"""The preferences page (GET|POST /notifications/preferences) and the browser's first timezone."""

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import store
from . import locales, preferences, preferences_form, preferences_service
from .preferences_form import InvalidPreferences, Values
from .responses import is_htmx, redirect_back
from .types import catalog


def register(bp: Blueprint) -> None:
    """Add the routes to Tocsin's blueprint (its login check and error handlers apply)."""
    bp.add_url_rule("/preferences", "preferences", page, methods=["GET", "POST"])
    bp.add_url_rule("/preferences/timezone", "preferences_timezone", timezone, methods=["POST"])


def page():
    """Show the form, or save it."""
    if request.method == "POST":
        return save()
    prefs = preferences.load(store.session, current_user.id)
    values = preferences_form.saved_values(prefs, catalog())
    return _render(values, saved=request.args.get("saved") == "1")


def save():
    """Save the whole form; 400 with the form and its message if it cannot be saved."""
    types = catalog()
    try:
        languages = locales.languages(current_app.config)
        choice = preferences_form.parse(request.form, types, languages)
    except InvalidPreferences as exc:
        return _render(preferences_form.posted_values(request.form, types), error=str(exc)), 400
    prefs = preferences_service.save(store.session, current_user.id, choice)
    refresh()  # the answer speaks the language just chosen
    if is_htmx():
        return _render(preferences_form.saved_values(prefs, types), saved=True)
    return redirect(url_for("tocsin.preferences", saved=1), 303)


def timezone() -> Response | tuple[str, int]:
    """Take the browser's timezone if the user has none yet (tocsin.js posts it once)."""
    try:
        name = preferences_form.parse_timezone(request.form.get("timezone", ""))
    except InvalidPreferences as exc:
        abort(400, description=str(exc))
    preferences_service.set_first_timezone(store.session, current_user.id, name)
    return ("", 204) if is_htmx() else redirect_back()


def _render(values: Values, saved: bool = False, error: str | None = None) -> str:
    # htmx swaps the form alone; a plain request (or a 400 without JS) gets the whole page.
    name = "tocsin/_preferences.html" if is_htmx() else "tocsin/preferences.html"
    return render_template(
        name,
        values=values,
        zones=preferences_form.zone_names(),
        languages=locales.languages(current_app.config),
        saved=saved,
        error=error,
    )
