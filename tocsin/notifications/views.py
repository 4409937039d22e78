"""Notification routes: bell, panel, inbox page, mark read, mark all read."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, overload

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from .. import unavailable
from ..config import PACKAGE
from ..extensions import store
from ..models import MAX_ID
from . import queries, service
from .links import is_local_path, safe_link

#: Its templates folder makes "tocsin/_bell.html" includable from a host app.
bp = Blueprint(
    "tocsin",
    __name__,
    url_prefix="/notifications",
    template_folder=str(PACKAGE / "templates"),
)


@bp.before_request
@login_required
def require_login():
    """Every notification route needs a logged-in user."""


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@overload
def _int_arg(source, name: str, *, required: Literal[True]) -> int: ...
@overload
def _int_arg(source, name: str, *, required: bool = False) -> int | None: ...
def _int_arg(source, name: str, *, required: bool = False) -> int | None:
    raw = source.get(name)
    if raw in (None, "") and not required:
        return None
    if raw is None or not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        abort(400, description=f"{name} must be an integer from 0 to {MAX_ID}")
    return int(raw)


def _page(before: int | None):
    return queries.page(
        store.session, current_user.id, before, current_app.config["TOCSIN_PAGE_SIZE"]
    )


@bp.get("/bell")
def bell():
    return render_template("tocsin/_bell.html")


@bp.get("/panel")
def panel():
    before = _int_arg(request.args, "before")
    page = _page(before)
    if before is not None:
        return render_template("tocsin/_page.html", page=page)
    return render_template("tocsin/_panel.html", page=page, up_to=page.newest_id)


@bp.get("")
def inbox():
    before = _int_arg(request.args, "before")
    page = _page(before)
    return render_template(
        "tocsin/inbox.html", page=page, up_to=page.newest_id, before=before, bell_panel=False
    )


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
    body = current_app.jinja_env.get_template(name).render(retry_after=seconds, back=back_path())
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


for _error in unavailable.DATABASE_ERRORS:
    bp.register_error_handler(_error, database_error)


@bp.post(f"/<int(max={MAX_ID}):notification_id>/read")
def read(notification_id: int):
    try:
        notification = service.mark_read(store.session, current_user.id, notification_id)
    except service.NotificationNotFound:
        abort(404, description="No such notification.")
    # Checked again here: a row stored before links were checked must not redirect off-site.
    follow = request.form.get("follow") == "1" and safe_link(notification.url)
    if is_htmx():
        response = current_app.make_response(
            render_template("tocsin/_read.html", items=[notification])
        )
        if follow:
            response.headers["HX-Redirect"] = follow
        return response
    return redirect(follow, 303) if follow else redirect_back()


@bp.post("/read-all")
def read_all():
    up_to = _int_arg(request.form, "up_to", required=True)
    ids = service.mark_all_read(store.session, current_user.id, up_to)
    if is_htmx():
        newest = sorted(ids, reverse=True)[: service.READ_EVENT_MAX_IDS]
        items = queries.by_ids(store.session, current_user.id, newest)
        return render_template("tocsin/_read.html", items=items)
    return redirect_back()
