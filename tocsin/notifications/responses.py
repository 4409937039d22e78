"""What Tocsin's routes and a host's action handlers answer with: htmx or plain-form
responses, the way back after a form post, and the 503 for a database outage."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, current_app, make_response, redirect, request, url_for
from flask_babel import force_locale
from werkzeug.wrappers import Response

from .. import unavailable
from . import locales
from .links import is_local_path


def is_htmx() -> bool:
    """Tell whether htmx sent the request (else it is a plain form post or a link)."""
    return request.headers.get("HX-Request") == "true"


def back_path() -> str:
    """Return where a plain form post came from: its `next` field, the referrer or the inbox."""
    target = request.form.get("next")
    if not is_local_path(target):
        ref = request.referrer or ""
        host = request.host_url
        target = "/" + ref[len(host) :] if ref.startswith(host) else None
    return target if is_local_path(target) else url_for("tocsin.inbox")


def redirect_back() -> Response:
    """Redirect a plain form post back where it came from (303, so the browser GETs)."""
    return redirect(back_path(), 303)


def database_error(exc: Exception) -> Response:
    """Answer a locked or unreachable database with 503: an alert for htmx, else a page.

    Neither reads the database: it is what just failed. Not render_template() either: its
    context processors load current_user, which queries it again.
    """
    if not unavailable.is_outage(exc):
        raise exc  # a bug: Flask's 500
    unavailable.note(exc)
    seconds = unavailable.retry_after()
    name = "tocsin/_unavailable.html" if is_htmx() else "tocsin/unavailable.html"
    # The browser's language: the user's setting is in the database that just failed.
    language = locales.choose(
        None, request.headers.get("Accept-Language"), locales.languages(current_app.config)
    )
    with force_locale(language):
        template = current_app.jinja_env.get_template(name)
        body = template.render(retry_after=seconds, back=back_path())
    response = make_response(body, 503)
    response.headers["Retry-After"] = str(seconds)
    if is_htmx():
        response.headers["HX-Reswap"] = "none"  # only the alert, out of band; the rest stays
    return response


@contextmanager
def database_guard() -> Iterator[None]:
    """Turn a database outage inside a host's view (an action handler) into the same 503."""
    try:
        yield
    except unavailable.DATABASE_ERRORS as exc:
        if not unavailable.is_outage(exc):
            raise
        abort(database_error(exc))
