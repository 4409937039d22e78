"""The WebSocket endpoint: check Origin and session, register, snapshot, then push."""

import contextlib
import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, render_template, request, session
from flask_login import current_user
from simple_websocket import ConnectionClosed

from .. import login_session, logs, metrics, state, unavailable
from ..channels.presence import Tab
from ..extensions import store
from . import csrf, push, server
from .connection import POLICY_VIOLATION, TOO_MANY_SOCKETS, Connection

bp = Blueprint("tocsin_live", __name__, url_prefix="/notifications")
log = logging.getLogger(__name__)

#: How long the socket thread waits for events before checking the socket again (a
#: closed socket is noticed within this). Each wake costs: at 1 s, 3,000 idle sockets
#: took 10 % of a core. A login's expiry wakes the thread on time regardless.
WAKE_INTERVAL = 5.0


#: Port a URL means when it names none, by scheme.
DEFAULT_PORTS = {"http": 80, "https": 443}
#: The page scheme a socket's scheme stands for.
PAGE_SCHEMES = {"ws": "http", "wss": "https"}


def origin_allowed(origin: str | None) -> bool:
    """Accept the app's own origin and the configured ones; refuse a missing Origin."""
    if not origin:
        return False
    if origin in current_app.config["TOCSIN_ALLOWED_ORIGINS"]:
        return True
    # Scheme, host and port, as a browser compares origins: https://host is another
    # origin than the http://host this app is served on. request.scheme is the one the
    # WSGI server reports (gunicorn takes X-Forwarded-Proto from forwarded_allow_ips).
    own = _origin_key(f"{request.scheme}://{request.host}")
    return own is not None and _origin_key(origin) == own


def _origin_key(url: str) -> tuple[str, str, int] | None:
    """Return (scheme, host, port) with the default port filled in; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        scheme = PAGE_SCHEMES.get(parts.scheme.lower(), parts.scheme.lower())
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        return scheme, parts.hostname, parts.port or DEFAULT_PORTS[scheme]
    except ValueError:  # a port that is not a number, or out of range
        return None


def database_down(exc: Exception):
    """Refuse the upgrade with 503 while the database is down; the page retries the socket."""
    if not unavailable.is_outage(exc):
        raise exc  # a bug: Flask's 500
    unavailable.note(exc)
    headers = {"Retry-After": str(unavailable.retry_after())}
    return "The database is busy or unreachable; try again shortly.", 503, headers


for _error in unavailable.DATABASE_ERRORS:
    bp.register_error_handler(_error, database_down)


@bp.before_request
def guard():
    """Refuse the upgrade (403) for a foreign Origin or a request without a login.

    A login that was ended or expired is already logged out here (login_session.check_login).
    """
    if not origin_allowed(request.headers.get("Origin")):
        abort(403, description="Origin not allowed.")
    if not current_user.is_authenticated:
        abort(403, description="Log in first.")
    push.since_arg(request.args)  # a malformed ?since= is a 400 before the upgrade


@bp.route("/ws", websocket=True)
def ws():
    """Accept the socket and serve it until it closes."""
    socket = server.accept(request.environ, current_app.config)
    with contextlib.suppress(ConnectionClosed):
        _serve(socket)
    return server.finished(socket)


def _serve(socket: server.Server) -> None:
    tocsin = state.current()
    conn = Connection(
        current_user.id, current_app.config["TOCSIN_CONNECTION_QUEUE_SIZE"], session.get("sid")
    )
    conn.expires_at = g.get("tocsin_login_ends")  # None: not a session login (request loader)
    csrf.issue(conn)
    tab = Tab(tocsin.presence, conn.user_id)
    socket.on_change = conn.wake
    # Registered before the snapshot is read: an event in between is queued, not lost.
    tocsin.registry.add(conn)
    opened = time.monotonic()
    metrics.OPEN_SOCKETS.inc()
    log.info("connect", extra=logs.fields(user_id=conn.user_id, socket_id=tab.key))
    try:
        if conn.close_code is not None:  # this worker is stopping: try the next one
            socket.close(reason=conn.close_code, message=conn.close_reason)
            return
        # Only a process that serves sockets gets here: it closes them on its way out.
        tocsin.registry.close_at_exit()
        tocsin.broker.ensure_listening()
        if tocsin.sweeper is not None:
            tocsin.sweeper.ensure_running()  # this process's tabs get their summaries
        since, resumed = push.since_arg(request.args), push.resumed_arg(request.args)
        socket.send(push.snapshot(store.session, conn, since, resumed))
        metrics.SNAPSHOTS.inc()
        store.session.rollback()  # end the read transaction so later reads see new commits
        tab.update(socket.visible)  # said before on_change was set: not woken for it
        while socket.connected:
            # What the client sends is dropped as it arrives, within limits, but for the
            # tab's visibility, which wakes this thread (server.py).
            events = conn.wait(_wake_in(conn))
            # Written here, not on the reading thread: the store may take a round trip.
            tab.update(socket.visible)
            if _session_over(events, conn):
                # Some servers turn every close into 1006, which the client retries;
                # removing the ws-connect element is what reliably stops it.
                socket.send(render_template("tocsin/_signed_out.html"))
                conn.close(POLICY_VIOLATION)
            if conn.close_code is not None:
                if conn.close_reason == TOO_MANY_SOCKETS:
                    # Like signing out: without ws-connect this tab stops, even where a
                    # proxy turns the 1008 into a retried 1006.
                    socket.send(render_template("tocsin/_too_many_sockets.html"))
                socket.close(reason=conn.close_code, message=conn.close_reason)
                return
            resync = any(e.get("kind") == "resync" for e in events)
            if resync:
                message = push.snapshot(store.session, conn)  # events may have been lost
            else:
                message = push.render(store.session, conn, events) if events else ""
            store.session.rollback()
            message += csrf.renewal(conn)
            if message:
                socket.send(message)
                (metrics.SNAPSHOTS if resync else metrics.PUSHES).inc()
    finally:
        tocsin.registry.remove(conn)
        tab.close()
        store.session.remove()
        _closed(socket, conn, tab.key, time.monotonic() - opened)


def _closed(socket: server.Server, conn: Connection, socket_id: str, took: float) -> None:
    """Count the socket's close code and log its end."""
    code = socket.close_code()
    metrics.SOCKET_CLOSES.labels(str(code)).inc()
    metrics.OPEN_SOCKETS.dec()  # after: a scrape that sees it closed sees its code
    fields = logs.fields(user_id=conn.user_id, socket_id=socket_id, code=code)
    log.info("disconnect", extra={**fields, "duration_ms": round(took * 1000)})


def _wake_in(conn: Connection) -> float:
    """Seconds until the thread should look again: the wake interval, or the expiry."""
    if conn.expires_at is None:
        return WAKE_INTERVAL
    return max(0.0, min(WAKE_INTERVAL, conn.expires_at - time.time()))


def _session_over(events: list[dict], conn: Connection) -> bool:
    """Tell whether this socket's login ended: logged out anywhere, or expired."""
    if any(e.get("kind") == "logout" and e.get("session") == conn.session_id for e in events):
        return True
    due = conn.expires_at is not None and time.time() >= conn.expires_at
    # At its expiry the login may have been used since (idle limit), so ask the records;
    # after a resync too, as a logout event may have been lost with the others.
    if conn.expires_at is not None and (due or any(e.get("kind") == "resync" for e in events)):
        conn.expires_at = login_session.login_ends(conn.session_id, conn.user_id, touch=False)
        return conn.expires_at is None
    return False
