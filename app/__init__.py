"""Tocsin: a server-rendered live notification center for Flask."""

from flask import Flask

from . import auth, bodies, database, pages, unavailable
from .config import ROOT, Config
from .extension import Tocsin
from .extensions import db, login_manager, migrate
from .notifications import views as notification_views
from .notifications.publish import notify, notify_many
from .notifications.validation import InvalidNotification
from .recipients import ModelDirectory

__all__ = ["InvalidNotification", "ModelDirectory", "Tocsin", "create_app", "notify", "notify_many"]


def create_app(test_config: dict | None = None) -> Flask:
    """Create the standalone Tocsin app: the demo pages and login around the extension."""
    app = Flask(
        __name__,
        instance_path=str(Config.instance_path(ROOT)),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config())
    app.config["TOCSIN_LAYOUT"] = "base.html"  # the demo's page, with its navigation
    # The demo owns every page, so every response gets the security headers.
    app.config["TOCSIN_SECURITY_HEADERS"] = app.config["TOCSIN_SECURITY_HEADERS"] or "all"
    if test_config:
        app.config.update(test_config)
    database.configure(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    Tocsin(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    bodies.cover(app, [auth.bp.name, pages.bp.name])
    # The demo's own pages (/, /login) answer an outage like Tocsin's do: 503, not 500.
    for error in unavailable.DATABASE_ERRORS:
        app.register_error_handler(error, notification_views.database_error)
    return app
