"""Notification routes: bell, panel, inbox page, mark read (more in *_views.py)."""

from typing import Literal, overload

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import unavailable
from ..analytics import track
from ..config import PACKAGE
from ..extensions import store
from ..models import MAX_ID
from . import inbox_query, preferences, preferences_views, queries, search, service, types
from .jinja import SEARCH_WORDS
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
        abort(
            400,
            description=_("%(name)s must be an integer from 0 to %(max)d", name=name, max=MAX_ID),
        )
    return int(raw)


def _page(before: int | None, state: queries.State | None = None):
    """Return a page of the panel's list. Listing stamps nothing: a row is seen once it was
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
        abort(400, description=_("state: the panel shows all (no state) or unread"))
    return "unread" if raw else None


@bp.get("")
def inbox():
    """The inbox: a state, types, words and a date range in any mix (inbox_query), paged
    by `before=`; a bad query is a 400 that says what is wrong."""
    known = types.catalog()
    try:
        query = inbox_query.parse(request.args, set(known))
    except inbox_query.InvalidQuery as exc:
        abort(400, description=str(exc))
    before = _int_arg(request.args, "before")
    session, uid = store.session, current_user.id
    zone = preferences.load(session, uid).tz
    size = current_app.config["TOCSIN_PAGE_SIZE"]
    page = search.find(session, uid, query, zone, before, size)
    html = render_template(
        "tocsin/inbox.html",
        page=page,
        up_to=page.newest_id,
        before=before,
        state=query.state,
        query=query,
        counts=search.tab_counts(session, uid, query, zone),
        known_types=[known.get(name) for name in known],
        **{SEARCH_WORDS: search.words(query.q)},
    )
    response = current_app.make_response(html)
    if is_htmx() and before is None:
        # The form sends its empty fields too: push the query's normalised URL instead.
        qs = query.query_string()
        response.headers["HX-Push-Url"] = url_for("tocsin.inbox") + (f"?{qs}" if qs else "")
    return response


@bp.get(f"/<int(max={MAX_ID}):notification_id>/group")
def group(notification_id: int):
    """Who and when in one of the user's grouped rows: a partial for htmx, else a page."""
    notification = queries.get(store.session, current_user.id, notification_id)
    if notification is None:
        abort(404, description=_("No such notification."))
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
        abort(404, description=_("No such notification."))
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
