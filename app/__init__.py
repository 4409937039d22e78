"""Tocsin: a server-rendered live notification center for Flask."""

from pathlib import Path

from flask import Flask

from . import auth, broker, cli, database, pages
from .config import Config
from .extensions import csrf, db, login_manager, migrate, sock
from .live import ws
from .notifications import jinja, views

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the Tocsin application."""
    app = Flask(
        __name__,
        instance_path=str(Config.instance_path(ROOT)),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config())
    if test_config:
        app.config.update(test_config)
    database.configure(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    database.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    sock.init_app(app)
    broker.init_app(app)
    jinja.init_app(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(ws.bp)
    app.cli.add_command(cli.tocsin)
    return app
