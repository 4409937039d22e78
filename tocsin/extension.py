"""Register Tocsin on a Flask app: the standalone demo, or a host app that embeds it.

    tocsin = Tocsin()
    tocsin.init_app(app, directory=ModelDirectory(User, name="email"),
                    types=[NotificationType("invoice", "order", "Invoice", "high")],
                    action_endpoints={"friend_request": "friends.answer"})

Tocsin runs on the app's Flask-SQLAlchemy instance if it has one (else its own), on
the app's Flask-Login users (recipient id = ``current_user.id``), and adds its
partials, routes, WebSocket, broker and ``flask tocsin`` commands.
"""

from flask import Blueprint, Flask
from flask_login import user_loaded_from_cookie, user_logged_in, user_logged_out

from . import api, bodies, broker, cli, database, headers, limits, login_session
from .config import PACKAGE, Config
from .extensions import csrf, db, sock
from .live import deflate, ws
from .models import User
from .notifications import jinja, views
from .notifications.channels import Channel, LiveChannel
from .notifications.policy import Policy, Rule
from .notifications.types import NotificationType, TypeCatalog
from .recipients import ModelDirectory

#: Tocsin's own CSS, JS, icons and vendored htmx, at a path no host app uses.
assets = Blueprint(
    "tocsin_assets",
    __name__,
    static_folder=str(PACKAGE / "static"),
    static_url_path="/tocsin/static",
)


class Tocsin:
    """The Flask extension; one instance may serve several apps."""

    def __init__(self, app: Flask | None = None, **options) -> None:
        if app is not None:
            self.init_app(app, **options)

    def init_app(self, app: Flask, *, directory=None, types=(), action_endpoints=None,
                 rules=(), channels=None) -> None:
        """Set Tocsin up on `app`.

        `directory` maps publishers' user names to ids; `types` adds to or overrides the
        built-in notification types; `action_endpoints` maps a type's name to the endpoint
        its action buttons POST to; `rules` are the delivery policy's rules, in order;
        `channels` replace the default, the live channel to open tabs.
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
        app.extensions["tocsin"] = State(
            app.extensions["sqlalchemy"], directory, catalog, Policy(rules), channels
        )
        database.init_app(app)
        broker.init_app(app)
        jinja.init_app(app)
        # Logins are records on the server: started here, checked before anything else
        # reads current_user, ended by a logout (the host's too).
        user_logged_in.connect(login_session.on_login, app)
        user_loaded_from_cookie.connect(login_session.on_login, app)
        user_logged_out.connect(login_session.on_logout, app)
        app.before_request_funcs.setdefault(None, []).insert(0, login_session.check_login)
        limits.init_app(app)
        for blueprint in (assets, views.bp, ws.bp):
            app.register_blueprint(blueprint)
        api.init_app(app)
        bodies.cover(app, [views.bp.name, ws.bp.name])
        bodies.cover(app, [api.bp.name], "TOCSIN_API_MAX_BODY")
        limits.limit_api(app, api.bp.name)
        headers.init_app(app)
        app.cli.add_command(cli.tocsin)

    def register_type(self, app: Flask, type_: NotificationType) -> None:
        """Add a notification type to `app`, or override the one of the same name."""
        app.extensions["tocsin"].types.add(type_)

    def add_rule(self, app: Flask, rule: Rule) -> None:
        """Append a delivery-policy rule on `app`; earlier rules take precedence."""
        app.extensions["tocsin"].policy.add(rule)

    def add_channel(self, app: Flask, channel: Channel) -> None:
        """Deliver through one more channel on `app`."""
        app.extensions["tocsin"].channels.append(channel)


class State:
    """What Tocsin keeps per app: database, recipients, types, delivery policy and channels."""

    def __init__(self, db, directory, types: TypeCatalog, policy: Policy | None = None,
                 channels=None) -> None:
        self.db = db
        self.directory = directory
        self.types = types
        self.policy = policy or Policy()
        self.channels: list[Channel] = list(channels or [LiveChannel()])
