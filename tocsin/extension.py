"""Register Tocsin on a Flask app: the standalone demo, or a host app that embeds it.

    tocsin = Tocsin()
    tocsin.init_app(app, directory=ModelDirectory(User, name="email"),
                    types=[NotificationType("invoice", "order", "Invoice", "high")],
                    action_endpoints={"friend_request": "friends.answer"})

Tocsin runs on the app's Flask-SQLAlchemy instance if it has one (else its own), on
the app's Flask-Login users (recipient id = ``current_user.id``), and adds its
partials, routes, WebSocket, broker and ``flask tocsin`` commands. It defines no users:
without a `directory`, recipients are user ids only.
"""

from flask import Blueprint, Flask
from flask_login import user_loaded_from_cookie, user_logged_in, user_logged_out
from huey import crontab

from . import (
    api,
    bodies,
    broker,
    cli,
    config,
    database,
    headers,
    i18n,
    limits,
    login_session,
    logs,
    metrics_views,
    state,
    template_imports,
)
from .analytics import flush as analytics_flush
from .analytics import views as analytics_views
from .analytics.recorder import Recorder
from .channels import digest, email_views, push_views, sweep
from .channels.consumer import Embedded
from .channels.email import EmailChannel
from .channels.presence_db import DatabasePresence
from .channels.presence_redis import RedisPresence
from .channels.push import PushChannel
from .channels.queue import Queue
from .config import PACKAGE
from .extensions import csrf, db, sock, store
from .live import deflate, stream, ws
from .live.registry import Registry
from .live.stencil import Stencils
from .notifications import jinja, views
from .notifications.channels import BrowserChannel, Channel, LiveChannel
from .notifications.decisions import Rule
from .notifications.policy import Policy
from .notifications.ratelimit import RateLimiter
from .notifications.sweeper import Sweeper
from .notifications.types import NotificationType, TypeCatalog
from .recipients import IdDirectory
from .state import State

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

    def init_app(
        self,
        app: Flask,
        *,
        directory=None,
        types=(),
        action_endpoints=None,
        url_prefix: str | None = None,
        api_prefix: str | None = None,
        http_api: bool | None = None,
        rules=(),
        channels=None,
    ) -> None:
        """Set Tocsin up on `app`.

        `directory` maps publishers' user names to ids (default: ids only); `types` adds
        to or overrides the built-in notification types; `action_endpoints` maps a type's
        name to the endpoint its action buttons POST to. `url_prefix`, `api_prefix` and
        `http_api` set TOCSIN_URL_PREFIX, TOCSIN_API_PREFIX and TOCSIN_HTTP_API; `rules` are
        the delivery policy's rules, in order; `channels` replace the default, the live
        channel to open tabs and the browser notifications it carries.
        """
        given = {"URL_PREFIX": url_prefix, "API_PREFIX": api_prefix, "HTTP_API": http_api}
        app.config.update({f"TOCSIN_{k}": v for k, v in given.items() if v is not None})
        config.init_app(app)
        if "sqlalchemy" not in app.extensions:
            database.engine_options(app)
            db.init_app(app)
        if "csrf" not in app.extensions:
            csrf.init_app(app)
        sock.init_app(app)
        deflate.install()
        directory = directory or IdDirectory()
        catalog = TypeCatalog(types)
        for name, endpoint in (action_endpoints or {}).items():
            catalog.route_actions(name, endpoint)
        # The data path, one way: publish -> broker -> this registry's sockets -> render.
        registry = Registry(app.config["TOCSIN_MAX_SOCKETS_PER_USER"])
        recorder = Recorder()
        app.extensions[state.KEY] = State(
            db=app.extensions["sqlalchemy"],
            directory=directory,
            types=catalog,
            registry=registry,
            broker=broker.create(app, registry.dispatch),
            stencils=Stencils(app),
            # A bad TOCSIN_RATE_LIMIT stops the app here, not at its first publish.
            policy=Policy(rules, RateLimiter.from_config(app.config)),
            channels=list(
                channels or [LiveChannel(), BrowserChannel(), PushChannel(), EmailChannel()]
            ),
            sweeper=Sweeper(
                app, app.config["TOCSIN_CATCHUP_INTERVAL"], app.config["TOCSIN_PRUNE_INTERVAL"]
            ),
            analytics=recorder,
        )
        app.extensions[state.KEY].analytics_flusher = analytics_flush.init_app(app, recorder)
        self._init_queue(app)
        app.extensions[state.KEY].presence = presence(app)
        database.init_app(app)
        jinja.init_app(app)
        template_imports.init_app(app)
        i18n.init_app(app)
        # Logins are records on the server: started here, checked before anything else
        # reads current_user, ended by a logout (the host's too).
        user_logged_in.connect(login_session.on_login, app)
        user_loaded_from_cookie.connect(login_session.on_login, app)
        user_logged_out.connect(login_session.on_logout, app)
        app.before_request_funcs.setdefault(None, []).insert(0, login_session.check_login)
        limits.init_app(app)
        app.register_blueprint(assets)
        prefix = app.config["TOCSIN_URL_PREFIX"]
        for blueprint in (views.bp, ws.bp):
            app.register_blueprint(blueprint, url_prefix=prefix)
        bodies.cover(app, [views.bp.name, ws.bp.name])
        stream.init_app(app, prefix)
        analytics_views.init_app(app, prefix)
        bodies.cover(app, [analytics_views.bp.name])
        limits.limit_per_user(app, "tocsin.seen_rows", "TOCSIN_SEEN_RATE_LIMIT")
        email_views.init_app(app, prefix)
        bodies.cover(app, [email_views.bp.name])
        push_views.init_app(app, prefix)
        if app.config["TOCSIN_HTTP_API"]:
            api.init_app(app, app.config["TOCSIN_API_PREFIX"])
            bodies.cover(app, [api.bp.name], "TOCSIN_API_MAX_BODY")
            limits.limit_api(app, api.bp.name)
        # GET /metrics, at the root (not under the prefix), where scrapers look for it.
        metrics_views.init_app(app)
        logs.init_app(app)
        headers.init_app(app)
        app.cli.add_command(cli.group())

    def _init_queue(self, app: Flask) -> None:
        """The job queue, its periodic sweep and digests and, if asked, a consumer in this
        process."""
        queue = state.of(app).queue = Queue(app)
        interval = app.config["TOCSIN_DELIVERY_SWEEP_INTERVAL"]
        if interval:
            queue.periodic(
                "tocsin.sweep_deliveries",
                sweep.every(interval),
                lambda: sweep.sweep(store.session, queue.enqueue),
            )
        # Digests fall due on the hour or at TOCSIN_DIGEST_TIME in each user's zone.
        queue.periodic(
            "tocsin.email_digest", crontab(minute="*"), lambda: digest.run_due(store.session)
        )
        if app.config["TOCSIN_EMBEDDED_WORKER"] and not queue.huey.immediate:
            embedded = state.of(app).embedded = Embedded(queue)
            embedded.init_app(app)

    def register_type(self, app: Flask, type_: NotificationType) -> None:
        """Add a notification type to `app`, or override the one of the same name."""
        state.of(app).types.add(type_)

    def add_rule(self, app: Flask, rule: Rule) -> None:
        """Append a delivery-policy rule on `app`; earlier rules take precedence."""
        state.of(app).policy.add(rule)

    def add_channel(self, app: Flask, channel: Channel) -> None:
        """Deliver through one more channel on `app`."""
        state.of(app).channels.append(channel)


def presence(app: Flask) -> RedisPresence | DatabasePresence:
    """Where `app`'s sockets report their tabs' visibility: Redis if set up, else the database."""
    ttl = app.config["TOCSIN_PRESENCE_TTL"]
    if app.config["TOCSIN_REDIS_URL"]:
        prefix = app.config["TOCSIN_REDIS_CHANNEL_PREFIX"]
        return RedisPresence(app.config["TOCSIN_REDIS_URL"], prefix, ttl)
    return DatabasePresence(ttl)


def registry_of(app: Flask) -> Registry | None:
    """Return the open sockets of `app` in this process; None if Tocsin is not on it."""
    return state.of(app).registry if state.installed(app) else None
