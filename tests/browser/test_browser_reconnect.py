"""Issue step 7: the connection indicator, and catching up after the socket comes back."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DOWN = re.compile(r"^(reconnecting|offline)$")
#: The counts of the bell's tocsin:snapshot events, in order.
RECORD_SNAPSHOTS = """
window.tocsinSnapshots = [];
document.addEventListener('tocsin:snapshot', function (e) {
  window.tocsinSnapshots.push(e.detail.count);
});
"""


def expect_each_once(page, ids) -> None:
    for nid in ids:
        expect(page.locator(f"#notification-{nid}")).to_have_count(1)


def test_server_restart_reconnects_and_catches_up(tocsin, page, bell, login, live, open_panel):
    before = tocsin.send("Before the restart")
    page.add_init_script(RECORD_SNAPSHOTS)
    login(page)
    panel = open_panel(page)
    status = page.locator("#connection-status")
    expect(status).to_have_attribute("data-state", "connected")

    snapshots = bell.snapshots()
    tocsin.server.stop()
    expect(status).to_have_attribute("data-state", DOWN)
    expect(status).not_to_have_text("Live")
    # Published while no server runs: stored, but nobody can push them.
    missed = [tocsin.send(f"Missed {i}") for i in range(1, 4)]
    tocsin.server.start()  # same port, same database

    # Reconnected (the client backs off up to 8 s), and the fresh snapshot is in.
    live(page, timeout=20_000, after=snapshots)
    assert bell.snapshots() == snapshots + 1
    assert page.evaluate("window.tocsinSnapshots") == [1, 2]  # an event for each
    expect(status).to_have_attribute("data-state", "connected")
    expect(status).to_have_text("Live")
    badge = page.locator("#notification-badge")
    expect(badge).to_have_attribute("data-count", "4")
    expect(badge).to_have_text("4")
    items = panel.locator("#notification-list > li")
    expect(items).to_have_count(4)
    expect(items.first).to_have_id(f"notification-{missed[-1]}")
    expect_each_once(page, [before, *missed])

    after = tocsin.send("After the restart")  # live again, still no duplicates
    expect(page.locator(f"#toast-{after}")).to_be_visible()
    expect(badge).to_have_attribute("data-count", "5")
    expect(items).to_have_count(5)
    expect_each_once(page, [before, *missed, after])
    expect(page.locator(f"#toast-{after}")).to_have_count(1)


def test_browser_offline_and_back_online(tocsin, context, page, login, open_panel, console_errors):
    """context.set_offline: Chromium keeps the socket open and holds its frames meanwhile.

    Either way (kept or dropped and reconnected), the user must end up connected, with
    what was published offline shown exactly once and the exact badge count.
    """
    login(page)
    open_panel(page)
    status = page.locator("#connection-status")
    context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_have_text("Offline")
    while_offline = [tocsin.send("While offline 1"), tocsin.send("While offline 2")]

    context.set_offline(False)
    expect(status).to_have_attribute("data-state", "connected")
    expect(status).to_have_text("Live")
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "2")
    expect(page.locator("#notification-list > li")).to_have_count(2)
    expect_each_once(page, while_offline)

    after = tocsin.send("Back online")
    expect(page.locator(f"#toast-{after}")).to_be_visible()
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "3")
    expect_each_once(page, [*while_offline, after])
    assert console_errors == []
