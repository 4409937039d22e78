"""Saved filter routes: save the current inbox query under a name, rename, delete.
Registered on the `tocsin` blueprint (views.py imports this module).

With htmx each answers with the sidebar (_saved_filters.html) re-rendered, a refusal too
(4xx, the sidebar with its message: tocsin-filters.js swaps it in); a plain form gets a
303 back, or the 4xx page with the message. The sidebar reads the user's filters and
the page's query through two template globals, so the inbox route passes nothing.
"""

from urllib.parse import parse_qsl, urlsplit

from flask import abort, get_template_attribute, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from ..extensions import store
from ..models import MAX_ID
from . import inbox_query, saved_filters
from .inbox_query import InboxQuery, InvalidQuery
from .responses import is_htmx, redirect_back
from .types import catalog
from .views import bp

SIDEBAR = "tocsin/_saved_filters.html"
ONE = f"/filters/<int(max={MAX_ID}):filter_id>"


@bp.app_template_global("tocsin_saved_filters")
def current_filters() -> list:
    """Return the logged-in user's saved filters by name, for the inbox's sidebar."""
    return saved_filters.listing(store.session, current_user.id)


@bp.app_template_global("tocsin_inbox_query")
def current_query() -> InboxQuery:
    """Return the inbox query of this request's URL (an htmx post: of the page it came
    from); the plain inbox if it has none or a bad one (the inbox answered that 400)."""
    args = request.args
    if request.method == "POST" and is_htmx():
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        args = MultiDict(parse_qsl(page.query, keep_blank_values=True))
    try:
        return inbox_query.parse(args, set(catalog()))
    except InvalidQuery:
        return InboxQuery()


@bp.post("/filters")
def save_filter():
    try:
        query = inbox_query.parse(request.form, set(catalog()))
    except InvalidQuery as exc:
        return _refuse(400, str(exc), draft=request.form.get("name", ""))
    name = request.form.get("name", "")
    try:
        row = saved_filters.create(store.session, current_user.id, name, query)
    except saved_filters.BadFilter as exc:
        return _refuse(400, str(exc), draft=name)
    except saved_filters.FilterConflict as exc:
        return _refuse(409, str(exc), draft=name)
    return _answer(_("Saved “%(name)s”.", name=row.name), focus=f"link-{row.id}")


@bp.post(f"{ONE}/rename")
def rename_filter(filter_id: int):
    name = request.form.get("name", "")
    try:
        row = saved_filters.rename(store.session, current_user.id, filter_id, name)
    except saved_filters.FilterNotFound:
        abort(404, description=_("No such saved filter."))
    except saved_filters.BadFilter as exc:
        return _refuse(400, str(exc), editing=(filter_id, name))
    except saved_filters.FilterConflict as exc:
        return _refuse(409, str(exc), editing=(filter_id, name))
    return _answer(_("Renamed to “%(name)s”.", name=row.name), focus=f"link-{row.id}")


@bp.post(f"{ONE}/delete")
def delete_filter(filter_id: int):
    before = saved_filters.listing(store.session, current_user.id)
    try:
        row = saved_filters.delete(store.session, current_user.id, filter_id)
    except saved_filters.FilterNotFound:
        abort(404, description=_("No such saved filter."))
    return _answer(
        _("Deleted “%(name)s”.", name=row.name),
        focus=_next_focus([f.id for f in before], row.id),
    )


def _next_focus(ids: list[int], gone: int) -> str:
    """The filter that took the deleted one's place, else the one above, else the name field."""
    at = ids.index(gone)
    after, above = ids[at + 1 : at + 2], ids[max(at - 1, 0) : at]
    return f"link-{(after or above)[0]}" if after or above else "name"


def _sidebar(**ui) -> str:
    macro = get_template_attribute(SIDEBAR, "saved_filters")
    return macro(current_filters(), current_query(), generate_csrf(), open=True, **ui)


def _answer(status: str, focus: str):
    """The sidebar for htmx (the change said, focus placed); else 303 back."""
    if not is_htmx():
        return redirect_back()
    return _sidebar(status=status, focus=focus)


def _refuse(code: int, message: str, **ui):
    """The sidebar with the message and what was typed (htmx); else the 4xx page."""
    if not is_htmx():
        abort(code, description=message)
    return _sidebar(error=message, **ui), code
