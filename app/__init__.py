"""The standalone Tocsin app: demo pages and login around the `tocsin` extension."""

from pathlib import Path

from flask import Flask

from tocsin import Tocsin, bodies, database, unavailable
from tocsin.config import Config
from tocsin.extensions import db, login_manager, migrate
from tocsin.notifications import responses
from tocsin.schema import MIGRATIONS

from . import auth, pages

#: The repository root: the standalone app's templates/ and static/ live here.
ROOT = Path(__file__).resolve().parent.parent


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
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    Tocsin(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    bodies.cover(app, [auth.bp.name, pages.bp.name])
    # The demo's own pages (/, /login) answer an outage like Tocsin's do: 503, not 500.
    for error in unavailable.DATABASE_ERRORS:
        app.register_error_handler(error, responses.database_error)
    return app
