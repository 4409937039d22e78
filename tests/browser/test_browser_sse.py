"""Issue 15: a page whose WebSocket is blocked falls back to Server-Sent Events, stays in
sync across tabs, survives a restart, and moves back to the WebSocket when it works."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_live
from tocsin.testing import Bell

pytestmark = pytest.mark.browser

#: Probe the WebSocket every 1.5 s instead of every minute.
FAST_PROBE = "window.tocsinSse = { probeMs: 1500 };"


class Blocker:
    """Refuse every WebSocket to /notifications/ws before it opens, like a proxy that
    drops the upgrade, until `blocked` is False; then pass them through to the server."""

    def __init__(self, context) -> None:
        self.blocked = True
        self.refused = 0
        context.route_web_socket(re.compile(r"/notifications/ws"), self._route)

    def _route(self, ws) -> None:
        if self.blocked:
            self.refused += 1
            ws.close(code=1006)  # before it opened: the page sees a failed connect
        else:
            ws.connect_to_server()


def expect_each_once(page, ids) -> None:
    for nid in ids:
        expect(page.locator(f"#notification-{nid}")).to_have_count(1)


def expect_fallback(page) -> None:
    status = page.locator("#connection-status")
    expect(status).to_have_attribute("data-transport", "sse")
    expect(status).to_have_attribute("data-state", "connected")
    expect(status).to_have_text("Live (fallback)")


def test_blocked_websocket_falls_back_to_sse_and_back(
    tocsin, context, new_page, login, console_errors
):
    context.add_init_script(FAST_PROBE)
    blocker = Blocker(context)
    one = new_page()
    login(one)  # waits for the first snapshot: over the stream
    two = new_page()
    two.goto(tocsin.url + "/")
    wait_live(two)
    for page in (one, two):
        expect_fallback(page)
    assert blocker.refused >= 6  # three failed sockets a tab before the fallback

    # Toasts and the badge in both tabs, over the stream.
    first = tocsin.send("Over the stream", priority="high")
    for page in (one, two):
        expect(page.locator(f"#toast-{first}")).to_be_visible()
        Bell(page).expect_count(1)
    # A read in one tab reaches the other.
    panel = Bell(two).open_panel()
    Bell(one).mark_read(first)
    Bell(two).expect_count(0)
    expect(panel.locator(f"#notification-{first}")).not_to_have_class(re.compile("is-unread"))

    assert console_errors == []

    # A restart: the stream resumes from its last id and loses nothing, doubles nothing.
    snapshots = Bell(two).snapshots()
    tocsin.server.stop()
    expect(two.locator("#connection-status")).to_have_attribute(
        "data-state", re.compile("reconnecting|offline")
    )
    missed = [tocsin.send(f"Missed {i}") for i in range(1, 3)]
    tocsin.server.start()
    for page in (one, two):
        Bell(page).expect_count(2)
        expect_fallback(page)
    expect_each_once(two, [first, *missed])
    expect(panel.locator("#notification-list > li")).to_have_count(3)
    # Resumed with the rows after its id, not a snapshot (the id was a page's worth fresh).
    assert Bell(two).snapshots() == snapshots
    # What came meanwhile is one toast, as after a socket's reconnect.
    offline = two.locator(".tocsin-toast-missed")
    expect(offline).to_have_count(1)
    expect(offline).to_contain_text("2 new notifications while you were offline")
    for nid in missed:
        expect(two.locator(f"#toast-{nid}")).to_have_count(0)

    # The restart's own: refused reconnects, a cut stream, htmx logging sseError.
    console_errors.clear()

    # The WebSocket works again: both tabs move back, and stay live, once each.
    blocker.blocked = False
    for page in (one, two):
        status = page.locator("#connection-status")
        expect(status).to_have_attribute("data-transport", "ws", timeout=15_000)
        expect(status).to_have_attribute("data-state", "connected")
        expect(status).to_have_text("Live")
        expect(page.locator("#tocsin-sse")).to_have_count(0)
    after = tocsin.send("Over the socket again")
    for page in (one, two):
        expect(page.locator(f"#toast-{after}")).to_have_count(1)
        Bell(page).expect_count(3)
    expect_each_once(two, [first, *missed, after])
    assert console_errors == []
