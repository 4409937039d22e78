"""The standalone Tocsin app: demo pages and login around the `tocsin` extension.

It uses Tocsin as a host app does: its own config, users, login and pages, then
`Tocsin.init_app` with a directory of its users.
"""

from pathlib import Path

from flask import Flask

from tocsin import ModelDirectory, Tocsin, bodies, database, unavailable
from tocsin.extensions import db, login_manager, migrate
from tocsin.notifications import responses
from tocsin.schema import MIGRATIONS

from . import auth, cli, pages
from .config import Config, instance_path
from .models import User

#: The repository root: the standalone app's templates/ and static/ live here.
ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create the standalone Tocsin app: the demo pages and login around the extension."""
    app = Flask(
        __name__,
        instance_path=str(instance_path(ROOT)),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config())
    if test_config:
        app.config.update(test_config)
    database.configure(app)
    database.engine_options(app)

    db.init_app(app)
    # `flask db ...` works on Tocsin's migrations (for Tocsin's developers); the app's
    # own run through `flask tocsin init` (app/schema.py).
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    Tocsin(app, directory=ModelDirectory(User, name="username", email="email", admin="admin"))
    cli.init_app(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    bodies.cover(app, [auth.bp.name, pages.bp.name])
    # The demo's own pages (/, /login) answer an outage like Tocsin's do: 503, not 500.
    for error in unavailable.DATABASE_ERRORS:
        app.register_error_handler(error, responses.database_error)
    return app
