"""Notification routes: bell, panel, inbox page, mark read (more in *_views.py)."""

from typing import Literal, overload

from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask_login import current_user, login_required

from .. import unavailable
from ..analytics import track
from ..config import PACKAGE
from ..extensions import store
from ..models import MAX_ID
from . import preferences_views, queries, service
from .links import safe_link
from .responses import database_error, is_htmx, redirect_back

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


def _state_arg(args) -> queries.State | None:
    """The inbox's `state`: unread, read or archived; missing or empty = every non-archived row."""
    raw = args.get("state")
    if raw in (None, ""):
        return None
    for state in queries.STATES:
        if raw == state:
            return state
    abort(400, description="state must be one of: " + ", ".join(queries.STATES))


def _page(before: int | None, state: queries.State | None = None):
    """Return a page of the user's list. Listing stamps nothing: a row is seen once it was
    on screen for a second (tocsin-seen.js posts it, seen_views.py)."""
    return queries.page(
        store.session, current_user.id, before, current_app.config["TOCSIN_PAGE_SIZE"], state
    )


@bp.get("/bell")
def bell():
    return render_template("tocsin/_bell.html")


@bp.get("/panel")
def panel():
    """The panel, on its All tab or (`state=unread`) its Unread tab; with `before`, a page."""
    before = _int_arg(request.args, "before")
    state = _panel_state(request.args)
    page = _page(before, state)
    if before is not None:
        return render_template("tocsin/_page.html", page=page, state=state)
    return render_template("tocsin/_panel.html", page=page, up_to=page.newest_id, state=state)


def _panel_state(args) -> Literal["unread"] | None:
    """The panel's tab: None (All) or "unread"; 400 for anything else."""
    raw = args.get("state") or None
    if raw not in (None, "unread"):
        abort(400, description="state: the panel shows all (no state) or unread")
    return "unread" if raw else None


@bp.get("")
def inbox():
    state = _state_arg(request.args)
    before = _int_arg(request.args, "before")
    page = _page(before, state)
    return render_template(
        "tocsin/inbox.html", page=page, up_to=page.newest_id, before=before, state=state
    )


@bp.get(f"/<int(max={MAX_ID}):notification_id>/group")
def group(notification_id: int):
    """Who and when in one of the user's grouped rows: a partial for htmx, else a page."""
    notification = queries.get(store.session, current_user.id, notification_id)
    if notification is None:
        abort(404, description="No such notification.")
    members = queries.group_members(store.session, current_user.id, notification_id)
    name = "tocsin/_group_members.html" if is_htmx() else "tocsin/group.html"
    return render_template(name, n=notification, members=members)


preferences_views.register(bp)


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
    if request.form.get("follow") == "1":
        track.record("clicked", [notification])  # its link, from the panel, inbox or toast
    if is_htmx():
        response = current_app.make_response(
            render_template("tocsin/_read.html", items=[notification])
        )
        if follow:
            response.headers["HX-Redirect"] = follow
        return response
    return redirect(follow, 303) if follow else redirect_back()


# Register their routes on `bp`: snooze, seen, housekeeping (mark unread, archive,
# delete, bulk, undo, mark all read) and saved filters live in modules of their own.
from . import housekeeping_views, saved_filters_views, seen_views, snooze_views  # noqa: E402, F401
