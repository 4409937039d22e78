"""The seen route: the ids a page had on screen for a second (tocsin-seen.js), stamped seen.
Registered on the `tocsin` blueprint (views.py imports this module).

Another user's ids, and ids that are gone, are ignored rather than answered with 404: a
batch mixes rows, one deleted in another tab must not fail the rest, and the answer is
the same whether or not such a row exists, so it tells nothing about other users' rows.
"""

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import store
from ..models import MAX_ID
from . import seen
from .responses import is_htmx, redirect_back
from .views import bp

#: The header tocsin-seen.js sends with its fetch: answer 204 instead of a redirect.
SCRIPTED = "X-Tocsin-Seen"


@bp.post("/seen")
def seen_rows():
    ids = parse_ids(request.form.getlist("ids"))
    seen.mark_seen(store.session, current_user.id, ids)
    if is_htmx() or request.headers.get(SCRIPTED) == "1":
        return "", 204
    return redirect_back()


def parse_ids(raw: list[str]) -> list[int]:
    """The form's `ids`: 1 to seen.MAX_IDS integers (each also given as one comma-
    separated field); 400 with a message otherwise."""
    values = [part.strip() for field in raw for part in field.split(",")]
    if not values or values == [""]:
        abort(400, description=_("ids is missing: name the rows seen."))
    if len(values) > seen.MAX_IDS:
        abort(400, description=_("Too many ids: at most %(max)d per request.", max=seen.MAX_IDS))
    for value in values:
        if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
            abort(400, description=_("ids must be integers from 0 to %(max)d.", max=MAX_ID))
    return sorted({int(value) for value in values})
