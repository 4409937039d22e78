"""Tocsin's settings, read from TOCSIN_* environment variables; defaults give the embedded set-up.

One rule for the standalone app and for a host: `Tocsin.init_app` takes each setting
below from the app's config if the app set it, else from the environment, else the
default here. Flask's own settings (SECRET_KEY, cookies, SQLALCHEMY_*) are the app's:
the standalone app reads them from the environment in app/config.py.
"""

import os
from pathlib import Path
from typing import overload

#: The package folder: its templates/, static/ and migrations/ ship with it.
PACKAGE = Path(__file__).resolve().parent


@overload
def _env(name: str) -> str | None: ...
@overload
def _env(name: str, default: str) -> str: ...
def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"TOCSIN_{name}", default)


#: TOCSIN_BADGE_COUNTS's values: what the badge counts.
BADGE_COUNTS = ("unread", "unseen")


class InvalidSetting(ValueError):
    """A setting's value cannot be used; the message names the variable and what it takes."""


def whole_number(key: str, value: object, minimum: int = 0) -> int:
    """Return `value` as a whole number of at least `minimum`, or raise InvalidSetting."""
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise InvalidSetting(f"{key}={value!r}: give a whole number of at least {minimum}")
    return number


#: The retention settings (issue 12), checked when Tocsin starts: a typo there would
#: otherwise surface only at the first prune, perhaps an hour later, in a log.
RETENTION_KEYS = ("TOCSIN_KEEP_PER_USER", "TOCSIN_RETENTION_DAYS", "TOCSIN_PRUNE_INTERVAL")
#: The delivery settings (issue 13), checked at start-up for the same reason.
DELIVERY_KEYS = (
    "TOCSIN_DELIVERY_ATTEMPTS",
    "TOCSIN_RETRY_BASE",
    "TOCSIN_DELIVERY_SWEEP_INTERVAL",
    "TOCSIN_EMAIL_DELAY",
    "TOCSIN_UNSUBSCRIBE_MAX_AGE",
    "TOCSIN_PRESENCE_TTL",
)


class Config:
    """Read Tocsin's settings from the environment at instantiation, so tests can vary them."""

    def defaults(self) -> dict:
        """Return the settings, for `app.config.setdefault` (what the app set wins)."""
        return dict(vars(self))

    def __init__(self) -> None:
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
        self.TOCSIN_LAYOUT = _env("LAYOUT", "tocsin/layout.html")
        #: Where Tocsin's pages, fragments and WebSocket are mounted.
        self.TOCSIN_URL_PREFIX = _env("URL_PREFIX", "/notifications")
        #: Serve the HTTP API for other services (``0``: no /api routes, no tokens used).
        self.TOCSIN_HTTP_API = _env("HTTP_API", "1") == "1"
        #: Where the HTTP API is mounted: its routes are ``<prefix>/v1/...``.
        self.TOCSIN_API_PREFIX = _env("API_PREFIX", "/api")
        #: The inbox page's <title>: the host's words, not Tocsin's name.
        self.TOCSIN_INBOX_TITLE = _env("INBOX_TITLE", "Notifications")
        #: Largest request body the HTTP API reads, in bytes; a larger one gets 413.
        self.TOCSIN_API_MAX_BODY = int(_env("API_MAX_BODY", str(64 * 1024)))
        #: How long the HTTP API remembers an Idempotency-Key, in seconds (at least a day).
        self.TOCSIN_IDEMPOTENCY_TTL = int(_env("IDEMPOTENCY_TTL", str(24 * 3600)))
        #: Database connections each process keeps, and how many more it may open in a
        #: burst (not SQLite). A gevent worker runs hundreds of handshakes at once; with
        #: SQLAlchemy's 5 + 10 the slowest 1 % waited seconds for a connection.
        self.TOCSIN_DB_POOL_SIZE = int(_env("DB_POOL_SIZE", "20"))
        self.TOCSIN_DB_MAX_OVERFLOW = int(_env("DB_MAX_OVERFLOW", "10"))
        self.SOCK_SERVER_OPTIONS = {
            "ping_interval": float(_env("WS_PING_INTERVAL", "25")),
            "max_message_size": int(_env("WS_MAX_MESSAGE_SIZE", str(16 * 1024))),
        }
        #: Seconds a request waits for a database lock (SQLite's busy timeout, PostgreSQL's
        #: lock_timeout, and its connect timeout) before it answers 503 with a Retry-After of
        #: as many seconds. Tocsin's writes are short (a 10,000-user fan-out commits in
        #: 0.47 s, bench/results/fanout.md): 5 s lets ten such wait their turn, yet a click
        #: hears "not saved" while the user still looks, and well inside proxies' 60 s.
        self.TOCSIN_DB_LOCK_TIMEOUT = float(_env("DB_LOCK_TIMEOUT", "5"))
        #: PostgreSQL's statement_timeout in seconds (0 = none): past nginx's default 60 s
        #: proxy timeout the caller has gone, so the statement only holds locks for nobody.
        self.TOCSIN_DB_STATEMENT_TIMEOUT = float(_env("DB_STATEMENT_TIMEOUT", "60"))
        # --- request bodies, /healthz (issue 9, items 8 and 15) ---
        #: Largest form body Tocsin's pages accept, in bytes (chunked too); a larger one
        #: gets 413. Its biggest form, the preferences, is about 2 KB with 10 types.
        self.TOCSIN_FORM_MAX_BODY = int(_env("FORM_MAX_BODY", str(64 * 1024)))
        #: Let /healthz show the database, broker and connection count to anyone; off, it
        #: answers only ok (200) or error (503).
        self.TOCSIN_HEALTHZ_DETAILS = _env("HEALTHZ_DETAILS", "0") == "1"
        # -- Logins and rate limits (issue 9: items 3, 4 and 5) --
        #: A login ends this many seconds after it began, however active (the absolute
        #: limit; the standalone app's session cookie lasts as long).
        self.TOCSIN_SESSION_LIFETIME = int(_env("SESSION_LIFETIME", str(14 * 24 * 3600)))
        #: A login also ends after this many seconds without a request (0: no idle limit).
        #: 3 days outlasts a weekend away from an open tab; a socket alone is not activity.
        self.TOCSIN_SESSION_IDLE = int(_env("SESSION_IDLE", str(3 * 24 * 3600)))
        #: Failed logins per user name, `limits` syntax ("" turns it off). 5 a minute lets a
        #: person retype a password a few times; 20 an hour caps online guessing of one
        #: account at 480 a day. Only failures count, so a user who logs in is never slowed.
        self.TOCSIN_LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "5/minute;20/hour")
        #: Failed logins per client address (one client spraying many names); each costs a
        #: password hash. Looser than per name: an office behind one NAT shares it.
        self.TOCSIN_LOGIN_CLIENT_RATE_LIMIT = _env("LOGIN_CLIENT_RATE_LIMIT", "20/minute;100/hour")
        #: HTTP API requests per token ("" turns it off): 10 a second on average, far above
        #: a publishing service's need, far below what one worker serves.
        self.TOCSIN_API_RATE_LIMIT = _env("API_RATE_LIMIT", "600/minute")
        #: Reverse proxies (as gunicorn's setting of that name): from these, the client's
        #: address for the per-client login limit is the last X-Forwarded-For hop; else
        #: everyone behind nginx would share one limit. "*" trusts every peer.
        self.TOCSIN_FORWARDED_ALLOW_IPS = [
            a.strip() for a in _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1").split(",") if a.strip()
        ]
        #: Which responses get the security headers (tocsin/headers.py): ``all``, ``tocsin``
        #: (only Tocsin's routes) or ``off``; unset means ``all`` in the standalone app and
        #: ``tocsin`` in a host app, whose own pages may rely on inline script.
        self.TOCSIN_SECURITY_HEADERS = _env("SECURITY_HEADERS")
        #: Send Tocsin's Content-Security-Policy (a policy the response already has is kept).
        self.TOCSIN_CSP = _env("CSP", "1") == "1"
        #: Who may frame the pages: the CSP ``frame-ancestors`` sources, e.g.
        #: ``'self' https://portal.example``; ``'none'`` also sends X-Frame-Options: DENY.
        self.TOCSIN_FRAME_ANCESTORS = _env("FRAME_ANCESTORS", "'none'")
        #: Referrer-Policy: the full URL to this site only, nothing to others.
        self.TOCSIN_REFERRER_POLICY = _env("REFERRER_POLICY", "same-origin")
        #: Open WebSockets one user may hold in each worker process; a new one past it
        #: closes that user's oldest with 1008 (not retried). 0: no cap.
        self.TOCSIN_MAX_SOCKETS_PER_USER = int(_env("MAX_SOCKETS_PER_USER", "20"))
        #: Frames a second (pings, pongs, messages) a client may send its socket, on
        #: average, in bursts of as many; past it the socket closes with 1008. Tocsin's
        #: page sends a pong per ping and its tab's visibility when it changes (at most two a
        #: second, tocsin-browser.js). 0: no limit.
        self.TOCSIN_WS_MAX_INBOUND_RATE = float(_env("WS_MAX_INBOUND_RATE", "10"))
        # -- Server-Sent Events fallback (issue 15) --
        #: Seconds between heartbeat comments on an idle event stream: proxies that drop
        #: silent connections after 30-60 s keep it, and a gone client fails the write.
        self.TOCSIN_SSE_HEARTBEAT = float(_env("SSE_HEARTBEAT", "15"))
        #: Milliseconds a browser waits before reconnecting an ended stream (`retry:`).
        self.TOCSIN_SSE_RETRY = int(_env("SSE_RETRY", "1000"))
        #: Visibility changes a user's streams may post (`limits` syntax; "" turns it
        #: off). A page posts at most two a second (tocsin-browser.js).
        self.TOCSIN_SSE_VISIBILITY_RATE_LIMIT = _env("SSE_VISIBILITY_RATE_LIMIT", "120/minute")
        # -- Quiet hours' catch-up (issue 11) --
        #: Seconds between catch-up sweeps in each process serving sockets: the summary
        #: toast shows at most this long after quiet hours or a snooze end. A sweep with
        #: nobody held is two indexed queries. 0: no sweeper (run `flask tocsin catchup`).
        self.TOCSIN_CATCHUP_INTERVAL = float(_env("CATCHUP_INTERVAL", "15"))
        # -- Rate limits that collapse (issue 12) --
        #: Notifications a user may be toasted per window, `limits` syntax ("10/minute",
        #: "10 per 5 seconds", "10/minute;100/hour"; "" turns it off). Past it they are
        #: stored and counted but held, and the user gets one summary toast when the
        #: window ends (critical types are exempt). Counted in Redis when TOCSIN_REDIS_URL
        #: is set, else in each process's memory. A bad value stops the app at start-up.
        self.TOCSIN_RATE_LIMIT = _env("RATE_LIMIT", "10/minute")
        # -- Retention (issue 12; notifications/retention.py) --
        #: Rows each user keeps at most, newest first by position (0: no cap). An unread
        #: row younger than TOCSIN_RETENTION_DAYS is kept even past it. The seeds keep 100;
        #: 1,000 is a year of a busy user's inbox and still a few hundred kB of rows.
        self.TOCSIN_KEEP_PER_USER = _env("KEEP_PER_USER", "1000")
        #: Read or archived rows older than this many days are removed (0: none by age).
        self.TOCSIN_RETENTION_DAYS = _env("RETENTION_DAYS", "90")
        #: Seconds between prunes from each socket-serving process's sweeper thread (0:
        #: none; run `flask tocsin prune` from cron). A prune with nothing due is a few
        #: indexed reads and a count per user; hourly keeps each run's work small.
        self.TOCSIN_PRUNE_INTERVAL = _env("PRUNE_INTERVAL", "3600")
        # -- Channels beyond the open tab (issue 13; tocsin/channels/, docs/channels.md) --
        #: The job queue's storage: Redis at TOCSIN_REDIS_URL when set, else this SQLite
        #: file (relative: in the app's instance folder). Consumers: `flask tocsin worker`.
        self.TOCSIN_QUEUE_FILE = _env("QUEUE_FILE", "tocsin-queue.sqlite3")
        #: "1": this process runs a queue consumer on threads of its own (`make run`, so the
        #: demo needs no second command); a production deployment runs `tocsin worker`.
        self.TOCSIN_EMBEDDED_WORKER = _env("EMBEDDED_WORKER", "0") == "1"
        #: "1": run each job at once in the publishing process instead of queueing it
        #: (Huey's immediate mode: unit tests, scripts). Never in production.
        self.TOCSIN_QUEUE_IMMEDIATE = _env("QUEUE_IMMEDIATE", "0") == "1"
        #: Attempts per delivery before it is dead; between them an exponential backoff
        #: with jitter from TOCSIN_RETRY_BASE seconds (30 s, 1 min, 2 min, ... capped at 1 h).
        self.TOCSIN_DELIVERY_ATTEMPTS = _env("DELIVERY_ATTEMPTS", "6")
        self.TOCSIN_RETRY_BASE = _env("RETRY_BASE", "30")
        #: Seconds between sweeps that enqueue deliveries due and still queued (an enqueue
        #: lost while the queue was down, a worker that died holding one).
        self.TOCSIN_DELIVERY_SWEEP_INTERVAL = _env("DELIVERY_SWEEP_INTERVAL", "60")
        #: Outgoing mail: ``smtp://host:port`` (``smtps://`` for TLS, user:password@ for
        #: login). Unset: emails go to the log (the demo's debug sink), never lost silently.
        self.TOCSIN_SMTP_URL = _env("SMTP_URL")
        self.TOCSIN_MAIL_FROM = _env("MAIL_FROM", "Tocsin <tocsin@localhost>")
        #: Seconds a notification stays unread before its email (a type may set its own).
        self.TOCSIN_EMAIL_DELAY = _env("EMAIL_DELAY", "900")
        #: Where emails' links point: the site as users reach it, e.g.
        #: ``https://tocsin.example.com`` (a path prefix too). A worker has no request to
        #: take it from; unset: ``PREFERRED_URL_SCHEME://SERVER_NAME`` when SERVER_NAME is
        #: set, else the demo's ``http://127.0.0.1:5000``.
        self.TOCSIN_BASE_URL = _env("BASE_URL")
        #: Seconds an email's one-click unsubscribe link works (90 days: old mail still
        #: unsubscribes; a forged or altered link never does).
        self.TOCSIN_UNSUBSCRIBE_MAX_AGE = _env("UNSUBSCRIBE_MAX_AGE", str(90 * 24 * 3600))
        #: When a daily digest goes out, on the user's wall clock ("HH:MM").
        self.TOCSIN_DIGEST_TIME = _env("DIGEST_TIME", "08:00")
        #: Web Push's VAPID key (PEM or base64url) and contact (mailto: or https:);
        #: generated into the instance folder when unset.
        self.TOCSIN_VAPID_PRIVATE_KEY = _env("VAPID_PRIVATE_KEY")
        self.TOCSIN_VAPID_SUBJECT = _env("VAPID_SUBJECT", "mailto:admin@localhost")
        #: The generated VAPID key's file (relative: in the instance folder), mode 0600.
        self.TOCSIN_VAPID_KEY_FILE = _env("VAPID_KEY_FILE", "vapid-private.pem")
        #: Seconds a push service keeps a message for an offline device (0 would drop it).
        self.TOCSIN_PUSH_TTL = int(_env("PUSH_TTL", str(24 * 3600)))
        #: Seconds to connect to, and then to hear from, a push service per device.
        self.TOCSIN_PUSH_TIMEOUT = float(_env("PUSH_TIMEOUT", "10"))
        #: Push endpoints allowed beyond https on public hosts, as ``host[:port]``, comma-
        #: separated (a test's push service on 127.0.0.1, a self-hosted one): see
        #: channels/push_hosts.py. Empty: public https hosts only.
        self.TOCSIN_PUSH_ALLOWED_HOSTS = _env("PUSH_ALLOWED_HOSTS", "")
        #: Bytes a subscribe or unsubscribe request may carry: a subscription is ~500 bytes.
        self.TOCSIN_PUSH_MAX_BODY = int(_env("PUSH_MAX_BODY", "4096"))
        #: Seconds a tab's visibility counts after its process last vouched for it: the
        #: process refreshes its tabs every third of it, so a crashed one's tabs stop
        #: counting as visible (and holding back push) within this.
        self.TOCSIN_PRESENCE_TTL = _env("PRESENCE_TTL", "60")
        # -- Analytics (issue 14; tocsin/analytics/, docs/analytics.md) --
        #: "1": keep every event as a row too (tocsin_analytics_events), not only the
        #: daily counts; pruned after TOCSIN_ANALYTICS_RETENTION_DAYS (0: never).
        self.TOCSIN_ANALYTICS_RAW = _env("ANALYTICS_RAW", "0") == "1"
        self.TOCSIN_ANALYTICS_RETENTION_DAYS = _env("ANALYTICS_RETENTION_DAYS", "30")
        #: Seconds between a process's flushes of its counted events (0: only at exit).
        self.TOCSIN_ANALYTICS_FLUSH_INTERVAL = _env("ANALYTICS_FLUSH_INTERVAL", "10")
        # --- metrics and logs (issue 14: operate it; docs/operations.md) ---
        #: Bearer token a scraper of GET /metrics must send; anyone else gets 401. Unset:
        #: /metrics answers requests from 127.0.0.1 and ::1 only (404 to others), as the
        #: WSGI server saw them: behind a proxy on this host every request looks local,
        #: so there set a token.
        self.TOCSIN_METRICS_TOKEN = _env("METRICS_TOKEN", "")
        #: "text" or "json" (one JSON object per line: ts, level, logger, event and ids,
        #: never a notification's content), when the app's logging is not set up already.
        self.TOCSIN_LOG_FORMAT = _env("LOG_FORMAT", "text")
        # -- Seen (issue 14; notifications/seen.py, docs/inbox.md "Seen") --
        #: What the badge counts: "unread" (every unread row) or "unseen" (unread rows not
        #: yet on screen for a second, Knock's default). Anything else stops the app at start.
        self.TOCSIN_BADGE_COUNTS = _env("BADGE_COUNTS", "unread")
        #: Seen batches a user may post (`limits` syntax; "" turns it off). A page posts
        #: one at most every 0.75 s while rows come into view, so 120/minute is ample.
        self.TOCSIN_SEEN_RATE_LIMIT = _env("SEEN_RATE_LIMIT", "120/minute")
        # -- Languages (issue 15; tocsin/i18n.py, docs/i18n.md) --
        #: The languages users may choose, comma separated, the default first: a user who
        #: chose none reads their browser's best match among these (Accept-Language), else
        #: the first. Each needs a catalog (Tocsin ships en and de; a host may add more).
        self.TOCSIN_LANGUAGES = [
            code.strip() for code in _env("LANGUAGES", "en,de").split(",") if code.strip()
        ]


def init_app(app) -> None:
    """Give `app` each Tocsin setting it lacks: from the environment, else the default."""
    for key, value in Config().defaults().items():
        app.config.setdefault(key, value)
    # Checked here, not where read: a host may set them in its own config, as strings too.
    for key in RETENTION_KEYS + DELIVERY_KEYS:
        app.config[key] = whole_number(key, app.config[key])
    app.config["TOCSIN_DELIVERY_ATTEMPTS"] = whole_number(
        "TOCSIN_DELIVERY_ATTEMPTS", app.config["TOCSIN_DELIVERY_ATTEMPTS"], 1
    )
    languages = app.config["TOCSIN_LANGUAGES"]
    if isinstance(languages, str):  # a host's config may give the comma-separated text
        languages = [code.strip() for code in languages.split(",") if code.strip()]
    if not languages:
        raise InvalidSetting("TOCSIN_LANGUAGES is empty: give at least one language, e.g. en")
    app.config["TOCSIN_LANGUAGES"] = list(languages)
    # What the badge counts (seen): a typo would otherwise show the unread count silently.
    if app.config["TOCSIN_BADGE_COUNTS"] not in BADGE_COUNTS:
        raise InvalidSetting(
            f"TOCSIN_BADGE_COUNTS={app.config['TOCSIN_BADGE_COUNTS']!r}: give one of "
            + ", ".join(BADGE_COUNTS)
        )
