"""The demo page that hosts the bell, and the health check."""

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import login_required

from . import broker
from .extensions import store

bp = Blueprint("pages", __name__)


@bp.get("/")
@login_required
def index():
    return render_template("pages/index.html")


@bp.get("/healthz")
def healthz():
    b = broker.current()
    try:
        store.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except Exception:
        database = "error"
    status = 200 if database == "ok" else 503
    return {"database": database, "broker": b.status(), "connections": b.registry.count()}, status
