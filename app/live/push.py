"""Render what a connection is sent: the connect snapshot and batches of live events."""

from flask import current_app, render_template
from sqlalchemy.orm import Session

from ..notifications import queries
from . import stencil
from .connection import Connection


def snapshot(session: Session, conn: Connection) -> str:
    """Render the badge, the first page of the list and the mark-all bound, all out of band."""
    page = queries.page(session, conn.user_id, None, current_app.config["TOCSIN_PAGE_SIZE"])
    # The newest id on the page, not a separate max(): a row committed in between is
    # then pushed as new instead of being counted as shown.
    conn.snapshot_id = page.newest_id
    # A burst of handshakes (a restart, a reconnect storm) renders the same rows for
    # every socket of a user: from stencils, each item is a lookup and two replaces.
    items_html = stencil.for_app().items(page.items, conn.csrf_token)
    return render_template(
        "notifications/_snapshot.html",
        page=page,
        items_html=items_html,
        up_to=conn.snapshot_id,
        count=queries.unread_count(session, conn.user_id),
    )


def render(session: Session, conn: Connection, events: list[dict]) -> str:
    """Render one message for a batch of events; the badge is re-read, so it never drifts."""
    if not any(event.get("kind") in ("created", "read") for event in events):
        return ""
    created: set[int] = set()
    read: set[int] = set()
    for event in events:
        if event.get("kind") == "created":
            created.update(event["ids"])
        elif event.get("kind") == "read":
            read.update(event["ids"])
    # Ids the snapshot accounted for, or already pushed, are not prepended again.
    created = {i for i in created if i > conn.snapshot_id and i not in conn.sent_ids}
    stencils = stencil.for_app()
    if created and not read:
        # The common case, and a fan-out's: new rows, each rendered once for every socket.
        shared = stencils.created(conn, created)
        if shared is not None:
            message, shown = shared
            conn.sent_ids.update(shown)
            return message
    new = queries.by_ids(session, conn.user_id, created)
    conn.sent_ids.update(n.id for n in new)
    changed = queries.by_ids(session, conn.user_id, read - {n.id for n in new})
    return stencil.body(new, changed) + stencils.badge(queries.unread_count(session, conn.user_id))
