"""Register Tocsin on a Flask app: the standalone demo, or a host app that embeds it.

    tocsin = Tocsin()
    tocsin.init_app(app, directory=ModelDirectory(User, name="email"),
                    types=[NotificationType("invoice", "order", "Invoice", "high")],
                    action_endpoints={"friend_request": "friends.answer"})

Tocsin runs on the app's Flask-SQLAlchemy instance if it has one (else its own), on
the app's Flask-Login users (recipient id = ``current_user.id``), and adds its
partials, routes, WebSocket, broker and ``flask tocsin`` commands.
"""

import secrets
import time

from flask import Blueprint, Flask, session
from flask_login import user_logged_in, user_logged_out

from . import api, broker, cli, database, headers
from .config import ROOT, Config
from .extensions import csrf, db, sock
from .live import deflate, ws
from .models import User
from .notifications import jinja, views
from .notifications.types import NotificationType, TypeCatalog
from .recipients import ModelDirectory

#: Tocsin's own CSS, JS, icons and vendored htmx, at a path no host app uses.
assets = Blueprint(
    "tocsin_assets",
    __name__,
    static_folder=str(ROOT / "static"),
    static_url_path="/tocsin/static",
)


class Tocsin:
    """The Flask extension; one instance may serve several apps."""

    def __init__(self, app: Flask | None = None, **options) -> None:
        if app is not None:
            self.init_app(app, **options)

    def init_app(self, app: Flask, *, directory=None, types=(), action_endpoints=None) -> None:
        """Set Tocsin up on `app`.

        `directory` maps publishers' user names to ids; `types` adds to or overrides the
        built-in notification types; `action_endpoints` maps a type's name to the endpoint
        its action buttons POST to.
        """
        for key, value in Config.tocsin_defaults().items():
            app.config.setdefault(key, value)
        if "sqlalchemy" not in app.extensions:
            db.init_app(app)
        if "csrf" not in app.extensions:
            csrf.init_app(app)
        sock.init_app(app)
        deflate.install()
        directory = directory or ModelDirectory(User)
        catalog = TypeCatalog(types)
        for name, endpoint in (action_endpoints or {}).items():
            catalog.route_actions(name, endpoint)
        app.extensions["tocsin"] = State(app.extensions["sqlalchemy"], directory, catalog)
        database.init_app(app)
        broker.init_app(app)
        jinja.init_app(app)
        user_logged_in.connect(_on_login, app)
        user_logged_out.connect(_on_logout, app)
        for blueprint in (assets, views.bp, ws.bp):
            app.register_blueprint(blueprint)
        api.init_app(app)
        headers.init_app(app)
        app.cli.add_command(cli.tocsin)

    def register_type(self, app: Flask, type_: NotificationType) -> None:
        """Add a notification type to `app`, or override the one of the same name."""
        app.extensions["tocsin"].types.add(type_)


class State:
    """What Tocsin keeps per app: its database, recipient directory and type catalog."""

    def __init__(self, db, directory, types: TypeCatalog) -> None:
        self.db = db
        self.directory = directory
        self.types = types


def _on_login(app: Flask, user, **_) -> None:
    # A session id lets a logout close exactly this login's sockets, on every process.
    session["sid"] = secrets.token_hex(16)
    if session.permanent:
        session["exp"] = int(time.time() + app.permanent_session_lifetime.total_seconds())


def _on_logout(app: Flask, user, **_) -> None:
    sid = session.get("sid")
    if sid and user is not None:
        broker.publish(int(user.get_id()), {"kind": "logout", "session": sid})
