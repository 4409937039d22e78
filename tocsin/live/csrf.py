"""Keep a socket's CSRF token valid: issued at connect, renewed before it expires.

Live fragments are rendered with the socket's token, and tocsin.js posts with the newest
one it was sent (`#tocsin-csrf-token`). A host keeps Flask-WTF's time limit (3,600 s by
default): a tab open longer than that posted an expired token (400). The snapshot on every
(re)connect carries a fresh token, and a socket open for half the limit gets another.
"""

import time

from flask import current_app, g

from . import anonymous
from .connection import Connection

#: Flask-WTF's default WTF_CSRF_TIME_LIMIT, in seconds.
DEFAULT_TIME_LIMIT = 3600


def issue(conn: Connection) -> None:
    """Give `conn` a token signed now (None when the app has no CSRF protection)."""
    generate = current_app.jinja_env.globals.get("csrf_token")
    if not callable(generate):
        conn.csrf_token = None
        return
    # Flask-WTF signs once per request and caches it in `g`; a socket's request lasts
    # hours, so drop the cached one to sign the session's token again with today's time.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    conn.csrf_token = generate()
    conn.csrf_issued_at = time.monotonic()


def renewal(conn: Connection) -> str:
    """A fresh token, out of band, once half the time limit has passed; else ""."""
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", DEFAULT_TIME_LIMIT)
    if conn.csrf_token is None or not limit:
        return ""
    if time.monotonic() - conn.csrf_issued_at < limit / 2:
        return ""
    issue(conn)
    return anonymous.call("tocsin/_csrf.html", "csrf", conn.csrf_token, oob=True)
