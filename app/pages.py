"""The demo page that hosts the bell, the demo's friend-request answers, the health check
and the favicon."""

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, send_from_directory
from flask_login import login_required

from tocsin import state
from tocsin.extensions import store
from tocsin.models import MAX_ID
from tocsin.notifications import actions
from tocsin.notifications.types import catalog

bp = Blueprint("pages", __name__)

#: A week: the icon changes with a release, if ever; its ETag still revalidates it after.
FAVICON_MAX_AGE = 7 * 24 * 3600


@bp.record_once
def _route_friend_requests(state) -> None:
    # Here rather than in the factory: the demo's buttons and their handler stay together.
    catalog(state.app).route_actions("friend_request", "pages.answer_friend_request")


@bp.get("/")
@login_required
def index():
    return render_template("pages/index.html")


@bp.get("/favicon.ico")
def favicon():
    """Serve the bell icon where every browser asks for it, pages without a <link> too."""
    return send_from_directory(
        str(current_app.static_folder),
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=FAVICON_MAX_AGE,
    )


@bp.post(f"/friend-requests/<int(max={MAX_ID}):notification_id>/<action>")
@login_required
def answer_friend_request(notification_id: int, action: str):
    """Accept or decline a friend request (the demo has no friendships to record)."""
    notification = actions.pending(notification_id, action)
    return actions.done(notification, action)


@bp.get("/healthz")
def healthz():
    """Answer 200 ok or 503 error; the details only with TOCSIN_HEALTHZ_DETAILS=1.

    The broker's state and the number of open sockets tell an outsider how busy the
    server is and which services it uses; a load balancer needs only the status.
    """
    try:
        store.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except Exception:
        database = "error"
    status = 200 if database == "ok" else 503
    body: dict[str, object] = {"status": database}
    if current_app.config["TOCSIN_HEALTHZ_DETAILS"]:
        tocsin = state.current()
        body.update(
            database=database,
            broker=tocsin.broker.status(),
            connections=tocsin.registry.count(),
        )
    return body, status
