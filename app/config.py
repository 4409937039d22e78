"""Settings read from TOCSIN_* environment variables; defaults give the embedded set-up."""

import os
from pathlib import Path

#: The repository root: templates/, static/ and migrations/ live here.
ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"TOCSIN_{name}", default)


class Config:
    """Read settings from the environment at instantiation, so tests can vary them."""

    @staticmethod
    def instance_path(root: Path) -> Path:
        """Return where the SQLite file and the generated secret live."""
        return Path(_env("INSTANCE_PATH") or root / "instance").resolve()

    @classmethod
    def tocsin_defaults(cls) -> dict:
        """Return only Tocsin's own settings, for an app that embeds it."""
        settings = vars(cls())
        return {k: v for k, v in settings.items() if k.startswith(("TOCSIN_", "SOCK_"))}

    def __init__(self) -> None:
        #: SQLAlchemy URL; ``None`` means a SQLite file in the instance folder.
        self.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
        #: Flask secret; ``None`` means one generated once and kept in the instance folder.
        self.SECRET_KEY = _env("SECRET_KEY")
        #: Redis URL for cross-machine fan-out; ``None`` uses the embedded database broker.
        self.TOCSIN_REDIS_URL = _env("REDIS_URL")
        #: Channel prefix: events go to ``<prefix>:user:<id>``.
        self.TOCSIN_REDIS_CHANNEL_PREFIX = _env("REDIS_CHANNEL_PREFIX", "tocsin")
        #: Extra origins allowed to open the WebSocket, comma separated (the app's own always is).
        self.TOCSIN_ALLOWED_ORIGINS = [
            o.strip() for o in (_env("ALLOWED_ORIGINS") or "").split(",") if o.strip()
        ]
        #: How often the embedded broker looks for events from other processes, in seconds.
        self.TOCSIN_BROKER_POLL_INTERVAL = float(_env("BROKER_POLL_INTERVAL", "0.1"))
        #: Events one connection may have waiting before it is closed with 1013.
        self.TOCSIN_CONNECTION_QUEUE_SIZE = int(_env("CONNECTION_QUEUE_SIZE", "256"))
        #: Notifications per panel or inbox page.
        self.TOCSIN_PAGE_SIZE = int(_env("PAGE_SIZE", "20"))
        #: The template the inbox page extends; it needs a `content` block.
        self.TOCSIN_LAYOUT = _env("LAYOUT", "notifications/layout.html")
        #: Largest request body the HTTP API reads, in bytes; a larger one gets 413.
        self.TOCSIN_API_MAX_BODY = int(_env("API_MAX_BODY", str(64 * 1024)))
        #: How long the HTTP API remembers an Idempotency-Key, in seconds (at least a day).
        self.TOCSIN_IDEMPOTENCY_TTL = int(_env("IDEMPOTENCY_TTL", str(24 * 3600)))
        #: Show the demo credentials on the login page.
        self.TOCSIN_DEMO = _env("DEMO", "0") == "1"
        #: Database connections each process keeps, and how many more it may open in a
        #: burst (not SQLite). A gevent worker runs hundreds of handshakes at once; with
        #: SQLAlchemy's 5 + 10 the slowest 1 % waited seconds for a connection.
        self.TOCSIN_DB_POOL_SIZE = int(_env("DB_POOL_SIZE", "20"))
        self.TOCSIN_DB_MAX_OVERFLOW = int(_env("DB_MAX_OVERFLOW", "10"))
        self.SQLALCHEMY_ENGINE_OPTIONS: dict = {}
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SECURE = _env("SECURE_COOKIES", "0") == "1"
        self.WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
        #: How long a login lasts, in seconds; open sockets close when it ends.
        self.PERMANENT_SESSION_LIFETIME = int(_env("SESSION_LIFETIME", str(14 * 24 * 3600)))
        self.SOCK_SERVER_OPTIONS = {
            "ping_interval": float(_env("WS_PING_INTERVAL", "25")),
            "max_message_size": int(_env("WS_MAX_MESSAGE_SIZE", str(16 * 1024))),
        }
        #: Open WebSockets one user may hold in each worker process; a new one past it
        #: closes that user's oldest with 1008 (not retried). 0: no cap.
        self.TOCSIN_MAX_SOCKETS_PER_USER = int(_env("MAX_SOCKETS_PER_USER", "20"))
        #: Frames a second (pings, pongs, messages) a client may send its socket, on
        #: average, in bursts of as many; past it the socket closes with 1008. Tocsin's
        #: page sends only a pong per ping. 0: no limit.
        self.TOCSIN_WS_MAX_INBOUND_RATE = float(_env("WS_MAX_INBOUND_RATE", "10"))
