"""Server-Sent Events: the framing, and what a stream resumed at `Last-Event-ID` is sent.

Each event carries the same HTML a socket message does, and its `id:` is the highest
position (a notification's id, or the fresh sort_id of a group that grew) the client has
accounted for after it. A reconnect names it, and is sent only what came after it from the
database, or a full snapshot when that is too much or the id is unknown (stream.py).
"""

from flask import abort, current_app
from sqlalchemy.orm import Session

from ..models import MAX_ID
from ..notifications import queries
from . import anonymous, push, stencil
from .connection import Connection

#: The query parameter a client may name the last id in (the htmx extension opens a new
#: EventSource after a refused reconnect, which sends no Last-Event-ID header).
LAST_ID_ARG = "last_event_id"


def frame(data: str, event_id: int | None = None) -> str:
    """Return one `message` event: `data:` lines (one per line of `data`) and its `id:`."""
    # A bare CR would end a line too (the spec's parser); fragments never need one.
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    head = "" if event_id is None else f"id: {event_id}\n"
    return head + "".join(f"data: {line}\n" for line in lines) + "\n"


def retry(ms: int) -> str:
    """Return the `retry:` field: how long the browser waits before reconnecting."""
    return f"retry: {int(ms)}\n\n"


def comment(text: str = "ping") -> str:
    """Return a comment line: ignored by the browser, it keeps proxies and the socket busy."""
    return f": {text}\n\n"


def last_event_id(headers, args) -> int | None:
    """The id the client resumes at: the header, else the query's fallback (400 if bad)."""
    raw = headers.get("Last-Event-ID")
    if raw is None or not raw.strip():
        raw = args.get(LAST_ID_ARG)
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        abort(400, description=f"Last-Event-ID must be an integer from 0 to {MAX_ID}")
    return int(raw)


def accounted(conn: Connection) -> int:
    """The highest position the client holds: the snapshot's, or the newest pushed since."""
    return max(conn.snapshot_id, max(conn.sent_ids, default=0))


def replay(session: Session, conn: Connection, after: int) -> str | None:
    """Render the rows past position `after` as one push, and the badge; None when a
    snapshot is due instead (more than a page behind, or an id this user never had)."""
    limit = current_app.config["TOCSIN_PAGE_SIZE"]
    if after > queries.latest_id(session, conn.user_id):
        return None  # another user's, another database's, or a forged id
    rows = queries.page(session, conn.user_id, None, limit + 1).items
    rows = [n for n in rows if n.position > after]
    if len(rows) > limit:
        return None
    # A row whose own id is past `after` is new to the client; an older one is a group that
    # grew since, and moves to the top as in a push.
    new = [n for n in rows if n.id > after]
    grown = [n for n in rows if n.id <= after]
    conn.sent_ids.update(n.id for n in rows)
    conn.snapshot_id = max([after, *(n.position for n in rows)])
    # A resume is a reconnect: what came meanwhile is one "while you were offline" toast,
    # as the socket's snapshot after `resumed=1` (push._missed).
    toasts, missed = push._missed(session, conn, after, resumed=True)
    quiet = {n.id for n in rows} - {n.id for n in toasts}
    context = push._csrf(conn)
    message = stencil.body(new, grown=grown, quiet=quiet, **context) if rows else ""
    if missed is not None:
        summary = anonymous.call("tocsin/_toast_missed.html", "toast_missed", missed)
        message += f'<div id="toast-stack" hx-swap-oob="beforeend">{summary}</div>'
    return message + stencil.for_app().badge(push.badge_count(session, conn))
