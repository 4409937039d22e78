"""`GET /notifications/stream`: the live fragments as Server-Sent Events, for a page whose
WebSocket is blocked (a proxy, a platform); the page's visibility comes by POST.

Each stream is a Connection in the registry like a socket: the same cap per user, queue
bound, logout and expiry, and close_all at shutdown. Where a socket closes, a stream
ends; the browser reconnects by itself with `Last-Event-ID` (sse.py), so an overflow or a
restart loses nothing.
"""

import logging
import re
import time
from collections.abc import Generator

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
    session,
    stream_with_context,
)
from flask_login import current_user

from .. import bodies, limits, logs, metrics, state, unavailable
from ..channels.presence import Tab
from ..extensions import store
from . import csrf, push, server, sse, ws
from .connection import SERVICE_RESTART, TOO_MANY_SOCKETS, TRY_AGAIN_LATER, Connection

bp = Blueprint("tocsin_stream", __name__)
log = logging.getLogger(__name__)

#: The tab id a page names its stream by, to tell it its visibility (client-chosen, scoped
#: to its user: a user can only ever address their own streams).
TAB_RE = re.compile(r"[A-Za-z0-9_-]{8,40}")
#: What `visible=` may say.
VISIBLE = {"1": True, "0": False}

for _error in unavailable.DATABASE_ERRORS:
    bp.register_error_handler(_error, ws.database_down)


@bp.before_request
def guard():
    """Refuse (403) a request without a login, or from a foreign page.

    An EventSource sends Origin only across origins; one that is sent must be ours.
    """
    origin = request.headers.get("Origin")
    if origin is not None and not ws.origin_allowed(origin):
        abort(403, description="Origin not allowed.")
    if not current_user.is_authenticated:
        abort(403, description="Log in first.")


@bp.get("/stream")
def stream():
    """Serve the user's live fragments as an event stream until it is to end."""
    since = push.since_arg(request.args)
    resume = sse.last_event_id(request.headers, request.args)
    tab = _tab_arg(request.args.get("tab"))
    visible = VISIBLE.get(request.args.get("visible", ""))
    conn = Connection(
        current_user.id, current_app.config["TOCSIN_CONNECTION_QUEUE_SIZE"], session.get("sid")
    )
    conn.expires_at = g.get("tocsin_login_ends")
    csrf.issue(conn)
    headers = {
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",  # nginx: pass each event on as it comes
    }
    body = stream_with_context(_events(conn, since, resume, tab, visible))
    return Response(body, mimetype="text/event-stream", headers=headers)


def _events(conn: Connection, since, resume, tab_id, visible):
    tocsin = state.current()
    config = current_app.config
    tab = Tab(tocsin.presence, conn.user_id)
    # Registered before the snapshot is read: an event in between is queued, not lost.
    tocsin.registry.add(conn)
    opened = time.monotonic()
    metrics.OPEN_STREAMS.inc()
    ended = "client"  # unless the server ends it: the browser went away
    log.info("stream open", extra=logs.fields(user_id=conn.user_id, socket_id=tab.key))
    try:
        yield sse.retry(config["TOCSIN_SSE_RETRY"])
        if conn.close_code is not None:
            ended = _reason(conn)
            return  # this worker is stopping: the browser reconnects to the next one
        tocsin.registry.close_at_exit()
        tocsin.broker.ensure_listening()
        if tocsin.sweeper is not None:
            tocsin.sweeper.ensure_running()
        first = None if resume is None else sse.replay(store.session, conn, resume)
        if first is None:
            first = push.snapshot(
                store.session, conn, since if resume is None else resume, resume is not None
            )
        store.session.rollback()  # end the read transaction so later reads see new commits
        tab.update(visible)
        yield sse.frame(first, sse.accounted(conn))
        metrics.STREAM_SNAPSHOTS.inc()
        ended = yield from _live(conn, tab, tab_id)
    except unavailable.DATABASE_ERRORS as exc:
        # The headers are sent: no 503 now. End the stream; the browser comes back after
        # the new `retry:` and resumes from its last id.
        if not unavailable.is_outage(exc):
            raise
        unavailable.note(exc)
        ended = "unavailable"
        yield sse.retry(unavailable.retry_after() * 1000)
    finally:
        metrics.STREAM_ENDS.labels(ended).inc()
        metrics.OPEN_STREAMS.dec()
        tocsin.registry.remove(conn)
        tab.close()
        store.session.remove()
        took = round((time.monotonic() - opened) * 1000)
        fields = logs.fields(user_id=conn.user_id, socket_id=tab.key, code=conn.close_code)
        log.info("stream end", extra={**fields, "duration_ms": took})


def _live(conn: Connection, tab: Tab, tab_id: str | None) -> Generator[str, None, str]:
    """Yield pushes, and a heartbeat when idle, until the stream is to end; return why it
    ended (metrics.STREAM_ENDS)."""
    heartbeat = current_app.config["TOCSIN_SSE_HEARTBEAT"]
    budget = server.FrameBudget(current_app.config["TOCSIN_WS_MAX_INBOUND_RATE"])
    while True:
        events = conn.wait(_wake_in(conn, heartbeat))
        for event in events:
            mine = event.get("kind") == "visibility" and event.get("tab") == tab_id
            if mine and budget.spend():  # as a socket's frames: a flood is dropped
                tab.update(bool(event.get("visible")))
        tab.update(None)  # keeps this process's presence entries fresh
        if ws._session_over(events, conn):
            yield sse.frame(render_template("tocsin/_signed_out.html"))
            return "signed_out"
        if conn.close_code is not None:
            if conn.close_reason == TOO_MANY_SOCKETS:
                yield sse.frame(render_template("tocsin/_too_many_sockets.html"))
            return _reason(conn)  # overflow or shutdown: the browser resumes from the id
        resync = any(e.get("kind") == "resync" for e in events)
        if resync:
            message = push.snapshot(store.session, conn)  # events may have been lost
        else:
            message = push.render(store.session, conn, events) if events else ""
        store.session.rollback()
        message += csrf.renewal(conn)
        if not message:
            yield sse.comment()
            continue
        yield sse.frame(message, sse.accounted(conn))
        (metrics.STREAM_SNAPSHOTS if resync else metrics.STREAM_PUSHES).inc()


def _reason(conn: Connection) -> str:
    """Why the server ended `conn`, in metrics.STREAM_ENDS's words."""
    if conn.close_reason == TOO_MANY_SOCKETS:
        return "too_many"
    if conn.close_code == TRY_AGAIN_LATER:
        return "behind"
    if conn.close_code == SERVICE_RESTART:
        return "restart"
    return "other"


def _wake_in(conn: Connection, heartbeat: float) -> float:
    """Seconds until the next heartbeat, or the login's expiry if sooner."""
    if conn.expires_at is None:
        return heartbeat
    return max(0.0, min(heartbeat, conn.expires_at - time.time()))


def _tab_arg(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not TAB_RE.fullmatch(raw):
        abort(400, description="tab must be 8 to 40 letters, digits, '-' or '_'")
    return raw


@bp.post("/stream/visibility")
def visibility():
    """Tell the user's stream `tab` whether its page is visible (what a socket sends)."""
    tab = _tab_arg(request.form.get("tab"))
    visible = VISIBLE.get(request.form.get("visible", ""))
    if tab is None or visible is None:
        abort(400, description="send tab and visible=1 or 0")
    # The stream may be in another process: the broker carries it there, as every event.
    event = {"kind": "visibility", "tab": tab, "visible": visible}
    state.current().broker.publish(current_user.id, event)
    return "", 204


def init_app(app: Flask, prefix: str) -> None:
    """Register the routes under `prefix`, their body cap and the visibility rate limit."""
    app.register_blueprint(bp, url_prefix=prefix)
    bodies.cover(app, [bp.name])
    limits.limit_per_user(app, "tocsin_stream.visibility", "TOCSIN_SSE_VISIBILITY_RATE_LIMIT")
