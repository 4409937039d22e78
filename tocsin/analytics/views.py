"""The analytics routes: the admins' page and its CSV, and the toast-dismissed beacon.

GET  <prefix>/analytics              funnel table and daily charts (admins; others 404)
GET  <prefix>/analytics.csv          the same range as CSV (admins; others 404)
POST <prefix>/analytics/dismissed    `id`: a toast the user closed (tocsin-analytics.js)

Not an admin: 404, not 403, so the page's existence is not told to other users. Not
logged in: the login page, as every other page.
"""

from flask import Blueprint, Flask, Response, abort, render_template, request
from flask_login import current_user, login_required

from .. import state as tocsin_state
from ..extensions import store
from ..models import MAX_ID, utcnow
from ..notifications import queries as notification_queries
from ..notifications.responses import redirect_back
from . import chart, export, period, queries
from .recorder import EVENTS, LIVE

bp = Blueprint("tocsin_analytics", __name__)

#: Ids one dismissed beacon may name (a toast stack shows three at a time).
MAX_DISMISSED = 20


@bp.before_request
@login_required
def require_login():
    """Every analytics route needs a logged-in user."""


def is_admin() -> bool:
    """Whether the logged-in user may see the analytics (the template global too)."""
    if not current_user.is_authenticated:
        return False
    return tocsin_state.current().directory.is_admin(store.session, current_user.id)


def _admin_period() -> period.Period:
    if not is_admin():
        abort(404)
    try:
        return period.parse(request.args, utcnow().date())
    except period.InvalidPeriod as exc:
        abort(400, description=str(exc))


@bp.get("/analytics")
def page():
    if not is_admin():
        abort(404)
    try:
        chosen = period.parse(request.args, utcnow().date())
    except period.InvalidPeriod as exc:
        given = {k: request.args.get(k, "")[:10] for k in ("from", "to")}
        context: dict = {
            "period": None,
            "funnels": [],
            "charts": [],
            "events": EVENTS,
            "form": given,
        }
        return render_template("tocsin/analytics.html", **context, error=str(exc)), 400
    series = queries.daily(store.session, chosen)
    charts = [chart.build(event, chosen.days, values) for event, values in series.items()]
    funnels = queries.funnels(store.session, chosen)
    return render_template(
        "tocsin/analytics.html",
        period=chosen,
        funnels=funnels,
        charts=charts,
        events=EVENTS,
        error=None,
        form=chosen.query(),
    )


@bp.get("/analytics.csv")
def csv():
    chosen = _admin_period()
    name = f"tocsin-analytics-{chosen.start}-{chosen.end}.csv"
    return Response(
        export.render(store.session, chosen),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/analytics/dismissed")
def dismissed():
    """Count toasts the user closed: once per toast in this process (several tabs)."""
    raw = request.form.getlist("id")
    if not raw or len(raw) > MAX_DISMISSED:
        abort(400, description=f"send 1 to {MAX_DISMISSED} ids")
    if not all(r.isascii() and r.isdigit() and int(r) <= MAX_ID for r in raw):
        abort(400, description=f"an id is an integer from 0 to {MAX_ID}")
    rows = notification_queries.by_ids(store.session, current_user.id, {int(r) for r in raw})
    if not rows:
        abort(404, description="No such notification.")
    recorder = tocsin_state.current().analytics
    if recorder is not None:
        recorder.record_once("dismissed", LIVE, rows)
    return ("", 204) if request.form.get("beacon") == "1" else redirect_back()


def init_app(app: Flask, prefix: str) -> None:
    """Register the routes under `prefix` and the global the header's link reads."""
    app.register_blueprint(bp, url_prefix=prefix)
    app.add_template_global(is_admin, "tocsin_is_admin")
