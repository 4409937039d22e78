"""The WebSocket endpoint: check Origin and session, register, snapshot, then push."""

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, render_template, request, session
from flask_login import current_user

from .. import broker, login_session
from ..extensions import sock, store
from . import push
from .connection import POLICY_VIOLATION, Connection

bp = Blueprint("live", __name__, url_prefix="/notifications")

#: How long the socket thread waits for events before checking the socket again (a
#: closed socket is noticed within this). Each wake costs: at 1 s, 3,000 idle sockets
#: took 10 % of a core. A login's expiry wakes the thread on time regardless.
WAKE_INTERVAL = 5.0


def origin_allowed(origin: str | None) -> bool:
    """Accept the app's own origin and the configured ones; refuse a missing Origin."""
    if not origin:
        return False
    if origin in current_app.config["TOCSIN_ALLOWED_ORIGINS"]:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == request.host


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


@sock.route("/ws", bp=bp)
def ws(socket):
    b = broker.current()
    conn = Connection(
        current_user.id, current_app.config["TOCSIN_CONNECTION_QUEUE_SIZE"], session.get("sid")
    )
    conn.expires_at = g.get("tocsin_login_ends")  # None: not a session login (request loader)
    csrf_token = current_app.jinja_env.globals.get("csrf_token")
    conn.csrf_token = csrf_token() if csrf_token else None
    # Registered before the snapshot is read: an event in between is queued, not lost.
    b.registry.add(conn)
    try:
        if conn.close_code is not None:  # this worker is stopping: try the next one
            socket.close(reason=conn.close_code)
            return
        b.ensure_listening()
        socket.send(push.snapshot(store.session, conn, push.since_arg(request.args)))
        store.session.rollback()  # end the read transaction so later reads see new commits
        while socket.connected:
            events = conn.wait(_wake_in(conn))
            # The client has nothing to say; don't let its messages pile up. Peeking at
            # simple-websocket's buffer first spares a timed wait per wake (7 % of a
            # fan-out's CPU).
            while getattr(socket, "input_buffer", True) and socket.receive(timeout=0) is not None:
                pass
            if _session_over(events, conn):
                # Some servers turn every close into 1006, which the client retries;
                # removing the ws-connect element is what reliably stops it.
                socket.send(render_template("notifications/_signed_out.html"))
                conn.close(POLICY_VIOLATION)
            if conn.close_code is not None:
                socket.close(reason=conn.close_code)
                return
            if any(e.get("kind") == "resync" for e in events):
                message = push.snapshot(store.session, conn)  # events may have been lost
            else:
                message = push.render(store.session, conn, events) if events else ""
            store.session.rollback()
            if message:
                socket.send(message)
    finally:
        b.registry.remove(conn)
        store.session.remove()


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
