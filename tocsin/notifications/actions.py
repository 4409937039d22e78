"""Helpers for the host's action handlers: check the click, record the outcome, answer.

A type's action buttons POST to an endpoint the host registers
(``Tocsin(app, action_endpoints={"friend_request": "friends.answer"})``), built with the
URL values ``notification_id`` and ``action``. The handler does the app's part between
these two calls::

    @bp.post("/friend-requests/<int:notification_id>/<action>")
    @login_required
    def answer(notification_id: int, action: str):
        notification = actions.pending(notification_id, action)  # else 404, 400 or 409
        if action == "accept":
            befriend(current_user, notification.data["from_user_id"])  # same session
            notify(notification.actor, "follow", f"{current_user.name} accepted",
                   session=store.session)  # a reply in the same transaction
        return actions.done(notification, action)  # commits all; re-renders the item

A reply published with ``session=store.session`` goes through the same pipeline as any
notification; it is pushed once done() commits, and dropped if the action fails.
"""

from flask import abort, make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import store
from ..models import Notification
from . import queries, service
from .responses import database_guard, is_htmx, redirect_back
from .types import type_info


def pending(notification_id: int, action: str) -> Notification:
    """Return the user's notification still awaiting `action`; abort 404, 400 or 409."""
    with database_guard():
        notification = queries.get(store.session, current_user.id, notification_id)
    if notification is None:
        abort(404, description=_("No such notification."))
    if type_info(notification.type).action(action) is None:
        abort(
            400,
            description=_(
                "A %(type)s notification has no action %(action)s.",
                type=notification.type,
                action=repr(action),
            ),
        )
    if notification.acted_at is not None:
        abort(409, description=_("Already answered: %(outcome)s.", outcome=notification.outcome))
    return notification


def done(notification: Notification, action: str, outcome: str | None = None) -> Response:
    """Record the outcome and return the re-rendered item and badge (htmx) or a 303 back."""
    try:
        with database_guard():  # rolled back whole, the host's own change included
            service.resolve_action(store.session, current_user.id, notification.id, action, outcome)
    except service.NotificationNotFound:
        abort(404, description=_("No such notification."))
    except service.UnknownAction as exc:
        abort(400, description=str(exc))
    except service.ActionAlreadyTaken:
        abort(409, description=_("Already answered."))
    if is_htmx():
        with database_guard():  # the badge is read after the commit
            body = render_template("tocsin/_read.html", items=[notification])
        return make_response(body)
    return redirect_back()
