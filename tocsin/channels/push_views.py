"""Web Push routes: the service worker, subscribe and unsubscribe, and the click's landing.

A click on a push opens GET /notifications/push/open/<id>: a page whose form (submitted
by tocsin-push.js at once, or by the user without JavaScript) POSTs with the session's
CSRF token to mark it read and 303s to its link. The service worker has no CSRF token
and a state change over GET would be one a cross-site link could make, so it does neither.
"""

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import bodies, unavailable
from ..analytics import track
from ..config import PACKAGE
from ..extensions import store
from ..models import MAX_ID, PushSubscription
from ..notifications import queries, service
from ..notifications.links import safe_link
from ..notifications.responses import database_error, is_htmx
from . import push_hosts, push_subscriptions, vapid

bp = Blueprint("tocsin_push", __name__, template_folder=str(PACKAGE / "templates"))

for _error in unavailable.DATABASE_ERRORS:
    bp.register_error_handler(_error, database_error)


@bp.get("/sw.js")
def service_worker():
    """Serve the service worker; no login, so a logged-out browser can still update it."""
    response = send_from_directory(PACKAGE / "static" / "tocsin", "sw.js", max_age=0)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/push/subscribe")
@login_required
def subscribe():
    """Store this device's subscription (JSON from tocsin-push.js); answer the device list."""
    allowed = push_hosts.allowed_hosts(current_app.config["TOCSIN_PUSH_ALLOWED_HOSTS"])
    try:
        sub = push_subscriptions.parse(request.get_json(silent=True), allowed)
    except push_subscriptions.InvalidSubscription as exc:
        return jsonify(error=str(exc)), 400
    label = push_subscriptions.label_from(request.headers.get("User-Agent", ""))
    login_id = session.get("sid")
    push_subscriptions.subscribe(store.session, current_user.id, sub, label, login_id)
    return render_template("tocsin/_prefs_push.html"), 201


@bp.post("/push/unsubscribe")
@login_required
def unsubscribe():
    """Remove a device: `id` from its Remove button, or `endpoint` (JSON) from the device."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(data, dict):  # a form's MultiDict is one too
        data = {}
    raw_id, endpoint = data.get("id"), data.get("endpoint")
    if raw_id is not None:
        if not str(raw_id).isdigit() or int(raw_id) > MAX_ID:
            abort(400, description=_("id must be a subscription id"))
        found = push_subscriptions.unsubscribe(
            store.session, current_user.id, subscription_id=int(raw_id)
        )
    elif isinstance(endpoint, str) and len(endpoint) <= push_hosts.ENDPOINT_MAX:
        found = push_subscriptions.unsubscribe(store.session, current_user.id, endpoint=endpoint)
    else:
        abort(400, description=_("send the id or the endpoint of the subscription"))
    if not found:
        abort(404, description=_("No such device."))
    if request.is_json:
        return "", 204
    if is_htmx():
        return render_template("tocsin/_prefs_push.html")
    return redirect(url_for("tocsin.preferences"), 303)


@bp.route(f"/push/open/<int(max={MAX_ID}):notification_id>", methods=["GET", "POST"])
@login_required
def open_notification(notification_id: int):
    """GET: the page a push's click (or an email's link, `via=email`) lands on; POST: mark
    it read, count the click on its channel and go to its link."""
    via = "email" if request.values.get("via") == "email" else "push"
    if request.method == "GET":
        notification = queries.get(store.session, current_user.id, notification_id)
        if notification is None:
            abort(404, description=_("No such notification."))
        return render_template("tocsin/push_open.html", notification=notification, via=via)
    try:
        notification = service.mark_read(store.session, current_user.id, notification_id)
    except service.NotificationNotFound:
        abort(404, description=_("No such notification."))
    track.record("clicked", [notification], channel=via)
    return redirect(safe_link(notification.url) or url_for("tocsin.inbox"), 303)


def devices() -> list[PushSubscription]:
    """Return the logged-in user's push devices, for _prefs_push.html."""
    return push_subscriptions.of_user(store.session, current_user.id)


def public_key() -> str:
    """Return the VAPID public key browsers subscribe with, for _prefs_push.html."""
    return vapid.public_key(current_app._get_current_object())  # type: ignore[attr-defined]


def init_app(app: Flask, prefix: str) -> None:
    """Register the routes under `prefix` and the globals the device list reads."""
    app.register_blueprint(bp, url_prefix=prefix)
    bodies.cover(app, [bp.name], "TOCSIN_PUSH_MAX_BODY")
    app.add_template_global(devices, "tocsin_push_devices")
    app.add_template_global(public_key, "tocsin_vapid_public_key")
