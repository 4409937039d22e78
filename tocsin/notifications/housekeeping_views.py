"""Housekeeping routes: a row's mark unread, archive, unarchive and delete, mark all read,
the bulk form, and undo. Registered on the `tocsin` blueprint (views.py imports this module).

With htmx the answer is out of band: changed rows re-rendered, removed rows gone, rows
back in place, the badge, and a toast with the Undo button. A plain form gets a 303 back,
and the undo on offer is kept in the session for the next page's bell to show
(jinja.pending_undo), so it works without JavaScript as well.
"""

from flask import abort, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import store
from ..models import MAX_ID
from . import housekeeping, queries, undo
from .jinja import PENDING_UNDO, current_badge_count
from .responses import is_htmx, redirect_back
from .views import _int_arg, bp


@bp.post(f"/<int(max={MAX_ID}):notification_id>/unread")
def unread(notification_id: int):
    return _one(housekeeping.mark_unread, notification_id)


@bp.post(f"/<int(max={MAX_ID}):notification_id>/archive")
def archive(notification_id: int):
    return _one(housekeeping.archive, notification_id)


@bp.post(f"/<int(max={MAX_ID}):notification_id>/unarchive")
def unarchive(notification_id: int):
    return _one(housekeeping.unarchive, notification_id)


@bp.post(f"/<int(max={MAX_ID}):notification_id>/delete")
def delete(notification_id: int):
    return _one(housekeeping.delete, notification_id)


@bp.post("/read-all")
def read_all():
    up_to = _int_arg(request.form, "up_to", required=True)
    return answer(housekeeping.read_all(store.session, current_user.id, up_to))


@bp.post("/bulk")
def bulk():
    action = request.form.get("action", "")
    if action not in housekeeping.ACTIONS:
        abort(
            400,
            description=_(
                "action must be one of %(actions)s.", actions=", ".join(housekeeping.ACTIONS)
            ),
        )
    ids = _ids(request.form.getlist("ids"))
    return answer(housekeeping.apply(store.session, current_user.id, action, ids))


@bp.post("/undo", endpoint="undo")
def undo_action():
    token = request.form.get("token", "").strip()
    if not token:
        abort(400, description=_("token is missing: the Undo button posts it."))
    try:
        reverted = undo.revert(store.session, current_user.id, token)
    except undo.UndoNotFound:
        abort(404, description=_("Nothing to undo: no such undo."))
    except undo.UndoExpired:
        abort(410, description=_("Too late to undo: an undo lasts a few seconds."))
    except undo.UndoUsed:
        abort(409, description=_("Already undone."))
    if not is_htmx():
        return redirect_back()
    return _render(changed=reverted.unread, restored=reverted.restored)


def _one(action, notification_id: int):
    outcome = action(store.session, current_user.id, [notification_id])
    if not outcome.found:
        abort(404, description=_("No such notification."))
    return answer(outcome)


def _ids(raw: list[str]) -> list[int]:
    """The bulk form's ids: 1 to MAX_IDS integers, else 400."""
    if not raw:
        abort(400, description=_("ids: choose at least one notification."))
    if len(raw) > housekeeping.MAX_IDS:
        abort(400, description=_("ids: at most %(max)d at once.", max=housekeeping.MAX_IDS))
    if not all(r.isascii() and r.isdigit() and int(r) <= MAX_ID for r in raw):
        abort(400, description=_("ids must be integers from 0 to %(max)d.", max=MAX_ID))
    return [int(r) for r in raw]


def answer(outcome: housekeeping.Outcome):
    """The htmx answer to an action, or a 303 back keeping its undo for the next page."""
    if not is_htmx():
        if outcome.offer is not None:
            session[PENDING_UNDO] = outcome.offer.as_dict()
        return redirect_back()
    return _render(
        changed=outcome.changed,
        restored=outcome.restored,
        removed=outcome.removed,
        offer=outcome.offer,
    )


def _render(changed=(), restored=(), removed=(), offer=None):
    uid = current_user.id
    return render_template(
        "tocsin/_housekeeping.html",
        changed=queries.by_ids(store.session, uid, changed),
        restored=queries.by_ids(store.session, uid, restored),
        removed=removed,
        count=current_badge_count(),
        offer=offer,
    )
