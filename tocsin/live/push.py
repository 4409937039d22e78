"""Render what a connection is sent: the connect snapshot and batches of live events.

Everything here renders as nobody (anonymous.py) with the socket's own CSRF token put in,
so the stencil path and the ordinary path give the same bytes for every user.
"""

from dataclasses import dataclass

from flask import abort, current_app
from sqlalchemy.orm import Session

from .. import state
from ..analytics.recorder import LIVE
from ..models import MAX_ID, utcnow
from ..notifications import preferences, queries, snooze, toast_scope
from . import anonymous, stencil
from .connection import Connection

#: Notifications that arrived between the page's render and the socket's snapshot get a
#: toast each up to this many; more become one "N new notifications" toast (three are
#: all the stack shows at once, tocsin.js).
MISSED_TOASTS = 3
_RANK = ("normal", "high", "urgent")


@dataclass(frozen=True)
class Missed:
    """Several notifications the page missed, told in one toast."""

    count: int
    newest_id: int
    #: The highest priority among them: an urgent one makes the toast an alert.
    priority: str
    #: Missed while the tab's socket was down (a reconnect), not while the page loaded.
    offline: bool = False


def since_arg(args) -> int | None:
    """The socket URL's `since`: the newest id its page showed (400 if malformed)."""
    raw = args.get("since")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        abort(400, description=f"since must be an integer from 0 to {MAX_ID}")
    return int(raw)


def resumed_arg(args) -> bool:
    """The socket URL's `resumed=1`: the tab was live before, so this is a reconnect."""
    return args.get("resumed") == "1"


def snapshot(
    session: Session, conn: Connection, since: int | None = None, resumed: bool = False
) -> str:
    """Render the badge, the first page of the list and the mark-all bound, all out of band,
    and toasts for unread notifications newer than `since` (the page's newest id); after a
    reconnect (`resumed`), one "while you were offline" toast for them instead."""
    page = queries.page(session, conn.user_id, None, current_app.config["TOCSIN_PAGE_SIZE"])
    # The newest id on the page, not a separate max(): a row committed in between is
    # then pushed as new instead of being counted as shown.
    conn.snapshot_id = page.newest_id
    toasts, missed = _missed(session, conn, since, resumed)
    # A burst of handshakes (a restart, a reconnect storm) renders the same rows for
    # every socket of a user: from stencils, each item is a lookup and two replaces.
    items_html = stencil.for_app().items(page.items, conn.csrf_token)
    return anonymous.render(
        "tocsin/_snapshot.html",
        page=page,
        items_html=items_html,
        up_to=conn.snapshot_id,
        count=badge_count(session, conn),
        toasts=toasts,
        missed=missed,
        snooze=snooze.banner(preferences.load(session, conn.user_id), utcnow()),
        **_csrf(conn),
    )


def _missed(session: Session, conn: Connection, since: int | None, resumed: bool = False):
    """Toasts for what arrived after the page's render and before this snapshot: the rows,
    or one summary when there are more than MISSED_TOASTS; after a reconnect, always one
    summary (a tab back online would otherwise pop a toast per row it missed)."""
    if since is None or since >= conn.snapshot_id:
        return [], None
    # As the policy would now: no toast for a muted type, none in quiet hours or a snooze
    # (but critical, and urgent if let through), filtered in the query so that the
    # summary counts only those and a critical row is never crowded out by held ones.
    scope = toast_scope.toast_scope(preferences.load(session, conn.user_id), utcnow())
    rows = queries.toasting_between(
        session, conn.user_id, since, conn.snapshot_id, MISSED_TOASTS + 1, scope
    )
    if not rows or (len(rows) <= MISSED_TOASTS and not resumed):
        return rows, None
    counts = queries.toasting_counts(session, conn.user_id, since, conn.snapshot_id, scope)
    priority = max(counts, key=lambda p: _RANK.index(p) if p in _RANK else 0)
    return [], Missed(sum(counts.values()), rows[-1].id, priority, offline=resumed)


def _csrf(conn: Connection) -> dict:
    """The socket's CSRF token for a rendering as nobody, whose session has none."""
    return {} if conn.csrf_token is None else {"csrf_token": lambda: conn.csrf_token}


def render(session: Session, conn: Connection, events: list[dict]) -> str:
    """Render one message for a batch of events; the badge is re-read, so it never drifts.

    A "created" event may say "quiet" (the policy held or skipped its toast: the row and
    badge still show) or "sound" (its toast plays the sound) and "browser" (a hidden tab
    shows it as a browser notification); so may a "grouped" one (a
    row grew: it moves to the top, its toast is replaced in place). A "prefs" event (the user's
    preferences or snooze changed) re-renders the snooze banner. A "summary" event is the
    catch-up toast after quiet hours or a snooze (notifications/catchup.py). "removed"
    (archived, deleted) and "restored" (unarchived, undone) take rows out of the lists
    and put them back (notifications/housekeeping.py). "seen" (another tab had rows on
    screen for a second, notifications/seen.py) brings the badge when it counts unseen.
    """
    message = _items(session, conn, events)
    message += _housekeeping(session, conn, events, badge=not message)
    message += _seen(session, conn, events, badge=not message)
    if any(event.get("kind") == "prefs" for event in events):
        message += snooze_banner(session, conn)
    return message + _summaries(events)


def _housekeeping(session: Session, conn: Connection, events: list[dict], badge: bool) -> str:
    """Rows out of the lists and back into them, as they are now: a batch may hold an
    archive and its undo, and the database says which came last. The badge too, unless
    the batch's other events brought it already."""
    ids: set[int] = set()
    for event in events:
        if event.get("kind") in ("removed", "restored"):
            ids.update(event["ids"])
    if not ids:
        return ""
    listed = [n for n in queries.by_ids(session, conn.user_id, ids) if not n.is_archived]
    count = badge_count(session, conn) if badge else None
    return anonymous.render(
        "tocsin/_housekeeping.html",
        changed=[],
        restored=listed,
        removed=sorted(ids - {n.id for n in listed}, reverse=True),
        count=count,
        offer=None,
        **_csrf(conn),
    )


def badge_count(session: Session, conn: Connection) -> int:
    """The socket's user's badge count: unread or unseen rows (TOCSIN_BADGE_COUNTS)."""
    return queries.badge_count(session, conn.user_id, current_app.config["TOCSIN_BADGE_COUNTS"])


def _seen(session: Session, conn: Connection, events: list[dict], badge: bool) -> str:
    """The badge after rows were seen, when it counts unseen ones and the batch's other
    events did not bring it; nothing else shows whether a row was seen."""
    if not badge or current_app.config["TOCSIN_BADGE_COUNTS"] != "unseen":
        return ""
    if not any(event.get("kind") == "seen" for event in events):
        return ""
    return stencil.for_app().badge(badge_count(session, conn))


def _summaries(events: list[dict]) -> str:
    """The catch-up toasts of a batch, once each: it is an event, never a stored row."""
    by_newest = {e.get("newest"): e for e in events if e.get("kind") == "summary"}
    return "".join(
        anonymous.render("tocsin/_toast_summary.html", summary=e) for e in by_newest.values()
    )


def snooze_banner(session: Session, conn: Connection) -> str:
    """The user's snooze banner, out of band, as their preferences say now."""
    banner = snooze.banner(preferences.load(session, conn.user_id), utcnow())
    return anonymous.call(
        "tocsin/_snooze.html", "snooze_banner", banner, conn.csrf_token or "", oob=True
    )


def _items(session: Session, conn: Connection, events: list[dict]) -> str:
    """New, grown and changed rows, toasts and the badge for the batch's created, grouped
    and read events."""
    if not any(event.get("kind") in ("created", "grouped", "read") for event in events):
        return ""
    created: set[int] = set()
    grouped: set[int] = set()
    read: set[int] = set()
    quiet: set[int] = set()
    sound: set[int] = set()
    browser: set[int] = set()
    for event in events:
        if event.get("kind") in ("created", "grouped"):
            (created if event["kind"] == "created" else grouped).update(event["ids"])
            if event.get("quiet"):
                quiet.update(event["ids"])
                continue
            if event.get("sound"):
                sound.update(event["ids"])
            if event.get("browser"):
                browser.update(event["ids"])
        elif event.get("kind") == "read":
            read.update(event["ids"])
    # Ids the snapshot accounted for, or already pushed, are not prepended again.
    created = {i for i in created if i > conn.snapshot_id and i not in conn.sent_ids}
    # A grown group is re-rendered whatever the page showed: it moves to the top, and
    # tocsin.js keeps one element of its id. One that was also new this batch is new.
    grouped -= created
    stencils = stencil.for_app()
    if created and not read and not grouped:
        # The common case, and a fan-out's: new rows, each rendered once for every socket.
        shared = stencils.created(conn, created, quiet, sound, browser)
        if shared is not None:
            message, shown = shared
            conn.sent_ids.update(n.id for n in shown)
            _delivered(shown)
            return message
    new = queries.by_ids(session, conn.user_id, created)
    conn.sent_ids.update(n.id for n in new)
    _delivered(new)
    grown = queries.by_ids(session, conn.user_id, grouped)
    changed = queries.by_ids(session, conn.user_id, read - created - grouped)
    count = badge_count(session, conn)
    body = stencil.body(
        new, changed, quiet=quiet, sound=sound, browser=browser, grown=grown, **_csrf(conn)
    )
    return body + stencils.badge(count)


def _delivered(rows) -> None:
    """Analytics: the rows reached a socket. Once per row in this process, however many of
    the user's tabs it serves; a tab in another process counts it there too."""
    recorder = state.current().analytics
    if recorder is not None and rows:
        recorder.record_once("delivered", LIVE, rows)
