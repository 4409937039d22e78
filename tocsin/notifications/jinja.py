"""Template filters and globals the notification partials use."""

from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request, session, url_for
from flask_login import current_user
from jinja2 import pass_context

from ..extensions import store
from ..models import utcnow
from . import preferences, queries, snooze, undo, viewer_time
from .highlight import highlight
from .links import safe_link
from .types import type_info

#: Session key: the undo a plain form post was offered (no JavaScript), for the next page.
PENDING_UNDO = "tocsin_undo"


def pending_undo() -> list[undo.Offer]:
    """Return the undo a plain form post left for this page, once, for the bell's toasts
    (none once it expired: the page it was meant for was never shown)."""
    kept = session.pop(PENDING_UNDO, None) if PENDING_UNDO in session else None
    offer = undo.Offer.from_dict(kept) if kept is not None else None
    return [] if offer is None else [offer]


def current_unread_count() -> int:
    """Return the logged-in user's unread count, for the bell and badge partials."""
    return queries.unread_count(store.session, current_user.id)


def current_badge_count() -> int:
    """Return the logged-in user's badge count: unread or unseen, as TOCSIN_BADGE_COUNTS says."""
    return queries.badge_count(store.session, current_user.id, badge_counts())


def badge_counts() -> str:
    """Return what the badge counts, "unread" or "unseen" (TOCSIN_BADGE_COUNTS)."""
    return current_app.config["TOCSIN_BADGE_COUNTS"]


def current_snooze() -> snooze.Banner:
    """Return the logged-in user's snooze banner (hidden if not snoozed), for the bell."""
    if not current_user.is_authenticated:
        return snooze.Banner()
    return snooze.banner(preferences.load(store.session, current_user.id), utcnow())


def snooze_morning() -> datetime:
    """Return "tomorrow 8:00" in the logged-in user's timezone, for the snooze menu."""
    prefs = preferences.load(store.session, current_user.id)
    return snooze.next_morning(prefs, utcnow())


def websocket_path() -> str:
    """Return the socket's path: the htmx extension picks ws: or wss: from the page.

    It carries the newest id the page accounts for, so that the socket's first snapshot
    toasts what arrived before the socket opened (live/push.py).
    """
    path = urlsplit(url_for("tocsin_live.ws")).path
    if not current_user.is_authenticated:
        return path
    return f"{path}?since={queries.latest_id(store.session, current_user.id)}"


#: `app.extensions` key: static URLs built, by (root URL, file name).
_STATIC_URLS = "tocsin_static_urls"


def static_url(filename: str) -> str:
    """Return the URL of one of Tocsin's static files, wherever the host mounts it.

    Built once per root URL: every item names the icon sprite four times (30 µs each in
    url_for). Not where the host adds URL defaults, which may change what is built."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    defaults = app.url_default_functions
    if defaults.get(None) or defaults.get("tocsin_assets") or not has_request_context():
        return url_for("tocsin_assets.static", filename=filename)
    built = app.extensions.setdefault(_STATIC_URLS, {})
    key = (request.root_url, filename)
    url = built.get(key)
    if url is None:
        if len(built) >= 256:  # a root URL per Host header: bounded whatever clients send
            built.clear()
        url = built[key] = url_for("tocsin_assets.static", filename=filename)
    return url


#: The template variable the inbox sets to its search's words (search.words) while a
#: search is active; items rendered anywhere else are left exactly as they were.
SEARCH_WORDS = "tocsin_search_words"


@pass_context
def mark(context, text):
    """Mark the inbox search's words in `text` (escaped); unchanged without a search."""
    found = context.get(SEARCH_WORDS)
    return highlight(text, found) if found and text else text


def init_app(app: Flask) -> None:
    app.add_template_filter(mark, "tocsin_mark")
    viewer_time.init_app(app)  # relative_time, tocsin_full_time, isotime, tocsin_timezone
    app.add_template_filter(safe_link, "tocsin_link")
    app.add_template_global(current_unread_count, "tocsin_unread_count")
    app.add_template_global(current_badge_count, "tocsin_badge_count")
    app.add_template_global(badge_counts, "tocsin_badge_counts")
    app.add_template_global(type_info, "tocsin_type")
    app.add_template_global(current_snooze, "tocsin_snooze")
    app.add_template_global(snooze_morning, "tocsin_snooze_morning")
    app.add_template_global(websocket_path, "tocsin_ws_path")
    app.add_template_global(static_url, "tocsin_static")
    app.add_template_global(pending_undo, "tocsin_pending_undo")
